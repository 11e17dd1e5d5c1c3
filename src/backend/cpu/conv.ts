/**
 * The CPU's convolution routine (`conv` in backend/device.ts).
 *
 * - Generic path: any dimension count, strides, padding, lhs/rhs dilation,
 *   feature and batch groups, any layout (operands read through strides). The
 *   (output position, kernel position) → input offset table is computed once
 *   per call, so the inner loop is a dot product over the group's channels.
 * - Direct path (float32, no groups; lhs dilation too): conv-direct.ts, a Wasm
 *   SIMD kernel reading a features-last input through the offset table, no
 *   patches; other layouts are copied features-last first and the output
 *   scattered from [batch · positions, O] (convChannelsLast).
 * - Depthwise (one input feature per group): conv-depthwise.ts in WebAssembly
 *   SIMD over the channels (float32, one output feature per group, features
 *   last), else its own JavaScript loop (convDepthwise).
 * - Else (the direct kernel off or unavailable), float32, no groups, no lhs
 *   dilation, big enough: implicit GEMM.
 *   The kernel is packed once as a [K = window · I, O] matrix; output rows
 *   (batch, position) go in tiles whose patches (at most PATCH_BYTES) are
 *   gathered from the input and multiplied by the WebAssembly SIMD matmul
 *   (matmul-wasm.ts, multithreaded when big). No im2col matrix bigger than a
 *   tile ever exists.
 */
import type { TypedArray } from "../../dtype.js";
import { sizeOf } from "../../shape.js";
import type { ConvParams } from "../device.js";
import { matmulWasm, wasmMatmulEligible } from "./matmul-wasm.js";
import { alloc, release } from "./memory.js";
import { patchGatherer } from "./conv-gather.js";
import { convDirect, convDirectEligible } from "./conv-direct.js";
import { convDepthwiseWasm } from "./conv-depthwise.js";
import type { CpuRoutine } from "./routines.js";

/** The most bytes one tile of gathered patches takes. */
const PATCH_BYTES = 1 << 19;

/** Row-major multi-index of `flat` over `dims`. */
function unravel(flat: number, dims: readonly number[], into: number[]): void {
  for (let d = dims.length - 1; d >= 0; d--) {
    into[d] = flat % dims[d];
    flat = Math.floor(flat / dims[d]);
  }
}

/**
 * For each output position y and kernel position k: the offset of the input
 * element they read (Σ x_d · lhsStride_d), or -1 where it falls in padding or
 * between dilated input elements.
 */
function offsetTable(p: ConvParams): Int32Array {
  const ns = p.inSpatial.length;
  const outN = sizeOf(p.outSpatial);
  const kN = sizeOf(p.kernelSpatial);
  const table = new Int32Array(outN * kN);
  const y = new Array<number>(ns).fill(0);
  const k = new Array<number>(ns).fill(0);
  for (let yi = 0; yi < outN; yi++) {
    unravel(yi, p.outSpatial, y);
    for (let ki = 0; ki < kN; ki++) {
      unravel(ki, p.kernelSpatial, k);
      let off = 0;
      for (let d = 0; d < ns; d++) {
        const pos = y[d] * p.strides[d] + k[d] * p.rhsDilation[d] - p.padLo[d];
        const ld = p.lhsDilation[d];
        if (pos < 0 || pos % ld !== 0) {
          off = -1;
          break;
        }
        const x = pos / ld;
        if (x >= p.inSpatial[d]) {
          off = -1;
          break;
        }
        off += x * p.lhsStrides[2 + d];
      }
      table[yi * kN + ki] = off;
    }
  }
  return table;
}

/** Σ idx_d · strides[2 + d] for every position of `dims` (row-major). */
function spatialOffsets(dims: readonly number[], strides: readonly number[]): Int32Array {
  const n = sizeOf(dims);
  const res = new Int32Array(n);
  const idx = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < n; i++) {
    unravel(i, dims, idx);
    let off = 0;
    for (let d = 0; d < dims.length; d++) off += idx[d] * strides[2 + d];
    res[i] = off;
  }
  return res;
}

function convGeneric(lhs: TypedArray, rhs: TypedArray, out: TypedArray, p: ConvParams): void {
  const O = p.outFeatures;
  const I = p.inFeatures / p.featureGroups;
  const outB = p.batch / p.batchGroups;
  const oPerG = O / p.featureGroups;
  const oPerB = O / p.batchGroups;
  const outN = sizeOf(p.outSpatial);
  const kN = sizeOf(p.kernelSpatial);
  const table = offsetTable(p);
  const rOff = spatialOffsets(p.kernelSpatial, p.rhsStrides);
  const oOff = spatialOffsets(p.outSpatial, p.outStrides);
  const [ls0, ls1] = p.lhsStrides;
  const [rs0, rs1] = p.rhsStrides;
  const [os0, os1] = p.outStrides;
  for (let n = 0; n < outB; n++) {
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / oPerG);
      const h = Math.floor(o / oPerB);
      const lbase = (h * outB + n) * ls0 + g * I * ls1;
      const rbase = o * rs0;
      const obase = n * os0 + o * os1;
      for (let y = 0; y < outN; y++) {
        let acc = 0;
        const t0 = y * kN;
        for (let k = 0; k < kN; k++) {
          const off = table[t0 + k];
          if (off < 0) continue;
          const la = lbase + off;
          const ra = rbase + rOff[k];
          for (let i = 0; i < I; i++) acc += lhs[la + i * ls1] * rhs[ra + i * rs1];
        }
        out[obase + oOff[y]] = acc;
      }
    }
  }
}

/** The implicit-GEMM path; false (having written nothing) when it does not apply. */
function convGemm(lhs: Float32Array, rhs: Float32Array, out: Float32Array, p: ConvParams): boolean {
  const O = p.outFeatures;
  const I = p.inFeatures;
  const kN = sizeOf(p.kernelSpatial);
  const outN = sizeOf(p.outSpatial);
  const K = kN * I;
  const M = p.batch * outN;
  if (!wasmMatmulEligible(M, O, K)) return false;
  const [ls0, ls1] = p.lhsStrides;
  const [rs0, rs1] = p.rhsStrides;
  const [os0, os1] = p.outStrides;
  const rOff = spatialOffsets(p.kernelSpatial, p.rhsStrides);
  const oOff = spatialOffsets(p.outSpatial, p.outStrides);
  const table = offsetTable(p);
  // the kernel as a [K, O] matrix, K ordered (kernel position, input feature)
  const w = alloc("float32", K * O, false) as Float32Array;
  const tileRows = Math.max(8, Math.min(M, Math.floor(PATCH_BYTES / 4 / K)));
  // features contiguous: the tiles are gathered by WebAssembly, into a patch in scratch
  const gatherer = ls1 === 1 ? patchGatherer(lhs, ls0, I, outN, kN, table, tileRows) : null;
  const patch = gatherer ? gatherer.patch : (alloc("float32", tileRows * K, false) as Float32Array);
  // the output rows (batch, position) are contiguous [M, O] in NHWC-like layouts: written in place
  let direct = os1 === 1 && os0 === outN * O;
  for (let y = 0; direct && y < outN; y++) if (oOff[y] !== y * O) direct = false;
  const tile = direct ? null : (alloc("float32", tileRows * O, false) as Float32Array);
  try {
    for (let k = 0; k < kN; k++)
      for (let i = 0; i < I; i++) {
        const src = rOff[k] + i * rs1;
        const dst = (k * I + i) * O;
        for (let o = 0; o < O; o++) w[dst + o] = rhs[src + o * rs0];
      }
    for (let m0 = 0; m0 < M; m0 += tileRows) {
      const mt = Math.min(tileRows, M - m0);
      if (gatherer) gatherer.gather(m0, mt);
      else for (let r = 0; r < mt; r++) {
        const row = m0 + r;
        const n = Math.floor(row / outN);
        const y = row - n * outN;
        const lb = n * ls0;
        const t0 = y * kN;
        let dst = r * K;
        for (let k = 0; k < kN; k++, dst += I) {
          const off = table[t0 + k];
          if (off < 0) patch.fill(0, dst, dst + I);
          else if (ls1 === 1 && I >= 64) patch.set(lhs.subarray(lb + off, lb + off + I), dst);
          else if (ls1 === 1) for (let i = 0, a = lb + off; i < I; i++) patch[dst + i] = lhs[a + i];
          else for (let i = 0; i < I; i++) patch[dst + i] = lhs[lb + off + i * ls1];
        }
      }
      const target = tile ?? out.subarray(m0 * O, (m0 + mt) * O);
      const ok = matmulWasm(patch, w, target, { batch: 1, m: mt, n: O, k: K, lhsStrides: [0, K, 1], rhsStrides: [0, O, 1], lhsOffset: 0, rhsOffset: 0 });
      if (!ok) {
        if (m0 === 0) return false;
        throw new Error("conv: the WebAssembly matmul stopped part way"); // cannot happen once it ran
      }
      if (tile) {
        for (let r = 0; r < mt; r++) {
          const row = m0 + r;
          const n = Math.floor(row / outN);
          const base = n * os0 + oOff[row - n * outN];
          for (let o = 0; o < O; o++) out[base + o * os1] = tile[r * O + o];
        }
      }
    }
    return true;
  } finally {
    release(w);
    if (gatherer) gatherer.free();
    else release(patch);
    if (tile) release(tile);
  }
}

/**
 * The direct kernel (conv-direct.ts), for any layout: an input whose features are not contiguous
 * (NCHW, or a kernel gradient's, whose "features" are the batch) is first copied features-last, and
 * an output that is not [batch · positions, O] contiguous is computed into one and then scattered.
 * Both copies are linear in the operands; the products dominate. False (having written nothing)
 * where the kernel does not take the convolution.
 */
function convChannelsLast(lhs: Float32Array, rhs: Float32Array, out: Float32Array, p: ConvParams): boolean {
  const [rs0, rs1] = p.rhsStrides;
  const [os0, os1] = p.outStrides;
  const O = p.outFeatures;
  const I = p.inFeatures;
  const outN = sizeOf(p.outSpatial);
  const inN = sizeOf(p.inSpatial);
  const shape = { batch: p.batch, outN, O, I, kN: sizeOf(p.kernelSpatial), ls0: inN * I };
  if (!convDirectEligible(shape)) return false;
  const oOff = spatialOffsets(p.outSpatial, p.outStrides);
  let direct = os1 === 1 && os0 === outN * O;
  for (let y = 0; direct && y < outN; y++) if (oOff[y] !== y * O) direct = false;
  const rOff = spatialOffsets(p.kernelSpatial, p.rhsStrides);
  // the input features-last: [batch, positions..., I]
  const [ls0, ls1] = p.lhsStrides;
  const iOff = spatialOffsets(p.inSpatial, p.lhsStrides);
  let x = lhs;
  let q = p;
  if (ls1 !== 1) {
    x = alloc("float32", p.batch * inN * I, false) as Float32Array;
    // positions outermost: at one position the batch × features block is a few cache lines either way
    // (a kernel gradient's input is NHWC read as [C, positions, N])
    for (let s = 0; s < inN; s++)
      for (let n = 0; n < p.batch; n++) {
        const src = n * ls0 + iOff[s];
        const d = (n * inN + s) * I;
        for (let i = 0; i < I; i++) x[d + i] = lhs[src + i * ls1];
      }
    q = { ...p, lhsStrides: [inN * I, 1, ...contiguousSpatial(p.inSpatial, I)] };
  }
  const target = direct ? out : (alloc("float32", p.batch * outN * O, false) as Float32Array);
  try {
    if (!convDirect(x, target, { ...shape, ls0: q.lhsStrides[0] }, offsetTable(q), { data: rhs, offsets: rOff, inStride: rs1, outStride: rs0 })) return false;
    if (!direct) {
      for (let n = 0, r = 0; n < p.batch; n++)
        for (let y = 0; y < outN; y++, r += O) {
          const base = n * os0 + oOff[y];
          for (let o = 0; o < O; o++) out[base + o * os1] = target[r + o];
        }
    }
    return true;
  } finally {
    if (x !== lhs) release(x);
    if (target !== out) release(target);
  }
}

/** Row-major strides of `dims` positions holding `I` features each (the spatial strides of a features-last layout). */
function contiguousSpatial(dims: readonly number[], I: number): number[] {
  const st = new Array<number>(dims.length);
  let s = I;
  for (let d = dims.length - 1; d >= 0; d--) {
    st[d] = s;
    s *= dims[d];
  }
  return st;
}

/** Depthwise with one output feature per group, features last in the input and the output: conv-depthwise.ts. */
function depthwiseChannelsLast(lhs: Float32Array, rhs: TypedArray, out: Float32Array, p: ConvParams): boolean {
  const C = p.outFeatures;
  if (C !== p.featureGroups) return false;
  const [ls0, ls1] = p.lhsStrides;
  const [os0, os1] = p.outStrides;
  const outN = sizeOf(p.outSpatial);
  if (ls1 !== 1 || os1 !== 1 || os0 !== outN * C) return false;
  const oOff = spatialOffsets(p.outSpatial, p.outStrides);
  for (let y = 0; y < outN; y++) if (oOff[y] !== y * C) return false;
  const kN = sizeOf(p.kernelSpatial);
  const rOff = spatialOffsets(p.kernelSpatial, p.rhsStrides);
  return convDepthwiseWasm(lhs, out, { batch: p.batch, outN, C, kN, ls0 }, offsetTable(p), { data: rhs, offsets: rOff, cStride: p.rhsStrides[0] });
}

/** Depthwise (one input feature per group, no batch groups): its own loop, one output feature at a time. */
function convDepthwise(lhs: TypedArray, rhs: TypedArray, out: TypedArray, p: ConvParams): void {
  const O = p.outFeatures;
  const mult = O / p.featureGroups;
  const outN = sizeOf(p.outSpatial);
  const kN = sizeOf(p.kernelSpatial);
  const table = offsetTable(p);
  const rOff = spatialOffsets(p.kernelSpatial, p.rhsStrides);
  const oOff = spatialOffsets(p.outSpatial, p.outStrides);
  const [ls0, ls1] = p.lhsStrides;
  const [rs0] = p.rhsStrides;
  const [os0, os1] = p.outStrides;
  const wk = new Float64Array(kN);
  for (let o = 0; o < O; o++) {
    const g = Math.floor(o / mult);
    for (let k = 0; k < kN; k++) wk[k] = rhs[o * rs0 + rOff[k]];
    for (let n = 0; n < p.batch; n++) {
      const lbase = n * ls0 + g * ls1;
      const obase = n * os0 + o * os1;
      for (let y = 0; y < outN; y++) {
        let acc = 0;
        const t0 = y * kN;
        for (let k = 0; k < kN; k++) {
          const off = table[t0 + k];
          if (off >= 0) acc += lhs[lbase + off] * wk[k];
        }
        out[obase + oOff[y]] = acc;
      }
    }
  }
}

export const conv: CpuRoutine = ([lhs, rhs], _inTypes, [outType], params) => {
  const p = params as ConvParams;
  const size = sizeOf(outType.shape);
  const out = alloc(outType.dtype, size, true);
  if (size === 0 || p.inFeatures === 0 || sizeOf(p.kernelSpatial) === 0) return [out];
  const ungrouped = p.featureGroups === 1 && p.batchGroups === 1;
  const plain = ungrouped && p.lhsDilation.every((d) => d === 1);
  if (ungrouped && outType.dtype === "float32" && lhs instanceof Float32Array && rhs instanceof Float32Array && out instanceof Float32Array) {
    // input dilation (a strided convolution's input gradient) too: the offset table marks the holes as padding
    if (convChannelsLast(lhs, rhs, out, p) || (plain && convGemm(lhs, rhs, out, p))) return [out];
  }
  const depthwise = p.batchGroups === 1 && p.featureGroups > 1 && p.inFeatures === p.featureGroups;
  if (depthwise && lhs instanceof Float32Array && out instanceof Float32Array && depthwiseChannelsLast(lhs, rhs, out, p)) return [out];
  if (depthwise) convDepthwise(lhs, rhs, out, p);
  else convGeneric(lhs, rhs, out, p);
  return [out];
};
