/**
 * What cond, while and scan share: tracing a body under the current trace,
 * running one compiled, the loop temporaries, dependence masks and fixed
 * points over carries, and the batching helpers.
 */
import type { ArrayLike } from "../../array-methods.js";
import type { DType } from "../../dtype.js";
import { DTypeError, ShapeError } from "../../errors.js";
import { fmtShape, shapeEq } from "../../shape.js";
import type { Concrete as Array, Value } from "../../trace/core.js";
import { bind, currentTrace, ShapedArray, theRuntime } from "../../trace/core.js";
import type { Atom } from "../../trace/jaxpr.js";
import { Jaxpr, Literal, Var } from "../../trace/jaxpr.js";
import { dce } from "../../trace/simplify.js";
import { traceFlat } from "../../trace/staging.js";
import { vmap } from "../../transforms/vmap.js";
import { type FlatFn } from "../../transforms/flat.js";
import { add, asValue, clamp, convert, selectN } from "../elementwise.js";
import { scalar } from "../primitive.js";
import { broadcastInDim, moveAxis, slice } from "../shape.js";

export type Axis = number | null;

export const avalsOf = (xs: readonly { aval: ShapedArray }[]) => xs.map((x) => x.aval);
export const types = (avals: readonly ShapedArray[]) => `(${avals.map(String).join(", ")})`;

/**
 * Traces a flat function under the current trace; `consts` are the jaxpr's
 * leading inputs. Dead code goes now (the rules' traced bodies compute more
 * than they return), since a body runs once per step.
 */
export function trace(fn: FlatFn, avals: ShapedArray[], name: string) {
  const { jaxpr, consts } = traceFlat(fn, avals, name, currentTrace());
  return { jaxpr: dce(jaxpr), consts };
}

/**
 * Runs a branch or body on concrete arrays as jit runs its jaxpr: fused
 * kernels compiled once per jaxpr, its temporaries released. A literal output
 * is handed out as a new array: the literal's own array is shared by every run.
 */
export function runCompiled(jaxpr: Jaxpr, args: Array[]): Array[] {
  return theRuntime().runJaxpr(jaxpr, args);
}

/**
 * cond on a device that cannot be read synchronously: all branches run (they
 * are pure, so only time is spent) and select_n picks each output, the index
 * clamped as `cond` clamps it.
 */
export function selectBranches(index: Array, ops: Array[], branches: Jaxpr[]): Array[] {
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
export class Temporaries {
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
export function dependents(jaxpr: Jaxpr, mask: readonly boolean[]): boolean[] {
  const marked = new Set<Var>(jaxpr.invars.filter((_, i) => mask[i]));
  const isMarked = (a: Atom) => a instanceof Var && marked.has(a);
  for (const eqn of jaxpr.eqns) if (eqn.inputs.some(isMarked)) eqn.outs.forEach((v) => marked.add(v));
  return jaxpr.outs.map(isMarked);
}

/** Iterates a carry mask to its fixed point: a carry is marked if its input is or its new value depends on a marked input. */
export function carryFixedPoint(jaxpr: Jaxpr, before: boolean[], carry: boolean[], after: boolean[], allowed: (i: number) => boolean = () => true) {
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
export function residualInputs(jaxpr: Jaxpr, linear: readonly boolean[]): boolean[] {
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
export function evalKnown(jaxpr: Jaxpr, inputs: (Value | undefined)[]): (Value | undefined)[] {
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

export function batchSize(args: Value[], dims: Axis[]): number {
  const i = dims.findIndex((d) => d !== null);
  return args[i].shape[dims[i]!];
}

/** A value with its batch axis first; an unbatched one is broadcast along a new first axis. */
export function toFront(x: Value, d: Axis, size: number): Value {
  if (d !== null) return moveAxis(x, d, 0);
  return broadcastInDim(x, [size, ...x.shape], x.shape.map((_, i) => i + 1));
}

/** vmap of a flat function; outputs at the given axes (0 for all by default); no batched input: a plain call. */
export function vmapFlat(fn: FlatFn, size: number, inAxes: Axis[], outAxes?: Axis[]): FlatFn {
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
export function traceLoopBody(op: string, fn: FlatFn, pre: ShapedArray[], init: Value[], post: ShapedArray[]) {
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

/** A scalar operand (a predicate, an index, a bound) as a value, or a ShapeError naming it. */
export function scalarOperand(op: string, what: string, x: ArrayLike, hint = ""): Value {
  const v = asValue(x);
  if (v.ndim !== 0) throw new ShapeError(`${op}: ${what} must be a scalar, got shape ${fmtShape(v.shape)}${hint}`);
  return v;
}
export const elementwiseHint = "; reduce it, or use np.where for elementwise choices";
