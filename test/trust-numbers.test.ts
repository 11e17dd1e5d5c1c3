/**
 * The "Trust" issue, numbers: JAX's answer (or a typed error where JAX
 * raises) for edge values, result dtypes and weak types, derivative
 * conventions, plain-JS conveniences and pytrees with a `__proto__` key.
 * Reference values come from real JAX (test/fixtures/trust-numbers/gen.py →
 * jax.json, float32 default); each value is checked eagerly and under jit on
 * the CPU, and the elementwise ones on WebGPU at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Array as JArray, defaultDevice, grad, jit, lax, nn, numpy as np, optim, random, tree, vmap } from "../src/index.js";
import { DTypeError, ShapeError } from "../src/errors.js";
import type { Value } from "../src/trace/core.js";
import { onBothDevices, probeWebGPU } from "./device-helpers.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const J: any = JSON.parse(readFileSync(new URL("./fixtures/trust-numbers/jax.json", import.meta.url), "utf8"));

type Enc = number | string | boolean | Enc[];
/** The fixture's encoding back to numbers: "nan", "inf", "-inf" are the non-finite floats; booleans are 0/1. */
function dec(x: Enc): number | unknown[] {
  if (globalThis.Array.isArray(x)) return x.map(dec);
  if (x === "nan") return NaN;
  if (x === "inf") return Infinity;
  if (x === "-inf") return -Infinity;
  if (typeof x === "boolean") return x ? 1 : 0;
  return x as number;
}
const flat = (x: unknown): number[] => (globalThis.Array.isArray(x) ? x.flatMap(flat) : [typeof x === "boolean" ? (x ? 1 : 0) : (x as number)]);

/** Same NaN-ness, exact infinities, finite values to a relative 2e-6 (float32 rounding). */
function expectNums(actual: unknown, expected: unknown, what: string) {
  const a = flat(actual);
  const e = flat(dec(expected as Enc));
  expect(a.length, `${what}: length`).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    const [x, y] = [a[i], e[i]];
    const ok = Number.isNaN(y) ? Number.isNaN(x) : !Number.isFinite(y) ? x === y : Math.abs(x - y) <= 2e-6 * Math.max(1, Math.abs(y));
    if (!ok) expect(`${what}[${i}] = ${x}`).toBe(`${what}[${i}] = ${y} (JAX)`);
  }
}

/** A result against a fixture entry {value, dtype, weak}. */
function expectRes(v: Value, ref: { value: Enc; dtype: string; weak: boolean }, what: string, checkWeak = true) {
  expect(v.dtype, `${what}: dtype`).toBe(ref.dtype);
  if (checkWeak) expect(v.weakType, `${what}: weak type`).toBe(ref.weak);
  expectNums((v as JArray).arraySync(), ref.value, what);
}

const f32 = (v: unknown) => np.array(dec(v as Enc) as number[], { dtype: "float32" });
const i32 = (v: number[]) => np.array(v, { dtype: "int32" });

/** Runs `f` eagerly and under jit; both must match `ref`. */
function both(what: string, f: (...xs: Value[]) => Value, args: Value[], ref: { value: Enc; dtype: string; weak: boolean }) {
  expectRes(f(...args), ref, `${what} (eager)`);
  expectRes(jit(f)(...args) as Value, ref, `${what} (jit)`);
}

describe("edge values, as JAX", () => {
  it("isclose: 1 is not close to inf; infinities are close only to themselves", () => {
    const c = J.isclose;
    both("isclose", (a, b) => np.isclose(a, b), [f32(c.a), f32(c.b)], c.out);
    both("isclose equalNan", (a, b) => np.isclose(a, b, { equalNan: true }), [f32(c.a), f32(c.b)], c.equal_nan);
    expect(np.isclose(1, Infinity).itemSync()).toBe(0);
  });

  it("power: 1 ** NaN = 1, (-1) ** ±inf = 1, (-1) ** NaN = NaN", () => {
    const c = J.power;
    both("power", (x, y) => np.power(x, y), [f32(c.x), f32(c.y)], c.out);
  });

  it("integer power by negative array exponents: 0 unless |x| = 1; a negative JS exponent is a DTypeError (JAX: TypeError)", () => {
    const c = J.power_int;
    both("power int", (x, y) => np.power(x, y), [i32(c.x), i32(c.y)], c.out);
    expect(() => np.power(i32([2, 3]), -1)).toThrow(DTypeError);
  });

  it("floorDivide by zero: ±inf / NaN for floats, XLA's values for ints", () => {
    both("floorDivide float", (x, y) => np.floorDivide(x, y), [f32(J.floor_divide_float.x), f32(J.floor_divide_float.y)], J.floor_divide_float.out);
    both("floorDivide int", (x, y) => np.floorDivide(x, y), [i32(J.floor_divide_int.x), i32(J.floor_divide_int.y)], J.floor_divide_int.out);
    const u32 = (v: number[]) => np.array(v, { dtype: "uint32" });
    both("floorDivide uint32", (x, y) => np.floorDivide(x, y), [u32(J.floor_divide_uint.x), u32(J.floor_divide_uint.y)], J.floor_divide_uint.out);
  });

  it("fmod and remainder of ints by zero give 0; fmod of floats by zero NaN", () => {
    both("fmod int", (x, y) => np.fmod(x, y), [i32(J.fmod_int.x), i32(J.fmod_int.y)], J.fmod_int.out);
    both("remainder int", (x, y) => np.remainder(x, y), [i32(J.remainder_int.x), i32(J.remainder_int.y)], J.remainder_int.out);
    both("fmod float", (x, y) => np.fmod(x, y), [f32(J.fmod_float.x), f32(J.fmod_float.y)], J.fmod_float.out);
  });

  it("var/std with ddof >= n are NaN", () => {
    for (const c of J.var) {
      both(`var ddof=${c.ddof}`, (x) => np.var(x, null, { ddof: c.ddof }), [f32(J.var_x)], c.var);
      both(`std ddof=${c.ddof}`, (x) => np.std(x, null, { ddof: c.ddof }), [f32(J.var_x)], c.std);
    }
  });

  it("softmax, logSoftmax and logsumexp with infinite inputs", () => {
    for (const c of J.softmax) {
      const x = f32(c.x);
      both(`softmax(${c.x})`, (v) => nn.softmax(v), [x], c.softmax);
      both(`logSoftmax(${c.x})`, (v) => nn.logSoftmax(v), [x], c.log_softmax);
      both(`logsumexp(${c.x})`, (v) => nn.logsumexp(v), [x], c.logsumexp);
    }
  });

  it("logsumexp of an empty axis is -inf; softmax of an empty array is empty", () => {
    const e = J.empty;
    both("logsumexp([])", (v) => nn.logsumexp(v), [np.zeros([0])], e.logsumexp_0);
    both("logsumexp((2,0), axis 1)", (v) => nn.logsumexp(v, 1), [np.zeros([2, 0])], e.logsumexp_2x0_axis1);
    expect(nn.softmax(np.zeros([0])).shape).toEqual(e.softmax_0_shape);
    expect(nn.softmax(np.zeros([2, 0])).shape).toEqual(e.softmax_2x0_shape);
    expect(jit((v: Value) => nn.logSoftmax(v))(np.zeros([2, 0])).shape).toEqual(e.log_softmax_2x0_shape);
  });
});

describe("−0 and +0 stay apart under jit", () => {
  // IEEE: copysign(x, −0) is negative, copysign(x, +0) positive; the two
  // literals are equal to ===, but jit must not merge equations over them
  it("copysign by −0 and by +0 in one jitted function give opposite signs, as eagerly", () => {
    const f = (v: Value) => [np.copysign(v, -0), np.copysign(v, 0)];
    const x = np.array([1, 2]);
    const eager = f(x).map((a) => flat(a.arraySync()));
    const jitted = (jit(f)(x) as Value[]).map((a) => flat(a.arraySync()));
    expect(eager).toEqual([[-1, -2], [1, 2]]);
    expect(jitted).toEqual(eager);
    expect(jit(f).lower(x).text).toContain("-0.0");
  });
});

describe("result dtypes and weak types, as JAX", () => {
  it("relu6(int) is float32, hardTanh(int) stays int32", () => {
    both("relu6 int", (x) => nn.relu6(x), [i32([-1, 3, 8])], J.relu6_int);
    both("hardTanh int", (x) => nn.hardTanh(x), [i32([-2, 0, 3])], J.hard_tanh_int);
  });

  it("rint of ints and bools is float32; square(bool) is int32", () => {
    both("rint int", (x) => np.rint(x), [i32([1, 2])], J.rint_int);
    both("rint bool", (x) => np.rint(x), [np.array([true, false])], J.rint_bool);
    both("square bool", (x) => np.square(x), [np.array([true, false])], J.square_bool);
  });

  it("a JS integer passed to jit is a weak int32 (a fraction a weak float32)", () => {
    const id = jit((x: Value) => x);
    const r = id(5) as Value;
    expect([r.dtype, r.weakType]).toEqual([J.jit_int_arg.dtype, J.jit_int_arg.weak]);
    expect(r.itemSync()).toBe(J.jit_int_arg.value);
    const h = id(2.5) as Value;
    expect([h.dtype, h.weakType]).toEqual(["float32", true]);
    // weak: it takes the other operand's dtype, as in JAX
    expect((jit((x: Value, y: Value) => np.add(x, y))(5, np.array([1.5])) as Value).dtype).toBe("float32");
    expect((jit((x: Value) => np.multiply(x, x))(7) as Value).itemSync()).toBe(49);
    // JAX: jit(grad(f))(5) raises (grad needs a float input); so does jaxon, with a typed error
    expect(() => jit(grad((x: Value) => np.multiply(x, x)))(5)).toThrow(DTypeError);
  });

  it("reductions of weakly typed values are strongly typed", () => {
    const fns: Record<string, (x: Value) => Value> = {
      sum: (x) => np.sum(x), prod: (x) => np.prod(x), max: (x) => np.max(x), min: (x) => np.min(x), mean: (x) => np.mean(x),
      var: (x) => np.var(x), std: (x) => np.std(x), cumsum: (x) => np.cumsum(x),
    };
    for (const [name, f] of Object.entries(fns)) {
      // a JS number passed to jit is a weak float32 scalar here: the reduction's result must not be
      const out = jit(f)(5.5) as Value;
      expect(out.weakType, `jit(${name})(5.5) weak type`).toBe(J.jit_sum_weak[name].weak);
      expect(out.dtype).toBe(J.jit_sum_weak[name].dtype);
    }
  });

  it("created scalars and fills are weakly typed as in JAX; a dtype or a list makes them strong; gradients keep their primal's weak type", () => {
    const W = J.weak_creation;
    const w = np.array(2.5);
    const cases: [string, () => Value][] = [
      ["array_scalar", () => np.array(2.5)],
      ["asarray_scalar", () => np.asarray(2.5)],
      ["array_of_weak", () => np.array(w)],
      ["array_dtype", () => np.array(2.5, "float32")],
      ["array_list", () => np.array([1.5, 2.5])],
      ["array_bool", () => np.array(true)],
      ["full_float", () => np.full([2], 1.5)],
      ["full_dtype", () => np.full([2], 1.5, "float32")],
      ["full_of_weak", () => np.full([2], w)],
      ["ones_like_scalar", () => np.onesLike(2.5)],
      ["zeros_like_weak", () => np.zerosLike(w)],
      ["zeros_like_strong", () => np.zerosLike(np.ones([2]))],
      ["full_like_dtype", () => np.fullLike(w, 3, "float32")],
      ["weak_plus_f16", () => np.add(w, np.ones([2], "float16"))],
      ["grad_weak", () => grad((x: Value) => x.mul(x))(w)],
      ["grad_strong", () => grad((x: Value) => x.mul(x))(np.array(1, "float32"))],
    ];
    for (const [name, make] of cases) expectRes(make(), W[name], name);
    // under jit too: the weak type is part of the traced value's type
    expectRes(jit((x: Value) => grad((q: Value) => q.mul(q))(x))(w) as Value, W.grad_weak, "jit(grad) weak");
  });

  it("a jitted gradient-descent loop on a weakly typed parameter traces once, as JAX's", () => {
    const step = jit((p: Value) => p.sub(grad((q: Value) => q.sub(3).square())(p).mul(0.1)));
    let p: Value = np.array(0);
    for (let i = 0; i < 5; i++) p = step(p) as Value;
    expect(step.traces).toBe(J.weak_loop.traces);
    expectRes(p, J.weak_loop.final, "final parameter");
  });

  it("resultType() with no argument raises a DTypeError (JAX: ValueError)", () => {
    expect(J.result_type_empty).toMatch(/^ValueError/);
    expect(() => np.resultType()).toThrow(DTypeError);
    expect(() => np.resultType()).toThrow(/at least one/);
  });
});

describe("derivative conventions, as JAX", () => {
  const g2 = (f: (a: Value, b: Value) => Value) => (a: number, b: number) => {
    const gs = grad(f, { argnums: [0, 1] })(np.array(a, { dtype: "float32" }), np.array(b, { dtype: "float32" })) as Value[];
    return gs.map((g) => g.itemSync());
  };
  const jg2 = (f: (a: Value, b: Value) => Value) => (a: number, b: number) => {
    const gs = jit(grad(f, { argnums: [0, 1] }))(np.array(a, { dtype: "float32" }), np.array(b, { dtype: "float32" })) as Value[];
    return gs.map((g) => g.itemSync());
  };

  it("fmax/fmin give a tie's whole gradient to the second argument (maximum splits it)", () => {
    for (const [name, fn] of [["fmax", np.fmax], ["fmin", np.fmin]] as const) {
      for (const c of J[`${name}_grad`]) {
        const [a, b] = dec(c.x) as number[];
        expectNums(g2(fn)(a, b), c.grad, `grad ${name}(${c.x})`);
        expectNums(jg2(fn)(a, b), c.grad, `jit grad ${name}(${c.x})`);
      }
    }
    expectNums(g2(np.maximum)(1, 1), J.maximum_grad_tie, "grad maximum(1, 1)");
  });

  it("cummax/cummin split tied tangents as JAX's associative scan does", () => {
    const w = f32(J.cum_w);
    for (const [name, fn] of [["cummax", lax.cummax], ["cummin", lax.cummin]] as const) {
      const c = J[name];
      const x = f32(c.x);
      both(`${name} value`, (v) => fn(v), [x], c.value);
      const loss = (rev: boolean) => (v: Value) => np.sum(np.multiply(fn(v, 0, rev), w));
      both(`grad ${name}`, (v) => grad(loss(false))(v) as Value, [x], c.grad);
      both(`grad ${name} reverse`, (v) => grad(loss(true))(v) as Value, [x], c.grad_reverse);
    }
  });

  it("cummax's tie-splitting along axis 1 of a 2-D array, odd and even lengths, both directions", () => {
    const c = J.cummax_2d;
    for (const n of [6, 7]) {
      for (const rev of [false, true]) {
        const x = lax.slice(f32(c.x), [0, 0], [3, n]);
        const w = lax.slice(f32(c.w), [0, 0], [3, n]);
        const loss = (v: Value) => np.sum(np.multiply(lax.cummax(v, 1, rev), w));
        both(`grad cummax axis 1, n=${n}, reverse=${rev}`, (v) => grad(loss)(v) as Value, [x], c.grad[`${n}_${rev ? 1 : 0}`]);
      }
    }
  });

  it("clamp passes the gradient to x only strictly inside the bounds; clip splits at the bounds", () => {
    for (const c of J.clamp_grad) {
      const f = (lo: Value, x: Value, hi: Value) => lax.clamp(lo, x, hi);
      const args = [0, c.x, 1].map((v) => np.array(v, { dtype: "float32" })) as [Value, Value, Value];
      const gs = (grad(f, { argnums: [0, 1, 2] })(...args) as Value[]).map((g) => g.itemSync());
      expectNums(gs, c.grad, `grad clamp(0, ${c.x}, 1)`);
      const gj = (jit(grad(f, { argnums: [0, 1, 2] }))(...args) as Value[]).map((g) => g.itemSync());
      expectNums(gj, c.grad, `jit grad clamp(0, ${c.x}, 1)`);
    }
    for (const c of J.clip_grad) {
      expectNums([(grad((x: Value) => np.clip(x, 0, 1))(np.array(c.x, { dtype: "float32" })) as Value).itemSync()], [c.grad], `grad clip(${c.x})`);
    }
  });

  it("logaddexp's gradient at infinities", () => {
    for (const c of J.logaddexp_grad) {
      const [a, b] = dec(c.x) as number[];
      expectNums([np.logaddexp(a, b).itemSync()], [c.value], `logaddexp(${c.x})`);
      expectNums(g2(np.logaddexp)(a, b), c.grad, `grad logaddexp(${c.x})`);
      expectNums(jg2(np.logaddexp)(a, b), c.grad, `jit grad logaddexp(${c.x})`);
    }
  });

  it("power's gradient at 0 ** 0 (NaN for the base, 0 for the exponent) and nearby", () => {
    for (const c of J.power_grad) {
      const [a, b] = dec(c.x) as number[];
      expectNums(g2(np.power)(a, b), c.grad, `grad power(${c.x})`);
      expectNums(jg2(np.power)(a, b), c.grad, `jit grad power(${c.x})`);
    }
  });

  it("norm's gradient at 0: 0 by default (a documented difference), JAX's NaN with safeGradAtZero: false", () => {
    const z = np.zeros([3]);
    expectNums((grad((x: Value) => np.linalg.norm(x))(z) as JArray).arraySync(), [0, 0, 0], "grad norm(0) (safe)");
    const jaxLike = (x: Value) => np.linalg.norm(x, null, null, { safeGradAtZero: false });
    expectRes(grad(jaxLike)(z) as Value, J.norm_grad_zero, "grad norm(0) safeGradAtZero: false");
    expectRes(jit(grad(jaxLike))(z) as Value, J.norm_grad_zero, "jit grad norm(0) safeGradAtZero: false");
    expectRes(grad(jaxLike)(f32([3, 4])) as Value, J.norm_grad, "grad norm([3, 4])");
    expectRes(grad((x: Value) => np.linalg.norm(x))(f32([3, 4])) as Value, J.norm_grad, "grad norm([3, 4]) (safe)");
  });
});

describe("plain-JS conveniences are honoured, not ignored", () => {
  it("a dtype string in the options position", () => {
    expectRes((np.zeros as (s: number[], d: string) => Value)([2, 3], "int32"), J.zeros_int32, "np.zeros([2, 3], 'int32')", false);
    expect(np.ones([2], "float64").dtype).toBe("float64");
    expect(np.full([2], 3, "int32").dtype).toBe("int32");
    expect(np.array([1.5], "float64").dtype).toBe("float64");
    expect(np.asarray([1], "int32").dtype).toBe("int32");
    expectRes(np.arange(0, 5, 1, "float32"), J.arange_dtype, "np.arange(0, 5, 1, 'float32')", false);
    expect(np.arange(4, "float64").dtype).toBe("float64");
    expect(np.zerosLike(np.ones([2]), "int32").dtype).toBe("int32");
    expect(np.eye(2, null, 0, "int32").dtype).toBe("int32");
    expect(np.linspace(0, 1, 3, "float64").dtype).toBe("float64");
    expect(np.sum(np.array([1.5, 2.5]), null, "int32").dtype).toBe("int32");
    expect(np.cumsum(np.array([1.5, 2.5]), 0, "float64").dtype).toBe("float64");
    expect(random.normal(random.key(0), [2], "float64").dtype).toBe("float64");
    expect(random.uniform(random.key(0), [2], "float64").dtype).toBe("float64");
    expect(random.randint(random.key(0), [2], 0, 5, "uint32").dtype).toBe("uint32");
    expect(nn.oneHot(i32([0, 1]), 2, "int32").dtype).toBe("int32");
    // an unknown string or a wrong kind of value is a typed error, not float32
    expect(() => (np.zeros as (s: number[], d: string) => Value)([2], "int64")).toThrow(DTypeError);
    expect(() => (np.zeros as (s: number[], d: unknown) => Value)([2], 5)).toThrow(DTypeError);
  });

  it("arrayEqual with equalNan", () => {
    const a = f32([1, "nan"]);
    expect(np.arrayEqual(a, a).itemSync()).toBe(J.array_equal_nan.plain ? 1 : 0);
    expect(np.arrayEqual(a, a, { equalNan: true }).itemSync()).toBe(J.array_equal_nan.equal_nan ? 1 : 0);
    expect(np.arrayEqual(a, a, { equalNaN: true }).itemSync()).toBe(1);
    expect(np.arrayEqual(i32([1, 2]), i32([1, 2]), { equalNan: true }).itemSync()).toBe(1);
  });

  it("categorical without replacement draws JAX's samples; more samples than categories is a ShapeError", () => {
    for (const c of J.categorical_no_replace) {
      const logits = np.array(c.logits, { dtype: "float32" });
      const s = random.categorical(random.key(c.seed), logits, { axis: c.axis, shape: c.shape, replace: false });
      expect(s.dtype).toBe("int32");
      expect((s as JArray).arraySync(), `categorical seed ${c.seed} shape ${c.shape}`).toEqual(c.out);
      const sj = jit((k: Value, l: Value) => random.categorical(k, l, { axis: c.axis, shape: c.shape, replace: false }))(random.key(c.seed), logits);
      expect((sj as JArray).arraySync()).toEqual(c.out);
    }
    expect(J.categorical_too_many).toMatch(/^ValueError/);
    expect(() => random.categorical(random.key(0), np.zeros([4]), { shape: [5], replace: false })).toThrow(ShapeError);
  });

  it("addDecayedWeights honours an array mask elementwise, and tree and function masks per leaf", () => {
    const p = np.array([1, 2]);
    const opt = optim.addDecayedWeights(0.5, { mask: np.array([true, false]) });
    const [u] = opt.update(np.array([10, 10]), opt.init(p), p);
    expect((u as JArray).arraySync()).toEqual([10.5, 10]);
    const params = { w: np.array([2, 4]), b: np.array([6]) };
    const grads = { w: np.zeros([2]), b: np.zeros([1]) };
    for (const mask of [{ w: true, b: false }, () => ({ w: true, b: false })]) {
      const o = optim.addDecayedWeights(0.5, { mask });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const [up] = o.update(grads, o.init(params), params) as any;
      expect(up.w.arraySync()).toEqual([1, 2]);
      expect(up.b.arraySync()).toEqual([0]);
    }
    // a prefix mask (optax): one boolean for a whole subtree, a bool array for one leaf
    const nested = { enc: { w: np.array([2, 4]), b: np.array([6]) }, dec: np.array([8, 10]) };
    const zeros = tree.map((x: Value) => np.zerosLike(x), nested);
    const o = optim.addDecayedWeights(0.5, { mask: { enc: false, dec: np.array([false, true]) } });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const [up] = o.update(zeros, o.init(nested), nested) as any;
    expect([up.enc.w.arraySync(), up.enc.b.arraySync(), up.dec.arraySync()]).toEqual([[0, 0], [0], [0, 5]]);
    expect(() => optim.addDecayedWeights(0.5, { mask: { enc: "yes", dec: true } }).update(zeros, {}, nested)).toThrow(/mask/);
  });

  it("lax cumulative ops reject a bad axis with a ShapeError", () => {
    for (const f of [lax.cumsum, lax.cumprod, lax.cummax, lax.cummin]) {
      expect(() => f(np.array([1, 2]), 3)).toThrow(ShapeError);
      expect(() => f(np.array([1, 2]), -2)).toThrow(ShapeError);
      expect(() => (f as (x: Value, a: unknown) => Value)(np.array([1, 2]), { axis: 3 })).toThrow(ShapeError);
      expect(() => f(np.array([1, 2]), 0.5)).toThrow(ShapeError);
    }
    expect(lax.cumsum(np.array([1, 2]), -1).arraySync()).toEqual([1, 3]);
  });

  it("vmap rejects an invalid outAxes with a ShapeError", () => {
    const x = np.array([[1, 2], [3, 4]]);
    expect(() => vmap((v: Value) => v, { outAxes: 2 })(x)).toThrow(ShapeError);
    expect(() => vmap((v: Value) => v, { outAxes: -3 })(x)).toThrow(ShapeError);
    expect(() => vmap((v: Value) => v, { outAxes: "a" as unknown as number })(x)).toThrow(ShapeError);
    expect(() => vmap((v: Value) => v, { outAxes: 0.5 })(x)).toThrow(ShapeError);
    // the batch of 2 rows comes out along the last axis: the transpose
    expect((vmap((v: Value) => v, { outAxes: -1 })(x) as JArray).arraySync()).toEqual([[1, 3], [2, 4]]);
  });

  it("int32 creation from a value outside int32 is a DTypeError (JAX: OverflowError)", () => {
    expect(J.int32_overflow).toMatch(/^OverflowError/);
    expect(() => np.array(2 ** 31, { dtype: "int32" })).toThrow(DTypeError);
    expect(() => np.array([1, -(2 ** 31) - 1], "int32")).toThrow(DTypeError);
    expect(() => np.full([2], 2 ** 40, { dtype: "int32" })).toThrow(DTypeError);
    expect(() => np.array([-1], { dtype: "uint32" })).toThrow(DTypeError);
    expect(np.array([2 ** 31 - 1, -(2 ** 31)], "int32").arraySync()).toEqual([2 ** 31 - 1, -(2 ** 31)]);
  });
});

describe("pytrees with an own __proto__ key", () => {
  const withProto = (v: unknown, a: unknown) => {
    const t = JSON.parse('{"__proto__": 0, "a": 0}') as Record<string, unknown>;
    Object.defineProperty(t, "__proto__", { value: v, enumerable: true, writable: true, configurable: true });
    t.a = a;
    return t;
  };
  const own = (t: unknown) => Object.getOwnPropertyDescriptor(t, "__proto__")?.value;

  it("flatten/unflatten keep it as a key, not the prototype", () => {
    const t = JSON.parse('{"__proto__": 1, "a": 2}');
    const [leaves, def] = tree.flatten(t);
    expect(leaves).toEqual([1, 2]);
    const u = tree.unflatten(def, leaves) as Record<string, unknown>;
    expect(Object.keys(u)).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(u)).toBe(Object.prototype);
    expect(own(u)).toBe(1);
    expect(Object.keys(tree.map((x: number) => x * 10, t) as object)).toEqual(["__proto__", "a"]);
    expect(own(tree.map((x: number) => x * 10, t))).toBe(10);
  });

  it("grad and jit of such a tree", () => {
    const t = withProto(np.array(3), np.array(2)) as Record<string, Value>;
    const loss = (p: Record<string, Value>) => np.multiply(own(p) as Value, p.a);
    const g = grad(loss)(t) as Record<string, Value>;
    expect(Object.keys(g)).toEqual(["__proto__", "a"]);
    expect((own(g) as Value).itemSync()).toBe(2);
    expect(g.a.itemSync()).toBe(3);
    const r = jit((p: Record<string, Value>) => tree.map((x: Value) => np.add(x, 1), p))(t) as Record<string, Value>;
    expect(Object.keys(r)).toEqual(["__proto__", "a"]);
    expect((own(r) as Value).itemSync()).toBe(4);
  });
});

describe("on WebGPU (elementwise edge values)", () => {
  let hasGpu = false;
  beforeAll(async () => {
    hasGpu = await probeWebGPU("trust-numbers.test.ts");
  });
  afterAll(() => {
    defaultDevice("cpu");
  });
  const gpu = (values: unknown, dtype: "float32" | "int32" = "float32") => onBothDevices(flat(dec(values as Enc)), [flat(dec(values as Enc)).length], dtype).g;
  async function check(what: string, v: Value, ref: { value: Enc; dtype: string }) {
    expect((v as JArray).device, what).toBe("webgpu");
    expect(v.dtype, what).toBe(ref.dtype);
    expectNums(flat(Array.from(await (v as JArray).data())), ref.value, `${what} (webgpu)`);
  }

  it("isclose, power, floorDivide, fmod, var, softmax as on the CPU and in JAX", async (ctx) => {
    ctx.skip(!hasGpu, "no WebGPU adapter: init() found none (probeWebGPU printed why); the CPU cases of this file still ran");
    await check("isclose", np.isclose(gpu(J.isclose.a), gpu(J.isclose.b)), J.isclose.out);
    await check("power", np.power(gpu(J.power.x), gpu(J.power.y)), J.power.out);
    await check("power int", np.power(gpu(J.power_int.x, "int32"), gpu(J.power_int.y, "int32")), J.power_int.out);
    await check("floorDivide float", np.floorDivide(gpu(J.floor_divide_float.x), gpu(J.floor_divide_float.y)), J.floor_divide_float.out);
    await check("floorDivide int", np.floorDivide(gpu(J.floor_divide_int.x, "int32"), gpu(J.floor_divide_int.y, "int32")), J.floor_divide_int.out);
    await check("remainder int", np.remainder(gpu(J.remainder_int.x, "int32"), gpu(J.remainder_int.y, "int32")), J.remainder_int.out);
    await check("fmod int", np.fmod(gpu(J.fmod_int.x, "int32"), gpu(J.fmod_int.y, "int32")), J.fmod_int.out);
    for (const c of J.var) await check(`var ddof=${c.ddof}`, np.var(gpu(J.var_x), null, { ddof: c.ddof }), c.var);
    for (const c of J.softmax) await check(`softmax(${c.x})`, jit((v: Value) => nn.softmax(v))(gpu(c.x)) as Value, c.softmax);
  });

  it("cummax's tie-splitting gradient and fmax's tie rule under jit", async (ctx) => {
    ctx.skip(!hasGpu, "no WebGPU adapter: init() found none (probeWebGPU printed why); the CPU cases of this file still ran");
    const w = gpu(J.cum_w);
    const loss = (v: Value) => np.sum(np.multiply(lax.cummax(v), w));
    await check("grad cummax", jit(grad(loss))(gpu(J.cummax.x)) as Value, J.cummax.grad);
    const fm = jit(grad((a: Value, b: Value) => np.sum(np.fmax(a, b)), { argnums: [0, 1] }));
    // the NaN pairs stay on the CPU: fmax finds NaN by x != x, which WGSL compilers may fold to
    // false (WGSL special values are the webgpu-nan work); here the ties and the plain cases
    const cases = J.fmax_grad.filter((c: { x: Enc[] }) => !c.x.includes("nan"));
    const pairs = cases.map((c: { x: Enc }) => dec(c.x) as number[]);
    const [ga, gb] = fm(gpu(pairs.map((p: number[]) => p[0])), gpu(pairs.map((p: number[]) => p[1]))) as Value[];
    await check("grad fmax a", ga, { value: cases.map((c: { grad: Enc[] }) => c.grad[0]), dtype: "float32" });
    await check("grad fmax b", gb, { value: cases.map((c: { grad: Enc[] }) => c.grad[1]), dtype: "float32" });
  });
});
