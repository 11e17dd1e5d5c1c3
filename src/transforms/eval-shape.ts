/**
 * evalShape: the shapes and dtypes a function would return, found by tracing
 * it (as JAX's `jax.eval_shape`), without running any of its work.
 */
import { ArrayMethods } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { checkDType } from "../dtype.js";
import { ArgumentError } from "../errors.js";
import { checkShapeNumbers, describe, functionArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { currentTrace, inScope, ShapedArray } from "../trace/core.js";
import { flatten, unflatten } from "../trace/pytree.js";
import { StagingTrace } from "../trace/staging.js";
import { flattenArgs } from "./args.js";
import { flattenFun } from "./flat.js";
import { vjp } from "./linearize.js";
import { zerosOf } from "../lax/elementwise.js";

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A shape and a dtype standing for an array (JAX's `jax.ShapeDtypeStruct`): what evalShape returns, and accepts as arguments. */
export class ShapeDtypeStruct {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly weakType: boolean;
  constructor(shape: readonly number[], dtype: DType, options: { weakType?: boolean } = {}) {
    const op = "ShapeDtypeStruct";
    if (!Array.isArray(shape)) throw new ArgumentError(`${op}: shape must be a JS array of sizes, got ${describe(shape)}`);
    checkShapeNumbers(op, shape);
    this.shape = Object.freeze([...shape]);
    this.dtype = checkDType(dtype, op);
    const weak = options?.weakType ?? false;
    if (typeof weak !== "boolean") throw new ArgumentError(`${op}: weakType must be true or false, got ${describe(weak)}`);
    this.weakType = weak;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  toString(): string {
    return `ShapeDtypeStruct(shape=[${this.shape.join(", ")}], dtype=${this.dtype}${this.weakType ? ", weakType=true" : ""})`;
  }
}

/**
 * The shapes and dtypes `f(...args)` would return, as a pytree of
 * ShapeDtypeStructs, found by tracing `f` once: no kernel of `f` runs.
 * Arguments may be arrays, numbers or ShapeDtypeStructs.
 * @example
 * import { evalShape, np, ShapeDtypeStruct } from "jaxon-ts";
 * const out = evalShape((x) => np.matmul(x, x.T), new ShapeDtypeStruct([3, 4], "float32"));
 * out.shape; // [3, 3]
 */
export function evalShape<F extends Fn>(f: F, ...args: unknown[]): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  functionArg("evalShape", "f", f);
  const [rawLeaves, tree] = flatten(args);
  const avals = rawLeaves.map((l) => {
    if (l instanceof ShapeDtypeStruct) return new ShapedArray(l.shape, l.dtype, l.weakType);
    if (l instanceof ArrayMethods) return (l as Value).aval;
    return flattenArgs([l], "evalShape")[0][0].aval;
  });
  const trace = new StagingTrace(currentTrace(), "evalShape");
  const fun = flattenFun(f, tree, "evalShape output");
  let outs: Value[] = [];
  inScope(trace, () => {
    const ins = avals.map((a) => trace.newArg(a));
    outs = fun.flat(...ins);
  });
  const structs = outs.map((o) => new ShapeDtypeStruct(o.shape, o.dtype, { weakType: o.aval.weakType }));
  trace.build(outs);
  return unflatten(fun.outTree(), structs);
}

/**
 * The abstract value of `x`: its shape, dtype and weak type as a ShapedArray
 * (JAX's `jax.typeof`; a JS number is a weakly typed float32 scalar).
 * @example
 * import { np, typeOf } from "jaxon-ts";
 * String(typeOf(np.ones([2, 3]))); // "f32[2,3]"
 */
export function typeOf(x: unknown): ShapedArray {
  if (x instanceof ShapeDtypeStruct) return new ShapedArray(x.shape, x.dtype, x.weakType);
  if (!(x instanceof ArrayMethods) && typeof x !== "number" && typeof x !== "boolean") {
    throw new ArgumentError(`typeOf: expected an array, a number or a ShapeDtypeStruct, got ${describe(x)}`);
  }
  return flattenArgs([x], "typeOf")[0][0].aval;
}

/**
 * The transpose of a linear function `f` at arguments of the types of
 * `primals` (arrays or ShapeDtypeStructs; their values are not used), as
 * `jax.linear_transpose`: the returned function maps a cotangent of `f`'s
 * output to the cotangents of its arguments, one per argument. `f` must be
 * linear: jaxon transposes its derivative at zero, which for a non-linear
 * function is not its transpose (JAX fails on one).
 * @example
 * import { linearTranspose, np } from "jaxon-ts";
 * const t = linearTranspose((x, y) => x.mul(2).add(y.sum()), np.ones([3]), np.ones([2]));
 * t(np.array([1, 2, 3])); // [[2, 4, 6], [6, 6]]
 */
export function linearTranspose<F extends Fn>(f: F, ...primals: unknown[]): (ct: unknown) => unknown[] {
  functionArg("linearTranspose", "f", f);
  const [rawLeaves, tree] = flatten(primals);
  const avals = rawLeaves.map((l) => typeOf(l));
  return (ct: unknown) => {
    const zeros = avals.map((a) => zerosOf(new ShapedArray(a.shape, a.dtype, a.weakType)));
    const [, pullback] = vjp(f, ...(unflatten(tree, zeros) as Parameters<F>));
    return pullback(ct) as unknown[];
  };
}
