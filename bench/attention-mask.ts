/**
 * The CPU's fused attention with a padding mask or an additive bias, float32:
 * the WebAssembly SIMD tile path (src/backend/cpu/attention-simd.ts's
 * attn_mask_* before the softmax / attn_pds) against the JavaScript loops the
 * routines took before it (`attentionSimdSwitch.enabled = false`; the products
 * stay on the SIMD matmul either way).
 *
 * For each sequence length T (= S), B 8, 4 heads of 32, it times jit of the
 * forward and jit(grad) with respect to q, k, v of Σ nn.dotProductAttention for
 *   pad:        a padding mask [B, 1, 1, S] (batch element b keeps its first S − 8b keys),
 *   pad+causal: the same mask and causal masking,
 *   alibi:      an ALiBi bias [1, N, T, S] (−slope_n·|t − s|) and causal masking;
 * each timed call ends in a readback. Prints the best of REPS calls of each
 * (after a warm-up; the two paths' calls alternate, so that load from other
 * processes slows both alike) in ms, and the ratio JavaScript / SIMD.
 *
 *   REPS=9 npx tsx bench/attention-mask.ts 128 256     (default T 128)
 */
import { grad, jit, nn, np, type Value } from "../src/index.js";
import { attentionSimdSwitch } from "../src/backend/cpu/attention-simd.js";
import { cpuAttentionStats } from "../src/backend/cpu/attention.js";
import { cpuAttentionBwdStats } from "../src/backend/cpu/attention-bwd.js";
import { attentionPaths } from "../src/lax/attention.js";

// grad through the fused backward at every length (the threshold is read when the jvp is traced)
attentionPaths.fusedBackwardMinProbabilities = 0;

const B = 8, N = 4, H = 32;
const REPS = Number(process.env.REPS ?? 5);
const lengths = process.argv.slice(2).map(Number);
const Ts = lengths.length ? lengths : [128];

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = (s / 2 ** 32) * 2 - 1;
  }
  return a;
}

interface Case { name: string; causal: boolean; mask?: Value; bias?: Value }

function cases(T: number): Case[] {
  const S = T;
  const pad = new Uint8Array(B * S);
  for (let b = 0; b < B; b++) for (let j = 0; j < S - 8 * b; j++) pad[b * S + j] = 1;
  const mask = np.array(pad, { dtype: "bool" }).reshape([B, 1, 1, S]);
  const alibi = new Float32Array(N * T * S);
  for (let n = 0; n < N; n++)
    for (let t = 0; t < T; t++) for (let s = 0; s < S; s++) alibi[(n * T + t) * S + s] = -(2 ** (-(8 * (n + 1)) / N)) * Math.abs(t - s);
  const bias = np.array(alibi).reshape([1, N, T, S]);
  return [
    { name: "pad", causal: false, mask },
    { name: "pad+causal", causal: true, mask },
    { name: "alibi", causal: true, bias },
  ];
}

/** The best of REPS calls of `run` with the SIMD kernels on and off, alternating. */
function time(run: () => void): [number, number] {
  const best = [Infinity, Infinity];
  for (const on of [true, false]) {
    attentionSimdSwitch.enabled = on;
    run(); // warm-up (and trace, the first time)
  }
  for (let r = 0; r < REPS; r++)
    [true, false].forEach((on, i) => {
      attentionSimdSwitch.enabled = on;
      const t0 = performance.now();
      run();
      best[i] = Math.min(best[i], performance.now() - t0);
    });
  attentionSimdSwitch.enabled = true;
  return best as [number, number];
}

console.log(`fused attention with a mask or bias, B ${B}, ${N} heads of ${H}, float32; best of ${REPS} calls (ms)`);
console.log("T\tcase\tpass\tSIMD\tJS\tJS/SIMD");
for (const T of Ts) {
  const [q, k, v] = [1, 2, 3].map((s) => np.array(rand(B * T * N * H, s)).reshape([B, T, N, H]));
  for (const c of cases(T)) {
    const attn = (q: Value, k: Value, v: Value) => nn.dotProductAttention(q, k, v, { isCausal: c.causal, mask: c.mask, bias: c.bias });
    const fwd = jit(attn);
    const bwd = jit(grad((q: Value, k: Value, v: Value) => np.sum(attn(q, k, v)), { argnums: [0, 1, 2] }));
    const f0 = cpuAttentionStats.simdBiasMask, b0 = cpuAttentionBwdStats.simdBiasMask;
    const passes: [string, () => void][] = [
      ["forward", () => (fwd(q, k, v) as Value).dataSync()],
      ["jit(grad)", () => (bwd(q, k, v) as Value[]).forEach((g) => g.dataSync())],
    ];
    for (const [pass, run] of passes) {
      const [simd, js] = time(run);
      console.log(`${T}\t${c.name}\t${pass}\t${simd.toFixed(1)}\t${js.toFixed(1)}\t${(js / simd).toFixed(2)}`);
    }
    // the SIMD path with the bias/mask kernels really ran (forward and backward routines)
    if (cpuAttentionStats.simdBiasMask === f0 || cpuAttentionBwdStats.simdBiasMask === b0) throw new Error(`${c.name}: the SIMD bias/mask path did not run`);
  }
}
