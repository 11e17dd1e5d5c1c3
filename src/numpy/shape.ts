/**
 * Shape manipulation: reshaping, axis permutations, joining and splitting,
 * tiling, padding, flipping, rolling, and triangles and diagonals. All of it
 * is layout (lax's shape primitives), so all of it is differentiable.
 */
import type { DType } from "../dtype.js";
import { checkDType } from "../dtype.js";
import { ShapeError, UnsupportedError } from "../errors.js";
import * as lax from "../lax/index.js";
import { fmtShape, sizeOf } from "../shape.js";
import type { ArrayLike, Value } from "./util.js";
import { optionsArg, intsArg, listArg } from "../static-args.js";
import { asValue, axesOf, axisOf, broadcastAll, broadcastValue, cast, constant, describe, intArg, isValue, promote, range, shapeArg, takeStatic } from "./util.js";

// ---- reshaping ------------------------------------------------------------------------

/**
 * Gives `x` a new shape with the same number of elements; one entry may be -1 (inferred).
 * @example np.reshape(np.arange(6), [2, -1]); // shape [2, 3]
 */
export function reshape(x: ArrayLike, shape: number | readonly number[]): Value {
  const op = "np.reshape";
  const v = asValue(x, op);
  const s = typeof shape === "number" ? [shape] : shape;
  if (!Array.isArray(s) || !s.every((d) => Number.isInteger(d) && d >= -1)) {
    throw new ShapeError(`${op}: the new shape must be a list of non-negative integers (one may be -1), got ${describe(shape)}`);
  }
  const unknown = s.filter((d) => d === -1).length;
  if (unknown > 1) throw new ShapeError(`${op}: only one dimension can be -1, got ${fmtShape(s)}`);
  const known = sizeOf(s.filter((d) => d !== -1));
  let out = [...s];
  if (unknown === 1) {
    if (known === 0 || v.size % known !== 0) {
      throw new ShapeError(
        `${op}: cannot reshape an array of shape ${fmtShape(v.shape)} (size ${v.size}) into ${fmtShape(s)}: ` +
          `${v.size} is not a multiple of ${known}; choose sizes whose product is ${v.size}`,
      );
    }
    out = s.map((d) => (d === -1 ? v.size / known : d));
  }
  if (sizeOf(out) !== v.size) {
    throw new ShapeError(
      `${op}: cannot reshape an array of shape ${fmtShape(v.shape)} (size ${v.size}) into ${fmtShape(s)} (size ${sizeOf(out)}); ` +
        `the sizes must multiply to ${v.size}`,
    );
  }
  return lax.reshape(v, out);
}

/**
 * The elements as a 1-D array (row-major).
 * @example np.ravel(np.ones([2, 3])); // shape [6]
 */
export function ravel(x: ArrayLike): Value {
  const v = asValue(x, "np.ravel");
  return lax.reshape(v, [v.size]);
}
/** Alias of {@link ravel}. @example np.flatten(np.ones([2, 2])); */
export const flatten = ravel;

/**
 * Permutes the axes; by default reverses them (a matrix transpose for 2-D).
 * @example np.transpose(np.ones([2, 3])); // shape [3, 2]
 * np.transpose(np.ones([2, 3, 4]), [1, 0, 2]); // shape [3, 2, 4]
 */
export function transpose(x: ArrayLike, axes?: readonly number[] | null): Value {
  const op = "np.transpose";
  const v = asValue(x, op);
  if (axes === undefined || axes === null) return lax.transpose(v, range(v.ndim).reverse());
  if (!Array.isArray(axes) || axes.length !== v.ndim) {
    throw new ShapeError(`${op}: axes must list each of the ${v.ndim} axes of shape ${fmtShape(v.shape)} once, got ${describe(axes)}`);
  }
  const perm = axes.map((a) => axisOf(op, a, v.ndim));
  if (new Set(perm).size !== perm.length) {
    throw new ShapeError(`${op}: axes ${JSON.stringify(axes)} repeat an axis; give a permutation of 0..${v.ndim - 1}`);
  }
  return lax.transpose(v, perm);
}

/**
 * Alias of {@link transpose} (the Array API's name).
 * @example np.permuteDims(np.ones([2, 3]), [1, 0]);
 */
export const permuteDims = transpose;

/**
 * Moves axes to new positions, keeping the order of the others.
 * @example np.moveaxis(np.ones([2, 3, 4]), 0, -1); // shape [3, 4, 2]
 */
export function moveaxis(x: ArrayLike, source: number | readonly number[], destination: number | readonly number[]): Value {
  const op = "np.moveaxis";
  const v = asValue(x, op);
  const src = intsArg(op, "source", source, true).map((a) => axisOf(op, a, v.ndim));
  const dst = intsArg(op, "destination", destination, true).map((a) => axisOf(op, a, v.ndim));
  if (src.length !== dst.length) throw new ShapeError(`${op}: source and destination need the same number of axes, got ${src.length} and ${dst.length}`);
  if (new Set(src).size !== src.length || new Set(dst).size !== dst.length) throw new ShapeError(`${op}: repeated axis in source or destination`);
  const perm = range(v.ndim).filter((i) => !src.includes(i));
  const pairs = src.map((s, i) => [dst[i], s]).sort((a, b) => a[0] - b[0]);
  for (const [d, s] of pairs) perm.splice(d, 0, s);
  return lax.transpose(v, perm);
}

/**
 * Exchanges two axes.
 * @example np.swapaxes(np.ones([2, 3, 4]), 0, 2); // shape [4, 3, 2]
 */
export function swapaxes(x: ArrayLike, axis1: number, axis2: number): Value {
  const op = "np.swapaxes";
  const v = asValue(x, op);
  const a = axisOf(op, axis1, v.ndim);
  const b = axisOf(op, axis2, v.ndim);
  const perm = range(v.ndim);
  [perm[a], perm[b]] = [perm[b], perm[a]];
  return lax.transpose(v, perm);
}

/**
 * Inserts size-1 axes at the given positions of the output.
 * @example np.expandDims(np.ones([3]), 0); // shape [1, 3]
 * np.expandDims(np.ones([3]), [0, -1]); // shape [1, 3, 1]
 */
export function expandDims(x: ArrayLike, axis: number | readonly number[]): Value {
  const op = "np.expandDims";
  const v = asValue(x, op);
  const list = intsArg(op, "axis", axis, true);
  const axes = axesOf(op, list, v.ndim + list.length);
  return lax.expandDims(v, axes);
}

/**
 * Removes size-1 axes: all of them, or those given (which must have size 1).
 * @example np.squeeze(np.ones([1, 3, 1])); // shape [3]
 */
export function squeeze(x: ArrayLike, axis?: number | readonly number[] | null): Value {
  const op = "np.squeeze";
  const v = asValue(x, op);
  const axes = axis === undefined || axis === null ? range(v.ndim).filter((i) => v.shape[i] === 1) : axesOf(op, axis, v.ndim);
  for (const a of axes) {
    if (v.shape[a] !== 1) {
      throw new ShapeError(`${op}: cannot squeeze axis ${a} of shape ${fmtShape(v.shape)}: it has size ${v.shape[a]}, not 1; only size-1 axes can be removed`);
    }
  }
  return lax.squeeze(v, axes);
}

/**
 * Broadcasts `x` to `shape` by NumPy's rules.
 * @example np.broadcastTo(np.array([1, 2, 3]), [2, 3]); // [[1, 2, 3], [1, 2, 3]]
 */
export function broadcastTo(x: ArrayLike, shape: number | readonly number[]): Value {
  const op = "np.broadcastTo";
  return broadcastValue(op, asValue(x, op), shapeArg(op, shape));
}

/**
 * Broadcasts all arguments against each other.
 * @example const [a, b] = np.broadcastArrays(np.ones([3, 1]), np.ones([4])); // both [3, 4]
 */
export function broadcastArrays(...xs: ArrayLike[]): Value[] {
  const op = "np.broadcastArrays";
  return broadcastAll(op, xs.map((x) => asValue(x, op)));
}

/**
 * Converts to `dtype` (float → int truncates towards zero).
 * @example np.astype(np.array([1.7, -1.7]), "int32"); // [1, -1]
 */
export function astype(x: ArrayLike, dtype: DType): Value {
  return cast(asValue(x, "np.astype"), checkDType(dtype, "np.astype"));
}

/**
 * Arrays with at least one axis.
 * @example np.atleast1d(3); // shape [1]
 */
export function atleast1d(x: ArrayLike): Value {
  const v = asValue(x, "np.atleast1d");
  return v.ndim >= 1 ? v : lax.reshape(v, [1]);
}

/**
 * Arrays with at least two axes (1-D arrays become rows).
 * @example np.atleast2d(np.ones([3])); // shape [1, 3]
 */
export function atleast2d(x: ArrayLike): Value {
  const v = asValue(x, "np.atleast2d");
  return v.ndim >= 2 ? v : lax.reshape(v, v.ndim === 0 ? [1, 1] : [1, v.shape[0]]);
}

/**
 * Arrays with at least three axes (`[n]` → `[1, n, 1]`, `[m, n]` → `[m, n, 1]`).
 * @example np.atleast3d(np.ones([3])); // shape [1, 3, 1]
 */
export function atleast3d(x: ArrayLike): Value {
  const v = asValue(x, "np.atleast3d");
  if (v.ndim >= 3) return v;
  const shape = v.ndim === 0 ? [1, 1, 1] : v.ndim === 1 ? [1, v.shape[0], 1] : [...v.shape, 1];
  return lax.reshape(v, shape);
}

// ---- joining and splitting ----------------------------------------------------------------

/**
 * Joins arrays along an existing axis (null: flattens them first). Dtypes are promoted.
 * @example np.concatenate([np.ones([2, 3]), np.zeros([1, 3])]); // shape [3, 3]
 */
export function concatenate(xs: readonly ArrayLike[], axis: number | null = 0): Value {
  const op = "np.concatenate";
  if (!Array.isArray(xs) || xs.length === 0) throw new ShapeError(`${op}: needs a non-empty list of arrays`);
  let vs = promote(op, xs as ArrayLike[]).map((v) => cast(v, v.dtype));
  if (axis === null) {
    vs = vs.map((v) => lax.reshape(v, [v.size]));
    axis = 0;
  }
  const first = vs[0];
  if (first.ndim === 0) throw new ShapeError(`${op}: 0-d arrays cannot be concatenated; use np.stack, or give them an axis with np.atleast1d`);
  const a = axisOf(op, axis, first.ndim);
  vs.forEach((v, i) => {
    if (v.ndim !== first.ndim || v.shape.some((d, k) => k !== a && d !== first.shape[k])) {
      throw new ShapeError(
        `${op}: array ${i} has shape ${fmtShape(v.shape)}, but array 0 has shape ${fmtShape(first.shape)}; ` +
          `all sizes except along axis ${a} must match`,
      );
    }
  });
  return lax.concatenate(vs, a);
}

/**
 * Joins arrays of one shape along a new axis.
 * @example np.stack([np.ones([3]), np.zeros([3])]); // shape [2, 3]
 * np.stack([np.ones([3]), np.zeros([3])], 1); // shape [3, 2]
 */
export function stack(xs: readonly ArrayLike[], axis = 0): Value {
  const op = "np.stack";
  if (!Array.isArray(xs) || xs.length === 0) throw new ShapeError(`${op}: needs a non-empty list of arrays`);
  const vs = promote(op, xs as ArrayLike[]).map((v) => cast(v, v.dtype));
  const shape = vs[0].shape;
  vs.forEach((v, i) => {
    if (v.ndim !== shape.length || v.shape.some((d, k) => d !== shape[k])) {
      throw new ShapeError(`${op}: all arrays need the same shape; array ${i} has shape ${fmtShape(v.shape)}, array 0 has ${fmtShape(shape)}`);
    }
  });
  const a = axisOf(op, axis, shape.length + 1);
  return lax.concatenate(
    vs.map((v) => lax.expandDims(v, [a])),
    a,
  );
}

/**
 * Joins horizontally: along axis 0 for 1-D arrays, axis 1 otherwise.
 * @example np.hstack([np.ones([2]), np.zeros([3])]); // shape [5]
 */
export function hstack(xs: readonly ArrayLike[]): Value {
  const vs = listArg<ArrayLike>("np.hstack", "xs", xs).map(atleast1d);
  return concatenate(vs, vs[0]?.ndim === 1 ? 0 : 1);
}

/**
 * Joins vertically (1-D arrays become rows).
 * @example np.vstack([np.ones([3]), np.zeros([3])]); // shape [2, 3]
 */
export function vstack(xs: readonly ArrayLike[]): Value {
  return concatenate(listArg<ArrayLike>("np.vstack", "xs", xs).map(atleast2d), 0);
}

/**
 * Joins along the third axis.
 * @example np.dstack([np.ones([2]), np.zeros([2])]); // shape [1, 2, 2]
 */
export function dstack(xs: readonly ArrayLike[]): Value {
  return concatenate(listArg<ArrayLike>("np.dstack", "xs", xs).map(atleast3d), 2);
}

/**
 * Stacks 1-D arrays as columns of a 2-D array.
 * @example np.columnStack([np.ones([3]), np.zeros([3])]); // shape [3, 2]
 */
export function columnStack(xs: readonly ArrayLike[]): Value {
  return concatenate(
    listArg<ArrayLike>("np.columnStack", "xs", xs).map((x) => {
      const v = asValue(x, "np.columnStack");
      return v.ndim < 2 ? lax.reshape(v, [v.size, 1]) : v;
    }),
    1,
  );
}

function splitAt(v: Value, points: number[], axis: number): Value[] {
  const n = v.shape[axis];
  const bounds = [0, ...points.map((p) => Math.min(Math.max(p < 0 ? p + n : p, 0), n)), n];
  const out: Value[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const lo = bounds[i];
    const hi = Math.max(lo, bounds[i + 1]);
    out.push(lax.slice(v, v.shape.map((_, k) => (k === axis ? lo : 0)), v.shape.map((d, k) => (k === axis ? hi : d))));
  }
  return out;
}

/**
 * Splits into `sections` equal parts, or at the given indices, along `axis`.
 * @example
 * np.split(np.arange(6), 3);      // three arrays of length 2
 * np.split(np.arange(6), [1, 4]); // lengths 1, 3, 2
 */
export function split(x: ArrayLike, indicesOrSections: number | readonly number[], axis = 0): Value[] {
  const op = "np.split";
  const v = asValue(x, op);
  if (v.ndim === 0) throw new ShapeError(`${op}: cannot split a 0-d array`);
  const a = axisOf(op, axis, v.ndim);
  const n = v.shape[a];
  if (typeof indicesOrSections === "number") {
    const k = intArg(op, "sections", indicesOrSections);
    if (k <= 0 || n % k !== 0) {
      throw new ShapeError(
        `${op}: axis ${a} of size ${n} (shape ${fmtShape(v.shape)}) cannot be split into ${k} equal sections; ` +
          `use np.arraySplit for unequal parts, or give the split indices`,
      );
    }
    return splitAt(v, range(k - 1, 1).map((i) => (i * n) / k), a);
  }
  return splitAt(v, intsArg(op, "indices", indicesOrSections), a);
}

/** Sections beyond an axis's length that arraySplit still returns (as empty arrays). */
const MAX_SECTIONS = 2 ** 16;

/**
 * As {@link split}, but `sections` need not divide the axis: the first parts get one more element.
 * @example np.arraySplit(np.arange(5), 2); // lengths 3, 2
 */
export function arraySplit(x: ArrayLike, indicesOrSections: number | readonly number[], axis = 0): Value[] {
  const op = "np.arraySplit";
  const v = asValue(x, op);
  const a = axisOf(op, axis, v.ndim);
  if (typeof indicesOrSections !== "number") return split(v, indicesOrSections, a);
  const k = intArg(op, "sections", indicesOrSections);
  if (k <= 0) throw new ShapeError(`${op}: sections must be positive, got ${k}`);
  const n = v.shape[a];
  // every section is an Array in a JS list: past the axis length they are all empty, and a list of
  // billions of them would exhaust the JS heap (an uncatchable abort), not make anything useful
  if (k > Math.max(n, MAX_SECTIONS)) {
    throw new ShapeError(`${op}: ${k} sections of an axis of length ${n} would return ${k} arrays, most of them empty; at most max(axis length, ${MAX_SECTIONS}) are allowed`);
  }
  const base = Math.floor(n / k);
  const extra = n % k;
  const points: number[] = [];
  let p = 0;
  for (let i = 0; i < k - 1; i++) points.push((p += base + (i < extra ? 1 : 0)));
  return splitAt(v, points, a);
}

// ---- repetition ---------------------------------------------------------------------------

/**
 * Repeats the whole array `reps` times along each axis.
 * @example np.tile(np.array([1, 2]), 2); // [1, 2, 1, 2]
 * np.tile(np.array([1, 2]), [2, 1]); // [[1, 2], [1, 2]]
 */
export function tile(x: ArrayLike, reps: number | readonly number[]): Value {
  const op = "np.tile";
  const v = asValue(x, op);
  const r = shapeArg(op, reps);
  const d = Math.max(v.ndim, r.length);
  const shape = [...Array(d - v.ndim).fill(1), ...v.shape];
  const rr = [...Array(d - r.length).fill(1), ...r];
  const xr = lax.reshape(v, shape);
  const wide = range(d).flatMap((i) => [rr[i], shape[i]]);
  const b = lax.broadcastInDim(xr, wide, range(d).map((i) => 2 * i + 1));
  return lax.reshape(b, range(d).map((i) => rr[i] * shape[i]));
}

/**
 * Repeats each element `repeats` times (or `repeats[i]` times for element i) along `axis` (flattened when omitted).
 * @example np.repeat(np.array([1, 2]), 2); // [1, 1, 2, 2]
 * np.repeat(np.array([1, 2]), [1, 3]); // [1, 2, 2, 2]
 */
export function repeat(x: ArrayLike, repeats: number | readonly number[], axis?: number | null): Value {
  const op = "np.repeat";
  let v = asValue(x, op);
  if (isValue(repeats)) throw new UnsupportedError(`${op}: repeats must be JS numbers: an array of repeats gives a data-dependent shape`);
  if (axis === undefined || axis === null) {
    v = lax.reshape(v, [v.size]);
    axis = 0;
  }
  const a = axisOf(op, axis, v.ndim);
  const n = v.shape[a];
  if (typeof repeats !== "number") repeats = intsArg(op, "repeats", repeats);
  if (typeof repeats === "number") {
    const r = intArg(op, "repeats", repeats);
    if (r < 0) throw new ShapeError(`${op}: repeats must be non-negative, got ${r}`);
    const wide = [...v.shape.slice(0, a + 1), r, ...v.shape.slice(a + 1)];
    const b = lax.broadcastInDim(v, wide, range(v.ndim).map((i) => (i <= a ? i : i + 1)));
    return lax.reshape(b, v.shape.map((d, i) => (i === a ? d * r : d)));
  }
  if (repeats.length !== n) throw new ShapeError(`${op}: got ${repeats.length} repeat counts for axis ${a} of size ${n}; give one per element`);
  repeats.forEach((r) => {
    if (!Number.isInteger(r) || r < 0) throw new ShapeError(`${op}: repeat counts must be non-negative integers, got ${r}`);
  });
  return takeStatic(v, repeats.flatMap((r, i) => Array(r).fill(i) as number[]), a);
}

// ---- flips, rolls, padding ----------------------------------------------------------------

/**
 * Reverses the order of elements along the given axes (all when omitted).
 * @example np.flip(np.array([1, 2, 3])); // [3, 2, 1]
 */
export function flip(x: ArrayLike, axis?: number | readonly number[] | null): Value {
  const op = "np.flip";
  const v = asValue(x, op);
  return lax.rev(v, axesOf(op, axis, v.ndim));
}

/**
 * Reverses the rows (axis 0).
 * @example np.flipud(np.array([[1], [2]])); // [[2], [1]]
 */
export function flipud(x: ArrayLike): Value {
  return flip(x, 0);
}

/**
 * Reverses the columns (axis 1).
 * @example np.fliplr(np.array([[1, 2]])); // [[2, 1]]
 */
export function fliplr(x: ArrayLike): Value {
  return flip(x, 1);
}

/**
 * Shifts elements cyclically by `shift` along `axis` (the flattened array when omitted).
 * @example np.roll(np.array([1, 2, 3, 4]), 1); // [4, 1, 2, 3]
 */
export function roll(x: ArrayLike, shift: number | readonly number[], axis?: number | readonly number[] | null): Value {
  const op = "np.roll";
  const v = asValue(x, op);
  if (axis === undefined || axis === null) {
    if (typeof shift !== "number") throw new ShapeError(`${op}: a list of shifts needs a list of axes`);
    return lax.reshape(roll(lax.reshape(v, [v.size]), shift, 0), v.shape);
  }
  const axes = intsArg(op, "axis", axis, true).map((a) => axisOf(op, a, v.ndim));
  const shifts = typeof shift === "number" ? axes.map(() => shift) : [...shift];
  if (shifts.length !== axes.length) throw new ShapeError(`${op}: got ${shifts.length} shifts for ${axes.length} axes`);
  let out = v;
  axes.forEach((a, i) => {
    const n = out.shape[a];
    if (n === 0) return;
    const s = ((intArg(op, "shift", shifts[i]) % n) + n) % n;
    if (s === 0) return;
    const [head, tail] = splitAt(out, [n - s], a);
    out = lax.concatenate([tail, head], a);
  });
  return out;
}

export type PadWidth = number | readonly number[] | readonly (number | readonly number[])[];
export interface PadOptions {
  /** "constant" (default), "edge", "wrap", "reflect" (mirror without the edge) or "symmetric" (with it). */
  mode?: "constant" | "edge" | "wrap" | "reflect" | "symmetric";
  /** The fill value of mode "constant" (default 0). */
  constantValue?: ArrayLike;
}

function padWidths(op: string, padWidth: PadWidth, ndim: number): [number, number][] {
  const bad = () => new ShapeError(`${op}: padWidth must be n, [before, after], or one [before, after] per axis (${ndim} axes); got ${describe(padWidth)}`);
  let per: [number, number][];
  if (typeof padWidth === "number") per = Array(ndim).fill([padWidth, padWidth]);
  else if (!Array.isArray(padWidth)) throw bad();
  else if (padWidth.every((p) => typeof p === "number")) {
    const p = padWidth as number[];
    if (p.length === 1) per = Array(ndim).fill([p[0], p[0]]);
    else if (p.length === 2) per = Array(ndim).fill([p[0], p[1]]);
    else throw bad();
  } else {
    const pairs = (padWidth as (number | readonly number[])[]).map((p): [number, number] => {
      if (typeof p === "number") return [p, p];
      if (Array.isArray(p) && p.length === 1) return [p[0], p[0]];
      if (Array.isArray(p) && p.length === 2) return [p[0], p[1]];
      throw bad();
    });
    if (pairs.length === 1) per = Array(ndim).fill(pairs[0]);
    else if (pairs.length === ndim) per = pairs;
    else throw bad();
  }
  for (const [b, a] of per) {
    if (!Number.isInteger(b) || !Number.isInteger(a) || b < 0 || a < 0) throw new ShapeError(`${op}: pad widths must be non-negative integers, got [${b}, ${a}]`);
  }
  return per;
}

/**
 * Pads with a constant (default 0) or by edge/wrap/reflect/symmetric rules.
 * `padWidth`: n for every side, [before, after] for every axis, or one pair per axis.
 * @example
 * np.pad(np.array([1, 2]), 1); // [0, 1, 2, 0]
 * np.pad(np.array([1, 2, 3]), [2, 0], { mode: "reflect" }); // [3, 2, 1, 2, 3]
 */
export function pad(x: ArrayLike, padWidth: PadWidth, options: PadOptions = {}): Value {
  options = optionsArg("np.pad", options);
  const op = "np.pad";
  const v = asValue(x, op);
  const widths = padWidths(op, padWidth, v.ndim);
  const mode = options.mode ?? "constant";
  if (mode === "constant") {
    const c = options.constantValue ?? 0;
    const fill = isValue(c) ? cast(c, v.dtype, v.weakType) : constant(c as number | boolean, v.dtype, v.weakType);
    if (fill.ndim !== 0) throw new ShapeError(`${op}: constantValue must be a scalar, got shape ${fmtShape(fill.shape)}`);
    return lax.pad(v, fill, widths.map(([b, a]) => [b, a, 0]));
  }
  const source: Record<string, (i: number, n: number) => number> = {
    edge: (i, n) => Math.min(Math.max(i, 0), n - 1),
    wrap: (i, n) => ((i % n) + n) % n,
    reflect: (i, n) => {
      if (n === 1) return 0;
      const j = ((i % (2 * n - 2)) + 2 * n - 2) % (2 * n - 2);
      return j >= n ? 2 * n - 2 - j : j;
    },
    symmetric: (i, n) => {
      const j = ((i % (2 * n)) + 2 * n) % (2 * n);
      return j >= n ? 2 * n - 1 - j : j;
    },
  };
  const fn = source[mode];
  if (!Object.prototype.hasOwnProperty.call(source, mode)) {
    throw new UnsupportedError(`${op}: mode ${describe(mode)} is not supported; use "constant", "edge", "wrap", "reflect" or "symmetric"`);
  }
  let out = v;
  widths.forEach(([b, a], axis) => {
    if (b === 0 && a === 0) return;
    const n = out.shape[axis];
    if (n === 0) throw new ShapeError(`${op}: cannot pad the empty axis ${axis} of shape ${fmtShape(v.shape)} in mode "${mode}"`);
    out = takeStatic(out, range(n + b + a, -b).map((i) => fn(i, n)), axis);
  });
  return out;
}

// ---- triangles and diagonals ---------------------------------------------------------------

function triangle(op: string, x: ArrayLike, k: number, lower: boolean): Value {
  const v = asValue(x, op);
  intArg(op, "k", k);
  if (v.ndim < 2) throw new ShapeError(`${op}: needs an array with at least 2 axes, got shape ${fmtShape(v.shape)}`);
  const [n, m] = v.shape.slice(-2);
  const rows = lax.add(lax.iota("int32", [n, m], 0), k);
  const cols = lax.iota("int32", [n, m], 1);
  const mask = lax.broadcastInDim(lower ? lax.le(cols, rows) : lax.ge(cols, rows), v.shape, [v.ndim - 2, v.ndim - 1]);
  return lax.select(mask, v, constant(0, v.dtype, v.weakType));
}

/**
 * The lower triangle (entries with `j <= i + k`); the rest is zero.
 * @example np.tril(np.ones([3, 3])); // [[1,0,0],[1,1,0],[1,1,1]]
 */
export function tril(x: ArrayLike, k = 0): Value {
  return triangle("np.tril", x, k, true);
}

/**
 * The upper triangle (entries with `j >= i + k`); the rest is zero.
 * @example np.triu(np.ones([3, 3]), 1); // [[0,1,1],[0,0,1],[0,0,0]]
 */
export function triu(x: ArrayLike, k = 0): Value {
  return triangle("np.triu", x, k, false);
}

/**
 * The `offset`-th diagonal of the (axis1, axis2) planes, as the last axis.
 * @example np.diagonal(np.array([[1, 2], [3, 4]])); // [1, 4]
 */
export function diagonal(x: ArrayLike, offset = 0, axis1 = 0, axis2 = 1): Value {
  const op = "np.diagonal";
  const v = asValue(x, op);
  intArg(op, "offset", offset);
  if (v.ndim < 2) throw new ShapeError(`${op}: needs at least 2 axes, got shape ${fmtShape(v.shape)}`);
  const a1 = axisOf(op, axis1, v.ndim);
  const a2 = axisOf(op, axis2, v.ndim);
  if (a1 === a2) throw new ShapeError(`${op}: axis1 and axis2 must differ, both are ${a1}`);
  const rest = range(v.ndim).filter((i) => i !== a1 && i !== a2);
  const t = lax.transpose(v, [...rest, a1, a2]);
  const n = v.shape[a1];
  const m = v.shape[a2];
  const lead = rest.map((i) => v.shape[i]);
  const flat = lax.reshape(t, [...lead, n * m]);
  const len = offset >= 0 ? Math.max(0, Math.min(n, m - offset)) : Math.max(0, Math.min(n + offset, m));
  const start = len === 0 ? 0 : offset >= 0 ? offset : -offset * m;
  const limit = len === 0 ? 0 : start + (len - 1) * (m + 1) + 1;
  const z = lead.map(() => 0);
  return lax.slice(flat, [...z, start], [...lead, limit], [...lead.map(() => 1), m + 1]);
}

/**
 * For a 1-D array: the square matrix with it on the `k`-th diagonal. For a 2-D array: its `k`-th diagonal.
 * @example np.diag(np.array([1, 2])); // [[1, 0], [0, 2]]
 * np.diag(np.array([[1, 2], [3, 4]])); // [1, 4]
 */
export function diag(v: ArrayLike, k = 0): Value {
  const op = "np.diag";
  const x = asValue(v, op);
  intArg(op, "k", k);
  if (x.ndim === 2) return diagonal(x, k);
  if (x.ndim !== 1) throw new ShapeError(`${op}: needs a 1-D or 2-D array, got shape ${fmtShape(x.shape)}`);
  const len = x.shape[0];
  const n = len + Math.abs(k);
  const zero = constant(0, x.dtype, x.weakType);
  if (len === 0) return lax.broadcastInDim(zero, [n, n], []);
  const lo = k >= 0 ? k : -k * n;
  const used = lo + len + (len - 1) * n;
  return lax.reshape(lax.pad(x, zero, [[lo, n * n - used, n]]), [n, n]);
}

/**
 * Builds a 2-D array with the flattened input on the `k`-th diagonal.
 * @example np.diagflat(np.array([[1, 2]])); // 2×2 with 1, 2 on the diagonal
 */
export function diagflat(v: ArrayLike, k = 0): Value {
  return diag(ravel(v), k);
}

/**
 * Sum of the `offset`-th diagonal of the (axis1, axis2) planes (bools count as int32).
 * @example np.trace(np.array([[1, 2], [3, 4]])); // 5
 */
export function trace(x: ArrayLike, offset = 0, axis1 = 0, axis2 = 1): Value {
  let d = diagonal(x, offset, axis1, axis2);
  if (d.dtype === "bool") d = cast(d, "int32");
  return lax.reduceSum(d, [d.ndim - 1]);
}

/**
 * The shape of an array (a JS number has shape []).
 * @example np.shape(np.zeros([2, 3])); // [2, 3]
 */
export function shape(x: ArrayLike): number[] {
  return [...asValue(x, "np.shape").shape];
}

/**
 * The number of axes.
 * @example np.ndim(np.zeros([2, 3])); // 2
 */
export function ndim(x: ArrayLike): number {
  return asValue(x, "np.ndim").ndim;
}

/**
 * The number of elements.
 * @example np.size(np.zeros([2, 3])); // 6
 */
export function size(x: ArrayLike): number {
  return asValue(x, "np.size").size;
}
