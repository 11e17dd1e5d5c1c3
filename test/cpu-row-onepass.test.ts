/**
 * A broadcast epilogue (a row reduction's consumer that reads the result
 * repeated along the row) runs in one pass over the rows on the
 * CPU: blocks of rows of the reduction, each followed by the
 * epilogue over the same rows (src/backend/cpu/row-epilogue.ts). Each case
 * checks the plan's step count, that the one-pass path ran (its counter),
 * that it gives bit for bit what the two launches give, and loops in float64.
 *
 * Split across the worker pool (forced on small inputs: a split threshold of
 * one unit of work), each thread claiming blocks and running the reduction
 * then the epilogue on each: bit for bit two launches, with rows not
 * divisible by the threads, one row a block, a single row and strided
 * inputs (float64 has no one-pass form: its fusion keeps the reduction's
 * consumer a step of its own); the split counter and the workers' job count say it ran there.
 *
 * And the CPU pool (src/backend/cpu/memory.ts): past its target, a large
 * output borrows a block already in a free list instead of becoming a fresh
 * TypedArray, within the bound the pool documents.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
// the CPU backend registers itself when it loads
import "../src/backend/cpu/index.js";
import { setReductionOnePass, setRowBlocking, setRowOnePass, rowOnePassCount, rowOnePassSplitCount } from "../src/backend/cpu/row-epilogue.js";
import { setThreads, startThreads, threadCount, workerJobCount } from "../src/backend/cpu/threads.js";
import { alloc, allocScratch, freeScratch, inMemory, memoryStats, pointerOf, poolBorrowStats, poolHeadroom, poolTarget, release, setPoolFloor, sizeClass, wasmMemory } from "../src/backend/cpu/memory.js";
import { setWasmEnabled, setWasmThreadMinWork } from "../src/backend/cpu/wasm/index.js";
import * as np from "../src/numpy/index.js";
import { Array } from "../src/array.js";
import type { Value } from "../src/trace/core.js";
import { jit } from "../src/transforms/jit.js";
import * as nn from "../src/nn/index.js";
import { rand } from "./helpers.js";

const f32 = (shape: number[], seed: number, scale = 1) =>
  np.array(Float32Array.from(rand(shape.reduce((a, b) => a * b, 1), seed).map((v) => v * scale)), { dtype: "float32" }).reshape(shape) as Array;

type Jitted = ((...args: Value[]) => unknown) & { lower(...args: Value[]): { kernels: number } };

/** The outputs with the one-pass form and with two launches, and how many one-pass runs the first call made. */
function bothWays(f: Jitted, args: Array[]) {
  const read = () => {
    const out = f(...args);
    return (globalThis.Array.isArray(out) ? out : [out]).map((o) => globalThis.Array.from((o as Array).dataSync()));
  };
  const before = rowOnePassCount();
  const one = read();
  const runs = rowOnePassCount() - before;
  const prev = setRowOnePass(false);
  let two: number[][];
  try {
    two = read();
  } finally {
    setRowOnePass(prev);
  }
  expect(rowOnePassCount() - before, "two launches ran as asked").toBe(runs);
  return { one, two, runs, steps: f.lower(...args).kernels };
}

function expectNear(actual: number[], expected: number[], tol: number) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((x, j) => {
    if (!(Math.abs(x - expected[j]) <= tol * Math.max(1, Math.abs(expected[j])))) expect(x, `element ${j}`).toBe(expected[j]);
  });
}

function softmaxRef(x: Array, rows: number, cols: number): number[] {
  const xd = x.dataSync() as Float32Array;
  const ref: number[] = [];
  for (let i = 0; i < rows; i++) {
    const row = globalThis.Array.from(xd.subarray(i * cols, (i + 1) * cols));
    const m = row.reduce((a, v) => Math.max(a, v), -Infinity);
    const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
    ref.push(...row.map((v) => Math.exp(v - m) / s));
  }
  return ref;
}

// the reductions' blocks are off by default (two launches split across the pool win on 2 cores): these tests turn them on
beforeAll(() => void setReductionOnePass(true));
afterAll(() => void setReductionOnePass(false));

// the defaults, restored after each test
const defaultRowBlocking = setRowBlocking(1, 0);
setRowBlocking(...defaultRowBlocking);

afterEach(() => {
  setRowBlocking(...defaultRowBlocking);
  setRowOnePass(true);
  setWasmEnabled(true);
});

describe("the CPU pool lends a pooled block past its target instead of a fresh array", () => {
  // first in this file: no block borrowed by another test may be live
  it("a large buffer past the target borrows a free block of its class; one borrowed block at a time beyond the target; release returns it", () => {
    const MiB = 1024 * 1024;
    // past the target and the headroom that uploads and large outputs share (memory.ts)
    const elements = Math.ceil((2 * poolTarget() + poolHeadroom() + 4 * MiB) / 4);
    const cls = sizeClass(elements * 4);
    const stats0 = poolBorrowStats();
    expect(stats0.borrowedBytes).toBe(0);
    // no free block of its class: past the target it is an ordinary TypedArray
    const plain = alloc("float32", elements, false);
    expect(inMemory(plain)).toBe(false);
    expect(poolBorrowStats()).toEqual(stats0);
    // a scratch block of that class freed (what a WebAssembly kernel's copy of an outside output leaves)
    const s1 = allocScratch(cls);
    expect(s1).toBeGreaterThan(0);
    freeScratch(s1, cls);
    const a = alloc("float32", elements, false);
    expect(inMemory(a)).toBe(true);
    expect(pointerOf(a)).toBe(s1);
    expect(poolBorrowStats()).toEqual({ borrows: stats0.borrows + 1, borrowedBytes: stats0.borrowedBytes + cls });
    // a second one while the first is live: its class is more than the target, so it is turned away even with a free block
    const s2 = allocScratch(cls);
    freeScratch(s2, cls);
    const pages = wasmMemory()!.memory.buffer.byteLength;
    const b = alloc("float32", elements, false);
    expect(inMemory(b)).toBe(false);
    expect(poolBorrowStats().borrows).toBe(stats0.borrows + 1);
    // released, the block is in the free list again and the next large buffer takes it (no growth of the memory)
    const pooled = memoryStats().pooledBytes;
    release(a);
    expect(memoryStats().pooledBytes).toBe(pooled + cls);
    expect(poolBorrowStats().borrowedBytes).toBe(stats0.borrowedBytes);
    const c = alloc("float32", elements, false);
    expect(inMemory(c)).toBe(true);
    expect([s1, s2]).toContain(pointerOf(c));
    expect(wasmMemory()!.memory.buffer.byteLength).toBe(pages);
    release(c);
    expect(poolBorrowStats().borrowedBytes).toBe(stats0.borrowedBytes);
  });

  it("a jitted uint8 → float32 normalisation whose output is past the target: after the first call each output reuses one pooled block", () => {
    const cols = 1024;
    // the output past the target and the headroom that uploads and large outputs share (memory.ts)
    const rows = Math.ceil((2 * poolTarget() + poolHeadroom()) / 4 / cols) + 8;
    const host = new Uint8Array(rows * cols);
    for (let i = 0; i < host.length; i++) host[i] = (i * 2654435761) >>> 24;
    const x = np.array(host, { dtype: "uint8" }).reshape([rows, cols]) as Array;
    const normalise = jit((x: Value) => x.astype("float32").sub(0.1307).div(0.3081)) as (x: Value) => Array;
    const [c0, c1] = [Math.fround(0.1307), Math.fround(0.3081)];
    let pages = 0;
    const borrows0 = poolBorrowStats().borrows;
    for (let call = 0; call < 4; call++) {
      const y = normalise(x);
      const d = y.dataSync() as Float32Array;
      for (const i of [0, 1, 777, host.length - 1]) expect(d[i]).toBe(Math.fround(Math.fround(host[i] - c0) / c1));
      if (call === 1) pages = wasmMemory()!.memory.buffer.byteLength;
      if (call > 1) expect(wasmMemory()!.memory.buffer.byteLength).toBe(pages);
      y.dispose();
    }
    // calls 2–4 borrowed (the first call's output was an ordinary array computed through a scratch block)
    expect(poolBorrowStats().borrows - borrows0).toBeGreaterThanOrEqual(3);
    // the input too, so that the pool's live bytes are back under its target for the tests after this one
    x.dispose();
  });
});

describe("one pass over the rows for a broadcast epilogue (CPU)", () => {
  // blocks need every operand in the shared memory: a floor above these tests' working set, so that
  // no output is turned away by a pool that no collection has measured yet (a synchronous test)
  let floor = 0;
  beforeAll(() => (floor = setPoolFloor(256 * 1024 * 1024)));
  afterAll(() => setPoolFloor(floor));
  // [2, 20000]: the epilogue's rows are cut into chunks of 4096 (a ragged WebAssembly plan), several per result element
  for (const [rows, cols] of [[300, 70], [3, 5000], [2, 20000]]) {
    it(`softmax over rows [${rows}, ${cols}]: two steps, each one pass (the second sweep, over exp(x − max), is inherent: the sum needs the whole row first)`, () => {
      setRowBlocking(256, 0);
      const f = jit((x: Value) => nn.softmax(x, -1)) as unknown as Jitted;
      const x = f32([rows, cols], 31, 6);
      const r = bothWays(f, [x]);
      expect(r.steps).toBe(2);
      expect(r.runs).toBe(2);
      expect(r.one).toEqual(r.two);
      expectNear(r.one[0], softmaxRef(x, rows, cols), 1e-5);
    });
  }

  it("a layer norm over rows: two steps, each one pass", () => {
    setRowBlocking(300, 0);
    const f = jit((x: Value) => {
      const c = x.sub(x.mean(-1, { keepdims: true }));
      return c.div(np.sqrt(c.square().mean(-1, { keepdims: true }).add(1e-5)));
    }) as unknown as Jitted;
    const [rows, cols] = [129, 96];
    const x = f32([rows, cols], 41, 3);
    const r = bothWays(f, [x]);
    expect([r.steps, r.runs]).toEqual([2, 2]);
    expect(r.one).toEqual(r.two);
    const xd = x.dataSync() as Float32Array;
    const ref: number[] = [];
    for (let i = 0; i < rows; i++) {
      const row = globalThis.Array.from(xd.subarray(i * cols, (i + 1) * cols));
      const m = row.reduce((a, v) => a + v, 0) / cols;
      const v = row.reduce((a, u) => a + (u - m) ** 2, 0) / cols;
      ref.push(...row.map((u) => (u - m) / Math.sqrt(v + 1e-5)));
    }
    expectNear(r.one[0], ref, 1e-4);
  });

  it("two launches where blocks would not help or cannot run: a small input, and the JavaScript path", () => {
    const f = jit((x: Value) => nn.softmax(x, -1)) as unknown as Jitted;
    const x = f32([40, 50], 51, 4);
    // 2,000 elements: under the 65,536 from which blocks are used
    const small = bothWays(f, [x]);
    expect([small.steps, small.runs]).toEqual([2, 0]);
    expectNear(small.one[0], softmaxRef(x, 40, 50), 1e-5);
    setRowBlocking(256, 0);
    setWasmEnabled(false);
    const js = bothWays(f, [x]);
    expect(js.runs).toBe(0);
    expect(js.one).toEqual(js.two);
    expectNear(js.one[0], softmaxRef(x, 40, 50), 1e-5);
  });
});

describe("one pass over the rows split across the worker pool (CPU)", () => {
  let floor = 0;
  let minWork = 0;
  let threads = 1;
  beforeAll(async () => {
    floor = setPoolFloor(256 * 1024 * 1024);
    // three threads (two workers) even on a 2-core machine, so that rows and blocks do not divide evenly
    threads = threadCount();
    setThreads(3);
    expect(await startThreads()).toBe(true);
    // every kernel large enough for two items splits: the one-pass blocks too, at these small sizes
    minWork = setWasmThreadMinWork(1);
  });
  afterAll(() => {
    setWasmThreadMinWork(minWork);
    setThreads(threads);
    setPoolFloor(floor);
  });

  const softmax = jit((x: Value) => nn.softmax(x, -1)) as unknown as Jitted;
  const layerNorm = jit((x: Value) => {
    const c = x.sub(x.mean(-1, { keepdims: true }));
    return c.div(np.sqrt(c.square().mean(-1, { keepdims: true }).add(1e-5)));
  }) as unknown as Jitted;

  function layerNormRef(x: Array, rows: number, cols: number): number[] {
    const xd = x.dataSync();
    const ref: number[] = [];
    for (let i = 0; i < rows; i++) {
      const row = globalThis.Array.from(xd.subarray(i * cols, (i + 1) * cols));
      const m = row.reduce((a, v) => a + v, 0) / cols;
      const v = row.reduce((a, u) => a + (u - m) ** 2, 0) / cols;
      ref.push(...row.map((u) => (u - m) / Math.sqrt(v + 1e-5)));
    }
    return ref;
  }

  /** bothWays, and how many one-pass runs were split and how many jobs the workers ran meanwhile. */
  function split(f: Jitted, args: Array[]) {
    const [s0, w0] = [rowOnePassSplitCount(), workerJobCount()];
    const r = bothWays(f, args);
    return { ...r, split: rowOnePassSplitCount() - s0, workerJobs: workerJobCount() - w0 };
  }

  // [rows, cols, elements a block]: 37 rows of 3 a block (13 blocks, three threads); one row a block; 2 rows
  for (const [rows, cols, block] of [[37, 70, 210], [29, 64, 64], [2, 3000, 3000]]) {
    it(`softmax and layer norm [${rows}, ${cols}], blocks of ${block} elements: split, bit for bit two launches, float64 loops`, () => {
      setRowBlocking(block, 0);
      const x = f32([rows, cols], 61 + rows, 5);
      const s = split(softmax, [x]);
      expect([s.steps, s.runs, s.split]).toEqual([2, 2, 2]);
      expect(s.workerJobs).toBeGreaterThan(0);
      expect(s.one).toEqual(s.two);
      expectNear(s.one[0], softmaxRef(x, rows, cols), 1e-5);
      const l = split(layerNorm, [x]);
      expect([l.steps, l.runs, l.split]).toEqual([2, 2, 2]);
      expect(l.one).toEqual(l.two);
      expectNear(l.one[0], layerNormRef(x, rows, cols), 1e-4);
    });
  }

  it("a strided input (softmax over the rows of a transpose): split, bit for bit two launches; float64: two launches", () => {
    setRowBlocking(128, 0);
    const t = jit((x: Value) => nn.softmax(x.transpose(), -1)) as unknown as Jitted;
    const x = f32([90, 41], 71, 4);
    const s = split(t, [x]);
    expect(s.runs).toBeGreaterThan(0);
    expect(s.split).toBe(s.runs);
    expect(s.one).toEqual(s.two);
    const xt = np.array(Float32Array.from(globalThis.Array.from({ length: 41 * 90 }, (_, i) => x.dataSync()[(i % 90) * 41 + Math.floor(i / 90)])), { dtype: "float32" }).reshape([41, 90]) as Array;
    expectNear(s.one[0], softmaxRef(xt, 41, 90), 1e-5);
    const x64 = np.array(Float64Array.from(rand(53 * 77, 73).map((v) => 5 * v)), { dtype: "float64" }).reshape([53, 77]) as Array;
    const d = split(layerNorm, [x64]);
    // float64 reaches no one-pass form: the fusion leaves each reduction's consumer its own step (4, not 2)
    expect([d.steps, d.runs, d.split]).toEqual([4, 0, 0]);
    expect(d.one).toEqual(d.two);
    expectNear(d.one[0], layerNormRef(x64, 53, 77), 1e-12);
  });

  it("a single row stays two launches (nothing to split into blocks); under the split threshold the blocks run on this thread", () => {
    setRowBlocking(256, 0);
    const x = f32([1, 5000], 79, 4);
    const one = split(softmax, [x]);
    expect([one.runs, one.split]).toEqual([0, 0]);
    expectNear(one.one[0], softmaxRef(x, 1, 5000), 1e-5);
    const prev = setWasmThreadMinWork(minWork);
    try {
      const y = f32([40, 64], 83, 4);
      const s = split(softmax, [y]);
      expect([s.runs, s.split]).toEqual([2, 0]);
      expect(s.one).toEqual(s.two);
    } finally {
      setWasmThreadMinWork(prev);
    }
  });
});
