/**
 * numpy names against real JAX (fixtures: test/fixtures/numpy3/generate.py): np.roots.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConcretizationError, jit, np, type Value } from "../src/index.js";
import type { DType } from "../src/dtype.js";

const fixtures = JSON.parse(readFileSync(join(__dirname, "fixtures/numpy3/jax.json"), "utf8"));

interface RootsCase { p: number[]; dtype: DType; stripZeros: boolean; re: (number | null)[]; im: (number | null)[]; outDtype: string }

type C = { re: number; im: number };
const complexValues = (x: Value): C[] => (x.arraySync() as unknown as C[]).map((c) => ({ re: c.re ?? NaN, im: c.im ?? NaN }));
/** The finite roots in a canonical order (eigenvalue order is LAPACK's business), the NaN roots counted. */
const canonical = (cs: C[]) => {
  const finite = cs.filter((c) => !Number.isNaN(c.re)).sort((a, b) => a.re - b.re || a.im - b.im);
  return { finite, nans: cs.length - finite.length, nanTail: cs.slice(finite.length).every((c) => Number.isNaN(c.re) && Number.isNaN(c.im)) };
};

describe("np.roots as jnp.roots", () => {
  for (const c of fixtures.roots as RootsCase[]) {
    it(`[${c.p}] ${c.dtype}${c.stripZeros ? "" : ", stripZeros false"}`, () => {
      const r = np.roots(np.array(c.p, { dtype: c.dtype }), { stripZeros: c.stripZeros });
      expect(r.dtype).toBe(c.outDtype);
      const got = canonical(complexValues(r));
      const want = canonical(c.re.map((re, i) => ({ re: re ?? NaN, im: c.im[i] ?? NaN })));
      expect(r.shape).toEqual([c.re.length]);
      expect(got.nans).toBe(want.nans);
      expect(got.nanTail).toBe(true);
      const tol = c.dtype === "float64" ? 1e-9 : 2e-5;
      got.finite.forEach((g, i) => {
        expect(Math.abs(g.re - want.finite[i].re)).toBeLessThanOrEqual(tol);
        expect(Math.abs(g.im - want.finite[i].im)).toBeLessThanOrEqual(tol);
      });
    });
  }
  it("the roots are zeros of the polynomial (independent of JAX)", () => {
    const p = [3.5, -1.25, 0.5, 2.0];
    for (const z of complexValues(np.roots(np.array(p, { dtype: "float64" })))) {
      let re = 0, im = 0;
      for (const a of p) [re, im] = [re * z.re - im * z.im + a, re * z.im + im * z.re];
      expect(Math.hypot(re, im)).toBeLessThan(1e-12);
    }
  });
  it("stripZeros false runs under jit; the default needs concrete coefficients", () => {
    const f = jit((p: Value) => np.roots(p, { stripZeros: false }));
    const got = canonical(complexValues(f(np.array([0, 1, -3, 2]))));
    expect(got.nans).toBe(1);
    expect(got.finite.map((c) => Math.round(c.re * 1e5) / 1e5)).toEqual([1, 2]);
    expect(() => jit((p: Value) => np.roots(p))(np.array([1, 2]))).toThrow(ConcretizationError);
  });
  it("bad shapes are a ShapeError", () => {
    expect(() => np.roots(np.array([[1, 2], [3, 4]]))).toThrow(/1-d/);
  });
});
