/**
 * A small hand-written WebAssembly SIMD module over the CPU backend's shared
 * memory (memory.ts), instantiated on first use. The window folds, the
 * pooling gradient's selections and the convolution's patch gathering each
 * build one. It is null where there is no Wasm memory, no SIMD, or the
 * instantiation fails: callers then take their JavaScript path.
 */
import { wasmMemory } from "./memory.js";
import { simdSupported } from "./wasm/emitter.js";

/** What a module builder is given: the shared memory's size limit and whether it is shared. */
export interface SimdMemoryInfo {
  maxPages: number;
  shared: boolean;
}

/** The module's exports, built and instantiated on the first call and kept. */
export function lazySimdModule<E>(build: (memory: SimdMemoryInfo) => Uint8Array<ArrayBuffer>): () => E | null {
  let exports: E | null | undefined;
  return () => {
    if (exports !== undefined) return exports;
    exports = null;
    const mem = wasmMemory();
    if (!mem || !simdSupported()) return null;
    try {
      exports = new WebAssembly.Instance(new WebAssembly.Module(build(mem)), { env: { memory: mem.memory } }).exports as E;
    } catch {
      exports = null;
    }
    return exports;
  };
}
