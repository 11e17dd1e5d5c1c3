/**
 * `np.fft`: NumPy's (JAX's) discrete Fourier transforms.
 *
 * The transforms are written on float pairs (a complex array [..., n] is a
 * float array [..., n, 2] of (re, im)) with all of JAX's argument handling —
 * `n`/`s`, `axis`/`axes` (over the complex axes, the pair axis staying last),
 * `norm` ("backward", "ortho", "forward"), the >3-axis split of `fftn` — as
 * `fftPairs`, `rfftPairs`, …; the public `np.fft.fft`, … take and return
 * complex arrays and convert with the pair views (`lax.complexToPairs`,
 * `lax.pairsToComplex`). All of them are the `fft` primitive
 * (src/lax/fft.ts), and so differentiate, batch and jit.
 */
import type { DType } from "../dtype.js";
import { complexOf, isComplexDType, isDType } from "../dtype.js";
import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import { fftPairsRaw, type FftType } from "../lax/fft.js";
import * as lax from "../lax/index.js";
import { MAX_ELEMENTS } from "../static-args.js";
import { roll } from "./shape.js";
import type { ArrayLike, Value } from "./util.js";
import { asValue, cast, describe, intArg, toInexact } from "./util.js";

export type FftNorm = "backward" | "ortho" | "forward";
type Norm = FftNorm | null | undefined;
type Axes = readonly number[] | null | undefined;
type Sizes = readonly number[] | null | undefined;

const range = (n: number, from = 0) => globalThis.Array.from({ length: Math.max(0, n) }, (_, i) => from + i);

// ---- arguments -----------------------------------------------------------------------------

function normArg(op: string, norm: unknown): FftNorm {
  if (norm === undefined || norm === null) return "backward";
  if (norm === "backward" || norm === "ortho" || norm === "forward") return norm;
  throw new ArgumentError(`${op}: norm must be "backward", "ortho" or "forward" (or left out), got ${describe(norm)}`);
}

function intListArg(op: string, name: string, v: unknown): number[] {
  if (!globalThis.Array.isArray(v)) throw new ShapeError(`${op}: ${name} must be a JS array of integers, got ${describe(v)}`);
  return v.map((x, i) => intArg(op, `${name}[${i}]`, x));
}

/** A float array: integers and bools promoted as JAX does, float16 widened to float32 (the FFT runs in float32 or float64). */
function floatArg(op: string, x: unknown): Value {
  const v = toInexact(op, x as ArrayLike);
  return v.dtype === "float16" ? cast(v, "float32") : v;
}

/** A complex array as float pairs: a float array whose last axis has length 2. */
function pairsArg(op: string, x: unknown): Value {
  const v = floatArg(op, x);
  if (v.ndim < 1 || v.shape[v.ndim - 1] !== 2) {
    throw new ShapeError(`${op}: needs complex values as float pairs [..., 2] (re, im), got shape [${v.shape.join(", ")}]`);
  }
  return v;
}

// ---- the core, as JAX's _fft_core ------------------------------------------------------------

/** Moves complex axes `src` to `dst` (numpy's moveaxis over the first `cnd` axes; a pair axis after them stays last). */
function moveAxes(x: Value, src: readonly number[], dst: readonly number[], cnd: number): Value {
  const order = range(cnd).filter((a) => !src.includes(a));
  const pairs = [...src.map((s, i) => [dst[i], s] as const)].sort((a, b) => a[0] - b[0]);
  for (const [d, s] of pairs) order.splice(d, 0, s);
  const perm = [...order, ...range(x.ndim - cnd, cnd)];
  return perm.every((p, i) => p === i) ? x : lax.transpose(x, perm);
}

/** Slices or zero-pads the first `sizes.length` complex axes of x to `sizes`. */
function fitTo(x: Value, sizes: readonly number[]): Value {
  const target = [...sizes, ...x.shape.slice(sizes.length)];
  if (target.every((d, i) => d === x.shape[i])) return x;
  const cut = lax.slice(x, x.shape.map(() => 0), x.shape.map((d, i) => Math.min(d, target[i])));
  return lax.pad(cut, 0, cut.shape.map((d, i): [number, number, number] => [0, target[i] - d, 0]));
}

/** JAX's _fft_core_nd: at most three axes per primitive, more split into an inner FFT of the rest. */
function coreNd(x: Value, fftType: FftType, s: readonly number[], cnd: number): Value {
  if (s.length <= 3) return fftPairsRaw(x, fftType, s);
  const n = s.length === 4 ? 2 : 3;
  const src = range(s.length - n, cnd - s.length);
  const dst = range(s.length - n, cnd - s.length + n);
  if (fftType === "RFFT" || fftType === "FFT") {
    let y = fftPairsRaw(x, fftType, s.slice(-n));
    y = moveAxes(y, src, dst, cnd);
    y = coreNd(y, "FFT", s.slice(0, -n), cnd);
    return moveAxes(y, dst, src, cnd);
  }
  let y = moveAxes(x, src, dst, cnd);
  y = coreNd(y, "IFFT", s.slice(0, -n), cnd);
  y = moveAxes(y, dst, src, cnd);
  return fftPairsRaw(y, fftType, s.slice(-n));
}

/**
 * JAX's _fft_core on pairs: `x` is real (RFFT) or pairs (the others), `s`
 * and `axes` over its complex axes; `name` is the NumPy function (its "i"
 * decides the direction of `norm`).
 */
function core(name: string, fftType: FftType, a: unknown, sArg: unknown, axesArg: unknown, normA: unknown): Value {
  const op = `np.fft.${name}`;
  let x = fftType === "RFFT" ? floatArg(op, a) : pairsArg(op, a);
  const norm = normArg(op, normA);
  const cnd = fftType === "RFFT" ? x.ndim : x.ndim - 1;
  let s = sArg === undefined || sArg === null ? null : intListArg(op, "s", sArg);
  if (s && s.some((d) => d <= 0)) throw new ShapeError(`${op}: every length in s must be positive, got ${describe(sArg)}`);
  const given = axesArg === undefined || axesArg === null ? null : intListArg(op, "axes", axesArg);
  if (s && given && s.length !== given.length) throw new ShapeError(`${op}: s (${s.length} lengths) and axes (${given.length} axes) differ in length`);
  if (s && !given && s.length > cnd) throw new ShapeError(`${op}: s has ${s.length} lengths for an array of ${cnd} axes`);
  let axes = given ? given.map((ax) => {
    if (ax < -cnd || ax >= cnd) throw new ShapeError(`${op}: axis ${ax} is out of range for an array of ${cnd} axes`);
    return ax < 0 ? ax + cnd : ax;
  }) : s ? range(s.length, cnd - s.length) : range(cnd);
  if (new Set(axes).size !== axes.length) throw new ShapeError(`${op}: repeated axes are not supported, got axes ${describe(axesArg)}`);
  if (axes.length === 0) throw new ShapeError(`${op}: needs at least one axis to transform`);
  const orig = given ? axes : null;
  if (orig) {
    const to = range(axes.length, cnd - axes.length);
    x = moveAxes(x, orig, to, cnd);
    axes = to;
  }
  const lead = cnd - axes.length;
  if (s) {
    const fit = [...x.shape.slice(0, lead), ...s];
    if (fftType === "IRFFT") fit[cnd - 1] = Math.floor(fit[cnd - 1] / 2) + 1;
    x = fitTo(x, fit);
  } else {
    s = axes.map((ax) => x.shape[ax]);
    if (fftType === "IRFFT") s[s.length - 1] = Math.max(0, 2 * (s[s.length - 1] - 1));
  }
  if (s.some((d) => d <= 0)) {
    throw new ShapeError(`${op}: the transform length along an axis is ${Math.min(...s)}; give n (or s) of at least 1 (an ${name} of ${fftType === "IRFFT" ? "one bin has no default length" : "an empty axis"})`);
  }
  let y = coreNd(x, fftType, s, cnd);
  if (norm !== "backward") {
    const N = s.reduce((p, d) => p * d, 1);
    const inverse = name.startsWith("i");
    const f = norm === "ortho" ? (inverse ? Math.sqrt(N) : 1 / Math.sqrt(N)) : inverse ? N : 1 / N;
    y = lax.mul(y, f);
  }
  if (orig) y = moveAxes(y, axes, orig, cnd);
  return y;
}

function oneAxis(op: string, axis: unknown): number {
  if (globalThis.Array.isArray(axis)) throw new ShapeError(`${op}: takes one axis (use the n-dimensional version for several), got axis ${describe(axis)}`);
  return intArg(op, "axis", axis);
}
function oneLength(op: string, n: unknown): number[] | null {
  if (n === undefined || n === null) return null;
  const len = intArg(op, "n", n);
  if (len < 1) throw new ShapeError(`${op}: n (the transform length) must be at least 1, got ${describe(n)}`);
  return [len];
}

/** The complex conjugate of float pairs. */
function conjPairs(x: Value): Value {
  const sign = lax.sub(1, lax.mul(lax.convert(lax.iota("int32", [2], 0), x.dtype), 2));
  return lax.mul(x, lax.broadcastInDim(sign, x.shape, [x.ndim - 1]));
}

// ---- the transforms on float pairs -------------------------------------------------------------

/** `np.fft.fft` on float pairs: the 1-D DFT along `axis` (of the complex axes), padded or cut to `n`. */
export function fftPairs(a: Value, n?: number | null, axis = -1, norm?: Norm): Value {
  return core("fft", "FFT", a, oneLength("np.fft.fft", n), [oneAxis("np.fft.fft", axis)], norm);
}
/** `np.fft.ifft` on float pairs. */
export function ifftPairs(a: Value, n?: number | null, axis = -1, norm?: Norm): Value {
  return core("ifft", "IFFT", a, oneLength("np.fft.ifft", n), [oneAxis("np.fft.ifft", axis)], norm);
}
/** `np.fft.rfft`: real input, the nk//2+1 non-negative frequencies as float pairs. */
export function rfftPairs(a: Value, n?: number | null, axis = -1, norm?: Norm): Value {
  return core("rfft", "RFFT", a, oneLength("np.fft.rfft", n), [oneAxis("np.fft.rfft", axis)], norm);
}
/** `np.fft.irfft`: a half spectrum as float pairs to `n` (default 2(m−1)) real samples. */
export function irfftPairs(a: Value, n?: number | null, axis = -1, norm?: Norm): Value {
  return core("irfft", "IRFFT", a, oneLength("np.fft.irfft", n), [oneAxis("np.fft.irfft", axis)], norm);
}
/** `np.fft.hfft` (JAX's): irfft of the conjugate, times the output length. */
export function hfftPairs(a: Value, n?: number | null, axis = -1, norm?: Norm): Value {
  const op = "np.fft.hfft";
  const x = pairsArg(op, a);
  const ax = oneAxis(op, axis);
  const len = oneLength(op, n);
  const cnd = x.ndim - 1;
  if (ax < -cnd || ax >= cnd) throw new ShapeError(`${op}: axis ${ax} is out of range for an array of ${cnd} axes`);
  const nn = len ? len[0] : (x.shape[ax < 0 ? ax + cnd : ax] - 1) * 2;
  return lax.mul(core("hfft", "IRFFT", conjPairs(x), len, [ax], norm), nn);
}
/** `np.fft.ihfft` (JAX's): the conjugate of rfft, over the input length. */
export function ihfftPairs(a: Value, n?: number | null, axis = -1, norm?: Norm): Value {
  const op = "np.fft.ihfft";
  const x = floatArg(op, a);
  const ax = oneAxis(op, axis);
  const len = oneLength(op, n);
  if (ax < -x.ndim || ax >= x.ndim) throw new ShapeError(`${op}: axis ${ax} is out of range for an array of ${x.ndim} axes`);
  const nn = len ? len[0] : x.shape[ax < 0 ? ax + x.ndim : ax];
  return lax.mul(conjPairs(core("ihfft", "RFFT", x, len, [ax], norm)), 1 / nn);
}

function twoAxes(op: string, axes: unknown): number[] {
  const list = intListArg(op, "axes", axes);
  if (list.length !== 2) throw new ShapeError(`${op}: takes exactly 2 axes, got axes ${describe(axes)}`);
  return list;
}
/** `np.fft.fft2` on float pairs. */
export function fft2Pairs(a: Value, s?: Sizes, axes: readonly number[] = [-2, -1], norm?: Norm): Value {
  return core("fft2", "FFT", a, s, twoAxes("np.fft.fft2", axes), norm);
}
/** `np.fft.ifft2` on float pairs. */
export function ifft2Pairs(a: Value, s?: Sizes, axes: readonly number[] = [-2, -1], norm?: Norm): Value {
  return core("ifft2", "IFFT", a, s, twoAxes("np.fft.ifft2", axes), norm);
}
/** `np.fft.rfft2`: real input, float-pair output. */
export function rfft2Pairs(a: Value, s?: Sizes, axes: readonly number[] = [-2, -1], norm?: Norm): Value {
  return core("rfft2", "RFFT", a, s, twoAxes("np.fft.rfft2", axes), norm);
}
/** `np.fft.irfft2`: float-pair input, real output. */
export function irfft2Pairs(a: Value, s?: Sizes, axes: readonly number[] = [-2, -1], norm?: Norm): Value {
  return core("irfft2", "IRFFT", a, s, twoAxes("np.fft.irfft2", axes), norm);
}
/** `np.fft.fftn` on float pairs (every complex axis by default, or the last len(s)). */
export function fftnPairs(a: Value, s?: Sizes, axes?: Axes, norm?: Norm): Value {
  return core("fftn", "FFT", a, s, axes, norm);
}
/** `np.fft.ifftn` on float pairs. */
export function ifftnPairs(a: Value, s?: Sizes, axes?: Axes, norm?: Norm): Value {
  return core("ifftn", "IFFT", a, s, axes, norm);
}
/** `np.fft.rfftn`: real input, float-pair output. */
export function rfftnPairs(a: Value, s?: Sizes, axes?: Axes, norm?: Norm): Value {
  return core("rfftn", "RFFT", a, s, axes, norm);
}
/** `np.fft.irfftn`: float-pair input, real output. */
export function irfftnPairs(a: Value, s?: Sizes, axes?: Axes, norm?: Norm): Value {
  return core("irfftn", "IRFFT", a, s, axes, norm);
}

// ---- helpers that need no complex numbers ------------------------------------------------------

interface FreqOptions {
  /** The result's dtype (default float32). */
  dtype?: DType;
}

function freqs(op: string, n: unknown, d: unknown, options: unknown, half: boolean): Value {
  const len = intArg(op, "n", n);
  if (typeof d !== "number") throw new DTypeError(`${op}: d must be a JS number (the sample spacing), got ${describe(d)}`);
  if (options !== undefined && (typeof options !== "object" || options === null || globalThis.Array.isArray(options))) {
    throw new ArgumentError(`${op}: options must be an object such as { dtype: "float32" }, got ${describe(options)}`);
  }
  const dtype = (options as FreqOptions | undefined)?.dtype ?? "float32";
  if (!isDType(dtype)) throw new DTypeError(`${op}: dtype must be a dtype name, got ${describe(dtype)}`);
  const m = Math.max(0, len);
  const count = half ? Math.floor(m / 2) + 1 : m;
  if (count > MAX_ELEMENTS) throw new ShapeError(`${op}: n ${len} gives more than jaxon's limit of 2^40 elements for one array`);
  // k / (d·n) computed in the dtype's float (float64 as float64, else float32) as JAX does, then cast
  const work: DType = dtype === "float64" ? "float64" : "float32";
  const i = lax.iota("int32", [count], 0);
  // fftfreq: i for i < ⌈n/2⌉, then i − n
  const k = half ? i : lax.select(lax.lt(i, Math.ceil(m / 2)), i, lax.sub(i, m));
  const out = lax.div(lax.convert(k, work), lax.scalar(d * len, work));
  return dtype === work ? out : lax.convert(out, dtype);
}

/**
 * The sample frequencies of an FFT of length `n` with sample spacing `d`:
 * [0, 1, …, ⌈n/2⌉−1, −⌊n/2⌋, …, −1] / (d·n).
 * @example
 * np.fft.fftfreq(5, 0.1); // [0, 2, 4, -4, -2]
 */
export function fftfreq(n: number, d = 1, options?: FreqOptions): Value {
  return freqs("np.fft.fftfreq", n, d, options, false);
}

/**
 * The sample frequencies of an rfft of length `n` with sample spacing `d`:
 * [0, 1, …, ⌊n/2⌋] / (d·n).
 * @example
 * np.fft.rfftfreq(5, 0.1); // [0, 2, 4]
 */
export function rfftfreq(n: number, d = 1, options?: FreqOptions): Value {
  return freqs("np.fft.rfftfreq", n, d, options, true);
}

function shiftAxes(op: string, x: Value, axes: unknown): number[] {
  if (axes === undefined || axes === null) return range(x.ndim);
  const list = typeof axes === "number" ? [intArg(op, "axes", axes)] : intListArg(op, "axes", axes);
  return list.map((a) => {
    if (a < -x.ndim || a >= x.ndim) throw new ShapeError(`${op}: axis ${a} is out of range for shape [${x.shape.join(", ")}]`);
    return a < 0 ? a + x.ndim : a;
  });
}

/**
 * Moves the zero-frequency term to the middle: rolls each of `axes` (all by
 * default) by half its length.
 * @example
 * np.fft.fftshift(np.fft.fftfreq(5)); // [-0.4, -0.2, 0, 0.2, 0.4]
 */
export function fftshift(x: ArrayLike, axes?: number | readonly number[] | null): Value {
  const v = asValue(x, "np.fft.fftshift");
  const ax = shiftAxes("np.fft.fftshift", v, axes);
  if (ax.length === 0) return v;
  return roll(v, ax.map((a) => Math.floor(v.shape[a] / 2)), ax);
}

/**
 * The inverse of `fftshift` (they differ for odd lengths).
 * @example
 * np.fft.ifftshift(np.array([-0.4, -0.2, 0, 0.2, 0.4])); // [0, 0.2, 0.4, -0.4, -0.2]
 */
export function ifftshift(x: ArrayLike, axes?: number | readonly number[] | null): Value {
  const v = asValue(x, "np.fft.ifftshift");
  const ax = shiftAxes("np.fft.ifftshift", v, axes);
  if (ax.length === 0) return v;
  return roll(v, ax.map((a) => -Math.floor(v.shape[a] / 2)), ax);
}

// ---- the public transforms on complex arrays ---------------------------------------------------
//
// Each converts through the pair views (lax.complexToPairs / lax.pairsToComplex,
// primitives with JAX's transposes), so grad, jvp, vmap and jit compose and
// the gradients are JAX's.

/** A complex operand as float pairs: a real one promoted as NumPy does (integers → complex64, float64 → complex128). */
function complexIn(op: string, a: unknown): Value {
  const v = asValue(a as ArrayLike, op);
  if (isComplexDType(v.dtype)) return lax.complexToPairs(v);
  const f = floatArg(op, v);
  return lax.complexToPairs(lax.convert(f, complexOf(f.dtype)));
}

/** A real operand (integers → float32): complex input is JAX's error. */
function realIn(op: string, a: unknown): Value {
  const v = asValue(a as ArrayLike, op);
  if (isComplexDType(v.dtype)) throw new DTypeError(`${op}: needs real input, got ${v.dtype}${v.shape.length ? `[${v.shape.join(", ")}]` : "[]"}; take the real part first (np.real) or use the complex transform (np.fft.fft, fftn)`);
  return floatArg(op, v);
}

const out = (y: Value): Value => lax.pairsToComplex(y);

/**
 * The 1-D discrete Fourier transform along `axis` (default the last), cut or
 * zero-padded to `n`, as `jnp.fft.fft`; `norm` is "backward" (default),
 * "ortho" or "forward". Real input is promoted to complex.
 * @example
 * np.fft.fft(np.array([1, 2, 3, 4])); // Array([10.+0.j, -2.+2.j, -2.+0.j, -2.-2.j], dtype=complex64)
 */
export function fftC(a: ArrayLike, n?: number | null, axis = -1, norm?: FftNorm | null): Value {
  return out(fftPairs(complexIn("np.fft.fft", a), n, axis, norm));
}
/**
 * The inverse of {@link fftC} (`jnp.fft.ifft`): divides by n under the default norm.
 * @example
 * np.fft.ifft(np.fft.fft(np.array([1, 2, 3, 4]))); // Array([1.+0.j, 2.+0.j, 3.+0.j, 4.+0.j], dtype=complex64)
 */
export function ifftC(a: ArrayLike, n?: number | null, axis = -1, norm?: FftNorm | null): Value {
  return out(ifftPairs(complexIn("np.fft.ifft", a), n, axis, norm));
}
/**
 * The FFT of real input, its n//2+1 non-negative frequencies (`jnp.fft.rfft`).
 * @example
 * np.fft.rfft(np.array([1, 2, 3, 4])); // ≈ Array([10.+0.j, -2.+2.j, -2.+0.j], dtype=complex64)
 */
export function rfftC(a: ArrayLike, n?: number | null, axis = -1, norm?: FftNorm | null): Value {
  return out(rfftPairs(realIn("np.fft.rfft", a), n, axis, norm));
}
/**
 * The inverse of {@link rfftC} (`jnp.fft.irfft`): a half spectrum to `n`
 * (default 2(m−1)) real samples.
 * @example
 * np.fft.irfft(np.fft.rfft(np.array([1, 2, 3, 4]))); // [1, 2, 3, 4]
 */
export function irfftC(a: ArrayLike, n?: number | null, axis = -1, norm?: FftNorm | null): Value {
  return irfftPairs(complexIn("np.fft.irfft", a), n, axis, norm);
}
/**
 * The FFT of a Hermitian-symmetric signal given by its first half: real
 * output of length `n` (default 2(m−1)), as `jnp.fft.hfft`.
 * @example
 * np.fft.hfft(np.array([1, 2, 3])); // [8, -2, 0, -2]
 */
export function hfftC(a: ArrayLike, n?: number | null, axis = -1, norm?: FftNorm | null): Value {
  return hfftPairs(complexIn("np.fft.hfft", a), n, axis, norm);
}
/**
 * The inverse of {@link hfftC} (`jnp.fft.ihfft`): real input, the n//2+1 bins
 * of its Hermitian spectrum.
 * @example
 * np.fft.ihfft(np.array([8, -2, 0, -2])); // ≈ Array([1.+0.j, 2.+0.j, 3.+0.j], dtype=complex64)
 */
export function ihfftC(a: ArrayLike, n?: number | null, axis = -1, norm?: FftNorm | null): Value {
  return out(ihfftPairs(realIn("np.fft.ihfft", a), n, axis, norm));
}
/**
 * The 2-D FFT over `axes` (default the last two), each cut or padded to `s`, as `jnp.fft.fft2`.
 * @example
 * np.fft.fft2(np.array([[1, 2], [3, 4]])); // Array([[10.+0.j, -2.+0.j], [-4.+0.j, 0.+0.j]], dtype=complex64)
 */
export function fft2C(a: ArrayLike, s?: Sizes, axes: readonly number[] = [-2, -1], norm?: FftNorm | null): Value {
  return out(fft2Pairs(complexIn("np.fft.fft2", a), s, axes, norm));
}
/**
 * The inverse of {@link fft2C} (`jnp.fft.ifft2`).
 * @example
 * np.fft.ifft2(np.fft.fft2(np.array([[1, 2], [3, 4]]))); // Array([[1.+0.j, 2.+0.j], [3.+0.j, 4.+0.j]], dtype=complex64)
 */
export function ifft2C(a: ArrayLike, s?: Sizes, axes: readonly number[] = [-2, -1], norm?: FftNorm | null): Value {
  return out(ifft2Pairs(complexIn("np.fft.ifft2", a), s, axes, norm));
}
/**
 * The 2-D FFT of real input, the last axis halved (`jnp.fft.rfft2`).
 * @example
 * np.fft.rfft2(np.array([[1, 2], [3, 4]])); // Array([[10.+0.j, -2.+0.j], [-4.+0.j, 0.+0.j]], dtype=complex64)
 */
export function rfft2C(a: ArrayLike, s?: Sizes, axes: readonly number[] = [-2, -1], norm?: FftNorm | null): Value {
  return out(rfft2Pairs(realIn("np.fft.rfft2", a), s, axes, norm));
}
/**
 * The inverse of {@link rfft2C} (`jnp.fft.irfft2`): real output.
 * @example
 * np.fft.irfft2(np.fft.rfft2(np.array([[1, 2], [3, 4]]))); // [[1, 2], [3, 4]]
 */
export function irfft2C(a: ArrayLike, s?: Sizes, axes: readonly number[] = [-2, -1], norm?: FftNorm | null): Value {
  return irfft2Pairs(complexIn("np.fft.irfft2", a), s, axes, norm);
}
/**
 * The n-D FFT over `axes` (default all, or the last len(s)), as `jnp.fft.fftn`.
 * @example
 * np.fft.fftn(np.ones([2, 2])); // Array([[4.+0.j, 0.+0.j], [0.+0.j, 0.+0.j]], dtype=complex64)
 */
export function fftnC(a: ArrayLike, s?: Sizes, axes?: Axes, norm?: FftNorm | null): Value {
  return out(fftnPairs(complexIn("np.fft.fftn", a), s, axes, norm));
}
/**
 * The inverse of {@link fftnC} (`jnp.fft.ifftn`).
 * @example
 * np.fft.ifftn(np.fft.fftn(np.ones([2, 2]))); // Array([[1.+0.j, 1.+0.j], [1.+0.j, 1.+0.j]], dtype=complex64)
 */
export function ifftnC(a: ArrayLike, s?: Sizes, axes?: Axes, norm?: FftNorm | null): Value {
  return out(ifftnPairs(complexIn("np.fft.ifftn", a), s, axes, norm));
}
/**
 * The n-D FFT of real input, the last transformed axis halved (`jnp.fft.rfftn`).
 * @example
 * np.fft.rfftn(np.ones([2, 4])); // ≈ Array([[8.+0.j, 0.+0.j, 0.+0.j], [0.+0.j, 0.+0.j, 0.+0.j]], dtype=complex64)
 */
export function rfftnC(a: ArrayLike, s?: Sizes, axes?: Axes, norm?: FftNorm | null): Value {
  return out(rfftnPairs(realIn("np.fft.rfftn", a), s, axes, norm));
}
/**
 * The inverse of {@link rfftnC} (`jnp.fft.irfftn`): real output.
 * @example
 * np.fft.irfftn(np.fft.rfftn(np.ones([2, 4]))); // [[1, 1, 1, 1], [1, 1, 1, 1]]
 */
export function irfftnC(a: ArrayLike, s?: Sizes, axes?: Axes, norm?: FftNorm | null): Value {
  return irfftnPairs(complexIn("np.fft.irfftn", a), s, axes, norm);
}

/**
 * `np.fft`: NumPy's (JAX's) discrete Fourier transforms on complex arrays
 * (`fft`, `ifft`, `rfft`, `irfft`, `hfft`, `ihfft`, `fft2`, `ifft2`, `rfft2`,
 * `irfft2`, `fftn`, `ifftn`, `rfftn`, `irfftn`) and the helpers.
 * @example
 * np.fft.fftshift(np.fft.fftfreq(4)); // [-0.5, -0.25, 0, 0.25]
 */
export const fft = {
  fft: fftC, ifft: ifftC, rfft: rfftC, irfft: irfftC, hfft: hfftC, ihfft: ihfftC,
  fft2: fft2C, ifft2: ifft2C, rfft2: rfft2C, irfft2: irfft2C,
  fftn: fftnC, ifftn: ifftnC, rfftn: rfftnC, irfftn: irfftnC,
  fftfreq, rfftfreq, fftshift, ifftshift,
};
