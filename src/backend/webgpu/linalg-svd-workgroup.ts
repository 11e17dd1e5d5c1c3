/**
 * Singular value decomposition on WebGPU with one workgroup (SVD_THREADS
 * invocations) per matrix, for matrices too large for linalg.ts's
 * one-thread-per-matrix one-sided Jacobi (the svd routine there calls this
 * from `gpuSvdPaths.workgroupMinK` = min(m, n) on).
 *
 * The same algorithm as the one-thread kernel, on the tall rows×cols matrix
 * W (A, or Aᵀ when A is wide: Aᵀ = V·S·Uᵀ), with its rotations in parallel:
 * one-sided Jacobi (Hestenes), a sweep being N − 1 rounds (N = cols rounded
 * up to even) of the round-robin tournament, each round N/2 disjoint column
 * pairs (p, q), whose rotations touch disjoint columns and so run at once:
 * - α = |w_p|², β = |w_q|², γ = w_p·w_q for every pair, on P invocations
 *   per pair (invocationsPerPair: split only where the columns are long,
 *   the partial sums added in workgroup memory by each of the P in one
 *   order, so all P agree);
 * - the rotation of the sequential kernel (skipped where |γ| ≤ 1e-7·√(αβ)
 *   or γ = 0; ζ = (β − α)/(2γ), t = sign(ζ)/(|ζ| + √(1 + ζ²))), applied by
 *   the same P invocations to their own rows of W's columns p, q (and V's,
 *   when U and V are asked for); one storage barrier per round (and one
 *   workgroup barrier where P > 1);
 * - the sweeps stop as the sequential ones do: after a sweep without a
 *   rotation, or after 40.
 * Then σ_j = |w_j| (scaled, as the CPU's hypot-like norm), ranks for the
 * descending order (ties by index, as the CPU's stable sort) computed in
 * parallel, U's columns w_j/σ_j and V's moved to their ranks, and U
 * completed as the sequential kernel does: column by column, Gram–Schmidt
 * twice against the columns before it (classical, so that each pass is two
 * parallel steps; twice makes it as good as the modified one), and a column
 * that vanishes (σ = 0, or a full U's extra columns) replaced by the unit
 * vector least covered by the columns so far. After sweeps that converged,
 * the columns with σ > 0 are orthonormal to the stopping test's 1e-7 and
 * are kept as they are (the sequential kernel re-orthogonalizes them too;
 * on lavapipe that took as long as a few sweeps at 32×32). Vectors equal
 * the CPU's up to the sign of each (u_j, v_j) pair where σ_j is separated.
 * As JAX (and linalg.ts): a NaN or inf anywhere makes every output NaN.
 * computeUv = false skips V and U's completion. Barriers sit in uniform
 * control flow; decisions read back by all invocations go through
 * workgroupUniformLoad. A batch takes one workgroup per matrix.
 */
import type { GpuBuffer } from "./buffers.js";
import { alloc, release, upload } from "./buffers.js";
import { ROUND_ROBIN_WGSL } from "./linalg-eigh-workgroup.js";
import { dispatch, grid } from "./context.js";

/** Invocations per workgroup (the WebGPU default limit, and a power of two for the reductions). */
export const SVD_THREADS = 256;

/** Which path the WebGPU svd routine takes: the workgroup kernel from min(m, n) = workgroupMinK on (Infinity: never). */
export const gpuSvdPaths = { workgroupMinK: 32 };

/** How many times the workgroup kernel was dispatched (tests check that it ran). */
export const svdWorkgroupStats = { dispatches: 0 };

const T = SVD_THREADS;

const SVD_WORKGROUP = `@group(0) @binding(0) var<storage, read_write> S: array<f32>;
@group(0) @binding(1) var<storage, read_write> UO: array<f32>;
@group(0) @binding(2) var<storage, read_write> VT: array<f32>;
@group(0) @binding(3) var<storage, read_write> work: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read> prm: array<u32>;
var<workgroup> sa: array<f32, ${2 * T}>;
var<workgroup> sb: array<f32, ${2 * T}>;
var<workgroup> sg: array<f32, ${2 * T}>;
var<workgroup> si: array<u32, ${T}>;
var<workgroup> rotatedAny: atomic<u32>;
var<workgroup> status: u32;
var<workgroup> statusF: f32;
${ROUND_ROBIN_WGSL}
@compute @workgroup_size(${T})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // prm: groups per grid row, matrices, m, n, U's columns, NaN bits, invocations per pair, computeUv
  let b = wg.y * prm[0] + wg.x;
  if (b >= prm[1]) { return; }
  let m = prm[2];
  let n = prm[3];
  let uc = prm[4];
  let P = prm[6];
  let uv = prm[7] == 1u;
  let tall = m >= n;
  let rows = max(m, n);
  let cols = min(m, n);
  let N = cols + (cols & 1u);
  let half = N / 2u;
  // this matrix's scratch: W (rows×cols), V (cols×cols), U (rows×uc), all by columns; then 2N + uc numbers
  let wo = b * (rows * cols + cols * cols + rows * uc + 2u * N + uc);
  let vo = wo + rows * cols;
  let uo = vo + cols * cols;
  let ao = uo + rows * uc;
  let xo = b * m * n;
  // NaN or inf anywhere: every output NaN
  var nf = 0u;
  for (var e = lid; e < m * n; e += ${T}u) { if (!isfinite_(x[xo + e])) { nf += 1u; } }
  si[lid] = nf;
  workgroupBarrier();
  for (var h = ${T / 2}u; h > 0u; h = h >> 1u) {
    if (lid < h) { si[lid] += si[lid + h]; }
    workgroupBarrier();
  }
  if (lid == 0u) { status = si[0]; }
  if (workgroupUniformLoad(&status) > 0u) {
    let nan = bitcast<f32>(prm[5]);
    for (var i = lid; i < cols; i += ${T}u) { S[b * cols + i] = nan; }
    let uSize = select(m * m, m * uc, tall);
    let vtSize = select(uc * n, n * n, tall);
    for (var i = lid; i < uSize; i += ${T}u) { UO[b * uSize + i] = nan; }
    for (var i = lid; i < vtSize; i += ${T}u) { VT[b * vtSize + i] = nan; }
    return;
  }
  // W's column c is A's column c (tall), or A's row c (wide: a copy)
  for (var e = lid; e < rows * cols; e += ${T}u) {
    let c = e / rows;
    let i = e % rows;
    work[wo + e] = select(x[xo + e], x[xo + i * n + c], tall);
  }
  if (uv) { for (var e = lid; e < cols * cols; e += ${T}u) { work[vo + e] = select(0.0, 1.0, e % (cols + 1u) == 0u); } }
  storageBarrier();
  let groups = ${T}u / P;
  var converged = false;
  let lane = lid % P;
  for (var sweep = 0u; sweep < 40u; sweep++) {
    if (lid == 0u) { atomicStore(&rotatedAny, 0u); }
    workgroupBarrier();
    for (var r = 0u; r + 1u < N; r++) {
      // pair k = base + lid / P of this round on P invocations: their dot products summed in workgroup
      // memory, then each applies the rotation to its own rows of columns p and q of W (and V)
      for (var base = 0u; base < half; base += groups) {
        let k = base + lid / P;
        var alpha = 0.0;
        var beta = 0.0;
        var gamma = 0.0;
        let pq = pairOf(r, min(k, half - 1u), N);
        let live = k < half && pq.y < cols;
        let cp = wo + pq.x * rows;
        let cq = wo + pq.y * rows;
        if (live) {
          for (var i = lane; i < rows; i += P) {
            let xp = work[cp + i];
            let xq = work[cq + i];
            alpha += xp * xp;
            beta += xq * xq;
            gamma += xp * xq;
          }
        }
        // the partial sums in this round's half of the sums (the other half may still be read)
        let slot = (r & 1u) * ${T}u + lid;
        sa[slot] = alpha;
        sb[slot] = beta;
        sg[slot] = gamma;
        // (one invocation per pair reads only what it wrote)
        if (P > 1u) { workgroupBarrier(); }
        // each of the pair's invocations adds its P partial sums, in one order: the same numbers
        var al = 0.0;
        var be = 0.0;
        var ga = 0.0;
        for (var j = slot - lane; j < slot - lane + P; j++) {
          al += sa[j];
          be += sb[j];
          ga += sg[j];
        }
        if (live && abs(ga) > 1e-7 * sqrt(al * be) && ga != 0.0) {
          let zeta = (be - al) / (2.0 * ga);
          let t = select(-1.0, 1.0, zeta >= 0.0) / (abs(zeta) + sqrt(1.0 + zeta * zeta));
          let c = 1.0 / sqrt(1.0 + t * t);
          let s = c * t;
          if (lane == 0u) { atomicStore(&rotatedAny, 1u); }
          for (var i = lane; i < rows; i += P) {
            let xp = work[cp + i];
            let xq = work[cq + i];
            work[cp + i] = c * xp - s * xq;
            work[cq + i] = s * xp + c * xq;
          }
          if (uv) {
            let vp = vo + pq.x * cols;
            let vq = vo + pq.y * cols;
            for (var i = lane; i < cols; i += P) {
              let xp = work[vp + i];
              let xq = work[vq + i];
              work[vp + i] = c * xp - s * xq;
              work[vq + i] = s * xp + c * xq;
            }
          }
        }
        // (more pairs than invocations: the next ones write this round's half too)
        if (base + groups < half) { workgroupBarrier(); }
      }
      // the next round pairs the columns differently
      storageBarrier();
    }
    workgroupBarrier();
    if (lid == 0u) { status = atomicLoad(&rotatedAny); }
    if (workgroupUniformLoad(&status) == 0u) {
      converged = true;
      break;
    }
  }
  // σ_j = |w_j| (scaled by the largest entry, against overflow and underflow) at work[ao + j]
  for (var j = lid; j < cols; j += ${T}u) {
    var big = 0.0;
    for (var i = 0u; i < rows; i++) { big = max(big, abs(work[wo + j * rows + i])); }
    var nrm = 0.0;
    if (big > 0.0) {
      var ss = 0.0;
      for (var i = 0u; i < rows; i++) {
        let v = work[wo + j * rows + i] / big;
        ss += v * v;
      }
      nrm = big * sqrt(ss);
    }
    work[ao + j] = nrm;
  }
  storageBarrier();
  // rank of σ_j in the descending order (ties by index) at work[ao + N + j]; S in that order
  for (var j = lid; j < cols; j += ${T}u) {
    let sj = work[ao + j];
    var rank = 0u;
    for (var i = 0u; i < cols; i++) {
      let si_ = work[ao + i];
      if (si_ > sj || (si_ == sj && i < j)) { rank++; }
    }
    work[ao + N + j] = f32(rank);
    S[b * cols + rank] = sj;
  }
  if (!uv) { return; }
  storageBarrier();
  // U's column rank(j) = w_j / σ_j (0 where σ_j = 0); V's column j to rank(j) of the output
  for (var e = lid; e < rows * cols; e += ${T}u) {
    let j = e / rows;
    let i = e % rows;
    let sj = work[ao + j];
    let rank = u32(work[ao + N + j]);
    work[uo + rank * rows + i] = select(0.0, work[wo + e] / sj, sj > 0.0);
  }
  for (var e = lid; e < cols * cols; e += ${T}u) {
    let j = e / cols;
    let i = e % cols;
    let rank = u32(work[ao + N + j]);
    let v = work[vo + e];
    // tall: Vᵀ's row rank; wide: U = V (m×m), column rank
    if (tall) { VT[b * n * n + rank * n + i] = v; } else { UO[b * m * m + i * m + rank] = v; }
  }
  storageBarrier();
  // U completed column by column; the dot products of Gram–Schmidt at work[ao + 2N + d]
  let dots = ao + 2u * N;
  for (var c = 0u; c < uc; c++) {
    if (lid == 0u) { status = select(0u, 1u, c < cols && S[b * cols + min(c, cols - 1u)] > 0.0); }
    let has = workgroupUniformLoad(&status) == 1u;
    // converged, every pair of W's columns has |γ| ≤ 1e-7·√(αβ): U's columns with σ > 0 are
    // orthonormal to about that already (the sequential kernel orthogonalizes them again; its
    // one thread can afford it)
    if (has && converged) { continue; }
    var nrm = 0.0;
    for (var attempt = 0u; attempt < 2u; attempt++) {
      if (attempt == 0u && !has) { continue; }
      if (attempt == 1u) {
        if (has && nrm > 0.5) { break; }
        // a fresh direction: the unit vector least covered by the columns so far (first of equals)
        var best = 3.0;
        var bi = 0u;
        for (var i = lid; i < rows; i += ${T}u) {
          var cover = 0.0;
          for (var d = 0u; d < c; d++) { cover += work[uo + d * rows + i] * work[uo + d * rows + i]; }
          if (cover < best) { best = cover; bi = i; }
        }
        sa[lid] = best;
        si[lid] = bi;
        workgroupBarrier();
        for (var h = ${T / 2}u; h > 0u; h = h >> 1u) {
          if (lid < h && (sa[lid + h] < sa[lid] || (sa[lid + h] == sa[lid] && si[lid + h] < si[lid]))) {
            sa[lid] = sa[lid + h];
            si[lid] = si[lid + h];
          }
          workgroupBarrier();
        }
        let pick = si[0];
        for (var i = lid; i < rows; i += ${T}u) { work[uo + c * rows + i] = select(0.0, 1.0, i == pick); }
        storageBarrier();
      }
      for (var twice = 0u; twice < 2u; twice++) {
        for (var d = lid; d < c; d += ${T}u) {
          var s = 0.0;
          for (var i = 0u; i < rows; i++) { s += work[uo + d * rows + i] * work[uo + c * rows + i]; }
          work[dots + d] = s;
        }
        storageBarrier();
        for (var i = lid; i < rows; i += ${T}u) {
          var v = work[uo + c * rows + i];
          for (var d = 0u; d < c; d++) { v -= work[dots + d] * work[uo + d * rows + i]; }
          work[uo + c * rows + i] = v;
        }
        storageBarrier();
      }
      var ss = 0.0;
      for (var i = lid; i < rows; i += ${T}u) { ss += work[uo + c * rows + i] * work[uo + c * rows + i]; }
      sa[lid] = ss;
      workgroupBarrier();
      // (one invocation adds them: a barrier costs more than ${T} additions)
      if (lid == 0u) {
        var total = 0.0;
        for (var j = 0u; j < ${T}u; j++) { total += sa[j]; }
        statusF = sqrt(total);
      }
      nrm = workgroupUniformLoad(&statusF);
    }
    for (var i = lid; i < rows; i += ${T}u) { work[uo + c * rows + i] = work[uo + c * rows + i] / nrm; }
    storageBarrier();
  }
  // tall: U (m×uc) by rows; wide: Vᵀ (uc×n) = U's columns as rows
  for (var e = lid; e < rows * uc; e += ${T}u) {
    if (tall) {
      let i = e / uc;
      let c = e % uc;
      UO[b * m * uc + e] = work[uo + c * rows + i];
    } else {
      VT[b * uc * n + e] = work[uo + e];
    }
  }
}`;

/**
 * Rows each invocation takes at least when a column pair's dot products are split: below that
 * the partial sums cost more than they save (on lavapipe, 32×32 and 64×64 ran fastest unsplit).
 */
export const SVD_ROWS_PER_INVOCATION = 64;

/**
 * Invocations per column pair's dot products: the largest power of two P with P·pairs ≤
 * SVD_THREADS and rows/P ≥ SVD_ROWS_PER_INVOCATION (at least 1), so long columns (tall
 * matrices) are split and short ones are not.
 */
export function invocationsPerPair(pairs: number, rows: number): number {
  let p = 1;
  while (2 * p * Math.max(1, pairs) <= T && rows / (2 * p) >= SVD_ROWS_PER_INVOCATION) p *= 2;
  return p;
}

/**
 * S (k), U and Vᵀ (as linalg.ts's svd lays them out, `uCols` = k or, for
 * full matrices, max(m, n)) of `batch` row-major m×n matrices in `x`, one
 * workgroup each; U and Vᵀ are left unwritten when `computeUv` is false.
 */
export function svdWorkgroupGpu(s: GpuBuffer, uOut: GpuBuffer, vtOut: GpuBuffer, x: GpuBuffer, batch: number, m: number, n: number, uCols: number, computeUv: boolean, nanBits: number): void {
  const rows = Math.max(m, n);
  const cols = Math.min(m, n);
  const even = cols + (cols & 1);
  const work = alloc("float32", Math.max(1, batch * (rows * cols + cols * cols + rows * uCols + 2 * even + uCols)));
  const g = grid(batch);
  const prm = upload(Uint32Array.from([g[0], batch, m, n, uCols, nanBits, invocationsPerPair(even / 2, rows), computeUv ? 1 : 0]), "uint32");
  dispatch({ wgsl: SVD_WORKGROUP, buffers: [s, uOut, vtOut, work, x, prm], workgroups: g, outputs: 4, what: "linalg svd (workgroup)" });
  release(prm);
  release(work);
  svdWorkgroupStats.dispatches++;
}
