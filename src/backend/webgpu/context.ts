/// <reference types="@webgpu/types" />
/**
 * The WebGPU device as jaxon drives it: one queue, one pending command
 * encoder that collects every dispatch until something needs the results,
 * compute pipelines cached by their WGSL source, and validation errors turned
 * into `BackendError`s that carry the failing kernel's source.
 *
 * Ordering is the queue's: passes run in the order they were recorded and
 * command buffers in the order they were submitted, so a buffer released by
 * one kernel can be handed to the next kernel at once — the GPU still reads
 * the old contents first. The one hazard is `queue.writeBuffer`, which runs
 * before the commands still pending in the encoder; an upload into a buffer
 * those commands use submits them first.
 */
import { BackendError } from "../../errors.js";
import type { GpuBuffer } from "./buffers.js";

/** A routine or kernel's dispatch: a pipeline from WGSL, its buffers in binding order, the workgroup grid. */
export interface Dispatch {
  wgsl: string;
  buffers: GpuBuffer[];
  workgroups: readonly [number, number?, number?];
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
const pipelines = new Map<string, Compiled>();
/** Bind groups cached per kernel before its cache starts over (destroyed buffers' groups go with it). */
const MAX_GROUPS_PER_KERNEL = 256;

/** Most dispatches recorded before a submit: bounds a command buffer in a loop that never awaits. */
const MAX_PENDING_DISPATCHES = 512;

export function setDevice(device: GPUDevice | null): void {
  gpuDevice = device;
  // read once: every allocation of a float16 buffer asks
  packedHalves = device?.features.has("shader-f16") ?? false;
  profiler = null;
  encoder = null;
  pass = null;
  pendingDispatches = 0;
  pipelines.clear();
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

/** Submits the pending commands. */
export function flush(): void {
  if (!encoder) return;
  if (pass) pass.end();
  const afterSubmit = profiler?.resolve(encoder);
  const commands = encoder.finish();
  encoder = null;
  pass = null;
  pendingDispatches = 0;
  generation++;
  device().queue.submit([commands]);
  afterSubmit?.();
}

const validationChecks: Promise<void>[] = [];

/**
 * A compute pipeline for WGSL source, compiled once. Shader compilation
 * errors are caught here (the source is ours, so they are our bugs, reported
 * with the source so they can be fixed).
 */
function pipelineFor(wgsl: string): Compiled {
  let p = pipelines.get(wgsl);
  if (!p) {
    const dev = device();
    dev.pushErrorScope("validation");
    // a kernel that declares f16 storage needs the extension enabled, first thing in the module
    const module = dev.createShaderModule({ code: /\bf16\b/.test(wgsl) ? `enable f16;\n${wgsl}` : wgsl });
    const pipeline = dev.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
    const check = dev.popErrorScope().then((err) => {
      if (err) reportError(new BackendError(`webgpu: a kernel failed to compile: ${err.message}\n--- WGSL ---\n${wgsl}`));
    });
    validationChecks.push(check);
    p = { pipeline, layout: pipeline.getBindGroupLayout(0), groups: new Map() };
    pipelines.set(wgsl, p);
  }
  return p;
}

function bindGroupFor(c: Compiled, buffers: GpuBuffer[]): GPUBindGroup {
  let key = "";
  for (const b of buffers) key += `${b.slot.id},`;
  let group = c.groups.get(key);
  if (!group) {
    if (c.groups.size >= MAX_GROUPS_PER_KERNEL) c.groups.clear();
    group = device().createBindGroup({ layout: c.layout, entries: buffers.map((b, i) => ({ binding: i, resource: { buffer: b.buffer } })) });
    c.groups.set(key, group);
  }
  return group;
}

let pendingError: BackendError | null = null;
function reportError(e: BackendError) {
  pendingError ??= e;
}

/** Throws the first asynchronous device error seen since the last call (at a read, where the user awaits). */
export async function checkErrors(): Promise<void> {
  await Promise.all(validationChecks.splice(0));
  if (pendingError) {
    const e = pendingError;
    pendingError = null;
    throw e;
  }
}

export function dispatch({ wgsl, buffers, workgroups }: Dispatch): void {
  const [x, y = 1, z = 1] = workgroups;
  if (x === 0 || y === 0 || z === 0) return;
  const compiled = pipelineFor(wgsl);
  const bindGroup = bindGroupFor(compiled, buffers);
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
