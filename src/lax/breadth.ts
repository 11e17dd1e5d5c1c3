/**
 * lax functions written over existing primitives, as JAX writes them (their
 * rules are those primitives'): `full`, `fullLike`, `dot`, `batchMatmul`,
 * `sortKeyVal`, `topK`, `map` (with `batchSize`), `associativeScan`
 * (JAX's odd-even recursion) and the generic `reduce` (a monoid computation
 * becomes the matching reduction; any other is folded pairwise, a tree of
 * vmapped applications of the computation).
 */
import type { ArrayLike } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { checkDType, intInfo, isFloat, isInt } from "../dtype.js";
import { ArgumentError, ShapeError } from "../errors.js";
import { fmtShape, normalizeAxis } from "../shape.js";
import { describe, functionArg, intArg, intsArg, optionsArg, shapeArg } from "../static-args.js";
import type { Concrete, Primitive, Value } from "../trace/core.js";
import { Tracer, theRuntime } from "../trace/core.js";
import { flatten, unflatten } from "../trace/pytree.js";
import type { TreeDef } from "../trace/pytree.js";
import { vmap } from "../transforms/vmap.js";
import { scan } from "./control-flow/scan.js";
import { trace } from "./control-flow/shared.js";
import type { DotDimensionNumbers } from "./dot.js";
import { dotGeneral } from "./dot.js";
import * as E from "./elementwise.js";
import { convert, operandArg } from "./elementwise.js";
import { ShapedArray } from "./primitive.js";
import { reduceMax, reduceMin, reduceProd, reduceSum } from "./reduce.js";
import { broadcastInDim, concatenate, iota, moveAxis, pad, reshape, rev, slice, squeeze, transpose } from "./shape.js";
import { dynamicSliceInDim, dynamicUpdateSliceInDim } from "./in-dim.js";
import { sort } from "./sort.js";

// ---- full, fullLike ------------------------------------------------------------------------

function fillScalar(op: string, fillValue: unknown): Value {
  const v = operandArg(op, fillValue);
  if (v.ndim !== 0) throw new ShapeError(`${op}: fillValue must be a scalar, got shape ${fmtShape(v.shape)}`);
  return v;
}

/**
 * An array of `shape` filled with `fillValue` (a scalar), of `dtype` (default:
 * the fill value's, weakly typed when it is a JS number).
 * @example
 * lax.full([2, 3], 1.5); // [[1.5, 1.5, 1.5], [1.5, 1.5, 1.5]]
 */
export function full(shape: number | readonly number[], fillValue: ArrayLike, dtype?: DType): Value {
  const op = "lax.full";
  const s = shapeArg(op, shape);
  let v = fillScalar(op, fillValue);
  if (dtype !== undefined && dtype !== null) v = convert(v, checkDType(dtype, op), false);
  return s.length === 0 ? v : broadcastInDim(v, s, []);
}

/**
 * An array like `x` (its shape and dtype, or the given ones) filled with
 * `fillValue`; weakly typed when `x` is and no dtype is given.
 * @example
 * lax.fullLike(np.zeros([2], { dtype: "int32" }), 7); // [7, 7] (int32)
 */
export function fullLike(x: ArrayLike, fillValue: ArrayLike, dtype?: DType, shape?: readonly number[]): Value {
  const op = "lax.fullLike";
  const a = operandArg(op, x);
  const d = dtype === undefined || dtype === null ? a.dtype : checkDType(dtype, op);
  const weak = (dtype === undefined || dtype === null) && a.weakType;
  const s = shape === undefined || shape === null ? [...a.shape] : shapeArg(op, shape);
  const v = convert(fillScalar(op, fillValue), d, weak);
  return s.length === 0 ? v : broadcastInDim(v, s, []);
}

// ---- dot, batchMatmul -------------------------------------------------------------------------

export interface DotOptions {
  /** Contracting and batch axes (lax.dotGeneral's); default: the last axis of lhs with the first of rhs. */
  dimensionNumbers?: DotDimensionNumbers;
  /** Accepted for JAX's signature; jaxon computes in the operands' precision. */
  precision?: unknown;
  /** The result's dtype. */
  preferredElementType?: DType;
}

/**
 * Vector·vector, matrix·vector or matrix·matrix product (1-d or 2-d
 * operands), or lax.dotGeneral when `dimensionNumbers` is given.
 * @example
 * lax.dot(np.array([[1, 2], [3, 4]]), np.array([1, 1])); // [3, 7]
 */
export function dot(lhs: ArrayLike, rhs: ArrayLike, options: DotOptions = {}): Value {
  const op = "lax.dot";
  const { dimensionNumbers, preferredElementType } = optionsArg(op, options);
  const a = operandArg(op, lhs);
  const b = operandArg(op, rhs);
  if (dimensionNumbers !== undefined) return dotGeneral(a, b, dimensionNumbers, preferredElementType);
  if (!(a.ndim >= 1 && a.ndim <= 2 && b.ndim >= 1 && b.ndim <= 2 && a.shape[a.ndim - 1] === b.shape[0])) {
    throw new ShapeError(
      `${op}: incompatible shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}; needs 1-d or 2-d operands with lhs's last axis equal to rhs's first ` +
        "(use lax.dotGeneral or np.matmul for others)",
    );
  }
  return dotGeneral(a, b, { contracting: [[a.ndim - 1], [0]], batch: [[], []] }, preferredElementType);
}

/**
 * Batched matrix product: `lhs` [..., m, k] and `rhs` [..., k, n] with equal
 * leading (batch) axes give [..., m, n].
 * @example
 * lax.batchMatmul(np.ones([2, 3, 4]), np.ones([2, 4, 5])).shape; // [2, 3, 5]
 */
export function batchMatmul(lhs: ArrayLike, rhs: ArrayLike, _precision?: unknown): Value {
  const op = "lax.batchMatmul";
  const a = operandArg(op, lhs);
  const b = operandArg(op, rhs);
  if (a.ndim !== b.ndim) {
    throw new ShapeError(`${op}: needs operands with the same number of dimensions, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  if (a.ndim < 2) throw new ShapeError(`${op}: needs operands of at least 2 dimensions, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const batch = Array.from({ length: a.ndim - 2 }, (_, i) => i);
  return dotGeneral(a, b, { contracting: [[a.ndim - 1], [b.ndim - 2]], batch: [batch, batch] });
}

// ---- sortKeyVal, topK ---------------------------------------------------------------------------

/**
 * Sorts `keys` along `dimension` (stable; NaNs last) and `values` with them.
 * @example
 * const [k, v] = lax.sortKeyVal(np.array([3, 1, 2]), np.array([10, 20, 30])); // k [1, 2, 3], v [20, 30, 10]
 */
export function sortKeyVal(keys: ArrayLike, values: ArrayLike, dimension = -1, _isStable = true): [Value, Value] {
  const op = "lax.sortKeyVal";
  const k = operandArg(op, keys);
  const v = operandArg(op, values);
  const [sk, sv] = sort([k, v], { dimension: intArg(op, "dimension", dimension), numKeys: 1 });
  return [sk, sv];
}

/**
 * The `k` largest elements along `axis` (default the last) and their int32
 * indices, largest first; ties keep the lower index first and NaN counts as
 * the largest, as XLA's TopK.
 * @example
 * const [values, indices] = lax.topK(np.array([1, 5, 3, 5]), 2); // [5, 5], [1, 3]
 */
export function topK(operand: ArrayLike, k: number, options: { axis?: number } = {}): [Value, Value] {
  const op = "lax.topK";
  const x0 = operandArg(op, operand);
  const { axis = -1 } = optionsArg(op, options);
  if (x0.ndim === 0) throw new ShapeError(`${op}: needs an operand of at least 1 dimension, got a scalar`);
  const ax = normalizeAxis(op, intArg(op, "axis", axis), x0.ndim);
  const kk = intArg(op, "k", k);
  const n = x0.shape[ax];
  if (kk < 0 || kk > n) throw new ShapeError(`${op}: k must be between 0 and the axis's size ${n}, got ${kk}`);
  const last = x0.ndim - 1;
  const x = moveAxis(x0, ax, last);
  // descending order as ascending keys: NaN first, then -x (floats); ~x reverses integers and bools exactly
  const keys = isFloat(x.dtype) ? [convert(E.eq(x, x), "int32"), E.neg(x)] : [E.not(x)];
  const outs = sort([...keys, x, iota("int32", x.shape, last)], { dimension: last, numKeys: keys.length });
  const lo = x.shape.map(() => 0);
  const hi = [...x.shape.slice(0, -1), kk];
  const pick = (v: Value) => moveAxis(slice(v, lo, hi), last, ax);
  return [pick(outs[keys.length]), pick(outs[keys.length + 1])];
}

// ---- map --------------------------------------------------------------------------------------

function leadingSize(op: string, leaves: readonly Value[]): number {
  let n: number | undefined;
  for (const l of leaves) {
    if (l.ndim === 0) throw new ShapeError(`${op}: every leaf of xs needs a leading axis to map over, got a scalar`);
    if (n === undefined) n = l.shape[0];
    else if (l.shape[0] !== n) throw new ShapeError(`${op}: the leaves of xs have different leading sizes (${leaves.map((x) => x.shape[0]).join(", ")})`);
  }
  return n ?? 0;
}

/**
 * Applies `f` to each slice of `xs` (a pytree) along the leading axis, one
 * after another (a scan), and stacks the results. With `batchSize`, `f` is
 * vmapped over batches of that many slices (the remainder in one last batch).
 * @example
 * lax.map((x) => x.mul(2), np.array([1, 2, 3])); // [2, 4, 6]
 */
export function map<X, Y>(f: (x: X) => Y, xs: X, options: { batchSize?: number | null } = {}): Y {
  const op = "lax.map";
  functionArg(op, "f", f);
  const { batchSize } = optionsArg(op, options);
  if (batchSize === undefined || batchSize === null) return scan((_c: null, x: X) => [null, f(x)] as [null, Y], null, xs)[1];
  const bs = intArg(op, "batchSize", batchSize);
  if (bs < 0) throw new ShapeError(`${op}: batchSize must be non-negative, got ${bs}`);
  const [leaves, tree] = flatten<unknown>(xs);
  const vs = leaves.map((l) => operandArg(`${op} xs`, l));
  if (vs.length === 0) return scan((_c: null, x: X) => [null, f(x)] as [null, Y], null, xs)[1];
  const n = leadingSize(op, vs);
  const numBatches = bs === 0 ? 0 : Math.floor(n / bs);
  const used = numBatches * bs;
  const vf = vmap(f as (x: unknown) => unknown) as (x: X) => Y;
  const rest = (l: Value) => slice(l, l.shape.map((_, i) => (i === 0 ? used : 0)), [...l.shape]);
  const remainder = n > used ? (unflatten(tree, vs.map(rest)) as X) : null;
  if (numBatches === 0) return vf(remainder as X);
  const batched = unflatten(tree, vs.map((l) => reshape(slice(l, l.shape.map(() => 0), [used, ...l.shape.slice(1)]), [numBatches, bs, ...l.shape.slice(1)]))) as X;
  const ys = scan((_c: null, x: X) => [null, vf(x)] as [null, Y], null, batched)[1];
  const [yLeaves, yTree] = flatten<Value>(ys);
  const flat = yLeaves.map((y) => reshape(y, [y.shape[0] * y.shape[1], ...y.shape.slice(2)]));
  if (remainder === null) return unflatten(yTree, flat) as Y;
  const [rLeaves] = flatten<Value>(vf(remainder));
  return unflatten(yTree, flat.map((y, i) => concatenate([y, rLeaves[i]], 0))) as Y;
}

// ---- associativeScan --------------------------------------------------------------------------

const sliceAxis = (x: Value, axis: number, start: number, stop: number, stride = 1): Value => {
  const lo = x.shape.map((_, i) => (i === axis ? start : 0));
  const hi = x.shape.map((s, i) => (i === axis ? stop : s));
  const st = x.shape.map((_, i) => (i === axis ? stride : 1));
  return slice(x, lo, hi, st);
};

/** a and b interleaved along `axis` (a first; a has as many elements as b or one more). */
function interleave(a: Value, b: Value, axis: number): Value {
  const same = a.shape[axis] === b.shape[axis];
  const cfg = (lo: number, hi: number) => a.shape.map((_, i): [number, number, number] => (i === axis ? [lo, hi, 1] : [0, 0, 0]));
  const zero = (x: Value) => E.zerosOf(new ShapedArray([], x.dtype, false));
  const pa = pad(a, zero(a), cfg(0, same ? 1 : 0));
  const pb = pad(b, zero(b), cfg(1, same ? 0 : 1));
  return a.dtype === "bool" ? E.or(pa, pb) : E.add(pa, pb);
}

/**
 * Inclusive scan of `elems` (a pytree of arrays with one size along `axis`)
 * by an associative `fn(a, b)` of pytrees of the same structure, applied
 * elementwise to slices: JAX's parallel odd-even recursion (O(log n) depth),
 * so the combination order, and the rounding, is JAX's.
 * @example
 * lax.associativeScan((a, b) => a.add(b), np.array([1, 2, 3, 4])); // [1, 3, 6, 10]
 */
export function associativeScan<T>(fn: (a: T, b: T) => T, elems: T, reverse = false, axis = 0): T {
  const op = "lax.associativeScan";
  functionArg(op, "fn", fn);
  if (typeof reverse !== "boolean") throw new ArgumentError(`${op}: reverse must be true or false, got ${describe(reverse)}`);
  const [leaves, tree] = flatten<unknown>(elems);
  if (leaves.length === 0) throw new ShapeError(`${op}: elems has no arrays`);
  let xs = leaves.map((l) => operandArg(`${op} elems`, l));
  if (xs[0].ndim === 0) throw new ShapeError(`${op}: the arrays of elems need an axis to scan over, got a scalar`);
  const ax = normalizeAxis(op, intArg(op, "axis", axis), xs[0].ndim);
  const n = xs[0].shape[ax];
  if (!xs.every((x) => x.ndim > ax && x.shape[ax] === n)) {
    throw new ShapeError(`${op}: the arrays of elems must have one size along axis ${ax}, got shapes ${xs.map((x) => fmtShape(x.shape)).join(", ")}`);
  }
  if (reverse) xs = xs.map((x) => rev(x, [ax]));
  const combine = (a: Value[], b: Value[]): Value[] => {
    const out = fn(unflatten(tree, a) as T, unflatten(tree, b) as T);
    const [flat, outTree] = flatten<unknown>(out);
    if (!sameTree(outTree, tree)) throw new ShapeError(`${op}: fn must return a pytree of elems's structure`);
    return flat.map((v) => operandArg(`${op} fn result`, v));
  };
  const go = (es: Value[]): Value[] => {
    const m = es[0].shape[ax];
    if (m < 2) return es;
    const reduced = combine(
      es.map((e) => sliceAxis(e, ax, 0, m - 1, 2)),
      es.map((e) => sliceAxis(e, ax, 1, m, 2)),
    );
    const odd = go(reduced);
    const evenRest = m % 2 === 0
      ? combine(odd.map((e) => sliceAxis(e, ax, 0, e.shape[ax] - 1)), es.map((e) => sliceAxis(e, ax, 2, m, 2)))
      : combine(odd, es.map((e) => sliceAxis(e, ax, 2, m, 2)));
    const even = es.map((e, i) => concatenate([sliceAxis(e, ax, 0, 1), evenRest[i]], ax));
    return even.map((e, i) => interleave(e, odd[i], ax));
  };
  let scans = go(xs);
  if (reverse) scans = scans.map((x) => rev(x, [ax]));
  return unflatten(tree, scans) as T;
}

const sameTree = (a: TreeDef, b: TreeDef) => a.equals(b);

// ---- reduce -------------------------------------------------------------------------------------

type Monoid = { prim: Primitive; identity: (d: DType) => number; reducer: (x: Value, axes: number[]) => Value };
const lowest = (d: DType) => intInfo(d)?.min ?? (d === "bool" ? 0 : -Infinity);
const highest = (d: DType) => intInfo(d)?.max ?? (d === "bool" ? 1 : Infinity);
const MONOIDS: Monoid[] = [
  { prim: E.addP, identity: () => 0, reducer: (x, a) => reduceSum(x, a) },
  { prim: E.mulP, identity: () => 1, reducer: (x, a) => reduceProd(x, a) },
  { prim: E.maxP, identity: lowest, reducer: (x, a) => reduceMax(x, a) },
  { prim: E.minP, identity: highest, reducer: (x, a) => reduceMin(x, a) },
  { prim: E.orP, identity: () => 0, reducer: (x, a) => reduceMax(x, a) },
  { prim: E.andP, identity: () => 1, reducer: (x, a) => reduceMin(x, a) },
];

/** The monoid a computation is (one add/mul/max/min, and/or on bools, of its two arguments), if it is one. */
function monoidOf(computation: (a: Value, b: Value) => unknown, dtype: DType): Monoid | undefined {
  const s = new ShapedArray([], dtype, false);
  const { jaxpr, consts } = trace((a, b) => flatten<Value>(computation(a, b))[0], [s, s], "lax.reduce");
  if (consts.length !== 0 || jaxpr.eqns.length !== 1 || jaxpr.outs.length !== 1) return undefined;
  const [eqn] = jaxpr.eqns;
  const m = MONOIDS.find((mm) => mm.prim === eqn.prim);
  if (!m || (m.prim === E.orP || m.prim === E.andP) && dtype !== "bool") return undefined;
  const [a, b] = eqn.inputs;
  const [x, y] = jaxpr.invars;
  if (!((a === x && b === y) || (a === y && b === x)) || jaxpr.outs[0] !== eqn.outs[0]) return undefined;
  return m;
}

/** The value of a concrete 0-d init, if known now. */
function knownInit(v: Value): number | undefined {
  if (v instanceof Tracer || v.ndim !== 0) return undefined;
  return theRuntime().knownScalar(v as unknown as Concrete);
}

/**
 * Reduces `operands` (a pytree of same-shaped arrays) over `dimensions` with
 * `computation(acc, x)` on pytrees of scalars, starting from `initValues`
 * (scalars, a pytree of the operands' structure). A single add, mul, max or
 * min (and, or on bools) becomes the matching reduction; any other
 * computation is applied pairwise in a tree, vmapped over the kept elements
 * (XLA leaves the order of a reduction unspecified).
 * @example
 * lax.reduce(np.array([[1, 2], [3, 4]]), 0, (a, b) => a.add(b), [1]); // [3, 7]
 */
export function reduce<T>(operands: T, initValues: T, computation: (a: T, b: T) => T, dimensions: readonly number[]): T {
  const op = "lax.reduce";
  functionArg(op, "computation", computation);
  const [opLeaves, tree] = flatten<unknown>(operands);
  const [initLeaves, initTree] = flatten<unknown>(initValues);
  if (opLeaves.length === 0) throw new ShapeError(`${op}: operands has no arrays`);
  if (!sameTree(tree, initTree)) throw new ShapeError(`${op}: initValues must have the structure of operands`);
  const xs = opLeaves.map((l) => operandArg(`${op} operands`, l));
  const inits = initLeaves.map((l, i) => {
    const v = operandArg(`${op} initValues`, l);
    if (v.ndim !== 0) throw new ShapeError(`${op}: each init value must be a scalar, got shape ${fmtShape(v.shape)}`);
    return v.weakType && typeof l === "number" ? convert(v, xs[i].dtype) : v;
  });
  const shape = xs[0].shape;
  if (!xs.every((x) => x.shape.length === shape.length && x.shape.every((s, i) => s === shape[i]))) {
    throw new ShapeError(`${op}: operands must have one shape, got ${xs.map((x) => fmtShape(x.shape)).join(", ")}`);
  }
  const dims = intsArg(op, "dimensions", dimensions).map((d) => normalizeAxis(op, d, shape.length));
  if (new Set(dims).size !== dims.length) throw new ShapeError(`${op}: dimensions ${JSON.stringify(dims)} repeat an axis`);
  xs.forEach((x, i) => {
    if (inits[i].dtype !== x.dtype) throw new ShapeError(`${op}: init value ${i} has dtype ${inits[i].dtype}, its operand ${x.dtype}`);
  });
  const comp = (a: Value[], b: Value[]): Value[] => {
    const out = computation(unflatten(tree, a) as T, unflatten(tree, b) as T);
    const [flat, outTree] = flatten<unknown>(out);
    if (!sameTree(outTree, tree)) throw new ShapeError(`${op}: computation must return a pytree of the operands' structure`);
    return flat.map((v, i) => convert(operandArg(`${op} computation result`, v), xs[i].dtype));
  };
  if (xs.length === 1) {
    const m = monoidOf((a, b) => computation(unflatten(tree, [a]) as T, unflatten(tree, [b]) as T), xs[0].dtype);
    if (m) {
      let r = m.reducer(xs[0], dims);
      const init = knownInit(inits[0]);
      if (init === undefined || !Object.is(init, m.identity(xs[0].dtype))) r = comp([inits[0]], [r])[0];
      return unflatten(tree, [r]) as T;
    }
  }
  // generic: [n, m] with the reduced axes first, halved pairwise, then folded into the init values
  const kept = shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const n = dims.reduce((p, d) => p * shape[d], 1);
  const keptShape = kept.map((i) => shape[i]);
  const m = keptShape.reduce((p, s) => p * s, 1);
  let cur = xs.map((x) => reshape(transpose(x, [...dims, ...kept]), [n, m]));
  const pairwise = vmap(vmap((a: Value[], b: Value[]) => comp(a, b)));
  while (cur[0].shape[0] > 1) {
    const len = cur[0].shape[0];
    const h = Math.floor(len / 2);
    const c = pairwise(cur.map((x) => slice(x, [0, 0], [h, m])), cur.map((x) => slice(x, [h, 0], [2 * h, m])));
    cur = len % 2 === 0 ? c : c.map((x, i) => concatenate([x, slice(cur[i], [2 * h, 0], [len, m])], 0));
  }
  const initB = inits.map((v) => broadcastInDim(v, [m], []));
  const out = n === 0 ? initB : vmap((a: Value[], b: Value[]) => comp(a, b))(initB, cur.map((x) => reshape(x, [m])));
  return unflatten(tree, out.map((x) => reshape(x, keptShape))) as T;
}

// ---- small conveniences over one axis, ranks and bit reductions ----------------------------------

/**
 * `x` with leading axes of size 1 added up to `rank` (unchanged when it has that many), as `lax.broadcast_to_rank`.
 * @example
 * lax.broadcastToRank(np.array([1, 2]), 3).shape; // [1, 1, 2]
 */
export function broadcastToRank(x: ArrayLike, rank: number): Value {
  const op = "lax.broadcastToRank";
  const v = operandArg(op, x);
  const r = intArg(op, "rank", rank);
  if (r < v.ndim) throw new ShapeError(`${op}: rank ${r} is below the operand's ${v.ndim} dimensions (shape ${fmtShape(v.shape)})`);
  if (r > 64) throw new ShapeError(`${op}: rank ${r} is more dimensions than jaxon supports (64)`);
  if (r === v.ndim) return v;
  return reshape(v, [...Array.from({ length: r - v.ndim }, () => 1), ...v.shape]);
}

/**
 * An iota of `shape` counting along `dimension` (JAX's `broadcasted_iota`; lax.iota takes the same arguments).
 * @example
 * lax.broadcastedIota("int32", [2, 3], 1); // [[0, 1, 2], [0, 1, 2]]
 */
export function broadcastedIota(dtype: DType, shape: readonly number[], dimension: number): Value {
  const op = "lax.broadcastedIota";
  const s = shapeArg(op, shape);
  return iota(checkDType(dtype, op), s, normalizeAxis(op, intArg(op, "dimension", dimension), s.length));
}

/**
 * The slice at a traced or concrete `index` along `axis` (negative indices count from the end), keeping that
 * axis with size 1 unless `keepdims` is false, as `lax.dynamic_index_in_dim`.
 * @example
 * lax.dynamicIndexInDim(np.array([[1, 2], [3, 4]]), np.array(1, { dtype: "int32" }), 0, false); // [3, 4]
 */
export function dynamicIndexInDim(operand: ArrayLike, index: ArrayLike, axis = 0, keepdims = true): Value {
  const op = "lax.dynamicIndexInDim";
  if (typeof keepdims !== "boolean") throw new ArgumentError(`${op}: keepdims must be true or false, got ${describe(keepdims)}`);
  const x = operandArg(op, operand);
  const ax = normalizeAxis(op, intArg(op, "axis", axis), x.ndim);
  const out = dynamicSliceInDim(x, index, 1, ax);
  return keepdims ? out : squeeze(out, [ax]);
}

/**
 * `operand` with the slice at `index` along `axis` replaced by `update` (which has that axis with size 1, or
 * lacks it), as `lax.dynamic_update_index_in_dim`.
 * @example
 * lax.dynamicUpdateIndexInDim(np.zeros([2, 2]), np.array([5, 6]), np.array(1, { dtype: "int32" }), 0); // [[0, 0], [5, 6]]
 */
export function dynamicUpdateIndexInDim(operand: ArrayLike, update: ArrayLike, index: ArrayLike, axis: number): Value {
  const op = "lax.dynamicUpdateIndexInDim";
  const x = operandArg(op, operand);
  let u = operandArg(op, update);
  const ax = normalizeAxis(op, intArg(op, "axis", axis), x.ndim);
  if (u.ndim === x.ndim - 1) u = reshape(u, [...u.shape.slice(0, ax), 1, ...u.shape.slice(ax)]);
  return dynamicUpdateSliceInDim(x, u, index, ax);
}

function bitReduce(name: string, combine: (a: Value, b: Value) => Value, boolReduce: (x: Value, axes: number[]) => Value) {
  return (operand: ArrayLike, axes: readonly number[]): Value => {
    const op = `lax.${name}`;
    const x = operandArg(op, operand);
    if (!(x.dtype === "bool" || isInt(x.dtype))) {
      throw new ShapeError(`${op}: needs a bool or integer operand, got ${x.dtype}`);
    }
    const ax = intsArg(op, "axes", axes).map((a) => normalizeAxis(op, a, x.ndim));
    if (x.dtype === "bool" && name !== "reduceXor") return boolReduce(x, ax);
    const identity = name === "reduceAnd" ? (x.dtype === "bool" ? 1 : x.dtype === "int32" ? -1 : 4294967295) : 0;
    return reduce(x, convert(identity, x.dtype), combine, ax);
  };
}
/**
 * Bitwise and (logical and of bools) over `axes`, as `lax.reduce_and`.
 * @example
 * lax.reduceAnd(np.array([[true, false], [true, true]]), [1]); // [false, true]
 */
export const reduceAnd = bitReduce("reduceAnd", E.and, (x, a) => reduceMin(x, a));
/**
 * Bitwise or (logical or of bools) over `axes`, as `lax.reduce_or`.
 * @example
 * lax.reduceOr(np.array([1, 2, 4], { dtype: "int32" }), [0]); // 7
 */
export const reduceOr = bitReduce("reduceOr", E.or, (x, a) => reduceMax(x, a));
/**
 * Bitwise exclusive or (parity of bools) over `axes`, as `lax.reduce_xor`.
 * @example
 * lax.reduceXor(np.array([[1, 2, 3], [4, 5, 7]], { dtype: "int32" }), [1]); // [0, 6]
 */
export const reduceXor = bitReduce("reduceXor", E.xor, (x) => x);

/**
 * Splits `operand` along `axis` into pieces of the given sizes (which add up to the axis's size), as `lax.split`.
 * @example
 * lax.split(np.arange(5), [2, 3]).map((p) => p.shape); // [[2], [3]]
 */
export function split(operand: ArrayLike, sizes: readonly number[], axis = 0): Value[] {
  const op = "lax.split";
  const x = operandArg(op, operand);
  const ax = normalizeAxis(op, intArg(op, "axis", axis), x.ndim);
  const ss = intsArg(op, "sizes", sizes);
  if (ss.some((s) => s < 0) || ss.reduce((a, b) => a + b, 0) !== x.shape[ax]) {
    throw new ShapeError(`${op}: sizes ${JSON.stringify(ss)} must be non-negative and add up to ${x.shape[ax]}, the size of axis ${ax} of shape ${fmtShape(x.shape)}`);
  }
  let start = 0;
  return ss.map((s) => {
    const piece = sliceAxis(x, ax, start, start + s);
    start += s;
    return piece;
  });
}

/**
 * `operand` repeated `reps[i]` times along each axis i (`reps` has one entry per axis), as `lax.tile`.
 * @example
 * lax.tile(np.array([[1, 2]]), [2, 3]).shape; // [2, 6]
 */
export function tile(operand: ArrayLike, reps: readonly number[]): Value {
  const op = "lax.tile";
  const x = operandArg(op, operand);
  const r = intsArg(op, "reps", reps);
  if (r.length !== x.ndim) throw new ShapeError(`${op}: reps needs one entry per axis (${x.ndim}), got ${r.length}`);
  if (r.some((k) => k < 0)) throw new ShapeError(`${op}: reps must be non-negative, got ${JSON.stringify(r)}`);
  const big = broadcastInDim(x, r.flatMap((k, i) => [k, x.shape[i]]), x.shape.map((_, i) => 2 * i + 1));
  return reshape(big, x.shape.map((s, i) => s * r[i]));
}
