/**
 * Devices: which backends exist, which one new arrays go to, and moving
 * arrays between them. The CPU backend is always there; WebGPU joins when
 * `init()` finds an adapter.
 */
import { describe, optionsArg } from "./static-args.js";
import { Array, startHostCopy } from "./array.js";
import { array as npArray, type ArrayInput } from "./numpy/creation.js";
import { ShapeError } from "./errors.js";
import { commit, hostValues } from "./runtime/index.js";
import { explicitly } from "./runtime/transfer-guard.js";
import type { DeviceName } from "./backend/device.js";
import { getBackend, registerBackend, setDefaultBackend } from "./backend/device.js";
import "./backend/cpu/index.js";
import { memoryStats as cpuMemoryStats } from "./backend/cpu/memory.js";
import { cpuCompileCount } from "./backend/cpu/codegen.js";
import { wasmCompileCount } from "./backend/cpu/wasm/index.js";
import { jitStats } from "./transforms/jit.js";
import { ArgumentError, BackendError } from "./errors.js";
import type { Value } from "./trace/core.js";
import { Tracer } from "./trace/core.js";
import { flatten, treeMap, unflatten } from "./trace/pytree.js";
import { allocate, storageDType } from "./dtype.js";

/** jaxon's version, as JAX's `jax.__version__` (kept equal to package.json's by test/top-level-config.test.ts). */
export const version = "0.1.0";

let current: DeviceName = "cpu";
const available = new Set<DeviceName>(["cpu"]);
/** What the one WebGPU probe found. */
type Found = { ok: true; adapterName: string; software: boolean } | { ok: false; reason: string };
let probed: Promise<Found> | null = null;
/** Why WebGPU is not available (after init), for messages. */
let webgpuMissing = "init() has not been called";
/** A software adapter was found and left alone: a later `init({ allowSoftwareAdapter: true })` may still pick it. */
let softwareDeclined = false;

export interface InitOptions {
  /**
   * Let a software WebGPU adapter (Mesa's lavapipe, SwiftShader, any adapter
   * that says `isFallbackAdapter`) become the default device. Off by
   * default: such an adapter runs shaders on the CPU, many times slower than
   * jaxon's own CPU backend. The device is made either way, so
   * `defaultDevice("webgpu")` or `devicePut(x, "webgpu")` still use it.
   */
  allowSoftwareAdapter?: boolean;
  /** Print one line saying which device is the default and why (also: the environment variable JAXON_VERBOSE=1). */
  verbose?: boolean;
  /** Print nothing: the default since init() prints only when `verbose`; kept so that older calls still type-check. */
  quiet?: boolean;
  /** Do not probe WebGPU: stay on the CPU. */
  cpuOnly?: boolean;
  /**
   * In Node, jaxon sets two V8 flags (`--expose-gc`,
   * `--harmony-weak-refs-with-cleanup-some`) when the first array goes to
   * WebGPU, so that loops that never await still run in bounded device
   * memory (see the memory guide). `false` (or JAXON_GC_HOOKS=0) leaves V8's
   * flags alone; device memory is then returned when the event loop turns.
   * Browsers have no such hooks; nothing of it is in the browser build.
   */
  gcHooks?: boolean;
}

/** What `init()` returns: the available devices, and which one it made the default and why. */
export type InitResult = DeviceName[] & {
  /** The default device after this call. */
  readonly device: DeviceName;
  /** Why that one: the adapter found, or why WebGPU was not used. */
  readonly reason: string;
};

/**
 * Probes the available backends and returns their names, with the device it
 * made the default and why (`.device`, `.reason`). WebGPU becomes the default
 * on a hardware adapter; a software one (lavapipe, SwiftShader) only with
 * `allowSoftwareAdapter: true`, though it is listed and
 * `defaultDevice("webgpu")` uses it. Prints nothing unless `verbose` (or
 * JAXON_VERBOSE=1). The probe runs once; a later call reuses it, and may
 * still turn to a software adapter that an earlier call left alone.
 * @example
 * const devices = await init({ cpuOnly: true }); // ["cpu"]
 * devices.device; // "cpu"
 * devices.reason; // "init({ cpuOnly: true })"
 */
export async function init(options: InitOptions = {}): Promise<InitResult> {
  options = optionsArg("init", options);
  const verbose = options.verbose === true || envFlag("JAXON_VERBOSE");
  if (options.cpuOnly && !probed) return report(result("cpu", "init({ cpuOnly: true })"), verbose);
  probed ??= (async (): Promise<Found> => {
    const { probeWebGPU } = await import("./backend/webgpu/adapter.js");
    const probe = await probeWebGPU({ gcHooks: options.gcHooks !== false });
    if (!probe.ok) {
      webgpuMissing = probe.reason;
      return probe;
    }
    const { webgpuBackend, webgpuCompileCount } = await import("./backend/webgpu/index.js");
    const { gpuMemoryStats } = await import("./backend/webgpu/buffers.js");
    webgpuStats = gpuMemoryStats;
    webgpuKernels = webgpuCompileCount;
    registerBackend(webgpuBackend);
    available.add("webgpu");
    webgpuAdapter = `${probe.adapterName}${probe.software ? " (software)" : ""}`;
    return { ok: true, adapterName: probe.adapterName, software: probe.software };
  })();
  const first = !settled;
  const found = await probed;
  settled = true;
  if (!found.ok) return report(result(current, `no WebGPU: ${found.reason}`), verbose);
  if (found.software && !options.allowSoftwareAdapter) {
    if (first) softwareDeclined = true;
    const why =
      `the WebGPU adapter is a software one (${found.adapterName}), slower than jaxon's own CPU backend; ` +
      `init({ allowSoftwareAdapter: true }) or defaultDevice("webgpu") uses it anyway`;
    return report(result(current, current === "webgpu" ? `webgpu, chosen before: ${found.adapterName}` : why), verbose);
  }
  // a later call switches only where an earlier one declined the software adapter, never over a user's choice
  if (first || softwareDeclined) {
    softwareDeclined = false;
    defaultDevice("webgpu");
  }
  const what = found.software ? `software adapter ${found.adapterName} (allowSoftwareAdapter)` : `adapter ${found.adapterName}`;
  return report(result(current, current === "webgpu" ? `WebGPU ${what}` : `${current}, chosen before; WebGPU ${what} is available`), verbose);
}
/** The WebGPU adapter init() found, for printEnvironmentInfo. */
let webgpuAdapter: string | null = null;
/** Whether one init() has finished its probe (the first decides the default device). */
let settled = false;

function result(device: DeviceName, reason: string): InitResult {
  return Object.assign([...available], { device, reason });
}

function report(r: InitResult, verbose: boolean): InitResult {
  if (verbose) console.info(`jaxon: default device ${r.device}: ${r.reason}`);
  return r;
}

function envFlag(name: string): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.[name];
  return v !== undefined && v !== "" && v !== "0" && v !== "false";
}

/**
 * Gets, or sets, the device new arrays are created on.
 * @example
 * defaultDevice(); // "cpu"
 */
export function defaultDevice(name?: DeviceName): DeviceName {
  if (name !== undefined) {
    if (!available.has(name)) {
      const why = name === "webgpu" ? ` (${webgpuMissing})` : "";
      throw new BackendError(`defaultDevice: the ${describe(name)} device is not available${why}; call init() and check what it returns`);
    }
    current = name;
    setDefaultBackend(name);
  }
  return current;
}

/**
 * Puts every array of a pytree on a device, as JAX's `device_put`. With a
 * device: each array is copied there (a no-op where it already is) and
 * committed, so computations on it run there and uncommitted arrays follow
 * it. Without one: arrays stay where they are, uncommitted, and JS numbers
 * and booleans become arrays on the default device (weakly typed numbers, as
 * JAX's). From a GPU to the CPU the copy has to wait for the GPU — use
 * `devicePutAsync` — unless the array was made from host values and is small
 * (jaxon keeps those values).
 * @example
 * const y = devicePut(np.ones([3]), "cpu");
 * const params = devicePut({ w: np.zeros([2]), b: 0 }); // b becomes an array
 */
export function devicePut(x: Value | number | boolean, device?: DeviceName): Array;
export function devicePut<T>(x: T, device?: DeviceName): T;
export function devicePut(x: unknown, device?: DeviceName): unknown {
  const target = targetDevice("devicePut", device);
  return treeMap((leaf: unknown) => putLeaf("devicePut", leaf, target, (a) => {
    const values = hostValues(a);
    if (!values) {
      throw new BackendError(`devicePut: copying from ${a.device} to ${target} waits for the GPU; use \`await devicePutAsync(x, "${target}")\``);
    }
    return values;
  }), x);
}

/**
 * As `devicePut`, waiting for the GPU when data comes from one.
 * @example
 * const y = await devicePutAsync(np.ones([3]), "cpu");
 */
export async function devicePutAsync(x: Value | number | boolean, device?: DeviceName): Promise<Array>;
export async function devicePutAsync<T>(x: T, device?: DeviceName): Promise<T>;
export async function devicePutAsync(x: unknown, device?: DeviceName): Promise<unknown> {
  const target = targetDevice("devicePutAsync", device);
  const [leaves, def] = flatten(x);
  // read every leaf that must move first, then place them all
  const values = await Promise.all(explicitly(() => leaves.map((l) => (l instanceof Array && device !== undefined && l.device !== target ? l.data() : undefined))));
  return unflatten(def, leaves.map((l, i) => putLeaf("devicePutAsync", l, target, () => values[i]!, device === undefined)));
}

function targetDevice(op: string, device: DeviceName | undefined): DeviceName {
  if (device === undefined) return current;
  if (!available.has(device)) throw new BackendError(`${op}: the ${describe(device)} device is not available; call init() and check what it returns`);
  return device;
}

/** One leaf of devicePut: an array moved and committed (or left alone without a device), a JS number made an array. */
function putLeaf(op: string, leaf: unknown, target: DeviceName, values: (a: Array) => ArrayLikeData, noDevice = false): unknown {
  if (typeof leaf === "number" || typeof leaf === "boolean") {
    const dtype = typeof leaf === "boolean" ? "bool" : Number.isInteger(leaf) ? "int32" : "float32";
    const data = allocate(dtype, 1);
    data[0] = typeof leaf === "boolean" ? (leaf ? 1 : 0) : leaf;
    return Array.fromTyped(data, [], dtype, typeof leaf === "number", getBackend(target));
  }
  if (leaf instanceof Tracer) throw new BackendError(`${op}: needs concrete arrays, not a traced value (${leaf.aval}); place arrays before the transformation`);
  if (!(leaf instanceof Array)) throw new ArgumentError(`${op}: a leaf of the tree is ${describe(leaf)}; only arrays, numbers and booleans can be put on a device`);
  leaf.assertAlive(op);
  if (noDevice || leaf.device === target) return noDevice ? leaf : commit(leaf);
  const backend = getBackend(target);
  return commit(new Array(leaf.aval, backend.upload(values(leaf), storageDType(leaf.dtype)), backend));
}
type ArrayLikeData = ReturnType<Array["dataSync"]>;


/**
 * Live and pooled device memory. On the CPU: the blocks of the shared
 * WebAssembly memory that hold arrays (small arrays are ordinary TypedArrays
 * and not counted). On WebGPU: the storage buffers of live arrays and the pool.
 * @example
 * const { liveBuffers, liveBytes, pooledBytes } = memoryStats("cpu");
 */
export function memoryStats(device: DeviceName = current): { liveBuffers: number; liveBytes: number; pooledBytes: number } {
  if (!available.has(device)) throw new BackendError(`memoryStats: the ${describe(device)} device is not available`);
  if (device === "webgpu") return webgpuStats!();
  return cpuMemoryStats();
}

// the WebGPU backend's counters, once init() has loaded it
let webgpuStats: (() => { liveBuffers: number; liveBytes: number; pooledBytes: number }) | null = null;
let webgpuKernels: (() => number) | null = null;

/**
 * How much tracing and compiling has happened: jit traces (one per new
 * signature of a jitted function) and kernels compiled by the CPU backend, to
 * JavaScript and to WebAssembly, and by WebGPU to WGSL. Counts that keep growing in a loop mean
 * recompilation; `jitConfig.logCompiles = true` prints each trace's reason.
 * @example
 * const { traces, jsKernels, wasmKernels } = compileStats();
 */
export function compileStats(): { traces: number; jsKernels: number; wasmKernels: number; wgslKernels: number } {
  return { traces: jitStats.traces, jsKernels: cpuCompileCount(), wasmKernels: wasmCompileCount(), wgslKernels: webgpuKernels?.() ?? 0 };
}

// ---- issue 16 (breadth2): JAX's device queries. jaxon has one device per backend and one process. ----

function backendArg(op: string, backend: unknown): DeviceName {
  if (backend === undefined) return current;
  if (backend !== "cpu" && backend !== "webgpu") throw new ArgumentError(`${op}: backend must be "cpu" or "webgpu", got ${describe(backend)}`);
  if (!available.has(backend)) {
    const why = backend === "webgpu" ? ` (${webgpuMissing})` : "";
    throw new BackendError(`${op}: the ${backend} backend is not available${why}; call init() and check what it returns`);
  }
  return backend;
}

/**
 * The devices of a backend (default: the default device's), as JAX's
 * `jax.devices`: jaxon has one device per backend, named by its backend.
 * An unavailable backend is a BackendError (call `init()` first for WebGPU).
 * @example
 * import { devices } from "jaxon-ts";
 * devices(); // ["cpu"]
 * devices("cpu"); // ["cpu"]
 */
export function devices(backend?: DeviceName): DeviceName[] {
  return [backendArg("devices", backend)];
}

/**
 * The devices this process drives, as JAX's `jax.local_devices`: the same as
 * `devices(backend)` (jaxon runs as one process; `processIndex` must be 0).
 * @example
 * import { localDevices } from "jaxon-ts";
 * localDevices(); // ["cpu"]
 */
export function localDevices(processIndex?: number, backend?: DeviceName): DeviceName[] {
  if (processIndex !== undefined && processIndex !== 0) throw new ArgumentError(`localDevices: processIndex must be 0 (jaxon runs as one process), got ${describe(processIndex)}`);
  return [backendArg("localDevices", backend)];
}

/**
 * How many devices a backend has (default: the default device's), as JAX's `jax.device_count`: 1.
 * @example
 * import { deviceCount } from "jaxon-ts";
 * deviceCount(); // 1
 */
export function deviceCount(backend?: DeviceName): number {
  return devices(backend).length;
}

/**
 * How many devices this process drives, as JAX's `jax.local_device_count`: 1.
 * @example
 * import { localDeviceCount } from "jaxon-ts";
 * localDeviceCount(); // 1
 */
export function localDeviceCount(backend?: DeviceName): number {
  return [backendArg("localDeviceCount", backend)].length;
}

/**
 * The backend new arrays go to, as JAX's `jax.default_backend`: "cpu", or
 * "webgpu" once `init()` made it the default (the same as `defaultDevice()`).
 * @example
 * import { defaultBackend } from "jaxon-ts";
 * defaultBackend(); // "cpu"
 */
export function defaultBackend(): DeviceName {
  return current;
}

/**
 * How many processes the computation spans, as JAX's `jax.process_count`: jaxon runs as one, so 1.
 * @example
 * import { processCount } from "jaxon-ts";
 * processCount(); // 1
 */
export function processCount(): number {
  return 1;
}

/**
 * This process's index among `processCount()`, as JAX's `jax.process_index`: 0.
 * @example
 * import { processIndex } from "jaxon-ts";
 * processIndex(); // 0
 */
export function processIndex(): number {
  return 0;
}

/**
 * The indices of the processes the computation spans, as JAX's `jax.process_indices`: [0].
 * @example
 * import { processIndices } from "jaxon-ts";
 * processIndices(); // [0]
 */
export function processIndices(): number[] {
  return [0];
}

/**
 * How many hosts (processes) the computation spans, as JAX's `jax.host_count`
 * (the older name of `processCount`): 1.
 * @example
 * import { hostCount } from "jaxon-ts";
 * hostCount(); // 1
 */
export function hostCount(): number {
  return processCount();
}

/**
 * This host's index, as JAX's `jax.host_id` (the older name of `processIndex`): 0.
 * @example
 * import { hostId } from "jaxon-ts";
 * hostId(); // 0
 */
export function hostId(): number {
  return processIndex();
}

/**
 * The indices of the hosts, as JAX's `jax.host_ids` (the older name of `processIndices`): [0].
 * @example
 * import { hostIds } from "jaxon-ts";
 * hostIds(); // [0]
 */
export function hostIds(): number[] {
  return processIndices();
}

/**
 * Prints what jaxon runs on, as JAX's `jax.print_environment_info()`: jaxon's
 * version, the JavaScript runtime (Node's version and platform, or the
 * browser's user agent), the backends available with the default one, the
 * WebGPU adapter `init()` found (or why there is none), and the device and
 * process counts. With `returnString: true` it returns the text instead of
 * printing it (as JAX's `return_string=True`).
 * @example
 * import { printEnvironmentInfo } from "jaxon-ts";
 * const info = printEnvironmentInfo(true);
 * info.startsWith("jaxon:"); // true
 */
export function printEnvironmentInfo(returnString: true): string;
export function printEnvironmentInfo(returnString?: false): undefined;
export function printEnvironmentInfo(returnString = false): string | undefined {
  if (typeof returnString !== "boolean") throw new ArgumentError(`printEnvironmentInfo: returnString must be true or false, got ${describe(returnString)}`);
  const proc = (globalThis as { process?: { version?: string; platform?: string; arch?: string } }).process;
  const nav = (globalThis as { navigator?: { userAgent?: string } }).navigator;
  const js = proc?.version ? `Node ${proc.version} (${proc.platform ?? "?"} ${proc.arch ?? "?"})` : (nav?.userAgent ?? "unknown");
  const lines = [
    `jaxon:    ${version}`,
    `runtime:  ${js}`,
    `backends: ${[...available].join(", ")} (default: ${current})`,
    `webgpu:   ${webgpuAdapter ?? `not available (${webgpuMissing})`}`,
    `devices:  ${[...available].map((d) => `${d}: 1`).join(", ")}`,
    `process_count: ${processCount()}`,
  ];
  const text = lines.join("\n");
  if (returnString) return text;
  console.log(text);
  return undefined;
}

/**
 * Starts copying every array of `tree` to the host now, as JAX's
 * `jax.copy_to_host_async`: a later `await x.data()` (or `array()`,
 * `item()`, `deviceGetAsync`) of each finds its values already on the way
 * instead of starting the copy then. Useful to overlap the transfer of
 * results with other work on WebGPU; on the CPU (read synchronously) there is
 * nothing to start. Non-array leaves are ignored; a traced value is an error.
 * Returns nothing, as JAX's.
 * @example
 * import { copyToHostAsync, np } from "jaxon-ts";
 * const y = np.arange(3).mul(2);
 * copyToHostAsync(y); // the copy starts now
 * // ... other work ...
 * await y.array(); // [0, 2, 4]
 */
export function copyToHostAsync(tree: unknown): void {
  const [leaves] = flatten(tree);
  for (const l of leaves) {
    if (l instanceof Tracer) throw new BackendError(`copyToHostAsync: needs concrete arrays, not a traced value (${l.aval}); copy the transformed function's result instead`);
    if (l instanceof Array) startHostCopy(l);
  }
}

/**
 * Makes an array from a callback that gives the data of each device's shard,
 * as JAX's `jax.make_array_from_callback(shape, sharding, data_callback)`.
 * jaxon has one device per backend, so the callback is called once, with the
 * index of the whole array: one `[start, stop]` pair per axis (JAX passes a
 * tuple of slices). It returns the data: nested JS numbers, a TypedArray
 * (flat, in row-major order), or an array. `sharding` is the device the
 * array goes to (undefined: the default device); `dtype` as in `np.array`
 * (float32 for JS numbers by default); given a device, the array is
 * committed to it (as `devicePut`). A result of another shape is a ShapeError.
 * @example
 * import { makeArrayFromCallback } from "jaxon-ts";
 * const x = makeArrayFromCallback([2, 3], undefined, (index) => {
 *   // index: [[0, 2], [0, 3]]
 *   return [[0, 1, 2], [3, 4, 5]];
 * });
 * x.arraySync(); // [[0, 1, 2], [3, 4, 5]]
 */
export function makeArrayFromCallback(
  shape: readonly number[],
  sharding: DeviceName | undefined,
  dataCallback: (index: [number, number][]) => ArrayInput,
  options: { dtype?: import("./dtype.js").DType } = {},
): Array {
  const op = "makeArrayFromCallback";
  if (!globalThis.Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`${op}: shape must be a list of non-negative integers, got ${describe(shape)}`);
  }
  if (typeof dataCallback !== "function") throw new ArgumentError(`${op}: dataCallback must be a function of the index, got ${describe(dataCallback)}`);
  options = optionsArg(op, options);
  const target = targetDevice(op, sharding);
  const index = shape.map((d): [number, number] => [0, d]);
  const data = dataCallback(index);
  if (data instanceof Tracer) throw new BackendError(`${op}: the callback returned a traced value (${data.aval}); it must return concrete data`);
  let x = explicitly(() => npArray(data, options)) as Array;
  // a TypedArray is the flat data, row-major
  if (ArrayBuffer.isView(data) && x.size === shape.reduce((a, b) => a * b, 1)) x = x.reshape([...shape]) as Array;
  if (x.shape.length !== shape.length || x.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${op}: the callback's data has shape [${x.shape.join(", ")}] but the array's shape is [${shape.join(", ")}]; return the data of the index it is given`);
  }
  // a sharding given places (and commits) the array there, as JAX's
  return sharding === undefined ? x : (devicePut(x, target) as Array);
}
