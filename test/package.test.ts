/**
 * The package as a user gets it: the lock file `npm ci` accepts, then
 * `npm pack`, the tarball installed into a fresh project in a temporary
 * folder, and there an ES module script, a CommonJS `require`, `tsc --strict`
 * over a typed user file (and a file with a type error, which must fail), and
 * a browser bundle (esbuild, platform browser) loaded in headless Chromium
 * (Debian's /usr/bin/chromium driven by playwright-core, as docs-site.test.ts).
 *
 * Without /usr/bin/chromium the browser case skips and says why, unless
 * JAXON_REQUIRE_BROWSER is set (CI sets it): then it fails.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  name: string;
  version: string;
  exports: Record<string, Record<string, string>>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
};
const chromiumPath = "/usr/bin/chromium";
const requireBrowser = Boolean(process.env.JAXON_REQUIRE_BROWSER);
const hasChromium = existsSync(chromiumPath);
if (!hasChromium && !requireBrowser) {
  console.warn(`test/package.test.ts: the browser case skipped: ${chromiumPath} is missing (Debian: apt-get install chromium); set JAXON_REQUIRE_BROWSER=1 to make that a failure`);
}

type LockEntry = { version?: string; optional?: boolean; optionalDependencies?: Record<string, string> };

describe("package-lock.json", () => {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { name: string; packages: Record<string, LockEntry> };

  it("names the package", () => {
    expect(lock.name).toBe(pkg.name);
  });

  // npm ci refuses a lock that lacks an optional dependency of a locked package (rollup's and esbuild's
  // binaries for other platforms): a lock written over an existing node_modules can keep only this machine's
  it("lists every optional dependency of every locked package, for every platform", () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
        // node's lookup: the package's own node_modules, then each enclosing one
        const dirs = path.split("/node_modules/");
        let found = false;
        for (let i = dirs.length; i >= 0 && !found; i--) {
          const base = dirs.slice(0, i).join("/node_modules/");
          found = `${base ? `${base}/` : ""}node_modules/${dep}` in lock.packages;
        }
        if (!found) missing.push(`${dep} (of ${path || "the root"})`);
      }
    }
    expect(missing, "regenerate the lock: npm install --package-lock-only, in a checkout without node_modules").toEqual([]);
  });
});

describe("package.json", () => {
  it("exports types, a browser build, a Node build and a default condition (require() on Node ≥ 20.19)", () => {
    expect(Object.keys(pkg.exports["."]!)).toEqual(["types", "browser", "node", "default"]);
  });
  it("declares webgpu as an optional peer dependency, in the range the tests run", () => {
    expect(pkg.peerDependenciesMeta.webgpu?.optional).toBe(true);
    const tested = pkg.devDependencies.webgpu!;
    const [major, minor] = tested.split(".");
    expect(pkg.peerDependencies.webgpu).toBe(`^${major}.${minor}.${tested.split(".")[2]}`);
  });
});

describe("the packed tarball in a fresh project", () => {
  let dir = "";
  let project = "";
  let files: string[] = [];
  const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: project, encoding: "utf8", env: { ...process.env, JAXON_VERBOSE: "" } });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "jaxon-pack-"));
    project = join(dir, "project");
    // the build the tarball ships (npm pack's own prepack would run it too; here once, explicitly)
    execFileSync(process.execPath, [join(root, "node_modules", "tsup", "dist", "cli-default.js")], { cwd: root, stdio: "ignore" });
    const packed = JSON.parse(execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: root, encoding: "utf8" })) as {
      filename: string;
      files: { path: string }[];
    }[];
    files = packed[0]!.files.map((f) => f.path);
    execFileSync("mkdir", [project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-project", private: true, type: "module" }));
    // from the tarball; its one dependency (fp-ts) from npm's cache where it is there
    execFileSync("npm", ["install", join(dir, packed[0]!.filename), "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: project, stdio: "ignore" });
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("ships the builds, the types, README and LICENSE, and no source maps or sources", () => {
    expect(files).toEqual(expect.arrayContaining(["LICENSE", "README.md", "package.json", "dist/node/index.js", "dist/node/index.d.ts", "dist/browser/index.js"]));
    expect(files.filter((f) => f.endsWith(".map") || f.startsWith("src/") || f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
  });

  it("runs as an ES module in Node: grad's value, the CPU chosen and why (no webgpu package installed), nothing printed", () => {
    writeFileSync(
      join(project, "esm.mjs"),
      `import { grad, np, init } from "${pkg.name}";
const d = await init();
const g = grad((w) => np.sin(w.add(1).pow(3)))(np.array(1));
console.log(JSON.stringify({ devices: [...d], device: d.device, reason: d.reason, g: await g.item() }));`,
    );
    const out = JSON.parse(node(["esm.mjs"])) as { devices: string[]; device: string; reason: string; g: number };
    // d/dw sin((w + 1)^3) = 3 (w + 1)^2 cos((w + 1)^3) at w = 1
    expect(out.g).toBeCloseTo(12 * Math.cos(8), 5);
    expect(out.devices).toEqual(["cpu"]);
    expect(out.reason).toMatch(/webgpu.*npm install webgpu/);
  });

  it("loads with require() (CommonJS) on this Node", () => {
    writeFileSync(join(project, "cjs.cjs"), `const { grad, np } = require("${pkg.name}");\nconsole.log(JSON.stringify(Array.from(grad((w) => w.mul(w).sum())(np.array([1, 2])).dataSync())));`);
    expect(JSON.parse(node(["cjs.cjs"]))).toEqual([2, 4]);
  });

  it("type-checks a user's file with tsc --strict (no skipLibCheck), emits its declarations, and catches a type error in another", () => {
    writeFileSync(
      join(project, "user.ts"),
      `import { grad, jit, nn, np, init, optim, random, type Value, type InitResult, type DeviceName } from "${pkg.name}";
const loss = (w: Value): Value => w.mul(w).sum();
const step = jit((w: Value) => w.sub(grad(loss)(w).mul(0.1)));
const devices: InitResult = await init({ allowSoftwareAdapter: false, verbose: false });
const device: DeviceName = devices.device;
const w: Value = step(np.ones([3]));
console.log(device, w.shape, await np.ones([2]).data());
// a user's module exports what it builds: its .d.ts must name these types (TS4023 otherwise)
export const opt = optim.chain(optim.clipByGlobalNorm(1), optim.adam(1e-3));
export const net = nn.serial(nn.Dense(4), nn.Relu, nn.Dense(1));
export const state = opt.init(net.init(random.key(0), [-1, 2])[1]);
`,
    );
    writeFileSync(join(project, "bad.ts"), `import { np } from "${pkg.name}";\nconst shape: string = np.ones([2]).shape;\nconsole.log(shape);\n`);
    const tsconfig = (file: string) => ({
      compilerOptions: {
        strict: true,
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        lib: ["ES2022"],
        // a Node user's types (console, Symbol.dispose), from this repository
        typeRoots: [join(root, "node_modules", "@types")],
        types: ["node"],
        declaration: true,
        emitDeclarationOnly: true,
        outDir: "types-out",
        skipLibCheck: false,
      },
      files: [file],
    });
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify(tsconfig("user.ts")));
    node([tsc, "-p", "."]);
    expect(readFileSync(join(project, "types-out", "user.d.ts"), "utf8")).toMatch(/export declare const opt: import\("jaxon-ts"\)\.GradientTransformation</);
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify(tsconfig("bad.ts")));
    let err = "";
    try {
      node([tsc, "-p", "."]);
    } catch (e) {
      err = String((e as { stdout?: string }).stdout);
    }
    expect(err).toMatch(/bad\.ts\(2,7\): error TS2322/);
  }, 60_000);

  it.skipIf(!hasChromium && !requireBrowser)("bundles for the browser with esbuild (no Node module, no warning) and runs in headless Chromium", async () => {
    expect(hasChromium, `${chromiumPath} is missing and JAXON_REQUIRE_BROWSER is set: install Debian's chromium package`).toBe(true);
    writeFileSync(
      join(project, "entry.js"),
      `import { grad, init, np } from "${pkg.name}";
const d = await init();
const g = grad((w) => np.sin(w.add(1).pow(3)))(np.array(1));
window.result = { device: d.device, reason: d.reason, g: await g.item() };`,
    );
    const result = await build({
      absWorkingDir: project,
      entryPoints: ["entry.js"],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      outfile: "out/bundle.js",
      metafile: true,
      logLevel: "silent",
    });
    expect(result.warnings.map((w) => w.text)).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    // the browser build, never the Node one; nothing of Node's (esbuild fails on a node: import for the browser)
    expect(inputs.some((p) => p.includes(`${pkg.name}/dist/browser/`))).toBe(true);
    expect(inputs.filter((p) => p.includes("/dist/node/") || p.startsWith("node:"))).toEqual([]);
    const bundle = readFileSync(join(project, "out", "bundle.js"), "utf8");
    expect(bundle).not.toMatch(/setFlagsFromString|--expose-gc/);

    const html = `<!doctype html><script type="module" src="/bundle.js"></script>`;
    const server: Server = createServer((req, res) => {
      if (req.url === "/bundle.js") res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
      else res.writeHead(200, { "content-type": "text/html" }).end(html);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--no-sandbox", "--enable-unsafe-webgpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(`${e.name}: ${e.message}`));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => (window as { result?: unknown }).result !== undefined || document.title === "error", undefined, { timeout: 30_000 });
      const out = (await page.evaluate(() => (window as { result?: unknown }).result)) as { device: string; reason: string; g: number };
      expect(errors).toEqual([]);
      expect(out.g).toBeCloseTo(12 * Math.cos(8), 5);
      // headless Chromium's adapter is SwiftShader, a software one: init() leaves it alone
      expect(out.device).toBe("cpu");
      expect(out.reason).toMatch(/software|navigator\.gpu|no WebGPU/);
    } finally {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 60_000);
});
