/**
 * lax.linalg and np.linalg on the CPU in float64, checked by numbers
 * computed independently of the code under test:
 * - reconstruction identities (Q·R = A, U·S·Vᵀ = A, L·Lᵀ = A, P·A = L·U,
 *   V·diag(w)·Vᵀ = A, A·inv(A) = I) with orthonormality, on random,
 *   ill-conditioned, rank-deficient, rectangular and batched inputs, in
 *   plain JS loops;
 * - every jvp rule against central finite differences (float64), and every
 *   vjp against its jvp by the dot-product test (which checks
 *   triangular_solve's transpose rule and the linearization of the others);
 * - vmap against a loop, jit against eager, grad identities
 *   (∇ log|det A| = A⁻ᵀ, ∇ Σ eigvalsh = I);
 * - JAX's degenerate-eigenvalue caveat, singular inputs (inf/NaN, never a
 *   throw) and typed errors.
 * JAX's own values are in linalg-jax.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultDevice, grad, jit, jvp, lax, np, vjp, vmap, type Value } from "../src/index.js";
import { DTypeError, ShapeError } from "../src/errors.js";
import { arr, dot, rand, values } from "./helpers.js";

const L = lax.linalg;
const nl = np.linalg;

// the CPU is the default here: these tests are float64, which WebGPU lacks
let previous: ReturnType<typeof defaultDevice>;
beforeAll(() => {
  previous = defaultDevice();
  defaultDevice("cpu");
});
afterAll(() => void defaultDevice(previous));

const rnd = (shape: number[], seed: number) => arr(rand(shape.reduce((a, b) => a * b, 1), seed), "float64", shape);

/** Row-major matrices as nested JS arrays, for loops written independently of jaxon. */
type M = number[][];
function mats(x: Value): M[] {
  const v = values(x);
  const s = x.shape;
  const r = s[s.length - 2];
  const c = s[s.length - 1];
  const out: M[] = [];
  for (let o = 0; o < v.length; o += r * c) out.push(Array.from({ length: r }, (_, i) => v.slice(o + i * c, o + (i + 1) * c)));
  return out;
}
const mm = (a: M, b: M): M => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const tr = (a: M): M => a[0].map((_, j) => a.map((row) => row[j]));
const eye = (n: number): M => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
function maxDiff(a: M, b: M): number {
  let d = 0;
  a.forEach((row, i) => row.forEach((v, j) => (d = Math.max(d, Math.abs(v - b[i][j])))));
  return d;
}
const scaleOf = (a: M) => Math.max(1, ...a.flat().map(Math.abs));

function hilbert(n: number) {
  return arr(Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => 1 / (i + j + 1))));
}
function spd(n: number, seed: number, batch: number[] = []) {
  const a = rnd([...batch, n, n], seed);
  return lax.add(nl.matrixTranspose(a).matmul(a) as Value, lax.mul(lax.broadcastInDim(arr(eye(n).flat(), "float64", [n, n]), [...batch, n, n], [batch.length, batch.length + 1]), n)) as Value;
}

describe("reconstruction identities", () => {
  const inputs: [string, Value][] = [
    ["random 6×6", rnd([6, 6], 1)],
    ["random 9×5", rnd([9, 5], 2)],
    ["random 4×7", rnd([4, 7], 3)],
    ["batched 3×(4×4)", rnd([3, 4, 4], 4)],
    ["batched 2×2×(5×3)", rnd([2, 2, 5, 3], 5)],
    ["Hilbert 8×8 (cond 1.5e10)", hilbert(8)],
    ["rank 2, 6×5", lax.dotGeneral(rnd([6, 2], 6), rnd([2, 5], 7), { contracting: [[1], [0]], batch: [[], []] })],
    ["zeros 3×4", arr(new Array(12).fill(0), "float64", [3, 4])],
    ["random 24×24", rnd([24, 24], 8)],
  ];
  it.each(inputs)("qr (reduced and complete): Q·R = A, QᵀQ = I, R upper triangular — %s", (_n, a) => {
    for (const fullMatrices of [false, true]) {
      const [q, r] = L.qr(a, { fullMatrices });
      const As = mats(a);
      mats(q).forEach((Q, b) => {
        const R = mats(r)[b];
        expect(maxDiff(mm(Q, R), As[b])).toBeLessThan(1e-13 * scaleOf(As[b]));
        expect(maxDiff(mm(tr(Q), Q), eye(Q[0].length))).toBeLessThan(1e-13);
        R.forEach((row, i) => row.forEach((v, j) => j < i && expect(v).toBe(0)));
      });
    }
  });
  it.each(inputs)("svd: U·diag(s)·Vᵀ = A, orthonormal U and V, s descending ≥ 0 — %s", (_n, a) => {
    for (const fullMatrices of [false, true]) {
      const [u, s, vt] = L.svd(a, { fullMatrices });
      const As = mats(a);
      const S = values(s);
      const k = s.shape[s.ndim - 1];
      mats(u).forEach((U, b) => {
        const Vt = mats(vt)[b];
        const sb = S.slice(b * k, (b + 1) * k);
        sb.forEach((v, i) => i > 0 && expect(v).toBeLessThanOrEqual(sb[i - 1]));
        expect(Math.min(...sb)).toBeGreaterThanOrEqual(0);
        const US = U.map((row) => row.map((v, j) => (j < k ? v * sb[j] : 0)));
        const rec = mm(US.map((row) => row.slice(0, k)), Vt.slice(0, k));
        expect(maxDiff(rec, As[b])).toBeLessThan(1e-13 * scaleOf(As[b]));
        expect(maxDiff(mm(tr(U), U), eye(U[0].length))).toBeLessThan(1e-13);
        expect(maxDiff(mm(Vt, tr(Vt)), eye(Vt.length))).toBeLessThan(1e-13);
      });
      // the singular values alone agree with the full decomposition's
      expect(values(L.svd(a, { computeUv: false }))).toEqual(S);
    }
  });
  it.each(inputs)("lu: P·A = L·U with |L| ≤ 1 — %s", (_n, a) => {
    const [lu, pivots, perm] = L.lu(a);
    const As = mats(a);
    const m = a.shape[a.ndim - 2];
    const n = a.shape[a.ndim - 1];
    const k = Math.min(m, n);
    const P = values(perm);
    const piv = values(pivots);
    mats(lu).forEach((LU, b) => {
      const Lm = Array.from({ length: m }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 1 : j < i ? LU[i][j] : 0)));
      const Um = Array.from({ length: k }, (_, i) => Array.from({ length: n }, (_, j) => (j >= i ? LU[i][j] : 0)));
      const PA = Array.from({ length: m }, (_, i) => As[b][P[b * m + i]]);
      expect(maxDiff(mm(Lm, Um), PA)).toBeLessThan(1e-13 * scaleOf(As[b]));
      Lm.flat().forEach((v) => expect(Math.abs(v)).toBeLessThanOrEqual(1));
      // the permutation is the pivots' swaps applied to 0..m-1
      const order = Array.from({ length: m }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const p = piv[b * k + i];
        [order[i], order[p]] = [order[p], order[i]];
      }
      expect(order).toEqual(P.slice(b * m, (b + 1) * m));
    });
  });
  const squares: [string, Value][] = [
    ["SPD 6×6", spd(6, 10)],
    ["SPD batched 4×(3×3)", spd(3, 11, [4])],
    ["Hilbert 7×7", hilbert(7)],
    ["SPD 20×20", spd(20, 12)],
  ];
  it.each(squares)("cholesky: L·Lᵀ = A, L lower; eigh: V·diag(w)·Vᵀ = A, VᵀV = I, w ascending — %s", (_n, a) => {
    const As = mats(a);
    mats(L.cholesky(a)).forEach((Lm, b) => {
      expect(maxDiff(mm(Lm, tr(Lm)), As[b])).toBeLessThan(1e-13 * scaleOf(As[b]));
      Lm.forEach((row, i) => row.forEach((v, j) => j > i && expect(v).toBe(0)));
    });
    const [v, w] = L.eigh(a);
    const W = values(w);
    const n = a.shape[a.ndim - 1];
    mats(v).forEach((V, b) => {
      const wb = W.slice(b * n, (b + 1) * n);
      wb.forEach((x, i) => i > 0 && expect(x).toBeGreaterThanOrEqual(wb[i - 1]));
      const VW = V.map((row) => row.map((x, j) => x * wb[j]));
      expect(maxDiff(mm(VW, tr(V)), As[b])).toBeLessThan(1e-13 * scaleOf(As[b]));
      expect(maxDiff(mm(tr(V), V), eye(n))).toBeLessThan(1e-13);
    });
  });
  it("inv and solve: A·inv(A) = I, A·x = b (random, batched, and ill-conditioned within its condition number)", () => {
    for (const [a, tol] of [
      [rnd([7, 7], 20), 1e-12],
      [rnd([3, 4, 4], 21), 1e-12],
      [hilbert(6), 1e-7],
    ] as [Value, number][]) {
      const n = a.shape[a.ndim - 1];
      mats(a).forEach((A, b) => expect(maxDiff(mm(A, mats(nl.inv(a))[b]), eye(n))).toBeLessThan(tol));
      const rhs = rnd([...a.shape.slice(0, -1), 2], 22);
      const x = nl.solve(a, rhs);
      mats(a).forEach((A, b) => expect(maxDiff(mm(A, mats(x)[b]), mats(rhs)[b])).toBeLessThan(tol));
    }
  });
  it("triangularSolve: every combination of side, triangle and transpose solves its equation", () => {
    const base = mats(rnd([4, 4], 30))[0].map((row, i) => row.map((v, j) => v + (i === j ? 4 : 0)));
    for (const leftSide of [true, false]) {
      for (const lower of [true, false]) {
        for (const transposeA of [true, false]) {
          for (const unitDiagonal of [true, false]) {
            const b = rnd(leftSide ? [4, 3] : [3, 4], 31);
            const x = mats(L.triangularSolve(arr(base), b, { leftSide, lower, transposeA, unitDiagonal }))[0];
            // the matrix the solve used: one triangle of `base`, with a unit diagonal if asked
            const T = base.map((row, i) => row.map((v, j) => (i === j ? (unitDiagonal ? 1 : v) : (lower ? j < i : j > i) ? v : 0)));
            const op = transposeA ? tr(T) : T;
            const lhs = leftSide ? mm(op, x) : mm(x, op);
            expect(maxDiff(lhs, mats(b)[0])).toBeLessThan(1e-12);
          }
        }
      }
    }
  });
  it("det and slogdet agree with the product of eigenvalues; pinv satisfies the Penrose conditions", () => {
    const a = spd(5, 40);
    const w = values(nl.eigvalsh(a));
    const prod = w.reduce((p, v) => p * v, 1);
    expect(Math.abs(values(nl.det(a))[0] - prod) / prod).toBeLessThan(1e-12);
    const [s, l] = nl.slogdet(a);
    expect(values(s)[0]).toBe(1);
    expect(Math.abs(values(l)[0] - Math.log(prod))).toBeLessThan(1e-12);
    const r = lax.dotGeneral(rnd([6, 3], 41), rnd([3, 5], 42), { contracting: [[1], [0]], batch: [[], []] });
    const A = mats(r)[0];
    const P = mats(nl.pinv(r))[0];
    expect(maxDiff(mm(mm(A, P), A), A)).toBeLessThan(1e-12);
    expect(maxDiff(mm(mm(P, A), P), P)).toBeLessThan(1e-12);
    const AP = mm(A, P);
    expect(maxDiff(AP, tr(AP))).toBeLessThan(1e-12);
    expect(values(nl.matrixRank(r))).toEqual([3]);
  });
});

describe("singular and invalid inputs", () => {
  it("solve and inv of a singular matrix give inf/NaN, never a throw; det is 0 and slogdet (0, -inf)", () => {
    const s = arr([[1, 2], [2, 4]]);
    expect(values(nl.solve(s, arr([1, 1])))).toEqual([-Infinity, Infinity]);
    expect(values(nl.inv(s)).some((v) => !Number.isFinite(v))).toBe(true);
    expect(values(nl.det(s))).toEqual([0]);
    expect(values(nl.det(arr([[1, 2, 3, 4], [2, 4, 6, 8], [0, 1, 0, 1], [1, 0, 0, 2]])))).toEqual([0]);
    const [sign, logdet] = nl.slogdet(s);
    expect([values(sign)[0], values(logdet)[0]]).toEqual([0, -Infinity]);
    expect(values(nl.solve(arr([[0, 0], [0, 0]]), arr([1, 0]))).every(Number.isNaN)).toBe(true);
  });
  it("cholesky of a matrix that is not positive definite is NaN in its lower triangle (as JAX)", () => {
    expect(values(L.cholesky(arr([[1, 2], [2, 1]])))).toEqual([NaN, 0, NaN, NaN]);
    // only the failing matrix of a batch
    const out = values(L.cholesky(arr([[[4, 0], [0, 9]], [[1, 2], [2, 1]]])));
    expect(out).toEqual([2, 0, 0, 3, NaN, 0, NaN, NaN]);
  });
  it("typed errors name the operation and the shapes", () => {
    expect(() => L.cholesky(arr([[1, 2, 3], [4, 5, 6]]))).toThrow(/lax.linalg.cholesky.*square.*\(2, 3\)/);
    expect(() => L.qr(arr([1, 2, 3]))).toThrow(ShapeError);
    expect(() => L.lu(arr([[1, 2], [3, 4]], "int32"))).toThrow(DTypeError);
    expect(() => L.triangularSolve(arr([[1, 0], [0, 1]]), arr([[1, 2, 3]]), { leftSide: true })).toThrow(ShapeError);
    expect(() => nl.solve(arr([[1, 0], [0, 1]]), arr([1, 2, 3]))).toThrow(ShapeError);
    expect(() => nl.qr(arr([[1]]), "raw" as never)).toThrow(/mode/);
    expect(() => nl.matrixPower(arr([[1, 2]]), 2)).toThrow(ShapeError);
    expect(() => nl.cross(arr([1, 2]), arr([3, 4]))).toThrow(/size 3/);
    // an integer matrix is promoted to float32, as JAX
    expect(nl.inv(arr([[2, 0], [0, 4]], "int32")).dtype).toBe("float32");
    // the derivative of the full Q of a tall matrix is not implemented (wide matrices: test/linalg-complex-spectral.test.ts)
    expect(() => jvp((x: Value) => L.qr(x, { fullMatrices: true })[1], [rnd([3, 2], 1)], [rnd([3, 2], 2)])).toThrow(/fullMatrices/);
  });
});

// ---- derivatives -------------------------------------------------------------------------------

interface RuleCase {
  name: string;
  fn: (...xs: Value[]) => Value;
  inputs: () => Value[];
  /** Tolerance of the finite-difference comparison (relative to the largest tangent). */
  tol?: number;
}
const sym = (x: Value) => lax.div(lax.add(x, nl.matrixTranspose(x)), 2);
const tri = (lower: boolean, n = 4) => {
  const m = mats(rnd([n, n], 50))[0].map((row, i) => row.map((v, j) => (i === j ? v + 3 : (lower ? j < i : j > i) ? v : 0)));
  return arr(m);
};
/** Sums of sign-invariant products, for outputs whose sign is arbitrary (eigen/singular vectors): v·diag(c)·vᵀ is unique. */
const outerProducts = (v: Value, weights: Value) => np.matmul(lax.mul(v, lax.broadcastInDim(weights, v.shape, [v.ndim - 1])), nl.matrixTranspose(v));
const ruleCases: RuleCase[] = [
  { name: "cholesky", fn: (x) => L.cholesky(x), inputs: () => [spd(4, 60)] },
  { name: "cholesky batched", fn: (x) => L.cholesky(x), inputs: () => [spd(3, 61, [2])] },
  ...[true, false].flatMap((leftSide) =>
    [true, false].flatMap((lower) =>
      [true, false].map((transposeA) => ({
        name: `triangularSolve left=${leftSide} lower=${lower} transposeA=${transposeA}`,
        fn: (a: Value, b: Value) => L.triangularSolve(a, b, { leftSide, lower, transposeA }),
        inputs: () => [tri(lower), rnd(leftSide ? [4, 2] : [2, 4], 62)],
      })),
    ),
  ),
  { name: "triangularSolve unitDiagonal", fn: (a, b) => L.triangularSolve(a, b, { leftSide: true, lower: true, unitDiagonal: true }), inputs: () => [tri(true), rnd([4, 3], 63)] },
  { name: "lu square", fn: (x) => L.lu(x)[0], inputs: () => [rnd([4, 4], 64)] },
  { name: "lu wide", fn: (x) => L.lu(x)[0], inputs: () => [rnd([3, 5], 65)] },
  { name: "lu tall batched", fn: (x) => L.lu(x)[0], inputs: () => [rnd([2, 5, 3], 66)] },
  { name: "qr q and r", fn: (x) => { const [q, r] = L.qr(x); return lax.concatenate([lax.reshape(q, [15]), lax.reshape(r, [9])], 0); }, inputs: () => [rnd([5, 3], 67)] },
  { name: "qr square batched", fn: (x) => L.qr(x, { fullMatrices: true })[0], inputs: () => [rnd([2, 3, 3], 68)] },
  { name: "eigh eigenvalues", fn: (x) => L.eigh(sym(x))[1], inputs: () => [rnd([4, 4], 69)] },
  { name: "eigh eigenvectors (v·diag(c)·vᵀ)", fn: (x) => outerProducts(L.eigh(sym(x))[0], arr([1, 2, 3, 4])), inputs: () => [rnd([4, 4], 70)] },
  { name: "svd singular values", fn: (x) => L.svd(x, { computeUv: false }), inputs: () => [rnd([4, 3], 71)] },
  { name: "svd u (u·diag(c)·uᵀ), tall", fn: (x) => outerProducts(L.svd(x, { fullMatrices: false })[0], arr([1, 2, 3])), inputs: () => [rnd([5, 3], 72)] },
  { name: "svd vᵀ (v·diag(c)·vᵀ), wide", fn: (x) => outerProducts(nl.matrixTranspose(L.svd(x, { fullMatrices: false })[2]), arr([1, 2, 3])), inputs: () => [rnd([3, 5], 73)] },
  { name: "svd u·s·vᵀ pieces, square", fn: (x) => { const [u, s, vt] = L.svd(x); return np.matmul(lax.mul(u, lax.broadcastInDim(lax.sqrt(s), [3, 3], [1])), vt); }, inputs: () => [rnd([3, 3], 74)] },
  { name: "det", fn: (x) => nl.det(x), inputs: () => [rnd([4, 4], 75)] },
  { name: "slogdet", fn: (x) => nl.slogdet(x)[1], inputs: () => [rnd([3, 4, 4], 76)] },
  { name: "inv", fn: (x) => nl.inv(x), inputs: () => [rnd([3, 3], 77)] },
  { name: "solve", fn: (a, b) => nl.solve(a, b), inputs: () => [rnd([3, 3], 78), rnd([3, 2], 79)] },
  { name: "pinv", fn: (x) => nl.pinv(x), inputs: () => [rnd([4, 3], 80)] },
  { name: "lstsq", fn: (a, b) => nl.lstsq(a, b)[0], inputs: () => [rnd([5, 3], 81), rnd([5], 82)] },
  { name: "norm 2, nuc, -2", fn: (x) => lax.concatenate([nl.norm(x, 2), nl.norm(x, "nuc"), nl.norm(x, -2)].map((v) => lax.reshape(v, [1])), 0), inputs: () => [rnd([3, 4], 83)] },
  { name: "cond", fn: (x) => nl.cond(x), inputs: () => [rnd([3, 3], 84)] },
  { name: "matrixPower -2", fn: (x) => nl.matrixPower(x, -2), inputs: () => [rnd([3, 3], 85)] },
];

describe.each(ruleCases.map((c) => [c.name, c] as const))("rules: %s", (_name, c) => {
  it("jvp matches central finite differences (float64)", () => {
    const xs = c.inputs();
    const dirs = xs.map((x, i) => rnd([...x.shape], 900 + i));
    const [, t] = jvp(c.fn, xs, dirs) as [Value, Value];
    const eps = 1e-6;
    const along = (e: number) => values(c.fn(...xs.map((x, i) => lax.add(x, lax.mul(dirs[i], e)))));
    const plus = along(eps);
    const minus = along(-eps);
    const fd = plus.map((v, k) => (v - minus[k]) / (2 * eps));
    const got = values(t);
    const scale = Math.max(1, ...fd.map(Math.abs));
    got.forEach((v, k) => expect(Math.abs(v - fd[k]) / scale, `component ${k}: ${v} vs ${fd[k]}`).toBeLessThan(c.tol ?? 1e-6));
  });
  it("vjp is the transpose of jvp: <vjp(u), v> == <u, jvp(v)>", () => {
    const xs = c.inputs();
    const dirs = xs.map((x, i) => rnd([...x.shape], 700 + i));
    const [out, pullback] = vjp(c.fn, ...xs) as [Value, (u: Value) => Value[]];
    const u = rnd([...out.shape], 17);
    const cts = pullback(u);
    const [, t] = jvp(c.fn, xs, dirs) as [Value, Value];
    const lhs = cts.reduce((s, ct, i) => s + dot(values(ct), values(dirs[i])), 0);
    const rhs = dot(values(u), values(t));
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * Math.max(1, Math.abs(rhs)));
  });
  it("vmap matches a loop over a batch (axis 0 and axis 1), and jit matches eager", () => {
    const examples = [0, 1, 2].map((b) => c.inputs().map((x, i) => lax.add(x, lax.mul(rnd([...x.shape], 300 + 10 * b + i), 0.1))));
    const expected = examples.map((ex) => values(c.fn(...ex)));
    for (const axis of [0, 1]) {
      const stacked = examples[0].map((_, i) => np.stack(examples.map((ex) => ex[i]), axis));
      const out = vmap(c.fn, { inAxes: axis, outAxes: 0 })(...stacked) as Value;
      const got = values(out);
      const per = expected[0].length;
      expected.forEach((e, b) => got.slice(b * per, (b + 1) * per).forEach((v, k) => expect(Math.abs(v - e[k])).toBeLessThan(1e-10 * Math.max(1, Math.abs(e[k])))));
    }
    const xs = c.inputs();
    const eager = values(c.fn(...xs));
    values(jit(c.fn)(...xs) as Value).forEach((v, k) => expect(Math.abs(v - eager[k])).toBeLessThan(1e-12 * Math.max(1, Math.abs(eager[k]))));
  });
});

describe("transformations compose", () => {
  it("grad of log|det A| is A⁻ᵀ; grad of the sum of eigenvalues is the identity; grad∘jit == grad", () => {
    const a = rnd([4, 4], 90);
    const g = grad((x: Value) => nl.slogdet(x)[1])(a) as Value;
    const want = mats(nl.matrixTranspose(nl.inv(a)))[0];
    expect(maxDiff(mats(g)[0], want)).toBeLessThan(1e-12);
    const gj = grad(jit((x: Value) => nl.slogdet(x)[1]))(a) as Value;
    expect(maxDiff(mats(gj)[0], want)).toBeLessThan(1e-12);
    const ge = grad((x: Value) => np.sum(nl.eigvalsh(x)))(spd(4, 91)) as Value;
    expect(maxDiff(mats(ge)[0], eye(4))).toBeLessThan(1e-12);
  });
  it("vmap of grad of a solve matches a loop; jit of vmap of svd matches eager", () => {
    const f = (a: Value, b: Value) => np.sum(np.square(nl.solve(a, b)));
    const as = rnd([3, 3, 3], 92);
    const bs = rnd([3, 3], 93);
    const batched = vmap(grad(f), { inAxes: [0, 0] })(as, bs) as Value;
    const loop = [0, 1, 2].flatMap((i) => values(grad(f)(lax.reshape(lax.slice(as, [i, 0, 0], [i + 1, 3, 3]), [3, 3]), lax.reshape(lax.slice(bs, [i, 0], [i + 1, 3]), [3])) as Value));
    values(batched).forEach((v, k) => expect(Math.abs(v - loop[k])).toBeLessThan(1e-12));
    const x = rnd([4, 5, 3], 94);
    const sv = (m: Value) => L.svd(m, { computeUv: false });
    expect(values(jit(vmap(sv))(x) as Value)).toEqual(values(sv(x)));
  });
  it("second derivatives: the Hessian-vector product of log|det| matches finite differences of its gradient", () => {
    const a = rnd([3, 3], 95);
    const d = rnd([3, 3], 96);
    const g = (x: Value) => grad((y: Value) => nl.slogdet(y)[1])(x) as Value;
    const [, hv] = jvp(g, [a], [d]) as [Value, Value];
    const eps = 1e-6;
    const fd = values(g(lax.add(a, lax.mul(d, eps)))).map((v, k) => (v - values(g(lax.sub(a, lax.mul(d, eps))))[k]) / (2 * eps));
    values(hv).forEach((v, k) => expect(Math.abs(v - fd[k])).toBeLessThan(1e-6));
  });
  it("eigh's derivative at a repeated eigenvalue: eigenvalues finite, eigenvectors NaN/inf (JAX's documented caveat)", () => {
    const [, [dv, dw]] = jvp((x: Value) => L.eigh(x), [arr([[2, 0], [0, 2]])], [arr([[1, 0.5], [0.5, -1]])]) as [Value[], Value[]];
    expect(values(dw).every(Number.isFinite)).toBe(true);
    expect(values(dv).some((v) => !Number.isFinite(v))).toBe(true);
  });
});

describe("lax.customLinearSolve (implicit differentiation, as JAX's custom_linear_solve)", () => {
  const b0 = () => rnd([3], 120);
  const A0 = () => lax.add(rnd([3, 3], 121), lax.mul(arr(eye(3)), 3));
  // the solver itself is opaque to differentiation: its derivative must come from matvec alone
  const opaque = (A: Value) => (_mv: (x: Value) => Value, b: Value) => lax.stopGradient(nl.solve(A, b));
  const viaCustom = (A: Value, b: Value, transpose = true) =>
    lax.customLinearSolve((x) => np.matmul(A, x), b, opaque(A), transpose ? { transposeSolve: (_vm, c) => lax.stopGradient(nl.solve(nl.matrixTranspose(A), c)) } : {});
  it("solves the system", () => {
    const x = values(viaCustom(A0(), b0()));
    values(nl.solve(A0(), b0())).forEach((v, i) => expect(Math.abs(v - x[i])).toBeLessThan(1e-13));
  });
  it("jvp in the matrix and in b matches np.linalg.solve's and finite differences, though the solver is stop-gradient", () => {
    const dA = rnd([3, 3], 122);
    const db = rnd([3], 123);
    const [, t] = jvp((A: Value, b: Value) => viaCustom(A, b), [A0(), b0()], [dA, db]) as [Value, Value];
    const [, ref] = jvp((A: Value, b: Value) => nl.solve(A, b), [A0(), b0()], [dA, db]) as [Value, Value];
    values(ref).forEach((v, i) => expect(Math.abs(v - values(t)[i])).toBeLessThan(1e-12));
    const eps = 1e-6;
    const f = (e: number) => values(nl.solve(lax.add(A0(), lax.mul(dA, e)), lax.add(b0(), lax.mul(db, e))));
    f(eps).forEach((v, i) => expect(Math.abs((v - f(-eps)[i]) / (2 * eps) - values(t)[i])).toBeLessThan(1e-6));
  });
  it("grad through transposeSolve (and symmetric) matches grad through np.linalg.solve; without it, a typed error", () => {
    const loss = (f: (A: Value, b: Value) => Value) => (A: Value, b: Value) => np.sum(np.square(f(A, b)));
    const [gA, gb] = grad(loss(viaCustom), { argnums: [0, 1] })(A0(), b0()) as Value[];
    const [rA, rb] = grad(loss(nl.solve), { argnums: [0, 1] })(A0(), b0()) as Value[];
    values(rA).forEach((v, i) => expect(Math.abs(v - values(gA)[i])).toBeLessThan(1e-12));
    values(rb).forEach((v, i) => expect(Math.abs(v - values(gb)[i])).toBeLessThan(1e-12));
    const S = spd(3, 124);
    const symSolve = (A: Value, b: Value) => lax.customLinearSolve((x) => np.matmul(A, x), b, opaque(A), { symmetric: true });
    const gs = grad(loss(symSolve), { argnums: 1 })(S, b0()) as Value;
    const rs = grad(loss(nl.solve), { argnums: 1 })(S, b0()) as Value;
    values(rs).forEach((v, i) => expect(Math.abs(v - values(gs)[i])).toBeLessThan(1e-12));
    expect(() => grad(loss((A, b) => viaCustom(A, b, false)), { argnums: 1 })(A0(), b0())).toThrow(/transposeSolve/);
  });
  it("vmap over b and over the matrix matches a loop; jit and jit∘grad match eager", () => {
    const As = lax.add(rnd([4, 3, 3], 125), lax.mul(lax.broadcastInDim(arr(eye(3)), [4, 3, 3], [1, 2]), 3));
    const bs = rnd([4, 3], 126);
    const out = values(vmap((A: Value, b: Value) => viaCustom(A, b))(As, bs) as Value);
    const loop = [0, 1, 2, 3].flatMap((i) => values(nl.solve(lax.reshape(lax.slice(As, [i, 0, 0], [i + 1, 3, 3]), [3, 3]), lax.reshape(lax.slice(bs, [i, 0], [i + 1, 3]), [3]))));
    out.forEach((v, i) => expect(Math.abs(v - loop[i])).toBeLessThan(1e-12));
    const shared = values(vmap((b: Value) => viaCustom(A0(), b))(bs) as Value);
    const loop2 = [0, 1, 2, 3].flatMap((i) => values(nl.solve(A0(), lax.reshape(lax.slice(bs, [i, 0], [i + 1, 3]), [3]))));
    shared.forEach((v, i) => expect(Math.abs(v - loop2[i])).toBeLessThan(1e-12));
    expect(values(jit(viaCustom)(A0(), b0()) as Value)).toEqual(values(viaCustom(A0(), b0())));
    const g = (A: Value, b: Value) => np.sum(np.square(viaCustom(A, b)));
    const ge = values(grad(g)(A0(), b0()) as Value);
    values(jit(grad(g))(A0(), b0()) as Value).forEach((v, i) => expect(Math.abs(v - ge[i])).toBeLessThan(1e-12));
  });
});

describe("lax.customRoot (implicit function theorem, as JAX's custom_root)", () => {
  // √a as the root of x² - a by Newton's method; the loop is never differentiated
  const newton = (f: (x: Value) => Value, x0: Value) => lax.foriLoop(0, 30, (_i: Value, x: Value) => lax.stopGradient(lax.sub(x, lax.div(f(x), lax.mul(x, 2)))), x0) as Value;
  const scalarSolve = (g: (v: Value) => Value, y: Value) => lax.div(y, g(arr(1)));
  const sqrtRoot = (a: Value) => lax.customRoot((x) => lax.sub(lax.mul(x, x), a), arr(1), newton, scalarSolve);
  it("finds the root, and its derivative 1/(2√a) although the solver is stop-gradient", () => {
    expect(Math.abs(values(sqrtRoot(arr(2)))[0] - Math.SQRT2)).toBeLessThan(1e-14);
    const g = values(grad(sqrtRoot)(arr(2)) as Value)[0];
    expect(Math.abs(g - 1 / (2 * Math.SQRT2))).toBeLessThan(1e-14);
    const [, t] = jvp(sqrtRoot, [arr(3)], [arr(1)]) as [Value, Value];
    expect(Math.abs(values(t)[0] - 1 / (2 * Math.sqrt(3)))).toBeLessThan(1e-14);
  });
  it("a vector root (A·x = b) differentiates as np.linalg.solve, in A and b, forward and reverse", () => {
    const A0 = lax.add(rnd([3, 3], 130), lax.mul(arr(eye(3)), 3));
    const b0 = rnd([3], 131);
    const root = (A: Value, b: Value) =>
      lax.customRoot((x) => lax.sub(np.matmul(A, x), b), lax.mul(b, 0), (_f, _x0) => lax.stopGradient(nl.solve(A, b)), (_g, y) => nl.solve(A, y));
    const dA = rnd([3, 3], 132);
    const db = rnd([3], 133);
    const [x, t] = jvp(root, [A0, b0], [dA, db]) as [Value, Value];
    const [xr, tr_] = jvp((A: Value, b: Value) => nl.solve(A, b), [A0, b0], [dA, db]) as [Value, Value];
    values(xr).forEach((v, i) => expect(Math.abs(v - values(x)[i])).toBeLessThan(1e-13));
    values(tr_).forEach((v, i) => expect(Math.abs(v - values(t)[i])).toBeLessThan(1e-12));
    const loss = (f: (A: Value, b: Value) => Value) => (A: Value, b: Value) => np.sum(np.square(f(A, b)));
    const g = grad(loss(root), { argnums: [0, 1] })(A0, b0) as Value[];
    const r = grad(loss(nl.solve), { argnums: [0, 1] })(A0, b0) as Value[];
    g.forEach((gi, k) => values(r[k]).forEach((v, i) => expect(Math.abs(v - values(gi)[i])).toBeLessThan(1e-12)));
  });
  it("vmap(grad) and grad(vmap) match a loop; jit and jit∘grad match eager", () => {
    const as = arr([2, 3, 5, 7]);
    const batched = values(vmap(grad(sqrtRoot))(as) as Value);
    [2, 3, 5, 7].forEach((a, i) => expect(Math.abs(batched[i] - 1 / (2 * Math.sqrt(a)))).toBeLessThan(1e-14));
    expect(values(vmap(sqrtRoot)(as) as Value).map((v, i) => Math.abs(v - Math.sqrt([2, 3, 5, 7][i]))).every((e) => e < 1e-14)).toBe(true);
    expect(values(jit(sqrtRoot)(arr(2)) as Value)).toEqual(values(sqrtRoot(arr(2))));
    expect(values(jit(grad(sqrtRoot))(arr(2)) as Value)).toEqual(values(grad(sqrtRoot)(arr(2)) as Value));
    const outer = values(grad((a: Value) => np.sum(vmap(sqrtRoot)(a) as Value))(as) as Value);
    [2, 3, 5, 7].forEach((a, i) => expect(Math.abs(outer[i] - 1 / (2 * Math.sqrt(a)))).toBeLessThan(1e-14));
  });
});
