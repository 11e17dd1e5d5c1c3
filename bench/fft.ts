/**
 * Workload W9: the FFT of 2^20 complex64 points, each library in its own
 * idiom, every timed call ending in a readback of the whole spectrum:
 * - jaxon: a complex64 array made from the interleaved pairs
 *   (`np.array(Float32Array, { dtype: "complex64" })`), a jitted `np.fft.fft`,
 *   read back as interleaved pairs (`data()`);
 * - jax-js: `np.fft.fft({ real, imag })` (its ComplexPair), both parts read;
 * - tfjs: `tf.spectral.fft` of a complex64 tensor, read as interleaved pairs.
 *
 * The input is a sum of five complex tones at known bins, so the float64
 * answer is exact and independent of any FFT code: n·A_m at bin f_m, zero
 * elsewhere. The adapters of libs/ are not changed: this file reaches each
 * library through the module its adapter loaded (same module instance, so
 * the backend the adapter's init() chose is the one used).
 */
import type { Adapter, Callable, Readback } from "./harness.js";
import type { Case } from "./workloads.js";
import { callCase } from "./workloads.js";
import { jaxonModule } from "./libs/jaxon.js";

export const FFT_N = 1 << 20;

/** Tones: bin, amplitude (re, im). */
const TONES: [number, number, number][] = [
  [0, 1, 0],
  [3, 0.5, 0.25],
  [1000, 0, -0.75],
  [65543, 0.3, 0.1],
  [FFT_N - 5, -0.4, 0.6],
];

interface FftInput {
  re: Float32Array;
  im: Float32Array;
  pairs: Float32Array;
}

let input: FftInput | undefined;
function fftInput(): FftInput {
  if (input) return input;
  const n = FFT_N;
  const re = new Float32Array(n);
  const im = new Float32Array(n);
  const pairs = new Float32Array(2 * n);
  for (let j = 0; j < n; j++) {
    let r = 0, i = 0;
    for (const [f, ar, ai] of TONES) {
      // (f·j) mod n exactly (f, j < 2^20: the product is below 2^53)
      const a = (2 * Math.PI * ((f * j) % n)) / n;
      r += ar * Math.cos(a) - ai * Math.sin(a);
      i += ar * Math.sin(a) + ai * Math.cos(a);
    }
    re[j] = pairs[2 * j] = r;
    im[j] = pairs[2 * j + 1] = i;
  }
  return (input = { re, im, pairs });
}

/** Checks a spectrum (interleaved pairs, or planar: all real parts then all imaginary parts) against the tones. */
function check(r: Readback, layout: "interleaved" | "planar"): string | null {
  const n = FFT_N;
  const y = r as ArrayLike<number>;
  if (typeof r === "number" || y.length !== 2 * n) return `expected ${2 * n} numbers, got ${typeof r === "number" ? 1 : y.length}`;
  const at = (k: number): [number, number] => (layout === "interleaved" ? [y[2 * k], y[2 * k + 1]] : [y[k], y[n + k]]);
  const want = new Map(TONES.map(([f, ar, ai]) => [f, [n * ar, n * ai]]));
  // float32 rounding of the input alone leaves ~1e-7·√n·‖x‖ per bin; the tones are ~1e5·n
  const tol = 1e-4 * n;
  for (let k = 0; k < n; k++) {
    const [gr, gi] = at(k);
    const [wr, wi] = want.get(k) ?? [0, 0];
    const err = Math.hypot(gr - wr, gi - wi);
    if (!(err <= tol)) return `bin ${k}: got ${gr} + ${gi}i, expected ${wr} + ${wi}i`;
  }
  return null;
}

type Prepared = { callable: Callable; layout: "interleaved" | "planar" };

/* eslint-disable @typescript-eslint/no-explicit-any */
async function prepare(a: Adapter): Promise<Prepared | null> {
  const d = fftInput();
  const n = FFT_N;
  if (a.library === "jaxon") {
    const J = await jaxonModule();
    const device = a.backend.startsWith("webgpu") ? "webgpu" : "cpu";
    const x = J.devicePut(J.np.array(d.pairs, { dtype: "complex64" }), device);
    const f = J.jit((v: any) => J.np.fft.fft(v));
    return {
      layout: "interleaved",
      callable: {
        call: async () => {
          const y = f(x) as any;
          const out = await y.data();
          y.dispose?.();
          return out;
        },
        dispose: () => (x as any).dispose?.(),
      },
    };
  }
  if (a.library === "jax-js") {
    const jax: any = await import("@jax-js/jax");
    const np = jax.numpy;
    const re = np.array(d.re);
    const im = np.array(d.im);
    return {
      layout: "planar",
      callable: {
        call: async () => {
          const y = np.fft.fft({ real: re.ref, imag: im.ref });
          const out = new Float32Array(2 * n);
          out.set(await y.real.data(), 0);
          out.set(await y.imag.data(), n);
          return out;
        },
        dispose: () => (re.dispose(), im.dispose()),
      },
    };
  }
  if (a.library === "tfjs") {
    const tf: any = await import("@tensorflow/tfjs-core");
    const c = tf.complex(tf.tensor1d(d.re), tf.tensor1d(d.im));
    return {
      layout: "interleaved",
      callable: {
        call: async () => {
          const y = tf.spectral.fft(c);
          const out = await y.data();
          y.dispose();
          return out;
        },
        dispose: () => c.dispose(),
      },
    };
  }
  return null;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export const FFT_CASES: Case[] = [
  {
    workload: "W9",
    case: "2^20",
    title: "FFT of 2^20 complex64 points, readback included",
    unit: "ms",
    prepare: () => void fftInput(),
    run: async (a, b) => {
      const p = await prepare(a);
      if (!p) return { status: "n/a" };
      return callCase(() => p.callable, (r) => check(r, p.layout), (ms) => ms, b);
    },
  },
];
