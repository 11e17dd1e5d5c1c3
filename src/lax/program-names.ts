/**
 * JAX's lax names that shape a program rather than compute numbers, with
 * JAX's semantics on jaxon's single device: `dtype`, `shapeAsValue`,
 * tokens (`createToken`, `afterAll`), `composite`, `platformDependent`,
 * `withShardingConstraint`, `pcast` and `stage`. None needs a primitive: each either
 * returns its input, calls a function, or builds a small constant.
 */
import type { ArrayLike } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { checkDType } from "../dtype.js";
import { ArgumentError, ShapeError } from "../errors.js";
import { fmtShape } from "../shape.js";
import { describe, functionArg, intArg, shapeArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { Tracer, theRuntime } from "../trace/core.js";
import { flatten } from "../trace/pytree.js";
import { PartitionSpec } from "../transforms/export.js";
import { convert, operandArg } from "./elementwise.js";
import { axisFrame, axisNamesArg } from "./parallel-env.js";
import { ShapedArray } from "./primitive.js";
import { concatenate, iota, reshape } from "./shape.js";

/**
 * The dtype of a value, or of a dtype name (JAX's `lax.dtype`): JS numbers
 * are jaxon's weakly typed scalars, booleans are bool.
 * @example
 * lax.dtype(np.ones([2], { dtype: "int8" })); // "int8"
 * lax.dtype("float32"); // "float32"
 */
export function dtype(x: unknown): DType {
  if (typeof x === "string") return checkDType(x as DType, "lax.dtype");
  return operandArg("lax.dtype", x).dtype;
}

/**
 * Lifts a value into the current trace (JAX's `lax.stage`): the identity,
 * except that a JS number or nested list becomes an array (a tracer's
 * constant under a transformation).
 * @example
 * lax.stage(3).shape; // []
 */
export function stage(x: ArrayLike): Value {
  return operandArg("lax.stage", x);
}

/**
 * A shape as a 1-d int32 array (JAX's `lax.shape_as_value`).
 * @example
 * lax.shapeAsValue([2, 3]); // [2, 3] (int32)
 */
export function shapeAsValue(shape: number | readonly number[]): Value {
  const s = shapeArg("lax.shapeAsValue", shape);
  if (s.length === 0) return iota("int32", [0]);
  return concatenate(s.map((d) => reshape(convert(d, "int32"), [1])), 0);
}

/** An ordering token (JAX's `core.Token`): a value that carries no data, only the order of effects. */
export class Token {
  private readonly brand = "token";
  toString(): string {
    return "Token()";
  }
}

/**
 * A new token (JAX's `lax.create_token`; its argument is ignored, as JAX's).
 * jaxon runs effects in program order, so tokens only keep JAX code's shape.
 * @example
 * lax.createToken(); // Token()
 */
export function createToken(_?: unknown): Token {
  return new Token();
}

/**
 * A token that comes after all the given tokens (JAX's `lax.after_all`);
 * any other argument is an ArgumentError, as JAX's TypeError.
 * @example
 * lax.afterAll(lax.createToken(), lax.createToken()); // Token()
 */
export function afterAll(...tokens: Token[]): Token {
  tokens.forEach((t, i) => {
    if (!(t instanceof Token)) throw new ArgumentError(`lax.afterAll: arguments must be tokens (lax.createToken()), argument ${i} is ${describe(t)}`);
  });
  return new Token();
}

/**
 * Marks `decomposition` as a named composite operation (JAX's `lax.composite`,
 * which exports it as a `stablehlo.composite` other compilers may replace):
 * the returned function just calls `decomposition`; jaxon's StableHLO export
 * inlines it.
 * @example
 * const myTanh = lax.composite((x: Value) => np.tanh(x), "my.tanh");
 * myTanh(np.array([0.5])); // [0.46211717]
 */
export function composite<F extends (...args: never[]) => unknown>(decomposition: F, name: string, version = 0): F {
  const op = "lax.composite";
  functionArg(op, "decomposition", decomposition);
  if (typeof name !== "string" || name.length === 0) throw new ArgumentError(`${op}: name must be a non-empty string such as "my.op", got ${describe(name)}`);
  const v = intArg(op, "version", version);
  if (v < 0) throw new ArgumentError(`${op}: version must be a non-negative integer, got ${v}`);
  return ((...args: never[]) => decomposition(...args)) as F;
}

/** Branches of `platformDependent` by platform name; `default` runs where none matches. */
export interface PlatformBranches<A extends unknown[], R> {
  cpu?: (...args: A) => R;
  webgpu?: (...args: A) => R;
  default?: (...args: A) => R;
}

/** The device jaxon would run `args` on: where a concrete operand lives, else where a new constant goes (the default device). */
function currentPlatform(args: unknown[]): string {
  const [leaves] = flatten(args);
  for (const leaf of leaves) {
    if (leaf !== null && typeof leaf === "object" && !(leaf instanceof Tracer) && "device" in leaf) return String((leaf as { device: unknown }).device);
  }
  return theRuntime().constant(0, new ShapedArray([], "float32")).device;
}

/**
 * Calls the branch for the platform the computation runs on (JAX's
 * `lax.platform_dependent`): `cpu` or `webgpu` (JAX's `gpu` spelling is
 * refused, as JAX refuses it for cuda/rocm), else `default`. The platform is
 * that of the first concrete operand, else the default device; under `jit`
 * it is fixed when the function is traced.
 * @example
 * lax.platformDependent({ cpu: (x: Value) => x.add(1), default: (x: Value) => x.sub(1) }, np.array([1])); // [2] on the CPU
 */
export function platformDependent<A extends unknown[], R>(branches: PlatformBranches<A, R>, ...args: A): R {
  const op = "lax.platformDependent";
  if (typeof branches !== "object" || branches === null) throw new ArgumentError(`${op}: branches must be an object { cpu?, webgpu?, default? }, got ${describe(branches)}`);
  for (const [name, fn] of Object.entries(branches)) {
    if (name === "gpu") throw new ArgumentError(`${op}: name the branch "webgpu" (jaxon's GPU platform), not "gpu"`);
    if (name !== "cpu" && name !== "webgpu" && name !== "default") throw new ArgumentError(`${op}: unknown platform ${JSON.stringify(name)}; use cpu, webgpu or default`);
    if (typeof fn !== "function") throw new ArgumentError(`${op}: the '${name}' branch must be a function, got ${describe(fn)}`);
  }
  const platform = currentPlatform(args);
  const branch = (branches as Record<string, ((...a: A) => R) | undefined>)[platform] ?? branches.default;
  if (branch === undefined) throw new ArgumentError(`${op}: no branch for platform ${platform} and no default branch`);
  return branch(...args);
}

/**
 * Constrains the layout of `x` (a pytree) to `shardings` (JAX's
 * `lax.with_sharding_constraint`): a PartitionSpec (or null: replicated) for
 * every leaf, or a tree of them matching `x`. On jaxon's one device it is the
 * identity, after checking each spec has at most one entry per axis of its leaf.
 * @example
 * import { lax, np, PartitionSpec } from "jaxon-ts";
 * lax.withShardingConstraint(np.ones([4, 2]), new PartitionSpec("data", null)); // the same array
 */
export function withShardingConstraint<T>(x: T, shardings: PartitionSpec | null | unknown): T {
  const op = "lax.withShardingConstraint";
  const [leaves] = flatten(x);
  const isSpec = (s: unknown) => s === null || s instanceof PartitionSpec;
  let specs: unknown[];
  if (isSpec(shardings)) specs = leaves.map(() => shardings);
  else {
    const [flat] = flatten(shardings, (s: unknown) => s === null || s instanceof PartitionSpec);
    if (flat.length !== leaves.length) throw new ShapeError(`${op}: shardings have ${flat.length} entries but x has ${leaves.length} leaves; give one PartitionSpec per leaf, or one for all`);
    specs = flat;
  }
  leaves.forEach((leaf, i) => {
    const spec = specs[i];
    if (!isSpec(spec)) throw new ArgumentError(`${op}: each sharding must be a PartitionSpec or null, got ${describe(spec)}`);
    const v = operandArg(op, leaf);
    if (spec instanceof PartitionSpec && spec.axes.length > v.ndim) {
      throw new ShapeError(`${op}: PartitionSpec(${spec.axes.map((a) => JSON.stringify(a)).join(", ")}) has ${spec.axes.length} entries but leaf ${i} has shape ${fmtShape(v.shape)}; give at most one entry per axis`);
    }
  });
  return x;
}

/**
 * Changes how `x` varies over the named axes (JAX's `lax.pcast`, under
 * shardMap or a named vmap): `to` is "varying", "reduced" or "unreduced". jaxon
 * does not track varying-ness in types, so after checking that the axes are
 * bound it returns `x` unchanged (the values JAX computes).
 * @example
 * vmap((x: Value) => lax.pcast(x, "i", { to: "varying" }), { axisName: "i" })(np.ones([3])); // [1, 1, 1]
 */
export function pcast<T>(x: T, axisName: string | string[], options: { to: "varying" | "reduced" | "unreduced" }): T {
  const op = "lax.pcast";
  const to = options?.to;
  if (to !== "varying" && to !== "reduced" && to !== "unreduced") {
    throw new ArgumentError(`${op}: options.to must be "varying", "reduced" or "unreduced", got ${describe(to)}`);
  }
  if (Array.isArray(axisName) && axisName.length === 0) return x;
  for (const name of axisNamesArg(op, axisName)) axisFrame(op, name);
  return x;
}

