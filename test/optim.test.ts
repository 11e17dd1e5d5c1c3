/**
 * optim: each optimizer's first steps on a small params tree against a
 * plain-JS float64 reference (and a few literal hand computations), the same
 * steps under jit and vmap, clipByGlobalNorm, chain, applyUpdates, and the
 * state layout (a pytree of arrays with an int32 step count).
 */
import { describe, expect, it } from "vitest";
import { Array as JArray, grad, jit, np, optim, tree, vmap } from "../src/index.js";
import type { Value } from "../src/trace/core.js";
import { arr, expectClose, values } from "./helpers.js";

type Params = { w: Value; b: Value };
/** expectClose for plain JS numbers. */
const closeNums = (a: number[], e: number[], tol: number) => expectClose(arr(a), e, tol);
const p0 = { w: [0.5, -1.5, 2.0, 0.25], b: [0.1, -0.3] };
const params0 = (): Params => ({ w: arr([[0.5, -1.5], [2.0, 0.25]]), b: arr([0.1, -0.3]) });
/** Gradients of step t: different every step, one of them 0 at the first step. */
const gradsJs = (t: number) => ({ w: [0.3 - 0.2 * t, -1.1 + t, 0.05 * t, 2 - t], b: [1.5 * (t + 1), -0.4 + 0.1 * t] });
const gradsAt = (t: number): Params => {
  const g = gradsJs(t);
  return { w: arr(g.w, "float64", [2, 2]), b: arr(g.b) };
};

/** A per-element reference optimizer: a fresh closure per element holds that element's state. */
type ElemRef = () => (g: number, p: number) => number;

const lr = 0.05;
const sqrt = Math.sqrt;
const adamRef = (b1: number, b2: number, eps: number, wd = 0): ElemRef => () => {
  let mu = 0;
  let nu = 0;
  let t = 0;
  return (g, p) => {
    mu = (1 - b1) * g + b1 * mu;
    nu = (1 - b2) * g * g + b2 * nu;
    t += 1;
    const muHat = mu / (1 - b1 ** t);
    const nuHat = nu / (1 - b2 ** t);
    return -lr * (muHat / (sqrt(nuHat) + eps) + wd * p);
  };
};

const cases: [string, () => optim.GradientTransformation<unknown>, ElemRef][] = [
  ["sgd", () => optim.sgd(lr), () => (g) => -lr * g],
  ["sgd momentum", () => optim.sgd(lr, { momentum: 0.9 }), () => {
    let tr = 0;
    return (g) => {
      tr = g + 0.9 * tr;
      return -lr * tr;
    };
  }],
  ["sgd nesterov", () => optim.sgd(lr, { momentum: 0.9, nesterov: true }), () => {
    let tr = 0;
    return (g) => {
      tr = g + 0.9 * tr;
      return -lr * (g + 0.9 * tr);
    };
  }],
  ["adam", () => optim.adam(lr), adamRef(0.9, 0.999, 1e-8)],
  ["adam (b1 .8, b2 .99, eps 1e-3)", () => optim.adam(lr, { b1: 0.8, b2: 0.99, eps: 1e-3 }), adamRef(0.8, 0.99, 1e-3)],
  ["adamw", () => optim.adamw(lr, { weightDecay: 0.1 }), adamRef(0.9, 0.999, 1e-8, 0.1)],
  ["adamw (default decay 1e-4)", () => optim.adamw(lr), adamRef(0.9, 0.999, 1e-8, 1e-4)],
  ["rmsprop", () => optim.rmsprop(lr), () => {
    let nu = 0;
    return (g) => {
      nu = 0.1 * g * g + 0.9 * nu;
      return (-lr * g) / sqrt(nu + 1e-8);
    };
  }],
  ["rmsprop momentum", () => optim.rmsprop(lr, { decay: 0.8, momentum: 0.9 }), () => {
    let nu = 0;
    let tr = 0;
    return (g) => {
      nu = 0.2 * g * g + 0.8 * nu;
      tr = (-lr * g) / sqrt(nu + 1e-8) + 0.9 * tr;
      return tr;
    };
  }],
  ["rmsprop centered", () => optim.rmsprop(lr, { centered: true, eps: 1e-4 }), () => {
    let mu = 0;
    let nu = 0;
    return (g) => {
      mu = 0.1 * g + 0.9 * mu;
      nu = 0.1 * g * g + 0.9 * nu;
      return (-lr * g) / sqrt(nu - mu * mu + 1e-4);
    };
  }],
  ["adagrad", () => optim.adagrad(lr), () => {
    let s = 0.1;
    return (g) => {
      s += g * g;
      return (-lr * g) / sqrt(s + 1e-7);
    };
  }],
  ["chain(addDecayedWeights, scale)", () => optim.chain(optim.addDecayedWeights(0.1), optim.scale(-0.5)), () => (g, p) => -0.5 * (g + 0.1 * p)],
  ["chain(scaleByAdam, scale)", () => optim.chain(optim.scaleByAdam(), optim.scale(-lr)), adamRef(0.9, 0.999, 1e-8)],
];

/** Runs `steps` updates with the reference; returns the updates of each step, per leaf. */
function reference(make: ElemRef, steps: number) {
  const fns = { w: p0.w.map(() => make()), b: p0.b.map(() => make()) };
  const p = { w: [...p0.w], b: [...p0.b] };
  const out: { w: number[]; b: number[] }[] = [];
  for (let t = 0; t < steps; t++) {
    const g = gradsJs(t);
    const u = { w: p.w.map((pv, i) => fns.w[i](g.w[i], pv)), b: p.b.map((pv, i) => fns.b[i](g.b[i], pv)) };
    p.w = p.w.map((v, i) => v + u.w[i]);
    p.b = p.b.map((v, i) => v + u.b[i]);
    out.push(u);
  }
  return { updates: out, params: p };
}

describe("optimizers against a float64 reference", () => {
  it.each(cases)("%s: three steps, eager and jitted", (_name, make, ref) => {
    const opt = make();
    const expected = reference(ref, 3);
    let params = params0();
    let state = opt.init(params);
    for (let t = 0; t < 3; t++) {
      const [updates, next] = opt.update(gradsAt(t), state, params);
      expectClose(updates.w, expected.updates[t].w, 1e-12);
      expectClose(updates.b, expected.updates[t].b, 1e-12);
      expect(updates.w.dtype).toBe("float64");
      params = optim.applyUpdates(params, updates);
      state = next;
    }
    expectClose(params.w, expected.params.w, 1e-12);
    expectClose(params.b, expected.params.b, 1e-12);

    // the whole step under jit: the same numbers, traced once
    const step = jit((p: Params, s: unknown, g: Params) => {
      const [u, s2] = opt.update(g, s, p);
      return [optim.applyUpdates(p, u), s2] as [Params, unknown];
    });
    let jp = params0();
    let js = opt.init(jp);
    for (let t = 0; t < 3; t++) [jp, js] = step(jp, js, gradsAt(t));
    expect(step.traces).toBe(1);
    expectClose(jp.w, params.w, 1e-13);
    expectClose(jp.b, params.b, 1e-13);
    const [eagerLeaves] = tree.flatten(state);
    const [jitLeaves] = tree.flatten(js);
    expect(jitLeaves.length).toBe(eagerLeaves.length);
    eagerLeaves.forEach((l, i) => expectClose(jitLeaves[i] as Value, l as Value, 1e-13));
  });
});

describe("hand-computed steps", () => {
  const one = (v: number) => ({ x: np.array([v], { dtype: "float64" }) });
  const run = (opt: optim.GradientTransformation<unknown>, gs: number[], p = 0) => {
    let params = one(p);
    let state = opt.init(params);
    return gs.map((g) => {
      const [u, s] = opt.update(one(g), state, params);
      state = s;
      params = optim.applyUpdates(params, u);
      return values(u.x)[0];
    });
  };

  it("sgd with momentum and Nesterov", () => {
    closeNums(run(optim.sgd(0.1), [1, 2]), [-0.1, -0.2], 1e-15);
    closeNums(run(optim.sgd(0.1, { momentum: 0.9 }), [1, 1]), [-0.1, -0.19], 1e-15);
    closeNums(run(optim.sgd(0.1, { momentum: 0.9, nesterov: true }), [1, 1]), [-0.19, -0.271], 1e-15);
  });

  it("adam: bias correction with t counted from 1", () => {
    // t=1: mu = 0.2, nu = 0.004; mû = 2, nû = 4 → -0.1 · 2 / (2 + 1e-8)
    // t=2: mu = 0.28, nu = 0.004996; mû = 0.28 / 0.19, nû = 0.004996 / 0.001999
    const u2 = (-0.1 * (0.28 / 0.19)) / (Math.sqrt(0.004996 / 0.001999) + 1e-8);
    closeNums(run(optim.adam(0.1), [2, 1]), [(-0.1 * 2) / (2 + 1e-8), u2], 1e-12);
    expect(u2).toBeCloseTo(-0.0932183, 6);
  });

  it("adamw adds weightDecay · params before the learning rate", () => {
    closeNums(run(optim.adamw(0.1, { weightDecay: 0.5 }), [2], 3), [-0.1 * (2 / (2 + 1e-8) + 0.5 * 3)], 1e-12);
    expect(() => optim.adamw(0.1).update(one(1), optim.adamw(0.1).init(one(1)))).toThrow(/needs the params/);
  });

  it("rmsprop and adagrad", () => {
    closeNums(run(optim.rmsprop(0.1), [2]), [(-0.1 * 2) / Math.sqrt(0.4 + 1e-8)], 1e-12);
    closeNums(run(optim.adagrad(0.1), [2, 1]), [(-0.1 * 2) / Math.sqrt(4.1 + 1e-7), -0.1 / Math.sqrt(5.1 + 1e-7)], 1e-12);
    // an accumulator of 0 gives an update of 0, not NaN
    closeNums(run(optim.adagrad(0.1, { initialAccumulatorValue: 0 }), [0, 2]), [0, (-0.1 * 2) / Math.sqrt(4 + 1e-7)], 1e-12);
  });
});

describe("clipping, chain, applyUpdates", () => {
  it("clipByGlobalNorm rescales only above maxNorm, over the whole tree", () => {
    const clip = optim.clipByGlobalNorm(1);
    const [u] = clip.update({ a: arr([3]), b: arr([[4, 0]]) }, clip.init({}));
    expectClose(u.a, [0.6], 1e-15);
    expectClose(u.b, [0.8, 0], 1e-15);
    const [small] = clip.update({ a: arr([0.3]), b: arr([0.4]) }, {});
    expectClose(small.a, [0.3], 1e-15);
    expectClose(small.b, [0.4], 1e-15);
    expectClose(optim.globalNorm({ a: arr([3]), b: [arr([4]), arr([12])] }), 13, 1e-15);
    const [j] = jit((g: { a: Value }) => optim.clipByGlobalNorm(2).update(g, {}))({ a: arr([6, 8]) });
    expectClose(j.a, [1.2, 1.6], 1e-15);
  });

  it("chain applies in order and keeps one state per link", () => {
    const opt = optim.chain(optim.clipByGlobalNorm(1), optim.scaleByAdam(), optim.scale(-0.1));
    const params = { a: arr([0, 0]) };
    const state = opt.init(params);
    expect(state.length).toBe(3);
    const [u, s] = opt.update({ a: arr([30, 40]) }, state, params);
    // clipped to [0.6, 0.8], adam's first step is ≈ sign, then × -0.1
    expectClose(u.a, [(-0.1 * 0.6) / (0.6 + 1e-8), (-0.1 * 0.8) / (0.8 + 1e-8)], 1e-12);
    expectClose(s[1].count, [1]);
    expectClose((s[1].mu as { a: Value }).a, [0.06, 0.08], 1e-12);
    const order = optim.chain(optim.scale(-0.1), optim.clipByGlobalNorm(1));
    const [u2] = order.update({ a: arr([30, 40]) }, order.init(params));
    expectClose(u2.a, [-0.6, -0.8], 1e-12);
    expect(() => opt.update({ a: arr([1, 1]) }, [] as unknown as typeof state, params)).toThrow(/state list/);
  });

  it("applyUpdates adds leafwise and keeps each param's dtype", () => {
    const p = { w: np.array([1, 2]), n: [np.array(1, { dtype: "float64" })] };
    const out = optim.applyUpdates(p, { w: np.array([0.5, 0.5], { dtype: "float64" }), n: [np.array(0.25, { dtype: "float64" })] });
    expect(out.w.dtype).toBe("float32");
    expectClose(out.w, [1.5, 2.5]);
    expectClose(out.n[0], [1.25]);
  });

  it("identity, scale, trace, clip", () => {
    const [u] = optim.identity().update({ a: arr([1]) }, {});
    expectClose(u.a, [1]);
    const [c] = optim.clip(1).update({ a: arr([-3, 0.5, 2]) }, {});
    expectClose(c.a, [-1, 0.5, 1]);
    const tr = optim.trace({ decay: 0.5 });
    const s0 = tr.init({ a: arr([0]) });
    const [t1, s1] = tr.update({ a: arr([2]) }, s0);
    const [t2] = tr.update({ a: arr([2]) }, s1);
    expectClose(t1.a, [2]);
    expectClose(t2.a, [3]);
  });
});

describe("state layout and transformations of a training step", () => {
  it("every state is a pytree of arrays with an int32 0-d step count", () => {
    const params = params0();
    for (const [name, make] of cases) {
      const leaves = tree.leaves(make().init(params));
      expect(leaves.every((l) => l instanceof JArray), name).toBe(true);
    }
    const opt = optim.adam(0.1);
    let state = opt.init(params);
    expect(state[0].count.dtype).toBe("int32");
    expect(state[0].count.shape).toEqual([]);
    for (let t = 0; t < 3; t++) state = opt.update(gradsAt(t), state)[1];
    expectClose(state[0].count, [3]);
  });

  it("schedules use the count carried in the state, also under jit", () => {
    const opt = optim.sgd(optim.exponentialDecay(0.1, 1, 0.5));
    type State = ReturnType<typeof opt.init>;
    const step = jit((s: State, g: { x: Value }) => opt.update(g, s));
    let state = opt.init({ x: np.zeros([1]) });
    const us: number[] = [];
    for (let t = 0; t < 3; t++) {
      const [u, s] = step(state, { x: np.ones([1]) });
      us.push(values(u.x)[0]);
      state = s;
    }
    closeNums(us, [-0.1, -0.05, -0.025], 1e-7);
    expect(step.traces).toBe(1);
    const adam = optim.adam(optim.linearSchedule(0, 1, 2));
    let as = adam.init({ x: arr([0]) });
    const au: number[] = [];
    for (let t = 0; t < 3; t++) {
      const [u, s] = adam.update({ x: arr([2]) }, as);
      au.push(values(u.x)[0]);
      as = s;
    }
    // lr 0, 0.5, 1 at steps 0, 1, 2; adam's update is ≈ 1 for a constant gradient
    closeNums(au, [0, -0.5 * (2 / (2 + 1e-8)), -(2 / (2 + 1e-8))], 1e-7);
  });

  it("a training step with grad inside jit, and vmapped over a batch of models", () => {
    const loss = (p: Params) => np.add(np.sum(np.square(np.subtract(p.w, 1))), np.sum(np.square(p.b)));
    const opt = optim.adam(0.1);
    type State = ReturnType<typeof opt.init>;
    const step = (p: Params, s: State) => {
      const [u, s2] = opt.update(grad(loss)(p), s, p);
      return [optim.applyUpdates(p, u), s2] as [Params, State];
    };
    let p = params0();
    let s = opt.init(p);
    const jstep = jit(step);
    let jp = params0();
    let js = opt.init(jp);
    for (let t = 0; t < 5; t++) {
      [p, s] = step(p, s);
      [jp, js] = jstep(jp, js);
    }
    expectClose(jp.w, p.w, 1e-13);
    expectClose(jp.b, p.b, 1e-13);

    // two models at once: vmap over params and state
    const batch = { w: np.stack([params0().w, np.zeros([2, 2], { dtype: "float64" })]), b: np.stack([params0().b, np.ones([2], { dtype: "float64" })]) };
    let bs = vmap((q: Params) => opt.init(q))(batch);
    let bp = batch;
    const vstep = jit(vmap(step));
    for (let t = 0; t < 5; t++) [bp, bs] = vstep(bp, bs);
    expectClose(bp.w.get(0), p.w, 1e-13);
    let q: Params = { w: np.zeros([2, 2], { dtype: "float64" }), b: np.ones([2], { dtype: "float64" }) };
    let qs = opt.init(q);
    for (let t = 0; t < 5; t++) [q, qs] = step(q, qs);
    expectClose(bp.w.get(1), q.w, 1e-13);
    expectClose(bp.b.get(1), q.b, 1e-13);
  });
});
