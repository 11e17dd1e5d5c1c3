/**
 * Shape primitives: broadcast_in_dim, reshape, transpose, squeeze,
 * expand_dims, rev, slice, pad, concatenate, iota. The layout ones lower to
 * a kernel that reads the input through an affine view (strides), so fusion
 * can later turn them into index arithmetic; reshape is a buffer alias.
 */
import type { Lowering } from "../backend/device.js";
import type { View } from "../backend/kernel.js";
import { load } from "../backend/kernel.js";
import type { DType } from "../dtype.js";
import { checkDType } from "../dtype.js";
import { ShapeError } from "../errors.js";
import { describe, intArg, intsArg, shapeArg } from "../static-args.js";
import { contiguousStrides, fmtShape, normalizeAxis, sizeOf } from "../shape.js";
import type { MaybeZero, Primitive, Value } from "../trace/core.js";
import type { AffineIndexMap } from "./primitive.js";
import { bind1, definePrimitive, isUndefined, isZero, lowersToStablehlo, ShapedArray, Zero } from "./primitive.js";
import { attr } from "../backend/stablehlo.js";
import { asValue, instantiate, operandArg, select, sub, zerosOf } from "./elementwise.js";
import { reduceSum } from "./reduce.js";

const range = (n: number, start = 0) => Array.from({ length: n }, (_, i) => i + start);

/** The strided view of a contiguous array that an affine index map describes. */
export function viewOf(shape: readonly number[], map: AffineIndexMap, outRank: number): View {
  const st = contiguousStrides(shape);
  const strides = Array.from({ length: outRank }, (_, k) => map.coeffs.reduce((s, row, j) => s + st[j] * row[k], 0));
  return { strides, offset: map.offset.reduce((s, c, j) => s + st[j] * c, 0) };
}

/** A primitive that only rearranges elements: its index map gives both its eager kernel and its fusion. */
function viewPrimitive<P extends Record<string, unknown>>(map: (x: ShapedArray, params: P, out: ShapedArray) => AffineIndexMap) {
  return {
    // a view moves whole elements: a complex one moves both parts (src/backend/kernel-complex.ts)
    complex: true,
    fusion: { kind: "view" as const, map },
    lower: ([x]: ShapedArray[], params: P, [out]: ShapedArray[]): Lowering => ({
      kind: "kernel",
      kernel: { loopShape: out.shape, inputs: [{ dtype: x.dtype, view: viewOf(x.shape, map(x, params, out), out.ndim) }], expr: load(0, x.dtype), dtype: out.dtype },
    }),
  };
}
const unitRow = (n: number, k: number, v = 1) => Array.from({ length: n }, (_, i) => (i === k ? v : 0));

/** Linear primitives of one operand: their jvp applies the primitive to the tangent. */
function linearJvp<P extends Record<string, unknown>>(fn: (t: Value, p: P) => Value) {
  return (primals: Value[], tangents: MaybeZero[], params: P): [Value[], MaybeZero[]] => {
    const out = fn(primals[0], params);
    return [[out], [isZero(tangents[0]) ? new Zero(out.aval.strong()) : fn(tangents[0], params)]];
  };
}

/** Moves a batch axis to the front.
 * @example
 * lax.moveAxis(np.zeros([2, 3, 4]), 0, 2).shape; // [3, 4, 2]
 */
export function moveAxis(x: Value, from: number, to: number): Value {
  x = operandArg("lax.moveAxis", x);
  from = normalizeAxis("lax.moveAxis", from, x.ndim);
  to = normalizeAxis("lax.moveAxis", to, x.ndim);
  if (from === to) return x;
  const perm = range(x.ndim).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return transpose(x, perm);
}

// ---- broadcast_in_dim ------------------------------------------------------------------

type BroadcastParams = { shape: number[]; broadcastDimensions: number[] };
export const broadcastInDimP = definePrimitive<BroadcastParams>("broadcast_in_dim", {
  params: { shape: "ints", broadcastDimensions: "ints" },
  simplify: { identityOnSameType: true, preservesConstant: true },
  abstractEval([x], { shape, broadcastDimensions: bd }) {
    const ok =
      bd.length === x.ndim &&
      bd.every((d, i) => d >= 0 && d < shape.length && (i === 0 || d > bd[i - 1]) && (x.shape[i] === 1 || x.shape[i] === shape[d]));
    if (!ok) {
      throw new ShapeError(
        `lax.broadcastInDim: cannot broadcast shape ${fmtShape(x.shape)} to ${fmtShape(shape)} with broadcastDimensions ` +
          `${JSON.stringify(bd)}: each operand axis i must map to an increasing output axis whose size equals x.shape[i] or x.shape[i] is 1`,
      );
    }
    return [new ShapedArray(shape, x.dtype, x.weakType)];
  },
  ...viewPrimitive<BroadcastParams>((x, { shape, broadcastDimensions: bd }) => ({
    coeffs: x.shape.map((n, j) => (n === shape[bd[j]] ? unitRow(shape.length, bd[j]) : unitRow(shape.length, -1))),
    offset: x.shape.map(() => 0),
  })),
  jvp: linearJvp((t, p) => broadcastInDim(t, p.shape, p.broadcastDimensions)),
  transpose([ct], [x], { shape, broadcastDimensions: bd }) {
    if (isZero(ct)) return [ct];
    const aval = (x as { aval: ShapedArray }).aval;
    const summed = range(shape.length).filter((d) => !bd.includes(d) || (aval.shape[bd.indexOf(d)] === 1 && shape[d] !== 1));
    return [reshape(reduceSum(ct, summed), aval.shape)];
  },
  batch([x], [b], { shape, broadcastDimensions: bd }) {
    const size = x.shape[b!];
    return [[broadcastInDim(moveAxis(x, b!, 0), [size, ...shape], [0, ...bd.map((d) => d + 1)])], [0]];
  },
});
/**
 * Broadcasts `x` to `shape`; operand axis i becomes output axis `broadcastDimensions[i]` (sizes equal or 1).
 * @example
 * lax.broadcastInDim(np.array([1, 2]), [3, 2], [1]); // [[1, 2], [1, 2], [1, 2]]
 */
export function broadcastInDim(x: Value, shape: readonly number[], broadcastDimensions: readonly number[]): Value {
  const op = "lax.broadcastInDim";
  x = operandArg(op, x);
  shape = shapeArg(op, shape);
  broadcastDimensions = intsArg(op, "broadcastDimensions", broadcastDimensions);
  if (x.ndim === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  return bind1(broadcastInDimP, [x], { shape: [...shape], broadcastDimensions: [...broadcastDimensions] });
}

// ---- reshape, squeeze, expand_dims ---------------------------------------------------------

export const reshapeP = definePrimitive<{ newSizes: number[] }>("reshape", {
  complex: true,
  params: { newSizes: "ints" },
  simplify: { identityOnSameType: true, preservesConstant: true },
  abstractEval([x], { newSizes }) {
    if (sizeOf(newSizes) !== x.size || newSizes.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError(`lax.reshape: cannot reshape an array of shape ${fmtShape(x.shape)} (size ${x.size}) into ${fmtShape(newSizes)}`);
    }
    return [new ShapedArray(newSizes, x.dtype, x.weakType)];
  },
  lower: () => ({ kind: "alias", input: 0 }),
  fusion: { kind: "reshape" },
  jvp: linearJvp((t, p) => reshape(t, p.newSizes)),
  transpose: ([ct], [x]) => [isZero(ct) ? ct : reshape(ct, (x as { aval: ShapedArray }).aval.shape)],
  batch: ([x], [b], { newSizes }) => [[reshape(moveAxis(x, b!, 0), [x.shape[b!], ...newSizes])], [0]],
});
/**
 * The same elements in row-major order, in a new shape of the same size.
 * @example
 * lax.reshape(np.arange(6), [2, 3]);
 */
export function reshape(x: Value, newSizes: readonly number[]): Value {
  x = operandArg("lax.reshape", x);
  newSizes = shapeArg("lax.reshape", newSizes, "newSizes");
  if (x.ndim === newSizes.length && x.shape.every((d, i) => d === newSizes[i])) return x;
  return bind1(reshapeP, [x], { newSizes: [...newSizes] });
}

export const squeezeP = definePrimitive<{ dimensions: number[] }>("squeeze", {
  complex: true,
  params: { dimensions: "ints" },
  simplify: { preservesConstant: true },
  abstractEval([x], { dimensions }) {
    for (const d of dimensions) {
      if (d < 0 || d >= x.ndim || x.shape[d] !== 1) {
        throw new ShapeError(`lax.squeeze: cannot squeeze axis ${d} of shape ${fmtShape(x.shape)}: only axes of size 1 can be removed`);
      }
    }
    return [new ShapedArray(x.shape.filter((_, i) => !dimensions.includes(i)), x.dtype, x.weakType)];
  },
  lower: () => ({ kind: "alias", input: 0 }),
  fusion: { kind: "reshape" },
  jvp: linearJvp((t, p) => squeeze(t, p.dimensions)),
  transpose: ([ct], [x]) => [isZero(ct) ? ct : reshape(ct, (x as { aval: ShapedArray }).aval.shape)],
  batch: ([x], [b], { dimensions }) => [[squeeze(moveAxis(x, b!, 0), dimensions.map((d) => d + 1))], [0]],
});
/**
 * Removes the given size-1 axes.
 * @example
 * lax.squeeze(np.zeros([1, 3, 1]), [0, 2]).shape; // [3]
 */
export function squeeze(x: Value, dimensions: readonly number[]): Value {
  x = operandArg("lax.squeeze", x);
  const dims = intsArg("lax.squeeze", "dimensions", dimensions).map((d) => normalizeAxis("lax.squeeze", d, x.ndim));
  return dims.length ? bind1(squeezeP, [x], { dimensions: dims }) : x;
}

export const expandDimsP = definePrimitive<{ dimensions: number[] }>("expand_dims", {
  complex: true,
  params: { dimensions: "ints" },
  simplify: { preservesConstant: true },
  abstractEval([x], { dimensions }) {
    const ndim = x.ndim + dimensions.length;
    const shape: number[] = [];
    let k = 0;
    for (let i = 0; i < ndim; i++) shape.push(dimensions.includes(i) ? 1 : x.shape[k++]);
    if (dimensions.some((d) => d < 0 || d >= ndim) || new Set(dimensions).size !== dimensions.length) {
      throw new ShapeError(`lax.expandDims: invalid dimensions ${JSON.stringify(dimensions)} for shape ${fmtShape(x.shape)}`);
    }
    return [new ShapedArray(shape, x.dtype, x.weakType)];
  },
  lower: () => ({ kind: "alias", input: 0 }),
  fusion: { kind: "reshape" },
  jvp: linearJvp((t, p) => expandDims(t, p.dimensions)),
  transpose: ([ct], [x]) => [isZero(ct) ? ct : reshape(ct, (x as { aval: ShapedArray }).aval.shape)],
  batch: ([x], [b], { dimensions }) => [[expandDims(moveAxis(x, b!, 0), dimensions.map((d) => d + 1))], [0]],
});
/** Inserts size-1 axes at `dimensions` (positions in the output).
 * @example
 * lax.expandDims(np.zeros([3]), [0]).shape; // [1, 3]
 */
export function expandDims(x: Value, dimensions: readonly number[]): Value {
  x = operandArg("lax.expandDims", x);
  dimensions = intsArg("lax.expandDims", "dimensions", dimensions);
  const ndim = x.ndim + dimensions.length;
  const dims = dimensions.map((d) => normalizeAxis("lax.expandDims", d, ndim)).sort((a, b) => a - b);
  return dims.length ? bind1(expandDimsP, [x], { dimensions: dims }) : x;
}

// ---- transpose, rev ---------------------------------------------------------------------

export const transposeP = definePrimitive<{ permutation: number[] }>("transpose", {
  params: { permutation: "ints" },
  abstractEval([x], { permutation: p }) {
    if (p.length !== x.ndim || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
      throw new ShapeError(`lax.transpose: ${JSON.stringify(p)} is not a permutation of the axes of shape ${fmtShape(x.shape)}`);
    }
    return [new ShapedArray(p.map((i) => x.shape[i]), x.dtype, x.weakType)];
  },
  ...viewPrimitive<{ permutation: number[] }>((x, { permutation: p }) => ({
    coeffs: x.shape.map((_, j) => unitRow(p.length, p.indexOf(j))),
    offset: x.shape.map(() => 0),
  })),
  jvp: linearJvp((t, p) => transpose(t, p.permutation)),
  transpose([ct], _x, { permutation: p }) {
    if (isZero(ct)) return [ct];
    const inv = new Array<number>(p.length);
    p.forEach((v, i) => (inv[v] = i));
    return [transpose(ct, inv)];
  },
  batch([x], [b], { permutation: p }) {
    const phys = (a: number) => (a < b! ? a : a + 1);
    return [[transpose(x, [b!, ...p.map(phys)])], [0]];
  },
});
/**
 * Permutes the axes: output axis i is input axis `permutation[i]`.
 * @example
 * lax.transpose(np.zeros([2, 3]), [1, 0]).shape; // [3, 2]
 */
export function transpose(x: Value, permutation: readonly number[]): Value {
  x = operandArg("lax.transpose", x);
  permutation = intsArg("lax.transpose", "permutation", permutation);
  if (permutation.every((p, i) => p === i) && permutation.length === x.ndim) return x;
  return bind1(transposeP, [x], { permutation: [...permutation] });
}

export const revP = definePrimitive<{ dimensions: number[] }>("rev", {
  params: { dimensions: "ints" },
  abstractEval([x], { dimensions }) {
    for (const d of dimensions) if (d < 0 || d >= x.ndim) throw new ShapeError(`lax.rev: axis ${d} out of range for shape ${fmtShape(x.shape)}`);
    return [x];
  },
  ...viewPrimitive<{ dimensions: number[] }>((x, { dimensions }) => ({
    coeffs: x.shape.map((_, j) => unitRow(x.ndim, j, dimensions.includes(j) ? -1 : 1)),
    offset: x.shape.map((n, j) => (dimensions.includes(j) ? n - 1 : 0)),
  })),
  jvp: linearJvp((t, p) => rev(t, p.dimensions)),
  transpose: ([ct], _x, { dimensions }) => [isZero(ct) ? ct : rev(ct, dimensions)],
  batch: ([x], [b], { dimensions }) => [[rev(x, dimensions.map((d) => (d < b! ? d : d + 1)))], [b]],
});
/**
 * Reverses the order of elements along the given axes.
 * @example
 * lax.rev(np.array([1, 2, 3]), [0]); // [3, 2, 1]
 */
export function rev(x: Value, dimensions: readonly number[]): Value {
  x = operandArg("lax.rev", x);
  const dims = intsArg("lax.rev", "dimensions", dimensions).map((d) => normalizeAxis("lax.rev", d, x.ndim));
  return dims.length ? bind1(revP, [x], { dimensions: dims }) : x;
}

// ---- slice, pad, concatenate --------------------------------------------------------------

type SliceParams = { startIndices: number[]; limitIndices: number[]; strides: number[] };
export const sliceP = definePrimitive<SliceParams>("slice", {
  params: { startIndices: "ints", limitIndices: "ints", strides: "ints" },
  abstractEval([x], { startIndices: st, limitIndices: lim, strides }) {
    const bad = st.length !== x.ndim || lim.length !== x.ndim || strides.length !== x.ndim ||
      st.some((s, i) => !(Number.isInteger(s) && s >= 0 && s <= lim[i] && lim[i] <= x.shape[i] && strides[i] >= 1));
    if (bad) {
      throw new ShapeError(
        `lax.slice: start ${JSON.stringify(st)}, limit ${JSON.stringify(lim)}, strides ${JSON.stringify(strides)} ` +
          `do not fit shape ${fmtShape(x.shape)} (need 0 <= start <= limit <= size and strides >= 1 on every axis)`,
      );
    }
    return [new ShapedArray(st.map((s, i) => Math.ceil((lim[i] - s) / strides[i])), x.dtype, x.weakType)];
  },
  ...viewPrimitive<SliceParams>((x, { startIndices: st, strides }) => ({
    coeffs: x.shape.map((_, j) => unitRow(x.ndim, j, strides[j])),
    offset: [...st],
  })),
  jvp: linearJvp((t, p) => slice(t, p.startIndices, p.limitIndices, p.strides)),
  transpose([ct], [x], { startIndices: st, strides }) {
    if (isZero(ct)) return [ct];
    const shape = (x as { aval: ShapedArray }).aval.shape;
    const config = shape.map((n, i): [number, number, number] => {
      const count = ct.shape[i];
      const lastUsed = count === 0 ? st[i] : st[i] + (count - 1) * strides[i] + 1;
      return [st[i], n - lastUsed, count === 0 ? 0 : strides[i] - 1];
    });
    if (ct.shape.some((d) => d === 0)) return [zerosOf((x as { aval: ShapedArray }).aval.strong())];
    return [pad(ct, asValue(0, ct.dtype), config)];
  },
  batch([x], [b], { startIndices: st, limitIndices: lim, strides }) {
    const ins = <T>(a: T[], v: T) => [...a.slice(0, b!), v, ...a.slice(b!)];
    return [[slice(x, ins(st, 0), ins(lim, x.shape[b!]), ins(strides, 1))], [b]];
  },
});
/**
 * The elements from `startIndices` up to (not including) `limitIndices`, every `strides`-th.
 * @example
 * lax.slice(np.arange(10), [1], [7], [2]); // [1, 3, 5]
 */
export function slice(x: Value, startIndices: readonly number[], limitIndices: readonly number[], strides?: readonly number[]): Value {
  const op = "lax.slice";
  x = operandArg(op, x);
  const start = intsArg(op, "startIndices", startIndices);
  const limit = intsArg(op, "limitIndices", limitIndices);
  return bind1(sliceP, [x], { startIndices: start, limitIndices: limit, strides: strides === undefined ? start.map(() => 1) : intsArg(op, "strides", strides) });
}

/** [low, high, interior] padding per axis; low/high may be negative (cropping). */
export type PadConfig = [number, number, number][];
export const padP: Primitive<{ config: PadConfig }> = definePrimitive<{ config: PadConfig }>("pad", {
  // complex operands pad as their float pairs, the padding value's parts with them (PrimitiveRules.complexLanes)
  complexLanes: true,
  params: { config: "intTable" },
  abstractEval([x, v], { config }) {
    if (v.ndim !== 0 || v.dtype !== x.dtype || config.length !== x.ndim || config.some(([, , int]) => int < 0)) {
      throw new ShapeError(
        `lax.pad: needs a 0-d padding value of the operand's dtype and one [low, high, interior >= 0] per axis; ` +
          `got operand ${x}, padding value ${v}, config ${JSON.stringify(config)}`,
      );
    }
    const shape = x.shape.map((n, i) => config[i][0] + config[i][1] + n + Math.max(n - 1, 0) * config[i][2]);
    if (shape.some((d) => d < 0)) throw new ShapeError(`lax.pad: config ${JSON.stringify(config)} crops shape ${fmtShape(x.shape)} below zero`);
    return [new ShapedArray(shape, x.dtype, x.weakType && v.weakType)];
  },
  lower: (_avals, { config }) => ({
    kind: "routine",
    routine: "pad",
    params: { lo: config.map((c) => c[0]), hi: config.map((c) => c[1]), interior: config.map((c) => c[2]) },
  }),
  jvp(primals, tangents, params) {
    const out = bind1(padP, primals, params);
    if (tangents.every(isZero)) return [[out], [new Zero(out.aval.strong())]];
    return [[out], [bind1(padP, tangents.map(instantiate), params)]];
  },
  transpose([ct], [x, v], { config }) {
    if (isZero(ct)) return [new Zero((x as { aval: ShapedArray }).aval), new Zero((v as { aval: ShapedArray }).aval)];
    const unpadded = pad(ct, asValue(0, ct.dtype), config.map(([lo, hi]) => [-lo, -hi, 0]));
    const tx = slice(unpadded, config.map(() => 0), unpadded.shape, config.map(([, , int]) => int + 1));
    const all = (t: Value) => reduceSum(t, range(t.ndim));
    return [isUndefined(x) ? tx : new Zero(x.aval), isUndefined(v) ? sub(all(ct), all(tx)) : new Zero((v as Value).aval)];
  },
  batch([x, v], [bx, bv], { config }) {
    if (bv === null) return [[pad(moveAxis(x, bx!, 0), v, [[0, 0, 0], ...config])], [0]];
    // a batched padding value: pad with zeros, then select the padding positions from it
    const size = v.shape[bv];
    const xb = bx === null ? broadcastInDim(x, [size, ...x.shape], range(x.ndim, 1)) : moveAxis(x, bx, 0);
    const padded = pad(xb, asValue(0, x.dtype), [[0, 0, 0], ...config]);
    const ones = broadcastInDim(asValue(true, "bool"), xb.shape, []);
    const mask = pad(ones, asValue(false, "bool"), [[0, 0, 0], ...config]);
    const vb = broadcastInDim(moveAxis(v, bv, 0), padded.shape, [0]);
    return [[select(mask, padded, vb)], [0]];
  },
});
/**
 * Pads each axis with `[low, high, interior]` copies of a scalar (negative low/high crop).
 * @example
 * lax.pad(np.array([1, 2]), 0, [[1, 1, 1]]); // [0, 1, 0, 2, 0]
 */
export function pad(x: Value, paddingValue: Value | number, config: PadConfig): Value {
  const op = "lax.pad";
  x = operandArg(op, x);
  if (!globalThis.Array.isArray(config)) throw new ShapeError(`${op}: config must be a JS array of [low, high, interior] triples, got ${describe(config)}`);
  const triples = config.map((c, i) => {
    const t = intsArg(op, `config[${i}]`, c);
    if (t.length !== 3) throw new ShapeError(`${op}: config[${i}] must be [low, high, interior], got ${t.length} numbers`);
    return t as [number, number, number];
  });
  return bind1(padP, [x, asValue(paddingValue, x.dtype)], { config: triples });
}

export const concatenateP: Primitive<{ dimension: number }> = definePrimitive<{ dimension: number }>("concatenate", {
  params: { dimension: "int" },
  // the routine copies boxes of the buffers' shapes: a complex array's [..., 2] pairs move whole
  complex: true,
  abstractEval(avals, { dimension: d }) {
    const first = avals[0];
    const ok = avals.length > 0 && d >= 0 && d < first.ndim &&
      avals.every((a) => a.dtype === first.dtype && a.ndim === first.ndim && a.shape.every((n, i) => i === d || n === first.shape[i]));
    if (!ok) {
      throw new ShapeError(
        `lax.concatenate: operands ${avals.map(String).join(", ")} cannot be joined on axis ${d}: ` +
          `they need one dtype and equal sizes on every other axis`,
      );
    }
    const shape = [...first.shape];
    shape[d] = avals.reduce((s, a) => s + a.shape[d], 0);
    return [new ShapedArray(shape, first.dtype, avals.every((a) => a.weakType))];
  },
  lower: (_a, { dimension }) => ({ kind: "routine", routine: "concatenate", params: { axis: dimension } }),
  jvp(primals, tangents, params) {
    const out = bind1(concatenateP, primals, params);
    if (tangents.every(isZero)) return [[out], [new Zero(out.aval.strong())]];
    return [[out], [bind1(concatenateP, tangents.map(instantiate), params)]];
  },
  transpose([ct], args, { dimension: d }) {
    let start = 0;
    return args.map((a) => {
      const aval = (a as { aval: ShapedArray }).aval;
      const lo = start;
      start += aval.shape[d];
      if (!isUndefined(a) || isZero(ct)) return new Zero(aval);
      const st = aval.shape.map((_, i) => (i === d ? lo : 0));
      const lim = ct.shape.map((n, i) => (i === d ? lo + aval.shape[d] : n));
      return slice(ct, st, lim);
    });
  },
  batch(args, dims, { dimension }) {
    const i0 = dims.findIndex((b) => b !== null);
    const size = args[i0].shape[dims[i0]!];
    const moved = args.map((a, i) => (dims[i] === null ? broadcastInDim(a, [size, ...a.shape], range(a.ndim, 1)) : moveAxis(a, dims[i]!, 0)));
    return [[concatenate(moved, dimension + 1)], [0]];
  },
});
/**
 * Joins arrays along an axis.
 * @example
 * lax.concatenate([np.zeros([2, 1]), np.ones([2, 2])], 1).shape; // [2, 3]
 */
export function concatenate(operands: Value[], dimension: number): Value {
  if (!globalThis.Array.isArray(operands)) throw new ShapeError(`lax.concatenate: operands must be a JS array of arrays, got ${describe(operands)}`);
  operands = operands.map((o) => operandArg("lax.concatenate", o));
  if (operands.length === 0) throw new ShapeError("lax.concatenate: needs at least one operand");
  const d = normalizeAxis("lax.concatenate", dimension, operands[0].ndim);
  return operands.length === 1 ? operands[0] : bind1(concatenateP, operands, { dimension: d });
}

// ---- iota -------------------------------------------------------------------------------

export const iotaP = definePrimitive<{ dtype: DType; shape: number[]; dimension: number }>("iota", {
  params: { dtype: "dtype", shape: "ints", dimension: "int" },
  abstractEval(_a, { dtype, shape, dimension }) {
    if (dimension < 0 || dimension >= shape.length) throw new ShapeError(`lax.iota: dimension ${dimension} out of range for shape ${fmtShape(shape)}`);
    return [new ShapedArray(shape, dtype)];
  },
  lower: (_a, { dtype, shape, dimension }) => ({
    kind: "kernel",
    kernel: { loopShape: shape, inputs: [], expr: { kind: "index", axis: dimension, dtype }, dtype },
  }),
  jvp: (_p, _t, params) => {
    const out = iota(params.dtype, params.shape, params.dimension);
    return [[out], [new Zero(out.aval)]];
  },
  batch: () => {
    throw new Error("iota has no operands to batch");
  },
});
/** `0, 1, 2, ...` along `dimension` of an array of `shape` (default: 1-D of length `shape`).
 * @example
 * lax.iota("int32", 4); // [0, 1, 2, 3]
 */
export function iota(dtype: DType, shape: number | readonly number[], dimension = 0): Value {
  const d = checkDType(dtype, "lax.iota");
  return bind1(iotaP, [], { dtype: d, shape: shapeArg("lax.iota", shape), dimension: intArg("lax.iota", "dimension", dimension) });
}



// ---- StableHLO lowerings (exportStableHLO) ---------------------------------------------------

const hloOut = (o: ShapedArray) => ({ shape: o.shape, dtype: o.dtype });
lowersToStablehlo(broadcastInDimP, (ctx, [x], p, _a, [o]) => [ctx.b.op1("stablehlo.broadcast_in_dim", [x], hloOut(o), { broadcast_dimensions: attr.i64s(p.broadcastDimensions) })]);
for (const prim of [reshapeP, squeezeP, expandDimsP] as Primitive<Record<string, unknown>>[]) {
  lowersToStablehlo(prim, (ctx, [x], _p, _a, [o]) => [ctx.b.op1("stablehlo.reshape", [x], hloOut(o))]);
}
lowersToStablehlo(transposeP, (ctx, [x], p, _a, [o]) => [ctx.b.op1("stablehlo.transpose", [x], hloOut(o), { permutation: attr.i64s(p.permutation) })]);
lowersToStablehlo(revP, (ctx, [x], p, _a, [o]) => [ctx.b.op1("stablehlo.reverse", [x], hloOut(o), { dimensions: attr.i64s(p.dimensions) })]);
lowersToStablehlo(sliceP, (ctx, [x], p, _a, [o]) => [
  ctx.b.op1("stablehlo.slice", [x], hloOut(o), { start_indices: attr.i64s(p.startIndices), limit_indices: attr.i64s(p.limitIndices), strides: attr.i64s(p.strides) }),
]);
lowersToStablehlo(padP, (ctx, [x, v], { config }, _a, [o]) => [
  ctx.b.op1("stablehlo.pad", [x, v], hloOut(o), {
    edge_padding_low: attr.i64s(config.map((c) => c[0])),
    edge_padding_high: attr.i64s(config.map((c) => c[1])),
    interior_padding: attr.i64s(config.map((c) => c[2])),
  }),
]);
lowersToStablehlo(concatenateP, (ctx, xs, p, _a, [o]) => [ctx.b.op1("stablehlo.concatenate", xs, hloOut(o), { dimension: attr.int(p.dimension) })]);
lowersToStablehlo(iotaP, (ctx, _x, p, _a, [o]) => [ctx.b.op1("stablehlo.iota", [], hloOut(o), { iota_dimension: attr.int(p.dimension) })]);
