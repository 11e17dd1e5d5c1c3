/**
 * Complex FFTs, reductions and matmuls on WebGPU: every case of the JAX
 * fixture (test/fixtures/complexops/, as test/complex-ops.test.ts runs on the
 * CPU), values and gradients, on the GPU against JAX's values and the CPU's;
 * jit and vmap on the GPU against the CPU.
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { describe, expect, it } from "vitest";
import { grad, jit, lax, np, vmap, type Array as JArray, type Value } from "../src/index.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { callOf, fixture, makeInput, pairsOf, relErr, type Case } from "./complex-ops-cases.js";

const hasGpu = await probeWebGPU("complex-ops-webgpu.test.ts");
const host = async (v: Value) => Array.from(await (pairsOf(v) as JArray).data());
const TOL = 3e-6;
const gpuInput = (c: Case) => c.inputs.map((i) => makeInput(i, "float32", (v, s, d) => onBothDevices(v, s, d).g));
const cpuInput = (c: Case) => onCpu(() => c.inputs.map((i) => makeInput(i, "float32", (v, s, d) => onBothDevices(v, s, d).c)));

describe.skipIf(!hasGpu)("complex FFTs, reductions and matmuls on WebGPU against JAX and the CPU", () => {
  const values = fixture.cases.filter((c) => !c.grad);
  const grads = fixture.cases.filter((c) => c.grad);
  it.each(values.map((c) => [c.id, c] as const))("%s", async (_, c: Case) => {
    const f = callOf(c);
    const y = f(...gpuInput(c));
    expect((y as JArray).device).toBe("webgpu");
    const got = await host(y);
    expect(relErr(got, c.out)).toBeLessThan(TOL);
    const cpu = await host(onCpu(() => f(...cpuInput(c))));
    expect(relErr(got, cpu)).toBeLessThan(TOL);
  });
  it.each(grads.map((c) => [c.id, c] as const))("grad %s", async (_, c: Case) => {
    const f = callOf(c);
    const g = (xs: Value[]) => grad((x: Value) => f(x, ...xs.slice(1)))(xs[0]) as Value;
    const got = await host(g(gpuInput(c)));
    expect(relErr(got, c.grad!)).toBeLessThan(TOL);
    expect(relErr(got, await host(onCpu(() => g(cpuInput(c)))))).toBeLessThan(TOL);
  });
  it("jit and vmap on the GPU equal the CPU", async () => {
    for (const id of ["fft2/c3x4x5", "prod/axis1", "cumprod/axis0", "matmul/cc", "var/all"]) {
      const c = fixture.cases.find((k) => k.id === id)!;
      const f = callOf(c);
      const run = (xs: Value[]) => {
        const batch = lax.reshape(xs[0], [1, ...xs[0].shape]);
        return [jit(f)(...xs) as Value, vmap((x: Value) => f(x, ...xs.slice(1)))(batch) as Value];
      };
      const [gj, gv] = run(gpuInput(c));
      const [cj, cv] = onCpu(() => run(cpuInput(c)));
      expect(relErr(await host(gj), await host(cj)), id).toBeLessThan(TOL);
      expect(relErr(await host(gv), await host(cv)), id).toBeLessThan(TOL);
    }
  });
  it("np.fft of a longer signal (4096, complex64): WebGPU == CPU", async () => {
    const n = 4096;
    const re = Array.from({ length: 2 * n }, (_, j) => Math.sin(j * 0.37) + ((j * 7919) % 17) / 17);
    const { c, g } = onBothDevices(re, [n, 2]);
    const gpu = await host(np.fft.fft(lax.pairsToComplex(g)));
    const cpu = await host(onCpu(() => np.fft.fft(lax.pairsToComplex(c))));
    expect(relErr(gpu, cpu)).toBeLessThan(1e-5);
  });
});
