/**
 * Devices: which backends exist, which one new arrays go to, and moving
 * arrays between them. The CPU backend is always there; WebGPU joins when
 * `init()` finds an adapter.
 */
import { Array } from "./array.js";
import type { DeviceName } from "./backend/device.js";
import { getBackend, registerBackend, setDefaultBackend } from "./backend/device.js";
import "./backend/cpu/index.js";
import { memoryStats as cpuMemoryStats } from "./backend/cpu/memory.js";
import { cpuCompileCount } from "./backend/cpu/codegen.js";
import { wasmCompileCount } from "./backend/cpu/wasm/index.js";
import { jitStats } from "./transforms/jit.js";
import { BackendError } from "./errors.js";
import type { Value } from "./trace/core.js";

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
      throw new BackendError(`defaultDevice: the ${String(name)} device is not available${why}; call init() and check what it returns`);
    }
    current = name;
    setDefaultBackend(name);
  }
  return current;
}

/**
 * Copies an array to a device (a no-op when it is already there) and commits
 * it there, as JAX's `device_put`: computations on it run on that device, and
 * uncommitted arrays (made by creation functions, or constants) follow it.
 * From a GPU to the CPU the copy has to wait for the GPU — use
 * `devicePutAsync` — unless the array was made from host values and is small
 * (jaxon keeps those values).
 * @example
 * const y = devicePut(np.ones([3]), "cpu");
 */
export function devicePut(x: Value, device: DeviceName): Array {
  if (!(x instanceof Array)) throw new BackendError("devicePut: needs a concrete array, not a traced value");
  x.assertAlive("devicePut");
  if (x.device === device) return commit(x);
  if (!available.has(device)) throw new BackendError(`devicePut: the ${device} device is not available; call init() and check what it returns`);
  const values = x.backend.syncReadable ? x.dataSync() : x.hostData;
  if (!values) {
    throw new BackendError(`devicePut: copying from ${x.device} to ${device} waits for the GPU; use \`await devicePutAsync(x, "${device}")\``);
  }
  const target = getBackend(device);
  return commit(new Array(x.aval, target.upload(values, x.dtype), target));
}

/** devicePut's result is committed to its device: computations on it stay there, and uncommitted arrays follow it. */
function commit(x: Array): Array {
  x.committed = true;
  return x;
}

/**
 * Copies an array to a device, waiting for the GPU when the data comes from one.
 * @example
 * const y = await devicePutAsync(np.ones([3]), "cpu");
 */
export async function devicePutAsync(x: Value, device: DeviceName): Promise<Array> {
  if (!(x instanceof Array)) throw new BackendError("devicePutAsync: needs a concrete array, not a traced value");
  x.assertAlive("devicePutAsync");
  if (x.device === device) return commit(x);
  if (!available.has(device)) throw new BackendError(`devicePutAsync: the ${device} device is not available; call init() and check what it returns`);
  const target = getBackend(device);
  return commit(new Array(x.aval, target.upload(await x.data(), x.dtype), target));
}

/**
 * Live and pooled device memory. On the CPU: the blocks of the shared
 * WebAssembly memory that hold arrays (small arrays are ordinary TypedArrays
 * and not counted). On WebGPU: the storage buffers of live arrays and the pool.
 * @example
 * const { liveBuffers, liveBytes, pooledBytes } = memoryStats("cpu");
 */
export function memoryStats(device: DeviceName = current): { liveBuffers: number; liveBytes: number; pooledBytes: number } {
  if (!available.has(device)) throw new BackendError(`memoryStats: the ${String(device)} device is not available`);
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
