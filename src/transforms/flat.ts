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
import { flatten, type TreeDef } from "../trace/pytree.js";
import { flattenArgs, rebuild } from "./args.js";

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

/**
 * A user function of pytrees (called with the arguments `inTree` describes)
 * as a flat function. The output's structure is known only once it has run:
 * `outTree()` returns it then. `what` names the output in errors (a leaf
 * that is not an array or a number).
 */
export function flattenFun(f: (...args: never[]) => unknown, inTree: TreeDef, what: string): { flat: FlatFn; outTree: () => TreeDef } {
  let tree: TreeDef | undefined;
  const flat: FlatFn = (...xs) => {
    const [leaves, t] = flatten(f(...rebuild<never[]>(inTree, xs)));
    tree = t;
    return flattenArgs(leaves, what)[0];
  };
  const outTree = () => {
    if (!tree) throw new Error(`flattenFun: ${what}: the function has not run yet`);
    return tree;
  };
  return { flat, outTree };
}
