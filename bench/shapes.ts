/**
 * The shapes users really have (issue 17): a mat-vec, the gradient of a batch
 * linear loss, and a matmul from arrays the library computed itself (against
 * W2, whose inputs are made from JS Float32Arrays). Each case declares the
 * physical limit it is measured against (limits.ts): the bytes it must move at
 * the least, or the flops it must do.
 */
import * as D from "./data.js";
import { W7, w7Data, w7Reference } from "./data.js";
import type { Case } from "./workloads.js";
import { callCase } from "./workloads.js";

// ---------------------------------------------------------------- W8: gradient of a batch linear loss

/** d/dw mean((x·w − y)²) = (2/B) xᵀ(x·w − y), on W6's data. */
export function w8Reference({ w, x, y }: D.LinearData): Float64Array {
  const { batch: B, features: F } = D.W6;
  const g = new Float64Array(F);
  for (let b = 0; b < B; b++) {
    let dot = 0;
    for (let f = 0; f < F; f++) dot += x[b * F + f] * w[f];
    const r = (2 / B) * (dot - y[b]);
    for (let f = 0; f < F; f++) g[f] += r * x[b * F + f];
  }
  return g;
}

// ---------------------------------------------------------------- cases

function lazy<T>(f: () => T): () => T {
  let v: { v: T } | undefined;
  return () => (v ??= { v: f() }).v;
}
const asArray = (r: number | ArrayLike<number>): ArrayLike<number> => (typeof r === "number" ? [r] : r);

const w7 = lazy(() => {
  const d = w7Data();
  return { d, ref: w7Reference(d) };
});
const w8 = lazy(() => {
  const d = D.w6Data();
  return { d, ref: w8Reference(d) };
});
const w2c = lazy(() => D.w2Input(1024));

export const SHAPE_CASES: Case[] = [
  {
    workload: "W2",
    case: "n=1024 computed",
    title: "matmul f32",
    unit: "GFLOP/s",
    limit: { flops: 2 * 1024 ** 3 },
    prepare: () => void w2c(),
    run: (a, b) =>
      callCase(
        () => a.w2?.(w2c(), { computed: true }),
        (r) => D.w2Check(w2c(), asArray(r)),
        (ms) => (2 * 1024 ** 3) / (ms * 1e6),
        b,
      ),
  },
  {
    workload: "W7",
    case: `${W7.rows}x${W7.features}`,
    title: "mat-vec matmul(X, w), w: [64, 1], jitted where possible, synchronous read",
    unit: "ms",
    limit: { bytes: 4 * (W7.rows * W7.features + W7.features + W7.rows) },
    prepare: () => void w7(),
    run: (a, b) =>
      callCase(
        () => a.w7?.(w7().d),
        (r) => D.allclose(asArray(r), w7().ref, 1e-4, 1e-4),
        (ms) => ms,
        b,
      ),
  },
  {
    workload: "W8",
    case: `${D.W6.batch}x${D.W6.features}`,
    title: "gradient of a batch linear loss mean((X·w − y)²), jitted where possible",
    unit: "ms",
    limit: { bytes: 4 * (D.W6.batch * D.W6.features + D.W6.batch + 2 * D.W6.features) },
    prepare: () => void w8(),
    run: (a, b) =>
      callCase(
        () => a.w8?.(w8().d),
        (r) => D.allclose(asArray(r), w8().ref, 1e-3, 1e-4),
        (ms) => ms,
        b,
      ),
  },
];
