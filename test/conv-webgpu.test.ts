/**
 * The WebGPU convolution routine gives the CPU's answers within float32
 * tolerance: values and gradients with respect to both operands over the
 * JAX fixture's configurations (1/2/3-D, strides, padding kinds, dilations,
 * feature and batch groups, layouts, convTranspose), jit and vmap on WebGPU.
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { describe, expect, it } from "vitest";
import { grad, jit, np, vmap, type Value } from "../src/index.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { convOf, fixture } from "./conv-fixture.js";

const hasGpu = await probeWebGPU("conv-webgpu.test.ts");

const read = async (x: Value) => Array.from(await x.data(), Number);

async function expectSame(gpu: Value, cpu: Value, what: string) {
  expect(gpu.shape, what).toEqual(cpu.shape);
  expect((gpu as { device?: string }).device, what).toBe("webgpu");
  const g = await read(gpu);
  const c = await read(cpu);
  const scale = Math.max(1, ...c.map(Math.abs));
  let err = 0;
  for (let i = 0; i < c.length; i++) err = Math.max(err, Math.abs(g[i] - c[i]));
  expect(err / scale, what).toBeLessThan(1e-5);
}

describe.skipIf(!hasGpu)("conv on WebGPU == CPU", () => {
  for (const c of fixture.cases) {
    it(`${c.name}: value and gradients`, async () => {
      const f = convOf(c);
      const l = onBothDevices(c.lhs, c.lhsShape);
      const r = onBothDevices(c.rhs, c.rhsShape);
      const t = onBothDevices(c.cot, c.outShape);
      const loss = (cot: Value) => (a: Value, b: Value) => np.sum(np.multiply(f(a, b), cot));
      const [cpuOut, cpuGrads] = onCpu(() => [f(l.c, r.c), grad(loss(t.c), { argnums: [0, 1] })(l.c, r.c) as Value[]] as const);
      await expectSame(f(l.g, r.g), cpuOut, "value");
      const [gl, gr] = grad(loss(t.g), { argnums: [0, 1] })(l.g, r.g) as Value[];
      await expectSame(gl, cpuGrads[0], "grad lhs");
      await expectSame(gr, cpuGrads[1], "grad rhs");
    });
  }
  it("jit and vmap on WebGPU", async () => {
    const c = fixture.cases.find((k) => k.name === "2d nhwc same stride 2")!;
    const f = convOf(c);
    const l = onBothDevices([...c.lhs, ...c.lhs.map((v) => -v)], [2, ...c.lhsShape]);
    const r = onBothDevices(c.rhs, c.rhsShape);
    const cpu = onCpu(() => vmap(f, { inAxes: [0, null] })(l.c, r.c));
    await expectSame(jit(vmap(f, { inAxes: [0, null] }))(l.g, r.g), cpu, "jit(vmap)");
  });
});
