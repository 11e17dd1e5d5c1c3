/**
 * Micro-benchmark of the CPU backend's eigh, svd and qr routines, the old
 * path against the new one for each size: eigh by cyclic Jacobi against
 * Householder tridiagonalization + implicit QR (linalg-tridiagonal.ts), svd
 * (reduced, with U and Vᵀ) by one-sided Jacobi against Householder
 * bidiagonalization + Golub–Kahan QR (linalg-bidiagonal.ts), qr (reduced)
 * unblocked against blocked Householder (linalg-qr-blocked.ts). One float32
 * n×n matrix per call (a random symmetric one for eigh), the routine called
 * directly (no dispatch, no readback).
 *
 * The machine may be shared, so each case reports the best of its samples
 * (after a warm-up call: at least one, up to 5, within about 2 s) in
 * milliseconds, and the speed-up. Also printed: the largest |old − new| of the eigenvalues and
 * singular values, relative to the largest (both paths must agree).
 *
 * Run: `npx tsx bench/linalg-micro.ts 64 128 256`.
 */
import type { BufferType } from "../src/backend/device.js";
import { cpuLinalgRoutines, linalgPaths } from "../src/backend/cpu/linalg.js";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length ? sizes : [64, 128, 256];

function input(n: number, seed: number, symmetric: boolean): Float32Array {
  const a = new Float32Array(n * n);
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  if (symmetric) for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j];
  return a;
}

const t = (...shape: number[]): BufferType => ({ shape, dtype: "float32" });
type Kind = "eigh" | "svd" | "qr";
const call: Record<Kind, (x: Float32Array, n: number) => ArrayLike<number>> = {
  eigh: (x, n) => cpuLinalgRoutines.linalg_eigh([x], [t(n, n)], [t(n, n), t(n)], { batch: 1, n, lower: true, sortEigenvalues: true })[1],
  svd: (x, n) => cpuLinalgRoutines.linalg_svd([x], [t(n, n)], [t(n), t(n, n), t(n, n)], { batch: 1, m: n, n, fullMatrices: false, computeUv: true })[0],
  qr: (x, n) => cpuLinalgRoutines.linalg_qr([x], [t(n, n)], [t(n, n), t(n, n)], { batch: 1, m: n, n, fullMatrices: false })[1],
};
const NEW = { ...linalgPaths };
const OLD = { eighMinN: Infinity, svdMinK: Infinity, qrMinK: Infinity };

function time(kind: Kind, x: Float32Array, n: number, paths: typeof NEW): { ms: number; out: ArrayLike<number> } {
  Object.assign(linalgPaths, paths);
  let out = call[kind](x, n); // warm-up (and the JIT)
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < 5 && (samples.length === 0 || performance.now() - start < 2000)) {
    const t0 = performance.now();
    out = call[kind](x, n);
    samples.push(performance.now() - t0);
  }
  // the best sample: on a shared machine the others measure the neighbours too
  return { ms: Math.min(...samples), out };
}

console.log("kind  n     old ms    new ms   speed-up   max|old−new|/max (eigenvalues, singular values, R)");
for (const n of SIZES) {
  for (const kind of ["eigh", "svd", "qr"] as Kind[]) {
    const x = input(n, 7 + n, kind === "eigh");
    const o = time(kind, x, n, OLD);
    const w = time(kind, x, n, NEW);
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < o.out.length; i++) {
      diff = Math.max(diff, Math.abs(o.out[i] - w.out[i]));
      scale = Math.max(scale, Math.abs(o.out[i]));
    }
    const same = kind === "qr" && n < NEW.qrMinK ? " (both unblocked below qrMinK)" : "";
    console.log(`${kind.padEnd(5)} ${String(n).padEnd(5)} ${o.ms.toFixed(1).padStart(8)}  ${w.ms.toFixed(1).padStart(8)}  ${(o.ms / w.ms).toFixed(2).padStart(8)}×   ${(diff / (scale || 1)).toExponential(1)}${same}`);
  }
}
Object.assign(linalgPaths, NEW);
