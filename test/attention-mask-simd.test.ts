/**
 * The CPU attention routines' float32 WebAssembly SIMD path with a bias and/or
 * a mask (src/backend/cpu/attention-simd.ts's attn_mask_* and attn_keep,
 * used by attention.ts and attention-bwd.ts): the forward (out, lse) and the
 * backward (dq, dk, dv, dbias, through grad of Σ out·cot + Σ lse·lseCot) of
 * the fused primitive against the same routines with the SIMD kernels turned
 * off (their JavaScript loops, `attentionSimdSwitch`) and against the plain
 * composition softmax(q·kᵀ·scale + bias, masked)·v in float64 (1e-5): bias
 * only, mask only, both, with causal masking, grouped-query heads, fully
 * masked rows, rows whose length is not a multiple of 4 (the kernels' single
 * float tail), head sizes 5, 32 and 64, one key (S 1), and past one tile of
 * the backward (128 positions); the routines' counters show which path ran.
 */
import { afterEach, describe, expect, it } from "vitest";
import { attentionPaths, fusedAttention } from "../src/lax/attention.js";
import { grad, type Value } from "../src/index.js";
import { cpuAttentionStats } from "../src/backend/cpu/attention.js";
import { cpuAttentionBwdStats } from "../src/backend/cpu/attention-bwd.js";
import { attentionSimdSwitch } from "../src/backend/cpu/attention-simd.js";
import { arr, values } from "./helpers.js";
import { composition, lossOf, maxRelErr, operands, type Config } from "./attention-bwd-helpers.js";

// these shapes are far below the size where grad switches to the fused backward (attentionPaths): run it at every size here
attentionPaths.fusedBackwardMinProbabilities = 0;

afterEach(() => {
  attentionSimdSwitch.enabled = true;
});

const configs: Config[] = [
  { name: "bias only, S 7, head size 5", B: 2, T: 5, S: 7, N: 2, K: 2, H: 5, bias: true },
  { name: "mask only, S 9, head size 32", B: 2, T: 6, S: 9, N: 2, K: 2, H: 32, mask: "random" },
  { name: "bias + mask with fully masked rows, grouped-query, head size 64", B: 2, T: 5, S: 7, N: 4, K: 2, H: 64, bias: true, mask: "fullRow" },
  { name: "bias + causal, multi-query, T 9 < S 11", B: 1, T: 9, S: 11, N: 2, K: 1, H: 5, bias: true, causal: true },
  { name: "mask + causal with fully masked rows, T 7 > S 6", B: 2, T: 7, S: 6, N: 2, K: 2, H: 32, mask: "fullRow", causal: true },
  { name: "bias + mask + causal, grouped, lse cotangent, S 13", B: 1, T: 6, S: 13, N: 4, K: 1, H: 5, bias: true, mask: "random", causal: true, lseCot: true },
  { name: "one key (S 1), bias + mask with fully masked rows", B: 2, T: 3, S: 1, N: 2, K: 1, H: 32, bias: true, mask: "fullRow" },
  { name: "one key (S 1), bias + causal", B: 1, T: 4, S: 1, N: 1, K: 1, H: 5, bias: true, causal: true },
  { name: "past one tile (T 131, S 133), bias + mask + causal", B: 1, T: 131, S: 133, N: 2, K: 1, H: 5, bias: true, mask: "fullRow", causal: true },
];

/** Element-wise |got − want| ≤ tol·max(1, |want|) (lse holds JAX's large negative number for fully masked rows). */
function expectElementwise(got: number[], want: number[], tol: number, what: string): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  expect(worst, what).toBeLessThan(tol);
}

/** The fused forward and gradient [dq, dk, dv, dbias?] in `dtype`, and which paths the routines took. */
function runFused(c: Config, dtype: "float32" | "float64") {
  const xs = operands(c, dtype);
  const scale = 1 / Math.sqrt(c.H);
  const f0 = { ...cpuAttentionStats }, b0 = { ...cpuAttentionBwdStats };
  const [out, lse] = fusedAttention(xs.q, xs.k, xs.v, { bias: xs.bias, mask: xs.mask, causal: c.causal ?? false, scale });
  const fwd = { out: values(out), lse: values(lse) };
  const args = [xs.q, xs.k, xs.v, ...(xs.bias ? [xs.bias] : [])] as [Value, Value, Value, Value?];
  const grads = (grad(lossOf(c, xs, true), { argnums: args.map((_, i) => i) })(...args) as Value[]).map(values);
  return {
    ...fwd, grads,
    forwardCalls: cpuAttentionStats.calls - f0.calls, forwardSimdBiasMask: cpuAttentionStats.simdBiasMask - f0.simdBiasMask,
    backwardCalls: cpuAttentionBwdStats.calls - b0.calls, backwardSimdBiasMask: cpuAttentionBwdStats.simdBiasMask - b0.simdBiasMask,
  };
}

/** The float64 composition's forward and gradient. */
function runComposition(c: Config) {
  const xs = operands(c, "float64");
  const scale = 1 / Math.sqrt(c.H);
  const [out, lse] = composition(xs.q, xs.k, xs.v, { bias: xs.bias, mask: xs.mask, causal: c.causal ?? false, scale });
  const args = [xs.q, xs.k, xs.v, ...(xs.bias ? [xs.bias] : [])] as [Value, Value, Value, Value?];
  const grads = (grad(lossOf(c, xs, false), { argnums: args.map((_, i) => i) })(...args) as Value[]).map(values);
  return { out: values(out), lse: values(lse), grads };
}

const gradNames = ["dq", "dk", "dv", "dbias"];

describe("float32 attention with bias/mask: WebAssembly SIMD == the JavaScript loops == the float64 composition", () => {
  for (const c of configs)
    it(c.name, () => {
      const simd = runFused(c, "float32");
      // the SIMD path ran, with the bias/mask kernels: once in the forward, once in grad's forward, once in the backward
      expect(simd.forwardCalls).toBe(2);
      expect(simd.forwardSimdBiasMask, "forward on the SIMD path with bias/mask").toBe(2);
      expect(simd.backwardCalls).toBe(1);
      expect(simd.backwardSimdBiasMask, "backward on the SIMD path with bias/mask").toBe(1);

      attentionSimdSwitch.enabled = false;
      const js = runFused(c, "float32");
      attentionSimdSwitch.enabled = true;
      expect(js.forwardCalls).toBe(2);
      expect(js.forwardSimdBiasMask, "the forced JavaScript forward").toBe(0);
      expect(js.backwardSimdBiasMask, "the forced JavaScript backward").toBe(0);

      const want = runComposition(c);
      expect(simd.grads.length).toBe(c.bias ? 4 : 3);
      for (const [name, ref, tol] of [["JavaScript loops", js, 2e-6], ["float64 composition", want, 1e-5]] as const) {
        expect(maxRelErr(simd.out, ref.out), `out vs ${name}`).toBeLessThan(tol);
        expectElementwise(simd.lse, ref.lse, tol, `lse vs ${name}`);
        simd.grads.forEach((g, i) => expect(maxRelErr(g, ref.grads[i]), `${gradNames[i]} vs ${name}`).toBeLessThan(tol));
      }
      if (c.mask === "fullRow") {
        // query row 1 sees no key: its dq and dbias are exactly 0, as the composition's
        const [dq, , , dbias] = simd.grads;
        for (let b = 0; b < c.B; b++)
          for (let n = 0; n < c.N; n++) {
            for (let h = 0; h < c.H; h++) expect(dq[((b * c.T + 1) * c.N + n) * c.H + h]).toBe(0);
            if (dbias) for (let j = 0; j < c.S; j++) expect(dbias[((b * c.N + n) * c.T + 1) * c.S + j]).toBe(0);
          }
      }
    });
});

describe("float64 with bias/mask keeps the JavaScript loops", () => {
  it("no SIMD path in float64, and the result equals the composition (1e-12)", () => {
    const c = configs[2];
    const got = runFused(c, "float64");
    expect(got.forwardSimdBiasMask).toBe(0);
    expect(got.backwardSimdBiasMask).toBe(0);
    const want = runComposition(c);
    expect(maxRelErr(got.out, want.out)).toBeLessThan(1e-12);
    got.grads.forEach((g, i) => expect(maxRelErr(g, want.grads[i]), gradNames[i]).toBeLessThan(1e-12));
  });
});

describe("mask entries other than 0 and 1: keep = mask > 0 on every path", () => {
  it("NaN, negative and fractional mask entries (forward, float32 SIMD == JavaScript == float64 composition)", () => {
    const c: Config = { name: "odd mask", B: 1, T: 5, S: 6, N: 2, K: 1, H: 5, bias: true };
    const run = (dtype: "float32" | "float64", fused: boolean) => {
      const xs = operands(c, dtype);
      // every row of 6 keys: NaN and −2 and 0 masked, 0.5 and 1 and 1e-30 kept
      const m = Array.from({ length: c.B * c.N * c.T * c.S }, (_, i) => [Number.NaN, -2, 0.5, 0, 1, 1e-30][(i + Math.floor(i / 6)) % 6]);
      const mask = arr(m, dtype, [c.B, c.N, c.T, c.S]);
      const o = { bias: xs.bias, mask, causal: false, scale: 0.5 };
      return (fused ? fusedAttention(xs.q, xs.k, xs.v, o) : composition(xs.q, xs.k, xs.v, o)).map(values);
    };
    const before = cpuAttentionStats.simdBiasMask;
    const [simdOut, simdLse] = run("float32", true);
    expect(cpuAttentionStats.simdBiasMask - before).toBe(1);
    attentionSimdSwitch.enabled = false;
    const [jsOut, jsLse] = run("float32", true);
    attentionSimdSwitch.enabled = true;
    const [wantOut, wantLse] = run("float64", false);
    for (const [name, out, lse] of [["JavaScript", jsOut, jsLse], ["composition", wantOut, wantLse]] as const) {
      expect(maxRelErr(simdOut, out), `out vs ${name}`).toBeLessThan(1e-5);
      expectElementwise(simdLse, lse, 1e-5, `lse vs ${name}`);
    }
    expect(simdOut.every(Number.isFinite)).toBe(true);
  });
});
