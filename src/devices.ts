/**
 * Devices: which backends exist, which one new arrays go to, and moving
 * arrays between them. The CPU backend is always there; WebGPU joins when
 * `init()` finds an adapter (a later issue).
 */
import { Array } from "./array.js";
import type { DeviceName } from "./backend/device.js";
import { getBackend, setDefaultBackend } from "./backend/device.js";
import "./backend/cpu/index.js";
import { memoryStats as cpuMemoryStats } from "./backend/cpu/memory.js";
import { cpuCompileCount } from "./backend/cpu/codegen.js";
import { wasmCompileCount } from "./backend/cpu/wasm/index.js";
import { jitStats } from "./transforms/jit.js";
import { BackendError } from "./errors.js";
import type { Value } from "./trace/core.js";

let current: DeviceName = "cpu";

/**
 * Probes the available backends and returns their names. The default device
 * stays `cpu` until a WebGPU backend exists.
 * @example
 * const devices = await init(); // ["cpu"]
 */
export async function init(): Promise<DeviceName[]> {
  return ["cpu"];
}

/**
 * Gets, or sets, the device new arrays are created on.
 * @example
 * defaultDevice(); // "cpu"
 */
export function defaultDevice(name?: DeviceName): DeviceName {
  if (name !== undefined) {
    if (name !== "cpu") throw new BackendError(`defaultDevice: the ${String(name)} device is not available; call init() and check what it returns`);
    current = name;
    setDefaultBackend(name);
  }
  return current;
}

/**
 * Copies an array to a device (a no-op when it is already there).
 * @example
 * const y = devicePut(np.ones([3]), "cpu");
 */
export function devicePut(x: Value, device: DeviceName): Array {
  if (!(x instanceof Array)) throw new BackendError("devicePut: needs a concrete array, not a traced value");
  if (x.device === device) return x;
  const target = getBackend(device);
  return new Array(x.aval, target.upload(x.dataSync(), x.dtype), target);
}

/**
 * Live and pooled device memory: on the CPU, the blocks of the shared
 * WebAssembly memory that hold arrays (small arrays are ordinary TypedArrays
 * and not counted).
 * @example
 * const { liveBuffers, liveBytes, pooledBytes } = memoryStats();
 */
export function memoryStats(device: DeviceName = current): { liveBuffers: number; liveBytes: number; pooledBytes: number } {
  if (device !== "cpu") throw new BackendError(`memoryStats: the ${String(device)} device is not available`);
  return cpuMemoryStats();
}

/**
 * How much tracing and compiling has happened: jit traces (one per new
 * signature of a jitted function) and kernels compiled by the CPU backend, to
 * JavaScript and to WebAssembly. Counts that keep growing in a loop mean
 * recompilation; `jitConfig.logCompiles = true` prints each trace's reason.
 * @example
 * const { traces, jsKernels, wasmKernels } = compileStats();
 */
export function compileStats(): { traces: number; jsKernels: number; wasmKernels: number } {
  return { traces: jitStats.traces, jsKernels: cpuCompileCount(), wasmKernels: wasmCompileCount() };
}
