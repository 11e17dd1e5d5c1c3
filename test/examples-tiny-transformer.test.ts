/**
 * The tiny-transformer example (examples/tiny-transformer.ts): it trains end
 * to end and learns, and its jitted training step — warmup-cosine AdamW after
 * gradient clipping — computes in float32, on the CPU and on WebGPU, the
 * losses the same steps give in float64 on the CPU (same initial weights,
 * same batches). On a machine without a WebGPU adapter the WebGPU case is
 * skipped with the reason printed, unless JAXON_REQUIRE_WEBGPU is set.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Array as JaxonArray, devicePut, random, tree, type Value } from "../src/index.js";
import { config, getBatch, makeModel, makeOptimizer, makeStep, run, type Params } from "../examples/tiny-transformer.js";
import { loadCorpus } from "../examples/char-transformer.js";
import { onCpu, onCpuAsync, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("examples-tiny-transformer.test.ts");
const root = mkdtempSync(join(tmpdir(), "jaxon-tiny-transformer-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const STEPS = 3;

/** The losses of the first `STEPS` training steps in `dtype` on `device`, from the same weights and batches every time. */
async function trainingLosses(dtype: "float32" | "float64", device: "cpu" | "webgpu"): Promise<number[]> {
  const { model, init, batches } = onCpu(() => {
    const corpus = loadCorpus();
    const model = makeModel(corpus.chars.length);
    const [, init] = model.init(random.key(7), [-1, config.blockSize]) as [unknown, Params];
    const batches = Array.from({ length: STEPS }, (_, i) => getBatch(random.foldIn(random.key(8), i), corpus.train));
    return { model, init, batches };
  });
  let params = tree.map((p: Value) => devicePut(p.astype(dtype), device), init) as Params;
  // a schedule of 10 steps: one warmup step, then the cosine — the steps run cover both
  const { opt } = makeOptimizer(10);
  let state = opt.init(params);
  const step = makeStep(model, opt);
  const losses: number[] = [];
  for (const [x, y] of batches) {
    const out = step(params, state, devicePut(x, device), devicePut(y, device));
    expect(out.loss.dtype).toBe(dtype);
    expect((out.loss as JaxonArray).device).toBe(device);
    params = out.params;
    state = out.state as typeof state;
    losses.push(await out.loss.item());
  }
  return losses;
}

describe("tiny-transformer", { timeout: 600_000 }, () => {
  let cached: Promise<number[]> | undefined;
  const reference = () => (cached ??= onCpuAsync(() => trainingLosses("float64", "cpu")));

  it("float32 training steps on the CPU give float64's losses", async () => {
    const losses = await onCpuAsync(() => trainingLosses("float32", "cpu"));
    expect(losses).toHaveLength(STEPS);
    // the steps move the weights: the losses differ from step to step
    const ref = await reference();
    expect(Math.abs(ref[2] - ref[0])).toBeGreaterThan(1e-3);
    losses.forEach((l, i) => expect(Math.abs(l - ref[i])).toBeLessThan(2e-4 * Math.abs(ref[i])));
  });

  it.skipIf(!hasGpu)("float32 training steps on WebGPU give float64's losses on the CPU", async () => {
    const ref = await reference();
    const losses = await trainingLosses("float32", "webgpu");
    losses.forEach((l, i) => expect(Math.abs(l - ref[i])).toBeLessThan(2e-4 * Math.abs(ref[i])));
  });

  it("trains end to end: the loss falls far below a uniform guess's, and the schedule warms up then decays", async () => {
    const steps = 30;
    const r = await onCpuAsync(() => run({ steps, quiet: true, outDir: join(root, "run"), png: false }));
    expect(r.losses).toHaveLength(steps);
    expect(r.losses.every(Number.isFinite)).toBe(true);
    const uniform = Math.log(58); // 58 distinct characters
    expect(r.evals[0].train).toBeGreaterThan(uniform - 0.5);
    expect(r.evals.at(-1)!.train).toBeLessThan(uniform - 1);
    expect(r.evals.at(-1)!.val).toBeLessThan(uniform - 1);
    // warmup over the first 3 steps (a tenth), then a cosine decay to a tenth of the peak
    expect(r.learningRates[0]).toBe(0);
    const peak = Math.max(...r.learningRates);
    expect(peak).toBeCloseTo(config.peakLearningRate, 6);
    expect(r.learningRates.indexOf(peak)).toBe(3);
    expect(r.learningRates.at(-1)!).toBeLessThan(peak / 2);
    expect(r.files.some((f) => f.endsWith("loss.svg"))).toBe(true);
    expect(r.after.length).toBe(501);
  });
});
