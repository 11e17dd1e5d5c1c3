/**
 * The CPU's fused attention routine (the `attention` routine of
 * backend/device.ts; the primitive is src/lax/attention.ts). Per batch
 * element, P query heads are one batched product (all N heads when each has
 * its own key/value head; else, per key/value head, the G = N / K heads that
 * share it): scores [P, T, S] = q·kᵀ with the WebAssembly SIMD matmul
 * (float32; a JavaScript loop otherwise), the masked softmax of each row in
 * place (its log-sum-exp kept), then out [P, T, H] = probabilities·v with the
 * same matmul. The [P, T, S] block lives only in a scratch buffer reused
 * across batch elements (256 KiB at W15's shapes); nothing of it reaches the
 * caller, and the [B, N, T, S] array of the composition is never made.
 *
 * With causal masking alone, each row's softmax stops at its own position
 * (the later keys' probabilities are exactly 0). In float32 the softmax runs
 * in WebAssembly SIMD (attention-simd.ts: vmath's exp, the row sums in
 * float64 lanes) on scores in the shared memory's scratch; a bias or a mask
 * is applied to the scores first by attn_mask_* (the causal limit with them,
 * so that a fully masked row stays whole and attends uniformly, as in the
 * JavaScript loop below). float64 keeps the JavaScript loop. With a padding
 * mask or an ALiBi bias at B 8, T = S 256, 4 heads of 32, the SIMD path ran
 * the forward 1.7–2.7× faster than the JavaScript loop (ratios within one run
 * of bench/attention-mask.ts on 2 loaded cores).
 *
 * Measured on this machine (2 shared cores, W15's shapes B 8, T = S 128,
 * 4 heads of 32, causal; `npx tsx` timing loops, the best of 30 calls):
 * the routine takes about 9 ms, the jitted composition (matmul + fused
 * softmax kernel + matmul) about 9–11 ms; a product per (batch, key head)
 * instead of one per batch element took 16 ms (64 small products, each split
 * across the thread pool), and operands outside the WebAssembly memory,
 * copied by each product, 21 ms. A one-pass online-softmax loop in
 * JavaScript (scalar multiply-adds) was not tried: the two SIMD products
 * already run near the composition's speed.
 */
import type { TypedArray } from "../../dtype.js";
import { allocate } from "../../dtype.js";
import type { AttentionRoutineParams, RoutineTable } from "../device.js";
import { matmulWasm } from "./matmul-wasm.js";
import { alloc, allocScratch, freeScratch, inMemory, memoryView, pointerOf, release } from "./memory.js";
import { attentionSimd, attentionSimdSwitch, maskKernelName } from "./attention-simd.js";

/** JAX's large negative logit for masked positions (as src/lax/attention.ts). */
const MASKED = -0.7 * 3.4028234663852886e38;

/**
 * How many times the routine ran, how many of those ran the softmax in WebAssembly SIMD, and how many of
 * those had a bias or mask (tests check the paths taken).
 */
export const cpuAttentionStats = { calls: 0, simd: 0, simdBiasMask: 0 };

/** scores[g, t, j] = Σ_h q[b, t, n0 + g, h] · k[b, j, kvh, h], scores contiguous [G, T, S]. */
function scoresJs(q: TypedArray, k: TypedArray, qOff: number, kOff: number, p: AttentionRoutineParams, G: number, kvs: number, scores: Float64Array | Float32Array): void {
  const { T, S, N, K, H } = p;
  for (let g = 0; g < G; g++)
    for (let t = 0; t < T; t++) {
      const qi = qOff + t * N * H + g * H;
      const row = (g * T + t) * S;
      for (let j = 0; j < S; j++) {
        const ki = kOff + g * kvs + j * K * H;
        let acc = 0;
        for (let h = 0; h < H; h++) acc += q[qi + h] * k[ki + h];
        scores[row + j] = acc;
      }
    }
}

/** out[b, t, n0 + g, :] = Σ_j P[g, t, j] · v[b, j, kvh, :]. */
function weightedJs(P: Float64Array | Float32Array, v: TypedArray, out: TypedArray, outOff: number, vOff: number, p: AttentionRoutineParams, G: number, kvs: number, acc: Float64Array): void {
  const { T, S, N, K, H } = p;
  for (let g = 0; g < G; g++)
    for (let t = 0; t < T; t++) {
      acc.fill(0);
      const row = (g * T + t) * S;
      for (let j = 0; j < S; j++) {
        const w = P[row + j];
        if (w === 0) continue;
        const vi = vOff + g * kvs + j * K * H;
        for (let h = 0; h < H; h++) acc[h] += w * v[vi + h];
      }
      const oi = outOff + t * N * H + g * H;
      for (let h = 0; h < H; h++) out[oi + h] = acc[h];
    }
}

export const attention = (inputs: TypedArray[], p: AttentionRoutineParams, outDtype: "float32" | "float64"): TypedArray[] => {
  cpuAttentionStats.calls++;
  const { B, T, N, S, K, H, causal, hasBias, hasMask } = p;
  const [q0, k0, v0] = inputs;
  const bias = hasBias ? inputs[3] : undefined;
  const mask = hasMask ? inputs[hasBias ? 4 : 3] : undefined;
  const out = allocate(outDtype, B * T * N * H);
  const lse = allocate(outDtype, B * N * T);
  if (B * T * N === 0) return [out, lse];
  const G = N / K;
  const plain = !causal && !bias && !mask;
  const plainCausal = causal && !bias && !mask;
  const f32 = outDtype === "float32" && q0 instanceof Float32Array && k0 instanceof Float32Array && v0 instanceof Float32Array;
  // operands outside the WebAssembly memory are copied in once here, not by each product below
  const copies: TypedArray[] = [];
  const inWasm = (a: TypedArray): TypedArray => {
    if (!f32 || inMemory(a)) return a;
    const c = alloc("float32", a.length, false);
    if (!inMemory(c)) {
      release(c);
      return a;
    }
    c.set(a);
    copies.push(c);
    return c;
  };
  const q = inWasm(q0), k = inWasm(k0), v = inWasm(v0);
  // the query heads of one product: all N when each has its own key/value head (their key heads H
  // apart), else the G heads sharing one key/value head (the same key head: stride 0)
  const P = G === 1 ? N : G;
  const kvs = G === 1 ? H : 0;
  // float32: the softmax in WebAssembly SIMD (attention-simd.ts) on scores in the shared memory's scratch
  // (4 floats of padding: a row's last vector may read past the block's end), each row's maximum and sum
  // to `ms`; a bias or mask (float32, copied into the memory if outside it) applied to the scores first
  const simd = f32 && attentionSimdSwitch.enabled && S > 0 ? attentionSimd() : null;
  const scratch: [number, number][] = [];
  const take = (bytes: number): number => {
    const ptr = simd ? allocScratch(bytes) : -1;
    if (ptr >= 0) scratch.push([ptr, bytes]);
    return ptr;
  };
  const scoresPtr = take((P * T * S + 4) * 4), msPtr = take(P * T * 16);
  // the bias and mask (float32 [B, N, T, S]) where the kernels read them: in place, or copied to the scratch
  const place = (x: TypedArray | undefined): number => {
    if (!x || !simd) return 0;
    if (inMemory(x)) return pointerOf(x);
    const ptr = take(x.length * 4);
    if (ptr >= 0) memoryView(Float32Array, ptr, x.length).set(x);
    return ptr;
  };
  const biasPtr = place(bias), maskPtr = place(mask);
  const wasm = simd && scoresPtr >= 0 && msPtr >= 0 && biasPtr >= 0 && maskPtr >= 0 ? simd : null;
  if (wasm) {
    cpuAttentionStats.simd++;
    if (bias || mask) cpuAttentionStats.simdBiasMask++;
  }
  const maskKernel = wasm && (bias || mask) ? wasm[maskKernelName(!!bias, !!mask, false)] : null;
  const scores = wasm ? memoryView(Float32Array, scoresPtr, P * T * S) : f32 ? (alloc("float32", P * T * S, false) as Float32Array) : new Float64Array(P * T * S);
  const ms = wasm ? memoryView(Float64Array, msPtr, P * T * 2) : null;
  const block = f32 ? (alloc("float32", P * T * H, false) as Float32Array) : null;
  const acc = new Float64Array(H);
  try {
    for (let b = 0; b < B; b++)
      for (let n0 = 0; n0 < N; n0 += P) {
        const kvh = Math.floor(n0 / G);
        const qOff = b * T * N * H + n0 * H;
        const kOff = b * S * K * H + kvh * H;
        // scores [P, T, S]: batch over the query heads (lhs stride H) and their key heads (rhs stride kvs)
        const viaWasm = f32 && S > 0 && H > 0 &&
          matmulWasm(q as Float32Array, k as Float32Array, scores as Float32Array, {
            batch: P, m: T, n: S, k: H, lhsStrides: [H, N * H, 1], rhsStrides: [kvs, 1, K * H], lhsOffset: qOff, rhsOffset: kOff,
          });
        if (!viaWasm) {
          if (H === 0) scores.fill(0);
          else scoresJs(q, k, qOff, kOff, p, P, kvs, scores);
        }
        // the masked softmax of each row, in place, and its log-sum-exp
        if (wasm && ms) {
          if (maskKernel) {
            // the bias and mask block [P, T, S] of heads n0.. of batch element b (a contiguous part of [B, N, T, S])
            const off = 4 * (b * N + n0) * T * S;
            maskKernel(scoresPtr, bias ? biasPtr + off : 0, mask ? maskPtr + off : 0, 0, P, T, S, T * S, S, causal ? 0 : S);
          }
          // causal without a mask: no row is fully masked, so each may stop at its own position (the later
          // keys' exp(MASKED − m) is exactly 0); with a mask a fully masked row must stay whole
          wasm.attn_softmax(scoresPtr, msPtr, P * T, S, T, causal && !mask ? 1 : 0);
          for (let g = 0; g < P; g++)
            for (let t = 0; t < T; t++) {
              const r = g * T + t;
              lse[(b * N + n0 + g) * T + t] = ms[2 * r] + Math.log(ms[2 * r + 1]);
            }
        } else for (let g = 0; g < P; g++) {
          const n = n0 + g;
          for (let t = 0; t < T; t++) {
            const row = (g * T + t) * S;
            const bm = ((b * N + n) * T + t) * S;
            // causal alone: the keys past t get exp(masked - m) = 0 exactly, so the row stops at t
            const lim = plainCausal ? Math.min(S, t + 1) : S;
            let m = -Infinity;
            if (plain || plainCausal) {
              for (let j = 0; j < lim; j++) {
                const x = scores[row + j];
                if (x > m || x !== x) m = x;
              }
            } else {
              for (let j = 0; j < S; j++) {
                let x = scores[row + j];
                if (bias) x += bias[bm + j];
                // (!(mask > 0): a NaN mask entry masks, as the composition's keep = mask > 0)
                if ((mask && !(mask[bm + j] > 0)) || (causal && j > t)) x = MASKED;
                scores[row + j] = x;
                // the stored (possibly float32-rounded) logit, which the exp below reads
                x = scores[row + j];
                if (x > m || x !== x) m = x;
              }
            }
            let sum = 0;
            for (let j = 0; j < lim; j++) {
              const e = Math.exp(scores[row + j] - m);
              scores[row + j] = e;
              sum += e;
            }
            const inv = 1 / sum;
            for (let j = 0; j < lim; j++) scores[row + j] *= inv;
            if (lim < S) scores.fill(0, row + lim, row + S);
            lse[(b * N + n) * T + t] = m + Math.log(sum);
          }
        }
        const vOff = kOff;
        if (f32 && block && S > 0 && matmulWasm(scores as Float32Array, v as Float32Array, block, {
          batch: P, m: T, n: H, k: S, lhsStrides: [T * S, S, 1], rhsStrides: [kvs, K * H, 1], lhsOffset: 0, rhsOffset: vOff,
        })) {
          for (let g = 0; g < P; g++)
            for (let t = 0; t < T; t++) {
              const from = (g * T + t) * H;
              const to = qOff + t * N * H + g * H;
              for (let h = 0; h < H; h++) out[to + h] = block[from + h];
            }
        } else weightedJs(scores, v, out, qOff, vOff, p, P, kvs, acc);
      }
  } finally {
    for (const c of copies) release(c);
    for (const [ptr, bytes] of scratch) freeScratch(ptr, bytes);
    if (f32) {
      if (!wasm) release(scores);
      if (block) release(block);
    }
  }
  return [out, lse];
};

/** The CPU's `attention` routine. */
export const cpuAttentionRoutines: Pick<RoutineTable<TypedArray>, "attention"> = {
  attention: (inputs, _inTypes, [outType], params) => attention(inputs, params, outType.dtype as "float32" | "float64"),
};
