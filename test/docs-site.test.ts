/**
 * The docs site in a real browser: builds the site (`npm run docs:build`, or
 * reuses a build newer than every file it is made from), serves
 * docs/.vitepress/dist on localhost, opens the live example's page in
 * headless Chromium (Debian's /usr/bin/chromium driven by playwright-core;
 * never a downloaded browser) and checks the line it fits against gradient
 * descent computed here, in float64, and that the page raised no error.
 *
 * Without /usr/bin/chromium the test skips and says why, unless
 * JAXON_REQUIRE_BROWSER is set (CI sets it): then it fails.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const dist = join(root, "docs", ".vitepress", "dist");
const chromiumPath = "/usr/bin/chromium";
const required = Boolean(process.env.JAXON_REQUIRE_BROWSER);
const hasChromium = existsSync(chromiumPath);
if (!hasChromium && !required) {
  console.warn(`test/docs-site.test.ts: skipped: ${chromiumPath} is missing (Debian: apt-get install chromium); set JAXON_REQUIRE_BROWSER=1 to make that a failure`);
}

/** The newest modification time of the files under `dir`, skipping the folders named in `skip`. */
function newestMtime(dir: string, skip: Set<string>): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip.has(path)) continue;
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path, skip));
    else if (entry.isFile()) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether docs/.vitepress/dist was built after the last change to the docs, the sources and the build's configuration. */
function buildIsFresh(): boolean {
  const stamp = join(dist, "guide", "try-it.html");
  if (!existsSync(stamp)) return false;
  const generated = new Set([dist, join(root, "docs", ".vitepress", "cache"), join(root, "docs", "api")]);
  const inputs = [
    newestMtime(join(root, "docs"), generated),
    newestMtime(join(root, "src"), new Set()),
    ...["typedoc.json", "package.json", "package-lock.json"].map((f) => statSync(join(root, f)).mtimeMs),
  ];
  return Math.max(...inputs) < statSync(stamp).mtimeMs;
}

const mimeTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
};

/** A static file server over `dir` on a free port of 127.0.0.1 (a secure context, so pages may use WebGPU). */
async function serve(dir: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    let path = normalize(join(dir, pathname));
    if (path !== dir && !path.startsWith(dir + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, "index.html");
    else if (!existsSync(path) && existsSync(`${path}.html`)) path = `${path}.html`;
    if (!existsSync(path)) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": mimeTypes[extname(path)] ?? "application/octet-stream" }).end(readFileSync(path));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The live example's fit, independently: gradient descent on the mean squared error, in float64. */
function expectedFit(steps: number, lr: number): { w: number; b: number } {
  const n = 24;
  const xs = Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1));
  const ys = xs.map((x) => 3 * x - 0.5 + 0.25 * Math.sin(9 * x));
  let w = 0;
  let b = 0;
  for (let s = 0; s < steps; s++) {
    let gw = 0;
    let gb = 0;
    xs.forEach((x, i) => {
      const r = w * x + b - ys[i];
      gw += (2 * r * x) / n;
      gb += (2 * r) / n;
    });
    w -= lr * gw;
    b -= lr * gb;
  }
  return { w, b };
}

describe("docs site", () => {
  let browser: Browser | undefined;
  let server: Server | undefined;
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  it.skipIf(!hasChromium && !required)("builds, and the live example fits the line in headless Chromium", async () => {
    expect(hasChromium, `${chromiumPath} is missing and JAXON_REQUIRE_BROWSER is set: install Debian's chromium package`).toBe(true);

    if (!buildIsFresh()) {
      const t0 = performance.now();
      await promisify(execFile)("npm", ["run", "docs:build"], { cwd: root, maxBuffer: 64 << 20 });
      console.log(`docs:build took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    expect(existsSync(join(dist, "api", "index.html")), "the API reference was built").toBe(true);

    const served = await serve(dist);
    server = served.server;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      // playwright gives every launch a fresh profile (its own --user-data-dir)
      args: ["--no-sandbox", "--enable-unsafe-webgpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(`${e.name}: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(`console.error: ${m.text()} (${m.location().url})`);
    });

    await page.goto(`${served.origin}/guide/try-it.html`);
    const done = "#live-fit-result[data-state=done], #live-fit-error";
    await page.waitForSelector(done, { timeout: 60_000 });
    const error = await page.$("#live-fit-error");
    expect(error ? await error.textContent() : null, "the live example failed").toBeNull();

    /** Reads the result, checks it against the float64 fit, and returns the device it ran on. */
    const check = async (steps: number, lr: number): Promise<string> => {
      const result = page.locator("#live-fit-result");
      const read = async (name: string) => (await result.getAttribute(`data-${name}`)) ?? "";
      expect(Number(await read("steps"))).toBe(steps);
      const expected = expectedFit(steps, lr);
      expect(Math.abs(Number(await read("w")) - expected.w)).toBeLessThan(1e-3);
      expect(Math.abs(Number(await read("b")) - expected.b)).toBeLessThan(1e-3);
      const device = await read("device");
      expect(["webgpu", "cpu"]).toContain(device);
      expect(await result.textContent()).toContain(`Ran on ${device}`);
      return device;
    };
    const device = await check(100, 0.1);

    // the controls run it again, with a new trace for the new number of steps
    await page.selectOption(".live-fit select >> nth=0", "0.5");
    await page.selectOption(".live-fit select >> nth=1", "10");
    await page.click(".live-fit button");
    await page.waitForSelector("#live-fit-result[data-state=done][data-steps='10'], #live-fit-error", { timeout: 60_000 });
    await check(10, 0.5);

    console.log(`docs site: the live example ran on ${device} in Chromium ${browser.version()}`);
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
