/**
 * Forward mode: the JVP trace carries a (primal, tangent) pair per value and
 * applies each primitive's jvp rule. A symbolic Zero tangent costs nothing:
 * a primitive whose tangents are all zero is applied to the primals alone,
 * and its outputs leave this trace as plain values.
 */
import { functionArg, listArg } from "../static-args.js";
import type { MaybeZero, Params, Primitive, Value } from "../trace/core.js";
import { currentTrace, evalTrace, inScope, ShapedArray, Trace, Tracer, Zero } from "../trace/core.js";
import type { Jaxpr } from "../trace/jaxpr.js";
import { mergeLists, partitionList, pick, splitList } from "../trace/lists.js";
import { type JaxprMemo, maskKey, memoOnJaxpr } from "../trace/partial-eval.js";
import { traceFlat } from "../trace/staging.js";
import { flattenFun, jaxprAsFun } from "./flat.js";
import { bind } from "../trace/core.js";
import { instantiate, isZero } from "../lax/index.js";
import { flattenArgs, placeLikePrimals, rebuild } from "./args.js";
import { ShapeError } from "../errors.js";
import { fmtShape } from "../shape.js";

export class JVPTracer extends Tracer {
  constructor(
    trace: JVPTrace,
    readonly primal: Value,
    readonly tangent: MaybeZero,
  ) {
    super(trace);
  }
  get aval(): ShapedArray {
    return this.primal.aval;
  }
}

export class JVPTrace extends Trace {
  process(prim: Primitive, args: Value[], params: Params): Value[] {
    const primals: Value[] = [];
    const tangents: MaybeZero[] = [];
    for (const a of args) {
      if (this.owns(a)) {
        primals.push((a as JVPTracer).primal);
        tangents.push((a as JVPTracer).tangent);
      } else {
        primals.push(a);
        tangents.push(new Zero(a.aval));
      }
    }
    if (tangents.every(isZero)) return bind(prim, primals, params);
    const [outs, outTangents] = prim.rules.jvp(primals, tangents, params);
    return outs.map((p, i) => (isZero(outTangents[i]) ? p : new JVPTracer(this, p, outTangents[i])));
  }
  /** Splits an output of the traced function into its primal and tangent. */
  unpack(x: Value): [Value, MaybeZero] {
    return this.owns(x) ? [(x as JVPTracer).primal, (x as JVPTracer).tangent] : [x, new Zero(x.aval.strong())];
  }
}

/** jvp on flat values: returns the primal outputs and their (possibly symbolic zero) tangents. */
export function jvpFlat(
  f: (...xs: Value[]) => Value[],
  primals: Value[],
  tangents: MaybeZero[],
  transform = "jvp",
  parent: Trace = currentTrace(),
): [Value[], MaybeZero[]] {
  const trace = new JVPTrace(parent, transform);
  const outs = inScope(trace, () => f(...primals.map((p, i) => (isZero(tangents[i]) ? p : new JVPTracer(trace, p, tangents[i])))));
  const unpacked = outs.map((o) => trace.unpack(o));
  return [unpacked.map((u) => u[0]), unpacked.map((u) => u[1])];
}

/** A jaxpr's JVP as a jaxpr, and which of its output tangents are not symbolically zero. */
export interface JvpJaxpr {
  /** `[...primals, ...nonzero tangents]` → `[...primal outputs, ...nonzero output tangents]`. */
  jaxpr: Jaxpr;
  outNonzero: boolean[];
}

const jvpCache: JaxprMemo<JvpJaxpr> = new WeakMap();

/**
 * The JVP of a jaxpr (constants as leading inputs), traced once per jaxpr and
 * mask: `nonzeros[i]` says whether input i has a tangent; `instantiateOuts[i]`
 * forces output i's tangent to exist (zeros) even where it is symbolically
 * zero (a loop's carry). Call-like primitives bind this jaxpr, so that the
 * primal and tangent computations are one call that partial evaluation can split.
 */
export function jvpJaxpr(jaxpr: Jaxpr, nonzeros: readonly boolean[], instantiateOuts: boolean | readonly boolean[] = false): JvpJaxpr {
  const inst = typeof instantiateOuts === "boolean" ? jaxpr.outs.map(() => instantiateOuts) : [...instantiateOuts];
  return memoOnJaxpr(jvpCache, jaxpr, `${maskKey(nonzeros)}|${maskKey(inst)}`, () => {
    const n = jaxpr.invars.length;
    let outNonzero: boolean[] = [];
    const primalAvals = jaxpr.invars.map((v) => v.aval);
    const tangentAvals = pick(primalAvals, nonzeros).map((a) => a.strong());
    const traced = traceFlat(
      (...xs) => {
        const [primals, ts] = splitList(xs, [n]);
        const tangents = mergeLists<MaybeZero>(nonzeros, partitionList(nonzeros, primals)[0].map((p) => new Zero(p.aval.strong())), ts);
        const [po, to] = jvpFlat(jaxprAsFun(jaxpr), primals, tangents);
        outNonzero = to.map((t, i) => inst[i] || !isZero(t));
        return [...po, ...pick(to, outNonzero).map(instantiate)];
      },
      [...primalAvals, ...tangentAvals],
      "jvp",
      evalTrace,
    );
    if (traced.consts.length) throw new Error("jvpJaxpr: the JVP of a closed jaxpr captured constants");
    return { jaxpr: traced.jaxpr, outNonzero };
  });
}

/**
 * Forward-mode derivative: evaluates `f` at `primals` and its directional
 * derivative along `tangents`, in one pass.
 * @example
 * const [y, dy] = jvp((x) => np.sin(x), [np.array(0)], [np.array(1)]); // y = 0, dy = cos(0) = 1
 */
export function jvp<F extends (...args: any[]) => any>(f: F, primals: readonly unknown[], tangents: readonly unknown[]): [ReturnType<F>, ReturnType<F>] { // eslint-disable-line @typescript-eslint/no-explicit-any
  functionArg("jvp", "f", f);
  primals = listArg("jvp", "primals", primals);
  tangents = listArg("jvp", "tangents", tangents);
  const [p, tree] = flattenArgs(primals, "jvp primals");
  const [t, ttree] = flattenArgs(tangents, "jvp tangents");
  if (!tree.equals(ttree)) throw new ShapeError(`jvp: primals ${tree} and tangents ${ttree} must have the same structure`);
  p.forEach((x, i) => {
    if (x.dtype !== t[i].dtype || x.ndim !== t[i].ndim || x.shape.some((d, k) => d !== t[i].shape[k])) {
      throw new ShapeError(`jvp: tangent ${i} has ${t[i].aval} (shape ${fmtShape(t[i].shape)}) but its primal has ${x.aval}; they must match`);
    }
  });
  const { flat, outTree } = flattenFun(f, tree, "jvp output");
  const [po, to] = jvpFlat(flat, p, t);
  // an output tangent lives with the output (itself computed from the primals, or placed like them)
  return [rebuild(outTree(), po), rebuild(outTree(), placeLikePrimals(to.map(instantiate), po))];
}
