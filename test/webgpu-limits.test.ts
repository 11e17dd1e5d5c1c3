/**
 * WebGPU at the device's limits: arrays larger than one storage binding
 * (128 MiB on lavapipe) computed in chunks and checked against closed forms,
 * typed errors before allocation for what cannot fit or be split, the
 * pipeline cache's bound, and Dawn's adapter warnings kept off stderr.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BackendError, devicePut, jit, jitConfig, memoryStats, np, type Array, type Value } from "../src/index.js";
import { copy, dispatch, limit, lowerBindingLimitForTests, pipelineCacheStats } from "../src/backend/webgpu/context.js";
import { alloc, read, release, upload } from "../src/backend/webgpu/buffers.js";
import { LruCache } from "../src/backend/lru.js";
import { onBothDevices, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("webgpu-limits.test.ts");

describe.skipIf(!hasGpu)("arrays larger than one binding", () => {
  it("the device has the adapter's binding limit (the sizes below pass it)", () => {
    expect(limit("maxStorageBufferBindingSize")).toBeLessThan(40e6 * 4);
  });

  it("40M float32: sum, and an elementwise op checked at both ends and across chunk boundaries", async () => {
    const n = 40e6;
    const x = np.ones([n]);
    expect(await (x.sum() as Array).item()).toBe(n);
    const y = (x as Array).mul(2).add(np.array(1)) as Array;
    const d = await y.data();
    expect(d.length).toBe(n);
    // every element: a chunk left unwritten reads 0
    let bad = 0;
    for (let i = 0; i < n; i++) if (d[i] !== 3) bad++;
    expect(bad).toBe(0);
  }, 60_000);

  it("[4000, 10000] with values varying by row and column: axis-0 and axis-1 sums, and the elements", async () => {
    const rows = 4000;
    const cols = 10000;
    const r = np.arange(rows).reshape([rows, 1]);
    const c = np.arange(cols).reshape([1, cols]).mul(0.001);
    // r + c: 40M elements made by one kernel from two small inputs
    const x = r.add(c) as Array;
    const d = await x.data();
    for (const i of [0, 1, 2047, 2048, 3355, 3356, 3999]) {
      for (const j of [0, 1, 4999, 9999]) expect(d[i * cols + j]).toBeCloseTo(i + 0.001 * j, 2);
    }
    const s0 = await (x.sum(0) as Array).data(); // Σ_i (i + c_j) = rows(rows-1)/2 + rows c_j
    for (const j of [0, 1, 5000, 9999]) expect(s0[j] / (rows * (rows - 1) / 2 + rows * 0.001 * j)).toBeCloseTo(1, 4);
    const s1 = await (x.sum(1) as Array).data(); // Σ_j (i + c_j) = cols i + 0.001 cols(cols-1)/2
    for (const i of [0, 1, 2048, 3999]) expect(s1[i] / (cols * i + (0.001 * cols * (cols - 1)) / 2)).toBeCloseTo(1, 4);
  }, 60_000);

  it("100M float32: a fused jitted kernel (sum of an elementwise expression) and max", async () => {
    const n = 100e6;
    const x = np.ones([n]);
    const f = jit((v: Value) => v.mul(3).sub(1).sum());
    expect(await (f(x) as Array).item()).toBe(2 * n);
    expect(await (np.max(x.mul(-1)) as Array).item()).toBe(-1);
  }, 60_000);
});

describe.skipIf(!hasGpu)("chunked kernels of every shape, with the binding limit lowered to 4 KiB (1,024 float32)", () => {
  const values = (n: number) => globalThis.Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 3 + (i % 7));
  const cases: [string, number[], (x: Value) => Value | Value[]][] = [
    ["elementwise", [5000], (x) => x.mul(2).add(1)],
    ["a transposed input added to itself", [60, 70], (x) => x.transpose().add(x.transpose().mul(0.5))],
    ["a flipped input (negative strides)", [60, 70], (x) => np.flip(x, 1).sub(x)],
    ["a broadcast row", [60, 70], (x) => x.mul(x.get(0, ":"))],
    ["an iota in a jitted kernel", [5000], (x) => jit((v: Value) => v.add(np.arange(5000).reshape([5000])))(x) as Value],
    ["full sum", [5000], (x) => x.sum()],
    ["sum over axis 0", [60, 70], (x) => x.sum(0)],
    ["sum over axis 1", [60, 70], (x) => x.sum(1)],
    ["max over axis 0 of a long column", [3000, 3], (x) => x.max(0)],
    ["min of a 3-d array over two axes", [4, 30, 50], (x) => np.min(x, [1, 2])],
    ["a jitted reduction with an epilogue", [60, 70], (x) => jit((v: Value) => np.tanh(v.sum(1).mul(0.01)).mul(2))(x) as Value],
    ["a jitted mean over everything", [40, 130], (x) => jit((v: Value) => v.square().mean())(x) as Value],
    ["a jitted kernel with two outputs", [5000], (x) => jit((v: Value) => [v.mul(2), v.add(1)])(x) as Value[]],
  ];
  afterAll(() => lowerBindingLimitForTests(null));
  for (const [name, shape, f] of cases) {
    it(`${name} ${JSON.stringify(shape)} matches the CPU`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const { c, g } = onBothDevices(values(n), shape);
      const want = [f(c)].flat().map((a) => (a as Array).dataSync());
      lowerBindingLimitForTests(4096);
      try {
        const got = await Promise.all([f(g)].flat().map((a) => (a as Array).data()));
        expect(got.length).toBe(want.length);
        got.forEach((d, k) => {
          expect(d.length).toBe(want[k].length);
          for (let i = 0; i < d.length; i++) expect(d[i], `${name} output ${k} [${i}]`).toBeCloseTo(want[k][i], 2);
        });
      } finally {
        lowerBindingLimitForTests(null);
      }
    });
  }
});

describe.skipIf(!hasGpu)("what cannot fit throws a BackendError before allocating", () => {
  it("np.zeros([2**40]) fails at once, naming the size and maxBufferSize", () => {
    const before = memoryStats("webgpu").liveBytes;
    const t0 = Date.now();
    let err: unknown;
    try {
      np.zeros([2 ** 40]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/4398046511104 bytes.*maxBufferSize/);
    expect(Date.now() - t0).toBeLessThan(2000);
    // nothing of its 4 TiB was allocated (a scalar for the fill value may be)
    expect(memoryStats("webgpu").liveBytes - before).toBeLessThan(1024);
  });

  it("a matmul whose operands pass the binding limit (no chunked matmul yet) names the routine, shapes and limit", () => {
    const a = np.ones([6000, 6000]);
    expect(() => a.matmul(a)).toThrow(BackendError);
    expect(() => a.matmul(a)).toThrow(/dot of float32\[6000, 6000\].*maxStorageBufferBindingSize/);
  });
});

describe.skipIf(!hasGpu)("device errors land on the operation that caused them", () => {
  it("a kernel that fails to compile: reading its output (or a copy of it) throws; an unrelated read does not", async () => {
    const out = alloc("float32", 4);
    const copied = alloc("float32", 4);
    const unrelated = upload(new Float32Array([1, 2, 3, 4]), "float32");
    // WGSL the device rejects (an undeclared name), as a bug in a generated kernel would be
    const wgsl = `@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(1) fn main() { out[0] = no_such_value; }`;
    dispatch({ wgsl, buffers: [out], workgroups: [1] });
    copy(out, 0, copied, 0, 16);
    expect([...(await read(unrelated, "float32", 4))]).toEqual([1, 2, 3, 4]);
    await expect(read(out, "float32", 4)).rejects.toThrow(BackendError);
    await expect(read(out, "float32", 4)).rejects.toThrow(/failed to compile[\s\S]*no_such_value/);
    await expect(read(copied, "float32", 4)).rejects.toThrow(BackendError);
    expect([...(await read(unrelated, "float32", 4))]).toEqual([1, 2, 3, 4]);
    for (const b of [out, copied, unrelated]) release(b);
  });
});

describe.skipIf(!hasGpu)("the pipeline cache", () => {
  const saved = jitConfig.maxPipelines;
  afterAll(() => {
    jitConfig.maxPipelines = saved;
  });
  it("jitConfig.maxPipelines is checked", () => {
    expect(() => (jitConfig.maxPipelines = 0)).toThrow(BackendError);
    expect(jitConfig.maxPipelines).toBe(saved);
  });
  it("the LRU behind it: 5,000 distinct keys keep 256, the most recent; a hit keeps an entry", () => {
    const cache = new LruCache<number, string>(() => 256);
    for (let k = 0; k < 5000; k++) {
      cache.set(k, `kernel ${k}`);
      if (k === 100) cache.get(0); // used again: it outlives 1..100
      if (k === 300) {
        expect(cache.get(1)).toBeUndefined(); // the 256 newer keys pushed it out
        expect(cache.get(0)).toBe("kernel 0"); // refreshed at 100: still there
        expect(cache.get(101)).toBe("kernel 101");
      }
      expect(cache.size).toBeLessThanOrEqual(256);
    }
    expect(cache.size).toBe(256);
    expect(cache.evicted).toBe(5000 - 256);
    expect(cache.get(4999)).toBe("kernel 4999");
    expect(cache.get(4744)).toBe("kernel 4744");
    expect(cache.get(4743)).toBeUndefined();
    expect(cache.get(1)).toBeUndefined();
  });
  it("on the device: 300 distinct shapes keep at most maxPipelines pipelines, and evicted kernels still compute", async () => {
    // (each pipeline is a compile on lavapipe: the count of thousands is the LRU's test above)
    jitConfig.maxPipelines = 16;
    const made0 = pipelineCacheStats().made;
    let last: Array | null = null;
    for (let n = 1; n <= 300; n++) {
      // committed to the device: small host-known arrays are otherwise folded on the host, with no kernel
      last = devicePut(np.ones([n]), "webgpu").mul(n) as Array;
      // (the bound applies from the first new pipeline on: earlier tests left more than 16)
      if (n > 8) expect(pipelineCacheStats().size).toBeLessThanOrEqual(16);
    }
    expect(pipelineCacheStats().made - made0).toBeGreaterThanOrEqual(300);
    expect(pipelineCacheStats().size).toBeLessThanOrEqual(16);
    expect((await last!.data())[299]).toBe(300);
    // a shape evicted long ago compiles again and gives its answer
    expect([...(await (devicePut(np.ones([3]), "webgpu").mul(3) as Array).data())]).toEqual([3, 3, 3]);
  }, 60_000);
});

describe.skipIf(!hasGpu)("Dawn's warnings", () => {
  // stderr a file here, as a terminal or a shell's redirection would be (a socket cannot be reopened: the warnings stay)
  it("init() prints nothing of Dawn's on stderr (lavapipe warns about its dynamic-buffer limits), and stderr works after", () => {
    const dir = mkdtempSync(join(tmpdir(), "jaxon-warn-"));
    const errPath = join(dir, "stderr.txt");
    const errFd = openSync(errPath, "w");
    try {
      const script = `import { init } from "./src/index.js"; const d = await init(); console.log(d.join(",")); console.error("after init");`;
      const res = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", errFd],
        env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp" },
        timeout: 60_000,
      });
      expect(res.status).toBe(0);
      expect(res.stdout).toMatch(/webgpu/);
      const err = readFileSync(errPath, "utf8");
      expect(err).not.toMatch(/artificially reduced|Warning:/);
      expect(err).toMatch(/after init/);
    } finally {
      closeSync(errFd);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
