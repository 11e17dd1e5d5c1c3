/**
 * The WebGPU linear-algebra routines, with the parameters src/lax/linalg.ts
 * gives the CPU's (`../cpu/linalg.ts`) and the same algorithms: Cholesky,
 * substitution, partial-pivot LU, Householder QR (LAPACK's signs), cyclic
 * Jacobi eigh, one-sided Jacobi SVD.
 *
 * One invocation factors one whole matrix (triangular_solve: one right-hand
 * side), in f32, in global memory. That suits the case these kernels are for,
 * a batch of small matrices (hundreds of 3×3 … 32×32 factorizations in one
 * dispatch); it works for any size but is slow for one large matrix, where
 * a single thread does all O(n³) work: from GPU_BLOCKED_MIN_N on, Cholesky
 * and LU are blocked and right-looking instead (linalg-blocked.ts), and from
 * `gpuQrPaths.workgroupMinN` on QR takes one workgroup per matrix
 * (linalg-qr-workgroup.ts), eigh from `gpuEighPaths.workgroupMinN` on
 * (parallel Jacobi, linalg-eigh-workgroup.ts), and svd from min(m, n) =
 * `gpuSvdPaths.workgroupMinK` on (parallel one-sided Jacobi,
 * linalg-svd-workgroup.ts).
 *
 * Shapes and flags come from a small u32 parameter buffer rather than being
 * baked into the WGSL, so each routine compiles one pipeline for every shape.
 * NaN tests look at the bits: WGSL lets a compiler assume that no float is NaN.
 */
import { UnsupportedError } from "../../errors.js";
import type { GpuBuffer } from "./buffers.js";
import { alloc, release, upload } from "./buffers.js";
import { dispatch, grid } from "./context.js";
import type { GpuRoutine, RoutineFamily } from "./routines.js";
import { choleskyBlockedGpu, GPU_BLOCKED_MIN_N, luBlockedGpu } from "./linalg-blocked.js";
import { gpuComplexLuRoutines } from "./linalg-complex-lu.js";
import { gpuQrPaths, qrWorkgroupGpu } from "./linalg-qr-workgroup.js";
import { eighWorkgroupGpu, gpuEighPaths } from "./linalg-eigh-workgroup.js";
import { gpuSvdPaths, svdWorkgroupGpu } from "./linalg-svd-workgroup.js";
import { sizeOf } from "../../shape.js";

const GROUP = 64;
export const NAN_BITS = 0x7fc00000;

/** Bindings in order (the first `outputs` are written); the parameter buffer comes last. */
export function header(bindings: [name: string, type: string, write: boolean][], params: readonly string[]): string {
  const decl = [...bindings, ["prm", "u32", false] as [string, string, boolean]]
    .map(([name, type, write], i) => `@group(0) @binding(${i}) var<storage, ${write ? "read_write" : "read"}> ${name}: array<${type}>;`)
    .join("\n");
  // prm[0] is the threads per grid row, prm[1] the number of items, then the routine's own numbers
  const getters = ["perRow", "items", ...params].map((p, i) => `fn p_${p}() -> u32 { return prm[${i}]; }`).join("\n");
  return `${decl}
${getters}
fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isfinite_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) < 0x7f800000u; }
fn nan_() -> f32 { return bitcast<f32>(p_nanBits()); }
@compute @workgroup_size(${GROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.y * p_perRow() + gid.x;
  if (b >= p_items()) { return; }`;
}

export function run(wgsl: string, buffers: GpuBuffer[], outputs: number, items: number, values: number[], what: string): void {
  const groups = Math.ceil(items / GROUP);
  const g = grid(groups);
  const prm = upload(Uint32Array.from([g[0] * GROUP, items, ...values.map((v) => v >>> 0)]), "uint32");
  dispatch({ wgsl, buffers: [...buffers, prm], workgroups: g, outputs, what });
  release(prm);
}

const flag = (v: unknown) => (v ? 1 : 0);

// ---- cholesky ------------------------------------------------------------------------------

const CHOLESKY = `${header([["L", "f32", true], ["x", "f32", false]], ["n", "nanBits"])}
  let n = p_n();
  let o = b * n * n;
  for (var i = 0u; i < n * n; i++) { L[o + i] = x[o + i]; }
  var ok = true;
  for (var j = 0u; j < n && ok; j++) {
    var d = L[o + j * n + j];
    for (var k = 0u; k < j; k++) { d -= L[o + j * n + k] * L[o + j * n + k]; }
    if (isnan_(d) || d <= 0.0) { ok = false; break; }
    let l = sqrt(d);
    L[o + j * n + j] = l;
    for (var i = j + 1u; i < n; i++) {
      var s = L[o + i * n + j];
      for (var k = 0u; k < j; k++) { s -= L[o + i * n + k] * L[o + j * n + k]; }
      L[o + i * n + j] = s / l;
    }
    for (var c = j + 1u; c < n; c++) { L[o + j * n + c] = 0.0; }
  }
  if (!ok) { for (var i = 0u; i < n * n; i++) { L[o + i] = nan_(); } }
}`;

const cholesky: GpuRoutine = ([x], _in, [outType], params) => {
  const { batch, n } = params as { batch: number; n: number };
  const out = alloc(outType.dtype, batch * n * n);
  if (n >= GPU_BLOCKED_MIN_N) choleskyBlockedGpu(x, out, batch, n);
  else run(CHOLESKY, [out, x], 1, batch, [n, NAN_BITS], "linalg cholesky");
  return [out];
};

// ---- triangular_solve ----------------------------------------------------------------------

const TRIANGULAR_SOLVE = `${header([["X", "f32", true], ["A", "f32", false], ["B", "f32", false]], ["m", "n", "leftSide", "tLower", "transposeT", "unitDiagonal", "nanBits"])}
  // item b is right-hand side r of matrix bi
  let m = p_m();
  let n = p_n();
  let bi = b / n;
  let r = b % n;
  let ao = bi * m * m;
  let bo = bi * m * n;
  let left = p_leftSide() == 1u;
  let tt = p_transposeT() == 1u;
  for (var i = 0u; i < m; i++) {
    let at = select(bo + r * m + i, bo + i * n + r, left);
    X[at] = B[at];
  }
  if (p_tLower() == 1u) {
    for (var i = 0u; i < m; i++) {
      let at = select(bo + r * m + i, bo + i * n + r, left);
      var s = X[at];
      for (var k = 0u; k < i; k++) {
        let t = select(A[ao + i * m + k], A[ao + k * m + i], tt);
        s -= t * X[select(bo + r * m + k, bo + k * n + r, left)];
      }
      if (p_unitDiagonal() == 0u) { s = s / A[ao + i * m + i]; }
      X[at] = s;
    }
  } else {
    for (var ii = 0u; ii < m; ii++) {
      let i = m - 1u - ii;
      let at = select(bo + r * m + i, bo + i * n + r, left);
      var s = X[at];
      for (var k = i + 1u; k < m; k++) {
        let t = select(A[ao + i * m + k], A[ao + k * m + i], tt);
        s -= t * X[select(bo + r * m + k, bo + k * n + r, left)];
      }
      if (p_unitDiagonal() == 0u) { s = s / A[ao + i * m + i]; }
      X[at] = s;
    }
  }
}`;

const triangularSolve: GpuRoutine = ([a, b], _in, [outType], params) => {
  const { batch, m, n, leftSide, lower, transposeA, unitDiagonal } = params as {
    batch: number; m: number; n: number; leftSide: boolean; lower: boolean; transposeA: boolean; unitDiagonal: boolean;
  };
  const out = alloc(outType.dtype, batch * m * n);
  const transposeT = leftSide ? transposeA : !transposeA;
  const tLower = transposeT ? !lower : lower;
  run(TRIANGULAR_SOLVE, [out, a, b], 1, batch * n, [m, n, flag(leftSide), flag(tLower), flag(transposeT), flag(unitDiagonal), NAN_BITS], "linalg triangular_solve");
  return [out];
};

// ---- lu ----------------------------------------------------------------------------------------

/**
 * WGSL: partial-pivot LU of columns [from, to) of matrix `o` in `LU` (m×n,
 * row-major), recording pivots in `piv` and the row permutation in `perm`;
 * the rank-1 updates reach column `cols` (n for the whole factorization, the
 * panel's end for the blocked one, whose trailing update is a separate kernel).
 */
export function luColumnsWgsl(from: string, to: string, cols: string): string {
  return `  for (var j = ${from}; j < ${to}; j++) {
    var p = j;
    var best = abs(LU[o + j * n + j]);
    for (var i = j + 1u; i < m; i++) {
      let v = abs(LU[o + i * n + j]);
      if (v > best) { best = v; p = i; }
    }
    piv[b * k + j] = i32(p);
    if (p != j) {
      for (var c = 0u; c < n; c++) {
        let t = LU[o + j * n + c];
        LU[o + j * n + c] = LU[o + p * n + c];
        LU[o + p * n + c] = t;
      }
      let t = perm[b * m + j];
      perm[b * m + j] = perm[b * m + p];
      perm[b * m + p] = t;
    }
    let d = LU[o + j * n + j];
    if (d != 0.0) { for (var i = j + 1u; i < m; i++) { LU[o + i * n + j] = LU[o + i * n + j] / d; } }
    for (var i = j + 1u; i < m; i++) {
      let l = LU[o + i * n + j];
      for (var c = j + 1u; c < ${cols}; c++) { LU[o + i * n + c] -= l * LU[o + j * n + c]; }
    }
  }
`;
}

const LU = `${header([["LU", "f32", true], ["piv", "i32", true], ["perm", "i32", true], ["x", "f32", false]], ["m", "n", "nanBits"])}
  let m = p_m();
  let n = p_n();
  let k = min(m, n);
  let o = b * m * n;
  for (var i = 0u; i < m * n; i++) { LU[o + i] = x[o + i]; }
  for (var i = 0u; i < m; i++) { perm[b * m + i] = i32(i); }
${luColumnsWgsl("0u", "k", "n")}}`;

const lu: GpuRoutine = ([x], _in, outTypes, params) => {
  const { batch, m, n } = params as { batch: number; m: number; n: number };
  const k = Math.min(m, n);
  const out = alloc(outTypes[0].dtype, batch * m * n);
  const piv = alloc("int32", Math.max(1, batch * k));
  const perm = alloc("int32", Math.max(1, batch * m));
  if (k >= GPU_BLOCKED_MIN_N) luBlockedGpu(x, out, piv, perm, batch, m, n);
  else run(LU, [out, piv, perm, x], 3, batch, [m, n, NAN_BITS], "linalg lu");
  return [out, piv, perm];
};

// ---- qr ----------------------------------------------------------------------------------------

const QR = `${header([["Q", "f32", true], ["R", "f32", true], ["W", "f32", true], ["tau", "f32", true], ["x", "f32", false]], ["m", "n", "cols", "nanBits"])}
  let m = p_m();
  let n = p_n();
  let cols = p_cols();
  let k = min(m, n);
  let o = b * m * n;
  let to = b * k;
  for (var i = 0u; i < m * n; i++) { W[o + i] = x[o + i]; }
  for (var j = 0u; j < k; j++) {
    let alpha = W[o + j * n + j];
    var ss = 0.0;
    for (var i = j + 1u; i < m; i++) { ss += W[o + i * n + j] * W[o + i * n + j]; }
    if (ss == 0.0) { tau[to + j] = 0.0; continue; }
    let norm = sqrt(alpha * alpha + ss);
    let beta = select(norm, -norm, alpha >= 0.0);
    let t = (beta - alpha) / beta;
    tau[to + j] = t;
    let scale = 1.0 / (alpha - beta);
    for (var i = j + 1u; i < m; i++) { W[o + i * n + j] *= scale; }
    W[o + j * n + j] = beta;
    for (var c = j + 1u; c < n; c++) {
      var s = W[o + j * n + c];
      for (var i = j + 1u; i < m; i++) { s += W[o + i * n + j] * W[o + i * n + c]; }
      s *= t;
      W[o + j * n + c] -= s;
      for (var i = j + 1u; i < m; i++) { W[o + i * n + c] -= s * W[o + i * n + j]; }
    }
  }
  let qo = b * m * cols;
  for (var i = 0u; i < m; i++) { for (var c = 0u; c < cols; c++) { Q[qo + i * cols + c] = select(0.0, 1.0, i == c); } }
  for (var jj = 0u; jj < k; jj++) {
    let j = k - 1u - jj;
    let t = tau[to + j];
    if (t == 0.0) { continue; }
    for (var c = 0u; c < cols; c++) {
      var s = Q[qo + j * cols + c];
      for (var i = j + 1u; i < m; i++) { s += W[o + i * n + j] * Q[qo + i * cols + c]; }
      s *= t;
      Q[qo + j * cols + c] -= s;
      for (var i = j + 1u; i < m; i++) { Q[qo + i * cols + c] -= s * W[o + i * n + j]; }
    }
  }
  let ro = b * cols * n;
  for (var i = 0u; i < cols; i++) {
    for (var c = 0u; c < n; c++) { R[ro + i * n + c] = select(0.0, W[o + i * n + c], c >= i && i < m); }
  }
}`;

const qr: GpuRoutine = ([x], _in, [qType, rType], params) => {
  const { batch, m, n, fullMatrices } = params as { batch: number; m: number; n: number; fullMatrices: boolean };
  const k = Math.min(m, n);
  const cols = fullMatrices ? m : k;
  const q = alloc(qType.dtype, batch * m * cols);
  const r = alloc(rType.dtype, batch * cols * n);
  const w = alloc("float32", Math.max(1, batch * m * n));
  const tau = alloc("float32", Math.max(1, batch * k));
  // a large matrix: one workgroup per matrix (linalg-qr-workgroup.ts) rather than one thread
  if (Math.max(m, n) >= gpuQrPaths.workgroupMinN) qrWorkgroupGpu(q, r, w, tau, x, batch, m, n, cols);
  else run(QR, [q, r, w, tau, x], 4, batch, [m, n, cols, NAN_BITS], "linalg qr");
  release(w);
  release(tau);
  return [q, r];
};

// ---- eigh ----------------------------------------------------------------------------------------

const EIGH = `${header([["V", "f32", true], ["w", "f32", true], ["A", "f32", true], ["x", "f32", false]], ["n", "lower", "sortValues", "nanBits"])}
  let n = p_n();
  let o = b * n * n;
  for (var i = 0u; i < n; i++) {
    for (var j = 0u; j <= i; j++) {
      let e = select(x[o + j * n + i], x[o + i * n + j], p_lower() == 1u);
      A[o + i * n + j] = e;
      A[o + j * n + i] = e;
    }
  }
  // as JAX: a NaN or inf anywhere makes every output NaN
  var finite = true;
  for (var i = 0u; i < n * n; i++) { if (!isfinite_(A[o + i])) { finite = false; } }
  if (!finite) {
    for (var i = 0u; i < n * n; i++) { V[o + i] = nan_(); }
    for (var i = 0u; i < n; i++) { w[b * n + i] = nan_(); }
    return;
  }
  for (var i = 0u; i < n * n; i++) { V[o + i] = select(0.0, 1.0, i % (n + 1u) == 0u); }
  for (var sweep = 0u; sweep < 40u; sweep++) {
    var off = 0.0;
    var total = 0.0;
    for (var i = 0u; i < n * n; i++) {
      let e = A[o + i] * A[o + i];
      total += e;
      if (i % (n + 1u) != 0u) { off += e; }
    }
    if (!(off > 1e-14 * total)) { break; }
    for (var p = 0u; p + 1u < n; p++) {
      for (var q = p + 1u; q < n; q++) {
        let apq = A[o + p * n + q];
        if (apq == 0.0) { continue; }
        let theta = (A[o + q * n + q] - A[o + p * n + p]) / (2.0 * apq);
        let t = select(-1.0, 1.0, theta >= 0.0) / (abs(theta) + sqrt(theta * theta + 1.0));
        let c = 1.0 / sqrt(t * t + 1.0);
        let s = t * c;
        for (var k = 0u; k < n; k++) {
          let akp = A[o + k * n + p];
          let akq = A[o + k * n + q];
          A[o + k * n + p] = c * akp - s * akq;
          A[o + k * n + q] = s * akp + c * akq;
        }
        for (var k = 0u; k < n; k++) {
          let apk = A[o + p * n + k];
          let aqk = A[o + q * n + k];
          A[o + p * n + k] = c * apk - s * aqk;
          A[o + q * n + k] = s * apk + c * aqk;
        }
        A[o + p * n + q] = 0.0;
        A[o + q * n + p] = 0.0;
        for (var k = 0u; k < n; k++) {
          let vkp = V[o + k * n + p];
          let vkq = V[o + k * n + q];
          V[o + k * n + p] = c * vkp - s * vkq;
          V[o + k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  for (var i = 0u; i < n; i++) { w[b * n + i] = A[o + i * n + i]; }
  if (p_sortValues() == 1u) {
    // selection sort, ascending, moving eigenvector columns along (NaNs last)
    for (var i = 0u; i < n; i++) {
      var best = i;
      for (var j = i + 1u; j < n; j++) {
        let wj = w[b * n + j];
        let wb = w[b * n + best];
        if (!isnan_(wj) && (isnan_(wb) || wj < wb)) { best = j; }
      }
      if (best != i) {
        let t = w[b * n + i];
        w[b * n + i] = w[b * n + best];
        w[b * n + best] = t;
        for (var r = 0u; r < n; r++) {
          let tv = V[o + r * n + i];
          V[o + r * n + i] = V[o + r * n + best];
          V[o + r * n + best] = tv;
        }
      }
    }
  }
}`;

const eigh: GpuRoutine = ([x], _in, [vType, wType], params) => {
  const { batch, n, lower, sortEigenvalues } = params as { batch: number; n: number; lower: boolean; sortEigenvalues: boolean };
  const v = alloc(vType.dtype, batch * n * n);
  const w = alloc(wType.dtype, batch * n);
  // a large matrix: parallel Jacobi, one workgroup per matrix (linalg-eigh-workgroup.ts)
  if (n >= gpuEighPaths.workgroupMinN) {
    eighWorkgroupGpu(v, w, x, batch, n, lower, sortEigenvalues, NAN_BITS);
    return [v, w];
  }
  const work = alloc("float32", Math.max(1, batch * n * n));
  run(EIGH, [v, w, work, x], 3, batch, [n, flag(lower), flag(sortEigenvalues), NAN_BITS], "linalg eigh");
  release(work);
  return [v, w];
};

// ---- svd -----------------------------------------------------------------------------------------

/**
 * One-sided Jacobi on the tall rows×cols matrix (A, or Aᵀ when A is wide),
 * kept in the first `cols` columns of U (rows × uCols, row stride uCols),
 * with the rotations accumulated in V (cols × cols). Then singular values
 * sorted descending, U's columns normalized and completed to an orthonormal
 * set (Gram–Schmidt twice; a vanishing column replaced by the unit vector
 * least covered so far), and the outputs written for A's orientation.
 */
const SVD = `${header([["S", "f32", true], ["UO", "f32", true], ["VT", "f32", true], ["U", "f32", true], ["V", "f32", true], ["x", "f32", false]], ["m", "n", "uCols", "nanBits"])}
  let m = p_m();
  let n = p_n();
  let tall = m >= n;
  let rows = max(m, n);
  let cols = min(m, n);
  let uc = p_uCols();
  let uo = b * rows * uc;
  let vo = b * cols * cols;
  let xo = b * m * n;
  for (var i = 0u; i < rows; i++) {
    for (var c = 0u; c < uc; c++) {
      var e = 0.0;
      if (c < cols) { e = select(x[xo + c * n + i], x[xo + i * n + c], tall); }
      U[uo + i * uc + c] = e;
    }
  }
  var finite = true;
  for (var i = 0u; i < m * n; i++) { if (!isfinite_(x[xo + i])) { finite = false; } }
  if (!finite) {
    // as JAX: a NaN or inf anywhere makes every output NaN
    for (var i = 0u; i < cols; i++) { S[b * cols + i] = nan_(); }
    let uSize = select(m * m, m * uc, tall);
    let vtSize = select(uc * n, n * n, tall);
    for (var i = 0u; i < uSize; i++) { UO[b * uSize + i] = nan_(); }
    for (var i = 0u; i < vtSize; i++) { VT[b * vtSize + i] = nan_(); }
    return;
  }
  for (var i = 0u; i < cols * cols; i++) { V[vo + i] = select(0.0, 1.0, i % (cols + 1u) == 0u); }
  for (var sweep = 0u; sweep < 40u; sweep++) {
    var rotated = false;
    for (var p = 0u; p + 1u < cols; p++) {
      for (var q = p + 1u; q < cols; q++) {
        var alpha = 0.0;
        var beta = 0.0;
        var gamma = 0.0;
        for (var i = 0u; i < rows; i++) {
          let xp = U[uo + i * uc + p];
          let xq = U[uo + i * uc + q];
          alpha += xp * xp;
          beta += xq * xq;
          gamma += xp * xq;
        }
        if (!(abs(gamma) > 1e-7 * sqrt(alpha * beta)) || gamma == 0.0) { continue; }
        rotated = true;
        let zeta = (beta - alpha) / (2.0 * gamma);
        let t = select(-1.0, 1.0, zeta >= 0.0) / (abs(zeta) + sqrt(1.0 + zeta * zeta));
        let c = 1.0 / sqrt(1.0 + t * t);
        let s = c * t;
        for (var i = 0u; i < rows; i++) {
          let xp = U[uo + i * uc + p];
          let xq = U[uo + i * uc + q];
          U[uo + i * uc + p] = c * xp - s * xq;
          U[uo + i * uc + q] = s * xp + c * xq;
        }
        for (var i = 0u; i < cols; i++) {
          let xp = V[vo + i * cols + p];
          let xq = V[vo + i * cols + q];
          V[vo + i * cols + p] = c * xp - s * xq;
          V[vo + i * cols + q] = s * xp + c * xq;
        }
      }
    }
    if (!rotated) { break; }
  }
  let so = b * cols;
  for (var c = 0u; c < cols; c++) {
    var ss = 0.0;
    for (var i = 0u; i < rows; i++) { ss += U[uo + i * uc + c] * U[uo + i * uc + c]; }
    S[so + c] = sqrt(ss);
  }
  // descending, columns of U and V along
  for (var i = 0u; i < cols; i++) {
    var best = i;
    for (var j = i + 1u; j < cols; j++) { if (S[so + j] > S[so + best]) { best = j; } }
    if (best != i) {
      let t = S[so + i];
      S[so + i] = S[so + best];
      S[so + best] = t;
      for (var r = 0u; r < rows; r++) {
        let tu = U[uo + r * uc + i];
        U[uo + r * uc + i] = U[uo + r * uc + best];
        U[uo + r * uc + best] = tu;
      }
      for (var r = 0u; r < cols; r++) {
        let tv = V[vo + r * cols + i];
        V[vo + r * cols + i] = V[vo + r * cols + best];
        V[vo + r * cols + best] = tv;
      }
    }
  }
  for (var c = 0u; c < uc; c++) {
    var norm0 = 0.0;
    if (c < cols) {
      norm0 = S[so + c];
      if (norm0 > 0.0) { for (var i = 0u; i < rows; i++) { U[uo + i * uc + c] = U[uo + i * uc + c] / norm0; } }
      norm0 = select(0.0, 1.0, norm0 > 0.0);
    }
    var nrm = 0.0;
    for (var attempt = 0u; attempt < 2u; attempt++) {
      if (attempt == 1u) {
        if (nrm > 0.5 * norm0 && norm0 > 0.0) { break; }
        // a fresh direction: the unit vector least covered by the columns so far
        var bi = 0u;
        var bestCover = 2.0;
        for (var i = 0u; i < rows; i++) {
          var cover = 0.0;
          for (var d = 0u; d < c; d++) { cover += U[uo + i * uc + d] * U[uo + i * uc + d]; }
          if (cover < bestCover) { bestCover = cover; bi = i; }
        }
        for (var i = 0u; i < rows; i++) { U[uo + i * uc + c] = select(0.0, 1.0, i == bi); }
        norm0 = 1.0;
      }
      if (norm0 == 0.0) { continue; }
      for (var sweepGs = 0u; sweepGs < 2u; sweepGs++) {
        for (var d = 0u; d < c; d++) {
          var s = 0.0;
          for (var i = 0u; i < rows; i++) { s += U[uo + i * uc + d] * U[uo + i * uc + c]; }
          for (var i = 0u; i < rows; i++) { U[uo + i * uc + c] -= s * U[uo + i * uc + d]; }
        }
      }
      var ss = 0.0;
      for (var i = 0u; i < rows; i++) { ss += U[uo + i * uc + c] * U[uo + i * uc + c]; }
      nrm = sqrt(ss);
    }
    for (var i = 0u; i < rows; i++) { U[uo + i * uc + c] = U[uo + i * uc + c] / nrm; }
  }
  if (tall) {
    for (var i = 0u; i < m * uc; i++) { UO[b * m * uc + i] = U[uo + i]; }
    for (var i = 0u; i < n; i++) { for (var j = 0u; j < n; j++) { VT[b * n * n + i * n + j] = V[vo + j * n + i]; } }
  } else {
    for (var i = 0u; i < m * m; i++) { UO[b * m * m + i] = V[vo + i]; }
    for (var i = 0u; i < uc; i++) { for (var j = 0u; j < n; j++) { VT[b * uc * n + i * n + j] = U[uo + j * uc + i]; } }
  }
}`;

const svd: GpuRoutine = ([x], _in, outTypes, params) => {
  const { batch, m, n, fullMatrices, computeUv } = params as { batch: number; m: number; n: number; fullMatrices: boolean; computeUv: boolean };
  const k = Math.min(m, n);
  const rows = Math.max(m, n);
  const uCols = fullMatrices ? rows : k;
  const s = alloc("float32", Math.max(1, batch * k));
  const uOut = alloc("float32", Math.max(1, batch * m * (fullMatrices ? m : k)));
  const vtOut = alloc("float32", Math.max(1, batch * (fullMatrices ? n : k) * n));
  // a large matrix: parallel one-sided Jacobi, one workgroup per matrix (linalg-svd-workgroup.ts)
  if (k >= gpuSvdPaths.workgroupMinK) {
    svdWorkgroupGpu(s, uOut, vtOut, x, batch, m, n, uCols, computeUv, NAN_BITS);
    if (computeUv) return [s, uOut, vtOut];
    release(uOut);
    release(vtOut);
    return [s];
  }
  const u = alloc("float32", Math.max(1, batch * rows * uCols));
  const v = alloc("float32", Math.max(1, batch * k * k));
  run(SVD, [s, uOut, vtOut, u, v, x], 5, batch, [m, n, uCols, NAN_BITS], "linalg svd");
  release(u);
  release(v);
  if (!computeUv) {
    release(uOut);
    release(vtOut);
    return [s];
  }
  void outTypes;
  return [s, uOut, vtOut];
};

/** eig is CPU-only, as JAX's (a LAPACK routine there): a typed refusal naming the fix. */
const eigUnsupported: GpuRoutine = () => {
  throw new UnsupportedError(
    "lax.linalg.eig (np.linalg.eig, np.linalg.eigvals) is not available on WebGPU (JAX's eig is CPU-only too): run eig on the CPU, " +
      "e.g. np.linalg.eig(devicePut(x, \"cpu\"))",
  );
};

/**
 * The complex64 routine (linalg-complex-lu.ts) for complex operands, the real one otherwise: buffers reach
 * routines as their storage (a complex array as f32 pairs), so a complex first operand has twice the
 * elements its matrix parameters give.
 */
const complexOr = (c: GpuRoutine, r: GpuRoutine, elements: (p: Dims) => number): GpuRoutine => (inputs, inTypes, outTypes, params) =>
  (elements(params as Dims) > 0 && sizeOf(inTypes[0].shape) === 2 * elements(params as Dims) ? c : r)(inputs, inTypes, outTypes, params);
type Dims = { batch: number; m: number; n: number };

/** The linear-algebra family of WebGPU's routine table (webgpu/index.ts). */
export const linalgRoutines = {
  linalg_cholesky: complexOr(gpuComplexLuRoutines.cholesky, cholesky, (p) => p.batch * p.n ** 2),
  linalg_triangular_solve: complexOr(gpuComplexLuRoutines.triangularSolve, triangularSolve, (p) => p.batch * p.m ** 2),
  linalg_lu: complexOr(gpuComplexLuRoutines.lu, lu, (p) => p.batch * p.m * p.n),
  linalg_qr: qr,
  linalg_eigh: eigh,
  linalg_svd: svd,
  linalg_eig: eigUnsupported,
} satisfies RoutineFamily;
