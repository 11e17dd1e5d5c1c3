/**
 * The WebGPU backend: buffers are pooled GPUBuffers (`buffers.ts`); kernels
 * compile to WGSL (`codegen.ts`), cached per kernel; routines are hand-written
 * WGSL (`routines.ts` and its families). Nothing here reads synchronously:
 * results come back through `await x.data()`.
 */
import type { DType, TypedArray } from "../../dtype.js";
import { sizeOf } from "../../shape.js";
import type { Backend, BufferType, Lowering, RoutineTable } from "../device.js";
import { callRoutine } from "../device.js";
import type { Kernel } from "../kernel.js";
import { kernelKey } from "../kernel.js";
import { BackendError } from "../../errors.js";
import type { GpuBuffer } from "./buffers.js";
import { alloc, callBoundary, float64Error, gpuItemSize, read, release, retain, upload } from "./buffers.js";
import { compileKernel } from "./codegen.js";
import type { BindRange } from "./context.js";
import { callDone, copy, dispatch, formatBytes, limit, pinError } from "./context.js";
import { spawn } from "./stream.js";
import { needsChunks, planChunks } from "./chunks.js";
import { halfAsSingle, hasHalf, packHalves, singleTypes, widenHalves } from "./half.js";
import { hasSmallInt, pack, widen, wideInt, wideIntTypes } from "./small-ints.js";
import { isSmallInt } from "../../dtype.js";
import { matmulRoutines } from "./matmul.js";
import { sortRoutines } from "./sort.js";
import { scanRoutines } from "./scans.js";
import { windowedRoutines } from "./windowed.js";
import { indexRoutines } from "./index-routines.js";
import { linalgRoutines } from "./linalg.js";
import { complexSpectralRoutines } from "./linalg-complex-spectral.js";
import { fftRoutines } from "./fft.js";
import { convRoutines } from "./conv.js";
import { attentionRoutines } from "./attention.js";
import { attentionBwdRoutines } from "./attention-bwd.js";

/** Every routine of the contract (backend/device.ts `Routines`): one the families lack is a compile error here. */
const webgpuRoutines: RoutineTable<GpuBuffer> = { ...matmulRoutines, ...sortRoutines, ...scanRoutines, ...indexRoutines, ...linalgRoutines, ...complexSpectralRoutines, ...windowedRoutines, ...convRoutines, ...fftRoutines, ...attentionRoutines, ...attentionBwdRoutines };

let kernelCount = 0;
const seenKernels = new Set<string>();
/** Compiled kernels by the plan's kernel object: a jitted step finds its WGSL without rebuilding the key string. */
const byKernelObject = new WeakMap<Kernel, ReturnType<typeof compileKernel>>();
/** ... and those of elementwise kernels on packed 8- and 16-bit integers. */
const packedByKernelObject = new WeakMap<Kernel, ReturnType<typeof compileKernel>>();

/** WGSL kernels compiled so far (for compileStats). */
export function webgpuCompileCount(): number {
  return kernelCount;
}

export const webgpuBackend: Backend<GpuBuffer> = {
  name: "webgpu",
  syncReadable: false,
  multiOutputKernels: true,
  epilogues: true,
  // ... also one that reads the result broadcast over rows (`accShape`): the kernel stores each row's outputs
  // from the row's result (codegen.ts broadcastStores; the matmul's kernels and the reductions alike)
  broadcastEpilogues: true,
  callDone: () => {
    callDone();
    callBoundary();
  },
  get maxKernelInputs() {
    // one binding is the output; the cached limit: every jitted call asks, and `device.limits` is a native call
    return limit("maxStorageBuffersPerShaderStage") - 1;
  },
  upload: (data: TypedArray, dtype: DType) => upload(data, dtype),
  readSync: () => {
    throw new BackendError("dataSync(): the webgpu device cannot be read synchronously; use `await x.data()`");
  },
  read: (buf: GpuBuffer, dtype: DType, size: number) => read(buf, dtype, size),
  dispose: (buf: GpuBuffer) => release(buf),
  stream: {
    spawn,
    alloc: (t) => alloc(t.dtype, sizeOf(t.shape)),
    copy: (src, dst, t) => copy(src, 0, dst, 0, Math.ceil((sizeOf(t.shape) * gpuItemSize(t.dtype)) / 4) * 4),
    fail: (buf, error) => pinError(buf.serial, error instanceof BackendError ? error : new BackendError(`webgpu: a loop on the device failed: ${error.message}`)),
  },
  run(lowering: Lowering, inputs: GpuBuffer[], inTypes: BufferType[], outTypes: BufferType[]): GpuBuffer[] {
    for (const t of [...inTypes, ...outTypes]) if (t.dtype === "float64") throw float64Error("webgpu");
    if (lowering.kind === "alias") {
      retain(inputs[lowering.input]);
      return [inputs[lowering.input]];
    }
    if (!hasSmallInt(inTypes) && !hasSmallInt(outTypes)) return runWide(lowering, inputs, inTypes, outTypes);
    if (lowering.kind === "kernel" && packedKernels && !lowering.kernel.reduce) {
      // an elementwise kernel reads and writes them packed itself (codegen.ts packedElementwise), unless it needs chunks
      const native = runPackedKernel(lowering.kernel, inputs, outTypes);
      if (native) return native;
    }    // the 8- and 16-bit integers are stored packed; kernels and routines run on their wide form (small-ints.ts):
    // packed inputs widened before, small-integer outputs packed (and so wrapped to their width) after
    const wide = inputs.map((b, i) => (i < inTypes.length && isSmallInt(inTypes[i].dtype) ? widen(b, inTypes[i].dtype) : b));
    try {
      const outs = runWide(lowering, wide, inTypes, outTypes);
      return outs.map((o, i) => {
        const d = outTypes[i].dtype;
        if (!isSmallInt(d)) return o;
        const packed = pack(o, d, sizeOf(outTypes[i].shape));
        release(o);
        return packed;
      });
    } finally {
      wide.forEach((w, i) => w !== inputs[i] && release(w));
    }
  },
};

let packedKernels = true;
/**
 * Whether elementwise kernels read and write the 8- and 16-bit integers packed
 * (the default) or run on their wide form between a widen and a pack like
 * everything else (benchmarks and tests compare the two).
 */
export function setPackedKernels(on: boolean): void {
  packedKernels = on;
}

/** An elementwise kernel on packed buffers; null where it would need chunks (the wide path runs it). */
function runPackedKernel(kernel: Kernel, inputs: GpuBuffer[], outTypes: BufferType[]): GpuBuffer[] | null {
  const size = sizeOf(outTypes[0].shape);
  const outBytes = outTypes.map((t) => size * gpuItemSize(t.dtype));
  if (needsChunks(kernel, inputs.map((b) => b.bytes), outBytes, limit("maxStorageBufferBindingSize"))) return null;
  const what = () => `a kernel over ${shapeText(kernel.loopShape)} (${outTypes.map((t) => `${t.dtype}${shapeText(t.shape)}`).join(", ")})`;
  const outs = outTypes.map((t) => alloc(t.dtype, size, () => `the output ${t.dtype}${shapeText(t.shape)} of ${what()}`));
  if (size === 0) return outs;
  const compiled = compiledFor(kernel, true);
  dispatch({ wgsl: compiled.passes[0].wgsl, buffers: [...outs, ...inputs], workgroups: compiled.passes[0].workgroups, outputs: outs.length });
  return outs;
}

/**
 * Bytes per element of a buffer a kernel or routine binds: the 8- and 16-bit
 * integers in their wide form, one per word (`run` widens and packs around them).
 */
const wideItemSize = (d: DType) => gpuItemSize(wideInt(d));

/** A lowering on buffers whose 8- and 16-bit integers are in their wide form (types keep their dtypes). */
function runWide(lowering: Lowering, inputs: GpuBuffer[], inTypes: BufferType[], outTypes: BufferType[]): GpuBuffer[] {
  switch (lowering.kind) {
    case "alias":
      retain(inputs[lowering.input]);
      return [inputs[lowering.input]];
    case "kernel":
      return runKernel(lowering.kernel, inputs, outTypes);
    case "routine": {
      // a product whose broadcast epilogue's result is larger than one binding (its operands and the product may
      // fit): the product, then the epilogue as a kernel of its own, which runs in chunks (routines cannot)
      const epi = lowering.routine === "dot" ? lowering.params.epilogue : undefined;
      if (lowering.routine === "dot" && epi?.accShape && outTypes.some((t) => sizeOf(t.shape) * wideItemSize(t.dtype) > limit("maxStorageBufferBindingSize"))) {
        const { epilogue: _, ...params } = lowering.params;
        let [product] = runWide({ kind: "routine", routine: "dot", params }, inputs.slice(0, 2), inTypes.slice(0, 2), [{ dtype: outTypes[0].dtype, shape: epi.accShape }]);
        if (isSmallInt(outTypes[0].dtype)) {
          // an 8- or 16-bit product wrapped to its width before the epilogue reads it: packed, then widened again
          const packed = pack(product, outTypes[0].dtype, sizeOf(epi.accShape));
          release(product);
          product = widen(packed, outTypes[0].dtype);
          release(packed);
        }
        const rest = inputs.slice(2);
        // the epilogue reads the product through its own (broadcast) view of the product's row-major buffer
        const epiInputs = epi.kernel.inputs.map((_inp, i) => (i === epi.accInput ? product : rest.shift()!));
        try {
          return runKernel(epi.kernel, epiInputs, outTypes);
        } finally {
          release(product);
        }
      }
      checkRoutineSize(lowering.routine, inputs, inTypes, outTypes);
      // routines see the 8- and 16-bit integers as int32/uint32 (their wide form; `run` packs their outputs after)
      const small = hasSmallInt(inTypes) || hasSmallInt(outTypes);
      if (!hasHalf(inTypes) && !hasHalf(outTypes)) {
        const outs = callRoutine(webgpuRoutines, lowering, inputs, small ? wideIntTypes(inTypes) : inTypes, small ? wideIntTypes(outTypes) : outTypes);
        for (const o of outs) if (inputs.includes(o)) retain(o);
        return outs;
      }
      // routines see float16 as float32: halves widened before, results rounded and packed after
      const wide = inputs.map((b, i) => (inTypes[i].dtype === "float16" ? widenHalves(b, sizeOf(inTypes[i].shape)) : b));
      const outs = callRoutine(webgpuRoutines, lowering, wide, singleTypes(wideIntTypes(inTypes)), singleTypes(wideIntTypes(outTypes)));
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
}

/**
 * Routines bind their operands whole and cannot be split into chunks yet:
 * one over an array larger than a binding is refused here, before anything
 * is allocated or recorded, naming the routine, the shapes and the limit.
 */
function checkRoutineSize(name: string, inputs: GpuBuffer[], inTypes: BufferType[], outTypes: BufferType[]): void {
  const maxBinding = limit("maxStorageBufferBindingSize");
  // plain loops: every routine call of a jitted plan passes through here, and the check nearly always passes
  let fits = true;
  for (const b of inputs) if (b.bytes > maxBinding) fits = false;
  for (const t of outTypes) if (t.dtype !== "float64" && sizeOf(t.shape) * wideItemSize(t.dtype) > maxBinding) fits = false;
  if (fits) return;
  const ops = [...inTypes.map((t) => `${t.dtype}${shapeText(t.shape)}`)].join(", ");
  const res = outTypes.map((t) => `${t.dtype}${shapeText(t.shape)}`).join(", ");
  throw new BackendError(
    `webgpu: ${name} of ${ops} → ${res}: an operand or result is larger than this device's maxStorageBufferBindingSize ` +
      `(${formatBytes(maxBinding)}), and ${name} cannot be split into chunks on webgpu yet; ` +
      `use smaller arrays (e.g. split the batch), or run it on the CPU (devicePut(x, "cpu"))`,
  );
}

/** A buffer and the range of it a dispatch binds (undefined: all of it). */
interface Bound {
  buf: GpuBuffer;
  range?: BindRange;
}

function compiledFor(kernel: Kernel, packed = false): ReturnType<typeof compileKernel> {
  const cache = packed ? packedByKernelObject : byKernelObject;
  let compiled = cache.get(kernel);
  if (!compiled) {
    // the key is the float16 kernel's own: its f32 rewrite must not share a float32 kernel's WGSL
    const key = kernelKey(kernel);
    if (!seenKernels.has(key)) {
      // a count of distinct kernels, not a cache: forgetting old keys only recounts them
      if (seenKernels.size >= 65536) seenKernels.clear();
      seenKernels.add(key);
      kernelCount++;
    }
    const half = halfAsSingle(kernel);
    compiled = half ? compileKernel(half.kernel, key, half.round, packed) : compileKernel(kernel, key, undefined, packed);
    cache.set(kernel, compiled);
  }
  return compiled;
}

const shapeText = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/** A fused kernel's passes; a kernel with siblings (`more`, one pass) writes all its outputs at once. */
function runKernel(kernel: Kernel, inputs: GpuBuffer[], outTypes: BufferType[]): GpuBuffer[] {
  const size = sizeOf(outTypes[0].shape);
  const what = () => `a kernel over ${shapeText(kernel.loopShape)} (${outTypes.map((t) => `${t.dtype}${shapeText(t.shape)}`).join(", ")})`;
  const outs = outTypes.map((t) => alloc(wideInt(t.dtype), size, () => `the output ${t.dtype}${shapeText(t.shape)} of ${what()}`));
  if (size === 0) return outs;
  const maxBinding = limit("maxStorageBufferBindingSize");
  const own = inputs.slice(0, kernel.inputs.length);
  if (needsChunks(kernel, own.map((b) => b.bytes), outs.map((o) => o.bytes), maxBinding)) {
    try {
      runChunked(kernel, inputs, outs, what);
    } catch (e) {
      for (const o of outs) release(o);
      throw e;
    }
    return outs;
  }
  runWhole(kernel, inputs.map((buf) => ({ buf })), outs.map((buf) => ({ buf })), size);
  return outs;
}

/** Records a kernel's passes with the given bindings; the outputs' values go into `outs`. */
function runWhole(kernel: Kernel, inputs: Bound[], outs: Bound[], size: number): void {
  const [out, ...more] = outs;
  // a float16 reduction sums in f32 into a temporary, rounded and packed into `out` at the end
  const halfReduce = kernel.reduce !== undefined && kernel.dtype === "float16";
  const compiled = compiledFor(kernel);
  // a reduction's epilogue reads the inputs after the kernel's own, in its last pass
  const own = inputs.slice(0, kernel.inputs.length);
  const epilogueInputs = inputs.slice(kernel.inputs.length);
  let src = own;
  compiled.passes.forEach((pass, i) => {
    const last = i === compiled.passes.length - 1;
    const target: Bound = last && !halfReduce ? out : { buf: alloc(halfReduce ? "float32" : wideInt(kernel.dtype), last ? size : pass.partials!) };
    const bound = [target, ...(last ? more : []), ...src, ...(last ? epilogueInputs : [])];
    dispatch({
      wgsl: pass.wgsl,
      buffers: bound.map((b) => b.buf),
      ranges: bound.some((b) => b.range) ? bound.map((b) => b.range) : undefined,
      workgroups: pass.workgroups,
      outputs: last ? outs.length : 1,
    });
    // partials are released once recorded: the queue runs the next pass before any reuse
    if (src !== own) for (const b of src) release(b.buf);
    src = [target];
  });
  if (halfReduce) {
    // its f32 sum (or product…), rounded once, as the CPU does; packed into a new buffer, then copied into `out`
    const packed = packHalves(src[0].buf, size);
    copy(packed, 0, out.buf, out.range?.offset ?? 0, Math.ceil((size * gpuItemSize("float16")) / 4) * 4);
    release(packed);
  }
}

/**
 * A kernel over arrays larger than one binding, in chunks (chunks.ts). The
 * outputs are allocated whole; each chunk binds its part of them.
 */
function runChunked(kernel: Kernel, inputs: GpuBuffer[], outs: GpuBuffer[], what: () => string): void {
  const types = [kernel.dtype, ...kernel.inputs.map((i) => i.dtype), ...(kernel.more ?? []).map((m) => m.dtype)];
  if (types.includes("float16")) {
    throw new BackendError(`webgpu: ${what()} is larger than one binding (maxStorageBufferBindingSize ${formatBytes(limit("maxStorageBufferBindingSize"))}) and float16 kernels cannot be split into chunks yet; use float32, smaller arrays, or the CPU (devicePut(x, "cpu"))`);
  }
  const epi = kernel.reduce?.epilogue;
  if (epi) {
    // the reduction in chunks, then its epilogue over the whole result (itself in chunks if need be)
    const { epilogue: _, ...reduce } = kernel.reduce!;
    const bare: Kernel = { ...kernel, reduce };
    // (one that reads the result broadcast over rows, `accShape`, reads it through its own view: the result is row-major in that shape)
    const outSize = sizeOf(epi.accShape ?? epi.kernel.loopShape);
    const acc = runKernel(bare, inputs.slice(0, kernel.inputs.length), [{ dtype: kernel.dtype, shape: [outSize] }])[0];
    const rest = inputs.slice(kernel.inputs.length);
    const epiInputs = epi.kernel.inputs.map((_inp, i) => (i === epi.accInput ? acc : rest.shift()!));
    const contiguous = rowMajor(epi.kernel.loopShape);
    const standalone: Kernel = {
      ...epi.kernel,
      inputs: epi.kernel.inputs.map((inp, i) => (i !== epi.accInput ? inp : { dtype: kernel.dtype, view: epi.accShape ? inp.view : { strides: contiguous, offset: 0 } })),
    };
    const [result] = runKernel(standalone, epiInputs, [{ dtype: standalone.dtype, shape: epi.kernel.loopShape }]);
    release(acc);
    copy(result, 0, outs[0], 0, Math.ceil(outs[0].bytes / 4) * 4);
    release(result);
    return;
  }
  const own = inputs.slice(0, kernel.inputs.length);
  const plan = planChunks(
    kernel,
    own.map((b) => b.bytes),
    { maxBinding: limit("maxStorageBufferBindingSize"), align: limit("minStorageBufferOffsetAlignment"), itemSize: wideItemSize },
    what,
  );
  if (plan.kind === "rows") {
    const outDtypes = [kernel.dtype, ...(kernel.more ?? []).map((m) => m.dtype)];
    for (const c of plan.chunks) {
      const outBound = outs.map((buf, m) => {
        const item = wideItemSize(outDtypes[m]);
        return { buf, range: { offset: c.outStart * item, size: Math.ceil((c.outSize * item) / 4) * 4 } };
      });
      runWhole(c.kernel, own.map((buf, i) => ({ buf, range: c.inRanges[i] })), outBound, c.outSize);
    }
    return;
  }
  // each chunk reduces part of every output's extent into a row of partials; one reduction over them finishes
  const item = wideItemSize(kernel.dtype);
  const partials = alloc(wideInt(kernel.dtype), plan.outputs * plan.perOutput);
  for (const c of plan.chunks) {
    // its own buffer, copied into place: copies need 4-byte offsets, bindings far coarser ones
    const part = alloc(wideInt(kernel.dtype), c.outSize);
    runWhole(c.kernel, own.map((buf, i) => ({ buf, range: c.inRanges[i] })), [{ buf: part }], c.outSize);
    copy(part, 0, partials, c.partial * item, c.outSize * item);
    release(part);
  }
  const combine: Kernel = {
    loopShape: [plan.outputs, plan.perOutput],
    inputs: [{ dtype: kernel.dtype, view: { strides: [1, plan.outputs], offset: 0 } }],
    expr: { kind: "input", input: 0, dtype: kernel.dtype },
    reduce: { op: kernel.reduce!.op, axes: 1 },
    dtype: kernel.dtype,
  };
  runWhole(combine, [{ buf: partials }], [{ buf: outs[0] }], plan.outputs);
  release(partials);
}

function rowMajor(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    strides[a] = s;
    s *= shape[a];
  }
  return strides;
}
