/**
 * lax.gather and lax.scatter* with JAX's general dimension numbers
 * (src/lax/gather-general.ts, a composition over the one-axis primitives):
 *
 * - against real JAX (test/fixtures/gather-dn/generate.py, JAX 0.10.2,
 *   float32): the x[idx] pattern, x[:, idx], operand batching dims, 2-D start
 *   indices into a 3-D operand with slices and interleaved offset dims, every
 *   mode with out-of-bounds indices; values and the vjp of a cotangent with
 *   respect to the operand (and the updates for scatter and scatter_add);
 * - vmap against a loop, jit against eager;
 * - WebGPU against the CPU on a gather and a scatter-add with their gradients
 *   (skipped with the reason printed when there is no adapter);
 * - typed errors naming the offending field.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Array, defaultDevice, grad, jit, lax, np, vjp, vmap, type Value } from "../src/index.js";
import { ShapeError } from "../src/errors.js";
import type { GatherDimensionNumbers, ScatterDimensionNumbers } from "../src/lax/public.js";
import { arr, expectClose, values } from "./helpers.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("gather-dn.test.ts");
// the CPU cases below run with the CPU as the default device
defaultDevice("cpu");

interface Tensor {
  shape: number[];
  data: (number | "nan")[];
}
type Nested = number | Nested[];
interface Case {
  op: "gather" | "scatter" | "scatterAdd" | "scatterMul" | "scatterMin" | "scatterMax";
  name: string;
  operand: Tensor;
  indices: Nested;
  updates?: Tensor;
  dn: Record<string, number[]>;
  sliceSizes?: number[];
  mode: "clip" | "fill" | "promise_in_bounds";
  fillValue?: number | null;
  out: Tensor;
  ct?: Tensor;
  gradOperand?: Tensor;
  gradUpdates?: Tensor;
}

const fixtures = JSON.parse(readFileSync(new URL("./fixtures/gather-dn/cases.json", import.meta.url), "utf8")) as { cases: Case[] };
const num = (v: number | "nan") => (v === "nan" ? NaN : v);
const tensor = (t: Tensor, dtype: "float32" | "float64" = "float32") => arr(t.data.map(num), dtype, t.shape);
const flatOf = (t: Tensor) => t.data.map(num);
const idxOf = (c: Case) => arr(c.indices, "int32");

/** The case's operation as a function of the operand (and updates). */
function opOf(c: Case): (x: Value, u?: Value) => Value {
  if (c.op === "gather") {
    const options = { dimensionNumbers: c.dn as unknown as GatherDimensionNumbers, sliceSizes: c.sliceSizes!, mode: c.mode, ...(c.fillValue == null ? {} : { fillValue: c.fillValue }) };
    return (x) => lax.gather(x, idxOf(c), options);
  }
  const f = lax[c.op];
  return (x, u) => f(x, idxOf(c), u!, { dimensionNumbers: c.dn as unknown as ScatterDimensionNumbers, mode: c.mode });
}

describe("general lax.gather / lax.scatter* against JAX", () => {
  it("covers every mode, every scatter kind and the batching dims", () => {
    expect(new Set(fixtures.cases.map((c) => c.op)).size).toBe(6);
    expect(new Set(fixtures.cases.filter((c) => c.op === "gather").map((c) => c.mode)).size).toBe(3);
    expect(fixtures.cases.some((c) => "operandBatchingDims" in c.dn)).toBe(true);
  });

  it.each(fixtures.cases.map((c) => [c.name, c] as const))("%s: value", (_n, c) => {
    const f = opOf(c);
    const out = c.updates ? f(tensor(c.operand), tensor(c.updates)) : f(tensor(c.operand));
    expect(out.shape).toEqual(c.out.shape);
    expectClose(out, flatOf(c.out), 1e-6);
  });

  const withGrads = fixtures.cases.filter((c) => c.gradOperand);
  it.each(withGrads.map((c) => [c.name, c] as const))("%s: vjp", (_n, c) => {
    const f = opOf(c);
    if (c.updates) {
      const [, pull] = vjp((x: Value, u: Value) => f(x, u), tensor(c.operand), tensor(c.updates));
      const [gx, gu] = pull(tensor(c.ct!)) as Value[];
      expectClose(gx, flatOf(c.gradOperand!), 1e-6);
      expectClose(gu, flatOf(c.gradUpdates!), 1e-6);
    } else {
      const [, pull] = vjp((x: Value) => f(x), tensor(c.operand));
      const [gx] = pull(tensor(c.ct!)) as Value[];
      expectClose(gx, flatOf(c.gradOperand!), 1e-6);
    }
  });
});

const batchedGather = fixtures.cases.find((c) => c.name === "batched fill")!;
const windowGather = fixtures.cases.find((c) => c.name === "interleaved offset dims clip")!;
const windowScatter = fixtures.cases.find((c) => c.name === "scatterAdd 2-D starts, windows fill")!;

describe("transformations of the composition", () => {
  it.each([batchedGather, windowGather])("vmap over the operand and the indices equals a loop ($name)", (c) => {
    const opts = { dimensionNumbers: c.dn as unknown as GatherDimensionNumbers, sliceSizes: c.sliceSizes!, mode: c.mode, fillValue: -1 };
    const x = tensor(c.operand);
    const xs = np.stack([x, np.multiply(x, 2), np.negative(x)]);
    const idx = idxOf(c);
    const idxs = np.stack([idx, np.flip(idx, 0), np.subtract(idx, 1)]);
    const f = (xv: Value, iv: Value) => lax.gather(xv, iv, opts);
    const loop = np.stack([0, 1, 2].map((k) => f(np.take(xs, k, 0), np.take(idxs, k, 0))));
    expectClose(vmap(f)(xs, idxs), loop, 0);
    expectClose(vmap((xv: Value) => f(xv, idx))(xs), np.stack([0, 1, 2].map((k) => f(np.take(xs, k, 0), idx))), 0);
  });

  it("vmap of a general scatter-add and its gradient equal a loop", () => {
    const c = windowScatter;
    const opts = { dimensionNumbers: c.dn as unknown as ScatterDimensionNumbers, mode: c.mode };
    const x = tensor(c.operand);
    const u = tensor(c.updates!);
    const us = np.stack([u, np.multiply(u, 3)]);
    const idx = idxOf(c);
    const idxs = np.stack([idx, np.flip(idx, 0)]);
    const f = (uv: Value, iv: Value) => lax.scatterAdd(x, iv, uv, opts);
    expectClose(vmap(f)(us, idxs), np.stack([0, 1].map((k) => f(np.take(us, k, 0), np.take(idxs, k, 0)))), 0);
    const g = (uv: Value, iv: Value) => grad((xv: Value) => np.sum(np.sin(lax.scatterAdd(xv, iv, uv, opts))))(x) as Value;
    expectClose(vmap(g)(us, idxs), np.stack([0, 1].map((k) => g(np.take(us, k, 0), np.take(idxs, k, 0)))), 1e-6);
  });

  it.each(fixtures.cases.filter((c) => c.name.includes("2-D") || c.name.includes("batched")).map((c) => [c.name, c] as const))("jit(%s) equals eager", (_n, c) => {
    const f = opOf(c);
    if (c.updates) {
      const args = [tensor(c.operand), tensor(c.updates)] as const;
      expectClose(jit((x: Value, u: Value) => f(x, u))(...args), f(...args), 0);
    } else {
      expectClose(jit((x: Value) => f(x))(tensor(c.operand)), f(tensor(c.operand)), 0);
    }
  });

  it("the axis-based forms still work beside the general ones", () => {
    const x = arr([[1, 2, 3], [4, 5, 6]], "float32");
    const i = arr([2, 0], "int32");
    expect(values(lax.gather(x, i, { axis: 1 }))).toEqual([3, 1, 6, 4]);
    expect(values(lax.scatterAdd(x, i, arr([[1, 1], [1, 1]], "float32"), { axis: 1 }))).toEqual([2, 2, 4, 5, 5, 7]);
    const general = lax.gather(x, arr([[2], [0]], "int32"), { dimensionNumbers: { offsetDims: [0], collapsedSliceDims: [1], startIndexMap: [1] }, sliceSizes: [2, 1] });
    expect(values(general)).toEqual([3, 1, 6, 4]);
    // the doc comments' examples, with the values they claim
    const m = np.arange(12).reshape([3, 4]);
    const cols = arr([[3], [1]], "int32");
    expect(values(lax.gather(m, cols, { dimensionNumbers: { offsetDims: [0], collapsedSliceDims: [1], startIndexMap: [1] }, sliceSizes: [3, 1] }))).toEqual([3, 1, 7, 5, 11, 9]);
    const dn = { updateWindowDims: [0], insertedWindowDims: [1], scatterDimsToOperandDims: [1] };
    expect(values(lax.scatterAdd(np.zeros([2, 4]), cols, np.ones([2, 2]), { dimensionNumbers: dn }))).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
  });
});

describe("typed errors name the dimension-number field", () => {
  const x = np.zeros([4, 5]);
  const i = arr([[1], [2]], "int32");
  const dn = { offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0] };
  const g = (d: object, sizes = [1, 5], idx: Value = i) => () => lax.gather(x, idx, { dimensionNumbers: d as GatherDimensionNumbers, sliceSizes: sizes });
  it.each([
    ["unsorted offsetDims", g({ ...dn, offsetDims: [1, 0], collapsedSliceDims: [] }, [1, 5]), /offsetDims/],
    ["a collapsed dim with slice size 2", g(dn, [2, 5]), /sliceSizes\[0\] must be 1/],
    ["a slice larger than the operand", g(dn, [1, 6]), /sliceSizes\[1\] = 6/],
    ["sliceSizes of the wrong length", g(dn, [1]), /sliceSizes/],
    ["an index vector of the wrong length", g(dn, [1, 5], arr([[1, 2]], "int32")), /index vector dim/],
    ["startIndexMap out of range", g({ ...dn, startIndexMap: [2] }), /startIndexMap/],
    ["offsetDims of the wrong count", g({ ...dn, offsetDims: [] }), /offsetDims/],
    ["batching dims of unequal length", g({ ...dn, operandBatchingDims: [1] }), /operandBatchingDims/],
  ])("gather: %s", (_n, f, message) => {
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(message);
  });
  const s = (d: object, u: Value) => () => lax.scatterAdd(x, i, u, { dimensionNumbers: d as ScatterDimensionNumbers });
  const sdn = { updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0] };
  it.each([
    ["updates of the wrong rank", s(sdn, np.zeros([2])), /updates must have rank/],
    ["updates whose batch dim differs from the indices", s(sdn, np.zeros([3, 5])), /updates dim 0/],
    ["a window larger than the operand", s(sdn, np.zeros([2, 6])), /must not exceed/],
    ["unsorted insertedWindowDims", s({ ...sdn, insertedWindowDims: [1, 0], updateWindowDims: [] }, np.zeros([2])), /insertedWindowDims/],
    ["scatterDimsToOperandDims out of range", s({ ...sdn, scatterDimsToOperandDims: [3] }, np.zeros([2, 5])), /scatterDimsToOperandDims/],
  ])("scatter: %s", (_n, f, message) => {
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(message);
  });
});

describe.skipIf(!hasGpu)("general gather / scatter-add on WebGPU == CPU", () => {
  const read = async (v: Value) => globalThis.Array.from(await (v as Array).data());
  it.each([windowGather, batchedGather, windowScatter])("$name: value and gradient", async (c) => {
    const f = opOf(c);
    const x = onBothDevices(flatOf(c.operand), c.operand.shape);
    const u = c.updates ? onBothDevices(flatOf(c.updates), c.updates.shape) : null;
    const loss = (xv: Value, uv?: Value) => np.sum(np.multiply(np.cos(f(xv, uv)), np.arange(1, 1 + c.out.data.length).reshape(c.out.shape)));
    defaultDevice("webgpu");
    try {
      const out = f(x.g, u?.g);
      expect((out as { device?: string }).device).toBe("webgpu");
      const gx = grad((xv: Value) => loss(xv, u?.g))(x.g) as Value;
      const [cpuOut, cpuGrad] = onCpu(() => [values(f(x.c, u?.c)), values(grad((xv: Value) => loss(xv, u?.c))(x.c) as Value)]);
      const gpuOut = await read(out);
      cpuOut.forEach((v, k) => (Number.isNaN(v) ? expect(gpuOut[k]).toBeNaN() : expect(gpuOut[k]).toBeCloseTo(v, 5)));
      const gpuGrad = await read(gx);
      cpuGrad.forEach((v, k) => expect(gpuGrad[k]).toBeCloseTo(v, 3));
    } finally {
      defaultDevice("cpu");
    }
  });
});
