/**
 * Gradient transformations, as optax's: a transformation is a pair of pure
 * functions `init(params) → state` and `update(updates, state, params?) →
 * [updates, state]`. Every state is a pytree of arrays (a step count is an
 * int32 0-d array), so a whole training step, optimizer included, can be
 * jitted and vmapped. Optimizers (`adam`, `sgd`, ...) are chains of these.
 */
import { optionsArg } from "../static-args.js";
import { describe } from "../static-args.js";
import type { ArrayLike } from "../array-methods.js";
import { ArrayMethods } from "../array-methods.js";
import { ShapeError, UnsupportedError } from "../errors.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { broadcastPrefix, flatten, leaves, treeMap, unflatten } from "../trace/pytree.js";
import type { ScalarOrSchedule } from "./schedules.js";

/** An optimizer state: a pytree of arrays. */
export type OptState = unknown;

/** The state of a transformation that keeps none (optax's `EmptyState`). */
export type EmptyState = Record<never, never>;

/**
 * A gradient transformation (optax's `GradientTransformation`): `init`
 * makes the state for some params; `update` turns updates (at first the
 * gradients) into new updates, with the next state. Both are pure.
 */
export interface GradientTransformation<S = OptState> {
  init<P>(params: P): S;
  update<U>(updates: U, state: S, params?: U): [U, S];
}

const INT32_MAX = 2147483647;

/** A fresh step count: int32 0 (internal). */
export function zeroCount(): Value {
  return np.zeros([], { dtype: "int32" });
}

/**
 * count + 1, saturating at the int32 maximum (optax's `safe_int32_increment`).
 * @example
 * optim.safeIncrement(np.array(2147483647, { dtype: "int32" })); // stays 2147483647
 */
export function safeIncrement(count: Value): Value {
  return np.where(np.less(count, INT32_MAX), np.add(count, 1), np.fullLike(count, INT32_MAX));
}

/** A leaf as a value (a JS number in a params tree becomes a float32 scalar). */
export function leaf(x: unknown): Value {
  if (x instanceof ArrayMethods) return x as Value;
  if (typeof x === "number") return np.array(x, { dtype: "float32" });
  throw new UnsupportedError(`optim: expected arrays or numbers as the leaves of params and updates, got ${x === null ? "null" : typeof x}`);
}

/** `x * s` in x's dtype (a step size never changes the dtype of an update, as in optax). */
export function scaleLeaf(x: Value, s: ArrayLike): Value {
  const v = typeof s === "number" ? s : np.astype(s as Value, x.dtype);
  return np.multiply(x, v);
}

/** Zeros like every leaf of a tree. */
export function zerosLikeTree(tree: unknown): unknown {
  return treeMap((p: unknown) => np.zerosLike(leaf(p)), tree);
}

/** `(1 - decay) * g^order + decay * moment`, leafwise (optax's `update_moment`). */
export function updateMoment(updates: unknown, moments: unknown, decay: number, order: 1 | 2): unknown {
  return treeMap((g: unknown, t: Value) => {
    const gv = leaf(g);
    return np.add(np.multiply(1 - decay, order === 1 ? gv : np.square(gv)), np.multiply(decay, t));
  }, updates, moments);
}

/** `moment / (1 - decay^count)`, leafwise, in the moment's dtype (optax's `bias_correction`). */
export function biasCorrection(moments: unknown, decay: number, count: Value): unknown {
  return treeMap((t: Value) => np.divide(t, np.subtract(1, np.power(decay, np.astype(count, t.dtype)))), moments);
}

export function checkNumber(op: string, what: string, v: unknown, lo = -Infinity) {
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo) throw new ShapeError(`${op}: ${what} must be a finite number${lo > -Infinity ? ` ≥ ${lo}` : ""}, got ${describe(v)}`);
}

// ---- combinators ---------------------------------------------------------------------------

/** The states of a list of transformations, as a tuple. */
export type StatesOf<T extends readonly GradientTransformation<unknown>[]> = { [K in keyof T]: T[K] extends GradientTransformation<infer S> ? S : never };

/**
 * Transformations applied one after another; the state is the list of their states.
 * @example
 * const opt = optim.chain(optim.clipByGlobalNorm(1), optim.scaleByAdam(), optim.scale(-1e-3));
 */
export function chain<T extends GradientTransformation<unknown>[]>(...transforms: T): GradientTransformation<StatesOf<T>> {
  return {
    init: (params) => transforms.map((t) => t.init(params)) as StatesOf<T>,
    update(updates, state, params) {
      if (!Array.isArray(state) || state.length !== transforms.length) {
        throw new ShapeError(`optim.chain: expected a state list of ${transforms.length} entries (from init), got ${Array.isArray(state) ? state.length : typeof state}`);
      }
      const next: unknown[] = [];
      let u = updates;
      transforms.forEach((t, i) => {
        const [nu, ns] = t.update(u, state[i], params);
        u = nu;
        next.push(ns);
      });
      return [u, next as StatesOf<T>];
    },
  };
}

/**
 * The identity: updates pass unchanged, no state.
 * @example
 * const [u] = optim.identity().update({ w: np.ones([2]) }, {});
 */
export function identity(): GradientTransformation<EmptyState> {
  return { init: () => ({}), update: (updates, state) => [updates, state] };
}

// ---- scaling ------------------------------------------------------------------------------

/**
 * Multiplies the updates by a constant factor.
 * @example
 * const [u] = optim.scale(-0.1).update({ w: np.array([1, 2]) }, {}); // { w: [-0.1, -0.2] }
 */
export function scale(stepSize: ArrayLike): GradientTransformation<EmptyState> {
  if (typeof stepSize === "number") checkNumber("optim.scale", "the step size", stepSize);
  return {
    init: () => ({}),
    update: (updates, state) => [treeMap((g: unknown) => scaleLeaf(leaf(g), stepSize), updates), state],
  };
}

/** State of `scaleBySchedule`: the step count. */
export interface ScaleByScheduleState {
  count: Value;
}

/**
 * Multiplies the updates by `schedule(count)`, the count starting at 0 and
 * carried in the state.
 * @example
 * const t = optim.scaleBySchedule(optim.exponentialDecay(1, 1, 0.5));
 */
export function scaleBySchedule(schedule: (count: Value) => ArrayLike): GradientTransformation<ScaleByScheduleState> {
  return {
    init: () => ({ count: zeroCount() }),
    update(updates, state) {
      const step = schedule(state.count);
      return [treeMap((g: unknown) => scaleLeaf(leaf(g), step), updates), { count: safeIncrement(state.count) }];
    },
  };
}

export interface ScaleByLearningRateOptions {
  /** Multiply by -lr (default true), so that the updates descend when added to params. */
  flipSign?: boolean;
}

/**
 * Multiplies the updates by -lr (a number, an array, or a schedule of the step count).
 * @example
 * const t = optim.scaleByLearningRate(0.1); // updates * -0.1
 */
export function scaleByLearningRate(learningRate: ScalarOrSchedule, options: ScaleByLearningRateOptions = {}): GradientTransformation<EmptyState | ScaleByScheduleState> {
  const { flipSign = true } = optionsArg("optim.scaleByLearningRate", options);
  const m = flipSign ? -1 : 1;
  if (typeof learningRate === "function") return scaleBySchedule((count) => np.multiply(m, learningRate(count)));
  if (typeof learningRate === "number") return scale(m * learningRate);
  return scale(np.multiply(m, learningRate));
}

// ---- momentum and adaptive scalings ------------------------------------------------------

/** State of `trace`: the momentum buffer. */
export interface TraceState {
  trace: unknown;
}

export interface TraceOptions {
  /** The momentum coefficient (default 0.9). */
  decay?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}

/**
 * Momentum (optax's `trace`): `t ← g + decay·t`; the update is `t`, or
 * `g + decay·t` with Nesterov.
 * @example
 * const t = optim.trace({ decay: 0.9, nesterov: true });
 */
export function trace(options: TraceOptions = {}): GradientTransformation<TraceState> {
  const { decay = 0.9, nesterov = false } = optionsArg("optim.trace", options);
  checkNumber("optim.trace", "decay", decay);
  return {
    init: (params) => ({ trace: zerosLikeTree(params) }),
    update(updates, state) {
      const f = (g: unknown, t: Value) => np.add(leaf(g), np.multiply(decay, t));
      const newTrace = treeMap(f, updates, state.trace);
      const out = nesterov ? treeMap(f, updates, newTrace) : newTrace;
      return [out, { trace: newTrace }];
    },
  };
}

/** State of `scaleByAdam`. */
export interface ScaleByAdamState {
  count: Value;
  mu: unknown;
  nu: unknown;
}

export interface ScaleByAdamOptions {
  /** Decay of the first moment (default 0.9). */
  b1?: number;
  /** Decay of the second moment (default 0.999). */
  b2?: number;
  /** Added to the root of the second moment (default 1e-8). */
  eps?: number;
  /** Added to the second moment inside the root (default 0). */
  epsRoot?: number;
}

/**
 * Adam's scaling (optax's `scale_by_adam`): moments `mu ← (1-b1) g + b1 mu`,
 * `nu ← (1-b2) g² + b2 nu`, bias-corrected with the step t counted from 1
 * (`mû = mu / (1 - b1^t)`), and the update `mû / (sqrt(nû + epsRoot) + eps)`.
 * @example
 * const opt = optim.chain(optim.scaleByAdam({ b1: 0.8 }), optim.scale(-1e-3));
 */
export function scaleByAdam(options: ScaleByAdamOptions = {}): GradientTransformation<ScaleByAdamState> {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0 } = optionsArg("optim.scaleByAdam", options);
  const op = "optim.scaleByAdam";
  checkNumber(op, "b1", b1, 0);
  checkNumber(op, "b2", b2, 0);
  checkNumber(op, "eps", eps, 0);
  checkNumber(op, "epsRoot", epsRoot, 0);
  return {
    init: (params) => ({ count: zeroCount(), mu: zerosLikeTree(params), nu: zerosLikeTree(params) }),
    update(updates, state) {
      const mu = updateMoment(updates, state.mu, b1, 1);
      const nu = updateMoment(updates, state.nu, b2, 2);
      const count = safeIncrement(state.count);
      const muHat = biasCorrection(mu, b1, count);
      const nuHat = biasCorrection(nu, b2, count);
      const out = treeMap((m: Value, v: Value) => np.divide(m, np.add(np.sqrt(np.add(v, epsRoot)), eps)), muHat, nuHat);
      return [out, { count, mu, nu }];
    },
  };
}

/** State of `scaleByRms`. */
export interface ScaleByRmsState {
  nu: unknown;
}

export interface ScaleByRmsOptions {
  /** Decay of the mean square (default 0.9). */
  decay?: number;
  /** Added to the mean square inside the root (default 1e-8). */
  eps?: number;
  /** The initial mean square (default 0). */
  initialScale?: number;
}

/**
 * RMSProp's scaling (optax's `scale_by_rms`): `nu ← (1-decay) g² + decay nu`, update `g / sqrt(nu + eps)`.
 * @example
 * const t = optim.scaleByRms({ decay: 0.99 });
 */
export function scaleByRms(options: ScaleByRmsOptions = {}): GradientTransformation<ScaleByRmsState> {
  const { decay = 0.9, eps = 1e-8, initialScale = 0 } = optionsArg("optim.scaleByRms", options);
  return {
    init: (params) => ({ nu: treeMap((p: unknown) => np.fullLike(leaf(p), initialScale), params) }),
    update(updates, state) {
      const nu = updateMoment(updates, state.nu, decay, 2);
      const out = treeMap((g: unknown, n: Value) => np.multiply(leaf(g), lax.rsqrt(np.add(n, eps))), updates, nu);
      return [out, { nu }];
    },
  };
}

/** State of `scaleByStddev`. */
export interface ScaleByStddevState {
  mu: unknown;
  nu: unknown;
}

/**
 * Centered RMSProp's scaling (optax's `scale_by_stddev`): update `g / sqrt(nu - mu² + eps)`.
 * @example
 * const t = optim.scaleByStddev({ decay: 0.9 });
 */
export function scaleByStddev(options: ScaleByRmsOptions = {}): GradientTransformation<ScaleByStddevState> {
  const { decay = 0.9, eps = 1e-8, initialScale = 0 } = optionsArg("optim.scaleByStddev", options);
  return {
    init: (params) => ({ mu: zerosLikeTree(params), nu: treeMap((p: unknown) => np.fullLike(leaf(p), initialScale), params) }),
    update(updates, state) {
      const mu = updateMoment(updates, state.mu, decay, 1);
      const nu = updateMoment(updates, state.nu, decay, 2);
      const out = treeMap((g: unknown, m: Value, n: Value) => np.multiply(leaf(g), lax.rsqrt(np.add(np.subtract(n, np.square(m)), eps))), updates, mu, nu);
      return [out, { mu, nu }];
    },
  };
}

/** State of `scaleByRss`. */
export interface ScaleByRssState {
  sumOfSquares: unknown;
}

export interface ScaleByRssOptions {
  /** The initial sum of squares (default 0.1). */
  initialAccumulatorValue?: number;
  /** Added inside the root (default 1e-7). */
  eps?: number;
}

/**
 * AdaGrad's scaling (optax's `scale_by_rss`): `s ← s + g²`, update `g / sqrt(s + eps)` (0 where s is 0).
 * @example
 * const t = optim.scaleByRss({ initialAccumulatorValue: 0.1 });
 */
export function scaleByRss(options: ScaleByRssOptions = {}): GradientTransformation<ScaleByRssState> {
  const { initialAccumulatorValue = 0.1, eps = 1e-7 } = optionsArg("optim.scaleByRss", options);
  return {
    init: (params) => ({ sumOfSquares: treeMap((p: unknown) => np.fullLike(leaf(p), initialAccumulatorValue), params) }),
    update(updates, state) {
      const sumOfSquares = treeMap((g: unknown, s: Value) => np.add(np.square(leaf(g)), s), updates, state.sumOfSquares);
      const out = treeMap((g: unknown, s: Value) => {
        const inv = np.where(np.greater(s, 0), lax.rsqrt(np.add(s, eps)), np.zerosLike(s));
        return np.multiply(inv, leaf(g));
      }, updates, sumOfSquares);
      return [out, { sumOfSquares }];
    },
  };
}

// ---- weight decay and clipping ----------------------------------------------------------

/**
 * A mask: a tree with the params' structure whose leaves are booleans (the
 * whole leaf) or bool arrays broadcasting to the leaf (elementwise), or a
 * function of the params that makes one (as optax).
 */
export type Mask = unknown | ((params: unknown) => unknown);

export interface AddDecayedWeightsOptions {
  /** Which params decay (true) and which do not; default all. */
  mask?: Mask;
}

/**
 * Adds `weightDecay * params` to the updates (decoupled weight decay, as
 * optax's `add_decayed_weights`). Needs `params` in `update`.
 * @example
 * const opt = optim.chain(optim.addDecayedWeights(1e-4), optim.scale(-0.1));
 */
export function addDecayedWeights(weightDecay: ArrayLike = 0, options: AddDecayedWeightsOptions = {}): GradientTransformation<EmptyState> {
  const { mask } = optionsArg("optim.addDecayedWeights", options);
  if (typeof weightDecay === "number") checkNumber("optim.addDecayedWeights", "weightDecay", weightDecay);
  return {
    init: () => ({}),
    update(updates, state, params) {
      if (params === undefined) {
        throw new UnsupportedError("optim.addDecayedWeights: update needs the params: call opt.update(grads, state, params)");
      }
      const decay = (g: unknown, p: unknown) => {
        const gv = leaf(g);
        return np.add(gv, scaleLeaf(leaf(p), weightDecay));
      };
      if (mask === undefined) return [treeMap(decay, updates, params), state];
      const m = typeof mask === "function" ? (mask as (p: unknown) => unknown)(params) : mask;
      const masked = (g: unknown, p: unknown, on: unknown) => {
        if (on instanceof ArrayMethods) {
          // an array mask is elementwise (nonzero = decay); reading it as one truth value would
          // decay everything (an Array object is always truthy)
          const cond = on.dtype === "bool" ? (on as Value) : np.notEqual(on as Value, 0);
          return np.where(cond, decay(g, p), leaf(g));
        }
        if (typeof on !== "boolean" && typeof on !== "number") {
          throw new UnsupportedError(`optim.addDecayedWeights: the mask's leaves must be booleans or bool arrays, got ${on === null ? "null" : typeof on}`);
        }
        return on ? decay(g, p) : g;
      };
      // the mask may be a prefix of the params' tree (optax: `{ w: true, b: false }` over
      // { w: {...}, b: {...} }): one mask value per leaf, in the params' leaf order
      const [pLeaves, pDef] = flatten(params);
      const [uLeaves, uDef] = flatten(updates);
      if (uDef.key !== pDef.key) return [treeMap(masked, updates, params, m), state]; // treeMap names the mismatch
      const mLeaves = broadcastPrefix<unknown>(m, params);
      return [unflatten(uDef, uLeaves.map((g, i) => masked(g, pLeaves[i], mLeaves[i]))), state];
    },
  };
}

/**
 * The global L2 norm of a tree: `sqrt(Σ_leaves Σ x²)`.
 * @example
 * optim.globalNorm({ a: np.array([3]), b: np.array([4]) }); // 5
 */
export function globalNorm(tree: unknown): Value {
  const ls = leaves(tree).map(leaf);
  if (ls.length === 0) return np.zeros([]);
  return np.sqrt(ls.map((x) => np.sum(np.square(x))).reduce((a, b) => np.add(a, b)));
}

/**
 * Rescales the updates so that their global norm is at most `maxNorm`:
 * updates with a smaller norm pass unchanged, others become `u / norm * maxNorm`.
 * @example
 * const [u] = optim.clipByGlobalNorm(1).update({ a: np.array([3, 4]) }, {}); // { a: [0.6, 0.8] }
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<EmptyState> {
  checkNumber("optim.clipByGlobalNorm", "maxNorm", maxNorm, 0);
  return {
    init: () => ({}),
    update(updates, state) {
      const norm = globalNorm(updates);
      const small = np.less(norm, maxNorm);
      const out = treeMap((g: unknown) => {
        const gv = leaf(g);
        return np.where(small, gv, np.multiply(np.divide(gv, np.astype(norm, gv.dtype)), maxNorm));
      }, updates);
      return [out, state];
    },
  };
}

/**
 * Clips every update element to [-maxDelta, maxDelta].
 * @example
 * const [u] = optim.clip(1).update({ a: np.array([-3, 0.5]) }, {}); // { a: [-1, 0.5] }
 */
export function clip(maxDelta: number): GradientTransformation<EmptyState> {
  checkNumber("optim.clip", "maxDelta", maxDelta, 0);
  return {
    init: () => ({}),
    update: (updates, state) => [treeMap((g: unknown) => np.clip(leaf(g), -maxDelta, maxDelta), updates), state],
  };
}

/**
 * `params + updates`, leaf by leaf, each result in its param's dtype (optax's `apply_updates`).
 * @example
 * optim.applyUpdates({ w: np.array([1, 2]) }, { w: np.array([0.5, 0.5]) }); // { w: [1.5, 2.5] }
 */
export function applyUpdates<P>(params: P, updates: unknown): P {
  return treeMap((p: unknown, u: unknown) => {
    const pv = leaf(p);
    return np.astype(np.add(pv, leaf(u)), pv.dtype);
  }, params, updates) as P;
}
