/**
 * Training loops that never await on WebGPU: Node frees Dawn's native
 * objects only when its event loop turns, so a loop that makes a bind group
 * or a buffer per step used to exhaust Dawn's descriptor pools and segfault
 * (after about 750 eager or 2,460 jitted steps of a small MLP). Each loop
 * runs in a child process, so that a crash fails the test rather than the
 * runner, and must exit 0 with a loss a tenth of the first: 20,000 jitted
 * and 6,000 eager steps, each 8× the step at which it used to crash (eager
 * steps are the slow ones on lavapipe: 20,000 of them took 170 s of CI's
 * time, 6,000 take about 40 s, concurrently with the jitted loop).
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("webgpu-no-await.test.ts");

function runSteps(mode: "eager" | "jit", steps: number): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/scripts/no-await-steps.ts", mode, String(steps)], {
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code, signal) => resolve({ code, signal, out, err }));
  });
}

const STEPS = { jit: 20000, eager: 6000 };

describe.skipIf(!hasGpu)("thousands of steps with no await", () => {
  for (const mode of ["jit", "eager"] as const) {
    // concurrently: each loop is its own child process, and together they are most of the file's time
    it.concurrent(`${mode}: a small MLP trains to the end and the process exits 0`, async () => {
      const r = await runSteps(mode, STEPS[mode]);
      // (Dawn's adapter warnings reach a child's stderr when it is a socket, as here: see adapter.ts `quietly`)
      const err = r.err
        .split("\n")
        .filter((line) => line && !/^Warning: .* artificially reduced/.test(line))
        .join("\n");
      expect({ code: r.code, signal: r.signal, err: err.slice(-2000) }).toEqual({ code: 0, signal: null, err: "" });
      const m = /^loss (\S+) (\S+)$/m.exec(r.out);
      expect(m).not.toBeNull();
      const [before, after] = [Number(m![1]), Number(m![2])];
      expect(Number.isFinite(after)).toBe(true);
      expect(after).toBeLessThan(before / 10);
    }, 400_000);
  }
});
