/**
 * Scalar functions the generated CPU kernels call where JavaScript's `Math`
 * has no equivalent. All work in float64; float32 results are rounded on store.
 */

import { floatToInt, roundToFloat16 } from "../../dtype.js";
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** erf to ~1e-15: Taylor series near 0, a continued fraction for erfc in the tails. */
export function erf(x: number): number {
  if (Number.isNaN(x) || x === 0) return x; // erf(-0) = -0
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Σ (-1)^n x^(2n+1) / (n! (2n+1)); terms shrink after n ≈ x², alternating
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  const r = erfcLarge(ax);
  return x > 0 ? 1 - r : r - 1;
}

/** erfc(x) for x ≥ 2.5 by the continued fraction, evaluated with modified Lentz. */
function erfcLarge(x: number): number {
  if (x > 27) return 0;
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + ...)))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Inverse of erf on (-1, 1): Winitzki's closed form, refined by Newton steps on the exact erf. */
export function erfInv(y: number): number {
  if (Number.isNaN(y) || y < -1 || y > 1) return NaN;
  if (y === 1) return Infinity;
  if (y === -1) return -Infinity;
  if (y === 0) return y;
  const a = 0.147;
  const ln = Math.log(1 - y * y);
  const t = 2 / (Math.PI * a) + ln / 2;
  let x = Math.sign(y) * Math.sqrt(Math.sqrt(t * t - ln / a) - t);
  for (let i = 0; i < 4; i++) {
    const err = erf(x) - y;
    const slope = TWO_OVER_SQRT_PI * Math.exp(-x * x);
    if (slope === 0) break;
    // Halley's step: erf'' = -2x erf'
    const step = err / slope;
    x -= step / (1 + x * step);
  }
  return x;
}

/** Rounds half away from zero (lax.round's default, AWAY_FROM_ZERO); -0 stays -0. */
export function roundAway(x: number): number {
  return x < 0 || Object.is(x, -0) ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/**
 * x^y as C's pow (XLA's): JavaScript's Math.pow differs only in giving NaN
 * for 1^NaN, 1^±∞ and (-1)^±∞, which C defines as 1.
 */
export function powC(x: number, y: number): number {
  if (x === 1 || (x === -1 && (y === Infinity || y === -Infinity))) return 1;
  return Math.pow(x, y);
}

/** Rounds half to even (NumPy's round, lax.round with TO_NEAREST_EVEN). */
export function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const f64 = new Float64Array(1);
const u64 = new BigInt64Array(f64.buffer);
const f32 = new Float32Array(1);
const u32 = new Int32Array(f32.buffer);

/** The next float64 after x towards y. */
export function nextAfter64(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === y) return y;
  if (x === 0) return y > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  f64[0] = x;
  u64[0] += (y > x) === (x > 0) ? 1n : -1n;
  return f64[0];
}

/** The next float32 after x towards y. */
export function nextAfter32(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  x = Math.fround(x);
  y = Math.fround(y);
  if (x === y) return y;
  if (x === 0) {
    u32[0] = 1;
    return y > 0 ? f32[0] : -f32[0];
  }
  f32[0] = x;
  u32[0] += (y > x) === (x > 0) ? 1 : -1;
  return f32[0];
}

/** |x| with the sign bit of y (C's copysign; y's sign bit is read even when y is NaN or −0). */
export function copySign(x: number, y: number): number {
  f64[0] = y;
  return u64[0] < 0n ? -Math.abs(x) : Math.abs(x);
}

/** float → int32 as XLA converts: truncation, NaN to 0, saturating at the ends. */
export function toInt32(x: number): number {
  if (Number.isNaN(x)) return 0;
  if (x >= 2147483647) return 2147483647;
  if (x <= -2147483648) return -2147483648;
  return Math.trunc(x);
}

/** float → uint32: truncation, NaN and negatives to 0, saturating at 2^32 - 1. */
export function toUint32(x: number): number {
  if (!(x > 0)) return 0;
  if (x >= 4294967295) return 4294967295;
  return Math.trunc(x);
}

/** float → the 8- and 16-bit integers: truncation, NaN to 0, saturating at the ends (dtype.ts's floatToInt). */
export const toInt8 = (x: number): number => floatToInt(x, "int8");
export const toUint8 = (x: number): number => floatToInt(x, "uint8");
export const toInt16 = (x: number): number => floatToInt(x, "int16");
export const toUint16 = (x: number): number => floatToInt(x, "uint16");

/** x^n for an integer n by repeated squaring (integer_pow). */
export function ipow(x: number, n: number): number {
  let base = n < 0 ? 1 / x : x;
  let e = Math.abs(n);
  let acc = 1;
  while (e > 0) {
    if (e & 1) acc *= base;
    base *= base;
    e >>= 1;
  }
  return acc;
}

/** int32 x^n with wrapping multiplication. */
export function ipowInt(x: number, n: number): number {
  let acc = 1;
  let base = x | 0;
  let e = n;
  while (e > 0) {
    if (e & 1) acc = Math.imul(acc, base);
    base = Math.imul(base, base);
    e >>= 1;
  }
  return acc;
}

/** Integer division as XLA: truncation, and x / 0 = -1 (all ones) for ints. */
export function idiv(a: number, b: number): number {
  return b === 0 ? -1 : Math.trunc(a / b);
}
export function irem(a: number, b: number): number {
  return b === 0 ? a : a % b;
}

/** The next float16 after x toward y (halves are spaced 2^(e-10), 2^-24 below 2^-14). */
export function nextAfter16(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === y) return y;
  if (x === 0) return y > 0 ? 2 ** -24 : -(2 ** -24);
  const m = Math.abs(x);
  if (m === Infinity) return x > 0 ? 65504 : -65504;
  const away = y > x === x > 0;
  const e = Math.max(Math.floor(Math.log2(m)), -14);
  // stepping toward zero from a power of two crosses into the finer binade below
  const ulp = !away && m === 2 ** e && e > -14 ? 2 ** (e - 11) : 2 ** (e - 10);
  const r = away ? m + ulp : m - ulp;
  const v = r > 65504 ? Infinity : r;
  return x > 0 ? v : -v;
}

/** The number of set bits of a 32-bit integer's two's-complement pattern. */
export function popCount32(x: number): number {
  let v = x >>> 0;
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}


const bitsF32 = new Float32Array(1);
const bitsU32 = new Uint32Array(bitsF32.buffer);

/** The IEEE single-precision bit pattern of x (as a uint32). */
export function f32Bits(x: number): number {
  bitsF32[0] = x;
  return bitsU32[0];
}
/** The float32 whose bit pattern is the low 32 bits of u. */
export function f32FromBits(u: number): number {
  bitsU32[0] = u >>> 0;
  return bitsF32[0];
}
/**
 * The IEEE half-precision bit pattern of x (as a uint16); x is a half already
 * (float16 values are kept rounded), so the conversion is exact. NaN is 0x7e00
 * with x's sign.
 */
export function f16Bits(x: number): number {
  const b = f32Bits(x);
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | (mant === 0 ? 0x7c00 : 0x7e00);
  const e = exp - 127;
  if (e < -24) return sign; // zero (a half has nothing smaller than 2^-24)
  if (e < -14) return sign | ((mant | 0x800000) >>> (-1 - e)); // subnormal: m·2^-24 with m < 1024
  return sign | ((e + 15) << 10) | (mant >>> 13);
}
/** The half-precision number whose bit pattern is the low 16 bits of u. */
export function f16FromBits(u: number): number {
  const sign = u & 0x8000 ? -1 : 1;
  const exp = (u >>> 10) & 0x1f;
  const mant = u & 0x3ff;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  if (exp === 0) return sign * mant * 2 ** -24;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/**
 * float32 a·b + c rounded once (the float32 fma; fma16 likewise for float16): operands of at
 * most 24 significant bits, so a·b is exact in float64. The float64 sum s = RN(a·b + c)
 * rounds again when rounded to that dtype, and the two roundings differ from one only where s
 * lands exactly halfway between two neighbours r and n of the dtype (a midpoint of the dtype is
 * a float64, so a nearer float64 than s would lie between them otherwise) while s ≠ a·b + c:
 * then the exact sum lies past the midpoint on the side of the error t = a·b + c − s (Knuth's
 * two-sum, exact), and the result is the neighbour on that side. r + 2(s − r) is n exactly when
 * s is that midpoint, and no value of the dtype otherwise (|s − r| is then under half the gap).
 * (Where s is a value of the dtype it is the result: a midpoint is not one.) Not handled: a sum
 * within a float64 ulp of the overflow threshold (it rounds to ±inf).
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = Math.fround(s);
  if (r === s) return r;
  const bb = s - p;
  const t = p - (s - bb) + (c - bb);
  if (t === 0 || t !== t) return r;
  const d = s - r;
  const n = r + 2 * d;
  if (Math.fround(n) !== n || n === r) return r;
  return t > 0 === d > 0 ? n : r;
}
/** float16 a·b + c rounded once (the float16 fma), as `fma32` with float16's rounding. */
export function fma16(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = roundToFloat16(s);
  if (r === s) return r;
  const bb = s - p;
  const t = p - (s - bb) + (c - bb);
  if (t === 0 || t !== t) return r;
  const d = s - r;
  const n = r + 2 * d;
  if (roundToFloat16(n) !== n || n === r) return r;
  return t > 0 === d > 0 ? n : r;
}

export const scalarMath = { fma32, fma16, erf, erfInv, copySign, roundAway, roundEven, powC, nextAfter64, nextAfter32, nextAfter16, toInt32, toUint32, toInt8, toUint8, toInt16, toUint16, ipow, ipowInt, idiv, irem, popCount32, f32Bits, f32FromBits, f16Bits, f16FromBits };
