/** Turning user arguments (pytrees of arrays and numbers) into the flat values transformations work on. */
import { ArrayMethods } from "../array-methods.js";
import { isFloat } from "../dtype.js";
import { DTypeError, UnsupportedError } from "../errors.js";
import { Array } from "../array.js";
import { onDevice, scalar } from "../lax/primitive.js";
import type { Value } from "../trace/core.js";
import { flatten, unflatten, type TreeDef } from "../trace/pytree.js";

/** A function's parameters, where JS numbers are accepted in place of arrays (as JAX takes Python scalars). */
export type Lifted<A extends readonly unknown[]> = { [K in keyof A]: A[K] extends ArrayMethods ? A[K] | number : A[K] };

/**
 * A leaf as a value: arrays stay, JS numbers become weakly typed float32
 * scalars, or with `jsInts` integers in int32's range weakly typed int32 ones
 * (jit: as JAX traces a Python int as a weak int32; the differentiating
 * transforms keep float32, since JS cannot tell 3 from 3.0).
 */
export function leafToValue(x: unknown, what: string, jsInts = false): Value {
  if (x instanceof ArrayMethods) return x as Value;
  if (typeof x === "number") {
    if (jsInts && Number.isInteger(x) && x >= -2147483648 && x <= 2147483647) return scalar(x, "int32", true);
    return scalar(x, "float32", true);
  }
  if (typeof x === "boolean") return scalar(x ? 1 : 0, "bool", true);
  throw new UnsupportedError(`${what}: expected arrays or numbers as leaves, got ${x === null ? "null" : typeof x}`);
}

/** Flattens a list of arguments into values, with the tree to rebuild them. */
export function flattenArgs(args: readonly unknown[], what: string, jsInts = false): [Value[], TreeDef] {
  const [leaves, tree] = flatten(args);
  return [leaves.map((l) => leafToValue(l, what, jsInts)), tree];
}

export function rebuild<T = unknown>(tree: TreeDef, leaves: readonly unknown[]): T {
  return unflatten(tree, leaves) as T;
}

export function normalizeArgnums(op: string, argnums: number | readonly number[] | undefined, nargs: number): number[] {
  const list = argnums === undefined ? [0] : typeof argnums === "number" ? [argnums] : [...argnums];
  return list.map((a) => {
    if (!Number.isInteger(a) || a < -nargs || a >= nargs) {
      throw new UnsupportedError(`${op}: argnums ${a} is out of range for a call with ${nargs} argument${nargs === 1 ? "" : "s"}`);
    }
    return a < 0 ? a + nargs : a;
  });
}

/** Differentiation needs float inputs: an integer input gets this error. */
export function checkDifferentiable(op: string, v: Value, where: string) {
  if (!isFloat(v.dtype)) {
    throw new DTypeError(
      `${op}: ${where} has dtype ${v.dtype}, but only floating-point inputs can be differentiated; ` +
        `convert it with x.astype("float32"), or leave it out of argnums`,
    );
  }
}

/**
 * Derivatives live where their primals live: a tangent or cotangent that came
 * out uncommitted (computed only from constants, e.g. the gradient of a mean)
 * is placed on the device of its committed primal and committed there, as
 * JAX does; otherwise it would land on the default device, away from the data.
 */
export function placeLikePrimals(derivs: Value[], primals: readonly Value[]): Value[] {
  return derivs.map((d, i) => {
    const p = primals[i];
    if (!(d instanceof Array) || !(p instanceof Array) || !p.committed || d.committed) return d;
    const placed = d.backend === p.backend ? d : onDevice(d, p.backend);
    placed.committed = true;
    return placed;
  });
}
