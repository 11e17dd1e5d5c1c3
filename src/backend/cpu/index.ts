/**
 * The CPU backend: buffers are TypedArrays; kernels compile to JavaScript
 * (cached per kernel); routines (matmul, sort, gather, ...) are hand-written.
 */
import type { DType, TypedArray } from "../../dtype.js";
import { allocate } from "../../dtype.js";
import { sizeOf } from "../../shape.js";
import type { Backend, BufferType, Lowering } from "../device.js";
import { registerBackend } from "../device.js";
import { compileKernel } from "./codegen.js";
import { cpuRoutines } from "./routines.js";

export const cpuBackend: Backend<TypedArray> = {
  name: "cpu",
  syncReadable: true,
  upload: (data: TypedArray) => data,
  readSync: (buf: TypedArray) => buf.slice(),
  read: async (buf: TypedArray) => buf.slice(),
  dispose: () => {},
  run(lowering: Lowering, inputs: TypedArray[], inTypes: BufferType[], outTypes: BufferType[]): TypedArray[] {
    switch (lowering.kind) {
      case "alias":
        return [inputs[lowering.input]];
      case "kernel": {
        const out = allocate(outTypes[0].dtype, sizeOf(outTypes[0].shape));
        if (out.length > 0) compileKernel(lowering.kernel)(out, ...inputs);
        return [out];
      }
      case "routine": {
        const routine = cpuRoutines[lowering.routine];
        if (!routine) throw new Error(`cpu backend: no routine ${lowering.routine}`);
        return routine(inputs, inTypes, outTypes, lowering.params);
      }
    }
  },
};

registerBackend(cpuBackend);

export type CpuRoutine = (
  inputs: TypedArray[],
  inTypes: BufferType[],
  outTypes: BufferType[],
  params: Record<string, unknown>,
) => TypedArray[];

export function allocateOut(t: BufferType): TypedArray {
  return allocate(t.dtype, sizeOf(t.shape));
}
export type { DType };
