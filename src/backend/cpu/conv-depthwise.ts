/**
 * A depthwise float32 convolution (featureGroupCount = C, one output feature
 * per group) in WebAssembly SIMD, channels last: input features contiguous,
 * output rows (batch, position) contiguous [M, C]. Each output row is its
 * own accumulator (in L1): zeroed, then for each kernel position (through the
 * offset table; padding skipped) the input's channels times the kernel's are
 * added to it four at a time, in kernel-position order from zero, in float32. The rows are split between the threads of the pool above a cost
 * threshold. Each output element is computed the same way whichever thread
 * computes it. The JavaScript loop (conv.ts convDepthwise) sums in float64:
 * the two agree within float32 rounding.
 */
import { Asm } from "./matmul-wasm.js";
import { allocScratch, freeScratch, memoryView, pointerOf, wasmMemory } from "./memory.js";
import { readyWorkers, registerModule, runSplitAll, threadCount, threadsReady } from "./threads.js";
import { FunctionBuilder, ModuleBuilder, Op, S, simdSupported, T } from "./wasm/emitter.js";

/**
 * rows(X, LS0, TABLE, KN, OUTN, CB, CV, W, OUT, R0, R1): output rows R0..R1 (row = n·OUTN + y) at
 * OUT + row·CB; channel c (bytes) of row (n, y) = Σ_k X[n·LS0 + TABLE[y·KN + k] + c] · W[k·CB + c] over the
 * k whose TABLE entry (bytes) is not negative. CV: the bytes of CB in whole vectors.
 */
function buildModule(memory: { maxPages: number; shared: boolean }): Uint8Array<ArrayBuffer> {
  const mb = new ModuleBuilder({ minPages: 0, maxPages: memory.maxPages, shared: memory.shared });
  const I32 = T.i32;
  const fb = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], []);
  const a = new Asm(fb);
  const [X, LS0, TABLE, KN, OUTN, CB, CV, W, OUT, R0, R1] = fb.params;
  const row = a.i32(), n = a.i32(), base = a.i32(), tp = a.i32(), o = a.i32(), c = a.i32(), k = a.i32(), off = a.i32(), wk = a.i32(), xb = a.i32();
  const zero = fb.constV128("f32", 0);
  a.for(row, R0, R1, 1, () => {
    a.set(n, a.divU(row, OUTN));
    a.set(base, a.add(X, a.mul(n, LS0)));
    a.set(tp, a.add(TABLE, a.mul(a.mul(a.sub(row, a.mul(n, OUTN)), KN), 4)));
    a.set(o, a.add(OUT, a.mul(row, CB)));
    // the row's channels are its accumulators (in L1): zeros, then kernel position by kernel position
    a.for(c, 0, CV, 16, () => {
      a.emit(a.add(o, c));
      fb.get(zero).simdMem(S.v128_store, 2);
    });
    a.for(c, CV, CB, 4, () => {
      a.emit(a.add(o, c));
      fb.f32(0).mem(Op.f32_store, 2);
    });
    a.set(wk, W);
    a.for(k, 0, KN, 1, () => {
      a.set(off, a.load(a.add(tp, a.mul(k, 4))));
      a.if(a.gt(off, -1), () => {
        a.set(xb, a.add(base, off));
        a.for(c, 0, CV, 16, () => {
          a.emit(a.add(o, c));
          a.emit(a.add(o, c));
          fb.simdMem(S.v128_load, 2);
          a.emit(a.add(xb, c));
          fb.simdMem(S.v128_load, 2);
          a.emit(a.add(wk, c));
          fb.simdMem(S.v128_load, 2).simd(S.f32x4_mul).simd(S.f32x4_add).simdMem(S.v128_store, 2);
        });
        a.for(c, CV, CB, 4, () => {
          a.emit(a.add(o, c));
          a.emit(a.add(o, c));
          fb.mem(Op.f32_load, 2);
          a.emit(a.add(xb, c));
          fb.mem(Op.f32_load, 2);
          a.emit(a.add(wk, c));
          fb.mem(Op.f32_load, 2).op(0x94).op(0x92).mem(Op.f32_store, 2); // f32.mul, f32.add
        });
      });
      a.set(wk, a.add(wk, CB));
    });
  });
  mb.exportFunc("rows", mb.addFunc(fb));
  return mb.encode();
}

type Rows = (...args: number[]) => void;
let compiled: { rows: Rows; poolId: number } | null | undefined;
function compile(): { rows: Rows; poolId: number } | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  const mem = wasmMemory();
  if (!mem || !simdSupported()) return null;
  try {
    const module = new WebAssembly.Module(buildModule(mem));
    const e = new WebAssembly.Instance(module, { env: { memory: mem.memory } }).exports;
    compiled = { rows: e.rows as Rows, poolId: registerModule(module) };
  } catch {
    compiled = null;
  }
  return compiled;
}

let enabled = true;
/** Turns the WebAssembly depthwise kernel on or off (tests compare it with the JavaScript loop); returns the previous setting. */
export function setConvDepthwiseWasm(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** How many depthwise convolutions took the WebAssembly kernel, and how many of them on several threads (tests check the path). */
export const convDepthwiseStats = { calls: 0, threaded: 0 };

/** Depthwise convolutions of at least this many multiply-adds are split across threads. */
const THREAD_MIN_WORK = 1 << 17;

/**
 * out[m, c] = Σ_k lhs[n·ls0 + table[y·kN + k] + c] · rhs[offsets[k] + c·cStride] (m = n·outN + y; table in
 * elements, −1: padding), `out` [batch · outN, C] contiguous. False, having written nothing, where
 * WebAssembly is missing or off.
 */
export function convDepthwiseWasm(
  lhs: Float32Array,
  out: Float32Array,
  s: { batch: number; outN: number; C: number; kN: number; ls0: number },
  table: Int32Array,
  rhs: { data: ArrayLike<number>; offsets: Int32Array; cStride: number },
): boolean {
  if (!enabled) return false;
  const fns = compile();
  if (!fns) return false;
  const { batch, outN, C, kN } = s;
  const M = batch * outN;
  const scratch: [number, number][] = [];
  const take = (bytes: number) => {
    const q = allocScratch(bytes);
    if (q >= 0) scratch.push([q, bytes]);
    return q;
  };
  try {
    const lhsAt = pointerOf(lhs);
    const outAt = pointerOf(out);
    const xp = lhsAt >= 0 ? lhsAt : take(lhs.byteLength);
    const op = outAt >= 0 ? outAt : take(out.byteLength);
    const wp = take(kN * C * 4);
    const tpp = take(table.byteLength);
    if (xp < 0 || op < 0 || wp < 0 || tpp < 0) return false;
    if (lhsAt < 0) memoryView(Float32Array, xp, lhs.length).set(lhs);
    const w = memoryView(Float32Array, wp, kN * C);
    for (let k = 0; k < kN; k++) for (let c = 0; c < C; c++) w[k * C + c] = rhs.data[rhs.offsets[k] + c * rhs.cStride];
    const t = memoryView(Int32Array, tpp, table.length);
    for (let q = 0; q < table.length; q++) t[q] = table[q] < 0 ? -1 : table[q] * 4;
    const args = (r0: number, r1: number) => [xp, s.ls0 * 4, tpp, kN, outN, C * 4, (C & ~3) * 4, wp, op, r0, r1];
    convDepthwiseStats.calls++;
    const workers = M * C * kN >= THREAD_MIN_WORK && M >= 2 && threadsReady() ? Math.min(readyWorkers(), threadCount() - 1) : 0;
    let done = false;
    if (workers > 0) {
      // equal shares of rows: the work per row is the same
      const share = Math.ceil(M / (workers + 1));
      const parts = Array.from({ length: workers }, (_, i) => args(Math.min(M, (i + 1) * share), Math.min(M, (i + 2) * share)));
      done = runSplitAll(fns.poolId, "rows", parts, () => fns.rows(...args(0, Math.min(M, share))));
      if (done) convDepthwiseStats.threaded++;
    }
    if (!done) fns.rows(...args(0, M));
    if (outAt < 0) out.set(memoryView(Float32Array, op, out.length));
    return true;
  } finally {
    for (const [q, bytes] of scratch) freeScratch(q, bytes);
  }
}
