/**
 * lax.convGeneralDilated and friends on the CPU: values and gradients with
 * respect to both operands against real JAX (test/fixtures/conv/generate.py)
 * over 1-D/2-D/3-D, strides, every padding kind, lhs/rhs dilation, feature
 * and batch groups, depthwise, NCHW/NHWC and permuted layouts, and
 * convTranspose; float64 finite differences; vmap over either operand (and
 * both) against a loop; jit against eager; typed errors; nn.Conv layers and a
 * small CNN whose SGD losses match the same model in JAX.
 */
import { describe, expect, it } from "vitest";
import { grad, jit, lax, nn, np, random, vmap, type Value } from "../src/index.js";
import { DTypeError, ShapeError } from "../src/errors.js";
import { arr, finiteDiff, rand, randArr, values } from "./helpers.js";
import { convOf, fixture } from "./conv-fixture.js";

function expectNear(actual: Value, expected: number[], tol: number, what: string) {
  const a = values(actual);
  expect(a.length, what).toBe(expected.length);
  const scale = Math.max(1, ...expected.map(Math.abs));
  let err = 0;
  for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i] - expected[i]));
  expect(err / scale, what).toBeLessThanOrEqual(tol);
}

describe("convGeneralDilated against JAX", () => {
  for (const c of fixture.cases) {
    it(`${c.name}: value and gradients wrt lhs and rhs`, () => {
      const f = convOf(c);
      const lhs = arr(c.lhs, "float32", c.lhsShape);
      const rhs = arr(c.rhs, "float32", c.rhsShape);
      const cot = arr(c.cot, "float32", c.outShape);
      const out = f(lhs, rhs);
      expect(out.shape).toEqual(c.outShape);
      expect(out.dtype).toBe("float32");
      expectNear(out, c.out, 1e-5, "value");
      const loss = (l: Value, r: Value) => np.sum(np.multiply(f(l, r), cot));
      const [gl, gr] = grad(loss, { argnums: [0, 1] })(lhs, rhs) as Value[];
      expectNear(gl, c.gradLhs, 1e-5, "grad lhs");
      expectNear(gr, c.gradRhs, 1e-5, "grad rhs");
      // jit == eager, value and gradients
      expectNear(jit(f)(lhs, rhs), values(out), 1e-6, "jit value");
      const [jl, jr] = jit(grad(loss, { argnums: [0, 1] }))(lhs, rhs) as Value[];
      expectNear(jl, values(gl), 1e-6, "jit grad lhs");
      expectNear(jr, values(gr), 1e-6, "jit grad rhs");
    });
  }
});

describe("finite differences in float64", () => {
  const cases = fixture.cases.filter((c) => c.lhs.length <= 300 && c.rhs.length <= 200);
  for (const c of cases) {
    it(`${c.name}`, () => {
      const f = convOf(c);
      const lhs = randArr(c.lhsShape, 3);
      const rhs = randArr(c.rhsShape, 4);
      const cot = randArr(c.outShape, 5);
      const loss = (l: Value, r: Value) => np.sum(np.multiply(f(l, r), cot));
      const [gl, gr] = grad(loss, { argnums: [0, 1] })(lhs, rhs) as Value[];
      const dl = randArr(c.lhsShape, 6);
      const dr = randArr(c.rhsShape, 7);
      const fdL = finiteDiff((l) => loss(l, rhs), lhs, dl)[0];
      const fdR = finiteDiff((r) => loss(lhs, r), rhs, dr)[0];
      const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
      expect(dot(values(gl), values(dl))).toBeCloseTo(fdL, 5);
      expect(dot(values(gr), values(dr))).toBeCloseTo(fdR, 5);
    });
  }
});

describe("vmap folds the mapped axis into groups", () => {
  const specs = [
    { name: "plain NCHW", l: [2, 3, 5, 5], r: [4, 3, 3, 3], o: {} },
    { name: "NHWC stride 2", l: [2, 6, 6, 3], r: [3, 3, 3, 4], o: { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] as [string, string, string] }, s: [2, 2] },
    { name: "feature groups", l: [2, 4, 5, 5], r: [6, 2, 3, 3], o: { featureGroupCount: 2 } },
    { name: "batch groups", l: [4, 3, 5, 5], r: [6, 3, 2, 2], o: { batchGroupCount: 2 } },
  ];
  for (const sp of specs) {
    const f = (l: Value, r: Value) => lax.convGeneralDilated(l, r, sp.s ?? [1, 1], "SAME", sp.o);
    const B = 3;
    const ls = Array.from({ length: B }, (_, i) => randArr(sp.l, 10 + i, -1, 1, "float32"));
    const rs = Array.from({ length: B }, (_, i) => randArr(sp.r, 20 + i, -1, 1, "float32"));
    for (const [which, inAxes] of [["lhs", [0, null]], ["rhs", [null, 0]], ["both", [0, 0]]] as const) {
      it(`${sp.name}: over ${which}`, () => {
        const L = np.stack(ls);
        const R = np.stack(rs);
        const got = vmap(f, { inAxes: [...inAxes] })(inAxes[0] === 0 ? L : ls[0], inAxes[1] === 0 ? R : rs[0]);
        const loop = np.stack(ls.map((_, i) => f(inAxes[0] === 0 ? ls[i] : ls[0], inAxes[1] === 0 ? rs[i] : rs[0])));
        expect(got.shape).toEqual(loop.shape);
        expectNear(got, values(loop), 1e-5, "vmap vs loop");
      });
    }
  }
  it("vmap of grad (per-example kernel gradients) matches a loop", () => {
    const rhs = randArr([3, 3, 2, 4], 31, -1, 1, "float32");
    const xs = randArr([3, 1, 5, 5, 2], 32, -1, 1, "float32");
    const loss = (r: Value, x: Value) => np.sum(np.square(lax.convGeneralDilated(x, r, [1, 1], "SAME", { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] })));
    const g = vmap(grad(loss), { inAxes: [null, 0] })(rhs, xs);
    const loop = np.stack([0, 1, 2].map((i) => grad(loss)(rhs, xs.get(i))));
    expectNear(g, values(loop), 1e-5, "per-example grads");
  });
});

describe("layouts, padding and conveniences", () => {
  it("every layout gives the same numbers as NCHW (transposed)", () => {
    const x = randArr([2, 3, 6, 5], 41, -1, 1, "float32");
    const w = randArr([4, 3, 3, 2], 42, -1, 1, "float32");
    const ref = lax.conv(x, w, [2, 1], "SAME");
    const nhwc = lax.convGeneralDilated(np.transpose(x, [0, 2, 3, 1]), np.transpose(w, [2, 3, 1, 0]), [2, 1], "SAME", {
      dimensionNumbers: ["NHWC", "HWIO", "NHWC"],
    });
    expectNear(np.transpose(nhwc, [0, 3, 1, 2]), values(ref), 1e-5, "NHWC");
    const tuples = lax.convGeneralDilated(x, w, [2, 1], "SAME", { dimensionNumbers: { lhsSpec: [0, 1, 2, 3], rhsSpec: [0, 1, 2, 3], outSpec: [0, 1, 2, 3] } });
    expectNear(tuples, values(ref), 0, "index tuples");
  });
  it("convDimensionNumbers parses strings as JAX", () => {
    expect(lax.convDimensionNumbers([1, 5, 5, 3], [3, 3, 3, 8], ["NHWC", "HWIO", "NHWC"])).toEqual({ lhsSpec: [0, 3, 1, 2], rhsSpec: [3, 2, 0, 1], outSpec: [0, 3, 1, 2] });
    // spatial axes follow the kernel's order
    expect(lax.convDimensionNumbers([1, 5, 5, 3], [3, 3, 3, 8], ["NWHC", "HWIO", "NCHW"])).toEqual({ lhsSpec: [0, 3, 2, 1], rhsSpec: [3, 2, 0, 1], outSpec: [0, 1, 2, 3] });
  });
  it("convWithGeneralPadding equals convGeneralDilated", () => {
    const x = randArr([1, 2, 5, 5], 43, -1, 1, "float32");
    const w = randArr([3, 2, 2, 2], 44, -1, 1, "float32");
    const a = lax.convWithGeneralPadding(x, w, [1, 2], [[1, 0], [2, 1]], [2, 1], [1, 2]);
    const b = lax.convGeneralDilated(x, w, [1, 2], [[1, 0], [2, 1]], { lhsDilation: [2, 1], rhsDilation: [1, 2] });
    expectNear(a, values(b), 0, "same");
  });
  it("float64 stays float64; preferredElementType widens", () => {
    const x = randArr([1, 1, 4, 4], 45);
    const w = randArr([1, 1, 2, 2], 46);
    expect(lax.conv(x, w, [1, 1], "VALID").dtype).toBe("float64");
    const y = lax.convGeneralDilated(x.astype("float32"), w.astype("float32"), [1, 1], "VALID", { preferredElementType: "float64" });
    expect(y.dtype).toBe("float64");
  });
});

describe("typed errors", () => {
  const x = np.ones([1, 2, 5, 5]);
  const w = np.ones([3, 2, 3, 3]);
  const cases: [string, () => unknown, unknown][] = [
    ["rank mismatch", () => lax.conv(x, np.ones([3, 2, 3]), [1, 1], "SAME"), ShapeError],
    ["feature mismatch", () => lax.conv(x, np.ones([3, 4, 3, 3]), [1, 1], "SAME"), ShapeError],
    ["bad padding string", () => lax.conv(x, w, [1, 1], "FULL"), ShapeError],
    ["padding pairs count", () => lax.conv(x, w, [1, 1], [[1, 1]]), ShapeError],
    ["stride zero", () => lax.conv(x, w, [0, 1], "SAME"), ShapeError],
    ["strides length", () => lax.conv(x, w, [1], "SAME"), ShapeError],
    ["groups do not divide", () => lax.convGeneralDilated(x, w, [1, 1], "SAME", { featureGroupCount: 3 }), ShapeError],
    ["both group kinds", () => lax.convGeneralDilated(np.ones([2, 2, 5, 5]), np.ones([2, 1, 3, 3]), [1, 1], "SAME", { featureGroupCount: 2, batchGroupCount: 2 }), ShapeError],
    ["bad layout letters", () => lax.convGeneralDilated(x, w, [1, 1], "SAME", { dimensionNumbers: ["NHWX", "HWIO", "NHWC"] }), ShapeError],
    ["mismatched spatial letters", () => lax.convGeneralDilated(x, w, [1, 1], "SAME", { dimensionNumbers: ["NHWC", "HDIO", "NHWC"] }), ShapeError],
    ["layout not a string", () => lax.convGeneralDilated(x, w, [1, 1], "SAME", { dimensionNumbers: [{}, "HWIO", "NHWC"] as never }), ShapeError],
    ["string padding with lhs dilation", () => lax.convGeneralDilated(x, w, [1, 1], "SAME", { lhsDilation: [2, 2] }), ShapeError],
    ["crop more than the size", () => lax.conv(x, w, [1, 1], [[-4, -4], [0, 0]]), ShapeError],
    ["dtype mismatch", () => lax.conv(x, w.astype("float64"), [1, 1], "SAME"), DTypeError],
    ["integer operands", () => lax.conv(x.astype("int32"), w.astype("int32"), [1, 1], "SAME"), DTypeError],
  ];
  for (const [name, f, type] of cases) it(name, () => expect(f).toThrow(type as never));
  it("a message names the shapes", () => {
    expect(() => lax.conv(x, np.ones([3, 4, 3, 3]), [1, 1], "SAME")).toThrow(/lhs \(1, 2, 5, 5\), rhs \(3, 4, 3, 3\)/);
  });
});

describe("the CPU's fast path and generic path agree", () => {
  it("NHWC float32 implicit GEMM vs float64 generic", () => {
    const xs = rand(2 * 12 * 12 * 16, 51);
    const ws = rand(3 * 3 * 16 * 32, 52);
    const f = (x: Value, w: Value) => lax.convGeneralDilated(x, w, [1, 1], "SAME", { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] });
    const fast = f(arr(xs, "float32", [2, 12, 12, 16]), arr(ws, "float32", [3, 3, 16, 32]));
    const ref = f(arr(xs, "float64", [2, 12, 12, 16]), arr(ws, "float64", [3, 3, 16, 32]));
    expectNear(fast, values(ref), 1e-5, "NHWC");
    const g = (x: Value, w: Value) => lax.conv(x, w, [2, 2], [[1, 0], [0, 1]]);
    const fast2 = g(arr(xs, "float32", [2, 16, 12, 12]), arr(ws, "float32", [32, 16, 3, 3]));
    const ref2 = g(arr(xs, "float64", [2, 16, 12, 12]), arr(ws, "float64", [32, 16, 3, 3]));
    expectNear(fast2, values(ref2), 1e-5, "NCHW strided");
  });
});

describe("nn conv layers", () => {
  it("Conv infers shapes (1-D, 2-D, 3-D) and applies as lax", () => {
    const key = random.key(0);
    const c2 = nn.Conv(8, [3, 3], { strides: [2, 2], padding: "SAME" });
    const [s2, p2] = c2.init(key, [-1, 9, 9, 3]);
    expect(s2).toEqual([-1, 5, 5, 8]);
    expect(p2.w.shape).toEqual([3, 3, 3, 8]);
    expect(p2.b.shape).toEqual([8]);
    const x = randArr([2, 9, 9, 3], 61, -1, 1, "float32");
    const y = c2.apply(p2, x);
    const ref = np.add(lax.convGeneralDilated(x, p2.w, [2, 2], "SAME", { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] }), p2.b);
    expectNear(y, values(ref), 1e-6, "Conv2D");
    const [s1] = nn.Conv(4, [3]).init(key, [-1, 10, 2]);
    expect(s1).toEqual([-1, 8, 4]);
    const [s3, p3] = nn.Conv(2, [2, 2, 2], { padding: "SAME" }).init(key, [-1, 4, 4, 4, 1]);
    expect(s3).toEqual([-1, 4, 4, 4, 2]);
    expect(p3.w.shape).toEqual([2, 2, 2, 1, 2]);
    const [sd, pd] = nn.Conv(6, [3, 3], { featureGroupCount: 3 }).init(key, [-1, 7, 7, 3]);
    expect(sd).toEqual([-1, 5, 5, 6]);
    expect(pd.w.shape).toEqual([3, 3, 1, 6]);
    const [sn] = nn.Conv(5, [3, 3], { dimensionNumbers: ["NCHW", "OIHW", "NCHW"] }).init(key, [-1, 2, 7, 7]);
    expect(sn).toEqual([-1, 5, 5, 5]);
  });
  it("ConvTranspose matches lax.convTranspose", () => {
    const layer = nn.ConvTranspose(3, [3, 3], { strides: [2, 2], padding: "SAME" });
    const [shape, p] = layer.init(random.key(1), [-1, 4, 4, 2]);
    expect(shape).toEqual([-1, 8, 8, 3]);
    const x = randArr([1, 4, 4, 2], 62, -1, 1, "float32");
    const ref = np.add(lax.convTranspose(x, p.w, [2, 2], "SAME"), p.b);
    expectNear(layer.apply(p, x), values(ref), 1e-6, "ConvTranspose");
  });
  it("a small CNN trains a few SGD steps with JAX's losses", () => {
    const { cnn } = fixture;
    const net = nn.serial(nn.Conv(4, [3, 3], { padding: "SAME" }), nn.Relu, nn.Conv(6, [3, 3], { strides: [2, 2], padding: "SAME" }), nn.Relu, nn.Flatten, nn.Dense(3));
    const [outShape] = net.init(random.key(0), [-1, 8, 8, 1]);
    expect(outShape).toEqual([-1, 3]);
    const P = cnn.params;
    let params: unknown = [
      { w: arr(P.conv1.w, "float32", [3, 3, 1, 4]), b: arr(P.conv1.b, "float32", [4]) },
      [],
      { w: arr(P.conv2.w, "float32", [3, 3, 4, 6]), b: arr(P.conv2.b, "float32", [6]) },
      [],
      [],
      { w: arr(P.dense.w, "float32", [96, 3]), b: arr(P.dense.b, "float32", [3]) },
    ];
    const x = arr(cnn.x, "float32", [8, 8, 8, 1]);
    const labels = nn.oneHot(np.array(cnn.labels, { dtype: "int32" }), 3);
    const loss = (p: unknown) => np.negative(np.mean(np.sum(np.multiply(nn.logSoftmax(net.apply(p as never, x)), labels), -1)));
    const step = jit((p: unknown) => {
      const g = grad(loss)(p);
      return [loss(p), (p as Value[]).map((layer, i) => (Array.isArray(layer) ? layer : { w: np.subtract((layer as any).w, np.multiply(cnn.lr, (g as any)[i].w)), b: np.subtract((layer as any).b, np.multiply(cnn.lr, (g as any)[i].b)) }))] as const; // eslint-disable-line @typescript-eslint/no-explicit-any
    });
    for (const expected of cnn.losses) {
      const [l, next] = step(params) as unknown as [Value, unknown];
      expect(values(l)[0]).toBeCloseTo(expected, 4);
      params = next;
    }
  });
});
