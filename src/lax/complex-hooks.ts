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
} = {};
