/**
 * A character-level GPT, after the `gpt.py` of Andrej Karpathy's lecture
 * "Let's build GPT: from scratch, in code, spelled out"
 * (github.com/karpathy/ng-video-lecture, MIT), made small enough to train in
 * seconds on a CPU, on the first 20 KB of the tiny-Shakespeare text it trains
 * on (the opening of *Coriolanus*; examples/data/shakespeare.txt, public
 * domain):
 *
 * 1. the text as integers (one per character, 58 characters), the first 90%
 *    to train, the rest to validate;
 * 2. the model: token and learned position embeddings, 2 transformer blocks
 *    (pre-layer-norm; causal multi-head self-attention with 4 heads, then a
 *    feed-forward layer 64 → 256 → 64, each inside a residual connection), a
 *    final layer norm and a dense layer to the 58 characters' logits;
 * 3. AdamW (learning rate 3e-3), the mean cross-entropy of the next
 *    character, batches of 16 random windows of 32 characters;
 * 4. 400 steps, each one `jit`ted function, with the train and validation
 *    losses every 100 steps;
 * 5. text sampled from the model before and after training.
 *
 * The plot: the training loss per step and the evaluated losses.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { jit, nn, np, optim, random, valueAndGrad, type Value } from "jaxon-ts";
import { type ExampleOptions, type ExampleResult, formatMs, logger, outputDir, progress, reportFiles, savePlot, since, type TopLevelSpec } from "./plot.js";

/** The text: the first 20 KB of tiny Shakespeare. */
export const textPath = fileURLToPath(new URL("./data/shakespeare.txt", import.meta.url));

export const config = { batchSize: 16, blockSize: 32, nEmbd: 64, nHead: 4, nLayer: 2, learningRate: 3e-3, evalIters: 10 };
const defaultSteps = 400;
const evalInterval = 100;

export interface Corpus {
  text: string;
  chars: string[];
  encode: (s: string) => number[];
  decode: (ids: ArrayLike<number>) => string;
  train: Value;
  val: Value;
}

/** The text and its characters, as gpt.py's `stoi`, `itos`, `encode`, `decode`, and the 90/10 split. */
export function loadCorpus(): Corpus {
  const text = readFileSync(textPath, "utf8");
  const chars = [...new Set(text)].sort();
  const stoi = new Map(chars.map((c, i) => [c, i]));
  const encode = (s: string) => [...s].map((c) => stoi.get(c)!);
  const decode = (ids: ArrayLike<number>) => Array.from(ids, (i) => chars[i]).join("");
  const data = np.array(encode(text), { dtype: "int32" });
  const n = Math.floor(0.9 * text.length);
  return { text, chars, encode, decode, train: data.get([0, n]), val: data.get([n, null]) };
}

/** gpt.py's `get_batch`: `batchSize` random windows of the data, and the same windows shifted by one (the targets). */
export function getBatch(key: random.Key, data: Value, sizes: { batchSize: number; blockSize: number } = config): [Value, Value] {
  const { batchSize, blockSize } = sizes;
  const ix = random.randint(key, [batchSize, 1], 0, data.shape[0] - blockSize);
  const offsets = np.arange(blockSize, { dtype: "int32" });
  const x = data.get(np.add(ix, offsets));
  const y = data.get(np.add(ix, np.add(offsets, 1)));
  return [x, y];
}

/** A learned position embedding, added to the input: gpt.py's `position_embedding_table(torch.arange(T))`. */
export function PositionEmbedding(blockSize: number): nn.Layer<{ embedding: Value }> {
  return {
    init(key, inputShape) {
      const shape = inputShape as number[];
      return [shape, { embedding: random.normal(key, [blockSize, shape[shape.length - 1]]).mul(0.02) }];
    },
    apply(params, x) {
      const T = x.shape[x.ndim - 2];
      return np.add(x, params.embedding.get([0, T]));
    },
  };
}

/** x + f(x), with nn.serial's combinators. */
export const residual = (f: nn.AnyLayer) => nn.serial(nn.fanOut(2), nn.parallel(f, nn.Identity), nn.FanInSum);

/** gpt.py's `Block`: communication (attention) then computation (feed-forward), each after a layer norm, each residual. */
function Block(nEmbd: number, nHead: number, activation: nn.AnyLayer) {
  return nn.serial(
    residual(nn.serial(nn.LayerNorm(), nn.MultiHeadAttention(nHead, { causal: true }))),
    residual(nn.serial(nn.LayerNorm(), nn.Dense(4 * nEmbd), activation, nn.Dense(nEmbd))),
  );
}

/** The sizes of a model: embedding width, heads, blocks, context length. */
export interface ModelSizes {
  nEmbd: number;
  nHead: number;
  nLayer: number;
  blockSize: number;
}

/**
 * gpt.py's `GPTLanguageModel`: [batch, time] character ids → [batch, time, vocab] logits
 * (the tiny-transformer example makes a wider one with GELU in the feed-forward layers).
 */
export function makeModel(vocabSize: number, sizes: ModelSizes = config, activation: nn.AnyLayer = nn.Relu) {
  const { nEmbd, nHead, nLayer, blockSize } = sizes;
  return nn.serial(
    nn.Embed(vocabSize, nEmbd),
    PositionEmbedding(blockSize),
    ...Array.from({ length: nLayer }, () => Block(nEmbd, nHead, activation)),
    nn.LayerNorm(),
    nn.Dense(vocabSize),
  );
}

export type Model = ReturnType<typeof makeModel>;
export type Params = unknown[];

/** The mean cross-entropy of the next character, as gpt.py's `F.cross_entropy(logits.view(B*T, C), targets.view(B*T))`. */
export const lossOf = (model: Model) => (params: Params, x: Value, y: Value) => np.mean(nn.softmaxCrossEntropyWithIntegerLabels(model.apply(params, x), y));

/** One jitted training step. */
export function makeStep(model: Model, opt: optim.GradientTransformation<optim.OptState>) {
  const loss = lossOf(model);
  return jit((params: Params, state: optim.OptState, x: Value, y: Value) => {
    const [l, grads] = valueAndGrad(loss)(params, x, y);
    const [updates, next] = opt.update(grads, state, params);
    return { params: optim.applyUpdates(params, updates), state: next, loss: l };
  });
}

/**
 * gpt.py's `generate`: `n` characters sampled one at a time after `context`.
 * The model always sees a window of `blockSize` characters, the last ones
 * generated, padded at the end while the text is shorter (causal attention
 * keeps the padding out of the logits read at position t), so one compiled
 * function serves every step. Each character is read back with `await` (a
 * WebGPU array cannot be read synchronously).
 */
export async function generate(model: Model, params: Params, key: random.Key, context: number[], n: number, blockSize = config.blockSize): Promise<number[]> {
  const sample = jit((p: Params, window: Value, t: Value, k: random.Key) => {
    const logits = model.apply(p, window.reshape([1, blockSize])).reshape([blockSize, -1]);
    return random.categorical(k, logits.get(t));
  });
  const ids = [...context];
  for (let i = 0; i < n; i++) {
    const start = Math.max(0, ids.length - blockSize);
    const window = ids.slice(start);
    const t = window.length - 1;
    while (window.length < blockSize) window.push(0);
    ids.push(await sample(params, np.array(window, { dtype: "int32" }), np.array(t, { dtype: "int32" }), random.foldIn(key, i)).item());
  }
  return ids;
}

/**
 * gpt.py's `estimate_loss`: the mean loss of `evalIters` batches of the train and of the validation
 * data, the same batches (drawn from `key`) at every evaluation, so that the curves compare the
 * weights, not the draws. The losses are read with `await`, so it runs on WebGPU too.
 */
export function lossEstimator(model: Model, data: { train: Value; val: Value }, key: random.Key, evalIters: number, batchOf: (k: random.Key, data: Value) => [Value, Value]) {
  const loss = jit(lossOf(model));
  const mean = async (p: Params, split: Value, k: random.Key) => {
    const batches = Array.from({ length: evalIters }, (_, i) => loss(p, ...batchOf(random.foldIn(k, i), split)));
    return (await Promise.all(batches.map((l) => l.item()))).reduce((a, b) => a + b, 0) / evalIters;
  };
  return async (p: Params, step: number) => ({ step, train: await mean(p, data.train, key), val: await mean(p, data.val, random.foldIn(key, 1 << 20)) });
}

export interface CharTransformerResult extends ExampleResult {
  /** The training loss of each step. */
  losses: number[];
  /** The train and validation losses (means over `evalIters` batches) every 100 steps and at the end. */
  evals: { step: number; train: number; val: number }[];
  before: string;
  after: string;
  parameters: number;
  ms: number;
}

export async function run(options: ExampleOptions = {}): Promise<CharTransformerResult> {
  const log = logger(options.quiet);
  const steps = options.steps ?? defaultSteps;
  const corpus = loadCorpus();
  const { chars, decode, train, val } = corpus;
  log(`a character-level transformer on ${corpus.text.length} characters of Shakespeare (${chars.length} distinct), ${train.shape[0]} to train, ${val.shape[0]} to validate`);

  const model = makeModel(chars.length);
  const [kInit, kData, kEval, kSample] = random.split(random.key(1337), 4) as random.Key[];
  const [, init] = model.init(kInit, [-1, config.blockSize]);
  let params: Params = init;
  const parameters = countParams(params);
  log(`${(parameters / 1e3).toFixed(1)}K parameters: ${config.nLayer} blocks, ${config.nHead} heads, embedding ${config.nEmbd}, context ${config.blockSize}`);

  const estimateLoss = lossEstimator(model, corpus, kEval, config.evalIters, (k, data) => getBatch(k, data));
  const context = [0]; // gpt.py starts from id 0, the newline
  const before = decode(await generate(model, params, kSample, context, 200));
  log(`\nsampled before training:\n${before}`);

  const opt = optim.adamw(config.learningRate);
  let state: optim.OptState = opt.init(params);
  const step = makeStep(model, opt);
  const losses: number[] = [];
  const evals: CharTransformerResult["evals"] = [];
  const bar = progress("train", steps, options.quiet);
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
    losses.push(await out.loss.item());
    bar.update(i + 1, losses[i]);
  }
  const last = await estimateLoss(params, steps);
  evals.push(last);
  bar.stop();
  const ms = since(t0);
  log(`step ${steps}: train loss ${last.train.toFixed(4)}, val loss ${last.val.toFixed(4)}`);
  log(`trained ${steps} steps in ${formatMs(ms)} (${((steps / ms) * 1000).toFixed(1)} steps/s)`);

  const after = decode(await generate(model, params, kSample, context, 500));
  log(`\nsampled after training:\n${after}`);

  const dir = outputDir("char-transformer", options);
  const files = await savePlot(lossSpec(losses, evals), dir, "loss", options);
  reportFiles(log, files);
  return { files, losses, evals, before, after, parameters, ms };
}

/** The number of parameters in a tree of arrays. */
export function countParams(tree: unknown): number {
  if (Array.isArray(tree)) return tree.reduce((a: number, t) => a + countParams(t), 0);
  if (tree !== null && typeof tree === "object" && "size" in tree && "shape" in tree) return (tree as Value).size;
  if (tree !== null && typeof tree === "object") return Object.values(tree).reduce((a: number, t) => a + countParams(t), 0);
  return 0;
}

/**
 * The loss curves as a Vega-Lite view: every batch's loss (faint) and the evaluated train and
 * validation means (means of `evalIters` batches) — the tiny-transformer example stacks its
 * learning rate under the same view.
 */
export function lossView(losses: number[], evals: CharTransformerResult["evals"], evalIters: number) {
  const values = [
    ...losses.map((loss, step) => ({ step, loss, series: "training batch" })),
    ...evals.flatMap((e) => [
      { step: e.step, loss: e.train, series: `train (mean of ${evalIters} batches)` },
      { step: e.step, loss: e.val, series: `validation (mean of ${evalIters} batches)` },
    ]),
  ];
  return {
    width: 520,
    height: 300,
    data: { values },
    layer: [
      {
        transform: [{ filter: "datum.series === 'training batch'" }],
        mark: { type: "line", strokeWidth: 1, opacity: 0.4 },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "loss", type: "quantitative", title: "cross-entropy", scale: { zero: false } },
          color: { field: "series", type: "nominal", title: null, legend: { orient: "top-right", labelLimit: 300 } },
        },
      },
      {
        transform: [{ filter: "datum.series !== 'training batch'" }],
        mark: { type: "line", point: true, strokeWidth: 2 },
        encoding: {
          x: { field: "step", type: "quantitative" },
          y: { field: "loss", type: "quantitative" },
          color: { field: "series", type: "nominal" },
        },
      },
    ],
  };
}

function lossSpec(losses: number[], evals: CharTransformerResult["evals"]): TopLevelSpec {
  return {
    title: { text: "A character-level transformer on Shakespeare", subtitle: "cross-entropy of the next character (ln 58 ≈ 4.06 for a uniform guess)" },
    ...lossView(losses, evals, config.evalIters),
  } as TopLevelSpec;
}
