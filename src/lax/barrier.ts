/**
 * optimization_barrier: the identity on any number of values that keeps the
 * compiler from moving work across it (JAX's `lax.optimization_barrier`).
 * jaxon runs it as buffer aliases; its rules are JAX's: the tangents and the
 * cotangents pass through barriers of their own, batching keeps the axes.
 */
import { flatten, unflatten } from "../trace/pytree.js";
import type { Primitive, Value } from "../trace/core.js";
import { bind, theRuntime } from "../trace/core.js";
import { operandArg } from "./elementwise.js";
import { definePrimitive, isZero, lowersToStablehlo } from "./primitive.js";
import type { MaybeZero } from "../trace/core.js";

/** A barrier over the non-zero values among `xs` (zeros stay symbolic). */
function barrierOver(xs: MaybeZero[]): MaybeZero[] {
  const live = xs.map((x, i) => [x, i] as const).filter(([x]) => !isZero(x));
  if (live.length === 0) return xs;
  const outs = bind(optimizationBarrierP, live.map(([x]) => x as Value), {});
  const res = [...xs];
  live.forEach(([, i], k) => (res[i] = outs[k]));
  return res;
}

export const optimizationBarrierP: Primitive = definePrimitive("optimization_barrier", {
  params: {},
  abstractEval: (avals) => avals,
  impl: (args) => args.map((a) => theRuntime().alias(a)),
  jvp: (primals, tangents) => [bind(optimizationBarrierP, primals, {}), barrierOver(tangents)],
  transpose: (cts) => barrierOver(cts),
  batch: (args, dims) => [bind(optimizationBarrierP, args, {}), dims],
});

/**
 * The identity on a pytree of arrays, as a barrier the compiler does not
 * move work across (JAX's `lax.optimization_barrier`): for example to keep a
 * rematerialized computation from being merged with the original.
 * @example
 * const [a, b] = lax.optimizationBarrier([np.array(1), np.array(2)]); // 1, 2
 */
export function optimizationBarrier<T>(operand: T): T {
  const [leaves, tree] = flatten<unknown>(operand);
  const xs = leaves.map((l) => operandArg("lax.optimizationBarrier", l));
  if (xs.length === 0) return operand;
  return unflatten(tree, bind(optimizationBarrierP, xs, {})) as T;
}

lowersToStablehlo(optimizationBarrierP, (ctx, args) => ctx.b.op("stablehlo.optimization_barrier", args, args.map((a) => a.type)));
