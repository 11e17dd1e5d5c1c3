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
let generation = 1;
let encoder: GPUCommandEncoder | null = null;
let pass: GPUComputePassEncoder | null = null;
let pendingDispatches = 0;
let flushScheduled = false;
const pipelines = new Map<string, GPUComputePipeline>();

/** Most dispatches recorded before a submit: bounds a command buffer in a loop that never awaits. */
const MAX_PENDING_DISPATCHES = 512;

export function setDevice(device: GPUDevice | null): void {
  gpuDevice = device;
  encoder = null;
  pass = null;
  pendingDispatches = 0;
  pipelines.clear();
}

export function device(): GPUDevice {
  if (!gpuDevice) throw new BackendError("webgpu: no device; call `await init()` first and check that it lists webgpu");
  return gpuDevice;
}

function currentPass(): GPUComputePassEncoder {
  if (!encoder) encoder = device().createCommandEncoder();
  if (!pass) pass = encoder.beginComputePass();
  return pass;
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
  const commands = encoder.finish();
  encoder = null;
  pass = null;
  pendingDispatches = 0;
  generation++;
  device().queue.submit([commands]);
}

const validationChecks: Promise<void>[] = [];

/**
 * A compute pipeline for WGSL source, compiled once. Shader compilation
 * errors are caught here (the source is ours, so they are our bugs, reported
 * with the source so they can be fixed).
 */
function pipelineFor(wgsl: string): GPUComputePipeline {
  let p = pipelines.get(wgsl);
  if (!p) {
    const dev = device();
    dev.pushErrorScope("validation");
    const module = dev.createShaderModule({ code: wgsl });
    p = dev.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
    const check = dev.popErrorScope().then((err) => {
      if (err) reportError(new BackendError(`webgpu: a kernel failed to compile: ${err.message}\n--- WGSL ---\n${wgsl}`));
    });
    validationChecks.push(check);
    pipelines.set(wgsl, p);
  }
  return p;
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
  const pipeline = pipelineFor(wgsl);
  const bindGroup = device().createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((b, i) => ({ binding: i, resource: { buffer: b.buffer } })),
  });
  touch(...buffers);
  const p = currentPass();
  p.setPipeline(pipeline);
  p.setBindGroup(0, bindGroup);
  p.dispatchWorkgroups(x, y, z);
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
