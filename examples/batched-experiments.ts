/**
 * Batched experiments: a whole training run — a small MLP (2 → 32 → tanh → 1)
 * fitted to y = sin(x0) + cos(x1) by SGD, written as one function of the
 * learning rate with `lax.scan` over the steps — is `vmap`ped over 32
 * learning rates and `jit`ted, so all 32 runs go through the kernels
 * together. The same function jitted alone and called 32 times gives the
 * same losses; the example prints both times and the speedup, and plots the
 * final loss against the learning rate (and every run's loss curve).
 */
import { jit, lax, nn, np, optim, random, valueAndGrad, vmap, type Value } from "jaxon-ts";
import { type ExampleOptions, type ExampleResult, formatMs, formatNumber, logger, outputDir, progress, reportFiles, savePlot, since, thin, type TopLevelSpec } from "./plot.js";

type SgdState = ReturnType<ReturnType<typeof optim.sgd>["init"]>;

export interface BatchedExperimentsResult extends ExampleResult {
  learningRates: number[];
  /** Final loss of each run from the vmapped run (NaN where it diverged). */
  finalLosses: number[];
  /** The same from the 32 runs one after another. */
  loopLosses: number[];
  /** Loss curves from the vmapped run: [run][step]. */
  curves: number[][];
  vmappedMs: number;
  loopMs: number;
}

const nPoints = 256;
const nRuns = 32;
const lrMin = 1e-3;
const lrMax = 2;

/** Fits the MLP with `steps` (default 500) SGD steps for each of 32 learning rates. */
export async function run(options: ExampleOptions = {}): Promise<BatchedExperimentsResult> {
  const log = logger(options.quiet);
  const steps = options.steps ?? 500;
  const [kx, kInit] = random.split(random.key(0), 2);
  const x = random.normal(kx, [nPoints, 2]).mul(2);
  const y = np.sin(x.get(":", 0)).add(np.cos(x.get(":", 1))).reshape([nPoints, 1]);
  const net = nn.serial(nn.Dense(32), nn.Tanh, nn.Dense(1));
  const [, init] = net.init(kInit, [-1, 2]);
  const loss = (params: unknown[]) => nn.mse(net.apply(params, x), y);

  /** One whole training run as a pure function of the learning rate: → the final loss and the loss before each step. */
  const train = (lr: Value) => {
    const opt = optim.sgd(lr);
    const [[params], losses] = lax.scan(
      ([p, s]: [unknown[], SgdState], _: null): [[unknown[], SgdState], Value] => {
        const [l, grads] = valueAndGrad(loss)(p);
        const [updates, next] = opt.update(grads, s, p);
        return [[optim.applyUpdates(p, updates), next], l];
      },
      [init, opt.init(init)] as [unknown[], SgdState],
      null,
      { length: steps },
    );
    return { final: loss(params), losses };
  };

  const learningRates = Array.from({ length: nRuns }, (_, i) => lrMin * (lrMax / lrMin) ** (i / (nRuns - 1)));
  const lrs = np.array(learningRates);
  log(`batched experiments: MLP 2→32→1 (tanh) on ${nPoints} points of sin(x0) + cos(x1), MSE, SGD for ${steps} steps`);
  log(`${nRuns} learning rates from ${lrMin} to ${lrMax} (log-spaced)`);

  // all runs at once: jit(vmap(train))
  const batched = jit(vmap(train));
  let t0 = performance.now();
  batched(lrs).final.dataSync();
  const vmappedFirstMs = since(t0);
  t0 = performance.now();
  const out = batched(lrs);
  const finalLosses = Array.from(out.final.dataSync());
  const vmappedMs = since(t0);
  log(`  vmapped:    ${formatMs(vmappedMs)} for all ${nRuns} runs (first call, with tracing and compiling: ${formatMs(vmappedFirstMs)})`);

  // one after another: jit(train), compiled once, called 32 times
  const single = jit(train);
  t0 = performance.now();
  single(lrs.get(0)).final.dataSync();
  const loopFirstMs = since(t0);
  t0 = performance.now();
  // the longest part of the run: a bar on a terminal (progress() draws none elsewhere)
  const bar = progress("sequential", nRuns, options.quiet);
  const loopLosses = learningRates.map((_, i) => {
    const l = single(lrs.get(i)).final.itemSync();
    bar.update(i + 1, l);
    return l;
  });
  bar.stop();
  const loopMs = since(t0);
  log(`  sequential: ${formatMs(loopMs)} for ${nRuns} calls of the jitted run (first call, with tracing and compiling: ${formatMs(loopFirstMs)})`);
  log(`  speedup of vmap: ${(loopMs / vmappedMs).toFixed(1)}×`);
  const agree = finalLosses.every((l, i) => (Number.isNaN(l) && Number.isNaN(loopLosses[i])) || Math.abs(l - loopLosses[i]) <= 1e-4 * Math.max(1, Math.abs(l)));
  log(`  the two give the same final losses: ${agree ? "yes" : "NO"}`);

  const finite = finalLosses.map((l, i) => ({ l, lr: learningRates[i] })).filter((r) => Number.isFinite(r.l));
  const best = finite.reduce((a, b) => (b.l < a.l ? b : a));
  const diverged = nRuns - finite.length;
  log(`best learning rate ${formatNumber(best.lr)}: final loss ${formatNumber(best.l)}${diverged ? `; ${diverged} runs diverged (lr ≥ ${formatNumber(learningRates[finalLosses.findIndex((l) => !Number.isFinite(l))])})` : ""}`);

  const curvesFlat = out.losses.dataSync();
  const curves = learningRates.map((_, i) => Array.from(curvesFlat.subarray(i * steps, (i + 1) * steps)));

  const dir = outputDir("batched-experiments", options);
  const files = [
    ...(await savePlot(finalLossSpec(learningRates, finalLosses, steps), dir, "final-loss", options)),
    ...(await savePlot(curvesSpec(learningRates, curves), dir, "loss-curves", options)),
  ];
  reportFiles(log, files);
  return { files, learningRates, finalLosses, loopLosses, curves, vmappedMs, loopMs };
}

function finalLossSpec(learningRates: number[], finalLosses: number[], steps: number): TopLevelSpec {
  const ok = (l: number) => Number.isFinite(l) && l < 1e3;
  const rows = learningRates.map((lr, i) => ({ lr, loss: ok(finalLosses[i]) ? finalLosses[i] : null, status: ok(finalLosses[i]) ? "final loss" : "diverged (NaN/inf)" }));
  // the axes span the data: the learning rates tried, and the final losses of the runs that finished;
  // a diverged run has no loss to draw, so it is a red band at its learning rate, over the whole height
  const x = {
    field: "lr",
    type: "quantitative" as const,
    title: "learning rate (log scale)",
    scale: { type: "log" as const, domain: [Math.min(...learningRates), Math.max(...learningRates)], nice: false },
  };
  const finite = finalLosses.filter(ok);
  const y = {
    field: "loss",
    type: "quantitative" as const,
    title: "final MSE (log scale)",
    scale: { type: "log" as const, domain: [Math.min(...finite) / 1.25, Math.max(...finite) * 1.25], nice: false },
  };
  const color = {
    field: "status",
    type: "nominal" as const,
    title: null,
    scale: { domain: ["final loss", "diverged (NaN/inf)"], range: ["#4c78a8", "#e45756"] },
    legend: { orient: "bottom-left" as const },
  };
  return {
    title: { text: `Final loss after ${steps} SGD steps vs learning rate`, subtitle: `${learningRates.length} runs trained at once with jit(vmap(train)); red: runs whose loss became NaN or infinite` },
    width: 480,
    height: 300,
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: "datum.status !== 'final loss'" }],
        mark: { type: "rule", strokeWidth: 3, opacity: 0.45 },
        encoding: { x, color },
      },
      {
        transform: [{ filter: "datum.status === 'final loss'" }],
        mark: { type: "line", color: "#4c78a8" },
        encoding: { x, y },
      },
      {
        transform: [{ filter: "datum.status === 'final loss'" }],
        mark: { type: "point", filled: true, size: 50 },
        encoding: { x, y, color },
      },
    ],
  };
}

function curvesSpec(learningRates: number[], curves: number[][]): TopLevelSpec {
  const rows = curves.flatMap((c, i) =>
    Number.isFinite(c[c.length - 1]) ? thin(c.map((loss, step) => ({ step, loss, lr: learningRates[i] })), 200) : [],
  );
  return {
    title: { text: "Loss curves of the runs that did not diverge", subtitle: "one line per learning rate" },
    width: 480,
    height: 300,
    data: { values: rows },
    mark: { type: "line", strokeWidth: 1.2 },
    encoding: {
      x: { field: "step", type: "quantitative", title: "step", scale: { domain: [0, Math.max(...rows.map((r) => r.step))], nice: false } },
      y: { field: "loss", type: "quantitative", title: "MSE (log scale)", scale: { type: "log", domain: [Math.min(...rows.map((r) => r.loss)) / 1.25, Math.max(...rows.map((r) => r.loss)) * 1.25], nice: false } },
      color: { field: "lr", type: "quantitative", title: "learning rate", scale: { type: "log", scheme: "viridis" } },
      detail: { field: "lr", type: "nominal" },
    },
  };
}
