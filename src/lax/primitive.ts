/**
 * `definePrimitive`: the one place a primitive's rules are written down.
 * A definition names its abstract eval, its lowering (how a device runs it),
 * its jvp and batching rules, and its transpose rule if it is linear. The
 * table `primitives` lists them all, so tests can check that none lacks a rule.
 */
import { Array } from "../array.js";
import type { Backend, Lowering } from "../backend/device.js";
import type { Expr } from "../backend/kernel.js";
import { getBackend } from "../backend/device.js";
import type { DType } from "../dtype.js";
import { storageOf } from "../dtype.js";
import { BackendError, DTypeError } from "../errors.js";
import type { ParamSchema } from "../static-args.js";
import { describe, paramsChecker } from "../static-args.js";
import type { MaybeZero, Params, PrimitiveRules, Value } from "../trace/core.js";
import { bind, Primitive, ShapedArray, UndefinedPrimal, Zero } from "../trace/core.js";

export interface PrimitiveDefinition<P extends Params> extends Omit<PrimitiveRules<P>, "impl" | "checkParams"> {
  /** What each parameter holds; `bind` checks params against it before anything else sees them. */
  params: ParamSchema<P>;
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
  | { kind: "reduce"; op: "sum" | "max" | "min" | "prod"; axes(params: P): number[] }
  /**
   * A contraction short enough to write out: out = Σ_t lhs[maps_t[0](out)] · rhs[maps_t[1](out)],
   * one term per contracted coordinate, which fusion inlines like an elementwise op
   * (a matmul with k = 1 or 2 is an outer product or two, not worth a routine's kernel).
   * `terms` is null where the primitive should run as its routine.
   */
  | { kind: "contract"; terms(avals: ShapedArray[], params: P, outAval: ShapedArray): [AffineIndexMap, AffineIndexMap][] | null };

export const primitives = new Map<string, { prim: Primitive; def: PrimitiveDefinition<any> }>(); // eslint-disable-line @typescript-eslint/no-explicit-any

export function definePrimitive<P extends Params = Params>(name: string, def: PrimitiveDefinition<P>): Primitive<P> {
  const impl: PrimitiveRules<P>["impl"] = def.impl ?? ((args, params, outAvals) => runLowered(def.lower(args.map((a) => a.aval), params, outAvals), args, outAvals));
  // eager evaluation looks the output types and the lowering up by (input types, params):
  // each signature is checked, lowered and compiled once, then dispatch is a map lookup
  const signatures = new SignatureCache<{ outAvals: ShapedArray[]; lowering: Lowering }>();
  signatureCaches.push(signatures);
  const evaluate = (args: Array[], params: P): Array[] => {
    // a disposed operand's buffer may already hold another array's values
    for (const a of args) a.assertAlive(name);
    // primitives with their own impl (jit, control flow) hold jaxprs in their params: no key to build
    if (def.impl) return markCommitted(args, def.impl(args, params, def.abstractEval(args.map((a) => a.aval), params)));
    let key = "";
    for (const a of args) key += a.aval.key + ";";
    key += paramsKey(params);
    let sig = signatures.get(key);
    if (!sig) {
      const outAvals = def.abstractEval(
        args.map((a) => a.aval),
        params,
      );
      sig = { outAvals, lowering: def.lower(args.map((a) => a.aval), params, outAvals) };
      signatures.set(key, sig);
    }
    const target = deviceOf(args);
    const outs = hostComputable(args, sig.outAvals, target) ? runOnHost(sig.lowering, args, sig.outAvals, target) : runLowered(sig.lowering, args, sig.outAvals, target);
    // a broadcast or reshape of a constant is still one value everywhere (the zeros a
    // transformation makes): it keeps its host value, so it too can follow the data's device
    if (splatPreserving.has(name) && args.length === 1 && args[0].hostScalar !== undefined) outs[0].hostScalar = args[0].hostScalar;
    markCommitted(args, outs);
    return outs;
  };
  const prim = new Primitive<P>(name, { ...def, impl, evaluate, checkParams: paramsChecker(name, def.params) });
  if (primitives.has(name)) throw new Error(`primitive ${name} defined twice`);
  primitives.set(name, { prim: prim as unknown as Primitive, def });
  return prim;
}

/** Bounds of the dispatch caches; `jitConfig.maxEagerSignatures` reads and sets this one (see its doc). */
export const cacheConfig = { maxEagerSignatures: 2048 };

/**
 * A map bounded by `cacheConfig.maxEagerSignatures` that drops the least
 * recently used entries, in two generations: new entries go to the young
 * map; when it is half full it becomes the old one and the previous old one
 * is dropped; a hit in the old map moves the entry back to the young one.
 * An approximate LRU that costs one map lookup on the hot path (a hit in
 * the young map), where an exact LRU would reinsert on every call.
 */
class SignatureCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  get(key: string): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }
  set(key: string, v: V) {
    this.young.set(key, v);
    if (this.young.size >= Math.max(1, Math.floor(cacheConfig.maxEagerSignatures / 2))) {
      this.old = this.young;
      this.young = new Map();
    }
  }
  get size(): number {
    return this.young.size + this.old.size;
  }
}

const signatureCaches: SignatureCache<unknown>[] = [];

/** How many eager signatures all primitives hold now (for tests of the bound). */
export function eagerSignatureCount(): number {
  let n = 0;
  for (const c of signatureCaches) n += c.size;
  return n;
}

/**
 * A cache key for a primitive's parameters. Not JSON.stringify: it writes
 * NaN and ±Infinity as `null`, so a parameter of NaN would find the lowering
 * made for Infinity. Numbers are written as `Object.is` tells them apart.
 */
function paramsKey(v: unknown): string {
  switch (typeof v) {
    case "number":
      return Object.is(v, -0) ? "-0" : String(v);
    case "string":
      return JSON.stringify(v);
    case "boolean":
      return v ? "T" : "F";
    case "undefined":
      return "U";
    case "bigint":
      return `${v}n`;
    case "object": {
      if (v === null) return "N";
      if (globalThis.Array.isArray(v)) {
        let s = "[";
        for (let i = 0; i < v.length; i++) s += (i ? "," : "") + paramsKey(v[i]);
        return s + "]";
      }
      if (ArrayBuffer.isView(v)) return `${v.constructor.name}${paramsKey(globalThis.Array.from(v as unknown as ArrayLike<number>))}`;
      let s = "{";
      for (const k in v) s += JSON.stringify(k) + ":" + paramsKey((v as Record<string, unknown>)[k]) + ",";
      return s + "}";
    }
    default:
      // functions and symbols have no place in a lowered primitive's parameters; keep them apart by identity
      return identityKey(v as object);
  }
}

let nextIdentity = 0;
const objectIds = new WeakMap<object, number>();
const symbolIds = new Map<unknown, number>();
function identityKey(v: unknown): string {
  const ids = (typeof v === "function" ? objectIds : symbolIds) as Map<unknown, number>;
  let id = ids.get(v);
  if (id === undefined) ids.set(v, (id = nextIdentity++));
  return `&${id}`;
}

/** Elements up to which a computation on host-known values runs on the host (see `runOnHost`). */
const HOST_FOLD_LIMIT = 65536;

/**
 * Whether an operation only on values jaxon knows on the host (constants,
 * small arrays made from host data, or no operands at all: iota) should be
 * folded there. Only on a device that cannot be read synchronously: its
 * result keeps its host values, so it can still follow data to any device
 * (an `iota` that argsort makes next to CPU data, the basis a Jacobian builds).
 */
function hostComputable(args: readonly Array[], outAvals: readonly ShapedArray[], target: Backend): boolean {
  if (target.syncReadable) return false;
  for (const a of args) if (a.committed || a.size > HOST_FOLD_LIMIT || (a.hostScalar === undefined && a.hostData === undefined)) return false;
  for (const o of outAvals) if (o.size > HOST_FOLD_LIMIT || o.dtype === "float64") return false;
  return true;
}

/** Runs a lowering on the CPU from operands' host values; the results go to the operands' device, keeping their host values. */
function runOnHost(lowering: Lowering, args: Array[], outAvals: ShapedArray[], target: Backend): Array[] {
  const cpu = getBackend("cpu");
  const ins = args.map((a) => {
    const data = a.hostData ?? new (storageOf(a.dtype))(a.size).fill(a.hostScalar!);
    return Array.fromTyped(data, a.shape, a.dtype, a.weakType, cpu);
  });
  const outs = runLowered(lowering, ins, outAvals, cpu);
  for (const a of ins) a.dispose();
  return outs.map((o) => {
    const moved = Array.fromTyped(cpu.readSync(o.buffer, o.dtype, o.size), o.shape, o.dtype, o.weakType, target);
    o.dispose();
    return moved;
  });
}

/** Results computed from a committed array are committed to its device too (JAX's rule). */
function markCommitted(args: readonly Array[], outs: Array[]): Array[] {
  if (args.some((a) => a.committed)) for (const o of outs) o.committed = true;
  return outs;
}

const splatPreserving = new Set(["broadcast_in_dim", "reshape", "expand_dims", "squeeze"]);

/** Runs a lowering on the device of the inputs; outputs are new Arrays on it. */
export function runLowered(lowering: Lowering, args: Array[], outAvals: ShapedArray[], backend = deviceOf(args)): Array[] {
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
 * The device an operation on these arrays runs on, as JAX chooses it: that of
 * the committed operands (placed by devicePut or computed from such); without
 * any, that of the first computed operand, then of an array made from host
 * values, then of a constant. Everything else follows it (see `onDevice`).
 */
export function deviceOf(args: readonly Array[]) {
  let best: Array | undefined;
  let bestRank = 4;
  for (const a of args) {
    const rank = a.committed ? 0 : a.hostScalar !== undefined ? 3 : a.hostData !== undefined ? 2 : 1;
    if (rank < bestRank) {
      best = a;
      bestRank = rank;
      if (rank === 0) break;
    }
  }
  return best ? best.backend : getBackend();
}

/**
 * An operand on `backend`. A constant (one value jaxon knows on the host) is
 * uploaded from that value; an uncommitted array is copied over when its
 * values can be had without waiting (a CPU array, or a small array made from
 * host data, which keeps them); the copy is a new array the caller disposes.
 * A committed array on another device is an error that names the fix: moving
 * committed data between devices is never silent.
 */
export function onDevice(a: Array, backend: ReturnType<typeof getBackend>): Array {
  if (a.backend === backend) return a;
  const where = `an operation mixes arrays on ${backend.name} and ${a.backend.name} (shape ${JSON.stringify(a.shape)})`;
  if (a.hostScalar !== undefined) {
    const data = new (storageOf(a.dtype))(a.size);
    data.fill(a.hostScalar);
    const m = Array.fromTyped(data, a.shape, a.dtype, a.weakType, backend);
    m.hostScalar = a.hostScalar;
    return m;
  }
  if (a.committed) throw new BackendError(`${where}; both are committed to their devices: move one with devicePut(x, "${backend.name}") first`);
  const values = a.backend.syncReadable ? a.backend.readSync(a.buffer, a.dtype, a.size) : a.hostData;
  if (!values) {
    throw new BackendError(
      `${where}; the ${a.backend.name} one would have to be read back first: \`await devicePutAsync(x, "${backend.name}")\``,
    );
  }
  return Array.fromTyped(values, a.shape, a.dtype, a.weakType, backend);
}

// ---- values and symbolic zeros ---------------------------------------------

/** A concrete 0-d constant (weakly typed when it comes from a JS number). */
export function scalar(value: number, dtype: DType, weakType = false): Array {
  // a JS number only: an object's valueOf would run inside the typed-array store below
  if (typeof value !== "number") throw new DTypeError(`expected a JS number for a ${dtype} constant, got ${describe(value)}`);
  const data = new (storageOf(dtype))(1);
  data[0] = value;
  const a = Array.fromTyped(data, [], dtype, weakType);
  a.hostScalar = data[0];
  return a;
}

export const isZero = (x: MaybeZero): x is Zero => x instanceof Zero;
export const isUndefined = (x: Value | UndefinedPrimal): x is UndefinedPrimal => x instanceof UndefinedPrimal;

/** The single output of a one-output primitive. */
export function bind1<P extends Params>(prim: Primitive<P>, args: Value[], params: P): Value {
  return bind(prim as unknown as Primitive, args, params)[0];
}

export { ShapedArray, Zero, UndefinedPrimal };
