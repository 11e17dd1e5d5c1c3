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
 *    maximum and sum are recomputed (a rare row, read from global memory);
 * 2. dq, FlashAttention-2 style: a workgroup takes 64 consecutive query rows
 *    of one (batch, head); each thread keeps its query row, its dOut row and
 *    its dq accumulator in registers, and the workgroup walks the keys in
 *    tiles whose keys and values it loads together into workgroup memory,
 *    recomputing s = q·k (+ bias, masked), p, dp = dOut·v and
 *    ds = keep ? p·(dp − D) : 0; dq = Σ_s ds·k, dbias = ds;
 * 3. dk and dv: a workgroup takes 64 consecutive key rows of one (batch, key
 *    head); each thread keeps its key and value rows and both accumulators in
 *    registers, and the workgroup walks the queries of the heads sharing the
 *    key head in tiles of their q and dOut rows and row statistics;
 *    dk = Σ ds·q, dv = Σ p·dOut.
 *
 * Each thread adds its terms in the same order as a plain loop would (keys,
 * or heads then queries, ascending), so the tiles change where operands are
 * read from, not the numbers. A tile holds two [rows, H] blocks (plus the
 * query tile's 3 statistics a row) within 16 KiB, WebGPU's guaranteed
 * workgroup storage: at the largest head size (256) that is still 8 keys or
 * 7 queries, so every head size the forward kernel takes fits. With causal
 * masking and no mask, a query block stops after the tile holding its last
 * query's position and a key block starts at its first key's position (the
 * skipped pairs are masked for all of its rows); with bias, the skipped part
 * of dbias is written as zeros.
 *
 * On a software adapter (lavapipe) the plain kernels of attention-bwd-plain.ts
 * run instead (`webgpuAttentionBwdKernels.path`, "auto"): there the tiles'
 * barriers cost more than the global reads they save.
 */
import { UnsupportedError } from "../../errors.js";
import type { AttentionRoutineParams } from "../device.js";
import type { GpuBuffer } from "./buffers.js";
import { alloc, release, upload } from "./buffers.js";
import { dispatch, grid, onSoftwareAdapter } from "./context.js";
import type { RoutineFamily } from "./routines.js";
import { memoSource } from "./routines.js";
import { WEBGPU_ATTENTION_MAX_HEAD } from "./attention.js";
import { PLAIN_THREADS, plainShader } from "./attention-bwd-plain.js";

/** Threads of a workgroup: query rows of a dq block, key rows of a dk/dv block, rows of the statistics kernel. */
const ROWS = 64;
/** WebGPU's guaranteed maxComputeWorkgroupStorageSize, in bytes. */
const WORKGROUP_BYTES = 16384;

/** How many times the routine ran, and with the tiled kernels (tests check that the fused backward was taken, and which). */
export const webgpuAttentionBwdStats = { calls: 0, tiled: 0 };

/**
 * Which dq and dk/dv kernels run: "auto" (the plain ones on a software
 * adapter, where they are faster, else the tiled ones), or either always
 * (tests run both on every adapter, the benchmark compares them).
 */
export const webgpuAttentionBwdKernels: { path: "auto" | "tiled" | "plain" } = { path: "auto" };

/**
 * Rows per tile: keys of the dq kernel (a key and a value row, 8·H bytes each)
 * and queries of the dk/dv kernel (a q and a dOut row plus 3 statistics,
 * 8·H + 12 bytes each), as many as fit the workgroup storage, at most ROWS.
 */
export function attentionBwdTiles(H: number): { keys: number; queries: number } {
  return {
    keys: Math.min(ROWS, Math.floor(WORKGROUP_BYTES / (8 * H))),
    queries: Math.min(ROWS, Math.floor(WORKGROUP_BYTES / (8 * H + 12))),
  };
}

const PARAMS = ["B", "T", "N", "S", "K", "H", "BK", "BQ"] as const;

type Stage = "rows" | "dq" | "dkv";

/** Bindings: the outputs first (read_write), then the inputs each stage reads, then the parameters. */
function bindings(stage: Stage, hasBias: boolean, hasMask: boolean): { outputs: string[]; inputs: string[] } {
  const optional = [...(hasBias ? ["bias"] : []), ...(hasMask ? ["mask"] : [])];
  if (stage === "rows") return { outputs: ["stats"], inputs: ["q", "k", ...optional, "outv", "lse", "dout", "dlse"] };
  if (stage === "dq") return { outputs: ["dq", ...(hasBias ? ["dbias"] : [])], inputs: ["q", "k", "v", ...optional, "dout", "stats"] };
  return { outputs: ["dk", "dv"], inputs: ["q", "k", "v", ...optional, "dout", "stats"] };
}

function shader(stage: Stage, H: number, causal: boolean, hasBias: boolean, hasMask: boolean, tiled: boolean): string {
  const { outputs, inputs } = bindings(stage, hasBias, hasMask);
  const tiles = attentionBwdTiles(H);
  const decls = [
    ...outputs.map((name, i) => `@group(0) @binding(${i}) var<storage, read_write> ${name}: array<f32>;`),
    ...inputs.map((name, i) => `@group(0) @binding(${outputs.length + i}) var<storage, read> ${name}: array<f32>;`),
    `@group(0) @binding(${outputs.length + inputs.length}) var<storage, read> prm: array<u32>;`,
  ];
  // bias and masks at row r (of B·N·T) and key j, then the causal mask; masked logits become MASKED and keep 0
  const maskLogit = (x: string, r: string, j: string, t: string) => `${hasBias ? `${x} += bias[${r} * S + ${j}];` : ""}
        var keep = 1.0;
        ${hasMask ? `if (!(mask[${r} * S + ${j}] > 0.0)) { keep = 0.0; }` : ""}
        ${causal ? `if (${j} > ${t}) { keep = 0.0; }` : ""}
        if (keep == 0.0) { ${x} = MASKED; }`;
  const head = `// fused attention backward, ${stage} (H ${H}${stage === "dq" ? `, tile ${tiles.keys} keys` : stage === "dkv" ? `, tile ${tiles.queries} queries` : ""})
${decls.join("\n")}
${PARAMS.map((name, i) => `fn p${name}() -> u32 { return prm[${i}]; }`).join("\n")}
const MASKED = ${(-0.7 * 3.4028234663852886e38).toExponential(8)};`;
  const entry = `@compute @workgroup_size(${ROWS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let T = pT();
  let S = pS();
  let N = pN();
  let K = pK();
  let G = N / K;
  // the head size and tile lengths from the parameters, not constants: software Vulkan (lavapipe) unrolls
  // constant-bound loops, which makes its compiler slow (see attention.ts)
  let H = pH();
  let g = wid.y * groups.x + wid.x;`;
  if (!tiled && stage !== "rows") return plainShader(stage, H, causal, hasBias, hasMask, head, maskLogit);
  const plainCausal = causal && !hasMask;
  if (stage === "rows") {
    // the logit of query row qb (into q) and key row kb (into k) at row r, key j, query t, masked
    return `${head}
fn logit(qb: u32, kb: u32, r: u32, j: u32, t: u32) -> f32 {
  let S = pS();
  var x = 0.0;
  for (var h = 0u; h < pH(); h++) { x += q[qb + h] * k[kb + h]; }
  ${maskLogit("x", "r", "j", "t")}
  return x;
}
${entry}
  let i = g * ${ROWS}u + lid;
  if (i >= pB() * N * T) { return; }
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
    for (var j = 0u; j < S; j++) { m = max(m, logit(o, ((b * S + j) * K + n / G) * H, i, j, t)); }
    var l = 0.0;
    for (var j = 0u; j < S; j++) { l += exp(logit(o, ((b * S + j) * K + n / G) * H, i, j, t) - m); }
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
var<workgroup> ks: array<f32, ${tiles.keys * H}>;
var<workgroup> vs: array<f32, ${tiles.keys * H}>;
${entry}
  let BK = pBK();
  let blocks = (T + ${ROWS - 1}u) / ${ROWS}u;
  if (g >= pB() * N * blocks) { return; }
  let bn = g / blocks;
  let t0 = (g % blocks) * ${ROWS}u;
  let b = bn / N;
  let n = bn % N;
  let kvh = n / G;
  let t = t0 + lid;
  let live = t < T;
  let r = bn * T + min(t, T - 1u);
  let o = ((b * T + min(t, T - 1u)) * N + n) * H;
  let d = stats[3u * r];
  let shift = stats[3u * r + 1u];
  let scale = stats[3u * r + 2u];
  var qr: array<f32, ${H}>;
  var dor: array<f32, ${H}>;
  var acc: array<f32, ${H}>;
  for (var h = 0u; h < H; h++) {
    qr[h] = q[o + h];
    dor[h] = dout[o + h];
    acc[h] = 0.0;
  }
  ${plainCausal ? `let send = min(S, t0 + ${ROWS}u);` : "let send = S;"}
  for (var j0 = 0u; j0 < send; j0 += BK) {
    for (var i = lid; i < BK * H; i += ${ROWS}u) {
      let src = ((b * S + min(j0 + i / H, S - 1u)) * K + kvh) * H + i % H;
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
        ${maskLogit("x", "r", "j", "t")}
        let p = exp(x - shift) * scale;
        var dp = 0.0;
        for (var h = 0u; h < H; h++) { dp += dor[h] * vs[jj * H + h]; }
        let ds = select(0.0, p * (dp - d), keep > 0.0);
        ${hasBias ? "dbias[r * S + j] = ds;" : ""}
        for (var h = 0u; h < H; h++) { acc[h] += ds * ks[jj * H + h]; }
      }
    }
    workgroupBarrier();
  }
  if (live) {
    ${hasBias && plainCausal ? "for (var j = send; j < S; j++) { dbias[r * S + j] = 0.0; }" : ""}
    for (var h = 0u; h < H; h++) { dq[o + h] = acc[h]; }
  }
}`;
  }
  return `${head}
var<workgroup> qs: array<f32, ${tiles.queries * H}>;
var<workgroup> dos: array<f32, ${tiles.queries * H}>;
var<workgroup> st: array<f32, ${3 * tiles.queries}>;
${entry}
  let BQ = pBQ();
  let blocks = (S + ${ROWS - 1}u) / ${ROWS}u;
  if (g >= pB() * K * blocks) { return; }
  let bk = g / blocks;
  let j0 = (g % blocks) * ${ROWS}u;
  let b = bk / K;
  let kvh = bk % K;
  let j = j0 + lid;
  let live = j < S;
  let kb = ((b * S + min(j, S - 1u)) * K + kvh) * H;
  var kr: array<f32, ${H}>;
  var vr: array<f32, ${H}>;
  var ak: array<f32, ${H}>;
  var av: array<f32, ${H}>;
  for (var h = 0u; h < H; h++) {
    kr[h] = k[kb + h];
    vr[h] = v[kb + h];
    ak[h] = 0.0;
    av[h] = 0.0;
  }
  for (var gi = 0u; gi < G; gi++) {
    let n = kvh * G + gi;
    let rn = (b * N + n) * T;
    ${plainCausal ? "for (var t0 = min(j0, T); t0 < T; t0 += BQ) {" : "for (var t0 = 0u; t0 < T; t0 += BQ) {"}
      for (var i = lid; i < BQ * H; i += ${ROWS}u) {
        let src = ((b * T + min(t0 + i / H, T - 1u)) * N + n) * H + i % H;
        qs[i] = q[src];
        dos[i] = dout[src];
      }
      for (var i = lid; i < 3u * BQ; i += ${ROWS}u) {
        st[i] = stats[3u * (rn + min(t0 + i / 3u, T - 1u)) + i % 3u];
      }
      workgroupBarrier();
      let tn = min(BQ, T - t0);
      if (live) {
        for (var tt = 0u; tt < tn; tt++) {
          let t = t0 + tt;
          let r = rn + t;
          var x = 0.0;
          for (var h = 0u; h < H; h++) { x += qs[tt * H + h] * kr[h]; }
          ${maskLogit("x", "r", "j", "t")}
          let p = exp(x - st[3u * tt + 1u]) * st[3u * tt + 2u];
          var dp = 0.0;
          for (var h = 0u; h < H; h++) { dp += dos[tt * H + h] * vr[h]; }
          let ds = select(0.0, p * (dp - st[3u * tt]), keep > 0.0);
          for (var h = 0u; h < H; h++) {
            av[h] += p * dos[tt * H + h];
            ak[h] += ds * qs[tt * H + h];
          }
        }
      }
      workgroupBarrier();
    }
  }
  if (live) {
    for (var h = 0u; h < H; h++) {
      dk[kb + h] = ak[h];
      dv[kb + h] = av[h];
    }
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
  const { path } = webgpuAttentionBwdKernels;
  const tiled = path === "tiled" || (path === "auto" && !onSoftwareAdapter());
  if (tiled) webgpuAttentionBwdStats.tiled++;
  const run = (stage: Stage, buffers: GpuBuffer[], outputs: number, groups: number) => {
    if (groups === 0) return;
    const wgsl = memoSource(`attention_bwd:${stage}:${tiled ? "tiled" : "plain"}:${H}:${causal}:${hasBias}:${hasMask}`, () => shader(stage, H, causal, hasBias, hasMask, tiled));
    dispatch({ wgsl, buffers, workgroups: grid(groups), outputs, what: `attention_bwd ${stage}` });
  };
  const tiles = attentionBwdTiles(H);
  const prm = upload(Uint32Array.from([B, T, N, S, K, H, tiles.keys, tiles.queries]), "uint32");
  const stats = alloc("float32", 3 * B * N * T);
  run("rows", [stats, q, k, ...optional, out, lse, dOut, dLse, prm], 1, Math.ceil((B * N * T) / ROWS));
  // a tiled workgroup takes a block of ROWS rows of one (batch, head); a plain one any PLAIN_THREADS consecutive rows
  const rowGroups = (blocks: number, rows: number) => (tiled ? blocks * Math.ceil(rows / ROWS) : Math.ceil((blocks * rows) / PLAIN_THREADS));
  run("dq", [dq, ...(dbias ? [dbias] : []), q, k, v, ...optional, dOut, stats, prm], dbias ? 2 : 1, rowGroups(B * N, T));
  run("dkv", [dk, dv, q, k, v, ...optional, dOut, stats, prm], 2, rowGroups(B * K, S));
  release(stats);
  release(prm);
  return results;
}

/** The WebGPU `attention_bwd` routine. */
export const attentionBwdRoutines = {
  attention_bwd: (inputs, _inTypes, _outTypes, params) => attentionBwd(inputs, params),
} satisfies RoutineFamily;
