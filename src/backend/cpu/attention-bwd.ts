/**
 * The CPU's fused attention backward pass (the `attention_bwd` routine of
 * backend/device.ts; the primitive dot_product_attention_bwd is in
 * src/lax/attention.ts), FlashAttention-2's. q, k, v and dOut are copied
 * head-major ([B·N, len, H], a key/value head repeated for each query head
 * sharing it), so that every product runs over all (batch, head) pairs at
 * once (in chunks whose tiles hold at most 2^20 elements); then over tiles of
 * TILE queries × TILE keys,
 *
 *   s = q·kᵀ (+ bias, masked) and dp = dOut·vᵀ for the tile (two products),
 *   p = exp(s − lse), ds = keep ? p ∘ (dp − D) : 0 with D = Σ_h dOut·out − dLse,
 *   dv += pᵀ·dOut, dk += dsᵀ·q, dq += ds·k (three products), dbias = ds.
 *
 * Only tiles of p and ds exist at a time; the [B, N, T, S] probabilities are
 * never made (except dbias, an output of that shape). At W15's shapes
 * (B 8, T = S = 128, 4 heads of 32, causal) the routine took 13–15 ms (the
 * best of 40 calls; the forward routine 9 ms) where one product per batch
 * element and head group took 16–19 ms (2 shared, heavily loaded cores).
 * float32 products run on the WebAssembly SIMD matmul, float64 ones (and
 * float32 where WebAssembly is unavailable) on a JavaScript loop. In float32,
 * p, ds and the dq/dk/dv accumulations run in WebAssembly SIMD too (a bias
 * or mask applied to the logits first by attn_mask_*, masked positions' ds
 * zeroed by attn_keep, fully masked rows' p set to their 1/S here, dbias
 * copied row by row from ds; jit(grad) with a padding mask or an ALiBi bias
 * at B 8, T 256, 4 heads of 32: 1.7–2.1× faster than the JavaScript tiles,
 * bench/attention-mask.ts) (attention-simd.ts; the temporaries live in the shared
 * memory's scratch): 8× faster than the JavaScript tile loop on a 4 × 128 ×
 * 128 causal tile (0.045 vs 0.35 ms), which brought jit(grad) at B 8, T 256,
 * 4 heads of 32 from 145–210 ms to 41–54 ms (bench/attention-crossover.ts). With causal
 * masking and no mask, tiles wholly above the diagonal are skipped.
 *
 * A fully masked row (every logit JAX's large negative number) has an lse
 * whose log S was lost to rounding, so its probabilities (uniform, as the
 * composition's) come from the row's own maximum and sum, recomputed here;
 * its ds is 0 as in the composition, where the masked logits' tangent is.
 */
import type { TypedArray } from "../../dtype.js";
import { allocate } from "../../dtype.js";
import type { AttentionRoutineParams, RoutineTable } from "../device.js";
import { matmulWasm } from "./matmul-wasm.js";
import { alloc, allocScratch, freeScratch, memoryView, pointerOf, release } from "./memory.js";
import { attentionSimd, attentionSimdSwitch, maskKernelName } from "./attention-simd.js";

/** JAX's large negative logit for masked positions (as src/lax/attention.ts). */
const MASKED = -0.7 * 3.4028234663852886e38;
/** Query and key positions per tile. */
const TILE = 128;

/**
 * How many times the routine ran, how many of those ran the tiles in WebAssembly SIMD, and how many of those
 * had a bias or mask (tests check the paths taken).
 */
export const cpuAttentionBwdStats = { calls: 0, simd: 0, simdBiasMask: 0 };

type Buf = Float32Array | Float64Array;
interface Product { batch: number; m: number; n: number; k: number; lhsStrides: [number, number, number]; rhsStrides: [number, number, number]; lhsOffset: number; rhsOffset: number }

/** out[b, i, j] = Σ_p lhs[off + b·sb + i·sm + p·sk] · rhs[off + b·rb + p·rk + j·rn], out contiguous [batch, m, n]. */
function productJs(lhs: TypedArray, rhs: TypedArray, out: Buf, d: Product): void {
  const { batch, m, n, k, lhsStrides: [sb, sm, sk], rhsStrides: [rb, rk, rn], lhsOffset, rhsOffset } = d;
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < m; i++) {
      const li = lhsOffset + b * sb + i * sm;
      const row = (b * m + i) * n;
      for (let j = 0; j < n; j++) {
        const ri = rhsOffset + b * rb + j * rn;
        let acc = 0;
        for (let p = 0; p < k; p++) acc += lhs[li + p * sk] * rhs[ri + p * rk];
        out[row + j] = acc;
      }
    }
}

export const attentionBwd = (inputs: TypedArray[], p: AttentionRoutineParams, dtype: "float32" | "float64"): TypedArray[] => {
  cpuAttentionBwdStats.calls++;
  const { B, T, N, S, K, H, causal, hasBias, hasMask } = p;
  const n0Inputs = 3 + (hasBias ? 1 : 0) + (hasMask ? 1 : 0);
  const bias = hasBias ? inputs[3] : undefined;
  const mask = hasMask ? inputs[hasBias ? 4 : 3] : undefined;
  const [out, lse, dOut0, dLse] = inputs.slice(n0Inputs);
  const dq = allocate(dtype, B * T * N * H);
  const dk = allocate(dtype, B * S * K * H);
  const dv = allocate(dtype, B * S * K * H);
  const dbias = hasBias ? allocate(dtype, B * N * T * S) : undefined;
  const results = dbias ? [dq, dk, dv, dbias] : [dq, dk, dv];
  if (B * T * N * S === 0) return results;
  const G = N / K;
  const f32 = dtype === "float32" && [inputs[0], inputs[1], inputs[2], dOut0].every((a) => a instanceof Float32Array);
  const [q, k, v, dOut] = [inputs[0], inputs[1], inputs[2], dOut0];
  // head-major copies [B·N, len, H] (k and v repeated over the G query heads sharing them), so that each
  // tile's products run over all (batch, head) pairs at once with one batch stride
  const BN = B * N;
  const fillHeadMajor = (x: TypedArray, y: Buf, len: number, heads: number): void => {
    for (let b = 0; b < B; b++)
      for (let n = 0; n < N; n++) {
        const src = heads === N ? n : Math.floor(n / G);
        for (let t = 0; t < len; t++) {
          const from = ((b * len + t) * heads + src) * H, to = ((b * N + n) * len + t) * H;
          for (let h = 0; h < H; h++) y[to + h] = x[from + h];
        }
      }
  };
  const BT = Math.min(T, TILE), BS = Math.min(S, TILE);
  // (batch, head) pairs per chunk: a chunk's tiles hold at most 2^20 elements
  const CH = Math.max(1, Math.min(BN, Math.floor((1 << 20) / (BT * BS))));
  // float32 temporaries in the shared memory's scratch (whatever their size and the pool's target, so
  // that the WebAssembly kernels address them in place), else pool buffers
  const temps: Buf[] = [];
  const scratchBlocks: [number, number][] = [];
  const temp = (size: number): Buf => {
    if (!f32) return new Float64Array(size);
    const p = allocScratch(size * 4);
    if (p >= 0) {
      scratchBlocks.push([p, size * 4]);
      return memoryView(Float32Array, p, size);
    }
    const t = alloc("float32", size, false) as Float32Array;
    temps.push(t);
    return t;
  };
  const product = (lhs: TypedArray, rhs: TypedArray, dst: Buf, d: Product): void => {
    if (!(f32 && d.k > 0 && matmulWasm(lhs as Float32Array, rhs as Float32Array, dst as Float32Array, d))) {
      if (d.k === 0) dst.fill(0, 0, d.batch * d.m * d.n);
      else productJs(lhs, rhs, dst, d);
    }
  };
  // per row (b, n, t): D, and the shift and scale with which p = exp(s − shift)·scale
  const rows = B * N * T;
  const D = new Float64Array(rows), shift = new Float64Array(rows), scale = new Float64Array(rows);
  // the fully masked rows (their p = exp(s − shift)·scale with scale = 1/S, not 1)
  const fullyMasked: number[] = [];
  for (let b = 0; b < B; b++)
    for (let n = 0; n < N; n++)
      for (let t = 0; t < T; t++) {
        const r = (b * N + n) * T + t;
        const o = ((b * T + t) * N + n) * H;
        let d = 0;
        for (let h = 0; h < H; h++) d += dOut[o + h] * out[o + h];
        D[r] = d - dLse[r];
        shift[r] = lse[r];
        scale[r] = 1;
        if (lse[r] < MASKED / 2) {
          // a fully masked row: its own max and sum
          const kv = Math.floor(n / G);
          const xs = new Float64Array(S);
          let m = -Infinity;
          for (let j = 0; j < S; j++) {
            let x = 0;
            for (let h = 0; h < H; h++) x += q[o + h] * k[((b * S + j) * K + kv) * H + h];
            const bm = r * S + j;
            if (bias) x += bias[bm];
            if ((mask && !(mask[bm] > 0)) || (causal && j > t)) x = MASKED;
            xs[j] = f32 ? Math.fround(x) : x;
            m = Math.max(m, xs[j]);
          }
          let l = 0;
          for (let j = 0; j < S; j++) l += Math.exp(xs[j] - m);
          shift[r] = m;
          scale[r] = 1 / l;
          fullyMasked.push(r);
        }
      }
  try {
    const qh = temp(BN * T * H), kh = temp(BN * S * H), vh = temp(BN * S * H), dOh = temp(BN * T * H);
    // (4 floats of padding: the SIMD kernel's last vector of a tile may read past its end)
    const sc = temp(CH * BT * BS + 4); // logits, then p
    const dp = temp(CH * BT * BS + 4); // dp, then ds
    const acc = temp(CH * Math.max(BT, BS) * H);
    const dqh = temp(BN * T * H), dkh = temp(BN * S * H), dvh = temp(BN * S * H);
    dqh.fill(0); dkh.fill(0); dvh.fill(0);
    // float32: the tiles' elementwise work and the accumulations in WebAssembly SIMD (attention-simd.ts), with
    // each row's shift and D as float32 in the shared memory, and the bias and mask copied there (the kernels
    // read them in place), the tile's keep flags in `km`
    const simd = f32 && attentionSimdSwitch.enabled ? attentionSimd() : null;
    let shF: Buf | null = null, dF: Buf | null = null, biasF: Buf | null = null, maskF: Buf | null = null, km: Buf | null = null;
    if (simd) {
      shF = temp(rows);
      dF = temp(rows);
      shF.set(shift);
      dF.set(D);
      if (bias) (biasF = temp(bias.length)).set(bias);
      if (mask) {
        (maskF = temp(mask.length)).set(mask);
        km = temp(CH * BT * BS + 4);
      }
    }
    const ptr = (x: Buf | null) => (x ? pointerOf(x) : -1);
    const wasm = simd && [sc, dp, acc, dqh, dkh, dvh, shF, dF].every((x) => ptr(x) >= 0) && [biasF, maskF, km].every((x) => !x || ptr(x) >= 0) ? simd : null;
    if (wasm) {
      cpuAttentionBwdStats.simd++;
      if (hasBias || hasMask) cpuAttentionBwdStats.simdBiasMask++;
    }
    const maskKernel = wasm && (hasBias || hasMask) ? wasm[maskKernelName(hasBias, hasMask, hasMask)] : null;
    const isFull = new Uint8Array(fullyMasked.length ? rows : 0);
    for (const r of fullyMasked) isFull[r] = 1;
    const accumulate = (dst: Buf, dstOffset: number, len: number, dstStride: number, ch: number) => {
      if (wasm) wasm.attn_acc(ptr(dst) + 4 * dstOffset, ptr(acc), ch, len, dstStride);
      else
        for (let g = 0; g < ch; g++) {
          const to = dstOffset + g * dstStride, from = g * len;
          for (let e = 0; e < len; e++) dst[to + e] += acc[from + e];
        }
    };
    for (const [x, y, len, heads] of [[q, qh, T, N], [k, kh, S, K], [v, vh, S, K], [dOut, dOh, T, N]] as const) fillHeadMajor(x, y, len, heads);
    for (let c0 = 0; c0 < BN; c0 += CH) {
      const ch = Math.min(CH, BN - c0);
      for (let t0 = 0; t0 < T; t0 += BT) {
        const bt = Math.min(BT, T - t0);
        for (let s0 = 0; s0 < S; s0 += BS) {
          const bs = Math.min(BS, S - s0);
          // causal alone: the keys past the tile's last query have p = 0 and ds = 0
          if (causal && !hasMask && s0 > t0 + bt - 1) continue;
          const qt = (c0 * T + t0) * H, ks = (c0 * S + s0) * H;
          const tile = { batch: ch, m: bt, n: bs, k: H, lhsStrides: [T * H, H, 1] as [number, number, number], rhsStrides: [S * H, 1, H] as [number, number, number], lhsOffset: qt, rhsOffset: ks };
          product(qh, kh, sc, tile);
          product(dOh, vh, dp, tile);
          if (wasm) {
            const r0 = c0 * T + t0;
            if (maskKernel) {
              const at = (x: Buf | null) => (x ? ptr(x) + 4 * (r0 * S + s0) : 0);
              maskKernel(ptr(sc), at(biasF), at(maskF), ptr(km), ch, bt, bs, T * S, S, causal ? t0 - s0 : bs);
            }
            // causal without a mask: p and ds past the diagonal are 0 (no row is fully masked); with a mask
            // every key's p is needed (a fully masked row's are all 1/S)
            wasm.attn_pds(ptr(sc), ptr(dp), ptr(shF) + 4 * r0, ptr(dF) + 4 * r0, ch, bt, bs, 4 * T, causal && !hasMask ? t0 - s0 : bs);
            if (km) wasm.attn_keep(ptr(dp), ptr(km), ch * bt * bs);
            if (isFull.length || dbias)
              for (let g = 0; g < ch; g++)
                for (let i = 0; i < bt; i++) {
                  const r = (c0 + g) * T + t0 + i, row = (g * bt + i) * bs;
                  // exp(s − shift) was exp(MASKED − MASKED) = 1: times the row's scale
                  if (isFull.length && isFull[r]) sc.fill(scale[r], row, row + bs);
                  if (dbias) dbias.set(dp.subarray(row, row + bs), r * S + s0);
                }
          } else for (let g = 0; g < ch; g++) {
            const bn = c0 + g;
            for (let i = 0; i < bt; i++) {
              const t = t0 + i;
              const r = bn * T + t;
              const sh = shift[r], sca = scale[r], Dr = D[r];
              const row = (g * bt + i) * bs;
              const bm = r * S + s0;
              // causal without a mask: the keys past t have p = 0 and ds = 0, no exp needed
              const lim = causal && !hasMask ? Math.max(0, Math.min(bs, t - s0 + 1)) : bs;
              if (lim < bs) {
                sc.fill(0, row + lim, row + bs);
                dp.fill(0, row + lim, row + bs);
                if (dbias) dbias.fill(0, bm + lim, bm + bs);
              }
              for (let j = 0; j < lim; j++) {
                let x = sc[row + j];
                let keep = true;
                if (bias) x += bias[bm + j];
                if ((mask && !(mask[bm + j] > 0)) || (causal && s0 + j > t)) {
                  x = MASKED;
                  keep = false;
                }
                sc[row + j] = x;
                const pr = Math.exp(sc[row + j] - sh) * sca;
                sc[row + j] = pr;
                const ds = keep ? pr * (dp[row + j] - Dr) : 0;
                dp[row + j] = ds;
                if (dbias) dbias[bm + j] = dp[row + j];
              }
            }
          }
          // dv[s] += Σ_t p[t, s]·dOut[t]; dk[s] += Σ_t ds[t, s]·q[t]
          for (const [lhs, rhs, dst] of [[sc, dOh, dvh], [dp, qh, dkh]] as const) {
            product(lhs, rhs, acc, { batch: ch, m: bs, n: H, k: bt, lhsStrides: [bt * bs, 1, bs], rhsStrides: [T * H, H, 1], lhsOffset: 0, rhsOffset: qt });
            accumulate(dst, (c0 * S + s0) * H, bs * H, S * H, ch);
          }
          // dq[t] += Σ_s ds[t, s]·k[s]
          product(dp, kh, acc, { batch: ch, m: bt, n: H, k: bs, lhsStrides: [bt * bs, bs, 1], rhsStrides: [S * H, H, 1], lhsOffset: 0, rhsOffset: ks });
          accumulate(dqh, (c0 * T + t0) * H, bt * H, T * H, ch);
        }
      }
    }
    // back to [B, len, heads, H], the key/value gradients summed over the query heads sharing them
    for (let b = 0; b < B; b++)
      for (let n = 0; n < N; n++) {
        const kv = Math.floor(n / G);
        for (let t = 0; t < T; t++) {
          const to = ((b * T + t) * N + n) * H, from = ((b * N + n) * T + t) * H;
          for (let h = 0; h < H; h++) dq[to + h] = dqh[from + h];
        }
        for (let j = 0; j < S; j++) {
          const to = ((b * S + j) * K + kv) * H, from = ((b * N + n) * S + j) * H;
          for (let h = 0; h < H; h++) {
            dk[to + h] += dkh[from + h];
            dv[to + h] += dvh[from + h];
          }
        }
      }
  } finally {
    for (const t of temps) release(t);
    for (const [p, bytes] of scratchBlocks) freeScratch(p, bytes);
  }
  return results;
};

/** The CPU's `attention_bwd` routine. */
export const cpuAttentionBwdRoutines: Pick<RoutineTable<TypedArray>, "attention_bwd"> = {
  attention_bwd: (inputs, _inTypes, [outType], params) => attentionBwd(inputs, params, outType.dtype as "float32" | "float64"),
};
