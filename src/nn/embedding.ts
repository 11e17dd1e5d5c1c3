/**
 * Embedding lookup as a stax-style layer, with Flax's `nn.Embed` defaults.
 */
import { describe, intArg, optionsArg } from "../static-args.js";
import { ArrayMethods } from "../array-methods.js";
import { isFloat } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import * as np from "../numpy/index.js";
import * as random from "../random/index.js";
import type { Value } from "../trace/core.js";
import type { Initializer } from "./initializers.js";
import type { Layer, LayerShape } from "./layers.js";

/** Params of an Embed layer: the table [numEmbeddings, features]. */
export interface EmbedParams {
  embedding: Value;
}

/** Embed's options. */
export interface EmbedOptions {
  /**
   * Initializer of the table (default: normal with variance 1 / features,
   * Flax's `variance_scaling(1.0, "fan_in", "normal", out_axis=0)`).
   */
  embeddingInit?: Initializer;
  /** dtype of the table (default float32). */
  paramDtype?: "float32" | "float64";
}

/** An Embed layer: a Layer, plus `attend`, the logits of a query against every embedding (for tied output layers). */
export interface EmbedLayer extends Layer<EmbedParams> {
  /** `query @ embeddingᵀ`: [..., features] → [..., numEmbeddings]. */
  attend(params: EmbedParams, query: Value): Value;
}

/** Flax's default embedding initializer on a 2-D table: normal samples with variance 1 / features. */
const defaultEmbeddingInit: Initializer = (key, shape, dtype = "float32") => {
  const s = [...shape];
  if (s.length !== 2) throw new ShapeError(`nn.Embed: the table must be 2-D [numEmbeddings, features], got [${s.join(", ")}]`);
  if (dtype !== "float32" && dtype !== "float64") throw new DTypeError(`nn.Embed: the table must be float32 or float64, got ${describe(dtype)}`);
  return np.multiply(random.normal(key, s, { dtype }), Math.sqrt(1 / Math.max(1, s[1])));
};

/**
 * An embedding table lookup (Flax's `nn.Embed`): integer ids of any shape
 * become `[...ids.shape, features]` rows of a learned table
 * [numEmbeddings, features]. Out-of-range ids give NaN rows (`np.take`'s
 * "fill" mode, as JAX). `attend` gives `query @ embeddingᵀ`.
 * @example
 * const embed = nn.Embed(10, 4);
 * const [outShape, params] = embed.init(random.key(0), [-1, 6]);      // outShape [-1, 6, 4]
 * const y = embed.apply(params, np.array([[1, 2, 3, 0, 0, 9]], { dtype: "int32" })); // shape [1, 6, 4]
 */
export function Embed(numEmbeddings: number, features: number, options: EmbedOptions = {}): EmbedLayer {
  const op = "nn.Embed";
  const n = intArg(op, "numEmbeddings", numEmbeddings);
  const f = intArg(op, "features", features);
  if (n < 1 || f < 1) throw new ShapeError(`${op}: numEmbeddings and features must be positive integers, got ${n} and ${f}`);
  const { embeddingInit = defaultEmbeddingInit, paramDtype = "float32" } = optionsArg(op, options);
  if (typeof embeddingInit !== "function") throw new ShapeError(`${op}: embeddingInit must be an initializer (a function), got ${describe(embeddingInit)}`);
  if (paramDtype !== "float32" && paramDtype !== "float64") throw new DTypeError(`${op}: paramDtype must be "float32" or "float64", got ${describe(paramDtype)}`);
  const checkParams = (params: unknown): Value => {
    const e = typeof params === "object" && params !== null ? (params as EmbedParams).embedding : undefined;
    if (!(e instanceof ArrayMethods) || (e as Value).ndim !== 2 || (e as Value).shape[0] !== n || (e as Value).shape[1] !== f) {
      throw new ShapeError(`${op}: params must be { embedding } with an array of shape [${n}, ${f}] (from init), got ${describe(params)}`);
    }
    return e as Value;
  };
  return {
    init(key, inputShape: LayerShape) {
      if (!Array.isArray(inputShape) || inputShape.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < -1)) {
        throw new ShapeError(`${op}: expected the shape of the id array (integers, -1 for a batch dimension), got ${describe(inputShape)}`);
      }
      return [[...(inputShape as number[]), f], { embedding: embeddingInit(key, [n, f], paramDtype) }];
    },
    apply(params, x) {
      const table = checkParams(params);
      if (!(x instanceof ArrayMethods)) throw new DTypeError(`${op}: the input must be an integer array of ids, got ${describe(x)}`);
      const ids = x as Value;
      if (isFloat(ids.dtype) || ids.dtype === "bool") throw new DTypeError(`${op}: the ids must be an integer array, got ${ids.dtype}; cast them with np.astype(ids, "int32")`);
      return np.take(table, ids, 0);
    },
    attend(params, query) {
      const table = checkParams(params);
      if (!(query instanceof ArrayMethods)) throw new DTypeError(`${op}.attend: the query must be an array, got ${describe(query)}`);
      const q = query as Value;
      if (q.ndim < 1 || q.shape[q.ndim - 1] !== f) throw new ShapeError(`${op}.attend: the query's last axis must have ${f} features, got [${q.shape.join(", ")}]`);
      return np.matmul(q, np.transpose(table));
    },
  };
}
