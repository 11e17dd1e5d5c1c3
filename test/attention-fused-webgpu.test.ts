/**
 * The WebGPU fused attention kernel (src/backend/webgpu/attention.ts) gives
 * the CPU's answers, and JAX's, within float32 tolerance: values and
 * gradients of nn.dotProductAttention over the JAX fixture's cases
 * (test/fixtures/attention-fused/cases.json: causal with T < S, masks, bias,
 * grouped- and multi-query heads, fully masked rows, a 66-row causal case
 * spanning two query tiles), the kernel taken (its call count) and the
 * composition (implementation "xla") agreeing; jit and vmap on WebGPU. Without
 * an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { grad, jit, nn, np, vmap, type Value } from "../src/index.js";
import { webgpuAttentionStats } from "../src/backend/webgpu/attention.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("attention-fused-webgpu.test.ts");

interface Tensor { shape: number[]; values: number[] }
interface Case {
  name: string; isCausal: boolean; scale?: number; q: Tensor; k: Tensor; v: Tensor; bias?: Tensor; mask?: Tensor;
  querySeqLengths?: number[]; keyValueSeqLengths?: number[]; cot: number[]; out: Tensor; grads: number[][];
}
const fx = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "fixtures/attention-fused/cases.json"), "utf8")) as { cases: Case[] };

const read = async (x: Value) => Array.from(await x.data(), Number);

function relErr(got: number[], want: number[]): number {
  const scale = Math.max(1, ...want.map(Math.abs));
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err / scale;
}

async function expectSame(gpu: Value, cpu: Value | number[], what: string, tol = 2e-5) {
  expect((gpu as { device?: string }).device, what).toBe("webgpu");
  const g = await read(gpu);
  const c = Array.isArray(cpu) ? cpu : await read(cpu);
  expect(g.length, what).toBe(c.length);
  expect(relErr(g, c), what).toBeLessThan(tol);
}

/** The case's attention (mask and lengths made on both devices) as a function of q, k, v (and bias). */
function attentionOf(c: Case, device: "c" | "g", implementation?: "xla") {
  const mask = c.mask ? onBothDevices(c.mask.values, c.mask.shape, "bool")[device] : undefined;
  const lengths = c.querySeqLengths
    ? { querySeqLengths: onBothDevices(c.querySeqLengths, [c.querySeqLengths.length], "int32")[device], keyValueSeqLengths: onBothDevices(c.keyValueSeqLengths!, [c.keyValueSeqLengths!.length], "int32")[device] }
    : {};
  return (q: Value, k: Value, v: Value, bias?: Value) => nn.dotProductAttention(q, k, v, { isCausal: c.isCausal, scale: c.scale, mask, bias, implementation, ...lengths });
}

describe.skipIf(!hasGpu)("fused attention on WebGPU == CPU == JAX", () => {
  for (const c of fx.cases) {
    it(`${c.name}: value and gradients`, async () => {
      const args = [c.q, c.k, c.v, ...(c.bias ? [c.bias] : [])].map((t) => onBothDevices(t.values, t.shape));
      const cot = onBothDevices(c.cot, c.out.shape);
      const argnums = args.map((_, i) => i);
      const lossOf = (f: ReturnType<typeof attentionOf>, t: Value) => (...a: Value[]) => np.sum(np.multiply(f(...(a as [Value, Value, Value, Value?])), t));
      const fc = attentionOf(c, "c");
      const [cpuOut, cpuGrads] = onCpu(() => [fc(...(args.map((a) => a.c) as [Value, Value, Value, Value?])), grad(lossOf(fc, cot.c), { argnums })(...args.map((a) => a.c)) as Value[]] as const);
      const fg = attentionOf(c, "g");
      const before = webgpuAttentionStats.calls;
      const out = fg(...(args.map((a) => a.g) as [Value, Value, Value, Value?]));
      expect(webgpuAttentionStats.calls - before).toBe(1);
      await expectSame(out, cpuOut, "value vs CPU");
      await expectSame(out, c.out.values, "value vs JAX");
      const grads = grad(lossOf(fg, cot.g), { argnums })(...args.map((a) => a.g)) as Value[];
      for (let i = 0; i < grads.length; i++) {
        await expectSame(grads[i], cpuGrads[i], `grad ${i} vs CPU`, 1e-4);
        await expectSame(grads[i], c.grads[i], `grad ${i} vs JAX`, 1e-4);
      }
      // the composition on WebGPU agrees
      await expectSame(attentionOf(c, "g", "xla")(...(args.map((a) => a.g) as [Value, Value, Value, Value?])), cpuOut, "composition");
    });
  }

  it("jit and vmap on WebGPU", async () => {
    const c = fx.cases.find((x) => x.name === "mask bias causal gqa")!;
    const args = [c.q, c.k, c.v, c.bias!].map((t) => onBothDevices(t.values, t.shape));
    const fg = attentionOf(c, "g");
    const fc = attentionOf(c, "c");
    const eager = onCpu(() => fc(...(args.map((a) => a.c) as [Value, Value, Value, Value])));
    const before = webgpuAttentionStats.calls;
    await expectSame(jit(fg)(...(args.map((a) => a.g) as [Value, Value, Value, Value])), eager, "jit");
    expect(webgpuAttentionStats.calls - before).toBe(1);
    const qs = onBothDevices([...c.q.values, ...c.q.values.map((x) => -x)], [2, ...c.q.shape]);
    const batched = vmap((q: Value) => fg(q, args[1].g, args[2].g, args[3].g))(qs.g);
    const loop = onCpu(() => np.stack([0, 1].map((i) => fc(qs.c.get(i), args[1].c, args[2].c, args[3].c))));
    await expectSame(batched, loop, "vmap");
  });
});
