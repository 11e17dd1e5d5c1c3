/**
 * The last jax.scipy.special functions of issue 16 (hyp1f1, hyp2f1, besselJn, sphHarmY, wofz) against JAX
 * (test/fixtures/scipy-special3/generate.py → reference.json): values with float32 and float64 inputs over
 * grids with edge cases (poles, NaN, inf, negative integer parameters, JAX's conventions), float64 gradients
 * (wofz: its complex derivative by jvp) against JAX's and against central finite differences, jit against
 * eager, vmap against a loop, WebGPU against JAX's float32 values, and the typed errors.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectCloseToReference as expectClose, expectValuesClose } from "./scipy-compare.js";
import { ArgumentError, DTypeError, ConcretizationError, defaultDevice, devicePut, grad, jit, jvp, lax, np, scipy, vmap, type Value } from "../src/index.js";
import { probeWebGPU } from "./device-helpers.js";
import type { Array as JaxonArray } from "../src/index.js";

type Enc = number | "nan" | "inf" | "-inf";
interface Arg { re: Enc[]; im?: Enc[]; shape: number[]; kind: "float" | "int" | "complex" }
interface Out { re: Enc[]; im?: Enc[]; shape: number[]; dtype: string }
interface Case { id: string; fn: string; args: Arg[]; opts: Record<string, number>; diff: number[]; out32: Out; out64: Out; grads64?: Enc[][]; jvp64?: Out }

const ref: { jax: string; cases: Case[] } = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "scipy-special3", "reference.json"), "utf8"));
const dec = (e: Enc): number => (e === "nan" ? NaN : e === "inf" ? Infinity : e === "-inf" ? -Infinity : e);

type Fn = (...xs: Value[]) => Value;
function resolve(c: Case): Fn {
  const o = c.opts;
  switch (c.fn) {
    case "hyp1f1": return (a, b, x) => scipy.special.hyp1f1(a, b, x);
    case "hyp2f1": return (a, b, cc, x) => scipy.special.hyp2f1(a, b, cc, x);
    case "bessel_jn": return (z) => scipy.special.besselJn(z, { v: o.v, nIter: o.nIter });
    case "sph_harm_y": return (n, m, t, p) => scipy.special.sphHarmY(n, m, t, p, { nMax: o.nMax });
    case "wofz": return (z) => scipy.special.wofz(z);
  }
  throw new Error(`no case for ${c.fn}`);
}
const toArray = (a: Arg, dtype: "float32" | "float64", re = a.re.map(dec)): Value => {
  if (a.kind === "int") return np.reshape(np.array(re, { dtype: "int32" }), a.shape);
  const r = np.reshape(np.array(re, { dtype }), a.shape);
  return a.kind === "complex" ? lax.complex(r, np.reshape(np.array(a.im!.map(dec), { dtype }), a.shape)) : r;
};
const parts = (y: Value): [Value, Value | null] => (y.dtype.startsWith("complex") ? [np.real(y), np.imag(y)] : [y, null]);

// Tolerances, with the reason where looser than float32 2e-5 / float64 1e-12 relative
const TOL: Record<string, { r32?: number; a32?: number; r64?: number; a64?: number; why: string }> = {
  hyp1f1: { r32: 1e-4, r64: 1e-11, why: "the same series summed in another order: rounding differs over up to 250 terms" },
  hyp2f1: { r32: 1e-4, a32: 1e-6, r64: 1e-10, a64: 1e-14, why: "the digamma transform near x = 1 cancels digits" },
  bessel_jn: { r32: 1e-4, a32: 1e-6, r64: 1e-10, a64: 1e-14, why: "the recurrence grows by ~1e20 before normalizing: rounding" },
  sph_harm_y: { r32: 1e-5, a32: 1e-7, r64: 1e-12, a64: 1e-15, why: "recurrence coefficients rounded per element" },
  wofz: { r32: 1e-5, a32: 1e-7, r64: 1e-12, a64: 1e-15, why: "" },
};

describe(`scipy.special hyp1f1, hyp2f1, besselJn, sphHarmY, wofz equal JAX ${ref.jax}`, () => {
  for (const c of ref.cases) {
    const fn = resolve(c);
    const tol = TOL[c.fn] ?? { why: "" };
    it(`${c.id}: values with float32 and float64 inputs`, () => {
      for (const [dtype, want, rtol, atol] of [
        ["float32", c.out32, tol.r32 ?? 2e-5, tol.a32 ?? 1e-7],
        ["float64", c.out64, tol.r64 ?? 1e-12, tol.a64 ?? 1e-300],
      ] as const) {
        const y = fn(...c.args.map((a) => toArray(a, dtype)));
        expect(y.dtype, `${c.id} ${dtype} dtype`).toBe(want.dtype);
        expect(y.shape).toEqual(want.shape);
        const [re, im] = parts(y);
        expectClose(`${c.id} ${dtype} real part`, re, want.re.map(dec), rtol, atol);
        if (im) expectClose(`${c.id} ${dtype} imaginary part`, im, want.im!.map(dec), rtol, atol);
      }
    });
    if (!c.diff.length) continue;
    if (c.jvp64) {
      it(`${c.id}: float64 w′(z) by jvp matches JAX and finite differences`, () => {
        const z = toArray(c.args[0], "float64");
        const [, t] = jvp(fn, [z], [np.onesLike(z)]) as [Value, Value];
        const [re, im] = parts(t);
        expectClose(`${c.id} jvp real`, re, c.jvp64!.re.map(dec), 1e-10, 1e-13);
        expectClose(`${c.id} jvp imag`, im!, c.jvp64!.im!.map(dec), 1e-10, 1e-13);
        const h = 1e-6;
        const shifted = (d: number) => fn(lax.complex(np.add(np.real(z), d), np.imag(z)));
        const fd = np.divide(np.subtract(shifted(h), shifted(-h)), 2 * h);
        expectClose(`${c.id} jvp real vs finite differences`, re, Array.from(np.real(fd).dataSync()), 1e-6, 1e-8);
        expectClose(`${c.id} jvp imag vs finite differences`, im!, Array.from(np.imag(fd).dataSync()), 1e-6, 1e-8);
      });
      continue;
    }
    it(`${c.id}: float64 gradients in args ${c.diff.join(", ")} match JAX and finite differences`, () => {
      const args = c.args.map((a) => toArray(a, "float64"));
      const total = (...xs: Value[]): Value => {
        const [re, im] = parts(fn(...xs));
        return im ? np.add(np.sum(re), np.sum(im)) : np.sum(re);
      };
      c.diff.forEach((argnum, j) => {
        const g = grad(total, { argnums: argnum })(...args) as Value;
        expect(g.shape).toEqual(c.args[argnum].shape);
        expectClose(`${c.id} d/darg${argnum} vs JAX`, g, c.grads64![j].map(dec), 1e-8, 1e-12);
        const base = c.args[argnum].re.map(dec);
        const fd = base.map((v, k) => {
          const h = 1e-6 * Math.max(1, Math.abs(v));
          const at = (d: number) => total(...args.map((a, i) => (i === argnum ? toArray(c.args[argnum], "float64", base.map((b, m) => (m === k ? b + d : b))) : a))).itemSync();
          return (at(h) - at(-h)) / (2 * h);
        });
        expectClose(`${c.id} d/darg${argnum} vs finite differences`, g, fd, 1e-6, 1e-8);
      });
    });
  }
});

describe("the functions compose with jit and vmap", () => {
  const x = np.array([0.3, 1.7, 4.5, 9], { dtype: "float64" });
  const fs: [string, (v: Value) => Value][] = [
    ["hyp1f1", (v) => scipy.special.hyp1f1(0.7, np.add(v, 1), v)],
    ["hyp2f1", (v) => scipy.special.hyp2f1(0.5, v, 2.5, np.divide(v, 10))],
    ["besselJn", (v) => np.sum(scipy.special.besselJn(v, { v: 3 }), 0)],
    ["sphHarmY", (v) => np.real(scipy.special.sphHarmY(3, -2, np.divide(v, 3), v, { nMax: 3 }))],
    ["wofz", (v) => np.imag(scipy.special.wofz(lax.complex(v, np.multiply(v, 0.5))))],
  ];
  it("jit gives what eager gives, and vmap what a loop gives", () => {
    for (const [name, f] of fs) {
      const eager = Array.from(f(x).dataSync());
      Array.from(jit(f)(x).dataSync()).forEach((v, i) => expect(v, `${name} jit[${i}]`).toBeCloseTo(eager[i], 12));
      const loop = [0, 1, 2, 3].map((i) => f(x.get(i)).itemSync());
      Array.from(vmap(f)(x).dataSync()).forEach((b, i) => expect(b, `${name} vmap[${i}]`).toBeCloseTo(loop[i], 12));
    }
  });
  it("grad composes with jit and vmap (per-example derivatives equal the whole array's)", () => {
    for (const [name, f] of fs) {
      const whole = Array.from(grad((v: Value) => np.sum(f(v)))(x).dataSync());
      const batched = Array.from(vmap(jit(grad((v: Value) => f(v))))(x).dataSync());
      batched.forEach((b, i) => expect(b, `${name} vmap(jit(grad))[${i}]`).toBeCloseTo(whole[i], 10));
    }
  });
});

describe("bad input gets typed errors", () => {
  it("names the function, the argument and the fix", () => {
    expect(() => scipy.special.besselJn(np.array([1]), { v: -1 })).toThrow(ArgumentError);
    expect(() => scipy.special.besselJn(np.array([1]), { v: 1.5 })).toThrow(/non-negative integer/);
    expect(() => scipy.special.hyp1f1(lax.complex(1, 1), 1, 1)).toThrow(DTypeError);
    expect(() => scipy.special.hyp2f1(1, 1, 1, lax.complex(0.5, 1))).toThrow(DTypeError);
    expect(() => jit((n: Value) => scipy.special.sphHarmY(n, 0, 0.5, 0.5))(np.array([2]))).toThrow(ConcretizationError);
    expect(() => scipy.special.sphHarmY(2, 0, 0.5, 0.5, { nMax: -1 })).toThrow(ArgumentError);
  });
});

const hasGpu = await probeWebGPU("scipy-special3.test.ts");
defaultDevice("cpu"); // init() made WebGPU the default: every case above stays on the CPU (float64 among them)

describe.skipIf(!hasGpu)(`on WebGPU: float32 values equal JAX ${ref.jax}`, () => {
  for (const c of ref.cases) {
    const tol = TOL[c.fn] ?? { why: "" };
    it(c.id, async () => {
      const y = resolve(c)(...c.args.map((a) => devicePut(toArray(a, "float32"), "webgpu")));
      expect((y as JaxonArray).device).toBe("webgpu");
      const [re, im] = parts(y);
      expectValuesClose(`${c.id} webgpu real`, (await re.data()) as ArrayLike<number>, c.out32.re.map(dec), tol.r32 ?? 2e-5, tol.a32 ?? 1e-7);
      if (im) expectValuesClose(`${c.id} webgpu imag`, (await im.data()) as ArrayLike<number>, c.out32.im!.map(dec), tol.r32 ?? 2e-5, tol.a32 ?? 1e-7);
    });
  }
});
