/**
 * A direct (implicit-GEMM) float32 convolution in WebAssembly SIMD, for the
 * channels-last case: input features contiguous (NHWC-like), output rows
 * (batch, position) contiguous [M, O], no groups (conv.ts copies other
 * layouts into this one: an NCHW input, a kernel gradient's, whose features
 * are the batch). It is the CPU's forward convolution, its input gradient (a
 * convolution too; with input dilation where the forward was strided: the
 * offset table marks the holes as padding) and its kernel gradient. Even one input feature (a first layer on grey images)
 * measured faster here than gathered patches through the matmul (4.7
 * against 2.5 GFLOP/s, 64×28×28×1 → 6, 5×5).
 *
 * No patch matrix is made at all. The kernel is packed once (on the calling
 * thread) into NR-column panels, [K = window · I][NR] floats each, K ordered
 * (kernel position, input feature), zero past O. The output rows go in items
 * of MB rows to whichever thread asks next (a shared atomic counter, as the
 * matmul's items, so a thread slowed down by other processes does less). For
 * each item, for each panel (which stays in L1), for each group of MR rows:
 * an MR×NR tile of the output in v128 locals; for each kernel position (in
 * chunks whose part of the panel fits L1, the tile kept in a buffer between
 * chunks: stored and reloaded exactly, so the sums are unchanged), the
 * MR rows' input vectors are found through the (position, kernel position) →
 * offset table (padding reads a zero row), then for each input feature MR
 * splats times NR/4 vectors of the panel accumulate into the tile (fused
 * multiply-add where relaxed SIMD validates). A partial group repeats its last
 * row and a partial panel has zero columns; their tile goes through a small
 * buffer, only the valid corner stored.
 *
 * Each output element is Σ_k Σ_i x·w in float32, in (kernel position, input
 * feature) order from zero, whichever thread computes it: one thread and
 * several give the same bits. The generic kernel (conv.ts) sums in float64,
 * so the two agree within float32 rounding of the sum.
 */
import { Asm, relaxedSimdSupported } from "./matmul-wasm.js";
import { allocScratch, freeScratch, memoryView, pointerOf, wasmMemory } from "./memory.js";
import { readyWorkers, registerModule, runSplitAll, threadCount, threadsReady } from "./threads.js";
import type { Local } from "./wasm/emitter.js";
import { FunctionBuilder, ModuleBuilder, Op, S, simdSupported, T } from "./wasm/emitter.js";

/** Relaxed SIMD's fused multiply-add (0xFD 0x105), not in the emitter's table. */
const F32X4_RELAXED_MADD = 0x105;
/** Rows of the register tile (output positions). */
const MR = 4;
/** Vectors of the register tile (output features: NR = 4·NV). */
const NV = 2;
const NR = 4 * NV;
/**
 * Input features per step of the inner loop (the pointers advance once per step). 1: measured in CPU
 * time on one thread, 2 and 4 were 20–30% slower (64×32×32×32 → 64: 33 against 26 and 23 GFLOP/s; as in
 * the matmul, each distinct load32_splat offset costs V8 a general register).
 */
let U = 1;
/** For benchmarks: the inner loop's unrolling (recompiles); returns the previous one. */
export function setConvDirectUnroll(u: 1 | 2 | 4): number {
  const prev = U;
  U = u === 2 || u === 4 ? u : 1;
  compiled = undefined;
  return prev;
}

/** The i32 parameters at `params` (pointers and strides in bytes). */
const P = { m: 0, o: 1, ib: 2, kn: 3, outN: 4, x: 5, ls0: 6, w: 7, out: 8, table: 9, zero: 10, mb: 11, kch: 12 } as const;
const PARAM_COUNT = 13;

function buildModule(memory: { maxPages: number; shared: boolean }, fma: boolean): Uint8Array<ArrayBuffer> {
  const mb = new ModuleBuilder({ minPages: 0, maxPages: memory.maxPages, shared: memory.shared });
  const I32 = T.i32;
  // run(params, counter, tmp, buf): items of MB rows from the counter until none is left; tmp: MR·NR floats of
  // this thread, buf: its item's tiles between chunks of kernel positions (roundUp(MB, MR)·NR floats)
  const fb = new FunctionBuilder([I32, I32, I32, I32], []);
  const a = new Asm(fb);
  const [params, counter, tmp, buf] = fb.params;
  const L = (i: number) => {
    const l = a.i32();
    a.set(l, a.load(params, 4 * i));
    return l;
  };
  const M = L(P.m), O = L(P.o), IB = L(P.ib), KN = L(P.kn), OUTN = L(P.outN), X = L(P.x), LS0 = L(P.ls0);
  const W = L(P.w), OUT = L(P.out), TABLE = L(P.table), ZERO = L(P.zero), MB = L(P.mb), KCH = L(P.kch);
  const k0 = a.i32(), k1 = a.i32(), gb = a.i32();
  const r0 = a.i32(), r1 = a.i32(), jr = a.i32(), bp = a.i32(), ir = a.i32(), pb = a.i32(), k = a.i32(), ib = a.i32();
  const rows = a.i32(), cols = a.i32(), c = a.i32(), i = a.i32(), j = a.i32(), row = a.i32(), n = a.i32(), kb = a.i32(), ldc = a.i32();
  const base: Local[] = [], tp: Local[] = [], p: Local[] = [];
  for (let r = 0; r < MR; r++) {
    base.push(a.i32());
    tp.push(a.i32());
    p.push(a.i32());
  }
  const acc: Local[][] = [];
  for (let r = 0; r < MR; r++) acc.push(Array.from({ length: NV }, () => fb.local(T.v128)));
  const bv = Array.from({ length: NV }, () => fb.local(T.v128));
  const av = fb.local(T.v128);
  const zero = fb.constV128("f32", 0);
  const off = a.i32();

  a.set(ldc, a.mul(O, 4));
  a.set(kb, a.mul(a.mul(KN, IB), NR)); // bytes of one panel: K·NR floats
  const claim = () => {
    // r0 = MB · (counter++)
    if (memory.shared) fb.get(counter).i32(1).op(0xfe, 0x1e, 2, 0); // i32.atomic.rmw.add: the old value
    else {
      fb.get(counter).mem(Op.i32_load, 2);
      fb.get(counter).get(counter).mem(Op.i32_load, 2).i32(1).op(Op.i32_add).mem(Op.i32_store, 2);
    }
    fb.get(MB).op(Op.i32_mul).set(r0);
  };
  claim();
  a.whileLoop(a.lt(r0, M), () => {
    a.set(r1, a.min(a.add(r0, MB), M));
    a.set(bp, W);
    a.for(jr, 0, O, NR, () => {
      // kernel positions in chunks of KCH (the panel's chunk stays in L1 across the item's groups); between
      // chunks a group's tile waits in buf, stored and reloaded exactly: the sums are those of one pass
      a.for(k0, 0, KN, KCH, () => {
        a.set(k1, a.min(a.add(k0, KCH), KN));
        a.set(gb, buf);
        a.for(ir, r0, r1, MR, () => {
          // the group's rows (the last one repeated past r1): their batch base and table row
          for (let r = 0; r < MR; r++) {
            a.set(row, a.min(a.add(ir, r), a.sub(r1, 1)));
            a.set(n, a.divU(row, OUTN));
            a.set(base[r], a.add(X, a.mul(n, LS0)));
            a.set(tp[r], a.add(TABLE, a.mul(a.add(a.mul(a.sub(row, a.mul(n, OUTN)), KN), k0), 4)));
          }
          a.if(
            a.eq(k0, 0),
            () => {
              for (const rr of acc) for (const l of rr) fb.get(zero).set(l);
            },
            () => {
              for (let r = 0; r < MR; r++) for (let v = 0; v < NV; v++) fb.get(gb).simdMem(S.v128_load, 2, (r * NV + v) * 16).set(acc[r][v]);
            },
          );
          a.set(pb, a.add(bp, a.mul(a.mul(k0, IB), NR)));
          a.for(k, k0, k1, 1, () => {
            for (let r = 0; r < MR; r++) {
              // p_r = off < 0 ? ZERO : base_r + off (off in bytes)
              a.set(off, a.load(tp[r]));
              a.emit(ZERO);
              a.emit(a.add(base[r], off));
              a.emit(a.lt(off, 0));
              fb.op(Op.select).set(p[r]);
              a.set(tp[r], a.add(tp[r], 4));
            }
            /** One input feature at byte offset `o` from the p_r and `o`·NR from pb. */
            const step = (o: number) => {
              for (let v = 0; v < NV; v++) fb.get(pb).simdMem(S.v128_load, 2, o * NR + 16 * v).set(bv[v]);
              for (let r = 0; r < MR; r++) {
                fb.get(p[r]).simdMem(S.v128_load32_splat, 2, o).set(av);
                for (let v = 0; v < NV; v++) {
                  if (fma) fb.get(av).get(bv[v]).get(acc[r][v]).simd(F32X4_RELAXED_MADD as S).set(acc[r][v]);
                  else fb.get(acc[r][v]).get(av).get(bv[v]).simd(S.f32x4_mul).simd(S.f32x4_add).set(acc[r][v]);
                }
              }
            };
            const advance = (bytes: number) => {
              for (let r = 0; r < MR; r++) a.set(p[r], a.add(p[r], bytes));
              a.set(pb, a.add(pb, bytes * NR));
            };
            // features in steps of U (the pointers advanced once per U), then one at a time
            a.set(ib, a.add(p[0], a.and(IB, -4 * U)));
            a.whileLoop(a.ltU(p[0], ib), () => {
              for (let u = 0; u < U; u++) step(4 * u);
              advance(4 * U);
            });
            a.set(ib, a.add(ib, a.and(IB, 4 * U - 4)));
            a.whileLoop(a.ltU(p[0], ib), () => {
              step(0);
              advance(4);
            });
          });
          a.if(
            a.lt(k1, KN),
            () => {
              for (let r = 0; r < MR; r++) for (let v = 0; v < NV; v++) fb.get(gb).get(acc[r][v]).simdMem(S.v128_store, 2, (r * NV + v) * 16);
            },
            () => {
              a.set(c, a.add(a.add(OUT, a.mul(ir, ldc)), a.mul(jr, 4)));
              a.set(rows, a.min(MR, a.sub(r1, ir)));
              a.set(cols, a.min(NR, a.sub(O, jr)));
              const storeTile = (at: Local, stride: Local | number) => {
                for (let r = 0; r < MR; r++)
                  for (let v = 0; v < NV; v++) {
                    a.emit(a.add(at, a.mul(r, stride)));
                    fb.get(acc[r][v]).simdMem(S.v128_store, 2, 16 * v);
                  }
              };
              a.if(
                a.and(a.eq(rows, MR), a.eq(cols, NR)),
                () => storeTile(c, ldc),
                () => {
                  storeTile(tmp, NR * 4);
                  a.for(i, 0, rows, 1, () =>
                    a.for(j, 0, cols, 1, () => {
                      a.emit(a.add(a.add(c, a.mul(i, ldc)), a.mul(j, 4)));
                      a.emit(a.add(tmp, a.mul(a.add(a.mul(i, NR), j), 4)));
                      fb.mem(Op.f32_load, 2).mem(Op.f32_store, 2);
                    }),
                  );
                },
              );
            },
          );
          a.set(gb, a.add(gb, MR * NR * 4));
        });
      });
      a.set(bp, a.add(bp, kb));
    });
    claim();
  });
  mb.exportFunc("run", mb.addFunc(fb));

  // pack(SRC, OFFS, KN, IB, SI, SO, O, DST): the kernel's NR-column panels, [KN·I][NR] floats each (zero past
  // O), w(k, i, o) at SRC + OFFS[k] + i·SI + o·SO (OFFS i32 bytes, IB = I·4, strides in bytes); rows (k, i)
  // outermost, so that each row of the kernel is read once
  {
    const pk = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32], []);
    const q = new Asm(pk);
    const [SRC, OFFS, KN, IB, SI, SO, O, DST] = pk.params;
    const kk = q.i32(), ii = q.i32(), jp = q.i32(), src = q.i32(), d = q.i32(), row = q.i32(), pf = q.i32(), j = q.i32(), nj = q.i32(), sj = q.i32();
    q.set(pf, q.mul(q.mul(KN, IB), NR)); // bytes of one panel
    q.set(row, DST);
    q.for(kk, 0, KN, 1, () => {
      q.for(ii, 0, IB, 4, () => {
        q.set(src, q.add(q.add(SRC, q.load(q.add(OFFS, q.mul(kk, 4)))), q.mul(q.divU(ii, 4), SI)));
        q.set(d, row);
        q.for(jp, 0, O, NR, () => {
          q.set(nj, q.min(NR, q.sub(O, jp)));
          q.if(
            q.and(q.eq(nj, NR), q.eq(SO, 4)),
            () => {
              for (let v = 0; v < NV; v++) {
                q.emit(d);
                q.emit(src);
                pk.simdMem(S.v128_load, 0, 16 * v).simdMem(S.v128_store, 0, 16 * v);
              }
            },
            () => {
              q.set(sj, src);
              q.for(j, 0, NR, 1, () => {
                q.emit(q.add(d, q.mul(j, 4)));
                q.emit(q.lt(j, nj));
                pk.op(Op.if, T.f32);
                q.emit(sj);
                pk.mem(Op.f32_load, 2).op(Op.else).f32(0).op(Op.end);
                pk.mem(Op.f32_store, 2);
                q.set(sj, q.add(sj, SO));
              });
            },
          );
          q.set(src, q.add(src, q.mul(SO, NR)));
          q.set(d, q.add(d, pf));
        });
        q.set(row, q.add(row, NR * 4));
      });
    });
    mb.exportFunc("pack", mb.addFunc(pk));
  }
  return mb.encode();
}

interface Compiled {
  run: (params: number, counter: number, tmp: number, buf: number) => void;
  pack: (src: number, offs: number, kN: number, ib: number, si: number, so: number, o: number, dst: number) => void;
  poolId: number;
}
let compiled: Compiled | null | undefined;

function compile(): Compiled | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  const mem = wasmMemory();
  if (!mem || !simdSupported()) return null;
  try {
    const module = new WebAssembly.Module(buildModule(mem, relaxedSimdSupported));
    const e = new WebAssembly.Instance(module, { env: { memory: mem.memory } }).exports;
    compiled = { run: e.run as Compiled["run"], pack: e.pack as Compiled["pack"], poolId: registerModule(module) };
  } catch {
    compiled = null;
  }
  return compiled;
}

let enabled = true;
/** Turns the direct kernel on or off (tests compare it with the other paths); returns the previous setting. */
export function setConvDirect(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** How many convolutions took the direct kernel, and how many of them ran on several threads (tests check the path). */
export const convDirectStats = { calls: 0, threaded: 0 };

/** Convolutions of at least this much work (M·O·K multiply-adds) are split across threads. */
let threadMinWork = 1 << 18;
/** For tests: the split threshold (0: always split when the pool is ready); returns the previous one. */
export function setConvDirectThreadMinWork(work: number): number {
  const prev = threadMinWork;
  threadMinWork = work;
  return prev;
}

/** The kernel as the direct convolution reads it: w(k, i, o) = data[offsets[k] + i · inStride + o · outStride]. */
export interface KernelView {
  data: Float32Array;
  /** Per kernel position, its offset in `data`. */
  offsets: Int32Array;
  inStride: number;
  outStride: number;
}

/** The shape of a direct convolution: output rows M = batch · outN, O output features, I input features, kN kernel positions. */
export interface DirectShape {
  batch: number;
  outN: number;
  O: number;
  I: number;
  kN: number;
  /** Batch stride of the input, in elements. */
  ls0: number;
}

/** Whether the direct kernel takes a convolution of this shape (WebAssembly usable, enough features, enough work). */
export function convDirectEligible(s: DirectShape): boolean {
  return enabled && s.I >= 1 && s.batch * s.outN * s.O * s.I * s.kN >= 4096 && compile() !== null;
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;
/** The bytes of a panel's chunk of kernel positions that a group's pass reads (kept in L1 across an item's groups). */
let PANEL_CHUNK_BYTES = 16384;
/** For benchmarks: the panel chunk in bytes (Infinity: one pass over all kernel positions); returns the previous one. */
export function setConvDirectChunk(bytes: number): number {
  const prev = PANEL_CHUNK_BYTES;
  PANEL_CHUNK_BYTES = bytes;
  return prev;
}

/**
 * out[m, o] = Σ_k Σ_i lhs[n·ls0 + table[y·kN + k] + i] · w(k, i, o), m = n·outN + y, where
 * w(k, i, o) = `rhs.data[rhs.offsets[k] + i · rhs.inStride + o · rhs.outStride]` (any layout) and
 * `table` holds element offsets (−1: padding).
 * `out` is [M, O] contiguous. False, having written nothing, where it cannot run.
 */
export function convDirect(lhs: Float32Array, out: Float32Array, s: DirectShape, table: Int32Array, rhs: KernelView): boolean {
  const c = compile();
  if (!c) return false;
  const { batch, outN, O, I, kN } = s;
  const M = batch * outN;
  const K = kN * I;
  const panels = Math.ceil(O / NR);
  const threads = threadCount();
  const threaded = M * O * K >= threadMinWork && M >= 2 * MR && threadsReady();
  const workers = threaded ? Math.min(readyWorkers(), threads - 1) : 0;
  // items: about 64 KiB of gathered input rows each (L2), at least MR rows, and enough of them to share out
  let mb = Math.max(MR, roundUp(Math.floor(16384 / K), MR));
  if (workers > 0) mb = Math.min(mb, Math.max(MR, roundUp(Math.ceil(M / (8 * (workers + 1))), MR)));
  mb = Math.min(mb, roundUp(M, MR));
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
    const wp = take(panels * K * NR * 4);
    const tpp = take(table.byteLength);
    const zp = take(I * 4);
    const params = take(PARAM_COUNT * 4 + 4); // and the item counter
    const tmps = Array.from({ length: workers + 1 }, () => take(MR * NR * 4));
    const bufs = Array.from({ length: workers + 1 }, () => take(roundUp(mb, MR) * NR * 4));
    if (xp < 0 || op < 0 || wp < 0 || tpp < 0 || zp < 0 || params < 0 || tmps.some((t) => t < 0) || bufs.some((t) => t < 0)) return false;
    if (lhsAt < 0) memoryView(Float32Array, xp, lhs.length).set(lhs);
    // the kernel packed by WebAssembly (copied into the memory first where it lies elsewhere), else here
    const { data: wd, offsets, inStride: si, outStride: so } = rhs;
    const wasmPack = si >= 0 && so >= 0 && offsets.every((o) => o >= 0);
    let wdAt = pointerOf(wd);
    if (wdAt < 0 && wasmPack && (wdAt = take(wd.byteLength)) >= 0) memoryView(Float32Array, wdAt, wd.length).set(wd);
    const offp = wdAt >= 0 && wasmPack ? take(kN * 4) : -1;
    if (wdAt >= 0 && offp >= 0) {
      // in WebAssembly (a kernel gradient's "kernel" is a whole cotangent)
      const ov = memoryView(Int32Array, offp, kN);
      for (let k = 0; k < kN; k++) ov[k] = offsets[k] * 4;
      c.pack(wdAt, offp, kN, I * 4, si * 4, so * 4, O, wp);
    } else {
      const w = memoryView(Float32Array, wp, panels * K * NR);
      const panelFloats = K * NR;
      for (let k = 0; k < kN; k++)
        for (let i = 0; i < I; i++) {
          const src = offsets[k] + i * si;
          const row = (k * I + i) * NR;
          for (let jp = 0; jp < panels; jp++) {
            const d = jp * panelFloats + row;
            const o0 = jp * NR;
            const nj = Math.min(NR, O - o0);
            let j = 0;
            for (; j < nj; j++) w[d + j] = wd[src + (o0 + j) * so];
            for (; j < NR; j++) w[d + j] = 0;
          }
        }
    }
    const t = memoryView(Int32Array, tpp, table.length);
    for (let q = 0; q < table.length; q++) t[q] = table[q] < 0 ? -1 : table[q] * 4;
    memoryView(Float32Array, zp, I).fill(0);
    const counter = params + PARAM_COUNT * 4;
    // kernel positions per chunk: about 16 KiB of the panel (L1)
    const kch = Math.max(1, Math.min(kN, Math.floor(PANEL_CHUNK_BYTES / (I * NR * 4))));
    memoryView(Int32Array, params, PARAM_COUNT + 1).set([M, O, I * 4, kN, outN, xp, s.ls0 * 4, wp, op, tpp, zp, mb, kch, 0]);
    convDirectStats.calls++;
    let done = false;
    if (workers > 0) {
      done = runSplitAll(c.poolId, "run", tmps.slice(1).map((tm, w) => [params, counter, tm, bufs[w + 1]]), () => c.run(params, counter, tmps[0], bufs[0]));
      if (done) convDirectStats.threaded++;
    }
    if (!done) c.run(params, counter, tmps[0], bufs[0]);
    if (outAt < 0) out.set(memoryView(Float32Array, op, out.length));
    return true;
  } finally {
    for (const [q, bytes] of scratch) freeScratch(q, bytes);
  }
}
