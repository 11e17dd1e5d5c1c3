/**
 * Skinny products on the CPU: mat-vec, vec-mat and matmuls whose output has
 * one small side (m or n ≤ 16) and whose k is not tiny, and outer products
 * (k ≤ 4). The blocked kernel
 * (matmul-wasm.ts) packs both operands and computes 4×8 tiles: with n = 1,
 * 7/8 of every tile is padding, and the packing copies the whole matrix once
 * more. Here nothing is packed (but a small B, when its columns are not
 * contiguous along k), nothing is handed to a worker, and each element of the
 * large operand is read once, from where it lies: a skinny product is bound
 * by memory bandwidth, and these kernels run at it.
 *
 * Orientation: C = A·B with n the small side (when only m is small, the
 * transposed product Cᵀ = Bᵀ·Aᵀ is computed, written through C's strides).
 * Then the large operand A is read in one of two layouts:
 *
 * - `dot`: A contiguous along k (X·w). Each output C[i, j] is a dot product
 *   of row i of A with column j of B (contiguous along k: as given, or a small
 *   packed copy). A tile of R rows × G columns keeps R·G f32x4 accumulators
 *   (times U for unrolled k), loading each A vector once for G columns and
 *   each B vector once for R rows; the lanes are summed at the end, the last
 *   k mod 4 steps run as scalars.
 * - `axpy`: A contiguous along its rows (Xᵀ·r, the gradient of a linear
 *   layer's weights). A block of 4·V rows walks down k: per step V vectors of
 *   A times G splatted elements of B, into G·V accumulators (A's rows for a
 *   fixed k are contiguous, so every load is a whole vector of useful data).
 *   With many rows, k goes in the outer loop instead (`stream`): A's rows are
 *   read in order into G rows of sums that stay in the caches.
 *
 * - `outer`: k ≤ 4 (outer products, sums of a few): each row of C is
 *   written once, a vector at a time, as B's rows scaled by A[i, p] (B's rows
 *   contiguous: as given, or packed).
 *
 * Any other layout (A strided both ways, or the axpy layout with more than 4
 * columns) goes to the blocked kernel, whose packing is what makes strided
 * operands cheap. Big products with 4 columns or more split their rows
 * between this thread and the worker (threads.ts). float32 runs as WebAssembly
 * SIMD; float64 and float16 (and float32 without WebAssembly) run the same
 * orientation in JavaScript, accumulating in float64.
 */
import type { DType, TypedArray } from "../../dtype.js";
import type { Local } from "./wasm/emitter.js";
import { FunctionBuilder, ModuleBuilder, Op, S, simdSupported, T } from "./wasm/emitter.js";
import { alloc, allocScratch, freeScratch, inMemory, memoryView, noteStaged, wasmMemory } from "./memory.js";
import { Asm, type DotArgs, wasmMatmulEnabled } from "./matmul-wasm.js";
import { registerModule, runSplit, threadsReady } from "./threads.js";

/** The small side of a skinny product: m or n at most this. */
export const SKINNY_MAX = 16;
/** k at least this (below, the blocked kernel's tiles are as good, and its packing is cheap). */
export const SKINNY_MIN_K = 8;
/** Products at most this big (m·n·k) stay on the direct loop of the dot routine. */
export const SKINNY_MIN_WORK = 16384;

let skinnyEnabled = true;
/** Turns the skinny kernels on or off (tests compare with the blocked kernels); returns the previous setting. */
export function setSkinnyEnabled(on: boolean): boolean {
  const prev = skinnyEnabled;
  skinnyEnabled = on;
  return prev;
}

/** How many products took each path (tests check that the fast path is taken). */
export const skinnyCounts = { wasm: 0, js: 0, rowRanges: 0, matvec: 0 };

/** A product in the skinny orientation: C[i, j] = Σ_p A[i, p]·B[p, j], i < M (large), j < N (small); strides in elements. */
interface Oriented {
  M: number;
  N: number;
  k: number;
  batch: number;
  /** Operand index (0: lhs, 1: rhs) of A and B. */
  a: 0 | 1;
  ao: number; ab: number; am: number; ak: number;
  bo: number; bb: number; bk: number; bn: number;
  cb: number; cm: number; cn: number;
  layout: "dot" | "axpy" | "outer";
}

/** k at most this is an outer product (or a sum of a few): C's rows are written once, as scaled sums of B's rows. */
export const OUTER_MAX_K = 4;

/**
 * The skinny plan of a product, or null when the blocked kernel should take it.
 * Strides and offsets in elements, output contiguous [batch, m, n].
 */
export function skinnyPlan(d: DotArgs): Oriented | null {
  const { batch, m, n, k } = d;
  const [sb, sm, sk] = d.lhsStrides;
  const [rb, rk, rn] = d.rhsStrides;
  if (batch <= 0 || m <= 0 || n <= 0 || k <= 0) return null;
  if (k <= OUTER_MAX_K && m * n > SKINNY_MIN_WORK) {
    // an outer product: bound by writing C, which the blocked kernel does a 4×8 tile at a time after packing
    return { M: m, N: n, k, batch, a: 0, ao: d.lhsOffset, ab: sb, am: sm, ak: sk, bo: d.rhsOffset, bb: rb, bk: rk, bn: rn, cb: m * n, cm: n, cn: 1, layout: "outer" };
  }
  if (k < SKINNY_MIN_K || m * n * k <= SKINNY_MIN_WORK) return null;
  if (Math.min(m, n) > SKINNY_MAX) return null;
  // axpy reads A once per group of 4 columns, walking k with A's row stride: past one group the
  // blocked kernel (whose packing turns the strided walk into sequential reads) is faster
  const layout = (am: number, ak: number, small: number) => (ak === 1 ? "dot" : am === 1 && small <= 4 ? "axpy" : null);
  // as given: A = lhs (rows i), B = rhs (columns j), n small
  const asIs = (): Oriented | null => {
    const l = n <= SKINNY_MAX ? layout(sm, sk, n) : null;
    return l && { M: m, N: n, k, batch, a: 0, ao: d.lhsOffset, ab: sb, am: sm, ak: sk, bo: d.rhsOffset, bb: rb, bk: rk, bn: rn, cb: m * n, cm: n, cn: 1, layout: l };
  };
  // transposed: Cᵀ = Bᵀ·Aᵀ, A = rhsᵀ (rows j), B = lhsᵀ (columns i), m small
  const swapped = (): Oriented | null => {
    const l = m <= SKINNY_MAX ? layout(rn, rk, m) : null;
    return l && { M: n, N: m, k, batch, a: 1, ao: d.rhsOffset, ab: rb, am: rn, ak: rk, bo: d.lhsOffset, bb: sb, bk: sk, bn: sm, cb: m * n, cm: 1, cn: n, layout: l };
  };
  // the small side as N when both layouts work; otherwise whichever works
  return n <= m ? (asIs() ?? swapped()) : (swapped() ?? asIs());
}

// ---- the WebAssembly kernels ------------------------------------------------------------

/** dot tiles: rows R, columns G, k unrolled U (registers: R·G·U accumulators, G B vectors, one A vector, a product). */
const DOT_TILES: Record<number, { R: number; U: number }> = { 1: { R: 4, U: 2 }, 2: { R: 2, U: 2 }, 3: { R: 2, U: 1 }, 4: { R: 2, U: 1 } };
/** axpy blocks: columns G, vectors of rows V (G·V accumulators, V A vectors, a splat, a product). */
const AXPY_V: Record<number, number> = { 1: 4, 2: 3, 3: 2, 4: 2 };
/**
 * axpy with at least this many rows streams A's rows instead: a block of 4·V rows walking k reads
 * 64 bytes per row of A, one page apart, and past a few thousand rows the TLB misses dominate
 * (a 1×4096 · 4096×4096 vec-mat ran at 2.5 GB/s); walking k in the outer loop reads A in order.
 */
const STREAM_MIN_ROWS = 1024;

function buildModule(memory: { maxPages: number; shared: boolean }): Uint8Array<ArrayBuffer> {
  const mb = new ModuleBuilder({ minPages: 0, maxPages: memory.maxPages, shared: memory.shared });
  const I = T.i32;

  /** Sums the lanes of a v128 on the stack into an f32. */
  const hsum = (fb: FunctionBuilder, tmp: Local) => {
    fb.set(tmp);
    fb.get(tmp).simd(S.f32x4_extract_lane, 0).get(tmp).simd(S.f32x4_extract_lane, 1).op(0x92);
    fb.get(tmp).simd(S.f32x4_extract_lane, 2).get(tmp).simd(S.f32x4_extract_lane, 3).op(0x92).op(0x92);
  };

  // dot_R_G_U(A, asm, B, bsn, C, cm, cn, i0, i1, k): rows i0..i1 (a multiple of R apart), columns 0..G
  // of B (each contiguous along k, column g at B + g·bsn); strides in bytes
  const dot = (R: number, G: number, U: number) => {
    const fb = new FunctionBuilder([I, I, I, I, I, I, I, I, I, I], []);
    const a = new Asm(fb);
    const [A, asm, B, bsn, C, cm, cn, i0, i1, k] = fb.params;
    const i = a.i32(), q = a.i32(), kv = a.i32(), kvU = a.i32(), p = a.i32(), c = a.i32();
    const pa = Array.from({ length: R }, () => a.i32());
    const pb = Array.from({ length: G }, () => a.i32());
    const acc = Array.from({ length: U }, () => Array.from({ length: R }, () => Array.from({ length: G }, () => fb.local(T.v128))));
    const bv = Array.from({ length: G }, () => fb.local(T.v128));
    const av = fb.local(T.v128);
    const tmp = fb.local(T.v128);
    const s = fb.local(T.f32);
    const zero = fb.constV128("f32", 0);
    a.set(kv, a.mul(a.and(k, ~3), 4)); // bytes of the vector part
    a.set(kvU, a.mul(a.and(k, ~(4 * U - 1)), 4)); // bytes of the unrolled part
    for (let g = 0; g < G; g++) a.set(pb[g], a.add(B, a.mul(g, bsn)));
    a.for(i, i0, i1, R, () => {
      for (let r = 0; r < R; r++) a.set(pa[r], a.add(A, a.mul(a.add(i, r), asm)));
      for (const au of acc) for (const row of au) for (const l of row) fb.get(zero).set(l);
      const step = (u: number, off: number) => {
        for (let g = 0; g < G; g++) {
          a.emit(a.add(pb[g], q));
          fb.simdMem(S.v128_load, 2, off).set(bv[g]);
        }
        for (let r = 0; r < R; r++) {
          a.emit(a.add(pa[r], q));
          fb.simdMem(S.v128_load, 2, off).set(av);
          for (let g = 0; g < G; g++) fb.get(acc[u][r][g]).get(av).get(bv[g]).simd(S.f32x4_mul).simd(S.f32x4_add).set(acc[u][r][g]);
        }
      };
      a.set(q, 0);
      a.whileLoop(a.ltU(q, kvU), () => {
        for (let u = 0; u < U; u++) step(u, 16 * u);
        a.set(q, a.add(q, 16 * U));
      });
      a.whileLoop(a.ltU(q, kv), () => {
        step(0, 0);
        a.set(q, a.add(q, 16));
      });
      for (let r = 0; r < R; r++) {
        for (let g = 0; g < G; g++) {
          fb.get(acc[0][r][g]);
          for (let u = 1; u < U; u++) fb.get(acc[u][r][g]).simd(S.f32x4_add);
          hsum(fb, tmp);
          fb.set(s);
          // the last k mod 4 steps
          a.for(p, kv, a.mul(k, 4), 4, () => {
            fb.get(s);
            a.emit(a.add(pa[r], p));
            fb.mem(Op.f32_load, 2);
            a.emit(a.add(pb[g], p));
            fb.mem(Op.f32_load, 2).op(0x94).op(0x92); // f32.mul, f32.add
            fb.set(s);
          });
          a.set(c, a.add(a.add(C, a.mul(a.add(i, r), cm)), a.mul(g, cn)));
          fb.get(c).get(s).mem(Op.f32_store, 2);
        }
      }
    });
    return mb.addFunc(fb);
  };

  // axpy_G_V(A, ask, B, bsk, bsn, C, cm, cn, i0, i1, k): rows i0..i1 (a multiple of 4V apart; A's rows
  // contiguous), columns 0..G of B (element (p, g) at B + p·bsk + g·bsn); strides in bytes
  const axpy = (G: number, V: number) => {
    const fb = new FunctionBuilder([I, I, I, I, I, I, I, I, I, I, I], []);
    const a = new Asm(fb);
    const [A, ask, B, bsk, bsn, C, cm, cn, i0, i1, k] = fb.params;
    const i = a.i32(), pa = a.i32(), end = a.i32(), c = a.i32();
    const pb = Array.from({ length: G }, () => a.i32());
    const acc = Array.from({ length: G }, () => Array.from({ length: V }, () => fb.local(T.v128)));
    const av = Array.from({ length: V }, () => fb.local(T.v128));
    const bs = fb.local(T.v128);
    const zero = fb.constV128("f32", 0);
    a.for(i, i0, i1, 4 * V, () => {
      for (const row of acc) for (const l of row) fb.get(zero).set(l);
      a.set(pa, a.add(A, a.mul(i, 4)));
      a.set(end, a.add(pa, a.mul(k, ask)));
      for (let g = 0; g < G; g++) a.set(pb[g], a.add(B, a.mul(g, bsn)));
      a.whileLoop(a.ltU(pa, end), () => {
        for (let v = 0; v < V; v++) fb.get(pa).simdMem(S.v128_load, 2, 16 * v).set(av[v]);
        for (let g = 0; g < G; g++) {
          fb.get(pb[g]).simdMem(S.v128_load32_splat, 2, 0).set(bs);
          for (let v = 0; v < V; v++) fb.get(acc[g][v]).get(av[v]).get(bs).simd(S.f32x4_mul).simd(S.f32x4_add).set(acc[g][v]);
          a.set(pb[g], a.add(pb[g], bsk));
        }
        a.set(pa, a.add(pa, ask));
      });
      for (let g = 0; g < G; g++) {
        for (let v = 0; v < V; v++) {
          a.if(
            a.eq(cm, 4),
            () => {
              // C's rows contiguous (the transposed orientation writes C's columns): one vector store
              a.emit(a.add(a.add(C, a.mul(a.add(i, 4 * v), 4)), a.mul(g, cn)));
              fb.get(acc[g][v]).simdMem(S.v128_store, 2, 0);
            },
            () => {
              a.set(c, a.add(a.add(C, a.mul(a.add(i, 4 * v), cm)), a.mul(g, cn)));
              for (let lane = 0; lane < 4; lane++) {
                fb.get(c).get(acc[g][v]).simd(S.f32x4_extract_lane, lane).mem(Op.f32_store, 2);
                a.set(c, a.add(c, cm));
              }
            },
          );
        }
      }
    });
    return mb.addFunc(fb);
  };

  // scalar(A, asm, ask, B, bsk, bsn, C, cm, cn, i0, i1, j0, j1, k): the general strided loop, for edges
  const scalar = new FunctionBuilder([I, I, I, I, I, I, I, I, I, I, I, I, I, I], []);
  {
    const fb = scalar;
    const a = new Asm(fb);
    const [A, asm, ask, B, bsk, bsn, C, cm, cn, i0, i1, j0, j1, k] = fb.params;
    const i = a.i32(), j = a.i32(), p = a.i32(), pa = a.i32(), pb = a.i32();
    const s = fb.local(T.f32);
    a.for(i, i0, i1, 1, () =>
      a.for(j, j0, j1, 1, () => {
        fb.f32(0).set(s);
        a.set(pa, a.add(A, a.mul(i, asm)));
        a.set(pb, a.add(B, a.mul(j, bsn)));
        a.for(p, 0, k, 1, () => {
          fb.get(s).get(pa).mem(Op.f32_load, 2).get(pb).mem(Op.f32_load, 2).op(0x94).op(0x92).set(s);
          a.set(pa, a.add(pa, ask));
          a.set(pb, a.add(pb, bsk));
        });
        a.emit(a.add(a.add(C, a.mul(i, cm)), a.mul(j, cn)));
        fb.get(s).mem(Op.f32_store, 2);
      }),
    );
  }
  mb.exportFunc("scalar", mb.addFunc(scalar));

  // outer_K(A, asm, ask, B, bsk, C, cm, n, i0, i1): C[i, :] = Σ_p A[i, p]·B[p, :] for rows i0..i1, B's
  // rows and C's rows contiguous; strides in bytes
  const outer = (K: number) => {
    const fb = new FunctionBuilder([I, I, I, I, I, I, I, I, I, I], []);
    const a = new Asm(fb);
    const [A, asm, ask, B, bsk, C, cm, n, i0, i1] = fb.params;
    const i = a.i32(), q = a.i32(), nv = a.i32(), nb = a.i32(), pa = a.i32(), c = a.i32();
    const av = Array.from({ length: K }, () => fb.local(T.v128));
    const acc = fb.local(T.v128);
    const s = fb.local(T.f32);
    a.set(nv, a.mul(a.and(n, ~3), 4));
    a.set(nb, a.mul(n, 4));
    a.for(i, i0, i1, 1, () => {
      a.set(pa, a.add(A, a.mul(i, asm)));
      for (let p = 0; p < K; p++) {
        a.emit(a.add(pa, a.mul(p, ask)));
        fb.simdMem(S.v128_load32_splat, 2, 0).set(av[p]);
      }
      a.set(c, a.add(C, a.mul(i, cm)));
      a.set(q, 0);
      a.whileLoop(a.ltU(q, nv), () => {
        for (let p = 0; p < K; p++) {
          a.emit(a.add(a.add(B, a.mul(p, bsk)), q));
          fb.simdMem(S.v128_load, 2, 0).get(av[p]).simd(S.f32x4_mul);
          if (p > 0) fb.simd(S.f32x4_add);
        }
        fb.set(acc);
        a.emit(a.add(c, q));
        fb.get(acc).simdMem(S.v128_store, 2, 0);
        a.set(q, a.add(q, 16));
      });
      a.whileLoop(a.ltU(q, nb), () => {
        for (let p = 0; p < K; p++) {
          a.emit(a.add(a.add(B, a.mul(p, bsk)), q));
          fb.mem(Op.f32_load, 2).get(av[p]).simd(S.f32x4_extract_lane, 0).op(0x94); // f32.mul
          if (p > 0) fb.op(0x92); // f32.add
        }
        fb.set(s);
        a.emit(a.add(c, q));
        fb.get(s).mem(Op.f32_store, 2);
        a.set(q, a.add(q, 4));
      });
    });
    return mb.addFunc(fb);
  };
  for (let K = 1; K <= OUTER_MAX_K; K++) mb.exportFunc(`outer${K}`, outer(K));

  // stream_G(A, ask, B, bsk, bsn, Ct, M, i0, i1, k): Ct[g][i] += Σ_p A[p, i]·B[p, g] for i in i0..i1, k in
  // the outer loop, so A's rows (contiguous, ask apart) are read in order; Ct is G rows of M floats
  // (zeroed by the caller), in the caches while A streams past; offsets in elements, strides in bytes
  const stream = (G: number) => {
    const fb = new FunctionBuilder([I, I, I, I, I, I, I, I, I, I], []);
    const a = new Asm(fb);
    const [A, ask, B, bsk, bsn, Ct, M, i0, i1, k] = fb.params;
    const p = a.i32(), pa = a.i32(), pb = a.i32(), q = a.i32(), qv = a.i32(), qe = a.i32();
    const ct = Array.from({ length: G }, () => a.i32());
    const bs = Array.from({ length: G }, () => fb.local(T.v128));
    const av = fb.local(T.v128);
    for (let g = 0; g < G; g++) a.set(ct[g], a.add(Ct, a.mul(a.mul(g, M), 4)));
    a.set(qe, a.mul(i1, 4));
    a.set(qv, a.add(a.mul(i0, 4), a.mul(a.and(a.sub(i1, i0), ~3), 4))); // end of the vector part
    a.set(pa, A);
    a.set(pb, B);
    a.for(p, 0, k, 1, () => {
      for (let g = 0; g < G; g++) {
        a.emit(a.add(pb, a.mul(g, bsn)));
        fb.simdMem(S.v128_load32_splat, 2, 0).set(bs[g]);
      }
      a.set(q, a.mul(i0, 4));
      a.whileLoop(a.ltU(q, qv), () => {
        a.emit(a.add(pa, q));
        fb.simdMem(S.v128_load, 2, 0).set(av);
        for (let g = 0; g < G; g++) {
          a.emit(a.add(ct[g], q));
          a.emit(a.add(ct[g], q));
          fb.simdMem(S.v128_load, 2, 0).get(av).get(bs[g]).simd(S.f32x4_mul).simd(S.f32x4_add).simdMem(S.v128_store, 2, 0);
        }
        a.set(q, a.add(q, 16));
      });
      a.whileLoop(a.ltU(q, qe), () => {
        for (let g = 0; g < G; g++) {
          a.emit(a.add(ct[g], q));
          a.emit(a.add(ct[g], q));
          fb.mem(Op.f32_load, 2);
          a.emit(a.add(pa, q));
          fb.mem(Op.f32_load, 2).get(bs[g]).simd(S.f32x4_extract_lane, 0).op(0x94).op(0x92).mem(Op.f32_store, 2);
        }
        a.set(q, a.add(q, 4));
      });
      a.set(pa, a.add(pa, ask));
      a.set(pb, a.add(pb, bsk));
    });
    return mb.addFunc(fb);
  };
  for (let G = 1; G <= 4; G++) mb.exportFunc(`stream${G}`, stream(G));

  // mv(A, asm, B, C, i0, i1, k): the dot layout's one-column tile of 4 rows (dot1's R), for k a
  // multiple of 4 and C contiguous; strides and pointers in bytes. dot1 computes an address per
  // load (`pa + q`: V8 does not fold the i32 add into the access) and sums each row's lanes with
  // four extracts, a scalar tail loop and a store per row. Here each row has its pointer, bumped
  // once per step, and the four rows' lanes are summed by a 4×4 transpose into one vector, stored
  // once: at k = 64, 28 → 20 µs for [4096, 64]·[64, 1] (one accumulator per row measured faster
  // than two; unrolling k whole, with immediate offsets, slower still: 60 µs).
  {
    const fb = new FunctionBuilder([I, I, I, I, I, I, I], []);
    const a = new Asm(fb);
    const [A, asm, B, C, i0, i1, k] = fb.params;
    const c = a.i32(), end = a.i32(), pb = a.i32(), bend = a.i32(), row = a.i32();
    const R = DOT_TILES[1].R;
    const pa = Array.from({ length: R }, () => a.i32());
    const acc = Array.from({ length: R }, () => fb.local(T.v128));
    const bv = fb.local(T.v128), lo = fb.local(T.v128), hi = fb.local(T.v128);
    const zero = fb.constV128("f32", 0);
    /** i8x16.shuffle selecting f32 lanes (0–3: the first operand's, 4–7: the second's). */
    const lanes = (...l: number[]) => fb.simd(S.i8x16_shuffle, ...l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]));
    a.set(c, a.add(C, a.mul(i0, 4)));
    a.set(end, a.add(C, a.mul(i1, 4)));
    a.set(bend, a.add(B, a.mul(k, 4)));
    a.set(row, a.add(A, a.mul(i0, asm)));
    a.whileLoop(a.ltU(c, end), () => {
      a.set(pa[0], row);
      for (let r = 1; r < R; r++) a.set(pa[r], a.add(pa[r - 1], asm));
      for (const l of acc) fb.get(zero).set(l);
      a.set(pb, B);
      a.whileLoop(a.ltU(pb, bend), () => {
        fb.get(pb).simdMem(S.v128_load, 2, 0).set(bv);
        for (let r = 0; r < R; r++) fb.get(acc[r]).get(pa[r]).simdMem(S.v128_load, 2, 0).get(bv).simd(S.f32x4_mul).simd(S.f32x4_add).set(acc[r]);
        for (let r = 0; r < R; r++) a.set(pa[r], a.add(pa[r], 16));
        a.set(pb, a.add(pb, 16));
      });
      // [x0+x2, y0+y2, x1+x3, y1+y3] for rows (0, 1) and (2, 3); then row r's (l0+l2)+(l1+l3) in lane r
      for (const [x, y, dst] of [[acc[0], acc[1], lo], [acc[2], acc[3], hi]]) {
        fb.get(x).get(y);
        lanes(0, 4, 1, 5);
        fb.get(x).get(y);
        lanes(2, 6, 3, 7);
        fb.simd(S.f32x4_add).set(dst);
      }
      fb.get(c);
      fb.get(lo).get(hi);
      lanes(0, 1, 4, 5);
      fb.get(lo).get(hi);
      lanes(2, 3, 6, 7);
      fb.simd(S.f32x4_add).simdMem(S.v128_store, 2, 0);
      a.set(row, a.add(row, a.mul(asm, R)));
      a.set(c, a.add(c, 4 * R));
    });
    mb.exportFunc("mv", mb.addFunc(fb));
  }

  for (let G = 1; G <= 4; G++) {
    const { R, U } = DOT_TILES[G];
    mb.exportFunc(`dot${G}`, dot(R, G, U));
    if (R > 1) mb.exportFunc(`dot${G}r1`, dot(1, G, 2));
    mb.exportFunc(`axpy${G}`, axpy(G, AXPY_V[G]));
    if (AXPY_V[G] > 1) mb.exportFunc(`axpy${G}v1`, axpy(G, 1));
  }
  return mb.encode();
}

type Fn = (...args: number[]) => void;

let kernels: Record<string, Fn> | null | undefined;
/** The module's id in the thread pool. */
let poolId = -1;

/**
 * Products at least this big (batch·m·n·k), with at least 4 columns, split their rows across
 * threads: below, or with fewer columns (bound by memory, not arithmetic), the handoff and a
 * worker descheduled by other processes cost more than a second core gains.
 */
export const SKINNY_THREAD_WORK = 1 << 21;

/**
 * Mat-vecs on the `mv` kernel with at least this many elements of A split their rows between
 * two threads. Measured on the shared 2-core machine (load average ~20, alternating, best of
 * 80 rounds): [4096, 64] 25 µs on one thread vs 58 µs split (a descheduled worker costs more than
 * the kernel), [32768, 64] 2.1 ms vs 0.77 ms; so the threshold of the other skinny products.
 */
let matvecThreadWork = SKINNY_THREAD_WORK;
/** Sets the mat-vec split threshold (elements of A; Infinity: never); returns the previous one. */
export function setMatvecThreadWork(elements: number): number {
  const prev = matvecThreadWork;
  matvecThreadWork = elements;
  return prev;
}

function compile(): Record<string, Fn> | null {
  if (kernels !== undefined) return kernels;
  kernels = null;
  const mem = wasmMemory();
  if (!mem || !simdSupported()) return null;
  try {
    const module = new WebAssembly.Module(buildModule(mem));
    kernels = new WebAssembly.Instance(module, { env: { memory: mem.memory } }).exports as Record<string, Fn>;
    poolId = registerModule(module);
  } catch {
    kernels = null;
  }
  return kernels;
}

/** Row alignment of every dot tile (the R of DOT_TILES divides it): a row range starting at a multiple of it meets the tiles where the whole call does. */
export const DOT_ROW_ALIGN = 4;

/**
 * Rows [r0, r1) of a dot layout's column group of G columns, of a product of
 * M rows: rows below the last whole tile of R rows by the tiled kernel, the
 * rest one at a time, as the whole product does. Which kernel computes a row
 * (and so the order of its sums) depends on the row and M only, never on the
 * range: with r0 (and r1, when below M) a multiple of DOT_ROW_ALIGN, the rows
 * of a range are bit for bit those of the whole call. `tiled` runs the tiled
 * kernel over an aligned range (the whole call may split it between threads).
 */
function dotRows(
  K: Record<string, Fn>,
  G: number,
  M: number,
  r0: number,
  r1: number,
  args: (r0: number, r1: number) => number[],
  tiled: Tiled,
  mvArgs: ((r0: number, r1: number) => number[]) | null,
): void {
  const R = DOT_TILES[G].R;
  const full = M - (M % R);
  if (Math.min(r1, full) > r0) {
    if (mvArgs && G === 1) {
      tiled("mv", mvArgs, r0, Math.min(r1, full), R);
      skinnyCounts.matvec++;
    }
    else tiled(`dot${G}`, args, r0, Math.min(r1, full), R);
  }
  if (r1 > Math.max(r0, full)) K[`dot${G}r1`](...args(Math.max(r0, full), r1));
}

/** Runs export `name` over rows [r0, r1) (a multiple of `align` apart), or splits them between threads. */
type Tiled = (name: string, args: (r0: number, r1: number) => number[], r0: number, r1: number, align: number) => void;

/**
 * Whether a dot layout's one-column groups take the mat-vec kernel (`mv`): C's entries
 * contiguous (cm = 1: a single column, or the transposed orientation) and k a multiple of 4;
 * B's column is contiguous along k in every dot call (given or packed). Its 4-row tile is
 * dot1's (DOT_TILES[1].R), and the rows left over go to dot1r1 as before, so every row is
 * computed by the same kernel whether the product runs whole, split between threads or a
 * range at a time.
 */
function matvecTakes(o: Oriented): boolean {
  return matvecEnabled && o.layout === "dot" && o.cm === 1 && o.k % 4 === 0;
}

let matvecEnabled = true;
/** Turns the per-k mat-vec kernels on or off (tests compare them with dot1); returns the previous setting. */
export function setMatvecEnabled(on: boolean): boolean {
  const prev = matvecEnabled;
  matvecEnabled = on;
  return prev;
}

/** A skinny product's rows, to be computed a range at a time (`skinnyRowRange`). */
export interface SkinnyRowRange {
  /** C's rows (A's rows, m). */
  rows: number;
  /** Elements of C per row (n). */
  perRow: number;
  /** Elements of A read per row (k). */
  inputPerRow: number;
  /** Ranges must start at a multiple of this (and end at one, or at `rows`). */
  align: number;
  /** Computes C's rows [r0, r1). */
  run(r0: number, r1: number): void;
  /** Frees what the ranges share (a copy of B); call once, after the last range. */
  release(): void;
}

/**
 * A float32 mat-vec (the dot layout, C's rows those of A, one batch element,
 * B contiguous along k) prepared to run a range of C's rows at a time: the
 * one-pass broadcast epilogue (row-epilogue.ts) computes a block of rows,
 * then its epilogue over them while the rows of A are in cache. Every row is
 * computed by the kernel the whole product gives it (`dotRows`), so a
 * block's rows equal the whole call's bit for bit. Null where the product
 * does not take this path (another layout or orientation, a B that would be
 * packed, A or C outside the shared memory, no WebAssembly): the caller runs
 * the whole product.
 */
export function skinnyRowRange(lhs: TypedArray, rhs: TypedArray, out: TypedArray, d: DotArgs, dtype: DType): SkinnyRowRange | null {
  const o = skinnyEnabled ? skinnyPlan(d) : null;
  // C's rows contiguous and those of A; B's columns contiguous along k as given (the whole call would pack them)
  if (!o || o.layout !== "dot" || o.a !== 0 || o.batch !== 1 || o.bk !== 1 || o.cn !== 1 || o.cm !== o.N) return null;
  if (dtype !== "float32" || !(lhs instanceof Float32Array && rhs instanceof Float32Array && out instanceof Float32Array)) return null;
  if (out.length !== o.M * o.N || !inMemory(lhs) || !inMemory(out) || !wasmMatmulEnabled()) return null;
  const K = compile();
  if (!K) return null;
  // a small B (a vector under 1 KiB lives outside the shared memory) copied in once for all the ranges, as the whole call does
  const copyB = inMemory(rhs) ? -1 : allocScratch(rhs.byteLength);
  if (!inMemory(rhs) && copyB < 0) return null;
  if (copyB >= 0) {
    memoryView(Float32Array, copyB, rhs.length).set(rhs);
    noteStaged(rhs.byteLength);
  }
  const A = lhs.byteOffset + 4 * o.ao;
  const B = (copyB >= 0 ? copyB : rhs.byteOffset) + 4 * o.bo;
  const C = out.byteOffset;
  const { M, N, k } = o;
  const mv = matvecTakes(o);
  const direct: Tiled = (name, args, r0, r1) => K[name](...args(r0, r1));
  return {
    rows: M,
    perRow: N,
    inputPerRow: k,
    align: DOT_ROW_ALIGN,
    run(r0: number, r1: number) {
      if (r0 % DOT_ROW_ALIGN !== 0 || (r1 < M && r1 % DOT_ROW_ALIGN !== 0)) throw new Error(`internal error: skinny row range [${r0}, ${r1}) not aligned to ${DOT_ROW_ALIGN} rows (please report this)`);
      for (let j0 = 0; j0 < N; j0 += 4) {
        const G = Math.min(4, N - j0);
        const Bj = B + 4 * j0 * o.bn;
        const Cj = C + 4 * j0;
        const mvArgs = mv ? (a0: number, a1: number) => [A, 4 * o.am, Bj, Cj, a0, a1, k] : null;
        dotRows(K, G, M, r0, r1, (a0, a1) => [A, 4 * o.am, Bj, 4 * o.bn, Cj, 4 * o.cm, 4, a0, a1, k], direct, mvArgs);
      }
      skinnyCounts.rowRanges++;
    },
    release() {
      if (copyB >= 0) freeScratch(copyB, rhs.byteLength);
    },
  };
}

/**
 * out[b, i, j] = Σ_p lhs[b, i, p]·rhs[b, p, j] (float32, out contiguous) by the
 * skinny kernels; false, having done nothing, when WebAssembly is missing.
 */
function skinnyWasm(lhs: Float32Array, rhs: Float32Array, out: Float32Array, o: Oriented): boolean {
  if (!wasmMatmulEnabled()) return false;
  const K = compile();
  if (!K) return false;
  const scratch: { ptr: number; bytes: number }[] = [];
  const take = (bytes: number): number => {
    const ptr = allocScratch(bytes);
    if (ptr >= 0) scratch.push({ ptr, bytes });
    return ptr;
  };
  const place = (x: Float32Array, copyIn: boolean): number => {
    if (inMemory(x)) return x.byteOffset;
    const ptr = take(x.byteLength);
    if (ptr >= 0 && copyIn) {
      memoryView(Float32Array, ptr, x.length).set(x);
      noteStaged(x.byteLength);
    }
    return ptr;
  };
  try {
    const [Aarr, Barr] = o.a === 0 ? [lhs, rhs] : [rhs, lhs];
    const aPtr = place(Aarr, true);
    const bPtr = place(Barr, true);
    const cPtr = place(out, false);
    if (aPtr < 0 || bPtr < 0 || cPtr < 0) return false;
    const { M, N, k, layout } = o;
    // dot reads B's columns contiguous along k: as given, or packed once per distinct B
    // (outer reads B's rows contiguous along n: as given, or packed the same way)
    const packB = layout === "dot" ? o.bk !== 1 : layout === "outer" && o.bn !== 1;
    const packed = packB ? take(N * k * 4) : -1;
    if (packB && packed < 0) return false;
    let packedFor = -1; // the batch element whose B is packed
    const threaded = (layout === "outer" ? o.batch * M * N >= SKINNY_THREAD_WORK : N >= 4 && o.batch * M * N * k >= SKINNY_THREAD_WORK) && threadsReady();
    const mv = matvecTakes(o);
    const matvecThreaded = mv && o.batch * M * k >= matvecThreadWork && threadsReady();
    for (let b = 0; b < o.batch; b++) {
      const A = aPtr + 4 * (o.ao + b * o.ab);
      let B = bPtr + 4 * (o.bo + b * o.bb);
      const C = cPtr + 4 * b * o.cb;
      let bk = o.bk, bn = o.bn;
      if (packB) {
        const src = o.bo + b * o.bb;
        if (packedFor < 0 || o.bb !== 0) {
          const dst = memoryView(Float32Array, packed, N * k);
          if (layout === "outer") for (let p = 0; p < k; p++) for (let j = 0; j < N; j++) dst[p * N + j] = Barr[src + p * o.bk + j * o.bn];
          else for (let j = 0; j < N; j++) for (let p = 0; p < k; p++) dst[j * k + p] = Barr[src + p * o.bk + j * o.bn];
          packedFor = b;
        }
        B = packed;
        [bk, bn] = layout === "outer" ? [N, 1] : [1, k];
      }
      /** Rows [r0, r1) of a kernel whose row block is `align` rows: halves on two threads when the product is big. */
      const rows: Tiled = (name, args, r0, r1, align) => {
        const half = r0 + Math.floor((r1 - r0) / (2 * align)) * align;
        const local = () => K[name](...args(r0, half));
        const split = name === "mv" ? matvecThreaded : threaded;
        if (split && half > r0 && runSplit(poolId, name, args(half, r1), local)) return;
        K[name](...args(r0, r1));
      };
      if (layout === "outer") {
        rows(`outer${k}`, (r0, r1) => [A, 4 * o.am, 4 * o.ak, B, 4 * bk, C, 4 * o.cm, N, r0, r1], 0, M, 1);
        continue;
      }
      for (let j0 = 0; j0 < N; j0 += 4) {
        const G = Math.min(4, N - j0);
        const Bj = B + 4 * j0 * bn;
        const Cj = C + 4 * j0 * o.cn;
        if (layout === "dot") {
          const mvArgs = mv ? (r0: number, r1: number) => [A, 4 * o.am, Bj, Cj, r0, r1, k] : null;
          dotRows(K, G, M, 0, M, (r0, r1) => [A, 4 * o.am, Bj, 4 * bn, Cj, 4 * o.cm, 4 * o.cn, r0, r1, k], rows, mvArgs);
        } else if (M >= STREAM_MIN_ROWS) {
          // k in the outer loop, into G rows of M sums, then out through C's strides
          const ct = take(4 * G * M);
          if (ct < 0) return false;
          memoryView(Float32Array, ct, G * M).fill(0);
          rows(`stream${G}`, (r0, r1) => [A, 4 * o.ak, Bj, 4 * bk, 4 * bn, ct, M, r0, r1, k], 0, M, 4);
          const sums = memoryView(Float32Array, ct, G * M);
          const dst = memoryView(Float32Array, Cj, 1 + (M - 1) * o.cm + (G - 1) * o.cn);
          for (let g = 0; g < G; g++) for (let i = 0; i < M; i++) dst[i * o.cm + g * o.cn] = sums[g * M + i];
          freeScratch(ct, 4 * G * M);
          scratch.pop();
        } else {
          const V = AXPY_V[G];
          const full = M - (M % (4 * V));
          const quads = M - (M % 4);
          if (full > 0) rows(`axpy${G}`, (r0, r1) => [A, 4 * o.ak, Bj, 4 * bk, 4 * bn, Cj, 4 * o.cm, 4 * o.cn, r0, r1, k], 0, full, 4 * V);
          if (quads > full) K[`axpy${G}v1`](A, 4 * o.ak, Bj, 4 * bk, 4 * bn, Cj, 4 * o.cm, 4 * o.cn, full, quads, k);
          if (M > quads) K.scalar(A, 4 * o.am, 4 * o.ak, Bj, 4 * bk, 4 * bn, Cj, 4 * o.cm, 4 * o.cn, quads, M, 0, G, k);
        }
      }
    }
    if (!inMemory(out)) {
      out.set(memoryView(Float32Array, cPtr, out.length));
      noteStaged(out.byteLength);
    }
    return true;
  } finally {
    for (const s of scratch) freeScratch(s.ptr, s.bytes);
  }
}

/** The same orientation in JavaScript (float64, float16, or float32 without WebAssembly), accumulating in float64. */
function skinnyJs(lhs: TypedArray, rhs: TypedArray, out: TypedArray, o: Oriented): void {
  const [A, B] = o.a === 0 ? [lhs, rhs] : [rhs, lhs];
  const { M, N, k, am, ak, bk, bn, cm, cn } = o;
  const col = o.layout === "axpy" ? new Float64Array(M) : null;
  const row = o.layout === "outer" ? new Float64Array(N) : null;
  for (let b = 0; b < o.batch; b++) {
    const a0 = o.ao + b * o.ab;
    const b0 = o.bo + b * o.bb;
    const c0 = b * o.cb;
    if (row) {
      // C's row i as a sum of B's rows scaled by A[i, p]
      for (let i = 0; i < M; i++) {
        row.fill(0);
        for (let p = 0; p < k; p++) {
          const av = A[a0 + i * am + p * ak];
          const bp = b0 + p * bk;
          for (let j = 0; j < N; j++) row[j] += av * B[bp + j * bn];
        }
        for (let j = 0; j < N; j++) out[c0 + i * cm + j * cn] = row[j];
      }
      continue;
    }
    for (let j = 0; j < N; j++) {
      if (col) {
        // A's rows contiguous: walk k, adding a multiple of A's row p to the column
        col.fill(0);
        for (let p = 0; p < k; p++) {
          const bv = B[b0 + p * bk + j * bn];
          const ap = a0 + p * ak;
          for (let i = 0; i < M; i++) col[i] += A[ap + i] * bv;
        }
        for (let i = 0; i < M; i++) out[c0 + i * cm + j * cn] = col[i];
      } else {
        for (let i = 0; i < M; i++) {
          const ai = a0 + i * am;
          let bp = b0 + j * bn;
          let s0 = 0, s1 = 0;
          let p = 0;
          for (; p + 1 < k; p += 2, bp += 2 * bk) {
            s0 += A[ai + p] * B[bp];
            s1 += A[ai + p + 1] * B[bp + bk];
          }
          if (p < k) s0 += A[ai + p] * B[bp];
          out[c0 + i * cm + j * cn] = s0 + s1;
        }
      }
    }
  }
}

/**
 * A skinny product, contiguous [batch, m, n], of the float `dtype`; null when
 * the plan does not apply (the caller uses the blocked kernels).
 */
export function skinnyDot(lhs: TypedArray, rhs: TypedArray, d: DotArgs, dtype: DType): TypedArray | null {
  const o = skinnyEnabled ? skinnyPlan(d) : null;
  if (!o) return null;
  const out = alloc(dtype, d.batch * d.m * d.n, false);
  if (dtype === "float32" && out instanceof Float32Array && lhs instanceof Float32Array && rhs instanceof Float32Array && skinnyWasm(lhs, rhs, out, o)) {
    skinnyCounts.wasm++;
    return out;
  }
  skinnyJs(lhs, rhs, out, o);
  skinnyCounts.js++;
  return out;
}
