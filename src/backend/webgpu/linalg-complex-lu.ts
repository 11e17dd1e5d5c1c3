/**
 * The WebGPU complex64 routines of the LU family (cholesky, triangular_solve,
 * lu), which webgpu/linalg.ts dispatches to for complex operands: the CPU's
 * algorithms (cpu/linalg-complex-lu.ts) in WGSL, a complex value as an
 * interleaved (re, im) f32 pair, read and written as `vec2<f32>` through
 * `ld`/`st` helpers. As the real kernels, one invocation works on one whole
 * matrix (triangular_solve: one right-hand side) in global memory: the case
 * of a batch of small matrices. (complex128 never reaches WebGPU: float64
 * and complex128 arrays live on the CPU.)
 */
import type { GpuRoutine } from "./routines.js";
import { alloc } from "./buffers.js";
import { sizeOf } from "../../shape.js";
import { header, NAN_BITS, run } from "./linalg.js";

/** WGSL complex helpers over an f32 array `name`: cld_name(i) / cst_name(i, v) read and write element i (a pair). */
function pairs(name: string, write: boolean): string {
  const ld = `fn ld_${name}(i: u32) -> vec2<f32> { return vec2<f32>(${name}[2u * i], ${name}[2u * i + 1u]); }`;
  const st = write ? `\nfn st_${name}(i: u32, v: vec2<f32>) { ${name}[2u * i] = v.x; ${name}[2u * i + 1u] = v.y; }` : "";
  return ld + st;
}

const CMATH = `fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
fn cdiv(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let d = b.x * b.x + b.y * b.y;
  return vec2<f32>((a.x * b.x + a.y * b.y) / d, (a.y * b.x - a.x * b.y) / d);
}
fn conj_(a: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x, -a.y); }`;

/**
 * A kernel's WGSL: linalg.ts's header (bindings, parameters, entry point), the helper functions placed
 * before the entry point, then the body. Made on first use (linalg.ts imports this file: its constants
 * are not there yet while this module is evaluated).
 */
function kernel(bindings: [string, string, boolean][], params: string[], helpers: string, body: string): () => string {
  let wgsl: string | null = null;
  return () => {
    if (wgsl === null) {
      const h = header(bindings, params);
      const at = h.indexOf("@compute");
      wgsl = `${h.slice(0, at)}${CMATH}\n${helpers}\n${h.slice(at)}\n${body}\n}`;
    }
    return wgsl;
  };
}

const CHOLESKY = kernel([["L", "f32", true], ["x", "f32", false]], ["n", "nanBits"], `${pairs("L", true)}\n${pairs("x", false)}`, `
  let n = p_n();
  let o = b * n * n;
  for (var i = 0u; i < n * n; i++) { st_L(o + i, ld_x(o + i)); }
  var ok = true;
  for (var j = 0u; j < n && ok; j++) {
    var d = L[2u * (o + j * n + j)];
    for (var k = 0u; k < j; k++) { let v = ld_L(o + j * n + k); d -= v.x * v.x + v.y * v.y; }
    if (isnan_(d) || d <= 0.0) { ok = false; break; }
    let l = sqrt(d);
    st_L(o + j * n + j, vec2<f32>(l, 0.0));
    for (var i = j + 1u; i < n; i++) {
      var s = ld_L(o + i * n + j);
      for (var k = 0u; k < j; k++) { s -= cmul(ld_L(o + i * n + k), conj_(ld_L(o + j * n + k))); }
      st_L(o + i * n + j, s / l);
    }
    for (var c = j + 1u; c < n; c++) { st_L(o + j * n + c, vec2<f32>(0.0, 0.0)); }
  }
  if (!ok) { for (var i = 0u; i < n * n; i++) { st_L(o + i, vec2<f32>(nan_(), nan_())); } }`);

const cholesky: GpuRoutine = ([x], _in, [outType], params) => {
  const { batch, n } = params as { batch: number; n: number };
  const out = alloc(outType.dtype, sizeOf(outType.shape));
  run(CHOLESKY(), [out, x], 1, batch, [n, NAN_BITS], "linalg cholesky (complex)");
  return [out];
};

const TRIANGULAR_SOLVE = kernel(
  [["X", "f32", true], ["A", "f32", false], ["B", "f32", false]],
  ["m", "n", "leftSide", "tLower", "transposeT", "conjugateA", "unitDiagonal", "nanBits"],
  `${pairs("X", true)}\n${pairs("A", false)}\n${pairs("B", false)}`,
  `
  // item b is right-hand side r of matrix bi; T = op(A) (left side) or op(A)ᵀ (right side)
  let m = p_m();
  let n = p_n();
  let bi = b / n;
  let r = b % n;
  let ao = bi * m * m;
  let bo = bi * m * n;
  let left = p_leftSide() == 1u;
  let tt = p_transposeT() == 1u;
  let cj = p_conjugateA() == 1u;
  for (var i = 0u; i < m; i++) {
    let at = select(bo + r * m + i, bo + i * n + r, left);
    st_X(at, ld_B(at));
  }
  for (var s0 = 0u; s0 < m; s0++) {
    let lowerT = p_tLower() == 1u;
    let i = select(m - 1u - s0, s0, lowerT);
    let at = select(bo + r * m + i, bo + i * n + r, left);
    var s = ld_X(at);
    let k0 = select(i + 1u, 0u, lowerT);
    let k1 = select(m, i, lowerT);
    for (var k = k0; k < k1; k++) {
      var t = ld_A(select(ao + i * m + k, ao + k * m + i, tt));
      if (cj) { t = conj_(t); }
      s -= cmul(t, ld_X(select(bo + r * m + k, bo + k * n + r, left)));
    }
    if (p_unitDiagonal() == 0u) {
      var d = ld_A(ao + i * m + i);
      if (cj) { d = conj_(d); }
      s = cdiv(s, d);
    }
    st_X(at, s);
  }`,
);

const triangularSolve: GpuRoutine = ([a, b], _in, [outType], params) => {
  const { batch, m, n, leftSide, lower, transposeA, conjugateA, unitDiagonal } = params as {
    batch: number; m: number; n: number; leftSide: boolean; lower: boolean; transposeA: boolean; conjugateA: boolean; unitDiagonal: boolean;
  };
  const out = alloc(outType.dtype, sizeOf(outType.shape));
  const transposeT = leftSide ? transposeA : !transposeA;
  const tLower = transposeT ? !lower : lower;
  const f = (v: boolean) => (v ? 1 : 0);
  run(TRIANGULAR_SOLVE(), [out, a, b], 1, batch * n, [m, n, f(leftSide), f(tLower), f(transposeT), f(conjugateA), f(unitDiagonal), NAN_BITS], "linalg triangular_solve (complex)");
  return [out];
};

const LU = kernel(
  [["LU", "f32", true], ["piv", "i32", true], ["perm", "i32", true], ["x", "f32", false]],
  ["m", "n", "nanBits"],
  `${pairs("LU", true)}\n${pairs("x", false)}\nfn cabs1(v: vec2<f32>) -> f32 { return abs(v.x) + abs(v.y); }`,
  `
  // partial pivoting on |re| + |im| (LAPACK's izamax, as zgetrf and the CPU's routine)
  let m = p_m();
  let n = p_n();
  let k = min(m, n);
  let o = b * m * n;
  for (var i = 0u; i < m * n; i++) { st_LU(o + i, ld_x(o + i)); }
  for (var i = 0u; i < m; i++) { perm[b * m + i] = i32(i); }
  for (var j = 0u; j < k; j++) {
    var p = j;
    var best = cabs1(ld_LU(o + j * n + j));
    for (var i = j + 1u; i < m; i++) {
      let v = cabs1(ld_LU(o + i * n + j));
      if (v > best) { best = v; p = i; }
    }
    piv[b * k + j] = i32(p);
    if (p != j) {
      for (var c = 0u; c < n; c++) {
        let t = ld_LU(o + j * n + c);
        st_LU(o + j * n + c, ld_LU(o + p * n + c));
        st_LU(o + p * n + c, t);
      }
      let t = perm[b * m + j];
      perm[b * m + j] = perm[b * m + p];
      perm[b * m + p] = t;
    }
    let d = ld_LU(o + j * n + j);
    if (d.x != 0.0 || d.y != 0.0) { for (var i = j + 1u; i < m; i++) { st_LU(o + i * n + j, cdiv(ld_LU(o + i * n + j), d)); } }
    for (var i = j + 1u; i < m; i++) {
      let l = ld_LU(o + i * n + j);
      for (var c = j + 1u; c < n; c++) { st_LU(o + i * n + c, ld_LU(o + i * n + c) - cmul(l, ld_LU(o + j * n + c))); }
    }
  }`,
);

const lu: GpuRoutine = ([x], _in, outTypes, params) => {
  const { batch, m, n } = params as { batch: number; m: number; n: number };
  const k = Math.min(m, n);
  const out = alloc(outTypes[0].dtype, sizeOf(outTypes[0].shape));
  const piv = alloc("int32", Math.max(1, batch * k));
  const perm = alloc("int32", Math.max(1, batch * m));
  run(LU(), [out, piv, perm, x], 3, batch, [m, n, NAN_BITS], "linalg lu (complex)");
  return [out, piv, perm];
};

/** The complex routines, by the routine names they serve (see webgpu/linalg.ts's dispatch). */
export const gpuComplexLuRoutines = { cholesky, triangularSolve, lu };
