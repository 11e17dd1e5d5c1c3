/**
 * `cond` (also behind `lax.cond` and `lax.switch`): branches as closure-converted
 * jaxprs taking the same operands. jvp is one cond over the primal and tangent
 * operands; partialEval (known index) runs a known cond now and stages a linear
 * one, the residuals of every branch side by side; transpose is a cond of the
 * transposed branches; a batched index turns it into a select.
 */
import type { ArrayLike } from "../../array-methods.js";
import { isInexact, promoteTypes } from "../../dtype.js";
import { DTypeError, ShapeError } from "../../errors.js";
import { shapeEq } from "../../shape.js";
import { functionArg, listArg } from "../../static-args.js";
import type { MaybeZero, Value } from "../../trace/core.js";
import { bind, evalTrace, ShapedArray, theRuntime, UndefinedPrimal, Zero } from "../../trace/core.js";
import { evalJaxpr, Jaxpr, Var } from "../../trace/jaxpr.js";
import { mergeLists, orMasks, partitionList, pick, splitList } from "../../trace/lists.js";
import { type JaxprMemo, maskKey, memoOnJaxpr, partialEvalJaxpr } from "../../trace/partial-eval.js";
import { traceFlat } from "../../trace/staging.js";
import { flattenArgs, rebuild } from "../../transforms/args.js";
import { jvpJaxpr } from "../../transforms/jvp.js";
import { transposeJaxpr } from "../../transforms/linearize.js";
import { vmap } from "../../transforms/vmap.js";
import { type FlatFn, flattenFun, jaxprAsFun } from "../../transforms/flat.js";
import { clamp, convert, gt, instantiate, ne, select, selectN, zerosOf } from "../elementwise.js";
import { definePrimitive, isUndefined, isZero, lowersToStablehlo, scalar } from "../primitive.js";
import { full } from "../stablehlo-ops.js";
import { broadcastInDim, moveAxis, slice } from "../shape.js";

import { avalsOf, batchSize, dependents, runCompiled, scalarOperand, elementwiseHint, selectBranches, trace, types, vmapFlat } from "./shared.js";

type CondParams = { branches: Jaxpr[] };

/**
 * Traces each branch at the operands' types and binds `cond`. The branches'
 * constants are unioned; each branch ignores the others'. Weakly typed
 * outputs (JS numbers) take the dtype of the other branches' output.
 */
function bindCond(op: string, index: Value, fns: FlatFn[], operands: Value[], labels?: string[], afterTrace?: () => void): Value[] {
  const avals = avalsOf(operands);
  const label = (k: number) => labels?.[k] ?? `branch ${k}`;
  let traced = fns.map((fn) => trace(fn, avals, op));
  afterTrace?.();
  const outsOf = (k: number) => traced[k].jaxpr.outs.map((o) => o.aval);
  const first = outsOf(0);
  const mismatch = (k: number, Err: typeof ShapeError) =>
    new Err(`${op}: the branches must return the same types, but ${label(0)} returns ${types(first)} and ${label(k)} returns ${types(outsOf(k))}`);
  for (let k = 1; k < traced.length; k++) {
    const o = outsOf(k);
    if (o.length !== first.length || o.some((a, j) => !shapeEq(a.shape, first[j].shape))) throw mismatch(k, ShapeError);
  }
  // a dtype per output: the branches' common dtype, where only weakly typed outputs differ
  const target = first.map((_, j) => {
    const all = traced.map((_, k) => outsOf(k)[j]);
    if (all.every((a) => a.dtype === all[0].dtype)) return undefined;
    const strong = new Set(all.filter((a) => !a.weakType).map((a) => a.dtype));
    if (strong.size > 1) throw mismatch(all.findIndex((a) => !a.weakType && a.dtype !== all.find((b) => !b.weakType)!.dtype), DTypeError);
    return strong.size === 1 ? { dtype: [...strong][0], weakType: false } : promoteTypes(...all);
  });
  if (target.some((t) => t)) {
    traced = fns.map((fn) => trace((...xs) => fn(...xs).map((o, j) => (target[j] ? convert(o, target[j]!.dtype, target[j]!.weakType) : o)), avals, op));
  }
  // union of the branches' constants, each passed once
  const consts: Value[] = [];
  const positions = traced.map((t) =>
    t.consts.map((c) => {
      let i = consts.indexOf(c);
      if (i < 0) i = consts.push(c) - 1;
      return i;
    }),
  );
  const branches = traced.map(({ jaxpr, consts: own }, k) => {
    const constVars = consts.map((c) => new Var(c.aval));
    positions[k].forEach((p, j) => (constVars[p] = jaxpr.invars[j]));
    return new Jaxpr([], [...constVars, ...jaxpr.invars.slice(own.length)], jaxpr.eqns, jaxpr.outs);
  });
  return bind(condP, [index, ...consts, ...operands], { branches });
}

const condJvpCache: JaxprMemo<{ branches: Jaxpr[]; outNonzero: boolean[] }> = new WeakMap();

/**
 * The branches of a cond's JVP: operands, then their nonzero tangents →
 * outputs, then their nonzero tangents. An output has a tangent if it does in
 * any branch (the others give zeros). Cached on the first branch, which is
 * made for one cond only.
 */
function condJvpBranches(branches: Jaxpr[], nonzeros: boolean[]) {
  return memoOnJaxpr(condJvpCache, branches[0], maskKey(nonzeros), () => {
    const outNonzero = branches
      .map((b) => dependents(b, nonzeros))
      .reduce(orMasks)
      .map((m, j) => m && isInexact(branches[0].outs[j].aval.dtype));
    const jvps = branches.map((b) => jvpJaxpr(b, nonzeros, outNonzero));
    if (jvps.some((j) => j.outNonzero.some((nz, i) => nz !== outNonzero[i]))) throw new Error("lax.cond jvp: a branch's tangent is nonzero outside the union");
    return { branches: jvps.map((j) => j.jaxpr), outNonzero };
  });
}

interface CondPartial {
  outUnknown: boolean[];
  /** Index, known consts, known operands → known outputs, every branch's residuals (zeros in the branches that do not make them). */
  known: Jaxpr[];
  knownConsts: Value[];
  /** Index, every branch's residuals, unknown operands → unknown outputs. */
  unknown: Jaxpr[];
}
const condPartialCache: JaxprMemo<CondPartial> = new WeakMap();

/**
 * The split of a cond with a known index, as JAX's `_cond_partial_eval`: an
 * output is unknown if it is in any branch; each branch splits the same way,
 * and since only one runs, the residuals of all branches are laid side by
 * side (each branch fills its own, zeros elsewhere).
 */
function condPartial(branches: Jaxpr[], opsUnknown: boolean[]): CondPartial {
  return memoOnJaxpr(condPartialCache, branches[0], maskKey(opsUnknown), () => {
    const outUnknown = branches.map((b) => partialEvalJaxpr(b, opsUnknown).outUnknown).reduce(orMasks);
    const pes = branches.map((b) => partialEvalJaxpr(b, opsUnknown, outUnknown, false));
    const resAvals = pes.map((pe) => pe.known.outs.slice(pe.known.outs.length - pe.residualSources.length).map((o) => o.aval));
    const allRes = resAvals.flat();
    const knownConsts = pes.flatMap((pe) => pe.knownConsts);
    const [knownOpVars, unknownOpVars] = partitionList(opsUnknown, branches[0].invars);
    const known = pes.map((pe, k) => {
      const fn: FlatFn = (...xs) => {
        const [consts, kops] = splitList(xs, [knownConsts.length]);
        const mine = splitList(consts, pes.slice(0, k).map((q) => q.knownConsts.length))[k].slice(0, pe.knownConsts.length);
        const [outs, res] = splitList(evalJaxpr(pe.known, [], [...mine, ...kops]), [outUnknown.filter((u) => !u).length]);
        return [...outs, ...resAvals.flatMap((avals, j) => (j === k ? res : avals.map((a) => zerosOf(a))))];
      };
      return traceFlat(fn, [...knownConsts.map((c) => c.aval), ...knownOpVars.map((v) => v.aval)], "lax.cond (known part)", evalTrace).jaxpr;
    });
    const unknown = pes.map((pe, k) => {
      const fn: FlatFn = (...xs) => {
        const [res, uops] = splitList(xs, [allRes.length]);
        const mine = splitList(res, resAvals.slice(0, k).map((a) => a.length))[k].slice(0, resAvals[k].length);
        return evalJaxpr(pe.unknown, [], [...mine, ...uops]);
      };
      return traceFlat(fn, [...allRes, ...unknownOpVars.map((v) => v.aval)], "lax.cond (unknown part)", evalTrace).jaxpr;
    });
    return { outUnknown, known, knownConsts, unknown };
  });
}

export const condP = definePrimitive<CondParams>("cond", {
  // control flow: its body decides what complex values may do
  complex: true,
  params: { branches: "static" },
  abstractEval([index, ...ops], { branches }) {
    if (index.dtype !== "int32" || index.ndim !== 0) throw new DTypeError(`lax.cond: the branch index must be an int32 scalar, got ${index}`);
    if (ops.length !== branches[0].invars.length) throw new ShapeError(`lax.cond: ${ops.length} operands for branches taking ${branches[0].invars.length}`);
    return branches[0].outs.map((o, j) => {
      const weak = branches.every((b) => b.outs[j].aval.weakType);
      return new ShapedArray(o.aval.shape, o.aval.dtype, weak);
    });
  },
  impl([index, ...ops], { branches }) {
    // a GPU cannot hand the index to the host synchronously: every branch runs there and a select keeps one
    if (!index.backend.syncReadable) return selectBranches(index, ops, branches);
    const i = Math.min(Math.max(index.dataSync()[0], 0), branches.length - 1);
    // an operand handed back as it is gets an alias of its own: a jitted plan releases the
    // cond's outputs after their last use, which must not dispose the operand under its owner
    return runCompiled(branches[i], ops).map((o) => (ops.includes(o) ? theRuntime().alias(o) : o));
  },
  jvp(primals, tangents, params) {
    const [index, ...ops] = primals;
    const ts = tangents.slice(1);
    const nonzeros = ts.map((t, i) => !isZero(t) && isInexact(ops[i].dtype));
    if (!nonzeros.some(Boolean)) {
      const outs = bind(condP, primals, params);
      return [outs, outs.map((o) => new Zero(o.aval.strong()))];
    }
    // one cond computes the primal and tangent outputs; partialEval splits it under linearize
    const { branches, outNonzero } = condJvpBranches(params.branches, nonzeros);
    const outs = bind(condP, [index, ...ops, ...(pick(ts, nonzeros) as Value[])], { branches });
    const [primalsOut, nonzeroTangents] = splitList(outs, [params.branches[0].outs.length]);
    const zeros = partitionList(outNonzero, primalsOut)[0].map((o) => new Zero(o.aval.strong()));
    return [primalsOut, mergeLists<MaybeZero>(outNonzero, zeros, nonzeroTangents)];
  },
  partialEval(args, unknown, params, stage): Value[] {
    // an unknown index: nothing can be chosen now
    if (unknown[0]) return stage(condP, args, params);
    const [index, ...ops] = args;
    const opsUnknown = unknown.slice(1);
    const split = condPartial(params.branches, opsUnknown);
    const [knownOps, unknownOps] = partitionList(opsUnknown, ops);
    const knownOuts: Value[] = bind(condP, [index, ...split.knownConsts, ...knownOps], { branches: split.known });
    const [outs, residuals] = splitList(knownOuts, [split.outUnknown.filter((u) => !u).length]);
    const staged = stage(condP, [index, ...residuals, ...unknownOps], { branches: split.unknown });
    return mergeLists(split.outUnknown, outs, staged);
  },
  transpose(cts, [index, ...ops], { branches }) {
    if (isUndefined(index)) throw new Error("cond is not linear in its branch index");
    const linear = ops.map(isUndefined);
    const [known, undefinedOps] = partitionList(linear, ops) as [Value[], UndefinedPrimal[]];
    const ctGiven = cts.map((c) => !isZero(c));
    const fns = branches.map((b): FlatFn => (...xs) => {
      const [knownOps, givenCts] = splitList(xs, [known.length]);
      const args = mergeLists<Value | UndefinedPrimal>(linear, knownOps, undefinedOps);
      const outCts = mergeLists<MaybeZero>(ctGiven, partitionList(ctGiven, b.outs)[0].map((o) => new Zero(o.aval)), givenCts);
      return pick(transposeJaxpr(b, [], args, outCts), linear).map(instantiate);
    });
    const ctsIn = bindCond("lax.cond (transpose)", index, fns, [...known, ...(pick(cts, ctGiven) as Value[])]);
    return [new Zero(index.aval), ...mergeLists<MaybeZero>(linear, known.map((o) => new Zero(o.aval)), ctsIn)];
  },
  batch([index, ...ops], [indexDim, ...dims], { branches }) {
    const size = batchSize([index, ...ops], [indexDim, ...dims]);
    if (indexDim === null) {
      const fns = branches.map((b) => vmapFlat(jaxprAsFun(b), size, dims));
      const outs = bindCond("vmap of lax.cond", index, fns, ops);
      return [outs, outs.map(() => 0)];
    }
    // a batched index: every branch runs on every example, and a select picks per example (as JAX)
    const which = clamp(0, moveAxis(index, indexDim, 0), branches.length - 1);
    const results = branches.map((b) => vmapFlat(jaxprAsFun(b), size, dims)(...ops));
    const outs = results[0].map((r, j) => selectN(broadcastInDim(which, r.shape, [0]), ...results.map((res) => res[j])));
    return [outs, outs.map(() => 0)];
  },
});

function runBranches<R>(op: string, index: Value, fns: readonly ((...args: never[]) => R)[], operands: unknown[], labels: string[]): R {
  const [leaves, inTree] = flattenArgs(operands, op);
  const flattened = fns.map((fn) => flattenFun(fn, inTree, `${op} output`));
  const flat = flattened.map((f) => f.flat);
  const trees = () => flattened.map((f) => f.outTree());
  const sameStructure = () =>
    trees().forEach((t, k, trees) => {
      if (!t.equals(trees[0])) throw new ShapeError(`${op}: the branches must return the same structure, but ${labels[0]} returns ${trees[0]} and ${labels[k]} returns ${t}`);
    });
  const outs = bindCond(op, index, flat, leaves, labels, sameStructure);
  return rebuild<R>(trees()[0], outs);
}

/**
 * Runs `trueFn(...operands)` if `pred` is true, else `falseFn(...operands)`, as
 * JAX's `lax.cond`. Both branches are traced and must return the same types;
 * only the chosen one runs. Under vmap with a batched `pred`, both run and a
 * select picks per example.
 * @example
 * lax.cond(x.sum().gt(0), (v) => v.mul(2), (v) => v.neg(), x);
 */
export function cond<Ops extends unknown[], R>(pred: ArrayLike, trueFn: (...operands: Ops) => R, falseFn: (...operands: Ops) => R, ...operands: Ops): R {
  const op = "lax.cond";
  functionArg(op, "trueFn", trueFn);
  functionArg(op, "falseFn", falseFn);
  let p = scalarOperand(op, "the predicate", pred, elementwiseHint);
  if (p.dtype === "float32" || p.dtype === "float64") {
    throw new DTypeError(`${op}: the predicate must be bool or an integer, got ${p.dtype}; compare first, e.g. x.gt(0)`);
  }
  if (p.dtype !== "bool") p = ne(p, 0);
  const fns = [falseFn, trueFn] as unknown as ((...args: never[]) => R)[];
  return runBranches(op, convert(p, "int32"), fns, operands, ["falseFn", "trueFn"]);
}

/**
 * Runs `branches[index](...operands)`, as JAX's `lax.switch`; an index out of
 * range is clamped to the first or last branch.
 * @example
 * lax.switch(i, [(x) => x, (x) => x.mul(2), (x) => x.neg()], x);
 */
function switchBranches<Ops extends unknown[], R>(index: ArrayLike, branches: readonly ((...operands: Ops) => R)[], ...operands: Ops): R {
  const op = "lax.switch";
  branches = listArg<(...operands: Ops) => R>(op, "branches", branches);
  branches.forEach((b, k) => functionArg(op, `branches[${k}]`, b));
  if (branches.length === 0) throw new ShapeError(`${op}: needs at least one branch`);
  let i = scalarOperand(op, "the index", typeof index === "number" ? Math.trunc(index) : index, elementwiseHint);
  if (i.dtype !== "int32" && i.dtype !== "uint32") throw new DTypeError(`${op}: the index must be an integer, got ${i.dtype}; convert it with x.astype("int32")`);
  i = convert(i, "int32");
  if (branches.length === 1) return branches[0](...operands);
  const idx = clamp(0, i, branches.length - 1);
  return runBranches(op, idx, branches as unknown as ((...args: never[]) => R)[], operands, branches.map((_, k) => `branch ${k}`));
}
export { switchBranches as switch };

// ---- StableHLO lowering (exportStableHLO) ----------------------------------------------------

// stablehlo.case, after clamping the index as lax.cond does (case itself sends any out-of-range index to the last branch)
lowersToStablehlo(condP, (ctx, [index, ...ops], { branches }, _a, outs) => {
  const hi = full(ctx, branches.length - 1, [], "int32");
  const i = ctx.b.op1("stablehlo.clamp", [full(ctx, 0, [], "int32"), index, hi], index.type);
  const regions = branches.map((br) => ctx.b.region([], () => ctx.inline(br, ops)));
  return ctx.b.op("stablehlo.case", [i], outs.map((o) => ({ shape: o.shape, dtype: o.dtype })), {}, regions);
});
