/**
 * PyTorch's *Model ensembling* tutorial (pytorch/tutorials,
 * intermediate_source/ensembling.py, BSD-3-Clause) in jaxon: ten MLPs
 * 784 → 128 → relu → 128 → relu → 10 (each dense layer started as torch's
 * `nn.Linear`, uniform in ±1/√fan_in), their parameters stacked into one
 * pytree with a leading axis of 10, and their predictions on dummy MNIST-sized
 * minibatches [64, 1, 28, 28] computed by `vmap` instead of a loop: each model
 * on its own minibatch (`inAxes` 0), then all on the same one (`null`).
 * Checks, as the tutorial does, that the vmapped predictions equal the
 * loop's, and times both. The tutorial runs on a CUDA GPU and draws 100
 * minibatches of which it uses 10; this draws the 10, on the default device.
 */
import { jit, nn, np, random, tree, vmap, type Value } from "jaxon-ts";
import { type ExampleOptions, type ExampleResult, formatMs, logger } from "./plot.js";

export const numModels = 10;

/** torch's default for `nn.Linear(fanIn, …)`: weights and bias uniform in ±1/√fanIn. */
const torchUniform =
  (fanIn: number): nn.Initializer =>
  (key, shape, dtype = "float32") =>
    random.uniform(key, shape, { dtype, minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn) });
const linear = (fanIn: number, out: number) => nn.Dense(out, { wInit: torchUniform(fanIn), bInit: torchUniform(fanIn) });

/** The tutorial's `SimpleMLP`: flatten, 784 → 128, relu, 128 → 128, relu, 128 → 10. */
export const model = nn.serial(nn.Flatten, linear(784, 128), nn.Relu, linear(128, 128), nn.Relu, linear(128, 10));
export type Params = ReturnType<typeof model.init>[1];

/**
 * The minibatches [10, 64, 1, 28, 28] (standard normal) and the ten models'
 * parameters, from `random.key(seed)`: split in two, for the data and for
 * the models; the models' key split in ten, one per model.
 */
export function setup(seed = 0): { minibatches: Value; models: Params[] } {
  const [kData, kModels] = random.split(random.key(seed));
  const minibatches = random.normal(kData, [numModels, 64, 1, 28, 28]);
  const keys = random.split(kModels, numModels);
  const models = Array.from({ length: numModels }, (_v, i) => model.init(keys[i], [-1, 1, 28, 28])[1]);
  return { minibatches, models };
}

/** `stack_module_state`: one pytree whose every leaf has a leading axis with one entry per model. */
export const stack = (models: Params[]): Params => tree.map((...leaves: Value[]) => np.stack(leaves), ...(models as [Params, ...Params[]]));

/** Each model on its own minibatch (option 1), vmapped over the stacked params and the minibatches. */
export const predictEach = jit(vmap((params: Params, x: Value) => model.apply(params, x)));
/** Every model on one minibatch (option 2): the minibatch is not mapped (`inAxes` null, the tutorial's `in_dims=(0, None)`). */
export const predictSame = jit(vmap((params: Params, x: Value) => model.apply(params, x), { inAxes: [0, null] }));

export interface ModelEnsemblingResult extends ExampleResult {
  /** The vmapped predictions, [10, 64, 10]: each model on its minibatch, then all on minibatch 0. */
  each: Value;
  same: Value;
  /** The loop's predictions, stacked. */
  eachLoop: Value;
  sameLoop: Value;
  /** Milliseconds per call, the loop and vmap (option 1). */
  loopMs: number;
  vmapMs: number;
}

function timeIt(f: () => Value, calls: number): number {
  f().dataSync();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) f().dataSync();
  return (performance.now() - t0) / calls;
}

/** Runs the tutorial's steps; `steps` sets how many calls each timing averages (default 100). */
export async function run(options: ExampleOptions = {}): Promise<ModelEnsemblingResult> {
  const log = logger(options.quiet);
  const calls = options.steps ?? 100;
  const { minibatches, models } = setup(0);
  const apply = jit((params: Params, x: Value) => model.apply(params, x));
  const eachLoop = np.stack(models.map((p, i) => apply(p, minibatches.get(i))));
  const sameLoop = np.stack(models.map((p) => apply(p, minibatches.get(0))));

  const params = stack(models);
  log(`[${tree.leaves(params).map((p) => (p as Value).shape[0]).join(", ")}]`);
  const each = predictEach(params, minibatches);
  const same = predictSame(params, minibatches.get(0));
  const close = (a: Value, b: Value) => Boolean(np.allclose(a, b, { atol: 1e-3, rtol: 1e-5 }).itemSync());
  log(`option 1, a minibatch per model: vmap equals the loop: ${close(each, eachLoop)}`);
  log(`option 2, the same minibatch:    vmap equals the loop: ${close(same, sameLoop)}`);

  const loopMs = timeIt(() => np.stack(models.map((p, i) => apply(p, minibatches.get(i)))), calls);
  const vmapMs = timeIt(() => predictEach(params, minibatches), calls);
  log(`Predictions without vmap ${formatMs(loopMs)} per call`);
  log(`Predictions with vmap    ${formatMs(vmapMs)} per call`);
  return { files: [], each, same, eachLoop, sameLoop, loopMs, vmapMs };
}
