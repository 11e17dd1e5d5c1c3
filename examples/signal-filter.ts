/**
 * Signal processing tuned by gradient descent, the jaxon twin of the
 * signal-processing half of the "PyTorch bootcamp" tutorial: a clean signal
 * (3 Hz and 7 Hz) buried in high-frequency interference is filtered in the
 * frequency domain, y = irfft(rfft(x) · H(f)), by a fourth-order low-pass
 * with a time shift, H(f) = g · e^{2πi·f·τ} / (1 + i·f/fc)⁴, in complex
 * arithmetic; its cutoff fc, gain g and shift τ (which undoes the filter's
 * delay) are tuned with Adam, through np.fft, to minimize the mean squared
 * error against the clean signal. Plots: the signal before and after, and the
 * spectrum with the filter's response before and after.
 */
import { grad, jit, lax, np, optim, type Value } from "jaxon-ts";
import { type ExampleOptions, type ExampleResult, formatMs, logger, outputDir, reportFiles, savePlot, since } from "./plot.js";

export interface SignalFilterResult extends ExampleResult {
  /** The loss (mean squared error against the clean signal) before each step and after the last. */
  losses: number[];
  /** The cutoff frequency fc (Hz) before and after. */
  cutoff: [number, number];
  /** The gain g before and after. */
  gain: [number, number];
  /** The time shift τ (ms) before and after. */
  shift: [number, number];
  /** The error of the unfiltered signal, for scale. */
  noisyLoss: number;
}

/** Samples over one second. */
const n = 256;
const t = Array.from({ length: n }, (_, i) => i / n);
const clean = t.map((s) => Math.sin(2 * Math.PI * 3 * s) + 0.5 * Math.sin(2 * Math.PI * 7 * s + 0.4));
// interference at 40 Hz and 73 Hz, and deterministic broadband noise
let seed = 12345;
const noise = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.6;
const noisy = t.map((s, i) => clean[i] + 0.4 * Math.sin(2 * Math.PI * 40 * s) + 0.3 * Math.sin(2 * Math.PI * 73 * s + 1) + noise());

const x = np.array(noisy);
const target = np.array(clean);
/** The frequencies of the rfft bins, 0 … 128 Hz. */
const freqs = np.fft.rfftfreq(n, 1 / n);

type Params = { logFc: Value; gain: Value; shift: Value };

/**
 * The filter's complex response H(f) = g · e^{2πi·f·τ} / (1 + i·f/fc)⁴: the
 * division written as conj(d⁴) / |d|⁸ with d = 1 + i·f/fc, the phase as
 * cos + i·sin (the parameter `shift` is τ in units of 10 ms, so that Adam's steps suit it as they suit log fc).
 */
function response(p: Params): Value {
  const r = np.divide(freqs, np.exp(p.logFc));
  const d = lax.complex(np.onesLike(r), r);
  const d2 = np.multiply(d, d);
  const d4 = np.multiply(d2, d2);
  const mag8 = np.power(np.add(1, np.square(r)), 4);
  const phase = np.multiply(freqs, np.multiply(p.shift, (2 * Math.PI) / 100));
  const advance = lax.complex(np.cos(phase), np.sin(phase));
  return np.multiply(np.multiply(np.conj(d4), advance), np.divide(p.gain, mag8));
}

/** The filtered signal: the spectrum times the response, back to the time domain. */
const filtered = (p: Params): Value => np.fft.irfft(np.multiply(np.fft.rfft(x), response(p)), n);
const loss = (p: Params): Value => np.mean(np.square(np.subtract(filtered(p), target)));

const opt = optim.adam(0.05);
type State = ReturnType<typeof opt.init>;
const step = jit((p: Params, state: State) => {
  const [updates, next] = opt.update(grad(loss)(p), state, p);
  return [optim.applyUpdates(p, updates), next, loss(p)] as const;
});

/** |z| of a complex array, as JS numbers (from the interleaved pairs). */
async function magnitude(z: Value): Promise<number[]> {
  const pairs = await z.data();
  return Array.from({ length: pairs.length / 2 }, (_, i) => Math.hypot(pairs[2 * i], pairs[2 * i + 1]));
}

/** Tunes the filter for `steps` Adam steps (default 300). */
export async function run(options: ExampleOptions = {}): Promise<SignalFilterResult> {
  const log = logger(options.quiet);
  const steps = options.steps ?? 300;
  const start: Params = { logFc: np.array(Math.log(60)), gain: np.array(0.5), shift: np.array(0) };
  const noisyLoss = (await np.mean(np.square(np.subtract(x, target))).data())[0];
  log(`a 3 Hz + 7 Hz signal with interference at 40 and 73 Hz and broadband noise, ${n} samples over 1 s`);
  log(`unfiltered: mean squared error ${noisyLoss.toFixed(4)}`);
  log(`filter H(f) = g · exp(2πi f τ) / (1 + i f/fc)⁴, starting at fc = 60 Hz, g = 0.5, τ = 0 ms; Adam (lr 0.05) for ${steps} steps`);
  let p = start;
  let state = opt.init(p);
  const losses: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    let l: Value;
    [p, state, l] = step(p, state);
    losses.push(l.itemSync());
    if (i === 0 || (i + 1) % 50 === 0) log(`  step ${String(i + 1).padStart(4)}  loss ${losses[i].toFixed(5)}  fc ${Math.exp(p.logFc.itemSync()).toFixed(2)} Hz  g ${p.gain.itemSync().toFixed(4)}  τ ${(10 * p.shift.itemSync()).toFixed(2)} ms`);
  }
  losses.push(loss(p).itemSync());
  const cutoff: [number, number] = [60, Math.exp(p.logFc.itemSync())];
  const gain: [number, number] = [0.5, p.gain.itemSync()];
  const shift: [number, number] = [0, 10 * p.shift.itemSync()];
  log(`tuned: fc = ${cutoff[1].toFixed(2)} Hz, g = ${gain[1].toFixed(4)}, τ = ${shift[1].toFixed(2)} ms; mean squared error ${losses[0].toFixed(4)} → ${losses.at(-1)!.toFixed(4)} (unfiltered ${noisyLoss.toFixed(4)})`);
  log(`${steps} jitted steps in ${formatMs(since(t0))}`);

  const dir = outputDir("signal-filter", options);
  const before = Array.from(await filtered(start).data());
  const after = Array.from(await filtered(p).data());
  const series = (name: string, ys: number[]) => ys.map((y, i) => ({ t: t[i], y, series: name }));
  const signalFiles = await savePlot(
    {
      title: { text: "The signal before and after the tuned filter", subtitle: `mean squared error ${noisyLoss.toFixed(3)} unfiltered, ${losses.at(-1)!.toFixed(4)} filtered` },
      width: 560,
      height: 300,
      data: { values: [...series("noisy", noisy), ...series("initial filter", before), ...series("tuned filter", after), ...series("clean", clean)] },
      mark: { type: "line", strokeWidth: 1.5 },
      encoding: {
        x: { field: "t", type: "quantitative", title: "time (s)" },
        y: { field: "y", type: "quantitative", title: "signal" },
        color: { field: "series", type: "nominal", sort: ["noisy", "initial filter", "tuned filter", "clean"], scale: { range: ["#bab0ac", "#f58518", "#4c78a8", "#e45756"] } },
        strokeDash: { condition: { test: "datum.series === 'clean'", value: [5, 3] }, value: [1, 0] },
      },
    },
    dir,
    "signal",
    options,
  );
  const f = Array.from(await freqs.data());
  const spec = await magnitude(np.multiply(np.fft.rfft(x), 2 / n));
  const h0 = await magnitude(response(start));
  const h1 = await magnitude(response(p));
  const spectrumFiles = await savePlot(
    {
      title: { text: "Spectrum of the noisy signal and the filter's |H(f)|", subtitle: `fc ${cutoff[0]} Hz → ${cutoff[1].toFixed(1)} Hz, g ${gain[0]} → ${gain[1].toFixed(3)}, τ ${shift[0]} → ${shift[1].toFixed(2)} ms` },
      width: 560,
      height: 300,
      data: { values: [...f.map((v, i) => ({ f: v, y: spec[i], series: "|rfft(noisy)| / (n/2)" })), ...f.map((v, i) => ({ f: v, y: h0[i], series: "initial |H|" })), ...f.map((v, i) => ({ f: v, y: h1[i], series: "tuned |H|" }))] },
      mark: { type: "line", strokeWidth: 1.5 },
      encoding: {
        x: { field: "f", type: "quantitative", title: "frequency (Hz)" },
        y: { field: "y", type: "quantitative", title: "amplitude" },
        color: { field: "series", type: "nominal", scale: { domain: ["|rfft(noisy)| / (n/2)", "initial |H|", "tuned |H|"], range: ["#bab0ac", "#f58518", "#4c78a8"] } },
      },
    },
    dir,
    "spectrum",
    options,
  );
  const files = [...signalFiles, ...spectrumFiles];
  reportFiles(log, files);
  return { files, losses, cutoff, gain, shift, noisyLoss };
}
