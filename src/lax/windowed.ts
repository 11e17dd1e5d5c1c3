/**
 * Windowed reductions: reduce_window_sum, reduce_window_max, reduce_window_min
 * (JAX's monoid primitives), select_and_gather_add (the tangent of a max/min
 * window: the tangent at each window's selected element) and
 * select_and_scatter_add (its transpose: max-pool's gradient), and the public
 * `reduceWindow`, `padtypeToPads` and `cumlogsumexp`.
 *
 * A user's computation is JAX's generic `reduce_window` primitive, holding
 * the computation's jaxpr and, for its rules and for jit to inline, the fold
 * it stands for in lax ops (one strided slice per window offset).
 *
 * One departure from JAX's monoid primitives: they take VALID windows over an
 * undilated operand (window dimensions, strides and window dilation only).
 * `reduceWindow` first pads the operand with the monoid's identity
 * (`lax.pad`, whose interior padding is the base dilation; XLA's windows skip
 * padding and holes, which the identity leaves unchanged; an init value that
 * is not the identity joins each window's result once), and the pad's own
 * rules give the gradient through the padding. So every
 * window lies inside its operand, and a window reduction is one kernel of
 * the kernel IR: a loop over [output..., window...] whose input view is
 * affine (out·stride + offset·dilation), with the window axes reduced, on
 * both devices and through the kernel caches. The selections are routines
 * (`select_and_gather_add`, `select_and_scatter_add` in backend/device.ts).
 *
 * Window order: a selection keeps the first element of a window (in
 * row-major order over the window) and replaces it with a later one only
 * where `selected >= candidate` (max; `<=` for min) is false, as XLA's
 * SelectAndScatter with JAX's `ge`/`le`: of tied maxima the first wins and
 * gets the whole gradient.
 */
import type { Lowering } from "../backend/device.js";
import { load, type ReduceOp } from "../backend/kernel.js";
import type { DType } from "../dtype.js";
import { intInfo, isFloat } from "../dtype.js";
import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import { contiguousStrides, fmtShape, normalizeAxis, sizeOf } from "../shape.js";
import { describe, functionArg, intsArg, optionsArg } from "../static-args.js";
import type { Primitive, Value } from "../trace/core.js";
import { bind, currentTrace } from "../trace/core.js";
import type { Jaxpr } from "../trace/jaxpr.js";
import { evalJaxpr } from "../trace/jaxpr.js";
import { traceFlat } from "../trace/staging.js";
import { jvpFlat } from "../transforms/jvp.js";
import { ArrayMethods } from "../array-methods.js";
import { vmap } from "../transforms/vmap.js";
import { add, asValue, exp, isFiniteFn, log, max, min, operandArg, select, sub, weakScalar } from "./elementwise.js";
import { bind1, definePrimitive, isUndefined, isZero, ShapedArray, Zero, type AffineIndexMap } from "./primitive.js";
import { broadcastInDim, moveAxis, pad, reshape, slice } from "./shape.js";
import { stopGradient } from "./stop-gradient.js";
import { attr, type HloValue } from "../backend/stablehlo.js";
import { lowersToStablehlo, type StablehloContext } from "./primitive.js";
import { combinerOf, compare as compareHlo, full, hloType, identityOf, select as selectHlo } from "./stablehlo-ops.js";

/** A VALID window over an undilated operand: what the window primitives take. */
export type WindowParams = { windowDimensions: number[]; windowStrides: number[]; windowDilation: number[] };
const WINDOW_SCHEMA = { windowDimensions: "ints", windowStrides: "ints", windowDilation: "ints" } as const;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The window's extent along each axis: (k - 1)·d + 1. */
const extents = (p: WindowParams) => p.windowDimensions.map((k, j) => (k - 1) * p.windowDilation[j] + 1);

/** The output shape of VALID windows over `shape`, after checking the parameters. */
function windowedShape(name: string, shape: readonly number[], p: WindowParams): number[] {
  const nd = shape.length;
  const { windowDimensions: w, windowStrides: s, windowDilation: d } = p;
  if (w.length !== nd || s.length !== nd || d.length !== nd) {
    throw new ShapeError(
      `lax.${name}: an operand of shape ${fmtShape(shape)} needs ${nd} window dimensions, strides and dilations, ` +
        `got ${w.length}, ${s.length} and ${d.length}`,
    );
  }
  if (w.some((k) => k < 1) || s.some((k) => k < 1) || d.some((k) => k < 1)) {
    throw new ShapeError(
      `lax.${name}: window dimensions ${fmtShape(w)}, strides ${fmtShape(s)} and dilations ${fmtShape(d)} must all be positive`,
    );
  }
  const ext = extents(p);
  return shape.map((n, j) => (n < ext[j] ? 0 : Math.floor((n - ext[j]) / s[j]) + 1));
}

/** The loop [output..., window...] and its map to the input: in_j = o_j·stride_j + w_j·dilation_j. */
function windowLoop(x: ShapedArray, p: WindowParams, out: ShapedArray): { loopShape: number[]; map: AffineIndexMap } {
  const nd = x.ndim;
  return {
    loopShape: [...out.shape, ...p.windowDimensions],
    map: {
      coeffs: range(nd).map((j) => [...range(nd).map((k) => (k === j ? p.windowStrides[j] : 0)), ...range(nd).map((k) => (k === j ? p.windowDilation[j] : 0))]),
      offset: range(nd).map(() => 0),
    },
  };
}

/** The reduction kernel: loop [output..., window...], the input read at out·stride + offset·dilation, window axes reduced. */
function windowLowering(op: ReduceOp, x: ShapedArray, p: WindowParams, out: ShapedArray): Lowering {
  const st = contiguousStrides(x.shape);
  return {
    kind: "kernel",
    kernel: {
      loopShape: [...out.shape, ...p.windowDimensions],
      inputs: [{ dtype: x.dtype, view: { strides: [...st.map((v, j) => v * p.windowStrides[j]), ...st.map((v, j) => v * p.windowDilation[j])], offset: 0 } }],
      expr: load(0, x.dtype),
      reduce: { op, axes: x.ndim },
      dtype: out.dtype,
    },
  };
}

/** Inserts a window dimension of size 1 (stride 1, dilation 1) at axis `b`: the batching rules' window. */
function withBatchAxis(p: WindowParams, b: number): WindowParams {
  const ins = (xs: number[]) => [...xs.slice(0, b), 1, ...xs.slice(b)];
  return { windowDimensions: ins(p.windowDimensions), windowStrides: ins(p.windowStrides), windowDilation: ins(p.windowDilation) };
}

/** The operand of a batching rule with its batch axis at the front (broadcast there when unbatched). */
function toFront(x: Value, b: number | null, size: number): Value {
  return b === null ? broadcastInDim(x, [size, ...x.shape], range(x.ndim).map((i) => i + 1)) : moveAxis(x, b, 0);
}

/**
 * The transpose of a window sum (`reduce_window_sum`): each input element
 * gets the sum of the cotangents of the windows that hold it. The cotangent,
 * spread out by the strides (interior padding) and padded by the window's
 * extent, summed over stride-1 windows of the same dilation: a window of
 * ones is its own reflection.
 */
function windowSumTranspose(ct: Value, inShape: readonly number[], p: WindowParams): Value {
  if (sizeOf(ct.shape) === 0) {
    const z = weakScalar(0, ct.dtype);
    return broadcastInDim(asValue(z, ct.dtype), inShape, []);
  }
  const ext = extents(p);
  const config = inShape.map((n, j): [number, number, number] => {
    const o = ct.shape[j];
    return [ext[j] - 1, n - (o - 1) * p.windowStrides[j] - 1, p.windowStrides[j] - 1];
  });
  const padded = pad(ct, asValue(0, ct.dtype), config);
  return bind1(reduceWindowSumP, [padded], { ...p, windowStrides: inShape.map(() => 1) });
}

function defineWindowReduce(name: string, op: "sum" | "max" | "min"): Primitive<WindowParams> {
  const prim: Primitive<WindowParams> = definePrimitive<WindowParams>(name, {
    params: WINDOW_SCHEMA,
    abstractEval([x], p) {
      if (op === "sum" && x.dtype === "bool") throw new DTypeError(`lax.${name}: a window sum needs a numeric operand, got bool`);
      return [new ShapedArray(windowedShape(name, x.shape, p), x.dtype, x.weakType)];
    },
    lower: ([x], p, [out]) => windowLowering(op, x, p, out),
    // under jit an elementwise producer (an activation, a scale) is read through the window, in one kernel
    fusion: { kind: "reduce", op, axes: () => [], window: (x, p, out) => windowLoop(x, p, out) },
    jvp([x], [t], p) {
      const out = bind1(prim, [x], p);
      if (isZero(t)) return [[out], [new Zero(out.aval.strong())]];
      if (op === "sum") return [[out], [bind1(prim, [t], p)]];
      return [[out], [bind1(selectAndGatherAddP, [t, x], { ...p, selectPrim: op === "max" ? "ge" : "le" })]];
    },
    transpose:
      op === "sum"
        ? ([ct], [x], p) => [isZero(ct) ? new Zero((x as { aval: ShapedArray }).aval) : windowSumTranspose(ct, (x as { aval: ShapedArray }).aval.shape, p)]
        : undefined,
    batch: ([x], [b], p) => [[bind1(prim, [x], withBatchAxis(p, b!))], [b]],
  });
  return prim;
}

/** Sums over windows (VALID, undilated operand; see `reduceWindow` for the general form). */
export const reduceWindowSumP = defineWindowReduce("reduce_window_sum", "sum");
/** Maxima over windows. */
export const reduceWindowMaxP = defineWindowReduce("reduce_window_max", "max");
/** Minima over windows. */
export const reduceWindowMinP = defineWindowReduce("reduce_window_min", "min");

// ---- select_and_gather_add / select_and_scatter_add ------------------------------------------

function checkSelectionTypes(name: string, tangent: ShapedArray, operand: ShapedArray, tangentShape: readonly number[]) {
  if (!isFloat(tangent.dtype)) throw new DTypeError(`lax.${name}: the ${name.includes("gather") ? "tangent" : "source"} must be a float array, got ${tangent.dtype}`);
  if (tangent.shape.length !== tangentShape.length || tangent.shape.some((n, i) => n !== tangentShape[i])) {
    throw new ShapeError(
      `lax.${name}: the ${name.includes("gather") ? "tangent" : "source"} has shape ${fmtShape(tangent.shape)}, ` +
        `but the operand ${fmtShape(operand.shape)} and window need ${fmtShape(tangentShape)}`,
    );
  }
}

/** A selection's window and comparison: "ge" selects a window's (first) maximum, "le" its (first) minimum. */
export type SelectionParams = WindowParams & { selectPrim: "ge" | "le" };
const SELECTION_SCHEMA = { ...WINDOW_SCHEMA, selectPrim: ["ge", "le"] } as const;

const routineParams = (p: SelectionParams, operand: ShapedArray, outShape: readonly number[]) => ({
  op: p.selectPrim === "ge" ? ("max" as const) : ("min" as const),
  inShape: [...operand.shape],
  outShape: [...outShape],
  window: [...p.windowDimensions],
  strides: [...p.windowStrides],
  dilation: [...p.windowDilation],
});

function defineSelection(kind: "gather" | "scatter"): Primitive<SelectionParams> {
  const name = `select_and_${kind}_add`;
  const prim: Primitive<SelectionParams> = definePrimitive<SelectionParams>(name, {
    params: SELECTION_SCHEMA,
    abstractEval([t, x], p) {
      const out = windowedShape(name, x.shape, p);
      checkSelectionTypes(name, t, x, kind === "gather" ? x.shape : out);
      return [new ShapedArray(kind === "gather" ? out : [...x.shape], t.dtype, t.weakType)];
    },
    lower: ([, x], p) => {
      const out = windowedShape(name, x.shape, p);
      return kind === "gather"
        ? { kind: "routine", routine: "select_and_gather_add", params: routineParams(p, x, out) }
        : { kind: "routine", routine: "select_and_scatter_add", params: routineParams(p, x, out) };
    },
    // linear in the tangent (source); the operand only decides where
    jvp([t, x], [dt], p) {
      const out = bind1(prim, [t, x], p);
      return [[out], [isZero(dt) ? new Zero(out.aval.strong()) : bind1(prim, [dt, x], p)]];
    },
    transpose([ct], [t, x], p) {
      if (isUndefined(x)) throw new Error(`${name} is linear in its first operand only`);
      const tAval = (t as { aval: ShapedArray }).aval;
      if (isZero(ct)) return [new Zero(tAval), new Zero(x.aval)];
      return [bind1(kind === "gather" ? selectAndScatterAddP : selectAndGatherAddP, [ct, x], p), new Zero(x.aval)];
    },
    batch([t, x], [bt, bx], p) {
      const size = bt !== null ? t.shape[bt] : x.shape[bx!];
      return [[bind1(prim, [toFront(t, bt, size), toFront(x, bx, size)], { ...withBatchAxis(p, 0), selectPrim: p.selectPrim })], [0]];
    },
  });
  return prim;
}

/**
 * JAX's `select_and_gather_add(tangents, operand)`: for each window of the
 * operand, the tangent at its selected element (reduce_window_max's jvp with
 * "ge", min's with "le"). Linear in the tangents.
 */
export const selectAndGatherAddP = defineSelection("gather");
/**
 * JAX's `select_and_scatter_add(source, operand)`: each window's source
 * value added at the window's selected element of the operand (max-pool's
 * gradient). Linear in the source.
 */
export const selectAndScatterAddP = defineSelection("scatter");

// ---- the public functions ------------------------------------------------------------------

/** A padding: "VALID", "SAME", "SAME_LOWER" (any case), or one [low, high] pair per axis. */
export type Padding = string | readonly (readonly [number, number])[];

/**
 * JAX's `lax.padtype_to_pads`: the [low, high] padding per axis that a
 * padding name means for windows of `windowShape` moved by `windowStrides`
 * over `inShape`. "VALID" is no padding; "SAME" pads so that the output has
 * ceil(n / stride) elements, the odd one at the end; "SAME_LOWER" puts it at
 * the start.
 * @example
 * lax.padtypeToPads([5, 6], [3, 3], [2, 1], "SAME"); // [[1, 1], [1, 1]]
 */
export function padtypeToPads(inShape: readonly number[], windowShape: readonly number[], windowStrides: readonly number[], padding: string): [number, number][] {
  const op = "lax.padtypeToPads";
  const n = intsArg(op, "inShape", inShape);
  const w = intsArg(op, "windowShape", windowShape);
  const s = intsArg(op, "windowStrides", windowStrides);
  if (typeof padding !== "string") throw new ArgumentError(`${op}: padding must be "VALID", "SAME" or "SAME_LOWER", got ${describe(padding)}`);
  const kind = padding.toUpperCase();
  if (kind !== "VALID" && kind !== "SAME" && kind !== "SAME_LOWER") {
    throw new ArgumentError(`${op}: padding must be "VALID", "SAME" or "SAME_LOWER", got ${describe(padding)}`);
  }
  if (w.length !== n.length || s.length !== n.length) {
    throw new ShapeError(`${op}: inShape ${fmtShape(n)}, windowShape ${fmtShape(w)} and windowStrides ${fmtShape(s)} need one entry per axis`);
  }
  if (s.some((v) => v < 1)) throw new ShapeError(`${op}: window strides ${fmtShape(s)} must be positive`);
  if (kind === "VALID") return n.map(() => [0, 0]);
  return n.map((d, j) => {
    const out = Math.ceil(d / s[j]);
    const total = Math.max((out - 1) * s[j] + w[j] - d, 0);
    const half = Math.floor(total / 2);
    return kind === "SAME" ? [half, total - half] : [total - half, half];
  });
}

function paddingArg(op: string, padding: unknown, shape: readonly number[], dilatedWindow: number[], strides: number[]): [number, number][] {
  if (typeof padding === "string") return padtypeToPads(shape, dilatedWindow, strides, padding);
  if (!Array.isArray(padding)) throw new ArgumentError(`${op}: padding must be "VALID", "SAME", "SAME_LOWER" or a JS array of [low, high] pairs, got ${describe(padding)}`);
  if (padding.length !== shape.length) throw new ShapeError(`${op}: padding needs one [low, high] pair per axis of ${fmtShape(shape)}, got ${padding.length}`);
  return padding.map((pair, i) => {
    const lh = intsArg(op, `padding[${i}]`, pair);
    if (lh.length !== 2) throw new ShapeError(`${op}: padding[${i}] must be a [low, high] pair, got ${lh.length} numbers`);
    return lh as [number, number];
  });
}

/** The identity of max (min) in `dtype`: what JAX's reduce_window_max (min) needs as its init value. */
function extremeIdentity(op: "max" | "min", dtype: DType): number {
  if (isFloat(dtype)) return op === "max" ? -Infinity : Infinity;
  switch (dtype) {
    case "bool":
      return op === "max" ? 0 : 1;
    default: {
      const info = intInfo(dtype);
      if (info) return op === "max" ? info.min : info.max;
      return op === "max" ? -Infinity : Infinity;
    }
  }
}

export interface ReduceWindowOptions {
  /** Dilation of the operand (default all 1): holes of the init value between its elements. */
  baseDilation?: readonly number[];
  /** Dilation of the window (default all 1): the gaps between the elements a window reads. */
  windowDilation?: readonly number[];
}

/**
 * Reduces windows of `operand` with `computation`, as JAX's
 * `lax.reduce_window`: windows of `windowDimensions` moved by
 * `windowStrides` (default all 1) over the operand padded by `padding`
 * ("VALID", "SAME", "SAME_LOWER" or [low, high] pairs; the padding holds
 * nothing: a window's padding and base-dilation holes are skipped, as XLA's),
 * with optional base and window dilation. `lax.add`, `lax.max`
 * and `lax.min` are the monoid primitives `reduce_window_sum`/`_max`/`_min`
 * (one fused kernel; their gradients are JAX's: a window sum's transpose and
 * max-pool's select-and-scatter-add, where the first of tied maxima gets the
 * gradient); any other function of two scalars folds the window's elements
 * into `initValue` in order (differentiable too). Several operands of one
 * shape (JAX's tuples) go as a JS array with one init value each, and the
 * computation then maps two JS arrays of scalars to one.
 * @example
 * const x = np.arange(10, "float32");
 * lax.reduceWindow(x, 0, lax.add, [3], [2]);                 // [3, 9, 15, 21]
 * lax.reduceWindow(x, -Infinity, lax.max, [2], [1], "SAME"); // [1, 2, ..., 9, 9]
 * lax.reduceWindow(x, 1, lax.mul, [2]);                      // [0, 2, 6, ..., 72]
 * // argmax pooling: each window's maximum and where it is
 * const pick = ([av, ai]: Array[], [bv, bi]: Array[]) => [lax.select(lax.ge(av, bv), av, bv), lax.select(lax.ge(av, bv), ai, bi)];
 * lax.reduceWindow([x, np.arange(10, "float32")], [-Infinity, -1], pick, [3], [3]); // [[2, 5, 8], [2, 5, 8]]
 */
export function reduceWindow(
  operand: Value,
  initValue: Value | number,
  computation: (a: Value, b: Value) => Value,
  windowDimensions: readonly number[],
  windowStrides?: readonly number[],
  padding?: Padding,
  options?: ReduceWindowOptions,
): Value;
export function reduceWindow(
  operand: Value[],
  initValue: (Value | number)[],
  computation: (a: Value[], b: Value[]) => Value[],
  windowDimensions: readonly number[],
  windowStrides?: readonly number[],
  padding?: Padding,
  options?: ReduceWindowOptions,
): Value[];
export function reduceWindow(
  operand: Value | Value[],
  initValue: Value | number | (Value | number)[],
  computation: ((a: Value, b: Value) => Value) | ((a: Value[], b: Value[]) => Value[]),
  windowDimensions: readonly number[],
  windowStrides?: readonly number[],
  padding: Padding = "VALID",
  options: ReduceWindowOptions = {},
): Value | Value[] {
  const op = "lax.reduceWindow";
  functionArg(op, "computation", computation);
  // several operands (JAX's tuples of operands): JS arrays of operands and of init values, one each
  const many = Array.isArray(operand);
  if (many !== Array.isArray(initValue)) {
    throw new ShapeError(`${op}: operand and initValue must both be arrays or both be JS arrays of them (one init value per operand)`);
  }
  const xs = many ? (operand as unknown[]).map((o, i) => operandArg(`${op}: operand[${i}]`, o)) : [operandArg(op, operand)];
  const rawInits: unknown[] = many ? [...(initValue as unknown[])] : [initValue];
  if (xs.length === 0) throw new ShapeError(`${op}: needs at least one operand`);
  if (rawInits.length !== xs.length) throw new ShapeError(`${op}: ${xs.length} operands need ${xs.length} init values, got ${rawInits.length}`);
  const x = xs[0];
  if (xs.some((o) => o.ndim !== x.ndim || o.shape.some((n, j) => n !== x.shape[j]))) {
    throw new ShapeError(`${op}: the operands must have one shape, got ${xs.map((o) => fmtShape(o.shape)).join(", ")}`);
  }
  const { baseDilation, windowDilation } = optionsArg(op, options);
  const nd = x.ndim;
  const ints = (name: string, v: unknown, dflt: number[]) => {
    if (v === undefined || v === null) return dflt;
    const list = intsArg(op, name, v);
    if (list.length !== nd) throw new ShapeError(`${op}: ${name} needs one entry per axis of the operand ${fmtShape(x.shape)}, got ${list.length}`);
    if (list.some((k) => k < 1)) throw new ShapeError(`${op}: ${name} ${fmtShape(list)} must be positive`);
    return list;
  };
  const ones = x.shape.map(() => 1);
  if (windowDimensions === undefined) throw new ShapeError(`${op}: windowDimensions is required`);
  const window = ints("windowDimensions", windowDimensions, []);
  const strides = ints("windowStrides", windowStrides, ones);
  const bd = ints("baseDilation", baseDilation, ones);
  const wd = ints("windowDilation", windowDilation, ones);
  const pads = paddingArg(op, padding, x.shape, window.map((k, j) => (k - 1) * wd[j] + 1), strides);

  const inits = rawInits.map((iv, i): Value => {
    const o = xs[i];
    if (typeof iv === "number") return asValue(iv, o.dtype);
    if (!(iv instanceof ArrayMethods)) throw new DTypeError(`${op}: initValue must be a number or a 0-d array, got ${describe(iv)}`);
    const v = iv as Value;
    if (v.ndim !== 0) throw new ShapeError(`${op}: initValue must be a scalar, got shape ${fmtShape(v.shape)}`);
    if (v.dtype !== o.dtype) throw new DTypeError(`${op}: initValue has dtype ${v.dtype} but the operand ${o.dtype}; they must match`);
    return v;
  });

  const params: WindowParams = { windowDimensions: window, windowStrides: strides, windowDilation: wd };
  const w = { ...params, padding: pads, baseDilation: bd };
  if (many) return genericReduceWindow(op, xs, inits, (a, b) => (computation as (a: Value[], b: Value[]) => Value[])(a, b), w);
  const init = inits[0];
  const single = computation as (a: Value, b: Value) => Value;
  if (nd === 0) return single(init, x);
  // XLA's windows skip the padding and the holes of base dilation: padded with the monoid's
  // identity they add nothing, and a generic computation skips them by a mask
  const needsPad = pads.some(([lo, hi]) => lo !== 0 || hi !== 0) || bd.some((d) => d !== 1);
  const config = pads.map(([lo, hi], j): [number, number, number] => [lo, hi, bd[j] - 1]);

  const monoid = single === add ? "sum" : single === max ? "max" : single === min ? "min" : null;
  if (monoid !== null && !(monoid === "sum" && x.dtype === "bool")) {
    const prim = monoid === "sum" ? reduceWindowSumP : monoid === "max" ? reduceWindowMaxP : reduceWindowMinP;
    const identity = monoid === "sum" ? 0 : extremeIdentity(monoid, x.dtype);
    const out = bind1(prim, [needsPad ? pad(x, asValue(identity, x.dtype), config) : x], params);
    // JAX's monoid primitives start from the identity; another init value joins once, as XLA's fold does
    if (typeof initValue === "number" && initValue === identity) return out;
    return single(out, broadcastInDim(init, out.shape, []));
  }
  return genericReduceWindow(op, [x], [init], (a, b) => [single(a[0], b[0])], w)[0];
}

// ---- the generic reduce_window: a user's computation, as a jaxpr ----------------------------

/** JAX's generic `reduce_window` parameters: the computation's jaxpr (its constants, then the left and right values of each operand) and the whole window. */
export type GenericWindowParams = WindowParams & {
  jaxpr: Jaxpr;
  numConsts: number;
  /** How many operands (and init values, and outputs). */
  numOperands: number;
  padding: [number, number][];
  baseDilation: number[];
  /** The whole primitive as one jaxpr of its inputs (operands, inits, constants), for jit to inline and the rules to transform. */
  call: Jaxpr;
};

/** The shape of the operand after base dilation and padding. */
const paddedShape = (shape: readonly number[], p: { padding: [number, number][]; baseDilation: number[] }) =>
  shape.map((n, j) => (n === 0 ? 0 : (n - 1) * p.baseDilation[j] + 1) + p.padding[j][0] + p.padding[j][1]);

/**
 * The fold of the computation over each window, in lax ops: the operands padded (their padding
 * and base-dilation holes masked out, as XLA skips them), then one strided slice per window
 * offset folded in row-major order into the init values, the scalar computation mapped with vmap.
 */
function foldWindows(xs: Value[], inits: Value[], consts: Value[], p: Omit<GenericWindowParams, "call">): Value[] {
  const f = (...ab: Value[]) => evalJaxpr(p.jaxpr, [], [...consts, ...ab]);
  const x = xs[0];
  const config = p.padding.map(([lo, hi], j): [number, number, number] => [lo, hi, p.baseDilation[j] - 1]);
  const needsPad = config.some(([lo, hi, i]) => lo !== 0 || hi !== 0 || i !== 0);
  const valid = needsPad ? pad(broadcastInDim(asValue(true, "bool"), x.shape, []), asValue(false, "bool"), config) : null;
  const padded = needsPad ? xs.map((v, i) => pad(v, inits[i], config)) : xs;
  const outShape = windowedShape("reduce_window", padded[0].shape, p);
  const n = sizeOf(outShape);
  const mapped = vmap(f) as (...ab: Value[]) => Value[];
  let acc = inits.map((i) => broadcastInDim(i, [n], []));
  if (n === 0) return acc.map((a) => reshape(a, outShape));
  for (let k = 0; k < sizeOf(p.windowDimensions); k++) {
    // the window offset k in row-major order
    let rest = k;
    const start = new Array<number>(x.ndim);
    for (let j = x.ndim - 1; j >= 0; j--) {
      start[j] = (rest % p.windowDimensions[j]) * p.windowDilation[j];
      rest = Math.floor(rest / p.windowDimensions[j]);
    }
    const limit = start.map((s, j) => s + (outShape[j] - 1) * p.windowStrides[j] + 1);
    const part = (v: Value) => reshape(slice(v, start, limit, p.windowStrides), [n]);
    const next = mapped(...acc, ...padded.map(part));
    const keep = valid === null ? null : part(valid);
    acc = next.map((v, i) => (keep === null ? v : select(keep, v, acc[i])));
  }
  return acc.map((a) => reshape(a, outShape));
}

const runCall = (p: GenericWindowParams) => (...xs: Value[]) => evalJaxpr(p.call, [], xs);

/**
 * JAX's generic `reduce_window(*operands, *inits, *consts)`: a user's computation of two
 * scalars (or of two tuples of scalars, one per operand) folded over each window (its padding
 * and base-dilation holes skipped). Its rules are those of the fold it stands for (`call`): the
 * jvp, as JAX's, and also a transpose of that jvp, so reverse mode works where JAX's has none;
 * batching maps the fold.
 */
export const reduceWindowP: Primitive<GenericWindowParams> = definePrimitive<GenericWindowParams>("reduce_window", {
  params: { ...WINDOW_SCHEMA, jaxpr: "static", numConsts: "int", numOperands: "int", padding: "intTable", baseDilation: "ints", call: "static" },
  abstractEval(avals, p) {
    const k = p.numOperands;
    const x = avals[0];
    if (k < 1 || avals.length !== 2 * k + p.numConsts) throw new ShapeError(`lax.reduce_window: expected ${k} operands, ${k} init values and ${p.numConsts} constants, got ${avals.length} inputs`);
    for (let i = 0; i < k; i++) {
      const o = avals[i];
      const init = avals[k + i];
      if (o.ndim !== x.ndim || o.shape.some((n, j) => n !== x.shape[j])) throw new ShapeError(`lax.reduce_window: the operands must have one shape, got ${fmtShape(x.shape)} and ${fmtShape(o.shape)}`);
      if (init.ndim !== 0 || init.dtype !== o.dtype) {
        throw new DTypeError(`lax.reduce_window: init value ${i} must be a scalar of its operand's dtype ${o.dtype}, got ${init.dtype}${fmtShape(init.shape)}`);
      }
    }
    if (p.padding.length !== x.ndim || p.baseDilation.length !== x.ndim || p.baseDilation.some((d) => d < 1)) {
      throw new ShapeError(`lax.reduce_window: padding and base dilation need one entry per axis of ${fmtShape(x.shape)} (dilations positive)`);
    }
    const shape = windowedShape("reduce_window", paddedShape(x.shape, p), p);
    return avals.slice(0, k).map((o) => new ShapedArray(shape, o.dtype, o.weakType));
  },
  callJaxpr: (p) => p.call,
  impl: (args, p) => runCall(p)(...(args as Value[])) as never,
  jvp: (primals, tangents, p) => jvpFlat(runCall(p), primals, tangents, "reduce_window jvp"),
  batch(args, dims, p) {
    const outs = vmap((...xs: Value[]) => runCall(p)(...xs), { inAxes: dims })(...args) as Value[];
    return [outs, outs.map(() => 0)];
  },
});

function genericReduceWindow(
  op: string,
  xs: Value[],
  inits: Value[],
  computation: (a: Value[], b: Value[]) => Value[],
  w: Omit<GenericWindowParams, "jaxpr" | "numConsts" | "numOperands" | "call">,
): Value[] {
  const k = xs.length;
  const scalars = xs.map((x) => new ShapedArray([], x.dtype));
  const { jaxpr, consts } = traceFlat(
    (...ab) => {
      const r: unknown = computation(ab.slice(0, k), ab.slice(k));
      const list = k === 1 && !Array.isArray(r) ? [r] : r;
      if (!Array.isArray(list) || list.length !== k) throw new DTypeError(`${op}: computation must return ${k === 1 ? "one scalar" : `a JS array of ${k} scalars`}, got ${describe(r)}`);
      return list.map((v, i) => {
        if (!(v instanceof ArrayMethods) || (v as Value).ndim !== 0 || (v as Value).dtype !== xs[i].dtype) {
          throw new DTypeError(`${op}: computation must return scalars of the operands' dtypes (${xs.map((x) => x.dtype).join(", ")}), got ${v instanceof ArrayMethods ? `${(v as Value).dtype}${fmtShape((v as Value).shape)}` : describe(v)}`);
        }
        return v as Value;
      });
    },
    [...scalars, ...scalars],
    `${op} computation`,
    currentTrace(),
  );
  const p = { ...w, jaxpr, numConsts: consts.length, numOperands: k };
  const inputs = [...xs, ...inits, ...consts];
  const call = traceFlat((...ins) => foldWindows(ins.slice(0, k), ins.slice(k, 2 * k), ins.slice(2 * k), p), inputs.map((v) => v.aval), "reduce_window", currentTrace()).jaxpr;
  return bind(reduceWindowP as unknown as Primitive, inputs, { ...p, call });
}

// ---- cumlogsumexp --------------------------------------------------------------------------

/** log(exp(a) + exp(b)), stable, with the derivative exp(a)/(exp(a)+exp(b)) (halves at ties) and ±inf handled. */
function logaddexp(a: Value, b: Value): Value {
  const m = stopGradient(max(a, b));
  const safe = select(isFiniteFn(m), m, asValue(0, m.dtype));
  return add(safe, log(add(exp(sub(a, safe)), exp(sub(b, safe)))));
}

/**
 * log(cumsum(exp(x))) along `axis`, computed stably (JAX's
 * `lax.cumlogsumexp`), from the end when `reverse`.
 * @example
 * lax.cumlogsumexp(np.array([0, 0, 0])); // [0, 0.693, 1.099]
 */
export function cumlogsumexp(operand: Value, axis = 0, reverse = false): Value {
  const op = "lax.cumlogsumexp";
  let x = operandArg(op, operand);
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: needs a float operand, got ${x.dtype}`);
  if (typeof reverse !== "boolean") throw new ArgumentError(`${op}: reverse must be true or false, got ${describe(reverse)}`);
  if (typeof axis !== "number") throw new ShapeError(`${op}: axis must be an integer, got ${describe(axis)}`);
  const ax = normalizeAxis(op, axis, x.ndim);
  const n = x.shape[ax];
  const cfg = (lo: number, hi: number) => x.shape.map((_, i): [number, number, number] => (i === ax ? [lo, hi, 0] : [0, 0, 0]));
  // Hillis–Steele: after the step of shift s each element holds the log-sum-exp of the 2s before it
  for (let s = 1; s < n; s *= 2) {
    const shifted = reverse ? pad(x, asValue(-Infinity, x.dtype), cfg(-s, s)) : pad(x, asValue(-Infinity, x.dtype), cfg(s, -s));
    x = logaddexp(shifted, x);
  }
  return x;
}


// ---- StableHLO lowerings (exportStableHLO) ---------------------------------------------------
//
// The monoids are `stablehlo.reduce_window` with an add/max/min body and the
// identity as the init value (their windows are VALID over an undilated
// operand, so no padding or base dilation). The selections reduce windows of
// (value, flat index[, tangent]) tuples, keeping the element that wins by
// value and, of tied values, the one with the lower index: the first of a
// window in row-major order, whatever order XLA combines in, as jaxon's
// selections (and XLA's SelectAndScatter with JAX's ge/le) pick it. The
// gather's tangent comes out of that reduction; the scatter adds each
// window's source value at its winner's index (a scatter into the flattened
// operand), which also covers window dilation, which StableHLO's own
// select_and_scatter lacks.

const windowAttrs = (p: WindowParams) => ({
  window_dimensions: attr.i64s(p.windowDimensions),
  window_strides: attr.i64s(p.windowStrides),
  window_dilations: attr.i64s(p.windowDilation),
});

for (const [prim, op] of [[reduceWindowSumP, "sum"], [reduceWindowMaxP, "max"], [reduceWindowMinP, "min"]] as const) {
  lowersToStablehlo(prim, (ctx, [x], p, _a, [out]) => {
    const s = hloType([], x.dtype);
    const body = ctx.b.region([s, s], ([a, b]) => [ctx.b.op1(combinerOf(op, x.dtype), [a, b], s)]);
    return ctx.b.op("stablehlo.reduce_window", [x, full(ctx, identityOf(op, x.dtype), [], x.dtype)], [hloType(out.shape, out.dtype)], windowAttrs(p), [body]);
  });
}

/** Reduces windows of (operand, its flat index, ...more) to each window's selected element and what rides with it. */
function selectWindows(ctx: StablehloContext, x: HloValue, more: HloValue[], p: SelectionParams, outShape: readonly number[]): HloValue[] {
  const n = x.shape.reduce((a, b) => a * b, 1);
  const flat = ctx.b.op1("stablehlo.iota", [], hloType([n], "int32"), { iota_dimension: attr.int(0) });
  const index = ctx.b.op1("stablehlo.reshape", [flat], hloType(x.shape, "int32"));
  const operands = [x, index, ...more];
  const scalars = operands.map((o) => hloType([], o.dtype));
  const k = operands.length;
  const body = ctx.b.region([...scalars, ...scalars], (args) => {
    const a = args.slice(0, k);
    const b = args.slice(k);
    const better = compareHlo(ctx, p.selectPrim === "ge" ? "GT" : "LT", a[0], b[0]);
    const tie = ctx.b.op1("stablehlo.and", [compareHlo(ctx, "EQ", a[0], b[0]), compareHlo(ctx, "LT", a[1], b[1])], better.type);
    const pickA = ctx.b.op1("stablehlo.or", [better, tie], better.type);
    return a.map((ai, i) => selectHlo(ctx, pickA, ai, b[i]));
  });
  const inits = [
    full(ctx, identityOf(p.selectPrim === "ge" ? "max" : "min", x.dtype), [], x.dtype),
    full(ctx, 2 ** 31 - 1, [], "int32"),
    ...more.map((m) => full(ctx, 0, [], m.dtype)),
  ];
  return ctx.b.op("stablehlo.reduce_window", [...operands, ...inits], operands.map((o) => hloType(outShape, o.dtype)), windowAttrs(p), [body]);
}

lowersToStablehlo(selectAndGatherAddP, (ctx, [t, x], p, _a, [out]) => [selectWindows(ctx, x, [t], p, out.shape)[2]]);

lowersToStablehlo(selectAndScatterAddP, (ctx, [source, x], p, _a, [out]) => {
  const index = selectWindows(ctx, x, [], p, source.shape)[1];
  const n = x.shape.reduce((a, b) => a * b, 1);
  const s = hloType([], source.dtype);
  const body = ctx.b.region([s, s], ([a, b]) => [ctx.b.op1("stablehlo.add", [a, b], s)]);
  const sum = ctx.b.op("stablehlo.scatter", [full(ctx, 0, [n], source.dtype), index, source], [hloType([n], source.dtype)], {
    scatter_dimension_numbers: attr.struct("scatter", { inserted_window_dims: [0], scatter_dims_to_operand_dims: [0], index_vector_dim: index.shape.length }),
    indices_are_sorted: attr.bool(false),
    unique_indices: attr.bool(false),
  }, [body])[0];
  return [ctx.b.op1("stablehlo.reshape", [sum], hloType(out.shape, out.dtype))];
});
