/**
 * `np.fromiter`: a 1-d array from a JS iterable (an array, a Set, a
 * generator), as NumPy's `np.fromiter(iter, dtype, count)`. JAX refuses it
 * (`jnp.fromiter` raises NotImplementedError) because consuming an iterator
 * is a side effect a traced function would run once; here it is eager, host
 * data made into a constant, the same as `np.array([...iterable])`.
 */
import { ArgumentError, ShapeError } from "../errors.js";
import type { DType } from "../dtype.js";
import { describe, intArg, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { array } from "./creation.js";

/** Options of `np.fromiter`. */
export interface FromiterOptions {
  /** The array's dtype (float32 by default). */
  dtype?: DType;
  /** How many items to read (-1, the default: all); an iterable with fewer is a ShapeError, as NumPy's "iterator too short". */
  count?: number;
}

/**
 * A 1-d array of the numbers (or booleans) an iterable yields, as NumPy's
 * `np.fromiter`; `count` reads only that many (a generator is not run further).
 * @example
 * import { numpy as np } from "jaxon-ts";
 * function* squares() { for (let i = 0; ; i++) yield i * i; }
 * np.fromiter(squares(), { dtype: "int32", count: 5 }).arraySync(); // [0, 1, 4, 9, 16]
 * np.fromiter(new Set([1, 2, 2, 3])).arraySync(); // [1, 2, 3]
 */
export function fromiter(iterable: Iterable<number | boolean>, options: FromiterOptions = {}): Value {
  const op = "np.fromiter";
  if (iterable === null || typeof (iterable as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== "function") {
    throw new ArgumentError(`${op}: the first argument must be iterable (an array, a Set, a generator), got ${describe(iterable)}`);
  }
  const o = optionsArg(op, options);
  const count = o.count === undefined ? -1 : intArg(op, "count", o.count);
  if (count < -1) throw new ShapeError(`${op}: count must be -1 (all items) or a non-negative number, got ${count}`);
  const items: (number | boolean)[] = [];
  if (count !== 0) {
    for (const item of iterable) {
      if (typeof item !== "number" && typeof item !== "boolean") throw new ArgumentError(`${op}: item ${items.length} is ${describe(item)}; the items must be numbers or booleans`);
      items.push(item);
      if (items.length === count) break;
    }
  }
  if (count > 0 && items.length < count) throw new ShapeError(`${op}: the iterable yielded ${items.length} items, fewer than count=${count}`);
  return array(items, { dtype: o.dtype ?? "float32" });
}
