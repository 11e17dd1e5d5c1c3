/**
 * Partial evaluation (src/trace/partial-eval.ts and the partialEval rules of
 * jit, scan, cond and while): what the split jaxprs look like (equation
 * counts on the printed jaxpr: the forward pass once, the backward pass in a
 * jit, two scans for grad of a scan), and that the numbers agree with float64
 * finite differences and with paths that do not use the rules (the function
 * without jit, the loop unrolled).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import "../src/numpy/index.js";
import * as lax from "../src/lax/index.js";
import type { Value } from "../src/trace/core.js";
import { jvp } from "../src/transforms/jvp.js";
import { grad, linearize } from "../src/transforms/linearize.js";
import { vmap } from "../src/transforms/vmap.js";
import { jit } from "../src/transforms/jit.js";
import { makeJaxpr } from "../src/transforms/make-jaxpr.js";
import { partialEvalJaxpr } from "../src/trace/partial-eval.js";
import { mergeLists, partitionList, splitList } from "../src/trace/lists.js";
import type { Array } from "../src/array.js";
import { arr, expectClose, finiteDiff, randArr, rand, values } from "./helpers.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { defaultDevice } from "../src/index.js";

const hasGpu = await probeWebGPU("partial-eval.test.ts");
// float64 everywhere but in the WebGPU block, which makes WebGPU the default for its own tests
if (hasGpu) defaultDevice("cpu");

const sumAll = (x: Value) => lax.reduceSum(x, x.shape.map((_, i) => i));
/** How often `name` is applied anywhere in a printed jaxpr, nested jaxprs included. */
const count = (text: string, name: string) => (text.match(new RegExp(`= ${name}[\\[ ]`, "g")) ?? []).length;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const topLevel = (f: (...a: any[]) => unknown, ...args: unknown[]) => makeJaxpr(f)(...args).jaxpr;
/** The gradient of a scalar function by central differences in float64, one coordinate at a time. */
const fdGrad = (f: (x: Array) => Value, x: Array) =>
  values(x).map((_, i) => {
    const dir = arr(values(x).map((_, j) => (j === i ? 1 : 0)));
    return finiteDiff(f, x, dir)[0];
  });

const f = (x: Value) => sumAll(lax.mul(lax.sin(x), x));

describe("list helpers", () => {
  it("splitList, partitionList and mergeLists invert each other", () => {
    expect(splitList([1, 2, 3, 4, 5], [1, 2])).toEqual([[1], [2, 3], [4, 5]]);
    const mask = [false, true, true, false];
    const [no, yes] = partitionList(mask, ["a", "b", "c", "d"]);
    expect([no, yes]).toEqual([["a", "d"], ["b", "c"]]);
    expect(mergeLists(mask, no, yes)).toEqual(["a", "b", "c", "d"]);
    expect(() => mergeLists(mask, ["a"], ["b", "c"])).toThrow();
  });
});

describe("partialEvalJaxpr", () => {
  const jaxpr = makeJaxpr((x: Value, y: Value) => [lax.mul(lax.sin(x), y), lax.cos(x)])(arr([1, 2]), arr([3, 4])).jaxpr;
  it("puts what only known inputs need in the known jaxpr and the rest in the unknown one", () => {
    const pe = partialEvalJaxpr(jaxpr, [false, true]);
    expect(pe.outUnknown).toEqual([true, false]);
    expect(pe.known.eqns.map((e) => e.prim.name).sort()).toEqual(["cos", "sin"]);
    expect(pe.unknown.eqns.map((e) => e.prim.name)).toEqual(["mul"]);
    // one residual (sin x), computed by the known jaxpr after its known output
    expect(pe.residualSources).toEqual([null]);
    expect(pe.known.outs.length).toBe(2);
    expect(pe.unknown.invars.length).toBe(2);
  });
  it("hands a known input to the unknown jaxpr as it is, and instantiates on request", () => {
    const j = makeJaxpr((x: Value, y: Value) => [lax.mul(x, y), lax.neg(x)])(arr([1, 2]), arr([3, 4])).jaxpr;
    const pe = partialEvalJaxpr(j, [false, true], [false, true]);
    // x itself, then neg x (a known output moved to the unknown side is a residual too)
    expect(pe.residualSources).toEqual([0, null]);
    expect(pe.outUnknown).toEqual([true, true]);
    expect(pe.known.outs.length).toBe(1);
    const noForward = partialEvalJaxpr(j, [false, true], false, false);
    expect(noForward.residualSources).toEqual([null]);
    expect(noForward.known.outs.length).toBe(2);
  });
  it("is cached per jaxpr and masks", () => {
    expect(partialEvalJaxpr(jaxpr, [false, true])).toBe(partialEvalJaxpr(jaxpr, [false, true]));
    expect(partialEvalJaxpr(jaxpr, [true, false])).not.toBe(partialEvalJaxpr(jaxpr, [false, true]));
  });
});

describe("grad of jit", () => {
  const x = randArr([5], 3);
  it("computes sin once: a known jit call now, the backward pass as a jit call of its own", () => {
    const text = String(topLevel(grad(jit(f)), x));
    expect(count(text, "sin")).toBe(1); // before: 2 (the transpose recomputed it, inline)
    const top = topLevel(grad(jit(f)), x);
    expect(top.eqns.map((e) => e.prim.name)).toEqual(["jit", "jit"]);
    const [fwd, bwd] = top.eqns;
    expect(count(String(fwd.params.jaxpr), "sin")).toBe(1);
    expect(count(String(fwd.params.jaxpr), "cos")).toBe(1);
    expect(String(bwd.params.name)).toMatch(/^transpose\(/);
    expect(count(String(bwd.params.jaxpr), "sin") + count(String(bwd.params.jaxpr), "cos")).toBe(0);
  });
  it("matches float64 finite differences and the gradient without jit", () => {
    const g = grad(jit(f))(x) as Value;
    expectClose(g, fdGrad(f, x), 1e-6);
    expectClose(g, grad(f)(x) as Value, 1e-14);
  });
  it("reuses the derived jaxprs call after call (so their compiled plans are reused)", () => {
    const a = topLevel(grad(jit(f)), x);
    const b = topLevel(grad(jit(f)), randArr([5], 4));
    // a new jit(f) traces f again: same shapes, new jaxpr; the same jitted function keeps its jaxpr
    const jf = jit(f);
    const c = topLevel(grad(jf), x);
    const d = topLevel(grad(jf), randArr([5], 4));
    expect(c.eqns[0].params.jaxpr).toBe(d.eqns[0].params.jaxpr);
    expect(c.eqns[1].params.jaxpr).toBe(d.eqns[1].params.jaxpr);
    expect(a.eqns.length).toBe(b.eqns.length);
  });
  it("nested jit, jit of grad of jit, grad∘grad and vmap∘grad agree with the paths without jit", () => {
    const nested = jit((x: Value) => lax.mul(jit(f)(x), lax.reduceSum(lax.exp(x), [0])));
    const plain = (x: Value) => lax.mul(f(x), lax.reduceSum(lax.exp(x), [0]));
    expect(count(String(topLevel(grad(nested), x)), "sin")).toBe(1);
    expectClose(grad(nested)(x) as Value, fdGrad(plain, x), 1e-6);
    expectClose(jit(grad(nested))(x) as Value, grad(plain)(x) as Value, 1e-13);
    const s = arr(0.7);
    const h = (v: Value) => sumAll(lax.sin(lax.mul(v, v)));
    const hh = grad((v: Value) => grad(jit(h))(v) as Value)(s) as Value;
    expectClose(hh, grad((v: Value) => grad(h)(v) as Value)(s) as Value, 1e-13);
    expectClose(hh, finiteDiff((v) => grad(h)(v) as Value, s, arr(1))[0], 1e-6);
    const xs = randArr([3, 5], 9);
    const batched = vmap(grad(jit(f)))(xs) as Value;
    for (let b = 0; b < 3; b++) {
      const row = lax.reshape(lax.slice(xs, [b, 0], [b + 1, 5]), [5]);
      expectClose(lax.reshape(lax.slice(batched, [b, 0], [b + 1, 5]), [5]), grad(f)(row) as Value, 1e-14);
    }
  });
});

describe("linearize of jit", () => {
  it("keeps the known part out of the tangent call", () => {
    const x = randArr([4], 5);
    const [y, fJvp] = linearize(jit(f), x);
    const text = String(topLevel(fJvp as (t: Value) => Value, x));
    expect(count(text, "sin") + count(text, "cos")).toBe(0); // before: the tangent jit recomputed both
    expect(count(text, "jit")).toBe(1);
    const t = randArr([4], 6);
    const [y0, t0] = jvp(f, [x], [t]);
    expectClose(y as Value, y0 as Value, 1e-14);
    expectClose(fJvp(t as never) as Value, t0 as Value, 1e-14);
  });
});

describe("grad of scan", () => {
  const body = (c: Value, xi: Value): [Value, Value] => [lax.add(lax.mul(c, lax.sin(xi)), xi), lax.mul(c, xi)];
  const g = (x: Value) => {
    const [c, ys] = lax.scan(body, arr(1), x);
    return lax.add(c, sumAll(ys));
  };
  /** The same loop unrolled in JS: no scan, no partialEval rule. */
  const unrolled = (x: Value) => {
    let c: Value = arr(1);
    let total: Value = arr(0);
    for (let i = 0; i < x.shape[0]; i++) {
      const [next, y] = body(c, lax.reshape(lax.slice(x, [i], [i + 1]), []));
      total = lax.add(total, y);
      c = next;
    }
    return lax.add(c, total);
  };
  const x = randArr([6], 7);
  it("runs two scans (the primal one saving residuals, the transposed one), not three", () => {
    const text = String(topLevel(grad(g), x));
    expect(count(text, "scan")).toBe(2);
    const top = topLevel(grad(g), x);
    const scans = top.eqns.filter((e) => e.prim.name === "scan");
    expect(scans.map((e) => e.params.reverse)).toEqual([false, true]);
    // the backward scan is linear: it reads sin and cos as residuals, computes neither
    const back = String(scans[1].params.jaxpr);
    expect(count(back, "sin") + count(back, "cos")).toBe(0);
  });
  it("matches float64 finite differences and the unrolled loop", () => {
    const gr = grad(g)(x) as Value;
    expectClose(gr, fdGrad(g as (x: Array) => Value, x), 1e-6);
    expectClose(gr, grad(unrolled)(x) as Value, 1e-13);
    expectClose(jit(grad(g))(x) as Value, gr, 1e-13);
  });
  it("a residual computed from consts only is computed once, not stacked per step", () => {
    const xs = randArr([5, 3], 13);
    const loss = (w: Value) => sumAll(lax.scan((c: Value, xi: Value) => [lax.tanh(lax.add(c.matmul(lax.mul(w, 2)), xi)), null], lax.reduceSum(w, [0]), xs)[0] as Value);
    const w = randArr([3, 3], 14);
    const top = topLevel(grad(loss), w);
    const scans = top.eqns.filter((e) => e.prim.name === "scan");
    expect(scans.length).toBe(2);
    // mul w 2 is a const of the backward scan, computed once before the loops; no [5,3,3] stack
    expect(scans[0].outs.some((v) => v.aval.shape.join() === "5,3,3")).toBe(false);
    expect(scans[1].params.numConsts).toBe(1);
    expect(scans[1].inputs[0].aval.shape).toEqual([3, 3]);
    expectClose(grad(loss)(w) as Value, fdGrad(loss as (x: Array) => Value, w), 1e-6);
  });
  it("a scan over a jitted body and a cond inside a scan: the backward scan recomputes nothing", () => {
    const jb = jit((c: Value, xi: Value) => body(c, xi));
    const gj = (x: Value) => sumAll(lax.scan((c: Value, xi: Value) => jb(c, xi) as [Value, Value], arr(1), x)[1] as Value);
    expect(count(String(topLevel(grad(gj), x)), "sin")).toBe(1);
    expectClose(grad(gj)(x) as Value, fdGrad(gj as (x: Array) => Value, x), 1e-6);
    const gc = (x: Value) =>
      lax.scan((c: Value, r: Value) => [lax.cond(lax.gt(r, 0), (u: Value) => lax.mul(u, lax.sin(r)), (u: Value) => lax.add(u, lax.cos(r)), c), c], arr(1), x)[0] as Value;
    const scans = topLevel(grad(gc), x).eqns.filter((e) => e.prim.name === "scan");
    expect(scans.length).toBe(2);
    const back = String(scans[1].params.jaxpr);
    expect(count(back, "cond")).toBe(1);
    expect(count(back, "sin") + count(back, "cos")).toBe(0);
    expectClose(grad(gc)(x) as Value, fdGrad(gc as (x: Array) => Value, x), 1e-6);
  });
});

describe("cond and whileLoop", () => {
  const x = randArr([4], 11);
  const c = (p: Value) => (v: Value) => sumAll(lax.cond(p, (u: Value) => lax.mul(lax.sin(u), u), (u: Value) => lax.mul(u, u), v));
  it("grad of cond: a known cond now, a linear cond staged (sin once)", () => {
    for (const p of [true, false]) {
      const fn = c(arr(p ? 1 : 0, "bool"));
      const top = topLevel(grad(fn), x);
      expect(top.eqns.filter((e) => e.prim.name === "cond").length).toBe(2);
      expect(count(String(top), "sin")).toBe(1);
      expectClose(grad(fn)(x) as Value, fdGrad(fn as (x: Array) => Value, x), 1e-6);
    }
  });
  it("linearize through whileLoop: the known carries in a loop of their own, the tangents in the staged loop", () => {
    const w = (v: Value) => {
      const [, out] = lax.whileLoop(([i]: Value[]) => lax.lt(i, 3), ([i, u]: Value[]) => [lax.add(i, 1), lax.sin(u)], [arr(0, "int32"), v]);
      return out;
    };
    const [y, fJvp] = linearize(w, x);
    const t = randArr([4], 12);
    const [y0, t0] = jvp(w, [x], [t]);
    expectClose(y as Value, y0 as Value, 1e-14);
    expectClose(fJvp(t as never) as Value, t0 as Value, 1e-14);
    expectClose(fJvp(t as never) as Value, finiteDiff(w as (x: Array) => Value, x, t as Array), 1e-6);
    // the loop counter is known: the predicate does not wait for the tangents
    const top = topLevel(fJvp as (t: Value) => Value, x);
    expect(top.eqns.filter((e) => e.prim.name === "while").length).toBe(1);
  });
});

describe.skipIf(!hasGpu)("on WebGPU, as on the CPU", () => {
  beforeEach(() => void defaultDevice("webgpu"));
  afterEach(() => void defaultDevice("cpu"));
  const close = async (g: Value, c: Value) => {
    const [gv, cv] = [[...(await g.data())], [...(await c.data())]];
    expect(gv.length).toBe(cv.length);
    gv.forEach((v, i) => expect(Math.abs(v - cv[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(cv[i]))));
  };
  it("grad of jit (the known call and the transposed call on the device)", async () => {
    const { c, g } = onBothDevices(rand(8, 21), [8]);
    const jf = jit(f);
    await close(grad(jf)(g) as Value, onCpu(() => grad(jf)(c) as Value));
  });
  it("grad of scan (the primal scan's stacked residuals, the linear scan)", async () => {
    const body = (c: Value, xi: Value): [Value, Value] => [lax.tanh(lax.add(lax.mul(c, xi), lax.sin(xi))), c];
    const loss = (x: Value) => sumAll(lax.scan(body, lax.reduceSum(x, [0]), x)[0] as Value);
    const { c, g } = onBothDevices(rand(6, 22), [6]);
    await close(grad(loss)(g) as Value, onCpu(() => grad(loss)(c) as Value));
    await close(jit(grad(loss))(g) as Value, onCpu(() => grad(loss)(c) as Value));
  });
});
