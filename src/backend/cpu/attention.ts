/**
 * The CPU's fused attention routine (the `attention` routine of
 * backend/device.ts; the primitive is src/lax/attention.ts). Per batch
 * element and key/value head, the G query heads that share it are one
 * batched product: scores [G, T, S] = q·kᵀ with the WebAssembly SIMD matmul
 * (float32; a JavaScript loop otherwise), the masked softmax of each row in
 * place (its log-sum-exp kept), then out [G, T, H] = P·v with the same
 * matmul. The [T, S] block per head lives only in a scratch buffer reused
 * across heads; nothing of it reaches the caller.
 *
 * Measured on this machine (bench/attention.ts, W15 shapes B 8, T = S 128,
 * 4 heads of 32): the two SIMD matmuls per head beat a one-pass online-softmax
 * loop in JavaScript by several times, since the loop's multiply-adds run as
 * scalar code; the softmax pass over the block costs about as much as the
 * matmuls, and the block (64 KiB per head) stays in the caches.
 */
import type { TypedArray } from "../../dtype.js";
import { allocate } from "../../dtype.js";
import type { AttentionRoutineParams, RoutineTable } from "../device.js";
import { matmulWasm } from "./matmul-wasm.js";
import { alloc, release } from "./memory.js";

/** JAX's large negative logit for masked positions (as src/lax/attention.ts). */
const MASKED = -0.7 * 3.4028234663852886e38;

/** How many times the routine ran (tests check that the fused path was taken). */
export const cpuAttentionStats = { calls: 0 };

/** scores[g, t, j] = Σ_h q[b, t, n0 + g, h] · k[b, j, kvh, h], scores contiguous [G, T, S]. */
function scoresJs(q: TypedArray, k: TypedArray, qOff: number, kOff: number, p: AttentionRoutineParams, G: number, scores: Float64Array | Float32Array): void {
  const { T, S, N, K, H } = p;
  for (let g = 0; g < G; g++)
    for (let t = 0; t < T; t++) {
      const qi = qOff + t * N * H + g * H;
      const row = (g * T + t) * S;
      for (let j = 0; j < S; j++) {
        const ki = kOff + j * K * H;
        let acc = 0;
        for (let h = 0; h < H; h++) acc += q[qi + h] * k[ki + h];
        scores[row + j] = acc;
      }
    }
}

/** out[b, t, n0 + g, :] = Σ_j P[g, t, j] · v[b, j, kvh, :]. */
function weightedJs(P: Float64Array | Float32Array, v: TypedArray, out: TypedArray, outOff: number, vOff: number, p: AttentionRoutineParams, G: number, acc: Float64Array): void {
  const { T, S, N, K, H } = p;
  for (let g = 0; g < G; g++)
    for (let t = 0; t < T; t++) {
      acc.fill(0);
      const row = (g * T + t) * S;
      for (let j = 0; j < S; j++) {
        const w = P[row + j];
        if (w === 0) continue;
        const vi = vOff + j * K * H;
        for (let h = 0; h < H; h++) acc[h] += w * v[vi + h];
      }
      const oi = outOff + t * N * H + g * H;
      for (let h = 0; h < H; h++) out[oi + h] = acc[h];
    }
}

export const attention = (inputs: TypedArray[], p: AttentionRoutineParams, outDtype: "float32" | "float64"): TypedArray[] => {
  cpuAttentionStats.calls++;
  const { B, T, N, S, K, H, causal, hasBias, hasMask } = p;
  const [q, k, v] = inputs;
  const bias = hasBias ? inputs[3] : undefined;
  const mask = hasMask ? inputs[hasBias ? 4 : 3] : undefined;
  const out = allocate(outDtype, B * T * N * H);
  const lse = allocate(outDtype, B * N * T);
  if (B * T * N === 0) return [out, lse];
  const G = N / K;
  const f32 = outDtype === "float32" && q instanceof Float32Array && k instanceof Float32Array && v instanceof Float32Array;
  const scores = f32 ? (alloc("float32", G * T * S, false) as Float32Array) : new Float64Array(G * T * S);
  const block = f32 ? (alloc("float32", G * T * H, false) as Float32Array) : null;
  const acc = new Float64Array(H);
  try {
    for (let b = 0; b < B; b++)
      for (let kvh = 0; kvh < K; kvh++) {
        const qOff = b * T * N * H + kvh * G * H;
        const kOff = b * S * K * H + kvh * H;
        // scores [G, T, S]: batch over the group's query heads (lhs stride H), one key head (rhs stride 0)
        const viaWasm = f32 && S > 0 && H > 0 &&
          matmulWasm(q as Float32Array, k as Float32Array, scores as Float32Array, {
            batch: G, m: T, n: S, k: H, lhsStrides: [H, N * H, 1], rhsStrides: [0, 1, K * H], lhsOffset: qOff, rhsOffset: kOff,
          });
        if (!viaWasm) {
          if (H === 0) scores.fill(0);
          else scoresJs(q, k, qOff, kOff, p, G, scores);
        }
        // the masked softmax of each row, in place, and its log-sum-exp
        for (let g = 0; g < G; g++) {
          const n = kvh * G + g;
          for (let t = 0; t < T; t++) {
            const row = (g * T + t) * S;
            const bm = ((b * N + n) * T + t) * S;
            let m = -Infinity;
            for (let j = 0; j < S; j++) {
              let x = scores[row + j];
              if (bias) x += bias[bm + j];
              if ((mask && mask[bm + j] <= 0) || (causal && j > t)) x = MASKED;
              scores[row + j] = x;
              // the stored (possibly float32-rounded) logit, which the exp below reads
              x = scores[row + j];
              if (x > m || x !== x) m = x;
            }
            let sum = 0;
            for (let j = 0; j < S; j++) {
              const e = Math.exp(scores[row + j] - m);
              scores[row + j] = e;
              sum += e;
            }
            const inv = 1 / sum;
            for (let j = 0; j < S; j++) scores[row + j] *= inv;
            lse[(b * N + n) * T + t] = m + Math.log(sum);
          }
        }
        const vOff = kOff;
        if (f32 && block && S > 0 && matmulWasm(scores as Float32Array, v as Float32Array, block, {
          batch: G, m: T, n: H, k: S, lhsStrides: [T * S, S, 1], rhsStrides: [0, K * H, 1], lhsOffset: 0, rhsOffset: vOff,
        })) {
          for (let g = 0; g < G; g++)
            for (let t = 0; t < T; t++) out.set(block.subarray((g * T + t) * H, (g * T + t + 1) * H), b * T * N * H + t * N * H + (kvh * G + g) * H);
        } else weightedJs(scores, v, out, qOff, vOff, p, G, acc);
      }
  } finally {
    if (f32) {
      release(scores);
      if (block) release(block);
    }
  }
  return [out, lse];
};

/** The CPU's `attention` routine. */
export const cpuAttentionRoutines: Pick<RoutineTable<TypedArray>, "attention"> = {
  attention: (inputs, _inTypes, [outType], params) => attention(inputs, params, outType.dtype as "float32" | "float64"),
};
