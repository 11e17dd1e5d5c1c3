/**
 * CPU buffers: TypedArray views into ONE shared WebAssembly.Memory, so that
 * WebAssembly kernels read and write them in place (no copies), and worker
 * threads can later share them.
 *
 * The memory is `shared` for two reasons: a shared memory grows in place, so
 * every view made before a `grow` stays valid (a non-shared one detaches its
 * old ArrayBuffer); and it can be posted to workers.
 *
 * Allocation is by size class (16-byte steps up to 64 bytes, then four classes
 * per power of two, so at most 25% is wasted), with a free list per class and
 * a bump pointer above them. A block returns to its free list when `release`
 * is called (Array.dispose, and every intermediate of a jitted call) or when
 * its view is garbage-collected (a FinalizationRegistry holding the view
 * itself: Arrays that alias a buffer share the view object, so they die
 * together).
 *
 * Why the pool is bounded, and by what. V8 does not see this memory: a view
 * is a small object, and the megabytes behind it are invisible to the
 * collector. A FinalizationRegistry callback also runs only after a
 * collection AND only when the event loop turns, so a synchronous loop that
 * never disposes would fill the pool with dead blocks without bound. So the
 * pool admits new blocks only while its live bytes (live arrays, and dead
 * ones not yet found) stay under a target that scales with the working set,
 * as Go's collector paces itself: after each collection the pool's live
 * bytes are what is really live, and the target becomes three times that
 * (dead bytes may reach twice the live ones), never under a 4 MiB floor, and
 * never over `poolLimit` (`setPoolLimit`). Past the target, new buffers are
 * (but for uploads and large buffers within a fixed headroom, `UPLOAD_HEADROOM`,
 * and a block borrowed from a free list, `borrowable`) ordinary TypedArrays, which V8 sees, accounts for and frees by itself (and
 * WebAssembly kernels copy such operands in and out of a scratch block):
 * memory stays proportional to what is live and results stay correct; only
 * speed degrades, until a collection returns the dead blocks. The engine is
 * never asked for more (no V8 flags, no `gc()`): this runs in any browser.
 */
import type { DType, TypedArray } from "../../dtype.js";
import { allocate, storageOf } from "../../dtype.js";

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB, all a 32-bit memory can address

interface Block {
  ptr: number;
  size: number;
  /** Owners that must release before the block is free (aliases of one buffer each add one). */
  refs: number;
  live: boolean;
  /** Taken from a free list past the target (`borrowable`). */
  borrowed: boolean;
}

let memory: WebAssembly.Memory | null = null;
let shared = false;
let maxPages = 0;
let buffer: ArrayBufferLike | null = null;
const ours = new WeakSet<ArrayBufferLike>();

function createMemory() {
  if (typeof WebAssembly === "undefined") return;
  try {
    memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
    shared = true;
    maxPages = MAX_PAGES;
  } catch {
    // no shared memory (a browser page that is not cross-origin isolated): a fixed
    // 64 MiB memory that never grows, since growing would detach every view
    try {
      memory = new WebAssembly.Memory({ initial: 1024, maximum: 1024 });
      maxPages = 1024;
    } catch {
      memory = null;
    }
  }
  if (memory) {
    buffer = memory.buffer;
    ours.add(buffer);
  }
}
createMemory();

// the first bytes stay unused: pointer 0 is never a block
let top = 64;
const freeLists = new Map<number, number[]>();
let poolLimit = 256 * 1024 * 1024;

/** The pool's live bytes under which blocks are always admitted: a small program never waits for a collection. */
let targetFloor = 4 * 1024 * 1024;
/** Dead bytes the pool may hold per live byte before new buffers leave it (Go's GOGC, as a ratio). */
const DEAD_PER_LIVE = 2;
/** The bound on the pool's live bytes, set after each collection from what survived it. */
let target = targetFloor;

let liveBuffers = 0;
let liveBytes = 0;
let pooledBytes = 0;

const blocks = new WeakMap<object, Block>();
const registry =
  typeof FinalizationRegistry === "undefined"
    ? null
    : new FinalizationRegistry<Block>((b) => {
        if (b.live) freeBlock(b);
        afterCollection();
      });

/**
 * A collection happened (a block or the sentinel was found dead): once the
 * event loop has run the rest of its finalizers, what the pool still holds
 * is live, and the target follows it, down as well as up.
 */
let retargetPending = false;
function afterCollection() {
  if (retargetPending || typeof setTimeout === "undefined") return;
  retargetPending = true;
  const t = setTimeout(() => {
    retargetPending = false;
    target = Math.max(targetFloor, (1 + DEAD_PER_LIVE) * liveBytes);
  }, 0) as unknown as { unref?: () => void };
  t.unref?.(); // never keeps a Node process alive
}

/**
 * A working set that grows without deaths gives no finalizer to learn from:
 * when the pool turns a buffer away, an empty object is watched, whose
 * finalizer says that the next collection happened.
 */
let sentinelArmed = false;
const sentinel =
  typeof FinalizationRegistry === "undefined"
    ? null
    : new FinalizationRegistry<null>(() => {
        sentinelArmed = false;
        afterCollection();
      });
function watchNextCollection() {
  if (sentinelArmed || !sentinel) return;
  sentinelArmed = true;
  sentinel.register({}, null);
}

/** The block size for a request: a multiple of 16, at most 25% above it. */
export function sizeClass(bytes: number): number {
  if (bytes <= 64) return Math.max(16, (bytes + 15) & ~15);
  const step = 2 ** (Math.floor(Math.log2(bytes - 1)) - 2);
  return Math.ceil(bytes / step) * step;
}

function grow(needed: number): boolean {
  if (!memory) return false;
  const have = memory.buffer.byteLength;
  if (needed <= have) return true;
  if (!shared) return false;
  const havePages = have / PAGE;
  const need = Math.ceil((needed - have) / PAGE);
  // grow in steps of at least an eighth, so that a growing working set grows rarely
  const want = Math.min(maxPages - havePages, Math.max(need, 16, havePages >> 3));
  if (want < need) return false;
  try {
    memory.grow(want);
  } catch {
    try {
      memory.grow(need);
    } catch {
      return false;
    }
  }
  buffer = memory.buffer;
  ours.add(buffer);
  return true;
}

/** A raw block of at least `bytes` bytes (16-aligned, 64-aligned from 4 KiB); -1 if the memory is full. */
function takeBlock(size: number, limit: number): number {
  const list = freeLists.get(size);
  if (list && list.length) {
    pooledBytes -= size;
    return list.pop()!;
  }
  const align = size >= 4096 ? 64 : 16;
  const ptr = (top + align - 1) & ~(align - 1);
  if (ptr + size > limit || !grow(ptr + size)) return -1;
  top = ptr + size;
  return ptr;
}

function freeBlock(b: Block) {
  b.live = false;
  if (b.borrowed) borrowedBytes -= b.size;
  liveBuffers--;
  liveBytes -= b.size;
  putBack(b.ptr, b.size);
}

function putBack(ptr: number, size: number) {
  let list = freeLists.get(size);
  if (!list) freeLists.set(size, (list = []));
  list.push(ptr);
  pooledBytes += size;
}

/**
 * A buffer of `size` elements of `dtype`: a view into the shared memory when
 * the pool has room, else a plain TypedArray. Zero-filled unless `zero` is
 * false (for outputs that a kernel overwrites entirely).
 */
const SMALL_BUFFER_BYTES = 1024;

/**
 * Bytes past the pool's target that user data (`upload`: np.array of host
 * values, devicePut) and large buffers (`LARGE_BUFFER_BYTES`) may still take.
 * A program's inputs arrive first, before any collection has measured the
 * working set, and an input turned away stays an ordinary TypedArray for its
 * whole life, copied into scratch by every WebAssembly kernel that reads it
 * (a 1024² matmul's operands are 4 MiB each, the whole floor). Uploads are
 * few and mostly long-lived; dead ones are bounded by this headroom until a
 * collection finds them.
 *
 * A large kernel output is an operand as much as an upload is: the same
 * 1024² operands computed by a jit (x·2·0.5) were turned away at the floor and
 * copied into scratch by every matmul that read them (8 MiB per call, and its
 * 4 MiB product copied out: `stagingStats`), where the same operands made from
 * host data were read in place. So large outputs share this headroom: one budget for both, so that the
 * pool's bound stays what it was (live pool bytes never past
 * min(poolLimit, target + UPLOAD_HEADROOM)), and a loop that never disposes
 * its large outputs fills the headroom once and then gets ordinary
 * TypedArrays again (which V8 sees, so a collection comes and the target
 * follows what is live). Small buffers stay paced by the target alone: they
 * are many (the headroom would hold thousands of dead ones: a naive loop of a
 * small model would sit on 64 MiB), and a scratch copy of one costs little
 * next to the kernel's launch.
 */
const UPLOAD_HEADROOM = 64 * 1024 * 1024;
/** The headroom past the target that uploads and large buffers share (for tests: the pool's live bytes stay under target + this). */
export function poolHeadroom(): number {
  return UPLOAD_HEADROOM;
}
/** The block size from which a kernel output takes the upload headroom: a quarter of the target's 4 MiB floor, so at most 64 such blocks fit in it. */
const LARGE_BUFFER_BYTES = 1024 * 1024;

export function alloc(dtype: DType, size: number, zero = true, upload = false): TypedArray {
  const Ctor = storageOf(dtype);
  const bytes = size * Ctor.BYTES_PER_ELEMENT;
  // small buffers (scalars, tiny vectors) stay ordinary TypedArrays: cheaper to make than a pool
  // block with its finalizer, freed by V8 itself, and too small for a WASM kernel to care about
  if (bytes < SMALL_BUFFER_BYTES || !memory) return allocate(dtype, size);
  const blockSize = sizeClass(bytes);
  // the bound is on live pool bytes: blocks recycled from scratch must not grow it either (but
  // a block already in a free list may be borrowed past it: `borrowable`)
  const headroom = upload || blockSize >= LARGE_BUFFER_BYTES;
  const bound = headroom ? Math.min(poolLimit, poolTarget() + UPLOAD_HEADROOM) : poolTarget();
  if (liveBytes + blockSize > bound && !borrowable(blockSize)) {
    watchNextCollection();
    return allocPlain(dtype, size);
  }
  const borrowed = liveBytes + blockSize > bound;
  const ptr = takeBlock(blockSize, Math.min(poolLimit, maxPages * PAGE));
  if (ptr < 0) return allocPlain(dtype, size);
  const view = new Ctor(buffer as ArrayBuffer, ptr, size) as TypedArray;
  if (zero) view.fill(0);
  const b: Block = { ptr, size: blockSize, refs: 1, live: true, borrowed };
  if (borrowed) {
    borrows++;
    borrowedBytes += blockSize;
  }
  blocks.set(view, b);
  registry?.register(view, b, b);
  liveBuffers++;
  liveBytes += blockSize;
  return view;
}

/**
 * Past its bound (the target, plus the headroom for uploads and large
 * buffers), a buffer larger than the whole target (one that the pool could
 * never admit before a collection raised the target: a 128 MiB output under
 * the 4 MiB floor) may still take a block that already lies in a free list: it costs no new memory, where an ordinary TypedArray costs a fresh
 * allocation whose pages are touched for the first time, and a copy through
 * a scratch block for every WebAssembly kernel that writes it. Such an output
 * made on every call (the previous one disposed) thus reuses one block, which
 * the first call's scratch copy left in the free list.
 *
 * One such borrowed block at a time: in a synchronous loop that never
 * disposes, a borrowed block stays live until a collection, and the next
 * large output, turned away, grows the memory by a scratch block; unbounded
 * borrowing would grow the memory at every other call. Smaller buffers keep
 * the pacing above exactly.
 */
function borrowable(blockSize: number): boolean {
  if (borrowedBytes > 0 || blockSize <= poolTarget() || liveBytes + blockSize > poolLimit) return false;
  const list = freeLists.get(blockSize);
  return list !== undefined && list.length > 0;
}
/** Live bytes of blocks taken past the target (`borrowable`). */
let borrowedBytes = 0;
let borrows = 0;
/** Blocks taken from a free list past the pool's target, and the live bytes of those not yet freed (for tests). */
export function poolBorrowStats(): { borrows: number; borrowedBytes: number } {
  return { borrows, borrowedBytes };
}

/** Past the pool's target: an ordinary TypedArray, which V8 frees by itself (kernels copy it through scratch). */
function allocPlain(dtype: DType, size: number): TypedArray {
  return allocate(dtype, size);
}

/** Another owner of the same buffer (an alias): it must release too before the block is free. */
export function retain(view: TypedArray): void {
  const b = blocks.get(view);
  if (b && b.live) b.refs++;
}

/** Returns a buffer to the pool now (idempotent; views not made here are ignored). */
export function release(view: TypedArray): void {
  const b = blocks.get(view);
  if (b) {
    if (!b.live || --b.refs > 0) return;
    registry?.unregister(b);
    freeBlock(b);
    return;
  }

}

/** Whether a TypedArray lies in the shared memory (so a kernel can address it as `byteOffset`). */
export function inMemory(view: TypedArray): boolean {
  return ours.has(view.buffer);
}

/**
 * The byte address of a view in the shared memory, or -1 when it lies
 * elsewhere. Views made here are found by a WeakMap lookup, which is several
 * times cheaper than reading `.buffer` and `.byteOffset` (kernel launches
 * call this for every operand).
 */
export function pointerOf(view: TypedArray): number {
  const b = blocks.get(view);
  if (b !== undefined) return b.ptr;
  return ours.has(view.buffer) ? view.byteOffset : -1;
}

/** The memory WebAssembly kernels import, or null where there is none. */
export function wasmMemory(): { memory: WebAssembly.Memory; shared: boolean; maxPages: number } | null {
  return memory ? { memory, shared, maxPages } : null;
}

/**
 * Staging copies: operands (and outputs) outside the shared memory that a
 * WebAssembly kernel copied through a scratch block, counted by the kernels
 * that make them (the elementwise kernels' `runWithCopies`, the matmuls). A
 * counter, not a timer: tests read it to show that an array is addressed in
 * place, and a benchmark to tell a copy from a slow kernel.
 */
let stagedCopies = 0;
let stagedBytes = 0;
/** A kernel copied `bytes` bytes of an operand outside the memory into (or out of) scratch. */
export function noteStaged(bytes: number): void {
  stagedCopies++;
  stagedBytes += bytes;
}
/** Staging copies made so far and their bytes (for tests and benchmarks; see `noteStaged`). */
export function stagingStats(): { copies: number; bytes: number } {
  return { copies: stagedCopies, bytes: stagedBytes };
}

/** Scratch space for kernels (copies of operands outside the pool, parameters): a pointer, or -1. Not counted as buffers. */
export function allocScratch(bytes: number): number {
  if (!memory) return -1;
  return takeBlock(sizeClass(Math.max(bytes, 1)), maxPages * PAGE);
}
export function freeScratch(ptr: number, bytes: number): void {
  putBack(ptr, sizeClass(Math.max(bytes, 1)));
}

/** What `withScratch` hands its body: pointers into the shared memory, -1 where the scratch is exhausted. */
export interface Scratch {
  /** `a`'s own address where it lies in the shared memory, else a scratch block of its size (holding a copy of it when `copyIn`). */
  place(a: TypedArray, copyIn: boolean): number;
  /** A fresh scratch block of `bytes` bytes (parameters, tables). */
  block(bytes: number): number;
}

/**
 * Runs `body` with scratch space for a WebAssembly routine whose operands may lie outside the shared
 * memory (past the pool's target); every block it took is freed when it returns or throws. Copies in
 * count as staged (`noteStaged`); copying a staged output back is the caller's (it knows the type).
 */
export function withScratch<T>(body: (s: Scratch) => T): T {
  const taken: number[] = [];
  const block = (bytes: number): number => {
    const p = allocScratch(bytes);
    if (p >= 0) taken.push(p, bytes);
    return p;
  };
  const place = (a: TypedArray, copyIn: boolean): number => {
    const own = pointerOf(a);
    if (own >= 0) return own;
    const p = block(a.byteLength);
    if (p >= 0 && copyIn) {
      memoryView(Uint8Array, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      noteStaged(a.byteLength);
    }
    return p;
  };
  try {
    return body({ place, block });
  } finally {
    for (let i = 0; i < taken.length; i += 2) freeScratch(taken[i], taken[i + 1]);
  }
}

/** A view of the current memory (the buffer object changes when it grows). */
export function memoryView<C extends { new (buf: ArrayBuffer, offset: number, length: number): TypedArray }>(
  Ctor: C,
  ptr: number,
  length: number,
): InstanceType<C> {
  return new Ctor(buffer as ArrayBuffer, ptr, length) as InstanceType<C>;
}

/** Live and pooled bytes of the CPU backend (pool blocks by their class size; buffers past the limit by their length). */
export function memoryStats(): { liveBuffers: number; liveBytes: number; pooledBytes: number } {
  return { liveBuffers, liveBytes, pooledBytes };
}

/** The pool's current target: live bytes past which new buffers become plain TypedArrays (see the header). */
export function poolTarget(): number {
  return Math.min(poolLimit, Math.max(targetFloor, target));
}

/**
 * Sets the target's floor (4 MiB by default), returning the previous one: a
 * program that keeps a large working set in synchronous code (and so gives
 * the finalizers no turn to measure it) may raise it, at the cost of that
 * much memory for dead blocks.
 */
export function setPoolFloor(bytes: number): number {
  const prev = targetFloor;
  targetFloor = Math.max(0, bytes);
  return prev;
}

/** The most bytes the pool may hold whatever the working set, before new buffers become plain TypedArrays (see the header). */
export function setPoolLimit(bytes: number): void {
  poolLimit = Math.max(0, bytes);
}
export function getPoolLimit(): number {
  return poolLimit;
}
