/**
 * The optax surface people use after adam and sgd: lion, lamb, adabelief,
 * novograd, noisySgd, lookahead, and the wrappers that decide which params
 * an optimizer touches and when (multiTransform, maskedTransform,
 * applyIfFinite, multiSteps), ema, and optax's tree reductions. The update
 * rules are optax's (0.2.8), step for step; where optax branches with
 * `lax.cond` on a traced value these compute both sides and select with
 * `where`, which gives the same numbers and keeps every state a pytree of
 * arrays, so a whole step still jits and vmaps.
 */
import { optionsArg, describe } from "../static-args.js";
import { ArrayMethods } from "../array-methods.js";
import { ArgumentError, ShapeError, UnsupportedError } from "../errors.js";
import * as np from "../numpy/index.js";
import * as random from "../random/index.js";
import type { Key } from "../random/index.js";
import type { Value } from "../trace/core.js";
import { broadcastPrefix, flatten, leaves, treeMap, unflatten } from "../trace/pytree.js";
import type { ScalarOrSchedule } from "./schedules.js";
import {
  addDecayedWeights, biasCorrection, chain, checkNumber, leaf, safeIncrement, scaleByAdam, scaleByLearningRate, updateMoment, zeroCount, zerosLikeTree,
  type EmptyState, type GradientTransformation, type Mask, type ScaleByAdamState, type ScaleByScheduleState,
} from "./transforms.js";

type LrState = EmptyState | ScaleByScheduleState;

function needParams(op: string, params: unknown): void {
  if (params === undefined) throw new UnsupportedError(`${op}: update needs the params: call opt.update(grads, state, params)`);
}

// ---- tree reductions -------------------------------------------------------------------------

/**
 * The sum of all elements of all leaves (optax's `tree_sum`); 0 for an empty tree.
 * @example
 * optim.treeSum({ a: np.array([1, 2]), b: np.array(3) }); // 6
 */
export function treeSum(tree: unknown): Value {
  const ls = leaves(tree).map(leaf);
  if (ls.length === 0) return np.zeros([]);
  return ls.map((x) => np.sum(x)).reduce((a, b) => np.add(a, b));
}

/**
 * The largest element over all leaves (optax's `tree_max`); empty leaves are
 * ignored, and an empty tree gives -inf.
 * @example
 * optim.treeMax({ a: np.array([1, 5]), b: np.array(-3) }); // 5
 */
export function treeMax(tree: unknown): Value {
  const ls = leaves(tree).map(leaf).filter((x) => x.size > 0);
  if (ls.length === 0) return np.array(-Infinity, { dtype: "float32" });
  return ls.map((x) => np.max(x)).reduce((a, b) => np.maximum(a, b));
}

export interface TreeNormOptions {
  /** 2 (default: the L2 norm of all elements), 1, or Infinity (the largest absolute value). */
  ord?: 1 | 2 | typeof Infinity;
  /** Return the square of the norm (default false). */
  squared?: boolean;
}

/**
 * A norm of a whole tree, as if all its leaves were one vector (optax's `tree_norm`).
 * @example
 * optim.treeNorm({ a: np.array([3]), b: np.array([4]) }); // 5
 * optim.treeNorm({ a: np.array([3, -4]) }, { ord: 1 }); // 7
 */
export function treeNorm(tree: unknown, options: TreeNormOptions = {}): Value {
  const { ord = 2, squared = false } = optionsArg("optim.treeNorm", options);
  if (ord === 2) {
    const sq = treeSum(treeMap((x: unknown) => np.square(leaf(x)), tree));
    return squared ? sq : np.sqrt(sq);
  }
  let out: Value;
  if (ord === 1) out = treeSum(treeMap((x: unknown) => np.abs(leaf(x)), tree));
  else if (ord === Infinity) out = treeMax(treeMap((x: unknown) => np.abs(leaf(x)), tree));
  else throw new ShapeError(`optim.treeNorm: ord must be 1, 2 or Infinity, got ${describe(ord)}`);
  return squared ? np.square(out) : out;
}

// ---- lion ------------------------------------------------------------------------------------

/** State of `scaleByLion`. */
export interface ScaleByLionState {
  count: Value;
  mu: unknown;
}

export interface ScaleByLionOptions {
  /** Weight of the old moment in the update's sign (default 0.9). */
  b1?: number;
  /** Decay of the moment (default 0.99). */
  b2?: number;
}

/**
 * Lion's scaling (optax's `scale_by_lion`): the update is `sign((1-b1) g + b1 mu)`,
 * then the moment decays as `mu ← (1-b2) g + b2 mu`.
 * @example
 * const t = optim.scaleByLion({ b1: 0.95 });
 */
export function scaleByLion(options: ScaleByLionOptions = {}): GradientTransformation<ScaleByLionState> {
  const op = "optim.scaleByLion";
  const { b1 = 0.9, b2 = 0.99 } = optionsArg(op, options);
  checkNumber(op, "b1", b1, 0);
  checkNumber(op, "b2", b2, 0);
  return {
    init: (params) => ({ count: zeroCount(), mu: zerosLikeTree(params) }),
    update(updates, state) {
      const out = treeMap((g: unknown, m: Value) => np.sign(np.add(np.multiply(1 - b1, leaf(g)), np.multiply(b1, m))), updates, state.mu);
      return [out, { count: safeIncrement(state.count), mu: updateMoment(updates, state.mu, b2, 1) }];
    },
  };
}

export interface LionOptions extends ScaleByLionOptions {
  /** Decoupled weight decay (default 1e-3, as optax). */
  weightDecay?: number;
  /** Which params decay (see addDecayedWeights); default all. */
  mask?: Mask;
}

/**
 * The Lion optimizer (optax's `lion`): sign updates from scaleByLion, decoupled weight decay, then -lr.
 * Needs `params` in `update` (for the weight decay).
 * @example
 * const opt = optim.lion(1e-4);
 * let params = { w: np.array([1, -2]) };
 * let state = opt.init(params);
 * const [u, s] = opt.update({ w: np.array([0.5, 0.5]) }, state, params);
 * params = optim.applyUpdates(params, u);
 */
export function lion(learningRate: ScalarOrSchedule, options: LionOptions = {}): GradientTransformation<[ScaleByLionState, EmptyState, LrState]> {
  const { b1, b2, weightDecay = 1e-3, mask } = optionsArg("optim.lion", options);
  return chain(scaleByLion({ b1, b2 }), addDecayedWeights(weightDecay, { mask }), scaleByLearningRate(learningRate));
}

// ---- adabelief -------------------------------------------------------------------------------

/** State of `scaleByBelief`. */
export interface ScaleByBeliefState {
  count: Value;
  mu: unknown;
  nu: unknown;
}

export interface ScaleByBeliefOptions {
  /** Decay of the first moment (default 0.9). */
  b1?: number;
  /** Decay of the second central moment (default 0.999). */
  b2?: number;
  /** Added to the root (default 1e-16). */
  eps?: number;
  /** Added to the second moment (default 1e-16). */
  epsRoot?: number;
}

/**
 * AdaBelief's scaling (optax's `scale_by_belief`): like Adam, but the second
 * moment tracks `(g - mu)²`, the surprise, plus epsRoot.
 * @example
 * const t = optim.scaleByBelief();
 */
export function scaleByBelief(options: ScaleByBeliefOptions = {}): GradientTransformation<ScaleByBeliefState> {
  const op = "optim.scaleByBelief";
  const { b1 = 0.9, b2 = 0.999, eps = 1e-16, epsRoot = 1e-16 } = optionsArg(op, options);
  for (const [k, v] of Object.entries({ b1, b2, eps, epsRoot })) checkNumber(op, k, v, 0);
  return {
    init: (params) => ({ count: zeroCount(), mu: zerosLikeTree(params), nu: zerosLikeTree(params) }),
    update(updates, state) {
      const mu = updateMoment(updates, state.mu, b1, 1);
      const err = treeMap((g: unknown, m: Value) => np.subtract(leaf(g), m), updates, mu);
      const nu = treeMap((v: Value) => np.add(v, epsRoot), updateMoment(err, state.nu, b2, 2));
      const count = safeIncrement(state.count);
      const out = treeMap((m: Value, v: Value) => np.divide(m, np.add(np.sqrt(v), eps)), biasCorrection(mu, b1, count), biasCorrection(nu, b2, count));
      return [out, { count, mu, nu }];
    },
  };
}

/**
 * The AdaBelief optimizer (optax's `adabelief`): scaleByBelief then -lr.
 * @example
 * const opt = optim.adabelief(1e-3);
 */
export function adabelief(learningRate: ScalarOrSchedule, options: ScaleByBeliefOptions = {}): GradientTransformation<[ScaleByBeliefState, LrState]> {
  return chain(scaleByBelief(optionsArg("optim.adabelief", options)), scaleByLearningRate(learningRate));
}

// ---- lamb ------------------------------------------------------------------------------------

/**
 * Scales each update by the trust ratio `‖param‖ / ‖update‖` (optax's
 * `scale_by_trust_ratio` with its defaults), or by 1 where either norm is 0.
 * Needs `params` in `update`.
 * @example
 * const t = optim.scaleByTrustRatio();
 */
export function scaleByTrustRatio(): GradientTransformation<EmptyState> {
  return {
    init: () => ({}),
    update(updates, state, params) {
      needParams("optim.scaleByTrustRatio", params);
      const out = treeMap((u: unknown, p: unknown) => {
        const uv = leaf(u);
        const pv = leaf(p);
        const pn = np.sqrt(np.sum(np.square(pv)));
        const un = np.sqrt(np.sum(np.square(uv)));
        const zero = np.logicalOr(np.equal(pn, 0), np.equal(un, 0));
        return np.multiply(uv, np.where(zero, np.onesLike(pn), np.divide(pn, un)));
      }, updates, params);
      return [out, state];
    },
  };
}

export interface LambOptions {
  /** Adam's b1 (default 0.9). */
  b1?: number;
  /** Adam's b2 (default 0.999). */
  b2?: number;
  /** Adam's eps (default 1e-6). */
  eps?: number;
  /** Adam's epsRoot (default 0). */
  epsRoot?: number;
  /** Decoupled weight decay before the trust ratio (default 0). */
  weightDecay?: number;
  /** Which params decay; default all. */
  mask?: Mask;
}

/**
 * The LAMB optimizer (optax's `lamb`): Adam's scaling, weight decay, the
 * layer-wise trust ratio, then -lr. Needs `params` in `update`.
 * @example
 * const opt = optim.lamb(1e-3, { weightDecay: 0.01 });
 */
export function lamb(learningRate: ScalarOrSchedule, options: LambOptions = {}): GradientTransformation<[ScaleByAdamState, EmptyState, EmptyState, LrState]> {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-6, epsRoot = 0, weightDecay = 0, mask } = optionsArg("optim.lamb", options);
  return chain(scaleByAdam({ b1, b2, eps, epsRoot }), addDecayedWeights(weightDecay, { mask }), scaleByTrustRatio(), scaleByLearningRate(learningRate));
}

// ---- novograd --------------------------------------------------------------------------------

/** State of `scaleByNovograd`. */
export interface ScaleByNovogradState {
  count: Value;
  mu: unknown;
  /** One scalar per leaf: the moving average of the leaf's squared gradient norm. */
  nu: unknown;
}

export interface NovogradOptions {
  /** Decay of the first moment (default 0.9). */
  b1?: number;
  /** Decay of the per-leaf squared norm (default 0.25). */
  b2?: number;
  /** Added to the root (default 1e-6 in novograd, 1e-8 in scaleByNovograd, as optax). */
  eps?: number;
  /** Added inside the root (default 0). */
  epsRoot?: number;
  /** Weight decay added to the normalized gradient (default 0). */
  weightDecay?: number;
}

/**
 * NovoGrad's scaling (optax's `scale_by_novograd`): per leaf, `nu` is a
 * moving average of ‖g‖² (the first step takes ‖g‖² itself), and
 * `mu ← b1 mu + g / (sqrt(nu + epsRoot) + eps) + wd · p` (the first step: no b1 mu).
 * Needs `params` in `update`.
 * @example
 * const t = optim.scaleByNovograd({ b2: 0.5 });
 */
export function scaleByNovograd(options: NovogradOptions = {}): GradientTransformation<ScaleByNovogradState> {
  const op = "optim.scaleByNovograd";
  const { b1 = 0.9, b2 = 0.25, eps = 1e-8, epsRoot = 0, weightDecay = 0 } = optionsArg(op, options);
  for (const [k, v] of Object.entries({ b1, b2, eps, epsRoot, weightDecay })) checkNumber(op, k, v, 0);
  return {
    init: (params) => ({ count: zeroCount(), mu: zerosLikeTree(params), nu: treeMap((p: unknown) => np.zeros([], { dtype: leaf(p).dtype }), params) }),
    update(updates, state, params) {
      needParams(op, params);
      const count = safeIncrement(state.count);
      const first = np.equal(count, 1);
      const nu = treeMap((g: unknown, n: Value) => {
        const sq = np.astype(np.sum(np.square(leaf(g))), n.dtype);
        return np.where(first, sq, np.add(np.multiply(1 - b2, sq), np.multiply(b2, n)));
      }, updates, state.nu);
      const mu = treeMap((g: unknown, p: unknown, m: Value, n: Value) => {
        const add = np.add(np.divide(leaf(g), np.add(np.sqrt(np.add(n, epsRoot)), eps)), np.multiply(weightDecay, leaf(p)));
        return np.where(first, add, np.add(np.multiply(b1, m), add));
      }, updates, params, state.mu, nu);
      return [mu, { count, mu, nu }];
    },
  };
}

/**
 * The NovoGrad optimizer (optax's `novograd`): scaleByNovograd then -lr. Needs `params` in `update`.
 * @example
 * const opt = optim.novograd(1e-2);
 */
export function novograd(learningRate: ScalarOrSchedule, options: NovogradOptions = {}): GradientTransformation<[ScaleByNovogradState, LrState]> {
  const { eps = 1e-6, ...rest } = optionsArg("optim.novograd", options);
  return chain(scaleByNovograd({ ...rest, eps }), scaleByLearningRate(learningRate));
}

// ---- noisy SGD -------------------------------------------------------------------------------

/** State of `addNoise`: the step count and the key for the next noise. */
export interface AddNoiseState {
  count: Value;
  rngKey: Key;
}

export interface AddNoiseOptions {
  /** The noise variance at step 1 (default 0.01). */
  eta?: number;
  /** How fast the variance decays: eta / t^gamma (default 0.55). */
  gamma?: number;
  /** The PRNG key (default random.key(0)). */
  key?: Key;
}

/**
 * Adds Gaussian noise of variance `eta / t^gamma` at step t (optax's
 * `add_noise`): each step splits the key, and the sample key is split once
 * per leaf, so the noise is JAX's for the same key when the leaves come in
 * the same order (jaxon orders object keys by insertion, JAX sorts them).
 * @example
 * const t = optim.addNoise({ eta: 0.1, key: random.key(1) });
 */
export function addNoise(options: AddNoiseOptions = {}): GradientTransformation<AddNoiseState> {
  const op = "optim.addNoise";
  const { eta = 0.01, gamma = 0.55, key } = optionsArg(op, options);
  checkNumber(op, "eta", eta, 0);
  checkNumber(op, "gamma", gamma, 0);
  return {
    init: () => ({ count: zeroCount(), rngKey: key ?? random.key(0) }),
    update(updates, state) {
      const count = safeIncrement(state.count);
      const std = np.sqrt(np.divide(eta, np.power(np.astype(count, "float32"), gamma)));
      const [next, sample] = random.split(state.rngKey);
      const [ls, def] = flatten(updates);
      const keys = ls.length === 0 ? [] : random.split(sample, ls.length);
      const out = ls.map((g, i) => {
        const gv = leaf(g);
        return np.add(gv, np.multiply(np.astype(std, gv.dtype), random.normal(keys[i], gv.shape, { dtype: gv.dtype })));
      });
      return [unflatten(def, out), { count, rngKey: next }];
    },
  };
}

/**
 * SGD with annealed Gaussian gradient noise (optax's `noisy_sgd`): addNoise then -lr.
 * @example
 * const opt = optim.noisySgd(0.1, { eta: 0.01, key: random.key(0) });
 */
export function noisySgd(learningRate: ScalarOrSchedule, options: AddNoiseOptions = {}): GradientTransformation<[AddNoiseState, LrState]> {
  return chain(addNoise(optionsArg("optim.noisySgd", options)), scaleByLearningRate(learningRate));
}

// ---- ema -------------------------------------------------------------------------------------

/** State of `ema`. */
export interface EmaState {
  count: Value;
  ema: unknown;
}

export interface EmaOptions {
  /** Divide by 1 - decay^t so that early averages are not biased toward 0 (default true). */
  debias?: boolean;
}

/**
 * An exponential moving average of the updates (optax's `ema`):
 * `ema ← (1-decay) u + decay ema`, returned debiased. Fed the params after
 * each step (`emaParams`), it keeps the averaged weights often used for evaluation.
 * @example
 * const avg = optim.ema(0.9);
 * let s = avg.init({ w: np.zeros([2]) });
 * const [smoothed, s2] = avg.update({ w: np.array([1, 1]) }, s); // { w: [1, 1] } (debiased)
 */
export function ema(decay: number, options: EmaOptions = {}): GradientTransformation<EmaState> {
  const op = "optim.ema";
  const { debias = true } = optionsArg(op, options);
  checkNumber(op, "decay", decay, 0);
  return {
    init: (params) => ({ count: zeroCount(), ema: zerosLikeTree(params) }),
    update(updates, state) {
      const next = updateMoment(updates, state.ema, decay, 1);
      const count = safeIncrement(state.count);
      return [(debias ? biasCorrection(next, decay, count) : next) as typeof updates, { count, ema: next }];
    },
  };
}

/**
 * The exponential moving average of the params themselves: `ema(decay)`
 * applied to the params after each training step. `update(params, state)`
 * returns the averaged params and the next state.
 * @example
 * const avg = optim.emaParams(0.999);
 * let params = { w: np.array([1, 2]) };
 * let emaState = avg.init(params);
 * let averaged;
 * [averaged, emaState] = avg.update(params, emaState); // after each training step
 */
export function emaParams(decay: number, options: EmaOptions = {}): GradientTransformation<EmaState> {
  return ema(decay, options);
}

// ---- wrappers --------------------------------------------------------------------------------

/** `where(c, a, b)` over two trees of the same structure (state selection without lax.cond). */
function selectTree(c: Value, a: unknown, b: unknown): unknown {
  return treeMap((x: unknown, y: unknown) => {
    const xv = leaf(x);
    return np.astype(np.where(c, xv, leaf(y)), xv.dtype);
  }, a, b);
}

/** State of `lookahead`. */
export interface LookaheadState {
  fastState: unknown;
  stepsSinceSync: Value;
}

/** The params of `lookahead`: the fast ones (take gradients with these) and the slow ones (evaluate with these). */
export interface LookaheadParams<P = unknown> {
  fast: P;
  slow: P;
}

export interface LookaheadOptions {
  /** Re-initialize the fast optimizer's state at each synchronization (default false). */
  resetState?: boolean;
}

/**
 * Lookahead (optax's `lookahead`): the fast optimizer steps the fast params;
 * every `syncPeriod` steps the slow params move `slowStepSize` of the way to
 * the fast ones and the fast params jump to them. Params (and the returned
 * updates) are `{ fast, slow }` pairs; `update` takes the gradients at
 * `params.fast`.
 * @example
 * const opt = optim.lookahead(optim.sgd(0.1), 5, 0.5);
 * let params = { fast: { w: np.array([1]) }, slow: { w: np.array([1]) } };
 * let state = opt.init(params.fast);
 * const [u, s] = opt.update({ w: np.array([1]) }, state, params); // u: { fast, slow }
 * params = optim.applyUpdates(params, u);
 */
export function lookahead(fastOptimizer: GradientTransformation<unknown>, syncPeriod: number, slowStepSize: number, options: LookaheadOptions = {}) {
  const op = "optim.lookahead";
  const { resetState = false } = optionsArg(op, options);
  if (!Number.isInteger(syncPeriod) || syncPeriod < 1) throw new ShapeError(`${op}: syncPeriod must be an integer ≥ 1, got ${describe(syncPeriod)}`);
  checkNumber(op, "slowStepSize", slowStepSize);
  return {
    init: (params: unknown): LookaheadState => {
      // like optax, init takes the fast params or a { fast, slow } pair
      const p = params !== null && typeof params === "object" && "fast" in params && "slow" in params ? (params as LookaheadParams).fast : params;
      return { fastState: fastOptimizer.init(p), stepsSinceSync: zeroCount() };
    },
    update<P>(updates: P, state: LookaheadState, params?: LookaheadParams<P>): [LookaheadParams<P>, LookaheadState] {
      needParams(op, params);
      const p = params as LookaheadParams<P>;
      let [u, fastState] = fastOptimizer.update(updates, state.fastState, p.fast);
      const syncNext = np.equal(state.stepsSinceSync, syncPeriod - 1);
      const sync = (x: Value) => np.astype(syncNext, x.dtype);
      const diff = treeMap((f: unknown, d: unknown, s: unknown) => np.subtract(np.add(leaf(f), leaf(d)), leaf(s)), p.fast, u, p.slow);
      const slow = treeMap((d: Value) => np.multiply(np.multiply(slowStepSize, sync(d)), d), diff);
      const fast = treeMap((d: unknown, df: Value) => np.subtract(leaf(d), np.multiply(np.multiply(1 - slowStepSize, sync(df)), df)), u, diff);
      if (resetState) fastState = selectTree(syncNext, fastOptimizer.init(p.fast), fastState);
      u = fast;
      const steps = np.remainder(np.add(state.stepsSinceSync, 1), syncPeriod);
      return [{ fast: u as P, slow: slow as P }, { fastState, stepsSinceSync: steps }];
    },
  };
}

/** Resolves a mask or label tree given as a value or as a function of the params. */
function resolveTree(spec: unknown, tree: unknown): unknown {
  return typeof spec === "function" ? (spec as (p: unknown) => unknown)(tree) : spec;
}

/** One boolean per leaf of `tree`, from a mask that may be a prefix of it. */
function maskLeaves(op: string, mask: unknown, tree: unknown): boolean[] {
  return broadcastPrefix<unknown>(mask, tree).map((m) => {
    if (typeof m !== "boolean") throw new UnsupportedError(`${op}: the mask's leaves must be JS booleans (the mask decides the tree's structure, so it cannot be an array), got ${m instanceof ArrayMethods ? "an array" : typeof m}`);
    return m;
  });
}

/** State of `maskedTransform`: the inner transformation's state, for the masked-in leaves only. */
export interface MaskedState {
  innerState: unknown;
}

/**
 * Applies `inner` only to the leaves where `mask` is true (optax's
 * `masked`); the others pass unchanged. The mask is a tree of booleans (or a
 * prefix of the params' tree, or a function of the params making one); the
 * inner transformation sees the masked-out leaves as null (empty), so its
 * state holds nothing for them.
 * @example
 * const opt = optim.maskedTransform(optim.scale(0), { w: true, b: false }); // zero the w updates only
 * const [u] = opt.update({ w: np.array([1]), b: np.array([2]) }, opt.init({ w: np.array([0]), b: np.array([0]) }));
 */
export function maskedTransform(inner: GradientTransformation<unknown>, mask: Mask): GradientTransformation<MaskedState> {
  const op = "optim.maskedTransform";
  const apply = (tree: unknown, m: boolean[]) => {
    const [ls, def] = flatten(tree);
    return unflatten(def, ls.map((x, i) => (m[i] ? x : null)));
  };
  return {
    init(params) {
      const m = maskLeaves(op, resolveTree(mask, params), params);
      return { innerState: inner.init(apply(params, m)) };
    },
    update(updates, state, params) {
      const m = maskLeaves(op, resolveTree(mask, updates), updates);
      const [newU] = [inner.update(apply(updates, m), state.innerState, params === undefined ? undefined : apply(params, m))];
      const [uLeaves, uDef] = flatten(updates);
      const [inLeaves] = flatten(newU[0]);
      let k = 0;
      const out = uLeaves.map((g, i) => (m[i] ? inLeaves[k++] : g));
      return [unflatten(uDef, out) as typeof updates, { innerState: newU[1] }];
    },
  };
}

/** State of `multiTransform`: one inner state per label. */
export interface MultiTransformState {
  innerStates: Record<string, unknown>;
}

/**
 * Different transformations for different params (optax's
 * `multi_transform` / `partition`): `paramLabels` gives each leaf a label
 * (a tree of strings, a prefix of the params' tree, or a function of the
 * params), and each label's transformation updates the leaves with that label.
 * @example
 * const opt = optim.multiTransform({ fast: optim.sgd(0.1), frozen: optim.scale(0) }, { w: "fast", b: "frozen" });
 * const params = { w: np.array([1]), b: np.array([1]) };
 * const [u] = opt.update({ w: np.array([1]), b: np.array([1]) }, opt.init(params), params); // { w: [-0.1], b: [0] }
 */
export function multiTransform(transforms: Record<string, GradientTransformation<unknown>>, paramLabels: unknown): GradientTransformation<MultiTransformState> {
  const op = "optim.multiTransform";
  if (transforms === null || typeof transforms !== "object" || globalThis.Array.isArray(transforms)) {
    throw new ArgumentError(`${op}: transforms must be an object of gradient transformations by label (e.g. { adam: optim.adam(1e-3), frozen: optim.setToZero() }), got ${describe(transforms)}`);
  }
  for (const [label, t] of Object.entries(transforms)) {
    if (t === null || typeof t !== "object" || typeof t.init !== "function" || typeof t.update !== "function") {
      throw new ArgumentError(`${op}: transforms.${label} must be a gradient transformation (an object with init and update), got ${describe(t)}`);
    }
  }
  const labelsOf = (tree: unknown): string[] => {
    const ls = broadcastPrefix<unknown>(resolveTree(paramLabels, tree), tree);
    return ls.map((l) => {
      if (typeof l !== "string") throw new UnsupportedError(`${op}: labels must be strings, got ${typeof l}`);
      if (!(l in transforms)) throw new ShapeError(`${op}: the label ${JSON.stringify(l)} has no transformation; the transformations are for ${Object.keys(transforms).map((k) => JSON.stringify(k)).join(", ")}`);
      return l;
    });
  };
  const masked = Object.fromEntries(Object.entries(transforms).map(([name, t]) => [name, maskedTransform(t, (tree: unknown) => {
    const [, def] = flatten(tree);
    return unflatten(def, labelsOf(tree).map((l) => l === name));
  })]));
  return {
    init(params) {
      labelsOf(params);
      return { innerStates: Object.fromEntries(Object.entries(masked).map(([n, t]) => [n, t.init(params)])) };
    },
    update(updates, state, params) {
      labelsOf(updates);
      let u = updates;
      const next: Record<string, unknown> = {};
      for (const [n, t] of Object.entries(masked)) {
        const [nu, ns] = t.update(u, state.innerStates[n] as MaskedState, params);
        u = nu;
        next[n] = ns;
      }
      return [u, { innerStates: next }];
    },
  };
}

/** State of `applyIfFinite`. */
export interface ApplyIfFiniteState {
  notfiniteCount: Value;
  lastFinite: Value;
  totalNotfinite: Value;
  innerState: unknown;
}

/**
 * Skips steps whose updates hold a NaN or an infinity (optax's
 * `apply_if_finite`): such a step returns zero updates and keeps the inner
 * state, unless more than `maxConsecutiveErrors` happened in a row (then the
 * update goes through, so that a diverged run shows).
 * @example
 * const opt = optim.applyIfFinite(optim.adam(1e-3), 5);
 */
export function applyIfFinite(inner: GradientTransformation<unknown>, maxConsecutiveErrors: number): GradientTransformation<ApplyIfFiniteState> {
  const op = "optim.applyIfFinite";
  if (!Number.isInteger(maxConsecutiveErrors) || maxConsecutiveErrors < 0) throw new ShapeError(`${op}: maxConsecutiveErrors must be an integer ≥ 0, got ${describe(maxConsecutiveErrors)}`);
  return {
    init: (params) => ({ notfiniteCount: zeroCount(), lastFinite: np.array(true), totalNotfinite: zeroCount(), innerState: inner.init(params) }),
    update(updates, state, params) {
      const ls = leaves(updates).map(leaf);
      const finite = ls.length === 0 ? np.array(true) : ls.map((x) => np.all(np.isfinite(x))).reduce((a, b) => np.logicalAnd(a, b));
      const notfiniteCount = np.where(finite, zeroCount(), safeIncrement(state.notfiniteCount));
      const apply = np.logicalOr(finite, np.greater(notfiniteCount, maxConsecutiveErrors));
      const [u, s] = inner.update(updates, state.innerState, params);
      // where, not multiply: 0 * NaN would leak the NaN into a skipped step
      const out = treeMap((x: unknown) => {
        const xv = leaf(x);
        return np.where(apply, xv, np.zerosLike(xv));
      }, u);
      return [out as typeof updates, {
        notfiniteCount,
        lastFinite: finite,
        totalNotfinite: np.where(finite, state.totalNotfinite, safeIncrement(state.totalNotfinite)),
        innerState: selectTree(apply, s, state.innerState),
      }];
    },
  };
}

/** State of `multiSteps`. */
export interface MultiStepsState {
  miniStep: Value;
  gradientStep: Value;
  innerOptState: unknown;
  accGrads: unknown;
}

export interface MultiStepsOptions {
  /** Average the accumulated gradients (default true) rather than sum them. */
  useGradMean?: boolean;
}

/**
 * Gradient accumulation (optax's `MultiSteps`): `update` collects the
 * gradients of `everyK` mini-steps and returns zero updates, then on the
 * k-th calls `opt` with their mean (or sum) and returns its updates.
 * @example
 * const opt = optim.multiSteps(optim.adam(1e-3), 4); // one adam step per 4 mini-batches
 */
export function multiSteps(opt: GradientTransformation<unknown>, everyK: number, options: MultiStepsOptions = {}): GradientTransformation<MultiStepsState> {
  const op = "optim.multiSteps";
  const { useGradMean = true } = optionsArg(op, options);
  if (!Number.isInteger(everyK) || everyK < 1) throw new ShapeError(`${op}: everyK must be an integer ≥ 1, got ${describe(everyK)}`);
  return {
    init: (params) => ({ miniStep: zeroCount(), gradientStep: zeroCount(), innerOptState: opt.init(params), accGrads: treeMap((p: unknown) => np.zerosLike(leaf(p), { dtype: "float32" }), params) }),
    update(updates, state, params) {
      const acc = treeMap((g: unknown, a: Value) => {
        const gv = np.astype(leaf(g), a.dtype);
        return useGradMean ? np.add(a, np.divide(np.subtract(gv, a), np.add(np.astype(state.miniStep, a.dtype), 1))) : np.add(gv, a);
      }, updates, state.accGrads);
      const castAcc = treeMap((a: Value, g: unknown) => np.astype(a, leaf(g).dtype), acc, updates);
      const [u, s] = opt.update(castAcc, state.innerOptState, params);
      const emit = np.equal(state.miniStep, everyK - 1);
      return [treeMap((x: unknown) => {
        const xv = leaf(x);
        return np.where(emit, xv, np.zerosLike(xv));
      }, u) as typeof updates, {
        miniStep: np.remainder(safeIncrement(state.miniStep), everyK),
        gradientStep: np.where(emit, safeIncrement(state.gradientStep), state.gradientStep),
        innerOptState: selectTree(emit, s, state.innerOptState),
        accGrads: treeMap((a: Value) => np.where(emit, np.zerosLike(a), a), acc),
      }];
    },
  };
}

/** optax's class name for `multiSteps`. */
export const MultiSteps = multiSteps;

