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
import { arr, dot, expectClose, rand, values } from "./helpers.js";
import { primitiveCases, range, sample } from "./primitive-cases.js";

const cases = primitiveCases("float64");

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
    // families tested in their own files (indexing, sort, random bits, custom rules, control flow, linalg in test/linalg.test.ts,
    // convolution in test/conv.test.ts, eig in test/linalg-eig.test.ts, bitcast_convert_type in test/lax-names.test.ts (bits, no derivative): jvp/transpose against JAX's gradients and finite differences, batching against loops)
    const elsewhere = /^(gather|scatter(_add|_mul|_min|_max)?|dynamic_slice|dynamic_update_slice|sort|threefry2x32|iota|custom_.*|checkpoint.*|cond|while|scan|jit|pjit|cholesky|triangular_solve|lu|qr|eigh|eig|svd|conv_general_dilated|bitcast_convert_type)$/;
    const uncovered = [...primitives.keys()].filter((n) => !covered.has(n) && !elsewhere.test(n));
    expect(uncovered).toEqual([]);
  });
});
