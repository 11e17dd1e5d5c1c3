/**
 * nn layers (stax style) and initializers: output shapes from init and
 * apply, Dense against a hand computation and its gradient against finite
 * differences in float64, serial/parallel combinators, Dropout, and the
 * initializers' shapes and statistics.
 */
import { describe, expect, it } from "vitest";
import { grad, jit, nn, np, random, vmap } from "../src/index.js";
import type { Value } from "../src/trace/core.js";
import { arr, expectClose, values } from "./helpers.js";

const key = random.key(0);

describe("Dense", () => {
  it("init shapes (with a -1 batch) and apply for any leading batch dims", () => {
    const layer = nn.Dense(3);
    const [outShape, params] = layer.init(key, [-1, 5]);
    expect(outShape).toEqual([-1, 3]);
    expect(params.w.shape).toEqual([5, 3]);
    expect(params.b.shape).toEqual([3]);
    expect(params.w.dtype).toBe("float32");
    expect(layer.apply(params, np.ones([4, 5])).shape).toEqual([4, 3]);
    expect(layer.apply(params, np.ones([2, 4, 5])).shape).toEqual([2, 4, 3]);
    expect(layer.apply(params, np.ones([5])).shape).toEqual([3]);
    const [s3] = layer.init(key, [-1, 7, 5]);
    expect(s3).toEqual([-1, 7, 3]);
    expect(() => layer.apply(params, np.ones([4, 6]))).toThrow(/features/);
  });

  it("computes x @ w + b", () => {
    const w = [[1, 2], [3, 4], [5, 6]];
    const b = [0.5, -1];
    const x = [[1, 0, -1], [2, 1, 0.5]];
    const y = nn.Dense(2).apply({ w: arr(w), b: arr(b) }, arr(x));
    const expected = x.map((r) => [0, 1].map((j) => r.reduce((s, v, k) => s + v * w[k][j], 0) + b[j]));
    expectClose(y, expected.flat(), 1e-12);
  });

  it("init uses the given initializers and dtype", () => {
    const [, p] = nn.Dense(4, { wInit: nn.initializers.ones, bInit: nn.initializers.zeros, dtype: "float64" }).init(key, [-1, 2]);
    expect(p.w.dtype).toBe("float64");
    expectClose(p.w, new Array(8).fill(1));
    expectClose(p.b, [0, 0, 0, 0]);
  });

  it("gradient matches finite differences (float64)", () => {
    const layer = nn.Dense(3, { dtype: "float64" });
    const [, p] = layer.init(random.key(3), [-1, 4]);
    const x = arr([[0.1, -0.4, 0.7, 1.2], [-0.9, 0.3, 0.2, -0.5]]);
    const loss = (q: { w: Value; b: Value }) => np.sum(np.sin(layer.apply(q, x)));
    const g = grad(loss)(p);
    expect(Object.keys(g)).toEqual(["w", "b"]);
    const eps = 1e-6;
    for (const name of ["w", "b"] as const) {
      const base = values(p[name]);
      const fd = base.map((_, i) => {
        const bump = (d: number) => {
          const v = base.slice();
          v[i] += d;
          return values(loss({ ...p, [name]: arr(v, "float64", [...p[name].shape]) }))[0];
        };
        return (bump(eps) - bump(-eps)) / (2 * eps);
      });
      expectClose(g[name], fd, 1e-7);
    }
  });
});

describe("combinators and simple layers", () => {
  it("serial(Dense, Relu, Dense): shapes, values and gradient structure", () => {
    const net = nn.serial(nn.Dense(8), nn.Relu, nn.Dense(2));
    const [outShape, params] = net.init(key, [-1, 3]);
    expect(outShape).toEqual([-1, 2]);
    expect(params.length).toBe(3);
    const [d1, r, d2] = params as [{ w: Value; b: Value }, [], { w: Value; b: Value }];
    expect(d1.w.shape).toEqual([3, 8]);
    expect(r).toEqual([]);
    expect(d2.w.shape).toEqual([8, 2]);
    const x = random.normal(random.key(1), [5, 3]);
    const y = net.apply(params, x);
    expect(y.shape).toEqual([5, 2]);
    const manual = np.add(np.matmul(np.maximum(np.add(np.matmul(x, d1.w), d1.b), 0), d2.w), d2.b);
    expectClose(y, manual, 1e-6);
    const g = grad((p: unknown[]) => np.sum(np.square(net.apply(p, x))))(params) as typeof params;
    expect(g.length).toBe(3);
    expect((g[0] as { w: Value }).w.shape).toEqual([3, 8]);
    expect(g[1]).toEqual([]);
    // jit and vmap of the whole network
    expectClose(jit((p: unknown[], z: Value) => net.apply(p, z))(params, x), y, 1e-6);
    expectClose(vmap((z: Value) => net.apply(params, z))(x), y, 1e-6);
  });

  it("activation layers keep the shape and apply their function", () => {
    const x = np.array([[-1, 0.5]]);
    for (const [layer, f] of [
      [nn.Relu, nn.relu], [nn.Sigmoid, nn.sigmoid], [nn.Tanh, np.tanh], [nn.Gelu, (v: Value) => nn.gelu(v)],
      [nn.Softmax, (v: Value) => nn.softmax(v)], [nn.LogSoftmax, (v: Value) => nn.logSoftmax(v)], [nn.Elu, (v: Value) => nn.elu(v)],
    ] as const) {
      const [shape, p] = layer.init(key, [-1, 2]);
      expect(shape).toEqual([-1, 2]);
      expect(p).toEqual([]);
      expectClose(layer.apply(p, x), f(x), 1e-7);
    }
  });

  it("Flatten", () => {
    const [shape] = nn.Flatten.init(key, [-1, 4, 5, 2]);
    expect(shape).toEqual([-1, 40]);
    const y = nn.Flatten.apply([], np.arange(24, { dtype: "float32" }).reshape([2, 3, 4]));
    expect(y.shape).toEqual([2, 12]);
    expectClose(y, Array.from({ length: 24 }, (_, i) => i));
    const net = nn.serial(nn.Flatten, nn.Dense(3));
    const [s, p] = net.init(key, [-1, 2, 5]);
    expect(s).toEqual([-1, 3]);
    expect(net.apply(p, np.ones([7, 2, 5])).shape).toEqual([7, 3]);
  });

  it("parallel, fanOut, FanInSum, FanInConcat", () => {
    const par = nn.parallel(nn.Dense(2), nn.Relu);
    const [shapes, params] = par.init(key, [[-1, 3], [-1, 4]]);
    expect(shapes).toEqual([[-1, 2], [-1, 4]]);
    const [a, b] = par.apply(params, [np.ones([5, 3]), np.array([[-1, 1, -2, 2]])]);
    expect(a.shape).toEqual([5, 2]);
    expectClose(b, [0, 1, 0, 2]);
    const res = nn.serial<Value, Value>(nn.fanOut(2), nn.parallel(nn.Dense(4), nn.Identity), nn.FanInSum);
    const [rs, rp] = res.init(key, [-1, 4]);
    expect(rs).toEqual([-1, 4]);
    const x = np.ones([3, 4]);
    const dense = (rp[1] as unknown[])[0] as { w: Value; b: Value };
    expectClose(res.apply(rp, x), np.add(nn.Dense(4).apply(dense, x), x), 1e-6);
    const cat = nn.serial(nn.fanOut(2), nn.parallel(nn.Dense(3), nn.Identity), nn.FanInConcat());
    const [cs, cp] = cat.init(key, [-1, 2]);
    expect(cs).toEqual([-1, 5]);
    expect((cat.apply(cp, np.ones([6, 2])) as Value).shape).toEqual([6, 5]);
  });
});

describe("Dropout", () => {
  it("is the identity when not training, with or without a key", () => {
    const d = nn.Dropout(0.5);
    const x = np.array([1, 2, 3]);
    expect(d.init(key, [-1, 3])).toEqual([[-1, 3], []]);
    expectClose(d.apply([], x), [1, 2, 3]);
    expectClose(d.apply([], x, { key, training: false }), [1, 2, 3]);
  });

  it("throws a clear error when training without a key", () => {
    expect(() => nn.Dropout(0.5).apply([], np.ones([2]), { training: true })).toThrow(/needs a PRNG key/);
    expect(() => nn.Dropout(1.5)).toThrow(/probability/);
  });

  it("when training: zeros with probability rate, the rest scaled by 1/(1-rate); deterministic per key", () => {
    const rate = 0.3;
    const x = np.ones([100, 100]);
    const y = nn.Dropout(rate).apply([], x, { key, training: true });
    const v = values(y);
    const zeros = v.filter((e) => e === 0).length;
    expect(v.every((e) => e === 0 || Math.abs(e - 1 / (1 - rate)) < 1e-6)).toBe(true);
    expect(Math.abs(zeros / v.length - rate)).toBeLessThan(0.02);
    expect(Math.abs(v.reduce((s, e) => s + e, 0) / v.length - 1)).toBeLessThan(0.03);
    expectClose(nn.Dropout(rate).apply([], x, { key, training: true }), y);
    const other = values(nn.Dropout(rate).apply([], x, { key: random.key(1), training: true }));
    expect(other.some((e, i) => e !== v[i])).toBe(true);
    expectClose(nn.Dropout(0).apply([], x, { key, training: true }), x);
    expectClose(nn.Dropout(1).apply([], np.ones([3]), { key, training: true }), [0, 0, 0]);
  });

  it("works inside serial (the key is split) and under jit; the gradient is the mask", () => {
    const net = nn.serial(nn.Dense(4), nn.Dropout(0.5));
    const [, p] = net.init(key, [-1, 3]);
    const x = np.ones([2, 3]);
    const eager = net.apply(p, x, { key, training: true });
    const jitted = jit((q: unknown[], z: Value, k: Value) => net.apply(q, z, { key: k, training: true }))(p, x, key);
    expectClose(jitted, eager, 1e-6);
    const g = grad((z: Value) => np.sum(nn.Dropout(0.5).apply([], z, { key, training: true })))(np.ones([10]));
    const mask = values(nn.Dropout(0.5).apply([], np.ones([10]), { key, training: true }));
    expectClose(g, mask);
  });
});

describe("initializers", () => {
  const sampleVar = (x: Value) => {
    const v = values(x);
    const mean = v.reduce((s, e) => s + e, 0) / v.length;
    return [mean, v.reduce((s, e) => s + (e - mean) ** 2, 0) / v.length] as const;
  };
  const [fanIn, fanOut] = [300, 200];

  it.each([
    ["glorotUniform", nn.initializers.glorotUniform(), 2 / (fanIn + fanOut)],
    ["glorotNormal", nn.initializers.glorotNormal(), 2 / (fanIn + fanOut)],
    ["heUniform", nn.initializers.heUniform(), 2 / fanIn],
    ["heNormal", nn.initializers.heNormal(), 2 / fanIn],
    ["lecunUniform", nn.initializers.lecunUniform(), 1 / fanIn],
    ["lecunNormal", nn.initializers.lecunNormal(), 1 / fanIn],
  ] as const)("%s: shape, dtype, mean 0 and the variance of the formula", (_name, init, variance) => {
    const w = init(key, [fanIn, fanOut]);
    expect(w.shape).toEqual([fanIn, fanOut]);
    expect(w.dtype).toBe("float32");
    const [mean, v] = sampleVar(w);
    expect(Math.abs(mean)).toBeLessThan(0.02 * Math.sqrt(variance));
    expect(Math.abs(v / variance - 1)).toBeLessThan(0.03);
    expect(init(key, [3, 2], "float64").dtype).toBe("float64");
  });

  it("uniform bounds: ±sqrt(3 var); truncated normals within 2 stddev", () => {
    const v = 2 / fanIn;
    const u = values(nn.initializers.heUniform()(key, [fanIn, fanOut]));
    expect(Math.max(...u.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(3 * v) * (1 + 1e-6));
    const t = values(nn.initializers.heNormal()(key, [fanIn, fanOut]));
    expect(Math.max(...t.map(Math.abs))).toBeLessThanOrEqual((2 * Math.sqrt(v)) / 0.87962566103423978 + 1e-6);
  });

  it("zeros, ones, constant, uniform(scale), normal(stddev)", () => {
    expectClose(nn.initializers.zeros(key, [2, 2]), [0, 0, 0, 0]);
    expectClose(nn.initializers.ones(key, [3]), [1, 1, 1]);
    expect(nn.initializers.ones(key, [3], "float64").dtype).toBe("float64");
    expectClose(nn.initializers.constant(0.5)(key, [2]), [0.5, 0.5]);
    const u = nn.initializers.uniform(0.1)(key, [20000]);
    const uv = values(u);
    expect(uv.every((e) => e >= 0 && e < 0.1)).toBe(true);
    const [um, uvar] = sampleVar(u);
    expect(Math.abs(um - 0.05)).toBeLessThan(0.002);
    expect(Math.abs(uvar / (0.01 / 12) - 1)).toBeLessThan(0.05);
    const [nm, nvar] = sampleVar(nn.initializers.normal(0.5)(key, [20000]));
    expect(Math.abs(nm)).toBeLessThan(0.02);
    expect(Math.abs(nvar / 0.25 - 1)).toBeLessThan(0.05);
    expect(() => nn.initializers.normal()(key, [2], "int32")).toThrow(/floating-point/);
  });

  it("computeFans as JAX: 0-d, 1-d, 2-d, conv kernels", () => {
    expect(nn.initializers.computeFans([])).toEqual([1, 1]);
    expect(nn.initializers.computeFans([7])).toEqual([7, 7]);
    expect(nn.initializers.computeFans([784, 100])).toEqual([784, 100]);
    expect(nn.initializers.computeFans([3, 3, 16, 32])).toEqual([144, 288]);
    // axes other than the default on a 2-d shape (an Embed table: out_axis=0), values from jax._src.nn.initializers._compute_fans
    expect(nn.initializers.computeFans([5, 7], { inAxis: -1, outAxis: -2 })).toEqual([7, 5]);
    expect(nn.initializers.computeFans([4, 6], { inAxis: 0, outAxis: 1 })).toEqual([4, 6]);
    const w = nn.initializers.heNormal()(key, [3, 3, 16, 32]);
    expect(w.shape).toEqual([3, 3, 16, 32]);
  });

  it("are deterministic per key and differ across keys", () => {
    const init = nn.initializers.glorotNormal();
    expectClose(init(key, [4, 4]), init(key, [4, 4]));
    expect(values(init(random.key(1), [4, 4]))).not.toEqual(values(init(key, [4, 4])));
  });
});
