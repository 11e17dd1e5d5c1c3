/**
 * The fused attention backward pass (dot_product_attention_bwd in
 * src/lax/attention.ts, the CPU routine src/backend/cpu/attention-bwd.ts):
 * the gradient of the fused primitive against the gradient of the plain
 * composition softmax(q·kᵀ·scale + bias, masked)·v written here with jaxon's
 * numpy functions (float64 to 1e-12, float32 to 1e-5), for multi-head,
 * grouped-query, causal, boolean masks with fully masked rows, bias, the
 * lse output's cotangent, and shapes past one tile (130 positions); that the
 * fused backward ran (its call count, and the primitive in the jaxpr of grad);
 * vmap of the gradient == a loop; jit(grad) == grad; forward mode through the
 * tangent primitive; second derivatives (the backward primitive's jvp).
 * WebGPU == CPU: test/attention-bwd-webgpu.test.ts.
 */
import { describe, expect, it } from "vitest";
import { attentionPaths } from "../src/lax/attention.js";
import { exportStableHLO, grad, jit, jvp, makeJaxpr, nn, np, vmap, type Value } from "../src/index.js";
import { cpuAttentionBwdStats } from "../src/backend/cpu/attention-bwd.js";
import { arr, rand, values } from "./helpers.js";
import { configs as shared, lossOf, maxRelErr, operands, type Config } from "./attention-bwd-helpers.js";

// these shapes are far below the size where grad switches to the fused backward (attentionPaths): run it at every size here
attentionPaths.fusedBackwardMinProbabilities = 0;

// float32 runs the tiles' elementwise work in WebAssembly SIMD (src/backend/cpu/attention-simd.ts),
// 4 keys at a time: rows whose kept part or whole length is not a multiple of 4, past one tile, and causal with T < S
const configs: Config[] = [
  ...shared,
  { name: "past one tile (T 133, S 131), no mask, odd head size", B: 2, T: 133, S: 131, N: 2, K: 2, H: 5 },
  { name: "causal, T 9 < S 11, grouped, lse cotangent", B: 1, T: 9, S: 11, N: 2, K: 1, H: 3, causal: true, lseCot: true },
  { name: "causal, one key (S 1)", B: 2, T: 3, S: 1, N: 1, K: 1, H: 2, causal: true },
];

describe("fused attention backward == the composition's gradient", () => {
  for (const dtype of ["float64", "float32"] as const) {
    for (const c of configs) {
      it(`${c.name} (${dtype})`, () => {
        const xs = operands(c, dtype);
        const args = [xs.q, xs.k, xs.v, ...(xs.bias ? [xs.bias] : [])] as [Value, Value, Value, Value?];
        const argnums = args.map((_, i) => i);
        const before = cpuAttentionBwdStats.calls, simdBefore = cpuAttentionBwdStats.simd;
        const got = grad(lossOf(c, xs, true), { argnums })(...args) as Value[];
        expect(cpuAttentionBwdStats.calls - before, "the fused backward ran once").toBe(1);
        // float32, with or without bias and mask (test/attention-mask-simd.test.ts checks those against the JavaScript loops)
        const simd = dtype === "float32";
        expect(cpuAttentionBwdStats.simd - simdBefore, "the tiles ran in WebAssembly SIMD").toBe(simd ? 1 : 0);
        const want = grad(lossOf(c, xs, false), { argnums })(...args) as Value[];
        const tol = dtype === "float64" ? 1e-12 : 1e-5;
        got.forEach((g, i) => {
          expect(g.dtype).toBe(dtype);
          expect(g.shape).toEqual(want[i].shape);
          expect(maxRelErr(values(g), values(want[i])), `grad ${["q", "k", "v", "bias"][i]}`).toBeLessThan(tol);
        });
        if (c.mask === "fullRow") {
          // the fully masked rows' query gradient is zero, as the composition's
          const gq = values(got[0]);
          for (let b = 0; b < c.B; b++) for (let n = 0; n < c.N; n++) for (let h = 0; h < c.H; h++) expect(gq[((b * c.T + 1) * c.N + n) * c.H + h]).toBe(0);
        }
      });
    }
  }
});

describe("fused attention backward: transformations", () => {
  const c = configs[3];
  const xs = operands(c, "float64");
  const args = [xs.q, xs.k, xs.v, xs.bias!] as const;
  const loss = lossOf(c, xs, true);
  const reference = lossOf(c, xs, false);

  it("the jaxpr of grad binds dot_product_attention_bwd (and no [T, S] composition)", () => {
    const text = String(makeJaxpr(grad(loss, { argnums: [0, 1, 2, 3] }))(...args));
    expect(text).toContain("dot_product_attention_bwd");
    expect(text).not.toContain("exp");
  });

  it("grad exports to StableHLO (the backward primitive as its composition)", () => {
    const text = exportStableHLO(grad(loss, { argnums: [0, 1, 2, 3] }))(...args).text;
    expect(text).toContain("stablehlo.dot_general");
    expect(text).toContain("stablehlo.exponential");
    expect(text).not.toContain("dot_product_attention_bwd");
  });

  it("jit(grad) == grad, and the jitted plan runs the fused backward", () => {
    const g = grad(loss, { argnums: [0, 1, 2, 3] });
    const eager = g(...args) as Value[];
    const before = cpuAttentionBwdStats.calls;
    const jitted = jit(g)(...args) as Value[];
    expect(cpuAttentionBwdStats.calls - before).toBe(1);
    jitted.forEach((x, i) => expect(maxRelErr(values(x), values(eager[i]))).toBeLessThan(1e-13));
  });

  it("vmap of the gradient == a loop (one backward call for the whole batch)", () => {
    const qs = np.stack([xs.q, np.multiply(xs.q, 0.5), np.negative(xs.q)]);
    const g = grad((q: Value, k: Value) => loss(q, k, xs.v, xs.bias), { argnums: [0, 1] });
    const before = cpuAttentionBwdStats.calls;
    const [bq, bk] = vmap(g, { inAxes: [0, null] })(qs, xs.k) as Value[];
    expect(cpuAttentionBwdStats.calls - before).toBe(1);
    for (let i = 0; i < 3; i++) {
      const [lq, lk] = g(qs.get(i), xs.k) as Value[];
      expect(maxRelErr(values(bq.get(i)), values(lq))).toBeLessThan(1e-13);
      expect(maxRelErr(values(bk.get(i)), values(lk))).toBeLessThan(1e-13);
    }
  });

  it("forward mode (the tangent primitive's composition) == the composition's jvp", () => {
    const dirs = [operands(c, "float64").cot, operands({ ...c }, "float64").k, xs.v, xs.bias!].map((d, i) => np.multiply(d, 0.3 + i));
    const [, t] = jvp(loss, [...args], dirs);
    const [, tr] = jvp(reference, [...args], dirs);
    expect(Math.abs((t as Value).itemSync() - (tr as Value).itemSync())).toBeLessThan(1e-12);
  });

  it("second derivatives (the backward primitive's jvp) == the composition's", () => {
    const gq = (f: typeof loss) => (q: Value) => np.sum(np.square(grad((qq: Value) => f(qq, xs.k, xs.v, xs.bias))(q)));
    const h = values(grad(gq(loss))(xs.q));
    const hr = values(grad(gq(reference))(xs.q));
    expect(maxRelErr(h, hr)).toBeLessThan(1e-11);
  });

  it("nn.dotProductAttention's gradient takes the fused backward", () => {
    const q = arr(rand(2 * 8 * 4 * 16, 1), "float32", [2, 8, 4, 16]);
    const kv = arr(rand(2 * 8 * 2 * 16, 2), "float32", [2, 8, 2, 16]);
    const f = (impl?: "xla") => (a: Value, b: Value, cc: Value) => np.sum(np.sin(nn.dotProductAttention(a, b, cc, { isCausal: true, implementation: impl })));
    const before = cpuAttentionBwdStats.calls;
    const got = grad(f(), { argnums: [0, 1, 2] })(q, kv, np.multiply(kv, 0.5)) as Value[];
    expect(cpuAttentionBwdStats.calls - before).toBe(1);
    const want = grad(f("xla"), { argnums: [0, 1, 2] })(q, kv, np.multiply(kv, 0.5)) as Value[];
    got.forEach((g, i) => expect(maxRelErr(values(g), values(want[i]))).toBeLessThan(1e-5));
  });

  it("below attentionPaths' size, grad takes the composition's derivative (no fused backward), with the same gradient", () => {
    const q = arr(rand(2 * 8 * 4 * 16, 1), "float64", [2, 8, 4, 16]);
    const kv = arr(rand(2 * 8 * 2 * 16, 2), "float64", [2, 8, 2, 16]);
    const f = (a: Value, b: Value, cc: Value) => np.sum(np.sin(nn.dotProductAttention(a, b, cc, { isCausal: true })));
    const fused = grad(f, { argnums: [0, 1, 2] })(q, kv, kv) as Value[];
    const saved = attentionPaths.fusedBackwardMinProbabilities;
    attentionPaths.fusedBackwardMinProbabilities = 2 * 4 * 8 * 8 + 1; // one more than these probabilities
    try {
      const before = cpuAttentionBwdStats.calls;
      const composed = grad(f, { argnums: [0, 1, 2] })(q, kv, kv) as Value[];
      expect(cpuAttentionBwdStats.calls - before).toBe(0);
      composed.forEach((g, i) => expect(maxRelErr(values(g), values(fused[i]))).toBeLessThan(1e-12));
    } finally {
      attentionPaths.fusedBackwardMinProbabilities = saved;
    }
  });
});
