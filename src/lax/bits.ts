/**
 * Bit-level integer primitives, with XLA's semantics: `shift_left`,
 * `shift_right_logical`, `shift_right_arithmetic`, `population_count` and
 * `clz` on the integer dtypes (8, 16 and 32 bits; an 8- or 16-bit value
 * computes in a 32-bit lane and its bits are its low 8 or 16).
 *
 * A shift amount is read as unsigned: a negative amount or one of the width
 * or more shifts every bit out (0 for the left and logical shifts, the sign for
 * the arithmetic one), where a machine shift would take the amount modulo 32.
 * The shifts are scalar expressions over the kernel's `shl`/`shr` ops with
 * that range check; the counts are the kernel ops `population_count`/`clz`.
 * All are integer-valued: their tangents are zero (float0 in JAX).
 */
import type { ArrayLike } from "../array-methods.js";
import type { Expr } from "../backend/kernel.js";
import { binary, cast, constant, unary } from "../backend/kernel.js";
import type { DType } from "../dtype.js";
import { intInfo, isInt } from "../dtype.js";
import { DTypeError } from "../errors.js";
import type { Value } from "../trace/core.js";
import { defineElementwise, operandArg, operands } from "./elementwise.js";
import { bind1, lowersToStablehlo, ShapedArray } from "./primitive.js";
import { broadcast, hloType } from "./stablehlo-ops.js";
import type { StablehloRule } from "./primitive.js";

const U = "uint32" as const;
const I = "int32" as const;

/** The width of an integer dtype in bits. */
const widthOf = (d: DType): number => intInfo(d)?.bits ?? 32;
/** The shift amount as unsigned (its bit pattern, at its own width) is below the width of `d`. */
const inRange = (s: Expr, d: DType): Expr => binary("lt", cast(cast(s, intInfo(s.dtype)?.unsigned ?? U), U), constant(widthOf(d), U), "bool");
const sel = (which: Expr, onFalse: Expr, onTrue: Expr, dtype: DType): Expr => ({ kind: "select", which, cases: [onFalse, onTrue], dtype });

function integerOnly(name: string) {
  return (avals: ShapedArray[], _p: unknown, standard: ShapedArray): ShapedArray => {
    if (!isInt(avals[0].dtype)) {
      throw new DTypeError(`lax.${name}: got ${avals[0].dtype}, needs an integer dtype (int8, uint8, int16, uint16, int32, uint32); convert with x.astype("int32")`);
    }
    return standard;
  };
}

function defineShift(name: string, expr: (x: Expr, s: Expr, d: DType) => Expr) {
  const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return defineElementwise(name, {
    params: {},
    dtypes: "numeric",
    scalar: ([x, s], _p, d) => expr(x, s, d),
    abstractEval: integerOnly(camel),
  });
}

// An 8- or 16-bit operand is shifted within its width: the left shift wraps to the width (the kernel
// op's result dtype), the logical right shift reads the bit pattern (the unsigned dtype of the same
// width, zero-extended), the arithmetic one the sign-extended value.
export const shiftLeftP = defineShift("shift_left", (x, s, d) => sel(inRange(s, d), constant(0, d), binary("shl", x, s, d), d));
export const shiftRightLogicalP = defineShift("shift_right_logical", (x, s, d) =>
  sel(inRange(s, d), constant(0, d), cast(binary("shr", cast(cast(x, intInfo(d)?.unsigned ?? U), U), cast(s, U), U), d), d),
);
export const shiftRightArithmeticP = defineShift("shift_right_arithmetic", (x, s, d) => {
  // an amount past width - 1 shifts in the sign everywhere, which is a shift by width - 1
  const amount = binary("min", cast(cast(s, intInfo(s.dtype)?.unsigned ?? U), U), constant(widthOf(d) - 1, U), U);
  // the bits read as signed at their own width (a uint8's 0xff is -1), then sign-extended to 32
  const signed: DType = d === "uint8" ? "int8" : d === "uint16" ? "int16" : d;
  return cast(binary("shr", cast(cast(x, signed), I), cast(amount, I), I), d);
});

function defineCount(name: "population_count" | "clz") {
  return defineElementwise(name, {
    params: {},
    dtypes: "numeric",
    scalar: ([x], _p, d) => unary(name, x, d),
    abstractEval: integerOnly(name === "clz" ? "clz" : "populationCount"),
  });
}
export const populationCountP = defineCount("population_count");
export const clzP = defineCount("clz");

function shiftOperands(op: string, x: unknown, y: unknown): Value[] {
  // a typed error naming the operation for anything but arrays and numbers
  operandArg(`lax.${op}`, x);
  operandArg(`lax.${op}`, y);
  return operands([x as ArrayLike, y as ArrayLike]);
}

/**
 * Shifts the bits of `x` left by `y` (XLA's semantics: an amount outside
 * [0, 32) gives 0). Both operands have one integer dtype.
 * @example
 * lax.shiftLeft(np.array([1, 3], { dtype: "int32" }), np.array([4, 32], { dtype: "int32" })); // [16, 0]
 */
export function shiftLeft(x: ArrayLike, y: ArrayLike): Value {
  return bind1(shiftLeftP, shiftOperands("shiftLeft", x, y), {});
}
/**
 * Shifts the bits of `x` right by `y`, filling with zeros (an amount outside [0, 32) gives 0).
 * @example
 * lax.shiftRightLogical(np.array([-8, 8], { dtype: "int32" }), np.array([1, 1], { dtype: "int32" })); // [2147483644, 4]
 */
export function shiftRightLogical(x: ArrayLike, y: ArrayLike): Value {
  return bind1(shiftRightLogicalP, shiftOperands("shiftRightLogical", x, y), {});
}
/**
 * Shifts the bits of `x` right by `y`, filling with the sign bit (an amount
 * outside [0, 32) fills every bit with it; a uint32 is shifted as its
 * two's-complement bits).
 * @example
 * lax.shiftRightArithmetic(np.array([-8, 8], { dtype: "int32" }), np.array([1, 40], { dtype: "int32" })); // [-4, 0]
 */
export function shiftRightArithmetic(x: ArrayLike, y: ArrayLike): Value {
  return bind1(shiftRightArithmeticP, shiftOperands("shiftRightArithmetic", x, y), {});
}
/**
 * The number of set bits of each element (int32 counts its two's-complement bits).
 * @example
 * lax.populationCount(np.array([0, 7, -1], { dtype: "int32" })); // [0, 3, 32]
 */
export function populationCount(x: ArrayLike): Value {
  return bind1(populationCountP, [operandArg("lax.populationCount", x)], {});
}
/**
 * The number of leading zero bits of each element (32 for 0).
 * @example
 * lax.clz(np.array([0, 1, -1], { dtype: "int32" })); // [32, 31, 0]
 */
export function clz(x: ArrayLike): Value {
  return bind1(clzP, [operandArg("lax.clz", x)], {});
}

const hlo = (op: string): StablehloRule => (ctx, args, _p, _a, [out]) => [ctx.b.op1(op, args.map((x) => broadcast(ctx, x, out.shape)), hloType(out.shape, out.dtype))];
lowersToStablehlo(shiftLeftP, hlo("stablehlo.shift_left"));
lowersToStablehlo(shiftRightLogicalP, hlo("stablehlo.shift_right_logical"));
lowersToStablehlo(shiftRightArithmeticP, hlo("stablehlo.shift_right_arithmetic"));
lowersToStablehlo(populationCountP, hlo("stablehlo.popcnt"));
lowersToStablehlo(clzP, hlo("stablehlo.count_leading_zeros"));
