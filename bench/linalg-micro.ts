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
 *
 * `npx tsx bench/linalg-micro.ts qr32 128 256 384 512` compares instead the
 * ways to factor a float32 n×n matrix with qr (reduced): unblocked and blocked
 * in float64 (the old float32 route: unblocked below 384, blocked from it on)
 * against blocked in float32 storage with the Wasm SIMD products (the new
 * one), the three taking turns sample by sample in rounds (best of each over
 * ROUNDS rounds, env ROUNDS, default 5) so that a change in the machine's load hits all alike.
 */
import type { BufferType } from "../src/backend/device.js";
import { cpuLinalgRoutines, linalgPaths } from "../src/backend/cpu/linalg.js";

const qr32 = process.argv.includes("qr32");
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
const OLD = { eighMinN: Infinity, svdMinK: Infinity, qrMinK: Infinity, qrMinKFloat32: Infinity };

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

/** qr of a float32 matrix three ways, taking turns; prints the best times and the ratios. */
function qrFloat32(n: number, rounds: number): void {
  const x32 = input(n, 7 + n, false);
  const x64 = Float64Array.from(x32); // the float64 route: what a float32 input cost before (copied to float64 all the same)
  const t64 = { shape: [n, n], dtype: "float64" } as BufferType;
  const qr = (x: Float32Array | Float64Array, ty: BufferType) => cpuLinalgRoutines.linalg_qr([x], [ty], [ty, ty], { batch: 1, m: n, n, fullMatrices: false })[1];
  const variants: [string, Partial<typeof NEW>, () => ArrayLike<number>][] = [
    ["unblocked f64", { qrMinK: Infinity, qrMinKFloat32: Infinity }, () => qr(x64, t64)],
    ["blocked f64", { qrMinK: 0 }, () => qr(x64, t64)],
    ["blocked f32 SIMD", { qrMinKFloat32: 0 }, () => qr(x32, t(n, n))],
  ];
  const best = variants.map(() => Infinity);
  const outs: ArrayLike<number>[] = [];
  variants.forEach(([, paths, run], i) => {
    Object.assign(linalgPaths, NEW, paths);
    outs[i] = run(); // warm-up (and the JIT)
  });
  for (let r = 0; r < rounds; r++) {
    variants.forEach(([, paths, run], i) => {
      Object.assign(linalgPaths, NEW, paths);
      const t0 = performance.now();
      run();
      best[i] = Math.min(best[i], performance.now() - t0);
    });
  }
  Object.assign(linalgPaths, NEW);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < outs[0].length; i++) {
    diff = Math.max(diff, Math.abs(outs[0][i] - outs[2][i]));
    scale = Math.max(scale, Math.abs(outs[0][i]));
  }
  const old = n >= NEW.qrMinK ? best[1] : best[0];
  console.log(
    `${String(n).padEnd(5)} ${best.map((b) => b.toFixed(1).padStart(9)).join(" ")}   ` +
      `${(best[0] / best[2]).toFixed(2).padStart(6)}× ${(best[1] / best[2]).toFixed(2).padStart(6)}× ${(old / best[2]).toFixed(2).padStart(6)}×   ${(diff / scale).toExponential(1)}`,
  );
}

if (qr32) {
  const rounds = Number(process.env.ROUNDS) || 5;
  console.log(`qr float32, reduced, n×n; best of ${rounds} alternating rounds (ms); speed-up of blocked f32 SIMD over each, and over the old route (f64, blocked from ${NEW.qrMinK})`);
  console.log("n     unblk f64  blk f64  blk f32 SIMD   /unblk   /blk64    /old   max|R64−R32|/max");
  for (const n of SIZES) qrFloat32(n, rounds);
  process.exit(0);
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
    const same = kind === "qr" && n < NEW.qrMinKFloat32 ? " (both unblocked below qrMinKFloat32)" : "";
    console.log(`${kind.padEnd(5)} ${String(n).padEnd(5)} ${o.ms.toFixed(1).padStart(8)}  ${w.ms.toFixed(1).padStart(8)}  ${(o.ms / w.ms).toFixed(2).padStart(8)}×   ${(diff / (scale || 1)).toExponential(1)}${same}`);
  }
}
Object.assign(linalgPaths, NEW);
