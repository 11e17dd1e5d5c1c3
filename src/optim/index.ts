/**
 * optim: optimizers in optax's shape. An optimizer is a gradient
 * transformation `{ init(params) → state, update(grads, state, params?) →
 * [updates, state] }`; `applyUpdates(params, updates)` adds the updates.
 * States are pytrees of arrays, so a whole training step can be jitted.
 * @example
 * import { grad, jit, np, optim, type Array } from "jaxon-ts";
 * const loss = (p: { w: Array }) => p.w.square().sum();
 * const opt = optim.adam(0.1);
 * let params = { w: np.array([1, -2]) };
 * let state = opt.init(params);
 * const step = jit((p: typeof params, s: typeof state) => {
 *   const [updates, s2] = opt.update(grad(loss)(p), s, p);
 *   return [optim.applyUpdates(p, updates), s2] as const;
 * });
 * for (let i = 0; i < 100; i++) [params, state] = step(params, state);
 */
export type {
  GradientTransformation, OptState, EmptyState, StatesOf, ScaleByScheduleState, ScaleByLearningRateOptions, TraceState, TraceOptions,
  ScaleByAdamState, ScaleByAdamOptions, ScaleByRmsState, ScaleByRmsOptions, ScaleByStddevState, ScaleByRssState, ScaleByRssOptions,
  Mask, AddDecayedWeightsOptions,
} from "./transforms.js";
export {
  chain, identity, scale, scaleBySchedule, scaleByLearningRate, trace, scaleByAdam, scaleByRms, scaleByStddev, scaleByRss,
  addDecayedWeights, globalNorm, clipByGlobalNorm, clip, applyUpdates, safeIncrement,
} from "./transforms.js";
export type { SgdOptions, AdamOptions, AdamWOptions, RmspropOptions, AdagradOptions } from "./aliases.js";
export { sgd, adam, adamw, rmsprop, adagrad } from "./aliases.js";
export type { Schedule, ScalarOrSchedule, ExponentialDecayOptions } from "./schedules.js";
export {
  constantSchedule, exponentialDecay, cosineDecaySchedule, polynomialSchedule, linearSchedule, joinSchedules,
  warmupCosineDecaySchedule, warmupExponentialDecaySchedule, warmupConstantSchedule, piecewiseConstantSchedule,
} from "./schedules.js";
export type {
  ScaleByLionState, ScaleByLionOptions, LionOptions, ScaleByBeliefState, ScaleByBeliefOptions, LambOptions, ScaleByNovogradState, NovogradOptions,
  AddNoiseState, AddNoiseOptions, EmaState, EmaOptions, LookaheadState, LookaheadParams, LookaheadOptions, MaskedState, MultiTransformState,
  ApplyIfFiniteState, MultiStepsState, MultiStepsOptions, TreeNormOptions,
} from "./extra.js";
export {
  treeSum, treeMax, treeNorm, scaleByLion, lion, scaleByBelief, adabelief, scaleByTrustRatio, lamb, scaleByNovograd, novograd, addNoise, noisySgd,
  ema, emaParams, lookahead, maskedTransform, multiTransform, applyIfFinite, multiSteps, MultiSteps,
} from "./extra.js";
export type { FactoredState, ScaleByFactoredRmsOptions, AdafactorOptions } from "./adafactor.js";
export { scaleByFactoredRms, clipByBlockRms, scaleByParamBlockRms, adafactor } from "./adafactor.js";
