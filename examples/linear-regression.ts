/**
 * Linear regression, the exercise that closes section 3 of Xavier Olive's
 * course *Optimisation for AI* (xoolive/optim4ai, CC BY-SA 4.0), in its
 * setting: 100 points x = 2·uniform, y = 3x + 4 + noise (standard normal),
 * drawn with jaxon's `random`; a line ŷ = a·x + b with a and b uniform in
 * [0, 1); the mean squared error; Adam for 200 jitted steps. The exercise's
 * animations compare three learning rates, 1e-2, 6e-2 and 5e-1: all three
 * run here from the same start. Prints a, b and the loss for each; plots the
 * data with the three fitted lines, and the three losses.
 */
import { jit, np, optim, random, valueAndGrad, type Value } from "jaxon-ts";
import { type ExampleOptions, type ExampleResult, formatMs, formatNumber, logger, outputDir, reportFiles, savePlot, since, thin } from "./plot.js";

export interface LinearRegressionRun {
  lr: number;
  /** The loss before each step. */
  losses: number[];
  after: { a: number; b: number };
}

export interface LinearRegressionResult extends ExampleResult {
  /** One run per learning rate, in the order of `learningRates`. */
  runs: LinearRegressionRun[];
  /** a and b before the first step (the same for every run). */
  before: { a: number; b: number };
  /** The run with the original's learning rate, 5e-1. */
  main: LinearRegressionRun;
  /** The least-squares line (the exercise's closed form), from `np.linalg.lstsq`. */
  leastSquares: { a: number; b: number; loss: number };
}

const n = 100;
const trueA = 3;
const trueB = 4;
/** The learning rates of the course's three animations; its script uses 5e-1. */
export const learningRates = [1e-2, 6e-2, 5e-1];

export interface Params {
  a: Value;
  b: Value;
}

const loss = (p: Params, x: Value, y: Value) => np.mean(y.sub(p.a.mul(x).add(p.b)).square());

/**
 * Fits ŷ = a·x + b to `(x, y)` from `start` with `steps` Adam steps at
 * learning rate `lr`, each step one jitted function. Returns the final a and
 * b and the loss before each step.
 */
export function fit(x: Value, y: Value, start: Params, lr: number, steps: number): { params: Params; losses: number[] } {
  const opt = optim.adam(lr);
  const step = jit((p: Params, state: ReturnType<typeof opt.init>) => {
    const [l, grads] = valueAndGrad(loss)(p, x, y);
    const [updates, next] = opt.update(grads, state, p);
    return { params: optim.applyUpdates(p, updates), state: next, loss: l };
  });
  let params = start;
  let state = opt.init(params);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const out = step(params, state);
    params = out.params;
    state = out.state;
    losses.push(out.loss.itemSync());
  }
  return { params, losses };
}

const scalar = (v: Value) => v.reshape([]).itemSync();

/** Fits the line with `steps` (default 200) Adam steps for each of the three learning rates. */
export async function run(options: ExampleOptions = {}): Promise<LinearRegressionResult> {
  const log = logger(options.quiet);
  const steps = options.steps ?? 200;
  const [kx, kNoise, ka, kb] = random.split(random.key(0), 4);
  const x = random.uniform(kx, [n, 1]).mul(2);
  const y = x.mul(trueA).add(trueB).add(random.normal(kNoise, [n, 1]));
  const init: Params = { a: random.uniform(ka, [1]), b: random.uniform(kb, [1]) };
  const before = { a: scalar(init.a), b: scalar(init.b) };
  log(`linear regression on ${n} points x = 2·uniform, y = ${trueA}x + ${trueB} + noise: ŷ = a·x + b, MSE, Adam, ${steps} steps`);
  log(`before: a = ${formatNumber(before.a)}, b = ${formatNumber(before.b)}`);

  const runs: LinearRegressionRun[] = [];
  const t0 = performance.now();
  for (const lr of learningRates) {
    const { params, losses } = fit(x, y, init, lr, steps);
    const after = { a: scalar(params.a), b: scalar(params.b) };
    runs.push({ lr, losses, after });
    log(`lr ${String(lr).padEnd(4)}  a = ${formatNumber(after.a)}, b = ${formatNumber(after.b)}, loss ${formatNumber(losses[0])} → ${formatNumber(losses[losses.length - 1])}`);
  }
  const ms = since(t0);
  const main = runs[runs.length - 1];
  const lsFit = np.linalg.lstsq(np.concatenate([x, np.onesLike(x)], 1), y)[0];
  const [lsA, lsB] = Array.from(lsFit.dataSync());
  const lsLoss = loss({ a: np.array([lsA]), b: np.array([lsB]) }, x, y).itemSync();
  log(`least squares: a = ${formatNumber(lsA)}, b = ${formatNumber(lsB)}, loss ${formatNumber(lsLoss)}   (true: a = ${trueA}, b = ${trueB})`);
  log(`${learningRates.length} × ${steps} steps in ${formatMs(ms)}`);

  const dir = outputDir("linear-regression", options);
  const xs = Array.from(x.dataSync());
  const ys = Array.from(y.dataSync());
  const label = (r: LinearRegressionRun) => `lr ${r.lr}: y = ${r.after.a.toFixed(3)}x + ${r.after.b.toFixed(3)}`;
  const lines = runs.flatMap((r) => [0, 2].map((v) => ({ x: v, y: r.after.a * v + r.after.b, fit: label(r) })));
  const colors = ["#bbbbbb", "#f58518", "#e45756"];
  const files = [
    ...(await savePlot(
      {
        title: { text: "Linear regression with Adam", subtitle: `${n} points y = 3x + 4 + noise; ${steps} steps at three learning rates` },
        width: 480,
        height: 320,
        layer: [
          {
            data: { values: xs.map((v, i) => ({ x: v, y: ys[i] })) },
            mark: { type: "point", filled: true, opacity: 0.6, color: "#4c78a8" },
            encoding: { x: { field: "x", type: "quantitative", title: "x" }, y: { field: "y", type: "quantitative", title: "y" } },
          },
          {
            data: { values: lines },
            mark: { type: "line", strokeWidth: 2 },
            encoding: {
              x: { field: "x", type: "quantitative" },
              y: { field: "y", type: "quantitative" },
              color: { field: "fit", type: "nominal", title: null, scale: { domain: runs.map(label), range: colors }, legend: { orient: "top-left", labelLimit: 400 } },
            },
          },
        ],
      },
      dir,
      "linear-regression",
      options,
    )),
    ...(await savePlot(
      {
        title: "Linear regression: training loss",
        width: 480,
        height: 240,
        data: { values: runs.flatMap((r) => thin(r.losses.map((l, i) => ({ step: i, loss: l, lr: `lr ${r.lr}` })))) },
        mark: { type: "line" },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "loss", type: "quantitative", title: "MSE (log scale)", scale: { type: "log" } },
          color: { field: "lr", type: "nominal", title: null, scale: { domain: runs.map((r) => `lr ${r.lr}`), range: colors } },
        },
      },
      dir,
      "loss",
      options,
    )),
  ];
  reportFiles(log, files);
  return { files, runs, before, main, leastSquares: { a: lsA, b: lsB, loss: lsLoss } };
}
