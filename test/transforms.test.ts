/**
 * The transformations and their compositions, against known answers
 * (by hand, by finite differences, by loops instead of vmap).
 */
import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import * as lax from "../src/lax/index.js";
import type { Value } from "../src/trace/core.js";
import { jvp } from "../src/transforms/jvp.js";
import { grad, linearize, valueAndGrad, vjp } from "../src/transforms/linearize.js";
import { vmap } from "../src/transforms/vmap.js";
import { hessian, jacfwd, jacrev } from "../src/transforms/jacobians.js";
import { checkpoint, customJvp, customVjp } from "../src/transforms/custom.js";
import { makeJaxpr } from "../src/transforms/make-jaxpr.js";
import { ConcretizationError, DTypeError, ShapeError, TracerLeakError, UnsupportedError } from "../src/errors.js";
import { arr, expectClose, randArr, values } from "./helpers.js";

const sum = (x: Value) => lax.reduceSum(x, x.shape.map((_, i) => i));
const f32 = (v: number) => arr(v, "float32");

describe("the tutorials' numbers", () => {
  it("d/dw sin((w+1)^3) at w=1 is 3·4·cos 8 = -1.7460", () => {
    const g = grad((w: Value) => lax.sin(lax.integerPow(lax.add(w, 1), 3)))(f32(1)) as Value;
    expectClose(g, 12 * Math.cos(8), 1e-5);
    expect(g.itemSync()).toBeCloseTo(-1.746, 3);
  });
  it("d/dx x^2 at 3 is 6 (a JS number argument works)", () => {
    expectClose(grad((x: Value) => lax.mul(x, x))(3) as Value, 6);
  });
  it("x^3+3x^2-5x+4 has slope -5 at -2; x^2 has slope -4 there", () => {
    const f = (x: Value) => lax.add(lax.sub(lax.add(lax.integerPow(x, 3), lax.mul(lax.square(x), 3)), lax.mul(x, 5)), 4);
    expectClose(grad(f)(-2) as Value, -5);
    expectClose(grad((x: Value) => lax.square(x))(-2) as Value, -4);
  });
  it("z = sum(M@v): dz/dM has every row equal to v, dz/dv is the column sums of M", () => {
    const M = arr([[1, 2, 3], [4, 5, 6]]);
    const v = arr([1, 2, 3]);
    const z = (m: Value, w: Value) => sum(lax.dotGeneral(m, w, { contracting: [[1], [0]], batch: [[], []] }));
    const [dM, dv] = grad(z, { argnums: [0, 1] })(M, v) as Value[];
    expectClose(dM, [1, 2, 3, 1, 2, 3]);
    expectClose(dv, [5, 7, 9]);
  });
  it("gradient descent on x^2 from -4 with step 0.1 stops after the expected number of steps", () => {
    // x_k = -4 · 0.8^k; |grad| = 8 · 0.8^k < 0.1  ⇔  k > ln(80)/ln(1.25)
    const expected = Math.ceil(Math.log(80) / Math.log(1.25));
    const df = grad((x: Value) => lax.square(x));
    let x: Value = f32(-4);
    let steps = 0;
    for (; steps < 1000; steps++) {
      const g = df(x) as Value;
      if (Math.abs(g.itemSync()) < 0.1) break;
      x = lax.sub(x, lax.mul(g, 0.1));
    }
    expect(steps).toBe(expected);
  });
  it("SGD with lr 0.01 on x^2-3x+1 from 0 approaches 3/2 as 1.5(1-0.98^500)", () => {
    const df = grad((x: Value) => lax.add(lax.sub(lax.square(x), lax.mul(x, 3)), 1));
    let x: Value = arr(0, "float64");
    for (let i = 0; i < 500; i++) x = lax.sub(x, lax.mul(df(x) as Value, 0.01));
    expectClose(x, 1.5 * (1 - 0.98 ** 500), 1e-9);
  });
});

describe("composition", () => {
  const f = (x: Value) => sum(lax.mul(lax.sin(x), lax.exp(x)));
  it("grad(grad(f)) = second derivative", () => {
    // d²/dx² sin x e^x = 2 cos x e^x
    const x = arr(0.7);
    const g2 = grad(grad((y: Value) => lax.mul(lax.sin(y), lax.exp(y))))(x) as Value;
    expectClose(g2, 2 * Math.cos(0.7) * Math.exp(0.7), 1e-10);
    const g3 = grad(grad(grad((y: Value) => lax.mul(lax.sin(y), lax.exp(y)))))(x) as Value;
    expectClose(g3, 2 * Math.exp(0.7) * (Math.cos(0.7) - Math.sin(0.7)), 1e-10);
  });
  it("vmap(grad(f)) gives per-example gradients; grad(vmap) of a sum agrees", () => {
    const xs = randArr([4, 3], 3);
    const per = vmap(grad(f))(xs) as Value;
    const expected = values(xs).map((v) => Math.exp(v) * (Math.sin(v) + Math.cos(v)));
    expectClose(per, expected, 1e-12);
    const viaGradOfVmap = grad((x: Value) => sum(vmap(f)(x) as Value))(xs) as Value;
    expectClose(viaGradOfVmap, expected, 1e-12);
  });
  it("jvp(grad(f)) is a Hessian-vector product", () => {
    const x = randArr([3], 5);
    const v = randArr([3], 6);
    const [, hv] = jvp(grad(f), [x], [v]);
    const d2 = values(x).map((t) => 2 * Math.cos(t) * Math.exp(t));
    expectClose(hv as Value, d2.map((d, i) => d * values(v)[i]), 1e-12);
  });
  it("jacfwd(jacrev(f)) == hessian(f) == jacrev(jacfwd(f)), for a matrix input", () => {
    const g = (x: Value) => sum(lax.mul(lax.tanh(x), lax.broadcastInDim(lax.reduceSum(x, [0]), [2, 2], [1])));
    const x = randArr([2, 2], 9);
    const h1 = hessian(g)(x) as Value;
    const h2 = jacrev(jacfwd(g))(x) as Value;
    expect(h1.shape).toEqual([2, 2, 2, 2]);
    expectClose(h1, h2, 1e-12);
    expectClose(h1, lax.transpose(h1, [2, 3, 0, 1]), 1e-12);
  });
  it("vmap(vmap(f)) over two axes equals the loop", () => {
    const x = randArr([2, 3, 4], 4);
    const g = (r: Value) => lax.reduceSum(lax.mul(r, r), [0]);
    const out = vmap(vmap(g))(x) as Value;
    const flat = values(x);
    const expected = [0, 1, 2, 3, 4, 5].map((k) => flat.slice(k * 4, k * 4 + 4).reduce((s, v) => s + v * v, 0));
    expectClose(out, expected, 1e-12);
  });
  it("vmap: negative inAxes, pytree-prefix inAxes, and pytree outAxes", () => {
    const x = randArr([3, 2], 21); // batch on the last axis
    const out = vmap((r: Value) => lax.reduceSum(r, [0]), { inAxes: -1 })(x) as Value;
    const xv = values(x);
    expectClose(out, [xv[0] + xv[2] + xv[4], xv[1] + xv[3] + xv[5]], 1e-12);
    const params = { w: randArr([4, 2], 22), b: arr(0.5) };
    const res = vmap((p: { w: Value; b: Value }) => ({ s: lax.add(lax.reduceSum(p.w, [0]), p.b), t: p.b }), {
      inAxes: [{ w: 0, b: null }],
      outAxes: { s: 0, t: null },
    })(params) as { s: Value; t: Value };
    expect(res.s.shape).toEqual([4]);
    expectClose(res.t, 0.5);
    const wv = values(params.w);
    expectClose(res.s, [0, 1, 2, 3].map((i) => wv[2 * i] + wv[2 * i + 1] + 0.5), 1e-12);
    expect(() => vmap((p: { w: Value }) => p.w, { outAxes: null })({ w: randArr([2], 1) })).toThrow(/outAxes null/);
  });
  it("jacrev and jacfwd have shape out.shape + in.shape and agree", () => {
    const g = (x: Value) => lax.dotGeneral(x, x, { contracting: [[1], [1]], batch: [[], []] });
    const x = randArr([2, 3], 2);
    const j1 = jacrev(g)(x) as Value;
    const j2 = jacfwd(g)(x) as Value;
    expect(j1.shape).toEqual([2, 2, 2, 3]);
    expectClose(j1, j2, 1e-12);
  });
  it("pytrees: grad of a params object returns the same structure", () => {
    const params = { w: arr([1, 2]), b: arr(0.5) };
    const loss = (p: { w: Value; b: Value }) => sum(lax.square(lax.add(p.w, p.b)));
    const g = grad(loss)(params) as { w: Value; b: Value };
    expectClose(g.w, [3, 5]);
    expectClose(g.b, 8);
  });
  it("hasAux passes aux through; valueAndGrad gives the value", () => {
    const [[v, aux], g] = valueAndGrad((x: Value) => [lax.square(x), lax.mul(x, 10)] as const, { hasAux: true })(arr(3)) as [[Value, Value], Value];
    expectClose(v, 9);
    expectClose(aux, 30);
    expectClose(g, 6);
  });
  it("linearize reuses the linearization", () => {
    const [y, fJvp] = linearize((x: Value) => lax.sin(x), arr(0.5));
    expectClose(y as Value, Math.sin(0.5));
    expectClose(fJvp(arr(2)) as Value, 2 * Math.cos(0.5));
  });
  it("vjp of a function with several outputs", () => {
    const [out, pb] = vjp((x: Value, y: Value) => [lax.mul(x, y), lax.add(x, y)], arr(2), arr(3));
    expectClose((out as Value[])[0], 6);
    const [gx, gy] = pb([arr(1), arr(1)]) as Value[];
    expectClose(gx, 4);
    expectClose(gy, 3);
  });
});

describe("symbolic zeros", () => {
  it("a function ignoring its input has a zero gradient and stages no tangent work", () => {
    const g = grad((x: Value) => lax.add(lax.mul(lax.stopGradient(x), 0), 5))(arr(1)) as Value;
    expectClose(g, 0);
  });
  it("grad stages no tangent work for a term that does not depend on the input", () => {
    const text = String(makeJaxpr(grad((x: Value) => lax.add(lax.sin(x), lax.exp(arr(2)))))(arr(1)));
    // exp 2.0 is the primal value; nothing differentiates it
    expect(text.match(/exp/g)).toHaveLength(1);
    expect(text.match(/ = /g)).toHaveLength(5);
  });
});

describe("custom rules", () => {
  it("customJvp: the rule is used by grad, and grad(vmap) keeps it", () => {
    const f = customJvp(
      (x: Value) => lax.sin(x),
      ([x]: [Value], [t]: [Value]) => [lax.sin(x), lax.mul(t, 100)] as [Value, Value],
    );
    expectClose(grad(f)(arr(1)) as Value, 100);
    expectClose(grad((x: Value) => sum(vmap(f)(x) as Value))(arr([1, 2])) as Value, [100, 100]);
    expectClose(vmap(grad(f))(arr([1, 2])) as Value, [100, 100]);
    expectClose(f(arr(1)) as Value, Math.sin(1));
  });
  it("customVjp: bwd gives the gradient, also under vmap", () => {
    const f = customVjp(
      (x: Value) => lax.mul(x, x),
      (x: Value) => [lax.mul(x, x), x] as [Value, Value],
      (x: Value, g: Value) => [lax.mul(lax.mul(g, x), 3)],
    );
    expectClose(grad(f)(arr(2)) as Value, 6);
    expectClose(vmap(grad(f))(arr([1, 2])) as Value, [3, 6]);
    expect(() => jvp(f, [arr(1)], [arr(1)])).toThrow(UnsupportedError);
  });
  it("checkpoint gives the same gradient and saves only the inputs", () => {
    const inner = (x: Value) => lax.sin(lax.sin(lax.sin(x)));
    const g1 = grad(inner)(arr(0.3)) as Value;
    const g2 = grad(checkpoint(inner))(arr(0.3)) as Value;
    expectClose(g2, values(g1)[0], 1e-12);
    expectClose(grad(grad(checkpoint(inner)))(arr(0.3)) as Value, values(grad(grad(inner))(arr(0.3)) as Value)[0], 1e-10);
  });
});

describe("errors", () => {
  it("Number(tracer) and `if (tracer > 0)` throw ConcretizationError naming the fix", () => {
    const f = (x: Value) => (Number(x) > 0 ? x : lax.neg(x));
    expect(() => grad(f)(arr(1))).toThrow(ConcretizationError);
    expect(() => grad(f)(arr(1))).toThrow(/np\.where/);
    expect(() => vmap((x: Value) => ((x as unknown as number) > 0 ? x : x))(arr([1, 2]))).toThrow(/vmap/);
    expect(() => grad((x: Value) => lax.mul(x, `${x}`.length))(arr(1))).toThrow(ConcretizationError);
    expect(() => grad((x: Value) => lax.mul(x, x.itemSync()))(arr(1))).toThrow(ConcretizationError);
  });
  it("a leaked tracer used later throws TracerLeakError naming the transformation", () => {
    let leaked: Value | undefined;
    grad((x: Value) => {
      leaked = x;
      return lax.mul(x, x);
    })(arr(1));
    expect(() => lax.sin(leaked!)).toThrow(TracerLeakError);
    expect(() => lax.sin(leaked!)).toThrow(/grad/);
  });
  it("grad of a non-scalar or integer output, and of integer inputs, are typed errors", () => {
    expect(() => grad((x: Value) => lax.mul(x, 2))(arr([1, 2]))).toThrow(ShapeError);
    expect(() => grad((x: Value) => lax.mul(x, 2))(arr([1, 2]))).toThrow(/scalar/);
    expect(() => grad((x: Value) => lax.convert(x, "int32"))(arr(1))).toThrow(DTypeError);
    expect(() => grad((x: Value) => lax.mul(x, 2))(arr(1, "int32"))).toThrow(/int32/);
  });
  it("vmap with mismatched sizes names the arguments and sizes", () => {
    expect(() => vmap((a: Value, b: Value) => lax.add(a, b))(arr([1, 2]), arr([1, 2, 3]))).toThrow(ShapeError);
    expect(() => vmap((a: Value, b: Value) => lax.add(a, b))(arr([1, 2]), arr([1, 2, 3]))).toThrow(/argument 0 has size 2.*argument 1 has size 3/);
  });
});

describe("jaxprs", () => {
  it("prints as JAX does", () => {
    const j = makeJaxpr((x: Value) => lax.mul(lax.sin(x), 2))(arr([1, 2, 3], "float32"));
    expect(String(j)).toBe("{ lambda ; a:f32[3]. let b:f32[3] = sin a; c:f32[3] = mul b 2.0 in (c) }");
  });
  it("makeJaxpr of grad(f) is readable and evaluates to the gradient", () => {
    const j = makeJaxpr(grad((x: Value) => lax.sin(lax.integerPow(lax.add(x, 1), 3))))(arr(1, "float32"));
    const text = String(j);
    expect(text).toContain("cos");
    expect(text).toContain("integer_pow");
  });
});

describe("finite gradients where JAX users expect them", async () => {
  const { np } = await import("../src/index.js");
  it("grad of norm at 0 is 0, elsewhere x/|x|", () => {
    expectClose(grad((x: Value) => np.norm(x))(np.zeros([3])) as Value, [0, 0, 0]);
    expectClose(grad((x: Value) => np.norm(x))(np.array([3, 4])) as Value, [0.6, 0.8], 1e-6);
  });
  it("grad through cdist(x, x) is finite although the diagonal distances are 0", () => {
    const x = np.array([[0, 0], [3, 4], [6, 8]]);
    const g = grad((p: Value) => np.cdist(p, p).sum())(x) as Value;
    // d/dp_i Σ_j 2|p_i - p_j| = 2 Σ_j (p_i - p_j)/|p_i - p_j|
    expectClose(g, [-1.2, -1.6, 0, 0, 1.2, 1.6].map((v) => v * 2), 1e-5);
  });
  it("the where trap: grad(where(x > 0, sqrt(x), 0)) at 0 is NaN, and the double where fixes it", () => {
    const trap = grad((x: Value) => np.where(x.gt(0), np.sqrt(x), 0))(np.array(0)) as Value;
    expect(Number.isNaN(trap.itemSync())).toBe(true);
    const fixed = grad((x: Value) => np.where(x.gt(0), np.sqrt(np.where(x.gt(0), x, 1)), 0))(np.array(0)) as Value;
    expectClose(fixed, 0);
  });
});
