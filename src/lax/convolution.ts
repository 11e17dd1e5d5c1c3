/**
 * conv_general_dilated: XLA's ConvGeneralDilated with JAX's semantics —
 * window strides, explicit (low, high) padding, lhs (input) and rhs (kernel)
 * dilation, any dimension numbers, feature and batch groups. The primitive
 * keeps the dimension numbers as index tuples; its lowering reads each operand
 * through strides, so no layout is copied. It is bilinear: the transposes for
 * either operand are convolutions again (as JAX's
 * `_conv_general_dilated_transpose_lhs/rhs`), and vmap folds the mapped axis
 * into the batch or the feature groups.
 */
import type { Routines } from "../backend/device.js";
import type { DType } from "../dtype.js";
import { checkDType, isFloat } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import { contiguousStrides, fmtShape } from "../shape.js";
import { describe, intArg, optionsArg } from "../static-args.js";
import type { Primitive, Value } from "../trace/core.js";
import { addTangents, asValue, convert, operandArg } from "./elementwise.js";
import { bind1, definePrimitive, isUndefined, isZero, ShapedArray, Zero } from "./primitive.js";
import { broadcastInDim, reshape, rev, transpose } from "./shape.js";
import { attr, type HloValue } from "../backend/stablehlo.js";
import { lowersToStablehlo } from "./primitive.js";

/** Dimension numbers as index tuples (JAX's ConvDimensionNumbers): [batch, feature, spatial...] of lhs and out, [out feature, in feature, spatial...] of rhs. */
export interface ConvDimensionNumbers {
  lhsSpec: number[];
  rhsSpec: number[];
  outSpec: number[];
}

type ConvParams = {
  windowStrides: number[];
  /** [low, high] per spatial axis (negative values crop). */
  padding: number[][];
  lhsDilation: number[];
  rhsDilation: number[];
  dimensionNumbers: { lhsSpec: number[]; rhsSpec: number[]; outSpec: number[] };
  featureGroupCount: number;
  batchGroupCount: number;
  preferredElementType?: DType;
};

const OP = "lax.convGeneralDilated";
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const take = (shape: readonly number[], idx: readonly number[]) => idx.map((i) => shape[i]);
const dilateDim = (d: number, r: number) => (d === 0 ? 0 : 1 + r * (d - 1));
const strideDim = (d: number, w: number, s: number) => (d < w ? 0 : Math.floor((d - w) / s) + 1);

function isPermutation(p: readonly number[], n: number): boolean {
  return p.length === n && p.every((v) => Number.isInteger(v) && v >= 0 && v < n) && new Set(p).size === n;
}

/** Checks everything about a convolution's types and params; returns the output shape. */
function convShape(op: string, lhs: ShapedArray, rhs: ShapedArray, p: ConvParams): number[] {
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers;
  const shapes = `lhs ${fmtShape(lhs.shape)}, rhs ${fmtShape(rhs.shape)}`;
  const fail = (why: string): never => {
    throw new ShapeError(`${op}: ${why} (${shapes})`);
  };
  if (lhs.ndim !== rhs.ndim) fail(`lhs and rhs must have the same number of dimensions, got ${lhs.ndim} and ${rhs.ndim}`);
  if (lhs.ndim < 2) fail("operands need at least a batch and a feature dimension");
  const nd = lhs.ndim;
  const ns = nd - 2;
  if (!isPermutation(lhsSpec, nd) || !isPermutation(rhsSpec, nd) || !isPermutation(outSpec, nd)) {
    fail(`dimensionNumbers must be permutations of 0..${nd - 1}, got ${JSON.stringify([lhsSpec, rhsSpec, outSpec])}`);
  }
  for (const [name, v] of [["windowStrides", p.windowStrides], ["lhsDilation", p.lhsDilation], ["rhsDilation", p.rhsDilation]] as const) {
    if (v.length !== ns) fail(`${name} must have ${ns} entries (one per spatial dimension), got ${v.length}`);
    if (v.some((s) => !(s >= 1))) fail(`${name} must be positive, got [${v.join(", ")}]`);
  }
  if (p.padding.length !== ns || p.padding.some((pr) => pr.length !== 2)) fail(`padding must be ${ns} [low, high] pairs, got ${JSON.stringify(p.padding)}`);
  const G = p.featureGroupCount;
  const B = p.batchGroupCount;
  if (!(G >= 1)) fail(`featureGroupCount must be a positive integer, got ${G}`);
  if (!(B >= 1)) fail(`batchGroupCount must be a positive integer, got ${B}`);
  if (G > 1 && B > 1) fail(`at most one of featureGroupCount (${G}) and batchGroupCount (${B}) may exceed 1`);
  const C = lhs.shape[lhsSpec[1]];
  const N = lhs.shape[lhsSpec[0]];
  const O = rhs.shape[rhsSpec[0]];
  const I = rhs.shape[rhsSpec[1]];
  if (C % G !== 0) fail(`featureGroupCount ${G} must divide the lhs feature size ${C}`);
  if (C / G !== I) fail(`the lhs feature size divided by featureGroupCount (${C} / ${G}) must equal the rhs input feature size ${I}`);
  if (O % G !== 0) fail(`the rhs output feature size ${O} must be a multiple of featureGroupCount ${G}`);
  if (N % B !== 0) fail(`batchGroupCount ${B} must divide the lhs batch size ${N}`);
  if (O % B !== 0) fail(`the rhs output feature size ${O} must be a multiple of batchGroupCount ${B}`);
  const inS = take(lhs.shape, lhsSpec.slice(2));
  const kS = take(rhs.shape, rhsSpec.slice(2));
  const outCanon = [N / B, O];
  for (let i = 0; i < ns; i++) {
    const padded = dilateDim(inS[i], p.lhsDilation[i]) + p.padding[i][0] + p.padding[i][1];
    if (padded < 0) fail(`padding ${JSON.stringify(p.padding[i])} crops more than spatial dimension ${i} has`);
    outCanon.push(strideDim(padded, dilateDim(kS[i], p.rhsDilation[i]), p.windowStrides[i]));
  }
  const out = new Array<number>(nd);
  outSpec.forEach((axis, i) => (out[axis] = outCanon[i]));
  return out;
}

/** The `conv` routine's parameters: each operand read through its strides in canonical order. */
function routineParams(lhs: ShapedArray, rhs: ShapedArray, out: ShapedArray, p: ConvParams): Routines["conv"] {
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers;
  const ls = contiguousStrides(lhs.shape);
  const rs = contiguousStrides(rhs.shape);
  const os = contiguousStrides(out.shape);
  return {
    batch: lhs.shape[lhsSpec[0]],
    inFeatures: lhs.shape[lhsSpec[1]],
    outFeatures: rhs.shape[rhsSpec[0]],
    inSpatial: take(lhs.shape, lhsSpec.slice(2)),
    kernelSpatial: take(rhs.shape, rhsSpec.slice(2)),
    outSpatial: take(out.shape, outSpec.slice(2)),
    strides: [...p.windowStrides],
    padLo: p.padding.map((pr) => pr[0]),
    lhsDilation: [...p.lhsDilation],
    rhsDilation: [...p.rhsDilation],
    featureGroups: p.featureGroupCount,
    batchGroups: p.batchGroupCount,
    lhsStrides: take(ls, lhsSpec),
    rhsStrides: take(rs, rhsSpec),
    outStrides: take(os, outSpec),
  };
}

/** Binds the primitive (params already canonical and checked by the caller or the abstract eval). */
const convP_ = (lhs: Value, rhs: Value, p: ConvParams): Value => bind1(convGeneralDilatedP, [lhs, rhs], p);

// ---- reshape helpers (JAX's _reshape_axis_into / _reshape_axis_out_of) --------------------------

/** Moves axis `src` next to (before) axis `dst` (numbered after removing src) and merges them: src becomes the major part. */
function reshapeAxisInto(src: number, dst: number, x: Value): Value {
  const perm = range(x.ndim).filter((i) => i !== src);
  perm.splice(dst, 0, src);
  const shape = x.shape.filter((_, i) => i !== src);
  shape[dst] *= x.shape[src];
  return reshape(transpose(x, perm), shape);
}

/** Splits axis `src` into [size1, rest]. */
function reshapeAxisOutOf(src: number, size1: number, x: Value): Value {
  const shape = [...x.shape];
  shape.splice(src, 1, size1, shape[src] / size1);
  return reshape(x, shape);
}

const swapFirstTwo = (spec: number[]) => [spec[1], spec[0], ...spec.slice(2)];

function vjpLhsPadding(inS: number[], kS: number[], strides: number[], outS: number[], padding: number[][], lhsDil: number[], rhsDil: number[]): number[][] {
  return inS.map((d, i) => {
    const ld = dilateDim(d, lhsDil[i]);
    const rd = dilateDim(kS[i], rhsDil[i]);
    const od = dilateDim(outS[i], strides[i]);
    const before = rd - padding[i][0] - 1;
    return [before, ld + rd - 1 - od - before];
  });
}

function vjpRhsPadding(inS: number[], kS: number[], strides: number[], outS: number[], padding: number[][], lhsDil: number[], rhsDil: number[]): number[][] {
  return inS.map((d, i) => {
    const ld = dilateDim(d, lhsDil[i]);
    const rd = dilateDim(kS[i], rhsDil[i]);
    const od = dilateDim(outS[i], strides[i]);
    const lo = padding[i][0];
    return [lo, od - ld + (rd - lo - 1)];
  });
}

function transposeLhs(g: Value, lhsAval: ShapedArray, rhs: Value, p: ConvParams): Value {
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers;
  let G = p.featureGroupCount;
  const B = p.batchGroupCount;
  const rhsShape = [...rhs.shape];
  let r = rhs;
  if (G > 1) {
    r = reshapeAxisOutOf(rhsSpec[0], G, r);
    r = reshapeAxisInto(rhsSpec[0], rhsSpec[1], r);
  } else if (B > 1) {
    r = reshapeAxisOutOf(rhsSpec[0], B, r);
    r = reshapeAxisInto(rhsSpec[0], rhsSpec[1], r);
    G = B;
  }
  const padding = vjpLhsPadding(
    take(lhsAval.shape, lhsSpec.slice(2)),
    take(rhsShape, rhsSpec.slice(2)),
    p.windowStrides,
    take(g.shape, outSpec.slice(2)),
    p.padding,
    p.lhsDilation,
    p.rhsDilation,
  );
  r = rev(r, rhsSpec.slice(2));
  if (r.dtype !== g.dtype) r = convert(r, g.dtype);
  let out = convP_(g, r, {
    windowStrides: [...p.lhsDilation],
    padding,
    lhsDilation: [...p.windowStrides],
    rhsDilation: [...p.rhsDilation],
    dimensionNumbers: { lhsSpec: [...outSpec], rhsSpec: swapFirstTwo(rhsSpec), outSpec: [...lhsSpec] },
    featureGroupCount: G,
    batchGroupCount: 1,
  });
  if (out.dtype !== lhsAval.dtype) out = convert(out, lhsAval.dtype);
  if (B > 1) {
    out = reshapeAxisOutOf(lhsSpec[1], B, out);
    out = reshapeAxisInto(lhsSpec[1], lhsSpec[0], out);
  }
  return out;
}

function transposeRhs(g: Value, lhs: Value, rhsAval: ShapedArray, p: ConvParams): Value | Zero {
  if (g.size === 0) return new Zero(rhsAval);
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers;
  let G = p.featureGroupCount;
  let B = p.batchGroupCount;
  if (B > 1) {
    G = B;
    B = 1;
  } else if (G > 1) {
    B = G;
    G = 1;
  }
  const padding = vjpRhsPadding(
    take(lhs.shape, lhsSpec.slice(2)),
    take(rhsAval.shape, rhsSpec.slice(2)),
    p.windowStrides,
    take(g.shape, outSpec.slice(2)),
    p.padding,
    p.lhsDilation,
    p.rhsDilation,
  );
  const l = lhs.dtype !== g.dtype ? convert(lhs, g.dtype) : lhs;
  let out = convP_(l, g, {
    windowStrides: [...p.rhsDilation],
    padding,
    lhsDilation: [...p.lhsDilation],
    rhsDilation: [...p.windowStrides],
    dimensionNumbers: { lhsSpec: swapFirstTwo(lhsSpec), rhsSpec: swapFirstTwo(outSpec), outSpec: swapFirstTwo(rhsSpec) },
    featureGroupCount: G,
    batchGroupCount: B,
  });
  if (out.dtype !== rhsAval.dtype) out = convert(out, rhsAval.dtype);
  return out;
}

function batchRule([lhs, rhs]: Value[], [lb, rb]: (number | null)[], p: ConvParams): [Value[], (number | null)[]] {
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers;
  const conv = (l: Value, r: Value, q: Partial<ConvParams>) => convP_(l, r, { ...p, ...q });
  if (lb === null && rb === null) return [[conv(lhs, rhs, {})], [null]];
  const size = lb !== null ? lhs.shape[lb] : rhs.shape[rb!];
  if (size === 0) {
    const l = lb !== null ? lhs.aval.shape.filter((_, i) => i !== lb) : lhs.shape;
    const r = rb !== null ? rhs.aval.shape.filter((_, i) => i !== rb) : rhs.shape;
    const shape = convShape(OP, new ShapedArray(l, lhs.dtype), new ShapedArray(r, rhs.dtype), p);
    const dtype = p.preferredElementType ?? lhs.dtype;
    return [[broadcastInDim(asValue(0, dtype), [0, ...shape], [])], [0]];
  }
  if (lb !== null && rb !== null) {
    let newLhs: Value;
    let G = p.featureGroupCount;
    let B = p.batchGroupCount;
    if (B > 1) {
      newLhs = reshapeAxisInto(lb, lhsSpec[0], lhs);
      B *= size;
    } else {
      newLhs = reshapeAxisInto(lb, lhsSpec[1], lhs);
      G *= size;
    }
    const newRhs = reshapeAxisInto(rb, rhsSpec[0], rhs);
    const out = conv(newLhs, newRhs, { featureGroupCount: G, batchGroupCount: B });
    return [[reshapeAxisOutOf(outSpec[1], size, out)], [outSpec[1]]];
  }
  if (lb !== null) {
    if (p.batchGroupCount === 1) {
      const out = conv(reshapeAxisInto(lb, lhsSpec[0], lhs), rhs, {});
      return [[reshapeAxisOutOf(outSpec[0], size, out)], [outSpec[0]]];
    }
    let l = reshapeAxisOutOf(lhsSpec[0] + (lb <= lhsSpec[0] ? 1 : 0), p.batchGroupCount, lhs);
    l = reshapeAxisInto(lb + (lhsSpec[0] < lb ? 1 : 0), lhsSpec[0] + 1, l);
    l = reshapeAxisInto(lhsSpec[0], lhsSpec[0], l);
    const out = conv(l, rhs, {});
    return [[reshapeAxisOutOf(outSpec[0], size, out)], [outSpec[0]]];
  }
  const rbd = rb!;
  if (p.featureGroupCount === 1 && p.batchGroupCount === 1) {
    const out = conv(lhs, reshapeAxisInto(rbd, rhsSpec[0], rhs), {});
    return [[reshapeAxisOutOf(outSpec[1], size, out)], [outSpec[1]]];
  }
  const groups = p.featureGroupCount > 1 ? p.featureGroupCount : p.batchGroupCount;
  let r = reshapeAxisOutOf(rhsSpec[0] + (rbd <= rhsSpec[0] ? 1 : 0), groups, rhs);
  r = reshapeAxisInto(rbd + (rhsSpec[0] < rbd ? 1 : 0), rhsSpec[0] + 1, r);
  r = reshapeAxisInto(rhsSpec[0], rhsSpec[0], r);
  let out = conv(lhs, r, {});
  out = reshapeAxisOutOf(outSpec[1], groups, out);
  out = reshapeAxisOutOf(outSpec[1] + 1, size, out);
  out = reshapeAxisInto(outSpec[1], outSpec[1] + 1, out);
  return [[out], [outSpec[1]]];
}

export const convGeneralDilatedP: Primitive<ConvParams> = definePrimitive<ConvParams>("conv_general_dilated", {
  params: {
    windowStrides: "ints",
    padding: "intTable",
    lhsDilation: "ints",
    rhsDilation: "ints",
    dimensionNumbers: "intRecord",
    featureGroupCount: "int",
    batchGroupCount: "int",
    preferredElementType: "dtype?",
  },
  abstractEval([lhs, rhs], p) {
    if (lhs.dtype !== rhs.dtype) throw new DTypeError(`${OP}: operand dtypes ${lhs.dtype} and ${rhs.dtype} differ; convert one with .astype`);
    if (!isFloat(lhs.dtype) || lhs.dtype.startsWith("complex")) {
      throw new DTypeError(`${OP}: convolutions take real floating-point operands, got ${lhs.dtype}; convert with .astype("float32")`);
    }
    const out = p.preferredElementType ?? lhs.dtype;
    if (!isFloat(out) || out.startsWith("complex")) throw new DTypeError(`${OP}: preferredElementType must be a real float dtype, got ${out}`);
    return [new ShapedArray(convShape(OP, lhs, rhs, p), out, lhs.weakType && rhs.weakType)];
  },
  lower([lhs, rhs], p, [out]) {
    return { kind: "routine", routine: "conv", params: routineParams(lhs, rhs, out, p) };
  },
  jvp([lhs, rhs], [tl, tr], p) {
    const out = convP_(lhs, rhs, p);
    let t: Value | Zero = isZero(tl) ? new Zero(out.aval.strong()) : convP_(tl, rhs, p);
    if (!isZero(tr)) t = addTangents(t, convP_(lhs, tr, p));
    return [[out], [t]];
  },
  transpose([ct], [lhs, rhs], p) {
    const lhsAval = (lhs as { aval: ShapedArray }).aval;
    const rhsAval = (rhs as { aval: ShapedArray }).aval;
    if (isZero(ct)) return [new Zero(lhsAval), new Zero(rhsAval)];
    const ctLhs = isUndefined(lhs) ? transposeLhs(ct, lhsAval, rhs as Value, p) : new Zero(lhsAval);
    const ctRhs = isUndefined(rhs) ? transposeRhs(ct, lhs as Value, rhsAval, p) : new Zero(rhsAval);
    return [ctLhs, ctRhs];
  },
  batch: (args, dims, p) => batchRule(args, dims, p),
});

// ---- the public functions ---------------------------------------------------------------------

/** Spatial sizes checked as positive integers (strides, dilations). */
function positiveInts(op: string, name: string, v: unknown, n: number): number[] {
  if (!Array.isArray(v)) throw new ShapeError(`${op}: ${name} must be a JS array of ${n} positive integers, got ${describe(v)}`);
  if (v.length !== n) throw new ShapeError(`${op}: ${name} must have ${n} entries (one per spatial dimension), got ${v.length}`);
  return v.map((x, i) => {
    const k = intArg(op, `${name}[${i}]`, x);
    if (k < 1) throw new ShapeError(`${op}: ${name}[${i}] must be a positive integer, got ${k}`);
    return k;
  });
}

/** Parses one dimension-number string ("NHWC", "OIHW", ...) against the kernel's spatial letters. */
function parseSpecs(op: string, specs: unknown[], nd: number): ConvDimensionNumbers {
  const strs = specs.map((s, i) => {
    if (typeof s !== "string") throw new ShapeError(`${op}: dimensionNumbers[${i}] must be a string such as "NHWC", got ${describe(s)}`);
    if (s.length !== nd) throw new ShapeError(`${op}: dimensionNumbers[${i}] ${describe(s)} must have one letter per dimension (${nd})`);
    return s;
  });
  const pairs: [string, string][] = [["N", "C"], ["O", "I"], ["N", "C"]];
  strs.forEach((s, i) => {
    const [a, b] = pairs[i];
    const count = (c: string) => s.split("").filter((x) => x === c).length;
    if (count(a) !== 1 || count(b) !== 1) throw new ShapeError(`${op}: dimensionNumbers[${i}] ${describe(s)} must contain '${a}' and '${b}' exactly once`);
    if (new Set(s).size !== s.length) throw new ShapeError(`${op}: dimensionNumbers[${i}] ${describe(s)} repeats a letter`);
  });
  const spatial = (s: string, [a, b]: [string, string]) => s.split("").filter((c) => c !== a && c !== b).sort().join("");
  const sets = strs.map((s, i) => spatial(s, pairs[i]));
  if (sets[0] !== sets[1] || sets[1] !== sets[2]) throw new ShapeError(`${op}: the three dimensionNumbers strings must have the same spatial letters`);
  const rhs = strs[1];
  const perm = (s: string, [a, b]: [string, string], isRhs: boolean) => {
    let sp = range(nd).filter((i) => s[i] !== a && s[i] !== b);
    if (!isRhs) sp = sp.sort((x, y) => rhs.indexOf(s[x]) - rhs.indexOf(s[y]));
    return [s.indexOf(a), s.indexOf(b), ...sp];
  };
  return { lhsSpec: perm(strs[0], pairs[0], false), rhsSpec: perm(rhs, pairs[1], true), outSpec: perm(strs[2], pairs[2], false) };
}

/**
 * Dimension numbers in their canonical form: index tuples of the batch and
 * feature axes (output and input features for the kernel) then the spatial
 * axes, in the kernel's spatial order. Takes `undefined` (NCHW/OIHW/NCHW),
 * three layout strings such as `["NHWC", "HWIO", "NHWC"]`, or explicit tuples
 * (`{ lhsSpec, rhsSpec, outSpec }` or three index arrays).
 * @example
 * lax.convDimensionNumbers([1, 5, 5, 3], [3, 3, 3, 8], ["NHWC", "HWIO", "NHWC"]);
 * // { lhsSpec: [0, 3, 1, 2], rhsSpec: [3, 2, 0, 1], outSpec: [0, 3, 1, 2] }
 */
export function convDimensionNumbers(lhsShape: readonly number[], rhsShape: readonly number[], dimensionNumbers?: unknown): ConvDimensionNumbers {
  const op = "lax.convDimensionNumbers";
  if (!Array.isArray(lhsShape) || !Array.isArray(rhsShape)) throw new ShapeError(`${op}: lhsShape and rhsShape must be JS arrays of sizes`);
  return dimensionNumbersArg(op, lhsShape.length, rhsShape.length, dimensionNumbers);
}

function dimensionNumbersArg(op: string, lnd: number, rnd: number, dn: unknown): ConvDimensionNumbers {
  if (lnd !== rnd) throw new ShapeError(`${op}: lhs and rhs must have the same number of dimensions, got ${lnd} and ${rnd}`);
  const nd = lnd;
  if (dn === undefined || dn === null) return { lhsSpec: range(nd), rhsSpec: range(nd), outSpec: range(nd) };
  let tuples: unknown[];
  if (Array.isArray(dn)) {
    if (dn.length !== 3) throw new ShapeError(`${op}: dimensionNumbers must have three entries (lhs, rhs, out), got ${dn.length}`);
    if (dn.every((s) => typeof s === "string")) return parseSpecs(op, dn, nd);
    tuples = dn;
  } else if (typeof dn === "object" && Object.getPrototypeOf(dn) === Object.prototype) {
    const o = dn as { lhsSpec?: unknown; rhsSpec?: unknown; outSpec?: unknown };
    tuples = [o.lhsSpec, o.rhsSpec, o.outSpec];
  } else {
    throw new ShapeError(`${op}: dimensionNumbers must be three layout strings such as ["NHWC", "HWIO", "NHWC"] or index tuples, got ${describe(dn)}`);
  }
  const names = ["lhsSpec", "rhsSpec", "outSpec"];
  const specs = tuples.map((t, i) => {
    if (!Array.isArray(t)) throw new ShapeError(`${op}: dimensionNumbers.${names[i]} must be a JS array of axes, got ${describe(t)}`);
    const v = t.map((x, j) => intArg(op, `dimensionNumbers.${names[i]}[${j}]`, x));
    if (!isPermutation(v, nd)) throw new ShapeError(`${op}: dimensionNumbers.${names[i]} must be a permutation of 0..${nd - 1}, got [${v.join(", ")}]`);
    return v;
  });
  return { lhsSpec: specs[0], rhsSpec: specs[1], outSpec: specs[2] };
}

/** JAX's padtype_to_pads: "SAME" (extra at the end), "SAME_LOWER" (extra at the start), "VALID". */
function padsFor(op: string, kind: string, inS: number[], windowS: number[], strides: number[]): number[][] {
  const upper = kind.toUpperCase();
  if (upper === "VALID") return inS.map(() => [0, 0]);
  if (upper !== "SAME" && upper !== "SAME_LOWER") throw new ShapeError(`${op}: padding must be "SAME", "SAME_LOWER", "VALID" or [low, high] pairs, got ${describe(kind)}`);
  return inS.map((d, i) => {
    const out = Math.ceil(d / strides[i]);
    const total = Math.max(0, (out - 1) * strides[i] + windowS[i] - d);
    const small = Math.floor(total / 2);
    return upper === "SAME" ? [small, total - small] : [total - small, small];
  });
}

function explicitPadding(op: string, padding: unknown, ns: number): number[][] {
  if (!Array.isArray(padding) || padding.length !== ns) {
    throw new ShapeError(`${op}: padding must be "SAME", "SAME_LOWER", "VALID" or ${ns} [low, high] pairs, got ${describe(padding)}`);
  }
  return padding.map((pr, i) => {
    if (!Array.isArray(pr) || pr.length !== 2) throw new ShapeError(`${op}: padding[${i}] must be a [low, high] pair, got ${describe(pr)}`);
    return [intArg(op, `padding[${i}][0]`, pr[0]), intArg(op, `padding[${i}][1]`, pr[1])];
  });
}

function precisionArg(op: string, precision: unknown): void {
  const ok = (p: unknown) => p === undefined || p === null || p === "DEFAULT" || p === "HIGH" || p === "HIGHEST" || p === "default" || p === "high" || p === "highest";
  if (ok(precision) || (Array.isArray(precision) && precision.length === 2 && precision.every(ok))) return;
  throw new ShapeError(`${op}: precision must be "DEFAULT", "HIGH", "HIGHEST" (or a pair of them), got ${describe(precision)}`);
}

export interface ConvGeneralDilatedOptions {
  /** Input dilation per spatial axis (a transposed convolution's stride); default 1. */
  lhsDilation?: number[];
  /** Kernel dilation per spatial axis (atrous convolution); default 1. */
  rhsDilation?: number[];
  /** Layouts: `["NHWC", "HWIO", "NHWC"]`, index tuples, or undefined for NCHW/OIHW/NCHW. */
  dimensionNumbers?: [string, string, string] | ConvDimensionNumbers | [number[], number[], number[]];
  featureGroupCount?: number;
  batchGroupCount?: number;
  /** Accepted for JAX compatibility; jaxon always computes at the operands' precision. */
  precision?: string | [string, string] | null;
  preferredElementType?: DType;
}

/**
 * General N-dimensional convolution with strides, padding, input (lhs) and
 * kernel (rhs) dilation, any layout, and feature/batch groups, as
 * `jax.lax.conv_general_dilated`. `padding` is "SAME", "SAME_LOWER", "VALID"
 * or one [low, high] pair per spatial axis.
 * @example
 * const x = np.ones([1, 5, 5, 2]);          // NHWC
 * const w = np.ones([3, 3, 2, 4]);          // HWIO
 * const y = lax.convGeneralDilated(x, w, [1, 1], "SAME", { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] });
 * y.shape; // [1, 5, 5, 4]
 */
export function convGeneralDilated(lhs: Value, rhs: Value, windowStrides: number[], padding: string | number[][], options?: ConvGeneralDilatedOptions): Value {
  return convGeneralImpl(OP, lhs, rhs, windowStrides, padding, options);
}

function convGeneralImpl(op: string, lhs: Value, rhs: Value, windowStrides: unknown, padding: unknown, options?: ConvGeneralDilatedOptions): Value {
  lhs = operandArg(op, lhs);
  rhs = operandArg(op, rhs);
  const o = optionsArg(op, options);
  const dn = dimensionNumbersArg(op, lhs.ndim, rhs.ndim, o.dimensionNumbers);
  const ns = lhs.ndim - 2;
  if (ns < 0) throw new ShapeError(`${op}: operands need at least a batch and a feature dimension, got lhs ${fmtShape(lhs.shape)}`);
  const strides = positiveInts(op, "windowStrides", windowStrides, ns);
  const lhsDilation = o.lhsDilation === undefined || o.lhsDilation === null ? strides.map(() => 1) : positiveInts(op, "lhsDilation", o.lhsDilation, ns);
  const rhsDilation = o.rhsDilation === undefined || o.rhsDilation === null ? strides.map(() => 1) : positiveInts(op, "rhsDilation", o.rhsDilation, ns);
  const featureGroupCount = o.featureGroupCount === undefined ? 1 : intArg(op, "featureGroupCount", o.featureGroupCount);
  const batchGroupCount = o.batchGroupCount === undefined ? 1 : intArg(op, "batchGroupCount", o.batchGroupCount);
  precisionArg(op, o.precision);
  const preferredElementType = o.preferredElementType === undefined || o.preferredElementType === null ? undefined : checkDType(o.preferredElementType, op);
  let pads: number[][];
  if (typeof padding === "string") {
    if (lhsDilation.some((d) => d !== 1)) {
      throw new ShapeError(`${op}: string padding is not defined with lhsDilation; give explicit [low, high] pairs or use lax.convTranspose`);
    }
    const window = take(rhs.shape, dn.rhsSpec.slice(2)).map((k, i) => dilateDim(k, rhsDilation[i]));
    pads = padsFor(op, padding, take(lhs.shape, dn.lhsSpec.slice(2)), window, strides);
  } else pads = explicitPadding(op, padding, ns);
  const params: ConvParams = {
    windowStrides: strides,
    padding: pads,
    lhsDilation,
    rhsDilation,
    dimensionNumbers: dn,
    featureGroupCount,
    batchGroupCount,
    ...(preferredElementType ? { preferredElementType } : {}),
  };
  convShape(op, lhs.aval, rhs.aval, params); // errors name the public op
  return convP_(lhs, rhs, params);
}

/**
 * Convolution in NCHW/OIHW layout with strides and padding, as `jax.lax.conv`.
 * @example
 * lax.conv(np.ones([1, 1, 4, 4]), np.ones([2, 1, 3, 3]), [1, 1], "VALID").shape; // [1, 2, 2, 2]
 */
export function conv(lhs: Value, rhs: Value, windowStrides: number[], padding: string | number[][], precision?: string | null, preferredElementType?: DType): Value {
  return convGeneralImpl("lax.conv", lhs, rhs, windowStrides, padding, { precision, preferredElementType });
}

/**
 * Convolution in NCHW/OIHW layout with explicit padding and dilations, as
 * `jax.lax.conv_with_general_padding`.
 * @example
 * lax.convWithGeneralPadding(np.ones([1, 1, 4, 4]), np.ones([1, 1, 2, 2]), [1, 1], [[1, 1], [0, 0]], [1, 1], [2, 2]).shape; // [1, 1, 4, 2]
 */
export function convWithGeneralPadding(
  lhs: Value,
  rhs: Value,
  windowStrides: number[],
  padding: string | number[][],
  lhsDilation?: number[] | null,
  rhsDilation?: number[] | null,
  precision?: string | null,
  preferredElementType?: DType,
): Value {
  return convGeneralImpl("lax.convWithGeneralPadding", lhs, rhs, windowStrides, padding, {
    lhsDilation: lhsDilation ?? undefined,
    rhsDilation: rhsDilation ?? undefined,
    precision,
    preferredElementType,
  });
}

/** JAX's _conv_transpose_padding for one spatial axis. */
function convTransposePadding(op: string, k: number, s: number, padding: unknown): [number, number] {
  let padLen: number;
  let a: number;
  if (padding === "SAME") {
    padLen = k + s - 2;
    a = s > k - 1 ? k - 1 : Math.ceil(padLen / 2);
  } else if (padding === "VALID") {
    padLen = k + s - 2 + Math.max(k - s, 0);
    a = k - 1;
  } else if (Array.isArray(padding) && padding.length === 2) {
    const lo = k - intArg(op, "padding low", padding[0]) - 1;
    const hi = k - intArg(op, "padding high", padding[1]) - 1;
    a = lo;
    padLen = lo + hi;
  } else throw new ShapeError(`${op}: padding must be "SAME", "VALID" or [low, high] pairs, got ${describe(padding)}`);
  return [a, padLen - a];
}

export interface ConvTransposeOptions {
  rhsDilation?: number[];
  /** Layouts; default NHWC/HWIO/NHWC (for 2-D; the analogue for 1-D and 3-D), as JAX. */
  dimensionNumbers?: [string, string, string] | ConvDimensionNumbers | [number[], number[], number[]];
  /** Flip the kernel's spatial axes and swap its feature axes (the gradient of a forward convolution, as Keras's Conv2DTranspose). */
  transposeKernel?: boolean;
  precision?: string | [string, string] | null;
  preferredElementType?: DType;
  /** Interpret explicit padding pairs as the forward convolution's padding (PyTorch's convention). */
  useConsistentPadding?: boolean;
}

/**
 * The transposed ("fractionally strided") convolution, as
 * `jax.lax.conv_transpose`: `strides` dilate the input. The default layout is
 * NHWC / HWIO / NHWC.
 * @example
 * lax.convTranspose(np.ones([1, 3, 3, 1]), np.ones([2, 2, 1, 1]), [2, 2], "SAME").shape; // [1, 6, 6, 1]
 */
export function convTranspose(lhs: Value, rhs: Value, strides: number[], padding: string | number[][], options?: ConvTransposeOptions): Value {
  const op = "lax.convTranspose";
  lhs = operandArg(op, lhs);
  rhs = operandArg(op, rhs);
  const o = optionsArg(op, options);
  const nd = lhs.ndim;
  if (nd !== rhs.ndim || nd < 2) throw new ShapeError(`${op}: lhs ${fmtShape(lhs.shape)} and rhs ${fmtShape(rhs.shape)} must have the same number (≥ 2) of dimensions`);
  let dnArg: unknown = o.dimensionNumbers;
  if (dnArg === undefined || dnArg === null) {
    const defaults: Record<number, [string, string, string]> = {
      2: ["NC", "IO", "NC"],
      3: ["NHC", "HIO", "NHC"],
      4: ["NHWC", "HWIO", "NHWC"],
      5: ["NHWDC", "HWDIO", "NHWDC"],
    };
    if (!defaults[nd]) throw new ShapeError(`${op}: no default dimensionNumbers for ${nd}-dimensional operands; pass dimensionNumbers`);
    dnArg = defaults[nd];
  }
  const dn = dimensionNumbersArg(op, nd, rhs.ndim, dnArg);
  const ns = nd - 2;
  const s = positiveInts(op, "strides", strides, ns);
  const rhsDilation = o.rhsDilation === undefined || o.rhsDilation === null ? s.map(() => 1) : positiveInts(op, "rhsDilation", o.rhsDilation, ns);
  if (o.transposeKernel !== undefined && typeof o.transposeKernel !== "boolean") throw new ShapeError(`${op}: transposeKernel must be true or false, got ${describe(o.transposeKernel)}`);
  if (o.useConsistentPadding !== undefined && typeof o.useConsistentPadding !== "boolean") {
    throw new ShapeError(`${op}: useConsistentPadding must be true or false, got ${describe(o.useConsistentPadding)}`);
  }
  const kS = take(rhs.shape, dn.rhsSpec.slice(2));
  let pads: string | number[][];
  if (o.useConsistentPadding || padding === "SAME" || padding === "VALID") {
    const per = typeof padding === "string" ? s.map(() => padding) : explicitPadding(op, padding, ns);
    pads = kS.map((k, i) => convTransposePadding(op, dilateDim(k, rhsDilation[i]), s[i], per[i]));
  } else if (typeof padding === "string") {
    throw new ShapeError(`${op}: padding must be "SAME", "VALID" or [low, high] pairs, got ${describe(padding)}`);
  } else pads = explicitPadding(op, padding, ns);
  let r = rhs;
  if (o.transposeKernel) {
    r = rev(r, dn.rhsSpec.slice(2));
    const perm = range(nd);
    perm[dn.rhsSpec[0]] = dn.rhsSpec[1];
    perm[dn.rhsSpec[1]] = dn.rhsSpec[0];
    r = transpose(r, perm);
  }
  return convGeneralImpl(op, lhs, r, s.map(() => 1), pads, {
    lhsDilation: s,
    rhsDilation,
    dimensionNumbers: dn,
    precision: o.precision,
    preferredElementType: o.preferredElementType,
  });
}

// ---- StableHLO lowering (exportStableHLO) ----------------------------------------------------

// `stablehlo.convolution` takes the same parameters; a preferred element type
// converts the operands first (the result then has that type, as jaxon's)
lowersToStablehlo(convGeneralDilatedP, (ctx, [lhs, rhs], p, _a, [out]) => {
  const as = (v: HloValue) => (v.dtype === out.dtype ? v : ctx.b.op1("stablehlo.convert", [v], { shape: v.shape, dtype: out.dtype }));
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers;
  return [
    ctx.b.op1("stablehlo.convolution", [as(lhs), as(rhs)], { shape: out.shape, dtype: out.dtype }, {
      window_strides: attr.i64s(p.windowStrides),
      padding: attr.pairs(p.padding.map(([lo, hi]): [number, number] => [lo, hi])),
      lhs_dilation: attr.i64s(p.lhsDilation),
      rhs_dilation: attr.i64s(p.rhsDilation),
      dimension_numbers: attr.conv(lhsSpec, rhsSpec, outSpec),
      feature_group_count: attr.int(p.featureGroupCount),
      batch_group_count: attr.int(p.batchGroupCount),
    }),
  ];
});
