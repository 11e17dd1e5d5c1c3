/**
 * Pytrees: nested containers of leaves. Containers are plain objects (keys in
 * insertion order), JS arrays and Maps; null and undefined are empty nodes.
 * Everything else — arrays, tracers, numbers, class instances — is a leaf.
 * A TreeDef describes a structure; it can be compared, printed, and used as a
 * cache key (`def.key`).
 */
import { JaxonError } from "../errors.js";

/** Two structures that should match do not. */
export class TreeStructureError extends JaxonError {}

type Kind = "leaf" | "array" | "object" | "map" | "none";

export class TreeDef {
  readonly numLeaves: number;
  readonly key: string;
  constructor(
    readonly kind: Kind,
    readonly children: readonly TreeDef[] = [],
    /** Object keys or Map keys, in order. */
    readonly keys: readonly unknown[] = [],
    readonly empty: null | undefined = null,
  ) {
    this.numLeaves = kind === "leaf" ? 1 : children.reduce((n, c) => n + c.numLeaves, 0);
    this.key = TreeDef.keyOf(this);
  }
  private static keyOf(d: TreeDef): string {
    switch (d.kind) {
      case "leaf":
        return "*";
      case "none":
        return d.empty === undefined ? "u" : "n";
      case "array":
        return `[${d.children.map((c) => c.key).join(",")}]`;
      case "object":
        return `{${d.children.map((c, i) => `${JSON.stringify(d.keys[i])}:${c.key}`).join(",")}}`;
      case "map":
        return `M{${d.children.map((c, i) => `${mapKeyString(d.keys[i])}:${c.key}`).join(",")}}`;
    }
  }
  equals(other: TreeDef): boolean {
    return this === other || this.key === other.key;
  }
  toString(): string {
    const show = (d: TreeDef): string => {
      switch (d.kind) {
        case "leaf":
          return "*";
        case "none":
          return String(d.empty);
        case "array":
          return `[${d.children.map(show).join(", ")}]`;
        case "object":
          return `{${d.children.map((c, i) => `${String(d.keys[i])}: ${show(c)}`).join(", ")}}`;
        case "map":
          return `Map{${d.children.map((c, i) => `${String(d.keys[i])}: ${show(c)}`).join(", ")}}`;
      }
    };
    return `PyTreeDef(${show(this)})`;
  }
}

function mapKeyString(k: unknown): string {
  return typeof k === "string" ? JSON.stringify(k) : `${typeof k}:${String(k)}`;
}

const LEAF = new TreeDef("leaf");
const NONE = new TreeDef("none", [], [], null);
const UNDEF = new TreeDef("none", [], [], undefined);

function isPlainObject(x: object): boolean {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Flattens a tree into its leaves (depth first, in order) and its structure. */
export function flatten<T = unknown>(tree: unknown, isLeaf?: (x: unknown) => boolean): [T[], TreeDef] {
  const leaves: T[] = [];
  const walk = (x: unknown): TreeDef => {
    if (isLeaf?.(x)) {
      leaves.push(x as T);
      return LEAF;
    }
    if (x === null) return NONE;
    if (x === undefined) return UNDEF;
    if (globalThis.Array.isArray(x)) return new TreeDef("array", x.map(walk));
    if (x instanceof Map) {
      const keys = [...x.keys()];
      return new TreeDef("map", keys.map((k) => walk(x.get(k))), keys);
    }
    if (typeof x === "object" && isPlainObject(x)) {
      const keys = Object.keys(x);
      return new TreeDef("object", keys.map((k) => walk((x as Record<string, unknown>)[k])), keys);
    }
    leaves.push(x as T);
    return LEAF;
  };
  const def = walk(tree);
  return [leaves, def];
}

/** Rebuilds a tree of the given structure from leaves. */
export function unflatten<T = unknown>(def: TreeDef, leaves: readonly T[]): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (leaves.length !== def.numLeaves) {
    throw new TreeStructureError(`unflatten: the structure ${def} has ${def.numLeaves} leaves, got ${leaves.length}`);
  }
  let i = 0;
  const build = (d: TreeDef): unknown => {
    switch (d.kind) {
      case "leaf":
        return leaves[i++];
      case "none":
        return d.empty;
      case "array":
        return d.children.map(build);
      case "object": {
        const o: Record<string, unknown> = {};
        d.children.forEach((c, k) => (o[d.keys[k] as string] = build(c)));
        return o;
      }
      case "map":
        return new Map(d.children.map((c, k) => [d.keys[k], build(c)]));
    }
  };
  return build(def);
}

export function leaves(tree: unknown): unknown[] {
  return flatten(tree)[0];
}

export function structure(tree: unknown): TreeDef {
  return flatten(tree)[1];
}

/** Applies `fn` leafwise to trees of one structure (the first tree's). */
export function treeMap(fn: (...leaves: any[]) => unknown, tree: unknown, ...rest: unknown[]): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  const [ls, def] = flatten(tree);
  const others = rest.map((t) => {
    const [l, d] = flatten(t);
    if (!d.equals(def)) throw new TreeStructureError(`tree.map: trees have different structures: ${def} and ${d}`);
    return l;
  });
  return unflatten(
    def,
    ls.map((l, i) => fn(l, ...others.map((o) => o[i]))),
  );
}

/**
 * Broadcasts a prefix of a tree (as vmap's inAxes: a number or null standing
 * for a whole subtree) to one value per leaf of `full`.
 */
export function broadcastPrefix<T>(prefix: unknown, full: unknown): T[] {
  const out: T[] = [];
  const isContainer = (x: unknown) =>
    globalThis.Array.isArray(x) || x instanceof Map || (typeof x === "object" && x !== null && isPlainObject(x));
  const walk = (p: unknown, f: unknown, path: string) => {
    if (!isContainer(p)) {
      for (let n = flatten(f)[0].length; n > 0; n--) out.push(p as T);
      return;
    }
    const [, fd] = flatten(f);
    const fail = () => {
      throw new TreeStructureError(`the prefix ${structure(p)} does not match the structure ${fd} at ${path || "the root"}`);
    };
    if (globalThis.Array.isArray(p)) {
      if (!globalThis.Array.isArray(f) || f.length !== p.length) fail();
      p.forEach((pi, i) => walk(pi, (f as unknown[])[i], `${path}[${i}]`));
    } else if (p instanceof Map) {
      if (!(f instanceof Map) || f.size !== p.size) fail();
      // walk in the full tree's key order, which is its leaf order
      for (const [k, v] of f as Map<unknown, unknown>) {
        if (!p.has(k)) fail();
        walk(p.get(k), v, `${path}.get(${String(k)})`);
      }
    } else {
      if (!isContainer(f) || globalThis.Array.isArray(f) || f instanceof Map) fail();
      const pk = Object.keys(p as object);
      const fk = Object.keys(f as object);
      if (pk.length !== fk.length || pk.some((k, i) => k !== fk[i])) fail();
      for (const k of pk) walk((p as Record<string, unknown>)[k], (f as Record<string, unknown>)[k], `${path}.${k}`);
    }
  };
  walk(prefix, full, "");
  return out;
}
