/**
 * argmax/argmin (the `argreduce` routine) in WebAssembly SIMD for float32,
 * bool and every integer dtype, with the JavaScript routine's answers
 * (routines.ts, the oracle): the first index of the extreme, a NaN counting
 * as the extreme (the first NaN wins), equal values (−0 and +0 among them)
 * resolved to the lower index.
 *
 * Each lane keeps the best value and index of its own subsequence, updated
 * only by a strictly better value (`pick`: greater, or less for argmin, or
 * a NaN over a number), so that it holds its subsequence's first extreme.
 * Over the reduced axis when it is the innermost (`rows`): lane j sees the
 * elements ≡ j mod 4, then the four lanes are merged by the full order
 * (better, or equal with a lower index: `consider`), then the last n mod 4
 * elements follow one by one. Over a strided axis (`cols`): the lanes run
 * along four neighbouring outputs, each walking its whole column, so no
 * merge is needed; the columns past a multiple of four are walked one by one.
 * Integer lanes are the values sign- or zero-extended to 32 bits (uint32
 * compares unsigned), so the comparisons are the JavaScript numbers'.
 */
import type { DType, TypedArray } from "../../dtype.js";
import { FunctionBuilder, ModuleBuilder, Op, S, T } from "./wasm/emitter.js";
import type { Local } from "./wasm/emitter.js";
import { Asm } from "./matmul-wasm.js";
import { memoryView, pointerOf, withScratch } from "./memory.js";
import { lazySimdModule, type SimdMemoryInfo } from "./simd-module.js";
import { noteWasmLaunch, wasmEnabled, wasmMinSizeScale } from "./wasm/index.js";

type Fn = (...args: number[]) => void;
type Lanes = "float32" | "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32";

/** The element as the lanes see it: bool is a byte 0 or 1, as uint8. */
function lanesOf(d: DType): Lanes | null {
  if (d === "bool") return "uint8";
  return (["float32", "int8", "uint8", "int16", "uint16", "int32", "uint32"] as const).find((x) => x === d) ?? null;
}

function buildModule(d: Lanes, op: "max" | "min", memory: SimdMemoryInfo): Uint8Array<ArrayBuffer> {
  const mb = new ModuleBuilder({ minPages: 0, maxPages: memory.maxPages, shared: memory.shared });
  const float = d === "float32";
  const sz = d.endsWith("8") ? 1 : d.endsWith("16") ? 2 : 4;
  const signed = d === "int8" || d === "int16";
  const max = op === "max";
  const scalarT = float ? T.f32 : T.i32;

  const body = (fb: FunctionBuilder) => {
    const a = new Asm(fb);
    /** Four elements at the address on the stack into 32-bit lanes. */
    const vload = () => {
      if (sz === 4) fb.simdMem(S.v128_load, 0);
      else if (sz === 2) fb.simdMem(signed ? S.v128_load16x4_s : S.v128_load16x4_u, 0);
      else fb.simdMem(S.v128_load32_zero, 0).simd(signed ? S.i16x8_extend_low_i8x16_s : S.i16x8_extend_low_i8x16_u).simd(signed ? S.i32x4_extend_low_i16x8_s : S.i32x4_extend_low_i16x8_u);
    };
    /** One element at the address on the stack as a scalar (f32, or i32 extended). */
    const sload = () => {
      if (float) fb.mem(Op.f32_load, 0);
      else if (sz === 4) fb.mem(Op.i32_load, 0);
      else if (sz === 2) fb.mem(signed ? Op.i32_load16_s : Op.i32_load16_u, 0);
      else fb.mem(signed ? Op.i32_load8_s : Op.i32_load8_u, 0);
    };
    /** Mask of lanes where v is strictly better than b (greater/less, or a NaN over a number). */
    const pick = (v: Local, b: Local, m: Local) => {
      if (float) {
        fb.get(v).get(b).simd(max ? S.f32x4_gt : S.f32x4_lt);
        fb.get(v).get(v).simd(S.f32x4_ne).get(b).get(b).simd(S.f32x4_ne).simd(S.v128_andnot).simd(S.v128_or);
      } else {
        const u = d === "uint32";
        fb.get(v).get(b).simd(max ? (u ? S.i32x4_gt_u : S.i32x4_gt_s) : u ? S.i32x4_lt_u : S.i32x4_lt_s);
      }
      fb.set(m);
    };
    const bestV = fb.local(scalarT);
    const bestI = fb.local(T.i32);
    const cV = fb.local(scalarT);
    const cI = fb.local(T.i32);
    /** bestV/bestI ← cV/cI when cV is better, or equal (NaNs equal each other) with a lower index. */
    const consider = () => {
      const better = () => {
        if (float) {
          fb.get(cV).get(bestV).op(max ? Op.f32_gt : Op.f32_lt);
          fb.get(cV).get(cV).op(Op.f32_ne).get(bestV).get(bestV).op(Op.f32_eq).op(Op.i32_and).op(Op.i32_or);
        } else {
          const u = d === "uint32";
          fb.get(cV).get(bestV).op(max ? (u ? Op.i32_gt_u : Op.i32_gt_s) : u ? Op.i32_lt_u : Op.i32_lt_s);
        }
      };
      const same = () => {
        if (float) fb.get(cV).get(bestV).op(Op.f32_eq).get(cV).get(cV).op(Op.f32_ne).get(bestV).get(bestV).op(Op.f32_ne).op(Op.i32_and).op(Op.i32_or);
        else fb.get(cV).get(bestV).op(Op.i32_eq);
      };
      a.if(
        () => {
          better();
          same();
          fb.get(cI).get(bestI).op(Op.i32_lt_s).op(Op.i32_and).op(Op.i32_or);
        },
        () => {
          fb.get(cV).set(bestV).get(cI).set(bestI);
        },
      );
    };
    return { a, vload, sload, pick, consider, bestV, bestI, cV, cI };
  };

  {
    // rows(x, out, n, rows): the reduced axis innermost, rows of n elements one after another
    const fb = new FunctionBuilder([T.i32, T.i32, T.i32, T.i32], []);
    const [X, O, N, R] = fb.params;
    const { a, vload, sload, pick, consider, bestV, bestI, cV, cI } = body(fb);
    const r = a.i32(), i = a.i32(), k = a.i32(), row = a.i32(), n4 = a.i32();
    const vb = fb.local(T.v128), vi = fb.local(T.v128), iv = fb.local(T.v128), v = fb.local(T.v128), m = fb.local(T.v128);
    const four = fb.constV128("i32", 4);
    a.set(n4, a.and(N, -4));
    a.for(r, 0, R, 1, () => {
      a.set(row, a.add(X, a.mul(a.mul(r, N), sz)));
      a.if(
        a.lt(3, N),
        () => {
          a.emit(row);
          vload();
          fb.set(vb);
          // lane j's index: j, then j + 4, …
          fb.simd(S.v128_const, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0).set(vi);
          fb.get(vi).set(iv);
          a.for(i, 4, n4, 4, () => {
            fb.get(iv).get(four).simd(S.i32x4_add).set(iv);
            a.emit(a.add(row, a.mul(i, sz)));
            vload();
            fb.set(v);
            pick(v, vb, m);
            fb.get(v).get(vb).get(m).simd(S.v128_bitselect).set(vb);
            fb.get(iv).get(vi).get(m).simd(S.v128_bitselect).set(vi);
          });
          const lane = (x: Local, j: number) => fb.get(x).simd(float ? S.f32x4_extract_lane : S.i32x4_extract_lane, j);
          lane(vb, 0).set(bestV);
          fb.get(vi).simd(S.i32x4_extract_lane, 0).set(bestI);
          for (let j = 1; j < 4; j++) {
            lane(vb, j).set(cV);
            fb.get(vi).simd(S.i32x4_extract_lane, j).set(cI);
            consider();
          }
          a.set(k, n4);
        },
        () => {
          a.emit(row);
          sload();
          fb.set(bestV);
          a.set(bestI, 0);
          a.set(k, 1);
        },
      );
      a.whileLoop(a.lt(k, N), () => {
        a.emit(a.add(row, a.mul(k, sz)));
        sload();
        fb.set(cV);
        a.set(cI, k);
        consider();
        a.set(k, a.add(k, 1));
      });
      a.emit(a.add(O, a.mul(r, 4)));
      fb.get(bestI).mem(Op.i32_store, 2);
    });
    mb.exportFunc("rows", mb.addFunc(fb));
  }
  {
    // cols(x, out, n, inner, outer): the reduced axis strided by inner; outputs [outer, inner]
    const fb = new FunctionBuilder([T.i32, T.i32, T.i32, T.i32, T.i32], []);
    const [X, O, N, C, A] = fb.params;
    const { a, vload, sload, pick, consider, bestV, bestI, cV, cI } = body(fb);
    const o = a.i32(), c = a.i32(), i = a.i32(), p = a.i32(), base = a.i32(), ob = a.i32(), c4 = a.i32(), rs = a.i32();
    const vb = fb.local(T.v128), vi = fb.local(T.v128), v = fb.local(T.v128), m = fb.local(T.v128);
    a.set(c4, a.and(C, -4));
    a.set(rs, a.mul(C, sz));
    a.for(o, 0, A, 1, () => {
      a.set(base, a.add(X, a.mul(a.mul(o, N), rs)));
      a.set(ob, a.add(O, a.mul(a.mul(o, C), 4)));
      a.for(c, 0, c4, 4, () => {
        a.set(p, a.add(base, a.mul(c, sz)));
        a.emit(p);
        vload();
        fb.set(vb);
        fb.i32(0).simd(S.i32x4_splat).set(vi);
        a.for(i, 1, N, 1, () => {
          a.set(p, a.add(p, rs));
          a.emit(p);
          vload();
          fb.set(v);
          pick(v, vb, m);
          fb.get(v).get(vb).get(m).simd(S.v128_bitselect).set(vb);
          fb.get(i).simd(S.i32x4_splat).get(vi).get(m).simd(S.v128_bitselect).set(vi);
        });
        a.emit(a.add(ob, a.mul(c, 4)));
        fb.get(vi).simdMem(S.v128_store, 0);
      });
      a.for(c, c4, C, 1, () => {
        a.set(p, a.add(base, a.mul(c, sz)));
        a.emit(p);
        sload();
        fb.set(bestV);
        a.set(bestI, 0);
        a.for(i, 1, N, 1, () => {
          a.set(p, a.add(p, rs));
          a.emit(p);
          sload();
          fb.set(cV);
          a.set(cI, i);
          consider();
        });
        a.emit(a.add(ob, a.mul(c, 4)));
        fb.get(bestI).mem(Op.i32_store, 2);
      });
    });
    mb.exportFunc("cols", mb.addFunc(fb));
  }
  return mb.encode();
}

const modules = new Map<string, () => Record<"rows" | "cols", Fn> | null>();
function moduleFor(d: Lanes, op: "max" | "min") {
  const key = `${d}|${op}`;
  let m = modules.get(key);
  if (!m) modules.set(key, (m = lazySimdModule<Record<"rows" | "cols", Fn>>((mem) => buildModule(d, op, mem))));
  return m();
}

/**
 * out[a, c] = the index of the first extreme of x[a, :, c] (x of shape [outer, n, inner], contiguous)
 * in WebAssembly; false (having done nothing) where it does not run: another dtype, the WebAssembly
 * path off or unavailable, too little work to be worth a call (`setWasmMinSize`), sizes past int32.
 */
export function argreduceWasm(x: TypedArray, out: Int32Array, dtype: DType, op: "max" | "min", outer: number, n: number, inner: number): boolean {
  const d = lanesOf(dtype);
  if (!d || !wasmEnabled() || n < 1) return false;
  const size = outer * n * inner;
  if (size === 0 || size < wasmMinSizeScale() / 4 || size * 4 >= 2 ** 31) return false;
  const fns = moduleFor(d, op);
  if (!fns) return false;
  // operands outside the shared memory go through scratch copies
  return withScratch(({ place }) => {
    const px = place(x, true);
    const po = place(out, false);
    if (px < 0 || po < 0) return false;
    noteWasmLaunch();
    if (inner === 1) fns.rows(px, po, n, outer);
    else fns.cols(px, po, n, inner, outer);
    if (po !== pointerOf(out)) out.set(memoryView(Int32Array, po, out.length));
    return true;
  });
}
