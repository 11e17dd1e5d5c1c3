/**
 * The public \`lax\` namespace: JAX's lax functions (camelCase), their
 * primitives (\`addP\`, …), and control flow. \`./index.ts\` also holds the
 * machinery the library shares between its modules (operand conversion,
 * symbolic zeros, batching helpers); it stays internal, so that users meet
 * only functions that check their arguments.
 */
export {
  abs,
  absP,
  acos,
  acosP,
  acosh,
  acoshP,
  add,
  addP,
  and,
  andP,
  argmax,
  argmaxP,
  argmin,
  argminP,
  argsort,
  asin,
  asinP,
  asinh,
  asinhP,
  atan,
  atan2,
  atan2P,
  atanP,
  atanh,
  atanhP,
  broadcastInDim,
  broadcastInDimP,
  cbrt,
  cbrtP,
  ceil,
  ceilP,
  clamp,
  clampP,
  concatenate,
  concatenateP,
  cond,
  condP,
  convert,
  convertElementType,
  convertP,
  cos,
  cosP,
  cosh,
  coshP,
  cummax,
  cummaxP,
  cummin,
  cumminP,
  cumprod,
  cumprodP,
  cumsum,
  cumsumP,
  div,
  divP,
  dotGeneral,
  dotGeneralP,
  dynamicSlice,
  dynamicSliceP,
  dynamicUpdateSlice,
  dynamicUpdateSliceP,
  eq,
  eqP,
  erf,
  erfInv,
  erfInvP,
  erfP,
  exp,
  exp2,
  exp2P,
  expP,
  expandDims,
  expandDimsP,
  expm1,
  expm1P,
  floor,
  floorP,
  foriLoop,
  gather,
  gatherP,
  ge,
  geP,
  gt,
  gtP,
  integerPow,
  integerPowP,
  iota,
  iotaP,
  isFiniteP,
  le,
  leP,
  log,
  log1p,
  log1pP,
  logP,
  logistic,
  logisticP,
  lt,
  ltP,
  max,
  maxP,
  min,
  minP,
  moveAxis,
  mul,
  mulP,
  ne,
  neP,
  neg,
  negP,
  nextafter,
  nextafterP,
  not,
  notP,
  or,
  orP,
  pad,
  padP,
  pow,
  powP,
  reciprocal,
  reciprocalP,
  reduceMax,
  reduceMaxP,
  reduceMin,
  reduceMinP,
  reduceProd,
  reduceProdP,
  reduceSum,
  reduceSumP,
  rem,
  remP,
  reshape,
  reshapeP,
  rev,
  revP,
  round,
  roundP,
  rsqrt,
  rsqrtP,
  scan,
  scanP,
  scatter,
  scatterAdd,
  scatterAddP,
  scatterMax,
  scatterMaxP,
  scatterMin,
  scatterMinP,
  scatterMul,
  scatterMulP,
  scatterP,
  select,
  selectN,
  selectNP,
  sign,
  signP,
  sin,
  sinP,
  sinh,
  sinhP,
  slice,
  sliceP,
  sort,
  sortP,
  sqrt,
  sqrtP,
  square,
  squareP,
  squeeze,
  squeezeP,
  stopGradient,
  stopGradientP,
  sub,
  subP,
  switch,
  tan,
  tanP,
  tanh,
  tanhP,
  threefry2x32,
  threefry2x32P,
  transpose,
  transposeP,
  whileLoop,
  whileP,
  xor,
  xorP,
} from "./index.js";
export { isFiniteFn as isFinite } from "./index.js";
export * as linalg from "./linalg-public.js";
export { conv, convDimensionNumbers, convGeneralDilated, convGeneralDilatedP, convTranspose, convWithGeneralPadding } from "./convolution.js";
export type { ConvDimensionNumbers, ConvGeneralDilatedOptions, ConvTransposeOptions } from "./convolution.js";
export { customLinearSolve, customLinearSolveP, customRoot, customRootP } from "./index.js";
export {
  reduceWindow, padtypeToPads, cumlogsumexp,
  reduceWindowP, reduceWindowSumP, reduceWindowMaxP, reduceWindowMinP, selectAndGatherAddP, selectAndScatterAddP,
} from "./windowed.js";
export type { Padding, ReduceWindowOptions } from "./windowed.js";
export type { GatherDimensionNumbers, ScatterDimensionNumbers } from "./gather-general.js";
export type { GatherGeneralOptions, ScatterGeneralOptions } from "./indexing.js";
export {
  besselI0e, besselI0eP, besselI1e, besselI1eP, betainc, digamma, digammaP, erfc, erfcP, igamma, igammaP, igammac, igammacP, lgamma, lgammaP,
  polygamma, regularizedIncompleteBetaP, zeta, zetaP,
} from "./special.js";
export { broadcast, collapse, dynamicSliceInDim, dynamicUpdateSliceInDim, indexInDim, sliceInDim } from "./in-dim.js";
// issue 16 (breadth)
export {
  shiftLeft, shiftLeftP, shiftRightLogical, shiftRightLogicalP, shiftRightArithmetic, shiftRightArithmeticP,
  populationCount, populationCountP, clz, clzP,
} from "./bits.js";
export {
  full, fullLike, dot, batchMatmul, sortKeyVal, topK, map, associativeScan, reduce,
  broadcastToRank, broadcastedIota, dynamicIndexInDim, dynamicUpdateIndexInDim, reduceAnd, reduceOr, reduceXor, split, tile,
} from "./breadth.js";
export type { DotOptions } from "./breadth.js";
export { igammaGradA } from "./special.js";
export { optimizationBarrier, optimizationBarrierP } from "./barrier.js";
export { reducePrecision, reducePrecisionP } from "./reduce-precision.js";
export { and as bitwiseAnd, or as bitwiseOr, xor as bitwiseXor, not as bitwiseNot } from "./index.js";
export { complex, real, imag, conj, complexToPairs, pairsToComplex, complexP, realP, imagP, conjP, complexToPairsP, pairsToComplexP } from "./complex.js";
// the FFT on complex arrays (issue 14)
export { fft, fftP } from "./fft.js";
export type { FftType } from "./fft.js";
// collectives over named axes (issue 16)
export {
  psum, pmean, pmax, pmin, axisIndex, axisSize, allGather, allToAll, ppermute, pswapaxes, psumScatter, pshuffle, pbroadcast,
  psumP, pmaxP, pminP, axisIndexP, allGatherP, allToAllP, ppermuteP, psumScatterP, pbroadcastP,
} from "./parallel.js";
// issue 16 (JAX's lax names)
export {
  stack, unstack, empty, broadcastLike, broadcastShapes, convShapeTuple, convGeneralShapeTuple, convTransposeShapeTuple,
  convGeneralPermutations, reduceWindowShapeTuple,
} from "./shape-names.js";
export { bitcastConvertType, bitcastConvertTypeP } from "./bitcast.js";
export { mulhi } from "./mulhi.js";
export { scatterSub, indexTake } from "./index-names.js";
export { approxMaxK, approxMinK } from "./approx-top-k.js";
export type { ApproxTopKOptions } from "./approx-top-k.js";
export { convGeneralDilatedPatches } from "./conv-patches.js";
export type { ConvPatchesOptions } from "./conv-patches.js";
// issue 16 (JAX's lax names, third set): grouped and scaled products, XLA's bit generator, program-shaping names
export { raggedDot, raggedDotGeneral } from "./ragged-dot.js";
export type { RaggedDotDimensionNumbers, RaggedDotOptions } from "./ragged-dot.js";
export { scaledDot } from "./scaled-dot.js";
export type { ScaledDotOptions } from "./scaled-dot.js";
export { rngBitGenerator, rngUniform } from "./rng-bit-generator.js";
export type { RandomAlgorithm } from "./rng-bit-generator.js";
export { scatterApply } from "./scatter-apply.js";
export type { ScatterApplyOptions } from "./scatter-apply.js";
export { convGeneralDilatedLocal } from "./conv-local.js";
export { randomGammaGrad } from "./random-gamma-grad.js";
export { dtype, shapeAsValue, stage, Token, createToken, afterAll, composite, platformDependent, withShardingConstraint, pcast } from "./program-names.js";
export type { PlatformBranches } from "./program-names.js";
