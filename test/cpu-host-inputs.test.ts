/**
 * Arrays made from user data (np.array of a Float32Array or of nested JS
 * arrays, np.asarray, devicePut) live in the CPU backend's shared WebAssembly
 * memory even past the pool's pacing target (memory.ts's upload headroom), so
 * that WebAssembly kernels address them in place instead of copying them into
 * scratch on every use; and their values are the user's.
 */
import { describe, expect, it } from "vitest";
import { devicePut, jit, numpy as np, type Value } from "../src/index.js";
import type { Array as JArray } from "../src/array.js";
import { alloc, getPoolLimit, inMemory, memoryStats, poolHeadroom, poolTarget, release, stagingStats } from "../src/backend/cpu/memory.js";
import { matmulWasm } from "../src/backend/cpu/matmul-wasm.js";

const MiB = 1024 * 1024;
const bufferOf = (x: unknown) => (x as JArray).buffer as Float32Array;

describe("host-made inputs on the CPU", () => {
  it("4 MiB operands made from Float32Arrays, nested arrays and np.asarray are in the shared memory, past the pool's target", () => {
    const n = 1024;
    const data = Float32Array.from({ length: n * n }, (_, i) => (i % 97) / 97 - 0.5);
    const made: unknown[] = [];
    made.push(np.array(data).reshape([n, n]));
    made.push(devicePut(np.array(data, { dtype: "float32" }), "cpu"));
    made.push(np.asarray(data));
    // (after the three above, past the target too)
    const nested = Array.from({ length: 300 }, (_, i) => Array.from({ length: 300 }, (_, j) => ((i + j) % 13) - 6));
    made.push(np.array(nested, { dtype: "float32" }));
    // together they are past the 4 MiB floor of the target: without the headroom the later ones were plain arrays
    expect(memoryStats().liveBytes).toBeGreaterThan(Math.min(poolTarget(), 4 * MiB));
    for (const x of made) expect(inMemory(bufferOf(x))).toBe(true);
    const y = made[2] as JArray;
    const back = y.dataSync();
    let same = back.length === data.length;
    for (let i = 0; same && i < data.length; i++) same = back[i] === data[i];
    expect(same).toBe(true);
    const z = (made[3] as JArray).dataSync();
    expect(z[301]).toBe(nested[1][1]);
    expect(z[300 * 300 - 1]).toBe(nested[299][299]);
    for (const x of made) (x as JArray).dispose();
  });

  it("a readback is a copy the caller owns (the pool block may be reused after dispose)", async () => {
    const data = Float32Array.from({ length: 1 << 18 }, (_, i) => i);
    const x = np.array(data) as JArray;
    const a = x.dataSync();
    const b = await x.data();
    expect(inMemory(a)).toBe(false);
    expect(inMemory(b)).toBe(false);
    x.dispose();
    const other = np.array(new Float32Array(1 << 18).fill(-1)) as JArray;
    expect(a[12345]).toBe(12345);
    expect(b[(1 << 18) - 1]).toBe((1 << 18) - 1);
    other.dispose();
  });
});

/**
 * Arrays a jit computed are operands as much as host-made ones: a large output
 * (1 MiB and up) takes the same headroom past the pool's target as an upload,
 * so a matmul reads it in place; the headroom is one budget, so the pool stays
 * bounded when large outputs are never disposed.
 */
describe("computed inputs on the CPU", () => {
  it("4 MiB operands a jit computed are in the shared memory past the target, and a matmul of them stages no copy", () => {
    const n = 1024;
    const a = Float32Array.from({ length: n * n }, (_, i) => ((i * 7) % 101) / 101 - 0.5);
    const b = Float32Array.from({ length: n * n }, (_, i) => ((i * 13) % 89) / 89 - 0.5);
    const made = jit((x: Value) => x.mul(2).mul(0.5));
    const hostA = np.array(a, { dtype: "float32" }).reshape([n, n]);
    const hostB = np.array(b, { dtype: "float32" }).reshape([n, n]);
    const ca = made(hostA) as JArray;
    const cb = made(hostB) as JArray;
    // four 4 MiB arrays: past the 4 MiB floor, where computed outputs used to be plain arrays
    expect(memoryStats().liveBytes).toBeGreaterThan(Math.min(poolTarget(), 4 * MiB));
    expect(inMemory(bufferOf(ca))).toBe(true);
    expect(inMemory(bufferOf(cb))).toBe(true);
    const before = stagingStats();
    const y = np.matmul(ca, cb) as JArray;
    const got = y.dataSync();
    const after = stagingStats();
    expect(after.copies - before.copies).toBe(0);
    expect(after.bytes - before.bytes).toBe(0);
    // the product is right: sampled entries against float64 dot products of the host values
    for (const [i, j] of [[0, 0], [17, 1000], [511, 3], [1023, 1023]]) {
      let s = 0;
      for (let p = 0; p < n; p++) s += a[i * n + p] * b[p * n + j];
      expect(Math.abs(got[i * n + j] - s)).toBeLessThan(1e-3 * Math.max(1, Math.abs(s)));
    }
    for (const x of [hostA, hostB, ca, cb, y]) (x as JArray).dispose();
  });

  it("the counter sees the copy a plain-array operand costs (the staging the fix removes)", () => {
    const n = 512;
    const plain = Float32Array.from({ length: n * n }, (_, i) => (i % 31) / 31);
    const inside = np.array(plain, { dtype: "float32" }).reshape([n, n]) as JArray;
    // a plain Float32Array as an operand: what a buffer turned away by the pool is
    const outside = Float32Array.from(plain);
    const out = alloc("float32", n * n, false) as Float32Array;
    const before = stagingStats();
    const ok = matmulWasm(outside, bufferOf(inside), out, { batch: 1, m: n, n, k: n, lhsStrides: [0, n, 1], rhsStrides: [0, n, 1], lhsOffset: 0, rhsOffset: 0 });
    expect(ok).toBe(true);
    expect(stagingStats().bytes - before.bytes).toBe(outside.byteLength + (inMemory(out) ? 0 : out.byteLength));
    release(out);
    inside.dispose();
  });

  it("large outputs never disposed fill the shared headroom once and then become plain arrays: the pool stays bounded", () => {
    const n = 1024;
    const x = np.array(new Float32Array(n * n).fill(1), { dtype: "float32" }).reshape([n, n]) as JArray;
    const step = jit((v: Value) => v.add(1));
    const held: JArray[] = [];
    let peak = 0;
    let v = x;
    // 24 outputs of 4 MiB in a synchronous loop (no finalizer can run): 96 MiB, past target + headroom
    for (let i = 0; i < 24; i++) {
      v = step(v) as JArray;
      held.push(v);
      peak = Math.max(peak, memoryStats().liveBytes);
    }
    expect(peak).toBeLessThanOrEqual(Math.min(getPoolLimit(), poolTarget() + poolHeadroom()));
    expect(held.some((h) => inMemory(bufferOf(h)))).toBe(true);
    expect(held.some((h) => !inMemory(bufferOf(h)))).toBe(true);
    // values carry through pool blocks and plain arrays alike: 1 + 24
    expect(v.dataSync()[n * n - 1]).toBe(25);
    for (const h of [x, ...held]) h.dispose();
  });
});
