/**
 * Pooling: the functions flax users know (`maxPool`, `avgPool`, `minPool`
 * over inputs shaped [...batch, ...window axes, features]) and stax-style
 * layers (`MaxPool`, `AvgPool`, `SumPool`, `GlobalAvgPool`, NHWC by default),
 * all on `lax.reduceWindow`, so that max-pool's gradient is JAX's
 * select-and-scatter-add and avg-pool's the transpose of a window sum.
 */
import { isFloat } from "../dtype.js";
import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import { describe, intsArg, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { add, div, max, min, operandArg } from "../lax/elementwise.js";
import { reduceSum } from "../lax/reduce.js";
import { broadcastInDim } from "../lax/shape.js";
import { padtypeToPads, reduceWindow, type Padding } from "../lax/windowed.js";
import * as np from "../numpy/index.js";
import type { Layer, LayerShape } from "./layers.js";

export interface PoolOptions {
  /** Strides of the window along the window axes (default all 1). */
  strides?: readonly number[];
  /** "VALID" (default), "SAME", "SAME_LOWER", or one [low, high] pair per window axis. */
  padding?: Padding;
}
export interface AvgPoolOptions extends PoolOptions {
  /** Whether padded elements count in each window's average (default true, as flax). */
  countIncludePad?: boolean;
}

/** The window axes' window, strides and padding, and the full window for an operand of `ndim` with them at `axes`. */
function geometry(op: string, x: Value, windowShape: unknown, options: PoolOptions | undefined, axes: number[]) {
  const { strides, padding = "VALID" } = optionsArg(op, options);
  const window = intsArg(op, "windowShape", windowShape);
  if (window.length !== axes.length) {
    throw new ShapeError(`${op}: windowShape ${JSON.stringify(window)} needs ${axes.length} entries, one per window axis of an input of shape [${x.shape.join(", ")}]`);
  }
  const st = strides === undefined ? window.map(() => 1) : intsArg(op, "strides", strides);
  if (st.length !== window.length) throw new ShapeError(`${op}: strides needs ${window.length} entries, one per window axis, got ${st.length}`);
  if (window.some((k) => k < 1) || st.some((k) => k < 1)) throw new ShapeError(`${op}: windowShape and strides must be positive, got ${JSON.stringify(window)} and ${JSON.stringify(st)}`);
  const spatial = axes.map((a) => x.shape[a]);
  const pads = padsOf(op, paddingArg(op, padding, window.length), spatial, window, st);
  const full = (fill: number, per: number[]) => x.shape.map((_, i) => (axes.includes(i) ? per[axes.indexOf(i)] : fill));
  return {
    window: full(1, window),
    strides: full(1, st),
    padding: x.shape.map((_, i): [number, number] => (axes.includes(i) ? pads[axes.indexOf(i)] : [0, 0])),
    spatialWindow: window,
  };
}

/** A padding option checked: a padding name, or one [low, high] pair of integers per window axis. */
function paddingArg(op: string, padding: unknown, n: number): string | [number, number][] {
  if (typeof padding === "string") return padding;
  if (!Array.isArray(padding)) throw new ArgumentError(`${op}: padding must be "VALID", "SAME", "SAME_LOWER" or [low, high] pairs, got ${describe(padding)}`);
  if (padding.length !== n) throw new ShapeError(`${op}: padding needs ${n} [low, high] pairs, one per window axis, got ${padding.length}`);
  return padding.map((pr, i) => {
    const lh = intsArg(op, `padding[${i}]`, pr);
    if (lh.length !== 2) throw new ShapeError(`${op}: padding[${i}] must be a [low, high] pair, got ${lh.length} numbers`);
    return lh as [number, number];
  });
}

const padsOf = (op: string, padding: string | [number, number][], spatial: number[], window: number[], strides: number[]): [number, number][] =>
  typeof padding === "string" ? padtypeToPads(spatial, window, strides, padding) : padding;

/** avg-pooling divides: a float input only, as flax's (whose float init value refuses integer inputs). */
function floatInput(op: string, x: Value): Value {
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: needs a float input, got ${x.dtype}; convert it first (x.astype("float32"))`);
  return x;
}

/** flax's layout: the window axes are those before the last (features), after the batch axes. */
function flaxAxes(op: string, x: Value, windowShape: unknown): number[] {
  const n = Array.isArray(windowShape) ? windowShape.length : -1;
  if (n < 0) throw new ShapeError(`${op}: windowShape must be a JS array of integers, got ${describe(windowShape)}`);
  if (x.ndim < n + 1) throw new ShapeError(`${op}: an input of shape [${x.shape.join(", ")}] has too few axes for a ${n}-d window and a features axis`);
  return Array.from({ length: n }, (_, i) => x.ndim - 1 - n + i);
}

function pooled(op: string, init: number, comp: (a: Value, b: Value) => Value) {
  return (inputs: Value, windowShape: readonly number[], options?: PoolOptions): Value => {
    const x = operandArg(op, inputs);
    const g = geometry(op, x, windowShape, options, flaxAxes(op, x, windowShape));
    return reduceWindow(x, init, comp, g.window, g.strides, g.padding);
  };
}

/**
 * Max pooling over the window axes of `inputs` shaped [...batch, ...spatial, features]
 * (flax's `nn.max_pool`); its gradient goes to the first maximum of each window.
 * @example
 * const x = np.arange(16, "float32").reshape([1, 4, 4, 1]);
 * nn.maxPool(x, [2, 2], { strides: [2, 2] }).reshape([2, 2]); // [[5, 7], [13, 15]]
 */
export const maxPool = pooled("nn.maxPool", -Infinity, max);

/**
 * Min pooling over the window axes (flax's `nn.min_pool`).
 * @example
 * const x = np.arange(16, "float32").reshape([1, 4, 4, 1]);
 * nn.minPool(x, [2, 2], { strides: [2, 2] }).reshape([2, 2]); // [[0, 2], [8, 10]]
 */
export const minPool = pooled("nn.minPool", Infinity, min);

/** The number of elements of each window inside the unpadded input, broadcast to the output's shape. */
function windowCounts(x: Value, g: ReturnType<typeof geometry>, axes: number[]): Value {
  const shape = x.shape.map((n, i) => (axes.includes(i) ? n : 1));
  const ones = np.ones(shape, x.dtype);
  const counts = reduceWindow(ones, 0, add, g.window, g.strides, g.padding);
  return counts;
}

/**
 * Average pooling over the window axes (flax's `nn.avg_pool`): with
 * `countIncludePad` (the default) each window's sum is divided by the
 * window's size, else by the number of its elements inside the input.
 * @example
 * const x = np.arange(16, "float32").reshape([1, 4, 4, 1]);
 * nn.avgPool(x, [2, 2], { strides: [2, 2] }).reshape([2, 2]); // [[2.5, 4.5], [10.5, 12.5]]
 */
export function avgPool(inputs: Value, windowShape: readonly number[], options?: AvgPoolOptions): Value {
  const op = "nn.avgPool";
  const x = floatInput(op, operandArg(op, inputs));
  const { countIncludePad = true } = optionsArg(op, options);
  if (typeof countIncludePad !== "boolean") throw new ArgumentError(`${op}: countIncludePad must be true or false, got ${describe(countIncludePad)}`);
  const axes = flaxAxes(op, x, windowShape);
  const g = geometry(op, x, windowShape, options, axes);
  const sums = reduceWindow(x, 0, add, g.window, g.strides, g.padding);
  if (countIncludePad) return div(sums, g.spatialWindow.reduce((a, b) => a * b, 1));
  return div(sums, broadcastInDim(windowCounts(x, g, axes), sums.shape, sums.shape.map((_, i) => i)));
}

// ---- stax-style layers -------------------------------------------------------------------

export interface PoolLayerOptions extends PoolOptions {
  /**
   * Where the batch ("N") and features ("C") axes are, one letter per input
   * axis, the others being the window axes in order (default "NHWC"-like:
   * batch first, features last, as stax).
   */
  spec?: string;
}

/** The window axes for a layer's spec over an input of `ndim` axes. */
function specAxes(op: string, spec: string | undefined, ndim: number, windowRank: number): number[] {
  if (spec === undefined) {
    if (ndim !== windowRank + 2) throw new ShapeError(`${op}: a ${windowRank}-d window needs inputs of ${windowRank + 2} axes (batch, ${windowRank} window axes, features), got ${ndim}`);
    return Array.from({ length: windowRank }, (_, i) => i + 1);
  }
  if (typeof spec !== "string" || spec.length !== ndim || !spec.includes("N") || !spec.includes("C") || spec.length !== windowRank + 2) {
    throw new ShapeError(`${op}: spec must name each of the ${ndim} input axes, with one "N" (batch) and one "C" (features) among ${windowRank} window axes, got ${describe(spec)}`);
  }
  return [...spec].flatMap((c, i) => (c === "N" || c === "C" ? [] : [i]));
}

function outShapeOf(op: string, shape: readonly number[], windowShape: readonly number[], options: PoolLayerOptions): number[] {
  const axes = specAxes(op, options.spec, shape.length, windowShape.length);
  const st = options.strides === undefined ? windowShape.map(() => 1) : intsArg(op, "strides", options.strides);
  if (st.length !== windowShape.length || st.some((k) => k < 1)) throw new ShapeError(`${op}: strides need ${windowShape.length} positive entries, got ${JSON.stringify(st)}`);
  const spatial = axes.map((a) => shape[a]);
  if (spatial.some((d) => d < 0)) throw new ShapeError(`${op}: the window axes need known sizes, got [${shape.join(", ")}]`);
  const pads = padsOf(op, paddingArg(op, options.padding ?? "VALID", windowShape.length), spatial, [...windowShape], st);
  const out = [...shape];
  axes.forEach((a, j) => {
    const n = spatial[j] + pads[j][0] + pads[j][1];
    out[a] = n < windowShape[j] ? 0 : Math.floor((n - windowShape[j]) / st[j]) + 1;
  });
  return out;
}

function arrayShape(op: string, shape: LayerShape): number[] {
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < -1)) {
    throw new ShapeError(`${op}: expected the shape of one array (integers, -1 for a batch dimension), got ${describe(shape)}`);
  }
  return [...(shape as readonly number[])];
}

function poolLayer(op: string, windowShape: readonly number[], options: PoolLayerOptions | undefined, apply: (x: Value, window: number[], strides: number[], padding: [number, number][], axes: number[]) => Value): Layer<[]> {
  const opts = optionsArg(op, options);
  const window = intsArg(op, "windowShape", windowShape);
  if (window.some((k) => k < 1)) throw new ShapeError(`${op}: windowShape must be positive, got ${JSON.stringify(window)}`);
  if (opts.strides !== undefined) intsArg(op, "strides", opts.strides);
  if (opts.padding !== undefined) paddingArg(op, opts.padding, window.length);
  return {
    init: (_key, inputShape) => [outShapeOf(op, arrayShape(op, inputShape), window, opts), []],
    apply(_params, x) {
      x = operandArg(op, x);
      const axes = specAxes(op, opts.spec, x.ndim, window.length);
      const g = geometry(op, x, window, opts, axes);
      return apply(x, g.window, g.strides, g.padding, axes);
    },
  };
}

/**
 * A max-pooling layer (stax's `MaxPool`): windows of `windowShape` over the
 * window axes of NHWC inputs (or those `spec` names).
 * @example
 * const pool = nn.MaxPool([2, 2], { strides: [2, 2] });
 * const [shape] = pool.init(random.key(0), [-1, 28, 28, 8]); // [-1, 14, 14, 8]
 * pool.apply([], np.ones([2, 28, 28, 8])).shape;            // [2, 14, 14, 8]
 */
export function MaxPool(windowShape: readonly number[], options?: PoolLayerOptions): Layer<[]> {
  return poolLayer("nn.MaxPool", windowShape, options, (x, w, s, p) => reduceWindow(x, -Infinity, max, w, s, p));
}

/**
 * A sum-pooling layer (stax's `SumPool`).
 * @example
 * const pool = nn.SumPool([2, 2]);
 * pool.apply([], np.ones([1, 3, 3, 1])).reshape([2, 2]); // [[4, 4], [4, 4]]
 */
export function SumPool(windowShape: readonly number[], options?: PoolLayerOptions): Layer<[]> {
  return poolLayer("nn.SumPool", windowShape, options, (x, w, s, p) => reduceWindow(x, 0, add, w, s, p));
}

/**
 * An average-pooling layer (stax's `AvgPool`): each window's sum divided by
 * the number of its elements inside the input (padding does not count, as stax).
 * @example
 * const pool = nn.AvgPool([2, 2], { strides: [2, 2] });
 * pool.apply([], np.arange(16, "float32").reshape([1, 4, 4, 1])).reshape([2, 2]); // [[2.5, 4.5], [10.5, 12.5]]
 */
export function AvgPool(windowShape: readonly number[], options?: PoolLayerOptions): Layer<[]> {
  return poolLayer("nn.AvgPool", windowShape, options, (x, w, s, p, axes) => {
    floatInput("nn.AvgPool", x);
    const sums = reduceWindow(x, 0, add, w, s, p);
    const ones = np.ones(x.shape.map((n, i) => (axes.includes(i) ? n : 1)), x.dtype);
    const counts = reduceWindow(ones, 0, add, w, s, p);
    return div(sums, broadcastInDim(counts, sums.shape, sums.shape.map((_, i) => i)));
  });
}

/**
 * Global average pooling: the mean over the window axes of NHWC inputs
 * ([N, ...spatial, C] → [N, C]), or those that `spec` names.
 * @example
 * const [shape] = nn.GlobalAvgPool().init(random.key(0), [-1, 7, 7, 32]); // [-1, 32]
 * nn.GlobalAvgPool().apply([], np.ones([2, 7, 7, 32])).shape;             // [2, 32]
 */
export function GlobalAvgPool(options?: { spec?: string }): Layer<[]> {
  const op = "nn.GlobalAvgPool";
  const { spec } = optionsArg(op, options);
  const axesOf = (ndim: number) => {
    if (ndim < 3) throw new ShapeError(`${op}: needs inputs of at least 3 axes (batch, window axes, features), got ${ndim}`);
    return specAxes(op, spec, ndim, ndim - 2);
  };
  return {
    init(_key, inputShape) {
      const shape = arrayShape(op, inputShape);
      const axes = axesOf(shape.length);
      return [shape.filter((_, i) => !axes.includes(i)), []];
    },
    apply(_params, x) {
      x = operandArg(op, x);
      const axes = axesOf(x.ndim);
      floatInput(op, x);
      const n = axes.reduce((p, a) => p * x.shape[a], 1);
      return div(reduceSum(x, axes), n);
    },
  };
}
