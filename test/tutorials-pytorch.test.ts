/**
 * Tutorials beside the PyTorch tutorials they port, checked against what
 * PyTorch printed: each committed script under test/fixtures/examples/ runs
 * the original's code with torch on the CPU (seeded) and writes its starting
 * weights and every step's loss; jaxon's example, started from those very
 * weights, must follow it.
 *
 * Regenerate (torch 2.13 CPU; the second also needs JAX):
 *   /work/venv/bin/python test/fixtures/examples/polynomial_optim_torch.py > test/fixtures/examples/polynomial_optim_torch.txt
 *   /work/venv/bin/python test/fixtures/examples/two_layer_net_torch.py > test/fixtures/examples/two_layer_net_torch.txt
 *   /work/venv/bin/python test/fixtures/examples/model_ensembling_torch.py > test/fixtures/examples/model_ensembling_torch.txt
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { np } from "jaxon-ts";
import { fit, run } from "../examples/polynomial-optim.js";
import { fitAdam, fitSgd, setup } from "../examples/two-layer-net.js";
import * as ensembling from "../examples/model-ensembling.js";

interface PolynomialFixture {
  torch: string;
  weight0: number[];
  bias0: number;
  losses: number[];
  coefficients: number[];
  leastSquares: number[];
  leastSquaresLoss: number;
}

const fixtures = join(import.meta.dirname, "fixtures/examples");
const poly = JSON.parse(readFileSync(join(fixtures, "polynomial_optim_torch.json"), "utf8")) as PolynomialFixture;
const polyText = readFileSync(join(fixtures, "polynomial_optim_torch.txt"), "utf8");
const out = mkdtempSync(join(tmpdir(), "jaxon-tutorials-pytorch-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("polynomial-optim beside PyTorch's optim example (Learning PyTorch with Examples)", () => {
  // jaxon from torch's starting weights: one run shared by the checks below (2000 jitted steps, ~2 s)
  let fromTorch: ReturnType<typeof fit> | undefined;
  const jaxonFromTorch = () =>
    (fromTorch ??= fit({ w: np.array(poly.weight0).reshape([3, 1]), b: np.array([poly.bias0]) }, poly.losses.length));
  const lstar = poly.leastSquaresLoss;

  it("the fixture is the tutorial's run: 2000 steps, the losses it printed, near the least-squares cubic", () => {
    expect(poly.losses).toHaveLength(2000);
    // the printed lines t = 99, 199, ... are the recorded losses
    const printed = [...polyText.matchAll(/^(\d+) ([\d.e+-]+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(printed.map(([t]) => t)).toEqual(Array.from({ length: 20 }, (_v, i) => 100 * i + 99));
    for (const [t, l] of printed) expect(l).toBe(poly.losses[t]);
    // a and c vanish for an odd target on symmetric points; b and d are sin's cubic fit on [−π, π]
    expect(poly.leastSquares[1]).toBeCloseTo(0.8567, 4);
    expect(poly.leastSquares[3]).toBeCloseTo(-0.0933, 4);
  });

  it("from torch's start, jaxon's RMSprop follows torch.optim.RMSprop step by step for 1200 steps", () => {
    const { losses } = jaxonFromTorch();
    // the first loss is one float32 sum of 2000 squares, in another order than torch's
    expect(Math.abs(losses[0] - poly.losses[0]) / poly.losses[0]).toBeLessThan(1e-6);
    // the same updates in float32: measured ≤ 2.5e-6 relative over these steps (the rounding of
    // 2000-term sums, carried along), while the loss falls by four orders of magnitude
    for (let t = 0; t < 1200; t++) expect(Math.abs(losses[t] - poly.losses[t]) / poly.losses[t], `step ${t}`).toBeLessThan(1e-5);
  });

  it("after step 1200 both hover at the least-squares minimum, with RMSprop's bursts", () => {
    // By step 1200 the gradients of a and c (the even terms) are ~1e-5 and RMSprop's running mean
    // square of them decays toward 0, so g/√v turns rounding noise into steps of ±lr: both runs jump
    // away and back at times that depend on the last bits (torch at step 1534 to 1.30 L*, jaxon at
    // 1574 to 1.17 L*). They agree on where they hover, not on when they burst.
    const { losses, params } = jaxonFromTorch();
    const tail = (l: number[]) => l.slice(1500);
    const mean = (l: number[]) => l.reduce((s, v) => s + v, 0) / l.length;
    for (const l of tail(losses)) {
      expect(l).toBeGreaterThan(lstar * (1 - 1e-5));
      expect(l).toBeLessThan(lstar * 1.35); // torch's own largest burst after step 1500: 1.30 L*
    }
    expect(Math.abs(mean(tail(losses)) - mean(tail(poly.losses))) / lstar).toBeLessThan(0.02);
    const w = Array.from(params.w.dataSync());
    const coefficients = [params.b.reshape([]).itemSync(), ...w];
    // b and d oscillate by about lr (1e-3) per step around the minimum; a and c by the bursts
    expect(Math.abs(coefficients[1] - poly.coefficients[1])).toBeLessThan(3e-3);
    expect(Math.abs(coefficients[3] - poly.coefficients[3])).toBeLessThan(3e-3);
    expect(Math.abs(coefficients[0])).toBeLessThan(1e-2);
    expect(Math.abs(coefficients[2])).toBeLessThan(1e-2);
  });

  it("the example from its own start (jaxon's random key) ends where torch's tutorial ends", async () => {
    const result = await run({ quiet: true, png: false, outDir: out });
    expect(result.losses).toHaveLength(2000);
    const last = result.losses[1999];
    expect(last).toBeGreaterThan(lstar * (1 - 1e-5));
    expect(last).toBeLessThan(lstar * 1.35);
    expect(Math.abs(result.coefficients[1] - poly.coefficients[1])).toBeLessThan(3e-3);
    expect(Math.abs(result.coefficients[3] - poly.coefficients[3])).toBeLessThan(3e-3);
    // torch's default init for Linear(3, 1): everything within ±1/√3
    for (const c of result.start) expect(Math.abs(c)).toBeLessThanOrEqual(1 / Math.sqrt(3));
    expect(result.files.map((f) => f.slice(out.length + 1)).sort()).toEqual(["loss.svg", "polynomial-optim.svg"]);
  });
});

interface TwoLayerFixture {
  torch: string;
  start: { xSum: number; ySum: number; w1Sum: number; w1First: number[]; b1First: number[]; w2Sum: number; b2Sum: number };
  sgd: number[];
  adam: number[];
}

const twoLayer = JSON.parse(readFileSync(join(fixtures, "two_layer_net_torch.json"), "utf8")) as TwoLayerFixture;
const twoLayerText = readFileSync(join(fixtures, "two_layer_net_torch.txt"), "utf8");

describe("two-layer-net beside PyTorch's two-layer network (Learning PyTorch with Examples: nn, optim)", () => {
  const sum = (v: { dataSync(): ArrayLike<number> }) => Array.from(v.dataSync()).reduce((s, a) => s + a, 0);
  let start: ReturnType<typeof setup> | undefined;
  const shared = () => (start ??= setup(0)); // drawn once (~1 s), used by the three checks below

  it("the fixture holds both runs, 500 steps each, and the lines the script printed", () => {
    expect(twoLayer.sgd).toHaveLength(500);
    expect(twoLayer.adam).toHaveLength(500);
    const fromJaxonStart = twoLayerText.slice(twoLayerText.indexOf("## from jaxon's start"));
    const printed = [...fromJaxonStart.matchAll(/^(\d+) ([\d.e+-]+)$/gm)].map((m) => Number(m[2]));
    const every100 = [99, 199, 299, 399, 499];
    expect(printed).toEqual([...every100.map((t) => twoLayer.sgd[t]), ...every100.map((t) => twoLayer.adam[t])]);
  });

  it("jaxon's random.key(0) gives the data and weights JAX drew for torch", () => {
    const { x, y, params } = shared();
    const [l1, , l2] = params;
    // the same random bits (jaxon's threefry is JAX's): the sums agree to float32 rounding
    expect(Math.abs(sum(x) - twoLayer.start.xSum)).toBeLessThan(1e-3);
    expect(Math.abs(sum(y) - twoLayer.start.ySum)).toBeLessThan(1e-4);
    expect(Math.abs(sum(l1.w) - twoLayer.start.w1Sum)).toBeLessThan(1e-3);
    expect(Math.abs(sum(l2.w) - twoLayer.start.w2Sum)).toBeLessThan(1e-4);
    expect(Math.abs(sum(l2.b) - twoLayer.start.b2Sum)).toBeLessThan(1e-5);
    // uniform(lo, hi) is u·(hi − lo) + lo: JAX rounds the product and the sum apart, and jaxon's
    // one multiply-add can differ from that by an ulp of the product (|u·(hi − lo)| < 0.064, an ulp
    // ≤ 3.8e-9); measured 5.2e-10 on these entries
    const near = (got: ArrayLike<number>, want: number[]) => want.forEach((w, i) => expect(Math.abs(got[i] - w)).toBeLessThan(4e-9));
    near(l1.w.dataSync(), twoLayer.start.w1First);
    near(l1.b.dataSync(), twoLayer.start.b1First);
  });

  // 100 of the 500 steps each, to keep the test short (the full runs take ~5 s each here); over all
  // 500 the measured largest relative differences are 1.2e-4 (by hand) and 1.8e-3 (Adam), while the
  // loss falls from 733 to 1e-5: float32 rounding carried along, relative to a loss 8 orders smaller
  it("gradient descent by hand: jaxon's losses are torch's for the first 100 steps", () => {
    const { x, y, params } = shared();
    const { losses } = fitSgd(x, y, params, 100);
    // the first loss is the same float32 number (the same start, summed in another order)
    expect(Math.abs(losses[0] - twoLayer.sgd[0]) / twoLayer.sgd[0]).toBeLessThan(1e-6);
    // measured ≤ 3.7e-7 relative over these steps while the loss falls from 733 to 2.7
    for (let t = 0; t < 100; t++) expect(Math.abs(losses[t] - twoLayer.sgd[t]) / twoLayer.sgd[t], `step ${t}`).toBeLessThan(2e-6);
  });

  it("Adam: jaxon's losses are torch.optim.Adam's for the first 100 steps", () => {
    const { x, y, params } = shared();
    const { losses } = fitAdam(x, y, params, 100);
    // Adam divides by √v, so float32 differences in small gradient entries grow faster than in plain
    // descent: measured ≤ 2.4e-5 relative over these steps (loss 733 → 68)
    for (let t = 0; t < 100; t++) expect(Math.abs(losses[t] - twoLayer.adam[t]) / twoLayer.adam[t], `step ${t}`).toBeLessThan(1e-4);
  });
});

interface EnsemblingFixture {
  minibatchSum: number;
  eachFirstRows: number[][][];
  sameFirstRows: number[][][];
  eachSums: number[];
  sameSums: number[];
}

const ens = JSON.parse(readFileSync(join(fixtures, "model_ensembling_torch.json"), "utf8")) as EnsemblingFixture;

describe("model-ensembling beside PyTorch's Model ensembling (torch.func.stack_module_state + torch.vmap)", () => {
  it("jaxon's vmap over the stacked models gives torch.vmap's predictions, from the same JAX-drawn start", () => {
    const { minibatches, models } = ensembling.setup(0);
    expect(Math.abs(Array.from(minibatches.dataSync()).reduce((a, v) => a + v, 0) - ens.minibatchSum)).toBeLessThan(1e-2);
    const params = ensembling.stack(models);
    const each = ensembling.predictEach(params, minibatches);
    const same = ensembling.predictSame(params, minibatches.get(0));
    expect(each.shape).toEqual([10, 64, 10]);
    expect(same.shape).toEqual([10, 64, 10]);
    // float32 dot products of length 784 and 128 summed in other orders, outputs ~0.1-0.5: measured
    // differences are ~1e-7; the uniform weights may differ from JAX's by one rounding (≤ 3.8e-9)
    for (const [got, rows, sums] of [[each, ens.eachFirstRows, ens.eachSums], [same, ens.sameFirstRows, ens.sameSums]] as const) {
      const v = got.dataSync();
      for (let m = 0; m < 10; m++) {
        for (let r = 0; r < 4; r++) for (let c = 0; c < 10; c++) expect(Math.abs(v[m * 640 + r * 10 + c] - rows[m][r][c])).toBeLessThan(1e-5);
        let total = 0;
        for (let i = 0; i < 640; i++) total += v[m * 640 + i];
        expect(Math.abs(total - sums[m])).toBeLessThan(1e-4);
      }
    }
  });

  it("the example's vmapped predictions equal its loop's, as the tutorial asserts", async () => {
    const r = await ensembling.run({ quiet: true, steps: 1 });
    // the same float32 arithmetic per model, batched: the tutorial's tolerance, and in fact far closer
    expect(Boolean(np.allclose(r.each, r.eachLoop, { atol: 1e-3, rtol: 1e-5 }).itemSync())).toBe(true);
    expect(Boolean(np.allclose(r.same, r.sameLoop, { atol: 1e-3, rtol: 1e-5 }).itemSync())).toBe(true);
    expect(np.max(np.abs(r.each.sub(r.eachLoop))).itemSync()).toBeLessThan(1e-5);
  });
});
