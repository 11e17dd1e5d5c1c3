/**
 * The integer ops of the CPU's WebAssembly kernels beyond wrapping arithmetic:
 * comparisons (to bool masks and bool outputs), min/max, select, the kernel
 * shifts (count mod 32, as JavaScript's `<<`/`>>`/`>>>`; lax's shifts build
 * JAX's out-of-range rules from them), division and remainder of the 8- and
 * 16-bit integers (truncation, x/0 = −1, x%0 = x), abs, sign, every
 * integer/float32/bool cast, bool inputs, and integer reductions (sum/prod
 * wrapping, max/min) over the innermost axis, for int8/uint8/int16/uint16
 * and where promotion meets them int32/uint32.
 *
 * Checked bit for bit against the JavaScript kernels (the oracle) and a plain
 * JS loop written here (BigInt wrap-around), at all pairs of edge values
 * (limits, −1, 0, counts 0/7/8/31/32/−1, zero divisors, MIN / −1), lengths
 * 1…8195, offsets, row strides, broadcasts; through the public API eager and
 * under jit against the JavaScript path and real JAX
 * (fixtures/small-int-ops/ops.json from its generate.py); that the fast path
 * ran is shown by `runWasmKernel`'s answer and the launch counter.
 */
import { afterEach, describe, expect, it } from "vitest";
import { jit, lax, numpy as np } from "../src/index.js";
import type { Array as JArray } from "../src/index.js";
import type { DType, TypedArray } from "../src/dtype.js";
import type { BinaryOp, Expr, Kernel, ReduceOp } from "../src/backend/kernel.js";
import { binary, cast, constant, load, unary } from "../src/backend/kernel.js";
import { compileKernel } from "../src/backend/cpu/codegen.js";
import { alloc } from "../src/backend/cpu/memory.js";
import { planKernel } from "../src/backend/cpu/wasm/compiler.js";
import { runWasmKernel, setWasmEnabled, setWasmMinSize, wasmLaunchCount } from "../src/backend/cpu/wasm/index.js";
import { onCpu, probeWebGPU } from "./device-helpers.js";
import fixture from "./fixtures/small-int-ops/ops.json" with { type: "json" };

const SMALL = ["int8", "uint8", "int16", "uint16"] as const;
const INTS = [...SMALL, "int32", "uint32"] as const;
type Int = (typeof INTS)[number];
const BITS: Record<Int, number> = { int8: 8, uint8: 8, int16: 16, uint16: 16, int32: 32, uint32: 32 };
const signed = (d: Int) => !d.startsWith("u");

/** A number wrapped into d (two's complement), through BigInt: independent of JavaScript's 32-bit operators. */
function wrapTo(d: Int, v: number | bigint): number {
  const m = 1n << BigInt(BITS[d]);
  let r = ((BigInt(v) % m) + m) % m;
  if (signed(d) && r >= m / 2n) r -= m;
  return Number(r);
}
const LIMITS = (d: Int): [number, number] => (signed(d) ? [-(2 ** (BITS[d] - 1)), 2 ** (BITS[d] - 1) - 1] : [0, 2 ** BITS[d] - 1]);
/** Edge values of d: its ends, around zero, shift counts at and past every width. */
function edges(d: Int): number[] {
  const [lo, hi] = LIMITS(d);
  return [...new Set([lo, lo + 1, -1, 0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 33, 100, hi - 1, hi].map((v) => wrapTo(d, v)))];
}

/** The kernel ops, by hand: what codegen.ts's JS_BINARY computes, wrapped into the result dtype. */
const BIN_REF: Partial<Record<BinaryOp, (a: number, b: number, d: Int) => number>> = {
  add: (a, b, d) => wrapTo(d, BigInt(a) + BigInt(b)),
  sub: (a, b, d) => wrapTo(d, BigInt(a) - BigInt(b)),
  mul: (a, b, d) => wrapTo(d, BigInt(a) * BigInt(b)),
  and: (a, b, d) => wrapTo(d, BigInt(a) & BigInt(b)),
  or: (a, b, d) => wrapTo(d, BigInt(a) | BigInt(b)),
  xor: (a, b, d) => wrapTo(d, BigInt(a) ^ BigInt(b)),
  max: (a, b) => Math.max(a, b),
  min: (a, b) => Math.min(a, b),
  // the count's low five bits (b's two's complement pattern)
  shl: (a, b, d) => wrapTo(d, BigInt(a) << BigInt(wrapTo("uint32", b) % 32)),
  // uint32 values are non-negative (>>>); the others shift their sign in (>>): both are floor(a / 2^s)
  shr: (a, b, d) => wrapTo(d, Math.floor(a / 2 ** (wrapTo("uint32", b) % 32))),
  div: (a, b, d) => (b === 0 ? wrapTo(d, -1) : wrapTo(d, Math.trunc(a / b))),
  rem: (a, b, d) => (b === 0 ? a : wrapTo(d, a - Math.trunc(a / b) * b)),
  eq: (a, b) => +(a === b),
  ne: (a, b) => +(a !== b),
  lt: (a, b) => +(a < b),
  le: (a, b) => +(a <= b),
  gt: (a, b) => +(a > b),
  ge: (a, b) => +(a >= b),
};
const COMPARE = new Set<BinaryOp>(["eq", "ne", "lt", "le", "gt", "ge"]);
const UN_REF: Record<"neg" | "not" | "abs" | "sign", (a: number, d: Int) => number> = {
  neg: (a, d) => wrapTo(d, -a),
  not: (a, d) => wrapTo(d, ~BigInt(a)),
  abs: (a, d) => wrapTo(d, Math.abs(a)),
  sign: (a) => Math.sign(a),
};

function pooled(d: DType, vs: number[]): TypedArray {
  const a = alloc(d, vs.length);
  for (let i = 0; i < vs.length; i++) a[i] = vs[i];
  return a;
}

/** Runs k on both paths; asserts WebAssembly took it and that every element's bits agree; returns the output. */
function bothPaths(k: Kernel, ins: TypedArray[], size: number, what: string): TypedArray {
  const js = alloc(k.dtype, size);
  compileKernel(k)(js, ...ins);
  const wasm = alloc(k.dtype, size);
  const before = wasmLaunchCount();
  expect(runWasmKernel(k, wasm, ins), `${what}: WebAssembly takes it`).toBe(true);
  expect(wasmLaunchCount(), what).toBeGreaterThan(before);
  for (let i = 0; i < size; i++) if (!Object.is(wasm[i], js[i])) expect(`${what} [${i}]: ${wasm[i]}`).toBe(`${what} [${i}]: ${js[i]}`);
  return wasm;
}

const contiguous = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
/** Loop shapes and views for a two-input op over n = pairs of values (x[i], y[i]): flat at many lengths, offset rows, y broadcast. */
interface Layout {
  name: string;
  shape: number[];
  x: { strides: number[]; offset: number };
  y: { strides: number[]; offset: number };
  /** Element i of the loop → its x and y positions. */
  at: (i: number) => [number, number];
}
function layouts(n: number): Layout[] {
  const out: Layout[] = [];
  for (const L of [1, 3, 4, 5, 7, 17, n, 1023, 8195]) out.push({ name: `flat ${L}`, shape: [L], x: { strides: [1], offset: 0 }, y: { strides: [1], offset: 0 }, at: (i) => [i, i] });
  // rows of 13 inside rows of 16, from element 5 (a slice); y one value per row (a broadcast: an invariant shift count)
  out.push({ name: "rows, y per row", shape: [3, 13], x: { strides: [16, 1], offset: 5 }, y: { strides: [1, 0], offset: 0 }, at: (i) => [5 + 16 * Math.floor(i / 13) + (i % 13), Math.floor(i / 13)] });
  // a long row cut into chunks, x transposed-free but y a scalar
  out.push({ name: "ragged, y scalar", shape: [2, 9001], x: { strides: [9005, 1], offset: 3 }, y: { strides: [0, 0], offset: 7 }, at: (i) => [3 + 9005 * Math.floor(i / 9001) + (i % 9001), 7] });
  return out;
}

/** Values of d for x and y: all pairs of edges first, then a spread wrapping past the width. */
function pairs(d: Int, len: number): [number[], number[]] {
  const e = edges(d);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const a of e) for (const b of e) (xs.push(a), ys.push(b));
  for (let i = xs.length; i < len; i++) {
    xs.push(wrapTo(d, (i * 40503 + 977) % 140001) - 0);
    ys.push(wrapTo(d, ((i * 7919) % 77) - 38));
  }
  return [xs, ys];
}

afterEach(() => {
  setWasmEnabled(true);
});

const hasGpu = await probeWebGPU("small-ints-wasm-ops.test.ts");
/** Runs f with the CPU as the default device. */
const cpu = <T>(f: () => T): T => (hasGpu ? onCpu(f) : f());

describe("integer kernels in the CPU's WebAssembly path", () => {
  const BINOPS: BinaryOp[] = ["add", "sub", "mul", "and", "or", "xor", "max", "min", "shl", "shr", "div", "rem", "eq", "ne", "lt", "le", "gt", "ge"];

  it.each(INTS)("%s: binary ops equal the JavaScript kernel and a JS loop over edge pairs, lengths, slices, broadcasts", (d) => {
    const prev = setWasmMinSize(0);
    try {
      for (const op of BINOPS) {
        const outD: DType = COMPARE.has(op) ? "bool" : d;
        const [xs0, ys0] = pairs(d, 20000);
        for (const lay of layouts(edges(d).length ** 2)) {
          const size = lay.shape.reduce((a, b) => a * b, 1);
          const x = pooled(d, xs0.slice(0, 20000));
          const y = pooled(d, ys0.slice(0, 20000));
          const k: Kernel = { loopShape: lay.shape, inputs: [{ dtype: d, view: lay.x }, { dtype: d, view: lay.y }], expr: binary(op, load(0, d), load(1, d), outD), dtype: outD };
          const got = bothPaths(k, [x, y], size, `${d} ${op} ${lay.name}`);
          for (let i = 0; i < size; i++) {
            const [ix, iy] = lay.at(i);
            const want = BIN_REF[op]!(x[ix] as number, y[iy] as number, d);
            if (got[i] !== want) expect(`${d} ${op} ${lay.name} (${x[ix]}, ${y[iy]}) = ${got[i]}`).toBe(`${d} ${op} ${lay.name} (${x[ix]}, ${y[iy]}) = ${want}`);
          }
        }
      }
    } finally {
      setWasmMinSize(prev);
    }
  });

  it.each(INTS)("%s: neg, not, abs, sign, casts to every integer dtype, float32 and bool, and select", (d) => {
    const prev = setWasmMinSize(0);
    try {
      const [xs, ys] = pairs(d, 1031);
      const x = pooled(d, xs);
      const y = pooled(d, ys);
      const v = { strides: [1], offset: 0 };
      for (const op of ["neg", "not", "abs", "sign"] as const) {
        // a wrapped sum underneath: the op must see the wrapped value, not the int32 lanes' sum
        const arg = binary("add", load(0, d), load(1, d));
        const got = bothPaths({ loopShape: [1031], inputs: [{ dtype: d, view: v }, { dtype: d, view: v }], expr: unary(op, arg), dtype: d }, [x, y], 1031, `${d} ${op}`);
        for (let i = 0; i < 1031; i++) expect(got[i], `${d} ${op}(${xs[i]} + ${ys[i]})`).toBe(UN_REF[op](wrapTo(d, xs[i] + ys[i]), d));
      }
      for (const to of [...INTS, "float32", "bool"] as DType[]) {
        const arg = binary("mul", load(0, d), load(1, d));
        const got = bothPaths({ loopShape: [1031], inputs: [{ dtype: d, view: v }, { dtype: d, view: v }], expr: cast(arg, to), dtype: to }, [x, y], 1031, `${d} → ${to}`);
        for (let i = 0; i < 1031; i++) {
          const w = wrapTo(d, BigInt(xs[i]) * BigInt(ys[i]));
          const want = to === "float32" ? Math.fround(w) : to === "bool" ? +(w !== 0) : wrapTo(to as Int, w);
          expect(got[i], `${d} → ${to} of ${w}`).toBe(want);
        }
      }
      // where(x < y, x * 3, y) with a bool input as the other mask: and of two masks
      const mask = pooled("bool", xs.map((_, i) => i % 3 === 0 ? 1 : 0));
      const which = binary("and", binary("lt", load(0, d), load(1, d), "bool"), load(2, "bool"));
      const expr: Expr = { kind: "select", which, cases: [load(1, d), binary("mul", load(0, d), constant(3, d))], dtype: d };
      const got = bothPaths({ loopShape: [1031], inputs: [{ dtype: d, view: v }, { dtype: d, view: v }, { dtype: "bool", view: v }], expr, dtype: d }, [x, y, mask], 1031, `${d} select`);
      for (let i = 0; i < 1031; i++) expect(got[i]).toBe(xs[i] < ys[i] && i % 3 === 0 ? wrapTo(d, xs[i] * 3) : ys[i]);
      // float32 → d inside an expression: saturating, then compared
      const f = pooled("float32", [NaN, Infinity, -Infinity, -1e9, 1e9, -0.5, 0.5, 127.9, -128.9, 255.5, 65535.9, -32768.5, 3e9, -3e9, 7.7, -7.7, 42]);
      const fexpr = binary("max", cast(load(0, "float32"), d), constant(wrapTo(d, -5), d));
      const fgot = bothPaths({ loopShape: [17], inputs: [{ dtype: "float32", view: v }], expr: fexpr, dtype: d }, [f], 17, `float32 → ${d} in an expression`);
      const [lo, hi] = LIMITS(d);
      for (let i = 0; i < 17; i++) {
        const fx = f[i] as number;
        const c = Number.isNaN(fx) ? 0 : Math.min(hi, Math.max(lo, Math.trunc(fx)));
        expect(fgot[i]).toBe(Math.max(c + 0, wrapTo(d, -5)));
      }
    } finally {
      setWasmMinSize(prev);
    }
  });

  it.each(INTS)("%s: reductions over the innermost axis (sum/prod wrapping, max, min) into d, int32 and uint32", (d) => {
    const prev = setWasmMinSize(0);
    try {
      for (const L of [1, 3, 4, 5, 8, 13, 17, 255, 1031]) {
        const R = 3;
        const [xs] = pairs(d, R * (L + 2) + 5);
        const x = pooled(d, xs);
        for (const op of ["sum", "prod", "max", "min"] as ReduceOp[]) {
          for (const to of [d, "int32", "uint32"] as Int[]) {
            // rows of L inside rows of L + 2, from element 5
            const k: Kernel = { loopShape: [R, L], inputs: [{ dtype: d, view: { strides: [L + 2, 1], offset: 5 } }], expr: cast(load(0, d), to), dtype: to, reduce: { op, axes: 1 } };
            const got = bothPaths(k, [x], R, `${op} ${d} → ${to} L=${L}`);
            for (let r = 0; r < R; r++) {
              const row = Array.from({ length: L }, (_, c) => wrapTo(to, xs[5 + r * (L + 2) + c]));
              let want: number;
              if (op === "sum") want = wrapTo(to, row.reduce((a, b) => a + BigInt(b), 0n));
              else if (op === "prod") want = row.reduce((a, b) => wrapTo(to, BigInt(a) * BigInt(b)), 1);
              else want = op === "max" ? Math.max(...row) : Math.min(...row);
              expect(got[r], `${op} ${d} → ${to} L=${L} row ${r}`).toBe(want);
            }
          }
        }
      }
    } finally {
      setWasmMinSize(prev);
    }
  });

  it.each(INTS)("%s: reductions over a strided axis (columns: four outputs a vector) into d, int32, uint32 and float32", (d) => {
    const prev = setWasmMinSize(0);
    try {
      for (const [R, C] of [[1, 1], [5, 3], [7, 4], [3, 9], [33, 17], [257, 6]]) {
        // a [R, C] block inside rows of C + 3 from element 2, reduced over R (axis 0): loop [C, R]
        const [xs] = pairs(d, 2 + R * (C + 3));
        const x = pooled(d, xs);
        for (const op of ["sum", "prod", "max", "min"] as ReduceOp[]) {
          for (const to of [d, "int32", "uint32", "float32"] as (Int | "float32")[]) {
            const k: Kernel = { loopShape: [C, R], inputs: [{ dtype: d, view: { strides: [1, C + 3], offset: 2 } }], expr: cast(load(0, d), to), dtype: to, reduce: { op, axes: 1 } };
            // (one row or one column collapses to a plain row reduction)
            if (R > 1 && C > 1) expect(planKernel(k)?.columns, `${op} ${d} → ${to} [${R}, ${C}] takes the column plan`).toBe(true);
            const got = bothPaths(k, [x], C, `columns ${op} ${d} → ${to} [${R}, ${C}]`);
            if (to === "float32") continue; // the float64 accumulation's rounding: equal to the JavaScript kernel above
            for (let c = 0; c < C; c++) {
              const col = Array.from({ length: R }, (_, r) => wrapTo(to, xs[2 + r * (C + 3) + c]));
              const want =
                op === "sum" ? wrapTo(to, col.reduce((a, b) => a + BigInt(b), 0n)) : op === "prod" ? col.reduce((a, b) => wrapTo(to, BigInt(a) * BigInt(b)), 1) : op === "max" ? Math.max(...col) : Math.min(...col);
              expect(got[c], `columns ${op} ${d} → ${to} [${R}, ${C}] column ${c}`).toBe(want);
            }
          }
        }
      }
    } finally {
      setWasmMinSize(prev);
    }
  });
});

type Row = (typeof fixture.dtypes)["int8"];

describe("small integers through the public API, eager and under jit: the WebAssembly path equals the JavaScript path and JAX", () => {
  /** Every op the fixture pins, from x and y (both of dtype d, each of length n², shaped [n, n] for the reductions). */
  function ops(n: number): Record<string, (x: JArray, y: JArray) => JArray> {
    const m = (x: JArray) => x.reshape([n, n]);
    const out: Record<string, (x: JArray, y: JArray) => JArray> = {
      div: (x, y) => lax.div(x, y) as JArray,
      rem: (x, y) => lax.rem(x, y) as JArray,
      shift_left: (x, y) => lax.shiftLeft(x, y) as JArray,
      shift_right_logical: (x, y) => lax.shiftRightLogical(x, y) as JArray,
      shift_right_arithmetic: (x, y) => lax.shiftRightArithmetic(x, y) as JArray,
      max: (x, y) => lax.max(x, y) as JArray,
      min: (x, y) => lax.min(x, y) as JArray,
      lt: (x, y) => x.lt(y) as JArray,
      eq: (x, y) => x.eq(y) as JArray,
      abs: (x) => np.abs(x) as JArray,
      sign: (x) => np.sign(x) as JArray,
      where: (x, y) => np.where(x.lt(y), x, y) as JArray,
      sum_axis1: (x) => np.sum(m(x), 1) as JArray,
      sum_axis0: (x) => np.sum(m(x), 0) as JArray,
      sum_all: (x) => np.sum(x) as JArray,
      sum_own_dtype: (x) => np.sum(m(x), 1, { dtype: x.dtype }) as JArray,
      prod_axis1: (x) => np.prod(m(x), 1) as JArray,
      max_axis1: (x) => np.max(m(x), 1) as JArray,
      min_axis1: (x) => np.min(m(x), 1) as JArray,
      argmax_axis1: (x) => np.argmax(m(x), 1) as JArray,
    };
    for (const to of INTS) out[`cast_${to}`] = (x) => x.astype(to) as JArray;
    return out;
  }
  /**
   * The ops without a WebAssembly launch: those that launch nothing at all (a cast to its own dtype, abs of
   * an unsigned value: the operand itself). argmax runs argreduce-wasm.ts (test/int-ops-wasm.test.ts).
   */
  const noWasm = (d: string) => ["abs", `cast_${d}`].filter((k) => k !== "abs" || d.startsWith("u")).sort();

  it.each(SMALL)("%s: values and dtypes of JAX (div by zero, MIN / −1, shifts by 0…32 and −1, sum's dtype), on both paths", (d) => {
    cpu(() => {
      const row = fixture.dtypes[d] as Row;
      const n = Math.round(Math.sqrt(row.x.length));
      const x = np.array(row.x, { dtype: d }) as JArray;
      const y = np.array(row.y, { dtype: d }) as JArray;
      const prev = setWasmMinSize(0);
      try {
        const fns = ops(n);
        const jitted = jit((a: JArray, b: JArray) => Object.fromEntries(Object.entries(fns).map(([k, f]) => [k, f(a, b)]))) as (a: JArray, b: JArray) => Record<string, JArray>;
        const results: Record<string, Record<string, JArray>> = {};
        for (const mode of ["js", "wasm"] as const) {
          setWasmEnabled(mode === "wasm");
          const eager: Record<string, JArray> = {};
          const slow: string[] = [];
          for (const [name, f] of Object.entries(fns)) {
            const before = wasmLaunchCount();
            eager[name] = f(x, y);
            eager[name].dataSync();
            if (wasmLaunchCount() === before) slow.push(name);
          }
          // every op ran at least one WebAssembly kernel (none with the path off)
          expect(slow.sort(), `${d} ${mode}: ops without a WebAssembly launch`).toEqual(mode === "wasm" ? noWasm(d) : Object.keys(fns).sort());
          results[`${mode} eager`] = eager;
          const before = wasmLaunchCount();
          results[`${mode} jit`] = jitted(x, y);
          for (const r of Object.values(results[`${mode} jit`])) r.dataSync();
          if (mode === "wasm") expect(wasmLaunchCount()).toBeGreaterThan(before);
        }
        expect(results["wasm eager"].sum_axis1.dtype).toBe(row.sum_dtype);
        expect(results["wasm eager"].prod_axis1.dtype).toBe(row.prod_dtype);
        for (const [name, want] of Object.entries(row)) {
          if (name === "x" || name === "y" || name.endsWith("_dtype")) continue;
          for (const [mode, res] of Object.entries(results)) {
            const got = Array.from(res[name].dataSync() as ArrayLike<number>);
            expect(got, `${d} ${name} (${mode})`).toEqual(Array.isArray(want) ? want : [want]);
          }
        }
      } finally {
        setWasmMinSize(prev);
      }
    });
  });
});
