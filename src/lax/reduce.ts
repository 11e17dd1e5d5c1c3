/**
 * Reductions: reduce_sum, reduce_max, reduce_min, reduce_prod (kernels with a
 * reduction over the innermost loop axes), and argmax/argmin (a routine).
 */
import { configState } from "../config-state.js";
import type { Lowering } from "../backend/device.js";
import { load, type ReduceOp } from "../backend/kernel.js";
import type { DType } from "../dtype.js";
import { checkDType, isComplexDType } from "../dtype.js";
import { complexHooks } from "./complex-hooks.js";
import { intArg, intsArg } from "../static-args.js";
import { DTypeError, ShapeError } from "../errors.js";
import { contiguousStrides, fmtShape, sizeOf } from "../shape.js";
import type { Primitive, Value } from "../trace/core.js";
import { bind1, definePrimitive, isZero, lowersToStablehlo, ShapedArray, Zero } from "./primitive.js";
import { attr, type HloValue } from "../backend/stablehlo.js";
import { combinerOf, compare, full, hloType, identityOf, reduce as reduceHlo, select as hloSelect } from "./stablehlo-ops.js";
import { convert, div, eq, mul, operandArg } from "./elementwise.js";
import { broadcastInDim, reshape, transpose } from "./shape.js";
import { cumulativeExclusiveProducts } from "./cumulative.js";

type AxesParams = { axes: number[] };
const kept = (ndim: number, axes: number[]) => Array.from({ length: ndim }, (_, i) => i).filter((i) => !axes.includes(i));

function checkAxes(name: string, x: ShapedArray, axes: number[]) {
  if (axes.some((a) => !Number.isInteger(a) || a < 0 || a >= x.ndim) || new Set(axes).size !== axes.length) {
    throw new ShapeError(`lax.${name}: axes ${JSON.stringify(axes)} are invalid for shape ${fmtShape(x.shape)}`);
  }
}

/** The reduction kernel: kept axes outermost (in order), reduced axes innermost. */
function reduceLowering(op: ReduceOp, x: ShapedArray, axes: number[], out: ShapedArray): Lowering {
  const s = contiguousStrides(x.shape);
  const order = [...kept(x.ndim, axes), ...axes];
  return {
    kind: "kernel",
    kernel: {
      loopShape: order.map((i) => x.shape[i]),
      inputs: [{ dtype: x.dtype, view: { strides: order.map((i) => s[i]), offset: 0 } }],
      expr: load(0, x.dtype),
      reduce: { op, axes: axes.length },
      dtype: out.dtype,
    },
  };
}

function batchAxes(fn: (x: Value, axes: number[]) => Value) {
  return ([x]: Value[], [b]: (number | null)[], { axes }: AxesParams): [Value[], (number | null)[]] => {
    const phys = axes.map((a) => (a < b! ? a : a + 1));
    const outB = b! - axes.filter((a) => a < b!).length;
    return [[fn(x, phys)], [outB]];
  };
}

/**
 * JAX's `jax_allow_f16_reductions=False` (the scope `allowF16Reductions`):
 * a half-precision sum over an axis longer than 1 is refused. Checked in the
 * abstract eval (staged sums, transposes) and by `lax.reduceSum` itself,
 * since an eager call whose signature is cached skips the abstract eval.
 */
function checkF16Sum(x: { dtype: string; shape: readonly number[] }, axes: readonly number[]): void {
  if (x.dtype !== "float16" || configState.allowF16Reductions || axes.every((a) => x.shape[a] === 1)) return;
  throw new DTypeError(
    `lax.reduce_sum: summing the float16 operand f16[${x.shape.join(",")}] over axes [${axes.join(", ")}] is not allowed inside allowF16Reductions(false); ` +
      `convert it to float32 first (x.astype("float32")), or use np.sum, which accumulates in float32`,
  );
}

function defineReduce(name: string, op: ReduceOp, jvp: (x: Value, t: Value, out: Value, axes: number[]) => Value, transpose?: boolean) {
  const prim: Primitive<AxesParams> = definePrimitive<AxesParams>(name, {
  params: { axes: "ints" },
    // sums of complex values are sums of their parts (src/backend/kernel-complex.ts)
    complex: op === "sum",
    abstractEval([x], { axes }) {
      checkAxes(name, x, axes);
      if (op === "sum") checkF16Sum(x, axes);
      // an empty axis reduces to the identity, as in JAX: ∓inf for floats, the dtype's least/greatest
      // integer, false/true for bools (np.max refuses empty axes itself, as NumPy)
      return [new ShapedArray(kept(x.ndim, axes).map((i) => x.shape[i]), x.dtype, x.weakType)];
    },
    lower: ([x], { axes }, [out]) => reduceLowering(op, x, axes, out),
    fusion: { kind: "reduce", op, axes: (p) => p.axes },
    jvp([x], [t], { axes }) {
      const out = bind1(prim, [x], { axes });
      return [[out], [isZero(t) ? new Zero(out.aval.strong()) : jvp(x, t, out, axes)]];
    },
    transpose: transpose
      ? ([ct], [x], { axes }) => {
          if (isZero(ct)) return [ct];
          const shape = (x as { aval: ShapedArray }).aval.shape;
          return [broadcastInDim(ct, shape, kept(shape.length, axes))];
        }
      : undefined,
    batch: batchAxes((x, axes) => bind1(prim, [x], { axes })),
  });
  return prim;
}

const keepBroadcast = (out: Value, x: Value, axes: number[]) => broadcastInDim(out, x.shape, kept(x.ndim, axes));

export const reduceSumP = defineReduce("reduce_sum", "sum", (_x, t, _o, axes) => reduceSum(t, axes), true);

// max/min: the tangent is the mean of the tangents at the locations of the extreme (ties split evenly)
const extremeJvp = (x: Value, t: Value, out: Value, axes: number[]) => {
  const where = convert(eq(x, keepBroadcast(out, x, axes)), t.dtype);
  return div(reduceSum(mul(t, where), axes), reduceSum(where, axes));
};
export const reduceMaxP = defineReduce("reduce_max", "max", extremeJvp);
export const reduceMinP = defineReduce("reduce_min", "min", extremeJvp);

// prod: Σ t_i · Π_{j≠i} x_j, with the products of the others from exclusive scans (exact with zeros)
export const reduceProdP = defineReduce("reduce_prod", "prod", (x, t, _o, axes) => {
  const others = productsOfOthers(x, axes);
  return reduceSum(mul(t, others), axes);
});
function productsOfOthers(x: Value, axes: number[]): Value {
  const rest = kept(x.ndim, axes);
  const perm = [...rest, ...axes];
  const flat = reshape(transpose(x, perm), [...rest.map((i) => x.shape[i]), sizeOf(axes.map((i) => x.shape[i]))]);
  const others = cumulativeExclusiveProducts(flat, flat.ndim - 1);
  const back = reshape(others, perm.map((i) => x.shape[i]));
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return transpose(back, inv);
}

const reducer = (prim: typeof reduceSumP) => (x: Value, axes: readonly number[]): Value => {
  const op = `lax.${prim.name}`;
  x = operandArg(op, x);
  const list = intsArg(op, "axes", axes);
  if (list.length === 0) return x;
  list.sort((a, b) => a - b);
  if (prim === reduceSumP) checkF16Sum(x, list);
  // a complex product is a tree of complex multiplies (src/lax/complex-reduce.ts)
  if (isComplexDType(x.dtype) && prim === reduceProdP && complexHooks.reduceProd) {
    checkAxes(prim.name, x.aval, list);
    return complexHooks.reduceProd(x, list);
  }
  // complex max/min: lexicographic on (re, im), as JAX (src/lax/complex-order.ts)
  if (isComplexDType(x.dtype) && (prim === reduceMaxP || prim === reduceMinP)) {
    const hook = prim === reduceMaxP ? complexHooks.reduceMax : complexHooks.reduceMin;
    if (hook) {
      checkAxes(prim.name, x.aval, list);
      return hook(x, list);
    }
  }
  return bind1(prim, [x], { axes: list });
};
/**
 * Sum over the given axes.
 * @example
 * lax.reduceSum(np.ones([2, 3]), [1]); // [3, 3]
 */
export const reduceSum = reducer(reduceSumP);
/**
 * Maximum over the given axes (NaN propagates).
 * @example
 * lax.reduceMax(np.array([[1, 5], [7, 2]]), [0]); // [7, 5]
 */
export const reduceMax = reducer(reduceMaxP);
/**
 * Minimum over the given axes (NaN propagates).
 * @example
 * lax.reduceMin(np.array([[1, 5], [7, 2]]), [1]); // [1, 2]
 */
export const reduceMin = reducer(reduceMinP);
/**
 * Product over the given axes; its gradient is exact when elements are zero.
 * @example
 * lax.reduceProd(np.array([2, 3, 4]), [0]); // 24
 */
export const reduceProd = reducer(reduceProdP);

// ---- argmax / argmin ---------------------------------------------------------------------

type ArgParams = { axis: number; indexDtype: DType };
function defineArg(name: string, op: "max" | "min") {
  const prim: Primitive<ArgParams> = definePrimitive<ArgParams>(name, {
  params: { axis: "int", indexDtype: "dtype" },
    // JAX's argmax/argmin reject complex operands (a TypeError): a DTypeError
    complexUndefined: true,
    abstractEval([x], { axis, indexDtype }) {
      checkAxes(name, x, [axis]);
      if (x.shape[axis] === 0) throw new ShapeError(`lax.${name}: axis ${axis} of shape ${fmtShape(x.shape)} is empty; there is no ${op}`);
      if (indexDtype !== "int32") throw new DTypeError(`lax.${name}: indexDtype must be int32, got ${indexDtype}`);
      return [new ShapedArray(x.shape.filter((_, i) => i !== axis), indexDtype)];
    },
    lower: ([x], { axis }) => ({
      kind: "routine",
      routine: "argreduce",
      params: { op, outer: sizeOf(x.shape.slice(0, axis)), n: x.shape[axis], inner: sizeOf(x.shape.slice(axis + 1)) },
    }),
    jvp([x], _t, params) {
      const out = bind1(prim, [x], params);
      return [[out], [new Zero(out.aval)]];
    },
    batch: ([x], [b], p) => [[bind1(prim, [x], { ...p, axis: p.axis < b! ? p.axis : p.axis + 1 })], [p.axis < b! ? b! - 1 : b!]],
  });
  return prim;
}
export const argmaxP = defineArg("argmax", "max");
export const argminP = defineArg("argmin", "min");
/**
 * Index of the first maximum along `axis` (a NaN counts as the maximum), int32.
 * @example
 * lax.argmax(np.array([1, 9, 9]), 0); // 1
 */
export const argmax = (x: Value, axis: number, indexDtype: DType = "int32") =>
  bind1(argmaxP, [operandArg("lax.argmax", x)], { axis: intArg("lax.argmax", "axis", axis), indexDtype: checkDType(indexDtype, "lax.argmax") });
/**
 * Index of the first minimum along `axis`, int32.
 * @example
 * lax.argmin(np.array([4, 1, 1]), 0); // 1
 */
export const argmin = (x: Value, axis: number, indexDtype: DType = "int32") =>
  bind1(argminP, [operandArg("lax.argmin", x)], { axis: intArg("lax.argmin", "axis", axis), indexDtype: checkDType(indexDtype, "lax.argmin") });


// ---- StableHLO lowerings (exportStableHLO) ---------------------------------------------------

for (const [prim, op] of [[reduceSumP, "sum"], [reduceMaxP, "max"], [reduceMinP, "min"], [reduceProdP, "prod"]] as const) {
  lowersToStablehlo(prim, (ctx, [x], { axes }) => {
    const init = full(ctx, identityOf(op, x.dtype), [], x.dtype);
    return reduceHlo(ctx, [x], [init], axes, ([a], [b]) => [ctx.b.op1(combinerOf(op, x.dtype), [a, b], a.type)]);
  });
}
// the argmax/argmin reducer, symmetric in its two sides (XLA may combine partial
// results in any order): a NaN wins, and of equal values (NaNs included) the first index
for (const [prim, dir] of [[argmaxP, "GT"], [argminP, "LT"]] as const) {
  lowersToStablehlo(prim, (ctx, [x], { axis }) => {
    const index = ctx.b.op1("stablehlo.iota", [], hloType(x.shape, "int32"), { iota_dimension: attr.int(axis) });
    const inits = [full(ctx, identityOf(dir === "GT" ? "max" : "min", x.dtype), [], x.dtype), full(ctx, 0, [], "int32")];
    return reduceHlo(ctx, [x, index], inits, [axis], ([av, ai], [bv, bi]) => {
      const or = (p: HloValue, q: HloValue) => ctx.b.op1("stablehlo.or", [p, q], p.type);
      const and = (p: HloValue, q: HloValue) => ctx.b.op1("stablehlo.and", [p, q], p.type);
      const not = (p: HloValue) => ctx.b.op1("stablehlo.not", [p], p.type);
      const [aNaN, bNaN] = [compare(ctx, "NE", av, av), compare(ctx, "NE", bv, bv)];
      const tie = or(compare(ctx, "EQ", av, bv), and(aNaN, bNaN));
      const pickB = or(or(and(bNaN, not(aNaN)), compare(ctx, dir, bv, av)), and(tie, compare(ctx, "LT", bi, ai)));
      return [hloSelect(ctx, pickB, bv, av), hloSelect(ctx, pickB, bi, ai)];
    }).slice(1);
  });
}
