/**
 * jit: a function traced once per argument signature into a jaxpr, held by
 * the `jit` primitive. Because jit is a primitive with its own jvp,
 * transpose and batching rules, grad(jit(f)), vmap(jit(f)) and jit(grad(f))
 * all work without retracing the user's function.
 */
import { Array } from "../array.js";
import { instantiate, isZero } from "../lax/index.js";
import { definePrimitive, deviceOf } from "../lax/primitive.js";
import type { Value } from "../trace/core.js";
import { bind, currentTrace, evalTrace, Zero } from "../trace/core.js";
import type { Jaxpr } from "../trace/jaxpr.js";
import { evalJaxpr } from "../trace/jaxpr.js";
import { flatten, type TreeDef } from "../trace/pytree.js";
import { traceFlat } from "../trace/staging.js";
import { flattenArgs, rebuild, type Lifted } from "./args.js";
import { jvpFlat } from "./jvp.js";
import { transposeJaxpr } from "./linearize.js";
import { vmap } from "./vmap.js";
import { planConfig, planFor, runJaxpr } from "../backend/execute.js";
import { cacheConfig } from "../backend/cache-config.js";
import { BackendError } from "../errors.js";
import { kernelCount } from "../backend/fuse.js";
import { callJaxprOf } from "../trace/simplify.js";

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any
type JitParams = { jaxpr: Jaxpr; name: string };

const run = (p: JitParams, inputs: Value[]) => evalJaxpr(p.jaxpr, [], inputs);

/** Traces a flat function at the types of `args` and binds it as a jit call. */
function bindTraced(fn: (...xs: Value[]) => Value[], args: Value[], name: string): Value[] {
  const { jaxpr, consts } = traceFlat(fn, args.map((a) => a.aval), name, currentTrace());
  return bind(jitP, [...consts, ...args], { jaxpr, name });
}

export const jitP = definePrimitive<JitParams>("jit", {
  abstractEval: (_a, { jaxpr }) => jaxpr.outs.map((o) => o.aval),
  lower: () => {
    throw new Error("jit is evaluated through its jaxpr");
  },
  // eager calls run the fused plan: simplified, partitioned into kernels, compiled once per jaxpr
  impl: (args, params) => runJaxpr(params.jaxpr, args),
  jvp(primals, tangents, params) {
    // the primal call stays as it is (partial evaluation computes it now); the tangent
    // call recomputes what it needs from the primals, so it is a jit of its own
    const outs = bind(jitP, primals, params);
    if (tangents.every(isZero)) return [outs, outs.map((o) => new Zero(o.aval.strong()))];
    const n = primals.length;
    const touts = bindTraced(
      (...xs) => jvpFlat((...p) => run(params, p), xs.slice(0, n), xs.slice(n))[1].map(instantiate),
      [...primals, ...tangents.map(instantiate)],
      `jvp(${params.name})`,
    );
    return [outs, touts];
  },
  transpose: (cts, args, params) => transposeJaxpr(params.jaxpr, [], args, cts),
  batch(args, dims, params) {
    const outs = bindTraced((...xs) => vmap((...ys: Value[]) => run(params, ys), { inAxes: dims })(...xs) as Value[], args, `vmap(${params.name})`);
    return [outs, outs.map(() => 0)];
  },
});

callJaxprOf.set("jit", (p) => (p as JitParams).jaxpr);

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
  /** The traced jaxpr and the fused plan for these arguments (traced if new), for inspection. */
  lower(...args: Lifted<Parameters<F>>): { jaxpr: Jaxpr; kernels: number; text: string };
  /** How many times this function was traced (once per new signature). */
  readonly traces: number;
}

export function jit<F extends Fn>(f: F, options: JitOptions = {}): Jitted<F> {
  const statics = new Set(options.staticArgnums ?? []);
  const cache = new Map<string, { jaxpr: Jaxpr; consts: Value[]; outTree: TreeDef }>();
  const name = f.name || "fn";
  let traces = 0;
  let lastKey: string | undefined;

  const lookup = (args: unknown[]) => {
    const dynamic = args.filter((_, i) => !statics.has(i));
    const [leaves, inTree] = flattenArgs(dynamic, "jit");
    const signature = leaves.map((l) => l.aval.key).join(",");
    const staticPart = statics.size ? staticKey(args.filter((_, i) => statics.has(i))) : "[]";
    const key = `${inTree.key}|${signature}|${staticPart}`;
    let entry = cache.get(key);
    if (!entry) {
      if (jitConfig.logCompiles) {
        const reason = lastKey === undefined ? "first call" : `new signature (${signature}${staticPart !== "[]" ? `; static ${staticPart}` : ""})`;
        console.log(`jaxon: tracing jit(${name}) for ${reason}`);
      }
      let outTree: TreeDef | undefined;
      const { jaxpr, consts } = traceFlat(
        (...xs) => {
          const dyn = rebuild<unknown[]>(inTree, xs);
          let k = 0;
          const full = args.map((a, i) => (statics.has(i) ? a : dyn[k++]));
          const [outLeaves, t] = flatten(f(...full));
          outTree = t;
          return flattenArgs(outLeaves, "jit output")[0];
        },
        leaves.map((l) => l.aval),
        `jit(${name})`,
        evalTrace,
      );
      entry = { jaxpr, consts, outTree: outTree! };
      // a trace that closed over values of an enclosing transformation is only valid for this call
      if (consts.every((c) => c instanceof Array)) cache.set(key, entry);
      traces++;
      jitStats.traces++;
    }
    lastKey = key;
    return { entry, leaves };
  };

  const jitted = ((...args: unknown[]) => {
    const { entry, leaves } = lookup(args);
    const outs = bind(jitP, [...entry.consts, ...leaves], { jaxpr: entry.jaxpr, name });
    return rebuild(entry.outTree, outs) as ReturnType<F>;
  }) as Jitted<F>;
  jitted.lower = (...args: unknown[]) => {
    const { entry, leaves } = lookup(args);
    const concrete = [...entry.consts, ...leaves].filter((v): v is Array => v instanceof Array);
    const plan = planFor(entry.jaxpr, deviceOf(concrete));
    return { jaxpr: entry.jaxpr, kernels: kernelCount(plan), text: String(plan.jaxpr) };
  };
  Object.defineProperty(jitted, "traces", { get: () => traces });
  return jitted;
}

/** Counts of jit activity across all jitted functions, for tests and for users chasing recompilation. */
export const jitStats = { traces: 0 };

/**
 * Set `jitConfig.logCompiles = true` (or JAXON_LOG_COMPILES=1) to print each
 * trace of a jitted function with its reason. `jitConfig.fusion = false` runs
 * every primitive of a jitted function as its own kernel (to measure what
 * fusion saves, or to rule it out when chasing a wrong number).
 * `jitConfig.maxPipelines` bounds the compiled WebGPU pipelines kept (256 by
 * default; least recently used evicted first).
 * @example
 * import { jit, jitConfig, np } from "jaxon";
 * jitConfig.fusion = false;
 * const f = jit((x) => np.exp(np.sin(x).mul(2).add(1)));
 * console.log(f.lower(np.ones([8])).kernels); // => 4
 * jitConfig.fusion = true;
 * console.log(f.lower(np.ones([8])).kernels); // => 1
 */
export const jitConfig = {
  logCompiles: typeof process !== "undefined" && process.env?.JAXON_LOG_COMPILES === "1",
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
    return cacheConfig.maxPipelines;
  },
  set maxPipelines(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new BackendError(`jitConfig.maxPipelines: must be a positive integer, got ${String(n)}; e.g. jitConfig.maxPipelines = 256`);
    cacheConfig.maxPipelines = n;
  },
};

function staticKey(values: unknown[]): string {
  return JSON.stringify(values, (_k, v) => (typeof v === "function" ? `fn:${v.name}` : v));
}
