/**
 * Running kernels as WebAssembly: plan (eligibility, parameters), compile
 * (one module per structural key, instantiated against the shared memory),
 * cache (by kernel object and by `kernelKey`), and call with byte pointers.
 *
 * Operands outside the shared memory (plain TypedArrays from routines, or
 * buffers made past the pool limit) are copied into scratch blocks first; an
 * output outside it is computed in scratch and copied back.
 *
 * Where a synchronous compile is refused (a browser's main thread limits
 * `new WebAssembly.Module` to small modules), the module is compiled in the
 * background and the JavaScript path runs the kernel until it is ready.
 */
import type { TypedArray } from "../../../dtype.js";
import type { Expr, Kernel } from "../../kernel.js";
import { kernelKey } from "../../kernel.js";
import { allocScratch, freeScratch, memoryView, noteStaged, pointerOf, wasmMemory } from "../memory.js";
import { LruCache } from "../../lru.js";
import { cacheConfig } from "../../cache-config.js";
import type { WasmPlan } from "./compiler.js";
import { buildModule, exprCost, planKernel } from "./compiler.js";
import { simdSupported } from "./emitter.js";
import { readyWorkers, registerModule, runSplitAll, threadsReady } from "../threads.js";

type RunFn = (...ptrs: number[]) => void;

/** A compiled module (shared by every kernel with its plan key) and its instance on this thread. */
interface ModuleRec {
  run: RunFn;
  /** The module's `claim`: rows in items from a shared counter (see `launch`). */
  claim: RunFn;
  module: WebAssembly.Module;
  /** Its id in the thread pool, once registered there. */
  poolId?: number;
}

interface Compiled {
  run: RunFn;
  claim: RunFn;
  module: ModuleRec;
  /** Elements per row (the innermost loop's length). */
  inner: number;
  /** Estimated cost of one element (`exprCost` of its expressions, shared parts once; at least 1). */
  cost: number;
  /** Pointer to the kernel's i32 parameters in the shared memory (freed when this entry is collected). */
  params: number;
  rows: number;
  nInputs: number;
  /** Outputs the module stores (1, or more for a kernel with siblings). */
  nOutputs: number;
}

/** null: not eligible (or WebAssembly unusable); "pending": compiling in the background. */
type Entry = Compiled | null | "pending";

let enabled = detectSupport();
const byKernel = new WeakMap<Kernel, Entry>();
// Both bounded (jitConfig.maxCpuKernels): a program that keeps making new shapes must not keep
// every module it compiled. An evicted entry stays usable by the kernels that hold it (byKernel);
// its parameter block in the shared memory is freed when the last of them is collected.
const byKey = new LruCache<string, Entry>(() => cacheConfig.maxCpuKernels);
const modules = new LruCache<string, ModuleRec | "pending" | null>(() => cacheConfig.maxCpuKernels);
const paramBlocks = new FinalizationRegistry<{ ptr: number; bytes: number }>(({ ptr, bytes }) => freeScratch(ptr, bytes));
let compiles = 0;

function detectSupport(): boolean {
  if (typeof WebAssembly === "undefined" || !wasmMemory()) return false;
  return simdSupported();
}

/** Turns the WebAssembly path on or off (tests compare it with the JavaScript path); returns the previous setting. */
export function setWasmEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on && detectSupport();
  return prev;
}
export function wasmEnabled(): boolean {
  return enabled;
}

/** How many distinct modules have been compiled. */
export function wasmCompileCount(): number {
  return compiles;
}

let launches = 0;
/** How many kernel launches ran as WebAssembly (for tests). */
export function wasmLaunchCount(): number {
  return launches;
}
/** Counts a launch of a hand-written WebAssembly routine (argreduce-wasm.ts) with the kernels'. */
export function noteWasmLaunch(): void {
  launches++;
}

function instantiate(mod: WebAssembly.Module): ModuleRec {
  const mem = wasmMemory()!;
  const inst = new WebAssembly.Instance(mod, { env: { memory: mem.memory }, math: { sin: Math.sin, cos: Math.cos } });
  return { run: inst.exports.run as RunFn, claim: inst.exports.claim as RunFn, module: mod };
}

function moduleFor(plan: WasmPlan): ModuleRec | "pending" | null {
  const known = modules.get(plan.key);
  if (known !== undefined) return known;
  const mem = wasmMemory()!;
  const bytes = buildModule(plan, mem);
  compiles++;
  let result: ModuleRec | "pending" | null;
  try {
    result = instantiate(new WebAssembly.Module(bytes));
  } catch (err) {
    // a module this compiler cannot make valid is a bug, but the JavaScript path still has the right answer
    if (!(err instanceof RangeError)) {
      modules.set(plan.key, null);
      return null;
    }
    // synchronous compilation refused for this size: compile in the background
    result = "pending";
    WebAssembly.compile(bytes).then(
      (mod) => modules.set(plan.key, instantiate(mod)),
      () => modules.set(plan.key, null),
    );
  }
  modules.set(plan.key, result);
  return result;
}

function entryFor(kernel: Kernel): Entry {
  const cached = byKernel.get(kernel);
  if (cached !== undefined && cached !== "pending") return cached;
  const key = kernelKey(kernel);
  let entry = byKey.get(key);
  if (entry === undefined || entry === "pending") {
    const plan = planKernel(kernel);
    if (!plan) entry = null;
    else {
      const mod = moduleFor(plan);
      if (mod === null) entry = null;
      else if (mod === "pending") entry = "pending";
      else {
        const params = allocScratch(plan.params.length * 4);
        if (params < 0) entry = null;
        else {
          memoryView(Int32Array, params, plan.params.length).set(plan.params);
          // work per row: its length, times the reduced length for a column reduction (params end with R, then a stride per input)
          const inner = plan.columns ? plan.params[0] * plan.params[plan.params.length - 1 - plan.innerStride.length] : plan.params[0];
          const seen = new Set<Expr>();
          const cost = Math.max(1, plan.exprs.reduce((c, e) => c + exprCost(e, seen), 0));
          entry = { run: mod.run, claim: mod.claim, module: mod, inner, cost, params, rows: plan.rows, nInputs: plan.innerStride.length, nOutputs: plan.exprs.length };
          paramBlocks.register(entry, { ptr: params, bytes: plan.params.length * 4 });
        }
      }
    }
    byKey.set(key, entry);
  }
  byKernel.set(kernel, entry);
  return entry;
}

/** Whether a kernel would run as WebAssembly (compiling it if needed). */
export function wasmEligible(kernel: Kernel): boolean {
  return enabled && entryFor(kernel) !== null;
}

/** How many outer iterations (rows) a kernel's WebAssembly form has, or -1 when it has none. */
export function wasmRows(kernel: Kernel): number {
  if (!enabled) return -1;
  const entry = entryFor(kernel);
  return entry === null || entry === "pending" ? -1 : entry.rows;
}

/**
 * Small kernels stay on the JavaScript path: a call into WebAssembly with its
 * operand lookups costs about 0.2 µs, which JavaScript spends on a few
 * hundred cheap elements or a few dozen transcendental ones; and tiny eager
 * ops then never pay for compiling a module. The cut-off is 1000 / (the
 * expression's vector-op count) loop iterations, between 16 and 1024.
 */
let minSizeScale = 1000;
export function setWasmMinSize(scale: number): number {
  const prev = minSizeScale;
  minSizeScale = scale;
  return prev;
}
/** The cut-off's scale (`setWasmMinSize`), for routines that judge their own size. */
export function wasmMinSizeScale(): number {
  return minSizeScale;
}
const tooSmall = new WeakMap<Kernel, boolean>();

/** The CPU backend's entry: runs a kernel as WebAssembly when that is eligible and worth it. */
export function tryWasmKernel(kernel: Kernel, out: TypedArray | readonly TypedArray[], inputs: TypedArray[]): boolean {
  if (!enabled) return false;
  let small = tooSmall.get(kernel);
  if (small === undefined) {
    let size = 1;
    for (const d of kernel.loopShape) size *= d;
    const seen = new Set<Expr>();
    let cost = exprCost(kernel.expr, seen);
    for (const o of kernel.more ?? []) cost += exprCost(o.expr, seen);
    small = size < Math.min(1024, Math.max(16, Math.ceil(minSizeScale / cost)));
    tooSmall.set(kernel, small);
  }
  return !small && runWasmKernel(kernel, out, inputs);
}

/**
 * Runs a kernel as WebAssembly if it is eligible; returns false (having done
 * nothing) when the JavaScript path must run it instead. `begin` and `end`
 * select outer iterations (rows), so that the work can be split. `out` is
 * the output, or for a kernel with siblings (`Kernel.more`) all of them in order.
 */
export function runWasmKernel(kernel: Kernel, out: TypedArray | readonly TypedArray[], inputs: TypedArray[], begin = 0, end = Infinity): boolean {
  if (!enabled) return false;
  const entry = entryFor(kernel);
  if (entry === null || entry === "pending") return false;
  const outs = ArrayBuffer.isView(out) ? [out] : out;
  if (outs.length !== entry.nOutputs) return false;
  const rowEnd = Math.min(end, entry.rows);
  if (begin >= rowEnd) return true;
  launches++;
  const n = entry.nInputs;
  const ptrs: number[] = [entry.params];
  let copies = false;
  for (const o of outs) {
    const p = pointerOf(o);
    copies ||= p < 0;
    ptrs.push(p);
  }
  for (let j = 0; j < n; j++) {
    const p = pointerOf(inputs[j]);
    copies ||= p < 0;
    ptrs.push(p);
  }
  ptrs.push(begin, rowEnd);
  if (!copies) {
    launch(entry, ptrs);
    return true;
  }
  return runWithCopies(entry, ptrs, outs, inputs, begin > 0 || rowEnd < entry.rows);
}

/**
 * Runs a kernel whose operands all lie in the shared memory: split across the
 * threads when it is large enough, as many threads as have `threadMinWork`
 * units of work each (each at least two rows); the work is the elements
 * times their estimated cost (`exprCost`), so a transcendental body splits
 * at fewer elements than a copy-like one. The threads take items of rows
 * from a shared counter until none is left (the module's `claim`), so that a
 * thread slowed down by other processes does less of the work; each row is
 * computed as on one thread, so the results do not depend on the split.
 */
function launch(entry: Compiled, ptrs: number[]) {
  const begin = ptrs[ptrs.length - 2];
  const end = ptrs[ptrs.length - 1];
  const rows = end - begin;
  const threads = splitThreads(rows * entry.inner * entry.cost, Math.floor(rows / 2));
  if (threads >= 2) {
    const counter = allocScratch(4);
    if (counter >= 0) {
      // about eight items per thread, none under ITEM_MIN_WORK elements
      const itemRows = Math.min(rows, Math.max(1, Math.ceil(rows / (8 * threads)), Math.ceil(ITEM_MIN_WORK / Math.max(1, entry.inner))));
      memoryView(Int32Array, counter, 1)[0] = 0;
      const args = [...ptrs.slice(0, -2), counter, itemRows, begin, end];
      const mod = entry.module;
      mod.poolId ??= registerModule(mod.module);
      const parts = Array.from({ length: threads - 1 }, () => args);
      try {
        if (runSplitAll(mod.poolId, "claim", parts, () => entry.claim(...args))) return;
      } finally {
        freeScratch(counter, 4);
      }
    }
  }
  entry.run(...ptrs);
}

/**
 * How many threads a job of `work` units (elements × `exprCost`) runs on:
 * 1 under `threadMinWork`, else one per `threadMinWork` units, at most the
 * ready pool and `items` (the parts it can be cut into). Starts the pool on
 * the first job that wants it (that job still runs on one thread).
 */
export function splitThreads(work: number, items: number): number {
  if (items < 2 || work < threadMinWork || !threadsReady()) return 1;
  return Math.max(1, Math.min(1 + readyWorkers(), items, Math.max(2, Math.floor(work / threadMinWork))));
}

/** See `wasmRowCall`. */
export interface WasmRowCall {
  /** The module's id in the pool (registering it there on the first call). */
  poolId(): number;
  args: number[];
  rows: number;
  work: number;
  /** Rows [r0, r1) on this thread, never split (a pool job's share must not post another job). */
  run(r0: number, r1: number): void;
}

/**
 * A kernel's WebAssembly call over a range of its rows, for a thread pool job
 * that interleaves it with other kernels' (row-epilogue.ts): the module's
 * pool id, the `run` export's arguments before its first and end row, its
 * rows and work (elements × cost). Null where the kernel has no such form or
 * an operand lies outside the shared memory.
 */
export function wasmRowCall(kernel: Kernel, out: TypedArray, inputs: TypedArray[]): WasmRowCall | null {
  if (!enabled) return null;
  const entry = entryFor(kernel);
  if (entry === null || entry === "pending" || entry.nOutputs !== 1) return null;
  const args = [entry.params, pointerOf(out)];
  for (let j = 0; j < entry.nInputs; j++) args.push(pointerOf(inputs[j]));
  if (args.some((p) => p < 0)) return null;
  const mod = entry.module;
  const run = entry.run;
  return { poolId: () => (mod.poolId ??= registerModule(mod.module)), args, rows: entry.rows, work: entry.rows * entry.inner * entry.cost, run: (r0, r1) => run(...args, r0, r1) };
}

/** Elements of work below which an item of a split kernel is not cut smaller. */
const ITEM_MIN_WORK = 1 << 14;

/**
 * Work (elements × their `exprCost`) from which a kernel is split across
 * threads (and per further thread). Measured with bench/split-threshold.ts
 * (float32, rows of 64, split forced against off, 2 threads, on a 2-core
 * machine other processes kept busy: load average 15): the split paid only
 * for a transcendental body (exp(sin x)·2 + x, cost ≈ 104) from 2^20
 * elements (0.77× the time; 1.6× slower at 2^18), was about even for x·2 + 1
 * (cost 5, memory bound) at 2^20–2^22 (0.93–0.96×), and lost at every size
 * up to 2^20 for the cheaper bodies (2–6× slower for 2^16–2^18 elements: the
 * handoff to a worker costs 40 µs or more). The break-even lies between
 * 3.4·10^7 and 1.1·10^8 units: 2^26 (exp(sin x) from 6.5·10^5 elements, exp
 * from 2.2·10^6, a copy-like body from 1.3·10^7). Before, 2^18 elements
 * whatever the body: W6's 262,144-element product of two inputs was split
 * and waited on the worker.
 */
let threadMinWork = 1 << 26;
export function setWasmThreadMinWork(n: number): number {
  const prev = threadMinWork;
  threadMinWork = n;
  return prev;
}

/** Operands outside the shared memory go through scratch blocks. */
function runWithCopies(entry: Compiled, ptrs: number[], outs: readonly TypedArray[], inputs: TypedArray[], partial: boolean): boolean {
  const scratch: number[] = [];
  const place = (a: TypedArray, copyIn: boolean): number => {
    const ptr = allocScratch(a.byteLength);
    if (ptr < 0) return -1;
    scratch.push(ptr, a.byteLength);
    if (copyIn) {
      memoryView(Uint8Array, ptr, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      noteStaged(a.byteLength);
    }
    return ptr;
  };
  let ok = true;
  const first = 1 + outs.length;
  for (let j = 0; j < entry.nInputs && ok; j++) {
    if (ptrs[first + j] < 0) ok = (ptrs[first + j] = place(inputs[j], true)) >= 0;
  }
  const outside = outs.map((_, w) => ptrs[1 + w] < 0);
  // a partial range computed in scratch must not overwrite the rest of `out` with garbage
  outs.forEach((out, w) => {
    if (ok && outside[w]) ok = (ptrs[1 + w] = place(out, partial)) >= 0;
  });
  if (ok) {
    // the scratch copies lie in the shared memory too: a large kernel still uses both threads
    launch(entry, ptrs);
    outs.forEach((out, w) => {
      if (!outside[w]) return;
      new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(memoryView(Uint8Array, ptrs[1 + w], out.byteLength));
      noteStaged(out.byteLength);
    });
  }
  for (let i = 0; i < scratch.length; i += 2) freeScratch(scratch[i], scratch[i + 1]);
  return ok;
}
