/**
 * The remaining complex gaps on WebGPU: every value and gradient case of the
 * JAX fixture (test/fixtures/complexgaps/, as test/complex-gaps.test.ts runs
 * on the CPU) on the GPU, against JAX's values and the CPU's.
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { describe, expect, it } from "vitest";
import { grad, type Array as JArray, type Value } from "../src/index.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { callOf, elementErr, fixture, makeInput, nums, pairsOf, type Case } from "./complex-gaps-cases.js";

const hasGpu = await probeWebGPU("complex-gaps-webgpu.test.ts");
const host = async (v: Value) => Array.from(await (pairsOf(v) as JArray).data());
const TOL = 2e-5;
// the error cases have no inputs: the CPU file checks them
const cases = fixture.cases.filter((c) => c.inputs.length > 0);
const gpuInput = (c: Case) => c.inputs.map((i) => makeInput(i, c.kwargs.scale, "float32", (v, s, d) => onBothDevices(v, s, d).g));
const cpuInput = (c: Case) => onCpu(() => c.inputs.map((i) => makeInput(i, c.kwargs.scale, "float32", (v, s, d) => onBothDevices(v, s, d).c)));
const isC = (d: string) => d === "complex";

describe.skipIf(!hasGpu)("complex gaps on WebGPU against JAX and the CPU", () => {
  it.each(cases.filter((c) => !c.grad).map((c) => [c.id, c] as const))("%s", async (_, c: Case) => {
    const f = callOf(c);
    const y = f(...gpuInput(c));
    expect((y as JArray).device).toBe("webgpu");
    const got = await host(y);
    expect(elementErr(got, nums(c.out), isC(c.dtype))).toBeLessThan(TOL);
    expect(elementErr(got, await host(onCpu(() => f(...cpuInput(c)))), isC(c.dtype))).toBeLessThan(TOL);
  });
  it.each(cases.filter((c) => c.grad).map((c) => [c.id, c] as const))("grad %s", async (_, c: Case) => {
    const f = callOf(c);
    const g = (xs: Value[]) => grad((x: Value) => f(x, ...xs.slice(1)))(xs[0]) as Value;
    const got = await host(g(gpuInput(c)));
    expect(elementErr(got, nums(c.grad!), isC(c.gradDtype!))).toBeLessThan(TOL);
    expect(elementErr(got, await host(onCpu(() => g(cpuInput(c)))), isC(c.gradDtype!))).toBeLessThan(TOL);
  });
});
