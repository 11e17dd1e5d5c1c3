/**
 * The two-layer network of PyTorch's *Learning PyTorch with Examples* (its
 * versions up to 2020; pytorch/tutorials, beginner_source/examples_nn/
 * two_layer_net_nn.py and two_layer_net_optim.py, BSD-3-Clause), in their
 * setting: random inputs x [64, 1000] and targets y [64, 10] (standard
 * normal), a network 1000 → 100 → relu → 10 whose dense layers start as
 * torch's `nn.Linear` does (uniform in ±1/√fan_in), the summed squared
 * error, and 500 steps twice from the same start: gradient descent by hand
 * with learning rate 1e-4 ("PyTorch: nn"), then Adam with learning rate
 * 1e-4 ("PyTorch: optim"). Every step is one jitted function. Prints the
 * loss every 100 steps as the tutorial does; plots both losses.
 */
import { jit, nn, np, optim, random, tree, valueAndGrad, type Value } from "jaxon-ts";
import { type ExampleOptions, type ExampleResult, formatMs, logger, outputDir, progress, reportFiles, savePlot, since, thin } from "./plot.js";

/** The tutorial's sizes: batch N, input D_in, hidden H, output D_out. */
export const N = 64;
export const D_in = 1000;
export const H = 100;
export const D_out = 10;
/** The tutorial's learning rate, for both runs. */
export const learningRate = 1e-4;

/** torch's default for `nn.Linear(fanIn, …)`: weights and bias uniform in ±1/√fanIn. */
const torchUniform =
  (fanIn: number): nn.Initializer =>
  (key, shape, dtype = "float32") =>
    random.uniform(key, shape, { dtype, minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn) });

/** The network, `Linear(D_in, H)`, `ReLU`, `Linear(H, D_out)`, with torch's initialization. */
export const model = nn.serial(
  nn.Dense(H, { wInit: torchUniform(D_in), bInit: torchUniform(D_in) }),
  nn.Relu,
  nn.Dense(D_out, { wInit: torchUniform(H), bInit: torchUniform(H) }),
);
/** The network's parameters, `[{ w, b }, [], { w, b }]`. */
export type Params = ReturnType<typeof model.init>[1];

/**
 * The data and the starting weights, all from `random.key(seed)`: x, y and
 * the network's initial parameters (split into 3 keys: x, y, init).
 */
export function setup(seed = 0): { x: Value; y: Value; params: Params } {
  const [kx, ky, kInit] = random.split(random.key(seed), 3);
  const [, params] = model.init(kInit, [-1, D_in]);
  return { x: random.normal(kx, [N, D_in]), y: random.normal(ky, [N, D_out]), params };
}

/** The summed squared error, `MSELoss(reduction='sum')`. */
export const loss = (params: Params, x: Value, y: Value) => np.sum(np.square(model.apply(params, x).sub(y)));

/** One step of gradient descent by hand, as "PyTorch: nn" updates each parameter: p ← p − lr·∇p. */
export const sgdStep = jit((params: Params, x: Value, y: Value) => {
  const [l, grads] = valueAndGrad(loss)(params, x, y);
  return { params: tree.map((p: Value, g: Value) => p.sub(g.mul(learningRate)), params, grads) as Params, loss: l };
});

const adam = optim.adam(learningRate);
/** One Adam step, as "PyTorch: optim" (torch's defaults: betas 0.9 and 0.999, eps 1e-8 outside the root, as optax). */
export const adamStep = jit((params: Params, state: ReturnType<typeof adam.init>, x: Value, y: Value) => {
  const [l, grads] = valueAndGrad(loss)(params, x, y);
  const [updates, next] = adam.update(grads, state, params);
  return { params: optim.applyUpdates(params, updates), state: next, loss: l };
});

/** `steps` steps of gradient descent by hand from `start`; the loss before each step. */
export function fitSgd(x: Value, y: Value, start: Params, steps: number, onStep?: (t: number, loss: number) => void): { params: Params; losses: number[] } {
  let params = start;
  const losses: number[] = [];
  for (let t = 0; t < steps; t++) {
    const out = sgdStep(params, x, y);
    params = out.params;
    losses.push(out.loss.itemSync());
    onStep?.(t, losses[t]);
  }
  return { params, losses };
}

/** `steps` Adam steps from `start`; the loss before each step. */
export function fitAdam(x: Value, y: Value, start: Params, steps: number, onStep?: (t: number, loss: number) => void): { params: Params; losses: number[] } {
  let params = start;
  let state = adam.init(params);
  const losses: number[] = [];
  for (let t = 0; t < steps; t++) {
    const out = adamStep(params, state, x, y);
    params = out.params;
    state = out.state;
    losses.push(out.loss.itemSync());
    onStep?.(t, losses[t]);
  }
  return { params, losses };
}

export interface TwoLayerNetResult extends ExampleResult {
  /** The loss before each step of gradient descent by hand. */
  sgd: number[];
  /** The loss before each Adam step. */
  adam: number[];
}

/** Trains the network twice from the same start, `steps` (default 500) steps each. */
export async function run(options: ExampleOptions = {}): Promise<TwoLayerNetResult> {
  const log = logger(options.quiet);
  const steps = options.steps ?? 500;
  const { x, y, params } = setup(0);
  log(`a ${D_in} → ${H} → relu → ${D_out} network on random x [${N}, ${D_in}] and y [${N}, ${D_out}]: summed squared error, lr ${learningRate}, ${steps} steps`);
  const losses: Record<"sgd" | "adam", number[]> = { sgd: [], adam: [] };
  const t0 = performance.now();
  for (const [name, label, fitFn] of [
    ["sgd", "gradient descent by hand (PyTorch: nn)", fitSgd],
    ["adam", "Adam (PyTorch: optim)", fitAdam],
  ] as const) {
    log(label);
    const bar = progress(name === "sgd" ? "SGD " : "Adam", steps, options.quiet);
    losses[name] = fitFn(x, y, params, steps, (t, l) => {
      if (t % 100 === 99) bar.log(`${String(t).padStart(4)} ${l.toPrecision(6)}`);
      if (t % 10 === 9 || t === steps - 1) bar.update(t + 1, l);
    }).losses;
    bar.stop();
  }
  log(`2 × ${steps} jitted steps in ${formatMs(since(t0))}`);

  const dir = outputDir("two-layer-net", options);
  const files = await savePlot(
    {
      title: { text: "A two-layer network on random data", subtitle: `summed squared error over ${N} × ${D_out} targets, lr ${learningRate}` },
      width: 480,
      height: 260,
      data: {
        values: [
          ...thin(losses.sgd.map((l, i) => ({ step: i, loss: l, run: "gradient descent (PyTorch: nn)" }))),
          ...thin(losses.adam.map((l, i) => ({ step: i, loss: l, run: "Adam (PyTorch: optim)" }))),
        ],
      },
      mark: { type: "line" },
      encoding: {
        x: { field: "step", type: "quantitative", title: "step" },
        y: { field: "loss", type: "quantitative", title: "loss (log scale)", scale: { type: "log" } },
        color: { field: "run", type: "nominal", title: null, legend: { orient: "top-right", labelLimit: 300 } },
      },
    },
    dir,
    "loss",
    options,
  );
  reportFiles(log, files);
  return { files, ...losses };
}
