/**
 * The WebGPU convolution routine gives the CPU's answers within float32
 * tolerance: values and gradients with respect to both operands over the
 * JAX fixture's configurations (1/2/3-D, strides, padding kinds, dilations,
 * feature and batch groups, layouts, convTranspose), jit and vmap on WebGPU.
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { grad, jit, lax, np, vmap, type Value } from "../src/index.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("conv-webgpu.test.ts");

type Case = {
  name: string;
  kind: "general" | "transpose";
  lhsShape: number[];
  rhsShape: number[];
  windowStrides?: number[];
  strides?: number[];
  padding: string | number[][];
  lhsDilation?: number[] | null;
  rhsDilation?: number[] | null;
  dimensionNumbers?: [string, string, string] | null;
  featureGroupCount?: number;
  batchGroupCount?: number;
  transposeKernel?: boolean;
  lhs: number[];
  rhs: number[];
  cot: number[];
  outShape: number[];
};
const fixture = JSON.parse(readFileSync(new URL("./fixtures/conv/conv.json", import.meta.url), "utf8")) as { cases: Case[] };

function convOf(c: Case): (l: Value, r: Value) => Value {
  if (c.kind === "transpose") {
    return (l, r) =>
      lax.convTranspose(l, r, c.strides!, c.padding, { rhsDilation: c.rhsDilation ?? undefined, dimensionNumbers: c.dimensionNumbers ?? undefined, transposeKernel: c.transposeKernel });
  }
  return (l, r) =>
    lax.convGeneralDilated(l, r, c.windowStrides!, c.padding, {
      lhsDilation: c.lhsDilation ?? undefined,
      rhsDilation: c.rhsDilation ?? undefined,
      dimensionNumbers: c.dimensionNumbers ?? undefined,
      featureGroupCount: c.featureGroupCount,
      batchGroupCount: c.batchGroupCount,
    });
}

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
