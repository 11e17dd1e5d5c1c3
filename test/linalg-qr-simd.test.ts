/**
 * The CPU's float32 blocked Householder QR (src/backend/cpu/linalg-qr-blocked.ts
 * with float32 storage: from linalgPaths.qrMinKFloat32 on, the trailing
 * products through the Wasm SIMD float32 matmul, as LAPACK's sgeqrf), through
 * the public API, checked with float64 JS loops written here:
 * - Q·R = A and QᵀQ = I within 3× what JAX's float32 QR (LAPACK sgeqrf/sorgqr)
 *   gives on the same matrices (fixture: test/fixtures/linalg-qr-simd/generate.py
 *   → jax.json, JAX 0.10.2, the errors measured there as here);
 * - Q and R within float32 rounding of the float64 factorization of the same
 *   input (jaxon's unblocked float64 QR), and R's diagonal signs as both it
 *   and JAX give them;
 * - tall, wide, square (reduced and complete), sizes around the panel width
 *   (32) and the switch size, a batch;
 * - qrBlockedCounts.simdProducts counts the products the SIMD kernel computed.
 */
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defaultDevice, np } from "../src/index.js";
import { linalgPaths } from "../src/backend/cpu/linalg.js";
import { QR_NB, qrBlockedCounts } from "../src/backend/cpu/linalg-qr-blocked.js";
import { setWasmMatmulEnabled } from "../src/backend/cpu/matmul-wasm.js";
import { arr, rand, values } from "./helpers.js";

interface Case {
  batch: number;
  m: number;
  n: number;
  seed: number;
  mode: "reduced" | "complete";
  recon: number;
  ortho: number;
  vsF64R: number;
  vsF64Q: number;
  signs: number[];
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/linalg-qr-simd/jax.json", import.meta.url), "utf8")) as { jax: string; cases: Case[] };

let previous: ReturnType<typeof defaultDevice>;
const saved = { ...linalgPaths };
beforeAll(() => {
  previous = defaultDevice();
  defaultDevice("cpu");
});
afterAll(() => void defaultDevice(previous));
afterEach(() => void Object.assign(linalgPaths, saved));

const maxAbs = (x: ArrayLike<number>, o = 0, len = x.length - o) => {
  let m = 0;
  for (let i = o; i < o + len; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
};

/** The float32 and float64 factors of one case's input (rounded to float32 for both), and the input itself. */
function factor(c: Case, float32Blocked: boolean) {
  const shape = c.batch === 1 ? [c.m, c.n] : [c.batch, c.m, c.n];
  const a32 = arr(rand(c.batch * c.m * c.n, c.seed), "float32", shape);
  const a = values(a32);
  const before = qrBlockedCounts.simdProducts;
  Object.assign(linalgPaths, { qrMinKFloat32: float32Blocked ? 0 : Infinity });
  const [q, r] = np.linalg.qr(a32, c.mode).map(values);
  const simd = qrBlockedCounts.simdProducts - before;
  Object.assign(linalgPaths, { qrMinK: Infinity }); // the float64 reference: the unblocked loops
  const [q64, r64] = np.linalg.qr(arr(a, "float64", shape), c.mode).map(values);
  return { a, q, r, q64, r64, simd };
}

/** The errors generate.py measures on JAX's factors, measured the same way (the worst matrix of a batch). */
function errors(c: Case, f: ReturnType<typeof factor>) {
  const { m, n } = c;
  const cols = c.mode === "complete" ? m : Math.min(m, n);
  const k = Math.min(m, n);
  let recon = 0, ortho = 0, vsF64R = 0, vsF64Q = 0;
  const signs: number[] = [];
  const r64Signs: number[] = [];
  for (let b = 0; b < c.batch; b++) {
    const ao = b * m * n, qo = b * m * cols, ro = b * cols * n;
    let worst = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < cols; p++) s += f.q[qo + i * cols + p] * f.r[ro + p * n + j];
        worst = Math.max(worst, Math.abs(s - f.a[ao + i * n + j]));
      }
    }
    recon = Math.max(recon, worst / maxAbs(f.a, ao, m * n));
    for (let i = 0; i < cols; i++) {
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let p = 0; p < m; p++) s += f.q[qo + p * cols + i] * f.q[qo + p * cols + j];
        ortho = Math.max(ortho, Math.abs(s - (i === j ? 1 : 0)));
      }
    }
    let dr = 0;
    for (let i = 0; i < cols * n; i++) dr = Math.max(dr, Math.abs(f.r[ro + i] - f.r64[ro + i]));
    vsF64R = Math.max(vsF64R, dr / maxAbs(f.r64, ro, cols * n));
    for (let i = 0; i < m * cols; i++) vsF64Q = Math.max(vsF64Q, Math.abs(f.q[qo + i] - f.q64[qo + i]));
    for (let i = 0; i < k; i++) {
      signs.push(Math.sign(f.r[ro + i * n + i]));
      r64Signs.push(Math.sign(f.r64[ro + i * n + i]));
    }
  }
  return { recon, ortho, vsF64R, vsF64Q, signs, r64Signs };
}

describe("float32 blocked QR through the Wasm SIMD matmul (CPU)", () => {
  it("the fixture is JAX's, and its sizes straddle the panel width", () => {
    expect(fixture.jax).toMatch(/^0\.\d+/);
    expect(fixture.cases.some((c) => Math.min(c.m, c.n) % QR_NB !== 0)).toBe(true);
  });

  it.each(fixture.cases.map((c) => [`${c.batch}×${c.m}×${c.n} ${c.mode}`, c] as const))("%s: Q·R = A, QᵀQ = I as JAX's float32; float64's factors and R's signs", (_name, c) => {
    const f = factor(c, true);
    const e = errors(c, f);
    console.log(`${_name}: jaxon recon ${e.recon.toExponential(2)} ortho ${e.ortho.toExponential(2)} |R−R64| ${e.vsF64R.toExponential(2)} |Q−Q64| ${e.vsF64Q.toExponential(2)}; JAX ${c.recon.toExponential(2)} ${c.ortho.toExponential(2)} ${c.vsF64R.toExponential(2)} ${c.vsF64Q.toExponential(2)}`);
    expect(f.simd).toBeGreaterThan(0); // the SIMD kernel computed the products
    expect(e.recon).toBeLessThan(3 * c.recon);
    expect(e.ortho).toBeLessThan(3 * c.ortho);
    // against float64 the difference is float32 rounding amplified by the conditioning, JAX's order but not its bits
    expect(e.vsF64R).toBeLessThan(4 * c.vsF64R);
    expect(e.vsF64Q).toBeLessThan(4 * c.vsF64Q);
    expect(e.vsF64R).toBeGreaterThan(0); // float32 storage: its rounding shows (float64 would agree to ~1e-15 in Q too)
    expect(e.signs).toEqual(e.r64Signs);
    expect(e.signs).toEqual(c.signs);
  });

  const square = (n: number, seed: number, dtype: "float32" | "float64") => arr(rand(n * n, seed), dtype, [n, n]);
  /** max |Q·R − A| / max |A| for an n×n reduced QR. */
  const reconError = (a: number[], q: number[], r: number[], n: number) => {
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p <= j; p++) s += q[i * n + p] * r[p * n + j];
        worst = Math.max(worst, Math.abs(s - a[i * n + j]));
      }
    }
    return worst / maxAbs(a);
  };

  it("the default switch sizes: float32 blocked through SIMD from qrMinKFloat32 on, not below; float64 untouched", () => {
    const k = linalgPaths.qrMinKFloat32;
    expect(k).toBeLessThan(linalgPaths.qrMinK); // the SIMD products pay off sooner than float64's JS ones
    let before = qrBlockedCounts.simdProducts;
    const x = square(k, 3, "float32");
    const [q, r] = np.linalg.qr(x).map(values);
    expect(qrBlockedCounts.simdProducts).toBeGreaterThan(before);
    expect(reconError(values(x), q, r, k)).toBeLessThan(5e-6);
    before = qrBlockedCounts.simdProducts;
    np.linalg.qr(square(k - 1, 3, "float32"));
    np.linalg.qr(square(k, 3, "float64"));
    expect(qrBlockedCounts.simdProducts).toBe(before); // unblocked below the switch; float64 never through SIMD
    const x64 = square(k, 4, "float64");
    const [q64, r64] = np.linalg.qr(x64).map(values);
    expect(reconError(values(x64), q64, r64, k)).toBeLessThan(1e-14); // float64 keeps float64's rounding
  });

  it("with the Wasm kernel off, the same algorithm in JavaScript products, the same accuracy", () => {
    const c = fixture.cases[0];
    const was = setWasmMatmulEnabled(false);
    try {
      const f = factor(c, true);
      expect(f.simd).toBe(0);
      const e = errors(c, f);
      expect(e.recon).toBeLessThan(3 * c.recon);
      expect(e.ortho).toBeLessThan(3 * c.ortho);
      expect(e.signs).toEqual(c.signs);
    } finally {
      setWasmMatmulEnabled(was);
    }
  });
});
