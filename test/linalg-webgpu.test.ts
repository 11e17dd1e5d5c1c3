/**
 * The WebGPU linalg kernels give the CPU's answers within float32
 * tolerance: the same data on both devices, the same function on each. The
 * shapes reach the kernels' cases: large batches of small matrices (the case
 * they are built for: one invocation per matrix), one larger matrix (one
 * invocation does all the work: slow but correct), tall and wide, full and
 * reduced. Eigen- and singular vectors are compared through sign-invariant
 * products (V·diag(c)·Vᵀ), plus orthonormality of what the GPU returns.
 * Then jit, vmap and grad on WebGPU against the CPU, and singular inputs.
 * The per-function accuracy against JAX is in linalg-jax.test.ts.
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { describe, expect, it } from "vitest";
import { grad, jit, lax, np, vmap, type Value } from "../src/index.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { rand } from "./helpers.js";

const hasGpu = await probeWebGPU("linalg-webgpu.test.ts");
const L = lax.linalg;
const nl = np.linalg;

/** Random matrices with a boosted diagonal (well conditioned), float32 on both devices. */
function data(shape: number[], seed: number, diag = 0) {
  const n = shape[shape.length - 1];
  const m = shape[shape.length - 2];
  const vals = rand(shape.reduce((a, b) => a * b, 1), seed).map((v, i) => v + ((i % (m * n)) % (n + 1) === 0 ? diag : 0));
  return onBothDevices(vals, shape);
}

const read = async (x: Value) => Array.from(await x.data(), Number);

async function expectSame(gpu: Value, cpu: Value, tol: number, what: string) {
  expect(gpu.shape, what).toEqual(cpu.shape);
  expect((gpu as { device?: string }).device, what).toBe("webgpu");
  const g = await read(gpu);
  const c = await read(cpu);
  const scale = Math.max(1, ...c.filter(Number.isFinite).map(Math.abs));
  let err = 0;
  g.forEach((v, i) => {
    if (!Number.isFinite(c[i])) expect(Object.is(v, c[i]) || (Number.isNaN(v) && Number.isNaN(c[i])), `${what}[${i}] ${v} vs ${c[i]}`).toBe(true);
    else err = Math.max(err, Math.abs(v - c[i]) / scale);
  });
  expect(err, what).toBeLessThan(tol);
}

/** v·diag(1, 2, …)·vᵀ over the last two axes (vectors in columns): the same whatever each vector's sign. */
function gram(v: Value): Value {
  const k = v.shape[v.ndim - 1];
  const w = lax.convert(lax.add(lax.iota("int32", [k]), 1), "float32");
  return np.matmul(np.multiply(v, w), nl.matrixTranspose(v));
}
/** ‖vᵀv - I‖ as an array (0-d). */
function orthoErr(v: Value): Value {
  const k = v.shape[v.ndim - 1];
  const eye = lax.convert(lax.eq(lax.iota("int32", [k, k], 0), lax.iota("int32", [k, k], 1)), "float32");
  return np.max(np.abs(np.subtract(np.matmul(nl.matrixTranspose(v), v), eye)));
}

const shapes: [string, number[]][] = [
  ["256 × 3×3", [256, 3, 3]],
  ["16 × 8×8", [16, 8, 8]],
  ["one 40×40", [40, 40]],
  ["2×3 × 5×5", [2, 3, 5, 5]],
];

describe.skipIf(!hasGpu)("WebGPU == CPU (float32)", () => {
  it.each(shapes)("cholesky, lu, triangularSolve, inv, det — %s", async (_n, shape) => {
    const n = shape[shape.length - 1];
    const a = data(shape, 1, 4);
    const spd = (x: Value) => np.add(np.matmul(x, nl.matrixTranspose(x)), np.multiply(lax.convert(lax.eq(lax.iota("int32", [n, n], 0), lax.iota("int32", [n, n], 1)), "float32"), n));
    await expectSame(L.cholesky(spd(a.g)), onCpu(() => L.cholesky(spd(a.c))), 1e-5, "cholesky");
    const [lg, pg, qg] = L.lu(a.g);
    const [lc, pc, qc] = onCpu(() => L.lu(a.c));
    await expectSame(lg, lc, 1e-5, "lu");
    expect(await read(pg)).toEqual(await read(pc));
    expect(await read(qg)).toEqual(await read(qc));
    const b = data([...shape.slice(0, -1), 3], 2);
    for (const [leftSide, lower, transposeA] of [[true, true, false], [true, false, true], [false, true, true], [false, false, false]]) {
      const rhs = leftSide ? b : data([...shape.slice(0, -2), 3, n], 3);
      await expectSame(L.triangularSolve(a.g, rhs.g, { leftSide, lower, transposeA }), onCpu(() => L.triangularSolve(a.c, rhs.c, { leftSide, lower, transposeA })), 1e-4, `triangularSolve ${leftSide} ${lower} ${transposeA}`);
    }
    await expectSame(nl.inv(a.g), onCpu(() => nl.inv(a.c)), 1e-4, "inv");
    await expectSame(nl.det(a.g), onCpu(() => nl.det(a.c)), 1e-4, "det");
  });
  it.each([...shapes, ["7×4 tall", [7, 4]], ["4×7 wide", [4, 7]], ["32 × 6×3", [32, 6, 3]]] as [string, number[]][])("qr, eigh, svd — %s", async (_n, shape) => {
    const a = data(shape, 4, 1);
    for (const fullMatrices of [false, true]) {
      const [qg, rg] = L.qr(a.g, { fullMatrices });
      const [qc, rc] = onCpu(() => L.qr(a.c, { fullMatrices }));
      // Householder's signs are deterministic: Q and R compare directly
      await expectSame(qg, qc, 1e-4, `qr q full=${fullMatrices}`);
      await expectSame(rg, rc, 1e-4, `qr r full=${fullMatrices}`);
      const [ug, sg, vtg] = L.svd(a.g, { fullMatrices });
      const [uc, sc, vtc] = onCpu(() => L.svd(a.c, { fullMatrices }));
      await expectSame(sg, sc, 1e-5, "svd s");
      const k = sg.shape[sg.ndim - 1];
      const lead = ug.shape.slice(0, -2);
      const cols = (u: Value) => lax.slice(u, [...lead.map(() => 0), 0, 0], [...lead, u.shape[u.ndim - 2], k]);
      await expectSame(gram(cols(ug)), onCpu(() => gram(cols(uc))), 1e-3, "svd u");
      const v = (vt: Value) => cols(nl.matrixTranspose(vt));
      await expectSame(gram(v(vtg)), onCpu(() => gram(v(vtc))), 1e-3, "svd vt");
      expect((await read(orthoErr(ug)))[0]).toBeLessThan(1e-5);
      expect((await read(orthoErr(nl.matrixTranspose(vtg))))[0]).toBeLessThan(1e-5);
    }
    if (shape[shape.length - 1] === shape[shape.length - 2]) {
      const sym = (x: Value) => lax.add(x, nl.matrixTranspose(x));
      const [vg, wg] = L.eigh(sym(a.g));
      const [vc, wc] = onCpu(() => L.eigh(sym(a.c)));
      await expectSame(wg, wc, 1e-5, "eigh w");
      await expectSame(gram(vg), onCpu(() => gram(vc)), 1e-3, "eigh v");
      expect((await read(orthoErr(vg)))[0]).toBeLessThan(1e-5);
    }
  });
  it("np.linalg solve, pinv, lstsq, norms, cond and slogdet on batches", async () => {
    const a = data([8, 4, 4], 5, 2);
    const b = data([8, 4, 2], 6);
    await expectSame(nl.solve(a.g, b.g), onCpu(() => nl.solve(a.c, b.c)), 1e-4, "solve");
    await expectSame(nl.pinv(a.g), onCpu(() => nl.pinv(a.c)), 1e-4, "pinv");
    for (const ord of [2, -2, "nuc", 1, Infinity, "fro"] as const) await expectSame(nl.matrixNorm(a.g, { ord }), onCpu(() => nl.matrixNorm(a.c, { ord })), 1e-5, `norm ${ord}`);
    await expectSame(nl.cond(a.g), onCpu(() => nl.cond(a.c)), 1e-4, "cond");
    await expectSame(nl.slogdet(a.g)[1], onCpu(() => nl.slogdet(a.c)[1]), 1e-5, "slogdet");
    const t = data([6, 3], 7);
    const y = data([6], 8);
    await expectSame(nl.lstsq(t.g, y.g)[0], onCpu(() => nl.lstsq(t.c, y.c)[0]), 1e-4, "lstsq");
  });
  it("jit == eager, vmap == batch, grad == CPU grad, on WebGPU", async () => {
    const a = data([5, 4, 4], 9, 3);
    const f = (x: Value) => nl.slogdet(x)[1];
    await expectSame(jit(nl.inv)(a.g) as Value, nl.inv(a.g), 1e-6, "jit inv");
    await expectSame(vmap((x: Value) => L.qr(x)[1])(a.g) as Value, L.qr(a.g)[1], 1e-6, "vmap qr");
    const total = (x: Value) => np.sum(f(x));
    await expectSame(grad(total)(a.g) as Value, onCpu(() => grad(total)(a.c) as Value), 1e-4, "grad slogdet");
    await expectSame(jit(grad(total))(a.g) as Value, onCpu(() => grad(total)(a.c) as Value), 1e-4, "jit grad slogdet");
    // solve's implicit derivatives (lax.customLinearSolve) on the device, eagerly and jitted
    const rhs = data([5, 4, 1], 10);
    const sq = (x: Value, y: Value) => np.sum(np.square(nl.solve(x, y)));
    const [ga, gb] = grad(sq, { argnums: [0, 1] })(a.g, rhs.g) as Value[];
    const [ca, cb] = onCpu(() => grad(sq, { argnums: [0, 1] })(a.c, rhs.c) as Value[]);
    await expectSame(ga, ca, 1e-4, "grad solve a");
    await expectSame(gb, cb, 1e-4, "grad solve b");
    await expectSame((jit(grad(sq)) as (x: Value, y: Value) => Value)(a.g, rhs.g), ca, 1e-4, "jit grad solve");
    const eigSum = (x: Value) => np.sum(np.multiply(nl.eigvalsh(lax.add(x, nl.matrixTranspose(x))), lax.convert(lax.iota("int32", [4]), "float32")));
    await expectSame(grad(eigSum)(a.g) as Value, onCpu(() => grad(eigSum)(a.c) as Value), 1e-3, "grad eigvalsh");
  });
  it("singular and indefinite inputs give the CPU's inf/NaN, not a crash", async () => {
    const s = onBothDevices([1, 2, 2, 4, 0, 0, 0, 0], [2, 2, 2]);
    const rhs = onBothDevices([1, 1, 1, 0], [2, 2]);
    await expectSame(nl.solve(s.g, rhs.g), onCpu(() => nl.solve(s.c, rhs.c)), 1e-6, "singular solve");
    const indefinite = onBothDevices([1, 2, 2, 1], [2, 2]);
    expect(await read(L.cholesky(indefinite.g))).toEqual([NaN, 0, NaN, NaN]);
  });
});
