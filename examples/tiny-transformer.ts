/**
 * A tiny character-level transformer, trained the way larger ones are: the
 * char-transformer example's data and blocks, made wider (embedding 128) and
 * trained with the recipe a modern language model uses:
 *
 * 1. the first 20 KB of tiny Shakespeare as characters (examples/data/
 *    shakespeare.txt, public domain), 90% to train, 10% to validate;
 * 2. token and learned position embeddings, 2 pre-layer-norm blocks (causal
 *    multi-head self-attention with 4 heads of 32, then a GELU feed-forward
 *    layer 128 → 512 → 128, each residual), a final layer norm, the logits;
 * 3. AdamW (weight decay 0.01) under a warmup-cosine schedule (a linear
 *    warmup to the peak learning rate over the first 10% of the steps, then
 *    a cosine decay to a tenth of it), after clipping the gradients to a
 *    global norm of 1 — `optim.chain(optim.clipByGlobalNorm(1),
 *    optim.adamw(schedule))`, optax's recipe;
 * 4. every step one `jit`ted function; train and validation losses every 50
 *    steps, text sampled before and after training.
 *
 * Runs on the CPU or on WebGPU (`npm run example -- tiny-transformer
 * --device webgpu`): nothing in it names a device.
 */
import { nn, np, optim, random, type Value } from "jaxon-ts";
import { countParams, generate as generateText, getBatch as getGptBatch, loadCorpus, lossEstimator, lossOf, lossView, makeModel as makeGpt, makeStep, type Params } from "./char-transformer.js";
import { type ExampleOptions, type ExampleResult, formatMs, logger, outputDir, progress, reportFiles, savePlot, since, type TopLevelSpec } from "./plot.js";

export const config = {
  batchSize: 16,
  blockSize: 32,
  nEmbd: 128,
  nHead: 4,
  nLayer: 2,
  peakLearningRate: 2e-3,
  weightDecay: 0.01,
  clipNorm: 1,
  evalIters: 8,
};
const defaultSteps = 300;
const evalInterval = 50;

/** [batch, time] character ids → [batch, time, vocab] logits: char-transformer's model, wider, with GELU. */
export const makeModel = (vocabSize: number) => makeGpt(vocabSize, config, nn.Gelu);

/** `batchSize` random windows of the data and the same windows shifted by one (the targets). */
export const getBatch = (key: random.Key, data: Value) => getGptBatch(key, data, config);

export { lossOf, makeStep, type Params };

/** The warmup-cosine schedule and clipped AdamW for a run of `steps` steps. */
export function makeOptimizer(steps: number) {
  const { peakLearningRate, weightDecay, clipNorm } = config;
  const warmup = Math.max(1, Math.round(steps / 10));
  const schedule = optim.warmupCosineDecaySchedule(0, peakLearningRate, warmup, steps, peakLearningRate / 10);
  return { schedule, opt: optim.chain(optim.clipByGlobalNorm(clipNorm), optim.adamw(schedule, { weightDecay })) };
}

export interface TinyTransformerResult extends ExampleResult {
  /** The training loss of each step. */
  losses: number[];
  /** The learning rate of each step. */
  learningRates: number[];
  /** Train and validation losses (means over `evalIters` fixed batches) every 50 steps and at the end. */
  evals: { step: number; train: number; val: number }[];
  before: string;
  after: string;
  parameters: number;
  ms: number;
}

export async function run(options: ExampleOptions = {}): Promise<TinyTransformerResult> {
  const log = logger(options.quiet);
  const steps = options.steps ?? defaultSteps;
  const corpus = loadCorpus();
  const { chars, decode, train, val } = corpus;
  log(`a tiny transformer on ${corpus.text.length} characters of Shakespeare (${chars.length} distinct), ${train.shape[0]} to train, ${val.shape[0]} to validate`);

  const model = makeModel(chars.length);
  const [kInit, kData, kEval, kSample] = random.split(random.key(2024), 4) as random.Key[];
  let [, params] = model.init(kInit, [-1, config.blockSize]) as [unknown, Params];
  const parameters = countParams(params);
  log(`${(parameters / 1e3).toFixed(1)}K parameters: ${config.nLayer} blocks, ${config.nHead} heads, embedding ${config.nEmbd}, context ${config.blockSize}`);

  const estimateLoss = lossEstimator(model, corpus, kEval, config.evalIters, getBatch);
  const context = [0]; // id 0 is the newline
  const before = decode(await generateText(model, params, kSample, context, 200, config.blockSize));
  log(`\nsampled before training:\n${before}`);

  const { schedule, opt } = makeOptimizer(steps);
  let state: optim.OptState = opt.init(params);
  const step = makeStep(model, opt);
  const losses: number[] = [];
  const evals: TinyTransformerResult["evals"] = [];
  const bar = progress("train", steps, options.quiet);
  // the steps' losses are read back every `readEvery` steps, so that a device keeps the next steps queued meanwhile
  const readEvery = 10;
  let unread: Value[] = [];
  const readLosses = async () => {
    losses.push(...(await Promise.all(unread.map((l) => l.item()))));
    unread = [];
    bar.update(losses.length, losses.at(-1));
  };
  log("");
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    if (i % evalInterval === 0) {
      const e = await estimateLoss(params, i);
      evals.push(e);
      bar.log(`step ${i}: train loss ${e.train.toFixed(4)}, val loss ${e.val.toFixed(4)}`);
    }
    const out = step(params, state, ...getBatch(random.foldIn(kData, i), train));
    params = out.params;
    state = out.state;
    unread.push(out.loss);
    if (unread.length === readEvery) await readLosses();
  }
  await readLosses();
  // the schedule of every step at once, read with await (a WebGPU array cannot be read synchronously)
  const learningRates = Array.from(await schedule(np.arange(steps)).data());
  const last = await estimateLoss(params, steps);
  evals.push(last);
  bar.stop();
  const ms = since(t0);
  log(`step ${steps}: train loss ${last.train.toFixed(4)}, val loss ${last.val.toFixed(4)}`);
  log(`trained ${steps} steps in ${formatMs(ms)} (${((steps / ms) * 1000).toFixed(1)} steps/s)`);

  const after = decode(await generateText(model, params, kSample, context, 500, config.blockSize));
  log(`\nsampled after training:\n${after}`);

  const dir = outputDir("tiny-transformer", options);
  const files = await savePlot(lossSpec(losses, learningRates, evals), dir, "loss", options);
  reportFiles(log, files);
  return { files, losses, learningRates, evals, before, after, parameters, ms };
}

function lossSpec(losses: number[], learningRates: number[], evals: TinyTransformerResult["evals"]): TopLevelSpec {
  return {
    title: { text: "A tiny transformer on Shakespeare", subtitle: "cross-entropy of the next character, and the warmup-cosine learning rate" },
    vconcat: [
      { ...lossView(losses, evals, config.evalIters), height: 260 },
      {
        width: 520,
        height: 100,
        data: { values: learningRates.map((lr, step) => ({ step, lr })) },
        mark: { type: "line", strokeWidth: 2 },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "lr", type: "quantitative", title: "learning rate" },
        },
      },
    ],
  } as TopLevelSpec;
}
