/**
 * WebAssembly SIMD kernels for the elementwise work of the fused attention
 * backward (attention-bwd.ts), float32, over the CPU backend's shared memory:
 *
 * - `attn_pds(SC, DP, SH, DD, G, BT, BS, RS, DIAG)`: a tile of G × BT rows of
 *   BS logits at SC and dOut·vᵀ at DP (contiguous [G, BT, BS]); row (g, i)
 *   has its shift (the log-sum-exp) at SH + g·RS + 4i and D at DD + g·RS + 4i.
 *   In place: SC ← p = exp(s − shift), DP ← ds = p ∘ (dp − D) for the row's
 *   first lim = clamp(i + DIAG + 1, 0, BS) keys, and 0 for the rest (causal
 *   masking: DIAG = t0 − s0; none: DIAG ≥ BS). exp is vmath.ts's vexp, the
 *   generic WebAssembly kernels' float32 exp (0.96 ulp). Rows are processed
 *   4 lanes at a time; a row whose length is not a multiple of 4 ends in one
 *   vector whose lanes past the row keep what they held (the next row's
 *   values, or the buffer's padding: the tiles need 4 floats after their end).
 * - `attn_acc(DST, SRC, G, LEN, DS)`: DST[g·DS + e] += SRC[g·LEN + e] for
 *   g < G, e < LEN (DS, LEN in elements), 4 lanes at a time, then the rest.
 *
 * - `attn_softmax(SC, MS, R, S, T, CAUSAL)`: the forward's softmax of R rows of
 *   S logits at SC, in place, row r keeping its first lim = S keys (CAUSAL 0)
 *   or min(S, (r mod T) + 1) (CAUSAL 1; the others become 0): the row's
 *   maximum m (f32x4.max: NaN propagates), e = exp(x − m) with its sum in
 *   float64 lanes, then e · (1/sum); m and the sum go to MS as two float64s
 *   per row (the caller's log-sum-exp m + log(sum)). Rows end as in attn_pds.
 *
 * - `attn_mask_<b|m|bm|mk|bmk>(SC, BI, MK, KM, G, BT, BS, GS, RS, DIAG)`: the
 *   bias and mask of a tile of G × BT rows of BS logits at SC (contiguous
 *   [G, BT, BS]), in place, before the softmax (forward) or attn_pds
 *   (backward): x = SC + BI[g·GS + i·RS + j] (variants with b), and
 *   x = MASKED (JAX's large negative logit) unless MK[g·GS + i·RS + j] > 0
 *   (variants with m; a NaN mask entry masks, as the composition's `mask > 0`)
 *   and j ≤ i + DIAG (causal: DIAG = t0 − s0; none: DIAG ≥ BS). Variants with
 *   k also write each position's keep flag (all ones or 0, an i32 lane) to KM,
 *   laid out as SC: the backward ANDs ds with it (attn_keep), as the JavaScript
 *   loop zeroes a masked position's ds. Whole vectors of 4, then single
 *   floats: the bias and mask (strided views of [B, N, T, S]) are never read
 *   past a row's end.
 * - `attn_keep(DST, KM, N)`: DST[e] &= KM[e] for e < N rounded up to 4 (the
 *   tiles' padding).
 *
 * null (see simd-module.ts) where WebAssembly SIMD or its memory is missing:
 * attention-bwd.ts then keeps its JavaScript loops.
 */
import { FunctionBuilder, ModuleBuilder, Op, S, T, type Local } from "./wasm/emitter.js";
import { V, vexp } from "./wasm/vmath.js";
import { Asm } from "./matmul-wasm.js";
import { lazySimdModule, type SimdMemoryInfo } from "./simd-module.js";

/** The module's exports (all arguments are i32: byte pointers, counts). */
export interface AttentionSimd {
  attn_softmax(sc: number, ms: number, rows: number, s: number, t0: number, causal: number): void;
  attn_pds(sc: number, dp: number, sh: number, dd: number, g: number, bt: number, bs: number, rs: number, diag: number): void;
  attn_acc(dst: number, src: number, g: number, len: number, ds: number): void;
  attn_keep(dst: number, km: number, n: number): void;
  attn_mask_b: MaskKernel;
  attn_mask_m: MaskKernel;
  attn_mask_bm: MaskKernel;
  attn_mask_mk: MaskKernel;
  attn_mask_bmk: MaskKernel;
}

/** attn_mask_*: (SC, BI, MK, KM, G, BT, BS, GS, RS, DIAG); see the file's comment. */
type MaskKernel = (sc: number, bi: number, mk: number, km: number, g: number, bt: number, bs: number, gs: number, rs: number, diag: number) => void;

/** The name of the bias/mask kernel for a bias, a mask, and whether the keep flags are written (backward with a mask). */
export function maskKernelName(bias: boolean, mask: boolean, keep: boolean): "attn_mask_b" | "attn_mask_m" | "attn_mask_bm" | "attn_mask_mk" | "attn_mask_bmk" {
  if (!bias && !mask) throw new Error("maskKernelName: no bias and no mask (the plain SIMD path needs no pre-pass)");
  return `attn_mask_${bias ? "b" : ""}${mask ? "m" : ""}${mask && keep ? "k" : ""}` as ReturnType<typeof maskKernelName>;
}

/** JAX's large negative logit for masked positions (as src/lax/attention.ts), rounded to float32 as the tiles hold it. */
const MASKED = Math.fround(-0.7 * 3.4028234663852886e38);

/** attn_mask_* for one combination (see the file's comment). */
function buildMaskKernel(mb: ModuleBuilder, bias: boolean, mask: boolean, keep: boolean): void {
  const I = T.i32;
  const fb = new FunctionBuilder([I, I, I, I, I, I, I, I, I, I], []);
  const a = new Asm(fb);
  const v = new V(fb);
  const [SC, BI, MK, KM, G, BT, BS, GS, RS, DIAG] = fb.params;
  const g = a.i32(), i = a.i32(), j = a.i32(), lim = a.i32(), ps = a.i32(), pk = a.i32(), rowG = a.i32(), row = a.i32(), kf = a.i32();
  const iota = fb.local(T.v128), zero = fb.local(T.v128), masked = fb.local(T.v128), x = fb.local(T.v128), kv = fb.local(T.v128);
  fb.simd(S.v128_const, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0).set(iota);
  fb.simd(S.v128_const, ...new Array<number>(16).fill(0)).set(zero);
  fb.get(v.f(MASKED)).set(masked);
  // byte address of element j of the current row of a strided operand (bias or mask) at `base`
  const at = (base: Local) => a.add(a.add(base, row), a.mul(j, 4));
  a.set(ps, SC);
  a.set(pk, KM);
  a.set(rowG, 0);
  a.for(g, 0, G, 1, () => {
    a.set(row, rowG);
    a.for(i, 0, BT, 1, () => {
      // the causal limit: keys j < lim are kept
      a.set(lim, a.add(a.add(i, DIAG), 1));
      a.set(j, 0);
      a.whileLoop(a.lt(a.add(j, 3), BS), () => {
        fb.get(ps).simdMem(S.v128_load, 2).set(x);
        if (bias) {
          fb.get(x);
          a.emit(at(BI));
          fb.simdMem(S.v128_load, 2).simd(S.f32x4_add).set(x);
        }
        fb.get(iota);
        a.emit(a.sub(lim, j));
        fb.simd(S.i32x4_splat).simd(S.i32x4_lt_s).set(kv);
        if (mask) {
          fb.get(kv);
          a.emit(at(MK));
          fb.simdMem(S.v128_load, 2).get(zero).simd(S.f32x4_gt).simd(S.v128_and).set(kv);
        }
        fb.get(ps).get(x).get(masked).get(kv).simd(S.v128_bitselect).simdMem(S.v128_store, 2);
        if (keep) {
          fb.get(pk).get(kv).simdMem(S.v128_store, 2);
          a.set(pk, a.add(pk, 16));
        }
        a.set(ps, a.add(ps, 16));
        a.set(j, a.add(j, 4));
      });
      a.whileLoop(a.lt(j, BS), () => {
        a.set(kf, a.lt(j, lim));
        if (mask) {
          fb.get(kf);
          a.emit(at(MK));
          fb.mem(Op.f32_load, 2).f32(0).op(Op.f32_gt).op(Op.i32_and).set(kf);
        }
        fb.get(ps).get(ps).mem(Op.f32_load, 2);
        if (bias) {
          a.emit(at(BI));
          fb.mem(Op.f32_load, 2).op(F32_ADD);
        }
        fb.f32(MASKED).get(kf).op(Op.select).mem(Op.f32_store, 2);
        if (keep) {
          fb.get(pk).i32(0).get(kf).op(Op.i32_sub).mem(Op.i32_store, 2);
          a.set(pk, a.add(pk, 4));
        }
        a.set(ps, a.add(ps, 4));
        a.set(j, a.add(j, 1));
      });
      a.set(row, a.add(row, a.mul(RS, 4)));
    });
    a.set(rowG, a.add(rowG, a.mul(GS, 4)));
  });
  mb.exportFunc(maskKernelName(bias, mask, keep), mb.addFunc(fb));
}

function buildModule(memory: SimdMemoryInfo): Uint8Array<ArrayBuffer> {
  const mb = new ModuleBuilder({ minPages: 0, maxPages: memory.maxPages, shared: memory.shared });
  const I = T.i32;
  {
    const fb = new FunctionBuilder([I, I, I, I, I, I, I, I, I], []);
    const a = new Asm(fb);
    const v = new V(fb);
    const [SC, DP, SH, DD, G, BT, BS, RS, DIAG] = fb.params;
    const g = a.i32(), i = a.i32(), j = a.i32(), lim = a.i32(), jl = a.i32(), jb = a.i32(), ps = a.i32(), pd = a.i32(), rowb = a.i32(), rb = a.i32();
    const sh = fb.local(T.v128), dd = fb.local(T.v128), iota = fb.local(T.v128), zero = fb.local(T.v128);
    const mc = fb.local(T.v128), mr = fb.local(T.v128), x = fb.local(T.v128), d = fb.local(T.v128);
    fb.simd(S.v128_const, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0).set(iota);
    fb.simd(S.v128_const, ...new Array<number>(16).fill(0)).set(zero);
    // p and ds of the 4 lanes at ps, pd (x: the logits, d: dp), as fresh locals
    const compute = (): [Local, Local] => {
      const p = vexp(v, v.sub(x, sh));
      return [p, v.mul(p, v.sub(d, dd))];
    };
    const load = (l: Local, ptr: Local) => {
      fb.get(ptr).simdMem(S.v128_load, 2).set(l);
    };
    const store = (ptr: Local, val: Local) => {
      fb.get(ptr).get(val).simdMem(S.v128_store, 2);
    };
    // lanes below n (splat) as a mask
    const below = (m: Local, n: () => void) => {
      fb.get(iota);
      n();
      fb.simd(S.i32x4_splat).simd(S.i32x4_lt_s).set(m);
    };
    a.set(ps, SC);
    a.set(pd, DP);
    a.set(jb, a.mul(BS, 4));
    a.set(rb, SH);
    a.for(g, 0, G, 1, () => {
      a.set(rowb, 0);
      a.for(i, 0, BT, 1, () => {
        a.emit(a.add(rb, rowb));
        fb.simdMem(S.v128_load32_splat, 2).set(sh);
        a.emit(a.add(a.add(DD, a.sub(rb, SH)), rowb));
        fb.simdMem(S.v128_load32_splat, 2).set(dd);
        a.set(lim, a.min(BS, a.max(0, a.add(a.add(i, DIAG), 1))));
        a.set(jl, a.mul(lim, 4));
        a.set(j, 0);
        // whole vectors of kept keys
        a.whileLoop(a.lt(a.add(j, 16), a.add(jl, 1)), () => {
          load(x, ps);
          load(d, pd);
          const [p, ds] = compute();
          store(ps, p);
          store(pd, ds);
          a.set(j, a.add(j, 16));
          a.set(ps, a.add(ps, 16));
          a.set(pd, a.add(pd, 16));
        });
        // the row's last kept keys: computed lanes, then zeros up to the row's end, then the next row's values
        a.if(a.lt(j, jl), () => {
          load(x, ps);
          load(d, pd);
          const [p, ds] = compute();
          below(mc, () => a.emit(a.divU(a.sub(jl, j), 4)));
          below(mr, () => a.emit(a.divU(a.sub(jb, j), 4)));
          store(ps, v.select(mc, p, v.select(mr, zero, x)));
          store(pd, v.select(mc, ds, v.select(mr, zero, d)));
          a.set(j, a.add(j, 16));
          a.set(ps, a.add(ps, 16));
          a.set(pd, a.add(pd, 16));
        });
        // masked keys: zeros
        a.whileLoop(a.lt(a.add(j, 16), a.add(jb, 1)), () => {
          store(ps, zero);
          store(pd, zero);
          a.set(j, a.add(j, 16));
          a.set(ps, a.add(ps, 16));
          a.set(pd, a.add(pd, 16));
        });
        a.if(a.lt(j, jb), () => {
          load(x, ps);
          load(d, pd);
          below(mr, () => a.emit(a.divU(a.sub(jb, j), 4)));
          store(ps, v.select(mr, zero, x));
          store(pd, v.select(mr, zero, d));
          a.set(j, a.add(j, 16));
          a.set(ps, a.add(ps, 16));
          a.set(pd, a.add(pd, 16));
        });
        // back to the next row's start (the partial vectors went past it)
        a.set(ps, a.sub(ps, a.sub(j, jb)));
        a.set(pd, a.sub(pd, a.sub(j, jb)));
        a.set(rowb, a.add(rowb, 4));
      });
      a.set(rb, a.add(rb, RS));
    });
    mb.exportFunc("attn_pds", mb.addFunc(fb));
  }
  {
    const fb = new FunctionBuilder([I, I, I, I, I], []);
    const a = new Asm(fb);
    const [DST, SRC, G, LEN, DS] = fb.params;
    const g = a.i32(), e = a.i32(), lb = a.i32(), lv = a.i32(), dsb = a.i32(), pdst = a.i32(), psrc = a.i32();
    a.set(lb, a.mul(LEN, 4));
    a.set(lv, a.mul(a.and(LEN, ~3), 4));
    a.set(dsb, a.mul(DS, 4));
    a.set(psrc, SRC);
    a.for(g, 0, G, 1, () => {
      a.set(pdst, a.add(DST, a.mul(g, dsb)));
      a.for(e, 0, lv, 16, () => {
        a.emit(a.add(pdst, e));
        a.emit(a.add(pdst, e));
        fb.simdMem(S.v128_load, 2);
        a.emit(a.add(psrc, e));
        fb.simdMem(S.v128_load, 2).simd(S.f32x4_add).simdMem(S.v128_store, 2);
      });
      a.for(e, lv, lb, 4, () => {
        a.emit(a.add(pdst, e));
        a.emit(a.add(pdst, e));
        fb.mem(Op.f32_load, 2);
        a.emit(a.add(psrc, e));
        fb.mem(Op.f32_load, 2).op(F32_ADD).mem(Op.f32_store, 2);
      });
      a.set(psrc, a.add(psrc, lb));
    });
    mb.exportFunc("attn_acc", mb.addFunc(fb));
  }
  {
    const fb = new FunctionBuilder([I, I, I, I, I, I], []);
    const a = new Asm(fb);
    const v = new V(fb);
    const [SC, MS, R, SN, TT, CAUSAL] = fb.params;
    const r = a.i32(), t = a.i32(), j = a.i32(), jl = a.i32(), jb = a.i32(), row = a.i32();
    const iota = fb.local(T.v128), zero = fb.local(T.v128), ninf = fb.local(T.v128), mc = fb.local(T.v128), mr = fb.local(T.v128);
    const x = fb.local(T.v128), m = fb.local(T.v128), lo = fb.local(T.v128), hi = fb.local(T.v128), inv = fb.local(T.v128);
    const sum = fb.local(T.f64);
    fb.simd(S.v128_const, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0).set(iota);
    fb.simd(S.v128_const, ...new Array<number>(16).fill(0)).set(zero);
    fb.get(v.f(-Infinity)).set(ninf);
    const below = (mask: Local, n: () => void) => {
      fb.get(iota);
      n();
      fb.simd(S.i32x4_splat).simd(S.i32x4_lt_s).set(mask);
    };
    const load = () => {
      a.emit(a.add(row, j));
      fb.simdMem(S.v128_load, 2).set(x);
    };
    const store = (val: Local) => {
      a.emit(a.add(row, j));
      fb.get(val).simdMem(S.v128_store, 2);
    };
    // the 4 lanes of e into the float64 sums lo (lanes 0, 1) and hi (lanes 2, 3)
    const addSum = (e: Local) => {
      fb.get(lo).get(e).simd(S.f64x2_promote_low_f32x4).simd(S.f64x2_add).set(lo);
      fb.get(hi).get(e).get(e).simd(S.i8x16_shuffle, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
      fb.simd(S.f64x2_promote_low_f32x4).simd(S.f64x2_add).set(hi);
    };
    a.set(row, SC);
    a.set(jb, a.mul(SN, 4));
    a.set(t, 0);
    a.for(r, 0, R, 1, () => {
      a.if(CAUSAL, () => a.set(jl, a.mul(a.min(SN, a.add(t, 1)), 4)), () => a.set(jl, jb));
      // the maximum
      fb.get(ninf).set(m);
      a.for(j, 0, a.sub(jl, 15), 16, () => {
        load();
        fb.get(m).get(x).simd(S.f32x4_max).set(m);
      });
      a.if(a.lt(j, jl), () => {
        load();
        below(mc, () => a.emit(a.divU(a.sub(jl, j), 4)));
        fb.get(m).get(x).get(ninf).get(mc).simd(S.v128_bitselect).simd(S.f32x4_max).set(m);
      });
      fb.get(m).get(m).simd(S.i8x16_shuffle, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7).get(m).simd(S.f32x4_max).set(m);
      fb.get(m).get(m).simd(S.i8x16_shuffle, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11).get(m).simd(S.f32x4_max).set(m);
      // e = exp(x − m) and its sum
      fb.get(zero).set(lo).get(zero).set(hi);
      a.for(j, 0, a.sub(jl, 15), 16, () => {
        load();
        const e = vexp(v, v.sub(x, m));
        store(e);
        addSum(e);
      });
      a.if(a.lt(j, jl), () => {
        load();
        below(mc, () => a.emit(a.divU(a.sub(jl, j), 4)));
        const e = v.select(mc, vexp(v, v.sub(x, m)), zero);
        addSum(e);
        // the lanes past lim keep their logits (or the next row's) until the scaling below
        store(v.select(mc, e, x));
      });
      fb.get(lo).get(hi).simd(S.f64x2_add).set(lo);
      fb.get(lo).simd(S.f64x2_extract_lane, 0).get(lo).simd(S.f64x2_extract_lane, 1).op(F64_ADD).set(sum);
      // MS[r] = (m, sum)
      a.emit(MS);
      fb.get(m).simd(S.f32x4_extract_lane, 0).op(Op.f64_promote_f32).mem(Op.f64_store, 3, 0);
      a.emit(MS);
      fb.get(sum).mem(Op.f64_store, 3, 8);
      a.set(MS, a.add(MS, 16));
      // scale by 1/sum; the masked keys 0
      fb.op(Op.f64_const, ...f64Bytes(1)).get(sum).op(F64_DIV).op(Op.f32_demote_f64).simd(S.f32x4_splat).set(inv);
      a.for(j, 0, a.sub(jl, 15), 16, () => {
        load();
        store(v.mul(x, inv));
      });
      a.if(a.lt(j, jl), () => {
        load();
        below(mc, () => a.emit(a.divU(a.sub(jl, j), 4)));
        below(mr, () => a.emit(a.divU(a.sub(jb, j), 4)));
        store(v.select(mc, v.mul(x, inv), v.select(mr, zero, x)));
        a.set(j, a.add(j, 16));
      });
      a.for(j, j, a.sub(jb, 15), 16, () => store(zero));
      a.if(a.lt(j, jb), () => {
        load();
        below(mr, () => a.emit(a.divU(a.sub(jb, j), 4)));
        store(v.select(mr, zero, x));
      });
      a.set(row, a.add(row, jb));
      a.set(t, a.add(t, 1));
      a.if(a.eq(t, TT), () => a.set(t, 0));
    });
    mb.exportFunc("attn_softmax", mb.addFunc(fb));
  }
  {
    const fb = new FunctionBuilder([I, I, I], []);
    const a = new Asm(fb);
    const [DST, KM, N] = fb.params;
    const e = a.i32();
    a.for(e, 0, a.mul(N, 4), 16, () => {
      a.emit(a.add(DST, e));
      a.emit(a.add(DST, e));
      fb.simdMem(S.v128_load, 2);
      a.emit(a.add(KM, e));
      fb.simdMem(S.v128_load, 2).simd(S.v128_and).simdMem(S.v128_store, 2);
    });
    mb.exportFunc("attn_keep", mb.addFunc(fb));
  }
  for (const [bias, mask, keep] of [[true, false, false], [false, true, false], [true, true, false], [false, true, true], [true, true, true]] as const)
    buildMaskKernel(mb, bias, mask, keep);
  return mb.encode();
}

/** The 8 bytes of a float64 constant (little-endian). */
function f64Bytes(x: number): number[] {
  return [...new Uint8Array(new Float64Array([x]).buffer)];
}
const F64_ADD = 0xa0;
const F64_DIV = 0xa3;

/** f32.add (not among emitter.ts's named opcodes). */
const F32_ADD = 0x92;

/** Whether the attention routines may use these kernels (tests turn it off to run the JavaScript loops as a reference). */
export const attentionSimdSwitch = { enabled: true };

/** The kernels, instantiated on first use; null where they cannot run. */
export const attentionSimd = lazySimdModule<AttentionSimd>(buildModule);
