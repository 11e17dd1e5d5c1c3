/**
 * Special values (NaN, ±∞, ±0) give JAX's answers on both devices, eager and
 * jitted (jit fuses a composite such as fmax or floorDivide into one kernel,
 * inlining its scalar expressions, so both paths are checked). The reference
 * is real JAX: test/fixtures/special-values/special-values.json, written by
 * generate.py beside it. NaN matches any NaN; a zero's sign must match; finite
 * values match exactly where the operation is exact (remainders, quotients,
 * selections) and to a few float32 ulps otherwise.
 *
 * Each case runs as given and tiled to a few thousand elements (other
 * kernels: WebAssembly on the CPU). Also: comparisons and max/min of bool
 * arrays, reductions of special values (short, and long enough for WebGPU's
 * workgroup trees and two-pass reductions), reductions over a zero-length
 * axis (the identity; the mean is NaN), the same cases as float16 on WebGPU
 * against the CPU, and the accuracy of the WGSL helpers on ordinary values.
 *
 * The CPU cases always run; the WebGPU ones are skipped with a printed reason
 * when there is no adapter, unless JAXON_REQUIRE_WEBGPU is set.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Array, jit, lax, np, type Value } from "../src/index.js";
import { getBackend } from "../src/backend/device.js";
import { allocate, type DType } from "../src/dtype.js";
import { onBothDevices, onCpuAsync, probeWebGPU } from "./device-helpers.js";
import { rand } from "./helpers.js";

const hasGpu = await probeWebGPU("webgpu-special-values.test.ts");

type Encoded = number | string | boolean;
interface Case {
  name: string;
  args: Encoded[][];
  dtype: string;
  out: Encoded[];
}
interface BoolCase {
  name: string;
  args: boolean[][];
  dtype: string;
  out: boolean[];
}
interface SpecialReduction {
  name: string;
  values: string;
  n: number;
  fill: Encoded;
  tail: Encoded[];
  dtype: string;
  out: Encoded[];
}
interface EmptyReduction {
  name: string;
  dtype_in: "float32" | "int32" | "uint32" | "bool";
  shape: number[];
  axis: number | null;
  dtype: string;
  outShape: number[];
  out: Encoded[];
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures/special-values/special-values.json"), "utf8")) as {
  cases: Case[];
  boolCases: BoolCase[];
  specialReductions: SpecialReduction[];
  scanCases: Case[];
  emptyReductions: EmptyReduction[];
};

/** JSON has no NaN, ±∞ or -0: the generator writes them as strings. */
function decode(v: Encoded): number {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return v;
  return { nan: NaN, inf: Infinity, "-inf": -Infinity, "-0": -0 }[v] ?? Number.NaN;
}

/** The jaxon function each fixture case names, over float32 operands. */
const functions: Record<string, (...xs: Value[]) => Value> = {
  isnan: (x) => np.isnan(x),
  isinf: (x) => np.isinf(x),
  isfinite: (x) => np.isfinite(x),
  equal: (x, y) => np.equal(x, y),
  notEqual: (x, y) => np.notEqual(x, y),
  less: (x, y) => np.less(x, y),
  lessEqual: (x, y) => np.lessEqual(x, y),
  greater: (x, y) => np.greater(x, y),
  greaterEqual: (x, y) => np.greaterEqual(x, y),
  astypeBool: (x) => x.astype("bool"),
  logicalNot: (x) => np.logicalNot(x),
  where: (c, x, y) => np.where(c, x, y),
  sign: (x) => np.sign(x),
  nanToNum: (x) => np.nanToNum(x),
  fmax: (x, y) => np.fmax(x, y),
  fmin: (x, y) => np.fmin(x, y),
  maximum: (x, y) => np.maximum(x, y),
  minimum: (x, y) => np.minimum(x, y),
  fmod: (x, y) => np.fmod(x, y),
  mod: (x, y) => np.mod(x, y),
  floorDivide: (x, y) => np.floorDivide(x, y),
  power: (x, y) => np.power(x, y),
  powerInt0: (x) => np.power(x, 0),
  powerInt3: (x) => np.power(x, 3),
  powerIntMinus1: (x) => np.power(x, -1),
  powerIntMinus2: (x) => np.power(x, -2),
  arctan2: (x, y) => np.arctan2(x, y),
  logaddexp: (x, y) => np.logaddexp(x, y),
  sinh: (x) => np.sinh(x),
  cosh: (x) => np.cosh(x),
  exp: (x) => np.exp(x),
  log: (x) => np.log(x),
  sqrt: (x) => np.sqrt(x),
  tanh: (x) => np.tanh(x),
  log1p: (x) => np.log1p(x),
  expm1: (x) => np.expm1(x),
  abs: (x) => np.abs(x),
  negative: (x) => np.negative(x),
  floor: (x) => np.floor(x),
  round: (x) => np.round(x),
  arcsin: (x) => np.arcsin(x),
  arccos: (x) => np.arccos(x),
  arctan: (x) => np.arctan(x),
  tan: (x) => np.tan(x),
  sin: (x) => np.sin(x),
  cos: (x) => np.cos(x),
  arcsinh: (x) => np.arcsinh(x),
  arccosh: (x) => np.arccosh(x),
  arctanh: (x) => np.arctanh(x),
  cbrt: (x) => np.cbrt(x),
  reciprocal: (x) => np.reciprocal(x),
  exp2: (x) => np.exp2(x),
  log2: (x) => np.log2(x),
  rsqrt: (x) => lax.rsqrt(x),
  logistic: (x) => lax.logistic(x),
  erf: (x) => lax.erf(x),
  erfInv: (x) => lax.erfInv(x),
  square: (x) => np.square(x),
  trunc: (x) => np.trunc(x),
  ceil: (x) => np.ceil(x),
  astypeInt32: (x) => x.astype("int32"),
  astypeUint32: (x) => x.astype("uint32"),
  add: (x, y) => np.add(x, y),
  multiply: (x, y) => np.multiply(x, y),
  divide: (x, y) => np.divide(x, y),
  clip: (x) => np.clip(x, -1, 1),
  hypot: (x, y) => np.hypot(x, y),
  nextafter: (x, y) => lax.nextafter(x, y),
};

/** Cases whose finite results are exact in float32 (no transcendental function in between). */
const exact = new Set([
  "sign", "nanToNum", "fmax", "fmin", "maximum", "minimum", "fmod", "mod", "floorDivide", "where", "abs", "negative", "floor", "round",
  "powerInt0", "powerInt3", "powerIntMinus1", "powerIntMinus2", "square", "trunc", "ceil", "astypeInt32", "astypeUint32", "add", "multiply", "divide", "clip", "nextafter", "reciprocal",
]);

/** Why `got` is not JAX's `want`, or null when it is. */
function mismatch(got: number, want: number, tol: number): string | null {
  if (Number.isNaN(want)) return Number.isNaN(got) ? null : `expected NaN, got ${got}`;
  if (want === 0) return Object.is(got, want) ? null : `expected ${Object.is(want, -0) ? "-0" : "+0"}, got ${Object.is(got, -0) ? "-0" : got}`;
  if (!Number.isFinite(want)) return got === want ? null : `expected ${want}, got ${got}`;
  return Math.abs(got - want) <= tol * Math.abs(want) ? null : `expected ${want}, got ${got} (relative tolerance ${tol})`;
}

async function check(label: string, result: Value, want: Encoded[], dtype: string, tol: number, shape?: number[]) {
  const r = result as Array;
  expect(r.dtype, `${label}: dtype`).toBe(dtype);
  if (shape) expect([...r.shape], `${label}: shape`).toEqual(shape);
  const got = globalThis.Array.from(await r.data(), Number);
  expect(got.length, `${label}: size`).toBe(want.length);
  const errors: string[] = [];
  got.forEach((g, i) => {
    const why = mismatch(g, decode(want[i]), tol);
    if (why) errors.push(`[${i}] ${why}`);
  });
  if (errors.length) expect.fail(`${label}: ${errors.join("; ")}`);
}

/** `xs` repeated `times` times. */
const tile = <T>(xs: T[], times: number): T[] => globalThis.Array.from({ length: xs.length * times }, (_, i) => xs[i % xs.length]);
/** Repeats that make an operand of n elements longer than the CPU's cut-off for WebAssembly kernels (1024). */
const tiles = (n: number) => Math.ceil(4096 / n);

type Device = "cpu" | "webgpu";
/** Operands on `device` (a WebGPU array is committed there, so eager work runs on the GPU, not folded on the host). */
function operands(values: number[][], shapes: number[][], dtype: DType, device: Device): Array[] {
  return values.map((v, i) => {
    if (device === "webgpu") return onBothDevices(v, shapes[i], dtype).g;
    const typed = allocate(dtype, v.length);
    v.forEach((x, j) => (typed[j] = x));
    return Array.fromTyped(typed, shapes[i], dtype, false, getBackend("cpu"));
  });
}

/** Runs eagerly and under jit on one device; the CPU as the default device for the CPU runs. */
async function runBoth(device: Device, fn: (...xs: Value[]) => Value, args: Array[], check: (mode: string, out: Value) => Promise<void>) {
  const run = async (mode: string, f: (...xs: Value[]) => Value) => {
    if (device === "cpu") await onCpuAsync(() => check(mode, f(...args)));
    else await check(mode, f(...args));
  };
  await run("eager", fn);
  await run("jit", jit(fn));
}

function suite(device: Device) {
  describe(`${device}: special values give JAX's answers`, () => {
    it("the fixture names only functions the test knows", () => {
      expect(fixture.cases.filter((c) => !functions[c.name]).map((c) => c.name)).toEqual([]);
      expect(fixture.cases.length).toBeGreaterThan(30);
    });
    for (const c of fixture.cases) {
      it(c.name, async () => {
        const tol = exact.has(c.name) ? 0 : 4e-6;
        // as given, and tiled to a few thousand elements: long loops take other kernels (WebAssembly on the CPU)
        for (const times of [1, tiles(c.out.length)]) {
          const values = c.args.map((a) => tile(a.map(decode), times));
          const args = operands(values, values.map((v) => [v.length]), "float32", device);
          const label = `${device} ×${times}`;
          await runBoth(device, functions[c.name], args, (mode, out) => check(`${label} ${mode} ${c.name}`, out, tile(c.out, times), c.dtype, tol));
        }
      });
    }
  });

  describe(`${device}: bool arrays compare and combine as JAX's`, () => {
    for (const c of fixture.boolCases) {
      it(c.name, async () => {
        for (const times of [1, tiles(c.out.length)]) {
          const values = c.args.map((a) => tile(a.map(Number), times));
          const args = operands(values, values.map((v) => [v.length]), "bool", device);
          await runBoth(device, functions[c.name], args, (mode, out) => check(`${device} ×${times} ${mode} bool ${c.name}`, out, tile(c.out, times), c.dtype, 0));
        }
      });
    }
  });

  describe(`${device}: reductions of NaN, ±∞ and -0`, () => {
    const reductions: Record<string, (x: Value) => Value> = {
      sum: (x) => np.sum(x),
      max: (x) => np.max(x),
      min: (x) => np.min(x),
      prod: (x) => np.prod(x),
      mean: (x) => np.mean(x),
    };
    for (const c of fixture.specialReductions) {
      it(`${c.name} of ${c.n} elements ending ${c.values}`, async () => {
        const tail = c.tail.map(decode);
        const values = [...globalThis.Array.from({ length: c.n - tail.length }, () => decode(c.fill)), ...tail];
        const [x] = operands([values], [[c.n]], "float32", device);
        // sums and means of many elements round differently by order; their special results are exact
        await runBoth(device, reductions[c.name], [x], (mode, out) => check(`${device} ${mode} ${c.name}`, out, c.out, c.dtype, 1e-5, []));
      });
    }
  });

  describe(`${device}: cumulative max, min and sum of NaN and ±0`, () => {
    const scans: Record<string, (x: Value) => Value> = { cummax: (x) => lax.cummax(x), cummin: (x) => lax.cummin(x), cumsum: (x) => lax.cumsum(x) };
    for (const c of fixture.scanCases) {
      it(`${c.name} of ${c.out.length}`, async () => {
        const values = c.args.map((a) => a.map(decode));
        const args = operands(values, values.map((v) => [v.length]), "float32", device);
        await runBoth(device, scans[c.name], args, (mode, out) => check(`${device} ${mode} ${c.name}`, out, c.out, c.dtype, 1e-6));
      });
    }
  });

  describe(`${device}: reductions over a zero-length axis`, () => {
    const reductions: Record<string, (x: Value, axis: number | null) => Value> = {
      sum: (x, axis) => (axis === null ? np.sum(x) : np.sum(x, axis)),
      prod: (x, axis) => (axis === null ? np.prod(x) : np.prod(x, axis)),
      mean: (x, axis) => (axis === null ? np.mean(x) : np.mean(x, axis)),
      reduceMax: (x, axis) => lax.reduceMax(x, axis === null ? x.shape.map((_, i) => i) : [axis]),
      reduceMin: (x, axis) => lax.reduceMin(x, axis === null ? x.shape.map((_, i) => i) : [axis]),
      any: (x, axis) => lax.reduceMax(x.astype("bool"), axis === null ? x.shape.map((_, i) => i) : [axis]),
      all: (x, axis) => lax.reduceMin(x.astype("bool"), axis === null ? x.shape.map((_, i) => i) : [axis]),
    };
    for (const c of fixture.emptyReductions) {
      it(`${c.name} of ${c.dtype_in} shape (${c.shape.join(", ")}) over axis ${c.axis}`, async () => {
        const [x] = operands([[]], [c.shape], c.dtype_in, device);
        const fn = (v: Value) => reductions[c.name](v, c.axis);
        await runBoth(device, fn, [x], (mode, out) => check(`${device} ${mode} ${c.name}`, out, c.out, c.dtype, 0, c.outShape));
      });
    }
  });
}

/**
 * The WGSL helpers that give the special values also compute the ordinary
 * ones, in place of the driver's functions (lavapipe's log, log1p through it,
 * tanh and atan are 1e-4 to 6% off near 0 or 1): WebGPU against the CPU
 * (float64 math rounded to float32) over wide ranges, to a few float32 ulps
 * (more where exp's own error grows with its argument, as WGSL allows).
 */
describe.skipIf(!hasGpu)("webgpu: ordinary values of the helper functions match the CPU", () => {
  const n = 4096;
  const signs = rand(n, 3).map((v) => (v < 0 ? -1 : 1));
  const sets: Record<string, number[]> = {
    wide: rand(n, 1, -7, 7).map((e, i) => signs[i] * 10 ** e),
    unit: rand(n, 2, -1, 1),
    big: rand(n, 4, -89, 89),
  };
  const cases: [string, string, number, (x: Value, y: Value) => Value][] = [
    ["log1p", "wide", 1e-6, (x) => np.log1p(np.abs(x))],
    ["log1p of (-1, 1)", "unit", 1e-6, (x) => np.log1p(x)],
    ["log", "wide", 1e-6, (x) => np.log(np.abs(x))],
    ["log near 1", "unit", 1e-6, (x) => np.log(lax.add(lax.mul(x, 0.01), 1))],
    ["expm1", "unit", 1e-6, (x) => np.expm1(x)],
    ["expm1 of small values", "wide", 1e-6, (x) => np.expm1(lax.mul(x, 1e-6))],
    ["tanh", "unit", 1e-6, (x) => np.tanh(lax.mul(x, 3))],
    ["tanh of small values", "wide", 1e-6, (x) => np.tanh(lax.mul(x, 1e-3))],
    ["sinh", "unit", 1e-6, (x) => np.sinh(x)],
    ["sinh of large values", "big", 1e-5, (x) => np.sinh(x)],
    ["cosh of large values", "big", 1e-5, (x) => np.cosh(x)],
    ["arctan", "wide", 1e-6, (x) => np.arctan(x)],
    ["arctan2", "wide", 1e-6, (x, y) => np.arctan2(x, y)],
    ["arcsin", "unit", 1e-6, (x) => np.arcsin(x)],
    ["arccos", "unit", 1e-6, (x) => np.arccos(x)],
    ["arcsinh", "wide", 1e-6, (x) => np.arcsinh(x)],
    ["arccosh", "wide", 1e-6, (x) => np.arccosh(lax.add(np.abs(x), 1))],
    ["arctanh", "unit", 1e-6, (x) => np.arctanh(x)],
    ["fmod", "wide", 0, (x, y) => np.fmod(x, y)],
    ["floorDivide", "wide", 0, (x, y) => np.floorDivide(x, y)],
    ["power", "unit", 1e-5, (x, y) => np.power(np.abs(x), lax.mul(y, 10))],
  ];
  for (const [name, set, tol, fn] of cases) {
    it(name, async () => {
      const xs = sets[set];
      const ys = [...sets[set]].reverse();
      const { c: cx, g: gx } = onBothDevices(xs, [n]);
      const { c: cy, g: gy } = onBothDevices(ys, [n]);
      const want = await onCpuAsync(() => (fn(cx, cy) as Array).data());
      const got = await (fn(gx, gy) as Array).data();
      const errors: string[] = [];
      got.forEach((g, i) => {
        const why = mismatch(g, want[i], tol);
        if (why) errors.push(`[${i}] x=${xs[i]} y=${ys[i]}: ${why}`);
      });
      if (errors.length) expect.fail(`${name}: ${errors.length} of ${n} differ; ${errors.slice(0, 4).join("; ")}`);
    });
  }
});

/**
 * float16 is computed in float32 and rounded to halves (half.ts), through
 * the same helpers: the fixture's operands as halves give the CPU's answers
 * (which compute in float64 and round to halves) on WebGPU too, special
 * values exactly, finite values to a half's rounding.
 */
describe.skipIf(!hasGpu)("webgpu float16: special values as the CPU gives them", () => {
  for (const c of fixture.cases) {
    it(c.name, async () => {
      const values = c.args.map((a) => a.map(decode));
      const pairs = values.map((v) => onBothDevices(v, [v.length], "float16"));
      const fn = functions[c.name];
      const want = await onCpuAsync(() => fn(...pairs.map((p) => p.c)));
      const wantData = await (want as Array).data();
      for (const [mode, f] of [["eager", fn], ["jit", jit(fn)]] as const) {
        const got = f(...pairs.map((p) => p.g)) as Array;
        expect(got.dtype, `${mode} dtype`).toBe((want as Array).dtype);
        const errors: string[] = [];
        (await got.data()).forEach((g, i) => {
          const why = mismatch(Number(g), Number(wantData[i]), exact.has(c.name) ? 0 : 2e-3);
          if (why) errors.push(`[${i}] ${why}`);
        });
        if (errors.length) expect.fail(`webgpu float16 ${mode} ${c.name}: ${errors.join("; ")}`);
      }
    });
  }
});

suite("cpu");
describe.skipIf(!hasGpu)("webgpu", () => suite("webgpu"));

/**
 * sin, cos and tan of any finite float32 on WebGPU as on the CPU (float64 on
 * the exact float32 value): the WGSL builtins do no exact argument reduction,
 * so large arguments came out wrong (sin(3.4e38) was 1, not -0.244). Values
 * spread log-uniformly over the whole finite range, both signs, and values
 * near multiples of π/2, and |x| < 512 densely (where a shorter reduction is
 * tried first); eager and jitted. Within 4 float32 ulps, or 1e-6
 * absolute for sin and cos (near their zeros).
 */
describe.skipIf(!hasGpu)("webgpu: sin, cos and tan of any finite float32 match the CPU", () => {
  const n = 4096;
  const signs = rand(n, 5).map((v) => (v < 0 ? -1 : 1));
  const xs = rand(n, 6, -30, Math.log10(3.4e38)).map((e, i) => Math.fround(signs[i] * 10 ** e));
  const special = [0, -0, 1e-30, 1.5707964, 3.1415927, 4.712389, 6.2831855, 1e22, 8.589935e9, 3.4e38, -3.4e38, 3.4028235e38, 0.7853982, 1e4, 1e5, 16367173 * 2 ** 72];
  for (const s of special) xs.push(Math.fround(s), Math.fround(-s));
  for (let k = 1; k < 200; k++) xs.push(Math.fround((k * Math.PI) / 2), Math.fround(Math.fround((k * Math.PI) / 2) * (1 + 2 ** -23)));
  // the range of the short (Cody–Waite) reduction, |x| < 512, densely, and around its threshold |r| = 2^-12
  // (below it the exact reduction decides) at every multiple of π/2 in that range
  for (const v of rand(4096, 7, -520, 520)) xs.push(Math.fround(v));
  for (let k = 1; k <= 326; k++) for (const e of [10, 12, 13]) for (const s of [-1, 1]) xs.push(Math.fround((k * Math.PI) / 2 + s * 2 ** -e));
  const ulp = (v: number) => {
    const a = Math.abs(Math.fround(v));
    if (a < 2 ** -126) return 2 ** -149;
    return 2 ** (Math.floor(Math.log2(a)) - 23);
  };
  const fns: [string, (x: Value) => Value, number][] = [
    ["sin", (x) => np.sin(x), 1e-6],
    ["cos", (x) => np.cos(x), 1e-6],
    ["tan", (x) => np.tan(x), 0],
  ];
  for (const [name, fn, abs] of fns) {
    for (const path of ["eager", "jit"]) {
      it(`${name} (${path})`, async () => {
        const f = path === "jit" ? jit(fn) : fn;
        const { c, g } = onBothDevices(xs, [xs.length]);
        const want = await onCpuAsync(() => (f(c) as Array).data());
        const got = await (f(g) as Array).data();
        const errors: string[] = [];
        got.forEach((v, i) => {
          const w = want[i];
          if (Number.isNaN(w) && Number.isNaN(v)) return;
          if (v === 0 && w === 0 && Object.is(v, -0) !== Object.is(w, -0)) errors.push(`[${i}] x=${xs[i]}: ${v} vs ${w} (sign of zero)`);
          else if (!(Math.abs(v - w) <= Math.max(4 * ulp(w), abs))) errors.push(`[${i}] x=${xs[i]}: ${v} vs ${w}`);
        });
        if (errors.length) expect.fail(`${name}: ${errors.length} of ${xs.length} differ; ${errors.slice(0, 6).join("; ")}`);
      });
    }
  }
});
