/**
 * The WebGPU backend gives the CPU's answers. Every primitive case of the
 * rule tests (test/primitive-cases.ts) runs on both devices in float32 —
 * eager, jit, jvp, vjp, vmap and jit∘grad — and the composition tests
 * (grad∘grad, vmap∘grad, hessian, control flow, custom rules, a training
 * step) too; the CPU results are the reference, themselves checked against
 * finite differences and loops by the CPU suite. Also: device errors, bounded
 * memory without dispose, and a long synchronous loop of queued steps.
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set (CI), where a skip would hide a broken install.
 */
import { describe, expect, it } from "vitest";
import {
  Array,
  BackendError,
  DTypeError,
  checkpoint,
  customJvp,
  customVjp,
  devicePut,
  devicePutAsync,
  grad,
  hessian,
  jacfwd,
  jacrev,
  jit,
  jitConfig,
  jvp,
  lax,
  memoryStats,
  nn,
  np,
  optim,
  random,
  tree,
  vjp,
  vmap,
  type Value,
} from "../src/index.js";
import { onBothDevices, onCpuAsync, probeWebGPU } from "./device-helpers.js";
import { primitiveCases, type Case } from "./primitive-cases.js";
import { rand } from "./helpers.js";
import { roundToFloat16 } from "../src/dtype.js";

const hasGpu = await probeWebGPU("webgpu.test.ts");

/** A case's inputs on both devices (the values `sample` draws for the CPU rule tests). */
const pair = onBothDevices;

const samplePairs = (c: Case, seed: number) =>
  c.shapes.map((s, i) => {
    const [lo, hi] = c.domains?.[i] ?? [-2, 2];
    return pair(rand(s.reduce((a, b) => a * b, 1), seed * 31 + i, lo, hi), s);
  });

async function host(v: Value | Value[]): Promise<number[]> {
  const parts = tree.leaves(v) as Array[];
  const out: number[] = [];
  for (const p of parts) for (const v of await p.data()) out.push(v); // no spread: large arrays overflow the argument stack
  return out;
}

/** WebGPU's answer equals the CPU's within float32 tolerance. */
async function expectSame(gpu: Value | Value[], cpuRef: () => Value | Value[] | Promise<Value>, tol = 2e-4) {
  const g = await host(gpu);
  const c = await host(await onCpuAsync(cpuRef));
  for (const l of tree.leaves(gpu) as Array[]) expect(l.device).toBe("webgpu");
  expect(g.length).toBe(c.length);
  g.forEach((v, i) => {
    const e = c[i];
    const ok = (Number.isNaN(v) && Number.isNaN(e)) || v === e || Math.abs(v - e) <= tol * Math.max(1, Math.abs(e));
    if (!ok) expect.fail(`element ${i}: webgpu ${v}, cpu ${e} (tol ${tol}); webgpu [${g.slice(0, 8).join(", ")}] cpu [${c.slice(0, 8).join(", ")}]`);
  });
}


const sumOf = (fn: Case["fn"]) => (...xs: Value[]) => fn(...xs).sum();

describe.skipIf(!hasGpu)("every primitive case: webgpu equals cpu (float32)", () => {
  const cases = primitiveCases("float32");
  describe.each(cases.map((c) => [`${c.prims.join("+")} ${c.shapes.map((s) => `[${s}]`).join(" ")}`, c] as const))("%s", (_name, c) => {
    const xs = samplePairs(c, 7);
    const dirs = samplePairs(c, 11);
    const cs = xs.map((x) => x.c);
    const gs = xs.map((x) => x.g);
    it("eager and jit", async () => {
      await expectSame(c.fn(...gs), () => c.fn(...cs));
      await expectSame(jit(c.fn)(...gs) as Value, () => c.fn(...cs));
    });
    it("jvp, vjp and jit(grad)", async () => {
      if (c.noGrad) return;
      const [, tg] = jvp(c.fn, gs, dirs.map((d) => d.g));
      await expectSame(tg as Value, () => jvp(c.fn, cs, dirs.map((d) => d.c))[1] as Value);
      const [outG, pullG] = vjp(c.fn, ...gs);
      const u = pair(rand((outG as Value).size, 17), [...(outG as Value).shape]);
      await expectSame(pullG(u.g) as Value[], () => vjp(c.fn, ...cs)[1](u.c) as Value[]);
      const argnums = c.shapes.map((_, i) => i);
      await expectSame(jit(grad(sumOf(c.fn), { argnums }))(...gs) as Value[], () => grad(sumOf(c.fn), { argnums })(...cs) as Value[]);
    });
    it("vmap over a batch of 3", async () => {
      const batches = c.shapes.map((s, i) => pair(rand(3 * s.reduce((a, b) => a * b, 1), 40 + i, ...(c.domains?.[i] ?? [-2, 2])), [3, ...s]));
      await expectSame(vmap(c.fn)(...batches.map((b) => b.g)) as Value, () => vmap(c.fn)(...batches.map((b) => b.c)) as Value);
    });
  });
});

describe.skipIf(!hasGpu)("every primitive case in float16: webgpu equals cpu", () => {
  // both devices compute in f32 and round every float16 result to the nearest half (ties to even);
  // reductions and transcendental functions may differ in f32's last place, so one half ulp either way
  const halfTol = 2e-3;
  it("casting to float16 on the GPU rounds exactly as the CPU does: every half, every midpoint, and beside each", async () => {
    const f32s: number[] = [];
    let prev = 0;
    for (let b = 1; b < 0x7c00; b++) {
      const h = roundToFloat16(b < 0x400 ? b * 2 ** -24 : (1 + (b & 0x3ff) / 1024) * 2 ** ((b >> 10) - 15));
      const mid = (prev + h) / 2;
      f32s.push(h, -h, mid, -mid, Math.fround(mid * (1 + 2 ** -20)), Math.fround(mid * (1 - 2 ** -20)));
      prev = h;
    }
    f32s.push(65519, 65520, 70000, -70000, 0, -0);
    const { c, g } = pair(f32s, [f32s.length]);
    await expectSame(g.astype("float16"), () => c.astype("float16"), 0);
  });
  it("halves take 2 bytes each where the device has shader-f16 (else 4), and read back exactly", async () => {
    const { halvesPacked } = await import("../src/backend/webgpu/context.js");
    const n = 1 << 20;
    const x = devicePut(np.full([n], 0.1, { dtype: "float16" }), "webgpu");
    const h = x.add(1); // computed on the GPU into one new buffer
    // its size, read from the buffer itself: the live-byte count may drop meanwhile, if this
    // allocation set off a collection of earlier tests' dead buffers
    const bytes = (h.buffer as { slot: { bytes: number } }).slot.bytes;
    expect(bytes / n).toBe(halvesPacked() ? 2 : 4);
    const got = await h.data();
    expect(got.length).toBe(n);
    expect(got[0]).toBe(roundToFloat16(1 + roundToFloat16(0.1)));
    expect(got[n - 1]).toBe(got[0]);
    if (!halvesPacked()) console.warn("webgpu.test.ts: this adapter has no shader-f16; halves are stored in 4 bytes");
  });
  const cases = primitiveCases("float16");
  describe.each(cases.map((c) => [`${c.prims.join("+")} ${c.shapes.map((s) => `[${s}]`).join(" ")}`, c] as const))("%s", (_name, c) => {
    it("eager and jit", async () => {
      const xs = c.shapes.map((s, i) => {
        const [lo, hi] = c.domains?.[i] ?? [-2, 2];
        return onBothDevices(rand(s.reduce((a, b) => a * b, 1), 7 * 31 + i, lo, hi), s, "float16");
      });
      const [cs, gs] = [xs.map((x) => x.c), xs.map((x) => x.g)];
      await expectSame(c.fn(...gs), () => c.fn(...cs), halfTol);
      await expectSame(jit(c.fn)(...gs) as Value, () => c.fn(...cs), halfTol);
    });
  });
});

describe.skipIf(!hasGpu)("compositions: webgpu equals cpu", () => {
  const x = pair(rand(12, 3), [3, 4]);
  const v = pair(rand(4, 5), [4]);
  const f = (a: Value) => np.sin(a).mul(a.square()).sum();
  it("grad∘grad, jit∘grad∘grad", async () => {
    const s = pair([0.7], []);
    const g2 = grad(grad((t: Value) => np.sin(t).mul(t.pow(3))));
    await expectSame(g2(s.g) as Value, () => g2(s.c) as Value);
    await expectSame(jit(g2)(s.g) as Value, () => g2(s.c) as Value);
  });
  it("vmap∘grad (per-example gradients) and jit∘vmap∘grad", async () => {
    const loss = (w: Value, row: Value) => np.tanh(row.mul(w).sum()).square();
    const perEx = vmap(grad(loss), { inAxes: [null, 0] });
    await expectSame(perEx(v.g, x.g) as Value, () => perEx(v.c, x.c) as Value);
    await expectSame(jit(perEx)(v.g, x.g) as Value, () => perEx(v.c, x.c) as Value);
  });
  it("jacfwd, jacrev, hessian", async () => {
    const h = (a: Value) => np.tanh(a).mul(a.sum());
    await expectSame(jacfwd(h)(v.g) as Value, () => jacfwd(h)(v.c) as Value);
    await expectSame(jacrev(h)(v.g) as Value, () => jacrev(h)(v.c) as Value);
    await expectSame(hessian(f)(x.g) as Value, () => hessian(f)(x.c) as Value);
  });
  it("matmul chains: a two-layer net's gradient", async () => {
    const w1 = pair(rand(20, 8), [4, 5]);
    const w2 = pair(rand(5, 9), [5, 1]);
    const loss = (a: Value, b: Value, data: Value) => np.tanh(np.matmul(data, a)).matmul(b).square().mean();
    const g = jit(grad(loss, { argnums: [0, 1] }));
    await expectSame(g(w1.g, w2.g, x.g) as Value[], () => grad(loss, { argnums: [0, 1] })(w1.c, w2.c, x.c) as Value[]);
  });
  it("scan and foriLoop, with their gradients", async () => {
    const cumulative = (a: Value) => lax.scan((carry: Value, row: Value) => [carry.mul(row).add(1), carry.sin()], np.onesLike(a.get(0)), a);
    await expectSame(cumulative(x.g) as unknown as Value[], () => cumulative(x.c) as unknown as Value[]);
    const loss = (a: Value) => ((cumulative(a) as unknown as [Value, Value])[0] as Value).sum();
    await expectSame(grad(loss)(x.g) as Value, () => grad(loss)(x.c) as Value);
    const loop = (a: Value) => lax.foriLoop(0, 5, (_i: Value, acc: Value) => acc.mul(0.9).add(np.cos(acc)), a);
    await expectSame(jit(grad((a: Value) => loop(a).sum()))(v.g) as Value, () => grad((a: Value) => loop(a).sum())(v.c) as Value);
  });
  it("cond: the index stays on the GPU (all branches run, a select keeps one), with gradients", async () => {
    const branchy = (p: Value, a: Value) => lax.cond(p, (t: Value) => t.sin().sum(), (t: Value) => t.square().sum(), a);
    for (const flag of [0, 1]) {
      const p = pair([flag], [], "bool");
      await expectSame(branchy(p.g, v.g) as Value, () => branchy(p.c, v.c) as Value);
      await expectSame(grad(branchy, { argnums: 1 })(p.g, v.g) as Value, () => grad(branchy, { argnums: 1 })(p.c, v.c) as Value);
      await expectSame(jit(branchy)(p.g, v.g) as Value, () => branchy(p.c, v.c) as Value);
    }
  });
  it("customJvp, customVjp and checkpoint", async () => {
    const softplus = customJvp(
      (a: Value) => np.log1p(np.exp(a)),
      ([a], [t]) => [np.log1p(np.exp(a)), t.mul(lax.logistic(a))],
    );
    const clipGrad = customVjp(
      (a: Value) => a.mul(2),
      (a: Value) => [a.mul(2), null],
      (_res: unknown, g: Value) => [np.clip(g, -0.5, 0.5)],
    );
    const body = checkpoint((a: Value) => np.sin(np.sin(a)));
    const loss = (a: Value) => (softplus(a) as Value).add(clipGrad(a) as Value).add(body(a) as Value).sum();
    await expectSame(grad(loss)(v.g) as Value, () => grad(loss)(v.c) as Value);
    await expectSame(jit(vmap(grad(loss)))(x.g) as Value, () => vmap(grad(loss))(x.c) as Value);
  });
  it("an MLP trained with Adam for 20 jitted steps reaches the CPU's loss", async () => {
    const net = nn.serial(nn.Dense(8), nn.Tanh, nn.Dense(1));
    const data = pair(rand(64 * 2, 21, -2, 2), [64, 2]);
    const target = pair(rand(64, 22), [64, 1]);
    const opt = optim.adam(1e-2);
    const train = async (device: "cpu" | "webgpu", inputs: Array, labels: Array) => {
      const [, params0] = net.init(random.key(0), [-1, 2]);
      const [leaves, def] = tree.flatten(params0);
      const moved = await Promise.all(leaves.map((l) => devicePutAsync(l as Array, device)));
      let params = tree.unflatten(def, moved) as typeof params0;
      let state = opt.init(params);
      const loss = (p: typeof params) => nn.mse(net.apply(p, inputs) as Value, labels);
      const step = jit((p: typeof params, s: typeof state) => {
        const g = grad(loss)(p);
        const [updates, s2] = opt.update(g, s, p);
        return [optim.applyUpdates(p, updates), s2] as const;
      });
      for (let i = 0; i < 20; i++) [params, state] = step(params, state) as unknown as [typeof params, typeof state];
      return loss(params) as Value;
    };
    await expectSame(await train("webgpu", data.g, target.g), () => train("cpu", data.c, target.c), 1e-3);
  });
});

describe.skipIf(!hasGpu)("fusion and profiling on the device", () => {
  it("a training step unfused launches more kernels for the same numbers; timestamps attribute device time", async () => {
    const gpu = await import("../src/backend/webgpu/context.js");
    const x = pair(rand(256 * 4, 31), [256, 4]);
    const w0 = pair(rand(4 * 8, 32), [4, 8]);
    const loss = (w: Value, x: Value) => np.tanh(x.matmul(w)).square().mean();
    const step = jit((w: Value, x: Value) => w.sub((grad(loss)(w, x) as Value).mul(0.1)));
    const run = (w: Value, x: Value) => {
      for (let i = 0; i < 3; i++) w = step(w, x) as Value;
      return w;
    };
    const fusedKernels = step.lower(w0.g, x.g).kernels;
    const c0 = gpu.recordedCommands();
    const fused = run(w0.g, x.g);
    const fusedCommands = gpu.recordedCommands() - c0;
    jitConfig.fusion = false;
    try {
      expect(step.lower(w0.g, x.g).kernels).toBeGreaterThan(fusedKernels);
      const c1 = gpu.recordedCommands();
      const profiled = gpu.profileDeviceTime(true, { perDispatch: true });
      const unfused = run(w0.g, x.g);
      expect(gpu.recordedCommands() - c1).toBeGreaterThan(fusedCommands);
      await expectSame(unfused, () => run(w0.c, x.c), 1e-5);
      if (profiled) {
        expect(await gpu.deviceTimeMs()).toBeGreaterThan(0);
        const byKernel = await gpu.deviceTimeByKernel();
        expect(byKernel.reduce((s, k) => s + k.count, 0)).toBe(gpu.recordedCommands() - c1);
      } else console.warn("webgpu.test.ts: this adapter has no timestamp-query; device time not checked");
    } finally {
      gpu.profileDeviceTime(false);
      jitConfig.fusion = true;
    }
    await expectSame(fused, () => run(w0.c, x.c), 1e-5);
  });
});

describe.skipIf(!hasGpu)("multi-output kernels", () => {
  it("an optimizer's m, v and parameter update for one leaf are one kernel on the GPU, with the CPU's numbers", async () => {
    const shapes = [[4, 3], [3], [3, 1]];
    const leaf = (seed: number) => shapes.map((sh, i) => pair(rand(sh.reduce((a, b) => a * b, 1), seed * 10 + i), sh));
    const [p, m, v, g] = [leaf(1), leaf(2), leaf(3), leaf(4)];
    const update = (p: Value, m: Value, v: Value, g: Value) => {
      const m2 = m.mul(0.9).add(g.mul(0.1));
      const v2 = v.mul(0.99).add(g.square().mul(0.01));
      return [p.sub(m2.mul(0.1).div(np.sqrt(np.abs(v2)).add(1e-8))), m2, v2];
    };
    const step = jit((p: Value[], m: Value[], v: Value[], g: Value[]) => p.map((_, i) => update(p[i], m[i], v[i], g[i])));
    const on = (d: "c" | "g") => [p, m, v, g].map((t) => t.map((x) => x[d]));
    const [pg, mg, vg, gg] = on("g");
    const [pc, mc, vc, gc] = on("c");
    expect(step.lower(pc, mc, vc, gc).kernels).toBe(3); // the CPU merges them too (test/cpu-fusion.test.ts)
    expect(step.lower(pg, mg, vg, gg).kernels).toBe(3); // one per leaf, three outputs each
    await expectSame(step(pg, mg, vg, gg) as unknown as Value[], () => step(pc, mc, vc, gc) as unknown as Value[], 1e-5);
  });
});

describe.skipIf(!hasGpu)("matmul epilogues", () => {
  it("a dense layer tanh(x·w + b) is one launch on the GPU (tiled and matrix-vector matmuls), with the CPU's numbers", async () => {
    const layer = jit((x: Value, w: Value, b: Value) => np.tanh(x.matmul(w).add(b)).mul(2));
    for (const [m, k, n] of [[70, 40, 33], [64, 48, 1]]) {
      const x = pair(rand(m * k, 61), [m, k]);
      const w = pair(rand(k * n, 62), [k, n]);
      const b = pair(rand(n, 63), [n]);
      expect(layer.lower(x.c, w.c, b.c).kernels).toBe(1); // the CPU too: the rest runs on the product in the matmul's step
      expect(layer.lower(x.g, w.g, b.g).kernels).toBe(1);
      await expectSame(layer(x.g, w.g, b.g) as Value, () => layer(x.c, w.c, b.c) as Value, 1e-5);
    }
    // a matrix times a vector: the product [m, 1] is read back as [m] through a reshape
    const x = pair(rand(50 * 20, 64), [50, 20]);
    const v = pair(rand(20, 65), [20]);
    const c = pair(rand(50, 66), [50]);
    expect(layer.lower(x.g, v.g, c.g).kernels).toBe(1);
    await expectSame(layer(x.g, v.g, c.g) as Value, () => layer(x.c, v.c, c.c) as Value, 1e-5);
  });
});

describe.skipIf(!hasGpu)("reduction epilogues", () => {
  it("a row norm sqrt(Σx²/n)·s + t is one launch on the GPU (one-pass, tree and two-pass reductions), with the CPU's numbers", async () => {
    const norm = jit((x: Value, s: Value, t: Value) => np.sqrt(x.square().mean(1)).mul(s).add(t));
    for (const [rows, cols] of [[3000, 8], [4, 5000], [2, 40000]]) {
      const x = pair(rand(rows * cols, 71), [rows, cols]);
      const s = pair(rand(rows, 72), [rows]);
      const t = pair(rand(rows, 73), [rows]);
      expect(norm.lower(x.c, s.c, t.c).kernels).toBe(1); // the CPU too: the rest runs on the result in the reduction's step
      expect(norm.lower(x.g, s.g, t.g).kernels).toBe(1);
      await expectSame(norm(x.g, s.g, t.g) as Value, () => norm(x.c, s.c, t.c) as Value, 1e-5);
    }
  });
});

describe.skipIf(!hasGpu)("kernels with more inputs than the device binds", () => {
  it("a fused chain over 40 arrays splits under the binding limit and gives the CPU's numbers", async () => {
    const n = 40;
    const xs = globalThis.Array.from({ length: n }, (_, i) => pair(rand(64, 100 + i), [64]));
    const f = jit((...vs: Value[]) => vs.reduce((acc, v, i) => acc.add(np.sin(v).mul(i + 1)), np.zeros([64])).sum());
    const limit = (await import("../src/backend/webgpu/context.js")).device().limits.maxStorageBuffersPerShaderStage;
    expect(limit).toBeLessThan(n + 1); // otherwise this test would not split anything
    expect(f.lower(...xs.map((x) => x.c)).kernels).toBe(1); // the CPU has no binding limit
    expect(f.lower(...xs.map((x) => x.g)).kernels).toBeGreaterThan(1);
    await expectSame(f(...xs.map((x) => x.g)) as Value, () => f(...xs.map((x) => x.c)) as Value, 1e-5);
  });
});

describe.skipIf(!hasGpu)("device rules and errors", () => {
  it("float64 data made with WebGPU the default lands on the CPU; put on WebGPU explicitly it is a DTypeError that says to use the CPU", () => {
    const z = np.zeros([2], { dtype: "float64" }) as Array;
    expect(z.device).toBe("cpu");
    expect(() => devicePut(z, "webgpu")).toThrow(DTypeError);
    expect(() => devicePut(z, "webgpu")).toThrow(/use the CPU|devicePut\(x, "cpu"\)/);
  });
  it("synchronous reads and copies from the GPU name the async form", async () => {
    const a = (devicePut(np.ones([3]), "webgpu") as Array).mul(2) as Array; // computed on the GPU: no host copy
    expect(a.device).toBe("webgpu");
    expect(() => a.dataSync()).toThrow(BackendError);
    expect(() => a.dataSync()).toThrow(/await x\.data\(\)/);
    expect(() => devicePut(a, "cpu")).toThrow(/devicePutAsync/);
    const back = await devicePutAsync(a, "cpu");
    expect(back.device).toBe("cpu");
    expect(globalThis.Array.from(back.dataSync())).toEqual([2, 2, 2]);
    // a small array made from host values keeps them: it moves to the CPU without waiting
    const made = np.array([1, 2, 3]) as Array;
    expect(made.device).toBe("webgpu");
    expect(globalThis.Array.from(devicePut(made, "cpu").dataSync())).toEqual([1, 2, 3]);
  });
  it("committed arrays on two devices never mix; uncommitted ones and JS numbers follow the data", async () => {
    const { c, g } = pair([1, 1, 1], [3]);
    const cc = devicePut(c, "cpu"); // committed to the CPU
    expect(() => g.add(cc)).toThrow(/mixes arrays on webgpu and cpu.*committed.*devicePut/);
    const onCpu = cc.mul(2).add(1) as Array;
    expect(onCpu.device).toBe("cpu");
    expect(globalThis.Array.from(onCpu.dataSync())).toEqual([3, 3, 3]);
    // np.arange was made on the default device (webgpu), uncommitted: it follows the CPU data
    const mixed = np.arange(3).add(cc) as Array;
    expect(mixed.device).toBe("cpu");
    expect(globalThis.Array.from(mixed.dataSync())).toEqual([1, 2, 3]);
  });
  it("arrays jaxon makes itself follow committed CPU data while the default is webgpu", async () => {
    const x = devicePut(np.array([3, 1, 2]), "cpu");
    const cases: [string, () => Value, number[]][] = [
      ["argsort (an iota)", () => np.argsort(x), [1, 2, 0]],
      ["grad of a mean (constants only)", () => grad((v: Value) => v.mean())(x) as Value, [1 / 3, 1 / 3, 1 / 3]],
      ["grad of a max", () => grad((v: Value) => v.max())(x) as Value, [1, 0, 0]],
      ["jacfwd (a basis)", () => jacfwd((v: Value) => v.square())(x) as Value, [6, 0, 0, 0, 2, 0, 0, 0, 4]],
      ["hessian", () => hessian((v: Value) => v.square().sum())(x) as Value, [2, 0, 0, 0, 2, 0, 0, 0, 2]],
      ["nn.oneHot (an arange)", () => nn.oneHot(devicePut(np.array([0, 2], { dtype: "int32" }), "cpu"), 3), [1, 0, 0, 0, 0, 1]],
      ["at([1]).set: the slice x[1:]", () => x.at([1]).set(5), [3, 5, 5]],
      ["at(1).set", () => x.at(1).set(5), [3, 5, 2]],
    ];
    for (const [name, f, want] of cases) {
      const r = f() as Array;
      expect(r.device, name).toBe("cpu");
      const got = globalThis.Array.from(r.dataSync());
      got.forEach((v, i) => expect(v, `${name} [${i}]`).toBeCloseTo(want[i], 6));
    }
  });
  it("whileLoop with a condition on the GPU runs there (test/while-webgpu.test.ts has the rest)", async () => {
    const r = lax.whileLoop((s: Value) => s.lt(10), (s: Value) => s.add(1), np.array(0)) as Array;
    expect(r.device).toBe("webgpu");
    expect(await r.item()).toBe(10);
  });
});

describe.skipIf(!hasGpu)("memory without dispose", () => {
  it("10,000 naive jitted steps (no dispose, no scopes, no await) stay under a fixed bound of live bytes", async () => {
    const target = np.linspace(-1, 1, 65536);
    const loss = (w: Value) => w.sub(target).square().mean();
    const step = jit((w: Value) => w.sub((grad(loss)(w) as Value).mul(1000)));
    let w: Value = np.zeros([65536]); // 256 KiB per array: 10,000 steps make 2.5 GiB of garbage
    let peak = 0;
    for (let i = 0; i < 10000; i++) {
      w = step(w) as Value;
      if (i % 100 === 0) peak = Math.max(peak, memoryStats("webgpu").liveBytes);
    }
    // the synchronous collector keeps live bytes near its 128 MiB trigger, never the 2.5 GiB made
    expect(peak).toBeLessThan(512 * 1024 * 1024);
    const w0 = (await (w as Array).data())[0];
    expect(Math.abs(w0 + 1)).toBeLessThan(1e-3);
  }, 120_000);
  it("1,000 jitted training steps queued in one synchronous loop give the right loss", async () => {
    const xs = np.linspace(-1, 1, 256);
    const ys = xs.mul(3).add(0.5);
    const loss = (p: [Value, Value]) => p[0].mul(xs).add(p[1]).sub(ys).square().mean();
    const step = jit((p: [Value, Value]) => {
      const [gw, gb] = grad(loss)(p) as [Value, Value];
      return [p[0].sub(gw.mul(0.1)), p[1].sub(gb.mul(0.1))] as [Value, Value];
    });
    let p: [Value, Value] = [np.array(0), np.array(0)];
    for (let i = 0; i < 1000; i++) p = step(p) as [Value, Value];
    const [wv, bv] = [(await (p[0] as Array).data())[0], (await (p[1] as Array).data())[0]];
    expect(wv).toBeCloseTo(3, 3);
    expect(bv).toBeCloseTo(0.5, 3);
  }, 120_000);
});
