/**
 * lax.linalg.eig, np.linalg.eig and np.linalg.eigvals (CPU) against real JAX
 * (fixtures from test/fixtures/linalg-eig/gen.py: LAPACK geev through jaxlib).
 *
 * - eigenvalues as a set (each of jaxon's matched to the nearest of JAX's),
 *   within 1e-10 (float64) or 2e-5 (float32) of the matrix's scale (measured:
 *   ≤ 3.5e-15 and ≤ 5.6e-6, the latter mostly JAX's own float32 error);
 * - A·v = λ·v (and vlᴴ·A = λ·vlᴴ) residuals, unit-norm columns with the
 *   largest component real (LAPACK geev's normalization);
 * - eigenvectors equal to JAX's up to one complex phase per column (where
 *   the eigenvalue is simple);
 * - eigvals == eig's values, vmap == a loop, jit == eager;
 * - grad of sum |λ|² against JAX's and against central differences (float64);
 * - jvp of (w, vl, vr) with enableEigvecDerivs against jax.jvp (float64);
 * - typed errors: bad dtypes and shapes, eigenvector derivatives, WebGPU input.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Array, devicePut, grad, jit, jvp, lax, np, vmap, type Value } from "../src/index.js";
import { DTypeError, JaxonError, ShapeError, UnsupportedError } from "../src/errors.js";
import { onCpu, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("linalg-eig.test.ts");

type Case = { name: string; dtype: "float32" | "float64"; x: unknown; shape: number[]; w: unknown; v: unknown };
type GradCase = { name: string; x: unknown; shape: number[]; value: number; grad: unknown };
type JvpCase = { name: string; x: unknown; dx: unknown; shape: number[]; w: unknown; vl: unknown; vr: unknown; dw: unknown; dvl: unknown; dvr: unknown };
const fixture = JSON.parse(readFileSync(new URL("./fixtures/linalg-eig/cases.json", import.meta.url), "utf8")) as { cases: Case[]; grads: GradCase[]; jvps: JvpCase[] };

const flat = (x: unknown): number[] => (globalThis.Array.isArray(x) ? x.flatMap(flat) : [x as number]);
type C = [number, number];
const toPairs = (d: ArrayLike<number>): C[] => globalThis.Array.from({ length: d.length / 2 }, (_, i) => [d[2 * i], d[2 * i + 1]] as C);
const cabs = ([a, b]: C) => Math.hypot(a, b);
const csub = ([a, b]: C, [c, d]: C): C => [a - c, b - d];
const cmul = ([a, b]: C, [c, d]: C): C => [a * c - b * d, a * d + b * c];
const conj = ([a, b]: C): C => [a, -b];

function input(c: { x: unknown; shape: number[] }, dtype: string): Value {
  return np.reshape(np.array(flat(c.x), { dtype: dtype as "float64" }), c.shape);
}

/** Matches each of `ours` to the nearest unused of `theirs`: the permutation and the worst distance. */
function matchSets(ours: C[], theirs: C[]): { perm: number[]; err: number } {
  const used = new Set<number>();
  const perm: number[] = [];
  let err = 0;
  for (const o of ours) {
    let best = -1;
    let bd = Infinity;
    theirs.forEach((t, k) => {
      const d = cabs(csub(o, t));
      if (!used.has(k) && d < bd) {
        bd = d;
        best = k;
      }
    });
    used.add(best);
    perm.push(best);
    err = Math.max(err, bd);
  }
  return { perm, err };
}

const scaleOf = (a: number[]) => Math.max(1, ...a.map(Math.abs));

describe("np.linalg.eig against JAX (CPU)", () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))("%s", (_name, c) =>
    onCpu(() => {
      const x = input(c, c.dtype);
      const [w, v] = np.linalg.eig(x);
      const n = c.shape[c.shape.length - 1];
      const batch = c.shape.slice(0, -2).reduce((a, b) => a * b, 1);
      expect(w.dtype).toBe(c.dtype === "float32" ? "complex64" : "complex128");
      expect(v.dtype).toBe(w.dtype);
      expect(w.shape).toEqual(c.shape.slice(0, -1));
      expect(v.shape).toEqual(c.shape);
      const A = flat(c.x);
      const W = toPairs(w.dataSync());
      const V = toPairs(v.dataSync());
      const jw = toPairs(flat(c.w));
      const jv = toPairs(flat(c.v));
      const tol = c.dtype === "float64" ? 1e-10 : 2e-5;
      const scale = scaleOf(A);
      // eigvals gives eig's values exactly
      expect(globalThis.Array.from(np.linalg.eigvals(x).dataSync())).toEqual(globalThis.Array.from(w.dataSync()));
      for (let b = 0; b < batch; b++) {
        const wb = W.slice(b * n, (b + 1) * n);
        const jb = jw.slice(b * n, (b + 1) * n);
        const { perm, err } = matchSets(wb, jb);
        expect(err).toBeLessThan(tol * scale);
        // complex pairs conjugate and adjacent, positive imaginary part first (as LAPACK)
        for (let j = 0; j < n; j++) {
          if (wb[j][1] > 0) {
            expect(j + 1).toBeLessThan(n);
            expect(wb[j + 1]).toEqual([wb[j][0], -wb[j][1]]);
            j++;
          } else expect(wb[j][1]).toBe(0);
        }
        for (let j = 0; j < n; j++) {
          const col = (M: C[], k: number) => globalThis.Array.from({ length: n }, (_, i) => M[b * n * n + i * n + k]);
          const vj = col(V, j);
          // unit norm, the largest component real
          expect(Math.abs(Math.hypot(...vj.map(cabs)) - 1)).toBeLessThan(tol);
          const big = vj.reduce((m, e, i) => (cabs(e) > cabs(vj[m]) ? i : m), 0);
          expect(vj[big][1]).toBe(0);
          // A·v = λ·v
          for (let i = 0; i < n; i++) {
            let av: C = [0, 0];
            for (let k = 0; k < n; k++) av = [av[0] + A[b * n * n + i * n + k] * vj[k][0], av[1] + A[b * n * n + i * n + k] * vj[k][1]];
            expect(cabs(csub(av, cmul(wb[j], vj[i])))).toBeLessThan(tol * scale * n);
          }
          // JAX's vector up to a phase, where the eigenvalue is simple (well separated)
          const gap = Math.min(...wb.map((o, k) => (k === j ? Infinity : cabs(csub(o, wb[j])))));
          if (gap > 1e-2 * scale) {
            const jj = col(jv, perm[j]);
            let dot: C = [0, 0];
            for (let i = 0; i < n; i++) dot = [dot[0] + cmul(conj(jj[i]), vj[i])[0], dot[1] + cmul(conj(jj[i]), vj[i])[1]];
            const ph: C = [dot[0] / cabs(dot), dot[1] / cabs(dot)];
            const diff = Math.max(...vj.map((e, i) => cabs(csub(e, cmul(ph, jj[i])))));
            expect(diff).toBeLessThan((tol * scale) / Math.min(1, gap / scale) * 10);
          }
        }
      }
    }),
  );
});

describe("lax.linalg.eig", () => {
  it("left eigenvectors: vlᴴ·A = λ·vlᴴ, unit norm, with the right ones from one call", () =>
    onCpu(() => {
      for (const name of ["random7/float64", "rotation3/float64", "batched/float64"]) {
        const c = fixture.cases.find((k) => k.name === name)!;
        const [w, vl, vr] = lax.linalg.eig(input(c, "float64"), { computeLeftEigenvectors: true });
        expect(vr.shape).toEqual(c.shape);
        const [w2, vr2] = lax.linalg.eig(input(c, "float64"));
        expect(globalThis.Array.from(w.dataSync())).toEqual(globalThis.Array.from(w2.dataSync()));
        expect(globalThis.Array.from(vr.dataSync())).toEqual(globalThis.Array.from(vr2.dataSync()));
        const A = flat(c.x);
        const n = c.shape[c.shape.length - 1];
        const W = toPairs(w.dataSync());
        const L = toPairs(vl.dataSync());
        const batch = A.length / (n * n);
        for (let b = 0; b < batch; b++) {
          for (let j = 0; j < n; j++) {
            let nrm = 0;
            for (let i = 0; i < n; i++) {
              // (vlᴴ A)_i = Σ_k conj(vl_kj) A_ki
              let s: C = [0, 0];
              for (let k = 0; k < n; k++) s = [s[0] + A[b * n * n + k * n + i] * L[b * n * n + k * n + j][0], s[1] - A[b * n * n + k * n + i] * L[b * n * n + k * n + j][1]];
              expect(cabs(csub(s, cmul(W[b * n + j], conj(L[b * n * n + i * n + j]))))).toBeLessThan(1e-12 * n * scaleOf(A));
              nrm += cabs(L[b * n * n + i * n + j]) ** 2;
            }
            expect(Math.abs(Math.sqrt(nrm) - 1)).toBeLessThan(1e-12);
          }
        }
      }
    }));

  it("eigenvalues only: one output; vmap == a loop; jit == eager", () =>
    onCpu(() => {
      const c = fixture.cases.find((k) => k.name === "batched/float32")!;
      const x = input(c, "float32");
      const outs = lax.linalg.eig(x, { computeRightEigenvectors: false });
      expect(outs.length).toBe(1);
      const batched = vmap((a: Value) => np.linalg.eigvals(a))(x);
      const loop = [0, 1, 2].map((i) => globalThis.Array.from(np.linalg.eigvals(np.take(x, i, 0)).dataSync()));
      expect(globalThis.Array.from(batched.dataSync())).toEqual(loop.flat());
      // vmap over a non-leading axis moves it to the front
      const moved = vmap((a: Value) => np.linalg.eig(a)[1], { inAxes: 2 })(np.moveaxis(x, 0, 2));
      expect(globalThis.Array.from(moved.dataSync())).toEqual(globalThis.Array.from(np.linalg.eig(x)[1].dataSync()));
      const jitted = jit((a: Value) => np.linalg.eig(a))(x) as Value[];
      const eager = np.linalg.eig(x);
      expect(globalThis.Array.from(jitted[0].dataSync())).toEqual(globalThis.Array.from(eager[0].dataSync()));
      expect(globalThis.Array.from(jitted[1].dataSync())).toEqual(globalThis.Array.from(eager[1].dataSync()));
    }));

  it.each(fixture.grads.map((g) => [g.name, g] as const))("grad of sum |λ|² vs JAX and central differences (float64): %s", (_name, g) =>
    onCpu(() => {
      const f = (a: Value) => {
        const w = np.linalg.eigvals(a);
        return np.sum(np.real(np.multiply(w, np.conj(w))));
      };
      const x = input(g, "float64");
      expect(f(x).dataSync()[0]).toBeCloseTo(g.value, 10);
      const got = globalThis.Array.from(grad(f)(x).dataSync());
      // jit of grad == grad; vmap of grad over the batch == the batched grad (one primitive call either way)
      expect(globalThis.Array.from(jit(grad(f))(x).dataSync())).toEqual(got);
      if (g.shape.length === 3) expect(globalThis.Array.from(vmap(grad(f))(x).dataSync())).toEqual(got);
      const want = flat(g.grad);
      const base = flat(g.x);
      const h = 1e-6;
      got.forEach((gv, i) => {
        expect(Math.abs(gv - want[i])).toBeLessThan(1e-9 * Math.max(1, Math.abs(want[i])));
        const p = base.slice();
        const m = base.slice();
        p[i] += h;
        m[i] -= h;
        const fd = (f(input({ x: p, shape: g.shape }, "float64")).dataSync()[0] - f(input({ x: m, shape: g.shape }, "float64")).dataSync()[0]) / (2 * h);
        expect(Math.abs(gv - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
      });
    }));

  it.each(fixture.jvps.map((c) => [c.name, c] as const))("jvp of w, vl and vr with enableEigvecDerivs vs jax.jvp (float64): %s", (_name, c) =>
    onCpu(() => {
      const f = (a: Value) => lax.linalg.eig(a, { computeLeftEigenvectors: true, enableEigvecDerivs: true });
      const [outs, touts] = jvp(f, [input(c, "float64")], [input({ x: c.dx, shape: c.shape }, "float64")]) as unknown as [Value[], Value[]];
      const n = c.shape[c.shape.length - 1];
      const batch = flat(c.x).length / (n * n);
      const [W, VL, VR, DW, DVL, DVR] = [...outs, ...touts].map((o) => toPairs(o.dataSync()));
      const [jW, jVL, jVR, jDW, jDVL, jDVR] = [c.w, c.vl, c.vr, c.dw, c.dvl, c.dvr].map((e) => toPairs(flat(e)));
      for (let b = 0; b < batch; b++) {
        const { perm, err } = matchSets(W.slice(b * n, (b + 1) * n), jW.slice(b * n, (b + 1) * n));
        expect(err).toBeLessThan(1e-10);
        for (let j = 0; j < n; j++) {
          const k = perm[j];
          expect(cabs(csub(DW[b * n + j], jDW[b * n + k]))).toBeLessThan(1e-8);
          // the vectors agree up to the sign LAPACK leaves on the (real) largest component; the tangents flip with them
          for (const [V, jV, D, jD] of [[VR, jVR, DVR, jDVR], [VL, jVL, DVL, jDVL]] as C[][][]) {
            const at = (M: C[], col: number, i: number) => M[b * n * n + i * n + col];
            let big = 0;
            for (let i = 0; i < n; i++) if (cabs(at(V, j, i)) > cabs(at(V, j, big))) big = i;
            const sgn = Math.sign(at(V, j, big)[0] * at(jV, k, big)[0]);
            for (let i = 0; i < n; i++) {
              expect(cabs(csub(at(V, j, i), [sgn * at(jV, k, i)[0], sgn * at(jV, k, i)[1]]))).toBeLessThan(1e-10);
              expect(cabs(csub(at(D, j, i), [sgn * at(jD, k, i)[0], sgn * at(jD, k, i)[1]]))).toBeLessThan(1e-8);
            }
          }
        }
      }
    }));

  it("a non-finite input gives NaNs; the zero matrix gives zeros and the identity; a 0×0 matrix gives empty outputs", () =>
    onCpu(() => {
      const [w, v] = np.linalg.eig(np.array([[1, NaN], [0, 2]]));
      expect(globalThis.Array.from(w.dataSync()).every(Number.isNaN)).toBe(true);
      expect(globalThis.Array.from(v.dataSync()).every(Number.isNaN)).toBe(true);
      // the zero matrix: zeros and the identity, as LAPACK
      const [wz, vz] = np.linalg.eig(np.zeros([3, 3], { dtype: "float64" }));
      expect(globalThis.Array.from(wz.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
      expect(globalThis.Array.from(vz.dataSync())).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
      const [w0, v0] = np.linalg.eig(np.zeros([2, 0, 0]));
      expect(w0.shape).toEqual([2, 0]);
      expect(v0.shape).toEqual([2, 0, 0]);
    }));

  it("typed errors for bad input and for the eigenvectors' derivative", () =>
    onCpu(() => {
      expect(() => np.linalg.eig(np.ones([2, 3]))).toThrow(ShapeError);
      expect(() => np.linalg.eigvals(np.ones([3]))).toThrow(ShapeError);
      expect(() => lax.linalg.eig(np.ones([2, 2], { dtype: "int32" }))).toThrow(DTypeError);
      // complex input is taken (test/linalg-complex-spectral.test.ts)
      expect(lax.linalg.eig(lax.complex(np.ones([2, 2]), np.ones([2, 2])))[0].dtype).toBe("complex64");
      expect(() => lax.linalg.eig(np.ones([2, 2]), { computeLeftEigenvectors: 1 as unknown as boolean })).toThrow(DTypeError);
      const vecs = (a: Value) => np.sum(np.real(np.linalg.eig(a)[1]));
      expect(() => grad(vecs)(np.array([[1, 2], [3, 4]], { dtype: "float64" }))).toThrow(/eigenvalues alone/);
    }));
});

describe("hostile arguments (np.linalg and lax.linalg are not walked by test/fuzz-hostile.test.ts)", () => {
  it("typed errors only, no method of a caller's value called", () =>
    onCpu(() => {
      const touched: string[] = [];
      const evil = { toString: () => (touched.push("toString"), "x"), valueOf: () => (touched.push("valueOf"), 1) };
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const hostile: unknown[] = [undefined, null, "float32", Symbol("s"), NaN, [[]], [[1, 2], [3]], evil, cyclic, () => 1, { dtype: evil }, 2n];
      const calls: [string, (a: unknown, b: unknown) => unknown][] = [
        ["np.linalg.eig", (a) => np.linalg.eig(a as Value)],
        ["np.linalg.eigvals", (a) => np.linalg.eigvals(a as Value)],
        ["lax.linalg.eig", (a, b) => lax.linalg.eig(a as Value, b as object)],
      ];
      for (const [name, f] of calls) {
        for (const h of hostile) {
          for (const args of [[h, undefined], [np.eye(2), h]] as [unknown, unknown][]) {
            if (args[1] !== undefined && name !== "lax.linalg.eig") continue;
            try {
              f(args[0], args[1]);
            } catch (e) {
              expect(e, `${name} with a hostile argument`).toBeInstanceOf(JaxonError);
            }
          }
        }
      }
      expect(touched).toEqual([]);
    }));
});

describe.skipIf(!hasGpu)("WebGPU", () => {
  it("refuses with an UnsupportedError naming the fix (eig is CPU-only, as in JAX)", async () => {
    const g = devicePut(np.array([[1, 2], [3, 4]]) as Array, "webgpu");
    let err: unknown = null;
    try {
      const [w] = np.linalg.eig(g);
      await w.data();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedError);
    expect(String((err as Error).message)).toMatch(/run eig on the CPU/);
  });
});
