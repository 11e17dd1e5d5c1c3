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
    let state: optim.OptState = opt.init(params);
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

describe("char-transformer", () => {
  it("trains: the loss goes down from about ln 58, and it samples text of its characters", async () => {
    const { run } = await import("../examples/char-transformer.js");
    const outDir = join(root, "char-transformer");
    const r = await run({ steps: 30, quiet: true, outDir });
    expectPlots(r.files, outDir, ["loss"]);
    expect(r.losses).toHaveLength(30);
    expect(r.losses.every(Number.isFinite)).toBe(true);
    // a fresh model guesses about evenly among the 58 characters (ln 58 ≈ 4.06)
    expect(Math.abs(r.losses[0] - Math.log(58))).toBeLessThan(0.6);
    expect(mean(r.losses.slice(-5))).toBeLessThan(mean(r.losses.slice(0, 5)) - 0.5);
    expect(r.evals.map((e) => e.step)).toEqual([0, 30]);
    expect(r.evals[1].train).toBeLessThan(r.evals[0].train);
    expect(r.evals[1].val).toBeLessThan(r.evals[0].val);
    // the samples: 1 context character and 200 (before) or 500 (after) drawn, all from the text's alphabet
    const { loadCorpus } = await import("../examples/char-transformer.js");
    const alphabet = new Set(loadCorpus().chars);
    expect([...r.before]).toHaveLength(201);
    expect([...r.after]).toHaveLength(501);
    for (const c of r.before + r.after) expect(alphabet.has(c)).toBe(true);
  }, 180_000);

  it("getBatch: targets are the inputs shifted by one character of the text", async () => {
    const { loadCorpus, getBatch, config } = await import("../examples/char-transformer.js");
    const { random } = await import("../src/index.js");
    const c = loadCorpus();
    const [x, y] = getBatch(random.key(3), c.train);
    expect(x.shape).toEqual([config.batchSize, config.blockSize]);
    const xs = x.arraySync() as number[][];
    const ys = y.arraySync() as number[][];
    const text = c.text.slice(0, c.train.shape[0]);
    for (let b = 0; b < xs.length; b++) {
      const s = c.decode(xs[b]);
      const at = text.indexOf(s);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(c.decode(ys[b])).toBe(text.slice(at + 1, at + 1 + config.blockSize));
    }
  });

  it("matches its JAX twin: the same weights and batches give JAX's logits, gradients and AdamW losses step by step", async () => {
    const { loadCorpus, makeModel, makeStep, config } = await import("../examples/char-transformer.js");
    const { random, tree } = await import("../src/index.js");
    const f = await io.loadNpz(readFileSync(join(fixtures, "char_transformer_jax.npz")));
    const model = makeModel(loadCorpus().chars.length);
    const [, own] = model.init(random.key(0), [-1, config.blockSize]);
    const [leaves, def] = tree.flatten(own) as [Value[], Parameters<typeof tree.unflatten>[0]];
    const stds = f.stds.dataSync();
    const means = f.means.dataSync();
    expect(stds.length).toBe(leaves.length);
    // the fixture's weights formula (char_transformer_jax.py's `weights`), leaf by leaf, in float64 then float32
    const weights = leaves.map((leaf, j) => {
      const v = new Float64Array(leaf.size);
      for (let i = 0; i < v.length; i++) v[i] = means[j] + stds[j] * Math.SQRT2 * Math.sin(1000 * j + 0.7 * i + 0.3);
      return np.array(v, { dtype: "float64" }).astype("float32").reshape(leaf.shape);
    });
    let params = tree.unflatten(def, weights) as unknown[];
    // the logits at those weights are JAX's
    const logits = model.apply(params, f.xs.get(0).get([0, 2])).dataSync();
    const want = f.logits.dataSync();
    expect(logits.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(Math.abs(logits[i] - want[i])).toBeLessThan(1e-4);
    // the gradient at those weights, leaf by leaf, is JAX's
    const { grad } = await import("../src/index.js");
    const { lossOf } = await import("../examples/char-transformer.js");
    const g = tree.leaves(grad(lossOf(model))(params, f.xs.get(0), f.ys.get(0))) as Value[];
    const norms = f.grad_norms.dataSync();
    g.forEach((gi, j) => expect(Math.abs(np.linalg.norm(gi).itemSync() - norms[j]), `leaf ${j}`).toBeLessThan(1e-4 * norms[j] + 1e-7));
    const opt = optim.adamw(config.learningRate);
    const step = makeStep(model, opt);
    let state: optim.OptState = opt.init(params);
    const expected = Array.from(f.losses.dataSync());
    const losses: number[] = [];
    for (let t = 0; t < expected.length; t++) {
      const out = step(params, state, f.xs.get(t), f.ys.get(t));
      params = out.params;
      state = out.state;
      losses.push(out.loss.itemSync());
    }
    // the first steps agree to float32 rounding; then Adam, which divides each gradient by its own size,
    // amplifies rounding differences in gradients near zero, and the losses drift apart a little
    for (let t = 0; t < 3; t++) expect(Math.abs(losses[t] - expected[t]), `step ${t}: ${losses[t]} vs JAX ${expected[t]}`).toBeLessThan(1e-5);
    for (let t = 3; t < expected.length; t++) expect(Math.abs(losses[t] - expected[t]), `step ${t}: ${losses[t]} vs JAX ${expected[t]}`).toBeLessThan(2e-3);
  });
});
