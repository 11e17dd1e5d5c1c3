/**
 * `lax.whileLoop` and `lax.foriLoop` with traced bounds on WebGPU: the loop
 * runs on the device (runtime/device-loop.ts, backend/webgpu/stream.ts) and
 * gives the CPU's answers — counting loops, data-dependent trip counts
 * (Newton, Collatz, gradient descent until converged), zero-trip loops, vmap
 * with a different trip count per lane, traced foriLoop bounds, loops inside
 * scan and scan, cond and loops inside a loop, forward mode — eager and
 * jitted. The CPU runs the same functions as the reference; where a result
 * has a closed form or a plain JS loop, that is checked too. Also: no
 * synchronous readback (and only a few asynchronous flag reads) during a
 * loop, the results stay lazy until read, work issued after a loop (even
 * disposing its operands) is ordered after it, and reverse mode stays the
 * typed error it is.
 *
 * Without an adapter the file is skipped with the reason printed (see
 * device-helpers.ts), unless JAXON_REQUIRE_WEBGPU is set.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Array, BackendError, grad, jit, jvp, lax, np, scipy, UnsupportedError, vmap, type Value } from "../src/index.js";
import { getBackend } from "../src/backend/device.js";
import { readCount } from "../src/backend/webgpu/buffers.js";
import { lowerBindingLimitForTests } from "../src/backend/webgpu/context.js";
import { streamStats } from "../src/backend/webgpu/stream.js";
import { deviceLoopConfig } from "../src/runtime/index.js";
import { onCpu, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("while-webgpu.test.ts");

type Out = Value | Out[];
const leaves = (x: Out): Array[] => (globalThis.Array.isArray(x) ? x.flatMap(leaves) : [x as Array]);
const int = (v: number | number[]) => np.array(v, { dtype: "int32" });

/**
 * Runs `f` on arrays made by `make` on the CPU (the reference) and on WebGPU
 * (the default device here); checks that the GPU results live there and
 * match, and returns the GPU's values.
 */
async function sameOnBoth(f: (...xs: Value[]) => Out, make: () => Value[], tol = 1e-5): Promise<number[][]> {
  const want = onCpu(() => leaves(f(...make())).map((a) => globalThis.Array.from(a.dataSync())));
  const outs = leaves(f(...make()));
  const got: number[][] = [];
  for (const o of outs) {
    expect(o.device).toBe("webgpu");
    got.push(globalThis.Array.from(await o.data()));
  }
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    expect(g.length).toBe(want[i].length);
    g.forEach((v, j) => {
      if (Number.isInteger(want[i][j]) && Math.abs(want[i][j]) < 2 ** 24) expect(v, `output ${i} [${j}]`).toBe(want[i][j]);
      else expect(Math.abs(v - want[i][j]), `output ${i} [${j}]: ${v} vs ${want[i][j]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i][j])));
    });
  });
  return got;
}

// ---- the loops --------------------------------------------------------------------------

type Pair = [Value, Value];
/** (i, Σ_{j<i} j) while i < n. */
const countTo = (n: Value) =>
  lax.whileLoop(([i]: Pair) => i.lt(n), ([i, s]: Pair) => [i.add(1), s.add(i)] as Pair, [int(0), int(0)] as Pair);

/** Newton's iteration for √a, per element, until every step is below 1e-4 relative; returns (x, steps). */
const newtonSqrt = (a: Value) =>
  lax.whileLoop(
    ([x, , dx]: [Value, Value, Value]) => np.any(dx.gt(a.mul(1e-4))),
    ([x, k]: [Value, Value, Value]) => {
      const next = x.add(a.div(x)).mul(0.5);
      return [next, k.add(1), next.sub(x).abs()] as [Value, Value, Value];
    },
    [a.add(1), int(0), a.add(1)] as [Value, Value, Value],
  ).slice(0, 2);

/** Collatz: steps until n reaches 1. */
const collatz = (n: Value) =>
  lax.whileLoop(
    ([m]: Pair) => m.ne(1),
    ([m, k]: Pair) => [np.where(m.mod(2).eq(0), m.floorDiv(2), m.mul(3).add(1)), k.add(1)] as Pair,
    [n, int(0)] as Pair,
  );
function collatzJs(n: number): number {
  let k = 0;
  while (n !== 1) {
    n = n % 2 === 0 ? n / 2 : 3 * n + 1;
    k++;
  }
  return k;
}

/** The gradient-descent tutorial's loop: x ← x − lr·f'(x) on f = x² until |f'(x)| < 0.1 (at most 100 steps); returns (x, steps). */
const descend = (x0: Value, lr: Value) => {
  const df = grad((x: Value) => x.mul(x));
  return lax.whileLoop(
    ([x, i]: Pair) => np.abs(df(x) as Value).ge(0.1).and(i.lt(100)),
    ([x, i]: Pair) => [x.sub((df(x) as Value).mul(lr)), i.add(1)] as Pair,
    [x0, int(0)] as Pair,
  );
};
/** The same in plain JS (float32 steps), as the tutorial's example runs it. */
function descendJs(x0: number, lr: number): [number, number] {
  let x = Math.fround(x0);
  let i = 0;
  while (Math.abs(2 * x) >= 0.1 && i < 100) {
    x = Math.fround(x - Math.fround(Math.fround(2 * x) * Math.fround(lr)));
    i++;
  }
  return [x, i];
}

describe.skipIf(!hasGpu)("whileLoop on WebGPU gives the CPU's answers", () => {
  it("counting loops, eager and jitted, for trip counts 0, 1, 7 and 300", async () => {
    for (const n of [0, 1, 7, 300]) {
      for (const g of [countTo, jit(countTo)]) {
        const [[i], [s]] = await sameOnBoth((m) => g(m), () => [int(n)]);
        expect([i, s]).toEqual([n, (n * (n - 1)) / 2 + 0]);
      }
    }
  });
  it("Newton's square roots: a data-dependent trip count over a vector", async () => {
    const values = [2, 10, 1e4, 0.25, 7e5];
    const [x, [steps]] = await sameOnBoth((a) => jit(newtonSqrt)(a), () => [np.array(values)]);
    x.forEach((v, i) => expect(Math.abs(v - Math.sqrt(values[i]))).toBeLessThan(1e-3 * Math.sqrt(values[i])));
    expect(steps).toBeGreaterThan(5);
  });
  it("Collatz trip counts (integer loops), jitted and eager", async () => {
    for (const n of [1, 6, 27, 97]) {
      const [[m], [k]] = await sameOnBoth((a) => jit(collatz)(a), () => [int(n)]);
      expect([m, k]).toEqual([1, collatzJs(n)]);
    }
    const [, [k]] = await sameOnBoth((a) => collatz(a), () => [int(27)]);
    expect(k).toBe(111);
  });
  it("the gradient-descent tutorial's loop (step until |dy/dx| < 0.1) runs jitted on both devices with the same answer", async () => {
    for (const lr of [0.1, 0.6, 1.5]) {
      const [[x], [steps]] = await sameOnBoth((x0, r) => jit(descend)(x0, r), () => [np.array(-4), np.array(lr)]);
      const [xJs, stepsJs] = descendJs(-4, lr);
      expect(steps).toBe(stepsJs);
      expect(Math.abs(x - xJs)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(xJs)));
    }
    // the tutorial's numbers: lr 0.1 converges after 20 steps at x ≈ -0.0461
    const [[x], [steps]] = await sameOnBoth((x0, r) => jit(descend)(x0, r), () => [np.array(-4), np.array(0.1)]);
    expect(steps).toBe(20);
    expect(x).toBeCloseTo(-0.0461, 4);
  });
  it("a zero-trip loop returns its initial carry, bit for bit", async () => {
    const f = (x: Value) => lax.whileLoop((c: Value) => c.sum().gt(100), (c: Value) => c.mul(NaN), x);
    const [got] = await sameOnBoth((x) => jit(f)(x), () => [np.array([1.5, -0, 3])]);
    expect(Object.is(got[1], -0)).toBe(true);
    expect(got).toEqual([1.5, -0, 3]);
  });
  it("vmap with a different trip count per lane runs until every lane is done, each keeping its own carry", async () => {
    const ns = [0, 3, 11, 1, 6];
    const [i, s] = await sameOnBoth((n) => jit(vmap(countTo))(n), () => [int(ns)]);
    expect(i).toEqual(ns);
    expect(s).toEqual(ns.map((n) => (n * (n - 1)) / 2 + 0));
    const [, k] = await sameOnBoth((n) => vmap(collatz)(n), () => [int([1, 27, 6, 97])]);
    expect(k).toEqual([1, 27, 6, 97].map(collatzJs));
    // an unbatched predicate: every lane runs the same 4 steps
    const squaring = (x: Value) => lax.whileLoop(([k]: Pair) => k.lt(4), ([k, u]: Pair) => [k.add(1), u.mul(u).mul(0.5)] as Pair, [int(0), x] as Pair);
    const [, u] = await sameOnBoth((x) => jit(vmap(squaring))(x), () => [np.array([1, 1.5, 2, -0.5])]);
    expect(u).toEqual([1, 1.5, 2, -0.5].map((v) => {
      for (let j = 0; j < 4; j++) v = Math.fround(Math.fround(v * v) * 0.5);
      return v;
    }));
  });
  it("foriLoop with traced bounds, including an empty range", async () => {
    const f = (lo: Value, hi: Value, x: Value) => lax.foriLoop(lo, hi, (i: Value, acc: Value) => acc.mul(1.5).add(i), x);
    for (const [lo, hi] of [[2, 9], [5, 5], [7, 3]]) {
      let want = 1;
      for (let i = lo; i < hi; i++) want = want * 1.5 + i;
      for (const g of [f, jit(f)]) {
        const [[got]] = await sameOnBoth((a, b, x) => g(a, b, x), () => [int(lo), int(hi), np.array(1)]);
        expect(got).toBeCloseTo(want, 3);
      }
    }
  });
  it("a loop inside scan, and a scan inside a loop", async () => {
    // per x: how many halvings until below 1
    const halvings = (xs: Value) =>
      lax.scan(
        (c: Value, x: Value) => {
          const [, k] = lax.whileLoop(([v]: Pair) => v.ge(1), ([v, k]: Pair) => [v.mul(0.5), k.add(1)] as Pair, [x, int(0)] as Pair);
          return [c.add(k), k] as [Value, Value];
        },
        int(0),
        xs,
      );
    const [[total], ks] = await sameOnBoth((xs) => jit(halvings)(xs), () => [np.array([0.5, 3, 100, 1])]);
    expect(ks).toEqual([0, 2, 7, 1]);
    expect(total).toBe(10);
    // until the running sums' last element passes 50: each step adds a cumulative sum
    const sums = (v: Value) =>
      lax.whileLoop(
        ([x]: Pair) => x.get(-1).lt(50),
        ([x, k]: Pair) => {
          const [, ys] = lax.scan((c: Value, e: Value) => [c.add(e), c.add(e)] as [Value, Value], np.array(0), x);
          return [x.add(ys), k.add(1)] as Pair;
        },
        [v, int(0)] as Pair,
      );
    await sameOnBoth((v) => jit(sums)(v), () => [np.array([1, 0.5, 0.25])]);
    await sameOnBoth((v) => sums(v), () => [np.array([1, 0.5, 0.25])]);
  });
  it("nested loops and a cond inside the body", async () => {
    // Σ_{i<n} Σ_{j<i} j, the inner loop's trip count depending on the outer carry
    const nested = (n: Value) =>
      lax.whileLoop(
        ([i]: Pair) => i.lt(n),
        ([i, acc]: Pair) => {
          const [, inner] = lax.whileLoop(([j]: Pair) => j.lt(i), ([j, a]: Pair) => [j.add(1), a.add(j)] as Pair, [int(0), acc] as Pair);
          return [i.add(1), inner] as Pair;
        },
        [int(0), int(0)] as Pair,
      );
    for (const g of [nested, jit(nested)]) {
      const [, [acc]] = await sameOnBoth((n) => g(n), () => [int(6)]);
      let want = 0;
      for (let i = 0; i < 6; i++) for (let j = 0; j < i; j++) want += j;
      expect(acc).toBe(want);
    }
    // an inner loop that would never end on the finished carry (x = 0: k < 10/x forever): the
    // guarded iterations past the end must not run it — directly in the body, or inside a jitted call
    const innerCount = (x: Value) =>
      lax.whileLoop(([k]: Pair) => k.mul(x).lt(10), ([k, n]: Pair) => [k.add(1), n.add(1)] as Pair, [np.array(0), int(0)] as Pair)[1];
    for (const inner of [innerCount, jit(innerCount)]) {
      const outer = (x0: Value) =>
        lax.whileLoop(([x]: Pair) => x.gt(0), ([x, acc]: Pair) => [x.sub(1), acc.add(inner(x))] as Pair, [x0, int(0)] as Pair);
      const [[x], [acc]] = await sameOnBoth((x0) => jit(outer)(x0), () => [np.array(3)]);
      expect([x, acc]).toEqual([0, 4 + 5 + 10]);
    }
    // the same loop inside a scan, out of the predicate guard's reach: the body then runs, where the
    // flag is false, on the last carry it really ran on; a zero-trip loop never runs it
    const scanned = (x: Value) =>
      lax.scan((c: Value, sc: Value) => [c.add(innerCount(x.mul(sc))), null] as [Value, null], int(0), np.array([1, 2]))[0];
    const viaScan = (x0: Value) =>
      lax.whileLoop(([x]: Pair) => x.gt(0), ([x, acc]: Pair) => [x.sub(1), acc.add(scanned(x))] as Pair, [x0, int(0)] as Pair);
    const [, [total]] = await sameOnBoth((x0) => jit(viaScan)(x0), () => [np.array(3)]);
    expect(total).toBe(4 + 2 + (5 + 3) + (10 + 5));
    const [[x0], [none]] = await sameOnBoth((x0) => viaScan(x0), () => [np.array(0)]);
    expect([x0, none]).toEqual([0, 0]);
    // Collatz written with lax.cond instead of where
    const withCond = (n: Value) =>
      lax.whileLoop(
        ([m]: Pair) => m.ne(1),
        ([m, k]: Pair) => [lax.cond(m.mod(2).eq(0), (v: Value) => v.floorDiv(2), (v: Value) => v.mul(3).add(1), m), k.add(1)] as Pair,
        [n, int(0)] as Pair,
      );
    const [, [k]] = await sameOnBoth((n) => jit(withCond)(n), () => [int(27)]);
    expect(k).toBe(111);
  });
  it("scipy.optimize.minimize (BFGS: a line search's loops inside the iteration's loop), eager and jitted", async () => {
    const target = [1, -2, 0.5];
    // a bowl with a quartic wall, its minimum at `target`
    const fun = (x: Value) => {
      const d = x.sub(np.array(target));
      return d.square().mul(np.array([1, 4, 9])).sum().add(d.square().square().sum().mul(0.1));
    };
    const solve = (x0: Value) => {
      const r = scipy.optimize.minimize(fun, x0, { method: "BFGS", options: { gtol: 1e-3 } });
      return [r.x, r.nit, r.success, r.fun] as Out;
    };
    for (const g of [solve, (x0: Value) => jit(solve)(x0)]) {
      const [x, [nit], [ok]] = await sameOnBoth(g, () => [np.array([-1.2, 1, 0.5])], 1e-4);
      expect(ok).toBe(1);
      expect(nit).toBeGreaterThan(2);
      x.forEach((v, i) => expect(v).toBeCloseTo(target[i], 3));
    }
  });
  it("forward mode (jvp) through a loop on the device; reverse mode stays the typed error", async () => {
    const grow = (x: Value) => lax.whileLoop((c: Value) => c.lt(10), (c: Value) => c.mul(c).add(0.5), x);
    const [[y], [t]] = await sameOnBoth((x) => jvp(grow, [x], [np.array(1)]) as Out, () => [np.array(1.2)]);
    // y = ((1.2²+.5)²+.5)² + .5 after three steps; dy/dx by the chain rule
    let v = 1.2;
    let d = 1;
    while (v < 10) {
      d = 2 * v * d;
      v = v * v + 0.5;
    }
    expect(y).toBeCloseTo(v, 3);
    expect(t).toBeCloseTo(d, 2);
    expect(() => grad(grow)(np.array(1.2))).toThrow(UnsupportedError);
  });
  it("iterations past the end change nothing: every chunk size gives the same bits", async () => {
    const saved = { ...deviceLoopConfig };
    try {
      const results: number[][] = [];
      for (const [firstChunk, maxChunk] of [[1, 1], [1, 8], [16, 16], [1, 256]]) {
        Object.assign(deviceLoopConfig, { firstChunk, maxChunk });
        const [x] = await sameOnBoth((a) => jit(newtonSqrt)(a), () => [np.array([3, 1e3, 0.5])]);
        results.push(x);
      }
      for (const r of results) expect(r).toEqual(results[0]);
    } finally {
      Object.assign(deviceLoopConfig, saved);
    }
  });
});

describe.skipIf(!hasGpu)("a loop on the device does not wait for it", () => {
  afterEach(() => vi.restoreAllMocks());
  it("no synchronous readback during the loop, and a few asynchronous flag reads for 1,000 iterations", async () => {
    const gpu = getBackend("webgpu");
    const readSync = vi.spyOn(gpu, "readSync");
    const f = jit(countTo);
    // warm up (compiles), then count
    await (f(int(3))[1] as Array).data();
    const before = readCount();
    const [i, s] = f(int(1000)) as [Array, Array];
    expect(await s.data()).toEqual(new Int32Array([499500]));
    expect(await i.data()).toEqual(new Int32Array([1000]));
    const reads = readCount() - before;
    // two reads are ours; the loop's flag is read once per chunk (1, 2, 4, …, 64, 64, …): about 20, not 1,000
    expect(reads - 2).toBeLessThan(30);
    expect(reads - 2).toBeGreaterThan(3);
    expect(readSync).not.toHaveBeenCalled();
  });
  it("the results come back at once and stay lazy until read; work made after the loop waits for it", async () => {
    const f = jit(countTo);
    await (f(int(2))[1] as Array).data();
    const jobsBefore = streamStats().jobs;
    const [, s] = f(int(500)) as [Array, Array];
    // returned synchronously, the loop still running on the device
    expect(streamStats().inFlight).toBe(1);
    expect(streamStats().jobs).toBe(jobsBefore + 1);
    expect(s.device).toBe("webgpu");
    expect(() => s.dataSync()).toThrow(BackendError);
    // a consumer made now is recorded after the loop's last iteration
    const t = s.mul(2).add(1) as Array;
    const deferredBefore = streamStats().deferred;
    const u = t.sub(1) as Array;
    expect(streamStats().deferred).toBeGreaterThan(deferredBefore);
    expect(await u.data()).toEqual(new Int32Array([2 * 124750]));
    expect(streamStats().inFlight).toBe(0);
  });
  it("200 jitted loops queued in one synchronous loop (no await) give the right answer", async () => {
    const step = jit((x: Value) => lax.whileLoop((c: Value) => c.lt(x.add(3)), (c: Value) => c.add(1), x));
    let x: Value = np.array(0);
    for (let k = 0; k < 200; k++) x = step(x);
    expect(streamStats().inFlight).toBe(1);
    expect(await (x as Array).item()).toBe(600);
    expect(streamStats().inFlight).toBe(0);
  });
  it("a loop that fails on the device makes reads of its results throw, and work after it still runs", async () => {
    const x = np.linspace(0, 1, 2048) as Array;
    await x.data();
    // sort cannot be split into chunks: over one binding it is a BackendError, thrown while the loop runs
    lowerBindingLimitForTests(4096);
    let r: Array;
    try {
      r = lax.whileLoop(([, k]: Pair) => k.lt(3), ([v, k]: Pair) => [np.sort(v.mul(-1)), k.add(1)] as Pair, [x, int(0)] as Pair)[0] as Array;
    } finally {
      lowerBindingLimitForTests(null);
    }
    const after = x.add(1) as Array;
    await expect(r.data()).rejects.toThrow(BackendError);
    await expect(r.data()).rejects.toThrow(/sort/);
    expect((await after.data())[2047]).toBe(2);
    expect(streamStats().inFlight).toBe(0);
  });
  it("operands disposed while the loop runs, and loops issued back to back, keep their values", async () => {
    const x = np.array([1, 2, 3]) as Array;
    const grow = jit((v: Value) => lax.whileLoop((c: Value) => c.sum().lt(1000), (c: Value) => c.mul(2), v));
    const a = grow(x) as Array;
    const y = x.add(10) as Array; // recorded after the loop
    x.dispose();
    const b = grow(y) as Array; // a second loop, queued behind the first
    const c = a.add(b) as Array;
    // lots of garbage made and freed while both loops are pending
    for (let k = 0; k < 50; k++) (np.ones([64]).mul(k) as Array).dispose();
    const growJs = (v: number[]) => {
      while (v[0] + v[1] + v[2] < 1000) v = v.map((e) => 2 * e);
      return v;
    };
    const [aJs, bJs] = [growJs([1, 2, 3]), growJs([11, 12, 13])];
    expect(globalThis.Array.from(await a.data())).toEqual(aJs);
    expect(globalThis.Array.from(await y.data())).toEqual([11, 12, 13]);
    expect(globalThis.Array.from(await b.data())).toEqual(bJs);
    expect(globalThis.Array.from(await c.data())).toEqual(aJs.map((v, i) => v + bJs[i]));
  });
});
