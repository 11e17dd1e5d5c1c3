/**
 * `navigator.gpu` for the peers in Node (jax-js and tfjs's WebGPU backend look
 * for it): the `webgpu` package (Dawn), its globals (GPUBufferUsage, …)
 * installed once per process. jaxon finds the package itself.
 *
 * The GPU object stays referenced for the life of the process: collecting it
 * frees Dawn's instance under a live device (see src/backend/webgpu/adapter.ts).
 */
import os from "node:os";

let gpu: GPU | undefined;

export async function nodeNavigatorGpu(): Promise<GPU> {
  if (gpu) return gpu;
  const mod = (await import("webgpu")) as { create(flags: string[]): GPU; globals: object };
  Object.assign(globalThis, mod.globals);
  gpu = mod.create([]);
  const g = globalThis as unknown as { navigator?: Record<string, unknown> };
  // Node 20 has no navigator; Node ≥ 21 has one whose properties are getters
  if (!g.navigator) g.navigator = { userAgent: `Node.js/${process.versions.node}`, hardwareConcurrency: os.availableParallelism() };
  Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true });
  return gpu;
}
