/// <reference types="@webgpu/types" />
/**
 * The WebGPU device as jaxon drives it: one queue, one pending command
 * encoder that collects every dispatch until something needs the results,
 * compute pipelines cached by their WGSL source (the most recently used
 * `cacheConfig.maxPipelines` of them), and validation errors turned into
 * `BackendError`s that carry the failing kernel's source.
 *
 * Every dispatch is checked against the device's limits before it is
 * recorded (a binding larger than `maxStorageBufferBindingSize`, a grid
 * larger than `maxComputeWorkgroupsPerDimension`): WebGPU would otherwise
 * clamp the out-of-range accesses and the kernel would return wrong numbers
 * without an error. Kernels over larger arrays bind sub-ranges of their
 * buffers (`BindRange`, chunks.ts).
 *
 * Ordering is the queue's: passes run in the order they were recorded and
 * command buffers in the order they were submitted, so a buffer released by
 * one kernel can be handed to the next kernel at once — the GPU still reads
 * the old contents first. The one hazard is `queue.writeBuffer`, which runs
 * before the commands still pending in the encoder; an upload into a buffer
 * those commands use submits them first. Dispatches and copies are recorded
 * through `record` (stream.ts): at once, or, while a loop on the device is in
 * flight, after it, in the order they were made.
 */
import { BackendError } from "../../errors.js";
import { cacheConfig } from "../cache-config.js";
import { LruCache } from "../lru.js";
import type { GpuBuffer } from "./buffers.js";
import { onDeferredError, record, recordsNow } from "./stream.js";

/** Bytes `[offset, offset + size)` of a buffer, bound instead of the whole buffer. */
export interface BindRange {
  offset: number;
  size: number;
}

/** A routine or kernel's dispatch: a pipeline from WGSL, its buffers in binding order, the workgroup grid. */
export interface Dispatch {
  wgsl: string;
  buffers: GpuBuffer[];
  workgroups: readonly [number, number?, number?];
  /** Per binding, a sub-range of the buffer to bind (a chunk of a large array); whole buffers elsewhere. */
  ranges?: readonly (BindRange | undefined)[];
  /** What is dispatched, for errors (a routine's name); the WGSL's first line otherwise. */
  what?: string;
  /** How many leading bindings the dispatch writes (1 unless a kernel stores several outputs). */
  outputs?: number;
}

let gpuDevice: GPUDevice | null = null;
let packedHalves = false;
let generation = 1;
let encoder: GPUCommandEncoder | null = null;
let pass: GPUComputePassEncoder | null = null;
let pendingDispatches = 0;
let flushScheduled = false;
let recorded = 0;
/**
 * A compiled kernel: its pipeline, its bind group layout, and the bind groups
 * made for it so far, by the ids of the buffers they bind. Pooled buffers come
 * back in the same order in a steady loop, so a training step finds its bind
 * groups already made (creating one costs more than the dispatch itself).
 */
interface Compiled {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  groups: Map<string, GPUBindGroup>;
}
/**
 * Compiled kernels by WGSL source, least recently used first (a Map keeps
 * insertion order; a hit moves its entry to the end). Bounded: each pipeline
 * holds device memory (about 0.7 MB on lavapipe), and a program that sees a
 * new shape every step would otherwise keep them all.
 */
const pipelines = new LruCache<string, Compiled>(() => cacheConfig.maxPipelines);
let pipelinesMade = 0;
/**
 * Bind groups cached per kernel before its cache starts over (destroyed
 * buffers' groups go with it). Large: an eager loop that never awaits cycles
 * each kernel through many combinations of pooled buffers, and one made again
 * after a clear is a native object Node cannot free until the loop yields.
 */
const MAX_GROUPS_PER_KERNEL = 4096;

/** Most dispatches recorded before a submit: bounds a command buffer in a loop that never awaits. */
const MAX_PENDING_DISPATCHES = 512;
/**
 * Dispatches after which the end of a jitted call submits what it recorded.
 * Not every call: each submit makes a command encoder, a pass and a command
 * buffer, and in a loop that never awaits, Node cannot release native objects
 * (their finalizers wait for the event loop), so a submit per step piles up
 * thousands of them. Async code still submits at the end of each job.
 */
const SUBMIT_AFTER = 64;

export function setDevice(device: GPUDevice | null, software = false): void {
  gpuDevice = device;
  softwareAdapter = device !== null && software;
  // read once: every allocation of a float16 buffer asks
  packedHalves = device?.features.has("shader-f16") ?? false;
  profiler = null;
  encoder = null;
  pass = null;
  pendingDispatches = 0;
  pipelines.clear();
  limitsRead = null;
}

let softwareAdapter = false;

/**
 * Whether the device runs shaders on the CPU (lavapipe, SwiftShader; adapter.ts
 * decides): routines whose workgroup-memory version loses there choose a plain one.
 */
export function onSoftwareAdapter(): boolean {
  return softwareAdapter;
}

/** Compiled pipelines held now, and made since the device was set (cache bound tests, stats). */
export function pipelineCacheStats(): { size: number; made: number; max: number } {
  return { size: pipelines.size, made: pipelinesMade, max: maxPipelines() };
}

function maxPipelines(): number {
  return Math.max(1, Math.floor(cacheConfig.maxPipelines) || 1);
}

type LimitName =
  | "maxStorageBufferBindingSize"
  | "maxBufferSize"
  | "maxComputeWorkgroupsPerDimension"
  | "minStorageBufferOffsetAlignment"
  | "maxStorageBuffersPerShaderStage";
/** Read once per device: every dispatch checks them, and each read of `device.limits` crosses into native code. */
let limitsRead: Record<LimitName, number> | null = null;

let bindingLimitForTests: number | null = null;
/**
 * Lowers the binding limit jaxon plans for (never raises it), so that tests
 * exercise the chunked paths with small arrays; null restores the device's.
 */
export function lowerBindingLimitForTests(bytes: number | null): void {
  bindingLimitForTests = bytes;
}

/** The device's limit `name`, as granted at creation. */
export function limit(name: LimitName): number {
  if (name === "maxStorageBufferBindingSize" && bindingLimitForTests !== null) {
    return Math.min(bindingLimitForTests, limitOf(name));
  }
  return limitOf(name);
}

function limitOf(name: LimitName): number {
  if (!limitsRead) {
    const l = device().limits;
    limitsRead = {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      minStorageBufferOffsetAlignment: l.minStorageBufferOffsetAlignment,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    };
  }
  return limitsRead[name];
}

/** Whether float16 arrays are stored as 2-byte halves (the device has `shader-f16`); else as f32 holding halves. */
export function halvesPacked(): boolean {
  return packedHalves;
}

export function device(): GPUDevice {
  if (!gpuDevice) throw new BackendError("webgpu: no device; call `await init()` first and check that it lists webgpu");
  return gpuDevice;
}

function currentPass(): GPUComputePassEncoder {
  if (!encoder) encoder = device().createCommandEncoder();
  if (!pass) pass = encoder.beginComputePass(profiler ? { timestampWrites: profiler.nextPass() } : undefined);
  return pass;
}

/** Dispatches and copies recorded since the device was set (kernel launches, for the bench and tests). */
export function recordedCommands(): number {
  return recorded;
}

/**
 * Device-time profiling with timestamp queries (where the adapter has
 * `timestamp-query`): every compute pass writes its begin and end times, and
 * `deviceTimeMs()` sums them. Off by default, since the queries cost a
 * resolve and a readback per submit.
 */
class Profiler {
  private querySet: GPUQuerySet | null = null;
  private used = 0;
  private ns = 0n;
  /** With `perDispatch`, each dispatch gets a pass of its own and its time is summed under its WGSL source. */
  readonly byKernel = new Map<string, { ms: number; count: number }>();
  private passLabels: string[] = [];
  constructor(readonly perDispatch: boolean) {}

  label(wgsl: string) {
    this.passLabels.push(wgsl);
  }
  private reads: Promise<void>[] = [];
  // a submit holds at most one pass per recorded command, plus one
  private readonly capacity = 2 * (MAX_PENDING_DISPATCHES + 1);

  nextPass(): GPUComputePassTimestampWrites {
    this.querySet ??= device().createQuerySet({ type: "timestamp", count: this.capacity });
    const i = this.used;
    this.used += 2;
    return { querySet: this.querySet, beginningOfPassWriteIndex: i, endOfPassWriteIndex: i + 1 };
  }

  /** Before finishing the encoder: resolve this submit's queries into a buffer read back after it runs. */
  resolve(enc: GPUCommandEncoder): (() => void) | null {
    if (!this.querySet || this.used === 0) return null;
    const dev = device();
    const bytes = this.used * 8;
    const resolved = dev.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = dev.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    enc.resolveQuerySet(this.querySet, 0, this.used, resolved, 0);
    enc.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    const querySet = this.querySet;
    const labels = this.passLabels;
    this.querySet = null;
    this.used = 0;
    this.passLabels = [];
    return () => {
      this.reads.push(
        staging.mapAsync(GPUMapMode.READ).then(() => {
          const t = new BigUint64Array(staging.getMappedRange());
          for (let k = 0; k + 1 < t.length; k += 2) {
            const ns = t[k + 1] > t[k] ? t[k + 1] - t[k] : 0n;
            this.ns += ns;
            const label = labels[k / 2];
            if (label === undefined) continue;
            const e = this.byKernel.get(label) ?? { ms: 0, count: 0 };
            e.ms += Number(ns) / 1e6;
            e.count++;
            this.byKernel.set(label, e);
          }
          staging.unmap();
          for (const b of [resolved, staging]) b.destroy();
          querySet.destroy();
        }),
      );
    };
  }

  async totalMs(): Promise<number> {
    flush();
    await Promise.all(this.reads.splice(0));
    return Number(this.ns) / 1e6;
  }
}

let profiler: Profiler | null = null;

/**
 * Starts (or stops) device-time profiling; false when the device has no
 * timestamp queries. `perDispatch` gives every dispatch a pass of its own
 * (slower) so `deviceTimeByKernel()` can attribute the time.
 */
export function profileDeviceTime(on: boolean, { perDispatch = false } = {}): boolean {
  if (on && !device().features.has("timestamp-query")) return false;
  flush();
  profiler = on ? new Profiler(perDispatch) : null;
  return true;
}

/** Device time per kernel source since profiling started with `perDispatch`, slowest first. */
export async function deviceTimeByKernel(): Promise<{ wgsl: string; ms: number; count: number }[]> {
  if (!profiler) throw new BackendError("deviceTimeByKernel: call profileDeviceTime(true, { perDispatch: true }) first");
  await profiler.totalMs();
  return [...profiler.byKernel].map(([wgsl, e]) => ({ wgsl, ...e })).sort((a, b) => b.ms - a.ms);
}

/** Device milliseconds spent in compute passes since profiling started (waits for the submitted work). */
export async function deviceTimeMs(): Promise<number> {
  if (!profiler) throw new BackendError("deviceTimeMs: call profileDeviceTime(true) first");
  return profiler.totalMs();
}

/** The pending encoder with no pass open, for copies. */
export function copyEncoder(): GPUCommandEncoder {
  if (pass) {
    pass.end();
    pass = null;
  }
  if (!encoder) encoder = device().createCommandEncoder();
  return encoder;
}

/** Marks buffers as used by the pending commands. */
export function touch(...bufs: GpuBuffer[]): void {
  for (const b of bufs) b.slot.lastUse = generation;
}

export function usedByPending(b: GpuBuffer): boolean {
  return b.slot.lastUse === generation && encoder !== null;
}

/** The end of a jitted call: submits when enough work is pending (see SUBMIT_AFTER). */
export function callDone(): void {
  if (pendingDispatches >= SUBMIT_AFTER) flush();
}

/**
 * A submission's validation result: `error` once `settled` (the device rejected the command
 * buffer, or null), `result` to wait for it. A read whose copy went in it checks `settled` first:
 * by the time its mapping is done the scope has nearly always settled, and awaiting a settled
 * promise still costs the read a trip through the microtask queue.
 */
export interface Submission {
  settled: boolean;
  error: BackendError | null;
  readonly result: Promise<BackendError | null>;
}

/** Submits the pending commands. */
export function flush(): Submission | null {
  if (!encoder) return null;
  if (pass) pass.end();
  const afterSubmit = profiler?.resolve(encoder);
  const dev = device();
  // a command buffer that uses an invalid pipeline or buffer is dropped whole: every value written
  // in it is wrong, not only the failing operation's; they are marked so that their reads throw
  dev.pushErrorScope("validation");
  const commands = encoder.finish();
  encoder = null;
  pass = null;
  pendingDispatches = 0;
  generation++;
  dev.queue.submit([commands]);
  const written = writtenSerials;
  writtenSerials = [];
  const submission: Submission = { settled: false, error: null, result: null! };
  const settle = (e: BackendError | null) => {
    submission.settled = true;
    submission.error = e;
    checksInFlight--;
    return e;
  };
  checksInFlight++;
  const result = dev.popErrorScope().then(
    (err) => {
      if (!err) return settle(null);
      const cause = pendingError ?? [...failed.values()].pop();
      const e = new BackendError(
        `webgpu: the device rejected a submission of recorded kernels (${err.message.split("\n")[0]}); ` +
          `the values it computed are unusable${cause ? `. The first failure: ${cause.message}` : ""}`,
      );
      for (const sn of written) if (!failed.has(sn)) failed.set(sn, e);
      return settle(e);
    },
    () => settle(null),
  );
  (submission as { result: Promise<BackendError | null> }).result = result;
  validationChecks.push(result.then(() => undefined));
  afterSubmit?.();
  return submission;
}

/** Allocations written by the commands being recorded (marked failed if their submission is rejected). */
let writtenSerials: number[] = [];

// ---- device errors, on the operation that caused them ----------------------------------
//
// Error scopes report asynchronously, but every operation here returns at
// once; so a scope's error is attached to what the operation made (an
// allocation's `serial`), and a read throws it when the value read is that
// allocation or was computed from it. While a scope is unsettled, dispatches
// and copies record which allocations each output came from (a bounded map,
// dropped once every scope has settled without an error), so that a value
// computed from a failed one before the failure was known is caught too.
// A read of anything else does not throw someone else's error.

/** Scope results not yet seen by a read. */
export const validationChecks: Promise<void>[] = [];
/** Those of them not settled yet (submissions' and operations' scopes): at 0 a read need not wait for any. */
let checksInFlight = 0;
let unsettled = 0;
/** Errors by the allocation they made unusable. */
const failed = new Map<number, BackendError>();
/** Output allocation → the allocations it was computed from (while a scope is unsettled or an error known). */
const lineage = new Map<number, number[]>();
const MAX_LINEAGE = 65536;
let lineageComplete = true;
/** Pins `error` on allocation `serial`: a read of it, or of a value computed from it, throws it (a loop that failed on the device). */
export function pinError(serial: number, error: BackendError): void {
  if (!failed.has(serial)) failed.set(serial, error);
}

/** An error with no allocation to pin it on: thrown by the next read. */
let pendingError: BackendError | null = null;
onDeferredError((e) => {
  pendingError ??= e instanceof BackendError ? e : new BackendError(`webgpu: recording work queued behind a loop on the device failed: ${e instanceof Error ? e.message : "unknown error"}`);
});

/**
 * Pops the error scope pushed for an operation and, if it reports an error,
 * pins `make(message)` on the allocation `serial` (or, without one, on the
 * next read).
 */
export function settleScope(scope: Promise<GPUError | null>, make: (message: string) => BackendError, serial?: number): void {
  unsettled++;
  checksInFlight++;
  validationChecks.push(
    scope.then(
      (err) => {
        unsettled--;
        checksInFlight--;
        if (!err) return;
        const e = make(err.message);
        if (serial === undefined) pendingError ??= e;
        else if (!failed.has(serial)) failed.set(serial, e);
      },
      () => {
        unsettled--;
        checksInFlight--;
      },
    ),
  );
}

function recordLineage(outs: readonly GpuBuffer[], ins: readonly GpuBuffer[]): void {
  for (const o of outs) writtenSerials.push(o.serial);
  if (unsettled === 0 && failed.size === 0) {
    if (lineage.size > 0) lineage.clear();
    lineageComplete = true;
    return;
  }
  if (lineage.size >= MAX_LINEAGE) {
    lineageComplete = false;
    return;
  }
  const from = ins.map((b) => b.serial);
  for (const o of outs) lineage.set(o.serial, from);
}

/** The error pinned on allocation `serial` or on one it was computed from. */
function errorFor(serial: number): BackendError | undefined {
  const seen = new Set<number>();
  const stack = [serial];
  while (stack.length) {
    const s = stack.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    const e = failed.get(s);
    if (e) return e;
    for (const p of lineage.get(s) ?? []) stack.push(p);
  }
  return undefined;
}

/**
 * A compute pipeline for WGSL source, compiled once. Shader compilation
 * errors are caught here (the source is ours, so they are our bugs, reported
 * with the source so they can be fixed).
 */
function pipelineFor(wgsl: string, serial: number): Compiled {
  let p = pipelines.get(wgsl);
  if (!p) {
    const dev = device();
    dev.pushErrorScope("validation");
    // a kernel that declares f16 storage needs the extension enabled, first thing in the module
    const module = dev.createShaderModule({ code: /\bf16\b/.test(wgsl) ? `enable f16;\n${wgsl}` : wgsl });
    const pipeline = dev.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
    // a kernel's source is ours: a failure is a bug in jaxon, reported with the source; the first output that needed it fails
    settleScope(dev.popErrorScope(), (message) => new BackendError(`webgpu: a kernel failed to compile: ${message}\n--- WGSL ---\n${wgsl}`), serial);
    p = { pipeline, layout: pipeline.getBindGroupLayout(0), groups: new Map() };
    // the least recently used go first; their pipelines and bind groups are freed when collected
    pipelines.set(wgsl, p);
    pipelinesMade++;
  }
  return p;
}

function bindGroupFor(c: Compiled, buffers: GpuBuffer[], ranges: readonly (BindRange | undefined)[] | undefined): GPUBindGroup {
  let key = "";
  for (let i = 0; i < buffers.length; i++) {
    const r = ranges?.[i];
    key += r ? `${buffers[i].slot.id}@${r.offset}+${r.size},` : `${buffers[i].slot.id},`;
  }
  let group = c.groups.get(key);
  if (!group) {
    if (c.groups.size >= MAX_GROUPS_PER_KERNEL) c.groups.clear();
    const entries = buffers.map((b, i) => {
      const r = ranges?.[i];
      return { binding: i, resource: r ? { buffer: b.buffer, offset: r.offset, size: r.size } : { buffer: b.buffer } };
    });
    group = device().createBindGroup({ layout: c.layout, entries });
    c.groups.set(key, group);
  }
  return group;
}

/**
 * Throws before anything is recorded when a binding or the grid exceeds the
 * device's limits: WebGPU would reject the dispatch asynchronously (or, for a
 * binding that is clamped, read the wrong elements) and the error would
 * surface at some later, unrelated read.
 */
function checkLimits({ wgsl, buffers, workgroups, ranges, what }: Dispatch): readonly (BindRange | undefined)[] | undefined {
  const maxBinding = limit("maxStorageBufferBindingSize");
  let out = ranges;
  for (let i = 0; i < buffers.length; i++) {
    const r = ranges?.[i];
    if (!r && buffers[i].slot.bytes > maxBinding && buffers[i].bytes <= maxBinding) {
      // a pooled buffer's size class may pass the limit where its contents do not: bind only those
      out = out === ranges ? [...(ranges ?? buffers.map(() => undefined))] : out;
      (out as (BindRange | undefined)[])[i] = { offset: 0, size: Math.ceil(buffers[i].bytes / 4) * 4 };
      continue;
    }
    const bytes = r?.size ?? buffers[i].slot.bytes;
    if (bytes > maxBinding) {
      throw new BackendError(
        `webgpu: ${describe(wgsl, what)} binds a buffer of ${formatBytes(buffers[i].bytes)} (binding ${i}), larger than this device's ` +
          `maxStorageBufferBindingSize (${formatBytes(maxBinding)}); this operation cannot be split into chunks yet: ` +
          `use smaller arrays, or run it on the CPU (devicePut(x, "cpu"))`,
      );
    }
  }
  const maxGroups = limit("maxComputeWorkgroupsPerDimension");
  for (const g of workgroups) {
    if (g !== undefined && g > maxGroups) {
      throw new BackendError(
        `webgpu: ${describe(wgsl, what)} needs ${g} workgroups along one grid dimension, more than this device's ` +
          `maxComputeWorkgroupsPerDimension (${maxGroups}); use smaller arrays, or run it on the CPU (devicePut(x, "cpu"))`,
      );
    }
  }
  return out;
}

function describe(wgsl: string, what: string | undefined): string {
  if (what) return what;
  return "a kernel";
}

/** A byte count for messages: exact bytes and a binary unit. */
export function formatBytes(bytes: number): string {
  const units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = bytes;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u < 0 ? `${bytes} bytes` : `${bytes} bytes (${v.toFixed(v < 10 ? 2 : 1)} ${units[u]})`;
}

/**
 * Waits for the device's error scopes, then throws the error that makes the
 * value in `b` wrong (its own operation's, or one it was computed from), or
 * an error that could not be pinned on any value. Called by every read.
 */
export function checkErrors(b?: GpuBuffer): Promise<void> | undefined {
  if (checksInFlight > 0) return waitForChecks(b);
  // every scope has settled (their handlers ran): nothing to wait for, the verdict is known now
  validationChecks.length = 0;
  throwPinned(b);
  return undefined;
}

async function waitForChecks(b?: GpuBuffer): Promise<void> {
  while (validationChecks.length) await Promise.all(validationChecks.splice(0));
  throwPinned(b);
}

function throwPinned(b?: GpuBuffer): void {
  if (pendingError) {
    const e = pendingError;
    pendingError = null;
    throw e;
  }
  if (failed.size === 0) return;
  const e = b ? errorFor(b.serial) : undefined;
  if (e) throw e;
  // the record of what came from what was cut short: the value read may depend on the failure
  if (!lineageComplete) throw failed.values().next().value!;
}

export function dispatch(d: Dispatch): void {
  const [x, y = 1, z = 1] = d.workgroups;
  if (x === 0 || y === 0 || z === 0) return;
  // checked now, so that the error is thrown where the operation was made; recorded in the stream's order (stream.ts)
  const ranges = checkLimits(d);
  if (recordsNow()) dispatchNow(d, ranges, x, y, z);
  else deferDispatch(d, ranges, x, y, z);
}

// the closures live in functions of their own: one in `dispatch` would cost every call a context object
function deferDispatch(d: Dispatch, ranges: readonly (BindRange | undefined)[] | undefined, x: number, y: number, z: number): void {
  record(() => dispatchNow(d, ranges, x, y, z));
}

function dispatchNow(d: Dispatch, ranges: readonly (BindRange | undefined)[] | undefined, x: number, y: number, z: number): void {
  const { wgsl, buffers } = d;
  const compiled = pipelineFor(wgsl, buffers[0].serial);
  const outputs = d.outputs ?? 1;
  recordLineage(buffers.slice(0, outputs), buffers.slice(outputs));
  const bindGroup = bindGroupFor(compiled, buffers, ranges);
  touch(...buffers);
  const p = currentPass();
  p.setPipeline(compiled.pipeline);
  p.setBindGroup(0, bindGroup);
  p.dispatchWorkgroups(x, y, z);
  if (profiler?.perDispatch) {
    profiler.label(wgsl);
    p.end();
    pass = null;
  }
  afterRecord();
}

/** Records a buffer-to-buffer copy. */
export function copy(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, bytes: number): void {
  if (bytes === 0) return;
  if (recordsNow()) copyNow(src, srcOffset, dst, dstOffset, bytes);
  else deferCopy(src, srcOffset, dst, dstOffset, bytes);
}

function deferCopy(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, bytes: number): void {
  record(() => copyNow(src, srcOffset, dst, dstOffset, bytes));
}

function copyNow(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, bytes: number): void {
  recordLineage([dst], dst === src ? [src] : [src, dst]);
  touch(src, dst);
  copyEncoder().copyBufferToBuffer(src.buffer, srcOffset, dst.buffer, dstOffset, bytes);
  afterRecord();
}

function afterRecord() {
  recorded++;
  if (++pendingDispatches >= MAX_PENDING_DISPATCHES) {
    flush();
    return;
  }
  // in async code the work goes to the GPU as soon as the current job ends
  if (!flushScheduled) {
    flushScheduled = true;
    queueMicrotask(() => {
      flushScheduled = false;
      if (gpuDevice) flush();
    });
  }
}

/** The largest workgroup count along one grid dimension (the WebGPU default limit). */
const MAX_GRID = 65535;

/** A 2-D grid of at least `groups` workgroups: [x, y] with x ≤ MAX_GRID. */
export function grid(groups: number): [number, number] {
  if (groups <= MAX_GRID) return [groups, 1];
  return [MAX_GRID, Math.ceil(groups / MAX_GRID)];
}
