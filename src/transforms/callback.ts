/**
 * Host callbacks, as JAX's `jax.pure_callback`: a JS function called with
 * concrete arrays where the traced program reaches it (eagerly, or between
 * a jitted program's kernels), returning arrays of declared shapes and
 * dtypes. It is a primitive (`pure_callback`) whose implementation calls
 * the function: tracing stages it like any other operation, simplification
 * may drop it when its results go unused (it must be pure), vmap follows
 * `vmapMethod` as JAX does, and differentiation is JAX's error (wrap it in
 * customJvp or customVjp to give it a derivative).
 */
import { Array } from "../array.js";
import { cpuArray } from "../runtime/host-arrays.js";
import type { DType, TypedArray } from "../dtype.js";
import { allocate, checkDType } from "../dtype.js";
import { ArgumentError, ShapeError, UnsupportedError } from "../errors.js";
import { ArrayMethods } from "../array-methods.js";
import { definePrimitive, isZero, ShapedArray, Zero } from "../lax/primitive.js";
import { broadcastInDim, expandDims, moveAxis } from "../lax/shape.js";
import { scan } from "../lax/control-flow/scan.js";
import { describe, functionArg, optionsArg } from "../static-args.js";
import type { Primitive, Value } from "../trace/core.js";
import { bind, theRuntime } from "../trace/core.js";
import type { TreeDef } from "../trace/pytree.js";
import { flatten, unflatten } from "../trace/pytree.js";
import { flattenArgs } from "./args.js";
import { ShapeDtypeStruct } from "./eval-shape.js";

export type VmapMethod = "sequential" | "expand_dims" | "broadcast_all";
const VMAP_METHODS: readonly string[] = ["sequential", "expand_dims", "broadcast_all"];

interface CallbackParams {
  callback: (...args: unknown[]) => unknown;
  inTree: TreeDef;
  outTree: TreeDef;
  resultAvals: ShapedArray[];
  vmapMethod: string;
  [k: string]: unknown;
}

/** A callback's answer for one declared result, as flat host numbers checked against it. */
function hostData(leaf: unknown, aval: ShapedArray, i: number): TypedArray {
  const where = `pureCallback: result ${i} (declared ${aval.dtype}[${aval.shape.join(", ")}])`;
  const data = allocate(aval.dtype, aval.size);
  if (leaf instanceof ArrayMethods) {
    const a = leaf as unknown as Array;
    if (!(a instanceof Array)) throw new UnsupportedError(`${where}: the callback returned a traced value; it must return concrete arrays or numbers`);
    if (a.shape.length !== aval.shape.length || a.shape.some((s, k) => s !== aval.shape[k])) {
      throw new ShapeError(`${where}: the callback returned shape [${a.shape.join(", ")}]`);
    }
    if (a.dtype !== aval.dtype) throw new ShapeError(`${where}: the callback returned dtype ${a.dtype}; convert it with x.astype("${aval.dtype}")`);
    data.set(a.dataSync() as never);
    return data;
  }
  const flat: number[] = [];
  const shape: number[] = [];
  const walk = (v: unknown, depth: number) => {
    if (typeof v === "number" || typeof v === "boolean") {
      if (depth !== aval.shape.length) throw new ShapeError(`${where}: the callback's nested values do not have that shape`);
      flat.push(Number(v));
      return;
    }
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) v = globalThis.Array.from(v as unknown as ArrayLike<number>);
    if (!globalThis.Array.isArray(v)) throw new ShapeError(`${where}: the callback returned ${describe(v)}; return arrays, numbers or nested JS arrays of numbers`);
    if (shape.length === depth) shape.push(v.length);
    if (shape[depth] !== v.length || depth >= aval.shape.length || aval.shape[depth] !== v.length) {
      throw new ShapeError(`${where}: the callback's nested values do not have that shape`);
    }
    for (const x of v) walk(x, depth + 1);
  };
  walk(leaf, 0);
  flat.forEach((v, k) => (data[k] = v));
  return data;
}

export const pureCallbackP: Primitive<CallbackParams> = definePrimitive<CallbackParams>("pure_callback", {
  params: { callback: "static", inTree: "static", outTree: "static", resultAvals: "static", vmapMethod: "string" },
  abstractEval: (_avals, { resultAvals }) => resultAvals,
  impl(args, params) {
    for (const a of args) {
      if (!a.backend.syncReadable) {
        throw new UnsupportedError(
          `pureCallback: an argument lives on ${a.backend.name}, which cannot be read synchronously between kernels; ` +
            "run this computation on the CPU (devicePut its inputs to \"cpu\")",
        );
      }
    }
    const ins = args.map((a) => theRuntime().alias(a));
    const result = params.callback(...(unflatten(params.inTree, ins) as unknown[]));
    const [leaves, tree] = flatten(result, (x) => x instanceof ArrayMethods || ArrayBuffer.isView(x) || (globalThis.Array.isArray(x) && isNumberTree(x)));
    if (!tree.equals(params.outTree)) {
      throw new ShapeError(`pureCallback: the callback returned a tree of structure ${tree.toString()}, declared ${params.outTree.toString()}`);
    }
    return leaves.map((l, i) => {
      const aval = params.resultAvals[i];
      return cpuArray(hostData(l, aval, i), aval.shape, aval.dtype);
    });
  },
  jvp(primals, tangents, params) {
    if (tangents.some((t) => !isZero(t))) {
      throw new UnsupportedError("pureCallback: pure callbacks do not support differentiation; give the function a derivative with customJvp or customVjp");
    }
    const outs = bind(pureCallbackP, primals, params);
    return [outs, outs.map((o) => new Zero(o.aval.strong()))];
  },
  batch(args, dims, params) {
    const i0 = dims.findIndex((d) => d !== null);
    const size = args[i0].shape[dims[i0]!];
    const method = params.vmapMethod;
    if (method === "sequential") {
      const batched = args.map((a, i) => (dims[i] === null ? null : moveAxis(a, dims[i]!, 0)));
      const [, ys]: [null, Value[]] = scan(
        (c: null, xs: (Value | null)[]): [null, Value[]] => [c, bind(pureCallbackP as Primitive, args.map((a, i) => (dims[i] === null ? a : xs[i]!)), params)],
        null,
        batched,
      );
      return [ys, ys.map(() => 0)];
    }
    if (method !== "expand_dims" && method !== "broadcast_all") {
      throw new UnsupportedError(
        "pureCallback: vmap of a pure callback needs vmapMethod: \"sequential\" (one call per example), \"expand_dims\" " +
          "(one call, unbatched arguments with a leading axis of size 1) or \"broadcast_all\" (one call, every argument batched)",
      );
    }
    const moved = args.map((a, i) => {
      if (dims[i] !== null) return moveAxis(a, dims[i]!, 0);
      return method === "expand_dims" ? expandDims(a, [0]) : broadcastInDim(a, [size, ...a.shape], a.shape.map((_, k) => k + 1));
    });
    const resultAvals = params.resultAvals.map((r) => new ShapedArray([size, ...r.shape], r.dtype, r.weakType));
    const outs = bind(pureCallbackP, moved, { ...params, resultAvals });
    return [outs, outs.map(() => 0)];
  },
});

function isNumberTree(x: unknown[]): boolean {
  // a nested JS array of numbers is one result (an array's values), not a tree of scalar results
  let v: unknown = x;
  while (globalThis.Array.isArray(v)) {
    if (v.length === 0) return true;
    v = v[0];
  }
  return typeof v === "number" || typeof v === "boolean" || ArrayBuffer.isView(v);
}

export interface PureCallbackOptions {
  /** How vmap calls the callback: "sequential", "expand_dims" or "broadcast_all" (JAX's vmap_method); without it vmap is an error. */
  vmapMethod?: VmapMethod;
}

/** A declared result: a ShapeDtypeStruct, or anything with `shape` and `dtype` (an array). */
function resultAval(x: unknown, i: number): ShapedArray {
  const op = "pureCallback";
  if (x instanceof ShapeDtypeStruct) return new ShapedArray(x.shape, x.dtype, false);
  if (x instanceof ArrayMethods) return new ShapedArray((x as Value).shape, (x as Value).dtype, false);
  throw new ArgumentError(`${op}: resultShapeDtypes leaf ${i} must be a ShapeDtypeStruct or an array, got ${describe(x)}`);
}

/**
 * Calls `callback` on the host with concrete arrays (the leaves of `args`,
 * as jaxon Arrays on the CPU) and returns what it returns, declared by
 * `resultShapeDtypes` (a pytree of ShapeDtypeStructs, or of arrays whose
 * shapes and dtypes it takes). Under jit the call happens when the program
 * runs, between kernels; the inputs must be on a device that can be read
 * synchronously (the CPU). The callback must be pure: jaxon may skip it when
 * its results go unused. Not differentiable (JAX's error); vmap needs
 * `options.vmapMethod`.
 * @example
 * import { jit, np, pureCallback, ShapeDtypeStruct } from "jaxon-ts";
 * const f = jit((x) => pureCallback((v) => v.dataSync().map(Math.sin), new ShapeDtypeStruct([3], "float32"), [x]));
 * f(np.array([0, 1, 2])); // [0, 0.84147096, 0.9092974]
 */
export function pureCallback(callback: (...args: any[]) => unknown, resultShapeDtypes: unknown, args: readonly unknown[] = [], options: PureCallbackOptions = {}): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  const op = "pureCallback";
  functionArg(op, "callback", callback);
  if (!globalThis.Array.isArray(args)) throw new ArgumentError(`${op}: args must be a JS array of the callback's arguments, got ${describe(args)}`);
  const { vmapMethod } = optionsArg(op, options);
  if (vmapMethod !== undefined && !VMAP_METHODS.includes(vmapMethod as string)) {
    throw new ArgumentError(`${op}: vmapMethod must be one of ${VMAP_METHODS.join(", ")}, got ${describe(vmapMethod)}`);
  }
  const [resultLeaves, outTree] = flatten(resultShapeDtypes);
  const resultAvals = resultLeaves.map(resultAval);
  resultAvals.forEach((a) => checkDType(a.dtype as DType, op));
  const [leaves, inTree] = flattenArgs(args, op);
  const outs = bind(pureCallbackP, leaves, { callback, inTree, outTree, resultAvals, vmapMethod: vmapMethod ?? "none" });
  return unflatten(outTree, outs);
}
