/**
 * dot_product_attention: scaled dot-product attention as one primitive, so a
 * device can run it as a fused kernel (online softmax over key tiles, the
 * [T, S] matrix per head never written to memory) instead of matmul +
 * softmax + matmul.
 *
 * The primitive takes q [B, T, N, H] already multiplied by the scale, k and v
 * [B, S, K, H] (N a multiple of K: grouped- and multi-query heads share each
 * key/value head among G = N / K query heads, query head n using key/value
 * head floor(n / G)), and optionally a bias and a mask, each [B, N, T, S] in
 * q's dtype (the mask 1 where a query may attend, 0 where not). Its outputs
 * are the attention `out` [B, T, N, H] and the log-sum-exp of each row of
 * the masked logits, `lse` [B, N, T]:
 *
 *   s = q·kᵀ + bias; s = mask && (!causal || key ≤ query) ? s : -0.7·f32max;
 *   lse = log Σ_s exp(s);  out = exp(s - lse)·v
 *
 * A masked logit is JAX's large negative number rather than -inf, so a fully
 * masked row attends uniformly (as jax.nn.dot_product_attention does).
 *
 * Rules: the jvp computes the outputs through the composition (the
 * probabilities, which the tangent needs, are then at hand, and the fused
 * routine would only repeat the work) and writes the tangent with dot_general
 * and elementwise ops, linear in the tangents, so grad (linearize +
 * transpose) gives the backward pass as matmuls on every device and every
 * derivative order works. The fused kernels therefore serve the forward pass
 * outside differentiation (inference, sampling, evaluation); a fused backward
 * kernel is not written yet. Batching folds
 * the vmapped axis into B. StableHLO lowers the composition.
 */
import { fmtShape } from "../shape.js";
import { DTypeError, ShapeError } from "../errors.js";
import type { Primitive, Value } from "../trace/core.js";
import { bind } from "../trace/core.js";
import type { MaybeZero } from "../trace/core.js";
import { add, asValue, convert, exp, gt, and, log, mul, select, sub, ge, div } from "./elementwise.js";
import { reduceMax, reduceSum } from "./reduce.js";
import { broadcastInDim, iota, moveAxis, reshape, transpose } from "./shape.js";
import { dotGeneral } from "./dot.js";
import { definePrimitive, isZero, lowersToStablehlo, ShapedArray, Zero } from "./primitive.js";

/** The primitive's parameters: causal masking, and which optional inputs follow q, k, v. */
export type AttentionParams = { causal: boolean; hasBias: boolean; hasMask: boolean };

/** JAX's large negative logit for masked positions: -0.7 × float32's largest finite value. */
export const MASKED_LOGIT = -0.7 * 3.4028234663852886e38;

const op = "lax.dot_product_attention";

/** The sizes of a valid application: batch, query length, query heads, key length, key/value heads, head size. */
export interface AttentionDims { B: number; T: number; N: number; S: number; K: number; H: number }

function checkAttention(avals: readonly ShapedArray[], { hasBias, hasMask }: AttentionParams): AttentionDims {
  const want = 3 + (hasBias ? 1 : 0) + (hasMask ? 1 : 0);
  if (avals.length !== want) throw new ShapeError(`${op}: expected ${want} operands (q, k, v${hasBias ? ", bias" : ""}${hasMask ? ", mask" : ""}), got ${avals.length}`);
  const [q, k, v] = avals;
  for (const [name, a] of [["q", q], ["k", k], ["v", v]] as const) {
    if (a.ndim !== 4) throw new ShapeError(`${op}: ${name} must have 4 axes ([B, T, N, H] for q, [B, S, K, H] for k and v), got ${fmtShape(a.shape)}`);
  }
  if (q.dtype !== "float32" && q.dtype !== "float64") throw new DTypeError(`${op}: q, k and v must be float32 or float64, got ${q.dtype} (cast float16 to float32 first)`);
  if (k.dtype !== q.dtype || v.dtype !== q.dtype) throw new DTypeError(`${op}: q, k and v need one dtype, got ${q.dtype}, ${k.dtype} and ${v.dtype}`);
  const [B, T, N, H] = q.shape;
  const [, S, K] = k.shape;
  if (k.shape[0] !== B || k.shape[3] !== H) throw new ShapeError(`${op}: k ${fmtShape(k.shape)} must match q ${fmtShape(q.shape)} in the batch (first) and head size (last) axes`);
  if (v.shape.some((d, i) => d !== k.shape[i])) throw new ShapeError(`${op}: v must have k's shape ${fmtShape(k.shape)}, got ${fmtShape(v.shape)}`);
  if (K === 0 ? N !== 0 : N % K !== 0) throw new ShapeError(`${op}: the number of query heads must be a multiple of key/value heads, got ${N} vs ${K}`);
  const full = [B, N, T, S];
  avals.slice(3).forEach((a, i) => {
    const name = hasBias && i === 0 ? "bias" : "mask";
    if (a.dtype !== q.dtype) throw new DTypeError(`${op}: ${name} must have q's dtype ${q.dtype}, got ${a.dtype}`);
    if (a.ndim !== 4 || a.shape.some((d, j) => d !== full[j])) throw new ShapeError(`${op}: ${name} must have shape [B, N, T, S] = ${fmtShape(full)}, got ${fmtShape(a.shape)}`);
  });
  return { B, T, N, S, K, H };
}

// ---- the composition (jvp, StableHLO) ----------------------------------------------------

/** q [B, T, N, H] → [B, K, G, T, H]. */
const queryHeads = (q: Value, K: number): Value => {
  const [B, T, N, H] = q.shape;
  return transpose(reshape(q, [B, T, K, N / K, H]), [0, 2, 3, 1, 4]);
};
/** k or v [B, S, K, H] → [B, K, S, H]. */
const kvHeads = (k: Value): Value => transpose(k, [0, 2, 1, 3]);

/** q·kᵀ per head: [B, N, T, S]. */
function logits(q: Value, k: Value): Value {
  const [B, T, N] = q.shape;
  const [, S, K] = k.shape;
  const s = dotGeneral(queryHeads(q, K), kvHeads(k), { contracting: [[4], [3]], batch: [[0, 1], [0, 1]] });
  return reshape(s, [B, N, T, S]);
}

/** p [B, N, T, S] times v [B, S, K, H] per head: [B, T, N, H]. */
function weighted(p: Value, v: Value): Value {
  const [B, N, T, S] = p.shape;
  const [, , K, H] = v.shape;
  const o = dotGeneral(reshape(p, [B, K, N / K, T, S]), kvHeads(v), { contracting: [[4], [2]], batch: [[0, 1], [0, 1]] });
  return reshape(transpose(o, [0, 3, 1, 2, 4]), [B, T, N, H]);
}

/** Where a query attends ([B, N, T, S]-broadcastable bool), or undefined when it attends everywhere. */
function keepMask(dims: AttentionDims, causal: boolean, mask: Value | undefined): Value | undefined {
  let keep: Value | undefined = mask === undefined ? undefined : gt(mask, asValue(0, mask.dtype));
  if (causal) {
    const { B, N, T, S } = dims;
    const rows = iota("int32", [B, N, T, S], 2);
    const cols = iota("int32", [B, N, T, S], 3);
    const tri = ge(rows, cols);
    keep = keep === undefined ? tri : and(keep, tri);
  }
  return keep;
}

/** The masked logits [B, N, T, S]. */
function maskedLogits(q: Value, k: Value, bias: Value | undefined, keep: Value | undefined): Value {
  let s = logits(q, k);
  if (bias !== undefined) s = add(s, bias);
  return keep === undefined ? s : select(keep, s, asValue(MASKED_LOGIT, s.dtype));
}

/** Splits the operands into q, k, v, bias, mask. */
function unpack(args: Value[], { hasBias, hasMask }: AttentionParams): [Value, Value, Value, Value | undefined, Value | undefined] {
  return [args[0], args[1], args[2], hasBias ? args[3] : undefined, hasMask ? args[hasBias ? 4 : 3] : undefined];
}

/** out and lse as matmul + softmax + matmul (what the fused kernels compute). */
export function attentionComposition(args: Value[], params: AttentionParams): [Value, Value] {
  const [q, k, v, bias, mask] = unpack(args, params);
  const dims = checkAttention(args.map((a) => a.aval), params);
  const s = maskedLogits(q, k, bias, keepMask(dims, params.causal, mask));
  const full = [dims.B, dims.N, dims.T, dims.S];
  const m = reduceMax(s, [3]);
  const e = exp(sub(s, broadcastInDim(m, full, [0, 1, 2])));
  const l = reduceSum(e, [3]);
  const p = div(e, broadcastInDim(l, full, [0, 1, 2]));
  return [weighted(p, v), add(m, log(l))];
}

const plus = (a: Value | undefined, b: Value): Value => (a === undefined ? b : add(a, b));

export const dotProductAttentionP: Primitive<AttentionParams> = definePrimitive<AttentionParams>("dot_product_attention", {
  params: { causal: "bool", hasBias: "bool", hasMask: "bool" },
  abstractEval(avals, params) {
    const { B, T, N } = checkAttention(avals, params);
    return [new ShapedArray(avals[0].shape, avals[0].dtype), new ShapedArray([B, N, T], avals[0].dtype)];
  },
  lower(avals, params) {
    const { B, T, N, S, K, H } = checkAttention(avals, params);
    return { kind: "routine", routine: "attention", params: { B, T, N, S, K, H, ...params } };
  },
  jvp(primals, tangents, params) {
    const [q, k, v, bias, mask] = unpack(primals, params);
    const [tq, tk, tv, tb] = unpack(tangents as Value[], params) as MaybeZero[];
    const dims = checkAttention(primals.map((a) => a.aval), params);
    const full = [dims.B, dims.N, dims.T, dims.S];
    const keep = keepMask(dims, params.causal, mask);
    // the outputs through the composition: the backward pass needs the probabilities p, and
    // with them at hand the fused routine would only compute out again. (Not p = exp(s - lse)
    // either: the lse of a fully masked row, -0.7·f32max + log S, has lost its log S to rounding.)
    const s = maskedLogits(q, k, bias, keep);
    const m = reduceMax(s, [3]);
    const e = exp(sub(s, broadcastInDim(m, full, [0, 1, 2])));
    const l = reduceSum(e, [3]);
    const p = div(e, broadcastInDim(l, full, [0, 1, 2]));
    const out = weighted(p, v);
    const lse = add(m, log(l));
    // the logits' tangent (zero where masked)
    let ds: Value | undefined;
    if (!isZero(tq)) ds = plus(ds, logits(tq, k));
    if (!isZero(tk)) ds = plus(ds, logits(q, tk));
    if (tb !== undefined && !isZero(tb)) ds = plus(ds, tb);
    if (ds !== undefined && keep !== undefined) ds = select(keep, ds, asValue(0, ds.dtype));
    let tOut: Value | undefined;
    let tLse: MaybeZero = new Zero(lse.aval.strong());
    if (ds !== undefined) {
      const dl = reduceSum(mul(p, ds), [3]);
      tLse = dl;
      tOut = weighted(mul(p, sub(ds, broadcastInDim(dl, full, [0, 1, 2]))), v);
    }
    if (!isZero(tv)) tOut = plus(tOut, weighted(p, tv));
    return [[out, lse], [tOut ?? new Zero(out.aval.strong()), tLse]];
  },
  batch(args, dims, params) {
    const i0 = dims.findIndex((d) => d !== null);
    const Z = args[i0].shape[dims[i0]!];
    const folded = args.map((a, i) => {
      const d = dims[i];
      const moved = d === null ? broadcastInDim(a, [Z, ...a.shape], a.shape.map((_, j) => j + 1)) : moveAxis(a, d, 0);
      return reshape(moved, [Z * moved.shape[1], ...moved.shape.slice(2)]);
    });
    const [out, lse] = bind(dotProductAttentionP, folded, params);
    const B = out.shape[0] / Z;
    return [[reshape(out, [Z, B, ...out.shape.slice(1)]), reshape(lse, [Z, B, ...lse.shape.slice(1)])], [0, 0]];
  },
});

lowersToStablehlo(dotProductAttentionP, (ctx, args, params, avals) => ctx.traced((...xs) => attentionComposition(xs, params), avals, args));

/** Options of `fusedAttention`. */
export interface FusedAttentionOptions {
  /** [B, N, T, S], q's dtype: added to the logits. */
  bias?: Value;
  /** [B, N, T, S], q's dtype: 1 where a query attends, 0 where not. */
  mask?: Value;
  /** Query t attends to keys s ≤ t. */
  causal?: boolean;
  /** Multiplies the logits (applied to q before the primitive). */
  scale: number;
}

/**
 * The fused primitive on validated operands (float32 or float64 q [B, T, N, H],
 * k and v [B, S, K, H]): returns `[out, lse]`. Internal: `nn.dotProductAttention`
 * is the public way in, and picks this where its arguments allow.
 */
export function fusedAttention(q: Value, k: Value, v: Value, { bias, mask, causal = false, scale }: FusedAttentionOptions): [Value, Value] {
  const qs = scale === 1 ? q : mul(q, asValue(scale, q.dtype));
  const args = [qs, k, v];
  if (bias !== undefined) args.push(convert(bias, q.dtype));
  if (mask !== undefined) args.push(convert(mask, q.dtype));
  const [out, lse] = bind(dotProductAttentionP, args, { causal, hasBias: bias !== undefined, hasMask: mask !== undefined });
  return [out, lse];
}
