/**
 * Placement, as one policy: where an operation runs, which operands follow
 * it there, what a result remembers about where it came from, and how a
 * value gets from one device to another. Every other module asks here; none
 * decides placement itself.
 *
 * The rules are JAX's, with one addition for devices that cannot be read
 * synchronously (WebGPU): a value jaxon knows on the host (a constant, a
 * small array made from host data) keeps those host values, so it can still
 * follow data to any device without a readback.
 */
import { guardTransfer } from "./transfer-guard.js";
import { Array } from "../array.js";
import type { Backend } from "../backend/device.js";
import { defaultBackendFor, getBackend, setDefaultBackend, type DeviceName } from "../backend/device.js";
import type { TypedArray } from "../dtype.js";
import { storageDType, storageLength, storageOf } from "../dtype.js";
import { BackendError } from "../errors.js";
import type { ShapedArray, Value } from "../trace/core.js";

/**
 * Where an Array came from, which decides how it may move:
 * - `computed`: the result of a computation on uncommitted data; it follows
 *   committed data it meets (copied when its values can be had without waiting);
 * - `committed`: placed by `devicePut`, or computed from a committed array
 *   (JAX's sense): operations run on its device, and it never moves silently
 *   (`data`: the host values it was made from, kept as `host` keeps them, for
 *   an explicit `devicePut` to the CPU or a boolean mask's count);
 * - `constant`: one value in every element that jaxon made itself (a JS
 *   number operand, a literal, zeros a transformation broadcasts); it is
 *   uploaded anywhere from `value`. `shared` constants (a jaxpr literal's
 *   array) are used by many evaluations and `dispose()` leaves them alone;
 * - `host`: made from host data on a device that cannot be read
 *   synchronously; `data` keeps the values (up to `HOST_COPY_LIMIT`
 *   elements), so it can follow data to the CPU without a readback.
 */
export type Origin =
  | { readonly kind: "computed" }
  | { readonly kind: "committed"; readonly data?: TypedArray }
  | { readonly kind: "constant"; readonly value: number; readonly shared?: boolean }
  | { readonly kind: "host"; readonly data: TypedArray };

export const COMPUTED: Origin = Object.freeze({ kind: "computed" });
export const COMMITTED: Origin = Object.freeze({ kind: "committed" });

/** Elements up to which an array made from host data on a GPU keeps its host copy. */
const HOST_COPY_LIMIT = 65536;
/** Elements up to which a computation on host-known values runs on the host (see `runOnHost`). */
const HOST_FOLD_LIMIT = 65536;

/** The origin of an array just uploaded from host data to `backend`. */
export function hostOrigin(data: TypedArray, backend: Backend): Origin {
  return !backend.syncReadable && data.length <= HOST_COPY_LIMIT ? { kind: "host", data: data.slice() } : COMPUTED;
}

/** A new Array on `backend` holding `data` (of the right dtype and length). */
export function fromHost(data: TypedArray, aval: ShapedArray, backend: Backend = defaultBackendFor(aval.dtype)): Array {
  return Array.fromHostData(data, aval.shape, aval.dtype, aval.weakType, backend);
}

/** A constant array: `value` in every element, on `backend` (the default device). */
export function constant(value: number, aval: ShapedArray, backend: Backend = defaultBackendFor(aval.dtype), shared = false): Array {
  const data = constantData(value, aval.dtype, aval.size);
  const a = fromHost(data, aval, backend);
  // the stored value (rounded to the dtype), so that every copy uploads the same bits
  a.origin = { kind: "constant", value: data[0] ?? value, shared };
  return a;
}

/** Host data with `value` in every element (a complex dtype's: value + 0j, as interleaved pairs). */
function constantData(value: number, dtype: ShapedArray["dtype"], size: number): TypedArray {
  const data = new (storageOf(dtype))(storageLength(dtype, size));
  if (data.length === size) return data.fill(value);
  for (let i = 0; i < data.length; i += 2) data[i] = value;
  return data;
}

/** The one value of every element of a constant, or undefined. */
export function constantValue(a: Array): number | undefined {
  return a.origin.kind === "constant" ? a.origin.value : undefined;
}

/** The values of `a` if they can be had without waiting for a device (a CPU array, a host copy, a constant). */
export function hostValues(a: Array): TypedArray | undefined {
  const o = a.origin;
  if (o.kind === "host" || (o.kind === "committed" && o.data)) return o.data;
  if (a.backend.syncReadable) return a.backend.readSync(a.buffer, storageDType(a.dtype), storageLength(a.dtype, a.size));
  if (o.kind === "constant") return constantData(o.value, a.dtype, a.size);
  return undefined;
}

/** The value of a 0-d array if it is known without waiting for a device. */
export function knownScalar(x: Array): number | undefined {
  // a complex scalar is known as a number (a literal) only when its imaginary part is 0
  if (storageLength(x.dtype, 1) === 2) {
    const v = x.backend.syncReadable ? x.dataSync() : x.origin.kind === "constant" ? [x.origin.value, 0] : x.origin.kind === "host" || x.origin.kind === "committed" ? x.origin.data : undefined;
    return v && v[1] === 0 ? v[0] : undefined;
  }
  if (x.backend.syncReadable) return x.dataSync()[0];
  const o = x.origin;
  return o.kind === "constant" ? o.value : o.kind === "host" || o.kind === "committed" ? o.data?.[0] : undefined;
}

/** Marks an array committed to its device (devicePut, and derivatives of committed primals). */
export function commit(x: Array): Array {
  // a shared constant (a literal's array) is used by every evaluation of its jaxpr: commit a copy
  if (x.origin.kind === "constant" && x.origin.shared) x = constant(x.origin.value, x.aval, x.backend);
  // what it knows on the host, it keeps: committing moves nothing
  const data = x.backend.syncReadable || x.size > HOST_COPY_LIMIT ? undefined : hostValues(x);
  x.origin = data ? { kind: "committed", data } : COMMITTED;
  return x;
}

/**
 * The device an operation on these arrays runs on, as JAX chooses it: that of
 * the committed operands (placed by devicePut or computed from such); without
 * any, that of the first computed operand, then of an array made from host
 * values. Everything else follows it (see `onDevice`). An operation on
 * constants alone (or on nothing) has no data to follow: it runs where new
 * data goes, the default device (JAX's rule for uncommitted values), not
 * where its constants happen to sit — a jaxpr literal's array is made on the
 * CPU, and a result computed there would otherwise pull the data it meets
 * next onto the CPU (`outAvals`, where known, keep float64 results off WebGPU).
 */
export function deviceOf(args: readonly Array[], outAvals: readonly ShapedArray[] = []): Backend {
  let best: Array | undefined;
  let bestRank = RANK.constant;
  for (const a of args) {
    const rank = RANK[a.origin.kind];
    if (rank < bestRank) {
      best = a;
      bestRank = rank;
      if (rank === 0) break;
    }
  }
  return best ? best.backend : defaultDeviceFor(args, outAvals);
}
const RANK: Record<Origin["kind"], number> = { committed: 0, computed: 1, host: 2, constant: 3 };

/** The default device, or the CPU where an operand or result has a dtype the default cannot hold (float64 on WebGPU). */
function defaultDeviceFor(args: readonly Array[], outAvals: readonly ShapedArray[]): Backend {
  const b = getBackend();
  for (const a of args) if (defaultBackendFor(a.dtype) !== b) return getBackend("cpu");
  for (const o of outAvals) if (defaultBackendFor(o.dtype) !== b) return getBackend("cpu");
  return b;
}
/**
 * An operand on `backend`. A constant is uploaded from its value; an
 * uncommitted array is copied over when its values can be had without
 * waiting (a CPU array, or a small array made from host data, which keeps
 * them); the copy is a new array the caller disposes. A committed array on
 * another device is an error that names the fix: moving committed data
 * between devices is never silent.
 */
export function onDevice(a: Array, backend: Backend): Array {
  if (a.backend === backend) return a;
  const where = `an operation mixes arrays on ${backend.name} and ${a.backend.name} (shape ${JSON.stringify(a.shape)})`;
  const o = a.origin;
  if (o.kind === "constant") return constant(o.value, a.aval, backend);
  if (o.kind === "committed") throw new BackendError(`${where}; both are committed to their devices: move one with devicePut(x, "${backend.name}") first`);
  const values = hostValues(a);
  if (!values) {
    throw new BackendError(`${where}; the ${a.backend.name} one would have to be read back first: \`await devicePutAsync(x, "${backend.name}")\``);
  }
  guardTransfer("deviceToDevice", `${where}; the uncommitted ${a.backend.name} one is copied to ${backend.name}`);
  return fromHost(values, a.aval, backend);
}

/**
 * Whether an operation only on values jaxon knows on the host (constants,
 * small arrays made from host data, or no operands at all: iota) should be
 * folded there. Only on a device that cannot be read synchronously: its
 * result keeps its host values, so it can still follow data to any device
 * (an `iota` that argsort makes next to CPU data, the basis a Jacobian builds).
 */
export function hostComputable(args: readonly Array[], outAvals: readonly ShapedArray[], target: Backend): boolean {
  if (target.syncReadable) return false;
  for (const a of args) {
    const k = a.origin.kind;
    if ((k !== "constant" && k !== "host") || a.size > HOST_FOLD_LIMIT) return false;
  }
  for (const o of outAvals) if (o.size > HOST_FOLD_LIMIT || o.dtype === "float64" || o.dtype === "complex128") return false;
  return true;
}

/** The CPU copies of host-known operands, for `runOnHost`; the caller disposes them. */
export function onHost(args: readonly Array[]): Array[] {
  const cpu = getBackend("cpu");
  return args.map((a) => fromHost(hostValues(a)!, a.aval, cpu));
}

/** Moves results computed on the CPU from host values to `target`; they keep their host values. */
export function fromHostResults(outs: Array[], target: Backend): Array[] {
  const cpu = getBackend("cpu");
  return outs.map((o) => {
    const moved = fromHost(cpu.readSync(o.buffer, storageDType(o.dtype), storageLength(o.dtype, o.size)), o.aval, target);
    o.dispose();
    return moved;
  });
}

/**
 * What results remember of their operands: computed from a committed array,
 * they are committed too (JAX's rule); a one-operand primitive that keeps a
 * constant a constant (a broadcast or reshape of the zeros a transformation
 * makes) passes the constant's value on, so its result can still follow the
 * data's device.
 */
export function settleOrigins(args: readonly Array[], outs: Array[], preservesConstant = false): Array[] {
  for (const a of args) {
    if (a.origin.kind === "committed") {
      for (const o of outs) o.origin = COMMITTED;
      return outs;
    }
  }
  if (preservesConstant && args.length === 1 && args[0].origin.kind === "constant") outs[0].origin = { kind: "constant", value: args[0].origin.value };
  return outs;
}

/**
 * Derivatives live where their primals live: a tangent or cotangent that came
 * out uncommitted (computed only from constants, e.g. the gradient of a mean)
 * is placed on the device of its committed primal and committed there, as
 * JAX does; otherwise it would land on the default device, away from the data.
 */
export function placeLikePrimals(derivs: Value[], primals: readonly Value[]): Value[] {
  return derivs.map((d, i) => {
    const p = primals[i];
    if (!(d instanceof Array) || !(p instanceof Array) || p.origin.kind !== "committed" || d.origin.kind === "committed") return d;
    return commit(d.backend === p.backend ? d : onDevice(d, p.backend));
  });
}

/** Shared scalar constants by device, type and value (at most SCALAR_LITERALS per device, then started afresh). */
const scalarLiterals = new Map<Backend, Map<string, Map<number, Array>>>();
let scalarLiteralCount = 0;
const SCALAR_LITERALS = 1024;
function scalarLiteral(value: number, aval: ShapedArray, backend: Backend): Array {
  if (scalarLiteralCount >= SCALAR_LITERALS) {
    scalarLiterals.clear();
    scalarLiteralCount = 0;
  }
  let byType = scalarLiterals.get(backend);
  if (!byType) scalarLiterals.set(backend, (byType = new Map()));
  // a Map's keys equate −0 with +0: −0 has a type entry of its own
  const type = Object.is(value, -0) ? aval.key + "-0" : aval.key;
  let byValue = byType.get(type);
  if (!byValue) byType.set(type, (byValue = new Map()));
  let a = byValue.get(value);
  if (!a) {
    byValue.set(value, (a = constant(value, aval, backend, true)));
    scalarLiteralCount++;
  }
  return a;
}

/** The arrays jaxpr literals stand for, one per literal and device, made once and shared (never disposed). */
const literalArrays = new WeakMap<object, Map<Backend, Array>>();
export function literalOn(lit: { readonly value: number; readonly aval: ShapedArray }, backend: Backend = getBackend("cpu")): Array {
  // a scalar literal by its value and type: eager transformations trace a new jaxpr (new literals) per call
  if (lit.aval.ndim === 0) return scalarLiteral(lit.value, lit.aval, backend);
  let byDevice = literalArrays.get(lit);
  if (!byDevice) literalArrays.set(lit, (byDevice = new Map()));
  let a = byDevice.get(backend);
  if (!a) byDevice.set(backend, (a = constant(lit.value, lit.aval, backend, true)));
  return a;
}

/**
 * Runs `f` on CPU copies of `args`, with the CPU as the default device
 * meanwhile, and puts its result back on `device`, committed there: for
 * samplers whose loops read their condition on the host, which a GPU cannot
 * give synchronously. The arguments' values must be known on the host (a
 * key or parameter made from host data); otherwise a typed error names the
 * async way.
 */
export function viaCpu(op: string, device: DeviceName, args: Value[], f: (...xs: Value[]) => Value): Value {
  const cpu = getBackend("cpu");
  const moved = args.map((a) => {
    if (!(a instanceof Array)) return a;
    const values = hostValues(a);
    if (!values) {
      throw new BackendError(`${op}: its loops run on the CPU, and ${a.aval} is on ${a.device}, which cannot be read synchronously; bring it over first with \`await devicePutAsync(x, "cpu")\``);
    }
    return commit(fromHost(values, a.aval, cpu));
  });
  const before = getBackend().name;
  setDefaultBackend("cpu");
  let out: Value;
  try {
    out = f(...moved);
  } finally {
    setDefaultBackend(before);
  }
  if (!(out instanceof Array)) return out;
  return commit(fromHost(out.dataSync(), out.aval, getBackend(device)));
}
