/// <reference types="@webgpu/types" />
/**
 * Finding a WebGPU device: the browser's `navigator.gpu`, or in Node the
 * `webgpu` package (Dawn). Says why when there is none. In Node the device is
 * destroyed before the process exits, since Dawn may abort in its teardown
 * otherwise (DESIGN.md §5).
 */
import { BackendError } from "../../errors.js";
import { installCollector, resetPool } from "./buffers.js";
import { setDevice } from "./context.js";

export type Probe = { ok: true; device: GPUDevice; adapterName: string } | { ok: false; reason: string };

async function findGpu(): Promise<{ gpu: GPU } | { reason: string }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu };
  if (typeof process === "undefined" || !process.versions?.node) return { reason: "this browser has no navigator.gpu" };
  try {
    // a variable specifier: bundlers for the browser must not try to resolve this Node-only package
    const name = "webgpu";
    const mod = (await import(/* @vite-ignore */ name)) as { create(flags: string[]): GPU; globals: object };
    Object.assign(globalThis, mod.globals);
    return { gpu: mod.create([]) };
  } catch (e) {
    return { reason: `the \`webgpu\` package could not be loaded (${(e as Error).message.split("\n")[0]}); npm install webgpu` };
  }
}

let exitHookInstalled = false;
/**
 * The GPU object and adapter stay referenced for the device's life: in Node,
 * collecting the `GPU` object frees Dawn's instance under the live device
 * (seen as crashes in Dawn's event processing).
 */
const keepAlive: unknown[] = [];

export async function probeWebGPU(): Promise<Probe> {
  const found = await findGpu();
  if ("reason" in found) return { ok: false, reason: found.reason };
  let adapter: GPUAdapter | null;
  try {
    adapter = await found.gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    return { ok: false, reason: `requestAdapter failed: ${(e as Error).message}` };
  }
  keepAlive.push(found.gpu, adapter);
  if (!adapter) {
    return {
      ok: false,
      reason: "no WebGPU adapter (no GPU driver; on Linux without a GPU install Mesa's lavapipe ≥ 24: mesa-vulkan-drivers)",
    };
  }
  // more storage buffers per kernel than the default 8 (fused kernels read many inputs) and the largest buffers
  const want = (name: keyof GPUSupportedLimits) => adapter!.limits[name] as number;
  const requiredLimits: Record<string, number> = {
    maxStorageBuffersPerShaderStage: want("maxStorageBuffersPerShaderStage"),
    maxStorageBufferBindingSize: want("maxStorageBufferBindingSize"),
    maxBufferSize: want("maxBufferSize"),
  };
  let device: GPUDevice;
  try {
    // timestamps for device-time profiling (context.ts) and 2-byte float16 storage (half.ts), where the adapter has them
    const requiredFeatures = (["timestamp-query", "shader-f16"] as const).filter((f) => adapter!.features.has(f));
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  } catch (e) {
    return { ok: false, reason: `requestDevice failed: ${(e as Error).message}` };
  }
  await installCollector();
  resetPool();
  setDevice(device);
  device.addEventListener("uncapturederror", (ev) => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    console.error(new BackendError(`webgpu: ${err.message}`).message);
  });
  void device.lost.then((info) => {
    if (info.reason !== "destroyed") console.error(`jaxon: the WebGPU device was lost (${info.message}); call init() again`);
  });
  if (!exitHookInstalled && typeof process !== "undefined" && typeof process.on === "function") {
    exitHookInstalled = true;
    process.on("exit", () => {
      try {
        device.destroy();
      } catch {
        // already gone
      }
    });
  }
  const info = (adapter as { info?: { vendor?: string; architecture?: string; description?: string } }).info;
  const adapterName = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(" ") || "unknown adapter";
  return { ok: true, device, adapterName };
}
