/**
 * scipy.optimize.minimize (BFGS) against jax.scipy.optimize.minimize on the
 * same problems (test/fixtures/scipy/generate.py: float32, and float64 with
 * x64): the same iterates, so the same iteration and evaluation counts and
 * status; jit and vmap give what eager evaluation gives.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ArgumentError, ShapeError, jit, lax, np, scipy, vmap, type Value } from "../src/index.js";

const ref = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "scipy", "reference.json"), "utf8"));

const rosen = (x: Value) => {
  const n = x.shape[0];
  const a = lax.slice(x, [0], [n - 1]);
  const b = lax.slice(x, [1], [n]);
  return np.sum(np.add(np.multiply(100, np.square(np.subtract(b, np.square(a)))), np.square(np.subtract(1, a))));
};
const quad = (x: Value) => {
  const A = np.array([[3, 0.5, 0], [0.5, 2, 0.3], [0, 0.3, 1]], { dtype: x.dtype });
  const b = np.array([1, -2, 0.5], { dtype: x.dtype });
  return np.add(np.subtract(np.multiply(0.5, np.dot(x, np.dot(A, x))), np.dot(b, x)), np.multiply(np.sum(np.cos(x)), 0.1));
};
const himmelblau = (x: Value) => {
  const [x0, x1] = [lax.reshape(lax.slice(x, [0], [1]), []), lax.reshape(lax.slice(x, [1], [2]), [])];
  return np.add(np.square(np.subtract(np.add(np.square(x0), x1), 11)), np.square(np.subtract(np.add(x0, np.square(x1)), 7)));
};
const problems: Record<string, (x: Value) => Value> = { rosen, quad, himmelblau };

interface Ref { problem: string; dtype: "float32" | "float64"; x0: number[]; maxiter: number | null; x: number[]; fun: number; nit: number; nfev: number; njev: number; status: number; success: boolean }

describe("minimize(BFGS) follows JAX's iterates", () => {
  for (const c of ref.minimize as Ref[]) {
    it(`${c.problem} ${c.dtype} from [${c.x0}]${c.maxiter ? ` maxiter ${c.maxiter}` : ""}`, () => {
      const r = scipy.optimize.minimize(problems[c.problem], np.array(c.x0, { dtype: c.dtype }), { method: "BFGS", options: c.maxiter ? { maxiter: c.maxiter } : {} });
      expect(r.x.dtype).toBe(c.dtype);
      // float64: the same iterates, so the same counts and status; float32: rounding may end the run one
      // iteration apart near the optimum (JAX's own line search then fails where jaxon's converges, or the reverse)
      if (c.dtype === "float64") {
        expect([r.nit.itemSync(), r.status.itemSync(), r.success.itemSync()]).toEqual([c.nit, c.status, c.success ? 1 : 0]);
        expect([r.nfev.itemSync(), r.njev.itemSync()]).toEqual([c.nfev, c.njev]);
      } else {
        expect(Math.abs(r.nit.itemSync() - c.nit)).toBeLessThanOrEqual(1);
      }
      const tol = c.dtype === "float64" ? 1e-8 : 2e-3;
      (r.x.arraySync() as number[]).forEach((v, i) => expect(Math.abs(v - c.x[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(c.x[i]))));
      expect(Math.abs(r.fun.itemSync() - c.fun)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(c.fun)));
    });
  }
});

describe("minimize composes", () => {
  const solve = (x0: Value) => scipy.optimize.minimize(quad, x0, { method: "BFGS" }).x;
  it("jit gives what eager evaluation gives", () => {
    const x0 = np.array([2, -1, 3]);
    expect(jit(solve)(x0).arraySync()).toEqual(solve(x0).arraySync());
  });
  it("vmap over x0 gives what a loop gives", () => {
    const starts = [[2, -1, 3], [0, 0, 0]];
    const batched = vmap(solve)(np.array(starts)).arraySync() as number[][];
    starts.forEach((s, i) => (solve(np.array(s)).arraySync() as number[]).forEach((v, k) => expect(batched[i][k]).toBeCloseTo(v, 5)));
  });
  it("passes args to fun", () => {
    const r = scipy.optimize.minimize((x: Value, c: Value) => np.sum(np.square(np.subtract(x, c))), np.zeros([2]), { method: "BFGS", args: [np.array([1, -2])] });
    expect(r.x.arraySync()).toEqual([expect.closeTo(1, 4), expect.closeTo(-2, 4)]);
    expect(r.success.itemSync()).toBe(1);
  });
  it("rejects what JAX rejects, with typed errors", () => {
    expect(() => scipy.optimize.minimize(quad, np.zeros([3]), { method: "Nelder-Mead" })).toThrow(ArgumentError);
    expect(() => scipy.optimize.minimize(quad, np.zeros([3, 1]), { method: "BFGS" })).toThrow(ShapeError);
    expect(() => scipy.optimize.minimize(quad, np.zeros([3]), { method: "BFGS", options: { maxiter: -1 } })).toThrow(ArgumentError);
  });
});
