/**
 * The CPU's window-sum fast path (avg-pool; src/backend/cpu/window-reduce.ts,
 * `fold_sum`): taken for channels-last windows over two or more axes, and
 * giving the generic kernel's values bit for bit (it sums in float64 in the
 * same order and rounds once), in float32 (WebAssembly and its JavaScript
 * fallback), float64 and float16, over padding, strides, dilations, channel counts
 * that are not a multiple of 4, ±inf, ±0 and NaN; and, independently of both,
 * within float32 rounding of a float64 loop written here from the definition.
 */
import { describe, expect, it } from "vitest";
import { grad, jit, lax, nn, np, type Value } from "../src/index.js";
import { setWindowReduceFast, setWindowReduceWasm, windowReduceStats } from "../src/backend/cpu/window-reduce.js";
import { arr, values } from "./helpers.js";

function data(n: number, seed: number, special: boolean): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    let v = (s / 2 ** 32) * 2 - 1;
    if (special) {
      const t = (s >>> 3) % 29;
      v = t === 0 ? NaN : t === 1 ? -Infinity : t === 2 ? Infinity : t === 3 ? -0 : t === 4 ? 1e30 : v;
    }
    out.push(v);
  }
  return out;
}

function expectSame(got: number[], want: number[]) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) expect({ i, got: got[i] }).toEqual({ i, got: want[i] });
  }
}

interface Case {
  shape: number[];
  window: number[];
  strides?: number[];
  padding?: "VALID" | "SAME" | [number, number][];
  windowDilation?: number[];
  baseDilation?: number[];
  /** Whether the fast path takes it (float32: a window over two or more axes once merged). */
  taken: boolean;
}
const CASES: Case[] = [
  { shape: [2, 8, 8, 16], window: [1, 2, 2, 1], strides: [1, 2, 2, 1], taken: true },
  { shape: [2, 7, 9, 5], window: [1, 3, 3, 1], strides: [1, 2, 1, 1], padding: "SAME", taken: true },
  { shape: [1, 6, 6, 7], window: [1, 2, 3, 1], strides: [1, 1, 2, 1], padding: [[0, 0], [1, 2], [2, 0], [0, 0]], taken: true },
  { shape: [3, 9, 8, 4], window: [1, 2, 2, 1], windowDilation: [1, 2, 3, 1], taken: true },
  { shape: [2, 5, 5, 6], window: [1, 2, 2, 1], strides: [1, 2, 2, 1], baseDilation: [1, 2, 2, 1], taken: true },
  { shape: [2, 3, 6, 4, 9], window: [1, 2, 2, 2, 1], strides: [1, 1, 2, 1, 1], taken: true },
  { shape: [2, 3, 3, 8], window: [1, 3, 3, 1], padding: "SAME", taken: true },
  // a 1-D window: the generic WebAssembly kernel's (float32); a run too short
  { shape: [4, 12, 8], window: [1, 3, 1], strides: [1, 2, 1], taken: false },
  { shape: [2, 6, 6, 3], window: [1, 2, 2, 1], taken: false },
];

function windowSum(x: Value, c: Case): Value {
  return lax.reduceWindow(x, 0, lax.add, c.window, c.strides, c.padding ?? "VALID", { windowDilation: c.windowDilation, baseDilation: c.baseDilation });
}

/** Σ over each window of the padded, base-dilated operand, in float64 (holes and padding add 0). */
function reference(xs: number[], c: Case, outShape: readonly number[]): { sum: number[]; abs: number[] } {
  const nd = c.shape.length;
  const strides = c.strides ?? c.shape.map(() => 1);
  const wd = c.windowDilation ?? c.shape.map(() => 1);
  const bd = c.baseDilation ?? c.shape.map(() => 1);
  const pad = c.padding ?? "VALID";
  const pads = typeof pad !== "string" ? pad : lax.padtypeToPads(c.shape.map((n, j) => (n - 1) * bd[j] + 1), c.window.map((k, j) => (k - 1) * wd[j] + 1), strides, pad);
  const inStr = c.shape.map((_, j) => c.shape.slice(j + 1).reduce((a, b) => a * b, 1));
  const nOut = outShape.reduce((a, b) => a * b, 1);
  const nWin = c.window.reduce((a, b) => a * b, 1);
  const sum: number[] = [], abs: number[] = [];
  for (let i = 0; i < nOut; i++) {
    const o = outShape.map((_, j) => Math.floor(i / outShape.slice(j + 1).reduce((a, b) => a * b, 1)) % outShape[j]);
    let s = 0, a = 0;
    for (let k = 0; k < nWin; k++) {
      const w = c.window.map((_, j) => Math.floor(k / c.window.slice(j + 1).reduce((p, q) => p * q, 1)) % c.window[j]);
      let flat = 0, inside = true;
      for (let j = 0; j < nd; j++) {
        const p = o[j] * strides[j] + w[j] * wd[j] - pads[j][0];
        if (p < 0 || p % bd[j] !== 0 || p / bd[j] >= c.shape[j]) inside = false;
        flat += (p / bd[j]) * inStr[j];
      }
      if (inside) (s += xs[flat]), (a += Math.abs(xs[flat]));
    }
    sum.push(s);
    abs.push(a);
  }
  return { sum, abs };
}

function generic<T>(f: () => T): T {
  const prev = setWindowReduceFast(false);
  try {
    return f();
  } finally {
    setWindowReduceFast(prev);
  }
}

describe("window sum fast path (CPU)", () => {
  for (const dtype of ["float32", "float64", "float16"] as const)
    for (const wasm of dtype === "float32" ? [true, false] : [false])
      for (const special of [false, true])
        for (const c of CASES) {
          it(`${dtype} ${wasm ? "wasm" : "js"} ${special ? "with ±inf, ±0, NaN " : ""}${JSON.stringify(c)}: the generic kernel's bits, eager and under jit`, () => {
            const xs = data(c.shape.reduce((a, b) => a * b, 1), 5 + c.shape.length, special);
            const x = arr(xs, dtype, c.shape);
            const want = generic(() => values(windowSum(x, c)));
            const wantJit = generic(() => values(jit((v: Value) => windowSum(v, c))(x)));
            const before = windowReduceStats.sum;
            const prevWasm = setWindowReduceWasm(wasm);
            let got: Value, gotJit: Value;
            try {
              got = windowSum(x, c);
              gotJit = jit((v: Value) => windowSum(v, c))(x);
            } finally {
              setWindowReduceWasm(prevWasm);
            }
            expectSame(values(got), want);
            expectSame(values(gotJit), wantJit);
            // a float64 window over one axis has no generic WebAssembly kernel: the fold takes it too
            // (float16 is summed by the generic JavaScript kernel in float64 too, then rounded to float16)
            const taken = c.taken || (dtype !== "float32" && c.shape[c.shape.length - 1] >= 4);
            expect(windowReduceStats.sum > before).toBe(taken && got.size > 0);
            if (!special && dtype !== "float16") {
              // independently: within rounding of a float64 loop (float32 inputs are exact in float64)
              const xr = dtype === "float32" ? Array.from(Float32Array.from(xs)) : xs;
              const ref = reference(xr, c, got.shape);
              const g = values(got);
              const eps = dtype === "float32" ? 2 ** -24 : 2 ** -53;
              for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - ref.sum[i])).toBeLessThanOrEqual(2 * eps * ref.abs[i]);
            }
          });
        }

  it("avg-pool and its gradient (a window sum again, of the cotangent) take it and match the generic kernels", () => {
    const x = arr(data(4 * 12 * 12 * 8, 21, false), "float32", [4, 12, 12, 8]);
    const ct = arr(data(4 * 12 * 12 * 8, 22, false), "float32", [4, 12, 12, 8]);
    const pool = (v: Value) => nn.avgPool(v, [3, 3], { strides: [1, 1], padding: "SAME" });
    const f = jit((v: Value, c: Value) => [pool(v), grad((u: Value) => np.sum(np.multiply(pool(u), c)))(v)]);
    const [wy, wg] = generic(() => (f(x, ct) as Value[]).map(values));
    const before = windowReduceStats.sum;
    const [y, g] = (f(x, ct) as Value[]).map(values);
    expect(windowReduceStats.sum - before).toBeGreaterThanOrEqual(2);
    expectSame(y, wy);
    expectSame(g, wg);
  });
});
