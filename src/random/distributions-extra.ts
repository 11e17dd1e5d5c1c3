/**
 * More of JAX's samplers (jax/_src/random/core.py), each the same sequence
 * of operations on the same bits as JAX, so that the same key gives JAX's
 * samples: transforms of a uniform or normal draw (laplace, logistic,
 * cauchy, lognormal, pareto, rayleigh, weibullMin, geometric, triangular,
 * maxwell, doubleSidedMaxwell, rademacher), Marsaglia–Tsang gamma with JAX's
 * per-element key splitting and rejection loops (gamma, loggamma and what
 * is built on them: beta, dirichlet, chisquare, f, t, generalizedNormal,
 * ball), and the linear-algebra ones (multivariateNormal by Cholesky,
 * orthogonal by QR).
 *
 * Where JAX's result rests on XLA's own log/exp/tan/pow, or XLA fuses an
 * `a * b + c` into one FMA, a sample can differ from JAX's in the last bit
 * or two (test/random-distributions.test.ts states which are exact). A
 * rejection loop (gamma) decides on such values, so in rare cases a
 * last-bit difference could change an acceptance; the fixtures show none.
 */
import type { ArrayLike } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { checkDType, isFloat, isInt } from "../dtype.js";
import { DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import {
  abs, add, and, broadcastInDim, convert, div, eq, exp, floor, ge, le, log, log1p, lt, max, mul, neg, or, pow, reduceMax, reduceSum, reshape,
  scalar, select, sign, sqrt, sub, tan, transpose, whileLoop,
} from "../lax/index.js";
import { cholesky, qr } from "../numpy/linalg-functions.js";
import { einsum } from "../numpy/linalg.js";
import { diagonal } from "../numpy/shape.js";
import { broadcastShapes, fmtShape, shapeEq, sizeOf } from "../shape.js";
import { describe, sizeArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { vmap } from "../transforms/vmap.js";
import { customJvp } from "../transforms/custom.js";
import type { FloatOptions, IntOptions } from "./distributions.js";
import { asArg, bernoulli, exponential, fit, floatDType, normal, opts, param, tiny, uniform } from "./distributions.js";
import type { Key, ShapeLike } from "./keys.js";
import { checkKey, freshKey, shapeArg, split, splitArray } from "./keys.js";
import { asyncDevice, onCpuAndBack } from "./poisson.js";

// ---- helpers ----------------------------------------------------------------------------

const EPS: Record<string, number> = { float16: 2 ** -10, float32: 2 ** -23, float64: 2 ** -52 };
/** finfo(dtype).epsneg: the gap below 1. */
const EPSNEG: Record<string, number> = { float16: 2 ** -11, float32: 2 ** -24, float64: 2 ** -53 };

function floatOf(op: string, options: FloatOptions | DType | undefined): DType {
  const { dtype = "float32" } = opts(op, options);
  return floatDType(op, dtype);
}

/** The result shape: `shape` if given (the parameters must broadcast to it), else the parameters' broadcast shape. */
function resultShape(op: string, shape: ShapeLike | undefined, ...params: ArrayLike[]): number[] {
  const shapes = params.map((p) => [...asArg(op, "a parameter", p).shape]);
  const common = shapes.reduce((a, b) => broadcastShapes(op, a, b), [] as number[]);
  if (shape === undefined) return common;
  const s = shapeArg(op, shape);
  if (!shapeEq(broadcastShapes(op, s, common), s)) {
    throw new ShapeError(`${op}: the parameters' shape ${fmtShape(common)} does not broadcast to the requested shape ${fmtShape(s)}; pass a shape that ends with it`);
  }
  return s;
}

const c = (v: number, d: DType) => scalar(v, d);

// ---- transforms of one uniform or normal draw ------------------------------------------

/**
 * Standard Laplace samples (JAX's `random.laplace`): `sign(u) * log1p(-|u|)`
 * for u uniform in (-1, 1).
 * @example
 * random.laplace(random.key(0), [3]);
 */
export function laplace(key: Key, shape: ShapeLike = [], options?: FloatOptions | DType): Value {
  const d = floatOf("random.laplace", options);
  const u = uniform(key, shape, { dtype: d, minval: -1 + EPSNEG[d], maxval: 1 });
  return mul(sign(u), log1p(neg(abs(u))));
}

/**
 * Standard logistic samples (JAX's `random.logistic`): `log(u) - log1p(-u)`.
 * @example
 * random.logistic(random.key(0), [3]);
 */
export function logistic(key: Key, shape: ShapeLike = [], options?: FloatOptions | DType): Value {
  const d = floatOf("random.logistic", options);
  const x = uniform(key, shape, { dtype: d, minval: tiny(d), maxval: 1 });
  return sub(log(x), log1p(neg(x)));
}

/**
 * Standard Cauchy samples (JAX's `random.cauchy`): `tan(pi * (u - 1/2))`.
 * @example
 * random.cauchy(random.key(0), [3]);
 */
export function cauchy(key: Key, shape: ShapeLike = [], options?: FloatOptions | DType): Value {
  const d = floatOf("random.cauchy", options);
  const u = uniform(key, shape, { dtype: d, minval: EPS[d], maxval: 1 });
  return tan(mul(c(Math.PI, d), sub(u, c(0.5, d))));
}

/**
 * Log-normal samples (JAX's `random.lognormal`): `exp(sigma * normal)`. The
 * shape defaults to sigma's.
 * @example
 * random.lognormal(random.key(0), 0.5, [3]);
 */
export function lognormal(key: Key, sigma: ArrayLike = 1, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  const op = "random.lognormal";
  const d = floatOf(op, options);
  const s = resultShape(op, shape, sigma);
  return exp(mul(normal(key, s, d), param(op, "sigma", sigma, d, s)));
}

/**
 * Random signs, -1 or +1 with equal probability (JAX's `random.rademacher`),
 * int32 by default: `2 * bernoulli(0.5) - 1`.
 * @example
 * random.rademacher(random.key(0), [4]); // e.g. [1, -1, -1, 1]
 */
export function rademacher(key: Key, shape: ShapeLike = [], options: IntOptions | FloatOptions | DType = {}): Value {
  const op = "random.rademacher";
  const { dtype = "int32" } = opts(op, options);
  const d = checkDType(dtype, op);
  if (d === "bool") throw new DTypeError(`${op}: dtype must be numeric (int32 or a float), got bool`);
  const b = convert(bernoulli(key, 0.5, shape), d);
  return sub(mul(c(2, d), b), c(1, d));
}

/**
 * Pareto samples with shape parameter b (JAX's `random.pareto`):
 * `exp(exponential / b)`. The shape defaults to b's.
 * @example
 * random.pareto(random.key(0), 3, [5]);
 */
export function pareto(key: Key, b: ArrayLike, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  const op = "random.pareto";
  const d = floatOf(op, options);
  const s = resultShape(op, shape, b);
  return exp(div(exponential(key, s, d), param(op, "b", b, d, s)));
}

/**
 * Rayleigh samples (JAX's `random.rayleigh`): `scale * sqrt(-2 log u)`. The
 * shape defaults to scale's.
 * @example
 * random.rayleigh(random.key(0), 2, [5]);
 */
export function rayleigh(key: Key, scale: ArrayLike = 1, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  const op = "random.rayleigh";
  const d = floatOf(op, options);
  const s = resultShape(op, shape, scale);
  const u = uniform(key, s, d);
  return mul(param(op, "scale", scale, d, s), sqrt(mul(log(u), c(-2, d))));
}

/**
 * Weibull samples (JAX's `random.weibull_min`), by the inverse CDF:
 * `(-log1p(-u)) ** (1 / concentration) * scale`.
 * @example
 * random.weibullMin(random.key(0), 1, 2, [5]);
 */
export function weibullMin(key: Key, scale: ArrayLike, concentration: ArrayLike, shape: ShapeLike = [], options?: FloatOptions | DType): Value {
  const op = "random.weibullMin";
  const d = floatOf(op, options);
  const s = resultShape(op, shape, scale, concentration);
  const u = uniform(key, s, d);
  const inv = div(c(1, d), param(op, "concentration", concentration, d, s));
  return mul(pow(neg(log1p(neg(u))), inv), param(op, "scale", scale, d, s));
}

/**
 * Geometric samples, the number of trials up to the first success with
 * probability p (JAX's `random.geometric`), int32 by default:
 * `floor(log(u) / log1p(-p)) + 1`. The shape defaults to p's.
 * @example
 * random.geometric(random.key(0), 0.3, [5]);
 */
export function geometric(key: Key, p: ArrayLike, shape?: ShapeLike, options: IntOptions | DType = {}): Value {
  const op = "random.geometric";
  const { dtype = "int32" } = opts(op, options);
  const d = checkDType(dtype, op);
  if (!isInt(d)) throw new DTypeError(`${op}: dtype must be an integer dtype (int8, uint8, int16, uint16, int32 or uint32), got ${d}`);
  const s = resultShape(op, shape, p);
  const pv = asArg(op, "p", p);
  const pd = isFloat(pv.dtype) ? pv.dtype : "float32";
  let u = uniform(key, s, pd);
  // JAX maps u = 0 to 1 (not log1p(u - 1)) to keep its samples for a key
  u = select(eq(u, c(0, pd)), broadcastInDim(c(1, pd), s, []), u);
  const logOneMinusP = log1p(neg(param(op, "p", p, pd, s)));
  const g = add(floor(div(log(u), logOneMinusP)), c(1, pd));
  return convert(g, d);
}

/**
 * Triangular samples on [left, right] with the given mode (JAX's
 * `random.triangular`), by the inverse CDF. The shape defaults to the
 * parameters' broadcast shape.
 * @example
 * random.triangular(random.key(0), 0, 1, 3, [5]);
 */
export function triangular(key: Key, left: ArrayLike, mode: ArrayLike, right: ArrayLike, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  const op = "random.triangular";
  const d = floatOf(op, options);
  const s = resultShape(op, shape, left, mode, right);
  const full = (x: Value) => (x.ndim === 0 && s.length > 0 ? broadcastInDim(x, s, []) : x);
  const l = full(param(op, "left", left, d, s));
  const r = full(param(op, "right", right, d, s));
  const m = full(param(op, "mode", mode, d, s));
  const fc = div(sub(m, l), sub(r, l));
  const u = uniform(key, s, d);
  const out1 = add(l, sqrt(mul(mul(u, sub(r, l)), sub(m, l))));
  const out2 = sub(r, sqrt(mul(mul(sub(c(1, d), u), sub(r, l)), sub(r, m))));
  return select(lt(u, fc), out1, out2);
}

/**
 * Maxwell–Boltzmann samples (JAX's `random.maxwell`): the Euclidean norm of
 * three standard normals.
 * @example
 * random.maxwell(random.key(0), [5]);
 */
export function maxwell(key: Key, shape: ShapeLike = [], options?: FloatOptions | DType): Value {
  const op = "random.maxwell";
  const d = floatOf(op, options);
  const s = shapeArg(op, shape);
  const z = normal(key, [...s, 3], d);
  return sqrt(reduceSum(mul(z, z), [s.length]));
}

/**
 * Double-sided Maxwell samples (JAX's `random.double_sided_maxwell`): a
 * Maxwell draw with a random sign, times scale, plus loc. The result shape
 * is `shape` followed by the broadcast shape of loc and scale.
 * @example
 * random.doubleSidedMaxwell(random.key(0), 0, 1, [5]);
 */
export function doubleSidedMaxwell(key: Key, loc: ArrayLike, scale: ArrayLike, shape: ShapeLike = [], options?: FloatOptions | DType): Value {
  const op = "random.doubleSidedMaxwell";
  const d = floatOf(op, options);
  const ps = resultShape(op, undefined, loc, scale);
  let s = shapeArg(op, shape);
  if (s.length === 0) s = ps;
  s = [...s, ...ps];
  const [mk, rk] = split(checkKey(op, key));
  const m = maxwell(mk, s, d);
  const sgn = rademacher(rk, s, d);
  return add(mul(mul(sgn, m), param(op, "scale", scale, d, s)), param(op, "loc", loc, d, s));
}

// ---- gamma and the samplers built on it --------------------------------------------------

/**
 * One gamma(alpha) sample from one key, JAX's `_gamma_one` step for step:
 * Marsaglia–Tsang's squeeze-and-reject loop on (x, v = (1 + c x)^3, u), with
 * alpha < 1 boosted to alpha + 1 and corrected by u^(1/alpha) (in log space
 * for loggamma). Run under vmap, one key and one alpha per element.
 */
function gammaOne(key: Value, alpha: Value, logSpace: boolean): Value {
  const d = alpha.dtype;
  const zero = c(0, d);
  const one = c(1, d);
  const boost = ge(alpha, one);
  const alphaOrig = alpha;
  const a = select(boost, alpha, add(alpha, one));
  const dd = sub(a, c(1 / 3, d));
  const cc = div(c(1 / 3, d), sqrt(dd));
  const [k0, subkey] = split(key);
  type State = [Value, Value, Value, Value];
  const cond = ([, X, V, U]: State) =>
    and(
      ge(U, sub(one, mul(c(0.0331, d), mul(X, X)))),
      ge(log(U), add(mul(X, c(0.5, d)), mul(dd, add(sub(one, V), log(V))))),
    );
  const body = ([k]: State): State => {
    const [k1, xKey, uKey] = split(k, 3);
    const [, x, v] = whileLoop(
      ([, , vv]: [Value, Value, Value]) => le(vv, zero),
      ([kk]: [Value, Value, Value]): [Value, Value, Value] => {
        const [kn, sk] = split(kk);
        const xx = normal(sk, [], d);
        return [kn, xx, add(one, mul(xx, cc))];
      },
      [xKey, zero, c(-1, d)] as [Value, Value, Value],
    );
    return [k1, mul(x, x), mul(mul(v, v), v), uniform(uKey, [], d)];
  };
  const [, , V] = whileLoop(cond, body, [k0, zero, one, c(2, d)] as State);
  if (logSpace) {
    const logSamples = neg(exponential(subkey, [], d));
    const logBoost = select(or(boost, eq(logSamples, zero)), zero, mul(logSamples, div(one, alphaOrig)));
    return add(add(log(dd), log(V)), logBoost);
  }
  const samples = sub(one, uniform(subkey, [], d));
  const b = select(boost, one, pow(samples, div(one, alphaOrig)));
  return mul(mul(dd, V), b);
}

/**
 * `a` itself, refusing to be differentiated: jvp through the rejection loops
 * would give the derivative of one accepted draw, not JAX's implicit
 * reparameterization gradient (which needs the incomplete gamma function), a
 * silent wrong number; grad already fails at the loops.
 */
const noDerivative = (op: string, a: Value): Value =>
  customJvp(
    (x: Value) => x,
    () => {
      throw new UnsupportedError(
        `${op}: no derivative with respect to a yet (JAX differentiates gamma samples implicitly through the incomplete gamma function, ` +
          `which jaxon does not have); wrap a in lax.stopGradient if it needs none`,
      );
    },
  )(a) as Value;

function gammaImpl(op: string, key: Key, a: ArrayLike, shape: ShapeLike | undefined, options: FloatOptions | DType | undefined, logSpace: boolean): Value {
  const d = floatOf(op, options);
  const k = checkKey(op, key);
  const s = resultShape(op, shape, a);
  let alpha = noDerivative(op, param(op, "a", a, d, s));
  if (alpha.ndim === 0 && s.length > 0) alpha = broadcastInDim(alpha, s, []);
  const n = sizeOf(s);
  if (n === 0) return alpha;
  // The rejection loops read their condition on the host, which WebGPU cannot do synchronously:
  // concrete keys and parameters there are sampled on the CPU (same samples) and put back.
  const device = asyncDevice(k) ?? asyncDevice(alpha);
  if (device !== undefined) return onCpuAndBack(device, [k, alpha], (kk, al) => gammaImpl(op, kk, al, s, d, logSpace));
  // one key per element, as JAX: split(key, size), in row-major order
  const keys = splitArray(k, [n]);
  const flat = reshape(alpha, [n]);
  const samples = vmap((kk: Value, al: Value) => gammaOne(kk, al, logSpace))(keys, flat) as Value;
  return reshape(samples, s);
}

/**
 * Gamma(a) samples with unit scale (JAX's `random.gamma`), by JAX's
 * Marsaglia–Tsang rejection sampler with one key per element. The shape
 * defaults to a's. No gradient with respect to `a` yet (JAX's implicit
 * reparameterization needs the incomplete gamma function).
 * @example
 * random.gamma(random.key(0), 2.5, [5]);
 */
export function gamma(key: Key, a: ArrayLike, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  return gammaImpl("random.gamma", key, a, shape, options, false);
}

/**
 * log of Gamma(a) samples (JAX's `random.loggamma`), computed in log space
 * so that small `a` does not underflow to 0.
 * @example
 * random.loggamma(random.key(0), 0.01, [5]);
 */
export function loggamma(key: Key, a: ArrayLike, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  return gammaImpl("random.loggamma", key, a, shape, options, true);
}

/**
 * Beta(a, b) samples (JAX's `random.beta`): Ga / (Ga + Gb) from two loggamma
 * draws, rescaled by their maximum so that neither underflows.
 * @example
 * random.beta(random.key(0), 2, 3, [5]);
 */
export function beta(key: Key, a: ArrayLike, b: ArrayLike, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  const op = "random.beta";
  const d = floatOf(op, options);
  const s = resultShape(op, shape, a, b);
  const [ka, kb] = split(checkKey(op, key));
  const la = loggamma(ka, param(op, "a", a, d, s), s, d);
  const lb = loggamma(kb, param(op, "b", b, d, s), s, d);
  const m = max(la, lb);
  const ga = exp(sub(la, m));
  const gb = exp(sub(lb, m));
  return div(ga, add(ga, gb));
}

/**
 * Dirichlet(alpha) samples (JAX's `random.dirichlet`): softmax of loggamma
 * draws along the last axis. The shape (without alpha's last axis) defaults
 * to alpha's batch shape.
 * @example
 * random.dirichlet(random.key(0), np.array([1, 2, 3]), [4]); // [4, 3], rows sum to 1
 */
export function dirichlet(key: Key, alpha: ArrayLike, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  const op = "random.dirichlet";
  const d = floatOf(op, options);
  const av = asArg(op, "alpha", alpha);
  if (av.ndim < 1) throw new ShapeError(`${op}: alpha needs at least one axis (the categories), got a 0-d array`);
  const batch = av.shape.slice(0, -1);
  const k = av.shape[av.ndim - 1];
  const s = shape === undefined ? batch : shapeArg(op, shape);
  if (!shapeEq(broadcastShapes(op, s, batch), s)) {
    throw new ShapeError(`${op}: alpha's batch shape ${fmtShape(batch)} does not broadcast to the requested shape ${fmtShape(s)}`);
  }
  const full = [...s, k];
  const lg = loggamma(key, fit(op, "alpha", convert(av, d), full), full, d);
  // softmax along the last axis, as jax.nn.softmax: exp(x - max) / sum
  const m = reduceMax(lg, [s.length]);
  const e = exp(sub(lg, broadcastInDim(m, full, s.map((_, i) => i))));
  const tot = reduceSum(e, [s.length]);
  return div(e, broadcastInDim(tot, full, s.map((_, i) => i)));
}

/**
 * Chi-squared samples with df degrees of freedom (JAX's
 * `random.chisquare`): `2 * exp(loggamma(df / 2))`.
 * @example
 * random.chisquare(random.key(0), 3, [5]);
 */
export function chisquare(key: Key, df: ArrayLike, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  const op = "random.chisquare";
  const d = floatOf(op, options);
  const s = resultShape(op, shape, df);
  const half = div(param(op, "df", df, d, s), c(2, d));
  return mul(exp(loggamma(key, half, s, d)), c(2, d));
}

/**
 * F-distribution samples (JAX's `random.f`): the ratio of two chi-squared
 * draws, each divided by its degrees of freedom.
 * @example
 * random.f(random.key(0), 5, 10, [5]);
 */
export function f(key: Key, dfnum: ArrayLike, dfden: ArrayLike, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  const op = "random.f";
  const d = floatOf(op, options);
  const s = resultShape(op, shape, dfnum, dfden);
  const num = param(op, "dfnum", dfnum, d, s);
  const den = param(op, "dfden", dfden, d, s);
  const [kd, kn] = split(checkKey(op, key));
  const cn = chisquare(kn, num, s, d);
  const cd = chisquare(kd, den, s, d);
  return div(div(cn, num), div(cd, den));
}

/**
 * Student's t samples with df degrees of freedom (JAX's `random.t`):
 * `normal * sqrt((df / 2) / gamma(df / 2))`.
 * @example
 * random.t(random.key(0), 4, [5]);
 */
export function t(key: Key, df: ArrayLike, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  const op = "random.t";
  const d = floatOf(op, options);
  const s = resultShape(op, shape, df);
  const [kn, kg] = split(checkKey(op, key));
  const n = normal(kn, s, d);
  const half = div(param(op, "df", df, d, s), c(2, d));
  const g = gamma(kg, half, s, d);
  return mul(n, sqrt(div(half, g)));
}

/**
 * Generalized normal samples with exponent p (JAX's
 * `random.generalized_normal`): a random sign times gamma(1/p)^(1/p); p = 2
 * is a normal with variance 1/2, p = 1 a Laplace.
 * @example
 * random.generalizedNormal(random.key(0), 1.5, [5]);
 */
export function generalizedNormal(key: Key, p: number, shape: ShapeLike = [], options?: FloatOptions | DType): Value {
  const op = "random.generalizedNormal";
  const d = floatOf(op, options);
  if (typeof p !== "number" || !(p > 0)) throw new DTypeError(`${op}: p must be a positive number, got ${describe(p)}`);
  const s = shapeArg(op, shape);
  const [k1, k2] = split(checkKey(op, key));
  const g = gamma(k1, 1 / p, s, d);
  const r = rademacher(k2, s, d);
  return mul(r, pow(g, c(1 / p, d)));
}

/**
 * Points uniform in the d-dimensional unit p-ball (JAX's `random.ball`):
 * generalized normals divided by the p-norm of themselves plus an
 * exponential. The result has shape `[...shape, d]`.
 * @example
 * random.ball(random.key(0), 3, 2, [10]); // 10 points in the unit 3-ball
 */
export function ball(key: Key, d: number, p = 2, shape: ShapeLike = [], options?: FloatOptions | DType): Value {
  const op = "random.ball";
  const dt = floatOf(op, options);
  sizeArg(op, "d", d);
  if (typeof p !== "number" || !(p > 0)) throw new DTypeError(`${op}: p must be a positive number, got ${describe(p)}`);
  const s = shapeArg(op, shape);
  const [k1, k2] = split(checkKey(op, key));
  const g = generalizedNormal(k1, p, [...s, d], dt);
  const e = exponential(k2, s, dt);
  const norm = pow(add(reduceSum(pow(abs(g), c(p, dt)), [s.length]), e), c(1 / p, dt));
  return div(g, broadcastInDim(norm, [...s, d], s.map((_, i) => i)));
}

// ---- linear algebra ----------------------------------------------------------------------

export interface MultivariateNormalOptions extends FloatOptions {
  /** The batch shape of the result (default: the broadcast batch shape of mean and cov). */
  shape?: ShapeLike;
}

/**
 * Multivariate normal samples with the given mean (…, n) and covariance
 * (…, n, n) (JAX's `random.multivariate_normal` with its default
 * `method="cholesky"`): `mean + L z` with L = cholesky(cov). The result
 * has shape `[...shape, n]`.
 * @example
 * random.multivariateNormal(random.key(0), np.zeros([2]), np.eye(2), { shape: [5] }); // [5, 2]
 */
export function multivariateNormal(key: Key, mean: ArrayLike, cov: ArrayLike, options: MultivariateNormalOptions | DType = {}): Value {
  const op = "random.multivariateNormal";
  const { shape, dtype = "float32" } = opts(op, options);
  const d = floatDType(op, dtype);
  const mv = convert(asArg(op, "mean", mean), d);
  const cv = convert(asArg(op, "cov", cov), d);
  if (mv.ndim < 1) throw new ShapeError(`${op}: mean needs at least one axis, got a 0-d array`);
  if (cv.ndim < 2) throw new ShapeError(`${op}: cov needs at least two axes, got shape ${fmtShape(cv.shape)}`);
  const n = mv.shape[mv.ndim - 1];
  if (cv.shape[cv.ndim - 1] !== n || cv.shape[cv.ndim - 2] !== n) {
    throw new ShapeError(`${op}: cov must have shape (..., ${n}, ${n}) to match mean's last axis ${n}, got ${fmtShape(cv.shape)}`);
  }
  const batch = broadcastShapes(op, mv.shape.slice(0, -1), cv.shape.slice(0, -2));
  let s = batch;
  if (shape !== undefined) {
    s = shapeArg(op, shape);
    if (!shapeEq(broadcastShapes(op, s, batch), s)) {
      throw new ShapeError(`${op}: the batch shape of mean and cov ${fmtShape(batch)} does not broadcast to the requested shape ${fmtShape(s)}`);
    }
  }
  const factor = cholesky(cv);
  const z = normal(key, [...s, n], d);
  return einsum("...ij,...j->...i", factor, z).add(mv) as Value;
}

export interface OrthogonalOptions extends FloatOptions {
  /** Columns (default n: a square matrix). */
  m?: number;
}

/**
 * Random matrices with orthonormal columns (or rows), uniform under the Haar
 * measure (JAX's `random.orthogonal`): the Q of the QR of a normal matrix,
 * with the signs of R's diagonal folded in. The result has shape
 * `[...shape, n, m]`.
 * @example
 * const q = random.orthogonal(random.key(0), 3); // q.T @ q == I
 */
export function orthogonal(key: Key, n: number, shape: ShapeLike = [], options: OrthogonalOptions | DType = {}): Value {
  const op = "random.orthogonal";
  const { m = n, dtype = "float32" } = opts(op, options);
  const d = floatDType(op, dtype);
  sizeArg(op, "n", n);
  sizeArg(op, "m", m);
  const s = shapeArg(op, shape);
  const z = normal(key, [...s, Math.max(n, m), Math.min(n, m)], d);
  const [q, r] = qr(z);
  const k = Math.min(n, m);
  // each column of q times the sign of r's diagonal entry
  const diag = diagonal(r, 0, -2, -1); // [...s, k]
  const x = mul(q, broadcastInDim(sign(diag), q.shape, [...s.map((_, i) => i), s.length + 1]));
  return n < m ? transpose(x, [...s.map((_, i) => i), s.length + 1, s.length]) : x;
}

/**
 * The same key, unconsumed (JAX's `random.clone`): inside `debugKeyReuse`
 * a fresh copy that may be used once more, elsewhere the key itself.
 * @example
 * const k = random.key(0);
 * const k2 = random.clone(k); // the same key: same samples
 */
export function clone(key: Key): Key {
  return freshKey(checkKey("random.clone", key));
}

/**
 * A key from its raw uint32 data (JAX's `random.wrap_key_data`): jaxon's
 * keys are raw data already, so this checks the shape (2,) and dtype uint32
 * and returns it.
 * @example
 * const k = random.wrapKeyData(random.keyData(random.key(0)));
 */
export function wrapKeyData(data: Value): Key {
  return freshKey(checkKey("random.wrapKeyData", data));
}

