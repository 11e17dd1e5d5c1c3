/**
 * Products, convolutions, polynomials and integration, as JAX's: kron,
 * convolve/correlate (full/same/valid), the poly* family on coefficient
 * vectors (highest power first), vander and trapezoid. Compositions of lax:
 * a convolution is a gather of sliding windows and a dot, which keeps it
 * differentiable and batchable with no new primitive.
 */
import { ArgumentError, ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import { intArg } from "../static-args.js";
import { array, eye, zeros } from "./creation.js";
import { concreteValues } from "./concrete.js";
import { eigvals } from "./linalg-eig.js";
import { take } from "./indexing.js";
import { argsort } from "./sorting.js";
import * as ew from "./elementwise.js";
import { diff } from "./searching.js";
import { moveaxis } from "./shape.js";
import type { ArrayLike, Value } from "./util.js";
import { asValue, axisOf, broadcastValue, cast, promote, promoteInexact, range } from "./util.js";
import { broadcastShapes } from "../shape.js";

/**
 * The Kronecker product: blocks `a[i, j] * b`, as `jnp.kron`.
 * @example np.kron(np.array([1, 10]), np.array([1, 2, 3])); // [1, 2, 3, 10, 20, 30]
 */
export function kron(a: ArrayLike, b: ArrayLike): Value {
  const op = "np.kron";
  let [x, y] = promote(op, [a, b]);
  const nd = Math.max(x.ndim, y.ndim);
  x = lax.reshape(x, [...Array(nd - x.ndim).fill(1), ...x.shape]);
  y = lax.reshape(y, [...Array(nd - y.ndim).fill(1), ...y.shape]);
  const shape = range(2 * nd).map((i) => (i % 2 === 0 ? x.shape[i / 2] : y.shape[(i - 1) / 2]));
  const xb = lax.broadcastInDim(x, shape, range(nd).map((i) => 2 * i));
  const yb = lax.broadcastInDim(y, shape, range(nd).map((i) => 2 * i + 1));
  return lax.reshape(lax.mul(xb, yb), x.shape.map((d, i) => d * y.shape[i]));
}

export type ConvolveMode = "full" | "same" | "valid";

/** Cross-correlation of 1-d `x` with `kernel` over `x` padded by (lo, hi) zeros: out[k] = Σ_j xp[k + j]·kernel[j]. */
function slidingDot(op: string, x: Value, kernel: Value, lo: number, hi: number): Value {
  const m = kernel.shape[0];
  const xp = lo || hi ? lax.pad(x, lax.scalar(0, x.dtype), [[lo, hi, 0]]) : x;
  const len = xp.shape[0] - m + 1;
  if (len <= 0) throw new ShapeError(`${op}: the result would be empty (inputs of lengths ${x.shape[0]} and ${m})`);
  const idx = new Int32Array(len * m);
  for (let k = 0; k < len; k++) for (let j = 0; j < m; j++) idx[k * m + j] = k + j;
  const windows = lax.gather(xp, lax.reshape(array(idx), [len, m]), { axis: 0, mode: "promise_in_bounds" });
  return lax.dotGeneral(windows, kernel, { contracting: [[1], [0]], batch: [[], []] });
}

function conv(op: string, a: ArrayLike, v: ArrayLike, mode: ConvolveMode, correlate: boolean): Value {
  let [x, y] = promoteInexact(op, [a, v]);
  if (x.ndim !== 1 || y.ndim !== 1) throw new ShapeError(`${op}: only 1-d inputs, got shapes [${x.shape.join(", ")}] and [${y.shape.join(", ")}]`);
  if (x.shape[0] === 0 || y.shape[0] === 0) throw new ShapeError(`${op}: inputs cannot be empty, got lengths ${x.shape[0]} and ${y.shape[0]}`);
  if (mode !== "full" && mode !== "same" && mode !== "valid") throw new ArgumentError(`${op}: mode must be "full", "same" or "valid", got ${JSON.stringify(mode)}`);
  let reverse = false;
  if (x.shape[0] < y.shape[0]) {
    [x, y] = [y, x];
    // correlation is not symmetric: swapping reverses the result
    reverse = correlate;
  }
  if (!correlate) y = lax.rev(y, [0]);
  const m = y.shape[0];
  const [lo, hi] = mode === "valid" ? [0, 0] : mode === "same" ? [Math.floor(m / 2), m - Math.floor(m / 2) - 1] : [m - 1, m - 1];
  const out = slidingDot(op, x, y, lo, hi);
  return reverse ? lax.rev(out, [0]) : out;
}

/**
 * The discrete linear convolution of two 1-d arrays, as `jnp.convolve`
 * (mode "full" by default, or "same" or "valid").
 * @example np.convolve(np.array([1, 2, 3]), np.array([0, 1, 0.5])); // [0, 1, 2.5, 4, 1.5]
 */
export function convolve(a: ArrayLike, v: ArrayLike, mode: ConvolveMode = "full"): Value {
  return conv("np.convolve", a, v, mode, false);
}

/**
 * The cross-correlation of two 1-d arrays, as `jnp.correlate` (mode "valid" by default).
 * @example np.correlate(np.array([1, 2, 3]), np.array([0, 1, 0.5]), "full"); // [0.5, 2, 3.5, 3, 0]
 */
export function correlate(a: ArrayLike, v: ArrayLike, mode: ConvolveMode = "valid"): Value {
  // as JAX: complex v is conjugated
  const vv = asValue(v, "np.correlate");
  return conv("np.correlate", a, vv.dtype === "complex64" || vv.dtype === "complex128" ? lax.conj(vv) : vv, mode, true);
}

/**
 * The polynomial with coefficients `p` (highest power first; extra axes
 * broadcast against `x`) at `x`, by Horner's rule, as `jnp.polyval`.
 * @example np.polyval(np.array([3, 0, 1]), np.array([1, 2])); // [4, 13]
 */
export function polyval(p: ArrayLike, x: ArrayLike): Value {
  const op = "np.polyval";
  const [pv, xv] = promote(op, [p, x]);
  if (pv.ndim === 0) throw new ShapeError(`${op}: p must have at least one axis (the coefficients)`);
  const shape = broadcastShapes(op, pv.shape.slice(1), xv.shape);
  const xb = broadcastValue(op, xv, shape);
  let y = broadcastValue(op, cast(lax.scalar(0, xv.dtype), xv.dtype, xv.weakType), shape);
  const n = pv.shape[0];
  for (let i = 0; i < n; i++) {
    const c = lax.reshape(lax.slice(pv, pv.shape.map((_, k) => (k === 0 ? i : 0)), pv.shape.map((d, k) => (k === 0 ? i + 1 : d))), pv.shape.slice(1));
    y = lax.add(lax.mul(y, xb), broadcastValue(op, c, shape));
  }
  return y;
}

const lengthOf = (op: string, v: Value) => {
  if (v.ndim !== 1) throw new ShapeError(`${op}: coefficients must be 1-d, got shape [${v.shape.join(", ")}]`);
  return v.shape[0];
};

/**
 * The sum of two polynomials (coefficients highest power first), as `jnp.polyadd`.
 * @example np.polyadd(np.array([1, 2]), np.array([1, 0, 0])); // [1, 1, 2]
 */
export function polyadd(a1: ArrayLike, a2: ArrayLike): Value {
  const op = "np.polyadd";
  const [a, b] = promote(op, [a1, a2]);
  const [n, m] = [lengthOf(op, a), lengthOf(op, b)];
  const zero = lax.scalar(0, a.dtype);
  const pa = n < m ? lax.pad(a, zero, [[m - n, 0, 0]]) : a;
  const pb = m < n ? lax.pad(b, zero, [[n - m, 0, 0]]) : b;
  return lax.add(pa, pb);
}

/**
 * The difference of two polynomials, as `jnp.polysub`.
 * @example np.polysub(np.array([1, 2]), np.array([1, 0, 0])); // [-1, 1, 2]
 */
export function polysub(a1: ArrayLike, a2: ArrayLike): Value {
  const [a, b] = promote("np.polysub", [a1, a2]);
  return polyadd(a, lax.neg(b));
}

/**
 * The product of two polynomials (their full convolution), as `jnp.polymul`.
 * @example np.polymul(np.array([1, 1]), np.array([1, -1])); // [1, 0, -1]
 */
export function polymul(a1: ArrayLike, a2: ArrayLike): Value {
  const op = "np.polymul";
  let [a, b] = promoteInexact(op, [a1, a2]);
  if (a.shape[0] === 0) a = zeros([1], { dtype: b.dtype });
  if (b.shape[0] === 0) b = zeros([1], { dtype: a.dtype });
  return convolve(a, b, "full");
}

/**
 * The `m`-th derivative of a polynomial, as `jnp.polyder`.
 * @example np.polyder(np.array([1, 1, 1, 1])); // [3, 2, 1]
 */
export function polyder(p: ArrayLike, m = 1): Value {
  const op = "np.polyder";
  const v = promoteInexact(op, [p])[0];
  const order = intArg(op, "m", m);
  if (order < 0) throw new ShapeError(`${op}: the order m must be non-negative, got ${order}`);
  if (order === 0) return v;
  const n = lengthOf(op, v);
  if (n <= order) return zeros([0], { dtype: v.dtype });
  // the coefficient of x^t (t = deg .. m) gains t·(t-1)···(t-m+1)
  const coeff = range(n - order).map((i) => {
    const t = n - 1 - i;
    let c = 1;
    for (let j = 0; j < order; j++) c *= t - j;
    return c;
  });
  return lax.mul(lax.slice(v, [0], [n - order]), array(coeff, { dtype: v.dtype }));
}

/**
 * The `m`-th antiderivative of a polynomial, with integration constants `k`
 * (one, or one per integration), as `jnp.polyint`.
 * @example np.polyint(np.array([3, 2, 1])); // [1, 1, 1, 0]
 */
export function polyint(p: ArrayLike, m = 1, k: ArrayLike | null = null): Value {
  const op = "np.polyint";
  const order = intArg(op, "m", m);
  if (order < 0) throw new ShapeError(`${op}: the order m must be non-negative, got ${order}`);
  const [v, kv0] = promoteInexact(op, [p, k ?? 0]);
  let kv = kv0.ndim === 0 ? lax.reshape(kv0, [1]) : kv0;
  if (kv.ndim !== 1) throw new ShapeError(`${op}: k must be a number or 1-d, got shape [${kv.shape.join(", ")}]`);
  if (kv.shape[0] === 1) kv = lax.broadcastInDim(lax.reshape(kv, []), [order], []);
  if (kv.shape[0] !== order) throw new ShapeError(`${op}: k must be a number or have m = ${order} entries, got ${kv.shape[0]}`);
  if (order === 0) return v;
  const n = lengthOf(op, v);
  const coeff = range(n + order).map((t) => {
    let c = 1;
    for (let j = 0; j < order; j++) c *= Math.max(1, t - j);
    return c;
  }).reverse();
  return lax.div(lax.concatenate([v, cast(kv, v.dtype, v.weakType)], 0), array(coeff, { dtype: v.dtype }));
}

/**
 * The Vandermonde matrix of 1-d `x`: columns are powers of x, decreasing
 * (highest `n - 1` first) unless `increasing`, as `jnp.vander`.
 * @example np.vander(np.array([1, 2, 3]), 3); // [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
 */
export function vander(x: ArrayLike, n: number | null = null, increasing = false): Value {
  const op = "np.vander";
  const v = asValue(x, op);
  if (v.ndim !== 1) throw new ShapeError(`${op}: x must be 1-d, got shape [${v.shape.join(", ")}]`);
  const N = n === null ? v.shape[0] : intArg(op, "N", n);
  if (N < 0) throw new ShapeError(`${op}: N must be non-negative, got ${N}`);
  const powers = range(N).map((i) => (increasing ? i : N - 1 - i));
  const exps = array(powers, { dtype: v.dtype === "bool" ? "int32" : v.dtype });
  return ew.power(lax.reshape(v, [v.shape[0], 1]), lax.reshape(exps, [1, N]));
}

/**
 * The integral of `y` along `axis` by the trapezoidal rule, with sample
 * points `x` or a spacing `dx`, as `jnp.trapezoid`.
 * @example np.trapezoid(np.array([1, 2, 3])); // 4
 */
export function trapezoid(y: ArrayLike, x: ArrayLike | null = null, dx: ArrayLike = 1, axis = -1): Value {
  const op = "np.trapezoid";
  let yv: Value;
  let d: Value;
  if (x === null || x === undefined) {
    yv = promoteInexact(op, [y])[0];
    d = asValue(dx, op);
    if (d.ndim > 0) d = moveaxis(lax.reshape(d, [...Array(yv.ndim - d.ndim).fill(1), ...d.shape]), axis, -1);
  } else {
    let xv: Value;
    [yv, xv] = promoteInexact(op, [y, x]);
    d = xv.ndim === 1 ? diff(xv) : moveaxis(diff(xv, 1, axis), axis, -1);
  }
  if (yv.ndim === 0) throw new ShapeError(`${op}: y needs at least one axis`);
  const a = axisOf(op, axis, yv.ndim);
  const ym = moveaxis(yv, a, -1);
  const last = ym.ndim - 1;
  const n = ym.shape[last];
  const cut = (lo: number, hi: number) => lax.slice(ym, ym.shape.map((_, i) => (i === last ? lo : 0)), ym.shape.map((s, i) => (i === last ? hi : s)));
  if (d.ndim === 0 || d.shape[d.ndim - 1] === 1) {
    const dd = d.ndim === 0 ? d : lax.reshape(lax.slice(d, d.shape.map(() => 0), d.shape.map((s, i) => (i === d.ndim - 1 ? 1 : s))), d.shape.slice(0, -1));
    const ends = lax.mul(lax.add(lax.reshape(cut(0, 1), ym.shape.slice(0, -1)), lax.reshape(cut(n - 1, n), ym.shape.slice(0, -1))), 0.5);
    return ew.multiply(dd, lax.sub(lax.reduceSum(ym, [last]), ends));
  }
  const terms = ew.multiply(d, lax.add(cut(1, n), cut(0, n - 1)));
  return lax.mul(lax.reduceSum(terms, [terms.ndim - 1]), 0.5);
}


/**
 * The quotient and remainder of polynomial division `u / v`, as `jnp.polydiv` (by synthetic division, unrolled).
 * @example const [q, r] = np.polydiv(np.array([1, -3, 2]), np.array([1, -1])); // [1, -2], [0, 0, 0]
 */
export function polydiv(u: ArrayLike, v: ArrayLike): [Value, Value] {
  const op = "np.polydiv";
  let [uv, vv] = promoteInexact(op, [u, v]);
  const m = lengthOf(op, uv) - 1;
  const n = lengthOf(op, vv) - 1;
  if (n < 0) throw new ShapeError(`${op}: the divisor must have at least one coefficient`);
  const scale = lax.div(1, lax.reshape(lax.slice(vv, [0], [1]), []));
  const qs: Value[] = [];
  for (let k = 0; k <= m - n; k++) {
    const d = lax.mul(scale, lax.reshape(lax.slice(uv, [k], [k + 1]), []));
    qs.push(lax.reshape(d, [1]));
    // u[k : k+n+1] -= d·v
    const update = lax.pad(lax.mul(lax.neg(vv), d), lax.scalar(0, vv.dtype), [[k, m - n - k, 0]]);
    uv = lax.add(uv, update);
  }
  const q = qs.length ? lax.concatenate(qs, 0) : zeros([1], { dtype: uv.dtype });
  return [q, uv];
}

/**
 * The coefficients of the monic polynomial with the given roots (1-d), as `jnp.poly`.
 * @example np.poly(np.array([1, 2])); // [1, -3, 2]
 */
export function poly(seqOfZeros: ArrayLike): Value {
  const op = "np.poly";
  let z = promoteInexact(op, [seqOfZeros])[0];
  if (z.ndim === 0) z = lax.reshape(z, [1]);
  if (z.ndim !== 1) throw new ShapeError(`${op}: needs 1-d roots (the eigenvalue form for square matrices waits for np.linalg.eigvals), got shape [${z.shape.join(", ")}]`);
  const n = z.shape[0];
  if (n === 0) return lax.broadcastInDim(lax.scalar(1, z.dtype), [], []);
  let a: Value = lax.broadcastInDim(lax.scalar(1, z.dtype), [1], []);
  for (let k = 0; k < n; k++) {
    const factor = lax.concatenate([lax.broadcastInDim(lax.scalar(1, z.dtype), [1], []), lax.neg(lax.slice(z, [k], [k + 1]))], 0);
    a = convolve(a, factor, "full");
  }
  return a;
}

export interface PolyfitOptions {
  /** Weights of the points (1-d, one per point), applied to the residuals as JAX's `w`. */
  w?: ArrayLike | null;
}

/**
 * The least-squares polynomial of degree `deg` through (x, y) (y 1-d, or 2-d
 * with one fit per column), highest power first, as `jnp.polyfit`. JAX
 * solves the column-scaled Vandermonde system with lstsq; here, waiting for
 * np.linalg.lstsq, a modified Gram–Schmidt QR of the same scaled system
 * (full-rank fits agree to rounding; `full` and `cov` are not offered).
 * @example np.polyfit(np.array([0, 1, 2, 3]), np.array([1, 3, 5, 7]), 1); // [2, 1]
 */
export function polyfit(x: ArrayLike, y: ArrayLike, deg: number, options: PolyfitOptions = {}): Value {
  const op = "np.polyfit";
  const d = intArg(op, "deg", deg);
  if (d < 0) throw new ShapeError(`${op}: deg must be non-negative, got ${d}`);
  const hasW = options?.w !== undefined && options?.w !== null;
  const vals = promoteInexact(op, hasW ? [x, y, options.w as ArrayLike] : [x, y]);
  const [xv, yv0] = vals;
  if (xv.ndim !== 1 || xv.shape[0] === 0) throw new ShapeError(`${op}: x must be a non-empty 1-d array, got shape [${xv.shape.join(", ")}]`);
  if (yv0.ndim < 1 || yv0.ndim > 2 || yv0.shape[0] !== xv.shape[0]) throw new ShapeError(`${op}: y must be 1-d or 2-d with x's length ${xv.shape[0]}, got shape [${yv0.shape.join(", ")}]`);
  const N = xv.shape[0];
  const M = d + 1;
  let lhs = vander(xv, M);
  let rhs = yv0;
  if (hasW) {
    const wv = vals[2];
    if (wv.ndim !== 1 || wv.shape[0] !== N) throw new ShapeError(`${op}: w must be 1-d with one weight per point (${N}), got shape [${wv.shape.join(", ")}]`);
    lhs = lax.mul(lhs, lax.broadcastInDim(wv, lhs.shape, [0]));
    rhs = lax.mul(rhs, lax.broadcastInDim(wv, rhs.shape, [0]));
  }
  // as JAX: columns scaled to unit norm before solving, and the solution scaled back
  const scale = lax.sqrt(lax.reduceSum(lax.square(lhs), [0]));
  lhs = lax.div(lhs, lax.broadcastInDim(scale, lhs.shape, [1]));
  const col = (j: number) => lax.reshape(lax.slice(lhs, [0, j], [N, j + 1]), [N]);
  const dotN = (a: Value, b: Value) => lax.reduceSum(lax.mul(a, b), [0]);
  const q: Value[] = [];
  const r: Value[][] = range(M).map(() => []);
  for (let j = 0; j < M; j++) {
    let v = col(j);
    for (let i = 0; i < j; i++) {
      r[i][j] = dotN(q[i], v);
      v = lax.sub(v, lax.mul(q[i], r[i][j]));
    }
    r[j][j] = lax.sqrt(dotN(v, v));
    q.push(lax.div(v, r[j][j]));
  }
  // Qᵀy, one entry (or row, for 2-d y) per column
  const qty = q.map((qi) => (rhs.ndim === 1 ? dotN(qi, rhs) : lax.reduceSum(lax.mul(lax.broadcastInDim(qi, rhs.shape, [0]), rhs), [0])));
  const c: Value[] = new Array(M);
  for (let j = M - 1; j >= 0; j--) {
    let acc = qty[j];
    for (let i = j + 1; i < M; i++) acc = lax.sub(acc, lax.mul(c[i], r[j][i]));
    c[j] = lax.div(acc, r[j][j]);
  }
  const coeffs = lax.concatenate(c.map((cj) => lax.reshape(cj, [1, ...cj.shape])), 0);
  return lax.div(coeffs, rhs.ndim === 1 ? scale : lax.broadcastInDim(scale, coeffs.shape, [0]));
}

export interface RootsOptions {
  /**
   * Drop the leading zero coefficients first, as NumPy (default true; needs concrete
   * coefficients). With false, each leading zero gives a NaN root at the end instead, so
   * that the result's size is known under jit, vmap and grad (JAX's `strip_zeros=False`).
   */
  stripZeros?: boolean;
}

/** The eigenvalues of the companion matrix of `p` (leading coefficient nonzero), as JAX. */
function companionRoots(p: Value): Value {
  const m = p.shape[0] - 1;
  const top = lax.reshape(lax.neg(lax.div(lax.slice(p, [1], [m + 1]), lax.broadcastInDim(lax.slice(p, [0], [1]), [m], [0]))), [1, m]);
  if (m === 1) return eigvals(top);
  const below = lax.concatenate([eye(m - 1, null, 0, { dtype: p.dtype }), zeros([m - 1, 1], { dtype: p.dtype })], 1);
  return eigvals(lax.concatenate([top, below], 0));
}

/**
 * The roots of the polynomial with coefficients `p` (1-d, highest power first), as
 * `jnp.roots`: the eigenvalues of its companion matrix, always complex (complex64 for
 * float32 coefficients, complex128 for float64). CPU only (np.linalg.eigvals).
 * @example
 * np.roots(np.array([1, -3, 2])); // [2+0j, 1+0j]
 * np.roots(np.array([0, 1, 2])); // [-2+0j]
 * np.roots(np.array([0, 1, 2]), { stripZeros: false }); // [-2+0j, NaN+NaNj]
 */
export function roots(p: ArrayLike, options: RootsOptions = {}): Value {
  const op = "np.roots";
  const { stripZeros = true } = options;
  let v = promoteInexact(op, [p])[0];
  if (v.ndim === 0) v = lax.reshape(v, [1]);
  if (v.ndim !== 1) throw new ShapeError(`${op}: the coefficients must be 1-d, got shape [${v.shape.join(", ")}]`);
  const n = v.shape[0];
  const complexDType = v.dtype === "float64" || v.dtype === "complex128" ? "complex128" : "complex64";
  if (n < 2) return zeros([0], { dtype: complexDType });
  if (stripZeros) {
    const values = concreteValues(op, "p", v, "pass { stripZeros: false } (leading zeros then give NaN roots)");
    let k = 0;
    while (k < n && values[k] === 0) k++;
    if (n - k < 2) return zeros([0], { dtype: complexDType });
    return companionRoots(lax.slice(v, [k], [n]));
  }
  // k leading zeros (n when all are), traced: roll them to the end, sort the zero roots they make
  // to the end (stably), and make the last k roots NaN
  const isZero = lax.eq(v, lax.scalar(0, v.dtype));
  const positions = lax.iota("int32", n);
  const firstNonzero = lax.reduceMin(lax.select(isZero, lax.broadcastInDim(lax.scalar(n, "int32"), [n], []), positions), [0]);
  const safe = lax.select(lax.broadcastInDim(lax.eq(firstNonzero, lax.scalar(n, "int32")), [n], []), lax.broadcastInDim(lax.scalar(1, v.dtype), [n], []), v);
  const k = firstNonzero;
  const rolledIndex = lax.rem(lax.add(positions, lax.broadcastInDim(k, [n], [])), lax.broadcastInDim(lax.scalar(n, "int32"), [n], []));
  const rolled = take(safe, rolledIndex);
  const r = companionRoots(rolled);
  const order = argsort(lax.convert(lax.eq(r, lax.scalar(0, r.dtype)), "int32"), 0);
  const sorted = take(r, order);
  const kept = lax.lt(lax.iota("int32", n - 1), lax.broadcastInDim(lax.sub(lax.scalar(n - 1, "int32"), k), [n - 1], []));
  const partDType = complexDType === "complex128" ? "float64" : "float32";
  const nan = lax.complex(lax.scalar(NaN, partDType), lax.scalar(NaN, partDType));
  return lax.select(kept, sorted, lax.broadcastInDim(nan, [n - 1], []));
}
