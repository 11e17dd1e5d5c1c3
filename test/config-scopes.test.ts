/**
 * JAX's configuration scopes that change what numpy code means, or whether
 * tracing and execution may happen (issue 16, src/transforms/config.ts):
 * numpyRankPromotion and numpyDtypePromotion raise on exactly the cases
 * where JAX 0.10.2 raises (fixtures: test/fixtures/config-scopes/generate.py)
 * and otherwise give JAX's dtypes and values; a jitted function is traced
 * again per setting; noTracing / noExecution refuse a retrace / any
 * computation; threefryPartitionable(false) gives JAX's original random
 * bits (split, bits of every width, the samplers, bit for bit); enableX64, softmaxCustomJvp and defaultPrngImpl accept what
 * jaxon implements and refuse the rest with a typed error. Every scope is
 * restored after `fn` returns, throws, or its promise settles.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ArgumentError,
  ConfigScopeError,
  KeyReuseError,
  allowF16Reductions,
  lax,
  debugKeyReuse,
  DTypeError,
  ShapeError,
  UnsupportedError,
  defaultPrngImpl,
  enableX64,
  grad,
  jit,
  makeJaxpr,
  nn,
  noExecution,
  noTracing,
  np,
  numpyDtypePromotion,
  numpyRankPromotion,
  random,
  softmaxCustomJvp,
  threefryPartitionable,
  type Value,
} from "../src/index.js";

type Outcome = { raises: string } | { dtype: string; shape?: number[]; values?: number[] };
const fx = JSON.parse(readFileSync(new URL("./fixtures/config-scopes/config-scopes.json", import.meta.url), "utf8")) as {
  inputs: { x23: number[]; y3: number[]; z: number[] };
  rank: Record<string, Outcome>;
  dtype: Record<string, Outcome>;
  jit: Record<string, { raises?: string; values?: number[] }>;
  softmaxGrad: Record<"true" | "false", number[]>;
  random: Record<string, { dtype: string; shape: number[]; values: number[] }>;
  keyReuseRaises: Record<string, boolean>;
  f16Reductions: Record<string, Outcome>;
};

const x23 = np.array(fx.inputs.x23).reshape([2, 3]);
const y3 = np.array(fx.inputs.y3);
const y13 = y3.reshape([1, 3]);
const s0 = np.array(3.0);
const i3 = np.array([1, 2, 3], { dtype: "int32" });
const i23 = np.arange(6).reshape([2, 3]);
const u8 = np.array([1, 2, 3], { dtype: "uint8" });
const b3 = np.array([true, false, true]);
const f16 = np.array([1, 2, 3], { dtype: "float16" });

const rankCases: Record<string, () => Value> = {
  add_rank2_rank1: () => x23.add(y3),
  add_same_rank_size1: () => x23.add(y13),
  add_rank0: () => x23.add(s0),
  add_js_number: () => x23.add(2),
  mul_rank1_rank2: () => y3.mul(x23),
  maximum_rank2_rank1: () => np.maximum(x23, y3),
  arctan2_rank2_rank1: () => np.arctan2(x23, y3),
  copysign_rank2_rank1: () => np.copysign(x23, y3),
  where_mixed_ranks: () => np.where(x23.gt(1), x23, y3),
  heaviside_rank2_rank1: () => np.heaviside(x23.sub(1), y3),
  matmul_rank2_rank1: () => np.matmul(x23, y3),
  subtract_int_rank2_rank1: () => i23.sub(i3),
  greater_rank2_rank1: () => x23.gt(y3),
};

const dtypeCases: Record<string, () => Value | string> = {
  f32_plus_i32: () => y3.add(i3),
  f32_plus_js_int: () => y3.add(2),
  f32_plus_js_float: () => y3.add(2.5),
  i32_plus_js_int: () => i3.add(2),
  i32_plus_js_float: () => i3.add(2.5),
  u8_plus_i32: () => u8.add(i3),
  u8_plus_js_int: () => u8.add(2),
  f16_plus_js_float: () => f16.add(0.5),
  f16_plus_f32: () => f16.add(y3),
  bool_and_bool: () => np.bitwiseAnd(b3, b3),
  bool_plus_js_int: () => b3.add(1),
  i32_astype_f32_plus_f32: () => i3.astype("float32").add(y3),
  f32_mul_f32: () => y3.mul(y3),
  promote_types_i32_f32: () => np.promoteTypes("int32", "float32"),
  promote_types_f32_f32: () => np.promoteTypes("float32", "float32"),
};

/** Runs a case and compares with JAX's outcome: the same raise/no-raise, the typed error, JAX's dtype and values. */
function expectLikeJax(run: () => Value | string, want: Outcome, errorType: typeof ShapeError | typeof DTypeError) {
  if ("raises" in want) {
    expect(run).toThrow(errorType);
    return;
  }
  const got = run();
  if (typeof got === "string") {
    expect(got).toBe(want.dtype);
    return;
  }
  expect(got.dtype).toBe(want.dtype);
  expect(got.shape).toEqual(want.shape);
  const values = Array.from(got.astype("float32").dataSync());
  want.values!.forEach((v, i) => expect(values[i]).toBeCloseTo(v, 2));
}

afterEach(() => vi.restoreAllMocks());

describe("numpyRankPromotion (JAX fixtures)", () => {
  for (const [key, want] of Object.entries(fx.rank)) {
    const [name, mode] = key.split("/") as [string, "allow" | "raise"];
    it(`${name} under "${mode}" ${"raises" in want ? "raises a ShapeError" : "gives JAX's result"}`, () => {
      expectLikeJax(() => numpyRankPromotion(mode, rankCases[name]), want, ShapeError);
    });
  }

  it('"warn" warns once per operation and shapes, and computes the broadcast result', () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const out = numpyRankPromotion("warn", () => [x23.add(y3), x23.add(y3), x23.add(y13)]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain("(2, 3) and (3,)");
    const want = fx.rank["add_rank2_rank1/allow"] as { values: number[] };
    Array.from(out[1].dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want.values[i], 5));
  });

  it("the error names the operation, both shapes and the fix", () => {
    expect(() => numpyRankPromotion("raise", () => np.maximum(x23, y3))).toThrow(/maximum.*\(2, 3\) and \(3,\).*expandDims/);
  });

  it("a jitted function is traced again per setting, as JAX's jit (fixture: raise inside, values outside)", () => {
    const f = jit((a: Value, b: Value) => a.add(b));
    const outside = Array.from(f(x23, y3).dataSync());
    expect(() => numpyRankPromotion("raise", () => f(x23, y3))).toThrow(ShapeError);
    expect(fx.jit.raise.raises).toBe("ValueError");
    const after = Array.from(f(x23, y3).dataSync());
    fx.jit.allow.values!.forEach((v, i) => {
      expect(outside[i]).toBeCloseTo(v, 5);
      expect(after[i]).toBeCloseTo(v, 5);
    });
    // and a trace made under "raise" (same-rank operands) is not reused outside it for other avals
    const g = jit((a: Value, b: Value) => a.add(b));
    numpyRankPromotion("raise", () => g(x23, y13));
    expect(Array.from(g(x23, y3).dataSync())).toHaveLength(6);
  });

  it("is restored after fn throws, and after its promise settles", async () => {
    expect(() =>
      numpyRankPromotion("raise", () => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(x23.add(y3).shape).toEqual([2, 3]);
    const p = numpyRankPromotion("raise", async () => {
      await Promise.resolve();
      return () => x23.add(y3);
    });
    expect(() => x23.add(y3)).toThrow(ShapeError); // still inside the scope until the promise settles
    await p;
    expect(x23.add(y3).shape).toEqual([2, 3]);
  });

  it("rejects an unknown level with an ArgumentError", () => {
    expect(() => numpyRankPromotion("forbid" as "raise", () => 1)).toThrow(ArgumentError);
  });
});

describe("numpyDtypePromotion (JAX fixtures)", () => {
  for (const [key, want] of Object.entries(fx.dtype)) {
    const [name, mode] = key.split("/") as [string, "standard" | "strict"];
    it(`${name} under "${mode}" ${"raises" in want ? "raises a DTypeError" : "gives JAX's dtype"}`, () => {
      expectLikeJax(() => numpyDtypePromotion(mode, dtypeCases[name]), want, DTypeError);
    });
  }

  it("the error names the dtypes and the fix", () => {
    expect(() => numpyDtypePromotion("strict", () => y3.add(i3))).toThrow(/float32, int32.*astype/);
  });

  it("a jitted function is traced again per setting", () => {
    const f = jit((a: Value, b: Value) => a.add(b));
    expect(f(y3, i3).dtype).toBe("float32");
    expect(() => numpyDtypePromotion("strict", () => f(y3, i3))).toThrow(DTypeError);
    expect(f(y3, i3).dtype).toBe("float32");
  });

  it("rejects an unknown level with an ArgumentError", () => {
    expect(() => numpyDtypePromotion("loose" as "strict", () => 1)).toThrow(ArgumentError);
  });
});

describe("noTracing / noExecution", () => {
  it("noTracing lets a traced signature run and refuses a retrace, as JAX's no_tracing", () => {
    const f = jit((a: Value) => a.mul(2));
    f(y3);
    expect(Array.from(noTracing(() => f(y3)).dataSync())).toEqual(fx.inputs.y3.map((v) => v * 2));
    expect(() => noTracing(() => f(x23))).toThrow(ConfigScopeError);
    expect(() => noTracing(true, () => f(x23))).toThrow(/noTracing/);
    expect(noTracing(false, () => f(x23)).shape).toEqual([2, 3]);
    expect(f(np.ones([4])).shape).toEqual([4]); // restored
  });

  it("noExecution refuses eager operations and jitted calls but lets makeJaxpr trace", () => {
    const f = jit((a: Value) => np.sin(a));
    f(y3);
    expect(() => noExecution(() => np.sin(y3))).toThrow(ConfigScopeError);
    expect(() => noExecution(() => np.sin(y3))).toThrow(/sin/);
    expect(() => noExecution(() => f(y3))).toThrow(ConfigScopeError);
    expect(String(noExecution(() => makeJaxpr((a: Value) => np.sin(a))(y3)))).toContain("sin");
    expect(noExecution(false, () => np.sin(y3)).shape).toEqual([3]);
    expect(np.sin(y3).shape).toEqual([3]); // restored
  });
});

describe("enableX64, softmaxCustomJvp, defaultPrngImpl", () => {
  it("enableX64(false) runs fn with JAX's 32-bit defaults; enableX64(true) is an UnsupportedError", () => {
    expect(enableX64(false, () => np.array([1.5]).dtype)).toBe("float32");
    expect(() => enableX64(true, () => np.array([1.5]))).toThrow(UnsupportedError);
    expect(() => enableX64("yes" as unknown as boolean, () => 1)).toThrow(ArgumentError);
  });

  it("softmax's gradient matches JAX's under both settings", () => {
    const z = np.array(fx.inputs.z);
    const w = np.array([1, 2, 3, 4]);
    for (const on of [false, true]) {
      const g = softmaxCustomJvp(on, () => grad((v: Value) => nn.softmax(v).mul(w).sum())(z));
      Array.from(g.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(fx.softmaxGrad[String(on) as "true" | "false"][i], 5));
    }
  });

  it("defaultPrngImpl accepts threefry2x32 and refuses the RBG implementations", () => {
    expect(defaultPrngImpl("threefry2x32", () => random.key(7).arraySync())).toEqual([0, 7]);
    expect(() => defaultPrngImpl("rbg", () => 1)).toThrow(UnsupportedError);
    expect(() => defaultPrngImpl("philox" as "rbg", () => 1)).toThrow(ArgumentError);
  });
});

describe("threefryPartitionable (JAX fixtures, bit for bit)", () => {
  const k7 = random.key(7);
  const cases: Record<string, () => Value> = {
    split2: () => random.splitArray(k7),
    split5: () => random.splitArray(k7, 5),
    split_shape: () => random.splitArray(k7, [2, 3]),
    bits_u32_5: () => random.bits(random.key(0), [5]),
    bits_u32_2x3: () => random.bits(k7, [2, 3]),
    bits_u16_5: () => random.bits(k7, [5], "uint16"),
    bits_u8_7: () => random.bits(k7, [7], "uint8"),
    uniform_f32_6: () => random.uniform(k7, [6]),
    uniform_f16_5: () => random.uniform(k7, [5], { dtype: "float16" }),
    uniform_f64_5: () => random.uniform(k7, [5], { dtype: "float64" }),
    normal_2x3: () => random.normal(k7, [2, 3]),
    randint_5: () => random.randint(k7, [5], 0, 100),
    permutation_8: () => random.permutation(k7, 8),
    fold_in: () => random.foldIn(k7, 3),
    split_then_uniform: () => random.uniform(random.split(k7)[1], [3]),
  };
  for (const [key, want] of Object.entries(fx.random)) {
    const [name, on] = key.split("/") as [string, "true" | "false"];
    it(`${name} with threefryPartitionable(${on})`, () => {
      const got = threefryPartitionable(on === "true", cases[name]);
      expect(got.shape).toEqual(want.shape);
      const exact = want.dtype.startsWith("uint") || want.dtype.startsWith("int");
      const values = Array.from(got.dataSync(), Number);
      if (exact) expect(values).toEqual(want.values);
      else want.values.forEach((v, i) => expect(values[i]).toBeCloseTo(v, want.dtype === "float16" ? 3 : 6));
    });
  }

  it("a jitted sampler is traced again per setting; the default is restored afterwards", () => {
    const f = jit((k: Value) => random.bits(k, [5]));
    const now = fx.random["bits_u32_5/true"].values;
    const old = fx.random["bits_u32_5/false"].values;
    const k0 = random.key(0);
    expect(Array.from(f(k0).dataSync())).toEqual(now);
    expect(Array.from(threefryPartitionable(false, () => f(k0)).dataSync())).toEqual(old);
    expect(Array.from(f(k0).dataSync())).toEqual(now);
    expect(Array.from(threefryPartitionable(() => f(k0)).dataSync())).toEqual(now);
  });
});

describe("debugKeyReuse", () => {
  const samplers: Record<string, (k: Value) => unknown> = {
    split: (k) => random.split(k),
    splitArray: (k) => random.splitArray(k, 3),
    bits: (k) => random.bits(k, [3]),
    uniform: (k) => random.uniform(k, [3]),
    normal: (k) => random.normal(k, [3]),
    randint: (k) => random.randint(k, [3], 0, 10),
    bernoulli: (k) => random.bernoulli(k, 0.5, [3]),
    permutation: (k) => random.permutation(k, 5),
    categorical: (k) => random.categorical(k, np.array([0.1, 0.2, 0.7]).log()),
    gamma: (k) => random.gamma(k, 2, [3]),
    poisson: (k) => random.poisson(k, 3, [3]),
    truncatedNormal: (k) => random.truncatedNormal(k, -1, 1, { shape: [3] }),
    binomial: (k) => random.binomial(k, 10, 0.3, [3]),
    multinomial: (k) => random.multinomial(k, 10, np.array([0.2, 0.3, 0.5])),
    foldIn: (k) => random.foldIn(k, 1),
    keyData: (k) => random.keyData(k),
  };
  it("the fixture covers every case here", () => expect(Object.keys(fx.keyReuseRaises).sort()).toEqual(Object.keys(samplers).sort()));
  for (const [name, draw] of Object.entries(samplers)) {
    const raises = fx.keyReuseRaises[name];
    it(`${name}: the first use passes; a second use of the same key ${raises ? "is a KeyReuseError" : "passes"}, as in JAX`, () => {
      const key = random.key(3);
      debugKeyReuse(() => draw(key));
      if (raises) expect(() => debugKeyReuse(() => draw(key))).toThrow(KeyReuseError);
      else debugKeyReuse(() => draw(key));
      // a new key from each split is fresh, and the check is off outside the scope
      debugKeyReuse(() => random.split(random.key(4)).map((k) => draw(k)));
      draw(key);
    });
  }

  it("foldIn, keyData, clone and wrapKeyData do not consume; clone gives a key that may be used again", () => {
    const key = random.key(5);
    debugKeyReuse(() => {
      random.foldIn(key, 1);
      random.foldIn(key, 2);
      random.keyData(key);
      random.uniform(key);
      expect(() => random.uniform(key)).toThrow(/already used.*split it first/);
      const again = random.clone(key);
      expect(Array.from(random.uniform(again).dataSync())).toEqual(Array.from(random.uniform(random.key(5)).dataSync()));
    });
  });

  it("catches reuse of a traced key inside a jitted function", () => {
    const f = jit((k: Value) => random.uniform(k, [2]).add(random.normal(k, [2])));
    expect(() => debugKeyReuse(() => f(random.key(6)))).toThrow(KeyReuseError);
    expect(f(random.key(6)).shape).toEqual([2]);
  });
});

describe("allowF16Reductions (JAX fixtures)", () => {
  const h23 = np.arange(6).reshape([2, 3]).div(3).add(0.25).astype("float16");
  const cases: Record<string, () => Value> = {
    np_sum: () => np.sum(h23),
    np_sum_axis1: () => np.sum(h23, 1),
    np_mean: () => np.mean(h23),
    cumsum: () => np.cumsum(h23),
    lax_reduce_sum_axis1: () => lax.reduceSum(h23, [1]),
    lax_reduce_sum_size1: () => lax.reduceSum(h23.reshape([6, 1]), [1]),
    lax_reduce_sum_f32: () => lax.reduceSum(h23.astype("float32"), [1]),
    matmul: () => np.matmul(h23, h23.transpose()),
    grad_broadcast: () => grad((v: Value) => v.add(h23).sum().astype("float32"))(h23.get(0)),
  };
  for (const [key, want] of Object.entries(fx.f16Reductions)) {
    const [name, on] = key.split("/") as [string, "true" | "false"];
    it(`${name} with allowF16Reductions(${on}) ${"raises" in want ? "raises a DTypeError" : "gives JAX's result"}`, () => {
      expectLikeJax(() => allowF16Reductions(on === "true", cases[name]), want, DTypeError);
    });
  }

  it("a jitted sum is traced again per setting", () => {
    const f = jit((v: Value) => lax.reduceSum(v, [1]));
    expect(f(h23).shape).toEqual([2]);
    expect(() => allowF16Reductions(false, () => f(h23))).toThrow(/allowF16Reductions\(false\).*astype/);
    expect(f(h23).shape).toEqual([2]);
  });
});
