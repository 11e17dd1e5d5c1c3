/**
 * The CPU backend's WebAssembly kernels and its shared-memory allocator:
 * vector math against float64 references (max error in float32 ulps, over
 * every binade and the special values), every other op against the
 * JavaScript path, fused kernels with broadcasts, offsets, reversed axes and
 * odd lengths, reductions, eligibility, and buffer reuse and accounting.
 */
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { jit, numpy as np } from "../src/index.js";
import type { Array as JArray } from "../src/array.js";
import { allocate } from "../src/dtype.js";
import type { Expr, Kernel, ReduceOp, UnaryOp } from "../src/backend/kernel.js";
import { binary, constant, load, unary } from "../src/backend/kernel.js";
import { compileKernel } from "../src/backend/cpu/codegen.js";
import { cpuBackend } from "../src/backend/cpu/index.js";
import { alloc, getPoolLimit, inMemory, memoryStats, release, retain, setPoolLimit, sizeClass } from "../src/backend/cpu/memory.js";
import { erf } from "../src/backend/cpu/scalar-math.js";
import { planKernel } from "../src/backend/cpu/wasm/compiler.js";
import { runWasmKernel, setWasmEnabled, setWasmThreadMinWork, wasmEnabled, wasmLaunchCount, wasmRows } from "../src/backend/cpu/wasm/index.js";
import { setThreads, startThreads, threadedJobCount } from "../src/backend/cpu/threads.js";
import { TRIG_FAST_LIMIT } from "../src/backend/cpu/wasm/vmath.js";
import type { Value } from "../src/trace/core.js";

const F = "float32";
const X = load(0, F);
const Y = load(1, F);

/** A kernel over `shape` whose inputs all have the given views (contiguous row-major by default). */
function kernel(shape: number[], expr: Expr, views?: { strides: number[]; offset: number }[], reduce?: { op: ReduceOp; axes: number }): Kernel {
  const contiguous = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const nIn = views?.length ?? countInputs(expr);
  return {
    loopShape: shape,
    inputs: Array.from({ length: nIn }, (_, j) => ({ dtype: F, view: views?.[j] ?? { strides: contiguous, offset: 0 } })),
    expr,
    reduce,
    dtype: F,
  };
}
function countInputs(e: Expr): number {
  switch (e.kind) {
    case "input":
      return e.input + 1;
    case "const":
    case "index":
      return 0;
    case "unary":
    case "cast":
    case "ipow":
      return countInputs(e.arg);
    case "binary":
      return Math.max(countInputs(e.lhs), countInputs(e.rhs));
    case "select":
      return Math.max(countInputs(e.which), ...e.cases.map(countInputs));
    case "fma":
      return Math.max(...e.args.map(countInputs));
  }
}

function pooled(values: ArrayLike<number>): Float32Array {
  const a = alloc(F, values.length) as Float32Array;
  a.set(values);
  return a;
}

function outSize(k: Kernel): number {
  const kept = k.reduce ? k.loopShape.slice(0, k.loopShape.length - k.reduce.axes) : k.loopShape;
  return kept.reduce((a, b) => a * b, 1);
}

/** The kernel run both ways: [WebAssembly, JavaScript]. Fails if the WebAssembly path declines it. */
function both(k: Kernel, inputs: Float32Array[]): [Float32Array, Float32Array] {
  const w = alloc(F, outSize(k)) as Float32Array;
  const j = allocate(F, outSize(k)) as Float32Array;
  expect(runWasmKernel(k, w, inputs)).toBe(true);
  compileKernel(k)(j, ...inputs);
  return [w, j];
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (b: number) => ((u32[0] = b >>> 0), f32[0]);
const bitsOf = (x: number) => ((f32[0] = x), u32[0]);

/** |got − ref| in units of the float32 ulp at ref (ref computed in float64); Infinity for a wrong special value. */
function ulpError(got: number, ref: number): number {
  if (Number.isNaN(ref) || Number.isNaN(got)) return Number.isNaN(ref) && Number.isNaN(got) ? 0 : Infinity;
  const r32 = Math.fround(ref);
  if (!Number.isFinite(r32) || !Number.isFinite(got)) return got === r32 ? 0 : Infinity;
  // the signs of zero are checked separately (the float64 references disagree among themselves)
  if (got === 0 && r32 === 0) return 0;
  const a = Math.abs(ref);
  const ulp = a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
  return Math.abs(got - ref) / ulp;
}

/** Arguments covering every binade of both signs, the special values and each function's thresholds. */
function testPoints(): number[] {
  const pts = [0, -0, Infinity, -Infinity, NaN, fromBits(1), fromBits(0x80000001), fromBits(0x007fffff), fromBits(0x807fffff)];
  pts.push(2 ** -126, -(2 ** -126), 3.4028234663852886e38, -3.4028234663852886e38, 1, -1, 0.5, -0.5, 2, -2);
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  for (let e = -149; e <= 127; e++) {
    for (let k = 0; k < 12; k++) {
      const v = Math.fround((1 + rnd()) * 2 ** e);
      pts.push(v, -v);
    }
  }
  for (let i = -2000; i <= 2000; i++) pts.push(Math.fround(i / 18));
  for (let i = -600; i <= 600; i++) pts.push(Math.fround(i / 5));
  // thresholds: overflow/underflow of exp, the branch points of tanh, erf, expm1, log near 1, log1p near 0
  const edges = [88.72283, 88.7228391, 88.8, -87.33654, -103.972, -104, 0.625, 1, 2, 4, 3.9, Math.LN2, Math.LN2 / 2, 16.5, 24, 17.3];
  for (const t of edges) for (let d = -3; d <= 3; d++) for (const sgn of [1, -1]) pts.push(fromBits(bitsOf(Math.fround(t * sgn)) + d));
  for (let d = -40; d <= 40; d++) pts.push(fromBits(bitsOf(1) + d), fromBits(bitsOf(-1) + d), fromBits(bitsOf(1e-7) + d));
  // the float32 values nearest multiples of π/2, up to and beyond the fast reduction's range
  for (const j of [1, 2, 3, 4, 5, 10, 100, 1000, 12345, 100000, 636000, 700000, 1e7, 1e9]) {
    const v = Math.fround((j * Math.PI) / 2);
    for (let d = -2; d <= 2; d++) pts.push(fromBits(bitsOf(v) + d), -fromBits(bitsOf(v) + d));
  }
  pts.push(TRIG_FAST_LIMIT, fromBits(bitsOf(TRIG_FAST_LIMIT) + 1), 1e20, -3e38, 123456.789, 99999.99);
  return pts;
}
const POINTS = testPoints();

const MATH: { op: UnaryOp; ref: (x: number) => number; maxUlp: number }[] = [
  { op: "exp", ref: Math.exp, maxUlp: 1 },
  { op: "exp2", ref: (x) => Math.pow(2, x), maxUlp: 1 },
  { op: "log", ref: Math.log, maxUlp: 1 },
  { op: "sin", ref: Math.sin, maxUlp: 1 },
  { op: "cos", ref: Math.cos, maxUlp: 1 },
  // one rounding more than exp: 1 − 2/(e^(2|x|) + 1) just above 0.625
  { op: "tanh", ref: Math.tanh, maxUlp: 1.5 },
  // exp's error plus one division
  { op: "logistic", ref: (x) => 1 / (1 + Math.exp(-x)), maxUlp: 2 },
  { op: "erf", ref: erf, maxUlp: 1.5 },
  { op: "expm1", ref: Math.expm1, maxUlp: 1.5 },
  // log's error on u = 1 + x plus the correction term's rounding
  { op: "log1p", ref: Math.log1p, maxUlp: 1.5 },
];

afterEach(() => {
  setWasmEnabled(true);
});

describe("WebAssembly vector math against float64", () => {
  it("is available in this runtime", () => {
    expect(wasmEnabled()).toBe(true);
  });
  const xs = pooled(POINTS);
  for (const { op, ref, maxUlp } of MATH) {
    it(`${op}: at most ${maxUlp} ulp over ${POINTS.length} points incl. ±0, denormals, ±Inf, NaN`, () => {
      const k = kernel([xs.length], unary(op, X));
      const out = alloc(F, xs.length) as Float32Array;
      expect(runWasmKernel(k, out, [xs])).toBe(true);
      let worst = 0;
      let at = 0;
      for (let i = 0; i < xs.length; i++) {
        const e = ulpError(out[i], ref(xs[i]));
        if (e > worst) [worst, at] = [e, xs[i]];
      }
      expect(worst, `${op}(${at}) is off by ${worst} ulp`).toBeLessThanOrEqual(maxUlp);
    });
  }
  it("sin and cos beyond the fast range equal the host's float64 results rounded", () => {
    const big = pooled([2e6, -3e6, 1e20, -3.4e38, 12345678, 1e6 + 64, 5, 6, 7]);
    for (const op of ["sin", "cos"] as const) {
      const [w] = both(kernel([big.length], unary(op, X)), [big]);
      big.forEach((x, i) => expect(w[i]).toBe(Math.fround(Math[op](x))));
    }
  });
  it("keeps the sign of zero where the function is odd (f(±0) = ±0)", () => {
    const z = pooled([0, -0, 0, -0, 0]);
    for (const op of ["sin", "tanh", "erf", "expm1", "log1p", "sqrt", "round", "sign", "floor", "ceil"] as UnaryOp[]) {
      const [w] = both(kernel([5], unary(op, X)), [z]);
      for (let i = 0; i < 5; i++) expect(Object.is(w[i], z[i]), `${op}(${Object.is(z[i], -0) ? "-0" : "0"}) = ${w[i]}`).toBe(true);
    }
  });
});

describe("WebAssembly elementwise ops equal the JavaScript path", () => {
  const specials = [0, -0, 1, -1, 0.5, -0.5, 1.5, -2.5, 2.5, 0.49999997, -0.49999997, 3.7, -3.7, 1e-40, -1e-40, 1e30, -1e30, Infinity, -Infinity, NaN, 8388609, -8388609.5];
  const a = pooled([...specials, ...specials.map(() => 0).map((_, i) => Math.sin(i) * 10)]);
  const b = pooled([...specials.slice().reverse(), ...specials.map((_, i) => Math.cos(i) * 10)]);
  const n = a.length;
  const exact = (k: Kernel, name: string) => {
    const [w, j] = both(k, [a, b]);
    for (let i = 0; i < n; i++) {
      // the JavaScript path's round(−0) is +0 (Math.floor(−0 + 0.5)); IEEE and this path give −0
      if (name === "round" && Object.is(a[i], -0)) continue;
      expect(Object.is(w[i], j[i]) || (w[i] === j[i] && w[i] !== 0), `${name} at ${a[i]}, ${b[i]}: ${w[i]} vs ${j[i]}`).toBe(true);
    }
  };
  for (const op of ["neg", "abs", "sqrt", "floor", "ceil", "round", "sign", "square", "reciprocal"] as UnaryOp[]) {
    it(`${op} bit for bit`, () => exact(kernel([n], unary(op, X), [{ strides: [1], offset: 0 }, { strides: [1], offset: 0 }]), op));
  }
  for (const op of ["add", "sub", "mul", "div", "max", "min"] as const) {
    it(`${op} bit for bit (max/min propagate NaN and order −0 < +0 as Math.max/min)`, () => exact(kernel([n], binary(op, X, Y)), op));
  }
  it("comparisons, bool logic, select and casts", () => {
    for (const op of ["eq", "ne", "lt", "le", "gt", "ge"] as const) {
      const cmp = binary(op, X, Y, "bool");
      exact(kernel([n], { kind: "select", which: cmp, cases: [Y, X], dtype: F }), `select ${op}`);
      exact(kernel([n], { kind: "cast", arg: cmp, dtype: F }), `cast ${op}`);
    }
    const both2 = binary("and", binary("gt", X, constant(0, F), "bool"), unary("not", binary("lt", Y, constant(1, F), "bool"), "bool"), "bool");
    exact(kernel([n], { kind: "select", which: binary("xor", both2, unary("is_finite", X, "bool"), "bool"), cases: [X, Y], dtype: F }), "bool logic");
    exact(kernel([n], { kind: "cast", arg: { kind: "cast", arg: X, dtype: "bool" }, dtype: F }), "float → bool → float");
  });
  it("integer powers bit for bit (float64 squarings, as the JavaScript path)", () => {
    for (const p of [0, 1, 2, 3, 5, 8, -1, -2, -3, 13]) exact(kernel([n], { kind: "ipow", arg: X, exponent: p, dtype: F }), `x^${p}`);
  });
  it("rsqrt within 1 ulp", () => {
    const [w, j] = both(kernel([n], unary("rsqrt", X)), [a]);
    for (let i = 0; i < n; i++) expect(ulpError(w[i], j[i])).toBeLessThanOrEqual(1);
  });
});

/** Max relative difference, treating matching NaNs and infinities as equal. */
function maxRel(w: Float32Array, j: Float32Array): number {
  let m = 0;
  for (let i = 0; i < w.length; i++) {
    if (Number.isNaN(w[i]) && Number.isNaN(j[i])) continue;
    if (w[i] === j[i]) continue;
    m = Math.max(m, Math.abs(w[i] - j[i]) / Math.max(Math.abs(j[i]), 1e-30));
  }
  return m;
}

describe("fused kernels: shapes, views and tails", () => {
  const base = pooled(Array.from({ length: 4096 }, (_, i) => Math.sin(i * 0.37) * 4));
  const w1 = unary("exp", binary("add", binary("mul", unary("sin", X), constant(2, F)), constant(1, F)));
  it("exp(sin(x)*2+1) at every length from 0 to 41, and 1000 + 3", () => {
    for (const len of [...Array.from({ length: 42 }, (_, i) => i), 1003]) {
      const k = kernel([len], w1);
      if (len === 0) continue;
      const [w, j] = both(k, [base]);
      expect(maxRel(w, j)).toBeLessThan(1e-6);
    }
  });
  it("broadcasts (stride 0) along the row, along the columns, and a scalar", () => {
    const e = binary("add", unary("tanh", X), binary("mul", Y, unary("exp", Y)));
    const cases: [number[], { strides: number[]; offset: number }[]][] = [
      [[7, 13], [{ strides: [13, 1], offset: 0 }, { strides: [0, 1], offset: 5 }]],
      [[7, 13], [{ strides: [13, 1], offset: 0 }, { strides: [1, 0], offset: 3 }]],
      [[7, 13], [{ strides: [0, 0], offset: 9 }, { strides: [13, 1], offset: 2 }]],
      [[3, 5, 6], [{ strides: [30, 6, 1], offset: 1 }, { strides: [0, 1, 0], offset: 0 }]],
      [[], [{ strides: [], offset: 4 }, { strides: [], offset: 7 }]],
    ];
    for (const [shape, views] of cases) {
      const [w, j] = both(kernel(shape, e, views), [base, base]);
      expect(maxRel(w, j)).toBeLessThan(1e-6);
    }
  });
  it("offsets, reversed and transposed outer axes (the innermost axis contiguous)", () => {
    const e = binary("sub", unary("log", unary("abs", X)), binary("max", X, Y));
    const views = [
      { strides: [-20, 1], offset: 20 * 9 + 3 },
      { strides: [1, 0], offset: 100 },
    ];
    const [w, j] = both(kernel([10, 17], e, views), [base, base]);
    expect(maxRel(w, j)).toBeLessThan(1e-6);
    // a transposed 3-d view: axes 0 and 1 swapped, innermost contiguous
    const t = [{ strides: [7, 35, 1], offset: 11 }];
    const [w2, j2] = both(kernel([5, 4, 7], unary("cos", X), t), [base]);
    expect(maxRel(w2, j2)).toBeLessThan(1e-6);
  });
  it("split into row ranges [begin, end) gives the whole result", () => {
    // rows of 11 read from rows of 12: the axes do not merge
    const k = kernel([9, 11], w1, [{ strides: [12, 1], offset: 0 }]);
    const full = alloc(F, 99) as Float32Array;
    runWasmKernel(k, full, [base]);
    expect(wasmRows(k)).toBe(9);
    const parts = alloc(F, 99) as Float32Array;
    for (const [b, e] of [[0, 2], [2, 3], [3, 9]]) expect(runWasmKernel(k, parts, [base], b, e)).toBe(true);
    expect(Array.from(parts)).toEqual(Array.from(full));
    // an output outside the memory keeps what the other ranges wrote
    const plain = allocate(F, 99) as Float32Array;
    runWasmKernel(k, plain, [base], 0, 4);
    runWasmKernel(k, plain, [base], 4, 9);
    expect(Array.from(plain)).toEqual(Array.from(full));
  });
  it("operands outside the shared memory are copied in (routine outputs, buffers past the pool limit)", () => {
    const plain = allocate(F, 64) as Float32Array;
    plain.set(base.subarray(0, 64));
    expect(inMemory(plain)).toBe(false);
    const [w, j] = both(kernel([64], binary("mul", unary("erf", X), Y)), [plain, base]);
    expect(maxRel(w, j)).toBeLessThan(1e-6);
  });
  it("jit through the public API agrees with the JavaScript path", () => {
    const x = np.array(new Float32Array(base.subarray(0, 1001)));
    const m = np.array(new Float32Array(base.subarray(0, 7)));
    const f = (x: Value, m: Value) => {
      const y = np.exp(np.sin(x).mul(2).add(1));
      const z = np.tanh(x.reshape([7, 143]).mul(m.reshape([7, 1])));
      return [y, z.sum(1), np.maximum(x, 0).max(), np.log1p(np.abs(x)).mean()];
    };
    const run = (wasm: boolean) => {
      setWasmEnabled(wasm);
      return (jit(f)(x, m) as JArray[]).map((a) => a.dataSync() as Float32Array);
    };
    const launches = wasmLaunchCount();
    const js = run(false);
    expect(wasmLaunchCount()).toBe(launches);
    const wasm = run(true);
    // the elementwise kernel, the row sums, the max and the mean: all as WebAssembly
    expect(wasmLaunchCount() - launches).toBeGreaterThanOrEqual(4);
    js.forEach((a, i) => expect(maxRel(wasm[i], a), `output ${i}`).toBeLessThan(2e-6));
  });
});

describe("reductions over the innermost axis", () => {
  const vals = pooled(Array.from({ length: 3000 }, (_, i) => 0.5 + ((i * 7919) % 1000) / 1000));
  it("sum, max, min, prod for row lengths with every tail, one row and many", () => {
    for (const op of ["sum", "max", "min", "prod"] as ReduceOp[]) {
      for (const [rows, len] of [[1, 1], [1, 3], [1, 4], [1, 9], [5, 7], [3, 16], [2, 33], [4, 129], [1, 2999]]) {
        const k = kernel([rows, len], unary("abs", X), undefined, { op, axes: 1 });
        const [w, j] = both(k, [vals]);
        expect(maxRel(w, j), `${op} ${rows}×${len}`).toBeLessThan(op === "prod" ? 1e-6 : 1e-7);
      }
    }
  });
  it("a whole-array sum of a fused expression, and a sum of a broadcast", () => {
    const [w, j] = both(kernel([3000], binary("mul", X, X), undefined, { op: "sum", axes: 1 }), [vals]);
    expect(maxRel(w, j)).toBeLessThan(1e-7);
    const bc = kernel([6, 50], X, [{ strides: [1, 0], offset: 0 }], { op: "sum", axes: 1 });
    const [w2, j2] = both(bc, [vals]);
    expect(Array.from(w2)).toEqual(Array.from(j2));
  });
  it("max and min propagate NaN; an empty row gives the identity", () => {
    const v = pooled([1, 2, NaN, 4, 5, 6, 7, 8, 9, -1]);
    for (const op of ["max", "min", "sum"] as ReduceOp[]) {
      const [w] = both(kernel([2, 5], X, undefined, { op, axes: 1 }), [v]);
      expect(Number.isNaN(w[0])).toBe(true);
      expect(w[1]).toBe(op === "max" ? 9 : op === "min" ? -1 : 29);
    }
    const empty = kernel([3, 0], X, [{ strides: [0, 1], offset: 0 }], { op: "max", axes: 1 });
    const [w] = both(empty, [v]);
    expect(Array.from(w)).toEqual([-Infinity, -Infinity, -Infinity]);
  });
  it("a reduction over an outer axis runs as columns (lanes along the kept axis); over two axes that do not merge, on the JavaScript path", () => {
    const outer = kernel([4, 6], X, [{ strides: [1, 4], offset: 0 }], { op: "sum", axes: 1 });
    expect(planKernel(outer)?.columns).toBe(true);
    for (const op of ["sum", "max", "min", "prod"] as const) {
      const [w, j] = both(kernel([5, 6], X, [{ strides: [1, 5], offset: 0 }], { op, axes: 1 }), [vals]);
      expect(Array.from(w), op).toEqual(Array.from(j));
    }
    // an empty reduced axis: the identity in every lane
    const [w0] = both(kernel([5, 0], X, [{ strides: [1, 5], offset: 0 }], { op: "max", axes: 1 }), [vals]);
    expect(Array.from(w0)).toEqual([-Infinity, -Infinity, -Infinity, -Infinity, -Infinity]);
    const twoAxes = kernel([3, 4, 5], X, [{ strides: [5, 15, 1], offset: 0 }], { op: "sum", axes: 2 });
    expect(planKernel(twoAxes)).toBeNull();
    // and the backend still computes it (JavaScript)
    const out = cpuBackend.run({ kind: "kernel", kernel: twoAxes }, [vals], [{ shape: [60], dtype: F }], [{ shape: [3], dtype: F }])[0];
    const ref = allocate(F, 3);
    compileKernel(twoAxes)(ref, vals);
    expect(Array.from(out)).toEqual(Array.from(ref));
  });
});

describe("eligibility", () => {
  it("float32 kernels with a contiguous or broadcast innermost axis and vector ops only", () => {
    expect(planKernel(kernel([10], unary("exp", X)))).not.toBeNull();
    expect(planKernel(kernel([10], unary("tan", X)))).toBeNull();
    expect(planKernel(kernel([10], binary("pow", X, X)))).toBeNull();
    expect(planKernel(kernel([10], X, [{ strides: [2], offset: 0 }]))).toBeNull();
    expect(planKernel(kernel([10], X, [{ strides: [-1], offset: 9 }]))).toBeNull();
    expect(planKernel({ ...kernel([10], X), dtype: "int32" })).toBeNull();
    expect(planKernel(kernel([10], { kind: "index", axis: 0, dtype: F }))).toBeNull();
    // an int32 input runs in int32 lanes (small-ints-wasm-ops.test.ts); a float64 one has no lanes here
    const intIn: Kernel = { loopShape: [4], inputs: [{ dtype: "int32", view: { strides: [1], offset: 0 } }], expr: { kind: "cast", arg: load(0, "int32"), dtype: F }, dtype: F };
    expect(planKernel(intIn)?.inputDtypes).toEqual(["int32"]);
    const f64In: Kernel = { loopShape: [4], inputs: [{ dtype: "float64", view: { strides: [1], offset: 0 } }], expr: { kind: "cast", arg: load(0, "float64"), dtype: F }, dtype: F };
    expect(planKernel(f64In)).toBeNull();
  });
  it("kernels that differ only in shape, strides and offsets share one module", () => {
    const a = planKernel(kernel([10, 20], unary("exp", X), [{ strides: [30, 1], offset: 0 }]))!;
    const b = planKernel(kernel([3, 7], unary("exp", X), [{ strides: [-7, 1], offset: 14 }]))!;
    expect(a.key).toBe(b.key);
    expect(a.params).not.toEqual(b.params);
  });
});

describe("the shared-memory allocator", () => {
  it("size classes are 16-byte multiples at most 25% above the request", () => {
    for (const n of [1, 15, 16, 17, 64, 65, 100, 1000, 4097, 123457, 1 << 20]) {
      const c = sizeClass(n);
      expect(c % 16).toBe(0);
      expect(c).toBeGreaterThanOrEqual(n);
      expect(c).toBeLessThanOrEqual(Math.max(16, Math.ceil(n * 1.25) + 16));
    }
  });
  it("released blocks are reused, zero-filled, and accounted", () => {
    const before = memoryStats();
    const a = alloc(F, 1000) as Float32Array;
    expect(inMemory(a)).toBe(true);
    expect(a.byteOffset % 16).toBe(0);
    const during = memoryStats();
    expect(during.liveBuffers).toBe(before.liveBuffers + 1);
    expect(during.liveBytes).toBe(before.liveBytes + sizeClass(4000));
    a.fill(7);
    const ptr = a.byteOffset;
    release(a);
    release(a); // a second release is a no-op
    const after = memoryStats();
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.pooledBytes).toBe(during.pooledBytes + sizeClass(4000));
    const b = alloc("int32", 1000);
    expect(b.byteOffset).toBe(ptr);
    expect(b.every((v) => v === 0)).toBe(true);
    release(b);
  });
  it("an aliased buffer is freed only when every owner has released it", () => {
    const a = alloc(F, 256);
    retain(a);
    const live = memoryStats().liveBuffers;
    release(a);
    expect(memoryStats().liveBuffers).toBe(live);
    release(a);
    expect(memoryStats().liveBuffers).toBe(live - 1);
  });
  it("past the pool limit, new blocks are plain TypedArrays and kernels still run (by copying)", () => {
    const limit = getPoolLimit();
    // a size class that no free list holds yet (freed blocks are still reused past the limit)
    const n = 77773;
    try {
      setPoolLimit(0);
      const x = alloc(F, n) as Float32Array;
      expect(inMemory(x)).toBe(false);
      x.set(Array.from({ length: n }, (_, i) => i / 1000 - 30));
      const out = alloc(F, n) as Float32Array;
      expect(inMemory(out)).toBe(false);
      const k = kernel([n], unary("exp", X));
      expect(runWasmKernel(k, out, [x])).toBe(true);
      const ref = allocate(F, n);
      compileKernel(k)(ref, x);
      expect(maxRel(out, ref as Float32Array)).toBeLessThan(3e-7);
      // plain arrays belong to V8, not to the pool: releasing one changes no pool count
      const live = memoryStats().liveBuffers;
      release(x);
      expect(memoryStats().liveBuffers).toBe(live);
    } finally {
      setPoolLimit(limit);
    }
  });
  it("the CPU backend copies uploads in, and Array.dispose returns the buffer", () => {
    // large enough to live in the pool (small arrays are plain TypedArrays)
    const n = 1024;
    const data = new Float32Array(n).map((_, i) => i + 1);
    const x = np.array(data) as JArray;
    data[0] = 99;
    expect(Array.from(x.dataSync().slice(0, 3))).toEqual([1, 2, 3]);
    const y = x.mul(2) as JArray;
    const live = memoryStats().liveBuffers;
    y.dispose();
    y.dispose();
    expect(memoryStats().liveBuffers).toBe(live - 1);
    // a reshape aliases its input's buffer: disposing the input must not free it under the alias
    const z = x.reshape([n, 1]) as JArray;
    x.dispose();
    const w = np.array(new Float32Array(n).fill(5));
    expect(Array.from(z.dataSync().slice(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(w.dataSync().slice(0, 3))).toEqual([5, 5, 5]);
  });
});

describe("long rows and two threads", () => {
  const expW1 = unary("exp", binary("add", binary("mul", unary("sin", X), constant(2, F)), constant(1, F)));
  function input(n: number): Float32Array {
    // some arguments beyond the fast sin range, so that a few rows take the careful pass
    return pooled(Array.from({ length: n }, (_, i) => (i % 997 === 5 ? 1e6 + i : Math.sin(i * 0.37) * 20)));
  }
  afterEach(() => setThreads(2));

  it("a long innermost axis is cut into rows (with a shorter last one) and matches the JavaScript path", () => {
    const n = 3 * 4096 + 5;
    const x = input(n);
    const k1 = kernel([n], expW1);
    expect(planKernel(k1)?.ragged).toBe(true);
    expect(wasmRows(k1)).toBe(4);
    const [w, j] = both(k1, [x]);
    expect(maxRel(w, j)).toBeLessThan(1e-5);
    // outer rows, a broadcast operand, and row ranges that end mid-row
    const m = 2 * 4096 + 7;
    const y = input(m);
    const k2 = kernel([3, m], binary("mul", unary("sin", X), Y), [
      { strides: [m + 3, 1], offset: 2 },
      { strides: [1, 0], offset: 0 },
    ]);
    expect(wasmRows(k2)).toBe(9);
    const xs = input(3 * (m + 3) + 2);
    const [w2, j2] = both(k2, [xs, y]);
    expect(maxRel(w2, j2)).toBeLessThan(1e-5);
    const parts = alloc(F, 3 * m) as Float32Array;
    for (const [b, e] of [[0, 2], [2, 4], [4, 5], [5, 9]]) expect(runWasmKernel(k2, parts, [xs, y], b, e)).toBe(true);
    expect(Array.from(parts)).toEqual(Array.from(w2));
  });

  it("a large kernel runs on both threads, bit for bit as on one", async () => {
    // the split's mechanics: every kernel below splits (the default threshold weighs the body's cost)
    const prevMin = setWasmThreadMinWork(1 << 18);
    onTestFinished(() => void setWasmThreadMinWork(prevMin));
    const n = 1 << 20;
    const x = input(n);
    const k = kernel([n], expW1);
    setThreads(1);
    const one = alloc(F, n) as Float32Array;
    expect(runWasmKernel(k, one, [x])).toBe(true);
    setThreads(2);
    expect(await startThreads()).toBe(true);
    const before = threadedJobCount();
    const two = alloc(F, n) as Float32Array;
    expect(runWasmKernel(k, two, [x])).toBe(true);
    expect(threadedJobCount()).toBeGreaterThan(before);
    const bits1 = new Uint32Array(one.buffer, one.byteOffset, n);
    const bits2 = new Uint32Array(two.buffer, two.byteOffset, n);
    let differ = 0;
    for (let i = 0; i < n; i++) if (bits1[i] !== bits2[i]) differ++;
    expect(differ).toBe(0);
    // a reduction over rows splits too
    const kr = kernel([512, 1024], expW1, undefined, { op: "sum", axes: 1 });
    setThreads(1);
    const r1 = alloc(F, 512) as Float32Array;
    expect(runWasmKernel(kr, r1, [x])).toBe(true);
    setThreads(2);
    expect(await startThreads()).toBe(true);
    const before2 = threadedJobCount();
    const r2 = alloc(F, 512) as Float32Array;
    expect(runWasmKernel(kr, r2, [x])).toBe(true);
    expect(threadedJobCount()).toBeGreaterThan(before2);
    expect(Array.from(r2)).toEqual(Array.from(r1));
  });

  it("splits by work weighted by the body's cost: a cheap 2^18-element kernel stays on one thread, a transcendental 2^20 one splits", async () => {
    setThreads(2);
    expect(await startThreads()).toBe(true);
    // W6's shape: a product of two inputs over 4096 rows of 64 (was split at 2^18 elements, and waited on the worker)
    const cheap = kernel([4096, 64], binary("mul", X, Y), [
      { strides: [64, 1], offset: 0 },
      { strides: [64, 1], offset: 0 },
    ]);
    const a = input(1 << 18);
    const before = threadedJobCount();
    expect(runWasmKernel(cheap, alloc(F, 1 << 18) as Float32Array, [a, a])).toBe(true);
    expect(threadedJobCount()).toBe(before);
    const n = 1 << 20;
    const costly = kernel([n], expW1);
    const before2 = threadedJobCount();
    expect(runWasmKernel(costly, alloc(F, n) as Float32Array, [input(n)])).toBe(true);
    expect(threadedJobCount()).toBeGreaterThan(before2);
  });
});
