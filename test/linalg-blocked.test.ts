/**
 * The CPU's blocked LU and Cholesky (src/backend/cpu/linalg-blocked.ts: from
 * BLOCKED_MIN_N on, trailing updates through the matrix product, Wasm SIMD in
 * float32), through the public API, checked by identities computed here in
 * float64 JS loops, independent of the code under test:
 * - P·A = L·U (L unit lower with |L| ≤ 1, U upper) and L·Lᵀ = A, to ~1e-13
 *   relative in float64 and to float32 rounding in float32, on square,
 *   rectangular, sizes that are not a multiple of the panel width, and batched
 *   inputs;
 * - the same pivots as the unblocked factorization (a matrix of random
 *   entries has no near-ties);
 * - solve's backward error on an ill-conditioned (κ = 1e10) float64 system;
 * - a singular matrix gives inf/NaN and a matrix that is not positive
 *   definite gives NaN, as JAX, never a throw.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultDevice, jit, lax, np, vmap, type Value } from "../src/index.js";
import { BLOCKED_MIN_N, NB } from "../src/backend/cpu/linalg-blocked.js";
import { luInPlace } from "../src/backend/cpu/linalg.js";
import { arr, rand, values } from "./helpers.js";

let previous: ReturnType<typeof defaultDevice>;
beforeAll(() => {
  previous = defaultDevice();
  defaultDevice("cpu");
});
afterAll(() => void defaultDevice(previous));

type F = "float32" | "float64";
const rnd = (m: number, n: number, seed: number, dtype: F = "float64") => arr(rand(m * n, seed), dtype, [m, n]);

/** max |(X·Y) − Z| / max(1, max |Z|) for row-major flat matrices. */
function productError(x: ArrayLike<number>, y: ArrayLike<number>, z: ArrayLike<number>, m: number, k: number, n: number): number {
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += x[i * k + p] * y[p * n + j];
      const e = Math.abs(s - z[i * n + j]);
      worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
      scale = Math.max(scale, Math.abs(z[i * n + j]));
    }
  }
  return worst / scale;
}

/** P·A = L·U for lax.linalg.lu's outputs on an m×n input; returns the relative error and the pivots. */
function checkLu(a: Value, m: number, n: number): { err: number; pivots: number[] } {
  const [lu, piv, perm] = lax.linalg.lu(a);
  const f = values(lu);
  const p = values(perm);
  const av = values(a);
  const k = Math.min(m, n);
  const L = new Float64Array(m * k);
  const U = new Float64Array(k * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) {
      if (j < i) {
        L[i * k + j] = f[i * n + j];
        expect(Math.abs(f[i * n + j])).toBeLessThanOrEqual(1);
      } else if (j === i) L[i * k + j] = 1;
    }
  }
  for (let i = 0; i < k; i++) for (let j = i; j < n; j++) U[i * n + j] = f[i * n + j];
  const pa = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) pa[i * n + j] = av[p[i] * n + j];
  return { err: productError(L, U, pa, m, k, n), pivots: values(piv) };
}

/** The unblocked factorization's pivots (luInPlace, float64), the reference for the blocked one's. */
function unblockedPivots(a: Value, m: number, n: number): number[] {
  const w = Float64Array.from(values(a));
  const piv = new Int32Array(Math.min(m, n));
  luInPlace(w, m, n, piv, new Int32Array(m));
  return Array.from(piv);
}

describe("blocked LU (CPU)", () => {
  it("takes the blocked path at the sizes tested", () => {
    expect(BLOCKED_MIN_N).toBeLessThanOrEqual(130);
    expect(200 % NB).not.toBe(0);
  });

  for (const [m, n] of [[200, 200], [130, 230], [230, 130]] as const) {
    it(`P·A = L·U in float64 to 1e-13, ${m}×${n}, same pivots as unblocked`, () => {
      const a = rnd(m, n, m * 7 + n);
      const { err, pivots } = checkLu(a, m, n);
      expect(err).toBeLessThan(1e-13);
      expect(pivots).toEqual(unblockedPivots(a, m, n));
    });
  }

  it("P·A = L·U in float32 within float32 rounding, 200×200", () => {
    const a = rnd(200, 200, 11, "float32");
    const { err } = checkLu(a, 200, 200);
    expect(err).toBeLessThan(2e-5);
    expect(err).toBeGreaterThan(0); // float32 storage: rounding is visible (the float64 path would be ~1e-16)
  });

  it("a batch of large matrices factors each as a single call does", () => {
    const a = arr(rand(3 * 140 * 140, 5), "float64", [3, 140, 140]);
    const [lu] = lax.linalg.lu(a);
    const all = values(lu);
    for (let b = 0; b < 3; b++) {
      const one = lax.linalg.lu(lax.reshape(lax.slice(a, [b, 0, 0], [b + 1, 140, 140]), [140, 140]))[0];
      expect(all.slice(b * 140 * 140, (b + 1) * 140 * 140)).toEqual(values(one));
    }
  });

  it("solve: backward error ≤ 1e-14 on a κ = 1e10 float64 system (n = 160); float32 A·inv(A) ≈ I (n = 128)", () => {
    const n = 160;
    // A = H₁·diag(s)·H₂ with Householder reflectors H = I − 2vvᵀ/vᵀv and s from 1 to 1e-10
    const house = (seed: number) => {
      const v = rand(n, seed);
      const vv = v.reduce((s, x) => s + x * x, 0);
      return (i: number, j: number) => (i === j ? 1 : 0) - (2 * v[i] * v[j]) / vv;
    };
    const h1 = house(1);
    const h2 = house(2);
    const s = Array.from({ length: n }, (_, i) => 10 ** (-10 * i / (n - 1)));
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let t = 0;
      for (let p = 0; p < n; p++) t += h1(i, p) * s[p] * h2(p, j);
      A[i * n + j] = t;
    }
    const b = rand(n, 3);
    const x = values(np.linalg.solve(arr(Array.from(A), "float64", [n, n]), arr(b, "float64", [n])));
    let res = 0, aMax = 0, xMax = 0;
    for (let i = 0; i < n; i++) {
      let t = -b[i];
      for (let j = 0; j < n; j++) t += A[i * n + j] * x[j];
      res = Math.max(res, Math.abs(t));
    }
    for (const v of A) aMax = Math.max(aMax, Math.abs(v));
    for (const v of x) xMax = Math.max(xMax, Math.abs(v));
    expect(res / (n * aMax * xMax)).toBeLessThan(1e-14);

    const m = 128;
    const a32 = rand(m * m, 9).map((v, i) => v + (i % (m + 1) === 0 ? 4 : 0));
    const inv = values(np.linalg.inv(arr(a32, "float32", [m, m])));
    const eye = Array.from({ length: m * m }, (_, i) => (i % (m + 1) === 0 ? 1 : 0));
    expect(productError(Float32Array.from(a32), inv, eye, m, m, m)).toBeLessThan(1e-4);
  });

  it("a singular matrix (a zero column) gives inf/NaN from solve, never a throw", () => {
    const n = 128;
    const a = rand(n * n, 4).map((v, i) => (i % n === 17 ? 0 : v));
    const x = values(np.linalg.solve(arr(a, "float64", [n, n]), arr(rand(n, 6), "float64", [n])));
    expect(x.some((v) => !Number.isFinite(v))).toBe(true);
  });
});

describe("blocked Cholesky (CPU)", () => {
  /** G·Gᵀ/n + I for a random G: symmetric positive definite. */
  function spd(n: number, seed: number): number[] {
    const g = rand(n * n, seed);
    const out: number[] = new Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
      let t = 0;
      for (let k = 0; k < n; k++) t += g[i * n + k] * g[j * n + k];
      out[i * n + j] = out[j * n + i] = t / n + (i === j ? 1 : 0);
    }
    return out;
  }

  for (const [n, dtype, tol] of [[200, "float64", 1e-14], [97, "float64", 1e-14], [200, "float32", 2e-6]] as const) {
    it(`L·Lᵀ = A (${dtype}, ${n}×${n}) to ${tol}, L lower`, () => {
      const a = spd(n, n);
      const l = values(lax.linalg.cholesky(arr(a, dtype, [n, n])));
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(l[i * n + j]).toBe(0);
      const lt = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) lt[j * n + i] = l[i * n + j];
      expect(productError(l, lt, dtype === "float32" ? Float32Array.from(a) : a, n, n, n)).toBeLessThan(tol);
    });
  }

  it("a matrix that is not positive definite gives NaN in its triangle (as JAX); a batch keeps its good matrices", () => {
    const n = 120;
    const good = spd(n, 1);
    const bad = good.map((v, i) => (i === 60 * n + 60 ? -5 : v));
    const l = values(lax.linalg.cholesky(arr([...good, ...bad], "float64", [2, n, n])));
    // NaN on and below the diagonal (the result is the lower triangle: zeros above, as JAX's tril)
    const badL = l.slice(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(Number.isNaN(badL[i * n + j])).toBe(j <= i);
    expect(l.slice(0, n * n).every(Number.isFinite)).toBe(true);
  });
});

describe("column-major QR and one-sided Jacobi SVD (CPU, float64)", () => {
  const transpose = (x: ArrayLike<number>, r: number, c: number) => {
    const t = new Float64Array(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = x[i * c + j];
    return t;
  };
  const eye = (n: number) => Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));

  for (const [m, n] of [[160, 110], [110, 160]] as const) {
    it(`qr ${m}×${n} (complete): Q·R = A and Qᵀ·Q = I to 1e-13, R upper`, () => {
      const a = rnd(m, n, m + 3 * n);
      const [q, r] = np.linalg.qr(a, "complete");
      const qv = values(q);
      const rv = values(r);
      for (let i = 0; i < m; i++) for (let j = 0; j < Math.min(i, n); j++) expect(rv[i * n + j]).toBe(0);
      expect(productError(qv, rv, values(a), m, m, n)).toBeLessThan(1e-13);
      expect(productError(transpose(qv, m, m), qv, eye(m), m, m, m)).toBeLessThan(1e-13);
    });

    it(`svd ${m}×${n} (reduced): U·S·Vᵀ = A, Uᵀ·U = I, Vᵀ·V = I to 1e-13, S descending`, () => {
      const a = rnd(m, n, 7 * m + n);
      const k = Math.min(m, n);
      const [u, s, vt] = np.linalg.svd(a, { fullMatrices: false });
      const uv = values(u);
      const sv = values(s);
      const vtv = values(vt);
      for (let i = 1; i < k; i++) expect(sv[i]).toBeLessThanOrEqual(sv[i - 1]);
      const us = uv.map((x, i) => x * sv[i % k]);
      expect(productError(us, vtv, values(a), m, k, n)).toBeLessThan(1e-13);
      expect(productError(transpose(uv, m, k), uv, eye(k), k, m, k)).toBeLessThan(1e-13);
      expect(productError(vtv, transpose(vtv, k, n), eye(k), k, n, k)).toBeLessThan(1e-13);
    });
  }
});

describe("transformations over the blocked paths (CPU)", () => {
  it("jit == eager for solve and cholesky at n = 120; vmap of cholesky and lu over 3 matrices == a loop", () => {
    const n = 120;
    const a = rnd(n, n, 77);
    const spdA = lax.add(lax.dotGeneral(a, a, { contracting: [[1], [1]], batch: [[], []] }), lax.mul(arr(Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0)), "float64", [n, n]), n)) as Value;
    const b = arr(rand(n, 78), "float64", [n]);
    expect(values(jit((x: Value, y: Value) => np.linalg.solve(x, y))(a, b))).toEqual(values(np.linalg.solve(a, b)));
    expect(values(jit((x: Value) => np.linalg.cholesky(x))(spdA))).toEqual(values(np.linalg.cholesky(spdA)));
    const batch = arr(rand(3 * n * n, 79), "float64", [3, n, n]);
    const spdB = lax.add(lax.dotGeneral(batch, batch, { contracting: [[2], [2]], batch: [[0], [0]] }), lax.mul(arr(Array.from({ length: 3 * n * n }, (_, i) => ((i % (n * n)) % (n + 1) === 0 ? 1 : 0)), "float64", [3, n, n]), n)) as Value;
    const chol = values(vmap((x: Value) => lax.linalg.cholesky(x))(spdB));
    const lus = values(vmap((x: Value) => lax.linalg.lu(x)[0])(batch));
    for (let k = 0; k < 3; k++) {
      const one = (x: Value) => lax.reshape(lax.slice(x, [k, 0, 0], [k + 1, n, n]), [n, n]);
      expect(chol.slice(k * n * n, (k + 1) * n * n)).toEqual(values(lax.linalg.cholesky(one(spdB))));
      expect(lus.slice(k * n * n, (k + 1) * n * n)).toEqual(values(lax.linalg.lu(one(batch))[0]));
    }
  });
});
