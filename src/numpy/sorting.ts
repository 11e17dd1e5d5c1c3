/**
 * Sorting along an axis (stable; NaNs last), on lax.sort.
 */
import { optionsArg } from "../static-args.js";
import { ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import { argsort as laxArgsort, sort as laxSort } from "../lax/sort.js";
import type { ArrayLike, Value } from "./util.js";
import { asValue, axisOf, describe } from "./util.js";

export interface SortOptions {
  /** Largest first (default false). Equal elements keep their order in argsort. */
  descending?: boolean;
}

function prepare(op: string, x: ArrayLike, axis: number | null): [Value, number] {
  let v = asValue(x, op);
  if (axis === null) return [lax.reshape(v, [v.size]), 0];
  if (v.ndim === 0) throw new ShapeError(`${op}: cannot sort a 0-d array along axis ${describe(axis)}; pass axis null to sort it as a 1-element array`);
  v = v as Value;
  return [v, axisOf(op, axis, v.ndim)];
}

/**
 * The sorted copy of `x` along `axis` (default the last; null: flattened). NaNs sort last.
 * @example np.sort(np.array([3, 1, 2])); // [1, 2, 3]
 */
export function sort(x: ArrayLike, axis: number | null = -1, options: SortOptions = {}): Value {
  options = optionsArg("np.sort", options);
  const [v, a] = prepare("np.sort", x, axis);
  const out = laxSort(v, { dimension: a });
  return options.descending ? lax.rev(out, [a]) : out;
}

/**
 * The int32 indices that sort `x` along `axis` (stable: equal elements keep their order).
 * @example np.argsort(np.array([3, 1, 2])); // [1, 2, 0]
 */
export function argsort(x: ArrayLike, axis: number | null = -1, options: SortOptions = {}): Value {
  options = optionsArg("np.argsort", options);
  const [v, a] = prepare("np.argsort", x, axis);
  if (!options.descending) return laxArgsort(v, a);
  // stable descending: sort the reversed array, then map positions back
  const n = v.shape[a];
  const idx = lax.rev(laxArgsort(lax.rev(v, [a]), a), [a]);
  return lax.sub(lax.scalar(n - 1, "int32"), idx);
}
