/**
 * nn losses against hand computations in plain JS float64: mse, softmax
 * cross-entropy (probabilities and integer labels), binary cross-entropy on
 * logits (stable for large logits), huber on both sides of delta; their
 * gradients, and jit agreement.
 */
import { describe, expect, it } from "vitest";
import { grad, jit, nn, np } from "../src/index.js";
import type { Value } from "../src/trace/core.js";
import { arr, expectClose, values } from "./helpers.js";

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
const logSoftmaxRow = (r: number[]) => {
  const m = Math.max(...r);
  const lse = m + Math.log(sum(r.map((v) => Math.exp(v - m))));
  return r.map((v) => v - lse);
};

describe("mse", () => {
  const pred = [[1, 2], [3, -4]];
  const target = [[0.5, 2], [1, -1]];
  const sq = pred.flat().map((p, i) => (p - target.flat()[i]) ** 2);
  it("mean (default), sum, none", () => {
    expectClose(nn.mse(arr(pred), arr(target)), mean(sq), 1e-12);
    expectClose(nn.mse(arr(pred), arr(target), { reduction: "sum" }), sum(sq), 1e-12);
    const none = nn.mse(arr(pred), arr(target), { reduction: "none" });
    expect(none.shape).toEqual([2, 2]);
    expectClose(none, sq, 1e-12);
    expectClose(nn.mse(np.array([1, 2]), np.array([0, 0])), 2.5);
    expect(() => nn.mse(arr([1]), arr([1]), { reduction: "avg" as "mean" })).toThrow(/reduction/);
  });
  it("gradient is 2 (pred - target) / n", () => {
    const g = grad((p: Value) => nn.mse(p, arr(target)))(arr(pred));
    expectClose(g, pred.flat().map((p, i) => (2 * (p - target.flat()[i])) / 4), 1e-12);
  });
});

describe("softmax cross-entropy", () => {
  const logits = [[2, 1, 0.1], [0.5, 2.5, -1], [1e4, -1e4, 0]];
  const probs = [[1, 0, 0], [0.2, 0.7, 0.1], [0, 0, 1]];
  const perExample = logits.map((r, i) => -sum(logSoftmaxRow(r).map((l, j) => probs[i][j] * l)));

  it("with one-hot labels or probabilities", () => {
    expectClose(nn.softmaxCrossEntropy(arr(logits), arr(probs), { reduction: "none" }), perExample, 1e-12);
    expectClose(nn.softmaxCrossEntropy(arr(logits), arr(probs)), mean(perExample), 1e-12);
    expectClose(nn.softmaxCrossEntropy(arr(logits), arr(probs), { reduction: "sum" }), sum(perExample), 1e-12);
    expectClose(nn.softmaxCrossEntropy(np.array([[0, 0]]), np.array([[1, 0]])), Math.LN2);
    expect(() => nn.softmaxCrossEntropy(arr(logits), arr([1, 0, 0]))).toThrow(/same shape/);
  });

  it("gradient is (softmax - labels) / batch, finite for ±1e4 logits", () => {
    const g = grad((l: Value) => nn.softmaxCrossEntropy(l, arr(probs)))(arr(logits));
    const expected = logits.map((r, i) => logSoftmaxRow(r).map((l, j) => (Math.exp(l) - probs[i][j]) / 3));
    expectClose(g, expected.flat(), 1e-12);
  });

  it("with integer labels equals the one-hot version", () => {
    const labels = np.array([0, 1, 2], { dtype: "int32" });
    const ce = nn.softmaxCrossEntropyWithIntegerLabels(arr(logits), labels, { reduction: "none" });
    const expected = logits.map((r, i) => -logSoftmaxRow(r)[i]);
    expectClose(ce, expected, 1e-12);
    expectClose(nn.softmaxCrossEntropyWithIntegerLabels(arr(logits), labels), mean(expected), 1e-12);
    const oneHot = nn.oneHot(labels, 3, { dtype: "float64" });
    expectClose(
      grad((l: Value) => nn.softmaxCrossEntropyWithIntegerLabels(l, labels))(arr(logits)),
      grad((l: Value) => nn.softmaxCrossEntropy(l, oneHot))(arr(logits)),
      1e-12,
    );
    expect(() => nn.softmaxCrossEntropyWithIntegerLabels(arr(logits), arr([0, 1, 2]))).toThrow(/integers/);
    expect(() => nn.softmaxCrossEntropyWithIntegerLabels(arr(logits), np.array([0, 1], { dtype: "int32" }))).toThrow(/shape/);
    expectClose(jit((l: Value, y: Value) => nn.softmaxCrossEntropyWithIntegerLabels(l, y))(arr(logits), labels), mean(expected), 1e-12);
  });
});

describe("binary cross-entropy with logits", () => {
  const logits = [-2, -0.5, 0, 0.7, 3];
  const labels = [0, 1, 1, 0, 0.25];
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const ref = logits.map((x, i) => -labels[i] * Math.log(sig(x)) - (1 - labels[i]) * Math.log(1 - sig(x)));

  it("values and reductions", () => {
    expectClose(nn.binaryCrossEntropyWithLogits(arr(logits), arr(labels), { reduction: "none" }), ref, 1e-12);
    expectClose(nn.binaryCrossEntropyWithLogits(arr(logits), arr(labels)), mean(ref), 1e-12);
    expectClose(nn.binaryCrossEntropyWithLogits(np.array([0]), np.array([1])), Math.LN2);
  });

  it("gradient is (sigmoid - label) / n; stable for ±1e4 logits", () => {
    const g = grad((l: Value) => nn.binaryCrossEntropyWithLogits(l, arr(labels)))(arr(logits));
    expectClose(g, logits.map((x, i) => (sig(x) - labels[i]) / logits.length), 1e-12);
    const big = np.array([1e4, -1e4, 1e4]);
    const y = np.array([1, 0, 0]);
    expectClose(nn.binaryCrossEntropyWithLogits(big, y, { reduction: "none" }), [0, 0, 1e4]);
    const gb = grad((l: Value) => nn.binaryCrossEntropyWithLogits(l, y, { reduction: "sum" }))(big);
    expectClose(gb, [0, 0, 1]);
  });
});

describe("huber", () => {
  const ref = (e: number, d: number) => (Math.abs(e) <= d ? 0.5 * e * e : d * (Math.abs(e) - 0.5 * d));
  it("quadratic inside delta, linear outside, for delta 1 and 2", () => {
    const pred = [0.5, -0.9, 1.5, -3, 0];
    const target = [0, 0, 0, 0, 2.5];
    for (const delta of [1, 2]) {
      const none = nn.huber(arr(pred), arr(target), { delta, reduction: "none" });
      expectClose(none, pred.map((p, i) => ref(p - target[i], delta)), 1e-12);
      expectClose(nn.huber(arr(pred), arr(target), { delta }), mean(pred.map((p, i) => ref(p - target[i], delta))), 1e-12);
    }
    expectClose(nn.huber(arr(pred), arr(target)), mean(pred.map((p, i) => ref(p - target[i], 1))), 1e-12);
    expectClose(nn.huber(np.array([0.5, 3]), np.array([0, 0]), { reduction: "none" }), [0.125, 2.5]);
    // the gradient is e inside, delta·sign(e) outside
    const g = grad((p: Value) => nn.huber(p, arr(target), { reduction: "sum" }))(arr(pred));
    expectClose(g, pred.map((p, i) => {
      const e = p - target[i];
      return Math.abs(e) <= 1 ? e : Math.sign(e);
    }), 1e-12);
    expect(() => nn.huber(arr([1]), arr([1]), { delta: 0 })).toThrow(/delta/);
    expect(values(nn.huber(arr([1]), arr([0]), { delta: 1 }))[0]).toBe(0.5);
  });
});
