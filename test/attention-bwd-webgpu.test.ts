/**
 * The WebGPU fused attention backward (src/backend/webgpu/attention-bwd.ts)
 * gives the CPU routine's gradients within float32 tolerance on the
 * configurations of test/attention-bwd.test.ts (multi-head, grouped- and
 * multi-query, causal, masks with fully masked rows, bias, the lse cotangent,
 * 130 positions), and was taken (its call count), with the tiled kernels
 * and with the plain ones (webgpuAttentionBwdKernels.path); "auto" takes the
 * plain ones exactly on a software adapter. Without an adapter the file
 * is skipped with the reason printed, unless JAXON_REQUIRE_WEBGPU is set.
 */
import { describe, expect, it } from "vitest";
import { attentionPaths } from "../src/lax/attention.js";
import { grad, type Value } from "../src/index.js";
import { webgpuAttentionBwdKernels, webgpuAttentionBwdStats } from "../src/backend/webgpu/attention-bwd.js";
import { onSoftwareAdapter } from "../src/backend/webgpu/context.js";
import { values } from "./helpers.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { configs, lossOf, maxRelErr, operands } from "./attention-bwd-helpers.js";

// these shapes are far below the size where grad switches to the fused backward (attentionPaths): run it at every size here
attentionPaths.fusedBackwardMinProbabilities = 0;

const hasGpu = await probeWebGPU("attention-bwd-webgpu.test.ts");

describe.skipIf(!hasGpu)("fused attention backward on WebGPU == CPU", () => {
  const read = async (x: Value) => Array.from(await x.data(), Number);
  for (const c of configs.filter((x) => x.T <= 130)) for (const path of ["tiled", "plain", "auto"] as const) {
    it(`${c.name} (float32, ${path} kernels)`, async () => {
      webgpuAttentionBwdKernels.path = path;
      const xs = onCpu(() => operands(c, "float32"));
      const both = (x: Value | undefined) => (x === undefined ? undefined : onBothDevices(onCpu(() => values(x)), [...x.shape]));
      const [q, k, v, bias, mask, cot, lseCot] = [xs.q, xs.k, xs.v, xs.bias, xs.mask, xs.cot, xs.lseCot].map(both);
      const on = (d: "c" | "g") => ({ mask: mask?.[d], cot: cot![d], lseCot: lseCot![d] });
      const args = (d: "c" | "g") => [q![d], k![d], v![d], ...(bias ? [bias[d]] : [])] as [Value, Value, Value, Value?];
      const argnums = bias ? [0, 1, 2, 3] : [0, 1, 2];
      const want = onCpu(() => (grad(lossOf(c, on("c"), true), { argnums })(...args("c")) as Value[]).map(values));
      const before = { ...webgpuAttentionBwdStats };
      const got = grad(lossOf(c, on("g"), true), { argnums })(...args("g")) as Value[];
      webgpuAttentionBwdKernels.path = "auto";
      expect(webgpuAttentionBwdStats.calls - before.calls, "the WebGPU backward ran once").toBe(1);
      const tiled = path === "tiled" || (path === "auto" && !onSoftwareAdapter());
      expect(webgpuAttentionBwdStats.tiled - before.tiled, "the tiled kernels ran").toBe(tiled ? 1 : 0);
      for (let i = 0; i < got.length; i++) {
        expect((got[i] as { device?: string }).device).toBe("webgpu");
        expect(maxRelErr(await read(got[i]), want[i]), `grad ${["q", "k", "v", "bias"][i]}`).toBeLessThan(1e-5);
      }
    });
  }
});
