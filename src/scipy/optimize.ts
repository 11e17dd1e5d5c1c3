/**
 * `scipy.optimize.minimize` with BFGS, as JAX's `jax.scipy.optimize.minimize`:
 * the inverse-Hessian BFGS update with a line search that satisfies the
 * strong Wolfe conditions (Nocedal & Wright's algorithms 3.5 and 3.6: a
 * bracketing phase, then "zoom" by cubic, quadratic or bisection steps). Every
 * loop is a `lax.whileLoop` over arrays, so `minimize` runs under `jit` and
 * `vmap` (over x0 or the extra arguments) like any other function.
 */
import type { ArrayLike } from "../array-methods.js";
import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import { describe, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { valueAndGrad } from "../transforms/linearize.js";
import type { DType } from "../dtype.js";

export interface BfgsOptions {
  /** Maximum number of BFGS iterations (default 200 × the size of x0). */
  maxiter?: number;
  /** Stop when the gradient's norm is below this (default 1e-5). */
  gtol?: number;
  /** The order of that norm: Infinity (the default: the largest |gradient element|) or 2. */
  norm?: number;
  /** Maximum number of bracketing steps of each line search (default 10). */
  lineSearchMaxiter?: number;
}

export interface MinimizeOptions {
  /** The method: only "BFGS" (any case), as JAX's. */
  method: string;
  /** Extra arguments passed to `fun` after x. */
  args?: readonly ArrayLike[];
  /** Accepted for SciPy's signature; as in JAX it is not used (set `options.gtol`). */
  tol?: number | null;
  options?: BfgsOptions;
}

/** What `minimize` returns, as JAX's `OptimizeResults` (camelCase). */
export interface OptimizeResults {
  /** The solution. */
  x: Value;
  /** Whether the gradient tolerance was reached without a line-search failure (bool). */
  success: Value;
  /** 0 converged, 1 maxiter reached, 2 + the line search's status when it failed (int32). */
  status: Value;
  /** fun at x. */
  fun: Value;
  /** The gradient at x. */
  jac: Value;
  /** The final inverse-Hessian estimate. */
  hessInv: Value;
  /** Numbers of function and gradient evaluations, and of iterations (int32). */
  nfev: Value;
  njev: Value;
  nit: Value;
}

// ---- the line search -------------------------------------------------------------------------

interface LineSearchResult {
  failed: Value;
  nfev: Value;
  ngev: Value;
  a: Value;
  f: Value;
  g: Value;
  status: Value;
}

type Restricted = (t: Value) => [Value, Value, Value];

/** `upd` where `cond`, else `old`, for each key of `upd`. */
function replaceWhere<S extends Record<string, Value>>(cond: Value, old: S, upd: Partial<S>): S {
  const out = { ...old };
  for (const k of Object.keys(upd) as (keyof S)[]) out[k] = np.where(cond, upd[k] as Value, old[k]) as S[keyof S];
  return out;
}

/** The minimizer of the cubic through (a, fa) with slope fpa at a, and (b, fb), (c, fc). */
function cubicmin(a: Value, fa: Value, fpa: Value, b: Value, fb: Value, c: Value, fc: Value): Value {
  const db = np.subtract(b, a);
  const dc = np.subtract(c, a);
  const denom = np.multiply(np.square(np.multiply(db, dc)), np.subtract(db, dc));
  const e1 = np.subtract(np.subtract(fb, fa), np.multiply(fpa, db));
  const e2 = np.subtract(np.subtract(fc, fa), np.multiply(fpa, dc));
  const A = np.divide(np.subtract(np.multiply(np.square(dc), e1), np.multiply(np.square(db), e2)), denom);
  const B = np.divide(np.add(np.multiply(np.negative(np.power(dc, 3)), e1), np.multiply(np.power(db, 3), e2)), denom);
  const radical = np.subtract(np.multiply(B, B), np.multiply(np.multiply(A, 3), fpa));
  return np.add(a, np.divide(np.add(np.negative(B), np.sqrt(radical)), np.multiply(A, 3)));
}

/** The minimizer of the quadratic through (a, fa) with slope fpa at a, and (b, fb). */
function quadmin(a: Value, fa: Value, fpa: Value, b: Value, fb: Value): Value {
  const db = np.subtract(b, a);
  const B = np.divide(np.subtract(np.subtract(fb, fa), np.multiply(fpa, db)), np.square(db));
  return np.subtract(a, np.divide(fpa, np.multiply(B, 2)));
}

type ZoomState = {
  done: Value; failed: Value; j: Value;
  aLo: Value; phiLo: Value; dphiLo: Value; aHi: Value; phiHi: Value; dphiHi: Value; aRec: Value; phiRec: Value;
  aStar: Value; phiStar: Value; dphiStar: Value; gStar: Value; nfev: Value; ngev: Value;
};

/** Narrows [aLo, aHi] to a step satisfying both Wolfe conditions (runs no step when `passThrough`). */
function zoom(
  restricted: Restricted, wolfe1: (a: Value, phi: Value) => Value, wolfe2: (dphi: Value) => Value,
  lo: [Value, Value, Value], hi: [Value, Value, Value], g0: Value, passThrough: Value, c: (v: number) => Value, ci: (v: number) => Value, bits64: boolean,
): ZoomState {
  const F = c(0);
  const init: ZoomState = {
    done: np.array(false), failed: np.array(false), j: ci(0),
    aLo: lo[0], phiLo: lo[1], dphiLo: lo[2], aHi: hi[0], phiHi: hi[1], dphiHi: hi[2],
    aRec: np.divide(np.add(lo[0], hi[0]), 2), phiRec: np.divide(np.add(lo[1], hi[1]), 2),
    aStar: np.add(F, 1), phiStar: lo[1], dphiStar: lo[2], gStar: g0, nfev: ci(0), ngev: ci(0),
  };
  const threshold = bits64 ? 1e-10 : 1e-5;
  return lax.whileLoop(
    (s: ZoomState) => np.logicalAnd(np.logicalAnd(np.logicalNot(s.done), np.logicalNot(passThrough)), np.logicalNot(s.failed)),
    (s0: ZoomState): ZoomState => {
      let s = s0;
      const dalpha = np.subtract(s.aHi, s.aLo);
      const a = np.minimum(s.aHi, s.aLo);
      const b = np.maximum(s.aHi, s.aLo);
      const cchk = np.multiply(dalpha, 0.2);
      const qchk = np.multiply(dalpha, 0.1);
      s = { ...s, failed: np.logicalOr(s.failed, np.lessEqual(dalpha, threshold)) };
      const aCubic = cubicmin(s.aLo, s.phiLo, s.dphiLo, s.aHi, s.phiHi, s.aRec, s.phiRec);
      const useCubic = np.logicalAnd(np.logicalAnd(np.greater(s.j, 0), np.greater(aCubic, np.add(a, cchk))), np.less(aCubic, np.subtract(b, cchk)));
      const aQuad = quadmin(s.aLo, s.phiLo, s.dphiLo, s.aHi, s.phiHi);
      const useQuad = np.logicalAnd(np.logicalAnd(np.logicalNot(useCubic), np.greater(aQuad, np.add(a, qchk))), np.less(aQuad, np.subtract(b, qchk)));
      const useBisection = np.logicalAnd(np.logicalNot(useCubic), np.logicalNot(useQuad));
      let aj = np.where(useCubic, aCubic, s.aRec);
      aj = np.where(useQuad, aQuad, aj);
      aj = np.where(useBisection, np.divide(np.add(s.aLo, s.aHi), 2), aj);
      const [phij, dphij, gj] = restricted(aj);
      s = { ...s, nfev: np.add(s.nfev, 1), ngev: np.add(s.ngev, 1) };
      const hiToJ = np.logicalOr(wolfe1(aj, phij), np.greaterEqual(phij, s.phiLo));
      const starToJ = np.logicalAnd(wolfe2(dphij), np.logicalNot(hiToJ));
      const hiToLo = np.logicalAnd(np.logicalAnd(np.greaterEqual(np.multiply(dphij, np.subtract(s.aHi, s.aLo)), 0), np.logicalNot(hiToJ)), np.logicalNot(starToJ));
      const loToJ = np.logicalAnd(np.logicalNot(hiToJ), np.logicalNot(starToJ));
      s = replaceWhere(hiToJ, s, { aHi: aj, phiHi: phij, dphiHi: dphij, aRec: s.aHi, phiRec: s.phiHi });
      s = replaceWhere(starToJ, { ...s, done: np.logicalOr(starToJ, s.done) }, { aStar: aj, phiStar: phij, dphiStar: dphij, gStar: gj });
      s = replaceWhere(hiToLo, s, { aHi: s.aLo, phiHi: s.phiLo, dphiHi: s.dphiLo, aRec: s.aHi, phiRec: s.phiHi });
      s = replaceWhere(np.logicalAnd(loToJ, np.logicalNot(hiToLo)), s, { aRec: s.aLo, phiRec: s.phiLo });
      s = replaceWhere(loToJ, s, { aLo: aj, phiLo: phij, dphiLo: dphij });
      const j = np.add(s.j, 1);
      return { ...s, j, failed: np.logicalOr(s.failed, np.greaterEqual(j, 30)) };
    },
    init,
  );
}

type LsState = {
  done: Value; failed: Value; i: Value; a1: Value; phi1: Value; dphi1: Value; nfev: Value; ngev: Value;
  aStar: Value; phiStar: Value; dphiStar: Value; gStar: Value;
};

/** A step length along pk satisfying the strong Wolfe conditions (c1 = 1e-4, c2 = 0.9). */
function lineSearch(
  f: (x: Value) => Value, xk: Value, pk: Value, phi0: Value, oldOldFval: Value, gfk: Value, maxiter: number, c: (v: number) => Value, ci: (v: number) => Value, bits64: boolean,
): LineSearchResult {
  const c1 = 1e-4;
  const c2 = 0.9;
  const vg = valueAndGrad(f);
  const restricted: Restricted = (t) => {
    const [phi, g] = vg(np.add(xk, np.multiply(t, pk))) as [Value, Value];
    return [phi, np.dot(g, pk), g];
  };
  const dphi0 = np.dot(gfk, pk);
  const candidate = np.divide(np.multiply(np.subtract(phi0, oldOldFval), 1.01 * 2), dphi0);
  const start = np.where(np.greater(candidate, 1), np.add(c(0), 1), candidate);
  const wolfe1 = (a: Value, phi: Value) => np.greater(phi, np.add(phi0, np.multiply(np.multiply(a, c1), dphi0)));
  const wolfe2 = (dphi: Value) => np.lessEqual(np.abs(dphi), np.multiply(dphi0, -c2));
  const init: LsState = {
    done: np.array(false), failed: np.array(false), i: ci(1), a1: c(0), phi1: phi0, dphi1: dphi0, nfev: ci(0), ngev: ci(0),
    aStar: c(0), phiStar: phi0, dphiStar: dphi0, gStar: gfk,
  };
  const s = lax.whileLoop(
    (st: LsState) => np.logicalAnd(np.logicalAnd(np.logicalNot(st.done), np.lessEqual(st.i, maxiter)), np.logicalNot(st.failed)),
    (st0: LsState): LsState => {
      let st = st0;
      const ai = np.where(np.equal(st.i, 1), start, np.multiply(st.a1, 2));
      const [phii, dphii, gi] = restricted(ai);
      st = { ...st, nfev: np.add(st.nfev, 1), ngev: np.add(st.ngev, 1) };
      const toZoom1 = np.logicalOr(wolfe1(ai, phii), np.logicalAnd(np.greaterEqual(phii, st.phi1), np.greater(st.i, 1)));
      const toI = np.logicalAnd(wolfe2(dphii), np.logicalNot(toZoom1));
      const toZoom2 = np.logicalAnd(np.logicalAnd(np.greaterEqual(dphii, 0), np.logicalNot(toZoom1)), np.logicalNot(toI));
      const z1 = zoom(restricted, wolfe1, wolfe2, [st.a1, st.phi1, st.dphi1], [ai, phii, dphii], gfk, np.logicalNot(toZoom1), c, ci, bits64);
      st = { ...st, nfev: np.add(st.nfev, z1.nfev), ngev: np.add(st.ngev, z1.ngev) };
      const z2 = zoom(restricted, wolfe1, wolfe2, [ai, phii, dphii], [st.a1, st.phi1, st.dphi1], gfk, np.logicalNot(toZoom2), c, ci, bits64);
      st = { ...st, nfev: np.add(st.nfev, z2.nfev), ngev: np.add(st.ngev, z2.ngev) };
      st = replaceWhere(toZoom1, { ...st, done: np.logicalOr(toZoom1, st.done), failed: np.logicalOr(np.logicalAnd(toZoom1, z1.failed), st.failed) },
        { aStar: z1.aStar, phiStar: z1.phiStar, dphiStar: z1.dphiStar, gStar: z1.gStar });
      st = replaceWhere(toI, { ...st, done: np.logicalOr(toI, st.done) }, { aStar: ai, phiStar: phii, dphiStar: dphii, gStar: gi });
      st = replaceWhere(toZoom2, { ...st, done: np.logicalOr(toZoom2, st.done), failed: np.logicalOr(np.logicalAnd(toZoom2, z2.failed), st.failed) },
        { aStar: z2.aStar, phiStar: z2.phiStar, dphiStar: z2.dphiStar, gStar: z2.gStar });
      return { ...st, i: np.add(st.i, 1), a1: ai, phi1: phii, dphi1: dphii };
    },
    init,
  );
  const status = np.where(s.failed, ci(1), np.where(np.greater(s.i, maxiter), ci(3), ci(0)));
  // a tiny step is raised to 1e-8 in single precision, as JAX's
  const a = bits64 ? s.aStar : np.where(np.less(np.abs(s.aStar), 1e-8), np.multiply(np.sign(s.aStar), 1e-8), s.aStar);
  return { failed: np.logicalOr(s.failed, np.logicalNot(s.done)), nfev: s.nfev, ngev: s.ngev, a, f: s.phiStar, g: s.gStar, status };
}

// ---- BFGS ---------------------------------------------------------------------------------------

type BfgsState = {
  converged: Value; failed: Value; k: Value; nfev: Value; ngev: Value;
  x: Value; f: Value; g: Value; H: Value; oldOld: Value; lsStatus: Value;
};

function positiveInt(op: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new ArgumentError(`${op}: ${name} must be a non-negative integer, got ${describe(v)}`);
  return v;
}

/**
 * Minimizes a scalar function of one vector, as `jax.scipy.optimize.minimize`
 * (only `method: "BFGS"`). `fun(x, ...args)` must return a 0-d float.
 * @example
 * // a quadratic bowl with its minimum at [1, -2]
 * const f = (x: Array) => np.sum(np.square(np.subtract(x, np.array([1, -2]))));
 * const r = scipy.optimize.minimize(f, np.zeros([2]), { method: "BFGS" });
 * r.x; // [1, -2]
 * r.success; // true
 */
export function minimize(fun: (x: Value, ...args: Value[]) => Value, x0: ArrayLike, options: MinimizeOptions): OptimizeResults {
  const op = "scipy.optimize.minimize";
  if (typeof fun !== "function") throw new ArgumentError(`${op}: fun must be a function, got ${describe(fun)}`);
  const { method, args = [], options: inner = {} } = optionsArg(op, options);
  if (typeof method !== "string") throw new ArgumentError(`${op}: method must be a string ("BFGS"), got ${describe(method)}`);
  if (method.toLowerCase() !== "bfgs") throw new ArgumentError(`${op}: method ${JSON.stringify(method)} is not recognized; jaxon has "BFGS"`);
  if (!Array.isArray(args)) throw new ArgumentError(`${op}: args must be a list of arrays, got ${describe(args)}`);
  const { maxiter, gtol = 1e-5, norm = Infinity, lineSearchMaxiter = 10 } = optionsArg(op, inner);
  if (typeof gtol !== "number") throw new ArgumentError(`${op}: options.gtol must be a number, got ${describe(gtol)}`);
  if (norm !== Infinity && norm !== 2) throw new ArgumentError(`${op}: options.norm must be Infinity or 2, got ${describe(norm)}`);
  positiveInt(op, "options.lineSearchMaxiter", lineSearchMaxiter);
  if (!(x0 instanceof Object) && typeof x0 !== "number") throw new DTypeError(`${op}: x0 must be an array, got ${describe(x0)}`);
  let x = np.asarray(x0 as ArrayLike);
  if (x.ndim !== 1) throw new ShapeError(`${op}: x0 must be a 1-D array, got shape [${x.shape.join(", ")}]; ravel it and reshape inside fun`);
  if (!(x.dtype === "float32" || x.dtype === "float64")) x = np.astype(x, "float32");
  const dtype: DType = x.dtype;
  const iters = maxiter === undefined ? x.size * 200 : positiveInt(op, "options.maxiter", maxiter);
  const extra = (args as ArrayLike[]).map((a) => np.asarray(a));
  const f = (v: Value): Value => {
    const out = fun(v, ...extra);
    if (!(out instanceof Object) || (out as Value).ndim !== 0) throw new ShapeError(`${op}: fun must return a 0-d array, got ${describe(out)}`);
    return out as Value;
  };
  const c = (v: number) => np.array(v, { dtype });
  const ci = (v: number) => np.array(v, { dtype: "int32" });
  const bits64 = dtype === "float64";
  const gnorm = (g: Value) => (norm === Infinity ? np.max(np.abs(g)) : np.sqrt(np.sum(np.square(g))));
  const d = x.shape[0];
  const [f0, g0] = valueAndGrad(f)(x) as [Value, Value];
  const init: BfgsState = {
    converged: np.less(gnorm(g0), gtol), failed: np.array(false), k: ci(0), nfev: ci(1), ngev: ci(1),
    x, f: f0, g: g0, H: np.eye(d, undefined, 0, { dtype }), oldOld: np.add(f0, np.divide(np.sqrt(np.sum(np.square(g0))), 2)), lsStatus: ci(0),
  };
  const s = lax.whileLoop(
    (st: BfgsState) => np.logicalAnd(np.logicalAnd(np.logicalNot(st.converged), np.logicalNot(st.failed)), np.less(st.k, iters)),
    (st: BfgsState): BfgsState => {
      const p = np.negative(np.dot(st.H, st.g));
      const ls = lineSearch(f, st.x, p, st.f, st.oldOld, st.g, lineSearchMaxiter, c, ci, bits64);
      const sk = np.multiply(ls.a, p);
      const x1 = np.add(st.x, sk);
      const yk = np.subtract(ls.g, st.g);
      const rho = np.reciprocal(np.dot(yk, sk));
      const eye = np.eye(d, undefined, 0, { dtype });
      const w = np.subtract(eye, np.multiply(rho, np.outer(sk, yk)));
      let H1 = np.add(np.matmul(np.matmul(w, st.H), np.transpose(w)), np.multiply(rho, np.outer(sk, sk)));
      H1 = np.where(np.isfinite(rho), H1, st.H);
      return {
        converged: np.less(gnorm(ls.g), gtol), failed: ls.failed, k: np.add(st.k, 1), nfev: np.add(st.nfev, ls.nfev), ngev: np.add(st.ngev, ls.ngev),
        x: x1, f: ls.f, g: ls.g, H: H1, oldOld: st.f, lsStatus: ls.status,
      };
    },
    init,
  );
  const status = np.where(s.converged, ci(0), np.where(np.equal(s.k, iters), ci(1), np.where(s.failed, np.add(s.lsStatus, 2), ci(-1))));
  return {
    x: s.x, success: np.logicalAnd(s.converged, np.logicalNot(s.failed)), status, fun: s.f, jac: s.g, hessInv: s.H, nfev: s.nfev, njev: s.ngev, nit: s.k,
  };
}
