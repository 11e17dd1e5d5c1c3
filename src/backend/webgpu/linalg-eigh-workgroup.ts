/**
 * Symmetric eigendecomposition on WebGPU with one workgroup (EIGH_THREADS
 * invocations) per matrix, for matrices too large for linalg.ts's
 * one-thread-per-matrix cyclic Jacobi (the eigh routine there calls this
 * from `gpuEighPaths.workgroupMinN` on).
 *
 * Parallel Jacobi: a sweep is N − 1 rounds (N = n rounded up to even) of
 * the round-robin tournament, each round N/2 disjoint pairs (p, q), so its
 * rotations commute and run at once:
 * - the rotations: one pair per invocation, from A's entries (p, p), (q, q),
 *   (p, q) with the sequential kernel's formulas (t = sign(θ)/(|θ| + √(θ²+1)),
 *   θ = (a_qq − a_pp)/(2a_pq); the identity where a_pq = 0), kept in scratch;
 * - A ← JᵀAJ in one pass by 2×2 blocks (rows of one pair, columns of
 *   another: disjoint, one block per invocation), with a_pq = a_qp = 0
 *   written exactly, and V ← VJ (one row of one pair per invocation);
 *   two barriers per round;
 * - before each sweep, the off-diagonal and total sums of squares by a
 *   workgroup reduction; the sweep loop stops as the sequential one does,
 *   when off ≤ 1e-14·total (or after 40 sweeps).
 * As JAX (and linalg.ts): a NaN or inf anywhere makes every output NaN.
 * Then the eigenvalues (A's diagonal) ascending when sortEigenvalues, each
 * eigenvector column moved with its value (ranks computed in parallel, ties
 * by index). Eigenvectors equal the CPU's up to each column's sign.
 * Barriers sit in uniform control flow; the loop's exit is read with
 * workgroupUniformLoad. A batch takes one workgroup per matrix.
 */
import type { GpuBuffer } from "./buffers.js";
import { alloc, release, upload } from "./buffers.js";
import { dispatch, grid } from "./context.js";

/**
 * WGSL shared by the parallel Jacobi kernels (this eigh and the one-sided SVD of
 * linalg-svd-workgroup.ts): a finiteness test that survives fast-math (WGSL may
 * assume builtins never see NaN) and the round-robin ordering that gives n/2
 * disjoint pairs per round, every pair once per sweep.
 */
export const ROUND_ROBIN_WGSL = `fn isfinite_(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) < 0x7f800000u; }
/** Pair k of round r of the round-robin tournament of N (even) players, as (p, q) with p < q. */
fn pairOf(r: u32, k: u32, N: u32) -> vec2<u32> {
  var a = r;
  var b = N - 1u;
  if (k > 0u) {
    a = (r + k) % (N - 1u);
    b = (r + N - 1u - k) % (N - 1u);
  }
  return vec2<u32>(min(a, b), max(a, b));
}`;

/** Invocations per workgroup (the WebGPU default limit, and a power of two for the reduction). */
export const EIGH_THREADS = 256;

/** Which path the WebGPU eigh routine takes: the workgroup kernel from this n on (Infinity: never). */
export const gpuEighPaths = { workgroupMinN: 32 };

/** How many times the workgroup kernel was dispatched (tests check that it ran). */
export const eighWorkgroupStats = { dispatches: 0 };

const T = EIGH_THREADS;

const EIGH_WORKGROUP = `@group(0) @binding(0) var<storage, read_write> V: array<f32>;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> A: array<f32>;
@group(0) @binding(3) var<storage, read_write> U: array<f32>;
@group(0) @binding(4) var<storage, read_write> rot: array<f32>;
@group(0) @binding(5) var<storage, read> x: array<f32>;
@group(0) @binding(6) var<storage, read> prm: array<u32>;
var<workgroup> offs: array<f32, ${T}>;
var<workgroup> tots: array<f32, ${T}>;
var<workgroup> bads: array<f32, ${T}>;
var<workgroup> status: u32;
${ROUND_ROBIN_WGSL}
@compute @workgroup_size(${T})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // prm: groups per grid row, matrices, n, lower, sortValues, NaN bits
  let b = wg.y * prm[0] + wg.x;
  if (b >= prm[1]) { return; }
  let n = prm[2];
  let lower = prm[3] == 1u;
  let N = n + (n & 1u);
  let half = N / 2u;
  let o = b * n * n;
  let ro = b * N;
  for (var e = lid; e < n * n; e += ${T}u) {
    let i = e / n;
    let j = e % n;
    // the triangle named by lower, mirrored
    let src = select(select(j * n + i, i * n + j, j >= i), select(i * n + j, j * n + i, j > i), lower);
    A[o + e] = x[o + src];
    U[o + e] = select(0.0, 1.0, i == j);
  }
  storageBarrier();
  var bad = false;
  for (var sweep = 0u; sweep < 40u; sweep++) {
    var off = 0.0;
    var tot = 0.0;
    var nf = 0.0;
    for (var e = lid; e < n * n; e += ${T}u) {
      let v = A[o + e];
      let sq = v * v;
      tot += sq;
      if (e % (n + 1u) != 0u) { off += sq; }
      if (!isfinite_(v)) { nf += 1.0; }
    }
    offs[lid] = off;
    tots[lid] = tot;
    bads[lid] = nf;
    workgroupBarrier();
    for (var h = ${T / 2}u; h > 0u; h = h >> 1u) {
      if (lid < h) {
        offs[lid] += offs[lid + h];
        tots[lid] += tots[lid + h];
        bads[lid] += bads[lid + h];
      }
      workgroupBarrier();
    }
    if (lid == 0u) {
      var s = 0u;
      if (bads[0] > 0.0) { s = 2u; } else if (!(offs[0] > 1e-14 * tots[0])) { s = 1u; }
      status = s;
    }
    let st = workgroupUniformLoad(&status);
    if (st == 2u) { bad = true; }
    if (st != 0u) { break; }
    for (var r = 0u; r + 1u < N; r++) {
      for (var k = lid; k < half; k += ${T}u) {
        let pq = pairOf(r, k, N);
        var c = 1.0;
        var s = 0.0;
        if (pq.y < n) {
          let p = pq.x;
          let q = pq.y;
          let apq = A[o + p * n + q];
          if (apq != 0.0) {
            let theta = (A[o + q * n + q] - A[o + p * n + p]) / (2.0 * apq);
            let t = select(-1.0, 1.0, theta >= 0.0) / (abs(theta) + sqrt(theta * theta + 1.0));
            c = 1.0 / sqrt(t * t + 1.0);
            s = t * c;
          }
        }
        rot[2u * (ro + k)] = c;
        rot[2u * (ro + k) + 1u] = s;
      }
      storageBarrier();
      // JᵀAJ by 2×2 blocks (rows of pair ka, columns of pair kb): disjoint, so one pass; and VJ
      for (var e = lid; e < half * half; e += ${T}u) {
        let ka = e / half;
        let kb = e % half;
        let ra = pairOf(r, ka, N);
        let cb = pairOf(r, kb, N);
        let c1 = rot[2u * (ro + ka)];
        let s1 = rot[2u * (ro + ka) + 1u];
        let c2 = rot[2u * (ro + kb)];
        let s2 = rot[2u * (ro + kb) + 1u];
        if (s1 == 0.0 && s2 == 0.0) { continue; }
        // a dummy player (index n of an odd n) has rotation identity and no entries
        let rq = ra.y < n;
        let cq = cb.y < n;
        let bpp = A[o + ra.x * n + cb.x];
        let bpq = select(0.0, A[o + ra.x * n + min(cb.y, n - 1u)], cq);
        let bqp = select(0.0, A[o + min(ra.y, n - 1u) * n + cb.x], rq);
        let bqq = select(0.0, A[o + min(ra.y, n - 1u) * n + min(cb.y, n - 1u)], rq && cq);
        // rows
        let xpp = c1 * bpp - s1 * bqp;
        let xpq = c1 * bpq - s1 * bqq;
        let xqp = s1 * bpp + c1 * bqp;
        let xqq = s1 * bpq + c1 * bqq;
        // columns
        let diag = ka == kb;
        A[o + ra.x * n + cb.x] = c2 * xpp - s2 * xpq;
        if (cq) { A[o + ra.x * n + cb.y] = select(s2 * xpp + c2 * xpq, 0.0, diag); }
        if (rq) { A[o + ra.y * n + cb.x] = select(c2 * xqp - s2 * xqq, 0.0, diag); }
        if (rq && cq) { A[o + ra.y * n + cb.y] = s2 * xqp + c2 * xqq; }
      }
      for (var e = lid; e < half * n; e += ${T}u) {
        let k = e / n;
        let row = e % n;
        let pq = pairOf(r, k, N);
        let s = rot[2u * (ro + k) + 1u];
        if (pq.y < n && s != 0.0) {
          let c = rot[2u * (ro + k)];
          let vkp = U[o + row * n + pq.x];
          let vkq = U[o + row * n + pq.y];
          U[o + row * n + pq.x] = c * vkp - s * vkq;
          U[o + row * n + pq.y] = s * vkp + c * vkq;
        }
      }
      storageBarrier();
    }
  }
  if (bad) {
    let nan = bitcast<f32>(prm[5]);
    for (var e = lid; e < n * n; e += ${T}u) { V[o + e] = nan; }
    for (var i = lid; i < n; i += ${T}u) { w[b * n + i] = nan; }
    return;
  }
  // eigenvalue i goes to place rank(i): ascending, ties by index (or i itself, unsorted)
  for (var i = lid; i < n; i += ${T}u) {
    let wi = A[o + i * n + i];
    var rank = i;
    if (prm[4] == 1u) {
      rank = 0u;
      for (var j = 0u; j < n; j++) {
        let wj = A[o + j * n + j];
        if (wj < wi || (wj == wi && j < i)) { rank++; }
      }
    }
    w[b * n + rank] = wi;
    for (var row = 0u; row < n; row++) { V[o + row * n + rank] = U[o + row * n + i]; }
  }
}`;

/**
 * V (n×n, eigenvectors in columns) and w (n) of `batch` row-major symmetric
 * n×n matrices in `x` (the triangle `lower` names), one workgroup each.
 */
export function eighWorkgroupGpu(v: GpuBuffer, w: GpuBuffer, x: GpuBuffer, batch: number, n: number, lower: boolean, sort: boolean, nanBits: number): void {
  const a = alloc("float32", Math.max(1, batch * n * n));
  const u = alloc("float32", Math.max(1, batch * n * n));
  const rot = alloc("float32", Math.max(1, 2 * batch * (n + 1)));
  const g = grid(batch);
  const prm = upload(Uint32Array.from([g[0], batch, n, lower ? 1 : 0, sort ? 1 : 0, nanBits]), "uint32");
  dispatch({ wgsl: EIGH_WORKGROUP, buffers: [v, w, a, u, rot, x, prm], workgroups: g, outputs: 5, what: "linalg eigh (workgroup)" });
  for (const b of [prm, a, u, rot]) release(b);
  eighWorkgroupStats.dispatches++;
}
