/**
 * Complex qr, eigh, svd and eig (CPU) against real JAX (fixtures from
 * test/fixtures/linalg-complex-spectral/gen.py: LAPACK through jaxlib), and
 * eig's LAPACK order for real input:
 *
 * - qr: q and r equal to JAX's (the same Householder convention: R's
 *   diagonal real), Q·R = A, Qᴴ·Q = I;
 * - eigh: eigenvalues equal to JAX's; eigenvectors equal up to one phase
 *   per column (jaxon makes the first component real, as zheevd's lower
 *   triangle does, so the phase is ±1), A·V = V·Λ, Vᴴ·V = I;
 * - svd: singular values equal to JAX's, U·S·Vᴴ = A, U and V unitary, the
 *   singular vectors equal to JAX's up to one phase shared by uⱼ and vⱼ;
 * - eig: eigenvalues equal to JAX's IN ORDER (LAPACK's order: gebal's
 *   balancing, Hessenberg, zlahqr's / dlahqr's QR iterations), A·v = λ·v,
 *   geev's normalization, vectors equal up to a phase; 35 real and 24
 *   complex matrices (n = 1 … 40) compared in order;
 * - jvps against jax.jvp (complex128), and every rule against central
 *   differences in complex128 (gauge-invariant outputs for eigh/svd vectors:
 *   |vᵢⱼ|², as JAX's tests);
 * - vmap == a loop, jit == eager; np.linalg on complex; typed errors.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { grad, jit, jvp, lax, np, vmap, type Value } from "../src/index.js";
import { DTypeError, ShapeError, UnsupportedError } from "../src/errors.js";
import { onCpu as onCpuDefault, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("linalg-complex-spectral.test.ts");
/** The CPU as the default device (where there is no WebGPU it is already). */
const onCpu = <T>(f: () => T): T => (hasGpu ? onCpuDefault(f) : f());

type CJson = { re: unknown; im: unknown; shape: number[] };
type Dt = "complex64" | "complex128";
const fx = JSON.parse(readFileSync(new URL("./fixtures/linalg-complex-spectral/cases.json", import.meta.url), "utf8")) as {
  qr: { name: string; dtype: Dt; full: boolean; x: CJson; q: CJson; r: CJson }[];
  eigh: { name: string; dtype: Dt; x: CJson; w: unknown; v: CJson }[];
  svd: { name: string; dtype: Dt; x: CJson; s: unknown; u: CJson; vt: CJson }[];
  eig: { name: string; dtype: Dt; x: CJson; w: CJson; v: CJson }[];
  eigReal: { name: string; x: unknown; shape: number[]; w: CJson }[];
  eigOrder: { name: string; x: CJson; w: CJson }[];
  jvps: {
    qr: { x: CJson; dx: CJson; dq: CJson; dr: CJson };
    qrWide: { x: CJson; dx: CJson; dq: CJson; dr: CJson };
    qrWideReal: { x: CJson; dx: CJson; dq: CJson; dr: CJson };
    eigh: { x: CJson; dx: CJson; dw: unknown };
    svd: { x: CJson; dx: CJson; ds: unknown };
    eig: { x: CJson; dx: CJson; w: CJson; dw: CJson };
  };
  grads: Record<"x" | "h" | "e" | "nuc" | "qr" | "eigh" | "eigvals", CJson>;
};

const flat = (x: unknown): number[] => (globalThis.Array.isArray(x) ? x.flatMap(flat) : [x as number]);
type C = [number, number];
const cabs = ([a, b]: C) => Math.hypot(a, b);
const csub = ([a, b]: C, [c, d]: C): C => [a - c, b - d];
const cadd = ([a, b]: C, [c, d]: C): C => [a + c, b + d];
const cmul = ([a, b]: C, [c, d]: C): C => [a * c - b * d, a * d + b * c];
const conjC = ([a, b]: C): C => [a, -b];

/** A complex array from a fixture's (re, im). */
function cin(c: CJson, dtype: Dt): Value {
  const part = dtype === "complex64" ? "float32" : "float64";
  const re = np.reshape(np.array(flat(c.re), { dtype: part }), c.shape);
  const im = np.reshape(np.array(flat(c.im), { dtype: part }), c.shape);
  return lax.complex(re, im);
}
const fixPairs = (c: CJson): C[] => {
  const re = flat(c.re);
  const im = flat(c.im);
  return re.map((r, i) => [r, im[i]] as C);
};
const pairs = (v: Value): C[] => {
  const d = v.dataSync();
  return globalThis.Array.from({ length: d.length / 2 }, (_, i) => [d[2 * i], d[2 * i + 1]] as C);
};
const maxDiff = (a: C[], b: C[]) => Math.max(0, ...a.map((x, i) => cabs(csub(x, b[i]))));
const realMax = (a: ArrayLike<number>, b: number[]) => Math.max(0, ...globalThis.Array.from(a, (x, i) => Math.abs(x - b[i])));
const tolOf = (d: Dt) => (d === "complex128" ? 1e-10 : 2e-5);

/** Column j of the m×n matrix `b` of a stack of pairs. */
const col = (M: C[], b: number, m: number, n: number, j: number) => globalThis.Array.from({ length: m }, (_, i) => M[b * m * n + i * n + j]);
/** uᴴ·v of two complex vectors. */
const cdot = (u: C[], v: C[]) => u.reduce<C>((s, e, i) => cadd(s, cmul(conjC(e), v[i])), [0, 0]);
/** The largest |a − e^{iθ}·b| over the best phase θ. */
function phaseDiff(a: C[], b: C[]): number {
  const d = cdot(b, a);
  const m = cabs(d);
  const ph: C = m > 0 ? [d[0] / m, d[1] / m] : [1, 0];
  return Math.max(...a.map((e, i) => cabs(csub(e, cmul(ph, b[i])))));
}

/** The batched complex product of value stacks. */
const mm = (a: Value, b: Value) => np.matmul(a, b);
const mH = (a: Value) => np.conj(np.matrixTranspose(a));
const maxAbs = (v: Value) => Math.max(0, ...globalThis.Array.from(np.abs(v).dataSync()));

describe("lax.linalg.qr of complex matrices against JAX", () => {
  it.each(fx.qr.map((c) => [c.name, c] as const))("%s", (_n, c) =>
    onCpu(() => {
      const x = cin(c.x, c.dtype);
      const [q, r] = lax.linalg.qr(x, { fullMatrices: c.full });
      expect(q.dtype).toBe(c.dtype);
      expect(r.dtype).toBe(c.dtype);
      expect(q.shape).toEqual(c.q.shape);
      expect(r.shape).toEqual(c.r.shape);
      const tol = tolOf(c.dtype);
      // the same convention as LAPACK's zgeqrf/zungqr: the same factors
      expect(maxDiff(pairs(q), fixPairs(c.q))).toBeLessThan(tol * 10);
      expect(maxDiff(pairs(r), fixPairs(c.r))).toBeLessThan(tol * 10);
      expect(maxAbs(np.subtract(mm(q, r), x))).toBeLessThan(tol * 10);
      const k = q.shape[q.ndim - 1];
      expect(maxAbs(np.subtract(mm(mH(q), q), np.eye(k)))).toBeLessThan(tol * 10);
      // R's diagonal real
      const rp = pairs(r);
      const [rows, cols] = r.shape.slice(-2);
      for (let i = 0; i < Math.min(rows, cols); i++) expect(rp[i * cols + i][1]).toBe(0);
    }),
  );
});

describe("lax.linalg.eigh of Hermitian matrices against JAX", () => {
  it.each(fx.eigh.map((c) => [c.name, c] as const))("%s", (_n, c) =>
    onCpu(() => {
      const x = cin(c.x, c.dtype);
      const [v, w] = lax.linalg.eigh(x);
      expect(v.dtype).toBe(c.dtype);
      expect(w.dtype).toBe(c.dtype === "complex64" ? "float32" : "float64");
      const tol = tolOf(c.dtype);
      expect(realMax(w.dataSync(), flat(c.w))).toBeLessThan(tol * 10);
      const n = x.shape[x.ndim - 1];
      const batch = x.size / (n * n);
      const V = pairs(v);
      const J = fixPairs(c.v);
      const W = flat(c.w);
      for (let b = 0; b < batch; b++) {
        for (let j = 0; j < n; j++) {
          const vj = col(V, b, n, n, j);
          // the first component real and non-negative (zheevd's lower-triangle phase, up to its sign)
          expect(vj[0][1]).toBe(0);
          expect(vj[0][0]).toBeGreaterThanOrEqual(0);
          const gap = Math.min(...W.slice(b * n, b * n + n).map((o, k) => (k === j ? Infinity : Math.abs(o - W[b * n + j]))));
          if (gap > 1e-2) expect(phaseDiff(vj, col(J, b, n, n, j))).toBeLessThan((tol * 100) / Math.min(1, gap));
        }
      }
      // A·V = V·Λ, Vᴴ·V = I
      const lam = lax.convert(np.expandDims(w, -2), c.dtype);
      expect(maxAbs(np.subtract(mm(x, v), np.multiply(v, lam)))).toBeLessThan(tol * 20);
      expect(maxAbs(np.subtract(mm(mH(v), v), np.eye(n)))).toBeLessThan(tol * 10);
    }),
  );

  it("reads only the lower (or upper) triangle without symmetrizing", () =>
    onCpu(() => {
      const c = fx.eigh.find((e) => e.name === "herm4/complex128")!;
      const x = cin(c.x, "complex128");
      const n = x.shape[1];
      const junk = lax.complex(np.triu(np.full([n, n], 7, { dtype: "float64" }), 1), np.triu(np.full([n, n], -3, { dtype: "float64" }), 1));
      const lowerOnly = np.add(np.tril(x), junk);
      const [, w] = lax.linalg.eigh(lowerOnly, { symmetrizeInput: false });
      expect(realMax(w.dataSync(), flat(c.w))).toBeLessThan(1e-10);
      const upperOnly = np.add(np.triu(x), np.conj(np.matrixTranspose(junk)));
      const [, wu] = lax.linalg.eigh(upperOnly, { symmetrizeInput: false, lower: false });
      expect(realMax(wu.dataSync(), flat(c.w))).toBeLessThan(1e-10);
    }));
});

describe("lax.linalg.svd of complex matrices against JAX", () => {
  it.each(fx.svd.map((c) => [c.name, c] as const))("%s", (_n, c) =>
    onCpu(() => {
      const x = cin(c.x, c.dtype);
      const tol = tolOf(c.dtype);
      const [m, n] = x.shape.slice(-2);
      const k = Math.min(m, n);
      const batch = x.size / (m * n);
      for (const fullMatrices of [false, true]) {
        const [u, s, vt] = lax.linalg.svd(x, { fullMatrices });
        expect(s.dtype).toBe(c.dtype === "complex64" ? "float32" : "float64");
        expect(u.shape.slice(-2)).toEqual([m, fullMatrices ? m : k]);
        expect(vt.shape.slice(-2)).toEqual([fullMatrices ? n : k, n]);
        expect(realMax(s.dataSync(), flat(c.s))).toBeLessThan(tol * 10);
        expect(maxAbs(np.subtract(mm(mH(u), u), np.eye(u.shape[u.ndim - 1])))).toBeLessThan(tol * 10);
        expect(maxAbs(np.subtract(mm(vt, mH(vt)), np.eye(vt.shape[vt.ndim - 2])))).toBeLessThan(tol * 10);
        const uk = lax.sliceInDim(u, 0, k, 1, u.ndim - 1);
        const vk = lax.sliceInDim(vt, 0, k, 1, vt.ndim - 2);
        const us = np.multiply(uk, lax.convert(np.expandDims(s, -2), c.dtype));
        expect(maxAbs(np.subtract(mm(us, vk), x))).toBeLessThan(tol * 20);
        // uⱼ and vⱼ equal JAX's up to one shared phase
        const U = pairs(uk);
        const Vt = pairs(vk);
        const JU = fixPairs(c.u);
        const JV = fixPairs(c.vt);
        const S = flat(c.s);
        for (let b = 0; b < batch; b++) {
          for (let j = 0; j < k; j++) {
            const gap = Math.min(...S.slice(b * k, b * k + k).map((o, i) => (i === j ? Infinity : Math.abs(o - S[b * k + j]))));
            if (gap < 1e-2) continue;
            const uj = col(U, b, m, k, j);
            const ju = col(JU, b, m, k, j);
            const d = cdot(ju, uj);
            const ph: C = [d[0] / cabs(d), d[1] / cabs(d)];
            expect(Math.max(...uj.map((e, i) => cabs(csub(e, cmul(ph, ju[i])))))).toBeLessThan((tol * 100) / Math.min(1, gap));
            // vᴴ's row j carries conj(phase)
            const vj = globalThis.Array.from({ length: n }, (_, i) => Vt[b * k * n + j * n + i]);
            const jv = globalThis.Array.from({ length: n }, (_, i) => JV[b * k * n + j * n + i]);
            expect(Math.max(...vj.map((e, i) => cabs(csub(e, cmul(conjC(ph), jv[i])))))).toBeLessThan((tol * 100) / Math.min(1, gap));
          }
        }
      }
      // computeUv: false gives the same values
      expect(realMax(lax.linalg.svd(x, { computeUv: false }).dataSync(), flat(c.s))).toBeLessThan(tol * 10);
    }),
  );
});

describe("eig of complex matrices against JAX (CPU), in LAPACK's order", () => {
  it.each(fx.eig.map((c) => [c.name, c] as const))("%s", (_n, c) =>
    onCpu(() => {
      const x = cin(c.x, c.dtype);
      const [w, v] = np.linalg.eig(x);
      expect(w.dtype).toBe(c.dtype);
      expect(v.dtype).toBe(c.dtype);
      const n = x.shape[x.ndim - 1];
      const batch = x.size / (n * n);
      const tol = tolOf(c.dtype);
      const A = pairs(x);
      const scale = Math.max(1, ...A.map(cabs));
      const W = pairs(w);
      const JW = fixPairs(c.w);
      // the same order as LAPACK's zgeev, value by value
      expect(maxDiff(W, JW)).toBeLessThan(tol * scale * 10);
      expect(pairs(np.linalg.eigvals(x))).toEqual(W);
      const V = pairs(v);
      const JV = fixPairs(c.v);
      for (let b = 0; b < batch; b++) {
        for (let j = 0; j < n; j++) {
          const vj = col(V, b, n, n, j);
          expect(Math.abs(Math.hypot(...vj.map(cabs)) - 1)).toBeLessThan(tol * 10);
          const big = vj.reduce((mx, e, i) => (cabs(e) > cabs(vj[mx]) ? i : mx), 0);
          expect(vj[big][1]).toBe(0);
          for (let i = 0; i < n; i++) {
            let av: C = [0, 0];
            for (let k = 0; k < n; k++) av = cadd(av, cmul(A[b * n * n + i * n + k], vj[k]));
            expect(cabs(csub(av, cmul(W[b * n + j], vj[i])))).toBeLessThan(tol * scale * n * 10);
          }
          const gap = Math.min(...W.slice(b * n, b * n + n).map((o, k) => (k === j ? Infinity : cabs(csub(o, W[b * n + j])))));
          if (gap > 1e-2 * scale) expect(phaseDiff(vj, col(JV, b, n, n, j))).toBeLessThan((tol * scale * 100) / Math.min(1, gap / scale));
        }
      }
    }),
  );

  // Real input: the order of LAPACK's dlahqr (src/backend/cpu/linalg-eig-order.ts) after gebal's balancing,
  // compared value by value with dgeev's through JAX on 35 matrices (sizes 2 … 40, scaled, isolated, symmetric,
  // companion, integer).
  it.each(fx.eigReal.map((c) => [c.name, c] as const))("real %s: eigenvalues in LAPACK dgeev's order", (_n, c) =>
    onCpu(() => {
      const x = np.reshape(np.array(flat(c.x), { dtype: "float64" }), c.shape);
      const W = pairs(np.linalg.eigvals(x));
      const scale = Math.max(1, ...flat(c.x).map(Math.abs));
      expect(maxDiff(W, fixPairs(c.w))).toBeLessThan(1e-9 * scale);
      // and eig's values are eigvals'
      expect(pairs(np.linalg.eig(x)[0])).toEqual(W);
    }),
  );

  it.each(fx.eigOrder.map((c) => [c.name, c] as const))("complex %s: eigenvalues in LAPACK zgeev's order", (_n, c) =>
    onCpu(() => {
      const W = pairs(np.linalg.eigvals(cin(c.x, "complex128")));
      const J = fixPairs(c.w);
      expect(maxDiff(W, J)).toBeLessThan(1e-9 * 10);
    }),
  );

  it("left eigenvectors of a complex matrix: vlᴴ·A = λ·vlᴴ", () =>
    onCpu(() => {
      const x = cin(fx.eig[0].x, "complex128");
      const [w, vl, vr] = lax.linalg.eig(x, { computeLeftEigenvectors: true });
      const lam = np.expandDims(w, -2);
      expect(maxAbs(np.subtract(mm(mH(vl), x), np.multiply(mH(vl), np.matrixTranspose(lam))))).toBeLessThan(1e-10);
      expect(maxAbs(np.subtract(mm(x, vr), np.multiply(vr, lam)))).toBeLessThan(1e-10);
    }));
});

// ---- derivatives ----------------------------------------------------------------------------

/** Central differences of f at x along dx (complex128), against jvp's tangent. */
function fdCheck(f: (x: Value) => Value, x: Value, dx: Value, tol = 1e-6): void {
  const h = 1e-6;
  const [, t] = jvp((a: Value) => f(a), [x], [dx]);
  const plus = f(np.add(x, np.multiply(dx, h)));
  const minus = f(np.subtract(x, np.multiply(dx, h)));
  const fd = np.divide(np.subtract(plus, minus), 2 * h);
  const scale = Math.max(1, maxAbs(fd));
  expect(maxAbs(np.subtract(t as Value, fd)) / scale).toBeLessThan(tol);
}

describe("complex jvps against JAX and central differences (complex128)", () => {
  const J = fx.jvps;
  it("qr: (dq, dr) as jax.jvp, and as central differences", () =>
    onCpu(() => {
      const x = cin(J.qr.x, "complex128");
      const dx = cin(J.qr.dx, "complex128");
      const [, [dq, dr]] = jvp((a: Value) => lax.linalg.qr(a), [x], [dx]) as unknown as [Value[], Value[]];
      expect(maxDiff(pairs(dq), fixPairs(J.qr.dq))).toBeLessThan(1e-10);
      expect(maxDiff(pairs(dr), fixPairs(J.qr.dr))).toBeLessThan(1e-10);
      fdCheck((a) => lax.linalg.qr(a)[0], x, dx);
      fdCheck((a) => lax.linalg.qr(a)[1], x, dx);
      // square, batched
      const xs = np.stack([cin(fx.qr[2].x, "complex128"), cin(fx.qr[2].x, "complex128")]);
      fdCheck((a) => lax.linalg.qr(a)[0], xs, np.multiply(xs, lax.complex(0.3, -0.7)));
    }));

  it("qr of wide matrices (complex128 and float64): (dq, dr) as jax.jvp, and as central differences", () =>
    onCpu(() => {
      for (const [c, real] of [[J.qrWide, false], [J.qrWideReal, true]] as const) {
        const x = real ? np.reshape(np.array(flat(c.x.re), { dtype: "float64" }), c.x.shape) : cin(c.x, "complex128");
        const dx = real ? np.reshape(np.array(flat(c.dx.re), { dtype: "float64" }), c.dx.shape) : cin(c.dx, "complex128");
        const [, [dq, dr]] = jvp((a: Value) => lax.linalg.qr(a), [x], [dx]) as unknown as [Value[], Value[]];
        const asPairs = (v: Value) => (real ? globalThis.Array.from(v.dataSync(), (e) => [e, 0] as C) : pairs(v));
        expect(maxDiff(asPairs(dq), fixPairs(c.dq))).toBeLessThan(1e-10);
        expect(maxDiff(asPairs(dr), fixPairs(c.dr))).toBeLessThan(1e-10);
        fdCheck((a) => lax.linalg.qr(a)[0], x, dx);
        fdCheck((a) => lax.linalg.qr(a)[1], x, dx);
        fdCheck((a) => lax.linalg.qr(a, { fullMatrices: true })[1], x, dx);
      }
    }));

  it("eigh: dw as jax.jvp; w and the gauge-invariant |v|² as central differences", () =>
    onCpu(() => {
      const x = cin(J.eigh.x, "complex128");
      const dx = cin(J.eigh.dx, "complex128");
      const [, [, dw]] = jvp((a: Value) => lax.linalg.eigh(a), [x], [dx]) as unknown as [Value[], Value[]];
      expect(realMax(dw.dataSync(), flat(J.eigh.dw))).toBeLessThan(1e-10);
      fdCheck((a) => lax.linalg.eigh(a)[1], x, dx);
      fdCheck((a) => np.square(np.abs(lax.linalg.eigh(a)[0])), x, dx);
      // a gauge-invariant product: V·diag(w²)·Vᴴ = A²
      fdCheck((a) => {
        const [v, w] = lax.linalg.eigh(a);
        return mm(np.multiply(v, lax.convert(np.expandDims(np.square(w), -2), "complex128")), mH(v));
      }, x, dx);
    }));

  it("svd: ds as jax.jvp; s, |u|², |v|² and U·S·Vᴴ as central differences (tall, wide, square)", () =>
    onCpu(() => {
      const x = cin(J.svd.x, "complex128");
      const dx = cin(J.svd.dx, "complex128");
      const [, ds] = jvp((a: Value) => lax.linalg.svd(a, { computeUv: false }), [x], [dx]);
      expect(realMax((ds as Value).dataSync(), flat(J.svd.ds))).toBeLessThan(1e-10);
      for (const c of [fx.svd[1], fx.svd[2], fx.svd[3]]) {
        const a0 = cin(c.x, "complex128");
        const t = np.multiply(np.flip(a0, -1), lax.complex(0.4, 0.9));
        fdCheck((a) => lax.linalg.svd(a, { computeUv: false }), a0, t);
        fdCheck((a) => np.square(np.abs(lax.linalg.svd(a, { fullMatrices: false })[0])), a0, t);
        fdCheck((a) => np.square(np.abs(lax.linalg.svd(a, { fullMatrices: false })[2])), a0, t);
        // u_ij·conj(vt_jk) summed over j with a weight: a gauge-invariant product
        fdCheck((a) => {
          const [u, s, vt] = lax.linalg.svd(a, { fullMatrices: false });
          return mm(np.multiply(u, lax.convert(np.expandDims(np.sqrt(s), -2), "complex128")), vt);
        }, a0, t);
      }
    }));

  it("eig of complex input: dw as jax.jvp and as central differences; eigenvectors with enableEigvecDerivs", () =>
    onCpu(() => {
      const x = cin(J.eig.x, "complex128");
      const dx = cin(J.eig.dx, "complex128");
      const [w, dw] = jvp((a: Value) => np.linalg.eigvals(a), [x], [dx]);
      expect(maxDiff(pairs(w as Value), fixPairs(J.eig.w))).toBeLessThan(1e-10);
      expect(maxDiff(pairs(dw as Value), fixPairs(J.eig.dw))).toBeLessThan(1e-9);
      fdCheck((a) => np.linalg.eigvals(a), x, dx);
      fdCheck((a) => lax.linalg.eig(a, { enableEigvecDerivs: true })[1], x, dx, 1e-5);
      fdCheck((a) => lax.linalg.eig(a, { enableEigvecDerivs: true, computeLeftEigenvectors: true, computeRightEigenvectors: false })[1], x, dx, 1e-5);
    }));

  it("np.linalg.norm(x, 2 / -2 / 'nuc'), pinv, lstsq and cond of complex matrices, with their jvps", () =>
    onCpu(() => {
      const c = fx.svd.find((e) => e.name === "tall5x3/complex128")!;
      const x = cin(c.x, "complex128");
      const s = flat(c.s);
      expect(np.linalg.norm(x, 2).dataSync()[0]).toBeCloseTo(s[0], 10);
      expect(np.linalg.norm(x, -2).dataSync()[0]).toBeCloseTo(s[s.length - 1], 10);
      expect(np.linalg.norm(x, "nuc").dataSync()[0]).toBeCloseTo(s.reduce((a, b) => a + b, 0), 10);
      expect(np.linalg.cond(x).dataSync()[0]).toBeCloseTo(s[0] / s[s.length - 1], 8);
      expect(np.linalg.matrixRank(x).dataSync()[0]).toBe(3);
      // pinv: x⁺·x = I (full column rank)
      const p = np.linalg.pinv(x);
      expect(p.dtype).toBe("complex128");
      expect(maxAbs(np.subtract(mm(p, x), np.eye(3)))).toBeLessThan(1e-10);
      // lstsq: the normal equations xᴴ·(x·sol − b) = 0 hold, residuals are the real |x·sol − b|²
      const b = np.multiply(np.flip(x, 0), lax.complex(0.7, 0.3)); // not in x's column space
      const [sol, resid, rank, sv] = np.linalg.lstsq(x, b);
      expect([sol.dtype, resid.dtype, rank.dataSync()[0]]).toEqual(["complex128", "float64", 3]);
      expect(realMax(sv.dataSync(), s)).toBeLessThan(1e-12);
      const res = np.subtract(mm(x, sol), b);
      expect(maxAbs(mm(mH(x), res))).toBeLessThan(1e-10);
      expect(realMax(resid.dataSync(), globalThis.Array.from(np.sum(np.real(np.multiply(res, np.conj(res))), 0).dataSync()))).toBeLessThan(1e-10);
      expect(Math.min(...globalThis.Array.from(resid.dataSync()))).toBeGreaterThan(1e-3);
      const t = np.multiply(np.flip(x, 0), lax.complex(0.2, -0.5));
      fdCheck((a) => np.linalg.norm(a, "nuc"), x, t);
      fdCheck((a) => np.linalg.pinv(a), x, t);
      // qr/svd/eigh through np.linalg
      const [q, r] = np.linalg.qr(x);
      expect(maxAbs(np.subtract(mm(q, r), x))).toBeLessThan(1e-12);
      expect(realMax(np.linalg.svdvals(x).dataSync(), s)).toBeLessThan(1e-12);
      const ch = fx.eigh.find((e) => e.name === "herm4/complex128")!;
      expect(realMax(np.linalg.eigvalsh(cin(ch.x, "complex128")).dataSync(), flat(ch.w))).toBeLessThan(1e-12);
    }));
});

describe("grad of real losses of complex input, as jax.grad (complex128)", () => {
  const G = fx.grads;
  const weights = (k: number) => np.arange(1, k + 1, 1, { dtype: "float64" });
  const cases: [string, CJson, (a: Value) => Value, CJson][] = [
    ["norm(a, 'nuc')", G.x, (a) => np.linalg.norm(a, "nuc"), G.nuc],
    [
      "qr: Σ|r|²·w + Σ Re(q)·w",
      G.x,
      (a) => {
        const [q, r] = np.linalg.qr(a);
        return np.add(np.sum(np.multiply(np.square(np.abs(r)), weights(3))), np.sum(np.multiply(np.real(q), weights(3))));
      },
      G.qr,
    ],
    [
      "eigh: Σ w·k + Σ |v|²·(k−1)",
      G.h,
      (a) => np.add(np.sum(np.multiply(np.linalg.eigvalsh(a), weights(4))), np.sum(np.multiply(np.square(np.abs(np.linalg.eigh(a)[1])), np.arange(0, 4, 1, { dtype: "float64" })))),
      G.eigh,
    ],
    ["eigvals: Σ|λ|²", G.e, (a) => np.sum(np.square(np.abs(np.linalg.eigvals(a)))), G.eigvals],
  ];
  it.each(cases)("%s", (_n, x, f, want) =>
    onCpu(() => {
      const g = grad(f)(cin(x, "complex128"));
      expect(g.dtype).toBe("complex128");
      expect(maxDiff(pairs(g), fixPairs(want))).toBeLessThan(1e-9);
    }),
  );
});

describe("vmap and jit of the complex decompositions", () => {
  it("vmap == a loop, jit == eager (complex64 and complex128)", () =>
    onCpu(() => {
      for (const dtype of ["complex64", "complex128"] as const) {
        const x = cin(fx.svd.find((c) => c.name.startsWith("batched"))!.x, dtype); // [2, 3, 4]
        const h = cin(fx.eigh.find((c) => c.name.startsWith("batched"))!.x, dtype); // [2, 3, 3]
        const e = cin(fx.eig.find((c) => c.name.startsWith("batched"))!.x, dtype);
        const fns: [string, (a: Value) => Value[], Value][] = [
          ["qr", (a) => lax.linalg.qr(a), x],
          ["qr full", (a) => lax.linalg.qr(a, { fullMatrices: true }), x],
          ["svd", (a) => lax.linalg.svd(a), x],
          ["eigh", (a) => lax.linalg.eigh(a), h],
          ["eig", (a) => lax.linalg.eig(a, { computeLeftEigenvectors: true }), e],
        ];
        for (const [, f, a] of fns) {
          const batched = vmap((b: Value) => f(b))(a) as unknown as Value[];
          const loop = [0, 1].map((i) => f(lax.indexInDim(a, i, 0, false)));
          batched.forEach((o, k) => {
            const want = np.stack(loop.map((l) => l[k]));
            expect(globalThis.Array.from(o.dataSync())).toEqual(globalThis.Array.from(want.dataSync()));
          });
          const jitted = jit((b: Value) => f(b))(a) as unknown as Value[];
          const eager = f(a);
          jitted.forEach((o, k) => expect(globalThis.Array.from(o.dataSync())).toEqual(globalThis.Array.from(eager[k].dataSync())));
        }
      }
    }));
});

describe("typed errors", () => {
  it("shapes and dtypes", () =>
    onCpu(() => {
      const z = lax.complex(np.ones([3]), np.ones([3]));
      expect(() => lax.linalg.qr(z)).toThrow(ShapeError);
      expect(() => lax.linalg.eigh(lax.complex(np.ones([2, 3]), np.ones([2, 3])))).toThrow(ShapeError);
      expect(() => np.linalg.eig(lax.complex(np.ones([2, 3]), np.ones([2, 3])))).toThrow(ShapeError);
      expect(() => lax.linalg.svd(np.ones([2, 2], { dtype: "int32" }))).toThrow(DTypeError);
      // full U of a non-square matrix has no derivative (as JAX)
      const x = cin(fx.svd[0].x, "complex128");
      expect(() => jvp((a: Value) => lax.linalg.svd(a), [x], [x])).toThrow(ShapeError);
      // eigenvector derivatives need the opt-in
      const e = cin(fx.eig[0].x, "complex128");
      expect(() => jvp((a: Value) => np.linalg.eig(a)[1], [e], [e])).toThrow(UnsupportedError);
    }));
});
