/**
 * More elementwise functions and dtype queries, as JAX's, composed of lax
 * primitives: sinc, heaviside, signbit, copysign, ldexp/frexp, modf, divmod,
 * floatPower, logaddexp2, fabs, gcd/lcm, i0, nextafter, spacing, unwrap; the
 * dtype queries finfo, iinfo, isdtype, canCast, broadcastShapes, isscalar;
 * and the array-API names (acos, concat, cumulativeSum, matvec, …).
 */
import { ArrayMethods } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { isComplexDType, checkDType, intInfo, isFloat, isInt, isSigned, floatOf } from "../dtype.js";
import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import { broadcastShapes as broadcastShapeList } from "../shape.js";
import { describe, optionsArg, shapeArg } from "../static-args.js";
import { zeros } from "./creation.js";
import * as ew from "./elementwise.js";
import { matmul } from "./linalg.js";
import * as red from "./reductions.js";
import { diff } from "./searching.js";
import { concatenate } from "./shape.js";
import type { ArrayLike, Value } from "./util.js";
import { asValue, axisOf, binaryOperands, broadcastAll, cast, promote, promoteInexact, toInexact } from "./util.js";

const fill = (v: number, like: Value) => lax.broadcastInDim(lax.scalar(v, like.dtype), like.shape, []);

// ---- elementwise ----------------------------------------------------------------------

/**
 * The normalized sinc, `sin(πx)/(πx)` (1 at 0, with the right derivatives there), as `jnp.sinc`.
 * @example np.sinc(np.array([0, 0.5, 1])); // [1, 0.63662, 0]
 */
export function sinc(x: ArrayLike): Value {
  const v = toInexact("np.sinc", x);
  const zero = lax.eq(v, fill(0, v));
  const pix = lax.mul(v, Math.PI);
  const safe = lax.select(zero, fill(1, v), pix);
  // at 0 the Maclaurin series' first term: 1 + 0·πx, so that derivatives are those of sinc
  return lax.select(zero, lax.add(lax.mul(pix, 0), 1), lax.div(lax.sin(safe), safe));
}

/**
 * The Heaviside step: 0 for x1 < 0, `x2` at 0, 1 for x1 > 0 (NaN stays NaN), as `jnp.heaviside`.
 * @example np.heaviside(np.array([-1, 0, 2]), 0.5); // [0, 0.5, 1]
 */
export function heaviside(x1: ArrayLike, x2: ArrayLike): Value {
  const [a, b] = promote("np.heaviside", [x1, x2], floatOf);
  // jnp.heaviside broadcasts without the numpyRankPromotion check (measured: JAX 0.10.2)
  const [x, h] = broadcastAll("np.heaviside", [a, b], false);
  return lax.select(lax.lt(x, fill(0, x)), fill(0, x), lax.select(lax.gt(x, fill(0, x)), fill(1, x), lax.select(lax.ne(x, x), x, h)));
}

/**
 * Whether the sign bit is set: true for negatives and -0, as `jnp.signbit`
 * (a NaN's sign bit is not observable without a bitcast: NaNs give false).
 * @example np.signbit(np.array([-1, -0, 0, 2])); // [true, true, false, false]
 */
export function signbit(x: ArrayLike): Value {
  const v = asValue(x, "np.signbit");
  if (v.dtype === "bool") return zeros(v.shape, { dtype: "bool" });
  if (!isFloat(v.dtype)) return lax.lt(v, fill(0, v));
  // -0 is the only negative that compares equal to 0: 1/-0 is -inf
  const negZero = lax.and(lax.eq(v, fill(0, v)), lax.lt(lax.div(fill(1, v), v), fill(0, v)));
  return lax.or(lax.lt(v, fill(0, v)), negZero);
}

/**
 * `|x1|` with the sign of `x2`, as `jnp.copysign`.
 * @example np.copysign(np.array([1, -2]), -1); // [-1, -2]
 */
export function copysign(x1: ArrayLike, x2: ArrayLike): Value {
  const [a, b] = broadcastAll("np.copysign", promoteInexact("np.copysign", [x1, x2]));
  return lax.select(signbit(b), lax.neg(lax.abs(a)), lax.abs(a));
}

/** 2**e for integer-valued float e, split in two factors so that neither overflows or underflows early. */
function pow2(e: Value): Value {
  const half = lax.floor(lax.mul(e, 0.5));
  return lax.mul(lax.exp2(half), lax.exp2(lax.sub(e, half)));
}

/**
 * The mantissa (in [0.5, 1) by magnitude) and the int32 exponent: `x = m·2**e`, as `jnp.frexp`.
 * @example const [m, e] = np.frexp(np.array([8, 0.3])); // [0.5, 0.6], [4, -1]
 */
export function frexp(x: ArrayLike): [Value, Value] {
  const v = toInexact("np.frexp", x);
  const a = lax.abs(v);
  const special = lax.or(lax.or(lax.eq(v, fill(0, v)), lax.ne(v, v)), lax.eq(a, fill(Infinity, v)));
  const safe = lax.select(special, fill(1, v), a);
  let e = lax.add(lax.floor(lax.div(lax.log(safe), Math.LN2)), 1);
  // divided in two steps: 2**e alone overflows float32 for the largest numbers
  const half = lax.floor(lax.mul(e, 0.5));
  let m = lax.div(lax.div(v, lax.exp2(half)), lax.exp2(lax.sub(e, half)));
  // log2 may be off by one near powers of two: renormalize exactly (scaling by 2 is exact)
  for (let i = 0; i < 2; i++) {
    const big = lax.ge(lax.abs(m), fill(1, v));
    m = lax.select(big, lax.mul(m, 0.5), m);
    e = lax.select(big, lax.add(e, 1), e);
    const small = lax.lt(lax.abs(m), fill(0.5, v));
    m = lax.select(small, lax.mul(m, 2), m);
    e = lax.select(small, lax.sub(e, 1), e);
  }
  return [lax.select(special, v, m), cast(lax.select(special, fill(0, v), e), "int32")];
}

/**
 * `x1 · 2**x2` (x2 an integer array), as `jnp.ldexp`.
 * @example np.ldexp(np.array([0.5, 3]), np.array([4, -1], { dtype: "int32" })); // [8, 1.5]
 */
export function ldexp(x1: ArrayLike, x2: ArrayLike): Value {
  const op = "np.ldexp";
  const e0 = asValue(x2, op);
  if (isFloat(e0.dtype)) throw new DTypeError(`${op}: the exponent must be an integer array, got ${e0.dtype}`);
  const m0 = toInexact(op, x1);
  const [m, e] = broadcastAll(op, [m0, cast(e0, m0.dtype)]);
  const out = lax.mul(m, pow2(e));
  return lax.select(lax.or(lax.eq(lax.abs(m), fill(Infinity, m)), lax.eq(m, fill(0, m))), m, out);
}

/**
 * The fractional and integral parts, both with x's sign, as `jnp.modf`.
 * @example const [frac, whole] = np.modf(np.array([1.5, -2.25])); // [0.5, -0.25], [1, -2]
 */
export function modf(x: ArrayLike): [Value, Value] {
  const v = toInexact("np.modf", x);
  const whole = lax.select(lax.ge(v, fill(0, v)), lax.floor(v), lax.ceil(v));
  return [lax.sub(v, whole), whole];
}

/**
 * `[floorDivide(x1, x2), mod(x1, x2)]`, as `jnp.divmod`.
 * @example const [q, r] = np.divmod(np.array([7, -7]), 3); // [2, -3], [1, 2]
 */
export function divmod(x1: ArrayLike, x2: ArrayLike): [Value, Value] {
  const [a, b] = promote("np.divmod", [x1, x2]);
  if (!isInt(a.dtype)) {
    // as JAX's float divmod: the truncated remainder, moved to the divisor's sign, and the rounded quotient
    const [x, y] = broadcastAll("np.divmod", [a.weakType ? cast(a, a.dtype) : a, b]);
    let mod = lax.rem(x, y);
    let div = lax.div(lax.sub(x, mod), y);
    const fix = lax.and(lax.ne(mod, fill(0, mod)), lax.ne(lax.sign(y), lax.sign(mod)));
    mod = lax.select(fix, lax.add(mod, y), mod);
    div = lax.select(fix, lax.sub(div, 1), div);
    return [lax.round(div), mod];
  }
  return [ew.floorDivide(a, b), ew.mod(a, b)];
}

/**
 * `x ** y` in floating point, as `jnp.float_power`.
 * @example np.floatPower(np.array([2, 3], { dtype: "int32" }), 2); // [4, 9] (float32)
 */
export function floatPower(x: ArrayLike, y: ArrayLike): Value {
  const [a, b] = broadcastAll("np.floatPower", promoteInexact("np.floatPower", [x, y]));
  return lax.pow(a, b);
}

/**
 * `log2(2**x1 + 2**x2)` without overflow, as `jnp.logaddexp2`.
 * @example np.logaddexp2(np.array([1, 10]), 1); // [2, 10.0028]
 */
export function logaddexp2(x1: ArrayLike, x2: ArrayLike): Value {
  const [a, b] = promoteInexact("np.logaddexp2", [x1, x2]);
  return ew.divide(ew.logaddexp(ew.multiply(a, Math.LN2), ew.multiply(b, Math.LN2)), Math.LN2);
}

/**
 * The absolute value, always as a float, as `jnp.fabs`.
 * @example np.fabs(np.array([-2, 3], { dtype: "int32" })); // [2, 3] (float32)
 */
export function fabs(x: ArrayLike): Value {
  return lax.abs(toInexact("np.fabs", x));
}

/**
 * The greatest common divisor of integers (Euclid's algorithm), as `jnp.gcd`.
 * @example np.gcd(np.array([12, 18], { dtype: "int32" }), 8); // [4, 2]
 */
export function gcd(x1: ArrayLike, x2: ArrayLike): Value {
  const op = "np.gcd";
  const [a, b] = broadcastAll(op, promote(op, [x1, x2]));
  if (!isInt(a.dtype)) throw new DTypeError(`${op}: the arguments must be integers, got ${a.dtype}`);
  // Euclid's algorithm needs at most 46 steps below 2**32 (consecutive Fibonacci numbers are the worst case),
  // and a step at y = 0 changes nothing: a static trip count runs on every device, as JAX's while loop would
  const [g] = lax.foriLoop(
    0,
    48,
    (_i: Value, [x, y]: Value[]) => {
      const nz = lax.ne(y, fill(0, y));
      const p = lax.select(nz, y, x);
      const q = lax.select(nz, lax.rem(x, lax.select(nz, y, fill(1, y))), fill(0, y));
      const swap = lax.lt(p, q);
      return [lax.select(swap, q, p), lax.select(swap, p, q)];
    },
    [lax.abs(a), lax.abs(b)],
  ) as Value[];
  return g;
}

/**
 * The least common multiple of integers, as `jnp.lcm`.
 * @example np.lcm(np.array([4, 6], { dtype: "int32" }), 6); // [12, 6]
 */
export function lcm(x1: ArrayLike, x2: ArrayLike): Value {
  const op = "np.lcm";
  const [a0, b0] = broadcastAll(op, promote(op, [x1, x2]));
  if (!isInt(a0.dtype)) throw new DTypeError(`${op}: the arguments must be integers, got ${a0.dtype}`);
  const [a, b] = [lax.abs(a0), lax.abs(b0)];
  const d = gcd(a, b);
  const zero = lax.eq(d, fill(0, d));
  return lax.select(zero, fill(0, d), lax.mul(a, ew.floorDivide(b, lax.select(zero, fill(1, d), d))));
}

/**
 * The modified Bessel function of the first kind, order 0, as `jnp.i0`
 * (Abramowitz & Stegun 9.8.1–9.8.2 polynomials: relative error below 2e-7).
 * @example np.i0(np.array([0, 1, 5])); // [1, 1.26607, 27.2399]
 */
export function i0(x: ArrayLike): Value {
  const v = toInexact("np.i0", x);
  const a = lax.abs(v);
  const small = lax.le(a, fill(3.75, v));
  const poly = (t: Value, cs: number[]) => cs.reduceRight<Value>((acc, c) => lax.add(lax.mul(acc, t), c), fill(0, t));
  const as = lax.select(small, a, fill(3.75, v));
  const t2 = lax.square(lax.div(as, 3.75));
  const near = poly(t2, [1, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813]);
  const al = lax.select(small, fill(3.75, v), a);
  const t = lax.div(fill(3.75, v), al);
  const far = lax.mul(lax.div(lax.exp(al), lax.sqrt(al)), poly(t, [0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706, 0.02635537, -0.01647633, 0.00392377]));
  return lax.select(small, near, far);
}

/**
 * The next representable float after `x1` towards `x2`, as `jnp.nextafter`.
 * @example np.nextafter(np.array([1]), 2); // [1.0000001]
 */
export function nextafter(x1: ArrayLike, x2: ArrayLike): Value {
  const [a, b] = broadcastAll("np.nextafter", promoteInexact("np.nextafter", [x1, x2]));
  return lax.nextafter(a, b);
}

/**
 * The distance to the next representable float away from zero, as `jnp.spacing`.
 * @example np.spacing(np.array([1])); // [1.1920929e-7]
 */
export function spacing(x: ArrayLike): Value {
  const v = toInexact("np.spacing", x);
  const inf = copysign(fill(Infinity, v), v);
  const result = lax.sub(lax.nextafter(v, inf), v);
  const tiny = v.dtype === "float64" ? 5e-324 : v.dtype === "float16" ? 2 ** -24 : 2 ** -149;
  return lax.select(lax.eq(result, fill(0, v)), copysign(fill(tiny, v), v), result);
}

/**
 * Phase angles with jumps larger than `discont` (default period/2) replaced
 * by their `period` complements along `axis`, as `jnp.unwrap`.
 * @example np.unwrap(np.array([0, 3, 6.5])); // [0, 3, 0.2168]
 */
export function unwrap(p: ArrayLike, options: { discont?: number | null; axis?: number; period?: number } = {}): Value {
  const op = "np.unwrap";
  options = optionsArg(op, options);
  const period = options.period ?? 2 * Math.PI;
  let [v, per] = promote(op, [p, period]);
  if (v.weakType) v = cast(v, v.dtype);
  const ax = axisOf(op, options.axis ?? -1, v.ndim);
  if (v.shape[ax] === 0) return v;
  const interval = isInt(v.dtype) ? ew.floorDivide(per, 2) : ew.divide(per, 2);
  const discont = options.discont ?? ew.divide(per, 2);
  const dd = diff(v, 1, ax);
  let ddmod = ew.subtract(ew.mod(ew.add(dd, interval), per), interval);
  ddmod = ew.where(ew.logicalAnd(ew.equal(ddmod, ew.negative(interval)), ew.greater(dd, 0)), interval, ddmod);
  const correct = ew.where(ew.less(ew.abs(dd), discont), 0, ew.subtract(ddmod, dd));
  const n = v.shape[ax];
  const cut = (lo: number, hi: number) => lax.slice(v, v.shape.map(() => 0).map((_, k) => (k === ax ? lo : 0)), v.shape.map((d, k) => (k === ax ? hi : d)));
  return concatenate([cut(0, 1), ew.add(cut(1, n), red.cumsum(cast(correct, v.dtype), ax))], ax);
}

// ---- dtype queries --------------------------------------------------------------------

/**
 * Whether `x` is a scalar: a JS number or boolean, or a 0-d array, as `jnp.isscalar`.
 * @example np.isscalar(3); // true
 */
export function isscalar(x: unknown): boolean {
  if (typeof x === "number" || typeof x === "boolean") return true;
  return x instanceof ArrayMethods && x.ndim === 0;
}

/** Machine limits of a float dtype, as `jnp.finfo`. */
export interface FInfo {
  dtype: DType;
  bits: number;
  eps: number;
  epsneg: number;
  max: number;
  min: number;
  tiny: number;
  smallestNormal: number;
  smallestSubnormal: number;
  resolution: number;
  nmant: number;
  nexp: number;
  precision: number;
}

/**
 * Machine limits of a float dtype (or an array's), as `jnp.finfo`.
 * @example np.finfo("float32").eps; // 1.1920929e-7
 */
export function finfo(dtype: DType | ArrayLike): FInfo {
  const d = typeof dtype === "string" ? checkDType(dtype, "np.finfo") : asValue(dtype, "np.finfo").dtype;
  if (!isFloat(d)) throw new DTypeError(`np.finfo: needs a float dtype, got ${d}; use np.iinfo for integers`);
  const [bits, nmant, nexp, precision] = d === "float64" ? [64, 52, 11, 15] : d === "float32" ? [32, 23, 8, 6] : [16, 10, 5, 3];
  const emax = 2 ** (nexp - 1);
  const eps = 2 ** -nmant;
  const max = (2 - eps) * 2 ** (emax - 1);
  const tiny = 2 ** (2 - emax);
  return { dtype: d, bits, eps, epsneg: eps / 2, max, min: -max, tiny, smallestNormal: tiny, smallestSubnormal: tiny * eps, resolution: 10 ** -precision, nmant, nexp, precision };
}

/**
 * Limits of an integer dtype (or an array's), as `jnp.iinfo`.
 * @example np.iinfo("int32").max; // 2147483647
 * np.iinfo("uint8").max; // 255
 */
export function iinfo(dtype: DType | ArrayLike): { dtype: DType; bits: number; min: number; max: number } {
  const d = typeof dtype === "string" ? checkDType(dtype, "np.iinfo") : asValue(dtype, "np.iinfo").dtype;
  const info = intInfo(d);
  if (info) return { dtype: d, bits: info.bits, min: info.min, max: info.max };
  throw new DTypeError(`np.iinfo: needs an integer dtype, got ${d}; use np.finfo for floats`);
}

/** The kinds of the array API's `isdtype`. */
export type DTypeKind = "bool" | "signed integer" | "unsigned integer" | "integral" | "real floating" | "complex floating" | "numeric";

/**
 * Whether a dtype is of a kind (or one of several kinds or dtypes), as `jnp.isdtype`.
 * @example np.isdtype("int32", "integral"); // true
 */
export function isdtype(dtype: DType, kind: DTypeKind | DType | readonly (DTypeKind | DType)[]): boolean {
  const d = checkDType(dtype, "np.isdtype");
  if (typeof kind !== "string" && !globalThis.Array.isArray(kind)) {
    throw new DTypeError(`np.isdtype: kind must be a dtype, a kind name ("bool", "integral", "real floating", "numeric"…) or a list of them, got ${describe(kind)}`);
  }
  const kinds = typeof kind === "string" ? [kind] : [...kind];
  return kinds.some((k) => {
    switch (k) {
      case "bool":
        return d === "bool";
      case "signed integer":
        return isInt(d) && isSigned(d);
      case "unsigned integer":
        return isInt(d) && !isSigned(d);
      case "integral":
        return isInt(d);
      case "real floating":
        return isFloat(d);
      case "complex floating":
        return d === "complex64" || d === "complex128";
      case "numeric":
        return d !== "bool";
      default:
        return checkDType(k, "np.isdtype") === d;
    }
  });
}

const SAFE: Record<DType, readonly DType[]> = {
  bool: ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "float16", "float32", "float64", "complex64", "complex128"],
  int8: ["int8", "int16", "int32", "float16", "float32", "float64", "complex64", "complex128"],
  uint8: ["uint8", "int16", "uint16", "int32", "uint32", "float16", "float32", "float64", "complex64", "complex128"],
  int16: ["int16", "int32", "float32", "float64", "complex64", "complex128"],
  uint16: ["uint16", "int32", "uint32", "float32", "float64", "complex64", "complex128"],
  int32: ["int32", "float64", "complex128"],
  uint32: ["uint32", "float64", "complex128"],
  float16: ["float16", "float32", "float64", "complex64", "complex128"],
  float32: ["float32", "float64", "complex64", "complex128"],
  float64: ["float64", "complex128"],
  complex64: ["complex64", "complex128"],
  complex128: ["complex128"],
};

/**
 * Whether values of dtype `from` convert to `to` without loss ("safe", the
 * default), within a kind ("same_kind"), or at all ("unsafe"), as NumPy's can_cast.
 * @example np.canCast("int32", "float64"); // true
 */
export function canCast(from: DType | ArrayLike, to: DType, casting: "no" | "equiv" | "safe" | "same_kind" | "unsafe" = "safe"): boolean {
  const f = typeof from === "string" ? checkDType(from, "np.canCast") : asValue(from, "np.canCast").dtype;
  const t = checkDType(to, "np.canCast");
  switch (casting) {
    case "no":
    case "equiv":
      return f === t;
    case "safe":
      return SAFE[f].includes(t);
    case "same_kind":
      return SAFE[f].includes(t) || (isFloat(f) && isFloat(t)) || (isInt(f) && isInt(t)) || (isComplexDType(t) && (isFloat(f) || isComplexDType(f)));
    case "unsafe":
      return true;
  }
  throw new ArgumentError(`np.canCast: casting must be "no", "equiv", "safe", "same_kind" or "unsafe", got ${JSON.stringify(casting)}`);
}

/**
 * The shape that NumPy broadcasting gives the shapes, as `jnp.broadcast_shapes`.
 * @example np.broadcastShapes([2, 1], [3]); // [2, 3]
 */
export function broadcastShapes(...shapes: (number | readonly number[])[]): number[] {
  return broadcastShapeList("np.broadcastShapes", ...shapes.map((s) => shapeArg("np.broadcastShapes", s)));
}

// ---- array-API names ------------------------------------------------------------------

/** Arc cosine (array-API name of arccos). @example np.acos(np.array([1])); // [0] */
export const acos = ew.arccos;
/** Arc sine (array-API name of arcsin). @example np.asin(np.array([0])); // [0] */
export const asin = ew.arcsin;
/** Arc tangent (array-API name of arctan). @example np.atan(np.array([0])); // [0] */
export const atan = ew.arctan;
/** Two-argument arc tangent (array-API name of arctan2). @example np.atan2(np.array([1]), np.array([1])); // [0.785398] */
export const atan2 = ew.arctan2;
/** Inverse hyperbolic cosine (array-API name). @example np.acosh(np.array([1])); // [0] */
export const acosh = ew.arccosh;
/** Inverse hyperbolic sine (array-API name). @example np.asinh(np.array([0])); // [0] */
export const asinh = ew.arcsinh;
/** Inverse hyperbolic tangent (array-API name). @example np.atanh(np.array([0])); // [0] */
export const atanh = ew.arctanh;
/** Bitwise not (array-API name of invert). @example np.bitwiseInvert(np.array([0], { dtype: "int32" })); // [-1] */
export const bitwiseInvert = ew.bitwiseNot;

/**
 * Joins arrays along an existing axis (array-API name of concatenate).
 * @example np.concat([np.array([1]), np.array([2, 3])]); // [1, 2, 3]
 */
export function concat(arrays: readonly ArrayLike[], axis: number | null = 0): Value {
  return concatenate(arrays, axis);
}

function cumulative(op: string, fn: (x: Value, axis: number) => Value, identity: number) {
  return (x: ArrayLike, options: { axis?: number | null; dtype?: DType; includeInitial?: boolean } = {}): Value => {
    options = optionsArg(op, options);
    let v = asValue(x, op);
    if (v.ndim === 0) throw new ShapeError(`${op}: needs at least one axis, got a 0-d array`);
    if (options.axis === undefined || options.axis === null) {
      if (v.ndim > 1) throw new ShapeError(`${op}: axis is required for arrays of ${v.ndim} axes`);
    }
    const ax = axisOf(op, options.axis ?? 0, v.ndim);
    v = options.dtype ? cast(v, checkDType(options.dtype, op)) : v.dtype === "bool" ? cast(v, "int32") : v.weakType ? cast(v, v.dtype) : v;
    let out = fn(v, ax);
    if (options.includeInitial) {
      const first = lax.broadcastInDim(lax.scalar(identity, out.dtype), out.shape.map((d, i) => (i === ax ? 1 : d)), []);
      out = lax.concatenate([first, out], ax);
    }
    return out;
  };
}

/**
 * Running sum along `axis` (required beyond 1-d), optionally starting with 0, as the array API's `cumulative_sum`.
 * @example np.cumulativeSum(np.array([1, 2, 3]), { includeInitial: true }); // [0, 1, 3, 6]
 */
export const cumulativeSum = cumulative("np.cumulativeSum", (v, a) => lax.cumsum(v, a), 0);
/**
 * Running product along `axis`, optionally starting with 1, as the array API's `cumulative_prod`.
 * @example np.cumulativeProd(np.array([1, 2, 3])); // [1, 2, 6]
 */
export const cumulativeProd = cumulative("np.cumulativeProd", (v, a) => lax.cumprod(v, a), 1);

/**
 * Matrix-vector products over the last axes (batch axes broadcast), as `jnp.matvec`.
 * @example np.matvec(np.array([[1, 2], [3, 4]]), np.array([1, 1])); // [3, 7]
 */
export function matvec(x1: ArrayLike, x2: ArrayLike): Value {
  const a = asValue(x1, "np.matvec");
  const b = asValue(x2, "np.matvec");
  if (a.ndim < 2 || b.ndim < 1) throw new ShapeError(`np.matvec: needs a matrix and a vector, got shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}]`);
  const r = matmul(a, lax.reshape(b, [...b.shape, 1]));
  return lax.reshape(r, r.shape.slice(0, -1));
}

/**
 * Vector-matrix products over the last axes (batch axes broadcast), as `jnp.vecmat`.
 * @example np.vecmat(np.array([1, 1]), np.array([[1, 2], [3, 4]])); // [4, 6]
 */
export function vecmat(x1: ArrayLike, x2: ArrayLike): Value {
  const a = asValue(x1, "np.vecmat");
  const b = asValue(x2, "np.vecmat");
  if (a.ndim < 1 || b.ndim < 2) throw new ShapeError(`np.vecmat: needs a vector and a matrix, got shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}]`);
  const r = matmul(lax.reshape(a, [...a.shape.slice(0, -1), 1, a.shape[a.ndim - 1]]), b);
  return lax.reshape(r, [...r.shape.slice(0, -2), r.shape[r.ndim - 1]]);
}
