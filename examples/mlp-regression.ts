/**
 * The tutorials' MLP: fit y = sin(x0) + cos(x1) + 0.1·noise from 1000 points
 * x ~ 3.14·N(0, 1)² with a network 2 → 50 → sigmoid → 1 and the
 * sum-of-squares loss,
 *
 * 1. with SGD (lr 1e-4) for 1000 steps,
 * 2. with Adam (lr 1e-3) for 1000 steps, from the same initial weights,
 * 3. then a deeper net, 2 → 64 → tanh → 64 → tanh → 1, with Adam for 2000 steps,
 *
 * each training step one `jit`ted function (loss, gradients, optimizer
 * update). The plots: the loss curves, and each net's prediction on a
 * 100 × 100 grid over [−10, 10]² next to the true function (the data cover
 * roughly [−6, 6]²: outside, the nets extrapolate).
 */
import { jit, nn, np, optim, random, valueAndGrad, type Value } from "jaxon-ts";
import {
  type ExampleOptions,
  type ExampleResult,
  formatMs,
  formatNumber,
  logger,
  outputDir,
  progress,
  reportFiles,
  savePlot,
  since,
  thin,
  type TopLevelSpec,
} from "./plot.js";

type Params = unknown[];
type Net = nn.Layer<Params>;

export interface MlpRun {
  name: string;
  /** The loss before each step. */
  losses: number[];
  ms: number;
  /** The net's prediction on the grid, row-major ([grid, grid], x0 fastest). */
  prediction: Float32Array;
}

export interface MlpRegressionResult extends ExampleResult {
  runs: MlpRun[];
}

const nPoints = 1000;
const grid = 100;
const range = 10;

/** sum over the points of (net(x) − y)², as the tutorial's `((pred − y)**2).sum()`. */
const sumOfSquares = (net: Net) => (params: Params, x: Value, y: Value) => net.apply(params, x).sub(y).square().sum();

/** Trains `params` with `opt` for `steps` jitted steps; logs the loss every `every` steps. */
function train(
  label: string,
  net: Net,
  params: Params,
  opt: optim.GradientTransformation<optim.OptState>,
  data: { x: Value; y: Value },
  steps: number,
  log: (...args: unknown[]) => void,
  quiet: boolean,
): { params: Params; losses: number[]; ms: number } {
  const loss = sumOfSquares(net);
  const step = jit((p: Params, s: optim.OptState, x: Value, y: Value) => {
    const [l, grads] = valueAndGrad(loss)(p, x, y);
    const [updates, next] = opt.update(grads, s, p);
    return { params: optim.applyUpdates(p, updates), state: next, loss: l };
  });
  let state = opt.init(params);
  const losses: number[] = [];
  const bar = progress(label, steps, quiet);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const out = step(params, state, data.x, data.y);
    params = out.params;
    state = out.state;
    losses.push(out.loss.itemSync());
    if (i % 100 === 0 || i === steps - 1) bar.log(`  ${label}  step ${String(i).padStart(4)}  loss ${formatNumber(losses[i])}`);
    if (i % 10 === 0) bar.update(i + 1, losses[i]);
  }
  bar.stop();
  const ms = since(t0);
  log(`  ${label}: loss ${formatNumber(losses[0])} → ${formatNumber(losses[losses.length - 1])} in ${formatMs(ms)} (${Math.round((steps / ms) * 1000)} steps/s)`);
  return { params, losses, ms };
}

/** The grid's points [grid², 2], x0 varying fastest. */
function gridPoints(): Value {
  const ticks = np.linspace(-range, range, grid);
  const [g0, g1] = np.meshgrid(ticks, ticks);
  return np.stack([g0.reshape([-1]), g1.reshape([-1])], 1);
}

/** Fits the three nets; `steps` scales every phase (default: 1000, 1000 and 2000 steps). */
export async function run(options: ExampleOptions = {}): Promise<MlpRegressionResult> {
  const log = logger(options.quiet);
  const quiet = options.quiet ?? false;
  const steps = options.steps ?? 1000;
  const [kx, kNoise, kSmall, kDeep] = random.split(random.key(0), 4) as random.Key[];
  const x = random.normal(kx, [nPoints, 2]).mul(3.14);
  const y = np.sin(x.get(":", 0)).add(np.cos(x.get(":", 1))).add(random.normal(kNoise, [nPoints]).mul(0.1)).reshape([nPoints, 1]);
  const data = { x, y };
  log(`MLP regression: y = sin(x0) + cos(x1) + 0.1·noise, ${nPoints} points x ~ 3.14·N(0, 1)², sum-of-squares loss`);

  const small = nn.serial(nn.Dense(50), nn.Sigmoid, nn.Dense(1));
  const [, smallInit] = small.init(kSmall, [-1, 2]);
  const deep = nn.serial(nn.Dense(64), nn.Tanh, nn.Dense(64), nn.Tanh, nn.Dense(1));
  const [, deepInit] = deep.init(kDeep, [-1, 2]);

  const phases: { name: string; label: string; net: Net; init: Params; opt: optim.GradientTransformation<optim.OptState>; steps: number }[] = [
    { name: "2→50→1, SGD lr 1e-4", label: "sgd ", net: small, init: smallInit, opt: optim.sgd(1e-4), steps },
    { name: "2→50→1, Adam lr 1e-3", label: "adam", net: small, init: smallInit, opt: optim.adam(1e-3), steps },
    { name: "2→64→64→1, Adam lr 1e-3", label: "deep", net: deep, init: deepInit, opt: optim.adam(1e-3), steps: 2 * steps },
  ];
  const points = gridPoints();
  const runs: MlpRun[] = [];
  const t0 = performance.now();
  for (const phase of phases) {
    log(`\n${phase.name}, ${phase.steps} steps:`);
    const { params, losses, ms } = train(phase.label, phase.net, phase.init, phase.opt, data, phase.steps, log, quiet);
    const prediction = new Float32Array(phase.net.apply(params, points).dataSync());
    runs.push({ name: phase.name, losses, ms, prediction });
  }
  log(`\ntraining took ${formatMs(since(t0))} in all`);

  const dir = outputDir("mlp-regression", options);
  const files = [
    ...(await savePlot(lossSpec(runs), dir, "loss", options)),
    ...(await savePlot(predictionSpec(runs, (await points.data()) as Float32Array), dir, "prediction", options)),
  ];
  reportFiles(log, files);
  return { files, runs };
}

function lossSpec(runs: MlpRun[]): TopLevelSpec {
  // SGD's loss spikes in its first steps (to about 10⁵, from about 10³): the view stops at twice the
  // largest starting loss, and the spike runs off the top (clipped) rather than squashing the curves
  const top = 2 * Math.max(...runs.map((r) => r.losses[0]).filter(Number.isFinite));
  const bottom = Math.min(...runs.flatMap((r) => r.losses).filter((l) => l > 0 && Number.isFinite(l))) / 1.25;
  const peak = Math.max(...runs.flatMap((r) => r.losses).filter(Number.isFinite));
  return {
    title: {
      text: "MLP regression: training loss",
      subtitle: peak > top ? `sum of squares over 1000 points (log scale); SGD's first steps reach ${peak.toExponential(1)}, above the view` : "sum of squares over 1000 points (log scale)",
    },
    width: 520,
    height: 300,
    data: { values: runs.flatMap((r) => thin(r.losses.map((loss, step) => ({ step, loss, run: r.name })))) },
    mark: { type: "line", strokeWidth: 1.5, clip: true },
    encoding: {
      x: { field: "step", type: "quantitative", title: "step", scale: { domain: [0, Math.max(...runs.map((r) => r.losses.length - 1))], nice: false } },
      y: { field: "loss", type: "quantitative", title: "loss (log scale)", scale: { type: "log", domain: [bottom, top], nice: false } },
      color: { field: "run", type: "nominal", title: null, sort: runs.map((r) => r.name), legend: { orient: "top-right", labelLimit: 300 } },
    },
  };
}

/**
 * Heatmaps side by side: the true function, then each net's prediction, on
 * one colour scale. The cells are placed by grid index (so each is a whole
 * number of pixels and the SVG stays small); the axes are labelled in x.
 */
function predictionSpec(runs: MlpRun[], pointsFlat: Float32Array): TopLevelSpec {
  const px = 2; // pixels per cell
  // grid index i is at coordinate −range + i·step, and its cell spans [i, i + 1] in index space
  const step = (2 * range) / (grid - 1);
  const ticks = [-10, -5, 0, 5, 10].map((c) => (c + range) / step + 0.5);
  const labelExpr = `format((datum.value - 0.5) * ${step} - ${range}, '.0f')`;
  const axis = (title: string) => ({ field: "", type: "quantitative" as const, title, scale: { domain: [0, grid], nice: false, zero: false, round: true }, axis: { values: ticks, labelExpr, grid: false } });
  const panel = (title: string, values: (i: number) => number) => ({
    title,
    width: px * grid,
    height: px * grid,
    data: { values: Array.from({ length: grid * grid }, (_, k) => ({ i: k % grid, j: Math.floor(k / grid), z: values(k) })) },
    transform: [{ calculate: "datum.i + 1", as: "i1" }, { calculate: "datum.j + 1", as: "j1" }],
    mark: { type: "rect", aria: false },
    encoding: {
      x: { ...axis("x0"), field: "i" },
      x2: { field: "i1" },
      y: { ...axis("x1"), field: "j" },
      y2: { field: "j1" },
      color: { field: "z", type: "quantitative", title: "y", scale: { scheme: "viridis", domain: [-2.5, 2.5], clamp: true } },
    },
  });
  const truth = (k: number) => Math.sin(pointsFlat[2 * k]) + Math.cos(pointsFlat[2 * k + 1]);
  return {
    title: { text: "MLP regression on a 100 × 100 grid over [−10, 10]²", subtitle: "the training points lie mostly within [−6, 6]²; colours clamped to [−2.5, 2.5]" },
    hconcat: [panel("true: sin(x0) + cos(x1)", truth), ...runs.map((r) => panel(r.name, (k) => r.prediction[k]))],
    resolve: { scale: { color: "shared" } },
  } as TopLevelSpec;
}
