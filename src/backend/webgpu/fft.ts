/**
 * The WebGPU `fft` routine, with the parameters src/lax/fft.ts gives the
 * CPU's (`../cpu/fft.ts`): device kernels only, no host loop over the data.
 *
 * A 1-D complex transform along one axis of [outer, n, inner] (complex
 * values as interleaved f32 pairs) is a sequence of Stockham autosort
 * passes, one dispatch each, ping-ponging between two buffers and ending in
 * natural order: pass p (Ns the product of the earlier radices) reads
 * x[j + r·n/p], twiddles by W_{Ns·p}^{r·(j mod Ns)}, does a p-point DFT and
 * writes y[(j − j mod Ns)·p + j mod Ns + q·Ns]. Radix 4 and 2 have their own
 * kernels (one thread per butterfly); any other prime factor p up to 64
 * runs the general kernel (one thread per output, a p-term sum). A length
 * with a larger prime factor goes through Bluestein's chirp-z algorithm: the
 * chirp product, a forward and an inverse power-of-two transform of length
 * m ≥ 2n − 1 (the same passes) around a pointwise product with the chirp
 * filter's spectrum, and the chirp product back (5 kinds of dispatch, the
 * chirp and the filter's spectrum computed once in float64 on the host).
 *
 * Twiddles come from a table of cos/sin(2πj/n) computed on the host in
 * float64 and rounded to f32 once (WGSL's sin/cos may be far less accurate),
 * uploaded once per length and device and kept. Shapes come from a small
 * parameter buffer, so each kernel compiles one pipeline for every length.
 *
 * RFFT: the real lines become pairs, the last axis is transformed whole and
 * its first nk//2+1 bins kept, then the other axes. IRFFT: the inverse over
 * the other axes, the last axis Hermitian-extended and inverted, the real
 * part kept (the imaginary parts of the zero and Nyquist bins drop out, as
 * on the CPU). Normalization (1/N for IFFT, IRFFT) is folded into the last
 * pass.
 */
import { dft, fftFactors } from "../cpu/fft.js";
import type { Routines } from "../device.js";
import type { GpuBuffer } from "./buffers.js";
import { alloc, release, upload } from "./buffers.js";
import { device, dispatch, grid } from "./context.js";
import type { GpuRoutine, RoutineFamily } from "./routines.js";

const GROUP = 64;
const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Bindings in order (the first is written); the parameter buffer comes last; `t` is the thread's item. */
function header(inputs: string[], params: readonly string[]): string {
  const decl = ["out", ...inputs, "prm"]
    .map((name, i) => `@group(0) @binding(${i}) var<storage, ${i === 0 ? "read_write" : "read"}> ${name}: array<${name === "prm" ? "u32" : "f32"}>;`)
    .join("\n");
  const getters = ["perRow", "items", ...params].map((p, i) => `fn p_${p}() -> u32 { return prm[${i}]; }`).join("\n");
  return `${decl}
${getters}
@compute @workgroup_size(${GROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.y * p_perRow() + gid.x;
  if (t >= p_items()) { return; }`;
}

function run(wgsl: string, out: GpuBuffer, inputs: GpuBuffer[], items: number, values: number[], what: string): void {
  const g = grid(Math.ceil(items / GROUP));
  const prm = upload(Uint32Array.from([g[0] * GROUP, items, ...values.map((v) => v >>> 0)]), "uint32");
  dispatch({ wgsl, buffers: [out, ...inputs, prm], workgroups: g, what });
  // the queue runs the dispatch before any reuse of the slot
  release(prm);
}

const f32Bits = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0];

// ---- Stockham passes -------------------------------------------------------------------------

const STAGE_PARAMS = ["n", "inner", "p", "ns", "inverse", "scale"] as const;

/** Shared lines of a pass: the line's first element `base0`, the element stride `inner`, and `sg`, the twiddle's sign. */
const STAGE_PRELUDE = `
  let n = p_n();
  let inner = p_inner();
  let p = p_p();
  let ns = p_ns();
  let sg = select(-1.0, 1.0, p_inverse() != 0u);
  let scale = bitcast<f32>(p_scale());
  let stride = n / p;`;

/** (re, im) of input element idx of the line, twiddled by table entry e. */
const LOAD = `fn tw_(e: u32, sg: f32) -> vec2<f32> { return vec2<f32>(tw[2u * e], sg * tw[2u * e + 1u]); }
fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
fn ld(a: u32) -> vec2<f32> { return vec2<f32>(x[2u * a], x[2u * a + 1u]); }
fn st(a: u32, v: vec2<f32>) { out[2u * a] = v.x; out[2u * a + 1u] = v.y; }`;

/** General radix p: one thread per output (line, q, j), y = Σ_r x_r·W_n^{r·(n/(Ns·p))·(k + q·Ns)}. */
const STAGE_GENERIC = `${header(["x", "tw"], STAGE_PARAMS)}
  ${STAGE_PRELUDE}
  let line = t / n;
  let rem = t % n;
  let q = rem / stride;
  let j = rem % stride;
  let base0 = (line / inner) * n * inner + line % inner;
  let k = j % ns;
  let step = ((n / (ns * p)) * (k + q * ns)) % n;
  var e = 0u;
  var acc = vec2<f32>(0.0, 0.0);
  for (var r = 0u; r < p; r++) {
    acc += cmul(ld(base0 + (j + r * stride) * inner), tw_(e, sg));
    e += step;
    if (e >= n) { e -= n; }
  }
  st(base0 + ((j - k) * p + k + q * ns) * inner, acc * scale);
}
${LOAD}`;

/** Radix 2: one thread per butterfly (line, j). */
const STAGE_R2 = `${header(["x", "tw"], STAGE_PARAMS)}
  ${STAGE_PRELUDE}
  let line = t / stride;
  let j = t % stride;
  let base0 = (line / inner) * n * inner + line % inner;
  let k = j % ns;
  let a = ld(base0 + j * inner);
  let b = cmul(ld(base0 + (j + stride) * inner), tw_(k * (n / (ns * 2u)), sg));
  let d = (j - k) * 2u + k;
  st(base0 + d * inner, (a + b) * scale);
  st(base0 + (d + ns) * inner, (a - b) * scale);
}
${LOAD}`;

/** Radix 4: one thread per butterfly (line, j); W_4 = sg·i. */
const STAGE_R4 = `${header(["x", "tw"], STAGE_PARAMS)}
  ${STAGE_PRELUDE}
  let line = t / stride;
  let j = t % stride;
  let base0 = (line / inner) * n * inner + line % inner;
  let k = j % ns;
  let e = k * (n / (ns * 4u));
  let a = ld(base0 + j * inner);
  let b = cmul(ld(base0 + (j + stride) * inner), tw_(e, sg));
  let c = cmul(ld(base0 + (j + 2u * stride) * inner), tw_(2u * e, sg));
  let f = cmul(ld(base0 + (j + 3u * stride) * inner), tw_(3u * e, sg));
  let s0 = a + c;
  let d0 = a - c;
  let s1 = b + f;
  let d1 = b - f;
  // sg·i·d1
  let r1 = vec2<f32>(-sg * d1.y, sg * d1.x);
  let d = (j - k) * 4u + k;
  st(base0 + d * inner, (s0 + s1) * scale);
  st(base0 + (d + ns) * inner, (d0 + r1) * scale);
  st(base0 + (d + 2u * ns) * inner, (s0 - s1) * scale);
  st(base0 + (d + 3u * ns) * inner, (d0 - r1) * scale);
}
${LOAD}`;

// ---- conversions around the complex passes ---------------------------------------------------

/** Real [rows, n] → pairs. */
const TO_PAIRS = `${header(["x"], [])}
  out[2u * t] = x[t];
  out[2u * t + 1u] = 0.0;
}`;

/** Pairs [rows, n] → the first K bins of each row. */
const KEEP_BINS = `${header(["x"], ["n", "k"])}
  let r = t / p_k();
  let c = t % p_k();
  let a = 2u * (r * p_n() + c);
  out[2u * t] = x[a];
  out[2u * t + 1u] = x[a + 1u];
}`;

/** Half spectra [rows, K] → full Hermitian lines [rows, n]: bin c ≥ K is conj(bin n − c). */
const HERMITIAN = `${header(["x"], ["n", "k"])}
  let r = t / p_n();
  let c = t % p_n();
  if (c < p_k()) {
    out[2u * t] = x[2u * (r * p_k() + c)];
    out[2u * t + 1u] = x[2u * (r * p_k() + c) + 1u];
  } else {
    out[2u * t] = x[2u * (r * p_k() + p_n() - c)];
    out[2u * t + 1u] = -x[2u * (r * p_k() + p_n() - c) + 1u];
  }
}`;

/** The real parts, scaled. */
const REAL_PART = `${header(["x"], ["scale"])}
  out[t] = x[2u * t] * bitcast<f32>(p_scale());
}`;

// ---- twiddle tables --------------------------------------------------------------------------

const tables = new WeakMap<GPUDevice, Map<number, GpuBuffer>>();
const MAX_TABLES = 8;

/** cos/sin(2πj/n) for j < n, interleaved, rounded once from float64; kept per device and length. */
function twiddles(n: number): GpuBuffer {
  const dev = device();
  let byLength = tables.get(dev);
  if (!byLength) tables.set(dev, (byLength = new Map()));
  let buf = byLength.get(n);
  if (buf) return buf;
  const data = new Float32Array(2 * n);
  for (let j = 0; j < n; j++) {
    const a = (2 * Math.PI * j) / n;
    data[2 * j] = Math.cos(a);
    data[2 * j + 1] = Math.sin(a);
  }
  buf = upload(data, "float32");
  if (byLength.size >= MAX_TABLES) {
    const [oldest, old] = byLength.entries().next().value!;
    byLength.delete(oldest);
    release(old);
  }
  byLength.set(n, buf);
  return buf;
}

// ---- Bluestein, for lengths with a large prime factor ---------------------------------------------

/** A length whose largest prime factor is above this goes through Bluestein rather than a direct pass over that factor. */
const BLUESTEIN_ABOVE = 64;

/**
 * x_j·w_j (w_j = e^{-πi·j²/n}; x conjugated first for an inverse) into
 * contiguous rows of m, zero-padded: one thread per (line, j < m).
 */
const CHIRP_IN = `${header(["x", "w"], ["n", "inner", "m", "inverse"])}
  let n = p_n();
  let inner = p_inner();
  let m = p_m();
  let line = t / m;
  let j = t % m;
  if (j >= n) { out[2u * t] = 0.0; out[2u * t + 1u] = 0.0; return; }
  let a = 2u * ((line / inner) * n * inner + line % inner + j * inner);
  let sg = select(1.0, -1.0, p_inverse() != 0u);
  let v = vec2<f32>(x[a], sg * x[a + 1u]);
  let c = vec2<f32>(w[2u * j], w[2u * j + 1u]);
  out[2u * t] = v.x * c.x - v.y * c.y;
  out[2u * t + 1u] = v.x * c.y + v.y * c.x;
}`;

/** The pointwise product with the chirp filter's spectrum (already divided by m). */
const MUL_FILTER = `${header(["x", "b"], ["m"])}
  let k = t % p_m();
  let v = vec2<f32>(x[2u * t], x[2u * t + 1u]);
  let c = vec2<f32>(b[2u * k], b[2u * k + 1u]);
  out[2u * t] = v.x * c.x - v.y * c.y;
  out[2u * t + 1u] = v.x * c.y + v.y * c.x;
}`;

/** X_k = w_k·y_k (conjugated back for an inverse), scaled, into the [outer, n, inner] layout: one thread per (line, k < n). */
const CHIRP_OUT = `${header(["x", "w"], ["n", "inner", "m", "inverse", "scale"])}
  let n = p_n();
  let inner = p_inner();
  let line = t / n;
  let k = t % n;
  let a = 2u * (line * p_m() + k);
  let v = vec2<f32>(x[a], x[a + 1u]);
  let c = vec2<f32>(w[2u * k], w[2u * k + 1u]);
  let sg = select(1.0, -1.0, p_inverse() != 0u);
  let s = bitcast<f32>(p_scale());
  let o = 2u * ((line / inner) * n * inner + line % inner + k * inner);
  out[o] = (v.x * c.x - v.y * c.y) * s;
  out[o + 1u] = sg * (v.x * c.y + v.y * c.x) * s;
}`;

const chirps = new WeakMap<GPUDevice, Map<number, { m: number; w: GpuBuffer; b: GpuBuffer }>>();

/** The chirp w_j = e^{-πi·j²/n} and the filter's spectrum FFT_m(conj w, circular)/m, computed in float64 on the host, kept per device and length. */
function bluesteinTables(n: number): { m: number; w: GpuBuffer; b: GpuBuffer } {
  const dev = device();
  let byLength = chirps.get(dev);
  if (!byLength) chirps.set(dev, (byLength = new Map()));
  const have = byLength.get(n);
  if (have) return have;
  let m = 1;
  while (m < 2 * n - 1) m *= 2;
  const w = new Float32Array(2 * n);
  const br = new Float64Array(m);
  const bi = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    // j² mod 2n keeps the angle exact
    const e = Number((BigInt(j) * BigInt(j)) % BigInt(2 * n));
    const a = (Math.PI * e) / n;
    const c = Math.cos(a), s = Math.sin(a);
    w[2 * j] = c;
    w[2 * j + 1] = -s;
    br[j] = c;
    bi[j] = s;
    if (j > 0) {
      br[m - j] = c;
      bi[m - j] = s;
    }
  }
  dft(br, bi, false);
  const b = new Float32Array(2 * m);
  for (let k = 0; k < m; k++) {
    b[2 * k] = br[k] / m;
    b[2 * k + 1] = bi[k] / m;
  }
  const entry = { m, w: upload(w, "float32"), b: upload(b, "float32") };
  if (byLength.size >= MAX_TABLES) {
    const [oldest, old] = byLength.entries().next().value!;
    byLength.delete(oldest);
    release(old.w);
    release(old.b);
  }
  byLength.set(n, entry);
  return entry;
}

/** Bluestein's chirp-z transform along the middle axis of [outer, n, inner]: a circular convolution of power-of-two length m ≥ 2n − 1. */
function bluestein(x: GpuBuffer, outer: number, n: number, inner: number, inverse: boolean, scale: number): GpuBuffer {
  const lines = outer * inner;
  const { m, w, b } = bluesteinTables(n);
  const a = alloc("float32", 2 * lines * m);
  run(CHIRP_IN, a, [x, w], lines * m, [n, inner, m, inverse ? 1 : 0], "fft bluestein chirp");
  const A = alongAxis(a, lines, m, 1, false, 1);
  release(a);
  const P = alloc("float32", 2 * lines * m);
  run(MUL_FILTER, P, [A, b], lines * m, [m], "fft bluestein filter");
  release(A);
  const y = alongAxis(P, lines, m, 1, true, 1);
  release(P);
  const out = alloc("float32", 2 * lines * n);
  run(CHIRP_OUT, out, [y, w], lines * n, [n, inner, m, inverse ? 1 : 0, f32Bits(scale)], "fft bluestein output");
  release(y);
  return out;
}

/** Radices for the passes: 4s, a 2, then the other prime factors (any size: the general kernel). */
function radices(n: number): number[] {
  if (n === 1) return [1];
  return fftFactors(n, Infinity)!;
}

/**
 * The DFT along the middle axis of [outer, n, inner] complex pairs into a new
 * buffer (x is not written), the last pass scaled by `scale`.
 */
function alongAxis(x: GpuBuffer, outer: number, n: number, inner: number, inverse: boolean, scale: number): GpuBuffer {
  const lines = outer * inner;
  const factors = radices(n);
  if (factors[factors.length - 1] > BLUESTEIN_ABOVE) return bluestein(x, outer, n, inner, inverse, scale);
  const tw = twiddles(n);
  let src = x;
  let ns = 1;
  factors.forEach((p, i) => {
    const dst = alloc("float32", 2 * lines * n);
    const s = i === factors.length - 1 ? scale : 1;
    const values = [n, inner, p, ns, inverse ? 1 : 0, f32Bits(s)];
    if (p === 4) run(STAGE_R4, dst, [src, tw], (lines * n) / 4, values, "fft radix-4 pass");
    else if (p === 2) run(STAGE_R2, dst, [src, tw], (lines * n) / 2, values, "fft radix-2 pass");
    else run(STAGE_GENERIC, dst, [src, tw], lines * n, values, "fft pass");
    if (src !== x) release(src);
    src = dst;
    ns *= p;
  });
  return src;
}

/** The complex transform along `axes` (at least one) of [batch, ...shape] (x is not written; the result is new). */
function alongAxes(x: GpuBuffer, batch: number, shape: readonly number[], axes: readonly number[], inverse: boolean, scale: number): GpuBuffer {
  let cur = x;
  axes.forEach((a, i) => {
    const next = alongAxis(cur, batch * sizeOf(shape.slice(0, a)), shape[a], sizeOf(shape.slice(a + 1)), inverse, i === axes.length - 1 ? scale : 1);
    if (cur !== x) release(cur);
    cur = next;
  });
  return cur;
}

const fft: GpuRoutine = ([x], _inTypes, [outType], params) => {
  const { fftType, batch, lengths } = params as Routines["fft"];
  const k = lengths.length;
  const N = sizeOf(lengths);
  const last = lengths[k - 1];
  const K = Math.floor(last / 2) + 1;
  const half = [...lengths.slice(0, -1), K];
  const rows = batch * sizeOf(lengths.slice(0, -1));
  if (sizeOf(outType.shape) === 0) return [alloc(outType.dtype, 0)];
  if (fftType === "FFT" || fftType === "IFFT") {
    const inverse = fftType === "IFFT";
    return [alongAxes(x, batch, lengths, range(k), inverse, inverse ? 1 / N : 1)];
  }
  if (fftType === "RFFT") {
    const pairs = alloc("float32", 2 * rows * last);
    run(TO_PAIRS, pairs, [x], rows * last, [], "rfft input");
    const full = alongAxis(pairs, rows, last, 1, false, 1);
    release(pairs);
    let out = alloc("float32", 2 * rows * K);
    run(KEEP_BINS, out, [full], rows * K, [last, K], "rfft bins");
    release(full);
    if (k > 1) {
      const rest = alongAxes(out, batch, half, range(k - 1), false, 1);
      release(out);
      out = rest;
    }
    return [out];
  }
  // IRFFT
  const spectra = k > 1 ? alongAxes(x, batch, half, range(k - 1), true, 1) : x;
  const herm = alloc("float32", 2 * rows * last);
  run(HERMITIAN, herm, [spectra], rows * last, [last, K], "irfft extension");
  if (spectra !== x) release(spectra);
  const lines = alongAxis(herm, rows, last, 1, true, 1);
  release(herm);
  const out = alloc("float32", rows * last);
  run(REAL_PART, out, [lines], rows * last, [f32Bits(1 / N)], "irfft output");
  release(lines);
  return [out];
};

export const fftRoutines = { fft } satisfies RoutineFamily;
