/**
 * `scan` (behind `lax.scan` and `lax.foriLoop` with static bounds). jvp is one
 * scan carrying primals and tangents; partialEval splits it into a known scan
 * (stacking the residuals as extra outputs) and a linear one, so grad runs two
 * scans; transpose scans the transposed body the other way (with a forward
 * scan first only when the linear part reads known carries).
 */
import type { Concrete as Array } from "../../trace/core.js";
import { isInexact } from "../../dtype.js";
import { ShapeError } from "../../errors.js";
import { describe, functionArg, optionsArg } from "../../static-args.js";
import type { MaybeZero, Value } from "../../trace/core.js";
import { bind, ShapedArray, UndefinedPrimal, Zero } from "../../trace/core.js";
import { Jaxpr } from "../../trace/jaxpr.js";
import { flatten, type TreeDef } from "../../trace/pytree.js";
import { dce } from "../../trace/simplify.js";
import { mergeLists, orMasks, partitionList, pick, splitList } from "../../trace/lists.js";
import { type JaxprMemo, maskKey, memoOnJaxpr, type PartialJaxpr, partialEvalJaxpr, residualValues } from "../../trace/partial-eval.js";
import { flattenArgs, rebuild } from "../../transforms/args.js";
import { jvpJaxpr } from "../../transforms/jvp.js";
import { transposeJaxpr } from "../../transforms/linearize.js";
import { vmap } from "../../transforms/vmap.js";
import { type FlatFn, jaxprAsFun } from "../../transforms/flat.js";
import { add, instantiate, zerosOf } from "../elementwise.js";
import { definePrimitive, isUndefined, isZero, lowersToStablehlo, scalar } from "../primitive.js";
import { attr } from "../../backend/stablehlo.js";
import { compare, full } from "../stablehlo-ops.js";
import { concatenate, moveAxis, reshape, slice } from "../shape.js";

import { Temporaries, type Axis, avalsOf, batchSize, carryFixedPoint, dependents, evalKnown, residualInputs, runCompiled, toFront, traceLoopBody, vmapFlat } from "./shared.js";

type ScanParams = { jaxpr: Jaxpr; length: number; reverse: boolean; numConsts: number; numCarry: number };

function bindScan(op: string, body: FlatFn, consts: Value[], init: Value[], xs: Value[], length: number, reverse: boolean): Value[] {
  const sliceAvals = xs.map((x) => new ShapedArray(x.shape.slice(1), x.dtype, x.weakType));
  const { body: traced, init: carry } = traceLoopBody(op, body, avalsOf(consts), init, sliceAvals);
  return bind(scanP, [...traced.consts, ...consts, ...carry, ...xs], {
    jaxpr: traced.jaxpr,
    length,
    reverse,
    numConsts: traced.consts.length + consts.length,
    numCarry: carry.length,
  });
}

/** A scan's inputs (or anything laid out like them): consts, carry, xs. */
function splitScan<T>(xs: T[], p: ScanParams): [T[], T[], T[]] {
  return splitList(xs, [p.numConsts, p.numCarry]) as [T[], T[], T[]];
}

const scanJvpCache: JaxprMemo<{ body: Jaxpr; carryNonzero: boolean[]; yNonzero: boolean[]; inNonzero: boolean[] }> = new WeakMap();

/**
 * The body of a scan's JVP, in scan layout: consts, their tangents, carries,
 * their tangents, xs, their tangents. A carry has a tangent if its initial
 * value does or its new value depends on one (a fixed point); an integer carry never.
 */
function scanJvpBody(p: ScanParams, primals: Value[], nonzeros: boolean[]) {
  const carryFloat = splitScan(primals, p)[1].map((c) => isInexact(c.dtype));
  return memoOnJaxpr(scanJvpCache, p.jaxpr, maskKey(nonzeros) + maskKey(carryFloat), () => {
    const [constNZ, carryNZ0, xNZ] = splitScan(nonzeros, p);
    const carryNonzero = carryFixedPoint(p.jaxpr, constNZ, carryNZ0, xNZ, (i) => carryFloat[i]).carry;
    const inNonzero = [...constNZ, ...carryNonzero, ...xNZ];
    const nK = p.numCarry;
    const nY = p.jaxpr.outs.length - nK;
    const jj = jvpJaxpr(p.jaxpr, inNonzero, [...carryNonzero, ...new globalThis.Array<boolean>(nY).fill(false)]);
    const [, carryOutNZ, yNonzero] = splitList(jj.outNonzero, [0, nK]);
    if (carryOutNZ.some((nz, i) => nz !== carryNonzero[i])) throw new Error("lax.scan jvp: a carry's tangent is nonzero outside its fixed point");
    const nC = p.numConsts;
    const nX = p.jaxpr.invars.length - nC - nK;
    const [pc, pk, px, tc, tk, tx] = splitList(jj.jaxpr.invars, [nC, nK, nX, pick(constNZ, constNZ).length, pick(carryNonzero, carryNonzero).length]);
    const [ok, oy, otk, oty] = splitList(jj.jaxpr.outs, [nK, nY, pick(carryNonzero, carryNonzero).length]);
    const body = new Jaxpr([], [...pc, ...tc, ...pk, ...tk, ...px, ...tx], jj.jaxpr.eqns, [...ok, ...otk, ...oy, ...oty]);
    return { body, carryNonzero, yNonzero, inNonzero };
  });
}

interface ScanPartial {
  carryUnknown: boolean[];
  yUnknown: boolean[];
  pe: PartialJaxpr;
  /** The known scan's body: pe.known without the loop-invariant residuals. */
  knownBody: Jaxpr;
  /** Known consts → the residuals that do not change from step to step, computed once before the loop. */
  hoist: Jaxpr;
  /** Per computed residual: computed by `hoist` (else stacked by the known scan). */
  computedInvariant: boolean[];
  /** The unknown scan's body: unknown consts, const residuals, unknown carries, unknown xs, xs residuals. */
  body: Jaxpr;
  /** Per residual: a const of the unknown scan (else one of its xs). */
  constResidual: boolean[];
  numUnknownConsts: number;
}
const scanPartialCache: JaxprMemo<ScanPartial> = new WeakMap();

/**
 * The split of a scan body into its known and unknown parts, as JAX's
 * `_scan_partial_eval`: a carry is unknown if its initial value is or its
 * new value depends on an unknown (a fixed point); the known body also
 * returns, as extra ys, the residuals that the unknown body reads at each step.
 */
function scanPartial(p: ScanParams, unknown: boolean[]): ScanPartial {
  return memoOnJaxpr(scanPartialCache, p.jaxpr, maskKey(unknown), () => {
    const [constU, carryU0, xU] = splitScan(unknown, p);
    const nK = p.numCarry;
    const nY = p.jaxpr.outs.length - nK;
    const nC = p.numConsts;
    // a carry changes every step: it is a residual only as a stacked copy
    const forwardable = [...constU.map(() => true), ...carryU0.map(() => false), ...xU.map(() => true)];
    // the fixed point is over the split itself, not syntactic dependence: a nested call
    // (cond, jit) with an unknown input may still have known outputs
    let carryUnknown = carryU0;
    let pe: PartialJaxpr;
    for (;;) {
      pe = partialEvalJaxpr(p.jaxpr, [...constU, ...carryUnknown, ...xU], [...carryUnknown, ...new globalThis.Array<boolean>(nY).fill(false)], forwardable);
      const next = orMasks(carryUnknown, pe.outUnknown.slice(0, nK));
      if (next.every((u, i) => u === carryUnknown[i])) break;
      carryUnknown = next;
    }
    const yUnknown = pe.outUnknown.slice(nK);
    // residuals that depend on the consts only are the same at every step: computed once and
    // passed as consts, instead of stacked `length` times (JAX hoists them the same way)
    const numConstIns = pe.knownConsts.length + constU.filter((u) => !u).length;
    const numComputed = pe.residualSources.filter((r) => r === null).length;
    const numPlainOuts = pe.known.outs.length - numComputed;
    const variant = dependents(pe.known, pe.known.invars.map((_, i) => i >= numConstIns));
    const computedInvariant = variant.slice(numPlainOuts).map((v) => !v);
    const [plainOuts, computedOuts] = splitList(pe.known.outs, [numPlainOuts]);
    const [stackedOuts, invariantOuts] = partitionList(computedInvariant, computedOuts);
    const hoist = dce(new Jaxpr([], pe.known.invars.slice(0, numConstIns), pe.known.eqns, invariantOuts));
    const knownBody = dce(new Jaxpr([], pe.known.invars, pe.known.eqns, [...plainOuts, ...stackedOuts]));
    const numRes = pe.residualSources.length;
    const [resVars, rest] = splitList(pe.unknown.invars, [numRes]);
    const numUnknownConsts = constU.filter(Boolean).length;
    const [constVars, carryVars, xVars] = splitList(rest, [numUnknownConsts, carryUnknown.filter(Boolean).length]);
    let c = 0;
    const constResidual = pe.residualSources.map((s) => (s === null ? computedInvariant[c++] : s < nC));
    const [xsResVars, constResVars] = partitionList(constResidual, resVars);
    const body = new Jaxpr([], [...constVars, ...constResVars, ...carryVars, ...xVars, ...xsResVars], pe.unknown.eqns, pe.unknown.outs);
    return { carryUnknown, yUnknown, pe, knownBody, hoist, computedInvariant, body, constResidual, numUnknownConsts };
  });
}

export const scanP = definePrimitive<ScanParams>("scan", {
  // control flow: its body decides what complex values may do
  complex: true,
  params: { jaxpr: "static", length: "int", reverse: "bool", numConsts: "int", numCarry: "int" },
  abstractEval(avals, p) {
    const [, carry, xs] = splitScan(avals, p);
    xs.forEach((x) => {
      if (x.ndim === 0 || x.shape[0] !== p.length) throw new ShapeError(`lax.scan: xs leaf ${x} does not have the scan length ${p.length} as its leading axis`);
    });
    const ys = p.jaxpr.outs.slice(p.numCarry).map((o) => new ShapedArray([p.length, ...o.aval.shape], o.aval.dtype, o.aval.weakType));
    return [...carry, ...ys];
  },
  impl(args, p) {
    const [consts, init, xs] = splitScan(args, p);
    const temps = new Temporaries(args);
    let carry = init;
    const ys = p.jaxpr.outs.slice(p.numCarry).map(() => new globalThis.Array<Array>(p.length));
    for (let t = 0; t < p.length; t++) {
      const i = p.reverse ? p.length - 1 - t : t;
      const rows = xs.map((v) => slice(v, [i, ...v.shape.slice(1).map(() => 0)], [i + 1, ...v.shape.slice(1)]) as Array);
      const x = rows.map((r) => reshape(r, r.shape.slice(1)) as Array);
      const outs = runCompiled(p.jaxpr, [...consts, ...carry, ...x]);
      const next = outs.slice(0, p.numCarry);
      const y = outs.slice(p.numCarry);
      const pieces = y.map((v, j) => (ys[j][i] = reshape(v, [1, ...v.shape]) as Array));
      temps.own([...rows, ...x, ...outs, ...pieces]);
      temps.hold([...y, ...pieces]);
      temps.release([...carry, ...rows, ...x], next);
      carry = next;
    }
    const stacked = ys.map((steps, j) => {
      const a = p.jaxpr.outs[p.numCarry + j].aval;
      return (p.length === 0 ? zerosOf(new ShapedArray([0, ...a.shape], a.dtype, a.weakType)) : concatenate(steps, 0)) as Array;
    });
    // the stacked copies replace the per-step outputs (a scan of length 1 stacks without copying)
    temps.releaseHeld([...carry, ...stacked]);
    return [...carry, ...stacked];
  },
  jvp(primals, tangents, p) {
    const nonzeros = tangents.map((t, i) => !isZero(t) && isInexact(primals[i].dtype));
    if (!nonzeros.some(Boolean)) {
      const outs = bind(scanP, primals, p);
      return [outs, outs.map((o) => new Zero(o.aval.strong()))];
    }
    // one scan carries the primal and tangent values together; under linearize,
    // the partialEval rule splits it into a primal scan (run now) and a linear one
    const { body, carryNonzero, yNonzero, inNonzero } = scanJvpBody(p, primals, nonzeros);
    const [consts, carry, xs] = splitScan(primals, p);
    const [constTs, carryTs, xTs] = splitScan(tangents, p);
    const [constNZ, , xNZ] = splitScan(inNonzero, p);
    const nK = p.numCarry;
    const nKT = carryNonzero.filter(Boolean).length;
    const outs = bind(
      scanP,
      [...consts, ...(pick(constTs, constNZ) as Value[]), ...carry, ...pick(carryTs, carryNonzero).map(instantiate), ...xs, ...(pick(xTs, xNZ) as Value[])],
      { jaxpr: body, length: p.length, reverse: p.reverse, numConsts: consts.length + pick(constTs, constNZ).length, numCarry: nK + nKT },
    );
    const [carryOut, carryTOut, ys, yTs] = splitList(outs, [nK, nKT, p.jaxpr.outs.length - nK]);
    const zeros = (vals: Value[], mask: boolean[]) => partitionList(mask, vals)[0].map((v) => new Zero(v.aval.strong()));
    return [
      [...carryOut, ...ys],
      [...mergeLists<MaybeZero>(carryNonzero, zeros(carryOut, carryNonzero), carryTOut), ...mergeLists<MaybeZero>(yNonzero, zeros(ys, yNonzero), yTs)],
    ];
  },
  partialEval(args, unknown, p, stage): Value[] {
    const { carryUnknown, yUnknown, pe, knownBody, hoist, computedInvariant, body, constResidual, numUnknownConsts } = scanPartial(p, unknown);
    const [consts, carry, xs] = splitScan(args, p);
    const [constU, , xU] = splitScan(unknown, p);
    const [knownConsts, unknownConsts] = partitionList(constU, consts);
    const [knownCarry, unknownCarry] = partitionList(carryUnknown, carry);
    const [knownXs, unknownXs] = partitionList(xU, xs);
    const numKnownYs = yUnknown.filter((u) => !u).length;
    // the loop-invariant residuals, once; then the known scan: known carries and ys, and the
    // other residuals stacked as extra ys
    const hoisted = hoist.outs.length ? jaxprAsFun(hoist)(...pe.knownConsts, ...knownConsts) : [];
    const knownOuts: Value[] = knownBody.outs.length
      ? bind(scanP, [...pe.knownConsts, ...knownConsts, ...knownCarry, ...knownXs], {
          jaxpr: knownBody,
          length: p.length,
          reverse: p.reverse,
          numConsts: pe.knownConsts.length + knownConsts.length,
          numCarry: knownCarry.length,
        })
      : [];
    const [carryOut, ys, stacked] = splitList(knownOuts, [knownCarry.length, numKnownYs]);
    // a residual that is a known const stays a const; the others (a known xs, or stacked) are xs
    const computed = mergeLists(computedInvariant, stacked, hoisted);
    const [xsRes, constRes] = partitionList(constResidual, residualValues(pe, args, computed));
    const staged = stage(scanP, [...unknownConsts, ...constRes, ...unknownCarry, ...unknownXs, ...xsRes], {
      jaxpr: body,
      length: p.length,
      reverse: p.reverse,
      numConsts: numUnknownConsts + constRes.length,
      numCarry: unknownCarry.length,
    });
    const [carryStaged, ysStaged] = splitList(staged, [unknownCarry.length]);
    return [...mergeLists(carryUnknown, carryOut, carryStaged), ...mergeLists(yUnknown, ys, ysStaged)];
  },
  transpose(cts, args, p) {
    const { jaxpr, length, reverse } = p;
    const undef = args.map(isUndefined);
    const [consts, carry, xs] = splitScan(args, p);
    const [constLinear, carryInitLinear, xsLinear] = splitScan(undef, p);
    const nK = p.numCarry;
    // a carry is linear if its input is, or if its new value depends on a linear input
    const carryLinear = carryFixedPoint(jaxpr, constLinear, carryInitLinear, xsLinear).carry;
    const bodyLinear = [...constLinear, ...carryLinear, ...xsLinear];
    const knownConsts = partitionList(constLinear, consts)[0] as Value[];
    const knownInit = partitionList(carryLinear, carry)[0] as Value[];
    const knownXs = partitionList(xsLinear, xs)[0] as Value[];
    const undefinedIns = partitionList(bodyLinear, jaxpr.invars)[1].map((v) => new UndefinedPrimal(v.aval));
    /** The body's inputs with the known ones filled in and the linear ones undefined. */
    const assemble = <U>(known: (Value | U)[], linear: U[]) => {
      const [kc, kk, kx] = splitList(known, [knownConsts.length, knownInit.length]);
      const [lc, lk, lx] = splitList(linear, [pick(constLinear, constLinear).length, pick(carryLinear, carryLinear).length]);
      return [...mergeLists(constLinear, kc, lc), ...mergeLists(carryLinear, kk, lk), ...mergeLists(xsLinear, kx, lx)];
    };
    // 1. forward: the known carries the linear part reads, at the start of every step (the residuals);
    // none after partial evaluation, whose linear scan has only linear carries
    const needed = splitScan(residualInputs(jaxpr, bodyLinear), p)[1];
    const knownNeeded = partitionList(carryLinear, needed)[0];
    let res: Value[] = [];
    if (knownNeeded.some(Boolean)) {
      const fwd: FlatFn = (...ins) => {
        const outs = evalKnown(jaxpr, assemble<undefined>(ins, undefinedIns.map(() => undefined)));
        const next = partitionList(carryLinear, outs.slice(0, nK))[0];
        if (next.some((v) => v === undefined)) throw new Error("lax.scan transpose: a known carry depends on a linear input");
        const knownCarry = splitList(ins, [knownConsts.length, knownInit.length])[1];
        return [...(next as Value[]), ...pick(knownCarry, knownNeeded)];
      };
      res = bindScan("lax.scan (transpose, forward)", fwd, knownConsts, knownInit, knownXs, length, reverse).slice(knownInit.length);
    }
    // 2. backward: the transposed body, scanned the other way, accumulating the constants' cotangents
    const [carryCts, yCts] = splitList(cts, [nK]);
    const yGiven = yCts.map((c) => !isZero(c));
    const ctCarry = pick(carryCts, carryLinear).map(instantiate);
    const accInit = pick(consts, constLinear).map((c) => zerosOf(c.aval.strong()));
    const [carryOutAvals, yOutAvals] = splitList(jaxpr.outs.map((o) => o.aval), [nK]);
    const back: FlatFn = (...ins) => {
      const [kc, ctk, acc, r, kx, cy] = splitList(ins, [knownConsts.length, ctCarry.length, accInit.length, res.length, knownXs.length]);
      // known carries the linear part does not read get a placeholder (dead code after tracing)
      const [unread] = partitionList(knownNeeded, knownInit);
      const kk = mergeLists(knownNeeded, unread.map((v) => zerosOf(v.aval)), r);
      const bodyArgs = assemble<UndefinedPrimal>([...kc, ...kk, ...kx], undefinedIns);
      const outCts = [
        ...mergeLists<MaybeZero>(carryLinear, partitionList(carryLinear, carryOutAvals)[0].map((a) => new Zero(a)), ctk),
        ...mergeLists<MaybeZero>(yGiven, partitionList(yGiven, yOutAvals)[0].map((a) => new Zero(a)), cy),
      ];
      const [cC, kC, xC] = splitScan(transposeJaxpr(jaxpr, [], bodyArgs, outCts), p);
      const newAcc = pick(cC, constLinear).map((c, i) => (isZero(c) ? acc[i] : add(acc[i], c)));
      return [...pick(kC, carryLinear).map(instantiate), ...newAcc, ...pick(xC, xsLinear).map(instantiate)];
    };
    const outs = bindScan("lax.scan (transpose)", back, knownConsts, [...ctCarry, ...accInit], [...res, ...knownXs, ...(pick(yCts, yGiven) as Value[])], length, !reverse);
    const [carryCt, constCt, xsCt] = splitList(outs, [ctCarry.length, accInit.length]);
    // a carry made linear only by the body has a known (zero) input, which gets no cotangent
    const zerosFor = (vals: (Value | UndefinedPrimal)[], linear: boolean[]) => partitionList(linear, vals)[0].map((v) => new Zero(v.aval));
    const carryIn = mergeLists<MaybeZero>(carryLinear, zerosFor(carry, carryLinear), carryCt).map((c, i) => (carryInitLinear[i] ? c : new Zero(carry[i].aval)));
    return [...mergeLists<MaybeZero>(constLinear, zerosFor(consts, constLinear), constCt), ...carryIn, ...mergeLists<MaybeZero>(xsLinear, zerosFor(xs, xsLinear), xsCt)];
  },
  batch(args, dims, p) {
    const size = batchSize(args, dims);
    const [consts, carry, xs] = splitScan(args, p);
    const [cDims, kDims, xDims] = splitScan(dims, p);
    const isB = (d: Axis) => d !== null;
    const fp = carryFixedPoint(p.jaxpr, cDims.map(isB), kDims.map(isB), xDims.map(isB));
    const kAx = fp.carry.map((b) => (b ? 0 : null));
    const yB = fp.outs.slice(p.numCarry);
    const init = carry.map((c, i) => (fp.carry[i] ? toFront(c, kDims[i], size) : c));
    // the scan axis stays first; the batch axis goes second
    const xsB = xs.map((x, i) => (xDims[i] === null ? x : moveAxis(x, xDims[i]!, 1)));
    const body = vmapFlat(jaxprAsFun(p.jaxpr), size, [...cDims, ...kAx, ...xDims.map((d) => (d === null ? null : 0))], [...kAx, ...yB.map((b) => (b ? 0 : null))]);
    const outs = bindScan("vmap of lax.scan", body, consts, init, xsB, p.length, p.reverse);
    return [outs, [...kAx, ...yB.map((b) => (b ? 1 : null))]];
  },
});

export interface ScanOptions {
  /** The number of steps; needed when `xs` has no leaves, else checked against their leading axis. */
  length?: number;
  /** Scan from the last element to the first (the stacked outputs keep the order of `xs`). */
  reverse?: boolean;
}

/**
 * Loops `f` over the leading axis of `xs`, threading a carry, as JAX's
 * `lax.scan`: `[carry, y] = f(carry, x)` for each slice `x`; returns the
 * final carry and the `y`s stacked on a new leading axis. Carry, `xs` and
 * `ys` are pytrees. Differentiable in both modes.
 * @example
 * const [total, partials] = lax.scan((c, x) => [c.add(x), c.add(x)], np.array(0), np.arange(5));
 */
export function scan<C, X, Y>(f: (carry: C, x: X) => [C, Y], init: C, xs: X, options: ScanOptions = {}): [C, Y] {
  const op = "lax.scan";
  functionArg(op, "f", f);
  options = optionsArg(op, options);
  const [carryLeaves, carryTree] = flattenArgs([init], op);
  const [xLeaves, xTree] = flattenArgs([xs], `${op} xs`);
  let length = options.length;
  for (const x of xLeaves) {
    if (x.ndim === 0) throw new ShapeError(`${op}: every leaf of xs needs a leading axis to scan over, got a scalar ${x.aval}`);
    if (length === undefined) length = x.shape[0];
    else if (x.shape[0] !== length) {
      throw new ShapeError(
        `${op}: the leaves of xs have leading axes ${xLeaves.map((l) => l.shape[0]).join(", ")}` +
          `${options.length !== undefined ? ` and length is ${options.length}` : ""}; they must all equal the scan length`,
      );
    }
  }
  if (length === undefined) throw new ShapeError(`${op}: xs has no arrays to scan over; give the number of steps with { length }`);
  if (!Number.isInteger(length) || length < 0) throw new ShapeError(`${op}: length must be a non-negative integer, got ${describe(length)}`);
  let yTree: TreeDef | undefined;
  const nK = carryLeaves.length;
  const body: FlatFn = (...ins) => {
    const [c] = rebuild<[C]>(carryTree, ins.slice(0, nK));
    const [x] = rebuild<[X]>(xTree, ins.slice(nK));
    const out = f(c, x);
    if (!globalThis.Array.isArray(out) || out.length !== 2) throw new ShapeError(`${op}: the function must return a pair [carry, y]`);
    const [newCarry, t] = flatten([out[0]]);
    if (!t.equals(carryTree)) throw new ShapeError(`${op}: the function must return a carry of the structure of init, ${carryTree}, got ${t}`);
    const [yLeaves, yt] = flatten(out[1]);
    yTree = yt;
    return flattenArgs([...newCarry, ...yLeaves], `${op} output`)[0];
  };
  const outs = bindScan(op, body, [], carryLeaves, xLeaves, length, options.reverse ?? false);
  return [rebuild<[C]>(carryTree, outs.slice(0, nK))[0], rebuild<Y>(yTree!, outs.slice(nK))];
}

// ---- StableHLO lowering (exportStableHLO) ----------------------------------------------------

// a stablehlo.while over (step, carry, ys): step t reads row t of each xs (the
// last row first when reversed) with a dynamic slice and writes row t of each
// ys with a dynamic update slice; the constants and xs are used from outside
lowersToStablehlo(scanP, (ctx, args, p, _a, outAvals) => {
  const [consts, init, xs] = splitScan(args, p);
  const i32 = { shape: [], dtype: "int32" as const };
  const ysTypes = outAvals.slice(p.numCarry).map((o) => ({ shape: o.shape, dtype: o.dtype }));
  const ys0 = ysTypes.map((t) => full(ctx, 0, t.shape, t.dtype));
  const start = [full(ctx, 0, [], "int32"), ...init, ...ys0];
  const types = start.map((v) => v.type);
  const cond = ctx.b.region(types, ([t]) => [compare(ctx, "LT", t, full(ctx, p.length, [], "int32"))]);
  const body = ctx.b.region(types, ([t, ...rest]) => {
    const [carry, ys] = splitList(rest, [p.numCarry]);
    const row = p.reverse ? ctx.b.op1("stablehlo.subtract", [full(ctx, p.length - 1, [], "int32"), t], i32) : t;
    const zero = full(ctx, 0, [], "int32");
    const x = xs.map((v) => {
      const piece = ctx.b.op1("stablehlo.dynamic_slice", [v, row, ...v.shape.slice(1).map(() => zero)], { shape: [1, ...v.shape.slice(1)], dtype: v.dtype }, {
        slice_sizes: attr.i64s([1, ...v.shape.slice(1)]),
      });
      return ctx.b.op1("stablehlo.reshape", [piece], { shape: v.shape.slice(1), dtype: v.dtype });
    });
    const outs = ctx.inline(p.jaxpr, [...consts, ...carry, ...x]);
    const [next, y] = splitList(outs, [p.numCarry]);
    const written = y.map((v, j) => {
      const piece = ctx.b.op1("stablehlo.reshape", [v], { shape: [1, ...v.shape], dtype: v.dtype });
      return ctx.b.op1("stablehlo.dynamic_update_slice", [ys[j], piece, row, ...v.shape.map(() => zero)], ys[j].type);
    });
    return [ctx.b.op1("stablehlo.add", [t, full(ctx, 1, [], "int32")], i32), ...next, ...written];
  });
  return ctx.b.op("stablehlo.while", start, types, {}, [cond, body]).slice(1);
});
