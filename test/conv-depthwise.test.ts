/**
 * The depthwise convolution in WebAssembly SIMD (src/backend/cpu/conv-depthwise.ts)
 * against the JavaScript depthwise loop (conv.ts, float64 sums): channels-last
 * inputs with 1 to 67 channels (not a multiple of 4 too), strides, padding,
 * kernel and input dilation, 1-D, 2-D and 3-D, NaN inputs; within float32
 * rounding of Σ|x·w|; taken where it applies and not elsewhere (a channel
 * multiplier of 2, NCHW); one thread and two give the same bits; the input
 * gradient (a depthwise convolution too) goes through it.
 */
import { afterAll, describe, expect, it } from "vitest";
import { grad, lax, np, type Value } from "../src/index.js";
import { convDepthwiseStats, setConvDepthwiseWasm } from "../src/backend/cpu/conv-depthwise.js";
import { setThreads, startThreads } from "../src/backend/cpu/threads.js";
import { arr, values } from "./helpers.js";

function data(n: number, seed: number, nan = false): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out.push(nan && s % 83 === 0 ? NaN : s / 2 ** 32 - 0.5);
  }
  return out;
}
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

interface Case {
  x: number[];
  w: number[];
  strides: number[];
  padding: "SAME" | "VALID" | [number, number][];
  rhsDilation?: number[];
  lhsDilation?: number[];
  groups: number;
  dn: [string, string, string];
  taken: boolean;
}
const CASES: Case[] = [
  { x: [4, 12, 12, 16], w: [3, 3, 1, 16], strides: [1, 1], padding: "SAME", groups: 16, dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  { x: [3, 11, 9, 13], w: [3, 2, 1, 13], strides: [2, 1], padding: [[2, 1], [0, 3]], groups: 13, dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  { x: [2, 13, 13, 3], w: [3, 3, 1, 3], strides: [1, 2], padding: "SAME", rhsDilation: [2, 2], groups: 3, dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  { x: [2, 7, 7, 8], w: [3, 3, 1, 8], strides: [1, 1], padding: [[1, 1], [2, 2]], lhsDilation: [2, 1], groups: 8, dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  { x: [5, 17, 67], w: [5, 1, 67], strides: [1], padding: "VALID", groups: 67, dn: ["NWC", "WIO", "NWC"], taken: true },
  { x: [2, 4, 6, 5, 12], w: [2, 3, 2, 1, 12], strides: [1, 2, 1], padding: "SAME", groups: 12, dn: ["NDHWC", "DHWIO", "NDHWC"], taken: true },
  { x: [2, 9, 9, 10], w: [10, 1, 3, 3], strides: [1, 1], padding: "SAME", groups: 10, dn: ["NHWC", "OIHW", "NHWC"], taken: true },
  // not taken: two output features per group, NCHW
  { x: [2, 9, 9, 6], w: [3, 3, 1, 12], strides: [1, 1], padding: "SAME", groups: 6, dn: ["NHWC", "HWIO", "NHWC"], taken: false },
  { x: [2, 6, 9, 9], w: [6, 1, 3, 3], strides: [1, 1], padding: "SAME", groups: 6, dn: ["NCHW", "OIHW", "NCHW"], taken: false },
];

const conv = (c: Case, x: Value, w: Value): Value =>
  lax.convGeneralDilated(x, w, c.strides, c.padding, { rhsDilation: c.rhsDilation, lhsDilation: c.lhsDilation, featureGroupCount: c.groups, dimensionNumbers: c.dn });

function js<T>(f: () => T): T {
  const prev = setConvDepthwiseWasm(false);
  try {
    return f();
  } finally {
    setConvDepthwiseWasm(prev);
  }
}

function expectWithin(got: number[], want: number[], bound: number[]) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (Number.isNaN(want[i])) {
      if (!Number.isNaN(got[i])) expect({ i, got: got[i] }).toEqual({ i, got: NaN });
      continue;
    }
    const tol = 2e-6 * bound[i] + 1e-30;
    if (!(Math.abs(got[i] - want[i]) <= tol)) expect({ i, got: got[i] }).toEqual({ i, got: want[i], tol });
  }
}

describe("depthwise convolution in WebAssembly (conv-depthwise.ts)", () => {
  for (const nan of [false, true])
    for (const c of CASES) {
      it(`${JSON.stringify(c)}${nan ? " with NaN" : ""}: as the JavaScript loop, within float32 rounding`, () => {
        const xd = data(size(c.x), 3, nan), wd = data(size(c.w), 5);
        const x = arr(xd, "float32", c.x), w = arr(wd, "float32", c.w);
        const want = js(() => values(conv(c, x, w)));
        const bound = js(() => values(conv(c, arr(xd.map(Math.abs), "float32", c.x), arr(wd.map(Math.abs), "float32", c.w))));
        const before = convDepthwiseStats.calls;
        const got = values(conv(c, x, w));
        expect(convDepthwiseStats.calls > before).toBe(c.taken);
        expectWithin(got, want, bound);
      });
    }

  it("the input gradient (a depthwise convolution of the cotangent) takes it too", () => {
    const c = CASES[0];
    const x = arr(data(size(c.x), 7), "float32", c.x), w = arr(data(size(c.w), 8), "float32", c.w);
    const ct = arr(data(size(c.x), 9), "float32", c.x);
    const f = (xv: Value, wv: Value, cv: Value) => grad((v: Value) => np.sum(np.multiply(conv(c, v, wv), cv)))(xv);
    const want = js(() => values(f(x, w, ct)));
    const bound = js(() => values(f(np.abs(x), np.abs(w), np.abs(ct))));
    const before = convDepthwiseStats.calls;
    const got = values(f(x, w, ct));
    expect(convDepthwiseStats.calls).toBeGreaterThan(before);
    expectWithin(got, want, bound);
  });
});

describe("depthwise convolution on one thread and on two", () => {
  afterAll(() => setThreads(2));
  it("gives the same bits", async () => {
    const c: Case = { x: [16, 32, 32, 32], w: [3, 3, 1, 32], strides: [1, 1], padding: "SAME", groups: 32, dn: ["NHWC", "HWIO", "NHWC"], taken: true };
    const x = arr(data(size(c.x), 11), "float32", c.x), w = arr(data(size(c.w), 12), "float32", c.w);
    setThreads(1);
    const one = values(conv(c, x, w));
    setThreads(2);
    const ready = await startThreads();
    const before = convDepthwiseStats.threaded;
    const two = values(conv(c, x, w));
    if (ready) expect(convDepthwiseStats.threaded).toBeGreaterThan(before);
    else console.log("depthwise threads: the worker pool could not start here; compared one thread with itself");
    for (let i = 0; i < one.length; i++) if (!Object.is(one[i], two[i])) expect({ i, v: two[i] }).toEqual({ i, v: one[i] });
  });
});
