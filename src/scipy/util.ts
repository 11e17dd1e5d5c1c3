/** Operand handling shared by the scipy modules (internal). */
import type { ArrayLike } from "../array-methods.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import { broadcastForLax, promoteInexact } from "../numpy/util.js";
import type { Value } from "../trace/core.js";

/** The operands of an elementwise function: promoted to one float dtype and broadcast. */
export function floats(op: string, ...xs: ArrayLike[]): Value[] {
  return broadcastForLax(op, promoteInexact(op, xs));
}

/** Operands promoted to one float dtype, not broadcast (for functions with core dimensions). */
export function promoteFloat(op: string, ...xs: ArrayLike[]): Value[] {
  return promoteInexact(op, xs);
}

/** `v` where `cond`, else the constant `c` (in `v`'s dtype). */
export function whereConst(cond: Value, v: Value, c: number): Value {
  return np.where(cond, v, np.full(v.shape, c, { dtype: v.dtype }));
}

/**
 * Splits the domain of an odd function computed on |x| at `cut`: `small`
 * holds |x| below the cut (1 elsewhere) for a power series, `large` holds
 * finite |x| above it (2·cut elsewhere) for an asymptotic form, so neither
 * branch of the `where` that joins them sees an argument it would turn into
 * NaN or inf (whose gradients would poison the taken branch).
 */
export function splitAtCut(x: Value, cut: number): { big: Value; finite: Value; small: Value; large: Value } {
  const ax = lax.abs(x);
  const big = np.greater(ax, cut);
  const finite = np.isfinite(ax);
  const small = np.where(big, np.onesLike(x), ax);
  const large = np.where(np.logicalAnd(big, finite), ax, np.full(x.shape, 2 * cut, { dtype: x.dtype }));
  return { big, finite, small, large };
}

/**
 * e^{sign·x²} without the error of rounding x² first: x = hi + lo with hi on a coarse grid, so
 * hi² is exact and e^{±x²} = e^{±hi²}·e^{±(2·hi·lo + lo²)} (relative error a few ulp, not x²·ulp).
 */
export function expSquare(x: Value, sign: 1 | -1): Value {
  const grid = x.dtype === "float64" ? 2 ** 12 : 2 ** 6;
  const hi = np.divide(np.round(np.multiply(x, grid)), grid);
  const lo = np.subtract(x, hi);
  const big = np.multiply(np.multiply(hi, hi), sign);
  const small = np.multiply(np.multiply(lo, np.add(np.multiply(hi, 2), lo)), sign);
  // ±inf: hi is infinite and lo NaN; the exponent is hi² alone
  return np.multiply(np.exp(big), np.exp(np.where(np.isfinite(x), small, np.zerosLike(small))));
}

/**
 * The continued fraction T = (a(0) + ib) − n(1)/((a(1) + ib) − n(2)/(… − n(depth)/(a(depth) + ib))),
 * real a(j) and n(j), evaluated bottom-up in real and imaginary parts: [Re T, Im T]
 * (fresnel's and sici's tails, for large arguments).
 */
export function complexContinuedFraction(b: Value, a: (j: number) => number, n: (j: number) => number, depth: number): [Value, Value] {
  let re: Value = np.full(b.shape, a(depth), { dtype: b.dtype });
  let im: Value = b;
  for (let j = depth; j >= 1; j--) {
    // a(j−1) + ib − n(j)·conj(T)/|T|²
    const scale = lax.div(n(j), lax.add(lax.mul(re, re), lax.mul(im, im)));
    [re, im] = [lax.sub(a(j - 1), lax.mul(scale, re)), lax.add(b, lax.mul(scale, im))];
  }
  return [re, im];
}

/**
 * Σ weight(k)·termₖ, term₁ = `first`, termₖ₊₁ = termₖ·ratio(k), k = 1, 2, … as JAX's hypergeometric while loops
 * run it, elementwise: each element adds terms while |term|/|sum| exceeds the dtype's epsilon (a NaN ratio stops
 * it) and at most `maxTerms` − 1 of them, and keeps its sum once it stops (an asymptotic series must not take the
 * diverging tail). A scan with a fixed length, so it batches, jits and runs on both devices.
 */
export function convergedSeries(start: Value, first: Value, ratio: (k: Value) => Value, weight: ((k: Value) => Value) | null, maxTerms = 250): Value {
  const eps = start.dtype === "float64" ? 2 ** -52 : 2 ** -23;
  const [sum] = lax.foriLoop(1, maxTerms, (i: Value, [s, term, running]: [Value, Value, Value]): [Value, Value, Value] => {
    const k = lax.convert(i, s.dtype);
    const go = np.logicalAnd(running, np.greater(lax.div(lax.abs(term), lax.abs(s)), eps));
    const added = lax.add(s, weight ? lax.mul(term, weight(k)) : term);
    return [np.where(go, added, s), np.where(go, lax.mul(term, ratio(k)), term), go];
  }, [start, first, np.onesLike(start).astype("bool")] as [Value, Value, Value]);
  return sum;
}
