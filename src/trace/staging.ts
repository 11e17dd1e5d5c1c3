/**
 * Staging: tracing a function into a jaxpr. A StagingTrace records every
 * primitive applied to its tracers as an equation; values it does not own
 * become constants of the jaxpr (0-d ones as literals).
 *
 * With `forwardKnown`, a primitive none of whose inputs are this trace's
 * tracers is not recorded but evaluated by the parent trace: this is partial
 * evaluation, which linearize uses to split "known" primal work (done now)
 * from "unknown" tangent work (staged as the linear jaxpr). A primitive with
 * both kinds of inputs is staged whole, unless it has a `partialEval` rule
 * (jit, scan, cond, while): then its known part runs now too (see partial-eval.ts).
 */
import type { Params, Primitive, Value } from "./core.js";
import { bind, inScope, ShapedArray, theRuntime, Trace, Tracer } from "./core.js";
import type { Atom } from "./jaxpr.js";
import { ClosedJaxpr, Jaxpr, Literal, Var } from "./jaxpr.js";
import { currentNameStack } from "./name-stack.js";

/** How many `ensureCompileTimeEval` scopes are open (src/transforms/helpers.ts). */
export const compileTimeEval = { depth: 0 };

export class StagingTracer extends Tracer {
  constructor(
    trace: StagingTrace,
    readonly variable: Var,
  ) {
    super(trace);
  }
  get aval(): ShapedArray {
    return this.variable.aval;
  }
}

export class StagingTrace extends Trace {
  readonly invars: Var[] = [];
  readonly eqns: Jaxpr["eqns"] = [];
  private readonly constvars = new Map<Value, Var>();

  constructor(
    parent: Trace,
    transform: string,
    readonly forwardKnown = false,
  ) {
    super(parent, transform);
  }

  /** A new input of the jaxpr. */
  newArg(aval: ShapedArray): StagingTracer {
    const v = new Var(aval);
    this.invars.push(v);
    return new StagingTracer(this, v);
  }

  process(prim: Primitive, args: Value[], params: Params): Value[] {
    if (this.forwardKnown || compileTimeEval.depth > 0) {
      const unknown = args.map((a) => this.owns(a));
      // (inside ensureCompileTimeEval too: work on values this trace does not own runs now, not staged)
      if (!unknown.some(Boolean)) return bind(prim, args, params);
      // a call-like primitive splits itself: its known part runs now, the rest is staged
      const rule = prim.rules.partialEval;
      if (this.forwardKnown && rule && !unknown.every(Boolean)) return rule(args, unknown, params, (p, xs, ps) => this.stage(p, xs, ps));
    }
    return this.stage(prim, args, params);
  }

  /** Records one equation; its outputs are new tracers of this trace. */
  stage(prim: Primitive, args: Value[], params: Params): Value[] {
    const outAvals = prim.rules.abstractEval(
      args.map((a) => a.aval),
      params,
    );
    const inputs = args.map((a) => this.atomOf(a));
    const outs = outAvals.map((a) => new Var(a));
    const nameStack = currentNameStack();
    this.eqns.push(nameStack ? { prim, inputs, params, outs, nameStack } : { prim, inputs, params, outs });
    return outs.map((v) => new StagingTracer(this, v));
  }

  /** The jaxpr atom standing for a value: its variable, a literal, or a new constvar. */
  atomOf(x: Value): Atom {
    if (x instanceof StagingTracer && x.trace === this) return x.variable;
    if (!(x instanceof Tracer) && x.ndim === 0) {
      // a scalar whose value is known without waiting for a device is written into the jaxpr (a kernel constant, not a buffer)
      const known = theRuntime().knownScalar(x);
      if (known !== undefined) return new Literal(Number(known), x.aval);
    }
    let v = this.constvars.get(x);
    if (!v) {
      v = new Var(x.aval);
      this.constvars.set(x, v);
    }
    return v;
  }

  /** Closes the trace over its constants, with `outs` as the outputs. */
  build(outs: Value[]): ClosedJaxpr {
    const outAtoms = outs.map((o) => this.atomOf(o));
    return new ClosedJaxpr(new Jaxpr([...this.constvars.values()], [...this.invars], [...this.eqns], outAtoms), [...this.constvars.keys()]);
  }
}

/**
 * Traces a function of flat values at the given types into a closure-converted
 * jaxpr: the values it closed over become its leading inputs, returned as
 * `consts` for the caller to pass in, so every transformation sees them.
 */
export function traceFlat(
  fn: (...xs: Value[]) => Value[],
  avals: ShapedArray[],
  transform: string,
  parent: Trace,
): { jaxpr: Jaxpr; consts: Value[] } {
  const trace = new StagingTrace(parent, transform);
  const outs = inScope(trace, () => fn(...avals.map((a) => trace.newArg(a))));
  const { jaxpr, consts } = trace.build(outs);
  return { jaxpr: new Jaxpr([], [...jaxpr.constvars, ...jaxpr.invars], jaxpr.eqns, jaxpr.outs), consts };
}
