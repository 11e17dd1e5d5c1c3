/**
 * Attention layers in the stax style: `MultiHeadAttention` (the math of
 * Flax's `nn.MultiHeadDotProductAttention`) and `PositionalEncoding` (adds
 * the sinusoidal table of `sinusoidalPositionalEncoding`).
 */
import type { ArrayLike } from "../array-methods.js";
import { ArrayMethods } from "../array-methods.js";
import { describe, intArg, optionsArg } from "../static-args.js";
import { isFloat } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import * as np from "../numpy/index.js";
import * as random from "../random/index.js";
import type { Value } from "../trace/core.js";
import { dotProductAttention, sinusoidalPositionalEncoding } from "./attention.js";
import type { Initializer } from "./initializers.js";
import { lecunNormal, zeros } from "./initializers.js";
import type { ApplyOptions, Layer, LayerShape } from "./layers.js";

/** Params of one projection of MultiHeadAttention: Flax's DenseGeneral kernel and bias. */
export interface ProjectionParams {
  kernel: Value;
  bias?: Value;
}

/** Params of MultiHeadAttention, named as Flax's: kernels [in, heads, headDim] and [heads, headDim, out]. */
export interface MultiHeadAttentionParams {
  query: ProjectionParams;
  key: ProjectionParams;
  value: ProjectionParams;
  out: ProjectionParams;
}

/** MultiHeadAttention's options. */
export interface MultiHeadAttentionOptions {
  /** Total size of the query/key/value projections, split among the heads (default: the query input's features). */
  qkvFeatures?: number;
  /** Size of the output (default: the query input's features). */
  outFeatures?: number;
  /** Projections with biases (default true). */
  useBias?: boolean;
  /** Initializer of the kernels, applied to the flattened [in, out] kernel as Flax's DenseGeneral (default lecunNormal()). */
  kernelInit?: Initializer;
  /** Initializer of the biases (default zeros). */
  biasInit?: Initializer;
  /** Causal self-attention: position t attends to positions ≤ t (default false). */
  causal?: boolean;
  /** dtype of the params (default float32). */
  paramDtype?: "float32" | "float64";
}

/** What MultiHeadAttention's apply takes besides params and input. */
export interface AttentionApplyOptions extends ApplyOptions {
  /** Boolean mask broadcastable to [batch, heads, queryLength, keyLength]: true where a query may attend. */
  mask?: ArrayLike;
}

function arrayShape(op: string, s: unknown): number[] {
  if (!Array.isArray(s) || s.length === 0 || s.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < -1)) {
    throw new ShapeError(`${op}: expected an input shape such as [-1, length, features], got ${describe(s)}`);
  }
  return [...(s as number[])];
}

/**
 * Multi-head dot-product attention, with the math of Flax's
 * `nn.MultiHeadDotProductAttention`: the inputs are projected to `numHeads`
 * heads of size `qkvFeatures / numHeads` (kernels [in, heads, headDim]),
 * the query is divided by √headDim, each head attends with
 * `nn.dotProductAttention`, and the heads are projected to `outFeatures`
 * (kernel [heads, headDim, out]). The input is one array [batch, length,
 * features] or [length, features] (self-attention), or a list
 * `[inputsQ, inputsKV]` or `[inputsQ, inputsK, inputsV]`. `causal` masks
 * future positions; `apply(params, x, { mask })` takes a boolean mask
 * broadcastable to [batch, heads, qLength, kvLength].
 * @example
 * const mha = nn.MultiHeadAttention(4, { causal: true });
 * const [outShape, params] = mha.init(random.key(0), [-1, 10, 32]); // outShape [-1, 10, 32]
 * const y = mha.apply(params, random.normal(random.key(1), [2, 10, 32])); // shape [2, 10, 32]
 */
export function MultiHeadAttention(numHeads: number, options: MultiHeadAttentionOptions = {}): Layer<MultiHeadAttentionParams, Value | Value[], Value> {
  const op = "nn.MultiHeadAttention";
  const N = intArg(op, "numHeads", numHeads);
  if (N < 1) throw new ShapeError(`${op}: numHeads must be a positive integer, got ${N}`);
  const o = optionsArg(op, options);
  const { qkvFeatures, outFeatures, useBias = true, kernelInit = lecunNormal(), biasInit = zeros, causal = false, paramDtype = "float32" } = o;
  if (qkvFeatures !== undefined && !(intArg(op, "qkvFeatures", qkvFeatures) > 0)) throw new ShapeError(`${op}: qkvFeatures must be positive, got ${qkvFeatures}`);
  if (outFeatures !== undefined && !(intArg(op, "outFeatures", outFeatures) > 0)) throw new ShapeError(`${op}: outFeatures must be positive, got ${outFeatures}`);
  if (typeof useBias !== "boolean" || typeof causal !== "boolean") throw new ShapeError(`${op}: useBias and causal must be true or false, got ${describe(typeof useBias !== "boolean" ? useBias : causal)}`);
  if (typeof kernelInit !== "function" || typeof biasInit !== "function") throw new ShapeError(`${op}: kernelInit and biasInit must be initializers (functions)`);
  if (paramDtype !== "float32" && paramDtype !== "float64") throw new DTypeError(`${op}: paramDtype must be "float32" or "float64", got ${describe(paramDtype)}`);

  const sizes = (fq: number) => {
    const qkv = qkvFeatures ?? fq;
    if (qkv % N !== 0) throw new ShapeError(`${op}: qkvFeatures (${qkv}) must be divisible by numHeads (${N})`);
    return { qkv, D: qkv / N, out: outFeatures ?? fq };
  };
  const inputShapes = (inputShape: LayerShape): number[][] => {
    if (Array.isArray(inputShape) && inputShape.length > 0 && inputShape.every((s) => Array.isArray(s))) {
      if (inputShape.length !== 2 && inputShape.length !== 3) throw new ShapeError(`${op}: expected one input shape, or a list of 2 ([q, kv]) or 3 ([q, k, v]), got ${inputShape.length}`);
      const l = (inputShape as unknown[]).map((s) => arrayShape(op, s));
      return l.length === 2 ? [l[0], l[1], l[1]] : l;
    }
    const s = arrayShape(op, inputShape);
    return [s, s, s];
  };
  const projection = (key: Value, inDims: number, outShape: number[], kernelShape: number[]): ProjectionParams => {
    const [k1, k2] = random.split(key);
    const flatOut = outShape.reduce((p, d) => p * d, 1);
    const kernel = np.reshape(kernelInit(k1, [inDims, flatOut], paramDtype), kernelShape);
    return useBias ? { kernel, bias: biasInit(k2, outShape, paramDtype) } : { kernel };
  };
  const checkProj = (name: string, p: unknown, kernelShape: number[], biasShape: number[]): ProjectionParams => {
    const same = (v: unknown, s: number[]) => v instanceof ArrayMethods && (v as Value).ndim === s.length && (v as Value).shape.every((d, i) => d === s[i]);
    const pp = (typeof p === "object" && p !== null ? p : {}) as ProjectionParams;
    if (!same(pp.kernel, kernelShape) || (useBias && !same(pp.bias, biasShape))) {
      throw new ShapeError(`${op}: params.${name} must be { kernel${useBias ? ", bias" : ""} } with kernel [${kernelShape.join(", ")}]${useBias ? ` and bias [${biasShape.join(", ")}]` : ""} (from init), got ${describe(p)}`);
    }
    return pp;
  };
  const input = (name: string, v: unknown): Value => {
    if (!(v instanceof ArrayMethods)) throw new DTypeError(`${op}: ${name} must be an array, got ${describe(v)}`);
    const a = v as Value;
    if (!isFloat(a.dtype)) throw new DTypeError(`${op}: ${name} must be a floating-point array, got ${a.dtype}`);
    if (a.ndim !== 2 && a.ndim !== 3) throw new ShapeError(`${op}: ${name} must be [batch, length, features] or [length, features], got [${a.shape.join(", ")}]`);
    return a;
  };
  // x [..., F] @ kernel [F, ...outShape] + bias
  const dense = (x: Value, p: ProjectionParams, inDims: number, outShape: number[]): Value => {
    const flat = outShape.reduce((a, d) => a * d, 1);
    let y = np.reshape(np.matmul(np.reshape(x, [...x.shape.slice(0, -1), inDims]), np.reshape(p.kernel, [inDims, flat])), [...x.shape.slice(0, -1), ...outShape]);
    if (p.bias !== undefined) y = np.add(y, p.bias);
    return y;
  };

  return {
    init(key, inputShape) {
      const [qs, ks, vs] = inputShapes(inputShape);
      const [fq, fk, fv] = [qs[qs.length - 1], ks[ks.length - 1], vs[vs.length - 1]];
      if (!(fq > 0 && fk > 0 && fv > 0)) throw new ShapeError(`${op}: the inputs' features (last axes) must be known, got [${qs.join(", ")}], [${ks.join(", ")}] and [${vs.join(", ")}]`);
      const { D, out } = sizes(fq);
      const keys = random.split(key, 4);
      const params: MultiHeadAttentionParams = {
        query: projection(keys[0], fq, [N, D], [fq, N, D]),
        key: projection(keys[1], fk, [N, D], [fk, N, D]),
        value: projection(keys[2], fv, [N, D], [fv, N, D]),
        out: projection(keys[3], N * D, [out], [N, D, out]),
      };
      return [[...qs.slice(0, -1), out], params];
    },
    apply(params, x, options: AttentionApplyOptions = {}) {
      const { mask } = optionsArg(op, options);
      let xs: Value[];
      if (Array.isArray(x)) {
        if (x.length !== 2 && x.length !== 3) throw new ShapeError(`${op}: expected one input, or a list of 2 ([q, kv]) or 3 ([q, k, v]), got a list of ${x.length}`);
        xs = x.map((v, i) => input(`input ${i}`, v));
        if (xs.length === 2) xs = [xs[0], xs[1], xs[1]];
      } else {
        const v = input("the input", x);
        xs = [v, v, v];
      }
      const [q, k, v] = xs;
      if (k.ndim !== q.ndim || v.ndim !== q.ndim) throw new ShapeError(`${op}: the query, key and value inputs need the same number of axes, got [${q.shape.join(", ")}], [${k.shape.join(", ")}] and [${v.shape.join(", ")}]`);
      const [fq, fk, fv] = [q.shape[q.ndim - 1], k.shape[k.ndim - 1], v.shape[v.ndim - 1]];
      const { D, out } = sizes(fq);
      if (typeof params !== "object" || params === null) throw new ShapeError(`${op}: params must be the object init returned, got ${describe(params)}`);
      const pq = checkProj("query", params.query, [fq, N, D], [N, D]);
      const pk = checkProj("key", params.key, [fk, N, D], [N, D]);
      const pv = checkProj("value", params.value, [fv, N, D], [N, D]);
      const po = checkProj("out", params.out, [N, D, out], [out]);
      const query = np.divide(dense(q, pq, fq, [N, D]), Math.sqrt(D));
      const keyP = dense(k, pk, fk, [N, D]);
      const valueP = dense(v, pv, fv, [N, D]);
      const attended = dotProductAttention(query, keyP, valueP, { mask, isCausal: causal, scale: 1 });
      return dense(np.reshape(attended, [...attended.shape.slice(0, -2), N * D]), po, N * D, [out]);
    },
  };
}

/** PositionalEncoding's options. */
export interface PositionalEncodingOptions {
  /** The longest wavelength's scale (default 10000). */
  maxTimescale?: number;
}

/**
 * Adds the sinusoidal positional encoding (`nn.sinusoidalPositionalEncoding`)
 * to an input [..., length, features]; no params.
 * @example
 * const pe = nn.PositionalEncoding();
 * const y = pe.apply([], np.zeros([2, 5, 8]));  // each row: the table for length 5, features 8
 */
export function PositionalEncoding(options: PositionalEncodingOptions = {}): Layer<[]> {
  const op = "nn.PositionalEncoding";
  const { maxTimescale = 10000 } = optionsArg(op, options);
  if (typeof maxTimescale !== "number" || !(maxTimescale > 0) || !Number.isFinite(maxTimescale)) throw new ShapeError(`${op}: maxTimescale must be a positive number, got ${describe(maxTimescale)}`);
  return {
    init(_key, inputShape) {
      const s = arrayShape(op, inputShape);
      if (s.length < 2) throw new ShapeError(`${op}: the input must be [..., length, features], got [${s.join(", ")}]`);
      return [s, []];
    },
    apply(_params, x) {
      if (!(x instanceof ArrayMethods)) throw new DTypeError(`${op}: the input must be an array, got ${describe(x)}`);
      const v = x as Value;
      if (!isFloat(v.dtype)) throw new DTypeError(`${op}: the input must be a floating-point array, got ${v.dtype}`);
      if (v.ndim < 2) throw new ShapeError(`${op}: the input must be [..., length, features], got [${v.shape.join(", ")}]`);
      const [L, F] = v.shape.slice(-2);
      return np.add(v, sinusoidalPositionalEncoding(L, F, { maxTimescale, dtype: v.dtype === "float64" ? "float64" : "float32" }));
    },
  };
}
