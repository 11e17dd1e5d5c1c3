/**
 * The top-level helpers of JAX's everyday API that are not transformations of
 * values: waiting for and reading results (`blockUntilReady`, `deviceGet`),
 * running jitted code eagerly (`disableJit`), naming staged code
 * (`namedScope`, `namedCall`), and the two custom-derivative conveniences
 * built on `customVjp` and tracing (`customGradient`, `closureConvert`).
 */
import { Array } from "../array.js";
import type { NestedNumbers } from "../array-methods.js";
import { ArgumentError, BackendError, ConcretizationError, ShapeError, UnsupportedError } from "../errors.js";
import { describe, functionArg, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { currentTrace, inScope, Tracer } from "../trace/core.js";
import { evalJaxpr } from "../trace/jaxpr.js";
import { withName } from "../trace/name-stack.js";
import { flatten, unflatten } from "../trace/pytree.js";
import { compileTimeEval, StagingTrace } from "../trace/staging.js";
import { flattenArgs, isThenable } from "./args.js";
import { customVjp } from "./custom.js";
import { flattenFun } from "./flat.js";
import { jitCaches, jitConfig, jitDisabled } from "./jit.js";
import { explicitly } from "../runtime/transfer-guard.js";

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Waits until every array in `tree` has its value computed, as JAX's
 * `jax.block_until_ready`; resolves to `tree` itself. jaxon dispatches work
 * asynchronously on WebGPU (and reads are async there), so this is how to time
 * a computation or make sure it finished; on the CPU arrays are ready at once.
 * Leaves that are not arrays (numbers, strings, null) are passed through.
 * @example
 * import { blockUntilReady, np } from "jaxon-ts";
 * const y = await blockUntilReady(np.arange(4).mul(2));
 * y.arraySync(); // [0, 2, 4, 6]
 */
export async function blockUntilReady<T>(tree: T): Promise<T> {
  const [leaves] = flatten(tree);
  for (const l of leaves) {
    if (l instanceof Tracer) {
      throw new ConcretizationError(
        "blockUntilReady: the tree holds a traced value (called inside jit, vmap or grad); " + "wait for the transformed function's result outside the transformation instead",
      );
    }
  }
  // waiting is no transfer the user asked for: the transfer guards let these reads pass
  await Promise.all(explicitly(() => leaves.filter((l): l is Array => l instanceof Array).map((a) => a.data())));
  return tree;
}

type DeviceGot<T> = T extends Array ? NestedNumbers : T extends readonly unknown[] ? { [K in keyof T]: DeviceGot<T[K]> } : T extends object ? { [K in keyof T]: DeviceGot<T[K]> } : T;

function readLeaves(op: string, tree: unknown): [unknown[], ReturnType<typeof flatten>[1]] {
  const [leaves, def] = flatten(tree);
  for (const l of leaves) {
    if (l instanceof Tracer) {
      throw new ConcretizationError(
        `${op}: the tree holds a traced value of shape [${l.shape.join(", ")}] (called inside jit, vmap or grad, where values are not known yet); ` +
          `read the transformed function's result outside the transformation instead`,
      );
    }
  }
  return [leaves, def];
}

/**
 * The values of every array in `tree`, as JAX's `jax.device_get` (which gives
 * numpy arrays): each array becomes its nested JS values, as `x.arraySync()`
 * (a 0-d array a plain number, a bool array booleans, a complex one
 * `{re, im}` objects); other leaves are passed through and the tree keeps its
 * structure. Synchronous, so only for devices that read synchronously (the
 * CPU); on WebGPU use `deviceGetAsync`.
 * @example
 * import { deviceGet, np } from "jaxon-ts";
 * deviceGet({ w: np.ones([2]), b: np.array(3), step: 7 }); // { w: [1, 1], b: 3, step: 7 }
 */
export function deviceGet<T>(tree: T): DeviceGot<T> {
  const [leaves, def] = readLeaves("deviceGet", tree);
  const values = leaves.map((l) => {
    if (!(l instanceof Array)) return l;
    if (!l.backend.syncReadable) {
      throw new BackendError(`deviceGet: an array lives on ${l.backend.name}, which cannot be read synchronously; use \`await deviceGetAsync(tree)\``);
    }
    return l.arraySync();
  });
  return unflatten(def, values) as DeviceGot<T>;
}

/**
 * `deviceGet` for every device: resolves to the tree with each array replaced
 * by its nested JS values, reading all arrays concurrently (the way to fetch
 * results from WebGPU).
 * @example
 * import { deviceGetAsync, np } from "jaxon-ts";
 * await deviceGetAsync([np.arange(3), np.array(2.5)]); // [[0, 1, 2], 2.5]
 */
export async function deviceGetAsync<T>(tree: T): Promise<DeviceGot<T>> {
  const [leaves, def] = readLeaves("deviceGetAsync", tree);
  const values = await Promise.all(explicitly(() => leaves.map((l) => (l instanceof Array ? l.array() : l))));
  return unflatten(def, values) as DeviceGot<T>;
}

/**
 * Runs `fn` with jit disabled, as JAX's `with jax.disable_jit():` block: every
 * jitted function called inside runs its body eagerly, op by op, so that
 * `console.log` shows values and value-dependent code works while debugging.
 * Returns what `fn` returns; if that is a promise, jit stays disabled until
 * it settles. (Control-flow primitives such as `lax.scan` and
 * `lax.whileLoop` still trace their bodies, and `jit(f).lower(...)` still
 * traces.)
 * @example
 * import { disableJit, jit, np } from "jaxon-ts";
 * const f = jit((x) => {
 *   console.log(String(x)); // inside disableJit: prints the values, not a tracer
 *   return x.mul(2);
 * });
 * disableJit(() => f(np.arange(3))).arraySync(); // [0, 2, 4]
 */
export function disableJit<T>(fn: () => T): T {
  functionArg("disableJit", "fn", fn);
  return scoped(fn, () => jitDisabled.depth++, () => jitDisabled.depth--);
}

/** Runs `fn` between `enter()` and `leave()`; when `fn` returns a promise, `leave` waits until it settles. */
export function scoped<T>(fn: () => T, enter: () => void, leave: () => void): T {
  enter();
  let async = false;
  try {
    const out = fn();
    if (isThenable(out)) {
      async = true;
      return Promise.resolve(out).finally(leave) as T;
    }
    return out;
  } finally {
    if (!async) leave();
  }
}

/**
 * Runs `fn` so that work on known values is done now even while tracing, as
 * JAX's `with jax.ensure_compile_time_eval():`: inside a jitted function (or
 * makeJaxpr, a scan body, ...) an operation none of whose inputs is a value
 * of that trace (a constant, an array made inside, a closed-over array) is
 * computed at trace time and its result is a concrete array that can be read
 * (`itemSync()`) or branched on. Operations on the traced arguments are
 * still staged. Returns what `fn` returns (a promise: the scope lasts until
 * it settles).
 * @example
 * import { ensureCompileTimeEval, jit, np } from "jaxon-ts";
 * const f = jit((x) => {
 *   const n = ensureCompileTimeEval(() => np.arange(4).sum().itemSync()); // 6, known while tracing
 *   return x.mul(n);
 * });
 * f(np.array([1, 2])).arraySync(); // [6, 12]
 */
export function ensureCompileTimeEval<T>(fn: () => T): T {
  functionArg("ensureCompileTimeEval", "fn", fn);
  return scoped(fn, () => compileTimeEval.depth++, () => compileTimeEval.depth--);
}

/**
 * Runs `fn` with each trace of a jitted function printed with its reason, as
 * JAX's `with jax.log_compiles():` (the scoped form of `jitConfig.logCompiles = true`).
 * Returns what `fn` returns (a promise: logging lasts until it settles).
 * @example
 * import { jit, logCompiles, np } from "jaxon-ts";
 * const f = jit((x) => x.add(1));
 * logCompiles(() => f(np.ones([2]))); // prints "jaxon: tracing jit(fn) for first call"
 */
export function logCompiles<T>(fn: () => T): T {
  functionArg("logCompiles", "fn", fn);
  let before = false;
  return scoped(
    fn,
    () => {
      before = jitConfig.logCompiles;
      jitConfig.logCompiles = true;
    },
    () => {
      jitConfig.logCompiles = before;
    },
  );
}

function checkName(op: string, name: unknown): string {
  if (typeof name !== "string" || name.length === 0 || name.includes("/")) {
    throw new ArgumentError(`${op}: name must be a non-empty string without "/", got ${describe(name)}`);
  }
  return name;
}

/**
 * Runs `fn` inside a named scope, as JAX's `with jax.named_scope(name):`:
 * every equation staged meanwhile (under `jit`, `makeJaxpr`, ...) records the
 * scope's name in its name stack (`eqn.nameStack`, shown by
 * `jaxpr.prettyPrint({ nameStack: true })`), and `exportStableHLO` writes
 * it, with the primitive's name, as each op's location (`loc("layer1/sin")`,
 * as JAX's lowering does). Scopes nest, joined with "/". No value changes.
 * Returns what `fn` returns.
 * @example
 * import { makeJaxpr, namedScope, np } from "jaxon-ts";
 * const j = makeJaxpr((x) => namedScope("layer1", () => np.sin(x)).mul(2))(np.ones([2]));
 * j.prettyPrint({ nameStack: true });
 * // { lambda ; a:f32[2]. let
 * //     b:f32[2] = sin a # [layer1]
 * //     c:f32[2] = mul b 2.0 # []
 * //   in (c) }
 */
export function namedScope<T>(name: string, fn: () => T): T {
  checkName("namedScope", name);
  functionArg("namedScope", "fn", fn);
  return withName(name, fn);
}

/**
 * `f` with its staged equations named, as JAX's `jax.named_call`: a call runs
 * `f` inside `namedScope(name)`, `name` defaulting to `f.name`. No value changes.
 * @example
 * import { makeJaxpr, namedCall, np } from "jaxon-ts";
 * const dense = namedCall((x) => np.tanh(x), { name: "dense" });
 * makeJaxpr(dense)(np.ones([3])).jaxpr.eqns[0].nameStack; // "dense"
 */
export function namedCall<F extends Fn>(f: F, options: { name?: string } = {}): F {
  functionArg("namedCall", "f", f);
  options = optionsArg("namedCall", options);
  const name = checkName("namedCall", options.name ?? (f.name || "fn"));
  return ((...args: Parameters<F>) => withName(name, () => f(...args))) as F;
}

function refuseAsync(op: string, out: unknown) {
  if (isThenable(out)) throw new UnsupportedError(`${op}: the function returned a promise; it must compute its result synchronously`);
}

/**
 * Closure conversion, as JAX's `jax.closure_convert`: traces `fun` at the
 * types of `exampleArgs` and returns `[converted, hoisted]`, where `hoisted`
 * are the traced values (of an enclosing jit, grad or vmap) that `fun` closes
 * over, and `converted(...args, ...hoisted)` computes `fun(...args)`. Passing
 * the hoisted values as explicit arguments lets a `customVjp` rule
 * differentiate with respect to them. Concrete arrays `fun` closes over stay
 * closed over (as in JAX, they cannot carry a derivative). `converted` takes
 * arguments of the example arguments' tree structure.
 * @example
 * import { closureConvert, grad, np } from "jaxon-ts";
 * grad((w) => {
 *   const [f, consts] = closureConvert((x) => x.mul(w), np.array(1));
 *   return f(np.array(3), ...consts); // consts = [w]: the traced value f closed over
 * })(np.array(2)); // 3
 */
export function closureConvert<F extends Fn>(fun: F, ...exampleArgs: Parameters<F>): [(...argsAndConsts: unknown[]) => ReturnType<F>, Value[]] {
  functionArg("closureConvert", "fun", fun);
  return convertClosure(fun, exampleArgs, false);
}

/** closureConvert; with `hoistAll`, every closed-over value is hoisted (concrete arrays too). */
function convertClosure<F extends Fn>(fun: F, exampleArgs: unknown[], hoistAll: boolean): [(...argsAndConsts: unknown[]) => ReturnType<F>, Value[]] {
  const [leaves, inTree] = flattenArgs(exampleArgs, "closureConvert");
  const trace = new StagingTrace(currentTrace(), "closureConvert");
  const flat = flattenFun((...xs: unknown[]) => {
    const out = fun(...xs);
    refuseAsync("closureConvert", out);
    return out;
  }, inTree, "closureConvert output");
  let outs: Value[] = [];
  inScope(trace, () => {
    const ins = leaves.map((x) => trace.newArg(x.aval));
    outs = flat.flat(...ins);
  });
  const outTree = flat.outTree();
  const { jaxpr, consts } = trace.build(outs);
  const hoist = consts.map((c) => hoistAll || c instanceof Tracer);
  const hoisted = consts.filter((_, i) => hoist[i]);
  const nArgs = exampleArgs.length;
  const converted = (...argsAndConsts: unknown[]) => {
    if (argsAndConsts.length !== nArgs + hoisted.length) {
      throw new ArgumentError(
        `closureConvert: the converted function takes the ${nArgs} argument(s) of the example followed by the ${hoisted.length} hoisted value(s), ` +
          `${nArgs + hoisted.length} in all; got ${argsAndConsts.length}`,
      );
    }
    const [args, tree] = flattenArgs(argsAndConsts.slice(0, nArgs), "closureConvert converted function");
    if (tree.key !== inTree.key) {
      throw new ShapeError(`closureConvert: the converted function's arguments must have the example arguments' tree structure; expected ${inTree.key}, got ${tree.key}`);
    }
    args.forEach((a, i) => {
      const want = jaxpr.invars[i].aval;
      if (a.dtype !== want.dtype || a.ndim !== want.ndim || a.shape.some((d, k) => d !== want.shape[k])) {
        throw new ShapeError(`closureConvert: argument leaf ${i} was traced as ${String(want)} but is ${String(a.aval)}; convert again at these types`);
      }
    });
    const [extra] = flattenArgs(argsAndConsts.slice(nArgs), "closureConvert hoisted values");
    let k = 0;
    const allConsts = consts.map((c, i) => (hoist[i] ? extra[k++] : c));
    return unflatten(outTree, evalJaxpr(jaxpr, allConsts, args)) as ReturnType<F>;
  };
  return [converted, hoisted];
}

/**
 * A function with a custom gradient, as JAX's `jax.custom_gradient` (and
 * TensorFlow's): `fun(...args)` returns `[value, vjpFn]`, where `vjpFn(g)`
 * maps the cotangent of `value` to the cotangents of the arguments, an array
 * of one per argument (a single non-array result is taken as the one
 * argument's). `vjpFn` may close over intermediate values of `fun` (they
 * become the residuals, hoisted with `closureConvert`), but cannot branch on
 * their values or on `g`'s. Built on `customVjp`; the returned function
 * computes `value` only.
 * @example
 * import { customGradient, grad, np } from "jaxon-ts";
 * const f = customGradient((x) => {
 *   const y = np.sin(x);
 *   return [y, (g) => [g.mul(y).mul(100)]]; // a deliberately unusual gradient
 * });
 * f(np.array(0.5)).itemSync(); // sin(0.5) = 0.4794…
 * grad(f)(np.array(0.5)).itemSync(); // 100·sin(0.5) = 47.94…
 */
export function customGradient<F extends (...args: any[]) => [unknown, (g: any) => unknown]>( // eslint-disable-line @typescript-eslint/no-explicit-any
  fun: F,
): (...args: Parameters<F>) => ReturnType<F>[0] {
  functionArg("customGradient", "fun", fun);
  const pair = (args: unknown[]): [unknown, (g: unknown) => unknown] => {
    const out = fun(...args);
    refuseAsync("customGradient", out);
    if (!globalThis.Array.isArray(out) || out.length !== 2 || typeof out[1] !== "function") {
      throw new ArgumentError(`customGradient: fun must return [value, vjpFn] (a JS array of the value and a function of its cotangent), got ${describe(out)}`);
    }
    return out as [unknown, (g: unknown) => unknown];
  };
  // one customVjp per call: its fwd leaves the traced rule for its bwd here (the residuals, all of the
  // values the rule closes over, are hoisted, so that the rule's jaxpr is a function of them and of g only)
  return ((...args: Parameters<F>) => {
    let convert: ((...xs: unknown[]) => unknown) | undefined;
    const wrapped = customVjp(
      (...xs: unknown[]) => pair(xs)[0],
      (...xs: unknown[]) => {
        const [value, rule] = pair(xs);
        const [c, hoisted] = convertClosure((g: unknown) => rule(g), [value], true);
        convert = c;
        return [value, hoisted] as [unknown, unknown];
      },
      (res: Value[], ct: unknown) => {
        const out = convert!(ct, ...res);
        return globalThis.Array.isArray(out) ? out : [out];
      },
    );
    return wrapped(...args);
  }) as (...args: Parameters<F>) => ReturnType<F>[0];
}

/**
 * Clears the traces every jitted function keeps, as JAX's `jax.clear_caches`:
 * the next call of each traces its function again (to pick up a change to
 * something it closed over, or to free the memory of its constants). The
 * compiled kernels stay: they are keyed by their content, so a retrace finds
 * them again.
 * @example
 * import { clearCaches, jit, np } from "jaxon-ts";
 * const f = jit((x) => x.mul(2));
 * f(np.ones([2]));
 * clearCaches();
 * f(np.ones([2]));
 * f.traces; // 2
 */
export function clearCaches(): void {
  jitCaches.generation++;
}
