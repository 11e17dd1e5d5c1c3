/**
 * The settings behind JAX's configuration scopes that change what a traced
 * function means (`numpyRankPromotion`, `numpyDtypePromotion`, `threefryPartitionable`) or whether
 * tracing and execution may happen at all (`noTracing`, `noExecution`).
 * They live here, below numpy, dtype promotion, jit and the runtime, because
 * each of those reads them; the scopes that set them are in
 * transforms/config.ts. `traceContextKey` is what jit's cache adds to a
 * call's key, so that a function traced under one setting is not reused
 * under another (JAX's "trace context").
 */

/** JAX's `jax_numpy_rank_promotion`: what NumPy broadcasting between operands of different ranks does. */
export type RankPromotion = "allow" | "warn" | "raise";
/** JAX's `jax_numpy_dtype_promotion`: "strict" allows no implicit promotion between different strong dtypes. */
export type DTypePromotion = "standard" | "strict";

export const configState = {
  rankPromotion: "allow" as RankPromotion,
  dtypePromotion: "standard" as DTypePromotion,
  /** A jitted function may not be traced (a cache miss is an error), as JAX's `jax_no_tracing`. */
  noTracing: false,
  /** Nothing may be computed on concrete arrays, as JAX's `jax_no_execution`. */
  noExecution: false,
  /** JAX's `jax_threefry_partitionable` (default true): false selects JAX's original split and random bits. */
  threefryPartitionable: true,
  /** JAX's `jax_debug_key_reuse`: a key consumed twice (split, drawn from) is a KeyReuseError. */
  debugKeyReuse: false,
  /** JAX's `jax_allow_f16_reductions` (default true): false makes lax.reduceSum of float16 over a longer axis a DTypeError. */
  allowF16Reductions: true,
};

/** The part of a jit cache key that the settings above add ("" with JAX's defaults, so keys stay as they were). */
export function traceContextKey(): string {
  const { rankPromotion, dtypePromotion, threefryPartitionable } = configState;
  let key = "";
  if (!threefryPartitionable) key += "|threefry:original";
  if (!configState.allowF16Reductions) key += "|f16sums:no";
  if (rankPromotion !== "allow") key += `|rank:${rankPromotion}`;
  if (dtypePromotion !== "standard") key += `|dtypes:${dtypePromotion}`;
  return key;
}
