/**
 * The CPU's fast paths for pooling (src/backend/cpu/window-reduce.ts: window
 * max/min over a contiguous innermost axis; src/backend/cpu/windowed.ts: the
 * selections row by row): taken for the channels-last case, and giving
 * exactly the values of the generic kernels (bit for bit: NaN where they
 * have NaN, −0 where they have −0) and of an independent reference for
 * the gradient, over padding, strides, dilation, windows larger than the
 * input, ±inf and NaN inputs.
 */
import { describe, expect, it } from "vitest";
import { grad, jit, jvp, lax, nn, np, type Value } from "../src/index.js";
import { setWindowReduceFast, setWindowReduceWasm, windowReduceStats } from "../src/backend/cpu/window-reduce.js";
import { setWindowSelectWasm, windowSelectStats } from "../src/backend/cpu/window-select.js";
import { arr, values } from "./helpers.js";

/** Deterministic data with ties, ±0, ±inf and NaN sprinkled in (by `special`). */
function data(n: number, seed: number, special: boolean): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const r = s / 2 ** 32;
    let v = Math.round(r * 16 - 8) / 2; // small halves: many ties
    if (special) {
      const t = (s >>> 3) % 23;
      v = t === 0 ? NaN : t === 1 ? -Infinity : t === 2 ? Infinity : t === 3 ? -0 : t === 4 ? 0 : v;
    }
    out.push(v);
  }
  return out;
}

/** Same numbers bit for bit up to NaN's payload: NaN where NaN, −0 where −0. */
function expectSame(got: number[], want: number[]) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) expect({ i, got: got[i], want: want[i] }).toEqual({ i, got: want[i], want: want[i] });
  }
}

interface Case {
  shape: number[];
  window: number[];
  strides?: number[];
  padding?: "VALID" | "SAME" | [number, number][];
  windowDilation?: number[];
  baseDilation?: number[];
}
const CASES: Case[] = [
  { shape: [2, 8, 8, 16], window: [1, 2, 2, 1], strides: [1, 2, 2, 1] },
  { shape: [2, 7, 9, 5], window: [1, 3, 3, 1], strides: [1, 2, 1, 1], padding: "SAME" },
  { shape: [1, 6, 6, 8], window: [1, 2, 3, 1], strides: [1, 1, 2, 1], padding: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  { shape: [3, 9, 8, 4], window: [1, 2, 2, 1], windowDilation: [1, 2, 3, 1] },
  { shape: [2, 5, 5, 6], window: [1, 2, 2, 1], strides: [1, 2, 2, 1], baseDilation: [1, 2, 2, 1] },
  { shape: [2, 3, 3, 8], window: [1, 5, 5, 1] }, // larger than the input: no windows
  { shape: [2, 3, 3, 8], window: [1, 5, 5, 1], padding: "SAME" }, // larger, padded
  { shape: [4, 12], window: [3, 1], strides: [2, 1] }, // 2-D, rows of 12
  { shape: [2, 3, 6, 4, 5], window: [1, 2, 2, 2, 1], strides: [1, 1, 2, 1, 1] },
  { shape: [2, 6, 6, 3], window: [1, 2, 2, 1] }, // a run too short for the fast path
];

const describeCase = (c: Case) => JSON.stringify(c);

function pool(x: Value, c: Case, op: "max" | "min"): Value {
  const [init, f] = op === "max" ? [-Infinity, lax.max] : [Infinity, lax.min];
  return lax.reduceWindow(x, init, f, c.window, c.strides, c.padding ?? "VALID", { windowDilation: c.windowDilation, baseDilation: c.baseDilation });
}

/** An independent reference for the gradient of sum(pool(x)·ct): each window's first extreme (row-major) gets its cotangent. */
function referenceGrad(xs: number[], c: Case, op: "max" | "min", ct: number[], outShape: readonly number[]): number[] {
  const nd = c.shape.length;
  const strides = c.strides ?? c.shape.map(() => 1);
  const wd = c.windowDilation ?? c.shape.map(() => 1);
  const bd = c.baseDilation ?? c.shape.map(() => 1);
  const pad = c.padding ?? "VALID";
  const pads = typeof pad !== "string" ? pad : lax.padtypeToPads(
    c.shape.map((n, j) => (n - 1) * bd[j] + 1),
    c.window.map((k, j) => (k - 1) * wd[j] + 1),
    strides,
    pad,
  );
  const inStr = c.shape.map((_, j) => c.shape.slice(j + 1).reduce((a, b) => a * b, 1));
  const g = new globalThis.Array<number>(xs.length).fill(0);
  const nOut = outShape.reduce((a, b) => a * b, 1);
  const nWin = c.window.reduce((a, b) => a * b, 1);
  for (let i = 0; i < nOut; i++) {
    const o = outShape.map((_, j) => Math.floor(i / outShape.slice(j + 1).reduce((a, b) => a * b, 1)) % outShape[j]);
    // over the padded, base-dilated operand, whose padding and holes hold the identity (they can be selected: then the cotangent is dropped)
    let best = -2;
    let bv = 0;
    for (let k = 0; k < nWin; k++) {
      const w = c.window.map((_, j) => Math.floor(k / c.window.slice(j + 1).reduce((a, b) => a * b, 1)) % c.window[j]);
      let flat = 0;
      let inside = true;
      for (let j = 0; j < nd; j++) {
        const p = o[j] * strides[j] + w[j] * wd[j] - pads[j][0];
        if (p < 0 || p % bd[j] !== 0 || p / bd[j] >= c.shape[j]) inside = false;
        flat += (p / bd[j]) * inStr[j];
      }
      const at = inside ? flat : -1;
      const v = inside ? xs[flat] : op === "max" ? -Infinity : Infinity;
      if (k === 0 || !(op === "max" ? bv >= v : bv <= v)) {
        best = at;
        bv = v;
      }
    }
    if (best >= 0) g[best] += ct[i];
  }
  return g;
}

describe("window max/min fast path (CPU)", () => {
  for (const wasm of [true, false])
  for (const special of [false, true]) {
    for (const op of ["max", "min"] as const) {
      for (const c of CASES) {
        it(`${wasm ? "wasm" : "js"} ${op} ${special ? "with ±inf, ±0, NaN " : ""}${describeCase(c)}: as the generic kernel, eager and under jit`, () => {
          const x = arr(data(c.shape.reduce((a, b) => a * b, 1), 7 + c.shape.length, special), "float32", c.shape);
          const prev = setWindowReduceFast(false);
          let generic: number[];
          let genericJit: number[];
          try {
            generic = values(pool(x, c, op));
            genericJit = values(jit((v: Value) => pool(v, c, op))(x));
          } finally {
            setWindowReduceFast(prev);
          }
          const before = windowReduceStats.fast;
          const prevWasm = setWindowReduceWasm(wasm);
          let fast: Value;
          let fastJit: Value;
          try {
            fast = pool(x, c, op);
            fastJit = jit((v: Value) => pool(v, c, op))(x);
          } finally {
            setWindowReduceWasm(prevWasm);
          }
          expectSame(values(fast), generic);
          expectSame(values(fastJit), genericJit);
          const run = c.shape[c.shape.length - 1];
          const taken = fast.size > 0 && run >= 4 && c.window[c.window.length - 1] === 1;
          expect(windowReduceStats.fast > before).toBe(taken);
        });
      }
    }
  }

  it("float64 and a fused producer: the fast path for the plain load, values as the generic kernel", () => {
    const x = arr(data(2 * 6 * 6 * 8, 3, true), "float64", [2, 6, 6, 8]);
    const c: Case = { shape: [2, 6, 6, 8], window: [1, 3, 3, 1], strides: [1, 2, 2, 1], padding: "SAME" };
    const f = jit((v: Value) => pool(np.tanh(v), c, "max"));
    const prev = setWindowReduceFast(false);
    let want: number[];
    let want64: number[];
    try {
      want = values(f(x));
      want64 = values(pool(x, c, "max"));
    } finally {
      setWindowReduceFast(prev);
    }
    expectSame(values(f(x)), want);
    expectSame(values(pool(x, c, "max")), want64);
  });

  // plain reductions whose kept innermost axis is contiguous (np.max over a leading axis) have the same form
  for (const [shape, axis] of [[[7, 12], 0], [[3, 5, 8], 1], [[6, 4, 9], [0, 1]], [[5, 6], 1]] as [number[], number | number[]][]) {
    for (const op of ["max", "min"] as const) {
      it(`np.${op} of ${JSON.stringify(shape)} over axis ${JSON.stringify(axis)} with ±inf, ±0, NaN: as the generic kernel`, () => {
        const x = arr(data(shape.reduce((a, b) => a * b, 1), 13, true), "float32", shape);
        const f = (v: Value) => (op === "max" ? np.max(v, axis) : np.min(v, axis));
        const prev = setWindowReduceFast(false);
        let want: number[];
        try {
          want = values(f(x));
        } finally {
          setWindowReduceFast(prev);
        }
        expectSame(values(f(x)), want);
        expectSame(values(jit(f)(x)), want);
      });
    }
  }

  // producers fused into the window kernel under jit: exact ones (relu, neg, abs, max/min with an
  // exact constant, relu6's clamp) are applied first and folded by the fast path; others stay generic
  const producers: [string, (v: Value) => Value, boolean][] = [
    ["relu", (v) => nn.relu(v), true],
    ["relu6", (v) => nn.relu6(v), true],
    ["neg", (v) => np.negative(v), true],
    ["abs", (v) => np.abs(v), true],
    ["max with 0.5", (v) => np.maximum(v, 0.5), true],
    ["min with 0.1 (arrives rounded to the dtype)", (v) => np.minimum(v, 0.1), true],
    ["tanh", (v) => np.tanh(v), false],
    ["scale", (v) => np.multiply(v, 3), false],
  ];
  for (const dtype of ["float32", "float64"] as const) {
    for (const [name, g, exact] of producers) {
      for (const c of [CASES[0], CASES[1], CASES[3]]) {
        it(`${dtype} ${name} fused before the pool ${describeCase(c)}: as the generic kernel`, () => {
          const x = arr(data(c.shape.reduce((a, b) => a * b, 1), 9, true), dtype, c.shape);
          const f = jit((v: Value) => pool(g(v), c, "max"));
          const prev = setWindowReduceFast(false);
          let want: number[];
          try {
            want = values(f(x));
          } finally {
            setWindowReduceFast(prev);
          }
          const before = windowReduceStats.fast;
          expectSame(values(f(x)), want);
          // a padded pool pads the producer's result: the pad stays between them, and the fold reads a plain load
          const fused = windowReduceStats.fast > before;
          expect(fused).toBe(exact || c.padding !== undefined);
        });
      }
    }
  }
});

describe("selection gradient (select_and_scatter_add): Wasm SIMD and row by row in JS", () => {
  for (const wasm of [true, false])
    for (const special of [false, true]) {
      for (const op of ["max", "min"] as const) {
        for (const c of CASES) {
          it(`${wasm ? "wasm" : "js"} ${op} ${special ? "with ±inf, ±0, NaN " : ""}${describeCase(c)}: the gradient and jvp as an independent reference`, () => {
            const n = c.shape.reduce((a, b) => a * b, 1);
            const xs = data(n, 11 + c.shape.length, special);
            const x = arr(xs, "float32", c.shape);
            const out = pool(x, c, op);
            const cts = data(out.size, 5, false).map((v, i) => v + i / 64);
            const ct = arr(cts, "float32", [...out.shape]);
            const want = referenceGrad(Float32Array.from(xs) as unknown as number[], c, op, Float32Array.from(cts) as unknown as number[], out.shape);
            const f = (v: Value) => np.sum(np.multiply(pool(v, c, op), ct));
            const prev = setWindowSelectWasm(wasm);
            const before = windowSelectStats.wasm;
            const ts = globalThis.Array.from({ length: n }, (_, i) => (i % 7) / 4);
            let g: Value, gj: Value, tangentOut: number;
            try {
              g = grad(f)(x);
              gj = jit(grad(f))(x);
              // the jvp (select_and_gather_add): Σ over windows of ct · t at the selected element = Σ_p grad[p]·t[p]
              tangentOut = values(jvp(f, [x], [arr(ts, "float32", c.shape)])[1])[0];
            } finally {
              setWindowSelectWasm(prev);
            }
            expectSame(values(g), globalThis.Array.from(Float32Array.from(want)));
            expectSame(values(gj), values(g));
            const taken = out.size > 0 && c.shape[c.shape.length - 1] >= 4 && c.window[c.window.length - 1] === 1;
            expect(windowSelectStats.wasm > before).toBe(wasm && taken);
            expect(tangentOut).toBeCloseTo(want.reduce((acc, w, i) => acc + w * ts[i], 0), 3);
          });
        }
      }
    }
});
