/**
 * `np`: NumPy's API (JAX's flavour, camelCase names) written on lax, so that
 * every function works on concrete arrays and tracers alike and composes
 * with grad, vmap and jit. Loading this module also installs the array
 * methods (`x.add(y)`, `x.sum()`, `x.get(...)`, ...).
 */
import { registerArrayMethods } from "../array-methods.js";
import * as ew from "./elementwise.js";
import * as idx from "./indexing.js";
import * as la from "./linalg.js";
import * as red from "./reductions.js";
import * as shp from "./shape.js";

export * from "./creation.js";
export * from "./dtypes.js";
export * from "./elementwise.js";
export * from "./reductions.js";
export * from "./shape.js";
export * from "./indexing.js";
export * from "./linalg.js";
export * from "./sorting.js";
export { quantile, percentile, median, average, cov, corrcoef, histogramBinEdges, histogram, histogram2d, histogramdd, bincount } from "./statistics.js";
export type { QuantileMethod, QuantileOptions, AverageOptions, CovOptions, Bins, HistogramOptions, HistogramddOptions } from "./statistics.js";
export * from "./nan-functions.js";
export * from "./sets.js";
export * from "./searching.js";
export * from "./polynomials.js";
export * from "./construction.js";
export * from "./windows.js";
export * from "./elementwise-extra.js";
export * from "./vectorize.js";
export * from "./printing.js";
export * from "./einsum-path.js";
export * from "./fromiter.js";
export * from "./frompyfunc.js";
export { fft } from "./fft.js";
export { complex, iscomplexobj, isrealobj, iscomplex, isreal, real, imag, conj, conjugate } from "./complex.js";
// one-argument np.where (nonzero) shadows the elementwise three-argument form, which it calls
export { where } from "./searching.js";

registerArrayMethods({
  add: ew.add,
  subtract: ew.subtract,
  multiply: ew.multiply,
  divide: ew.divide,
  floorDivide: ew.floorDivide,
  mod: ew.mod,
  power: ew.power,
  maximum: ew.maximum,
  minimum: ew.minimum,
  matmul: la.matmul,
  dot: la.dot,
  negative: ew.negative,
  abs: ew.abs,
  sign: ew.sign,
  exp: ew.exp,
  log: ew.log,
  sqrt: ew.sqrt,
  square: ew.square,
  sin: ew.sin,
  cos: ew.cos,
  tanh: ew.tanh,
  floor: ew.floor,
  ceil: ew.ceil,
  round: ew.round,
  reciprocal: ew.reciprocal,
  clip: ew.clip,
  equal: ew.equal,
  notEqual: ew.notEqual,
  less: ew.less,
  lessEqual: ew.lessEqual,
  greater: ew.greater,
  greaterEqual: ew.greaterEqual,
  logicalAnd: ew.logicalAnd,
  logicalOr: ew.logicalOr,
  logicalNot: ew.logicalNot,
  sum: red.sum,
  mean: red.mean,
  max: red.max,
  min: red.min,
  prod: red.prod,
  var: red.var_,
  std: red.std,
  argmax: red.argmax,
  argmin: red.argmin,
  cumsum: red.cumsum,
  reshape: shp.reshape,
  transpose: shp.transpose,
  ravel: shp.ravel,
  squeeze: shp.squeeze,
  expandDims: shp.expandDims,
  broadcastTo: shp.broadcastTo,
  astype: shp.astype,
  getItem: idx.getItem,
  at: idx.at,
});
export { save, savez, load } from "./save-load.js";
// issue 16 (breadth): shifts, bit count, array-API names
export { leftShift, rightShift, bitwiseLeftShift, bitwiseRightShift, bitwiseCount, matrixTranspose, vecdot, cross, copy, iterable } from "./bits.js";
export type { CrossOptions } from "./bits.js";
// issue 16 (breadth2): arrays from bytes and text, sortComplex
export { frombuffer, fromstring, sortComplex } from "./buffers.js";
export { packbits, unpackbits } from "./packbits.js";
export type { PackbitsOptions, UnpackbitsOptions } from "./packbits.js";
