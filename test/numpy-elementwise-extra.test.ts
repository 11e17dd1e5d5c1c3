/**
 * np elementwise helpers, dtype queries and array-API names (sinc,
 * heaviside, signbit, copysign, frexp, ldexp, modf, divmod, floatPower,
 * logaddexp2, fabs, gcd, lcm, i0, nextafter, spacing, unwrap, acos…,
 * concat, cumulativeSum/Prod, matvec, vecmat) against JAX fixtures
 * (test/fixtures/numpy/generate.py): values, dtypes, gradients, jit, WebGPU;
 * vmap against a loop; the dtype queries against JAX's numbers.
 */
import { describe, expect, it } from "vitest";
import { np, vmap, type Value } from "../src/index.js";
import { DTypeError } from "../src/errors.js";
import { probeWebGPU } from "./device-helpers.js";
import { expectClose } from "./helpers.js";
import { type Entry, runFixtureTable, withCpu } from "./numpy-fixture-helpers.js";

const hasGpu = await probeWebGPU("numpy-elementwise-extra.test.ts");

const table: Record<string, Entry> = {
  sinc: (x) => np.sinc(x),
  "sinc/int": (x) => np.sinc(x),
  heaviside: (x, h) => np.heaviside(x, h),
  "heaviside/h-grad": (h, x) => np.heaviside(x, h),
  "frexp/grad": (x) => np.frexp(x),
  signbit: (x) => np.signbit(x),
  "signbit/int": (x) => np.signbit(x),
  copysign: (x, y) => np.copysign(x, y),
  "copysign/zero": (x, y) => np.copysign(x, y),
  frexp: (x) => np.frexp(x),
  ldexp: (x, e) => np.ldexp(x, e),
  modf: (x) => np.modf(x),
  "divmod/int": (x, y) => np.divmod(x, y),
  "divmod/float": (x, y) => np.divmod(x, y),
  floatPower: (x, y) => np.floatPower(x, y),
  "floatPower/int": (x) => np.floatPower(x, 2),
  logaddexp2: (x, y) => np.logaddexp2(x, y),
  fabs: (x) => np.fabs(x),
  "fabs/int": (x) => np.fabs(x),
  gcd: (x, y) => np.gcd(x, y),
  lcm: (x, y) => np.lcm(x, y),
  i0: (x) => np.i0(x),
  nextafter: (x, y) => np.nextafter(x, y),
  spacing: (x) => np.spacing(x),
  "unwrap/default": (p) => np.unwrap(p),
  "unwrap/period-axis0": (p) => np.unwrap(p, { period: 4, axis: 0 }),
  "unwrap/discont": (p) => np.unwrap(p, { discont: 4 }),
  acos: (x) => np.acos(x),
  asin: (x) => np.asin(x),
  atan: (x) => np.atan(x),
  acosh: (x) => np.acosh(x),
  asinh: (x) => np.asinh(x),
  atanh: (x) => np.atanh(x),
  atan2: (y, x) => np.atan2(y, x),
  bitwiseInvert: (x) => np.bitwiseInvert(x),
  concat: (a, b) => np.concat([a, b], 1),
  "cumulativeSum/initial": (x) => np.cumulativeSum(x, { axis: 1, includeInitial: true }),
  "cumulativeSum/1d": (x) => np.cumulativeSum(x),
  "cumulativeSum/bool": (x) => np.cumulativeSum(x),
  "cumulativeProd/axis0": (x) => np.cumulativeProd(x, { axis: 0, includeInitial: true }),
  matvec: (a, b) => np.matvec(a, b),
  vecmat: (a, b) => np.vecmat(a, b),
};
runFixtureTable("elementwise-extra", table, hasGpu);

describe("under vmap, equal to a loop", () => {
  const x = withCpu(() => np.array([[3, -0.5, 4, 1, 5], [0.25, 2, 6, -5, 0.5], [5, 8, -1, 7, 9]]));
  const fs: [string, (r: Value) => Value][] = [
    ["sinc", (r) => np.sinc(r)],
    ["frexp", (r) => np.frexp(r)[0]],
    ["i0", (r) => np.i0(r)],
    ["unwrap", (r) => np.unwrap(r)],
    ["gcd", (r) => np.gcd(np.abs(r).astype("int32"), 6)],
    ["divmod", (r) => np.divmod(r, 2)[1]],
    ["matvec", (r) => np.matvec(np.ones([2, 5]), r)],
    ["cumulativeProd", (r) => np.cumulativeProd(r, { includeInitial: true })],
  ];
  for (const [name, f] of fs) {
    it(name, () =>
      withCpu(() => {
        const loop = np.stack([0, 1, 2].map((i) => f(x.get(i))));
        expectClose(vmap(f)(x), loop, 1e-6);
      }),
    );
  }
});

describe("dtype queries, as JAX's", () => {
  it("finfo and iinfo", () => {
    // numbers from jnp.finfo / jnp.iinfo (JAX 0.10.2)
    const f32 = np.finfo("float32");
    expect([f32.bits, f32.eps, f32.max, f32.tiny, f32.smallestSubnormal, f32.resolution]).toEqual([32, 1.1920928955078125e-7, 3.4028234663852886e38, 1.1754943508222875e-38, 1.401298464324817e-45, 1e-6]);
    const f64 = np.finfo("float64");
    expect([f64.eps, f64.max, f64.tiny]).toEqual([2.220446049250313e-16, 1.7976931348623157e308, 2.2250738585072014e-308]);
    const f16 = np.finfo("float16");
    expect([f16.eps, f16.max, f16.tiny]).toEqual([0.0009765625, 65504, 6.103515625e-5]);
    expect(np.iinfo("int32")).toEqual({ dtype: "int32", bits: 32, min: -2147483648, max: 2147483647 });
    expect(np.iinfo("uint32").max).toBe(4294967295);
    expect(() => np.finfo("int32")).toThrow(DTypeError);
    expect(() => np.iinfo("float32")).toThrow(DTypeError);
  });
  it("isdtype, canCast, broadcastShapes, isscalar", () => {
    expect(np.isdtype("int32", "integral")).toBe(true);
    expect(np.isdtype("uint32", "signed integer")).toBe(false);
    expect(np.isdtype("float16", ["bool", "real floating"])).toBe(true);
    expect(np.isdtype("bool", "numeric")).toBe(false);
    expect(np.isdtype("float32", "float32")).toBe(true);
    // np.can_cast(np.int32, np.float32) is False, (np.int32, np.float64) True
    expect(np.canCast("int32", "float32")).toBe(false);
    expect(np.canCast("int32", "float64")).toBe(true);
    expect(np.canCast("float64", "float32")).toBe(false);
    expect(np.canCast("float64", "float32", "same_kind")).toBe(true);
    expect(np.canCast("bool", "uint32")).toBe(true);
    expect(np.broadcastShapes([2, 1], [3], 1)).toEqual([2, 3]);
    expect(np.isscalar(3)).toBe(true);
    expect(np.isscalar(np.array(3))).toBe(true);
    expect(np.isscalar(np.array([3]))).toBe(false);
    expect(np.isscalar("3")).toBe(false);
  });
});
