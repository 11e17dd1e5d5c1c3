/**
 * Householder QR on WebGPU with one workgroup (QR_THREADS invocations) per
 * matrix, for matrices too large for linalg.ts's one-thread-per-matrix kernel
 * (the qr routine there calls this from `gpuQrPaths.workgroupMinN` on).
 *
 * The same algorithm and signs as that kernel and the CPU's (LAPACK's
 * dgeqrf/dorgqr conventions: β = −sign(α)·‖x‖, τ = (β − α)/β, v scaled so
 * v₀ = 1, τ = 0 where the column below the diagonal is already zero), with
 * the work of each step spread over the workgroup:
 * - applying the reflector to the trailing columns, and later to Q's
 *   columns when Q is formed backwards from the identity: one column per
 *   invocation (adjacent invocations read adjacent addresses of the
 *   row-major matrix), each computing its column's dot product with v and
 *   its update; v's rows are first staged in workgroup memory (when m − 1 ≤
 *   QR_STAGED_ROWS; read from the matrix otherwise);
 * - the next reflector's norm and α: the invocation that updates column
 *   j + 1 sums its squares below the diagonal as it finishes it and leaves
 *   them in workgroup memory (double-buffered by step parity), so a step
 *   needs no reduction tree: its critical path is one column's update,
 *   O(m), either way;
 * - scaling a reflector in place (one row per invocation) is done one step
 *   later, while nothing reads that column (the update of step j reads v
 *   unscaled and multiplies by 1/(α − β) itself).
 * Steps are separated by barriers (the matrix lives in global memory), three
 * per step; every barrier is in uniform control flow and the work it
 * separates is guarded by conditions instead. A batch takes one workgroup
 * per matrix.
 */
import type { GpuBuffer } from "./buffers.js";
import { upload, release } from "./buffers.js";
import { dispatch, grid } from "./context.js";

/** Invocations per workgroup (the WebGPU default limit). */
export const QR_THREADS = 256;

/** Which path the WebGPU qr routine takes: the workgroup kernel from this max(m, n) on (Infinity: never). */
export const gpuQrPaths = { workgroupMinN: 32 };

/** How many times the workgroup kernel was dispatched (tests check that it ran). */
export const qrWorkgroupStats = { dispatches: 0 };

/** The label of its dispatch (errors name it). */
export const QR_WORKGROUP_WHAT = "linalg qr (workgroup)";

const T = QR_THREADS;
/** Rows of the reflector staged in workgroup memory (12 KiB of the 16 KiB WebGPU guarantees). */
export const QR_STAGED_ROWS = 3072;
const V_ROWS = QR_STAGED_ROWS;

const QR_WORKGROUP = `@group(0) @binding(0) var<storage, read_write> Q: array<f32>;
@group(0) @binding(1) var<storage, read_write> R: array<f32>;
@group(0) @binding(2) var<storage, read_write> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> tau: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read> prm: array<u32>;
var<workgroup> ssBuf: array<f32, 2>;
var<workgroup> alphaBuf: array<f32, 2>;
// the reflector's rows below the diagonal, when they fit (m ≤ V_ROWS + 1)
var<workgroup> vsh: array<f32, ${V_ROWS}>;
@compute @workgroup_size(${T})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // prm: groups per grid row, matrices, m, n, cols (Q's columns)
  let b = wg.y * prm[0] + wg.x;
  if (b >= prm[1]) { return; }
  let m = prm[2];
  let n = prm[3];
  let cols = prm[4];
  let k = min(m, n);
  let o = b * m * n;
  let to = b * k;
  for (var i = lid; i < m * n; i += ${T}u) { W[o + i] = x[o + i]; }
  storageBarrier();
  // column 0's α and Σ_{i>0} x_i², for step 0 (later the thread that updates column j + 1 leaves them)
  if (lid == 0u && k > 0u) {
    var ss0 = 0.0;
    for (var i = 1u; i < m; i++) { let e = W[o + i * n]; ss0 += e * e; }
    ssBuf[0] = ss0;
    alphaBuf[0] = W[o];
  }
  workgroupBarrier();
  // step j - 1's reflector, scaled in place during step j (step j - 1 still read it unscaled)
  var prevLive = false;
  var prevScale = 0.0;
  var prevBeta = 0.0;
  for (var j = 0u; j < k; j++) {
    let ss = ssBuf[j % 2u];
    let alpha = alphaBuf[j % 2u];
    let live = ss != 0.0;
    let norm = sqrt(alpha * alpha + ss);
    let beta = select(norm, -norm, alpha >= 0.0);
    let t = select(0.0, (beta - alpha) / beta, live);
    let scale = 1.0 / (alpha - beta);
    if (lid == 0u) { tau[to + j] = t; }
    if (prevLive) {
      for (var i = j + lid; i < m; i += ${T}u) { W[o + i * n + j - 1u] *= prevScale; }
      if (lid == 0u) { W[o + (j - 1u) * n + j - 1u] = prevBeta; }
    }
    // H = I − t·v·vᵀ with v = (1, scale·W[j+1.., j]) on every trailing column, one column per invocation
    let staged = m <= ${V_ROWS + 1}u;
    if (staged) { for (var i = j + 1u + lid; i < m; i += ${T}u) { vsh[i - j - 1u] = W[o + i * n + j]; } }
    workgroupBarrier();
    for (var c = j + 1u + lid; c < n; c += ${T}u) {
      if (live && staged) {
        var s = 0.0;
        for (var i = j + 1u; i < m; i++) { s += vsh[i - j - 1u] * W[o + i * n + c]; }
        s = t * (W[o + j * n + c] + scale * s);
        W[o + j * n + c] -= s;
        let sv = s * scale;
        for (var i = j + 1u; i < m; i++) { W[o + i * n + c] -= sv * vsh[i - j - 1u]; }
      } else if (live) {
        var s = 0.0;
        for (var i = j + 1u; i < m; i++) { s += W[o + i * n + j] * W[o + i * n + c]; }
        s = t * (W[o + j * n + c] + scale * s);
        W[o + j * n + c] -= s;
        let sv = s * scale;
        for (var i = j + 1u; i < m; i++) { W[o + i * n + c] -= sv * W[o + i * n + j]; }
      }
      if (c == j + 1u) {
        // the next step's α and norm, from the column this invocation just finished
        var sn = 0.0;
        for (var i = c + 1u; i < m; i++) { let e = W[o + i * n + c]; sn += e * e; }
        ssBuf[c % 2u] = sn;
        alphaBuf[c % 2u] = W[o + c * n + c];
      }
    }
    prevLive = live;
    prevScale = scale;
    prevBeta = beta;
    storageBarrier();
    workgroupBarrier();
  }
  if (prevLive) {
    for (var i = k + lid; i < m; i += ${T}u) { W[o + i * n + k - 1u] *= prevScale; }
    if (lid == 0u) { W[o + (k - 1u) * n + k - 1u] = prevBeta; }
  }
  storageBarrier();
  let qo = b * m * cols;
  for (var e = lid; e < m * cols; e += ${T}u) { Q[qo + e] = select(0.0, 1.0, e / cols == e % cols); }
  storageBarrier();
  for (var jj = 0u; jj < k; jj++) {
    let j = k - 1u - jj;
    let t = tau[to + j];
    let staged = m <= ${V_ROWS + 1}u;
    if (staged) { for (var i = j + 1u + lid; i < m; i += ${T}u) { vsh[i - j - 1u] = W[o + i * n + j]; } }
    workgroupBarrier();
    if (t != 0.0) {
      for (var c = lid; c < cols; c += ${T}u) {
        var s = Q[qo + j * cols + c];
        if (staged) {
          for (var i = j + 1u; i < m; i++) { s += vsh[i - j - 1u] * Q[qo + i * cols + c]; }
          s *= t;
          Q[qo + j * cols + c] -= s;
          for (var i = j + 1u; i < m; i++) { Q[qo + i * cols + c] -= s * vsh[i - j - 1u]; }
        } else {
          for (var i = j + 1u; i < m; i++) { s += W[o + i * n + j] * Q[qo + i * cols + c]; }
          s *= t;
          Q[qo + j * cols + c] -= s;
          for (var i = j + 1u; i < m; i++) { Q[qo + i * cols + c] -= s * W[o + i * n + j]; }
        }
      }
    }
    storageBarrier();
    // everyone is done with vsh before the next step stages its reflector
    workgroupBarrier();
  }
  let ro = b * cols * n;
  for (var e = lid; e < cols * n; e += ${T}u) {
    let i = e / n;
    let c = e % n;
    R[ro + e] = select(0.0, W[o + i * n + c], c >= i && i < m);
  }
}`;

/**
 * Q (m×cols), R (cols×n) of `batch` row-major m×n matrices in `x`, one
 * workgroup each; `w` (batch·m·n) and `tau` (batch·min(m, n)) are scratch.
 */
export function qrWorkgroupGpu(
  q: GpuBuffer, r: GpuBuffer, w: GpuBuffer, tau: GpuBuffer, x: GpuBuffer,
  batch: number, m: number, n: number, cols: number,
): void {
  const g = grid(batch);
  const prm = upload(Uint32Array.from([g[0], batch, m, n, cols]), "uint32");
  dispatch({ wgsl: QR_WORKGROUP, buffers: [q, r, w, tau, x, prm], workgroups: g, outputs: 4, what: QR_WORKGROUP_WHAT });
  release(prm);
  qrWorkgroupStats.dispatches++;
}
