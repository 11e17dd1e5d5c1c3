/**
 * Normalization layers in the stax style of `layers.ts`, with the math and
 * defaults of Flax's linen layers: `LayerNorm`, `RMSNorm`, `GroupNorm` and
 * `BatchNorm`. Statistics use Flax's "fast variance", `mean(x²) - mean(x)²`
 * clipped at 0, computed in float32 at least.
 *
 * BatchNorm has state (running mean and variance) besides its params:
 * `nn.initWithState(layer, key, shape)` gives `[shape, params, state]` and
 * `nn.applyWithState(layer, params, state, x, { training })` gives
 * `[y, newState]`; `serial` and `parallel` thread the state of their layers.
 */
import { describe, intsArg, optionsArg } from "../static-args.js";
import { DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import * as lax from "../lax/index.js";
import * as random from "../random/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { ArrayMethods } from "../array-methods.js";
import { isFloat } from "../dtype.js";
import type { Initializer } from "./initializers.js";
import { ones, zeros } from "./initializers.js";
import type { ApplyOptions, Layer, LayerShape } from "./layers.js";

/** Params of a normalization layer: `scale` and `bias` over the feature axes (absent when turned off). */
export interface NormParams {
  scale?: Value;
  bias?: Value;
}

/** Options shared by the normalization layers. */
export interface NormOptions {
  /** Added to the variance (default 1e-6 for LayerNorm, RMSNorm and GroupNorm, 1e-5 for BatchNorm, as Flax). */
  epsilon?: number;
  /** Learn a bias (default true; RMSNorm has none). */
  useBias?: boolean;
  /** Learn a scale (default true). */
  useScale?: boolean;
  /** Initializer of the bias (default zeros). */
  biasInit?: Initializer;
  /** Initializer of the scale (default ones). */
  scaleInit?: Initializer;
  /** dtype of the params (default float32). */
  paramDtype?: "float32" | "float64";
}

/** LayerNorm's and RMSNorm's options: which axes the statistics are over and which carry params. */
export interface LayerNormOptions extends NormOptions {
  /** Axes the mean and variance are taken over (default -1). */
  reductionAxes?: number | readonly number[];
  /** Axes that have their own scale and bias (default -1). */
  featureAxes?: number | readonly number[];
}

function shapeOf(op: string, shape: LayerShape): number[] {
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < -1)) {
    throw new ShapeError(`${op}: expected the shape of one array (integers, -1 for a batch dimension), got ${describe(shape)}`);
  }
  return [...(shape as number[])];
}

function axesOf(op: string, name: string, axes: unknown, ndim: number): number[] {
  const list = intsArg(op, name, axes, true).map((a) => {
    if (a < -ndim || a >= ndim) throw new ShapeError(`${op}: ${name} ${a} is out of range for an input of rank ${ndim}`);
    return a < 0 ? a + ndim : a;
  });
  if (new Set(list).size !== list.length) throw new ShapeError(`${op}: repeated axis in ${name} [${list.join(", ")}]`);
  return list.sort((a, b) => a - b);
}

function checkInput(op: string, x: unknown): Value {
  if (!(x instanceof ArrayMethods)) throw new DTypeError(`${op}: the input must be an array, got ${describe(x)}`);
  const v = x as Value;
  if (!isFloat(v.dtype)) throw new DTypeError(`${op}: the input must be a floating-point array, got ${v.dtype}; cast it with np.astype(x, "float32")`);
  return v;
}

function flag(op: string, name: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new ShapeError(`${op}: ${name} must be true or false, got ${describe(v)}`);
  return v;
}

function epsilonOf(op: string, v: unknown): number {
  if (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v)) throw new ShapeError(`${op}: epsilon must be a non-negative number, got ${describe(v)}`);
  return v;
}

/** Mean and (fast) variance over `axes`, kept as broadcastable axes, in float32 at least. */
function stats(x: Value, axes: number[], useMean: boolean): [Value | undefined, Value] {
  const xf = x.dtype === "float16" ? np.astype(x, "float32") : x;
  const mean2 = np.mean(np.square(xf), axes, { keepdims: true });
  if (!useMean) return [undefined, mean2];
  const mean = np.mean(xf, axes, { keepdims: true });
  return [mean, np.maximum(np.subtract(mean2, np.square(mean)), 0)];
}

/** Flax's _normalize: (x - mean) · rsqrt(var + eps) · scale + bias, params reshaped to broadcast along `featureAxes`. */
function normalize(x: Value, mean: Value | undefined, variance: Value, params: NormParams, featureAxes: number[], epsilon: number): Value {
  const bshape = x.shape.map((d, i) => (featureAxes.includes(i) ? d : 1));
  const xf = x.dtype === "float16" ? np.astype(x, "float32") : x;
  const y = mean === undefined ? xf : np.subtract(xf, mean);
  let mul = lax.rsqrt(np.add(variance, epsilon));
  if (params.scale !== undefined) mul = np.multiply(mul, np.reshape(params.scale, bshape));
  return params.bias !== undefined ? np.add(np.multiply(y, mul), np.reshape(params.bias, bshape)) : np.multiply(y, mul);
}

function checkParams(op: string, params: unknown, featureShape: number[], useScale: boolean, useBias: boolean): NormParams {
  if (typeof params !== "object" || params === null || Array.isArray(params)) throw new ShapeError(`${op}: params must be the object init returned ({ scale, bias }), got ${describe(params)}`);
  const p = params as NormParams;
  const check = (name: "scale" | "bias", wanted: boolean) => {
    const v = p[name];
    if (!wanted) return;
    if (!(v instanceof ArrayMethods)) throw new ShapeError(`${op}: params.${name} must be an array of shape [${featureShape.join(", ")}], got ${describe(v)}`);
    const a = v as Value;
    if (a.shape.length !== featureShape.length || a.shape.some((d, i) => d !== featureShape[i])) {
      throw new ShapeError(`${op}: params.${name} has shape [${a.shape.join(", ")}] but the input's feature axes have [${featureShape.join(", ")}]`);
    }
  };
  check("scale", useScale);
  check("bias", useBias);
  return { scale: useScale ? p.scale : undefined, bias: useBias ? p.bias : undefined };
}

interface Common {
  epsilon: number;
  useBias: boolean;
  useScale: boolean;
  biasInit: Initializer;
  scaleInit: Initializer;
  paramDtype: "float32" | "float64";
}

function common(op: string, o: NormOptions, defaultEps: number): Common {
  const { epsilon = defaultEps, useBias = true, useScale = true, biasInit = zeros, scaleInit = ones, paramDtype = "float32" } = o;
  if (typeof biasInit !== "function" || typeof scaleInit !== "function") throw new ShapeError(`${op}: biasInit and scaleInit must be initializers (functions), got ${describe(typeof biasInit !== "function" ? biasInit : scaleInit)}`);
  if (paramDtype !== "float32" && paramDtype !== "float64") throw new DTypeError(`${op}: paramDtype must be "float32" or "float64", got ${describe(paramDtype)}`);
  return { epsilon: epsilonOf(op, epsilon), useBias: flag(op, "useBias", useBias), useScale: flag(op, "useScale", useScale), biasInit, scaleInit, paramDtype };
}

function initParams(key: Parameters<Initializer>[0], c: Common, featureShape: number[]): NormParams {
  const [k1, k2] = random.split(key);
  const p: NormParams = {};
  if (c.useScale) p.scale = c.scaleInit(k1, featureShape, c.paramDtype);
  if (c.useBias) p.bias = c.biasInit(k2, featureShape, c.paramDtype);
  return p;
}

function featureShapeOf(op: string, shape: readonly number[], featureAxes: number[]): number[] {
  const f = featureAxes.map((a) => shape[a]);
  if (f.some((d) => d < 0)) throw new ShapeError(`${op}: the feature axes [${featureAxes.join(", ")}] of the input shape [${shape.join(", ")}] must be known (not -1)`);
  return f;
}

function layerNormLike(op: string, options: LayerNormOptions, useMean: boolean): Layer<NormParams> {
  const o = optionsArg(op, options);
  const c = common(op, o, 1e-6);
  if (!useMean && o.useBias !== undefined && o.useBias) throw new ShapeError(`${op}: RMSNorm has no bias (useBias is not an option)`);
  if (!useMean) c.useBias = false;
  const { reductionAxes = -1, featureAxes = -1 } = o;
  intsArg(op, "reductionAxes", reductionAxes, true);
  intsArg(op, "featureAxes", featureAxes, true);
  return {
    init(key, inputShape) {
      const shape = shapeOf(op, inputShape);
      const fAxes = axesOf(op, "featureAxes", featureAxes, shape.length);
      axesOf(op, "reductionAxes", reductionAxes, shape.length);
      return [shape, initParams(key, c, featureShapeOf(op, shape, fAxes))];
    },
    apply(params, x) {
      const v = checkInput(op, x);
      const rAxes = axesOf(op, "reductionAxes", reductionAxes, v.ndim);
      const fAxes = axesOf(op, "featureAxes", featureAxes, v.ndim);
      const p = checkParams(op, params, fAxes.map((a) => v.shape[a]), c.useScale, c.useBias);
      const [mean, variance] = stats(v, rAxes, useMean);
      return normalize(v, mean, variance, p, fAxes, c.epsilon);
    },
  };
}

/**
 * Layer normalization (Flax's `nn.LayerNorm`): each example is normalized over
 * `reductionAxes` (default the last), `y = (x - mean) / sqrt(var + epsilon) ·
 * scale + bias`, with `scale` (ones) and `bias` (zeros) of the feature axes'
 * shape; epsilon 1e-6.
 * @example
 * const ln = nn.LayerNorm();
 * const [, params] = ln.init(random.key(0), [-1, 3]);        // { scale: [1, 1, 1], bias: [0, 0, 0] }
 * ln.apply(params, np.array([[1, 2, 3]]));                     // ≈ [[-1.2247, 0, 1.2247]]
 */
export function LayerNorm(options: LayerNormOptions = {}): Layer<NormParams> {
  return layerNormLike("nn.LayerNorm", options, true);
}

/**
 * RMS normalization (Flax's `nn.RMSNorm`): `y = x / sqrt(mean(x²) + epsilon) ·
 * scale` over `reductionAxes` (default the last); no mean, no bias; epsilon 1e-6.
 * @example
 * const rms = nn.RMSNorm();
 * const [, params] = rms.init(random.key(0), [-1, 2]);   // { scale: [1, 1] }
 * rms.apply(params, np.array([[3, 4]]));                   // ≈ [[0.8485, 1.1314]]
 */
export function RMSNorm(options: Omit<LayerNormOptions, "useBias" | "biasInit"> = {}): Layer<NormParams> {
  return layerNormLike("nn.RMSNorm", options, false);
}

/** GroupNorm's options. */
export interface GroupNormOptions extends NormOptions {
  /** The number of groups the features (last axis) are split into (default 32 unless groupSize is given). */
  numGroups?: number;
  /** The number of features in each group (instead of numGroups). */
  groupSize?: number;
}

/**
 * Group normalization (Flax's `nn.GroupNorm`): the features (last axis) are
 * split into `numGroups` groups (default 32) or groups of `groupSize`, and
 * each example is normalized over its non-batch axes within each group; then
 * a per-feature `scale` and `bias`. The input is [batch, ..., features];
 * epsilon 1e-6.
 * @example
 * const gn = nn.GroupNorm({ numGroups: 2 });
 * const [, params] = gn.init(random.key(0), [-1, 4]);
 * gn.apply(params, np.array([[1, 3, 10, 20]]));   // ≈ [[-1, 1, -1, 1]]
 */
export function GroupNorm(options: GroupNormOptions = {}): Layer<NormParams> {
  const op = "nn.GroupNorm";
  const o = optionsArg(op, options);
  const c = common(op, o, 1e-6);
  const { numGroups, groupSize } = o;
  if (numGroups !== undefined && groupSize !== undefined) throw new ShapeError(`${op}: give numGroups or groupSize, not both`);
  if (numGroups !== undefined) intsArg(op, "numGroups", numGroups, true);
  if (groupSize !== undefined) intsArg(op, "groupSize", groupSize, true);
  const groupsFor = (features: number): number => {
    const g = groupSize !== undefined ? (groupSize > 0 && features % groupSize === 0 ? features / groupSize : -1) : (numGroups ?? 32);
    if (!(g > 0) || features % g !== 0) {
      throw new ShapeError(`${op}: ${features} features cannot be split into ${groupSize !== undefined ? `groups of ${groupSize}` : `${g} groups`}; the number of features must be a multiple of ${groupSize !== undefined ? "groupSize" : "numGroups"}`);
    }
    return g;
  };
  return {
    init(key, inputShape) {
      const shape = shapeOf(op, inputShape);
      if (shape.length < 2) throw new ShapeError(`${op}: the input must be [batch, ..., features] (at least 2 axes), got [${shape.join(", ")}]`);
      const features = featureShapeOf(op, shape, [shape.length - 1]);
      groupsFor(features[0]);
      return [shape, initParams(key, c, features)];
    },
    apply(params, x) {
      const v = checkInput(op, x);
      if (v.ndim < 2) throw new ShapeError(`${op}: the input must be [batch, ..., features] (at least 2 axes), got [${v.shape.join(", ")}]`);
      const C = v.shape[v.ndim - 1];
      const p = checkParams(op, params, [C], c.useScale, c.useBias);
      const G = groupsFor(C);
      const grouped = np.reshape(v, [...v.shape.slice(0, -1), G, C / G]);
      const axes = [...Array.from({ length: v.ndim - 2 }, (_, i) => i + 1), v.ndim];
      const [mean, variance] = stats(grouped, axes, true);
      let y = np.reshape(normalize(grouped, mean, variance, {}, [], c.epsilon), v.shape);
      if (p.scale !== undefined) y = np.multiply(y, p.scale);
      return p.bias !== undefined ? np.add(y, p.bias) : y;
    },
  };
}

/** BatchNorm's options. */
export interface BatchNormOptions extends NormOptions {
  /** The feature axis (default -1): statistics are over every other axis. */
  axis?: number;
  /** Running statistics decay: `running = momentum · running + (1 - momentum) · batch` (default 0.99, as Flax). */
  momentum?: number;
}

/** BatchNorm's state: the running mean and (biased) variance of the features. */
export interface BatchNormState {
  mean: Value;
  var: Value;
}

/**
 * Batch normalization (Flax's `nn.BatchNorm`). In training mode the input is
 * normalized with the batch's mean and biased variance over every axis but
 * `axis` (the features, default last), and the running statistics are
 * updated as Flax does: `running = momentum · running + (1 - momentum) ·
 * batch` for the mean and the biased variance (momentum 0.99, epsilon 1e-5).
 * Otherwise it is normalized with the running statistics. The running
 * statistics are state, not params: use `nn.initWithState` and
 * `nn.applyWithState` (or `serial` of them). Plain `apply` works in
 * training mode only (the new statistics are dropped).
 * @example
 * const net = nn.serial(nn.Dense(8), nn.BatchNorm(), nn.Relu);
 * const [, params, state] = nn.initWithState(net, random.key(0), [-1, 3]);
 * const x = random.normal(random.key(1), [16, 3]);
 * const [y, state1] = nn.applyWithState(net, params, state, x, { training: true });
 * const [yEval] = nn.applyWithState(net, params, state1, x);  // uses the running statistics
 */
export function BatchNorm(options: BatchNormOptions = {}): Layer<NormParams> {
  const op = "nn.BatchNorm";
  const o = optionsArg(op, options);
  const c = common(op, o, 1e-5);
  const { axis = -1, momentum = 0.99 } = o;
  intsArg(op, "axis", axis, true);
  if (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1)) throw new ShapeError(`${op}: momentum must be a number in [0, 1], got ${describe(momentum)}`);
  const featureAxis = (ndim: number): number => axesOf(op, "axis", axis, ndim)[0];
  const checkState = (state: unknown, C: number): BatchNormState => {
    const s = state as BatchNormState;
    const ok = (v: unknown) => v instanceof ArrayMethods && (v as Value).ndim === 1 && (v as Value).shape[0] === C;
    if (typeof state !== "object" || state === null || !ok(s.mean) || !ok(s.var)) {
      throw new ShapeError(`${op}: the state must be { mean, var }, arrays of shape [${C}] (from nn.initWithState), got ${describe(state)}`);
    }
    return s;
  };
  const run = (params: NormParams, x: unknown, state: unknown, hasState: boolean, training: boolean): [Value, BatchNormState | undefined] => {
    const v = checkInput(op, x);
    const a = featureAxis(v.ndim);
    const C = v.shape[a];
    const p = checkParams(op, params, [C], c.useScale, c.useBias);
    const s = hasState ? checkState(state, C) : undefined;
    const bshape = v.shape.map((d, i) => (i === a ? d : 1));
    if (!training) {
      if (s === undefined) {
        throw new UnsupportedError(`${op}: evaluation mode normalizes with the running statistics, which are state: use nn.applyWithState(layer, params, state, x) (state from nn.initWithState), or pass { training: true }`);
      }
      return [normalize(v, np.reshape(s.mean, bshape), np.reshape(s.var, bshape), p, [a], c.epsilon), s];
    }
    const axes = v.shape.map((_, i) => i).filter((i) => i !== a);
    const [mean, variance] = stats(v, axes, true);
    const y = normalize(v, mean, variance, p, [a], c.epsilon);
    if (s === undefined) return [y, undefined];
    const decay = (running: Value, batch: Value) =>
      np.add(np.multiply(momentum, running), np.multiply(1 - momentum, np.astype(np.reshape(batch, [C]), running.dtype)));
    return [y, { mean: decay(s.mean, mean as Value), var: decay(s.var, variance) }];
  };
  const trainingOf = (options: ApplyOptions | undefined) => flag(op, "training", optionsArg(op, options).training ?? false);
  const init = (key: Parameters<Initializer>[0], inputShape: LayerShape): [number[], NormParams] => {
    const shape = shapeOf(op, inputShape);
    if (shape.length < 1) throw new ShapeError(`${op}: the input needs a feature axis`);
    return [shape, initParams(key, c, featureShapeOf(op, shape, [featureAxis(shape.length)]))];
  };
  return {
    init,
    initWithState(key, inputShape) {
      const [shape, params] = init(key, inputShape);
      const C = shape[featureAxis(shape.length)];
      const state: BatchNormState = { mean: np.zeros([C], { dtype: c.paramDtype }), var: np.ones([C], { dtype: c.paramDtype }) };
      return [shape, params, state];
    },
    apply(params, x, options) {
      return run(params, x, undefined, false, trainingOf(options))[0];
    },
    applyWithState(params, state, x, options) {
      const [y, s] = run(params, x, state, true, trainingOf(options));
      return [y, s];
    },
  };
}
