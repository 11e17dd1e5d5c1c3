/**
 * Collectives over named axes (JAX's `jax.lax.psum`, `all_gather`, `ppermute`, …).
 *
 * `vmap(f, { axisName: "i" })` names its batch axis; inside `f`, a collective
 * over "i" sees every example at once: `psum(x, "i")` is the sum of `x` over
 * the batch, the same value for every example. Each collective is a primitive
 * whose `batchNamed` rule does that work when the vmap that binds its axis
 * batches it (a reduction, a gather or a permutation along the batch axis);
 * its ordinary `batch` rule handles vmaps of other axes, for which it is an
 * elementwise operation. After batching no collective is left, so jit, grad
 * and exportStableHLO see ordinary primitives. Called where no enclosing vmap,
 * pmap or shardMap binds the name, a collective is an AxisNameError.
 *
 * The rules follow JAX's (jax/_src/lax/parallel.py): psum is linear and its
 * transpose is psum again (JAX treats it as psum followed by pbroadcast), so
 * vmap(grad(f)) gives JAX's numbers; all_gather and psum_scatter transpose to
 * each other, all_to_all to itself with the axes swapped, ppermute to the
 * inverse permutation.
 */
import { ShapeError, UnsupportedError } from "../errors.js";
import { intArg, listArg, optionsArg } from "../static-args.js";
import type { MaybeZero, Params, Primitive, Value } from "../trace/core.js";
import { bind } from "../trace/core.js";
import { flatten, unflatten } from "../trace/pytree.js";
import { fmtShape } from "../shape.js";
import { convert, div, eq, mul, operandArg, select, zerosOf } from "./elementwise.js";
import { isFloat } from "../dtype.js";
import { broadcastInDim, concatenate, iota, moveAxis, reshape, slice, squeeze } from "./shape.js";
import { reduceMax, reduceMin, reduceSum } from "./reduce.js";
import { definePrimitive, isZero, ShapedArray, Zero } from "./primitive.js";
import { axisFrame, axisNamesArg, unboundAxis, type AxisFrame } from "./parallel-env.js";

type Dims = (number | null)[];
type Rule<P> = (args: Value[], dims: Dims, params: P, axis: AxisFrame) => [Value[], Dims];

// ---- shared pieces ------------------------------------------------------------------

/** Outside every vmap that binds its axis, a collective has nothing to work over. */
function unbound(prim: string) {
  return (_args: unknown, params: { axes: readonly string[] }): never => {
    throw unboundAxis(`lax.${prim}`, params.axes[0]);
  };
}

/** The same collective applied to the transpose/tangent unless it is a symbolic zero. */
function linearOver(fn: (x: Value) => Value) {
  return (t: MaybeZero): MaybeZero => (isZero(t) ? t : fn(t));
}

/** `x` with a new axis of `size` at `at`, every slice a copy (an unbatched value seen by every example). */
function broadcastAlong(x: Value, size: number, at: number): Value {
  const shape = [...x.shape];
  shape.splice(at, 0, size);
  return broadcastInDim(x, shape, x.shape.map((_, i) => (i < at ? i : i + 1)));
}

/** Merges axes `at` and `at + 1` into one (row-major). */
function foldAxis(x: Value, at: number): Value {
  const shape = [...x.shape];
  shape.splice(at, 2, x.shape[at] * x.shape[at + 1]);
  return reshape(x, shape);
}

/** Splits axis `at` into [parts, rest] (row-major). */
function splitAxis(x: Value, at: number, parts: number): Value {
  const shape = [...x.shape];
  shape.splice(at, 1, parts, x.shape[at] / parts);
  return reshape(x, shape);
}

/** Slice `i` of `x` along `axis`, the axis kept (size 1). */
function sliceAt(x: Value, axis: number, i: number): Value {
  return slice(x, x.shape.map((_, k) => (k === axis ? i : 0)), x.shape.map((d, k) => (k === axis ? i + 1 : d)));
}

function singleAxis(op: string, names: readonly string[]): string {
  if (names.length !== 1) {
    throw new UnsupportedError(`lax.${op}: works over one named axis, got ${JSON.stringify(names)}; nest the calls (one per axis) instead`);
  }
  return names[0];
}

/**
 * Binds a collective on one operand after checking its shape rule: a vmap that binds the axis
 * runs the batching rule at once, before any abstract evaluation would see a bad shape.
 */
function bindChecked<P extends Params>(prim: Primitive<P>, x: Value, params: P): Value {
  prim.rules.abstractEval([x.aval], params);
  return bind(prim as unknown as Primitive, [x], params)[0];
}

/** A lax function over a pytree of arrays: `fn` applied to each leaf. */
function overLeaves<T>(op: string, x: T, fn: (leaf: Value) => Value): T {
  const [leaves, tree] = flatten<unknown>(x);
  return unflatten(tree, leaves.map((l) => fn(operandArg(`lax.${op}`, l)))) as T;
}

// ---- psum, pmax, pmin: reductions over named axes ------------------------------------

type ReduceParams = { axes: string[] };

/** A reduction collective: its named rule reduces the batch axis, then the remaining names go on to the enclosing vmaps. */
function defineReduction(name: string, reduce: (x: Value, axes: number[]) => Value, ifUnmapped: (x: Value, size: number) => Value, linear: boolean): Primitive<ReduceParams> {
  const prim: Primitive<ReduceParams> = definePrimitive<ReduceParams>(name, {
    params: { axes: "static" },
    abstractEval: ([x]) => [x],
    impl: unbound(name),
    axisNames: (p) => p.axes,
    jvp: linear
      ? ([x], [t], p) => [bind(prim, [x], p), [linearOver((v) => bind(prim, [v], p)[0])(t)]]
      : () => {
          throw new UnsupportedError(
            `lax.${name} has no derivative inside the named axis (as in JAX); differentiate outside the vmap instead ` +
              `(grad(x => vmap(f, { axisName })(x).sum())), where it is an ordinary reduction`,
          );
        },
    // psum + pbroadcast, as JAX: the cotangent is summed over the named axes again
    transpose: linear ? ([ct], _args, p) => [linearOver((v) => bind(prim, [v], p)[0])(ct)] : undefined,
    batch: ([x], [d], p) => [bind(prim, [x], p), [d]],
    batchNamed: ([x], [d], p, axis) => {
      let y = d === null ? ifUnmapped(x, axis.size) : reduce(x, [d]);
      const rest = p.axes.filter((a) => a !== axis.name);
      if (rest.length) y = bind(prim, [y], { axes: rest })[0];
      return [[y], [null]];
    },
  });
  return prim;
}

export const psumP = defineReduction("psum", reduceSum, (x, n) => mul(x, n), true);
export const pmaxP = defineReduction("pmax", reduceMax, (x) => x, false);
export const pminP = defineReduction("pmin", reduceMin, (x) => x, false);

function reduction(prim: Primitive<ReduceParams>, op: string) {
  return <T>(x: T, axisName: string | readonly string[]): T => {
    const axes = axisNamesArg(`lax.${op}`, axisName);
    for (const a of axes) axisFrame(`lax.${op}`, a);
    return overLeaves(op, x, (leaf) => bind(prim as unknown as Primitive, [leaf], { axes })[0]);
  };
}

/**
 * The sum of `x` over the named axis (or axes): every example of
 * `vmap(f, { axisName })` gets the total. `x` may be a pytree of arrays.
 * @example
 * vmap((x) => lax.psum(x, "i"), { axisName: "i" })(np.array([1, 2, 3])); // [6, 6, 6]
 */
export const psum: <T>(x: T, axisName: string | readonly string[]) => T = reduction(psumP, "psum");
/**
 * The maximum of `x` over the named axis (or axes).
 * @example
 * vmap((x) => lax.pmax(x, "i"), { axisName: "i" })(np.array([1, 5, 3])); // [5, 5, 5]
 */
export const pmax: <T>(x: T, axisName: string | readonly string[]) => T = reduction(pmaxP, "pmax");
/**
 * The minimum of `x` over the named axis (or axes).
 * @example
 * vmap((x) => lax.pmin(x, "i"), { axisName: "i" })(np.array([4, 2, 3])); // [2, 2, 2]
 */
export const pmin: <T>(x: T, axisName: string | readonly string[]) => T = reduction(pminP, "pmin");

/**
 * The mean of `x` over the named axis (or axes): `psum(x) / axisSize`.
 * @example
 * vmap((x) => x.sub(lax.pmean(x, "i")), { axisName: "i" })(np.array([1, 2, 6])); // [-2, -1, 3]
 */
export function pmean<T>(x: T, axisName: string | readonly string[]): T {
  const n = axisSize(axisName);
  // a true mean, as JAX's `psum(x) / n`: integers and bools become float32
  return overLeaves("pmean", psum(x, axisName), (s) => div(isFloat(s.dtype) ? s : convert(s, "float32"), n));
}

/**
 * The size of the named axis (a JS number; the product of the sizes for several names).
 * @example
 * vmap((x) => x.mul(lax.axisSize("i")), { axisName: "i" })(np.ones([4])); // [4, 4, 4, 4]
 */
export function axisSize(axisName: string | readonly string[]): number {
  const axes = axisNamesArg("lax.axisSize", axisName);
  return axes.reduce((n, a) => n * axisFrame("lax.axisSize", a).size, 1);
}

// ---- axis_index ---------------------------------------------------------------------

export const axisIndexP: Primitive<ReduceParams> = definePrimitive<ReduceParams>("axis_index", {
  params: { axes: "static" },
  abstractEval: () => [new ShapedArray([], "int32")],
  impl: unbound("axisIndex"),
  axisNames: (p) => p.axes,
  jvp: (_p, _t, p) => {
    const out = bind(axisIndexP, [], p)[0];
    return [[out], [new Zero(out.aval)]];
  },
  batch: (_a, _d, p) => [bind(axisIndexP, [], p), [null]],
  batchNamed: (_a, _d, _p, axis) => [[iota("int32", axis.size)], [0]],
});

/**
 * The position of this example along the named axis (int32, 0 to size − 1).
 * Several names count row-major over them (the first name is the major axis).
 * @example
 * vmap((x) => x.mul(lax.axisIndex("i")), { axisName: "i" })(np.ones([3])); // [0, 1, 2]
 */
export function axisIndex(axisName: string | readonly string[]): Value {
  const axes = axisNamesArg("lax.axisIndex", axisName);
  let index: Value | undefined;
  for (const a of axes) {
    const frame = axisFrame("lax.axisIndex", a);
    const i = bind(axisIndexP, [], { axes: [a] })[0];
    index = index === undefined ? i : mul(index, frame.size).add(i);
  }
  return index!;
}

// ---- all_gather and psum_scatter (each the other's transpose) -------------------------

type GatherParams = { axes: string[]; axis: number; tiled: boolean; size: number };

export const allGatherP: Primitive<GatherParams> = definePrimitive<GatherParams>("all_gather", {
  params: { axes: "static", axis: "int", tiled: "bool", size: "int" },
  abstractEval: ([x], { axis, tiled, size }) => {
    const shape = [...x.shape];
    if (axis < 0 || axis > (tiled ? x.ndim - 1 : x.ndim)) throw new ShapeError(`lax.allGather: axis ${axis} is out of range for an operand of shape ${fmtShape(x.shape)}${tiled ? " (tiled)" : ""}`);
    if (tiled) shape[axis] *= size;
    else shape.splice(axis, 0, size);
    return [new ShapedArray(shape, x.dtype, x.weakType)];
  },
  impl: unbound("allGather"),
  axisNames: (p) => p.axes,
  jvp: ([x], [t], p) => [bind(allGatherP, [x], p), [linearOver((v) => bind(allGatherP, [v], p)[0])(t)]],
  transpose: ([ct], _a, p) => [linearOver((v) => bind(psumScatterP, [v], { axes: p.axes, scatterDimension: p.axis, tiled: p.tiled, size: p.size })[0])(ct)],
  batch: ([x], [d], p) => {
    const b = d!;
    const axis = b <= p.axis ? p.axis + 1 : p.axis;
    const outDim = b > p.axis && !p.tiled ? b + 1 : b;
    return [bind(allGatherP, [x], { ...p, axis }), [outDim]];
  },
  batchNamed: ([x], [d], p, frame) => {
    let y = d === null ? broadcastAlong(x, frame.size, p.axis) : moveAxis(x, d, p.axis);
    if (p.tiled) y = foldAxis(y, p.axis);
    return [[y], [null]];
  },
});

type ScatterParams = { axes: string[]; scatterDimension: number; tiled: boolean; size: number };

export const psumScatterP: Primitive<ScatterParams> = definePrimitive<ScatterParams>("reduce_scatter", {
  params: { axes: "static", scatterDimension: "int", tiled: "bool", size: "int" },
  abstractEval: ([x], { scatterDimension: s, tiled, size }) => {
    if (s < 0 || s >= x.ndim) throw new ShapeError(`lax.psumScatter: scatterDimension ${s} is out of range for an operand of shape ${fmtShape(x.shape)}`);
    const n = x.shape[s];
    if (tiled ? n % size !== 0 : n !== size) {
      throw new ShapeError(
        `lax.psumScatter: the operand's axis ${s} has size ${n} (shape ${fmtShape(x.shape)}), which must ${tiled ? "be a multiple of" : "equal"} the named axis size ${size}`,
      );
    }
    const shape = [...x.shape];
    if (tiled) shape[s] = n / size;
    else shape.splice(s, 1);
    return [new ShapedArray(shape, x.dtype, x.weakType)];
  },
  impl: unbound("psumScatter"),
  axisNames: (p) => p.axes,
  jvp: ([x], [t], p) => [bind(psumScatterP, [x], p), [linearOver((v) => bind(psumScatterP, [v], p)[0])(t)]],
  transpose: ([ct], _a, p) => [linearOver((v) => bind(allGatherP, [v], { axes: p.axes, axis: p.scatterDimension, tiled: p.tiled, size: p.size })[0])(ct)],
  batch: ([x], [d], p) => {
    const b = d!;
    const s = b <= p.scatterDimension ? p.scatterDimension + 1 : p.scatterDimension;
    const outDim = b > p.scatterDimension && !p.tiled ? b - 1 : b;
    return [bind(psumScatterP, [x], { ...p, scatterDimension: s }), [outDim]];
  },
  batchNamed: ([x], [d], p, frame) => {
    // the total, then example k keeps block k of the scatter dimension: that dimension becomes the batch axis
    let y = d === null ? mul(x, frame.size) : reduceSum(x, [d]);
    if (p.tiled) y = splitAxis(y, p.scatterDimension, frame.size);
    return [[y], [p.scatterDimension]];
  },
});

/**
 * Every example's `x`, stacked along a new axis `axis` (or, `tiled`,
 * concatenated along the existing axis `axis`): each example gets them all.
 * @example
 * vmap((x) => lax.allGather(x, "i"), { axisName: "i" })(np.array([1, 2])); // [[1, 2], [1, 2]]
 */
export function allGather<T>(x: T, axisName: string | readonly string[], options: { axis?: number; tiled?: boolean } = {}): T {
  const o = optionsArg("lax.allGather", options);
  const name = singleAxis("allGather", axisNamesArg("lax.allGather", axisName));
  const size = axisFrame("lax.allGather", name).size;
  const tiled = o.tiled === undefined ? false : boolArg("lax.allGather", "tiled", o.tiled);
  return overLeaves("allGather", x, (leaf) => {
    let axis = o.axis === undefined ? 0 : intArg("lax.allGather", "axis", o.axis);
    if (axis < 0) axis += tiled ? leaf.ndim : leaf.ndim + 1;
    return bindChecked(allGatherP, leaf, { axes: [name], axis, tiled, size });
  });
}

/**
 * The sum over the named axis, scattered: example k gets slice k (or, `tiled`,
 * block k) of the total along `scatterDimension`, whose size must be the axis
 * size (tiled: a multiple of it).
 * @example
 * vmap((x) => lax.psumScatter(x, "i"), { axisName: "i" })(np.array([[1, 2], [10, 20]])); // [11, 22]
 */
export function psumScatter<T>(x: T, axisName: string | readonly string[], options: { scatterDimension?: number; tiled?: boolean } = {}): T {
  const o = optionsArg("lax.psumScatter", options);
  const name = singleAxis("psumScatter", axisNamesArg("lax.psumScatter", axisName));
  const size = axisFrame("lax.psumScatter", name).size;
  const tiled = o.tiled === undefined ? false : boolArg("lax.psumScatter", "tiled", o.tiled);
  return overLeaves("psumScatter", x, (leaf) => {
    let s = o.scatterDimension === undefined ? 0 : intArg("lax.psumScatter", "scatterDimension", o.scatterDimension);
    if (s < 0) s += leaf.ndim;
    return bindChecked(psumScatterP, leaf, { axes: [name], scatterDimension: s, tiled, size });
  });
}

function boolArg(op: string, name: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new ShapeError(`${op}: ${name} must be true or false, got ${typeof v}`);
  return v;
}

// ---- all_to_all (pswapaxes) -----------------------------------------------------------

type AllToAllParams = { axes: string[]; splitAxis: number; concatAxis: number; tiled: boolean; size: number };

const allToAllNamed: Rule<AllToAllParams> = ([x], [d], p, frame) => {
  const n = frame.size;
  // member j's operand along axis 0: X[j, ...per-example]
  let y = d === null ? broadcastAlong(x, n, 0) : moveAxis(x, d, 0);
  if (p.tiled) y = splitAxis(y, 1 + p.splitAxis, n); // [j, ..., k, block, ...]
  // chunk k goes to example k: Z[k, j, ...]
  y = moveAxis(y, 1 + p.splitAxis, 0);
  if (p.tiled) {
    // concatenate the received blocks, j major, along the concat axis
    y = moveAxis(y, 1, 1 + p.concatAxis);
    y = foldAxis(y, 1 + p.concatAxis);
  } else {
    y = moveAxis(y, 1, 1 + p.concatAxis);
  }
  return [[y], [0]];
};

export const allToAllP: Primitive<AllToAllParams> = definePrimitive<AllToAllParams>("all_to_all", {
  params: { axes: "static", splitAxis: "int", concatAxis: "int", tiled: "bool", size: "int" },
  abstractEval: ([x], { splitAxis: s, concatAxis: c, tiled, size }) => {
    const rank = x.ndim;
    if (s < 0 || s >= rank || c < 0 || c >= rank) {
      throw new ShapeError(`lax.allToAll: splitAxis ${s} and concatAxis ${c} must be axes of the operand (shape ${fmtShape(x.shape)})`);
    }
    const m = x.shape[s];
    if (tiled ? m % size !== 0 : m !== size) {
      throw new ShapeError(
        `lax.allToAll: the split axis ${s} has size ${m} (shape ${fmtShape(x.shape)}), which must ${tiled ? "be a multiple of" : "equal"} the named axis size ${size}`,
      );
    }
    const shape = [...x.shape];
    if (tiled) {
      shape[s] = m / size;
      shape[c] *= size;
    } else {
      shape.splice(s, 1);
      shape.splice(c, 0, size);
    }
    return [new ShapedArray(shape, x.dtype, x.weakType)];
  },
  impl: unbound("allToAll"),
  axisNames: (p) => p.axes,
  jvp: ([x], [t], p) => [bind(allToAllP, [x], p), [linearOver((v) => bind(allToAllP, [v], p)[0])(t)]],
  transpose: ([ct], _a, p) => [linearOver((v) => bind(allToAllP, [v], { ...p, splitAxis: p.concatAxis, concatAxis: p.splitAxis })[0])(ct)],
  batch: ([x], [d], p) => [bind(allToAllP, [moveAxis(x, d!, 0)], { ...p, splitAxis: p.splitAxis + 1, concatAxis: p.concatAxis + 1 }), [0]],
  batchNamed: allToAllNamed,
});

/**
 * Splits `x` along `splitAxis` into one chunk per example and sends chunk k
 * to example k; each example concatenates what it receives along
 * `concatAxis`. Untiled, `x.shape[splitAxis]` is the axis size, that axis
 * goes away and a new one of the axis size appears at `concatAxis`.
 * @example
 * const x = np.array([[0, 1], [2, 3]]); // example j holds row j
 * vmap((r) => lax.allToAll(r, "i", 0, 0), { axisName: "i" })(x); // [[0, 2], [1, 3]]
 */
export function allToAll<T>(x: T, axisName: string | readonly string[], splitAxis: number, concatAxis: number, options: { tiled?: boolean } = {}): T {
  const o = optionsArg("lax.allToAll", options);
  const name = singleAxis("allToAll", axisNamesArg("lax.allToAll", axisName));
  const size = axisFrame("lax.allToAll", name).size;
  const tiled = o.tiled === undefined ? false : boolArg("lax.allToAll", "tiled", o.tiled);
  return overLeaves("allToAll", x, (leaf) => {
    let s = intArg("lax.allToAll", "splitAxis", splitAxis);
    let c = intArg("lax.allToAll", "concatAxis", concatAxis);
    if (s < 0) s += leaf.ndim;
    if (c < 0) c += leaf.ndim;
    return bindChecked(allToAllP, leaf, { axes: [name], splitAxis: s, concatAxis: c, tiled, size });
  });
}

/**
 * Swaps the named axis with the array axis `axis` (whose size must be the
 * named axis's): `allToAll(x, axisName, axis, axis)`.
 * @example
 * vmap((r) => lax.pswapaxes(r, "i", 0), { axisName: "i" })(np.array([[0, 1], [2, 3]])); // [[0, 2], [1, 3]]
 */
export function pswapaxes<T>(x: T, axisName: string | readonly string[], axis: number): T {
  return allToAll(x, axisName, axis, axis);
}

// ---- ppermute, pshuffle, pbroadcast -----------------------------------------------------

type PermuteParams = { axes: string[]; perm: number[][] };

export const ppermuteP: Primitive<PermuteParams> = definePrimitive<PermuteParams>("ppermute", {
  params: { axes: "static", perm: "intTable" },
  abstractEval: ([x]) => [x],
  impl: unbound("ppermute"),
  axisNames: (p) => p.axes,
  jvp: ([x], [t], p) => [bind(ppermuteP, [x], p), [linearOver((v) => bind(ppermuteP, [v], p)[0])(t)]],
  transpose: ([ct], _a, p) => [linearOver((v) => bind(ppermuteP, [v], { ...p, perm: p.perm.map(([s, t]) => [t, s]) })[0])(ct)],
  batch: ([x], [d], p) => [bind(ppermuteP, [x], p), [d]],
  batchNamed: ([x], [d], p, frame) => {
    const source = new Map(p.perm.map(([s, t]) => [t, s] as const));
    // every example receives and the value is the same for all: nothing moves
    if (d === null && source.size === frame.size) return [[x], [null]];
    const y = d === null ? broadcastAlong(x, frame.size, 0) : x;
    const b = d ?? 0;
    const zero = zerosOf(new ShapedArray(sliceAt(y, b, 0).shape, y.dtype));
    const pieces = Array.from({ length: frame.size }, (_, k) => {
      const s = source.get(k);
      return s === undefined ? zero : sliceAt(y, b, s);
    });
    return [[concatenate(pieces, b)], [b]];
  },
});

/**
 * Sends `x` along the named axis: for each pair `[source, destination]` of
 * `perm`, example `destination` gets the `x` of example `source`; an example
 * no pair names as destination gets zeros.
 * @example
 * vmap((x) => lax.ppermute(x, "i", [[0, 1], [1, 2], [2, 0]]), { axisName: "i" })(np.array([1, 2, 3])); // [3, 1, 2]
 */
export function ppermute<T>(x: T, axisName: string | readonly string[], perm: readonly (readonly number[])[]): T {
  const name = singleAxis("ppermute", axisNamesArg("lax.ppermute", axisName));
  const size = axisFrame("lax.ppermute", name).size;
  const pairs = listArg<unknown>("lax.ppermute", "perm", perm).map((pair) => {
    const p = listArg<unknown>("lax.ppermute", "each pair of perm", pair);
    if (p.length !== 2) throw new ShapeError(`lax.ppermute: each entry of perm must be a pair [source, destination], got ${p.length} numbers`);
    return p.map((v, i) => {
      const k = intArg("lax.ppermute", i === 0 ? "a source" : "a destination", v);
      if (k < 0 || k >= size) throw new ShapeError(`lax.ppermute: index ${k} in perm is out of range for the axis ${JSON.stringify(name)} of size ${size}`);
      return k;
    });
  });
  for (const which of [0, 1]) {
    const seen = new Set(pairs.map((p) => p[which]));
    if (seen.size !== pairs.length) throw new ShapeError(`lax.ppermute: perm ${JSON.stringify(pairs)} repeats a ${which === 0 ? "source" : "destination"}; each may appear once`);
  }
  return overLeaves("ppermute", x, (leaf) => bind(ppermuteP as unknown as Primitive, [leaf], { axes: [name], perm: pairs })[0]);
}

/**
 * `ppermute` written as a list of sources: example i gets the `x` of example
 * `perm[i]`; `perm` must be a permutation of 0 … size − 1.
 * @example
 * vmap((x) => lax.pshuffle(x, "i", [2, 0, 1]), { axisName: "i" })(np.array([1, 2, 3])); // [3, 1, 2]
 */
export function pshuffle<T>(x: T, axisName: string | readonly string[], perm: readonly number[]): T {
  const sources = listArg<unknown>("lax.pshuffle", "perm", perm).map((v) => intArg("lax.pshuffle", "perm", v));
  const sorted = [...sources].sort((a, b) => a - b);
  if (sorted.some((v, i) => v !== i)) throw new ShapeError(`lax.pshuffle: perm ${JSON.stringify(sources)} is not a permutation of 0 … ${sources.length - 1}`);
  const name = singleAxis("pshuffle", axisNamesArg("lax.pshuffle", axisName));
  const size = axisFrame("lax.pshuffle", name).size;
  if (sources.length !== size) throw new ShapeError(`lax.pshuffle: perm has ${sources.length} entries but the axis ${JSON.stringify(name)} has size ${size}`);
  return ppermute(x, name, sources.map((s, i) => [s, i]));
}

type BroadcastParams = { axes: string[]; source: number };

export const pbroadcastP: Primitive<BroadcastParams> = definePrimitive<BroadcastParams>("pbroadcast", {
  params: { axes: "static", source: "int" },
  abstractEval: ([x]) => [x],
  impl: unbound("pbroadcast"),
  axisNames: (p) => p.axes,
  jvp: ([x], [t], p) => [bind(pbroadcastP, [x], p), [linearOver((v) => bind(pbroadcastP, [v], p)[0])(t)]],
  // JAX's: the source example receives the sum of the cotangents, the others nothing
  transpose: ([ct], _a, p) => [
    linearOver((v) => {
      const isSource = eq(bind(axisIndexP, [], { axes: p.axes })[0], p.source);
      return select(broadcastInDim(isSource, v.shape, []), bind(psumP, [v], { axes: p.axes })[0], zerosOf(v.aval.strong()));
    })(ct),
  ],
  batch: ([x], [d], p) => [bind(pbroadcastP, [x], p), [d]],
  batchNamed: ([x], [d], p) => [[d === null ? x : squeeze(sliceAt(x, d, p.source), [d])], [null]],
});

/**
 * Every example gets the `x` of example `source`.
 * @example
 * vmap((x) => lax.pbroadcast(x, "i", 1), { axisName: "i" })(np.array([1, 2, 3])); // [2, 2, 2]
 */
export function pbroadcast<T>(x: T, axisName: string | readonly string[], source: number): T {
  const name = singleAxis("pbroadcast", axisNamesArg("lax.pbroadcast", axisName));
  const size = axisFrame("lax.pbroadcast", name).size;
  const s = intArg("lax.pbroadcast", "source", source);
  if (s < 0 || s >= size) throw new ShapeError(`lax.pbroadcast: source ${s} is out of range for the axis ${JSON.stringify(name)} of size ${size}`);
  return overLeaves("pbroadcast", x, (leaf) => bind(pbroadcastP as unknown as Primitive, [leaf], { axes: [name], source: s })[0]);
}
