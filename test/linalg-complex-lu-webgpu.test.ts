/**
 * The WebGPU complex64 kernels of the LU family (webgpu/linalg-complex-lu.ts)
 * give the CPU's answers within float32 tolerance: the same complex64 data on
 * both devices, the same function on each — lax.linalg cholesky, lu (pivots
 * and permutation exactly), triangularSolve in every form, np.linalg solve,
 * inv, det, slogdet, batched; then jit, vmap and grad on WebGPU against the
 * CPU, and a singular matrix. The accuracy against JAX is in
 * linalg-complex-lu.test.ts.
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { describe, expect, it } from "vitest";
import { grad, jit, lax, np, vmap, type Value } from "../src/index.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { rand } from "./helpers.js";

const hasGpu = await probeWebGPU("linalg-complex-lu-webgpu.test.ts");

/** Random complex64 matrices (interleaved pairs) with `diag` added to the diagonal's real parts, on both devices. */
function data(shape: number[], seed: number, diag = 0) {
  const n = shape[shape.length - 1];
  const m = shape[shape.length - 2];
  const size = shape.reduce((a, b) => a * b, 1);
  const vals = rand(2 * size, seed).map((v, i) => v + (i % 2 === 0 && (i / 2) % (m * n) % (n + 1) === 0 ? diag : 0));
  return onBothDevices(vals, shape, "complex64");
}

const read = async (x: Value) => globalThis.Array.from(await x.data(), Number);

async function expectSame(gpu: Value, cpu: Value, tol: number, what: string) {
  expect(gpu.shape, what).toEqual(cpu.shape);
  expect(gpu.dtype, what).toBe(cpu.dtype);
  expect((gpu as { device?: string }).device, what).toBe("webgpu");
  const g = await read(gpu);
  const c = await read(cpu);
  const scale = Math.max(1, ...c.filter(Number.isFinite).map(Math.abs));
  let err = 0;
  g.forEach((v, i) => {
    if (!Number.isFinite(c[i])) expect(Number.isFinite(v), `${what}[${i}] ${v} vs ${c[i]}`).toBe(false);
    else err = Math.max(err, Math.abs(v - c[i]) / scale);
  });
  expect(err, what).toBeLessThan(tol);
}

const mH = (x: Value) => lax.conj(np.linalg.matrixTranspose(x));
/** A Hermitian positive definite matrix from any square complex one. */
const hpd = (x: Value) => np.add(np.matmul(x, mH(x)), np.multiply(np.eye(x.shape[x.ndim - 1], undefined, 0, "complex64"), 0.5));

describe.skipIf(!hasGpu)("WebGPU == CPU (complex64)", () => {
  const cases: [string, number[], (x: Value) => Value | Value[]][] = [
    ["cholesky 5×5", [5, 5], (x) => lax.linalg.cholesky(hpd(x))],
    ["cholesky batch 64×(4×4)", [64, 4, 4], (x) => lax.linalg.cholesky(hpd(x))],
    ["lu 6×6", [6, 6], (x) => lax.linalg.lu(x)],
    ["lu batch 32×(3×3)", [32, 3, 3], (x) => lax.linalg.lu(x)],
    ["lu wide 3×5", [3, 5], (x) => lax.linalg.lu(x)],
    ["lu tall 5×3", [5, 3], (x) => lax.linalg.lu(x)],
    ["inv batch 16×(4×4)", [16, 4, 4], (x) => np.linalg.inv(x)],
    ["det 5×5", [5, 5], (x) => np.linalg.det(x)],
    ["slogdet batch 8×(5×5)", [8, 5, 5], (x) => np.linalg.slogdet(x)],
    // past the real kernels' blocked threshold (64): the complex kernels still run one thread per matrix
    ["lu 70×70", [70, 70], (x) => lax.linalg.lu(x)],
    ["cholesky 70×70", [70, 70], (x) => lax.linalg.cholesky(hpd(x))],
  ];
  for (const [name, shape, f] of cases) {
    it(name, async () => {
      const { c, g } = data(shape, shape.length * 31 + shape[shape.length - 1], 2);
      const want = onCpu(() => f(c));
      const got = f(g);
      const ws = globalThis.Array.isArray(want) ? want : [want];
      const gs = globalThis.Array.isArray(got) ? got : [got];
      for (let i = 0; i < ws.length; i++) {
        if (ws[i].dtype === "int32") expect(await read(gs[i]), `${name} output ${i}`).toEqual(await read(ws[i]));
        else await expectSame(gs[i], ws[i], 2e-5, `${name} output ${i}`);
      }
    });
  }

  it("triangularSolve in every form (leftSide, lower, transposeA, conjugateA, unitDiagonal)", async () => {
    const a = data([3, 4, 4], 5, 3);
    const bl = data([3, 4, 2], 6);
    const br = data([3, 2, 4], 7);
    for (const leftSide of [true, false]) {
      for (const lower of [true, false]) {
        for (const transposeA of [true, false]) {
          for (const conjugateA of [true, false]) {
            for (const unitDiagonal of [true, false]) {
              const o = { leftSide, lower, transposeA, conjugateA, unitDiagonal };
              const b = leftSide ? bl : br;
              const want = onCpu(() => lax.linalg.triangularSolve(a.c, b.c, o));
              await expectSame(lax.linalg.triangularSolve(a.g, b.g, o), want, 2e-5, JSON.stringify(o));
            }
          }
        }
      }
    }
  });

  it("solve, jit(solve) and vmap(solve) on WebGPU equal the CPU's", async () => {
    const a = data([6, 5, 5], 11, 2);
    const b = data([6, 5, 2], 12);
    const want = onCpu(() => np.linalg.solve(a.c, b.c));
    await expectSame(np.linalg.solve(a.g, b.g), want, 2e-5, "solve");
    await expectSame(jit((x: Value, y: Value) => np.linalg.solve(x, y))(a.g, b.g) as Value, want, 2e-5, "jit(solve)");
    await expectSame(vmap((x: Value, y: Value) => np.linalg.solve(x, y))(a.g, b.g) as Value, want, 2e-5, "vmap(solve)");
  });

  it("grad of a real loss through cholesky, lu and det on WebGPU equals the CPU's", async () => {
    const a = data([4, 4], 21, 2);
    const loss = (x: Value) =>
      np.add(np.add(np.sum(np.abs(lax.linalg.cholesky(hpd(x)))), np.sum(lax.real(lax.linalg.lu(x)[0]))), np.abs(np.linalg.det(x)));
    const want = onCpu(() => grad(loss)(a.c) as Value);
    await expectSame(grad(loss)(a.g) as Value, want, 1e-4, "grad");
  });

  it("a singular complex matrix: det 0, solve non-finite, as on the CPU", async () => {
    const vals = [1, 1, 2, -1, 2, 2, 4, -2];
    const { c, g } = onBothDevices(vals, [2, 2], "complex64");
    expect(await read(np.linalg.det(g))).toEqual([0, 0]);
    const b = onBothDevices([1, 0, 0, 1], [2], "complex64");
    await expectSame(np.linalg.solve(g, b.g), onCpu(() => np.linalg.solve(c, b.c)), 1e-6, "singular solve");
  });
});
