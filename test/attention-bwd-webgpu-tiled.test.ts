/**
 * The tiled WebGPU fused attention backward (src/backend/webgpu/attention-bwd.ts:
 * dq walks key tiles, dk/dv walk query tiles, both through workgroup memory)
 * on shapes that cross the tiles' boundaries: T and S not multiples of the
 * tiles or of the 64-row blocks, one key (S = 1), head sizes 5, 32, 64, 128
 * and 256 (the largest the fused kernels take, whose tiles still fit the
 * 16 KiB of workgroup storage: no fallback is needed), causal with T < S and
 * T > S (skipped tiles), grouped- and multi-query heads, bias with causal
 * skipping (dbias's skipped part written as zeros), bias + mask with fully
 * masked rows, the lse cotangent. Each gradient equals the CPU fused
 * backward's within 1e-5 and the float64 composition's gradient
 * (softmax(q·kᵀ·scale + bias, masked)·v differentiated by jaxon's numpy
 * functions) within float32 rounding. Without an adapter the file is skipped
 * with the reason printed, unless JAXON_REQUIRE_WEBGPU is set. The tiled
 * kernels are asked for (on a software adapter "auto" takes the plain ones).
 */
import { describe, expect, it } from "vitest";
import { attentionPaths } from "../src/lax/attention.js";
import { grad, type Value } from "../src/index.js";
import { attentionBwdTiles, webgpuAttentionBwdKernels, webgpuAttentionBwdStats } from "../src/backend/webgpu/attention-bwd.js";
import { WEBGPU_ATTENTION_MAX_HEAD } from "../src/backend/webgpu/attention.js";
import { values } from "./helpers.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { lossOf, maxRelErr, operands, type Config } from "./attention-bwd-helpers.js";

// these shapes are far below the size where grad switches to the fused backward (attentionPaths): run it at every size here
attentionPaths.fusedBackwardMinProbabilities = 0;

const configs: Config[] = [
  { name: "one key (S 1), head size 5, T 70 (two query blocks)", B: 2, T: 70, S: 1, N: 2, K: 2, H: 5 },
  { name: "head 32, causal T 67 < S 133, grouped-query", B: 1, T: 67, S: 133, N: 4, K: 2, H: 32, causal: true },
  { name: "head 64, causal T 150 > S 70, multi-query, lse cotangent", B: 1, T: 150, S: 70, N: 2, K: 1, H: 64, causal: true, lseCot: true },
  { name: "head 128, bias + mask with fully masked rows, multi-query", B: 1, T: 37, S: 45, N: 2, K: 1, H: 128, bias: true, mask: "fullRow" },
  { name: "head 32, causal + bias (skipped dbias zeros), T 100, S 90", B: 1, T: 100, S: 90, N: 1, K: 1, H: 32, causal: true, bias: true },
  { name: "head 5, bias + mask + causal, grouped 3:1, T 65, S 66", B: 2, T: 65, S: 66, N: 3, K: 1, H: 5, bias: true, mask: "random", causal: true, lseCot: true },
  { name: "head 256 (the largest), causal + mask, T 20, S 19", B: 1, T: 20, S: 19, N: 1, K: 1, H: 256, mask: "random", causal: true, lseCot: true },
];

describe("the tiles of the WebGPU attention backward", () => {
  it("fit 16 KiB of workgroup storage at every head size the fused kernels take, with at least one row", () => {
    for (let H = 1; H <= WEBGPU_ATTENTION_MAX_HEAD; H++) {
      const { keys, queries } = attentionBwdTiles(H);
      expect(keys).toBeGreaterThanOrEqual(1);
      expect(queries).toBeGreaterThanOrEqual(1);
      expect(2 * keys * H * 4, `key tile at H ${H}`).toBeLessThanOrEqual(16384);
      expect((2 * H + 3) * queries * 4, `query tile at H ${H}`).toBeLessThanOrEqual(16384);
    }
  });

  it("are crossed by the shapes below (S past the key tile, T past the query tile)", () => {
    for (const c of configs.filter((x) => x.S > 1)) {
      const { keys, queries } = attentionBwdTiles(c.H);
      expect(c.S % keys !== 0 && c.S > keys, `${c.name}: S vs ${keys} keys`).toBe(true);
      expect(c.T % queries !== 0 && c.T > queries, `${c.name}: T vs ${queries} queries`).toBe(true);
    }
  });
});

const hasGpu = await probeWebGPU("attention-bwd-webgpu-tiled.test.ts");

describe.skipIf(!hasGpu)("tiled fused attention backward on WebGPU == CPU fused == the composition's gradient", () => {
  const read = async (x: Value) => Array.from(await x.data(), Number);
  for (const c of configs) {
    it(c.name, async () => {
      const xs = onCpu(() => operands(c, "float32"));
      const both = (x: Value | undefined) => (x === undefined ? undefined : onBothDevices(onCpu(() => values(x)), [...x.shape]));
      const [q, k, v, bias, mask, cot, lseCot] = [xs.q, xs.k, xs.v, xs.bias, xs.mask, xs.cot, xs.lseCot].map(both);
      const on = (d: "c" | "g") => ({ mask: mask?.[d], cot: cot![d], lseCot: lseCot![d] });
      const args = (d: "c" | "g") => [q![d], k![d], v![d], ...(bias ? [bias[d]] : [])] as [Value, Value, Value, Value?];
      const argnums = bias ? [0, 1, 2, 3] : [0, 1, 2];
      const fusedCpu = onCpu(() => (grad(lossOf(c, on("c"), true), { argnums })(...args("c")) as Value[]).map(values));
      const composition = onCpu(() => {
        const x64 = operands(c, "float64");
        const a = [x64.q, x64.k, x64.v, ...(x64.bias ? [x64.bias] : [])] as [Value, Value, Value, Value?];
        return (grad(lossOf(c, x64, false), { argnums })(...a) as Value[]).map(values);
      });
      const before = { ...webgpuAttentionBwdStats };
      webgpuAttentionBwdKernels.path = "tiled";
      const got = grad(lossOf(c, on("g"), true), { argnums })(...args("g")) as Value[];
      webgpuAttentionBwdKernels.path = "auto";
      expect(webgpuAttentionBwdStats.calls - before.calls, "the WebGPU backward ran once").toBe(1);
      expect(webgpuAttentionBwdStats.tiled - before.tiled, "with the tiled kernels").toBe(1);
      for (let i = 0; i < got.length; i++) {
        const name = `grad ${["q", "k", "v", "bias"][i]}`;
        expect((got[i] as { device?: string }).device).toBe("webgpu");
        const g = await read(got[i]);
        expect(maxRelErr(g, fusedCpu[i]), `${name} vs the CPU fused backward`).toBeLessThan(1e-5);
        expect(maxRelErr(g, composition[i]), `${name} vs the float64 composition`).toBeLessThan(2e-5);
      }
      if (c.mask === "fullRow") {
        // the fully masked rows' query gradient is zero, as the composition's
        const gq = await read(got[0]);
        for (let b = 0; b < c.B; b++) for (let n = 0; n < c.N; n++) for (let h = 0; h < c.H; h++) expect(gq[((b * c.T + 1) * c.N + n) * c.H + h]).toBe(0);
      }
    });
  }
});
