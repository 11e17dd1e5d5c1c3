/**
 * Adafactor (optax's `adafactor` and its pieces): a second-moment estimate
 * that, for a matrix-like param, keeps only row and column averages of g²
 * (memory O(n + m) instead of O(nm)), with the per-block clipping and
 * parameter-scale rescaling optax chains around it.
 */
import { optionsArg, describe } from "../static-args.js";
import { ShapeError } from "../errors.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { flatten, treeMap, unflatten } from "../trace/pytree.js";
import type { ScalarOrSchedule } from "./schedules.js";
import { ema } from "./extra.js";
import {
  addDecayedWeights, chain, checkNumber, leaf, safeIncrement, scale, scaleByLearningRate, zeroCount,
  type GradientTransformation, type Mask,
} from "./transforms.js";

/** The two largest axes [d1, d0] of a shape (d0 the largest), or null when the param is not factored (as optax's `_factored_dims`). */
function factoredDims(shape: readonly number[], factored: boolean, minDimSizeToFactor: number): [number, number] | null {
  if (!factored || shape.length < 2) return null;
  // a stable sort by size, as numpy's argsort on these small shapes: ties keep the lower axis first
  const sorted = shape.map((d, i) => [d, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
  if (shape[sorted[sorted.length - 2]] < minDimSizeToFactor) return null;
  return [sorted[sorted.length - 2], sorted[sorted.length - 1]];
}

/** State of `scaleByFactoredRms`: per leaf, the row and column statistics (factored) or the full one (not); the unused ones are [1]-shaped zeros, as in optax. */
export interface FactoredState {
  count: Value;
  vRow: unknown;
  vCol: unknown;
  v: unknown;
}

export interface ScaleByFactoredRmsOptions {
  /** Factor the second moment of params with two axes of at least minDimSizeToFactor (default true). */
  factored?: boolean;
  /** The decay exponent: at step t the decay is 1 - t^-decayRate (default 0.8). */
  decayRate?: number;
  /** Steps subtracted from the count before the decay schedule (default 0). */
  stepOffset?: number;
  /** Factor only when the second-largest axis has at least this size (default 128). */
  minDimSizeToFactor?: number;
  /** Added to g² (default 1e-30). */
  epsilon?: number;
}

/**
 * Adafactor's rescaling (optax's `scale_by_factored_rms`): the update is
 * `g / sqrt(v̂)`, with v̂ the decayed mean of g² + ε; for a factored param
 * v̂ is the outer product of row and column means, normalized by their mean.
 * Needs `params` in `update`.
 * @example
 * const t = optim.scaleByFactoredRms({ minDimSizeToFactor: 2 });
 */
export function scaleByFactoredRms(options: ScaleByFactoredRmsOptions = {}): GradientTransformation<FactoredState> {
  const op = "optim.scaleByFactoredRms";
  const { factored = true, decayRate = 0.8, stepOffset = 0, minDimSizeToFactor = 128, epsilon = 1e-30 } = optionsArg(op, options);
  checkNumber(op, "decayRate", decayRate, 0);
  checkNumber(op, "epsilon", epsilon, 0);
  if (!Number.isInteger(minDimSizeToFactor) || minDimSizeToFactor < 0) throw new ShapeError(`${op}: minDimSizeToFactor must be an integer ≥ 0, got ${describe(minDimSizeToFactor)}`);
  const small = (p: Value) => np.zeros([1], { dtype: p.dtype });
  const without = (p: Value, axis: number) => np.zeros(p.shape.filter((_, i) => i !== axis), { dtype: p.dtype });
  return {
    init(params) {
      const dims = (p: Value) => factoredDims(p.shape, factored, minDimSizeToFactor);
      return {
        count: zeroCount(),
        vRow: treeMap((x: unknown) => { const p = leaf(x); const d = dims(p); return d ? without(p, d[1]) : small(p); }, params),
        vCol: treeMap((x: unknown) => { const p = leaf(x); const d = dims(p); return d ? without(p, d[0]) : small(p); }, params),
        v: treeMap((x: unknown) => { const p = leaf(x); return dims(p) ? small(p) : np.zerosLike(p); }, params),
      };
    },
    update(updates, state, params) {
      if (params === undefined) throw new ShapeError(`${op}: update needs the params: call opt.update(grads, state, params)`);
      // optax's _decay_rate_pow: 1 - (t + 1)^-decayRate with t = count - stepOffset, in float32
      const t = np.add(np.astype(np.subtract(state.count, stepOffset), "float32"), 1);
      const decayT = np.subtract(1, np.power(t, -decayRate));
      const [gLeaves, def] = flatten(updates);
      const [rowLeaves] = flatten<Value>(state.vRow);
      const [colLeaves] = flatten<Value>(state.vCol);
      const [vLeaves] = flatten<Value>(state.v);
      const [pLeaves, pDef] = flatten(params);
      if (pDef.key !== def.key || rowLeaves.length !== gLeaves.length) throw new ShapeError(`${op}: the updates, the params and the state (from init) must have the same tree structure`);
      const one = (g: unknown, vRow: Value, vCol: Value, v: Value, p: unknown): Value[] => {
        const gv = leaf(g);
        const pv = leaf(p);
        const d = np.astype(decayT, pv.dtype);
        const sq = np.add(np.square(gv), epsilon);
        const dims = factoredDims(pv.shape, factored, minDimSizeToFactor);
        if (dims) {
          const [d1, d0] = dims;
          const newRow = np.astype(np.add(np.multiply(d, vRow), np.multiply(np.subtract(1, d), np.mean(sq, d0))), pv.dtype);
          const newCol = np.astype(np.add(np.multiply(d, vCol), np.multiply(np.subtract(1, d), np.mean(sq, d1))), pv.dtype);
          const reducedD1 = d1 > d0 ? d1 - 1 : d1;
          const rowFactor = np.power(np.divide(newRow, np.mean(newRow, reducedD1, { keepdims: true })), -0.5);
          const colFactor = np.power(newCol, -0.5);
          const u = np.multiply(np.multiply(gv, np.expandDims(rowFactor, d0)), np.expandDims(colFactor, d1));
          return [u, newRow, newCol, small(pv)];
        }
        const newV = np.astype(np.add(np.multiply(d, v), np.multiply(np.subtract(1, d), sq)), pv.dtype);
        return [np.multiply(gv, np.power(newV, -0.5)), small(pv), small(pv), newV];
      };
      const results = gLeaves.map((g, i) => one(g, rowLeaves[i], colLeaves[i], vLeaves[i], pLeaves[i]));
      const part = (k: number) => unflatten(def, results.map((r) => r[k]));
      return [part(0), { count: safeIncrement(state.count), vRow: part(1), vCol: part(2), v: part(3) }];
    },
  };
}

/**
 * Divides each leaf's updates by max(1, rms(updates) / threshold) (optax's `clip_by_block_rms`).
 * @example
 * const [u] = optim.clipByBlockRms(1).update({ w: np.array([3, 4]) }, {}); // rms 3.54 → scaled to rms 1
 */
export function clipByBlockRms(threshold: number): GradientTransformation<Record<never, never>> {
  checkNumber("optim.clipByBlockRms", "threshold", threshold, 0);
  return {
    init: () => ({}),
    update: (updates, state) => [treeMap((u: unknown) => {
      const uv = leaf(u);
      return np.divide(uv, np.maximum(1, np.divide(np.sqrt(np.mean(np.square(uv))), threshold)));
    }, updates), state],
  };
}

/**
 * Multiplies each leaf's updates by the rms of its param, at least `minScale`
 * (optax's `scale_by_param_block_rms`). Needs `params` in `update`.
 * @example
 * const t = optim.scaleByParamBlockRms();
 */
export function scaleByParamBlockRms(minScale = 1e-3): GradientTransformation<Record<never, never>> {
  const op = "optim.scaleByParamBlockRms";
  checkNumber(op, "minScale", minScale, 0);
  return {
    init: () => ({}),
    update(updates, state, params) {
      if (params === undefined) throw new ShapeError(`${op}: update needs the params: call opt.update(grads, state, params)`);
      return [treeMap((u: unknown, p: unknown) => {
        const pv = leaf(p);
        const rms = np.sqrt(np.mean(np.square(pv)));
        // the rms of ones where the param is too small: keeps the gradient of sqrt finite (optax's safe_root_mean_squares)
        const safe = np.where(np.lessEqual(rms, minScale), np.onesLike(pv), pv);
        return np.multiply(leaf(u), np.where(np.lessEqual(rms, minScale), np.astype(minScale, pv.dtype), np.sqrt(np.mean(np.square(safe)))));
      }, updates, params), state];
    },
  };
}

export interface AdafactorOptions extends ScaleByFactoredRmsOptions {
  /** Learning rate; default none (the relative step size comes from the param scale alone), as optax. */
  learningRate?: ScalarOrSchedule;
  /** Scale updates by the param's rms (default true). */
  multiplyByParameterScale?: boolean;
  /** Clip each leaf's update rms to this (default 1; null: no clipping). */
  clippingThreshold?: number | null;
  /** Momentum (an ema of the updates without debiasing); default none. */
  momentum?: number;
  /** Decoupled weight decay rate; default none. */
  weightDecayRate?: number;
  /** Which params decay. */
  weightDecayMask?: Mask;
}

/**
 * The Adafactor optimizer (optax's `adafactor`): scaleByFactoredRms,
 * clipByBlockRms, the learning rate, scaleByParamBlockRms, optional
 * momentum and weight decay, then -1. Needs `params` in `update`.
 * @example
 * const opt = optim.adafactor({ learningRate: 1e-2 });
 * const params = { w: np.ones([4, 3]) };
 * const [u] = opt.update({ w: np.full([4, 3], 0.1) }, opt.init(params), params);
 */
export function adafactor(options: AdafactorOptions = {}): GradientTransformation<unknown[]> {
  const op = "optim.adafactor";
  const {
    learningRate, multiplyByParameterScale = true, clippingThreshold = 1, momentum, weightDecayRate, weightDecayMask,
    factored, decayRate, stepOffset, minDimSizeToFactor, epsilon,
  } = optionsArg(op, options);
  const tx: GradientTransformation<unknown>[] = [scaleByFactoredRms({ factored, decayRate, stepOffset, minDimSizeToFactor, epsilon })];
  if (clippingThreshold !== null && clippingThreshold !== undefined) tx.push(clipByBlockRms(clippingThreshold));
  if (learningRate !== undefined) tx.push(scaleByLearningRate(learningRate, { flipSign: false }));
  if (multiplyByParameterScale) tx.push(scaleByParamBlockRms());
  if (momentum !== undefined) tx.push(ema(momentum, { debias: false }));
  if (weightDecayRate !== undefined) tx.push(addDecayedWeights(weightDecayRate, { mask: weightDecayMask }));
  tx.push(scale(-1));
  return chain(...tx) as GradientTransformation<unknown[]>;
}
