/**
 * The WebGPU fused attention routine (the `attention` routine of
 * backend/device.ts; the primitive is src/lax/attention.ts): a
 * flash-attention-style kernel. A workgroup takes 64 consecutive query rows
 * of one (batch, head); each thread keeps its query row and its output
 * accumulator in registers and walks the keys in tiles that the workgroup
 * loads together into workgroup memory (keys and values of BK positions,
 * BK · H · 8 bytes ≤ 16 KiB), with an online softmax: a running maximum m
 * and sum l, the accumulator rescaled by exp(m_old − m_new) when the
 * maximum grows. The [T, S] matrix is never written; the row's
 * log-sum-exp m + log l is (the backward pass recomputes the probabilities
 * from it). With causal masking and no explicit mask the workgroup stops
 * after the tile holding its last query's position (the later keys are
 * masked for all of its rows); with a mask every key is visited, so that a
 * fully masked row averages all values as JAX's does.
 *
 * Limit: head size H ≤ 256 (the registers of a thread's two rows);
 * nn.dotProductAttention falls back to matmul + softmax + matmul beyond it.
 * Shapes come from a small parameter buffer, so one pipeline serves each
 * (H, causal, bias, mask) combination.
 */
import { UnsupportedError } from "../../errors.js";
import type { AttentionRoutineParams } from "../device.js";
import type { GpuBuffer } from "./buffers.js";
import { alloc, release, upload } from "./buffers.js";
import { dispatch, grid } from "./context.js";
import type { RoutineFamily } from "./routines.js";
import { memoSource } from "./routines.js";

/** The largest head size the fused kernel takes. */
export const WEBGPU_ATTENTION_MAX_HEAD = 256;
const ROWS = 64;
const STORAGE = 16384;

/** How many times the routine ran (tests check that the fused path was taken). */
export const webgpuAttentionStats = { calls: 0 };

const PARAMS = ["B", "T", "N", "S", "K", "H", "BK"] as const;

/** Keys per tile: their keys and values fill at most 16 KiB of workgroup memory. */
const tileKeys = (H: number) => Math.max(1, Math.min(64, Math.floor(STORAGE / (8 * H))));

function shader(H: number, causal: boolean, hasBias: boolean, hasMask: boolean): string {
  const BK = tileKeys(H);
  let binding = 5;
  const extra: string[] = [];
  if (hasBias) extra.push(`@group(0) @binding(${binding++}) var<storage, read> bias: array<f32>;`);
  if (hasMask) extra.push(`@group(0) @binding(${binding++}) var<storage, read> mask: array<f32>;`);
  const prmBinding = binding;
  return `// fused attention (H ${H}, tile ${BK} keys)
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read_write> lse: array<f32>;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read> k: array<f32>;
@group(0) @binding(4) var<storage, read> v: array<f32>;
${extra.join("\n")}
@group(0) @binding(${prmBinding}) var<storage, read> prm: array<u32>;
${PARAMS.map((name, i) => `fn p${name}() -> u32 { return prm[${i}]; }`).join("\n")}

const MASKED = ${(-0.7 * 3.4028234663852886e38).toExponential(8)};
var<workgroup> ks: array<f32, ${BK * H}>;
var<workgroup> vs: array<f32, ${BK * H}>;

@compute @workgroup_size(${ROWS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let T = pT();
  let S = pS();
  let N = pN();
  let K = pK();
  // the head size and tile length from the parameters, not constants: software Vulkan (lavapipe) unrolls
  // constant-bound loops, which took its compiler about 17 s for this shader at H = 32
  let H = pH();
  let BK = pBK();
  let tiles = (T + ${ROWS - 1}u) / ${ROWS}u;
  let g = wid.y * groups.x + wid.x;
  if (g >= pB() * N * tiles) { return; }
  let bn = g / tiles;
  let t0 = (g % tiles) * ${ROWS}u;
  let b = bn / N;
  let n = bn % N;
  let kvh = n / (N / K);
  let t = t0 + lid;
  let live = t < T;
  var qr: array<f32, ${H}>;
  var acc: array<f32, ${H}>;
  let qBase = ((b * T + min(t, T - 1u)) * N + n) * H;
  for (var h = 0u; h < H; h++) {
    qr[h] = q[qBase + h];
    acc[h] = 0.0;
  }
  var m = bitcast<f32>(0xff7fffffu); // the lowest finite f32
  var l = 0.0;
  let rowBase = (bn * T + min(t, T - 1u)) * S;
  ${causal && !hasMask ? `let send = min(S, t0 + ${ROWS}u);` : "let send = S;"}
  for (var j0 = 0u; j0 < send; j0 += BK) {
    for (var i = lid; i < BK * H; i += ${ROWS}u) {
      let j = j0 + i / H;
      let src = ((b * S + min(j, S - 1u)) * K + kvh) * H + i % H;
      ks[i] = k[src];
      vs[i] = v[src];
    }
    workgroupBarrier();
    let jn = min(BK, send - j0);
    if (live) {
      for (var jj = 0u; jj < jn; jj++) {
        let j = j0 + jj;
        var x = 0.0;
        for (var h = 0u; h < H; h++) { x += qr[h] * ks[jj * H + h]; }
        ${hasBias ? "x += bias[rowBase + j];" : ""}
        ${hasMask ? "if (!(mask[rowBase + j] > 0.0)) { x = MASKED; }" : ""}
        ${causal ? "if (j > t) { x = MASKED; }" : ""}
        let mn = max(m, x);
        let c = exp(m - mn);
        let p = exp(x - mn);
        l = l * c + p;
        for (var h = 0u; h < H; h++) { acc[h] = acc[h] * c + p * vs[jj * H + h]; }
        m = mn;
      }
    }
    workgroupBarrier();
  }
  if (live) {
    let inv = 1.0 / l;
    let oBase = ((b * T + t) * N + n) * H;
    for (var h = 0u; h < H; h++) { out[oBase + h] = acc[h] * inv; }
    lse[bn * T + t] = m + log(l);
  }
}`;
}

function attention(inputs: GpuBuffer[], p: AttentionRoutineParams): GpuBuffer[] {
  const { B, T, N, S, K, H, causal, hasBias, hasMask } = p;
  if (H > WEBGPU_ATTENTION_MAX_HEAD) {
    throw new UnsupportedError(`attention: the WebGPU fused kernel takes head sizes up to ${WEBGPU_ATTENTION_MAX_HEAD}, got ${H}; nn.dotProductAttention uses matmul + softmax + matmul for larger heads`);
  }
  webgpuAttentionStats.calls++;
  const out = alloc("float32", B * T * N * H);
  const lse = alloc("float32", B * N * T);
  if (B * T * N === 0) return [out, lse];
  if (S === 0 || H === 0) throw new UnsupportedError(`attention: the WebGPU fused kernel needs keys and a head size (S, H ≥ 1), got S = ${S}, H = ${H}; nn.dotProductAttention uses matmul + softmax + matmul there`);
  const wgsl = memoSource(`attention:${H}:${causal}:${hasBias}:${hasMask}`, () => shader(H, causal, hasBias, hasMask));
  const prm = upload(Uint32Array.from([B, T, N, S, K, H, tileKeys(H)]), "uint32");
  const groups = B * N * Math.ceil(T / ROWS);
  dispatch({ wgsl, buffers: [out, lse, ...inputs, prm], workgroups: grid(groups), outputs: 2, what: "attention" });
  release(prm);
  return [out, lse];
}

/** The WebGPU `attention` routine. */
export const attentionRoutines = {
  attention: (inputs, _inTypes, _outTypes, params) => attention(inputs, params),
} satisfies RoutineFamily;
