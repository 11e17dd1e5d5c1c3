/**
 * A mat-vec's broadcast epilogue (W6: per-example gradients x·(2(x·w − y))
 * under vmap) runs in one pass over the rows on the CPU: a block of rows of
 * X·w by the skinny kernel's row range entry (matmul-skinny.ts
 * `skinnyRowRange`), then the epilogue over the same rows
 * (src/backend/cpu/row-epilogue.ts `matVecRowsOnePass`). Checked: the row
 * range entry gives the whole call's rows bit for bit for any aligned range;
 * the plan is one step; the one-pass path ran (its counter); its output is
 * bit for bit that of two launches; and float64 loops agree. With every
 * kernel forced to split across the worker pool, the mat-vec's blocks stay
 * on one thread (its split rule, SKINNY_THREAD_WORK with four columns or
 * more, never splits a mat-vec of one column, and W6's work is far under the
 * elementwise threshold) while the two launches' epilogue splits, and both
 * still agree bit for bit.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
// the CPU backend registers itself when it loads
import "../src/backend/cpu/index.js";
import { rowOnePassCount, rowOnePassSplitCount, setMatVecBlocking, setRowBlocking, setRowOnePass } from "../src/backend/cpu/row-epilogue.js";
import { setThreads, startThreads, threadCount, threadedJobCount } from "../src/backend/cpu/threads.js";
import { DOT_ROW_ALIGN, skinnyCounts, skinnyDot, skinnyRowRange } from "../src/backend/cpu/matmul-skinny.js";
import { alloc, inMemory, release, setPoolFloor } from "../src/backend/cpu/memory.js";
import { setWasmEnabled, setWasmThreadMinWork } from "../src/backend/cpu/wasm/index.js";
import * as np from "../src/numpy/index.js";
import { Array } from "../src/array.js";
import type { Value } from "../src/trace/core.js";
import { jit } from "../src/transforms/jit.js";
import { vmap } from "../src/transforms/vmap.js";
import { grad } from "../src/transforms/linearize.js";
import { rand } from "./helpers.js";

type Jitted = ((...args: Value[]) => unknown) & { lower(...args: Value[]): { kernels: number } };

const arr = (shape: number[], seed: number, dtype: "float32" | "float64" = "float32") => {
  const data = rand(shape.reduce((a, b) => a * b, 1), seed);
  return np.array(dtype === "float32" ? Float32Array.from(data) : Float64Array.from(data), { dtype }).reshape(shape) as Array;
};

/** The output with the one-pass form and with two launches, how many one-pass runs and row ranges the first call made, and the plan's steps. */
function bothWays(f: Jitted, args: Array[]) {
  const read = () => globalThis.Array.from((f(...args) as Array).dataSync());
  const [runs0, ranges0] = [rowOnePassCount(), skinnyCounts.rowRanges];
  const one = read();
  const runs = rowOnePassCount() - runs0;
  const ranges = skinnyCounts.rowRanges - ranges0;
  const prev = setRowOnePass(false);
  let two: number[];
  try {
    two = read();
  } finally {
    setRowOnePass(prev);
  }
  expect(rowOnePassCount() - runs0, "two launches ran as asked").toBe(runs);
  return { one, two, runs, ranges, steps: f.lower(...args).kernels };
}

function expectNear(actual: number[], expected: ArrayLike<number>, tol: number) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((x, j) => {
    if (!(Math.abs(x - expected[j]) <= tol * Math.max(1, Math.abs(expected[j])))) expect(x, `element ${j}`).toBe(expected[j]);
  });
}

/** W6 in float64 loops: out[b, f] = 2(x[b]·w − y[b])·x[b, f]. */
function perExampleRef(w: Array, x: Array, y: Array, B: number, F: number): Float64Array {
  const [wd, xd, yd] = [w.dataSync(), x.dataSync(), y.dataSync()];
  const out = new Float64Array(B * F);
  for (let b = 0; b < B; b++) {
    let dot = 0;
    for (let f = 0; f < F; f++) dot += xd[b * F + f] * wd[f];
    const r = 2 * (dot - yd[b]);
    for (let f = 0; f < F; f++) out[b * F + f] = r * xd[b * F + f];
  }
  return out;
}

/** Rows in a block of `block` input elements with rows of `k`: rounded up to the dot tiles' alignment. */
const blockRows = (block: number, k: number) => Math.ceil(Math.max(1, Math.floor(block / k)) / DOT_ROW_ALIGN) * DOT_ROW_ALIGN;

const perExample = () => jit(vmap(grad((w: Value, x: Value, y: Value) => (x as Array).dot(w).sub(y).square()), { inAxes: [null, 0, 0] })) as unknown as Jitted;

const defaultMatVecBlock = setMatVecBlocking(1);
setMatVecBlocking(defaultMatVecBlock);

// the defaults, restored after each test
const defaultRowBlocking = setRowBlocking(1, 0);
setRowBlocking(...defaultRowBlocking);

afterEach(() => {
  setRowBlocking(...defaultRowBlocking);
  setMatVecBlocking(defaultMatVecBlock);
  setRowOnePass(true);
  setWasmEnabled(true);
});

describe("the skinny mat-vec's row range entry", () => {
  let floor = 0;
  beforeAll(() => (floor = setPoolFloor(256 * 1024 * 1024)));
  afterAll(() => setPoolFloor(floor));

  // n from 1 to 9: column groups of 1–4 (tiles of 4, 2, 2, 2 rows); m odd, k not a multiple of 4 or 16
  for (const [m, n, k] of [[1001, 1, 67], [1001, 3, 67], [999, 4, 70], [1003, 6, 33], [517, 9, 19], [4096, 1, 64]]) {
    it(`[${m}, ${k}]·[${k}, ${n}]: every aligned range of rows equals the whole call's rows bit for bit`, () => {
      const lhs = alloc("float32", m * k, false) as Float32Array;
      const rhs = alloc("float32", k * n, false) as Float32Array;
      lhs.set(rand(m * k, m + k));
      rhs.set(rand(k * n, n + 7));
      const d = { batch: 1, m, n, k, lhsStrides: [0, k, 1], rhsStrides: [0, n, 1], lhsOffset: 0, rhsOffset: 0 };
      const wasm0 = skinnyCounts.wasm;
      const whole = skinnyDot(lhs, rhs, d, "float32")!;
      expect(skinnyCounts.wasm - wasm0, "the whole call ran the WebAssembly skinny kernel").toBe(1);
      // B as the dot layout reads it (columns contiguous along k): rhs given as [n, k] read transposed
      const rhsT = alloc("float32", k * n, false) as Float32Array;
      for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) rhsT[j * k + p] = rhs[p * n + j];
      const dT = { ...d, rhsStrides: [0, 1, k] };
      const wholeT = skinnyDot(lhs, rhsT, dT, "float32")!;
      expect(globalThis.Array.from(wholeT)).toEqual(globalThis.Array.from(whole));
      const out = alloc("float32", m * n, false) as Float32Array;
      expect(inMemory(out)).toBe(true);
      const range = skinnyRowRange(lhs, rhsT, out, dT, "float32");
      expect(range).not.toBeNull();
      expect([range!.rows, range!.perRow, range!.inputPerRow]).toEqual([m, n, k]);
      // blocks of 4, 8 and 12 rows, and one 4-row block, then the rest: each row as the whole call computed it
      for (const step of [DOT_ROW_ALIGN, 2 * DOT_ROW_ALIGN, 3 * DOT_ROW_ALIGN]) {
        out.fill(NaN);
        for (let r0 = 0; r0 < m; r0 += step) range!.run(r0, Math.min(m, r0 + step));
        expect(globalThis.Array.from(out)).toEqual(globalThis.Array.from(whole));
      }
      out.fill(NaN);
      range!.run(DOT_ROW_ALIGN, m);
      range!.run(0, DOT_ROW_ALIGN);
      expect(globalThis.Array.from(out)).toEqual(globalThis.Array.from(whole));
      // and both agree with float64 loops
      const ref = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) ref[i * n + j] += lhs[i * k + p] * rhs[p * n + j];
      expectNear(globalThis.Array.from(out), ref, 1e-5);
      expect(() => range!.run(1, 5)).toThrow(/not aligned/);
      range!.release();
      for (const b of [lhs, rhs, rhsT, out, whole, wholeT]) release(b);
    });
  }

  it("no row range where the whole call would not run the dot layout from the shared memory: float64, a transposed product, a batch", () => {
    const [m, k] = [1001, 67];
    const lhs = alloc("float32", m * k, false) as Float32Array;
    const rhs = alloc("float32", k, false) as Float32Array;
    const out = alloc("float32", m, false) as Float32Array;
    const d = { batch: 1, m, n: 1, k, lhsStrides: [0, k, 1], rhsStrides: [0, 1, 0], lhsOffset: 0, rhsOffset: 0 };
    const range = skinnyRowRange(lhs, rhs, out, d, "float32");
    expect(range).not.toBeNull();
    range!.release();
    const l64 = alloc("float64", m * k, false), r64 = alloc("float64", k, false), o64 = alloc("float64", m, false);
    expect(skinnyRowRange(l64, r64, o64, d, "float64")).toBeNull();
    // vec-mat wᵀ·Xᵀ: the transposed orientation writes C's columns
    expect(skinnyRowRange(rhs, lhs, out, { batch: 1, m: 1, n: m, k, lhsStrides: [0, 0, 1], rhsStrides: [0, 1, k], lhsOffset: 0, rhsOffset: 0 }, "float32")).toBeNull();
    expect(skinnyRowRange(lhs, rhs, out, { ...d, batch: 7, m: 143, lhsStrides: [143 * k, k, 1] }, "float32")).toBeNull();
    for (const b of [lhs, rhs, out, l64, r64, o64]) release(b);
  });
});

describe("one pass over the rows for a mat-vec's broadcast epilogue (CPU)", () => {
  // blocks need every operand in the shared memory: a floor above these tests' working set, so that
  // no output is turned away by a pool that no collection has measured yet (a synchronous test)
  let floor = 0;
  beforeAll(() => (floor = setPoolFloor(256 * 1024 * 1024)));
  afterAll(() => setPoolFloor(floor));

  it("W6 [4096, 64] with the default blocks: one step, one pass, bit for bit two launches, float64 loops", () => {
    const [B, F] = [4096, 64];
    const w = arr([F], 61), x = arr([B, F], 62), y = arr([B], 63);
    const r = bothWays(perExample(), [w, x, y]);
    expect(r.steps).toBe(1);
    expect(r.runs).toBe(1);
    expect(r.ranges).toBe(Math.ceil(B / blockRows(defaultMatVecBlock, F)));
    expect(r.ranges).toBeGreaterThan(1);
    expect(r.one).toEqual(r.two);
    expectNear(r.one, perExampleRef(w, x, y, B, F), 1e-4);
  });

  // W6 in first-level blocks (32 of them); rows not a multiple of the block (nor of 4), k not a multiple of 4 or 16;
  // blocks whose row count is rounded up to 4
  for (const [B, F, block] of [[4096, 64, 8192], [1001, 67, 5 * 67], [2050, 19, 1000], [601, 33, 64]]) {
    it(`per-example gradients [${B}, ${F}] in blocks of ${block} elements: one pass, bit for bit two launches, float64 loops`, () => {
      setRowBlocking(8192, 0);
      setMatVecBlocking(block);
      const w = arr([F], 71), x = arr([B, F], 72), y = arr([B], 73);
      const r = bothWays(perExample(), [w, x, y]);
      expect(r.steps).toBe(1);
      expect(r.runs).toBe(1);
      expect(r.ranges).toBe(Math.ceil(B / blockRows(block, F)));
      expect(r.one).toEqual(r.two);
      expectNear(r.one, perExampleRef(w, x, y, B, F), 1e-4);
    });
  }

  it("two launches where blocks would not help or cannot run: a small input, the JavaScript path, float64", () => {
    const [B, F] = [300, 40];
    const w = arr([F], 81), x = arr([B, F], 82), y = arr([B], 83);
    const f = perExample();
    const ref = perExampleRef(w, x, y, B, F);
    // 12,000 elements: under the 65,536 from which blocks are used
    const small = bothWays(f, [w, x, y]);
    expect([small.steps, small.runs, small.ranges]).toEqual([1, 0, 0]);
    expectNear(small.one, ref, 1e-4);
    setRowBlocking(256, 0);
    setMatVecBlocking(256);
    // [333, 33]·[33]: 10,989 products, under the skinny kernels' 16,384 (the dot routine's direct loop has no row ranges)
    const [w3, x3, y3] = [arr([33], 84), arr([333, 33], 85), arr([333], 86)];
    const direct = bothWays(f, [w3, x3, y3]);
    expect([direct.runs, direct.ranges]).toEqual([0, 0]);
    expect(direct.one).toEqual(direct.two);
    expectNear(direct.one, perExampleRef(w3, x3, y3, 333, 33), 1e-4);
    // x stored [F, B] and mapped over its axis 1: A's rows strided (the axpy layout), no row ranges
    const [Bt, Ft] = [2000, 40];
    const [wt, xt, yt] = [arr([Ft], 87), arr([Ft, Bt], 88), arr([Bt], 89)];
    const ft = jit(vmap(grad((w: Value, x: Value, y: Value) => (x as Array).dot(w).sub(y).square()), { inAxes: [null, 1, 0] })) as unknown as Jitted;
    const strided = bothWays(ft, [wt, xt, yt]);
    expect([strided.runs, strided.ranges]).toEqual([0, 0]);
    expect(strided.one).toEqual(strided.two);
    const xtRows = np.transpose(xt) as Array;
    expectNear(strided.one, perExampleRef(wt, xtRows, yt, Bt, Ft), 1e-4);
    setWasmEnabled(false);
    const js = bothWays(f, [w, x, y]);
    expect([js.runs, js.ranges]).toEqual([0, 0]);
    expect(js.one).toEqual(js.two);
    expectNear(js.one, ref, 1e-4);
    setWasmEnabled(true);
    const [w64, x64, y64] = [arr([F], 81, "float64"), arr([B, F], 82, "float64"), arr([B], 83, "float64")];
    const f64 = bothWays(perExample(), [w64, x64, y64]);
    expect([f64.runs, f64.ranges]).toEqual([0, 0]);
    expectNear(f64.one, perExampleRef(w64, x64, y64, B, F), 1e-12);
  });
});

describe("the mat-vec's one pass with the worker pool forced on (CPU)", () => {
  let floor = 0;
  let minWork = 0;
  let threads = 1;
  beforeAll(async () => {
    floor = setPoolFloor(256 * 1024 * 1024);
    threads = threadCount();
    setThreads(3);
    expect(await startThreads()).toBe(true);
    minWork = setWasmThreadMinWork(1);
  });
  afterAll(() => {
    setWasmThreadMinWork(minWork);
    setThreads(threads);
    setPoolFloor(floor);
  });

  // rows not a multiple of the three threads, nor of the blocks; one aligned block of rows each
  for (const [B, F, block] of [[1001, 67, 5 * 67], [4096, 64, 1 << 17], [601, 33, 4 * 33]]) {
    it(`per-example gradients [${B}, ${F}], blocks of ${block} elements: the blocks on one thread, two launches split, bit for bit equal`, () => {
      setRowBlocking(8192, 0);
      setMatVecBlocking(block);
      const w = arr([F], 91), x = arr([B, F], 92), y = arr([B], 93);
      const f = perExample();
      f(w, x, y);
      const [split0, jobs0] = [rowOnePassSplitCount(), threadedJobCount()];
      const one = globalThis.Array.from((f(w, x, y) as Array).dataSync());
      expect(rowOnePassSplitCount() - split0, "the mat-vec's blocks ran on this thread").toBe(0);
      const r = bothWays(f, [w, x, y]);
      expect([r.steps, r.runs]).toEqual([1, 1]);
      expect(r.ranges).toBe(Math.ceil(B / blockRows(block, F)));
      expect(threadedJobCount() - jobs0, "the two launches' epilogue was split across the pool").toBeGreaterThan(0);
      expect(r.one).toEqual(one);
      expect(r.one).toEqual(r.two);
      expectNear(r.one, perExampleRef(w, x, y, B, F), 1e-4);
    });
  }
});
