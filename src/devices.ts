/**
 * Devices: which backends exist, which one new arrays go to, and moving
 * arrays between them. The CPU backend is always there; WebGPU joins when
 * `init()` finds an adapter.
 */
import { describe, optionsArg } from "./static-args.js";
import { Array } from "./array.js";
import { commit, hostValues } from "./runtime/index.js";
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
import { allocate } from "./dtype.js";

let current: DeviceName = "cpu";
const available = new Set<DeviceName>(["cpu"]);
let probed: Promise<DeviceName[]> | null = null;
/** Why WebGPU is not available (after init), for messages. */
let webgpuMissing = "init() has not been called";

export interface InitOptions {
  /** Skip the one line that says which device is the default and why. */
  quiet?: boolean;
  /** Do not probe WebGPU: stay on the CPU. */
  cpuOnly?: boolean;
}

/**
 * Probes the available backends and returns their names. After it the
 * default device is `webgpu` when an adapter was found, else `cpu`; one line
 * says which and why. Calling it again returns the first answer.
 * @example
 * const devices = await init({ quiet: true, cpuOnly: true }); // ["cpu"]
 */
export async function init(options: InitOptions = {}): Promise<DeviceName[]> {
  options = optionsArg("init", options);
  if (options.cpuOnly && !probed) return ["cpu"];
  probed ??= (async () => {
    const { probeWebGPU } = await import("./backend/webgpu/adapter.js");
    const probe = await probeWebGPU();
    if (probe.ok) {
      const { webgpuBackend, webgpuCompileCount } = await import("./backend/webgpu/index.js");
      const { gpuMemoryStats } = await import("./backend/webgpu/buffers.js");
      webgpuStats = gpuMemoryStats;
      webgpuKernels = webgpuCompileCount;
      registerBackend(webgpuBackend);
      available.add("webgpu");
      defaultDevice("webgpu");
      if (!options.quiet) console.info(`jaxon: default device webgpu (${probe.adapterName})`);
    } else {
      webgpuMissing = probe.reason;
      if (!options.quiet) console.info(`jaxon: default device cpu: ${probe.reason}`);
    }
    return [...available];
  })();
  return probed;
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
  const values = await Promise.all(leaves.map((l) => (l instanceof Array && device !== undefined && l.device !== target ? l.data() : undefined)));
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
  return commit(new Array(leaf.aval, backend.upload(values(leaf), leaf.dtype), backend));
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
