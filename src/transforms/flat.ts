/**
 * The two adapters every transformation needs between user code and the
 * flat lists of values that traces and primitives work on: `flattenFun`
 * (a user function of pytrees as a function of flat values, remembering its
 * output structure) and `jaxprAsFun` (a jaxpr as a function of flat values,
 * evaluated under whatever trace is current), as JAX's `flatten_fun` and
 * `jaxpr_as_fun`.
 */
import type { Value } from "../trace/core.js";
import type { Jaxpr } from "../trace/jaxpr.js";
import { evalJaxpr } from "../trace/jaxpr.js";

/** A function of flat values: what traces, rules and primitives call. */
export type FlatFn = (...xs: Value[]) => Value[];

/**
 * A jaxpr as a flat function: binds its equations under the current trace,
 * so the result can itself be transformed (jvp of a jit's jaxpr, vmap of a
 * loop body). Internal: users call makeJaxpr and jit instead.
 */
export const jaxprAsFun =
  (jaxpr: Jaxpr, consts: readonly Value[] = []): FlatFn =>
  (...xs) =>
    evalJaxpr(jaxpr, consts as Value[], xs);
