/**
 * Pytrees: nested containers of leaves, as in JAX.
 *
 * Containers (nodes):
 * - plain objects (prototype `Object.prototype` or `null`): children are the
 *   own enumerable string keys **in insertion order** (`Object.keys` order). Unlike
 *   JAX, keys are NOT sorted: `{a, b}` and `{b, a}` are different structures.
 *   (Integer-like keys come first in ascending order, as JS orders them.)
 * - JS arrays (`Array.isArray`), children in index order;
 * - Maps, children in insertion order; keys are compared as Map compares them
 *   (SameValueZero; object keys by identity);
 * - `null` and `undefined`: empty nodes with no leaves (kept distinct, so
 *   unflatten gives back exactly what was flattened).
 *
 * Everything else is a leaf: jaxon Arrays and Tracers, numbers, booleans,
 * strings, functions, typed arrays and every other class instance.
 *
 * A TreeDef describes a structure; it can be compared (`equals`), printed
 * (`toString`) and used as a cache key (`key`).
 *
 * `flatten` runs on every call of every transformation, so it is one
 * recursive walk over module-level functions, with no closures.
 */
import { ArrayMethods } from "../array-methods.js";
import { ArgumentError, JaxonError } from "../errors.js";
import { describe, functionArg } from "../static-args.js";

/** Two structures that should match do not (tree.map, unflatten, vmap's axes, …). */
export class TreeStructureError extends JaxonError {}

export type TreeKind = "leaf" | "array" | "object" | "map" | "none" | "static";

/**
 * A value marked static inside a pytree (`tree.static(v)`): not a leaf but
 * part of the structure, as a field declared with JAX's `jax.tree.static()`.
 * Transformations pass it through untouched and `jit` keys its cache on it;
 * two structures are equal when their static values are (SameValueZero:
 * primitives by value, objects by identity).
 */
export class Static<T = unknown> {
  constructor(readonly value: T) {
    Object.freeze(this);
  }
  toString(): string {
    return `static(${showStatic(this.value)})`;
  }
}

function showStatic(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "object" && v !== null) return `<${v.constructor?.name ?? "object"}>`;
  return String(v);
}

/** The immutable description of a pytree's structure. */
export class TreeDef {
  /** How many leaves a tree of this structure has. */
  readonly numLeaves: number;
  /** For kind "none": which empty value this is (`null` or `undefined`); `null` for other kinds. */
  readonly empty: null | undefined;
  #key: string | undefined;

  /** Prefer `flatten`/`structure` to constructing TreeDefs by hand. */
  constructor(
    /** What this node is. */
    readonly kind: TreeKind,
    /** The children's structures, in order (empty for leaves and empty nodes). */
    readonly children: readonly TreeDef[] = [],
    /** Object keys (strings) or Map keys, one per child; empty for arrays. */
    readonly keys: readonly unknown[] = [],
    /** For kind "none": `null` (the default) or `undefined`. */
    empty?: null | undefined,
  ) {
    // not a default parameter: an explicit `undefined` must stay undefined
    this.empty = arguments.length >= 4 ? empty : null;
    if (kind === "leaf") {
      this.numLeaves = 1;
    } else {
      let n = 0;
      for (let i = 0; i < children.length; i++) n += children[i].numLeaves;
      this.numLeaves = n;
    }
  }

  /** A leaf. */
  static readonly leaf: TreeDef = new TreeDef("leaf");

  /**
   * A string usable as a cache key: two TreeDefs have the same key iff they are
   * equal. Object keys are JSON-escaped, so no key can collide with the syntax;
   * Map keys that are objects or symbols are keyed by identity.
   */
  get key(): string {
    if (this.#key === undefined) this.#key = keyOf(this);
    return this.#key;
  }

  /** Structural equality (the same kinds, keys and children, recursively). */
  equals(other: TreeDef): boolean {
    return defsEqual(this, other);
  }

  /** Readable, e.g. `PyTreeDef({a: *, b: [*, *]})`. */
  toString(): string {
    return `PyTreeDef(${show(this)})`;
  }
}

const LEAF = TreeDef.leaf;
const NONE = new TreeDef("none", [], [], null);
const UNDEF = new TreeDef("none", [], [], undefined);
const EMPTY_ARRAY = new TreeDef("array");

function defsEqual(a: TreeDef, b: TreeDef): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind || a.numLeaves !== b.numLeaves || a.empty !== b.empty) return false;
  const ac = a.children;
  const bc = b.children;
  if (ac.length !== bc.length) return false;
  if (a.kind === "object" || a.kind === "map" || a.kind === "static") {
    const ak = a.keys;
    const bk = b.keys;
    for (let i = 0; i < ak.length; i++) {
      // a static node compares the values it holds, not its wrappers
      const x = a.kind === "static" ? (ak[i] as Static).value : ak[i];
      const y = b.kind === "static" ? (bk[i] as Static).value : bk[i];
      // SameValueZero, as Map compares keys
      if (x !== y && !(x !== x && y !== y)) return false;
    }
  }
  for (let i = 0; i < ac.length; i++) if (!defsEqual(ac[i], bc[i])) return false;
  return true;
}

function keyOf(d: TreeDef): string {
  switch (d.kind) {
    case "leaf":
      return "*";
    case "none":
      return d.empty === undefined ? "u" : "n";
    case "array": {
      let s = "[";
      for (let i = 0; i < d.children.length; i++) s += (i ? "," : "") + d.children[i].key;
      return s + "]";
    }
    case "object": {
      let s = "{";
      for (let i = 0; i < d.children.length; i++) s += (i ? "," : "") + JSON.stringify(d.keys[i]) + ":" + d.children[i].key;
      return s + "}";
    }
    case "static":
      return `S(${mapKeyString((d.keys[0] as Static).value)})`;
    case "map": {
      let s = "M{";
      for (let i = 0; i < d.children.length; i++) s += (i ? "," : "") + mapKeyString(d.keys[i]) + ":" + d.children[i].key;
      return s + "}";
    }
  }
}

let nextIdentity = 0;
const objectIds = new WeakMap<object, number>();
const symbolIds = new Map<symbol, number>();

/** An unambiguous string for a Map key, consistent with SameValueZero. */
function mapKeyString(k: unknown): string {
  switch (typeof k) {
    case "string":
      return JSON.stringify(k);
    case "number":
      return `#${String(k)}`; // String(-0) === "0", as SameValueZero wants
    case "bigint":
      return `${String(k)}n`;
    case "boolean":
    case "undefined":
      return String(k);
    case "symbol": {
      const registered = Symbol.keyFor(k);
      if (registered !== undefined) return `@for${JSON.stringify(registered)}`;
      let id = symbolIds.get(k);
      if (id === undefined) symbolIds.set(k, (id = nextIdentity++));
      return `@${id}`;
    }
    default: {
      if (k === null) return "null";
      const o = k as object;
      let id = objectIds.get(o);
      if (id === undefined) objectIds.set(o, (id = nextIdentity++));
      return `&${id}`;
    }
  }
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

function show(d: TreeDef): string {
  switch (d.kind) {
    case "leaf":
      return "*";
    case "none":
      return String(d.empty);
    case "static":
      return String(d.keys[0]);
    case "array":
      return `[${d.children.map(show).join(", ")}]`;
    case "object":
      return `{${d.children.map((c, i) => `${showObjectKey(d.keys[i] as string)}: ${show(c)}`).join(", ")}}`;
    case "map":
      return `Map{${d.children.map((c, i) => `${showMapKey(d.keys[i])}: ${show(c)}`).join(", ")}}`;
  }
}

function showObjectKey(k: string): string {
  return IDENT.test(k) ? k : JSON.stringify(k);
}

function showMapKey(k: unknown): string {
  if (typeof k === "string") return JSON.stringify(k);
  if (typeof k === "symbol") return k.toString();
  if (typeof k === "object" && k !== null) return `<${k.constructor?.name ?? "object"}>`;
  return String(k);
}

function isPlainObject(x: object): boolean {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Whether `x` is a container node (array, plain object or Map); null/undefined are not. */
function isContainer(x: unknown): boolean {
  return typeof x === "object" && x !== null && !(x instanceof ArrayMethods) && (Array.isArray(x) || x instanceof Map || isPlainObject(x));
}

/**
 * How deep containers may nest. A tree that refers to itself (`a.self = a`)
 * would otherwise recurse until the JS stack overflows; real pytrees are a
 * few levels deep.
 */
const MAX_DEPTH = 1000;
function tooDeep(): never {
  throw new TreeStructureError(`a pytree nests more than ${MAX_DEPTH} containers deep: it probably contains itself (a cycle); pass a tree without cycles`);
}

function walk(x: unknown, out: unknown[], isLeaf: ((x: unknown) => boolean) | undefined, depth = 0): TreeDef {
  if (depth > MAX_DEPTH) tooDeep();
  if (isLeaf !== undefined && isLeaf(x)) {
    out.push(x);
    return LEAF;
  }
  if (typeof x !== "object") {
    if (x === undefined) return UNDEF;
    out.push(x);
    return LEAF;
  }
  if (x === null) return NONE;
  if (x instanceof ArrayMethods) {
    out.push(x);
    return LEAF;
  }
  if (x instanceof Static) return new TreeDef("static", [], [x]);
  if (Array.isArray(x)) {
    const n = x.length;
    if (n === 0) return EMPTY_ARRAY;
    const children = new Array<TreeDef>(n);
    for (let i = 0; i < n; i++) children[i] = walk(x[i], out, isLeaf, depth + 1);
    return new TreeDef("array", children);
  }
  if (x instanceof Map) {
    const children: TreeDef[] = [];
    const keys: unknown[] = [];
    for (const [k, v] of x) {
      keys.push(k);
      children.push(walk(v, out, isLeaf, depth + 1));
    }
    return new TreeDef("map", children, keys);
  }
  if (isPlainObject(x)) {
    const keys = Object.keys(x);
    const n = keys.length;
    const children = new Array<TreeDef>(n);
    for (let i = 0; i < n; i++) children[i] = walk((x as Record<string, unknown>)[keys[i]], out, isLeaf, depth + 1);
    return new TreeDef("object", children, keys);
  }
  out.push(x);
  return LEAF;
}

/**
 * Flattens a tree into its leaves (depth first, left to right) and its structure.
 * `isLeaf`, when given, is asked first at every node: `true` makes the node a
 * leaf whatever it is (as JAX's `is_leaf`).
 */
export function flatten<T = unknown>(tree: unknown, isLeaf?: (x: unknown) => boolean): [T[], TreeDef] {
  if (isLeaf !== undefined) functionArg("tree.flatten", "isLeaf", isLeaf);
  const out: unknown[] = [];
  const def = walk(tree, out, isLeaf);
  return [out as T[], def];
}

function build(d: TreeDef, leaves: readonly unknown[], pos: { i: number }): unknown {
  switch (d.kind) {
    case "leaf":
      return leaves[pos.i++];
    case "none":
      return d.empty;
    case "static":
      return d.keys[0];
    case "array": {
      const c = d.children;
      const a = new Array<unknown>(c.length);
      for (let i = 0; i < c.length; i++) a[i] = build(c[i], leaves, pos);
      return a;
    }
    case "object": {
      const o: Record<string, unknown> = {};
      const c = d.children;
      for (let i = 0; i < c.length; i++) {
        const k = d.keys[i] as string;
        const v = build(c[i], leaves, pos);
        // an own "__proto__" key (JSON.parse('{"__proto__": 1}') makes one) must stay a key:
        // assigning it would set the prototype instead and drop the leaf
        if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        else o[k] = v;
      }
      return o;
    }
    case "map": {
      const m = new Map<unknown, unknown>();
      const c = d.children;
      for (let i = 0; i < c.length; i++) m.set(d.keys[i], build(c[i], leaves, pos));
      return m;
    }
  }
}

/**
 * Rebuilds a tree of structure `def` from its leaves (in `flatten`'s order).
 * Throws TreeStructureError when the number of leaves differs from `def.numLeaves`.
 * Containers are new; leaves are used as they are.
 */
export function unflatten<T = unknown>(def: TreeDef, leaves: readonly T[]): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!(def instanceof TreeDef)) throw new ArgumentError(`tree.unflatten: the structure must be a TreeDef (from tree.flatten or tree.structure), got ${describe(def)}`);
  if (!Array.isArray(leaves)) throw new ArgumentError(`tree.unflatten: leaves must be a JS array, got ${describe(leaves)}`);
  if (leaves.length !== def.numLeaves) {
    throw new TreeStructureError(`unflatten: the structure ${def} has ${def.numLeaves} leaves, but ${leaves.length} were given`);
  }
  if (def === LEAF) return leaves[0];
  return build(def, leaves, { i: 0 });
}

/** The leaves of a tree, depth first. */
export function leaves(tree: unknown): unknown[] {
  const out: unknown[] = [];
  walk(tree, out, undefined);
  return out;
}

/** The structure of a tree. */
export function structure(tree: unknown): TreeDef {
  return walk(tree, [], undefined);
}

/**
 * Applies `fn` leafwise to one or more trees of the same structure, and returns
 * a tree of that structure holding the results: `fn(leafOfTree, leafOfRest0, …)`.
 * Throws TreeStructureError naming both structures when a tree in `rest` has a
 * different structure from `tree`.
 */
export function treeMap(fn: (...leaves: any[]) => unknown, tree: unknown, ...rest: unknown[]): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  functionArg("tree.map", "fn", fn);
  const first: unknown[] = [];
  const def = walk(tree, first, undefined);
  const n = first.length;
  const out = new Array<unknown>(n);
  if (rest.length === 0) {
    for (let i = 0; i < n; i++) out[i] = fn(first[i]);
  } else {
    const others: unknown[][] = new Array(rest.length);
    for (let t = 0; t < rest.length; t++) {
      const ls: unknown[] = [];
      const d = walk(rest[t], ls, undefined);
      if (!defsEqual(def, d)) {
        throw new TreeStructureError(
          `tree.map: tree ${t + 1} has a different structure from tree 0: tree 0 is ${def} but tree ${t + 1} is ${d}`,
        );
      }
      others[t] = ls;
    }
    const args = new Array<unknown>(rest.length + 1);
    for (let i = 0; i < n; i++) {
      args[0] = first[i];
      for (let t = 0; t < rest.length; t++) args[t + 1] = others[t][i];
      out[i] = fn(...args);
    }
  }
  return unflatten(def, out);
}

/** Counts the leaves of a tree without building its structure. */
function countLeaves(x: unknown, depth = 0): number {
  if (depth > MAX_DEPTH) tooDeep();
  if (typeof x !== "object") return x === undefined ? 0 : 1;
  if (x === null) return 0;
  if (x instanceof ArrayMethods) return 1;
  if (Array.isArray(x)) {
    let n = 0;
    for (let i = 0; i < x.length; i++) n += countLeaves(x[i], depth + 1);
    return n;
  }
  if (x instanceof Map) {
    let n = 0;
    for (const v of x.values()) n += countLeaves(v, depth + 1);
    return n;
  }
  if (isPlainObject(x)) {
    let n = 0;
    for (const k of Object.keys(x)) n += countLeaves((x as Record<string, unknown>)[k], depth + 1);
    return n;
  }
  return 1;
}

function prefixMismatch(p: unknown, f: unknown, path: string, why: string): never {
  throw new TreeStructureError(
    `the tree prefix does not match the tree at ${path || "the root"}: ${why}; ` +
      `the prefix there is ${structure(p)} and the tree there is ${structure(f)}. ` +
      `A prefix must have the tree's containers down to where it puts a single value (a number or null) for a whole subtree`,
  );
}

function pathKey(path: string, k: string): string {
  return IDENT.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
}

function broadcastWalk(p: unknown, f: unknown, path: string, out: unknown[], depth = 0): void {
  if (depth > MAX_DEPTH) tooDeep();
  if (!isContainer(p)) {
    for (let n = countLeaves(f); n > 0; n--) out.push(p);
    return;
  }
  if (Array.isArray(p)) {
    if (!Array.isArray(f)) prefixMismatch(p, f, path, "the prefix has an array where the tree has none");
    if (f.length !== p.length) prefixMismatch(p, f, path, `the prefix's array has ${p.length} entries, the tree's ${f.length}`);
    for (let i = 0; i < p.length; i++) broadcastWalk(p[i], f[i], `${path}[${i}]`, out, depth + 1);
  } else if (p instanceof Map) {
    if (!(f instanceof Map)) prefixMismatch(p, f, path, "the prefix has a Map where the tree has none");
    if (f.size !== p.size) prefixMismatch(p, f, path, `the prefix's Map has ${p.size} entries, the tree's ${f.size}`);
    // in the tree's key order, which is its leaf order
    for (const [k, v] of f) {
      if (!p.has(k)) prefixMismatch(p, f, path, `the prefix's Map has no key ${showMapKey(k)}`);
      broadcastWalk(p.get(k), v, `${path}.get(${showMapKey(k)})`, out, depth + 1);
    }
  } else {
    if (!isContainer(f) || Array.isArray(f) || f instanceof Map) {
      prefixMismatch(p, f, path, "the prefix has an object where the tree has none");
    }
    const po = p as Record<string, unknown>;
    const fo = f as Record<string, unknown>;
    const fk = Object.keys(fo);
    const pk = Object.keys(po);
    if (pk.length !== fk.length || fk.some((k) => !Object.prototype.hasOwnProperty.call(po, k))) {
      prefixMismatch(p, f, path, `the prefix has keys ${JSON.stringify(pk)} where the tree has ${JSON.stringify(fk)}`);
    }
    // in the tree's key order, which is its leaf order
    for (let i = 0; i < fk.length; i++) broadcastWalk(po[fk[i]], fo[fk[i]], pathKey(path, fk[i]), out, depth + 1);
  }
}

/**
 * Broadcasts a tree prefix to the full structure of `full`, returning one value
 * per leaf of `full` (in `flatten(full)`'s order). As vmap's `inAxes`: anything
 * in the prefix that is not an array, plain object or Map — a number, `null`,
 * `undefined`, a string — is a value that stands for the whole subtree of
 * `full` at its place (so `null` here means "not mapped", not an empty node).
 * Object keys of the prefix must be those of `full`, in any order.
 *
 * Throws TreeStructureError naming the path and both structures where `prefix`
 * is not a prefix of `full`.
 */
export function broadcastPrefix<T>(prefix: unknown, full: unknown): T[] {
  const out: unknown[] = [];
  broadcastWalk(prefix, full, "", out);
  return out as T[];
}
