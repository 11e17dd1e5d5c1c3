/**
 * The CPU backend: buffers are TypedArrays; kernels compile to JavaScript
 * (cached per kernel); routines (matmul, sort, gather, ...) are hand-written.
 */
import type { DType, TypedArray } from "../../dtype.js";
import { roundFloat16Array } from "../../dtype.js";
import { sizeOf } from "../../shape.js";
import type { Backend, BufferType, Lowering } from "../device.js";
import { callRoutine, registerBackend } from "../device.js";
import { compileKernel } from "./codegen.js";
import { alloc, release, retain } from "./memory.js";
import { cpuRoutines } from "./routines.js";
import { tryWasmKernel } from "./wasm/index.js";
import { tryWindowReduceKernel } from "./window-reduce.js";

export const cpuBackend: Backend<TypedArray> = {
  name: "cpu",
  syncReadable: true,
  // buffers live in the shared WebAssembly memory (memory.ts): user data is copied in (with headroom
  // past the pool's target, so that a program's inputs are in the memory its kernels address)
  upload: (data: TypedArray, dtype: DType) => {
    const buf = alloc(dtype, data.length, false, true);
    buf.set(data);
    return buf;
  },
  readSync: (buf: TypedArray) => buf.slice(),
  read: async (buf: TypedArray) => buf.slice(),
  dispose: (buf: TypedArray) => release(buf),
  run(lowering: Lowering, inputs: TypedArray[], inTypes: BufferType[], outTypes: BufferType[]): TypedArray[] {
    switch (lowering.kind) {
      case "alias":
        // one more owner of the same buffer: disposing either Array must not free it under the other
        retain(inputs[lowering.input]);
        return [inputs[lowering.input]];
      case "kernel": {
        const out = alloc(outTypes[0].dtype, sizeOf(outTypes[0].shape), false);
        if (out.length > 0 && !tryWindowReduceKernel(lowering.kernel, out, inputs) && !tryWasmKernel(lowering.kernel, out, inputs)) compileKernel(lowering.kernel)(out, ...inputs);
        return roundHalves([out], outTypes);
      }
      case "routine": {
        const outs = callRoutine(cpuRoutines, lowering, inputs, inTypes, outTypes);
        for (const o of outs) if (inputs.includes(o)) retain(o);
        return roundHalves(outs, outTypes);
      }
    }
  },
};

/**
 * float16 results are stored in Float32Arrays, whose stores round to float32
 * only: a kernel's last value (a reduction's sum, a routine's products) is
 * rounded to half precision here, once, for every kernel and routine alike.
 */
function roundHalves(outs: TypedArray[], types: BufferType[]): TypedArray[] {
  outs.forEach((o, i) => {
    if (types[i].dtype === "float16") roundFloat16Array(o as Float32Array);
  });
  return outs;
}

registerBackend(cpuBackend);

