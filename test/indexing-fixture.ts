/**
 * The JAX reference cases of test/fixtures/indexing/indexing.json (made by
 * generate.py beside it) as jaxon calls: the inputs as arrays, the index
 * items as x.get/x.at items, and the operation itself. Shared by the CPU
 * test (indexing-jax.test.ts) and the WebGPU one (webgpu-indexing.test.ts).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Array, lax, np } from "../src/index.js";
import type { DType, Value } from "../src/index.js";
import type { IndexItem } from "../src/array-methods.js";
import { allocate } from "../src/dtype.js";

export interface Tensor {
  shape: number[];
  dtype: "float32" | "int32" | "uint32" | "bool";
  data: (number | boolean | string)[];
}
type Item = ":" | null | { int: number } | { slice: (number | null)[] } | { array: Tensor } | { mask: Tensor };
export interface Case {
  name: string;
  kind: "get" | "at" | "take" | "takeAlongAxis" | "dynamicSlice" | "dynamicUpdateSlice";
  x: Tensor;
  items?: Item[];
  op?: "set" | "add" | "mul" | "min" | "max";
  u?: Tensor;
  indices?: Tensor;
  axis?: number | null;
  starts?: number[];
  sizes?: number[];
  expected: Tensor;
  w?: Tensor;
  gradX?: Tensor;
  gradU?: Tensor | null;
}

export const fixture: { jax: string; cases: Case[] } = JSON.parse(
  readFileSync(fileURLToPath(new URL("./fixtures/indexing/indexing.json", import.meta.url)), "utf8"),
);

/** A fixture number: JSON has no NaN or infinities, so they are strings there. */
export function decode(v: number | boolean | string): number {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return v as number;
}

export const numbers = (t: Tensor) => t.data.map(decode);

/** A fixture tensor as a jaxon array (on the default device), in its dtype or another (float64 for finite differences). */
export function tensorArray(t: Tensor, dtype: DType = t.dtype): Array {
  const data = allocate(dtype, t.data.length);
  t.data.forEach((v, i) => (data[i] = decode(v)));
  return Array.fromTyped(data, t.shape, dtype);
}

/** The case's integer index arrays (not masks: those must stay concrete), in item order. */
export function indexArrays(c: Case): Array[] {
  if (c.kind === "take" || c.kind === "takeAlongAxis") return [tensorArray(c.indices!)];
  return (c.items ?? []).flatMap((it) => (it !== null && typeof it === "object" && "array" in it ? [tensorArray(it.array)] : []));
}

/** The case's items, with its index arrays replaced by `arrays` (traced ones, under jit or vmap). */
function toItems(c: Case, arrays: readonly Value[]): IndexItem[] {
  let k = 0;
  return (c.items ?? []).map((it): IndexItem => {
    if (it === ":" || it === null) return it;
    if ("int" in it) return it.int;
    if ("slice" in it) return it.slice as unknown as IndexItem;
    if ("array" in it) return arrays[k++] as IndexItem;
    return tensorArray(it.mask) as IndexItem;
  });
}

/**
 * The case's operation on x (and u, for at and dynamicUpdateSlice), with its
 * index arrays (or dynamic starts) as arguments, so that jit and vmap can trace them.
 */
export function operation(c: Case): (x: Value, u: Value | null, ...rest: Value[]) => Value {
  switch (c.kind) {
    case "get":
      return (x, _u, ...arrays) => x.get(...toItems(c, arrays));
    case "at":
      return (x, u, ...arrays) => x.at(...toItems(c, arrays))[c.op!](u!);
    case "take":
      return (x, _u, idx) => np.take(x, idx, c.axis);
    case "takeAlongAxis":
      return (x, _u, idx) => np.takeAlongAxis(x, idx, c.axis!);
    case "dynamicSlice":
      return (x, _u, ...starts) => lax.dynamicSlice(x, starts, c.sizes!);
    case "dynamicUpdateSlice":
      return (x, u, ...starts) => lax.dynamicUpdateSlice(x, u!, starts);
  }
}

/** The arguments after x and u: index arrays, or the starts as 0-d int32 arrays. */
export function restArgs(c: Case): Array[] {
  if (c.kind === "dynamicSlice" || c.kind === "dynamicUpdateSlice") {
    return c.starts!.map((s) => Array.fromTyped(Int32Array.of(s), [], "int32"));
  }
  return indexArrays(c);
}

/** sum(w · f), with the NaNs of a fill replaced by 0 as the generator does (its gradient there is 0). */
export function weightedSum(y: Value, w: Value): Value {
  const safe = np.where(np.isnan(y), 0, y);
  return np.sum(np.multiply(safe, w));
}
