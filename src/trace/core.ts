/**
 * The machinery every transformation stands on: abstract values, primitives,
 * `bind`, traces and tracers, and the current-trace context.
 *
 * Tracing is stackless (as modern JAX): there is one current trace. `bind`
 * hands a primitive application to it; the trace interprets it (evaluate,
 * differentiate, batch, stage) and runs the primitive's rules with its
 * *parent* as the current trace. A tracer belongs to exactly one trace; any
 * other value a trace meets is a constant to it. A trace is killed when the
 * transformation that made it returns, so a tracer that escapes is caught.
 */
import type { DType } from "../dtype.js";
import { isComplexDType, shortName } from "../dtype.js";
import { ConcretizationError, DTypeError, TracerLeakError, UnsupportedError } from "../errors.js";
import { checkShapeNumbers } from "../static-args.js";
import type { Shape } from "../shape.js";
import { sizeOf, shapeEq } from "../shape.js";
import { ArrayMethods } from "../array-methods.js";

/**
 * The concrete array type, as the runtime declares it (`src/array.ts` adds
 * `array: Array` to this interface by declaration merging). The trace
 * machinery moves concrete values around without knowing what they are or
 * where they live, so it names their type without importing it: the layering
 * (docs/architecture.md) keeps `trace/` free of devices and of `Array`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ConcreteTypes {}
/** A concrete array: jaxon's `Array` once the runtime is loaded. */
export type Concrete = ConcreteTypes extends { array: infer A } ? A : never;
type Array = Concrete;

/** Shapes a ShapedArray has checked and frozen (safe to share: they cannot change). */
const checkedShapes = new WeakSet<Shape>();
const NO_AXES: Shape = Object.freeze([]);
/** Each scalar type's key (strong, weak), made once. */
const scalarKeys = new Map<DType, [string | undefined, string | undefined]>();

/** The abstract value of an array: what tracing knows (shape, dtype, weak type), never the data. */
export class ShapedArray {
  readonly shape: Shape;
  constructor(
    shape: Shape,
    readonly dtype: DType,
    readonly weakType = false,
  ) {
    // every array type passes here: no shape with a non-integer, negative or absurd size can exist
    // (a shape another ShapedArray checked and froze is shared as it is: eager ops make many types)
    if (shape.length === 0) this.shape = NO_AXES;
    else if (checkedShapes.has(shape)) this.shape = shape;
    else {
      checkShapeNumbers("array shape", shape);
      this.shape = Object.freeze([...shape]);
      checkedShapes.add(this.shape);
    }
  }
  get ndim() {
    return this.shape.length;
  }
  get size() {
    return sizeOf(this.shape);
  }
  /** JAX's short form: `f32[3,4]`. */
  toString() {
    return `${shortName[this.dtype]}[${this.shape.join(",")}]`;
  }
  #key: string | undefined;
  /** A string that identifies the type, weakness included (for caches). */
  get key(): string {
    if (this.#key !== undefined) return this.#key;
    if (this.shape.length === 0) {
      // scalars (most of an eager loop's values): one string per dtype and weakness, made once
      const known = scalarKeys.get(this.dtype);
      const k = known?.[this.weakType ? 1 : 0];
      if (k !== undefined) return (this.#key = k);
    }
    const k = `${this.toString()}${this.weakType ? "~" : ""}`;
    if (this.shape.length === 0) {
      let pair = scalarKeys.get(this.dtype);
      if (!pair) scalarKeys.set(this.dtype, (pair = [undefined, undefined]));
      pair[this.weakType ? 1 : 0] = k;
    }
    return (this.#key = k);
  }
  equals(o: ShapedArray) {
    return this.dtype === o.dtype && this.weakType === o.weakType && shapeEq(this.shape, o.shape);
  }
  /** The same type without weakness: used when a value stops being a JS-number constant. */
  strong() {
    return this.weakType ? new ShapedArray(this.shape, this.dtype, false) : this;
  }
}

/** A value a primitive takes: a concrete Array or a Tracer of some trace. */
export type Value = Array | Tracer;

/** Primitive parameters: static values (numbers, shapes, dtypes, jaxprs), never arrays. */
export type Params = Record<string, unknown>;

/**
 * A primitive operation. The rules live in `src/lax`, defined once per
 * primitive with `definePrimitive`; this class only names the slots so that
 * the trace machinery can call them.
 */
export class Primitive<P extends Params = Params> {
  constructor(
    readonly name: string,
    readonly rules: PrimitiveRules<P>,
    /**
     * The rest of the primitive's definition (how it runs, its fusion role),
     * written in `src/lax` in terms of the kernel IR, which this layer does
     * not know: `definitionOf` in lax/primitive.ts gives it its type.
     */
    readonly definition: unknown = undefined,
  ) {}
  toString() {
    return this.name;
  }
}

/** Symbolic zero tangent/cotangent: costs nothing, carries only its type. */
export class Zero {
  readonly #symbolicZero = true; // nominal: an Array is never a Zero
  constructor(readonly aval: ShapedArray) {}
}
export type MaybeZero = Value | Zero;

/** A linear input in a transpose rule: its value is what the rule solves for. */
export class UndefinedPrimal {
  readonly #undefinedPrimal = true; // nominal, as Zero
  constructor(readonly aval: ShapedArray) {}
}

export interface PrimitiveRules<P extends Params> {
  /**
   * Whether the primitive is defined on complex values (complex64, complex128). `bind` refuses
   * complex operands, and abstract eval complex results, of any other primitive with an
   * UnsupportedError, so partial complex support never gives silently wrong numbers.
   */
  complex?: boolean;
  /** Not defined on complex values in JAX either (ordering, floor, ...): `bind` refuses them with a DTypeError rather than an UnsupportedError. */
  complexUndefined?: boolean;
  /**
   * Data movement (and sums) that act on each part alike: `bind` applies it to complex operands as
   * to their float pairs, batched over the pair axis (see `setComplexLanes`), so every rule of the
   * real primitive serves.
   */
  complexLanes?: boolean;
  /** Throws a typed error unless every parameter is what the primitive declares (set by definePrimitive). */
  checkParams?(params: P): void;
  /** Shapes and dtypes of the outputs; throws ShapeError/DTypeError on bad input. */
  abstractEval(avals: ShapedArray[], params: P): ShapedArray[];
  /**
   * For call-like primitives (jit, checkpoint, custom rules): the jaxpr the
   * primitive evaluates, with the equation's inputs as its inputs, so that
   * simplification can inline it (and a plan can run it fused).
   */
  callJaxpr?(params: P): import("./jaxpr.js").Jaxpr;
  /** Facts simplification uses instead of the primitive's name (see `SimplifyFacts`). */
  simplify?: SimplifyFacts;
  /** Whether the primitive has an effect beyond its outputs (a debug callback): dead-code elimination keeps it. */
  effectful?: boolean;
  /** Forward-mode rule, written with bind so that it composes with every trace. */
  jvp(primals: Value[], tangents: MaybeZero[], params: P): [Value[], MaybeZero[]];
  /** Transpose rule (linear primitives only): cotangents of the inputs that are UndefinedPrimal. */
  transpose?(cts: MaybeZero[], args: (Value | UndefinedPrimal)[], params: P): MaybeZero[];
  /** Batching rule: `dims[i]` is the batch axis of args[i] or null; returns outputs and their batch axes. */
  batch(args: Value[], dims: (number | null)[], params: P): [Value[], (number | null)[]];
  /**
   * Collectives (src/lax/parallel.ts): the names of the vmap axes the application works over.
   * A vmap that binds one of them runs `batchNamed` instead of `batch`, even when no argument
   * varies along its axis (`psum` of an unbatched value, `axisIndex`, which has no operand).
   */
  axisNames?(params: P): readonly string[];
  /** The collective's work over the vmap axis `axis` (one of its `axisNames`): a reduction, gather or permutation along the batch axis. */
  batchNamed?(args: Value[], dims: (number | null)[], params: P, axis: { readonly name: string; readonly size: number }): [Value[], (number | null)[]];
  /**
   * Partial evaluation of an application some of whose inputs are known now and the others
   * (`unknown[i]`) only later (linearize, partialEvalJaxpr): computes what it can now with
   * `bind` (the parent trace is current) and records the rest with `stage`. Call-like
   * primitives have one (see src/trace/partial-eval.ts); without it, an equation with any
   * unknown input is staged whole.
   */
  partialEval?(args: Value[], unknown: boolean[], params: P, stage: StageFn): Value[];
}

/** Records an equation in a partial-evaluation trace; returns its (unknown) outputs. */
export type StageFn = (prim: Primitive, args: Value[], params: Params) => Value[];

/**
 * What simplification may assume about a primitive. Each fact is a rewrite
 * that keeps the value and its type (the rewrite is checked against the
 * output's type before it is applied).
 */
export interface SimplifyFacts {
  /** `op(x, c) = x` for the literal c (mul 1, add 0, sub 0, div 1). */
  rightIdentity?: number;
  /** `op(c, x) = x` for the literal c (mul 1, add 0). */
  leftIdentity?: number;
  /** `op(x) = x` when the output has x's type (a convert, reshape or broadcast to the same type). */
  identityOnSameType?: boolean;
  /** `op(op(x)) = x` (neg). */
  involution?: boolean;
  /**
   * Whether the output of a one-operand application is still one value in
   * every element when the operand is (broadcasts, reshapes): a constant keeps
   * its host value through it, so it can still follow data to any device.
   */
  preservesConstant?: boolean;
}

// ---- traces -----------------------------------------------------------------

let nextTraceId = 0;

export abstract class Trace {
  readonly id = nextTraceId++;
  alive = true;
  constructor(
    readonly parent: Trace | null,
    /** The transformation that made this trace, for error messages ("grad", "vmap", "jit"). */
    readonly transform: string,
  ) {}
  /** Interprets one primitive application; called with this trace current. */
  abstract process(prim: Primitive, args: Value[], params: Params): Value[];

  /** True for values this trace owns. */
  owns(x: Value): x is Tracer {
    return x instanceof Tracer && x.trace === this;
  }
}

/**
 * What the trace machinery asks of the runtime (`src/runtime`), which
 * installs itself when it loads: running a primitive on concrete arrays, and
 * the concrete arrays that constants stand for. This is how `trace/` stays
 * ignorant of devices: it hands concrete work over through this interface.
 */
export interface Runtime {
  /** Runs a primitive eagerly on concrete arrays (dispatch, placement, the kernel). */
  evaluate(prim: Primitive, args: Array[], params: Params): Array[];
  /** A constant array of one value in every element (a JS number, a literal). */
  constant(value: number, aval: ShapedArray): Array;
  /** The concrete array a jaxpr literal stands for, shared by every evaluation (never disposed). */
  literal(lit: { readonly value: number; readonly aval: ShapedArray }): Array;
  /** The value of a 0-d array if it is known without waiting for a device, else undefined. */
  knownScalar(x: Array): number | undefined;
  /**
   * Runs a closed-over jaxpr on concrete arrays as jit runs it (simplified,
   * fused, compiled once per jaxpr, temporaries released): how the
   * implementations of control-flow primitives run their bodies.
   */
  runJaxpr(jaxpr: import("./jaxpr.js").Jaxpr, args: Array[]): Array[];
  /** A new array on `x`'s buffer (so that freeing one never frees what the other still holds). */
  alias(x: Array): Array;
  /**
   * Runs a while loop on the device of its operands when that device cannot
   * be read synchronously (WebGPU), without waiting for it: the results come
   * back at once, their values are written when the device finds the
   * predicate false. Null where the device reads synchronously (the caller
   * loops on the host; `loop`, which traces the guarded step, is then not called).
   */
  deviceWhile(loop: () => DeviceWhile, args: Array[]): Array[] | null;
}

/**
 * A while loop as a device runs it: `cond` maps (its consts, the carry) to
 * the bool flag; `step` maps (step consts, cond consts, body consts, flag, [prev,] carry) to the
 * next (flag, carry), guarded: where the flag is false it returns the carry
 * unchanged and the flag false, so iterations past the end change nothing.
 */
export interface DeviceWhile {
  readonly cond: import("./jaxpr.js").Jaxpr;
  readonly step: import("./jaxpr.js").Jaxpr;
  /** The values of `step`'s leading inputs (constants its tracing captured), before the cond consts. */
  readonly stepConsts: readonly Array[];
  readonly condNConsts: number;
  readonly bodyNConsts: number;
  /**
   * Whether `step` also carries `prev` (inputs and outputs between the flag
   * and the carry): the last carry the body really ran on, where the body
   * runs when the flag is false. The loop must then know the flag true
   * before its first step (a zero-trip loop never runs its body).
   */
  readonly prevCarry: boolean;
}

let runtime: Runtime | undefined;

/** Called once by `src/runtime` when it loads. */
export function installRuntime(r: Runtime): void {
  runtime = r;
}

/** The installed runtime; loading `jaxon` (or any module that makes arrays) installs it. */
export function theRuntime(): Runtime {
  if (!runtime) throw new Error("jaxon: no runtime is loaded; import from the package entry (src/index.ts), not from src/trace alone");
  return runtime;
}

/** The bottom of every chain: applies primitives to concrete Arrays, through the runtime. */
export class EvalTrace extends Trace {
  constructor() {
    super(null, "eager evaluation");
  }
  process(prim: Primitive, args: Value[], params: Params): Value[] {
    for (const a of args) if (a instanceof Tracer) throw leakError(a, prim);
    return (runtime ?? theRuntime()).evaluate(prim, args as Array[], params);
  }
}

function leakError(t: Tracer, prim: Primitive): TracerLeakError {
  return new TracerLeakError(
    `${prim.name}: got a tracer of ${t.trace.transform} (${t.aval}) outside that transformation. ` +
      `A value computed inside a transformed function escaped it (stored in an outer variable, ` +
      `or returned through a closure) and was used after the transformation returned. ` +
      `Return it from the function instead, or pass it in as an argument.`,
  );
}

export const evalTrace = new EvalTrace();
let current: Trace = evalTrace;

export function currentTrace(): Trace {
  return current;
}

/** Runs `fn` with `trace` current; restores the previous trace even on error. */
export function withTrace<T>(trace: Trace, fn: () => T): T {
  const saved = current;
  current = trace;
  try {
    return fn();
  } finally {
    current = saved;
  }
}

/** Runs `fn` inside a new trace's scope; the trace is dead after it, so escaped tracers are caught. */
export function inScope<T>(trace: Trace, fn: () => T): T {
  try {
    return withTrace(trace, fn);
  } finally {
    trace.alive = false;
  }
}

/** Applies a primitive to values under the current trace. */
export function bind(prim: Primitive, args: Value[], params: Params = {}): Value[] {
  // before any trace, cache key or message sees them: params reach generated code
  prim.rules.checkParams?.(params);
  if (!prim.rules.complex) {
    for (const a of args) {
      if (!isComplexDType(a.aval.dtype)) continue;
      if (prim.rules.complexLanes && complexLanes) return complexLanes(prim, args, params);
      throw complexUnsupported(prim.name, a.aval, prim.rules.complexUndefined);
    }
  }
  const trace = current;
  // eager fast path: nothing to switch, nothing traced
  if (trace === evalTrace) return trace.process(prim, args, params);
  for (const a of args) {
    if (a instanceof Tracer && !a.trace.alive) throw leakError(a, prim);
  }
  return withTrace(trace.parent ?? trace, () => trace.process(prim, args, params));
}

let complexLanes: ((prim: Primitive, args: Value[], params: Params) => Value[]) | null = null;
/** Installs how a `complexLanes` primitive applies to complex operands (src/lax/complex.ts: through the float pairs). */
export function setComplexLanes(fn: (prim: Primitive, args: Value[], params: Params) => Value[]): void {
  complexLanes = fn;
}

/** The error of a primitive not defined on complex values meeting one (see `PrimitiveRules.complex`). */
export function complexUnsupported(name: string, aval: ShapedArray, undefinedInJax = false): UnsupportedError | DTypeError {
  if (undefinedInJax) {
    return new DTypeError(`${name} is not defined on complex values (got ${aval}), as in JAX; apply it to the parts (lax.real, lax.imag) or to np.abs(z)`);
  }
  return new UnsupportedError(
    `${name} does not support complex values yet (got ${aval}); take the parts first (lax.real, lax.imag, np.abs) ` +
      `or see the "Complex numbers" guide for the operations defined on complex arrays`,
  );
}

/** `bind` for single-output primitives. */
export function bind1(prim: Primitive, args: Value[], params: Params = {}): Value {
  return bind(prim, args, params)[0];
}

// ---- tracers ----------------------------------------------------------------

/**
 * A value being traced. It has the Array's whole method surface (from
 * ArrayMethods), so user code cannot tell it apart, except that it refuses
 * to become a JS number or string.
 */
export abstract class Tracer extends ArrayMethods {
  constructor(readonly trace: Trace) {
    super();
  }
  abstract override get aval(): ShapedArray;

  private concretizationError(what: string): ConcretizationError {
    return new ConcretizationError(
      `${what} needs a concrete value, but this is a traced ${this.aval} inside ${this.trace.transform}. ` +
        `Its value is not known while the function is being transformed. ` +
        `Use np.where(cond, a, b) instead of a JS \`if\`/\`?:\` on array values, lax.cond or lax.switch for ` +
        `control flow, or mark the argument static with jit(f, { staticArgnums: [i] }).`,
    );
  }
  [Symbol.toPrimitive](hint: string): never {
    throw this.concretizationError(hint === "string" ? "Converting an array to a string" : "Using an array as a JS number (Number(x), x > 0, x + 1)");
  }
  override valueOf(): never {
    throw this.concretizationError("valueOf()");
  }
  override itemSync(): never {
    throw this.concretizationError("itemSync()");
  }
  override dataSync(): never {
    throw this.concretizationError("dataSync()");
  }
  override arraySync(): never {
    throw this.concretizationError("arraySync()");
  }
  override toString(): string {
    return `Traced<${this.aval}> (${this.trace.transform})`;
  }
  override data(): never {
    throw this.concretizationError("data()");
  }
  override array(): never {
    throw this.concretizationError("array()");
  }
  override item(): never {
    throw this.concretizationError("item()");
  }
}

export function isValue(x: unknown): x is Value {
  return x instanceof ArrayMethods;
}

export function avalOf(x: Value): ShapedArray {
  return x.aval;
}
