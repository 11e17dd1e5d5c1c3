/**
 * random.normal, truncatedNormal, gumbel and exponential against many samples
 * from JAX 0.10.2 on its CPU backend (test/fixtures/random-bits/generate.py
 * writes their IEEE bit patterns): with `exact: true`, float32 is bit-identical,
 * because src/random/xla-log.ts and erf-inv.ts compute what XLA's CPU backend
 * emits (its own log/log1p, LLVM's fused multiply-adds). The default (`exact`
 * off, ~3x faster on the CPU: lax's log/log1p/erf, plain multiply-adds) is
 * pinned too: its measured share of identical samples and largest ulp
 * distance (uniform is exact either way). Where a dtype is not yet
 * bit-identical, the test pins the measured share of identical samples and
 * the largest distance in ulps, so that a regression (or an improvement) shows.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import "../src/index.js";
import { defaultDevice } from "../src/index.js";
import * as random from "../src/random/index.js";
import type { Value } from "../src/trace/core.js";
import { probeWebGPU } from "./device-helpers.js";

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

function sample(c: Case, exact = true): Value {
  const key = random.key(c.seed);
  const o = { dtype: c.dtype, exact };
  switch (c.sampler) {
    case "truncated_normal":
      return random.truncatedNormal(key, c.lower!, c.upper!, { shape: c.shape, dtype: c.dtype, exact });
    case "normal":
      return random.normal(key, c.shape, o);
    case "gumbel":
      return random.gumbel(key, c.shape, o);
    case "exponential":
      return random.exponential(key, c.shape, o);
    case "uniform":
      return random.uniform(key, c.shape, { dtype: c.dtype });
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

function compare(c: Case, exact = true): { identical: number; maxUlps: number } {
  const want = bitsOf(readFileSync(new URL(c.name + ".bin", dir)), c.dtype);
  const x = sample(c, exact);
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

/**
 * float64 is not bit-identical yet: XLA's float64 log/log1p are not rebuilt
 * (lax's are used), and erfinv's float64 Horner steps are plain multiply-adds
 * where XLA fuses them. Measured share of identical samples and largest ulp
 * distance, pinned so that either direction shows.
 */
const NOT_YET: Record<string, { identical: number; maxUlps: number }> = {
  normal_f64: { identical: 0.8775, maxUlps: 27 },
  gumbel_f64: { identical: 0.8575, maxUlps: 129 },
  exponential_f64: { identical: 0.8645, maxUlps: 118 },
};

describe("random: bit-identical to JAX on many samples (CPU)", () => {
  beforeAll(() => defaultDevice("cpu"));
  it("every fixture case is checked, and float16 and float32 are all bit-identical", () => {
    expect(cases.length).toBe(15);
    expect(cases.filter((c) => c.dtype !== "float64").every((c) => !(c.name in NOT_YET))).toBe(true);
  });
  for (const c of cases) {
    it(`${c.name}: ${c.sampler} ${c.dtype} [${c.shape}]`, () => {
      const r = compare(c);
      expect(r).toEqual(NOT_YET[c.name] ?? { identical: 1, maxUlps: 0 });
    });
  }
});

/** The default path (`exact` off): measured share of identical samples and largest ulp distance per case, pinned. */
const DEFAULT_PATH: Record<string, { identical: number; maxUlps: number }> = {
  normal_f32_0: { identical: 0.9523, maxUlps: 3 },
  normal_f32_1: { identical: 0.95485, maxUlps: 3 },
  normal_f32_42: { identical: 0.9484, maxUlps: 3 },
  normal_f32_2d: { identical: 0.9515951595159516, maxUlps: 3 },
  truncnorm_f32_0: { identical: 0.9566, maxUlps: 3 },
  truncnorm_f32_1: { identical: 0.9506, maxUlps: 3 },
  // near a far bound the inverse CDF magnifies erf's last-bit difference over the whole range
  truncnorm_f32_2: { identical: 0.4936, maxUlps: 226 },
  truncnorm_f32_3: { identical: 0.9454, maxUlps: 2 },
  // -log(-log u): lax's log differs from XLA's in the last bit, and the outer log magnifies it near u = 1/e
  gumbel_f32: { identical: 0.81195, maxUlps: 513 },
  exponential_f32: { identical: 0.9633, maxUlps: 1 },
};

describe("random: the default (fast) path, close to JAX (CPU)", () => {
  beforeAll(() => defaultDevice("cpu"));
  for (const c of cases) {
    it(`${c.name}: ${c.sampler} ${c.dtype} without exact`, () => {
      const r = compare(c, false);
      expect(r).toEqual(DEFAULT_PATH[c.name] ?? NOT_YET[c.name] ?? { identical: 1, maxUlps: 0 });
    });
  }
});

describe("random: the same samples on WebGPU, within float32 rounding of the CPU's", () => {
  let gpu = false;
  beforeAll(async () => {
    gpu = await probeWebGPU("random-bit-identical.test.ts");
    defaultDevice("cpu");
  });
  // WGSL's f32 arithmetic rounds as the CPU's, but its sqrt/division may be a few ulps off (the
  // WebGPU spec allows it), so bit identity is not promised there: close, and mostly identical.
  // Three cases cover the kernels (erfinv with log1p, erf, log); each takes lavapipe long to compile.
  const onGpu = cases.filter((c) => ["normal_f32_0", "truncnorm_f32_2", "gumbel_f32"].includes(c.name));
  for (const c of onGpu) {
    // truncatedNormal near a far bound: the inverse CDF magnifies erfinv's rounding (a few ulps of 4),
    // and WGSL's division (2.5 ulps) moves erf(bound) by an ulp, shifting the whole range: about half
    // the samples then differ in the last bits
    const relTol = c.sampler === "truncated_normal" ? 2e-5 : 4e-6;
    // (lax's fma is one kernel node there, rendered as f32 error-free sums that the shader compiler
    // may contract; measured on lavapipe: normal 96%, gumbel 99.7%, truncnorm 49.8% identical)
    const minShare = c.sampler === "truncated_normal" ? 0.45 : 0.95;
    it(`${c.name} on WebGPU`, { timeout: 180_000 }, async () => {
      if (!gpu) return;
      const cpu = Array.from(sample(c).dataSync() as Float32Array);
      defaultDevice("webgpu");
      let x: Value;
      try {
        x = sample(c);
      } finally {
        defaultDevice("cpu");
      }
      expect((x as unknown as { device: string }).device).toBe("webgpu");
      const got = Array.from((await x.data()) as Float32Array);
      let same = 0;
      got.forEach((g, i) => {
        expect(Math.abs(g - cpu[i])).toBeLessThanOrEqual(relTol * Math.max(1, Math.abs(cpu[i])));
        if (g === cpu[i]) same++;
      });
      console.log(`${c.name}: ${same}/${got.length} bit-identical on WebGPU`);
      expect(same / got.length).toBeGreaterThan(minShare);
    });
  }
});
