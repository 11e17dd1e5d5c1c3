/**
 * nn's normalization, attention and embedding (issue #15) against JAX:
 * test/fixtures/nn-layers/layers.json from test/fixtures/nn-layers/gen.py.
 * dotProductAttention is compared with jax.nn.dot_product_attention itself;
 * the layers with Flax's math written in jax.numpy on the same params (flax
 * is not installed). Values and gradients on the CPU, jit == eager, vmap ==
 * a loop, finite differences in float64, BatchNorm's running statistics,
 * a tiny transformer's loss, gradients and Adam steps, and WebGPU == CPU.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { devicePut, grad, jit, nn, np, optim, random, valueAndGrad, vmap, type Array, type Value } from "../src/index.js";
import type { DType } from "../src/dtype.js";
import { probeWebGPU } from "./device-helpers.js";
import { arr, expectClose, finiteDiff, values } from "./helpers.js";

type Enc = number | boolean | "nan" | "inf" | "-inf";
interface EncArray { dtype: string; shape: number[]; data: Enc[] }
interface AttCase {
  q: EncArray; k: EncArray; v: EncArray; out: EncArray; residual?: EncArray; cotangent?: EncArray;
  options: Record<string, EncArray | number | boolean | number[]>; grads?: Record<string, EncArray>;
}
interface LayerCase {
  x: EncArray; params: Record<string, EncArray>; out: EncArray; cotangent: EncArray; grad_x: EncArray; grad_params: Record<string, EncArray>;
  [extra: string]: unknown;
}
const fx = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "fixtures/nn-layers/layers.json"), "utf8")) as {
  attention: Record<string, AttCase>;
  layers: Record<string, LayerCase>;
  embed_init: { numEmbeddings: number; features: number; out: EncArray };
  positional: { length: number; features: number; out: EncArray };
  positional_odd: { length: number; features: number; maxTimescale: number; out: EncArray };
  transformer: {
    V: number; T: number; d: number; heads: number; tokens: EncArray; targets: EncArray; params: Record<string, EncArray>;
    loss: number; grads: Record<string, EncArray>; adam_losses: number[];
  };
};
const num = (v: Enc) => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : typeof v === "boolean" ? Number(v) : v);
const dec = (e: EncArray): Array => (e.dtype === "bool" ? (np.array(e.data as boolean[]).reshape(e.shape) as Array) : arr(e.data.map(num), e.dtype as DType, e.shape));
const nums = (e: EncArray) => e.data.map(num);
const isEnc = (v: unknown): v is EncArray => typeof v === "object" && v !== null && "data" in v;

// ---- dotProductAttention ---------------------------------------------------------------------
function attOptions(c: AttCase): nn.DotProductAttentionOptions {
  const o: Record<string, unknown> = {};
  const names: Record<string, string> = {
    bias: "bias", mask: "mask", scale: "scale", is_causal: "isCausal", query_seq_lengths: "querySeqLengths",
    key_value_seq_lengths: "keyValueSeqLengths", local_window_size: "localWindowSize", return_residual: "returnResidual",
  };
  for (const [k, v] of Object.entries(c.options)) o[names[k]] = isEnc(v) ? dec(v) : v;
  return o as nn.DotProductAttentionOptions;
}
const attention = (c: AttCase, q: Value, k: Value, v: Value, bias?: Value): Value => {
  const o = attOptions(c);
  const r = nn.dotProductAttention(q, k, v, bias === undefined ? o : { ...o, bias });
  return globalThis.Array.isArray(r) ? r[0] : r;
};

describe("nn.dotProductAttention against jax.nn.dot_product_attention", () => {
  for (const [id, c] of Object.entries(fx.attention)) {
    it(`${id}: values, gradients, jit`, () => {
      const [q, k, v] = [dec(c.q), dec(c.k), dec(c.v)];
      const out = attention(c, q, k, v);
      expect(out.shape).toEqual(c.out.shape);
      expectClose(out, nums(c.out), 2e-5);
      expectClose(jit((a: Value, b: Value, d: Value) => attention(c, a, b, d))(q, k, v), nums(c.out), 2e-5);
      if (c.residual) {
        const [, lse] = nn.dotProductAttention(q, k, v, { ...attOptions(c), returnResidual: true });
        expect(lse.shape).toEqual(c.residual.shape);
        expectClose(lse, nums(c.residual), 2e-5);
      }
      if (c.grads) {
        const w = dec(c.cotangent as EncArray);
        const hasBias = "bias" in c.grads;
        const loss = (a: Value, b: Value, d: Value, bias: Value) => np.sum(np.multiply(attention(c, a, b, d, hasBias ? bias : undefined), w));
        const bias = hasBias ? dec(c.options.bias as EncArray) : np.zeros([1]);
        const gs = grad(loss, { argnums: [0, 1, 2, 3] })(q, k, v, bias);
        const gj = jit(grad(loss, { argnums: [0, 1, 2, 3] }))(q, k, v, bias);
        ["q", "k", "v", "bias"].forEach((n, i) => {
          if (!c.grads?.[n]) return;
          expectClose(gs[i], nums(c.grads[n]), 1e-4);
          expectClose(gj[i], nums(c.grads[n]), 1e-4);
        });
      }
    });
  }

  it("vmap over a batch of (unbatched) problems equals a loop", () => {
    const q = random.normal(random.key(1), [3, 4, 4, 2]);
    const kv = random.normal(random.key(2), [3, 5, 2, 2]);
    const f = (a: Value, b: Value) => nn.dotProductAttention(a, b, b, { isCausal: true, localWindowSize: [1, 1] });
    const batched = vmap(f)(q, kv);
    const loop = np.stack([0, 1, 2].map((i) => f(q.get(i), kv.get(i))));
    expectClose(batched, values(loop), 1e-6);
  });

  it("finite differences in float64 (the softmax runs in float32, as JAX's)", () => {
    const q = random.normal(random.key(3), [1, 3, 2, 2], { dtype: "float64" });
    const k = random.normal(random.key(4), [1, 4, 1, 2], { dtype: "float64" });
    const dir = random.normal(random.key(5), [1, 3, 2, 2], { dtype: "float64" });
    const f = (x: Value) => np.sum(np.square(nn.dotProductAttention(x, k, k, { isCausal: true })));
    const g = values(grad(f)(q));
    const fd = finiteDiff(f as (x: Array) => Value, q as Array, dir as Array, 1e-3)[0];
    const dirs = values(dir);
    expect(Math.abs(g.reduce((s, gi, i) => s + gi * dirs[i], 0) - fd)).toBeLessThan(1e-3 * Math.max(1, Math.abs(fd)));
  });

  it("errors are typed and name the fix", () => {
    const q = np.ones([1, 2, 3, 4]);
    expect(() => nn.dotProductAttention(q, np.ones([1, 2, 2, 4]), np.ones([1, 2, 2, 4]))).toThrow(/multiple of key\/value heads/);
    expect(() => nn.dotProductAttention(q, np.ones([1, 2, 3, 5]), np.ones([1, 2, 3, 5]))).toThrow(/head size/);
    expect(() => nn.dotProductAttention(q, q, q, { mask: np.ones([1, 1, 2, 2]) })).toThrow(/bool/);
    expect(() => nn.dotProductAttention(q, q, q, { bias: np.ones([1, 2, 2, 2]) })).toThrow(/broadcast/);
    expect(() => nn.dotProductAttention(q, q, q, { implementation: "cudnn" })).toThrow(/cudnn/);
    expect(() => nn.dotProductAttention(q, q, q, { querySeqLengths: np.array([2]) })).toThrow(/int32/);
    expect(() => nn.dotProductAttention(np.ones([2, 3]), q, q)).toThrow(/\[B, T, N, H\]/);
  });
});

// ---- layers -----------------------------------------------------------------------------------
const layerFor: Record<string, () => nn.Layer<any, any, any>> = {
  LayerNorm: () => nn.LayerNorm(),
  LayerNorm_axes12: () => nn.LayerNorm({ reductionAxes: [1, 2], featureAxes: [1, 2] }),
  RMSNorm: () => nn.RMSNorm(),
  GroupNorm_g3: () => nn.GroupNorm({ numGroups: 3 }),
  GroupNorm_size2_2d: () => nn.GroupNorm({ groupSize: 2 }),
  BatchNorm_train: () => nn.BatchNorm(),
  BatchNorm_eval: () => nn.BatchNorm(),
  BatchNorm_axis1: () => nn.BatchNorm({ axis: 1 }),
  MHA_self: () => nn.MultiHeadAttention(2),
  MHA_causal_qkv12: () => nn.MultiHeadAttention(3, { qkvFeatures: 12, outFeatures: 6, causal: true }),
  MHA_cross_mask: () => nn.MultiHeadAttention(2, { qkvFeatures: 6, outFeatures: 4 }),
};
/** The fixture's flat params ("query.kernel") as the layer's pytree. */
function nest(flat: Record<string, Value>): Record<string, unknown> {
  const out: Record<string, Record<string, Value> | Value> = {};
  for (const [k, v] of Object.entries(flat)) {
    const [a, b] = k.split(".");
    if (b === undefined) out[a] = v;
    else out[a] = { ...((out[a] as Record<string, Value>) ?? {}), [b]: v };
  }
  return out;
}
function layerRun(id: string, c: LayerCase) {
  const layer = layerFor[id]();
  const state = id === "BatchNorm_eval" ? { mean: dec(c.running_mean as EncArray), var: dec(c.running_var as EncArray) } : undefined;
  const kv = c.kv ? dec(c.kv as EncArray) : undefined;
  const mask = c.mask ? dec(c.mask as EncArray) : undefined;
  return (params: unknown, x: Value): Value => {
    if (state) return nn.applyWithState(layer, params, state, x)[0] as Value;
    return layer.apply(params, kv ? [x, kv] : x, { training: true, mask } as nn.ApplyOptions) as Value;
  };
}

describe("layers against Flax's math in JAX", () => {
  it("every fixture case has a layer", () => expect(Object.keys(layerFor).sort()).toEqual(Object.keys(fx.layers).sort()));
  for (const [id, c] of Object.entries(fx.layers)) {
    it(`${id}: values, gradients (input and params), jit`, () => {
      const layer = layerFor[id]();
      const x = dec(c.x);
      const flat = Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, dec(v)]));
      const params = nest(flat);
      // init gives params of the same structure and shapes
      const [outShape, fresh] = layer.init(random.key(0), c.kv ? [[-1, ...c.x.shape.slice(1)], [-1, ...(c.kv as EncArray).shape.slice(1)]] : [-1, ...c.x.shape.slice(1)]);
      expect(outShape).toEqual([-1, ...c.out.shape.slice(1)]);
      const shapes = (t: unknown): unknown => (t && typeof t === "object" && "shape" in (t as object) ? (t as Value).shape : Object.fromEntries(Object.entries(t as object).map(([k, v]) => [k, shapes(v)])));
      expect(shapes(fresh)).toEqual(shapes(params));
      const run = layerRun(id, c);
      expectClose(run(params, x), nums(c.out), 2e-5);
      expectClose(jit((p: unknown, a: Value) => run(p, a))(params, x), nums(c.out), 2e-5);
      const w = dec(c.cotangent);
      const loss = (p: unknown, a: Value) => np.sum(np.multiply(run(p, a), w));
      const [gp, gx] = grad(loss, { argnums: [0, 1] })(params, x) as [Record<string, Record<string, Value> | Value>, Value];
      expectClose(gx, nums(c.grad_x), 1e-4);
      for (const [k, ref] of Object.entries(c.grad_params)) {
        const [a, b] = k.split(".");
        const g = b === undefined ? gp[a] : (gp[a] as Record<string, Value>)[b];
        expectClose(g as Value, nums(ref), 1e-4);
      }
    });
  }

  it("BatchNorm updates the running statistics as Flax (momentum 0.99; biased variance), keeps them in eval mode", () => {
    const c = fx.layers.BatchNorm_train;
    const params = nest(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, dec(v)])));
    const state = { mean: dec(c.running_mean as EncArray), var: dec(c.running_var as EncArray) };
    const [y, s1] = nn.applyWithState(nn.BatchNorm(), params, state, dec(c.x), { training: true }) as [Value, nn.BatchNormState];
    expectClose(y, nums(c.out), 2e-5);
    expectClose(s1.mean, nums(c.new_mean as EncArray), 1e-6);
    expectClose(s1.var, nums(c.new_var as EncArray), 1e-6);
    const [, s2] = nn.applyWithState(nn.BatchNorm({ momentum: 0.9 }), params, state, dec(c.x), { training: true }) as [Value, nn.BatchNormState];
    expectClose(s2.mean, nums(c.new_mean_m09 as EncArray), 1e-6);
    expectClose(s2.var, nums(c.new_var_m09 as EncArray), 1e-6);
    const [, s3] = nn.applyWithState(nn.BatchNorm(), params, state, dec(c.x));
    expect(s3).toBe(state);
    expect(() => nn.BatchNorm().apply(params, dec(c.x))).toThrow(/applyWithState/);
  });

  it("serial threads state: serial(Dense, BatchNorm, Relu) trains with the state as aux output", () => {
    const net = nn.serial(nn.Dense(4), nn.BatchNorm(), nn.Relu, nn.Dense(1));
    const [shape, params, state] = nn.initWithState(net, random.key(0), [-1, 3]);
    expect(shape).toEqual([-1, 1]);
    const [, plain] = net.init(random.key(0), [-1, 3]);
    expectClose((plain as any)[0].w, values((params as any)[0].w));
    expect((state as unknown[]).length).toBe(4);
    const x = random.normal(random.key(1), [16, 3]);
    const y = random.normal(random.key(2), [16, 1]);
    const loss = (p: unknown, s: unknown) => {
      const [out, s2] = nn.applyWithState(net, p, s, x, { training: true });
      return [nn.mse(out as Value, y), s2] as [Value, unknown];
    };
    const [[l, s1], g] = valueAndGrad(loss, { hasAux: true })(params, state);
    expect(Number.isFinite(values(l)[0])).toBe(true);
    const bnState = (s1 as any)[1] as nn.BatchNormState;
    const h = np.add(np.matmul(x, (params as any)[0].w), (params as any)[0].b);
    expectClose(bnState.mean, values(np.multiply(0.01, np.mean(h, 0))), 1e-5);
    expect((g as any)[1].scale.shape).toEqual([4]);
    // plain apply in training mode still works; eval mode through applyWithState uses the new statistics
    expect((net.apply(params, x, { training: true }) as Value).shape).toEqual([16, 1]);
    const [yEval] = nn.applyWithState(net, params, s1, x);
    expect((yEval as Value).shape).toEqual([16, 1]);
  });

  it("LayerNorm/GroupNorm: finite differences in float64", () => {
    const x = random.normal(random.key(7), [2, 3, 4], { dtype: "float64" });
    const dir = random.normal(random.key(8), [2, 3, 4], { dtype: "float64" });
    for (const layer of [nn.LayerNorm({ paramDtype: "float64" }), nn.GroupNorm({ numGroups: 2, paramDtype: "float64" }), nn.RMSNorm({ paramDtype: "float64" })]) {
      const [, p] = layer.init(random.key(0), [-1, 3, 4]);
      const f = (a: Value) => np.sum(np.sin(layer.apply(p, a)));
      const g = values(grad(f)(x));
      const fd = finiteDiff(f as (a: Array) => Value, x as Array, dir as Array, 1e-6)[0];
      const d = values(dir);
      expect(Math.abs(g.reduce((s, gi, i) => s + gi * d[i], 0) - fd)).toBeLessThan(1e-7 * Math.max(1, Math.abs(fd)));
    }
  });

  it("vmap of LayerNorm and MultiHeadAttention over examples equals a loop", () => {
    const mha = nn.MultiHeadAttention(2, { causal: true });
    const [, p] = mha.init(random.key(0), [5, 8]);
    const xs = random.normal(random.key(1), [3, 5, 8]);
    const f = (x: Value) => nn.LayerNorm().apply({ scale: np.ones([8]), bias: np.zeros([8]) }, mha.apply(p, x));
    expectClose(vmap(f)(xs), values(np.stack([0, 1, 2].map((i) => f(xs.get(i))))), 1e-5);
    // the layer's own batch axis gives the same as the loop too
    expectClose(mha.apply(p, xs), values(np.stack([0, 1, 2].map((i) => mha.apply(p, xs.get(i))))), 1e-5);
  });

  it("Embed: Flax's initializer with the same key, lookup, attend, integer ids only", () => {
    const e = nn.Embed(fx.embed_init.numEmbeddings, fx.embed_init.features);
    const [shape, p] = e.init(random.key(0), [-1, 3]);
    expect(shape).toEqual([-1, 3, 4]);
    expectClose(p.embedding, nums(fx.embed_init.out), 2e-5);
    const ids = np.array([[1, 9, 0]], { dtype: "int32" });
    const y = e.apply(p, ids);
    expect(y.shape).toEqual([1, 3, 4]);
    expectClose(y.get(0).get(1), values(p.embedding.get(9)));
    expect(e.attend(p, np.ones([2, 4])).shape).toEqual([2, 10]);
    expect(() => e.apply(p, np.ones([2]))).toThrow(/integer/);
    // the gradient of a lookup scatters into the rows
    const g = grad((t: Value) => np.sum(e.apply({ embedding: t }, np.array([1, 1, 2], { dtype: "int32" }))))(p.embedding);
    expectClose(g.get(1), [2, 2, 2, 2]);
    expectClose(g.get(0), [0, 0, 0, 0]);
  });

  it("sinusoidalPositionalEncoding and PositionalEncoding match the float64 table", () => {
    expectClose(nn.sinusoidalPositionalEncoding(fx.positional.length, fx.positional.features), nums(fx.positional.out), 2e-6);
    const o = fx.positional_odd;
    expectClose(nn.sinusoidalPositionalEncoding(o.length, o.features, { maxTimescale: o.maxTimescale, dtype: "float64" }), nums(o.out), 1e-12);
    expectClose(nn.PositionalEncoding().apply([], np.zeros([2, 7, 6])).get(1), nums(fx.positional.out), 2e-6);
  });
});

// ---- a tiny transformer -----------------------------------------------------------------------
function transformer() {
  const t = fx.transformer;
  const net = nn.serial(
    nn.Embed(t.V, t.d), nn.PositionalEncoding(), nn.fanOut(2), nn.parallel(nn.MultiHeadAttention(t.heads, { causal: true }), nn.Identity), nn.FanInSum,
    nn.LayerNorm(), nn.Dense(t.V),
  );
  const P = Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, dec(v)]));
  const mha = nest(Object.fromEntries(Object.entries(P).filter(([k]) => k.startsWith("mha.")).map(([k, v]) => [k.slice(4), v])));
  const params: unknown[] = [{ embedding: P.embedding }, [], [], [mha, []], [], { scale: P["ln.scale"], bias: P["ln.bias"] }, { w: P["dense.w"], b: P["dense.b"] }];
  const tokens = dec(t.tokens);
  const targets = dec(t.targets);
  const loss = (p: unknown) => np.mean(nn.softmaxCrossEntropyWithIntegerLabels(net.apply(p as unknown[], tokens) as Value, targets));
  return { net, params, loss, t };
}

describe("a tiny transformer (Embed + positions + causal MultiHeadAttention + LayerNorm + Dense)", () => {
  it("its loss and gradients match JAX at the same params, and Adam steps match optax's and decrease the loss", () => {
    const { net, params, loss, t } = transformer();
    const [shape, fresh] = net.init(random.key(0), [-1, t.T]);
    expect(shape).toEqual([-1, t.T, t.V]);
    expect(JSON.stringify(fresh, (_k, v) => (v && typeof v === "object" && "shape" in v ? v.shape : v))).toBe(
      JSON.stringify(params, (_k, v) => (v && typeof v === "object" && "shape" in v ? v.shape : v)));
    const [l, g] = valueAndGrad(loss)(params);
    expectClose(l, t.loss, 1e-5);
    const G = g as any[];
    const pairs: [string, Value][] = [
      ["embedding", G[0].embedding], ["ln.scale", G[5].scale], ["ln.bias", G[5].bias], ["dense.w", G[6].w], ["dense.b", G[6].b],
      ...["query", "key", "value", "out"].flatMap((n) => [[`mha.${n}.kernel`, G[3][0][n].kernel], [`mha.${n}.bias`, G[3][0][n].bias]] as [string, Value][]),
    ];
    for (const [name, gv] of pairs) expectClose(gv, nums(t.grads[name]), 2e-4);
    const opt = optim.adam(1e-2);
    let p: unknown = params;
    let s = opt.init(p as never);
    const step = jit((p: unknown, s: unknown) => {
      const [lv, gr] = valueAndGrad(loss)(p);
      const [u, s2] = opt.update(gr as never, s as never, p as never);
      return [lv, optim.applyUpdates(p as never, u), s2] as const;
    });
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [lv, p2, s2] = step(p, s);
      losses.push(values(lv)[0]);
      p = p2;
      s = s2 as never;
    }
    losses.forEach((v, i) => expect(Math.abs(v - t.adam_losses[i])).toBeLessThan(2e-4));
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
  });
});

// ---- WebGPU == CPU ----------------------------------------------------------------------------
describe("on WebGPU", () => {
  it("attention cases, the layers and the transformer's gradient equal the CPU's", async () => {
    if (!(await probeWebGPU("nn-norm-attention.test.ts"))) return;
    const gpu = (e: EncArray) => devicePut(dec(e), "webgpu");
    const check = async (what: string, out: Value, want: number[], tol: number) => {
      expect((out as { device?: string }).device, what).toBe("webgpu");
      const got = globalThis.Array.from(await out.data(), Number);
      expect(got.length, what).toBe(want.length);
      got.forEach((v, i) => {
        if (!(Math.abs(v - want[i]) <= tol * Math.max(1, Math.abs(want[i])))) expect.fail(`${what}[${i}] on WebGPU: got ${v}, expected ${want[i]}`);
      });
    };
    for (const id of ["gqa", "mask_broadcast", "seq_lengths"]) {
      const c = fx.attention[id];
      const gOpts = Object.fromEntries(Object.entries(attOptions(c)).map(([k, v]) => [k, v && typeof v === "object" && "shape" in v ? devicePut(v as Array, "webgpu") : v]));
      const r = nn.dotProductAttention(gpu(c.q), gpu(c.k), gpu(c.v), gOpts as nn.DotProductAttentionOptions);
      await check(`attention ${id}`, globalThis.Array.isArray(r) ? r[0] : r, nums(c.out), 1e-4);
    }
    for (const id of ["LayerNorm", "GroupNorm_g3", "BatchNorm_train"]) {
      const c = fx.layers[id];
      const params = nest(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, gpu(v)])));
      await check(`layer ${id}`, layerRun(id, c)(params, gpu(c.x)), nums(c.out), 1e-4);
    }
    const { params, loss, t } = transformer();
    const onGpu = params.map(function put(x: unknown): unknown {
      if (x && typeof x === "object" && "shape" in (x as object)) return devicePut(x as Array, "webgpu");
      if (globalThis.Array.isArray(x)) return x.map(put);
      return Object.fromEntries(Object.entries(x as object).map(([k, v]) => [k, put(v)]));
    });
    const g = grad(loss)(onGpu) as any[];
    await check("transformer dense.w gradient", g[6].w, nums(t.grads["dense.w"]), 1e-3);
  }, 300_000);
});
