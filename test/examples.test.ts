/**
 * The examples in `examples/` run end to end with few steps: each writes its
 * plots (SVG and PNG) and its loss is finite and goes down.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const repo = join(import.meta.dirname, "..");
const root = mkdtempSync(join(tmpdir(), "jaxon-examples-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Options for a quick run into a fresh folder. */
function quick(name: string, steps: number) {
  return { steps, quiet: true, outDir: join(root, name) };
}

/** Asserts that each of `names` was written as SVG and PNG into `dir`, and that `files` lists them. */
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

/** Asserts that a loss history is finite and ends lower than it started (by at least `factor`). */
function expectDecreasing(losses: number[], factor = 1): void {
  expect(losses.length).toBeGreaterThan(1);
  for (const l of losses) expect(Number.isFinite(l)).toBe(true);
  expect(losses[losses.length - 1]).toBeLessThan(losses[0] / factor);
}

describe("examples", () => {
  it("gradient-descent: 0.1 and 0.6 converge, 1.5 diverges", async () => {
    const { run } = await import("../examples/gradient-descent.js");
    const o = quick("gradient-descent", 100);
    const r = await run(o);
    expectPlots(r.files, o.outDir, ["gradient-descent"]);
    const byLr = new Map(r.runs.map((x) => [x.lr, x]));
    for (const lr of [0.1, 0.6]) {
      const ys = byLr.get(lr)!.ys;
      expect(byLr.get(lr)!.converged).toBe(true);
      expectDecreasing(ys, 100);
      // |dy/dx| = 2|x| < 0.1 at the end
      expect(Math.abs(byLr.get(lr)!.xs.at(-1)!)).toBeLessThan(0.05);
    }
    expect(byLr.get(0.6)!.xs.length).toBeLessThan(byLr.get(0.1)!.xs.length);
    expect(byLr.get(1.5)!.diverged).toBe(true);
    // each step of lr 1.5 maps x to -2x
    expect(byLr.get(1.5)!.xs.slice(0, 4)).toEqual([-4, 8, -16, 32]);
  });

  it("sgd-quadratic: x after 500 steps is 1.5 (1 − 0.98^500)", async () => {
    const { run } = await import("../examples/sgd-quadratic.js");
    const o = quick("sgd-quadratic", 500);
    const r = await run(o);
    expectPlots(r.files, o.outDir, ["sgd-quadratic"]);
    expect(r.xs).toHaveLength(501);
    expect(r.expected).toBeCloseTo(1.5 * (1 - 0.98 ** 500), 12);
    expect(Math.abs(r.xs[500] - r.expected)).toBeLessThan(1e-5);
    expectDecreasing(r.losses);
    // the iterates follow the closed form all along
    for (const i of [1, 10, 100, 250]) expect(r.xs[i]).toBeCloseTo(1.5 * (1 - 0.98 ** i), 5);
  });

  it("linear-regression: for each learning rate the loss goes down and a, b move towards 3, 4; lr 0.5 reaches least squares", async () => {
    const { run, learningRates } = await import("../examples/linear-regression.js");
    const o = quick("linear-regression", 100);
    const r = await run(o);
    expectPlots(r.files, o.outDir, ["linear-regression", "loss"]);
    expect(r.runs.map((x) => x.lr)).toEqual(learningRates);
    for (const x of r.runs) {
      expect(x.losses).toHaveLength(100);
      expectDecreasing(x.losses, 2);
      expect(Math.abs(x.after.a - 3) + Math.abs(x.after.b - 4)).toBeLessThan(Math.abs(r.before.a - 3) + Math.abs(r.before.b - 4));
    }
    // the closed form the exercise mentions: Adam at lr 0.5 ends on the least-squares line
    expect(r.main.lr).toBe(0.5);
    expect(Math.abs(r.main.after.a - r.leastSquares.a)).toBeLessThan(0.05);
    expect(Math.abs(r.main.after.b - r.leastSquares.b)).toBeLessThan(0.05);
  });

  it("mlp-regression: three runs, each loss finite and going down", async () => {
    const { run } = await import("../examples/mlp-regression.js");
    const o = quick("mlp-regression", 50);
    const r = await run(o);
    expectPlots(r.files, o.outDir, ["loss", "prediction"]);
    expect(r.runs.map((x) => x.losses.length)).toEqual([50, 50, 100]);
    for (const x of r.runs) {
      expectDecreasing(x.losses);
      expect(x.prediction).toHaveLength(100 * 100);
      expect(x.prediction.every(Number.isFinite)).toBe(true);
    }
  });

  it("city-placement: the loss goes down", async () => {
    const { run, cities, haversineKm } = await import("../examples/city-placement.js");
    expect(cities).toHaveLength(36);
    expect(new Set(cities.map((c) => c[0])).size).toBe(36);
    // London–Paris is about 344 km
    expect(haversineKm(51.5074, -0.1278, 48.8566, 2.3522)).toBeGreaterThan(330);
    expect(haversineKm(51.5074, -0.1278, 48.8566, 2.3522)).toBeLessThan(355);
    const o = quick("city-placement", 300);
    const r = await run(o);
    expectPlots(r.files, o.outDir, ["loss", "map"]);
    expectDecreasing(r.losses, 2);
    // the tutorial's matrix (examples/data/distances.npy, written by numpy): float64, symmetric, and in
    // the cities' order: within 30 km of the haversine distances of the map's coordinates
    const { io } = await import("../src/index.js");
    const { readFileSync } = await import("node:fs");
    const { distancesPath } = await import("../examples/city-placement.js");
    const d = io.loadNpy(readFileSync(distancesPath));
    expect(d.dtype).toBe("float64");
    expect(d.shape).toEqual([36, 36]);
    const km = d.arraySync() as number[][];
    cities.forEach(([, la1, lo1], i) =>
      cities.forEach(([, la2, lo2], j) => {
        expect(km[i][j]).toBe(km[j][i]);
        expect(Math.abs(km[i][j] - haversineKm(la1, lo1, la2, lo2))).toBeLessThan(30);
      }),
    );
    // the tutorial's normalization: the distances' Frobenius norm is the unit
    expect(r.scaleKm).toBeCloseTo(Math.hypot(...km.flat()), 6);
  });

  it("batched-experiments: vmap over 32 learning rates agrees with a loop", async () => {
    const { run } = await import("../examples/batched-experiments.js");
    const o = quick("batched-experiments", 30);
    const r = await run(o);
    expectPlots(r.files, o.outDir, ["final-loss", "loss-curves"]);
    expect(r.learningRates).toHaveLength(32);
    expect(r.curves).toHaveLength(32);
    r.finalLosses.forEach((l, i) => {
      if (Number.isNaN(l)) expect(r.loopLosses[i]).toBeNaN();
      else expect(r.loopLosses[i]).toBeCloseTo(l, 4);
    });
    // small learning rates do not diverge, and their loss goes down
    for (const c of r.curves.slice(0, 16)) expectDecreasing(c);
  });

  it("signal-filter: tuning fc, g and τ through np.fft lowers the error well below the unfiltered signal's", async () => {
    const { run } = await import("../examples/signal-filter.js");
    const o = quick("signal-filter", 120);
    const r = await run(o);
    expectPlots(r.files, o.outDir, ["signal", "spectrum"]);
    expect(r.losses).toHaveLength(121);
    expectDecreasing(r.losses, 10);
    // the tuned filter beats no filter by far, and its cutoff moves below the 40 Hz interference
    expect(r.losses.at(-1)!).toBeLessThan(r.noisyLoss / 10);
    expect(r.cutoff[1]).toBeLessThan(40);
    expect(r.shift[1]).toBeGreaterThan(0);
  });

  // `npm run example -- NAME` runs the dispatcher with tsx in plain Node, whose module resolution is
  // stricter than vitest's: this catches imports that only a bundler resolves.
  it("npm run example -- NAME: the dispatcher runs an example in Node and rejects unknown names", () => {
    const tsx = join(repo, "node_modules", ".bin", "tsx");
    const out = join(root, "dispatcher");
    const ok = spawnSync(tsx, ["examples/run.ts", "sgd-quadratic", "--steps", "5", "--no-png", "--out", out], { cwd: repo, encoding: "utf8" });
    expect(ok.stderr + ok.stdout).toContain("final x");
    expect(ok.status).toBe(0);
    expect(existsSync(join(out, "sgd-quadratic.svg"))).toBe(true);
    const bad = spawnSync(tsx, ["examples/run.ts", "no-such-example"], { cwd: repo, encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("mlp-regression");
  });
});
