/** Operand handling shared by the scipy modules (internal). */
import type { ArrayLike } from "../array-methods.js";
import * as np from "../numpy/index.js";
import { broadcastForLax, promoteInexact } from "../numpy/util.js";
import type { Value } from "../trace/core.js";

/** The operands of an elementwise function: promoted to one float dtype and broadcast. */
export function floats(op: string, ...xs: ArrayLike[]): Value[] {
  return broadcastForLax(op, promoteInexact(op, xs));
}

/** Operands promoted to one float dtype, not broadcast (for functions with core dimensions). */
export function promoteFloat(op: string, ...xs: ArrayLike[]): Value[] {
  return promoteInexact(op, xs);
}

/** `v` where `cond`, else the constant `c` (in `v`'s dtype). */
export function whereConst(cond: Value, v: Value, c: number): Value {
  return np.where(cond, v, np.full(v.shape, c, { dtype: v.dtype }));
}
