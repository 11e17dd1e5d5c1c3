/**
 * The MNIST example (examples/mnist-cnn.ts): its loader turns the `mnist`
 * package's JSON into the same pixels as bytes; three of its jitted training
 * steps in float32, from fixed weights and batches, follow the same three
 * steps run in float64 on the CPU, on the CPU and on WebGPU (skipped, with
 * the reason printed, where there is no adapter); its vmap-based
 * per-example gradient norms are those of a loop of `grad`; and a short run
 * writes its three plots.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { defaultDevice, devicePut, grad, np, optim, random, tree, type Value } from "../src/index.js";
import { probeWebGPU } from "./device-helpers.js";

// the probe makes WebGPU the default where there is an adapter; the CPU tests set the CPU back
const hasGpu = await probeWebGPU("examples-mnist.test.ts");
defaultDevice("cpu");

const mnist = await import("../examples/mnist-cnn.js");
const root = mkdtempSync(join(tmpdir(), "jaxon-examples-mnist-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
// each test starts on the CPU (the WebGPU one sets WebGPU, and sets the CPU back when it ends)
beforeEach(() => {
  defaultDevice("cpu");
});

describe("mnist-cnn: the data", () => {
  it("the bytes are the JSON's values: every pixel k with |k/255 − v| ≤ 0.0005 (v has 3 decimals), the labels the files' digits", () => {
    const { pixels, labels, count } = mnist.readDigits();
    let at = 0;
    let worst = 0;
    for (let d = 0; d < 10; d++) {
      const { data } = JSON.parse(readFileSync(join(mnist.digitsDir, `${d}.json`), "utf8")) as { data: number[] };
      expect(data.length % 784).toBe(0);
      for (let i = at / 784; i < (at + data.length) / 784; i++) expect(labels[i]).toBe(d);
      for (const v of data) worst = Math.max(worst, Math.abs(pixels[at++] / 255 - v));
    }
    expect(at).toBe(count * 784);
    expect(count).toBe(10000);
    expect(worst).toBeLessThanOrEqual(0.0005 + 1e-12);
    // the ink really is there: a 0 has most of its pixels blank and some at full ink
    expect(Math.max(...pixels.subarray(0, 784))).toBe(255);
  });

  it("the split: uint8 on the device, 8000 + 2000 digits in a seeded order, normalized by the training digits' mean and std", async () => {
    const { pixels, labels } = mnist.readDigits();
    const { train, test, mean, std } = mnist.loadMnist(0);
    expect(train.raw.dtype).toBe("uint8");
    expect(train.x.dtype).toBe("float32");
    expect(train.x.shape).toEqual([8000, 28, 28, 1]);
    expect(test.x.shape).toEqual([2000, 28, 28, 1]);
    // the same order as the permutation it is seeded with, computed here on the host
    const order = (await random.permutation(random.key(0), 10000).data()) as Int32Array;
    const k = order[8000 + 17];
    expect(Array.from((await test.raw.get(17).data()) as Uint8Array)).toEqual(Array.from(pixels.subarray(k * 784, (k + 1) * 784)));
    expect(await test.y.get(17).item()).toBe(labels[k]);
    // mean and std, in float64 on the host over the training digits' bytes
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < 8000; i++) {
      for (let j = 0; j < 784; j++) {
        const v = pixels[order[i] * 784 + j] / 255;
        s += v;
        s2 += v * v;
      }
    }
    const n = 8000 * 784;
    expect(await mean.item()).toBeCloseTo(s / n, 5);
    expect(await std.item()).toBeCloseTo(Math.sqrt(s2 / n - (s / n) ** 2), 5);
    expect(await np.mean(train.x).item()).toBeCloseTo(0, 4);
    // every class is in both parts
    const counts = (await np.bincount(test.y, null, 10).data()) as Int32Array;
    for (const c of counts) expect(c).toBeGreaterThan(120);
  });
});

/** Three training steps from the net's own initial weights, on the first three batches of 16, in `dtype`; returns the losses. */
async function threeSteps(dtype: "float32" | "float64", device: "cpu" | "webgpu"): Promise<number[]> {
  const { train } = mnist.loadMnist(0);
  const net = mnist.makeNet();
  const [, init] = net.init(random.key(1), [-1, 28, 28, 1]);
  const put = (x: Value) => (device === "cpu" ? x : devicePut(x, "webgpu"));
  let params = tree.map((w: Value) => put(w.astype(dtype)), init) as unknown[];
  const opt = optim.adam(1e-3);
  let state: optim.OptState = opt.init(params);
  const step = mnist.makeStep(net, opt);
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const x = put(train.x.get([16 * i, 16 * i + 16]).astype(dtype));
    const y = put(train.y.get([16 * i, 16 * i + 16]));
    const out = step(params, state, x, y);
    ({ params, state } = out);
    expect(out.loss.dtype).toBe(dtype);
    losses.push(await out.loss.item());
  }
  return losses;
}

describe("mnist-cnn: training steps against float64", () => {
  let reference: number[];
  const float64 = async () => (reference ??= await threeSteps("float64", "cpu"));

  it("three float32 steps on the CPU give the float64 losses", async () => {
    const ref = await float64();
    const f32 = await threeSteps("float32", "cpu");
    // the losses go down from about ln 10, so the steps did something
    expect(ref[0]).toBeGreaterThan(2);
    expect(ref[2]).toBeLessThan(ref[0]);
    for (let i = 0; i < 3; i++) expect(Math.abs(f32[i] - ref[i]), `step ${i}`).toBeLessThan(2e-5);
  });

  it.skipIf(!hasGpu)("three float32 steps on WebGPU give the float64 CPU losses", async () => {
    const ref = await float64();
    defaultDevice("webgpu");
    try {
      const gpu = await threeSteps("float32", "webgpu");
      for (let i = 0; i < 3; i++) expect(Math.abs(gpu[i] - ref[i]), `step ${i}`).toBeLessThan(2e-4);
    } finally {
      defaultDevice("cpu");
    }
    // a software adapter (lavapipe in CI) compiles the convolutions' shaders slowly on a busy machine
  }, 300_000);
});

describe("mnist-cnn: per-example gradient norms", () => {
  it("vmap(grad) gives the norms of a loop of grad, one example at a time", async () => {
    const { train } = mnist.loadMnist(0);
    const net = mnist.makeNet();
    const [, params] = net.init(random.key(1), [-1, 28, 28, 1]);
    const x = train.x.get([0, 6]);
    const y = train.y.get([0, 6]);
    const norms = Array.from((await mnist.perExampleGradNorms(net)(params, x, y).data()) as Float32Array);
    const loss = mnist.crossEntropy(net);
    for (let i = 0; i < 6; i++) {
      const g = grad(loss)(params, x.get([i, i + 1]), y.get([i, i + 1]));
      let s = 0;
      for (const leaf of tree.leaves(g) as Value[]) for (const v of (await leaf.astype("float64").data()) as Float64Array) s += v * v;
      expect(norms[i]).toBeCloseTo(Math.sqrt(s), 4);
    }
    // the examples differ: a norm per example, not the batch's
    expect(new Set(norms.map((n) => n.toFixed(4))).size).toBe(6);
  });
});

describe("mnist-cnn: end to end", () => {
  it("a short run writes the training curve, the confusion matrix and the grid of misclassified digits", async () => {
    const outDir = join(root, "run");
    const r = await mnist.run({ steps: 4, quiet: true, outDir, png: false });
    expect(r.losses).toHaveLength(4);
    expect(r.losses.every(Number.isFinite)).toBe(true);
    expect(r.testAccuracy).toHaveLength(1);
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(2000);
    expect(r.confusion.reduce((a, row, c) => a + row[c], 0) / 2000).toBeCloseTo(r.accuracy, 12);
    expect(r.gradNorms).toHaveLength(mnist.batchSize);
    for (const name of ["training", "confusion", "misclassified"]) {
      const path = join(outDir, `${name}.svg`);
      expect(r.files).toContain(path);
      expect(existsSync(path) && statSync(path).size, path).toBeGreaterThan(1000);
    }
    // after 4 steps most digits are wrong: the grid shows its 40, each captioned "true → predicted"
    expect(readFileSync(join(outDir, "misclassified.svg"), "utf8").match(/>\d → \d</g)).toHaveLength(40);
  }, 120_000);

  it("run.ts takes --device cpu|webgpu and refuses anything else", () => {
    const tsx = join(import.meta.dirname, "..", "node_modules", ".bin", "tsx");
    const bad = spawnSync(tsx, ["examples/run.ts", "mnist-cnn", "--device", "tpu"], { cwd: join(import.meta.dirname, ".."), encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--device takes cpu or webgpu");
  });
});
