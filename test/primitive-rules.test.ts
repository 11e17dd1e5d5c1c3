/**
 * Every primitive's rules, checked the same way (DESIGN.md §4):
 * - jvp against central finite differences in float64 at random points;
 * - vjp against jvp by the dot-product test <vjp(u), v> == <u, jvp(v)>;
 * - vmap against a loop over the batch, for several in/out axes.
 */
import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import * as lax from "../src/lax/index.js";
import { primitives } from "../src/lax/primitive.js";
import type { Value } from "../src/trace/core.js";
import { jvp } from "../src/transforms/jvp.js";
import { vjp } from "../src/transforms/linearize.js";
import { vmap } from "../src/transforms/vmap.js";
import { jit } from "../src/transforms/jit.js";
import { arr, dot, expectClose, finiteDiff, rand, values } from "./helpers.js";
import type { Array } from "../src/array.js";

type Domain = [number, number];
const range = (n: number) => globalThis.Array.from({ length: n }, (_, i) => i);
interface Case {
  /** Primitive names this case exercises. */
  prims: string[];
  fn: (...xs: Value[]) => Value;
  shapes: number[][];
  domains?: Domain[];
  /** Skip the derivative checks (integer or piecewise-constant outputs). */
  noGrad?: boolean;
  /** Skip only the finite-difference check (stop_gradient's derivative is zero on purpose). */
  noFiniteDiff?: boolean;
  tol?: number;
}

const un = (name: string, fn: (x: Value) => Value, domain: Domain = [-2, 2]): Case => ({ prims: [name], fn, shapes: [[2, 3]], domains: [domain] });
const bin = (name: string, fn: (x: Value, y: Value) => Value, d1: Domain = [-2, 2], d2: Domain = d1): Case => ({
  prims: [name],
  fn,
  shapes: [[3, 2], [3, 2]],
  domains: [d1, d2],
});

const cases: Case[] = [
  un("neg", lax.neg),
  un("exp", lax.exp),
  un("exp2", lax.exp2),
  un("log", lax.log, [0.5, 3]),
  un("log1p", lax.log1p, [-0.5, 2]),
  un("expm1", lax.expm1),
  un("sin", lax.sin),
  un("cos", lax.cos),
  un("tan", lax.tan, [-1, 1]),
  un("asin", lax.asin, [-0.8, 0.8]),
  un("acos", lax.acos, [-0.8, 0.8]),
  un("atan", lax.atan),
  un("sinh", lax.sinh),
  un("cosh", lax.cosh),
  un("tanh", lax.tanh),
  un("asinh", lax.asinh),
  un("acosh", lax.acosh, [1.5, 3]),
  un("atanh", lax.atanh, [-0.8, 0.8]),
  un("logistic", lax.logistic),
  un("sqrt", lax.sqrt, [0.5, 3]),
  un("rsqrt", lax.rsqrt, [0.5, 3]),
  un("cbrt", lax.cbrt, [0.5, 3]),
  un("square", lax.square),
  un("reciprocal", lax.reciprocal, [0.5, 3]),
  un("erf", lax.erf),
  un("erf_inv", lax.erfInv, [-0.8, 0.8]),
  un("abs", lax.abs, [0.2, 2]),
  un("integer_pow", (x) => lax.integerPow(x, 3)),
  { ...un("sign", lax.sign), noGrad: true },
  { ...un("floor", lax.floor), noGrad: true },
  { ...un("ceil", lax.ceil), noGrad: true },
  { ...un("round", (x) => lax.round(x)), noGrad: true },
  { prims: ["is_finite", "convert_element_type"], fn: (x) => lax.convert(lax.isFiniteFn(x), "float64"), shapes: [[4]], noGrad: true },
  bin("add", lax.add),
  bin("sub", lax.sub),
  bin("mul", lax.mul),
  bin("div", lax.div, [-2, 2], [0.5, 2]),
  bin("rem", lax.rem, [0.5, 3], [0.7, 1.3]),
  bin("pow", lax.pow, [0.5, 2], [-1, 2]),
  bin("max", lax.max),
  bin("min", lax.min),
  bin("atan2", lax.atan2, [0.5, 2], [0.5, 2]),
  { ...bin("nextafter", lax.nextafter), noGrad: true },
  ...(["eq", "ne", "lt", "le", "gt", "ge"] as const).map(
    (n): Case => ({ prims: [n, "convert_element_type"], fn: (x, y) => lax.convert(lax[n](x, y), "float64"), shapes: [[5], [5]], noGrad: true }),
  ),
  ...(["and", "or", "xor"] as const).map(
    (n): Case => ({
      prims: [n, "not", "gt"],
      fn: (x, y) => lax.convert(lax.not(lax[n](lax.gt(x, 0), lax.gt(y, 0))), "float64"),
      shapes: [[5], [5]],
      noGrad: true,
    }),
  ),
  { prims: ["select_n"], fn: (p, x, y) => lax.select(lax.gt(p, 0), x, y), shapes: [[4], [4], [4]] },
  { prims: ["clamp"], fn: (x) => lax.clamp(-0.5, x, 0.5), shapes: [[6]] },
  { prims: ["reduce_sum"], fn: (x) => lax.reduceSum(x, [1]), shapes: [[3, 4]] },
  { prims: ["reduce_max"], fn: (x) => lax.reduceMax(x, [0]), shapes: [[3, 4]] },
  { prims: ["reduce_min"], fn: (x) => lax.reduceMin(x, [0, 1]), shapes: [[3, 4]] },
  { prims: ["reduce_prod"], fn: (x) => lax.reduceProd(x, [1]), shapes: [[2, 4]] },
  { prims: ["argmax", "argmin"], fn: (x) => lax.convert(lax.add(lax.argmax(x, 1), lax.argmin(x, 1)), "float64"), shapes: [[3, 4]], noGrad: true },
  { prims: ["broadcast_in_dim"], fn: (x) => lax.broadcastInDim(x, [2, 3, 4], [1, 2]), shapes: [[3, 1]] },
  { prims: ["reshape"], fn: (x) => lax.reshape(x, [3, 2]), shapes: [[2, 3]] },
  { prims: ["transpose"], fn: (x) => lax.transpose(x, [2, 0, 1]), shapes: [[2, 3, 2]] },
  { prims: ["squeeze", "expand_dims"], fn: (x) => lax.expandDims(lax.squeeze(x, [1]), [0]), shapes: [[3, 1, 2]] },
  { prims: ["rev"], fn: (x) => lax.rev(x, [0, 1]), shapes: [[2, 3]] },
  { prims: ["slice"], fn: (x) => lax.slice(x, [1, 0], [4, 3], [2, 2]), shapes: [[5, 3]] },
  { prims: ["pad"], fn: (x, v) => lax.pad(x, lax.reshape(lax.slice(v, [0], [1]), []), [[1, -1, 1], [0, 2, 0]]), shapes: [[3, 2], [1]] },
  { prims: ["concatenate"], fn: (x, y) => lax.concatenate([x, y, x], 1), shapes: [[2, 2], [2, 3]] },
  { prims: ["cumsum"], fn: (x) => lax.cumsum(x, 1), shapes: [[2, 4]] },
  { prims: ["cumprod"], fn: (x) => lax.cumprod(x, 1, true), shapes: [[2, 4]] },
  { prims: ["cummax"], fn: (x) => lax.cummax(x, 0), shapes: [[5, 2]] },
  { prims: ["cummin"], fn: (x) => lax.cummin(x, 1), shapes: [[2, 5]] },
  { prims: ["dot_general"], fn: (x, y) => lax.dotGeneral(x, y, { contracting: [[1], [0]], batch: [[], []] }), shapes: [[2, 3], [3, 4]] },
  { prims: ["dot_general"], fn: (x, y) => lax.dotGeneral(x, y, { contracting: [[2], [1]], batch: [[0], [0]] }), shapes: [[2, 3, 4], [2, 4, 2]] },
  { prims: ["dot_general"], fn: (x, y) => lax.dotGeneral(x, y, { contracting: [[0, 2], [2, 0]], batch: [[], []] }), shapes: [[2, 3, 4], [4, 5, 2]] },
  { prims: ["stop_gradient"], fn: (x) => lax.mul(x, lax.stopGradient(x)), shapes: [[3]], noFiniteDiff: true },
];

function sample(c: Case, seed: number): Array[] {
  return c.shapes.map((s, i) => {
    const [lo, hi] = c.domains?.[i] ?? [-2, 2];
    const n = s.reduce((a, b) => a * b, 1);
    return arr(rand(n, seed * 31 + i, lo, hi), "float64", s);
  });
}

describe.each(cases.map((c) => [`${c.prims[0]} ${c.shapes.map((s) => `[${s}]`).join(" ")}`, c] as const))("%s", (_name, c) => {
  const xs = sample(c, 7);
  // piecewise-constant and integer-valued primitives have no derivative to check; their zero tangent is checked in transforms.test.ts
  if (!(c.noGrad || c.noFiniteDiff)) it("jvp matches central finite differences (float64)", () => {
    const dirs = sample(c, 11);
    const [, t] = jvp(c.fn, xs, dirs);
    // perturb every input together along its direction
    const along = (eps: number) => c.fn(...xs.map((x, i) => arr(values(x).map((v, k) => v + eps * values(dirs[i])[k]), "float64", [...x.shape])));
    const eps = 1e-6;
    const fd = values(along(eps)).map((v, k) => (v - values(along(-eps))[k]) / (2 * eps));
    expectClose(t as Value, fd, c.tol ?? 1e-5);
  });
  if (!c.noGrad) it("vjp is the transpose of jvp: <vjp(u), v> == <u, jvp(v)>", () => {
    const dirs = sample(c, 13);
    const [out, pullback] = vjp(c.fn, ...xs);
    const u = arr(rand((out as Value).size, 17), "float64", [...(out as Value).shape]);
    const cts = pullback(u) as Value[];
    const [, t] = jvp(c.fn, xs, dirs);
    const lhs = cts.reduce((s, ct, i) => s + dot(values(ct), values(dirs[i])), 0);
    const rhs = dot(values(u), values(t as Value));
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * Math.max(1, Math.abs(rhs)));
  });
  it("vmap matches a loop over the batch (several inAxes)", () => {
    const B = 3;
    const examples = [0, 1, 2].map((b) => sample(c, 100 + b));
    const expected = examples.map((ex) => values(c.fn(...ex)));
    for (const axisChoice of ["first", "last", "mixed"] as const) {
      const inAxes = c.shapes.map((s, i) => (axisChoice === "first" ? 0 : axisChoice === "last" ? s.length : i % 2 === 0 ? s.length : 0));
      // stack the examples along each input's batch axis
      const batched = c.shapes.map((s, i) => {
        const stacked = lax.concatenate(examples.map((ex) => lax.expandDims(ex[i], [0])), 0);
        const ax = inAxes[i];
        const perm = range(s.length + 1);
        perm.splice(0, 1);
        perm.splice(ax, 0, 0);
        return lax.transpose(stacked, perm);
      });
      const out = vmap(c.fn, { inAxes })(...batched) as Value;
      expect(out.shape[0]).toBe(B);
      const per = expected[0].length;
      const got = values(out);
      for (let b = 0; b < B; b++) expectClose(arr(got.slice(b * per, (b + 1) * per), "float64", [per]), expected[b], 1e-12);
    }
  });
  it("jit gives what eager evaluation gives", () => {
    const eager = values(c.fn(...xs));
    const jitted = values(jit(c.fn)(...xs) as Value);
    expectClose(arr(jitted, "float64", [jitted.length]), eager, 1e-12);
  });
  it("vmap with an unbatched input and outAxes -1", () => {
    if (c.shapes.length < 2) return;
    const ex = [0, 1].map((b) => sample(c, 200 + b));
    const shared = ex[0][1];
    const expected = ex.map((e) => values(c.fn(e[0], shared, ...e.slice(2))));
    const batched0 = lax.concatenate(ex.map((e) => lax.expandDims(e[0], [0])), 0);
    const rest = c.shapes.slice(2).map((_, k) => lax.concatenate(ex.map((e) => lax.expandDims(e[k + 2], [0])), 0));
    const out = vmap(c.fn, { inAxes: [0, null, ...rest.map(() => 0)], outAxes: -1 })(batched0, shared, ...rest) as Value;
    const moved = lax.transpose(out, [out.ndim - 1, ...range(out.ndim - 1)]);
    const per = expected[0].length;
    const got = values(moved);
    for (let b = 0; b < 2; b++) expectClose(arr(got.slice(b * per, (b + 1) * per), "float64", [per]), expected[b], 1e-12);
  });
});

describe("rule coverage", () => {
  it("every primitive has jvp and batching rules, and every linear one a transpose", () => {
    const missing: string[] = [];
    for (const [name, { def }] of primitives) {
      if (typeof def.jvp !== "function") missing.push(`${name}: jvp`);
      if (typeof def.batch !== "function") missing.push(`${name}: batch`);
    }
    expect(missing).toEqual([]);
  });
  it("every primitive is exercised by a rule test here or in its family's test file", () => {
    const covered = new Set(cases.flatMap((c) => c.prims));
    // families tested in their own files (indexing, sort, random bits, custom rules, control flow)
    const elsewhere = /^(gather|scatter_add|dynamic_slice|dynamic_update_slice|sort|threefry2x32|iota|custom_.*|checkpoint.*|cond|while|scan|jit|pjit)$/;
    const uncovered = [...primitives.keys()].filter((n) => !covered.has(n) && !elsewhere.test(n));
    expect(uncovered).toEqual([]);
  });
});
