/**
 * The rest of the losses optax users reach for: sigmoidBinaryCrossEntropy,
 * l2Loss, huberLoss, cosineSimilarity/cosineDistance and klDivergence. Like
 * the losses in losses.ts they take a `reduction` ("mean" by default, "sum",
 * or "none" for optax's unreduced per-element or per-example values), so
 * that one convention holds across `nn`.
 */
import { optionsArg, describe } from "../static-args.js";
import type { ArrayLike } from "../array-methods.js";
import { DTypeError, ShapeError } from "../errors.js";
import { isFloat } from "../dtype.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { asFloat, toValue, type Axes } from "./activations.js";
import { binaryCrossEntropyWithLogits, huber, reduce, type HuberOptions, type LossOptions } from "./losses.js";

/** A float input, refusing integer ones (optax's check_subdtype(…, floating)): an integer probability is a mistake. */
function floatInput(op: string, what: string, x: ArrayLike): Value {
  const v = toValue(op, x);
  if (!isFloat(v.dtype)) throw new DTypeError(`${op}: ${what} must be floating point, got ${v.dtype}; convert with .astype("float32")`);
  return v;
}

/**
 * Elementwise sigmoid cross-entropy on logits (optax's
 * `sigmoid_binary_cross_entropy`): `-y log σ(l) - (1 - y) log(1 - σ(l))`,
 * stable for large logits. The same function as `binaryCrossEntropyWithLogits`.
 * @example
 * nn.sigmoidBinaryCrossEntropy(np.array([0, 0]), np.array([1, 0])); // log 2
 * nn.sigmoidBinaryCrossEntropy(np.array([0]), np.array([1]), { reduction: "none" }); // [0.6931472]
 */
export function sigmoidBinaryCrossEntropy(logits: ArrayLike, labels: ArrayLike, options: LossOptions = {}): Value {
  return binaryCrossEntropyWithLogits(logits, labels, options);
}

/**
 * L2 loss (optax's `l2_loss`): `½ (pred - target)²`; without `target`, `½ pred²`.
 * @example
 * nn.l2Loss(np.array([1, 3]), np.array([0, 0])); // 2.5
 * nn.l2Loss(np.array([2]), undefined, { reduction: "none" }); // [2]
 */
export function l2Loss(pred: ArrayLike, target?: ArrayLike, options: LossOptions = {}): Value {
  const op = "nn.l2Loss";
  const { reduction } = optionsArg(op, options);
  const p = asFloat(op, pred);
  const err = target === undefined ? p : np.subtract(p, target);
  return reduce(op, np.multiply(0.5, np.square(err)), reduction);
}

/**
 * Huber loss (optax's `huber_loss`): `½ e²` for |e| ≤ delta, `delta (|e| - ½ delta)`
 * beyond, with e = pred - target (or pred alone without target).
 * @example
 * nn.huberLoss(np.array([0.5, 3]), np.array([0, 0]), { reduction: "none" }); // [0.125, 2.5]
 */
export function huberLoss(pred: ArrayLike, target?: ArrayLike, options: HuberOptions = {}): Value {
  const op = "nn.huberLoss";
  optionsArg(op, options);
  const p = floatInput(op, "predictions", pred);
  return huber(p, target === undefined ? np.zerosLike(p) : target, options);
}

export interface CosineOptions extends LossOptions {
  /** Lower bound on the squared norms (default 0), so that a zero vector gives 0, not NaN. */
  epsilon?: number;
  /** The vector axis or axes (default -1). */
  axis?: Axes;
  /** Which elements take part (bool, broadcasting against the inputs); default all. */
  where?: ArrayLike;
}

function sumWhere(x: Value, axis: Axes, where: Value | undefined, keepdims: boolean): Value {
  const masked = where === undefined ? x : np.where(where, x, np.zerosLike(x));
  return np.sum(masked, axis ?? null, { keepdims });
}

/**
 * Cosine similarity along `axis` (optax's `cosine_similarity`):
 * `Σ a b / (sqrt(max(Σ a², ε)) sqrt(max(Σ b², ε)))` per vector, then the reduction.
 * @example
 * nn.cosineSimilarity(np.array([[1, 0], [1, 1]]), np.array([[1, 0], [-1, -1]]), { reduction: "none" }); // [1, -1]
 */
export function cosineSimilarity(pred: ArrayLike, target: ArrayLike, options: CosineOptions = {}): Value {
  const op = "nn.cosineSimilarity";
  const { epsilon = 0, axis = -1, where, reduction } = optionsArg(op, options);
  if (typeof epsilon !== "number" || !(epsilon >= 0)) throw new ShapeError(`${op}: epsilon must be a number ≥ 0, got ${describe(epsilon)}`);
  const a = floatInput(op, "predictions", pred);
  const b = floatInput(op, "targets", target);
  const w = where === undefined ? undefined : np.astype(toValue(op, where), "bool");
  const aNorm = np.sqrt(np.maximum(sumWhere(np.square(a), axis, w, true), epsilon));
  const bNorm = np.sqrt(np.maximum(sumWhere(np.square(b), axis, w, true), epsilon));
  return reduce(op, sumWhere(np.multiply(np.divide(a, aNorm), np.divide(b, bNorm)), axis, w, false), reduction);
}

/**
 * Cosine distance (optax's `cosine_distance`): `1 - cosineSimilarity`.
 * @example
 * nn.cosineDistance(np.array([[1, 0]]), np.array([[0, 1]])); // 1
 */
export function cosineDistance(pred: ArrayLike, target: ArrayLike, options: CosineOptions = {}): Value {
  const { reduction, ...rest } = optionsArg("nn.cosineDistance", options);
  return reduce("nn.cosineDistance", np.subtract(1, cosineSimilarity(pred, target, { ...rest, reduction: "none" })), reduction);
}

export interface KlDivergenceOptions extends LossOptions {
  /** The distribution axis or axes (default -1). */
  axis?: Axes;
  /** Which elements take part (bool, broadcasting against the inputs); default all. */
  where?: ArrayLike;
}

/**
 * Kullback-Leibler divergence KL(targets ‖ predictions) (optax's
 * `kl_divergence`), from log-predictions and target probabilities:
 * `Σ t (log t - logPred)` over `axis`, with `0 log 0 = 0`; then the reduction.
 * @example
 * nn.klDivergence(np.log(np.array([[0.5, 0.5]])), np.array([[0.5, 0.5]])); // 0
 */
export function klDivergence(logPredictions: ArrayLike, targets: ArrayLike, options: KlDivergenceOptions = {}): Value {
  const op = "nn.klDivergence";
  const { axis = -1, where, reduction } = optionsArg(op, options);
  const lp = floatInput(op, "logPredictions", logPredictions);
  const t = floatInput(op, "targets", targets);
  const logT = np.where(np.equal(t, 0), np.zerosLike(t), np.log(t));
  const w = where === undefined ? undefined : np.astype(toValue(op, where), "bool");
  return reduce(op, sumWhere(np.multiply(t, np.subtract(logT, lp)), axis, w, false), reduction);
}
