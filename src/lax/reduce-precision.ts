/**
 * reduce_precision: rounds floats as if to a format with `exponentBits` and
 * `mantissaBits` and back (XLA's ReducePrecision): the mantissa rounds to
 * nearest, ties to even; a result past the format's largest finite value
 * becomes ±inf, one below its smallest normal ±0; NaN and ±inf pass through.
 *
 * The rounding is Veltkamp's splitting, c = x·(2^s + 1), hi = c − (c − x),
 * which in round-to-nearest-even arithmetic keeps the top p − s bits of x
 * rounded to nearest, ties to even (checked bit for bit against the bit
 * manipulation XLA does, for every mantissa width from 1); large values are
 * scaled by a power of two first so that c cannot overflow; subnormals are
 * rounded at the fixed quantum their bit pattern has. With 0 mantissa
 * bits XLA breaks a tie by the exponent's lowest bit, which this rounds up
 * instead.
 */
import type { ArrayLike } from "../array-methods.js";
import type { Expr } from "../backend/kernel.js";
import { ExprBuilder, unary } from "../backend/kernel.js";
import type { DType } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import { intArg } from "../static-args.js";
import type { Primitive, Value } from "../trace/core.js";
import { asValue, defineElementwise, operandArg } from "./elementwise.js";
import { bind1, lowersToStablehlo, ShapedArray } from "./primitive.js";
import { hloType } from "./stablehlo-ops.js";
import { attr } from "../backend/stablehlo.js";

type RPParams = { exponentBits: number; mantissaBits: number };

/** Mantissa bits (without the implicit one) and exponent bits of the float dtypes. */
const FORMAT: Record<string, [number, number]> = { float16: [10, 5], float32: [23, 8], float64: [52, 11] };

function reducePrecisionExpr(x: Expr, d: DType, { exponentBits, mantissaBits }: RPParams): Expr {
  const b = new ExprBuilder(d);
  const [srcM, srcE] = FORMAT[d];
  let r = x;
  if (mantissaBits < srcM) {
    const s = srcM - mantissaBits;
    const srcMaxExp = 2 ** (srcE - 1) - 1;
    // |x| ≥ 2^(emax − s − 1) would overflow c: those are rounded at 2^−(s+2) times their size, then scaled back
    const big = b.gt(b.abs(x), b.c(2 ** (srcMaxExp - s - 1)));
    const scale = 2 ** (s + 2);
    const y = b.sel(big, b.mul(x, b.c(1 / scale)), x);
    const c = b.mul(y, b.c(2 ** s + 1));
    const hi = b.sub(c, b.sub(c, y));
    r = b.sel(big, b.mul(hi, b.c(scale)), hi);
    // subnormals keep their bits' absolute positions (XLA rounds the bit pattern): round to the nearest multiple of
    // q = 2^(minExp + s), ties to even, by adding and subtracting C = 1.5·2^srcM·q, a normal number whose ulp is q
    // (no scaling: a shader compiler may fold two constant factors into one that overflows)
    const minExp = 1 - srcMaxExp - srcM;
    const magic = b.c(1.5 * 2 ** (srcM + minExp + s));
    const sub = b.lt(b.abs(x), b.c(2 ** (1 - srcMaxExp)));
    r = b.sel(sub, b.bin("copysign", b.sub(b.add(x, magic), magic), x), r);
  }
  if (exponentBits < srcE) {
    const emax = 2 ** (exponentBits - 1) - 1;
    const largest = (2 - 2 ** -mantissaBits) * 2 ** emax;
    const smallest = 2 ** (1 - emax);
    const a = b.abs(r);
    const signedInf = b.sel(b.lt(r, b.c(0)), b.c(-Infinity), b.c(Infinity));
    r = b.sel(b.gt(a, b.c(largest)), signedInf, b.sel(b.lt(a, b.c(smallest)), b.bin("copysign", b.c(0), r), r));
  }
  // NaN and ±inf as they are (the splitting would turn inf into inf − inf)
  return b.sel(unary("is_finite", x, "bool"), r, x);
}

export const reducePrecisionP: Primitive<RPParams> = defineElementwise<RPParams>("reduce_precision", {
  params: { exponentBits: "int", mantissaBits: "int" },
  dtypes: "float",
  scalar: ([x], p, d) => reducePrecisionExpr(x, d, p),
  abstractEval: ([x], p, standard) => {
    checkBits(p.exponentBits, p.mantissaBits);
    return new ShapedArray(standard.shape, x.dtype, x.weakType);
  },
  // linear in the rounding sense JAX gives it: the tangent (and cotangent) are reduced the same way
  jvp: [(g, _x, _y, p: RPParams) => bind1(reducePrecisionP, [g], p)],
  transpose: (ct, _args, p) => [bind1(reducePrecisionP, [ct], p)],
});

function checkBits(exponentBits: number, mantissaBits: number) {
  if (exponentBits < 1) throw new ShapeError(`lax.reducePrecision: exponentBits must be at least 1, got ${exponentBits}`);
  if (mantissaBits < 0) throw new ShapeError(`lax.reducePrecision: mantissaBits must be at least 0, got ${mantissaBits}`);
}

/**
 * Rounds `operand` to the precision of a float format with `exponentBits`
 * exponent bits and `mantissaBits` mantissa bits (and back), as XLA's
 * ReducePrecision: e.g. (5, 10) is float16, (8, 7) bfloat16.
 * @example
 * lax.reducePrecision(np.array([1.2345678, 1e5]), 5, 10); // [1.234375, Infinity]
 */
export function reducePrecision(operand: ArrayLike, exponentBits: number, mantissaBits: number): Value {
  const op = "lax.reducePrecision";
  const x = operandArg(op, operand);
  const e = intArg(op, "exponentBits", exponentBits);
  const m = intArg(op, "mantissaBits", mantissaBits);
  checkBits(e, m);
  if (!(x.dtype in FORMAT)) throw new DTypeError(`${op}: needs a float operand, got ${x.dtype}`);
  return bind1(reducePrecisionP, [asValue(x)], { exponentBits: e, mantissaBits: m });
}

lowersToStablehlo(reducePrecisionP, (ctx, [x], p, _a, [out]) => [
  ctx.b.op1("stablehlo.reduce_precision", [x], hloType(out.shape, out.dtype), {
    exponent_bits: attr.int(p.exponentBits, "i32"),
    mantissa_bits: attr.int(p.mantissaBits, "i32"),
  }),
]);
