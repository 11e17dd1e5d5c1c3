/**
 * jaxon: JAX for TypeScript. Pure functions over arrays, with `grad`, `vmap`,
 * `jit` and friends composing freely.
 */
import "./backend/cpu/index.js";
import "./numpy/index.js";

export { Array, liveArrays } from "./array.js";
export type { ArrayLike, NestedNumbers, IndexItem } from "./array-methods.js";
export type { DType } from "./dtype.js";
export * from "./errors.js";
export { ShapedArray, Tracer } from "./trace/core.js";
export type { Value } from "./trace/core.js";
export { ClosedJaxpr, Jaxpr } from "./trace/jaxpr.js";
export { jvp } from "./transforms/jvp.js";
export { grad, valueAndGrad, vjp, linearize } from "./transforms/linearize.js";
export type { GradOptions } from "./transforms/linearize.js";
export { vmap } from "./transforms/vmap.js";
export type { VmapOptions } from "./transforms/vmap.js";
// named axes (issue 16): pmap and shardMap run their mapped axes as named vmaps on jaxon's one device
export { pmap } from "./transforms/pmap.js";
export type { PmapOptions } from "./transforms/pmap.js";
export { shardMap, makeMesh, Mesh } from "./transforms/shard-map.js";
export type { ShardMapOptions } from "./transforms/shard-map.js";
export { makeJaxpr } from "./transforms/make-jaxpr.js";
export { jit, jitStats, jitConfig } from "./transforms/jit.js";
export type { Jitted, JitOptions, Lowered, Compiled } from "./transforms/jit.js";
export { jacfwd, jacrev, hessian } from "./transforms/jacobians.js";
export { customJvp, customVjp, checkpoint } from "./transforms/custom.js";
export { stopGradient } from "./lax/stop-gradient.js";
export { init, defaultDevice, devicePut, devicePutAsync, memoryStats, compileStats } from "./devices.js";
// types that public signatures use, so that user code (and the API reference) can name them
export type { InitOptions, InitResult } from "./devices.js";
export type { DeviceName } from "./backend/device.js";
export type { Shape } from "./shape.js";
export type { AtUpdater, Axis } from "./array-methods.js";
export type { InAxes } from "./transforms/vmap.js";
export type { JacobianOptions, JacobianOf } from "./transforms/jacobians.js";
export type { GradOf, ScalarOutput } from "./transforms/linearize.js";
export type { Lifted } from "./transforms/args.js";
export type { TreeKind } from "./trace/pytree.js";
export type { Atom, Eqn } from "./trace/jaxpr.js";
/** fp-ts's `pipe` and `flow`: transformations compose by position, `pipe(loss, grad, jit)`. */
export { pipe, flow } from "fp-ts/lib/function.js";
// The types of the namespaces' values, at the root too: a user's exported `const opt = optim.adam(…)`
// needs a name for its type in the user's own .d.ts (TypeScript cannot name a type through the
// bundled declaration file's namespaces: TS4023); in code, `optim.GradientTransformation` reads the same.
export type {
  GradientTransformation, OptState, EmptyState, StatesOf, ScaleByScheduleState, TraceState, ScaleByAdamState, ScaleByRmsState,
  ScaleByStddevState, ScaleByRssState, Mask, Schedule, ScalarOrSchedule,
} from "./optim/index.js";
export type { Layer, AnyLayer, LayerShape, DenseParams, Initializer } from "./nn/index.js";
export type { NormParams, BatchNormState, EmbedParams, EmbedLayer, MultiHeadAttentionParams, ProjectionParams } from "./nn/index.js";
export type { ParamsOf, ParamsOfLayers, SerialLayer } from "./nn/index.js";
export type { Key } from "./random/index.js";
export * as numpy from "./numpy/index.js";
export * as np from "./numpy/index.js";
export * as lax from "./lax/public.js";
export * as tree from "./tree.js";
export * as random from "./random/index.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
export * as io from "./io/index.js";
export * as scipy from "./scipy/index.js";
// StableHLO export (issue 18)
export { exportStableHLO, PartitionSpec } from "./transforms/export.js";
export type { Exported, ExportMetadata, ExportOptions, ExportedLeaf, Shardings, TreeJson } from "./transforms/export.js";
// issue 16 (breadth): top-level helpers
export { jacrev as jacobian } from "./transforms/jacobians.js";
export { evalShape, ShapeDtypeStruct, typeOf, linearTranspose } from "./transforms/eval-shape.js";
export { pureCallback, pureCallbackP } from "./transforms/callback.js";
export type { PureCallbackOptions, VmapMethod } from "./transforms/callback.js";
export * as debug from "./transforms/debug.js";
export { effectsBarrier } from "./transforms/debug.js";
// issue 16 (breadth2): blockUntilReady, deviceGet, disableJit, namedCall/namedScope, customGradient, closureConvert
export { blockUntilReady, deviceGet, deviceGetAsync, disableJit, namedScope, namedCall, customGradient, closureConvert } from "./transforms/helpers.js";
export { clearCaches, ensureCompileTimeEval, logCompiles } from "./transforms/helpers.js";
export { checkpoint as remat } from "./transforms/custom.js";
export { devices, localDevices, deviceCount, localDeviceCount, defaultBackend, processCount, processIndex, processIndices } from "./devices.js";
// issue 16 (top-level config): JAX's configuration scopes
export { debugNans, debugInfs, defaultMatmulPrecision, checkingLeaks, checkTracerLeaks, explainCacheMisses } from "./transforms/config.js";
export { transferGuard, transferGuardHostToDevice, transferGuardDeviceToHost, transferGuardDeviceToDevice } from "./transforms/config.js";
export type { MatmulPrecision, TransferGuardLevel } from "./transforms/config.js";
export { numpyRankPromotion, numpyDtypePromotion, noTracing, noExecution, enableX64, softmaxCustomJvp, defaultPrngImpl, threefryPartitionable, debugKeyReuse, allowF16Reductions } from "./transforms/config.js";
export type { RankPromotion, DTypePromotion } from "./transforms/config.js";
export { hostCount, hostId, hostIds, printEnvironmentInfo, version, copyToHostAsync, makeArrayFromCallback } from "./devices.js";
