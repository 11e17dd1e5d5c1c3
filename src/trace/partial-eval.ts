/**
 * Partial evaluation of a jaxpr, as Autodidax part 4 and JAX's
 * `partial_eval_jaxpr_nounits`: given which inputs will be known first and
 * which only later, split the jaxpr into a *known* jaxpr (known inputs →
 * known outputs and residuals) and an *unknown* jaxpr (residuals and unknown
 * inputs → unknown outputs). Residuals are the known values the unknown part
 * reads.
 *
 * The split is itself a trace: the jaxpr is evaluated with its known inputs
 * as tracers of a staging trace (which records the known jaxpr) and its
 * unknown inputs as tracers of a partial-evaluation trace above it (which
 * records the unknown jaxpr and forwards everything else down). A nested
 * call-like equation with known and unknown inputs meets its primitive's
 * `partialEval` rule on the way, so the split reaches into nested jit, scan,
 * cond and while equations.
 *
 * This is how `grad(jit(f))` runs the forward pass once: jit's jvp rule binds
 * one jit of the JVP; under linearize its partialEval rule runs the known
 * half (the primal outputs and the residuals) as one jit call now and stages
 * the unknown half (linear in the tangents) as another jit call, whose
 * transpose is again a jit call.
 *
 * The custom rules need no rule of their own: customJvp's jvp is the user's
 * rule, bound primitive by primitive; customVjp's jvp runs the user's fwd (all
 * known) and stages only `custom_lin`; checkpoint's jvp binds the call on the
 * primals (known, run now) and stages `checkpoint_jvp` whole, whose transpose
 * recomputes the forward pass — which is what rematerialization means.
 */
import type { Value } from "./core.js";
import { evalTrace, inScope } from "./core.js";
import { evalJaxpr, Jaxpr, Var } from "./jaxpr.js";
import { dce } from "./simplify.js";
import { StagingTrace, StagingTracer } from "./staging.js";

/** The two halves of a partially evaluated jaxpr. */
export interface PartialJaxpr {
  /** `[...knownConsts, ...known inputs]` → `[...known outputs, ...computed residuals]`. */
  known: Jaxpr;
  /** Constants the known half captured (arrays a rule made while it was traced); passed first. */
  knownConsts: Value[];
  /** `[...residuals, ...unknown inputs]` → unknown outputs. */
  unknown: Jaxpr;
  /** One per output of the original jaxpr: whether the unknown half computes it. */
  outUnknown: boolean[];
  /**
   * One per residual (the unknown half's leading inputs): the index of the original
   * input it is (a known input the unknown half reads as it is, not recomputed or copied),
   * or null for the next of the known half's computed residuals.
   */
  residualSources: (number | null)[];
}

const asMask = (m: boolean | readonly boolean[], n: number): boolean[] => (typeof m === "boolean" ? new globalThis.Array<boolean>(n).fill(m) : [...m]);

/**
 * Splits a closed-over-nothing jaxpr (constants as leading inputs, as traceFlat
 * makes them) into its known and unknown halves.
 *
 * `instantiate[i]` forces output i into the unknown half even where it is
 * known (a loop's carry must have one place). `forwardable[i]` says whether a
 * known input may be handed to the unknown half as a residual directly (a
 * scan's carry may not: its value changes every step; consts and xs may).
 * Results are cached per jaxpr and masks.
 */
export function partialEvalJaxpr(
  jaxpr: Jaxpr,
  unknownIns: readonly boolean[],
  instantiate: boolean | readonly boolean[] = false,
  forwardable: boolean | readonly boolean[] = true,
): PartialJaxpr {
  if (jaxpr.constvars.length) throw new Error("partialEvalJaxpr: the jaxpr must take its constants as inputs");
  if (unknownIns.length !== jaxpr.invars.length) throw new Error(`partialEvalJaxpr: ${unknownIns.length} unknown flags for ${jaxpr.invars.length} inputs`);
  const inst = asMask(instantiate, jaxpr.outs.length);
  const fwd = asMask(forwardable, jaxpr.invars.length);
  const key = `${maskKey(unknownIns)}|${maskKey(inst)}|${maskKey(fwd)}`;
  return memoOnJaxpr(partialCache, jaxpr, key, () => split(jaxpr, unknownIns, inst, fwd));
}

function split(jaxpr: Jaxpr, unknownIns: readonly boolean[], inst: boolean[], fwd: boolean[]): PartialJaxpr {
  // the known trace sits on the eval trace only for form: it records every equation it sees
  const knownTrace = new StagingTrace(evalTrace, "partial evaluation (known part)");
  const unknownTrace = new StagingTrace(knownTrace, "partial evaluation (unknown part)", true);
  const inputs: Value[] = [];
  let outs: Value[] = [];
  inScope(knownTrace, () =>
    inScope(unknownTrace, () => {
      jaxpr.invars.forEach((v, i) => inputs.push(unknownIns[i] ? unknownTrace.newArg(v.aval) : knownTrace.newArg(v.aval)));
      outs = evalJaxpr(jaxpr, [], inputs);
    }),
  );
  const outUnknown = outs.map((o, i) => unknownTrace.owns(o) || inst[i]);

  // the unknown half: its constants are the residuals
  const u = unknownTrace.build(outs.filter((_, i) => outUnknown[i]));
  const unknownFull = dce(new Jaxpr([], [...u.jaxpr.constvars, ...u.jaxpr.invars], u.jaxpr.eqns, u.jaxpr.outs));
  // residuals that only dead code read are dropped
  const used = usedVars(unknownFull);
  const keep = u.jaxpr.constvars.map((v) => used.has(v));
  const residualVars = u.jaxpr.constvars.filter((_, i) => keep[i]);
  const residuals = u.consts.filter((_, i) => keep[i]);
  const unknown = new Jaxpr([], [...residualVars, ...u.jaxpr.invars], unknownFull.eqns, unknownFull.outs);

  // a residual that is a known input (and may be forwarded) is passed as it is; the rest are computed
  const inputIndex = new Map<Value, number>();
  inputs.forEach((x, i) => !unknownIns[i] && fwd[i] && inputIndex.set(x, i));
  const residualSources = residuals.map((r) => inputIndex.get(r) ?? null);
  const computed = residuals.filter((_, i) => residualSources[i] === null);

  const k = knownTrace.build([...outs.filter((_, i) => !outUnknown[i]), ...computed]);
  const known = dce(new Jaxpr([], [...k.jaxpr.constvars, ...k.jaxpr.invars], k.jaxpr.eqns, k.jaxpr.outs));
  for (const r of computed) {
    if (r instanceof StagingTracer && r.trace !== knownTrace) throw new Error("partialEvalJaxpr: a residual belongs to another trace");
  }
  return { known, knownConsts: k.consts, unknown, outUnknown, residualSources };
}

/**
 * The values of the residuals, in the unknown half's order: `knownArgs` are the
 * original inputs (by original index, undefined where unknown), `computed` the
 * known half's residual outputs.
 */
export function residualValues<T>(pe: PartialJaxpr, args: readonly (T | undefined)[], computed: readonly T[]): T[] {
  let c = 0;
  return pe.residualSources.map((s) => (s === null ? computed[c++] : args[s]!));
}

function usedVars(jaxpr: Jaxpr): Set<Var> {
  const used = new Set<Var>();
  for (const e of jaxpr.eqns) for (const a of e.inputs) if (a instanceof Var) used.add(a);
  for (const a of jaxpr.outs) if (a instanceof Var) used.add(a);
  return used;
}

// ---- caches keyed by jaxpr identity -----------------------------------------------------------

/**
 * A cache of what is derived from a jaxpr (its JVP, its halves, its transpose),
 * keyed by the jaxpr's identity and a string for the other arguments. A
 * jitted function's jaxpr lives as long as its trace cache holds it; the
 * derived jaxprs then stay the same objects call after call, so the plans
 * compiled for them (cached per jaxpr too) are reused instead of rebuilt.
 */
export type JaxprMemo<T> = WeakMap<Jaxpr, Map<string, T>>;

export function memoOnJaxpr<T>(memo: JaxprMemo<T>, jaxpr: Jaxpr, key: string, make: () => T): T {
  let byKey = memo.get(jaxpr);
  if (!byKey) memo.set(jaxpr, (byKey = new Map()));
  let v = byKey.get(key);
  if (v === undefined) byKey.set(key, (v = make()));
  return v;
}

export const maskKey = (mask: readonly boolean[]) => mask.map((b) => (b ? "1" : "0")).join("");

const partialCache: JaxprMemo<PartialJaxpr> = new WeakMap();
