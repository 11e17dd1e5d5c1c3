/**
 * The complex versions of `lax.reduceProd` and `lax.cumprod`
 * (src/lax/complex-reduce.ts), which reduce.ts and cumulative.ts call for
 * complex operands. They are registered here when complex-reduce.ts loads
 * (src/lax/index.ts imports it) rather than imported by reduce.ts and
 * cumulative.ts, because those load while elementwise.ts is still loading,
 * before the complex primitives can.
 */
import type { Value } from "../trace/core.js";

export const complexHooks: {
  reduceProd?: (x: Value, axes: readonly number[]) => Value;
  cumprod?: (x: Value, axis: number, reverse: boolean) => Value;
  /** lexicographic order on (re, im), src/lax/complex-order.ts */
  max?: (x: Value, y: Value) => Value;
  min?: (x: Value, y: Value) => Value;
  reduceMax?: (x: Value, axes: readonly number[]) => Value;
  reduceMin?: (x: Value, axes: readonly number[]) => Value;
  sort?: (xs: readonly Value[], dimension: number, numKeys: number, sort: (xs: Value[], dimension: number, numKeys: number) => Value[]) => Value[];
} = {};
