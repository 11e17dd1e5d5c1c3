/**
 * The CPU backend: buffers are TypedArrays; kernels compile to JavaScript
 * (cached per kernel); routines (matmul, sort, gather, ...) are hand-written.
 */
import type { DType, TypedArray } from "../../dtype.js";
import { roundFloat16Array } from "../../dtype.js";
import { sizeOf } from "../../shape.js";
import type { Backend, BufferType, Lowering } from "../device.js";
import type { Kernel } from "../kernel.js";
import { someNode } from "../kernel.js";
import { callRoutine, registerBackend } from "../device.js";
import { compileKernel } from "./codegen.js";
import { alloc, release, retain } from "./memory.js";
import { cpuRoutines } from "./routines.js";
import { tryWasmKernel } from "./wasm/index.js";
import { tryWindowReduceKernel } from "./window-reduce.js";
import { matVecRowsOnePass, reduceRowsOnePass } from "./row-epilogue.js";

export const cpuBackend: Backend<TypedArray> = {
  name: "cpu",
  syncReadable: true,
  // sibling elementwise kernels run as one loop storing each output; a matmul's or reduction's
  // elementwise consumer runs on its result in the same step (`withEpilogue`)
  multiOutputKernels: true,
  epilogues: true,
  // ... also one that reads the result broadcast along trailing axes (a mat-vec's row outputs), into a buffer of its own
  broadcastEpilogues: true,
  // buffers live in the shared WebAssembly memory (memory.ts): user data is copied in (with headroom
  // past the pool's target, so that a program's inputs are in the memory its kernels address; large
  // kernel outputs share that headroom)
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
        const { kernel } = lowering;
        const epi = kernel.reduce?.epilogue;
        if (epi) {
          // the reduction over the kernel's own inputs, then its epilogue over the result and the rest
          const own = inputs.slice(0, kernel.inputs.length);
          const accTypes = epi.accShape ? [{ shape: epi.accShape, dtype: outTypes[0].dtype }] : outTypes;
          if (epi.accShape) {
            // a broadcast epilogue: the reduction and the epilogue block by block over the rows (row-epilogue.ts)
            const done = broadcastOnePass(epi, accTypes[0].dtype, inputs.slice(own.length), outTypes, (acc, out, ins) =>
              reduceRowsOnePass(withoutEpilogue(kernel), own, acc, epi.kernel, out, ins),
            );
            if (done) return done;
          }
          const [acc] = cpuBackend.run({ kind: "kernel", kernel: withoutEpilogue(kernel) }, own, inTypes.slice(0, own.length), accTypes);
          return withEpilogue(epi, acc, inputs.slice(own.length), outTypes);
        }
        const outs = outTypes.map((t) => alloc(t.dtype, sizeOf(t.shape), false));
        // a single-output window max/min over contiguous channels has its own routine (window-reduce.ts)
        const windowed = outs.length === 1 && outs[0].length > 0 && tryWindowReduceKernel(kernel, outs[0], inputs);
        if (outs[0].length > 0 && !windowed && !tryWasmKernel(kernel, outs, inputs)) compileKernel(kernel)(...outs, ...inputs);
        return roundHalves(outs, outTypes);
      }
      case "routine": {
        const epi = lowering.routine === "dot" ? lowering.params.epilogue : undefined;
        if (epi && lowering.routine === "dot") {
          // the matmul, then its epilogue over the product (and the inputs after lhs and rhs)
          const accTypes = epi.accShape ? [{ shape: epi.accShape, dtype: outTypes[0].dtype }] : outTypes;
          if (epi.accShape && accTypes[0].dtype === "float32" && inTypes[0].dtype === "float32" && inTypes[1].dtype === "float32") {
            // a mat-vec's broadcast epilogue (W6): the product and the epilogue block by block over its rows (row-epilogue.ts)
            const [lhs, rhs] = inputs;
            const done = broadcastOnePass(epi, accTypes[0].dtype, inputs.slice(2), outTypes, (acc, out, ins) =>
              matVecRowsOnePass(lhs, rhs, lowering.params, accTypes[0].dtype, acc, epi.kernel, out, ins),
            );
            if (done) return done;
          }
          const [product] = cpuBackend.run(plainDot(lowering), inputs.slice(0, 2), inTypes.slice(0, 2), accTypes);
          return withEpilogue(epi, product, inputs.slice(2), outTypes);
        }
        const outs = callRoutine(cpuRoutines, lowering, inputs, inTypes, outTypes);
        for (const o of outs) if (inputs.includes(o)) retain(o);
        return roundHalves(outs, outTypes);
      }
    }
  },
};

const plainKernels = new WeakMap<Kernel, Kernel>();
/** A reduction kernel without its epilogue (one object per kernel, so that its compiled code is found again). */
function withoutEpilogue(k: Kernel): Kernel {
  let plain = plainKernels.get(k);
  if (!plain) {
    const { epilogue: _, ...reduce } = k.reduce!;
    plainKernels.set(k, (plain = { ...k, reduce }));
  }
  return plain;
}

const plainDots = new WeakMap<Lowering, Lowering>();
/** A dot lowering without its epilogue. */
function plainDot(l: Extract<Lowering, { routine: "dot" }>): Lowering {
  let plain = plainDots.get(l);
  if (!plain) {
    const { epilogue: _, ...params } = l.params;
    plain = { kind: "routine", routine: "dot", params };
    plainDots.set(l, plain);
  }
  return plain;
}

/**
 * A fused epilogue (fuse.ts foldEpilogues) applied to a matmul's or
 * reduction's float32 result `acc`, which it reads element for element:
 * computed in place, so the result is stored once and read back while it is
 * still in cache, in the same step (no second buffer, no plan step of its
 * own). Not in place where it reads the result broadcast (`accShape`: its
 * loop is larger) or where the kernel may compute a row twice (the
 * WebAssembly sin/cos fix-up pass): then into a new buffer.
 */
function withEpilogue(epi: { kernel: Kernel; accInput: number; accShape?: readonly number[] }, acc: TypedArray, rest: TypedArray[], outTypes: BufferType[]): TypedArray[] {
  const { kernel, accInput } = epi;
  const ins = epilogueInputs(accInput, acc, rest);
  if (acc.length === 0) return [acc];
  const twice = [kernel.expr, ...(kernel.more ?? []).map((o) => o.expr)].some((e) => someNode(e, (n) => n.kind === "unary" && (n.op === "sin" || n.op === "cos")));
  // an epilogue over a larger loop (a broadcast of the result) stores a new buffer too
  const out = twice || epi.accShape ? alloc(outTypes[0].dtype, sizeOf(outTypes[0].shape), false) : acc;
  if (!tryWasmKernel(kernel, out, ins)) compileKernel(kernel)(out, ...ins);
  if (out !== acc) release(acc);
  return roundHalves([out], outTypes);
}

/**
 * A broadcast epilogue in one pass over the rows (row-epilogue.ts): `onePass`
 * fills the accumulator and the epilogue's output block by block. The
 * accumulator lives in the shared memory even when small (the pool leaves
 * buffers under 1 KiB outside it) and is freed after. Null, having done
 * nothing visible, when two launches must run.
 */
function broadcastOnePass(
  epi: { accInput: number; accShape?: readonly number[] },
  accDtype: DType,
  rest: TypedArray[],
  outTypes: BufferType[],
  onePass: (acc: TypedArray, out: TypedArray, ins: TypedArray[]) => boolean,
): TypedArray[] | null {
  const accElements = sizeOf(epi.accShape!);
  const accBlock = alloc(accDtype, Math.max(accElements, 256), false);
  const acc = accBlock.subarray(0, accElements);
  const out = alloc(outTypes[0].dtype, sizeOf(outTypes[0].shape), false);
  const done = onePass(acc, out, epilogueInputs(epi.accInput, acc, rest));
  release(accBlock);
  if (done) return roundHalves([out], outTypes);
  release(out);
  return null;
}

/** An epilogue's inputs: the accumulator at `accInput`, the step's other inputs around it. */
function epilogueInputs(accInput: number, acc: TypedArray, rest: TypedArray[]): TypedArray[] {
  return [...rest.slice(0, accInput), acc, ...rest.slice(accInput)];
}

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

