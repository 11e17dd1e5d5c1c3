/**
 * The entry the bench bundles jaxon from (bench/libs/jaxon.ts `buildJaxon`):
 * the package's public API (src/index.ts, as tsup builds it) plus the
 * internals the bench reads, from the same module instance: the WebGPU
 * context's diagnostics (commands recorded, device time), and the CPU
 * pool's (whether a buffer lies in the WebAssembly memory, staging copies).
 */
export * from "../../src/index.js";
export * as webgpuContext from "../../src/backend/webgpu/context.js";
export * as cpuMemory from "../../src/backend/cpu/memory.js";
