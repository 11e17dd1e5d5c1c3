/** The CPU routines, each against a naive reference written here. */
import { describe, it, expect } from "vitest";
import type { DType, TypedArray } from "../src/dtype.js";
import { allocate } from "../src/dtype.js";
import type { BufferType } from "../src/backend/device.js";
import { cpuRoutines, type CpuRoutine } from "../src/backend/cpu/routines.js";

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const ty = (shape: readonly number[], dtype: DType): BufferType => ({ shape, dtype });

function typed(dtype: DType, values: ArrayLike<number>): TypedArray {
  const out = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}

/** Deterministic values: floats in [-1, 1), or integers in [lo, hi). */
function random(n: number, seed: number, lo = -1, hi = 1, integer = false): number[] {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const u = s / 4294967296;
    out.push(integer ? Math.floor(lo + u * (hi - lo)) : lo + u * (hi - lo));
  }
  return out;
}

/** Runs a routine, checking that it leaves its inputs alone and returns the right buffers. */
function run(name: string, inputs: TypedArray[], inTypes: BufferType[], outTypes: BufferType[], params: Record<string, unknown> = {}) {
  const before = inputs.map((x) => x.slice());
  // by name, as the tests below call them (the typed contract is checked by the compiler elsewhere)
  const outs = (cpuRoutines as unknown as Record<string, CpuRoutine>)[name](inputs, inTypes, outTypes, params);
  inputs.forEach((x, i) => expect(Array.from(x)).toEqual(Array.from(before[i])));
  expect(outs.length).toBe(outTypes.length);
  outs.forEach((o, i) => {
    expect(o.length).toBe(size(outTypes[i].shape));
    expect(o.constructor).toBe(allocate(outTypes[i].dtype, 0).constructor);
    inputs.forEach((x) => expect(o.buffer === x.buffer && o.length > 0).toBe(false));
  });
  return outs;
}

/** Same values, with NaN equal to NaN and -0 distinguished from 0. */
function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>) {
  expect(Array.from(actual)).toEqual(Array.from(expected));
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (Math.abs(actual[i] - e) > rtol * (1 + Math.abs(e))) expect(actual[i], `element ${i}`).toBe(e);
  }
}

describe("dot", () => {
  type Case = {
    batch: number; m: number; n: number; k: number;
    lhsStrides: number[]; rhsStrides: number[]; lhsOffset: number; rhsOffset: number;
  };
  /** Row-major [batch, m, k] · [batch, k, n], or transposed storage of either. */
  function layout(batch: number, m: number, n: number, k: number, lhsT = false, rhsT = false): Case {
    return {
      batch, m, n, k,
      lhsStrides: [m * k, lhsT ? 1 : k, lhsT ? m : 1],
      rhsStrides: [k * n, rhsT ? 1 : n, rhsT ? k : 1],
      lhsOffset: 0,
      rhsOffset: 0,
    };
  }
  function extent(strides: number[], dims: number[], offset: number) {
    return offset + dims.reduce((acc, d, i) => acc + (d > 0 ? (d - 1) * strides[i] : 0), 0) + 1;
  }
  function reference(c: Case, lhs: ArrayLike<number>, rhs: ArrayLike<number>, wrap = false): number[] {
    const out: number[] = [];
    for (let b = 0; b < c.batch; b++)
      for (let i = 0; i < c.m; i++)
        for (let j = 0; j < c.n; j++) {
          let s = 0;
          for (let p = 0; p < c.k; p++) {
            const a = lhs[c.lhsOffset + b * c.lhsStrides[0] + i * c.lhsStrides[1] + p * c.lhsStrides[2]];
            const r = rhs[c.rhsOffset + b * c.rhsStrides[0] + p * c.rhsStrides[1] + j * c.rhsStrides[2]];
            s = wrap ? (s + Number((BigInt(a) * BigInt(r)) & 0xffffffffn)) % 4294967296 : s + a * r;
          }
          out.push(s);
        }
    return out;
  }
  function check(c: Case, dtype: DType, seed: number) {
    const lhsLen = extent(c.lhsStrides, [c.batch, c.m, c.k], c.lhsOffset);
    const rhsLen = extent(c.rhsStrides, [c.batch, c.k, c.n], c.rhsOffset);
    const int = dtype === "int32" || dtype === "uint32";
    const lo = dtype === "int32" ? -2e9 : int ? 0 : -1;
    const hi = int ? 4e9 : 1;
    const lhs = typed(dtype, random(lhsLen, seed, lo, hi, int));
    const rhs = typed(dtype, random(rhsLen, seed + 1, lo, hi, int));
    const outType = ty([c.batch, c.m, c.n], dtype);
    const [out] = run("dot", [lhs, rhs], [ty([lhsLen], dtype), ty([rhsLen], dtype)], [outType], c);
    const expected = typed(dtype, reference(c, lhs, rhs, int));
    if (int) expectSame(out, expected);
    // float32 products accumulate in float32 in the WASM kernel (as BLAS does): ~√k·ε relative error
    else expectClose(out, expected, dtype === "float32" ? 1e-5 : 1e-12);
  }

  const shapes: [number, number, number, number][] = [
    [1, 1, 1, 1], [1, 7, 13, 5], [3, 5, 4, 9], [1, 37, 41, 300], [2, 70, 9, 33], [1, 130, 67, 20], [1, 5, 1030, 4], [1, 1, 50, 40], [1, 60, 2, 50],
  ];
  for (const dtype of ["float32", "float64"] as const) {
    for (const [batch, m, n, k] of shapes) {
      it(`${dtype} ${batch}×${m}×${n}×${k}, all four storage orders`, () => {
        check(layout(batch, m, n, k), dtype, m + n);
        check(layout(batch, m, n, k, true, false), dtype, m + 2 * n);
        check(layout(batch, m, n, k, false, true), dtype, m + 3 * n);
        check(layout(batch, m, n, k, true, true), dtype, m + 4 * n);
      });
    }
  }

  it("takes offsets, a broadcast batch (stride 0) and gapped strides", () => {
    check({ batch: 3, m: 6, n: 5, k: 7, lhsStrides: [100, 15, 2], rhsStrides: [0, 6, 1], lhsOffset: 3, rhsOffset: 4 }, "float32", 5);
    check({ batch: 2, m: 40, n: 36, k: 300, lhsStrides: [0, 301, 1], rhsStrides: [11000, 1, 37], lhsOffset: 1, rhsOffset: 2 }, "float64", 6);
  });

  it("is exact on small integers in float32 and matches a float64 sum", () => {
    const c = layout(1, 64, 64, 64);
    const lhs = typed("float32", random(64 * 64, 9, -8, 8, true));
    const rhs = typed("float32", random(64 * 64, 10, -8, 8, true));
    const [out] = run("dot", [lhs, rhs], [ty([64, 64], "float32"), ty([64, 64], "float32")], [ty([64, 64], "float32")], c);
    expectSame(out, reference(c, lhs, rhs));
  });

  it("wraps int32 and uint32 products and sums", () => {
    for (const [batch, m, n, k] of [[1, 3, 4, 5], [2, 9, 6, 17]]) {
      check(layout(batch, m, n, k), "int32", k);
      check(layout(batch, m, n, k, true, true), "uint32", k + 1);
    }
  });

  it("computes bool as or of ands", () => {
    const lhs = typed("bool", [1, 0, 0, 0]); // [[1,0],[0,0]]
    const rhs = typed("bool", [0, 1, 1, 1]); // [[0,1],[1,1]]
    const [out] = run("dot", [lhs, rhs], [ty([2, 2], "bool"), ty([2, 2], "bool")], [ty([2, 2], "bool")], layout(1, 2, 2, 2));
    expectSame(out, [0, 1, 0, 0]);
  });

  it("gives zeros for k = 0 and empty outputs for m or n = 0", () => {
    const [z] = run("dot", [new Float32Array(0), new Float32Array(0)], [ty([3, 0], "float32"), ty([0, 4], "float32")], [ty([3, 4], "float32")], layout(1, 3, 4, 0));
    expectSame(z, new Array(12).fill(0));
    const [zi] = run("dot", [new Int32Array(0), new Int32Array(0)], [ty([3, 0], "int32"), ty([0, 4], "int32")], [ty([3, 4], "int32")], layout(1, 3, 4, 0));
    expectSame(zi, new Array(12).fill(0));
    const [e] = run("dot", [new Float64Array(0), new Float64Array(20)], [ty([0, 5], "float64"), ty([5, 4], "float64")], [ty([0, 4], "float64")], layout(1, 0, 4, 5));
    expect(e.length).toBe(0);
    const [e2] = run("dot", [new Float64Array(15), new Float64Array(0)], [ty([3, 5], "float64"), ty([5, 0], "float64")], [ty([3, 0], "float64")], layout(1, 3, 0, 5));
    expect(e2.length).toBe(0);
  });

  it("propagates NaN and Infinity", () => {
    const lhs = new Float32Array([NaN, 1, Infinity, 0]);
    const rhs = new Float32Array([1, 0, 2, 3]);
    const [out] = run("dot", [lhs, rhs], [ty([2, 2], "float32"), ty([2, 2], "float32")], [ty([2, 2], "float32")], layout(1, 2, 2, 2));
    expectSame(out, [NaN, NaN, Infinity, NaN]);
  });
});

describe("sort", () => {
  /** An independent stable sort: insertion sort with a three-way key order. */
  function order(a: number, b: number): number {
    const an = Number.isNaN(a);
    const bn = Number.isNaN(b);
    if (an || bn) return an === bn ? 0 : an ? 1 : -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  function reference(operands: number[][], outer: number, n: number, numKeys: number): number[][] {
    const outs = operands.map(() => [] as number[]);
    for (let r = 0; r < outer; r++) {
      const idx: number[] = [];
      for (let i = 0; i < n; i++) {
        let j = idx.length;
        const before = (x: number, y: number) => {
          for (let q = 0; q < numKeys; q++) {
            const c = order(operands[q][r * n + x], operands[q][r * n + y]);
            if (c !== 0) return c < 0;
          }
          return false;
        };
        while (j > 0 && before(i, idx[j - 1])) j--;
        idx.splice(j, 0, i);
      }
      operands.forEach((op, q) => idx.forEach((i) => outs[q].push(op[r * n + i])));
    }
    return outs;
  }
  function check(values: number[][], dtypes: DType[], outer: number, n: number, numKeys: number) {
    const inputs = values.map((v, q) => typed(dtypes[q], v));
    const types = dtypes.map((d) => ty([outer, n], d));
    const outs = run("sort", inputs, types, types, { numKeys, outer, n });
    const expected = reference(inputs.map((x) => Array.from(x)), outer, n, numKeys);
    outs.forEach((o, q) => expectSame(o, expected[q]));
    return outs;
  }

  it("puts NaNs last, keeps -0 and 0 in place, and carries another operand along stably", () => {
    const key = [3, NaN, -Infinity, 0, 1, -0, NaN, Infinity, 1, -2, 0, 3];
    const iota = key.map((_, i) => i);
    const [k, perm] = check([key, iota], ["float32", "int32"], 1, 12, 1);
    expectSame(k, [-Infinity, -2, 0, -0, 0, 1, 1, 3, 3, Infinity, NaN, NaN]);
    expectSame(perm, [2, 9, 3, 5, 10, 4, 8, 0, 11, 7, 1, 6]);
  });

  it("sorts each row of several, with random ties, in every dtype", () => {
    for (const dtype of ["float32", "float64", "int32", "uint32", "bool"] as const) {
      const hi = dtype === "bool" ? 2 : 6;
      const key = random(5 * 40, 3, 0, hi, true).map((v) => (dtype === "int32" ? v - 3 : v));
      check([key, key.map((_, i) => i)], [dtype, "int32"], 5, 40, 1);
    }
  });

  it("orders lexicographically by several keys", () => {
    const k0 = random(3 * 30, 4, 0, 3, true);
    const k1 = random(3 * 30, 5, 0, 3, true).map((v) => (v === 2 ? NaN : v));
    const payload = random(3 * 30, 6);
    check([k0, k1, payload], ["int32", "float64", "float32"], 3, 30, 2);
    check([k1, k0, payload], ["float64", "int32", "float32"], 3, 30, 3);
  });

  it("handles empty rows and a single element", () => {
    const [e] = run("sort", [new Float32Array(0)], [ty([3, 0], "float32")], [ty([3, 0], "float32")], { numKeys: 1, outer: 3, n: 0 });
    expect(e.length).toBe(0);
    check([[NaN]], ["float32"], 1, 1, 1);
  });
});

describe("cumulative", () => {
  function reference(x: ArrayLike<number>, dtype: DType, op: string, outer: number, n: number, inner: number, reverse: boolean) {
    const out = allocate(dtype, outer * n * inner);
    const one = allocate(dtype, 1);
    for (let a = 0; a < outer; a++)
      for (let c = 0; c < inner; c++) {
        let acc = NaN;
        for (let t = 0; t < n; t++) {
          const i = reverse ? n - 1 - t : t;
          const v = x[(a * n + i) * inner + c];
          if (t === 0) acc = v;
          else if (op === "sum") acc = acc + v;
          else if (op === "prod") acc = acc * v;
          else if (Number.isNaN(acc) || Number.isNaN(v)) acc = NaN;
          else acc = op === "max" ? (v > acc ? v : acc) : v < acc ? v : acc;
          one[0] = acc; // round/wrap to the dtype at every step
          acc = one[0];
          out[(a * n + i) * inner + c] = acc;
        }
      }
    return out;
  }
  const shape = [2, 5, 3];
  for (const op of ["sum", "prod", "max", "min"] as const) {
    for (const reverse of [false, true]) {
      it(`${op}${reverse ? " reversed" : ""} in float32, float64, int32, uint32`, () => {
        for (const dtype of ["float32", "float64", "int32", "uint32"] as const) {
          const int = dtype === "int32" || dtype === "uint32";
          const raw = int ? random(30, 7, dtype === "int32" ? -50000 : 0, 100000, true) : random(30, 7, -3, 3);
          if (!int) {
            raw[4] = NaN; // row 0, position 1, column 1
            raw[20] = NaN;
          }
          const x = typed(dtype, raw);
          const [out] = run("cumulative", [x], [ty(shape, dtype)], [ty(shape, dtype)], { op, outer: 2, n: 5, inner: 3, reverse });
          // products of these integers wrap; the float reference path covers float dtypes
          const expected = int && op === "prod" ? wrapProd(x, dtype, reverse) : reference(x, dtype, op, 2, 5, 3, reverse);
          if (int || op === "max" || op === "min") expectSame(out, expected);
          else expectClose(out, expected, dtype === "float32" ? 1e-6 : 1e-14);
        }
      });
    }
  }
  function wrapProd(x: TypedArray, dtype: DType, reverse: boolean) {
    const out = allocate(dtype, 30);
    for (let a = 0; a < 2; a++)
      for (let c = 0; c < 3; c++) {
        let acc = 1n;
        for (let t = 0; t < 5; t++) {
          const i = reverse ? 4 - t : t;
          acc = dtype === "int32" ? BigInt.asIntN(32, acc * BigInt(x[(a * 5 + i) * 3 + c])) : BigInt.asUintN(32, acc * BigInt(x[(a * 5 + i) * 3 + c]));
          out[(a * 5 + i) * 3 + c] = Number(acc);
        }
      }
    return out;
  }

  it("wraps int32 sums and keeps NaN once seen in max/min", () => {
    const [s] = run("cumulative", [new Int32Array([2147483647, 1, 5])], [ty([3], "int32")], [ty([3], "int32")], { op: "sum", outer: 1, n: 3, inner: 1, reverse: false });
    expectSame(s, [2147483647, -2147483648, -2147483643]);
    const [m] = run("cumulative", [new Float32Array([1, NaN, 5, 2])], [ty([4], "float32")], [ty([4], "float32")], { op: "max", outer: 1, n: 4, inner: 1, reverse: false });
    expectSame(m, [1, NaN, NaN, NaN]);
    const [r] = run("cumulative", [new Float64Array([1, NaN, 5, 2])], [ty([4], "float64")], [ty([4], "float64")], { op: "min", outer: 1, n: 4, inner: 1, reverse: true });
    expectSame(r, [NaN, NaN, 2, 2]);
  });

  it("handles an empty scan axis", () => {
    const [e] = run("cumulative", [new Float32Array(0)], [ty([2, 0, 3], "float32")], [ty([2, 0, 3], "float32")], { op: "sum", outer: 2, n: 0, inner: 3, reverse: false });
    expect(e.length).toBe(0);
  });
});

describe("argreduce", () => {
  function reference(x: ArrayLike<number>, op: "max" | "min", outer: number, n: number, inner: number) {
    const out: number[] = [];
    for (let a = 0; a < outer; a++)
      for (let c = 0; c < inner; c++) {
        const col = Array.from({ length: n }, (_, i) => x[(a * n + i) * inner + c]);
        const nan = col.findIndex((v) => Number.isNaN(v));
        if (nan >= 0) out.push(nan);
        else {
          const best = op === "max" ? Math.max(...col) : Math.min(...col);
          out.push(col.indexOf(best));
        }
      }
    return out;
  }
  for (const op of ["max", "min"] as const) {
    it(`arg${op}: first of ties, first NaN wins, every dtype`, () => {
      for (const dtype of ["float32", "float64", "int32", "uint32", "bool"] as const) {
        const raw = random(3 * 6 * 4, 11, 0, dtype === "bool" ? 2 : 4, true);
        if (dtype.startsWith("float")) {
          raw[4 + 2] = NaN; // outer 0, position 1, column 2
          raw[3 * 4 + 2] = NaN; // position 3, same column: the first NaN wins
          raw[24 + 5 * 4] = NaN; // outer 1, last position, column 0
        }
        const x = typed(dtype, raw);
        const [out] = run("argreduce", [x], [ty([3, 6, 4], dtype)], [ty([3, 4], "int32")], { op, outer: 3, n: 6, inner: 4 });
        expectSame(out, reference(x, op, 3, 6, 4));
      }
    });
  }
  it("explicit cases", () => {
    const t = (v: number[], op: "max" | "min") =>
      Array.from(run("argreduce", [new Float64Array(v)], [ty([v.length], "float64")], [ty([], "int32")], { op, outer: 1, n: v.length, inner: 1 })[0]);
    expect(t([1, 3, 3, 2], "max")).toEqual([1]);
    expect(t([1, 0, 0, 2], "min")).toEqual([1]);
    expect(t([1, NaN, 5, NaN], "max")).toEqual([1]);
    expect(t([NaN, -Infinity], "min")).toEqual([0]);
    expect(t([-Infinity, -Infinity], "max")).toEqual([0]);
    expect(t([7], "min")).toEqual([0]);
  });
});

describe("gather and scatter", () => {
  const clamp = (i: number, n: number) => Math.min(Math.max(i, 0), n - 1);
  function gatherRef(x: ArrayLike<number>, idx: ArrayLike<number>, B: number, P: number, N: number, Q: number, I: number) {
    const out: number[] = [];
    for (let b = 0; b < B; b++) for (let p = 0; p < P; p++) for (let i = 0; i < I; i++) for (let q = 0; q < Q; q++)
      out.push(x[((b * P + p) * N + clamp(idx[b * I + i], N)) * Q + q]);
    return out;
  }
  type Combine = "set" | "add" | "mul" | "min" | "max";
  /** Each update combined into its position in index order; out-of-range ones dropped or clamped. */
  function scatterRef(combine: Combine, drop: boolean, x: TypedArray, idx: ArrayLike<number>, u: ArrayLike<number>, B: number, P: number, N: number, Q: number, I: number) {
    const out = x.slice();
    const bool = x instanceof Uint8Array;
    const ints = x instanceof Int32Array || x instanceof Uint32Array;
    const f = (a: number, v: number): number => {
      if (combine === "set") return v;
      if (bool) return combine === "add" || combine === "max" ? a | v : a & v;
      if (combine === "add") return a + v;
      if (combine === "mul") return ints ? Math.imul(a, v) : a * v;
      return combine === "min" ? Math.min(a, v) : Math.max(a, v);
    };
    for (let b = 0; b < B; b++) for (let p = 0; p < P; p++) for (let i = 0; i < I; i++) {
      const k = idx[b * I + i];
      if (drop && (k < 0 || k >= N)) continue;
      for (let q = 0; q < Q; q++) {
        const at = ((b * P + p) * N + clamp(k, N)) * Q + q;
        out[at] = f(out[at], u[((b * P + p) * I + i) * Q + q]);
      }
    }
    return out;
  }
  const cases: [number, number, number, number, number][] = [[1, 1, 5, 1, 7], [2, 3, 4, 5, 6], [3, 1, 6, 40, 4], [1, 2, 1, 3, 3], [2, 2, 3, 0, 4], [2, 2, 3, 2, 0]];
  for (const [B, P, N, Q, I] of cases) {
    it(`B=${B} P=${P} N=${N} Q=${Q} I=${I}: gather clamps; scatters combine repeats and drop or clamp out-of-range indices`, () => {
      const params = { B, P, N, Q, I };
      for (const [dtype, idxType] of [["float32", "int32"], ["int32", "uint32"], ["float64", "int32"], ["bool", "int32"], ["uint32", "uint32"]] as const) {
        const lo = idxType === "uint32" ? 0 : -3;
        const rawIdx = random(B * I, N + I, lo, N + 3, true);
        if (idxType === "uint32" && rawIdx.length) rawIdx[0] = 4294967295;
        const idx = typed(idxType, rawIdx);
        const range: [number, number, boolean] = dtype === "bool" ? [0, 2, true] : dtype === "float32" || dtype === "float64" ? [-1, 1, false] : [-2e9, 2e9, true];
        if (dtype === "uint32") range[0] = 0;
        const x = typed(dtype, random(B * P * N * Q, 21, ...range));
        const [g] = run("gather", [x, idx], [ty([B, P, N, Q], dtype), ty([B, I], idxType)], [ty([B, P, I, Q], dtype)], params);
        expectSame(g, gatherRef(x, idx, B, P, N, Q, I));
        const u = typed(dtype, random(B * P * I * Q, 22, ...range));
        for (const combine of ["set", "add", "mul", "min", "max"] as const) {
          for (const drop of [true, false]) {
            const inTypes = [ty([B, P, N, Q], dtype), ty([B, I], idxType), ty([B, P, I, Q], dtype)];
            const [s] = run("scatter", [x, idx, u], inTypes, [ty([B, P, N, Q], dtype)], { ...params, combine, drop });
            // the reference stores into a typed array too, so int32 results wrap and float32 ones round as the routine's
            const expected = scatterRef(combine, drop, x, idx, u, B, P, N, Q, I);
            if (dtype === "float64" || dtype === "float32") expectClose(s, expected, 0);
            else expectSame(s, expected);
          }
        }
      }
    });
  }
  it("accumulates repeated indices and wraps int32; drops out-of-range ones", () => {
    const x = new Int32Array([2147483647, 0, 0]);
    const types = [ty([3], "int32"), ty([4], "int32"), ty([4], "int32")];
    const [s] = run("scatter", [x, new Int32Array([0, 0, 2, 9]), new Int32Array([1, 1, 5, 6])], types, [ty([3], "int32")], { B: 1, P: 1, N: 3, Q: 1, I: 4, combine: "add", drop: true });
    expectSame(s, [-2147483647, 0, 5]);
    const [c] = run("scatter", [x, new Int32Array([0, 0, 2, 9]), new Int32Array([1, 1, 5, 6])], types, [ty([3], "int32")], { B: 1, P: 1, N: 3, Q: 1, I: 4, combine: "add", drop: false });
    expectSame(c, [-2147483647, 0, 11]);
  });
});

describe("pad", () => {
  /** For each output position, which operand element (if any) lands there. */
  function reference(x: ArrayLike<number>, shape: number[], v: number, lo: number[], hi: number[], interior: number[]) {
    const outShape = shape.map((n, d) => lo[d] + hi[d] + n + Math.max(n - 1, 0) * interior[d]);
    const out: number[] = [];
    const total = size(outShape);
    for (let f = 0; f < total; f++) {
      let r = f;
      const pos = outShape.map(() => 0);
      for (let d = outShape.length - 1; d >= 0; d--) {
        pos[d] = r % outShape[d];
        r = Math.floor(r / outShape[d]);
      }
      let src = 0;
      let inside = true;
      for (let d = 0; d < shape.length; d++) {
        const t = pos[d] - lo[d];
        const i = t / (interior[d] + 1);
        if (t < 0 || !Number.isInteger(i) || i >= shape[d]) inside = false;
        src = src * shape[d] + i;
      }
      out.push(inside ? x[src] : v);
    }
    return { out, outShape };
  }
  function check(shape: number[], lo: number[], hi: number[], interior: number[], dtype: DType = "float32") {
    const x = typed(dtype, random(size(shape), 31, -5, 5, true));
    const v = typed(dtype, [dtype === "uint32" || dtype === "bool" ? 1 : -7]);
    const { out: expected, outShape } = reference(x, shape, v[0], lo, hi, interior);
    const [out] = run("pad", [x, v], [ty(shape, dtype), ty([], dtype)], [ty(outShape, dtype)], { lo, hi, interior });
    expectSame(out, expected);
  }
  it("pads and interleaves", () => {
    check([3], [2], [1], [0]);
    check([3], [1], [2], [2]);
    check([2, 3], [1, 0], [0, 2], [1, 0], "int32");
    check([2, 3, 4], [1, 2, 0], [1, 0, 3], [0, 1, 2], "float64");
  });
  it("crops with negative low and high padding, also across interior padding", () => {
    check([5], [-2], [-1], [0]);
    check([5], [-3], [-4], [1]);
    check([3, 5], [1, -3], [0, 0], [0, 1]);
    check([5, 2], [-3, 1], [0, 0], [1, 0]);
    check([4, 5], [-1, 2], [1, -3], [2, 1], "uint32");
    check([3, 4, 2], [-2, -1, 1], [-1, -2, -1], [1, 1, 3], "bool");
    check([3], [-5], [3], [1]); // every operand element is cropped away
  });
  it("handles 0-d operands, empty operands and empty outputs", () => {
    check([], [], [], []);
    check([0], [2], [1], [3]);
    check([2, 0], [1, 1], [0, 0], [0, 0]);
    check([3], [-3], [0], [0]);
  });
});

describe("concatenate", () => {
  it("along each axis of a 3-D array", () => {
    const shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]];
    for (let axis = 0; axis < 3; axis++) {
      const parts = [1, 3, 2].map((len, q) => {
        const shape = shapes[q].slice();
        shape[axis] = len;
        return { shape, data: typed("float32", random(size(shape), 40 + q)) };
      });
      const outShape = shapes[0].slice();
      outShape[axis] = 6;
      const [out] = run("concatenate", parts.map((p) => p.data), parts.map((p) => ty(p.shape, "float32")), [ty(outShape, "float32")], { axis });
      // reference: read out[i,j,k] from the part that covers index i/j/k along axis
      const expected: number[] = [];
      for (let i = 0; i < outShape[0]; i++)
        for (let j = 0; j < outShape[1]; j++)
          for (let k = 0; k < outShape[2]; k++) {
            const pos = [i, j, k];
            let q = 0;
            let start = 0;
            while (pos[axis] >= start + parts[q].shape[axis]) start += parts[q++].shape[axis];
            pos[axis] -= start;
            const s = parts[q].shape;
            expected.push(parts[q].data[(pos[0] * s[1] + pos[1]) * s[2] + pos[2]]);
          }
      expectSame(out, expected);
    }
  });
  it("with empty parts and long rows", () => {
    const a = typed("int32", random(2 * 50, 1, -9, 9, true));
    const b = new Int32Array(0);
    const c = typed("int32", random(2 * 40, 2, -9, 9, true));
    const [out] = run("concatenate", [a, b, c], [ty([2, 50], "int32"), ty([2, 0], "int32"), ty([2, 40], "int32")], [ty([2, 90], "int32")], { axis: 1 });
    expectSame(out, [...a.slice(0, 50), ...c.slice(0, 40), ...a.slice(50), ...c.slice(40)]);
  });
});

describe("dynamic_slice and dynamic_update_slice", () => {
  const shape = [4, 5, 40];
  const x = typed("float64", random(size(shape), 50));
  const at = (i: number, j: number, k: number) => (i * shape[1] + j) * shape[2] + k;
  const starts = (s: number[], dtype: DType = "int32") => s.map((v) => typed(dtype, [v]));
  const clampStart = (s: number, dim: number, len: number) => Math.min(Math.max(s, 0), dim - len);

  const cases: [number[], number[], DType][] = [
    [[1, 2, 3], [2, 2, 35], "int32"],
    [[-5, 4, 100], [3, 2, 5], "int32"],
    [[9, -1, 0], [4, 5, 40], "int32"],
    [[4294967295, 0, 7], [1, 0, 2], "uint32"],
    [[0, 0, 0], [0, 0, 0], "int32"],
  ];
  for (const [s, sizes, idxType] of cases) {
    it(`slice of ${JSON.stringify(sizes)} at ${JSON.stringify(s)} (${idxType}) is clamped`, () => {
      const c = s.map((v, d) => clampStart(v, shape[d], sizes[d]));
      const st = starts(s, idxType);
      const [out] = run("dynamic_slice", [x, ...st], [ty(shape, "float64"), ...st.map(() => ty([], idxType))], [ty(sizes, "float64")], { sizes });
      const expected: number[] = [];
      for (let i = 0; i < sizes[0]; i++) for (let j = 0; j < sizes[1]; j++) for (let k = 0; k < sizes[2]; k++) expected.push(x[at(c[0] + i, c[1] + j, c[2] + k)]);
      expectSame(out, expected);

      const update = typed("float64", random(size(sizes), 51, 10, 20));
      const [u] = run("dynamic_update_slice", [x, update, ...st], [ty(shape, "float64"), ty(sizes, "float64"), ...st.map(() => ty([], idxType))], [ty(shape, "float64")]);
      const ref = Array.from(x);
      for (let i = 0; i < sizes[0]; i++) for (let j = 0; j < sizes[1]; j++) for (let k = 0; k < sizes[2]; k++) ref[at(c[0] + i, c[1] + j, c[2] + k)] = update[(i * sizes[1] + j) * sizes[2] + k];
      expectSame(u, ref);
    });
  }
  it("0-d operands", () => {
    const [s] = run("dynamic_slice", [new Int32Array([5])], [ty([], "int32")], [ty([], "int32")], { sizes: [] });
    expectSame(s, [5]);
    const [u] = run("dynamic_update_slice", [new Int32Array([5]), new Int32Array([8])], [ty([], "int32"), ty([], "int32")], [ty([], "int32")]);
    expectSame(u, [8]);
  });
});

describe("threefry2x32", () => {
  it("matches the known answers of the Threefry paper (as jax.random's tests)", () => {
    const u = (v: number[]) => new Uint32Array(v);
    const t = ty([3], "uint32");
    const [y0, y1] = run(
      "threefry2x32",
      [u([0x13198a2e, 0, 0xffffffff]), u([0x03707344, 0, 0xffffffff]), u([0x243f6a88, 0, 0xffffffff]), u([0x85a308d3, 0, 0xffffffff])],
      [t, t, t, t],
      [t, t],
    );
    expectSame(y0, [0xc4923a9c, 0x6b200159, 0x1cb996fc]);
    expectSame(y1, [0x483df7a0, 0x99ba4efe, 0xbb002be7]);
  });
  it("is elementwise over any shape, including empty", () => {
    const n = 17;
    const k0 = typed("uint32", random(n, 60, 0, 4294967296, true));
    const k1 = typed("uint32", random(n, 61, 0, 4294967296, true));
    const x0 = typed("uint32", random(n, 62, 0, 4294967296, true));
    const x1 = typed("uint32", random(n, 63, 0, 4294967296, true));
    const t = ty([n], "uint32");
    const [y0, y1] = run("threefry2x32", [k0, k1, x0, x1], [t, t, t, t], [t, t]);
    const one = ty([1], "uint32");
    for (const i of [0, 5, 16]) {
      const [a, b] = run("threefry2x32", [k0.slice(i, i + 1), k1.slice(i, i + 1), x0.slice(i, i + 1), x1.slice(i, i + 1)], [one, one, one, one], [one, one]);
      expect([a[0], b[0]]).toEqual([y0[i], y1[i]]);
    }
    const e = ty([0, 3], "uint32");
    const outs = run("threefry2x32", [0, 0, 0, 0].map(() => new Uint32Array(0)), [e, e, e, e], [e, e]);
    expect(outs.map((o) => o.length)).toEqual([0, 0]);
  });
});
