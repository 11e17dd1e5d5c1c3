/**
 * The WebGPU backend: buffers are pooled GPUBuffers (`buffers.ts`); kernels
 * compile to WGSL (`codegen.ts`), cached per kernel; routines are hand-written
 * WGSL (`routines.ts` and its families). Nothing here reads synchronously:
 * results come back through `await x.data()`.
 */
import type { DType, TypedArray } from "../../dtype.js";
import { sizeOf } from "../../shape.js";
import type { Backend, BufferType, Lowering } from "../device.js";
import type { Kernel } from "../kernel.js";
import { kernelKey } from "../kernel.js";
import { BackendError } from "../../errors.js";
import type { GpuBuffer } from "./buffers.js";
import { alloc, float64Error, read, release, retain, upload } from "./buffers.js";
import { compileKernel } from "./codegen.js";
import { device, dispatch, flush } from "./context.js";
import { webgpuRoutines } from "./routines.js";
import { halfAsSingle, hasHalf, packHalves, singleTypes, widenHalves } from "./half.js";
import "./matmul.js";
import "./sort.js";
import "./scans.js";
import "./index-routines.js";

let kernelCount = 0;
const seenKernels = new Set<string>();
/** Compiled kernels by the plan's kernel object: a jitted step finds its WGSL without rebuilding the key string. */
const byKernelObject = new WeakMap<Kernel, ReturnType<typeof compileKernel>>();

/** WGSL kernels compiled so far (for compileStats). */
export function webgpuCompileCount(): number {
  return kernelCount;
}

export const webgpuBackend: Backend<GpuBuffer> = {
  name: "webgpu",
  syncReadable: false,
  multiOutputKernels: true,
  epilogues: true,
  callDone: () => flush(),
  get maxKernelInputs() {
    // one binding is the output
    return device().limits.maxStorageBuffersPerShaderStage - 1;
  },
  upload: (data: TypedArray, dtype: DType) => upload(data, dtype),
  readSync: () => {
    throw new BackendError("dataSync(): the webgpu device cannot be read synchronously; use `await x.data()`");
  },
  read: (buf: GpuBuffer, dtype: DType, size: number) => read(buf, dtype, size),
  dispose: (buf: GpuBuffer) => release(buf),
  run(lowering: Lowering, inputs: GpuBuffer[], inTypes: BufferType[], outTypes: BufferType[]): GpuBuffer[] {
    for (const t of [...inTypes, ...outTypes]) if (t.dtype === "float64") throw float64Error("webgpu");
    switch (lowering.kind) {
      case "alias":
        retain(inputs[lowering.input]);
        return [inputs[lowering.input]];
      case "kernel":
        return runKernel(lowering.kernel, inputs, outTypes);
      case "routine": {
        const routine = webgpuRoutines[lowering.routine];
        if (!routine) throw new BackendError(`webgpu backend: no routine ${lowering.routine}`);
        if (!hasHalf(inTypes) && !hasHalf(outTypes)) {
          const outs = routine(inputs, inTypes, outTypes, lowering.params);
          for (const o of outs) if (inputs.includes(o)) retain(o);
          return outs;
        }
        // routines see float16 as float32: halves widened before, results rounded and packed after
        const wide = inputs.map((b, i) => (inTypes[i].dtype === "float16" ? widenHalves(b, sizeOf(inTypes[i].shape)) : b));
        const outs = routine(wide, singleTypes(inTypes), singleTypes(outTypes), lowering.params);
        const result = outs.map((o, i) => {
          const size = sizeOf(outTypes[i].shape);
          if (outTypes[i].dtype === "float16") {
            // an output that is a widened input (or the input itself) is copied: packHalves releases what it gets
            if (wide.includes(o)) retain(o);
            return packHalves(o, size);
          }
          if (wide.includes(o)) retain(o);
          return o;
        });
        wide.forEach((w, i) => w !== inputs[i] && release(w));
        return result;
      }
    }
  },
};

/** A fused kernel's passes; a kernel with siblings (`more`, one pass) writes all its outputs at once. */
function runKernel(kernel: Kernel, inputs: GpuBuffer[], outTypes: BufferType[]): GpuBuffer[] {
  const size = sizeOf(outTypes[0].shape);
  const outs = outTypes.map((t) => alloc(t.dtype, size));
  if (size === 0) return outs;
  const [out, ...more] = outs;
  // a float16 reduction sums in f32 into a temporary, rounded and packed into `out` at the end
  const halfReduce = kernel.reduce !== undefined && kernel.dtype === "float16";
  let compiled = byKernelObject.get(kernel);
  if (!compiled) {
    // the key is the float16 kernel's own: its f32 rewrite must not share a float32 kernel's WGSL
    const key = kernelKey(kernel);
    if (!seenKernels.has(key)) {
      seenKernels.add(key);
      kernelCount++;
    }
    const half = halfAsSingle(kernel);
    compiled = half ? compileKernel(half.kernel, key, half.round) : compileKernel(kernel, key);
    byKernelObject.set(kernel, compiled);
  }
  // a reduction's epilogue reads the inputs after the kernel's own, in its last pass
  const own = inputs.slice(0, kernel.inputs.length);
  const epilogueInputs = inputs.slice(kernel.inputs.length);
  let src = own;
  compiled.passes.forEach((pass, i) => {
    const last = i === compiled.passes.length - 1;
    const target = last && !halfReduce ? out : alloc(halfReduce ? "float32" : kernel.dtype, last ? size : pass.partials!);
    dispatch({ wgsl: pass.wgsl, buffers: [target, ...(last ? more : []), ...src, ...(last ? epilogueInputs : [])], workgroups: pass.workgroups });
    // partials are released once recorded: the queue runs the next pass before any reuse
    if (src !== own) for (const b of src) release(b);
    src = [target];
  });
  if (halfReduce) {
    // its f32 sum (or product…), rounded once, as the CPU does
    release(out);
    outs[0] = packHalves(src[0], size);
  }
  return outs;
}
