/**
 * Helpers for tests that run on both devices: the WebGPU probe (skip with a
 * printed reason, or fail under JAXON_REQUIRE_WEBGPU), the same data on both
 * devices, and running a CPU reference with the CPU as the default device
 * (the arrays jaxon makes itself — zeros, iotas, a gradient's seed — go to
 * the default device, so a CPU reference must not leave it on webgpu).
 */
import { Array, defaultDevice, devicePut, init } from "../src/index.js";
import { getBackend } from "../src/backend/device.js";
import { allocate, type DType } from "../src/dtype.js";

/** Probes WebGPU once per test file; says why its tests are skipped when there is no adapter. */
export async function probeWebGPU(file: string): Promise<boolean> {
  // the suite runs on whatever adapter there is, lavapipe in CI: a software adapter is asked for
  const devices = await init({ allowSoftwareAdapter: true });
  const hasGpu = devices.includes("webgpu");
  if (!hasGpu && process.env.JAXON_REQUIRE_WEBGPU) {
    throw new Error(`${file}: JAXON_REQUIRE_WEBGPU is set but init() found no WebGPU adapter (${devices.reason})`);
  }
  if (!hasGpu) console.warn(`${file}: skipped — init() found no WebGPU adapter (${devices.reason}); the CPU suite still ran`);
  else if (devices.device !== "webgpu") throw new Error(`${file}: init({ allowSoftwareAdapter: true }) left ${devices.device} the default (${devices.reason})`);
  return hasGpu;
}

/** The same data as a CPU array and a WebGPU array. */
export function onBothDevices(values: readonly number[], shape: readonly number[], dtype: DType = "float32"): { c: Array; g: Array } {
  const typed = allocate(dtype, values.length);
  values.forEach((v, i) => (typed[i] = v));
  const c = Array.fromTyped(typed, shape, dtype, false, getBackend("cpu"));
  return { c, g: devicePut(c, "webgpu") };
}

/** Runs `f` with the CPU as the default device. */
export function onCpu<T>(f: () => T): T {
  defaultDevice("cpu");
  try {
    return f();
  } finally {
    defaultDevice("webgpu");
  }
}

/** `onCpu` for an async reference: the CPU stays the default until it settles. */
export async function onCpuAsync<T>(f: () => T | Promise<T>): Promise<T> {
  defaultDevice("cpu");
  try {
    return await f();
  } finally {
    defaultDevice("webgpu");
  }
}
