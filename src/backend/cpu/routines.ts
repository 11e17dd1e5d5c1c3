/**
 * The CPU's hand-written routines: the primitives that are not one loop nest
 * over the output (matmul, sort, scans, gathers, pads, dynamic slices, the
 * PRNG's block cipher). Each takes row-major input buffers and returns freshly
 * allocated outputs of the dtypes and shapes the caller already computed.
 * Inputs are never written.
 */
import type { TypedArray } from "../../dtype.js";
import { allocate, isFloat } from "../../dtype.js";
import { contiguousStrides as rowMajorStrides, sizeOf } from "../../shape.js";
import type { BufferType, DotParams, RoutineImpl, RoutineTable } from "../device.js";
import { matmulWasm, wasmMatmulEligible } from "./matmul-wasm.js";
import { argreduceWasm } from "./argreduce-wasm.js";
import { skinnyDot } from "./matmul-skinny.js";
import { alloc, release } from "./memory.js";
import { cpuLinalgRoutines } from "./linalg.js";
import { cpuComplexSpectralRoutines } from "./linalg-complex-spectral.js";
import { cpuWindowedRoutines } from "./windowed.js";
import { conv } from "./conv.js";
import { cpuFftRoutines } from "./fft.js";
import { cpuAttentionRoutines } from "./attention.js";
import { cpuAttentionBwdRoutines } from "./attention-bwd.js";

/** A CPU routine (parameters as the contract `Routines` in backend/device.ts declares them). */
export type CpuRoutine = RoutineImpl<TypedArray, Record<string, unknown>>;

const allocateOut = (t: BufferType) => allocate(t.dtype, sizeOf(t.shape));

/** A start index read from a size-1 index buffer, clamped into [0, hi] as JAX clamps. */
function clampedStart(buf: TypedArray, hi: number): number {
  const v = buf[0];
  return v < 0 ? 0 : v > hi ? hi : v;
}

/**
 * Copies the box `block` at `srcStart` in `src` (of `srcShape`) to `dstStart` in
 * `dst` (of `dstShape`), both row-major and of the same storage type. The
 * innermost axis is copied with `set` when long enough to beat a loop.
 */
function copyBox(
  src: TypedArray,
  srcShape: readonly number[],
  srcStart: readonly number[],
  dst: TypedArray,
  dstShape: readonly number[],
  dstStart: readonly number[],
  block: readonly number[],
): void {
  const nd = block.length;
  if (block.some((b) => b === 0)) return;
  if (nd === 0) {
    dst[0] = src[0];
    return;
  }
  const ss = rowMajorStrides(srcShape);
  const ds = rowMajorStrides(dstShape);
  let s0 = 0;
  let d0 = 0;
  for (let d = 0; d < nd; d++) {
    s0 += srcStart[d] * ss[d];
    d0 += dstStart[d] * ds[d];
  }
  const last = nd - 1;
  const len = block[last];
  const rec = (axis: number, so: number, dof: number): void => {
    if (axis === last) {
      if (len >= 32) dst.set(src.subarray(so, so + len), dof);
      else for (let i = 0; i < len; i++) dst[dof + i] = src[so + i];
      return;
    }
    for (let i = 0; i < block[axis]; i++) rec(axis + 1, so + i * ss[axis], dof + i * ds[axis]);
  };
  rec(0, s0, d0);
}

// ---- dot ------------------------------------------------------------------------------
//
// Floats: a GotoBLAS-style blocked product. Blocks of the rhs (KC×NC) and lhs
// (MC×KC) are packed into contiguous float64 panels, NR columns or MR rows wide,
// so the micro-kernel reads both sequentially and keeps its MR×NR tile of C in
// local variables (no tile from 2×4 to 8×4, nor unrolling k, measured faster than 4×4).

const MR = 4;
const NR = 4;
const KC = 256;
const MC = 64;
const NC = 1024;

let packA: Float64Array = new Float64Array(0);
let packB: Float64Array = new Float64Array(0);
const edgeTile = new Float64Array(MR * NR);

function scratch(buf: Float64Array, size: number): Float64Array {
  return buf.length >= size ? buf : new Float64Array(size);
}

/** Packs rows [i0, i0+mc) × cols [p0, p0+kc) of A into MR-row panels: panel r, step p at (r*kc + p)*MR. */
function packLhs(A: TypedArray, off: number, sm: number, sk: number, i0: number, mc: number, p0: number, kc: number, dst: Float64Array) {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    let d = ir * kc;
    const base = off + (i0 + ir) * sm + p0 * sk;
    if (mr === MR) {
      for (let p = 0, s = base; p < kc; p++, s += sk) {
        dst[d] = A[s];
        dst[d + 1] = A[s + sm];
        dst[d + 2] = A[s + 2 * sm];
        dst[d + 3] = A[s + 3 * sm];
        d += MR;
      }
    } else {
      // the lanes past mr keep stale values: they only reach C's rows past mr, which are never written
      for (let p = 0, s = base; p < kc; p++, s += sk) {
        for (let i = 0; i < mr; i++) dst[d + i] = A[s + i * sm];
        d += MR;
      }
    }
  }
}

/** Packs rows [p0, p0+kc) × cols [j0, j0+nc) of B into NR-column panels: panel c, step p at (c*kc + p)*NR. */
function packRhs(B: TypedArray, off: number, sk: number, sn: number, p0: number, kc: number, j0: number, nc: number, dst: Float64Array) {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    let d = jr * kc;
    const base = off + p0 * sk + (j0 + jr) * sn;
    if (nr === NR) {
      for (let p = 0, s = base; p < kc; p++, s += sk) {
        dst[d] = B[s];
        dst[d + 1] = B[s + sn];
        dst[d + 2] = B[s + 2 * sn];
        dst[d + 3] = B[s + 3 * sn];
        d += NR;
      }
    } else {
      for (let p = 0, s = base; p < kc; p++, s += sk) {
        for (let j = 0; j < nr; j++) dst[d + j] = B[s + j * sn];
        d += NR;
      }
    }
  }
}

/** C[co.., ..] += (MR×kc panel at ai) · (kc×NR panel at bi), writing only the mr×nr valid corner. */
function microKernel(kc: number, Ap: Float64Array, ai: number, Bp: Float64Array, bi: number, C: Float64Array, co: number, ldc: number, mr: number, nr: number) {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = Ap[ai], a1 = Ap[ai + 1], a2 = Ap[ai + 2], a3 = Ap[ai + 3];
    const b0 = Bp[bi], b1 = Bp[bi + 1], b2 = Bp[bi + 2], b3 = Bp[bi + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ai += 4; // literals: V8 reloads module constants on every iteration
    bi += 4;
  }
  if (mr === MR && nr === NR) {
    C[co] += c00; C[co + 1] += c01; C[co + 2] += c02; C[co + 3] += c03;
    co += ldc;
    C[co] += c10; C[co + 1] += c11; C[co + 2] += c12; C[co + 3] += c13;
    co += ldc;
    C[co] += c20; C[co + 1] += c21; C[co + 2] += c22; C[co + 3] += c23;
    co += ldc;
    C[co] += c30; C[co + 1] += c31; C[co + 2] += c32; C[co + 3] += c33;
    return;
  }
  const t = edgeTile;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
  for (let i = 0; i < mr; i++) for (let j = 0; j < nr; j++) C[co + i * ldc + j] += t[i * NR + j];
}

/** C (m×n, row-major, accumulated into) += A·B with A and B given by offsets and strides. */
function gemmBlocked(
  m: number, n: number, k: number,
  A: TypedArray, ao: number, sam: number, sak: number,
  B: TypedArray, bo: number, sbk: number, sbn: number,
  C: Float64Array,
) {
  const kcMax = Math.min(KC, k);
  packA = scratch(packA, (Math.ceil(Math.min(MC, m) / MR) * MR) * kcMax);
  packB = scratch(packB, (Math.ceil(Math.min(NC, n) / NR) * NR) * kcMax);
  const Ap = packA;
  const Bp = packB;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packRhs(B, bo, sbk, sbn, pc, kc, jc, nc, Bp);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packLhs(A, ao, sam, sak, ic, mc, pc, kc, Ap);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            microKernel(kc, Ap, ir * kc, Bp, jr * kc, C, (ic + ir) * n + jc + jr, n, Math.min(MR, mc - ir), nr);
          }
        }
      }
    }
  }
}

/** Small or thin products, where packing costs more than it saves. */
function gemmSimple(
  m: number, n: number, k: number,
  A: TypedArray, ao: number, sam: number, sak: number,
  B: TypedArray, bo: number, sbk: number, sbn: number,
  C: Float64Array,
) {
  if (n < NR) {
    // one dot product per output element, running down k
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let a = ao + i * sam;
        let b = bo + j * sbn;
        for (let p = 0; p < k; p++, a += sak, b += sbk) s += A[a] * B[b];
        C[i * n + j] += s;
      }
    }
    return;
  }
  // a row of C at a time: C[i, :] += A[i, p] * B[p, :]
  for (let i = 0; i < m; i++) {
    const c = i * n;
    for (let p = 0; p < k; p++) {
      const a = A[ao + i * sam + p * sak];
      const b = bo + p * sbk;
      if (sbn === 1) for (let j = 0; j < n; j++) C[c + j] += a * B[b + j];
      else for (let j = 0; j < n; j++) C[c + j] += a * B[b + j * sbn];
    }
  }
}

const dot: CpuRoutine = ([lhs, rhs], inTypes, [outType], params) => {
  const { batch, m, n, k, lhsStrides: [lb, lm, lk], rhsStrides: [rb, rk, rn] } = params as DotParams;
  const lo = (params.lhsOffset as number | undefined) ?? 0;
  const ro = (params.rhsOffset as number | undefined) ?? 0;
  const mn = m * n;
  const dtype = outType.dtype;
  if (isFloat(dtype) && batch > 0 && mn > 0) {
    // mat-vec, vec-mat and other products with a small side (matmul-skinny.ts): no packing, no tiles of padding
    const res = skinnyDot(lhs, rhs, { batch, m, n, k, lhsStrides: [lb, lm, lk], rhsStrides: [rb, rk, rn], lhsOffset: lo, rhsOffset: ro }, dtype);
    if (res) return [res];
  }
  if (dtype === "float32" && lhs instanceof Float32Array && rhs instanceof Float32Array && batch > 0 && wasmMatmulEligible(m, n, k)) {
    // WebAssembly SIMD (matmul-wasm.ts), split across threads when big; the kernels below are its fallback
    const res = alloc("float32", batch * mn, false) as Float32Array;
    const args = { batch, m, n, k, lhsStrides: [lb, lm, lk], rhsStrides: [rb, rk, rn], lhsOffset: lo, rhsOffset: ro };
    if (matmulWasm(lhs, rhs, res, args)) return [res];
    release(res);
  }
  const out = allocateOut(outType);
  if (mn === 0 || k === 0 || batch === 0) return [out];
  const intInputs = !isFloat(inTypes[0].dtype) && !isFloat(inTypes[1].dtype);

  if (dtype === "bool") {
    // logical or of ands
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k && !s; p++) if (lhs[lo + b * lb + i * lm + p * lk] && rhs[ro + b * rb + p * rk + j * rn]) s = 1;
          out[b * mn + i * n + j] = s;
        }
    return [out];
  }

  if (!isFloat(dtype) && intInputs) {
    // wrapping 32-bit integer arithmetic; the low 32 bits are the same signed or unsigned
    const row = new Int32Array(n);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < m; i++) {
        row.fill(0);
        for (let p = 0; p < k; p++) {
          const a = lhs[lo + b * lb + i * lm + p * lk] | 0;
          const r0 = ro + b * rb + p * rk;
          for (let j = 0; j < n; j++) row[j] = (row[j] + Math.imul(a, rhs[r0 + j * rn])) | 0;
        }
        out.set(row, b * mn + i * n);
      }
    }
    return [out];
  }

  const small = m < MR || n < NR || m * n * k <= 16384;
  if (m * n * k <= 16384) {
    // tiny products (a 36-point distance matrix): a direct loop, nothing to allocate
    for (let b = 0; b < batch; b++) {
      const lb0 = lo + b * lb;
      const rb0 = ro + b * rb;
      for (let i = 0; i < m; i++) {
        const li = lb0 + i * lm;
        for (let j = 0; j < n; j++) {
          const rj = rb0 + j * rn;
          let acc = 0;
          for (let p = 0; p < k; p++) acc += lhs[li + p * lk] * rhs[rj + p * rk];
          out[b * mn + i * n + j] = acc;
        }
      }
    }
    return [out];
  }
  const acc = out instanceof Float64Array ? null : new Float64Array(mn);
  for (let b = 0; b < batch; b++) {
    const C = acc ?? (out as Float64Array).subarray(b * mn, (b + 1) * mn);
    if (acc) acc.fill(0);
    const gemm = small ? gemmSimple : gemmBlocked;
    gemm(m, n, k, lhs, lo + b * lb, lm, lk, rhs, ro + b * rb, rk, rn, C);
    if (acc) out.set(acc, b * mn);
  }
  return [out];
};

// ---- sort -----------------------------------------------------------------------------

/**
 * Orders positions i, j of a row by the key operands in turn. Floats order as
 * NumPy: -Infinity < ... < Infinity < NaN, with -0 equal to 0.
 */
function keyComparator(keys: TypedArray[], base: { offset: number }) {
  return (i: number, j: number): number => {
    const o = base.offset;
    for (let q = 0; q < keys.length; q++) {
      const a = keys[q][o + i];
      const b = keys[q][o + j];
      if (a < b) return -1;
      if (a > b) return 1;
      if (a !== b) {
        // at least one NaN
        const an = a !== a;
        if (an !== (b !== b)) return an ? 1 : -1;
      }
    }
    return 0;
  };
}

const sort: CpuRoutine = (inputs, inTypes, outTypes, params) => {
  const numKeys = (params.numKeys as number | undefined) ?? 1;
  const shape = inTypes[0].shape;
  const total = sizeOf(shape);
  const n = (params.n as number | undefined) ?? (shape.length ? shape[shape.length - 1] : 1);
  const outer = (params.outer as number | undefined) ?? (n === 0 ? 0 : total / n);
  const outs = outTypes.map(allocateOut);
  if (n === 0 || outer === 0) return outs;
  const keys = inputs.slice(0, numKeys);
  const base = { offset: 0 };
  const cmp = keyComparator(keys, base);
  const perm: number[] = new Array<number>(n);
  const nans: number[] = [];
  for (let r = 0; r < outer; r++) {
    const o = r * n;
    base.offset = o;
    if (numKeys === 1) {
      // NaNs go last in their original order; the rest sort without NaN checks
      const key = keys[0];
      let c = 0;
      nans.length = 0;
      for (let i = 0; i < n; i++) {
        const v = key[o + i];
        if (v !== v) nans.push(i);
        else perm[c++] = i;
      }
      perm.length = c;
      perm.sort((i, j) => {
        const a = key[o + i];
        const b = key[o + j];
        return a < b ? -1 : a > b ? 1 : 0;
      });
      for (const i of nans) perm.push(i);
    } else {
      for (let i = 0; i < n; i++) perm[i] = i;
      perm.length = n;
      perm.sort(cmp); // Array.prototype.sort is stable
    }
    for (let q = 0; q < inputs.length; q++) {
      const src = inputs[q];
      const dst = outs[q];
      for (let t = 0; t < n; t++) dst[o + t] = src[o + perm[t]];
    }
  }
  return outs;
};

// ---- cumulative -----------------------------------------------------------------------

type CumParams = { op: "sum" | "prod" | "max" | "min"; outer: number; n: number; inner: number; reverse: boolean };

const cumulative: CpuRoutine = ([x], _inTypes, [outType], params) => {
  const { op, outer, n, inner, reverse } = params as CumParams;
  const out = allocateOut(outType);
  const dtype = outType.dtype;
  const intProd = op === "prod" && (dtype === "int32" || dtype === "uint32");
  const bool = dtype === "bool";
  const step = reverse ? -inner : inner;
  if (n === 0) return [out];
  for (let a = 0; a < outer; a++) {
    for (let c = 0; c < inner; c++) {
      let idx = a * n * inner + c + (reverse ? (n - 1) * inner : 0);
      // a sum runs from +0, as JAX's (a running sum of -0s is +0)
      let acc = op === "sum" ? x[idx] + 0 : x[idx];
      out[idx] = acc;
      // continue from the stored value, so each partial result has the dtype's precision/wrapping
      acc = out[idx];
      for (let t = 1; t < n; t++) {
        idx += step;
        const v = x[idx];
        if (bool) acc = op === "sum" || op === "max" ? acc | v : acc & v;
        else if (op === "sum") acc = acc + v;
        else if (op === "prod") acc = intProd ? Math.imul(acc, v) : acc * v;
        else if (op === "max") acc = Math.max(acc, v); // propagates NaN
        else acc = Math.min(acc, v);
        out[idx] = acc;
        acc = out[idx];
      }
    }
  }
  return [out];
};

// ---- argreduce ------------------------------------------------------------------------

const argreduce: CpuRoutine = ([x], inTypes, [outType], params) => {
  const { op, outer, n, inner } = params as { op: "max" | "min"; outer: number; n: number; inner: number };
  const out = allocateOut(outType);
  // float32, bool and the integers in WebAssembly SIMD (argreduce-wasm.ts), with this loop's answers
  if (out instanceof Int32Array && argreduceWasm(x, out, inTypes[0].dtype, op, outer, n, inner)) return [out];
  const isMax = op === "max";
  for (let a = 0; a < outer; a++) {
    const base = a * n * inner;
    for (let c = 0; c < inner; c++) {
      let best = 0;
      let bv = x[base + c];
      if (bv === bv) {
        for (let i = 1; i < n; i++) {
          const v = x[base + i * inner + c];
          if (v !== v) {
            best = i; // the first NaN is the extreme
            break;
          }
          if (isMax ? v > bv : v < bv) {
            best = i;
            bv = v;
          }
        }
      }
      out[a * inner + c] = best;
    }
  }
  return [out];
};

// ---- gather / scatter ----------------------------------------------------------------

type IndexParams = { B: number; P: number; N: number; Q: number; I: number };

const gather: CpuRoutine = ([operand, indices], _inTypes, [outType], params) => {
  const { B, P, N, Q, I } = params as IndexParams;
  const out = allocateOut(outType);
  if (N === 0) return [out];
  const hi = N - 1;
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < P; p++) {
      const src = (b * P + p) * N * Q;
      const dst = (b * P + p) * I * Q;
      for (let i = 0; i < I; i++) {
        const raw = indices[b * I + i];
        const s = src + (raw < 0 ? 0 : raw > hi ? hi : raw) * Q;
        const d = dst + i * Q;
        if (Q >= 32) out.set(operand.subarray(s, s + Q), d);
        else for (let q = 0; q < Q; q++) out[d + q] = operand[s + q];
      }
    }
  }
  return [out];
};

type ScatterParams = IndexParams & { combine: "set" | "add" | "mul" | "min" | "max"; drop: boolean };

/** How one update combines with what is stored, per dtype (bools: or/and; int32: wrapping products). */
function scatterCombine(combine: ScatterParams["combine"], dtype: string): (a: number, b: number) => number {
  const bool = dtype === "bool";
  switch (combine) {
    case "set":
      return (_a, b) => b;
    case "add":
      return bool ? (a, b) => a | b : (a, b) => a + b;
    case "mul":
      return bool ? (a, b) => a & b : dtype === "int32" || dtype === "uint32" ? Math.imul : (a, b) => a * b;
    // NaN wins either way, as XLA's min/max propagate it (a !== a: a is NaN)
    case "min":
      return bool ? (a, b) => a & b : (a, b) => (a !== a || a < b ? a : b);
    case "max":
      return bool ? (a, b) => a | b : (a, b) => (a !== a || a > b ? a : b);
  }
}

/**
 * Writes the updates into a copy of the operand in index order, combining
 * repeated positions; an out-of-range index is dropped or clamped. Typed-array
 * stores wrap int32/uint32 results and round float32 ones after each update.
 */
const scatter: CpuRoutine = ([operand, indices, updates], _inTypes, [outType], params) => {
  const { B, P, N, Q, I, combine, drop } = params as ScatterParams;
  const out = allocateOut(outType);
  out.set(operand);
  if (N === 0) return [out];
  const hi = N - 1;
  const f = scatterCombine(combine, outType.dtype);
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < P; p++) {
      const dst = (b * P + p) * N * Q;
      const src = (b * P + p) * I * Q;
      for (let i = 0; i < I; i++) {
        const raw = indices[b * I + i];
        if (drop && (raw < 0 || raw > hi)) continue;
        const d = dst + (raw < 0 ? 0 : raw > hi ? hi : raw) * Q;
        const s = src + i * Q;
        if (combine === "add" && outType.dtype !== "bool") for (let q = 0; q < Q; q++) out[d + q] += updates[s + q];
        else for (let q = 0; q < Q; q++) out[d + q] = f(out[d + q], updates[s + q]);
      }
    }
  }
  return [out];
};

// ---- pad ------------------------------------------------------------------------------

const pad: CpuRoutine = ([x, value], [inType], [outType], params) => {
  const { lo, interior } = params as { lo: readonly number[]; hi: readonly number[]; interior: readonly number[] };
  const out = allocateOut(outType);
  if (out.length === 0) return [out];
  out.fill(value[0]);
  const inShape = inType.shape;
  const outShape = outType.shape;
  const nd = inShape.length;
  if (nd === 0) {
    out[0] = x[0];
    return [out];
  }
  const is = rowMajorStrides(inShape);
  const os = rowMajorStrides(outShape);
  // per axis: the operand indices [first, end) that land inside the output
  const first: number[] = [];
  const end: number[] = [];
  for (let d = 0; d < nd; d++) {
    const step = interior[d] + 1;
    first.push(lo[d] < 0 ? Math.ceil(-lo[d] / step) : 0);
    const lastPos = outShape[d] - 1 - lo[d];
    end.push(lastPos < 0 ? 0 : Math.min(inShape[d], Math.floor(lastPos / step) + 1));
    if (first[d] >= end[d]) return [out];
  }
  const last = nd - 1;
  const rec = (d: number, io: number, oo: number): void => {
    const step = interior[d] + 1;
    const i0 = first[d];
    const i1 = end[d];
    if (d === last) {
      let o = oo + (lo[d] + i0 * step) * os[d];
      const ostep = step * os[d];
      for (let i = i0; i < i1; i++, o += ostep) out[o] = x[io + i * is[d]];
      return;
    }
    for (let i = i0; i < i1; i++) rec(d + 1, io + i * is[d], oo + (lo[d] + i * step) * os[d]);
  };
  rec(0, 0, 0);
  return [out];
};

// ---- concatenate, dynamic slices -----------------------------------------------------------

const concatenate: CpuRoutine = (inputs, inTypes, [outType], params) => {
  const axis = params.axis as number;
  const out = allocateOut(outType);
  const start = outType.shape.map(() => 0);
  const zeros = start.slice();
  inputs.forEach((x, q) => {
    const shape = inTypes[q].shape;
    copyBox(x, shape, zeros, out, outType.shape, start, shape);
    start[axis] += shape[axis];
  });
  return [out];
};

const dynamic_slice: CpuRoutine = ([operand, ...starts], [inType], [outType], params) => {
  const sizes = (params.sizes as readonly number[] | undefined) ?? outType.shape;
  const shape = inType.shape;
  const out = allocateOut(outType);
  const at = shape.map((dim, d) => clampedStart(starts[d], dim - sizes[d]));
  copyBox(operand, shape, at, out, sizes, sizes.map(() => 0), sizes);
  return [out];
};

const dynamic_update_slice: CpuRoutine = ([operand, update, ...starts], [inType, updateType], [outType]) => {
  const shape = inType.shape;
  const upd = updateType.shape;
  const out = allocateOut(outType);
  out.set(operand);
  const at = shape.map((dim, d) => clampedStart(starts[d], dim - upd[d]));
  copyBox(update, upd, upd.map(() => 0), out, shape, at, upd);
  return [out];
};

// ---- threefry2x32 ---------------------------------------------------------------------
//
// The Threefry-2x32 block cipher with 20 rounds (Salmon et al., "Parallel random
// numbers: as easy as 1, 2, 3"), as jax.random's threefry2x32: two alternating
// groups of four rotations, and a key injection after every four rounds.

const threefry2x32: CpuRoutine = ([k0s, k1s, x0s, x1s], _inTypes, outTypes) => {
  const size = sizeOf(outTypes[0].shape);
  const y0 = new Uint32Array(size);
  const y1 = new Uint32Array(size);
  // a size-1 operand is broadcast
  const sk0 = k0s.length === 1 ? 0 : 1;
  const sk1 = k1s.length === 1 ? 0 : 1;
  const sx0 = x0s.length === 1 ? 0 : 1;
  const sx1 = x1s.length === 1 ? 0 : 1;
  for (let e = 0; e < size; e++) {
    const k0 = k0s[e * sk0] | 0;
    const k1 = k1s[e * sk1] | 0;
    const k2 = k0 ^ k1 ^ 0x1bd11bda;
    let a = (x0s[e * sx0] + k0) | 0;
    let b = (x1s[e * sx1] + k1) | 0;
    // rounds 1-4: rotations 13, 15, 26, 6
    a = (a + b) | 0; b = ((b << 13) | (b >>> 19)) ^ a;
    a = (a + b) | 0; b = ((b << 15) | (b >>> 17)) ^ a;
    a = (a + b) | 0; b = ((b << 26) | (b >>> 6)) ^ a;
    a = (a + b) | 0; b = ((b << 6) | (b >>> 26)) ^ a;
    a = (a + k1) | 0; b = (b + k2 + 1) | 0;
    // rounds 5-8: rotations 17, 29, 16, 24
    a = (a + b) | 0; b = ((b << 17) | (b >>> 15)) ^ a;
    a = (a + b) | 0; b = ((b << 29) | (b >>> 3)) ^ a;
    a = (a + b) | 0; b = ((b << 16) | (b >>> 16)) ^ a;
    a = (a + b) | 0; b = ((b << 24) | (b >>> 8)) ^ a;
    a = (a + k2) | 0; b = (b + k0 + 2) | 0;
    // rounds 9-12
    a = (a + b) | 0; b = ((b << 13) | (b >>> 19)) ^ a;
    a = (a + b) | 0; b = ((b << 15) | (b >>> 17)) ^ a;
    a = (a + b) | 0; b = ((b << 26) | (b >>> 6)) ^ a;
    a = (a + b) | 0; b = ((b << 6) | (b >>> 26)) ^ a;
    a = (a + k0) | 0; b = (b + k1 + 3) | 0;
    // rounds 13-16
    a = (a + b) | 0; b = ((b << 17) | (b >>> 15)) ^ a;
    a = (a + b) | 0; b = ((b << 29) | (b >>> 3)) ^ a;
    a = (a + b) | 0; b = ((b << 16) | (b >>> 16)) ^ a;
    a = (a + b) | 0; b = ((b << 24) | (b >>> 8)) ^ a;
    a = (a + k1) | 0; b = (b + k2 + 4) | 0;
    // rounds 17-20
    a = (a + b) | 0; b = ((b << 13) | (b >>> 19)) ^ a;
    a = (a + b) | 0; b = ((b << 15) | (b >>> 17)) ^ a;
    a = (a + b) | 0; b = ((b << 26) | (b >>> 6)) ^ a;
    a = (a + b) | 0; b = ((b << 6) | (b >>> 26)) ^ a;
    a = (a + k2) | 0; b = (b + k0 + 5) | 0;
    y0[e] = a;
    y1[e] = b;
  }
  return [y0, y1];
};

/** Every routine of the contract (a missing one is a compile error). */
export const cpuRoutines: RoutineTable<TypedArray> = {
  dot,
  sort,
  cumulative,
  argreduce,
  gather,
  scatter,
  pad,
  concatenate,
  dynamic_slice,
  dynamic_update_slice,
  threefry2x32,
  ...cpuLinalgRoutines,
  ...cpuComplexSpectralRoutines,
  ...cpuWindowedRoutines,
  conv,
  ...cpuFftRoutines,
  ...cpuAttentionRoutines,
  ...cpuAttentionBwdRoutines,
};
