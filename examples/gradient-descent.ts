/**
 * The tutorials' first example: gradient descent on y = x² from x = −4 with
 * learning rates 0.1 (converges slowly), 1.5 (diverges: each step doubles
 * |x| and flips its sign) and 0.6 (oscillates in), stopping when
 * |dy/dx| < 0.1. The plot shows the curve, the tangent at the start and the
 * steps of each run.
 */
import { grad, jit, np, type Value } from "jaxon-ts";
import { type ExampleOptions, type ExampleResult, formatNumber, logger, outputDir, reportFiles, savePlot, type TopLevelSpec } from "./plot.js";

export interface GradientDescentRun {
  lr: number;
  /** x before each step (and after the last). */
  xs: number[];
  /** y = x² at each of `xs`. */
  ys: number[];
  converged: boolean;
  diverged: boolean;
}

export interface GradientDescentResult extends ExampleResult {
  runs: GradientDescentRun[];
}

const f = (x: Value) => x.mul(x);
const df = grad(f);
/** One step, jitted once: the learning rate is an argument, so all three runs share the compiled step. */
const step = jit((x: Value, lr: Value) => {
  const g = df(x);
  return { x: x.sub(g.mul(lr)), g };
});

const start = -4;
const tolerance = 0.1;

/** Runs gradient descent on y = x² for each learning rate; `steps` caps the number of steps (default 100). */
export async function run(options: ExampleOptions = {}): Promise<GradientDescentResult> {
  const log = logger(options.quiet);
  const maxSteps = options.steps ?? 100;
  log(`gradient descent on y = x² from x = ${start}, stopping when |dy/dx| < ${tolerance}`);
  const runs: GradientDescentRun[] = [];
  for (const lr of [0.1, 1.5, 0.6]) {
    log(`\nlearning rate ${lr}:`);
    let x: Value = np.array(start);
    const xs = [start];
    let converged = false;
    let diverged = false;
    for (let i = 0; i < maxSteps; i++) {
      const out = step(x, lr);
      const gv = out.g.itemSync();
      if (Math.abs(gv) < tolerance) {
        converged = true;
        log(`  converged after ${i} steps: x = ${formatNumber(xs[xs.length - 1])}, dy/dx = ${formatNumber(gv)}`);
        break;
      }
      x = out.x;
      xs.push(x.itemSync());
      if (i < 5 || i % 10 === 0) log(`  step ${String(i + 1).padStart(3)}  x = ${formatNumber(xs[xs.length - 1]).padStart(10)}  (dy/dx was ${formatNumber(gv)})`);
      if (!Number.isFinite(gv) || Math.abs(xs[xs.length - 1]) > 1e6) {
        diverged = true;
        log(`  diverged after ${i + 1} steps: |x| = ${formatNumber(Math.abs(xs[xs.length - 1]))}`);
        break;
      }
    }
    if (!converged && !diverged) log(`  stopped after ${maxSteps} steps: x = ${formatNumber(xs[xs.length - 1])}`);
    runs.push({ lr, xs, ys: xs.map((v) => v * v), converged, diverged });
  }

  const dir = outputDir("gradient-descent", options);
  const files = await savePlot(plotSpec(runs), dir, "gradient-descent", options);
  reportFiles(log, files);
  return { files, runs };
}

/** One panel per learning rate: the curve, the tangent at x = −4, and the steps as numbered points joined by arrows' worth of lines. */
function plotSpec(runs: GradientDescentRun[]): TopLevelSpec {
  const panels = runs.map((r) => {
    // A diverging run leaves any sensible window after a few steps: show the first ones only.
    const shown = r.xs.filter((x) => Math.abs(x) <= 40);
    const half = Math.max(4.5, ...shown.map((x) => Math.abs(x) * 1.1));
    const curve = Array.from({ length: 201 }, (_, i) => {
      const x = -half + (2 * half * i) / 200;
      return { x, y: x * x };
    });
    // tangent at the start: y = x0² + 2 x0 (x − x0)
    const tangent = [start - 2.5, start + 2.5].map((x) => ({ x, y: start * start + 2 * start * (x - start) }));
    const points = shown.map((x, i) => ({ x, y: x * x, step: i }));
    const yMax = half * half;
    const status = r.converged ? `converges in ${r.xs.length - 1} steps` : r.diverged ? "diverges" : `${r.xs.length - 1} steps`;
    return {
      title: `lr = ${r.lr}: ${status}`,
      width: 260,
      height: 240,
      layer: [
        {
          data: { values: curve },
          mark: { type: "line", color: "#4c78a8" },
          encoding: {
            x: { field: "x", type: "quantitative", scale: { domain: [-half, half] }, title: "x" },
            y: { field: "y", type: "quantitative", scale: { domain: [-0.05 * yMax, yMax] }, title: "y = x²" },
          },
        },
        {
          data: { values: tangent },
          mark: { type: "line", color: "#999999", strokeDash: [4, 3], clip: true },
          encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
        },
        {
          data: { values: points },
          mark: { type: "line", color: "#e45756", strokeWidth: 1, point: { filled: true, size: 40, color: "#e45756" }, clip: true },
          encoding: {
            x: { field: "x", type: "quantitative" },
            y: { field: "y", type: "quantitative" },
            order: { field: "step", type: "quantitative" },
            tooltip: [{ field: "step" }, { field: "x" }],
          },
        },
        // the step numbers: above their point, or below it where the label before would touch it
        ...(["above", "below"] as const).map((side) => ({
          data: { values: labelSides(points.filter((p) => p.step < 6)).filter((p) => p.side === side) },
          mark: { type: "text" as const, dy: side === "above" ? -9 : 15, fontSize: 10, color: "#e45756" },
          encoding: { x: { field: "x", type: "quantitative" as const }, y: { field: "y", type: "quantitative" as const }, text: { field: "step", type: "quantitative" as const } },
        })),
      ],
    };
  });
  return {
    title: { text: "Gradient descent on y = x² from x = −4", subtitle: "blue: the curve, dashed: the tangent at the start, red: the steps (numbered)" },
    hconcat: panels,
  } as TopLevelSpec;
}

/**
 * Which side of its point each step's number goes: above, unless the number
 * before it sits within 4% of the panel's width, then the other side.
 */
function labelSides<P extends { x: number }>(points: P[]): (P & { side: "above" | "below" })[] {
  const xs = points.map((p) => p.x);
  const span = Math.max(...xs) - Math.min(...xs) || 1;
  const out: (P & { side: "above" | "below" })[] = [];
  for (const p of points) {
    const prev = out.at(-1);
    const close = prev !== undefined && Math.abs(prev.x - p.x) < 0.04 * Math.max(span, 8);
    out.push({ ...p, side: close && prev.side === "above" ? "below" : "above" });
  }
  return out;
}
