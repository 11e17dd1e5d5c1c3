/**
 * Workload W13: linear algebra, each library in its own idiom (eager
 * `np.linalg.*` calls in jaxon and jax-js, `tf.linalg.qr` in tfjs), every
 * timed call ending in a readback of every output:
 * - `solve` 512×512 (one right-hand side), `cholesky` 256×256, `svd` 256×256
 *   (reduced: U, S, Vᵀ), batched 64×(32×32) `inv`, and `qr` 256×256 (reduced:
 *   Q, R), the one of these tfjs has. jax-js has no `qr` (n/a); tfjs has no
 *   solve, cholesky, svd or inv (n/a).
 *
 * The checks need no reference factorization: they test what defines the
 * answer, in float64 on the float32 inputs: the backward error of solve
 * (‖A·x − b‖ / (‖A‖·‖x‖ + ‖b‖)), the reconstruction of A from the factors
 * (L·Lᵀ, U·S·Vᵀ, Q·R), the orthonormality of U, V, Q, the shape of the
 * factors (L lower, R upper, S descending and ≥ 0) and A·X = I for inv.
 * The adapters of libs/ are not changed: this file reaches each library
 * through the module its adapter loaded (as fft.ts does).
 */
import * as D from "./data.js";
import type { Adapter, Callable, Readback } from "./harness.js";
import type { Case } from "./workloads.js";
import { callCase } from "./workloads.js";
import { jaxonModule } from "./libs/jaxon.js";

type Kind = "solve" | "cholesky" | "svd" | "inv" | "qr";

interface Spec {
  kind: Kind;
  case: string;
  title: string;
  /** Matrices in the batch (1: one matrix, no batch axis). */
  batch: number;
  n: number;
}

const SPECS: Spec[] = [
  { kind: "solve", case: "solve 512", title: "np.linalg.solve of a 512×512 float32 system, one right-hand side", batch: 1, n: 512 },
  { kind: "cholesky", case: "cholesky 256", title: "np.linalg.cholesky of a 256×256 float32 SPD matrix", batch: 1, n: 256 },
  { kind: "svd", case: "svd 256", title: "np.linalg.svd (reduced: U, S, Vᵀ) of a 256×256 float32 matrix", batch: 1, n: 256 },
  { kind: "inv", case: "inv 64x32x32", title: "np.linalg.inv of 64 float32 matrices of 32×32, one batched call", batch: 64, n: 32 },
  { kind: "qr", case: "qr 256", title: "np.linalg.qr (reduced: Q, R) of a 256×256 float32 matrix", batch: 1, n: 256 },
];

interface Input {
  a: Float32Array;
  /** solve's right-hand side. */
  b: Float32Array;
}

const inputs = new Map<string, Input>();
function input(s: Spec): Input {
  let d = inputs.get(s.case);
  if (d) return d;
  const { n, batch } = s;
  const a = D.randn(1000 + n + batch, batch * n * n);
  if (s.kind === "cholesky") {
    // G·Gᵀ/n + I: symmetric positive definite, condition number ~5
    const g = Float64Array.from(a);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let t = 0;
        for (let k = 0; k < n; k++) t += g[i * n + k] * g[j * n + k];
        a[i * n + j] = a[j * n + i] = t / n + (i === j ? 1 : 0);
      }
    }
  } else if (s.kind === "inv") {
    // a Gaussian matrix plus √n·I: every matrix of the batch well conditioned
    for (let m = 0; m < batch; m++) for (let i = 0; i < n; i++) a[m * n * n + i * n + i] += Math.sqrt(n);
  }
  d = { a, b: D.randn(2000 + n, n) };
  inputs.set(s.case, d);
  return d;
}

// ---------------------------------------------------------------- checks (float64)

/** max |(X·Y)[i,j] − Z[i,j]| over an n×k·k×m product, X or Y read transposed when asked. */
function maxProductError(
  x: ArrayLike<number>, y: ArrayLike<number>, z: (i: number, j: number) => number,
  rows: number, inner: number, cols: number, opts: { xT?: boolean; scaleY?: ArrayLike<number> } = {},
): number {
  let worst = 0;
  const row = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    row.fill(0);
    for (let p = 0; p < inner; p++) {
      let xv = opts.xT ? x[p * rows + i] : x[i * inner + p];
      if (opts.scaleY) xv *= opts.scaleY[p];
      for (let j = 0; j < cols; j++) row[j] += xv * y[p * cols + j];
    }
    for (let j = 0; j < cols; j++) {
      const e = Math.abs(row[j] - z(i, j));
      if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
    }
  }
  return worst;
}

const maxAbs = (a: ArrayLike<number>, from = 0, to = a.length) => {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};

/** Splits one readback into the outputs' flat parts (the callables return them concatenated). */
function parts(r: Readback, sizes: number[]): ArrayLike<number>[] | string {
  if (typeof r === "number") return `expected ${sizes.reduce((s, x) => s + x, 0)} numbers, got one`;
  const total = sizes.reduce((s, x) => s + x, 0);
  if (r.length !== total) return `expected ${total} numbers, got ${r.length}`;
  const out: ArrayLike<number>[] = [];
  let o = 0;
  for (const s of sizes) {
    out.push(Array.prototype.slice.call(r, o, o + s) as number[]);
    o += s;
  }
  return out;
}

const TOL = 1e-4;

function check(s: Spec, r: Readback): string | null {
  const { n, batch } = s;
  const { a, b } = input(s);
  const aMax = maxAbs(a);
  const I = (i: number, j: number) => (i === j ? 1 : 0);
  const A = (o: number) => (i: number, j: number) => a[o + i * n + j];
  switch (s.kind) {
    case "solve": {
      const p = parts(r, [n]);
      if (typeof p === "string") return p;
      const [x] = p;
      const res = maxProductError(a, x, (i) => b[i], n, n, 1);
      const err = res / (n * aMax * maxAbs(x) + maxAbs(b));
      return err <= TOL / 10 ? null : `backward error ${err.toExponential(2)}`;
    }
    case "cholesky": {
      const p = parts(r, [n * n]);
      if (typeof p === "string") return p;
      const [l] = p;
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (l[i * n + j] !== 0) return `L[${i}, ${j}] = ${l[i * n + j]} above the diagonal`;
      // L·Lᵀ: (Lᵀ)[p, j] = L[j, p]
      const lt = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) lt[j * n + i] = l[i * n + j];
      const err = maxProductError(l, lt, A(0), n, n, n) / aMax;
      return err <= TOL ? null : `max |L·Lᵀ − A| / max |A| = ${err.toExponential(2)}`;
    }
    case "svd":
    case "qr": {
      const svd = s.kind === "svd";
      const p = parts(r, svd ? [n * n, n, n * n] : [n * n, n * n]);
      if (typeof p === "string") return p;
      const [q, mid, last] = p;
      if (svd) {
        for (let i = 0; i < n; i++) if (!(mid[i] >= 0) || (i > 0 && mid[i] > mid[i - 1])) return `singular values not descending and ≥ 0 at ${i}: ${mid[i]}`;
      } else {
        // R upper triangular: below the diagonal, zero or rounding noise (tfjs leaves the latter)
        const rMax = maxAbs(mid);
        for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (!(Math.abs(mid[i * n + j]) <= TOL * rMax)) return `R[${i}, ${j}] = ${mid[i * n + j]} below the diagonal`;
      }
      const rec = svd ? maxProductError(q, last, A(0), n, n, n, { scaleY: mid }) : maxProductError(q, mid, A(0), n, n, n);
      if (!(rec / aMax <= TOL)) return `max |${svd ? "U·S·Vᵀ" : "Q·R"} − A| / max |A| = ${(rec / aMax).toExponential(2)}`;
      const orth = maxProductError(q, q, I, n, n, n, { xT: true });
      if (!(orth <= TOL)) return `max |${svd ? "Uᵀ·U" : "Qᵀ·Q"} − I| = ${orth.toExponential(2)}`;
      if (svd) {
        const vt = last;
        const v = new Float64Array(n * n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) v[j * n + i] = vt[i * n + j];
        const orthV = maxProductError(vt, v, I, n, n, n);
        if (!(orthV <= TOL)) return `max |Vᵀ·V − I| = ${orthV.toExponential(2)}`;
      }
      return null;
    }
    case "inv": {
      const p = parts(r, [batch * n * n]);
      if (typeof p === "string") return p;
      const [x] = p;
      for (let m = 0; m < batch; m++) {
        const o = m * n * n;
        const err = maxProductError(a.subarray(o, o + n * n), Array.prototype.slice.call(x, o, o + n * n) as number[], I, n, n, n);
        if (!(err <= TOL)) return `matrix ${m}: max |A·X − I| = ${err.toExponential(2)}`;
      }
      return null;
    }
  }
}

// ---------------------------------------------------------------- each library's call

function concat(chunks: ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
async function prepare(a: Adapter, s: Spec): Promise<Callable | null> {
  const d = input(s);
  const { n, batch } = s;
  const shape = batch === 1 ? [n, n] : [batch, n, n];
  if (a.library === "jaxon") {
    const J = await jaxonModule();
    const np = J.np;
    const device = a.backend.startsWith("webgpu") ? "webgpu" : "cpu";
    const A = J.devicePut(np.array(d.a, { dtype: "float32" }).reshape(shape), device);
    const B = J.devicePut(np.array(d.b, { dtype: "float32" }), device);
    const run = (): any[] => {
      switch (s.kind) {
        case "solve": return [np.linalg.solve(A, B)];
        case "cholesky": return [np.linalg.cholesky(A)];
        case "svd": return np.linalg.svd(A, { fullMatrices: false });
        case "inv": return [np.linalg.inv(A)];
        case "qr": return np.linalg.qr(A);
      }
    };
    return {
      call: async () => {
        const ys = run();
        const out: ArrayLike<number>[] = [];
        for (const y of ys) {
          out.push(await y.data());
          y.dispose?.();
        }
        return concat(out);
      },
      dispose: () => ((A as any).dispose?.(), (B as any).dispose?.()),
    };
  }
  if (a.library === "jax-js") {
    if (s.kind === "qr") return null;
    const jax: any = await import("@jax-js/jax");
    const np = jax.numpy;
    const A = np.array(d.a).reshape(shape);
    const B = np.array(d.b);
    const run = (): any[] => {
      switch (s.kind) {
        case "solve": return [np.linalg.solve(A.ref, B.ref)];
        case "cholesky": return [np.linalg.cholesky(A.ref)];
        case "svd": return np.linalg.svd(A.ref, { fullMatrices: false });
        case "inv": return [np.linalg.inv(A.ref)];
        default: return [];
      }
    };
    return {
      call: async () => {
        const out: ArrayLike<number>[] = [];
        for (const y of run()) out.push(await y.data()); // data() disposes
        return concat(out);
      },
      dispose: () => (A.dispose(), B.dispose()),
    };
  }
  if (a.library === "tfjs") {
    if (s.kind !== "qr") return null;
    const tf: any = await import("@tensorflow/tfjs-core");
    const A = tf.tensor2d(d.a, [n, n]);
    return {
      call: async () => {
        const [q, r] = tf.linalg.qr(A);
        const out = [await q.data(), await r.data()];
        q.dispose();
        r.dispose();
        return concat(out);
      },
      dispose: () => A.dispose(),
    };
  }
  return null;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export const LINALG_CASES: Case[] = SPECS.map(
  (s): Case => ({
    workload: "W13",
    case: s.case,
    title: "linear algebra, float32, eager calls, readback of every output included",
    unit: "ms",
    prepare: () => void input(s),
    run: async (a, b) => {
      const c = await prepare(a, s);
      if (!c) return { status: "n/a" };
      return callCase(() => c, (r) => check(s, r), (ms) => ms, b);
    },
  }),
);
