/**
 * The integer ops that joined the CPU's WebAssembly kernels after the
 * small-integer lanes (test/small-ints-wasm-ops.test.ts): int32/uint32
 * division and remainder (float64 lanes, exact), integer pow (a loop over the
 * exponent's bits) and integer_pow (constant squarings), population_count,
 * clz, and bitcasts between integers of one width and between float32 and
 * int32/uint32.
 *
 * Checked bit for bit against the JavaScript kernels (the oracle) and a plain
 * loop written here (BigInt), at all pairs of edge values (limits, −1, 0,
 * MIN / −1, zero divisors, exponents past 2^31, NaN patterns signalling and
 * quiet), lengths 1…8195, offsets, row strides, broadcasts, reductions over
 * the innermost and a strided axis; through the public API eager and under
 * jit against the JavaScript path and real JAX (fixtures/int-ops/ops.json from
 * its generate.py); that the fast path ran is shown by `runWasmKernel`'s
 * answer and the launch counter.
 */
import { afterEach, describe, expect, it } from "vitest";
import { jit, lax, numpy as np } from "../src/index.js";
import type { Array as JArray } from "../src/index.js";
import type { DType, TypedArray } from "../src/dtype.js";
import type { BinaryOp, Expr, Kernel, ReduceOp } from "../src/backend/kernel.js";
import { binary, cast, load, unary } from "../src/backend/kernel.js";
import { compileKernel } from "../src/backend/cpu/codegen.js";
import { alloc } from "../src/backend/cpu/memory.js";
import { runWasmKernel, setWasmEnabled, setWasmMinSize, wasmLaunchCount } from "../src/backend/cpu/wasm/index.js";
import { onCpu, probeWebGPU } from "./device-helpers.js";
import fixture from "./fixtures/int-ops/ops.json" with { type: "json" };

const INTS = ["int8", "uint8", "int16", "uint16", "int32", "uint32"] as const;
type Int = (typeof INTS)[number];
const BITS: Record<Int, number> = { int8: 8, uint8: 8, int16: 16, uint16: 16, int32: 32, uint32: 32 };
const signed = (d: Int) => !d.startsWith("u");
const UNSIGNED: Record<number, Int> = { 8: "uint8", 16: "uint16", 32: "uint32" };
const SIGNED: Record<number, Int> = { 8: "int8", 16: "int16", 32: "int32" };

/** v wrapped into d (two's complement), through BigInt: independent of JavaScript's 32-bit operators. */
function wrapTo(d: Int, v: number | bigint): number {
  const m = 1n << BigInt(BITS[d]);
  let r = ((BigInt(v) % m) + m) % m;
  if (signed(d) && r >= m / 2n) r -= m;
  return Number(r);
}
const LIMITS = (d: Int): [number, number] => (signed(d) ? [-(2 ** (BITS[d] - 1)), 2 ** (BITS[d] - 1) - 1] : [0, 2 ** BITS[d] - 1]);
function edges(d: Int): number[] {
  const [lo, hi] = LIMITS(d);
  return [...new Set([lo, lo + 1, lo + 2, -1, -2, -3, 0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 33, 100, 12345, 2 ** 31, 2 ** 31 + 1, hi - 1, hi].map((v) => wrapTo(d, v)))];
}

/** a^e as codegen's ipowInt computes it: while e > 0 (halving with >>, an int32 shift: e ≥ 2^31 stops after its lowest bit). */
function powRef(a: number, e: number, d: Int): number {
  if (e <= 0) return 1;
  if (e >= 2 ** 31) return e % 2 === 1 ? wrapTo(d, a) : 1;
  let r = 1n;
  let base = BigInt(wrapTo("uint32", a));
  let k = BigInt(e);
  const m = 1n << 32n;
  while (k > 0n) {
    if (k & 1n) r = (r * base) % m;
    base = (base * base) % m;
    k >>= 1n;
  }
  return wrapTo(d, r);
}
const pattern = (a: number, d: Int) => BigInt(wrapTo(UNSIGNED[BITS[d]], a));
const BIN_REF: Partial<Record<BinaryOp, (a: number, b: number, d: Int) => number>> = {
  div: (a, b, d) => (b === 0 ? wrapTo(d, -1) : wrapTo(d, BigInt(a) / BigInt(b))),
  rem: (a, b, d) => (b === 0 ? a : wrapTo(d, BigInt(a) % BigInt(b))),
  pow: (a, b, d) => powRef(a, b, d),
};
const UN_REF = {
  population_count: (a: number, d: Int) => pattern(a, d).toString(2).replace(/0/g, "").length,
  clz: (a: number, d: Int) => BITS[d] - (pattern(a, d) === 0n ? 0 : pattern(a, d).toString(2).length),
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
  const bits = (a: TypedArray) => (a instanceof Float32Array ? new Uint32Array(a.buffer, a.byteOffset, a.length) : a);
  const [w, j] = [bits(wasm), bits(js)];
  for (let i = 0; i < size; i++) if (!Object.is(w[i], j[i])) expect(`${what} [${i}]: ${w[i]}`).toBe(`${what} [${i}]: ${j[i]}`);
  return wasm;
}

interface Layout {
  name: string;
  shape: number[];
  x: { strides: number[]; offset: number };
  y: { strides: number[]; offset: number };
  at: (i: number) => [number, number];
}
function layouts(n: number): Layout[] {
  const out: Layout[] = [];
  for (const L of [1, 2, 3, 4, 5, 7, 8, 17, n, 1023, 8195]) out.push({ name: `flat ${L}`, shape: [L], x: { strides: [1], offset: 0 }, y: { strides: [1], offset: 0 }, at: (i) => [i, i] });
  out.push({ name: "rows, y per row", shape: [3, 13], x: { strides: [16, 1], offset: 5 }, y: { strides: [1, 0], offset: 0 }, at: (i) => [5 + 16 * Math.floor(i / 13) + (i % 13), Math.floor(i / 13)] });
  out.push({ name: "x per row, y rows", shape: [4, 11], x: { strides: [1, 0], offset: 2 }, y: { strides: [11, 1], offset: 1 }, at: (i) => [2 + Math.floor(i / 11), 1 + i] });
  out.push({ name: "ragged, y scalar", shape: [2, 9001], x: { strides: [9005, 1], offset: 3 }, y: { strides: [0, 0], offset: 7 }, at: (i) => [3 + 9005 * Math.floor(i / 9001) + (i % 9001), 7] });
  return out;
}
/** x and y values of d: all pairs of edges first, then a spread. */
function pairs(d: Int, len: number): [number[], number[]] {
  const e = edges(d);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const a of e) for (const b of e) (xs.push(a), ys.push(b));
  for (let i = xs.length; i < len; i++) {
    xs.push(wrapTo(d, (i * 2654435761) % 4294967296));
    ys.push(wrapTo(d, ((i * 7919) % 77) - 38));
  }
  return [xs, ys];
}

afterEach(() => {
  setWasmEnabled(true);
});

const hasGpu = await probeWebGPU("int-ops-wasm.test.ts");
const cpu = <T>(f: () => T): T => (hasGpu ? onCpu(f) : f());
const flat = { strides: [1], offset: 0 };

describe("integer division, pow, bit counts and bitcasts in the CPU's WebAssembly kernels", () => {
  it.each(INTS)("%s: div, rem, pow equal the JavaScript kernel and a BigInt loop over edge pairs, lengths, slices, broadcasts", (d) => {
    const prev = setWasmMinSize(0);
    try {
      for (const op of ["div", "rem", "pow"] as BinaryOp[]) {
        const [xs0, ys0] = pairs(d, 20000);
        const x = pooled(d, xs0);
        const y = pooled(d, ys0);
        for (const lay of layouts(edges(d).length ** 2)) {
          const size = lay.shape.reduce((a, b) => a * b, 1);
          const k: Kernel = { loopShape: lay.shape, inputs: [{ dtype: d, view: lay.x }, { dtype: d, view: lay.y }], expr: binary(op, load(0, d), load(1, d)), dtype: d };
          const got = bothPaths(k, [x, y], size, `${d} ${op} ${lay.name}`);
          for (let i = 0; i < size; i++) {
            const [ix, iy] = lay.at(i);
            const want = BIN_REF[op]!(x[ix] as number, y[iy] as number, d);
            if (got[i] !== want) expect(`${d} ${op} ${lay.name} (${x[ix]}, ${y[iy]}) = ${got[i]}`).toBe(`= ${want}`);
          }
        }
      }
    } finally {
      setWasmMinSize(prev);
    }
  });

  it.each(INTS)("%s: population_count, clz, integer_pow, bitcast to the other signedness, of a wrapped sum (raw lanes)", (d) => {
    const prev = setWasmMinSize(0);
    try {
      const n = 1031;
      const [xs, ys] = pairs(d, n);
      const x = pooled(d, xs);
      const y = pooled(d, ys);
      const arg = binary("add", load(0, d), load(1, d));
      const ins = [{ dtype: d, view: flat }, { dtype: d, view: flat }];
      const sum = (i: number) => wrapTo(d, xs[i] + ys[i]);
      for (const op of ["population_count", "clz"] as const) {
        const got = bothPaths({ loopShape: [n], inputs: ins, expr: unary(op, arg), dtype: d }, [x, y], n, `${d} ${op}`);
        for (let i = 0; i < n; i++) if (got[i] !== UN_REF[op](sum(i), d)) expect(`${d} ${op}(${sum(i)}) = ${got[i]}`).toBe(`= ${UN_REF[op](sum(i), d)}`);
      }
      for (const e of [0, 1, 2, 3, 5, 7, 31, 32, 100, -1, 2 ** 31 + 1]) {
        const expr: Expr = { kind: "ipow", arg, exponent: e, dtype: d };
        const got = bothPaths({ loopShape: [n], inputs: ins, expr, dtype: d }, [x, y], n, `${d} ipow ${e}`);
        for (let i = 0; i < n; i++) if (got[i] !== powRef(sum(i), e, d)) expect(`${d} (${sum(i)})^${e} = ${got[i]}`).toBe(`= ${powRef(sum(i), e, d)}`);
      }
      const other = signed(d) ? UNSIGNED[BITS[d]] : SIGNED[BITS[d]];
      // a bitcast's result read by a comparison: the pattern must be the other dtype's value there
      const bc = unary("bitcast", arg, other);
      const got = bothPaths({ loopShape: [n], inputs: ins, expr: binary("max", bc, binary("sub", bc, binary("add", bc, bc))), dtype: other }, [x, y], n, `${d} bitcast ${other}`);
      for (let i = 0; i < n; i++) {
        const v = wrapTo(other, sum(i));
        expect(got[i]).toBe(Math.max(v, wrapTo(other, -v)));
      }
    } finally {
      setWasmMinSize(prev);
    }
  });

  it("bitcasts between float32 and int32/uint32 keep every bit (signalling NaNs too, as XLA)", () => {
    const prev = setWasmMinSize(0);
    try {
      const u = [0, 0x80000000, 0x3f800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xff800123, 0x7fbfffff, 0x7fc00123, 0x7fffffff, 0xffffffff, 1, 0x807fffff, 0x00800000, 0x7f7fffff, 12345];
      const vals = Array.from({ length: 2051 }, (_, i) => (u[i % u.length] ^ (i >= u.length ? (i * 2654435761) % 65536 : 0)) >>> 0);
      // a signalling NaN's pattern: the JavaScript path's float64 numbers may quiet it (interpreted) or not (optimized)
      const signalling = (b: number) => (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0 && (b & 0x400000) === 0;
      expect(vals.filter(signalling).length).toBeGreaterThan(100);
      const f = alloc("float32", vals.length) as Float32Array;
      new Uint32Array(f.buffer, f.byteOffset, f.length).set(vals);
      for (const to of ["int32", "uint32"] as const) {
        const ints = pooled(to, vals.map((v) => wrapTo(to, v)));
        const kernels: [Kernel, TypedArray][] = [
          [{ loopShape: [vals.length], inputs: [{ dtype: "float32", view: flat }], expr: unary("bitcast", load(0, "float32"), to), dtype: to }, f],
          [{ loopShape: [vals.length], inputs: [{ dtype: to, view: flat }], expr: unary("bitcast", load(0, to), "float32"), dtype: "float32" }, ints],
        ];
        for (const [k, input] of kernels) {
          const what = `${input instanceof Float32Array ? "float32" : to} → ${k.dtype}`;
          const js = alloc(k.dtype, vals.length);
          compileKernel(k)(js, input);
          const wasm = alloc(k.dtype, vals.length);
          const before = wasmLaunchCount();
          expect(runWasmKernel(k, wasm, [input]), what).toBe(true);
          expect(wasmLaunchCount()).toBeGreaterThan(before);
          const bits = (a: TypedArray) => (a instanceof Float32Array ? new Uint32Array(a.buffer, a.byteOffset, a.length) : a);
          const [w, j] = [bits(wasm), bits(js)];
          for (let i = 0; i < vals.length; i++) {
            // the plain loop: the pattern itself, read as the output dtype
            const want = k.dtype === "float32" ? vals[i] : wrapTo(to, vals[i]);
            if (w[i] !== want) expect(`${what} ${vals[i].toString(16)}: ${w[i]}`).toBe(`: ${want}`);
            if (!signalling(vals[i]) && w[i] !== j[i]) expect(`${what} ${vals[i].toString(16)}: ${w[i]} (JS ${j[i]})`).toBe("equal");
          }
        }
      }
    } finally {
      setWasmMinSize(prev);
    }
  });

  it.each(INTS)("%s: reductions of the new ops over the innermost axis and over a strided axis (columns)", (d) => {
    const prev = setWasmMinSize(0);
    try {
      for (const [R, C] of [[1, 1], [5, 3], [7, 4], [3, 9], [33, 17], [2, 1031]]) {
        const [xs, ys] = pairs(d, 2 + R * (C + 3));
        const x = pooled(d, xs);
        const y = pooled(d, ys);
        const at = (r: number, c: number) => 2 + r * (C + 3) + c;
        const exprs: [string, Expr, (a: number, b: number) => number][] = [
          ["popcount", unary("population_count", load(0, d)), (a) => UN_REF.population_count(a, d)],
          ["clz", unary("clz", load(0, d)), (a) => UN_REF.clz(a, d)],
          ["div", binary("div", load(0, d), load(1, d)), (a, b) => BIN_REF.div!(a, b, d)],
          ["rem", binary("rem", load(0, d), load(1, d)), (a, b) => BIN_REF.rem!(a, b, d)],
          ["pow", binary("pow", load(0, d), load(1, d)), (a, b) => BIN_REF.pow!(a, b, d)],
        ];
        for (const [name, e, ref] of exprs) {
          for (const op of ["sum", "max", "min"] as ReduceOp[]) {
            // rows: [R, C] reduced over C (the innermost axis); columns: reduced over R (loop [C, R])
            for (const axis of [1, 0]) {
              const view = axis === 1 ? { strides: [C + 3, 1], offset: 2 } : { strides: [1, C + 3], offset: 2 };
              const shape = axis === 1 ? [R, C] : [C, R];
              const k: Kernel = { loopShape: shape, inputs: [{ dtype: d, view }, { dtype: d, view }], expr: cast(e, "int32"), dtype: "int32", reduce: { op, axes: 1 } };
              const got = bothPaths(k, [x, y], shape[0], `${d} ${op} of ${name} over axis ${axis} [${R}, ${C}]`);
              for (let o = 0; o < shape[0]; o++) {
                const items = Array.from({ length: shape[1] }, (_, t) => {
                  const p = axis === 1 ? at(o, t) : at(t, o);
                  return wrapTo("int32", ref(xs[p], ys[p]));
                });
                const want = op === "sum" ? wrapTo("int32", items.reduce((a, b) => a + BigInt(b), 0n)) : op === "max" ? Math.max(...items) : Math.min(...items);
                expect(got[o], `${d} ${op} of ${name} axis ${axis} [${R}, ${C}] out ${o}`).toBe(want);
              }
            }
          }
        }
      }
    } finally {
      setWasmMinSize(prev);
    }
  });
});

type IntRow = (typeof fixture.ints)["int32"];

describe("through the public API, eager and under jit: the WebAssembly path equals the JavaScript path and JAX", () => {
  it.each(INTS)("%s: div, rem, power, population_count, clz, integer_pow", (d) => {
    cpu(() => {
      const row = fixture.ints[d] as IntRow;
      const x = np.array(row.x, { dtype: d }) as JArray;
      const y = np.array(row.y, { dtype: d }) as JArray;
      const yp = np.array(row.power_y, { dtype: d }) as JArray;
      const fns: Record<string, (x: JArray, y: JArray, yp: JArray) => JArray> = {
        div: (a, b) => lax.div(a, b) as JArray,
        rem: (a, b) => lax.rem(a, b) as JArray,
        power: (a, _b, p) => np.power(a, p) as JArray,
        population_count: (a) => lax.populationCount(a) as JArray,
        clz: (a) => lax.clz(a) as JArray,
      };
      for (const n of [0, 1, 2, 3, 5, 31]) fns[`integer_pow_${n}`] = (a) => lax.integerPow(a, n) as JArray;
      const prev = setWasmMinSize(0);
      try {
        const jitted = jit((a: JArray, b: JArray, p: JArray) => Object.fromEntries(Object.entries(fns).map(([k, f]) => [k, f(a, b, p)]))) as (a: JArray, b: JArray, p: JArray) => Record<string, JArray>;
        const results: Record<string, Record<string, JArray>> = {};
        for (const mode of ["js", "wasm"] as const) {
          setWasmEnabled(mode === "wasm");
          const eager: Record<string, JArray> = {};
          const slow: string[] = [];
          for (const [name, f] of Object.entries(fns)) {
            const before = wasmLaunchCount();
            eager[name] = f(x, y, yp);
            eager[name].dataSync();
            if (wasmLaunchCount() === before) slow.push(name);
          }
          // every op launched WebAssembly (none with the path off)
          expect(slow.sort(), `${d} ${mode}: ops without a WebAssembly launch`).toEqual(mode === "wasm" ? [] : Object.keys(fns).sort());
          results[`${mode} eager`] = eager;
          const before = wasmLaunchCount();
          results[`${mode} jit`] = jitted(x, y, yp);
          for (const r of Object.values(results[`${mode} jit`])) r.dataSync();
          if (mode === "wasm") expect(wasmLaunchCount()).toBeGreaterThan(before);
        }
        for (const name of Object.keys(fns)) {
          const want = (row as unknown as Record<string, number[]>)[name];
          for (const [mode, res] of Object.entries(results)) {
            expect(res[name].dtype, `${d} ${name} (${mode})`).toBe(d);
            expect(Array.from(res[name].dataSync() as ArrayLike<number>), `${d} ${name} (${mode})`).toEqual(want);
          }
        }
      } finally {
        setWasmMinSize(prev);
      }
    });
  });

  it("bitcast_convert_type between float32 and int32/uint32 (JAX's bit patterns)", () => {
    cpu(() => {
      const b = fixture.bitcast;
      const prev = setWasmMinSize(0);
      try {
        for (const mode of ["js", "wasm"] as const) {
          setWasmEnabled(mode === "wasm");
          const f = np.array(new Float32Array(new Uint32Array(b.u32).buffer), { dtype: "float32" }) as JArray;
          const i = np.array(b.to_int32, { dtype: "int32" }) as JArray;
          const before = wasmLaunchCount();
          const toI = lax.bitcastConvertType(f, "int32") as JArray;
          const toU = jit((a: JArray) => lax.bitcastConvertType(a, "uint32"))(f) as JArray;
          const toF = lax.bitcastConvertType(i, "float32") as JArray;
          expect(Array.from(toI.dataSync() as Int32Array), mode).toEqual(b.to_int32);
          expect(Array.from(toU.dataSync() as Uint32Array), mode).toEqual(b.to_uint32);
          expect(Array.from(new Uint32Array((toF.dataSync() as Float32Array).slice().buffer)), mode).toEqual(b.int32_to_float32_bits);
          expect(wasmLaunchCount() - before, mode).toBe(mode === "wasm" ? 3 : 0);
        }
      } finally {
        setWasmMinSize(prev);
      }
    });
  });
});

describe("argmax/argmin in WebAssembly (the argreduce routine): the first index of the extreme, a NaN the extreme", () => {
  const DTYPES = ["float32", "bool", ...INTS] as const;
  /** [outer, n, inner]: the reduced axis innermost (rows: n mod 4 of 0…3, n < 4) or strided (columns: inner mod 4 of 0…3). */
  const SHAPES = [[1, 1, 1], [1, 2, 1], [1, 3, 1], [3, 4, 1], [2, 5, 1], [2, 7, 1], [5, 8, 1], [1, 8195, 1], [3, 1031, 1], [2, 5, 3], [3, 7, 4], [2, 9, 5], [1, 33, 17], [4, 1, 6], [2, 3, 1031], [1, 2, 8]];

  /** Values with many ties (a few distinct values), limits, and for float32 ±inf, ±0, and NaNs in some rows (some first). */
  function data(d: (typeof DTYPES)[number], size: number, seed: number): number[] {
    const pool = d === "float32" ? [-Infinity, Infinity, -0, 0, 1, -1, 3.5, 3.4028234663852886e38, -3.4028234663852886e38] : d === "bool" ? [0, 1] : edges(d);
    let s = seed;
    const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s >>> 8);
    const out = Array.from({ length: size }, () => pool[next() % Math.min(pool.length, 5 + (seed % 7))]);
    if (d === "float32" && seed % 2 === 1) for (let i = 0; i < size; i++) if (next() % 97 === 0 || i === seed % size) out[i] = NaN;
    return out;
  }
  /** The plain loop: the lowest index among the extremes, a NaN above every number (and NaNs equal). */
  function ref(xs: number[], [outer, n, inner]: number[], op: "max" | "min"): number[] {
    const out: number[] = [];
    for (let a = 0; a < outer; a++) {
      for (let c = 0; c < inner; c++) {
        let best = 0;
        for (let i = 1; i < n; i++) {
          const v = xs[(a * n + i) * inner + c];
          const b = xs[(a * n + best) * inner + c];
          if (Number.isNaN(b)) break;
          if (Number.isNaN(v) || (op === "max" ? v > b : v < b)) best = i;
        }
        out.push(best);
      }
    }
    return out;
  }

  it.each(DTYPES)("%s: rows and columns of every length class, eager and under jit, equal to the JavaScript routine and a loop", (d) => {
    cpu(() => {
      const prev = setWasmMinSize(0);
      try {
        SHAPES.forEach((shape, si) => {
          for (const seed of [2 * si + 1, 2 * si + 2]) {
            const xs = data(d, shape[0] * shape[1] * shape[2], seed);
            const x = np.array(xs, { dtype: d }).reshape(shape) as JArray;
            for (const op of ["max", "min"] as const) {
              const f = (v: JArray) => (op === "max" ? lax.argmax(v, 1) : lax.argmin(v, 1)) as JArray;
              const want = ref(Array.from(x.dataSync() as ArrayLike<number>), shape, op);
              for (const mode of ["js", "wasm"] as const) {
                setWasmEnabled(mode === "wasm");
                const before = wasmLaunchCount();
                const eager = f(x);
                const got = Array.from(eager.dataSync() as Int32Array);
                expect(wasmLaunchCount() - before, `${d} arg${op} ${shape} ${mode}: launches`).toBe(mode === "wasm" ? 1 : 0);
                const jitted = Array.from((jit(f)(x) as JArray).dataSync() as Int32Array);
                if (JSON.stringify(got) !== JSON.stringify(want) || JSON.stringify(jitted) !== JSON.stringify(want)) {
                  expect({ eager: got, jit: jitted }, `${d} arg${op} ${shape} seed ${seed} (${mode})`).toEqual({ eager: want, jit: want });
                }
              }
            }
          }
        });
      } finally {
        setWasmMinSize(prev);
      }
    });
  });

  it("over a transposed, sliced or broadcast operand, and every axis of a 3-d array", () => {
    cpu(() => {
      const prev = setWasmMinSize(0);
      try {
        const xs = data("float32", 6 * 7 * 9, 3);
        const x = np.array(xs, { dtype: "float32" }).reshape([6, 7, 9]) as JArray;
        const views: [string, JArray][] = [
          ["x", x],
          ["transposed", np.transpose(x, [2, 0, 1]) as JArray],
          ["sliced", lax.slice(x, [1, 0, 2], [6, 7, 9], [2, 1, 3]) as JArray],
          ["broadcast", np.broadcastTo(np.array(xs.slice(0, 9), { dtype: "float32" }), [5, 4, 9]) as JArray],
        ];
        for (const [name, v] of views) {
          for (let axis = 0; axis < 3; axis++) {
            for (const f of [np.argmax, np.argmin]) {
              setWasmEnabled(false);
              const js = Array.from((f(v, axis) as JArray).dataSync() as Int32Array);
              setWasmEnabled(true);
              const before = wasmLaunchCount();
              const wasm = Array.from((f(v, axis) as JArray).dataSync() as Int32Array);
              expect(wasmLaunchCount(), `${name} axis ${axis}`).toBeGreaterThan(before);
              expect(wasm, `${name} axis ${axis}`).toEqual(js);
              const shape = v.shape;
              const moved = np.moveaxis(v, axis, 1) as JArray;
              const dims = [shape.slice(0, axis).reduce((a, b) => a * b, 1), shape[axis], shape.slice(axis + 1).reduce((a, b) => a * b, 1)];
              const flat = Array.from(np.reshape(np.moveaxis(moved, 1, axis), [-1]).dataSync() as Float32Array);
              expect(wasm, `${name} axis ${axis}: the loop`).toEqual(ref(flat, dims, f === np.argmax ? "max" : "min"));
            }
          }
        }
      } finally {
        setWasmMinSize(prev);
      }
    });
  });

  it("equals JAX: every integer dtype (ties, limits) and float32 (NaN first or later, ±inf, −0 and 0), over both axes", () => {
    cpu(() => {
      const prev = setWasmMinSize(0);
      try {
        const parse = (v: number | string | null) => (v === null ? NaN : v === "-0" ? -0 : v === "inf" ? Infinity : v === "-inf" ? -Infinity : (v as number));
        const cases: [string, JArray, Record<string, unknown>][] = INTS.map((d) => {
          const row = fixture.ints[d] as IntRow;
          const n = Math.round(Math.sqrt(row.x.length));
          return [d, np.array(row.x, { dtype: d }).reshape([n, n]) as JArray, row as unknown as Record<string, unknown>];
        });
        cases.push(["float32", np.array(fixture.float32.x.map((r) => r.map(parse)), { dtype: "float32" }) as JArray, fixture.float32 as unknown as Record<string, unknown>]);
        for (const [d, m, row] of cases) {
          for (const mode of ["js", "wasm"] as const) {
            setWasmEnabled(mode === "wasm");
            for (const op of ["argmax", "argmin"] as const) {
              for (const axis of [0, 1]) {
                const f = op === "argmax" ? np.argmax : np.argmin;
                const before = wasmLaunchCount();
                const got = Array.from((f(m, axis) as JArray).dataSync() as Int32Array);
                expect(wasmLaunchCount() - before).toBe(mode === "wasm" ? 1 : 0);
                const viaJit = Array.from((jit((v: JArray) => f(v, axis) as JArray)(m) as JArray).dataSync() as Int32Array);
                expect(got, `${d} ${op} axis ${axis} (${mode})`).toEqual(row[`${op}_axis${axis}`]);
                expect(viaJit, `${d} ${op} axis ${axis} (${mode}, jit)`).toEqual(row[`${op}_axis${axis}`]);
              }
            }
          }
        }
      } finally {
        setWasmMinSize(prev);
      }
    });
  });
});

describe("argmax/argmin where the JavaScript routine keeps the work", () => {
  it("empty outputs, float64 and float16 operands, and the path turned off give the JavaScript routine's answers", () => {
    cpu(() => {
      const prev = setWasmMinSize(0);
      try {
        const cases: [string, JArray, number, number[]][] = [
          ["[0, 5] axis 1", np.zeros([0, 5], { dtype: "float32" }) as JArray, 1, []],
          ["[5, 0] axis 0", np.zeros([5, 0], { dtype: "int8" }) as JArray, 0, []],
          ["float16", np.array([1, 3, 3, -2], { dtype: "float16" }) as JArray, 0, [1]],
          ["float64", np.array([1, NaN, 3, NaN], { dtype: "float64" }) as JArray, 0, [1]],
        ];
        for (const [name, x, axis, want] of cases) {
          const before = wasmLaunchCount();
          expect(Array.from(np.argmax(x, axis).dataSync() as Int32Array), name).toEqual(want);
          expect(wasmLaunchCount(), `${name}: no WebAssembly launch`).toBe(before);
        }
      } finally {
        setWasmMinSize(prev);
      }
    });
  });
});
