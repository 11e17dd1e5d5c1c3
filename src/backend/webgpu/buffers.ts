/// <reference types="@webgpu/types" />
/**
 * WebGPU buffers: a pool by size class (powers of two), readback through
 * pooled staging buffers, and the garbage collector made to see device memory.
 *
 * Every storage buffer is a `Slot` (the GPUBuffer itself, reused from the
 * pool) wrapped in a `GpuBuffer` owned by one or more Arrays (a reshape's
 * alias adds an owner). A wrapper goes back to the pool when its owners
 * release it (`dispose`, and every intermediate of a jitted call), or when
 * the garbage collector finds it unreachable (a FinalizationRegistry).
 *
 * Why the collector needs help (DESIGN.md §2): an Array is a small JS object
 * and V8 does not see the megabytes behind it, and a FinalizationRegistry
 * callback runs only when the event loop turns — never inside a synchronous
 * training loop. In Node, jaxon therefore makes its own registry in a fresh
 * V8 context where `gc()` and `FinalizationRegistry#cleanupSome` exist
 * (two V8 flags, set at the first GPU buffer; `init({ gcHooks: false })` opts
 * out); when the live bytes pass a bound, it collects
 * and returns the dead buffers to the pool at once, synchronously. The bound
 * is paced as Go's collector paces itself: after a collection it is three
 * times what survived (dead bytes may reach twice the live ones), never
 * under a 4 MiB floor, so device memory stays proportional to the working
 * set and a program that needs more pays a collection only each time its
 * footprint triples. What a collection costs is the JS heap's size, not the
 * device's: where collections would take over a quarter of the time between
 * them (a small working set, large arrays made fast), the bound is
 * stretched, up to 32 times (as Go bounds its collector's share of the CPU),
 * and relaxed again when they become cheap. Browsers have
 * neither hook: there the registry's callbacks run whenever the page yields,
 * which every real training loop does (`await` of a readback, or a frame).
 */
import type { DType, TypedArray } from "../../dtype.js";
import { allocate, intInfo, isSmallInt } from "../../dtype.js";
import { BackendError, DTypeError } from "../../errors.js";
import { type DrainableRegistry, loadGcHooks, makeGcHooks, nodeHost } from "../../host/node.js";
import { checkErrors, copyEncoder, device, flush, formatBytes, halvesPacked, limit, settleScope, type Submission, touch, usedByPending } from "./context.js";
import { record, recordsNow, releaseInOrder, releasesNow } from "./stream.js";

export interface Slot {
  readonly buffer: GPUBuffer;
  /** Unique per buffer ever made: bind groups are cached by the ids they bind (context.ts). */
  readonly id: number;
  /** Capacity in bytes (its size class). */
  readonly bytes: number;
  /** The encoder generation that last used it. */
  lastUse: number;
}

export class GpuBuffer {
  /** Owners that must release it before its slot is free. */
  refs = 1;
  /** Unique per allocation (a slot is reused; this is not): device errors are pinned on it (context.ts). */
  readonly serial = nextSerial++;
  /**
   * `bytes`: what was asked for (the slot may be larger: its size class),
   * what a kernel may read and what a binding must cover.
   */
  constructor(
    readonly slot: Slot,
    readonly bytes: number = slot.bytes,
  ) {}
  get buffer(): GPUBuffer {
    return this.slot.buffer;
  }
}

let nextSerial = 1;
const MIN_BYTES = 16;
let nextSlotId = 1;
const freeSlots = new Map<number, Slot[]>();
let liveBuffers = 0;
let liveBytes = 0;
let pooledBytes = 0;
/** Pooled bytes past which released slots are destroyed instead of kept. */
const POOL_CAP = 512 * 1024 * 1024;

/** The bound on live bytes that triggers a synchronous collection (Node only): see the header. */
const GC_FLOOR = 4 * 1024 * 1024;
const DEAD_PER_LIVE = 2;
let gcBound = GC_FLOOR;
/** How much the bound is stretched so that collections take at most a quarter of the time (1 to 32). */
let gcStretch = 1;
let lastCollectEnd = 0;

/** A buffer the collector found dead: its last uses may still wait behind a loop on the device (stream.ts). */
const collected = (slot: Slot) => (releasesNow(false) ? returnSlot(slot) : holdSlot(false, slot));
function holdSlot(explicit: boolean, slot: Slot): void {
  releaseInOrder(explicit, () => returnSlot(slot));
}
let registry: DrainableRegistry<Slot> = new FinalizationRegistry<Slot>(collected);
let collect: (() => void) | null = null;

/** Whether `prepareCollector` loaded the hooks (Node, not opted out), and whether they were installed since. */
let hooksLoaded = false;
let hooksTried = false;

/**
 * Loads what the synchronous collection hooks need (Node only; see the
 * header), without setting any V8 flag yet: that waits for the first GPU
 * buffer (`installCollector`), so a program that never puts an array on
 * WebGPU keeps its V8 flags as they were. `enabled: false` (`init({ gcHooks:
 * false })`, or JAXON_GC_HOOKS=0) leaves V8 alone for good: device memory is
 * then returned only when the event loop turns.
 */
export async function prepareCollector(enabled: boolean): Promise<void> {
  if (hooksLoaded || hooksTried || !nodeHost) return;
  if (!enabled || (typeof process !== "undefined" && process.env?.JAXON_GC_HOOKS === "0")) {
    hooksTried = true;
    return;
  }
  hooksLoaded = await loadGcHooks();
}

/** Installs the synchronous collection hooks (src/host/node.ts), once, at the first GPU buffer. */
function installCollector(): void {
  hooksTried = true;
  if (!hooksLoaded) return;
  const hooks = makeGcHooks<Slot>(collected);
  if (!hooks) return; // an engine without these flags: the registry's callbacks still run when the loop yields
  registry = hooks.registry;
  collect = hooks.collect;
}

/** Whether the synchronous collection hooks are installed (they are after the first GPU buffer, in Node, unless opted out). */
export function collectorInstalled(): boolean {
  return collect !== null;
}

/**
 * The pool's size class: the next power of two, or (where that would pass
 * the device's maxBufferSize) the size itself rounded to whole 256 bytes.
 */
function sizeClass(bytes: number): number {
  const cls = Math.max(MIN_BYTES, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1))));
  return cls <= maxBufferSize() ? cls : Math.ceil(bytes / 256) * 256;
}

function maxBufferSize(): number {
  return limit("maxBufferSize");
}

/**
 * Buffers created since the last synchronous collection. A loop that never
 * awaits and makes small arrays never reaches the byte bound, yet every new
 * GPUBuffer (and each bind group made for it) is a native object that Node
 * frees only when the event loop turns: thousands of them crash Dawn's
 * descriptor allocation. A collection after that many pool misses returns
 * the dead arrays' buffers, so the loop reuses them (and their bind groups).
 */
let madeSinceCollect = 0;
const MISSES_BEFORE_COLLECT = 2048;

function returnSlot(slot: Slot) {
  liveBuffers--;
  liveBytes -= slot.bytes;
  if (pooledBytes + slot.bytes > POOL_CAP) {
    // ordered after every pending use by the queue
    slot.buffer.destroy();
    return;
  }
  pooledBytes += slot.bytes;
  let list = freeSlots.get(slot.bytes);
  if (!list) freeSlots.set(slot.bytes, (list = []));
  list.push(slot);
}

/**
 * Allocations since the event loop last turned. Past NO_YIELD of them the
 * program is a loop that never awaits: there no finalizer runs and Node
 * releases no native object, so every array's buffer would be a new
 * GPUBuffer with new bind groups, and Dawn's descriptor pools run out (a
 * segfault after a few thousand training steps). There a collection returns
 * the dead arrays' buffers every COLLECT_CALLS jitted calls, at the end of a
 * call, and the loop takes them back in a fixed order (`collectDead`), so
 * that each step binds the same buffers as a step before it and finds its
 * bind groups cached; outside jit, every COLLECT_ALLOCS allocations (often:
 * eager ops have no call boundary, so the buffers each op gets repeat only
 * when few are in rotation; measured: about 2 new bind groups per step of a
 * small MLP, against 11 with 8,192).
 */
let allocsWithoutYield = 0;
let allocsSinceCollect = 0;
let callsSinceCollect = 0;
const NO_YIELD = 2048;
const COLLECT_CALLS = 32;
const COLLECT_ALLOCS = 256;

function countAlloc(): void {
  if (allocsWithoutYield++ === 0) queueMicrotask(() => (allocsWithoutYield = 0));
  if (allocsWithoutYield >= NO_YIELD && ++allocsSinceCollect >= COLLECT_ALLOCS) collectDead();
}

/** The end of a jitted call (see `allocsWithoutYield`). */
export function callBoundary(): void {
  // jitted loops collect at call boundaries only: one in the middle of a step would shift its buffers
  allocsSinceCollect = 0;
  if (collect && allocsWithoutYield >= NO_YIELD && ++callsSinceCollect >= COLLECT_CALLS) collectDead();
}

/** A storage buffer of at least `bytes` bytes, from the pool when one is free. */
export function allocBytes(bytes: number, what?: () => string): GpuBuffer {
  const max = maxBufferSize();
  if (!(bytes <= max)) {
    // before anything is made: WebGPU would hand back an invalid buffer and say so asynchronously
    throw new BackendError(
      `webgpu: ${what ? what() : "an array"} needs ${formatBytes(bytes)}, more than this device's maxBufferSize ` +
        `(${formatBytes(max)}); use smaller arrays, or run it on the CPU (devicePut(x, "cpu"), defaultDevice("cpu"))`,
    );
  }
  const size = sizeClass(bytes);
  if (!hooksTried) installCollector();
  if (collect) countAlloc();
  if (collect && (liveBytes + size > gcBound || madeSinceCollect >= MISSES_BEFORE_COLLECT)) {
    const start = performance.now();
    collectDead();
    const end = performance.now();
    // collections that would take more than a quarter of the time stretch the bound (up to 32×)
    const share = (end - start) / Math.max(end - lastCollectEnd, 1e-3);
    if (share > 0.25) gcStretch = Math.min(32, gcStretch * 2);
    else if (share < 0.05) gcStretch = Math.max(1, gcStretch / 2);
    lastCollectEnd = end;
    gcBound = gcStretch * Math.max(GC_FLOOR, (1 + DEAD_PER_LIVE) * (liveBytes + size));
  }
  let slot = freeSlots.get(size)?.pop();
  const fresh = !slot;
  if (slot) pooledBytes -= size;
  else {
    const dev = device();
    dev.pushErrorScope("out-of-memory");
    const buffer = dev.createBuffer({
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    slot = { buffer, id: nextSlotId++, bytes: size, lastUse: 0 };
    madeSinceCollect++;
  }
  liveBuffers++;
  liveBytes += size;
  const b = new GpuBuffer(slot, bytes);
  if (fresh) {
    // a new buffer: the device says asynchronously whether it had the memory
    const made = slot.bytes;
    settleScope(
      device().popErrorScope(),
      (message) => new BackendError(`webgpu: out of device memory allocating ${formatBytes(made)} for ${what ? what() : "an array"}: ${message}`),
      b.serial,
    );
  }
  registry.register(b, slot, b);
  return b;
}

/**
 * Collects now (where the synchronous hooks exist) and returns the dead
 * arrays' buffers to the pool; false where it cannot.
 */
export function collectDead(): boolean {
  if (!collect) return false;
  collect();
  madeSinceCollect = 0;
  allocsSinceCollect = 0;
  callsSinceCollect = 0;
  // in id order (the lowest handed out first), whatever order the collector found them in: a loop
  // then takes the same buffers in the same order after each collection and finds its bind groups cached
  for (const list of freeSlots.values()) list.sort((a, b) => b.id - a.id);
  return true;
}

/**
 * Bytes per element in a buffer on the GPU: bool is stored one per 32-bit
 * word, the 8- and 16-bit integers packed four or two to a word
 * (small-ints.ts), float16 in 2 bytes where the device has shader-f16.
 */
export function gpuItemSize(dtype: DType): number {
  if (dtype === "float64") throw float64Error("an operation");
  const small = intInfo(dtype);
  if (small && small.bits < 32) return small.bits / 8;
  return dtype === "float16" && halvesPacked() ? 2 : 4;
}

export function float64Error(op: string): DTypeError {
  return new DTypeError(
    `${op}: float64 is not supported on webgpu (WGSL has no 64-bit floats); ` +
      `run float64 work on the CPU: devicePut(x, "cpu"), or use float32`,
  );
}

/** `what` names the array for an error (its shape and the operation), made only when one is thrown. */
export function alloc(dtype: DType, size: number, what?: () => string): GpuBuffer {
  return allocBytes(size * gpuItemSize(dtype), what ?? (() => `a ${dtype} array of ${size} elements`));
}

export function retain(b: GpuBuffer): void {
  b.refs++;
}

export function release(b: GpuBuffer): void {
  if (b.refs <= 0) return;
  if (--b.refs === 0) {
    registry.unregister(b);
    // while recordings that may use it wait behind a loop on the device, it waits with them (stream.ts)
    if (releasesNow(true)) returnSlot(b.slot);
    else holdSlot(true, b.slot);
  }
}

/** Copies host data into a new buffer. */
export function upload(data: TypedArray, dtype: DType): GpuBuffer {
  if (dtype === "float64") throw float64Error("upload");
  const out = alloc(dtype, data.length);
  // queue.writeBuffer runs before commands still being recorded: submit those first if they use this slot
  if (usedByPending(out)) flush();
  const words =
    dtype === "bool"
      ? Uint32Array.from(data)
      : isSmallInt(dtype)
        ? packedBytes(data, dtype)
        : dtype === "float16" && halvesPacked()
          ? halfBits(data as Float32Array)
          : data;
  if (words.byteLength > 0) device().queue.writeBuffer(out.buffer, 0, words.buffer, words.byteOffset, words.byteLength);
  return out;
}

/**
 * An 8- or 16-bit integer array as the device stores it: the host's bytes of
 * the width as they are (little-endian, as WebGPU's buffers), padded to whole
 * 32-bit words (writeBuffer moves multiples of 4 bytes).
 */
function packedBytes(data: TypedArray, dtype: DType): Uint8Array {
  const width = intInfo(dtype)!.bits / 8;
  const exact = data.length * width;
  const ctor = allocate(dtype, 0).constructor;
  if (data.constructor === ctor && exact % 4 === 0) return new Uint8Array(data.buffer, data.byteOffset, exact);
  // anything else (another typed array, or a length off the word) converted into a padded copy
  const bytes = new Uint8Array(Math.ceil(exact / 4) * 4);
  const typed = new (ctor as new (b: ArrayBuffer, o: number, n: number) => TypedArray)(bytes.buffer, 0, data.length);
  typed.set(data);
  return bytes;
}

// ---- readback -------------------------------------------------------------------------

const freeStaging = new Map<number, GPUBuffer[]>();
let stagingMade = 0;
/** Mappable staging buffers created so far: reads of a size read before reuse theirs (tests count them). */
export function stagingBuffersMade(): number {
  return stagingMade;
}

/** Reads `size` elements back to the host (the pending work is submitted first). */
export async function read(b: GpuBuffer, dtype: DType, size: number): Promise<TypedArray> {
  const exact = size * gpuItemSize(dtype);
  const bytes = Math.ceil(exact / 4) * 4; // copies move whole 4-byte words (an odd count of halves)
  const cls = sizeClass(bytes);
  let staging = freeStaging.get(cls)?.pop();
  if (!staging) {
    staging = device().createBuffer({ size: cls, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    stagingMade++;
  }
  const target = staging;
  // a temporary owner, so a dispose() while the copy is pending cannot recycle the source
  retain(b);
  reads++;
  let submitted: Submission | null = null;
  const recordCopy = () => {
    touch(b);
    if (bytes > 0) copyEncoder().copyBufferToBuffer(b.buffer, 0, target, 0, bytes);
    submitted = flush();
    release(b);
  };
  // the copy is recorded in the stream's order: after a loop on the device that is still running (stream.ts)
  if (recordsNow()) recordCopy();
  else await new Promise<void>((resolve) => record(() => (recordCopy(), resolve())));
  // whether the staging buffer is unmapped again (and so reusable); a failed mapping (a lost device) drops it
  let reusable = false;
  try {
    await staging.mapAsync(GPUMapMode.READ, 0, cls);
    const raw = staging.getMappedRange(0, cls).slice(0, exact);
    staging.unmap();
    reusable = true;
    const checks = checkErrors(b);
    if (checks) await checks;
    // the copy went in a submission rejected for another operation's bad kernel: `b` itself is fine
    // (checkErrors found nothing against it), so the copy is made again, alone
    const sub = submitted as Submission | null;
    const rejected = sub === null ? null : sub.settled ? sub.error : await sub.result;
    if (rejected) return await read(b, dtype, size);
    return hostArray(raw, dtype);
  } finally {
    if (reusable) {
      let list = freeStaging.get(cls);
      if (!list) freeStaging.set(cls, (list = []));
      list.push(staging);
    }
  }
}

function hostArray(raw: ArrayBuffer, dtype: DType): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(raw);
    case "float16":
      return halvesPacked() ? fromHalfBits(new Uint16Array(raw)) : new Float32Array(raw);
    case "int32":
      return new Int32Array(raw);
    case "uint32":
      return new Uint32Array(raw);
    case "bool":
      return Uint8Array.from(new Uint32Array(raw), (v) => (v ? 1 : 0));
    // packed on the device as on the host: the bytes are the array
    case "int8":
      return new Int8Array(raw);
    case "uint8":
      return new Uint8Array(raw);
    case "int16":
      return new Int16Array(raw);
    case "uint16":
      return new Uint16Array(raw);
    default:
      throw float64Error("read");
  }
}

let reads = 0;
/** Readbacks to the host so far (every one asynchronous: `await x.data()`, a loop's flag): tests count them. */
export function readCount(): number {
  return reads;
}

/** Live and pooled device memory, as `memoryStats("webgpu")` reports it. */
export function gpuMemoryStats(): { liveBuffers: number; liveBytes: number; pooledBytes: number } {
  return { liveBuffers, liveBytes, pooledBytes };
}

/** Forgets every pooled buffer (a new device). */
export function resetPool(): void {
  freeSlots.clear();
  freeStaging.clear();
  liveBuffers = 0;
  liveBytes = 0;
  pooledBytes = 0;
  gcBound = GC_FLOOR;
}

// ---- 2-byte halves -----------------------------------------------------------

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** The IEEE half bit patterns of values that are halves already (dtype.ts rounds them), padded to whole 4-byte words. */
function halfBits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length + (values.length % 2));
  for (let i = 0; i < values.length; i++) {
    scratch[0] = values[i];
    const b = scratchBits[0];
    const sign = (b >>> 16) & 0x8000;
    const exp = ((b >>> 23) & 0xff) - 127;
    const mant = b & 0x7fffff;
    if (exp === 128) out[i] = sign | 0x7c00 | (mant ? 0x200 : 0); // inf, NaN
    else if (exp < -24) out[i] = sign; // ±0
    else if (exp < -14) out[i] = sign | ((mant | 0x800000) >>> (-exp - 1)); // subnormal half: exact, it is a half
    else out[i] = sign | ((exp + 15) << 10) | (mant >>> 13);
  }
  return out;
}

/** Halves to values (f32 holds every half exactly). */
function fromHalfBits(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const frac = h & 0x3ff;
    out[i] = exp === 0x1f ? (frac ? NaN : sign * Infinity) : exp === 0 ? sign * frac * 2 ** -24 : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}
