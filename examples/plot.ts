/**
 * What the examples share: their options, an output folder per example,
 * plots (Vega-Lite specs rendered to SVG in Node with no DOM, then to PNG
 * with resvg), progress bars for long loops, and a timer.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { MultiBar } from "cli-progress";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { defaultDevice, init } from "jaxon-ts";

export type { TopLevelSpec };

/** The options every example's `run` takes. */
export interface ExampleOptions {
  /** Training steps (each example has its own default; tests pass a small number). */
  steps?: number;
  /** Print nothing (for tests). */
  quiet?: boolean;
  /** Where the plots go (default `out/NAME/` under the working directory). */
  outDir?: string;
  /** Skip the PNG copies of the plots (the SVGs are always written). */
  png?: boolean;
  /**
   * The device the example ran on (informational: `npm run example -- NAME
   * --device webgpu` makes it jaxon's default device with `useDevice` before
   * the example starts, so the example's arrays go there).
   */
  device?: "cpu" | "webgpu";
}

/**
 * Makes `device` jaxon's default device and returns a line saying what runs.
 * For WebGPU it probes with `init({ allowSoftwareAdapter: true })`: a
 * software adapter (lavapipe, SwiftShader) is slower than jaxon's own CPU
 * backend, but asking for WebGPU by name means wanting it, and the line names
 * the adapter so that a software one is visible. Throws when there is none.
 */
export async function useDevice(device: "cpu" | "webgpu"): Promise<string> {
  if (device === "cpu") {
    defaultDevice("cpu");
    return "device: cpu";
  }
  const devices = await init({ allowSoftwareAdapter: true });
  if (!devices.includes("webgpu")) throw new Error(`--device webgpu: init() found no WebGPU adapter (${devices.reason})`);
  defaultDevice("webgpu");
  return `device: ${devices.reason}`;
}

/** What every example's `run` returns (examples add their own fields). */
export interface ExampleResult {
  /** The files written, absolute paths. */
  files: string[];
}

/** A logger that is silent when `quiet`. */
export function logger(quiet = false): (...args: unknown[]) => void {
  return quiet ? () => {} : (...args) => console.log(...args);
}

/** Creates (if needed) and returns the example's output folder. */
export function outputDir(name: string, options: ExampleOptions): string {
  const dir = resolve(options.outDir ?? join("out", name));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A path for printing: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") ? path : rel;
}

/** Renders a Vega-Lite spec to SVG text (no DOM, no canvas: text is measured by estimate). */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders SVG text to PNG at `scale` times its size, on white, with the system's fonts. */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}

/** Writes `NAME.svg` (and `NAME.png` unless `png: false`) into `dir`; returns the paths written. */
export async function savePlot(spec: TopLevelSpec, dir: string, name: string, options: ExampleOptions = {}): Promise<string[]> {
  return saveSvg(await toSvg({ background: "white", ...spec } as TopLevelSpec), dir, name, options);
}

/** Writes SVG text as `NAME.svg` (and `NAME.png` unless `png: false`) into `dir`; returns the paths written. */
export function saveSvg(svg: string, dir: string, name: string, options: ExampleOptions = {}): string[] {
  const svgPath = join(dir, `${name}.svg`);
  writeFileSync(svgPath, svg);
  if (options.png === false) return [svgPath];
  const pngPath = join(dir, `${name}.png`);
  writeFileSync(pngPath, svgToPng(svg));
  return [svgPath, pngPath];
}

/**
 * A grid of small grayscale images (0 black … 255 white ink, drawn as dark
 * ink on white), each with a caption below, as SVG text. Each image is
 * `width × height` bytes, row-major; a pixel becomes a square `scale` units
 * wide, in one of 16 grays, and only the inked ones are drawn.
 */
export function imageGridSvg(
  images: ArrayLike<number>[],
  options: { width: number; height: number; columns?: number; scale?: number; captions?: string[]; title?: string },
): string {
  const { width, height, columns = 10, scale = 3, captions = [], title } = options;
  const pad = 8;
  const caption = captions.length > 0 ? 16 : 0;
  const top = title ? 28 : 0;
  const cellW = width * scale + pad;
  const cellH = height * scale + caption + pad;
  const cols = Math.max(1, Math.min(columns, images.length));
  const rows = Math.ceil(images.length / columns);
  const w = Math.max(cols * cellW + pad, title ? title.length * 7 + 2 * pad : 0);
  const h = top + rows * cellH + pad;
  const esc = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="DejaVu Sans, sans-serif">`, `<rect width="${w}" height="${h}" fill="white"/>`];
  if (title) parts.push(`<text x="${pad}" y="20" font-size="13" font-weight="bold">${esc(title)}</text>`);
  images.forEach((img, k) => {
    const x0 = pad + (k % columns) * cellW;
    const y0 = top + pad + Math.floor(k / columns) * cellH;
    parts.push(`<rect x="${x0 - 0.5}" y="${y0 - 0.5}" width="${width * scale + 1}" height="${height * scale + 1}" fill="none" stroke="#ccc"/>`);
    // one path per gray level (16 levels), each row's runs of one level as one rectangle: a grid of
    // 40 digits stays near 100 KB, where a rectangle per pixel made 400 KB
    const runs = new Map<number, string[]>();
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; ) {
        const level = Math.round(img[r * width + c] / 17); // 0 … 15
        let end = c + 1;
        while (end < width && Math.round(img[r * width + end] / 17) === level) end++;
        if (level > 0) {
          if (!runs.has(level)) runs.set(level, []);
          runs.get(level)!.push(`M${c * scale},${r * scale}h${(end - c) * scale}v${scale}h${-(end - c) * scale}z`);
        }
        c = end;
      }
    }
    parts.push(`<g transform="translate(${x0},${y0})">`);
    for (const [level, d] of runs) parts.push(`<path fill="rgb(${255 - 17 * level},${255 - 17 * level},${255 - 17 * level})" d="${d.join("")}"/>`);
    parts.push("</g>");
    if (captions[k] !== undefined) parts.push(`<text x="${x0 + (width * scale) / 2}" y="${y0 + height * scale + 13}" font-size="11" text-anchor="middle">${esc(captions[k])}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** Prints where the files went. */
export function reportFiles(log: (...args: unknown[]) => void, files: string[]): void {
  if (files.length === 0) return;
  log(`\nplots written to ${displayPath(join(files[0], ".."))}/:`);
  for (const f of files) log(`  ${displayPath(f)}`);
}

/**
 * A progress bar over a training loop, with log lines printed above it. The
 * bar is drawn only on a terminal; elsewhere (CI, a pipe, a file) only the
 * log lines are printed, so the output stays readable.
 */
export interface Progress {
  /** Sets the current step and, optionally, the loss shown beside the bar. */
  update(step: number, loss?: number): void;
  /** Prints a line above the bar. */
  log(line: string): void;
  stop(): void;
}

export function progress(label: string, total: number, quiet = false): Progress {
  if (quiet) return { update() {}, log() {}, stop() {} };
  if (!process.stdout.isTTY) return { update() {}, log: (line) => console.log(line), stop() {} };
  // a MultiBar, for its log(): it prints lines above the bar and redraws the bar itself, with no
  // cursor saving and restoring (which garbled a fresh or cleared terminal while lines printed)
  const bars = new MultiBar({
    format: `${label} [{bar}] {value}/{total} | loss {loss} | {duration_formatted}, eta {eta_formatted}`,
    barCompleteChar: "█",
    barIncompleteChar: "░",
    barsize: 30,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 100,
  });
  const bar = bars.create(total, 0, { loss: "—" });
  return {
    update(s, loss) {
      bar.update(s, loss === undefined ? {} : { loss: formatNumber(loss) });
    },
    log(line) {
      bars.log(`${line}\n`);
    },
    stop() {
      bars.stop();
    },
  };
}

/** A number in a short form for logs: 4 significant digits, exponent for very large or small magnitudes. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? x.toExponential(3) : x.toPrecision(4);
}

/** Milliseconds since `start` (from performance.now()). */
export function since(start: number): number {
  return performance.now() - start;
}

/** A duration in ms or s for logs. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Keeps at most about `n` evenly spaced entries of a long series (plots of thousands of steps need no more). */
export function thin<T>(values: T[], n = 500): T[] {
  if (values.length <= n) return values;
  const every = Math.ceil(values.length / n);
  return values.filter((_v, i) => i % every === 0 || i === values.length - 1);
}

/**
 * A classifier's training plot: the loss of every step (log scale) beside
 * the accuracy on held-out data after each epoch (cnn-digits, mnist-cnn).
 */
export function classifierTrainingSpec(losses: number[], accuracy: number[], o: { title: string; subtitle: string; accuracyTitle: string; accuracyFloor: number }): TopLevelSpec {
  return {
    title: { text: o.title, subtitle: o.subtitle },
    hconcat: [
      {
        width: 380,
        height: 260,
        data: { values: losses.map((loss, step) => ({ step, loss })) },
        mark: { type: "line", strokeWidth: 1 },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "loss", type: "quantitative", title: "cross-entropy (log scale)", scale: { type: "log" } },
        },
      },
      {
        width: 260,
        height: 260,
        data: { values: accuracy.map((acc, e) => ({ epoch: e + 1, accuracy: 100 * acc })) },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
          y: { field: "accuracy", type: "quantitative", title: o.accuracyTitle, scale: { domain: [Math.min(o.accuracyFloor, ...accuracy.map((a) => Math.floor(100 * a))), 100] } },
        },
      },
    ],
  } as TopLevelSpec;
}

/** A confusion matrix as a heat map with its counts (rows: the true class; columns: the answer); counts above `whiteAbove` are written in white. */
export function confusionSpec(confusion: number[][], o: { title: string; size: number; whiteAbove: number }): TopLevelSpec {
  const values = confusion.flatMap((row, t) => row.map((count, p) => ({ truth: t, predicted: p, count })));
  return {
    title: { text: o.title, subtitle: "rows: the true digit; columns: the network's answer" },
    width: o.size,
    height: o.size,
    data: { values },
    encoding: {
      x: { field: "predicted", type: "ordinal", title: "predicted" },
      y: { field: "truth", type: "ordinal", title: "true" },
    },
    layer: [
      { mark: "rect", encoding: { color: { field: "count", type: "quantitative", scale: { type: "symlog", scheme: "blues" }, legend: null } } },
      {
        mark: { type: "text", fontSize: 11 },
        encoding: {
          text: { field: "count", type: "quantitative" },
          color: { condition: { test: `datum.count > ${o.whiteAbove}`, value: "white" }, value: "black" },
        },
      },
    ],
  } as TopLevelSpec;
}
