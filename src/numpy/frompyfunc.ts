/**
 * `np.frompyfunc`: a function of scalars made into a ufunc-like function of
 * arrays, as JAX's `jnp.frompyfunc` (a `jnp.ufunc`): called on arrays it
 * broadcasts them and vmaps the function over every element; two-input,
 * one-output ones also reduce, accumulate (with `lax.scan`) and take outer
 * products.
 */
import { ArgumentError, ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import { scan } from "../lax/control-flow/index.js";
import { functionArg, intArg, optionsArg } from "../static-args.js";
import { expandDims, moveaxis, reshape, squeeze } from "./shape.js";
import type { ArrayLike, Value } from "./util.js";
import { asValue, axisOf, broadcastValue, range } from "./util.js";
import { vectorize } from "./vectorize.js";

/** Options of a ufunc's `reduce`. */
export interface UfuncReduceOptions {
  /** The axis to reduce (default 0); `null` flattens first. */
  axis?: number | null;
  /** Keep the reduced axis with length 1. */
  keepdims?: boolean;
  /** The value the reduction starts from (the ufunc's identity otherwise, else the first element). */
  initial?: number;
}

/** What `np.frompyfunc` returns: callable on arrays, with NumPy's ufunc attributes and methods. */
export interface Ufunc {
  (...args: ArrayLike[]): Value | Value[];
  readonly nin: number;
  readonly nout: number;
  readonly nargs: number;
  readonly identity: number | null;
  /** `f` over every pair of elements: the result's shape is `a.shape` then `b.shape` (two-input ufuncs). */
  outer(a: ArrayLike, b: ArrayLike): Value;
  /** Folds `f` along an axis: `f(f(x0, x1), x2)…` (two-input, one-output ufuncs). */
  reduce(x: ArrayLike, options?: UfuncReduceOptions): Value;
  /** The running fold along an axis (default 0): `[x0, f(x0, x1), …]`. */
  accumulate(x: ArrayLike, options?: { axis?: number }): Value;
}

/**
 * A ufunc from a function of scalars, as JAX's `jnp.frompyfunc(func, nin,
 * nout, identity=)`: called with `nin` arrays it broadcasts them and applies
 * `f` to every element (vmapped, so `f` is traced once and works under jit
 * and grad); with `nout > 1`, `f` returns an array of outputs and so does the
 * ufunc. Two-input, one-output ufuncs add `reduce`, `accumulate` and `outer`.
 * @example
 * import { numpy as np, type Value } from "jaxon-ts";
 * const f = np.frompyfunc((a: Value, b: Value) => a.mul(b).add(1), 2, 1, { identity: 5 });
 * (f(np.array([1, 2, 3]), 2) as Value).arraySync(); // [3, 5, 7]
 * f.reduce(np.array([1, 2, 3])).arraySync(); // 40: ((5·1+1)·2+1)·3+1, from the identity
 * f.accumulate(np.array([1, 2, 3])).arraySync(); // [1, 3, 10]
 * f.outer(np.array([1, 2]), np.array([1, 2, 3])).arraySync(); // [[2, 3, 4], [3, 5, 7]]
 */
export function frompyfunc(f: (...args: Value[]) => Value | Value[], nin: number, nout: number, options: { identity?: number | null } = {}): Ufunc {
  const op = "np.frompyfunc";
  functionArg(op, "f", f);
  nin = intArg(op, "nin", nin);
  nout = intArg(op, "nout", nout);
  if (nin < 1 || nout < 1) throw new ArgumentError(`${op}: nin and nout must be at least 1, got nin=${nin}, nout=${nout}`);
  const identity = optionsArg(op, options).identity ?? null;
  const name = f.name || "<function>";
  const checked = (...xs: Value[]): Value | Value[] => {
    const out = f(...xs);
    if (nout === 1) return out;
    if (!Array.isArray(out) || out.length !== nout) throw new ShapeError(`${op}: ${name} must return ${nout} outputs (nout), got ${Array.isArray(out) ? out.length : "one"}`);
    return out;
  };
  const vectorized = vectorize(checked as (...args: Value[]) => Value | Value[]) as (...args: ArrayLike[]) => Value | Value[];
  const call = (...args: ArrayLike[]): Value | Value[] => {
    if (args.length !== nin) throw new ArgumentError(`${op}: the ufunc ${name} takes ${nin} argument${nin === 1 ? "" : "s"} (nin), got ${args.length}`);
    return vectorized(...args);
  };
  const binary = (method: string) => {
    if (nin !== 2 || nout !== 1) throw new ArgumentError(`ufunc ${name}.${method} needs a function of two inputs and one output, this one has nin=${nin}, nout=${nout}`);
    return (a: Value, b: Value) => call(a, b) as Value;
  };
  const ufunc = call as Ufunc;
  Object.defineProperties(ufunc, {
    nin: { value: nin },
    nout: { value: nout },
    nargs: { value: nin }, // as JAX's ufunc (NumPy's counts the outputs too)
    identity: { value: identity },
  });
  ufunc.outer = (a, b) => {
    const g = binary("outer");
    const av = asValue(a, `${name}.outer`);
    const bv = asValue(b, `${name}.outer`);
    const shape = [...av.shape, ...bv.shape];
    const aFull = broadcastValue(`${name}.outer`, reshape(av, [...av.shape, ...bv.shape.map(() => 1)]), shape);
    return g(aFull, bv);
  };
  ufunc.accumulate = (x, o = {}) => {
    const g = binary("accumulate");
    const v = asValue(x, `${name}.accumulate`);
    if (v.ndim === 0) throw new ShapeError(`ufunc ${name}.accumulate needs at least one axis, got a scalar`);
    const axis = axisOf(`${name}.accumulate`, optionsArg(`${name}.accumulate`, o).axis ?? 0, v.ndim);
    const moved = moveaxis(v, axis, 0);
    const first = lax.sliceInDim(moved, 0, 1, 1, 0);
    const rest = lax.sliceInDim(moved, 1, moved.shape[0], 1, 0);
    const [, ys] = scan((carry: Value, xi: Value) => {
      const next = g(carry, xi);
      return [next, next];
    }, squeeze(first, 0), rest);
    return moveaxis(lax.concatenate([first, ys as Value], 0), 0, axis);
  };
  ufunc.reduce = (x, o = {}) => {
    const g = binary("reduce");
    const opts = optionsArg(`${name}.reduce`, o);
    let v = asValue(x, `${name}.reduce`);
    let axis: number;
    if (opts.axis === null) {
      v = reshape(v, [v.size]);
      axis = 0;
    } else {
      if (v.ndim === 0) throw new ShapeError(`ufunc ${name}.reduce needs at least one axis, got a scalar`);
      axis = axisOf(`${name}.reduce`, opts.axis ?? 0, v.ndim);
    }
    const moved = moveaxis(v, axis, 0);
    const start = opts.initial ?? identity;
    const sliceShape = moved.shape.slice(1);
    let init: Value;
    let xs: Value;
    if (start !== null) {
      init = broadcastValue(`${name}.reduce`, asValue(start).astype(v.dtype), sliceShape);
      xs = moved;
    } else {
      if (moved.shape[0] === 0) throw new ShapeError(`ufunc ${name}.reduce of an empty axis needs an initial value or an identity`);
      init = squeeze(lax.sliceInDim(moved, 0, 1, 1, 0), 0);
      xs = lax.sliceInDim(moved, 1, moved.shape[0], 1, 0);
    }
    const [out] = scan((carry: Value, xi: Value) => [g(carry, xi), null], init, xs);
    const result = out as Value;
    if (!opts.keepdims) return result;
    return opts.axis === null ? reshape(result, range(asValue(x).ndim).map(() => 1)) : expandDims(result, axis);
  };
  return ufunc;
}
