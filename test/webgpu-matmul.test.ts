/**
 * The WebGPU `dot` routine (src/backend/webgpu/matmul.ts) gives the CPU's
 * answers: float32 within float32 rounding (the CPU sums in float64; the
 * allowed error grows as sqrt(k)), integers exactly with 32-bit wrapping,
 * bools as the or of ands. The shapes cover both kernels — the 64×64 tiled
 * one (edges that do not divide into tiles, batches, transposed strides) and
 * the per-output reduction (matrix-vector shapes, k = 0, integers, bools) —
 * and a few results are also checked against plain JS loops, including the
 * routine called directly with offsets and strides lax never produces.
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set, where a skip would hide a broken install.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devicePut, grad, jit, lax, np, type Value } from "../src/index.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import type { Array } from "../src/array.js";
import { webgpuBackend } from "../src/backend/webgpu/index.js";
import type { GpuBuffer } from "../src/backend/webgpu/buffers.js";
import { webgpuDotKernels } from "../src/backend/webgpu/matmul.js";
import { rand } from "./helpers.js";

const hasGpu = await probeWebGPU("webgpu-matmul.test.ts");

type DT = "float32" | "int32" | "uint32" | "bool";
const pair = (values: number[], shape: number[], dtype: DT = "float32") => onBothDevices(values, shape, dtype);



/** Random integers in [lo, hi]. */
const randInts = (count: number, seed: number, lo: number, hi: number) => rand(count, seed, lo, hi + 1).map(Math.floor);

/**
 * float32 agreement: |g − c| ≤ 1e-4·sqrt(k)·max(|c|, largest |c| of the array).
 * Relative to the array's scale, since a sum of terms of mixed signs can
 * land near zero with the rounding error of its large terms.
 */
async function expectClose(g: Value, c: Value, k: number): Promise<void> {
  expect(g.shape).toEqual(c.shape);
  expect(g.dtype).toBe(c.dtype);
  expect((g as Array).device).toBe("webgpu");
  expect((c as Array).device).toBe("cpu");
  const gd = await (g as Array).data();
  const cd = await (c as Array).data();
  const tol = 1e-4 * Math.sqrt(Math.max(k, 1));
  let scale = 1e-30;
  for (const v of cd) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < cd.length; i++) {
    if (!(Math.abs(gd[i] - cd[i]) <= tol * Math.max(scale, Math.abs(cd[i])))) {
      expect.fail(`element ${i} of ${g.shape}: webgpu ${gd[i]}, cpu ${cd[i]} (tol ${tol})`);
    }
  }
}

async function expectExact(g: Value, c: Value): Promise<void> {
  expect(g.shape).toEqual(c.shape);
  expect(g.dtype).toBe(c.dtype);
  expect(globalThis.Array.from(await (g as Array).data())).toEqual(globalThis.Array.from(await (c as Array).data()));
}

/** Row-major [batch, m, n] product of row-major [batch, m, k] and [batch, k, n], in float64. */
function loopMatmul(a: number[], b: number[], batch: number, m: number, k: number, n: number): number[] {
  const out = new globalThis.Array<number>(batch * m * n).fill(0);
  for (let q = 0; q < batch; q++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[(q * m + i) * k + p] * b[(q * k + p) * n + j];
        out[(q * m + i) * n + j] = s;
      }
  return out;
}

// both forms of the kernels on any adapter: with workgroup memory (the default on GPUs) and without (on software adapters)
for (const wm of ["on", "off"] as const)
describe.skipIf(!hasGpu)(`webgpu dot (workgroup memory ${wm})`, () => {
  beforeAll(() => void (webgpuDotKernels.workgroupMemory = wm));
  afterAll(() => void (webgpuDotKernels.workgroupMemory = "auto"));
  // [batch, m, k, n]: both kernels, tile edges, matrix-vector shapes, long and short k
  const shapes: [number, number, number, number][] = [
    [1, 1, 1, 1],
    [1, 3, 5, 7],
    [1, 16, 16, 16],
    [1, 65, 129, 63],
    [3, 17, 9, 33],
    [3, 64, 32, 64],
    [1, 128, 48, 80],
    [2, 70, 17, 130],
    [1, 1, 300, 40],
    [1, 200, 64, 1],
    [1, 4096, 64, 1],
    [1, 1, 4096, 64],
    [2, 3, 1000, 2],
    [1, 5, 33, 200],
  ];

  it.each(shapes)("float32 matmul [%i, %i×%i]·[%i cols] matches the CPU", async (batch, m, k, n) => {
    const lead = batch > 1 ? [batch] : [];
    const a = await pair(rand(batch * m * k, 1 + m + k), [...lead, m, k]);
    const b = await pair(rand(batch * k * n, 2 + k + n), [...lead, k, n]);
    await expectClose(np.matmul(a.g, b.g), np.matmul(a.c, b.c), k);
  });

  it("float32 65×129·129×63 (batch 2) matches a JS loop", async () => {
    const [batch, m, k, n] = [2, 65, 129, 63];
    const av = rand(batch * m * k, 11);
    const bv = rand(batch * k * n, 12);
    // committed to the GPU: small uncommitted host-made operands would be folded on the host
    const gpuArray = (v: number[]) => devicePut(np.array(v), "webgpu");
    const out = await (np.matmul(gpuArray(av).reshape([batch, m, k]), gpuArray(bv).reshape([batch, k, n])) as Array).data();
    const ref = loopMatmul(av, bv, batch, m, k, n);
    const tol = 1e-4 * Math.sqrt(k);
    ref.forEach((v, i) => expect(Math.abs(out[i] - v)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(v))));
  });

  it("transposed and batch-interleaved strides through lax.dotGeneral", async () => {
    const none: [number[], number[]] = [[], []];
    // lhs [k, m] contracting axis 0 (row stride 1), rhs [n, k] contracting axis 1 (column stride k)
    const a = await pair(rand(70 * 90, 3), [70, 90]);
    const b = await pair(rand(50 * 70, 4), [50, 70]);
    const dn = { contracting: [[0], [1]] as [number[], number[]], batch: none };
    await expectClose(lax.dotGeneral(a.g, b.g, dn), lax.dotGeneral(a.c, b.c, dn), 70);
    // batch axis in the middle of the lhs and last in the rhs: lhs [m, B, k], rhs [k, n, B]
    const x = await pair(rand(33 * 3 * 20, 5), [33, 3, 20]);
    const y = await pair(rand(20 * 40 * 3, 6), [20, 40, 3]);
    const dn2 = { contracting: [[2], [0]] as [number[], number[]], batch: [[1], [2]] as [number[], number[]] };
    await expectClose(lax.dotGeneral(x.g, y.g, dn2), lax.dotGeneral(x.c, y.c, dn2), 20);
    // np.matmul on transposed operands
    const p = await pair(rand(45 * 64, 7), [45, 64]);
    const q = await pair(rand(80 * 45, 8), [80, 45]);
    await expectClose(np.matmul(p.g.transpose(), q.g.transpose()), np.matmul(p.c.transpose(), q.c.transpose()), 45);
  });

  it("matrix-vector products in both layouts", async () => {
    // A·v with A row-major (threads share a row) and Aᵀ·v (neighbouring threads take neighbouring rows)
    const A = await pair(rand(300 * 257, 9), [300, 257]);
    const v = await pair(rand(300, 10), [300]);
    const w = await pair(rand(257, 11), [257]);
    await expectClose(np.matmul(A.g, w.g), np.matmul(A.c, w.c), 257);
    await expectClose(np.matmul(v.g, A.g), np.matmul(v.c, A.c), 300);
    await expectClose(np.matmul(A.g.transpose(), v.g), np.matmul(A.c.transpose(), v.c), 300);
    await expectClose(np.matmul(w.g, A.g.transpose()), np.matmul(w.c, A.c.transpose()), 257);
    // a batch of matrix-vector products, and a vector dot vector
    const B = await pair(rand(4 * 50 * 30, 12), [4, 50, 30]);
    const u = await pair(rand(4 * 30, 13), [4, 30, 1]);
    await expectClose(np.matmul(B.g, u.g), np.matmul(B.c, u.c), 30);
    await expectClose(np.dot(w.g, w.g), np.dot(w.c, w.c), 257);
  });

  it("k = 0 gives zeros", async () => {
    const a = await pair([], [4, 0]);
    const b = await pair([], [0, 70]);
    const c = await pair([], [70, 0]);
    const d = await pair([], [0, 80]);
    const r1 = np.matmul(a.g, b.g);
    const r2 = np.matmul(c.g, d.g);
    expect(r1.shape).toEqual([4, 70]);
    expect(globalThis.Array.from(await (r1 as Array).data())).toEqual(new globalThis.Array(280).fill(0));
    expect(globalThis.Array.from(await (r2 as Array).data())).toEqual(new globalThis.Array(70 * 80).fill(0));
    // and empty outputs
    const e = await pair([], [0, 5]);
    const f = await pair(rand(15, 1), [5, 3]);
    expect(np.matmul(e.g, f.g).shape).toEqual([0, 3]);
  });

  it("int32 is exact and wraps at 32 bits", async () => {
    for (const [m, k, n] of [[1, 1, 1], [7, 13, 5], [70, 40, 65], [1, 500, 30], [200, 50, 1]]) {
      const a = await pair(randInts(m * k, m + 1, -1000, 1000), [m, k], "int32");
      const b = await pair(randInts(k * n, n + 2, -1000, 1000), [k, n], "int32");
      const g = np.matmul(a.g, b.g);
      expect(g.dtype).toBe("int32");
      await expectExact(g, np.matmul(a.c, b.c));
    }
    // 100000² overflows: the low 32 bits, as Math.imul gives them
    const big = [100000, -70000, 123456789, 3];
    const x = devicePut(np.array(big, { dtype: "int32" }), "webgpu").reshape([1, 4]);
    const y = devicePut(np.array(big, { dtype: "int32" }), "webgpu").reshape([4, 1]);
    const want = big.reduce((s, v) => (s + Math.imul(v, v)) | 0, 0);
    expect(globalThis.Array.from(await (np.matmul(x, y) as Array).data())).toEqual([want]);
  });

  it("uint32 is exact", async () => {
    const a = await pair(randInts(9 * 21, 3, 0, 100000), [9, 21], "uint32");
    const b = await pair(randInts(21 * 17, 4, 0, 100000), [21, 17], "uint32");
    const g = np.matmul(a.g, b.g);
    expect(g.dtype).toBe("uint32");
    await expectExact(g, np.matmul(a.c, b.c));
  });

  it("bool is the or of ands", async () => {
    const [m, k, n] = [19, 6, 23];
    const av = randInts(m * k, 5, 0, 3).map((v) => (v === 0 ? 1 : 0));
    const bv = randInts(k * n, 6, 0, 3).map((v) => (v === 0 ? 1 : 0));
    const a = await pair(av, [m, k], "bool");
    const b = await pair(bv, [k, n], "bool");
    const g = np.matmul(a.g, b.g);
    expect(g.dtype).toBe("bool");
    await expectExact(g, np.matmul(a.c, b.c));
    const ref: number[] = [];
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) if (av[i * k + p] && bv[p * n + j]) s = 1;
        ref.push(s);
      }
    expect(globalThis.Array.from(await (g as Array).data())).toEqual(ref);
    // long k with few outputs (threads share each output and combine with or)
    const c = await pair(new globalThis.Array(4000).fill(0).map((_, i) => (i === 3999 ? 1 : 0)), [1, 4000], "bool");
    const d = await pair(new globalThis.Array(8000).fill(0).map((_, i) => (i >= 7998 ? 1 : 0)), [4000, 2], "bool");
    expect(globalThis.Array.from(await (np.matmul(c.g, d.g) as Array).data())).toEqual([1, 1]);
  });

  it("a result dtype other than the operands' (preferredElementType)", async () => {
    const none: [number[], number[]] = [[], []];
    const dn = { contracting: [[1], [0]] as [number[], number[]], batch: none };
    const a = await pair(randInts(30 * 20, 1, -50, 50), [30, 20], "int32");
    const b = await pair(randInts(20 * 25, 2, -50, 50), [20, 25], "int32");
    const g = lax.dotGeneral(a.g, b.g, dn, "float32");
    expect(g.dtype).toBe("float32");
    await expectExact(g, lax.dotGeneral(a.c, b.c, dn, "float32"));
    const x = await pair(randInts(30 * 20, 3, -50, 50), [30, 20]);
    const y = await pair(randInts(20 * 25, 4, -50, 50), [20, 25]);
    await expectExact(lax.dotGeneral(x.g, y.g, dn, "int32"), lax.dotGeneral(x.c, y.c, dn, "int32"));
  });

  it("the routine honours offsets and arbitrary strides", async () => {
    // called directly: lax always passes zero offsets and strides of contiguous views
    const lhsData = new Float32Array(rand(4000, 21));
    const rhsData = new Float32Array(rand(5000, 22));
    const cases = [
      // batch, m, n, k, lhs [b, row, k] strides, rhs [b, k, col] strides, offsets
      { batch: 2, m: 20, n: 18, k: 9, lhsStrides: [500, 3, 41], rhsStrides: [700, 2, 37], lhsOffset: 7, rhsOffset: 13 },
      { batch: 3, m: 70, n: 66, k: 5, lhsStrides: [0, 1, 80], rhsStrides: [1, 300, 4], lhsOffset: 2, rhsOffset: 5 },
      { batch: 1, m: 1, n: 30, k: 100, lhsStrides: [0, 0, 2], rhsStrides: [0, 31, 1], lhsOffset: 1, rhsOffset: 3 },
      { batch: 2, m: 40, n: 1, k: 50, lhsStrides: [2000, 50, 1], rhsStrides: [7, 3, 0], lhsOffset: 0, rhsOffset: 11 },
    ];
    for (const p of cases) {
      const lhs = webgpuBackend.upload(lhsData, "float32");
      const rhs = webgpuBackend.upload(rhsData, "float32");
      const outType = { shape: [p.batch, p.m, p.n], dtype: "float32" as const };
      const [out] = webgpuBackend.run(
        { kind: "routine", routine: "dot", params: p },
        [lhs, rhs],
        [{ shape: [4000], dtype: "float32" }, { shape: [5000], dtype: "float32" }],
        [outType],
      );
      const got = await webgpuBackend.read(out, "float32", p.batch * p.m * p.n);
      for (const b of [lhs, rhs, out] as GpuBuffer[]) webgpuBackend.dispose(b);
      const [lb, lm, lk] = p.lhsStrides;
      const [rb, rk, rn] = p.rhsStrides;
      for (let q = 0; q < p.batch; q++)
        for (let i = 0; i < p.m; i++)
          for (let j = 0; j < p.n; j++) {
            let s = 0;
            for (let t = 0; t < p.k; t++) s += lhsData[p.lhsOffset + q * lb + i * lm + t * lk] * rhsData[p.rhsOffset + q * rb + t * rk + j * rn];
            const v = got[(q * p.m + i) * p.n + j];
            if (!(Math.abs(v - s) <= 1e-4 * Math.sqrt(p.k) * Math.max(1, Math.abs(s)))) {
              expect.fail(`${JSON.stringify(p)}: out[${q}, ${i}, ${j}] = ${v}, expected ${s}`);
            }
          }
    }
  });

  it("under jit, fused with elementwise work around it", async () => {
    const f = jit((x: Value, w: Value, b: Value) => np.tanh(np.matmul(x.mul(2), w).add(b)).sum(1));
    const x = await pair(rand(37 * 50, 31), [37, 50]);
    const w = await pair(rand(50 * 70, 32), [50, 70]);
    const b = await pair(rand(70, 33), [70]);
    await expectClose(f(x.g, w.g, b.g), onCpu(() => f(x.c, w.c, b.c)), 50 + 70);
    // the cached program again, with other values
    const x2 = await pair(rand(37 * 50, 34), [37, 50]);
    await expectClose(f(x2.g, w.g, b.g), onCpu(() => f(x2.c, w.c, b.c)), 50 + 70);
  });

  it("grad of a matmul loss, eager and jitted", async () => {
    // loss = mean((relu(x·W1)·W2 − y)²): its gradient needs xᵀ·g and g·Wᵀ products
    const loss = (params: { w1: Value; w2: Value }, x: Value, y: Value) => {
      const h = np.maximum(np.matmul(x, params.w1), 0);
      const d = np.matmul(h, params.w2).sub(y);
      return d.mul(d).mean();
    };
    const x = await pair(rand(64 * 20, 41), [64, 20]);
    const y = await pair(rand(64 * 3, 42), [64, 3]);
    const w1 = await pair(rand(20 * 48, 43), [20, 48]);
    const w2 = await pair(rand(48 * 3, 44), [48, 3]);
    for (const g of [grad(loss), jit(grad(loss))]) {
      const gg = g({ w1: w1.g, w2: w2.g }, x.g, y.g) as unknown as { w1: Value; w2: Value };
      const gc = onCpu(() => g({ w1: w1.c, w2: w2.c }, x.c, y.c)) as unknown as { w1: Value; w2: Value };
      await expectClose(gg.w1, gc.w1, 64);
      await expectClose(gg.w2, gc.w2, 64);
    }
    // the gradient with respect to the input, through a batch of matrices
    const gx = grad((a: Value, b: Value) => np.matmul(a, b).sum());
    const a = await pair(rand(2 * 9 * 17, 45), [2, 9, 17]);
    const b = await pair(rand(2 * 17 * 70, 46), [2, 17, 70]);
    await expectClose(gx(a.g, b.g), onCpu(() => gx(a.c, b.c)), 70);
  });
});
