/**
 * Control flow (cond, switch, whileLoop, foriLoop, scan) against JS loops and
 * ifs, finite differences in float64, loops over the batch for vmap, and
 * jit == eager; and the compositions (grad∘grad, vmap∘grad, jit∘grad).
 */
import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import "../src/numpy/index.js";
import * as lax from "../src/lax/index.js";
import type { Value } from "../src/trace/core.js";
import { jvp } from "../src/transforms/jvp.js";
import { grad, linearize, vjp } from "../src/transforms/linearize.js";
import { vmap } from "../src/transforms/vmap.js";
import { jit } from "../src/transforms/jit.js";
import { makeJaxpr } from "../src/transforms/make-jaxpr.js";
import { DTypeError, ShapeError, UnsupportedError } from "../src/errors.js";
import type { Array } from "../src/array.js";
import { arr, expectClose, finiteDiff, randArr, values } from "./helpers.js";

const sumAll = (x: Value) => lax.reduceSum(x, x.shape.map((_, i) => i));
const i32 = (v: number | number[]) => arr(v, "int32");
const bool = (v: boolean) => arr(v ? 1 : 0, "bool");
/** A directional derivative of a scalar function by finite differences, for comparing with <grad, dir>. */
const fdAlong = (f: (x: Array) => Value, x: Array, seed: number) => {
  const dir = randArr([...x.shape], seed);
  return { dir, fd: finiteDiff(f, x, dir)[0] };
};
const dotv = (a: Value, b: Value) => values(a).reduce((s, v, i) => s + v * values(b)[i], 0);
/** Stacks per-example arrays on a new axis 0. */
const stack = (xs: Value[]) => lax.concatenate(xs.map((x) => lax.reshape(x, [1, ...x.shape])), 0);
const row = (x: Value, b: number) => lax.reshape(lax.slice(x, [b, ...x.shape.slice(1).map(() => 0)], [b + 1, ...x.shape.slice(1)]), x.shape.slice(1));

// ---- the functions under test and their JS references -------------------------------------------

const condFn = (p: Value, x: Value) => lax.cond(p, (v: Value) => lax.mul(lax.sin(v), 2), (v: Value) => lax.neg(lax.mul(v, v)), x);
const condRef = (p: boolean, x: number[]) => x.map((v) => (p ? 2 * Math.sin(v) : -v * v));

const branches3 = [(v: Value) => lax.add(v, 1), (v: Value) => lax.mul(v, v), (v: Value) => lax.exp(v)];
const switchRef = (i: number, x: number[]) => x.map((v) => [v + 1, v * v, Math.exp(v)][Math.min(Math.max(i, 0), 2)]);

/** Doubles x until it exceeds `limit`, counting the steps: a data-dependent trip count. */
const doubling = (x: Value, limit: Value) =>
  lax.whileLoop(([, v]: Value[]) => lax.lt(v, limit), ([n, v]: Value[]) => [lax.add(n, 1), lax.mul(v, 2)], [arr(0), x]);
const doublingRef = (x: number, limit: number) => {
  let n = 0;
  while (x < limit) {
    x *= 2;
    n++;
  }
  return [n, x];
};

const sumSquares = (n: number) => (x: Value) => lax.foriLoop(0, n, (i, acc: Value) => lax.add(acc, lax.mul(x, lax.convert(lax.mul(i, i), "float64"))), arr(0));

const cumsum = (xs: Value, reverse = false) => lax.scan((c: Value, x: Value) => [lax.add(c, x), lax.add(c, x)], arr(0), xs, { reverse });
const cumsumRef = (xs: number[], reverse = false) => {
  const order = reverse ? [...xs].reverse() : xs;
  let c = 0;
  const ys = order.map((v) => (c += v));
  return { c, ys: reverse ? ys.reverse() : ys };
};

/** carry = tanh(w * carry + x); ys = carry. */
const rnn = (w: Value, h0: Value, xs: Value, reverse = false) =>
  lax.scan((h: Value, x: Value) => {
    const next = lax.tanh(lax.add(lax.mul(w, h), x));
    return [next, next];
  }, h0, xs, { reverse });
const rnnRef = (w: number[], h0: number[], xs: number[][], reverse = false) => {
  let h = h0;
  const steps = reverse ? [...xs.keys()].reverse() : [...xs.keys()];
  const ys: number[][] = [];
  for (const t of steps) {
    h = h.map((v, i) => Math.tanh(w[i] * v + xs[t][i]));
    ys[t] = h;
  }
  return { h, ys };
};
const rnnLoss = (w: Value, h0: Value, xs: Value) => {
  const [h, ys] = rnn(w, h0, xs);
  return lax.add(sumAll(lax.mul(h, h)), sumAll(lax.sin(ys)));
};

// ---- cond and switch ---------------------------------------------------------------------------------

describe("cond and switch", () => {
  const x = arr([0.5, -1.2, 2]);
  it("runs the chosen branch (both branches, bool and integer predicates)", () => {
    expectClose(condFn(bool(true), x), condRef(true, [0.5, -1.2, 2]));
    expectClose(condFn(bool(false), x), condRef(false, [0.5, -1.2, 2]));
    expectClose(condFn(i32(3), x), condRef(true, [0.5, -1.2, 2]));
    expectClose(lax.cond(false, (v: Value) => v, (v: Value) => lax.neg(v), x), [-0.5, 1.2, -2]);
  });
  it("takes and returns pytrees, and closes over outer values", () => {
    const scale = arr(3);
    const f = (p: boolean) =>
      lax.cond(
        p,
        (o: { a: Value; b: Value[] }) => ({ s: lax.add(o.a, o.b[0]), t: lax.mul(o.b[1], scale) }),
        (o: { a: Value; b: Value[] }) => ({ s: lax.sub(o.a, o.b[0]), t: o.b[1] }),
        { a: arr([1, 2]), b: [arr([10, 20]), arr(4)] },
      );
    const t = f(true);
    expectClose(t.s, [11, 22]);
    expectClose(t.t, 12);
    const e = f(false);
    expectClose(e.s, [-9, -18]);
    expectClose(e.t, 4);
  });
  it("switch with 3 branches clamps an out-of-range index as JAX does", () => {
    for (const i of [-2, 0, 1, 2, 7]) {
      expectClose(lax.switch(i32(i), branches3, x), switchRef(i, [0.5, -1.2, 2]), 1e-12);
      expectClose(lax.switch(i, branches3, x), switchRef(i, [0.5, -1.2, 2]), 1e-12);
    }
  });
  it("branches with different output types are a ShapeError/DTypeError naming both", () => {
    expect(() => lax.cond(true, (v: Value) => v, (v: Value) => lax.reshape(v, [3, 1]), x)).toThrow(ShapeError);
    expect(() => lax.cond(true, (v: Value) => v, (v: Value) => lax.reshape(v, [3, 1]), x)).toThrow(/returns \(f64\[3,1\]\).*returns \(f64\[3\]\)/);
    expect(() => lax.cond(true, (v: Value) => v, (v: Value) => lax.convert(v, "float32"), x)).toThrow(DTypeError);
    expect(() => lax.cond(arr(1.5), (v: Value) => v, (v: Value) => v, x)).toThrow(/lax\.cond/);
    expect(() => lax.cond<[Value], unknown>(true, (v) => [v], (v) => v, x)).toThrow(ShapeError);
  });
  it("a JS number returned by one branch takes the other branch's dtype", () => {
    const out = lax.cond<[Value], Value | number>(false, (v) => sumAll(v), () => 7, x) as Value;
    expect(out.dtype).toBe("float64");
    expectClose(out, 7);
  });
  it("grad through cond matches finite differences (both branches)", () => {
    for (const p of [true, false]) {
      const f = (v: Array) => sumAll(condFn(bool(p), v));
      const g = grad(f)(x) as Value;
      const { dir, fd } = fdAlong(f, x, 3);
      expect(dotv(g, dir)).toBeCloseTo(fd, 6);
    }
    // the operand enters through a closure, too
    const h = (v: Array) => lax.cond(true, () => sumAll(lax.exp(v)), () => sumAll(v));
    expectClose(grad(h)(x) as Value, values(x).map(Math.exp), 1e-12);
  });
  it("grad through switch, grad∘grad through cond", () => {
    for (const i of [0, 1, 2]) {
      const f = (v: Array) => sumAll(lax.switch(i32(i), branches3, v));
      const { dir, fd } = fdAlong(f, x, 5);
      expect(dotv(grad(f)(x) as Value, dir)).toBeCloseTo(fd, 6);
    }
    const s = (v: Value) => lax.cond(lax.gt(v, 0), (u: Value) => lax.mul(u, lax.mul(u, u)), (u: Value) => lax.sin(u), v);
    expectClose(grad(grad(s))(arr(2)) as Value, 12, 1e-12);
    expectClose(grad(grad(s))(arr(-1)) as Value, -Math.sin(-1), 1e-12);
  });
  it("jvp through cond", () => {
    const [y, t] = jvp((v: Value) => condFn(bool(true), v), [x], [arr([1, 1, 1])]);
    expectClose(y as Value, condRef(true, values(x)));
    expectClose(t as Value, values(x).map((v) => 2 * Math.cos(v)), 1e-12);
  });
  it("vmap: unbatched predicate, batched predicate, batched switch index", () => {
    const xs = randArr([4, 3], 7);
    const out = vmap((v: Value) => condFn(bool(false), v))(xs) as Value;
    for (let b = 0; b < 4; b++) expectClose(row(out, b), condRef(false, values(row(xs, b))), 1e-12);
    const preds = arr([1, 0, 0, 1], "bool");
    const outB = vmap(condFn)(preds, xs) as Value;
    for (let b = 0; b < 4; b++) expectClose(row(outB, b), condRef([true, false, false, true][b], values(row(xs, b))), 1e-12);
    const idx = i32([2, -1, 1, 5]);
    const outS = vmap((i: Value, v: Value) => lax.switch(i, branches3, v))(idx, xs) as Value;
    for (let b = 0; b < 4; b++) expectClose(row(outS, b), switchRef([2, -1, 1, 5][b], values(row(xs, b))), 1e-12);
    // batched predicate, unbatched operand, inAxes 1
    const outC = vmap((p: Value) => condFn(p, x), { inAxes: 0 })(preds) as Value;
    for (let b = 0; b < 4; b++) expectClose(row(outC, b), condRef([true, false, false, true][b], values(x)), 1e-12);
  });
  it("vmap∘grad with a batched predicate", () => {
    const xs = arr([0.5, -1, 2, -0.3]);
    const g = vmap(grad((v: Value) => lax.cond(lax.gt(v, 0), (u: Value) => lax.sin(u), (u: Value) => lax.mul(u, u), v)))(xs) as Value;
    expectClose(g, values(xs).map((v) => (v > 0 ? Math.cos(v) : 2 * v)), 1e-12);
  });
  it("jit == eager", () => {
    const f = jit(condFn);
    expectClose(f(bool(true), x) as Value, condFn(bool(true), x), 0);
    expectClose(f(bool(false), x) as Value, condFn(bool(false), x), 0);
    const s = jit((i: Value, v: Value) => lax.switch(i, branches3, v));
    for (const i of [-1, 1, 4]) expectClose(s(i32(i), x) as Value, switchRef(i, values(x)), 1e-12);
    const g = jit(grad((v: Value) => sumAll(condFn(bool(false), v))));
    expectClose(g(x) as Value, values(x).map((v) => -2 * v), 1e-12);
  });
});

// ---- whileLoop and foriLoop --------------------------------------------------------------------------

describe("whileLoop and foriLoop", () => {
  it("counts to a data-dependent bound", () => {
    for (const [x0, limit] of [[1, 100], [3, 2], [0.7, 50]]) {
      const [n, v] = doubling(arr(x0), arr(limit)) as Value[];
      const [rn, rv] = doublingRef(x0, limit);
      expectClose(n, rn, 0);
      expectClose(v, rv, 1e-12);
    }
  });
  it("foriLoop: sum of squares with static and array bounds", () => {
    expectClose(sumSquares(10)(arr(1)) as Value, 285, 0);
    expectClose(sumSquares(0)(arr(1)) as Value, 0, 0);
    const dyn = lax.foriLoop(i32(2), i32(5), (i, acc: Value) => lax.add(acc, lax.convert(lax.mul(i, i), "float64")), arr(0)) as Value;
    expectClose(dyn, 4 + 9 + 16, 0);
  });
  it("jvp through whileLoop matches finite differences", () => {
    // the trip count is constant near x0 = 1.3, so the loop is smooth there
    const f = (x: Value) => {
      const [, v] = lax.whileLoop(([n]: Value[]) => lax.lt(n, 5), ([n, v]: Value[]) => [lax.add(n, 1), lax.sin(lax.mul(v, 1.5))], [arr(0), x]);
      return v;
    };
    const x0 = arr(1.3);
    const [y, t] = jvp(f, [x0], [arr(1)]);
    expectClose(y as Value, values(f(x0)), 1e-12);
    expectClose(t as Value, finiteDiff(f, x0, arr(1)), 1e-6);
    // and the doubling loop: d(2^n x)/dx = 2^n
    const [, [, dv]] = jvp((x: Value) => doubling(x, arr(100)), [arr(1)], [arr(1)]) as [unknown, Value[]];
    expectClose(dv, 128, 0);
  });
  it("reverse mode through whileLoop is an UnsupportedError pointing to scan", () => {
    const f = (x: Value) => doubling(x, arr(100))[1];
    expect(() => grad(f)(arr(1))).toThrow(UnsupportedError);
    expect(() => grad(f)(arr(1))).toThrow(/scan/);
    // a loop whose carry does not depend on the differentiated input is fine
    const g = (x: Value) => lax.mul(x, doubling(arr(1), arr(10))[0]);
    expectClose(grad(g)(arr(2)) as Value, 4, 0);
  });
  it("condFn must return a bool scalar; the carry must keep its type", () => {
    expect(() => lax.whileLoop((c: Value) => c, (c: Value) => c, arr(1))).toThrow(DTypeError);
    expect(() => lax.whileLoop((c: Value) => lax.lt(c, 3), (c: Value) => lax.reshape(c, [1]), arr(1))).toThrow(ShapeError);
    expect(() => lax.whileLoop((c: Value) => lax.lt(c, 3), (c: Value) => lax.convert(c, "float32"), arr(1))).toThrow(DTypeError);
  });
  it("grad through foriLoop with static bounds matches finite differences", () => {
    const f = (x: Array) => sumAll(lax.foriLoop(0, 4, (_i, c: Value) => lax.sin(lax.add(lax.mul(c, x), 0.3)), x));
    const x = arr([0.4, -0.8]);
    const { dir, fd } = fdAlong(f, x, 9);
    expect(dotv(grad(f)(x) as Value, dir)).toBeCloseTo(fd, 6);
    expectClose(grad(sumSquares(10))(arr(1)) as Value, 285, 0);
  });
  it("vmap of whileLoop: batched predicate (different trip counts) and unbatched predicate", () => {
    const xs = arr([1, 3, 0.7, 200]);
    const limits = arr([100, 2, 50, 10]);
    const [n, v] = vmap(doubling)(xs, limits) as Value[];
    const refs = [0, 1, 2, 3].map((b) => doublingRef(values(xs)[b], values(limits)[b]));
    expectClose(n, refs.map((r) => r[0]), 0);
    expectClose(v, refs.map((r) => r[1]), 1e-12);
    // unbatched predicate: a fixed count, batched values
    const squaring = (x: Value) => lax.whileLoop(([k]: Value[]) => lax.lt(k, 3), ([k, u]: Value[]) => [lax.add(k, 1), lax.mul(u, u)], [arr(0), x]);
    const [m, w] = vmap(squaring)(arr([1.1, 2, 0.5])) as Value[];
    expectClose(m, [3, 3, 3], 0);
    // the predicate stays unbatched: no "any" reduction over the batch in the loop
    expect(String(makeJaxpr(vmap(squaring))(arr([1.1, 2, 0.5])))).not.toContain("reduce_max");
    expect(String(makeJaxpr(vmap(doubling))(xs, limits))).toContain("reduce_max");
    expectClose(w, [1.1 ** 8, 2 ** 8, 0.5 ** 8], 1e-12);
    // a batched limit closed over
    const counts = vmap((lim: Value) => doubling(arr(1), lim)[0])(arr([1, 5, 1000])) as Value;
    expectClose(counts, [0, 3, 10], 0);
  });
  it("vmap of foriLoop and jvp∘vmap of whileLoop", () => {
    const out = vmap(sumSquares(4))(arr([1, 2, -1])) as Value;
    expectClose(out, [14, 28, -14], 0);
    const [, t] = jvp((x: Value) => vmap(doubling)(x, arr([10, 100]))[1], [arr([1, 1])], [arr([1, 1])]);
    expectClose(t as Value, [16, 128], 0);
  });
  it("jit == eager", () => {
    const f = jit(doubling);
    const [n, v] = f(arr(0.7), arr(50)) as Value[];
    const [en, ev] = doubling(arr(0.7), arr(50)) as Value[];
    expectClose(n, en, 0);
    expectClose(v, ev, 0);
    expectClose(jit(sumSquares(10))(arr(2)) as Value, 570, 0);
    const dyn = jit((lo: Value, hi: Value) => lax.foriLoop(lo, hi, (i, acc: Value) => lax.add(acc, lax.convert(i, "float64")), arr(0)));
    expectClose(dyn(i32(1), i32(5)) as Value, 10, 0);
  });
});

// ---- scan ------------------------------------------------------------------------------------------------

describe("scan", () => {
  const xs = arr([1, 2, 3, 4, 5]);
  it("cumulative sum, forwards and reversed", () => {
    for (const reverse of [false, true]) {
      const [c, ys] = cumsum(xs, reverse) as Value[];
      const ref = cumsumRef(values(xs), reverse);
      expectClose(c, ref.c, 0);
      expectClose(ys, ref.ys, 0);
    }
  });
  it("an RNN-like recurrence, forwards and reversed", () => {
    const w = arr([0.5, -0.9]);
    const h0 = arr([0.1, 0.2]);
    const seq = randArr([6, 2], 11);
    const seqRows = [0, 1, 2, 3, 4, 5].map((t) => values(row(seq, t)));
    for (const reverse of [false, true]) {
      const [h, ys] = rnn(w, h0, seq, reverse) as Value[];
      const ref = rnnRef(values(w), values(h0), seqRows, reverse);
      expectClose(h, ref.h, 1e-12);
      expectClose(ys, ref.ys.flat(), 1e-12);
    }
  });
  it("pytrees, xs = null with length, length 0, and shape errors", () => {
    const [c, ys] = lax.scan(
      (carry: { a: Value; n: Value }, x: [Value, Value]) => [{ a: lax.add(carry.a, x[0]), n: lax.add(carry.n, 1) }, { p: lax.mul(x[0], x[1]) }],
      { a: arr(0), n: arr(0) },
      [xs, lax.neg(xs)],
    );
    expectClose(c.a, 15, 0);
    expectClose(c.n, 5, 0);
    expectClose(ys.p, [-1, -4, -9, -16, -25], 0);
    const [c2, ys2] = lax.scan((k: Value) => [lax.mul(k, 2), k], arr(1), null, { length: 4 });
    expectClose(c2 as Value, 16, 0);
    expectClose(ys2 as Value, [1, 2, 4, 8], 0);
    const [c1, ys1] = lax.scan((k: Value, x: Value) => [lax.add(k, x), lax.mul(x, 2)], arr(1), arr([5]));
    expectClose(c1 as Value, 6, 0);
    expectClose(ys1 as Value, [10], 0);
    const [c3, ys3] = lax.scan((k: Value, x: Value) => [lax.add(k, x), x], arr(7), arr([], "float64", [0]));
    expectClose(c3 as Value, 7, 0);
    expect((ys3 as Value).shape).toEqual([0]);
    expect(() => lax.scan((k: Value) => [k, k], arr(1), null)).toThrow(ShapeError);
    expect(() => lax.scan((k: Value, x: Value) => [lax.reshape(k, [1]), x], arr(1), xs)).toThrow(ShapeError);
    expect(() => lax.scan((k: Value, x: Value[]) => [k, x], arr(1), [xs, arr([1, 2])])).toThrow(ShapeError);
  });
  it("grad through scan (RNN loss) matches finite differences in every argument", () => {
    const w = arr([0.5, -0.9]);
    const h0 = arr([0.1, 0.2]);
    const seq = randArr([5, 2], 13);
    const [gw, gh, gx] = grad(rnnLoss, { argnums: [0, 1, 2] })(w, h0, seq) as Value[];
    const check = (g: Value, f: (v: Array) => Value, at: Array, seed: number) => {
      const { dir, fd } = fdAlong(f, at, seed);
      expect(dotv(g, dir)).toBeCloseTo(fd, 6);
    };
    check(gw, (v) => rnnLoss(v, h0, seq), w, 1);
    check(gh, (v) => rnnLoss(w, v, seq), h0, 2);
    check(gx, (v) => rnnLoss(w, h0, v), seq, 3);
  });
  it("grad through a reversed scan and through cumsum", () => {
    const w = arr([0.3, 0.7]);
    const seq = randArr([4, 2], 17);
    const f = (v: Array) => {
      const [h, ys] = rnn(v, arr([0, 0]), seq, true);
      return lax.add(sumAll(h), sumAll(lax.mul(ys, ys)));
    };
    const { dir, fd } = fdAlong(f, w, 4);
    expect(dotv(grad(f)(w) as Value, dir)).toBeCloseTo(fd, 6);
    const g = grad((v: Value) => sumAll(lax.mul((cumsum(v) as Value[])[1], arr([1, 2, 3, 4, 5]))))(xs) as Value;
    expectClose(g, [15, 14, 12, 9, 5], 0);
  });
  it("jvp and linearize through scan", () => {
    const w = arr([0.5, -0.9]);
    const seq = randArr([5, 2], 19);
    const f = (v: Value) => rnnLoss(v, arr([0.1, 0.2]), seq);
    const dir = arr([0.3, -1]);
    const [, t] = jvp(f, [w], [dir]);
    expectClose(t as Value, finiteDiff(f, w, dir), 1e-6);
    const [, fJvp] = linearize(f, w);
    expectClose(fJvp(dir) as Value, values(t as Value), 1e-12);
  });
  it("grad∘grad through scan (a Hessian-vector product)", () => {
    const w = arr([0.5, -0.9]);
    const seq = randArr([4, 2], 23);
    const f = (v: Value) => rnnLoss(v, arr([0.1, 0.2]), seq);
    const dir = arr([1, 0.5]);
    const hvp = grad((v: Value) => sumAll(lax.mul(grad(f)(v) as Value, dir)))(w) as Value;
    const fd = finiteDiff((v) => grad(f)(v) as Value, w, dir, 1e-5);
    expectClose(hvp, fd, 1e-6);
  });
  it("vmap of scan: batched xs, batched init, batched closure; vmap∘grad", () => {
    const B = 3;
    const ws = randArr([B, 2], 29);
    const h0s = randArr([B, 2], 31);
    const seqs = randArr([B, 4, 2], 37);
    const [hs, yss] = vmap((w: Value, h: Value, s: Value) => rnn(w, h, s))(ws, h0s, seqs) as Value[];
    for (let b = 0; b < B; b++) {
      const [h, ys] = rnn(row(ws, b), row(h0s, b), row(seqs, b)) as Value[];
      expectClose(row(hs, b), h, 1e-12);
      expectClose(row(yss, b), ys, 1e-12);
    }
    // only the xs batched (on axis 1), the rest shared; carries become batched
    const seqT = lax.transpose(seqs, [1, 0, 2]);
    const [hs2] = vmap((s: Value) => rnn(row(ws, 0), row(h0s, 0), s), { inAxes: 1 })(seqT) as Value[];
    for (let b = 0; b < B; b++) expectClose(row(hs2, b), (rnn(row(ws, 0), row(h0s, 0), row(seqs, b)) as Value[])[0], 1e-12);
    // per-example gradients
    const gs = vmap(grad((w: Value, s: Value) => rnnLoss(w, arr([0.1, 0.2]), s)))(ws, seqs) as Value;
    for (let b = 0; b < B; b++) expectClose(row(gs, b), grad(rnnLoss)(row(ws, b), arr([0.1, 0.2]), row(seqs, b)) as Value, 1e-12);
  });
  it("jit == eager, jit∘grad and grad∘jit", () => {
    const w = arr([0.5, -0.9]);
    const h0 = arr([0.1, 0.2]);
    const seq = randArr([5, 2], 41);
    const [h, ys] = jit((a: Value, b: Value, c: Value) => rnn(a, b, c))(w, h0, seq) as Value[];
    const [eh, eys] = rnn(w, h0, seq) as Value[];
    expectClose(h, eh, 1e-15);
    expectClose(ys, eys, 1e-15);
    const [c, cs] = jit((v: Value) => cumsum(v, true))(xs) as Value[];
    expectClose(c, 15, 0);
    expectClose(cs, cumsumRef(values(xs), true).ys, 0);
    const g = grad(rnnLoss)(w, h0, seq) as Value;
    expectClose(jit(grad(rnnLoss))(w, h0, seq) as Value, g, 1e-12);
    expectClose(grad(jit(rnnLoss))(w, h0, seq) as Value, g, 1e-12);
    const [, pullback] = vjp((s: Value) => rnn(w, h0, s)[1], seq);
    expect((pullback(arr(rowsOfOnes(5, 2))) as Value[])[0].shape).toEqual([5, 2]);
  });
  it("makeJaxpr of a scan prints the body", () => {
    const text = String(makeJaxpr((v: Value) => cumsum(v))(xs));
    expect(text).toContain("scan[");
    expect(text).toContain("length=5");
    expect(text).toContain("add");
    const g = String(makeJaxpr(grad((v: Value) => sumAll(lax.sin((cumsum(v) as Value[])[1]))))(xs));
    expect(g).toContain("scan");
  });
});

describe("compositions", () => {
  it("grad through nested scans and a cond inside a scan matches finite differences", () => {
    const nested = (x: Array) =>
      sumAll(
        lax.scan((c: Value, r: Value) => {
          const [, inner] = lax.scan((d: Value, e: Value) => [lax.mul(d, lax.sin(e)), lax.add(d, e)], c, r);
          return [lax.add(c, sumAll(lax.mul(inner, inner))), c];
        }, arr(0.5), lax.reshape(x, [2, 3]))[0] as Value,
      );
    const condInScan = (x: Array) =>
      lax.scan((c: Value, r: Value) => [lax.cond(lax.gt(r, 0), (u: Value) => lax.mul(u, r), (u: Value) => lax.add(u, lax.sin(r)), c), c], arr(1), x)[0] as Value;
    const x = randArr([6], 43);
    for (const f of [nested, condInScan]) {
      const { dir, fd } = fdAlong(f, x, 47);
      expect(dotv(grad(f)(x) as Value, dir)).toBeCloseTo(fd, 6);
    }
  });
  it("a JS-number initial carry takes the body's dtype (as JAX's weak types)", () => {
    // numpy-style methods promote: weak f32 + f64 -> f64
    const [c] = lax.scan((k: Value | number, x: Value) => [x.add(k), x], 0 as Value | number, arr([1, 2, 3]));
    expect((c as Value).dtype).toBe("float64");
    expectClose(c as Value, 6, 0);
    const w = lax.whileLoop(([n]: (Value | number)[]) => lax.lt(n as Value, 3), ([n, v]: (Value | number)[]) => [(n as Value).add(1), arr(2).mul(v)], [0, 1] as (Value | number)[]);
    expect((w[1] as Value).dtype).toBe("float64");
    expectClose(w[1] as Value, 8, 0);
  });
  it("grad of a linear scan needs no forward pass over the residuals", () => {
    const text = String(makeJaxpr(grad((v: Value) => sumAll((cumsum(v) as Value[])[1])))(arr([1, 2, 3])));
    expect(text.match(/= scan\[/g)?.length).toBe(2); // the primal scan and the transposed one
  });
});

function rowsOfOnes(n: number, m: number): number[][] {
  return globalThis.Array.from({ length: n }, () => globalThis.Array.from({ length: m }, () => 1));
}
