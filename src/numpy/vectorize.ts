/**
 * Lifting functions over array axes with vmap, as JAX's: vectorize (NumPy's
 * generalized-ufunc `signature`, loop axes broadcast), applyAlongAxis and
 * applyOverAxes. No Python-style loops: each loop axis is one vmap, so the
 * result traces, differentiates and jits like any other np function.
 */
import { ArgumentError, ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import { describe, functionArg, intsArg, optionsArg } from "../static-args.js";
import { broadcastShapes } from "../shape.js";
import { vmap } from "../transforms/vmap.js";
import type { ArrayLike, Value } from "./util.js";
import { asValue, axisOf, broadcastValue, isValue, range } from "./util.js";

/** The core dimension names of each input and output of a signature such as "(m,n),(n)->(m)". */
function parseSignature(op: string, signature: string): { inputs: string[][]; outputs: string[][] } {
  const arg = "\\(\\s*(?:\\w+\\s*(?:,\\s*\\w+\\s*)*)?\\)";
  const list = `${arg}(?:\\s*,\\s*${arg})*`;
  if (!new RegExp(`^\\s*${list}\\s*->\\s*${list}\\s*$`).test(signature)) {
    throw new ArgumentError(`${op}: signature must look like "(m,n),(n)->(m)", got ${JSON.stringify(signature)}`);
  }
  const parse = (side: string) => [...side.matchAll(/\(([^)]*)\)/g)].map((m) => m[1].split(",").map((s) => s.trim()).filter((s) => s.length > 0));
  const [ins, outs] = signature.split("->");
  return { inputs: parse(ins), outputs: parse(outs) };
}

export interface VectorizeOptions {
  /** Positions of arguments passed through unchanged (not arrays, or not looped over). */
  excluded?: readonly number[];
  /** NumPy's generalized-ufunc signature, e.g. "(n),(n)->()" for a dot product; default: every input is a scalar. */
  signature?: string | null;
}

/**
 * `fn` lifted to arrays: the loop axes (all axes, or those before the core
 * axes of `signature`) are broadcast across the arguments and vmapped, as
 * `jnp.vectorize`.
 * @example
 * const dot = np.vectorize((a: Value, b: Value) => np.sum(a.mul(b)), { signature: "(n),(n)->()" });
 * dot(np.ones([4, 3]), np.array([1, 2, 3])); // [6, 6, 6, 6]
 */
export function vectorize<A extends unknown[], R extends Value | Value[]>(fn: (...args: A) => R, options: VectorizeOptions = {}): (...args: { [K in keyof A]: A[K] extends Value ? ArrayLike : A[K] }) => R {
  const op = "np.vectorize";
  functionArg(op, "fn", fn);
  options = optionsArg(op, options);
  const excluded = new Set(options.excluded ?? []);
  const sig = options.signature ? parseSignature(op, options.signature) : null;
  return (...args: unknown[]): R => {
    const looped = range(args.length).filter((i) => !excluded.has(i));
    if (sig && sig.inputs.length !== looped.length) {
      throw new ArgumentError(`${op}: the signature ${JSON.stringify(options.signature)} has ${sig.inputs.length} inputs, got ${looped.length} array arguments`);
    }
    const values = looped.map((i) => asValue(args[i] as ArrayLike, op));
    const sizes = new Map<string, number>();
    const cores = values.map((v, k) => {
      const core = sig ? sig.inputs[k] : [];
      if (v.ndim < core.length) throw new ShapeError(`${op}: argument ${looped[k]} of shape [${v.shape.join(", ")}] has fewer axes than its core dimensions (${core.join(", ")})`);
      core.forEach((name, j) => {
        const d = v.shape[v.ndim - core.length + j];
        const seen = sizes.get(name);
        if (seen !== undefined && seen !== d) throw new ShapeError(`${op}: core dimension ${name} is ${seen} in one argument and ${d} in another`);
        sizes.set(name, d);
      });
      return core.length;
    });
    const loopShape = broadcastShapes(op, ...values.map((v, k) => v.shape.slice(0, v.ndim - cores[k])));
    const broadcast = values.map((v, k) => broadcastValue(op, v, [...loopShape, ...v.shape.slice(v.ndim - cores[k])]));
    const inner = (...vs: Value[]): R => {
      const full = [...args];
      looped.forEach((i, k) => (full[i] = vs[k]));
      return fn(...(full as A));
    };
    let f = inner as (...vs: Value[]) => R;
    for (let i = 0; i < loopShape.length; i++) f = vmap(f) as typeof f;
    return f(...broadcast);
  };
}

/**
 * `func1d` applied to the 1-d slices of `arr` along `axis`; the result's
 * axes replace that axis, as `jnp.apply_along_axis` (vmaps, no loop).
 * @example np.applyAlongAxis((r: Value) => np.sum(r.mul(r)), 1, np.array([[1, 2], [3, 4]])); // [5, 25]
 */
export function applyAlongAxis<A extends unknown[]>(func1d: (slice: Value, ...args: A) => Value, axis: number, arr: ArrayLike, ...args: A): Value {
  const op = "np.applyAlongAxis";
  functionArg(op, "func1d", func1d);
  const v = asValue(arr, op);
  const ax = axisOf(op, axis, v.ndim);
  let f = (a: Value) => func1d(a, ...args);
  for (let i = 1; i < v.ndim - ax; i++) f = vmap(f, { inAxes: i, outAxes: -1 }) as typeof f;
  for (let i = 0; i < ax; i++) f = vmap(f, { inAxes: 0, outAxes: 0 }) as typeof f;
  return f(v);
}

/**
 * `func(a, axis)` applied over each of `axes` in turn, keeping the reduced
 * axes (as size 1), as `jnp.apply_over_axes`.
 * @example np.applyOverAxes(np.sum, np.ones([2, 3, 4]), [0, 2]).shape; // [1, 3, 1]
 */
export function applyOverAxes(func: (a: Value, axis: number) => Value, a: ArrayLike, axes: number | readonly number[]): Value {
  const op = "np.applyOverAxes";
  functionArg(op, "func", func);
  let v = asValue(a, op);
  for (const axis of intsArg(op, "axes", axes, true)) {
    const b = func(v, axis);
    if (!isValue(b)) throw new ArgumentError(`${op}: func must return an array, got ${describe(b)}`);
    if (b.ndim === v.ndim) v = b;
    else if (b.ndim === v.ndim - 1) v = lax.expandDims(b, [axisOf(op, axis, v.ndim)]);
    else throw new ShapeError(`${op}: func must keep the number of axes or remove one, got shape [${b.shape.join(", ")}] from [${v.shape.join(", ")}]`);
  }
  return v;
}
