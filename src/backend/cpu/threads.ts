/**
 * A pool of worker threads for the CPU backend's WebAssembly kernels: with
 * the main thread, one thread per core (`defaultThreads`: none on a one-core
 * machine, at most MAX_THREADS). Each worker shares the one
 * `WebAssembly.Memory` (memory.ts) and runs a compiled kernel's export over
 * its share of the rows while the main thread runs the rest: `runSplit` hands
 * one share to the first worker, `runSplitAll` one share to each worker.
 *
 * The worker is dumb on purpose: it instantiates the modules it is sent and
 * calls an export with i32 arguments (or, for `runBlocksAll`, a few exports
 * in turn on each block of rows it claims from a shared counter). Everything a kernel needs (pointers,
 * shapes, strides) lives in the shared memory, so there is no protocol beyond
 * "call export e of module m with these numbers".
 *
 * Synchronization is a small shared Int32Array: the main thread writes the job
 * and bumps JOB (Atomics.notify); the worker, blocked in Atomics.wait, runs it
 * and bumps DONE; the main thread, having run its own part, waits for DONE (a
 * blocking wait is allowed on Node's main thread). Modules are posted once on
 * a MessagePort; the worker never returns to its event loop, so it pulls them
 * synchronously with `receiveMessageOnPort` before each job.
 *
 * The pool starts on the first job big enough to want it, asynchronously:
 * jobs run on one thread until the worker says it is ready. The worker is
 * unref'd, so it never keeps the process alive.
 *
 * In a browser page that is cross-origin isolated (`crossOriginIsolated`,
 * so the memory is shared), the workers are Web Workers started from a Blob
 * URL of a small classic script (`browserWorkerSource`: nothing for a bundler
 * to resolve, so Vite, esbuild and webpack all pass it through). Modules and
 * the memory go to each worker by `postMessage`; a browser worker cannot pull
 * messages synchronously, so when a job names a module it has not received,
 * it leaves its wait loop, lets the message event deliver the module, and
 * re-enters the loop, which picks the pending job up. The main thread of a
 * page may not block in Atomics.wait: there `runSplitAll` spins on
 * Atomics.load for the workers' DONE words, bounded (a worker that has not
 * answered long after the main thread's own share is given up: the pool is
 * terminated and the job throws). jaxon running inside a Web Worker blocks
 * in Atomics.wait as in Node. The size is `navigator.hardwareConcurrency`,
 * or `globalThis.JAXON_CPU_THREADS` set before jaxon loads.
 *
 * Where there is no `worker_threads` and no isolation, no shared memory, or
 * anything fails, every job runs on the calling thread, silently.
 */
import { wasmMemory } from "./memory.js";
import { importNodeBuiltin, nodeBuiltin } from "../../host/node.js";

// control words
const JOB = 0; // sequence number of the last job posted
const DONE = 1; // sequence number of the last job finished
const READY = 2; // 1 once the worker waits for jobs
const STATUS = 3; // 0 ok, 1 the last job threw
const MODULE = 4; // pool id of the module
const EXPORT = 5; // index of the export in WebAssembly.Module.exports(module)
const NARGS = 6;
const RAN = 7; // jobs this worker has run (for tests)
const ARGS = 8;
const MAX_ARGS = 64;
const BLOCKS = -1; // EXPORT value of a job of claimed row blocks (runBlocksAll)
const STOP = -1; // JOB value that ends the worker
/**
 * How long the worker spins for the next job before it sleeps in Atomics.wait
 * (waking a sleeping thread costs 10–20 µs here; a spinning one, 1–2 µs). The
 * main thread does not spin: measured, its spinning made round trips slower
 * (62 µs), not faster.
 */
const WORKER_SPIN_MS = 0.2;

/**
 * A job, in both workers' sources: EXPORT ≥ 0, one call of that export of
 * module MODULE with the NARGS i32 arguments. EXPORT = BLOCKS, blocks of rows
 * claimed from a counter in the shared memory: ARGS hold [counter pointer,
 * rows per block, rows, calls, then per call: module, export, row multiple,
 * argument count, arguments]; for each block [r0, r1) claimed, every call in
 * order with its arguments then r0·multiple and r1·multiple (a row reduction
 * then its epilogue over the same rows, while they are in this thread's
 * cache: row-epilogue.ts). MODULE is then the largest module the calls use,
 * so that a browser worker that has it has them all (modules come in order).
 */
const runJobSource = `
function runJob(instances, ctl, memory) {
  const args = [];
  for (let i = 0; i < ctl[${NARGS}]; i++) args.push(ctl[${ARGS} + i]);
  if (ctl[${EXPORT}] !== ${BLOCKS}) {
    const inst = instances.get(ctl[${MODULE}]);
    inst.exports[inst.names[ctl[${EXPORT}]]](...args);
    return;
  }
  const [counter, step, rows, n] = args;
  const calls = [];
  for (let c = 0, p = 4; c < n; c++) {
    const inst = instances.get(args[p]);
    calls.push({ fn: inst.exports[inst.names[args[p + 1]]], mul: args[p + 2], args: args.slice(p + 4, p + 4 + args[p + 3]) });
    p += 4 + args[p + 3];
  }
  const words = new Int32Array(memory.buffer);
  for (;;) {
    const r0 = Atomics.add(words, counter >> 2, 1) * step;
    if (r0 >= rows) break;
    const r1 = Math.min(rows, r0 + step);
    for (const c of calls) c.fn(...c.args, r0 * c.mul, r1 * c.mul);
  }
}
`;

const workerSource = `
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
${runJobSource}
const { memory, ctl, port } = workerData;
const instances = new Map();
const imports = { env: { memory }, math: { sin: Math.sin, cos: Math.cos } };
function pull() {
  for (let msg; (msg = receiveMessageOnPort(port)); ) {
    const { id, module } = msg.message;
    const names = WebAssembly.Module.exports(module).map((e) => e.name);
    instances.set(id, { exports: new WebAssembly.Instance(module, imports).exports, names });
  }
}
pull();
Atomics.store(ctl, ${READY}, 1);
let seen = Atomics.load(ctl, ${JOB});
for (;;) {
  // jobs often come in runs (one matmul after another): spin a little before sleeping
  const spinUntil = performance.now() + ${WORKER_SPIN_MS};
  while (Atomics.load(ctl, ${JOB}) === seen && performance.now() < spinUntil);
  Atomics.wait(ctl, ${JOB}, seen);
  const job = Atomics.load(ctl, ${JOB});
  if (job === ${STOP}) break;
  if (job === seen) continue;
  seen = job;
  let status = 0;
  try {
    pull();
    runJob(instances, ctl, memory);
  } catch (e) {
    status = 1;
  }
  Atomics.store(ctl, ${STATUS}, status);
  Atomics.add(ctl, ${RAN}, 1);
  Atomics.store(ctl, ${DONE}, seen);
  Atomics.notify(ctl, ${DONE});
}
port.close();
`;

/**
 * The browser's worker (a classic script from a Blob URL). Messages: first
 * `{ memory, ctl, spinMs }` (spinMs: how long to spin for a job before
 * sleeping), then `{ id, module }` for each module, then `{ go: true }` once;
 * modules registered later come as more `{ id, module }`. A module that
 * fails to instantiate becomes one whose every export throws, so the job that
 * uses it fails (STATUS 1) instead of never finishing.
 */
const browserWorkerSource = `"use strict";
${runJobSource}
let memory = null, ctl = null, imports = null, go = false, seen = 0, spinMs = 0;
const instances = new Map();
function failing() { throw new Error("module failed to instantiate"); }
self.onmessage = (e) => {
  const m = e.data;
  if (m.memory) {
    memory = m.memory;
    ctl = m.ctl;
    spinMs = m.spinMs;
    imports = { env: { memory }, math: { sin: Math.sin, cos: Math.cos } };
    seen = Atomics.load(ctl, ${JOB});
  } else if (m.module) {
    try {
      const names = WebAssembly.Module.exports(m.module).map((x) => x.name);
      instances.set(m.id, { exports: new WebAssembly.Instance(m.module, imports).exports, names });
    } catch (err) {
      instances.set(m.id, { exports: new Proxy({}, { get: () => failing }), names: [] });
    }
  } else if (m.go && !go) {
    go = true;
    Atomics.store(ctl, ${READY}, 1);
  }
  if (go) loop();
};
function loop() {
  for (;;) {
    if (spinMs > 0) {
      const spinUntil = performance.now() + spinMs;
      while (Atomics.load(ctl, ${JOB}) === seen && performance.now() < spinUntil);
    }
    Atomics.wait(ctl, ${JOB}, seen);
    const job = Atomics.load(ctl, ${JOB});
    if (job === ${STOP}) { self.close(); return; }
    if (job === seen) continue;
    // a module posted before this job but not received yet: take the message first
    if (!instances.has(ctl[${MODULE}])) return;
    seen = job;
    let status = 0;
    try {
      runJob(instances, ctl, memory);
    } catch (err) {
      status = 1;
    }
    Atomics.store(ctl, ${STATUS}, status);
    Atomics.add(ctl, ${RAN}, 1);
    Atomics.store(ctl, ${DONE}, seen);
    Atomics.notify(ctl, ${DONE});
  }
}
`;

/** The browser's `Worker`, as much of it as the pool uses. */
interface WebWorker {
  postMessage(m: unknown): void;
  terminate(): void;
  addEventListener(type: "error" | "messageerror", fn: () => void): void;
}
interface BrowserGlobals {
  crossOriginIsolated?: boolean;
  Worker?: new (url: string, opts?: object) => WebWorker;
  Blob?: new (parts: string[], opts: object) => unknown;
  URL?: { createObjectURL?(blob: unknown): string };
  navigator?: { hardwareConcurrency?: number };
  JAXON_CPU_THREADS?: unknown;
}
const browser = globalThis as BrowserGlobals;

/** Web Workers can share this page's memory: it is cross-origin isolated and has Worker, Blob and object URLs. */
function browserWorkersPossible(): boolean {
  return (
    browser.crossOriginIsolated === true &&
    typeof browser.Worker === "function" &&
    typeof browser.Blob === "function" &&
    typeof browser.URL?.createObjectURL === "function"
  );
}

let blobUrl: string | null = null;

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: string, fn: (...args: unknown[]) => void): void;
}
interface WorkerThreads {
  Worker: new (src: string, opts: object) => NodeWorker;
  MessageChannel: new () => { port1: { postMessage(m: unknown): void; close(): void; unref?(): void }; port2: unknown };
}

/** One worker: its control words and the port its modules go through. */
interface Worker1 {
  /** Ends the worker at once (it also ends by itself on STOP). */
  terminate: () => void;
  ctl: Int32Array;
  post: (m: unknown) => void;
  closePort: () => void;
  seq: number;
}
interface Pool {
  workers: Worker1[];
  /** The pool failed (a worker errored or exited): never use it again. */
  dead: boolean;
}

/** The most threads (the main one and its workers) a pool runs. */
export const MAX_THREADS = 16;

/**
 * The default: one thread per core (`os.availableParallelism()`, at most
 * MAX_THREADS), one where the machine has one core (a worker there only
 * takes turns with the main thread). JAXON_CPU_THREADS=n (1 … MAX_THREADS)
 * overrides it; `setThreads` changes it at run time.
 */
function defaultThreads(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.JAXON_CPU_THREADS;
  const n = env === undefined || !/^\d+$/.test(env) ? NaN : Number(env);
  if (n >= 1) return Math.min(n, MAX_THREADS);
  // a browser page sets globalThis.JAXON_CPU_THREADS before it loads jaxon
  const g = browser.JAXON_CPU_THREADS;
  if (typeof g === "number" && Number.isSafeInteger(g) && g >= 1) return Math.min(g, MAX_THREADS);
  const os = nodeBuiltin<{ availableParallelism?: () => number; cpus(): unknown[] }>("node:os");
  if (!os) {
    const hc = browser.navigator?.hardwareConcurrency;
    return typeof hc === "number" && Number.isSafeInteger(hc) && hc >= 1 ? Math.min(hc, MAX_THREADS) : 2;
  }
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, MAX_THREADS));
}

let wanted = defaultThreads();
/** false once anything about threads failed (or this environment has none). */
let possible = detectPossible();
let pool: Pool | null = null;
let starting: Promise<boolean> | null = null;
let workerThreads: WorkerThreads | null = null;
const modules: { module: WebAssembly.Module; exports: string[] }[] = [];

function detectPossible(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return (
    (typeof proc?.versions?.node === "string" || browserWorkersPossible()) &&
    typeof SharedArrayBuffer !== "undefined" &&
    typeof Atomics !== "undefined" &&
    wasmMemory()?.shared === true
  );
}

/** Whether jobs may be split across threads (the setting is 2 or more and this environment can; the pool may still be starting). */
export function threadsEnabled(): boolean {
  return wanted >= 2 && possible;
}

/** The threads a split job runs on: the setting where threads are possible, else 1. */
export function threadCount(): number {
  return threadsEnabled() ? wanted : 1;
}

/**
 * How many threads jobs use: 1, every job on the calling thread (stops the
 * pool); n > 1, the main thread and n − 1 workers (a running pool of another
 * size is stopped; the next big job starts one of this size).
 */
export function setThreads(n: number): void {
  const next = Number.isSafeInteger(n) && n >= 1 ? Math.min(n, MAX_THREADS) : wanted;
  if (next !== wanted) stopThreads();
  wanted = next;
}

/** The workers are up and waiting; if not, and threads are enabled, starts them (they boot on their own) and returns false. */
export function threadsReady(): boolean {
  if (pool && !pool.dead) return pool.workers.every((w) => Atomics.load(w.ctl, READY) === 1);
  if (threadsEnabled() && !starting) {
    if (browserWorkersPossible()) {
      // Web Workers start synchronously (they boot on their own)
      try {
        pool = spawn(null);
      } catch {
        possible = false;
      }
      return false;
    }
    // synchronously where Node can (≥ 20.16): a loop that only awaits promises never turns the event
    // loop, and a dynamic import (through a loader such as tsx's) would then never finish
    const wt = workerThreads ?? builtinWorkerThreads();
    if (wt) {
      workerThreads = wt;
      try {
        pool = spawn(wt);
      } catch {
        possible = false;
      }
    } else void startThreads();
  }
  return false;
}

function builtinWorkerThreads(): WorkerThreads | null {
  return nodeBuiltin<WorkerThreads>("node:worker_threads");
}

/** Starts the pool (if enabled) and resolves when the worker is ready: true, or false if it can't run. */
export function startThreads(): Promise<boolean> {
  if (!threadsEnabled()) return Promise.resolve(false);
  if (pool && !pool.dead) return waitReady(pool);
  if (starting) return starting;
  if (browserWorkersPossible()) {
    try {
      const p = spawn(null);
      pool = p;
      return waitReady(p);
    } catch {
      possible = false;
      return Promise.resolve(false);
    }
  }
  starting = (async () => {
    try {
      workerThreads ??= await importNodeBuiltin<WorkerThreads>("node:worker_threads");
      if (!workerThreads) throw new Error("no worker_threads");
      if (!threadsEnabled()) return false;
      if (pool && !pool.dead) return await waitReady(pool); // started meanwhile by threadsReady
      const p = spawn(workerThreads);
      pool = p;
      return await waitReady(p);
    } catch {
      possible = false;
      return false;
    } finally {
      starting = null;
    }
  })();
  return starting;
}

/** A pool of `wanted` − 1 workers: Node's worker_threads (`wt`), or Web Workers (null). */
function spawn(wt: WorkerThreads | null): Pool {
  const p: Pool = { workers: [], dead: false };
  const fail = () => {
    if (p.dead) return;
    // one worker gone: the others are stopped too (a split job needs them all)
    if (pool === p) stopThreads();
    p.dead = true;
  };
  try {
    for (let i = 1; i < wanted; i++) p.workers.push(wt ? spawnOne(wt, fail) : spawnBrowserOne(fail));
  } catch (err) {
    p.dead = true;
    stopWorkers(p);
    throw err;
  }
  return p;
}

function spawnOne(wt: WorkerThreads, fail: () => void): Worker1 {
  const memory = wasmMemory()!.memory;
  const ctl = new Int32Array(new SharedArrayBuffer((ARGS + MAX_ARGS) * 4));
  const channel = new wt.MessageChannel();
  const worker = new wt.Worker(workerSource, {
    eval: true,
    workerData: { memory, ctl, port: channel.port2 },
    transferList: [channel.port2],
  });
  worker.unref();
  channel.port1.unref?.();
  const w: Worker1 = {
    terminate: () => void worker.terminate().catch(() => {}),
    ctl,
    post: (m) => channel.port1.postMessage(m),
    closePort: () => channel.port1.close(),
    seq: 0,
  };
  worker.on("error", () => {
    possible = false;
    fail();
  });
  worker.on("exit", fail);
  modules.forEach((m, id) => w.post({ id, module: m.module }));
  return w;
}

function spawnBrowserOne(fail: () => void): Worker1 {
  const memory = wasmMemory()!.memory;
  const ctl = new Int32Array(new SharedArrayBuffer((ARGS + MAX_ARGS) * 4));
  blobUrl ??= browser.URL!.createObjectURL!(new browser.Blob!([browserWorkerSource], { type: "text/javascript" }));
  const worker = new browser.Worker!(blobUrl, { name: "jaxon-cpu" });
  const onError = () => {
    possible = false;
    fail();
  };
  worker.addEventListener("error", onError);
  worker.addEventListener("messageerror", onError);
  const w: Worker1 = { terminate: () => worker.terminate(), ctl, post: (m) => worker.postMessage(m), closePort: () => {}, seq: 0 };
  // a worker spins for the next job only where this thread blocks while it waits: a page's main thread
  // spins itself, and two spinning threads on busy cores took 400–700 µs a round trip, a sleeping worker 3–5 µs
  w.post({ memory, ctl, spinMs: canBlock() ? WORKER_SPIN_MS : 0 });
  modules.forEach((m, id) => w.post({ id, module: m.module }));
  w.post({ go: true });
  return w;
}

async function waitReady(p: Pool): Promise<boolean> {
  const t0 = Date.now();
  while (!p.dead && !p.workers.every((w) => Atomics.load(w.ctl, READY) === 1)) {
    if (Date.now() - t0 > 10_000) return false;
    await new Promise((r) => setTimeout(r, 1));
  }
  return !p.dead;
}

/** Stops the workers (a later big job starts new ones). */
export function stopThreads(): void {
  const p = pool;
  pool = null;
  if (!p) return;
  for (const w of p.workers) retiredWorkerJobs += Atomics.load(w.ctl, RAN);
  p.dead = true;
  stopWorkers(p);
}

function stopWorkers(p: Pool) {
  for (const w of p.workers) {
    Atomics.store(w.ctl, JOB, STOP);
    Atomics.notify(w.ctl, JOB);
    w.closePort();
    // it ends by itself; terminate in case it is stuck
    w.terminate();
  }
}

/** Makes a compiled module available to the worker (now, or when it starts); returns its pool id. */
export function registerModule(module: WebAssembly.Module): number {
  const id = modules.length;
  modules.push({ module, exports: WebAssembly.Module.exports(module).map((e) => e.name) });
  if (pool && !pool.dead) {
    try {
      for (const w of pool.workers) w.post({ id, module });
    } catch {
      possible = false;
      stopThreads();
    }
  }
  return id;
}

let splitJobs = 0;
/** How many jobs ran split across threads (for tests). */
export function threadedJobCount(): number {
  return splitJobs;
}

let retiredWorkerJobs = 0;
/** How many jobs the workers have run, over every pool so far (for tests: more than 0 means a second thread computed). */
export function workerJobCount(): number {
  const p = pool;
  let n = retiredWorkerJobs;
  if (p && !p.dead) for (const w of p.workers) n += Atomics.load(w.ctl, RAN);
  return n;
}

/**
 * Whether this thread may block in Atomics.wait: Node's threads and Web
 * Workers may, a browser page's main thread may not (it throws a TypeError
 * even for a wait that would not block, which is how this tells).
 */
let blocking: boolean | null = null;
function canBlock(): boolean {
  if (blocking === null) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 0);
      blocking = true;
    } catch {
      blocking = false;
    }
  }
  return blocking;
}

/** How long the main thread of a page spins for a worker beyond its own share's time (then it gives the pool up). */
const SPIN_LIMIT_MS = 10_000;

/** The workers that split jobs may use now (0 when the pool is not running or not ready). */
export function readyWorkers(): number {
  const p = pool;
  if (!p || p.dead || wanted < 2) return 0;
  for (const w of p.workers) if (Atomics.load(w.ctl, READY) !== 1) return 0;
  return p.workers.length;
}

/**
 * Runs export `exportName` of registered module `moduleId` with i32 `args` on
 * the first worker while `local` runs on this thread, and returns when both
 * are done: true. Returns false without running anything when the pool is not
 * ready (the caller runs the whole job itself). If the worker's part throws,
 * the pool is given up and this throws, so that no partial result is used.
 */
export function runSplit(moduleId: number, exportName: string, args: readonly number[], local: () => void): boolean {
  return runSplitAll(moduleId, exportName, [args], local);
}

/**
 * Runs export `exportName` of registered module `moduleId` on workers 0 …
 * parts.length − 1, worker i with i32 arguments `parts[i]` (at most
 * `readyWorkers()` parts), while `local` runs on this thread; returns when
 * all are done: true. False, having run nothing, when the pool cannot take
 * them. A worker's failure gives the pool up and throws, after every part has finished.
 */
export function runSplitAll(moduleId: number, exportName: string, parts: readonly (readonly number[])[], local: () => void): boolean {
  const exportIndex = modules[moduleId]?.exports.indexOf(exportName) ?? -1;
  if (exportIndex < 0) return false;
  return dispatch(parts.map((args) => ({ module: moduleId, exp: exportIndex, args })), local);
}

/** One call of a block job (`runBlocksAll`): export `exportName` of module `moduleId` with `args`, then the block's first and end row times `mul`. */
export interface BlockCall {
  moduleId: number;
  exportName: string;
  args: readonly number[];
  mul: number;
}

/**
 * Runs `rows` rows in blocks of `step` on `workers` workers (at most
 * `readyWorkers()`) and this thread: each thread claims the next block from
 * the i32 counter at byte `counter` of the shared memory (zero it first) and
 * runs every call of `calls` on it, in order, before claiming another; `local`
 * is this thread's share of the same loop. A thread slowed down by other
 * processes claims fewer blocks. True when all are done; false, having run
 * nothing, when the pool cannot take the job. Failures as `runSplitAll`.
 */
export function runBlocksAll(calls: readonly BlockCall[], counter: number, step: number, rows: number, workers: number, local: () => void): boolean {
  const args = [counter, step, rows, calls.length];
  let top = 0;
  for (const c of calls) {
    const exp = modules[c.moduleId]?.exports.indexOf(c.exportName) ?? -1;
    if (exp < 0) return false;
    top = Math.max(top, c.moduleId);
    args.push(c.moduleId, exp, c.mul, c.args.length, ...c.args);
  }
  if (workers < 1) return false;
  return dispatch(Array.from({ length: workers }, () => ({ module: top, exp: BLOCKS, args })), local);
}

/** Posts job i to worker i, runs `local`, waits for them all (see `runSplitAll`). */
function dispatch(jobs: readonly { module: number; exp: number; args: readonly number[] }[], local: () => void): boolean {
  const p = pool;
  if (!p || jobs.length === 0 || jobs.length > readyWorkers()) return false;
  if (jobs.some((j) => j.args.length > MAX_ARGS)) return false;
  const seqs = jobs.map(({ module, exp, args }, i) => {
    const w = p.workers[i];
    const { ctl } = w;
    ctl[MODULE] = module;
    ctl[EXPORT] = exp;
    ctl[NARGS] = args.length;
    for (let k = 0; k < args.length; k++) ctl[ARGS + k] = args[k];
    const seq = (w.seq = (w.seq + 1) & 0x3fffffff);
    Atomics.store(ctl, JOB, seq);
    Atomics.notify(ctl, JOB);
    return seq;
  });
  splitJobs++;
  let localError: unknown = null;
  const t0 = performance.now();
  try {
    local();
  } catch (e) {
    localError = e;
  }
  // the workers write into memory that the caller is about to read: wait for them even if ours threw
  let failed = false;
  let lost = false;
  const block = canBlock();
  // a page's main thread spins, bounded: a worker that never answers is terminated (it then writes nothing more)
  const deadline = block ? Infinity : performance.now() + SPIN_LIMIT_MS + 10 * (performance.now() - t0);
  seqs.forEach((seq, i) => {
    const { ctl } = p.workers[i];
    for (let spins = 0; ; spins++) {
      const done = Atomics.load(ctl, DONE);
      if (done === seq) break;
      if (block) Atomics.wait(ctl, DONE, done, 1000);
      else if ((spins & 1023) === 1023 && performance.now() > deadline) {
        lost = true;
        break;
      }
    }
    failed ||= lost || ctl[STATUS] !== 0;
  });
  if (lost) {
    possible = false;
    stopThreads();
    throw new Error("cpu backend: a worker thread did not finish its part of a kernel in time; threads are off from now on");
  }
  if (localError) throw localError;
  if (failed) {
    possible = false;
    stopThreads();
    throw new Error("cpu backend: a kernel failed on a worker thread");
  }
  return true;
}
