/**
 * random: the same words as @jax-js/jax (which documents bit-identity with
 * JAX's threefry keys, split and bits) on many seeds and shapes, statistics of
 * every sampler, the transformations (jit, vmap over keys, grad through
 * sampling), and typed errors. The JAX reference values themselves are in
 * random-jax-reference.test.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import "../src/index.js";
import { DTypeError, ShapeError } from "../src/errors.js";
import * as lax from "../src/lax/index.js";
import * as np from "../src/numpy/index.js";
import { erfInvXla } from "../src/random/erf-inv.js";
import * as random from "../src/random/index.js";
import type { Value } from "../src/trace/core.js";
import { jit } from "../src/transforms/jit.js";
import { grad } from "../src/transforms/linearize.js";
import { vmap } from "../src/transforms/vmap.js";

const got = (x: Value) => Array.from(x.dataSync() as ArrayLike<number>);
const K = random.key;
const f32 = (v: number[]) => np.array(v, { dtype: "float32" });

// ---- @jax-js/jax, loaded on its CPU (wasm) backend --------------------------------------------

interface JsArray {
  data(): Promise<ArrayLike<number>>;
}
interface JaxJs {
  random: {
    key(seed: number): JsArray;
    split(key: JsArray, num?: number): JsArray;
    bits(key: JsArray, shape?: number[]): JsArray;
    uniform(key: JsArray, shape?: number[], options?: { minval?: number; maxval?: number }): JsArray;
  };
}
let jaxjs: JaxJs;
beforeAll(async () => {
  // it probes navigator.gpu for WebGPU; Node 20 has no navigator
  (globalThis as { navigator?: object }).navigator ??= {};
  jaxjs = (await import("@jax-js/jax")) as unknown as JaxJs;
});
const theirs = async (x: JsArray) => Array.from(await x.data());

describe("random: the same words as @jax-js/jax", () => {
  const seeds = [0, 1, 42, 7, 123456789, 4294967295];
  const shapes = [[], [1], [5], [7, 3], [2, 3, 4], [1001]];
  it("key(seed)", async () => {
    for (const s of seeds) expect(got(K(s))).toEqual(await theirs(jaxjs.random.key(s)));
  });
  it("split(key, n) for n = 1, 2, 3, 8", async () => {
    for (const s of seeds) {
      for (const n of [1, 2, 3, 8]) {
        const mine = random.splitArray(K(s), n);
        expect(mine.shape).toEqual([n, 2]);
        expect(got(mine)).toEqual(await theirs(jaxjs.random.split(jaxjs.random.key(s), n)));
      }
    }
  });
  it("bits and uniform on [0, 1) for many shapes, odd sizes included", async () => {
    for (const s of seeds) {
      for (const shape of shapes) {
        const b = random.bits(K(s), shape);
        expect(b.shape).toEqual(shape);
        expect(b.dtype).toBe("uint32");
        expect(got(b)).toEqual(await theirs(jaxjs.random.bits(jaxjs.random.key(s), shape)));
        const u = random.uniform(K(s), shape);
        expect(u.dtype).toBe("float32");
        expect(got(u)).toEqual(await theirs(jaxjs.random.uniform(jaxjs.random.key(s), shape)));
      }
    }
  });
  it("uniform on [minval, maxval): jax-js rounds u * span before adding minval, jaxon fuses as JAX (one rounding apart)", async () => {
    // jaxon follows JAX's fused multiply-add bit for bit (test/trust-rounding.test.ts); jax-js rounds twice,
    // so they differ by the product's rounding: at most half an ulp of u·(hi − lo), plus half of the result's
    for (const [lo, hi] of [[-2, 3], [10, 11.5], [-1e-3, 0]]) {
      const mine = got(random.uniform(K(3), [64], { minval: lo, maxval: hi }));
      const their = await theirs(jaxjs.random.uniform(jaxjs.random.key(3), [64], { minval: lo, maxval: hi }));
      for (let i = 0; i < 64; i++) {
        expect(Math.abs(mine[i] - their[i])).toBeLessThanOrEqual(2 ** -23 * (Math.abs(lo) + Math.abs(hi)));
      }
    }
  });
  it("keys from split and foldIn go on giving jax-js's words", async () => {
    const [, k2] = random.split(K(5), 3).slice(1);
    const theirKeys = await theirs(jaxjs.random.split(jaxjs.random.key(5), 3));
    expect(got(k2)).toEqual(theirKeys.slice(4, 6));
  });
});

// ---- keys ------------------------------------------------------------------------------

describe("random: keys", () => {
  it("split is destructurable; splitArray stacks the same keys", () => {
    const [a, b, c] = random.split(K(1), 3);
    const all = got(random.splitArray(K(1), 3));
    expect([...got(a), ...got(b), ...got(c)]).toEqual(all);
    expect(a.shape).toEqual([2]);
    expect(random.split(K(1)).length).toBe(2);
  });
  it("foldIn(key, i) is the i-th key of the partitionable split, and takes traced data", () => {
    const keys = got(random.splitArray(K(9), 4));
    for (let i = 0; i < 4; i++) expect(got(random.foldIn(K(9), i))).toEqual(keys.slice(2 * i, 2 * i + 2));
    const folded = vmap((i: Value) => random.foldIn(K(9), i))(lax.iota("int32", 4)) as Value;
    expect(got(folded)).toEqual(keys);
  });
  it("key takes a traced seed: vmap over seeds", () => {
    const keys = vmap((s: Value) => random.key(s))(np.array([0, 42, -1], { dtype: "int32" })) as Value;
    expect(got(keys)).toEqual([0, 0, 0, 42, 0, 4294967295]);
  });
  it("different keys, different streams; the same key, the same stream", () => {
    expect(got(random.uniform(K(0), [4]))).toEqual(got(random.uniform(K(0), [4])));
    expect(got(random.uniform(K(0), [4]))).not.toEqual(got(random.uniform(K(1), [4])));
    const [a, b] = random.split(K(0));
    expect(got(random.normal(a, [4]))).not.toEqual(got(random.normal(b, [4])));
  });
});

// ---- statistics ----------------------------------------------------------------------------

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
};
const N = 50_000;

describe("random: statistics", () => {
  it("uniform: in range, mean 1/2, variance 1/12; with bounds and float64", () => {
    const u = got(random.uniform(K(11), [N]));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(mean(u)).toBeCloseTo(0.5, 2);
    expect(std(u) ** 2).toBeCloseTo(1 / 12, 2);
    const v = got(random.uniform(K(12), [N], { minval: -3, maxval: 5 }));
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...v)).toBeLessThan(5);
    expect(mean(v)).toBeCloseTo(1, 1);
    const d = random.uniform(K(13), [1000], { dtype: "float64" });
    expect(d.dtype).toBe("float64");
    expect(got(d).some((x) => Math.fround(x) !== x)).toBe(true); // 52 random mantissa bits
  });
  it("normal: mean 0, std 1, symmetric tails (float32 and float64)", () => {
    const z = got(random.normal(K(21), [N]));
    expect(Math.abs(mean(z))).toBeLessThan(0.015);
    expect(std(z)).toBeCloseTo(1, 1.5);
    expect(z.filter((x) => Math.abs(x) > 1.96).length / N).toBeCloseTo(0.05, 2);
    expect(z.every(Number.isFinite)).toBe(true);
    const z64 = got(random.normal(K(22), [20_000], { dtype: "float64" }));
    expect(Math.abs(mean(z64))).toBeLessThan(0.03);
    expect(std(z64)).toBeCloseTo(1, 1);
  });
  it("truncatedNormal stays inside (lower, upper); gumbel and exponential have their means", () => {
    const t = got(random.truncatedNormal(K(23), -0.5, 1.5, { shape: [20_000] }));
    expect(Math.min(...t)).toBeGreaterThan(-0.5);
    expect(Math.max(...t)).toBeLessThan(1.5);
    expect(mean(got(random.gumbel(K(24), [N])))).toBeCloseTo(0.5772, 1); // Euler–Mascheroni
    expect(mean(got(random.exponential(K(25), [N])))).toBeCloseTo(1, 1);
  });
  it("bernoulli: rate p, bool dtype, p broadcast over a shape", () => {
    const b = random.bernoulli(K(31), 0.3, [N]);
    expect(b.dtype).toBe("bool");
    expect(mean(got(b))).toBeCloseTo(0.3, 2);
    const rows = got(random.bernoulli(K(32), f32([0.1, 0.9]), [N / 2, 2]));
    expect(mean(rows.filter((_, i) => i % 2 === 0))).toBeCloseTo(0.1, 2);
    expect(mean(rows.filter((_, i) => i % 2 === 1))).toBeCloseTo(0.9, 2);
    expect(random.bernoulli(K(33)).shape).toEqual([]);
  });
  it("randint: in [minval, maxval), every value about equally often; array bounds", () => {
    const r = got(random.randint(K(41), [N], -3, 7));
    expect(Math.min(...r)).toBe(-3);
    expect(Math.max(...r)).toBe(6);
    for (let v = -3; v < 7; v++) expect(r.filter((x) => x === v).length / N).toBeCloseTo(0.1, 1);
    const hi = np.array([[1], [100]], { dtype: "int32" });
    const a = got(random.randint(K(42), [2, 500], 0, hi));
    expect(a.slice(0, 500).every((x) => x === 0)).toBe(true);
    expect(Math.max(...a.slice(500))).toBeGreaterThan(90);
    expect(random.randint(K(43), [3], 0, 5, { dtype: "uint32" }).dtype).toBe("uint32");
  });
  it("permutation is a permutation, of a range and of rows", () => {
    for (const n of [1, 2, 17, 2000]) {
      const p = got(random.permutation(K(50 + n), n));
      expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    const x = lax.reshape(lax.iota("int32", 12), [4, 3]);
    const rows = got(random.permutation(K(51), x));
    const firsts = [0, 1, 2, 3].map((r) => rows[3 * r]);
    expect([...firsts].sort((a, b) => a - b)).toEqual([0, 3, 6, 9]);
    firsts.forEach((f, r) => expect(rows.slice(3 * r, 3 * r + 3)).toEqual([f, f + 1, f + 2]));
    // every position is equally likely to hold 0
    const perms = got(vmap((k: Value) => random.permutation(k, 5))(random.splitArray(K(1000), 2000)) as Value);
    const zeros = new Array(5).fill(0);
    for (let s = 0; s < 2000; s++) zeros[perms.slice(5 * s, 5 * s + 5).indexOf(0)]++;
    zeros.forEach((c) => expect(c / 2000).toBeCloseTo(0.2, 1));
  });
  it("categorical: frequencies are softmax(logits); batches of logits; a shape prefix", () => {
    const logits = f32([0, 1, 2, -1]);
    const c = got(random.categorical(K(61), logits, { shape: [N] }));
    const e = [0, 1, 2, -1].map(Math.exp);
    const z = e.reduce((a, b) => a + b, 0);
    e.forEach((p, k) => expect(c.filter((x) => x === k).length / c.length).toBeCloseTo(p / z, 2));
    const batch = lax.reshape(f32([0, 0, 50, 50, 0, 0]), [2, 3]);
    expect(got(random.categorical(K(62), batch))).toEqual([2, 0]);
    expect(random.categorical(K(63), batch, { shape: [5, 2] }).shape).toEqual([5, 2]);
    expect(got(random.categorical(K(64), batch, { axis: 0 }))).toEqual([1, 0, 0]);
  });
  it("choice: with and without replacement, weighted, rows", () => {
    const noRep = got(random.choice(K(71), 10, { shape: [10], replace: false }));
    expect([...noRep].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = got(random.choice(K(72), 3, { shape: [N], p: f32([0.2, 0, 0.8]) }));
    expect(w.includes(1)).toBe(false);
    expect(w.filter((x) => x === 2).length / w.length).toBeCloseTo(0.8, 2);
    const x = lax.reshape(lax.iota("int32", 12), [4, 3]);
    const rows = random.choice(K(73), x, { shape: [2, 5] });
    expect(rows.shape).toEqual([2, 5, 3]);
    expect(random.choice(K(74), 5, { shape: [0] }).shape).toEqual([0]);
  });
});

// ---- transformations ------------------------------------------------------------------------

describe("random: under transformations", () => {
  it("jit gives the eager samples", () => {
    const f = jit((k: Value) => [random.normal(k, [3, 4]), random.uniform(k, [5], { minval: -1, maxval: 1 }), random.randint(k, [4], 0, 9)]);
    const [n, u, r] = f(K(3)) as Value[];
    expect(got(n)).toEqual(got(random.normal(K(3), [3, 4])));
    expect(got(u)).toEqual(got(random.uniform(K(3), [5], { minval: -1, maxval: 1 })));
    expect(got(r)).toEqual(got(random.randint(K(3), [4], 0, 9)));
    const g = jit((k: Value) => random.split(k, 2));
    expect((g(K(4)) as Value[]).map(got)).toEqual(random.split(K(4)).map(got));
  });
  it("vmap over a batch of keys equals a loop", () => {
    const keys = random.splitArray(K(5), 4);
    const sample = (k: Value) => random.normal(k, [3]);
    const batched = got(vmap(sample)(keys) as Value);
    const looped = random.split(K(5), 4).flatMap((k) => got(sample(k)));
    expect(batched).toEqual(looped);
    const perms = got(vmap((k: Value) => random.permutation(k, 6))(keys) as Value);
    expect(perms).toEqual(random.split(K(5), 4).flatMap((k) => got(random.permutation(k, 6))));
    const splits = got(vmap((k: Value) => random.splitArray(k, 2))(keys) as Value);
    expect(splits).toEqual(random.split(K(5), 4).flatMap((k) => got(random.splitArray(k, 2))));
  });
  it("grad through sampling: the reparameterization trick", () => {
    const key = K(6);
    const z = got(random.normal(key, [5]));
    const dSigma = grad((sigma: Value) => lax.reduceSum(lax.mul(random.normal(key, [5]), sigma), [0]))(np.array(2, { dtype: "float32" })) as Value;
    expect(dSigma.itemSync()).toBeCloseTo(z.reduce((a, b) => a + b, 0), 4);
    // d/dmaxval of sum(uniform(minval 0, maxval m)) = sum(u) for u on [0, 1)
    const u = got(random.uniform(key, [6]));
    const dMax = grad((m: Value) => lax.reduceSum(random.uniform(key, [6], { maxval: m }), [0]))(np.array(3, { dtype: "float32" })) as Value;
    expect(dMax.itemSync()).toBeCloseTo(u.reduce((a, b) => a + b, 0), 4);
    // truncatedNormal is smooth in its bounds: its gradient matches finite differences (float64)
    const t = (lo: Value) => lax.reduceSum(random.truncatedNormal(key, lo, 2, { shape: [4], dtype: "float64" }), [0]);
    const at = (v: number) => np.array(v, { dtype: "float64" });
    const dLower = (grad(t)(at(-1)) as Value).itemSync();
    const fd = ((t(at(-1 + 1e-6)) as Value).itemSync() - (t(at(-1 - 1e-6)) as Value).itemSync()) / 2e-6;
    expect(dLower).toBeCloseTo(fd, 5);
    expect(Math.abs(dLower)).toBeGreaterThan(0.1);
  });
  it("the erfinv polynomial: its edges, and gradients like the erf_inv primitive's", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = np.array([-1, -0.5, 0, 0.999, 1], { dtype });
      const y = got(erfInvXla(x));
      expect([y[0], y[2], y[4]]).toEqual([-Infinity, 0, Infinity]);
      const mine = got(grad((v: Value) => lax.reduceSum(erfInvXla(v), [0]))(np.array([-0.9, -0.3, 0, 0.5, 0.99], { dtype })) as Value);
      const prim = got(grad((v: Value) => lax.reduceSum(lax.erfInv(v), [0]))(np.array([-0.9, -0.3, 0, 0.5, 0.99], { dtype })) as Value);
      mine.forEach((g, i) => expect(g).toBeCloseTo(prim[i], 3));
    }
    expect(Number.isNaN(got(erfInvXla(f32([NaN])))[0])).toBe(true);
  });
});

// ---- errors -----------------------------------------------------------------------------------

describe("random: errors a person can act on", () => {
  it("keys must be uint32 of shape (2,); batches of keys go through vmap", () => {
    expect(() => random.uniform(f32([0, 0]), [2])).toThrow(DTypeError);
    expect(() => random.normal(random.splitArray(K(0), 3), [2])).toThrow(/vmap/);
    expect(() => random.split(random.splitArray(K(0), 3))).toThrow(ShapeError);
    expect(() => random.key(1.5)).toThrow(DTypeError);
  });
  it("bad dtypes, shapes and parameters", () => {
    expect(() => random.uniform(K(0), [2], { dtype: "int32" })).toThrow(DTypeError);
    expect(() => random.normal(K(0), [2], { dtype: "bfloat16" as never })).toThrow(/unknown dtype/);
    expect(() => random.randint(K(0), [2], 0, 5, { dtype: "float32" })).toThrow(DTypeError);
    expect(() => random.uniform(K(0), [-1])).toThrow(ShapeError);
    expect(() => random.uniform(K(0), [2, 3], { minval: f32([1, 2]) })).toThrow(ShapeError);
    expect(() => random.bernoulli(K(0), np.array([1, 0], { dtype: "int32" }))).toThrow(DTypeError);
    expect(() => random.categorical(K(0), lax.reshape(f32([1, 2, 3, 4, 5, 6]), [2, 3]), { shape: [3] })).toThrow(ShapeError);
    expect(() => random.permutation(K(0), -1)).toThrow(ShapeError);
    expect(() => random.choice(K(0), 3, { shape: [4], replace: false })).toThrow(/without replacement/);
  });
});
