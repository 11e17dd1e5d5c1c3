/**
 * WebGPU's workgroup-parallel one-sided Jacobi SVD (src/backend/webgpu/
 * linalg-svd-workgroup.ts: one workgroup per matrix, from
 * gpuSvdPaths.workgroupMinK = min(m, n) on) against independent references:
 * - the CPU's svd (float64-accumulated bidiagonalization + Golub–Kahan QR, a
 *   different algorithm) on the same float32 data: singular values within
 *   1e-5 of the largest, U's and V's columns equal up to the sign of each
 *   (u_j, v_j) pair where σ_j is separated from the others, for 32, 33, 64,
 *   100, tall and wide matrices, full and reduced, and batches;
 * - identities computed in float64 here on what the GPU returns: U·S·Vᵀ = A,
 *   UᵀU = I and VᵀV = I (full matrices included);
 * - a rank-deficient matrix, a zero matrix, a NaN input, computeUv = false,
 *   and the one-thread-per-matrix kernel of linalg.ts on the same device;
 * - jvp through svd on WebGPU against the CPU's jvp.
 * Each case checks that the workgroup kernel ran (its dispatch counter).
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { afterEach, describe, expect, it } from "vitest";
import { jvp, lax, type Value } from "../src/index.js";
import { gpuSvdPaths, svdWorkgroupStats } from "../src/backend/webgpu/linalg-svd-workgroup.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { rand } from "./helpers.js";

const hasGpu = await probeWebGPU("linalg-webgpu-svd-workgroup.test.ts");
const L = lax.linalg;
const DEFAULT_MIN = gpuSvdPaths.workgroupMinK;

const read = async (x: Value) => Array.from(await x.data(), Number);

/** The workgroup kernel's dispatches during `f`. */
async function dispatchesOf<T>(f: () => Promise<T>): Promise<[T, number]> {
  const before = svdWorkgroupStats.dispatches;
  const out = await f();
  return [out, svdWorkgroupStats.dispatches - before];
}

type Svd = { u: number[]; s: number[]; vt: number[] };
const readSvd = async ([u, s, vt]: Value[]): Promise<Svd> => ({ u: await read(u), s: await read(s), vt: await read(vt) });

/**
 * For each matrix of the batch, in float64: max |U·S·Vᵀ − A| / σ_max (the backward error),
 * max |UᵀU − I|, max |VVᵀ − I|
 * (U m×uc, Vᵀ vr×n; the product over the first k = min(m, n) columns).
 */
function identities(r: Svd, a: number[], batch: number, m: number, n: number, uc: number, vr: number) {
  const k = Math.min(m, n);
  let usv = 0;
  let uOrth = 0;
  let vOrth = 0;
  for (let b = 0; b < batch; b++) {
    const U = (i: number, c: number) => r.u[b * m * uc + i * uc + c];
    const Vt = (c: number, j: number) => r.vt[b * vr * n + c * n + j];
    const scale = Math.max(1e-30, r.s[b * k]);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let t = 0;
      for (let p = 0; p < k; p++) t += U(i, p) * r.s[b * k + p] * Vt(p, j);
      usv = Math.max(usv, Math.abs(t - Math.fround(a[b * m * n + i * n + j])) / scale);
    }
    for (let i = 0; i < uc; i++) for (let j = 0; j < uc; j++) {
      let t = 0;
      for (let p = 0; p < m; p++) t += U(p, i) * U(p, j);
      uOrth = Math.max(uOrth, Math.abs(t - (i === j ? 1 : 0)));
    }
    for (let i = 0; i < vr; i++) for (let j = 0; j < vr; j++) {
      let t = 0;
      for (let p = 0; p < n; p++) t += Vt(i, p) * Vt(j, p);
      vOrth = Math.max(vOrth, Math.abs(t - (i === j ? 1 : 0)));
    }
  }
  return { usv, uOrth, vOrth };
}

/** max |σ_gpu − σ_cpu| / σ_max over the batch. */
function singularValueError(g: number[], c: number[], batch: number, k: number): number {
  let err = 0;
  for (let b = 0; b < batch; b++) {
    const scale = Math.max(1e-30, ...c.slice(b * k, (b + 1) * k).map(Math.abs));
    for (let j = 0; j < k; j++) err = Math.max(err, Math.abs(g[b * k + j] - c[b * k + j]) / scale);
  }
  return err;
}

/**
 * The GPU's (u_j, v_j) against the CPU's for each σ_j separated by more than `gap`·σ_max from the
 * others (and from 0): the sign of ⟨u_gpu, u_cpu⟩ taken for both vectors, the largest difference; and
 * how many columns were compared. `tangents` compares two more pairs (the jvp's dU, dVᵀ) with the
 * primal's sign.
 */
function vectorError(g: Svd, c: Svd, batch: number, m: number, n: number, uc: number, vr: number, gap: number, tangents?: [Svd, Svd]) {
  const k = Math.min(m, n);
  let err = 0;
  let dotErr = 0;
  let compared = 0;
  for (let b = 0; b < batch; b++) {
    const s = c.s.slice(b * k, (b + 1) * k);
    const smax = Math.max(...s);
    for (let j = 0; j < k; j++) {
      const sep = Math.min(s[j], ...s.filter((_, i) => i !== j).map((v) => Math.abs(v - s[j])));
      if (!(sep > gap * smax)) continue;
      compared++;
      const u = (x: Svd, i: number) => x.u[b * m * uc + i * uc + j];
      const v = (x: Svd, i: number) => x.vt[b * vr * n + j * n + i];
      let dot = 0;
      for (let i = 0; i < m; i++) dot += u(g, i) * u(c, i);
      dotErr = Math.max(dotErr, Math.abs(Math.abs(dot) - 1));
      const sign = Math.sign(dot);
      const pairs: [Svd, Svd][] = [[g, c], ...(tangents ? [tangents] : [])];
      for (const [x, y] of pairs) {
        for (let i = 0; i < m; i++) err = Math.max(err, Math.abs(sign * u(x, i) - u(y, i)));
        for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(sign * v(x, i) - v(y, i)));
      }
    }
  }
  return { err, dotErr, compared };
}

describe.skipIf(!hasGpu)("workgroup SVD on WebGPU", () => {
  afterEach(() => {
    gpuSvdPaths.workgroupMinK = DEFAULT_MIN;
  });

  it("min(m, n) = 31 takes the per-thread kernel, 32 the workgroup one", async () => {
    expect(DEFAULT_MIN).toBe(32);
    for (const [m, n, runs] of [[31, 31, 0], [31, 45, 0], [45, 31, 0], [32, 32, 1], [32, 45, 1], [45, 32, 1]]) {
      const a = onBothDevices(rand(m * n, m + n), [m, n]);
      const [, ran] = await dispatchesOf(() => read(L.svd(a.g)[1]));
      expect(ran, `${m}×${n}`).toBe(runs);
    }
  });

  const shapes: [string, number[]][] = [
    ["32×32", [32, 32]],
    ["33×33", [33, 33]],
    ["64×64", [64, 64]],
    ["100×100", [100, 100]],
    ["100×40 tall", [100, 40]],
    ["40×100 wide", [40, 100]],
    ["600×33 tall, columns split over invocations", [600, 33]],
    ["batch 3 × 48×48", [3, 48, 48]],
    ["batch 2 × 70×36", [2, 70, 36]],
    ["batch 2 × 36×70", [2, 36, 70]],
  ];
  for (const [name, shape] of shapes) {
    for (const fullMatrices of shape[shape.length - 2] > 300 ? [false] : [false, true]) {
      it(`svd ${name} full=${fullMatrices}: GPU == CPU (σ, vectors up to sign), U·S·Vᵀ = A, UᵀU = I, VᵀV = I`, async () => {
        const [m, n] = shape.slice(-2);
        const batch = shape.length === 3 ? shape[0] : 1;
        const k = Math.min(m, n);
        const [uc, vr] = fullMatrices ? [m, n] : [k, k];
        const vals = rand(batch * m * n, m * 5 + n);
        const a = onBothDevices(vals, shape);
        const [out, ran] = await dispatchesOf(async () => {
          const r = L.svd(a.g, { fullMatrices });
          await read(r[1]);
          return r;
        });
        expect(ran).toBe(1);
        expect(out[0].shape).toEqual([...shape.slice(0, -2), m, uc]);
        expect(out[2].shape).toEqual([...shape.slice(0, -2), vr, n]);
        for (const x of out) expect((x as { device?: string }).device).toBe("webgpu");
        const g = await readSvd(out);
        const c = await readSvd(onCpu(() => L.svd(a.c, { fullMatrices })));
        expect(singularValueError(g.s, c.s, batch, k), "σ").toBeLessThan(1e-5);
        expect(g.s.every((v, i) => i % k === 0 || v <= g.s[i - 1]), "σ descending").toBe(true);
        // (a vector's error grows as its σ's distance to the others shrinks: compared from 2e-3·σ_max apart)
        const vec = vectorError(g, c, batch, m, n, uc, vr, 2e-3);
        expect(vec.compared, "separated σ to compare").toBeGreaterThan((batch * k) / 4);
        expect(vec.dotErr, "|⟨u_gpu, u_cpu⟩| − 1").toBeLessThan(1e-4);
        expect(vec.err, "u, v up to sign").toBeLessThan(2e-4);
        const e = identities(g, vals, batch, m, n, uc, vr);
        expect(e.usv, "U·S·Vᵀ − A").toBeLessThan(1e-5);
        expect(e.uOrth, "UᵀU − I").toBeLessThan(1e-5);
        // (V is the product of some 5n² rotations in float32, as in the one-thread kernel: ~1e-5 at n = 64, 2e-5 at 100)
        expect(e.vOrth, "VVᵀ − I").toBeLessThan(5e-5);
      });
    }
  }

  it("a rank-5 40×40 and a zero 40×36: σ as the CPU's, U·S·Vᵀ = A, U and V orthonormal (full)", async () => {
    const n = 40;
    const u = rand(n * 5, 12);
    const v = rand(5 * n, 13);
    const low = Array.from({ length: n * n }, (_, e) => {
      let s = 0;
      for (let p = 0; p < 5; p++) s += u[Math.floor(e / n) * 5 + p] * v[p * n + (e % n)];
      return s;
    });
    for (const [what, vals, m, cols] of [["rank 5", low, n, n], ["zero", new Array(40 * 36).fill(0), 40, 36]] as const) {
      const a = onBothDevices(vals, [m, cols]);
      const [out, ran] = await dispatchesOf(async () => {
        const r = L.svd(a.g);
        await read(r[1]);
        return r;
      });
      expect(ran).toBe(1);
      const g = await readSvd(out);
      const c = await readSvd(onCpu(() => L.svd(a.c)));
      const k = Math.min(m, cols);
      if (what === "zero") {
        expect(g.s).toEqual(new Array(k).fill(0));
        expect(c.s).toEqual(new Array(k).fill(0));
      } else {
        expect(singularValueError(g.s, c.s, 1, k), `σ ${what}`).toBeLessThan(1e-5);
        // exactly five are not round-off
        expect(g.s.filter((s) => s > 1e-4 * g.s[0]).length).toBe(5);
      }
      const e = identities(g, vals, 1, m, cols, m, cols);
      expect(e.usv, `U·S·Vᵀ − A ${what}`).toBeLessThan(1e-5);
      expect(e.uOrth, `UᵀU − I ${what}`).toBeLessThan(1e-5);
      expect(e.vOrth, `VVᵀ − I ${what}`).toBeLessThan(1e-5);
      if (what === "rank 5") {
        const vec = vectorError(g, c, 1, m, cols, m, cols, 1e-2);
        expect(vec.compared).toBe(5);
        expect(vec.err, "the five pairs up to sign").toBeLessThan(2e-4);
      }
    }
  });

  it("a NaN in one matrix of a batch of 2 × 40×34: that matrix's outputs all NaN, the other's not, as the CPU", async () => {
    const vals = rand(2 * 40 * 34, 5);
    vals[40 * 34 + 7 * 34 + 3] = NaN;
    const a = onBothDevices(vals, [2, 40, 34]);
    for (const fullMatrices of [false, true]) {
      const g = await readSvd(L.svd(a.g, { fullMatrices }));
      const c = await readSvd(onCpu(() => L.svd(a.c, { fullMatrices })));
      for (const key of ["s", "u", "vt"] as const) {
        const half = g[key].length / 2;
        expect(g[key].slice(half).every(Number.isNaN), `${key} second`).toBe(true);
        expect(c[key].slice(half).every(Number.isNaN), `${key} second (CPU)`).toBe(true);
        expect(g[key].slice(0, half).some(Number.isNaN), `${key} first`).toBe(false);
      }
    }
  });

  it("computeUv = false: the same σ as with U and V; equals the one-thread-per-matrix kernel (100×60)", async () => {
    const a = onBothDevices(rand(100 * 60, 9), [100, 60]);
    const [sOnly, ran] = await dispatchesOf(async () => {
      const s = L.svd(a.g, { computeUv: false });
      return read(s);
    });
    expect(ran).toBe(1);
    const withUv = await read(L.svd(a.g)[1]);
    expect(singularValueError(sOnly, withUv, 1, 60)).toBeLessThan(1e-6);
    gpuSvdPaths.workgroupMinK = Infinity;
    const [old, none] = await dispatchesOf(async () => readSvd(L.svd(a.g, { fullMatrices: false })));
    expect(none).toBe(0);
    gpuSvdPaths.workgroupMinK = DEFAULT_MIN;
    const neu = await readSvd(L.svd(a.g, { fullMatrices: false }));
    expect(singularValueError(neu.s, old.s, 1, 60), "σ new vs old").toBeLessThan(1e-5);
    expect(vectorError(neu, old, 1, 100, 60, 60, 60, 1e-2).err, "vectors new vs old up to sign").toBeLessThan(2e-4);
  });

  it("jvp through svd on WebGPU == the CPU's jvp (σ̇ exactly, U̇ and V̇ᵀ with the primal's sign), 36×36 and 50×34", async () => {
    for (const [m, n] of [[36, 36], [50, 34]]) {
      const k = Math.min(m, n);
      const a = onBothDevices(rand(m * n, m + n), [m, n]);
      const t = onBothDevices(rand(m * n, 3 * m + n), [m, n]);
      const f = (x: Value) => L.svd(x, { fullMatrices: false });
      const [[pg, tg], ran] = await dispatchesOf(async () => {
        const r = jvp(f, [a.g], [t.g]) as unknown as [Value[], Value[]];
        await read(r[1][1]);
        return r;
      });
      expect(ran).toBeGreaterThanOrEqual(1);
      const [pc, tc] = onCpu(() => jvp(f, [a.c], [t.c]) as unknown as [Value[], Value[]]);
      const [gp, gt, cp, ct] = await Promise.all([readSvd(pg), readSvd(tg), readSvd(pc), readSvd(tc)]);
      expect(singularValueError(gp.s, cp.s, 1, k), "σ").toBeLessThan(1e-5);
      const sdot = Math.max(...ct.s.map(Math.abs));
      gt.s.forEach((v, i) => expect(Math.abs(v - ct.s[i]) / sdot, `σ̇[${i}]`).toBeLessThan(1e-4));
      // U̇ has terms 1/(σ_i² − σ_j²): compared where σ_j is well separated, relative to U̇'s size
      const scale = Math.max(1, ...ct.u.map(Math.abs), ...ct.vt.map(Math.abs));
      const vec = vectorError(gp, cp, 1, m, n, k, k, 5e-3, [gt, ct]);
      expect(vec.compared, `${m}×${n} separated`).toBeGreaterThan(k / 4);
      expect(vec.err / scale, `${m}×${n} U̇, V̇ᵀ up to the primal's sign`).toBeLessThan(2e-3);
    }
  });
});
