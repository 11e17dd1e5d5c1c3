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
 * And the workgroup-parallel Jacobi eigh (linalg-eigh-workgroup.ts) for
 * n = 32, 33, 64, 100 and batches: eigenvalues as the CPU's, eigenvectors as
 * the CPU's up to sign (|⟨v_gpu, v_cpu⟩| = 1, distinct eigenvalues),
 * A·V = V·diag(w) and VᵀV = I in float64 here, the lower/upper triangle, a
 * NaN input, unsorted eigenvalues, and grad through eigh against the CPU's.
 * Each case checks that the workgroup kernel ran (its dispatch counter).
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { afterEach, describe, expect, it } from "vitest";
import { grad, lax, np, type Value } from "../src/index.js";
import { gpuQrPaths, QR_STAGED_ROWS, qrWorkgroupStats } from "../src/backend/webgpu/linalg-qr-workgroup.js";
import { eighWorkgroupStats, gpuEighPaths } from "../src/backend/webgpu/linalg-eigh-workgroup.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { rand } from "./helpers.js";

const hasGpu = await probeWebGPU("linalg-webgpu-workgroup.test.ts");
const L = lax.linalg;
const DEFAULT_MIN = gpuQrPaths.workgroupMinN;
const DEFAULT_EIGH_MIN = gpuEighPaths.workgroupMinN;

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

/** batch random symmetric n×n matrices (row-major). */
function symmetric(batch: number, n: number, seed: number): number[] {
  const g = rand(batch * n * n, seed);
  for (let b = 0; b < batch; b++) for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) g[b * n * n + j * n + i] = g[b * n * n + i * n + j];
  return g;
}

describe.skipIf(!hasGpu)("workgroup eigh on WebGPU", () => {
  afterEach(() => {
    gpuEighPaths.workgroupMinN = DEFAULT_EIGH_MIN;
  });

  const eighDispatches = async (f: () => Promise<unknown>) => {
    const before = eighWorkgroupStats.dispatches;
    await f();
    return eighWorkgroupStats.dispatches - before;
  };

  it("eigh of 31×31 takes the per-thread kernel, 32×32 the workgroup one", async () => {
    expect(DEFAULT_EIGH_MIN).toBe(32);
    for (const n of [31, 32]) {
      const a = onBothDevices(symmetric(1, n, n), [n, n]);
      const ran = await eighDispatches(async () => {
        await read(L.eigh(a.g)[1]);
      });
      expect(ran, `n = ${n}`).toBe(n >= 32 ? 1 : 0);
    }
  });

  for (const [name, batch, n] of [["32", 1, 32], ["33", 1, 33], ["64", 1, 64], ["100", 1, 100], ["batch 3 × 40", 3, 40]] as const) {
    it(`eigh ${name}: eigenvalues == CPU, eigenvectors == CPU up to sign, A·V = V·diag(w), VᵀV = I`, async () => {
      expect(DEFAULT_EIGH_MIN).toBe(32);
      const vals = symmetric(batch, n, 3 * n + batch);
      const shape = batch === 1 ? [n, n] : [batch, n, n];
      const a = onBothDevices(vals, shape);
      let out: Value[] = [];
      const ran = await eighDispatches(async () => {
        out = L.eigh(a.g);
        await read(out[1]);
      });
      expect(ran).toBe(1);
      const [vg, wg] = out;
      const [vc, wc] = onCpu(() => L.eigh(a.c));
      // (Jacobi in float32 against the CPU's float64-accumulated tridiagonal QR: a few ulps per sweep)
      await expectSame(wg, wc, 5e-5, "w");
      const V = await read(vg);
      const C = await read(vc);
      const w = await read(wg);
      let sign = 0;
      let resid = 0;
      let orth = 0;
      for (let b = 0; b < batch; b++) {
        const o = b * n * n;
        const scale = Math.max(...w.slice(b * n, (b + 1) * n).map(Math.abs));
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let i = 0; i < n; i++) dot += V[o + i * n + j] * C[o + i * n + j];
          sign = Math.max(sign, Math.abs(Math.abs(dot) - 1));
          for (let i = 0; i < n; i++) {
            let s = 0;
            for (let p = 0; p < n; p++) s += Math.fround(vals[o + i * n + p]) * V[o + p * n + j];
            resid = Math.max(resid, Math.abs(s - w[b * n + j] * V[o + i * n + j]) / scale);
          }
          for (let k = 0; k < n; k++) {
            let s = 0;
            for (let p = 0; p < n; p++) s += V[o + p * n + j] * V[o + p * n + k];
            orth = Math.max(orth, Math.abs(s - (j === k ? 1 : 0)));
          }
        }
      }
      expect(sign, "|<v_gpu, v_cpu>| − 1").toBeLessThan(1e-3);
      expect(resid, "A·V − V·diag(w)").toBeLessThan(2e-5);
      expect(orth, "VᵀV − I").toBeLessThan(2e-5);
    });
  }

  it("eigh reads the triangle it is told (lower and upper); unsorted, the same eigenpairs in some order", async () => {
    const n = 36;
    // not symmetric: the triangle decides
    const vals = rand(n * n, 77);
    const a = onBothDevices(vals, [n, n]);
    for (const lower of [true, false]) {
      const sym = (i: number, j: number) => (lower === i >= j ? vals[i * n + j] : vals[j * n + i]);
      const wc = await read(onCpu(() => L.eigh(a.c, { lower, symmetrizeInput: false })[1]));
      for (const sortEigenvalues of [true, false]) {
        let out: Value[] = [];
        const ran = await eighDispatches(async () => {
          out = L.eigh(a.g, { lower, symmetrizeInput: false, sortEigenvalues });
          await read(out[1]);
        });
        expect(ran).toBe(1);
        const w = await read(out[1]);
        const V = await read(out[0]);
        const what = `lower=${lower} sorted=${sortEigenvalues}`;
        // the unsorted order is the algorithm's (Jacobi's diagonal, not the CPU's QR iteration): compare as sets
        const ws = sortEigenvalues ? w : [...w].sort((x, y) => x - y);
        const scale = Math.max(1, ...wc.map(Math.abs));
        ws.forEach((v, i) => expect(Math.abs(v - wc[i]) / scale, `${what} w[${i}]`).toBeLessThan(5e-5));
        if (sortEigenvalues) expect(w).toEqual(ws);
        let resid = 0;
        for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
          let t = 0;
          for (let p = 0; p < n; p++) t += Math.fround(sym(i, p)) * V[p * n + j];
          resid = Math.max(resid, Math.abs(t - w[j] * V[i * n + j]) / scale);
        }
        expect(resid, `${what} A·V − V·diag(w)`).toBeLessThan(2e-5);
      }
    }
  });

  it("eigh of a 40×40 with a NaN: every output NaN, as the CPU", async () => {
    const vals = symmetric(1, 40, 5);
    vals[3 * 40 + 7] = NaN;
    const a = onBothDevices(vals, [40, 40]);
    const [vg, wg] = L.eigh(a.g);
    const [vc, wc] = onCpu(() => L.eigh(a.c));
    expect((await read(wg)).every(Number.isNaN)).toBe((await read(wc)).every(Number.isNaN));
    expect((await read(vg)).every(Number.isNaN)).toBe((await read(vc)).every(Number.isNaN));
    expect((await read(wg)).every(Number.isNaN)).toBe(true);
  });

  it("eigh equals the one-thread-per-matrix kernel (eigenvalues), and grad through eigh equals the CPU's (n = 34)", async () => {
    const n = 34;
    const a = onBothDevices(symmetric(1, n, 8), [n, n]);
    const wNew = L.eigh(a.g)[1];
    await read(wNew);
    gpuEighPaths.workgroupMinN = Infinity;
    const ran = await eighDispatches(async () => {
      await expectSame(wNew, L.eigh(a.g)[1], 1e-5, "w new vs old");
    });
    expect(ran).toBe(0);
    gpuEighPaths.workgroupMinN = DEFAULT_EIGH_MIN;
    const c = onBothDevices(rand(n, 9), [n]);
    // a function of the eigenvalues and of the eigenvectors' squares (sign-free)
    const f = (cw: Value) => (x: Value) => {
      const [v, w] = L.eigh(x);
      return np.sum(w.mul(cw)).add(np.sum(v.mul(v).mul(cw)));
    };
    const gg = grad(f(c.g))(a.g) as Value;
    await expectSame(gg, onCpu(() => grad(f(c.c))(a.c) as Value), 1e-3, "grad eigh");
  });
});
