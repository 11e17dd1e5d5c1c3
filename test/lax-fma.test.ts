/**
 * lax's internal fma (src/lax/fma.ts): a·b + c rounded once, on the CPU,
 * against an independent reference: the exact value as a BigInt multiple of
 * 2^-298 (every float32 product is one), rounded to the dtype with ties to
 * even by integer arithmetic. Includes a case where rounding the float64 sum
 * again (double rounding) gives the wrong neighbour.
 */
import { beforeAll, describe, expect, it } from "vitest";
import "../src/index.js";
import { defaultDevice, jit, np } from "../src/index.js";
import * as lax from "../src/lax/index.js";
import { fma } from "../src/lax/fma.js";
import type { Value } from "../src/trace/core.js";
import { setWasmEnabled, wasmEnabled, wasmLaunchCount } from "../src/backend/cpu/wasm/index.js";

const SCALE = 298n; // a float32 or float16 is an integer multiple of 2^-149; a product of two, of 2^-298

/** x (a float32 or float16 value) as an integer multiple of 2^-149. */
function units(x: number): bigint {
  if (x === 0) return 0n;
  let m = Math.abs(x) * 2 ** 149; // exact: a power-of-two scaling of a value with ≤ 24 significant bits
  let n = 0n;
  // split into exact 2^30 chunks (m can exceed 2^53)
  const parts: number[] = [];
  while (m >= 1) {
    parts.push(m % 2 ** 30);
    m = Math.floor(m / 2 ** 30);
  }
  for (let i = parts.length - 1; i >= 0; i--) n = (n << 30n) + BigInt(parts[i]);
  return x < 0 ? -n : n;
}

/** N·2^-298 rounded to nearest (ties to even) with `bits` significant bits and least exponent `minExp` (subnormals). */
function roundExact(N: bigint, bits: number, minExp: number): number {
  if (N === 0n) return 0;
  const neg = N < 0n;
  const a = neg ? -N : N;
  const len = a.toString(2).length;
  let shift = BigInt(len - bits);
  if (shift - SCALE < BigInt(minExp)) shift = BigInt(minExp) + SCALE;
  let q: bigint;
  if (shift <= 0n) q = a << -shift;
  else {
    q = a >> shift;
    const rem = a - (q << shift);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  const v = Number(q) * 2 ** Number(shift - SCALE);
  return neg ? -v : v;
}

const reference = (a: number, b: number, c: number, d: "float32" | "float16") =>
  d === "float32" ? roundExact(units(a) * units(b) + (units(c) << 149n), 24, -149) : roundExact(units(a) * units(b) + (units(c) << 149n), 11, -24);

/** Random values of the dtype over a spread of magnitudes, some c close to −a·b (cancellation). */
function triples(n: number, d: "float32" | "float16", seed: number) {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const round = d === "float32" ? Math.fround : (x: number) => (np.array([x], { dtype: "float16" }).dataSync() as Float32Array)[0];
  const span = d === "float32" ? 20 : 6;
  const v = () => (rnd() < 0.5 ? -1 : 1) * (1 + rnd()) * 2 ** Math.floor((rnd() - 0.5) * span);
  const a: number[] = [], b: number[] = [], c: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = v();
    const y = v();
    a.push(x);
    b.push(y);
    c.push(i % 3 === 0 ? -x * y * (1 + (rnd() - 0.5) * 2 ** -8) : v());
  }
  return [a, b, c].map((xs) => xs.map(round));
}

describe("lax fma (CPU)", () => {
  beforeAll(() => defaultDevice("cpu"));

  it("float32: where the float64 sum is a float32 midpoint, the single rounding (not the double one)", () => {
    // a·b = 2^-24 − 2^-70, so a·b + c = 1 + 2^-23 + 2^-24 − 2^-70: just below the midpoint of 1 + 2^-23 and
    // 1 + 2^-22; in float64 it is the midpoint exactly, which rounds (to even) up to 1 + 2^-22
    const a = np.array([1 + 2 ** -23], { dtype: "float32" });
    const b = np.array([(1 - 2 ** -23) * 2 ** -24], { dtype: "float32" });
    const c = np.array([1 + 2 ** -23], { dtype: "float32" });
    expect(Array.from(fma(a, b, c).dataSync())).toEqual([1 + 2 ** -23]);
    expect(Array.from((jit((x: Value, y: Value, z: Value) => fma(x, y, z)) as (...v: Value[]) => Value)(a, b, c).dataSync())).toEqual([1 + 2 ** -23]);
    expect(Math.fround(Math.fround(1 + 2 ** -23) * Math.fround((1 - 2 ** -23) * 2 ** -24) + Math.fround(1 + 2 ** -23))).toBe(1 + 2 ** -22);
    // and a multiply then an add round a·b first: 1 + 2^-23 + 2^-24 in float32 arithmetic, to even
    expect(Array.from(lax.add(lax.mul(a, b), c).dataSync())).toEqual([1 + 2 ** -22]);
  });

  for (const d of ["float32", "float16"] as const) {
    it(`${d}: 3000 random triples equal the exactly rounded a·b + c, eager and jitted`, () => {
      const [a, b, c] = triples(3000, d, d === "float32" ? 7 : 11);
      const want = a.map((x, i) => reference(x, b[i], c[i], d));
      const [A, B, C] = [a, b, c].map((xs) => np.array(xs, { dtype: d }));
      expect(Array.from(fma(A, B, C).dataSync())).toEqual(want);
      expect(Array.from((jit((x: Value, y: Value, z: Value) => fma(x, y, z)) as (...v: Value[]) => Value)(A, B, C).dataSync())).toEqual(want);
    });
  }

  it("float32 in Wasm kernels: midpoint sums (exact and not), subnormal results and broadcast operands, as the exact rounding and the JavaScript path", () => {
    if (!wasmEnabled()) return expect(wasmEnabled()).toBe(false); // no WebAssembly SIMD here: the JavaScript path, tested above
    const a: number[] = [], b: number[] = [], c: number[] = [];
    // a·b + c = c + 2^-24 − 2^-70 (and scaled, negated, and with the error toward zero): in float64 a
    // float32 midpoint that the exact sum is not, so rounding that again goes the wrong way
    for (let j = 0; j < 400; j++) {
      const scale = 2 ** ((j % 40) - 20);
      const sign = j % 3 === 0 ? -1 : 1;
      a.push(sign * (1 + 2 ** -23) * scale);
      b.push((j % 2 ? 1 : -1) * (1 - 2 ** -23) * 2 ** -24);
      c.push(sign * (1 + (j % 7) * 2 ** -23 + (j % 2 ? 0 : 2 ** -22)) * scale);
    }
    // exact midpoints (a product of few bits: no double rounding to fix) and results below 2^-126
    for (let j = 0; j < 400; j++) {
      a.push(j % 2 ? (1 + j * 2 ** -20) * 2 ** -70 : 1 + j * 2 ** -23);
      b.push(j % 2 ? -(1 + (j % 13) * 2 ** -21) * 2 ** -70 : -0.5);
      c.push(j % 2 ? (j % 5) * 2 ** -149 * 3 : (1 + (j % 9) * 2 ** -23) * 2 ** -24);
    }
    // a float32-subnormal midpoint in float64 that the exact sum is not: (2^22 + k + ½)·2^-149 − 2^-196
    for (let j = 0; j < 100; j++) {
      const sign = j % 2 ? -1 : 1;
      a.push(sign * (1 + 2 ** -23) * 2 ** -60);
      b.push((1 - 2 ** -23) * 2 ** -90);
      c.push(sign * (2 ** 22 + j) * 2 ** -149);
    }
    const [r1, r2, r3] = triples(800, "float32", 5);
    a.push(...r1);
    b.push(...r2);
    c.push(...r3);
    const [A, B, C] = [a, b, c].map((xs) => np.array(xs.map(Math.fround), { dtype: "float32" }));
    const want = a.map((x, i) => reference(Math.fround(x), Math.fround(b[i]), Math.fround(c[i]), "float32"));
    const jitted = jit((x: Value, y: Value, z: Value) => fma(x, y, z)) as (...v: Value[]) => Value;
    const before = wasmLaunchCount();
    expect(Array.from(jitted(A, B, C).dataSync())).toEqual(want);
    // a broadcast (row-invariant) operand in each place, and a constant
    const k = np.array(Math.fround(1 + 2 ** -23), { dtype: "float32" });
    const withK = [
      [k, B, C],
      [A, k, C],
      [A, B, k],
    ] as const;
    for (const [x, y, z] of withK) {
      const [xs, ys, zs] = [x, y, z].map((t) => (t === k ? a.map(() => Math.fround(1 + 2 ** -23)) : Array.from((t as typeof A).dataSync())));
      expect(Array.from(jitted(x, y, z).dataSync())).toEqual(xs.map((v, i) => reference(v, ys[i], zs[i], "float32")));
    }
    const withConst = jit((x: Value, y: Value) => fma(x, y, lax.scalar(-3, "float32"))) as (...v: Value[]) => Value;
    expect(Array.from(withConst(A, B).dataSync())).toEqual(a.map((x, i) => reference(Math.fround(x), Math.fround(b[i]), -3, "float32")));
    expect(wasmLaunchCount()).toBeGreaterThan(before);
    // inside a reduction's prologue (each fma corrected in place, no step recomputed): row sums
    const rows = a.length / 100;
    expect(Number.isInteger(rows)).toBe(true);
    const rowSums = jit((x: Value, y: Value, z: Value) => lax.reduceSum(fma(x, y, z), [1])) as (...v: Value[]) => Value;
    const [A2, B2, C2] = [A, B, C].map((t) => t.reshape([rows, 100]));
    const beforeSums = wasmLaunchCount();
    const sums = Array.from(rowSums(A2, B2, C2).dataSync());
    expect(wasmLaunchCount()).toBeGreaterThan(beforeSums);
    // and the JavaScript path agrees (the oracle of every Wasm kernel)
    const was = setWasmEnabled(false);
    try {
      expect(Array.from(jitted(A, B, C).dataSync())).toEqual(want);
      expect(Array.from(rowSums(A2, B2, C2).dataSync())).toEqual(sums);
    } finally {
      setWasmEnabled(was);
    }
  });

  it("float64: the error-free composition keeps the low product bits that a multiply then an add lose", () => {
    const a = np.array([1 + 2 ** -52], { dtype: "float64" });
    const b = np.array([1 - 2 ** -52], { dtype: "float64" });
    const c = np.array([-1], { dtype: "float64" });
    expect(Array.from(fma(a, b, c).dataSync())).toEqual([-(2 ** -104)]);
    expect(Array.from(lax.add(lax.mul(a, b), c).dataSync())).toEqual([0]);
  });

  it("NaN and infinities pass through as in a·b + c", () => {
    const a = np.array([Infinity, NaN, 2, 0], { dtype: "float32" });
    const b = np.array([2, 1, Infinity, Infinity], { dtype: "float32" });
    const c = np.array([1, 1, -Infinity, 1], { dtype: "float32" });
    const got = Array.from(fma(a, b, c).dataSync());
    expect(got[0]).toBe(Infinity);
    expect(Number.isNaN(got[1]) && Number.isNaN(got[2]) && Number.isNaN(got[3])).toBe(true);
  });
});
