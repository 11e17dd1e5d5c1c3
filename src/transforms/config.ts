/**
 * JAX's configuration context managers as scope functions: `debugNans`,
 * `debugInfs` (checks of every eager and jitted result), and
 * `defaultMatmulPrecision` (accepted; jaxon has one precision). Each runs a
 * function with the setting changed and restores it afterwards, even when
 * the function throws; a function that returns a promise keeps the setting
 * until the promise settles. The global switches are `jitConfig.debugNans`
 * and `jitConfig.debugInfs` (JAX's `jax_debug_nans`, `jax_debug_infs`).
 */
import { configState, type DTypePromotion, type RankPromotion } from "../config-state.js";
import { ArgumentError, UnsupportedError } from "../errors.js";
import { debugChecks, settleChecks } from "../runtime/debug-checks.js";
import { transferGuards, type TransferGuardLevel, type TransferKind } from "../runtime/transfer-guard.js";

export type { TransferGuardLevel, RankPromotion, DTypePromotion };
import { describe, functionArg } from "../static-args.js";
import { isThenable } from "./args.js";
import { scoped } from "./helpers.js";
import { jitConfig } from "./jit.js";

/** Runs `fn` with `debugChecks[flag] = on`; a promise's scope ends when it settles, after the checks queued meanwhile have been looked at. */
function checkScope<T>(op: string, flag: "nans" | "infs", onOrFn: boolean | (() => T), maybeFn?: () => T): T {
  const [on, fn] = typeof onOrFn === "function" ? [true, onOrFn] : [onOrFn, maybeFn];
  if (typeof on !== "boolean") throw new ArgumentError(`${op}: the first argument must be true or false (or the function itself, meaning true), got ${describe(on)}`);
  functionArg(op, "fn", fn);
  const before = debugChecks[flag];
  debugChecks[flag] = on;
  let async = false;
  try {
    const out = fn!();
    if (isThenable(out)) {
      async = true;
      return Promise.resolve(out)
        .then(async (v) => {
          await settleChecks();
          return v;
        })
        .finally(() => {
          debugChecks[flag] = before;
        }) as T;
    }
    return out;
  } finally {
    if (!async) debugChecks[flag] = before;
  }
}

/**
 * Runs `fn` with NaN checks on (or off), as JAX's `with jax.debug_nans(True):`.
 * While on, every primitive's result is checked: a NaN raises a
 * `FloatingPointError` whose `primitive` names the primitive that produced
 * it. A jitted function's result is checked as a whole, and when it holds a
 * NaN the function is run again op by op to find the primitive (as JAX
 * does); on a device that reads asynchronously (WebGPU) jitted functions run
 * op by op while the check is on, and a failure is raised by the next
 * asynchronous read of any array (`await x.data()`), or rejects the promise
 * `fn` returned. Off by default; `jitConfig.debugNans = true` turns it on
 * everywhere. `debugNans(fn)` means `debugNans(true, fn)`.
 * @example
 * import { debugNans, FloatingPointError, jit, np } from "jaxon-ts";
 * const f = jit((x) => np.log(x).mul(2));
 * try {
 *   debugNans(true, () => f(np.array([1, -1])));
 * } catch (e) {
 *   (e as FloatingPointError).primitive; // "log"
 * }
 */
export function debugNans<T>(on: boolean, fn: () => T): T;
export function debugNans<T>(fn: () => T): T;
export function debugNans<T>(onOrFn: boolean | (() => T), fn?: () => T): T {
  return checkScope("debugNans", "nans", onOrFn, fn);
}

/**
 * Runs `fn` with infinity checks on (or off), as JAX's
 * `with jax.debug_infs(True):`: like `debugNans`, for +Infinity and
 * -Infinity (NaN is `debugNans`'s). `jitConfig.debugInfs = true` turns it
 * on everywhere.
 * @example
 * import { debugInfs, np } from "jaxon-ts";
 * try {
 *   debugInfs(true, () => np.array([1, 0]).div(np.array([0, 1])));
 * } catch (e) {
 *   String(e); // "FloatingPointError: debugInfs: the primitive `div` produced +Infinity in its output …"
 * }
 */
export function debugInfs<T>(on: boolean, fn: () => T): T;
export function debugInfs<T>(fn: () => T): T;
export function debugInfs<T>(onOrFn: boolean | (() => T), fn?: () => T): T {
  return checkScope("debugInfs", "infs", onOrFn, fn);
}

/** JAX's precision names for `defaultMatmulPrecision` (and `lax.Precision`'s). */
export type MatmulPrecision = "default" | "high" | "highest" | "bfloat16" | "tensorfloat32" | "float32" | "DEFAULT" | "HIGH" | "HIGHEST";
const PRECISIONS = new Set<string>(["default", "high", "highest", "bfloat16", "tensorfloat32", "float32", "DEFAULT", "HIGH", "HIGHEST"]);

/**
 * Runs `fn` with a default precision for matrix products and convolutions,
 * as JAX's `with jax.default_matmul_precision("float32"):`. jaxon multiplies
 * in the arrays' own dtype on every device (no bfloat16 or TensorFloat-32
 * passes), which is JAX's "highest": every precision is accepted and has no
 * effect, so that code written for JAX runs unchanged. An unknown name is an
 * ArgumentError.
 * @example
 * import { defaultMatmulPrecision, np } from "jaxon-ts";
 * defaultMatmulPrecision("highest", () => np.matmul(np.ones([2, 2]), np.ones([2, 2]))).arraySync(); // [[2, 2], [2, 2]]
 */
export function defaultMatmulPrecision<T>(precision: MatmulPrecision, fn: () => T): T {
  if (typeof precision !== "string" || !PRECISIONS.has(precision)) {
    throw new ArgumentError(`defaultMatmulPrecision: precision must be one of ${[...PRECISIONS].join(", ")}, got ${describe(precision)}`);
  }
  functionArg("defaultMatmulPrecision", "fn", fn);
  return fn();
}

/**
 * Runs `fn` with tracer-leak checking on, as JAX's `with jax.checking_leaks():`.
 * jaxon always checks: a trace dies when its transformation returns, and a
 * tracer of a dead trace used afterwards (stored in an outer variable, returned
 * through a closure) is a `TracerLeakError` naming the transformation that made
 * it. The scope exists so that code written for JAX runs unchanged; it
 * returns what `fn` returns.
 * @example
 * import { checkingLeaks, jit, np, type Value } from "jaxon-ts";
 * let leaked: Value | undefined;
 * jit((x) => { leaked = x; return x; })(np.ones([2]));
 * try {
 *   checkingLeaks(() => np.sin(leaked!));
 * } catch (e) {
 *   String(e); // "TracerLeakError: sin: got a tracer of jit(…) …"
 * }
 */
export function checkingLeaks<T>(fn: () => T): T {
  functionArg("checkingLeaks", "fn", fn);
  return fn();
}

/**
 * Runs `fn` with tracer-leak checking on or off, as JAX's
 * `with jax.check_tracer_leaks(True):` (the flag `jax_check_tracer_leaks`).
 * jaxon checks always (see `checkingLeaks`): `false` is accepted and changes
 * nothing, since an escaped tracer can never give a silently wrong value.
 * @example
 * import { checkTracerLeaks, np } from "jaxon-ts";
 * checkTracerLeaks(true, () => np.ones([2]).mul(2)).arraySync(); // [2, 2]
 */
export function checkTracerLeaks<T>(on: boolean, fn: () => T): T {
  if (typeof on !== "boolean") throw new ArgumentError(`checkTracerLeaks: the first argument must be true or false, got ${describe(on)}`);
  functionArg("checkTracerLeaks", "fn", fn);
  return fn();
}

/**
 * Runs `fn` with each retrace of a jitted function explained, as JAX's
 * `with jax.explain_cache_misses():` (the scoped form of
 * `jitConfig.explainCacheMisses = true`): a call that misses the function's
 * trace cache prints (console.warn) why, comparing with the call before it:
 * the first call, a different argument tree, which argument leaves changed
 * shape, dtype or weak type, which static arguments changed, the named axes
 * bound around it, or `clearCaches()`. Returns what `fn` returns (a promise:
 * the scope lasts until it settles).
 * @example
 * import { explainCacheMisses, jit, np } from "jaxon-ts";
 * const f = jit((x) => x.mul(2));
 * f(np.ones([2]));
 * explainCacheMisses(() => f(np.ones([3]))); // warns: jaxon: jit(fn) traced again: argument leaf 0 changed from f32[2] to f32[3]
 */
export function explainCacheMisses<T>(fn: () => T): T {
  functionArg("explainCacheMisses", "fn", fn);
  let before = false;
  return scoped(
    fn,
    () => {
      before = jitConfig.explainCacheMisses;
      jitConfig.explainCacheMisses = true;
    },
    () => {
      jitConfig.explainCacheMisses = before;
    },
  );
}

const LEVELS = new Set<string>(["allow", "log", "disallow"]);

function guardScope<T>(op: string, kinds: TransferKind[], level: TransferGuardLevel, fn: () => T): T {
  if (typeof level !== "string" || !LEVELS.has(level)) throw new ArgumentError(`${op}: level must be "allow", "log" or "disallow", got ${describe(level)}`);
  functionArg(op, "fn", fn);
  let before: TransferGuardLevel[] = [];
  return scoped(
    fn,
    () => {
      before = kinds.map((k) => transferGuards[k]);
      for (const k of kinds) transferGuards[k] = level;
    },
    () => kinds.forEach((k, i) => (transferGuards[k] = before[i])),
  );
}

/**
 * Runs `fn` with a level for every implicit transfer, as JAX's
 * `with jax.transfer_guard("disallow"):` — host to device, device to host
 * and device to device at once (see the three scopes of one kind each).
 * `"allow"` (the default) lets them happen, `"log"` warns (console.warn) on
 * each, `"disallow"` makes each a TransferGuardError naming the explicit
 * form. Explicit transfers always pass: `devicePut`, `devicePutAsync`,
 * `deviceGet`, `deviceGetAsync`, `makeArrayFromCallback`. jaxon's CPU
 * backend keeps arrays in host memory, so only a device that is not the
 * host (WebGPU) has transfers to guard; a single JS number is embedded
 * freely (as JAX's Python scalars). Returns what `fn` returns (a promise:
 * the scope lasts until it settles).
 * @example
 * import { devicePut, np, transferGuard } from "jaxon-ts";
 * transferGuard("disallow", () => np.ones([2]).mul(3).arraySync()); // [3, 3]: nothing leaves the CPU
 * // with WebGPU the default device: np.array([1, 2]) inside is a TransferGuardError,
 * // devicePut(cpuArray, "webgpu") is not
 */
export function transferGuard<T>(level: TransferGuardLevel, fn: () => T): T {
  return guardScope("transferGuard", ["hostToDevice", "deviceToHost", "deviceToDevice"], level, fn);
}

/**
 * `transferGuard` for host-to-device transfers only, as JAX's
 * `jax.transfer_guard_host_to_device`: host data (JS arrays, TypedArrays)
 * becoming an array on WebGPU without `devicePut`, e.g. `np.array([1, 2])`
 * with WebGPU the default device, or a TypedArray loaded there (`np.load`).
 * @example
 * import { np, transferGuardHostToDevice } from "jaxon-ts";
 * transferGuardHostToDevice("log", () => np.array([1, 2]).sum()).itemSync(); // 3 (on the CPU: nothing logged)
 */
export function transferGuardHostToDevice<T>(level: TransferGuardLevel, fn: () => T): T {
  return guardScope("transferGuardHostToDevice", ["hostToDevice"], level, fn);
}

/**
 * `transferGuard` for device-to-host transfers only, as JAX's
 * `jax.transfer_guard_device_to_host`: reading a WebGPU array's values with
 * `await x.data()`, `x.array()` or `x.item()` (JAX counts `np.asarray(x)` and
 * `x.item()` alike); `await deviceGetAsync(x)` is the explicit form.
 * @example
 * import { np, transferGuardDeviceToHost } from "jaxon-ts";
 * await transferGuardDeviceToHost("disallow", () => np.arange(3).array()); // [0, 1, 2]: a CPU array is in host memory
 */
export function transferGuardDeviceToHost<T>(level: TransferGuardLevel, fn: () => T): T {
  return guardScope("transferGuardDeviceToHost", ["deviceToHost"], level, fn);
}

/**
 * `transferGuard` for device-to-device transfers only, as JAX's
 * `jax.transfer_guard_device_to_device`: an uncommitted array copied to
 * another device because an operation mixes a CPU array with a WebGPU one
 * (`devicePut(x, device)` is the explicit form).
 * @example
 * import { np, transferGuardDeviceToDevice } from "jaxon-ts";
 * transferGuardDeviceToDevice("disallow", () => np.ones([2]).add(1)).arraySync(); // [2, 2]
 */
export function transferGuardDeviceToDevice<T>(level: TransferGuardLevel, fn: () => T): T {
  return guardScope("transferGuardDeviceToDevice", ["deviceToDevice"], level, fn);
}

/** Runs `fn` with `configState[field] = value`, restored afterwards (a promise: when it settles). */
function settingScope<K extends keyof typeof configState, T>(field: K, value: (typeof configState)[K], fn: () => T): T {
  let before = configState[field];
  return scoped(
    fn,
    () => {
      before = configState[field];
      configState[field] = value;
    },
    () => {
      configState[field] = before;
    },
  );
}

/** Reads the `(on, fn)` or `(fn)` arguments of a boolean scope. */
function boolScopeArgs<T>(op: string, onOrFn: boolean | (() => T), maybeFn?: () => T): [boolean, () => T] {
  const [on, fn] = typeof onOrFn === "function" ? [true, onOrFn] : [onOrFn, maybeFn];
  if (typeof on !== "boolean") throw new ArgumentError(`${op}: the first argument must be true or false (or the function itself, meaning true), got ${describe(on)}`);
  functionArg(op, "fn", fn);
  return [on, fn!];
}

const RANK_LEVELS = new Set<string>(["allow", "warn", "raise"]);

/**
 * Runs `fn` with a rule for NumPy's implicit rank promotion, as JAX's
 * `with jax.numpy_rank_promotion("raise"):`. Broadcasting two operands of
 * a NumPy ufunc (`np.add`, `x.mul(y)`, `np.maximum`, …) whose ranks differ
 * adds leading axes to the smaller one: `"allow"` (the default) lets it,
 * `"warn"` warns (console.warn, once per operation and shapes), `"raise"`
 * makes it a ShapeError. 0-d operands and JS numbers broadcast freely, and
 * so do operands of equal rank with size-1 axes, as in JAX. A jitted
 * function is traced again under a different setting. Returns what `fn`
 * returns (a promise: the scope lasts until it settles).
 * @example
 * import { np, numpyRankPromotion, ShapeError } from "jaxon-ts";
 * const x = np.ones([2, 3]);
 * numpyRankPromotion("raise", () => x.add(np.ones([1, 3])).shape); // [2, 3]: same rank
 * try {
 *   numpyRankPromotion("raise", () => x.add(np.ones([3])));
 * } catch (e) {
 *   e instanceof ShapeError; // true
 * }
 */
export function numpyRankPromotion<T>(level: RankPromotion, fn: () => T): T {
  if (typeof level !== "string" || !RANK_LEVELS.has(level)) throw new ArgumentError(`numpyRankPromotion: level must be "allow", "warn" or "raise", got ${describe(level)}`);
  functionArg("numpyRankPromotion", "fn", fn);
  return settingScope("rankPromotion", level, fn);
}

/**
 * Runs `fn` with JAX's standard or strict dtype promotion, as JAX's
 * `with jax.numpy_dtype_promotion("strict"):`. Under `"strict"` operands of
 * different dtypes are never promoted implicitly (int32 with float32,
 * float32 with float64, uint8 with int32, bool with anything else): that
 * is a DTypeError, and the fix is an explicit `astype`. JS numbers (weakly
 * typed) still join an array of their own kind or a higher one: an integer
 * with any integer or float array, a fractional number with any float (or
 * complex) array, but not a fractional number with an integer array.
 * `np.promoteTypes` and `np.resultType` follow the same rule. A jitted
 * function is traced again under a different setting.
 * @example
 * import { DTypeError, np, numpyDtypePromotion } from "jaxon-ts";
 * numpyDtypePromotion("strict", () => np.ones([2]).add(1).dtype); // "float32": a JS number is weak
 * try {
 *   numpyDtypePromotion("strict", () => np.ones([2]).add(np.arange(2)));
 * } catch (e) {
 *   e instanceof DTypeError; // true: float32 with int32
 * }
 */
export function numpyDtypePromotion<T>(level: DTypePromotion, fn: () => T): T {
  if (level !== "standard" && level !== "strict") throw new ArgumentError(`numpyDtypePromotion: level must be "standard" or "strict", got ${describe(level)}`);
  functionArg("numpyDtypePromotion", "fn", fn);
  return settingScope("dtypePromotion", level, fn);
}

/**
 * Runs `fn` with tracing forbidden (or allowed), as JAX's
 * `with jax.no_tracing(True):`: a call of a jitted function that would
 * trace it (a first call, or new argument types) is a ConfigScopeError,
 * while calls that reuse a trace run as usual. A way to check that a
 * training step does not retrace. `noTracing(fn)` means `noTracing(true, fn)`.
 * @example
 * import { jit, noTracing, np } from "jaxon-ts";
 * const f = jit((x) => x.mul(2));
 * f(np.ones([2]));
 * noTracing(() => f(np.ones([2]))).arraySync(); // [2, 2]: traced before
 * // noTracing(() => f(np.ones([3]))) is a ConfigScopeError: a new shape would trace again
 */
export function noTracing<T>(on: boolean, fn: () => T): T;
export function noTracing<T>(fn: () => T): T;
export function noTracing<T>(onOrFn: boolean | (() => T), maybeFn?: () => T): T {
  const [on, fn] = boolScopeArgs("noTracing", onOrFn, maybeFn);
  return settingScope("noTracing", on, fn);
}

/**
 * Runs `fn` with execution forbidden (or allowed), as JAX's
 * `with jax.no_execution(True):`: computing anything on concrete arrays,
 * an eager operation or a call of a jitted function, is a
 * ConfigScopeError naming the primitive, while tracing (`makeJaxpr`,
 * `evalShape`) still works. `noExecution(fn)` means `noExecution(true, fn)`.
 * @example
 * import { makeJaxpr, noExecution, np } from "jaxon-ts";
 * const x = np.ones([2]); // made outside: filling an array is a computation too
 * const text = noExecution(() => String(makeJaxpr((v) => np.sin(v))(x)));
 * text.includes("sin"); // true: tracing computes nothing
 * // noExecution(() => np.sin(x)) is a ConfigScopeError naming `sin`
 */
export function noExecution<T>(on: boolean, fn: () => T): T;
export function noExecution<T>(fn: () => T): T;
export function noExecution<T>(onOrFn: boolean | (() => T), maybeFn?: () => T): T {
  const [on, fn] = boolScopeArgs("noExecution", onOrFn, maybeFn);
  return settingScope("noExecution", on, fn);
}

/**
 * Runs `fn` with JAX's 64-bit mode off, as JAX's `with jax.enable_x64(False):`
 * (jaxon's fixed setting: JS numbers and `np.array` of JS numbers are
 * float32 or int32, as in JAX without x64). float64 is available anyway by
 * asking for it (`np.array(v, { dtype: "float64" })`, `x.astype("float64")`)
 * on the CPU. `enableX64(true, fn)` is an UnsupportedError: jaxon has no
 * 64-bit defaults and no int64, and running `fn` with 32-bit defaults would
 * give it other dtypes than JAX gives.
 * @example
 * import { enableX64, np } from "jaxon-ts";
 * enableX64(false, () => np.array([1.5]).dtype); // "float32"
 */
export function enableX64<T>(on: boolean, fn: () => T): T {
  if (typeof on !== "boolean") throw new ArgumentError(`enableX64: the first argument must be true or false, got ${describe(on)}`);
  functionArg("enableX64", "fn", fn);
  if (on) {
    throw new UnsupportedError(
      "enableX64(true): jaxon has no 64-bit mode (its defaults are JAX's without x64, and there is no int64); " +
        'ask for float64 explicitly instead (np.array(v, { dtype: "float64" }), x.astype("float64")), on the CPU',
    );
  }
  return fn();
}

/**
 * Runs `fn` with JAX's newer or older gradient rule for `nn.softmax`, as
 * JAX's `with jax.softmax_custom_jvp(True):`. Both rules give the same
 * derivative (they differ in memory use inside XLA); jaxon's softmax has one
 * rule, numerically stable either way, so the flag is accepted and changes
 * nothing. Returns what `fn` returns.
 * @example
 * import { grad, nn, np, softmaxCustomJvp } from "jaxon-ts";
 * softmaxCustomJvp(true, () => grad((x) => nn.softmax(x).get(0))(np.array([0, 0])).arraySync()); // [0.25, -0.25]
 */
export function softmaxCustomJvp<T>(on: boolean, fn: () => T): T {
  if (typeof on !== "boolean") throw new ArgumentError(`softmaxCustomJvp: the first argument must be true or false, got ${describe(on)}`);
  functionArg("softmaxCustomJvp", "fn", fn);
  return fn();
}

/**
 * Runs `fn` with a default PRNG implementation, as JAX's
 * `with jax.default_prng_impl("threefry2x32"):`. jaxon has JAX's default,
 * threefry2x32, only: that name runs `fn`; "rbg" and "unsafe_rbg" (XLA's
 * RngBitGenerator keys, of shape (4,)) are an UnsupportedError, as any other
 * name is an ArgumentError.
 * @example
 * import { defaultPrngImpl, random } from "jaxon-ts";
 * defaultPrngImpl("threefry2x32", () => random.key(0).arraySync()); // [0, 0]
 */
export function defaultPrngImpl<T>(impl: "threefry2x32" | "rbg" | "unsafe_rbg", fn: () => T): T {
  if (impl === "rbg" || impl === "unsafe_rbg") {
    throw new UnsupportedError(`defaultPrngImpl: jaxon implements only the "threefry2x32" PRNG (JAX's default), not "${impl}"`);
  }
  if (impl !== "threefry2x32") throw new ArgumentError(`defaultPrngImpl: impl must be "threefry2x32", "rbg" or "unsafe_rbg", got ${describe(impl)}`);
  functionArg("defaultPrngImpl", "fn", fn);
  return fn();
}

/**
 * Runs `fn` with JAX's partitionable Threefry random bits (true, jaxon's
 * and JAX's default since 0.5) or its original scheme (false), as JAX's
 * `with jax.threefry_partitionable(False):`. The scheme decides which bits a
 * key gives: under false, `random.split`, `random.bits` and every sampler
 * built on them (uniform, normal, randint, permutation, …) give the values
 * JAX gives with `jax_threefry_partitionable=False`, for reproducing results
 * drawn by older JAX versions. `random.foldIn` is the same in both. A
 * jitted function is traced again under a different setting.
 * `threefryPartitionable(fn)` means `threefryPartitionable(true, fn)`.
 * @example
 * import { random, threefryPartitionable } from "jaxon-ts";
 * const old = threefryPartitionable(false, () => random.bits(random.key(0), [2]).arraySync());
 * const now = random.bits(random.key(0), [2]).arraySync();
 * old[0] !== now[0]; // true: the two schemes hash other counters
 */
export function threefryPartitionable<T>(on: boolean, fn: () => T): T;
export function threefryPartitionable<T>(fn: () => T): T;
export function threefryPartitionable<T>(onOrFn: boolean | (() => T), maybeFn?: () => T): T {
  const [on, fn] = boolScopeArgs("threefryPartitionable", onOrFn, maybeFn);
  return settingScope("threefryPartitionable", on, fn);
}

/**
 * Runs `fn` with PRNG key reuse checking on (or off), as JAX's
 * `with jax.debug_key_reuse(True):`. Splitting a key (`random.split`,
 * `splitArray`) or drawing from it (`random.bits`, `uniform`, `normal`, every
 * sampler) consumes it; consuming the same key again inside the scope is a
 * KeyReuseError. `random.foldIn` and `random.keyData` do not consume, as in
 * JAX. jaxon's keys are plain uint32 arrays, so a key is tracked by its
 * array object: an eager key, or a traced key inside one jitted function;
 * unlike JAX, calling a jitted function that consumes its key argument does
 * not mark the caller's key consumed. `debugKeyReuse(fn)` means
 * `debugKeyReuse(true, fn)`.
 * @example
 * import { debugKeyReuse, KeyReuseError, random } from "jaxon-ts";
 * const key = random.key(0);
 * try {
 *   debugKeyReuse(() => [random.uniform(key), random.normal(key)]);
 * } catch (e) {
 *   e instanceof KeyReuseError; // true: key drawn from twice
 * }
 */
export function debugKeyReuse<T>(on: boolean, fn: () => T): T;
export function debugKeyReuse<T>(fn: () => T): T;
export function debugKeyReuse<T>(onOrFn: boolean | (() => T), maybeFn?: () => T): T {
  const [on, fn] = boolScopeArgs("debugKeyReuse", onOrFn, maybeFn);
  return settingScope("debugKeyReuse", on, fn);
}

/**
 * Runs `fn` with half-precision sums allowed (true, the default) or not, as
 * JAX's `with jax.allow_f16_reductions(False):`. When not, `lax.reduceSum`
 * of a float16 operand over an axis longer than 1 is a DTypeError, to find
 * sums that lose precision; `np.sum`, `np.mean` and the other NumPy
 * reductions accumulate in float32 and pass, as in JAX. A jitted function
 * is traced again under a different setting.
 * @example
 * import { allowF16Reductions, DTypeError, lax, np } from "jaxon-ts";
 * const h = np.ones([2, 3], { dtype: "float16" });
 * allowF16Reductions(false, () => np.sum(h).dtype); // "float16"
 * try {
 *   allowF16Reductions(false, () => lax.reduceSum(h, [1]));
 * } catch (e) {
 *   e instanceof DTypeError; // true
 * }
 */
export function allowF16Reductions<T>(on: boolean, fn: () => T): T {
  if (typeof on !== "boolean") throw new ArgumentError(`allowF16Reductions: the first argument must be true or false, got ${describe(on)}`);
  functionArg("allowF16Reductions", "fn", fn);
  return settingScope("allowF16Reductions", on, fn);
}
