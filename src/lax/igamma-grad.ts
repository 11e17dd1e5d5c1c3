/**
 * The derivative of the regularized incomplete gamma function P(a, x) with
 * respect to `a` (JAX's `igamma_grad_a`), by forward-mode differentiation
 * of the same two expansions jaxon evaluates P with: the power series
 * x^a e^−x / Γ(a+1) · Σ xⁿ / ((a+1)…(a+n)) where x ≤ max(1, a), and
 * Legendre's continued fraction for Q = 1 − P elsewhere, each with its
 * derivative carried along step by step (as JAX's DERIVATIVE mode does).
 * The steps run as a fori loop of elementwise operations, so that the
 * derivative works on every device and under every transformation;
 * d/da of Q(a, x) is its negation.
 */
import type { Value } from "../trace/core.js";
import { foriLoop } from "./control-flow/while.js";
import { abs, add, and, convert, div, eq, exp, gt, log, lt, mul, neg, or, select, sub, zerosOf } from "./elementwise.js";
import { broadcastInDim } from "./shape.js";

/** d/da P(a, x) for same-shaped float a and x (P's own derivative in x is x^(a−1) e^−x / Γ(a)). */
export function igammaGradAValue(a0: Value, x0: Value, lgamma: (v: Value) => Value, digamma: (v: Value) => Value): Value {
  const shape = a0.ndim >= x0.ndim ? a0.shape : x0.shape;
  const a = a0.ndim === shape.length ? a0 : broadcastInDim(a0, shape, []);
  const xRaw = x0.ndim === shape.length ? x0 : broadcastInDim(x0, shape, []);
  const d = a.dtype;
  const N = d === "float64" ? 100 : d === "float16" ? 24 : 64;
  const isInf = (v: Value) => eq(abs(v), Infinity);
  const x = select(isInf(xRaw), add(zerosOf(xRaw.aval), 2), xRaw);
  const zero = zerosOf(a.aval);
  const one = add(zero, 1);
  // the common factor x^a e^−x / Γ(a) and its a-derivative factor · (log x − ψ(a))
  const factor = exp(sub(sub(mul(a, log(x)), x), lgamma(a)));
  const dfactor = mul(factor, sub(log(x), digamma(a)));
  const xa = sub(x, a);
  // series (acc, dacc), inside out: acc ← 1 + x/(a+n)·acc; fraction (f, df), bottom up: f ← x − a + 2i − 1 − i(i − a)/f
  const init = [one, zero, add(xa, 2 * N + 1), sub(zero, 1)];
  const [acc, dacc, f, df] = foriLoop(
    0,
    N,
    (i: Value, [s, ds, fr, dfr]: Value[]) => {
      const k = sub(convert(i, d), N); // −N … −1: the step index n = i' = N − i
      const n = neg(k);
      const t = div(x, add(a, n));
      const s2 = add(one, mul(t, s));
      const ds2 = add(mul(t, ds), mul(neg(div(t, add(a, n))), s));
      const q = mul(n, sub(n, a));
      const fr2 = sub(add(xa, sub(mul(n, 2), 1)), div(q, fr));
      // d/da [−q/f] = (n·f + q·df)/f²  (dq/da = −n)
      const dfr2 = add(sub(zero, 1), div(add(mul(n, fr), mul(q, dfr)), mul(fr, fr)));
      return [s2, ds2, fr2, dfr2];
    },
    init,
  ) as Value[];
  const p = div(mul(acc, factor), a);
  const dSeries = sub(div(add(mul(dacc, factor), mul(acc, dfactor)), a), div(p, a));
  const qv = div(factor, f);
  const dFraction = neg(div(sub(dfactor, mul(qv, df)), f));
  const useFraction = and(gt(x, 1), gt(x, a));
  const r = select(useFraction, dFraction, dSeries);
  const nan = or(lt(xRaw, 0), lt(a, 0));
  // as JAX's igamma_grad_a: 0 at x = 0, NaN at x = inf (and for negative arguments)
  return select(or(nan, isInf(xRaw)), add(zero, NaN), select(eq(xRaw, 0), zero, r));
}
