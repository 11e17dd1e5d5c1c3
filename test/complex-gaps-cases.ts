/**
 * The JAX fixture of the remaining complex gaps (test/fixtures/complexgaps/,
 * written by its generate.py) and the jaxon call each case stands for; shared
 * by test/complex-gaps.test.ts and test/complex-gaps-webgpu.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { grad, lax, np, type Value } from "../src/index.js";
import type { Complex, DType } from "../src/dtype.js";
import { arr } from "./helpers.js";
import { data } from "./complex-ops-cases.js";

export type Input = { kind: "r" | "c"; shape: number[]; seed: number } | { kind: "v"; values: [number, number][] };
type Num = number | "nan" | "inf" | "-inf" | "-0";
export interface Case {
  id: string;
  fn: string;
  inputs: Input[];
  kwargs: { scale: number; lit?: Complex; lit2?: Complex; axis?: number; keepdims?: boolean };
  dtype: string;
  outShape: number[];
  out: Num[];
  weak: boolean;
  grad?: Num[];
  gradDtype?: string;
  gradShape?: number[];
}
export const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "complexgaps", "cases.json"), "utf8")) as {
  jax: string;
  cases: Case[];
  errors: { fn: string; jax: string }[];
};

/** A fixture number (special values are strings in the JSON). */
export const num = (v: Num): number => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v === "-0" ? -0 : v);
export const nums = (vs: Num[]): number[] => vs.map(num);

/** An input's numbers (scaled as the generator does, in float32) and its storage shape. */
export function inputNumbers(i: Input, scale: number): { v: number[]; shape: number[]; complex: boolean } {
  if (i.kind === "v") return { v: i.values.flat(), shape: [i.values.length, 2], complex: true };
  const n = i.shape.reduce((a, b) => a * b, 1);
  const v = data(i.kind === "r" ? n : 2 * n, i.seed).map((x) => Math.fround(x * Math.fround(scale)));
  return { v, shape: i.kind === "r" ? i.shape : [...i.shape, 2], complex: i.kind === "c" };
}

/** An input as a jaxon array in float32/complex64 or float64/complex128 (`from` makes the storage, e.g. on a device). */
export function makeInput(i: Input, scale: number, dtype: "float32" | "float64" = "float32", from?: (values: number[], shape: number[], dtype: DType) => Value): Value {
  const make = from ?? ((v: number[], s: number[], d: DType) => arr(v, d, s));
  const { v, shape, complex } = inputNumbers(i, scale);
  const a = make(v, shape, dtype);
  return complex ? lax.pairsToComplex(a) : a;
}

/** A value as plain numbers: complex as interleaved pairs, real as they are. */
export const pairsOf = (v: Value): Value => (v.dtype === "complex64" || v.dtype === "complex128" ? lax.complexToPairs(v) : v);

type F = (...xs: Value[]) => Value;
const abs2 = (z: Value) => np.sum(np.square(lax.complexToPairs(z)));
export const UNARY = ["rsqrt", "logistic", "asin", "acos", "atan", "asinh", "acosh", "atanh"] as const;
const unaryOf: Record<(typeof UNARY)[number], F> = {
  rsqrt: (z) => lax.rsqrt(z),
  logistic: (z) => lax.logistic(z),
  asin: (z) => np.arcsin(z),
  acos: (z) => np.arccos(z),
  atan: (z) => np.arctan(z),
  asinh: (z) => np.arcsinh(z),
  acosh: (z) => np.arccosh(z),
  atanh: (z) => np.arctanh(z),
};

/** The jaxon function a case stands for (the gradient cases: a real function of its first input). */
export function callOf(c: Case): F {
  const k = c.kwargs;
  const L = k.lit!;
  if ((UNARY as readonly string[]).includes(c.fn)) return unaryOf[c.fn as (typeof UNARY)[number]];
  if (c.fn.startsWith("g.") && (UNARY as readonly string[]).includes(c.fn.slice(2))) {
    const f = unaryOf[c.fn.slice(2) as (typeof UNARY)[number]];
    return (z) => abs2(f(z));
  }
  switch (c.fn) {
    case "lit.add": return (z) => z.add(L);
    case "lit.multiply": return (z) => np.multiply(z, L);
    case "lit.subtractFirst": return (x) => np.subtract(L, x);
    case "lit.addInt": return (x) => np.add(np.multiply(x, 10).astype("int32"), L);
    case "lit.divide": return (z) => np.divide(z, L);
    case "lit.power": return (z) => np.power(z, L);
    case "lit.where": return (z) => np.where(np.greater(np.real(z), 0), z, L);
    case "lit.laxMul": return (z) => lax.mul(z, L);
    case "lit.lone": return () => np.add(2.0, L);
    case "g.litMul": return (z) => abs2(np.add(np.multiply(z, L), k.lit2!));
    case "g.litReal": return (x) => np.sum(np.square(np.imag(np.multiply(x, L))));
    case "gh.asin": return (z) => grad((v: Value) => np.arcsin(v), { holomorphic: true })(z) as Value;
    case "lax.max": return (a, b) => lax.max(a, b);
    case "lax.min": return (a, b) => lax.min(a, b);
    case "maximum": return (a, b) => np.maximum(a, b);
    case "minimum": return (a, b) => np.minimum(a, b);
    case "max": return (z) => np.max(z, k.axis, { keepdims: k.keepdims });
    case "min": return (z) => np.min(z, k.axis, { keepdims: k.keepdims });
    case "sort": return (z) => np.sort(z, k.axis ?? -1);
    case "lax.sort": return (z) => lax.sort(z) as Value;
    case "argsort": return (z) => np.argsort(z, -1);
    case "less": return (a, b) => np.less(a, b);
    case "lessEqual": return (a, b) => np.lessEqual(a, b);
    case "greater": return (a, b) => np.greater(a, b);
    case "greaterEqual": return (a, b) => np.greaterEqual(a, b);
    case "less.lit": return (z) => np.less(z, L);
    case "g.maximum": return (z, w) => abs2(np.maximum(z, w));
    case "g.max": return (z) => abs2(np.max(z, 1));
    case "g.maxTies": return (z) => { const m = np.max(z); return np.add(np.multiply(np.real(m), 3), np.imag(m)); };
    case "g.minTies": return (z) => { const m = np.min(z); return np.add(np.multiply(np.real(m), 3), np.imag(m)); };
    case "g.maximumTies": return (z, w) => { const m = np.maximum(z, w); return np.sum(np.add(np.multiply(np.real(m), 3), np.multiply(np.imag(m), 5))); };
    case "g.laxMinTies": return (w, z) => { const m = lax.min(w, z); return np.sum(np.add(np.multiply(np.real(m), 3), np.multiply(np.imag(m), 5))); };
    case "g.sort": return (z) => { const s = np.sort(z); return np.add(np.sum(np.multiply(np.real(s), np.arange(6))), np.sum(np.imag(s))); };
    default: throw new Error(`complex-gaps fixture: no jaxon call for ${c.fn}`);
  }
}

/**
 * The largest error of any element relative to that element's magnitude (a
 * complex one's |z|), floored at `floor` times the result's scale; NaN must
 * meet NaN and an infinity the same infinity.
 */
export function elementErr(got: ArrayLike<number>, want: ArrayLike<number>, complex: boolean, floor = 1e-6): number {
  const step = complex ? 2 : 1;
  let scale = 0;
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i])) scale = Math.max(scale, Math.abs(want[i]));
  let worst = 0;
  for (let i = 0; i < want.length; i += step) {
    let mag = 0;
    for (let j = i; j < i + step; j++) if (Number.isFinite(want[j])) mag = Math.max(mag, Math.abs(want[j]));
    for (let j = i; j < i + step; j++) {
      const [g, w] = [got[j], want[j]];
      if (Number.isNaN(w) || !Number.isFinite(w)) {
        if (!Object.is(g, w) && !(Number.isNaN(w) && Number.isNaN(g))) return Infinity;
        continue;
      }
      const e = Math.abs(g - w) / Math.max(mag, floor * scale, 1e-30);
      if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
    }
  }
  return worst;
}
