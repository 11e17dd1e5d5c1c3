/**
 * The CNN and transformer examples (examples/cnn-digits.ts,
 * examples/char-transformer.ts) run end to end with few steps, and their
 * models agree with twins written in JAX: from the same initial weights and
 * the same batches, the first losses of jaxon's training steps are JAX's
 * (fixtures written by test/fixtures/examples/*_jax.py).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { io, np, optim, type Value } from "../src/index.js";

const root = mkdtempSync(join(tmpdir(), "jaxon-examples-nn-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const fixtures = join(import.meta.dirname, "fixtures", "examples");

function expectPlots(files: string[], dir: string, names: string[]): void {
  for (const name of names) {
    for (const ext of ["svg", "png"]) {
      const path = join(dir, `${name}.${ext}`);
      expect(files).toContain(path);
      expect(existsSync(path), path).toBe(true);
      expect(statSync(path).size).toBeGreaterThan(1000);
    }
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("cnn-digits", () => {
  it("trains: the loss goes down and the test accuracy beats chance by far", async () => {
    const { run, stepsPerEpoch } = await import("../examples/cnn-digits.js");
    const outDir = join(root, "cnn-digits");
    const r = await run({ steps: 2 * stepsPerEpoch, quiet: true, outDir });
    expectPlots(r.files, outDir, ["training", "confusion"]);
    expect(r.losses).toHaveLength(2 * stepsPerEpoch);
    expect(r.losses.every(Number.isFinite)).toBe(true);
    // ln 10 ≈ 2.30 at the start; after two epochs well below
    expect(mean(r.losses.slice(0, 5))).toBeGreaterThan(2);
    expect(mean(r.losses.slice(-10))).toBeLessThan(1.2);
    expect(r.testAccuracy).toHaveLength(2);
    expect(r.accuracy).toBeGreaterThan(0.6);
    // the confusion matrix counts the 360 test digits, and its diagonal is the accuracy
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(360);
    expect(r.confusion.reduce((a, row, c) => a + row[c], 0) / 360).toBeCloseTo(r.accuracy, 12);
  });

  it("the data: 1797 digits, pixels in [−1, 1], labels 0–9, each digit about a tenth", async () => {
    const { loadDigits } = await import("../examples/cnn-digits.js");
    const { train, test } = await loadDigits();
    expect(train.x.shape).toEqual([1437, 8, 8, 1]);
    expect(test.x.shape).toEqual([360, 8, 8, 1]);
    expect(np.min(train.x).itemSync()).toBe(-1);
    expect(np.max(train.x).itemSync()).toBe(1);
    const counts = np.bincount(np.concatenate([train.y, test.y]), null, 10).arraySync() as number[];
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1797);
    for (const c of counts) expect(c).toBeGreaterThan(170);
  });

  it("matches its JAX twin: the same weights and batches give JAX's losses step by step, and its logits after", async () => {
    const { loadDigits, makeNet, makeStep, batchSize } = await import("../examples/cnn-digits.js");
    const f = await io.loadNpz(readFileSync(join(fixtures, "cnn_digits_jax.npz")));
    const net = makeNet();
    // nn.serial's params: one entry per layer, [] for the layers without weights
    let params: unknown[] = [
      { w: f.conv1_w, b: f.conv1_b }, [], [],
      { w: f.conv2_w, b: f.conv2_b }, [], [],
      [],
      { w: f.fc1_w, b: f.fc1_b }, [],
      { w: f.fc2_w, b: f.fc2_b }, [],
      { w: f.fc3_w, b: f.fc3_b },
    ];
    // the tree has the layout of the net's own init
    const [, own] = net.init((await import("../src/index.js")).random.key(0), [-1, 8, 8, 1]);
    expect(JSON.stringify(params, (_k, v: unknown) => ((v as Value)?.shape ? (v as Value).shape : v))).toBe(
      JSON.stringify(own, (_k, v: unknown) => ((v as Value)?.shape ? (v as Value).shape : v)),
    );
    const { train } = await loadDigits();
    const opt = optim.adam(1e-3);
    const step = makeStep(net, opt);
    let state = opt.init(params);
    const expected = Array.from(f.losses.dataSync());
    const losses: number[] = [];
    for (let i = 0; i < expected.length; i++) {
      const batch = [i * batchSize, (i + 1) * batchSize] as const;
      const out = step(params, state, train.x.get([...batch]), train.y.get([...batch]));
      params = out.params;
      state = out.state;
      losses.push(out.loss.itemSync());
    }
    for (let i = 0; i < expected.length; i++) expect(Math.abs(losses[i] - expected[i]), `step ${i}: ${losses[i]} vs JAX ${expected[i]}`).toBeLessThan(1e-5);
    const logits = net.apply(params, train.x.get([0, 4])).dataSync();
    const want = f.logits.dataSync();
    for (let i = 0; i < want.length; i++) expect(Math.abs(logits[i] - want[i])).toBeLessThan(1e-4);
  });
});
