/**
 * Control flow as primitives: `cond` (also behind `switch`), `while` and
 * `scan`. Each holds closure-converted jaxprs (the values a branch or body
 * closes over are explicit leading inputs, so every transformation sees
 * them) and has every rule that makes sense:
 *
 * - jvp, as jit's: the primal loop/branch is bound unchanged (partial
 *   evaluation computes it now) and a separate tangent one, which recomputes
 *   the primal values it needs, is what linearize stages;
 * - transpose: a cond of transposed branches; for scan, a forward scan saving
 *   the known carries that the linear part reads at every step (none for a
 *   linear scan), then a reverse scan of the transposed body; whileLoop has
 *   none, by design (its trip count is only known at run time);
 * - batching: a vmapped body, with carries forced batched to a fixed point;
 *   a batched predicate turns cond into a select and whileLoop into a loop
 *   that runs while any example still runs.
 *
 * The rules are themselves transformations (jvp, vmap, transposition of the
 * body), imported from src/transforms and called only at run time. Eagerly,
 * a branch or body runs as a jitted jaxpr does (fused, compiled once), and a
 * loop disposes its per-step temporaries itself.
 */
import type { Array } from "../array.js";
import type { ArrayLike } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { isFloat, promoteTypes } from "../dtype.js";
import { BackendError, DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import { fmtShape, shapeEq } from "../shape.js";
import { describe, functionArg, listArg, optionsArg } from "../static-args.js";
import type { MaybeZero, Value } from "../trace/core.js";
import { bind, currentTrace, ShapedArray, UndefinedPrimal, Zero } from "../trace/core.js";
import type { Atom } from "../trace/jaxpr.js";
import { evalJaxpr, Jaxpr, Literal, Var } from "../trace/jaxpr.js";
import { flatten, type TreeDef } from "../trace/pytree.js";
import { dce } from "../trace/simplify.js";
import { traceFlat } from "../trace/staging.js";
import { deviceOf, executePlan, planFor } from "../runtime/index.js";
import { flattenArgs, rebuild } from "../transforms/args.js";
import { jvpFlat } from "../transforms/jvp.js";
import { transposeJaxpr } from "../transforms/linearize.js";
import { vmap } from "../transforms/vmap.js";
import { add, asValue, clamp, convert, gt, instantiate, lt, ne, select, selectN, zerosOf } from "./elementwise.js";
import { definePrimitive, isUndefined, isZero, scalar } from "./primitive.js";
import { reduceMax } from "./reduce.js";
import { broadcastInDim, concatenate, moveAxis, reshape, slice } from "./shape.js";

type FlatFn = (...xs: Value[]) => Value[];
type Axis = number | null;

// ---- helpers shared by the three primitives ------------------------------------------------------

const evalFlat =
  (jaxpr: Jaxpr): FlatFn =>
  (...xs) =>
    evalJaxpr(jaxpr, [], xs);
const avalsOf = (xs: readonly { aval: ShapedArray }[]) => xs.map((x) => x.aval);
const types = (avals: readonly ShapedArray[]) => `(${avals.map(String).join(", ")})`;
const orMasks = (a: boolean[], b: boolean[]) => a.map((x, i) => x || b[i]);

/**
 * Traces a flat function under the current trace; `consts` are the jaxpr's
 * leading inputs. Dead code goes now (the rules' traced bodies compute more
 * than they return), since a body runs once per step.
 */
function trace(fn: FlatFn, avals: ShapedArray[], name: string) {
  const { jaxpr, consts } = traceFlat(fn, avals, name, currentTrace());
  return { jaxpr: dce(jaxpr), consts };
}

/**
 * Runs a branch or body on concrete arrays as jit runs its jaxpr: fused
 * kernels compiled once per jaxpr, its temporaries released. A literal output
 * is handed out as a new array: the literal's own array is shared by every run.
 */
function runCompiled(jaxpr: Jaxpr, args: Array[]): Array[] {
  const plan = planFor(jaxpr, deviceOf(args));
  return executePlan(plan, args).map((o, i) => {
    const a = plan.jaxpr.outs[i];
    return a instanceof Literal ? scalar(a.value, a.aval.dtype, a.aval.weakType) : o;
  });
}

/**
 * cond on a device that cannot be read synchronously: all branches run (they
 * are pure, so only time is spent) and select_n picks each output, the index
 * clamped as `cond` clamps it.
 */
function selectBranches(index: Array, ops: Array[], branches: Jaxpr[]): Array[] {
  const outs = branches.map((b) => runCompiled(b, ops));
  const which = clamp(0, convert(index, "int32"), branches.length - 1);
  return outs[0].map((o, j) => {
    const w = broadcastInDim(which, o.shape, []);
    return selectN(w, ...outs.map((bo) => bo[j])) as Array;
  });
}

/**
 * The arrays a loop makes for itself (old carries, slices of xs, per-step
 * outputs), disposed as soon as nothing needs them, as jit does with its
 * intermediates, instead of waiting for the garbage collector. Arrays are
 * compared by identity: a body may return one of its inputs, or a value twice.
 */
class Temporaries {
  private readonly owned = new Set<Array>();
  private readonly held = new Set<Array>();
  /** The loop's inputs belong to its caller. */
  constructor(private readonly inputs: readonly Array[]) {}
  own(values: Array[]) {
    for (const v of values) if (!this.inputs.includes(v)) this.owned.add(v);
  }
  /** Keeps values until `releaseHeld` (outputs stored for later). */
  hold(values: Array[]) {
    for (const v of values) this.held.add(v);
  }
  /** Disposes the owned values among `values`, except held ones and those in `keep`. */
  release(values: Array[], keep: Array[] = []) {
    for (const v of values) {
      if (!this.owned.has(v) || this.held.has(v) || keep.includes(v)) continue;
      this.owned.delete(v);
      v.dispose();
    }
  }
  releaseHeld(keep: Array[]) {
    const held = [...this.held];
    this.held.clear();
    this.release(held, keep);
  }
}

/** Which outputs of a jaxpr depend on the inputs marked true (syntactically: conservative). */
function dependents(jaxpr: Jaxpr, mask: readonly boolean[]): boolean[] {
  const marked = new Set<Var>(jaxpr.invars.filter((_, i) => mask[i]));
  const isMarked = (a: Atom) => a instanceof Var && marked.has(a);
  for (const eqn of jaxpr.eqns) if (eqn.inputs.some(isMarked)) eqn.outs.forEach((v) => marked.add(v));
  return jaxpr.outs.map(isMarked);
}

/** Iterates a carry mask to its fixed point: a carry is marked if its input is or its new value depends on a marked input. */
function carryFixedPoint(jaxpr: Jaxpr, before: boolean[], carry: boolean[], after: boolean[], allowed: (i: number) => boolean = () => true) {
  let mask = carry;
  for (;;) {
    const outs = dependents(jaxpr, [...before, ...mask, ...after]);
    const next = mask.map((m, i) => m || (outs[i] && allowed(i)));
    if (next.every((m, i) => m === mask[i])) return { carry: mask, outs };
    mask = next;
  }
}

/**
 * Which known inputs the linear part of a jaxpr reads (directly or through
 * known equations), given which inputs are linear: what a transposition needs saved.
 */
function residualInputs(jaxpr: Jaxpr, linear: readonly boolean[]): boolean[] {
  const lin = new Set<Var>(jaxpr.invars.filter((_, i) => linear[i]));
  const isLin = (a: Atom) => a instanceof Var && lin.has(a);
  const needed = new Set<Var>();
  const known = [];
  for (const eqn of jaxpr.eqns) {
    if (eqn.inputs.some(isLin)) {
      eqn.outs.forEach((v) => lin.add(v));
      eqn.inputs.forEach((a) => a instanceof Var && !lin.has(a) && needed.add(a));
    } else known.push(eqn);
  }
  for (let k = known.length - 1; k >= 0; k--) {
    if (known[k].outs.some((v) => needed.has(v))) known[k].inputs.forEach((a) => a instanceof Var && needed.add(a));
  }
  return jaxpr.invars.map((v, i) => !linear[i] && needed.has(v));
}

/** Evaluates the equations of a jaxpr whose inputs are all known; unknown values stay undefined. */
function evalKnown(jaxpr: Jaxpr, inputs: (Value | undefined)[]): (Value | undefined)[] {
  const env = new Map<Var, Value>();
  jaxpr.invars.forEach((v, i) => inputs[i] !== undefined && env.set(v, inputs[i]!));
  const read = (a: Atom) => (a instanceof Literal ? a.array : env.get(a));
  for (const eqn of jaxpr.eqns) {
    const ins = eqn.inputs.map(read);
    if (ins.some((x) => x === undefined)) continue;
    const outs = bind(eqn.prim, ins as Value[], eqn.params);
    eqn.outs.forEach((v, i) => env.set(v, outs[i]));
  }
  return jaxpr.outs.map(read);
}

function batchSize(args: Value[], dims: Axis[]): number {
  const i = dims.findIndex((d) => d !== null);
  return args[i].shape[dims[i]!];
}

/** A value with its batch axis first; an unbatched one is broadcast along a new first axis. */
function toFront(x: Value, d: Axis, size: number): Value {
  if (d !== null) return moveAxis(x, d, 0);
  return broadcastInDim(x, [size, ...x.shape], x.shape.map((_, i) => i + 1));
}

/** vmap of a flat function; outputs at the given axes (0 for all by default); no batched input: a plain call. */
function vmapFlat(fn: FlatFn, size: number, inAxes: Axis[], outAxes?: Axis[]): FlatFn {
  return (...xs) => {
    if (inAxes.every((a) => a === null)) return fn(...xs).map((o, i) => ((outAxes?.[i] ?? 0) === null ? o : toFront(o, null, size)));
    return vmap(fn, { inAxes, outAxes: outAxes ?? 0 })(...xs) as Value[];
  };
}

/**
 * Traces a loop body (inputs: `pre`, the carry, `post`) and reconciles the carry's
 * types with its outputs as JAX does: a weakly typed input (a JS number) takes the
 * output's dtype, a weakly typed output is converted to the input's dtype. Any
 * other difference is an error naming both types.
 */
function traceLoopBody(op: string, fn: FlatFn, pre: ShapedArray[], init: Value[], post: ShapedArray[]) {
  let carry = init;
  const fixOut: (DType | undefined)[] = init.map(() => undefined);
  for (let attempt = 0; ; attempt++) {
    const wrapped: FlatFn = (...xs) => fn(...xs).map((o, i) => (i < fixOut.length && fixOut[i] ? convert(o, fixOut[i]!, false) : o));
    const body = trace(wrapped, [...pre, ...avalsOf(carry), ...post], op);
    const outs = body.jaxpr.outs.map((o) => o.aval);
    if (outs.length < carry.length) {
      throw new ShapeError(`${op}: the body returns ${outs.length} carry values but the carry has ${carry.length}; it must return the carry's structure`);
    }
    let changed = false;
    carry = carry.map((c, i) => {
      const a = c.aval;
      const o = outs[i];
      if (!shapeEq(a.shape, o.shape)) {
        throw new ShapeError(
          `${op}: carry leaf ${i} enters the body as ${a} (shape ${fmtShape(a.shape)}) but the body returns ${o} (shape ${fmtShape(o.shape)}); ` +
            `the carry must keep its shape and dtype across iterations (input carry ${types(avalsOf(carry))}, output ${types(outs.slice(0, carry.length))})`,
        );
      }
      if (a.dtype === o.dtype) {
        if (a.weakType === o.weakType) return c;
        changed = true;
        if (a.weakType) return convert(c, a.dtype, false);
        fixOut[i] = a.dtype;
        return c;
      }
      changed = true;
      if (a.weakType) return convert(c, o.dtype, o.weakType);
      if (o.weakType) {
        fixOut[i] = a.dtype;
        return c;
      }
      throw new DTypeError(
        `${op}: carry leaf ${i} enters the body as ${a} but the body returns ${o}; the carry must keep its dtype ` +
          `(convert the initial value with x.astype("${o.dtype}") or the body's result with .astype("${a.dtype}"))`,
      );
    });
    if (!changed) return { body, init: carry };
    if (attempt >= 3) throw new DTypeError(`${op}: the carry types ${types(avalsOf(carry))} do not settle; make the body return the carry's dtypes`);
  }
}

// ---- cond ------------------------------------------------------------------------------------------

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

export const condP = definePrimitive<CondParams>("cond", {
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
    return runCompiled(branches[i], ops);
  },
  jvp(primals, tangents, params) {
    const outs = bind(condP, primals, params);
    const [index, ...ops] = primals;
    const ts = tangents.slice(1);
    const mask = ts.map((t, i) => !isZero(t) && isFloat(ops[i].dtype));
    const outMask = params.branches
      .map((b) => dependents(b, mask))
      .reduce(orMasks)
      .map((m, j) => m && isFloat(outs[j].dtype));
    const zeros = () => outs.map((o) => new Zero(o.aval.strong()));
    if (!outMask.some(Boolean)) return [outs, zeros()];
    // the tangent branches take the primal operands and the nonzero tangents
    const fns = params.branches.map((b): FlatFn => (...xs) => {
      const t = xs.slice(ops.length);
      let k = 0;
      const full = ops.map((o, i) => (mask[i] ? t[k++] : new Zero(o.aval.strong())));
      const [, to] = jvpFlat(evalFlat(b), xs.slice(0, ops.length), full);
      return to.filter((_, j) => outMask[j]).map(instantiate);
    });
    const touts = bindCond("lax.cond (jvp)", index, fns, [...ops, ...(ts.filter((_, i) => mask[i]) as Value[])]);
    let k = 0;
    return [outs, outs.map((o, j) => (outMask[j] ? touts[k++] : new Zero(o.aval.strong())))];
  },
  transpose(cts, [index, ...ops], { branches }) {
    if (isUndefined(index)) throw new Error("cond is not linear in its branch index");
    const undef = ops.map(isUndefined);
    const known = ops.filter((_, i) => !undef[i]) as Value[];
    const ctMask = cts.map((c) => !isZero(c));
    const fns = branches.map((b): FlatFn => (...xs) => {
      const kn = xs.slice(0, known.length);
      const c = xs.slice(known.length);
      let k = 0;
      let m = 0;
      const args = ops.map((_, i) => (undef[i] ? new UndefinedPrimal(b.invars[i].aval) : kn[k++]));
      const outCts = cts.map((_, j) => (ctMask[j] ? c[m++] : new Zero(b.outs[j].aval)));
      return transposeJaxpr(b, [], args, outCts)
        .filter((_, i) => undef[i])
        .map(instantiate);
    });
    const ctsIn = bindCond("lax.cond (transpose)", index, fns, [...known, ...(cts.filter((_, j) => ctMask[j]) as Value[])]);
    let k = 0;
    return [new Zero(index.aval), ...ops.map((o, i) => (undef[i] ? ctsIn[k++] : new Zero(o.aval)))];
  },
  batch([index, ...ops], [indexDim, ...dims], { branches }) {
    const size = batchSize([index, ...ops], [indexDim, ...dims]);
    if (indexDim === null) {
      const fns = branches.map((b) => vmapFlat(evalFlat(b), size, dims));
      const outs = bindCond("vmap of lax.cond", index, fns, ops);
      return [outs, outs.map(() => 0)];
    }
    // a batched index: every branch runs on every example, and a select picks per example (as JAX)
    const which = clamp(0, moveAxis(index, indexDim, 0), branches.length - 1);
    const results = branches.map((b) => vmapFlat(evalFlat(b), size, dims)(...ops));
    const outs = results[0].map((r, j) => selectN(broadcastInDim(which, r.shape, [0]), ...results.map((res) => res[j])));
    return [outs, outs.map(() => 0)];
  },
});

function flatBranch(fn: (...args: never[]) => unknown, inTree: TreeDef, trees: TreeDef[], k: number, op: string): FlatFn {
  return (...xs) => {
    const [leaves, t] = flatten(fn(...rebuild<never[]>(inTree, xs)));
    trees[k] = t;
    return flattenArgs(leaves, `${op} output`)[0];
  };
}

function runBranches<R>(op: string, index: Value, fns: readonly ((...args: never[]) => R)[], operands: unknown[], labels: string[]): R {
  const [leaves, inTree] = flattenArgs(operands, op);
  const trees: TreeDef[] = [];
  const flat = fns.map((fn, k) => flatBranch(fn, inTree, trees, k, op));
  const sameStructure = () =>
    trees.forEach((t, k) => {
      if (!t.equals(trees[0])) throw new ShapeError(`${op}: the branches must return the same structure, but ${labels[0]} returns ${trees[0]} and ${labels[k]} returns ${t}`);
    });
  const outs = bindCond(op, index, flat, leaves, labels, sameStructure);
  return rebuild<R>(trees[0], outs);
}

function scalarOperand(op: string, what: string, x: ArrayLike, hint = ""): Value {
  const v = asValue(x);
  if (v.ndim !== 0) throw new ShapeError(`${op}: ${what} must be a scalar, got shape ${fmtShape(v.shape)}${hint}`);
  return v;
}
const elementwiseHint = "; reduce it, or use np.where for elementwise choices";

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

// ---- while -----------------------------------------------------------------------------------------

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

function splitWhile<T>(xs: T[], p: WhileParams): [T[], T[], T[]] {
  const a = p.condNConsts;
  const b = a + p.bodyNConsts;
  return [xs.slice(0, a), xs.slice(a, b), xs.slice(b)];
}

/** Whether any element of a bool vector is true, as a bool scalar. */
const any = (p: Value) => gt(reduceMax(convert(p, "int32"), [0]), 0);

export const whileP = definePrimitive<WhileParams>("while", {
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
    const outs = bind(whileP, primals, p);
    const [cc, bc, carry] = splitWhile(primals, p);
    const [, bcT, carryT] = splitWhile(tangents, p);
    const bcMask = bcT.map((t, i) => !isZero(t) && isFloat(bc[i].dtype));
    const init = carryT.map((t, i) => !isZero(t) && isFloat(carry[i].dtype));
    const { carry: mask } = carryFixedPoint(p.body, bcMask, init, [], (i) => isFloat(carry[i].dtype));
    if (!mask.some(Boolean)) return [outs, outs.map((o) => new Zero(o.aval.strong()))];
    const nK = carry.length;
    const nBT = bcMask.filter(Boolean).length;
    // the tangent loop carries the primal values with the tangents (its trip count depends on them)
    const condFn: FlatFn = (...xs) => evalJaxpr(p.cond, [], xs.slice(0, cc.length + nK));
    const bodyFn: FlatFn = (...xs) => {
      const b = xs.slice(0, bc.length);
      const bt = xs.slice(bc.length, bc.length + nBT);
      const k = xs.slice(bc.length + nBT, bc.length + nBT + nK);
      const kt = xs.slice(bc.length + nBT + nK);
      let i = 0;
      let j = 0;
      const tin = [...b.map((v, n) => (bcMask[n] ? bt[i++] : new Zero(v.aval.strong()))), ...k.map((v, n) => (mask[n] ? kt[j++] : new Zero(v.aval.strong())))];
      const [po, to] = jvpFlat(evalFlat(p.body), [...b, ...k], tin);
      return [...po, ...to.filter((_, n) => mask[n]).map(instantiate)];
    };
    const both = bindWhile(
      "lax.whileLoop (jvp)",
      condFn,
      bodyFn,
      cc,
      [...bc, ...(bcT.filter((_, i) => bcMask[i]) as Value[])],
      [...carry, ...carryT.filter((_, i) => mask[i]).map(instantiate)],
    );
    const touts = both.slice(nK);
    let k = 0;
    return [outs, outs.map((o, i) => (mask[i] ? touts[k++] : new Zero(o.aval.strong())))];
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
    const bodyB = vmapFlat(evalFlat(p.body), size, [...bcDims, ...carryAx], carryAx);
    if (!predBatched) {
      const condB = vmapFlat(evalFlat(p.cond), size, [...ccDims, ...carryAx], [null]);
      return [bindWhile("vmap of lax.whileLoop", condB, bodyB, cc, bc, init), carryAx];
    }
    const predOf = vmapFlat(evalFlat(p.cond), size, [...ccDims, ...carryAx], [0]);
    const condFn: FlatFn = (...xs) => [any(predOf(...xs)[0])];
    const bodyFn: FlatFn = (...xs) => {
      const c = xs.slice(0, cc.length);
      const b = xs.slice(cc.length, cc.length + bc.length);
      const k = xs.slice(cc.length + bc.length);
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

// ---- scan ------------------------------------------------------------------------------------------

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

function splitScan<T>(xs: T[], p: ScanParams): [T[], T[], T[]] {
  const a = p.numConsts;
  const b = a + p.numCarry;
  return [xs.slice(0, a), xs.slice(a, b), xs.slice(b)];
}

/** Picks the entries of `xs` where `mask` is true. */
const pick = <T>(xs: T[], mask: boolean[]) => xs.filter((_, i) => mask[i]);

export const scanP = definePrimitive<ScanParams>("scan", {
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
    const outs = bind(scanP, primals, p);
    const [consts, carry, xs] = splitScan(primals, p);
    const nz = tangents.map((t, i) => !isZero(t) && isFloat(primals[i].dtype));
    const [cMask, kInit, xMask] = splitScan(nz, p);
    const nK = p.numCarry;
    const fp = carryFixedPoint(p.jaxpr, cMask, kInit, xMask, (i) => isFloat(carry[i].dtype));
    const kMask = fp.carry;
    const yMask = fp.outs.slice(nK).map((d, j) => d && isFloat(p.jaxpr.outs[nK + j].aval.dtype));
    const zeros = () => outs.map((o) => new Zero(o.aval.strong()));
    if (!kMask.some(Boolean) && !yMask.some(Boolean)) return [outs, zeros()];
    const [cT, kT, xT] = splitScan(tangents, p);
    const nC = consts.length;
    const nCT = cMask.filter(Boolean).length;
    const nKT = kMask.filter(Boolean).length;
    const nX = xs.length;
    // the tangent scan recomputes the primal carries alongside the tangents
    const body: FlatFn = (...ins) => {
      let o = 0;
      const take = (n: number) => ins.slice(o, (o += n));
      const [cp, ct, kp, kt, xp, xt] = [take(nC), take(nCT), take(nK), take(nKT), take(nX), take(ins.length)];
      const fill = (vals: Value[], mask: boolean[], ts: Value[]) => {
        let k = 0;
        return vals.map((v, i) => (mask[i] ? ts[k++] : new Zero(v.aval.strong())));
      };
      const [po, to] = jvpFlat(evalFlat(p.jaxpr), [...cp, ...kp, ...xp], [...fill(cp, cMask, ct), ...fill(kp, kMask, kt), ...fill(xp, xMask, xt)]);
      return [...po.slice(0, nK), ...pick(to.slice(0, nK), kMask).map(instantiate), ...pick(to.slice(nK), yMask).map(instantiate)];
    };
    const res = bindScan(
      "lax.scan (jvp)",
      body,
      [...consts, ...(pick(cT, cMask) as Value[])],
      [...carry, ...pick(kT, kMask).map(instantiate)],
      [...xs, ...(pick(xT, xMask) as Value[])],
      p.length,
      p.reverse,
    );
    const kOut = res.slice(nK, nK + nKT);
    const yOut = res.slice(nK + nKT);
    let a = 0;
    let b = 0;
    return [outs, [...outs.slice(0, nK).map((o, i) => (kMask[i] ? kOut[a++] : new Zero(o.aval.strong()))), ...outs.slice(nK).map((o, j) => (yMask[j] ? yOut[b++] : new Zero(o.aval.strong())))]];
  },
  transpose(cts, args, p) {
    const { jaxpr, length, reverse } = p;
    const undef = args.map(isUndefined);
    const [consts, carry, xs] = splitScan(args, p);
    const [cU, kInitU, xU] = splitScan(undef, p);
    const nK = p.numCarry;
    // a carry is linear if its input is, or if its new value depends on a linear input
    const kU = carryFixedPoint(jaxpr, cU, kInitU, xU).carry;
    const kConsts = consts.filter((_, i) => !cU[i]) as Value[];
    const kInit = carry.filter((_, i) => !kU[i]) as Value[];
    const kXs = xs.filter((_, i) => !xU[i]) as Value[];
    const invAval = (i: number) => jaxpr.invars[i].aval;
    const nC = consts.length;
    /** The body's inputs with the known ones filled in and the linear ones undefined. */
    const assemble = <U>(kc: Value[], kk: Value[], kx: Value[], unknown: (i: number) => U): (Value | U)[] => {
      let a = 0;
      let b = 0;
      let c = 0;
      return [
        ...cU.map((u, i) => (u ? unknown(i) : kc[a++])),
        ...kU.map((u, i) => (u ? unknown(nC + i) : kk[b++])),
        ...xU.map((u, i) => (u ? unknown(nC + nK + i) : kx[c++])),
      ];
    };
    // 1. forward: the known carries the linear part reads, at the start of every step (the residuals)
    const needed = residualInputs(jaxpr, [...cU, ...kU, ...xU]).slice(nC, nC + nK);
    const kNeeded = needed.filter((_, i) => !kU[i]);
    let res: Value[] = [];
    if (kNeeded.some(Boolean)) {
      const fwd: FlatFn = (...ins) => {
        const kc = ins.slice(0, kConsts.length);
        const kk = ins.slice(kConsts.length, kConsts.length + kInit.length);
        const kx = ins.slice(kConsts.length + kInit.length);
        const outs = evalKnown(jaxpr, assemble(kc, kk, kx, () => undefined));
        const next = outs.slice(0, nK).filter((_, i) => !kU[i]);
        if (next.some((v) => v === undefined)) throw new Error("lax.scan transpose: a known carry depends on a linear input");
        return [...(next as Value[]), ...pick(kk, kNeeded)];
      };
      res = bindScan("lax.scan (transpose, forward)", fwd, kConsts, kInit, kXs, length, reverse).slice(kInit.length);
    }
    // 2. backward: the transposed body, scanned the other way, accumulating the constants' cotangents
    const kCts = cts.slice(0, nK);
    const yCts = cts.slice(nK);
    const yMask = yCts.map((c) => !isZero(c));
    const ctCarry = pick(kCts, kU).map(instantiate);
    const accInit = pick(consts, cU).map((c) => zerosOf(c.aval.strong()));
    const nKU = ctCarry.length;
    const nCU = accInit.length;
    const back: FlatFn = (...ins) => {
      let o = 0;
      const take = (n: number) => ins.slice(o, (o += n));
      const [kc, ctk, acc, r, kx, cy] = [take(kConsts.length), take(nKU), take(nCU), take(res.length), take(kXs.length), take(ins.length)];
      // known carries the linear part does not read get a placeholder (dead code after tracing)
      let n = 0;
      const kk = kInit.map((v, i) => (kNeeded[i] ? r[n++] : zerosOf(v.aval)));
      const bodyArgs = assemble(kc, kk, kx, (i) => new UndefinedPrimal(invAval(i)));
      let a = 0;
      let b = 0;
      const outCts: MaybeZero[] = [
        ...kU.map((u, i) => (u ? ctk[a++] : new Zero(jaxpr.outs[i].aval))),
        ...yMask.map((m, j) => (m ? cy[b++] : new Zero(jaxpr.outs[nK + j].aval))),
      ];
      const ctIn = transposeJaxpr(jaxpr, [], bodyArgs, outCts);
      const [cC, kC, xC] = splitScan(ctIn, p);
      const newAcc = pick(cC, cU).map((c, i) => (isZero(c) ? acc[i] : add(acc[i], c)));
      return [...pick(kC, kU).map(instantiate), ...newAcc, ...pick(xC, xU).map(instantiate)];
    };
    const outs = bindScan(
      "lax.scan (transpose)",
      back,
      kConsts,
      [...ctCarry, ...accInit],
      [...res, ...kXs, ...(pick(yCts, yMask) as Value[])],
      length,
      !reverse,
    );
    const kCt = outs.slice(0, nKU);
    const cCt = outs.slice(nKU, nKU + nCU);
    const xCt = outs.slice(nKU + nCU);
    // a carry made linear only by the body has a known (zero) input, which gets no cotangent
    const spread = (vals: (Value | UndefinedPrimal)[], linear: boolean[], cts: Value[], wanted: boolean[]) => {
      let k = 0;
      return vals.map((v, i) => {
        if (!linear[i]) return new Zero(v.aval);
        const ct = cts[k++];
        return wanted[i] ? ct : new Zero(v.aval);
      });
    };
    return [...spread(consts, cU, cCt, cU), ...spread(carry, kU, kCt, kInitU), ...spread(xs, xU, xCt, xU)];
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
    const body = vmapFlat(evalFlat(p.jaxpr), size, [...cDims, ...kAx, ...xDims.map((d) => (d === null ? null : 0))], [...kAx, ...yB.map((b) => (b ? 0 : null))]);
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
