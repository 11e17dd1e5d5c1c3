/**
 * Building and rearranging arrays, as JAX's: log/geometric ranges, index
 * grids and index conversions, selection by conditions (select, piecewise,
 * choose), insertion and deletion, resize, rotations, nested blocks, splits,
 * functional scatters (putAlongAxis, fillDiagonal) and the windows of signal
 * processing. Static arguments (positions, shapes, counts) are JS values, as
 * JAX requires them concrete.
 */
import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import { intInfo, isFloat, isInt } from "../dtype.js";
import * as lax from "../lax/index.js";
import { vmap } from "../transforms/vmap.js";
import { describe, functionArg, intArg, intsArg, listArg, numberArg, optionsArg, shapeArg } from "../static-args.js";
import { broadcastShapes as broadcastShapeList, sizeOf } from "../shape.js";
import { array, linspace, zeros } from "./creation.js";
import { concreteValues } from "./concrete.js";
import * as ew from "./elementwise.js";
import { divmod } from "./elementwise-extra.js";
import { at } from "./indexing.js";
import * as red from "./reductions.js";
import { nonzero } from "./searching.js";
import { broadcastArrays, concatenate, flip, moveaxis, split, transpose } from "./shape.js";
import type { ArrayLike, DType, Value } from "./util.js";
import { asValue, axisOf, broadcastValue, cast, isValue, promote, range, takeStatic } from "./util.js";

const INT = "int32";

// ---- ranges ---------------------------------------------------------------------------

export interface LogspaceOptions {
  /** Include `base ** stop` (default true). */
  endpoint?: boolean;
  /** The base of the exponents (default 10). */
  base?: number;
  /** The result's dtype (default: float32, or float64 for float64 inputs). */
  dtype?: DType;
}

/**
 * `num` numbers spaced evenly on a log scale, `base ** linspace(start, stop)`, as `jnp.logspace`.
 * @example np.logspace(0, 3, 4); // [1, 10, 100, 1000]
 */
export function logspace(start: number, stop: number, num = 50, options: LogspaceOptions = {}): Value {
  const op = "np.logspace";
  options = optionsArg(op, options);
  const dtype = options.dtype ?? "float32";
  const compute = isFloat(dtype) ? dtype : "float32";
  const lin = linspace(start, stop, intArg(op, "num", num), { endpoint: options.endpoint ?? true, dtype: compute });
  const out = ew.power(cast(lax.scalar(options.base ?? 10, compute), compute), lin);
  return isFloat(dtype) ? out : cast(out, dtype);
}

/**
 * `num` numbers from `start` to `stop` in a geometric progression (the signs of start and stop must agree), as `jnp.geomspace`.
 * @example np.geomspace(1, 1000, 4); // [1, 10, 100, 1000]
 */
export function geomspace(start: number, stop: number, num = 50, options: { endpoint?: boolean; dtype?: DType } = {}): Value {
  const op = "np.geomspace";
  options = optionsArg(op, options);
  numberArg(op, "start", start);
  numberArg(op, "stop", stop);
  const sign = Math.sign(start);
  const dtype = options.dtype ?? "float32";
  const compute = isFloat(dtype) ? dtype : "float32";
  // as JAX: the exponents are the float logs of |start| and |stop| (in the sign of start)
  const lo = Math.log10(start / sign);
  const hi = Math.log10(stop / sign);
  const out = lax.mul(logspace(lo, hi, num, { endpoint: options.endpoint, dtype: compute }), sign);
  return isFloat(dtype) ? out : cast(out, dtype);
}

// ---- index grids and conversions ------------------------------------------------------

/**
 * The index grid of a shape: `[ndim, ...dimensions]` (int32 by default),
 * or with `sparse: true` one broadcastable array per axis, as `jnp.indices`.
 * @example np.indices([2, 3]); // [[[0, 0, 0], [1, 1, 1]], [[0, 1, 2], [0, 1, 2]]]
 */
export function indices(dimensions: readonly number[], options: { dtype?: DType; sparse?: false }): Value;
export function indices(dimensions: readonly number[], options: { dtype?: DType; sparse: true }): Value[];
export function indices(dimensions: readonly number[]): Value;
export function indices(dimensions: readonly number[], options: { dtype?: DType; sparse?: boolean } = {}): Value | Value[] {
  const op = "np.indices";
  options = optionsArg(op, options);
  const dims = shapeArg(op, dimensions, "dimensions");
  const dtype = options.dtype ?? INT;
  const grids = dims.map((d, i) => {
    const iota = lax.convert(lax.iota(INT, d), dtype);
    return options.sparse ? lax.reshape(iota, dims.map((e, j) => (j === i ? e : 1))) : lax.broadcastInDim(iota, dims, [i]);
  });
  if (options.sparse) return grids;
  return grids.length ? lax.concatenate(grids.map((g) => lax.reshape(g, [1, ...dims])), 0) : zeros([0], { dtype });
}

/**
 * An array whose element at index (i, j, ...) is `fn(i, j, ...)`: `fn` is
 * vmapped over each axis, so it sees scalars, as `jnp.fromfunction`.
 * @example np.fromfunction((i, j) => i.add(j), [2, 3]); // [[0, 1, 2], [1, 2, 3]]
 */
export function fromfunction(fn: (...indices: Value[]) => Value, shape: readonly number[], options: { dtype?: DType } = {}): Value {
  const op = "np.fromfunction";
  functionArg(op, "fn", fn);
  options = optionsArg(op, options);
  const dims = shapeArg(op, shape);
  const dtype = options.dtype ?? "float32";
  let f = fn as (...a: Value[]) => Value;
  for (let i = 0; i < dims.length; i++) {
    const inAxes = range(dims.length).map((j) => (i === j ? 0 : null)).reverse();
    f = vmap(f, { inAxes }) as typeof f;
  }
  return f(...dims.map((d) => cast(lax.iota(INT, d), dtype)));
}

/** The (row, column) pairs of a 2-d boolean pattern, computed on the host (the shape is static). */
/** Σ clamp(i + c, lo, hi) over i in [0, n), in closed form (n may be huge: nothing is iterated). */
function sumClamped(n: number, c: number, lo: number, hi: number): number {
  const seg = (a: number, b: number) => Math.max(0, Math.min(n, b) - Math.max(0, a));
  const below = seg(0, lo - c); // i + c ≤ lo
  const above = seg(hi - c, n); // i + c ≥ hi
  const a = Math.max(0, lo - c);
  const mid = seg(a, hi - c); // lo < i + c < hi: an arithmetic series from a + c
  return below * lo + above * hi + mid * (a + c) + (mid * (mid - 1)) / 2;
}

/** The most index pairs triuIndices/trilIndices build (int32 indices, built on the host). */
const MAX_PAIRS = 2 ** 31 - 1;

/**
 * The (row, col) pairs of an n×m matrix whose column lies in [first(i), last(i)) for row i, as
 * int32 arrays. The count is known in closed form first, so a size no host can hold is a typed
 * error at once, and only rows with entries are visited.
 */
function trianglePairs(op: string, n: number, m: number, count: number, rows: [number, number], cols: (i: number) => [number, number]): [Value, Value] {
  if (n < 0 || m < 0) throw new ShapeError(`${op}: n and m must be non-negative, got n = ${n}, m = ${m}`);
  if (count > MAX_PAIRS) {
    throw new ShapeError(`${op}: an ${n}×${m} triangle has ${count} index pairs, more than int32 index arrays built on the host can hold (${MAX_PAIRS}); use a smaller n or m`);
  }
  const r = new Int32Array(count);
  const c = new Int32Array(count);
  let o = 0;
  for (let i = rows[0]; i < rows[1]; i++) {
    const [a, b] = cols(i);
    for (let j = a; j < b; j++) (r[o] = i), (c[o++] = j);
  }
  return [array(r), array(c)];
}
/**
 * The indices of the upper triangle (from diagonal `k`) of an n×m matrix, as `[rows, cols]`, as `jnp.triu_indices`.
 * @example np.triuIndices(3); // [[0, 0, 0, 1, 1, 2], [0, 1, 2, 1, 2, 2]]
 */
export function triuIndices(n: number, k = 0, m: number | null = null): [Value, Value] {
  const op = "np.triuIndices";
  const N = intArg(op, "n", n);
  const K = intArg(op, "k", k);
  const M = m === null ? N : intArg(op, "m", m);
  // row i keeps columns j ≥ i + k: rows with some are those with i + k < m
  const count = N * M - sumClamped(N, K, 0, M);
  return trianglePairs(op, N, M, count, [0, Math.max(0, Math.min(N, M - K))], (i) => [Math.max(0, i + K), M]);
}

/**
 * The indices of the lower triangle (to diagonal `k`) of an n×m matrix, as `[rows, cols]`.
 * @example np.trilIndices(3, -1); // [[1, 2, 2], [0, 0, 1]]
 */
export function trilIndices(n: number, k = 0, m: number | null = null): [Value, Value] {
  const op = "np.trilIndices";
  const N = intArg(op, "n", n);
  const K = intArg(op, "k", k);
  const M = m === null ? N : intArg(op, "m", m);
  // row i keeps columns j ≤ i + k: rows with some are those with i + k ≥ 0
  const count = sumClamped(N, K + 1, 0, M);
  return trianglePairs(op, N, M, count, [Math.max(0, -K), M > 0 ? N : 0], (i) => [0, Math.min(M, i + K + 1)]);
}

const shape2d = (op: string, arr: ArrayLike) => {
  const v = asValue(arr, op);
  if (v.ndim !== 2) throw new ShapeError(`${op}: needs a 2-d array, got shape [${v.shape.join(", ")}]`);
  return v.shape;
};
/** {@link triuIndices} for the shape of a 2-d array. @example np.triuIndicesFrom(np.ones([2, 3]), 1); // [[0, 0, 1], [1, 2, 2]] */
export function triuIndicesFrom(arr: ArrayLike, k = 0): [Value, Value] {
  const [n, m] = shape2d("np.triuIndicesFrom", arr);
  return triuIndices(n, k, m);
}
/** {@link trilIndices} for the shape of a 2-d array. @example np.trilIndicesFrom(np.ones([3, 2])); // [[0, 1, 1, 2, 2], [0, 0, 1, 0, 1]] */
export function trilIndicesFrom(arr: ArrayLike, k = 0): [Value, Value] {
  const [n, m] = shape2d("np.trilIndicesFrom", arr);
  return trilIndices(n, k, m);
}

/**
 * The indices of the main diagonal of an n×n×… array: `ndim` copies of `arange(n)`.
 * @example np.diagIndices(3); // [[0, 1, 2], [0, 1, 2]]
 */
export function diagIndices(n: number, ndim = 2): Value[] {
  const op = "np.diagIndices";
  const N = intArg(op, "n", n);
  const d = intArg(op, "ndim", ndim);
  if (N < 0 || d < 0) throw new ShapeError(`${op}: n and ndim must be non-negative, got ${N} and ${d}`);
  return range(d).map(() => lax.iota(INT, N));
}

/**
 * {@link diagIndices} for an array whose axes all have one length.
 * @example np.diagIndicesFrom(np.ones([2, 2])); // [[0, 1], [0, 1]]
 */
export function diagIndicesFrom(arr: ArrayLike): Value[] {
  const v = asValue(arr, "np.diagIndicesFrom");
  if (v.ndim < 2) throw new ShapeError(`np.diagIndicesFrom: needs at least 2 axes, got shape [${v.shape.join(", ")}]`);
  if (v.shape.some((d) => d !== v.shape[0])) throw new ShapeError(`np.diagIndicesFrom: all axes must have one length, got shape [${v.shape.join(", ")}]`);
  return diagIndices(v.shape[0], v.ndim);
}

/**
 * Flat indices as one index array per axis of `shape` (C order); out-of-range
 * ones are clamped, as JAX's.
 * @example np.unravelIndex(np.array([5, 1], { dtype: "int32" }), [2, 3]); // [[1, 0], [2, 1]]
 */
export function unravelIndex(indicesArg: ArrayLike, shape: number | readonly number[]): Value[] {
  const op = "np.unravelIndex";
  const dims = shapeArg(op, shape);
  let rest = asValue(indicesArg, op);
  if (!isInt(rest.dtype)) throw new DTypeError(`${op}: indices must be integers, got ${rest.dtype}`);
  if (rest.weakType) rest = cast(rest, rest.dtype);
  const out: Value[] = new Array(dims.length);
  for (let i = dims.length - 1; i >= 0; i--) {
    const [q, r] = divmod(rest, dims[i]);
    out[i] = r;
    rest = q;
  }
  const pos = lax.gt(rest, lax.broadcastInDim(lax.scalar(0, rest.dtype), rest.shape, []));
  const neg = intInfo(rest.dtype)?.signed === false ? null : lax.lt(rest, lax.broadcastInDim(lax.scalar(-1, rest.dtype), rest.shape, []));
  return out.map((r, i) => {
    const hi = lax.broadcastInDim(lax.scalar(dims[i] - 1, r.dtype), r.shape, []);
    const lo = lax.broadcastInDim(lax.scalar(0, r.dtype), r.shape, []);
    return lax.select(pos, hi, neg ? lax.select(neg, lo, r) : r);
  });
}

/**
 * One index array per axis to flat indices into `dims` (C or F order);
 * `mode` "raise" (needs concrete indices), "wrap", "clip" or "ignore".
 * @example np.ravelMultiIndex([np.array([1, 0], { dtype: "int32" }), np.array([2, 1], { dtype: "int32" })], [2, 3]); // [5, 1]
 */
export function ravelMultiIndex(multiIndex: readonly ArrayLike[], dims: readonly number[], options: { mode?: "raise" | "wrap" | "clip" | "ignore"; order?: "C" | "F" } = {}): Value {
  const op = "np.ravelMultiIndex";
  options = optionsArg(op, options);
  const ds = shapeArg(op, dims, "dims");
  const idx = listArg<ArrayLike>(op, "multiIndex", multiIndex).map((i) => asValue(i, op));
  if (idx.length !== ds.length) throw new ShapeError(`${op}: ${idx.length} index arrays for ${ds.length} dims`);
  for (const i of idx) if (!isInt(i.dtype)) throw new DTypeError(`${op}: only integer indices, got ${i.dtype}`);
  const mode = options.mode ?? "raise";
  const order = options.order ?? "C";
  const fixed = idx.map((i, k) => {
    const d = ds[k];
    if (mode === "raise") {
      const vals = concreteValues(op, `multiIndex[${k}]`, i, `Use mode "wrap" or "clip" under jit and vmap.`);
      for (let j = 0; j < vals.length; j++) if (vals[j] < 0 || vals[j] >= d) throw new ShapeError(`${op}: multiIndex[${k}] has ${vals[j]}, outside [0, ${d})`);
      return i;
    }
    if (mode === "clip") return ew.clip(i, 0, d - 1);
    if (mode === "wrap") return ew.mod(i, d);
    if (mode === "ignore") return i;
    throw new ArgumentError(`${op}: mode must be "raise", "wrap", "clip" or "ignore", got ${describe(mode)}`);
  });
  if (order !== "C" && order !== "F") throw new ArgumentError(`${op}: order must be "C" or "F", got ${describe(order)}`);
  const strides = ds.map((_, k) => (order === "C" ? ds.slice(k + 1) : ds.slice(0, k)).reduce((a, b) => a * b, 1));
  let out: Value = lax.scalar(0, INT);
  fixed.forEach((i, k) => (out = ew.add(out, ew.multiply(cast(i, INT), strides[k]))));
  return out;
}

// ---- choosing by conditions -----------------------------------------------------------

/**
 * Elementwise, the entry of the first choice whose condition holds (`default` where none does), as `jnp.select`.
 * @example np.select([x.lt(2), x.gt(2)], [x, x.mul(10)], -1); // x = [3, 1, 2] → [30, 1, -1]
 */
export function select(condlist: readonly ArrayLike[], choicelist: readonly ArrayLike[], defaultValue: ArrayLike = 0): Value {
  const op = "np.select";
  const conds = listArg<ArrayLike>(op, "condlist", condlist);
  const choices = listArg<ArrayLike>(op, "choicelist", choicelist);
  if (conds.length !== choices.length) throw new ShapeError(`${op}: condlist and choicelist must have one length, got ${conds.length} and ${choices.length}`);
  if (conds.length === 0) throw new ShapeError(`${op}: condlist must not be empty`);
  const vals = promote(op, [defaultValue, ...choices]);
  const cs = conds.map((c) => {
    const v = asValue(c, op);
    return v.dtype === "bool" ? v : lax.ne(v, lax.broadcastInDim(lax.scalar(0, v.dtype), v.shape, []));
  });
  const all = broadcastArrays(...cs, ...vals);
  const bc = all.slice(0, cs.length);
  const bv = all.slice(cs.length);
  // the first true condition wins: walk them from the last
  let out = bv[0];
  for (let i = cs.length - 1; i >= 0; i--) out = lax.select(bc[i], bv[i + 1], out);
  return out;
}

/**
 * Piecewise-defined values: where `condlist[i]` holds, `funclist[i]` (a
 * function of x or a constant); a later true condition wins; one extra
 * function is the default (else 0). Results take x's dtype, as `jnp.piecewise`.
 * @example np.piecewise(np.array([-2, 0, 3]), [np.array([-2, 0, 3]).lt(0)], [(v) => v.neg(), (v) => v.mul(10)]); // [2, 0, 30]
 */
export function piecewise(x: ArrayLike, condlist: readonly ArrayLike[], funclist: readonly (ArrayLike | ((x: Value) => Value))[]): Value {
  const op = "np.piecewise";
  const xv = asValue(x, op);
  const conds = listArg<ArrayLike>(op, "condlist", condlist);
  let funcs = listArg<ArrayLike | ((x: Value) => Value)>(op, "funclist", funclist);
  const nc = conds.length;
  if (funcs.length === nc + 1) funcs = [funcs[nc], ...funcs.slice(0, nc)];
  else if (funcs.length === nc) funcs = [0, ...funcs];
  else throw new ShapeError(`${op}: with ${nc} condition(s), either ${nc} or ${nc + 1} functions are expected; got ${funcs.length}`);
  const values = funcs.map((f) => broadcastValue(op, cast(typeof f === "function" ? f(xv) : asValue(f, op), xv.dtype), xv.shape));
  let out = values[0];
  conds.forEach((c, i) => {
    const cv = asValue(c, op);
    const b = broadcastValue(op, cv.dtype === "bool" ? cv : lax.ne(cv, lax.broadcastInDim(lax.scalar(0, cv.dtype), cv.shape, [])), xv.shape);
    out = lax.select(b, values[i + 1], out);
  });
  return out;
}

/**
 * Elementwise `choices[a]` (all broadcast together), as `jnp.choose`;
 * `mode` "raise" (the default; needs concrete `a`), "wrap" or "clip".
 * @example np.choose(np.array([0, 2, 1], { dtype: "int32" }), [np.array([1, 2, 3]), np.array([10, 20, 30]), np.array([100, 200, 300])]); // [1, 200, 30]
 */
export function choose(a: ArrayLike, choices: readonly ArrayLike[], mode: "raise" | "wrap" | "clip" = "raise"): Value {
  const op = "np.choose";
  let av = asValue(a, op);
  if (!isInt(av.dtype)) throw new DTypeError(`${op}: a must have an integer dtype, got ${av.dtype}`);
  const cs = listArg<ArrayLike>(op, "choices", choices);
  const n = cs.length;
  if (n === 0) throw new ShapeError(`${op}: choices must not be empty`);
  if (mode === "raise") {
    const vals = concreteValues(op, "a", av, `Use mode "wrap" or "clip" under jit and vmap.`);
    for (let i = 0; i < vals.length; i++) if (vals[i] < 0 || vals[i] >= n) throw new ShapeError(`${op}: a has the entry ${vals[i]}, outside [0, ${n}) choices`);
  } else if (mode === "wrap") av = ew.mod(av, n);
  else if (mode === "clip") av = ew.clip(av, 0, n - 1);
  else throw new ArgumentError(`${op}: mode must be "raise", "wrap" or "clip", got ${describe(mode)}`);
  const vals = promote(op, cs);
  const [which, ...bv] = broadcastArrays(cast(av, INT), ...vals);
  return lax.selectN(which, ...bv);
}

// ---- insert, delete, append, resize ---------------------------------------------------

/** Static JS integers from a number, a JS array or a concrete integer array. */
function staticIndices(op: string, name: string, obj: ArrayLike | readonly number[]): { values: number[]; scalar: boolean } {
  if (typeof obj === "number") return { values: [intArg(op, name, obj)], scalar: true };
  if (globalThis.Array.isArray(obj)) return { values: obj.map((v, i) => intArg(op, `${name}[${i}]`, v)), scalar: false };
  const v = asValue(obj as ArrayLike, op);
  if (v.ndim > 1) throw new ShapeError(`${op}: ${name} must be a number or 1-d, got shape [${v.shape.join(", ")}]`);
  if (!isInt(v.dtype) && v.size > 0) throw new DTypeError(`${op}: ${name} must be integers, got ${v.dtype}`);
  const data = concreteValues(op, name, v, `Pass ${name} as JS numbers.`);
  return { values: globalThis.Array.from(data), scalar: v.ndim === 0 };
}

/**
 * `values` inserted before the given positions along `axis` (flattened when
 * null), as `jnp.insert`; positions are static (JS numbers or a concrete array).
 * @example np.insert(np.array([1, 2, 3]), 1, 9); // [1, 9, 2, 3]
 */
export function insert(arr: ArrayLike, obj: number | readonly number[] | ArrayLike, values: ArrayLike, axis: number | null = null): Value {
  const op = "np.insert";
  let a = asValue(arr, op);
  if (axis === null || axis === undefined) {
    a = lax.reshape(a, [a.size]);
    axis = 0;
  }
  const ax = axisOf(op, axis, a.ndim);
  const { values: idx0, scalar } = staticIndices(op, "obj", obj as ArrayLike);
  let vals = cast(asValue(values, op), a.dtype, a.weakType);
  if (vals.ndim < a.ndim) vals = lax.reshape(vals, [...Array(a.ndim - vals.ndim).fill(1), ...vals.shape]);
  let idx = idx0;
  if (idx.length === 1) {
    if (scalar) vals = moveaxis(vals, 0, ax);
    idx = Array(vals.shape[ax]).fill(idx[0]);
  }
  const n = a.shape[ax];
  const nInsert = idx.length === 1 ? vals.shape[ax] : idx.length;
  if (vals.shape[ax] !== nInsert && vals.shape[ax] !== 1) throw new ShapeError(`${op}: ${idx.length} positions but values have ${vals.shape[ax]} along axis ${ax}`);
  const fixed = idx.map((i) => Math.min(Math.max(i < 0 ? i + n : i, 0), n));
  const order = range(nInsert).sort((p, q) => fixed[p] - fixed[q] || p - q);
  const valuesAt = new Array<number>(nInsert);
  order.forEach((p, rank) => (valuesAt[p] = fixed[p] + rank));
  const taken = new Set(valuesAt);
  const source = new Array<number>(n + nInsert);
  valuesAt.forEach((pos, p) => (source[pos] = n + p));
  let next = 0;
  for (let pos = 0; pos < n + nInsert; pos++) if (!taken.has(pos)) source[pos] = next++;
  const vb = broadcastValue(op, vals, a.shape.map((d, i) => (i === ax ? nInsert : d)));
  return takeStatic(lax.concatenate([a, vb], ax), source, ax);
}

/**
 * `arr` without the entries at `obj` along `axis` (flattened when null), as
 * `jnp.delete`: an index, a list of indices, or a boolean mask (static or concrete).
 * @example np.delete(np.array([1, 2, 3, 4]), [0, 2]); // [2, 4]
 */
function deleteAt(arr: ArrayLike, obj: number | readonly number[] | ArrayLike, axis: number | null = null): Value {
  const op = "np.delete";
  let a = asValue(arr, op);
  if (axis === null || axis === undefined) {
    a = lax.reshape(a, [a.size]);
    axis = 0;
  }
  const ax = axisOf(op, axis, a.ndim);
  const n = a.shape[ax];
  let drop: boolean[];
  if (isValue(obj) && (obj as Value).dtype === "bool") {
    const m = obj as Value;
    if (m.ndim !== 1 || m.shape[0] !== n) throw new ShapeError(`${op}: a boolean obj must be 1-d with the axis's length ${n}, got shape [${m.shape.join(", ")}]`);
    drop = globalThis.Array.from(concreteValues(op, "obj", m, "Pass the mask as a concrete array."), (v) => !!v);
  } else {
    const { values } = staticIndices(op, "obj", obj as ArrayLike);
    drop = Array(n).fill(false);
    for (const i of values) {
      if (i < -n || i >= n) throw new ShapeError(`${op}: index ${i} is out of range for an axis of length ${n}`);
      drop[i < 0 ? i + n : i] = true;
    }
  }
  return takeStatic(a, range(n).filter((i) => !drop[i]), ax);
}
export { deleteAt as delete };

/**
 * `values` appended to `arr` along `axis` (both flattened when null), as `jnp.append`.
 * @example np.append(np.array([1, 2]), np.array([[3], [4]])); // [1, 2, 3, 4]
 */
export function append(arr: ArrayLike, values: ArrayLike, axis: number | null = null): Value {
  if (axis === null || axis === undefined) {
    const [a, v] = [asValue(arr, "np.append"), asValue(values, "np.append")];
    return concatenate([lax.reshape(a, [a.size]), lax.reshape(v, [v.size])], 0);
  }
  return concatenate([arr, values], axis);
}

/**
 * `a`'s elements (flattened, repeated cyclically) in a new shape, as `jnp.resize` (zeros when `a` is empty).
 * @example np.resize(np.array([1, 2, 3]), [2, 4]); // [[1, 2, 3, 1], [2, 3, 1, 2]]
 */
export function resize(a: ArrayLike, newShape: number | readonly number[]): Value {
  const op = "np.resize";
  const shape = shapeArg(op, newShape);
  const v = asValue(a, op);
  const flat = lax.reshape(v, [v.size]);
  const size = sizeOf(shape);
  if (v.size === 0 || size === 0) return zeros(shape, { dtype: v.dtype });
  return lax.reshape(takeStatic(flat, range(size).map((i) => i % v.size), 0), shape);
}

// ---- rotations, blocks, splits --------------------------------------------------------

/**
 * `m` rotated by 90° `k` times in the plane of `axes` (from the first axis towards the second), as `jnp.rot90`.
 * @example np.rot90(np.array([[1, 2], [3, 4]])); // [[2, 4], [1, 3]]
 */
export function rot90(m: ArrayLike, k = 1, axes: readonly [number, number] = [0, 1]): Value {
  const op = "np.rot90";
  const v = asValue(m, op);
  if (v.ndim < 2) throw new ShapeError(`${op}: needs at least 2 axes, got shape [${v.shape.join(", ")}]`);
  const a1 = axisOf(op, axes[0], v.ndim);
  const a2 = axisOf(op, axes[1], v.ndim);
  if (a1 === a2) throw new ShapeError(`${op}: the axes must differ, got ${axes[0]} and ${axes[1]}`);
  const turns = ((intArg(op, "k", k) % 4) + 4) % 4;
  if (turns === 0) return v;
  if (turns === 2) return flip(flip(v, a1), a2);
  const perm = range(v.ndim);
  [perm[a1], perm[a2]] = [perm[a2], perm[a1]];
  return turns === 1 ? transpose(flip(v, a2), perm) : flip(transpose(v, perm), a2);
}

/** Nested JS arrays of arrays for {@link block}. */
export type BlockList = ArrayLike | readonly BlockList[];

/**
 * An array assembled from nested lists of blocks: the innermost lists join
 * along the last axis, the next along the one before, ..., as `jnp.block`.
 * @example np.block([[np.eye(2), np.zeros([2, 1])], [np.ones([1, 2]), np.full([1, 1], 5)]]); // 3×3
 */
export function block(arrays: BlockList): Value {
  const op = "np.block";
  const walk = (xs: BlockList, level: number): [Value, number] => {
    if (!globalThis.Array.isArray(xs)) return [asValue(xs as ArrayLike, op), 1];
    if (xs.length === 0) throw new ShapeError(`${op}: empty lists are not allowed`);
    // a cyclic list would recurse for ever: no array has more than 64 axes, so no real block is deeper
    if (level > 64) throw new ShapeError(`${op}: the lists are nested more than 64 deep (a list that contains itself?)`);
    const parts = xs.map((x) => walk(x, level + 1));
    const depth = parts[0][1];
    if (parts.some(([, d]) => d !== depth)) throw new ShapeError(`${op}: the lists are nested to different depths`);
    const rank = Math.max(depth, ...parts.map(([v]) => v.ndim));
    const vs = parts.map(([v]) => (v.ndim < rank ? lax.reshape(v, [...Array(rank - v.ndim).fill(1), ...v.shape]) : v));
    return [concatenate(vs, -depth), depth + 1];
  };
  return walk(arrays, 0)[0];
}

function splitAlong(op: string, x: ArrayLike, minNdim: number, axis: (nd: number) => number, sections: number | readonly number[]): Value[] {
  const v = asValue(x, op);
  if (v.ndim < minNdim) throw new ShapeError(`${op}: needs at least ${minNdim} axes, got shape [${v.shape.join(", ")}]`);
  return split(v, sections, axis(v.ndim));
}
/** Splits along the second axis (the first for 1-d), as `jnp.hsplit`. @example np.hsplit(np.ones([2, 4]), 2); // two [2, 2] arrays */
export const hsplit = (x: ArrayLike, indicesOrSections: number | readonly number[]): Value[] => splitAlong("np.hsplit", x, 1, (nd) => (nd === 1 ? 0 : 1), indicesOrSections);
/** Splits along the first axis (2-d or more), as `jnp.vsplit`. @example np.vsplit(np.ones([4, 2]), [1]); // [1, 2] and [3, 2] */
export const vsplit = (x: ArrayLike, indicesOrSections: number | readonly number[]): Value[] => splitAlong("np.vsplit", x, 2, () => 0, indicesOrSections);
/** Splits along the third axis (3-d or more), as `jnp.dsplit`. @example np.dsplit(np.ones([1, 2, 4]), 2); // two [1, 2, 2] arrays */
export const dsplit = (x: ArrayLike, indicesOrSections: number | readonly number[]): Value[] => splitAlong("np.dsplit", x, 3, () => 2, indicesOrSections);

/**
 * The slices of `x` along `axis`, as a list (the inverse of stack), as `jnp.unstack`.
 * @example const [r0, r1] = np.unstack(np.array([[1, 2], [3, 4]])); // [1, 2], [3, 4]
 */
export function unstack(x: ArrayLike, options: { axis?: number } = {}): Value[] {
  const op = "np.unstack";
  options = optionsArg(op, options);
  const v = asValue(x, op);
  if (v.ndim === 0) throw new ShapeError(`${op}: needs at least one axis, got a 0-d array`);
  const ax = axisOf(op, options.axis ?? 0, v.ndim);
  return range(v.shape[ax]).map((i) => lax.squeeze(takeStatic(v, [i], ax), [ax]));
}

/**
 * Moves `axis` to before position `start`, as `jnp.rollaxis` (prefer moveaxis).
 * @example np.rollaxis(np.ones([2, 3, 4]), 2).shape; // [4, 2, 3]
 */
export function rollaxis(a: ArrayLike, axis: number, start = 0): Value {
  const op = "np.rollaxis";
  const v = asValue(a, op);
  const ax = axisOf(op, axis, v.ndim);
  let s = intArg(op, "start", start);
  if (s < -v.ndim || s > v.ndim) throw new ShapeError(`${op}: start must be in [${-v.ndim}, ${v.ndim}], got ${s}`);
  if (s < 0) s += v.ndim;
  if (s > ax) s -= 1;
  return moveaxis(v, ax, s);
}

// ---- functional scatters --------------------------------------------------------------

/**
 * `arr` with `values` written at `indices` along `axis` (the inverse of
 * takeAlongAxis), as `jnp.put_along_axis(..., inplace=False)`: a new array.
 * @example np.putAlongAxis(np.zeros([2, 3]), np.array([[1], [2]], { dtype: "int32" }), 5, 1); // [[0, 5, 0], [0, 0, 5]]
 */
export function putAlongAxis(arr: ArrayLike, indicesArg: ArrayLike, values: ArrayLike, axis: number | null): Value {
  const op = "np.putAlongAxis";
  let a = asValue(arr, op);
  const shape = a.shape;
  let idx = asValue(indicesArg, op);
  const flattened = axis === null;
  if (axis === null) {
    a = lax.reshape(a, [a.size]);
    idx = lax.reshape(idx, [idx.size]);
    axis = 0;
  }
  if (idx.ndim !== a.ndim) throw new ShapeError(`${op}: indices ${JSON.stringify(idx.shape)} and arr ${JSON.stringify(a.shape)} need the same number of axes`);
  const ax = axisOf(op, axis, a.ndim);
  const vals = broadcastValue(op, asValue(values, op), idx.shape);
  // every other axis indexed by its own iota, broadcast against the indices (NumPy's _make_along_axis_idx)
  const items = range(a.ndim).map((k) => {
    if (k === ax) return idx;
    const n = a.shape[k];
    if (idx.shape[k] !== n && idx.shape[k] !== 1) throw new ShapeError(`${op}: indices' axis ${k} has ${idx.shape[k]}, arr's ${n}`);
    return lax.broadcastInDim(lax.iota(INT, idx.shape[k]), idx.shape, [k]);
  });
  const out = at(a, items).set(vals);
  return flattened ? lax.reshape(out, shape) : out;
}

/**
 * `a` with its main diagonal set to `val` (a number, or values repeated
 * along the diagonal), as `jnp.fill_diagonal(..., inplace=False)`.
 * @example np.fillDiagonal(np.zeros([3, 3]), 7); // 7 on the diagonal
 */
export function fillDiagonal(a: ArrayLike, val: ArrayLike, options: { wrap?: boolean } = {}): Value {
  const op = "np.fillDiagonal";
  options = optionsArg(op, options);
  if (options.wrap) throw new ArgumentError(`${op}: wrap: true is not implemented (as in JAX); pass wrap: false`);
  const v = asValue(a, op);
  if (v.ndim < 2) throw new ShapeError(`${op}: needs at least 2 axes, got shape [${v.shape.join(", ")}]`);
  if (v.ndim > 2 && v.shape.some((d) => d !== v.shape[0])) throw new ShapeError(`${op}: all axes must have one length, got shape [${v.shape.join(", ")}]`);
  const n = Math.min(...v.shape);
  let value = asValue(val, op);
  if (value.ndim > 0) {
    const flat = lax.reshape(value, [value.size]);
    value = takeStatic(flat, range(n).map((i) => i % value.size), 0);
  }
  return at(v, diagIndices(n, v.ndim)).set(value);
}

/**
 * An array with the shape and dtype of `prototype` (zeros, as JAX: its arrays are never uninitialized).
 * @example np.emptyLike(np.ones([2, 3])).shape; // [2, 3]
 */
export function emptyLike(prototype: ArrayLike, options: { dtype?: DType; shape?: number | readonly number[] } = {}): Value {
  const op = "np.emptyLike";
  options = optionsArg(op, options);
  const v = asValue(prototype, op);
  return zeros(options.shape === undefined ? v.shape : shapeArg(op, options.shape), { dtype: options.dtype ?? v.dtype });
}


/**
 * Open-mesh index arrays from 1-d sequences, one per argument, shaped to broadcast together, as `jnp.ix_`.
 * @example const [r, c] = np.ix_(np.array([0, 2], { dtype: "int32" }), np.array([1, 3], { dtype: "int32" })); // shapes [2, 1], [1, 2]
 */
export function ix_(...args: ArrayLike[]): Value[] {
  const op = "np.ix_";
  const n = args.length;
  return args.map((a, i) => {
    const v = asValue(a, op);
    if (v.ndim !== 1) throw new ShapeError(`${op}: arguments must be 1-d, got shape [${v.shape.join(", ")}]`);
    if (v.dtype === "bool") throw new ArgumentError(`${op}: boolean arguments are not supported (as in JAX); pass np.nonzero(mask)[0]`);
    const shape = range(n).map((j) => (j === i ? v.shape[0] : 1));
    return v.size === 0 ? zeros(shape, { dtype: INT }) : lax.broadcastInDim(v, shape, [i]);
  });
}

/**
 * `filt` without its leading ("f") and/or trailing ("b") zeros along the axes (all by default), as `jnp.trim_zeros`; needs concrete values.
 * @example np.trimZeros(np.array([0, 0, 1, 2, 0])); // [1, 2]
 */
export function trimZeros(filt: ArrayLike, trim = "fb", axis: number | readonly number[] | null = null): Value {
  const op = "np.trimZeros";
  const v = asValue(filt, op);
  if (typeof trim !== "string") throw new ArgumentError(`${op}: trim must be "f", "b" or "fb", got ${describe(trim)}`);
  const axes = axis === null ? range(v.ndim) : intsArg(op, "axis", axis, true).map((a) => axisOf(op, a, v.ndim));
  const data = concreteValues(op, "filt", v, "Its values decide the result's shape; slice with static bounds instead.");
  const front = trim.toLowerCase().includes("f");
  const back = trim.toLowerCase().includes("b");
  if (!axes.length || (!front && !back)) return v;
  const strides = v.shape.map((_, i) => v.shape.slice(i + 1).reduce((p, q) => p * q, 1));
  const start = v.shape.map(() => 0);
  const stop = [...v.shape];
  for (const ax of axes) {
    const any = new Array<boolean>(v.shape[ax]).fill(false);
    for (let f = 0; f < data.length; f++) if (data[f] !== 0) any[Math.floor(f / strides[ax]) % v.shape[ax]] = true;
    const first = any.indexOf(true);
    if (first < 0) {
      start[ax] = 0;
      stop[ax] = 0;
      continue;
    }
    if (front) start[ax] = first;
    if (back) stop[ax] = any.lastIndexOf(true) + 1;
  }
  return lax.slice(v, start, stop);
}

/**
 * `a` with `v` written at flat indices `ind` (the last write wins), as `jnp.put(..., inplace=False)`;
 * out-of-range indices are clipped to the ends (`mode` "clip", the default) or wrapped ("wrap").
 * @example np.put(np.zeros([2, 2]), np.array([0, 3], { dtype: "int32" }), np.array([5, 6])); // [[5, 0], [0, 6]]
 */
export function put(a: ArrayLike, ind: ArrayLike, v: ArrayLike, options: { mode?: "clip" | "wrap" } = {}): Value {
  const op = "np.put";
  options = optionsArg(op, options);
  const arr = asValue(a, op);
  const flat = lax.reshape(arr, [arr.size]);
  let idx = asValue(ind, op);
  if (!isInt(idx.dtype)) throw new DTypeError(`${op}: ind must be integers, got ${idx.dtype}`);
  idx = lax.reshape(cast(idx, INT), [idx.size]);
  const mode = options.mode ?? "clip";
  if (mode === "clip") idx = ew.clip(idx, 0, arr.size - 1);
  else if (mode === "wrap") idx = ew.mod(idx, arr.size);
  else throw new ArgumentError(`${op}: mode must be "clip" or "wrap", got ${describe(mode)}`);
  let vals = asValue(v, op);
  vals = lax.reshape(vals, [vals.size]);
  // values repeat cyclically over the indices, as NumPy's put
  if (vals.size !== idx.size) vals = takeStatic(vals, range(idx.size).map((i) => i % Math.max(1, vals.size)), 0);
  return lax.reshape(at(flat, [idx]).set(vals), arr.shape);
}

/**
 * The (row, column) indices where `maskFunc(ones([n, n]), k)` is nonzero (e.g. np.triu), as `jnp.mask_indices`.
 * @example np.maskIndices(3, np.triu, 1); // [[0, 0, 1], [1, 2, 2]]
 */
export function maskIndices(n: number, maskFunc: (a: Value, k: number) => Value, k = 0, options: { size?: number | null } = {}): [Value, Value] {
  const op = "np.maskIndices";
  functionArg(op, "maskFunc", maskFunc);
  const N = intArg(op, "n", n);
  const [i, j] = nonzero(maskFunc(lax.broadcastInDim(lax.scalar(1, "float32"), [N, N], []), k), { size: options.size });
  return [i, j];
}

/**
 * Whether the arrays are shape-consistent (broadcastable) and equal everywhere, as a bool 0-d array, as `jnp.array_equiv`.
 * @example np.arrayEquiv(np.array([1, 2]), np.array([[1, 2], [1, 2]])); // true
 */
export function arrayEquiv(a1: ArrayLike, a2: ArrayLike): Value {
  const op = "np.arrayEquiv";
  const [x, y] = [asValue(a1, op), asValue(a2, op)];
  try {
    broadcastShapeList(op, x.shape, y.shape);
  } catch {
    return lax.broadcastInDim(lax.scalar(0, "bool"), [], []);
  }
  return red.all(ew.equal(x, y));
}

/**
 * `arr` with the positions where `mask` is true filled with `vals` in order
 * (repeated cyclically), as `jnp.place(..., inplace=False)`: traceable, since
 * the positions are gathered with a static size.
 * @example np.place(np.array([1, 2, 3, 4]), np.array([true, false, true, false]), np.array([9, 8])); // [9, 2, 8, 4]
 */
export function place(arr: ArrayLike, mask: ArrayLike, vals: ArrayLike): Value {
  const op = "np.place";
  const a = asValue(arr, op);
  const m = asValue(mask, op);
  if (m.shape.length !== a.shape.length || m.shape.some((d, i) => d !== a.shape[i])) {
    throw new ShapeError(`${op}: mask must have arr's shape [${a.shape.join(", ")}], got [${m.shape.join(", ")}]`);
  }
  const n = a.size;
  const flatMask = lax.reshape(m.dtype === "bool" ? m : lax.ne(m, lax.broadcastInDim(lax.scalar(0, m.dtype), m.shape, [])), [n]);
  // positions past the mask's trues point outside the array, where the scatter drops them
  const [positions] = nonzero(flatMask, { size: n, fillValue: n });
  let v = cast(asValue(vals, op), a.dtype, a.weakType);
  v = lax.reshape(v, [v.size]);
  if (v.size === 0) return a;
  const tiled = takeStatic(v, range(n).map((i) => i % v.size), 0);
  return lax.reshape(at(lax.reshape(a, [n]), [positions]).set(tiled), a.shape);
}
