/**
 * dot_general: contraction over paired axes with batch axes, as XLA's
 * DotGeneral. Output axes are (batch, lhs free, rhs free). It lowers to the
 * device's matmul routine over [batch, m, k] × [batch, k, n] views; when an
 * operand's axis groups cannot be viewed that way without a copy, the
 * `dotGeneral` function transposes it first.
 */
import type { DotParams as DotRoutineParams } from "../backend/device.js";
import type { DType } from "../dtype.js";
import { checkDType, isComplexDType, isFloat } from "../dtype.js";
import { complexDotGeneral } from "./complex-dot.js";
import { describe, intsArg } from "../static-args.js";
import { DTypeError, ShapeError } from "../errors.js";
import { contiguousStrides, fmtShape, sizeOf } from "../shape.js";
import type { Primitive, Value } from "../trace/core.js";
import { addTangents, convert, mul, operandArg } from "./elementwise.js";
import type { AffineIndexMap } from "./primitive.js";
import { bind1, definePrimitive, isUndefined, isZero, lowersToStablehlo, ShapedArray, Zero } from "./primitive.js";
import { attr } from "../backend/stablehlo.js";
import { broadcastInDim, moveAxis, transpose } from "./shape.js";

export interface DotDimensionNumbers {
  /** [lhs axes, rhs axes] summed over, pairwise. */
  contracting: [number[], number[]];
  /** [lhs axes, rhs axes] of equal size that are kept, in the output's leading axes. */
  batch: [number[], number[]];
}
type DotParams = { dimensionNumbers: DotDimensionNumbers; preferredElementType?: DType };

/** `{ contracting: [lhs, rhs], batch: [lhs, rhs] }` from user code, checked and copied (params reach generated code). */
function dimensionNumbersArg(op: string, dn: unknown): DotDimensionNumbers {
  const pair = (v: unknown, name: string): [number[], number[]] => {
    if (!Array.isArray(v) || v.length !== 2) throw new ShapeError(`${op}: dimensionNumbers.${name} must be [lhs axes, rhs axes], got ${describe(v)}`);
    return [intsArg(op, `dimensionNumbers.${name}[0]`, v[0]), intsArg(op, `dimensionNumbers.${name}[1]`, v[1])];
  };
  if (typeof dn !== "object" || dn === null || Array.isArray(dn)) {
    throw new ShapeError(`${op}: dimensionNumbers must be { contracting: [lhsAxes, rhsAxes], batch: [lhsAxes, rhsAxes] }, got ${describe(dn)}`);
  }
  const { contracting, batch } = dn as { contracting?: unknown; batch?: unknown };
  return { contracting: pair(contracting, "contracting"), batch: batch === undefined ? [[], []] : pair(batch, "batch") };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const freeAxes = (ndim: number, ...used: number[][]) => range(ndim).filter((i) => !used.some((u) => u.includes(i)));

function checkDims(lhs: ShapedArray, rhs: ShapedArray, { contracting: [lc, rc], batch: [lb, rb] }: DotDimensionNumbers) {
  const fail = (why: string) => {
    throw new ShapeError(
      `lax.dotGeneral: ${why} (lhs ${fmtShape(lhs.shape)}, rhs ${fmtShape(rhs.shape)}, contracting ${JSON.stringify([lc, rc])}, ` +
        `batch ${JSON.stringify([lb, rb])})`,
    );
  };
  if (lc.length !== rc.length) fail("contracting axis lists differ in length");
  if (lb.length !== rb.length) fail("batch axis lists differ in length");
  const valid = (axes: number[], nd: number) => axes.every((a) => Number.isInteger(a) && a >= 0 && a < nd) && new Set(axes).size === axes.length;
  if (!valid([...lc, ...lb], lhs.ndim) || !valid([...rc, ...rb], rhs.ndim)) fail("axes are out of range or repeated");
  lc.forEach((a, i) => lhs.shape[a] !== rhs.shape[rc[i]] && fail(`contracting sizes differ: lhs axis ${a} has ${lhs.shape[a]}, rhs axis ${rc[i]} has ${rhs.shape[rc[i]]}`));
  lb.forEach((a, i) => lhs.shape[a] !== rhs.shape[rb[i]] && fail(`batch sizes differ: lhs axis ${a} has ${lhs.shape[a]}, rhs axis ${rb[i]} has ${rhs.shape[rb[i]]}`));
}

/** The single stride that walks a group of axes (in the given order) of a contiguous array, or null if none does. */
function groupStride(shape: readonly number[], strides: number[], axes: number[]): number | null {
  const real = axes.filter((a) => shape[a] !== 1);
  for (let i = 0; i + 1 < real.length; i++) if (strides[real[i]] !== strides[real[i + 1]] * shape[real[i + 1]]) return null;
  return real.length ? strides[real[real.length - 1]] : 0;
}

function viewable(x: { shape: readonly number[] }, groups: number[][]): boolean {
  const s = contiguousStrides(x.shape);
  return groups.every((g) => groupStride(x.shape, s, g) !== null);
}

/** Contractions up to this many terms are fused as sums of products (see FusionRole "contract"). */
const SHORT_CONTRACTION = 4;

/**
 * For a float contraction of at most SHORT_CONTRACTION terms: per contracted
 * coordinate, the maps from an output index (batch, lhs free, rhs free) to
 * each operand's index, the contracted axes held at that coordinate.
 */
function shortContraction([lhs, rhs]: ShapedArray[], { dimensionNumbers: { contracting: [lc, rc], batch: [lb, rb] } }: DotParams, out: ShapedArray) {
  const extents = lc.map((a) => lhs.shape[a]);
  const k = sizeOf(extents);
  if (k === 0 || k > SHORT_CONTRACTION || !isFloat(out.dtype)) return null;
  const lf = freeAxes(lhs.ndim, lc, lb);
  const rf = freeAxes(rhs.ndim, rc, rb);
  // an operand axis reads output column `col`, or is held at contracted coordinate `at`
  const mapFor = (ndim: number, batch: number[], contract: number[], free: number[], firstFreeCol: number, coord: number[]) => {
    const coeffs = range(ndim).map(() => range(out.ndim).map(() => 0));
    const offset = range(ndim).map(() => 0);
    batch.forEach((a, i) => (coeffs[a][i] = 1));
    free.forEach((a, i) => (coeffs[a][firstFreeCol + i] = 1));
    contract.forEach((a, i) => (offset[a] = coord[i]));
    return { coeffs, offset };
  };
  const terms: [AffineIndexMap, AffineIndexMap][] = [];
  for (let t = 0; t < k; t++) {
    // the t-th contracted coordinate, row-major over the contracted extents
    const coord = extents.map(() => 0);
    for (let i = extents.length - 1, r = t; i >= 0; i--) {
      coord[i] = r % extents[i];
      r = Math.floor(r / extents[i]);
    }
    terms.push([mapFor(lhs.ndim, lb, lc, lf, lb.length, coord), mapFor(rhs.ndim, rb, rc, rf, lb.length + lf.length, coord)]);
  }
  return terms;
}

export const dotGeneralP: Primitive<DotParams> = definePrimitive<DotParams>("dot_general", {
  params: { dimensionNumbers: "intRecord", preferredElementType: "dtype?" },
  abstractEval([lhs, rhs], { dimensionNumbers: dn, preferredElementType }) {
    if (lhs.dtype !== rhs.dtype) {
      throw new DTypeError(`lax.dotGeneral: operand dtypes ${lhs.dtype} and ${rhs.dtype} differ; convert one (np.matmul promotes for you)`);
    }
    checkDims(lhs, rhs, dn);
    const [lc, rc] = dn.contracting;
    const [lb, rb] = dn.batch;
    const shape = [...lb.map((a) => lhs.shape[a]), ...freeAxes(lhs.ndim, lc, lb).map((a) => lhs.shape[a]), ...freeAxes(rhs.ndim, rc, rb).map((a) => rhs.shape[a])];
    return [new ShapedArray(shape, preferredElementType ?? lhs.dtype, lhs.weakType && rhs.weakType)];
  },
  lower([lhs, rhs], { dimensionNumbers: { contracting: [lc, rc], batch: [lb, rb] } }) {
    const ls = contiguousStrides(lhs.shape);
    const rs = contiguousStrides(rhs.shape);
    const lf = freeAxes(lhs.ndim, lc, lb);
    const rf = freeAxes(rhs.ndim, rc, rb);
    const stride = (x: ShapedArray, s: number[], g: number[]) => {
      const v = groupStride(x.shape, s, g);
      if (v === null) throw new Error("dot_general lowering: operand axes are not viewable; dotGeneral should have transposed it");
      return v;
    };
    return {
      kind: "routine",
      routine: "dot",
      params: {
        batch: sizeOf(lb.map((a) => lhs.shape[a])),
        m: sizeOf(lf.map((a) => lhs.shape[a])),
        n: sizeOf(rf.map((a) => rhs.shape[a])),
        k: sizeOf(lc.map((a) => lhs.shape[a])),
        lhsStrides: [stride(lhs, ls, lb), stride(lhs, ls, lf), stride(lhs, ls, lc)],
        rhsStrides: [stride(rhs, rs, rb), stride(rhs, rs, rc), stride(rhs, rs, rf)],
        lhsOffset: 0,
        rhsOffset: 0,
      } satisfies DotRoutineParams,
    };
  },
  // the matmul routine takes an elementwise consumer as its epilogue (bias, activation)
  fusion: { kind: "contract", terms: shortContraction, epilogue: true },
  jvp([lhs, rhs], [tl, tr], params) {
    const out = bind1(dotGeneralP, [lhs, rhs], params);
    const dn = params.dimensionNumbers;
    let t = isZero(tl) ? new Zero(out.aval.strong()) : dotGeneral(tl, rhs, dn, params.preferredElementType);
    if (!isZero(tr)) t = addTangents(t, dotGeneral(lhs, tr, dn, params.preferredElementType));
    return [[out], [t]];
  },
  transpose([ct], [lhs, rhs], { dimensionNumbers: { contracting: [lc, rc], batch: [lb, rb] } }) {
    const lhsAval = (lhs as { aval: ShapedArray }).aval;
    const rhsAval = (rhs as { aval: ShapedArray }).aval;
    if (isZero(ct)) return [new Zero(lhsAval), new Zero(rhsAval)];
    const nb = lb.length;
    const lf = freeAxes(lhsAval.ndim, lc, lb);
    const rf = freeAxes(rhsAval.ndim, rc, rb);
    const ctBatch = range(nb);
    const ctLf = lf.map((_, i) => nb + i);
    const ctRf = rf.map((_, i) => nb + lf.length + i);
    // place each axis of a result back where the operand has it
    const arrange = (res: Value, origin: number[]) => {
      const perm = range(origin.length).map((d) => origin.indexOf(d));
      return transpose(res, perm);
    };
    let ctLhs: Value | Zero = new Zero(lhsAval);
    let ctRhs: Value | Zero = new Zero(rhsAval);
    if (isUndefined(lhs)) {
      const res = dotGeneral(ct, rhs as Value, { contracting: [ctRf, rf], batch: [ctBatch, rb] });
      const rcSorted = [...rc].sort((a, b) => a - b);
      ctLhs = arrange(res, [...lb, ...lf, ...rcSorted.map((r) => lc[rc.indexOf(r)])]);
    }
    if (isUndefined(rhs)) {
      const res = dotGeneral(lhs as Value, ct, { contracting: [lf, ctLf], batch: [lb, ctBatch] });
      const lcSorted = [...lc].sort((a, b) => a - b);
      ctRhs = arrange(res, [...rb, ...lcSorted.map((l) => rc[lc.indexOf(l)]), ...rf]);
    }
    return [ctLhs, ctRhs];
  },
  batch([lhs, rhs], [bl, br], { dimensionNumbers: { contracting: [lc, rc], batch: [lb, rb] }, preferredElementType }) {
    const shift = (axes: number[], b: number) => axes.map((a) => (a >= b ? a + 1 : a));
    if (bl !== null && br !== null) {
      const l = moveAxis(lhs, bl, 0);
      const r = moveAxis(rhs, br, 0);
      const inc = (a: number[]) => a.map((x) => x + 1);
      return [[dotGeneral(l, r, { contracting: [inc(lc), inc(rc)], batch: [[0, ...inc(lb)], [0, ...inc(rb)]] }, preferredElementType)], [0]];
    }
    if (bl !== null) {
      const dn = { contracting: [shift(lc, bl), rc] as [number[], number[]], batch: [shift(lb, bl), rb] as [number[], number[]] };
      const lf = freeAxes(lhs.ndim, dn.contracting[0], dn.batch[0]);
      return [[dotGeneral(lhs, rhs, dn, preferredElementType)], [lb.length + lf.indexOf(bl)]];
    }
    const dn = { contracting: [lc, shift(rc, br!)] as [number[], number[]], batch: [lb, shift(rb, br!)] as [number[], number[]] };
    const rf = freeAxes(rhs.ndim, dn.contracting[1], dn.batch[1]);
    const lfCount = lhs.ndim - lc.length - lb.length;
    return [[dotGeneral(lhs, rhs, dn, preferredElementType)], [lb.length + lfCount + rf.indexOf(br!)]];
  },
});

/**
 * A contraction over no axes is an elementwise product of broadcasts (vmap of
 * grad makes these): written that way it fuses with its neighbours instead
 * of running as many one-element matmuls.
 */
function outerProduct(lhs: Value, rhs: Value, lb: number[], rb: number[], preferredElementType?: DType): Value {
  const lf = freeAxes(lhs.ndim, lb);
  const rf = freeAxes(rhs.ndim, rb);
  const shape = [...lb.map((a) => lhs.shape[a]), ...lf.map((a) => lhs.shape[a]), ...rf.map((a) => rhs.shape[a])];
  const nb = lb.length;
  const l = broadcastInDim(transpose(lhs, [...lb, ...lf]), shape, range(nb + lf.length));
  const r = broadcastInDim(transpose(rhs, [...rb, ...rf]), shape, [...range(nb), ...rf.map((_, i) => nb + lf.length + i)]);
  const out = mul(l, r);
  return preferredElementType ? convert(out, preferredElementType) : out;
}

/**
 * General tensor contraction. Output axes: batch axes, then the lhs's free
 * axes, then the rhs's free axes (each in ascending order).
 * @example
 * // matrix product of [2,3] and [3,4]:
 * lax.dotGeneral(a, b, { contracting: [[1], [0]], batch: [[], []] }); // shape [2, 4]
 */
export function dotGeneral(lhs: Value, rhs: Value, dimensionNumbers: DotDimensionNumbers, preferredElementType?: DType): Value {
  const op = "lax.dotGeneral";
  lhs = operandArg(op, lhs);
  rhs = operandArg(op, rhs);
  if (preferredElementType !== undefined) preferredElementType = checkDType(preferredElementType, op);
  dimensionNumbers = dimensionNumbersArg(op, dimensionNumbers);
  let { contracting: [lc, rc], batch: [lb, rb] } = dimensionNumbers;
  // complex operands: real matmuls on the parts (src/lax/complex-dot.ts)
  if (isComplexDType(lhs.dtype) || isComplexDType(rhs.dtype)) return complexDotGeneral(lhs, rhs, dimensionNumbers, preferredElementType, dotGeneral);
  checkDims(lhs.aval, rhs.aval, dimensionNumbers);
  if (lc.length === 0 && lhs.dtype === rhs.dtype) return outerProduct(lhs, rhs, lb, rb, preferredElementType);
  // make each operand viewable as [batch, free, contract] without copies inside the routine
  if (!viewable(lhs, [lb, freeAxes(lhs.ndim, lc, lb), lc])) {
    const perm = [...lb, ...freeAxes(lhs.ndim, lc, lb), ...lc];
    lhs = transpose(lhs, perm);
    lb = lb.map((_, i) => i);
    lc = lc.map((_, i) => lhs.ndim - lc.length + i);
  }
  if (!viewable(rhs, [rb, rc, freeAxes(rhs.ndim, rc, rb)])) {
    const perm = [...rb, ...rc, ...freeAxes(rhs.ndim, rc, rb)];
    rhs = transpose(rhs, perm);
    rb = rb.map((_, i) => i);
    rc = rc.map((_, i) => rb.length + i);
  }
  return bind1(dotGeneralP, [lhs, rhs], {
    dimensionNumbers: { contracting: [lc, rc], batch: [lb, rb] },
    ...(preferredElementType ? { preferredElementType } : {}),
  });
}

// ---- StableHLO lowering (exportStableHLO) ----------------------------------------------------

lowersToStablehlo(dotGeneralP, (ctx, [lhs, rhs], { dimensionNumbers: { contracting: [lc, rc], batch: [lb, rb] } }, _a, [o]) => [
  ctx.b.op1("stablehlo.dot_general", [lhs, rhs], { shape: o.shape, dtype: o.dtype }, {
    dot_dimension_numbers: attr.struct("dot", {
      lhs_batching_dimensions: lb,
      rhs_batching_dimensions: rb,
      lhs_contracting_dimensions: lc,
      rhs_contracting_dimensions: rc,
    }),
  }),
]);
