/**
 * A CPU fast path for window maxima, minima and sums (reduce_window_max/min/sum, see
 * src/lax/windowed.ts): the kernel IR loop [output..., window...] with the
 * window axes reduced, whose input is read unchanged (no fused producer),
 * and whose innermost output axis is contiguous in the input (channels
 * last, as NHWC pooling: that axis is not windowed). Instead of one short
 * reduction per output element, each row of channels is folded window
 * offset by window offset, C values at a time, in a tight loop over the
 * typed arrays.
 *
 * Values are those of the generic kernel exactly: Math.max/Math.min, as the
 * generic kernels use, are order-independent (NaN propagates, +0 above −0),
 * so folding by window offset rather than by output element changes
 * nothing. Sums (avg-pool) keep the generic kernel's order and rounding:
 * the JavaScript kernel sums each output in float64 from +0, window offset
 * by window offset in row-major order, and rounds once to the dtype at the
 * store; the fold does the same (float32: in WebAssembly, two float64 lanes
 * per f64x2 add, one float32 rounding at the store), so its bits are the
 * generic kernel's. A float32 window sum over what is one axis once merged
 * (a 1-D window) is the generic WebAssembly kernel's, in float32 and its own
 * order: that stays with it.
 */
import type { TypedArray } from "../../dtype.js";
import type { Expr, Kernel } from "../kernel.js";
import { collapse, compileKernel } from "./codegen.js";
import { tryWasmKernel } from "./wasm/index.js";
import { alloc, release } from "./memory.js";
import { FunctionBuilder, ModuleBuilder, Op, S, T } from "./wasm/emitter.js";
import { Asm } from "./matmul-wasm.js";
import { memoryView, pointerOf, withScratch } from "./memory.js";
import { lazySimdModule, type SimdMemoryInfo } from "./simd-module.js";

// ---- WebAssembly SIMD (float32) ----------------------------------------------------------------

/** The monoids folded here. */
type FoldOp = "max" | "min" | "sum";

type Fn = (x: number, o: number, offs: number, k: number, cv: number, cb: number, rows: number, rs: number) => void;

/**
 * fold_max / fold_min(X, O, OFFS, K, CV, CB, R, RS): for each of R rows (input at X + r·RS,
 * output at O + r·CB), each output lane c (bytes, CB in all, CV of them in whole vectors) the
 * max/min over the K window offsets at OFFS (bytes, i32) of X[offset + c]; f32x4.max/min and
 * f32.max/min propagate NaN and order −0 below +0, as Math.max/Math.min.
 */
function buildModule(memory: SimdMemoryInfo): Uint8Array<ArrayBuffer> {
  const mb = new ModuleBuilder({ minPages: 0, maxPages: memory.maxPages, shared: memory.shared });
  const I = T.i32;
  for (const [name, vop, sop] of [["fold_max", S.f32x4_max, Op.f32_max], ["fold_min", S.f32x4_min, Op.f32_min]] as const) {
    const fb = new FunctionBuilder([I, I, I, I, I, I, I, I], []);
    const a = new Asm(fb);
    const [X, O, OFFS, K, CV, CB, R, RS] = fb.params;
    const r = a.i32(), c = a.i32(), k = a.i32(), x0 = a.i32(), kb = a.i32();
    const acc = fb.local(T.v128);
    const s = fb.local(T.f32);
    a.set(x0, a.add(X, a.load(OFFS)));
    a.set(kb, a.mul(K, 4));
    a.for(r, 0, R, 1, () => {
      a.for(c, 0, CV, 16, () => {
        a.emit(a.add(x0, c));
        fb.simdMem(S.v128_load, 2).set(acc);
        a.for(k, 4, kb, 4, () => {
          fb.get(acc);
          a.emit(a.add(a.add(X, a.load(a.add(OFFS, k))), c));
          fb.simdMem(S.v128_load, 2).simd(vop).set(acc);
        });
        a.emit(a.add(O, c));
        fb.get(acc).simdMem(S.v128_store, 2);
      });
      a.for(c, CV, CB, 4, () => {
        a.emit(a.add(x0, c));
        fb.mem(Op.f32_load, 2).set(s);
        a.for(k, 4, kb, 4, () => {
          fb.get(s);
          a.emit(a.add(a.add(X, a.load(a.add(OFFS, k))), c));
          fb.mem(Op.f32_load, 2).op(sop).set(s);
        });
        a.emit(a.add(O, c));
        fb.get(s).mem(Op.f32_store, 2);
      });
      a.set(X, a.add(X, RS));
      a.set(x0, a.add(x0, RS));
      a.set(O, a.add(O, CB));
    });
    mb.exportFunc(name, mb.addFunc(fb));
  }
  {
    // fold_sum: the same walk, each lane summed in float64 from +0 in window-offset order, then rounded
    // once to float32, as the generic JavaScript kernel does (acc = 0; acc += x; out = fround(acc))
    const fb = new FunctionBuilder([I, I, I, I, I, I, I, I], []);
    const a = new Asm(fb);
    const [X, O, OFFS, K, CV, CB, R, RS] = fb.params;
    const r = a.i32(), c = a.i32(), k = a.i32(), kb = a.i32();
    const lo = fb.local(T.v128), hi = fb.local(T.v128), v = fb.local(T.v128);
    const s = fb.local(T.f64);
    const zero = fb.constV128("f32", 0);
    // lanes 2, 3 of v into lanes 0, 1
    const HIGH = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
    // lanes 0, 1 of the first demoted vector, then lanes 0, 1 of the second
    const JOIN = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
    a.set(kb, a.mul(K, 4));
    a.for(r, 0, R, 1, () => {
      a.for(c, 0, CV, 16, () => {
        fb.get(zero).set(lo).get(zero).set(hi);
        a.for(k, 0, kb, 4, () => {
          a.emit(a.add(a.add(X, a.load(a.add(OFFS, k))), c));
          fb.simdMem(S.v128_load, 2).set(v);
          fb.get(lo).get(v).simd(S.f64x2_promote_low_f32x4).simd(S.f64x2_add).set(lo);
          fb.get(hi).get(v).get(v).simd(S.i8x16_shuffle, ...HIGH).simd(S.f64x2_promote_low_f32x4).simd(S.f64x2_add).set(hi);
        });
        a.emit(a.add(O, c));
        fb.get(lo).simd(S.f32x4_demote_f64x2_zero).get(hi).simd(S.f32x4_demote_f64x2_zero).simd(S.i8x16_shuffle, ...JOIN);
        fb.simdMem(S.v128_store, 2);
      });
      a.for(c, CV, CB, 4, () => {
        fb.op(Op.f64_const, 0, 0, 0, 0, 0, 0, 0, 0).set(s); // +0
        a.for(k, 0, kb, 4, () => {
          fb.get(s);
          a.emit(a.add(a.add(X, a.load(a.add(OFFS, k))), c));
          fb.mem(Op.f32_load, 2).op(Op.f64_promote_f32).op(Op.f64_add).set(s);
        });
        a.emit(a.add(O, c));
        fb.get(s).op(Op.f32_demote_f64).mem(Op.f32_store, 2);
      });
      a.set(X, a.add(X, RS));
      a.set(O, a.add(O, CB));
    });
    mb.exportFunc("fold_sum", mb.addFunc(fb));
  }
  return mb.encode();
}

/** The module's kernels, instantiated on first use (null: take the JavaScript path). */
const compile = lazySimdModule<Record<string, Fn>>(buildModule);

/** The float32 fold in WebAssembly: false (having done nothing) where it cannot run. */
function foldWasm(x: Float32Array, out: Float32Array, op: FoldOp, shape: readonly number[], strides: readonly number[], offset: number, q: number, offs: Int32Array): boolean {
  const fns = compile();
  if (!fns) return false;
  // operands outside the shared memory (past the pool's target) go through scratch copies
  return withScratch(({ place, block }) => {
    const px = place(x, true);
    const po = place(out, false);
    const K = offs.length;
    const ptr = block(K * 4);
    if (px < 0 || po < 0 || ptr < 0) return false;
    const view = memoryView(Int32Array, ptr, K);
    for (let k = 0; k < K; k++) view[k] = offs[k] * 4;
    const fn = op === "max" ? fns.fold_max : op === "min" ? fns.fold_min : fns.fold_sum;
    const C = shape[q - 1];
    const cb = C * 4;
    const cv = (C & ~3) * 4;
    // the wasm loop takes the output axis just outside the channels (rows); the odometer the others
    const R = q >= 2 ? shape[q - 2] : 1;
    const rs = q >= 2 ? strides[q - 2] * 4 : 0;
    let outer = 1;
    for (let j = 0; j < q - 2; j++) outer *= shape[j];
    const idx = new Array<number>(Math.max(q - 2, 0)).fill(0);
    let base = offset;
    let ob = po;
    for (let i = 0; i < outer; i++) {
      fn(px + base * 4, ob, ptr, K, cv, cb, R, rs);
      ob += R * cb;
      for (let j = q - 3; j >= 0; j--) {
        base += strides[j];
        if (++idx[j] < shape[j]) break;
        base -= idx[j] * strides[j];
        idx[j] = 0;
      }
    }
    if (po !== pointerOf(out)) out.set(memoryView(Float32Array, po, out.length));
    return true;
  });
}

// ---- a fused producer ----------------------------------------------------------------------------

/**
 * Whether an expression over input 0 is exact whatever evaluates it (JS doubles rounded once, or
 * float32 WebAssembly): loads of input 0, constants exact in the dtype, neg, abs, max, min, and
 * selects by comparisons of such expressions. Such a producer
 * (a relu before the pool) is applied to the whole input first, then folded as a plain load.
 */
function exactProducer(e: Expr): boolean {
  // memoized per node: a producer is a DAG (a relu's select reads x twice), walked once
  let known = exactMemo.get(e);
  if (known === undefined) exactMemo.set(e, (known = exactNode(e)));
  return known;
}
const exactMemo = new WeakMap<Expr, boolean>();

function exactNode(e: Expr): boolean {
  switch (e.kind) {
    case "input":
      return e.input === 0;
    case "const":
      // a constant exact in the dtype (JS may embed it as a double)
      return e.dtype === "float64" || (e.dtype === "float32" && (Number.isNaN(e.value) || Math.fround(e.value) === e.value));
    case "unary":
      return (e.op === "neg" || e.op === "abs") && e.dtype === e.arg.dtype && exactProducer(e.arg);
    case "binary":
      return (e.op === "max" || e.op === "min") && e.dtype === e.lhs.dtype && e.dtype === e.rhs.dtype && exactProducer(e.lhs) && exactProducer(e.rhs);
    case "select":
      return e.which.dtype === "bool" && exactCompare(e.which) && e.cases.every((c) => c.dtype === e.dtype && exactProducer(c));
    default:
      return false;
  }
}

/** A comparison of two exact producers (a relu's `x > 0`). */
function exactCompare(e: Expr): boolean {
  if (e.kind !== "binary" || !["eq", "ne", "lt", "le", "gt", "ge"].includes(e.op)) return false;
  return e.lhs.dtype === e.rhs.dtype && (e.lhs.dtype === "float32" || e.lhs.dtype === "float64") && exactProducer(e.lhs) && exactProducer(e.rhs);
}

/** The elementwise kernel applying a window kernel's producer to its whole input, one per window kernel. */
const producers = new WeakMap<Kernel, Kernel>();
function producerKernel(kernel: Kernel, n: number): Kernel {
  let k = producers.get(kernel);
  if (k === undefined || k.loopShape[0] !== n) {
    k = { loopShape: [n], inputs: [{ dtype: kernel.inputs[0].dtype, view: { strides: [1], offset: 0 } }], expr: kernel.expr, dtype: kernel.dtype };
    producers.set(kernel, k);
  }
  return k;
}

// ---- the fast path -----------------------------------------------------------------------------

/** How many kernels took this path (tests check that the channels-last case does; `sum`: the window sums among them). */
export const windowReduceStats = { fast: 0, sum: 0 };

let enabled = true;
/** Turns the fast path on or off (tests compare it with the generic kernels); returns the previous setting. */
export function setWindowReduceFast(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

let wasmOn = true;
/** Turns the WebAssembly fold on or off (off: the JavaScript fold; tests run both); returns the previous setting. */
export function setWindowReduceWasm(on: boolean): boolean {
  const prev = wasmOn;
  wasmOn = on;
  return prev;
}

/** The most window offsets (a table of them is made per call): longer reductions stay generic. */
const MAX_WINDOW = 4096;

/** The least contiguous run (channels) worth the fast path. */
const MIN_RUN = 4;

/**
 * Runs `kernel` by the fast path if it is a plain window max, min or sum with a
 * contiguous innermost output axis; returns false (having done nothing) otherwise.
 */
export function tryWindowReduceKernel(kernel: Kernel, out: TypedArray, inputs: TypedArray[]): boolean {
  const red = kernel.reduce;
  if (!enabled || red === undefined || red.epilogue !== undefined || kernel.more !== undefined) return false;
  const op = red.op;
  if (op !== "max" && op !== "min" && op !== "sum") return false;
  const e = kernel.expr;
  if (inputs.length !== 1 || kernel.inputs.length !== 1 || e.dtype !== kernel.dtype || kernel.inputs[0].dtype !== kernel.dtype) return false;
  // a float32 sum whose window is one axis once merged is the generic WebAssembly kernel's (its float32
  // sum in its own order); wider ones are the JavaScript kernel's float64 sum, which the fold repeats exactly
  if (op === "sum" && kernel.dtype === "float32" && collapse(kernel).reduce!.axes < 2) return false;
  const plain = e.kind === "input" && e.input === 0;
  if (!plain && !exactProducer(e)) return false;
  const x = inputs[0];
  if (!(out instanceof Float32Array || out instanceof Float64Array) || x.constructor !== out.constructor) return false;
  const shape = kernel.loopShape;
  const r = red.axes;
  const q = shape.length - r;
  if (r < 1 || q < 1) return false;
  const { strides, offset } = kernel.inputs[0].view;
  const C = shape[q - 1];
  if (strides[q - 1] !== 1 || C < MIN_RUN) return false;
  // the window offsets (row-major over the reduced axes) as flat input distances
  let K = 1;
  for (let j = q; j < shape.length; j++) K *= shape[j];
  if (K < 1 || K > MAX_WINDOW) return false;
  const offs = new Int32Array(K);
  for (let k = 0; k < K; k++) {
    let rest = k;
    let off = 0;
    for (let j = shape.length - 1; j >= q; j--) {
      off += (rest % shape[j]) * strides[j];
      rest = Math.floor(rest / shape[j]);
    }
    offs[k] = off;
  }
  // the rows: every output axis but the innermost
  let rows = 1;
  for (let j = 0; j < q - 1; j++) rows *= shape[j];
  if (rows * C !== out.length) return false;
  windowReduceStats.fast++;
  if (op === "sum") windowReduceStats.sum++;
  if (!plain) {
    // the producer over the whole input, then the fold of its result
    const y = alloc(kernel.dtype, x.length, false);
    try {
      const pk = producerKernel(kernel, x.length);
      if (!tryWasmKernel(pk, y, [x])) compileKernel(pk)(y, x);
      fold(y, out, op, shape, strides, offset, q, offs, rows, C, K);
    } finally {
      release(y);
    }
    return true;
  }
  fold(x, out, op, shape, strides, offset, q, offs, rows, C, K);
  return true;
}

/** The fold of the windows of `x` (the fast path's checks passed): WebAssembly for float32, else JavaScript. */
function fold(x: TypedArray, out: TypedArray, op: FoldOp, shape: readonly number[], strides: readonly number[], offset: number, q: number, offs: Int32Array, rows: number, C: number, K: number): void {
  if (wasmOn && x instanceof Float32Array && foldWasm(x, out as Float32Array, op, shape, strides, offset, q, offs)) return;
  const idx = new Array<number>(Math.max(q - 1, 0)).fill(0);
  const xs = x as Float32Array;
  const o = out as Float32Array;
  const acc = new Float64Array(op === "sum" ? C : 0);
  let base = offset;
  for (let row = 0; row < rows; row++) {
    const ob = row * C;
    const b0 = base + offs[0];
    for (let c = 0; c < C; c++) o[ob + c] = xs[b0 + c];
    if (op === "sum") {
      // in float64 from +0, window offset by window offset, rounded once at the store (as the generic kernel)
      for (let c = 0; c < C; c++) acc[c] = 0 + xs[b0 + c];
      for (let k = 1; k < K; k++) {
        const b = base + offs[k];
        for (let c = 0; c < C; c++) acc[c] += xs[b + c];
      }
      for (let c = 0; c < C; c++) o[ob + c] = acc[c];
    } else if (op === "max") {
      for (let k = 1; k < K; k++) {
        const b = base + offs[k] - ob;
        for (let i = ob, end = ob + C; i < end; i++) o[i] = Math.max(o[i], xs[b + i]);
      }
    } else {
      for (let k = 1; k < K; k++) {
        const b = base + offs[k] - ob;
        for (let i = ob, end = ob + C; i < end; i++) o[i] = Math.min(o[i], xs[b + i]);
      }
    }
    // the next row: odometer over the outer axes, the base following
    for (let j = q - 2; j >= 0; j--) {
      base += strides[j];
      if (++idx[j] < shape[j]) break;
      base -= idx[j] * strides[j];
      idx[j] = 0;
    }
  }
}
