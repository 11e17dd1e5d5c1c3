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
import { halfAsSingle, hasHalf, roundInPlace, singleTypes } from "./half.js";
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
        // routines see float16 as float32; what they compute is rounded to halves after
        const half = hasHalf(inTypes) || hasHalf(outTypes);
        const outs = half ? routine(inputs, singleTypes(inTypes), singleTypes(outTypes), lowering.params) : routine(inputs, inTypes, outTypes, lowering.params);
        outs.forEach((o, i) => {
          if (inputs.includes(o)) retain(o);
          else if (half && outTypes[i].dtype === "float16") roundInPlace(o, sizeOf(outTypes[i].shape));
        });
        return outs;
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
  let src = inputs;
  compiled.passes.forEach((pass, i) => {
    const last = i === compiled.passes.length - 1;
    const target = last ? out : alloc(kernel.dtype, pass.partials!);
    dispatch({ wgsl: pass.wgsl, buffers: [target, ...(last ? more : []), ...src], workgroups: pass.workgroups });
    // partials are released once recorded: the queue runs the next pass before any reuse
    if (src !== inputs) for (const b of src) release(b);
    src = [target];
  });
  // a reduction's float16 result is its f32 sum (or product…), rounded once here, as the CPU does
  if (kernel.reduce && kernel.dtype === "float16") roundInPlace(out, size);
  return outs;
}
