/**
 * Reverse mode as JAX does it: grad = linearize + transpose.
 *
 * linearize runs the JVP trace on top of a partial-evaluation StagingTrace:
 * primal work has no unknown inputs, so it is forwarded to the parent trace and
 * done now; tangent work is staged into a linear jaxpr whose constants are
 * the residuals. Transposing that jaxpr (each linear primitive's transpose
 * rule, in reverse order, with symbolic zeros) gives the VJP. Every rule is
 * written with `bind`, so all of this nests: grad(grad(f)) just works.
 */
import { describe, functionArg, optionsArg } from "../static-args.js";
import type { MaybeZero, Value } from "../trace/core.js";
import { bind, currentTrace, evalTrace, inScope, type ShapedArray, UndefinedPrimal, Zero } from "../trace/core.js";
import { mergeLists, partitionList, pick, splitList } from "../trace/lists.js";
import { type JaxprMemo, maskKey, memoOnJaxpr } from "../trace/partial-eval.js";
import { traceFlat } from "../trace/staging.js";
import { flattenFun } from "./flat.js";
import type { ClosedJaxpr, Jaxpr } from "../trace/jaxpr.js";
import { evalJaxpr, Literal, Var } from "../trace/jaxpr.js";
import { StagingTrace } from "../trace/staging.js";
import { addTangents, instantiate, isZero, scalar } from "../lax/index.js";
import { isComplexDType, isFloat } from "../dtype.js";
import { JVPTrace, JVPTracer } from "./jvp.js";
import { DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import { flatten, type TreeDef } from "../trace/pytree.js";
import { checkDifferentiable, flattenArgs, normalizeArgnums, placeLikePrimals, rebuild, type Lifted } from "./args.js";
import { fmtShape } from "../shape.js";

/** A linearization: the linear jaxpr (tangents of the float inputs → output tangents) and which inputs have a tangent. */
export interface Linearization {
  jaxpr: ClosedJaxpr;
  /** One per primal input: false for integer inputs, which have no tangent input in the jaxpr. */
  hasTangent: boolean[];
  inAvals: ShapedArray[];
}

/**
 * Linearizes a flat function at `primals`: returns the primal outputs and the
 * linear jaxpr mapping input tangents to output tangents.
 */
export function linearizeFlat(f: (...xs: Value[]) => Value[], primals: Value[], transform = "linearize"): [Value[], Linearization] {
  const staging = new StagingTrace(currentTrace(), transform, true);
  const jvpTrace = new JVPTrace(staging, transform);
  const tangentsIn = primals.map((p) => (isFloat(p.dtype) || isComplexDType(p.dtype) ? staging.newArg(p.aval.strong()) : undefined));
  let primalsOut: Value[] = [];
  let tangentsOut: MaybeZero[] = [];
  inScope(staging, () =>
    inScope(jvpTrace, () => {
      const outs = f(...primals.map((p, i) => (tangentsIn[i] ? new JVPTracer(jvpTrace, p, tangentsIn[i]!) : p)));
      const unpacked = outs.map((o) => jvpTrace.unpack(o));
      primalsOut = unpacked.map((u) => u[0]);
      tangentsOut = unpacked.map((u) => u[1]);
    }),
  );
  const jaxpr = staging.build(tangentsOut.map(instantiate));
  return [primalsOut, { jaxpr, hasTangent: tangentsIn.map((t) => t !== undefined), inAvals: primals.map((p) => p.aval) }];
}

/**
 * Transposes a linearization: given cotangents of its outputs, returns one
 * cotangent per primal input (symbolic zeros where nothing flowed, and for integer inputs).
 */
export function backwardPass(lin: Linearization, cotangents: MaybeZero[]): MaybeZero[] {
  const { jaxpr, consts } = lin.jaxpr;
  const perInvar = transposeJaxpr(jaxpr, consts, jaxpr.invars.map((v) => new UndefinedPrimal(v.aval)), cotangents);
  let j = 0;
  return lin.hasTangent.map((has, i) => (has ? perInvar[j++] : new Zero(lin.inAvals[i])));
}

/**
 * The transpose of a jaxpr that is linear in the inputs marked UndefinedPrimal.
 * Equations whose inputs are all known are evaluated forward first (so a
 * jaxpr that recomputes primal values, as jit's and checkpoint's do, works);
 * the rest are transposed in reverse order. Returns one cotangent per input.
 */
export function transposeJaxpr(jaxpr: Jaxpr, consts: Value[], args: (Value | UndefinedPrimal)[], cotangents: MaybeZero[]): MaybeZero[] {
  const known = new Map<Var, Value>();
  jaxpr.constvars.forEach((v, i) => known.set(v, consts[i]));
  jaxpr.invars.forEach((v, i) => {
    const a = args[i];
    if (!(a instanceof UndefinedPrimal)) known.set(v, a);
  });
  const read = (a: Var | Literal) => (a instanceof Literal ? a.array : known.get(a));
  const linearEqns = [];
  for (const eqn of jaxpr.eqns) {
    if (eqn.inputs.every((a) => a instanceof Literal || known.has(a))) {
      const outs = bind(eqn.prim, eqn.inputs.map((a) => read(a)!), eqn.params);
      eqn.outs.forEach((v, i) => known.set(v, outs[i]));
    } else linearEqns.push(eqn);
  }
  const cts = new Map<Var, MaybeZero>();
  const addCt = (v: Var, ct: MaybeZero) => {
    if (isZero(ct)) return;
    const prev = cts.get(v);
    cts.set(v, prev ? addTangents(prev, ct) : ct);
  };
  jaxpr.outs.forEach((a, i) => {
    if (a instanceof Var && !known.has(a)) addCt(a, cotangents[i]);
  });
  for (let k = linearEqns.length - 1; k >= 0; k--) {
    const eqn = linearEqns[k];
    const ctsOut = eqn.outs.map((v) => cts.get(v) ?? new Zero(v.aval));
    eqn.outs.forEach((v) => cts.delete(v));
    if (ctsOut.every(isZero)) continue;
    const ins = eqn.inputs.map((a) => read(a) ?? new UndefinedPrimal(a.aval));
    const rule = eqn.prim.rules.transpose;
    if (!rule) {
      throw new UnsupportedError(
        `reverse-mode differentiation reached ${eqn.prim.name} applied to a tangent, but ${eqn.prim.name} is not linear ` +
          `and has no transpose rule; this is a bug in a jvp rule (a customJvp rule must be linear in the tangents)`,
      );
    }
    const ctsIn = rule(ctsOut, ins, eqn.params);
    eqn.inputs.forEach((a, i) => {
      if (a instanceof Var && !known.has(a)) addCt(a, ctsIn[i]);
    });
  }
  return jaxpr.invars.map((v, i) => (args[i] instanceof UndefinedPrimal ? cts.get(v) ?? new Zero(v.aval) : new Zero(v.aval)));
}

/** A transposed jaxpr and which of its cotangents are not symbolically zero. */
export interface TransposedJaxpr {
  /** `[...known inputs, ...nonzero output cotangents]` → nonzero cotangents of the linear inputs. */
  jaxpr: Jaxpr;
  ctNonzero: boolean[];
}

const transposeCache: JaxprMemo<TransposedJaxpr> = new WeakMap();

/**
 * The transpose of a jaxpr (constants as leading inputs) that is linear in
 * the inputs marked `linear`, traced into a jaxpr once per jaxpr and masks,
 * so that a call primitive's backward pass is a call too (jit's runs fused,
 * as one compiled plan). `ctNonzero` marks the output cotangents given.
 */
export function transposedJaxpr(jaxpr: Jaxpr, linear: readonly boolean[], ctsGiven: readonly boolean[]): TransposedJaxpr {
  return memoOnJaxpr(transposeCache, jaxpr, `${maskKey(linear)}|${maskKey(ctsGiven)}`, () => {
    const [knownVars, linearVars] = partitionList(linear, jaxpr.invars);
    let ctNonzero: boolean[] = [];
    const traced = traceFlat(
      (...xs) => {
        const [known, cts] = splitList(xs, [knownVars.length]);
        const args = mergeLists<Value | UndefinedPrimal>(linear, known, linearVars.map((v) => new UndefinedPrimal(v.aval)));
        const outCts = mergeLists<MaybeZero>(ctsGiven, partitionList(ctsGiven, jaxpr.outs)[0].map((o) => new Zero(o.aval.strong())), cts);
        const ctsIn = pick(transposeJaxpr(jaxpr, [], args, outCts), linear);
        ctNonzero = ctsIn.map((c) => !isZero(c));
        return pick(ctsIn, ctNonzero) as Value[];
      },
      [...knownVars.map((v) => v.aval), ...pick(jaxpr.outs, ctsGiven).map((o) => o.aval.strong())],
      "transpose",
      evalTrace,
    );
    if (traced.consts.length) throw new Error("transposedJaxpr: the transpose of a closed jaxpr captured constants");
    return { jaxpr: traced.jaxpr, ctNonzero };
  });
}

// ---- the user-facing functions ---------------------------------------------------------------

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Reverse mode: evaluates `f` and returns a function that pulls a cotangent of
 * the output back to one cotangent per argument.
 * @example
 * const [y, pullback] = vjp((x) => x.mul(x), np.array(3));
 * const [dx] = pullback(np.array(1)); // 6
 */
export function vjp<F extends Fn>(f: F, ...primals: Parameters<F>): [ReturnType<F>, (ct: unknown) => Parameters<F>] {
  functionArg("vjp", "f", f);
  const [out, pullback] = vjpWithAux(f, primals, false, "vjp");
  return [out as ReturnType<F>, pullback as (ct: unknown) => Parameters<F>];
}

function vjpWithAux(f: Fn, primals: readonly unknown[], hasAux: boolean, op: string): [unknown, (ct: unknown) => unknown[], unknown] {
  const [leaves, inTree] = flattenArgs(primals, op);
  let outTree: TreeDef | undefined;
  let auxTree: TreeDef | undefined;
  let numOut = 0;
  // aux values are extra outputs whose tangents are dropped, so they leave as plain values
  const flatF = (...xs: Value[]) => {
    let out = f(...rebuild<unknown[]>(inTree, xs));
    let auxLeaves: unknown[] = [];
    if (hasAux) {
      if (!globalThis.Array.isArray(out) || out.length !== 2) {
        throw new UnsupportedError(`${op} with hasAux: the function must return a pair [output, aux]`);
      }
      [auxLeaves, auxTree] = flatten(out[1]);
      out = out[0];
    }
    const [outLeaves, t] = flatten(out);
    outTree = t;
    numOut = outLeaves.length;
    return flattenArgs([...outLeaves, ...auxLeaves], `${op} output`)[0];
  };
  const [allOuts, linear] = linearizeFlat(flatF, leaves, op);
  const outs = allOuts.slice(0, numOut);
  const aux = hasAux ? rebuild(auxTree!, allOuts.slice(numOut)) : undefined;
  const pullback = (ct: unknown): unknown[] => {
    const [ctLeaves, ctTree] = flattenArgs([ct], `${op} cotangent`);
    if (!ctTree.equals(flatten([rebuild(outTree!, outs)])[1])) {
      throw new ShapeError(`${op}: the cotangent's structure ${ctTree} does not match the output's ${outTree}`);
    }
    ctLeaves.forEach((c, i) => {
      if (c.ndim !== outs[i].ndim || c.shape.some((d, k) => d !== outs[i].shape[k])) {
        throw new ShapeError(`${op}: cotangent ${i} has shape ${fmtShape(c.shape)} but the output has ${fmtShape(outs[i].shape)}`);
      }
    });
    const auxCts = allOuts.slice(numOut).map((a) => new Zero(a.aval));
    const cts = backwardPass(linear, [...ctLeaves, ...auxCts]);
    return rebuild<unknown[]>(inTree, placeLikePrimals(cts.map(instantiate), leaves));
  };
  return [rebuild(outTree!, outs), pullback, aux];
}

/** A gradient has its argument's structure; a JS-number argument gets an array. */
type GradOfArg<T> = T extends number ? Value : T;
/** The gradient's type: the differentiated argument's, or a tuple of them for an array `argnums`. */
export type GradOf<F extends Fn, O extends GradOptions> = O["argnums"] extends readonly number[]
  ? GradsOf<F, O["argnums"]>
  : GradOfArg<Parameters<F>[O["argnums"] extends number ? O["argnums"] : 0]>;
type GradsOf<F extends Fn, A extends readonly number[]> = { -readonly [K in keyof A]: GradOfArg<Parameters<F>[A[K] & number]> };
/** The value `f` returns (without its aux when `hasAux`). */
type ValueOf<F extends Fn, O extends GradOptions> = O["hasAux"] extends true ? (ReturnType<F> extends readonly [infer V, unknown] ? V : Value) : ReturnType<F>;
type AuxOf<F extends Fn> = ReturnType<F> extends readonly [unknown, infer A] ? A : unknown;

/**
 * What `grad` and `valueAndGrad` ask of `f`'s declared return type: a scalar
 * (`Value` or a number; `[scalar, aux]` with `hasAux`). A function declared
 * to return something else (a list, an object of arrays) is a compile-time
 * error naming the fix; an untyped (`any`) result is checked at run time.
 */
export type ScalarOutput<F extends Fn, O extends GradOptions> = (
  O["hasAux"] extends true ? (ReturnType<F> extends readonly [Value | number, unknown] ? true : false) : ReturnType<F> extends Value | number ? true : false
) extends false
  ? { "grad needs f to return a scalar Value (a 0-d array; with hasAux, [scalar, aux]): reduce it with .sum() or .mean(), or use vjp or jacrev": never }
  : unknown;

export interface GradOptions {
  /** Which positional argument(s) to differentiate with respect to (default 0). */
  argnums?: number | readonly number[];
  /** The function returns `[output, aux]`; aux is passed through undifferentiated. */
  hasAux?: boolean;
  /**
   * The function is holomorphic (complex inputs, complex output): the gradient is the
   * complex derivative f'(z) (conjugated nowhere), as JAX's `holomorphic=True`.
   */
  holomorphic?: boolean;
}

/**
 * Returns a function computing `[f(...args), gradient]` (or `[[value, aux], gradient]` with `hasAux`).
 * With an array `argnums`, the gradient is an array with one entry per argnum.
 * @example
 * const [v, g] = valueAndGrad((x) => x.mul(x).sum())(np.array([1, 2])); // v = 5, g = [2, 4]
 */
export function valueAndGrad<F extends Fn, const O extends GradOptions = {}>(f: F & ScalarOutput<F, O>, options: O = {} as O) {
  functionArg("valueAndGrad", "f", f);
  options = optionsArg("valueAndGrad", options);
  return (...args: Lifted<Parameters<F>>): [O["hasAux"] extends true ? [ValueOf<F, O>, AuxOf<F>] : ValueOf<F, O>, GradOf<F, O>] => {
    const op = "grad";
    const argnums = normalizeArgnums(op, options.argnums, args.length);
    const diffArgs = argnums.map((i) => args[i]);
    const g = (...diff: unknown[]) => {
      const full = [...args];
      argnums.forEach((a, i) => (full[a] = diff[i]));
      return f(...full);
    };
    const [diffLeaves] = flattenArgs(diffArgs, op);
    const holomorphic = options.holomorphic ?? false;
    if (typeof holomorphic !== "boolean") throw new DTypeError(`grad: holomorphic must be true or false, got ${describe(holomorphic)}`);
    diffLeaves.forEach((v, i) => checkDifferentiable(op, v, `input leaf ${i} of the differentiated arguments`, holomorphic));
    const [out, pullback, aux] = vjpWithAux(g, diffArgs, options.hasAux ?? false, op);
    const value = out as Value;
    if (!(value && typeof value === "object" && "aval" in value) || value.ndim !== 0) {
      const shape = value && typeof value === "object" && "shape" in value ? fmtShape(value.shape) : typeof value;
      throw new ShapeError(
        `grad: the function must return a scalar (a 0-d array), got ${shape}. ` +
          `Reduce it (e.g. .sum() or .mean()), or use vjp or jacrev for non-scalar outputs`,
      );
    }
    if (holomorphic && !isComplexDType(value.dtype)) {
      throw new DTypeError(`grad with holomorphic: true needs a complex output, but the function's output has dtype ${value.dtype}`);
    }
    if (!holomorphic && isComplexDType(value.dtype)) {
      throw new DTypeError(
        `grad needs a real-valued output (a float dtype), but the function's output has dtype ${value.dtype}; ` +
          `pass { holomorphic: true } for a holomorphic function, take a real part (lax.real, np.abs), or use vjp for complex outputs`,
      );
    }
    if (!isFloat(value.dtype) && !holomorphic) {
      throw new DTypeError(`grad: the function's output has dtype ${value.dtype}; grad needs a float output`);
    }
    // the seed has the output's type, weak type included, so that a weak input's gradient comes out weak as in JAX
    const grads = pullback(scalar(1, value.dtype, value.weakType));
    const result = typeof options.argnums === "number" || options.argnums === undefined ? grads[0] : grads;
    return [(options.hasAux ? [value, aux] : value) as never, result as GradOf<F, O>];
  };
}

/**
 * The gradient of a scalar function: `grad(f)(x)` has x's structure.
 * @example
 * grad((x) => np.sin(x))(np.array(0)); // Array(1, dtype=float32)
 */
export function grad<F extends Fn, const O extends GradOptions = {}>(f: F & ScalarOutput<F, O>, options: O = {} as O) {
  functionArg("grad", "f", f);
  const vg = valueAndGrad<F, O>(f, options);
  return (...args: Lifted<Parameters<F>>): O["hasAux"] extends true ? [GradOf<F, O>, AuxOf<F>] : GradOf<F, O> => {
    const [v, g] = vg(...args);
    return (options.hasAux ? [g, (v as unknown as [unknown, unknown])[1]] : g) as never;
  };
}

/**
 * Evaluates `f` and returns a function for its JVP at that point, reusing the
 * linearization (the jaxpr of the tangent computation) on every call.
 * @example
 * const [y, fJvp] = linearize((x) => np.sin(x), np.array(0));
 * fJvp(np.array(2)); // 2 · cos(0) = 2
 */
export function linearize<F extends Fn>(f: F, ...primals: Parameters<F>): [ReturnType<F>, (...tangents: Parameters<F>) => ReturnType<F>] {
  functionArg("linearize", "f", f);
  const [leaves, inTree] = flattenArgs(primals, "linearize");
  const { flat, outTree } = flattenFun(f, inTree, "linearize output");
  const [outs, linear] = linearizeFlat(flat, leaves, "linearize");
  const fJvp = (...tangents: unknown[]) => {
    const [t] = flattenArgs(tangents, "linearize tangents");
    const used = t.filter((_, i) => linear.hasTangent[i]);
    return rebuild(outTree(), evalJaxpr(linear.jaxpr.jaxpr, linear.jaxpr.consts, used));
  };
  return [rebuild(outTree(), outs), fJvp as (...tangents: Parameters<F>) => ReturnType<F>];
}
