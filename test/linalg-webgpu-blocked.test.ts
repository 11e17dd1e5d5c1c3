/**
 * WebGPU's blocked Cholesky and LU (src/backend/webgpu/linalg-blocked.ts,
 * from GPU_BLOCKED_MIN_N on) give the CPU's answers within float32
 * tolerance: n = 256 random and ill-conditioned (κ = 1e4) inputs, a size
 * that is not a multiple of the panel width, rectangular LU, a batch of two
 * large matrices, solve and inv through the LU, and the NaN of a matrix
 * that is not positive definite. The factors are also checked by identity
 * (P·A = L·U, L·Lᵀ = A) on what the GPU returns, and LU's pivots must be
 * the CPU's (random entries: no near-ties).
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { describe, expect, it } from "vitest";
import { lax, np, type Value } from "../src/index.js";
import { GPU_BLOCKED_MIN_N, GPU_NB } from "../src/backend/webgpu/linalg-blocked.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { rand } from "./helpers.js";

const hasGpu = await probeWebGPU("linalg-webgpu-blocked.test.ts");
const L = lax.linalg;

const read = async (x: Value) => Array.from(await x.data(), Number);

/** max |g − c| / max(1, max |c|), NaN where the CPU has NaN. */
async function expectSame(gpu: Value, cpu: Value, tol: number, what: string) {
  expect(gpu.shape, what).toEqual(cpu.shape);
  expect((gpu as { device?: string }).device, what).toBe("webgpu");
  const g = await read(gpu);
  const c = await read(cpu);
  const scale = Math.max(1, ...c.filter(Number.isFinite).map(Math.abs));
  let err = 0;
  g.forEach((v, i) => {
    if (Number.isNaN(c[i])) expect(Number.isNaN(v), `${what}[${i}]`).toBe(true);
    else err = Math.max(err, Math.abs(v - c[i]) / scale);
  });
  expect(err, what).toBeLessThan(tol);
}

/** G·Gᵀ/n + I (random SPD), or Q·diag(1 … 1/κ)·Qᵀ for a Householder Q (ill-conditioned SPD); batch of them. */
function spd(n: number, seed: number, cond = 0, batch = 1): number[] {
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    const a = new Array<number>(n * n);
    if (cond) {
      const v = rand(n, seed + b);
      const vv = v.reduce((s, x) => s + x * x, 0);
      const q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * v[i] * v[j]) / vv;
      const s = Array.from({ length: n }, (_, i) => cond ** (-i / (n - 1)));
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let t = 0;
        for (let p = 0; p < n; p++) t += q(i, p) * s[p] * q(j, p);
        a[i * n + j] = t;
      }
    } else {
      const g = rand(n * n, seed + b);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
        let t = 0;
        for (let k = 0; k < n; k++) t += g[i * n + k] * g[j * n + k];
        a[i * n + j] = a[j * n + i] = t / n + (i === j ? 1 : 0);
      }
    }
    out.push(...a);
  }
  return out;
}

/** max |(X·Y) − Z| / max(1, max |Z|), row-major. */
function productError(x: ArrayLike<number>, y: ArrayLike<number>, z: ArrayLike<number>, m: number, k: number, n: number): number {
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += x[i * k + p] * y[p * n + j];
    worst = Math.max(worst, Math.abs(s - z[i * n + j]));
    scale = Math.max(scale, Math.abs(z[i * n + j]));
  }
  return worst / scale;
}

describe.skipIf(!hasGpu)("blocked Cholesky and LU on WebGPU", () => {
  it("the sizes tested take the blocked kernels", () => {
    expect(GPU_BLOCKED_MIN_N).toBeLessThanOrEqual(80);
    expect(100 % GPU_NB).not.toBe(0);
  });

  for (const [n, cond, tol] of [[256, 0, 1e-5], [100, 0, 1e-5], [256, 1e4, 1e-4]] as const) {
    it(`cholesky ${n}×${n}${cond ? ` κ=${cond}` : ""}: GPU == CPU, L·Lᵀ = A`, async () => {
      const vals = spd(n, n + 1, cond);
      const { c, g } = onBothDevices(vals, [n, n]);
      const lg = L.cholesky(g);
      await expectSame(lg, onCpu(() => L.cholesky(c)), tol, "L");
      const l = await read(lg);
      const lt = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) lt[j * n + i] = l[i * n + j];
      expect(productError(l, lt, Float32Array.from(vals), n, n, n)).toBeLessThan(2e-6);
    });
  }

  it("cholesky of a batch of two 80×80, one not positive definite: NaN in its triangle, the other as the CPU", async () => {
    const n = 80;
    const vals = spd(n, 3, 0, 2);
    vals[n * n + 40 * n + 40] = -3;
    const { c, g } = onBothDevices(vals, [2, n, n]);
    await expectSame(L.cholesky(g), onCpu(() => L.cholesky(c)), 1e-5, "L");
  });

  for (const [m, n] of [[256, 256], [200, 130], [130, 200]] as const) {
    it(`lu ${m}×${n}: GPU == CPU (factors, pivots, permutation), P·A = L·U`, async () => {
      const vals = rand(m * n, m + 2 * n);
      const { c, g } = onBothDevices(vals, [m, n]);
      const [lug, pivg, permg] = L.lu(g);
      const [luc, pivc, permc] = onCpu(() => L.lu(c));
      expect(await read(pivg)).toEqual(await read(pivc));
      expect(await read(permg)).toEqual(await read(permc));
      await expectSame(lug, luc, 1e-4, "LU");
      const f = await read(lug);
      const p = await read(permg);
      const k = Math.min(m, n);
      const lo = new Float64Array(m * k);
      const up = new Float64Array(k * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) lo[i * k + j] = j < i ? f[i * n + j] : j === i ? 1 : 0;
      for (let i = 0; i < k; i++) for (let j = i; j < n; j++) up[i * n + j] = f[i * n + j];
      const pa = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) pa[i * n + j] = Math.fround(vals[p[i] * n + j]);
      expect(productError(lo, up, pa, m, k, n)).toBeLessThan(1e-5);
    });
  }

  it("solve 256 and inv of a batch of two 96×96 through the blocked LU: GPU == CPU", async () => {
    const n = 256;
    const a = onBothDevices(rand(n * n, 41).map((v, i) => v + (i % (n + 1) === 0 ? 4 : 0)), [n, n]);
    const b = onBothDevices(rand(n, 42), [n]);
    await expectSame(np.linalg.solve(a.g, b.g), onCpu(() => np.linalg.solve(a.c, b.c)), 1e-4, "solve");
    const m = 96;
    const x = onBothDevices(rand(2 * m * m, 43).map((v, i) => v + ((i % (m * m)) % (m + 1) === 0 ? 3 : 0)), [2, m, m]);
    await expectSame(np.linalg.inv(x.g), onCpu(() => np.linalg.inv(x.c)), 1e-4, "inv");
  });
});
