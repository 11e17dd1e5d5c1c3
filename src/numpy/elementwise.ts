/**
 * Elementwise functions (NumPy's ufuncs): NumPy broadcasting and JAX type
 * promotion (JS numbers are weakly typed) on top of lax's equal-shape,
 * equal-dtype primitives. Float-only functions promote ints and bools to
 * float32, as `jnp.sin(int32)` does.
 */
import { describe, optionsArg } from "../static-args.js";
import { floatOf, intInfo, isComplexDType, isFloat, isInt } from "../dtype.js";
import { DTypeError } from "../errors.js";
import * as lax from "../lax/index.js";
import { complexOrderCompare } from "../lax/complex-order.js";
import { fullLike } from "./creation.js";
import { customJvp } from "../transforms/custom.js";
import type { ArrayLike, DType, Value } from "./util.js";
import { asValue, binaryOperands, intArg, broadcastForLax, cast, constant, promote, toInexact } from "./util.js";

const noBool = (op: string) => (d: DType) => {
  if (d === "bool") {
    throw new DTypeError(`${op}: not defined for bool operands; convert first with x.astype("int32") (or use the np.logical* functions)`);
  }
  return d;
};
const boolToInt = (d: DType): DType => (d === "bool" ? "int32" : d);

// ---- arithmetic ---------------------------------------------------------------------

/**
 * `x + y` with broadcasting (for bools: logical or).
 * @example np.add(np.array([1, 2]), 10); // [11, 12]
 */
export function add(x: ArrayLike, y: ArrayLike): Value {
  const [a, b] = binaryOperands("np.add", x, y);
  return a.dtype === "bool" ? lax.or(a, b) : lax.add(a, b);
}

/**
 * `x - y` with broadcasting.
 * @example np.subtract(np.array([5, 7]), np.array([1, 2])); // [4, 5]
 */
export function subtract(x: ArrayLike, y: ArrayLike): Value {
  const [a, b] = binaryOperands("np.subtract", x, y, noBool("np.subtract"));
  return lax.sub(a, b);
}

/**
 * `x * y` with broadcasting (for bools: logical and).
 * @example np.multiply(np.array([[1, 2, 3], [4, 5, 6]]), np.array([1, 2, 3])); // [[1, 4, 9], [4, 10, 18]]
 */
export function multiply(x: ArrayLike, y: ArrayLike): Value {
  const [a, b] = binaryOperands("np.multiply", x, y);
  return a.dtype === "bool" ? lax.and(a, b) : lax.mul(a, b);
}

/**
 * True division: integer operands give float32.
 * @example np.divide(np.array([1, 2], { dtype: "int32" }), 4); // float32 [0.25, 0.5]
 */
export function divide(x: ArrayLike, y: ArrayLike): Value {
  const [a, b] = binaryOperands("np.divide", x, y, floatOf);
  return lax.div(a, b);
}
/** Alias of {@link divide}. @example np.trueDivide(1, 2); // 0.5 */
export const trueDivide = divide;

/** Float floor division and modulo together, as JAX computes them (exact for representable quotients). */
function floatDivmod(a: Value, b: Value): [Value, Value] {
  let mod = lax.rem(a, b);
  // as JAX (CPython's float_divmod): a zero divisor divides x itself, so 1 // 0 = inf, not NaN
  let div = lax.div(lax.select(lax.eq(b, 0), a, lax.sub(a, mod)), b);
  const fix = lax.and(lax.ne(mod, 0), lax.ne(lax.sign(b), lax.sign(mod)));
  mod = lax.select(fix, lax.add(mod, b), mod);
  div = lax.select(fix, lax.sub(div, 1), div);
  return [lax.round(div), mod];
}

/**
 * NumPy floor division `x // y`: rounds the quotient towards -∞ (`-7 // 2 = -4`).
 * @example np.floorDivide(np.array([-7, 7], { dtype: "int32" }), 2); // [-4, 3]
 */
export function floorDivide(x: ArrayLike, y: ArrayLike): Value {
  const [a, b] = binaryOperands("np.floorDivide", x, y, boolToInt);
  if (isFloat(a.dtype)) return floatDivmod(a, b)[0];
  // a zero divisor gets XLA's integer semantics spelled out (x / 0 = -1, i.e. all ones, and
  // x % 0 = x), so both devices give JAX's answer (1 // 0 = -2, 0 // 0 = -1) whatever their own
  // division by zero does
  const zero = lax.eq(b, 0);
  const safe = lax.select(zero, constant(1, b.dtype, b.weakType), b);
  const unsigned = intInfo(a.dtype)?.signed === false;
  const q = lax.select(zero, constant(unsigned ? intInfo(a.dtype)!.max : -1, a.dtype, a.weakType), lax.div(a, safe));
  if (unsigned) return q;
  const r = lax.select(zero, a, lax.rem(a, safe));
  const fix = lax.and(lax.ne(lax.sign(a), lax.sign(b)), lax.ne(r, 0));
  return lax.select(fix, lax.sub(q, 1), q);
}

/**
 * NumPy remainder `x % y`: the result has the sign of the divisor (`-7 % 2 = 1`).
 * @example np.mod(np.array([-7, 7]), 2); // [1, 1]
 */
export function mod(x: ArrayLike, y: ArrayLike): Value {
  let [a, b] = binaryOperands("np.mod", x, y, boolToInt);
  if (isInt(b.dtype)) b = lax.select(lax.eq(b, 0), 1, b); // avoid an integer division by zero
  const r = lax.rem(a, b);
  const zero = constant(0, r.dtype, true);
  const fix = lax.and(lax.ne(lax.lt(r, zero), lax.lt(b, zero)), lax.ne(r, zero));
  return lax.select(fix, lax.add(r, b), r);
}
/** Alias of {@link mod}. @example np.remainder(-7, 2); // 1 */
export const remainder = mod;

/**
 * C-style remainder: the result has the sign of the dividend (`fmod(-7, 2) = -1`).
 * @example np.fmod(np.array([-7, 7]), 2); // [-1, 1]
 */
export function fmod(x: ArrayLike, y: ArrayLike): Value {
  const [a, b] = binaryOperands("np.fmod", x, y, boolToInt);
  if (isFloat(a.dtype)) return lax.rem(a, b);
  // integers: JAX gives 0 for a zero divisor (the devices' own x % 0 differ), so the divisor is made safe
  const zero = lax.eq(b, 0);
  return lax.select(zero, constant(0, a.dtype, a.weakType), lax.rem(a, lax.select(zero, constant(1, b.dtype, b.weakType), b)));
}

/**
 * `x ** y`. An integer JS exponent uses repeated multiplication (exact, and
 * differentiable at x = 0); otherwise lax.pow in the promoted dtype.
 * @example np.power(np.array([1, 2, 3]), 2); // [1, 4, 9]
 */
export function power(x: ArrayLike, y: ArrayLike): Value {
  const op = "np.power";
  if (typeof y === "number" && Number.isInteger(y) && Math.abs(y) <= 2 ** 31) {
    const [a] = promote(op, [x, y], boolToInt);
    if (y < 0 && !isFloat(a.dtype)) {
      throw new DTypeError(`${op}: integers cannot be raised to negative integer powers (got exponent ${y}); convert with x.astype("float32") first`);
    }
    return lax.integerPow(a, y);
  }
  const [a, b] = binaryOperands(op, x, y, boolToInt);
  if (isFloat(a.dtype)) {
    // C's pow (and so JAX): 1 ** y = 1 even for y = NaN, and (-1) ** ±inf = 1; JS's Math.pow and
    // exp2(y·log2 x) give NaN there
    const one = lax.or(lax.and(lax.eq(a, 1), lax.ne(b, b)), lax.and(lax.eq(lax.abs(a), 1), lax.eq(lax.abs(b), Infinity)));
    return lax.select(one, constant(1, a.dtype, a.weakType), lax.pow(a, b));
  }
  if (a.dtype === "int32") {
    // a negative integer exponent: x ** -n is 1/x^n truncated, so 0 unless |x| = 1 (JAX: 2 ** -1 = 0,
    // 1 ** -1 = 1, (-1) ** -1 = -1); the device's integer pow only knows n >= 0
    const neg = lax.lt(b, 0);
    const odd = lax.ne(lax.rem(b, 2), 0);
    const inv = lax.select(
      lax.eq(a, 1), constant(1, a.dtype), lax.select(lax.eq(a, -1), lax.select(odd, constant(-1, a.dtype), constant(1, a.dtype)), constant(0, a.dtype)),
    );
    return lax.select(neg, cast(inv, a.dtype, a.weakType), lax.pow(a, lax.select(neg, constant(0, b.dtype, b.weakType), b)));
  }
  return lax.pow(a, b);
}
/** Alias of {@link power}. @example np.pow(2, 0.5); */
export const pow = power;

/**
 * Elementwise maximum; NaN propagates.
 * @example np.maximum(np.array([1, 5]), 3); // [3, 5]
 */
export function maximum(x: ArrayLike, y: ArrayLike): Value {
  const [a, b] = binaryOperands("np.maximum", x, y);
  return lax.max(a, b);
}

/**
 * Elementwise minimum; NaN propagates.
 * @example np.minimum(np.array([1, 5]), 3); // [1, 3]
 */
export function minimum(x: ArrayLike, y: ArrayLike): Value {
  const [a, b] = binaryOperands("np.minimum", x, y);
  return lax.min(a, b);
}

/**
 * Elementwise maximum that ignores NaN (NaN only where both are NaN).
 * @example np.fmax(np.array([NaN, 1]), 0); // [0, 1]
 */
export function fmax(x: ArrayLike, y: ArrayLike): Value {
  const [a, b] = binaryOperands("np.fmax", x, y);
  if (!isFloat(a.dtype)) return lax.max(a, b);
  // JAX's where(x > y | isnan(y), x, y): at a tie the whole gradient goes to y (not split as in maximum)
  return lax.select(lax.or(lax.gt(a, b), lax.ne(b, b)), a, b);
}

/**
 * Elementwise minimum that ignores NaN.
 * @example np.fmin(np.array([NaN, 1]), 0); // [0, 0]
 */
export function fmin(x: ArrayLike, y: ArrayLike): Value {
  const [a, b] = binaryOperands("np.fmin", x, y);
  if (!isFloat(a.dtype)) return lax.min(a, b);
  // JAX's where(x < y | isnan(y), x, y): at a tie the whole gradient goes to y
  return lax.select(lax.or(lax.lt(a, b), lax.ne(b, b)), a, b);
}

/**
 * The angle of the point (x2, x1), in (-π, π].
 * @example np.arctan2(1, -1); // 3π/4
 */
export function arctan2(x1: ArrayLike, x2: ArrayLike): Value {
  const [a, b] = binaryOperands("np.arctan2", x1, x2, floatOf);
  return lax.atan2(a, b);
}

/**
 * `sqrt(x² + y²)` without intermediate overflow.
 * @example np.hypot(3, 4); // 5
 */
export function hypot(x: ArrayLike, y: ArrayLike): Value {
  let [a, b] = binaryOperands("np.hypot", x, y, floatOf);
  a = lax.abs(a);
  b = lax.abs(b);
  const inf = lax.or(lax.eq(a, Infinity), lax.eq(b, Infinity));
  const hi = lax.max(a, b);
  const lo = lax.min(a, b);
  const safe = lax.select(lax.eq(hi, 0), 1, hi);
  const r = lax.select(lax.eq(hi, 0), hi, lax.mul(hi, lax.sqrt(lax.add(lax.square(lax.div(lo, safe)), 1))));
  return lax.select(inf, Infinity, r);
}

/**
 * `log(exp(x) + exp(y))`, computed stably.
 * @example np.logaddexp(0, 0); // log 2
 */
export function logaddexp(x: ArrayLike, y: ArrayLike): Value {
  const [a, b] = binaryOperands("np.logaddexp", x, y, floatOf);
  return logaddexpWithJvp(a, b);
}
function logaddexpValue(a: Value, b: Value): Value {
  const amax = lax.max(a, b);
  const delta = lax.sub(a, b);
  return lax.select(lax.ne(delta, delta), lax.add(a, b), lax.add(amax, lax.log1p(lax.exp(lax.neg(lax.abs(delta))))));
}
// as JAX: the derivative is the softmax weights σ(a − b), σ(b − a), exact at ties (0.5 each),
// where differentiating through max and |·| would cancel to 0. JAX replaces +inf by 0 in a, b and
// the result first, so logaddexp(inf, inf) has the derivatives (1, 1) rather than exp(inf - inf) = NaN
const noPosInf = (v: Value) => lax.select(lax.eq(v, Infinity), 0, v);
const logaddexpWithJvp = customJvp(logaddexpValue, ([a, b]: [Value, Value], [ta, tb]: [Value, Value]) => {
  const out = logaddexpValue(a, b);
  const wa = lax.exp(lax.sub(noPosInf(a), noPosInf(out)));
  const wb = lax.exp(lax.sub(noPosInf(b), noPosInf(out)));
  return [out, lax.add(lax.mul(ta, wa), lax.mul(tb, wb))];
});

// ---- unary ----------------------------------------------------------------------------

/**
 * `-x`.
 * @example np.negative(np.array([1, -2])); // [-1, 2]
 */
export function negative(x: ArrayLike): Value {
  const v = asValue(x, "np.negative");
  noBool("np.negative")(v.dtype);
  return lax.neg(v);
}

/**
 * `+x` (the identity).
 * @example np.positive(np.array([1, -2])); // [1, -2]
 */
export function positive(x: ArrayLike): Value {
  return asValue(x, "np.positive");
}

/**
 * Absolute value.
 * @example np.abs(np.array([-1.5, 2])); // [1.5, 2]
 */
export function abs(x: ArrayLike): Value {
  const v = asValue(x, "np.abs");
  return v.dtype === "bool" || intInfo(v.dtype)?.signed === false ? v : lax.abs(v);
}
/** Alias of {@link abs}. @example np.absolute(-3); // 3 */
export const absolute = abs;

/**
 * -1, 0 or 1 by the sign of x (NaN stays NaN).
 * @example np.sign(np.array([-3, 0, 2])); // [-1, 0, 1]
 */
export function sign(x: ArrayLike): Value {
  const v = asValue(x, "np.sign");
  return v.dtype === "bool" ? v : lax.sign(v);
}

/**
 * `x * x`.
 * @example np.square(np.array([1, 2, 3])); // [1, 4, 9]
 */
export function square(x: ArrayLike): Value {
  const v = asValue(x, "np.square");
  // as JAX: a bool squares as int32 (True * True = 1), not as a logical and
  return v.dtype === "bool" ? lax.square(cast(v, "int32")) : lax.square(v);
}

/**
 * `1 / x` (ints become float32).
 * @example np.reciprocal(np.array([2, 4])); // [0.5, 0.25]
 */
export function reciprocal(x: ArrayLike): Value {
  return lax.reciprocal(toInexact("np.reciprocal", x));
}

function floatUnary(name: string, fn: (x: Value) => Value): (x: ArrayLike) => Value {
  return (x: ArrayLike) => fn(toInexact(`np.${name}`, x));
}

/** e^x. @example np.exp(np.array([0, 1])); // [1, 2.7182817] */
export const exp = floatUnary("exp", lax.exp);
/** 2^x. @example np.exp2(np.array([0, 3])); // [1, 8] */
export const exp2 = floatUnary("exp2", lax.exp2);
/** e^x - 1, accurate near 0. @example np.expm1(1e-8); */
export const expm1 = floatUnary("expm1", lax.expm1);
/** Natural logarithm. @example np.log(np.array([1, Math.E])); // [0, 1] */
export const log = floatUnary("log", lax.log);
/** Base-2 logarithm. @example np.log2(8); // 3 */
export const log2 = floatUnary("log2", (x) => lax.div(lax.log(x), Math.LN2));
/** Base-10 logarithm. @example np.log10(1000); // 3 */
export const log10 = floatUnary("log10", (x) => lax.div(lax.log(x), Math.LN10));
/** log(1 + x), accurate near 0. @example np.log1p(1e-8); */
export const log1p = floatUnary("log1p", lax.log1p);
/** Square root. @example np.sqrt(np.array([4, 9])); // [2, 3] */
export const sqrt = floatUnary("sqrt", lax.sqrt);
/** Cube root. @example np.cbrt(-8); // -2 */
export const cbrt = floatUnary("cbrt", lax.cbrt);
/** Sine (radians). @example np.sin(np.array([0, Math.PI / 2])); // [0, 1] */
export const sin = floatUnary("sin", lax.sin);
/** Cosine. @example np.cos(0); // 1 */
export const cos = floatUnary("cos", lax.cos);
/** Tangent. @example np.tan(0); // 0 */
export const tan = floatUnary("tan", lax.tan);
/** Inverse sine. @example np.arcsin(1); // π/2 */
export const arcsin = floatUnary("arcsin", lax.asin);
/** Inverse cosine. @example np.arccos(1); // 0 */
export const arccos = floatUnary("arccos", lax.acos);
/** Inverse tangent. @example np.arctan(1); // π/4 */
export const arctan = floatUnary("arctan", lax.atan);
/** Hyperbolic sine. @example np.sinh(0); // 0 */
export const sinh = floatUnary("sinh", lax.sinh);
/** Hyperbolic cosine. @example np.cosh(0); // 1 */
export const cosh = floatUnary("cosh", lax.cosh);
/** Hyperbolic tangent. @example np.tanh(np.array([0, 100])); // [0, 1] */
export const tanh = floatUnary("tanh", lax.tanh);
/** Inverse hyperbolic sine. @example np.arcsinh(0); // 0 */
export const arcsinh = floatUnary("arcsinh", lax.asinh);
/** Inverse hyperbolic cosine. @example np.arccosh(1); // 0 */
export const arccosh = floatUnary("arccosh", lax.acosh);
/** Inverse hyperbolic tangent. @example np.arctanh(0); // 0 */
export const arctanh = floatUnary("arctanh", lax.atanh);
/** Degrees to radians. @example np.deg2rad(180); // π */
export const deg2rad = floatUnary("deg2rad", (x) => lax.mul(x, Math.PI / 180));
/** Radians to degrees. @example np.rad2deg(Math.PI); // 180 */
export const rad2deg = floatUnary("rad2deg", (x) => lax.mul(x, 180 / Math.PI));
/** Alias of {@link deg2rad}. @example np.radians(90); */
export const radians = deg2rad;
/** Alias of {@link rad2deg}. @example np.degrees(Math.PI); */
export const degrees = rad2deg;

// ---- rounding ------------------------------------------------------------------------

/**
 * Largest integer ≤ x (ints and bools are returned as they are).
 * @example np.floor(np.array([-1.5, 1.5])); // [-2, 1]
 */
export function floor(x: ArrayLike): Value {
  const v = noComplex("np.floor", asValue(x, "np.floor"));
  return isFloat(v.dtype) ? lax.floor(v) : v;
}

/**
 * Smallest integer ≥ x.
 * @example np.ceil(np.array([-1.5, 1.5])); // [-1, 2]
 */
export function ceil(x: ArrayLike): Value {
  const v = noComplex("np.ceil", asValue(x, "np.ceil"));
  return isFloat(v.dtype) ? lax.ceil(v) : v;
}

/**
 * Rounds towards zero.
 * @example np.trunc(np.array([-1.7, 1.7])); // [-1, 1]
 */
export function trunc(x: ArrayLike): Value {
  const v = noComplex("np.trunc", asValue(x, "np.trunc"));
  return isFloat(v.dtype) ? lax.select(lax.lt(v, 0), lax.ceil(v), lax.floor(v)) : v;
}
/** Alias of {@link trunc}. @example np.fix(-2.5); // -2 */
export const fix = trunc;

/**
 * Rounds to `decimals` decimal places, halves to even (`0.5 → 0`, `1.5 → 2`, `2.5 → 2`).
 * @example np.round(np.array([0.5, 1.5, 2.5])); // [0, 2, 2]
 * np.round(3.14159, 2); // 3.14
 */
export function round(x: ArrayLike, decimals = 0): Value {
  const op = "np.round";
  intArg(op, "decimals", decimals);
  const v = asValue(x, op);
  if (!isFloat(v.dtype)) {
    if (decimals >= 0) return v;
    const f = 10 ** -decimals;
    const r = lax.mul(lax.round(lax.div(cast(v, "float32", v.weakType), f), "toNearestEven"), f);
    return cast(r, v.dtype, v.weakType);
  }
  if (decimals === 0) return lax.round(v, "toNearestEven");
  const f = 10 ** decimals;
  return lax.div(lax.round(lax.mul(v, f), "toNearestEven"), f);
}
/** Alias of {@link round}. @example np.around(2.5); // 2 */
export const around = round;

/**
 * Rounds to the nearest integer, halves to even; ints and bools give float32, as JAX.
 * @example np.rint(np.array([0.5, 1.5])); // [0, 2]
 */
export function rint(x: ArrayLike): Value {
  // as JAX: the result is always inexact (ints and bools give float32), unlike round
  return round(toInexact("np.rint", x), 0);
}

/**
 * Limits values to [min, max]; either bound may be null/undefined. NaN propagates.
 * @example np.clip(np.array([-2, 0.5, 3]), 0, 1); // [0, 0.5, 1]
 */
export function clip(x: ArrayLike, min?: ArrayLike | null, max?: ArrayLike | null): Value {
  let out = asValue(x, "np.clip");
  if (min !== undefined && min !== null) out = maximum(min, out);
  if (max !== undefined && max !== null) out = minimum(max, out);
  return out;
}

// ---- selection and classification ------------------------------------------------------------

function toBool(x: Value): Value {
  return x.dtype === "bool" ? x : lax.ne(x, 0);
}

/**
 * `x` where `condition` holds, else `y` (broadcasting all three). The
 * traceable replacement for a JS `if` on array values.
 * @example np.where(np.array([1, -1, 2]).gt(0), 1, 0); // [1, 0, 1]
 */
export function where(condition: ArrayLike, x: ArrayLike, y: ArrayLike): Value {
  const op = "np.where";
  const c = toBool(asValue(condition, op));
  const [a, b] = promote(op, [x, y]);
  // JAX's where broadcasts without the numpyRankPromotion check
  const [cc, aa, bb] = broadcastForLax(op, [c, a, b], false);
  return lax.select(cc, aa, bb);
}

/**
 * True where x is NaN.
 * @example np.isnan(np.array([1, NaN])); // [false, true]
 */
export function isnan(x: ArrayLike): Value {
  const v = asValue(x, "np.isnan");
  if (isComplexDType(v.dtype)) return lax.or(isnan(lax.real(v)), isnan(lax.imag(v)));
  return isFloat(v.dtype) ? lax.ne(v, v) : fullLike(v, false, { dtype: "bool" });
}

/**
 * True where x is +∞ or -∞.
 * @example np.isinf(np.array([1, Infinity, -Infinity])); // [false, true, true]
 */
export function isinf(x: ArrayLike): Value {
  const v = asValue(x, "np.isinf");
  if (isComplexDType(v.dtype)) return lax.or(isinf(lax.real(v)), isinf(lax.imag(v)));
  return isFloat(v.dtype) ? lax.eq(lax.abs(v), Infinity) : fullLike(v, false, { dtype: "bool" });
}

/**
 * True where x is +∞.
 * @example np.isposinf(np.array([Infinity, -Infinity])); // [true, false]
 */
export function isposinf(x: ArrayLike): Value {
  const v = noComplex("np.isposinf", asValue(x, "np.isposinf"));
  return isFloat(v.dtype) ? lax.eq(v, Infinity) : fullLike(v, false, { dtype: "bool" });
}

/**
 * True where x is -∞.
 * @example np.isneginf(np.array([Infinity, -Infinity])); // [false, true]
 */
export function isneginf(x: ArrayLike): Value {
  const v = noComplex("np.isneginf", asValue(x, "np.isneginf"));
  return isFloat(v.dtype) ? lax.eq(v, -Infinity) : fullLike(v, false, { dtype: "bool" });
}

/**
 * True where x is neither NaN nor infinite.
 * @example np.isfinite(np.array([1, NaN, Infinity])); // [true, false, false]
 */
export function isfinite(x: ArrayLike): Value {
  const v = asValue(x, "np.isfinite");
  if (isComplexDType(v.dtype)) return lax.and(isfinite(lax.real(v)), isfinite(lax.imag(v)));
  return isFloat(v.dtype) ? lax.isFiniteFn(v) : fullLike(v, true, { dtype: "bool" });
}

export interface NanToNumOptions {
  nan?: number;
  posinf?: number;
  neginf?: number;
}

/**
 * Replaces NaN by `nan` (0), +∞ by `posinf` and -∞ by `neginf` (the largest finite values by default).
 * @example np.nanToNum(np.array([NaN, Infinity])); // [0, 3.4028235e38]
 */
export function nanToNum(x: ArrayLike, options: NanToNumOptions = {}): Value {
  options = optionsArg("np.nanToNum", options);
  const v = asValue(x, "np.nanToNum");
  if (isComplexDType(v.dtype)) return lax.complex(nanToNum(lax.real(v), options), nanToNum(lax.imag(v), options));
  if (!isFloat(v.dtype)) return v;
  const big = v.dtype === "float32" ? 3.4028234663852886e38 : Number.MAX_VALUE;
  const like = (n: number) => constant(n, v.dtype, v.weakType);
  let out = lax.select(lax.ne(v, v), like(options.nan ?? 0), v);
  out = lax.select(lax.eq(out, Infinity), like(options.posinf ?? big), out);
  return lax.select(lax.eq(out, -Infinity), like(options.neginf ?? -big), out);
}

// ---- comparisons and logic -----------------------------------------------------------

function comparison(name: string, fn: (a: Value, b: Value) => Value, order?: "lt" | "le" | "gt" | "ge") {
  return (x: ArrayLike, y: ArrayLike): Value => {
    const [a, b] = binaryOperands(`np.${name}`, x, y);
    // complex values: lexicographic on (re, im), as jnp's comparisons
    if (order && isComplexDType(a.dtype)) return complexOrderCompare(a, b, order);
    return fn(a, b);
  };
}

/** `x == y` elementwise (bool). @example np.equal(np.array([1, 2]), 2); // [false, true] */
export const equal = comparison("equal", lax.eq);
/** `x != y` elementwise. @example np.notEqual(np.array([1, 2]), 2); // [true, false] */
export const notEqual = comparison("notEqual", lax.ne);
/** `x < y` elementwise (complex values: lexicographic on (re, im), as jnp). @example np.less(np.array([1, 2]), 2); // [true, false] */
export const less = comparison("less", lax.lt, "lt");
/** `x <= y` elementwise. @example np.lessEqual(np.array([1, 2]), 2); // [true, true] */
export const lessEqual = comparison("lessEqual", lax.le, "le");
/** `x > y` elementwise. @example np.greater(np.array([1, 3]), 2); // [false, true] */
export const greater = comparison("greater", lax.gt, "gt");
/** `x >= y` elementwise. @example np.greaterEqual(np.array([1, 2]), 2); // [false, true] */
export const greaterEqual = comparison("greaterEqual", lax.ge, "ge");

function logical(name: string, fn: (a: Value, b: Value) => Value) {
  return (x: ArrayLike, y: ArrayLike): Value => {
    const op = `np.${name}`;
    const [a, b] = broadcastForLax(op, [toBool(asValue(x, op)), toBool(asValue(y, op))]);
    return fn(a, b);
  };
}

/** Logical and of the truth values (nonzero = true). @example np.logicalAnd(np.array([true, false]), true); // [true, false] */
export const logicalAnd = logical("logicalAnd", lax.and);
/** Logical or. @example np.logicalOr(np.array([true, false]), false); // [true, false] */
export const logicalOr = logical("logicalOr", lax.or);
/** Logical exclusive or. @example np.logicalXor(np.array([true, false]), true); // [false, true] */
export const logicalXor = logical("logicalXor", lax.xor);

/**
 * Logical not of the truth value (nonzero = true).
 * @example np.logicalNot(np.array([0, 2])); // [true, false]
 */
export function logicalNot(x: ArrayLike): Value {
  return lax.not(toBool(asValue(x, "np.logicalNot")));
}

const integral = (op: string) => (d: DType) => {
  if (isFloat(d)) throw new DTypeError(`${op}: needs integer or bool operands, got ${d}; convert with x.astype("int32")`);
  return d;
};

function bitwise(name: string, fn: (a: Value, b: Value) => Value) {
  return (x: ArrayLike, y: ArrayLike): Value => {
    const op = `np.${name}`;
    const [a, b] = binaryOperands(op, x, y, integral(op));
    return fn(a, b);
  };
}

/** Bitwise and of integers (logical and of bools). @example np.bitwiseAnd(np.array([12], { dtype: "int32" }), 10); // [8] */
export const bitwiseAnd = bitwise("bitwiseAnd", lax.and);
/** Bitwise or. @example np.bitwiseOr(np.array([12], { dtype: "int32" }), 10); // [14] */
export const bitwiseOr = bitwise("bitwiseOr", lax.or);
/** Bitwise exclusive or. @example np.bitwiseXor(np.array([12], { dtype: "int32" }), 10); // [6] */
export const bitwiseXor = bitwise("bitwiseXor", lax.xor);

/**
 * Bitwise not of integers (`~x`), logical not of bools.
 * @example np.bitwiseNot(np.array([0], { dtype: "int32" })); // [-1]
 */
export function bitwiseNot(x: ArrayLike): Value {
  const v = asValue(x, "np.bitwiseNot");
  integral("np.bitwiseNot")(v.dtype);
  return lax.not(v);
}
/** Alias of {@link bitwiseNot}. @example np.invert(np.array([true])); // [false] */
export const invert = bitwiseNot;

/** JAX raises TypeError for these on complex values: a DTypeError naming the function. */
function noComplex(op: string, v: Value): Value {
  if (isComplexDType(v.dtype)) throw new DTypeError(`${op}: not defined for complex values (got ${v.dtype}), as in JAX; apply it to the parts (np.real(x), np.imag(x))`);
  return v;
}

/**
 * The angle of a complex number, atan2(imag, real), in radians (degrees with `deg`), as `jnp.angle`;
 * a real x gives 0 or π.
 * @example
 * np.angle(np.array([np.complex(0, 1), np.complex(-1, 0)])); // [1.5707964, 3.1415927]
 */
export function angle(z: ArrayLike, deg = false): Value {
  if (typeof deg !== "boolean") throw new DTypeError(`np.angle: deg must be true or false, got ${describe(deg)}`);
  const v = asValue(z, "np.angle");
  const re = isComplexDType(v.dtype) ? lax.real(v) : toInexact("np.angle", v);
  const im = isComplexDType(v.dtype) ? lax.imag(v) : lax.broadcastInDim(constant(0, re.dtype, re.weakType), re.shape, []);
  const a = lax.atan2(im, re);
  return deg ? lax.mul(a, constant(180 / Math.PI, a.dtype, true)) : a;
}
