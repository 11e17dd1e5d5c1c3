/**
 * log and log1p for float32 exactly as XLA's CPU backend computes them (the
 * reference samplers' `-log1p(-u)`, `-log(-log(u))` and erfinv's
 * `log1p(-x²)`), so that exponential, gumbel and normal samples are JAX's bit
 * for bit. Read off XLA's emitted LLVM IR and its machine code
 * (XLA_FLAGS=--xla_dump_to): log is a Cephes-style logf (the mantissa m in
 * [√½, √2) as z = m − 1, a degree-9 polynomial evaluated in three interleaved
 * Horner chains, the exponent added back in two parts), log1p is
 * x − x²/2 + x³·P(x)/Q(x) for |x| < √2 − 1 and log(1 + x) elsewhere; LLVM
 * contracts every multiply whose only use is an add into a fused multiply-add
 * (`fma` below). The polynomial coefficients are the float32 values in XLA's
 * IR, written as their bit patterns (exact by construction).
 *
 * Their tangents are the true derivatives 1/x and 1/(1 + x) (customJvp): the
 * bit manipulation would otherwise contribute none. Each runs jitted: one
 * fused kernel rather than hundreds of eager ops when a sampler is called
 * outside jit.
 */
import {
  abs, add, and, bitcastConvertType, convert, div, eq, gt, lt, max, mul, neg, or, scalar, select, shiftRightLogical, sub,
} from "../lax/index.js";
import type { Value } from "../trace/core.js";
import { customJvp } from "../transforms/custom.js";
import { jit } from "../transforms/jit.js";
import { fma } from "./fma.js";

/** A float32 constant from its IEEE bit pattern. */
export const f32Bits = (bits: number): number => new Float32Array(new Uint32Array([bits]).buffer)[0];
const c = (v: number): Value => scalar(v, "float32");
const k = (bits: number): Value => c(f32Bits(bits));

/** XLA's logf on float32 values (NaN below 0, −inf at 0, +inf at +inf; subnormals count as the smallest normal). */
function logValue(x: Value): Value {
  const xc = max(x, k(0x00800000));
  const bits = bitcastConvertType(xc, "uint32");
  const exponent = convert(sub(convert(shiftRightLogical(bits, scalar(23, "uint32")), "int32"), scalar(127, "int32")), "float32");
  // the mantissa with the exponent of 0.5: m in [0.5, 1)
  const m = bitcastConvertType(or(and(bits, scalar(0x807fffff, "uint32")), scalar(0x3f000000, "uint32")), "float32");
  const below = lt(m, k(0x3f3504f3));
  const z = add(sub(m, c(1)), select(below, m, c(0)));
  const e = sub(add(exponent, c(1)), select(below, c(1), c(0)));
  const z2 = mul(z, z);
  const z3 = mul(z2, z);
  let a = fma(z, k(0x3d9021bb), k(0xbdebd1b8));
  let b = fma(z, k(0xbdfe5d4f), k(0x3e11e9bf));
  let d = fma(z, k(0x3e4cceac), k(0xbe7ffffc));
  a = fma(a, z, k(0x3def251a));
  b = fma(b, z, k(0xbe2aae50));
  d = fma(d, z, k(0x3eaaaaaa));
  const t = fma(fma(a, z3, b), z3, d);
  const y = fma(t, z3, mul(e, k(0xb95e8083)));
  // z2 * 0.5 and e * 0.693359375 are exact products, so their fused forms need no fma
  const r = add(add(sub(z, mul(z2, c(0.5))), y), mul(e, k(0x3f318000)));
  const special = select(eq(x, c(0)), c(-Infinity), select(eq(x, c(Infinity)), c(Infinity), r));
  return select(or(gt(x, c(0)), eq(x, c(0))), special, c(NaN));
}

// log1p's rational part, highest power first: the numerator and the (monic) denominator
const LOG1P_NUMERATOR = [0x383de04b, 0x3eff40c5, 0x40d284fa, 0x41ef4b9c, 0x4273cc76, 0x426473ad, 0x41a05101];
const LOG1P_DENOMINATOR = [0x3f800000, 0x417101ad, 0x42a6185b, 0x435dc32d, 0x439a8ca3, 0x43586d8a, 0x42707982];

/**
 * Horner with one fused multiply-add per step; the first step x·0 + c₀ is c₀ for finite x.
 * Where c₀ is 1 (the monic denominator), the second step's product 1·x is x exactly (NaN
 * for a NaN or infinite x, as the fma's), so a multiply then an add round once, as the fma
 * does: the same bits, and a step whose float64 sum the CPU's Wasm kernels would otherwise
 * find halfway between two float32s about once in a hundred elements and recompute.
 */
function horner(x: Value, coefficients: number[]): Value {
  let v = add(mul(x, c(0)), k(coefficients[0]));
  coefficients.slice(1).forEach((b, i) => {
    v = i === 0 && f32Bits(coefficients[0]) === 1 ? add(mul(v, x), k(b)) : fma(v, x, k(b));
  });
  return v;
}

function log1pValue(x: Value): Value {
  const x2 = mul(x, x);
  const ratio = div(horner(x, LOG1P_NUMERATOR), horner(x, LOG1P_DENOMINATOR));
  const small = add(x, fma(x2, c(-0.5), mul(mul(x, x2), ratio)));
  return select(lt(abs(x), k(0x3ed413cd)), small, logValue(add(x, c(1))));
}

/** XLA's float32 natural log, bit for bit, with the derivative 1/x. */
const logJitted = jit(logValue) as (x: Value) => Value;
export const xlaLog32: (x: Value) => Value = customJvp(logJitted, ([x], [t]) => [logJitted(x), div(t, x)]);

/** XLA's float32 log1p, bit for bit, with the derivative 1/(1 + x). */
const log1pJitted = jit(log1pValue) as (x: Value) => Value;
export const xlaLog1p32: (x: Value) => Value = customJvp(log1pJitted, ([x], [t]) => [log1pJitted(x), div(t, add(x, c(1)))]);
