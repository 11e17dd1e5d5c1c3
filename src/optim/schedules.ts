/**
 * Learning-rate (and other hyper-parameter) schedules, as optax's: a
 * schedule is a function of the step count (an int32 0-d array, carried in
 * the optimizer state so that it is traced under jit) to a value. Each is
 * written in np ops, so it works on a traced count; it also takes a plain
 * JS number, for looking at its values.
 */
import { describe, functionArg, listArg, optionsArg } from "../static-args.js";
import type { ArrayLike } from "../array-methods.js";
import { ArrayMethods } from "../array-methods.js";
import { ShapeError } from "../errors.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";

/** A schedule: the step count (0 for the first update) → a value. */
export type Schedule = (count: ArrayLike) => Value;

/** A hyper-parameter that is a number (or a 0-d array), or a schedule of the step count. */
export type ScalarOrSchedule = ArrayLike | Schedule;

/** The count as an array (a JS number becomes int32 when integral, as the state's count is). */
function countOf(count: ArrayLike): Value {
  if (count instanceof ArrayMethods) return count as Value;
  return np.array(count, { dtype: typeof count === "number" && Number.isInteger(count) ? "int32" : "float32" });
}

function finite(op: string, what: string, v: number) {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ShapeError(`${op}: ${what} must be a finite number, got ${describe(v)}`);
}

/**
 * The same value at every step.
 * @example
 * optim.constantSchedule(0.1)(100); // 0.1
 */
export function constantSchedule(value: number): Schedule {
  finite("optim.constantSchedule", "value", value);
  return (count) => np.fullLike(countOf(count), value, { dtype: "float32" });
}

export interface ExponentialDecayOptions {
  /** Steps before the decay starts (default 0). */
  transitionBegin?: number;
  /** Decay in whole periods of transitionSteps (a staircase) instead of continuously (default false). */
  staircase?: boolean;
  /** A bound the value never passes (a floor when decayRate < 1, a ceiling otherwise). */
  endValue?: number;
}

/**
 * `init * decayRate^((count - transitionBegin) / transitionSteps)`, the exponent
 * floored when `staircase`; `init` before transitionBegin (optax's `exponential_decay`).
 * @example
 * const lr = optim.exponentialDecay(1, 10, 0.5);
 * lr(10); // 0.5
 * optim.exponentialDecay(1, 10, 0.5, { staircase: true })(15); // 0.5
 */
export function exponentialDecay(initValue: number, transitionSteps: number, decayRate: number, options: ExponentialDecayOptions = {}): Schedule {
  const op = "optim.exponentialDecay";
  const { transitionBegin = 0, staircase = false, endValue } = optionsArg(op, options);
  finite(op, "initValue", initValue);
  finite(op, "decayRate", decayRate);
  finite(op, "transitionSteps", transitionSteps);
  if (!(transitionSteps > 0) || decayRate === 0) return constantSchedule(initValue);
  if (!Number.isInteger(transitionBegin) || transitionBegin < 0) throw new ShapeError(`${op}: transitionBegin must be a non-negative integer, got ${describe(transitionBegin)}`);
  return (count) => {
    const decreased = np.subtract(countOf(count), transitionBegin);
    let p = np.divide(decreased, transitionSteps);
    if (staircase) p = np.floor(p);
    let value = np.where(np.lessEqual(decreased, 0), np.fullLike(p, initValue), np.multiply(initValue, np.power(decayRate, p)));
    if (endValue !== undefined) value = decayRate < 1 ? np.maximum(value, endValue) : np.minimum(value, endValue);
    return value;
  };
}

/**
 * Cosine decay from `initValue` to `alpha * initValue` over `decaySteps`,
 * constant after: `init * ((1 - alpha) * (½ (1 + cos(π t / decaySteps)))^exponent + alpha)`
 * with t = min(count, decaySteps) (optax's `cosine_decay_schedule`).
 * @example
 * const lr = optim.cosineDecaySchedule(1, 100);
 * lr(50);  // 0.5
 * lr(100); // 0
 */
export function cosineDecaySchedule(initValue: number, decaySteps: number, alpha = 0, exponent = 1): Schedule {
  const op = "optim.cosineDecaySchedule";
  finite(op, "initValue", initValue);
  finite(op, "decaySteps", decaySteps);
  finite(op, "alpha", alpha);
  finite(op, "exponent", exponent);
  if (!(decaySteps > 0)) throw new ShapeError(`${op}: decaySteps must be positive, got ${describe(decaySteps)}`);
  return (count) => {
    const t = np.minimum(countOf(count), decaySteps);
    const cosine = np.multiply(0.5, np.add(1, np.cos(np.divide(np.multiply(t, Math.PI), decaySteps))));
    const shaped = exponent === 1 ? cosine : np.power(cosine, exponent);
    return np.multiply(initValue, np.add(np.multiply(1 - alpha, shaped), alpha));
  };
}

/**
 * From `initValue` to `endValue` along `(init - end) (1 - t/transitionSteps)^power + end`,
 * t = clip(count - transitionBegin, 0, transitionSteps) (optax's `polynomial_schedule`).
 * @example
 * optim.polynomialSchedule(1, 0, 2, 10)(5); // 0.25
 */
export function polynomialSchedule(initValue: number, endValue: number, power: number, transitionSteps: number, transitionBegin = 0): Schedule {
  const op = "optim.polynomialSchedule";
  finite(op, "initValue", initValue);
  finite(op, "endValue", endValue);
  finite(op, "power", power);
  finite(op, "transitionSteps", transitionSteps);
  finite(op, "transitionBegin", transitionBegin);
  if (!(transitionSteps > 0)) return constantSchedule(initValue);
  return (count) => {
    const t = np.clip(np.subtract(countOf(count), transitionBegin), 0, transitionSteps);
    const frac = np.subtract(1, np.divide(t, transitionSteps));
    return np.add(np.multiply(initValue - endValue, power === 1 ? frac : np.power(frac, power)), endValue);
  };
}

/**
 * Linear from `initValue` to `endValue` over `transitionSteps` (after
 * `transitionBegin`), constant after: a linear warmup when end > init.
 * @example
 * const warmup = optim.linearSchedule(0, 1, 10);
 * warmup(5);  // 0.5
 * warmup(20); // 1
 */
export function linearSchedule(initValue: number, endValue: number, transitionSteps: number, transitionBegin = 0): Schedule {
  return polynomialSchedule(initValue, endValue, 1, transitionSteps, transitionBegin);
}

/**
 * Schedules one after another: `schedules[i]` runs from `boundaries[i-1]`,
 * seeing the count relative to that boundary (optax's `join_schedules`).
 * @example
 * const s = optim.joinSchedules([optim.constantSchedule(1), optim.linearSchedule(1, 0, 10)], [5]);
 * s(10); // 0.5
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  const op = "optim.joinSchedules";
  schedules = listArg<Schedule>(op, "schedules", schedules);
  boundaries = listArg<number>(op, "boundaries", boundaries);
  schedules.forEach((f, i) => functionArg(op, `schedules[${i}]`, f));
  if (schedules.length === 0) throw new ShapeError(`${op}: needs at least one schedule`);
  if (boundaries.length !== schedules.length - 1) throw new ShapeError(`${op}: ${schedules.length} schedules need ${schedules.length - 1} boundaries, got ${boundaries.length}`);
  boundaries.forEach((b) => finite(op, "a boundary", b));
  return (count) => {
    const c = countOf(count);
    let out = np.asarray(schedules[0](c));
    boundaries.forEach((b, i) => {
      out = np.where(np.less(c, b), out, schedules[i + 1](np.subtract(c, b)));
    });
    return out;
  };
}

/**
 * Linear warmup from `initValue` to `peakValue` over `warmupSteps`, then
 * cosine decay to `endValue` at step `decaySteps` (which counts the warmup),
 * as optax's `warmup_cosine_decay_schedule`.
 * @example
 * const lr = optim.warmupCosineDecaySchedule(0, 1, 10, 110);
 * lr(5);   // 0.5
 * lr(60);  // 0.5
 * lr(110); // 0
 */
export function warmupCosineDecaySchedule(initValue: number, peakValue: number, warmupSteps: number, decaySteps: number, endValue = 0, exponent = 1): Schedule {
  const op = "optim.warmupCosineDecaySchedule";
  for (const [what, v] of Object.entries({ initValue, peakValue, warmupSteps, decaySteps, endValue, exponent })) finite(op, what, v);
  const alpha = peakValue === 0 ? 0 : endValue / peakValue;
  return joinSchedules(
    [linearSchedule(initValue, peakValue, warmupSteps), cosineDecaySchedule(peakValue, decaySteps - warmupSteps, alpha, exponent)],
    [warmupSteps],
  );
}

/**
 * Linear warmup from `initValue` to `peakValue` over `warmupSteps`, then
 * exponential decay (optax's `warmup_exponential_decay_schedule`).
 * @example
 * const lr = optim.warmupExponentialDecaySchedule(0, 1, 10, 10, 0.5);
 * lr(20); // 0.5
 */
export function warmupExponentialDecaySchedule(
  initValue: number, peakValue: number, warmupSteps: number, transitionSteps: number, decayRate: number, options: ExponentialDecayOptions = {},
): Schedule {
  return joinSchedules(
    [linearSchedule(initValue, peakValue, warmupSteps), exponentialDecay(peakValue, transitionSteps, decayRate, options)],
    [warmupSteps],
  );
}

/**
 * Linear warmup from `initValue` to `peakValue` over `warmupSteps`, then constant.
 * @example
 * optim.warmupConstantSchedule(0, 1, 4)(2); // 0.5
 */
export function warmupConstantSchedule(initValue: number, peakValue: number, warmupSteps: number): Schedule {
  return linearSchedule(initValue, peakValue, warmupSteps);
}

/**
 * `initValue` times the product of every scale whose boundary the count has
 * reached (optax's `piecewise_constant_schedule`).
 * @example
 * const lr = optim.piecewiseConstantSchedule(1, { 10: 0.1, 20: 0.1 });
 * lr(15); // 0.1
 * lr(25); // 0.01
 */
export function piecewiseConstantSchedule(initValue: number, boundariesAndScales: Readonly<Record<number, number>> = {}): Schedule {
  const op = "optim.piecewiseConstantSchedule";
  finite(op, "initValue", initValue);
  const entries = Object.entries(optionsArg(op, boundariesAndScales))
    .map(([b, s]) => [Number(b), s] as const)
    .sort((a, b) => a[0] - b[0]);
  entries.forEach(([b, s]) => {
    finite(op, "a boundary", b);
    finite(op, "a scale", s);
  });
  return (count) => {
    const c = countOf(count);
    let v = np.fullLike(c, initValue, { dtype: "float32" });
    for (const [b, s] of entries) v = np.where(np.less(c, b), v, np.multiply(v, s));
    return v;
  };
}
