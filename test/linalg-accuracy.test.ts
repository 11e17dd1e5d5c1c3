/**
 * The float32 accuracy of np.linalg's solve, inv, cholesky, qr, svd and eigh,
 * measured against real JAX (fixture: test/fixtures/linalg-accuracy/gen.py:
 * JAX 0.10.2's float32 result and its float64 result on the same rounded
 * inputs, "truth") on random, ill-conditioned (κ = 1e5) and batched inputs,
 * at sizes that take the CPU's blocked LU and Cholesky (n = 100).
 *
 * Error = max |got − truth| / max |truth| over each output, the largest over
 * a function's outputs; vectors (Q's columns with R's rows, U's columns with
 * Vᵀ's rows, eigenvectors) are compared after giving each the sign that makes
 * its truth's largest component positive, on every side.
 *
 * Bars: jaxon's CPU within max(2 × JAX's float32 error, 2e-5), WebGPU within
 * max(8 × JAX's, 2e-4) (as linalg-jax.test.ts). The table (the one in
 * docs/guide/linear-algebra.md) is printed.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { Array as JArray, devicePut, np, type Value } from "../src/index.js";
import { getBackend } from "../src/backend/device.js";
import { onCpuAsync, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("linalg-accuracy.test.ts");

interface Enc {
  shape: number[];
  dtype: "float32" | "float64";
  b64: string;
}
interface Case {
  fn: "solve" | "inv" | "cholesky" | "qr" | "svd" | "eigh";
  kind: string;
  args: Enc[];
  jax32: Enc[];
  truth: Enc[];
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/linalg-accuracy/cases.json", import.meta.url), "utf8")) as { jax: string; cases: Case[] };

function decode(e: Enc): Float32Array | Float64Array {
  const buf = Buffer.from(e.b64, "base64");
  const bytes = new Uint8Array(buf.length);
  bytes.set(buf);
  return e.dtype === "float32" ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer);
}

function input(e: Enc, device: "cpu" | "webgpu"): JArray {
  const a = JArray.fromTyped(decode(e), e.shape, "float32", false, getBackend("cpu"));
  return device === "cpu" ? a : devicePut(a, "webgpu");
}

const FNS: Record<Case["fn"], (args: Value[]) => Value[]> = {
  solve: ([a, b]) => [np.linalg.solve(a, b)],
  inv: ([a]) => [np.linalg.inv(a)],
  cholesky: ([a]) => [np.linalg.cholesky(a)],
  qr: ([a]) => np.linalg.qr(a),
  svd: ([a]) => np.linalg.svd(a, { fullMatrices: false }),
  eigh: ([a]) => np.linalg.eigh(a),
};

/**
 * Flips vectors that come with a sign of their own: for each vector of the
 * truth (a column of `vec` in outputs[vecOut], or a row when `rows`), the
 * sign making its largest component positive, applied to that vector and to
 * the matching row of outputs[pairOut] (QR: R's rows; SVD: Vᵀ's rows).
 */
function fixSigns(c: Case, outs: number[][], truth: number[][]): void {
  const spec: Record<string, [number, number | null] | undefined> = { qr: [0, 1], svd: [0, 2], eigh: [1, null] };
  const s = spec[c.fn];
  if (!s) return;
  const [vi, pi] = s;
  const shape = c.truth[vi].shape;
  const rows = shape[shape.length - 2];
  const cols = shape[shape.length - 1];
  const per = rows * cols;
  const pShape = pi === null ? null : c.truth[pi].shape;
  const pCols = pShape ? pShape[pShape.length - 1] : 0;
  const pPer = pShape ? pShape[pShape.length - 2] * pCols : 0;
  for (let b = 0; b < truth[vi].length / per; b++) {
    for (let j = 0; j < cols; j++) {
      let at = 0;
      for (let i = 1; i < rows; i++) if (Math.abs(truth[vi][b * per + i * cols + j]) > Math.abs(truth[vi][b * per + at * cols + j])) at = i;
      for (const side of [outs, truth]) {
        if (!(side[vi][b * per + at * cols + j] < 0)) continue;
        for (let i = 0; i < rows; i++) side[vi][b * per + i * cols + j] *= -1;
        if (pi !== null) for (let k = 0; k < pCols; k++) side[pi][b * pPer + j * pCols + k] *= -1;
      }
    }
  }
}

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return worst / (scale || 1);
}

type Row = { jaxVsTruth: number; cpuVsTruth: number; cpuVsJax: number; gpuVsTruth: number };
const table = new Map<string, Row>();

async function measure(c: Case, device: "cpu" | "webgpu"): Promise<{ vsTruth: number; vsJax: number; jaxVsTruth: number }> {
  const outs = FNS[c.fn](c.args.map((a) => input(a, device)));
  expect(outs.length).toBe(c.truth.length);
  const got = await Promise.all(outs.map(async (o, k) => {
    expect(o.shape).toEqual(c.truth[k].shape);
    expect(o.dtype).toBe("float32");
    return globalThis.Array.from(await o.data(), Number);
  }));
  const truth = c.truth.map((t) => globalThis.Array.from(decode(t)));
  const jax = c.jax32.map((t) => globalThis.Array.from(decode(t), Number));
  const truthForJax = truth.map((t) => t.slice());
  fixSigns(c, got, truth);
  fixSigns(c, jax, truthForJax);
  // got against JAX's float32: both already carry their truth's signs
  let vsTruth = 0, vsJax = 0, jaxVsTruth = 0;
  got.forEach((g, k) => {
    vsTruth = Math.max(vsTruth, relErr(g, truth[k]));
    vsJax = Math.max(vsJax, relErr(g, jax[k]));
    jaxVsTruth = Math.max(jaxVsTruth, relErr(jax[k], truthForJax[k]));
  });
  return { vsTruth, vsJax, jaxVsTruth };
}

const name = (c: Case) => `${c.fn} · ${c.kind} · ${c.args.map((a) => `[${a.shape}]`).join(" ")}`;
const row = (c: Case) => table.get(name(c)) ?? { jaxVsTruth: NaN, cpuVsTruth: NaN, cpuVsJax: NaN, gpuVsTruth: NaN };

describe("float32 accuracy against JAX (CPU)", () => {
  it.each(fixture.cases.map((c) => [name(c), c] as const))("%s", (_n, c) => onCpuAsync(async () => {
    const m = await measure(c, "cpu");
    // JAX's float32 is itself near the truth: a broken comparison (a sign not fixed) cannot hide behind it
    expect(m.jaxVsTruth).toBeLessThan(1e-2);
    table.set(name(c), { ...row(c), jaxVsTruth: m.jaxVsTruth, cpuVsTruth: m.vsTruth, cpuVsJax: m.vsJax });
    expect(m.vsTruth, `jaxon ${m.vsTruth}, JAX ${m.jaxVsTruth}`).toBeLessThanOrEqual(Math.max(2 * m.jaxVsTruth, 2e-5));
  }));
});

describe.skipIf(!hasGpu)("float32 accuracy against JAX (WebGPU)", () => {
  it.each(fixture.cases.map((c) => [name(c), c] as const))("%s", async (_n, c) => {
    const m = await measure(c, "webgpu");
    table.set(name(c), { ...row(c), gpuVsTruth: m.vsTruth });
    expect(m.vsTruth, `jaxon WebGPU ${m.vsTruth}, JAX ${m.jaxVsTruth}`).toBeLessThanOrEqual(Math.max(8 * m.jaxVsTruth, 2e-4));
  });
});

afterAll(() => {
  const f = (x: number) => (Number.isNaN(x) ? "–" : x.toExponential(1));
  const lines = [
    `| function | input | JAX float32 vs float64 | jaxon CPU vs float64 | jaxon CPU vs JAX float32 | jaxon WebGPU vs float64 |`,
    `|---|---|--:|--:|--:|--:|`,
    ...fixture.cases.map((c) => {
      const r = row(c);
      const shape = c.args[0].shape.join("×");
      return `| ${c.fn} | ${c.kind} ${shape} | ${f(r.jaxVsTruth)} | ${f(r.cpuVsTruth)} | ${f(r.cpuVsJax)} | ${f(r.gpuVsTruth)} |`;
    }),
  ];
  console.log(`linalg float32 accuracy (max |error| / max |float64 truth| per output), JAX ${fixture.jax}:\n${lines.join("\n")}`);
});
