/**
 * SGD on f(x) = x² − 3x + 1 from x = 0 with `optim.sgd(0.01)` for 500 steps.
 * Each step is x ← x − 0.01 (2x − 3) = 0.98 x + 0.03, so after n steps
 * x = 1.5 (1 − 0.98ⁿ): it converges to the minimum at 3/2.
 */
import { grad, jit, np, optim, type Value } from "jaxon-ts";
import { type ExampleOptions, type ExampleResult, formatMs, logger, outputDir, reportFiles, savePlot, since } from "./plot.js";

export interface SgdQuadraticResult extends ExampleResult {
  /** x after each step (xs[0] is the start). */
  xs: number[];
  /** f(x) at each of `xs`. */
  losses: number[];
  /** The closed form 1.5 (1 − 0.98ⁿ) for the number of steps run. */
  expected: number;
}

const f = (p: { x: Value }) => p.x.square().sub(p.x.mul(3)).add(1);
const lr = 0.01;
const opt = optim.sgd(lr);
type State = ReturnType<typeof opt.init>;

const step = jit((params: { x: Value }, state: State) => {
  const [updates, next] = opt.update(grad(f)(params), state, params);
  return [optim.applyUpdates(params, updates), next] as const;
});

/** Runs `steps` (default 500) SGD steps on f. */
export async function run(options: ExampleOptions = {}): Promise<SgdQuadraticResult> {
  const log = logger(options.quiet);
  const steps = options.steps ?? 500;
  log(`SGD (lr ${lr}) on f(x) = x² − 3x + 1 from x = 0 for ${steps} steps`);
  let params = { x: np.array(0) as Value };
  let state = opt.init(params);
  const xs = [0];
  const losses = [1];
  const t0 = performance.now();
  for (let i = 1; i <= steps; i++) {
    [params, state] = step(params, state);
    const x = params.x.itemSync();
    xs.push(x);
    losses.push(x * x - 3 * x + 1);
    if (i % 100 === 0 || i === steps) log(`  step ${String(i).padStart(4)}  x = ${x.toFixed(6)}  f(x) = ${losses[i].toFixed(6)}`);
  }
  const expected = 1.5 * (1 - 0.98 ** steps);
  const final = xs[steps];
  log(`final x = ${final.toFixed(7)}; 1.5 (1 − 0.98^${steps}) = ${expected.toFixed(7)} (difference ${Math.abs(final - expected).toExponential(1)}, float32); the minimum is at 1.5`);
  log(`${steps} jitted steps in ${formatMs(since(t0))}`);

  const dir = outputDir("sgd-quadratic", options);
  const values = xs.map((x, i) => ({ step: i, x, closedForm: 1.5 * (1 - 0.98 ** i) }));
  const files = await savePlot(
    {
      title: { text: "SGD on f(x) = x² − 3x + 1 (lr 0.01)", subtitle: `x after ${steps} steps: ${final.toFixed(5)}; dashed: the minimum x = 3/2` },
      width: 520,
      height: 300,
      data: { values },
      layer: [
        {
          mark: { type: "line", color: "#4c78a8", strokeWidth: 2 },
          encoding: {
            x: { field: "step", type: "quantitative", title: "iteration" },
            y: { field: "x", type: "quantitative", title: "x", scale: { domain: [0, 1.6] } },
          },
        },
        {
          data: { values: [{ y: 1.5 }] },
          mark: { type: "rule", color: "#e45756", strokeDash: [6, 4] },
          encoding: { y: { field: "y", type: "quantitative" } },
        },
        {
          data: { values: [{ y: 1.5, label: "x = 3/2" }] },
          mark: { type: "text", align: "left", dy: -8, x: 5, color: "#e45756" },
          encoding: { y: { field: "y", type: "quantitative" }, text: { field: "label" } },
        },
      ],
    },
    dir,
    "sgd-quadratic",
    options,
  );
  reportFiles(log, files);
  return { files, xs, losses, expected };
}
