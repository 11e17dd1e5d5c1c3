/**
 * Jaxpr simplification before lowering: inlining of nested calls, algebraic
 * identities that AD leaves behind (x·1, x+0, neg(neg x), converts and
 * reshapes to the same type), folding of scalar constants, common
 * subexpression elimination and dead-code elimination. Each pass is a
 * rewrite to a new jaxpr; nothing is mutated.
 */
import type { Concrete, Value } from "./core.js";
import { bind, withTrace, evalTrace, theRuntime } from "./core.js";
import type { Atom, Eqn } from "./jaxpr.js";
import { ClosedJaxpr, Jaxpr, Literal, Var } from "./jaxpr.js";

export function simplify(jaxpr: Jaxpr): Jaxpr {
  return dce(cse(foldAndRewrite(inline(jaxpr))));
}

/** `simplify` without inlining: nested calls stay calls (exportStableHLO keeps a nested jit as a function). */
export function simplifyKeepingCalls(jaxpr: Jaxpr): Jaxpr {
  return dce(cse(foldAndRewrite(jaxpr)));
}

/** Substitutes each call of a call-like primitive (its definition's `callJaxpr`) by the equations of its jaxpr. */
export function inline(jaxpr: Jaxpr): Jaxpr {
  if (!jaxpr.eqns.some((e) => e.prim.rules.callJaxpr)) return jaxpr;
  const sub = new Map<Var, Atom>();
  const read = (a: Atom): Atom => (a instanceof Var ? sub.get(a) ?? a : a);
  const eqns: Eqn[] = [];
  const emit = (j: Jaxpr, ins: Atom[]): Atom[] => {
    const local = new Map<Var, Atom>();
    j.invars.forEach((v, i) => local.set(v, ins[i]));
    const r = (a: Atom): Atom => (a instanceof Var ? local.get(a) ?? a : a);
    for (const e of j.eqns) {
      const inputs = e.inputs.map(r);
      const getCall = e.prim.rules.callJaxpr;
      if (getCall) {
        const outs = emit(getCall(e.params), inputs);
        e.outs.forEach((v, i) => local.set(v, outs[i]));
      } else {
        const outs = e.outs.map((v) => new Var(v.aval));
        e.outs.forEach((v, i) => local.set(v, outs[i]));
        eqns.push({ ...e, inputs, outs });
      }
    }
    return j.outs.map(r);
  };
  const outs = emit(jaxpr, jaxpr.invars.map(read));
  return new Jaxpr(jaxpr.constvars, jaxpr.invars, eqns, outs);
}

const isLit = (a: Atom, v: number) => a instanceof Literal && a.value === v;
const sameType = (a: Atom, b: Var) => a.aval.dtype === b.aval.dtype && a.aval.shape.length === b.aval.shape.length && a.aval.shape.every((d, i) => d === b.aval.shape[i]);

/** Algebraic identities and constant folding of equations whose inputs are all literals. */
function foldAndRewrite(jaxpr: Jaxpr): Jaxpr {
  const sub = new Map<Var, Atom>();
  const producer = new Map<Var, Eqn>();
  const read = (a: Atom): Atom => (a instanceof Var ? sub.get(a) ?? a : a);
  const eqns: Eqn[] = [];
  for (const e0 of jaxpr.eqns) {
    const e = { ...e0, inputs: e0.inputs.map(read) };
    const [out] = e.outs;
    const replace = (a: Atom) => {
      sub.set(out, a);
    };
    const [x, y] = e.inputs;
    const facts = e.prim.rules.simplify;
    if (e.outs.length === 1) {
      if (facts) {
        if (facts.rightIdentity !== undefined && isLit(y, facts.rightIdentity) && sameType(x, out)) { replace(x); continue; }
        if (facts.leftIdentity !== undefined && isLit(x, facts.leftIdentity) && sameType(y, out)) { replace(y); continue; }
        if (facts.identityOnSameType && sameType(x, out) && x.aval.weakType === out.aval.weakType) { replace(x); continue; }
        if (facts.involution && x instanceof Var && producer.get(x)?.prim === e.prim) { replace(producer.get(x)!.inputs[0]); continue; }
      }
      if (out.aval.ndim === 0 && e.inputs.length > 0 && e.inputs.every((a) => a instanceof Literal) && !e.prim.rules.callJaxpr) {
        // constant folding of scalar arithmetic, evaluated eagerly (on the CPU: literals' arrays live there)
        const [v] = withTrace(evalTrace, () => bind(e.prim, e.inputs.map((a) => (a as Literal).array as Value), e.params));
        // a complex value with a nonzero imaginary part is no literal (a literal is one JS number)
        const known = theRuntime().knownScalar(v as Concrete);
        if (known !== undefined) {
          replace(new Literal(known, out.aval));
          continue;
        }
      }
    }
    e.outs.forEach((v) => producer.set(v, e));
    eqns.push(e);
  }
  return new Jaxpr(jaxpr.constvars, jaxpr.invars, eqns, jaxpr.outs.map(read));
}

/** Merges equations that apply the same primitive with the same params to the same inputs. */
function cse(jaxpr: Jaxpr): Jaxpr {
  const ids = new Map<Var, number>();
  let nextId = 0;
  const idOf = (a: Atom) => (a instanceof Literal ? `L${a.value}:${a.aval}` : `V${ids.get(a) ?? (ids.set(a, nextId++), ids.get(a))}`);
  const sub = new Map<Var, Atom>();
  const read = (a: Atom): Atom => (a instanceof Var ? sub.get(a) ?? a : a);
  const seen = new Map<string, Eqn>();
  const eqns: Eqn[] = [];
  for (const e0 of jaxpr.eqns) {
    const e = { ...e0, inputs: e0.inputs.map(read) };
    const key = paramsKey(e);
    const prev = key === null ? undefined : seen.get(key);
    if (prev) {
      e.outs.forEach((v, i) => sub.set(v, prev.outs[i]));
      continue;
    }
    if (key !== null) seen.set(key, e);
    eqns.push(e);
  }
  return new Jaxpr(jaxpr.constvars, jaxpr.invars, eqns, jaxpr.outs.map(read));

  function paramsKey(e: Eqn): string | null {
    let params: string;
    try {
      params = JSON.stringify(e.params, (_k, v) => {
        if (v instanceof Jaxpr || v instanceof ClosedJaxpr || typeof v === "function") throw new Error("opaque");
        return v;
      });
    } catch {
      return null; // params holding jaxprs or functions are compared by nothing: keep the equation
    }
    return `${e.prim.name}|${params}|${e.inputs.map(idOf).join(",")}`;
  }
}

/** Drops equations none of whose outputs is used. */
export function dce(jaxpr: Jaxpr): Jaxpr {
  const live = new Set<Var>(jaxpr.outs.filter((a): a is Var => a instanceof Var));
  const kept: Eqn[] = [];
  for (let k = jaxpr.eqns.length - 1; k >= 0; k--) {
    const e = jaxpr.eqns[k];
    if (!e.outs.some((v) => live.has(v))) continue;
    kept.push(e);
    for (const a of e.inputs) if (a instanceof Var) live.add(a);
  }
  return new Jaxpr(jaxpr.constvars, jaxpr.invars, kept.reverse(), jaxpr.outs);
}
