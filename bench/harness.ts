/**
 * The contract between workloads and libraries, and the timing loops.
 *
 * A library/backend pair is an {@link Adapter}: it initialises once and then
 * prepares each workload from plain typed arrays (the shared inputs in
 * data.ts), returning either a {@link Callable} (one call = one unit of work,
 * readback included) or a {@link Trainer} (a training loop). The harness times
 * them the same way for everyone and checks every answer against float64.
 */

import type { CityData, LinearData, MatmulInput, MatvecData, MlpData } from "./data.js";

export type Readback = ArrayLike<number> | number;

/** One call runs the workload once and reads its result back to JS. */
export interface Callable {
  call(): Promise<Readback>;
  dispose?(): void;
}

/** A training loop over fixed initial parameters. */
export interface Trainer {
  /** Back to the initial parameters and optimizer state. */
  reset(): void;
  /** One training step; no readback. */
  step(): void;
  /** The loss the last step computed (before its update), read back; called at most once per step. */
  readLoss(): Promise<number>;
  /** The current parameters, flattened (where the workload checks them). */
  readParams?(): Promise<ArrayLike<number>>;
  /** After the timed run: what the library can say about one step (kernels launched, device time), for the notes. */
  describeStep?(): Promise<string>;
  dispose?(): void;
}

/** A library on one backend. Methods left out (or returning null) are reported as n/a. */
export interface Adapter {
  library: string;
  backend: string;
  /** Loads the library and starts the backend. Throwing marks every row of this target FAILED. */
  init(): Promise<void>;
  /** Frees what the adapter holds (called after its last workload). */
  teardown?(): Promise<void>;
  /** Remarks shown in the table, by case ("W3 jit") or by workload ("W6"). */
  notes?: Partial<Record<string, string>>;
  // The workloads (see workloads.ts for what each computes). Leave one out, or
  // return null, where the library has no way to express it.
  w1?(x: Float32Array): Callable;
  /** `computed`: the operands are arrays the library computed (x·2·0.5) from the host data, not made from it directly. */
  w2?(m: MatmulInput, options?: { computed?: boolean }): Callable;
  w3?(w: number, mode: "eager" | "jit"): Callable | null;
  w4?(d: MlpData): Trainer;
  w5?(d: CityData): Trainer;
  w6?(d: LinearData): Callable;
  /** mat-vec X·w, w a [F, 1] column, read back synchronously where the library can. */
  w7?(d: MatvecData): Callable;
  /** The gradient of mean((X·w − y)²) with respect to w. */
  w8?(d: LinearData): Callable;
}

/** Runtime info about a library, for results.json. */
export interface TargetInfo {
  library: string;
  backend: string;
  version: string;
}

export type Status = "ok" | "WRONG" | "FAILED" | "TIMEOUT" | "skipped" | "n/a";

export interface Row {
  workload: string;
  case: string;
  title: string;
  library: string;
  backend: string;
  status: Status;
  /** The headline figure in `unit` (ms, GFLOP/s, calls/s, steps/s). */
  value?: number;
  unit: string;
  /** The case's work relative to its workload's other cases (W2: n³). */
  scale?: number;
  /** Median milliseconds per call (or per training step). */
  msPerUnit?: number;
  samples?: number;
  /** Milliseconds of the first call (tracing and compiling included), or of the 3-step warm-up run for training. */
  firstMs?: number;
  /** Library speed / jaxon speed on the same case (>1: faster than jaxon). */
  vsJaxon?: number;
  note?: string;
  error?: string;
}

export interface Budget {
  /** Milliseconds of timed samples per (case, library). */
  timedMs: number;
  /** Milliseconds of warm-up per (case, library), after the first (compiling) call. */
  warmupMs: number;
  /** Milliseconds of timed training per (training case, library): fewer steps than asked when reached. */
  trainCapMs: number;
}

const now = () => performance.now();

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface CallTiming {
  msPerCall: number;
  samples: number;
  batch: number;
  last: Readback;
}

/**
 * Median-of-N timing of `c.call()` (call it once before, untimed, to compile
 * and check): warm-up, then samples of `batch` back-to-back calls each, batch
 * chosen so a sample lasts ≥ ~2 ms (timer resolution), until the budget is
 * spent (5..400 samples; 3 when a call is slow).
 */
export async function timeCalls(c: Callable, budget: Budget): Promise<CallTiming> {
  let calls = 0;
  let t = now();
  do {
    await c.call();
    calls++;
  } while (now() - t < budget.warmupMs);
  const est = (now() - t) / calls;
  const batch = Math.max(1, Math.min(10000, Math.round(2 / est)));
  const minSamples = est * 5 > 2 * budget.timedMs ? 3 : 5;
  const times: number[] = [];
  let last: Readback = NaN;
  const start = now();
  while (times.length < minSamples || (now() - start < budget.timedMs && times.length < 400)) {
    const s = now();
    for (let k = 0; k < batch; k++) last = await c.call();
    times.push((now() - s) / batch);
  }
  return { msPerCall: median(times), samples: times.length, batch, last };
}

export interface TrainTiming {
  steps: number;
  ms: number;
  loss: number;
  params?: ArrayLike<number>;
  compileMs: number;
}

/** Steps between loss readbacks in a training loop (what a loop that logs its loss does). */
export const SYNC_EVERY = 10;

/**
 * Runs a training loop: a short warm-up run (3 steps, compiles), reset, then up
 * to `steps` steps from the initial parameters or until `capMs` passes, with
 * the final readback inside the timed span. The loss is read back every
 * {@link SYNC_EVERY} steps, for every library alike: a lazy library (jax-js
 * queues work until a readback, and slows down as the queue grows) keeps a
 * short queue, as any training loop that logs its loss would.
 */
export async function timeTraining(tr: Trainer, steps: number, capMs: number): Promise<TrainTiming> {
  tr.reset();
  let t = now();
  for (let k = 0; k < 3; k++) tr.step();
  await tr.readLoss();
  const compileMs = now() - t;
  tr.reset();
  let k = 0;
  let loss = NaN;
  let fresh = false; // whether `loss` is the last step's
  t = now();
  while (k < steps) {
    tr.step();
    k++;
    const over = now() - t > capMs; // (a lazy library only gets here late at a readback)
    fresh = k % SYNC_EVERY === 0 || over;
    if (fresh) {
      loss = await tr.readLoss();
      if (over || now() - t > capMs) break;
    }
  }
  if (!fresh) loss = await tr.readLoss();
  const ms = now() - t;
  const params = tr.readParams ? await tr.readParams() : undefined;
  return { steps: k, ms, loss, params, compileMs };
}

/** The first line of an error, for the table. */
export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? `${e.name === "Error" ? "" : `${e.name}: `}${e.message}` : String(e);
  return msg.split("\n")[0].slice(0, 160);
}
