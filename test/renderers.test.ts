/**
 * The renderers' shared decompositions (src/backend/composites.ts): each
 * composite op's expression, evaluated in float32 (the JavaScript path
 * rounds every step of a float32 expression, over float64 building blocks),
 * against float64 references, in float32 ulps, over every binade and the
 * special values; which renderer decomposes what (the WebAssembly path takes
 * logistic, tanh and erf as decompositions and leaves the ops it has no
 * accurate vector form of to the JavaScript path); the JavaScript path's
 * float64 helper for logistic; and the new `copysign` op, WebAssembly
 * against JavaScript bit for bit.
 */
import { describe, expect, it } from "vitest";
import type { CompositeOp } from "../src/backend/composites.js";
import { decompose } from "../src/backend/composites.js";
import type { Expr, Kernel, UnaryOp } from "../src/backend/kernel.js";
import { binary, load, unary } from "../src/backend/kernel.js";
import { compileKernel } from "../src/backend/cpu/codegen.js";
import { alloc } from "../src/backend/cpu/memory.js";
import { erf, erfInv } from "../src/backend/cpu/scalar-math.js";
import { planKernel } from "../src/backend/cpu/wasm/compiler.js";
import { runWasmKernel } from "../src/backend/cpu/wasm/index.js";

const F = "float32";
const X = load(0, F);

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (b: number) => ((u32[0] = b >>> 0), f32[0]);

function kernel(expr: Expr, n: number, inputs = 1): Kernel {
  return { loopShape: [n], inputs: Array.from({ length: inputs }, () => ({ dtype: F, view: { strides: [1], offset: 0 } })), expr, dtype: F };
}

/** |got − ref| in float32 ulps at ref; Infinity for a wrong special value (NaN, ±∞, or a zero's sign). */
function ulpError(got: number, ref: number): number {
  if (Number.isNaN(ref) || Number.isNaN(got)) return Number.isNaN(ref) && Number.isNaN(got) ? 0 : Infinity;
  const r32 = Math.fround(ref);
  if (!Number.isFinite(r32) || !Number.isFinite(got)) return got === r32 ? 0 : Infinity;
  if (got === 0 && r32 === 0) return Object.is(got, r32) ? 0 : Infinity;
  const a = Math.abs(ref);
  const ulp = a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
  return Math.abs(got - ref) / ulp;
}

const SPECIALS = [0, -0, Infinity, -Infinity, NaN, 1, -1, 2, -2, 0.5, -0.5, fromBits(1), fromBits(0x80000001), 1e-30, -1e-30, 3.4e38, -3.4e38];
function points(): Float32Array {
  const pts = [...SPECIALS];
  let s = 12345;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 4294967296;
  for (let e = -149; e <= 127; e++) {
    for (let k = 0; k < 8; k++) {
      const v = Math.fround((1 + rnd()) * 2 ** e);
      pts.push(v, -v);
    }
  }
  for (let i = -3000; i <= 3000; i++) pts.push(i / 300);
  // near ±1 (erf_inv, atanh, acosh, asin) and the branch points
  for (let i = 0; i < 2000; i++) pts.push(rnd() * 2 - 1, 1 - rnd() * 1e-3, -1 + rnd() * 1e-3, 1 + rnd() * 0.1);
  for (const t of [0.625, 1, 2, 4, 9, 20, 4096]) for (let d = -2; d <= 2; d++) pts.push(fromBits(u32FromFloat(t) + d), -fromBits(u32FromFloat(t) + d));
  return new Float32Array(pts);
}
function u32FromFloat(x: number): number {
  f32[0] = x;
  return u32[0];
}
const XS = points();

/** Each decomposition's bound: measured (max over XS, 2026-12) and rounded up. */
const DECOMPOSED: { op: CompositeOp; ref: (x: number) => number; maxUlp: number }[] = [
  { op: "logistic", ref: (x) => 1 / (1 + Math.exp(-x)), maxUlp: 2 },
  { op: "tanh", ref: Math.tanh, maxUlp: 1.5 },
  { op: "erf", ref: erf, maxUlp: 1.5 },
  { op: "erf_inv", ref: erfInv, maxUlp: 3 },
  { op: "cbrt", ref: Math.cbrt, maxUlp: 1 },
  { op: "sinh", ref: Math.sinh, maxUlp: 2 },
  { op: "cosh", ref: Math.cosh, maxUlp: 2 },
  { op: "asinh", ref: Math.asinh, maxUlp: 1.5 },
  { op: "acosh", ref: Math.acosh, maxUlp: 2 },
  { op: "atanh", ref: Math.atanh, maxUlp: 2 },
  { op: "asin", ref: Math.asin, maxUlp: 1.5 },
  { op: "acos", ref: Math.acos, maxUlp: 1.5 },
  { op: "rsqrt", ref: (x) => 1 / Math.sqrt(x), maxUlp: 1.5 },
  { op: "reciprocal", ref: (x) => 1 / x, maxUlp: 0.5 },
  { op: "square", ref: (x) => x * x, maxUlp: 0.5 },
];

describe("the shared decompositions, in float32, against float64", () => {
  for (const { op, ref, maxUlp } of DECOMPOSED) {
    it(`${op}: at most ${maxUlp} ulp over ${XS.length} points, special values exact (NaN, ±∞, the sign of zero)`, () => {
      const out = new Float32Array(XS.length);
      compileKernel(kernel(decompose(op, X, F), XS.length))(out, XS);
      let worst = 0;
      let at = 0;
      for (let i = 0; i < XS.length; i++) {
        const e = ulpError(out[i], ref(XS[i]));
        if (e > worst) [worst, at] = [e, XS[i]];
      }
      expect(worst, `${op}(${Object.is(at, -0) ? "-0" : at}) is off by ${worst} ulp`).toBeLessThanOrEqual(maxUlp);
    });
  }
});

describe("which renderer decomposes what", () => {
  it("the WebAssembly path takes logistic, tanh, erf and the trivial composites as their decompositions", () => {
    for (const op of ["logistic", "tanh", "erf", "rsqrt", "reciprocal", "square"] as UnaryOp[]) {
      const plan = planKernel(kernel(unary(op, X), 64));
      expect(plan, op).not.toBeNull();
      // lowered: the plan's expression holds no composite node any more
      expect(JSON.stringify(plan!.expr)).not.toContain(`"op":"${op}"`);
    }
  });
  it("and leaves to the JavaScript path's float64 functions what it has no accurate vector form of", () => {
    for (const op of ["asinh", "acosh", "atanh", "sinh", "cosh", "cbrt", "erf_inv", "tan", "asin", "acos", "atan"] as UnaryOp[]) {
      expect(planKernel(kernel(unary(op, X), 64)), op).toBeNull();
    }
  });
  it("the JavaScript path computes logistic's decomposition in float64: float32 results rounded once (≤ 0.5 ulp + 1e-6)", () => {
    const out = new Float32Array(XS.length);
    compileKernel(kernel(unary("logistic", X), XS.length))(out, XS);
    let worst = 0;
    for (let i = 0; i < XS.length; i++) worst = Math.max(worst, ulpError(out[i], 1 / (1 + Math.exp(-XS[i]))));
    expect(worst).toBeLessThanOrEqual(0.500001);
  });
  it("the JavaScript path's float64 logistic in float64 kernels: within 2 float64 ulps, exact at the special values", () => {
    const xs = new Float64Array([0, -0, 1, -1, 30, -30, 700, -700, 745, -745, Infinity, -Infinity, NaN, 1e-300, 0.3]);
    const k: Kernel = { loopShape: [xs.length], inputs: [{ dtype: "float64", view: { strides: [1], offset: 0 } }], expr: unary("logistic", load(0, "float64")), dtype: "float64" };
    const out = new Float64Array(xs.length);
    compileKernel(k)(out, xs);
    xs.forEach((x, i) => {
      // the reference for x < 0 as e^x/(1 + e^x), exact in the far tail where 1/(1 + e^-x) underflows early
      const ref = x < 0 ? Math.exp(x) / (1 + Math.exp(x)) : 1 / (1 + Math.exp(-x));
      if (Number.isNaN(ref)) return expect(out[i]).toBeNaN();
      expect(Math.abs(out[i] - ref), `logistic(${x})`).toBeLessThanOrEqual(2 * Number.EPSILON * Math.abs(ref) + Number.MIN_VALUE);
    });
  });
});

describe("copysign", () => {
  it("WebAssembly and JavaScript agree bit for bit, NaN and −0 signs included", () => {
    const vals = [0, -0, 1, -1, 2.5, -2.5, Infinity, -Infinity, NaN, fromBits(0xffc00000), 1e-40, -1e-40];
    const a: number[] = [];
    const b: number[] = [];
    for (const x of vals) for (const y of vals) (a.push(x), b.push(y));
    const A = alloc(F, a.length) as Float32Array;
    const B = alloc(F, b.length) as Float32Array;
    A.set(a);
    B.set(b);
    const k = kernel(binary("copysign", X, load(1, F)), a.length, 2);
    const w = alloc(F, a.length) as Float32Array;
    const j = new Float32Array(a.length);
    expect(runWasmKernel(k, w, [A, B])).toBe(true);
    compileKernel(k)(j, A, B);
    const wb = new Uint32Array(w.buffer, w.byteOffset, w.length);
    const jb = new Uint32Array(j.buffer);
    for (let i = 0; i < a.length; i++) {
      if (Number.isNaN(A[i])) {
        expect(Number.isNaN(w[i]) && Number.isNaN(j[i])).toBe(true);
        continue;
      }
      expect(wb[i], `copysign(${A[i]}, ${B[i]})`).toBe(jb[i]);
      // |a| with b's sign bit
      expect(Math.abs(w[i])).toBe(Math.abs(A[i]));
      expect(wb[i] >>> 31, `sign of copysign(${A[i]}, ${B[i]})`).toBe(new Uint32Array(new Float32Array([B[i]]).buffer)[0] >>> 31);
    }
  });
});
