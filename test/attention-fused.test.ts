/**
 * The fused attention primitive (src/lax/attention.ts) and its CPU routine:
 * nn.dotProductAttention on the fused path against jax.nn.dot_product_attention
 * (test/fixtures/attention-fused/cases.json from gen.py there: causal, masks,
 * bias, grouped- and multi-query heads, scale, sequence lengths, fully masked
 * rows), values and gradients; the composition (implementation "xla") gives
 * the same; the routine was taken (its call count); jvp against float64
 * finite differences and vjp against jvp on the primitive directly; vmap ==
 * a loop; jit == eager. The primitive's generic rule checks run in
 * test/primitive-rules.test.ts (its case in test/primitive-cases.ts).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { exportStableHLO, grad, jit, jvp, makeJaxpr, nn, np, vjp, vmap, type Value } from "../src/index.js";
import { fusedAttention } from "../src/lax/attention.js";
import { cpuAttentionStats } from "../src/backend/cpu/attention.js";
import { arr, dot, expectClose, rand, values } from "./helpers.js";

interface Tensor { shape: number[]; values: number[] }
interface Case {
  name: string; isCausal: boolean; scale?: number; q: Tensor; k: Tensor; v: Tensor; bias?: Tensor; mask?: Tensor;
  querySeqLengths?: number[]; keyValueSeqLengths?: number[]; cot: number[]; out: Tensor; grads: number[][];
}
const fx = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "fixtures/attention-fused/cases.json"), "utf8")) as { cases: Case[] };

const f32 = (t: Tensor) => np.array(t.values, { dtype: "float32" }).reshape(t.shape);

/** The case's attention as a function of q, k, v (and bias), on the given implementation. */
function attentionOf(c: Case, implementation?: "xla") {
  const mask = c.mask ? np.array(c.mask.values.map(Boolean), { dtype: "bool" }).reshape(c.mask.shape) : undefined;
  const lengths = c.querySeqLengths
    ? { querySeqLengths: np.array(c.querySeqLengths, { dtype: "int32" }), keyValueSeqLengths: np.array(c.keyValueSeqLengths!, { dtype: "int32" }) }
    : {};
  return (q: Value, k: Value, v: Value, bias?: Value) =>
    nn.dotProductAttention(q, k, v, { isCausal: c.isCausal, scale: c.scale, mask, bias, implementation, ...lengths });
}

function maxRelErr(got: number[], want: number[]): number {
  const scale = Math.max(1, ...want.map(Math.abs));
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err / scale;
}

describe("fused attention against jax.nn.dot_product_attention", () => {
  for (const c of fx.cases) {
    for (const impl of [undefined, "xla"] as const) {
      it(`${c.name} (${impl ?? "fused"}): value and gradients`, () => {
        const f = attentionOf(c, impl);
        const args = [f32(c.q), f32(c.k), f32(c.v), ...(c.bias ? [f32(c.bias)] : [])];
        const before = cpuAttentionStats.calls, simdBefore = cpuAttentionStats.simd;
        const out = f(...(args as [Value, Value, Value, Value?]));
        expect(cpuAttentionStats.calls - before).toBe(impl === undefined ? 1 : 0);
        // float32, with or without bias and mask: the softmax ran in WebAssembly SIMD (src/backend/cpu/attention-simd.ts)
        expect(cpuAttentionStats.simd - simdBefore, "the SIMD softmax ran").toBe(impl === undefined ? 1 : 0);
        expect(out.shape).toEqual(c.out.shape);
        expect(maxRelErr(values(out), c.out.values)).toBeLessThan(2e-6);
        const cot = np.array(c.cot, { dtype: "float32" }).reshape(c.out.shape);
        const loss = (...a: Value[]) => np.sum(np.multiply(f(...(a as [Value, Value, Value, Value?])), cot));
        const gs = grad(loss, { argnums: args.map((_, i) => i) })(...args) as Value[];
        gs.forEach((g, i) => expect(maxRelErr(values(g), c.grads[i]), `grad ${i}`).toBeLessThan(1e-5));
      });
    }
  }
});

describe("the CPU routine's float32 SIMD softmax == its float64 JavaScript loop", () => {
  // rows whose kept part or whole length is not a multiple of 4 (the kernel's last vector of a row is partial),
  // causal with T ≠ S, one key, grouped- and multi-query heads
  const shapes: [number, number, number, number, number, number][] = [
    [2, 6, 6, 4, 2, 3], [1, 9, 11, 2, 1, 3], [2, 130, 131, 2, 2, 5], [1, 3, 1, 1, 1, 2], [2, 5, 7, 3, 1, 4], [1, 12, 9, 2, 2, 4],
  ];
  for (const [B, T, S, N, K, H] of shapes)
    for (const isCausal of [false, true])
      it(`B ${B}, T ${T}, S ${S}, ${N} heads / ${K} key heads of ${H}${isCausal ? ", causal" : ""}`, () => {
        const q = rand(B * T * N * H, 1, -3, 3), k = rand(B * S * K * H, 2, -3, 3), v = rand(B * S * K * H, 3);
        const run = (dtype: "float32" | "float64") =>
          fusedAttention(arr(q, dtype, [B, T, N, H]), arr(k, dtype, [B, S, K, H]), arr(v, dtype, [B, S, K, H]), { causal: isCausal, scale: 1 });
        const simdBefore = cpuAttentionStats.simd;
        const [out32, lse32] = run("float32");
        expect(cpuAttentionStats.simd - simdBefore, "the SIMD softmax ran").toBe(1);
        const [out64, lse64] = run("float64");
        expect(maxRelErr(values(out32), values(out64))).toBeLessThan(1e-5);
        expect(maxRelErr(values(lse32), values(lse64))).toBeLessThan(1e-5);
      });
});

describe("fused attention: transformations", () => {
  const c = fx.cases.find((x) => x.name === "mask bias causal gqa")!;
  const f = attentionOf(c);
  const args = [f32(c.q), f32(c.k), f32(c.v), f32(c.bias!)] as const;

  it("jit == eager, and the jitted plan runs the fused routine", () => {
    const eager = values(f(...args));
    const before = cpuAttentionStats.calls;
    const jitted = values(jit(f)(...args));
    expect(cpuAttentionStats.calls - before).toBe(1);
    expectClose(arr(jitted, "float64", [jitted.length]), eager, 1e-6);
    expect(String(makeJaxpr(f)(...args))).toContain("dot_product_attention");
  });

  it("vmap over an extra leading axis == a loop (folded into the batch: one routine call)", () => {
    const qs = np.stack([args[0], np.multiply(args[0], 0.5), np.negative(args[0])]);
    const before = cpuAttentionStats.calls;
    const batched = vmap((q: Value) => f(q, args[1], args[2], args[3]))(qs);
    expect(cpuAttentionStats.calls - before).toBe(1);
    for (let i = 0; i < 3; i++) expectClose(batched.get(i), values(f(qs.get(i), args[1], args[2], args[3])), 1e-6);
    // vmap of the gradient too
    const g = vmap(grad((q: Value) => np.sum(np.sin(f(q, args[1], args[2], args[3])))))(qs);
    for (let i = 0; i < 3; i++) expectClose(g.get(i), values(grad((q: Value) => np.sum(np.sin(f(q, args[1], args[2], args[3]))))(qs.get(i))), 1e-5);
  });

  it("exports to StableHLO as the composition", () => {
    const text = exportStableHLO(f)(...args).text;
    expect(text).toContain("stablehlo.dot_general");
    expect(text).toContain("stablehlo.exponential");
  });
});

describe("the primitive in float64", () => {
  // q [2, 3, 4, 3], k and v [2, 5, 2, 3] (grouped heads), bias and a 0/1 mask [2, 4, 3, 5], causal
  const shapes = { q: [2, 3, 4, 3], kv: [2, 5, 2, 3], full: [2, 4, 3, 5] };
  const x = (shape: number[], seed: number) => arr(rand(shape.reduce((a, b) => a * b), seed), "float64", shape);
  const mask = arr(rand(120, 9).map((u) => (u > -0.6 ? 1 : 0)), "float64", shapes.full);
  const both = (q: Value, k: Value, v: Value, b: Value) => {
    const [o, lse] = fusedAttention(q, k, v, { bias: b, mask, causal: true, scale: 0.7 });
    return np.concatenate([np.ravel(o), np.ravel(lse)]);
  };
  const xs: [Value, Value, Value, Value] = [x(shapes.q, 1), x(shapes.kv, 2), x(shapes.kv, 3), x(shapes.full, 4)];

  it("jvp matches central finite differences", () => {
    const dirs = [x(shapes.q, 11), x(shapes.kv, 12), x(shapes.kv, 13), x(shapes.full, 14)];
    const [, t] = jvp(both, xs, dirs);
    const eps = 1e-6;
    const along = (e: number) => values(both(...(xs.map((a, i) => np.add(a, np.multiply(dirs[i], e))) as [Value, Value, Value, Value])));
    const hi = along(eps);
    const lo = along(-eps);
    expectClose(t as Value, hi.map((h, i) => (h - lo[i]) / (2 * eps)), 1e-7);
  });

  it("vjp is the transpose of jvp", () => {
    const dirs = [x(shapes.q, 21), x(shapes.kv, 22), x(shapes.kv, 23), x(shapes.full, 24)];
    const [out, pullback] = vjp(both, ...xs);
    const u = x([(out as Value).size], 25);
    const cts = pullback(u) as Value[];
    const [, t] = jvp(both, xs, dirs);
    const lhs = cts.reduce((s, ct, i) => s + dot(values(ct), values(dirs[i])), 0);
    expect(Math.abs(lhs - dot(values(u), values(t as Value)))).toBeLessThan(1e-10);
  });

  it("second derivatives (grad of grad) match finite differences of the gradient", () => {
    const g = (q: Value) => grad((qq: Value) => np.sum(np.square(both(qq, xs[1], xs[2], xs[3]))))(q);
    const dir = x(shapes.q, 31);
    const [, hv] = jvp(g, [xs[0]], [dir]);
    const eps = 1e-6;
    const hi = values(g(np.add(xs[0], np.multiply(dir, eps))));
    const lo = values(g(np.subtract(xs[0], np.multiply(dir, eps))));
    expectClose(hv as Value, hi.map((h, i) => (h - lo[i]) / (2 * eps)), 1e-6);
  });

  it("rejects operands of the wrong shapes or dtypes with typed errors", () => {
    expect(() => fusedAttention(xs[0], x([2, 5, 3, 3], 1), x([2, 5, 3, 3], 1), { scale: 1 })).toThrow(/multiple of key\/value heads/);
    expect(() => fusedAttention(xs[0], xs[1], x([2, 5, 2, 4], 1), { scale: 1 })).toThrow(/v must have k's shape/);
    expect(() => fusedAttention(np.astype(xs[0], "float32"), xs[1], xs[2], { scale: 1 })).toThrow(/one dtype/);
    expect(() => fusedAttention(xs[0], xs[1], xs[2], { scale: 1, bias: xs[0] })).toThrow(/bias must have shape/);
  });
});
