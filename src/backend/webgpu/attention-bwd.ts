/**
 * The WebGPU fused attention backward pass (the `attention_bwd` routine of
 * backend/device.ts; the primitive dot_product_attention_bwd is in
 * src/lax/attention.ts; the CPU's is cpu/attention-bwd.ts, which says the
 * arithmetic). Three kernels, none of which writes a [T, S] matrix (only
 * dbias, which is one):
 *
 * 1. per query row (b, n, t): D = Σ_h dOut·out − dLse, and the shift and
 *    scale with which p = exp(s − shift)·scale: lse and 1, except in a fully
 *    masked row, whose lse lost its log S to rounding, where the row's own
 *    maximum and sum are recomputed;
 * 2. per query row: walks the keys, recomputing s = q·k (+ bias, masked), p,
 *    dp = dOut·v and ds = keep ? p·(dp − D) : 0; dq = Σ_s ds·k, dbias = ds;
 * 3. per key row (b, key head, s): walks the queries of the heads sharing it,
 *    recomputing the same; dk = Σ ds·q, dv = Σ p·dOut.
 *
 * A thread keeps its rows and accumulators in registers (head size H ≤ 256,
 * as the forward kernel). With causal masking and no mask, row walks stop
 * at the diagonal. Plain loops over global memory, no workgroup tiles: a
 * first kernel, correct on every shape the forward takes.
 */
import { UnsupportedError } from "../../errors.js";
import type { AttentionRoutineParams } from "../device.js";
import type { GpuBuffer } from "./buffers.js";
import { alloc, release, upload } from "./buffers.js";
import { dispatch, grid } from "./context.js";
import type { RoutineFamily } from "./routines.js";
import { memoSource } from "./routines.js";
import { WEBGPU_ATTENTION_MAX_HEAD } from "./attention.js";

const THREADS = 64;

/** How many times the routine ran (tests check that the fused backward was taken). */
export const webgpuAttentionBwdStats = { calls: 0 };

const PARAMS = ["B", "T", "N", "S", "K", "H"] as const;

type Stage = "rows" | "dq" | "dkv";

/** Bindings: the outputs first (read_write), then the inputs each stage reads, then the parameters. */
function bindings(stage: Stage, hasBias: boolean, hasMask: boolean): { outputs: string[]; inputs: string[] } {
  const optional = [...(hasBias ? ["bias"] : []), ...(hasMask ? ["mask"] : [])];
  if (stage === "rows") return { outputs: ["stats"], inputs: ["q", "k", ...optional, "outv", "lse", "dout", "dlse"] };
  if (stage === "dq") return { outputs: ["dq", ...(hasBias ? ["dbias"] : [])], inputs: ["q", "k", "v", ...optional, "dout", "stats"] };
  return { outputs: ["dk", "dv"], inputs: ["q", "k", "v", ...optional, "dout", "stats"] };
}

function shader(stage: Stage, H: number, causal: boolean, hasBias: boolean, hasMask: boolean): string {
  const { outputs, inputs } = bindings(stage, hasBias, hasMask);
  const decls = [
    ...outputs.map((name, i) => `@group(0) @binding(${i}) var<storage, read_write> ${name}: array<f32>;`),
    ...inputs.map((name, i) => `@group(0) @binding(${outputs.length + i}) var<storage, read> ${name}: array<f32>;`),
    `@group(0) @binding(${outputs.length + inputs.length}) var<storage, read> prm: array<u32>;`,
  ];
  // the logit of query row qb (into q) and key row kb (into k) at position (row r, key j, query t), masked
  const logit = `fn logit(qb: u32, kb: u32, r: u32, j: u32, t: u32) -> vec2<f32> {
  var x = 0.0;
  for (var h = 0u; h < pH(); h++) { x += q[qb + h] * k[kb + h]; }
  ${hasBias ? "x += bias[r * pS() + j];" : ""}
  var keep = 1.0;
  ${hasMask ? "if (!(mask[r * pS() + j] > 0.0)) { keep = 0.0; }" : ""}
  ${causal ? "if (j > t) { keep = 0.0; }" : ""}
  if (keep == 0.0) { x = MASKED; }
  return vec2<f32>(x, keep);
}`;
  const head = `// fused attention backward, ${stage} (H ${H})
${decls.join("\n")}
${PARAMS.map((name, i) => `fn p${name}() -> u32 { return prm[${i}]; }`).join("\n")}
const MASKED = ${(-0.7 * 3.4028234663852886e38).toExponential(8)};
${logit}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let T = pT();
  let S = pS();
  let N = pN();
  let K = pK();
  let G = N / K;
  let H = pH();
  let i = (wid.y * groups.x + wid.x) * ${THREADS}u + lid;
  let rows = pB() * N * T;`;
  const plainCausal = causal && !hasMask;
  if (stage === "rows") {
    return `${head}
  if (i >= rows) { return; }
  let b = i / (N * T);
  let n = (i / T) % N;
  let t = i % T;
  let o = ((b * T + t) * N + n) * H;
  var d = 0.0;
  for (var h = 0u; h < H; h++) { d += dout[o + h] * outv[o + h]; }
  var shift = lse[i];
  var scale = 1.0;
  if (lse[i] < MASKED * 0.5) {
    // a fully masked row: its own maximum and sum
    var m = bitcast<f32>(0xff7fffffu);
    for (var j = 0u; j < S; j++) { m = max(m, logit(o, ((b * S + j) * K + n / G) * H, i, j, t).x); }
    var l = 0.0;
    for (var j = 0u; j < S; j++) { l += exp(logit(o, ((b * S + j) * K + n / G) * H, i, j, t).x - m); }
    shift = m;
    scale = 1.0 / l;
  }
  stats[3u * i] = d - dlse[i];
  stats[3u * i + 1u] = shift;
  stats[3u * i + 2u] = scale;
}`;
  }
  if (stage === "dq") {
    return `${head}
  if (i >= rows) { return; }
  let b = i / (N * T);
  let n = (i / T) % N;
  let t = i % T;
  let o = ((b * T + t) * N + n) * H;
  let d = stats[3u * i];
  let shift = stats[3u * i + 1u];
  let scale = stats[3u * i + 2u];
  var acc: array<f32, ${H}>;
  for (var h = 0u; h < H; h++) { acc[h] = 0.0; }
  ${plainCausal && !hasBias ? "let send = min(S, t + 1u);" : "let send = S;"}
  for (var j = 0u; j < send; j++) {
    let kb = ((b * S + j) * K + n / G) * H;
    let xk = logit(o, kb, i, j, t);
    let p = exp(xk.x - shift) * scale;
    var dp = 0.0;
    for (var h = 0u; h < H; h++) { dp += dout[o + h] * v[kb + h]; }
    let ds = select(0.0, p * (dp - d), xk.y > 0.0);
    ${hasBias ? "dbias[i * S + j] = ds;" : ""}
    for (var h = 0u; h < H; h++) { acc[h] += ds * k[kb + h]; }
  }
  for (var h = 0u; h < H; h++) { dq[o + h] = acc[h]; }
}`;
  }
  return `${head}
  if (i >= pB() * S * K) { return; }
  let b = i / (S * K);
  let j = (i / K) % S;
  let kvh = i % K;
  let kb = i * H;
  var ak: array<f32, ${H}>;
  var av: array<f32, ${H}>;
  for (var h = 0u; h < H; h++) { ak[h] = 0.0; av[h] = 0.0; }
  for (var g = 0u; g < G; g++) {
    let n = kvh * G + g;
    ${plainCausal ? "for (var t = j; t < T; t++) {" : "for (var t = 0u; t < T; t++) {"}
      let r = (b * N + n) * T + t;
      let o = ((b * T + t) * N + n) * H;
      let xk = logit(o, kb, r, j, t);
      let p = exp(xk.x - stats[3u * r + 1u]) * stats[3u * r + 2u];
      var dp = 0.0;
      for (var h = 0u; h < H; h++) { dp += dout[o + h] * v[kb + h]; }
      let ds = select(0.0, p * (dp - stats[3u * r]), xk.y > 0.0);
      for (var h = 0u; h < H; h++) {
        av[h] += p * dout[o + h];
        ak[h] += ds * q[o + h];
      }
    }
  }
  for (var h = 0u; h < H; h++) {
    dk[kb + h] = ak[h];
    dv[kb + h] = av[h];
  }
}`;
}

function attentionBwd(inputs: GpuBuffer[], p: AttentionRoutineParams): GpuBuffer[] {
  const { B, T, N, S, K, H, causal, hasBias, hasMask } = p;
  if (H > WEBGPU_ATTENTION_MAX_HEAD) {
    throw new UnsupportedError(`attention_bwd: the WebGPU fused kernel takes head sizes up to ${WEBGPU_ATTENTION_MAX_HEAD}, got ${H}; nn.dotProductAttention uses matmul + softmax + matmul for larger heads`);
  }
  webgpuAttentionBwdStats.calls++;
  const nPrimal = 3 + (hasBias ? 1 : 0) + (hasMask ? 1 : 0);
  const [q, k, v] = inputs;
  const optional = inputs.slice(3, nPrimal);
  const [out, lse, dOut, dLse] = inputs.slice(nPrimal);
  const dq = alloc("float32", B * T * N * H);
  const dk = alloc("float32", B * S * K * H);
  const dv = alloc("float32", B * S * K * H);
  const dbias = hasBias ? alloc("float32", B * N * T * S) : undefined;
  const results = dbias ? [dq, dk, dv, dbias] : [dq, dk, dv];
  if (S === 0 || H === 0) {
    if (B * N * T === 0 && B * S * K === 0) return results;
    throw new UnsupportedError(`attention_bwd: the WebGPU fused kernel needs keys and a head size (S, H ≥ 1), got S = ${S}, H = ${H}; nn.dotProductAttention uses matmul + softmax + matmul there`);
  }
  const run = (stage: Stage, buffers: GpuBuffer[], outputs: number, threads: number) => {
    const wgsl = memoSource(`attention_bwd:${stage}:${H}:${causal}:${hasBias}:${hasMask}`, () => shader(stage, H, causal, hasBias, hasMask));
    dispatch({ wgsl, buffers, workgroups: grid(Math.ceil(threads / THREADS)), outputs, what: `attention_bwd ${stage}` });
  };
  const prm = upload(Uint32Array.from([B, T, N, S, K, H]), "uint32");
  const stats = alloc("float32", 3 * B * N * T);
  run("rows", [stats, q, k, ...optional, out, lse, dOut, dLse, prm], 1, B * N * T);
  run("dq", [dq, ...(dbias ? [dbias] : []), q, k, v, ...optional, dOut, stats, prm], dbias ? 2 : 1, B * N * T);
  run("dkv", [dk, dv, q, k, v, ...optional, dOut, stats, prm], 2, B * S * K);
  release(stats);
  release(prm);
  return results;
}

/** The WebGPU `attention_bwd` routine. */
export const attentionBwdRoutines = {
  attention_bwd: (inputs, _inTypes, _outTypes, params) => attentionBwd(inputs, params),
} satisfies RoutineFamily;
