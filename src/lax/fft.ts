/**
 * The `fft` primitive: JAX's `lax.fft` (fft_type FFT, IFFT, RFFT, IRFFT over
 * the last 1–3 complex axes), written on float pairs until complex dtypes
 * exist: a complex array [..., n] is a float array [..., n, 2] of (re, im).
 *
 * - FFT, IFFT: pairs [..., n1..nk, 2] → pairs of the same shape; IFFT
 *   divides by n1·…·nk (XLA's, NumPy's "backward" normalization).
 * - RFFT: real [..., n1..nk] → pairs [..., n1..n(k-1), nk//2+1, 2].
 * - IRFFT: pairs [..., n1..n(k-1), nk//2+1, 2] → real [..., n1..nk], the
 *   inverse of RFFT for a Hermitian spectrum (the imaginary parts of the
 *   zero and Nyquist bins are ignored), divided by n1·…·nk.
 *
 * The primitive is linear, and its transpose is that of the REAL linear map
 * on the pairs (the adjoint): N·IFFT for FFT, FFT/N for IFFT; for RFFT the
 * spectrum padded back to nk bins, N·IFFT, real part (what JAX's
 * `_rfft_transpose` gets by transposing a naive RFFT); for IRFFT the RFFT of
 * the cotangent with the bins that stand for two (all but the zero and
 * Nyquist bins) doubled, divided by N (JAX's `_irfft_transpose`). The pair
 * views of complex arrays conjugate as JAX's real/imag/complex transposes
 * do, so through them these give JAX's complex transposes.
 *
 * Leading axes are a batch the device routine runs in one call, so batching
 * moves the batch axis to the front. Devices: src/backend/cpu/fft.ts (mixed
 * radix and Bluestein, float64 twiddles) and src/backend/webgpu/fft.ts
 * (Stockham passes).
 */
import type { DType } from "../dtype.js";
import { complexOf, isComplexDType } from "../dtype.js";
import { complexToPairs as toPairs, pairsToComplex as fromPairs } from "./complex.js";
import { attr, type HloValue } from "../backend/stablehlo.js";
import { DTypeError, ShapeError } from "../errors.js";
import { fmtShape, sizeOf } from "../shape.js";
import { describe } from "../static-args.js";
import type { Primitive, Value } from "../trace/core.js";
import { add, convert, eq, mul, operandArg, sub } from "./elementwise.js";
import { bind1, definePrimitive, isZero, lowersToStablehlo, scalar, ShapedArray, Zero, type StablehloContext } from "./primitive.js";
import { broadcastInDim, iota, moveAxis, pad, reshape, slice } from "./shape.js";

export type FftType = "FFT" | "IFFT" | "RFFT" | "IRFFT";
export const FFT_TYPES: readonly FftType[] = ["FFT", "IFFT", "RFFT", "IRFFT"];
export type FftParams = { fftType: FftType; fftLengths: number[] };

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** The output shape of an fft of `shape`, or a typed error naming what is wrong. */
export function fftShape(op: string, shape: readonly number[], dtype: DType, { fftType, fftLengths }: FftParams): number[] {
  if (dtype !== "float32" && dtype !== "float64") {
    throw new DTypeError(`${op}: needs float32 or float64 data (complex values as [..., n, 2] float pairs), got ${dtype}${fmtShape(shape)}; convert it first (x.astype("float32"))`);
  }
  const k = fftLengths.length;
  if (k < 1 || k > 3) throw new ShapeError(`${op}: fftLengths must name 1 to 3 axes, got ${k} (${describe(fftLengths)})`);
  for (const n of fftLengths) if (n < 1) throw new ShapeError(`${op}: every FFT length must be at least 1, got fftLengths ${describe(fftLengths)}`);
  const last = fftLengths[k - 1];
  const half = [...fftLengths.slice(0, -1), Math.floor(last / 2) + 1];
  const pairs = (what: string, expected: number[]) => {
    if (shape.length < k + 1 || shape[shape.length - 1] !== 2 || !same(shape.slice(-k - 1, -1), expected)) {
      throw new ShapeError(
        `${op}: a ${fftType} of lengths ${fmtShape(fftLengths)} needs ${what} float pairs of shape [..., ${expected.join(", ")}, 2], got shape ${fmtShape(shape)}`,
      );
    }
  };
  if (fftType === "FFT" || fftType === "IFFT") {
    pairs("complex", fftLengths);
    return [...shape];
  }
  if (fftType === "RFFT") {
    if (shape.length < k || !same(shape.slice(-k), fftLengths)) {
      throw new ShapeError(`${op}: an RFFT of lengths ${fmtShape(fftLengths)} needs real data of shape [..., ${fftLengths.join(", ")}], got shape ${fmtShape(shape)}`);
    }
    return [...shape.slice(0, shape.length - k), ...half, 2];
  }
  pairs("half-spectrum", half);
  return [...shape.slice(0, shape.length - k - 1), ...fftLengths];
}

/** The leading (batch) elements of an fft's operand: everything before the transformed axes (and the pair axis). */
function batchOf(shape: readonly number[], { fftType, fftLengths }: FftParams): number {
  const tail = fftLengths.length + (fftType === "RFFT" ? 0 : 1);
  return sizeOf(shape.slice(0, shape.length - tail));
}

export const fftP: Primitive<FftParams> = definePrimitive<FftParams>("fft", {
  params: { fftType: FFT_TYPES, fftLengths: "ints" },
  abstractEval([x], params) {
    return [new ShapedArray(fftShape("lax.fft", x.shape, x.dtype, params), x.dtype)];
  },
  lower: ([x], { fftType, fftLengths }) => ({
    kind: "routine",
    routine: "fft",
    params: { fftType, batch: batchOf(x.shape, { fftType, fftLengths }), lengths: [...fftLengths] },
  }),
  jvp([x], [t], params) {
    const out = bind1(fftP, [x], params);
    return [[out], [isZero(t) ? new Zero(out.aval.strong()) : bind1(fftP, [t], params)]];
  },
  transpose([ct], [x], params) {
    const inAval = (x as { aval: ShapedArray }).aval;
    if (isZero(ct)) return [new Zero(inAval.strong())];
    return [fftTranspose(ct, params)];
  },
  batch: ([x], [b], params) => [[bind1(fftP, [moveAxis(x, b!, 0)], params)], [0]],
});

/** The adjoint of the fft with `params` (a real linear map on the pairs), applied to `ct`. */
function fftTranspose(ct: Value, { fftType, fftLengths }: FftParams): Value {
  const N = fftLengths.reduce((a, b) => a * b, 1);
  const scale = (v: Value, s: number) => (s === 1 ? v : mul(v, s));
  if (fftType === "FFT") return scale(bind1(fftP, [ct], { fftType: "IFFT", fftLengths }), N);
  if (fftType === "IFFT") return scale(bind1(fftP, [ct], { fftType: "FFT", fftLengths }), 1 / N);
  const k = fftLengths.length;
  const last = fftLengths[k - 1];
  if (fftType === "RFFT") {
    // the bins RFFT dropped come back as zeros; then the full FFT's adjoint, and the real part
    const K = Math.floor(last / 2) + 1;
    const axis = ct.ndim - 2;
    const full = pad(ct, 0, ct.shape.map((_, i): [number, number, number] => (i === axis ? [0, last - K, 0] : [0, 0, 0])));
    const z = scale(bind1(fftP, [full], { fftType: "IFFT", fftLengths }), N);
    const re = slice(z, z.shape.map(() => 0), [...z.shape.slice(0, -1), 1]);
    return reshape(re, z.shape.slice(0, -1));
  }
  // IRFFT: RFFT of the cotangent, the bins standing for a conjugate pair doubled, over N
  const y = bind1(fftP, [ct], { fftType: "RFFT", fftLengths });
  return mul(y, irfftWeights(y.shape, y.ndim - 2, last, N, y.dtype));
}

/** Weights along `axis` of `shape`: 1/N on the zero bin (and the Nyquist bin when `last` is even), 2/N on the others. */
function irfftWeights(shape: readonly number[], axis: number, last: number, N: number, dtype: DType): Value {
  const K = shape[axis];
  const i = iota("int32", [K], 0);
  let edge = convert(eq(i, 0), dtype);
  if (last % 2 === 0 && K > 1) edge = add(edge, convert(eq(i, K - 1), dtype));
  // 2/N - edge/N
  const w = sub(broadcastInDim(scalar(2 / N, dtype), [K], []), mul(edge, scalar(1 / N, dtype)));
  return broadcastInDim(w, shape, [axis]);
}

/**
 * JAX's `lax.fft` on float pairs: an FFT, IFFT, RFFT or IRFFT over the last
 * `fftLengths.length` (1 to 3) complex axes of `x` (see the module comment
 * for the shapes). Internal until complex dtypes exist; `np.fft` is built on it.
 */
export function fftPairsRaw(x: Value, fftType: FftType, fftLengths: readonly number[]): Value {
  x = operandArg("lax.fft", x);
  return bind1(fftP, [x], { fftType, fftLengths: [...fftLengths] });
}


// ---- StableHLO lowering (exportStableHLO) ----------------------------------------------------
//
// `stablehlo.fft` works on complex tensors: the float pairs become a complex
// tensor in the module (`stablehlo.complex` of the two halves) and the
// complex result float pairs again (`stablehlo.real`/`imag`, concatenated).

/** Float pairs [..., 2] as one complex tensor [...] of the matching precision. */
function pairsToComplex(ctx: StablehloContext, x: HloValue): HloValue {
  const shape = x.shape.slice(0, -1);
  const part = (k: number) => {
    const s = ctx.b.op1("stablehlo.slice", [x], { shape: [...shape, 1], dtype: x.dtype }, {
      start_indices: attr.i64s(x.shape.map((_, i) => (i === shape.length ? k : 0))),
      limit_indices: attr.i64s(x.shape.map((d, i) => (i === shape.length ? k + 1 : d))),
      strides: attr.i64s(x.shape.map(() => 1)),
    });
    return ctx.b.op1("stablehlo.reshape", [s], { shape, dtype: x.dtype });
  };
  return ctx.b.op1("stablehlo.complex", [part(0), part(1)], { shape, dtype: complexOf(x.dtype) as string as DType });
}

/** A complex tensor [...] as float pairs [..., 2] of `dtype`. */
function complexToPairs(ctx: StablehloContext, z: HloValue, dtype: DType): HloValue {
  const halves = ["stablehlo.real", "stablehlo.imag"].map((op) => {
    const part = ctx.b.op1(op, [z], { shape: z.shape, dtype });
    return ctx.b.op1("stablehlo.reshape", [part], { shape: [...z.shape, 1], dtype });
  });
  return ctx.b.op1("stablehlo.concatenate", halves, { shape: [...z.shape, 2], dtype }, { dimension: attr.int(z.shape.length) });
}

lowersToStablehlo(fftP, (ctx, [x], { fftType, fftLengths }, _a, [out]) => {
  const input = fftType === "RFFT" ? x : pairsToComplex(ctx, x);
  const complexOut = fftType !== "IRFFT";
  const shape = complexOut ? out.shape.slice(0, -1) : out.shape;
  const result = ctx.b.op1("stablehlo.fft", [input], { shape, dtype: complexOut ? (complexOf(out.dtype) as string as DType) : out.dtype }, {
    fft_type: attr.enumOf("fft_type", fftType),
    fft_length: attr.i64s(fftLengths),
  });
  return [complexOut ? complexToPairs(ctx, result, out.dtype) : result];
});

// ---- the public lax.fft on complex arrays ------------------------------------------------------

/**
 * JAX's `lax.fft`: an FFT, IFFT, RFFT or IRFFT over the last
 * `fftLengths.length` (1 to 3) axes of `x`. FFT and IFFT take and give
 * complex arrays; RFFT takes a real array and gives the n//2+1 non-negative
 * frequencies of the last axis; IRFFT takes that half spectrum and gives
 * real values of the lengths `fftLengths`. Real input to FFT, IFFT and IRFFT
 * is promoted to complex (float64 → complex128, else complex64), integers
 * to float32 for RFFT, as JAX. Unnormalized forward, inverse divided by the
 * product of the lengths.
 * @example
 * lax.fft(np.array([1, 2, 3, 4]), "FFT", [4]); // Array([10.+0.j, -2.+2.j, -2.+0.j, -2.-2.j], dtype=complex64)
 */
export function fft(x: unknown, fftType: FftType, fftLengths: readonly number[]): Value {
  const op = "lax.fft";
  if (!FFT_TYPES.includes(fftType)) throw new DTypeError(`${op}: fftType must be "FFT", "IFFT", "RFFT" or "IRFFT", got ${describe(fftType)}`);
  if (!Array.isArray(fftLengths) || !fftLengths.every((n) => Number.isSafeInteger(n))) {
    throw new ShapeError(`${op}: fftLengths must be a JS array of 1 to 3 integers, got ${describe(fftLengths)}`);
  }
  let v = operandArg(op, x);
  const inexact = (d: DType): DType => (d === "float64" || isComplexDType(d) ? d : "float32");
  if (fftType === "RFFT") {
    if (isComplexDType(v.dtype)) throw new DTypeError(`${op}: an RFFT needs real input, got ${v.aval}; take the real part first (lax.real) or use "FFT"`);
    const d = inexact(v.dtype);
    if (d !== v.dtype) v = convert(v, d);
  } else if (!isComplexDType(v.dtype)) {
    v = convert(v, complexOf(inexact(v.dtype)));
  }
  const pairs = fftType === "RFFT" ? v : toPairs(v);
  const y = bind1(fftP, [pairs], { fftType, fftLengths: [...fftLengths] });
  return fftType === "IRFFT" ? y : fromPairs(y);
}
