/**
 * jaxon's indexing against real JAX (test/fixtures/indexing, made by its
 * generate.py): x.get with integer arrays and boolean masks, x.at(...)
 * set/add/mul/min/max with repeated, negative and out-of-range indices,
 * np.take/takeAlongAxis fills, and dynamic slices with negative starts —
 * values eager and under jit, gradients against jax.grad (or float64 finite
 * differences where JAX refuses one), vmap against a loop of eager calls,
 * and the ConcretizationError that a traced boolean mask raises.
 */
import { describe, expect, it } from "vitest";
import { ConcretizationError } from "../src/errors.js";
import type { Array, Value } from "../src/index.js";
import { grad, jit, lax, np, vmap } from "../src/index.js";
import { expectClose, finiteDiff, values } from "./helpers.js";
import type { Case } from "./indexing-fixture.js";
import { fixture, numbers, operation, restArgs, tensorArray, weightedSum } from "./indexing-fixture.js";

const hasU = (c: Case) => c.u !== undefined;
const inputs = (c: Case) => ({ x: tensorArray(c.x), u: hasU(c) ? tensorArray(c.u!) : null, rest: restArgs(c) });

/** Exact for integers and bools; float32 within a rounding or two (jaxon and XLA may order a product's roundings differently). */
function expectFixture(got: Value, c: Case, tol = 2e-7) {
  expect(got.shape).toEqual(c.expected.shape);
  expect(got.dtype).toBe(c.expected.dtype);
  expectClose(got, numbers(c.expected), c.expected.dtype === "float32" ? tol : 0);
}

describe(`indexing against JAX ${fixture.jax}`, () => {
  for (const c of fixture.cases) {
    describe(c.name, () => {
      const f = operation(c);
      it("eager and jit values", () => {
        const { x, u, rest } = inputs(c);
        expectFixture(f(x, u, ...rest), c);
        // the index arrays (and starts) are jit arguments: traced, not constants
        const jitted = jit((x: Value, u: Value | null, ...r: Value[]) => f(x, u, ...r));
        expectFixture(jitted(x, u, ...rest) as Value, c);
      });

      if (c.gradX) {
        it("gradients as jax.grad, eager and under jit", () => {
          const { x, u, rest } = inputs(c);
          const w = tensorArray(c.w!);
          const loss = (x: Value, u: Value | null) => weightedSum(f(x, u, ...rest), w);
          expectClose(grad((x: Value) => loss(x, u))(x) as Value, numbers(c.gradX!), 1e-6);
          expectClose(jit(grad((x: Value) => loss(x, u)))(x) as Value, numbers(c.gradX!), 1e-6);
          if (c.gradU) expectClose(grad((u: Value) => loss(x, u))(u!) as Value, numbers(c.gradU), 1e-6);
        });
      }

      if (c.gradU === null) {
        it("the updates' gradient, which JAX refuses here, matches float64 finite differences", () => {
          const x = tensorArray(c.x, "float64");
          const u = tensorArray(c.u!, "float64");
          const rest = restArgs(c);
          const w = tensorArray(c.w!, "float64");
          const loss = (u: Value) => weightedSum(f(x, u, ...rest), w);
          const g = values(grad(loss)(u) as Value);
          u.size > 0 && expect(g.some((v) => v !== 0)).toBe(true);
          for (let k = 0; k < u.size; k++) {
            const dir = new Float64Array(u.size);
            dir[k] = 1;
            const fd = finiteDiff(loss as (a: Array) => Value, u, tensorArray({ shape: [...u.shape], dtype: "float32", data: [...dir] }, "float64"));
            expect(Math.abs(g[k] - fd[0])).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd[0])));
          }
        });
      }

      if (c.x.dtype === "float32") {
        it("vmap over x (and u, and the index arrays or starts) matches a loop", () => {
          const { x, u, rest } = inputs(c);
          // a second example: other values, and the index arrays (or starts) reversed
          const x2 = np.add(np.multiply(x, -2), 1);
          const u2 = u === null ? null : np.subtract(np.multiply(u, 3), 1);
          const rest2 = rest.map((r) => (r.ndim === 0 ? lax.neg(r) : lax.rev(r, [0])));
          const loop = [f(x, u, ...rest), f(x2, u2, ...rest2)];
          const stack = (a: Value, b: Value) => np.stack([a, b]);
          const batched = (vmap((x: Value, u: Value | null, ...r: Value[]) => f(x, u, ...r), {
            inAxes: [0, u === null ? null : 0, ...rest.map(() => 0)],
          }) as (...a: (Value | null)[]) => Value)(stack(x, x2), u === null ? null : stack(u, u2!), ...rest.map((r, i) => stack(r, rest2[i])));
          expect(batched.shape).toEqual([2, ...loop[0].shape]);
          expectClose(batched, [...values(loop[0]), ...values(loop[1])], 0);
        });
      }
    });
  }
});

describe("vmap of grad and jit of vmap of grad match a loop of eager gradients", () => {
  // the at() cases with gradients JAX gives: repeated, negative and dropped indices; every combine
  const atCases = fixture.cases.filter((c) => c.kind === "at" && c.gradU);
  for (const c of atCases) {
    it(c.name, () => {
      const f = operation(c);
      const { x, u, rest } = inputs(c);
      const w = tensorArray(c.w!);
      const loss = (x: Value, u: Value, ...r: Value[]) => weightedSum(f(x, u, ...r), w);
      const dLoss = grad(loss, { argnums: [0, 1] });
      const x2 = np.subtract(np.multiply(x, 0.5), 2);
      const u2 = np.add(np.multiply(u!, -1.5), 0.25);
      const loop = [dLoss(x, u!, ...rest), dLoss(x2, u2, ...rest)];
      const batched = vmap((x: Value, u: Value) => dLoss(x, u, ...rest));
      for (const run of [batched, jit(batched)]) {
        const [gx, gu] = run(np.stack([x, x2]), np.stack([u!, u2])) as Value[];
        expectClose(gx, [...values(loop[0][0]), ...values(loop[1][0])], 0);
        expectClose(gu, [...values(loop[0][1]), ...values(loop[1][1])], 0);
      }
    });
  }
});

describe("boolean masks under transformations", () => {
  const x = np.array([[1, 2, 3], [4, 5, 6]]);
  const mask = np.array([[true, false, true], [false, false, true]]);
  it("a traced mask is a ConcretizationError naming np.where, under jit and vmap", () => {
    expect(() => jit((m: Value) => x.get(m))(mask)).toThrow(ConcretizationError);
    expect(() => jit((m: Value) => x.get(m))(mask)).toThrow(/np\.where\(mask, x, other\).*static size/);
    expect(() => vmap((m: Value) => x.get(m))(mask)).toThrow(ConcretizationError);
    expect(() => jit((m: Value) => x.at(m).set(0))(mask)).toThrow(ConcretizationError);
    // a mask computed from a jitted argument is traced too
    expect(() => jit((y: Value) => np.sum(y.get(y.gt(2))))(x)).toThrow(ConcretizationError);
  });
  it("a concrete mask works under jit, vmap and grad of x, as in JAX", () => {
    const sel = (y: Value) => y.get(mask);
    expect((jit(sel)(x) as Value).arraySync()).toEqual([1, 3, 6]);
    expect((vmap((r: Value) => r.get(np.array([true, false, true])))(x) as Value).arraySync()).toEqual([[1, 3], [4, 6]]);
    expect((grad((y: Value) => np.sum(np.multiply(sel(y), np.array([1, 2, 3]))))(x) as Value).arraySync()).toEqual([[1, 0, 2], [0, 0, 3]]);
    // grad alone leaves comparisons concrete (their primal values are known), so y[y > 2] works there, as in JAX:
    // jax.grad(lambda y: jnp.sum(y[y > 2]))(x) is [[0, 0, 1], [1, 1, 1]]
    expect((grad((y: Value) => np.sum(y.get(y.gt(2))))(x) as Value).arraySync()).toEqual([[0, 0, 1], [1, 1, 1]]);
  });
});
