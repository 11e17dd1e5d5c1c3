/**
 * Array: a concrete value, a device buffer with its abstract value. Immutable;
 * arithmetic comes from ArrayMethods (shared with Tracer).
 */
import { ArrayMethods, type NestedNumbers } from "./array-methods.js";
import type { Backend } from "./backend/device.js";
import { defaultBackendFor, getBackend } from "./backend/device.js";
import type { Complex, DType, TypedArray } from "./dtype.js";
import { arrayReprText, currentPrintOptions, isDefaultOption, type PrintOptions } from "./array-text.js";
import { formatComplexArray, isComplexDType, nestComplex, roundFloat16Array, storageDType, storageLength } from "./dtype.js";
import { BackendError, ShapeError, UnsupportedError } from "./errors.js";
import { fmtShape } from "./shape.js";
import { ShapedArray } from "./trace/core.js";
import type { Origin } from "./runtime/placement.js";
import { COMPUTED, hostOrigin } from "./runtime/placement.js";
// wherever arrays exist, the runtime that runs primitives on them is installed (see `Runtime` in trace/core.ts)
import "./runtime/index.js";
import { hasPendingChecks, settleChecks } from "./runtime/debug-checks.js";
import { guardTransfer } from "./runtime/transfer-guard.js";

const JSArray = globalThis.Array; // `Array` below is jaxon's

declare module "./trace/core.js" {
  // tells the trace machinery what its concrete values are (see `Concrete` there)
  interface ConcreteTypes {
    array: Array;
  }
}

/** Reads started by `copyToHostAsync` and not yet taken by `data()`. */
const hostCopies = new WeakMap<Array, Promise<TypedArray>>();

/**
 * Internal (copyToHostAsync in devices.ts): starts copying `a`'s values to
 * the host now, so that the next `await a.data()` (or `array()`, `item()`)
 * finds them on their way. Nothing to do where reads are synchronous.
 */
export function startHostCopy(a: Array): void {
  a.assertAlive("copyToHostAsync");
  if (a.backend.syncReadable || hostCopies.has(a)) return;
  const read = a.backend.read(a.buffer, storageDType(a.dtype), storageLength(a.dtype, a.size));
  read.catch(() => undefined); // taken by data() later, or never: no unhandled rejection meanwhile
  hostCopies.set(a, read);
}

/**
 * The arrays made while tracking is on (for `liveArrays`), weakly: dead refs are
 * swept whenever the set has doubled since the last sweep. Tracking is off by
 * default because a WeakRef keeps its target alive until the current synchronous
 * job ends (the spec's KeepDuringJob): always on, it would hold every array of a
 * synchronous training loop, and its buffer, until the loop returns.
 */
const liveRefs = new Set<WeakRef<Array>>();
let sweepAt = 1024;
let tracking = false;

function trackLive(a: Array): void {
  if (!tracking) return;
  liveRefs.add(new WeakRef(a));
  if (liveRefs.size >= sweepAt) {
    for (const r of liveRefs) if (r.deref() === undefined) liveRefs.delete(r);
    sweepAt = Math.max(1024, 2 * liveRefs.size);
  }
}

/**
 * The arrays alive now (not disposed, not yet garbage-collected) among those
 * made since `liveArrays.track()`, in the order they were made, as JAX's
 * `jax.live_arrays()`; `device` keeps those on one device. Tracking is a
 * debugging aid, off by default: each tracked array is held until the current
 * synchronous job ends (a WeakRef's rule), so a long synchronous loop keeps its
 * intermediates until it returns. `liveArrays.track(false)` stops it.
 * @example
 * import { liveArrays, numpy as np } from "jaxon-ts";
 * liveArrays.track();
 * const x = np.ones([2, 3]);
 * liveArrays().includes(x); // true
 * x.dispose();
 * liveArrays().includes(x); // false
 * liveArrays.track(false);
 */
export const liveArrays = Object.assign(
  (device?: string): Array[] => {
    if (!tracking) {
      throw new UnsupportedError(
        "liveArrays: arrays are tracked only after liveArrays.track() (tracking holds each array until the current synchronous job ends, " +
          "so it is off by default); call liveArrays.track() before making the arrays you want to see",
      );
    }
    const out: Array[] = [];
    for (const r of liveRefs) {
      const a = r.deref();
      if (a === undefined) liveRefs.delete(r);
      else if (!a.isDisposed && (device === undefined || a.device === device)) out.push(a);
    }
    return out;
  },
  {
    /** Starts (or with `false` stops, forgetting what was tracked) tracking the arrays made from now on. */
    track(on = true): void {
      tracking = on;
      if (!on) liveRefs.clear();
    },
  },
);

export class Array extends ArrayMethods {
  #disposed = false;
  /**
   * Internal: where the array came from (computed, committed to its device,
   * a constant jaxon made, or host data it keeps), which decides how it may
   * move between devices. `src/runtime/placement.ts` reads and sets it; see
   * `Origin` there.
   */
  origin: Origin = COMPUTED;
  constructor(
    readonly aval: ShapedArray,
    /** The device buffer; its type is the backend's own. */
    readonly buffer: unknown,
    readonly backend: Backend = getBackend(),
  ) {
    super();
    trackLive(this);
  }

  /**
   * Wraps host data (already of the right dtype and length; float16 values are rounded to half
   * precision in place; a complex dtype's data is interleaved (re, im) floats, two per element)
   * as an Array on a device.
   */
  static fromTyped(data: TypedArray, shape: readonly number[], dtype: DType, weakType = false, backend = defaultBackendFor(dtype)): Array {
    // host data becoming a device array (a single value is embedded freely, as JAX's Python scalars)
    if (!backend.syncReadable && data.length > storageLength(dtype, 1)) guardTransfer("hostToDevice", `host data of shape ${fmtShape(shape)} (${dtype}) uploaded to ${backend.name}`);
    return Array.fromHostData(data, shape, dtype, weakType, backend);
  }

  /** Internal: `fromTyped` for jaxon's own uploads (constants, host-folded results), which no transfer guard sees. */
  static fromHostData(data: TypedArray, shape: readonly number[], dtype: DType, weakType = false, backend = defaultBackendFor(dtype)): Array {
    if (dtype === "float16") roundFloat16Array(data as Float32Array);
    const a = new Array(new ShapedArray(shape, dtype, weakType), backend.upload(data, storageDType(dtype)), backend);
    a.origin = hostOrigin(data, backend);
    return a;
  }

  /** Whether the array is committed to its device (placed by `devicePut`, or computed from such an array): computations on it run there. */
  get committed(): boolean {
    return this.origin.kind === "committed";
  }

  get device(): string {
    return this.backend.name;
  }

  /** Whether `dispose()` freed this array's buffer (a disposed array can no longer be read or computed with). */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /**
   * Internal: throws if the array was disposed. Its buffer went back to the
   * pool and may already hold another array's values, so every use (an
   * operand, a transformation's input, a read) must stop here.
   */
  assertAlive(op: string): void {
    if (this.#disposed) {
      throw new BackendError(
        `${op}: an array of shape ${fmtShape(this.shape)} and dtype ${this.dtype} was disposed, and is used after dispose(); its buffer is gone ` +
          `(and may hold another array's values now). Dispose an array only after its last use; note that what an ` +
          `identity operation returns (np.array(x), a reshape to the same shape) is the same array, disposed with it`,
      );
    }
  }

  /**
   * A copy of the data as a TypedArray (Float32Array for float32, Uint8Array for bool, ...).
   * A complex array gives its values as interleaved (re, im) pairs: a Float32Array of
   * 2·size floats for complex64, a Float64Array for complex128.
   */
  async data(): Promise<TypedArray> {
    this.assertAlive("data()");
    // the CPU backend's arrays are in host memory: reading them moves nothing
    if (!this.backend.syncReadable) guardTransfer("deviceToHost", `a read (data(), array(), item()) of an array of shape ${fmtShape(this.shape)} on ${this.device}`);
    // a copy copyToHostAsync started: its read is this one
    const started = hostCopies.get(this);
    if (started) {
      hostCopies.delete(this);
      if (hasPendingChecks()) await settleChecks();
      return started;
    }
    // debugNans/debugInfs on an asynchronously read device: a failed check is raised by the next read
    if (hasPendingChecks()) {
      const read = this.backend.read(this.buffer, storageDType(this.dtype), storageLength(this.dtype, this.size));
      read.catch(() => undefined); // if the check throws first, this read's own failure is moot
      await settleChecks();
      return read;
    }
    return this.backend.read(this.buffer, storageDType(this.dtype), storageLength(this.dtype, this.size));
  }
  /** The values as nested JS lists (a complex array's elements are frozen `{re, im}` objects). */
  async array(): Promise<NestedNumbers> {
    return nest(await this.data(), this.shape, this.dtype);
  }
  /** The one value of a size-1 array (a complex one's is a frozen `{re, im}` object). */
  async item(): Promise<number> {
    return scalarOf(await this.data(), this.shape, "item()", this.dtype);
  }
  dataSync(): TypedArray {
    this.assertAlive("dataSync()");
    if (!this.backend.syncReadable) {
      throw new BackendError(`dataSync(): the ${this.backend.name} device cannot be read synchronously; use \`await x.data()\``);
    }
    return this.backend.readSync(this.buffer, storageDType(this.dtype), storageLength(this.dtype, this.size));
  }
  arraySync(): NestedNumbers {
    return nest(this.dataSync(), this.shape, this.dtype);
  }
  itemSync(): number {
    return scalarOf(this.dataSync(), this.shape, "itemSync()", this.dtype);
  }

  /** Frees the device buffer now. Optional: garbage collection does it too. */
  dispose(): void {
    // a shared constant (a jaxpr literal's array) belongs to every evaluation of its jaxpr
    if (this.#disposed || (this.origin.kind === "constant" && this.origin.shared)) return;
    this.#disposed = true;
    this.backend.dispose(this.buffer);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** `Number(x)` and `x > 0` give the value of a size-1 array on a synchronously readable device. */
  [Symbol.toPrimitive](hint: string): number | string {
    if (hint === "string") return this.toString();
    if (this.size !== 1) {
      throw new ShapeError(
        `Using an array of shape ${fmtShape(this.shape)} as a JS number needs exactly one element; ` +
          `reduce it first (x.sum(), x.get(0)) or compare elementwise with x.gt(...)`,
      );
    }
    return this.itemSync();
  }
  override valueOf(): number {
    return this[Symbol.toPrimitive]("number") as number;
  }

  /**
   * NumPy-like text: `Array([[1, 2], [3, 4]], dtype=float32)`, compact (shortest digits, no padding),
   * summarized with `...` past the `threshold` print option. Setting a layout print option
   * (precision, suppress, sign, floatmode, linewidth) switches it to JAX's repr, `np.arrayRepr(x)`.
   */
  override toString(): string {
    // printing must not throw: a disposed array still says what it was
    if (this.#disposed) return `Array(disposed, shape=${fmtShape(this.shape)}, dtype=${this.dtype})`;
    // a GPU's values come back asynchronously: say how to read them rather than print nothing
    if (!this.backend.syncReadable) {
      return `Array(shape=${fmtShape(this.shape)}, dtype=${this.dtype}, device=${this.device}; values: await x.data(), await x.array(), or String(await devicePutAsync(x, "cpu")))`;
    }
    const options = currentPrintOptions();
    if (LAYOUT_OPTIONS.some((k) => !isDefaultOption(k, options))) return arrayReprText(this.dataSync(), this.shape, this.dtype, this.weakType, options);
    const body = isComplexDType(this.dtype) ? formatComplexArray(this.dataSync(), this.shape, this.dtype) : format(this.dataSync(), this.shape, this.dtype, options);
    return `Array(${body}, dtype=${this.dtype}${this.weakType ? ", weak_type=True" : ""})`;
  }
  [Symbol.for("nodejs.util.inspect.custom")]() {
    return this.toString();
  }
}

function scalarOf(data: TypedArray, shape: readonly number[], op: string, dtype: DType): number {
  if (data.length !== storageLength(dtype, 1)) {
    throw new ShapeError(`${op} needs an array with one element, got shape ${fmtShape(shape)}; use data() or array() instead`);
  }
  // a complex value is a {re, im} object; the method surface types item() as a number
  if (isComplexDType(dtype)) return nestComplex(data, []) as Complex as unknown as number;
  return data[0];
}

function nest(data: TypedArray, shape: readonly number[], dtype: DType): NestedNumbers {
  if (isComplexDType(dtype)) return nestComplex(data, shape) as unknown as NestedNumbers;
  const conv = dtype === "bool" ? (v: number) => v !== 0 : (v: number) => v;
  if (shape.length === 0) return conv(data[0]);
  const build = (dim: number, offset: number, stride: number): NestedNumbers[] => {
    const n = shape[dim];
    const inner = stride / (n || 1);
    const out: NestedNumbers[] = [];
    for (let i = 0; i < n; i++) {
      out.push(dim === shape.length - 1 ? conv(data[offset + i]) : build(dim + 1, offset + i * inner, inner));
    }
    return out;
  };
  return build(0, 0, data.length || shape.reduce((a, b) => a * b, 1));
}

/** The print options that ask for NumPy's layout: with any of them set, toString prints `np.arrayRepr`'s text. */
const LAYOUT_OPTIONS: readonly (keyof PrintOptions)[] = ["precision", "suppress", "sign", "floatmode", "linewidth"];

function formatNumber(v: number, dtype: DType, options: PrintOptions): string {
  if (dtype === "bool") return v ? "true" : "false";
  if (Number.isNaN(v)) return options.nanstr;
  if (v === Infinity) return options.infstr;
  if (v === -Infinity) return `-${options.infstr}`;
  if (dtype === "float32") return String(Number(Math.fround(v).toPrecision(7)));
  return String(v);
}

/** As NumPy's: an array of more than `threshold` elements prints summarized, `edgeitems` at each end of every long axis. */
function format(data: TypedArray, shape: readonly number[], dtype: DType, options: PrintOptions): string {
  const edge = options.edgeitems;
  if (shape.length === 0) return formatNumber(data[0], dtype, options);
  const summarize = data.length > options.threshold;
  /** The indices printed along an axis of length n; null is the `...` between the ends. */
  const indices = (n: number): (number | null)[] => {
    if (!summarize || n <= 2 * edge) return JSArray.from({ length: n }, (_, i) => i);
    return [...JSArray.from({ length: edge }, (_, i) => i), null, ...JSArray.from({ length: edge }, (_, i) => n - edge + i)];
  };
  const rec = (dim: number, offset: number): string => {
    const n = shape[dim];
    if (dim === shape.length - 1) return `[${indices(n).map((i) => (i === null ? "..." : formatNumber(data[offset + i], dtype, options))).join(", ")}]`;
    const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const parts = indices(n).map((i) => (i === null ? "..." : rec(dim + 1, offset + i * inner)));
    return `[${parts.join(",\n" + " ".repeat(dim + 7))}]`;
  };
  return rec(0, 0);
}
