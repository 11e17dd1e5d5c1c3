/**
 * erf for float32 exactly as XLA's CPU backend computes it, so that
 * truncatedNormal's uniform range erf(lower/√2)..erf(upper/√2), and with it
 * every sample, is JAX's bit for bit. From XLA's emitted LLVM IR: ±1 where
 * |x| ≥ 3.8325, else x·P(x²)/Q(x²), each polynomial a chain of explicit fused
 * multiply-adds (coefficients as the float32 bit patterns in the IR). The
 * tangent is the true derivative 2/√π·exp(−x²) (customJvp).
 */
import { abs, exp, ge, mul, neg, scalar, select, div, lt } from "../lax/index.js";
import type { Value } from "../trace/core.js";
import { customJvp } from "../transforms/custom.js";
import { jit } from "../transforms/jit.js";
import { fma } from "./fma.js";
import { f32Bits } from "./xla-log.js";

const k = (bits: number): Value => scalar(f32Bits(bits), "float32");
// highest power of x² first
const NUMERATOR = [0x39702d51, 0x3b5f5da2, 0x3d50b6eb, 0x3e3da740, 0x3f906eba];
const DENOMINATOR = [0xb3fd3906, 0x37c588df, 0x3a856d28, 0x3c6687d4, 0x3de34c21, 0x3efeb44a, 0x3f800000];

/** fma(x², fma(x², …, c₁), c₀) from the highest power down, as XLA nests them. */
function chain(x2: Value, coefficients: number[]): Value {
  let v = fma(x2, k(coefficients[0]), k(coefficients[1]));
  for (const b of coefficients.slice(2)) v = fma(x2, v, k(b));
  return v;
}

function erfValue(x: Value): Value {
  const x2 = mul(x, x);
  const ratio = div(mul(x, chain(x2, NUMERATOR)), chain(x2, DENOMINATOR));
  const one = scalar(1, "float32");
  const sign = select(lt(x, scalar(0, "float32")), neg(one), one);
  // NaN stays NaN (the comparison is false); -0 keeps its sign through x·P/Q
  return select(ge(abs(x), k(0x407547cb)), sign, ratio);
}

const erfJitted = jit(erfValue) as (x: Value) => Value;

/** XLA's float32 erf, bit for bit, with the derivative 2/√π·exp(−x²) (jitted as xla-log.ts's, for the same reasons). */
export const xlaErf32: (x: Value) => Value = customJvp(erfJitted, ([x], [t]) => [
  erfJitted(x),
  mul(t, mul(scalar(2 / Math.sqrt(Math.PI), "float32"), exp(neg(mul(x, x))))),
]);
