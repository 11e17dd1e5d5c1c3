/**
 * Shared by test/attention-bwd.test.ts and test/attention-bwd-webgpu.test.ts:
 * the attention configurations, their operands (seeded), the plain composition
 * softmax(q·kᵀ·scale + bias, masked)·v written with jaxon's numpy functions,
 * and the losses Σ out·cot (+ Σ lse·lseCot) of the fused primitive or the composition.
 */
import { np, type Value } from "../src/index.js";
import { fusedAttention } from "../src/lax/attention.js";
import { arr, rand } from "./helpers.js";

const MASKED = -0.7 * 3.4028234663852886e38;

export interface Config {
  name: string; B: number; T: number; S: number; N: number; K: number; H: number;
  causal?: boolean; bias?: boolean; mask?: "random" | "fullRow"; lseCot?: boolean;
}

export const configs: Config[] = [
  { name: "multi-head", B: 2, T: 5, S: 6, N: 2, K: 2, H: 3 },
  { name: "grouped-query, causal", B: 2, T: 6, S: 6, N: 4, K: 2, H: 3, causal: true },
  { name: "multi-query, bias, mask with fully masked rows", B: 2, T: 5, S: 7, N: 3, K: 1, H: 4, bias: true, mask: "fullRow" },
  { name: "bias, mask, causal, lse cotangent", B: 1, T: 6, S: 6, N: 4, K: 2, H: 3, bias: true, mask: "random", causal: true, lseCot: true },
  { name: "past one tile (T = S = 130), causal, grouped", B: 1, T: 130, S: 130, N: 2, K: 1, H: 4, causal: true },
  { name: "past one tile (T 131, S 129), mask, bias", B: 1, T: 131, S: 129, N: 1, K: 1, H: 2, bias: true, mask: "random" },
];

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

export function operands(c: Config, dtype: "float32" | "float64") {
  const x = (shape: number[], seed: number, lo = -1, hi = 1) => arr(rand(size(shape), seed, lo, hi), dtype, shape);
  const full = [c.B, c.N, c.T, c.S];
  let mask: Value | undefined;
  if (c.mask) {
    const m = rand(size(full), 9).map((u) => (u > -0.5 ? 1 : 0));
    // query row 1 of every (batch, head) sees nothing
    if (c.mask === "fullRow") for (let r = 0; r < c.B * c.N; r++) for (let j = 0; j < c.S; j++) m[(r * c.T + 1) * c.S + j] = 0;
    mask = arr(m, dtype, full);
  }
  return {
    q: x([c.B, c.T, c.N, c.H], 1, -2, 2), k: x([c.B, c.S, c.K, c.H], 2, -2, 2), v: x([c.B, c.S, c.K, c.H], 3),
    bias: c.bias ? x(full, 4) : undefined, mask,
    cot: x([c.B, c.T, c.N, c.H], 5), lseCot: x([c.B, c.N, c.T], 6),
  };
}

/** The plain composition: softmax(q·kᵀ·scale + bias, masked to JAX's large negative logit)·v and the rows' log-sum-exp. */
export function composition(q: Value, k: Value, v: Value, o: { bias?: Value; mask?: Value; causal: boolean; scale: number }): [Value, Value] {
  const [B, T, N, H] = q.shape;
  const [, S, K] = k.shape;
  const rep = (x: Value) => np.repeat(np.transpose(x, [0, 2, 1, 3]), N / K, 1); // [B, N, S, H]
  const qh = np.transpose(q, [0, 2, 1, 3]); // [B, N, T, H]
  let s = np.multiply(np.matmul(qh, np.transpose(rep(k), [0, 1, 3, 2])), o.scale);
  if (o.bias) s = np.add(s, o.bias);
  let keep: Value | undefined = o.mask ? np.greater(o.mask, 0) : undefined;
  if (o.causal) {
    const tri = np.greaterEqual(np.reshape(np.arange(T), [T, 1]), np.reshape(np.arange(S), [1, S]));
    keep = keep ? np.logicalAnd(keep, tri) : np.broadcastTo(tri, [B, N, T, S]);
  }
  if (keep) s = np.where(keep, s, MASKED);
  const m = np.max(s, -1, { keepdims: true });
  const e = np.exp(np.subtract(s, m));
  const l = np.sum(e, -1, { keepdims: true });
  const out = np.matmul(np.divide(e, l), rep(v)); // [B, N, T, H]
  return [np.transpose(out, [0, 2, 1, 3]), np.reshape(np.add(m, np.log(l)), [B, N, T])];
}

export function maxRelErr(got: number[], want: number[]): number {
  const scale = Math.max(1, ...want.map(Math.abs));
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err / scale;
}

/** The loss Σ out·cot (+ Σ lse·lseCot) of either implementation, as a function of q, k, v (and bias). */
export function lossOf(c: Config, xs: { mask?: Value; cot: Value; lseCot: Value }, fused: boolean) {
  const scale = 1 / Math.sqrt(c.H);
  return (q: Value, k: Value, v: Value, bias?: Value) => {
    const o = { bias, mask: xs.mask, causal: c.causal ?? false, scale };
    const [out, lse] = fused ? fusedAttention(q, k, v, o) : composition(q, k, v, o);
    let loss = np.sum(np.multiply(out, xs.cot));
    if (c.lseCot) loss = np.add(loss, np.sum(np.multiply(lse, xs.lseCot)));
    return loss;
  };
}

