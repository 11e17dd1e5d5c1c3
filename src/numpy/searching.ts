/**
 * Searching, selecting and differences, as JAX's: searchsorted (bisection in
 * ⌈log2(n+1)⌉ gathers, JAX's "scan" method unrolled), digitize, interp, the
 * data-dependent selections (nonzero, argwhere, flatnonzero, one-argument
 * where, extract, compress) with JAX's static `size`/`fillValue`, partial
 * sorts, lexsort, and finite differences (diff, ediff1d, gradient).
 *
 * A result whose shape depends on the data needs concrete values: without
 * `size`, under jit or vmap, these throw JAX's ConcretizationError.
 */
import { ArgumentError, ShapeError } from "../errors.js";
import { isFloat } from "../dtype.js";
import * as lax from "../lax/index.js";
import { optionsArg, intArg, sizeArg } from "../static-args.js";
import { full, zeros } from "./creation.js";
import { concreteValues } from "./concrete.js";
import * as ew from "./elementwise.js";
import { concatenate, moveaxis } from "./shape.js";
import type { ArrayLike, Value } from "./util.js";
import { asValue, axisOf, broadcastValue, cast, describe, isValue, promote, promoteInexact, range } from "./util.js";

const INT = "int32";
const iconst = (v: number, shape: readonly number[]) => lax.broadcastInDim(lax.scalar(v, INT), shape, []);

// ---- searchsorted ---------------------------------------------------------------------

/** x < y in the total order sorts use: -0 before +0, NaN after everything. */
function totalLess(x: Value, y: Value): Value {
  if (!isFloat(x.dtype)) return lax.lt(x, y);
  const xNan = lax.ne(x, x);
  const yNan = lax.ne(y, y);
  const zero = lax.broadcastInDim(lax.scalar(0, x.dtype), x.shape, []);
  // only ±0 compare equal while differing; 1/x tells them apart
  const negZero = (t: Value) => lax.and(lax.eq(t, zero), lax.lt(lax.div(lax.broadcastInDim(lax.scalar(1, x.dtype), x.shape, []), t), zero));
  const zeros = lax.and(lax.and(lax.eq(x, y), negZero(x)), lax.not(negZero(y)));
  return lax.and(lax.not(xNan), lax.or(yNan, lax.or(lax.lt(x, y), zeros)));
}

/**
 * The int32 indices where `v`'s elements would be inserted into the sorted
 * 1-d `a` to keep it sorted: the first such place (`side` "left") or the last
 * ("right"). `sorter` (argsort of `a`) reads an unsorted `a` in order. NaNs
 * sort last and -0 before +0, as JAX's total order.
 * @example
 * np.searchsorted(np.array([1, 2, 2, 3]), np.array([2, 0, 5]));          // [1, 0, 4]
 * np.searchsorted(np.array([1, 2, 2, 3]), 2, "right");                    // 3
 */
export function searchsorted(a: ArrayLike, v: ArrayLike, side: "left" | "right" = "left", options: { sorter?: ArrayLike | null } = {}): Value {
  const op = "np.searchsorted";
  options = optionsArg(op, options);
  if (side !== "left" && side !== "right") throw new ArgumentError(`${op}: side must be "left" or "right", got ${describe(side)}`);
  let [av, vv] = promote(op, [a, v]);
  if (av.ndim !== 1) throw new ShapeError(`${op}: a must be 1-d, got shape [${av.shape.join(", ")}]`);
  if (options.sorter !== undefined && options.sorter !== null) av = lax.gather(av, cast(asValue(options.sorter, op), INT), { axis: 0 });
  const n = av.shape[0];
  if (n === 0) return zeros(vv.shape, { dtype: INT });
  const levels = Math.ceil(Math.log2(n + 1));
  let low = iconst(0, vv.shape);
  let high = iconst(n, vv.shape);
  const q = vv.weakType ? cast(vv, vv.dtype) : vv;
  for (let l = 0; l < levels; l++) {
    const mid = lax.add(low, lax.div(lax.sub(high, low), 2));
    const at = lax.gather(av, mid, { axis: 0, mode: "clip" });
    // left: go left where query <= a[mid]; right: where query < a[mid]
    const goLeft = side === "left" ? lax.not(totalLess(at, q)) : totalLess(q, at);
    low = lax.select(goLeft, low, mid);
    high = lax.select(goLeft, mid, high);
  }
  return high;
}

/**
 * The index of the bin of `bins` (1-d, increasing or decreasing) each element of `x` falls in, as `jnp.digitize`.
 * @example np.digitize(np.array([0.5, 1, 2.5]), np.array([1, 2, 3])); // [0, 1, 2]
 */
export function digitize(x: ArrayLike, bins: ArrayLike, right = false): Value {
  const op = "np.digitize";
  const b = asValue(bins, op);
  const xv = asValue(x, op);
  if (b.ndim !== 1) throw new ShapeError(`${op}: bins must be 1-d, got shape [${b.shape.join(", ")}]`);
  const n = b.shape[0];
  if (n === 0) return zeros(xv.shape, { dtype: INT });
  const side = right ? "left" : "right";
  const increasing = lax.ge(lax.reshape(lax.slice(b, [n - 1], [n]), []), lax.reshape(lax.slice(b, [0], [1]), []));
  const up = searchsorted(b, xv, side);
  const down = lax.sub(iconst(n, xv.shape), searchsorted(lax.rev(b, [0]), xv, side));
  return lax.select(lax.broadcastInDim(increasing, xv.shape, []), up, down);
}

export interface InterpOptions {
  /** The value left of xp[0] (default fp[0]), or "extrapolate". */
  left?: ArrayLike | "extrapolate" | null;
  /** The value right of xp[-1] (default fp[-1]), or "extrapolate". */
  right?: ArrayLike | "extrapolate" | null;
  /** The period of a periodic xp (then `left`/`right` are ignored). */
  period?: ArrayLike | null;
}

/**
 * Piecewise-linear interpolation of the points (xp, fp) (xp increasing) at `x`, as `jnp.interp`.
 * @example np.interp(np.array([0, 1.5, 5]), np.array([1, 2, 3]), np.array([10, 20, 30])); // [10, 15, 30]
 */
export function interp(x: ArrayLike, xp: ArrayLike, fp: ArrayLike, options: InterpOptions = {}): Value {
  const op = "np.interp";
  options = optionsArg(op, options);
  let [xv, xpv] = promoteInexact(op, [x, xp]);
  let fpv = promoteInexact(op, [fp])[0];
  if (xpv.ndim !== 1 || fpv.ndim !== 1 || xpv.shape[0] !== fpv.shape[0]) {
    throw new ShapeError(`${op}: xp and fp must be 1-d of one length, got shapes [${xpv.shape.join(", ")}] and [${fpv.shape.join(", ")}]`);
  }
  for (const side of ["left", "right"] as const) {
    const s = options[side];
    if (typeof s === "string" && s !== "extrapolate") throw new ArgumentError(`${op}: the only string ${side} may be is "extrapolate", got ${JSON.stringify(s)}`);
  }
  const hasPeriod = options.period !== undefined && options.period !== null;
  if (hasPeriod) {
    const p = ew.abs(options.period as ArrayLike);
    if (p.ndim !== 0) throw new ShapeError(`${op}: period must be a scalar, got shape [${p.shape.join(", ")}]`);
    xv = ew.mod(xv, p);
    xpv = ew.mod(xpv, p);
    [xpv, fpv] = lax.sort([xpv, fpv], { numKeys: 1 }) as [Value, Value];
    const m = xpv.shape[0];
    xpv = concatenate([ew.subtract(lax.slice(xpv, [m - 1], [m]), p), xpv, ew.add(lax.slice(xpv, [0], [1]), p)]);
    fpv = concatenate([lax.slice(fpv, [m - 1], [m]), fpv, lax.slice(fpv, [0], [1])]);
  }
  const m = xpv.shape[0];
  const i = lax.clamp(lax.scalar(1, INT), searchsorted(xpv, xv, "right"), lax.scalar(Math.max(1, m - 1), INT));
  const im1 = lax.sub(i, 1);
  const take = (t: Value, idx: Value) => lax.gather(t, idx, { axis: 0, mode: "promise_in_bounds" });
  const df = ew.subtract(take(fpv, i), take(fpv, im1));
  const dx = ew.subtract(take(xpv, i), take(xpv, im1));
  const delta = ew.subtract(xv, take(xpv, im1));
  // as JAX: a zero-width interval takes its left value, with a finite gradient
  // np.spacing(finfo(dtype).eps), as JAX
  const dx0 = ew.lessEqual(ew.abs(dx), dx.dtype === "float64" ? 2 ** -104 : 2 ** -46);
  let f = ew.where(dx0, take(fpv, im1), ew.add(take(fpv, im1), ew.multiply(ew.divide(delta, ew.where(dx0, 1, dx)), df)));
  if (!hasPeriod) {
    if (options.left !== "extrapolate") {
      const l = options.left === undefined || options.left === null ? lax.reshape(lax.slice(fpv, [0], [1]), []) : options.left;
      f = ew.where(ew.less(xv, lax.reshape(lax.slice(xpv, [0], [1]), [])), l, f);
    }
    if (options.right !== "extrapolate") {
      const r = options.right === undefined || options.right === null ? lax.reshape(lax.slice(fpv, [m - 1], [m]), []) : options.right;
      f = ew.where(ew.greater(xv, lax.reshape(lax.slice(xpv, [m - 1], [m]), [])), r, f);
    }
  }
  return f;
}

// ---- selections whose size depends on the data ----------------------------------------

export interface SizeOptions {
  /** The static length of the result: longer results are cut, shorter ones padded with `fillValue`. Needed under jit and vmap. */
  size?: number | null;
  /** The padding past the true count (default 0). One number, or one per axis for nonzero. */
  fillValue?: number | readonly number[] | null;
}

/** The number of trues of a bool array, read from its values, or a ConcretizationError naming the `size` fix. */
function countOf(op: string, mask: Value, fix: string): number {
  const data = concreteValues(op, "the condition", mask, fix);
  let c = 0;
  for (let i = 0; i < data.length; i++) if (data[i]) c++;
  return c;
}

const toMask = (v: Value): Value => (v.dtype === "bool" ? v : lax.ne(v, lax.broadcastInDim(lax.scalar(0, v.dtype), v.shape, [])));

/**
 * The indices of the nonzero elements, one int32 array per axis, as
 * `jnp.nonzero`. Under jit or vmap pass a static `size` (results are cut or
 * padded with `fillValue`, default 0).
 * @example
 * np.nonzero(np.array([[0, 1], [2, 0]]));                  // [[0, 1], [1, 0]]
 * np.nonzero(np.array([0, 3, 0, 4]), { size: 3, fillValue: -1 }); // [[1, 3, -1]]
 */
export function nonzero(a: ArrayLike, options: SizeOptions = {}): Value[] {
  const op = "np.nonzero";
  options = optionsArg(op, options);
  const v = asValue(a, op);
  if (v.ndim === 0) throw new ShapeError(`${op}: not defined for 0-d arrays; use np.nonzero(np.atleast1d(x))`);
  const mask = lax.reshape(toMask(v), [v.size]);
  const size =
    options.size === undefined || options.size === null
      ? countOf(op, mask, `Pass a static size: ${op}(x, { size: n, fillValue }).`)
      : sizeArg(op, "size", options.size);
  const fills = options.fillValue === undefined || options.fillValue === null ? null : typeof options.fillValue === "number" ? v.shape.map(() => options.fillValue as number) : [...options.fillValue];
  if (fills && fills.length !== v.ndim) throw new ShapeError(`${op}: fillValue must be a number or one per axis (${v.ndim}), got ${fills.length}`);
  if (v.size === 0 || size === 0) return v.shape.map(() => zeros([size], { dtype: INT }));
  // the j-th true is at the first position where the running count reaches j + 1
  const running = lax.cumsum(cast(mask, INT), 0);
  const target = lax.add(lax.iota(INT, size), 1);
  const flat = lax.min(searchsorted(running, target, "left"), iconst(v.size - 1, [size]));
  const total = lax.reduceSum(cast(mask, INT), [0]);
  const past = lax.ge(lax.iota(INT, size), lax.broadcastInDim(total, [size], []));
  let stride = v.size;
  return v.shape.map((d, k) => {
    stride /= d;
    const idx = lax.rem(lax.div(flat, stride), d);
    // JAX gives index 0 past the count when no fillValue is given
    return lax.select(past, iconst(fills ? fills[k] : 0, [size]), idx);
  });
}

/**
 * The indices of the nonzero elements as rows of an int32 `[count, ndim]` array, as `jnp.argwhere`.
 * @example np.argwhere(np.array([[0, 1], [2, 0]])); // [[0, 1], [1, 0]]
 */
export function argwhere(a: ArrayLike, options: SizeOptions = {}): Value {
  const v = asValue(a, "np.argwhere");
  const parts = nonzero(v.ndim === 0 ? lax.reshape(v, [1]) : v, options);
  const n = parts[0].shape[0];
  if (v.ndim === 0) return zeros([n, 0], { dtype: INT });
  return lax.concatenate(parts.map((p) => lax.reshape(p, [n, 1])), 1);
}

/**
 * The indices of the nonzero elements of the flattened array, as `jnp.flatnonzero`.
 * @example np.flatnonzero(np.array([[0, 1], [2, 0]])); // [1, 2]
 */
export function flatnonzero(a: ArrayLike, options: SizeOptions = {}): Value {
  const v = asValue(a, "np.flatnonzero");
  return nonzero(lax.reshape(v, [v.size]), options)[0];
}

/**
 * `np.where(condition, x, y)` selects elementwise; with the condition alone it
 * is {@link nonzero} (with its `size`/`fillValue` options), as JAX's.
 * @example
 * np.where(np.array([true, false]), 1, 2); // [1, 2]
 * np.where(np.array([0, 5, 7]));           // [[1, 2]]
 */
export function where(condition: ArrayLike, x: ArrayLike, y: ArrayLike): Value;
export function where(condition: ArrayLike, options?: SizeOptions): Value[];
export function where(condition: ArrayLike, x?: ArrayLike | SizeOptions, y?: ArrayLike): Value | Value[] {
  if (y !== undefined) return ew.where(condition, x as ArrayLike, y);
  if (x !== undefined && (typeof x !== "object" || isValue(x))) {
    throw new ArgumentError(`np.where: pass both x and y, or neither (then np.where(condition) is np.nonzero(condition))`);
  }
  return nonzero(condition, x as SizeOptions | undefined);
}

/**
 * The elements of `a` (along `axis`; flattened when null) where the 1-d
 * `condition` is true, as `jnp.compress`; with `size`, cut or padded with `fillValue`.
 * @example np.compress(np.array([true, false, true]), np.array([[1, 2, 3], [4, 5, 6]]), 1); // [[1, 3], [4, 6]]
 */
export function compress(condition: ArrayLike, a: ArrayLike, axis?: number | null, options: { size?: number | null; fillValue?: ArrayLike } = {}): Value {
  const op = "np.compress";
  options = optionsArg(op, options);
  let c = asValue(condition, op);
  c = toMask(c);
  if (c.ndim !== 1) throw new ShapeError(`${op}: condition must be 1-d, got shape [${c.shape.join(", ")}]`);
  let v = asValue(a, op);
  let ax = 0;
  if (axis === undefined || axis === null) v = lax.reshape(v, [v.size]);
  else {
    ax = axisOf(op, axis, v.ndim);
    v = moveaxis(v, ax, 0);
  }
  const n = v.shape[0];
  let extra: Value | null = null;
  if (c.shape[0] > n) {
    extra = lax.slice(c, [n], [c.shape[0]]);
    c = lax.slice(c, [0], [n]);
  }
  if (c.shape[0] < n) v = lax.slice(v, v.shape.map(() => 0), v.shape.map((d, i) => (i === 0 ? c.shape[0] : d)));
  const m = c.shape[0];
  let result: Value;
  if (options.size === undefined || options.size === null) {
    const fix = `Pass a static size: ${op}(condition, a, axis, { size: n, fillValue }).`;
    if (extra && countOf(op, extra, fix) > 0) throw new ShapeError(`${op}: condition has true entries past the ${n} entries of the axis`);
    const idx = nonzero(c)[0];
    result = lax.gather(v, idx, { axis: 0, mode: "promise_in_bounds" });
  } else {
    const size = sizeArg(op, "size", options.size);
    if (size > m) throw new ShapeError(`${op}: size must be at most the length ${m} of the axis, got ${size}`);
    const fill = cast(asValue(options.fillValue ?? 0, op), v.dtype);
    const filled = lax.select(lax.broadcastInDim(c, v.shape, [0]), v, lax.broadcastInDim(fill, v.shape, []));
    // the trues first, in order (a stable descending sort of the condition), then the fill
    const order = lax.slice(lax.argsort(lax.sub(iconst(1, [m]), cast(c, INT)), 0), [0], [size]);
    result = lax.gather(filled, order, { axis: 0, mode: "promise_in_bounds" });
  }
  return axis === undefined || axis === null ? result : moveaxis(result, 0, ax);
}

/**
 * The elements of `arr` where `condition` is true, both flattened, as `jnp.extract`.
 * @example np.extract(np.array([[true, false], [false, true]]), np.array([[1, 2], [3, 4]])); // [1, 4]
 */
export function extract(condition: ArrayLike, arr: ArrayLike, options: { size?: number | null; fillValue?: ArrayLike } = {}): Value {
  const c = asValue(condition, "np.extract");
  const v = asValue(arr, "np.extract");
  return compress(lax.reshape(c, [c.size]), lax.reshape(v, [v.size]), null, { size: options?.size, fillValue: options?.fillValue ?? 0 });
}

// ---- partial sorts --------------------------------------------------------------------

function partitionSetup(op: string, a: ArrayLike, kth: number, axis: number): [Value, number, number] {
  const v = asValue(a, op);
  if (v.ndim === 0) throw new ShapeError(`${op}: needs at least one axis, got a 0-d array`);
  const ax = axisOf(op, axis, v.ndim);
  const n = v.shape[ax];
  const k = intArg(op, "kth", kth);
  if (k < -n || k >= n) throw new ShapeError(`${op}: kth ${k} is out of range for an axis of length ${n}`);
  return [moveaxis(v, ax, -1), k < 0 ? k + n : k, ax];
}

/**
 * `a` with its `kth` element (along `axis`) where a sort would put it, the
 * smaller ones before it (ascending) and the larger after it (descending), as
 * JAX's `jnp.partition` (through top_k).
 * @example np.partition(np.array([5, 1, 4, 2, 3]), 2); // [1, 2, 3, 5, 4]
 */
export function partition(a: ArrayLike, kth: number, axis = -1): Value {
  const [v, k, ax] = partitionSetup("np.partition", a, kth, axis);
  const last = v.ndim - 1;
  const n = v.shape[last];
  const s = lax.sort(v, { dimension: last });
  const cut = (lo: number, hi: number) => lax.slice(s, s.shape.map((d, i) => (i === last ? lo : 0)), s.shape.map((d, i) => (i === last ? hi : d)));
  const out = lax.concatenate([cut(0, k + 1), lax.rev(cut(k + 1, n), [last])], last);
  return moveaxis(out, -1, ax);
}

/**
 * The int32 indices that partition `a` around its `kth` element along
 * `axis`, as JAX's `jnp.argpartition`: the k+1 smallest in sorted order (ties
 * by index), then the rest in index order.
 * @example np.argpartition(np.array([5, 1, 4, 2, 3]), 2); // [1, 3, 4, 0, 2]
 */
export function argpartition(a: ArrayLike, kth: number, axis = -1): Value {
  const [v, k, ax] = partitionSetup("np.argpartition", a, kth, axis);
  const last = v.ndim - 1;
  const n = v.shape[last];
  const order = lax.argsort(v, last);
  const rank = lax.argsort(order, last);
  // the rest, in index order: a stable sort that puts the k+1 smallest first
  const inBottom = lax.le(rank, iconst(k, rank.shape));
  const rest = lax.argsort(cast(lax.not(inBottom), INT), last);
  const cut = (t: Value, lo: number, hi: number) => lax.slice(t, t.shape.map((d, i) => (i === last ? lo : 0)), t.shape.map((d, i) => (i === last ? hi : d)));
  const out = lax.concatenate([cut(order, 0, k + 1), cut(rest, k + 1, n)], last);
  return moveaxis(out, -1, ax);
}

/**
 * The int32 indices that sort by several keys (the last key first, then the
 * one before, ...), stably along `axis`, as `jnp.lexsort`.
 * @example np.lexsort([np.array([1, 2, 1]), np.array([0, 0, 1])]); // [0, 1, 2]
 */
export function lexsort(keys: readonly ArrayLike[], axis = -1): Value {
  const op = "np.lexsort";
  if (!globalThis.Array.isArray(keys) || keys.length === 0) throw new ArgumentError(`${op}: keys must be a non-empty JS array of arrays, got ${describe(keys)}`);
  const ks = keys.map((k) => asValue(k, op));
  const shape = ks[0].shape;
  if (ks.some((k) => k.shape.length !== shape.length || k.shape.some((d, i) => d !== shape[i]))) {
    throw new ShapeError(`${op}: all keys must have one shape, got ${ks.map((k) => `[${k.shape.join(", ")}]`).join(", ")}`);
  }
  if (shape.length === 0) return full([], 0, { dtype: INT });
  const ax = axisOf(op, axis, shape.length);
  const iota = lax.broadcastInDim(lax.iota(INT, shape[ax]), shape, [ax]);
  const sorted = lax.sort([...[...ks].reverse(), iota], { dimension: ax, numKeys: ks.length }) as Value[];
  return sorted[sorted.length - 1];
}

// ---- differences ----------------------------------------------------------------------

/**
 * The `n`-th discrete difference along `axis`, optionally after adding
 * `prepend`/`append` along it (scalars are broadcast), as `jnp.diff`. Bools
 * differ by `!=`.
 * @example
 * np.diff(np.array([1, 4, 9, 16]));                   // [3, 5, 7]
 * np.diff(np.array([1, 4, 9]), 1, -1, { prepend: 0 }); // [1, 3, 5]
 */
export function diff(a: ArrayLike, n = 1, axis = -1, options: { prepend?: ArrayLike | null; append?: ArrayLike | null } = {}): Value {
  const op = "np.diff";
  options = optionsArg(op, options);
  let v = asValue(a, op);
  const order = intArg(op, "n", n);
  if (order < 0) throw new ShapeError(`${op}: n must be non-negative, got ${order}`);
  if (order === 0) return v;
  if (v.ndim === 0) throw new ShapeError(`${op}: needs at least one axis, got a 0-d array`);
  const ax = axisOf(op, axis, v.ndim);
  const edge = (e: ArrayLike) => {
    const ev = asValue(e, op);
    return ev.ndim === 0 ? broadcastValue(op, ev, v.shape.map((d, i) => (i === ax ? 1 : d))) : ev;
  };
  const parts: ArrayLike[] = [];
  if (options.prepend !== undefined && options.prepend !== null) parts.push(edge(options.prepend));
  parts.push(v);
  if (options.append !== undefined && options.append !== null) parts.push(edge(options.append));
  if (parts.length > 1) v = concatenate(parts, ax);
  for (let i = 0; i < order; i++) {
    const len = v.shape[ax];
    const cut = (lo: number, hi: number) => lax.slice(v, v.shape.map((d, k) => (k === ax ? lo : 0)), v.shape.map((d, k) => (k === ax ? hi : d)));
    const hi = cut(Math.min(1, len), len);
    const lo = cut(0, Math.max(0, len - 1));
    v = v.dtype === "bool" ? lax.ne(hi, lo) : lax.sub(hi, lo);
  }
  return v;
}

/**
 * The differences of consecutive elements of the flattened array, with
 * `toBegin`/`toEnd` added at the ends, as `jnp.ediff1d`.
 * @example np.ediff1d(np.array([1, 2, 4]), { toBegin: 0, toEnd: np.array([9, 9]) }); // [0, 1, 2, 9, 9]
 */
export function ediff1d(ary: ArrayLike, options: { toEnd?: ArrayLike | null; toBegin?: ArrayLike | null } = {}): Value {
  const op = "np.ediff1d";
  options = optionsArg(op, options);
  const v0 = asValue(ary, op);
  const v = lax.reshape(v0, [v0.size]);
  const n = v.shape[0];
  let out = lax.sub(lax.slice(v, [Math.min(1, n)], [n]), lax.slice(v, [0], [Math.max(0, n - 1)]));
  const flat = (e: ArrayLike) => {
    const ev = cast(asValue(e, op), v.dtype, v.weakType);
    return lax.reshape(ev, [ev.size]);
  };
  if (options.toBegin !== undefined && options.toBegin !== null) out = lax.concatenate([flat(options.toBegin), out], 0);
  if (options.toEnd !== undefined && options.toEnd !== null) out = lax.concatenate([out, flat(options.toEnd)], 0);
  return out;
}

/**
 * The gradient of sampled values by second-order central differences inside
 * and first-order ones at the edges, as `jnp.gradient`: `spacing` is one
 * number or 1-d coordinates per axis (or one for all). One axis gives one
 * array, several give a list.
 * @example
 * np.gradient(np.array([1, 2, 4, 7]));                 // [1, 1.5, 2.5, 3]
 * np.gradient(np.array([[1, 2], [3, 5]]));             // [d/d0, d/d1]
 */
export function gradient(f: ArrayLike, ...args: (ArrayLike | { axis?: number | readonly number[] | null })[]): Value | Value[] {
  const op = "np.gradient";
  let options: { axis?: number | readonly number[] | null } = {};
  const lastArg = args[args.length - 1];
  if (args.length > 0 && typeof lastArg === "object" && lastArg !== null && !isValue(lastArg)) {
    options = args.pop() as typeof options;
  }
  const spacing = args as ArrayLike[];
  const [a, ...hs] = promoteInexact(op, [f, ...spacing]);
  const axes = options.axis === undefined || options.axis === null ? range(a.ndim) : (typeof options.axis === "number" ? [options.axis] : [...options.axis]).map((x) => axisOf(op, x, a.ndim));
  if (axes.length === 0) return [];
  if (Math.min(...axes.map((i) => a.shape[i])) < 2) throw new ShapeError(`${op}: every differentiated axis needs at least 2 samples, got shape [${a.shape.join(", ")}]`);
  let dx: (Value | number)[];
  if (hs.length === 0) dx = axes.map(() => 1);
  else if (hs.length === 1) dx = axes.map(() => hs[0]);
  else if (hs.length === axes.length) dx = hs;
  else throw new ArgumentError(`${op}: got ${hs.length} spacings for ${axes.length} axes; pass none, one, or one per axis`);
  const along = (t: Value, ax: number, lo: number, hi: number) => {
    const n = t.shape[ax];
    const s = (i: number) => (i < 0 ? i + n : i);
    return lax.slice(t, t.shape.map(() => 0).map((_, k) => (k === ax ? s(lo) : 0)), t.shape.map((d, k) => (k === ax ? s(hi) : d)));
  };
  const grads = axes.map((ax, j) => {
    const h = dx[j];
    const n = a.shape[ax];
    let upper = lax.sub(along(a, ax, 1, 2), along(a, ax, 0, 1));
    let lower = lax.sub(along(a, ax, n - 1, n), along(a, ax, n - 2, n - 1));
    let inner: Value;
    if (typeof h === "number" || h.ndim === 0) {
      inner = ew.divide(lax.mul(lax.sub(along(a, ax, 2, n), along(a, ax, 0, n - 2)), 0.5), h);
      lower = ew.divide(lower, h);
      upper = ew.divide(upper, h);
    } else {
      if (h.ndim !== 1 || h.shape[0] !== n) throw new ShapeError(`${op}: spacing coordinates must be 1-d with the axis's length ${n}, got shape [${h.shape.join(", ")}]`);
      const hb = lax.reshape(h, a.shape.map((d, k) => (k === ax ? n : 1)));
      const hx = (lo: number, hi: number) => along(hb, ax, lo, hi);
      upper = ew.divide(upper, lax.sub(hx(1, 2), hx(0, 1)));
      lower = ew.divide(lower, lax.sub(hx(n - 1, n), hx(n - 2, n - 1)));
      const dx1 = lax.sub(hx(1, n - 1), hx(0, n - 2));
      const dx2 = lax.sub(hx(2, n), hx(1, n - 1));
      const ca = ew.divide(ew.negative(dx2), ew.multiply(dx1, ew.add(dx1, dx2)));
      const cb = ew.divide(ew.subtract(dx2, dx1), ew.multiply(dx1, dx2));
      const cc = ew.divide(dx1, ew.multiply(dx2, ew.add(dx1, dx2)));
      inner = ew.add(ew.add(ew.multiply(ca, along(a, ax, 0, n - 2)), ew.multiply(cb, along(a, ax, 1, n - 1))), ew.multiply(cc, along(a, ax, 2, n)));
    }
    return concatenate([upper, inner, lower], ax);
  });
  return axes.length === 1 ? grads[0] : grads;
}
