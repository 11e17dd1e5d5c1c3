/**
 * Pytrees: nested plain objects, JS arrays and Maps, with arrays and numbers
 * as leaves (null and undefined are empty nodes). Transformations take and
 * return pytrees, so a params object goes in and a gradient of the same
 * shape comes out.
 */
import { flatten as flattenTree, leaves as treeLeaves, structure as treeStructure, treeMap, TreeDef, TreeStructureError, unflatten as unflattenTree } from "./trace/pytree.js";

/**
 * Applies `fn` to the leaves of one or more trees of the same structure.
 * @example
 * tree.map((x) => x * 2, { a: 1, b: [2, 3] }); // { a: 2, b: [4, 6] }
 */
export const map = treeMap;

/**
 * The leaves of a tree (depth first, object keys in insertion order) and its structure.
 * @example
 * const [leaves, def] = tree.flatten({ a: 1, b: [2, 3] }); // leaves = [1, 2, 3]
 */
export const flatten = flattenTree;

/**
 * Rebuilds a tree from a structure and leaves.
 * @example
 * const [leaves, def] = tree.flatten({ a: 1, b: [2, 3] });
 * tree.unflatten(def, leaves.map((x) => x + 1)); // { a: 2, b: [3, 4] }
 */
export const unflatten = unflattenTree;

/**
 * The leaves of a tree.
 * @example
 * tree.leaves([1, { x: 2 }, null]); // [1, 2]
 */
export const leaves = treeLeaves;

/**
 * The structure of a tree, comparable with `equals` and usable as a cache key (`.key`).
 * @example
 * tree.structure({ a: 1 }).equals(tree.structure({ a: 5 })); // true
 */
export const structure = treeStructure;

export { TreeDef, TreeStructureError };
