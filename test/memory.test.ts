/**
 * No reference counting for users: a training loop written naively (no
 * dispose, no scopes, no await) runs in bounded memory, and the bound scales
 * with what is live (a pacer, as Go's collector), on the CPU and on WebGPU.
 */
import { describe, expect, it } from "vitest";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { Array, defaultDevice, devicePut, grad, jit, memoryStats, np, tree, type Value } from "../src/index.js";
import { getPoolLimit, poolTarget, setPoolLimit } from "../src/backend/cpu/memory.js";
import { probeWebGPU } from "./device-helpers.js";
import { rand } from "./helpers.js";

const MiB = 1024 * 1024;

// probed first (init() makes WebGPU the default device where it exists); the CPU tests run on the CPU
const hasGpu = await probeWebGPU("memory.test.ts");
defaultDevice("cpu");

describe("bounded memory without dispose", () => {
  it("2,000 synchronous jitted SGD steps on 16 KiB parameters stay under the pool bound and converge", () => {
    const saved = getPoolLimit();
    const limit = 1 << 20;
    setPoolLimit(limit);
    try {
      const target = np.linspace(-1, 1, 4096);
      const loss = (w: Value) => w.sub(target).square().mean();
      const step = jit((w: Value) => w.sub((grad(loss)(w) as Value).mul(100)));
      let w: Value = np.zeros([4096]);
      const peakOver = (steps: number) => {
        let peak = 0;
        for (let i = 0; i < steps; i++) {
          w = step(w) as Value;
          peak = Math.max(peak, memoryStats().liveBytes);
        }
        return peak;
      };
      // in a loop that never yields, finalizers cannot run: the pool stops at its bound and
      // new arrays become ordinary TypedArrays that V8 frees itself, so the pool stays flat
      const first = peakOver(1000);
      const second = peakOver(1000);
      expect(second).toBeLessThanOrEqual(first + limit);
      // w converges to the target: w_k = target (1 - (1 - 200/4096)^k)
      expect(Math.abs(w.dataSync()[0] + 1)).toBeLessThan(1e-3);
    } finally {
      setPoolLimit(saved);
    }
  });
});

/** A two-layer MLP of about 8 KB (1,864 float32 parameters) and its naive jitted SGD step. */
type Params = { w1: Value; b1: Value; w2: Value; b2: Value };
function mlp() {
  const xs = np.array(rand(64 * 16, 1), { dtype: "float32" }).reshape([64, 16]);
  const ys = np.sin(xs.sum(1, { keepdims: true }));
  const params = (): Params => ({
    w1: np.array(rand(16 * 56, 2), { dtype: "float32" }).reshape([16, 56]).mul(0.3),
    b1: np.zeros([56]),
    w2: np.array(rand(56 * 16, 3), { dtype: "float32" }).reshape([56, 16]).mul(0.3),
    b2: np.zeros([16]),
  });
  const loss = (p: Params) => np.tanh(xs.matmul(p.w1).add(p.b1)).matmul(p.w2).add(p.b2).sum(1, { keepdims: true }).sub(ys).square().mean();
  const step = jit((p: Params) => tree.map((w: Value, g: Value) => w.sub(g.mul(0.01)), p, grad(loss)(p)) as Params);
  return { params, loss, step };
}

describe("the bound scales with the working set (CPU)", () => {
  it("a naive jitted loop of an 8 KB model, 10,000 steps with no dispose: the pool stays under 8 MiB and V8 frees the rest", () => {
    const { params, loss, step } = mlp();
    let p = params();
    const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
    let peak = 0;
    let peakArrayBuffers = 0;
    for (let i = 0; i < 10_000; i++) {
      p = step(p);
      peak = Math.max(peak, memoryStats().liveBytes);
      if (i % 100 === 0) peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers - arrayBuffersBefore);
    }
    // before the pacer: 65 MB of dead parameters at 10,000 steps, up to a fixed 256 MiB
    expect(peak).toBeLessThan(8 * MiB);
    // what the pool turned away (160 MB made over the loop) was reclaimed by V8 as it went
    expect(peakArrayBuffers).toBeLessThan(64 * MiB);
    // the same steps with every old parameter disposed (so every buffer comes from the pool) give the same numbers
    let q = params();
    for (let i = 0; i < 10_000; i++) {
      const next = step(q);
      for (const leaf of tree.leaves(q) as Array[]) leaf.dispose();
      q = next;
    }
    for (const k of ["w1", "b1", "w2", "b2"] as const) {
      const [a, b] = [(p[k] as Array).dataSync(), (q[k] as Array).dataSync()];
      expect(globalThis.Array.from(a)).toEqual(globalThis.Array.from(b));
    }
    expect((loss(p) as Array).itemSync()).toBeLessThan((loss(params()) as Array).itemSync() / 2);
  }, 120_000);

  it("after a collection the pool's target is three times what survived, down to a 4 MiB floor", async () => {
    // a collection on demand (the test sets this flag, never the library)
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await settle();
    expect(poolTarget()).toBe(Math.min(getPoolLimit(), Math.max(4 * MiB, 3 * memoryStats().liveBytes)));
    // a 12 MiB working set made in one synchronous burst: past the floor, the pool turns buffers away...
    let held: Value[] = [];
    for (let i = 0; i < 48; i++) held.push(np.full([65536], i));
    expect(memoryStats().liveBytes).toBeLessThan(4 * MiB + 256 * 1024 + 1);
    // ...until a collection shows what is live: the target follows it up, and new buffers fit up to it
    await settle();
    const liveAfter = memoryStats().liveBytes;
    expect(liveAfter).toBeGreaterThan(3.5 * MiB);
    expect(poolTarget()).toBe(Math.max(4 * MiB, 3 * liveAfter));
    for (let i = 0; i < 48; i++) held.push(np.full([65536], i));
    expect(memoryStats().liveBytes).toBeGreaterThan(poolTarget() - 256 * 1024 - 1);
    expect(memoryStats().liveBytes).toBeGreaterThan(10 * MiB);
    expect((held[60] as Array).dataSync()[0]).toBe(12);
    // and back down when the working set goes away
    held = [];
    await settle();
    expect(memoryStats().liveBytes).toBeLessThan(2 * MiB);
    expect(poolTarget()).toBe(4 * MiB);
  }, 60_000);
});

describe.skipIf(!hasGpu)("the bound scales with the working set (WebGPU)", () => {
  it("a naive jitted loop of an 8 KB model, 2,000 steps with no dispose: live device bytes stay under 8 MiB, and the numbers are the CPU's", async () => {
    const { params, step } = mlp();
    const cpuParams = params();
    defaultDevice("webgpu");
    try {
      let p = tree.map((x: Value) => devicePut(x as Array, "webgpu"), cpuParams) as Params;
      const { step: gpuStep } = mlp();
      let peak = 0;
      for (let i = 0; i < 2000; i++) {
        p = gpuStep(p);
        peak = Math.max(peak, memoryStats("webgpu").liveBytes);
      }
      // before the pacer, the collector waited for 128 MiB of dead buffers
      expect(peak).toBeLessThan(8 * MiB);
      defaultDevice("cpu");
      let q = cpuParams;
      for (let i = 0; i < 2000; i++) q = step(q);
      for (const k of ["w1", "b1", "w2", "b2"] as const) {
        const [g, c] = [await (p[k] as Array).data(), (q[k] as Array).dataSync()];
        for (let i = 0; i < c.length; i++) expect(g[i]).toBeCloseTo(c[i], 3);
      }
    } finally {
      defaultDevice("cpu");
    }
  }, 300_000);
});
