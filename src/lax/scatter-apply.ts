/**
 * `scatterApply`: applies an elementwise function to the entries of an array
 * at some indices (JAX's `lax.scatter_apply`, behind `x.at[i].apply(f)`). As in
 * XLA's scatter, an entry named k times gets the function k times. Written
 * over existing primitives: the multiplicity of every entry is a scatter-add
 * of ones, then a loop with static bounds applies `func` where the count is
 * still above the step, so grad, vmap and jit come from those primitives
 * (JAX itself has no jvp for scatter_apply).
 */
import type { ArrayLike } from "../array-methods.js";
import { ArgumentError } from "../errors.js";
import { functionArg, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { foriLoop } from "./control-flow/while.js";
import * as E from "./elementwise.js";
import { convert, operandArg } from "./elementwise.js";
import type { ScatterOptions } from "./indexing.js";
import { gather, scatterAdd } from "./indexing.js";
import { broadcastInDim } from "./shape.js";

export interface ScatterApplyOptions extends ScatterOptions {
  /** The indices name each entry at most once: `func` runs once instead of once per possible repeat. */
  uniqueIndices?: boolean;
  /** Accepted for JAX's signature. */
  indicesAreSorted?: boolean;
}

/**
 * `operand` with `func` applied to the entries that `indices` names along
 * `axis` (jaxon's scatter layout: as `lax.scatterAdd`), once per mention;
 * out-of-range indices are dropped (or clamped with `mode: "clip"`). `func`
 * must be elementwise (it is applied to whole arrays and selected).
 * @example
 * lax.scatterApply(np.arange(5), np.array([0, 0, 2], { dtype: "int32" }), (v: Value) => v.mul(2).add(1), { axis: 0 });
 * // [3, 1, 5, 3, 4]
 */
export function scatterApply(operand: ArrayLike, indices: ArrayLike, func: (x: Value) => Value, options: ScatterApplyOptions): Value {
  const op = "lax.scatterApply";
  const x = operandArg(op, operand);
  const idx = operandArg(op, indices);
  functionArg(op, "func", func);
  const o = optionsArg(op, options);
  if (o === undefined || o === null || typeof o.axis !== "number") throw new ArgumentError(`${op}: options.axis (the indexed axis) is required`);
  const { uniqueIndices, indicesAreSorted: _sorted, ...scatterOptions } = o;
  const ones = broadcastInDim(convert(1, "int32"), x.shape, []);
  const updates = gather(ones, idx, { axis: o.axis, batchDims: o.batchDims });
  const counts = scatterAdd(E.mul(ones, 0), idx, updates, scatterOptions);
  const repeats = uniqueIndices ? 1 : idx.size;
  const once = (y: Value) => {
    const out = operandArg(op, func(y));
    return out.dtype === y.dtype ? out : convert(out, y.dtype);
  };
  return foriLoop(0, repeats, (j, y: Value) => E.select(E.gt(counts, j), once(y), y), x);
}
