/**
 * A WebAssembly SIMD fast path for the windowed selections' indices
 * (select_and_gather_add, select_and_scatter_add: max/min pooling's jvp and
 * gradient; see src/backend/cpu/windowed.ts) over float32 operands whose
 * innermost axis is not windowed (channels last): four channels at a time,
 * each lane keeping its window's selected value and flat index. The rule is
 * the generic one exactly: a window's first element (row-major over the
 * window), replaced by a later candidate wherever `selected >= candidate`
 * (max; `<=` for min) is false, so NaN and −0 select as before.
 */
import type { TypedArray } from "../../dtype.js";
import type { WindowSelectParams } from "../device.js";
import { contiguousStrides, sizeOf } from "../../shape.js";
import { Asm } from "./matmul-wasm.js";
import { allocScratch, freeScratch, memoryView, pointerOf } from "./memory.js";
import { FunctionBuilder, ModuleBuilder, Op, S, T } from "./wasm/emitter.js";
import { lazySimdModule, type SimdMemoryInfo } from "./simd-module.js";

/** How many selections took this path (tests check the channels-last case does). */
export const windowSelectStats = { wasm: 0 };

let enabled = true;
/** Turns the WebAssembly selection on or off (tests compare it with the JavaScript loop); returns the previous setting. */
export function setWindowSelectWasm(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** The most window offsets (a table of them is made per call): larger windows take the JS loop. */
const MAX_WINDOW = 4096;

/** The least run of channels worth the SIMD path. */
const MIN_RUN = 4;

type Fn = (...args: number[]) => void;

const F32_GE = 0x60;
const F32_LE = 0x5f;

/**
 * select_max / select_min(X, IDX, OFFS, K, C, CV, R, RS, B0): R rows of C channels (CV of them in
 * whole vectors), row r's windows starting at element B0 + r·RS of the operand at X; OFFS holds
 * the lane numbers 0..3 (i32x4), then the K window offsets (elements); the selected flat element
 * indices go to IDX, C per row.
 */
function buildModule(memory: SimdMemoryInfo): Uint8Array<ArrayBuffer> {
  const mb = new ModuleBuilder({ minPages: 0, maxPages: memory.maxPages, shared: memory.shared });
  const I = T.i32;
  for (const [name, vcmp, scmp] of [["select_max", S.f32x4_ge, F32_GE], ["select_min", S.f32x4_le, F32_LE]] as const) {
    const fb = new FunctionBuilder([I, I, I, I, I, I, I, I, I], []);
    const a = new Asm(fb);
    const [X, IDX, OFFS, K, C, CV, R, RS, B0] = fb.params;
    const r = a.i32(), c = a.i32(), k = a.i32(), e0 = a.i32(), e = a.i32(), kb = a.i32(), si = a.i32(), keep = a.i32();
    const bv = fb.local(T.v128), bi = fb.local(T.v128), v = fb.local(T.v128), m = fb.local(T.v128), iota = fb.local(T.v128);
    const sv = fb.local(T.f32), sx = fb.local(T.f32);
    a.emit(OFFS);
    fb.simdMem(S.v128_load, 2).set(iota);
    a.set(kb, a.add(a.mul(K, 4), 16));
    a.for(r, 0, R, 1, () => {
      a.for(c, 0, CV, 4, () => {
        a.set(e0, a.add(B0, c));
        a.emit(a.add(X, a.mul(e0, 4)));
        fb.simdMem(S.v128_load, 2).set(bv);
        a.emit(e0);
        fb.simd(S.i32x4_splat).get(iota).simd(S.i32x4_add).set(bi);
        a.for(k, 20, kb, 4, () => {
          a.set(e, a.add(e0, a.load(a.add(OFFS, k))));
          a.emit(a.add(X, a.mul(e, 4)));
          fb.simdMem(S.v128_load, 2).set(v);
          // m: lanes where the candidate replaces the selection
          fb.get(bv).get(v).simd(vcmp).simd(S.v128_not).set(m);
          fb.get(v).get(bv).get(m).simd(S.v128_bitselect).set(bv);
          a.emit(e);
          fb.simd(S.i32x4_splat).get(iota).simd(S.i32x4_add).get(bi).get(m).simd(S.v128_bitselect).set(bi);
        });
        a.emit(a.add(IDX, a.mul(a.add(a.mul(r, C), c), 4)));
        fb.get(bi).simdMem(S.v128_store, 2);
      });
      a.for(c, CV, C, 1, () => {
        a.set(e0, a.add(B0, c));
        a.emit(a.add(X, a.mul(e0, 4)));
        fb.mem(Op.f32_load, 2).set(sv);
        a.set(si, e0);
        a.for(k, 20, kb, 4, () => {
          a.set(e, a.add(e0, a.load(a.add(OFFS, k))));
          a.emit(a.add(X, a.mul(e, 4)));
          fb.mem(Op.f32_load, 2).set(sx);
          // keep (sv, si) where sv >= sx (max; <= for min), else take (sx, e)
          fb.get(sv).get(sx).op(scmp).set(keep);
          fb.get(sv).get(sx).get(keep).op(Op.select).set(sv);
          fb.get(si).get(e).get(keep).op(Op.select).set(si);
        });
        a.emit(a.add(IDX, a.mul(a.add(a.mul(r, C), c), 4)));
        a.emit(si);
        fb.mem(Op.i32_store, 2);
      });
      a.set(B0, a.add(B0, RS));
    });
    mb.exportFunc(name, mb.addFunc(fb));
  }
  // scatter_add(OUT, IDX, SRC, N): OUT[IDX[i]] += SRC[i] in order; gather(OUT, IDX, SRC, N): OUT[i] = SRC[IDX[i]]
  for (const name of ["scatter_add", "gather"] as const) {
    const fb = new FunctionBuilder([I, I, I, I], []);
    const a = new Asm(fb);
    const [OUT, IDX, SRC, N] = fb.params;
    const i = a.i32(), at = a.i32();
    a.for(i, 0, a.mul(N, 4), 4, () => {
      if (name === "scatter_add") {
        a.set(at, a.add(OUT, a.mul(a.load(a.add(IDX, i)), 4)));
        a.emit(at);
        a.emit(at);
        fb.mem(Op.f32_load, 2);
        a.emit(a.add(SRC, i));
        fb.mem(Op.f32_load, 2).op(0x92).mem(Op.f32_store, 2); // f32.add
      } else {
        a.emit(a.add(OUT, i));
        a.emit(a.add(SRC, a.mul(a.load(a.add(IDX, i)), 4)));
        fb.mem(Op.f32_load, 2).mem(Op.f32_store, 2);
      }
    });
    mb.exportFunc(name, mb.addFunc(fb));
  }
  return mb.encode();
}

/** The module's kernels, instantiated on first use (null: take the JavaScript path). */
const compile = lazySimdModule<Record<string, Fn>>(buildModule);

/**
 * select_and_scatter_add (`kind` "scatter": `out` zeroed, each window's `src` value added at its
 * selected element) or select_and_gather_add ("gather": `out[i]` the tangent `src` at window i's
 * selected element) by WebAssembly SIMD; false (having done nothing) where the operand is not
 * float32, its innermost axis is windowed or short, or WebAssembly is missing.
 */
export function selectionWasm(kind: "scatter" | "gather", src: TypedArray, x: TypedArray, p: WindowSelectParams, out: TypedArray): boolean {
  if (!enabled || !(x instanceof Float32Array) || !(src instanceof Float32Array) || !(out instanceof Float32Array)) return false;
  const { inShape, outShape, window, strides, dilation } = p;
  const nd = inShape.length;
  if (nd < 1 || window[nd - 1] !== 1 || strides[nd - 1] !== 1) return false;
  const C = outShape[nd - 1];
  const n = sizeOf(outShape);
  if (C < MIN_RUN || n === 0 || inShape[nd - 1] !== C) return false;
  const fns = compile();
  if (!fns) return false;
  const inStrides = contiguousStrides(inShape);
  const K = sizeOf(window);
  if (K > MAX_WINDOW) return false;
  const scratch: [number, number][] = [];
  const take = (bytes: number) => {
    const q = allocScratch(bytes);
    if (q >= 0) scratch.push([q, bytes]);
    return q;
  };
  try {
    let px = pointerOf(x);
    if (px < 0) {
      px = take(x.byteLength);
      if (px < 0) return false;
      memoryView(Float32Array, px, x.length).set(x);
    }
    const pi = take(n * 4);
    const po = take(16 + K * 4);
    let ps = pointerOf(src);
    if (ps < 0) {
      ps = take(src.byteLength);
      if (ps < 0) return false;
      memoryView(Float32Array, ps, src.length).set(src);
    }
    const outPtr = pointerOf(out);
    const pout = outPtr >= 0 ? outPtr : take(out.byteLength);
    if (pi < 0 || po < 0 || pout < 0) return false;
    if (outPtr < 0 && kind === "scatter") memoryView(Float32Array, pout, out.length).fill(0);
    const offs = memoryView(Int32Array, po, 4 + K);
    for (let l = 0; l < 4; l++) offs[l] = l;
    for (let k = 0; k < K; k++) {
      let rest = k;
      let off = 0;
      for (let j = nd - 1; j >= 0; j--) {
        off += (rest % window[j]) * dilation[j] * inStrides[j];
        rest = Math.floor(rest / window[j]);
      }
      offs[4 + k] = off;
    }
    windowSelectStats.wasm++;
    const fn = p.op === "max" ? fns.select_max : fns.select_min;
    const cv = C & ~3;
    // the wasm loop takes the output axis just outside the channels (rows); an odometer the others
    const q = nd - 1;
    const R = q >= 1 ? outShape[q - 1] : 1;
    const rs = q >= 1 ? strides[q - 1] * inStrides[q - 1] : 0;
    let outer = 1;
    for (let j = 0; j < q - 1; j++) outer *= outShape[j];
    const idx = new Array<number>(Math.max(q - 1, 0)).fill(0);
    let base = 0;
    let at = pi;
    for (let i = 0; i < outer; i++) {
      fn(px, at, po, K, C, cv, R, rs, base);
      at += R * C * 4;
      for (let j = q - 2; j >= 0; j--) {
        const st = strides[j] * inStrides[j];
        base += st;
        if (++idx[j] < outShape[j]) break;
        base -= idx[j] * st;
        idx[j] = 0;
      }
    }
    if (kind === "scatter") fns.scatter_add(pout, pi, ps, n);
    else fns.gather(pout, pi, ps, n);
    if (outPtr < 0) out.set(memoryView(Float32Array, pout, out.length));
    return true;
  } finally {
    for (const [ptr, bytes] of scratch) freeScratch(ptr, bytes);
  }
}
