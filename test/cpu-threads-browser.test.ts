/**
 * The CPU pool in headless Chromium (threads.ts, browser part): a page served
 * with COOP/COEP headers is cross-origin isolated, so the pool runs Web
 * Workers over the shared memory; a large elementwise chain and a matmul give
 * the same bytes as on one thread, and the worker-job counter shows that a
 * second thread computed. The same page without the headers runs on one
 * thread, with no error and the same bytes. And jaxon inside a Web Worker of
 * an isolated page (where Atomics.wait may block) does the same.
 *
 * Uses Debian's /usr/bin/chromium through playwright-core, as
 * package.test.ts; without it the test skips and says why, unless
 * JAXON_REQUIRE_BROWSER is set: then it fails.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const chromiumPath = "/usr/bin/chromium";
const requireBrowser = Boolean(process.env.JAXON_REQUIRE_BROWSER);
const hasChromium = existsSync(chromiumPath);
if (!hasChromium && !requireBrowser) {
  console.warn(`test/cpu-threads-browser.test.ts: skipped: ${chromiumPath} is missing (Debian: apt-get install chromium); set JAXON_REQUIRE_BROWSER=1 to make that a failure`);
}

interface Timed {
  hash: number;
  ms: number;
  split: number;
  worker: number;
}
interface Result {
  error?: string;
  isolated: boolean;
  started: boolean;
  threads: number;
  hardwareConcurrency: number;
  ewT: Timed;
  mmT: Timed;
  ew1: Timed;
  mm1: Timed;
  /** Median round trip of an empty split job, µs (NaN without the pool). */
  handoffUs: number;
}

/** Timed runs per measurement (median reported); more for the numbers in the guide. */
const reps = /^\d+$/.test(process.env.JAXON_BROWSER_THREADS_REPS ?? "") ? Number(process.env.JAXON_BROWSER_THREADS_REPS) : 5;

const isolationHeaders = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };

describe.skipIf(!hasChromium && !requireBrowser)("CPU threads in a browser", () => {
  let bundle = "";
  let server: Server;
  let browser: Browser;
  let base = "";

  beforeAll(async () => {
    expect(hasChromium, `${chromiumPath} is missing and JAXON_REQUIRE_BROWSER is set: install Debian's chromium package`).toBe(true);
    const hostForBrowser = join(root, "src", "host", "browser.ts");
    const out = await build({
      entryPoints: [join(root, "test", "browser", "cpu-threads-entry.ts")],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      logLevel: "silent",
      plugins: [{ name: "jaxon-browser-host", setup: (b) => void b.onResolve({ filter: /[\\/]host[\\/]node\.js$/ }, () => ({ path: hostForBrowser })) }],
    });
    bundle = out.outputFiles[0]!.text;
    const pages: Record<string, string> = {
      "/": `<!doctype html><script type="module" src="/bundle.js"></script>`,
      "/in-worker": `<!doctype html><script type="module">
const w = new Worker("/bundle.js?isolated" + location.search.replace("?", "&"), { type: "module" });
w.onmessage = (e) => { window.result = e.data.error ? { error: e.data.error } : e.data.result; };
w.onerror = (e) => { window.result = { error: "worker error: " + e.message }; };
</script>`,
    };
    server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const headers = url.searchParams.has("isolated") ? isolationHeaders : {};
      if (url.pathname === "/bundle.js") res.writeHead(200, { "content-type": "text/javascript", ...headers }).end(bundle);
      else if (url.pathname in pages) res.writeHead(200, { "content-type": "text/html", ...headers }).end(pages[url.pathname]);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (server) await new Promise((resolve) => server.close(resolve));
  });

  async function load(path: string): Promise<Result> {
    const page = await browser.newPage();
    try {
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(`${e.name}: ${e.message}`));
      await page.goto(`${base}${path}${path.includes("?") ? "&" : "?"}reps=${reps}`);
      await page.waitForFunction(() => (window as { result?: unknown }).result !== undefined, undefined, { timeout: 90_000 });
      const result = (await page.evaluate(() => (window as { result?: unknown }).result)) as Result;
      expect(errors).toEqual([]);
      expect(result.error).toBeUndefined();
      // the numbers behind the guide's "CPU threads" section (stderr, so a run shows them)
      console.error(`${path}: isolated ${result.isolated}, ${result.threads} threads (hardwareConcurrency ${result.hardwareConcurrency}); elementwise ${result.ewT.ms.toFixed(1)} ms vs ${result.ew1.ms.toFixed(1)} ms on one thread, matmul ${result.mmT.ms.toFixed(1)} ms vs ${result.mm1.ms.toFixed(1)} ms; empty split job ${result.handoffUs.toFixed(1)} µs`);
      return result;
    } finally {
      await page.close();
    }
  }

  for (const fault of ["trap", "spin"] as const) {
    it(`cross-origin isolated: a kernel that ${fault === "trap" ? "traps" : "never returns"} on a worker throws, and threads are off after it`, async () => {
      const page = await browser.newPage();
      try {
        await page.goto(`${base}/?isolated&fault=${fault}`);
        await page.waitForFunction(() => (window as { result?: unknown }).result !== undefined, undefined, { timeout: 60_000 });
        const r = (await page.evaluate(() => (window as { result?: unknown }).result)) as { error?: string; started: boolean; threw: string; ms: number; enabledAfter: boolean; splitAfter: boolean };
        expect(r.error).toBeUndefined();
        expect(r.started).toBe(true);
        expect(r.threw).toMatch(fault === "trap" ? /failed on a worker thread/ : /did not finish .* in time/);
        // the spin is bounded: given up after about 10 s
        if (fault === "spin") expect(r.ms).toBeGreaterThan(9_000);
        expect(r.enabledAfter).toBe(false);
        expect(r.splitAfter).toBe(false);
      } finally {
        await page.close();
      }
    }, 90_000);
  }

  let single: Result | null = null;

  it("without COOP/COEP: one thread, no error", async () => {
    const r = await load("/");
    expect(r.isolated).toBe(false);
    expect(r.started).toBe(false);
    expect(r.threads).toBe(1);
    for (const t of [r.ewT, r.mmT, r.ew1, r.mm1]) expect([t.split, t.worker]).toEqual([0, 0]);
    expect(r.ewT.hash).toBe(r.ew1.hash);
    expect(r.mmT.hash).toBe(r.mm1.hash);
    // no pool, no split job
    expect(r.handoffUs).toBeNaN();
    single = r;
  }, 120_000);

  for (const [name, path] of [
    ["on the page's main thread (spinning for the workers)", "/?isolated"],
    ["inside a Web Worker (blocking in Atomics.wait)", "/in-worker?isolated"],
  ] as const) {
    it(`cross-origin isolated, ${name}: workers compute, and the bytes equal one thread's`, async () => {
      const r = await load(path);
      expect(r.isolated).toBe(true);
      expect(r.started).toBe(true);
      expect(r.threads).toBe(Math.min(Math.max(1, r.hardwareConcurrency), 16));
      expect(r.threads).toBeGreaterThanOrEqual(2);
      // split jobs, and jobs that a worker ran: a second thread computed
      expect(r.ewT.split).toBeGreaterThan(0);
      expect(r.ewT.worker).toBeGreaterThan(0);
      expect(r.mmT.split).toBeGreaterThan(0);
      expect(r.mmT.worker).toBeGreaterThan(0);
      // then setThreads(1): nothing split
      expect([r.ew1.split, r.ew1.worker, r.mm1.split, r.mm1.worker]).toEqual([0, 0, 0, 0]);
      expect(r.handoffUs).toBeGreaterThan(0);
      expect(r.ewT.hash).toBe(r.ew1.hash);
      expect(r.mmT.hash).toBe(r.mm1.hash);
      // and the same bytes as the page without isolation (a fixed 64 MiB memory, never threads)
      if (single) {
        expect(r.ew1.hash).toBe(single.ew1.hash);
        expect(r.mm1.hash).toBe(single.mm1.hash);
      }
    }, 120_000);
  }
});
