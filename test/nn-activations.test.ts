/**
 * nn activations: values against plain-JS float64 formulas, gradients against
 * finite differences (float64), stability for inputs of ±1e4 (finite values
 * and gradients), oneHot and standardize, and jit/vmap agreement.
 */
import { describe, expect, it } from "vitest";
import { grad, jit, nn, np, vmap } from "../src/index.js";
import type { Value } from "../src/trace/core.js";
import { arr, expectClose, values } from "./helpers.js";

const xs = [-3.2, -1.5, -0.2, 0.3, 0.9, 2.5];
const x64 = () => arr(xs);
const sig = (v: number) => 1 / (1 + Math.exp(-v));
const erf = (v: number) => {
  // Abramowitz-Stegun 7.1.26 is too coarse for 1e-10; integrate the series instead
  let sum = 0;
  let term = v;
  for (let n = 0; n < 200; n++) {
    sum += term / (2 * n + 1);
    term *= (-v * v) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
};

/** Central differences of sum(f(x)) at each element, float64. */
function fdGrad(f: (x: Value) => Value, x: number[], eps = 1e-6): number[] {
  return x.map((_, i) => {
    const plus = x.map((v, j) => (j === i ? v + eps : v));
    const minus = x.map((v, j) => (j === i ? v - eps : v));
    return (values(np.sum(f(arr(plus)))) [0] - values(np.sum(f(arr(minus))))[0]) / (2 * eps);
  });
}

const cases: [string, (x: Value) => Value, (v: number) => number][] = [
  ["relu", nn.relu, (v) => Math.max(v, 0)],
  ["relu6", nn.relu6, (v) => Math.min(Math.max(v, 0), 6)],
  ["sigmoid", nn.sigmoid, sig],
  ["tanh", nn.tanh, Math.tanh],
  ["softplus", nn.softplus, (v) => Math.log1p(Math.exp(v))],
  ["logSigmoid", nn.logSigmoid, (v) => Math.log(sig(v))],
  ["softSign", nn.softSign, (v) => v / (1 + Math.abs(v))],
  ["gelu (tanh)", (x) => nn.gelu(x), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
  ["gelu (exact)", (x) => nn.gelu(x, { approximate: false }), (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
  ["silu", nn.silu, (v) => v * sig(v)],
  ["swish", nn.swish, (v) => v * sig(v)],
  ["elu", (x) => nn.elu(x), (v) => (v > 0 ? v : Math.expm1(v))],
  ["elu(alpha 2)", (x) => nn.elu(x, 2), (v) => (v > 0 ? v : 2 * Math.expm1(v))],
  ["celu(2)", (x) => nn.celu(x, 2), (v) => (v > 0 ? v : 2 * Math.expm1(v / 2))],
  ["selu", nn.selu, (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * Math.expm1(v))],
  ["leakyRelu", (x) => nn.leakyRelu(x), (v) => (v >= 0 ? v : 0.01 * v)],
  ["leakyRelu(0.2)", (x) => nn.leakyRelu(x, 0.2), (v) => (v >= 0 ? v : 0.2 * v)],
  ["hardTanh", nn.hardTanh, (v) => Math.min(Math.max(v, -1), 1)],
  ["hardSigmoid", nn.hardSigmoid, (v) => Math.min(Math.max(v + 3, 0), 6) / 6],
];

describe("elementwise activations", () => {
  it.each(cases)("%s: values (float64) and gradient vs finite differences", (_name, f, ref) => {
    const y = f(x64());
    expect(y.dtype).toBe("float64");
    expectClose(y, xs.map(ref), 1e-9);
    // none of the sample points sits on a kink
    expectClose(grad((x: Value) => np.sum(f(x)))(x64()), fdGrad(f, xs), 1e-6);
  });

  it("relu's derivative at 0 is 0 (as JAX), NaN passes through", () => {
    expectClose(grad((x: Value) => np.sum(nn.relu(x)))(arr([0, -0, 1])), [0, 0, 1]);
    expect(Number.isNaN(values(nn.relu(arr([NaN])))[0])).toBe(true);
  });

  it("integers become float32 where the function is not piecewise linear; relu keeps ints", () => {
    expect(nn.sigmoid(np.array([0, 1], { dtype: "int32" })).dtype).toBe("float32");
    expect(nn.relu(np.array([-1, 2], { dtype: "int32" })).dtype).toBe("int32");
    expectClose(nn.relu(np.array([-1, 2], { dtype: "int32" })), [0, 2]);
  });

  it("softplus, logSigmoid, elu, silu stay finite at ±1e4 (values and gradients)", () => {
    const big = np.array([-1e4, 1e4]);
    expectClose(nn.softplus(big), [0, 1e4]);
    expectClose(nn.logSigmoid(big), [-1e4, 0]);
    expectClose(grad((x: Value) => np.sum(nn.softplus(x)))(big), [0, 1]);
    expectClose(grad((x: Value) => np.sum(nn.logSigmoid(x)))(big), [1, 0]);
    expectClose(grad((x: Value) => np.sum(nn.elu(x)))(big), [0, 1]);
    expectClose(grad((x: Value) => np.sum(nn.silu(x)))(big), [0, 1]);
  });
});

describe("softmax, logSoftmax, logsumexp", () => {
  const m = [[1, 2, 3], [-1, 0, 4]];
  const lse = (row: number[]) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0));

  it("values over the last axis and over other axes", () => {
    const x = arr(m);
    expectClose(nn.softmax(x), m.flatMap((r) => r.map((v) => Math.exp(v - lse(r)))), 1e-12);
    expectClose(nn.logSoftmax(x), m.flatMap((r) => r.map((v) => v - lse(r))), 1e-12);
    expectClose(nn.logsumexp(x, -1), m.map(lse), 1e-12);
    expectClose(nn.logsumexp(x), [lse(m.flat())], 1e-12);
    const cols = [0, 1, 2].map((j) => m.map((r) => r[j]));
    expectClose(nn.logsumexp(x, 0), cols.map(lse), 1e-12);
    expectClose(nn.softmax(x, 0), m.map((r, i) => r.map((v, j) => Math.exp(v - lse(cols[j])))).flat(), 1e-12);
    const k = nn.logsumexp(x, 1, { keepdims: true });
    expect(k.shape).toEqual([2, 1]);
    expectClose(k, m.map(lse), 1e-12);
  });

  it("are stable for ±1e4: finite values and gradients, right numbers", () => {
    const x = np.array([[1e4, -1e4, 1e4 - 1], [-1e4, -1e4 + 2, -1e4]]);
    const lse0 = 1e4 + Math.log(1 + Math.exp(-1));
    const lse1 = -1e4 + 2 + Math.log(1 + 2 * Math.exp(-2));
    expectClose(nn.logsumexp(x, 1), [lse0, lse1], 1e-6);
    const sm = nn.softmax(x);
    values(sm).forEach((v) => expect(Number.isFinite(v)).toBe(true));
    const p0 = [1 / (1 + Math.exp(-1)), 0, Math.exp(-1) / (1 + Math.exp(-1))];
    const z1 = 1 + 2 * Math.exp(-2);
    const p1 = [Math.exp(-2) / z1, 1 / z1, Math.exp(-2) / z1];
    expectClose(sm, [...p0, ...p1], 1e-6);
    expectClose(nn.logSoftmax(x), [0, -2e4, -1].map((v) => v - Math.log(1 + Math.exp(-1))).concat([-2, 0, -2].map((v) => v - Math.log(z1))), 1e-6);
    // the gradient of logsumexp is softmax; of sum(logSoftmax) it is 1 - n * softmax
    const g = grad((y: Value) => np.sum(nn.logsumexp(y, 1)))(x);
    expectClose(g, [...p0, ...p1], 1e-6);
    const gl = grad((y: Value) => np.sum(nn.logSoftmax(y)))(x);
    expectClose(gl, [...p0, ...p1].map((p) => 1 - 3 * p), 1e-6);
    const gs = grad((y: Value) => np.sum(np.multiply(nn.softmax(y), np.array([[1, 2, 3], [1, 2, 3]]))))(x);
    values(gs).forEach((v) => expect(Number.isFinite(v)).toBe(true));
    // a whole row of -inf: logsumexp is -inf, no NaN from the shift
    expect(values(nn.logsumexp(np.array([-Infinity, -Infinity])))[0]).toBe(-Infinity);
  });

  it("softmax gradient matches finite differences (float64)", () => {
    const w = [0.3, -1.2, 2.0];
    const f = (y: Value) => np.multiply(nn.softmax(y), arr(w));
    expectClose(grad((y: Value) => np.sum(f(y)))(arr([0.5, -0.5, 1.5])), fdGrad(f, [0.5, -0.5, 1.5]), 1e-7);
  });

  it("jit and vmap agree with eager", () => {
    const x = np.array([[1, 2, 3], [-1, 0, 4]]);
    expectClose(jit((y: Value) => nn.logSoftmax(y))(x), nn.logSoftmax(x), 1e-6);
    expectClose(vmap((y: Value) => nn.softmax(y))(x), nn.softmax(x), 1e-6);
    expectClose(vmap((y: Value) => nn.logsumexp(y))(x), nn.logsumexp(x, 1), 1e-6);
    expectClose(jit(grad((y: Value) => nn.logsumexp(y)))(x), grad((y: Value) => nn.logsumexp(y))(x), 1e-6);
  });
});

describe("oneHot and standardize", () => {
  it("oneHot: rows of the identity, zeros out of range, dtype and axis", () => {
    const idx = np.array([0, 2, 1, 3, -1], { dtype: "int32" });
    const h = nn.oneHot(idx, 3);
    expect(h.shape).toEqual([5, 3]);
    expect(h.dtype).toBe("float32");
    expectClose(h, [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0], [0, 0, 0]].flat());
    const hi = nn.oneHot(np.array([[1, 0]], { dtype: "int32" }), 2, { dtype: "int32" });
    expect(hi.dtype).toBe("int32");
    expect(hi.shape).toEqual([1, 2, 2]);
    expectClose(hi, [0, 1, 1, 0]);
    const h0 = nn.oneHot(np.array([1, 0, 2], { dtype: "int32" }), 3, { axis: 0 });
    expectClose(h0, [[0, 1, 0], [1, 0, 0], [0, 0, 1]].flat());
    expect(() => nn.oneHot(idx, 2.5)).toThrow(/numClasses/);
    // traced indices
    expectClose(jit((i: Value) => nn.oneHot(i, 3))(np.array([2], { dtype: "int32" })), [0, 0, 1]);
  });

  it("standardize: zero mean, unit variance over the axis", () => {
    const m = [[1, 2, 3, 4], [10, 10, 12, 14]];
    const s = nn.standardize(arr(m), -1, { eps: 0 });
    const expected = m.map((r) => {
      const mu = r.reduce((a, b) => a + b) / r.length;
      const v = r.reduce((a, b) => a + (b - mu) ** 2, 0) / r.length;
      return r.map((x) => (x - mu) / Math.sqrt(v));
    });
    expectClose(s, expected.flat(), 1e-12);
    const withEps = nn.standardize(arr([1, 3]));
    expectClose(withEps, [-1 / Math.sqrt(1 + 1e-5), 1 / Math.sqrt(1 + 1e-5)], 1e-12);
  });
});

describe("derivatives at 0", () => {
  it("softplus' = sigmoid = 0.5 and logSigmoid' = 0.5 at 0 (binary cross-entropy depends on it)", () => {
    expectClose(grad((x: Value) => np.sum(nn.softplus(x)))(arr([0, -1e-3, 1e-3])), [0.5, 1 / (1 + Math.exp(1e-3)), 1 / (1 + Math.exp(-1e-3))], 1e-12);
    expectClose(grad((x: Value) => np.sum(nn.logSigmoid(x)))(arr([0])), [0.5], 1e-12);
  });
});
