/**
 * sort and argsort: values against a stable JS sort (NaNs last, ties keep
 * their order, several keys), jvp against finite differences, vjp against
 * jvp, vmap against a loop, and typed errors.
 */
import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import type { Array } from "../src/array.js";
import { ShapeError } from "../src/errors.js";
import * as lax from "../src/lax/index.js";
import { contiguousStrides, sizeOf } from "../src/shape.js";
import type { Value } from "../src/trace/core.js";
import { jvp } from "../src/transforms/jvp.js";
import { jit } from "../src/transforms/jit.js";
import { grad, vjp } from "../src/transforms/linearize.js";
import { vmap } from "../src/transforms/vmap.js";
import { arr, dot, expectClose, rand, randArr, values } from "./helpers.js";

// ---- reference ----------------------------------------------------------------------------

function compareKeys(a: number[], b: number[]): number {
  for (let k = 0; k < a.length; k++) {
    const na = Number.isNaN(a[k]);
    const nb = Number.isNaN(b[k]);
    if (na && nb) continue;
    if (na) return 1;
    if (nb) return -1;
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return 0;
}

/** Sorts flat operands of `shape` along `dim` by the first numKeys (Array.prototype.sort is stable). */
function refSort(ops: number[][], shape: number[], dim: number, numKeys: number): number[][] {
  const stride = contiguousStrides(shape)[dim];
  const n = shape[dim];
  const outs = ops.map((o) => [...o]);
  for (let flat = 0; flat < sizeOf(shape); flat++) {
    if (Math.floor(flat / stride) % n !== 0) continue; // one start per line along dim
    const at = (i: number) => flat + i * stride;
    const perm = globalThis.Array.from({ length: n }, (_, i) => i).sort((i, j) =>
      compareKeys(ops.slice(0, numKeys).map((o) => o[at(i)]), ops.slice(0, numKeys).map((o) => o[at(j)])),
    );
    ops.forEach((o, k) => perm.forEach((p, i) => (outs[k][at(i)] = o[at(p)])));
  }
  return outs;
}

const closeTo = (actual: number[], expected: number[], tol = 0) => expectClose(arr(actual, "float64", [actual.length]), expected, tol);
const sameBits = (a: Value, e: number[]) => expect(values(a).map((v) => (Number.isNaN(v) ? "NaN" : v))).toEqual(e.map((v) => (Number.isNaN(v) ? "NaN" : v)));

// ---- values ----------------------------------------------------------------------------------

describe("sort values", () => {
  it("sorts along any axis, NaNs last", () => {
    const data = [3, NaN, 1, 2, 2, -Infinity, 0, NaN, 5, Infinity, -1, 2, 7, 1, NaN, 0, -3, 4, 2, 2, 1, 8, 9, -2];
    const shape = [2, 3, 4];
    const x = arr(data, "float64", shape);
    for (const dim of [0, 1, 2, -1]) {
      const d = (dim + 3) % 3;
      sameBits(lax.sort(x, { dimension: dim }), refSort([data], shape, d, 1)[0]);
    }
    sameBits(lax.sort(arr(data, "float32", shape)), refSort([data], shape, 2, 1)[0]);
  });
  it("is stable: equal keys keep their order (carried iota)", () => {
    const keys = arr([2, 1, 2, 1, 2, NaN, 1, NaN]);
    const [k, v] = lax.sort([keys, lax.iota("int32", 8)]);
    sameBits(k, [1, 1, 1, 2, 2, 2, NaN, NaN]);
    expect(values(v)).toEqual([1, 3, 6, 0, 2, 4, 5, 7]);
  });
  it("several operands: lexicographic by numKeys keys, the rest carried along", () => {
    const shape = [3, 6];
    const k1 = rand(18, 1, 0, 3).map(Math.floor);
    const k2 = rand(18, 2, 0, 3).map(Math.floor);
    const v = rand(18, 3);
    for (const numKeys of [1, 2]) {
      const outs = lax.sort([arr(k1, "int32", shape), arr(k2, "float64", shape), arr(v, "float64", shape)], { dimension: 1, numKeys });
      const expected = refSort([k1, k2, v], shape, 1, numKeys);
      outs.forEach((o, i) => sameBits(o, expected[i]));
      expect(outs.map((o) => o.dtype)).toEqual(["int32", "float64", "float64"]);
    }
  });
  it("int32, uint32 and bool operands", () => {
    sameBits(lax.sort(arr([3, -1, 2, -5], "int32")), [-5, -1, 2, 3]);
    sameBits(lax.sort(arr([3, 4000000000, 2, 0], "uint32")), [0, 2, 3, 4000000000]);
    sameBits(lax.sort(arr([1, 0, 1, 0], "bool")), [0, 0, 1, 1]);
  });
  it("argsort: stable indices, NaNs last, any axis", () => {
    expect(values(lax.argsort(arr([0.5, NaN, -1, 0.5, 2])))).toEqual([2, 0, 3, 4, 1]);
    const x = arr([[3, 1], [1, 2], [2, 0]]);
    expect(values(lax.argsort(x, 0))).toEqual([1, 2, 2, 0, 0, 1]);
    expect(lax.argsort(x).dtype).toBe("int32");
  });
  it("bad input gets typed errors naming lax.sort", () => {
    expect(() => lax.sort([randArr([3], 1), randArr([4], 1)])).toThrow(ShapeError);
    expect(() => lax.sort([randArr([3], 1), randArr([4], 1)])).toThrow(/lax\.sort.*\(3,\).*\(4,\)/);
    expect(() => lax.sort(arr(1))).toThrow(/lax\.sort.*0-d/);
    expect(() => lax.sort([randArr([3], 1)], { numKeys: 2 })).toThrow(ShapeError);
    expect(() => lax.sort(randArr([3], 1), { dimension: 1 })).toThrow(ShapeError);
    expect(() => lax.sort([])).toThrow(ShapeError);
  });
});

// ---- derivatives -----------------------------------------------------------------------------

function checkDerivatives(f: (...xs: Value[]) => Value, shapes: number[][], seed = 1) {
  const xs = shapes.map((s, i) => randArr(s, seed + i));
  const dirs = shapes.map((s, i) => randArr(s, seed + 10 + i));
  const [out, t] = jvp(f, xs, dirs) as [Value, Value];
  const eps = 1e-6;
  const along = (e: number) => values(f(...xs.map((x, i) => arr(values(x).map((v, k) => v + e * values(dirs[i])[k]), "float64", [...x.shape]))));
  const plus = along(eps);
  const minus = along(-eps);
  closeTo(values(t), plus.map((v, k) => (v - minus[k]) / (2 * eps)), 1e-6);
  const [, pullback] = vjp(f, ...xs);
  const u = randArr([...out.shape], seed + 20);
  const cts = pullback(u) as Value[];
  const lhs = cts.reduce((s, ct, i) => s + dot(values(ct), values(dirs[i])), 0);
  const rhs = dot(values(u), values(t));
  expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * Math.max(1, Math.abs(rhs)));
}

describe("sort derivatives", () => {
  it("jvp and vjp of sort along each axis", () => {
    for (const dim of [0, 1, 2]) checkDerivatives((x) => lax.sort(x, { dimension: dim }), [[3, 4, 2]], dim + 1);
  });
  it("jvp and vjp with carried operands (keys and values both differentiated)", () => {
    checkDerivatives((k, v) => {
      const [ks, vs] = lax.sort([k, v], { dimension: 0 });
      return lax.add(lax.mul(ks, 2), vs);
    }, [[5, 2], [5, 2]]);
  });
  it("integer operands get zero tangents; a float carried operand still gets its own", () => {
    const idx = lax.iota("int32", 4);
    const x = arr([0.3, -1, 2, 0.1]);
    const [[, ys], [ti, ty]] = jvp((xx: Value) => {
      const [i, y] = lax.sort([lax.neg(xx), xx]);
      return [i, y];
    }, [x], [arr([1, 2, 3, 4])]) as [Value[], Value[]];
    closeTo(values(ys), [2, 0.3, 0.1, -1]);
    closeTo(values(ti), [-3, -1, -4, -2]);
    closeTo(values(ty), [3, 1, 4, 2]);
    const [[, is], [, ti2]] = jvp((xx: Value) => lax.sort([xx, idx]), [x], [arr([1, 2, 3, 4])]) as [Value[], Value[]];
    expect(values(is)).toEqual([1, 3, 0, 2]);
    expect(values(ti2)).toEqual([0, 0, 0, 0]);
  });
});

// ---- vmap ---------------------------------------------------------------------------------------

function stackAt(xs: Value[], axis: number): Value {
  return lax.moveAxis(lax.concatenate(xs.map((x) => lax.expandDims(x, [0])), 0), 0, axis);
}
function checkVmap(f: (...xs: Value[]) => Value, examples: Array[][], inAxes: (number | null)[]) {
  const B = examples.length;
  const args = inAxes.map((ax, i) => (ax === null ? examples[0][i] : stackAt(examples.map((e) => e[i]), ax)));
  const expected = examples.map((e) => values(f(...e.map((x, i) => (inAxes[i] === null ? examples[0][i] : x)))));
  const out = vmap(f, { inAxes })(...args) as Value;
  expect(out.shape[0]).toBe(B);
  const got = values(out);
  const per = got.length / B;
  for (let b = 0; b < B; b++) closeTo(got.slice(b * per, (b + 1) * per), expected[b]);
}

describe("sort under vmap", () => {
  const shape = [3, 4];
  const withTies = (seed: number) => arr(rand(12, seed, 0, 4).map(Math.floor), "float64", shape);
  it("one operand, every batch axis, every sort axis", () => {
    const examples = [0, 1, 2].map((b) => [withTies(b + 1)]);
    for (const dim of [0, 1, -1]) for (const ax of [0, 1, 2]) checkVmap((x) => lax.sort(x, { dimension: dim }), examples, [ax]);
  });
  it("several operands, some unbatched", () => {
    const examples = [0, 1, 2].map((b) => [withTies(b + 5), randArr(shape, b + 9), withTies(b + 13)]);
    const f = (k: Value, v: Value, k2: Value) => {
      const [a, b, c] = lax.sort([k, k2, v], { dimension: 0, numKeys: 2 });
      return lax.add(lax.add(a, lax.mul(b, 10)), lax.mul(c, 100));
    };
    for (const inAxes of [[0, null, null], [null, 1, null], [null, null, 2], [2, 0, null], [1, 1, 0]]) checkVmap(f, examples, inAxes);
  });
  it("argsort, and vmap of jvp", () => {
    const examples = [0, 1, 2].map((b) => [withTies(b + 20)]);
    checkVmap((x) => lax.convert(lax.argsort(x, 0), "float64"), examples, [1]);
    const tangentOf = (x: Value) => (jvp((y: Value) => lax.sort(y, { dimension: 1 }), [x], [lax.mul(x, 3)]) as [Value, Value])[1];
    checkVmap(tangentOf, [0, 1, 2].map((b) => [randArr(shape, b + 30)]), [2]);
  });
});

describe("sort under jit", () => {
  it("jit == eager; grad of jit; vmap of jit", () => {
    const f = (x: Value) => {
      const [s, i] = lax.sort([x, lax.iota("int32", x.shape, 0)], { dimension: 0 });
      return lax.add(lax.mul(s, lax.convert(i, "float64")), lax.sort(x, { dimension: 1 }));
    };
    const x = randArr([4, 3], 5);
    expectClose(jit(f)(x) as Value, values(f(x)), 0);
    const loss = (y: Value) => lax.reduceSum(lax.square(f(y)), [0, 1]);
    expectClose(grad(jit(loss))(x) as Value, values(grad(loss)(x) as Value), 1e-15);
    const xs = randArr([2, 4, 3], 6);
    expectClose(vmap(jit(f))(xs) as Value, values(vmap(f)(xs) as Value), 0);
    expectClose(jit(lax.argsort)(arr([2, NaN, 1])) as Value, [2, 0, 1], 0);
  });
});
