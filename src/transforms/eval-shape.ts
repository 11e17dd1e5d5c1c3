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
