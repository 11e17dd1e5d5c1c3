/**
 * The signal-filter tutorial's PyTorch column, checked against jaxon on
 * PyTorch's own numbers. test/fixtures/examples/signal_filter_torch.py runs
 * the page's PyTorch code verbatim (this file checks that it holds the page's
 * blocks) and writes the signal, the clean target and torch.optim.Adam's whole
 * trajectory (the loss before each step, the parameters after it) to
 * signal_filter_torch.json. The page's jaxon code, run here on that data,
 * must follow the same trajectory: float32 in both, so the first steps agree
 * to float32 rounding and the end of 150 steps to a stated tolerance.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { grad, jit, lax, np, optim, type Value } from "jaxon-ts";

interface TorchFixture {
  torch: string;
  n: number;
  lr: number;
  start: [number, number, number];
  noisy: number[];
  clean: number[];
  losses: number[];
  params: [number, number, number][];
  finalLoss: number;
}

const dir = join(import.meta.dirname, "fixtures/examples");
const fixture = JSON.parse(readFileSync(join(dir, "signal_filter_torch.json"), "utf8")) as TorchFixture;
const script = readFileSync(join(dir, "signal_filter_torch.py"), "utf8");
const page = readFileSync(join(import.meta.dirname, "../docs/tutorials/signal-filter.md"), "utf8");

type Params = { logFc: Value; gain: Value; shift: Value };

/** The page's jaxon program (sections 2 and 3) on the given signal, recording every step. */
function runJaxon(noisyData: number[], cleanData: number[], steps: number) {
  const n = noisyData.length;
  const noisy = np.array(noisyData);
  const clean = np.array(cleanData);
  const freqs = np.fft.rfftfreq(n, 1 / n);
  function response(p: Params): Value {
    const r = np.divide(freqs, np.exp(p.logFc));
    const d = lax.complex(np.onesLike(r), r);
    const d4 = np.multiply(np.multiply(d, d), np.multiply(d, d));
    const phase = np.multiply(freqs, np.multiply(p.shift, (2 * Math.PI) / 100));
    const advance = lax.complex(np.cos(phase), np.sin(phase));
    const mag8 = np.power(np.add(1, np.square(r)), 4);
    return np.multiply(np.multiply(np.conj(d4), advance), np.divide(p.gain, mag8));
  }
  const filtered = (p: Params) => np.fft.irfft(np.multiply(np.fft.rfft(noisy), response(p)), n);
  const loss = (p: Params) => np.mean(np.square(np.subtract(filtered(p), clean)));
  const opt = optim.adam(fixture.lr);
  type State = ReturnType<typeof opt.init>;
  const step = jit((p: Params, state: State) => {
    const [updates, next] = opt.update(grad(loss)(p), state, p);
    return [optim.applyUpdates(p, updates), next, loss(p)] as const;
  });
  const [a, b, c] = fixture.start;
  let p: Params = { logFc: np.array(a), gain: np.array(b), shift: np.array(c) };
  let state = opt.init(p);
  const losses: number[] = [];
  const params: [number, number, number][] = [];
  for (let i = 0; i < steps; i++) {
    let l: Value;
    [p, state, l] = step(p, state);
    losses.push(l.itemSync());
    params.push([p.logFc.itemSync(), p.gain.itemSync(), p.shift.itemSync()]);
  }
  return { losses, params, finalLoss: loss(p).itemSync() };
}

describe("signal-filter beside PyTorch (the page's PyTorch column, run)", () => {
  it("the script runs the page's PyTorch blocks verbatim and recorded 150 steps", () => {
    const python = [...page.matchAll(/^```python\n([\s\S]*?)^```/gm)].map((m) => m[1]);
    expect(python).toHaveLength(3);
    for (const block of python) expect(script).toContain(block);
    expect(fixture.losses).toHaveLength(150);
    expect(fixture.params).toHaveLength(150);
    expect(fixture.noisy).toHaveLength(256);
  });

  it("what the page's PyTorch column says it prints is what the script printed", () => {
    const quoted = [...page.matchAll(/^```python\n([\s\S]*?)^```/gm)].flatMap((m) =>
      m[1].split("\n").filter((l) => l.trimStart().startsWith("# =>")).map((l) => l.trimStart().slice(4).trim()),
    );
    const printed = readFileSync(join(dir, "signal_filter_torch.txt"), "utf8").split("\n");
    expect(quoted.length).toBeGreaterThanOrEqual(3);
    expect(printed.slice(0, quoted.length)).toEqual(quoted);
  });

  it("the page's jaxon signal is torch's, to float32 rounding", async () => {
    const n = 256;
    const t = np.divide(np.arange(n), n);
    const wave = (hz: number, phase = 0) => np.sin(np.add(np.multiply(t, 2 * Math.PI * hz), phase));
    const clean = np.add(wave(3), np.multiply(wave(7, 0.4), 0.5));
    const noisy = np.add(clean, np.add(np.multiply(wave(40), 0.4), np.add(np.multiply(wave(73, 1), 0.3), np.multiply(wave(97, 2), 0.3))));
    const c = await clean.data();
    const y = await noisy.data();
    for (let i = 0; i < n; i++) {
      // sin of arguments up to 2π·97 in float32: a few ulps of the argument
      expect(Math.abs(c[i] - fixture.clean[i])).toBeLessThan(2e-5);
      expect(Math.abs(y[i] - fixture.noisy[i])).toBeLessThan(5e-5);
    }
  });

  it("jaxon's Adam on torch's signal follows torch.optim.Adam's trajectory", () => {
    const run = runJaxon(fixture.noisy, fixture.clean, 150);
    // the loss at the start: same data and parameters, float32 FFTs summed in different orders
    expect(Math.abs(run.losses[0] - fixture.losses[0])).toBeLessThan(1e-6);
    // the first steps: Adam's first moves are ±lr whatever the gradient's size, so the
    // parameters agree to float32 rounding of the updates (measured: ≤ 2.0e-6, losses ≤ 4.9e-7)
    for (let i = 0; i < 5; i++) {
      expect(Math.abs(run.losses[i] - fixture.losses[i])).toBeLessThan(2e-6);
      for (let k = 0; k < 3; k++) expect(Math.abs(run.params[i][k] - fixture.params[i][k])).toBeLessThan(1e-5);
    }
    // every one of the 150 steps: rounding differences grow a little along the way
    // (measured: parameters ≤ 1.1e-5, losses ≤ 5.6e-7, the final loss 1.2e-8 apart)
    for (let i = 0; i < 150; i++) {
      expect(Math.abs(run.losses[i] - fixture.losses[i])).toBeLessThan(5e-6);
      for (let k = 0; k < 3; k++) expect(Math.abs(run.params[i][k] - fixture.params[i][k])).toBeLessThan(1e-4);
    }
    expect(Math.abs(run.finalLoss - fixture.finalLoss)).toBeLessThan(1e-6);
  });
});
