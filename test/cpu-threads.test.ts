/**
 * The CPU backend's worker pool (threads.ts): start, stop and restart; a job
 * split across the main thread and the worker writes what one thread writes;
 * modules registered before and after the worker starts; a process that used
 * the pool exits by itself, promptly, with code 0; and a kernel that traps on
 * the worker is an error, not a hang.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FunctionBuilder, ModuleBuilder, Op, T } from "../src/backend/cpu/wasm/emitter.js";
import { allocScratch, freeScratch, memoryView, wasmMemory } from "../src/backend/cpu/memory.js";
import {
  registerModule,
  runSplit,
  setThreads,
  startThreads,
  stopThreads,
  threadedJobCount,
  threadsEnabled,
  threadsReady,
} from "../src/backend/cpu/threads.js";

/**
 * A module exporting fill(ptr, begin, end, salt): i32 words [begin, end) at
 * ptr get i·i + salt (some work per element), and trap(): unreachable.
 */
function fillModule(): { module: WebAssembly.Module; fill: (ptr: number, begin: number, end: number, salt: number) => void } {
  const mem = wasmMemory()!;
  const mb = new ModuleBuilder({ minPages: 0, maxPages: mem.maxPages, shared: mem.shared });
  const fb = new FunctionBuilder([T.i32, T.i32, T.i32, T.i32], []);
  const [ptr, begin, end, salt] = fb.params;
  const i = fb.local(T.i32);
  fb.get(begin).set(i);
  fb.get(i).get(end).op(Op.i32_lt_s).op(Op.if, 0x40, Op.loop, 0x40);
  fb.get(ptr).get(i).i32(4).op(Op.i32_mul).op(Op.i32_add);
  fb.get(i).get(i).op(Op.i32_mul).get(salt).op(Op.i32_add);
  fb.mem(Op.i32_store, 2);
  fb.get(i).i32(1).op(Op.i32_add).tee(i).get(end).op(Op.i32_lt_s).br(Op.br_if, 0);
  fb.op(Op.end, Op.end);
  mb.exportFunc("fill", mb.addFunc(fb));
  const trap = new FunctionBuilder([], []);
  trap.op(Op.unreachable);
  mb.exportFunc("trap", mb.addFunc(trap));
  const module = new WebAssembly.Module(mb.encode());
  const inst = new WebAssembly.Instance(module, { env: { memory: mem.memory } });
  return { module, fill: inst.exports.fill as never };
}

describe("thread pool", () => {
  it("starts, is ready, stops and restarts", async () => {
    expect(threadsEnabled()).toBe(true);
    expect(await startThreads()).toBe(true);
    expect(threadsReady()).toBe(true);
    setThreads(1);
    expect(threadsEnabled()).toBe(false);
    expect(threadsReady()).toBe(false);
    expect(await startThreads()).toBe(false);
    setThreads(2);
    expect(await startThreads()).toBe(true);
    expect(threadsReady()).toBe(true);
    stopThreads();
    expect(threadsReady()).toBe(false); // and starts it again in the background
    expect(await startThreads()).toBe(true);
  });

  it("a split job writes what one thread writes, with modules registered before and after the start", async () => {
    const before = fillModule();
    const beforeId = registerModule(before.module);
    expect(await startThreads()).toBe(true);
    const after = fillModule();
    const afterId = registerModule(after.module);
    const N = 20_003;
    const ptr = allocScratch(N * 4);
    const words = () => memoryView(Int32Array, ptr, N);
    for (const [id, m] of [[beforeId, before], [afterId, after]] as const) {
      for (const salt of [1, 2, 3]) {
        words().fill(-1);
        m.fill(ptr, 0, N, salt);
        const single = Array.from(words());
        words().fill(-1);
        const jobs = threadedJobCount();
        const mid = 8_000;
        expect(runSplit(id, "fill", [ptr, mid, N, salt], () => m.fill(ptr, 0, mid, salt))).toBe(true);
        expect(threadedJobCount()).toBe(jobs + 1);
        expect(Array.from(words())).toEqual(single);
      }
    }
    // the worker's part alone
    words().fill(-1);
    expect(runSplit(afterId, "fill", [ptr, 0, N, 9], () => {})).toBe(true);
    expect(words()[N - 1]).toBe(Math.imul(N - 1, N - 1) + 9);
    freeScratch(ptr, N * 4);
  });

  it("runs nothing and says so when the pool is off", () => {
    setThreads(1);
    let ran = false;
    expect(runSplit(0, "fill", [0, 0, 0, 0], () => (ran = true))).toBe(false);
    expect(ran).toBe(false);
    setThreads(2);
  });

  it("lets a process that used it exit by itself with code 0, promptly", () => {
    const src = fileURLToPath(new URL("../src/backend/cpu/", import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), "jaxon-threads-"));
    const script = join(dir, "exit.mts");
    writeFileSync(
      script,
      `import { matmulWasm } from ${JSON.stringify(src + "matmul-wasm.ts")};
import { alloc } from ${JSON.stringify(src + "memory.ts")};
import { startThreads, threadedJobCount } from ${JSON.stringify(src + "threads.ts")};
const n = 200;
const A = alloc("float32", n * n) as Float32Array, B = alloc("float32", n * n) as Float32Array, C = alloc("float32", n * n) as Float32Array;
A.fill(1); B.fill(2);
const args = { batch: 1, m: n, n, k: n, lhsStrides: [0, n, 1], rhsStrides: [0, n, 1], lhsOffset: 0, rhsOffset: 0 };
matmulWasm(A, B, C, args); // starts the pool in the background
const ready = await startThreads();
for (let i = 0; i < 5; i++) matmulWasm(A, B, C, args);
console.log(ready, threadedJobCount(), C[0], C[n * n - 1]);
// no stop: the worker is left waiting for jobs
`,
    );
    const t0 = Date.now();
    const res = spawnSync(process.execPath, ["--import", "tsx", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      encoding: "utf8",
      timeout: 20_000,
    });
    rmSync(dir, { recursive: true, force: true });
    const ms = Date.now() - t0;
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toBe("true 5 400 400");
    // tsx's start-up is most of it; a worker keeping the process alive would hit the timeout
    expect(ms).toBeLessThan(10_000);
  });

  it("a kernel that traps on the worker throws, and later jobs run on one thread", async () => {
    const m = fillModule();
    const id = registerModule(m.module);
    expect(await startThreads()).toBe(true);
    expect(() => runSplit(id, "trap", [], () => {})).toThrow(/worker thread/);
    expect(threadsEnabled()).toBe(false);
    expect(runSplit(id, "fill", [0, 0, 0, 0], () => {})).toBe(false);
  });
});
