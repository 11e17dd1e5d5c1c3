/**
 * Bounds on the caches a device keeps per distinct kernel, set through
 * `jitConfig` (src/transforms/jit.ts). Here rather than in a backend so that
 * the configuration does not import a device's code.
 */
export const cacheConfig = {
  /**
   * Compiled WebGPU pipelines kept (least recently used evicted first). Each
   * holds device memory (about 0.7 MB on lavapipe); a program that runs more
   * distinct shapes than this in turn recompiles the ones evicted.
   */
  maxPipelines: 256,
  /**
   * Compiled CPU kernels kept by kernel key (JavaScript functions and
   * WebAssembly entries), least recently used evicted first. A kernel a live
   * jitted function still holds keeps its compiled form whatever this says.
   */
  maxCpuKernels: 4096,
};
