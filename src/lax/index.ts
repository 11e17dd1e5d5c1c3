/**
 * lax: the primitives as functions (JAX's names, camelCase), plus control flow.
 * Every primitive is defined once, with all of its rules, in the file of its family.
 */
export * from "./elementwise.js";
export * from "./shape.js";
export * from "./reduce.js";
export * from "./cumulative.js";
export { reduceWindow, padtypeToPads, cumlogsumexp, reduceWindowP, reduceWindowSumP, reduceWindowMaxP, reduceWindowMinP, selectAndGatherAddP, selectAndScatterAddP } from "./windowed.js";
export type { Padding, ReduceWindowOptions, WindowParams, SelectionParams, GenericWindowParams } from "./windowed.js";
export { primitives, isZero, isUndefined, scalar } from "./primitive.js";
export * from "./dot.js";
export * from "./stop-gradient.js";
export * from "./indexing.js";
export * from "./sort.js";
export * from "./random-bits.js";
export * from "./control-flow/index.js";
export * as linalg from "./linalg-public.js";
export { customLinearSolve, customLinearSolveP, customRoot, customRootP } from "./linalg-solve.js";
export { conv, convDimensionNumbers, convGeneralDilated, convGeneralDilatedP, convTranspose, convWithGeneralPadding } from "./convolution.js";
export type { ConvDimensionNumbers, ConvGeneralDilatedOptions, ConvTransposeOptions } from "./convolution.js";
export * from "./special.js";
export * from "./in-dim.js";
// issue 16 (breadth): bit primitives and lax functions over existing primitives
export * from "./bits.js";
export {
  full, fullLike, dot, batchMatmul, sortKeyVal, topK, map, associativeScan, reduce,
  broadcastToRank, broadcastedIota, dynamicIndexInDim, dynamicUpdateIndexInDim, reduceAnd, reduceOr, reduceXor, split, tile,
} from "./breadth.js";
export type { DotOptions } from "./breadth.js";
export { optimizationBarrier, optimizationBarrierP } from "./barrier.js";
export { reducePrecision, reducePrecisionP } from "./reduce-precision.js";
export { and as bitwiseAnd, or as bitwiseOr, xor as bitwiseXor, not as bitwiseNot } from "./elementwise.js";
export { complex, real, imag, conj, complexToPairs, pairsToComplex, complexP, realP, imagP, conjP, complexToPairsP, pairsToComplexP } from "./complex.js";
export { fft, fftP } from "./fft.js";
// issue 16 (collectives over named axes): psum, pmean, allGather, ppermute, … under vmap(f, { axisName })
export * from "./parallel.js";
export type { FftType } from "./fft.js";
// issue 16 (JAX's lax names): shape helpers, bitcasts, mulhi, index conveniences, approximate top-k, patches
export * from "./shape-names.js";
export * from "./bitcast.js";
export * from "./mulhi.js";
export * from "./index-names.js";
export * from "./approx-top-k.js";
export * from "./conv-patches.js";
// the complex lax.reduceProd/cumprod register themselves for reduce.ts and cumulative.ts (see complex-hooks.ts)
import "./complex-reduce.js";
// complex lax.max/min, reduceMax/reduceMin and sort (lexicographic on (re, im)) register themselves the same way
import "./complex-order.js";
// issue 16 (JAX's lax names, third set)
export * from "./ragged-dot.js";
export * from "./scaled-dot.js";
export * from "./rng-bit-generator.js";
export * from "./scatter-apply.js";
export * from "./conv-local.js";
export * from "./random-gamma-grad.js";
export { dtype, shapeAsValue, stage, Token, createToken, afterAll, composite, platformDependent, withShardingConstraint, pcast } from "./program-names.js";
export type { PlatformBranches } from "./program-names.js";
