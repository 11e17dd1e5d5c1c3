/**
 * WebGPU's complex spectral routines: complex64 operands of lax.linalg's qr,
 * eigh and svd, with the CPU's algorithms (../cpu/linalg-complex-spectral.ts)
 * in f32: complex Householder QR (zgeqrf's convention, R's diagonal real),
 * cyclic Jacobi eigh of a Hermitian matrix (a phase then a real rotation per
 * pivot; each eigenvector's first component made real and non-negative),
 * one-sided Jacobi SVD (the same phase-then-rotation step on column pairs).
 * As the real kernels (./linalg.ts): one invocation factors one matrix, a
 * batch of small matrices is one dispatch. A complex value is a pair of f32
 * lanes, (re, im) interleaved in the buffers as everywhere (so a complex
 * buffer of k values is 2k f32).
 *
 * eig is CPU-only, as JAX's: its entry refuses with an UnsupportedError.
 */
import { UnsupportedError } from "../../errors.js";
import { alloc, release } from "./buffers.js";
import { header, NAN_BITS, run } from "./linalg.js";
import type { GpuRoutine, RoutineFamily } from "./routines.js";

/** WGSL for the complex value at pair index `i` of the f32 buffer `buf`. */
const ld = (buf: string, i: string) => `vec2<f32>(${buf}[2u * (${i})], ${buf}[2u * (${i}) + 1u])`;
/** WGSL storing the vec2 `v` (a name, evaluated twice) at pair index `i` of `buf`. */
const st = (buf: string, i: string, v: string) => `${buf}[2u * (${i})] = ${v}.x; ${buf}[2u * (${i}) + 1u] = ${v}.y;`;

const COMPLEX_FNS = `
fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
fn cconj(a: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x, -a.y); }
fn cdiv(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return cmul(a, cconj(b)) / dot(b, b); }
`;

/** The kernel source: the header's bindings and entry, with the complex helpers defined before it. */
const kernel = (bindings: [string, string, boolean][], params: string[], body: string) => `${COMPLEX_FNS}\n${header(bindings, params)}\n${body}\n}`;

// ---- qr ------------------------------------------------------------------------------------------

const QR = kernel([["Q", "f32", true], ["R", "f32", true], ["W", "f32", true], ["tau", "f32", true], ["x", "f32", false]], ["m", "n", "cols", "nanBits"], `
  let m = p_m();
  let n = p_n();
  let cols = p_cols();
  let k = min(m, n);
  let o = b * m * n;
  let to = b * k;
  for (var i = 0u; i < 2u * m * n; i++) { W[2u * o + i] = x[2u * o + i]; }
  for (var j = 0u; j < k; j++) {
    let alpha = ${ld("W", "o + j * n + j")};
    var ss = 0.0;
    for (var i = j + 1u; i < m; i++) { let e = ${ld("W", "o + i * n + j")}; ss += dot(e, e); }
    if (ss == 0.0 && alpha.y == 0.0) { let z = vec2<f32>(0.0, 0.0); ${st("tau", "to + j", "z")} continue; }
    let norm = sqrt(dot(alpha, alpha) + ss);
    let beta = select(norm, -norm, alpha.x >= 0.0);
    let t = vec2<f32>((beta - alpha.x) / beta, -alpha.y / beta);
    ${st("tau", "to + j", "t")}
    let sc = cdiv(vec2<f32>(1.0, 0.0), alpha - vec2<f32>(beta, 0.0));
    for (var i = j + 1u; i < m; i++) { let e = cmul(${ld("W", "o + i * n + j")}, sc); ${st("W", "o + i * n + j", "e")} }
    let bv = vec2<f32>(beta, 0.0);
    ${st("W", "o + j * n + j", "bv")}
    for (var c = j + 1u; c < n; c++) {
      var s = ${ld("W", "o + j * n + c")};
      for (var i = j + 1u; i < m; i++) { s += cmul(cconj(${ld("W", "o + i * n + j")}), ${ld("W", "o + i * n + c")}); }
      let f = cmul(cconj(t), s);
      let top = ${ld("W", "o + j * n + c")} - f;
      ${st("W", "o + j * n + c", "top")}
      for (var i = j + 1u; i < m; i++) { let e = ${ld("W", "o + i * n + c")} - cmul(f, ${ld("W", "o + i * n + j")}); ${st("W", "o + i * n + c", "e")} }
    }
  }
  let qo = b * m * cols;
  for (var i = 0u; i < m; i++) {
    for (var c = 0u; c < cols; c++) { let e = vec2<f32>(select(0.0, 1.0, i == c), 0.0); ${st("Q", "qo + i * cols + c", "e")} }
  }
  for (var jj = 0u; jj < k; jj++) {
    let j = k - 1u - jj;
    let t = ${ld("tau", "to + j")};
    if (t.x == 0.0 && t.y == 0.0) { continue; }
    for (var c = 0u; c < cols; c++) {
      var s = ${ld("Q", "qo + j * cols + c")};
      for (var i = j + 1u; i < m; i++) { s += cmul(cconj(${ld("W", "o + i * n + j")}), ${ld("Q", "qo + i * cols + c")}); }
      let f = cmul(t, s);
      let top = ${ld("Q", "qo + j * cols + c")} - f;
      ${st("Q", "qo + j * cols + c", "top")}
      for (var i = j + 1u; i < m; i++) { let e = ${ld("Q", "qo + i * cols + c")} - cmul(f, ${ld("W", "o + i * n + j")}); ${st("Q", "qo + i * cols + c", "e")} }
    }
  }
  let ro = b * cols * n;
  for (var i = 0u; i < cols; i++) {
    for (var c = 0u; c < n; c++) {
      var e = vec2<f32>(0.0, 0.0);
      if (c >= i && i < m) { e = ${ld("W", "o + i * n + c")}; }
      ${st("R", "ro + i * n + c", "e")}
    }
  }`);

const qr: GpuRoutine = ([x], _in, _out, params) => {
  const { batch, m, n, fullMatrices } = params as { batch: number; m: number; n: number; fullMatrices: boolean };
  const k = Math.min(m, n);
  const cols = fullMatrices ? m : k;
  const q = alloc("float32", Math.max(1, 2 * batch * m * cols));
  const r = alloc("float32", Math.max(1, 2 * batch * cols * n));
  const w = alloc("float32", Math.max(1, 2 * batch * m * n));
  const tau = alloc("float32", Math.max(1, 2 * batch * k));
  run(QR, [q, r, w, tau, x], 4, batch, [m, n, cols, NAN_BITS], "linalg qr (complex)");
  release(w);
  release(tau);
  return [q, r];
};

// ---- eigh ----------------------------------------------------------------------------------------

const EIGH = kernel([["V", "f32", true], ["w", "f32", true], ["A", "f32", true], ["x", "f32", false]], ["n", "lower", "sortValues", "nanBits"], `
  let n = p_n();
  let o = b * n * n;
  var finite = true;
  for (var i = 0u; i < n; i++) {
    for (var j = 0u; j <= i; j++) {
      var e = ${ld("x", "o + i * n + j")};
      if (p_lower() != 1u) { e = cconj(${ld("x", "o + j * n + i")}); }
      if (!isfinite_(e.x) || !isfinite_(e.y)) { finite = false; }
      if (i == j) { e.y = 0.0; }
      ${st("A", "o + i * n + j", "e")}
      let h = cconj(e);
      ${st("A", "o + j * n + i", "h")}
    }
  }
  // as JAX: a NaN or inf anywhere makes every output NaN
  if (!finite) {
    for (var i = 0u; i < 2u * n * n; i++) { V[2u * o + i] = nan_(); }
    for (var i = 0u; i < n; i++) { w[b * n + i] = nan_(); }
    return;
  }
  for (var i = 0u; i < n * n; i++) { let e = vec2<f32>(select(0.0, 1.0, i % (n + 1u) == 0u), 0.0); ${st("V", "o + i", "e")} }
  for (var sweep = 0u; sweep < 40u; sweep++) {
    var off = 0.0;
    var total = 0.0;
    for (var i = 0u; i < n * n; i++) {
      let e = ${ld("A", "o + i")};
      total += dot(e, e);
      if (i % (n + 1u) != 0u) { off += dot(e, e); }
    }
    if (!(off > 1e-14 * total)) { break; }
    for (var p = 0u; p + 1u < n; p++) {
      for (var q = p + 1u; q < n; q++) {
        let apq = ${ld("A", "o + p * n + q")};
        let big = max(abs(apq.x), abs(apq.y));
        if (big == 0.0) { continue; }
        // the phase e = conj(a_pq)/|a_pq| on column q (and conj(e) on row q) makes the pivot real;
        // computed on a_pq scaled to 1, so that |e| = 1 even where squares of a tiny a_pq underflow
        let unit = apq / big;
        let ph = cconj(unit) / length(unit);
        let mag = big * length(unit);
        for (var k = 0u; k < n; k++) {
          let c = cmul(${ld("A", "o + k * n + q")}, ph);
          ${st("A", "o + k * n + q", "c")}
          let v = cmul(${ld("V", "o + k * n + q")}, ph);
          ${st("V", "o + k * n + q", "v")}
        }
        for (var k = 0u; k < n; k++) {
          let r = cmul(${ld("A", "o + q * n + k")}, cconj(ph));
          ${st("A", "o + q * n + k", "r")}
        }
        let app = A[2u * (o + p * n + p)];
        let aqq = A[2u * (o + q * n + q)];
        let theta = (aqq - app) / (2.0 * mag);
        let t = select(-1.0, 1.0, theta >= 0.0) / (abs(theta) + sqrt(theta * theta + 1.0));
        let c = 1.0 / sqrt(t * t + 1.0);
        let s = t * c;
        for (var k = 0u; k < n; k++) {
          let akp = ${ld("A", "o + k * n + p")};
          let akq = ${ld("A", "o + k * n + q")};
          let np_ = c * akp - s * akq;
          let nq = s * akp + c * akq;
          ${st("A", "o + k * n + p", "np_")}
          ${st("A", "o + k * n + q", "nq")}
        }
        for (var k = 0u; k < n; k++) {
          let apk = ${ld("A", "o + p * n + k")};
          let aqk = ${ld("A", "o + q * n + k")};
          let np_ = c * apk - s * aqk;
          let nq = s * apk + c * aqk;
          ${st("A", "o + p * n + k", "np_")}
          ${st("A", "o + q * n + k", "nq")}
        }
        let z = vec2<f32>(0.0, 0.0);
        ${st("A", "o + p * n + q", "z")}
        ${st("A", "o + q * n + p", "z")}
        A[2u * (o + p * n + p) + 1u] = 0.0;
        A[2u * (o + q * n + q) + 1u] = 0.0;
        for (var k = 0u; k < n; k++) {
          let vkp = ${ld("V", "o + k * n + p")};
          let vkq = ${ld("V", "o + k * n + q")};
          let np_ = c * vkp - s * vkq;
          let nq = s * vkp + c * vkq;
          ${st("V", "o + k * n + p", "np_")}
          ${st("V", "o + k * n + q", "nq")}
        }
      }
    }
  }
  for (var i = 0u; i < n; i++) { w[b * n + i] = A[2u * (o + i * n + i)]; }
  if (p_sortValues() == 1u) {
    // selection sort, ascending, moving eigenvector columns along
    for (var i = 0u; i < n; i++) {
      var best = i;
      for (var j = i + 1u; j < n; j++) { if (w[b * n + j] < w[b * n + best]) { best = j; } }
      if (best != i) {
        let t = w[b * n + i];
        w[b * n + i] = w[b * n + best];
        w[b * n + best] = t;
        for (var r = 0u; r < n; r++) {
          let a = ${ld("V", "o + r * n + i")};
          let c = ${ld("V", "o + r * n + best")};
          ${st("V", "o + r * n + i", "c")}
          ${st("V", "o + r * n + best", "a")}
        }
      }
    }
  }
  // each column's first component real and non-negative
  for (var j = 0u; j < n; j++) {
    let f = ${ld("V", "o + j")};
    let mag = length(f);
    if (mag == 0.0) { continue; }
    let ph = cconj(f) / mag;
    for (var r = 0u; r < n; r++) { let e = cmul(${ld("V", "o + r * n + j")}, ph); ${st("V", "o + r * n + j", "e")} }
    V[2u * (o + j) + 1u] = 0.0;
  }`);

const eigh: GpuRoutine = ([x], _in, _out, params) => {
  const { batch, n, lower, sortEigenvalues } = params as { batch: number; n: number; lower: boolean; sortEigenvalues: boolean };
  const v = alloc("float32", Math.max(1, 2 * batch * n * n));
  const w = alloc("float32", Math.max(1, batch * n));
  const work = alloc("float32", Math.max(1, 2 * batch * n * n));
  run(EIGH, [v, w, work, x], 3, batch, [n, lower ? 1 : 0, sortEigenvalues ? 1 : 0, NAN_BITS], "linalg eigh (complex)");
  release(work);
  return [v, w];
};

// ---- svd -----------------------------------------------------------------------------------------

/**
 * One-sided Jacobi on the tall rows×cols matrix (A, or Aᴴ when A is wide)
 * held in U's first `cols` columns (row stride uCols), the transforms
 * accumulated in V; then s descending, U normalized and completed to a
 * unitary basis (complex Gram–Schmidt twice), outputs for A's orientation.
 */
const SVD = kernel([["S", "f32", true], ["UO", "f32", true], ["VT", "f32", true], ["U", "f32", true], ["V", "f32", true], ["x", "f32", false]], ["m", "n", "uCols", "nanBits"], `
  let m = p_m();
  let n = p_n();
  let tall = m >= n;
  let rows = max(m, n);
  let cols = min(m, n);
  let uc = p_uCols();
  let uo = b * rows * uc;
  let vo = b * cols * cols;
  let xo = b * m * n;
  var finite = true;
  for (var i = 0u; i < 2u * m * n; i++) { if (!isfinite_(x[2u * xo + i])) { finite = false; } }
  if (!finite) {
    // as JAX: a NaN or inf anywhere makes every output NaN
    for (var i = 0u; i < cols; i++) { S[b * cols + i] = nan_(); }
    let uSize = select(m * m, m * uc, tall);
    let vtSize = select(uc * n, n * n, tall);
    for (var i = 0u; i < 2u * uSize; i++) { UO[2u * b * uSize + i] = nan_(); }
    for (var i = 0u; i < 2u * vtSize; i++) { VT[2u * b * vtSize + i] = nan_(); }
    return;
  }
  for (var i = 0u; i < rows; i++) {
    for (var c = 0u; c < uc; c++) {
      var e = vec2<f32>(0.0, 0.0);
      if (c < cols) {
        if (tall) { e = ${ld("x", "xo + i * n + c")}; } else { e = cconj(${ld("x", "xo + c * n + i")}); }
      }
      ${st("U", "uo + i * uc + c", "e")}
    }
  }
  for (var i = 0u; i < cols * cols; i++) { let e = vec2<f32>(select(0.0, 1.0, i % (cols + 1u) == 0u), 0.0); ${st("V", "vo + i", "e")} }
  for (var sweep = 0u; sweep < 40u; sweep++) {
    var rotated = false;
    for (var p = 0u; p + 1u < cols; p++) {
      for (var q = p + 1u; q < cols; q++) {
        var alpha = 0.0;
        var beta = 0.0;
        var g = vec2<f32>(0.0, 0.0);
        for (var i = 0u; i < rows; i++) {
          let xp = ${ld("U", "uo + i * uc + p")};
          let xq = ${ld("U", "uo + i * uc + q")};
          alpha += dot(xp, xp);
          beta += dot(xq, xq);
          g += cmul(cconj(xp), xq);
        }
        let gbig = max(abs(g.x), abs(g.y));
        if (gbig == 0.0) { continue; }
        let gunit = g / gbig;
        let gamma = gbig * length(gunit);
        if (!(gamma > 1e-7 * sqrt(alpha * beta))) { continue; }
        rotated = true;
        // column q takes the phase conj(γ)/|γ| (|phase| = 1 exactly as computed on γ scaled to 1), then a real rotation
        let ph = cconj(gunit) / length(gunit);
        let zeta = (beta - alpha) / (2.0 * gamma);
        let t = select(-1.0, 1.0, zeta >= 0.0) / (abs(zeta) + sqrt(1.0 + zeta * zeta));
        let c = 1.0 / sqrt(1.0 + t * t);
        let s = c * t;
        for (var i = 0u; i < rows; i++) {
          let xp = ${ld("U", "uo + i * uc + p")};
          let xq = cmul(${ld("U", "uo + i * uc + q")}, ph);
          let np_ = c * xp - s * xq;
          let nq = s * xp + c * xq;
          ${st("U", "uo + i * uc + p", "np_")}
          ${st("U", "uo + i * uc + q", "nq")}
        }
        for (var i = 0u; i < cols; i++) {
          let xp = ${ld("V", "vo + i * cols + p")};
          let xq = cmul(${ld("V", "vo + i * cols + q")}, ph);
          let np_ = c * xp - s * xq;
          let nq = s * xp + c * xq;
          ${st("V", "vo + i * cols + p", "np_")}
          ${st("V", "vo + i * cols + q", "nq")}
        }
      }
    }
    if (!rotated) { break; }
  }
  let so = b * cols;
  for (var c = 0u; c < cols; c++) {
    var ss = 0.0;
    for (var i = 0u; i < rows; i++) { let e = ${ld("U", "uo + i * uc + c")}; ss += dot(e, e); }
    S[so + c] = sqrt(ss);
  }
  for (var i = 0u; i < cols; i++) {
    var best = i;
    for (var j = i + 1u; j < cols; j++) { if (S[so + j] > S[so + best]) { best = j; } }
    if (best != i) {
      let t = S[so + i];
      S[so + i] = S[so + best];
      S[so + best] = t;
      for (var r = 0u; r < rows; r++) {
        let a = ${ld("U", "uo + r * uc + i")};
        let d = ${ld("U", "uo + r * uc + best")};
        ${st("U", "uo + r * uc + i", "d")}
        ${st("U", "uo + r * uc + best", "a")}
      }
      for (var r = 0u; r < cols; r++) {
        let a = ${ld("V", "vo + r * cols + i")};
        let d = ${ld("V", "vo + r * cols + best")};
        ${st("V", "vo + r * cols + i", "d")}
        ${st("V", "vo + r * cols + best", "a")}
      }
    }
  }
  for (var c = 0u; c < uc; c++) {
    var norm0 = 0.0;
    if (c < cols) {
      norm0 = S[so + c];
      if (norm0 > 0.0) { for (var i = 0u; i < rows; i++) { let e = ${ld("U", "uo + i * uc + c")} / norm0; ${st("U", "uo + i * uc + c", "e")} } }
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
          for (var d = 0u; d < c; d++) { let e = ${ld("U", "uo + i * uc + d")}; cover += dot(e, e); }
          if (cover < bestCover) { bestCover = cover; bi = i; }
        }
        for (var i = 0u; i < rows; i++) { let e = vec2<f32>(select(0.0, 1.0, i == bi), 0.0); ${st("U", "uo + i * uc + c", "e")} }
        norm0 = 1.0;
      }
      if (norm0 == 0.0) { continue; }
      for (var gsPass = 0u; gsPass < 2u; gsPass++) {
        for (var d = 0u; d < c; d++) {
          var s = vec2<f32>(0.0, 0.0);
          for (var i = 0u; i < rows; i++) { s += cmul(cconj(${ld("U", "uo + i * uc + d")}), ${ld("U", "uo + i * uc + c")}); }
          for (var i = 0u; i < rows; i++) { let e = ${ld("U", "uo + i * uc + c")} - cmul(s, ${ld("U", "uo + i * uc + d")}); ${st("U", "uo + i * uc + c", "e")} }
        }
      }
      var ss = 0.0;
      for (var i = 0u; i < rows; i++) { let e = ${ld("U", "uo + i * uc + c")}; ss += dot(e, e); }
      nrm = sqrt(ss);
    }
    for (var i = 0u; i < rows; i++) { let e = ${ld("U", "uo + i * uc + c")} / nrm; ${st("U", "uo + i * uc + c", "e")} }
  }
  if (tall) {
    for (var i = 0u; i < 2u * m * uc; i++) { UO[2u * b * m * uc + i] = U[2u * uo + i]; }
    for (var i = 0u; i < n; i++) { for (var j = 0u; j < n; j++) { let e = cconj(${ld("V", "vo + j * n + i")}); ${st("VT", "b * n * n + i * n + j", "e")} } }
  } else {
    for (var i = 0u; i < 2u * m * m; i++) { UO[2u * b * m * m + i] = V[2u * vo + i]; }
    for (var i = 0u; i < uc; i++) { for (var j = 0u; j < n; j++) { let e = cconj(${ld("U", "uo + j * uc + i")}); ${st("VT", "b * uc * n + i * n + j", "e")} } }
  }`);

const svd: GpuRoutine = ([x], _in, _outTypes, params) => {
  const { batch, m, n, fullMatrices, computeUv } = params as { batch: number; m: number; n: number; fullMatrices: boolean; computeUv: boolean };
  const k = Math.min(m, n);
  const rows = Math.max(m, n);
  const uCols = fullMatrices ? rows : k;
  const s = alloc("float32", Math.max(1, batch * k));
  const uOut = alloc("float32", Math.max(1, 2 * batch * m * (fullMatrices ? m : k)));
  const vtOut = alloc("float32", Math.max(1, 2 * batch * (fullMatrices ? n : k) * n));
  const u = alloc("float32", Math.max(1, 2 * batch * rows * uCols));
  const v = alloc("float32", Math.max(1, 2 * batch * k * k));
  run(SVD, [s, uOut, vtOut, u, v, x], 5, batch, [m, n, uCols, NAN_BITS], "linalg svd (complex)");
  release(u);
  release(v);
  if (!computeUv) {
    release(uOut);
    release(vtOut);
    return [s];
  }
  return [s, uOut, vtOut];
};

/** eig is CPU-only, as JAX's (a LAPACK routine there): a typed refusal naming the fix. */
const eigUnsupported: GpuRoutine = () => {
  throw new UnsupportedError(
    "lax.linalg.eig (np.linalg.eig, np.linalg.eigvals) of a complex matrix is not available on WebGPU (JAX's eig is CPU-only too): run eig on the CPU, " +
      'e.g. np.linalg.eig(devicePut(x, "cpu"))',
  );
};

/** The complex spectral family of WebGPU's routine table (webgpu/index.ts). */
export const complexSpectralRoutines = {
  linalg_qr_complex: qr,
  linalg_eigh_complex: eigh,
  linalg_svd_complex: svd,
  linalg_eig_complex: eigUnsupported,
} satisfies RoutineFamily;
