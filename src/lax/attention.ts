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
 * Rules, as JAX structures a fused op's derivatives: past a size
 * (`attentionPaths`; below it the composition's derivative is faster) the jvp
 * runs the fused forward for the outputs and binds `dot_product_attention_jvp`, a primitive
 * linear in the tangents (q, k, v and out, lse its residuals); its transpose
 * binds `dot_product_attention_bwd`, the fused backward pass (FlashAttention-2:
 * the devices' `attention_bwd` routines recompute the probabilities tile by
 * tile from lse, so grad never makes the [T, S] matrix). Forward-mode
 * evaluation of the tangent primitive, and the jvp of both new primitives
 * (higher derivatives), go through the composition written with lax ops, so
 * every derivative order works. Batching folds the vmapped axis into B for
 * all three. StableHLO lowers the compositions.
 */
import { fmtShape } from "../shape.js";
import { DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import type { Primitive, Value } from "../trace/core.js";
import { bind } from "../trace/core.js";
import type { MaybeZero } from "../trace/core.js";
import { jvpFlat } from "../transforms/jvp.js";
import { add, asValue, convert, instantiate, exp, gt, and, log, mul, select, sub, ge, div } from "./elementwise.js";
import { reduceMax, reduceSum } from "./reduce.js";
import { broadcastInDim, iota, moveAxis, reshape, transpose } from "./shape.js";
import { dotGeneral } from "./dot.js";
import { definePrimitive, isUndefined, isZero, lowersToStablehlo, ShapedArray, Zero } from "./primitive.js";

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

/** The probabilities p [B, N, T, S] through the composition (with the keep mask and full shape). */
function probabilities(q: Value, k: Value, bias: Value | undefined, mask: Value | undefined, params: AttentionParams) {
  const dims = checkAttention([q, k, k, ...(bias ? [bias] : []), ...(mask ? [mask] : [])].map((a) => a.aval), params);
  const full = [dims.B, dims.N, dims.T, dims.S];
  const keep = keepMask(dims, params.causal, mask);
  // (not p = exp(s - lse): the lse of a fully masked row, -0.7·f32max + log S, has lost its log S to rounding)
  const s = maskedLogits(q, k, bias, keep);
  const m = reduceMax(s, [3]);
  const e = exp(sub(s, broadcastInDim(m, full, [0, 1, 2])));
  const l = reduceSum(e, [3]);
  const p = div(e, broadcastInDim(l, full, [0, 1, 2]));
  return { p, keep, full, dims };
}

/**
 * The outputs' tangents [tOut, tLse] through the composition, linear in the
 * tangents tq, tk, tv, tb (symbolic zeros skipped): the logits' tangent ds
 * (zero where masked), tLse = Σ p·ds, tOut = (p ∘ (ds − tLse))·v + p·tv.
 */
export function attentionTangentComposition(primals: Value[], tangents: MaybeZero[], params: AttentionParams): [MaybeZero, MaybeZero] {
  const [q, k, v, bias, mask] = unpack(primals, params);
  const [tq, tk, tv, tb] = unpack(tangents as Value[], params) as MaybeZero[];
  const { p, keep, full, dims } = probabilities(q, k, bias, mask, params);
  let ds: Value | undefined;
  if (!isZero(tq)) ds = plus(ds, logits(tq, k));
  if (!isZero(tk)) ds = plus(ds, logits(q, tk));
  if (tb !== undefined && !isZero(tb)) ds = plus(ds, tb);
  if (ds !== undefined && keep !== undefined) ds = select(keep, ds, asValue(0, ds.dtype));
  let tOut: Value | undefined;
  let tLse: MaybeZero = new Zero(new ShapedArray([dims.B, dims.N, dims.T], q.dtype));
  if (ds !== undefined) {
    const dl = reduceSum(mul(p, ds), [3]);
    tLse = dl;
    tOut = weighted(mul(p, sub(ds, broadcastInDim(dl, full, [0, 1, 2]))), v);
  }
  if (!isZero(tv)) tOut = plus(tOut, weighted(p, tv));
  return [tOut ?? new Zero(q.aval.strong()), tLse];
}

/** p [B, N, T, S] contracted with x [B, T, N, H] over the query heads sharing a key head and the queries: [B, S, K, H]. */
function weightedT(p: Value, x: Value, K: number): Value {
  const [B, N, T, S] = p.shape;
  const r = dotGeneral(reshape(p, [B, K, N / K, T, S]), queryHeads(x, K), { contracting: [[2, 3], [2, 3]], batch: [[0, 1], [0, 1]] });
  return transpose(r, [0, 2, 1, 3]);
}

/**
 * The backward pass through the composition (the transpose of
 * `attentionTangentComposition`): from q, k, v (bias, mask), out, lse and the
 * cotangents dOut, dLse, the cotangents [dq, dk, dv, dbias if hasBias]. With
 * dp = dOut·vᵀ and D = Σ_h dOut·out − dLse per row, ds = keep ? p ∘ (dp − D) : 0;
 * dq = ds·k, dk = dsᵀ·q, dv = pᵀ·dOut, dbias = ds. What the fused
 * `dot_product_attention_bwd` routines compute tile by tile; its jvp and
 * StableHLO lowering use this.
 */
export function attentionBwdComposition(args: Value[], params: AttentionParams): Value[] {
  const [q, k, v, bias, mask] = unpack(args, params);
  const n = 3 + (params.hasBias ? 1 : 0) + (params.hasMask ? 1 : 0);
  const [out, , dOut, dLse] = args.slice(n);
  const { p, keep, full, dims } = probabilities(q, k, bias, mask, params);
  const dp = logits(dOut, v);
  const rowDot = transpose(reduceSum(mul(dOut, out), [3]), [0, 2, 1]); // [B, N, T]
  const D = sub(rowDot, dLse);
  let ds = mul(p, sub(dp, broadcastInDim(D, full, [0, 1, 2])));
  if (keep !== undefined) ds = select(keep, ds, asValue(0, ds.dtype));
  const dq = weighted(ds, k);
  const dk = weightedT(ds, q, dims.K);
  const dv = weightedT(p, dOut, dims.K);
  return params.hasBias ? [dq, dk, dv, ds] : [dq, dk, dv];
}

/**
 * Where the fused backward takes over: from this many probabilities (B·N·T·S)
 * the jvp binds the fused path, so grad never holds the [B, N, T, S] matrix;
 * below it the composition's derivative runs, whose batched matmuls share the
 * probabilities. Measured on the CPU with bench/attention-crossover.ts
 * (jit(grad) of causal attention, float32, B 8, 4 heads of 32; fused vs
 * composition, best of 11 alternating calls, 2 shared and loaded cores), with
 * the routines' elementwise work in WebAssembly SIMD: T 80 11.3 vs 7.9 ms,
 * T 96 10.0 vs 11.1, T 112 12.4 vs 14.5, T 128 15.2 vs 20.8, T 192 27.3 vs
 * 81.9, T 256 41.2 vs 142.1; so from 3·2^17 (T ≈ 111 at these shapes). (With
 * the tiles in JavaScript it was 3·2^20: T 128 32 vs 18 ms, T 320 113 vs 128.)
 * Tests set it to 0 to run the fused path on small shapes.
 */
export const attentionPaths = { fusedBackwardMinProbabilities: 3 << 17 };

/** How many operands q, k, v (bias, mask) are. */
const primalCount = ({ hasBias, hasMask }: AttentionParams) => 3 + (hasBias ? 1 : 0) + (hasMask ? 1 : 0);

/** Batching shared by the three primitives: every operand has the batch axis B first; the vmapped axis is folded into it. */
function foldBatch(prim: Primitive<AttentionParams>) {
  return (args: Value[], dims: (number | null)[], params: AttentionParams): [Value[], (number | null)[]] => {
    const i0 = dims.findIndex((d) => d !== null);
    const Z = args[i0].shape[dims[i0]!];
    const folded = args.map((a, i) => {
      const d = dims[i];
      const moved = d === null ? broadcastInDim(a, [Z, ...a.shape], a.shape.map((_, j) => j + 1)) : moveAxis(a, d, 0);
      return reshape(moved, [Z * moved.shape[1], ...moved.shape.slice(2)]);
    });
    const outs = bind(prim, folded, params);
    return [outs.map((o) => reshape(o, [Z, o.shape[0] / Z, ...o.shape.slice(1)])), outs.map(() => 0)];
  };
}

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
    const { B, N, T, S } = checkAttention(primals.map((a) => a.aval), params);
    if (B * N * T * S < attentionPaths.fusedBackwardMinProbabilities) {
      // small enough to hold the probabilities: the composition's derivative, whose batched matmuls share p
      return jvpFlat((...xs) => attentionComposition(xs, params), primals, tangents, "dot_product_attention jvp");
    }
    // the outputs by the fused routine; the tangents by a linear primitive whose transpose is the fused backward
    const [out, lse] = bind(dotProductAttentionP, primals, params);
    const n = primalCount(params);
    const linear = [tangents[0], tangents[1], tangents[2], ...(params.hasBias ? [tangents[3]] : [])];
    if (linear.every(isZero)) return [[out, lse], [new Zero(out.aval.strong()), new Zero(lse.aval.strong())]];
    const [tOut, tLse] = bind(dotProductAttentionJvpP, [...primals.slice(0, n), out, lse, ...linear.map(instantiate)], params);
    return [[out, lse], [tOut, tLse]];
  },
  batch: (args, dims, params) => foldBatch(dotProductAttentionP)(args, dims, params),
});

/**
 * dot_product_attention_jvp: the tangents [tOut, tLse] of dot_product_attention,
 * operands [q, k, v, (bias), (mask), out, lse, tq, tk, tv, (tbias)]; linear in
 * the tangents (the last 3 or 4), the others residuals. Evaluated (forward
 * mode) through the composition; its transpose binds dot_product_attention_bwd.
 */
export const dotProductAttentionJvpP: Primitive<AttentionParams> = definePrimitive<AttentionParams>("dot_product_attention_jvp", {
  params: { causal: "bool", hasBias: "bool", hasMask: "bool" },
  abstractEval(avals, params) {
    const n = primalCount(params);
    const { B, T, N } = checkAttention(avals.slice(0, n), params);
    checkResiduals(avals, params, n, "dot_product_attention_jvp");
    const tangents = avals.slice(n + 2);
    const want = [avals[0], avals[1], avals[2], ...(params.hasBias ? [avals[3]] : [])];
    if (tangents.length !== want.length || tangents.some((t, i) => t.dtype !== want[i].dtype || !sameShape(t.shape, want[i].shape))) {
      throw new ShapeError(`${op}_jvp: the tangents must match q, k, v${params.hasBias ? ", bias" : ""} in shape and dtype`);
    }
    return [new ShapedArray(avals[0].shape, avals[0].dtype), new ShapedArray([B, N, T], avals[0].dtype)];
  },
  impl(args, params) {
    const n = primalCount(params);
    return attentionTangentComposition(args.slice(0, n) as Value[], args.slice(n + 2) as Value[], params).map(instantiate) as never;
  },
  jvp(primals, tangents, params) {
    const n = primalCount(params);
    const f = (...xs: Value[]) => attentionTangentComposition(xs.slice(0, n), xs.slice(n + 2), params).map(instantiate);
    return jvpFlat(f, primals, tangents, "dot_product_attention_jvp jvp");
  },
  transpose(cts, args, params) {
    const n = primalCount(params);
    if (args.slice(0, n + 2).some(isUndefined)) throw new UnsupportedError(`${op}: the tangent primitive is linear in the tangents only; q, k, v, bias, mask, out and lse must be known to transpose it`);
    const zeros = args.map((a) => new Zero((a as { aval: ShapedArray }).aval.strong()));
    if (cts.every(isZero)) return zeros;
    const res = args.slice(0, n + 2) as Value[];
    const grads = bind(dotProductAttentionBwdP, [...res, instantiate(cts[0]), instantiate(cts[1])], params);
    return args.map((a, i) => (i >= n + 2 && isUndefined(a) ? grads[i - n - 2] : zeros[i]));
  },
  batch: (args, dims, params) => foldBatch(dotProductAttentionJvpP)(args, dims, params),
});

/**
 * dot_product_attention_bwd: the fused backward pass (FlashAttention-2's), operands
 * [q, k, v, (bias), (mask), out, lse, dOut, dLse], outputs [dq, dk, dv, (dbias)];
 * the devices' `attention_bwd` routines recompute the probabilities tile by tile
 * from lse (see `attentionBwdComposition` for the arithmetic). Its jvp (second
 * derivatives) and StableHLO lowering go through the composition.
 */
export const dotProductAttentionBwdP: Primitive<AttentionParams> = definePrimitive<AttentionParams>("dot_product_attention_bwd", {
  params: { causal: "bool", hasBias: "bool", hasMask: "bool" },
  abstractEval(avals, params) {
    const n = primalCount(params);
    checkAttention(avals.slice(0, n), params);
    checkResiduals(avals, params, n, "dot_product_attention_bwd");
    if (avals.length !== n + 4) throw new ShapeError(`${op}_bwd: expected ${n + 4} operands, got ${avals.length}`);
    const [dOut, dLse] = avals.slice(n + 2);
    if (dOut.dtype !== avals[0].dtype || !sameShape(dOut.shape, avals[0].shape)) throw new ShapeError(`${op}_bwd: dOut must be ${fmtShape(avals[0].shape)} ${avals[0].dtype}, got ${fmtShape(dOut.shape)} ${dOut.dtype}`);
    if (dLse.dtype !== avals[0].dtype || !sameShape(dLse.shape, avals[n + 1].shape)) throw new ShapeError(`${op}_bwd: dLse must be ${fmtShape(avals[n + 1].shape)} ${avals[0].dtype}, got ${fmtShape(dLse.shape)} ${dLse.dtype}`);
    return [0, 1, 2, ...(params.hasBias ? [3] : [])].map((i) => new ShapedArray(avals[i].shape, avals[i].dtype));
  },
  lower(avals, params) {
    const { B, T, N, S, K, H } = checkAttention(avals.slice(0, primalCount(params)), params);
    return { kind: "routine", routine: "attention_bwd", params: { B, T, N, S, K, H, ...params } };
  },
  jvp(primals, tangents, params) {
    return jvpFlat((...xs) => attentionBwdComposition(xs, params), primals, tangents, "dot_product_attention_bwd jvp");
  },
  batch: (args, dims, params) => foldBatch(dotProductAttentionBwdP)(args, dims, params),
});

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** out [B, T, N, H] and lse [B, N, T] after the primal operands, in q's dtype. */
function checkResiduals(avals: readonly ShapedArray[], params: AttentionParams, n: number, name: string): void {
  const [q] = avals;
  const [out, lse] = avals.slice(n, n + 2);
  const [B, T, N] = q.shape;
  if (!out || !lse || out.dtype !== q.dtype || lse.dtype !== q.dtype || !sameShape(out.shape, q.shape) || !sameShape(lse.shape, [B, N, T])) {
    throw new ShapeError(`lax.${name}: after q, k, v${params.hasBias ? ", bias" : ""}${params.hasMask ? ", mask" : ""} it takes out ${fmtShape(q.shape)} and lse ${fmtShape([B, N, T])} in ${q.dtype}`);
  }
}

lowersToStablehlo(dotProductAttentionP, (ctx, args, params, avals) => ctx.traced((...xs) => attentionComposition(xs, params), avals, args));
lowersToStablehlo(dotProductAttentionJvpP, (ctx, args, params, avals) =>
  ctx.traced((...xs) => attentionTangentComposition(xs.slice(0, primalCount(params)), xs.slice(primalCount(params) + 2), params).map(instantiate), avals, args));
lowersToStablehlo(dotProductAttentionBwdP, (ctx, args, params, avals) => ctx.traced((...xs) => attentionBwdComposition(xs, params), avals, args));

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
