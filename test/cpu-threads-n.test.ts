/**
 * The CPU worker pool at more than two threads (threads.ts): its size from
 * the setting (JAXON_CPU_THREADS, `setThreads`), a job split into one share
 * per worker (`runSplitAll`), and large elementwise (multi-output included)
 * and reduction kernels split across every thread writing, bit for bit, what
 * one thread writes. On a machine with fewer cores the workers take turns;
 * the results are the same.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import "../src/backend/cpu/index.js";
import { setWasmThreadMinWork } from "../src/backend/cpu/wasm/index.js";
import { FunctionBuilder, ModuleBuilder, Op, T } from "../src/backend/cpu/wasm/emitter.js";
import { allocScratch, freeScratch, memoryView, wasmMemory } from "../src/backend/cpu/memory.js";
import { MAX_THREADS, readyWorkers, registerModule, runSplitAll, setThreads, startThreads, threadCount, threadedJobCount } from "../src/backend/cpu/threads.js";
import * as np from "../src/numpy/index.js";
import type { Array } from "../src/array.js";
import type { Value } from "../src/trace/core.js";
import { jit } from "../src/transforms/jit.js";

/** A module exporting fill(ptr, begin, end, salt): i32 words [begin, end) at ptr get i·3 + salt. */
function fillModule(): WebAssembly.Module {
  const mem = wasmMemory()!;
  const mb = new ModuleBuilder({ minPages: 0, maxPages: mem.maxPages, shared: mem.shared });
  const fb = new FunctionBuilder([T.i32, T.i32, T.i32, T.i32], []);
  const [ptr, begin, end, salt] = fb.params;
  const i = fb.local(T.i32);
  fb.get(begin).set(i);
  fb.get(i).get(end).op(Op.i32_lt_s).op(Op.if, 0x40, Op.loop, 0x40);
  fb.get(ptr).get(i).i32(4).op(Op.i32_mul).op(Op.i32_add);
  fb.get(i).i32(3).op(Op.i32_mul).get(salt).op(Op.i32_add);
  fb.mem(Op.i32_store, 2);
  fb.get(i).i32(1).op(Op.i32_add).tee(i).get(end).op(Op.i32_lt_s).br(Op.br_if, 0);
  fb.op(Op.end, Op.end);
  mb.exportFunc("fill", mb.addFunc(fb));
  return new WebAssembly.Module(mb.encode());
}

afterAll(() => setThreads(2));

describe("a pool of four threads", () => {
  it("has three workers; runSplitAll gives each its share while the main thread runs its own", async () => {
    setThreads(4);
    expect(threadCount()).toBe(4);
    expect(await startThreads()).toBe(true);
    expect(readyWorkers()).toBe(3);
    const id = registerModule(fillModule());
    const N = 10_007;
    const ptr = allocScratch(N * 4);
    const words = memoryView(Int32Array, ptr, N);
    words.fill(-1);
    const cut = (t: number) => Math.floor((t * N) / 4);
    const parts = [1, 2, 3].map((t) => [ptr, cut(t), cut(t + 1), t]);
    let mine = false;
    expect(
      runSplitAll(id, "fill", parts, () => {
        for (let i = 0; i < cut(1); i++) words[i] = i * 3; // share 0, salt 0, here
        mine = true;
      }),
    ).toBe(true);
    expect(mine).toBe(true);
    const view = memoryView(Int32Array, ptr, N);
    for (let t = 0; t < 4; t++) for (let i = cut(t); i < cut(t + 1); i++) if (view[i] !== i * 3 + t) expect(view[i], `word ${i}`).toBe(i * 3 + t);
    // more parts than workers: refused, nothing run
    expect(runSplitAll(id, "fill", [...parts, parts[0]], () => {})).toBe(false);
    freeScratch(ptr, N * 4);
  });

  it("large elementwise (with siblings), reduction and column-reduction kernels split across all threads write what one thread writes", async () => {
    // the split's mechanics: every kernel below splits (the default threshold weighs the body's cost)
    const prevMin = setWasmThreadMinWork(1 << 18);
    onTestFinished(() => void setWasmThreadMinWork(prevMin));
    const n = 1 << 20;
    const x = np.array(Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 4), { dtype: "float32" }) as Array;
    const f = jit((v: Value) => {
      const e = np.exp(v.mul(0.25));
      // the third a column reduction (256 rows of 16 lanes, each over 256 strided values)
      return [e.add(v), e.mul(v), v.reshape([256, 256, 16]).sum(1), v.reshape([1024, 1024]).square().sum(1), np.tanh(v).sum()];
    });
    const run = () => (f(x) as unknown as Array[]).map((o) => globalThis.Array.from(o.dataSync()));
    setThreads(1);
    const one = run();
    setThreads(4);
    expect(await startThreads()).toBe(true);
    const jobs = threadedJobCount();
    const four = run();
    expect(threadedJobCount()).toBeGreaterThan(jobs);
    expect(four).toEqual(one);
  });

  it("JAXON_CPU_THREADS sets the pool's size (at most MAX_THREADS); a value that is not a positive integer is ignored", () => {
    const script = `import { threadCount, MAX_THREADS } from "./src/backend/cpu/threads.js";
      import os from "node:os";
      console.log(JSON.stringify({ n: threadCount(), max: MAX_THREADS, cores: os.availableParallelism() }));`;
    const run = (env: string) => {
      const res = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        encoding: "utf8",
        env: { ...process.env, JAXON_CPU_THREADS: env },
        timeout: 30_000,
      });
      expect(res.status, res.stderr).toBe(0);
      return JSON.parse(res.stdout.trim()) as { n: number; max: number; cores: number };
    };
    expect(run("3").n).toBe(3);
    expect(run("1").n).toBe(1);
    expect(run("999").n).toBe(MAX_THREADS);
    const dflt = run("lots");
    expect(dflt.n).toBe(Math.max(1, Math.min(dflt.cores, MAX_THREADS)));
  });
});
