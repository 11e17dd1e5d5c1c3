/**
 * A pool of one worker thread for the CPU backend's WebAssembly kernels: with
 * the main thread, two threads for two cores (none on a one-core machine:
 * `defaultThreads`). The worker shares the one
 * `WebAssembly.Memory` (memory.ts) and runs a compiled kernel's export over
 * its share of the rows while the main thread runs the rest.
 *
 * The worker is dumb on purpose: it instantiates the modules it is sent and
 * calls an export with i32 arguments. Everything a kernel needs (pointers,
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
 * unref'd, so it never keeps the process alive. Where there is no
 * `worker_threads` (browsers), no shared memory, or anything fails, every job
 * runs on the calling thread, silently.
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
const ARGS = 8;
const MAX_ARGS = 24;
const STOP = -1; // JOB value that ends the worker
/**
 * How long the worker spins for the next job before it sleeps in Atomics.wait
 * (waking a sleeping thread costs 10–20 µs here; a spinning one, 1–2 µs). The
 * main thread does not spin: measured, its spinning made round trips slower
 * (62 µs), not faster.
 */
const WORKER_SPIN_MS = 0.2;

const workerSource = `
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
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
    const inst = instances.get(ctl[${MODULE}]);
    const fn = inst.exports[inst.names[ctl[${EXPORT}]]];
    const args = [];
    for (let i = 0; i < ctl[${NARGS}]; i++) args.push(ctl[${ARGS} + i]);
    fn(...args);
  } catch (e) {
    status = 1;
  }
  Atomics.store(ctl, ${STATUS}, status);
  Atomics.store(ctl, ${DONE}, seen);
  Atomics.notify(ctl, ${DONE});
}
port.close();
`;

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: string, fn: (...args: unknown[]) => void): void;
}
interface WorkerThreads {
  Worker: new (src: string, opts: object) => NodeWorker;
  MessageChannel: new () => { port1: { postMessage(m: unknown): void; close(): void; unref?(): void }; port2: unknown };
}

interface Pool {
  worker: NodeWorker;
  ctl: Int32Array;
  post: (m: unknown) => void;
  closePort: () => void;
  seq: number;
  /** The pool failed (the worker errored or exited): never use it again. */
  dead: boolean;
}

/**
 * The default: two threads where the machine has two cores or more
 * (`os.availableParallelism()`), one where it has one (a worker there only
 * takes turns with the main thread). The pool has one worker at most, so more
 * cores still mean two threads. JAXON_CPU_THREADS=1 or 2 overrides it;
 * `setThreads` changes it at run time.
 */
function defaultThreads(): 1 | 2 {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.JAXON_CPU_THREADS;
  if (env === "1" || env === "2") return Number(env) as 1 | 2;
  const os = nodeBuiltin<{ availableParallelism?: () => number; cpus(): unknown[] }>("node:os");
  if (!os) return 2;
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return cores >= 2 ? 2 : 1;
}

let wanted: 1 | 2 = defaultThreads();
/** false once anything about threads failed (or this environment has none). */
let possible = detectPossible();
let pool: Pool | null = null;
let starting: Promise<boolean> | null = null;
let workerThreads: WorkerThreads | null = null;
const modules: { module: WebAssembly.Module; exports: string[] }[] = [];

function detectPossible(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return (
    typeof proc?.versions?.node === "string" &&
    typeof SharedArrayBuffer !== "undefined" &&
    typeof Atomics !== "undefined" &&
    wasmMemory()?.shared === true
  );
}

/** Whether jobs may be split across threads (the setting is 2 and this environment can; the pool may still be starting). */
export function threadsEnabled(): boolean {
  return wanted === 2 && possible;
}

/** 1: every job on the calling thread (stops the pool); 2: the main thread and one worker. */
export function setThreads(n: 1 | 2): void {
  wanted = n;
  if (n === 1) stopThreads();
}

/** The worker is up and waiting; if not, and threads are enabled, starts it (it boots on its own) and returns false. */
export function threadsReady(): boolean {
  if (pool && !pool.dead) return Atomics.load(pool.ctl, READY) === 1;
  if (threadsEnabled() && !starting) {
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

function spawn(wt: WorkerThreads): Pool {
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
  const p: Pool = {
    worker,
    ctl,
    post: (m) => channel.port1.postMessage(m),
    closePort: () => channel.port1.close(),
    seq: 0,
    dead: false,
  };
  const fail = () => {
    p.dead = true;
    if (pool === p) pool = null;
  };
  worker.on("error", () => {
    fail();
    possible = false;
  });
  worker.on("exit", fail);
  modules.forEach((m, id) => p.post({ id, module: m.module }));
  return p;
}

async function waitReady(p: Pool): Promise<boolean> {
  const t0 = Date.now();
  while (!p.dead && Atomics.load(p.ctl, READY) !== 1) {
    if (Date.now() - t0 > 10_000) return false;
    await new Promise((r) => setTimeout(r, 1));
  }
  return !p.dead;
}

/** Stops the worker (a later big job starts a new one). */
export function stopThreads(): void {
  const p = pool;
  pool = null;
  if (!p) return;
  p.dead = true;
  Atomics.store(p.ctl, JOB, STOP);
  Atomics.notify(p.ctl, JOB);
  p.closePort();
  // it ends by itself; terminate in case it is stuck
  void p.worker.terminate().catch(() => {});
}

/** Makes a compiled module available to the worker (now, or when it starts); returns its pool id. */
export function registerModule(module: WebAssembly.Module): number {
  const id = modules.length;
  modules.push({ module, exports: WebAssembly.Module.exports(module).map((e) => e.name) });
  if (pool && !pool.dead) {
    try {
      pool.post({ id, module });
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

/**
 * Runs export `exportName` of registered module `moduleId` with i32 `args` on
 * the worker while `local` runs on this thread, and returns when both are
 * done: true. Returns false without running anything when the pool is not
 * ready (the caller runs the whole job itself). If the worker's part throws,
 * the pool is given up and this throws, so that no partial result is used.
 */
export function runSplit(moduleId: number, exportName: string, args: readonly number[], local: () => void): boolean {
  const p = pool;
  if (!p || p.dead || wanted !== 2 || Atomics.load(p.ctl, READY) !== 1) return false;
  const exportIndex = modules[moduleId]?.exports.indexOf(exportName) ?? -1;
  if (exportIndex < 0 || args.length > MAX_ARGS) return false;
  const { ctl } = p;
  ctl[MODULE] = moduleId;
  ctl[EXPORT] = exportIndex;
  ctl[NARGS] = args.length;
  for (let i = 0; i < args.length; i++) ctl[ARGS + i] = args[i];
  const seq = (p.seq = (p.seq + 1) & 0x3fffffff);
  Atomics.store(ctl, JOB, seq);
  Atomics.notify(ctl, JOB);
  splitJobs++;
  let localError: unknown = null;
  try {
    local();
  } catch (e) {
    localError = e;
  }
  // the worker writes into memory that the caller is about to read: wait for it even if ours threw
  for (;;) {
    const done = Atomics.load(ctl, DONE);
    if (done === seq) break;
    Atomics.wait(ctl, DONE, done, 1000);
  }
  if (localError) throw localError;
  if (ctl[STATUS] !== 0) {
    possible = false;
    stopThreads();
    throw new Error("cpu backend: a kernel failed on the worker thread");
  }
  return true;
}
