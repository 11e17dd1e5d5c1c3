/**
 * Special functions as elementwise primitives: lgamma, digamma, the Hurwitz
 * zeta, the regularized incomplete gamma functions (igamma, igammac), the
 * regularized incomplete beta function, erfc and the exponentially scaled
 * modified Bessel functions of order 0 and 1.
 *
 * Each is one scalar expression over the kernel IR's basic ops (arithmetic,
 * comparisons, select, exp, log, log1p, pow, sin, cos, erf), so the CPU's
 * JavaScript/WebAssembly renderers and WGSL all run the same algorithm, and
 * fusion inlines them like any elementwise op. The algorithms are the ones
 * XLA uses (Lanczos for lgamma/digamma, Euler–Maclaurin for zeta, the power
 * series and continued fraction for the incomplete gamma functions, a
 * continued fraction for the incomplete beta), with their loops unrolled to
 * a fixed number of steps: `ITERATIONS` terms are enough for float32 (and
 * float64) while the shape parameters stay below about 100; for larger `a`
 * or `b` the series converge more slowly than that and the result loses
 * accuracy.
 */
import type { ArrayLike } from "../array-methods.js";
import { ArrayMethods } from "../array-methods.js";
import type { Expr } from "../backend/kernel.js";
import { binary, ExprBuilder, load, unary } from "../backend/kernel.js";
import type { DType } from "../dtype.js";
import { DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import { describe } from "../static-args.js";
import type { Value } from "../trace/core.js";
import {
  add, asValue, defineElementwise, div, eq, exp, floor, log, log1p, mul, neg, operands, select, sign, sub, zerosOf,
} from "./elementwise.js";
import { bind1, lowersToStablehlo } from "./primitive.js";
import { elementwiseOp, scalarExpr, unrolledLoop } from "./stablehlo-ops.js";
import { igammaGradAValue } from "./igamma-grad.js";

// ---- expression building -------------------------------------------------------------------

/** Expression builders over one float dtype. */
class S extends ExprBuilder {
  pow = (a: Expr, b: Expr) => this.bin("pow", a, b);
  isNan = (x: Expr) => binary("ne", x, x, "bool");
  isInf = (x: Expr) => this.eq(this.abs(x), this.c(Infinity));
  /** Whether x is an integer (false for ±inf and NaN). */
  isInt = (x: Expr) => this.and(this.eq(this.floor(x), x), unary("is_finite", x, "bool"));
  /** Steps of an unrolled loop: enough for float32, more for float64, fewer for float16 (smaller shaders). */
  get steps(): number {
    return this.d === "float64" ? 100 : this.d === "float16" ? 24 : 64;
  }
}

/** n, n − 1, …, 1: the steps of a loop evaluated from the inside out (see unrolledLoop: StableHLO writes it as a loop). */
const down = (n: number) => globalThis.Array.from({ length: n }, (_, i) => n - i);

// ---- Lanczos: lgamma and digamma ------------------------------------------------------------

// the Lanczos approximation with g = 7 and 9 terms (as XLA's, and src/random/poisson.ts)
const LANCZOS_G = 7;
const LANCZOS_BASE = 0.99999999999980993227684700473478;
const LANCZOS = [676.520368121885098567009190444019, -1259.13921672240287047156078755283, 771.3234287776530788486528258894,
  -176.61502916214059906584551354, 12.507343278686904814458936853, -0.13857109526572011689554707, 9.984369578019570859563e-6,
  1.50563273514931155834e-7];
const LOG_SQRT_2PI = 0.91893853320467274178;

/** The Lanczos pieces at z = x − 1 (or −x for the reflection below 0.5). */
function lanczos(b: S, x: Expr) {
  const refl = b.lt(x, b.c(0.5));
  const z = b.sel(refl, b.neg(x), b.sub(x, b.c(1)));
  let acc = b.c(LANCZOS_BASE);
  let num = b.c(0);
  LANCZOS.forEach((cf, i) => {
    const zi = b.add(z, b.c(i + 1));
    acc = b.add(acc, b.div(b.c(cf), zi));
    num = b.sub(num, b.div(b.c(cf), b.mul(zi, zi)));
  });
  const t = b.add(z, b.c(LANCZOS_G + 0.5));
  const logT = b.add(b.c(Math.log(LANCZOS_G + 0.5)), b.log1p(b.div(z, b.c(LANCZOS_G + 0.5))));
  return { refl, z, acc, num, t, logT };
}

/** log|Γ(x)|; +inf at the poles (0, −1, −2, …) and at ±inf. */
function lgammaExpr(b: S, x: Expr): Expr {
  const { refl, z, acc, t, logT } = lanczos(b, x);
  const logY = b.add(b.add(b.log(acc), b.mul(b.sub(b.add(z, b.c(0.5)), b.div(t, logT)), logT)), b.c(LOG_SQRT_2PI));
  // reflection: lgamma(x) = log π − log|sin πx| − lgamma(1 − x), sin taken on the distance to the nearest integer
  const ax = b.abs(x);
  let frac = b.sub(ax, b.floor(ax));
  frac = b.sel(b.gt(frac, b.c(0.5)), b.sub(b.c(1), frac), frac);
  const logSin = b.log(b.un("sin", b.mul(b.c(Math.PI), frac)));
  const reflected = b.sub(b.sub(b.c(Math.log(Math.PI)), logSin), logY);
  return b.sel(b.isInf(x), b.c(Infinity), b.sel(refl, reflected, logY));
}

/** ψ(x) = Γ'(x)/Γ(x); NaN at the poles. */
function digammaExpr(b: S, x: Expr): Expr {
  const { refl, acc, num, t, logT } = lanczos(b, x);
  const y = b.sub(b.add(logT, b.div(num, acc)), b.div(b.c(LANCZOS_G), t));
  // reflection: ψ(x) = ψ(1 − x) − π/tan(πx), tan taken on the fractional part
  const frac = b.sub(x, b.floor(x));
  const pf = b.mul(b.c(Math.PI), frac);
  const reflected = b.sub(y, b.div(b.mul(b.c(Math.PI), b.un("cos", pf)), b.un("sin", pf)));
  const pole = b.and(b.le(x, b.c(0)), b.isInt(x));
  return b.sel(pole, b.c(NaN), b.sel(b.eq(x, b.c(Infinity)), x, b.sel(refl, reflected, y)));
}

// ---- Hurwitz zeta ----------------------------------------------------------------------------

// B_2j/(2j)! for j = 1…12 (Bernoulli numbers over factorials)
const BERNOULLI = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798, -174611 / 330, 854513 / 138, -236364091 / 2730];
const factorial = (n: number) => { let f = 1; for (let i = 2; i <= n; i++) f *= i; return f; };
const BERNOULLI_OVER_FACT = BERNOULLI.map((v, j) => v / factorial(2 * j + 2));

/**
 * ζ(s, q) = Σ_k (q + k)^−s by Euler–Maclaurin: nine terms summed directly,
 * the rest as an integral, half a term and twelve Bernoulli corrections.
 * s = 1 or a non-positive integer q is +inf; s < 1, or a negative q with a non-integer s, is NaN.
 */
function zetaExpr(b: S, s: Expr, q: Expr): Expr {
  const N = 9;
  const ns = b.neg(s);
  let sum = b.c(0);
  // (q + k)^−s; a negative q + k only with an integer s (else NaN below): |q + k|^−s · (−1)^s
  const sOdd = b.sub(s, b.mul(b.c(2), b.floor(b.mul(s, b.c(0.5)))));
  const negSign = b.sub(b.c(1), b.mul(b.c(2), sOdd));
  for (let k = 0; k < N; k++) {
    const base = b.add(q, b.c(k));
    const p = b.pow(b.abs(base), ns);
    sum = b.add(sum, b.sel(b.lt(base, b.c(0)), b.mul(negSign, p), p));
  }
  const w = b.add(q, b.c(N));
  const wPow = b.pow(w, ns);
  sum = b.add(sum, b.div(b.mul(wPow, w), b.sub(s, b.c(1))));
  sum = b.add(sum, b.mul(b.c(0.5), wPow));
  // Σ_j B_2j/(2j)! · s(s+1)…(s+2j−2) · w^(−s−2j+1)
  const w2 = b.mul(w, w);
  let poch = s;
  let wf = b.div(wPow, w);
  for (let j = 0; j < BERNOULLI_OVER_FACT.length; j++) {
    sum = b.add(sum, b.mul(b.c(BERNOULLI_OVER_FACT[j]), b.mul(poch, wf)));
    poch = b.mul(poch, b.mul(b.add(s, b.c(2 * j + 1)), b.add(s, b.c(2 * j + 2))));
    wf = b.div(wf, w2);
  }
  const nan = b.or(b.lt(s, b.c(1)), b.and(b.lt(q, b.c(0)), binary("ne", b.floor(s), s, "bool")));
  const inf = b.or(b.eq(s, b.c(1)), b.and(b.le(q, b.c(0)), b.isInt(q)));
  return b.sel(nan, b.c(NaN), b.sel(inf, b.c(Infinity), sum));
}

// ---- incomplete gamma ----------------------------------------------------------------------

/** x^a e^−x / Γ(a), the common factor of both expansions. */
function igammaFactor(b: S, a: Expr, x: Expr): Expr {
  return b.exp(b.sub(b.sub(b.mul(a, b.log(x)), x), lgammaExpr(b, a)));
}

/**
 * P(a, x) by its power series Σ_n x^n / ((a+1)…(a+n)), nested as
 * 1 + x/(a+1)·(1 + x/(a+2)·(1 + …)) and evaluated from the inside out, so
 * that the expression stays linear in the number of terms (the kernel
 * renderers expand shared subexpressions).
 */
function igammaSeries(b: S, a: Expr, x: Expr): Expr {
  const acc = unrolledLoop(b, down(b.steps), b.c(1), (n, acc) => b.add(b.c(1), b.mul(b.div(x, b.add(a, n((k) => k))), acc)));
  return b.div(b.mul(acc, igammaFactor(b, a, x)), a);
}

/**
 * Q(a, x) by Legendre's continued fraction 1/(x + 1 − a − 1·(1 − a)/(x + 3 − a − 2·(2 − a)/(…))),
 * evaluated from the bottom up (converges fast for x > a + 1).
 */
function igammacFraction(b: S, a: Expr, x: Expr): Expr {
  const xa = b.sub(x, a);
  const f = unrolledLoop(b, down(b.steps), b.add(xa, b.c(2 * b.steps + 1)), (i, f) =>
    b.sub(b.add(xa, i((k) => 2 * k - 1)), b.div(b.mul(i((k) => k), b.sub(i((k) => k), a)), f)),
  );
  return b.div(igammaFactor(b, a, x), f);
}

/** P(a, x): 0 at x = 0, 1 at x = inf or a = 0, NaN for x < 0 or a < 0. */
function igammaExpr(b: S, a: Expr, x: Expr): Expr {
  const useFraction = b.and(b.gt(x, b.c(1)), b.gt(x, a));
  const finiteX = b.sel(b.isInf(x), b.c(2), x);
  const r = b.sel(useFraction, b.sub(b.c(1), igammacFraction(b, a, finiteX)), igammaSeries(b, a, finiteX));
  const nan = b.or(b.lt(x, b.c(0)), b.lt(a, b.c(0)));
  return b.sel(nan, b.c(NaN), b.sel(b.eq(x, b.c(0)), b.c(0), b.sel(b.or(b.isInf(x), b.eq(a, b.c(0))), b.c(1), r)));
}

/** Q(a, x) = 1 − P(a, x): 1 at x = 0, 0 at x = inf or a = 0, NaN for x < 0 or a < 0. */
function igammacExpr(b: S, a: Expr, x: Expr): Expr {
  const useSeries = b.or(b.lt(x, b.c(1)), b.lt(x, a));
  const finiteX = b.sel(b.isInf(x), b.c(2), x);
  const r = b.sel(useSeries, b.sub(b.c(1), igammaSeries(b, a, finiteX)), igammacFraction(b, a, finiteX));
  const nan = b.or(b.lt(x, b.c(0)), b.lt(a, b.c(0)));
  return b.sel(nan, b.c(NaN), b.sel(b.eq(x, b.c(0)), b.c(1), b.sel(b.or(b.isInf(x), b.eq(a, b.c(0))), b.c(0), r)));
}

// ---- incomplete beta -----------------------------------------------------------------------

/** log B(a, b) = lgamma(a) + lgamma(b) − lgamma(a + b). */
function lbetaExpr(s: S, a: Expr, b: Expr): Expr {
  return s.sub(s.add(lgammaExpr(s, a), lgammaExpr(s, b)), lgammaExpr(s, s.add(a, b)));
}

/**
 * I_x(a, b) by its continued fraction x^a (1 − x)^b / (a B(a, b)) · 1/(1 + d₁/(1 + d₂/(1 + …))),
 * evaluated from the bottom up, on the side of the mean where it converges (I_x(a, b) = 1 − I_(1−x)(b, a)).
 */
function betaincExpr(s: S, a0: Expr, b0: Expr, x0: Expr): Expr {
  const flip = s.gt(x0, s.div(s.add(a0, s.c(1)), s.add(s.add(a0, b0), s.c(2))));
  const a = s.sel(flip, b0, a0);
  const b = s.sel(flip, a0, b0);
  const x = s.sel(flip, s.sub(s.c(1), x0), x0);
  // log x and log(1 − x) of the (possibly flipped) x, each from the original x without cancellation
  const logX0 = s.log(x0);
  const log1mX0 = s.log1p(s.neg(x0));
  const logX = s.sel(flip, log1mX0, logX0);
  const log1mX = s.sel(flip, logX0, log1mX0);
  // d_2m = m(b − m)x / ((a + 2m − 1)(a + 2m)), d_2m+1 = −(a + m)(a + b + m)x / ((a + 2m)(a + 2m + 1))
  // (m(f) is f(m) for the step's m; each loop step j does k = 2j, then k = 2j − 1)
  type M = (f: (m: number) => number) => Expr;
  const even = (m: M) => s.div(s.mul(s.mul(m((v) => v), s.sub(b, m((v) => v))), x), s.mul(s.add(a, m((v) => 2 * v - 1)), s.add(a, m((v) => 2 * v))));
  const odd = (m: M) => s.neg(s.div(s.mul(s.mul(s.add(a, m((v) => v)), s.add(s.add(a, b), m((v) => v))), x), s.mul(s.add(a, m((v) => 2 * v)), s.add(a, m((v) => 2 * v + 1)))));
  const f = unrolledLoop(s, down(s.steps), s.c(1), (j, f) => {
    const f2 = s.add(s.c(1), s.div(even(j), f));
    return s.add(s.c(1), s.div(odd((g) => j((v) => g(v - 1))), f2));
  });
  const front = s.div(s.exp(s.sub(s.add(s.mul(a, logX), s.mul(b, log1mX)), lbetaExpr(s, a, b))), a);
  const r = s.div(front, f);
  const res = s.sel(flip, s.sub(s.c(1), r), r);
  const nan = s.or(s.or(s.le(a0, s.c(0)), s.le(b0, s.c(0))), s.or(s.lt(x0, s.c(0)), s.gt(x0, s.c(1))));
  return s.sel(nan, s.c(NaN), s.sel(s.eq(x0, s.c(0)), s.c(0), s.sel(s.eq(x0, s.c(1)), s.c(1), res)));
}

// ---- erfc ------------------------------------------------------------------------------------

/** erfc on |x|: 1 − erf near 0; beyond, a rational fit (float32) or a continued fraction (float64). */
function erfcExpr(b: S, x: Expr): Expr {
  const ax = b.abs(x);
  const oneMinusErf = b.sub(b.c(1), b.un("erf", ax));
  let tail: Expr;
  let cut: number;
  if (b.d === "float64") {
    // Laplace's continued fraction erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + 3/2/(x + …)))), bottom-up
    cut = 3;
    let f = ax;
    for (let k = 80; k >= 1; k--) f = b.add(ax, b.div(b.c(k / 2), f));
    tail = b.div(b.exp(b.neg(b.mul(ax, ax))), b.mul(b.c(Math.sqrt(Math.PI)), f));
  } else {
    // a Chebyshev fit of e^(x²)·erfc(x) in t = 1/(1 + x/2), relative error below 1.2e-7 for x ≥ 0
    cut = 0.5;
    const t = b.div(b.c(1), b.add(b.c(1), b.mul(b.c(0.5), ax)));
    const P = [0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223];
    let p = b.c(P[0]);
    for (let k = 1; k < P.length; k++) p = b.add(b.mul(p, t), b.c(P[k]));
    tail = b.mul(t, b.exp(b.sub(p, b.mul(ax, ax))));
  }
  const e = b.sel(b.lt(ax, b.c(cut)), oneMinusErf, tail);
  return b.sel(b.isNan(x), x, b.sel(b.lt(x, b.c(0)), b.sub(b.c(2), e), e));
}

// ---- modified Bessel functions, exponentially scaled ----------------------------------------

/**
 * e^−|x|·I_ν(|x|) for ν = 0, 1: the power series up to |x| = 20, the
 * asymptotic expansion beyond (its error there is about e^−40).
 */
function besselIe(b: S, nu: 0 | 1, x: Expr): Expr {
  const ax = b.abs(x);
  const q = b.mul(b.c(0.25), b.mul(ax, ax));
  // Σ_k (x²/4)^k / (k! (k+ν)!), nested from the inside out (a linear expression)
  const acc = unrolledLoop(b, down(60), b.c(1), (k, acc) => b.add(b.c(1), b.mul(b.div(q, k((v) => v * (v + nu))), acc)));
  const lead = nu === 0 ? acc : b.mul(b.mul(b.c(0.5), ax), acc);
  const series = b.mul(lead, b.exp(b.neg(ax)));
  // e^−x I_ν(x) ~ 1/√(2πx) · Σ_k t_k, t_k = −t_(k−1)·(4ν² − (2k−1)²)/(8kx)
  const big = b.sel(b.lt(ax, b.c(20)), b.c(20), ax);
  let asym = unrolledLoop(b, down(25), b.c(1), (k, acc) => b.add(b.c(1), b.mul(b.div(k((v) => -(4 * nu * nu - (2 * v - 1) ** 2) / (8 * v)), big), acc)));
  asym = b.div(asym, b.un("sqrt", b.mul(b.c(2 * Math.PI), big)));
  const r = b.sel(b.lt(ax, b.c(20)), series, asym);
  return b.sel(b.isNan(x), x, nu === 0 ? r : binary("copysign", r, x, b.d));
}

// ---- the primitives --------------------------------------------------------------------------

const fdt = (d: DType) => new S(d);
const unsupported = (what: string): never => {
  throw new UnsupportedError(what);
};

export const lgammaP = defineElementwise("lgamma", {
  params: {},
  dtypes: "float",
  scalar: ([x], _p, d) => lgammaExpr(fdt(d), x),
  jvp: [(g, [x]) => mul(g, digamma(x))],
});
export const digammaP = defineElementwise("digamma", {
  params: {},
  dtypes: "float",
  scalar: ([x], _p, d) => digammaExpr(fdt(d), x),
  // ψ'(x) = ζ(2, x)
  jvp: [(g, [x]) => mul(g, zeta(2, x))],
});
export const zetaP = defineElementwise("zeta", {
  params: {},
  dtypes: "float",
  scalar: ([s, q], _p, d) => zetaExpr(fdt(d), s, q),
  jvp: [
    () => unsupported("lax.zeta: the derivative with respect to s is not implemented (as in JAX); differentiate with respect to q only"),
    (g, [s, q]) => mul(g, neg(mul(s, zeta(add(s, 1), q)))),
  ],
});
/** d/dx P(a, x) = x^(a−1) e^−x / Γ(a). */
const igammaDx = (a: Value, x: Value) => exp(sub(sub(mul(sub(a, 1), log(x)), x), lgamma(a)));
export const igammaP = defineElementwise("igamma", {
  params: {},
  dtypes: "float",
  scalar: ([a, x], _p, d) => igammaExpr(fdt(d), a, x),
  jvp: [
    (g, [a, x]) => mul(g, igammaGradAValue(a, x, lgamma, digamma)),
    (g, [a, x]) => mul(g, igammaDx(a, x)),
  ],
});
export const igammacP = defineElementwise("igammac", {
  params: {},
  dtypes: "float",
  scalar: ([a, x], _p, d) => igammacExpr(fdt(d), a, x),
  jvp: [
    (g, [a, x]) => neg(mul(g, igammaGradAValue(a, x, lgamma, digamma))),
    (g, [a, x]) => neg(mul(g, igammaDx(a, x))),
  ],
});
const betaincGradAB = (): never =>
  unsupported("lax.betainc: the derivative with respect to a or b is not implemented (as in JAX); differentiate with respect to x");
export const regularizedIncompleteBetaP = defineElementwise("regularized_incomplete_beta", {
  params: {},
  dtypes: "float",
  scalar: ([a, b, x], _p, d) => betaincExpr(fdt(d), a, b, x),
  jvp: [
    betaincGradAB,
    betaincGradAB,
    // x^(a−1) (1 − x)^(b−1) / B(a, b)
    (g, [a, b, x]) => mul(g, exp(sub(add(mul(sub(a, 1), log(x)), mul(sub(b, 1), log1p(neg(x)))), sub(add(lgamma(a), lgamma(b)), lgamma(add(a, b)))))),
  ],
});
export const erfcP = defineElementwise("erfc", {
  params: {},
  dtypes: "float",
  scalar: ([x], _p, d) => erfcExpr(fdt(d), x),
  jvp: [(g, [x]) => mul(g, mul(exp(neg(mul(x, x))), -2 / Math.sqrt(Math.PI)))],
});
export const besselI0eP = defineElementwise("bessel_i0e", {
  params: {},
  dtypes: "float",
  scalar: ([x], _p, d) => besselIe(fdt(d), 0, x),
  // (e^−|x| I0)' = e^−|x| I1 − sign(x) e^−|x| I0
  jvp: [(g, [x], y) => mul(g, sub(besselI1e(x), mul(sign(x), y)))],
});
export const besselI1eP = defineElementwise("bessel_i1e", {
  params: {},
  dtypes: "float",
  scalar: ([x], _p, d) => besselIe(fdt(d), 1, x),
  // (e^−|x| I1)' = e^−|x| I0 − e^−|x| I1 (sign(x) + 1/x), ½ at 0
  jvp: [
    (g, [x], y) => {
      const zero = eq(x, 0);
      const safe = select(zero, add(zerosOf(x.aval), 1), x);
      return mul(g, select(zero, add(zerosOf(x.aval), 0.5), sub(besselI0e(x), mul(y, add(sign(x), div(1, safe))))));
    },
  ],
});

// ---- public functions --------------------------------------------------------------------------

/** The operand of a float special function (a JS number becomes a weak float32). */
function floatArg(op: string, x: unknown): Value {
  if (typeof x !== "number" && typeof x !== "boolean" && !(x instanceof ArrayMethods)) {
    throw new DTypeError(`lax.${op}: expected an array or a number, got ${describe(x)}; wrap JS arrays with np.array(...)`);
  }
  return asValue(x as ArrayLike, typeof x === "number" ? "float32" : undefined);
}
function floatArgs(op: string, xs: unknown[]): Value[] {
  for (const x of xs) floatArg(op, x);
  // JS numbers take the dtype of the first array operand (float32 when there is none)
  return xs.some((x) => x instanceof ArrayMethods) ? operands(xs as ArrayLike[]) : xs.map((x) => asValue(x as ArrayLike, "float32"));
}

/**
 * The natural log of the absolute value of the gamma function.
 * @example
 * lax.lgamma(np.array([0.5, 1, 10])); // [0.5723649, 0, 12.801827]
 */
export function lgamma(x: ArrayLike): Value {
  return bind1(lgammaP, [floatArg("lgamma", x)], {});
}
/**
 * The digamma function ψ(x), the derivative of lgamma.
 * @example
 * lax.digamma(np.array([1, 2])); // [-0.5772157, 0.4227843]
 */
export function digamma(x: ArrayLike): Value {
  return bind1(digammaP, [floatArg("digamma", x)], {});
}
/**
 * The Hurwitz zeta function ζ(s, q) = Σ_k (q + k)^−s.
 * @example
 * lax.zeta(np.array([2, 4]), 1); // [1.6449341, 1.0823232]
 */
export function zeta(s: ArrayLike, q: ArrayLike): Value {
  return bind1(zetaP, floatArgs("zeta", [s, q]), {});
}
/**
 * The polygamma function ψ⁽ᵐ⁾(x), the m-th derivative of digamma; `m` holds non-negative integers.
 * @example
 * lax.polygamma(1, np.array([1, 2])); // [1.6449341, 0.6449341]
 */
export function polygamma(m: ArrayLike, x: ArrayLike): Value {
  const [mv, xv] = floatArgs("polygamma", [m, x]);
  // ψ⁽ᵐ⁾(x) = (−1)^(m+1) m! ζ(m + 1, x) for m ≥ 1
  const m1 = add(mv, 1);
  // (−1)^(m+1) = 1 − 2·((m + 1) mod 2)
  const signs = sub(1, mul(2, sub(m1, mul(2, floor(div(m1, 2))))));
  const general = mul(mul(signs, exp(lgamma(m1))), zeta(m1, xv));
  const valid = eq(mv, floor(mv));
  const r = select(eq(mv, 0), digamma(xv), general);
  return select(valid, r, add(mul(r, 0), NaN));
}

/**
 * The regularized lower incomplete gamma function P(a, x).
 * @example
 * lax.igamma(np.array([1, 2]), np.array([1, 1])); // [0.63212055, 0.26424112]
 */
export function igamma(a: ArrayLike, x: ArrayLike): Value {
  return bind1(igammaP, floatArgs("igamma", [a, x]), {});
}
/**
 * The regularized upper incomplete gamma function Q(a, x) = 1 − P(a, x).
 * @example
 * lax.igammac(np.array([1, 2]), np.array([1, 1])); // [0.36787945, 0.7357589]
 */
export function igammac(a: ArrayLike, x: ArrayLike): Value {
  return bind1(igammacP, floatArgs("igammac", [a, x]), {});
}
/**
 * The derivative of the regularized lower incomplete gamma function P(a, x)
 * with respect to `a`, as JAX's `lax.igamma_grad_a` (what grad of
 * lax.igamma in `a` computes).
 * @example
 * lax.igammaGradA(np.array([2]), np.array([1])); // [-0.27619603]
 */
export function igammaGradA(a: ArrayLike, x: ArrayLike): Value {
  const [av, xv] = floatArgs("igammaGradA", [a, x]);
  if (av.dtype !== xv.dtype || !(av.dtype === "float32" || av.dtype === "float64" || av.dtype === "float16")) {
    throw new DTypeError(`lax.igammaGradA: needs a and x of one float dtype, got ${av.dtype} and ${xv.dtype}`);
  }
  if (av.ndim !== 0 && xv.ndim !== 0 && (av.ndim !== xv.ndim || av.shape.some((s, i) => s !== xv.shape[i]))) {
    throw new ShapeError(`lax.igammaGradA: a and x must have one shape (or be scalars), got [${av.shape.join(", ")}] and [${xv.shape.join(", ")}]`);
  }
  return igammaGradAValue(av, xv, lgamma, digamma);
}
/**
 * The regularized incomplete beta function I_x(a, b).
 * @example
 * lax.betainc(np.array([2]), np.array([3]), np.array([0.5])); // [0.6875]
 */
export function betainc(a: ArrayLike, b: ArrayLike, x: ArrayLike): Value {
  return bind1(regularizedIncompleteBetaP, floatArgs("betainc", [a, b, x]), {});
}
/**
 * The complementary error function 1 − erf(x), without cancellation for large x.
 * @example
 * lax.erfc(np.array([0, 3])); // [1, 0.00002209]
 */
export function erfc(x: ArrayLike): Value {
  return bind1(erfcP, [floatArg("erfc", x)], {});
}
/**
 * The exponentially scaled modified Bessel function of order 0, e^−|x| I₀(x).
 * @example
 * lax.besselI0e(np.array([0, 1])); // [1, 0.4657596]
 */
export function besselI0e(x: ArrayLike): Value {
  return bind1(besselI0eP, [floatArg("besselI0e", x)], {});
}
/**
 * The exponentially scaled modified Bessel function of order 1, e^−|x| I₁(x).
 * @example
 * lax.besselI1e(np.array([0, 1])); // [0, 0.20791042]
 */
export function besselI1e(x: ArrayLike): Value {
  return bind1(besselI1eP, [floatArg("besselI1e", x)], {});
}

// ---- StableHLO lowerings (exportStableHLO) ---------------------------------------------------
//
// As JAX lowers them (checked with jax.export): lgamma, digamma, erfc, zeta
// and bessel_i1e are chlo ops that XLA expands; JAX itself expands igamma,
// igammac, betainc and bessel_i0e into elementwise math, and so does jaxon:
// the same scalar expression its kernels run, written out as StableHLO ops.

for (const [prim, name] of [[lgammaP, "chlo.lgamma"], [digammaP, "chlo.digamma"], [erfcP, "chlo.erfc"], [zetaP, "chlo.zeta"], [besselI1eP, "chlo.bessel_i1e"]] as const) {
  lowersToStablehlo(prim, elementwiseOp(name));
}
for (const [prim, expr] of [
  [igammaP, (b: S, [a, x]: Expr[]) => igammaExpr(b, a, x)],
  [igammacP, (b: S, [a, x]: Expr[]) => igammacExpr(b, a, x)],
  [regularizedIncompleteBetaP, (b: S, [a, bb, x]: Expr[]) => betaincExpr(b, a, bb, x)],
  [besselI0eP, (b: S, [x]: Expr[]) => besselIe(b, 0, x)],
] as const) {
  lowersToStablehlo(prim, (ctx, args, _p, _a, [out]) => [
    scalarExpr(ctx, expr(fdt(out.dtype), args.map((_, i) => load(i, out.dtype))), args, out.shape),
  ]);
}
