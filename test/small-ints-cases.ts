/**
 * The small-integer fixture (test/fixtures/small-ints/cases.json, written by
 * its gen.py from real JAX) and the jaxon call of each of its ops: shared by
 * test/small-ints.test.ts (CPU) and test/small-ints-webgpu.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Array as JArray, lax, np, type Value } from "../src/index.js";
import { getBackend } from "../src/backend/device.js";
import { allocate, type DType } from "../src/dtype.js";

export type Enc = number | "nan" | "inf" | "-inf" | "-0";
export interface EncArray {
  dtype: string;
  shape: number[];
  data: Enc[];
}
export interface Case {
  id: string;
  op: string;
  params: { dtype?: DType; axis?: number; count?: number; bitorder?: "big" | "little"; scale?: number };
  inputs: EncArray[];
  outs: EncArray[];
  vmap: boolean;
}
export interface Fixture {
  jax: string;
  promotion: [DType, DType, DType][];
  weak: { dtype: DType; int: DType; intWeak: boolean; float: DType; floatWeak: boolean }[];
  iinfo: Record<string, [number, number, number]>;
  randint: { dtype: DType; lo: number; hi: number; out: EncArray }[];
  bits: Record<"uint8" | "uint16" | "uint32", EncArray>;
  cases: Case[];
}

export const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures/small-ints/cases.json"), "utf8")) as Fixture;

export function decode(v: Enc): number {
  if (typeof v === "number") return v;
  return v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : -0;
}

/** A fixture array on the CPU (uncommitted inputs would be folded on the host: these are committed). */
export function toArray(e: EncArray): JArray {
  const data = allocate(e.dtype as DType, e.data.length);
  e.data.forEach((v, i) => (data[i] = decode(v)));
  return JArray.fromTyped(data, e.shape, e.dtype as DType, false, getBackend("cpu"));
}

type Fn = (xs: Value[], p: Case["params"]) => Value | Value[];
const un = (f: (x: Value) => Value): Fn => ([x]) => f(x);
const bin = (f: (x: Value, y: Value) => Value): Fn => ([x, y]) => f(x, y);

/** Each op of the fixture as jaxon calls it (JAX's call is in gen.py under the same name). */
export const OPS: Record<string, Fn> = {
  astype: ([x], p) => x.astype(p.dtype!),
  scaleCast: ([x], p) => x.astype("float32").mul(p.scale!).astype(p.dtype!),
  neg: un((x) => lax.neg(x)),
  abs: un((x) => np.abs(x)),
  sign: un((x) => np.sign(x)),
  bitwiseNot: un((x) => np.bitwiseNot(x)),
  square: un((x) => np.square(x)),
  populationCount: un((x) => lax.populationCount(x)),
  clz: un((x) => lax.clz(x)),
  integerPow3: un((x) => lax.integerPow(x, 3)),
  bitwiseCount: un((x) => np.bitwiseCount(x)),
  add: bin((x, y) => np.add(x, y)),
  subtract: bin((x, y) => np.subtract(x, y)),
  multiply: bin((x, y) => np.multiply(x, y)),
  laxDiv: bin((x, y) => lax.div(x, y)),
  laxRem: bin((x, y) => lax.rem(x, y)),
  floorDivide: bin((x, y) => np.floorDivide(x, y)),
  mod: bin((x, y) => np.mod(x, y)),
  maximum: bin((x, y) => np.maximum(x, y)),
  minimum: bin((x, y) => np.minimum(x, y)),
  bitwiseAnd: bin((x, y) => np.bitwiseAnd(x, y)),
  bitwiseOr: bin((x, y) => np.bitwiseOr(x, y)),
  bitwiseXor: bin((x, y) => np.bitwiseXor(x, y)),
  equal: bin((x, y) => np.equal(x, y)),
  less: bin((x, y) => np.less(x, y)),
  greaterEqual: bin((x, y) => np.greaterEqual(x, y)),
  power: bin((x, y) => np.power(x, y)),
  shiftLeft: bin((x, y) => lax.shiftLeft(x, y)),
  shiftRightLogical: bin((x, y) => lax.shiftRightLogical(x, y)),
  shiftRightArithmetic: bin((x, y) => lax.shiftRightArithmetic(x, y)),
  rightShift: bin((x, y) => np.rightShift(x, y)),
  leftShift: bin((x, y) => np.leftShift(x, y)),
  addWeak: un((x) => x.add(1)),
  mulWeak: un((x) => x.mul(3)),
  where: ([c, a, b]) => np.where(c, a, b),
  clip: un((x) => np.clip(x, 1, 100)),
  sum: un((x) => np.sum(x)),
  prod: un((x) => np.prod(x)),
  max: un((x) => np.max(x)),
  min: un((x) => np.min(x)),
  argmax: un((x) => np.argmax(x)),
  argmin: un((x) => np.argmin(x)),
  mean: un((x) => np.mean(x)),
  cumsum: un((x) => np.cumsum(x)),
  cumprod: un((x) => np.cumprod(x)),
  laxReduceSum: un((x) => lax.reduceSum(x, [0])),
  sumAxis1: un((x) => np.sum(x, 1)),
  maxAxis1: un((x) => np.max(x, 1)),
  argminAxis1: un((x) => np.argmin(x, 1)),
  cumsumAxis1: un((x) => np.cumsum(x, 1)),
  prodAxis1: un((x) => np.prod(x, 1)),
  sort: un((x) => np.sort(x)),
  argsort: un((x) => np.argsort(x)), // stable, as JAX's with stable=True
  take: bin((x, i) => x.get(i)),
  "at.set": ([x, i, u]) => x.at(i).set(u),
  "at.add": ([x, i, u]) => x.at(i).add(u),
  "at.mul": ([x, i, u]) => x.at(i).mul(u),
  "at.min": ([x, i, u]) => x.at(i).min(u),
  "at.max": ([x, i, u]) => x.at(i).max(u),
  packbits: ([x], p) => np.packbits(x, p.axis ?? null, { bitorder: p.bitorder }),
  unpackbits: ([x], p) => np.unpackbits(x, p.axis ?? null, { count: p.count, bitorder: p.bitorder }),
};

/** The op's outputs as a list. */
export function run(c: Case, xs: Value[]): Value[] {
  const y = OPS[c.op](xs, c.params);
  return Array.isArray(y) ? y : [y];
}

/** Whether `got` equals the fixture's output: dtype, shape and every element (float32 outputs within 1 ulp-ish relative 1e-6). */
export function sameAs(got: { dtype: string; shape: readonly number[]; data: ArrayLike<number> }, want: EncArray): string | null {
  if (got.dtype !== want.dtype) return `dtype ${got.dtype}, JAX ${want.dtype}`;
  if (got.shape.join(",") !== want.shape.join(",")) return `shape [${got.shape}], JAX [${want.shape}]`;
  for (let i = 0; i < want.data.length; i++) {
    const w = decode(want.data[i]);
    const g = got.data[i];
    if (Number.isNaN(w) ? !Number.isNaN(g) : want.dtype.startsWith("float") ? Math.abs(g - w) > 1e-6 * Math.max(1, Math.abs(w)) : g !== w) {
      return `element ${i}: ${g}, JAX ${w}`;
    }
  }
  return null;
}
