/**
 * Skinny products on the CPU (src/backend/cpu/matmul-skinny.ts): mat-vec,
 * vec-mat and products with m or n ≤ 16 take the skinny kernels (counted),
 * and give the blocked kernels' values (float64 sums as the judge) for edge
 * shapes: k not a multiple of 4 or 8, n = 1, m = 1, outer products (k ≤ 4), transposed and strided
 * operands, offsets, batches with a shared or a per-element rhs, operands
 * outside the shared memory, float64 and float16, one thread and two. The
 * public matmul matches JAX on a committed fixture (test/fixtures/skinny,
 * written by its generate.py), eagerly and under jit.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jit, lax, numpy as np } from "../src/index.js";
import type { Value } from "../src/index.js";
import type { DType, TypedArray } from "../src/dtype.js";
import type { DotArgs } from "../src/backend/cpu/matmul-wasm.js";
import { setWasmMatmulEnabled } from "../src/backend/cpu/matmul-wasm.js";
import { setMatvecEnabled, setMatvecThreadWork, setSkinnyEnabled, skinnyCounts, skinnyPlan } from "../src/backend/cpu/matmul-skinny.js";
import { alloc } from "../src/backend/cpu/memory.js";
import { cpuRoutines } from "../src/backend/cpu/routines.js";
import { setThreads, startThreads, threadedJobCount } from "../src/backend/cpu/threads.js";

/** The fixture's inputs: an integer formula, repeated exactly by generate.py. */
const value = (i: number, seed: number) => ((i * 7919 + seed * 104729) % 2003) / 1001.5 - 1;

function extent(strides: readonly number[], dims: number[], offset: number) {
  return offset + dims.reduce((acc, d, i) => acc + (d - 1) * strides[i], 0) + 1;
}

/** Row-major [batch, m, k] · [batch, k, n], either operand optionally stored transposed, with offsets. */
function layout(batch: number, m: number, n: number, k: number, lhsT = false, rhsT = false, lhsOffset = 0, rhsOffset = 0): DotArgs {
  return {
    batch, m, n, k,
    lhsStrides: [m * k, lhsT ? 1 : k, lhsT ? m : 1],
    rhsStrides: [k * n, rhsT ? 1 : n, rhsT ? k : 1],
    lhsOffset,
    rhsOffset,
  };
}

const taken = () => skinnyCounts.wasm + skinnyCounts.js;

/**
 * Runs the dot routine on `d` with the skinny kernels and without, checks that
 * the skinny path was (or was not) taken, and that both agree with a float64
 * sum within `tol`·Σ|a·b| per element.
 */
function compare(d: DotArgs, seed: number, opts: { dtype?: DType; skinny?: boolean; lhsInMemory?: boolean; rhsInMemory?: boolean } = {}) {
  const dtype = opts.dtype ?? "float32";
  const { batch, m, n, k } = d;
  const make = (len: number, inMem: boolean, s: number): TypedArray => {
    const a = inMem ? alloc(dtype, len) : dtype === "float64" ? new Float64Array(len) : new Float32Array(len);
    for (let i = 0; i < len; i++) a[i] = value(i, s);
    if (dtype === "float16") for (let i = 0; i < len; i++) a[i] = Math.round(a[i] * 64) / 64; // exact in half precision
    return a;
  };
  const lhs = make(extent(d.lhsStrides, [batch, m, k], d.lhsOffset), opts.lhsInMemory ?? true, seed);
  const rhs = make(extent(d.rhsStrides, [batch, k, n], d.rhsOffset), opts.rhsInMemory ?? true, seed + 1);
  const t = (shape: number[]) => ({ shape, dtype });
  const run = () => cpuRoutines.dot([lhs, rhs], [t([lhs.length]), t([rhs.length])], [t([batch, m, n])], d)[0];
  const before = taken();
  const fast = run();
  expect(taken() - before, "skinny path taken").toBe((opts.skinny ?? skinnyPlan(d) !== null) ? 1 : 0);
  const prev = setSkinnyEnabled(false);
  const general = run();
  setSkinnyEnabled(prev);
  const [lb, lm, lk] = d.lhsStrides;
  const [rb, rk, rn] = d.rhsStrides;
  const tol = dtype === "float64" ? 1e-14 : 1e-5;
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        let mag = 0;
        for (let p = 0; p < k; p++) {
          const prod = lhs[d.lhsOffset + b * lb + i * lm + p * lk] * rhs[d.rhsOffset + b * rb + p * rk + j * rn];
          s += prod;
          mag += Math.abs(prod);
        }
        const o = (b * m + i) * n + j;
        for (const [name, out] of [["skinny", fast], ["general", general]] as const) {
          if (dtype === "float16") continue; // the routine's caller rounds half results; checked through the API below
          const err = Math.abs(out[o] - s) / (mag || 1);
          if (!(err <= tol)) throw new Error(`${name} [${b}, ${i}, ${j}]: got ${out[o]}, expected ${s}`);
        }
      }
}

describe("skinny products: the plan", () => {
  it("takes a small side with a large operand contiguous along k or along its rows, and leaves the rest to the blocked kernel", () => {
    expect(skinnyPlan(layout(1, 4096, 1, 64))).toMatchObject({ layout: "dot", M: 4096, N: 1, a: 0 });
    expect(skinnyPlan(layout(1, 64, 1, 4096, true))).toMatchObject({ layout: "axpy", M: 64, N: 1, a: 0 });
    // m small: the transposed product, the rhs as the large operand
    expect(skinnyPlan(layout(1, 1, 4096, 64))).toMatchObject({ layout: "axpy", M: 4096, N: 1, a: 1 });
    expect(skinnyPlan(layout(1, 1, 4096, 64, false, true))).toMatchObject({ layout: "dot", M: 4096, N: 1, a: 1 });
    expect(skinnyPlan(layout(1, 300, 16, 64))).toMatchObject({ layout: "dot", N: 16 });
    // axpy past 4 columns re-reads A with a long stride: the blocked kernel packs it instead
    expect(skinnyPlan(layout(1, 300, 5, 64, true))).toBeNull();
    expect(skinnyPlan(layout(1, 5, 300, 64))).toBeNull();
    expect(skinnyPlan(layout(1, 4, 300, 64))).toMatchObject({ layout: "axpy", M: 300, N: 4, a: 1 });
    expect(skinnyPlan(layout(1, 9, 300, 64, false, true))).toMatchObject({ layout: "dot", M: 300, N: 9, a: 1 });
    // not skinny: both sides big, k tiny, tiny work, A strided both ways
    expect(skinnyPlan(layout(1, 300, 17, 64))).toBeNull();
    expect(skinnyPlan(layout(1, 4096, 1, 7))).toBeNull();
    // k ≤ 4 with a big output: an outer product, in any storage order
    expect(skinnyPlan(layout(1, 1000, 900, 1))).toMatchObject({ layout: "outer", M: 1000, N: 900 });
    expect(skinnyPlan(layout(1, 300, 300, 4, true, true))).toMatchObject({ layout: "outer" });
    expect(skinnyPlan(layout(1, 100, 100, 2))).toBeNull(); // 10,000 outputs: the direct loop's
    expect(skinnyPlan(layout(1, 100, 1, 100))).toBeNull();
    expect(skinnyPlan({ batch: 1, m: 300, n: 1, k: 100, lhsStrides: [0, 200, 2], rhsStrides: [0, 1, 1], lhsOffset: 0, rhsOffset: 0 })).toBeNull();
  });
});

for (const threads of [1, 2] as const) {
  describe(`skinny products against the blocked kernels, ${threads} thread${threads > 1 ? "s" : ""}`, () => {
    let splitBefore = 0;
    beforeAll(async () => {
      setThreads(threads);
      if (threads === 2) expect(await startThreads()).toBe(true);
      splitBefore = threadedJobCount();
    });
    afterAll(() => {
      setThreads(2);
    });

    const shapes: [number, number, number, number][] = [
      // [batch, m, n, k]: n = 1, m = 1, k not a multiple of 4 or 8, edges of the row tiles, 16 columns
      [1, 4096, 1, 64], [1, 1, 4096, 64], [1, 301, 1, 67], [1, 1, 301, 67], [1, 303, 3, 61], [1, 5, 299, 73],
      [2, 257, 7, 33], [3, 11, 130, 29], [1, 130, 16, 33], [1, 16, 130, 33], [1, 1, 1, 17001], [1, 4, 2, 4099],
      // past 1024 rows the axpy layout streams A's rows (k outer): G = 1..4, row counts not a multiple of 4
      [1, 3, 5003, 41], [2, 1500, 2, 33], [1, 1, 1025, 20], [1, 4, 2047, 17],
    ];
    for (const [batch, m, n, k] of shapes) {
      it(`${batch}×${m}×${n}×${k}, all four storage orders, offsets`, () => {
        // the large operand contiguous along k always goes skinny (a dot tile); along its rows (axpy) up to 4
        // columns, past which the blocked kernel takes it (compare checks the path against the plan)
        compare(layout(batch, m, n, k), m + n, { skinny: n <= m || m <= 4 ? true : undefined });
        compare(layout(batch, m, n, k, true, false, 3), m + 2 * n);
        compare(layout(batch, m, n, k, false, true, 0, 5), m + 3 * n, { skinny: n <= m || m <= 16 ? true : undefined });
        compare(layout(batch, m, n, k, true, true, 1, 2), m + 4 * n, { skinny: m <= 16 || n <= 4 ? true : undefined });
      });
    }

    it("outer products and sums of a few (k ≤ 4): all storage orders, batches, odd n", () => {
      for (const [batch, m, n, k] of [[1, 1000, 900, 1], [2, 301, 303, 3], [1, 130, 1001, 4], [3, 257, 129, 2]]) {
        compare(layout(batch, m, n, k), m + n, { skinny: true });
        compare(layout(batch, m, n, k, true, false, 3), m + 2 * n, { skinny: true });
        compare(layout(batch, m, n, k, false, true, 0, 5), m + 3 * n, { skinny: true });
        compare(layout(batch, m, n, k, true, true, 1, 2), m + 4 * n, { skinny: true });
      }
      compare({ batch: 3, m: 200, n: 150, k: 2, lhsStrides: [400, 2, 1], rhsStrides: [0, 150, 1], lhsOffset: 0, rhsOffset: 0 }, 20, { skinny: true });
      compare(layout(1, 300, 301, 3), 21, { dtype: "float64", skinny: true });
      compare(layout(1, 300, 301, 2, false, true), 22, { dtype: "float64", skinny: true });
      compare(layout(1, 500, 400, 1), 23, { lhsInMemory: false, rhsInMemory: false, skinny: true });
    });

    it("a shared rhs (batch stride 0), gapped strides, and operands outside the shared memory", () => {
      compare({ batch: 4, m: 300, n: 2, k: 50, lhsStrides: [15000, 50, 1], rhsStrides: [0, 2, 1], lhsOffset: 0, rhsOffset: 0 }, 1);
      compare({ batch: 3, m: 300, n: 3, k: 50, lhsStrides: [16000, 53, 1], rhsStrides: [0, 1, 60], lhsOffset: 7, rhsOffset: 1 }, 2);
      compare({ batch: 2, m: 200, n: 1, k: 90, lhsStrides: [20000, 1, 210], rhsStrides: [95, 1, 1], lhsOffset: 1, rhsOffset: 2 }, 3);
      compare(layout(2, 500, 3, 40), 4, { lhsInMemory: false });
      compare(layout(1, 3, 500, 40, false, true), 5, { rhsInMemory: false, lhsInMemory: false });
    });

    it("big products with 4 columns or more split their rows across threads, with the same values", () => {
      compare(layout(1, 8192, 8, 64), 6);
      compare(layout(1, 8, 8192, 64, true, true), 7);
      compare(layout(1, 8190, 4, 130, true), 8);
      compare(layout(1, 4, 8191, 70), 10); // streamed, split by rows
      compare(layout(1, 1024, 1024, 1), 9);
      if (threads === 2) expect(threadedJobCount()).toBeGreaterThan(splitBefore);
    });

    it("mat-vecs with k a multiple of 4 take the mat-vec kernel (counted), against dot1 and float64 sums", () => {
      // [m, k] · [k, 1], a vec-mat against a transposed matrix, the one-column group after 4 columns (C
      // contiguous along the rows in the transposed orientation), row counts not a multiple of 4, small k
      const cases: [DotArgs, boolean][] = [
        [layout(1, 4096, 1, 64), true], [layout(1, 4099, 1, 64, false, false, 3, 1), true], [layout(1, 2001, 1, 12), true],
        [layout(1, 1, 4098, 64, false, true), true], [layout(1, 5, 3001, 32, false, true), true], [layout(3, 2050, 1, 40), true],
        [layout(1, 4096, 1, 66), false], [layout(1, 4096, 2, 64), false], [layout(1, 3, 4096, 64, false, true), false],
      ];
      for (const [i, [d, takes]] of cases.entries()) {
        const before = skinnyCounts.matvec;
        compare(d, 30 + i, { skinny: true });
        expect(skinnyCounts.matvec - before > 0, `${JSON.stringify(d)} takes the mat-vec kernel`).toBe(takes);
        // and with it off (dot1 for every tile), the same float64 judge
        const prev = setMatvecEnabled(false);
        const off = skinnyCounts.matvec;
        compare(d, 30 + i, { skinny: true });
        expect(skinnyCounts.matvec).toBe(off);
        setMatvecEnabled(prev);
      }
    });

    it("a mat-vec split across threads gives one thread's values bit for bit", () => {
      const d = layout(1, 4099, 1, 64);
      const lhs = alloc("float32", 4099 * 64);
      const rhs = alloc("float32", 64);
      lhs.forEach((_, i) => (lhs[i] = value(i, 40)));
      rhs.forEach((_, i) => (rhs[i] = value(i, 41)));
      const t = (shape: number[]) => ({ shape, dtype: "float32" as DType });
      const run = () => cpuRoutines.dot([lhs, rhs], [t([lhs.length]), t([rhs.length])], [t([1, 4099, 1])], d)[0].slice();
      const whole = run();
      const prev = setMatvecThreadWork(0);
      const jobs = threadedJobCount();
      const split = run();
      setMatvecThreadWork(prev);
      if (threads === 2) expect(threadedJobCount()).toBeGreaterThan(jobs);
      else expect(threadedJobCount()).toBe(jobs);
      expect(Array.from(split)).toEqual(Array.from(whole));
    });

    it("float64 and float16 run the same plan in JavaScript; float32 without WebAssembly too", () => {
      const js = skinnyCounts.js;
      compare(layout(1, 301, 1, 67), 9, { dtype: "float64" });
      compare(layout(2, 4, 299, 73, true, false, 1, 0), 10, { dtype: "float64" });
      compare(layout(1, 64, 2, 4099, true), 11, { dtype: "float64" });
      compare(layout(1, 301, 3, 67), 12, { dtype: "float16" });
      const prev = setWasmMatmulEnabled(false);
      try {
        compare(layout(1, 301, 3, 67, true), 13);
      } finally {
        setWasmMatmulEnabled(prev);
      }
      expect(skinnyCounts.js - js).toBe(5);
    });
  });
}

interface FixtureCase {
  name: string;
  lhsShape: number[];
  rhsShape: number[];
  lhsSeed: number;
  rhsSeed: number;
  transposeLhs: boolean;
  transposeRhs: boolean;
  dtype: "float32" | "float64";
  shape: number[];
  /** The expected values are those of every `every`-th element. */
  every: number;
  expected: number[];
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/skinny/skinny.json", import.meta.url), "utf8")) as { cases: FixtureCase[] };

describe("skinny products: np.matmul against JAX (test/fixtures/skinny)", () => {
  const input = (shape: number[], seed: number, dtype: DType): Value => {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = dtype === "float64" ? new Float64Array(size) : new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = value(i, seed);
    return np.array(data, { dtype }).reshape(shape);
  };
  for (const c of fixture.cases) {
    it(c.name, () => {
      const a = input(c.lhsShape, c.lhsSeed, c.dtype);
      const b = input(c.rhsShape, c.rhsSeed, c.dtype);
      // a transposed operand (2-d in the fixture) as dimension numbers: the routine gets its strides
      const transposed = c.transposeLhs || c.transposeRhs;
      const contracting: [number[], number[]] = [[c.transposeLhs ? 0 : 1], [c.transposeRhs ? 1 : 0]];
      const f = (a: Value, b: Value) => (transposed ? lax.dotGeneral(a, b, { contracting, batch: [[], []] }) : np.matmul(a, b));
      for (const [mode, g] of [["eager", f], ["jit", jit(f)]] as const) {
        const before = taken();
        const y = g(a, b);
        expect(y.shape, mode).toEqual(c.shape);
        expect(y.dtype, mode).toBe(c.dtype);
        // (under jit a product with k ≤ 4 becomes elementwise multiply-adds fused with its neighbours)
        const k = c.lhsShape[c.transposeLhs ? 0 : c.lhsShape.length - 1];
        if (mode === "eager" || k > 4) expect(taken() - before, `${mode}: skinny path taken`).toBeGreaterThan(0);
        const got = y.dataSync();
        const tol = c.dtype === "float64" ? 1e-12 : 2e-5;
        expect(got.length).toBe(c.shape.reduce((a, b) => a * b, 1));
        for (let s = 0; s < c.expected.length; s++) {
          const i = s * c.every;
          const want = c.expected[s];
          if (!(Math.abs(got[i] - want) <= tol * (1 + Math.abs(want)))) throw new Error(`${mode} [${i}]: got ${got[i]}, JAX ${want}`);
        }
      }
    });
  }

  it("a float16 mat-vec matches float32 rounded to half precision", () => {
    const x = np.array(Float32Array.from({ length: 300 * 80 }, (_, i) => Math.round(value(i, 3) * 16) / 16)).reshape([300, 80]);
    const w = np.array(Float32Array.from({ length: 80 }, (_, i) => Math.round(value(i, 4) * 16) / 16)).reshape([80, 1]);
    const want = np.matmul(x, w).astype("float16").astype("float32").dataSync();
    const before = skinnyCounts.js;
    const got = np.matmul(x.astype("float16"), w.astype("float16")).astype("float32").dataSync();
    expect(skinnyCounts.js - before).toBe(1);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(Math.abs(want[i]) * 2 ** -10);
  });
});
