/**
 * Arrays made from user data (np.array of a Float32Array or of nested JS
 * arrays, np.asarray, devicePut) live in the CPU backend's shared WebAssembly
 * memory even past the pool's pacing target (memory.ts's upload headroom), so
 * that WebAssembly kernels address them in place instead of copying them into
 * scratch on every use; and their values are the user's.
 */
import { describe, expect, it } from "vitest";
import { devicePut, numpy as np } from "../src/index.js";
import type { Array as JArray } from "../src/array.js";
import { inMemory, memoryStats, poolTarget } from "../src/backend/cpu/memory.js";

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
