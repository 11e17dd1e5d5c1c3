/**
 * What a device does for jaxon: hold buffers, read them back, and run
 * lowered primitives (kernels, buffer aliases and named routines).
 */
import { describe } from "../static-args.js";
import { BackendError } from "../errors.js";
import type { DType, TypedArray } from "../dtype.js";
import type { Kernel } from "./kernel.js";

export type DeviceName = "cpu" | "webgpu";

/**
 * How a primitive runs on a device, as `src/lax` lowers it:
 * - kernel: the backend-neutral loop nest (elementwise, views, reductions);
 * - alias: the output is input `input`'s buffer (a reshape of a contiguous array);
 * - routine: a named routine with backend-friendly parameters (matmul, sort, gather, ...).
 */
export type Lowering =
  | { kind: "kernel"; kernel: Kernel }
  | { kind: "alias"; input: number }
  | RoutineCall;

/**
 * The routines every backend implements, each with its parameters as
 * `src/lax` lowers them. This is a contract: a backend's table is a
 * `RoutineTable`, so a routine missing on one device, or parameters that do
 * not match, is a compile error rather than a failure at run time.
 */
export interface Routines {
  dot: DotParams;
  /** Sorts `outer` rows of `n` elements by the first `numKeys` inputs (lexicographically); the other inputs follow. */
  sort: { numKeys: number; outer: number; n: number };
  /** A cumulative sum/product/max/min along the middle axis of [outer, n, inner]. */
  cumulative: { op: "sum" | "prod" | "max" | "min"; outer: number; n: number; inner: number; reverse: boolean };
  /** The index of the first max/min along the middle axis of [outer, n, inner]. */
  argreduce: { op: "max" | "min"; outer: number; n: number; inner: number };
  gather: IndexParams;
  scatter: IndexParams & { combine: "set" | "add" | "mul" | "min" | "max"; drop: boolean };
  /** Low, high and interior padding per axis, with the padding value as the second input. */
  pad: { lo: readonly number[]; hi: readonly number[]; interior: readonly number[] };
  concatenate: { axis: number };
  /** A box of `sizes` at the (clamped) starts given as scalar inputs. */
  dynamic_slice: { sizes: readonly number[] };
  dynamic_update_slice: Record<string, never>;
  threefry2x32: Record<string, never>;
  /** Linear algebra over `batch` matrices (src/lax/linalg.ts; src/backend/{cpu,webgpu}/linalg.ts). */
  linalg_cholesky: { batch: number; n: number };
  linalg_triangular_solve: { batch: number; m: number; n: number; leftSide: boolean; lower: boolean; transposeA: boolean; conjugateA: boolean; unitDiagonal: boolean };
  linalg_lu: { batch: number; m: number; n: number };
  linalg_qr: { batch: number; m: number; n: number; fullMatrices: boolean };
  linalg_eigh: { batch: number; n: number; lower: boolean; sortEigenvalues: boolean };
  linalg_svd: { batch: number; m: number; n: number; fullMatrices: boolean; computeUv: boolean };
  /** General eigendecomposition, outputs [w, vl if left, vr if right] complex (CPU only, as JAX; WebGPU refuses). */
  linalg_eig: { batch: number; n: number; left: boolean; right: boolean };
  /** Complex operands of qr, eigh, svd, eig (src/backend/{cpu,webgpu}/linalg-complex-spectral.ts): the real routines' params; complex values as (re, im) pairs. */
  linalg_qr_complex: { batch: number; m: number; n: number; fullMatrices: boolean };
  linalg_eigh_complex: { batch: number; n: number; lower: boolean; sortEigenvalues: boolean };
  linalg_svd_complex: { batch: number; m: number; n: number; fullMatrices: boolean; computeUv: boolean };
  linalg_eig_complex: { batch: number; n: number; left: boolean; right: boolean };
  /** Windowed selections (src/lax/windowed.ts; cpu/windowed.ts, webgpu/windowed.ts): inputs (tangent or source, operand). */
  select_and_gather_add: WindowSelectParams;
  select_and_scatter_add: WindowSelectParams;
  /** conv_general_dilated (src/lax/convolution.ts; src/backend/{cpu,webgpu}/conv.ts). */
  conv: ConvParams;
  /**
   * FFTs over the last `lengths.length` complex axes of `batch` arrays, complex values as
   * interleaved (re, im) float pairs (src/lax/fft.ts; src/backend/{cpu,webgpu}/fft.ts):
   * FFT/IFFT pairs → pairs, RFFT real → half-spectrum pairs, IRFFT half-spectrum pairs → real.
   */
  fft: { fftType: "FFT" | "IFFT" | "RFFT" | "IRFFT"; batch: number; lengths: readonly number[] };
  /**
   * Fused scaled dot-product attention (src/lax/attention.ts; src/backend/{cpu,webgpu}/attention.ts):
   * inputs q [B, T, N, H] (already scaled), k, v [B, S, K, H], then bias and mask [B, N, T, S] when
   * present; outputs out [B, T, N, H] and the rows' log-sum-exp [B, N, T].
   */
  attention: AttentionRoutineParams;
  /**
   * The fused attention backward pass (dot_product_attention_bwd): inputs q, k, v, (bias), (mask),
   * out, lse, dOut [B, T, N, H], dLse [B, N, T]; outputs dq, dk, dv and dbias when there is a bias.
   * The probabilities are recomputed from lse tile by tile, never as a whole [T, S] matrix.
   */
  attention_bwd: AttentionRoutineParams;
}

/**
 * A selection over VALID windows of an operand of `inShape` (window
 * `window`, `strides`, `dilation`; `outShape` windows): each window selects
 * its first element, replaced in row-major window order by a later one
 * wherever `selected >= candidate` ("max"; `<=` for "min") is false.
 */
export type WindowSelectParams = {
  op: "max" | "min";
  inShape: readonly number[];
  outShape: readonly number[];
  window: readonly number[];
  strides: readonly number[];
  dilation: readonly number[];
};

/**
 * The `conv` routine: out[n, o, y] = Σ_{i, k} lhs[b, g·I + i, x] · rhs[o, i, k],
 * with each operand read through strides given in canonical order (lhs and
 * out: batch, feature, spatial...; rhs: out feature, in feature, spatial...).
 * I = inFeatures / featureGroups; o's feature group is g = o / (O / featureGroups);
 * its batch group is h = o / (O / batchGroups) and b = h · (batch / batchGroups) + n.
 * x_d = (y_d · strides_d + k_d · rhsDilation_d − padLo_d) / lhsDilation_d,
 * skipped unless it divides exactly and lies inside the input.
 */
export type ConvParams = {
  batch: number;
  inFeatures: number;
  outFeatures: number;
  inSpatial: readonly number[];
  kernelSpatial: readonly number[];
  outSpatial: readonly number[];
  strides: readonly number[];
  padLo: readonly number[];
  lhsDilation: readonly number[];
  rhsDilation: readonly number[];
  featureGroups: number;
  batchGroups: number;
  lhsStrides: readonly number[];
  rhsStrides: readonly number[];
  outStrides: readonly number[];
};
/** The `attention` routine's parameters: the sizes, causal masking, which optional inputs follow. */
export type AttentionRoutineParams = { B: number; T: number; N: number; S: number; K: number; H: number; causal: boolean; hasBias: boolean; hasMask: boolean };
export type RoutineName = keyof Routines;

/**
 * Gather/scatter along one axis, as [B batch, P before, N indexed, Q after]
 * operand blocks and I indices per batch (see src/lax/indexing.ts).
 */
export type IndexParams = { B: number; P: number; N: number; Q: number; I: number };

/** A routine with its own parameters: a union over `Routines`, so `params` is checked against `routine`. */
export type RoutineCall = { [K in RoutineName]: { kind: "routine"; routine: K; params: Routines[K] } }[RoutineName];

/** One routine on a backend whose buffers are `Buf`. */
export type RoutineImpl<Buf, P> = (inputs: Buf[], inTypes: BufferType[], outTypes: BufferType[], params: P) => Buf[];

/** A backend's routines: every routine of the contract, with its parameters' type. */
export type RoutineTable<Buf> = { [K in RoutineName]: RoutineImpl<Buf, Routines[K]> };

/** Calls the routine a lowering names from a backend's table (TypeScript cannot pair a union's key and params by itself). */
export function callRoutine<Buf>(table: RoutineTable<Buf>, call: RoutineCall, inputs: Buf[], inTypes: BufferType[], outTypes: BufferType[]): Buf[] {
  const routine = table[call.routine] as RoutineImpl<Buf, Routines[RoutineName]> | undefined;
  // a lowering made outside the type system (a JS caller) can still name nothing
  if (!routine) throw new BackendError(`no routine ${describe(call.routine)} on this device`);
  return routine(inputs, inTypes, outTypes, call.params);
}

/**
 * The `dot` routine's parameters, as src/lax/dot.ts lowers dot_general for
 * every backend: `batch` products of [m, k]·[k, n], each operand read through
 * [batch, row or k, k or column] strides from an offset; the output is
 * row-major [batch, m, n].
 */
export type DotParams = {
  batch: number;
  m: number;
  n: number;
  k: number;
  lhsStrides: readonly number[];
  rhsStrides: readonly number[];
  lhsOffset?: number;
  rhsOffset?: number;
  /**
   * A fused epilogue (backends with `epilogues`): the elementwise kernel
   * that consumed the product, over the product's shape; its input `accInput`
   * is the product itself (read element for element), its other inputs follow
   * lhs and rhs in the routine's inputs, and its result is the routine's output.
   * `accShape` (backends with `broadcastEpilogues`): the product's shape where the
   * epilogue's loop is larger, reading the product broadcast along its trailing axes.
   */
  epilogue?: { kernel: Kernel; accInput: number; accShape?: readonly number[] };
};

export interface Backend<Buf = unknown> {
  readonly name: DeviceName;
  /** Whether `readSync` works (the CPU) or only `read` (a GPU). */
  readonly syncReadable: boolean;
  /** The most inputs one fused kernel may read (WebGPU: its storage-buffer bindings less the output); fusion stays under it. */
  readonly maxKernelInputs?: number;
  /** Called when a jitted call has recorded all its work (WebGPU submits it, so the device starts while JS goes on). */
  callDone?(): void;
  /** Whether the backend's matmul and reductions take an elementwise epilogue (`DotParams.epilogue`, `Kernel.reduce.epilogue`); fusion then folds one in. */
  readonly epilogues?: boolean;
  /**
   * Whether an epilogue's loop may be larger than the result it reads (`accShape`): a mat-vec's or a row
   * reduction's consumer that reads each result broadcast along trailing axes (a row's outputs from the row's sum).
   */
  readonly broadcastEpilogues?: boolean;
  /** Whether the backend runs kernels with several outputs (`Kernel.more`); fusion then merges sibling kernels. */
  readonly multiOutputKernels?: boolean;
  upload(data: TypedArray, dtype: DType): Buf;
  readSync(buf: Buf, dtype: DType, size: number): TypedArray;
  read(buf: Buf, dtype: DType, size: number): Promise<TypedArray>;
  /** Runs a lowered primitive; returns one buffer per output. */
  run(lowering: Lowering, inputs: Buf[], inTypes: BufferType[], outTypes: BufferType[]): Buf[];
  dispose(buf: Buf): void;
  /** A device that runs asynchronously (WebGPU) orders work around loops it decides on its own (see `DeviceStream`). */
  readonly stream?: DeviceStream<Buf>;
}

/**
 * How a device that cannot be read synchronously runs a loop whose trip
 * count it decides itself (`lax.whileLoop` on WebGPU): the loop is a job
 * that records guarded iterations in chunks and reads its flag back
 * asynchronously; work made after it is recorded after it.
 */
export interface DeviceStream<Buf> {
  /**
   * Starts `job` in order: now, or after work still waiting. Its synchronous
   * sections run inside `enter` and record ahead of the work made after the
   * job; the work made after it waits until the job's promise settles.
   * `done` runs then, before that work: where the job releases its operands
   * (their buffers wait for that work, which may still read them).
   */
  spawn(job: (enter: <T>(fn: () => T) => T) => Promise<void>, done: () => void): void;
  /** A new buffer for a value the job writes later (a loop's result). */
  alloc(type: BufferType): Buf;
  /** Records a copy of a whole value from `src` into `dst` (same type). */
  copy(src: Buf, dst: Buf, type: BufferType): void;
  /** Makes reads of `buf` (and of values computed from it) throw `error`: a job that failed. */
  fail(buf: Buf, error: Error): void;
}

export interface BufferType {
  shape: readonly number[];
  dtype: DType;
}

const backends = new Map<DeviceName, Backend>();
let defaultName: DeviceName = "cpu";

export function registerBackend(b: Backend) {
  backends.set(b.name, b);
}

export function getBackend(name?: DeviceName): Backend {
  const b = backends.get(name ?? defaultName);
  if (!b) throw new BackendError(`no backend named ${describe(name)}`);
  return b;
}

/**
 * Where new data of `dtype` goes when no device is named: the default device,
 * unless it cannot hold the dtype (float64 on WebGPU, which has no 64-bit
 * floats), then the CPU. So `np.array(xs, "float64")` works whatever the
 * default, and computations on it run on the CPU (it is not committed there).
 */
export function defaultBackendFor(dtype: DType): Backend {
  const b = getBackend();
  return (dtype === "float64" || dtype === "complex128") && b.name === "webgpu" ? getBackend("cpu") : b;
}

export function setDefaultBackend(name: DeviceName) {
  defaultName = name;
}
