/**
 * The CPU's eigh and svd for n ≥ 32: Householder tridiagonalization +
 * implicit symmetric QR (src/backend/cpu/linalg-tridiagonal.ts) and Householder
 * bidiagonalization + Golub–Kahan QR (linalg-bidiagonal.ts).
 *
 * - against real JAX (fixture: test/fixtures/linalg-accuracy/gen_large.py →
 *   large.json, JAX 0.10.2): eigenvalues and singular values in float64
 *   (random, clustered, exactly repeated, rank-deficient, batched inputs) and
 *   in float32 (JAX's float32 on the same rounded input), and the vectors
 *   after fixing each one's sign where the spectrum is well separated;
 * - the factorization's own identities, computed here in float64:
 *   A·V = V·diag(w), VᵀV = I, A = U·diag(s)·Vᵀ, UᵀU = I, VᵀV = I
 *   (1e-12 relative to ‖A‖ in float64, 1e-5 in float32), with fullMatrices
 *   and computeUv as JAX;
 * - jvp of eigh and svd through the new path equal to jvp through the old
 *   (Jacobi) path, on functions the vectors' signs do not change.
 */
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defaultDevice, jvp, lax, np, type Value } from "../src/index.js";
import { linalgPaths } from "../src/backend/cpu/linalg.js";
import { arr, rand, values } from "./helpers.js";

interface Enc {
  shape: number[];
  b64: string;
}
interface Case {
  fn: "eigh" | "svd";
  kind: string;
  a: Enc;
  w?: Enc;
  w32?: Enc;
  v?: Enc;
  s?: Enc;
  s32?: Enc;
  u?: Enc;
  vt?: Enc;
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/linalg-accuracy/large.json", import.meta.url), "utf8")) as { jax: string; cases: Case[] };

function decode(e: Enc): number[] {
  const buf = Buffer.from(e.b64, "base64");
  const bytes = new Uint8Array(buf.length);
  bytes.set(buf);
  return globalThis.Array.from(new Float64Array(bytes.buffer));
}

let previous: ReturnType<typeof defaultDevice>;
const saved = { ...linalgPaths };
beforeAll(() => {
  previous = defaultDevice();
  defaultDevice("cpu");
});
afterAll(() => void defaultDevice(previous));
afterEach(() => void Object.assign(linalgPaths, saved));

const maxAbs = (x: number[]) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
function maxDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Number.isNaN(a[i] - b[i]) ? Infinity : Math.abs(a[i] - b[i]));
  return worst;
}
/** The matrices of a batch, each rows×cols row-major. */
const split = (x: number[], rows: number, cols: number) => globalThis.Array.from({ length: x.length / (rows * cols) }, (_, b) => x.slice(b * rows * cols, (b + 1) * rows * cols));
/** max |XᵀX − I| for X rows×cols (its columns orthonormal). */
function orthoErr(x: number[], rows: number, cols: number): number {
  let worst = 0;
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let k = 0; k < rows; k++) s += x[k * cols + i] * x[k * cols + j];
      worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  return worst;
}
/** Flips column j of x (rows×cols) — and row j of `pair` (rows of length pairCols) — to the sign of the reference's column j. */
function alignColumns(x: number[], ref: number[], rows: number, cols: number, pair?: number[], pairCols = 0): void {
  for (let j = 0; j < cols; j++) {
    let d = 0;
    for (let i = 0; i < rows; i++) d += x[i * cols + j] * ref[i * cols + j];
    if (d >= 0) continue;
    for (let i = 0; i < rows; i++) x[i * cols + j] *= -1;
    if (pair) for (let k = 0; k < pairCols; k++) pair[j * pairCols + k] *= -1;
  }
}

const eighCases = fixture.cases.filter((c) => c.fn === "eigh");
const svdCases = fixture.cases.filter((c) => c.fn === "svd");
const DTYPES = [["float64", 1e-12], ["float32", 1e-5]] as const;

describe.each(eighCases.map((c) => [c.kind, c] as const))("eigh %s (n ≥ 32: tridiagonal QR)", (_k, c) => {
  const shape = c.a.shape;
  const n = shape[shape.length - 1];
  it.each(DTYPES)("%s: eigenvalues as JAX, A·V = V·diag(w), VᵀV = I", (dtype, tol) => {
    const x = arr(decode(c.a), dtype, shape);
    const a = values(x); // the (rounded) input the factorization saw
    const [w, v] = np.linalg.eigh(x);
    expect(w.shape).toEqual(shape.slice(0, -1));
    expect(v.shape).toEqual(shape);
    expect(w.dtype).toBe(dtype);
    const wv = values(w);
    const vv = values(v);
    const norm = maxAbs(a) * n;
    // float64 against JAX's float64; float32 against JAX's float32 on the same rounded input
    const want = decode(dtype === "float64" ? c.w! : c.w32!);
    expect(maxDiff(wv, want) / norm).toBeLessThan(tol);
    const as = split(a, n, n);
    const vs = split(vv, n, n);
    split(wv, n, 1).forEach((wb, b) => {
      for (let i = 1; i < n; i++) expect(wb[i]).toBeGreaterThanOrEqual(wb[i - 1]); // ascending, as JAX
      let res = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += as[b][i * n + k] * vs[b][k * n + j];
          res = Math.max(res, Math.abs(s - vs[b][i * n + j] * wb[j]));
        }
      }
      expect(res / norm).toBeLessThan(tol);
      expect(orthoErr(vs[b], n, n)).toBeLessThan(tol * n);
    });
    if (c.v && dtype === "float64") {
      // a well-separated spectrum: each eigenvector is JAX's up to its sign
      const ref = split(decode(c.v), n, n);
      vs.forEach((vb, b) => {
        alignColumns(vb, ref[b], n, n);
        expect(maxDiff(vb, ref[b])).toBeLessThan(1e-9);
      });
    }
  });
});

describe.each(svdCases.map((c) => [c.kind, c] as const))("svd %s (min(m, n) ≥ 32: Golub–Kahan)", (_k, c) => {
  const shape = c.a.shape;
  const [m, n] = shape.slice(-2);
  const k = Math.min(m, n);
  it.each(DTYPES)("%s: singular values as JAX, A = U·S·Vᵀ, U and V orthonormal, full and reduced", (dtype, tol) => {
    const x = arr(decode(c.a), dtype, shape);
    const a = values(x);
    const norm = maxAbs(a) * Math.max(m, n);
    const want = decode(dtype === "float64" ? c.s! : c.s32!);
    expect(maxDiff(values(np.linalg.svd(x, { computeUv: false })), want) / norm).toBeLessThan(tol);
    for (const fullMatrices of [false, true]) {
      const [u, s, vt] = np.linalg.svd(x, { fullMatrices });
      const uc = fullMatrices ? m : k;
      const vr = fullMatrices ? n : k;
      expect(u.shape).toEqual([...shape.slice(0, -2), m, uc]);
      expect(vt.shape).toEqual([...shape.slice(0, -2), vr, n]);
      const sv = values(s);
      expect(maxDiff(sv, want) / norm).toBeLessThan(tol);
      const us = split(values(u), m, uc);
      const vts = split(values(vt), vr, n);
      const as = split(a, m, n);
      split(sv, k, 1).forEach((sb, b) => {
        for (let i = 1; i < k; i++) expect(sb[i]).toBeLessThanOrEqual(sb[i - 1]); // descending, ≥ 0, as JAX
        expect(sb[k - 1]).toBeGreaterThanOrEqual(0);
        let res = 0;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let t = 0;
            for (let p = 0; p < k; p++) t += us[b][i * uc + p] * sb[p] * vts[b][p * n + j];
            res = Math.max(res, Math.abs(t - as[b][i * n + j]));
          }
        }
        expect(res / norm).toBeLessThan(tol);
        expect(orthoErr(us[b], m, uc)).toBeLessThan(tol * m);
        // V's columns are Vᵀ's rows: VᵀV = I ⇔ (Vᵀ)ᵀ as an n×vr matrix with orthonormal columns
        const v = new globalThis.Array(n * vr);
        for (let i = 0; i < vr; i++) for (let j = 0; j < n; j++) v[j * vr + i] = vts[b][i * n + j];
        expect(orthoErr(v, n, vr)).toBeLessThan(tol * n);
      });
      if (c.u && dtype === "float64" && !fullMatrices) {
        const refU = split(decode(c.u), m, k);
        const refVt = split(decode(c.vt!), k, n);
        us.forEach((ub, b) => {
          alignColumns(ub, refU[b], m, k, vts[b], n);
          expect(maxDiff(ub, refU[b])).toBeLessThan(1e-9);
          expect(maxDiff(vts[b], refVt[b])).toBeLessThan(1e-9);
        });
      }
    }
  });
});

describe("the new paths are taken, and agree with the small-matrix ones", () => {
  const sym = (n: number, seed: number) => {
    const r = rand(n * n, seed);
    const s = new globalThis.Array<number>(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s[i * n + j] = (r[i * n + j] + r[j * n + i]) / 2;
    return arr(s, "float64", [n, n]);
  };
  it("eigh and svd at 32: not Jacobi's bits, but Jacobi's answer", () => {
    const a = sym(32, 5);
    const g = arr(rand(40 * 32, 6), "float64", [40, 32]);
    const wNew = values(np.linalg.eigh(a)[0]);
    const sNew = values(np.linalg.svd(g, { computeUv: false }));
    Object.assign(linalgPaths, { eighMinN: Infinity, svdMinK: Infinity });
    const wOld = values(np.linalg.eigh(a)[0]);
    const sOld = values(np.linalg.svd(g, { computeUv: false }));
    expect(maxDiff(wNew, wOld)).toBeLessThan(1e-13);
    expect(maxDiff(sNew, sOld)).toBeLessThan(1e-13);
    // the dispatch switched: two different algorithms do not round identically everywhere
    expect(maxDiff(wNew, wOld) + maxDiff(sNew, sOld)).toBeGreaterThan(0);
  });

  /** v·diag(c)·vᵀ for the columns of v (…×rows×cols): unchanged by the sign of each column. */
  const outer = (v: Value, cols: number): Value => {
    const c = arr(globalThis.Array.from({ length: cols }, (_, i) => 1 + i / cols), "float64", [cols]);
    const shape = [...v.shape];
    const vc = lax.mul(v, lax.broadcastInDim(c, shape, [shape.length - 1]));
    return np.matmul(vc, np.linalg.matrixTranspose(v));
  };
  const fns: [string, (x: Value) => Value[], () => Value][] = [
    ["eigh 32 (w, V·diag(c)·Vᵀ)", (x) => { const [v, w] = lax.linalg.eigh(lax.mul(lax.add(x, np.linalg.matrixTranspose(x)), 0.5)); return [w, outer(v, 32)]; }, () => arr(rand(32 * 32, 7), "float64", [32, 32])],
    ["svd 40×32 (s, U·diag(c)·Uᵀ, V·diag(c)·Vᵀ)", (x) => { const [u, s, vt] = lax.linalg.svd(x, { fullMatrices: false }); return [s, outer(u, 32), outer(np.linalg.matrixTranspose(vt), 32)]; }, () => arr(rand(40 * 32, 8), "float64", [40, 32])],
    ["svd 2×32×36 batched, wide", (x) => { const [u, s, vt] = lax.linalg.svd(x, { fullMatrices: false }); return [s, outer(u, 32), outer(np.linalg.matrixTranspose(vt), 32)]; }, () => arr(rand(2 * 32 * 36, 9), "float64", [2, 32, 36])],
  ];
  it.each([[130, 128, false], [128, 160, true]] as const)("qr %i×%i (fullMatrices %s), blocked: the unblocked factors, Q·R = A, QᵀQ = I", (m, n, fullMatrices) => {
    const x = arr(rand(m * n, m + n), "float64", [m, n]);
    Object.assign(linalgPaths, { qrMinK: 128 }); // blocked from 128 on here, whatever the default switch size
    const [qNew, rNew] = np.linalg.qr(x, fullMatrices ? "complete" : "reduced").map(values);
    Object.assign(linalgPaths, { qrMinK: Infinity });
    const [qOld, rOld] = np.linalg.qr(x, fullMatrices ? "complete" : "reduced").map(values);
    expect(maxDiff(qNew, qOld)).toBeLessThan(1e-12);
    expect(maxDiff(rNew, rOld)).toBeLessThan(1e-12);
    expect(maxDiff(qNew, qOld) + maxDiff(rNew, rOld)).toBeGreaterThan(0); // the blocked path ran
    const cols = fullMatrices ? m : Math.min(m, n);
    const a = values(x);
    let res = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let t = 0;
        for (let p = 0; p < cols; p++) t += qNew[i * cols + p] * rNew[p * n + j];
        res = Math.max(res, Math.abs(t - a[i * n + j]));
      }
    }
    expect(res).toBeLessThan(1e-12 * m);
    expect(orthoErr(qNew, m, cols)).toBeLessThan(1e-12 * m);
  });

  it.each(fns)("jvp of %s: the same tangents through both paths", (_n, f, input) => {
    const x = input();
    const dir = arr(rand(x.shape.reduce((p, q) => p * q, 1), 99), "float64", [...x.shape]);
    const run = () => {
      const [p, t] = jvp((y: Value) => f(y), [x], [dir]) as unknown as [Value[], Value[]];
      return [p.map(values), t.map(values)];
    };
    const [pNew, tNew] = run();
    Object.assign(linalgPaths, { eighMinN: Infinity, svdMinK: Infinity });
    const [pOld, tOld] = run();
    pNew.forEach((p, i) => expect(maxDiff(p, pOld[i]) / Math.max(1, maxAbs(pOld[i]))).toBeLessThan(1e-11));
    tNew.forEach((t, i) => expect(maxDiff(t, tOld[i]) / Math.max(1, maxAbs(tOld[i]))).toBeLessThan(1e-9));
  });
});
