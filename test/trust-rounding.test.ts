/**
 * Rounding trust fixes against real JAX (fixtures: test/fixtures/numpy3/generate.py).
 *
 * random.uniform is JAX's sample bit for bit: XLA contracts float32/float64
 * `floats * (maxval - minval) + minval` into one fused multiply-add (jaxon
 * builds it from error-free transformations), rounds float16 after each op,
 * and draws float16 from the low halves of the 32-bit words.
 *
 * scipy.special.logNdtr's derivative is JAX's rule on every branch, also
 * exactly on the branch boundaries (float64 −20 and 8, float32 −10 and 5),
 * where np.clip/np.minimum used to hand each side half of the gradient.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { grad, jit, np, random, scipy, vmap, type Value } from "../src/index.js";
import { fma } from "../src/random/fma.js";
import type { DType } from "../src/dtype.js";

const fixtures = JSON.parse(readFileSync(join(__dirname, "fixtures/numpy3/jax.json"), "utf8"));

/** The bits of each element as lowercase hex, as the generator writes them. */
function hexBits(x: Value, dtype: DType): string[] {
  const v = (x as unknown as { dataSync(): ArrayLike<number> }).dataSync();
  const out: string[] = [];
  if (dtype === "float64") {
    const b = new DataView(new Float64Array(Array.from(v)).buffer);
    for (let i = 0; i < v.length; i++) out.push(b.getBigUint64(8 * i, true).toString(16).padStart(16, "0"));
  } else if (dtype === "float32") {
    const u = new Uint32Array(new Float32Array(Array.from(v)).buffer);
    for (const b of u) out.push(b.toString(16).padStart(8, "0"));
  } else {
    for (let i = 0; i < v.length; i++) out.push(halfBits(v[i]).toString(16).padStart(4, "0"));
  }
  return out;
}

/** IEEE half bits of a number that is a half exactly (the samples are). */
function halfBits(v: number): number {
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === 0) return sign;
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24);
  const e = Math.floor(Math.log2(a));
  const m = a / 2 ** e - 1;
  if (m * 1024 !== Math.round(m * 1024)) throw new Error(`${v} is not a float16`);
  return sign | ((e + 15) << 10) | (m * 1024);
}

interface UniformCase { dtype: DType; seed: number; shape: number[]; minval: number | number[]; maxval: number | number[]; bits: string[] }

describe("random.uniform is JAX's, bit for bit", () => {
  for (const c of fixtures.uniform as UniformCase[]) {
    const bound = (b: number | number[]) => (typeof b === "number" ? b : np.array(b, { dtype: c.dtype }));
    const name = `${c.dtype} key ${c.seed} shape [${c.shape}] on [${c.minval}, ${c.maxval})`;
    it(name, () => {
      const u = random.uniform(random.key(c.seed), c.shape, { dtype: c.dtype, minval: bound(c.minval), maxval: bound(c.maxval) });
      expect(u.dtype).toBe(c.dtype);
      expect(hexBits(u, c.dtype)).toEqual(c.bits);
    });
  }
  it("jit gives the eager bits", () => {
    const c = (fixtures.uniform as UniformCase[]).find((k) => k.dtype === "float32" && k.minval === 0.1)!;
    const f = jit((k: Value) => random.uniform(k, c.shape, { minval: 0.1, maxval: 0.7 }));
    expect(hexBits(f(random.key(c.seed)), "float32")).toEqual(c.bits);
  });
});

describe("fma: a·b + c rounded once", () => {
  // exact reference: BigInt arithmetic on the scaled integers, rounded to nearest even
  const exactFma32 = (a: number, b: number, c: number): number => {
    const S = 2 ** 150; // every float32 here (|x| > 2^-100) is an integer multiple of 2^-149
    const toBig = (x: number) => BigInt(x * 2 ** 149);
    const prod = toBig(a) * toBig(b); // scaled by 2^298
    const sum = prod + toBig(c) * (1n << 149n);
    // round sum / 2^298 to float32: find the exponent, then round the mantissa to 24 bits
    const neg = sum < 0n;
    let m = neg ? -sum : sum;
    if (m === 0n) return 0;
    let e = m.toString(2).length; // bits
    const drop = e - 24;
    let q = m >> BigInt(drop);
    const rem = m - (q << BigInt(drop));
    const half = 1n << BigInt(drop - 1);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    const v = Number(q) * 2 ** (drop - 298);
    void S; void e;
    return neg ? -v : v;
  };
  it("matches an exact BigInt reference on random float32 triples, ties included", () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const a: number[] = [], b: number[] = [], c: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const x = Math.fround((rnd() - 0.3) * 2 ** Math.floor(rnd() * 12 - 6));
      const y = Math.fround((rnd() - 0.5) * 2 ** Math.floor(rnd() * 12 - 6));
      // c near −x·y makes cancellations; c of other scales makes ties after the product is rounded
      const z = i % 3 === 0 ? Math.fround(-x * y) : Math.fround((rnd() - 0.5) * 2 ** Math.floor(rnd() * 30 - 15));
      a.push(x); b.push(y); c.push(z);
    }
    // exact halfway cases: 1 + 2^-24 (a tie in float32) plus a tiny third term either side
    a.push(1 + 2 ** -23, 1 + 2 ** -23); b.push(1 + 2 ** -23, 1 - 2 ** -23); c.push(2 ** -30, -(2 ** -30));
    const got = fma(np.array(a), np.array(b), np.array(c)).dataSync();
    let bad = 0;
    for (let i = 0; i < a.length; i++) if (got[i] !== exactFma32(a[i], b[i], c[i])) bad++;
    expect(bad).toBe(0);
  });
});

interface LogNdtrCase { dtype: DType; x: number[]; value: number[]; grad: number[] }

describe("scipy.special.logNdtr on its branch boundaries", () => {
  for (const c of fixtures.logNdtr as LogNdtrCase[]) {
    const tol = c.dtype === "float64" ? 1e-12 : 2e-6;
    it(`${c.dtype}: values and gradients as JAX's at ${c.x.join(", ")}`, () => {
      const x = np.array(c.x, { dtype: c.dtype });
      const v = Array.from(scipy.special.logNdtr(x).dataSync() as ArrayLike<number>);
      const g = Array.from(vmap(grad((t: Value) => scipy.special.logNdtr(t)))(x).dataSync() as ArrayLike<number>);
      for (let i = 0; i < c.x.length; i++) {
        expect(Math.abs(v[i] - c.value[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(c.value[i])));
        // the rule is exp(log φ − log Φ): in float32 both logs are near −53 on the lower boundary, so the
        // difference carries a few ulps of 53 (≈ 4e-6 relative in the gradient)
        const gtol = c.dtype === "float64" ? 1e-12 : 1e-5;
        expect(Math.abs(g[i] - c.grad[i])).toBeLessThanOrEqual(gtol * Math.abs(c.grad[i]));
      }
    });
  }
  it("float64 gradients agree with finite differences at every boundary", () => {
    // a boundary point belongs to the branch below it (x ≤ −20 the series, x ≤ 8 the middle), so the
    // difference is taken from below, second order: (3f(x) − 4f(x−h) + f(x−2h)) / 2h
    // (near 8, log Φ ≈ −7e-16 is quantized by Φ's rounding, so there the reference is φ(x)/Φ(x) with
    // Φ(x) = 1 − 6e-16: φ(x) within 1e-15)
    const g8 = grad((t: Value) => scipy.special.logNdtr(t))(np.array(8, { dtype: "float64" })).itemSync() as number;
    expect(Math.abs(g8 - Math.exp(-32) / Math.sqrt(2 * Math.PI))).toBeLessThanOrEqual(1e-12 * g8);
    for (const x0 of [-20, -10, 5]) {
      const g = grad((t: Value) => scipy.special.logNdtr(t))(np.array(x0, { dtype: "float64" })).itemSync() as number;
      const h = 1e-4;
      const f = (t: number) => scipy.special.logNdtr(np.array(t, { dtype: "float64" })).itemSync() as number;
      const fd = (3 * f(x0) - 4 * f(x0 - h) + f(x0 - 2 * h)) / (2 * h);
      // truncation O(h²) plus the rounding of f (|f| ulps, or Φ's 1e-16 near the top) over h
      expect(Math.abs(g - fd)).toBeLessThanOrEqual(1e-6 * Math.abs(fd) + (4e-16 * Math.max(1, Math.abs(f(x0)))) / h);
    }
  });
  it("float32 gradient at −10 and 5 agrees with float64 finite differences", () => {
    for (const x0 of [-10, 5]) {
      const g = grad((t: Value) => scipy.special.logNdtr(t))(np.array(x0, { dtype: "float32" })).itemSync() as number;
      const h = 1e-5;
      const f = (t: number) => scipy.special.logNdtr(np.array(t, { dtype: "float64" })).itemSync() as number;
      const fd = (f(x0 + h) - f(x0 - h)) / (2 * h);
      expect(Math.abs(g - fd)).toBeLessThanOrEqual(1e-5 * Math.abs(fd));
    }
  });
  it("a NaN input stays NaN (the lowest branch takes what no other branch does)", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = np.array([NaN, -30, 0], { dtype });
      for (const f of [scipy.special.logNdtr, scipy.stats.norm.logcdf, scipy.stats.norm.logsf]) {
        const y = Array.from(f(x).dataSync() as ArrayLike<number>);
        expect(Number.isNaN(y[0]), `${f.name}(NaN) in ${dtype}`).toBe(true);
        expect(y.slice(1).every(Number.isFinite)).toBe(true);
      }
    }
  });
  it("no NaN gradient far out on any branch", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = np.array([-1e3, -40, 0, 40, 1e3], { dtype });
      const g = Array.from(vmap(grad((t: Value) => scipy.special.logNdtr(t)))(x).dataSync() as ArrayLike<number>);
      for (const v of g) expect(Number.isFinite(v)).toBe(true);
    }
  });
});

interface BoundCase { name: string; params: number[]; x: number; grad: number }

describe("scipy.stats cdf/sf gradients exactly on the support's bounds are JAX's (clamp, not a split tie)", () => {
  for (const c of fixtures.statsBounds as BoundCase[]) {
    it(`${c.name}(${c.x}; ${c.params.join(", ")})`, () => {
      const [dist, fn] = c.name.split(".");
      const f = (scipy.stats as unknown as Record<string, Record<string, (...a: unknown[]) => Value>>)[dist][fn];
      const g = grad((t: Value) => f(t, ...c.params))(np.array(c.x, { dtype: "float64" })).itemSync() as number;
      expect(Math.abs(g - c.grad)).toBeLessThanOrEqual(1e-12);
    });
  }
});
