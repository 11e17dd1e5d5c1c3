/**
 * The page (or worker) script of test/cpu-threads-browser.test.ts, bundled
 * from the sources with the browser host: runs a large elementwise chain and
 * a matmul with the pool, then on one thread, and reports hashes of the
 * results' bytes, the split-job and worker-job counters and timings.
 */
import { np } from "../../src/index.js";
import { handoffMicros, runFault } from "./cpu-threads-faults.js";
import { setThreads, startThreads, threadCount, threadedJobCount, workerJobCount } from "../../src/backend/cpu/threads.js";

/** FNV-1a over the bytes of a Float32Array. */
function hash(a: Float32Array): number {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193) >>> 0;
  return h;
}

const n = 1 << 20;
const x = np.linspace(-3, 3, n);
const a = np.sin(np.arange(384 * 512).reshape([384, 512]).mul(0.001));
const b = np.cos(np.arange(512 * 320).reshape([512, 320]).mul(0.002));
const elementwise = () => np.tanh(x).mul(np.exp(x.mul(0.1))).add(np.sin(x));
const matmul = () => np.matmul(a, b);

async function measure(f: () => ReturnType<typeof matmul>, reps: number): Promise<{ hash: number; ms: number; split: number; worker: number }> {
  const split0 = threadedJobCount();
  const worker0 = workerJobCount();
  const first = f();
  const h = hash((await first.data()) as Float32Array);
  const split = threadedJobCount() - split0;
  const worker = workerJobCount() - worker0;
  // the median of `reps` runs, after two to warm up
  const times: number[] = [];
  for (let i = 0; i < reps + 2; i++) {
    const t0 = performance.now();
    await f().data();
    if (i >= 2) times.push(performance.now() - t0);
  }
  times.sort((p, q) => p - q);
  return { hash: h, ms: times[times.length >> 1]!, split, worker };
}

/** Timed runs per measurement: the page's `?reps=` (the test's JAXON_BROWSER_THREADS_REPS), else 5. */
const repsParam = Number(new URLSearchParams((globalThis as { location?: { search: string } }).location?.search ?? "").get("reps"));
const reps = Number.isSafeInteger(repsParam) && repsParam >= 1 ? repsParam : 5;

async function main() {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const started = await startThreads();
  const threads = threadCount();
  const ewT = await measure(elementwise, reps);
  const mmT = await measure(matmul, reps);
  const handoffUs = handoffMicros(4 * reps);
  setThreads(1);
  const ew1 = await measure(elementwise, reps);
  const mm1 = await measure(matmul, reps);
  return { isolated, started, threads, hardwareConcurrency: navigator.hardwareConcurrency, ewT, mmT, ew1, mm1, handoffUs };
}

const inWorker = typeof document === "undefined";
const fault = new URLSearchParams((globalThis as { location?: { search: string } }).location?.search ?? "").get("fault");
(fault === "trap" || fault === "spin" ? runFault(fault) : main()).then(
  (result) => (inWorker ? (self as unknown as Worker).postMessage({ result }) : ((window as unknown as { result: unknown }).result = result)),
  (e: unknown) => {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : "non-Error thrown";
    if (inWorker) (self as unknown as Worker).postMessage({ error });
    else (window as unknown as { result: unknown }).result = { error };
  },
);
