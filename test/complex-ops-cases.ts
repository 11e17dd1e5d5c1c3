/**
 * The JAX fixture of complex FFTs, reductions and matmuls
 * (test/fixtures/complexops/, written by its generate.py) and the jaxon call
 * each case stands for; shared by test/complex-ops.test.ts and
 * test/complex-ops-webgpu.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { lax, np, type Value } from "../src/index.js";
import type { DType } from "../src/dtype.js";
import type { FftType } from "../src/lax/fft.js";
import { arr } from "./helpers.js";

export interface Input { kind: "r" | "c"; shape: number[]; seed: number }
export interface Case {
  id: string;
  fn: string;
  inputs: Input[];
  kwargs: Record<string, unknown>;
  dtype: string;
  outShape: number[];
  out: number[];
  grad?: number[];
  gradDtype?: string;
  gradShape?: number[];
}
export const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "complexops", "cases.json"), "utf8")) as { jax: string; cases: Case[] };

/** The generator's data: (j·7919 + seed·104729) mod 65521 / 65521 − 0.5, rounded to float32. */
export const data = (count: number, seed: number): number[] =>
  Array.from({ length: count }, (_, j) => Math.fround(((j * 7919 + seed * 104729) % 65521) / 65521 - 0.5));

/** The numbers of an input: real values, or interleaved (re, im) pairs. */
export function inputNumbers(i: Input): number[] {
  const n = i.shape.reduce((a, b) => a * b, 1);
  return data(i.kind === "r" ? n : 2 * n, i.seed);
}

/** An input as a jaxon array (complex ones from their pairs) in float32/complex64 or float64/complex128. */
export function makeInput(i: Input, dtype: "float32" | "float64" = "float32", from?: (values: number[], shape: number[], dtype: DType) => Value): Value {
  const make = from ?? ((v: number[], s: number[], d: DType) => arr(v, d, s));
  if (i.kind === "r") return make(inputNumbers(i), i.shape, dtype);
  return lax.pairsToComplex(make(inputNumbers(i), [...i.shape, 2], dtype));
}

/** A value as plain numbers: complex as interleaved pairs (through the pair view), real as they are. */
export const pairsOf = (v: Value): Value => (v.dtype === "complex64" || v.dtype === "complex128" ? lax.complexToPairs(v) : v);

type F = (...xs: Value[]) => Value;
const abs2 = (z: Value) => np.sum(np.square(lax.complexToPairs(z)));
const K = (c: Case) => c.kwargs as { n?: number; axis?: number; axes?: number[]; s?: number[]; norm?: "backward" | "ortho" | "forward"; keepdims?: boolean; reverse?: boolean; ord?: number | string; mode?: string; ddof?: number; fftType?: FftType; fftLengths?: number[]; subscripts?: string };

/** The jaxon function a case stands for (the gradient cases: a real function of its inputs). */
export function callOf(c: Case): F {
  const k = K(c);
  const fft = np.fft;
  switch (c.fn) {
    case "fft": return (x) => fft.fft(x, k.n, k.axis ?? -1, k.norm);
    case "ifft": return (x) => fft.ifft(x, k.n, k.axis ?? -1, k.norm);
    case "rfft": return (x) => fft.rfft(x, k.n, k.axis ?? -1, k.norm);
    case "irfft": return (x) => fft.irfft(x, k.n, k.axis ?? -1, k.norm);
    case "hfft": return (x) => fft.hfft(x, k.n, k.axis ?? -1, k.norm);
    case "ihfft": return (x) => fft.ihfft(x, k.n, k.axis ?? -1, k.norm);
    case "fft2": return (x) => fft.fft2(x, k.s, k.axes, k.norm);
    case "ifft2": return (x) => fft.ifft2(x, k.s, k.axes, k.norm);
    case "rfft2": return (x) => fft.rfft2(x, k.s, k.axes, k.norm);
    case "irfft2": return (x) => fft.irfft2(x, k.s, k.axes, k.norm);
    case "fftn": return (x) => fft.fftn(x, k.s, k.axes, k.norm);
    case "ifftn": return (x) => fft.ifftn(x, k.s, k.axes, k.norm);
    case "rfftn": return (x) => fft.rfftn(x, k.s, k.axes, k.norm);
    case "irfftn": return (x) => fft.irfftn(x, k.s, k.axes, k.norm);
    case "lax.fft": return (x) => lax.fft(x, k.fftType!, k.fftLengths!);
    case "g.sumAbs2Fft": return (z) => abs2(fft.fft(z));
    case "g.realFftWeighted": return (x, w) => np.sum(np.real(np.multiply(fft.fft(x), w)));
    case "g.imagFft2Ortho": return (z, w) => np.sum(np.multiply(np.imag(fft.fft2(z, null, undefined, "ortho")), w));
    case "g.filter": return (w, x, t) => np.sum(np.square(np.subtract(fft.irfft(np.multiply(fft.rfft(x), w), 10), t)));
    case "g.hfft": return (z, w) => np.sum(np.multiply(fft.hfft(z), w));
    case "g.ihfft": return (x, w) => np.sum(np.real(np.multiply(fft.ihfft(x), w)));
    case "g.ifftnRfftn": return (x, w) => np.sum(np.real(fft.ifftn(np.multiply(fft.fftn(x), w))));
    case "sum": return (z) => np.sum(z, k.axis, { keepdims: k.keepdims });
    case "mean": return (z) => np.mean(z, k.axis, { keepdims: k.keepdims });
    case "prod": return (z) => np.prod(z, k.axis, { keepdims: k.keepdims });
    case "cumsum": return (z) => np.cumsum(z, k.axis);
    case "cumprod": return (z) => np.cumprod(z, k.axis);
    case "var": return (z) => np.var(z, k.axis, { ddof: k.ddof });
    case "std": return (z) => np.std(z, k.axis, { ddof: k.ddof });
    case "g.abs2Prod": return (z) => abs2(np.prod(z));
    case "lax.reduceProd": return (z) => lax.reduceProd(z, k.axes!);
    case "lax.cumsum": return (z) => lax.cumsum(z, k.axis, k.reverse);
    case "lax.cumprod": return (z) => lax.cumprod(z, k.axis, k.reverse);
    case "g.laxCumprodReverse": return (z) => abs2(lax.cumprod(z, 0, true));
    case "g.realCumprod": return (z) => np.sum(np.real(np.cumprod(z, 1)));
    case "g.imagMean": return (z) => np.sum(np.square(np.imag(np.mean(z, 0))));
    case "g.var": return (z) => np.sum(np.var(z, 1));
    case "g.realCumsum": return (z) => np.sum(np.multiply(np.real(np.cumsum(z)), np.arange(6)));
    case "matmul": return (a, b) => np.matmul(a, b);
    case "dot": return (a, b) => np.dot(a, b);
    case "vdot": return (a, b) => np.vdot(a, b);
    case "inner": return (a, b) => np.inner(a, b);
    case "outer": return (a, b) => np.outer(a, b);
    case "tensordot": return (a, b) => np.tensordot(a, b, 2);
    case "einsum": return (a, b) => np.einsum(k.subscripts!, a, b);
    case "norm": return (z) => np.linalg.norm(z, k.ord === "inf" ? Infinity : (k.ord as number | undefined), k.axis);
    case "vecdot": return (a, b) => np.linalg.vecdot(a, b);
    case "g.norm": return (z) => np.linalg.norm(z);
    case "correlate": return (a, v) => np.correlate(a, v, k.mode as "full");
    case "cov": return (m) => np.cov(m);
    case "g.abs2Matmul": return (a, b) => abs2(np.matmul(a, b));
    case "g.realMatmulB": return (b, a) => np.sum(np.real(np.matmul(a, b)));
    case "g.imagVdot": return (a, b) => np.imag(np.vdot(a, b));
    case "g.realMatmulRealIn": return (a, b) => { const p = np.matmul(a, b); return np.sum(np.multiply(np.real(p), np.imag(p))); };
    default: throw new Error(`complex-ops fixture: no jaxon call for ${c.fn}`);
  }
}

/** max |got − want| / max(|want|, tiny): the error relative to the result's scale. */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
    num = Math.max(num, Math.abs(got[i] - want[i]));
    den = Math.max(den, Math.abs(want[i]));
  }
  return Number.isNaN(num) ? Infinity : num / Math.max(den, 1e-30);
}
