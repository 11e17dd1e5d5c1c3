/**
 * WebGPU's workgroup-parallel Householder QR (src/backend/webgpu/
 * linalg-qr-workgroup.ts: one workgroup per matrix, from
 * gpuQrPaths.workgroupMinN on) against independent references:
 * - the CPU's qr (float64-accumulated, LAPACK's signs) on the same float32
 *   data, within float32 tolerance, for n = 32, 33, 64, 100, tall and wide
 *   matrices, full and reduced, and batches;
 * - identities on what the GPU returns, computed in float64 here: Q·R = A,
 *   QᵀQ = I, R upper triangular;
 * - the one-thread-per-matrix kernel of linalg.ts (the old path) on the
 *   same device;
 * - a zero column (τ = 0) and a rank-deficient matrix;
 * - grad through qr on WebGPU against the CPU's grad.
 * Each case checks that the workgroup kernel ran (its dispatch counter).
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { afterEach, describe, expect, it } from "vitest";
import { grad, lax, np, type Value } from "../src/index.js";
import { gpuQrPaths, QR_STAGED_ROWS, qrWorkgroupStats } from "../src/backend/webgpu/linalg-qr-workgroup.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { rand } from "./helpers.js";

const hasGpu = await probeWebGPU("linalg-webgpu-workgroup.test.ts");
const L = lax.linalg;
const DEFAULT_MIN = gpuQrPaths.workgroupMinN;

const read = async (x: Value) => Array.from(await x.data(), Number);

/** max |g − c| / max(1, max |c|). */
async function expectSame(gpu: Value, cpu: Value, tol: number, what: string) {
  expect(gpu.shape, what).toEqual(cpu.shape);
  expect((gpu as { device?: string }).device, what).toBe("webgpu");
  const g = await read(gpu);
  const c = await read(cpu);
  const scale = Math.max(1, ...c.map(Math.abs));
  let err = 0;
  g.forEach((v, i) => (err = Math.max(err, Math.abs(v - c[i]) / scale)));
  expect(err, what).toBeLessThan(tol);
}

/** Counts the workgroup kernel's dispatches during `f`. */
async function dispatchesOf<T>(f: () => Promise<T>): Promise<[T, number]> {
  const before = qrWorkgroupStats.dispatches;
  const out = await f();
  return [out, qrWorkgroupStats.dispatches - before];
}

/** Per matrix of the batch: max |Q·R − A| / max(1, |A|), max |QᵀQ − I|, max |R below the diagonal|; float64 here. */
function identities(q: number[], r: number[], a: number[], batch: number, m: number, n: number, cols: number) {
  let qr = 0;
  let orth = 0;
  let lower = 0;
  for (let b = 0; b < batch; b++) {
    const Q = (i: number, c: number) => q[b * m * cols + i * cols + c];
    const R = (i: number, c: number) => r[b * cols * n + i * n + c];
    const scale = Math.max(1, ...a.slice(b * m * n, (b + 1) * m * n).map(Math.abs));
    for (let i = 0; i < m; i++) for (let c = 0; c < n; c++) {
      let s = 0;
      for (let p = 0; p < cols; p++) s += Q(i, p) * R(p, c);
      qr = Math.max(qr, Math.abs(s - Math.fround(a[b * m * n + i * n + c])) / scale);
    }
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let p = 0; p < m; p++) s += Q(p, i) * Q(p, j);
      orth = Math.max(orth, Math.abs(s - (i === j ? 1 : 0)));
    }
    for (let i = 0; i < cols; i++) for (let c = 0; c < Math.min(i, n); c++) lower = Math.max(lower, Math.abs(R(i, c)));
  }
  return { qr, orth, lower };
}

describe.skipIf(!hasGpu)("workgroup QR on WebGPU", () => {
  afterEach(() => {
    gpuQrPaths.workgroupMinN = DEFAULT_MIN;
  });

  it("the sizes tested take the workgroup kernel, the small ones the per-thread one", async () => {
    expect(DEFAULT_MIN).toBe(32);
    // the 3100-row case reads its reflectors from the matrix, the others from workgroup memory
    expect(3100 - 1).toBeGreaterThan(QR_STAGED_ROWS);
    const small = onBothDevices(rand(31 * 31, 5), [31, 31]);
    const [, none] = await dispatchesOf(() => read(L.qr(small.g)[1]));
    expect(none).toBe(0);
    const big = onBothDevices(rand(32 * 32, 5), [32, 32]);
    const [, one] = await dispatchesOf(() => read(L.qr(big.g)[1]));
    expect(one).toBe(1);
  });

  const shapes: [string, number[]][] = [
    ["32×32", [32, 32]],
    ["33×33", [33, 33]],
    ["64×64", [64, 64]],
    ["100×100", [100, 100]],
    ["100×40 tall", [100, 40]],
    ["40×100 wide", [40, 100]],
    ["300×7 tall, few columns", [300, 7]],
    ["3100×33 tall, the reflector too long for workgroup memory", [3100, 33]],
    ["batch 3 × 48×48", [3, 48, 48]],
    ["batch 2 × 70×36", [2, 70, 36]],
  ];
  for (const [name, shape] of shapes) {
    // (3100×3100 full Q would test nothing more, slowly)
    for (const fullMatrices of shape[shape.length - 2] > 1000 ? [false] : [false, true]) {
      it(`qr ${name} full=${fullMatrices}: GPU == CPU, Q·R = A, QᵀQ = I`, async () => {
        const [m, n] = shape.slice(-2);
        const batch = shape.length === 3 ? shape[0] : 1;
        const cols = fullMatrices ? m : Math.min(m, n);
        const vals = rand(batch * m * n, m * 7 + n);
        const a = onBothDevices(vals, shape);
        const [[qg, rg], ran] = await dispatchesOf(async () => {
          const out = L.qr(a.g, { fullMatrices });
          await read(out[1]);
          return out;
        });
        expect(ran).toBe(1);
        const [qc, rc] = onCpu(() => L.qr(a.c, { fullMatrices }));
        expect(qg.shape).toEqual([...shape.slice(0, -2), m, cols]);
        await expectSame(qg, qc, 2e-4, "Q");
        await expectSame(rg, rc, 2e-4, "R");
        const e = identities(await read(qg), await read(rg), vals, batch, m, n, cols);
        expect(e.qr, "Q·R − A").toBeLessThan(1e-5);
        expect(e.orth, "QᵀQ − I").toBeLessThan(1e-5);
        expect(e.lower).toBe(0);
      });
    }
  }

  it("equals the one-thread-per-matrix kernel on the same device (100×60, full)", async () => {
    const a = onBothDevices(rand(100 * 60, 9), [100, 60]);
    const [qn, rn] = L.qr(a.g, { fullMatrices: true });
    await read(rn);
    gpuQrPaths.workgroupMinN = Infinity;
    const [[qo, ro], ran] = await dispatchesOf(async () => {
      const out = L.qr(a.g, { fullMatrices: true });
      await read(out[1]);
      return out;
    });
    expect(ran).toBe(0);
    await expectSame(qn, qo, 1e-4, "Q new vs old");
    await expectSame(rn, ro, 1e-4, "R new vs old");
  });

  it("a zero column (τ = 0) and a rank-deficient matrix: GPU == CPU", async () => {
    const n = 40;
    const z = rand(n * n, 11);
    for (let i = 0; i < n; i++) z[i * n + 3] = 0;
    // rank 5: a product of 40×5 and 5×40
    const u = rand(n * 5, 12);
    const v = rand(5 * n, 13);
    const low = Array.from({ length: n * n }, (_, e) => {
      let s = 0;
      for (let p = 0; p < 5; p++) s += u[Math.floor(e / n) * 5 + p] * v[p * n + (e % n)];
      return s;
    });
    for (const [what, vals] of [["zero column", z], ["rank 5", low]] as const) {
      const a = onBothDevices(vals, [n, n]);
      const [qg, rg] = L.qr(a.g);
      const [qc, rc] = onCpu(() => L.qr(a.c));
      // R is what the factorization determines; Q's columns past the rank are any orthonormal completion
      await expectSame(rg, rc, 2e-4, `R ${what}`);
      const e = identities(await read(qg), await read(rg), vals, 1, n, n, n);
      expect(e.qr, `Q·R − A ${what}`).toBeLessThan(1e-5);
      expect(e.orth, `QᵀQ − I ${what}`).toBeLessThan(1e-5);
      if (what === "zero column") await expectSame(qg, qc, 2e-4, `Q ${what}`);
    }
  });

  it("grad through qr (Q and R) on WebGPU == the CPU's grad, n = 36 and 50×34", async () => {
    for (const [m, n] of [[36, 36], [50, 34]]) {
      const k = Math.min(m, n);
      const a = onBothDevices(rand(m * n, m + n), [m, n]);
      const cq = onBothDevices(rand(m * k, 21), [m, k]);
      const cr = onBothDevices(rand(k * n, 22), [k, n]);
      const f = (wq: Value, wr: Value) => (x: Value) => {
        const [q, r] = L.qr(x);
        return np.sum(q.mul(wq)).add(np.sum(r.mul(wr)));
      };
      const [gg, ran] = await dispatchesOf(async () => {
        const g = grad(f(cq.g, cr.g))(a.g) as Value;
        await read(g);
        return g;
      });
      expect(ran).toBeGreaterThanOrEqual(1);
      await expectSame(gg, onCpu(() => grad(f(cq.c, cr.c))(a.c) as Value), 5e-4, `grad ${m}×${n}`);
    }
  });
});
