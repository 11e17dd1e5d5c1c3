/** tree.reduce, tree.all and the key-path functions, against tree.leaves/tree.map and JAX's documented behaviour. */
import { describe, expect, it } from "vitest";
import { np, tree, ArgumentError } from "../src/index.js";

const { TreeStructureError } = tree;

const t = { a: 1, b: [2, { c: 3 }], d: null, e: new Map<unknown, unknown>([["k", 4], [7, [5]]]) };

describe("tree.reduce and tree.all", () => {
  it("fold the leaves in tree.leaves order", () => {
    expect(tree.reduce((acc: string, x: number) => acc + x, t, "")).toBe("12345");
    expect(tree.reduce((a: number, b: number) => a * 10 + b, t)).toBe(12345);
    expect(() => tree.reduce((a: number) => a, { x: null })).toThrow(TreeStructureError);
    expect(() => tree.reduce(5 as never, t)).toThrow(ArgumentError);
  });
  it("all: every leaf truthy (arrays: every element)", () => {
    expect(tree.all(t)).toBe(true);
    expect(tree.all({ a: 1, b: [0] })).toBe(false);
    expect(tree.all([np.array([1, 2]), true])).toBe(true);
    expect(tree.all([np.array([1, 0])])).toBe(false);
    expect(tree.all({})).toBe(true);
  });
});

describe("key paths", () => {
  it("flattenWithPath pairs each leaf of tree.flatten with its path", () => {
    const [pairs, def] = tree.flattenWithPath(t);
    const [leaves, def2] = tree.flatten(t);
    expect(def.equals(def2)).toBe(true);
    expect(pairs.map(([, l]) => l)).toEqual(leaves);
    expect(pairs.map(([p]) => p)).toEqual([["a"], ["b", 0], ["b", 1, "c"], ["e", "k"], ["e", 7, 0]]);
    expect(tree.leavesWithPath([1, { x: 2 }])).toEqual([[[0], 1], [[1, "x"], 2]]);
    // isLeaf stops the walk: the path ends at that node
    expect(tree.leavesWithPath({ a: [1, 2] }, (x) => Array.isArray(x))).toEqual([[["a"], [1, 2]]]);
  });
  it("mapWithPath gives tree.map's result with the path first", () => {
    const out = tree.mapWithPath((p: readonly unknown[], x: number, y: number) => `${p.join("/")}:${x + y}`, { a: 1, b: [2, 3] }, { a: 10, b: [20, 30] });
    expect(out).toEqual({ a: "a:11", b: ["b/0:22", "b/1:33"] });
    expect(() => tree.mapWithPath((_p: unknown, x: number) => x, { a: 1 }, { b: 1 })).toThrow(TreeStructureError);
  });
});
