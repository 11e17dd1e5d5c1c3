/**
 * The implicit-GEMM convolution's patch gathering (src/backend/cpu/conv.ts)
 * in WebAssembly: for each output row (batch, position) of a tile, the
 * input's feature vectors under each kernel position copied one after the
 * other (zeros where the position falls in padding), 16 bytes at a time.
 * The JavaScript loop it replaces copied one float at a time and took about
 * a third of a small-channel convolution's time.
 */
import { Asm } from "./matmul-wasm.js";
import { allocScratch, freeScratch, memoryView, pointerOf } from "./memory.js";
import { FunctionBuilder, ModuleBuilder, Op, S, T } from "./wasm/emitter.js";
import { lazySimdModule, type SimdMemoryInfo } from "./simd-module.js";

type Fn = (...args: number[]) => void;

/**
 * gather(PATCH, X, TABLE, M0, MT, OUTN, KN, IB, LS0): rows M0..M0+MT of the patch matrix (row r at
 * PATCH + (r - M0)·KN·IB), row = (n, y) = divmod(row, OUTN), kernel position k's IB bytes copied
 * from X + n·LS0 + TABLE[y·KN + k]·4 (TABLE in elements, -1: zeros). IB a multiple of 4.
 */
function buildModule(memory: SimdMemoryInfo): Uint8Array<ArrayBuffer> {
  const mb = new ModuleBuilder({ minPages: 0, maxPages: memory.maxPages, shared: memory.shared });
  const I = T.i32;
  const fb = new FunctionBuilder([I, I, I, I, I, I, I, I, I], []);
  const a = new Asm(fb);
  const [PATCH, X, TABLE, M0, MT, OUTN, KN, IB, LS0] = fb.params;
  const r = a.i32(), row = a.i32(), n = a.i32(), lb = a.i32(), t = a.i32(), tEnd = a.i32(), off = a.i32(), dst = a.i32(), src = a.i32(), b = a.i32(), iv = a.i32();
  const zero = fb.constV128("f32", 0);
  a.set(iv, a.and(IB, ~15));
  a.set(dst, PATCH);
  a.for(r, 0, MT, 1, () => {
    a.set(row, a.add(M0, r));
    a.set(n, a.divU(row, OUTN));
    a.set(lb, a.add(X, a.mul(n, LS0)));
    a.set(t, a.add(TABLE, a.mul(a.mul(a.sub(row, a.mul(n, OUTN)), KN), 4)));
    a.set(tEnd, a.add(t, a.mul(KN, 4)));
    a.whileLoop(a.ltU(t, tEnd), () => {
      a.set(off, a.load(t));
      a.if(
        a.lt(off, 0),
        () => {
          a.for(b, 0, iv, 16, () => {
            a.emit(a.add(dst, b));
            fb.get(zero).simdMem(S.v128_store, 0);
          });
          a.for(b, iv, IB, 4, () => {
            a.emit(a.add(dst, b));
            fb.i32(0).mem(Op.i32_store, 0);
          });
        },
        () => {
          a.set(src, a.add(lb, a.mul(off, 4)));
          a.for(b, 0, iv, 16, () => {
            a.emit(a.add(dst, b));
            a.emit(a.add(src, b));
            fb.simdMem(S.v128_load, 0).simdMem(S.v128_store, 0);
          });
          a.for(b, iv, IB, 4, () => {
            a.emit(a.add(dst, b));
            a.emit(a.add(src, b));
            fb.mem(Op.i32_load, 0).mem(Op.i32_store, 0);
          });
        },
      );
      a.set(dst, a.add(dst, IB));
      a.set(t, a.add(t, 4));
    });
  });
  mb.exportFunc("gather", mb.addFunc(fb));
  return mb.encode();
}

/** The module's kernels, instantiated on first use (null: take the JavaScript path). */
const compile = lazySimdModule<Record<string, Fn>>(buildModule);

let enabled = true;
/** Turns the WebAssembly gathering on or off (tests compare it with the JavaScript loop); returns the previous setting. */
export function setConvGatherWasm(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** How many tiles were gathered by WebAssembly (tests check the path is taken). */
export const convGatherStats = { wasm: 0 };

/** A gatherer of patch tiles in WebAssembly, its patch and offset table (and the input, when it lies elsewhere) in scratch. */
export interface PatchGatherer {
  /** The patch tile: `tileRows` rows of kN·I floats, in the shared memory. */
  patch: Float32Array;
  /** Gathers rows m0..m0+mt into the patch. */
  gather(m0: number, mt: number): void;
  /** Frees the scratch. */
  free(): void;
}

/**
 * A gatherer for the input `lhs` (features contiguous: lhs stride 1 along them), batch stride
 * `ls0` elements, `I` features, the (position, kernel position) offset table `table`; null where
 * WebAssembly or the scratch space is missing (then the caller's loop gathers).
 */
export function patchGatherer(lhs: Float32Array, ls0: number, I: number, outN: number, kN: number, table: Int32Array, tileRows: number): PatchGatherer | null {
  if (!enabled) return null;
  const fns = compile();
  if (!fns) return null;
  const scratch: [number, number][] = [];
  const take = (bytes: number) => {
    const q = allocScratch(bytes);
    if (q >= 0) scratch.push([q, bytes]);
    return q;
  };
  const free = () => {
    for (const [q, bytes] of scratch) freeScratch(q, bytes);
    scratch.length = 0;
  };
  let xPtr = pointerOf(lhs);
  if (xPtr < 0) {
    xPtr = take(lhs.byteLength);
    if (xPtr >= 0) memoryView(Float32Array, xPtr, lhs.length).set(lhs);
  }
  const tp = take(table.byteLength);
  const pp = take(tileRows * kN * I * 4);
  if (xPtr < 0 || tp < 0 || pp < 0) {
    free();
    return null;
  }
  memoryView(Int32Array, tp, table.length).set(table);
  return {
    patch: memoryView(Float32Array, pp, tileRows * kN * I),
    gather(m0, mt) {
      convGatherStats.wasm++;
      fns.gather(pp, xPtr, tp, m0, mt, outN, kN, I * 4, ls0 * 4);
    },
    free,
  };
}
