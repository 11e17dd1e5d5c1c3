/**
 * float32 matrix product as WebAssembly SIMD, in the GotoBLAS/BLIS layout:
 *
 *   pack B: for each KC-deep slice of k, NR-column panels (kc×NR floats, contiguous)
 *   for each item of rows (taken from a shared counter, by one thread or two)
 *     for each NC-wide column block (jc), for each KC-deep slice (pc)
 *       pack A[rows, pc..] into MR-row panels (kc×MR)
 *       for each panel of B (jr), for each panel of A (ir):
 *         the micro-kernel: an MR×NR tile of C in v128 locals, kc steps of
 *         MR splats of A times NR/4 vectors of B
 *
 * The micro-panel of B (kc×NR floats, 8 KiB) stays in L1 while the MR-row panels
 * of A stream through it from L2. Packing copies every operand into scratch, so
 * strided and transposed operands (x.T @ y) cost the same as contiguous ones, and
 * edges are zero-padded: the micro-kernel always computes a full tile, and an edge
 * tile is written through a small buffer, only its valid corner.
 *
 * The tile is 4×8 (8 accumulators). x64 has 16 vector registers and V8 keeps one
 * for itself; a 5×8 or 6×8 tile with its two B vectors, the A splats (V8 loads
 * them all ahead) and a product temporary spills, and measured 30–40% slower.
 * With relaxed SIMD (`f32x4.relaxed_madd`, fused on x64 with FMA: +35% here) there
 * is no temporary; it is used where it validates (Node ≥ 22, browsers; Node 20
 * only with --experimental-wasm-relaxed-simd). Unrolling k by hand measured slower
 * than leaving it to V8 (which unrolls by two): each distinct load32_splat offset
 * costs V8 a general register, and past a few they spill.
 *
 * B is packed once for all rows (`packAllB`, on the calling thread), then rows go
 * in items of up to MC rows to whichever thread asks next (`claimSharedB`), so a
 * thread slowed down by other processes does less of the work. A batch of
 * different B matrices (or one too big to pack whole) goes by batch elements
 * instead, each thread packing KC×NC blocks of B into its own scratch
 * (`claimOwnB`). Each output element is computed the same way whichever thread
 * computes it, so one and two threads give the same bits.
 *
 * The driver loops run in WebAssembly; packing and the block kernel are separate
 * functions, so that V8 tiers them up (from its baseline compiler to the
 * optimizing one) after their first calls, even while the first product is
 * still running.
 */
import type { DotParams } from "../device.js";
import type { Local } from "./wasm/emitter.js";
import { FunctionBuilder, ModuleBuilder, Op, S, simdSupported, T } from "./wasm/emitter.js";
import { allocScratch, freeScratch, inMemory, memoryView, noteStaged, wasmMemory } from "./memory.js";
import { registerModule, runSplit, threadsReady } from "./threads.js";

/** Relaxed SIMD's fused multiply-add (0xFD 0x105), not in the emitter's table. */
const F32X4_RELAXED_MADD = 0x105;

export interface GemmConfig {
  /** Rows of the micro-tile. */
  mr: number;
  /** Columns of the micro-tile, in f32x4 vectors. */
  nv: number;
  /** Steps of k per micro-kernel loop iteration. */
  unroll: number;
  kc: number;
  mc: number;
  nc: number;
  /** Use relaxed_madd (only where it validates). */
  fma: boolean;
  /**
   * Pack A with every value splatted to four lanes (plain v128 loads in the kernel instead of
   * load32_splat, 4× the packed bytes): measured 6% slower on Zen 4, kept for other machines.
   */
  presplat: boolean;
}

const supportsRelaxed = detectRelaxed();
const defaultConfig: GemmConfig = { mr: 4, nv: 2, unroll: 1, kc: 256, mc: 128, nc: 2048, fma: supportsRelaxed, presplat: false };
let config: GemmConfig = { ...defaultConfig };

function detectRelaxed(): boolean {
  if (typeof WebAssembly === "undefined") return false;
  // (func (result v128) v128.const 0 ×3, f32x4.relaxed_madd)
  const body = [0];
  for (let i = 0; i < 3; i++) body.push(0xfd, 0x0c, ...new Array<number>(16).fill(0));
  body.push(0xfd, 0x85, 0x02, 0x0b);
  const code = [1, body.length, ...body];
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, code.length, ...code]);
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

// ---- a little structured assembly ----------------------------------------------------

/** An i32 operand: a local, a constant, or code that pushes one value. */
type E = Local | number | (() => void);

export class Asm {
  constructor(readonly fb: FunctionBuilder) {}
  emit(e: E): void {
    if (typeof e === "number") this.fb.i32(e);
    else if (typeof e === "function") e();
    else this.fb.get(e);
  }
  private bin(op: Op) {
    return (a: E, b: E): E => () => {
      this.emit(a);
      this.emit(b);
      this.fb.op(op);
    };
  }
  add = this.bin(Op.i32_add);
  sub = this.bin(Op.i32_sub);
  mul = this.bin(Op.i32_mul);
  divU = this.bin(Op.i32_div_u);
  lt = this.bin(Op.i32_lt_s);
  ltU = this.bin(Op.i32_lt_u);
  eq = this.bin(Op.i32_eq);
  gt = this.bin(Op.i32_gt_s);
  and = this.bin(Op.i32_and);
  min(a: E, b: E): E {
    return () => {
      this.emit(a);
      this.emit(b);
      this.emit(this.lt(a, b));
      this.fb.op(Op.select);
    };
  }
  max(a: E, b: E): E {
    return () => {
      this.emit(a);
      this.emit(b);
      this.emit(this.gt(a, b));
      this.fb.op(Op.select);
    };
  }
  load(addr: E, offset = 0): E {
    return () => {
      this.emit(addr);
      this.fb.mem(Op.i32_load, 2, offset);
    };
  }
  set(l: Local, e: E): void {
    this.emit(e);
    this.fb.set(l);
  }
  i32(): Local {
    return this.fb.local(T.i32);
  }
  /** for (i = from; i < to; i += step) body — `to` is re-read every iteration. */
  for(i: Local, from: E, to: E, step: E, body: () => void): void {
    this.set(i, from);
    this.whileLoop(this.lt(i, to), () => {
      body();
      this.set(i, this.add(i, step));
    });
  }
  whileLoop(cond: E, body: () => void): void {
    const fb = this.fb;
    this.emit(cond);
    fb.op(Op.if, 0x40, Op.loop, 0x40);
    body();
    this.emit(cond);
    fb.br(Op.br_if, 0);
    fb.op(Op.end, Op.end);
  }
  if(cond: E, then: () => void, otherwise?: () => void): void {
    this.emit(cond);
    this.fb.op(Op.if, 0x40);
    then();
    if (otherwise) {
      this.fb.op(Op.else);
      otherwise();
    }
    this.fb.op(Op.end);
  }
}

// ---- the module ---------------------------------------------------------------------

/** The i32 parameters of one product, at `params` in the shared memory (pointers and strides in bytes). */
const P = { m: 0, n: 1, k: 2, a: 3, asb: 4, asm: 5, ask: 6, b: 7, bsb: 8, bsk: 9, bsn: 10, c: 11, batch: 12 } as const;
const PARAM_COUNT = 13;

export function buildGemmModule(cfg: GemmConfig, memory: { maxPages: number; shared: boolean }): Uint8Array<ArrayBuffer> {
  const { mr: MR, nv: NV, unroll: U, fma, presplat } = cfg;
  const NR = 4 * NV;
  /** Bytes per element of packed A. */
  const ES = presplat ? 16 : 4;
  const mb = new ModuleBuilder({ minPages: 0, maxPages: memory.maxPages, shared: memory.shared });
  const I = T.i32;

  // packB(src, sk, sn, kc, nc, dst): NR-column panels, [p][NR] each, zero past nc
  const packB = new FunctionBuilder([I, I, I, I, I, I], []);
  {
    const a = new Asm(packB);
    const [src, sk, sn, kc, nc, dst] = packB.params;
    const jr = a.i32(), nr = a.i32(), s = a.i32(), d = a.i32(), p = a.i32();
    a.set(d, dst);
    a.for(jr, 0, nc, NR, () => {
      a.set(nr, a.min(NR, a.sub(nc, jr)));
      a.set(s, a.add(src, a.mul(jr, sn)));
      a.if(
        a.and(a.eq(nr, NR), a.eq(sn, 4)),
        () =>
          a.for(p, 0, kc, 1, () => {
            for (let v = 0; v < NV; v++) {
              a.emit(d);
              a.emit(s);
              packB.simdMem(S.v128_load, 2, 16 * v).simdMem(S.v128_store, 2, 16 * v);
            }
            a.set(s, a.add(s, sk));
            a.set(d, a.add(d, NR * 4));
          }),
        () =>
          a.for(p, 0, kc, 1, () => {
            for (let j = 0; j < NR; j++) {
              a.emit(d);
              a.emit(a.lt(j, nr));
              packB.op(Op.if, T.f32);
              a.emit(a.add(s, a.mul(j, sn)));
              packB.mem(Op.f32_load, 2).op(Op.else).f32(0).op(Op.end);
              packB.mem(Op.f32_store, 2, 4 * j);
            }
            a.set(s, a.add(s, sk));
            a.set(d, a.add(d, NR * 4));
          }),
      );
    });
  }

  // packA(src, sm, sk, mc, kc, dst): MR-row panels, [p][MR] each (each value splatted to 4 lanes if
  // presplat), zero past mc
  const packA = new FunctionBuilder([I, I, I, I, I, I], []);
  {
    const a = new Asm(packA);
    const [src, sm, sk, mc, kc, dst] = packA.params;
    const ir = a.i32(), rows = a.i32(), s = a.i32(), d = a.i32(), p = a.i32();
    /** Stores the f32 on the stack (address d below it) as element i of a step. */
    const storeA = (i: number) => {
      if (presplat) packA.simd(S.f32x4_splat).simdMem(S.v128_store, 2, ES * i);
      else packA.mem(Op.f32_store, 2, ES * i);
    };
    a.set(d, dst);
    a.for(ir, 0, mc, MR, () => {
      a.set(rows, a.min(MR, a.sub(mc, ir)));
      a.set(s, a.add(src, a.mul(ir, sm)));
      a.if(
        a.eq(rows, MR),
        () =>
          a.for(p, 0, kc, 1, () => {
            for (let i = 0; i < MR; i++) {
              a.emit(d);
              a.emit(a.add(s, a.mul(i, sm)));
              packA.mem(Op.f32_load, 2);
              storeA(i);
            }
            a.set(s, a.add(s, sk));
            a.set(d, a.add(d, MR * ES));
          }),
        () =>
          a.for(p, 0, kc, 1, () => {
            for (let i = 0; i < MR; i++) {
              a.emit(d);
              a.emit(a.lt(i, rows));
              packA.op(Op.if, T.f32);
              a.emit(a.add(s, a.mul(i, sm)));
              packA.mem(Op.f32_load, 2).op(Op.else).f32(0).op(Op.end);
              storeA(i);
            }
            a.set(s, a.add(s, sk));
            a.set(d, a.add(d, MR * ES));
          }),
      );
    });
  }

  // block(Ap, Bp, C, ldc, mc, nc, kc, accumulate, tmp): C[mc×nc] (+)= packed A · packed B
  const block = new FunctionBuilder([I, I, I, I, I, I, I, I, I], []);
  {
    const fb = block;
    const a = new Asm(fb);
    const [Ap, Bp, C, ldc, mc, nc, kc, accumulate, tmp] = fb.params;
    const jr = a.i32(), ir = a.i32(), nr = a.i32(), rows = a.i32();
    const pa = a.i32(), pb = a.i32(), end = a.i32(), c = a.i32(), bp = a.i32(), i = a.i32(), j = a.i32();
    const acc: Local[][] = [];
    for (let r = 0; r < MR; r++) acc.push(Array.from({ length: NV }, () => fb.local(T.v128)));
    const bv = Array.from({ length: NV }, () => fb.local(T.v128));
    const av = fb.local(T.v128);
    const zero = fb.constV128("f32", 0);

    /** One step of k at byte offsets (oa, ob) from pa, pb. */
    const step = (oa: number, ob: number) => {
      for (let v = 0; v < NV; v++) {
        fb.get(pb).simdMem(S.v128_load, 2, ob + 16 * v).set(bv[v]);
      }
      for (let r = 0; r < MR; r++) {
        fb.get(pa).simdMem(presplat ? S.v128_load : S.v128_load32_splat, 2, oa + ES * r).set(av);
        for (let v = 0; v < NV; v++) {
          if (fma) {
            fb.get(av).get(bv[v]).get(acc[r][v]).simd(F32X4_RELAXED_MADD as S).set(acc[r][v]); // a·b + c
          } else {
            fb.get(acc[r][v]).get(av).get(bv[v]).simd(S.f32x4_mul).simd(S.f32x4_add).set(acc[r][v]);
          }
        }
      }
    };

    a.for(jr, 0, nc, NR, () => {
      a.set(nr, a.min(NR, a.sub(nc, jr)));
      a.set(bp, a.add(Bp, a.mul(a.mul(jr, kc), 4))); // panel jr/NR starts at (jr/NR)·kc·NR floats
      a.for(ir, 0, mc, MR, () => {
        a.set(rows, a.min(MR, a.sub(mc, ir)));
        for (const row of acc) for (const l of row) fb.get(zero).set(l);
        a.set(pa, a.add(Ap, a.mul(a.mul(ir, kc), ES)));
        a.set(pb, bp);
        // unrolled main loop, then single steps
        a.set(end, a.add(pa, a.mul(a.sub(kc, a.and(kc, U - 1)), MR * ES)));
        a.whileLoop(a.ltU(pa, end), () => {
          for (let u = 0; u < U; u++) step(u * MR * ES, u * NR * 4);
          a.set(pa, a.add(pa, U * MR * ES));
          a.set(pb, a.add(pb, U * NR * 4));
        });
        a.set(end, a.add(Ap, a.mul(a.mul(a.add(ir, MR), kc), ES)));
        a.whileLoop(a.ltU(pa, end), () => {
          step(0, 0);
          a.set(pa, a.add(pa, MR * ES));
          a.set(pb, a.add(pb, NR * 4));
        });
        a.set(c, a.add(a.add(C, a.mul(ir, ldc)), a.mul(jr, 4)));
        const storeTile = (base: E, stride: E, add: boolean) => {
          for (let r = 0; r < MR; r++) {
            for (let v = 0; v < NV; v++) {
              const addr = a.add(base, a.mul(r, stride));
              a.emit(addr);
              if (add) {
                a.emit(addr);
                fb.simdMem(S.v128_load, 2, 16 * v).get(acc[r][v]).simd(S.f32x4_add);
              } else fb.get(acc[r][v]);
              fb.simdMem(S.v128_store, 2, 16 * v);
            }
          }
        };
        a.if(
          a.and(a.eq(rows, MR), a.eq(nr, NR)),
          () => a.if(accumulate, () => storeTile(c, ldc, true), () => storeTile(c, ldc, false)),
          () => {
            // an edge tile: through tmp, then its valid corner
            storeTile(tmp, NR * 4, false);
            a.for(i, 0, rows, 1, () =>
              a.for(j, 0, nr, 1, () => {
                const dst = a.add(a.add(c, a.mul(i, ldc)), a.mul(j, 4));
                a.emit(dst);
                a.emit(a.add(tmp, a.mul(a.add(a.mul(i, NR), j), 4)));
                fb.mem(Op.f32_load, 2);
                a.emit(accumulate);
                fb.op(Op.if, T.f32);
                a.emit(dst);
                fb.mem(Op.f32_load, 2).op(Op.else).f32(0).op(Op.end);
                fb.op(0x92); // f32.add
                fb.mem(Op.f32_store, 2);
              }),
            );
          },
        );
      });
    });
  }

  const packBIndex = mb.addFunc(packB);
  const packAIndex = mb.addFunc(packA);
  const blockIndex = mb.addFunc(block);

  /** Loads the product's parameters into locals. */
  const loadParams = (a: Asm, params: Local) => {
    const L = (i: number) => {
      const l = a.i32();
      a.set(l, a.load(params, 4 * i));
      return l;
    };
    return {
      m: L(P.m), n: L(P.n), k: L(P.k),
      A: L(P.a), asb: L(P.asb), asm: L(P.asm), ask: L(P.ask),
      B: L(P.b), bsb: L(P.bsb), bsk: L(P.bsk), bsn: L(P.bsn),
      C: L(P.c),
    };
  };

  // ownB(params, rowBegin, rowEnd, packA, packB): rows of the batch-flattened output, packing B into this thread's packB
  const ownB = new FunctionBuilder([I, I, I, I, I], []);
  {
    const fb = ownB;
    const a = new Asm(fb);
    const [params, r0, r1, sA, sB] = fb.params;
    const { m, n, k, A, asb, asm, ask, B, bsb, bsk, bsn, C } = loadParams(a, params);
    const b = a.i32(), i0 = a.i32(), i1 = a.i32(), A0 = a.i32(), B0 = a.i32(), C0 = a.i32(), ldc = a.i32();
    const jc = a.i32(), nc = a.i32(), pc = a.i32(), kcl = a.i32(), ic = a.i32(), mcl = a.i32(), tmp = a.i32();
    a.set(ldc, a.mul(n, 4));
    // the edge tile's buffer first, then the packed A block
    a.set(tmp, sA);
    a.set(sA, a.add(sA, MR * NR * 4));
    a.set(b, a.divU(r0, m));
    a.whileLoop(a.lt(a.mul(b, m), r1), () => {
      a.set(i0, a.max(a.sub(r0, a.mul(b, m)), 0));
      a.set(i1, a.min(a.sub(r1, a.mul(b, m)), m));
      a.set(A0, a.add(A, a.mul(b, asb)));
      a.set(B0, a.add(B, a.mul(b, bsb)));
      a.set(C0, a.add(C, a.mul(a.mul(b, m), ldc)));
      a.for(jc, 0, n, cfg.nc, () => {
        a.set(nc, a.min(cfg.nc, a.sub(n, jc)));
        a.for(pc, 0, k, cfg.kc, () => {
          a.set(kcl, a.min(cfg.kc, a.sub(k, pc)));
          for (const e of [a.add(a.add(B0, a.mul(pc, bsk)), a.mul(jc, bsn)), bsk, bsn, kcl, nc, sB]) a.emit(e);
          fb.call(packBIndex);
          a.for(ic, i0, i1, cfg.mc, () => {
            a.set(mcl, a.min(cfg.mc, a.sub(i1, ic)));
            for (const e of [a.add(a.add(A0, a.mul(ic, asm)), a.mul(pc, ask)), asm, ask, mcl, kcl, sA]) a.emit(e);
            fb.call(packAIndex);
            const cAt = a.add(a.add(C0, a.mul(ic, ldc)), a.mul(jc, 4));
            for (const e of [sA, sB, cAt, ldc, mcl, nc, kcl, a.gt(pc, 0), tmp]) a.emit(e);
            fb.call(blockIndex);
          });
        });
      });
      a.set(b, a.add(b, 1));
    });
  }
  const ownBIndex = mb.addFunc(ownB);

  // packAllB(params, dst): all of B (batch element 0), for every KC slice the NR-column panels of all n columns
  const packAllB = new FunctionBuilder([I, I], []);
  {
    const fb = packAllB;
    const a = new Asm(fb);
    const [params, dst] = fb.params;
    const { n, k, B, bsk, bsn } = loadParams(a, params);
    const npad = a.i32(), pc = a.i32(), kcl = a.i32();
    a.set(npad, a.mul(a.divU(a.add(n, NR - 1), NR), NR));
    a.for(pc, 0, k, cfg.kc, () => {
      a.set(kcl, a.min(cfg.kc, a.sub(k, pc)));
      for (const e of [a.add(B, a.mul(pc, bsk)), bsk, bsn, kcl, n, a.add(dst, a.mul(a.mul(pc, npad), 4))]) a.emit(e);
      fb.call(packBIndex);
    });
  }
  mb.exportFunc("packAllB", mb.addFunc(packAllB));

  // sharedB(params, rowBegin, rowEnd, packA, packedB): rows of batch element 0 against B packed by packAllB
  const sharedB = new FunctionBuilder([I, I, I, I, I], []);
  {
    const fb = sharedB;
    const a = new Asm(fb);
    const [params, r0, r1, sA, Bp] = fb.params;
    const { n, k, A, asm, ask, C } = loadParams(a, params);
    const npad = a.i32(), ldc = a.i32(), jc = a.i32(), nc = a.i32(), pc = a.i32(), kcl = a.i32(), ic = a.i32(), mcl = a.i32();
    const tmp = a.i32();
    a.set(npad, a.mul(a.divU(a.add(n, NR - 1), NR), NR));
    a.set(ldc, a.mul(n, 4));
    a.set(tmp, sA);
    a.set(sA, a.add(sA, MR * NR * 4));
    a.for(jc, 0, n, cfg.nc, () => {
      a.set(nc, a.min(cfg.nc, a.sub(n, jc)));
      a.for(pc, 0, k, cfg.kc, () => {
        a.set(kcl, a.min(cfg.kc, a.sub(k, pc)));
        a.for(ic, r0, r1, cfg.mc, () => {
          a.set(mcl, a.min(cfg.mc, a.sub(r1, ic)));
          for (const e of [a.add(a.add(A, a.mul(ic, asm)), a.mul(pc, ask)), asm, ask, mcl, kcl, sA]) a.emit(e);
          fb.call(packAIndex);
          const bAt = a.add(Bp, a.mul(a.add(a.mul(pc, npad), a.mul(jc, kcl)), 4));
          const cAt = a.add(a.add(C, a.mul(ic, ldc)), a.mul(jc, 4));
          for (const e of [sA, bAt, cAt, ldc, mcl, nc, kcl, a.gt(pc, 0), tmp]) a.emit(e);
          fb.call(blockIndex);
        });
      });
    });
  }
  const sharedBIndex = mb.addFunc(sharedB);

  // claimOwnB / claimSharedB(params, counter, itemRows, packA, B): takes items of itemRows rows from the
  // shared counter until none is left, so that a thread slowed down by others does less of the work
  for (const [name, callee] of [["claimOwnB", ownBIndex], ["claimSharedB", sharedBIndex]] as const) {
    const fb = new FunctionBuilder([I, I, I, I, I], []);
    const a = new Asm(fb);
    const [params, counter, itemRows, sA, sB] = fb.params;
    const rows = a.i32(), r0 = a.i32();
    a.set(rows, a.mul(a.load(params, 4 * P.m), name === "claimOwnB" ? a.load(params, 4 * P.batch) : 1));
    const claim = () => {
      // r0 = itemRows · (counter++)
      if (memory.shared) {
        fb.get(counter).i32(1).op(0xfe, 0x1e, 2, 0); // i32.atomic.rmw.add: the old value
      } else {
        fb.get(counter).mem(Op.i32_load, 2);
        fb.get(counter).get(counter).mem(Op.i32_load, 2).i32(1).op(Op.i32_add).mem(Op.i32_store, 2);
      }
      fb.get(itemRows).op(Op.i32_mul).set(r0);
    };
    claim();
    a.whileLoop(a.lt(r0, rows), () => {
      for (const e of [params, r0, a.min(a.add(r0, itemRows), rows), sA, sB]) a.emit(e);
      fb.call(callee);
      claim();
    });
    mb.exportFunc(name, mb.addFunc(fb));
  }
  return mb.encode();
}

// ---- running it ---------------------------------------------------------------------

type Claim = (params: number, counter: number, itemRows: number, packA: number, b: number) => void;

interface Compiled {
  packAllB: (params: number, dst: number) => void;
  claimOwnB: Claim;
  claimSharedB: Claim;
  /** Id of the module in the thread pool. */
  poolId: number;
  cfg: GemmConfig;
}

let compiled: Compiled | null | undefined;

function compile(): Compiled | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  const mem = wasmMemory();
  if (!mem || !detectSimd()) return null;
  try {
    const cfg = { ...config };
    const module = new WebAssembly.Module(buildGemmModule(cfg, mem));
    const e = new WebAssembly.Instance(module, { env: { memory: mem.memory } }).exports;
    compiled = {
      packAllB: e.packAllB as Compiled["packAllB"],
      claimOwnB: e.claimOwnB as Claim,
      claimSharedB: e.claimSharedB as Claim,
      poolId: registerModule(module),
      cfg,
    };
  } catch {
    compiled = null;
  }
  return compiled;
}

const detectSimd = simdSupported;

/** For benchmarks and tests: a different tile or blocking (recompiles); returns the previous one. */
export function setGemmConfig(cfg: Partial<GemmConfig>): GemmConfig {
  const prev = config;
  config = { ...config, ...cfg, fma: (cfg.fma ?? config.fma) && supportsRelaxed };
  compiled = undefined;
  return prev;
}
export function gemmConfig(): GemmConfig {
  return { ...config };
}
export { supportsRelaxed as relaxedSimdSupported };

let enabled = true;
/** Turns the WebAssembly matmul on or off (tests compare with the JavaScript kernel); returns the previous setting. */
export function setWasmMatmulEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** Whether the WebAssembly matmul kernels are on (setWasmMatmulEnabled). */
export function wasmMatmulEnabled(): boolean {
  return enabled;
}

/** Products at most this big (m·n·k) stay on the JavaScript kernel: packing and the call cost more than they save. */
export const WASM_MATMUL_MIN_WORK = 4096;
/** Products at least this big (batch·m·n·k) are split across threads (tunable for tests and benchmarks). */
let threadMinWork = 1 << 18;
export function setThreadMinWork(work: number): number {
  const prev = threadMinWork;
  threadMinWork = work;
  return prev;
}
/** B is packed once for all rows (and both threads) up to this many bytes; past it, each thread packs KC×NC blocks. */
const SHARED_B_MAX_BYTES = 64 << 20;

/** The dot routine's parameters with both offsets given. */
export type DotArgs = Required<Omit<DotParams, "epilogue">>;

/** Whether the WebAssembly kernel would take this product (big enough, WebAssembly usable). */
export function wasmMatmulEligible(m: number, n: number, k: number): boolean {
  return enabled && m * n * k > WASM_MATMUL_MIN_WORK && compile() !== null;
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/**
 * out[b, i, j] = Σ_p lhs[b, i, p] · rhs[b, p, j], out contiguous [batch, m, n]
 * (float32, accumulated in float32). Returns false, having done nothing, when
 * the WebAssembly kernel can't run (the caller uses the JavaScript kernel).
 */
export function matmulWasm(lhs: Float32Array, rhs: Float32Array, out: Float32Array, d: DotArgs): boolean {
  let { batch, m } = d;
  const { n, k } = d;
  if (!enabled || batch * m * n === 0 || k === 0) return false;
  const c = compile();
  if (!c) return false;
  let [sb, sm, sk] = d.lhsStrides;
  const [rb, rk, rn] = d.rhsStrides;
  if (batch > 1 && rb === 0 && sb === m * sm) {
    // the same rhs for every batch element, lhs rows evenly spaced: one product of batch·m rows
    m *= batch;
    batch = 1;
    sb = 0;
  }
  const { cfg } = c;
  const NR = 4 * cfg.nv;
  const scratch: { ptr: number; bytes: number }[] = [];
  const take = (bytes: number): number => {
    const ptr = allocScratch(bytes);
    if (ptr >= 0) scratch.push({ ptr, bytes });
    return ptr;
  };
  const place = (a: Float32Array, copyIn: boolean): number => {
    if (inMemory(a)) return a.byteOffset;
    const ptr = take(a.byteLength);
    if (ptr >= 0 && copyIn) {
      memoryView(Float32Array, ptr, a.length).set(a);
      noteStaged(a.byteLength);
    }
    return ptr;
  };
  try {
    const aPtr = place(lhs, true);
    const bPtr = place(rhs, true);
    const cPtr = place(out, false);
    const params = take(PARAM_COUNT * 4 + 4); // and the work counter
    if (aPtr < 0 || bPtr < 0 || cPtr < 0 || params < 0) return false;
    const words = memoryView(Int32Array, params, PARAM_COUNT);
    words.set([m, n, k, aPtr + 4 * d.lhsOffset, 4 * sb, 4 * sm, 4 * sk, bPtr + 4 * d.rhsOffset, 4 * rb, 4 * rk, 4 * rn, cPtr, batch]);
    const counter = params + PARAM_COUNT * 4;
    memoryView(Int32Array, counter, 1)[0] = 0;

    const rows = batch * m;
    const kc = Math.min(cfg.kc, k);
    // per thread: the edge tile's buffer, then MR-row panels of up to MC rows
    const packABytes = cfg.mr * NR * 4 + roundUp(Math.min(cfg.mc, m), cfg.mr) * kc * (cfg.presplat ? 16 : 4);
    const sharedBBytes = batch === 1 ? k * roundUp(n, NR) * 4 : Infinity;
    const useShared = sharedBBytes <= SHARED_B_MAX_BYTES;
    const threaded = batch * m * n * k >= threadMinWork && rows >= 2 * cfg.mr && threadsReady();

    let run: Claim;
    let itemRows: number;
    let bArg: () => number; // the B argument of a thread: the shared packed B, or its own block
    if (useShared) {
      const packed = take(sharedBBytes);
      if (packed < 0) return false;
      c.packAllB(params, packed);
      run = c.claimSharedB;
      // items small enough that a thread slowed down by other processes hands its share over
      // (the last item leaves the other thread idle for about half an item: 16 items cost ~3% at most)
      itemRows = threaded ? Math.max(cfg.mr, Math.min(cfg.mc, roundUp(Math.ceil(rows / 16), cfg.mr))) : rows;
      bArg = () => packed;
    } else {
      run = c.claimOwnB;
      itemRows = !threaded ? rows : batch > 1 ? m : roundUp(Math.ceil(m / 2), cfg.mr);
      const ownBBytes = roundUp(Math.min(cfg.nc, n), NR) * kc * 4;
      bArg = () => take(ownBBytes);
    }
    const mineA = take(packABytes);
    const mineB = bArg();
    if (mineA < 0 || mineB < 0) return false;
    let done = false;
    if (threaded) {
      const theirA = take(packABytes);
      const theirB = bArg();
      if (theirA >= 0 && theirB >= 0) {
        done = runSplit(c.poolId, useShared ? "claimSharedB" : "claimOwnB", [params, counter, itemRows, theirA, theirB], () =>
          run(params, counter, itemRows, mineA, mineB),
        );
      }
    }
    if (!done) run(params, counter, itemRows, mineA, mineB);
    if (!inMemory(out)) {
      out.set(memoryView(Float32Array, cPtr, out.length));
      noteStaged(out.byteLength);
    }
    return true;
  } finally {
    for (const s of scratch) freeScratch(s.ptr, s.bytes);
  }
}
