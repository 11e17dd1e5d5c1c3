/**
 * Scaled dot-product attention (JAX's `jax.nn.dot_product_attention`) and the
 * sinusoidal positional encoding, written on np and lax so that they compose
 * with grad, vmap and jit on every device.
 *
 * Shapes follow JAX: B batch, T query length, S key/value length, N query
 * heads, K key/value heads (N a multiple of K: multi-head when K = N,
 * grouped-query when 1 < K < N, multi-query when K = 1), H head size.
 */
import type { ArrayLike } from "../array-methods.js";
import { describe, intArg, optionsArg } from "../static-args.js";
import type { DType } from "../dtype.js";
import { checkDType, isFloat } from "../dtype.js";
import { DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import { stopGradient } from "../lax/stop-gradient.js";
import { fusedAttention } from "../lax/attention.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { logsumexp, softmax, toValue } from "./activations.js";

/** Options of `dotProductAttention` (JAX's keyword arguments, camelCased). */
export interface DotProductAttentionOptions {
  /** Added to the logits; 4-D (or fewer axes, padded in front), broadcastable to [B, N, T, S]. */
  bias?: ArrayLike;
  /** Boolean, true where a query may attend to a key; 4-D (or fewer axes), broadcastable to [B, N, T, S]. */
  mask?: ArrayLike;
  /** Multiplies the logits (default 1/sqrt(H)). */
  scale?: number;
  /** Causal attention: query t attends to keys s ≤ t (default false). */
  isCausal?: boolean;
  /** int32 [B]: query positions at or past the length are masked and their outputs zeroed. */
  querySeqLengths?: ArrayLike;
  /** int32 [B]: key/value positions at or past the length are masked. */
  keyValueSeqLengths?: ArrayLike;
  /** A local window: query t attends to keys s with t - left ≤ s ≤ t + right; one number is a symmetric window. */
  localWindowSize?: number | readonly [number, number];
  /** "xla" or undefined (the same math); "cudnn" is not available in jaxon. */
  implementation?: "xla" | "cudnn";
  /** Also return the logsumexp of the masked logits, shape [B, T, N] (or [T, N]), without gradient (default false). */
  returnResidual?: boolean;
}

const op = "nn.dotProductAttention";
const iota = (n: number) => np.arange(n, { dtype: "int32" });

/** Pads an array's shape with leading ones to 4 axes, as JAX's _ensure_4d; more than 4 axes is a ShapeError. */
function ensure4d(name: string, v: Value): Value {
  if (v.ndim > 4) throw new ShapeError(`${op}: ${name} must have at most 4 axes ([B, ...]), got shape [${v.shape.join(", ")}]`);
  return v.ndim === 4 ? v : np.reshape(v, [...Array<number>(4 - v.ndim).fill(1), ...v.shape]);
}

function floatInput(name: string, x: ArrayLike): Value {
  const v = toValue(op, x);
  if (!isFloat(v.dtype)) throw new DTypeError(`${op}: ${name} must be a floating-point array, got ${v.dtype}; cast it with np.astype(${name}, "float32")`);
  return v;
}

function seqLengths(name: string, x: ArrayLike | undefined, B: number): Value | undefined {
  if (x === undefined) return undefined;
  const v = toValue(op, x);
  if (v.dtype !== "int32") throw new DTypeError(`${op}: ${name} must be an int32 array of shape [${B}], got ${v.dtype}`);
  if (v.ndim !== 1 || v.shape[0] !== B) throw new ShapeError(`${op}: ${name} must have shape [${B}] (one length per batch element), got [${v.shape.join(", ")}]`);
  return v;
}

/** Checks a bias/mask's 4-D shape against [B, N, T, S] (each axis 1 or the full size; the head axis 1 or N). */
function checkBroadcast(name: string, v: Value, full: readonly number[]): void {
  const ok = v.shape.every((d, i) => d === 1 || d === full[i]);
  if (!ok) throw new ShapeError(`${op}: ${name} of shape [${v.shape.join(", ")}] does not broadcast to [B, N, T, S] = [${full.join(", ")}]; each axis must be 1 or the full size`);
}

/**
 * Scaled dot-product attention, as JAX's `jax.nn.dot_product_attention`:
 * `softmax(scale · Q·Kᵀ + bias, masked) · V` per head. `query` is [B, T, N, H]
 * (or [T, N, H]); `key` and `value` are [B, S, K, H] with N a multiple of K
 * (grouped- and multi-query attention share each key/value head among N/K
 * query heads). The logits are computed in float32 at least and the softmax
 * in float32, as JAX does; masked logits become a large negative number, so
 * a fully masked row attends uniformly. Returns an array of query's shape (or
 * `[out, logsumexp]` with `returnResidual`).
 *
 * With `implementation` left undefined, float32 and float16 inputs with a head
 * size of 1 to 256 run as one fused primitive (src/lax/attention.ts: a
 * flash-attention kernel on WebGPU, the [T, S] block per head kept in a
 * scratch buffer on the CPU), and its gradient as one fused backward
 * primitive (FlashAttention-2's: the probabilities recomputed tile by tile
 * from the saved logsumexp); `"xla"`, float64 and other head sizes take the
 * composition matmul + softmax + matmul. Both give JAX's values.
 * @example
 * const q = random.normal(random.key(0), [2, 5, 4, 8]);   // B=2, T=5, N=4, H=8
 * const kv = random.normal(random.key(1), [2, 5, 2, 8]);  // K=2 key/value heads: grouped-query
 * const out = nn.dotProductAttention(q, kv, kv, { isCausal: true }); // shape [2, 5, 4, 8]
 */
export function dotProductAttention(query: ArrayLike, key: ArrayLike, value: ArrayLike, options?: DotProductAttentionOptions & { returnResidual?: false }): Value;
export function dotProductAttention(query: ArrayLike, key: ArrayLike, value: ArrayLike, options: DotProductAttentionOptions & { returnResidual: true }): [Value, Value];
export function dotProductAttention(query: ArrayLike, key: ArrayLike, value: ArrayLike, options?: DotProductAttentionOptions): Value | [Value, Value];
export function dotProductAttention(query: ArrayLike, key: ArrayLike, value: ArrayLike, options: DotProductAttentionOptions = {}): Value | [Value, Value] {
  const o = optionsArg(op, options);
  const { bias, mask, scale, isCausal = false, querySeqLengths, keyValueSeqLengths, localWindowSize, implementation, returnResidual = false } = o;
  if (implementation !== undefined && implementation !== "xla") {
    if (implementation === "cudnn") throw new UnsupportedError(`${op}: implementation "cudnn" needs an NVIDIA GPU with cuDNN; jaxon has the "xla" math only (leave implementation undefined)`);
    throw new ShapeError(`${op}: implementation must be "xla", "cudnn" or undefined, got ${describe(implementation)}`);
  }
  if (typeof isCausal !== "boolean") throw new ShapeError(`${op}: isCausal must be true or false, got ${describe(isCausal)}`);
  if (typeof returnResidual !== "boolean") throw new ShapeError(`${op}: returnResidual must be true or false, got ${describe(returnResidual)}`);
  if (scale !== undefined && (typeof scale !== "number" || !Number.isFinite(scale))) throw new ShapeError(`${op}: scale must be a finite number, got ${describe(scale)}`);
  let window: [number, number] | undefined;
  if (localWindowSize !== undefined) {
    const w = typeof localWindowSize === "number" ? [localWindowSize, localWindowSize] : localWindowSize;
    if (!Array.isArray(w) || w.length !== 2) throw new ShapeError(`${op}: localWindowSize must be a non-negative integer or a pair [left, right], got ${describe(localWindowSize)}`);
    window = [intArg(op, "localWindowSize[0]", w[0]), intArg(op, "localWindowSize[1]", w[1])];
    if (window[0] < 0 || window[1] < 0) throw new ShapeError(`${op}: localWindowSize must be non-negative, got [${window.join(", ")}]`);
  }

  const q0 = floatInput("query", query);
  const outShape = q0.shape;
  if (q0.ndim !== 3 && q0.ndim !== 4) throw new ShapeError(`${op}: query must be [B, T, N, H] or [T, N, H], got shape [${q0.shape.join(", ")}]`);
  const q = ensure4d("query", q0);
  const k = ensure4d("key", floatInput("key", key));
  const v = ensure4d("value", floatInput("value", value));
  const [B, S, K, H] = k.shape;
  const [, T, N] = q.shape;
  if (v.shape.some((d, i) => d !== k.shape[i])) throw new ShapeError(`${op}: value must have key's shape [${k.shape.join(", ")}], got [${v.shape.join(", ")}]`);
  if (q.shape[0] !== B || q.shape[3] !== H) throw new ShapeError(`${op}: query [${q.shape.join(", ")}] must match key [${k.shape.join(", ")}] in the batch (first) and head size (last) axes`);
  if (v.dtype !== k.dtype || q.dtype !== k.dtype) throw new DTypeError(`${op}: query, key and value need one dtype, got ${q.dtype}, ${k.dtype} and ${v.dtype}; cast them with np.astype`);
  if (K === 0 || N % K !== 0) throw new ShapeError(`${op}: the number of query heads must be a multiple of key/value heads, got ${N} vs ${K}`);
  const G = N / K;
  const full = [B, N, T, S];
  const b = bias === undefined ? undefined : ensure4d("bias", toValue(op, bias));
  if (b !== undefined) checkBroadcast("bias", b, full);
  const m = mask === undefined ? undefined : ensure4d("mask", toValue(op, mask));
  if (m !== undefined) {
    if (m.dtype !== "bool") throw new DTypeError(`${op}: mask must be a bool array (true = attend), got ${m.dtype}; pass an additive mask as bias`);
    checkBroadcast("mask", m, full);
  }
  const qLen = seqLengths("querySeqLengths", querySeqLengths, B);
  const kvLen = seqLengths("keyValueSeqLengths", keyValueSeqLengths, B);


  let combined: Value | undefined = m;
  const and = (x: Value) => (combined = combined === undefined ? x : np.logicalAnd(combined, x));
  // the fused primitive (src/lax/attention.ts) takes causal masking as a flag, so it can skip masked key tiles
  const fused = implementation === undefined && fusedAttentionFits(q.dtype, H, S);
  if ((isCausal && !fused) || window !== undefined) {
    const tPos = np.reshape(iota(T), [T, 1]);
    const sPos = np.reshape(iota(S), [1, S]);
    if (isCausal && !fused) and(np.reshape(np.greaterEqual(tPos, sPos), [1, 1, T, S]));
    if (window !== undefined) {
      const left = np.lessEqual(tPos, np.add(sPos, window[0]));
      const right = np.greaterEqual(tPos, np.subtract(sPos, window[1]));
      and(np.reshape(np.logicalAnd(left, right), [1, 1, T, S]));
    }
  }
  if (qLen !== undefined || kvLen !== undefined) {
    let pad: Value | undefined;
    if (qLen !== undefined) pad = np.less(np.reshape(iota(T), [1, T, 1]), np.reshape(qLen, [B, 1, 1]));
    if (kvLen !== undefined) {
      const kvMask = np.less(np.reshape(iota(S), [1, 1, S]), np.reshape(kvLen, [B, 1, 1]));
      pad = pad === undefined ? kvMask : np.logicalAnd(pad, kvMask);
    }
    and(np.expandDims(pad as Value, 1));
  }
  if (fused) {
    // float16 runs in float32, as the composition's logits and softmax do
    const f32 = (x: Value) => np.astype(x, "float32");
    const full4 = (x: Value) => f32(np.broadcastTo(x, full));
    const [o, lse] = fusedAttention(f32(q), f32(k), f32(v), {
      bias: b === undefined ? undefined : full4(b),
      mask: combined === undefined ? undefined : full4(combined),
      causal: isCausal,
      scale: scale ?? 1 / Math.sqrt(H),
    });
    let encoded = np.astype(o, k.dtype);
    if (qLen !== undefined) {
      const keep = np.less(np.reshape(iota(T), [1, T]), np.reshape(qLen, [B, 1]));
      encoded = np.multiply(encoded, np.astype(np.reshape(keep, [B, T, 1, 1]), encoded.dtype));
    }
    const out = np.reshape(encoded, outShape);
    if (!returnResidual) return out;
    const res = np.transpose(np.astype(lse, k.dtype), [0, 2, 1]); // [B, N, T] → [B, T, N]
    return [out, stopGradient(np.reshape(res, outShape.slice(0, -1)))];
  }
  // logits in promote(dtype, float32): [B, K, G, T, S] = q [B, K, G, T, H] @ k [B, K, 1, H, S]
  const logitsDType: DType = q.dtype === "float64" ? "float64" : "float32";
  const qg = np.transpose(np.reshape(np.astype(q, logitsDType), [B, T, K, G, H]), [0, 2, 3, 1, 4]);
  const kt = np.reshape(np.transpose(np.astype(k, logitsDType), [0, 2, 3, 1]), [B, K, 1, H, S]);
  let logits = np.reshape(np.matmul(qg, kt), [B, N, T, S]);
  logits = np.multiply(logits, np.array(scale ?? 1 / Math.sqrt(H), { dtype: logitsDType }));
  if (b !== undefined) logits = np.astype(np.add(logits, b), logitsDType);
  if (combined !== undefined) {
    // JAX's large negative: -0.7 × the dtype's largest finite value, capped at float32's
    const largeNegative = -0.7 * 3.4028234663852886e38;
    logits = np.where(np.broadcastTo(combined, full), logits, np.array(largeNegative, { dtype: logitsDType }));
  }
  const padded = np.astype(logits, "float32");
  const probs = np.astype(softmax(padded, -1), k.dtype);
  // encoded [B, K, G, T, H] = probs [B, K, G, T, S] @ v [B, K, 1, S, H]
  const vt = np.reshape(np.transpose(v, [0, 2, 1, 3]), [B, K, 1, S, H]);
  let encoded = np.matmul(np.reshape(probs, [B, K, G, T, S]), vt);
  encoded = np.reshape(np.transpose(encoded, [0, 3, 1, 2, 4]), [B, T, N, H]);
  if (qLen !== undefined) {
    const keep = np.less(np.reshape(iota(T), [1, T]), np.reshape(qLen, [B, 1]));
    encoded = np.multiply(encoded, np.astype(np.reshape(keep, [B, T, 1, 1]), encoded.dtype));
  }
  const out = np.reshape(encoded, outShape);
  if (!returnResidual) return out;
  const lse = np.transpose(np.astype(logsumexp(padded, -1), k.dtype), [0, 2, 1]); // [B, N, T] → [B, T, N]
  return [out, stopGradient(np.reshape(lse, outShape.slice(0, -1)))];
}

/**
 * Whether the fused attention primitive takes these arguments (JAX's
 * `implementation=None` choice): float32 or float16 (float64 keeps the
 * composition, whose softmax JAX runs in float32), a head size of 1 to 256
 * (the WebGPU kernel's registers) and at least one key.
 */
function fusedAttentionFits(dtype: DType, H: number, S: number): boolean {
  return (dtype === "float32" || dtype === "float16") && H >= 1 && H <= 256 && S >= 1;
}

/** Options of `sinusoidalPositionalEncoding`. */
export interface SinusoidalOptions {
  /** The longest wavelength's scale (default 10000, as "Attention Is All You Need"). */
  maxTimescale?: number;
  /** dtype of the table (default float32). */
  dtype?: DType;
}

/**
 * The sinusoidal positional encoding of "Attention Is All You Need": a table
 * [length, features] with `pe[p, 2i] = sin(p / maxTimescale^(2i/features))`
 * and `pe[p, 2i+1] = cos(p / maxTimescale^(2i/features))`. Add it to token
 * embeddings of shape [..., length, features].
 * @example
 * const pe = nn.sinusoidalPositionalEncoding(4, 6); // shape [4, 6]; row 0 is [0, 1, 0, 1, 0, 1]
 */
export function sinusoidalPositionalEncoding(length: number, features: number, options: SinusoidalOptions = {}): Value {
  const name = "nn.sinusoidalPositionalEncoding";
  const { maxTimescale = 10000, dtype = "float32" } = optionsArg(name, options);
  const L = intArg(name, "length", length);
  const F = intArg(name, "features", features);
  if (L < 0 || F < 0) throw new ShapeError(`${name}: length and features must be non-negative, got ${L} and ${F}`);
  if (typeof maxTimescale !== "number" || !(maxTimescale > 0) || !Number.isFinite(maxTimescale)) throw new ShapeError(`${name}: maxTimescale must be a positive number, got ${describe(maxTimescale)}`);
  const d = checkDType(dtype, name);
  if (!isFloat(d)) throw new DTypeError(`${name}: dtype must be a float dtype, got ${d}`);
  const inv = Array.from({ length: F }, (_, j) => Math.pow(maxTimescale, -(2 * Math.floor(j / 2)) / F));
  const work = d === "float64" ? "float64" : "float32";
  const angles = np.multiply(np.reshape(np.arange(L, { dtype: work }), [L, 1]), np.array(inv, { dtype: work }));
  const even = np.array(Array.from({ length: F }, (_, j) => j % 2 === 0), { dtype: "bool" });
  return np.astype(np.where(even, np.sin(angles), np.cos(angles)), d);
}
