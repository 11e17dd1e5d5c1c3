/**
 * Loss functions, as optax's `optax.losses`, with a `reduction` option:
 * "mean" (the default: the mean over all examples), "sum", or "none" (the
 * per-example losses). The ones on logits are computed from `logSoftmax` /
 * `logSigmoid`, so that large logits never overflow.
 */
import { optionsArg, describe } from "../static-args.js";
import type { ArrayLike } from "../array-methods.js";
import { DTypeError, ShapeError } from "../errors.js";
import * as np from "../numpy/index.js";
import { isFloat, isInt } from "../dtype.js";
import type { Value } from "../trace/core.js";
import { asFloat, logSigmoid, logSoftmax, toValue } from "./activations.js";

/** How per-example losses are combined: their mean (default), their sum, or left as they are. */
export type Reduction = "mean" | "sum" | "none";

export interface LossOptions {
  /** "mean" (default), "sum" or "none". */
  reduction?: Reduction;
}

/** A loss per example reduced as `reduction` says (shared by every loss of nn). */
export function reduce(op: string, losses: Value, reduction: Reduction | undefined): Value {
  switch (reduction ?? "mean") {
    case "mean":
      return np.mean(losses);
    case "sum":
      return np.sum(losses);
    case "none":
      return losses;
    default:
      throw new ShapeError(`${op}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(String(reduction)).slice(0, 40)}`);
  }
}

function sameShape(op: string, a: Value, b: Value, what: string) {
  if (a.ndim !== b.ndim || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${op}: predictions of shape [${a.shape.join(", ")}] and ${what} of shape [${b.shape.join(", ")}] must have the same shape`);
  }
}

/**
 * Mean squared error: `(pred - target)²`, averaged (default) or summed over all elements.
 * @example
 * nn.mse(np.array([1, 2]), np.array([0, 0]));                      // 2.5
 * nn.mse(np.array([1, 2]), np.array([0, 0]), { reduction: "sum" }); // 5
 */
export function mse(pred: ArrayLike, target: ArrayLike, options: LossOptions = {}): Value {
  const { reduction } = optionsArg("nn.mse", options);
  const op = "nn.mse";
  return reduce(op, np.square(np.subtract(asFloat(op, pred), target)), reduction);
}

/**
 * Softmax cross-entropy between logits and target distributions (one-hot
 * labels or probabilities) over the last axis: `-sum(labels * logSoftmax(logits))`
 * per example, then the reduction over the examples.
 * @example
 * nn.softmaxCrossEntropy(np.array([[0, 0]]), np.array([[1, 0]])); // log 2
 */
export function softmaxCrossEntropy(logits: ArrayLike, labels: ArrayLike, options: LossOptions = {}): Value {
  const { reduction } = optionsArg("nn.softmaxCrossEntropy", options);
  const op = "nn.softmaxCrossEntropy";
  const l = asFloat(op, logits);
  const y = toValue(op, labels);
  sameShape(op, l, y, "labels");
  if (l.ndim === 0) throw new ShapeError(`${op}: logits need a class axis (the last one)`);
  return reduce(op, np.negative(np.sum(np.multiply(y, logSoftmax(l, -1)), -1)), reduction);
}

/**
 * Softmax cross-entropy with integer class labels: `logsumexp(logits) - logits[label]`
 * per example. `labels` has the shape of `logits` without its last axis.
 * @example
 * nn.softmaxCrossEntropyWithIntegerLabels(np.array([[0, 0]]), np.array([1], { dtype: "int32" })); // log 2
 */
export function softmaxCrossEntropyWithIntegerLabels(logits: ArrayLike, labels: ArrayLike, options: LossOptions = {}): Value {
  const { reduction } = optionsArg("nn.softmaxCrossEntropyWithIntegerLabels", options);
  const op = "nn.softmaxCrossEntropyWithIntegerLabels";
  const l = asFloat(op, logits);
  const y = toValue(op, labels);
  if (!isInt(y.dtype)) throw new DTypeError(`${op}: labels must be integers (int32), got ${y.dtype}; for one-hot labels use softmaxCrossEntropy`);
  if (l.ndim === 0 || y.ndim !== l.ndim - 1 || y.shape.some((d, i) => d !== l.shape[i])) {
    throw new ShapeError(`${op}: labels of shape [${y.shape.join(", ")}] must have the shape of logits [${l.shape.join(", ")}] without the last (class) axis`);
  }
  const picked = np.takeAlongAxis(logSoftmax(l, -1), np.expandDims(y, -1), -1);
  return reduce(op, np.negative(np.squeeze(picked, -1)), reduction);
}

/**
 * Binary cross-entropy on logits (optax's `sigmoid_binary_cross_entropy`):
 * `-labels log σ(logits) - (1 - labels) log(1 - σ(logits))`, computed with
 * logSigmoid so that large logits stay finite. Labels are in [0, 1].
 * @example
 * nn.binaryCrossEntropyWithLogits(np.array([0]), np.array([1])); // log 2
 */
export function binaryCrossEntropyWithLogits(logits: ArrayLike, labels: ArrayLike, options: LossOptions = {}): Value {
  const { reduction } = optionsArg("nn.binaryCrossEntropyWithLogits", options);
  const op = "nn.binaryCrossEntropyWithLogits";
  const l = asFloat(op, logits);
  let y = toValue(op, labels);
  if (!isFloat(y.dtype)) y = np.astype(y, l.dtype);
  sameShape(op, l, y, "labels");
  const logP = logSigmoid(l);
  const logNotP = logSigmoid(np.negative(l));
  return reduce(op, np.subtract(np.negative(np.multiply(y, logP)), np.multiply(np.subtract(1, y), logNotP)), reduction);
}

export interface HuberOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}

/**
 * Huber loss: `½ e²` for |e| ≤ delta, `delta (|e| - ½ delta)` beyond, with
 * e = pred - target (optax's `huber_loss`).
 * @example
 * nn.huber(np.array([0.5, 3]), np.array([0, 0]), { reduction: "none" }); // [0.125, 2.5]
 */
export function huber(pred: ArrayLike, target: ArrayLike, options: HuberOptions = {}): Value {
  const { delta = 1, reduction } = optionsArg("nn.huber", options);
  const op = "nn.huber";
  if (!(delta > 0)) throw new ShapeError(`${op}: delta must be positive, got ${describe(delta)}`);
  const absErr = np.abs(np.subtract(asFloat(op, pred), target));
  const quadratic = np.minimum(absErr, delta);
  const linear = np.subtract(absErr, quadratic);
  return reduce(op, np.add(np.multiply(0.5, np.square(quadratic)), np.multiply(delta, linear)), reduction);
}
