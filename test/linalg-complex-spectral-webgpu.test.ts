/**
 * WebGPU's complex64 qr, eigh and svd (src/backend/webgpu/linalg-complex-spectral.ts)
 * give the CPU's answers within float32 tolerance on the JAX fixtures'
 * inputs (test/fixtures/linalg-complex-spectral): q and r element by element
 * (the same Householder convention), eigenvalues and singular values element
 * by element, eigenvectors and singular vectors up to one phase per column,
 * and the identities (Q·R = A, A·V = V·Λ, U·S·Vᴴ = A) on what the GPU
 * returns; a batch is one dispatch; jit == eager; NaN input gives NaNs; eig
 * of a complex matrix refuses with an UnsupportedError (CPU-only, as JAX).
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { devicePut, devicePutAsync, jit, lax, np, type Value } from "../src/index.js";
import { UnsupportedError } from "../src/errors.js";
import { onCpu, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("linalg-complex-spectral-webgpu.test.ts");

type CJson = { re: unknown; im: unknown; shape: number[] };
const fx = JSON.parse(readFileSync(new URL("./fixtures/linalg-complex-spectral/cases.json", import.meta.url), "utf8")) as {
  qr: { name: string; dtype: string; x: CJson }[];
  eigh: { name: string; dtype: string; x: CJson }[];
  svd: { name: string; dtype: string; x: CJson }[];
  eig: { name: string; dtype: string; x: CJson }[];
};
const flat = (x: unknown): number[] => (globalThis.Array.isArray(x) ? x.flatMap(flat) : [x as number]);
type C = [number, number];
const cabs = ([a, b]: C) => Math.hypot(a, b);
const csub = ([a, b]: C, [c, d]: C): C => [a - c, b - d];
const cmul = ([a, b]: C, [c, d]: C): C => [a * c - b * d, a * d + b * c];

/** The fixture's input as a complex64 CPU array. */
const cpuInput = (c: CJson) =>
  onCpu(() => lax.complex(np.reshape(np.array(flat(c.re), { dtype: "float32" }), c.shape), np.reshape(np.array(flat(c.im), { dtype: "float32" }), c.shape)));
const pairsOf = async (v: Value): Promise<C[]> => {
  const d = await v.data();
  return globalThis.Array.from({ length: d.length / 2 }, (_, i) => [d[2 * i], d[2 * i + 1]] as C);
};
const toCpu = (v: Value) => devicePutAsync(v, "cpu");
const maxAbsCpu = (v: Value) => onCpu(() => Math.max(0, ...globalThis.Array.from(np.abs(v).dataSync())));

async function expectClose(gpu: Value, cpu: Value, tol: number, what: string) {
  expect((gpu as { device?: string }).device, what).toBe("webgpu");
  expect(gpu.shape, what).toEqual(cpu.shape);
  const g = Array.from(await gpu.data(), Number);
  const c = Array.from(await cpu.data(), Number);
  const scale = Math.max(1, ...c.map(Math.abs));
  expect(Math.max(0, ...g.map((v, i) => Math.abs(v - c[i]))) / scale, what).toBeLessThan(tol);
}

/** Columns of the [batch, m, k] complex `a` equal `b`'s up to one phase each; returns the phases. */
async function expectColumnsUpToPhase(a: Value, b: Value, tol: number, what: string, skip: (b: number, j: number) => boolean = () => false): Promise<C[]> {
  const A = await pairsOf(a);
  const B = await pairsOf(b);
  const [m, k] = a.shape.slice(-2);
  const batch = A.length / (m * k);
  const phases: C[] = [];
  for (let t = 0; t < batch; t++) {
    for (let j = 0; j < k; j++) {
      const ca = globalThis.Array.from({ length: m }, (_, i) => A[t * m * k + i * k + j]);
      const cb = globalThis.Array.from({ length: m }, (_, i) => B[t * m * k + i * k + j]);
      let d: C = [0, 0];
      ca.forEach((e, i) => (d = [d[0] + cmul([cb[i][0], -cb[i][1]], e)[0], d[1] + cmul([cb[i][0], -cb[i][1]], e)[1]]));
      const ph: C = [d[0] / cabs(d), d[1] / cabs(d)];
      phases.push(ph);
      if (skip(t, j)) continue;
      expect(Math.max(...ca.map((e, i) => cabs(csub(e, cmul(ph, cb[i]))))), `${what} column ${j} of ${t}`).toBeLessThan(tol);
    }
  }
  return phases;
}

describe.skipIf(!hasGpu)("complex64 qr, eigh, svd on WebGPU == CPU", () => {
  const c64 = <T extends { dtype: string }>(cs: T[]) => cs.filter((c) => c.dtype === "complex64");

  it.each(c64(fx.qr).map((c) => [c.name, c] as const))("qr %s", async (_n, c) => {
    const xc = cpuInput(c.x);
    const xg = devicePut(xc, "webgpu");
    for (const fullMatrices of [false, true]) {
      const [qg, rg] = lax.linalg.qr(xg, { fullMatrices });
      const [qc, rc] = onCpu(() => lax.linalg.qr(xc, { fullMatrices }));
      await expectClose(qg, qc, 1e-5, "q");
      await expectClose(rg, rc, 1e-5, "r");
      const [qh, rh] = [await toCpu(qg), await toCpu(rg)];
      expect(maxAbsCpu(onCpu(() => np.subtract(np.matmul(qh, rh), xc)))).toBeLessThan(1e-5);
    }
  });

  it.each(c64(fx.eigh).map((c) => [c.name, c] as const))("eigh %s", async (_n, c) => {
    const xc = cpuInput(c.x);
    const [vg, wg] = lax.linalg.eigh(devicePut(xc, "webgpu"));
    const [vc, wc] = onCpu(() => lax.linalg.eigh(xc));
    await expectClose(wg, wc, 2e-5, "w");
    const W = Array.from(await wc.data(), Number);
    const n = xc.shape[xc.ndim - 1];
    const gap = (b: number, j: number) => Math.min(...W.slice(b * n, b * n + n).map((o, k) => (k === j ? Infinity : Math.abs(o - W[b * n + j]))));
    await expectColumnsUpToPhase(vg, vc, 1e-3, "v", (b, j) => gap(b, j) < 1e-2);
    // A·V = V·Λ on the GPU's outputs
    const v = await toCpu(vg);
    const wh = await toCpu(wg);
    const lam = onCpu(() => lax.convert(np.expandDims(wh, -2), "complex64"));
    expect(maxAbsCpu(onCpu(() => np.subtract(np.matmul(xc, v), np.multiply(v, lam))))).toBeLessThan(1e-4);
  });

  it.each(c64(fx.svd).map((c) => [c.name, c] as const))("svd %s", async (_n, c) => {
    const xc = cpuInput(c.x);
    const xg = devicePut(xc, "webgpu");
    for (const fullMatrices of [false, true]) {
      const [ug, sg, vtg] = lax.linalg.svd(xg, { fullMatrices });
      const [uc, sc, vtc] = onCpu(() => lax.linalg.svd(xc, { fullMatrices }));
      expect(ug.shape).toEqual(uc.shape);
      expect(vtg.shape).toEqual(vtc.shape);
      await expectClose(sg, sc, 2e-5, "s");
      const [m, n] = xc.shape.slice(-2);
      const k = Math.min(m, n);
      const [uh, vth, sh] = [await toCpu(ug), await toCpu(vtg), await toCpu(sg)];
      const u = onCpu(() => lax.sliceInDim(uh, 0, k, 1, ug.ndim - 1));
      const vt = onCpu(() => lax.sliceInDim(vth, 0, k, 1, vtg.ndim - 2));
      const us = onCpu(() => np.multiply(u, lax.convert(np.expandDims(sh, -2), "complex64")));
      expect(maxAbsCpu(onCpu(() => np.subtract(np.matmul(us, vt), xc)))).toBeLessThan(1e-4);
      // unitary, and U's columns the CPU's up to a phase
      const uu = uh;
      expect(maxAbsCpu(onCpu(() => np.subtract(np.matmul(np.conj(np.matrixTranspose(uu)), uu), np.eye(uu.shape[uu.ndim - 1]))))).toBeLessThan(1e-5);
      await expectColumnsUpToPhase(u, onCpu(() => lax.sliceInDim(uc, 0, k, 1, uc.ndim - 1)), 1e-3, "u");
      expect(lax.linalg.svd(xg, { computeUv: false }).shape).toEqual(sc.shape);
    }
  });

  it("jit == eager, NaN input gives NaNs", async () => {
    const c = fx.svd.find((e) => e.dtype === "complex64" && e.name.startsWith("batched"))!;
    const xg = devicePut(cpuInput(c.x), "webgpu");
    const f = (a: Value) => [...lax.linalg.qr(a), ...lax.linalg.svd(a, { fullMatrices: false })];
    const eager = f(xg);
    const jitted = jit(f)(xg) as unknown as Value[];
    for (let i = 0; i < eager.length; i++) expect(Array.from(await jitted[i].data())).toEqual(Array.from(await eager[i].data()));
    const bad = devicePut(onCpu(() => lax.complex(np.array([[NaN, 1], [1, 2]]), np.zeros([2, 2]))), "webgpu");
    const [v, w] = lax.linalg.eigh(bad);
    expect(Array.from(await w.data()).every(Number.isNaN)).toBe(true);
    expect(Array.from(await v.data()).every(Number.isNaN)).toBe(true);
    const s = lax.linalg.svd(bad, { computeUv: false });
    expect(Array.from(await s.data()).every(Number.isNaN)).toBe(true);
  });

  it("eig of a complex matrix refuses on WebGPU with an UnsupportedError naming the fix", () => {
    const xg = devicePut(cpuInput(fx.eig[0].x), "webgpu");
    let err: unknown = null;
    try {
      np.linalg.eig(xg);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedError);
    expect(String((err as Error).message)).toMatch(/devicePut\(x, "cpu"\)/);
  });
});
