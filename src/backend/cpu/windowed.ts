/**
 * The CPU's windowed selections (src/lax/windowed.ts): select_and_gather_add
 * (the tangent at each window's selected element) and select_and_scatter_add
 * (each window's source value added at its selected element). A window
 * selects its first element, replaced in row-major window order by a later
 * one wherever `selected >= candidate` (max; `<=` for min) is false, as
 * XLA's SelectAndScatter with JAX's `ge`/`le`. Windows lie inside the
 * operand (the lax layer pads first).
 *
 * float32 operands whose innermost axis is not windowed (channels last: NHWC
 * pooling) select four channels at a time in WebAssembly SIMD
 * (window-select.ts); the rest, row by row here.
 */
import type { TypedArray } from "../../dtype.js";
import { contiguousStrides, sizeOf } from "../../shape.js";
import type { RoutineTable, WindowSelectParams } from "../device.js";
import { alloc } from "./memory.js";
import { selectionWasm } from "./window-select.js";

/** For each window (in row-major order) the flat operand index of its selected element. */
export function selectedIndices(x: TypedArray, p: WindowSelectParams): Int32Array {
  const { inShape, outShape, window, strides, dilation } = p;
  const nd = inShape.length;
  const inStrides = contiguousStrides(inShape);
  const K = sizeOf(window);
  // each window offset's flat distance from the window's first element
  const offsets = new Int32Array(K);
  for (let k = 0; k < K; k++) {
    let rest = k;
    let off = 0;
    for (let j = nd - 1; j >= 0; j--) {
      off += (rest % window[j]) * dilation[j] * inStrides[j];
      rest = Math.floor(rest / window[j]);
    }
    offsets[k] = off;
  }
  const n = sizeOf(outShape);
  const out = new Int32Array(n);
  if (n === 0) return out;
  if (nd === 0) return out; // one window, the only element (index 0)
  // row by row along the innermost output axis (its base advancing by the stride), every other
  // axis by an odometer: the windows in row-major order, each selecting as above
  const last = nd - 1;
  const W = outShape[last];
  const step = strides[last] * inStrides[last];
  const rows = n / W;
  const o = new Array<number>(nd).fill(0);
  const isMax = p.op === "max";
  let rowBase = 0;
  let i = 0;
  for (let row = 0; row < rows; row++) {
    let base = rowBase;
    if (isMax) {
      for (let w = 0; w < W; w++, base += step) {
        let best = base;
        let bv = x[base];
        for (let k = 1; k < K; k++) {
          const at = base + offsets[k];
          const v = x[at];
          if (!(bv >= v)) {
            best = at;
            bv = v;
          }
        }
        out[i++] = best;
      }
    } else {
      for (let w = 0; w < W; w++, base += step) {
        let best = base;
        let bv = x[base];
        for (let k = 1; k < K; k++) {
          const at = base + offsets[k];
          const v = x[at];
          if (!(bv <= v)) {
            best = at;
            bv = v;
          }
        }
        out[i++] = best;
      }
    }
    for (let j = last - 1; j >= 0; j--) {
      const s = strides[j] * inStrides[j];
      rowBase += s;
      if (++o[j] < outShape[j]) break;
      rowBase -= o[j] * s;
      o[j] = 0;
    }
  }
  return out;
}

const select_and_gather_add: RoutineTable<TypedArray>["select_and_gather_add"] = ([t, x], _inTypes, [outType], p) => {
  const out = alloc(outType.dtype, sizeOf(outType.shape), false);
  if (selectionWasm("gather", t, x, p, out)) return [out];
  const idx = selectedIndices(x, p);
  for (let i = 0; i < idx.length; i++) out[i] = t[idx[i]];
  return [out];
};

const select_and_scatter_add: RoutineTable<TypedArray>["select_and_scatter_add"] = ([s, x], _inTypes, [outType], p) => {
  const out = alloc(outType.dtype, sizeOf(outType.shape), true);
  if (selectionWasm("scatter", s, x, p, out)) return [out];
  const idx = selectedIndices(x, p);
  for (let i = 0; i < idx.length; i++) out[idx[i]] += s[i];
  return [out];
};

/** The windowed routines of the contract. */
export const cpuWindowedRoutines = { select_and_gather_add, select_and_scatter_add };
