/**
 * lax.reduceWindow, its primitives (reduce_window_sum/max/min,
 * select_and_gather_add, select_and_scatter_add), lax.cumlogsumexp,
 * lax.padtypeToPads and nn's pooling, on the CPU:
 *
 * - against real JAX (test/fixtures/windowed/generate.py, JAX 0.10.2,
 *   float32): values, the jvp along a tangent and the vjp of a cotangent,
 *   for sum/max/min and a generic computation (lax.mul), 1-D to 4-D, strides,
 *   every padding kind, base and window dilation; max/min inputs are small
 *   integers so that windows hold ties, where JAX gives the whole gradient
 *   to one element;
 * - finite differences in float64 (distinct values, so max/min are smooth);
 * - vmap against a loop (the batching rules), jit against eager;
 * - typed errors for bad arguments.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Array, grad, jit, jvp, lax, nn, np, random, vjp, vmap, type Value } from "../src/index.js";
import { ArgumentError, DTypeError, ShapeError } from "../src/errors.js";
import { bind, type Primitive } from "../src/trace/core.js";
import { arr, expectClose, finiteDiff, randArr, values, dot } from "./helpers.js";

type Enc = number | "nan" | "inf" | "-inf";
interface Tensor {
  shape: number[];
  data: Enc[];
}
type Pads = string | [number, number][];
interface WindowCase {
  /** Absent where the init value is the computation's identity. */
  init?: Enc;
  op: "sum" | "max" | "min" | "mul";
  window: number[];
  strides: number[] | null;
  padding: Pads;
  baseDilation: number[] | null;
  windowDilation: number[] | null;
  x: Tensor;
  out: Tensor;
  t: Tensor;
  tout: Tensor;
  ct?: Tensor;
  grad?: Tensor;
  /** max/min: per output, whether its window holds tied extremes, and the tangent at the first of them (a numpy reference). */
  tied?: number[];
  toutFirst?: Tensor;
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/windowed/cases.json", import.meta.url), "utf8")) as {
  reduceWindow: WindowCase[];
  tuples: { window: number[]; strides: number[]; padding: Pads; x: Tensor; idx: Tensor; out: Tensor[]; t: Tensor; tout: Tensor }[];
  cumlogsumexp: { axis: number; reverse: boolean; x: Tensor; out: Tensor; ct: Tensor; grad: Tensor }[];
  pools: { fn: "maxPool" | "minPool" | "avgPool"; window: number[]; strides: number[]; padding: Pads; countIncludePad: boolean | null; x: Tensor; out: Tensor; ct: Tensor; grad: Tensor }[];
  pads: { inShape: number[]; window: number[]; strides: number[]; padding: string; pads: [number, number][] }[];
};

const dec = (v: Enc) => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v);
const toArray = (t: Tensor, dtype: "float32" | "float64" = "float32") => arr(t.data.map(dec), dtype, t.shape);
const COMP = { sum: lax.add, max: lax.max, min: lax.min, mul: lax.mul } as const;
const INIT = { sum: 0, max: -Infinity, min: Infinity, mul: 1 } as const;
const initOf = (c: WindowCase) => (c.init === undefined ? INIT[c.op] : dec(c.init));

function expectTensor(got: Value, want: Tensor, tol = 1e-5) {
  expect(got.shape).toEqual(want.shape);
  expectClose(got, want.data.map(dec), tol);
}

const windowFn = (c: WindowCase) => (x: Value) =>
  lax.reduceWindow(x, initOf(c), COMP[c.op], c.window, c.strides ?? undefined, c.padding, {
    baseDilation: c.baseDilation ?? undefined,
    windowDilation: c.windowDilation ?? undefined,
  });

const label = (c: WindowCase) =>
  `${c.op}${initOf(c) !== INIT[c.op] ? ` init ${initOf(c)}` : ""} x${JSON.stringify(c.x.shape)} w${JSON.stringify(c.window)} s${JSON.stringify(c.strides)} ${JSON.stringify(c.padding)}` +
  `${c.baseDilation ? ` bd${JSON.stringify(c.baseDilation)}` : ""}${c.windowDilation ? ` wd${JSON.stringify(c.windowDilation)}` : ""}`;

describe("lax.reduceWindow against JAX", () => {
  it.each(fixture.reduceWindow.map((c) => [label(c), c] as const))("%s", (_name, c) => {
    const f = windowFn(c);
    const x = toArray(c.x);
    expectTensor(f(x), c.out);
    const [, tout] = jvp(f, [x], [toArray(c.t)]);
    // at a tie JAX's jvp (a variadic reduce_window) may take another tied element than its vjp; jaxon's
    // jvp is the transpose of its vjp (the first extreme, as JAX's vjp), so tied windows are checked
    // against the numpy reference of that rule and the others against JAX's jvp
    const want = c.tied && c.toutFirst ? { shape: c.tout.shape, data: c.tout.data.map((v, i) => (c.tied![i] ? c.toutFirst!.data[i] : v)) } : c.tout;
    expectTensor(tout as Value, want, 1e-5);
    if (c.grad && c.ct) {
      const [, pull] = vjp(f, x);
      expectTensor(pull(toArray(c.ct))[0] as Value, c.grad, 1e-5);
    }
  });

  it("covers every padding kind, dilation and ties", () => {
    const cs = fixture.reduceWindow;
    for (const p of ["VALID", "SAME", "SAME_LOWER"]) expect(cs.some((c) => c.padding === p)).toBe(true);
    expect(cs.some((c) => typeof c.padding !== "string")).toBe(true);
    expect(cs.some((c) => c.baseDilation && c.op === "max" && c.grad)).toBe(true);
    expect(cs.some((c) => c.windowDilation && c.op === "max")).toBe(true);
    // a tie somewhere in a max case's windows: JAX's gradient differs from a split one there
    expect(cs.some((c) => c.op === "max" && c.x.data.every((v) => v === 1))).toBe(true);
  });

  it("gives tied maxima's gradient to the first of each window, as JAX", () => {
    const x = np.ones([3, 3], "float32");
    const g = grad((v: Value) => np.sum(lax.reduceWindow(v, -Infinity, lax.max, [2, 2], [1, 1])))(x);
    // each 2x2 window's first element takes its 1: (0,0), (0,1), (1,0), (1,1)
    expect(values(g)).toEqual([1, 1, 0, 1, 1, 0, 0, 0, 0]);
  });
});

describe("lax.reduceWindow over several operands against JAX", () => {
  // argmax pooling: each window's maximum and the index where it is, as a pair fold
  const pick = ([av, ai]: Value[], [bv, bi]: Value[]) => {
    const takeA = lax.ge(av, bv);
    return [lax.select(takeA, av, bv), lax.select(takeA, ai, bi)];
  };
  it.each(fixture.tuples.map((c) => [`x${JSON.stringify(c.x.shape)} w${JSON.stringify(c.window)} ${JSON.stringify(c.padding)}`, c] as const))("%s", (_n, c) => {
    const idx = toArray(c.idx);
    const f = (v: Value) => lax.reduceWindow([v, idx], [-Infinity, -1], pick, c.window, c.strides, c.padding);
    const x = toArray(c.x);
    const outs = f(x);
    expect(outs.length).toBe(2);
    outs.forEach((o, i) => expectTensor(o, c.out[i], 0));
    const [, touts] = jvp((v: Value) => f(v)[0], [x], [toArray(c.t)]);
    expectTensor(touts as Value, c.tout, 1e-6);
    expectClose(jit(f)(x)[1], outs[1], 0);
    const xs = np.stack([x, np.flip(x)]);
    expectClose(vmap((v: Value) => f(v)[1])(xs), np.stack([f(x)[1], f(np.flip(x))[1]]), 0);
  });

  it("refuses mismatched operands and init values", () => {
    const x = np.ones([3], "float32");
    expect(() => lax.reduceWindow([x, x], [0], pick, [2])).toThrow(ShapeError);
    expect(() => lax.reduceWindow([x, np.ones([4], "float32")], [0, 0], pick, [2])).toThrow(ShapeError);
    expect(() => lax.reduceWindow([x, x], 0 as unknown as number[], pick, [2])).toThrow(ShapeError);
    expect(() => lax.reduceWindow([x, x], [0, 0], (a: Value[]) => [a[0]], [2])).toThrow(DTypeError);
  });
});

describe("lax.padtypeToPads against JAX", () => {
  it.each(fixture.pads.map((c) => [`${c.padding} ${JSON.stringify(c.inShape)}`, c] as const))("%s", (_n, c) => {
    expect(lax.padtypeToPads(c.inShape, c.window, c.strides, c.padding)).toEqual(c.pads);
  });
});

describe("lax.cumlogsumexp against JAX", () => {
  it.each(fixture.cumlogsumexp.map((c) => [`axis ${c.axis} reverse ${c.reverse} ${JSON.stringify(c.x.shape)}`, c] as const))("%s", (_n, c) => {
    const f = (x: Value) => lax.cumlogsumexp(x, c.axis, c.reverse);
    const x = toArray(c.x);
    expectTensor(f(x), c.out, 1e-5);
    const [, pull] = vjp(f, x);
    expectTensor(pull(toArray(c.ct))[0] as Value, c.grad, 1e-5);
  });

  it("is stable far from zero and handles -inf", () => {
    expectClose(lax.cumlogsumexp(arr([1000, 1000, -Infinity])), [1000, 1000 + Math.LN2, 1000 + Math.LN2], 1e-12);
    expectClose(lax.cumlogsumexp(arr([-Infinity, -Infinity])), [-Infinity, -Infinity]);
    expect(() => lax.cumlogsumexp(np.array([1, 2], "int32"))).toThrow(DTypeError);
  });
});

describe("nn pooling functions against JAX (flax's definitions)", () => {
  const fns = { maxPool: nn.maxPool, minPool: nn.minPool, avgPool: nn.avgPool };
  it.each(fixture.pools.map((c) => [`${c.fn} w${JSON.stringify(c.window)} s${JSON.stringify(c.strides)} ${JSON.stringify(c.padding)} ${c.countIncludePad}`, c] as const))(
    "%s",
    (_n, c) => {
      const opts = { strides: c.strides, padding: c.padding, ...(c.countIncludePad === null ? {} : { countIncludePad: c.countIncludePad }) };
      const f = (x: Value) => fns[c.fn](x, c.window, opts);
      const x = toArray(c.x);
      expectTensor(f(x), c.out, 1e-5);
      const [, pull] = vjp(f, x);
      expectTensor(pull(toArray(c.ct))[0] as Value, c.grad, 1e-5);
    },
  );
});

describe("gradients by finite differences (float64)", () => {
  const cases: [string, (x: Value) => Value, number[]][] = [
    ["sum SAME strided", (x) => lax.reduceWindow(x, 0, lax.add, [3, 2], [2, 1], "SAME"), [5, 4]],
    ["sum dilated", (x) => lax.reduceWindow(x, 0, lax.add, [2, 2], [1, 2], [[1, 0], [2, 1]], { baseDilation: [2, 1], windowDilation: [1, 2] }), [4, 5]],
    ["max SAME", (x) => lax.reduceWindow(x, -Infinity, lax.max, [3, 3], [2, 1], "SAME"), [5, 4]],
    ["max window dilation", (x) => lax.reduceWindow(x, -Infinity, lax.max, [2, 2], [1, 1], "VALID", { windowDilation: [2, 1] }), [5, 4]],
    ["min base dilation", (x) => lax.reduceWindow(x, Infinity, lax.min, [2, 3], [1, 1], [[0, 1], [1, 1]], { baseDilation: [1, 2] }), [3, 4]],
    ["avgPool", (x) => nn.avgPool(x, [2, 2], { padding: "SAME", countIncludePad: false }), [2, 3, 4, 2]],
    ["generic mul", (x) => lax.reduceWindow(x, 1, lax.mul, [2, 2], [1, 1], "SAME"), [3, 4]],
    ["cumlogsumexp", (x) => lax.cumlogsumexp(x, 1, true), [3, 5]],
  ];
  it.each(cases)("%s", (_n, f, shape) => {
    const x = randArr(shape, 7, -2, 2);
    const dir = randArr(shape, 8);
    const w = randArr(f(x).shape as number[], 9);
    const loss = (v: Value) => np.sum(np.multiply(f(v), w));
    const g = grad(loss)(x) as Array;
    const fd = finiteDiff(loss as (x: Array) => Value, x, dir)[0];
    expect(Math.abs(dot(values(g), values(dir)) - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
    // forward mode agrees with reverse mode
    const [, t] = jvp(loss, [x], [dir]);
    expect(Math.abs(values(t as Value)[0] - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
  });

  it("second derivatives: the selections are linear in their first operand", () => {
    const x = randArr([4, 4], 3, -1, 1);
    const f = (v: Value) => np.sum(np.square(lax.reduceWindow(v, -Infinity, lax.max, [2, 2], [1, 1])));
    const dir = randArr([4, 4], 4);
    const hv = jvp(grad(f), [x], [dir])[1] as Array;
    const fd = (s: number) => values(grad(f)(arr(values(x).map((v, i) => v + s * values(dir)[i]), "float64", [4, 4])));
    const e = 1e-6;
    expectClose(hv, fd(e).map((v, i) => (v - fd(-e)[i]) / (2 * e)), 1e-5);
  });
});

describe("vmap and jit", () => {
  const fs: [string, (x: Value) => Value][] = [
    ["sum", (x) => lax.reduceWindow(x, 0, lax.add, [2, 3], [1, 2], "SAME")],
    ["max", (x) => lax.reduceWindow(x, -Infinity, lax.max, [3, 2], [2, 1], "SAME", { baseDilation: [1, 2] })],
    ["max grad", (x) => grad((v: Value) => np.sum(np.multiply(lax.reduceWindow(v, -Infinity, lax.max, [2, 2], [2, 1], "SAME"), v.shape[0])))(x)],
    ["min grad", (x) => grad((v: Value) => np.sum(np.sin(lax.reduceWindow(v, Infinity, lax.min, [2, 2], [1, 1]))))(x)],
    ["sum grad", (x) => grad((v: Value) => np.sum(np.sin(lax.reduceWindow(v, 0, lax.add, [3, 2], [2, 2], "SAME"))))(x)],
    ["generic", (x) => lax.reduceWindow(x, 1, lax.mul, [2, 2], [1, 1])],
  ];
  const xs = arr([...randArr([3, 5, 6], 11, 0, 4).dataSync()].map((v) => Math.round(v)), "float32", [3, 5, 6]);

  it.each(fs)("vmap(%s) equals a loop, on axis 0 and 1", (_n, f) => {
    const loop = np.stack([0, 1, 2].map((i) => f(np.take(xs, i, 0))));
    expectClose(vmap(f)(xs), loop, 1e-6);
    const moved = np.moveaxis(xs, 0, 1);
    expectClose(vmap(f, { inAxes: 1 })(moved), loop, 1e-6);
  });

  it.each(fs)("jit(%s) equals eager", (_n, f) => {
    const x = np.take(xs, 0, 0);
    expectClose(jit(f)(x), f(x), 1e-6);
  });

  it("jit fuses an elementwise producer into the window reduction (one kernel)", () => {
    const x = randArr([2, 6, 6, 3], 12, -1, 1, "float32");
    const f = (v: Value) => nn.maxPool(np.tanh(v.mul(2)), [2, 2], { strides: [2, 2] });
    const jf = jit(f) as unknown as ((v: Value) => Value) & { lower(v: Value): { kernels: number } };
    expect(jf.lower(x).kernels).toBe(1);
    expectClose(jf(x), f(x), 1e-6);
  });

  it("vmap of a jvp with an unbatched operand (select_and_gather_add with one batched argument)", () => {
    const x = arr([[3, 1, 4], [1, 5, 9], [2, 6, 5]], "float32");
    const f = (v: Value) => lax.reduceWindow(v, -Infinity, lax.max, [2, 2], [1, 1]);
    const ts = randArr([4, 3, 3], 5, -1, 1, "float32");
    const batched = vmap((t: Value) => jvp(f, [x], [t])[1] as Value)(ts);
    const loop = np.stack([0, 1, 2, 3].map((i) => jvp(f, [x], [np.take(ts, i, 0)])[1] as Value));
    expectClose(batched, loop, 1e-6);
  });

  it("vmap over the init value, and a computation that closes over a traced value", () => {
    const x = arr([1, 3, 2, 5, 4], "float32");
    const inits = arr([0, 2.5, 4.5], "float32");
    for (const comp of [lax.max, (a: Value, b: Value) => lax.max(a, b)]) {
      const f = (i: Value) => lax.reduceWindow(x, i, comp, [2], [1], "SAME");
      expectClose(vmap(f)(inits), np.stack([0, 1, 2].map((k) => f(np.take(inits, k, 0)))), 0);
    }
    // d/ds of Σ windows of (a·s + b): the computation's constant s is an input of the primitive
    const g = grad((s: Value) => np.sum(lax.reduceWindow(x, 0, (a: Value, b: Value) => lax.add(a, lax.mul(b, s)), [2], [1])));
    // windows [1,3], [3,2], [2,5], [5,4]: Σ = 25
    expectClose(g(arr(2, "float32")), [25], 1e-6);
  });

  it("select_and_scatter_add by hand: 1-D windows with a stride, and its transpose", () => {
    const x = arr([1, 3, 2, 2, 5, 0, 5], "float32");
    const src = arr([10, 20, 30], "float32");
    const p = { windowDimensions: [3], windowStrides: [2], windowDilation: [1], selectPrim: "ge" as const };
    // windows [1,3,2] → index 1, [2,2,5] → 4, [5,0,5] → 4 (the first 5)
    const out = bind(lax.selectAndScatterAddP as unknown as Primitive, [src, x], p)[0];
    expect(values(out)).toEqual([0, 10, 0, 0, 50, 0, 0]);
    const back = bind(lax.selectAndGatherAddP as unknown as Primitive, [arr([0, 1, 2, 3, 4, 5, 6], "float32"), x], p)[0];
    expect(values(back)).toEqual([1, 4, 4]);
  });
});

describe("pooling layers", () => {
  it("MaxPool, AvgPool, SumPool and GlobalAvgPool in a stax network", () => {
    const net = nn.serial(nn.MaxPool([2, 2], { strides: [2, 2] }), nn.AvgPool([3, 3], { padding: "SAME" }), nn.SumPool([2, 1]), nn.GlobalAvgPool(), nn.Dense(3));
    const [shape, params] = net.init(random.key(0), [-1, 8, 8, 4]);
    expect(shape).toEqual([-1, 3]);
    const x = randArr([2, 8, 8, 4], 2, -1, 1, "float32");
    expect(net.apply(params, x).shape).toEqual([2, 3]);
    expect(nn.MaxPool([3, 3], { strides: [2, 2], padding: "SAME" }).init(random.key(0), [-1, 7, 7, 2])[0]).toEqual([-1, 4, 4, 2]);
    expect(nn.SumPool([2, 2], { spec: "NCHW" }).init(random.key(0), [5, 3, 6, 6])[0]).toEqual([5, 3, 5, 5]);
  });

  it("AvgPool divides by the elements inside the input (stax), avgPool by the window unless countIncludePad is false", () => {
    const x = randArr([1, 4, 5, 2], 3, -1, 1, "float32");
    const layer = nn.AvgPool([3, 3], { padding: "SAME" }).apply([], x);
    expectClose(layer, nn.avgPool(x, [3, 3], { padding: "SAME", countIncludePad: false }), 1e-6);
    const sums = nn.SumPool([3, 3], { padding: "SAME" }).apply([], x);
    expectClose(nn.avgPool(x, [3, 3], { padding: "SAME" }), np.divide(sums, 9), 1e-6);
    expectClose(nn.GlobalAvgPool().apply([], x), np.mean(x, [1, 2]), 1e-6);
  });

  it("pools along the layout a spec names", () => {
    const x = randArr([2, 3, 6, 6], 4, -1, 1, "float32");
    const nchw = nn.MaxPool([2, 2], { strides: [2, 2], spec: "NCHW" }).apply([], x);
    const nhwc = nn.MaxPool([2, 2], { strides: [2, 2] }).apply([], np.transpose(x, [0, 2, 3, 1]));
    expectClose(nchw, np.transpose(nhwc, [0, 3, 1, 2]), 0);
  });
});

describe("errors", () => {
  const x = np.ones([4, 4], "float32");
  it("are typed and name the operation", () => {
    expect(() => lax.reduceWindow(x, 0, lax.add, [2], [1])).toThrow(ShapeError);
    expect(() => lax.reduceWindow(x, 0, lax.add, [2, 0])).toThrow(/lax.reduceWindow/);
    expect(() => lax.reduceWindow(x, 0, lax.add, [2, 2], [1, -1])).toThrow(ShapeError);
    expect(() => lax.reduceWindow(x, 0, lax.add, [2, 2], [1, 1], "FULL")).toThrow(ArgumentError);
    expect(() => lax.reduceWindow(x, 0, lax.add, [2, 2], [1, 1], [[0, 0]])).toThrow(ShapeError);
    expect(() => lax.reduceWindow(x, np.zeros([], "int32"), lax.add, [2, 2])).toThrow(DTypeError);
    expect(() => lax.reduceWindow(x, "0" as unknown as number, lax.add, [2, 2])).toThrow(DTypeError);
    expect(() => lax.reduceWindow(x, 0, 3 as unknown as typeof lax.add, [2, 2])).toThrow(ArgumentError);
    expect(() => lax.reduceWindow(x, 0, lax.add, [2, 2], [1, 1], "VALID", { baseDilation: [0, 1] })).toThrow(ShapeError);
    expect(() => lax.reduceWindow(x, 0, (a: Value) => np.stack([a, a]), [2, 2])).toThrow(DTypeError);
    expect(() => bind(lax.reduceWindowSumP as unknown as Primitive, [x], { windowDimensions: [2], windowStrides: [1], windowDilation: [1] })).toThrow(ShapeError);
    expect(() => lax.padtypeToPads([4], [2], [1], "FULL")).toThrow(ArgumentError);
    expect(() => nn.maxPool(x, [2, 2])).toThrow(ShapeError);
    expect(() => nn.MaxPool([2, 2]).init(random.key(0), [-1, 4, 4])).toThrow(ShapeError);
    expect(() => nn.avgPool(np.ones([1, 4, 4, 1]), [2, 2], { countIncludePad: "yes" as unknown as boolean })).toThrow(ArgumentError);
    expect(() => nn.avgPool(np.ones([1, 4, 4, 1], "int32"), [2, 2])).toThrow(DTypeError);
    expect(() => nn.MaxPool([2, 2], { padding: [[0, 1]] })).toThrow(ShapeError);
    expect(() => nn.MaxPool([2, 2], { padding: 3 as unknown as string })).toThrow(ArgumentError);
    expect(() => nn.MaxPool([2, 2], { strides: [1] }).init(random.key(0), [-1, 4, 4, 1])).toThrow(ShapeError);
    expect(() => nn.maxPool(np.ones([1, 4, 4, 1]), [2, 2], { padding: [[0, 1], [1]] as unknown as [number, number][] })).toThrow(ShapeError);
  });

  it("empty windows and empty outputs", () => {
    // a window larger than the input: no windows, and a zero gradient
    const y = lax.reduceWindow(np.ones([2, 3]), 0, lax.add, [3, 3]);
    expect(y.shape).toEqual([0, 1]);
    expect(values(grad((v: Value) => np.sum(lax.reduceWindow(v, -Infinity, lax.max, [3, 3])))(np.ones([2, 3])))).toEqual([0, 0, 0, 0, 0, 0]);
    // a 0-d operand: the init value joins the element
    expect(values(lax.reduceWindow(np.array(3), 0, lax.add, []))).toEqual([3]);
  });
});
