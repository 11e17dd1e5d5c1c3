/**
 * gather, the scatters, dynamic_slice, dynamic_update_slice: values against
 * hand-written loops (clamping, dropping and starts from the end included), jvp against finite differences,
 * vjp against jvp (dot-product test), vmap against a loop over the batch for
 * every combination of batched operand / indices / starts, and typed errors.
 */
import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import type { Array } from "../src/array.js";
import { DTypeError, ShapeError } from "../src/errors.js";
import * as lax from "../src/lax/index.js";
import { contiguousStrides, sizeOf } from "../src/shape.js";
import type { Value } from "../src/trace/core.js";
import { jvp } from "../src/transforms/jvp.js";
import { jit } from "../src/transforms/jit.js";
import { makeJaxpr } from "../src/transforms/make-jaxpr.js";
import { grad, vjp } from "../src/transforms/linearize.js";
import { vmap } from "../src/transforms/vmap.js";
import { arr, dot, expectClose, rand, randArr, values } from "./helpers.js";

// ---- references -----------------------------------------------------------------------

function unravel(flat: number, shape: readonly number[]): number[] {
  const s = contiguousStrides(shape);
  return s.map((st, i) => Math.floor(flat / st) % shape[i]);
}
const ravel = (idx: number[], shape: readonly number[]) => idx.reduce((f, v, i) => f * shape[i] + v, 0);
const clampTo = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
/** A dynamic start as JAX takes it: a negative one counts from the end, then the window is clamped inside. */
const startAt = (s: number, dim: number, window: number) => clampTo(s < 0 ? s + dim : s, 0, dim - window);

/** For each element of gather's output: [flat output index, flat operand index]. */
/** Out-of-range indices clamp (gather), or their pairs are left out (scatters drop them). */
function gatherMap(xShape: number[], iv: number[], iShape: number[], axis: number, bd: number, drop = false): [number, number][] {
  const outShape = [...xShape.slice(0, axis), ...iShape.slice(bd), ...xShape.slice(axis + 1)];
  const k = iShape.length - bd;
  const pairs: [number, number][] = [];
  for (let o = 0; o < sizeOf(outShape); o++) {
    const oi = unravel(o, outShape);
    const idx = iv[ravel([...oi.slice(0, bd), ...oi.slice(axis, axis + k)], iShape)];
    if (drop && (idx < 0 || idx >= xShape[axis])) continue;
    const src = [...oi.slice(0, axis), clampTo(idx, 0, xShape[axis] - 1), ...oi.slice(axis + k)];
    pairs.push([o, ravel(src, xShape)]);
  }
  return pairs;
}
function refGather(x: Array, idx: Array, axis: number, bd: number): number[] {
  const xv = values(x);
  return gatherMap([...x.shape], values(idx), [...idx.shape], axis, bd).map(([, s]) => xv[s]);
}
function refScatterAdd(x: Array, idx: Array, upd: Array, axis: number, bd: number): number[] {
  const out = values(x);
  const uv = values(upd);
  for (const [o, s] of gatherMap([...x.shape], values(idx), [...idx.shape], axis, bd, true)) out[s] += uv[o];
  return out;
}
function refDynamicSlice(x: Array, starts: number[], sizes: number[]): number[] {
  const xv = values(x);
  const st = starts.map((s, d) => startAt(s, x.shape[d], sizes[d]));
  return globalThis.Array.from({ length: sizeOf(sizes) }, (_, o) => xv[ravel(unravel(o, sizes).map((v, d) => v + st[d]), x.shape)]);
}
function refDynamicUpdateSlice(x: Array, u: Array, starts: number[]): number[] {
  const out = values(x);
  const uv = values(u);
  const st = starts.map((s, d) => startAt(s, x.shape[d], u.shape[d]));
  for (let k = 0; k < u.size; k++) out[ravel(unravel(k, u.shape).map((v, d) => v + st[d]), x.shape)] = uv[k];
  return out;
}

// ---- generic rule checks ---------------------------------------------------------------

const ints = (shape: number[], seed: number, lo: number, hi: number) =>
  arr(rand(sizeOf(shape), seed, lo, hi).map(Math.floor), "int32", shape);
const i32 = (v: number) => arr(v, "int32");
const closeTo = (actual: number[], expected: number[], tol: number) => expectClose(arr(actual, "float64", [actual.length]), expected, tol);

/** jvp vs central differences, and <vjp(u), v> == <u, jvp(v)>, at random float64 inputs. */
function checkDerivatives(f: (...xs: Value[]) => Value, shapes: number[][], seed = 1) {
  const xs = shapes.map((s, i) => randArr(s, seed + i));
  const dirs = shapes.map((s, i) => randArr(s, seed + 10 + i));
  const [out, t] = jvp(f, xs, dirs) as [Value, Value];
  const eps = 1e-6;
  const along = (e: number) => values(f(...xs.map((x, i) => arr(values(x).map((v, k) => v + e * values(dirs[i])[k]), "float64", [...x.shape]))));
  const plus = along(eps);
  const minus = along(-eps);
  expectClose(t, plus.map((v, k) => (v - minus[k]) / (2 * eps)), 1e-6);
  const [, pullback] = vjp(f, ...xs);
  const u = randArr([...out.shape], seed + 20);
  const cts = pullback(u) as Value[];
  const lhs = cts.reduce((s, ct, i) => s + dot(values(ct), values(dirs[i])), 0);
  const rhs = dot(values(u), values(t));
  expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * Math.max(1, Math.abs(rhs)));
}

/** Stacks per-example arrays along `axis`. */
function stackAt(xs: Value[], axis: number): Value {
  return lax.moveAxis(lax.concatenate(xs.map((x) => lax.expandDims(x, [0])), 0), 0, axis);
}

/** vmap(f) with `inAxes` (null: shared, from example 0) against f applied to each example. */
function checkVmap(f: (...xs: Value[]) => Value, examples: Array[][], inAxes: (number | null)[]) {
  const B = examples.length;
  const args = inAxes.map((ax, i) => (ax === null ? examples[0][i] : stackAt(examples.map((e) => e[i]), ax)));
  const expected = examples.map((e) => values(f(...e.map((x, i) => (inAxes[i] === null ? examples[0][i] : x)))));
  const out = vmap(f, { inAxes })(...args) as Value;
  expect(out.shape[0]).toBe(B);
  const got = values(out);
  const per = got.length / B;
  for (let b = 0; b < B; b++) closeTo(got.slice(b * per, (b + 1) * per), expected[b], 1e-12);
}

// ---- gather -----------------------------------------------------------------------------

describe("gather", () => {
  const configs = [
    { name: "axis 0", x: [5, 3], i: [4], axis: 0, bd: 0 },
    { name: "axis 1, 2-d indices", x: [2, 6, 3], i: [2, 3], axis: 1, bd: 0 },
    { name: "last axis", x: [3, 4], i: [5], axis: 1, bd: 0 },
    { name: "batchDims 1", x: [2, 3, 4, 2], i: [2, 5], axis: 2, bd: 1 },
    { name: "batchDims 2 (take_along_axis)", x: [2, 3, 4], i: [2, 3, 4], axis: 2, bd: 2 },
    { name: "0-d index", x: [4, 3], i: [], axis: 0, bd: 0 },
  ];
  for (const c of configs) {
    const xShape = c.x;
    const idx = ints(c.i, 3, -2, xShape[c.axis] + 2); // some out of range: clamped
    it(`${c.name}: values match a loop (out-of-range indices clamp)`, () => {
      const x = randArr(xShape, 5);
      const out = lax.gather(x, idx, { axis: c.axis, batchDims: c.bd });
      expect(out.shape).toEqual([...xShape.slice(0, c.axis), ...c.i.slice(c.bd), ...xShape.slice(c.axis + 1)]);
      expectClose(out, refGather(x, idx, c.axis, c.bd), 0);
    });
    it(`${c.name}: jvp and vjp`, () => checkDerivatives((x) => lax.gather(x, idx, { axis: c.axis, batchDims: c.bd }), [xShape]));
    it(`${c.name}: vmap over operand, indices, both`, () => {
      const f = (x: Value, i: Value) => lax.gather(x, i, { axis: c.axis, batchDims: c.bd });
      const examples = [0, 1, 2].map((b) => [randArr(xShape, 40 + b), ints(c.i, 50 + b, -1, xShape[c.axis] + 1)]);
      for (const inAxes of [[0, null], [xShape.length, null], [null, 0], [null, c.i.length], [0, 0], [1, c.i.length], [xShape.length, 0]]) {
        checkVmap(f, examples, inAxes);
      }
    });
  }
  it("uint32 indices are converted; negative axis counts from the end", () => {
    const x = arr([[1, 2, 3], [4, 5, 6]]);
    expectClose(lax.gather(x, arr([2, 0], "uint32"), { axis: -1 }), [3, 1, 6, 4]);
  });
  it("vmap of grad with batched indices (per-example gradients through scatter_add)", () => {
    const x = randArr([5, 2], 7);
    const idx = arr([[0, 0, 3], [4, 1, 1], [2, 2, 2]], "int32");
    const g = (xx: Value, i: Value) => grad((y: Value) => lax.reduceSum(lax.square(lax.gather(y, i, { axis: 0 })), [0, 1]))(xx) as Value;
    const out = vmap(g, { inAxes: [null, 0] })(x, idx) as Value;
    for (let b = 0; b < 3; b++) {
      const expected = values(x).map(() => 0);
      const iv = values(idx).slice(b * 3, b * 3 + 3);
      for (const k of iv) for (let q = 0; q < 2; q++) expected[k * 2 + q] += 2 * values(x)[k * 2 + q];
      closeTo(values(out).slice(b * 10, b * 10 + 10), expected, 1e-12);
    }
  });
  it("bad input gets typed errors naming lax.gather and the shapes", () => {
    const x = randArr([2, 3], 1);
    expect(() => lax.gather(x, arr([0.5]), { axis: 0 })).toThrow(DTypeError);
    expect(() => lax.gather(x, ints([3, 2], 1, 0, 2), { axis: 1, batchDims: 1 })).toThrow(ShapeError);
    expect(() => lax.gather(x, ints([3, 2], 1, 0, 2), { axis: 1, batchDims: 1 })).toThrow(/lax\.gather.*\(2, 3\).*\(3, 2\)/);
    expect(() => lax.gather(x, ints([2], 1, 0, 2), { axis: 0, batchDims: 1 })).toThrow(ShapeError);
    expect(() => lax.gather(x, ints([2], 1, 0, 2), { axis: 2 })).toThrow(ShapeError);
  });
});

// ---- scatter_add ---------------------------------------------------------------------------

describe("scatterAdd", () => {
  const configs = [
    { name: "axis 0, repeated indices accumulate", x: [4, 3], i: [6], axis: 0, bd: 0 },
    { name: "axis 1, 2-d indices", x: [2, 5, 2], i: [2, 3], axis: 1, bd: 0 },
    { name: "batchDims 1", x: [2, 3, 4], i: [2, 5], axis: 2, bd: 1 },
  ];
  for (const c of configs) {
    const uShape = [...c.x.slice(0, c.axis), ...c.i.slice(c.bd), ...c.x.slice(c.axis + 1)];
    const idx = ints(c.i, 9, -1, c.x[c.axis] + 1); // some out of range: dropped
    const f = (x: Value, u: Value) => lax.scatterAdd(x, idx, u, { axis: c.axis, batchDims: c.bd });
    it(`${c.name}: values match a loop`, () => {
      const x = randArr(c.x, 2);
      const u = randArr(uShape, 3);
      expectClose(f(x, u), refScatterAdd(x, idx, u, c.axis, c.bd), 1e-15);
    });
    it(`${c.name}: jvp and vjp`, () => checkDerivatives(f, [c.x, uShape]));
    it(`${c.name}: vmap over every subset of operand, indices, updates`, () => {
      const g = (x: Value, i: Value, u: Value) => lax.scatterAdd(x, i, u, { axis: c.axis, batchDims: c.bd });
      const examples = [0, 1].map((b) => [randArr(c.x, 60 + b), ints(c.i, 70 + b, -2, c.x[c.axis] + 2), randArr(uShape, 80 + b)]);
      for (const inAxes of [[0, null, null], [null, 0, null], [null, null, 1], [1, 0, 0], [0, c.i.length, null], [null, 1, uShape.length]]) {
        checkVmap(g, examples, inAxes);
      }
    });
  }
  it("gather is its transpose: the gradient of sum(gather(x)·w) scatters w", () => {
    const x = randArr([4], 1);
    const w = arr([1, 10, 100]);
    const idx = arr([3, 0, 3], "int32");
    const g = grad((y: Value) => lax.reduceSum(lax.mul(lax.gather(y, idx, { axis: 0 }), w), [0]))(x) as Value;
    expectClose(g, [10, 0, 0, 101]);
  });
  it("bad updates get a ShapeError naming lax.scatterAdd", () => {
    expect(() => lax.scatterAdd(randArr([3, 2], 1), ints([2], 1, 0, 3), randArr([3, 2], 1), { axis: 0 })).toThrow(/lax\.scatterAdd/);
  });
});

// ---- scatter, scatter_mul, scatter_min, scatter_max -----------------------------------------

describe("scatter family", () => {
  const kinds = { set: lax.scatter, mul: lax.scatterMul, min: lax.scatterMin, max: lax.scatterMax } as const;
  const combine = {
    set: (_a: number, b: number) => b,
    mul: (a: number, b: number) => a * b,
    min: (a: number, b: number) => Math.min(a, b),
    max: (a: number, b: number) => Math.max(a, b),
  };
  /** A loop: each in-range update combined into its position in index order; out-of-range ones skipped. */
  function refScatter(kind: keyof typeof kinds, x: Array, idx: Array, upd: Array, axis: number, bd: number): number[] {
    const out = values(x);
    const uv = values(upd);
    for (const [o, s] of gatherMap([...x.shape], values(idx), [...idx.shape], axis, bd, true)) out[s] = combine[kind](out[s], uv[o]);
    return out;
  }
  const configs = [
    { name: "axis 0, repeated and out-of-range indices", x: [4, 3], i: [7], axis: 0, bd: 0 },
    { name: "axis 1, 2-d indices", x: [2, 5, 2], i: [2, 3], axis: 1, bd: 0 },
    { name: "batchDims 1", x: [2, 3, 4], i: [2, 5], axis: 2, bd: 1 },
  ];
  for (const kind of ["set", "mul", "min", "max"] as const) {
    for (const c of configs) {
      const uShape = [...c.x.slice(0, c.axis), ...c.i.slice(c.bd), ...c.x.slice(c.axis + 1)];
      const idx = ints(c.i, 9, -2, c.x[c.axis] + 2);
      const f = (x: Value, u: Value) => kinds[kind](x, idx, u, { axis: c.axis, batchDims: c.bd });
      it(`${kind}, ${c.name}: values match a loop, jvp/vjp, vmap`, () => {
        expect(new Set(values(idx)).size).toBeLessThan(idx.size); // some repeat
        const x = randArr(c.x, 2);
        const u = randArr(uShape, 3);
        expectClose(f(x, u), refScatter(kind, x, idx, u, c.axis, c.bd), 1e-15);
        // random floats never tie, so min/max are differentiable there
        checkDerivatives(f, [c.x, uShape]);
        const g = (x: Value, i: Value, u: Value) => kinds[kind](x, i, u, { axis: c.axis, batchDims: c.bd });
        const examples = [0, 1].map((b) => [randArr(c.x, 60 + b), ints(c.i, 70 + b, -2, c.x[c.axis] + 2), randArr(uShape, 80 + b)]);
        for (const inAxes of [[0, null, null], [null, 0, null], [null, null, 1], [1, 0, 0]]) checkVmap(g, examples, inAxes);
      });
    }
  }
  it("mode clip clamps out-of-range indices instead", () => {
    const x = arr([1, 1, 1]);
    const idx = arr([-4, 9, 1], "int32");
    expectClose(lax.scatterMul(x, idx, arr([2, 3, 5]), { axis: 0, mode: "clip" }), [2, 5, 3]);
    expectClose(lax.scatterAdd(x, idx, arr([2, 3, 5]), { axis: 0, mode: "clip" }), [3, 6, 4]);
    expectClose(lax.scatterAdd(x, idx, arr([2, 3, 5]), { axis: 0 }), [1, 6, 1]);
  });
  it("gather modes: clip's gradient lands on the clamped position, promise_in_bounds' and fill's are zero there", () => {
    const x = randArr([4], 1);
    const idx = arr([5, -1, 1], "int32");
    const w = arr([1, 10, 100]);
    const gradOf = (mode: "clip" | "promise_in_bounds" | "fill") =>
      grad((y: Value) => lax.reduceSum(lax.mul(lax.gather(y, idx, { axis: 0, mode }), w), [0]))(x) as Value;
    expectClose(gradOf("clip"), [10, 100, 0, 1]);
    expectClose(gradOf("promise_in_bounds"), [0, 100, 0, 0]);
    expectClose(gradOf("fill"), [0, 100, 0, 0]);
    expect(values(lax.gather(x, idx, { axis: 0, mode: "fill" })).map(Number.isNaN)).toEqual([true, true, false]);
    expect(values(lax.gather(x, idx, { axis: 0, mode: "fill", fillValue: 7 }))[0]).toBe(7);
  });
});

// ---- dynamic_slice -------------------------------------------------------------------------

describe("dynamicSlice", () => {
  const xShape = [5, 4, 3];
  const sizes = [2, 3, 3];
  const startSets = [
    [1, 0, 0],
    [4, -2, 1], // -2 counts from the end: [4, 2, 1], clamped to [3, 1, 0]
    [-9, -4, -1], // [-4, 0, 2], clamped to [0, 0, 0]
    [0, 1, 0],
  ];
  it("values match a loop, negative starts from the end, starts clamped into range", () => {
    const x = randArr(xShape, 4);
    for (const st of startSets) expectClose(lax.dynamicSlice(x, st.map(i32), sizes), refDynamicSlice(x, st, sizes), 0);
    expectClose(lax.dynamicSlice(x, [2, 1, 0], [0, 2, 1]), []);
  });
  it("jvp and vjp (the transpose is a dynamic_update_slice)", () => {
    for (const st of startSets) checkDerivatives((x) => lax.dynamicSlice(x, st.map(i32), sizes), [xShape]);
  });
  it("vmap with batched operand, batched starts, or both", () => {
    const f = (x: Value, s0: Value, s1: Value, s2: Value) => lax.dynamicSlice(x, [s0, s1, s2], sizes);
    const examples = [0, 1, 2].map((b) => [randArr(xShape, 90 + b), ...startSets[b].map(i32)]);
    const all: (number | null)[][] = [
      [0, null, null, null],
      [3, null, null, null],
      [null, 0, null, null],
      [null, null, 0, 0],
      [1, 0, null, 0],
      [2, 0, 0, 0],
      [null, 0, 0, 0],
    ];
    for (const inAxes of all) checkVmap(f, examples, inAxes);
  });
  it("vmap of grad with batched starts (dynamic_update_slice with batched starts)", () => {
    const x = randArr([6], 3);
    const starts = arr([0, 2, 5, -1], "int32");
    const g = (s: Value) => grad((y: Value) => lax.reduceSum(lax.square(lax.dynamicSlice(y, [s], [3])), [0]))(x) as Value;
    const out = values(vmap(g)(starts) as Value);
    [0, 2, 5, -1].forEach((s, b) => {
      const c = startAt(s, 6, 3);
      const expected = values(x).map((v, k) => (k >= c && k < c + 3 ? 2 * v : 0));
      closeTo(out.slice(b * 6, b * 6 + 6), expected, 1e-12);
    });
  });
  it("bad input gets typed errors", () => {
    const x = randArr([3, 3], 1);
    expect(() => lax.dynamicSlice(x, [0], [1, 1])).toThrow(ShapeError);
    expect(() => lax.dynamicSlice(x, [0, 0], [4, 1])).toThrow(/lax\.dynamicSlice/);
    expect(() => lax.dynamicSlice(x, [arr(0), 0], [1, 1])).toThrow(DTypeError);
  });
});

// ---- dynamic_update_slice --------------------------------------------------------------------

describe("dynamicUpdateSlice", () => {
  const xShape = [4, 5];
  const uShape = [2, 3];
  const startSets = [
    [1, 2],
    [3, -1], // -1 counts from the end: [3, 4], clamped to [2, 2]
    [-3, -9], // [1, -4], clamped to [1, 0]
    [0, 4], // clamped to [0, 2]
  ];
  it("values match a loop, starts clamped so that the update fits", () => {
    const x = randArr(xShape, 1);
    const u = randArr(uShape, 2);
    for (const st of startSets) expectClose(lax.dynamicUpdateSlice(x, u, st.map(i32)), refDynamicUpdateSlice(x, u, st), 0);
  });
  it("jvp and vjp in both operand and update", () => {
    for (const st of startSets) checkDerivatives((x, u) => lax.dynamicUpdateSlice(x, u, st.map(i32)), [xShape, uShape]);
  });
  it("vmap with every combination of batched operand, update and starts", () => {
    const f = (x: Value, u: Value, s0: Value, s1: Value) => lax.dynamicUpdateSlice(x, u, [s0, s1]);
    const examples = [0, 1, 2].map((b) => [randArr(xShape, 20 + b), randArr(uShape, 30 + b), ...startSets[b].map(i32)]);
    const all: (number | null)[][] = [
      [0, null, null, null],
      [null, 2, null, null],
      [1, 0, null, null],
      [null, null, 0, null],
      [null, null, null, 0],
      [0, null, 0, 0],
      [null, 1, null, 0],
      [2, 0, 0, 0],
    ];
    for (const inAxes of all) checkVmap(f, examples, inAxes);
  });
  it("bad input gets typed errors naming lax.dynamicUpdateSlice", () => {
    expect(() => lax.dynamicUpdateSlice(randArr([2, 2], 1), randArr([3, 1], 1), [0, 0])).toThrow(/lax\.dynamicUpdateSlice.*\[3,1\]/);
    expect(() => lax.dynamicUpdateSlice(randArr([2, 2], 1), randArr([1, 1], 1), [0])).toThrow(ShapeError);
  });
});

// ---- jit ------------------------------------------------------------------------------------------

describe("under jit", () => {
  it("jit == eager for all four, with traced indices and starts", () => {
    const f = (x: Value, idx: Value, s: Value, u: Value) => {
      const g = lax.gather(x, idx, { axis: 1 });
      const sc = lax.scatterAdd(x, idx, lax.mul(g, 2), { axis: 1 });
      const ds = lax.dynamicSlice(sc, [s, lax.add(s, 1)], [2, 2]);
      return lax.dynamicUpdateSlice(sc, lax.add(ds, u), [lax.sub(s, 1), s]);
    };
    const args = [randArr([3, 4], 1), arr([3, 0, 3, 9], "int32"), i32(1), randArr([2, 2], 2)] as const;
    expectClose(jit(f)(...args) as Value, values(f(...args)), 0);
    const printed = String(makeJaxpr(f)(...args));
    for (const name of ["gather", "scatter_add", "dynamic_slice", "dynamic_update_slice"]) expect(printed).toContain(name);
  });
  it("grad of jit and vmap of jit match the eager versions", () => {
    const loss = (x: Value, s: Value) => lax.reduceSum(lax.square(lax.dynamicSlice(lax.gather(x, arr([2, 0, 2], "int32"), { axis: 0 }), [s], [2])), [0]);
    const x = randArr([4], 3);
    expectClose(grad(jit(loss))(x, i32(1)) as Value, values(grad(loss)(x, i32(1)) as Value), 1e-15);
    const starts = arr([0, 1, 5], "int32");
    expectClose(vmap(jit(loss), { inAxes: [null, 0] })(x, starts) as Value, values(vmap(loss, { inAxes: [null, 0] })(x, starts) as Value), 1e-15);
  });
});
