/**
 * A CPU fast path for window maxima and minima (reduce_window_max/min, see
 * src/lax/windowed.ts): the kernel IR loop [output..., window...] with the
 * window axes reduced, whose input is read unchanged (no fused producer),
 * and whose innermost output axis is contiguous in the input (channels
 * last, as NHWC pooling: that axis is not windowed). Instead of one short
 * reduction per output element, each row of channels is folded window
 * offset by window offset, C values at a time, in a tight loop over the
 * typed arrays.
 *
 * Values are those of the generic kernel exactly: Math.max/Math.min, as the
 * generic kernels use, are order-independent (NaN propagates, +0 above −0),
 * so folding by window offset rather than by output element changes
 * nothing. Sums are left to the generic kernel (their rounding depends on
 * the order of accumulation).
 */
import type { TypedArray } from "../../dtype.js";
import type { Kernel } from "../kernel.js";

/** How many kernels took this path (tests check that the channels-last case does). */
export const windowReduceStats = { fast: 0 };

let enabled = true;
/** Turns the fast path on or off (tests compare it with the generic kernels); returns the previous setting. */
export function setWindowReduceFast(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** The least contiguous run (channels) worth the fast path. */
const MIN_RUN = 4;

/**
 * Runs `kernel` by the fast path if it is a plain window max/min with a
 * contiguous innermost output axis; returns false (having done nothing) otherwise.
 */
export function tryWindowReduceKernel(kernel: Kernel, out: TypedArray, inputs: TypedArray[]): boolean {
  const red = kernel.reduce;
  if (!enabled || red === undefined || red.epilogue !== undefined || kernel.more !== undefined) return false;
  if (red.op !== "max" && red.op !== "min") return false;
  const e = kernel.expr;
  if (inputs.length !== 1 || kernel.inputs.length !== 1 || e.kind !== "input" || e.input !== 0) return false;
  if (e.dtype !== kernel.dtype || kernel.inputs[0].dtype !== kernel.dtype) return false;
  const x = inputs[0];
  if (!(out instanceof Float32Array || out instanceof Float64Array) || x.constructor !== out.constructor) return false;
  const shape = kernel.loopShape;
  const r = red.axes;
  const q = shape.length - r;
  if (r < 1 || q < 1) return false;
  const { strides, offset } = kernel.inputs[0].view;
  const C = shape[q - 1];
  if (strides[q - 1] !== 1 || C < MIN_RUN) return false;
  // the window offsets (row-major over the reduced axes) as flat input distances
  let K = 1;
  for (let j = q; j < shape.length; j++) K *= shape[j];
  if (K < 1) return false;
  const offs = new Int32Array(K);
  for (let k = 0; k < K; k++) {
    let rest = k;
    let off = 0;
    for (let j = shape.length - 1; j >= q; j--) {
      off += (rest % shape[j]) * strides[j];
      rest = Math.floor(rest / shape[j]);
    }
    offs[k] = off;
  }
  // the rows: every output axis but the innermost
  let rows = 1;
  for (let j = 0; j < q - 1; j++) rows *= shape[j];
  if (rows * C !== out.length) return false;
  windowReduceStats.fast++;
  const idx = new Array<number>(Math.max(q - 1, 0)).fill(0);
  const xs = x as Float32Array;
  const o = out as Float32Array;
  const isMax = red.op === "max";
  let base = offset;
  for (let row = 0; row < rows; row++) {
    const ob = row * C;
    const b0 = base + offs[0];
    for (let c = 0; c < C; c++) o[ob + c] = xs[b0 + c];
    if (isMax) {
      for (let k = 1; k < K; k++) {
        const b = base + offs[k] - ob;
        for (let i = ob, end = ob + C; i < end; i++) o[i] = Math.max(o[i], xs[b + i]);
      }
    } else {
      for (let k = 1; k < K; k++) {
        const b = base + offs[k] - ob;
        for (let i = ob, end = ob + C; i < end; i++) o[i] = Math.min(o[i], xs[b + i]);
      }
    }
    // the next row: odometer over the outer axes, the base following
    for (let j = q - 2; j >= 0; j--) {
      base += strides[j];
      if (++idx[j] < shape[j]) break;
      base -= idx[j] * strides[j];
      idx[j] = 0;
    }
  }
  return true;
}
