/**
 * JAX's configuration context managers as scope functions: `debugNans`,
 * `debugInfs` (checks of every eager and jitted result), and
 * `defaultMatmulPrecision` (accepted; jaxon has one precision). Each runs a
 * function with the setting changed and restores it afterwards, even when
 * the function throws; a function that returns a promise keeps the setting
 * until the promise settles. The global switches are `jitConfig.debugNans`
 * and `jitConfig.debugInfs` (JAX's `jax_debug_nans`, `jax_debug_infs`).
 */
import { ArgumentError } from "../errors.js";
import { debugChecks, settleChecks } from "../runtime/debug-checks.js";
import { describe, functionArg } from "../static-args.js";
import { isThenable } from "./args.js";

/** Runs `fn` with `debugChecks[flag] = on`; a promise's scope ends when it settles, after the checks queued meanwhile have been looked at. */
function checkScope<T>(op: string, flag: "nans" | "infs", onOrFn: boolean | (() => T), maybeFn?: () => T): T {
  const [on, fn] = typeof onOrFn === "function" ? [true, onOrFn] : [onOrFn, maybeFn];
  if (typeof on !== "boolean") throw new ArgumentError(`${op}: the first argument must be true or false (or the function itself, meaning true), got ${describe(on)}`);
  functionArg(op, "fn", fn);
  const before = debugChecks[flag];
  debugChecks[flag] = on;
  let async = false;
  try {
    const out = fn!();
    if (isThenable(out)) {
      async = true;
      return Promise.resolve(out)
        .then(async (v) => {
          await settleChecks();
          return v;
        })
        .finally(() => {
          debugChecks[flag] = before;
        }) as T;
    }
    return out;
  } finally {
    if (!async) debugChecks[flag] = before;
  }
}

/**
 * Runs `fn` with NaN checks on (or off), as JAX's `with jax.debug_nans(True):`.
 * While on, every primitive's result is checked: a NaN raises a
 * `FloatingPointError` whose `primitive` names the primitive that produced
 * it. A jitted function's result is checked as a whole, and when it holds a
 * NaN the function is run again op by op to find the primitive (as JAX
 * does); on a device that reads asynchronously (WebGPU) jitted functions run
 * op by op while the check is on, and a failure is raised by the next
 * asynchronous read of any array (`await x.data()`), or rejects the promise
 * `fn` returned. Off by default; `jitConfig.debugNans = true` turns it on
 * everywhere. `debugNans(fn)` means `debugNans(true, fn)`.
 * @example
 * import { debugNans, FloatingPointError, jit, np } from "jaxon-ts";
 * const f = jit((x) => np.log(x).mul(2));
 * try {
 *   debugNans(true, () => f(np.array([1, -1])));
 * } catch (e) {
 *   (e as FloatingPointError).primitive; // "log"
 * }
 */
export function debugNans<T>(on: boolean, fn: () => T): T;
export function debugNans<T>(fn: () => T): T;
export function debugNans<T>(onOrFn: boolean | (() => T), fn?: () => T): T {
  return checkScope("debugNans", "nans", onOrFn, fn);
}

/**
 * Runs `fn` with infinity checks on (or off), as JAX's
 * `with jax.debug_infs(True):`: like `debugNans`, for +Infinity and
 * -Infinity (NaN is `debugNans`'s). `jitConfig.debugInfs = true` turns it
 * on everywhere.
 * @example
 * import { debugInfs, np } from "jaxon-ts";
 * debugInfs(true, () => np.array([1, 0]).div(np.array([0, 1]))); // throws FloatingPointError: the primitive `div` produced +Infinity …
 */
export function debugInfs<T>(on: boolean, fn: () => T): T;
export function debugInfs<T>(fn: () => T): T;
export function debugInfs<T>(onOrFn: boolean | (() => T), fn?: () => T): T {
  return checkScope("debugInfs", "infs", onOrFn, fn);
}

/** JAX's precision names for `defaultMatmulPrecision` (and `lax.Precision`'s). */
export type MatmulPrecision = "default" | "high" | "highest" | "bfloat16" | "tensorfloat32" | "float32" | "DEFAULT" | "HIGH" | "HIGHEST";
const PRECISIONS = new Set<string>(["default", "high", "highest", "bfloat16", "tensorfloat32", "float32", "DEFAULT", "HIGH", "HIGHEST"]);

/**
 * Runs `fn` with a default precision for matrix products and convolutions,
 * as JAX's `with jax.default_matmul_precision("float32"):`. jaxon multiplies
 * in the arrays' own dtype on every device (no bfloat16 or TensorFloat-32
 * passes), which is JAX's "highest": every precision is accepted and has no
 * effect, so that code written for JAX runs unchanged. An unknown name is an
 * ArgumentError.
 * @example
 * import { defaultMatmulPrecision, np } from "jaxon-ts";
 * defaultMatmulPrecision("highest", () => np.matmul(np.ones([2, 2]), np.ones([2, 2]))).arraySync(); // [[2, 2], [2, 2]]
 */
export function defaultMatmulPrecision<T>(precision: MatmulPrecision, fn: () => T): T {
  if (typeof precision !== "string" || !PRECISIONS.has(precision)) {
    throw new ArgumentError(`defaultMatmulPrecision: precision must be one of ${[...PRECISIONS].join(", ")}, got ${describe(precision)}`);
  }
  functionArg("defaultMatmulPrecision", "fn", fn);
  return fn();
}
