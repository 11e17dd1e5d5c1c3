/**
 * Where grad of causal attention should switch from the composition's
 * derivative (batched matmul + softmax + matmul, holding the [B, N, T, S]
 * probabilities) to the fused FlashAttention-2 backward
 * (`attentionPaths.fusedBackwardMinProbabilities` in src/lax/attention.ts).
 *
 * For each sequence length T (= S), B 8, 4 heads of 32, float32, it times
 * jit(grad(Σ dotProductAttention(q, k, v, causal))) with respect to q, k, v
 * twice: with the threshold at 0 (always fused) and at Infinity (always the
 * composition); each timed call ends in a readback of the three gradients.
 * Prints the best of REPS calls of each (after a warm-up; the two paths'
 * calls alternate, so that load from other processes slows both alike) in ms.
 *
 *   npx tsx bench/attention-crossover.ts [T ...]     (default 64 128 192 256 320 512)
 *   REPS=7 npx tsx bench/attention-crossover.ts 128
 */
import { grad, jit, nn, np, type Value } from "../src/index.js";
import { attentionPaths } from "../src/lax/attention.js";

const B = 8, N = 4, H = 32;
const REPS = Number(process.env.REPS ?? 5);
const lengths = process.argv.slice(2).map(Number);
const Ts = lengths.length ? lengths : [64, 128, 192, 256, 320, 512];

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = (s / 2 ** 32) * 2 - 1;
  }
  return a;
}

/** A jitted gradient function on one path (the threshold is read when the jvp is traced, at the first call). */
function prepare(T: number, threshold: number): () => void {
  const [q, k, v] = [1, 2, 3].map((s) => np.array(rand(B * T * N * H, s)).reshape([B, T, N, H]));
  const f = jit(grad((q: Value, k: Value, v: Value) => np.sum(nn.dotProductAttention(q, k, v, { isCausal: true })), { argnums: [0, 1, 2] }));
  const run = () => {
    const gs = f(q, k, v) as Value[];
    for (const g of gs) g.dataSync();
  };
  attentionPaths.fusedBackwardMinProbabilities = threshold;
  run(); // traces (with this threshold) and warms up
  return run;
}

/** The best of REPS calls of each path, the two alternating (so that a loaded machine slows both alike). */
function time(T: number): [number, number] {
  const paths = [prepare(T, 0), prepare(T, Infinity)];
  const best = [Infinity, Infinity];
  for (let r = 0; r < REPS; r++)
    paths.forEach((run, i) => {
      const t0 = performance.now();
      run();
      best[i] = Math.min(best[i], performance.now() - t0);
    });
  return best as [number, number];
}

console.log(`jit(grad) of causal attention, B ${B}, ${N} heads of ${H}, float32; best of ${REPS} calls (ms)`);
console.log("T\tB·N·T·S\tfused\tcomposition");
for (const T of Ts) {
  const [fused, comp] = time(T);
  console.log(`${T}\t${B * N * T * T}\t${fused.toFixed(1)}\t${comp.toFixed(1)}`);
}
