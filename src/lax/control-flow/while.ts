/**
 * `while` (behind `lax.whileLoop` and `lax.foriLoop` with traced bounds). jvp is
 * one loop carrying primals and tangents; partialEval runs the known carries in a
 * loop of their own (when the predicate is known) and stages the whole loop for
 * the rest; there is no transpose, by design (the trip count is known only at run
 * time); a batched predicate runs until every example is done.
 */
import type { ArrayLike } from "../../array-methods.js";
import { isInexact, promoteTypes } from "../../dtype.js";
import { DTypeError, ShapeError, UnsupportedError } from "../../errors.js";
import { functionArg } from "../../static-args.js";
import type { MaybeZero, Value } from "../../trace/core.js";
import { bind, Zero } from "../../trace/core.js";
import { Jaxpr, Var } from "../../trace/jaxpr.js";
import { flatten } from "../../trace/pytree.js";
import { mergeLists, orMasks, partitionList, pick, splitList } from "../../trace/lists.js";
import { type JaxprMemo, maskKey, memoOnJaxpr, type PartialJaxpr, partialEvalJaxpr } from "../../trace/partial-eval.js";
import { dce } from "../../trace/simplify.js";
import { flattenArgs, rebuild } from "../../transforms/args.js";
import { jvpJaxpr } from "../../transforms/jvp.js";
import { vmap } from "../../transforms/vmap.js";
import { type FlatFn, jaxprAsFun } from "../../transforms/flat.js";
import { add, convert, gt, instantiate, lt, select } from "../elementwise.js";
import { definePrimitive, isZero, lowersToStablehlo, scalar } from "../primitive.js";
import { reduceMax } from "../reduce.js";
import { broadcastInDim, slice } from "../shape.js";

import { scan } from "./scan.js";
import { Temporaries, type Axis, avalsOf, batchSize, carryFixedPoint, dependents, runCompiled, scalarOperand, toFront, trace, traceLoopBody, types, vmapFlat } from "./shared.js";

type WhileParams = { cond: Jaxpr; body: Jaxpr; condNConsts: number; bodyNConsts: number };

function bindWhile(op: string, condFn: FlatFn, bodyFn: FlatFn, condConsts: Value[], bodyConsts: Value[], init: Value[]): Value[] {
  const { body, init: carry } = traceLoopBody(op, bodyFn, avalsOf(bodyConsts), init, []);
  if (body.jaxpr.outs.length !== carry.length) {
    throw new ShapeError(`${op}: the body returns ${body.jaxpr.outs.length} values but the carry has ${carry.length}; it must return the carry's structure`);
  }
  const cnd = trace(condFn, [...avalsOf(condConsts), ...avalsOf(carry)], op);
  const outs = cnd.jaxpr.outs.map((o) => o.aval);
  if (outs.length !== 1 || outs[0].dtype !== "bool" || outs[0].ndim !== 0) {
    const Err = outs.length === 1 && outs[0].dtype === "bool" ? ShapeError : DTypeError;
    throw new Err(`${op}: condFn must return a bool scalar, got ${types(outs)}; compare, e.g. i.lt(n), and reduce arrays with .all() or .any()`);
  }
  return bind(whileP, [...cnd.consts, ...condConsts, ...body.consts, ...bodyConsts, ...carry], {
    cond: cnd.jaxpr,
    body: body.jaxpr,
    condNConsts: cnd.consts.length + condConsts.length,
    bodyNConsts: body.consts.length + bodyConsts.length,
  });
}

/** A while's inputs (or anything laid out like them): the predicate's consts, the body's consts, the carry. */
function splitWhile<T>(xs: T[], p: WhileParams): [T[], T[], T[]] {
  return splitList(xs, [p.condNConsts, p.bodyNConsts]) as [T[], T[], T[]];
}

/** Whether any element of a bool vector is true, as a bool scalar. */
const any = (p: Value) => gt(reduceMax(convert(p, "int32"), [0]), 0);

const whileJvpCache: JaxprMemo<WhileParams> = new WeakMap();

/** The params of a whileLoop's JVP: the body carries the nonzero tangents after the primals; the predicate ignores them. */
function whileJvp(p: WhileParams, bodyNonzero: boolean[], carryNonzero: boolean[]): WhileParams {
  return memoOnJaxpr(whileJvpCache, p.body, maskKey(bodyNonzero) + "|" + maskKey(carryNonzero), () => {
    const jj = jvpJaxpr(p.body, [...bodyNonzero, ...carryNonzero], carryNonzero);
    const nB = p.bodyNConsts;
    const nK = carryNonzero.length;
    const nBT = bodyNonzero.filter(Boolean).length;
    const [pb, pk, tb, tk] = splitList(jj.jaxpr.invars, [nB, nK, nBT]);
    const body = new Jaxpr([], [...pb, ...tb, ...pk, ...tk], jj.jaxpr.eqns, jj.jaxpr.outs);
    const cond = new Jaxpr([], [...p.cond.invars, ...tk.map((v) => new Var(v.aval))], p.cond.eqns, p.cond.outs);
    return { cond, body, condNConsts: p.condNConsts, bodyNConsts: nB + nBT };
  });
}

const whilePartialCache: JaxprMemo<{ carryUnknown: boolean[]; known: WhileParams } | null> = new WeakMap();

/** The loop over the known carries (null when the predicate or every carry is unknown). */
function whilePartial(p: WhileParams, unknown: boolean[]) {
  return memoOnJaxpr(whilePartialCache, p.body, maskKey(unknown), () => {
    const [ccU, bcU, carryU0] = splitWhile(unknown, p);
    // a carry is unknown if it starts so or its new value depends on an unknown one (to a fixed point)
    let carryUnknown = carryU0;
    let pe: PartialJaxpr;
    for (;;) {
      pe = partialEvalJaxpr(p.body, [...bcU, ...carryUnknown], carryUnknown);
      const next = orMasks(carryUnknown, pe.outUnknown);
      if (next.every((u, i) => u === carryUnknown[i])) break;
      carryUnknown = next;
    }
    if (carryUnknown.every(Boolean)) return null;
    const condPe = partialEvalJaxpr(p.cond, [...ccU, ...carryUnknown]);
    if (condPe.outUnknown[0] || pe.knownConsts.length || condPe.knownConsts.length) return null;
    // the known halves, without their residuals (the unknown carries come from the whole loop, staged)
    const numKnown = carryUnknown.filter((u) => !u).length;
    const body = dce(new Jaxpr([], pe.known.invars, pe.known.eqns, pe.known.outs.slice(0, numKnown)));
    const cond = dce(new Jaxpr([], condPe.known.invars, condPe.known.eqns, condPe.known.outs.slice(0, 1)));
    return { carryUnknown, known: { cond, body, condNConsts: ccU.filter((u) => !u).length, bodyNConsts: bcU.filter((u) => !u).length } };
  });
}

export const whileP = definePrimitive<WhileParams>("while", {
  // control flow: its body decides what complex values may do
  complex: true,
  params: { cond: "static", body: "static", condNConsts: "int", bodyNConsts: "int" },
  abstractEval(avals, p) {
    return splitWhile(avals, p)[2];
  },
  impl(args, p) {
    const [cc, bc, init] = splitWhile(args, p);
    const temps = new Temporaries(args);
    let carry = init;
    for (;;) {
      // reading the predicate needs a concrete value: impl only runs on concrete arrays
      const pred = runCompiled(p.cond, [...cc, ...carry]);
      temps.own(pred);
      if (!pred[0].backend.syncReadable) {
        // not a device failure: something jaxon does not do there (yet)
        throw new UnsupportedError(
          `lax.whileLoop: the ${pred[0].backend.name} device cannot hand the loop condition to the host synchronously; ` +
            `use lax.foriLoop or lax.scan with a static trip count (they run on the device), or run the loop on the cpu with devicePut`,
        );
      }
      const running = pred[0].dataSync()[0];
      temps.release(pred, carry);
      if (!running) return carry;
      const next = runCompiled(p.body, [...bc, ...carry]);
      temps.own(next);
      temps.release(carry, next);
      carry = next;
    }
  },
  jvp(primals, tangents, p) {
    const [cc, bc, carry] = splitWhile(primals, p);
    const [, bcT, carryT] = splitWhile(tangents, p);
    const bodyNonzero = bcT.map((t, i) => !isZero(t) && isInexact(bc[i].dtype));
    const carryFloat = carry.map((c) => isInexact(c.dtype));
    const carryNZ0 = carryT.map((t, i) => !isZero(t) && carryFloat[i]);
    const carryNonzero = carryFixedPoint(p.body, bodyNonzero, carryNZ0, [], (i) => carryFloat[i]).carry;
    if (!carryNonzero.some(Boolean)) {
      const outs = bind(whileP, primals, p);
      return [outs, outs.map((o) => new Zero(o.aval.strong()))];
    }
    // one loop carries the primal values with the tangents (its trip count depends on them)
    const jvpLoop = whileJvp(p, bodyNonzero, carryNonzero);
    const outs = bind(whileP, [...cc, ...bc, ...(pick(bcT, bodyNonzero) as Value[]), ...carry, ...pick(carryT, carryNonzero).map(instantiate)], jvpLoop);
    const [primalsOut, nonzeroTangents] = splitList(outs, [carry.length]);
    const zeros = partitionList(carryNonzero, primalsOut)[0].map((o) => new Zero(o.aval.strong()));
    return [primalsOut, mergeLists<MaybeZero>(carryNonzero, zeros, nonzeroTangents)];
  },
  partialEval(args, unknown, p, stage): Value[] {
    // forward only, as JAX's `_while_partial_eval`: when the predicate and some carries
    // are known, a loop over those carries runs now; the unknown ones come from the whole loop, staged
    const split = whilePartial(p, unknown);
    if (!split) return stage(whileP, args, p);
    const [cc, bc, carry] = splitWhile(args, p);
    const [ccU, bcU] = splitWhile(unknown, p);
    const knownOuts = bind(whileP, [...partitionList(ccU, cc)[0], ...partitionList(bcU, bc)[0], ...partitionList(split.carryUnknown, carry)[0]], split.known);
    const all = stage(whileP, args, p);
    return mergeLists(split.carryUnknown, knownOuts, pick(all, split.carryUnknown));
  },
  transpose() {
    throw new UnsupportedError(
      "lax.whileLoop: reverse-mode differentiation (grad, vjp, jacrev) through whileLoop is not supported, because its number of " +
        "iterations is only known at run time. Use lax.scan, or lax.foriLoop with static (JS number) bounds, which support reverse mode; " +
        "forward mode (jvp, jacfwd) through whileLoop works",
    );
  },
  batch(args, dims, p) {
    const size = batchSize(args, dims);
    const [cc, bc, carry] = splitWhile(args, p);
    const [ccDims, bcDims, carryDims] = splitWhile(dims, p);
    const isB = (d: Axis) => d !== null;
    let { carry: carryB } = carryFixedPoint(p.body, bcDims.map(isB), carryDims.map(isB), []);
    const predBatched = dependents(p.cond, [...ccDims.map(isB), ...carryB])[0];
    // with a batched predicate, examples finish at different steps: every carry is batched
    if (predBatched) carryB = carryB.map(() => true);
    const carryAx = carryB.map((b) => (b ? 0 : null));
    const init = carry.map((c, i) => (carryB[i] ? toFront(c, carryDims[i], size) : c));
    const bodyB = vmapFlat(jaxprAsFun(p.body), size, [...bcDims, ...carryAx], carryAx);
    if (!predBatched) {
      const condB = vmapFlat(jaxprAsFun(p.cond), size, [...ccDims, ...carryAx], [null]);
      return [bindWhile("vmap of lax.whileLoop", condB, bodyB, cc, bc, init), carryAx];
    }
    const predOf = vmapFlat(jaxprAsFun(p.cond), size, [...ccDims, ...carryAx], [0]);
    const condFn: FlatFn = (...xs) => [any(predOf(...xs)[0])];
    const bodyFn: FlatFn = (...xs) => {
      const [c, b, k] = splitList(xs, [cc.length, bc.length]);
      const [running] = predOf(...c, ...k);
      // finished examples keep their carry
      return bodyB(...b, ...k).map((n, i) => select(broadcastInDim(running, n.shape, [0]), n, k[i]));
    };
    const outs = bindWhile("vmap of lax.whileLoop", condFn, bodyFn, cc, [...cc, ...bc], init);
    return [outs, outs.map(() => 0)];
  },
});

/**
 * Repeats `carry = bodyFn(carry)` while `condFn(carry)` is true, as JAX's
 * `lax.while_loop`. The carry is any pytree; its shapes and dtypes must not
 * change. Forward-mode differentiation works; reverse mode does not (use
 * `scan` or `foriLoop` with static bounds).
 * @example
 * lax.whileLoop(([i]) => i.lt(10), ([i, x]) => [i.add(1), x.mul(2)], [0, x]);
 */
export function whileLoop<T>(condFn: (carry: T) => ArrayLike, bodyFn: (carry: T) => T, init: T): T {
  const op = "lax.whileLoop";
  functionArg(op, "condFn", condFn);
  functionArg(op, "bodyFn", bodyFn);
  const [leaves, tree] = flattenArgs([init], op);
  const bodyFlat: FlatFn = (...xs) => {
    const [out, t] = flatten([bodyFn(rebuild<[T]>(tree, xs)[0])]);
    if (!t.equals(tree)) throw new ShapeError(`${op}: bodyFn must return the carry's structure ${tree}, got ${t}`);
    return flattenArgs(out, `${op} body output`)[0];
  };
  const condFlat: FlatFn = (...xs) => flattenArgs([condFn(rebuild<[T]>(tree, xs)[0])], `${op} condFn output`)[0];
  return rebuild<[T]>(tree, bindWhile(op, condFlat, bodyFlat, [], [], leaves))[0];
}

/**
 * `for (i = lower; i < upper; i++) carry = body(i, carry)`, as JAX's
 * `lax.fori_loop`. With JS-number bounds it is a scan (so reverse mode
 * works); with array bounds a whileLoop.
 * @example
 * lax.foriLoop(0, 5, (i, acc) => acc.add(i), np.array(0)); // 10
 */
export function foriLoop<T>(lower: ArrayLike, upper: ArrayLike, body: (i: Value, carry: T) => T, init: T): T {
  const op = "lax.foriLoop";
  functionArg(op, "body", body);
  if (typeof lower === "number" && typeof upper === "number") {
    if (!Number.isInteger(lower) || !Number.isInteger(upper)) throw new DTypeError(`${op}: bounds must be integers, got ${lower} and ${upper}`);
    const length = Math.max(upper - lower, 0);
    const [[, out]] = scan(([i, c]: [Value, T]) => [[add(i, 1), body(i, c)] as [Value, T], null], [scalar(lower, "int32"), init] as [Value, T], null, { length });
    return out;
  }
  const lo = scalarOperand(op, "lower", lower);
  const hi = scalarOperand(op, "upper", upper);
  const t = promoteTypes(lo.aval, hi.aval);
  const [, out] = whileLoop(
    ([i]: [Value, T]) => lt(i, convert(hi, t.dtype)),
    ([i, c]: [Value, T]) => [add(i, 1), body(i, c)] as [Value, T],
    [convert(lo, t.dtype, false), init] as [Value, T],
  );
  return out;
}

// ---- StableHLO lowering (exportStableHLO) ----------------------------------------------------

// stablehlo.while over the carry; the constants are used from the enclosing function
lowersToStablehlo(whileP, (ctx, args, p) => {
  const [cc, bc, init] = splitWhile(args, p);
  const types = init.map((v) => v.type);
  const cond = ctx.b.region(types, (carry) => ctx.inline(p.cond, [...cc, ...carry]));
  const body = ctx.b.region(types, (carry) => ctx.inline(p.body, [...bc, ...carry]));
  return ctx.b.op("stablehlo.while", init, types, {}, [cond, body]);
});
