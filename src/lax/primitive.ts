/**
 * `definePrimitive`: the one place a primitive's rules are written down.
 * A definition names its abstract eval, its lowering (how a device runs it),
 * its jvp and batching rules, and its transpose rule if it is linear. The
 * table `primitives` lists them all, so tests can check that none lacks a rule.
 */
import { Array } from "../array.js";
import type { Lowering } from "../backend/device.js";
import type { Expr } from "../backend/kernel.js";
import { getBackend } from "../backend/device.js";
import type { DType } from "../dtype.js";
import { BackendError } from "../errors.js";
import type { MaybeZero, Params, PrimitiveRules, Value } from "../trace/core.js";
import { bind, Primitive, ShapedArray, UndefinedPrimal, Zero } from "../trace/core.js";

export interface PrimitiveDefinition<P extends Params> extends Omit<PrimitiveRules<P>, "impl"> {
  /** How a device runs the primitive on concrete inputs of these types. */
  lower(avals: ShapedArray[], params: P, outAvals: ShapedArray[]): Lowering;
  /** For elementwise primitives: the scalar expression, which fusion inlines into its consumers. */
  scalar?(args: Expr[], params: P, avals: ShapedArray[], outAval: ShapedArray): Expr;
  /** How fusion sees the primitive, beyond `scalar`: an index remapping, a reshape, or a reduction. */
  fusion?: FusionRole<P>;
  /** Overrides the lowered evaluation (for primitives that are not one device op, e.g. control flow). */
  impl?: PrimitiveRules<P>["impl"];
}

/**
 * An affine map from an output multi-index to an input multi-index:
 * in[j] = offset[j] + Σ_k coeffs[j][k] · out[k]. Broadcasts, transposes,
 * slices and reversals are such maps, which fusion composes into index arithmetic.
 */
export interface AffineIndexMap {
  coeffs: number[][];
  offset: number[];
}
export type FusionRole<P> =
  | { kind: "view"; map(inAval: ShapedArray, params: P, outAval: ShapedArray): AffineIndexMap }
  /** Same elements in the same (row-major) order: reshape, squeeze-like identities. */
  | { kind: "reshape" }
  | { kind: "reduce"; op: "sum" | "max" | "min" | "prod"; axes(params: P): number[] };

export const primitives = new Map<string, { prim: Primitive; def: PrimitiveDefinition<any> }>(); // eslint-disable-line @typescript-eslint/no-explicit-any

export function definePrimitive<P extends Params = Params>(name: string, def: PrimitiveDefinition<P>): Primitive<P> {
  const impl: PrimitiveRules<P>["impl"] = def.impl ?? ((args, params, outAvals) => runLowered(def.lower(args.map((a) => a.aval), params, outAvals), args, outAvals));
  // eager evaluation looks the output types and the lowering up by (input types, params):
  // each signature is checked, lowered and compiled once, then dispatch is a map lookup
  const signatures = new Map<string, { outAvals: ShapedArray[]; lowering: Lowering }>();
  const evaluate = (args: Array[], params: P): Array[] => {
    // primitives with their own impl (jit, control flow) hold jaxprs in their params: no key to build
    if (def.impl) return def.impl(args, params, def.abstractEval(args.map((a) => a.aval), params));
    let key = "";
    for (const a of args) key += a.aval.key + ";";
    key += JSON.stringify(params);
    let sig = signatures.get(key);
    if (!sig) {
      const outAvals = def.abstractEval(
        args.map((a) => a.aval),
        params,
      );
      sig = { outAvals, lowering: def.lower(args.map((a) => a.aval), params, outAvals) };
      if (signatures.size > 4096) signatures.clear();
      signatures.set(key, sig);
    }
    const outs = runLowered(sig.lowering, args, sig.outAvals);
    // a broadcast or reshape of a constant is still one value everywhere (the zeros a
    // transformation makes): it keeps its host value, so it too can follow the data's device
    if (splatPreserving.has(name) && args.length === 1 && args[0].hostScalar !== undefined) outs[0].hostScalar = args[0].hostScalar;
    return outs;
  };
  const prim = new Primitive<P>(name, { ...def, impl, evaluate });
  if (primitives.has(name)) throw new Error(`primitive ${name} defined twice`);
  primitives.set(name, { prim: prim as unknown as Primitive, def });
  return prim;
}

const splatPreserving = new Set(["broadcast_in_dim", "reshape", "expand_dims", "squeeze"]);

/** Runs a lowering on the device of the inputs; outputs are new Arrays on it. */
export function runLowered(lowering: Lowering, args: Array[], outAvals: ShapedArray[]): Array[] {
  const backend = deviceOf(args);
  const moved: Array[] = [];
  const ins = args.map((a) => {
    if (a.backend === backend) return a;
    const m = onDevice(a, backend);
    moved.push(m);
    return m;
  });
  const bufs = backend.run(
    lowering,
    ins.map((a) => a.buffer),
    ins.map((a) => a.aval),
    outAvals,
  );
  for (const m of moved) m.dispose();
  return bufs.map((b, i) => new Array(outAvals[i], b, backend));
}

/**
 * The device an operation on these arrays runs on: that of its first operand
 * that is not a scalar constant (constants jaxon made from JS numbers follow
 * the data); with only constants, the first one's.
 */
export function deviceOf(args: readonly Array[]) {
  const data = args.find((a) => a.hostScalar === undefined) ?? args[0];
  return data ? data.backend : getBackend();
}

/**
 * An operand on `backend`: a constant (every element one value jaxon knows on the host) is uploaded from its host value
 * (a new array the caller disposes); any other array on another device is an
 * error that names the fix: moving data between devices is never silent.
 */
export function onDevice(a: Array, backend: ReturnType<typeof getBackend>): Array {
  if (a.backend === backend) return a;
  if (a.hostScalar === undefined) {
    throw new BackendError(
      `an operation mixes arrays on ${backend.name} and ${a.backend.name} (shape ${JSON.stringify(a.shape)}); ` +
        `move one with devicePut(x, "${backend.name}") first`,
    );
  }
  const data = new (storageFor(a.dtype))(a.size);
  data.fill(a.hostScalar);
  const m = Array.fromTyped(data, a.shape, a.dtype, a.weakType, backend);
  m.hostScalar = a.hostScalar;
  return m;
}

// ---- values and symbolic zeros ---------------------------------------------

/** A concrete 0-d constant (weakly typed when it comes from a JS number). */
export function scalar(value: number, dtype: DType, weakType = false): Array {
  const data = new (storageFor(dtype))(1);
  data[0] = value;
  const a = Array.fromTyped(data, [], dtype, weakType);
  a.hostScalar = data[0];
  return a;
}
function storageFor(dtype: DType) {
  return { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint32: Uint32Array, bool: Uint8Array }[dtype];
}

export const isZero = (x: MaybeZero): x is Zero => x instanceof Zero;
export const isUndefined = (x: Value | UndefinedPrimal): x is UndefinedPrimal => x instanceof UndefinedPrimal;

/** The single output of a one-output primitive. */
export function bind1<P extends Params>(prim: Primitive<P>, args: Value[], params: P): Value {
  return bind(prim as unknown as Primitive, args, params)[0];
}

export { ShapedArray, Zero, UndefinedPrimal };
