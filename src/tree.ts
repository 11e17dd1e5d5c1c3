/**
 * Pytrees: nested containers with leaves, as JAX's `jax.tree`.
 *
 * Containers are plain objects, JS arrays and Maps; `null` and `undefined` are
 * empty nodes with no leaves. Everything else is a leaf: Arrays, tracers,
 * numbers, booleans and any class instance. Transformations take and return
 * pytrees, so a params object goes in and a gradient of the same shape comes out.
 *
 * Unlike JAX, object keys are NOT sorted: leaves come in insertion order
 * (`Object.keys` order), and `{a, b}` and `{b, a}` are different structures.
 * Map children come in insertion order too.
 *
 * @example
 * import { tree } from "jaxon-ts";
 * tree.map((x: number) => x * 2, { a: 1, b: [2, 3] }); // { a: 2, b: [4, 6] }
 */
import {
  flatten as flattenTree,
  leaves as treeLeaves,
  structure as treeStructure,
  treeMap,
  TreeDef,
  TreeStructureError,
  unflatten as unflattenTree,
} from "./trace/pytree.js";

/**
 * Applies `fn` to the leaves of one or more trees of the same structure and
 * returns a tree of that structure with the results. The first tree fixes the
 * structure; a tree with another structure throws a TreeStructureError naming both.
 * @example
 * import { tree } from "jaxon-ts";
 * tree.map((x: number) => x * 2, { a: 1, b: [2, 3] }); // { a: 2, b: [4, 6] }
 * tree.map((p: number, g: number) => p - 0.1 * g, { w: 1, b: 2 }, { w: 10, b: 20 }); // { w: 0, b: 0 }
 */
export const map = treeMap;

/**
 * The leaves of a tree (depth first, object keys in insertion order) and its
 * structure. `isLeaf`, when given, can stop the walk at any node (as JAX's `is_leaf`).
 * @example
 * import { tree } from "jaxon-ts";
 * const [leaves, def] = tree.flatten({ a: 1, b: [2, 3], c: null });
 * leaves; // [1, 2, 3]
 * String(def); // "PyTreeDef({a: *, b: [*, *], c: null})"
 */
export const flatten = flattenTree;

/**
 * Rebuilds a tree from a structure and as many leaves as it has
 * (a TreeStructureError otherwise).
 * @example
 * import { tree } from "jaxon-ts";
 * const [leaves, def] = tree.flatten({ a: 1, b: [2, 3] });
 * tree.unflatten(def, leaves.map((x) => (x as number) + 1)); // { a: 2, b: [3, 4] }
 */
export const unflatten = unflattenTree;

/**
 * The leaves of a tree, depth first; empty nodes (`null`, `undefined`) have none.
 * @example
 * import { tree } from "jaxon-ts";
 * tree.leaves([1, { x: 2 }, null]); // [1, 2]
 */
export const leaves = treeLeaves;

/**
 * The structure of a tree: a TreeDef, comparable with `equals`, printable, and
 * usable as a cache key (`.key`).
 * @example
 * import { tree } from "jaxon-ts";
 * tree.structure({ a: 1 }).equals(tree.structure({ a: 5 })); // true
 * tree.structure([1, 2]).equals(tree.structure({ 0: 1, 1: 2 })); // false
 * String(tree.structure({ a: 1, b: [2, 3] })); // "PyTreeDef({a: *, b: [*, *]})"
 */
export const structure = treeStructure;

export { TreeDef, TreeStructureError };
