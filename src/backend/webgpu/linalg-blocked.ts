/**
 * Blocked right-looking Cholesky and LU on WebGPU for large matrices (the
 * routines of linalg.ts call them from GPU_BLOCKED_MIN_N on; below it one
 * thread factors a whole matrix, which suits batches of small ones). Per
 * panel of NB columns, three dispatches:
 * - the panel: Cholesky's NB×NB diagonal block, or LU's m×NB panel with its
 *   pivot search and row swaps, by one thread per matrix (NB is small);
 * - the off-panel solve: Cholesky's L21 = A21·L11⁻ᵀ with one thread per row,
 *   LU's U12 = L11⁻¹·A12 with one thread per column;
 * - the trailing update A22 −= L21·U12 (Cholesky: L21·L21ᵀ, lower half), a
 *   tiled matrix-product kernel (16×16 tiles, operands staged in workgroup
 *   memory): all the O(n³) work, spread over the device.
 * The same algorithm, pivots and NaN conventions as the CPU's
 * (../cpu/linalg-blocked.ts), in f32. A batch of large matrices goes in the
 * same dispatches (thread indices run over the matrices too).
 */
import type { GpuBuffer } from "./buffers.js";
import { alloc, release, upload } from "./buffers.js";
import { dispatch } from "./context.js";
// (the kernels are made on first use: this module and linalg.ts import each other)
import { header, luColumnsWgsl, NAN_BITS, run } from "./linalg.js";

/** Panel width (at most 32: the update kernel's tiles are 16×32). */
export const GPU_NB = 32;
/** Matrices at least this big take the blocked kernels. */
export const GPU_BLOCKED_MIN_N = 64;

// ---- the trailing update, a tiled product ----------------------------------------------------

const TILE = 16;

/**
 * A22 −= A21·B12 for the panel k0..end of every matrix (workgroup z): a
 * 16×16 tile of A22 per workgroup, A21's 16×kb rows and B12's kb×16 columns
 * staged in workgroup memory, kb ≤ 32 multiply-adds per thread from there.
 * `sym` = 1 is Cholesky's L21·L21ᵀ: B12 read transposed from L21, only the
 * lower half written (tiles wholly above the diagonal skip their loads).
 * The barrier sits in uniform control flow: no early return.
 */
const UPDATE = `@group(0) @binding(0) var<storage, read_write> X: array<f32>;
@group(0) @binding(1) var<storage, read> prm: array<u32>;
var<workgroup> ta: array<f32, ${TILE * 32}>;
var<workgroup> tb: array<f32, ${TILE * 32}>;
@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let m = prm[0];
  let n = prm[1];
  let k0 = prm[2];
  let kb = prm[3];
  let rows = prm[4];
  let cols = prm[5];
  let sym = prm[6];
  let end = k0 + kb;
  let o = wg.z * m * n;
  let i0 = wg.y * ${TILE}u;
  let j0 = wg.x * ${TILE}u;
  let busy = sym == 0u || j0 <= i0 + ${TILE - 1}u;
  let t = lid.y * ${TILE}u + lid.x;
  if (busy) {
    for (var e = t; e < ${TILE * 32}u; e += ${TILE * TILE}u) {
      let r = e / 32u;
      let p = e % 32u;
      var va = 0.0;
      if (i0 + r < rows && p < kb) { va = X[o + (end + i0 + r) * n + k0 + p]; }
      ta[e] = va;
      let q = e / ${TILE}u;
      let c = e % ${TILE}u;
      var vb = 0.0;
      if (j0 + c < cols && q < kb) {
        if (sym == 1u) { vb = X[o + (end + j0 + c) * n + k0 + q]; } else { vb = X[o + (k0 + q) * n + end + j0 + c]; }
      }
      tb[e] = vb;
    }
  }
  workgroupBarrier();
  let i = i0 + lid.y;
  let j = j0 + lid.x;
  if (busy && i < rows && j < cols && (sym == 0u || j <= i)) {
    var s = 0.0;
    for (var p = 0u; p < kb; p++) { s += ta[lid.y * 32u + p] * tb[p * ${TILE}u + lid.x]; }
    X[o + (end + i) * n + end + j] -= s;
  }
}`;

function update(x: GpuBuffer, batch: number, m: number, n: number, k0: number, kb: number, rows: number, cols: number, sym: boolean, what: string): void {
  const prm = upload(Uint32Array.from([m, n, k0, kb, rows, cols, sym ? 1 : 0]), "uint32");
  dispatch({ wgsl: UPDATE, buffers: [x, prm], workgroups: [Math.ceil(cols / TILE), Math.ceil(rows / TILE), batch], outputs: 1, what });
  release(prm);
}

// ---- Cholesky ------------------------------------------------------------------------------

const CHOL_COPY = (): string => `${header([["L", "f32", true], ["bad", "i32", true], ["x", "f32", false]], ["n", "nanBits"])}
  let nn = p_n() * p_n();
  L[b] = x[b];
  if (b % nn == 0u) { bad[b / nn] = 0; }
}`;

const CHOL_DIAG = (): string => `${header([["L", "f32", true], ["bad", "i32", true]], ["n", "k0", "kb", "nanBits"])}
  let n = p_n();
  let k0 = p_k0();
  let end = k0 + p_kb();
  let o = b * n * n;
  for (var j = k0; j < end; j++) {
    var d = L[o + j * n + j];
    for (var p = k0; p < j; p++) { d -= L[o + j * n + p] * L[o + j * n + p]; }
    // not positive definite: the last pass writes NaN; go on with harmless numbers meanwhile
    if (isnan_(d) || d <= 0.0) { bad[b] = 1; d = 1.0; }
    let l = sqrt(d);
    L[o + j * n + j] = l;
    for (var i = j + 1u; i < end; i++) {
      var s = L[o + i * n + j];
      for (var p = k0; p < j; p++) { s -= L[o + i * n + p] * L[o + j * n + p]; }
      L[o + i * n + j] = s / l;
    }
  }
}`;

const CHOL_PANEL = (): string => `${header([["L", "f32", true]], ["n", "k0", "kb", "rows", "nanBits"])}
  let n = p_n();
  let k0 = p_k0();
  let end = k0 + p_kb();
  let o = (b / p_rows()) * n * n;
  let i = end + b % p_rows();
  for (var j = k0; j < end; j++) {
    var s = L[o + i * n + j];
    for (var p = k0; p < j; p++) { s -= L[o + i * n + p] * L[o + j * n + p]; }
    L[o + i * n + j] = s / L[o + j * n + j];
  }
}`;

const CHOL_FINAL = (): string => `${header([["L", "f32", true], ["bad", "i32", false]], ["n", "nanBits"])}
  let n = p_n();
  let e = b % (n * n);
  if (bad[b / (n * n)] != 0) { L[b] = nan_(); } else if (e % n > e / n) { L[b] = 0.0; }
}`;

/** Cholesky of `batch` n×n matrices (lower triangle read), blocked; NaN for a matrix that is not positive definite. */
export function choleskyBlockedGpu(x: GpuBuffer, out: GpuBuffer, batch: number, n: number): void {
  const bad = alloc("int32", batch);
  run(CHOL_COPY(), [out, bad, x], 2, batch * n * n, [n, NAN_BITS], "linalg cholesky (blocked) copy");
  for (let k0 = 0; k0 < n; k0 += GPU_NB) {
    const kb = Math.min(GPU_NB, n - k0);
    run(CHOL_DIAG(), [out, bad], 2, batch, [n, k0, kb, NAN_BITS], "linalg cholesky (blocked) diagonal block");
    const rows = n - k0 - kb;
    if (rows === 0) break;
    run(CHOL_PANEL(), [out], 1, batch * rows, [n, k0, kb, rows, NAN_BITS], "linalg cholesky (blocked) panel");
    update(out, batch, n, n, k0, kb, rows, rows, true, "linalg cholesky (blocked) trailing update");
  }
  run(CHOL_FINAL(), [out, bad], 1, batch * n * n, [n, NAN_BITS], "linalg cholesky (blocked) finish");
  release(bad);
}

// ---- LU ------------------------------------------------------------------------------------

const LU_COPY = (): string => `${header([["LU", "f32", true], ["perm", "i32", true], ["x", "f32", false]], ["m", "n", "nanBits"])}
  let mn = p_m() * p_n();
  LU[b] = x[b];
  let e = b % mn;
  if (e < p_m()) { perm[(b / mn) * p_m() + e] = i32(e); }
}`;

const LU_PANEL = (): string => `${header([["LU", "f32", true], ["piv", "i32", true], ["perm", "i32", true]], ["m", "n", "k0", "kb", "nanBits"])}
  let m = p_m();
  let n = p_n();
  let k = min(m, n);
  let k0 = p_k0();
  let end = k0 + p_kb();
  let o = b * m * n;
${luColumnsWgsl("k0", "end", "end")}}`;

const LU_U12 = (): string => `${header([["LU", "f32", true]], ["m", "n", "k0", "kb", "cols", "nanBits"])}
  let m = p_m();
  let n = p_n();
  let k0 = p_k0();
  let end = k0 + p_kb();
  let o = (b / p_cols()) * m * n;
  let c = end + b % p_cols();
  for (var i = k0 + 1u; i < end; i++) {
    var s = LU[o + i * n + c];
    for (var p = k0; p < i; p++) { s -= LU[o + i * n + p] * LU[o + p * n + c]; }
    LU[o + i * n + c] = s;
  }
}`;

/** LU with partial pivoting of `batch` m×n matrices, blocked (getrf's pivots, as the unblocked kernel). */
export function luBlockedGpu(x: GpuBuffer, out: GpuBuffer, piv: GpuBuffer, perm: GpuBuffer, batch: number, m: number, n: number): void {
  const k = Math.min(m, n);
  run(LU_COPY(), [out, perm, x], 2, batch * m * n, [m, n, NAN_BITS], "linalg lu (blocked) copy");
  for (let k0 = 0; k0 < k; k0 += GPU_NB) {
    const kb = Math.min(GPU_NB, k - k0);
    run(LU_PANEL(), [out, piv, perm], 3, batch, [m, n, k0, kb, NAN_BITS], "linalg lu (blocked) panel");
    const cols = n - k0 - kb;
    if (cols === 0) continue;
    run(LU_U12(), [out], 1, batch * cols, [m, n, k0, kb, cols, NAN_BITS], "linalg lu (blocked) U12");
    const rows = m - k0 - kb;
    if (rows === 0) continue;
    update(out, batch, m, n, k0, kb, rows, cols, false, "linalg lu (blocked) trailing update");
  }
}
