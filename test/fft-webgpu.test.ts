/**
 * The FFT on WebGPU (Stockham passes, src/backend/webgpu/fft.ts): every JAX
 * fixture case of test/fft.test.ts run on the GPU against JAX's values and
 * the CPU's; the primitive's jvp, vjp, grad, vmap and jit on the GPU against
 * the CPU; the gradient through rfft → |·|² → irfft against JAX's.
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { grad, jit, jvp, lax, vjp, vmap, type Array as JArray, type Value } from "../src/index.js";
import { fftPairsRaw, type FftType } from "../src/lax/fft.js";
import * as F from "../src/numpy/fft.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { rand } from "./helpers.js";

const hasGpu = await probeWebGPU("fft-webgpu.test.ts");

interface Case { id: string; fn: string; kind: "real" | "pairs"; shape: number[]; seed: number; kwargs: Record<string, unknown>; outShape: number[]; out: number[] }
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "fft", "cases.json"), "utf8")) as {
  cases: Case[];
  grads: { n: number; xSeed: number; wSeed: number; shape: number[]; grad: number[] }[];
};

// the same input formula and call mapping as test/fft.test.ts (not imported: importing a test file runs its suite)
const data = (count: number, seed: number) => Array.from({ length: count }, (_, j) => Math.fround(((j * 7919 + seed * 104729) % 65521) / 65521 - 0.5));

function callCase(c: Case, x: Value): Value {
  const k = c.kwargs as { n?: number; axis?: number; norm?: F.FftNorm; s?: number[]; axes?: number[] };
  switch (c.fn) {
    case "fft": return F.fftPairs(x, k.n, k.axis ?? -1, k.norm);
    case "ifft": return F.ifftPairs(x, k.n, k.axis ?? -1, k.norm);
    case "rfft": return F.rfftPairs(x, k.n, k.axis ?? -1, k.norm);
    case "irfft": return F.irfftPairs(x, k.n, k.axis ?? -1, k.norm);
    case "hfft": return F.hfftPairs(x, k.n, k.axis ?? -1, k.norm);
    case "ihfft": return F.ihfftPairs(x, k.n, k.axis ?? -1, k.norm);
    case "fft2": return F.fft2Pairs(x, k.s, k.axes ?? [-2, -1], k.norm);
    case "ifft2": return F.ifft2Pairs(x, k.s, k.axes ?? [-2, -1], k.norm);
    case "rfft2": return F.rfft2Pairs(x, k.s, k.axes ?? [-2, -1], k.norm);
    case "irfft2": return F.irfft2Pairs(x, k.s, k.axes ?? [-2, -1], k.norm);
    case "fftn": return F.fftnPairs(x, k.s, k.axes, k.norm);
    case "ifftn": return F.ifftnPairs(x, k.s, k.axes, k.norm);
    case "rfftn": return F.rfftnPairs(x, k.s, k.axes, k.norm);
    default: return F.irfftnPairs(x, k.s, k.axes, k.norm);
  }
}

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) {
    num = Math.max(num, Math.abs(got[i] - want[i]));
    den = Math.max(den, Math.abs(want[i]));
  }
  return num / Math.max(den, 1e-30);
}

const host = async (v: Value) => Array.from(await v.data());

describe.skipIf(!hasGpu)("np.fft on WebGPU against JAX and the CPU (float32)", () => {
  const errs: Record<string, number> = {};
  it.each(fixture.cases.map((c) => [c.id, c] as const))("%s", async (_id, c) => {
    const shape = c.kind === "real" ? c.shape : [...c.shape, 2];
    const x = onBothDevices(data(shape.reduce((a, b) => a * b, 1), c.seed), shape);
    const g = callCase(c, x.g);
    expect((g as JArray).device).toBe("webgpu");
    expect(g.shape).toEqual(c.outShape);
    const got = await host(g);
    const e = relErr(got, c.out);
    errs[c.id] = e;
    const n = Math.max(...c.shape);
    expect(e, `${c.id}: relative error against JAX ${e}`).toBeLessThan(2e-6 * Math.max(1, Math.log2(n)));
    const cpu = await host(onCpu(() => callCase(c, x.c)));
    expect(relErr(got, cpu)).toBeLessThan(2e-6 * Math.max(1, Math.log2(n)));
  });
  it("accuracy against JAX (float32): printed", () => {
    for (const id of ["fft/65536", "fft/4096", "fft/97", "fft/127", "fft/1000"]) {
      if (errs[id] !== undefined) console.log(`fft accuracy (WebGPU, float32) ${id}: max |jaxon − JAX| / max |JAX| = ${errs[id].toExponential(2)}`);
    }
  });
});

const ruleCases: { name: string; type: FftType; lengths: number[]; shape: number[] }[] = [
  { name: "FFT n=12", type: "FFT", lengths: [12], shape: [2, 12, 2] },
  { name: "FFT n=37", type: "FFT", lengths: [37], shape: [37, 2] },
  { name: "IFFT 2-D", type: "IFFT", lengths: [3, 4], shape: [2, 3, 4, 2] },
  { name: "FFT 3-D", type: "FFT", lengths: [2, 3, 4], shape: [2, 3, 4, 2] },
  { name: "RFFT odd", type: "RFFT", lengths: [9], shape: [2, 9] },
  { name: "RFFT 2-D", type: "RFFT", lengths: [3, 6], shape: [2, 3, 6] },
  { name: "IRFFT even", type: "IRFFT", lengths: [8], shape: [3, 5, 2] },
  { name: "IRFFT 2-D odd", type: "IRFFT", lengths: [4, 5], shape: [2, 4, 3, 2] },
];

describe.skipIf(!hasGpu)("the fft primitive's rules on WebGPU equal the CPU's (float32)", () => {
  describe.each(ruleCases.map((c) => [c.name, c] as const))("%s", (_n, c) => {
    const f = (x: Value) => fftPairsRaw(x, c.type, c.lengths);
    const size = c.shape.reduce((a, b) => a * b, 1);
    const x = onBothDevices(rand(size, 7), c.shape);
    const t = onBothDevices(rand(size, 11), c.shape);
    const close = async (g: Value, cpu: () => Value) => {
      expect((g as JArray).device).toBe("webgpu");
      expect(relErr(await host(g), await host(onCpu(cpu)))).toBeLessThan(1e-5);
    };
    it("eager, jit, jvp, vjp, grad", async () => {
      await close(f(x.g), () => f(x.c));
      await close(jit(f)(x.g) as Value, () => f(x.c));
      await close((jvp(f, [x.g], [t.g]) as [Value, Value])[1], () => (jvp(f, [x.c], [t.c]) as [Value, Value])[1]);
      const y = onCpu(() => f(x.c));
      const u = onBothDevices(rand(y.size, 13), [...y.shape]);
      await close((vjp(f, x.g)[1](u.g) as Value[])[0], () => (vjp(f, x.c)[1](u.c) as Value[])[0]);
      const L = (z: Value) => lax.reduceSum(lax.square(f(z)), y.shape.map((_, i) => i));
      await close(jit(grad(L))(x.g) as Value, () => grad(L)(x.c) as Value);
    });
    it("vmap over a batch of 3", async () => {
      const b = onBothDevices(rand(3 * size, 40), [3, ...c.shape]);
      await close(vmap(f)(b.g) as Value, () => vmap(f)(b.c) as Value);
    });
  });
});

describe.skipIf(!hasGpu)("gradient through rfft → |·|² → irfft on WebGPU against JAX", () => {
  const loss = (w: Value) => (x: Value) => {
    const n = x.shape[x.ndim - 1];
    const p = F.rfftPairs(x);
    const mag = lax.reduceSum(lax.square(p), [p.ndim - 1]);
    const z = lax.pad(lax.expandDims(mag, [mag.ndim]), 0, [...mag.shape.map((): [number, number, number] => [0, 0, 0]), [0, 1, 0]]);
    return lax.reduceSum(lax.mul(w, F.irfftPairs(z, n)), [0, 1]);
  };
  it.each(fixture.grads.map((g) => [g.n, g] as const))("n = %i", async (_n, g) => {
    const size = g.shape[0] * g.shape[1];
    const x = onBothDevices(data(size, g.xSeed), g.shape);
    const w = onBothDevices(data(size, g.wSeed), g.shape);
    const got = jit(grad(loss(w.g)))(x.g) as Value;
    expect((got as JArray).device).toBe("webgpu");
    expect(relErr(await host(got), g.grad)).toBeLessThan(2e-5);
  });
});

describe.skipIf(!hasGpu)("Bluestein on WebGPU (prime factors above 64) equals the CPU", () => {
  it.each([
    ["FFT over [67, 3] (strided: inner 3)", "FFT", [67, 3], [2, 67, 3, 2]],
    ["IFFT over [5, 131]", "IFFT", [5, 131], [5, 131, 2]],
    ["RFFT of 2·71", "RFFT", [142], [3, 142]],
    ["IRFFT of 2·89 + 1", "IRFFT", [179], [2, 90, 2]],
    ["FFT of the prime 65537", "FFT", [65537], [65537, 2]],
  ] as [string, FftType, number[], number[]][])("%s", async (_name, type, lengths, shape) => {
    const x = onBothDevices(rand(shape.reduce((a, b) => a * b, 1), 5), shape);
    const g = fftPairsRaw(x.g, type, lengths);
    expect((g as JArray).device).toBe("webgpu");
    const e = relErr(await host(g), await host(onCpu(() => fftPairsRaw(x.c, type, lengths))));
    expect(e).toBeLessThan(2e-6 * Math.log2(Math.max(...lengths)));
  });
});

describe.skipIf(!hasGpu)("empty batches on WebGPU", () => {
  it("give empty results of the right shape", async () => {
    for (const [type, lengths, shape, out] of [
      ["FFT", [4], [0, 4, 2], [0, 4, 2]],
      ["RFFT", [4], [0, 4], [0, 3, 2]],
      ["IRFFT", [4], [2, 0, 3, 2], [2, 0, 4]],
    ] as [FftType, number[], number[], number[]][]) {
      const g = fftPairsRaw(onBothDevices([], shape).g, type, lengths);
      expect(g.shape).toEqual(out);
      expect((await g.data()).length).toBe(0);
    }
  });
});
