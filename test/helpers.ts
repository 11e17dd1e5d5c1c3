/** Shared test helpers: arrays from plain numbers, tolerant comparison, float64 finite differences. */
import { expect } from "vitest";
import { Array } from "../src/array.js";
import type { DType } from "../src/dtype.js";
import { allocate } from "../src/dtype.js";
import type { Value } from "../src/trace/core.js";

type Nested = number | Nested[];

export function shapeOf(v: Nested): number[] {
  return typeof v === "number" ? [] : [v.length, ...shapeOf(v[0] ?? 0)].slice(0, v.length === 0 ? 1 : undefined);
}

/** A concrete array from nested numbers (float64 by default, for precise checks). */
export function arr(values: Nested, dtype: DType = "float64", shape?: number[]): Array {
  const flat: number[] = [];
  const walk = (v: Nested) => (typeof v === "number" ? flat.push(v) : v.forEach(walk));
  walk(values);
  const s = shape ?? shapeOf(values);
  const data = allocate(dtype, flat.length);
  flat.forEach((v, i) => (data[i] = v));
  return Array.fromTyped(data, s, dtype);
}

/** Deterministic pseudo-random numbers in [lo, hi). */
export function rand(n: number, seed = 1, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out.push(lo + ((s >>> 0) / 4294967296) * (hi - lo));
  }
  return out;
}

export function randArr(shape: number[], seed = 1, lo = -1, hi = 1, dtype: DType = "float64"): Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return arr(rand(n, seed, lo, hi), dtype, shape);
}

export function values(x: Value): number[] {
  return globalThis.Array.from((x as Array).dataSync());
}

export function expectClose(actual: Value | number, expected: Value | number[] | number, tol = 1e-6) {
  const a = typeof actual === "number" ? [actual] : values(actual);
  const e = typeof expected === "number" ? [expected] : globalThis.Array.isArray(expected) ? expected.flat(Infinity as 1) as number[] : values(expected);
  expect(a.length).toBe(e.length);
  a.forEach((v, i) => {
    const ok = (Number.isNaN(v) && Number.isNaN(e[i])) || v === e[i] || Math.abs(v - e[i]) <= tol * Math.max(1, Math.abs(e[i]));
    if (!ok) expect.fail(`element ${i}: got ${v}, expected ${e[i]} (tol ${tol}); all: [${a.slice(0, 12).join(", ")}] vs [${e.slice(0, 12).join(", ")}]`);
  });
}

/** Central finite difference of a scalar-valued function of one array, along direction `dir`. */
export function finiteDiff(f: (x: Array) => Value, x: Array, dir: Array, eps = 1e-6): number[] {
  const xs = values(x);
  const ds = values(dir);
  const plus = arr(xs.map((v, i) => v + eps * ds[i]), "float64", [...x.shape]);
  const minus = arr(xs.map((v, i) => v - eps * ds[i]), "float64", [...x.shape]);
  const fp = values(f(plus));
  const fm = values(f(minus));
  return fp.map((v, i) => (v - fm[i]) / (2 * eps));
}

export function dot(a: number[], b: number[]): number {
  return a.reduce((s, v, i) => s + v * b[i], 0);
}
