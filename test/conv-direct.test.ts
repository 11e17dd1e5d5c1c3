/**
 * The direct channels-last convolution kernel (src/backend/cpu/conv-direct.ts)
 * against the generic kernel (src/backend/cpu/conv.ts, float64 sums; the
 * WebAssembly matmul and the direct kernel both turned off for it): on many
 * shapes (1-D, 2-D, 3-D; strides, kernel dilation, explicit, SAME, SAME_LOWER
 * and VALID padding; feature counts that are not a multiple of 4 or 8, one
 * feature; output rows not a multiple of the register tile; several layouts),
 * within float32 rounding of Σ|x·w| (the bound the generic kernel's double sum
 * and the kernel's float32 sum both meet); that the direct kernel was taken
 * (NCHW and other layouts too: the input copied features-last, the output
 * scattered; input dilation), and not where it must not be (groups); one
 * thread and two give the same bits; and the input and kernel gradients go
 * through it too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grad, lax, np, type Value } from "../src/index.js";
import { convDirectStats, setConvDirect, setConvDirectChunk, setConvDirectThreadMinWork } from "../src/backend/cpu/conv-direct.js";
import { setWasmMatmulEnabled } from "../src/backend/cpu/matmul-wasm.js";
import { setThreads, startThreads } from "../src/backend/cpu/threads.js";
import { arr, values } from "./helpers.js";

function data(n: number, seed: number, nan = false): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out.push(nan && s % 89 === 0 ? NaN : s / 2 ** 32 - 0.5);
  }
  return out;
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

interface Case {
  x: number[];
  w: number[];
  strides: number[];
  padding: "SAME" | "VALID" | "SAME_LOWER" | [number, number][];
  rhsDilation?: number[];
  lhsDilation?: number[];
  featureGroupCount?: number;
  dn: [string, string, string];
  taken: boolean;
}

const CASES: Case[] = [
  { x: [4, 12, 12, 16], w: [3, 3, 16, 8], strides: [1, 1], padding: "SAME", dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  { x: [3, 11, 9, 5], w: [3, 2, 5, 7], strides: [2, 1], padding: [[2, 1], [0, 3]], dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  { x: [2, 13, 13, 6], w: [3, 3, 6, 12], strides: [1, 2], padding: "SAME", rhsDilation: [2, 2], dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  { x: [2, 10, 10, 20], w: [5, 5, 20, 13], strides: [1, 1], padding: "VALID", dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  { x: [3, 19, 17, 4], w: [2, 4, 4, 3], strides: [3, 2], padding: "SAME_LOWER", dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  { x: [5, 7, 33], w: [3, 33, 9], strides: [1], padding: "SAME", dn: ["NWC", "WIO", "NWC"], taken: true },
  { x: [2, 5, 6, 7, 8], w: [3, 2, 3, 8, 17], strides: [1, 2, 1], padding: "SAME", dn: ["NDHWC", "DHWIO", "NDHWC"], taken: true },
  // negative padding (cropping), a 1×1 kernel, a kernel taller than the input (padding makes it fit)
  { x: [3, 8, 8, 12], w: [1, 1, 12, 40], strides: [1, 1], padding: [[-1, 0], [0, -2]], dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  { x: [2, 4, 9, 8], w: [5, 3, 8, 8], strides: [1, 1], padding: [[1, 1], [1, 1]], dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  // the kernel in another layout (read through its strides when packed)
  { x: [2, 9, 9, 10], w: [6, 10, 3, 3], strides: [1, 1], padding: "SAME", dn: ["NHWC", "OIHW", "NHWC"], taken: true },
  // other layouts: the input copied features-last first, the output scattered from [M, O]; one input feature
  { x: [2, 8, 10, 10], w: [8, 8, 3, 3], strides: [1, 1], padding: "SAME", dn: ["NCHW", "OIHW", "NCHW"], taken: true },
  { x: [2, 10, 10, 20], w: [5, 5, 20, 6], strides: [1, 1], padding: "VALID", dn: ["NHWC", "HWIO", "NCHW"], taken: true },
  { x: [3, 5, 11, 9], w: [5, 7, 3, 2], strides: [1, 2], padding: "SAME", dn: ["NCHW", "IOHW", "NHWC"], taken: true },
  { x: [8, 20, 20, 1], w: [5, 5, 1, 6], strides: [1, 1], padding: "SAME", dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  // input dilation (a strided convolution's input gradient): the holes are padding in the offset table
  { x: [2, 6, 6, 8], w: [3, 3, 8, 8], strides: [1, 1], padding: [[1, 1], [1, 1]], lhsDilation: [2, 2], dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  { x: [3, 6, 5, 7], w: [2, 3, 6, 9], strides: [2, 1], padding: [[1, 2], [0, 1]], lhsDilation: [3, 2], dn: ["NCHW", "HWIO", "NHWC"], taken: true },
  // not taken: groups
  { x: [2, 9, 9, 8], w: [3, 3, 4, 8], strides: [1, 1], padding: "SAME", featureGroupCount: 2, dn: ["NHWC", "HWIO", "NHWC"], taken: false },
];

function conv(c: Case, x: Value, w: Value): Value {
  return lax.convGeneralDilated(x, w, c.strides, c.padding, {
    rhsDilation: c.rhsDilation,
    lhsDilation: c.lhsDilation,
    featureGroupCount: c.featureGroupCount,
    dimensionNumbers: c.dn,
  });
}

/** The generic kernel's answer (no direct kernel, no WebAssembly matmul). */
function generic<T>(f: () => T): T {
  const d = setConvDirect(false);
  const m = setWasmMatmulEnabled(false);
  try {
    return f();
  } finally {
    setConvDirect(d);
    setWasmMatmulEnabled(m);
  }
}

function expectWithin(got: number[], want: number[], bound: number[]) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (Number.isNaN(want[i])) {
      if (!Number.isNaN(got[i])) expect({ i, got: got[i] }).toEqual({ i, got: NaN });
      continue;
    }
    // float32 sum of products: each partial sum rounds by ≤ 2^-24 of itself, so ≤ (terms)·2^-24·Σ|x·w|
    const tol = 4e-6 * bound[i] + 1e-30;
    if (!(Math.abs(got[i] - want[i]) <= tol)) expect({ i, got: got[i], diff: Math.abs(got[i] - want[i]) }).toEqual({ i, got: want[i], diff: `<= ${tol}` });
  }
}

describe("direct channels-last convolution (conv-direct.ts)", () => {
  for (const nan of [false, true]) {
    for (const c of CASES) {
      it(`${JSON.stringify(c)}${nan ? " with NaN" : ""}: as the generic kernel, within float32 rounding`, () => {
        const xd = data(size(c.x), 3, nan), wd = data(size(c.w), 5);
        const x = arr(xd, "float32", c.x), w = arr(wd, "float32", c.w);
        const want = generic(() => values(conv(c, x, w)));
        const bound = generic(() => values(conv(c, arr(xd.map(Math.abs), "float32", c.x), arr(wd.map(Math.abs), "float32", c.w))));
        const before = convDirectStats.calls;
        const got = values(conv(c, x, w));
        expect(convDirectStats.calls > before).toBe(c.taken);
        expectWithin(got, want, bound);
      });
    }
  }
});

describe("direct convolution on one thread and on two", () => {
  let prevMin = 0;
  beforeAll(async () => {
    setThreads(2);
    prevMin = setConvDirectThreadMinWork(0);
  });
  afterAll(() => {
    setConvDirectThreadMinWork(prevMin);
    setThreads(2);
  });
  it("gives the same bits, and the split run used the pool", async () => {
    const x = arr(data(6 * 15 * 13 * 12, 7), "float32", [6, 15, 13, 12]);
    const w = arr(data(3 * 3 * 12 * 20, 8), "float32", [3, 3, 12, 20]);
    const c = CASES[0];
    setThreads(1);
    const one = values(conv({ ...c, padding: "SAME" }, x, w));
    setThreads(2);
    const ready = await startThreads();
    const before = convDirectStats.threaded;
    const two = values(conv({ ...c, padding: "SAME" }, x, w));
    if (ready) expect(convDirectStats.threaded).toBeGreaterThan(before);
    else console.log("direct convolution threads: the worker pool could not start here; compared one thread with itself");
    expect(two.length).toBe(one.length);
    for (let i = 0; i < one.length; i++) if (!Object.is(one[i], two[i])) expect({ i, v: two[i] }).toEqual({ i, v: one[i] });
  });
});

describe("the kernel gradient (a convolution whose features are the batch)", () => {
  it("goes through the direct kernel (input copied features-last, output scattered) and matches the generic kernel's", () => {
    const x = arr(data(8 * 14 * 14 * 6, 12), "float32", [8, 14, 14, 6]);
    const w = arr(data(5 * 5 * 6 * 16, 13), "float32", [5, 5, 6, 16]);
    const ct = arr(data(8 * 10 * 10 * 16, 14), "float32", [8, 10, 10, 16]);
    const c: Case = { x: [8, 14, 14, 6], w: [5, 5, 6, 16], strides: [1, 1], padding: "VALID", dn: ["NHWC", "HWIO", "NHWC"], taken: true };
    const f = (xv: Value, wv: Value, cv: Value) => grad((v: Value) => np.sum(np.multiply(conv(c, xv, v), cv)))(wv);
    const want = generic(() => values(f(x, w, ct)));
    const bound = generic(() => values(f(np.abs(x), np.abs(w), np.abs(ct))));
    const before = convDirectStats.calls;
    const got = values(f(x, w, ct));
    expect(convDirectStats.calls - before).toBeGreaterThanOrEqual(1);
    expectWithin(got, want, bound);
  });
});

describe("the input gradient of a stride-2 convolution (input dilation)", () => {
  it("goes through the direct kernel and matches the generic kernel's", () => {
    const c: Case = { x: [3, 11, 11, 8], w: [3, 3, 8, 12], strides: [2, 2], padding: "SAME", dn: ["NHWC", "HWIO", "NHWC"], taken: true };
    const x = arr(data(3 * 11 * 11 * 8, 18), "float32", c.x);
    const w = arr(data(3 * 3 * 8 * 12, 19), "float32", c.w);
    const ct = arr(data(3 * 6 * 6 * 12, 20), "float32", [3, 6, 6, 12]);
    const f = (xv: Value, wv: Value, cv: Value) => grad((v: Value) => np.sum(np.multiply(conv(c, v, wv), cv)))(xv);
    const want = generic(() => values(f(x, w, ct)));
    const bound = generic(() => values(f(np.abs(x), np.abs(w), np.abs(ct))));
    const before = convDirectStats.calls;
    const got = values(f(x, w, ct));
    expect(convDirectStats.calls - before).toBeGreaterThanOrEqual(1);
    expectWithin(got, want, bound);
  });
});

describe("kernel positions in chunks", () => {
  it("give the bits of one pass (the tiles are kept exactly between chunks)", () => {
    // 100 kernel positions of 8 features: 64 per 16 KiB chunk; 1 per chunk at 256 bytes
    const x = arr(data(8 * 14 * 14 * 6, 15), "float32", [8, 14, 14, 6]);
    const w = arr(data(5 * 5 * 6 * 16, 16), "float32", [5, 5, 6, 16]);
    const ct = arr(data(8 * 10 * 10 * 16, 17), "float32", [8, 10, 10, 16]);
    const c: Case = { x: [8, 14, 14, 6], w: [5, 5, 6, 16], strides: [1, 1], padding: "VALID", dn: ["NHWC", "HWIO", "NHWC"], taken: true };
    const f = () => values(grad((v: Value) => np.sum(np.multiply(conv(c, x, v), ct)))(w));
    const prev = setConvDirectChunk(Infinity);
    let one: number[];
    try {
      one = f();
      setConvDirectChunk(256);
      const many = f();
      for (let i = 0; i < one.length; i++) if (!Object.is(one[i], many[i])) expect({ i, v: many[i] }).toEqual({ i, v: one[i] });
    } finally {
      setConvDirectChunk(prev);
    }
    const def = f();
    for (let i = 0; i < one.length; i++) if (!Object.is(one[i], def[i])) expect({ i, v: def[i] }).toEqual({ i, v: one[i] });
  });
});

describe("the input gradient of a stride-1 NHWC convolution", () => {
  it("goes through the direct kernel and matches the generic kernel's", () => {
    const x = arr(data(3 * 10 * 10 * 8, 9), "float32", [3, 10, 10, 8]);
    const w = arr(data(3 * 3 * 8 * 12, 10), "float32", [3, 3, 8, 12]);
    const ct = arr(data(3 * 10 * 10 * 12, 11), "float32", [3, 10, 10, 12]);
    const c = CASES[0];
    const f = (xv: Value, wv: Value, cv: Value) => grad((v: Value) => np.sum(np.multiply(conv(c, v, wv), cv)))(xv);
    const want = generic(() => values(f(x, w, ct)));
    const bound = generic(() => values(f(np.abs(x), np.abs(w), np.abs(ct))));
    const before = convDirectStats.calls;
    const got = values(f(x, w, ct));
    // the forward (unused by the gradient, but traced) and the input gradient's convolution
    expect(convDirectStats.calls - before).toBeGreaterThanOrEqual(1);
    expectWithin(got, want, bound);
  });
});
