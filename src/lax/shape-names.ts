/**
 * JAX's lax helpers about shapes and simple array assembly, written over
 * existing primitives (their rules are those primitives'): `stack`/`unstack`,
 * `empty`, `broadcastLike`, and the pure shape arithmetic JAX exposes for
 * convolutions and windowed reductions (`broadcastShapes`, `convShapeTuple`,
 * `convGeneralShapeTuple`, `convTransposeShapeTuple`,
 * `convGeneralPermutations`, `reduceWindowShapeTuple`). The shape functions
 * take and return plain JS arrays of sizes, as JAX's take and return tuples.
 */
import type { ArrayLike } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { checkDType } from "../dtype.js";
import { ArgumentError, ShapeError } from "../errors.js";
import { broadcastShapes as broadcastShapesOf, fmtShape, normalizeAxis } from "../shape.js";
import { describe, intArg, intsArg, shapeArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { convDimensionNumbers } from "./convolution.js";
import type { ConvDimensionNumbers } from "./convolution.js";
import { convert, operandArg } from "./elementwise.js";
import { broadcastInDim, concatenate, expandDims, slice, squeeze } from "./shape.js";
import { padtypeToPads } from "./windowed.js";

// ---- stack, unstack --------------------------------------------------------------------------

/**
 * Joins arrays of one shape along a new axis `axis` (JAX's `lax.stack`).
 * @example
 * lax.stack([np.array([1, 2]), np.array([3, 4])], 1); // [[1, 3], [2, 4]]
 */
export function stack(operands: readonly ArrayLike[], axis = 0): Value {
  const op = "lax.stack";
  if (!Array.isArray(operands)) throw new ArgumentError(`${op}: operands must be a JS array of arrays, got ${describe(operands)}`);
  if (operands.length === 0) throw new ArgumentError(`${op}: needs at least one operand, got none`);
  const xs = operands.map((x) => operandArg(op, x));
  const shape = xs[0].shape;
  for (const x of xs) {
    if (x.ndim !== shape.length || x.shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(`${op}: all operands need one shape, got ${xs.map((v) => fmtShape(v.shape)).join(", ")}; broadcast or reshape them first`);
    }
  }
  const ax = normalizeAxis(op, intArg(op, "axis", axis), shape.length + 1);
  const expanded = xs.map((x) => expandDims(x, [ax]));
  return expanded.length === 1 ? expanded[0] : concatenate(expanded, ax);
}

/**
 * The slices of `x` along `axis`, each without that axis (JAX's `lax.unstack`).
 * @example
 * const [a, b] = lax.unstack(np.array([[1, 2], [3, 4]]), 1); // a: [1, 3], b: [2, 4]
 */
export function unstack(x: ArrayLike, axis = 0): Value[] {
  const op = "lax.unstack";
  const v = operandArg(op, x);
  if (v.ndim === 0) throw new ShapeError(`${op}: x must have at least one axis, got a scalar`);
  const ax = normalizeAxis(op, intArg(op, "axis", axis), v.ndim);
  const out: Value[] = [];
  for (let i = 0; i < v.shape[ax]; i++) {
    const start = v.shape.map((_, k) => (k === ax ? i : 0));
    const limit = v.shape.map((d, k) => (k === ax ? i + 1 : d));
    out.push(squeeze(slice(v, start, limit), [ax]));
  }
  return out;
}

// ---- empty, broadcastLike ----------------------------------------------------------------------

/**
 * An array of `shape` and `dtype` whose values are unspecified (JAX's
 * `lax.empty`); jaxon fills it with zeros, as JAX does on its CPU backend.
 * @example
 * lax.empty([2, 3], "float32"); // shape [2, 3], float32
 */
export function empty(shape: number | readonly number[], dtype: DType): Value {
  const op = "lax.empty";
  const s = shapeArg(op, shape);
  const zero = convert(0, checkDType(dtype, op), false);
  return s.length === 0 ? zero : broadcastInDim(zero, s, []);
}

/**
 * `arr` broadcast (NumPy's rules, trailing axes aligned) to the shape of `likeArr`.
 * @example
 * lax.broadcastLike(np.array([1, 2]), np.zeros([3, 2])); // [[1, 2], [1, 2], [1, 2]]
 */
export function broadcastLike(arr: ArrayLike, likeArr: ArrayLike): Value {
  const op = "lax.broadcastLike";
  const a = operandArg(op, arr);
  const like = operandArg(op, likeArr);
  const target = like.shape;
  if (a.ndim > target.length || a.shape.some((d, i) => d !== 1 && d !== target[target.length - a.ndim + i])) {
    throw new ShapeError(`${op}: shape ${fmtShape(a.shape)} does not broadcast to ${fmtShape(target)}; each trailing axis must equal the target's or be 1`);
  }
  if (a.ndim === target.length && a.shape.every((d, i) => d === target[i])) return a;
  const lead = target.length - a.ndim;
  // size-1 axes that grow are squeezed away first, then broadcast
  const keep = a.shape.map((d, i) => d === target[lead + i]);
  const squeezed = keep.every(Boolean) ? a : squeeze(a, a.shape.flatMap((_, i) => (keep[i] ? [] : [i])));
  const dims = a.shape.flatMap((_, i) => (keep[i] ? [lead + i] : []));
  return broadcastInDim(squeezed, target, dims);
}

// ---- shape arithmetic ------------------------------------------------------------------------------

/**
 * The shape NumPy's broadcasting makes of `shapes` (JAX's `lax.broadcast_shapes`).
 * @example
 * lax.broadcastShapes([3, 1], [4]); // [3, 4]
 */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const op = "lax.broadcastShapes";
  return broadcastShapesOf(op, ...shapes.map((s, i) => shapeArg(op, s, `shapes[${i}]`)));
}

/** max(0, floor((d - window) / stride) + 1): the number of windows of a strided sweep. */
const strideDim = (d: number, window: number, stride: number) => Math.max(0, Math.floor((d - window) / stride) + 1);
/** The extent of `d` points with `dilation - 1` holes between neighbours. */
const dilateDim = (d: number, dilation: number) => (d === 0 ? 0 : 1 + dilation * (d - 1));

function positive(op: string, name: string, v: unknown, n: number): number[] {
  const xs = intsArg(op, name, v);
  if (xs.length !== n) throw new ShapeError(`${op}: ${name} needs ${n} entries (one per spatial axis), got ${xs.length}`);
  if (xs.some((x) => x < 1)) throw new ArgumentError(`${op}: ${name} must be positive, got ${fmtShape(xs)}`);
  return xs;
}

function pairs(op: string, name: string, v: unknown, n: number): [number, number][] {
  if (!Array.isArray(v) || v.length !== n) {
    throw new ShapeError(`${op}: ${name} needs ${n} (low, high) pairs, got ${describe(v)}`);
  }
  return v.map((p, i) => {
    const xs = intsArg(op, `${name}[${i}]`, p);
    if (xs.length !== 2) throw new ShapeError(`${op}: ${name}[${i}] must be a (low, high) pair, got ${fmtShape(xs)}`);
    return [xs[0], xs[1]] as [number, number];
  });
}

/**
 * The output shape of a convolution whose operands are in the canonical
 * layouts (lhs `[N, C, ...spatial]`, rhs `[O, I, ...spatial]`), with `pads`
 * either (low, high) pairs or "SAME" / "VALID" / "SAME_LOWER" (JAX's
 * `lax.conv_shape_tuple`).
 * @example
 * lax.convShapeTuple([2, 3, 10, 10], [8, 3, 3, 3], [2, 2], "SAME"); // [2, 8, 5, 5]
 */
export function convShapeTuple(
  lhsShape: readonly number[],
  rhsShape: readonly number[],
  strides: readonly number[],
  pads: string | readonly (readonly number[])[],
  batchGroupCount = 1,
): number[] {
  const op = "lax.convShapeTuple";
  const l = shapeArg(op, lhsShape, "lhsShape");
  const r = shapeArg(op, rhsShape, "rhsShape");
  if (l.length < 2 || r.length !== l.length) {
    throw new ShapeError(`${op}: lhsShape and rhsShape need one rank of at least 2, got ${fmtShape(l)} and ${fmtShape(r)}`);
  }
  const ns = l.length - 2;
  const s = positive(op, "strides", strides, ns);
  const p = typeof pads === "string" ? padtypeToPads(l.slice(2), r.slice(2), s, pads) : pairs(op, "pads", pads, ns);
  const padded = l.slice(2).map((d, i) => d + p[i][0] + p[i][1]);
  if (padded.some((d) => d < 0)) {
    throw new ShapeError(`${op}: negative padding ${JSON.stringify(p)} is larger than the spatial sizes ${fmtShape(l.slice(2))}`);
  }
  const g = intArg(op, "batchGroupCount", batchGroupCount);
  if (g < 1 || l[0] % g !== 0) throw new ShapeError(`${op}: batchGroupCount ${g} must be positive and divide the batch size ${l[0]}`);
  return [l[0] / g, r[0], ...padded.map((d, i) => strideDim(d, r[2 + i], s[i]))];
}

/** The permutations that bring lhs, rhs and out into the canonical layouts, from any dimension numbers jaxon accepts. */
function specs(op: string, ndim: number, dimensionNumbers: unknown): ConvDimensionNumbers {
  const shape = new Array<number>(ndim).fill(1);
  try {
    return convDimensionNumbers(shape, shape, dimensionNumbers);
  } catch (e) {
    if (e instanceof Error) e.message = e.message.replace("lax.convDimensionNumbers", op);
    throw e;
  }
}

/**
 * For dimension numbers such as `["NHWC", "HWIO", "NHWC"]`: the permutation of
 * each of lhs, rhs and out that brings it into the canonical layout (batch or
 * out-feature first, then feature or in-feature, then the spatial axes in the
 * rhs spec's order), as JAX's `lax.conv_general_permutations`.
 * @example
 * lax.convGeneralPermutations(["NHWC", "HWIO", "NHWC"]); // [[0, 3, 1, 2], [3, 2, 0, 1], [0, 3, 1, 2]]
 */
export function convGeneralPermutations(dimensionNumbers: readonly [string, string, string]): [number[], number[], number[]] {
  const op = "lax.convGeneralPermutations";
  if (!Array.isArray(dimensionNumbers) || dimensionNumbers.length !== 3 || dimensionNumbers.some((s) => typeof s !== "string")) {
    throw new ArgumentError(`${op}: dimensionNumbers must be three layout strings such as ["NCHW", "OIHW", "NCHW"], got ${describe(dimensionNumbers)}`);
  }
  const dn = specs(op, dimensionNumbers[0].length, dimensionNumbers);
  return [[...dn.lhsSpec], [...dn.rhsSpec], [...dn.outSpec]];
}

function permuted(shape: readonly number[], perm: readonly number[]): number[] {
  return perm.map((p) => shape[p]);
}
function unpermuted(shape: readonly number[], perm: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  perm.forEach((p, i) => (out[p] = shape[i]));
  return out;
}

/** Both operands' shapes checked and permuted to (batch/out-feature, feature, spatial...) by `dimensionNumbers`. */
function laidOut(
  op: string,
  lhsShape: readonly number[],
  rhsShape: readonly number[],
  dimensionNumbers: readonly [string, string, string] | ConvDimensionNumbers,
) {
  const l = shapeArg(op, lhsShape, "lhsShape");
  const r = shapeArg(op, rhsShape, "rhsShape");
  const dn = specs(op, l.length, dimensionNumbers);
  if (r.length !== l.length) throw new ShapeError(`${op}: lhsShape ${fmtShape(l)} and rhsShape ${fmtShape(r)} need one rank`);
  return { lt: permuted(l, dn.lhsSpec), rt: permuted(r, dn.rhsSpec), dn };
}

/**
 * The output shape of `lax.convGeneralDilated` (without dilations) for
 * operands laid out by `dimensionNumbers` (layout strings, or lax's
 * `ConvDimensionNumbers`), as JAX's `lax.conv_general_shape_tuple`.
 * @example
 * lax.convGeneralShapeTuple([2, 10, 10, 3], [3, 3, 3, 8], [1, 1], "VALID", ["NHWC", "HWIO", "NHWC"]); // [2, 8, 8, 8]
 */
export function convGeneralShapeTuple(
  lhsShape: readonly number[],
  rhsShape: readonly number[],
  windowStrides: readonly number[],
  padding: string | readonly (readonly number[])[],
  dimensionNumbers: readonly [string, string, string] | ConvDimensionNumbers,
): number[] {
  const { lt, rt, dn } = laidOut("lax.convGeneralShapeTuple", lhsShape, rhsShape, dimensionNumbers);
  return unpermuted(convShapeTuple(lt, rt, windowStrides, padding), dn.outSpec);
}

/**
 * The output shape of `lax.convTranspose` for operands laid out by
 * `dimensionNumbers`, with `padding` "SAME", "VALID" or (low, high) pairs
 * of the transposed convolution (JAX's `lax.conv_transpose_shape_tuple`).
 * @example
 * lax.convTransposeShapeTuple([1, 4, 4, 2], [3, 3, 2, 5], [2, 2], "SAME", ["NHWC", "HWIO", "NHWC"]); // [1, 8, 8, 5]
 */
export function convTransposeShapeTuple(
  lhsShape: readonly number[],
  rhsShape: readonly number[],
  windowStrides: readonly number[],
  padding: string | readonly (readonly number[])[],
  dimensionNumbers: readonly [string, string, string] | ConvDimensionNumbers,
): number[] {
  const op = "lax.convTransposeShapeTuple";
  const { lt, rt, dn } = laidOut(op, lhsShape, rhsShape, dimensionNumbers);
  const ns = lt.length - 2;
  const s = positive(op, "windowStrides", windowStrides, ns);
  let total: number[];
  if (typeof padding === "string") {
    const kind = padding.toUpperCase();
    if (kind !== "SAME" && kind !== "VALID") throw new ArgumentError(`${op}: padding must be "SAME", "VALID" or (low, high) pairs, got ${describe(padding)}`);
    // the total padding of the transposed convolution, as JAX's _conv_transpose_padding
    total = rt.slice(2).map((k, i) => (kind === "SAME" ? k + s[i] - 2 : k + s[i] - 2 + Math.max(k - s[i], 0)));
  } else {
    total = pairs(op, "padding", padding, ns).map(([lo, hi]) => lo + hi);
  }
  const space = lt.slice(2).map((n, i) => (n - 1) * s[i] - rt[2 + i] + 2 + total[i]);
  return unpermuted([lt[0], rt[0], ...space], dn.outSpec);
}

/**
 * The output shape of `lax.reduceWindow` with explicit (low, high) `padding`
 * pairs and optional dilations (JAX's `lax.reduce_window_shape_tuple`).
 * @example
 * lax.reduceWindowShapeTuple([4, 6], [2, 3], [2, 1], [[0, 0], [1, 1]]); // [2, 6]
 */
export function reduceWindowShapeTuple(
  operandShape: readonly number[],
  windowDimensions: readonly number[],
  windowStrides: readonly number[],
  padding: readonly (readonly number[])[],
  baseDilation?: readonly number[] | null,
  windowDilation?: readonly number[] | null,
): number[] {
  const op = "lax.reduceWindowShapeTuple";
  const n = shapeArg(op, operandShape, "operandShape");
  const nd = n.length;
  const w = positive(op, "windowDimensions", windowDimensions, nd);
  const s = positive(op, "windowStrides", windowStrides, nd);
  const p = pairs(op, "padding", padding, nd);
  const base = baseDilation === undefined || baseDilation === null ? n : n.map((d, i) => dilateDim(d, positive(op, "baseDilation", baseDilation, nd)[i]));
  const win = windowDilation === undefined || windowDilation === null ? w : w.map((d, i) => dilateDim(d, positive(op, "windowDilation", windowDilation, nd)[i]));
  return base.map((d, i) => strideDim(d + p[i][0] + p[i][1], win[i], s[i]));
}
