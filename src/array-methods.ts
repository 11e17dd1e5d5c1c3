/**
 * The method surface shared by concrete Arrays and Tracers, so that user code
 * cannot tell them apart. Every method forwards to a numpy function; the
 * forwarding table is filled in by `src/numpy` when it loads (a late binding
 * that keeps the module graph free of cycles: numpy → lax → trace → here).
 */
import type { Complex, DType, TypedArray } from "./dtype.js";

/**
 * What the methods need of an abstract value. `ShapedArray` (trace/core.ts)
 * is one; naming it structurally keeps this file below the trace layer.
 */
export interface AbstractValue {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly weakType: boolean;
  readonly ndim: number;
  readonly size: number;
}

/**
 * Anything an operation accepts as an array: an Array, a Tracer, a JS number/boolean, or a
 * complex literal `{re, im}` (`np.complex(re, im)`); the literals are weakly typed, as JAX's Python scalars.
 */
export type ArrayLike = ArrayMethods | number | boolean | Complex;
/** Nested JS numbers, as `array()` returns and `np.array` takes. */
export type NestedNumbers = number | boolean | NestedNumbers[];
export type Axis = number | readonly number[] | null | undefined;
export interface ReduceOptions {
  keepdims?: boolean;
}
/** One index item of `x.get(...)`: see `ArrayMethods.get`. */
export type IndexItem = number | null | ":" | "..." | readonly [number | null, (number | null)?, (number | null)?] | ArrayMethods;

type Impl = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any
const impls: Record<string, Impl> = {};

/** Called once by `src/numpy` to provide the implementations of the methods. */
export function registerArrayMethods(table: Record<string, Impl>) {
  Object.assign(impls, table);
}
function call(name: string, ...args: unknown[]) {
  return impls[name](...args);
}

/** Functional update builder returned by `x.at(...)`, as JAX's `x.at[...]`. */
export interface AtUpdater<T> {
  get(): T;
  set(v: ArrayLike): T;
  add(v: ArrayLike): T;
  mul(v: ArrayLike): T;
  min(v: ArrayLike): T;
  max(v: ArrayLike): T;
}

export abstract class ArrayMethods {
  abstract get aval(): AbstractValue;
  get shape(): readonly number[] {
    return this.aval.shape;
  }
  get dtype(): DType {
    return this.aval.dtype;
  }
  get ndim(): number {
    return this.aval.shape.length;
  }
  get size(): number {
    return this.aval.size;
  }
  /** Whether this array came from a JS number (weakly typed, as JAX's weak_type). */
  get weakType(): boolean {
    return this.aval.weakType;
  }

  // readback: implemented by Array, refused by Tracer
  abstract data(): Promise<TypedArray>;
  abstract array(): Promise<NestedNumbers>;
  abstract item(): Promise<number>;
  abstract dataSync(): TypedArray;
  abstract arraySync(): NestedNumbers;
  abstract itemSync(): number;

  // arithmetic (NumPy broadcasting, JAX promotion)
  add(y: ArrayLike): this { return call("add", this, y); }
  sub(y: ArrayLike): this { return call("subtract", this, y); }
  mul(y: ArrayLike): this { return call("multiply", this, y); }
  div(y: ArrayLike): this { return call("divide", this, y); }
  floorDiv(y: ArrayLike): this { return call("floorDivide", this, y); }
  mod(y: ArrayLike): this { return call("mod", this, y); }
  pow(y: ArrayLike): this { return call("power", this, y); }
  maximum(y: ArrayLike): this { return call("maximum", this, y); }
  minimum(y: ArrayLike): this { return call("minimum", this, y); }
  matmul(y: ArrayLike): this { return call("matmul", this, y); }
  dot(y: ArrayLike): this { return call("dot", this, y); }
  neg(): this { return call("negative", this); }
  abs(): this { return call("abs", this); }
  sign(): this { return call("sign", this); }
  exp(): this { return call("exp", this); }
  log(): this { return call("log", this); }
  sqrt(): this { return call("sqrt", this); }
  square(): this { return call("square", this); }
  sin(): this { return call("sin", this); }
  cos(): this { return call("cos", this); }
  tanh(): this { return call("tanh", this); }
  floor(): this { return call("floor", this); }
  ceil(): this { return call("ceil", this); }
  round(): this { return call("round", this); }
  reciprocal(): this { return call("reciprocal", this); }
  clip(min?: ArrayLike | null, max?: ArrayLike | null): this { return call("clip", this, min, max); }

  // comparisons and logic
  eq(y: ArrayLike): this { return call("equal", this, y); }
  ne(y: ArrayLike): this { return call("notEqual", this, y); }
  lt(y: ArrayLike): this { return call("less", this, y); }
  le(y: ArrayLike): this { return call("lessEqual", this, y); }
  gt(y: ArrayLike): this { return call("greater", this, y); }
  ge(y: ArrayLike): this { return call("greaterEqual", this, y); }
  and(y: ArrayLike): this { return call("logicalAnd", this, y); }
  or(y: ArrayLike): this { return call("logicalOr", this, y); }
  not(): this { return call("logicalNot", this); }

  // reductions
  sum(axis?: Axis, opts?: ReduceOptions): this { return call("sum", this, axis, opts); }
  mean(axis?: Axis, opts?: ReduceOptions): this { return call("mean", this, axis, opts); }
  max(axis?: Axis, opts?: ReduceOptions): this { return call("max", this, axis, opts); }
  min(axis?: Axis, opts?: ReduceOptions): this { return call("min", this, axis, opts); }
  prod(axis?: Axis, opts?: ReduceOptions): this { return call("prod", this, axis, opts); }
  var(axis?: Axis, opts?: ReduceOptions & { ddof?: number }): this { return call("var", this, axis, opts); }
  std(axis?: Axis, opts?: ReduceOptions & { ddof?: number }): this { return call("std", this, axis, opts); }
  argmax(axis?: number, opts?: ReduceOptions): this { return call("argmax", this, axis, opts); }
  argmin(axis?: number, opts?: ReduceOptions): this { return call("argmin", this, axis, opts); }
  cumsum(axis?: number): this { return call("cumsum", this, axis); }

  // shape
  reshape(shape: readonly number[]): this { return call("reshape", this, shape); }
  transpose(perm?: readonly number[]): this { return call("transpose", this, perm); }
  get T(): this { return call("transpose", this); }
  flatten(): this { return call("ravel", this); }
  ravel(): this { return call("ravel", this); }
  squeeze(axis?: Axis): this { return call("squeeze", this, axis); }
  expandDims(axis: number | readonly number[]): this { return call("expandDims", this, axis); }
  broadcastTo(shape: readonly number[]): this { return call("broadcastTo", this, shape); }
  astype(dtype: DType): this { return call("astype", this, dtype); }

  /**
   * NumPy indexing: a number drops an axis, `[start, stop?, step?]` slices
   * (negatives count from the end), `":"` keeps an axis, `"..."` fills, `null`
   * adds an axis, an integer Array gathers (out-of-range entries clamp, as
   * JAX's), a boolean Array selects its trues (outside jit/vmap only: the
   * result's shape depends on its values). `x.get(":", 0)` is `x[:, 0]`.
   * @example np.arange(6).reshape([2, 3]).get(1, [0, 2]) // Array([3, 4], dtype=float32)
   */
  get(...index: IndexItem[]): this { return call("getItem", this, index); }
  /**
   * Functional updates, as JAX's `x.at[...]`: `x.at(0).set(5)` returns a new array.
   * Repeated indices combine every update; out-of-range ones are dropped.
   */
  at(...index: IndexItem[]): AtUpdater<this> { return call("at", this, index); }
}
