/**
 * Set operations on arrays, as JAX's: unique (sorted, along an axis, with
 * first indices, the inverse and counts), membership, and the 1-d set
 * algebra. The number of distinct values is data-dependent, so without a
 * static `size` these need concrete arrays (JAX's ConcretizationError under
 * jit or vmap); with `size`, results are cut or padded with `fillValue`
 * (by default the smallest value, as JAX's).
 */
import { ArgumentError } from "../errors.js";
import { isFloat } from "../dtype.js";
import * as lax from "../lax/index.js";
import { optionsArg, sizeArg } from "../static-args.js";
import { full, zeros } from "./creation.js";
import { concreteValues } from "./concrete.js";
import { at } from "./indexing.js";
import { moveaxis } from "./shape.js";
import { nonzero } from "./searching.js";
import type { ArrayLike, Value } from "./util.js";
import { asValue, axisOf, cast, promote, range } from "./util.js";

const INT = "int32";
const iconst = (v: number, shape: readonly number[]) => lax.broadcastInDim(lax.scalar(v, INT), shape, []);
const flat = (v: Value) => lax.reshape(v, [v.size]);
const sliceRows = (v: Value, lo: number, hi: number) => lax.slice(v, v.shape.map(() => 0).map((_, i) => (i === 0 ? lo : 0)), v.shape.map((d, i) => (i === 0 ? hi : d)));
const rowsOf = (v: Value, idx: Value) => lax.gather(v, idx, { axis: 0, mode: "promise_in_bounds" });

/** x != y, but NaN equals NaN when `equalNan` (NumPy's unique). */
function neq(x: Value, y: Value, equalNan: boolean): Value {
  const ne = lax.ne(x, y);
  if (!equalNan || !isFloat(x.dtype)) return ne;
  return lax.and(ne, lax.not(lax.and(lax.ne(x, x), lax.ne(y, y))));
}

/** The rows of `v` (axis 0) sorted lexicographically, the mask of the first of each run of equal rows, and the sorting permutation. */
function sortedMask(v: Value, equalNan: boolean): { aux: Value; mask: Value; perm: Value } {
  const n = v.shape[0];
  const rest = v.shape.slice(1).reduce((a, b) => a * b, 1);
  let perm: Value;
  if (rest === 0) perm = zeros([n === 0 ? 0 : 1], { dtype: INT });
  else {
    const cols = lax.reshape(v, [n, rest]);
    const keys = range(rest).map((j) => lax.reshape(lax.slice(cols, [0, j], [n, j + 1]), [n]));
    const sorted = lax.sort([...keys, lax.iota(INT, n)], { dimension: 0, numKeys: rest }) as Value[];
    perm = sorted[sorted.length - 1];
  }
  const aux = rest === 0 ? v : rowsOf(v, perm);
  const m = aux.shape[0];
  if (aux.size === 0) return { aux, mask: zeros([rest === 0 ? Math.min(1, n) : m], { dtype: "bool" }), perm };
  const differs = neq(sliceRows(aux, 1, m), sliceRows(aux, 0, m - 1), equalNan);
  const rowDiffers = aux.ndim > 1 ? lax.reduceMax(differs, range(aux.ndim - 1, 1)) : differs;
  const mask = lax.concatenate([lax.broadcastInDim(lax.scalar(1, "bool"), [1], []), rowDiffers], 0);
  return { aux, mask, perm };
}

export interface UniqueOptions {
  /** Also return the index of each unique value's first occurrence. */
  returnIndex?: boolean;
  /** Also return, for each input element, the index of its unique value (input's shape when axis is null). */
  returnInverse?: boolean;
  /** Also return how often each unique value occurs. */
  returnCounts?: boolean;
  /** Unique sub-arrays along this axis (default null: of the flattened array). */
  axis?: number | null;
  /** Whether NaNs count as one value (default true). */
  equalNan?: boolean;
  /** The static number of results (needed under jit and vmap): cut, or padded with `fillValue`. */
  size?: number | null;
  /** The padding past the true count (default: the smallest value). */
  fillValue?: ArrayLike | null;
}

const UNIQUE_FIX = "Pass a static size: np.unique(x, { size: n, fillValue }), which cuts or pads the result to n values.";

/**
 * The sorted distinct values of `ar`, as `jnp.unique`. With any of
 * `returnIndex`, `returnInverse`, `returnCounts`, a list: `[values, index?, inverse?, counts?]`.
 * @example
 * np.unique(np.array([3, 1, 3, 2]));                                      // [1, 2, 3]
 * const [u, counts] = np.unique(np.array([3, 1, 3]), { returnCounts: true }); // [1, 3], [1, 2]
 * np.unique(np.array([3, 1, 3]), { size: 4, fillValue: -1 });             // [1, 3, -1, -1]
 */
export function unique(ar: ArrayLike, options?: UniqueOptions & { returnIndex?: false; returnInverse?: false; returnCounts?: false }): Value;
export function unique(ar: ArrayLike, options: UniqueOptions): Value | Value[];
export function unique(ar: ArrayLike, options: UniqueOptions = {}): Value | Value[] {
  const op = "np.unique";
  options = optionsArg(op, options);
  let v = asValue(ar, op);
  const inShape = v.shape;
  const axisGiven = options.axis !== undefined && options.axis !== null;
  const ax = axisGiven ? axisOf(op, options.axis as number, v.ndim) : 0;
  v = axisGiven ? moveaxis(v, ax, 0) : flat(v);
  const out = uniqueRows(op, v, options);
  out[0] = axisGiven ? moveaxis(out[0], 0, ax) : out[0];
  if (options.returnInverse && !axisGiven) {
    const k = 1 + (options.returnIndex ? 1 : 0);
    out[k] = lax.reshape(out[k], inShape);
  }
  return out.length === 1 ? out[0] : out;
}

/** unique along axis 0: [values, index?, inverse?, counts?] (JAX's _unique). */
function uniqueRows(op: string, v: Value, options: UniqueOptions): Value[] {
  const equalNan = options.equalNan ?? true;
  const n = v.shape[0];
  const size = options.size === undefined || options.size === null ? null : sizeArg(op, "size", options.size);
  const hasFill = options.fillValue !== undefined && options.fillValue !== null;
  if (n === 0 && size && !hasFill) throw new ArgumentError(`${op}: an empty input with a nonzero size needs a fillValue to pad with`);
  const { aux, mask, perm } = sortedMask(v, equalNan);
  let ind: Value;
  if (size === null) {
    concreteValues(op, "the array", mask, UNIQUE_FIX);
    ind = nonzero(mask)[0];
  } else {
    ind = mask.shape[0] === 0 ? zeros([size], { dtype: INT }) : nonzero(mask, { size })[0];
  }
  let result = aux.size ? rowsOf(aux, ind) : aux;
  const total = lax.reduceSum(cast(mask, INT), [0]);
  if (size !== null && hasFill) {
    const fill = cast(asValue(options.fillValue as ArrayLike, op), result.dtype);
    if (result.shape[0]) {
      const valid = lax.broadcastInDim(lax.lt(lax.iota(INT, size), lax.broadcastInDim(total, [size], [])), result.shape, [0]);
      result = lax.select(valid, result, lax.broadcastInDim(fill, result.shape, []));
    } else {
      result = full([size, ...aux.shape.slice(1)], fill, { dtype: result.dtype });
    }
  }
  const ret = [result];
  if (options.returnIndex) ret.push(aux.size ? rowsOf(perm, ind) : perm);
  if (options.returnInverse) {
    if (aux.size) {
      const imask = lax.sub(lax.cumsum(cast(mask, INT), 0), 1);
      ret.push(at(zeros([mask.shape[0]], { dtype: INT }), [perm]).set(imask));
    } else ret.push(zeros([n], { dtype: INT }));
  }
  if (options.returnCounts) {
    if (aux.size) {
      const m = mask.shape[0];
      let idx: Value;
      if (size === null) idx = lax.concatenate([nonzero(mask)[0], iconst(m, [1])], 0);
      else {
        idx = nonzero(mask, { size: size + 1 })[0];
        const tail = lax.slice(idx, [1], [size + 1]);
        idx = lax.concatenate([lax.slice(idx, [0], [1]), lax.select(lax.ne(tail, iconst(0, [size])), tail, iconst(m, [size]))], 0);
      }
      const k = idx.shape[0];
      ret.push(lax.sub(lax.slice(idx, [1], [k]), lax.slice(idx, [0], [k - 1])));
    } else if (n) ret.push(full([1], n, { dtype: INT }));
    else ret.push(zeros([0], { dtype: INT }));
  }
  return ret;
}

/**
 * Whether each element of `element` is in `testElements` (a bool array of element's shape), as `jnp.isin`.
 * @example np.isin(np.array([1, 2, 3]), np.array([3, 1])); // [true, false, true]
 */
export function isin(element: ArrayLike, testElements: ArrayLike, options: { assumeUnique?: boolean; invert?: boolean } = {}): Value {
  const op = "np.isin";
  options = optionsArg(op, options);
  const [e, t] = promote(op, [element, testElements]);
  const a = flat(e);
  const b = flat(t);
  if (a.size === 0 || b.size === 0) return full(e.shape, !!options.invert, { dtype: "bool" });
  const shape = [a.size, b.size];
  const A = lax.broadcastInDim(a, shape, [0]);
  const B = lax.broadcastInDim(b, shape, [1]);
  const out = options.invert ? lax.reduceMin(lax.ne(A, B), [1]) : lax.reduceMax(lax.eq(A, B), [1]);
  return lax.reshape(out, e.shape);
}

export interface SetSizeOptions {
  /** The static number of results (needed under jit and vmap). */
  size?: number | null;
  /** The padding past the true count. */
  fillValue?: ArrayLike | null;
}

/**
 * The sorted distinct values in either array, as `jnp.union1d`.
 * @example np.union1d(np.array([3, 1]), np.array([2, 1])); // [1, 2, 3]
 */
export function union1d(ar1: ArrayLike, ar2: ArrayLike, options: SetSizeOptions = {}): Value {
  const op = "np.union1d";
  options = optionsArg(op, options);
  const [a, b] = promote(op, [ar1, ar2]);
  return unique(lax.concatenate([flat(a), flat(b)], 0), { size: options.size, fillValue: options.fillValue });
}

/** Values where `keep` is true, first `size` of them, padded with `fill` (or, without a fill, JAX's default). */
function selectSized(vals: Value, keep: Value, size: number, fill: Value | null): Value {
  const idx = nonzero(keep, { size })[0];
  const picked = vals.size ? rowsOf(vals, idx) : zeros([size], { dtype: vals.dtype });
  const count = lax.reduceSum(cast(keep, INT), [0]);
  const valid = lax.lt(lax.iota(INT, size), lax.broadcastInDim(count, [size], []));
  return lax.select(valid, picked, lax.broadcastInDim(fill ?? lax.scalar(0, vals.dtype), [size], []));
}

/**
 * The sorted distinct values of `ar1` not in `ar2`, as `jnp.setdiff1d`.
 * @example np.setdiff1d(np.array([4, 1, 2, 4]), np.array([2, 3])); // [1, 4]
 */
export function setdiff1d(ar1: ArrayLike, ar2: ArrayLike, options: SetSizeOptions & { assumeUnique?: boolean } = {}): Value {
  const op = "np.setdiff1d";
  options = optionsArg(op, options);
  const a0 = asValue(ar1, op);
  const b = flat(asValue(ar2, op));
  let a = flat(a0);
  const size = options.size === undefined || options.size === null ? null : sizeArg(op, "size", options.size);
  const fill = cast(asValue(options.fillValue ?? 0, op), a.dtype);
  if (a.size === 0) return lax.broadcastInDim(fill, [size ?? 0], []);
  if (!options.assumeUnique) a = unique(a, { size: size === null ? null : a.size });
  let mask = isin(a, b, { invert: true });
  if (size === null) return rowsOf(a, nonzero(mask)[0]);
  if (!options.assumeUnique) {
    // the padding of unique() repeats its first value; it is not a result
    const m = a.size;
    const nUnique = lax.sub(lax.scalar(m + 1, INT), lax.reduceSum(cast(lax.eq(a, lax.broadcastInDim(lax.reshape(lax.slice(a, [0], [1]), []), [m], [])), INT), [0]));
    mask = lax.and(mask, lax.lt(lax.iota(INT, m), lax.broadcastInDim(nUnique, [m], [])));
  }
  return selectSized(a, mask, size, fill);
}

/**
 * The sorted values in exactly one of the arrays, as `jnp.setxor1d`.
 * @example np.setxor1d(np.array([1, 2, 3]), np.array([2, 3, 4])); // [1, 4]
 */
export function setxor1d(ar1: ArrayLike, ar2: ArrayLike, options: SetSizeOptions & { assumeUnique?: boolean } = {}): Value {
  const op = "np.setxor1d";
  options = optionsArg(op, options);
  let [a, b] = promote(op, [ar1, ar2]).map(flat);
  const size = options.size === undefined || options.size === null ? null : sizeArg(op, "size", options.size);
  if (size === null) {
    if (!options.assumeUnique) [a, b] = [unique(a), unique(b)];
    const aux0 = lax.concatenate([a, b], 0);
    if (aux0.size === 0) return aux0;
    const aux = lax.sort(aux0, { dimension: 0 });
    const m = aux.shape[0];
    const t = lax.broadcastInDim(lax.scalar(1, "bool"), [1], []);
    const flag = lax.concatenate([t, lax.ne(lax.slice(aux, [1], [m]), lax.slice(aux, [0], [m - 1])), t], 0);
    const keep = lax.and(lax.slice(flag, [1], [m + 1]), lax.slice(flag, [0], [m]));
    return rowsOf(aux, nonzero(keep)[0]);
  }
  // sized: the distinct values of each, concatenated, sorted with the padding last
  const [arr, valid] = distinctOfBoth(a, b, options.assumeUnique ?? false);
  const m = arr.size;
  if (m === 0) return zeros([size], { dtype: arr.dtype });
  const [, aux, validSorted] = lax.sort([cast(lax.not(valid), INT), arr, valid], { dimension: 0, numKeys: 2 }) as Value[];
  const t = lax.broadcastInDim(lax.scalar(1, "bool"), [1], []);
  const neighbours = lax.ne(lax.slice(aux, [1], [m]), lax.slice(aux, [0], [m - 1]));
  // a value's run ends where the next differs or the next is padding
  const nextIsPad = lax.not(lax.slice(validSorted, [1], [m]));
  const flag = lax.concatenate([t, lax.or(neighbours, nextIsPad), t], 0);
  const keep = lax.and(lax.and(lax.slice(flag, [1], [m + 1]), lax.slice(flag, [0], [m])), validSorted);
  const fill = options.fillValue === undefined || options.fillValue === null ? null : cast(asValue(options.fillValue, op), arr.dtype);
  if (fill) return selectSized(aux, keep, size, fill);
  // JAX's default padding: the smallest result (or the smallest value when there is none)
  const picked = selectSized(aux, keep, size, null);
  const count = lax.reduceSum(cast(keep, INT), [0]);
  const validOut = lax.lt(lax.iota(INT, size), lax.broadcastInDim(count, [size], []));
  const hi = lax.select(validOut, picked, lax.broadcastInDim(lax.reduceMax(picked, [0]), [size], []));
  return lax.select(validOut, hi, lax.broadcastInDim(lax.reduceMin(hi, [0]), [size], []));
}

/** The distinct values of a 1-d array padded to its length (with its first value), and how many there are. */
function uniqueCounted(a: Value): [Value, Value] {
  if (a.size === 0) return [a, lax.scalar(0, INT)];
  const { aux, mask } = sortedMask(a, true);
  const ind = nonzero(mask, { size: a.size })[0];
  return [rowsOf(aux, ind), lax.reduceSum(cast(mask, INT), [0])];
}

/**
 * For the sized set operations: a and b's values side by side (each made
 * distinct with its padding unless `assumeUnique`) and which of them are real
 * values, not padding. ua's padding sits between the two runs of distinct values.
 */
function distinctOfBoth(a: Value, b: Value, assumeUnique: boolean): [Value, Value] {
  if (assumeUnique) {
    const arr = lax.concatenate([a, b], 0);
    return [arr, full([arr.size], true, { dtype: "bool" })];
  }
  const [ua, na] = uniqueCounted(a);
  const [ub, nb] = uniqueCounted(b);
  const arr = lax.concatenate([ua, ub], 0);
  const i = lax.iota(INT, arr.size);
  const inA = lax.lt(i, lax.broadcastInDim(na, [arr.size], []));
  const inB = lax.and(lax.ge(i, iconst(ua.size, [arr.size])), lax.lt(lax.sub(i, ua.size), lax.broadcastInDim(nb, [arr.size], [])));
  return [arr, lax.or(inA, inB)];
}

/**
 * The sorted values in both arrays, as `jnp.intersect1d`; with
 * `returnIndices`, also the indices of their first occurrences in each:
 * `[values, indices1, indices2]`.
 * @example
 * np.intersect1d(np.array([1, 3, 4, 3]), np.array([3, 1, 2, 1])); // [1, 3]
 */
export function intersect1d(ar1: ArrayLike, ar2: ArrayLike, options?: SetSizeOptions & { assumeUnique?: boolean; returnIndices?: false }): Value;
export function intersect1d(ar1: ArrayLike, ar2: ArrayLike, options: SetSizeOptions & { assumeUnique?: boolean; returnIndices: true }): [Value, Value, Value];
export function intersect1d(ar1: ArrayLike, ar2: ArrayLike, options: SetSizeOptions & { assumeUnique?: boolean; returnIndices?: boolean } = {}): Value | [Value, Value, Value] {
  const op = "np.intersect1d";
  options = optionsArg(op, options);
  let [a, b] = promote(op, [ar1, ar2]).map(flat);
  const size = options.size === undefined || options.size === null ? null : sizeArg(op, "size", options.size);
  if (size !== null) {
    if (options.returnIndices) throw new ArgumentError(`${op}: returnIndices with a static size is not supported yet; call it on concrete arrays without size`);
    // the distinct values of each (padding marked invalid), sorted together: equal neighbours are the intersection
    const [arr, valid] = distinctOfBoth(a, b, options.assumeUnique ?? false);
    const m = arr.size;
    if (m === 0) return zeros([size], { dtype: arr.dtype });
    const [, aux, validSorted] = lax.sort([cast(lax.not(valid), INT), arr, valid], { dimension: 0, numKeys: 2 }) as Value[];
    const keep = lax.and(lax.eq(lax.slice(aux, [1], [m]), lax.slice(aux, [0], [m - 1])), lax.slice(validSorted, [1], [m]));
    const vals = lax.slice(aux, [0], [m - 1]);
    const fill = options.fillValue === undefined || options.fillValue === null ? null : cast(asValue(options.fillValue, op), arr.dtype);
    if (fill) return selectSized(vals, keep, size, fill);
    const picked = selectSized(vals.size ? vals : aux, keep, size, null);
    const count = lax.reduceSum(cast(keep, INT), [0]);
    const validOut = lax.lt(lax.iota(INT, size), lax.broadcastInDim(count, [size], []));
    const hi = lax.select(validOut, picked, lax.broadcastInDim(lax.reduceMax(picked, [0]), [size], []));
    return lax.select(validOut, hi, lax.broadcastInDim(lax.reduceMin(hi, [0]), [size], []));
  }
  let ind1 = zeros([0], { dtype: INT });
  let ind2 = ind1;
  if (!options.assumeUnique) {
    if (options.returnIndices) {
      [a, ind1] = unique(a, { returnIndex: true }) as Value[];
      [b, ind2] = unique(b, { returnIndex: true }) as Value[];
    } else {
      a = unique(a);
      b = unique(b);
    }
  }
  const arr = lax.concatenate([a, b], 0);
  const m = arr.size;
  if (m === 0) return options.returnIndices ? [arr, zeros([0], { dtype: INT }), zeros([0], { dtype: INT })] : arr;
  const [aux, order] = lax.sort([arr, lax.iota(INT, m)], { dimension: 0, numKeys: 1 }) as Value[];
  const same = lax.eq(lax.slice(aux, [1], [m]), lax.slice(aux, [0], [m - 1]));
  const pos = nonzero(same)[0];
  const values = rowsOf(lax.slice(aux, [0], [m - 1]), pos);
  if (!options.returnIndices) return values;
  let i1 = rowsOf(lax.slice(order, [0], [m - 1]), pos);
  let i2 = lax.sub(rowsOf(lax.slice(order, [1], [m]), pos), a.size);
  if (!options.assumeUnique) {
    i1 = rowsOf(ind1, i1);
    i2 = rowsOf(ind2, i2);
  }
  return [values, i1, i2];
}


/** The array-API results of unique: distinct values, first indices, the inverse (in x's shape) and counts. */
export interface UniqueAllResult {
  values: Value;
  indices: Value;
  inverseIndices: Value;
  counts: Value;
}

const arrayApiUnique = (op: string, x: ArrayLike, options: SetSizeOptions, flags: UniqueOptions): Value[] => {
  options = optionsArg(op, options);
  const out = unique(x, { ...flags, equalNan: false, size: options.size, fillValue: options.fillValue });
  return globalThis.Array.isArray(out) ? out : [out];
};

/**
 * The array API's unique_all: `{ values, indices, inverseIndices, counts }` (NaNs distinct), as `jnp.unique_all`.
 * @example np.uniqueAll(np.array([2, 1, 2])).counts; // [1, 2]
 */
export function uniqueAll(x: ArrayLike, options: SetSizeOptions = {}): UniqueAllResult {
  const [values, indices, inverseIndices, counts] = arrayApiUnique("np.uniqueAll", x, options, { returnIndex: true, returnInverse: true, returnCounts: true });
  return { values, indices, inverseIndices, counts };
}

/**
 * The array API's unique_counts: `{ values, counts }`, as `jnp.unique_counts`.
 * @example np.uniqueCounts(np.array([2, 1, 2])).values; // [1, 2]
 */
export function uniqueCounts(x: ArrayLike, options: SetSizeOptions = {}): { values: Value; counts: Value } {
  const [values, counts] = arrayApiUnique("np.uniqueCounts", x, options, { returnCounts: true });
  return { values, counts };
}

/**
 * The array API's unique_inverse: `{ values, inverseIndices }` (the inverse in x's shape), as `jnp.unique_inverse`.
 * @example np.uniqueInverse(np.array([2, 1, 2])).inverseIndices; // [1, 0, 1]
 */
export function uniqueInverse(x: ArrayLike, options: SetSizeOptions = {}): { values: Value; inverseIndices: Value } {
  const [values, inverseIndices] = arrayApiUnique("np.uniqueInverse", x, options, { returnInverse: true });
  return { values, inverseIndices };
}

/**
 * The array API's unique_values (NaNs distinct), as `jnp.unique_values`.
 * @example np.uniqueValues(np.array([2, 1, 2])); // [1, 2]
 */
export function uniqueValues(x: ArrayLike, options: SetSizeOptions = {}): Value {
  return arrayApiUnique("np.uniqueValues", x, options, {})[0];
}
