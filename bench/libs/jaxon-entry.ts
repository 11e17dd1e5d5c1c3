/**
 * The entry the bench bundles jaxon from (bench/libs/jaxon.ts `buildJaxon`):
 * the package's public API (src/index.ts, as tsup builds it) plus the
 * internals the bench reads, from the same module instance: the WebGPU
 * context's diagnostics (commands recorded, device time).
 */
export * from "../../src/index.js";
export * as webgpuContext from "../../src/backend/webgpu/context.js";
