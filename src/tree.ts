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
  broadcastPrefix,
  flatten as flattenTree,
  leaves as treeLeaves,
  Static,
  structure as treeStructure,
  treeMap,
  TreeDef,
  TreeStructureError,
  unflatten as unflattenTree,
} from "./trace/pytree.js";
import { ArrayMethods } from "./array-methods.js";
import { describe, functionArg } from "./static-args.js";

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

export { TreeDef, TreeStructureError, Static };

const structureOf = treeStructure;

/**
 * Marks a value static inside a pytree, as a field declared with JAX's
 * `jax.tree.static()`: it is no leaf but part of the tree's structure, so
 * `tree.flatten` leaves it out, `tree.unflatten` puts it back, transformations
 * pass it through untouched, and `jit` compiles once per static value (two
 * structures are equal when their static values are: primitives by value,
 * objects by identity). Read it back with `.value`.
 * @example
 * import { tree } from "jaxon-ts";
 * const op = { x: 1, y: 2, kind: tree.static("add") };
 * const [leaves, def] = tree.flatten(op);
 * leaves; // [1, 2]
 * String(def); // 'PyTreeDef({x: *, y: *, kind: static("add")})'
 * tree.unflatten(def, [3, 4]).kind.value; // "add"
 * tree.structure(op).equals(tree.structure({ x: 0, y: 0, kind: tree.static("mul") })); // false
 */
function staticValue<T>(value: T): Static<T> {
  return new Static(value);
}
export { staticValue as static };

// ---- reductions and key paths -------------------------------------------------------------

/** A key path: the keys (object and Map keys) and indices (JS arrays) from the root to a leaf. */
export type KeyPath = readonly unknown[];

/**
 * Folds `fn` over the leaves, left to right, starting from `initializer`
 * (from the first leaf when it is left out, as JAX's `tree.reduce`).
 * @example
 * import { tree } from "jaxon-ts";
 * tree.reduce((a: number, b: number) => a + b, { a: 1, b: [2, 3] }); // 6
 * tree.reduce((a: number, b: number) => Math.max(a, b), [4, 7], 10); // 10
 */
export function reduce<T, A = T>(fn: (acc: A, leaf: T) => A, tree: unknown, ...initializer: [] | [A]): A {
  functionArg("tree.reduce", "fn", fn);
  const ls = treeLeaves(tree) as T[];
  if (initializer.length === 0) {
    if (ls.length === 0) throw new TreeStructureError("tree.reduce: the tree has no leaves and no initializer was given");
    return ls.slice(1).reduce((a, b) => fn(a, b), ls[0] as unknown as A);
  }
  return ls.reduce((a, b) => fn(a, b), initializer[0] as A);
}

/**
 * Whether every leaf is truthy, as JAX's `tree.all` (a leaf that is an
 * Array counts as true when all its elements are: it is read back, so call
 * it on concrete values).
 * @example
 * import { tree } from "jaxon-ts";
 * tree.all({ a: true, b: [1, 2] }); // true
 * tree.all([true, 0]); // false
 */
export function all(tree: unknown): boolean {
  return treeLeaves(tree).every((l) => {
    if (l instanceof ArrayMethods) return (Array.from((l as unknown as { dataSync(): ArrayLike<number> }).dataSync()) as number[]).every((v) => v !== 0);
    return Boolean(typeof l === "object" && l !== null ? true : l);
  });
}

/** The key path of every leaf of a structure, in leaf order. */
function pathsOf(def: TreeDef): KeyPath[] {
  const out: KeyPath[] = [];
  const go = (d: TreeDef, path: unknown[]) => {
    if (d.kind === "leaf") out.push(path);
    else if (d.kind === "array") d.children.forEach((c, i) => go(c, [...path, i]));
    else if (d.kind === "object" || d.kind === "map") d.children.forEach((c, i) => go(c, [...path, d.keys[i]]));
  };
  go(def, []);
  return out;
}

/**
 * The leaves with their key paths, as JAX's `tree.flatten_with_path`:
 * `[[path, leaf], …]` and the structure.
 * @example
 * import { tree } from "jaxon-ts";
 * const [pairs] = tree.flattenWithPath({ a: 1, b: [2, 3] });
 * pairs; // [[["a"], 1], [["b", 0], 2], [["b", 1], 3]]
 */
export function flattenWithPath<T = unknown>(tree: unknown, isLeaf?: (x: unknown) => boolean): [[KeyPath, T][], TreeDef] {
  const [ls, def] = flattenTree<T>(tree, isLeaf);
  const paths = pathsOf(def);
  return [ls.map((l, i) => [paths[i], l]), def];
}

/**
 * The leaves with their key paths, as JAX's `tree.leaves_with_path`.
 * @example
 * import { tree } from "jaxon-ts";
 * tree.leavesWithPath([1, { x: 2 }]); // [[[0], 1], [[1, "x"], 2]]
 */
export function leavesWithPath<T = unknown>(tree: unknown, isLeaf?: (x: unknown) => boolean): [KeyPath, T][] {
  return flattenWithPath<T>(tree, isLeaf)[0];
}

/**
 * `tree.map` whose `fn` also receives each leaf's key path first, as JAX's `tree.map_with_path`.
 * @example
 * import { tree } from "jaxon-ts";
 * tree.mapWithPath((path: KeyPath, x: number) => (path[0] === "w" ? x * 2 : x), { w: 1, b: 2 }); // { w: 2, b: 2 }
 */
export function mapWithPath(fn: (path: KeyPath, ...leaves: any[]) => unknown, tree: unknown, ...rest: unknown[]): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  functionArg("tree.mapWithPath", "fn", fn);
  const paths = pathsOf(treeStructure(tree));
  let i = 0;
  // tree.map checks the other trees' structures; its calls follow the first tree's leaf order, as the paths do
  return treeMap((...leaves: unknown[]) => fn(paths[i++], ...leaves), tree, ...rest);
}

// ---- transpose (issue 16) ----------------------------------------------------------------------

/** The subtrees of `tree` at the leaves of the prefix structure `def`, in leaf order. */
function subtreesUpTo(def: TreeDef, tree: unknown, out: unknown[]): void {
  const fail = () => {
    throw new TreeStructureError(`tree.transpose: the tree does not have the outer structure ${def.toString()}`);
  };
  switch (def.kind) {
    case "leaf":
      out.push(tree);
      return;
    case "none":
      if (tree !== null && tree !== undefined) fail();
      return;
    case "static":
      if (!(tree instanceof Static) || !structureOf(tree).equals(def)) fail();
      return;
    case "array":
      if (!Array.isArray(tree) || tree.length !== def.children.length) fail();
      def.children.forEach((c, i) => subtreesUpTo(c, (tree as unknown[])[i], out));
      return;
    case "map":
      if (!(tree instanceof Map) || tree.size !== def.children.length) fail();
      def.children.forEach((c, i) => {
        if (!(tree as Map<unknown, unknown>).has(def.keys[i])) fail();
        subtreesUpTo(c, (tree as Map<unknown, unknown>).get(def.keys[i]), out);
      });
      return;
    case "object":
      if (typeof tree !== "object" || tree === null || Array.isArray(tree) || tree instanceof Map || tree instanceof ArrayMethods) fail();
      def.children.forEach((c, i) => {
        const k = def.keys[i] as string;
        if (!Object.prototype.hasOwnProperty.call(tree, k)) fail();
        subtreesUpTo(c, (tree as Record<string, unknown>)[k], out);
      });
      return;
  }
}

/**
 * Turns a tree of structure `outer` whose leaves are trees of structure
 * `inner` into a tree of structure `inner` whose leaves are trees of
 * structure `outer`, as `jax.tree.transpose`. `inner` may be null: it is the
 * structure of the first outer leaf.
 * @example
 * import { tree } from "jaxon-ts";
 * const t = [{ a: 1, b: 2 }, { a: 3, b: 4 }];
 * tree.transpose(tree.structure([0, 0]), tree.structure({ a: 0, b: 0 }), t); // { a: [1, 3], b: [2, 4] }
 */
export function transpose(outer: TreeDef, inner: TreeDef | null, pytree: unknown): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  const op = "tree.transpose";
  if (!(outer instanceof TreeDef)) throw new TreeStructureError(`${op}: outer must be a TreeDef (from tree.structure), got ${describe(outer)}`);
  if (inner !== null && inner !== undefined && !(inner instanceof TreeDef)) {
    throw new TreeStructureError(`${op}: inner must be a TreeDef (from tree.structure) or null, got ${describe(inner)}`);
  }
  const subs: unknown[] = [];
  subtreesUpTo(outer, pytree, subs);
  let innerDef = inner ?? undefined;
  if (innerDef === undefined) {
    if (subs.length === 0) throw new TreeStructureError(`${op}: cannot infer the inner structure of a tree with no outer leaves; pass it`);
    innerDef = treeStructure(subs[0]);
  }
  const perOuter = subs.map((s) => {
    const [ls, d] = flattenTree(s);
    if (!d.equals(innerDef!)) throw new TreeStructureError(`${op}: an outer leaf has structure ${d.toString()}, expected ${innerDef!.toString()}`);
    return ls;
  });
  const columns = Array.from({ length: innerDef.numLeaves }, (_, j) => unflattenTree(outer, perOuter.map((ls) => ls[j])));
  return unflattenTree(innerDef, columns);
}

/**
 * Reduces the leaves of `tree` with an associative `operation`, pairing them
 * in a balanced tree (logarithmic depth), as `jax.tree.reduce_associative`.
 * An empty tree gives `options.identity`, which it then needs.
 * @example
 * import { tree } from "jaxon-ts";
 * tree.reduceAssociative((a: number, b: number) => a + b, [1, [2, 3], { x: 4 }]); // 10
 */
export function reduceAssociative<T>(operation: (a: T, b: T) => T, tree: unknown, options: { identity?: T; isLeaf?: (x: unknown) => boolean } = {}): T {
  const op = "tree.reduceAssociative";
  functionArg(op, "operation", operation);
  if (typeof options !== "object" || options === null) throw new TreeStructureError(`${op}: options must be an object, got ${describe(options)}`);
  if (options.isLeaf !== undefined) functionArg(op, "options.isLeaf", options.isLeaf);
  const [ls] = flattenTree<T>(tree, options.isLeaf);
  const go = (lo: number, hi: number): T => (hi - lo === 1 ? ls[lo] : operation(go(lo, lo + Math.floor((hi - lo) / 2)), go(lo + Math.floor((hi - lo) / 2), hi)));
  if (ls.length === 0) {
    if (!("identity" in options)) throw new TreeStructureError(`${op}: the tree has no leaves; pass options.identity for an empty reduction`);
    return options.identity as T;
  }
  return go(0, ls.length);
}

/**
 * The leaves of `prefix` repeated into the structure of `full` (a leaf of
 * the prefix stands for the whole subtree of `full` at its place), as
 * `jax.tree.broadcast`.
 * @example
 * import { tree } from "jaxon-ts";
 * tree.broadcast([1, 2, 3], [0, { a: 0, b: 0 }, [0, 0]]); // [1, { a: 2, b: 2 }, [3, 3]]
 */
export function broadcast(prefix: unknown, full: unknown): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  return unflattenTree(treeStructure(full), broadcastPrefix(prefix, full));
}
