/**
 * The CPU's `fft` routine (src/lax/fft.ts lowers to it): FFTs of any length
 * over the last 1–3 complex axes of a batch, complex values as interleaved
 * (re, im) pairs, float32 or float64 storage. Everything is computed in
 * double precision with float64 twiddles (float32 results are rounded once,
 * on store), so a float32 FFT here is more accurate than the storage.
 *
 * One-dimensional transforms: Stockham autosort passes (no bit reversal),
 * mixed radix with butterflies for 2, 3 and 4 and a general butterfly for
 * other primes up to 31; a length with a larger prime factor goes through
 * Bluestein's chirp-z algorithm (a circular convolution of a power-of-two
 * length ≥ 2n − 1, itself radix 4/2). Plans (factors, twiddle tables, the
 * Bluestein chirp and its spectrum) are made once per length and direction.
 *
 * A multi-dimensional transform runs the 1-D transform along each axis in
 * turn over every line of the whole batch; RFFT transforms the last axis
 * first and keeps its nk//2+1 bins (an even length as one complex DFT of
 * half the length and a split step), IRFFT runs the inverse over the other
 * axes first and then the last axis from its Hermitian extension, keeping
 * the real part (so the imaginary parts of the zero and Nyquist bins are
 * ignored, as pocketfft's and XLA's c2r do).
 */
import type { TypedArray } from "../../dtype.js";
import { allocate } from "../../dtype.js";
import { sizeOf } from "../../shape.js";
import type { BufferType, Routines } from "../device.js";

type FftRoutineParams = Routines["fft"];

// ---- plans -------------------------------------------------------------------------------

/** The largest prime a Stockham pass handles with the general butterfly (O(p) per element); larger ones go to Bluestein. */
const MAX_GENERIC_RADIX = 31;

interface StockhamPlan {
  kind: "stockham";
  n: number;
  factors: number[];
  /** cos and sin of 2πj/n, j < n: the forward twiddle is (cos, -sin), the inverse (cos, +sin). */
  cos: Float64Array;
  sin: Float64Array;
}
interface BluesteinPlan {
  kind: "bluestein";
  n: number;
  m: number;
  inner: StockhamPlan;
  /** The chirp w_j = e^{sign·πi·j²/n}. */
  wr: Float64Array;
  wi: Float64Array;
  /** FFT_m of the conjugate chirp laid out circularly, already divided by m (the inverse's normalization). */
  br: Float64Array;
  bi: Float64Array;
}
type Plan = StockhamPlan | BluesteinPlan;

/** Radices for n: 4s first, then 2, 3, 5, … (null when a prime factor is above MAX_GENERIC_RADIX). */
export function fftFactors(n: number, maxRadix = MAX_GENERIC_RADIX): number[] | null {
  const out: number[] = [];
  while (n % 4 === 0) {
    out.push(4);
    n /= 4;
  }
  if (n % 2 === 0) {
    out.push(2);
    n /= 2;
  }
  for (let p = 3; p * p <= n; p += 2) {
    while (n % p === 0) {
      if (p > maxRadix) return null;
      out.push(p);
      n /= p;
    }
  }
  if (n > 1) {
    if (n > maxRadix) return null;
    out.push(n);
  }
  return out;
}

const plans = new Map<number, Plan>();
const MAX_PLANS = 32;

function stockhamPlan(n: number, factors: number[]): StockhamPlan {
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const a = (2 * Math.PI * j) / n;
    cos[j] = Math.cos(a);
    sin[j] = Math.sin(a);
  }
  return { kind: "stockham", n, factors, cos, sin };
}

function planFor(n: number): Plan {
  let plan = plans.get(n);
  if (plan) return plan;
  const factors = fftFactors(n);
  if (factors) plan = stockhamPlan(n, factors);
  else {
    let m = 1;
    while (m < 2 * n - 1) m *= 2;
    const inner = planFor(m) as StockhamPlan;
    // the forward chirp; the inverse transform conjugates around it (IDFT(x) = conj(DFT(conj x)))
    const wr = new Float64Array(n);
    const wi = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      // j² mod 2n keeps the angle small and exact (j² can exceed 2^53 / 2n otherwise)
      const e = Number((BigInt(j) * BigInt(j)) % BigInt(2 * n));
      const a = (Math.PI * e) / n;
      wr[j] = Math.cos(a);
      wi[j] = -Math.sin(a);
    }
    const br = new Float64Array(m);
    const bi = new Float64Array(m);
    for (let t = 0; t < n; t++) {
      br[t] = wr[t];
      bi[t] = -wi[t];
      if (t > 0) {
        br[m - t] = wr[t];
        bi[m - t] = -wi[t];
      }
    }
    stockham(inner, br, bi, new Float64Array(m), new Float64Array(m), false);
    for (let t = 0; t < m; t++) {
      br[t] /= m;
      bi[t] /= m;
    }
    plan = { kind: "bluestein", n, m, inner, wr, wi, br, bi };
  }
  if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value!);
  plans.set(n, plan);
  return plan;
}

// ---- one-dimensional transforms ------------------------------------------------------------

/**
 * An unnormalized DFT of (xr, xi) in place (forward: e^{-2πijk/n}; inverse:
 * e^{+2πijk/n}), with (yr, yi) as scratch of the same length. Stockham: pass
 * p reads x[j + r·n/p] for r < p, twiddles them by W_{Ns·p}^{r·k} (k = j mod
 * Ns, Ns the product of the earlier radices), does a p-point DFT and writes
 * y[(j - k)·p + k + q·Ns]; the result is in natural order.
 */
function stockham(plan: StockhamPlan, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array, inverse: boolean): void {
  const { n, factors, cos, sin } = plan;
  const sg = inverse ? 1 : -1;
  let sr = xr, si = xi, dr = yr, di = yi;
  let Ns = 1;
  for (const p of factors) {
    const stride = n / p;
    const tw = n / (Ns * p);
    for (let j = 0; j < stride; j++) {
      const k = j % Ns;
      const base = (j - k) * p + k;
      if (p === 2) {
        const e = k * tw;
        const c = cos[e], s = sg * sin[e];
        const ar = sr[j], ai = si[j];
        const ur = sr[j + stride], ui = si[j + stride];
        const br = ur * c - ui * s, bi = ur * s + ui * c;
        dr[base] = ar + br; di[base] = ai + bi;
        dr[base + Ns] = ar - br; di[base + Ns] = ai - bi;
      } else if (p === 4) {
        const e1 = k * tw, e2 = 2 * e1, e3 = 3 * e1;
        const ar = sr[j], ai = si[j];
        let ur = sr[j + stride], ui = si[j + stride];
        let c = cos[e1], s = sg * sin[e1];
        const br = ur * c - ui * s, bi = ur * s + ui * c;
        ur = sr[j + 2 * stride]; ui = si[j + 2 * stride];
        c = cos[e2]; s = sg * sin[e2];
        const cr = ur * c - ui * s, ci = ur * s + ui * c;
        ur = sr[j + 3 * stride]; ui = si[j + 3 * stride];
        c = cos[e3]; s = sg * sin[e3];
        const er = ur * c - ui * s, ei = ur * s + ui * c;
        // W_4 = sg·i: y1 = a + sg·i·b - c - sg·i·d, y3 = a - sg·i·b - c + sg·i·d
        const s0r = ar + cr, s0i = ai + ci, d0r = ar - cr, d0i = ai - ci;
        const s1r = br + er, s1i = bi + ei, d1r = br - er, d1i = bi - ei;
        dr[base] = s0r + s1r; di[base] = s0i + s1i;
        dr[base + 2 * Ns] = s0r - s1r; di[base + 2 * Ns] = s0i - s1i;
        // sg·i·(d1r + i·d1i) = (-sg·d1i) + i·(sg·d1r)
        dr[base + Ns] = d0r - sg * d1i; di[base + Ns] = d0i + sg * d1r;
        dr[base + 3 * Ns] = d0r + sg * d1i; di[base + 3 * Ns] = d0i - sg * d1r;
      } else if (p === 3) {
        const e1 = k * tw, e2 = 2 * e1;
        const ar = sr[j], ai = si[j];
        let ur = sr[j + stride], ui = si[j + stride];
        let c = cos[e1], s = sg * sin[e1];
        const br = ur * c - ui * s, bi = ur * s + ui * c;
        ur = sr[j + 2 * stride]; ui = si[j + 2 * stride];
        c = cos[e2]; s = sg * sin[e2];
        const cr = ur * c - ui * s, ci = ur * s + ui * c;
        // W_3 = -1/2 + sg·i·√3/2
        const tr = br + cr, ti = bi + ci;
        const mr = ar - 0.5 * tr, mi = ai - 0.5 * ti;
        const h = sg * (Math.sqrt(3) / 2);
        const qr = -h * (bi - ci), qi = h * (br - cr);
        dr[base] = ar + tr; di[base] = ai + ti;
        dr[base + Ns] = mr + qr; di[base + Ns] = mi + qi;
        dr[base + 2 * Ns] = mr - qr; di[base + 2 * Ns] = mi - qi;
      } else {
        // general radix: y_q = Σ_r x_r·W_{Ns·p}^{r·k}·W_p^{r·q} = Σ_r x_r·W_n^{r·tw·(k + q·Ns)}
        for (let q = 0; q < p; q++) {
          const step = (tw * (k + q * Ns)) % n;
          let e = 0, accr = 0, acci = 0;
          for (let r = 0; r < p; r++) {
            const c = cos[e], s = sg * sin[e];
            const ur = sr[j + r * stride], ui = si[j + r * stride];
            accr += ur * c - ui * s;
            acci += ur * s + ui * c;
            e += step;
            if (e >= n) e -= n;
          }
          dr[base + q * Ns] = accr;
          di[base + q * Ns] = acci;
        }
      }
    }
    [sr, dr] = [dr, sr];
    [si, di] = [di, si];
    Ns *= p;
  }
  if (sr !== xr) {
    xr.set(sr);
    xi.set(si);
  }
}

/** Scratch arrays, grown as needed (the routine is synchronous, so one set serves every call). */
let scratch: Float64Array[] = [];
function scratchOf(n: number): Float64Array[] {
  if (scratch.length === 0 || scratch[0].length < n) scratch = [0, 1, 2, 3].map(() => new Float64Array(n));
  return scratch.map((a) => a.subarray(0, n));
}

/** An unnormalized DFT of (xr, xi) (length n) in place. */
export function dft(xr: Float64Array, xi: Float64Array, inverse: boolean): void {
  const n = xr.length;
  if (n <= 1) return;
  const plan = planFor(n);
  if (plan.kind === "stockham") {
    const [yr, yi] = scratchOf(n);
    stockham(plan, xr, xi, yr, yi, inverse);
    return;
  }
  const { m, inner, wr, wi, br, bi } = plan;
  const [ar, ai, yr, yi] = scratchOf(m);
  // the inverse is conj(DFT(conj x)): conjugate on the way in and out
  const sg = inverse ? -1 : 1;
  for (let j = 0; j < n; j++) {
    const ur = xr[j], ui = sg * xi[j];
    ar[j] = ur * wr[j] - ui * wi[j];
    ai[j] = ur * wi[j] + ui * wr[j];
  }
  ar.fill(0, n);
  ai.fill(0, n);
  stockham(inner, ar, ai, yr, yi, false);
  for (let t = 0; t < m; t++) {
    const ur = ar[t], ui = ai[t];
    ar[t] = ur * br[t] - ui * bi[t];
    ai[t] = ur * bi[t] + ui * br[t];
  }
  stockham(inner, ar, ai, yr, yi, true);
  for (let k = 0; k < n; k++) {
    const ur = ar[k], ui = ai[k];
    xr[k] = ur * wr[k] - ui * wi[k];
    xi[k] = sg * (ur * wi[k] + ui * wr[k]);
  }
}

const halfTables = new Map<number, [Float64Array, Float64Array]>();
/** cos and sin of 2πk/n for k ≤ n/2 (the split step of a real FFT of even length n). */
function halfTwiddles(n: number): [Float64Array, Float64Array] {
  let t = halfTables.get(n);
  if (!t) {
    const c = new Float64Array(n / 2 + 1);
    const s = new Float64Array(n / 2 + 1);
    for (let k = 0; k <= n / 2; k++) {
      c[k] = Math.cos((2 * Math.PI * k) / n);
      s[k] = Math.sin((2 * Math.PI * k) / n);
    }
    if (halfTables.size >= MAX_PLANS) halfTables.delete(halfTables.keys().next().value!);
    halfTables.set(n, (t = [c, s]));
  }
  return t;
}

/**
 * The first n/2+1 bins of the DFT of n real samples x[o..o+n) (n even) into
 * (hr, hi) at `at`, through one complex DFT of length h = n/2: z_j = x_2j +
 * i·x_2j+1, then X_k = E_k + e^{-2πik/n}·O_k with E_k = (Z_k + conj Z_{h−k})/2
 * and O_k = (Z_k − conj Z_{h−k})/(2i). `zr`, `zi` are scratch of length ≥ h.
 */
function realLine(x: TypedArray, o: number, n: number, hr: Float64Array, hi: Float64Array, at: number, zr: Float64Array, zi: Float64Array): void {
  const h = n / 2;
  const ar = zr.subarray(0, h);
  const ai = zi.subarray(0, h);
  for (let j = 0; j < h; j++) {
    ar[j] = x[o + 2 * j];
    ai[j] = x[o + 2 * j + 1];
  }
  dft(ar, ai, false);
  const [c, s] = halfTwiddles(n);
  for (let k = 0; k <= h; k++) {
    const a = k % h;
    const b = (h - k) % h;
    const pr = ar[a], pi = ai[a];
    const qr = ar[b], qi = -ai[b];
    const er = (pr + qr) / 2, ei = (pi + qi) / 2;
    // (P − Q)/(2i) = ((pi − qi)/2, −(pr − qr)/2)
    const or = (pi - qi) / 2, oi = -(pr - qr) / 2;
    // e^{-iθ}·O = (c·or + s·oi, c·oi − s·or)
    hr[at + k] = er + c[k] * or + s[k] * oi;
    hi[at + k] = ei + c[k] * oi - s[k] * or;
  }
}

/** The DFT along the middle axis of [outer, n, inner] complex arrays (re, im), in place. */
function alongAxis(re: Float64Array, im: Float64Array, outer: number, n: number, inner: number, inverse: boolean): void {
  if (n <= 1) return;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) dft(re.subarray(o * n, (o + 1) * n), im.subarray(o * n, (o + 1) * n), inverse);
    return;
  }
  const lr = new Float64Array(n);
  const li = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < inner; c++) {
      const start = o * n * inner + c;
      for (let t = 0; t < n; t++) {
        lr[t] = re[start + t * inner];
        li[t] = im[start + t * inner];
      }
      dft(lr, li, inverse);
      for (let t = 0; t < n; t++) {
        re[start + t * inner] = lr[t];
        im[start + t * inner] = li[t];
      }
    }
  }
}

/** The complex transform along axes `axes` of [batch, ...shape]. */
function alongAxes(re: Float64Array, im: Float64Array, batch: number, shape: readonly number[], axes: readonly number[], inverse: boolean): void {
  for (const a of axes) alongAxis(re, im, batch * sizeOf(shape.slice(0, a)), shape[a], sizeOf(shape.slice(a + 1)), inverse);
}

// ---- the routine -----------------------------------------------------------------------------

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export function fftRoutine([x]: TypedArray[], _inTypes: BufferType[], [outType]: BufferType[], params: Record<string, unknown>): TypedArray[] {
  const { fftType, batch, lengths } = params as FftRoutineParams;
  const out = allocate(outType.dtype, sizeOf(outType.shape));
  const k = lengths.length;
  const N = sizeOf(lengths);
  const last = lengths[k - 1];
  const K = Math.floor(last / 2) + 1;
  const half = [...lengths.slice(0, -1), K];
  if (out.length === 0) return [out];
  if (fftType === "FFT" || fftType === "IFFT") {
    const size = batch * N;
    const re = new Float64Array(size);
    const im = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      re[i] = x[2 * i];
      im[i] = x[2 * i + 1];
    }
    const inverse = fftType === "IFFT";
    alongAxes(re, im, batch, lengths, range(k), inverse);
    const s = inverse ? 1 / N : 1;
    for (let i = 0; i < size; i++) {
      out[2 * i] = re[i] * s;
      out[2 * i + 1] = im[i] * s;
    }
    return [out];
  }
  const rows = batch * sizeOf(lengths.slice(0, -1));
  if (fftType === "RFFT") {
    // the full transform of each real line of the last axis, keeping bins 0..K-1, then the other axes
    const hr = new Float64Array(rows * K);
    const hi = new Float64Array(rows * K);
    const lr = new Float64Array(last);
    const li = new Float64Array(last);
    for (let r = 0; r < rows; r++) {
      if (last % 2 === 0 && last >= 4) {
        realLine(x, r * last, last, hr, hi, r * K, lr, li);
        continue;
      }
      for (let t = 0; t < last; t++) lr[t] = x[r * last + t];
      li.fill(0);
      dft(lr, li, false);
      hr.set(lr.subarray(0, K), r * K);
      hi.set(li.subarray(0, K), r * K);
    }
    alongAxes(hr, hi, batch, half, range(k - 1), false);
    for (let i = 0; i < rows * K; i++) {
      out[2 * i] = hr[i];
      out[2 * i + 1] = hi[i];
    }
    return [out];
  }
  // IRFFT: the inverse over the other axes, then each last-axis line from its Hermitian extension
  const hr = new Float64Array(rows * K);
  const hi = new Float64Array(rows * K);
  for (let i = 0; i < rows * K; i++) {
    hr[i] = x[2 * i];
    hi[i] = x[2 * i + 1];
  }
  alongAxes(hr, hi, batch, half, range(k - 1), true);
  const lr = new Float64Array(last);
  const li = new Float64Array(last);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < K; t++) {
      lr[t] = hr[r * K + t];
      li[t] = hi[r * K + t];
    }
    for (let t = K; t < last; t++) {
      lr[t] = hr[r * K + last - t];
      li[t] = -hi[r * K + last - t];
    }
    dft(lr, li, true);
    for (let t = 0; t < last; t++) out[r * last + t] = lr[t] / N;
  }
  return [out];
}

export const cpuFftRoutines = { fft: fftRoutine };
