/**
 * The optimizers, each a chain of gradient transformations exactly as optax
 * builds it (so the states have optax's layout: a list with one state per
 * link of the chain). Every learning rate may be a number or a schedule.
 */
import { optionsArg } from "../static-args.js";
import type { ArrayLike } from "../array-methods.js";
import type { ScalarOrSchedule } from "./schedules.js";
import type {
  EmptyState, GradientTransformation, Mask, ScaleByAdamState, ScaleByRmsState, ScaleByRssState, ScaleByScheduleState, ScaleByStddevState, TraceState,
} from "./transforms.js";
import { addDecayedWeights, chain, identity, scaleByAdam, scaleByLearningRate, scaleByRms, scaleByRss, scaleByStddev, trace } from "./transforms.js";

type LrState = EmptyState | ScaleByScheduleState;

export interface SgdOptions {
  /** Momentum coefficient; none by default (plain SGD). */
  momentum?: number;
  /** Nesterov momentum (default false; needs `momentum`). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent, with optional (Nesterov) momentum:
 * `t ← g + m·t`, update `-lr·t` (or `-lr·(g + m·t)` with Nesterov).
 * @example
 * const opt = optim.sgd(0.1, { momentum: 0.9 });
 * const params = { w: np.array([1, 2]) };
 * let state = opt.init(params);
 * const [updates, next] = opt.update({ w: np.array([1, 1]) }, state);
 * const newParams = optim.applyUpdates(params, updates); // { w: [0.9, 1.9] }
 */
export function sgd(learningRate: ScalarOrSchedule, options: SgdOptions = {}): GradientTransformation<[TraceState | EmptyState, LrState]> {
  const { momentum, nesterov = false } = optionsArg("optim.sgd", options);
  return chain(momentum !== undefined ? trace({ decay: momentum, nesterov }) : identity(), scaleByLearningRate(learningRate));
}

export interface AdamOptions {
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
 * Adam: `mu ← (1-b1) g + b1 mu`, `nu ← (1-b2) g² + b2 nu`, and the update
 * `-lr · mû / (sqrt(nû) + eps)` with `mû = mu / (1 - b1^t)`, `nû = nu / (1 - b2^t)`, t = 1, 2, ...
 * @example
 * const opt = optim.adam(1e-3);
 * const params = { w: np.zeros([3]) };
 * const state = opt.init(params);
 * const [updates] = opt.update({ w: np.ones([3]) }, state); // { w: [-1e-3, -1e-3, -1e-3] }
 */
export function adam(learningRate: ScalarOrSchedule, options: AdamOptions = {}): GradientTransformation<[ScaleByAdamState, LrState]> {
  options = optionsArg("optim.adam", options);
  return chain(scaleByAdam(options), scaleByLearningRate(learningRate));
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay (default 1e-4, as optax). */
  weightDecay?: ArrayLike;
  /** Which params decay: a tree of booleans, or a function of the params making one (default all). */
  mask?: Mask;
}

/**
 * Adam with decoupled weight decay: the update is `-lr · (adam's update + weightDecay · params)`.
 * Needs `params` in `update`.
 * @example
 * const opt = optim.adamw(1e-3, { weightDecay: 1e-2 });
 * const params = { w: np.ones([3]) };
 * const [updates] = opt.update({ w: np.ones([3]) }, opt.init(params), params);
 */
export function adamw(learningRate: ScalarOrSchedule, options: AdamWOptions = {}): GradientTransformation<[ScaleByAdamState, EmptyState, LrState]> {
  const { weightDecay = 1e-4, mask, ...adamOptions } = optionsArg("optim.adamw", options);
  return chain(scaleByAdam(adamOptions), addDecayedWeights(weightDecay, { mask }), scaleByLearningRate(learningRate));
}

export interface RmspropOptions {
  /** Decay of the mean square (default 0.9). */
  decay?: number;
  /** Added to the mean square inside the root (default 1e-8). */
  eps?: number;
  /** The initial mean square (default 0). */
  initialScale?: number;
  /** Divide by the standard deviation instead of the root mean square (default false). */
  centered?: boolean;
  /** Momentum applied after the scaling (default none). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}

/**
 * RMSProp: `nu ← (1-decay) g² + decay nu`, update `-lr · g / sqrt(nu + eps)`,
 * optionally centered and with momentum (applied after the learning rate, as optax).
 * @example
 * const opt = optim.rmsprop(0.01, { decay: 0.9 });
 */
export function rmsprop(
  learningRate: ScalarOrSchedule,
  options: RmspropOptions = {},
): GradientTransformation<[ScaleByRmsState | ScaleByStddevState, LrState, TraceState | EmptyState]> {
  const { decay = 0.9, eps = 1e-8, initialScale = 0, centered = false, momentum, nesterov = false } = optionsArg("optim.rmsprop", options);
  return chain(
    centered ? scaleByStddev({ decay, eps, initialScale }) : scaleByRms({ decay, eps, initialScale }),
    scaleByLearningRate(learningRate),
    momentum !== undefined ? trace({ decay: momentum, nesterov }) : identity(),
  );
}

export interface AdagradOptions {
  /** The initial sum of squares (default 0.1). */
  initialAccumulatorValue?: number;
  /** Added inside the root (default 1e-7). */
  eps?: number;
}

/**
 * AdaGrad: `s ← s + g²`, update `-lr · g / sqrt(s + eps)`.
 * @example
 * const opt = optim.adagrad(0.1);
 */
export function adagrad(learningRate: ScalarOrSchedule, options: AdagradOptions = {}): GradientTransformation<[ScaleByRssState, LrState]> {
  options = optionsArg("optim.adagrad", options);
  return chain(scaleByRss(options), scaleByLearningRate(learningRate));
}
