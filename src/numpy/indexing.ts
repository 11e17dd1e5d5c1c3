/**
 * NumPy indexing (`x.get(...)`), functional updates (`x.at(...).set(v)`),
 * and take/takeAlongAxis.
 *
 * An index is compiled into a plan: a chain of linear view steps (expand_dims
 * for `null`, rev for negative steps, one slice, a reshape that drops integer
 * indices), then one gather for integer-array indices (boolean masks become
 * the integer arrays of their trues) and a transpose that places its block.
 * `get` runs the chain forward, clamping out-of-range indices as JAX's x[idx];
 * `at(...)` scatters into the view (dropping out-of-range indices, combining
 * repeated ones, as JAX's x.at[...]) and runs the view's transpose (pad,
 * reshape, ...) to put it back into the array's shape, so every update is
 * built from differentiable lax primitives.
 */
import { optionsArg } from "../static-args.js";
import type { AtUpdater, IndexItem } from "../array-methods.js";
import { ArrayMethods } from "../array-methods.js";
import { Array as JArray } from "../array.js";
import { hostValues } from "../runtime/index.js";
import { isFloat } from "../dtype.js";
import { BackendError, ConcretizationError, DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import * as lax from "../lax/index.js";
import { gather } from "../lax/indexing.js";
import { broadcastShapes, contiguousStrides, fmtShape, sizeOf } from "../shape.js";
import { Tracer } from "../trace/core.js";
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

/** The integer-array part of an index: one gather (or scatter) along `axis` of the array the view steps made. */
interface IndexGather {
  index: Value;
  axis: number;
  /** "get" with several index arrays: where every part is in range (the gradient elsewhere is zero, as JAX's). */
  inside?: Value;
}

/**
 * A compiled index: `view` steps (expand_dims, rev, slice, reshape, and the
 * transpose that merges several indexed axes into one), at most one gather,
 * and a transpose that places the gathered block. `covers` says the view
 * steps reach every element (no slice), so that writing back needs no mask.
 */
interface Plan {
  view: Step[];
  gather: IndexGather | null;
  place: Step[];
  outShape: number[];
  covers: boolean;
}

/**
 * "get" clamps out-of-range integer-array indices (JAX's x[idx]);
 * "at" marks them -1 so that the scatters of x.at(...) drop them
 * (JAX's FILL_OR_DROP), and turns an out-of-range integer into such an index.
 */
type PlanMode = "get" | "at";

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

/** Integer-array index as int32 with negative entries counted from the end (still out of range when below -n). */
function indexValue(op: string, idx: Value, n: number): Value {
  if (idx.dtype === "bool") {
    throw new UnsupportedError(`${op}: a boolean index here must be an integer array; boolean masks are accepted by x.get and x.at`);
  }
  if (isFloat(idx.dtype)) throw new DTypeError(`${op}: index arrays must have an integer dtype, got ${idx.dtype}; convert with .astype("int32")`);
  const i = cast(idx, "int32");
  return lax.select(lax.lt(i, 0), lax.add(i, n), i);
}

const isArrayItem = (it: IndexItem): it is IndexItem & Value => it instanceof ArrayMethods;
const isMask = (it: IndexItem): it is IndexItem & Value => isArrayItem(it) && (it as Value).dtype === "bool";

/**
 * The values of a boolean mask, which must be concrete: the result's shape
 * is its count of trues. Under jit, vmap or grad a traced mask has no
 * values yet, as in JAX (NonConcreteBooleanIndexError).
 */
function maskValues(op: string, mask: Value): globalThis.ArrayLike<number> {
  if (mask instanceof Tracer) {
    throw new ConcretizationError(
      `${op}: a boolean mask ${mask.aval} traced by ${mask.trace.transform} has no values yet, and the result's shape is its number ` +
        `of trues. Select with np.where(mask, x, other) (or x.mul(mask)) to keep the shape, or gather with integer indices ` +
        `computed outside the traced function (a static size, as JAX's nonzero(mask, size=...)).`,
    );
  }
  const a = mask as JArray;
  const values = hostValues(a);
  if (values) return values;
  throw new BackendError(
    `${op}: the boolean mask ${mask.aval} is on ${a.device}, which cannot be read synchronously, and the result's shape is its ` +
      `number of trues; bring it to the host first: x.get(await devicePutAsync(mask, "cpu"))`,
  );
}

/**
 * A boolean mask over k axes of `shape` (from `axis`) as k int32 index
 * arrays: the coordinates of its trues in row-major order, as NumPy's nonzero.
 */
function maskIndices(op: string, mask: Value, shape: readonly number[], axis: number): Value[] {
  const data = maskValues(op, mask);
  const k = mask.ndim;
  const covered = shape.slice(axis, axis + k);
  if (covered.length !== k || mask.shape.some((n, i) => n !== covered[i])) {
    throw new ShapeError(
      `${op}: a boolean mask of shape ${fmtShape(mask.shape)} must match the ${k} axes it indexes, ${fmtShape(covered)} ` +
        `(axes ${axis}..${axis + k - 1} of ${fmtShape(shape)})`,
    );
  }
  const strides = contiguousStrides(mask.shape);
  const trues: number[] = [];
  for (let e = 0; e < data.length; e++) if (data[e]) trues.push(e);
  return range(k).map((d) => {
    const coords = new Int32Array(trues.length);
    trues.forEach((e, j) => (coords[j] = Math.floor(e / strides[d]) % mask.shape[d]));
    return JArray.fromTyped(coords, [trues.length], "int32");
  });
}

/** Compiles index items against a shape. */
function buildPlan(op: string, shape: readonly number[], itemsIn: readonly IndexItem[], mode: PlanMode): Plan {
  if (!Array.isArray(itemsIn)) throw new ShapeError(`${op}: expected a list of index items`);
  const items = [...itemsIn];
  items.forEach((it) => {
    const ok = it === null || it === ":" || it === "..." || typeof it === "number" || Array.isArray(it) || it instanceof ArrayMethods;
    if (!ok) {
      throw new ShapeError(
        `${op}: unsupported index ${describe(it)}; use integers, [start, stop?, step?] slices, ":", "...", null, an integer array or a boolean mask`,
      );
    }
    if (isMask(it) && (it as Value).ndim === 0) {
      throw new UnsupportedError(`${op}: a 0-d boolean index (NumPy's x[True]) is not supported; use null to add an axis`);
    }
  });
  const ellipses = items.filter((it) => it === "...").length;
  if (ellipses > 1) throw new ShapeError(`${op}: an index can only have a single ellipsis ("...")`);
  // a boolean mask indexes as many axes as it has
  const width = (it: IndexItem) => (it === null || it === "..." ? 0 : isMask(it) ? (it as Value).ndim : 1);
  const consuming = items.reduce((n, it) => n + width(it), 0);
  if (consuming > shape.length) {
    throw new ShapeError(`${op}: too many indices for an array of shape ${fmtShape(shape)}: ${consuming} were given, it has ${shape.length} axes`);
  }
  // expand "..." (or pad at the end) so that there is one item per axis; masks become their nonzero index arrays
  const fill: IndexItem[] = Array(shape.length - consuming).fill(":");
  const e = items.indexOf("...");
  const filled = e >= 0 ? [...items.slice(0, e), ...fill, ...items.slice(e + 1)] : [...items, ...fill];
  const full: IndexItem[] = [];
  let axisOfItem = 0;
  for (const it of filled) {
    if (isMask(it)) full.push(...maskIndices(op, it as Value, shape, axisOfItem));
    else full.push(it);
    axisOfItem += width(it);
  }
  const view: Step[] = [];
  let cur = [...shape];

  const nullAxes = full.flatMap((it, i) => (it === null ? [i] : []));
  if (nullAxes.length) {
    const before = [...cur];
    view.push({ forward: (x) => lax.expandDims(x, nullAxes), backward: (ct) => lax.reshape(ct, before) });
    cur = full.map((it, i) => (it === null ? 1 : before[i - nullAxes.filter((a) => a < i).length]));
  }
  const per = full.map((it, axis): IndexItem => {
    if (it === null) return ":";
    // x.at(n) on an axis of size n updates nothing, as JAX drops it: an index array of one out-of-range entry says so
    if (mode === "at" && typeof it === "number" && Number.isInteger(it) && (it < -cur[axis] || it >= cur[axis])) {
      // (n, not a negative number, which would count from the end)
      return JArray.fromTyped(Int32Array.of(cur[axis]), [], "int32") as IndexItem;
    }
    return it;
  });

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
  let covers = true;
  if (revAxes.length) view.push({ forward: (x) => lax.rev(x, revAxes), backward: (ct) => lax.rev(ct, revAxes) });
  if (per.some((_, i) => start[i] !== 0 || limit[i] !== cur[i] || strides[i] !== 1)) {
    view.push(sliceStep(cur, start, limit, strides));
    cur = cur.map((_, i) => Math.ceil((limit[i] - start[i]) / strides[i]));
    covers = false;
  }
  if (dropped.length) {
    const before = [...cur];
    const after = cur.filter((_, i) => !dropped.includes(i));
    view.push({ forward: (x) => lax.reshape(x, after), backward: (ct) => lax.reshape(ct, before) });
    cur = after;
  }

  // advanced indexing: integer arrays (and, for placement, the integers alongside them)
  const kept = per.map((_, i) => i).filter((i) => !dropped.includes(i)); // original axis of each current axis
  const arrayAxes = kept.flatMap((orig, pos) => (isArrayItem(per[orig]) ? [pos] : []));
  if (!arrayAxes.length) return { view, gather: null, place: [], outShape: cur, covers };

  const idxs = arrayAxes.map((pos) => indexValue(op, per[kept[pos]] as Value, cur[pos]));
  const bshape = broadcastShapes(op, ...idxs.map((i) => i.shape));
  const bidx = idxs.map((i) => broadcastValue(op, i, bshape));
  // where the block of index dimensions goes: in place if all advanced items are adjacent, else first
  const advItems = per.flatMap((it, i) => (isArrayItem(it) || typeof it === "number" ? [i] : []));
  const adjacent = advItems.every((v, i) => i === 0 || v === advItems[i - 1] + 1);
  const target = adjacent ? arrayAxes[0] : 0;
  const nb = bshape.length;
  const ySizes = arrayAxes.map((p) => cur[p]);
  const rest = range(cur.length).filter((p) => !arrayAxes.includes(p));
  let index: Value;
  let gatherAxis: number;
  let inside: Value | undefined;
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
    view.push({
      forward: (x) => lax.reshape(lax.transpose(x, perm), merged),
      backward: (ct) => lax.transpose(lax.reshape(ct, permuted), inv),
    });
    // a merged index is only right when every part is in range: clamp each (get), or mark the whole one out of range (at)
    const parts = bidx.map((i, k) => (mode === "get" ? lax.clamp(0, i, ySizes[k] - 1) : i));
    const outside = bidx.map((i, k) => lax.or(lax.lt(i, 0), lax.ge(i, ySizes[k]))).reduce((a, b) => lax.or(a, b));
    let flat = parts[parts.length - 1];
    let stride = ySizes[ySizes.length - 1];
    for (let k = parts.length - 2; k >= 0; k--) {
      flat = lax.add(lax.mul(parts[k], stride), flat);
      stride *= ySizes[k];
    }
    if (mode === "at") flat = lax.select(outside, lax.broadcastInDim(constant(-1, "int32"), bshape, []), flat);
    else inside = lax.not(outside);
    index = flat;
    gatherAxis = 0;
    cur = merged;
  }
  const gathered = [...cur.slice(0, gatherAxis), ...bshape, ...cur.slice(gatherAxis + 1)];
  const place: Step[] = [];
  if (gatherAxis !== target && nb > 0) {
    // move the block of nb index axes from gatherAxis to target
    const others = range(gathered.length).filter((i) => i < gatherAxis || i >= gatherAxis + nb);
    const block = range(nb, gatherAxis);
    const perm = [...others.slice(0, target), ...block, ...others.slice(target)];
    const inv = range(perm.length).map((i) => perm.indexOf(i));
    place.push({ forward: (x) => lax.transpose(x, perm), backward: (ct) => lax.transpose(ct, inv) });
    cur = perm.map((p) => gathered[p]);
  } else {
    cur = gathered;
  }
  return { view, gather: { index, axis: gatherAxis, inside }, place, outShape: cur, covers };
}

const runSteps = (steps: readonly Step[], x: Value) => steps.reduce((v, s) => s.forward(v), x);
const runStepsBack = (steps: readonly Step[], ct: Value) => steps.reduceRight((v, s) => s.backward(v), ct);

/** The indexed region of x: view steps, the gather (clamping; zero gradient where out of range, as JAX's), placement. */
function runForward(plan: Plan, x: Value): Value {
  const viewed = runSteps(plan.view, x);
  const g = plan.gather;
  if (!g) return viewed;
  let out = gather(viewed, g.index, { axis: g.axis, mode: "promise_in_bounds" });
  if (g.inside) {
    // the merged index was clamped axis by axis; where a part was out of range, JAX's gradient is zero
    const inside = lax.broadcastInDim(g.inside, out.shape, range(g.inside.ndim, g.axis));
    out = lax.select(inside, out, lax.stopGradient(out));
  }
  return runSteps(plan.place, out);
}

/**
 * NumPy indexing, as `x.get(...items)`: a number drops an axis (negatives
 * count from the end), `[start, stop?, step?]` slices (nulls for defaults,
 * negative steps reverse), `":"` keeps an axis, `"..."` fills, `null` adds an
 * axis, integer arrays gather (several are broadcast together, as NumPy;
 * out-of-range entries are clamped, as JAX's x[idx]), and a boolean mask over
 * k axes selects its trues (NumPy's x[mask]: the mask must be concrete, not
 * traced by jit or vmap, where np.where is the way; grad leaves comparisons concrete).
 * @example
 * const x = np.arange(12).reshape([3, 4]);
 * np.getItem(x, [1]);              // row 1: [4, 5, 6, 7]
 * np.getItem(x, [":", [1, 3]]);    // columns 1..2
 * np.getItem(x, [[null, null, -1]]); // rows reversed
 * np.getItem(x, [np.array([0, 2], { dtype: "int32" })]); // rows 0 and 2
 * np.getItem(x, [x.gt(6)]);        // [7, 8, 9, 10, 11]
 */
export function getItem(x: ArrayLike, items: readonly IndexItem[]): Value {
  const v = asValue(x, "x.get");
  return runForward(buildPlan("x.get", v.shape, items, "get"), v);
}

function asNumber(op: string, u: unknown): number | boolean {
  if (typeof u === "number" || typeof u === "boolean") return u;
  throw new DTypeError(`${op}: the update must be an array, a number or a boolean, got ${describe(u)}`);
}

type Combine = "set" | "add" | "mul" | "min" | "max";
const SCATTERS = { set: lax.scatter, add: lax.scatterAdd, mul: lax.scatterMul, min: lax.scatterMin, max: lax.scatterMax };
const ELEMENTWISE = { mul: lax.mul, min: lax.min, max: lax.max };

/**
 * Functional updates of the indexed region, as JAX's `x.at[...]`:
 * `set`, `add`, `mul`, `min`, `max` return a new array. Updates are
 * broadcast to the region's shape and converted to x's dtype. As in JAX,
 * repeated integer-array indices combine every update (`set`: the last one
 * wins) and out-of-range ones are dropped, as is an out-of-range integer;
 * negative ones count from the end. Boolean masks select as in `get`.
 * @example
 * np.at(np.zeros([3]), [1]).set(5);          // [0, 5, 0]
 * np.zeros([2, 2]).at(":", 0).add(1);         // [[1, 0], [1, 0]]
 * np.zeros([3]).at(np.array([0, 0, 1, 3], { dtype: "int32" })).add(1); // [2, 1, 0]
 */
export function at(x: ArrayLike, items: readonly IndexItem[]): AtUpdater<Value> {
  const op = "x.at";
  const v = asValue(x, op);
  const plan = buildPlan(op, v.shape, items, "at");
  // bools are updated through int32 and converted back
  const work = v.dtype === "bool" ? cast(v, "int32") : v;
  const back = (r: Value) => (v.dtype === "bool" ? lax.ne(r, 0) : cast(r, v.dtype, v.weakType));
  const update = (u: ArrayLike, what: string): Value => {
    const uv = isValue(u) ? cast(u as Value, work.dtype, work.weakType) : constant(asNumber(`${op}(...).${what}`, u), work.dtype, work.weakType);
    return broadcastValue(`${op}(...).${what}`, uv, plan.outShape);
  };
  /** Writes `region` (x's view, updated) back into x: the view's transpose, masked unless the view covers x. */
  const writeBack = (region: Value): Value => {
    const scattered = runStepsBack(plan.view, region);
    if (plan.covers) return scattered;
    const inside = runStepsBack(plan.view, lax.broadcastInDim(constant(1, "bool"), region.shape, []));
    return lax.select(inside, scattered, work);
  };
  const apply = (what: Combine) => (u: ArrayLike) => {
    const upd = update(u, what);
    const g = plan.gather;
    if (g) {
      // the scatter works on the view of x, so repeated and out-of-range indices are the scatter's to combine or drop
      const viewed = runSteps(plan.view, work);
      const scattered = SCATTERS[what](viewed, g.index, runStepsBack(plan.place, upd), { axis: g.axis, mode: "drop" });
      return back(writeBack(scattered));
    }
    if (what === "add") return back(lax.add(work, runStepsBack(plan.view, upd)));
    if (what === "set") return back(writeBack(upd));
    return back(writeBack(ELEMENTWISE[what](runSteps(plan.view, work), upd)));
  };
  return {
    get: () => runForward(plan, v),
    set: apply("set"),
    add: apply("add"),
    mul: apply("mul"),
    min: apply("min"),
    max: apply("max"),
  };
}

/**
 * Elements of `x` at `indices` along `axis` (of the flattened array when
 * omitted). Negative indices count from the end; out-of-range ones give a
 * fill value, as JAX's default (mode "fill"): NaN for floats, the minimum of
 * int32, the maximum of uint32, true for bool. `mode: "clip"` clamps instead.
 * @example
 * np.take(np.array([10, 20, 30]), [2, 0]);             // [30, 10]
 * np.take(np.array([[1, 2], [3, 4]]), [1], 1);          // [[2], [4]]
 * np.take(np.array([1.5, 2.5]), [0, 2]);                // [1.5, NaN]
 */
export function take(
  x: ArrayLike,
  indices: ArrayLike | ArrayInput,
  axis?: number | null,
  options: { mode?: "fill" | "clip"; fillValue?: number | boolean } = {},
): Value {
  const op = "np.take";
  options = optionsArg(op, options);
  const mode = options.mode ?? "fill";
  if (mode !== "fill" && mode !== "clip") throw new ShapeError(`${op}: mode must be "fill" or "clip", got ${describe(mode)}`);
  let v = asValue(x, op);
  if (axis === undefined || axis === null) {
    v = lax.reshape(v, [v.size]);
    axis = 0;
  }
  const a = axisOf(op, axis, v.ndim);
  const n = v.shape[a];
  const inRange = (i: number) => Number.isInteger(i) && i >= -n && i < n;
  const wrap = (i: number) => (i < 0 ? i + n : i);
  const nonInteger = (typeof indices === "number" ? [indices] : Array.isArray(indices) ? indices : []).find((i) => typeof i === "number" && !Number.isInteger(i));
  if (nonInteger !== undefined) throw new DTypeError(`${op}: indices must be integers, got ${nonInteger}`);
  // static indices in range need no gather
  if (typeof indices === "number" && inRange(indices)) return lax.squeeze(takeStatic(v, [wrap(indices)], a), [a]);
  if (Array.isArray(indices) && indices.every((i) => typeof i === "number" && inRange(i))) return takeStatic(v, (indices as number[]).map(wrap), a);
  const idx = isValue(indices) ? (indices as Value) : array(indices as ArrayInput, { dtype: "int32" });
  return gather(v, indexValue(op, idx, n), { axis: a, mode: mode === "fill" ? "fill" : "clip", fillValue: options.fillValue });
}

/**
 * Picks along `axis` with an index array of the same rank (other axes broadcast), as NumPy;
 * negative indices count from the end, out-of-range ones give np.take's fill value, as JAX.
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
  // out-of-range indices fill, as JAX's take_along_axis (mode "fill")
  const out = gather(xb, ib, { axis: last, batchDims: last, mode: "fill" });
  const perm = range(nd).map((i) => (i < a ? i : i === a ? last : i - 1));
  return lax.transpose(out, perm);
}
