/**
 * Eager dispatch: a primitive applied to concrete arrays outside any
 * transformation. Output types and the lowering are looked up by (input
 * types, params): each signature is checked, lowered and compiled once, then
 * dispatch is a map lookup. Where it runs, and what the results remember of
 * their operands, is placement's decision (placement.ts).
 */
import { configState } from "../config-state.js";
import { ConfigScopeError } from "../errors.js";
import type { Array } from "../array.js";
import type { PrimitiveDefinition } from "../lax/primitive.js";
import { definitionOf } from "../lax/primitive.js";
import type { Lowering } from "../backend/device.js";
import { getBackend } from "../backend/device.js";
import type { Params, Primitive } from "../trace/core.js";
import { ShapedArray } from "../trace/core.js";
import { deviceOf, fromHostResults, hostComputable, onHost, settleOrigins } from "./placement.js";
import { runLowered } from "./execute.js";
import { checkOutputs, debugChecks, evalOpByOp } from "./debug-checks.js";

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

type Signature = { outAvals: ShapedArray[]; lowering: Lowering };

/** A primitive's eager dispatcher: its definition, its signature cache and its most recent signatures. */
interface Dispatcher {
  name: string;
  def: PrimitiveDefinition<Params>;
  signatures: SignatureCache<Signature>;
  /**
   * The last RECENT signatures used, newest first, found by comparing the
   * operands' types field by field: a loop that calls a primitive on the
   * same types again (the common case) builds no key string and hashes none.
   */
  recent: { avals: ShapedArray[]; params: string; sig: Signature }[];
  preservesConstant: boolean;
}
const RECENT = 4;

/** Whether the operands have the types `avals` (the same objects, or equal dtype, weakness and shape). */
function sameTypes(avals: readonly ShapedArray[], args: readonly Array[]): boolean {
  if (avals.length !== args.length) return false;
  for (let i = 0; i < avals.length; i++) {
    const a = avals[i];
    const b = args[i].aval;
    if (a === b) continue;
    if (a.dtype !== b.dtype || a.weakType !== b.weakType || a.shape.length !== b.shape.length) return false;
    for (let k = 0; k < a.shape.length; k++) if (a.shape[k] !== b.shape[k]) return false;
  }
  return true;
}
const dispatchers = new Map<Primitive, Dispatcher>();

/** How many eager signatures all primitives hold now (for tests of the bound). */
export function eagerSignatureCount(): number {
  let n = 0;
  for (const d of dispatchers.values()) n += d.signatures.size;
  return n;
}

/** Runs a primitive on concrete arrays. */
export function evaluate(prim: Primitive, args: Array[], params: Params): Array[] {
  if (configState.noExecution) {
    throw new ConfigScopeError(`${prim.name}: computing on concrete arrays inside noExecution(); trace instead (makeJaxpr, evalShape), or compute outside the scope`);
  }
  if (debugChecks.nans || debugChecks.infs) return evaluateChecked(prim, args, params);
  return evaluateUnchecked(prim, args, params);
}

/** `evaluate` under debugNans/debugInfs: the outputs are checked (debug-checks.ts). */
function evaluateChecked(prim: Primitive, args: Array[], params: Params): Array[] {
  const def = definitionOf(prim);
  if (def.impl) {
    const opByOp = evalOpByOp(def, args, params);
    if (opByOp) return opByOp;
  }
  const outs = evaluateUnchecked(prim, args, params);
  checkOutputs(prim, def, args, params, outs);
  return outs;
}

function evaluateUnchecked(prim: Primitive, args: Array[], params: Params): Array[] {
  let d = dispatchers.get(prim);
  if (!d) {
    const def = definitionOf(prim);
    d = { name: prim.name, def, signatures: new SignatureCache(), recent: [], preservesConstant: def.simplify?.preservesConstant ?? false };
    dispatchers.set(prim, d);
  }
  // a disposed operand's buffer may already hold another array's values
  for (const a of args) a.assertAlive(d.name);
  const { def } = d;
  // primitives with their own impl (jit, control flow) hold jaxprs in their params: no key to build
  if (def.impl) return settleOrigins(args, def.impl(args, params, def.abstractEval(args.map((a) => a.aval), params)));
  // most elementwise primitives have no parameters: no key to write for them
  let pk = "";
  for (const _ in params) {
    pk = paramsKey(params);
    break;
  }
  let sig: Signature | undefined;
  const { recent } = d;
  for (let i = 0; i < recent.length; i++) {
    const r = recent[i];
    if (r.params === pk && sameTypes(r.avals, args)) {
      sig = r.sig;
      if (i > 0) {
        recent.splice(i, 1);
        recent.unshift(r);
      }
      break;
    }
  }
  if (!sig) {
    let key = "";
    for (const a of args) key += a.aval.key + ";";
    key += pk;
    sig = d.signatures.get(key);
    const avals = args.map((a) => a.aval);
    if (!sig) {
      const outAvals = def.abstractEval(avals, params);
      sig = { outAvals, lowering: def.lower(avals, params, outAvals) };
      d.signatures.set(key, sig);
    }
    recent.unshift({ avals, params: pk, sig });
    if (recent.length > RECENT) recent.pop();
  }
  const target = deviceOf(args, sig.outAvals);
  let outs: Array[];
  if (hostComputable(args, sig.outAvals, target)) {
    const ins = onHost(args);
    outs = fromHostResults(runLowered(sig.lowering, ins, sig.outAvals, getBackend("cpu")), target);
    for (const a of ins) a.dispose();
  } else {
    outs = runLowered(sig.lowering, args, sig.outAvals, target);
  }
  return settleOrigins(args, outs, d.preservesConstant);
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
      for (const k in v) s += quotedName(k) + ":" + paramsKey((v as Record<string, unknown>)[k]) + ",";
      return s + "}";
    }
    default:
      // functions and symbols have no place in a lowered primitive's parameters; keep them apart by identity
      return identityKey(v as object);
  }
}

/** A parameter's name as JSON writes it, kept (parameters have a few names, written on every eager call). */
const quotedNames = new Map<string, string>();
function quotedName(k: string): string {
  let q = quotedNames.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quotedNames.size < 4096) quotedNames.set(k, q);
  }
  return q;
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
