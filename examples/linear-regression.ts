/**
 * Linear regression: 100 points y = 2x + 1 + 0.3·noise (x and the noise
 * standard normal, drawn with jaxon's `random`), fitted by `nn.Dense(1)`
 * (inside stax's `serial`) with the mean squared error and `optim.sgd(0.01)`
 * for 2000 jitted steps. Prints w and b before and after; plots the data and
 * the fitted line.
 */
import { jit, nn, optim, random, valueAndGrad, type Value } from "jaxon-ts";
import { type ExampleOptions, type ExampleResult, formatMs, formatNumber, logger, outputDir, reportFiles, savePlot, since, thin } from "./plot.js";

export interface LinearRegressionResult extends ExampleResult {
  /** The loss before each step. */
  losses: number[];
  before: { w: number; b: number };
  after: { w: number; b: number };
}

const n = 100;
const trueW = 2;
const trueB = 1;
const lr = 0.01;

const model = nn.serial(nn.Dense(1));
/** The params of the model, as its init gives them: `[DenseParams]`. */
type Params = ReturnType<typeof model.init>[1];
const loss = (params: Params, x: Value, y: Value) => nn.mse(model.apply(params, x), y);
const opt = optim.sgd(lr);
type State = ReturnType<typeof opt.init>;

const trainStep = jit((params: Params, state: State, x: Value, y: Value) => {
  const [l, grads] = valueAndGrad(loss)(params, x, y);
  const [updates, next] = opt.update(grads, state, params);
  return { params: optim.applyUpdates(params, updates), state: next, loss: l };
});

/** The weight and bias of the one Dense layer, as numbers. */
function wb(params: Params): { w: number; b: number } {
  const dense = params[0];
  return { w: dense.w.reshape([]).itemSync(), b: dense.b.reshape([]).itemSync() };
}

/** Fits the line with `steps` (default 2000) SGD steps. */
export async function run(options: ExampleOptions = {}): Promise<LinearRegressionResult> {
  const log = logger(options.quiet);
  const steps = options.steps ?? 2000;
  const [kx, kNoise, kInit] = random.split(random.key(0), 3);
  const x = random.normal(kx, [n, 1]);
  const y = x.mul(trueW).add(trueB).add(random.normal(kNoise, [n, 1]).mul(0.3));
  let [, params] = model.init(kInit, [-1, 1]);
  let state = opt.init(params);

  const before = wb(params);
  log(`linear regression on ${n} points y = ${trueW}x + ${trueB} + 0.3·noise: nn.serial(nn.Dense(1)), MSE, SGD lr ${lr}, ${steps} steps`);
  log(`before: w = ${formatNumber(before.w)}, b = ${formatNumber(before.b)}`);

  const losses: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const out = trainStep(params, state, x, y);
    params = out.params;
    state = out.state;
    losses.push(out.loss.itemSync());
    if ([25, 50, 100, 200].includes(i) || i % 500 === 0 || i === steps - 1) log(`  step ${String(i).padStart(4)}  loss ${formatNumber(losses[i])}`);
  }
  const ms = since(t0);
  const after = wb(params);
  log(`after:  w = ${formatNumber(after.w)}, b = ${formatNumber(after.b)}   (true: w = ${trueW}, b = ${trueB})`);
  log(`MSE ${formatNumber(losses[0])} → ${formatNumber(losses[losses.length - 1])} (the noise alone gives about 0.09); ${steps} steps in ${formatMs(ms)} (${Math.round((steps / ms) * 1000)} steps/s)`);

  const dir = outputDir("linear-regression", options);
  const xs = Array.from(x.dataSync());
  const ys = Array.from(y.dataSync());
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const line = (p: { w: number; b: number }, fit: string) => [lo, hi].map((v) => ({ x: v, y: p.w * v + p.b, fit }));
  const fitLabel = `fitted: y = ${after.w.toFixed(3)}x + ${after.b.toFixed(3)}`;
  const initLabel = `initial: y = ${before.w.toFixed(3)}x + ${before.b.toFixed(3)}`;
  const files = [
    ...(await savePlot(
      {
        title: { text: "Linear regression with nn.Dense(1)", subtitle: `${n} points y = 2x + 1 + 0.3·noise; SGD lr ${lr}, ${steps} steps` },
        width: 480,
        height: 320,
        layer: [
          {
            data: { values: xs.map((v, i) => ({ x: v, y: ys[i] })) },
            mark: { type: "point", filled: true, opacity: 0.6, color: "#4c78a8" },
            encoding: { x: { field: "x", type: "quantitative", title: "x" }, y: { field: "y", type: "quantitative", title: "y" } },
          },
          {
            data: { values: [...line(before, initLabel), ...line(after, fitLabel)] },
            mark: { type: "line", strokeWidth: 2 },
            encoding: {
              x: { field: "x", type: "quantitative" },
              y: { field: "y", type: "quantitative" },
              color: { field: "fit", type: "nominal", title: null, scale: { domain: [fitLabel, initLabel], range: ["#e45756", "#bbbbbb"] }, legend: { orient: "top-left", labelLimit: 400 } },
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
        data: { values: thin(losses.map((l, i) => ({ step: i, loss: l }))) },
        mark: { type: "line", color: "#4c78a8" },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "loss", type: "quantitative", title: "MSE (log scale)", scale: { type: "log" } },
        },
      },
      dir,
      "loss",
      options,
    )),
  ];
  reportFiles(log, files);
  return { files, losses, before, after };
}
