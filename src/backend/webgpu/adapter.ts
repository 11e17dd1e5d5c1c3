/// <reference types="@webgpu/types" />
/**
 * Finding a WebGPU device: the browser's `navigator.gpu`, or in Node the
 * `webgpu` package (Dawn). Says why when there is none. In Node the device is
 * destroyed before the process exits, since Dawn may abort in its teardown
 * otherwise (DESIGN.md §5).
 */
import { BackendError } from "../../errors.js";
import { prepareCollector, resetPool } from "./buffers.js";
import { setDevice } from "./context.js";
import { importWebGPUPackage, nodeBuiltin, nodeHost } from "../../host/node.js";

/** `software`: the adapter runs shaders on the CPU (lavapipe, SwiftShader), by its own word or by its name. */
export type Probe = { ok: true; device: GPUDevice; adapterName: string; software: boolean } | { ok: false; reason: string };

async function findGpu(): Promise<{ gpu: GPU } | { reason: string }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu };
  if (!nodeHost || typeof process === "undefined" || !process.versions?.node) return { reason: "this browser has no navigator.gpu" };
  try {
    const mod = await importWebGPUPackage();
    Object.assign(globalThis, mod.globals);
    return { gpu: mod.create([]) };
  } catch (e) {
    return { reason: `the \`webgpu\` package could not be loaded (${(e as Error).message.split("\n")[0]}); npm install webgpu` };
  }
}

/** The limits jaxon raises to the adapter's own values (every other one stays at WebGPU's default). */
const REQUESTED_LIMITS = [
  "maxStorageBuffersPerShaderStage",
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupsPerDimension",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxBindingsPerBindGroup",
  // (an alignment is better when smaller: chunks of large arrays bind sub-ranges at these offsets)
  "minStorageBufferOffsetAlignment",
] as const;

/**
 * Runs `start` with the process's stderr (fd 2) pointed at /dev/null, in Node
 * on Linux. Dawn prints warnings from native code straight to fd 2 while it
 * enumerates adapters (on lavapipe: "maxDynamicUniformBuffersPerPipelineLayout
 * artificially reduced…"), which no `create()` option, toggle or requested
 * limit avoids; they are about Dawn's internals, not the user's program. The
 * printing happens synchronously inside the `requestAdapter()` call (checked:
 * once per instance, before the call returns its promise), so the swap lasts
 * only that synchronous call and no JavaScript of the user's runs while fd 2
 * is redirected. Anything unexpected (no /proc, fd 2 a socket, a descriptor
 * other than 2 handed back) leaves stderr as it was and lets the warning
 * through. JAXON_DAWN_WARNINGS=1 keeps them.
 */
function quietly<T>(start: () => T): T {
  const proc = typeof process !== "undefined" ? process : undefined;
  if (!proc?.versions?.node || proc.platform !== "linux" || proc.env?.JAXON_DAWN_WARNINGS === "1") return start();
  const fs = nodeFs();
  // descriptors are handed out lowest first: the swap relies on 0 and 1 being taken
  if (!fs || !isOpen(fs, 0) || !isOpen(fs, 1) || !isOpen(fs, 2)) return start();
  let saved = -1;
  try {
    // a second descriptor for whatever fd 2 is (a terminal, a pipe, a file: appended to)
    saved = fs.openSync("/proc/self/fd/2", "a");
  } catch {
    return start();
  }
  let swapped = false;
  try {
    fs.closeSync(2);
    const nul = fs.openSync("/dev/null", "w"); // the lowest free descriptor: 2
    swapped = nul === 2;
    if (!swapped) fs.closeSync(nul);
  } catch {
    // fall through to the restore below
  }
  try {
    return start();
  } finally {
    try {
      if (swapped) fs.closeSync(2);
      if (swapped || !isOpen(fs, 2)) fs.openSync(`/proc/self/fd/${saved}`, "a"); // back on descriptor 2
    } finally {
      fs.closeSync(saved);
    }
  }
}

type NodeFs = { openSync(path: string, flags: string): number; closeSync(fd: number): void; fstatSync(fd: number): unknown };

function isOpen(fs: NodeFs, fd: number): boolean {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** node:fs, synchronously, where `process.getBuiltinModule` exists (Node ≥ 20.16); else null (warnings stay). */
function nodeFs(): NodeFs | null {
  return nodeBuiltin<NodeFs>("node:fs");
}

let exitHookInstalled = false;
/**
 * The GPU object and adapter stay referenced for the device's life: in Node,
 * collecting the `GPU` object frees Dawn's instance under the live device
 * (seen as crashes in Dawn's event processing).
 */
const keepAlive: unknown[] = [];

/** `gcHooks: false` keeps V8's flags as they are (see buffers.ts). */
export async function probeWebGPU(options: { gcHooks?: boolean } = {}): Promise<Probe> {
  const gcHooks = options.gcHooks !== false;
  const found = await findGpu();
  if ("reason" in found) return { ok: false, reason: found.reason };
  let adapter: GPUAdapter | null;
  try {
    adapter = await quietly(() => found.gpu.requestAdapter({ powerPreference: "high-performance" }));
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
  // the adapter's own limits, not WebGPU's defaults: fused kernels read many inputs, large arrays need
  // the largest buffers and bindings, long kernels the largest grids. What a kernel may use is then
  // checked against `device.limits` before anything is allocated or dispatched (context.ts, buffers.ts).
  const requiredLimits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof v === "number") requiredLimits[name] = v;
  }
  let device: GPUDevice;
  try {
    // timestamps for device-time profiling (context.ts) and 2-byte float16 storage (half.ts), where the adapter has them
    const requiredFeatures = (["timestamp-query", "shader-f16"] as const).filter((f) => adapter!.features.has(f));
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  } catch (e) {
    return { ok: false, reason: `requestDevice failed: ${(e as Error).message}` };
  }
  await prepareCollector(gcHooks);
  resetPool();
  setDevice(device, isSoftwareAdapter(adapter));
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
  const info = (adapter as { info?: AdapterInfo }).info;
  const adapterName = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(" ") || "unknown adapter";
  return { ok: true, device, adapterName, software: isSoftwareAdapter(adapter) };
}

type AdapterInfo = { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };

/**
 * A software adapter: one that says so (`isFallbackAdapter`, on the adapter
 * in older implementations, on its info in newer ones), or one whose info
 * names a CPU rasterizer (Mesa's lavapipe/llvmpipe, SwiftShader), which not
 * every implementation flags.
 */
export function isSoftwareAdapter(adapter: { isFallbackAdapter?: boolean; info?: AdapterInfo }): boolean {
  if (adapter.isFallbackAdapter === true || adapter.info?.isFallbackAdapter === true) return true;
  const info = adapter.info;
  const text = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(" ");
  return /lavapipe|llvmpipe|swiftshader|\bsoftware\b/i.test(text);
}
