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
 */
import { describe, expect, it } from "vitest";
import { grad, jit, jvp, makeJaxpr, nn, np, vmap, type Value } from "../src/index.js";
import { fusedAttention } from "../src/lax/attention.js";
import { cpuAttentionBwdStats } from "../src/backend/cpu/attention-bwd.js";
import { arr, rand, values } from "./helpers.js";

const MASKED = -0.7 * 3.4028234663852886e38;

interface Config {
  name: string; B: number; T: number; S: number; N: number; K: number; H: number;
  causal?: boolean; bias?: boolean; mask?: "random" | "fullRow"; lseCot?: boolean;
}

const configs: Config[] = [
  { name: "multi-head", B: 2, T: 5, S: 6, N: 2, K: 2, H: 3 },
  { name: "grouped-query, causal", B: 2, T: 6, S: 6, N: 4, K: 2, H: 3, causal: true },
  { name: "multi-query, bias, mask with fully masked rows", B: 2, T: 5, S: 7, N: 3, K: 1, H: 4, bias: true, mask: "fullRow" },
  { name: "bias, mask, causal, lse cotangent", B: 1, T: 6, S: 6, N: 4, K: 2, H: 3, bias: true, mask: "random", causal: true, lseCot: true },
  { name: "past one tile (T = S = 130), causal, grouped", B: 1, T: 130, S: 130, N: 2, K: 1, H: 4, causal: true },
  { name: "past one tile (T 131, S 129), mask, bias", B: 1, T: 131, S: 129, N: 1, K: 1, H: 2, bias: true, mask: "random" },
];

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

function operands(c: Config, dtype: "float32" | "float64") {
  const x = (shape: number[], seed: number, lo = -1, hi = 1) => arr(rand(size(shape), seed, lo, hi), dtype, shape);
  const full = [c.B, c.N, c.T, c.S];
  let mask: Value | undefined;
  if (c.mask) {
    const m = rand(size(full), 9).map((u) => (u > -0.5 ? 1 : 0));
    // query row 1 of every (batch, head) sees nothing
    if (c.mask === "fullRow") for (let r = 0; r < c.B * c.N; r++) for (let j = 0; j < c.S; j++) m[(r * c.T + 1) * c.S + j] = 0;
    mask = arr(m, dtype, full);
  }
  return {
    q: x([c.B, c.T, c.N, c.H], 1, -2, 2), k: x([c.B, c.S, c.K, c.H], 2, -2, 2), v: x([c.B, c.S, c.K, c.H], 3),
    bias: c.bias ? x(full, 4) : undefined, mask,
    cot: x([c.B, c.T, c.N, c.H], 5), lseCot: x([c.B, c.N, c.T], 6),
  };
}

/** The plain composition: softmax(q·kᵀ·scale + bias, masked to JAX's large negative logit)·v and the rows' log-sum-exp. */
function composition(q: Value, k: Value, v: Value, o: { bias?: Value; mask?: Value; causal: boolean; scale: number }): [Value, Value] {
  const [B, T, N, H] = q.shape;
  const [, S, K] = k.shape;
  const rep = (x: Value) => np.repeat(np.transpose(x, [0, 2, 1, 3]), N / K, 1); // [B, N, S, H]
  const qh = np.transpose(q, [0, 2, 1, 3]); // [B, N, T, H]
  let s = np.multiply(np.matmul(qh, np.transpose(rep(k), [0, 1, 3, 2])), o.scale);
  if (o.bias) s = np.add(s, o.bias);
  let keep: Value | undefined = o.mask ? np.greater(o.mask, 0) : undefined;
  if (o.causal) {
    const tri = np.greaterEqual(np.reshape(np.arange(T), [T, 1]), np.reshape(np.arange(S), [1, S]));
    keep = keep ? np.logicalAnd(keep, tri) : np.broadcastTo(tri, [B, N, T, S]);
  }
  if (keep) s = np.where(keep, s, MASKED);
  const m = np.max(s, -1, { keepdims: true });
  const e = np.exp(np.subtract(s, m));
  const l = np.sum(e, -1, { keepdims: true });
  const out = np.matmul(np.divide(e, l), rep(v)); // [B, N, T, H]
  return [np.transpose(out, [0, 2, 1, 3]), np.reshape(np.add(m, np.log(l)), [B, N, T])];
}

function maxRelErr(got: number[], want: number[]): number {
  const scale = Math.max(1, ...want.map(Math.abs));
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err / scale;
}

/** The loss Σ out·cot (+ Σ lse·lseCot) of either implementation, as a function of q, k, v (and bias). */
function lossOf(c: Config, xs: ReturnType<typeof operands>, fused: boolean) {
  const scale = 1 / Math.sqrt(c.H);
  return (q: Value, k: Value, v: Value, bias?: Value) => {
    const o = { bias, mask: xs.mask, causal: c.causal ?? false, scale };
    const [out, lse] = fused ? fusedAttention(q, k, v, o) : composition(q, k, v, o);
    let loss = np.sum(np.multiply(out, xs.cot));
    if (c.lseCot) loss = np.add(loss, np.sum(np.multiply(lse, xs.lseCot)));
    return loss;
  };
}

describe("fused attention backward == the composition's gradient", () => {
  for (const dtype of ["float64", "float32"] as const) {
    for (const c of configs) {
      it(`${c.name} (${dtype})`, () => {
        const xs = operands(c, dtype);
        const args = [xs.q, xs.k, xs.v, ...(xs.bias ? [xs.bias] : [])];
        const argnums = args.map((_, i) => i);
        const before = cpuAttentionBwdStats.calls;
        const got = grad(lossOf(c, xs, true), { argnums })(...args) as Value[];
        expect(cpuAttentionBwdStats.calls - before, "the fused backward ran once").toBe(1);
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
});
