/**
 * random.normal, truncatedNormal, gumbel and exponential against many samples
 * from JAX 0.10.2 on its CPU backend (test/fixtures/random-bits/generate.py
 * writes their IEEE bit patterns): float32 is bit-identical, because
 * src/random/xla-log.ts and erf-inv.ts compute what XLA's CPU backend emits
 * (its own log/log1p, LLVM's fused multiply-adds). Where a dtype is not yet
 * bit-identical, the test pins the measured share of identical samples and
 * the largest distance in ulps, so that a regression (or an improvement) shows.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import "../src/index.js";
import { defaultDevice } from "../src/index.js";
import * as random from "../src/random/index.js";
import type { Value } from "../src/trace/core.js";

const dir = new URL("./fixtures/random-bits/", import.meta.url);
interface Case {
  name: string;
  sampler: "normal" | "truncated_normal" | "gumbel" | "exponential" | "uniform";
  seed: number;
  shape: number[];
  dtype: "float16" | "float32" | "float64";
  lower?: number;
  upper?: number;
}
const { cases } = JSON.parse(readFileSync(new URL("cases.json", dir), "utf8")) as { cases: Case[] };

/** The samples' bit patterns as (big) integers, one per element. */
function bitsOf(bytes: Uint8Array, dtype: Case["dtype"]): bigint[] {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  if (dtype === "float16") return Array.from(new Uint16Array(ab), BigInt);
  if (dtype === "float32") return Array.from(new Uint32Array(ab), BigInt);
  return Array.from(new BigUint64Array(ab));
}

function sample(c: Case): Value {
  const key = random.key(c.seed);
  const o = { dtype: c.dtype };
  switch (c.sampler) {
    case "truncated_normal":
      return random.truncatedNormal(key, c.lower!, c.upper!, { shape: c.shape, dtype: c.dtype });
    case "normal":
      return random.normal(key, c.shape, o);
    case "gumbel":
      return random.gumbel(key, c.shape, o);
    case "exponential":
      return random.exponential(key, c.shape, o);
    case "uniform":
      return random.uniform(key, c.shape, o);
  }
}

function jaxonBits(x: Value, dtype: Case["dtype"]): bigint[] {
  const data = x.dataSync() as Float32Array | Float64Array | Uint16Array;
  if (dtype === "float16") {
    // float16 reads back as float32 values (or raw halves); compare by the half bit pattern
    const f = data instanceof Uint16Array ? data : new Float32Array(data);
    return Array.from(f instanceof Uint16Array ? f : halfBits(f), BigInt);
  }
  const bytes = dtype === "float32" ? new Uint32Array(new Float32Array(data).buffer) : new BigUint64Array(new Float64Array(data).buffer);
  return Array.from(bytes as ArrayLike<number | bigint>, BigInt);
}

/** The half bit pattern of a value that is a float16 exactly (finite, or ±inf, or NaN). */
function halfBitsOf(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | (a * 2 ** 24); // subnormal (or zero): the mantissa counts 2^-24
  const e = Math.floor(Math.log2(a));
  const exponent = a >= 2 ** (e + 1) ? e + 1 : a < 2 ** e ? e - 1 : e; // guard log2's rounding
  return sign | ((exponent + 15) << 10) | ((a / 2 ** exponent - 1) * 1024);
}

const halfBits = (f: Float32Array): Uint16Array => Uint16Array.from(f, halfBitsOf);

/** Distance in ulps between two same-sign-ordered bit patterns (sign-magnitude to a monotone integer). */
function ulpDistance(a: bigint, b: bigint, dtype: Case["dtype"]): number {
  const width = dtype === "float16" ? 16n : dtype === "float32" ? 32n : 64n;
  const sign = 1n << (width - 1n);
  const ordered = (v: bigint) => (v & sign ? -(v & (sign - 1n)) : v);
  const d = ordered(a) - ordered(b);
  return Number(d < 0n ? -d : d);
}

export function compare(c: Case): { identical: number; maxUlps: number } {
  const want = bitsOf(readFileSync(new URL(c.name + ".bin", dir)), c.dtype);
  const x = sample(c);
  expect(x.shape).toEqual(c.shape);
  expect(x.dtype).toBe(c.dtype);
  const got = jaxonBits(x, c.dtype);
  expect(got.length).toBe(want.length);
  let same = 0;
  let maxUlps = 0;
  got.forEach((g, i) => {
    if (g === want[i]) same++;
    else maxUlps = Math.max(maxUlps, ulpDistance(g, want[i], c.dtype));
  });
  return { identical: same / got.length, maxUlps };
}

describe("random: bit-identical to JAX on many samples (CPU)", () => {
  defaultDevice("cpu");
  for (const c of cases) {
    it(`${c.name}: ${c.sampler} ${c.dtype} [${c.shape}]`, () => {
      const r = compare(c);
      console.log(c.name, r);
      expect(r).toEqual({ identical: 1, maxUlps: 0 });
    });
  }
});
