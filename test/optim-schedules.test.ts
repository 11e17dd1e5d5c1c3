/**
 * optim schedules: values at several steps against the formulas in plain JS,
 * on JS-number and int32-array counts, and under jit and vmap (a traced count).
 */
import { describe, expect, it } from "vitest";
import { jit, np, optim, vmap } from "../src/index.js";
import type { Value } from "../src/trace/core.js";
import { expectClose, values } from "./helpers.js";

const steps = [0, 1, 5, 10, 15, 25, 100, 150];
const at = (s: optim.Schedule, ts = steps) => ts.map((t) => values(s(t))[0]);
const check = (s: optim.Schedule, ref: (t: number) => number, ts = steps) => {
  const got = at(s, ts);
  got.forEach((v, i) => expect(v, `step ${ts[i]}`).toBeCloseTo(ref(ts[i]), 6));
  // an int32 count array (as carried in optimizer states) and a traced one give the same values
  const counts = np.array(ts, { dtype: "int32" });
  expectClose(vmap((c: Value) => s(c))(counts), ts.map(ref), 1e-6);
  expectClose(jit((c: Value) => s(c))(np.array(ts[2], { dtype: "int32" })), [ref(ts[2])], 1e-6);
};

describe("schedules", () => {
  it("constantSchedule", () => check(optim.constantSchedule(0.3), () => 0.3));

  it("exponentialDecay: continuous, staircase, transitionBegin, endValue", () => {
    check(optim.exponentialDecay(0.1, 10, 0.5), (t) => 0.1 * 0.5 ** (t / 10));
    check(optim.exponentialDecay(0.1, 10, 0.5, { staircase: true }), (t) => 0.1 * 0.5 ** Math.floor(t / 10));
    check(optim.exponentialDecay(0.1, 10, 0.5, { transitionBegin: 5 }), (t) => (t <= 5 ? 0.1 : 0.1 * 0.5 ** ((t - 5) / 10)));
    check(optim.exponentialDecay(1, 10, 0.5, { endValue: 0.2 }), (t) => Math.max(0.5 ** (t / 10), 0.2));
    check(optim.exponentialDecay(1, 10, 2, { endValue: 3 }), (t) => Math.min(2 ** (t / 10), 3));
  });

  it("cosineDecaySchedule, with alpha and exponent", () => {
    const cos = (t: number, n: number) => 0.5 * (1 + Math.cos((Math.PI * Math.min(t, n)) / n));
    check(optim.cosineDecaySchedule(1, 100), (t) => cos(t, 100));
    check(optim.cosineDecaySchedule(0.5, 20, 0.1), (t) => 0.5 * (0.9 * cos(t, 20) + 0.1));
    check(optim.cosineDecaySchedule(2, 50, 0, 2), (t) => 2 * cos(t, 50) ** 2);
    expect(values(optim.cosineDecaySchedule(1, 100)(50))[0]).toBeCloseTo(0.5, 7);
    expect(() => optim.cosineDecaySchedule(1, 0)).toThrow(/decaySteps/);
  });

  it("linearSchedule and polynomialSchedule", () => {
    check(optim.linearSchedule(0, 1, 10), (t) => Math.min(t, 10) / 10);
    check(optim.linearSchedule(1, 0.1, 20, 5), (t) => 1 - (0.9 * Math.min(Math.max(t - 5, 0), 20)) / 20);
    check(optim.polynomialSchedule(1, 0, 2, 10), (t) => (1 - Math.min(t, 10) / 10) ** 2);
    expect(at(optim.linearSchedule(0, 1, 10), [5])[0]).toBeCloseTo(0.5, 7);
  });

  it("joinSchedules and the warmup schedules", () => {
    check(
      optim.joinSchedules([optim.constantSchedule(1), optim.linearSchedule(1, 0, 10)], [5]),
      (t) => (t < 5 ? 1 : 1 - Math.min(t - 5, 10) / 10),
    );
    const peak = 0.8;
    const warm = 10;
    const total = 110;
    const end = 0.08;
    check(optim.warmupCosineDecaySchedule(0, peak, warm, total, end), (t) => {
      if (t < warm) return (peak * t) / warm;
      const c = 0.5 * (1 + Math.cos((Math.PI * Math.min(t - warm, total - warm)) / (total - warm)));
      return peak * ((1 - end / peak) * c + end / peak);
    });
    expect(at(optim.warmupCosineDecaySchedule(0, 1, 10, 110), [5, 10, 60, 110])).toEqual([0.5, 1, expect.closeTo(0.5, 6), expect.closeTo(0, 6)]);
    check(optim.warmupExponentialDecaySchedule(0.1, 1, 10, 10, 0.5), (t) => (t < 10 ? 0.1 + (0.9 * t) / 10 : 0.5 ** ((t - 10) / 10)));
    check(optim.warmupConstantSchedule(0, 2, 4), (t) => (2 * Math.min(t, 4)) / 4);
  });

  it("piecewiseConstantSchedule", () => {
    check(optim.piecewiseConstantSchedule(1, { 10: 0.1, 20: 0.5 }), (t) => (t < 10 ? 1 : t < 20 ? 0.1 : 0.05));
  });

  it("a schedule as a learning rate: the first update uses schedule(0)", () => {
    const sched = optim.cosineDecaySchedule(1, 4);
    const opt = optim.sgd(sched);
    let state = opt.init({ x: np.zeros([1]) });
    const got: number[] = [];
    for (let t = 0; t < 6; t++) {
      const [u, s] = opt.update({ x: np.ones([1]) }, state);
      got.push(values(u.x)[0]);
      state = s;
    }
    got.forEach((v, t) => expect(v).toBeCloseTo(-0.5 * (1 + Math.cos((Math.PI * Math.min(t, 4)) / 4)), 6));
  });
});
