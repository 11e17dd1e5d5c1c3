/**
 * The "PyTorch: optim" example of PyTorch's *Learning PyTorch with Examples*
 * (pytorch/tutorials, beginner_source/examples_nn/polynomial_optim.py,
 * BSD-3-Clause), in its setting: a third-order polynomial
 * y = a + b·x + c·x² + d·x³, a dense layer 3 → 1 over (x, x², x³), fitted to
 * sin(x) at 2000 points in [−π, π] by the summed squared error with RMSprop
 * (learning rate 1e-3, torch's decay 0.99) for 2000 jitted steps. The layer
 * starts as torch's `nn.Linear(3, 1)` does, weights and bias uniform in
 * ±1/√3. Prints the loss every 100 steps and the polynomial; plots sin(x)
 * with the fitted polynomial, and the loss.
 */
import { jit, nn, np, optim, random, valueAndGrad, type Value } from "jaxon-ts";
import { type ExampleOptions, type ExampleResult, formatMs, logger, outputDir, progress, reportFiles, savePlot, since, thin } from "./plot.js";

/** The dense layer's weights: `w` is [3, 1] (torch's `weight` transposed), `b` is [1]. */
export interface PolyParams {
  w: Value;
  b: Value;
}

export interface PolynomialOptimResult extends ExampleResult {
  /** The summed squared error before each step. */
  losses: number[];
  /** a, b, c, d of y = a + b·x + c·x² + d·x³ after the last step. */
  coefficients: [number, number, number, number];
  /** The same four before the first step. */
  start: [number, number, number, number];
}

/** The tutorial's learning rate. */
export const learningRate = 1e-3;

/** The data: x = linspace(−π, π, 2000), the features (x, x², x³) as a [2000, 3] array, and y = sin(x). */
export function data(): { x: Value; xx: Value; y: Value } {
  const x = np.linspace(-Math.PI, Math.PI, 2000);
  const xx = np.power(x.reshape([-1, 1]), np.array([1, 2, 3]));
  return { x, xx, y: np.sin(x) };
}

/** torch's default for `nn.Linear(fanIn, …)`: weights and bias uniform in ±1/√fanIn. */
const torchUniform =
  (fanIn: number): nn.Initializer =>
  (key, shape, dtype = "float32") =>
    random.uniform(key, shape, { dtype, minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn) });

/** The model, `nn.serial(nn.Dense(1))` with torch's initialization. */
export const model = nn.serial(nn.Dense(1, { wInit: torchUniform(3), bInit: torchUniform(3) }));

/** RMSprop as `torch.optim.RMSprop(lr)` sets it: decay (torch's `alpha`) 0.99, eps 1e-8. */
export const optimizer = () => optim.rmsprop(learningRate, { decay: 0.99, eps: 1e-8 });

const coefficientsOf = (p: PolyParams): [number, number, number, number] => {
  const w = Array.from(p.w.dataSync());
  return [p.b.reshape([]).itemSync(), w[0], w[1], w[2]];
};

/**
 * Runs `steps` RMSprop steps from `start`, each one jitted function, and
 * returns the parameters and the loss before each step. `onStep` sees each
 * step's index and loss (for the progress bar).
 */
export function fit(start: PolyParams, steps: number, onStep?: (t: number, loss: number) => void): { params: PolyParams; losses: number[] } {
  const { xx, y } = data();
  const loss = (p: PolyParams, xx: Value, y: Value) => np.sum(np.square(model.apply([p], xx).reshape([-1]).sub(y)));
  const opt = optimizer();
  const step = jit((p: PolyParams, state: ReturnType<typeof opt.init>, xx: Value, y: Value) => {
    const [l, grads] = valueAndGrad(loss)(p, xx, y);
    const [updates, next] = opt.update(grads, state, p);
    return { params: optim.applyUpdates(p, updates), state: next, loss: l };
  });
  let params = start;
  let state = opt.init(params);
  const losses: number[] = [];
  for (let t = 0; t < steps; t++) {
    const out = step(params, state, xx, y);
    params = out.params;
    state = out.state;
    losses.push(out.loss.itemSync());
    onStep?.(t, losses[t]);
  }
  return { params, losses };
}

const term = (c: number, power: string) => `${c < 0 ? "−" : "+"} ${Math.abs(c).toFixed(4)}${power}`;
/** y = a + b x + c x² + d x³ with 4 decimals. */
export function formatPolynomial([a, b, c, d]: number[]): string {
  return `y = ${a.toFixed(4)} ${term(b, " x")} ${term(c, " x²")} ${term(d, " x³")}`;
}

/** Fits the polynomial with `steps` (default 2000) RMSprop steps. */
export async function run(options: ExampleOptions = {}): Promise<PolynomialOptimResult> {
  const log = logger(options.quiet);
  const steps = options.steps ?? 2000;
  const [, [init]] = model.init(random.key(0), [-1, 3]);
  const start = coefficientsOf(init);
  log(`a + b x + c x² + d x³ fitted to sin(x) on 2000 points in [−π, π]: summed squared error, RMSprop (lr ${learningRate}), ${steps} steps`);
  log(`start: ${formatPolynomial(start)}`);
  const bar = progress("RMSprop", steps, options.quiet);
  const t0 = performance.now();
  const { params, losses } = fit(init, steps, (t, l) => {
    if (t % 100 === 99) bar.log(`${String(t).padStart(4)} ${l.toFixed(4)}`);
    if (t % 20 === 19 || t === steps - 1) bar.update(t + 1, l);
  });
  bar.stop();
  const ms = since(t0);
  const coefficients = coefficientsOf(params);
  log(`Result: ${formatPolynomial(coefficients)}`);
  log(`${steps} jitted steps in ${formatMs(ms)}`);

  const dir = outputDir("polynomial-optim", options);
  const grid = Array.from({ length: 201 }, (_v, i) => -Math.PI + (2 * Math.PI * i) / 200);
  const [a, b, c, d] = coefficients;
  const curves = grid.flatMap((x) => [
    { x, y: Math.sin(x), curve: "sin(x)" },
    { x, y: a + b * x + c * x * x + d * x * x * x, curve: "the fitted polynomial" },
  ]);
  const files = [
    ...(await savePlot(
      {
        title: { text: "A cubic fitted to sin(x) with RMSprop", subtitle: formatPolynomial(coefficients) },
        width: 480,
        height: 280,
        data: { values: curves },
        mark: { type: "line" },
        encoding: {
          x: { field: "x", type: "quantitative", title: "x", scale: { domain: [-Math.PI, Math.PI], nice: false } },
          y: { field: "y", type: "quantitative", title: "y" },
          color: { field: "curve", type: "nominal", title: null, legend: { orient: "top-left", labelLimit: 300 } },
        },
      },
      dir,
      "polynomial-optim",
      options,
    )),
    ...(await savePlot(
      {
        title: "Summed squared error (log scale)",
        width: 480,
        height: 240,
        data: { values: thin(losses.map((l, i) => ({ step: i, loss: l }))) },
        mark: { type: "line" },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "loss", type: "quantitative", title: "loss", scale: { type: "log" } },
        },
      },
      dir,
      "loss",
      options,
    )),
  ];
  reportFiles(log, files);
  return { files, losses, coefficients, start };
}
