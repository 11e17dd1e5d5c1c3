/**
 * Elementwise primitives. Operands have equal shapes, or are 0-d scalars that
 * broadcast (as JAX's jaxprs show: `mul b 2.0`); dtypes must be equal. NumPy
 * broadcasting and promotion live one level up, in `src/numpy`.
 *
 * Each primitive is a handful of lines: its dtype class, its scalar
 * expression, and one JVP term per operand; the helpers below derive abstract
 * eval, lowering, symbolic-zero handling and batching from those.
 */
import type { ParamSchema } from "../static-args.js";
import { describe } from "../static-args.js";
import type { ArrayLike } from "../array-methods.js";
import { ArrayMethods } from "../array-methods.js";
import type { BinaryOp, Expr, UnaryOp } from "../backend/kernel.js";
import { binary, cast, constant, load, unary } from "../backend/kernel.js";
import type { DType } from "../dtype.js";
import { asComplexLiteral, checkDType, complexPartOf, intInfo, isComplexDType, isFloat, isInt, shortName } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import { contiguousStrides, fmtShape, shapeEq } from "../shape.js";
import type { MaybeZero, Params, Primitive, PrimitiveRules, SimplifyFacts, Value } from "../trace/core.js";
import { bind } from "../trace/core.js";
import { bind1, definePrimitive, isUndefined, isZero, scalar, ShapedArray, Zero, type StablehloRule } from "./primitive.js";
import { binop, broadcast, compare, compareRule, elementwiseOp as hloOp, full, hloType, integerPower, logicOr, select as hloSelect } from "./stablehlo-ops.js";
import { broadcastInDim, moveAxis } from "./shape.js";
import { reduceSum } from "./reduce.js";
import { complexHooks } from "./complex-hooks.js";

// ---- operand conversion ---------------------------------------------------------

/** A JS number or boolean as a weakly typed 0-d array: float32 for non-integers, int32 for integers, bool for booleans. */
export function weakScalar(x: number | boolean, like?: DType): Value {
  if (typeof x === "boolean") return scalar(x ? 1 : 0, like ?? "bool", like === undefined);
  if (like) return scalar(x, like, true);
  return Number.isInteger(x) ? scalar(x, "int32", true) : scalar(x, "float32", true);
}

export function asValue(x: ArrayLike, like?: DType): Value {
  if (x instanceof ArrayMethods) return x as Value;
  if (typeof x === "number" || typeof x === "boolean") return weakScalar(x, like);
  const c = asComplexLiteral(x);
  if (c !== null) return weakComplex(c.re, c.im, like);
  throw new DTypeError(`expected an array, a number or a complex literal {re, im}, got ${describe(x)}`);
}

/** A complex literal as a weakly typed 0-d complex array: complex64, or `like` when that is complex (a Python complex in JAX). */
function weakComplex(re: number, im: number, like?: DType): Value {
  const d = like !== undefined && isComplexDType(like) ? like : "complex64";
  const p = complexPartOf(d);
  return complexParts.make!(scalar(re, p, true), scalar(im, p, true));
}

/** The array operand `x` of lax function `op` (a JS number or boolean becomes a weak 0-d array); a typed error otherwise. */
export function operandArg(op: string, x: unknown): Value {
  if (x instanceof ArrayMethods) return x as Value;
  if (typeof x === "number" || typeof x === "boolean") return weakScalar(x);
  const c = asComplexLiteral(x);
  if (c !== null) return weakComplex(c.re, c.im);
  throw new DTypeError(`${op}: expected an array, a number or a complex literal {re, im}, got ${describe(x)}; wrap JS arrays with np.array(...)`);
}

/** Converts numbers among the operands to the dtype of the first array operand. */
export function operands(xs: ArrayLike[]): Value[] {
  const first = xs.find((x) => x instanceof ArrayMethods) as Value | undefined;
  return xs.map((x) => asValue(x, first?.dtype));
}

/** The real part and the conjugate, for abs's complex jvp (lax/complex.ts registers them: it imports this file). */
const complexParts: { real?: (x: Value) => Value; conj?: (x: Value) => Value; make?: (re: Value, im: Value) => Value } = {};
export function registerComplexParts(real: (x: Value) => Value, conj: (x: Value) => Value, make: (re: Value, im: Value) => Value): void {
  complexParts.real = real;
  complexParts.conj = conj;
  complexParts.make = make;
}
const realPart = (x: Value) => complexParts.real!(x);
const conjOf = (x: Value) => complexParts.conj!(x);
const onesLike = (y: Value) => broadcastInDim(scalar(1, y.dtype, y.weakType), y.shape, []);

/** Floating or complex: the dtypes that have tangents. */
const isInexact = (d: DType) => isFloat(d) || isComplexDType(d);

// ---- dtype classes ----------------------------------------------------------------

export type DTypeClass = "float" | "numeric" | "signed" | "integral" | "any";
const classOk: Record<DTypeClass, (d: DType) => boolean> = {
  float: isFloat,
  numeric: (d) => d !== "bool",
  signed: (d) => d !== "bool" && intInfo(d)?.signed !== false,
  integral: (d) => d === "bool" || isInt(d),
  any: () => true,
};
const classWords: Record<DTypeClass, string> = {
  float: "a floating-point dtype (float32, float64); convert with x.astype(\"float32\")",
  numeric: "a numeric dtype (not bool)",
  signed: "a signed numeric dtype (float or int32)",
  integral: "a bool or integer dtype",
  any: "any dtype",
};

// ---- the generic elementwise rules ------------------------------------------------------

/** Abstract eval: equal dtypes (of the operands checked), equal shapes or 0-d scalars. */
function elementwiseShape(name: string, avals: ShapedArray[]): number[] {
  let shape: readonly number[] = [];
  for (const a of avals) {
    if (a.ndim === 0) continue;
    if (shape.length === 0) shape = a.shape;
    else if (!shapeEq(shape, a.shape)) {
      throw new ShapeError(
        `lax.${name}: operand shapes ${avals.map((x) => fmtShape(x.shape)).join(", ")} differ; lax ops need equal shapes ` +
          `(or 0-d scalars): use np.${name} for NumPy broadcasting, or lax.broadcastInDim`,
      );
    }
  }
  return [...shape];
}

function checkSameDType(name: string, avals: ShapedArray[], cls: DTypeClass, complexOk = false): DType {
  const d = avals[0].dtype;
  for (const a of avals) {
    if (a.dtype !== d) {
      throw new DTypeError(
        `lax.${name}: operand dtypes ${avals.map((x) => x.dtype).join(", ")} differ; lax ops need equal dtypes: ` +
          `convert with x.astype(...) or use np.${name}, which promotes`,
      );
    }
  }
  if (isComplexDType(d)) {
    // a primitive not defined on complex values: bind refuses it before this (UnsupportedError); a class that has no complex member, here
    if (!complexOk || cls === "integral") throw new DTypeError(`lax.${name}: got ${d}, needs ${classWords[cls]}`);
    return d;
  }
  if (!classOk[cls](d)) throw new DTypeError(`lax.${name}: got ${d}, needs ${classWords[cls]}`);
  return d;
}

/** The kernel that runs an elementwise primitive eagerly: a loop over the output, scalars broadcast by stride 0. */
function elementwiseLowering(scalarFn: (args: Expr[]) => Expr, avals: ShapedArray[], out: ShapedArray) {
  const strides = contiguousStrides(out.shape);
  const zeros = out.shape.map(() => 0);
  return {
    kind: "kernel" as const,
    kernel: {
      loopShape: out.shape,
      inputs: avals.map((a) => ({ dtype: a.dtype, view: { strides: a.ndim === 0 ? zeros : strides, offset: 0 } })),
      expr: scalarFn(avals.map((a, i) => load(i, a.dtype))),
      dtype: out.dtype,
    },
  };
}

/**
 * Batching: move every batch axis to the front; scalars stay scalars when
 * unbatched and are broadcast when batched, so the equal-shapes rule holds.
 */
export function batchElementwise(prim: Primitive, args: Value[], dims: (number | null)[], params: Params): [Value[], (number | null)[]] {
  const i0 = dims.findIndex((d) => d !== null);
  const size = args[i0].shape[dims[i0]!];
  const logical = args.map((a, i) => (dims[i] === null ? a.shape : a.shape.filter((_, k) => k !== dims[i])));
  const outShape = logical.find((s) => s.length > 0) ?? [];
  // fast path: everything batched on the same axis with full shapes
  if (dims.every((d, i) => d === dims[i0] && logical[i].length === outShape.length)) {
    const outs = bind(prim, args, params);
    return [outs, outs.map(() => dims[i0])];
  }
  const moved = args.map((a, i) => {
    const d = dims[i];
    if (d === null) {
      return a.ndim === 0 ? a : broadcastInDim(a, [size, ...a.shape], a.shape.map((_, k) => k + 1));
    }
    const front = moveAxis(a, d, 0);
    if (logical[i].length === 0 && outShape.length > 0) return broadcastInDim(front, [size, ...outShape], [0]);
    return front;
  });
  const outs = bind(prim, moved, params);
  return [outs, outs.map(() => 0)];
}

/** Zero-aware sum of tangents. */
export function addTangents(a: MaybeZero, b: MaybeZero): MaybeZero {
  if (isZero(a)) return b;
  if (isZero(b)) return a;
  return add(a, b);
}

/** Materializes a symbolic zero as an array of zeros. */
export function instantiate(t: MaybeZero): Value {
  return isZero(t) ? zerosOf(t.aval) : t;
}
export function zerosOf(aval: ShapedArray): Value {
  const z = scalar(0, aval.dtype, aval.weakType);
  return aval.ndim === 0 ? z : broadcastInDim(z, aval.shape, []);
}

/** Broadcasts a 0-d tangent term to the output shape. */
function fitTo(t: Value, out: ShapedArray): Value {
  return t.ndim === out.ndim ? t : broadcastInDim(t, out.shape, []);
}

/** Sums a cotangent down to a 0-d operand's shape (transpose of scalar broadcasting). */
export function unbroadcast(ct: Value, aval: ShapedArray): Value {
  if (ct.ndim === aval.ndim) return ct;
  return reduceSum(ct, ct.shape.map((_, i) => i));
}

export type JvpTerm = (g: Value, primals: Value[], out: Value, params: any) => MaybeZero; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ElementwiseSpec<P extends Params> {
  /** What each parameter holds (see `definePrimitive`). */
  params: ParamSchema<P>;
  /** Which dtypes the operands may have. */
  dtypes: DTypeClass;
  /** The scalar expression. */
  scalar(args: Expr[], params: P, outDtype: DType): Expr;
  /** One tangent term per operand (null: that operand is not differentiable); undefined: the output's tangent is zero. */
  jvp?: (JvpTerm | null)[];
  /** Output dtype, when it differs from the operands' (comparisons give bool). */
  outDtype?: (d: DType, params: P) => DType;
  /** Transpose rule, for primitives linear in some operands. */
  transpose?: (ct: Value, args: (Value | import("./primitive.js").UndefinedPrimal)[], params: P) => MaybeZero[];
  /** Which operands are checked for dtype equality (default all). */
  checked?: (avals: ShapedArray[]) => ShapedArray[];
  /** Extra checks and the weak type of the output, when the defaults do not fit. */
  abstractEval?: (avals: ShapedArray[], params: P, standard: ShapedArray) => ShapedArray;
  /** A whole jvp rule, for a primitive whose tangent is not a sum of per-operand terms. */
  jvpRule?: PrimitiveRules<P>["jvp"];
  /** Identities simplification may apply (see `SimplifyFacts`). */
  simplify?: SimplifyFacts;
  /** The StableHLO lowering (exportStableHLO), as JAX lowers the primitive. */
  stablehlo?: StablehloRule<P>;
  /** Whether the primitive is defined on complex operands (its scalar expression then is complex; see `PrimitiveRules.complex`). */
  complex?: boolean;
  /** Not defined on complex values in JAX either: a complex operand is a DTypeError (see `PrimitiveRules.complexUndefined`). */
  complexUndefined?: boolean;
}

export function defineElementwise<P extends Params = Params>(name: string, spec: ElementwiseSpec<P>): Primitive<P> {
  const prim: Primitive<P> = definePrimitive<P>(name, {
    params: spec.params,
    complex: spec.complex,
    complexUndefined: spec.complexUndefined,
    abstractEval(avals, params) {
      const d = checkSameDType(name, spec.checked ? spec.checked(avals) : avals, spec.dtypes, spec.complex);
      const shape = elementwiseShape(name, avals);
      const outDtype = spec.outDtype ? spec.outDtype(d, params) : d;
      const standard = new ShapedArray(shape, outDtype, avals.every((a) => a.weakType));
      return [spec.abstractEval ? spec.abstractEval(avals, params, standard) : standard];
    },
    scalar: (args, params, _avals, out) => spec.scalar(args, params, out.dtype),
    simplify: spec.simplify,
    stablehlo: spec.stablehlo,
    lower: (avals, params, [out]) => elementwiseLowering((args) => spec.scalar(args, params, out.dtype), avals, out),
    jvp: spec.jvpRule ?? ((primals, tangents, params) => {
      const out = bind1(prim, primals, params);
      let t: MaybeZero = new Zero(out.aval.strong());
      if (spec.jvp) {
        tangents.forEach((g, i) => {
          const term = spec.jvp![i];
          if (isZero(g) || !term) return;
          const c = term(g, primals, out, params);
          if (!isZero(c)) t = addTangents(t, fitTo(c, out.aval));
        });
      }
      return [[out], [t]];
    }),
    transpose: spec.transpose ? (cts, args, params) => (isZero(cts[0]) ? args.map((a) => new Zero(a.aval)) : spec.transpose!(cts[0], args, params)) : undefined,
    batch: (args, dims, params) => batchElementwise(prim as unknown as Primitive, args, dims, params),
  });
  return prim;
}

// ---- unary ---------------------------------------------------------------------------

const un = (op: UnaryOp) => ([x]: Expr[], _p: Params, d: DType) => unary(op, x, d);

function defineUnary(name: string, dtypes: DTypeClass, jvp?: JvpTerm | null, op: UnaryOp = name as UnaryOp, extra: Partial<ElementwiseSpec<Params>> = {}) {
  const prim = defineElementwise(name, { dtypes, scalar: un(op), jvp: jvp === undefined ? undefined : [jvp], ...extra, params: {} });
  return [prim, (x: ArrayLike): Value => bind1(prim, [asValue(x, typeof x === "number" ? "float32" : undefined)], {})] as const;
}

export const [negP, neg] = defineUnary("neg", "numeric", (g) => neg(g), "neg", { complex: true, transpose: (ct) => [neg(ct)], simplify: { involution: true }, stablehlo: hloOp("stablehlo.negate") });
// StableHLO: an unsigned sign is x != 0 (stablehlo.sign is for signed types)
export const [signP, sign] = defineUnary("sign", "numeric", undefined, "sign", { complex: true, stablehlo: (ctx, [x]) => [x.dtype.startsWith("uint") ? ctx.b.op1("stablehlo.convert", [compare(ctx, "NE", x, full(ctx, 0, x.shape, x.dtype))], x.type) : ctx.b.op1("stablehlo.sign", [x], x.type)] });
export const [floorP, floor] = defineUnary("floor", "float", undefined, "floor", { complexUndefined: true, stablehlo: hloOp("stablehlo.floor") });
export const [ceilP, ceil] = defineUnary("ceil", "float", undefined, "ceil", { complexUndefined: true, stablehlo: hloOp("stablehlo.ceil") });
export const [isFiniteP, isFiniteFn] = defineUnary("is_finite", "float", undefined, "is_finite", { complexUndefined: true, outDtype: () => "bool", stablehlo: hloOp("stablehlo.is_finite") });
// as JAX: the derivative of |x| at 0 is taken from the right (grad(abs)(0) = 1)
// a complex operand has a real |z| (JAX's abs jvp: real(g · conj(z) / |z|), |z| = 0 taken as 1)
export const [absP, abs] = defineUnary(
  "abs",
  "signed",
  (g, [x], y) => (isComplexDType(x.dtype) ? realPart(mul(g, div(conjOf(x), convert(select(eq(y, 0), onesLike(y), y), x.dtype)))) : select(ge(x, 0), g, neg(g))),
  "abs",
  { complex: true, outDtype: (d) => (isComplexDType(d) ? complexPartOf(d) : d), stablehlo: hloOp("stablehlo.abs") },
);
export const [expP, exp] = defineUnary("exp", "float", (g, _, y) => mul(g, y), "exp", { complex: true, stablehlo: hloOp("stablehlo.exponential") });
// StableHLO: exp(x·ln 2), as JAX lowers exp2
export const [exp2P, exp2] = defineUnary("exp2", "float", (g, _, y) => mul(g, mul(y, Math.LN2)), "exp2", { stablehlo: (ctx, [x]) => [ctx.b.op1("stablehlo.exponential", [binop(ctx, "stablehlo.multiply", x, full(ctx, Math.LN2, x.shape, x.dtype))], x.type)] });
export const [logP, log] = defineUnary("log", "float", (g, [x]) => div(g, x), "log", { complex: true, stablehlo: hloOp("stablehlo.log") });
export const [log1pP, log1p] = defineUnary("log1p", "float", (g, [x]) => div(g, add(x, 1)), "log1p", { complex: true, stablehlo: hloOp("stablehlo.log_plus_one") });
export const [expm1P, expm1] = defineUnary("expm1", "float", (g, _, y) => mul(g, add(y, 1)), "expm1", { complex: true, stablehlo: hloOp("stablehlo.exponential_minus_one") });
export const [sinP, sin] = defineUnary("sin", "float", (g, [x]) => mul(g, cos(x)), "sin", { complex: true, stablehlo: hloOp("stablehlo.sine") });
export const [cosP, cos] = defineUnary("cos", "float", (g, [x]) => neg(mul(g, sin(x))), "cos", { complex: true, stablehlo: hloOp("stablehlo.cosine") });
export const [tanP, tan] = defineUnary("tan", "float", (g, _, y) => mul(g, add(1, square(y))), "tan", { complex: true, stablehlo: hloOp("stablehlo.tan") });
export const [asinP, asin] = defineUnary("asin", "float", (g, [x]) => mul(g, rsqrt(sub(1, square(x)))), "asin", { complex: true, stablehlo: hloOp("chlo.asin") });
export const [acosP, acos] = defineUnary("acos", "float", (g, [x]) => neg(mul(g, rsqrt(sub(1, square(x))))), "acos", { complex: true, stablehlo: hloOp("chlo.acos") });
export const [atanP, atan] = defineUnary("atan", "float", (g, [x]) => div(g, add(1, square(x))), "atan", { complex: true, stablehlo: hloOp("chlo.atan") });
export const [sinhP, sinh] = defineUnary("sinh", "float", (g, [x]) => mul(g, cosh(x)), "sinh", { complex: true, stablehlo: hloOp("chlo.sinh") });
export const [coshP, cosh] = defineUnary("cosh", "float", (g, [x]) => mul(g, sinh(x)), "cosh", { complex: true, stablehlo: hloOp("chlo.cosh") });
export const [tanhP, tanh] = defineUnary("tanh", "float", (g, _, y) => mul(g, sub(1, square(y))), "tanh", { complex: true, stablehlo: hloOp("stablehlo.tanh") });
export const [asinhP, asinh] = defineUnary("asinh", "float", (g, [x]) => mul(g, rsqrt(add(square(x), 1))), "asinh", { complex: true, stablehlo: hloOp("chlo.asinh") });
// x² − 1 as JAX writes it (the domain is x ≥ 1): at x = −1 it is +0, so the derivative is +inf as JAX's
export const [acoshP, acosh] = defineUnary("acosh", "float", (g, [x]) => mul(g, rsqrt(sub(square(x), 1))), "acosh", { complex: true, stablehlo: hloOp("chlo.acosh") });
export const [atanhP, atanh] = defineUnary("atanh", "float", (g, [x]) => div(g, sub(1, square(x))), "atanh", { complex: true, stablehlo: hloOp("chlo.atanh") });
export const [logisticP, logistic] = defineUnary("logistic", "float", (g, _, y) => mul(g, mul(y, sub(1, y))), "logistic", { complex: true, stablehlo: hloOp("stablehlo.logistic") });
export const [sqrtP, sqrt] = defineUnary("sqrt", "float", (g, _, y) => div(g, mul(y, 2)), "sqrt", { complex: true, stablehlo: hloOp("stablehlo.sqrt") });
export const [rsqrtP, rsqrt] = defineUnary("rsqrt", "float", (g, [x], y) => mul(g, mul(div(y, x), -0.5)), "rsqrt", { complex: true, stablehlo: hloOp("stablehlo.rsqrt") });
export const [cbrtP, cbrt] = defineUnary("cbrt", "float", (g, _, y) => mul(g, div(1 / 3, square(y))), "cbrt", { stablehlo: hloOp("stablehlo.cbrt") });
export const [squareP, square] = defineUnary("square", "numeric", (g, [x]) => mul(g, mul(x, 2)), "square", { complex: true, stablehlo: (ctx, [x]) => [binop(ctx, x.dtype === "bool" ? "stablehlo.and" : "stablehlo.multiply", x, x)] });
export const [reciprocalP, reciprocal] = defineUnary("reciprocal", "float", (g, _, y) => neg(mul(g, square(y))), "reciprocal", { complex: true, stablehlo: (ctx, [x]) => [binop(ctx, "stablehlo.divide", full(ctx, 1, x.shape, x.dtype), x)] });
export const [erfP, erf] = defineUnary("erf", "float", (g, [x]) => mul(g, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI))), "erf", { stablehlo: hloOp("chlo.erf") });
export const [erfInvP, erfInv] = defineUnary("erf_inv", "float", (g, _, y) => mul(g, mul(exp(square(y)), Math.sqrt(Math.PI) / 2)), "erf_inv", { stablehlo: hloOp("chlo.erf_inv") });
export const [notP, not] = defineUnary("not", "integral", undefined, "not", { stablehlo: hloOp("stablehlo.not") });

/** lax.round: `"awayFromZero"` (lax's default) or `"toNearestEven"` (NumPy's). */
export const roundP = defineElementwise<{ method: "awayFromZero" | "toNearestEven" }>("round", {
  params: { method: ["awayFromZero", "toNearestEven"] },
  complexUndefined: true,
  dtypes: "float",
  scalar: ([x], p) => (p.method === "toNearestEven" ? roundEvenExpr(x) : unary("round", x)),
  stablehlo: (ctx, [x], p) => [ctx.b.op1(p.method === "toNearestEven" ? "stablehlo.round_nearest_even" : "stablehlo.round_nearest_afz", [x], x.type)],
});
function roundEvenExpr(x: Expr): Expr {
  // round half away from zero; a tie that landed on an odd number takes the neighbour towards
  // zero instead, which is x truncated: floor for x ≥ 0, ceil for x < 0. Truncation keeps x's
  // sign (-0.5 → -0, as NumPy), where arithmetic on the rounded value would give +0 and a
  // select on "result == 0" may be folded by a shader compiler that ignores signed zeros.
  const r = unary("round", x);
  const half = binary("eq", unary("abs", binary("sub", x, unary("floor", x))), constant(0.5, x.dtype), "bool");
  const odd = binary("ne", binary("rem", r, constant(2, x.dtype)), constant(0, x.dtype), "bool");
  const tie = binary("and", half, odd, "bool");
  const truncated: Expr = { kind: "select", which: binary("lt", x, constant(0, x.dtype), "bool"), cases: [unary("floor", x), unary("ceil", x)], dtype: x.dtype };
  return { kind: "select", which: tie, cases: [r, truncated], dtype: x.dtype };
}
/**
 * @example
 * lax.round(np.array([0.5, 2.5]), "toNearestEven"); // [0, 2]
 */
export function round(x: ArrayLike, method: "awayFromZero" | "toNearestEven" = "awayFromZero"): Value {
  return bind1(roundP, [asValue(x, "float32")], { method });
}

export const integerPowP = defineElementwise<{ y: number }>("integer_pow", {
  params: { y: "int" },
  complex: true,
  dtypes: "numeric",
  scalar: ([x], p, d) => ({ kind: "ipow", arg: x, exponent: p.y, dtype: d }),
  jvp: [(g, [x], _y, p: { y: number }) => (p.y === 0 ? mul(g, 0) : mul(g, mul(integerPow(x, p.y - 1), p.y)))],
  // x^y by repeated squaring (a negative y is the reciprocal), as JAX's integer_pow
  stablehlo: (ctx, [x], p) => [integerPower(ctx, x, p.y)],
});
/**
 * @example
 * lax.integerPow(np.array([2, 3]), 3); // [8, 27]
 */
export function integerPow(x: ArrayLike, y: number): Value {
  if (typeof y !== "number" || !Number.isSafeInteger(y)) throw new DTypeError(`lax.integerPow: the exponent must be an integer, got ${describe(y)}; use lax.pow`);
  return bind1(integerPowP, [asValue(x, "float32")], { y });
}

// ---- binary -------------------------------------------------------------------------

const bin = (op: BinaryOp) => ([x, y]: Expr[], _p: Params, d: DType) => binary(op, x, y, d);
type Undef = import("./primitive.js").UndefinedPrimal;

function defineBinary(name: string, dtypes: DTypeClass, jvp?: (JvpTerm | null)[], op: BinaryOp = name as BinaryOp, extra: Partial<ElementwiseSpec<Params>> = {}) {
  const prim = defineElementwise(name, { dtypes, scalar: bin(op), jvp, ...extra, params: {} });
  return [prim, (x: ArrayLike, y: ArrayLike): Value => bind1(prim, operands([x, y]), {})] as const;
}

const ctFor = (args: (Value | Undef)[], ...cts: (() => Value)[]): MaybeZero[] =>
  args.map((a, i) => (isUndefined(a) ? unbroadcast(cts[i](), a.aval) : new Zero((a as Value).aval)));

export const [addP, add] = defineBinary("add", "numeric", [(g) => g, (g) => g], "add", {
  stablehlo: hloOp("stablehlo.add"),
  simplify: { leftIdentity: 0, rightIdentity: 0 },
  transpose: (ct, args) => ctFor(args, () => ct, () => ct),
  complex: true,
});
export const [subP, sub] = defineBinary("sub", "numeric", [(g) => g, (g) => neg(g)], "sub", {
  stablehlo: hloOp("stablehlo.subtract"),
  simplify: { rightIdentity: 0 },
  transpose: (ct, args) => ctFor(args, () => ct, () => neg(ct)),
  complex: true,
});
export const [mulP, mul] = defineBinary("mul", "any", [(g, [, y]) => mul(g, y), (g, [x]) => mul(x, g)], "mul", {
  stablehlo: logicOr("stablehlo.multiply", "stablehlo.and"),
  simplify: { leftIdentity: 1, rightIdentity: 1 },
  transpose: (ct, [x, y]) => ctFor([x, y], () => mul(ct, y as Value), () => mul(x as Value, ct)),
  complex: true,
});
export const [divP, div] = defineBinary("div", "numeric", [(g, [, y]) => div(g, y), (g, [, y], out) => neg(mul(g, div(out, y)))], "div", {
  stablehlo: hloOp("stablehlo.divide"),
  simplify: { rightIdentity: 1 },
  transpose: (ct, [x, y]) => {
    if (isUndefined(y)) throw new Error("div is linear only in its numerator");
    return ctFor([x, y], () => div(ct, y as Value), () => ct);
  },
  complex: true,
});
export const [remP, rem] = defineBinary("rem", "numeric", [
  (g) => g,
  (g, [x, y]) => neg(mul(g, mul(sign(div(x, y)), floor(abs(div(x, y)))))),
], "rem", { complexUndefined: true, stablehlo: hloOp("stablehlo.remainder") });
export const [powP, pow] = defineBinary("pow", "numeric", [
  // as JAX: a float exponent gives y·x^(y-1) as is (NaN at x = 0, y = 0: 0·0^-1); only an
  // integer exponent zeroes the y = 0 case
  (g, [x, y]) => mul(g, isInexact(y.dtype) ? mul(y, pow(x, sub(y, 1))) : select(eq(y, 0), zerosOf(y.aval), mul(y, pow(x, sub(y, 1))))),
  (g, [x], out) => mul(g, mul(select(eq(x, 0), zerosOf(x.aval), log(x)), out)),
], "pow", { complex: true, stablehlo: hloOp("stablehlo.power") });
// max/min split the gradient evenly at ties, as JAX
const tieSplit = (winner: (a: Value, b: Value) => Value) => (g: Value, a: Value, b: Value) =>
  mul(g, add(convert(winner(a, b), g.dtype), mul(convert(eq(a, b), g.dtype), 0.5)));
export const [maxP] = defineBinary("max", "any", [(g, [x, y]) => tieSplit(gt)(g, x, y), (g, [x, y]) => tieSplit(gt)(g, y, x)], "max", { stablehlo: logicOr("stablehlo.maximum", "stablehlo.or") });
export const [minP] = defineBinary("min", "any", [(g, [x, y]) => tieSplit(lt)(g, x, y), (g, [x, y]) => tieSplit(lt)(g, y, x)], "min", { stablehlo: logicOr("stablehlo.minimum", "stablehlo.and") });
/**
 * The elementwise maximum (NaN propagates); complex operands are ordered lexicographically on (re, im), as JAX.
 * @example
 * lax.max(np.array([1, 5]), np.array([3, 2])); // [3, 5]
 */
export function max(x: ArrayLike, y: ArrayLike): Value {
  const [a, b] = operands([x, y]);
  if ((isComplexDType(a.dtype) || isComplexDType(b.dtype)) && a.dtype === b.dtype && complexHooks.max) return complexHooks.max(a, b);
  return bind1(maxP, [a, b], {});
}
/**
 * The elementwise minimum (NaN propagates); complex operands are ordered lexicographically on (re, im), as JAX.
 * @example
 * lax.min(np.array([1, 5]), np.array([3, 2])); // [1, 2]
 */
export function min(x: ArrayLike, y: ArrayLike): Value {
  const [a, b] = operands([x, y]);
  if ((isComplexDType(a.dtype) || isComplexDType(b.dtype)) && a.dtype === b.dtype && complexHooks.min) return complexHooks.min(a, b);
  return bind1(minP, [a, b], {});
}
export const [atan2P, atan2] = defineBinary("atan2", "float", [
  (g, [x, y]) => mul(g, div(y, add(square(x), square(y)))),
  (g, [x, y]) => neg(mul(g, div(x, add(square(x), square(y))))),
], "atan2", { complexUndefined: true, stablehlo: hloOp("stablehlo.atan2") });
export const [nextafterP, nextafter] = defineBinary("nextafter", "float", undefined, "nextafter", { complexUndefined: true, stablehlo: hloOp("chlo.next_after") });

// ordering is not defined on complex values (JAX raises): a DTypeError
const cmp = (name: string) => defineBinary(name, "any", undefined, name as BinaryOp, { outDtype: () => "bool", complexUndefined: true, stablehlo: compareRule(name) });
export const [eqP, eq] = defineBinary("eq", "any", undefined, "eq", { outDtype: () => "bool", complex: true, stablehlo: compareRule("eq") });
export const [neP, ne] = defineBinary("ne", "any", undefined, "ne", { outDtype: () => "bool", complex: true, stablehlo: compareRule("ne") });
export const [ltP, lt] = cmp("lt");
export const [leP, le] = cmp("le");
export const [gtP, gt] = cmp("gt");
export const [geP, ge] = cmp("ge");
export const [andP, and] = defineBinary("and", "integral", undefined, "and", { stablehlo: hloOp("stablehlo.and") });
export const [orP, or] = defineBinary("or", "integral", undefined, "or", { stablehlo: hloOp("stablehlo.or") });
export const [xorP, xor] = defineBinary("xor", "integral", undefined, "xor", { stablehlo: hloOp("stablehlo.xor") });

// ---- select_n, clamp, convert_element_type -------------------------------------------------

/** select_n(which, ...cases): `cases[which]` elementwise; `which` is bool (2 cases) or int32. */
export const selectNP: Primitive<Params> = defineElementwise("select_n", {
  params: {},
  complex: true,
  dtypes: "any",
  checked: (avals) => avals.slice(1),
  scalar: ([which, ...cases], _p, d) => ({ kind: "select", which, cases, dtype: d }),
  stablehlo: (ctx, [which, ...cases], _p, _a, [out]) => {
    const cs = cases.map((c) => broadcast(ctx, c, out.shape));
    const w = broadcast(ctx, which, out.shape);
    if (w.dtype === "bool") return [hloSelect(ctx, w, cs[1], cs[0])];
    // cases[which]: the last case whose index `which` reaches (JAX clamps the selector the same way)
    let r = cs[0];
    for (let i = 1; i < cs.length; i++) r = hloSelect(ctx, compare(ctx, "GE", w, full(ctx, i, out.shape, "int32")), cs[i], r);
    return [r];
  },
  abstractEval([which, ...cases], _p, standard) {
    if (which.dtype !== "bool" && which.dtype !== "int32") {
      throw new DTypeError(`lax.selectN: the selector must be bool or int32, got ${which.dtype}`);
    }
    if (which.dtype === "bool" && cases.length !== 2) {
      throw new DTypeError(`lax.selectN: a bool selector needs exactly 2 cases, got ${cases.length}`);
    }
    return new ShapedArray(standard.shape, standard.dtype, cases.every((a) => a.weakType));
  },
  // the tangent is the same selection among the cases' tangents
  jvpRule(primals, tangents, params) {
    const out = bind1(selectNP, primals, params);
    const ts = tangents.slice(1);
    if (ts.every(isZero)) return [[out], [new Zero(out.aval.strong())]];
    return [[out], [selectN(primals[0], ...ts.map((t) => fitTo(instantiate(t), out.aval)))]];
  },
  transpose: (ct, [which, ...cases]) => {
    if (isUndefined(which)) throw new Error("select_n is not linear in its predicate");
    const z = zerosOf(ct.aval);
    return [
      new Zero((which as Value).aval),
      ...cases.map((c, i) =>
        isUndefined(c) ? unbroadcast(selectN(which as Value, ...cases.map((_, j) => (j === i ? ct : z))), c.aval) : new Zero((c as Value).aval),
      ),
    ];
  },
});
/**
 * @example
 * lax.selectN(np.array([0, 2], { dtype: "int32" }), np.zeros([2]), np.ones([2]), np.full([2], 2)); // [0, 2]
 */
export function selectN(which: ArrayLike, ...cases: ArrayLike[]): Value {
  if (cases.length === 0) throw new ShapeError("lax.selectN: needs at least one case after `which`");
  const cs = operands(cases);
  return bind1(selectNP, [asValue(which, "bool"), ...cs], {});
}
/** `where`-style select: onTrue where pred, else onFalse.
 * @example
 * lax.select(np.array([true, false]), np.ones([2]), np.zeros([2])); // [1, 0]
 */
export function select(pred: ArrayLike, onTrue: ArrayLike, onFalse: ArrayLike): Value {
  return selectN(pred, onFalse, onTrue);
}

/** clamp(lo, x, hi), with lo and hi scalars or x's shape. */
export const clampP = defineElementwise("clamp", {
  params: {},
  dtypes: "numeric",
  scalar: ([lo, x, hi], _p, d) => binary("min", binary("max", x, lo, d), hi, d),
  stablehlo: (ctx, [lo, x, hi], _p, _a, [out]) => [
    ctx.b.op1("stablehlo.clamp", [broadcast(ctx, lo, out.shape), broadcast(ctx, x, out.shape), broadcast(ctx, hi, out.shape)], hloType(out.shape, out.dtype)),
  ],
  jvp: [
    (g, [lo, x, hi]) => select(and(gt(lo, x), lt(lo, hi)), g, zerosOf(g.aval)),
    // strictly inside, as JAX: at x = lo or x = hi no argument gets the gradient
    (g, [lo, x, hi]) => select(and(gt(x, lo), lt(x, hi)), g, zerosOf(g.aval)),
    (g, [, x, hi]) => select(lt(hi, x), g, zerosOf(g.aval)),
  ],
});
/**
 * @example
 * lax.clamp(0, np.array([-1, 0.5, 2]), 1); // [0, 0.5, 1]
 */
export function clamp(lo: ArrayLike, x: ArrayLike, hi: ArrayLike): Value {
  const [l, v, h] = operands([x, lo, hi]).map((_, i, a) => a[[1, 0, 2][i]]);
  return bind1(clampP, [l, v, h], {});
}

export const convertP = defineElementwise<{ newDtype: DType; weakType: boolean }>("convert_element_type", {
  params: { newDtype: "dtype", weakType: "bool" },
  dtypes: "any",
  scalar: ([x], p) => cast(x, p.newDtype),
  // to bool: x != 0, as JAX
  stablehlo: (ctx, [x], _p, _a, [out]) => {
    if (out.dtype === "bool" && x.dtype !== "bool") return [compare(ctx, "NE", x, full(ctx, 0, x.shape, x.dtype))];
    if (out.dtype === x.dtype) return [x];
    return [ctx.b.op1("stablehlo.convert", [x], hloType(out.shape, out.dtype))];
  },
  outDtype: (_d, p) => p.newDtype,
  simplify: { identityOnSameType: true },
  // complex ↔ real: real → complex is x + 0j, complex → real the real part (as JAX), both linear
  complex: true,
  jvp: [(g, _x, out) => (isInexact(out.dtype) && isInexact(g.dtype) ? convert(g, out.dtype) : new Zero(out.aval.strong()))],
  transpose: (ct, [x]) => [convert(ct, (x as Undef).aval.dtype)],
  abstractEval: ([x], p) => new ShapedArray(x.shape, p.newDtype, p.weakType),
});
/**
 * @example
 * lax.convert(np.array([1.7, -1.7]), "int32"); // [1, -1]
 */
export function convert(x: ArrayLike, newDtype: DType, weakType = false): Value {
  newDtype = checkDType(newDtype, "lax.convert");
  if (typeof weakType !== "boolean") throw new DTypeError(`lax.convert: weakType must be true or false, got ${describe(weakType)}`);
  const v = asValue(x, newDtype);
  if (v.dtype === newDtype && v.weakType === weakType) return v;
  return bind1(convertP, [v], { newDtype, weakType });
}
/** JAX's name for `convert`. */
export const convertElementType = convert;

export function dtypeName(d: DType) {
  return shortName[d];
}
