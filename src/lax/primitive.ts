/**
 * `definePrimitive`: the one place a primitive's rules are written down.
 * A definition names its abstract eval, how a device runs it (a lowering to
 * the kernel IR, or an implementation over concrete arrays for primitives
 * that are not one device operation), its fusion role, the facts
 * simplification may use, its jvp and batching rules, and its transpose rule
 * if it is linear. The table `primitives` lists them all, so tests can check
 * that none lacks a rule. Nothing here decides where a primitive runs: that
 * is `src/runtime`'s business.
 */
import type { Lowering } from "../backend/device.js";
import type { Expr } from "../backend/kernel.js";
import type { HloBuilder, HloValue } from "../backend/stablehlo.js";
import type { Jaxpr } from "../trace/jaxpr.js";
import type { DType } from "../dtype.js";
import { DTypeError } from "../errors.js";
import type { ParamSchema } from "../static-args.js";
import { describe, paramsChecker } from "../static-args.js";
import type { Concrete, MaybeZero, Params, PrimitiveRules, Value } from "../trace/core.js";
import { bind, complexUnsupported, Primitive, ShapedArray, theRuntime, UndefinedPrimal, Zero } from "../trace/core.js";
import { isComplexDType } from "../dtype.js";

interface DefinitionBase<P extends Params> extends PrimitiveRules<P> {
  /** What each parameter holds; `bind` checks params against it before anything else sees them. */
  params: ParamSchema<P>;
  /** For elementwise primitives: the scalar expression, which fusion inlines into its consumers. */
  scalar?(args: Expr[], params: P, avals: ShapedArray[], outAval: ShapedArray): Expr;
  /** How fusion sees the primitive, beyond `scalar`: an index remapping, a reshape, a reduction or a contraction. */
  fusion?: FusionRole<P>;
  /**
   * How the primitive lowers to StableHLO (exportStableHLO): ops emitted with
   * `ctx.b` on the lowered operands; returns the lowered outputs. Without one,
   * a call-like primitive (`callJaxpr`) is inlined and any other is an
   * UnsupportedError naming it. Most lax families attach theirs with
   * `lowersToStablehlo` at the end of their file.
   */
  stablehlo?: StablehloRule<P>;
}

/** A primitive's StableHLO lowering (see `DefinitionBase.stablehlo`). */
export type StablehloRule<P extends Params = Params> = (ctx: StablehloContext, args: HloValue[], params: P, avals: ShapedArray[], outAvals: ShapedArray[]) => HloValue[];

/** What a StableHLO lowering may use: the builder, and the lowering of inner jaxprs. */
export interface StablehloContext {
  b: HloBuilder;
  /** Lowers a jaxpr's equations in place (its invars bound to `args`); returns its outputs. */
  inline(jaxpr: Jaxpr, args: HloValue[]): HloValue[];
  /** Lowers a jaxpr as a private function (once per jaxpr) and emits a `func.call` of it. */
  call(jaxpr: Jaxpr, args: HloValue[]): HloValue[];
  /** Traces `fn` at `avals` (the equation's input types) and lowers it in place, its closed-over constants embedded. */
  traced(fn: (...xs: Value[]) => Value[], avals: ShapedArray[], args: HloValue[]): HloValue[];
}

/** Attaches a StableHLO lowering to a primitive's definition (next to where the primitive is defined). */
export function lowersToStablehlo<P extends Params>(prim: Primitive<P>, rule: StablehloRule<P>): void {
  const def = prim.definition as PrimitiveDefinition<P>;
  if (def.stablehlo) throw new Error(`primitive ${prim.name} has two StableHLO lowerings`);
  def.stablehlo = rule;
}

/**
 * How a device runs the primitive: exactly one of
 * - `lower`: one device operation (a kernel, a buffer alias or a routine),
 *   which eager dispatch lowers and compiles once per signature and fusion
 *   may merge with its neighbours;
 * - `impl`: code over concrete arrays (control flow, calls of a jaxpr), which
 *   the runtime calls as it is. A call-like primitive also says, with
 *   `callJaxpr`, which jaxpr it evaluates, so that plans inline it.
 */
export type HowItRuns<P extends Params> =
  | { lower(avals: ShapedArray[], params: P, outAvals: ShapedArray[]): Lowering; impl?: never }
  | { impl(args: Concrete[], params: P, outAvals: ShapedArray[]): Concrete[]; lower?: never };

export type PrimitiveDefinition<P extends Params> = DefinitionBase<P> & HowItRuns<P>;

/**
 * An affine map from an output multi-index to an input multi-index:
 * in[j] = offset[j] + Σ_k coeffs[j][k] · out[k]. Broadcasts, transposes,
 * slices and reversals are such maps, which fusion composes into index arithmetic.
 */
export interface AffineIndexMap {
  coeffs: number[][];
  offset: number[];
}
export type FusionRole<P> =
  | { kind: "view"; map(inAval: ShapedArray, params: P, outAval: ShapedArray): AffineIndexMap }
  /** Same elements in the same (row-major) order: reshape, squeeze-like identities. */
  | { kind: "reshape" }
  | {
      kind: "reduce";
      op: "sum" | "max" | "min" | "prod";
      axes(params: P): number[];
      /**
       * A windowed reduction (reduce_window_*): the loop over [output..., window...] and the
       * affine map from it to the input's index; the loop axes past the output's are reduced.
       * Without it the loop is [kept axes..., `axes`...].
       */
      window?(inAval: ShapedArray, params: P, outAval: ShapedArray): { loopShape: number[]; map: AffineIndexMap };
    }
  /**
   * A contraction short enough to write out: out = Σ_t lhs[maps_t[0](out)] · rhs[maps_t[1](out)],
   * one term per contracted coordinate, which fusion inlines like an elementwise op
   * (a matmul with k = 1 or 2 is an outer product or two, not worth a routine's kernel).
   * `terms` is null where the primitive should run as its routine; `epilogue` says
   * that routine takes an elementwise consumer as its epilogue (the matmul's
   * `DotParams.epilogue`), so fusion may fold one in.
   */
  | {
      kind: "contract";
      terms(avals: ShapedArray[], params: P, outAval: ShapedArray): [AffineIndexMap, AffineIndexMap][] | null;
      epilogue?: boolean;
    };

export const primitives = new Map<string, { prim: Primitive; def: PrimitiveDefinition<any> }>(); // eslint-disable-line @typescript-eslint/no-explicit-any

export function definePrimitive<P extends Params = Params>(name: string, def: PrimitiveDefinition<P>): Primitive<P> {
  // a primitive not defined on complex values refuses to make one (a dtype parameter asking for complex)
  if (!def.complex) {
    const inner = def.abstractEval;
    def.abstractEval = (avals: ShapedArray[], params: P) => {
      const outs = inner(avals, params);
      for (const o of outs) if (isComplexDType(o.dtype)) throw complexUnsupported(name, o);
      return outs;
    };
  }
  const prim = new Primitive<P>(name, { ...def, checkParams: paramsChecker(name, def.params) }, def);
  if (primitives.has(name)) throw new Error(`primitive ${name} defined twice`);
  primitives.set(name, { prim: prim as unknown as Primitive, def });
  return prim;
}

/** A primitive's whole definition, as `definePrimitive` received it. */
export function definitionOf<P extends Params>(prim: Primitive<P>): PrimitiveDefinition<P> {
  return prim.definition as PrimitiveDefinition<P>;
}

// ---- values and symbolic zeros ---------------------------------------------

/** A concrete 0-d constant (weakly typed when it comes from a JS number). */
export function scalar(value: number, dtype: DType, weakType = false): Concrete {
  // a JS number only: an object's valueOf would run inside the typed-array store below
  if (typeof value !== "number") throw new DTypeError(`expected a JS number for a ${dtype} constant, got ${describe(value)}`);
  return theRuntime().constant(value, new ShapedArray([], dtype, weakType));
}

export const isZero = (x: MaybeZero): x is Zero => x instanceof Zero;
export const isUndefined = (x: Value | UndefinedPrimal): x is UndefinedPrimal => x instanceof UndefinedPrimal;

/** The single output of a one-output primitive. */
export function bind1<P extends Params>(prim: Primitive<P>, args: Value[], params: P): Value {
  return bind(prim as unknown as Primitive, args, params)[0];
}

export { ShapedArray, Zero, UndefinedPrimal };
