/**
 * Parameter initializers, as JAX's `jax.nn.initializers`: each is a function
 * `(key, shape, dtype = "float32") => Array`. The variance-scaling family
 * (glorot/Xavier, he/Kaiming, lecun) computes fan-in and fan-out exactly as
 * JAX does: for a 2-D shape fan_in = shape[0] and fan_out = shape[1]; for
 * more dimensions the leading ones are a receptive field (a convolution kernel).
 */
import { optionsArg, describe, intsArg } from "../static-args.js";
import type { DType } from "../dtype.js";
import { checkDType, isFloat } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import * as np from "../numpy/index.js";
import * as random from "../random/index.js";
import type { Key } from "../random/index.js";
import { checkShape } from "../shape.js";
import type { Value } from "../trace/core.js";

/** An initializer: a fresh parameter array of `shape` and `dtype` drawn with `key`. */
export type Initializer = (key: Key, shape: readonly number[], dtype?: DType) => Value;

function floatDType(op: string, dtype: unknown): DType {
  const d = checkDType(dtype, op);
  if (!isFloat(d)) throw new DTypeError(`${op}: an initializer makes floating-point parameters (float32 or float64), got ${d}`);
  return d;
}

/**
 * Zeros (the key is ignored).
 * @example
 * nn.initializers.zeros(random.key(0), [2, 3]); // 2×3 zeros
 */
export const zeros: Initializer = (_key, shape, dtype = "float32") => np.zeros(checkShape("nn.initializers.zeros", shape), { dtype: checkDType(dtype, "nn.initializers.zeros") });

/**
 * Ones (the key is ignored).
 * @example
 * nn.initializers.ones(random.key(0), [3]); // [1, 1, 1]
 */
export const ones: Initializer = (_key, shape, dtype = "float32") => np.ones(checkShape("nn.initializers.ones", shape), { dtype: checkDType(dtype, "nn.initializers.ones") });

/**
 * An initializer that fills with `value`.
 * @example
 * nn.initializers.constant(0.1)(random.key(0), [2]); // [0.1, 0.1]
 */
export function constant(value: number): Initializer {
  return (_key, shape, dtype = "float32") => np.full(checkShape("nn.initializers.constant", shape), value, { dtype: checkDType(dtype, "nn.initializers.constant") });
}

/**
 * Uniform samples in [0, scale) (JAX's `initializers.uniform`, default scale 1e-2).
 * @example
 * const w = nn.initializers.uniform(0.1)(random.key(0), [3, 4]);
 */
export function uniform(scale = 1e-2): Initializer {
  return (key, shape, dtype = "float32") => {
    const d = floatDType("nn.initializers.uniform", dtype);
    return np.multiply(random.uniform(key, shape, { dtype: d }), scale);
  };
}

/**
 * Normal samples with mean 0 and standard deviation `stddev` (JAX's `initializers.normal`, default 1e-2).
 * @example
 * const b = nn.initializers.normal(1e-2)(random.key(0), [10]);
 */
export function normal(stddev = 1e-2): Initializer {
  return (key, shape, dtype = "float32") => {
    const d = floatDType("nn.initializers.normal", dtype);
    return np.multiply(random.normal(key, shape, { dtype: d }), stddev);
  };
}

/**
 * Normal samples truncated to ±2 standard deviations, scaled to `stddev`
 * (JAX's `initializers.truncated_normal`: the samples' own standard deviation is then below `stddev`).
 * @example
 * const w = nn.initializers.truncatedNormal(0.02)(random.key(0), [4, 4]);
 */
export function truncatedNormal(stddev = 1e-2): Initializer {
  return (key, shape, dtype = "float32") => {
    const d = floatDType("nn.initializers.truncatedNormal", dtype);
    return np.multiply(random.truncatedNormal(key, -2, 2, { shape, dtype: d }), stddev);
  };
}

export interface FanOptions {
  /** The input axis of the kernel (default -2). */
  inAxis?: number | readonly number[];
  /** The output axis of the kernel (default -1). */
  outAxis?: number | readonly number[];
  /** Axes that are neither fan-in nor fan-out nor receptive field (default none). */
  batchAxis?: number | readonly number[];
}

/**
 * `[fanIn, fanOut]` of a kernel shape, as JAX's `_compute_fans`: a 0-d shape
 * has fans 1, a 1-D shape [n] has n and n, a 2-D shape [in, out] has in and
 * out, and higher ranks multiply by the receptive field size (the product of
 * the other axes).
 * @example
 * nn.initializers.computeFans([784, 100]); // [784, 100]
 * nn.initializers.computeFans([3, 3, 16, 32]); // [144, 288]
 */
export function computeFans(shape: readonly number[], options: FanOptions = {}): [number, number] {
  const { inAxis = -2, outAxis = -1, batchAxis = [] } = optionsArg("nn.computeFans", options);
  const op = "nn.initializers.computeFans";
  const s = checkShape(op, shape);
  if (s.length < 1) return [1, 1];
  if (s.length === 1) return [s[0], s[0]];
  const axes = (a: number | readonly number[]) =>
    intsArg(op, "axis", a, true).map((i) => {
      if (!Number.isInteger(i) || i < -s.length || i >= s.length) throw new ShapeError(`${op}: axis ${describe(i)} is out of range for shape [${s.join(", ")}]`);
      return i < 0 ? i + s.length : i;
    });
  const prod = (ax: number[]) => ax.reduce((p, i) => p * s[i], 1);
  const inAx = axes(inAxis);
  const outAx = axes(outAxis);
  const batchAx = axes(batchAxis);
  const total = s.reduce((p, d) => p * d, 1);
  const receptive = total / prod(inAx) / prod(outAx) / prod(batchAx);
  return [prod(inAx) * receptive, prod(outAx) * receptive];
}

/** How variance scaling counts units: fan-in, fan-out, or their average. */
export type FanMode = "fanIn" | "fanOut" | "fanAvg" | "fanGeoAvg";
/** The distribution variance scaling draws from. */
export type VarianceDistribution = "truncatedNormal" | "normal" | "uniform";

/**
 * JAX's `variance_scaling`: samples with variance `scale / n`, where n is the
 * fan-in, the fan-out, their average or their geometric average ("fanGeoAvg"); from a normal truncated at ±2
 * standard deviations (rescaled so that the variance is exact), a normal, or
 * a uniform on ±√(3 · variance).
 * @example
 * const init = nn.initializers.varianceScaling(2, "fanIn", "normal");
 * const w = init(random.key(0), [256, 128]); // variance ≈ 2/256
 */
export function varianceScaling(scale: number, mode: FanMode, distribution: VarianceDistribution, fanOptions: FanOptions = {}): Initializer {
  const op = "nn.initializers.varianceScaling";
  if (!(scale > 0)) throw new ShapeError(`${op}: scale must be positive, got ${describe(scale)}`);
  if (mode !== "fanIn" && mode !== "fanOut" && mode !== "fanAvg" && mode !== "fanGeoAvg") {
    throw new ShapeError(`${op}: mode must be "fanIn", "fanOut", "fanAvg" or "fanGeoAvg", got ${describe(mode)}`);
  }
  if (distribution !== "truncatedNormal" && distribution !== "normal" && distribution !== "uniform") {
    throw new ShapeError(`${op}: distribution must be "truncatedNormal", "normal" or "uniform"`);
  }
  return (key, shape, dtype = "float32") => {
    const d = floatDType(op, dtype);
    const s = checkShape(op, shape);
    const [fanIn, fanOut] = computeFans(s, fanOptions);
    const denominator = mode === "fanIn" ? fanIn : mode === "fanOut" ? fanOut : mode === "fanAvg" ? (fanIn + fanOut) / 2 : Math.sqrt(fanIn * fanOut);
    const variance = scale / denominator;
    if (distribution === "truncatedNormal") {
      // the standard deviation of a standard normal truncated to (-2, 2)
      const stddev = Math.sqrt(variance) / 0.87962566103423978;
      return np.multiply(random.truncatedNormal(key, -2, 2, { shape: s, dtype: d }), stddev);
    }
    if (distribution === "normal") return np.multiply(random.normal(key, s, { dtype: d }), Math.sqrt(variance));
    return np.multiply(random.uniform(key, s, { dtype: d, minval: -1, maxval: 1 }), Math.sqrt(3 * variance));
  };
}

/**
 * Glorot (Xavier) uniform: variance 2 / (fanIn + fanOut), uniform.
 * @example
 * const w = nn.initializers.glorotUniform()(random.key(0), [784, 100]);
 */
export const glorotUniform = (fanOptions: FanOptions = {}): Initializer => varianceScaling(1, "fanAvg", "uniform", fanOptions);
/**
 * Glorot (Xavier) normal: variance 2 / (fanIn + fanOut), truncated normal.
 * @example
 * const w = nn.initializers.glorotNormal()(random.key(0), [784, 100]);
 */
export const glorotNormal = (fanOptions: FanOptions = {}): Initializer => varianceScaling(1, "fanAvg", "truncatedNormal", fanOptions);
/**
 * He (Kaiming) uniform: variance 2 / fanIn, uniform.
 * @example
 * const w = nn.initializers.heUniform()(random.key(0), [784, 100]);
 */
export const heUniform = (fanOptions: FanOptions = {}): Initializer => varianceScaling(2, "fanIn", "uniform", fanOptions);
/**
 * He (Kaiming) normal: variance 2 / fanIn, truncated normal.
 * @example
 * const w = nn.initializers.heNormal()(random.key(0), [784, 100]);
 */
export const heNormal = (fanOptions: FanOptions = {}): Initializer => varianceScaling(2, "fanIn", "truncatedNormal", fanOptions);
/**
 * LeCun uniform: variance 1 / fanIn, uniform.
 * @example
 * const w = nn.initializers.lecunUniform()(random.key(0), [784, 100]);
 */
export const lecunUniform = (fanOptions: FanOptions = {}): Initializer => varianceScaling(1, "fanIn", "uniform", fanOptions);
/**
 * LeCun normal: variance 1 / fanIn, truncated normal.
 * @example
 * const w = nn.initializers.lecunNormal()(random.key(0), [784, 100]);
 */
export const lecunNormal = (fanOptions: FanOptions = {}): Initializer => varianceScaling(1, "fanIn", "truncatedNormal", fanOptions);

/**
 * Another name for `glorotUniform`.
 * @example
 * const w = nn.initializers.xavierUniform()(random.key(0), [4, 4]);
 */
export const xavierUniform = glorotUniform;
/**
 * Another name for `glorotNormal`.
 * @example
 * const w = nn.initializers.xavierNormal()(random.key(0), [4, 4]);
 */
export const xavierNormal = glorotNormal;
/**
 * Another name for `heUniform`.
 * @example
 * const w = nn.initializers.kaimingUniform()(random.key(0), [4, 4]);
 */
export const kaimingUniform = heUniform;
/**
 * Another name for `heNormal`.
 * @example
 * const w = nn.initializers.kaimingNormal()(random.key(0), [4, 4]);
 */
export const kaimingNormal = heNormal;

export { orthogonal, deltaOrthogonal } from "./initializers-extra.js";
