/**
 * The third set of JAX's lax names (issue 16) against real JAX:
 * test/fixtures/lax-names3/lax-names3.json, written by
 * test/fixtures/lax-names3/generate.py (JAX 0.10.2, CPU). Values and
 * gradients against JAX; gradients JAX lacks (ragged mode 2, scatterApply,
 * randomGammaGrad) against float64 finite differences; XLA's bit generator
 * bit for bit; vmap against a loop, jit against eager, and WebGPU against the
 * CPU (skipped with the reason printed where there is no adapter).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  ArgumentError, AxisNameError, DTypeError, PartitionSpec, ShapeError, UnsupportedError, defaultDevice, devicePut, grad, jit, lax, np, vmap,
  type Array as JArray, type Value,
} from "../src/index.js";
import type { DType } from "../src/dtype.js";
import { probeWebGPU } from "./device-helpers.js";
import { arr, dot, expectClose, finiteDiff, randArr, values } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
type Flat = number[];
interface Mode { lhs: Flat; rhs: Flat; lhsShape: number[]; rhsShape: number[]; groupSizes: Flat; out: Flat; outShape: number[]; w?: Flat }
interface RbgCase { key: number[]; algorithm: "default" | "philox" | "threefry"; shape: number[]; dtype: "uint32" | "uint8"; newKey: Flat; bits: Flat }
const fx = JSON.parse(readFileSync(join(here, "fixtures", "lax-names3", "lax-names3.json"), "utf8")) as {
  raggedDot: { lhs: Flat; rhs: Flat; groupSizes: Flat; w: Flat; lhsShape: number[]; rhsShape: number[]; out: Flat; gradLhs: Flat; gradRhs: Flat };
  raggedDotGeneral: { mode1: Mode; mode2: Mode; mode3: Mode };
  rngBitGenerator: RbgCase[];
  rngUniform: { sample: Flat };
  scatterApply: { x: Flat; idx: Flat; sin: Flat; affine: Flat };
  scatterApply2d: { x: Flat; idx: Flat; out: Flat };
  convLocal: { nchw: Mode & { gradLhs: Flat; gradRhs: Flat }; nhwc: Mode };
  randomGammaGrad: { a: Flat; x: Flat; out: Flat; outF32: Flat };
  scaledDot: { lhs: Flat; rhs: Flat; lhsScale: Flat; rhsScale: Flat; out: Flat; outF64: Flat };
  dtype: { int8: string; name: string };
  shapeAsValue: Flat;
};

const hasGpu = await probeWebGPU("lax-names3.test.ts");
// probeWebGPU makes WebGPU the default where it exists: the CPU cases run on the CPU
defaultDevice("cpu");
const gpuIt = hasGpu ? it : it.skip;

const i32 = (v: Flat, shape = [v.length]) => arr(v, "int32", shape);
const sumTimes = (w: JArray) => (y: Value) => np.sum(np.multiply(y, w));
const gpuValues = async (v: Value): Promise<number[]> => Array.from((await (v as JArray).data()) as ArrayLike<number>);
const toGpu = (x: JArray) => devicePut(x, "webgpu");

/** Central differences of f(x) along a random direction against the gradient's projection. */
function checkFd(f: (x: JArray) => Value, x: JArray, gradient: Value, seed: number, tol = 1e-6) {
  const dir = randArr([...x.shape], seed);
  const fd = finiteDiff(f, x, dir)[0];
  expect(Math.abs(dot(values(gradient), values(dir)) - fd)).toBeLessThan(tol * Math.max(1, Math.abs(fd)));
}

describe("lax.raggedDot / raggedDotGeneral", () => {
  const r = fx.raggedDot;
  const lhs = arr(r.lhs, "float64", r.lhsShape);
  const rhs = arr(r.rhs, "float64", r.rhsShape);
  const gs = i32(r.groupSizes);
  const w = arr(r.w, "float64", [r.lhsShape[0], r.rhsShape[2]]);

  it("matches JAX's values and gradients (a row past the last group is zero)", () => {
    expectClose(lax.raggedDot(lhs, rhs, gs), r.out, 1e-12);
    const loss = (a: Value, b: Value) => sumTimes(w)(lax.raggedDot(a, b, gs));
    expectClose(grad(loss, { argnums: 0 })(lhs, rhs), r.gradLhs, 1e-12);
    expectClose(grad(loss, { argnums: 1 })(lhs, rhs), r.gradRhs, 1e-12);
    checkFd((a) => loss(a, rhs), lhs, grad(loss, { argnums: 0 })(lhs, rhs), 3);
    checkFd((b) => loss(lhs, b), rhs, grad(loss, { argnums: 1 })(lhs, rhs), 4);
  });

  it("vmap over lhs equals a loop, jit equals eager", () => {
    const lhs2 = randArr([3, ...r.lhsShape], 7);
    const batched = vmap((a: Value) => lax.raggedDot(a, rhs, gs))(lhs2);
    const loop = np.stack([0, 1, 2].map((i) => lax.raggedDot(lhs2.get(i), rhs, gs)));
    expectClose(batched, loop, 1e-12);
    // group sizes batched too: each row of sizes its own grouping
    const gsB = i32([2, 0, 4, 7, 0, 0, 1, 1, 1], [3, 3]);
    const byGroup = vmap((s: Value) => lax.raggedDot(lhs, rhs, s))(gsB);
    const loop2 = np.stack([0, 1, 2].map((i) => lax.raggedDot(lhs, rhs, gsB.get(i))));
    expectClose(byGroup, loop2, 1e-12);
    expectClose(jit((a: Value, b: Value, s: Value) => lax.raggedDot(a, b, s))(lhs, rhs, gs), r.out, 1e-12);
  });

  it("its three modes match JAX; mode 2 (JAX has no gradient) against finite differences", () => {
    const dnOf = (c: [number[], number[]], b: [number[], number[]], ragged: number, group: number[]) => ({
      dotDimensionNumbers: { contracting: c, batch: b }, lhsRaggedDimensions: [ragged], rhsGroupDimensions: group,
    });
    const m = fx.raggedDotGeneral;
    const run = (mode: Mode, dn: ReturnType<typeof dnOf>) => lax.raggedDotGeneral(arr(mode.lhs, "float64", mode.lhsShape), arr(mode.rhs, "float64", mode.rhsShape), i32(mode.groupSizes), dn);
    const dn1 = dnOf([[2], [2]], [[0], [1]], 1, [0]);
    const dn2 = dnOf([[1], [0]], [[], []], 1, []);
    const dn3 = dnOf([[2], [1]], [[0], [0]], 0, []);
    for (const [mode, dn] of [[m.mode1, dn1], [m.mode2, dn2], [m.mode3, dn3]] as const) {
      const o = run(mode, dn);
      expect(o.shape).toEqual(mode.outShape);
      expectClose(o, mode.out, 1e-12);
    }
    const w2 = arr(m.mode2.w!, "float64", m.mode2.outShape);
    const rhs2 = arr(m.mode2.rhs, "float64", m.mode2.rhsShape);
    const lhs2 = arr(m.mode2.lhs, "float64", m.mode2.lhsShape);
    const loss = (a: Value, b: Value) => sumTimes(w2)(lax.raggedDotGeneral(a, b, i32(m.mode2.groupSizes), dn2));
    checkFd((a) => loss(a, rhs2), lhs2, grad(loss, { argnums: 0 })(lhs2, rhs2), 5);
    checkFd((b) => loss(lhs2, b), rhs2, grad(loss, { argnums: 1 })(lhs2, rhs2), 6);
  });

  it("refuses bad input with typed errors", () => {
    expect(() => lax.raggedDot(lhs, rhs, arr([1, 2, 3], "float32"))).toThrow(DTypeError);
    expect(() => lax.raggedDot(lhs, rhs, i32([1, 2]))).toThrow(ShapeError);
    expect(() => lax.raggedDot(lhs, rhs.get(":", ":", [0, 2]), gs)).not.toThrow();
    expect(() => lax.raggedDot(lhs, np.ones([3, 2, 4], { dtype: "float64" }), gs)).toThrow(/lhs \[m, k\] and rhs \[g, k, n\]/);
    expect(() => lax.raggedDot(lhs, rhs, gs, { groupOffset: i32([0]) })).toThrow(UnsupportedError);
  });

  gpuIt("WebGPU equals the CPU", async () => {
    const a = randArr(r.lhsShape, 11, -1, 1, "float32");
    const b = randArr(r.rhsShape, 12, -1, 1, "float32");
    const cpu = values(lax.raggedDot(a, b, gs));
    const gpu = await gpuValues(lax.raggedDot(toGpu(a), toGpu(b), toGpu(gs)));
    expectClose(arr(gpu, "float32"), cpu, 1e-5);
  });
});

describe("lax.rngBitGenerator", () => {
  it(`reproduces XLA's bits and new keys exactly (${fx.rngBitGenerator.length} cases: Philox as the default, ThreeFry, uint32 and uint8)`, () => {
    for (const c of fx.rngBitGenerator) {
      const [next, bits] = lax.rngBitGenerator(arr(c.key, "uint32"), c.shape, c.dtype, c.algorithm);
      expect(bits.shape, JSON.stringify(c)).toEqual(c.shape);
      expect(bits.dtype).toBe(c.dtype);
      expect(values(bits), `${c.algorithm} ${c.dtype} ${JSON.stringify(c.shape)} key ${c.key}`).toEqual(c.bits);
      expect(values(next)).toEqual(c.newKey);
    }
  });

  it("jit equals eager; vmap over keys equals a loop", () => {
    const keys = arr([1, 2, 3, 4, 5, 6, 7, 8, 0xffffffff, 0, 1, 2], "uint32", [3, 4]);
    for (const alg of ["default", "threefry"] as const) {
      const f = (k: Value) => lax.rngBitGenerator(k, [3, 5], "uint32", alg);
      const [, eager] = f(keys.get(0));
      const [, jitted] = jit(f)(keys.get(0));
      expect(values(jitted)).toEqual(values(eager));
      const [nextB, bitsB] = vmap(f)(keys);
      for (let i = 0; i < 3; i++) {
        const [n, b] = f(keys.get(i));
        expect(values((bitsB as JArray).get(i))).toEqual(values(b));
        expect(values((nextB as JArray).get(i))).toEqual(values(n));
      }
    }
  });

  it("refuses other dtypes, keys and algorithms", () => {
    const k = arr([1, 2, 3, 4], "uint32");
    expect(() => lax.rngBitGenerator(k, [2], "uint16")).toThrow(UnsupportedError);
    expect(() => lax.rngBitGenerator(k, [2], "float32")).toThrow(DTypeError);
    expect(() => lax.rngBitGenerator(arr([1, 2], "uint32"), [2])).toThrow(ShapeError);
    expect(() => lax.rngBitGenerator(k, [2], "uint32", "mt19937" as "default")).toThrow(ArgumentError);
  });

  gpuIt("WebGPU gives the same bits", async () => {
    const k = arr([0xffffffff, 7, 0xfffffffe, 0xffffffff], "uint32");
    for (const alg of ["default", "threefry"] as const) {
      const [, cpu] = lax.rngBitGenerator(k, [3, 5], "uint32", alg);
      const [, gpu] = lax.rngBitGenerator(toGpu(k), [3, 5], "uint32", alg);
      expect(await gpuValues(gpu)).toEqual(values(cpu));
    }
  });
});

describe("lax.rngUniform", () => {
  it("draws in [a, b) with a's dtype, like JAX's sample, and differs between calls", () => {
    const a = lax.rngUniform(np.array(2, { dtype: "float32" }), np.array(5, { dtype: "float32" }), [1000]);
    const b = lax.rngUniform(np.array(2, { dtype: "float32" }), np.array(5, { dtype: "float32" }), [1000]);
    expect(a.dtype).toBe("float32");
    const va = values(a);
    expect(Math.min(...va)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...va)).toBeLessThan(5);
    // JAX's own sample has the same mean within sampling error (sd of a mean of 1000 uniforms on [2, 5): 0.027)
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(Math.abs(mean(va) - mean(fx.rngUniform.sample))).toBeLessThan(0.2);
    expect(values(b)).not.toEqual(va);
    const ints = values(lax.rngUniform(np.array(0, { dtype: "int32" }), np.array(10, { dtype: "int32" }), [200]));
    expect(ints.every((v) => Number.isInteger(v) && v >= 0 && v < 10)).toBe(true);
    expect(new Set(ints).size).toBe(10);
  });
});

describe("lax.scatterApply", () => {
  const s = fx.scatterApply;
  const x = arr(s.x, "float64");
  const idx = i32(s.idx);
  it("applies the function once per mention, as JAX (out-of-range dropped)", () => {
    expectClose(lax.scatterApply(x, idx, (v) => np.sin(v), { axis: 0 }), s.sin, 1e-12);
    expectClose(lax.scatterApply(x, idx, (v) => v.mul(2).add(1), { axis: 0 }), s.affine, 1e-12);
    const s2 = fx.scatterApply2d;
    expectClose(lax.scatterApply(arr(s2.x, "float64", [3, 4]), i32(s2.idx), (v) => np.cos(v), { axis: 1 }), s2.out, 1e-12);
  });
  it("has a gradient (JAX has none) that matches finite differences; vmap equals a loop; jit equals eager", () => {
    const f = (v: Value) => np.sum(np.multiply(lax.scatterApply(v, idx, (u) => np.sin(u), { axis: 0 }), arr([1, 2, 3, 4, 5, 6], "float64")));
    checkFd(f, x, grad(f)(x), 8);
    const xs = randArr([3, 6], 9);
    const g = (v: Value) => lax.scatterApply(v, idx, (u) => np.sin(u), { axis: 0 });
    expectClose(vmap(g)(xs), np.stack([0, 1, 2].map((i) => g(xs.get(i)))), 1e-12);
    expectClose(jit(g)(x), s.sin, 1e-12);
  });
  it("needs options.axis", () => {
    expect(() => lax.scatterApply(x, idx, (v) => v, undefined as never)).toThrow(ArgumentError);
  });
  gpuIt("WebGPU equals the CPU", async () => {
    const xf = arr(s.x, "float32");
    const cpu = values(lax.scatterApply(xf, idx, (v) => np.sin(v), { axis: 0 }));
    expectClose(arr(await gpuValues(lax.scatterApply(toGpu(xf), toGpu(idx), (v) => np.sin(v), { axis: 0 })), "float32"), cpu, 1e-5);
  });
});

describe("lax.convGeneralDilatedLocal", () => {
  const c = fx.convLocal.nchw;
  const lhs = arr(c.lhs, "float64", c.lhsShape);
  const rhs = arr(c.rhs, "float64", c.rhsShape);
  const local = (a: Value, b: Value) => lax.convGeneralDilatedLocal(a, b, [1, 2], "SAME", [2, 3]);
  it("matches JAX's values and gradients (NCHW), and NHWC/HWIO layouts", () => {
    const o = local(lhs, rhs);
    expect(o.shape).toEqual(c.outShape);
    expectClose(o, c.out, 1e-12);
    const w = arr(c.w!, "float64", c.outShape);
    const loss = (a: Value, b: Value) => sumTimes(w)(local(a, b));
    expectClose(grad(loss, { argnums: 0 })(lhs, rhs), c.gradLhs, 1e-12);
    expectClose(grad(loss, { argnums: 1 })(lhs, rhs), c.gradRhs, 1e-12);
    const n = fx.convLocal.nhwc;
    const on = lax.convGeneralDilatedLocal(arr(n.lhs, "float64", n.lhsShape), arr(n.rhs, "float64", n.rhsShape), [1, 1], "VALID", [2, 2], {
      dimensionNumbers: ["NHWC", "HWIO", "NHWC"],
    });
    expect(on.shape).toEqual(n.outShape);
    expectClose(on, n.out, 1e-12);
  });
  it("vmap over lhs equals a loop; jit equals eager; a wrong filter count is a ShapeError", () => {
    const xs = randArr([2, ...c.lhsShape], 13);
    expectClose(vmap((a: Value) => local(a, rhs))(xs), np.stack([0, 1].map((i) => local(xs.get(i), rhs))), 1e-12);
    expectClose(jit(local)(lhs, rhs), c.out, 1e-12);
    expect(() => local(lhs, rhs.get(":", ":", [0, 2]))).toThrow(ShapeError);
  });
  gpuIt("WebGPU equals the CPU", async () => {
    const a = arr(c.lhs, "float32", c.lhsShape);
    const b = arr(c.rhs, "float32", c.rhsShape);
    expectClose(arr(await gpuValues(local(toGpu(a), toGpu(b))), "float32"), values(local(a, b)), 1e-4);
  });
});

describe("lax.randomGammaGrad, lax.scaledDot", () => {
  const g = fx.randomGammaGrad;
  it("randomGammaGrad matches JAX in float64 and float32; its own gradient matches finite differences", () => {
    expectClose(lax.randomGammaGrad(arr(g.a, "float64"), arr(g.x, "float64")), g.out, 1e-9);
    expectClose(lax.randomGammaGrad(arr(g.a, "float32"), arr(g.x, "float32")), g.outF32, 2e-4);
    const a = arr(g.a, "float64");
    const f = (v: Value) => np.sum(lax.randomGammaGrad(v, arr(g.x, "float64")));
    checkFd(f, a, grad(f)(a), 14, 1e-5);
    expectClose(vmap((v: Value, u: Value) => lax.randomGammaGrad(v, u))(a, arr(g.x, "float64")), g.out, 1e-9);
  });
  it("scaledDot repeats each scale over its block: numpy's float64 value exactly, JAX's to its bfloat16 rounding", () => {
    const s = fx.scaledDot;
    const o = lax.scaledDot(arr(s.lhs, "float64", [3, 8]), arr(s.rhs, "float64", [8, 2]), {
      lhsScale: arr(s.lhsScale, "float64", [3, 2]), rhsScale: arr(s.rhsScale, "float64", [2, 2]),
    });
    expectClose(o, s.outF64, 1e-12);
    // JAX rounds the scaled operands to bfloat16 (8 significant bits) before the product
    expectClose(o, s.out, 0.05);
    expect(() => lax.scaledDot(np.ones([2, 4]), np.ones([4, 3]), { lhsScale: np.ones([2, 3]) })).toThrow(ShapeError);
  });
});

describe("program-shaping names", () => {
  it("dtype, shapeAsValue, stage, tokens, composite", () => {
    expect(lax.dtype(np.ones([2], { dtype: "int8" }))).toBe(fx.dtype.int8);
    expect(lax.dtype("float32")).toBe(fx.dtype.name);
    const sv = lax.shapeAsValue([2, 3, 5]);
    expect(sv.dtype).toBe("int32");
    expect(values(sv)).toEqual(fx.shapeAsValue);
    const staged = lax.stage(3);
    expect(staged.shape).toEqual([]);
    expect(values(staged)).toEqual([3]);
    const x2 = arr([1, 2], "float64");
    expect(lax.stage(x2)).toBe(x2);
    const t = lax.afterAll(lax.createToken(), lax.createToken());
    expect(t).toBeInstanceOf(lax.Token);
    expect(() => lax.afterAll(np.ones([2]) as never)).toThrow(ArgumentError);
    const twice = lax.composite((x: Value) => x.mul(2), "my.twice");
    expectClose(twice(arr([1, 2], "float64")), [2, 4], 0);
    expectClose(jit(twice)(arr([1, 2], "float64")), [2, 4], 0);
    expect(() => lax.composite((x: Value) => x, "")).toThrow(ArgumentError);
  });
  it("platformDependent picks the CPU branch here, the default elsewhere, and checks branches", () => {
    const branches = { cpu: (x: Value) => x.add(1), default: (x: Value) => x.sub(1) };
    expectClose(lax.platformDependent(branches, arr([1], "float64")), [2], 0);
    expectClose(lax.platformDependent({ webgpu: (x: Value) => x.add(1), default: (x: Value) => x.sub(1) }, arr([1], "float64")), [0], 0);
    expectClose(jit((x: Value) => lax.platformDependent(branches, x))(arr([1], "float64")), [2], 0);
    expect(() => lax.platformDependent({ gpu: (x: Value) => x } as never, arr([1]))).toThrow(/webgpu/);
    expect(() => lax.platformDependent({ webgpu: (x: Value) => x }, arr([1]))).toThrow(ArgumentError);
  });
  gpuIt("platformDependent picks the webgpu branch for arrays on WebGPU", async () => {
    const branches = { cpu: (x: Value) => x.add(1), webgpu: (x: Value) => x.add(10) };
    expect(await gpuValues(lax.platformDependent(branches, toGpu(arr([1], "float32"))))).toEqual([11]);
  });
  it("withShardingConstraint is the identity after checking the specs; pcast needs a bound axis", () => {
    const x = arr([1, 2, 3, 4], "float64", [2, 2]);
    expect(lax.withShardingConstraint(x, new PartitionSpec("data", null))).toBe(x);
    expect(lax.withShardingConstraint({ a: x }, { a: null })).toEqual({ a: x });
    expect(() => lax.withShardingConstraint(x, new PartitionSpec("a", "b", "c"))).toThrow(ShapeError);
    expect(() => lax.withShardingConstraint(x, "data" as never)).toThrow(ArgumentError);
    const y = vmap((v: Value) => lax.pcast(v, "i", { to: "varying" }), { axisName: "i" })(arr([1, 2, 3], "float64"));
    expectClose(y, [1, 2, 3], 0);
    expect(() => lax.pcast(x, "i", { to: "varying" })).toThrow(AxisNameError);
    expect(() => lax.pcast(x, "i", { to: "sideways" as never })).toThrow(ArgumentError);
  });
});

// keep the DType import used for the fixture's dtype names
export type { DType };
