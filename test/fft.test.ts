/**
 * The FFT on the CPU: the `fft` primitive and np.fft's transforms (on float
 * pairs until complex dtypes exist) against real JAX (test/fixtures/fft/,
 * written by its generate.py), float64 against a direct O(n²) DFT, the
 * primitive's rules (jvp by finite differences in float64, transpose by the
 * dot-product identity <F x, y> = <x, Fᵀ y>, vmap against a loop, jit ==
 * eager), the gradient of a real loss through rfft → |·|² → irfft against
 * JAX's, and the helpers (fftfreq, rfftfreq, fftshift, ifftshift).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { grad, jit, jvp, lax, np, vjp, vmap, type Value } from "../src/index.js";
import { ArgumentError, DTypeError, ShapeError } from "../src/errors.js";
import { fftP, fftPairsRaw, type FftType } from "../src/lax/fft.js";
import * as F from "../src/numpy/fft.js";
import { arr, dot, rand, values } from "./helpers.js";

interface Case { id: string; fn: string; kind: "real" | "pairs"; shape: number[]; seed: number; kwargs: Record<string, unknown>; outShape: number[]; out: number[] }
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "fft", "cases.json"), "utf8")) as {
  jax: string;
  cases: Case[];
  freqs: { n: number; d: number; fftfreq: number[]; rfftfreq: number[] }[];
  grads: { n: number; xSeed: number; wSeed: number; shape: number[]; grad: number[] }[];
};

/** The generator's inputs: (j·7919 + seed·104729) mod 65521 / 65521 − 0.5, exact in doubles, rounded to float32. */
export function data(count: number, seed: number): number[] {
  return Array.from({ length: count }, (_, j) => Math.fround(((j * 7919 + seed * 104729) % 65521) / 65521 - 0.5));
}

/** The case's input: real of its shape, or pairs of shape [...shape, 2]. */
export function caseInput(c: Case, dtype: "float32" | "float64" = "float32"): Value {
  const shape = c.kind === "real" ? c.shape : [...c.shape, 2];
  return arr(data(shape.reduce((a, b) => a * b, 1), c.seed), dtype, shape);
}

type Fn = (x: Value, ...rest: never[]) => Value;
/** The jaxon call of a case: the pair function named by `fn`, with JAX's keyword arguments in position. */
export function callCase(c: Case, x: Value): Value {
  const k = c.kwargs as { n?: number; axis?: number; norm?: F.FftNorm; s?: number[]; axes?: number[] };
  const one: Record<string, (a: Value, n?: number | null, axis?: number, norm?: F.FftNorm) => Value> = {
    fft: F.fftPairs, ifft: F.ifftPairs, rfft: F.rfftPairs, irfft: F.irfftPairs, hfft: F.hfftPairs, ihfft: F.ihfftPairs,
  };
  if (one[c.fn]) return one[c.fn](x, k.n, k.axis ?? -1, k.norm);
  const two: Record<string, (a: Value, s?: number[] | null, axes?: number[], norm?: F.FftNorm) => Value> = {
    fft2: F.fft2Pairs, ifft2: F.ifft2Pairs, rfft2: F.rfft2Pairs, irfft2: F.irfft2Pairs,
  };
  if (two[c.fn]) return two[c.fn](x, k.s, k.axes ?? [-2, -1], k.norm);
  const nd: Record<string, (a: Value, s?: number[] | null, axes?: number[] | null, norm?: F.FftNorm) => Value> = {
    fftn: F.fftnPairs, ifftn: F.ifftnPairs, rfftn: F.rfftnPairs, irfftn: F.irfftnPairs,
  };
  return (nd[c.fn] as Fn & typeof nd.fftn)(x, k.s, k.axes, k.norm);
}

/** max |got − want| / max(|want|, tiny): the error relative to the spectrum's scale. */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) {
    num = Math.max(num, Math.abs(got[i] - want[i]));
    den = Math.max(den, Math.abs(want[i]));
  }
  return num / Math.max(den, 1e-30);
}

/** A direct O(n²) DFT in float64 of complex pairs [n, 2] (sign −1 forward, +1 inverse unnormalized). */
function naiveDft(x: number[], sign: number): number[] {
  const n = x.length / 2;
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    let re = 0, im = 0;
    for (let j = 0; j < n; j++) {
      const a = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      re += x[2 * j] * Math.cos(a) - x[2 * j + 1] * Math.sin(a);
      im += x[2 * j] * Math.sin(a) + x[2 * j + 1] * Math.cos(a);
    }
    out.push(re, im);
  }
  return out;
}

describe("np.fft transforms on float pairs against JAX (float32, CPU)", () => {
  it("the generator's inputs are reproduced exactly", () => {
    // from the generator: data(4, 3) in float32
    const d = data(4, 3);
    expect(d[0]).toBe(Math.fround(((3 * 104729) % 65521) / 65521 - 0.5));
    expect(d.every((v) => v >= -0.5 && v < 0.5)).toBe(true);
  });
  const errs: Record<string, number> = {};
  it.each(fixture.cases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const y = callCase(c, caseInput(c));
    expect(y.dtype).toBe("float32");
    expect(y.shape).toEqual(c.outShape);
    const e = relErr(values(y), c.out);
    errs[c.id] = e;
    const n = Math.max(...c.shape);
    expect(e, `${c.id}: relative error ${e}`).toBeLessThan(n >= 4096 ? 2e-6 : 1e-6 * Math.max(1, Math.log2(n)));
  });
  it("accuracy against JAX (float32): printed", () => {
    for (const id of ["fft/65536", "fft/4096", "fft/97", "fft/127", "fft/1000"]) {
      if (errs[id] !== undefined) console.log(`fft accuracy (CPU, float32) ${id}: max |jaxon − JAX| / max |JAX| = ${errs[id].toExponential(2)}`);
    }
  });
});

describe("float64 against a direct DFT", () => {
  const lengths = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 16, 17, 25, 27, 29, 31, 37, 49, 60, 97, 127, 128, 210, 243, 256, 289, 500, 509, 1000, 1021];
  it.each(lengths)("n = %i: FFT and IFFT within 1e-12 (relative to the spectrum)", (n) => {
    const x = rand(2 * n, n);
    const X = fftPairsRaw(arr(x, "float64", [n, 2]), "FFT", [n]);
    expect(relErr(values(X), naiveDft(x, -1))).toBeLessThan(1e-12);
    const Y = fftPairsRaw(arr(x, "float64", [n, 2]), "IFFT", [n]);
    expect(relErr(values(Y), naiveDft(x, 1).map((v) => v / n))).toBeLessThan(1e-12);
  });
  it.each([2, 4, 6, 10, 64, 194, 1000, 1022])("RFFT of n = %i (the half-length split step) within 1e-12 of a direct DFT", (n) => {
    const x = rand(n, n + 1);
    const X = values(fftPairsRaw(arr(x, "float64", [n]), "RFFT", [n]));
    const full = naiveDft(x.flatMap((v) => [v, 0]), -1).slice(0, 2 * (Math.floor(n / 2) + 1));
    expect(relErr(X, full)).toBeLessThan(1e-12);
  });
  it("RFFT/IRFFT round trips (even and odd n, several axes) in float64", () => {
    for (const shape of [[7], [8], [3, 5], [4, 6], [2, 3, 5], [3, 4, 9]]) {
      const x = arr(rand(shape.reduce((a, b) => a * b, 1), 3), "float64", shape);
      const r = fftPairsRaw(x, "RFFT", shape);
      const back = fftPairsRaw(r, "IRFFT", shape);
      expect(relErr(values(back), values(x))).toBeLessThan(1e-13);
    }
  });
  it("a batch over leading axes equals transforming each array", () => {
    const x = arr(rand(3 * 4 * 6 * 2, 5), "float64", [3, 4, 6, 2]);
    const all = values(fftPairsRaw(x, "FFT", [4, 6]));
    for (let b = 0; b < 3; b++) {
      const one = values(fftPairsRaw(lax.slice(x, [b, 0, 0, 0], [b + 1, 4, 6, 2]), "FFT", [4, 6]));
      expect(relErr(all.slice(b * 48, (b + 1) * 48), one)).toBe(0);
    }
  });
});

/** Every fft type on a few shapes, as functions of one float64 array. */
const ruleCases: { name: string; type: FftType; lengths: number[]; shape: number[] }[] = [
  { name: "FFT 1-D n=6", type: "FFT", lengths: [6], shape: [2, 6, 2] },
  { name: "FFT 1-D n=7 (Bluestein-free generic radix)", type: "FFT", lengths: [7], shape: [7, 2] },
  { name: "FFT 1-D n=37 (Bluestein)", type: "FFT", lengths: [37], shape: [37, 2] },
  { name: "IFFT 2-D", type: "IFFT", lengths: [3, 4], shape: [2, 3, 4, 2] },
  { name: "FFT 3-D", type: "FFT", lengths: [2, 3, 4], shape: [2, 3, 4, 2] },
  { name: "RFFT even", type: "RFFT", lengths: [8], shape: [3, 8] },
  { name: "RFFT odd", type: "RFFT", lengths: [9], shape: [2, 9] },
  { name: "RFFT 2-D", type: "RFFT", lengths: [3, 6], shape: [2, 3, 6] },
  { name: "IRFFT even", type: "IRFFT", lengths: [8], shape: [3, 5, 2] },
  { name: "IRFFT odd", type: "IRFFT", lengths: [9], shape: [2, 5, 2] },
  { name: "IRFFT 2-D", type: "IRFFT", lengths: [4, 6], shape: [2, 4, 4, 2] },
  { name: "IRFFT 3-D odd", type: "IRFFT", lengths: [2, 3, 5], shape: [2, 3, 3, 2] },
];

describe("the fft primitive's rules (float64, CPU)", () => {
  describe.each(ruleCases.map((c) => [c.name, c] as const))("%s", (_n, c) => {
    const f = (x: Value) => fftPairsRaw(x, c.type, c.lengths);
    const size = c.shape.reduce((a, b) => a * b, 1);
    const x = arr(rand(size, 7), "float64", c.shape);
    const t = arr(rand(size, 11), "float64", c.shape);
    it("jvp equals central finite differences (linear: exact up to rounding)", () => {
      const [y, dy] = jvp(f, [x], [t]) as [Value, Value];
      expect(values(y)).toEqual(values(f(x)));
      const eps = 1e-3;
      const plus = values(f(arr(values(x).map((v, i) => v + eps * values(t)[i]), "float64", c.shape)));
      const minus = values(f(arr(values(x).map((v, i) => v - eps * values(t)[i]), "float64", c.shape)));
      const fd = plus.map((v, i) => (v - minus[i]) / (2 * eps));
      expect(relErr(values(dy), fd)).toBeLessThan(1e-9);
    });
    it("transpose: <F x, u> = <x, Fᵀ u> (the dot-product identity), through vjp", () => {
      const y = f(x);
      const u = arr(rand(y.size, 13), "float64", [...y.shape]);
      const [, pull] = vjp(f, t);
      const [ct] = pull(u) as Value[];
      expect(ct.shape).toEqual(c.shape);
      const lhs = dot(values(f(t)), values(u));
      const rhs = dot(values(t), values(ct));
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-11 * Math.max(1, Math.abs(lhs)));
    });
    it("vmap over a batch axis anywhere equals a loop", () => {
      for (const axis of [0, c.shape.length]) {
        const B = 3;
        const xs = [0, 1, 2].map((b) => arr(rand(size, 20 + b), "float64", c.shape));
        const stacked = lax.concatenate(xs.map((v) => lax.expandDims(v, [axis])), axis);
        const out = vmap(f, { inAxes: axis })(stacked) as Value;
        expect(out.shape[0]).toBe(B);
        const got = values(out);
        const per = got.length / B;
        for (let b = 0; b < B; b++) expect(relErr(got.slice(b * per, (b + 1) * per), values(f(xs[b])))).toBeLessThan(1e-15);
      }
    });
    it("jit equals eager", () => {
      expect(values(jit(f)(x) as Value)).toEqual(values(f(x)));
    });
  });
  it("second-order: grad of grad through an fft is zero-free and matches the linear map", () => {
    // L(x) = sum(FFT(x)²) is quadratic: its Hessian-vector product is 2·Fᵀ F v
    const L = (x: Value) => lax.reduceSum(lax.square(fftPairsRaw(x, "FFT", [5])), [0, 1]);
    const x = arr(rand(10, 3), "float64", [5, 2]);
    const v = arr(rand(10, 4), "float64", [5, 2]);
    const [, hv] = jvp((z: Value) => grad(L)(z) as Value, [x], [v]) as [Value, Value];
    // Fᵀ F = 5·I as a real map (F/√5 is unitary)
    expect(relErr(values(hv), values(v).map((e) => 10 * e))).toBeLessThan(1e-12);
  });
});

describe("abstract evaluation: typed errors", () => {
  const x = arr(rand(16, 1), "float32", [8, 2]);
  it("names the operation, the shapes and what is expected", () => {
    expect(() => fftPairsRaw(x, "FFT", [7])).toThrow(ShapeError);
    expect(() => fftPairsRaw(x, "FFT", [7])).toThrow(/lax\.fft.*\[\.\.\., 7, 2\].*\(8, 2\)/);
    expect(() => fftPairsRaw(arr([1, 2, 3], "float32", [3]), "FFT", [3])).toThrow(ShapeError);
    expect(() => fftPairsRaw(x, "RFFT", [8])).toThrow(/RFFT.*real data of shape \[\.\.\., 8\]/);
    expect(() => fftPairsRaw(x, "IRFFT", [8])).toThrow(/half-spectrum/);
    expect(() => fftPairsRaw(x, "FFT", [])).toThrow(/1 to 3 axes/);
    expect(() => fftPairsRaw(x, "FFT", [1, 1, 1, 8])).toThrow(/1 to 3 axes/);
    expect(() => fftPairsRaw(x, "FFT", [0])).toThrow(/at least 1/);
    expect(() => fftPairsRaw(arr([1, 2], "int32", [1, 2]), "FFT", [1])).toThrow(DTypeError);
    expect(() => fftPairsRaw(x, "DCT" as FftType, [8])).toThrow(/fftType must be one of/);
  });
  it("np.fft pair functions: bad n, axes, norm", () => {
    expect(() => F.fftPairs(x, 0)).toThrow(ShapeError);
    expect(() => F.fftPairs(x, null, 1)).toThrow(/axis 1 is out of range for an array of 1 axes/);
    expect(() => F.fftPairs(x, null, [0] as unknown as number)).toThrow(/one axis/);
    expect(() => F.fftPairs(x, null, -1, "sideways" as F.FftNorm)).toThrow(ArgumentError);
    expect(() => F.fft2Pairs(x)).toThrow(ShapeError);
    expect(() => F.fftnPairs(arr(rand(24, 1), "float32", [3, 4, 2]), null, [0, 0])).toThrow(/repeated/);
    expect(() => F.fftnPairs(arr(rand(24, 1), "float32", [3, 4, 2]), [3, 4, 5])).toThrow(/lengths/);
    expect(() => F.irfftPairs(arr([1, 0], "float32", [1, 2]))).toThrow(/at least 1/);
    expect(() => F.fftPairs(arr([1, 2, 3], "float32", [3]))).toThrow(/float pairs/);
  });
  it("the primitive is registered with its rules", () => {
    expect(fftP.name).toBe("fft");
  });
});

describe("gradient of a real loss through rfft → |·|² → irfft", () => {
  /** sum(w · irfft(|rfft(x)|², n)) on pairs: |z|² summed over the pair axis, back to pairs with a zero imaginary part. */
  const loss = (w: Value) => (x: Value) => {
    const n = x.shape[x.ndim - 1];
    const p = F.rfftPairs(x);
    const mag = lax.reduceSum(lax.square(p), [p.ndim - 1]);
    const z = lax.pad(lax.expandDims(mag, [mag.ndim]), 0, [...mag.shape.map((): [number, number, number] => [0, 0, 0]), [0, 1, 0]]);
    return lax.reduceSum(lax.mul(w, F.irfftPairs(z, n)), [0, 1]);
  };
  it.each(fixture.grads.map((g) => [g.n, g] as const))("n = %i matches JAX's grad (float32)", (_n, g) => {
    const size = g.shape[0] * g.shape[1];
    const x = arr(data(size, g.xSeed), "float32", g.shape);
    const w = arr(data(size, g.wSeed), "float32", g.shape);
    const got = grad(loss(w))(x) as Value;
    expect(relErr(values(got), g.grad)).toBeLessThan(1e-5);
    // and under jit, and in float64 against finite differences
    expect(relErr(values(jit(grad(loss(w)))(x) as Value), g.grad)).toBeLessThan(1e-5);
    const x64 = arr(data(size, g.xSeed), "float64", g.shape);
    const w64 = arr(data(size, g.wSeed), "float64", g.shape);
    const g64 = values(grad(loss(w64))(x64) as Value);
    const dir = rand(size, 9);
    const eps = 1e-5;
    const at = (s: number) => values(loss(w64)(arr(values(x64).map((v, i) => v + s * dir[i]), "float64", g.shape)))[0];
    expect(Math.abs((at(eps) - at(-eps)) / (2 * eps) - dot(g64, dir))).toBeLessThan(1e-7 * Math.max(1, Math.abs(dot(g64, dir))));
  });
});

describe("np.fft helpers against JAX", () => {
  it.each(fixture.freqs.map((f) => [f.n, f.d, f] as const))("fftfreq and rfftfreq (n = %i, d = %f)", (n, d, f) => {
    expect(values(np.fft.fftfreq(n, d))).toEqual(f.fftfreq.map(Math.fround));
    expect(values(np.fft.rfftfreq(n, d))).toEqual(f.rfftfreq.map(Math.fround));
    expect(np.fft.fftfreq(n, d).dtype).toBe("float32");
  });
  it("dtype option, and typed errors", () => {
    expect(np.fft.fftfreq(4, 1, { dtype: "float64" }).dtype).toBe("float64");
    expect(values(np.fft.fftfreq(4, 0.1, { dtype: "float64" }))).toEqual([0, 2.5, -5, -2.5]);
    expect(() => np.fft.fftfreq(2.5)).toThrow(ShapeError);
    expect(() => np.fft.fftfreq(4, "1" as unknown as number)).toThrow(DTypeError);
    expect(() => np.fft.rfftfreq(4, 1, { dtype: "complex" as never })).toThrow(DTypeError);
  });
  it("fftshift/ifftshift roll by half the length (NumPy's values) and invert each other", () => {
    expect(values(np.fft.fftshift(np.array([0, 1, 2, 3, 4])))).toEqual([3, 4, 0, 1, 2]);
    expect(values(np.fft.ifftshift(np.array([0, 1, 2, 3, 4])))).toEqual([2, 3, 4, 0, 1]);
    expect(values(np.fft.fftshift(np.array([0, 1, 2, 3])))).toEqual([2, 3, 0, 1]);
    const m = np.arange(12).reshape([3, 4]);
    expect(values(np.fft.fftshift(m))).toEqual([10, 11, 8, 9, 2, 3, 0, 1, 6, 7, 4, 5]);
    expect(values(np.fft.fftshift(m, 1))).toEqual([2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9]);
    expect(values(np.fft.ifftshift(np.fft.fftshift(m, [0])))).not.toEqual(values(m));
    expect(values(np.fft.ifftshift(np.fft.fftshift(m)))).toEqual(values(m));
    expect(() => np.fft.fftshift(m, 2)).toThrow(ShapeError);
  });
});

describe("hostile arguments to the pair functions (public once complex dtypes exist)", () => {
  it("give a typed error or a value, and call none of the caller's methods", () => {
    let touched = 0;
    const trap = { valueOf: () => { touched++; return 3; }, toString: () => { touched++; return "3"; } };
    const proxy = new Proxy({}, { get: () => { touched++; return () => 3; } });
    const evil: unknown[] = [trap, proxy, NaN, Infinity, -1, 2 ** 40, 1.5, "2", Symbol("s"), [trap], [1, trap], { length: 2 }, null, undefined, [[2]], -0];
    const pairs = arr(rand(12, 1), "float32", [3, 2, 2]);
    const fns = Object.entries(F).filter(([k, v]) => typeof v === "function" && k.endsWith("Pairs")) as [string, (...a: unknown[]) => unknown][];
    expect(fns.length).toBe(14);
    let calls = 0;
    for (const [name, f] of fns) {
      for (let pos = 0; pos < 4; pos++) {
        for (const e of evil) {
          const args: unknown[] = [pairs, undefined, undefined, undefined];
          args[pos] = e;
          calls++;
          try {
            f(...args);
          } catch (err) {
            if (!(err instanceof Error) || !["ShapeError", "DTypeError", "ArgumentError", "UnsupportedError"].includes(err.name)) {
              throw new Error(`${name} with argument ${pos} hostile: raw ${String(err)}`);
            }
          }
        }
      }
    }
    expect(calls).toBe(14 * 4 * evil.length);
    expect(touched).toBe(0);
  });
});

describe("np.fft pair functions under jit and vmap", () => {
  const x = arr(rand(4 * 5 * 6 * 2, 3), "float32", [4, 5, 6, 2]);
  const r = arr(rand(4 * 5 * 6, 4), "float32", [4, 5, 6]);
  const fns: [string, (v: Value) => Value, Value][] = [
    ["fftn over axes [-1, -2] with s", (v) => F.fftnPairs(v, [8, 3], [-1, -2], "ortho"), x],
    ["ifft2 over axes [1, 0]", (v) => F.ifft2Pairs(v, null, [1, 0]), x],
    ["rfftn over axes [-1, -2]", (v) => F.rfftnPairs(v, null, [-1, -2], "forward"), r],
    ["irfft along axis 0 with n", (v) => F.irfftPairs(v, 7, 0), x],
    ["hfft", (v) => F.hfftPairs(v, 9), x],
    ["ihfft along axis 1", (v) => F.ihfftPairs(v, null, 1), r],
  ];
  it.each(fns)("%s: jit equals eager, vmap equals a loop", (_n, f, v) => {
    expect(relErr(values(jit(f)(v) as Value), values(f(v)))).toBe(0);
    const per = values(f(lax.slice(v, v.shape.map(() => 0), [1, ...v.shape.slice(1)]).reshape(v.shape.slice(1)) as Value));
    const batched = vmap(f)(v) as Value;
    expect(relErr(values(batched).slice(0, per.length), per)).toBeLessThan(1e-6);
  });
  it("empty batches give empty results on the CPU", () => {
    expect(fftPairsRaw(arr([], "float32", [0, 4, 2]), "FFT", [4]).shape).toEqual([0, 4, 2]);
    expect(fftPairsRaw(arr([], "float32", [0, 4]), "RFFT", [4]).shape).toEqual([0, 3, 2]);
    expect(fftPairsRaw(arr([], "float32", [2, 0, 3, 2]), "IRFFT", [4]).shape).toEqual([2, 0, 4]);
  });
});
