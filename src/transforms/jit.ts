/**
 * jit: a function traced once per argument signature into a jaxpr, held by
 * the `jit` primitive. Because jit is a primitive with its own jvp,
 * transpose and batching rules, grad(jit(f)), vmap(jit(f)) and jit(grad(f))
 * all work without retracing the user's function.
 */
import { debugChecks } from "../runtime/debug-checks.js";
import { describe, functionArg, optionsArg } from "../static-args.js";
import { Array } from "../array.js";
import { instantiate, isZero } from "../lax/index.js";
import { definePrimitive, isUndefined } from "../lax/primitive.js";
import type { MaybeZero, Value } from "../trace/core.js";
import { bind, currentTrace, evalTrace, Zero } from "../trace/core.js";
import type { Jaxpr } from "../trace/jaxpr.js";
import { type TreeDef } from "../trace/pytree.js";
import { traceFlat } from "../trace/staging.js";
import { flattenArgs, rebuild, type Lifted } from "./args.js";
import { jvpJaxpr } from "./jvp.js";
import { flattenFun, jaxprAsFun } from "./flat.js";
import { transposedJaxpr } from "./linearize.js";
import { mergeLists, partitionList, pick, splitList } from "../trace/lists.js";
import { partialEvalJaxpr, residualValues } from "../trace/partial-eval.js";
import { vmap } from "./vmap.js";
import { axisEnvKey } from "../lax/parallel-env.js";
import { configState, traceContextKey } from "../config-state.js";
import { cacheConfig, deviceCacheConfig, deviceOf, kernelCount, planConfig, planFor, runJaxpr } from "../runtime/index.js";
import { BackendError, ConfigScopeError, ShapeError } from "../errors.js";
import { exportTraced, type Exported } from "./export.js";
import { ArrayMethods } from "../array-methods.js";
import { UnsupportedError } from "../errors.js";
import { isThenable, refusePromise } from "./args.js";

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any
type JitParams = { jaxpr: Jaxpr; name: string };

const run = (p: JitParams, inputs: Value[]) => jaxprAsFun(p.jaxpr)(...inputs);

/** Traces a flat function at the types of `args` and binds it as a jit call. */
function bindTraced(fn: (...xs: Value[]) => Value[], args: Value[], name: string): Value[] {
  const { jaxpr, consts } = traceFlat(fn, args.map((a) => a.aval), name, currentTrace());
  return bind(jitP, [...consts, ...args], { jaxpr, name });
}

export const jitP = definePrimitive<JitParams>("jit", {
  complex: true,
  params: { jaxpr: "static", name: "string" },
  abstractEval: (_a, { jaxpr }) => jaxpr.outs.map((o) => o.aval),
  callJaxpr: (p) => p.jaxpr,
  // exported as a private function and a func.call of it
  stablehlo: (ctx, args, p) => ctx.call(p.jaxpr, args),
  // eager calls run the fused plan: simplified, partitioned into kernels, compiled once per jaxpr
  impl: (args, params) => runJaxpr(params.jaxpr, args),
  jvp(primals, tangents, params) {
    const nonzeros = tangents.map((t) => !isZero(t));
    if (!nonzeros.some(Boolean)) {
      const outs = bind(jitP, primals, params);
      return [outs, outs.map((o) => new Zero(o.aval.strong()))];
    }
    // one call computes the primal and tangent outputs; under linearize, the
    // partialEval rule below splits it into the known call (run now) and the linear one
    const { jaxpr, outNonzero } = jvpJaxpr(params.jaxpr, nonzeros);
    const outs = bind(jitP, [...primals, ...(pick(tangents, nonzeros) as Value[])], { jaxpr, name: `jvp(${params.name})` });
    const [primalsOut, nonzeroTangents] = splitList(outs, [params.jaxpr.outs.length]);
    const zeros = partitionList(outNonzero, primalsOut)[0].map((o) => new Zero(o.aval.strong()));
    return [primalsOut, mergeLists<MaybeZero>(outNonzero, zeros, nonzeroTangents)];
  },
  partialEval(args, unknown, params, stage): Value[] {
    const pe = partialEvalJaxpr(params.jaxpr, unknown);
    const [knownArgs, unknownArgs] = partitionList(unknown, args);
    const numKnownOuts = pe.outUnknown.filter((u) => !u).length;
    const knownOuts: Value[] = pe.known.outs.length ? bind(jitP, [...pe.knownConsts, ...knownArgs], { jaxpr: pe.known, name: params.name }) : [];
    const [outs, computed] = splitList(knownOuts, [numKnownOuts]);
    const residuals = residualValues(pe, args, computed);
    const staged: Value[] = pe.unknown.outs.length ? stage(jitP, [...residuals, ...unknownArgs], { jaxpr: pe.unknown, name: params.name }) : [];
    return mergeLists(pe.outUnknown, outs, staged);
  },
  transpose(cts, args, params): MaybeZero[] {
    // the backward pass is a jit call of its own: one fused plan, compiled once per jaxpr
    const linear = args.map(isUndefined);
    const ctsGiven = cts.map((c) => !isZero(c));
    const { jaxpr, ctNonzero } = transposedJaxpr(params.jaxpr, linear, ctsGiven);
    const [known, undefinedArgs] = partitionList(linear, args);
    const ctOuts: Value[] = jaxpr.outs.length
      ? bind(jitP, [...(known as Value[]), ...(pick(cts, ctsGiven) as Value[])], { jaxpr, name: `transpose(${params.name})` })
      : [];
    const ctsIn: MaybeZero[] = mergeLists<MaybeZero>(ctNonzero, partitionList(ctNonzero, undefinedArgs)[0].map((u) => new Zero(u.aval)), ctOuts);
    return mergeLists<MaybeZero>(linear, known.map((k) => new Zero(k.aval)), ctsIn);
  },
  batch(args, dims, params) {
    const outs = bindTraced((...xs) => vmap((...ys: Value[]) => run(params, ys), { inAxes: dims })(...xs) as Value[], args, `vmap(${params.name})`);
    return [outs, outs.map(() => 0)];
  },
});


export interface JitOptions {
  /** Positions of arguments that are static: compared by value, part of the cache key, never traced. */
  staticArgnums?: readonly number[];
}

/**
 * Compiles `f` for each signature of its arguments (pytree structure, shapes,
 * dtypes, static values) and reuses the compiled form on later calls.
 * @example
 * const f = jit((x) => np.sin(x).mul(2));
 * f(np.ones([3])); // traced once for f32[3]
 */
export interface Jitted<F extends Fn> {
  (...args: Lifted<Parameters<F>>): ReturnType<F>;
  /**
   * The function lowered for these arguments' types (traced if new), as JAX's
   * `jit(f).lower(*args)`: `asText()` is its StableHLO module, `compile()` the
   * function for that signature; also jaxon's own traced jaxpr and fused plan.
   */
  lower(...args: Lifted<Parameters<F>>): Lowered<F>;
  /** How many times this function was traced (once per new signature). */
  readonly traces: number;
  /** How many traces its cache holds now (at most `jitConfig.maxTraces`). */
  readonly cacheSize: number;
}

/**
 * A jitted function lowered for one signature (JAX's `Lowered`): the
 * StableHLO module XLA and the other ML compilers take, and jaxon's own
 * traced jaxpr and fused plan.
 * @example
 * import { jit, np } from "jaxon-ts";
 * const lowered = jit((x) => np.sin(x).mul(2)).lower(np.ones([3]));
 * lowered.asText().includes('"stablehlo.sine"'); // true
 * lowered.compile()(np.ones([3])); // [1.682942, 1.682942, 1.682942]
 */
export interface Lowered<F extends Fn> {
  /** The traced jaxpr. */
  jaxpr: Jaxpr;
  /** How many kernels jaxon's fused plan launches on the arguments' device. */
  kernels: number;
  /** jaxon's fused plan, as text (the simplified jaxpr it runs). */
  text: string;
  /** The StableHLO module (MLIR text) of the function at these types, as JAX's `Lowered.as_text()`: what `exportStableHLO(f)(...args).text` gives. */
  asText(): string;
  /** The module with its metadata (input and output shapes, dtypes, trees), as `exportStableHLO` returns it. */
  exported(): Exported;
  /**
   * The function for this signature, as JAX's `Lowered.compile()`. jaxon
   * compiles lazily: the plan is made here, each kernel is compiled on the
   * first call that runs it and kept; a call with other types, structure or
   * static values is a ShapeError (as JAX's Compiled refuses them).
   */
  compile(): Compiled<F>;
}

/** A jitted function fixed to one signature (JAX's `Compiled`). */
export interface Compiled<F extends Fn> {
  (...args: Lifted<Parameters<F>>): ReturnType<F>;
  /** The StableHLO module of the function at this signature. */
  asText(): string;
}

export function jit<F extends Fn>(f: F, options: JitOptions = {}): Jitted<F> {
  functionArg("jit", "f", f);
  options = optionsArg("jit", options);
  const statics = new Set(options.staticArgnums ?? []);
  // insertion order is recency order: a hit moves its entry to the end, and the
  // first entry is the least recently used one, evicted past jitConfig.maxTraces
  const cache = new Map<string, { jaxpr: Jaxpr; consts: Value[]; outTree: TreeDef }>();
  const name = f.name || "fn";
  let traces = 0;
  let lastKey: string | undefined;
  let generation = jitCaches.generation;
  let lastCall: CallShape | undefined;
  let cleared = false;

  const lookup = (args: unknown[]) => {
    // clearCaches() since the last call: forget every trace
    if (generation !== jitCaches.generation) {
      cache.clear();
      lastKey = undefined;
      cleared = true;
      generation = jitCaches.generation;
    }
    const dynamic = args.filter((_, i) => !statics.has(i));
    // a JS integer is a weak int32, as JAX's jit(f)(5)
    const [leaves, inTree] = flattenArgs(dynamic, "jit", true);
    // every part is self-delimiting (a tree key is bracketed with JSON-quoted
    // object keys, aval keys end in "]" or "]~", static keys are bracketed), so
    // two different calls can never build the same string
    const signature = leaves.map((l) => l.aval.key).join(",");
    const staticPart = statics.size ? staticKey(args, statics, name) : "";
    // the bound named axes too: axisSize is traced in as a number (collectives, issue 16)
    // and the settings that change what the trace means (numpyRankPromotion, numpyDtypePromotion)
    const axes = axisEnvKey();
    const context = traceContextKey();
    const key = `${inTree.key}|${signature}|${staticPart}${axes}${context}`;
    let entry = cache.get(key);
    if (entry && key !== lastKey) {
      cache.delete(key);
      cache.set(key, entry);
    }
    if (!entry) {
      if (configState.noTracing) {
        throw new ConfigScopeError(`jit(${name}): the call (${signature}) would trace the function again, but noTracing() forbids tracing; call it once with these argument types before the scope`);
      }
      if (jitConfig.explainCacheMisses) {
        const now = { tree: inTree.key, signature, statics: staticPart, axes, context };
        console.warn(`jaxon: jit(${name}) traced again: ${explainMiss(lastCall, now, cleared)}`);
      }
      if (jitConfig.logCompiles) {
        const reason = lastKey === undefined ? "first call" : `new signature (${signature}${staticPart ? `; static ${staticPart}` : ""})`;
        console.log(`jaxon: tracing jit(${name}) for ${reason}`);
      }
      const isStatic = args.map((_, i) => statics.has(i));
      const withStatics = (...dynamic: unknown[]) => {
        const out = f(...mergeLists(isStatic, dynamic, pick(args, isStatic)));
        // an async function returns before its body has finished with the tracers:
        // refuse it here, and keep its promise from rejecting unhandled later
        if (isThenable(out)) throw refusePromise(out, `jit(${name})`);
        return out;
      };
      const { flat, outTree } = flattenFun(withStatics, inTree, "jit output");
      const { jaxpr, consts } = traceFlat(flat, leaves.map((l) => l.aval), `jit(${name})`, evalTrace);
      entry = { jaxpr, consts, outTree: outTree() };
      // a trace that closed over values of an enclosing transformation is only valid for this call
      if (consts.every((c) => c instanceof Array)) {
        cache.set(key, entry);
        for (const old of cache.keys()) {
          if (cache.size <= maxTraces) break;
          cache.delete(old);
        }
      }
      traces++;
      jitStats.traces++;
    }
    lastKey = key;
    // the parts of this call (strings made above anyway), for explainCacheMisses to compare with
    lastCall = { tree: inTree.key, signature, statics: staticPart, axes, context };
    cleared = false;
    return { entry, leaves, inTree, key, signature };
  };

  const jitted = ((...args: unknown[]) => {
    // inside disableJit(...): the function runs eagerly, op by op, as written
    if (jitDisabled.depth > 0) return f(...args) as ReturnType<F>;
    const { entry, leaves } = lookup(args);
    const outs = bind(jitP, [...entry.consts, ...leaves], { jaxpr: entry.jaxpr, name });
    return rebuild(entry.outTree, outs) as ReturnType<F>;
  }) as Jitted<F>;
  jitted.lower = (...args: unknown[]) => {
    const { entry, leaves, inTree, key, signature } = lookup(args);
    const concrete = [...entry.consts, ...leaves].filter((v): v is Array => v instanceof Array);
    const plan = planFor(entry.jaxpr, deviceOf(concrete));
    let exported: Exported | undefined;
    const exportedOnce = () => (exported ??= exportTraced(entry.jaxpr, entry.consts, leaves, inTree, entry.outTree));
    const lowered: Lowered<F> = {
      jaxpr: entry.jaxpr,
      kernels: kernelCount(plan),
      text: String(plan.jaxpr),
      asText: () => exportedOnce().text,
      exported: exportedOnce,
      compile() {
        const compiled = ((...xs: unknown[]) => {
          const got = lookup(xs);
          if (got.key !== key) {
            throw new ShapeError(
              `jit(${name}).lower(...).compile(): compiled for arguments (${signature}) but called with (${got.signature}); ` +
                `lower and compile again for these types, or call the jitted function itself`,
            );
          }
          return jitted(...(xs as Lifted<Parameters<F>>));
        }) as Compiled<F>;
        compiled.asText = lowered.asText;
        return compiled;
      },
    };
    return lowered;
  };
  Object.defineProperty(jitted, "traces", { get: () => traces });
  Object.defineProperty(jitted, "cacheSize", { get: () => cache.size });
  return jitted;
}

/** A call's parts as explainCacheMisses compares them. */
type CallShape = { tree: string; signature: string; statics: string; axes: string; context: string };

/** The leaf types of a signature (aval keys, `f32[3,4]` with `~` if weak, joined by commas). */
const leafTypes = (signature: string) => (signature === "" ? [] : signature.split(/(?<=\]~?),/).map((k) => (k.endsWith("~") ? `${k.slice(0, -1)} (weak)` : k)));

/** Why a call missed the trace cache, compared with the call before it (JAX's explain_cache_misses). */
function explainMiss(prev: CallShape | undefined, now: CallShape, cleared: boolean): string {
  if (cleared) return "clearCaches() dropped its traces";
  if (!prev) return "first call";
  const why: string[] = [];
  if (prev.tree !== now.tree) why.push(`the arguments' tree structure changed from ${prev.tree} to ${now.tree}`);
  else {
    const [before, after] = [leafTypes(prev.signature), leafTypes(now.signature)];
    after.forEach((l, i) => {
      if (before[i] !== l) why.push(`argument leaf ${i} changed from ${before[i]} to ${l}`);
    });
  }
  if (prev.statics !== now.statics) why.push(`the static arguments changed from ${prev.statics} to ${now.statics}`);
  if (prev.axes !== now.axes) why.push(`the named axes bound around it changed from "${prev.axes}" to "${now.axes}"`);
  if (prev.context !== now.context) why.push(`the promotion settings changed from "${prev.context || "default"}" to "${now.context || "default"}"`);
  return why.length ? why.join("; ") : "the trace for these types was evicted (jitConfig.maxTraces) or was never cached (it closed over values of an enclosing transformation)";
}

let maxTraces = 256;

/** Internal: how many `disableJit` scopes are open (see transforms/helpers.ts). */
export const jitDisabled = { depth: 0 };
/** Internal: bumped by `clearCaches` (transforms/helpers.ts); each jitted function drops its traces when it sees a new generation. */
export const jitCaches = { generation: 0 };

function cacheBound(name: string, n: number): number {
  if (!(Number.isInteger(n) && n >= 1) && n !== Infinity) {
    throw new UnsupportedError(`jitConfig.${name} must be a positive integer (or Infinity for no bound), got ${String(n)}`);
  }
  return n;
}

/** Counts of jit activity across all jitted functions, for tests and for users chasing recompilation. */
export const jitStats = { traces: 0 };

/**
 * Set `jitConfig.logCompiles = true` (or JAXON_LOG_COMPILES=1) to print each
 * trace of a jitted function with its reason. `jitConfig.fusion = false` runs
 * every primitive of a jitted function as its own kernel (to measure what
 * fusion saves, or to rule it out when chasing a wrong number).
 *
 * The caches are bounded, least recently used first out, so that a program
 * that calls with ever new shapes or static values (a fresh Map, a closure
 * per call) does not grow without limit. `jitConfig.maxTraces` (default 256)
 * bounds the traces each jitted function keeps; `jitConfig.maxEagerSignatures`
 * (default 2048) bounds, per primitive, the signatures (input types and
 * parameters) that eager dispatch keeps checked and lowered. An evicted entry
 * is only retraced (or re-lowered) when it is used again.
 *
 * `jitConfig.maxPipelines` bounds the compiled WebGPU pipelines kept (256 by
 * default; least recently used evicted first), and `jitConfig.maxCpuKernels`
 * the compiled CPU kernels (4096).
 * @example
 * import { jit, jitConfig, np } from "jaxon-ts";
 * jitConfig.fusion = false;
 * const f = jit((x) => np.exp(np.sin(x).mul(2).add(1)));
 * console.log(f.lower(np.ones([8])).kernels); // => 4
 * jitConfig.fusion = true;
 * console.log(f.lower(np.ones([8])).kernels); // => 1
 */
export const jitConfig = {
  /** Check every result for NaN, as JAX's `jax_debug_nans` (the scoped form is `debugNans`; see there). */
  get debugNans(): boolean {
    return debugChecks.nans;
  },
  set debugNans(on: boolean) {
    debugChecks.nans = on === true;
  },
  /** Check every result for ±Infinity, as JAX's `jax_debug_infs` (the scoped form is `debugInfs`). */
  get debugInfs(): boolean {
    return debugChecks.infs;
  },
  set debugInfs(on: boolean) {
    debugChecks.infs = on === true;
  },
  /** Print why each retrace of a jitted function happened, as JAX's `jax_explain_cache_misses` (the scoped form is `explainCacheMisses`). */
  explainCacheMisses: false,
  logCompiles: typeof process !== "undefined" && process.env?.JAXON_LOG_COMPILES === "1",
  get maxTraces(): number {
    return maxTraces;
  },
  set maxTraces(n: number) {
    maxTraces = cacheBound("maxTraces", n);
  },
  get maxEagerSignatures(): number {
    return cacheConfig.maxEagerSignatures;
  },
  set maxEagerSignatures(n: number) {
    cacheConfig.maxEagerSignatures = cacheBound("maxEagerSignatures", n);
  },
  get fusion(): boolean {
    return planConfig.fusion;
  },
  set fusion(on: boolean) {
    planConfig.fusion = on;
  },
  /**
   * Compiled WebGPU pipelines kept, least recently used evicted first
   * (default 256; each holds device memory, about 0.7 MB on lavapipe).
   */
  get maxPipelines(): number {
    return deviceCacheConfig.maxPipelines;
  },
  set maxPipelines(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new BackendError(`jitConfig.maxPipelines: must be a positive integer, got ${describe(n)}; e.g. jitConfig.maxPipelines = 256`);
    deviceCacheConfig.maxPipelines = n;
  },
  /**
   * Compiled CPU kernels kept (JavaScript functions and WebAssembly modules),
   * least recently used evicted first (default 4096). A kernel a live jitted
   * function holds stays compiled whatever this says.
   */
  get maxCpuKernels(): number {
    return deviceCacheConfig.maxCpuKernels;
  },
  set maxCpuKernels(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new BackendError(`jitConfig.maxCpuKernels: must be a positive integer, got ${describe(n)}; e.g. jitConfig.maxCpuKernels = 4096`);
    deviceCacheConfig.maxCpuKernels = n;
  },
};

/**
 * The cache key of the static arguments. Like JAX, which hashes static
 * arguments: primitives and plain data (arrays, plain objects) by value,
 * everything else (functions, Maps, class instances) by identity, through an
 * id a WeakMap assigns (so a key never keeps its object alive, and two
 * functions with one name never share a trace). Numbers compare as
 * `Object.is`: NaN is one value, and -0 is not 0 (JAX lets -0.0 hit a trace
 * made for 0.0 and returns the other sign's answer; a second trace is cheaper
 * than a wrong number). An array or tracer has no value to key by: it is an
 * error, as JAX's "Non-hashable static arguments are not supported".
 */
function staticKey(args: readonly unknown[], statics: ReadonlySet<number>, name: string): string {
  let s = "";
  for (const i of statics) {
    if (i >= args.length) continue; // as JAX, a static position past the call's arguments is ignored
    s += `${i}=${valueKey(args[i], i, name, [], "")};`;
  }
  return `(${s})`;
}

let nextIdentity = 0;
const objectIds = new WeakMap<object, number>();
const symbolIds = new Map<symbol, number>();

function identity(o: object): string {
  let id = objectIds.get(o);
  if (id === undefined) objectIds.set(o, (id = nextIdentity++));
  return `&${id}`;
}

/** `seen` holds the containers being keyed (to refuse cycles); `at` is where `v` lies in the argument, for errors. */
function valueKey(v: unknown, argnum: number, name: string, seen: object[], at: string): string {
  switch (typeof v) {
    case "number":
      return Object.is(v, -0) ? "#-0" : `#${v}`;
    case "string":
      return JSON.stringify(v);
    case "boolean":
      return v ? "T" : "F";
    case "undefined":
      return "U";
    case "bigint":
      return `${v}n`;
    case "symbol": {
      const registered = Symbol.keyFor(v);
      if (registered !== undefined) return `@for${JSON.stringify(registered)}`;
      let id = symbolIds.get(v);
      if (id === undefined) symbolIds.set(v, (id = nextIdentity++));
      return `@${id}`;
    }
    case "function":
      return identity(v);
  }
  if (v === null) return "N";
  const o = v as object;
  if (o instanceof ArrayMethods || ArrayBuffer.isView(o)) {
    const aval = (o as ArrayMethods & { aval?: unknown }).aval;
    const what = o instanceof Array ? `an array (${aval})` : o instanceof ArrayMethods ? `a traced value (${aval}) of an enclosing transformation` : `a ${o.constructor.name}`;
    throw new UnsupportedError(
      `jit(${name}): static argument ${argnum}${at ? ` (at ${at})` : ""} is ${what}, ` +
        `which cannot be a static value (it has no value to compare, like JAX's non-hashable static arguments); ` +
        `pass it as a traced argument (leave ${argnum} out of staticArgnums), or pass plain numbers instead`,
    );
  }
  if (seen.includes(o)) {
    throw new UnsupportedError(`jit(${name}): static argument ${argnum} contains itself (a cycle); pass a value without cycles`);
  }
  const proto = Object.getPrototypeOf(o);
  if (globalThis.Array.isArray(o)) {
    seen.push(o);
    const parts = o.map((x, j) => valueKey(x, argnum, name, seen, `${at}[${j}]`));
    seen.pop();
    return `[${parts.join(",")}]`;
  }
  if (proto === Object.prototype || proto === null) {
    seen.push(o);
    const keys = Object.keys(o).sort();
    const parts = keys.map((k) => `${JSON.stringify(k)}:${valueKey((o as Record<string, unknown>)[k], argnum, name, seen, `${at}[${JSON.stringify(k)}]`)}`);
    seen.pop();
    return `{${parts.join(",")}}`;
  }
  return identity(o);
}
