/**
 * `init()` as a library should behave in someone else's program: it never
 * makes a software adapter (lavapipe, SwiftShader) the default unasked, says
 * which device it chose and why, prints nothing unless asked, and sets V8
 * flags only in Node, only once an array goes to WebGPU, and not at all with
 * `gcHooks: false`. Each case runs in a fresh Node process (the choice is made
 * once per process), with stdout and stderr captured whole.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isSoftwareAdapter } from "../src/backend/webgpu/adapter.js";

const root = join(import.meta.dirname, "..");

/** Runs an ES module body in a fresh Node (through tsx, from the repository root); its last stdout line is JSON. */
function run(body: string, env: Record<string, string> = {}): { out: Record<string, unknown>; stdout: string; stderr: string } {
  const script = `import * as J from "./src/index.js";\nimport * as vm from "node:vm";\n${body}`;
  // stderr a file, as a terminal or a shell's redirection would be (Dawn's own warnings are kept off a
  // file but not off a socket, which is what a pipe from spawnSync is: see adapter.ts)
  const dir = mkdtempSync(join(tmpdir(), "jaxon-init-"));
  const errFd = openSync(join(dir, "stderr.txt"), "w");
  let res;
  try {
    res = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", errFd],
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp", JAXON_VERBOSE: "", JAXON_GC_HOOKS: "", ...env },
      timeout: 60_000,
    });
  } finally {
    closeSync(errFd);
  }
  const stderr = readFileSync(join(dir, "stderr.txt"), "utf8");
  rmSync(dir, { recursive: true, force: true });
  expect(res.status, stderr).toBe(0);
  const lines = res.stdout.trim().split("\n");
  return { out: JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>, stdout: lines.slice(0, -1).join("\n"), stderr };
}

/** Whether `gc` exists in a new V8 context: true once `--expose-gc` has been set in this process. */
const gcExposed = `(typeof vm.runInContext("typeof gc", vm.createContext({})) === "string" && vm.runInContext("typeof gc", vm.createContext({})) === "function")`;

// what this machine has decides what the child processes can show; CI has lavapipe (JAXON_REQUIRE_WEBGPU)
const probe = run(`const d = await J.init(); console.log(JSON.stringify({ devices: [...d], device: d.device, reason: d.reason }));`);
const hasWebgpu = (probe.out.devices as string[]).includes("webgpu");
const software = hasWebgpu && probe.out.device === "cpu";
if (!hasWebgpu && process.env.JAXON_REQUIRE_WEBGPU) throw new Error(`package-init.test.ts: JAXON_REQUIRE_WEBGPU is set but init() found no WebGPU adapter (${String(probe.out.reason)})`);
if (!hasWebgpu) console.warn(`package-init.test.ts: the cases with an adapter skipped: ${String(probe.out.reason)}`);
else if (!software) console.warn("package-init.test.ts: the software-adapter cases skipped: this machine's adapter is a hardware one");

describe("which adapter is software", () => {
  it("by isFallbackAdapter, on the adapter or its info", () => {
    expect(isSoftwareAdapter({ isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ info: { isFallbackAdapter: true } })).toBe(true);
  });
  it("by name where the flag is missing: lavapipe/llvmpipe, SwiftShader", () => {
    expect(isSoftwareAdapter({ info: { vendor: "mesa", description: "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)" } })).toBe(true);
    expect(isSoftwareAdapter({ info: { vendor: "google", architecture: "", description: "SwiftShader Device (Subzero)" } })).toBe(true);
  });
  it("a hardware adapter is not", () => {
    expect(isSoftwareAdapter({ isFallbackAdapter: false, info: { vendor: "nvidia", architecture: "hopper", description: "NVIDIA H100 80GB HBM3" } })).toBe(false);
    expect(isSoftwareAdapter({ info: { vendor: "apple", architecture: "metal-3", description: "Apple M2" } })).toBe(false);
  });
});

describe("init()", () => {
  it("prints nothing by default and says what it chose", () => {
    expect(probe.stdout).toBe("");
    expect(probe.stderr).toBe("");
    expect(probe.out.device).toMatch(/^(cpu|webgpu)$/);
    expect(String(probe.out.reason).length).toBeGreaterThan(10);
  });

  it("with { cpuOnly: true } stays on the CPU and says so", () => {
    const { out } = run(`const d = await J.init({ cpuOnly: true }); console.log(JSON.stringify({ devices: [...d], device: d.device, reason: d.reason, gc: ${gcExposed} }));`);
    expect(out).toEqual({ devices: ["cpu"], device: "cpu", reason: "init({ cpuOnly: true })", gc: false });
  });

  it("with { verbose: true }, or JAXON_VERBOSE=1, prints one line", () => {
    const a = run(`const d = await J.init({ verbose: true }); console.log(JSON.stringify({ device: d.device }));`);
    expect(a.stdout).toMatch(new RegExp(`^jaxon: default device ${String(a.out.device)}: .+$`));
    const b = run(`const d = await J.init(); console.log(JSON.stringify({ device: d.device }));`, { JAXON_VERBOSE: "1" });
    expect(b.stdout).toMatch(/^jaxon: default device (cpu|webgpu): .+$/);
  });

  it.skipIf(!software)("leaves a software adapter alone unless asked, and uses it when asked", () => {
    expect(probe.out.reason).toMatch(/software.*allowSoftwareAdapter/);
    const { out } = run(`
      const a = await J.init();
      const before = J.defaultDevice();
      const b = await J.init({ allowSoftwareAdapter: true });
      console.log(JSON.stringify({ before, after: b.device, listed: [...a], reason: b.reason }));`);
    expect(out.before).toBe("cpu");
    expect(out.listed).toEqual(["cpu", "webgpu"]);
    expect(out.after).toBe("webgpu");
    expect(out.reason).toMatch(/software adapter .*allowSoftwareAdapter/);
  });

  it.skipIf(!software)("an explicit defaultDevice(\"webgpu\") uses the software adapter, and a later init() keeps that choice", () => {
    const { out } = run(`
      await J.init();
      J.defaultDevice("webgpu");
      const x = await J.np.arange(4).mul(2).data();
      const again = await J.init();
      console.log(JSON.stringify({ x: [...x], device: J.defaultDevice(), reported: again.device }));`);
    expect(out).toEqual({ x: [0, 2, 4, 6], device: "webgpu", reported: "webgpu" });
  });

  it.skipIf(!hasWebgpu)("sets V8 flags only once an array goes to WebGPU, and never with gcHooks: false", () => {
    const body = (opts: string) => `
      await J.init(${opts});
      const atInit = ${gcExposed};
      const y = await J.devicePut(J.np.ones([8]), "webgpu").add(1).data();
      console.log(JSON.stringify({ atInit, afterGpu: ${gcExposed}, y: y[0] }));`;
    expect(run(body("{ allowSoftwareAdapter: true }")).out).toEqual({ atInit: false, afterGpu: true, y: 2 });
    expect(run(body("{ allowSoftwareAdapter: true, gcHooks: false }")).out).toEqual({ atInit: false, afterGpu: false, y: 2 });
    expect(run(body("{ allowSoftwareAdapter: true }"), { JAXON_GC_HOOKS: "0" }).out).toEqual({ atInit: false, afterGpu: false, y: 2 });
  });
});

describe("the CPU worker pool's size", () => {
  it("JAXON_CPU_THREADS=1 keeps every job on the main thread; the default follows os.availableParallelism()", () => {
    const body = `import { threadsEnabled } from "./src/backend/cpu/threads.js";
      import os from "node:os";
      console.log(JSON.stringify({ enabled: threadsEnabled(), cores: os.availableParallelism() }));`;
    const one = run(body, { JAXON_CPU_THREADS: "1" }).out;
    expect(one.enabled).toBe(false);
    const dflt = run(body).out;
    expect(dflt.enabled).toBe((dflt.cores as number) >= 2);
  });
});
