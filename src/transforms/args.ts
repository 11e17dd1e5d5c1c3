/** Turning user arguments (pytrees of arrays and numbers) into the flat values transformations work on. */
import { intsArg } from "../static-args.js";
import { ArrayMethods } from "../array-methods.js";
import { isComplexDType, isFloat } from "../dtype.js";
import { DTypeError, UnsupportedError } from "../errors.js";
import { Array } from "../array.js";
import { scalar } from "../lax/primitive.js";
import { convert } from "../lax/elementwise.js";
import { placeLikePrimals as placeOnPrimalsDevice } from "../runtime/index.js";
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
  if (x instanceof Array) {
    // a disposed array's buffer may already hold another array's values
    x.assertAlive(what);
    return x;
  }
  if (x instanceof ArrayMethods) return x as Value;
  if (isThenable(x)) throw refusePromise(x, what);
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

export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (typeof x === "object" || typeof x === "function") && x !== null && typeof (x as { then?: unknown }).then === "function";
}

/**
 * The error for a function that returned a promise (an async function) to a
 * transformation, which traces synchronously. The promise gets a handler
 * first: its body goes on after the trace has closed, fails on the dead
 * tracers, and an unhandled rejection would end a Node process.
 */
export function refusePromise(p: PromiseLike<unknown>, what: string): UnsupportedError {
  try {
    p.then(undefined, () => {});
  } catch {
    // a thenable whose `then` throws: nothing is pending, nothing to handle
  }
  return new UnsupportedError(
    `${what}: the function returned a Promise (is it async?); transformations trace a function synchronously, ` +
      `so it must compute its result without await: make it a plain function, and await the results (x.data()) outside it`,
  );
}

export function rebuild<T = unknown>(tree: TreeDef, leaves: readonly unknown[]): T {
  return unflatten(tree, leaves) as T;
}

export function normalizeArgnums(op: string, argnums: number | readonly number[] | undefined, nargs: number): number[] {
  const list = argnums === undefined ? [0] : intsArg(op, "argnums", argnums, true);
  return list.map((a) => {
    if (!Number.isInteger(a) || a < -nargs || a >= nargs) {
      throw new UnsupportedError(`${op}: argnums ${a} is out of range for a call with ${nargs} argument${nargs === 1 ? "" : "s"}`);
    }
    return a < 0 ? a + nargs : a;
  });
}

/**
 * Differentiation needs float or complex inputs: an integer input gets this error. With
 * `holomorphic`, the inputs must be complex (JAX's rule for holomorphic derivatives).
 */
export function checkDifferentiable(op: string, v: Value, where: string, holomorphic = false) {
  if (holomorphic && !isComplexDType(v.dtype)) {
    throw new DTypeError(
      `${op} with holomorphic: true needs inputs with a complex dtype, but ${where} has dtype ${v.dtype}; ` +
        `convert it with x.astype("complex64"), or drop holomorphic for real inputs`,
    );
  }
  if (!isFloat(v.dtype) && !isComplexDType(v.dtype)) {
    throw new DTypeError(
      `${op}: ${where} has dtype ${v.dtype}, but only floating-point and complex inputs can be differentiated; ` +
        `convert it with x.astype("float32"), or leave it out of argnums`,
    );
  }
}

/**
 * Derivatives live where their primals live (a placement rule: the runtime's
 * `placeLikePrimals`), and they have their primal's type, weak type included
 * (as JAX's `grad(f)(2.5)`): the update `p - lr * g` of a weakly typed
 * parameter stays weak, so a jitted training loop keeps one trace.
 */
export function placeLikePrimals(derivs: Value[], primals: readonly Value[], options: { weakType?: boolean } = {}): Value[] {
  const typed = derivs.map((d, i) => {
    const p = primals[i];
    return (options.weakType ?? true) && p.weakType && !d.weakType && d.dtype === p.dtype ? convert(d, d.dtype, true) : d;
  });
  return placeOnPrimalsDevice(typed, primals);
}
