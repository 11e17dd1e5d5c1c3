/**
 * Reading the values of an argument whose values decide a result's shape
 * (np.nonzero, np.unique, np.bincount without `length`): they must be
 * concrete, as in JAX, where such functions take a static `size` under jit.
 * Internal: not re-exported from `src/numpy/index.ts`.
 */
import { Array as JArray } from "../array.js";
import { BackendError, ConcretizationError } from "../errors.js";
import { Tracer } from "../trace/core.js";
import { hostValues } from "../runtime/index.js";
import type { Value } from "./util.js";

/**
 * The host values of `x`, or a ConcretizationError naming `op`, the argument
 * and the fix (`fix`, e.g. "pass a static size: np.nonzero(x, { size: 3 })").
 */
export function concreteValues(op: string, name: string, x: Value, fix: string): ArrayLike<number> {
  if (x instanceof Tracer) {
    throw new ConcretizationError(
      `${op}: ${name} ${x.aval} is traced by ${x.trace.transform}, so its values are not known yet, and the shape of the ` +
        `result depends on them. ${fix}`,
    );
  }
  const a = x as JArray;
  if (a.backend.syncReadable) return a.dataSync();
  const host = hostValues(a);
  if (host) return host;
  throw new BackendError(
    `${op}: ${name} ${a.aval} is on ${a.device}, which cannot be read synchronously, and the shape of the result depends on ` +
      `its values; ${fix}, or bring it to the host first with devicePutAsync(x, "cpu")`,
  );
}
