/**
 * A CNN image classifier, after PyTorch's "Training a Classifier" tutorial
 * (CIFAR-10, a LeNet-style network trained with cross-entropy), on the 8 × 8
 * handwritten digits that scikit-learn ships (examples/data/digits.npz; no
 * download at run time):
 *
 * 1. load the 1797 digits and normalize them to [−1, 1]; the first 1437
 *    (80%) train, the last 360 test;
 * 2. the network: conv 3×3 → 6, relu, max-pool 2×2, conv 3×3 → 16, relu,
 *    max-pool 2×2, then dense 64 → 120 → 84 → 10 (the tutorial's layers,
 *    with 3×3 "SAME" convolutions because the images are 8 × 8, not 32 × 32);
 * 3. softmax cross-entropy and Adam (learning rate 1e-3);
 * 4. mini-batches of 32, shuffled every epoch, 10 epochs, each training step
 *    one `jit`ted function (loss, gradients, Adam update);
 * 5. the accuracy on the test digits, overall and per class.
 *
 * The plots: the training loss and the test accuracy by epoch, and the
 * confusion matrix of the test digits.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { io, jit, nn, np, optim, random, valueAndGrad, type Value } from "jaxon-ts";
import { classifierTrainingSpec, confusionSpec, type ExampleOptions, type ExampleResult, formatMs, logger, outputDir, progress, reportFiles, savePlot, since } from "./plot.js";

/** The digits, as scikit-learn's load_digits gives them (written by examples/data/digits.py). */
export const digitsPath = fileURLToPath(new URL("./data/digits.npz", import.meta.url));

export const nTrain = 1437;
export const batchSize = 32;
export const stepsPerEpoch = Math.floor(nTrain / batchSize); // 44: the last partial batch is dropped
const defaultEpochs = 10;

export interface Digits {
  /** [n, 8, 8, 1] float32 in [−1, 1] (NHWC: batch, height, width, channels). */
  x: Value;
  /** [n] int32 labels 0–9. */
  y: Value;
}

/** Loads the digits and normalizes them as the tutorial's `Normalize((0.5,), (0.5,))`: pixels 0–16 → [0, 1] → [−1, 1]. */
export async function loadDigits(): Promise<{ train: Digits; test: Digits }> {
  const { images, labels } = await io.loadNpz(readFileSync(digitsPath));
  const x = images.astype("float32").div(16).sub(0.5).div(0.5).reshape([-1, 8, 8, 1]);
  return {
    train: { x: x.get([0, nTrain]), y: labels.get([0, nTrain]) },
    test: { x: x.get([nTrain, null]), y: labels.get([nTrain, null]) },
  };
}

/** The tutorial's `Net`, for 8 × 8 single-channel images. */
export function makeNet() {
  return nn.serial(
    nn.Conv(6, [3, 3], { padding: "SAME" }), nn.Relu, nn.MaxPool([2, 2], { strides: [2, 2] }),
    nn.Conv(16, [3, 3], { padding: "SAME" }), nn.Relu, nn.MaxPool([2, 2], { strides: [2, 2] }),
    nn.Flatten, // [B, 2, 2, 16] → [B, 64]
    nn.Dense(120), nn.Relu,
    nn.Dense(84), nn.Relu,
    nn.Dense(10),
  );
}

export type Net = ReturnType<typeof makeNet>;
export type Params = unknown[];

/** The mean softmax cross-entropy of a batch, as `nn.CrossEntropyLoss()`. */
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

export interface CnnDigitsResult extends ExampleResult {
  /** The loss of each training step. */
  losses: number[];
  /** The test accuracy after each epoch. */
  testAccuracy: number[];
  /** The final test accuracy, overall and per class (0–9). */
  accuracy: number;
  perClass: number[];
  /** confusion[true][predicted], counts over the test digits. */
  confusion: number[][];
  ms: number;
}

/** Trains for `steps` mini-batches (default 10 epochs, 440 steps) and tests. */
export async function run(options: ExampleOptions = {}): Promise<CnnDigitsResult> {
  const log = logger(options.quiet);
  const steps = options.steps ?? defaultEpochs * stepsPerEpoch;
  const { train, test } = await loadDigits();
  log(`CNN on scikit-learn's 8×8 digits: ${nTrain} to train, ${test.y.shape[0]} to test, batches of ${batchSize}, Adam lr 1e-3`);

  const net = makeNet();
  const [kInit, kShuffle] = random.split(random.key(0)) as random.Key[];
  const [, init] = net.init(kInit, [-1, 8, 8, 1]);
  let params: Params = init;
  const opt = optim.adam(1e-3);
  let state: optim.OptState = opt.init(params);
  const step = makeStep(net, opt);
  const predict = jit((p: Params, x: Value) => np.argmax(net.apply(p, x), 1));
  const accuracyOf = (p: Params) => np.mean(np.equal(predict(p, test.x), test.y)).itemSync();

  const losses: number[] = [];
  const testAccuracy: number[] = [];
  const epochs = Math.ceil(steps / stepsPerEpoch);
  const bar = progress("train", steps, options.quiet);
  const t0 = performance.now();
  let running = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    // the tutorial's DataLoader(shuffle=True): a fresh order of the training digits every epoch
    const order = random.permutation(random.foldIn(kShuffle, epoch), nTrain);
    const xs = train.x.get(order);
    const ys = train.y.get(order);
    for (let i = 0; i < stepsPerEpoch && losses.length < steps; i++) {
      const out = step(params, state, xs.get([i * batchSize, (i + 1) * batchSize]), ys.get([i * batchSize, (i + 1) * batchSize]));
      params = out.params;
      state = out.state;
      losses.push(out.loss.itemSync());
      running += losses.at(-1)!;
      if (i % 11 === 10) {
        // the tutorial prints the mean loss of every 2000 mini-batches of 4; here every 11 of 32
        bar.log(`[${epoch + 1}, ${String(i + 1).padStart(2)}] loss: ${(running / 11).toFixed(3)}`);
        running = 0;
      }
      bar.update(losses.length, losses.at(-1));
    }
    testAccuracy.push(accuracyOf(params));
  }
  bar.stop();
  const ms = since(t0);
  log(`Finished Training: ${losses.length} steps in ${formatMs(ms)} (${Math.round((losses.length / ms) * 1000)} steps/s)`);

  const predicted = (await predict(params, test.x).data()) as Int32Array;
  const truth = (await test.y.data()) as Int32Array;
  const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  truth.forEach((t, i) => confusion[t][predicted[i]]++);
  const perClass = confusion.map((row, c) => row[c] / row.reduce((a, b) => a + b, 0));
  const accuracy = confusion.reduce((a, row, c) => a + row[c], 0) / truth.length;
  log(`Accuracy of the network on the ${truth.length} test images: ${(100 * accuracy).toFixed(1)} %`);
  for (let c = 0; c < 10; c++) log(`Accuracy of ${c} : ${(100 * perClass[c]).toFixed(0).padStart(3)} %`);

  const dir = outputDir("cnn-digits", options);
  const files = [
    ...(await savePlot(classifierTrainingSpec(losses, testAccuracy, { title: "CNN on 8×8 digits", subtitle: `training loss per step (batches of ${batchSize}) and test accuracy after each epoch`, accuracyTitle: "test accuracy (%)", accuracyFloor: 80 }), dir, "training", options)),
    ...(await savePlot(confusionSpec(confusion, { title: "Confusion matrix of the test digits", size: 300, whiteAbove: 15 }), dir, "confusion", options)),
  ];
  reportFiles(log, files);
  return { files, losses, testAccuracy, accuracy, perClass, confusion, ms };
}
