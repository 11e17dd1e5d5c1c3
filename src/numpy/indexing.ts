/**
 * NumPy indexing (`x.get(...)`), functional updates (`x.at(...).set(v)`),
 * and take/takeAlongAxis.
 *
 * An index is compiled into a plan: a chain of linear steps (expand_dims for
 * `null`, rev for negative steps, one slice, a reshape that drops integer
 * indices, then a gather for integer-array indices). `get` runs the chain
 * forward; `at(...)` runs its transpose (pad, scatter_add, ...) to put a
 * region back into the array's shape, so every update is built from
 * differentiable lax primitives.
 */
import type { AtUpdater, IndexItem } from "../array-methods.js";
import { ArrayMethods } from "../array-methods.js";
import { Array as JArray } from "../array.js";
import { isFloat } from "../dtype.js";
import { DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import * as lax from "../lax/index.js";
import { gather, scatterAdd } from "../lax/indexing.js";
import { broadcastShapes, fmtShape, sizeOf } from "../shape.js";
import { array } from "./creation.js";
import type { ArrayInput } from "./creation.js";
import type { ArrayLike, Value } from "./util.js";
import { asValue, axisOf, broadcastValue, cast, constant, describe, isValue, range } from "./util.js";
import { takeStatic } from "./util.js";

export type { IndexItem };

/** One linear step of an index plan, with its transpose. */
interface Step {
  forward(x: Value): Value;
  backward(ct: Value): Value;
}

interface Plan {
  steps: Step[];
  outShape: number[];
  /** The flat positions that integer-array indices select, for the duplicate check of at().mul/min/max. */
  linearIndex: (() => Value) | null;
}

const zerosShaped = (shape: readonly number[], like: Value) => lax.broadcastInDim(constant(0, like.dtype, like.weakType), shape, []);

function sliceStep(shape: readonly number[], start: number[], limit: number[], strides: number[]): Step {
  const counts = shape.map((_, i) => Math.max(0, Math.ceil((limit[i] - start[i]) / strides[i])));
  return {
    forward: (x) => lax.slice(x, start, limit, strides),
    backward(ct) {
      if (counts.some((c) => c === 0)) return zerosShaped(shape, ct);
      const config = shape.map((n, i): [number, number, number] => {
        const lastUsed = start[i] + (counts[i] - 1) * strides[i] + 1;
        return [start[i], n - lastUsed, strides[i] - 1];
      });
      return lax.pad(ct, constant(0, ct.dtype, ct.weakType), config);
    },
  };
}

/** Python's slice semantics: [first index, count, step] for a `[start, stop, step]` on an axis of size n. */
function resolveSlice(op: string, item: readonly (number | null | undefined)[], n: number): [number, number, number] {
  if (item.length < 1 || item.length > 3 || !item.every((v) => v === null || v === undefined || Number.isInteger(v))) {
    throw new ShapeError(
      `${op}: a JS list is a slice [start, stop?, step?] of integers or nulls, got a list of length ${item.length}; ` +
        `to pick several indices, pass an int32 array: np.array([...], { dtype: "int32" })`,
    );
  }
  const [s0, e0, st0] = item;
  const step = st0 ?? 1;
  if (step === 0) throw new ShapeError(`${op}: slice step cannot be zero`);
  let start: number;
  let stop: number;
  if (step > 0) {
    start = s0 === null || s0 === undefined ? 0 : s0 < 0 ? Math.max(s0 + n, 0) : Math.min(s0, n);
    stop = e0 === null || e0 === undefined ? n : e0 < 0 ? Math.max(e0 + n, 0) : Math.min(e0, n);
  } else {
    start = s0 === null || s0 === undefined ? n - 1 : s0 < 0 ? Math.max(s0 + n, -1) : Math.min(s0, n - 1);
    stop = e0 === null || e0 === undefined ? -1 : e0 < 0 ? Math.max(e0 + n, -1) : Math.min(e0, n - 1);
  }
  const count = Math.max(0, Math.ceil((stop - start) / step));
  return [start, count, step];
}

/** Integer-array index as int32 with negative entries wrapped. */
function indexValue(op: string, idx: Value, n: number): Value {
  if (idx.dtype === "bool") {
    throw new UnsupportedError(
      `${op}: boolean mask indexing gives a shape that depends on the data, which jaxon cannot trace; ` +
        `use np.where(mask, x, other) to select, or x.mul(mask) to zero out`,
    );
  }
  if (isFloat(idx.dtype)) throw new DTypeError(`${op}: index arrays must have an integer dtype, got ${idx.dtype}; convert with .astype("int32")`);
  const i = cast(idx, "int32");
  return lax.select(lax.lt(i, 0), lax.add(i, n), i);
}

/** Compiles index items against a shape. */
function buildPlan(op: string, shape: readonly number[], itemsIn: readonly IndexItem[]): Plan {
  if (!Array.isArray(itemsIn)) throw new ShapeError(`${op}: expected a list of index items`);
  const items = [...itemsIn];
  items.forEach((it) => {
    const ok =
      it === null ||
      it === ":" ||
      it === "..." ||
      typeof it === "number" ||
      Array.isArray(it) ||
      it instanceof ArrayMethods;
    if (!ok) {
      throw new ShapeError(
        `${op}: unsupported index ${describe(it)}; use integers, [start, stop?, step?] slices, ":", "...", null, or an integer array`,
      );
    }
  });
  const ellipses = items.filter((it) => it === "...").length;
  if (ellipses > 1) throw new ShapeError(`${op}: an index can only have a single ellipsis ("...")`);
  const consuming = items.filter((it) => it !== null && it !== "...").length;
  if (consuming > shape.length) {
    throw new ShapeError(`${op}: too many indices for an array of shape ${fmtShape(shape)}: ${consuming} were given, it has ${shape.length} axes`);
  }
  // expand "..." (or pad at the end) so that there is one item per axis; nulls become new axes
  const fill: IndexItem[] = Array(shape.length - consuming).fill(":");
  const e = items.indexOf("...");
  const full = e >= 0 ? [...items.slice(0, e), ...fill, ...items.slice(e + 1)] : [...items, ...fill];
  const steps: Step[] = [];
  let cur = [...shape];

  const nullAxes = full.flatMap((it, i) => (it === null ? [i] : []));
  if (nullAxes.length) {
    const before = [...cur];
    steps.push({ forward: (x) => lax.expandDims(x, nullAxes), backward: (ct) => lax.reshape(ct, before) });
    cur = full.map((it, i) => (it === null ? 1 : before[i - nullAxes.filter((a) => a < i).length]));
  }
  const per = full.map((it) => (it === null ? ":" : it));

  // basic indexing: one rev, one slice, one reshape
  const revAxes: number[] = [];
  const start: number[] = [];
  const limit: number[] = [];
  const strides: number[] = [];
  const dropped: number[] = [];
  per.forEach((it, axis) => {
    const n = cur[axis];
    if (typeof it === "number") {
      if (!Number.isInteger(it)) throw new ShapeError(`${op}: an integer index must be an integer, got ${it}`);
      if (it < -n || it >= n) {
        throw new ShapeError(`${op}: index ${it} is out of bounds for axis ${axis} with size ${n} (shape ${fmtShape(shape)}); valid: ${-n}..${n - 1}`);
      }
      const k = it < 0 ? it + n : it;
      start.push(k), limit.push(k + 1), strides.push(1), dropped.push(axis);
    } else if (Array.isArray(it)) {
      const [first, count, step] = resolveSlice(op, it, n);
      if (step < 0) revAxes.push(axis);
      const s = count === 0 ? 0 : step > 0 ? first : n - 1 - first;
      const st = Math.abs(step);
      start.push(s), limit.push(count === 0 ? 0 : s + (count - 1) * st + 1), strides.push(st);
    } else {
      start.push(0), limit.push(n), strides.push(1);
    }
  });
  if (revAxes.length) steps.push({ forward: (x) => lax.rev(x, revAxes), backward: (ct) => lax.rev(ct, revAxes) });
  if (per.some((_, i) => start[i] !== 0 || limit[i] !== cur[i] || strides[i] !== 1)) {
    steps.push(sliceStep(cur, start, limit, strides));
    cur = cur.map((_, i) => Math.ceil((limit[i] - start[i]) / strides[i]));
  }
  if (dropped.length) {
    const before = [...cur];
    const after = cur.filter((_, i) => !dropped.includes(i));
    steps.push({ forward: (x) => lax.reshape(x, after), backward: (ct) => lax.reshape(ct, before) });
    cur = after;
  }

  // advanced indexing: integer arrays (and, for placement, the integers alongside them)
  const kept = per.map((_, i) => i).filter((i) => !dropped.includes(i)); // original axis of each current axis
  const arrayAxes = kept.flatMap((orig, pos) => (per[orig] instanceof ArrayMethods ? [pos] : []));
  let linearIndex: (() => Value) | null = null;
  if (arrayAxes.length) {
    const idxs = arrayAxes.map((pos) => indexValue(op, per[kept[pos]] as Value, cur[pos]));
    const bshape = broadcastShapes(op, ...idxs.map((i) => i.shape));
    const bidx = idxs.map((i) => broadcastValue(op, i, bshape));
    // where the block of index dimensions goes: in place if all advanced items are adjacent, else first
    const advItems = per.flatMap((it, i) => (it instanceof ArrayMethods || typeof it === "number" ? [i] : []));
    const adjacent = advItems.every((v, i) => i === 0 || v === advItems[i - 1] + 1);
    const target = adjacent ? arrayAxes[0] : 0;
    const nb = bshape.length;
    const ySizes = arrayAxes.map((p) => cur[p]);
    const rest = range(cur.length).filter((p) => !arrayAxes.includes(p));
    let index: Value;
    let gatherAxis: number;
    if (arrayAxes.length === 1) {
      index = bidx[0];
      gatherAxis = arrayAxes[0];
    } else {
      // bring the indexed axes to the front and merge them into one
      const perm = [...arrayAxes, ...rest];
      const before = [...cur];
      const permuted = perm.map((p) => before[p]);
      const merged = [sizeOf(ySizes), ...rest.map((p) => before[p])];
      const inv = range(perm.length).map((i) => perm.indexOf(i));
      steps.push({
        forward: (x) => lax.reshape(lax.transpose(x, perm), merged),
        backward: (ct) => lax.transpose(lax.reshape(ct, permuted), inv),
      });
      let flat = bidx[bidx.length - 1];
      let stride = ySizes[ySizes.length - 1];
      for (let k = bidx.length - 2; k >= 0; k--) {
        flat = lax.add(lax.mul(bidx[k], stride), flat);
        stride *= ySizes[k];
      }
      index = flat;
      gatherAxis = 0;
      cur = merged;
    }
    const gathered = [...cur.slice(0, gatherAxis), ...bshape, ...cur.slice(gatherAxis + 1)];
    const base = [...cur];
    steps.push({
      forward: (x) => gather(x, index, { axis: gatherAxis }),
      backward: (ct) => scatterAdd(zerosShaped(base, ct), index, ct, { axis: gatherAxis }),
    });
    cur = gathered;
    if (gatherAxis !== target && nb > 0) {
      // move the block of nb index axes from gatherAxis to target
      const others = range(cur.length).filter((i) => i < gatherAxis || i >= gatherAxis + nb);
      const block = range(nb, gatherAxis);
      const perm = [...others.slice(0, target), ...block, ...others.slice(target)];
      const inv = range(perm.length).map((i) => perm.indexOf(i));
      steps.push({ forward: (x) => lax.transpose(x, perm), backward: (ct) => lax.transpose(ct, inv) });
      cur = perm.map((p) => cur[p]);
    }
    linearIndex = () => index;
  }
  return { steps, outShape: cur, linearIndex };
}

const runForward = (plan: Plan, x: Value) => plan.steps.reduce((v, s) => s.forward(v), x);
const runBackward = (plan: Plan, ct: Value) => plan.steps.reduceRight((v, s) => s.backward(v), ct);

/**
 * NumPy indexing, as `x.get(...items)`: a number drops an axis (negatives
 * count from the end), `[start, stop?, step?]` slices (nulls for defaults,
 * negative steps reverse), `":"` keeps an axis, `"..."` fills, `null` adds an
 * axis, and integer arrays gather (several are broadcast together, as NumPy).
 * Boolean masks are refused (their result shape depends on the data): use np.where.
 * @example
 * const x = np.arange(12).reshape([3, 4]);
 * np.getItem(x, [1]);              // row 1: [4, 5, 6, 7]
 * np.getItem(x, [":", [1, 3]]);    // columns 1..2
 * np.getItem(x, [[null, null, -1]]); // rows reversed
 * np.getItem(x, [np.array([0, 2], { dtype: "int32" })]); // rows 0 and 2
 */
export function getItem(x: ArrayLike, items: readonly IndexItem[]): Value {
  const v = asValue(x, "x.get");
  return runForward(buildPlan("x.get", v.shape, items), v);
}

function asNumber(op: string, u: unknown): number | boolean {
  if (typeof u === "number" || typeof u === "boolean") return u;
  throw new DTypeError(`${op}: the update must be an array, a number or a boolean, got ${describe(u)}`);
}

/** Fails when concrete integer-array indices repeat (mul/min/max cannot combine repeated updates). */
function checkNoDuplicates(op: string, plan: Plan) {
  if (!plan.linearIndex) return;
  const flat = plan.linearIndex();
  if (!(flat instanceof JArray) || !flat.backend.syncReadable) return; // traced indices: documented, not checked
  const data = flat.dataSync();
  const seen = new Set<number>();
  for (let i = 0; i < data.length; i++) {
    if (seen.has(data[i])) {
      throw new UnsupportedError(`${op}: the index arrays repeat a position; only .add() accumulates repeated indices (and .set() with equal values)`);
    }
    seen.add(data[i]);
  }
}

/**
 * Functional updates of the indexed region, as JAX's `x.at[...]`:
 * `set`, `add`, `mul`, `min`, `max` return a new array. Updates are
 * broadcast to the region's shape and converted to x's dtype. With integer
 * array indices, `add` accumulates repeated indices; `set` with repeated
 * indices stores their mean (exact when the values agree); `mul`/`min`/`max`
 * refuse repeated concrete indices.
 * @example
 * np.at(np.zeros([3]), [1]).set(5);          // [0, 5, 0]
 * np.zeros([2, 2]).at(":", 0).add(1);         // [[1, 0], [1, 0]]
 */
export function at(x: ArrayLike, items: readonly IndexItem[]): AtUpdater<Value> {
  const op = "x.at";
  const v = asValue(x, op);
  const plan = buildPlan(op, v.shape, items);
  // bools are updated through int32 and converted back
  const work = v.dtype === "bool" ? cast(v, "int32") : v;
  const back = (r: Value) => (v.dtype === "bool" ? lax.ne(r, 0) : cast(r, v.dtype, v.weakType));
  const update = (u: ArrayLike, what: string): Value => {
    const uv = isValue(u) ? cast(u as Value, work.dtype, work.weakType) : constant(asNumber(`${op}(...).${what}`, u), work.dtype, work.weakType);
    return broadcastValue(`${op}(...).${what}`, uv, plan.outShape);
  };
  const ones = (dtype: "int32" | "bool") => lax.broadcastInDim(constant(1, dtype), plan.outShape, []);
  const setRegion = (region: Value): Value => {
    const scattered = runBackward(plan, region);
    if (!plan.linearIndex) return lax.select(runBackward(plan, ones("bool")), scattered, work);
    const count = runBackward(plan, ones("int32"));
    const safe = cast(lax.max(count, 1), work.dtype);
    return lax.select(lax.gt(count, 0), lax.div(scattered, safe), work);
  };
  const combine = (what: string, fn: (a: Value, b: Value) => Value) => (u: ArrayLike) => {
    checkNoDuplicates(`${op}(...).${what}`, plan);
    return back(setRegion(fn(runForward(plan, work), update(u, what))));
  };
  return {
    get: () => runForward(plan, v),
    set: (u) => back(setRegion(update(u, "set"))),
    add: (u) => back(lax.add(work, runBackward(plan, update(u, "add")))),
    mul: combine("mul", lax.mul),
    min: combine("min", lax.min),
    max: combine("max", lax.max),
  };
}

/**
 * Elements of `x` at `indices` along `axis` (of the flattened array when
 * omitted). Negative indices count from the end; out-of-range array indices
 * are clamped (static JS indices are checked).
 * @example
 * np.take(np.array([10, 20, 30]), [2, 0]);             // [30, 10]
 * np.take(np.array([[1, 2], [3, 4]]), [1], 1);          // [[2], [4]]
 */
export function take(x: ArrayLike, indices: ArrayLike | ArrayInput, axis?: number | null): Value {
  const op = "np.take";
  let v = asValue(x, op);
  if (axis === undefined || axis === null) {
    v = lax.reshape(v, [v.size]);
    axis = 0;
  }
  const a = axisOf(op, axis, v.ndim);
  const n = v.shape[a];
  const check = (i: number) => {
    if (!Number.isInteger(i) || i < -n || i >= n) throw new ShapeError(`${op}: index ${i} is out of bounds for axis ${a} with size ${n}`);
    return i < 0 ? i + n : i;
  };
  if (typeof indices === "number") return lax.squeeze(takeStatic(v, [check(indices)], a), [a]);
  if (Array.isArray(indices) && indices.every((i) => typeof i === "number")) return takeStatic(v, (indices as number[]).map(check), a);
  const idx = isValue(indices) ? (indices as Value) : array(indices as ArrayInput, { dtype: "int32" });
  return gather(v, indexValue(op, idx, n), { axis: a });
}

/**
 * Picks along `axis` with an index array of the same rank (other axes broadcast), as NumPy.
 * @example
 * const x = np.array([[10, 30, 20], [60, 40, 50]]);
 * np.takeAlongAxis(x, np.argsort(x, 1), 1); // each row sorted
 */
export function takeAlongAxis(x: ArrayLike, indices: ArrayLike, axis: number | null): Value {
  const op = "np.takeAlongAxis";
  let v = asValue(x, op);
  let idx = asValue(indices, op);
  if (axis === null) {
    v = lax.reshape(v, [v.size]);
    idx = lax.reshape(idx, [idx.size]);
    axis = 0;
  }
  if (idx.ndim !== v.ndim) {
    throw new ShapeError(`${op}: indices ${fmtShape(idx.shape)} and array ${fmtShape(v.shape)} need the same number of axes`);
  }
  const a = axisOf(op, axis, v.ndim);
  const nd = v.ndim;
  const last = nd - 1;
  const toLast = (t: Value) => lax.transpose(t, [...range(nd).filter((i) => i !== a), a]);
  const xm = toLast(v);
  const im = indexValue(op, toLast(idx), v.shape[a]);
  const batch = broadcastShapes(op, xm.shape.slice(0, last), im.shape.slice(0, last));
  const xb = broadcastValue(op, xm, [...batch, xm.shape[last]]);
  const ib = broadcastValue(op, im, [...batch, im.shape[last]]);
  const out = gather(xb, ib, { axis: last, batchDims: last });
  const perm = range(nd).map((i) => (i < a ? i : i === a ? last : i - 1));
  return lax.transpose(out, perm);
}
