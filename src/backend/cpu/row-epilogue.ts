/**
 * One pass over the rows for a broadcast epilogue (`accShape`: a row
 * reduction's elementwise consumer that reads the result repeated along the
 * row, as softmax's exp(x − max) or a layer norm's x − mean).
 *
 * Run as two launches, the reduction sweeps its whole input, then the
 * epilogue sweeps it again: when the input is larger than the caches the
 * second sweep reads it from memory a second time. Here both run block by
 * block: a few rows of the reduction, then the epilogue over the same rows
 * while those rows of the input are still in cache. A large job splits
 * across the worker pool (`inPool`): each thread claims blocks and runs
 * both kernels on each. Each row is computed by
 * the same code as in the two launches (a WebAssembly kernel's rows do not
 * depend on the range it is called with), so the results are bit for bit
 * those of the two launches.
 *
 * A mat-vec's epilogue (W6's x·(2(x·w − y))) runs the same way through the
 * skinny kernel's row range entry (matmul-skinny.ts `skinnyRowRange`): the
 * dot routine called on a block of rows would choose its kernel by the
 * block's size, and sum in another order; the entry computes each row with
 * the kernel the whole product gives it.
 *
 * Two launches remain where a block would not help or cannot be formed: a
 * small problem (it is in cache anyway), an operand outside the shared
 * memory (each block would copy it whole), a kernel the WebAssembly path
 * does not take, or rows of the epilogue that do not line up with the
 * result's elements.
 */
import type { TypedArray } from "../../dtype.js";
import type { Kernel } from "../kernel.js";
import { inMemory } from "./memory.js";
import { allocScratch, freeScratch, memoryView } from "./memory.js";
import type { WasmRowCall } from "./wasm/index.js";
import { runWasmKernel, splitThreads, wasmRowCall, wasmRows } from "./wasm/index.js";
import { runBlocksAll } from "./threads.js";
import type { DType } from "../../dtype.js";
import type { DotParams } from "../device.js";
import { skinnyRowRange } from "./matmul-skinny.js";

/**
 * Input elements per block: 1 MiB of float32, so that a block's rows stay in
 * the second-level cache between the reduction and the epilogue. Blocks of
 * 32 KiB (the first-level cache) cost more than they saved: measured with
 * `npx tsx bench/row-onepass.ts 40 8192` against `… 40 262144` on the
 * 2-core machine shared with other processes (load average 22; ratios of
 * two launches' time to one pass's, in one process), 32 KiB blocks ran
 * 0.69–0.91× (slower) on every shape of [4096, 1024], [1024, 1024],
 * [256, 4096], CPU time 0.74–0.89×, where 1 MiB blocks ran 0.77–1.46×, CPU
 * time 0.99–1.22×: each block pays two calls into WebAssembly and a short
 * reduction's loop setup.
 */
let blockElements = 1 << 18;
/** Input elements from which the one-pass form is used (below this the whole input stays in cache between two launches; the blocks, split or not, never run under it). */
let minElements = 1 << 16;

/** Sets the block size and the size from which blocks are used (tests force the path on small inputs); returns the previous pair. */
export function setRowBlocking(block: number, min: number): [number, number] {
  const prev: [number, number] = [blockElements, minElements];
  blockElements = Math.max(1, block);
  minElements = Math.max(0, min);
  return prev;
}

/**
 * Input elements per block of a mat-vec: 512 KiB of float32 rows of X, so
 * that a block and its output stay in the second-level cache (1 MiB a core on
 * the machine measured). The first-level blocks of a reduction cost more here
 * than they save: a mat-vec does little work per element (k multiply-adds a
 * row), and each block pays two calls into WebAssembly (W6 [4096, 64]: 32
 * blocks ran no faster than two launches, 2 blocks 1.1–1.2× faster).
 */
let matVecBlockElements = 1 << 17;

/** Sets the mat-vec's block size (tests force small blocks); returns the previous one. */
export function setMatVecBlocking(block: number): number {
  const prev = matVecBlockElements;
  matVecBlockElements = Math.max(1, block);
  return prev;
}

let onePass = 0;
/** How many broadcast epilogues ran in one pass over the rows (for tests). */
export function rowOnePassCount(): number {
  return onePass;
}

let onePassSplit = 0;
/** How many of those ran split across the worker pool (for tests). */
export function rowOnePassSplitCount(): number {
  return onePassSplit;
}

let enabled = true;
/** Turns the one-pass form on or off (tests and benchmarks compare it with two launches); returns the previous setting. */
export function setRowOnePass(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/**
 * Computes `rows` result rows in blocks: `produce(r0, r1)` writes result
 * elements [r0·perRow, r1·perRow) of `acc`, then the epilogue runs over its
 * own rows for those elements. False (nothing done) when the epilogue's rows
 * do not line up or it does not run as WebAssembly.
 */
function inBlocks(
  rows: number,
  inputPerRow: number,
  produce: (r0: number, r1: number) => boolean,
  epilogue: Kernel,
  out: TypedArray,
  ins: TypedArray[],
  accElements: number,
  block = blockElements,
  align = 1,
  producer: WasmRowCall | null = null,
): boolean {
  if (!enabled || rows < 2 || rows * inputPerRow < minElements) return false;
  if (!inMemory(out) || !ins.every(inMemory)) return false;
  const epiRows = wasmRows(epilogue);
  // each result element owns a whole number of the epilogue's rows, in order (its loop is [...accShape, ...trailing])
  if (epiRows <= 0 || epiRows % accElements !== 0) return false;
  const epiPerRow = (epiRows / accElements) * (accElements / rows);
  // a block's first row at a multiple of `align` (the producer's row tiles meet where the whole call's do)
  const step = Math.ceil(Math.max(1, Math.floor(block / Math.max(1, inputPerRow))) / align) * align;
  if (producer && inPool(rows, step, producer, epilogue, out, ins, epiPerRow)) {
    onePass++;
    onePassSplit++;
    return true;
  }
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = Math.min(rows, r0 + step);
    // the first block decides: a producer that cannot run in blocks leaves the whole job to two launches
    if (!produce(r0, r1)) {
      if (r0 === 0) return false;
      throw new Error("internal error: a row block of a one-pass epilogue failed after the first (please report this)");
    }
    if (!runWasmKernel(epilogue, out, ins, r0 * epiPerRow, r1 * epiPerRow)) {
      if (r0 === 0) return false;
      throw new Error("internal error: a row block of a one-pass epilogue failed after the first (please report this)");
    }
  }
  onePass++;
  return true;
}

/**
 * The blocks split across the worker pool, by the rule every kernel splits
 * by (`splitThreads`: the reduction's and the epilogue's work together, one
 * thread per `threadMinWork` units): each thread claims the next block of
 * rows from a shared counter and runs the reduction, then the epilogue, over
 * it, so that the block's rows stay in that thread's cache, and a thread
 * slowed down by other processes takes fewer blocks. Each call is the same
 * kernel over the same rows as on one thread, so the split changes no bit.
 * False, having run nothing, when the job is too small for the pool or the
 * pool cannot take it.
 */
function inPool(rows: number, step: number, producer: WasmRowCall, epilogue: Kernel, out: TypedArray, ins: TypedArray[], epiPerRow: number): boolean {
  const epi = wasmRowCall(epilogue, out, ins);
  if (!epi) return false;
  const threads = splitThreads(producer.work + epi.work, Math.ceil(rows / step));
  if (threads < 2) return false;
  const counter = allocScratch(4);
  if (counter < 0) return false;
  try {
    const word = memoryView(Int32Array, counter, 1);
    word[0] = 0;
    const calls = [
      { moduleId: producer.poolId(), exportName: "run", args: producer.args, mul: 1 },
      { moduleId: epi.poolId(), exportName: "run", args: epi.args, mul: epiPerRow },
    ];
    const local = () => {
      // this thread's share: the workers' loop (threads.ts `runJob`), through this thread's instances
      const words = memoryView(Int32Array, counter, 1);
      for (;;) {
        const r0 = Atomics.add(words, 0, 1) * step;
        if (r0 >= rows) break;
        const r1 = Math.min(rows, r0 + step);
        producer.run(r0, r1);
        epi.run(r0 * epiPerRow, r1 * epiPerRow);
      }
    };
    return runBlocksAll(calls, counter, step, rows, threads - 1, local);
  } finally {
    freeScratch(counter, 4);
  }
}

/**
 * Whether row reductions take the one-pass blocks: off by default, because
 * they do not win on every shape. Measured with `npx tsx bench/row-onepass.ts
 * 40` (1 MiB blocks, split across the pool where the work passes the split
 * threshold: of these, only softmax [4096, 1024], whose two launches split
 * their exp epilogue too), two runs on the 2-core machine shared with other
 * processes (load average 22), two launches' time over one pass's (above 1:
 * one pass faster), median of per-call pairs, CPU time in brackets: softmax
 * [4096, 1024] 1.08–1.09× (1.01–1.04×), layer norm [4096, 1024] 1.24–1.26×
 * (1.10–1.11×), softmax [1024, 1024] 0.87× (0.97–0.99×), layer norm
 * [1024, 1024] 1.20–1.29× (1.14–1.22×), softmax [256, 4096] 1.05–1.06×
 * (0.97–0.99×), layer norm [256, 4096] 1.06–1.12× (0.98–1.00×); [64, 128] is
 * under `minElements` (the same code either way): 0.60–1.07×, the noise.
 * The machine's last-level cache holds these inputs, so the second sweep of
 * two launches costs little here. The mat-vec blocks stay on (W6 1.07–1.08×).
 */
let reductionBlocks = false;

/** Turns the one-pass blocks of row reductions on or off (tests, benchmarks); returns the previous setting. */
export function setReductionOnePass(on: boolean): boolean {
  const prev = reductionBlocks;
  reductionBlocks = on;
  return prev;
}

/**
 * A reduction kernel (without its epilogue) and its broadcast epilogue in
 * one pass: `acc` receives the reduction, `out` the epilogue, whose inputs
 * are `ins` (the accumulator among them). False when two launches must run.
 */
export function reduceRowsOnePass(reduce: Kernel, own: TypedArray[], acc: TypedArray, epilogue: Kernel, out: TypedArray, ins: TypedArray[]): boolean {
  if (!reductionBlocks) return false;
  if (!inMemory(acc) || !own.every(inMemory)) return false;
  const rows = wasmRows(reduce);
  // one result element per row of the reduction (a column plan computes several per row)
  if (rows !== acc.length) return false;
  let size = 1;
  for (const d of reduce.loopShape) size *= d;
  return inBlocks(rows, size / rows, (r0, r1) => runWasmKernel(reduce, acc, own, r0, r1), epilogue, out, ins, acc.length, blockElements, 1, wasmRowCall(reduce, acc, own));
}

/**
 * A mat-vec (the dot routine's skinny kernel, float32) and its broadcast
 * epilogue in one pass: `acc` receives the product [m, n], `out` the
 * epilogue, whose inputs are `ins` (the accumulator among them). False,
 * having done nothing, when two launches must run (another kernel, an
 * operand outside the shared memory, a small product, the JavaScript path).
 */
export function matVecRowsOnePass(lhs: TypedArray, rhs: TypedArray, params: DotParams, dtype: DType, acc: TypedArray, epilogue: Kernel, out: TypedArray, ins: TypedArray[]): boolean {
  if (!enabled) return false;
  const { batch, m, n, k, lhsStrides, rhsStrides } = params;
  const d = { batch, m, n, k, lhsStrides, rhsStrides, lhsOffset: params.lhsOffset ?? 0, rhsOffset: params.rhsOffset ?? 0 };
  const range = skinnyRowRange(lhs, rhs, acc, d, dtype);
  if (!range) return false;
  const produce = (r0: number, r1: number) => {
    range.run(r0, r1);
    return true;
  };
  try {
    return inBlocks(range.rows, range.inputPerRow, produce, epilogue, out, ins, acc.length, matVecBlockElements, range.align);
  } finally {
    range.release();
  }
}
