/** Pytrees: flatten/unflatten, TreeDef equality and keys, tree.map, prefix broadcasting. */
import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import { Array } from "../src/array.js";
import { ArrayMethods } from "../src/array-methods.js";
import { JaxonError } from "../src/errors.js";
import { broadcastPrefix, flatten, leaves, structure, TreeDef, TreeStructureError, treeMap, unflatten } from "../src/trace/pytree.js";
import * as tree from "../src/tree.js";
import { arr } from "./helpers.js";

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
}

function roundTrip(t: unknown) {
  const [ls, def] = flatten(t);
  expect(def.numLeaves).toBe(ls.length);
  const back = unflatten(def, ls);
  expect(back).toEqual(t);
  expect(structure(back).equals(def)).toBe(true);
  expect(structure(back).key).toBe(def.key);
  return [ls, def] as const;
}

describe("flatten / unflatten", () => {
  it("round-trips nested objects, arrays, Maps and empty nodes", () => {
    roundTrip(1);
    roundTrip(null);
    roundTrip(undefined);
    roundTrip([]);
    roundTrip({});
    roundTrip(new Map());
    roundTrip({ a: 1, b: [2, { c: 3, d: null }], e: undefined });
    roundTrip([[1, [2, [3]]], { x: new Map<unknown, unknown>([["k", 4], [7, [5, 6]]]) }]);
    roundTrip(new Map<unknown, unknown>([["a", { b: [1, 2] }], ["c", null]]));
  });

  it("gives leaves depth first, objects and Maps in insertion order (not sorted)", () => {
    expect(leaves({ b: 1, a: 2, c: [3, { z: 4, y: 5 }] })).toEqual([1, 2, 3, 4, 5]);
    expect(leaves(new Map<unknown, unknown>([["z", 1], ["a", 2]]))).toEqual([1, 2]);
    expect(leaves([null, 1, undefined, [], {}, [2]])).toEqual([1, 2]);
    const [ls, def] = flatten({ b: 1, a: 2 });
    expect(ls).toEqual([1, 2]);
    expect(Object.keys(unflatten(def, ["B", "A"]))).toEqual(["b", "a"]);
    expect(def.equals(structure({ a: 1, b: 2 }))).toBe(false);
  });

  it("keeps null and undefined as distinct empty nodes", () => {
    const back = unflatten(structure({ a: null, b: undefined }), []);
    expect(back.a).toBeNull();
    expect("b" in back && back.b === undefined).toBe(true);
    expect(structure(null).equals(structure(undefined))).toBe(false);
    expect(structure(null).numLeaves).toBe(0);
  });

  it("treats numbers, booleans, strings, functions and class instances as leaves", () => {
    const p = new Point(1, 2);
    const f = () => 0;
    const d = new Date(0);
    const typed = new Float32Array([1, 2]);
    const [ls, def] = flatten({ p, n: 3, t: true, s: "str", f, d, typed });
    expect(ls).toEqual([p, 3, true, "str", f, d, typed]);
    expect(ls[0]).toBe(p); // the same object, not a copy
    expect(def.numLeaves).toBe(7);
    expect(structure(p).kind).toBe("leaf");
    expect(String(structure(p))).toBe("PyTreeDef(*)");
  });

  it("treats objects with a null prototype as plain objects", () => {
    const o = Object.create(null) as Record<string, number>;
    o.a = 1;
    o.b = 2;
    expect(leaves(o)).toEqual([1, 2]);
    expect(structure(o).equals(structure({ a: 0, b: 0 }))).toBe(true);
  });

  it("treats jaxon Arrays as leaves", () => {
    const x = arr([1, 2, 3]);
    const y = arr([[1, 2]]);
    expect(x).toBeInstanceOf(ArrayMethods);
    const [ls, def] = flatten({ w: x, b: [y, 2] });
    expect(ls).toHaveLength(3);
    expect(ls[0]).toBe(x);
    expect(ls[1]).toBe(y);
    const back = unflatten(def, ls);
    expect(back.w).toBe(x);
    expect(back.b[0]).toBeInstanceOf(Array);
  });

  it("supports isLeaf", () => {
    const t = { a: [1, 2], b: { c: [3] } };
    const [ls, def] = flatten(t, (x) => globalThis.Array.isArray(x));
    expect(ls).toEqual([[1, 2], [3]]);
    expect(String(def)).toBe("PyTreeDef({a: *, b: {c: *}})");
    expect(unflatten(def, ls)).toEqual(t);
  });

  it("unflatten rejects the wrong number of leaves", () => {
    const def = structure({ a: 1, b: [2, 3] });
    expect(() => unflatten(def, [1, 2])).toThrow(TreeStructureError);
    expect(() => unflatten(def, [1, 2, 3, 4])).toThrow(/3 leaves, but 4/);
    expect(() => unflatten(def, [])).toThrow(JaxonError);
    expect(unflatten(structure(5), [7])).toBe(7);
  });

  it("unflatten builds new containers", () => {
    const t = { a: [1, 2] };
    const [ls, def] = flatten(t);
    const back = unflatten(def, ls);
    expect(back).not.toBe(t);
    expect(back.a).not.toBe(t.a);
  });
});

describe("TreeDef", () => {
  it("compares structurally, ignoring leaf values", () => {
    expect(structure({ a: 1 }).equals(structure({ a: 1 }))).toBe(true);
    expect(structure({ a: 1 }).equals(structure({ "a": 1 }))).toBe(true); // prettier-ignore
    expect(structure({ a: 1 }).equals(structure({ a: arr([1, 2]) }))).toBe(true);
    expect(structure({ a: 1, b: [1, null] }).equals(structure({ a: "x", b: [new Point(0, 0), null] }))).toBe(true);
    expect(structure([1, 2]).equals(structure({ 0: 1, 1: 2 }))).toBe(false);
    expect(structure([1, 2]).equals(structure({ "0": 1, "1": 2 }))).toBe(false);
    expect(structure([1, 2]).equals(structure([1, 2, 3]))).toBe(false);
    expect(structure([1, [2]]).equals(structure([1, 2]))).toBe(false);
    expect(structure([1, null]).equals(structure([1, 2]))).toBe(false);
    expect(structure({ a: 1 }).equals(structure({ b: 1 }))).toBe(false);
    expect(structure(new Map([["a", 1]])).equals(structure({ a: 1 }))).toBe(false);
    expect(structure(new Map([["1", 1]])).equals(structure(new Map([[1, 1]])))).toBe(false);
    expect(structure(new Map([[NaN, 1]])).equals(structure(new Map([[NaN, 2]])))).toBe(true);
  });

  it("has a key that is equal iff the defs are equal", () => {
    const trees: unknown[] = [
      1,
      null,
      undefined,
      [],
      {},
      new Map(),
      [1],
      [1, 2],
      [[1], 2],
      [1, null],
      [1, undefined],
      { a: 1 },
      { b: 1 },
      { a: 1, b: 2 },
      { b: 1, a: 2 },
      { 0: 1, 1: 2 },
      { "a,b": 1 },
      { a: 1, b: 1 }, // same structure as { a: 1, b: 2 }
      { 'a":*,"b': 1 }, // a key that looks like key syntax
      { 'a":*}': 1 },
      { "": 1 },
      new Map([["a", 1]]),
      new Map([[1, 1]]),
      new Map([["1", 1]]),
      new Map([[true, 1]]),
      new Map([["true", 1]]),
      new Map([[{}, 1]]),
      new Map([[{}, 1]]), // a different object key
      new Map([[Symbol("s"), 1]]),
      new Map([[Symbol.for("s"), 1]]),
      { a: { b: 1 } },
      { a: [1] },
    ];
    const defs = trees.map((t) => structure(t));
    for (let i = 0; i < defs.length; i++) {
      for (let j = 0; j < defs.length; j++) {
        const eq = defs[i].equals(defs[j]);
        expect(eq, `${defs[i]} vs ${defs[j]}`).toBe(defs[i].key === defs[j].key);
        expect(eq).toBe(defs[j].equals(defs[i]));
      }
    }
    expect(defs[13].key).toBe(defs[17].key);
    expect(new Set(defs.map((d) => d.key)).size).toBe(defs.length - 1);
    expect(structure({ a: 1 }).key).toBe(structure({ "a": 5 }).key); // prettier-ignore
    expect(structure([1, 2]).key).not.toBe(structure({ 0: 1, 1: 2 }).key);
    expect(structure({ a: 1, b: 2 }).key).not.toBe(structure({ "a,b": 1 }).key);
    // Map keys by identity, as the Map compares them
    const k = {};
    expect(structure(new Map([[k, 1]])).key).toBe(structure(new Map([[k, 2]])).key);
    expect(structure(new Map([[-0, 1]])).key).toBe(structure(new Map([[0, 2]])).key);
  });

  it("prints readably", () => {
    expect(String(structure({ a: 1, b: [2, 3] }))).toBe("PyTreeDef({a: *, b: [*, *]})");
    expect(String(structure([null, undefined, {}, []]))).toBe("PyTreeDef([null, undefined, {}, []])");
    expect(String(structure({ "my key": 1 }))).toBe('PyTreeDef({"my key": *})');
    expect(String(structure(new Map<unknown, unknown>([["a", 1], [2, [3]]])))).toBe('PyTreeDef(Map{"a": *, 2: [*]})');
  });

  it("exposes kind, children and numLeaves", () => {
    const d = structure({ a: 1, b: [2, 3], c: null });
    expect(d).toBeInstanceOf(TreeDef);
    expect(d.kind).toBe("object");
    expect(d.keys).toEqual(["a", "b", "c"]);
    expect(d.children.map((c) => c.kind)).toEqual(["leaf", "array", "none"]);
    expect(d.children.map((c) => c.numLeaves)).toEqual([1, 2, 0]);
    expect(d.numLeaves).toBe(3);
  });
});

describe("treeMap", () => {
  it("maps over one tree", () => {
    expect(treeMap((x: number) => x * 2, { a: 1, b: [2, 3] })).toEqual({ a: 2, b: [4, 6] });
    expect(treeMap((x: number) => x + 1, 1)).toBe(2);
    expect(treeMap((x: number) => x + 1, [null, { a: 1 }])).toEqual([null, { a: 2 }]);
    const m = treeMap((x: number) => -x, new Map([["w", 1], ["b", 2]]));
    expect(m).toBeInstanceOf(Map);
    expect([...m]).toEqual([["w", -1], ["b", -2]]);
  });

  it("maps over several trees of one structure", () => {
    const p = { w: [1, 2], b: 3 };
    const g = { w: [10, 20], b: 30 };
    const s = { w: [100, 200], b: 300 };
    expect(treeMap((a: number, b: number, c: number) => a + b + c, p, g, s)).toEqual({ w: [111, 222], b: 333 });
    expect(tree.map((x: number, y: number) => x - y, [1, [2]], [1, [1]])).toEqual([0, [1]]);
  });

  it("throws naming both structures when they differ", () => {
    let err: unknown;
    try {
      treeMap((a: number, b: number) => a + b, { a: 1, b: [2, 3] }, { a: 1, b: [2] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TreeStructureError);
    expect(err).toBeInstanceOf(JaxonError);
    const msg = (err as Error).message;
    expect(msg).toContain("PyTreeDef({a: *, b: [*, *]})");
    expect(msg).toContain("PyTreeDef({a: *, b: [*]})");
    expect(() => treeMap((a) => a, [1, 2], { 0: 1, 1: 2 })).toThrow(/\[\*, \*\].*\{0: \*, 1: \*\}|\{"0": \*, "1": \*\}/);
    expect(() => treeMap((a) => a, { a: 1, b: 2 }, { b: 1, a: 2 })).toThrow(TreeStructureError);
    expect(() => treeMap((a) => a, [1], [1], [[1]])).toThrow(/tree 2/);
  });

  it("works on Arrays as leaves", () => {
    const x = arr([1, 2]);
    const out = treeMap((a: Array) => a.shape, { x, y: [x] });
    expect(out).toEqual({ x: [2], y: [[2]] });
  });
});

describe("broadcastPrefix", () => {
  const full = { a: [1, 2], b: { c: 3, d: null, e: [4] } }; // 4 leaves

  it("broadcasts a single value to every leaf", () => {
    expect(broadcastPrefix(0, full)).toEqual([0, 0, 0, 0]);
    expect(broadcastPrefix(1, 5)).toEqual([1]);
    expect(broadcastPrefix(0, null)).toEqual([]);
  });

  it("treats null as a value, not an empty node", () => {
    expect(broadcastPrefix(null, full)).toEqual([null, null, null, null]);
    expect(broadcastPrefix(undefined, [1, 2])).toEqual([undefined, undefined]);
  });

  it("broadcasts array prefixes", () => {
    expect(broadcastPrefix([0, null], [arr([1, 2]), { p: 1, q: [2, 3] }])).toEqual([0, null, null, null]);
    expect(broadcastPrefix([0, null], [[1, 2], 3])).toEqual([0, 0, null]);
    expect(broadcastPrefix([1, [0, null]], [1, [2, [3, 4]]])).toEqual([1, 0, null, null]);
    expect(broadcastPrefix([[0, null]], [[1, 2]])).toEqual([0, null]);
    expect(broadcastPrefix([], [])).toEqual([]);
  });

  it("broadcasts object and Map prefixes", () => {
    expect(broadcastPrefix({ a: 0, b: null }, full)).toEqual([0, 0, null, null]);
    expect(broadcastPrefix({ a: [1, 0], b: { c: 2, d: 3, e: null } }, full)).toEqual([1, 0, 2, null]);
    // the prefix's key order does not matter; the result is in the tree's leaf order
    expect(broadcastPrefix({ b: null, a: 0 }, full)).toEqual([0, 0, null, null]);
    const m = new Map<unknown, unknown>([["x", [1, 2]], ["y", 3]]);
    expect(broadcastPrefix(new Map([["y", 1], ["x", 0]]), m)).toEqual([0, 0, 1]);
    expect(broadcastPrefix([{ a: 0, b: null }, 1], [full, [7, 8]])).toEqual([0, 0, null, null, 1, 1]);
  });

  it("agrees with flatten's leaf count and order", () => {
    const t = [{ w: arr([1]), b: [arr([2]), null] }, 3];
    const axes = broadcastPrefix<number | null>([{ w: 0, b: 1 }, null], t);
    expect(axes).toHaveLength(flatten(t)[0].length);
    expect(axes).toEqual([0, 1, null]);
  });

  it("throws naming the mismatch when the prefix is not a prefix", () => {
    expect(() => broadcastPrefix([0, 0], [1, 2, 3])).toThrow(TreeStructureError);
    expect(() => broadcastPrefix([0, 0], [1, 2, 3])).toThrow(/2 entries, the tree's 3/);
    expect(() => broadcastPrefix([0], { a: 1 })).toThrow(/array/);
    expect(() => broadcastPrefix({ a: 0 }, full)).toThrow(/keys \["a"\] where the tree has \["a","b"\]/);
    expect(() => broadcastPrefix({ a: 0, c: 1 }, full)).toThrow(TreeStructureError);
    expect(() => broadcastPrefix({ a: [0, 0, 0], b: 0 }, full)).toThrow(/at \.a/);
    expect(() => broadcastPrefix({ a: 0, b: { c: 0, d: [0], e: 0 } }, full)).toThrow(/at \.b\.d/);
    expect(() => broadcastPrefix([0], 5)).toThrow(/PyTreeDef\(\[\*\]\).*PyTreeDef\(\*\)/);
    expect(() => broadcastPrefix(new Map([["x", 0]]), { x: 1 })).toThrow(/Map/);
    expect(() => broadcastPrefix(new Map([["z", 0]]), new Map([["x", 1]]))).toThrow(/no key "x"/);
    expect(() => broadcastPrefix({ a: 0 }, null)).toThrow(TreeStructureError);
  });
});

describe("the tree namespace", () => {
  it("exports the documented API", () => {
    expect(tree.map((x: number) => x * 2, { a: 1, b: [2, 3] })).toEqual({ a: 2, b: [4, 6] });
    const [ls, def] = tree.flatten({ a: 1, b: [2, 3], c: null });
    expect(ls).toEqual([1, 2, 3]);
    expect(String(def)).toBe("PyTreeDef({a: *, b: [*, *], c: null})");
    expect(tree.unflatten(def, ls.map((x) => (x as number) + 1))).toEqual({ a: 2, b: [3, 4], c: null });
    expect(tree.leaves([1, { x: 2 }, null])).toEqual([1, 2]);
    expect(tree.structure({ a: 1 }).equals(tree.structure({ a: 5 }))).toBe(true);
    expect(tree.structure([1, 2]).equals(tree.structure({ 0: 1, 1: 2 }))).toBe(false);
    expect(tree.structure({ a: 1 })).toBeInstanceOf(tree.TreeDef);
    expect(() => tree.unflatten(def, [])).toThrow(tree.TreeStructureError);
  });
});
