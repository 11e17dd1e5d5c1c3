/**
 * The machine's physical limits, measured the way jaxon's CPU kernels run:
 * WebAssembly SIMD on one thread.
 *
 * - memory bandwidth: a stream copy (v128 loads and stores) between two
 *   64 MiB buffers, far past any cache; GB/s counts the bytes read and the
 *   bytes written (STREAM's convention), best of several passes. A read-only
 *   pass (a sum) is measured too: mat-vec only reads. And the same copy
 *   between two 1 MiB buffers, repeated: the bandwidth of a working set that
 *   stays in the caches between calls, as the 1 MB cases' inputs do.
 * - peak SIMD GFLOP/s: a register-only kernel, 12 independent f32x4
 *   accumulators updated with the instructions jaxon's matmul uses (mul then
 *   add, or relaxed_madd where it validates), no memory access in the loop.
 *   The peak on T threads is taken as T times the one-thread figure (the
 *   cores are separate; measured matmul scaling is what the rows show).
 *
 * `npx tsx bench/limits.ts` prints them; `npm run bench` prints them under
 * its table with each row's fraction of its limit.
 */
import { FunctionBuilder, ModuleBuilder, Op, S, simdSupported, T } from "../src/backend/cpu/wasm/emitter.js";
import { relaxedSimdSupported } from "../src/backend/cpu/matmul-wasm.js";

export interface Limits {
  /** Stream copy, bytes read + written per second, in GB/s (1e9). */
  copyGBs: number;
  /** Read-only (a sum), in GB/s. */
  readGBs: number;
  /** Stream copy of 1 MiB into another 1 MiB (a working set in the caches, as the 1 MB cases have), in GB/s. */
  cacheCopyGBs: number;
  /** Register-only SIMD, one thread, GFLOP/s. */
  simdGflops: number;
  fma: boolean;
}

const PAGE = 65536;
const BUF = 64 << 20;

function build(fma: boolean): Uint8Array<ArrayBuffer> {
  const pages = (2 * BUF) / PAGE + 1;
  const mb = new ModuleBuilder({ minPages: pages, maxPages: pages, shared: false });
  const I = T.i32;
  const loop = (fb: FunctionBuilder, body: () => void, cond: () => void) => {
    fb.op(Op.loop, 0x40);
    body();
    cond();
    fb.br(Op.br_if, 0);
    fb.op(Op.end);
  };

  // copy(src, dst, bytes): 64 bytes per iteration
  const copy = new FunctionBuilder([I, I, I], []);
  {
    const [src, dst, bytes] = copy.params;
    const end = copy.local(I);
    copy.get(src).get(bytes).op(Op.i32_add).set(end);
    loop(
      copy,
      () => {
        for (let v = 0; v < 4; v++) copy.get(dst).get(src).simdMem(S.v128_load, 4, 16 * v).simdMem(S.v128_store, 4, 16 * v);
        copy.get(src).i32(64).op(Op.i32_add).set(src);
        copy.get(dst).i32(64).op(Op.i32_add).set(dst);
      },
      () => copy.get(src).get(end).op(Op.i32_lt_u),
    );
  }
  mb.exportFunc("copy", mb.addFunc(copy));

  // sum(src, bytes) -> f32: 4 accumulators, 64 bytes per iteration
  const sum = new FunctionBuilder([I, I], [T.f32]);
  {
    const [src, bytes] = sum.params;
    const end = sum.local(I);
    const acc = [0, 1, 2, 3].map(() => sum.local(T.v128));
    sum.get(src).get(bytes).op(Op.i32_add).set(end);
    loop(
      sum,
      () => {
        for (let v = 0; v < 4; v++) sum.get(acc[v]).get(src).simdMem(S.v128_load, 4, 16 * v).simd(S.f32x4_add).set(acc[v]);
        sum.get(src).i32(64).op(Op.i32_add).set(src);
      },
      () => sum.get(src).get(end).op(Op.i32_lt_u),
    );
    sum.get(acc[0]).get(acc[1]).simd(S.f32x4_add).get(acc[2]).simd(S.f32x4_add).get(acc[3]).simd(S.f32x4_add);
    sum.simd(S.f32x4_extract_lane, 0);
  }
  mb.exportFunc("sum", mb.addFunc(sum));

  // flops(iterations) -> f32: 12 chains of acc = acc·x + y, in registers
  const ACC = 12;
  const flops = new FunctionBuilder([I], [T.f32]);
  {
    const [n] = flops.params;
    const acc = Array.from({ length: ACC }, () => flops.local(T.v128));
    const x = flops.constV128("f32", 0.999);
    const y = flops.constV128("f32", 0.001);
    for (let a = 0; a < ACC; a++) flops.get(y).set(acc[a]);
    loop(
      flops,
      () => {
        for (let a = 0; a < ACC; a++) {
          if (fma) flops.get(acc[a]).get(x).get(y).simd(0x105 as S).set(acc[a]);
          else flops.get(acc[a]).get(x).simd(S.f32x4_mul).get(y).simd(S.f32x4_add).set(acc[a]);
        }
        flops.get(n).i32(1).op(Op.i32_sub).set(n);
      },
      () => flops.get(n).i32(0).op(Op.i32_gt_s),
    );
    flops.get(acc[0]);
    for (let a = 1; a < ACC; a++) flops.get(acc[a]).simd(S.f32x4_add);
    flops.simd(S.f32x4_extract_lane, 0);
  }
  mb.exportFunc("flops", mb.addFunc(flops));
  return mb.encode();
}

/** Measures the limits (about 1.5 s); null where WebAssembly SIMD is missing. */
export function measureLimits(): Limits | null {
  if (!simdSupported()) return null;
  const fma = relaxedSimdSupported;
  const mem = new WebAssembly.Memory({ initial: (2 * BUF) / PAGE + 1, maximum: (2 * BUF) / PAGE + 1 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(build(fma)), { env: { memory: mem } });
  const e = inst.exports as { copy(s: number, d: number, b: number): void; sum(s: number, b: number): number; flops(n: number): number };
  new Float32Array(mem.buffer).fill(1); // touch every page
  const best = (f: () => void, reps: number) => {
    let t = Infinity;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      f();
      t = Math.min(t, performance.now() - t0);
    }
    return t;
  };
  const copyMs = best(() => e.copy(PAGE, PAGE + BUF, BUF), 8);
  const readMs = best(() => e.sum(PAGE, 2 * BUF), 6);
  const SMALL = 1 << 20;
  const cacheMs = best(() => {
    for (let r = 0; r < 64; r++) e.copy(PAGE, PAGE + SMALL, SMALL);
  }, 8);
  const iters = 2_000_000;
  e.flops(1000); // tier up
  const flopMs = best(() => e.flops(iters), 8);
  return {
    copyGBs: (2 * BUF) / (copyMs * 1e6),
    readGBs: (2 * BUF) / (readMs * 1e6),
    cacheCopyGBs: (64 * 2 * SMALL) / (cacheMs * 1e6),
    simdGflops: (iters * 12 * 4 * 2) / (flopMs * 1e6),
    fma,
  };
}

/**
 * The best of two measurements, each figure by itself: on a machine shared
 * with other processes a measurement can only come out low, never high.
 */
export function bestLimits(a: Limits | null, b: Limits | null): Limits | null {
  if (!a || !b) return a ?? b;
  return {
    copyGBs: Math.max(a.copyGBs, b.copyGBs),
    readGBs: Math.max(a.readGBs, b.readGBs),
    cacheCopyGBs: Math.max(a.cacheCopyGBs, b.cacheCopyGBs),
    simdGflops: Math.max(a.simdGflops, b.simdGflops),
    fma: a.fma,
  };
}

// (the file's name too: bundled into bench/gpu's kit, every module shares the bundle's import.meta.url)
if (import.meta.url === `file://${process.argv[1]}` && /limits\.[tj]s$/.test(process.argv[1])) {
  const l = measureLimits();
  if (!l) console.log("no WebAssembly SIMD");
  else {
    console.log(`memory bandwidth: stream copy ${l.copyGBs.toFixed(1)} GB/s (read + write), read-only ${l.readGBs.toFixed(1)} GB/s, one thread`);
    console.log(`in-cache copy (1 MiB → 1 MiB): ${l.cacheCopyGBs.toFixed(1)} GB/s`);
    console.log(`peak WebAssembly SIMD: ${l.simdGflops.toFixed(1)} GFLOP/s per thread (${l.fma ? "relaxed_madd" : "mul + add"})`);
  }
}
