/**
 * One case per primitive (or small group): a function of a few arrays with
 * their shapes and input domains. The rule tests run them on the CPU in
 * float64; the WebGPU tests run the same cases on both devices in float32.
 */
import * as lax from "../src/lax/index.js";
import { fftPairsRaw } from "../src/lax/fft.js";
import type { Value } from "../src/trace/core.js";
import type { Array } from "../src/array.js";
import { arr, rand } from "./helpers.js";
import { bind1 } from "../src/lax/primitive.js";
import { fusedAttention } from "../src/lax/attention.js";
import { fma } from "../src/lax/fma.js";
import { vmap } from "../src/transforms/vmap.js";

type Domain = [number, number];
export const range = (n: number) => globalThis.Array.from({ length: n }, (_, i) => i);
export interface Case {
  /** Primitive names this case exercises. */
  prims: string[];
  fn: (...xs: Value[]) => Value;
  shapes: number[][];
  domains?: Domain[];
  /** Skip the derivative checks (integer or piecewise-constant outputs). */
  noGrad?: boolean;
  /** Skip only the finite-difference check (stop_gradient's derivative is zero on purpose). */
  noFiniteDiff?: boolean;
  tol?: number;
}

const un = (name: string, fn: (x: Value) => Value, domain: Domain = [-2, 2]): Case => ({ prims: [name], fn, shapes: [[2, 3]], domains: [domain] });
const bin = (name: string, fn: (x: Value, y: Value) => Value, d1: Domain = [-2, 2], d2: Domain = d1): Case => ({
  prims: [name],
  fn,
  shapes: [[3, 2], [3, 2]],
  domains: [d1, d2],
});

/** Every primitive's case, computing in the float dtype `F` (float64 on the CPU for finite differences, float32 and float16 on WebGPU). */
export function primitiveCases(F: "float16" | "float32" | "float64"): Case[] {
  return [
  un("neg", lax.neg),
  un("exp", lax.exp),
  un("exp2", lax.exp2),
  un("log", lax.log, [0.5, 3]),
  un("log1p", lax.log1p, [-0.5, 2]),
  un("expm1", lax.expm1),
  un("sin", lax.sin),
  un("cos", lax.cos),
  un("tan", lax.tan, [-1, 1]),
  un("asin", lax.asin, [-0.8, 0.8]),
  un("acos", lax.acos, [-0.8, 0.8]),
  un("atan", lax.atan),
  un("sinh", lax.sinh),
  un("cosh", lax.cosh),
  un("tanh", lax.tanh),
  un("asinh", lax.asinh),
  un("acosh", lax.acosh, [1.5, 3]),
  un("atanh", lax.atanh, [-0.8, 0.8]),
  un("logistic", lax.logistic),
  un("sqrt", lax.sqrt, [0.5, 3]),
  un("rsqrt", lax.rsqrt, [0.5, 3]),
  un("cbrt", lax.cbrt, [0.5, 3]),
  un("square", lax.square),
  un("reciprocal", lax.reciprocal, [0.5, 3]),
  un("erf", lax.erf),
  un("erf_inv", lax.erfInv, [-0.8, 0.8]),
  un("abs", lax.abs, [0.2, 2]),
  un("integer_pow", (x) => lax.integerPow(x, 3)),
  { ...un("sign", lax.sign), noGrad: true },
  { ...un("floor", lax.floor), noGrad: true },
  { ...un("ceil", lax.ceil), noGrad: true },
  { ...un("round", (x) => lax.round(x)), noGrad: true },
  { prims: ["is_finite", "convert_element_type"], fn: (x) => lax.convert(lax.isFiniteFn(x), F), shapes: [[4]], noGrad: true },
  bin("add", lax.add),
  bin("sub", lax.sub),
  bin("mul", lax.mul),
  bin("div", lax.div, [-2, 2], [0.5, 2]),
  bin("rem", lax.rem, [0.5, 3], [0.7, 1.3]),
  bin("pow", lax.pow, [0.5, 2], [-1, 2]),
  bin("max", lax.max),
  bin("min", lax.min),
  bin("atan2", lax.atan2, [0.5, 2], [0.5, 2]),
  { ...bin("nextafter", lax.nextafter), noGrad: true },
  ...(["eq", "ne", "lt", "le", "gt", "ge"] as const).map(
    (n): Case => ({ prims: [n, "convert_element_type"], fn: (x, y) => lax.convert(lax[n](x, y), F), shapes: [[5], [5]], noGrad: true }),
  ),
  ...(["and", "or", "xor"] as const).map(
    (n): Case => ({
      prims: [n, "not", "gt"],
      fn: (x, y) => lax.convert(lax.not(lax[n](lax.gt(x, 0), lax.gt(y, 0))), F),
      shapes: [[5], [5]],
      noGrad: true,
    }),
  ),
  { prims: ["select_n"], fn: (p, x, y) => lax.select(lax.gt(p, 0), x, y), shapes: [[4], [4], [4]] },
  { prims: ["clamp"], fn: (x) => lax.clamp(-0.5, x, 0.5), shapes: [[6]] },
  { prims: ["reduce_sum"], fn: (x) => lax.reduceSum(x, [1]), shapes: [[3, 4]] },
  { prims: ["reduce_max"], fn: (x) => lax.reduceMax(x, [0]), shapes: [[3, 4]] },
  { prims: ["reduce_min"], fn: (x) => lax.reduceMin(x, [0, 1]), shapes: [[3, 4]] },
  { prims: ["reduce_prod"], fn: (x) => lax.reduceProd(x, [1]), shapes: [[2, 4]] },
  { prims: ["argmax", "argmin"], fn: (x) => lax.convert(lax.add(lax.argmax(x, 1), lax.argmin(x, 1)), F), shapes: [[3, 4]], noGrad: true },
  { prims: ["broadcast_in_dim"], fn: (x) => lax.broadcastInDim(x, [2, 3, 4], [1, 2]), shapes: [[3, 1]] },
  { prims: ["reshape"], fn: (x) => lax.reshape(x, [3, 2]), shapes: [[2, 3]] },
  { prims: ["transpose"], fn: (x) => lax.transpose(x, [2, 0, 1]), shapes: [[2, 3, 2]] },
  { prims: ["squeeze", "expand_dims"], fn: (x) => lax.expandDims(lax.squeeze(x, [1]), [0]), shapes: [[3, 1, 2]] },
  { prims: ["rev"], fn: (x) => lax.rev(x, [0, 1]), shapes: [[2, 3]] },
  { prims: ["slice"], fn: (x) => lax.slice(x, [1, 0], [4, 3], [2, 2]), shapes: [[5, 3]] },
  { prims: ["pad"], fn: (x, v) => lax.pad(x, lax.reshape(lax.slice(v, [0], [1]), []), [[1, -1, 1], [0, 2, 0]]), shapes: [[3, 2], [1]] },
  { prims: ["concatenate"], fn: (x, y) => lax.concatenate([x, y, x], 1), shapes: [[2, 2], [2, 3]] },
  { prims: ["cumsum"], fn: (x) => lax.cumsum(x, 1), shapes: [[2, 4]] },
  { prims: ["cumprod"], fn: (x) => lax.cumprod(x, 1, true), shapes: [[2, 4]] },
  { prims: ["cummax"], fn: (x) => lax.cummax(x, 0), shapes: [[5, 2]] },
  { prims: ["cummin"], fn: (x) => lax.cummin(x, 1), shapes: [[2, 5]] },
  { prims: ["dot_general"], fn: (x, y) => lax.dotGeneral(x, y, { contracting: [[1], [0]], batch: [[], []] }), shapes: [[2, 3], [3, 4]] },
  { prims: ["dot_general"], fn: (x, y) => lax.dotGeneral(x, y, { contracting: [[2], [1]], batch: [[0], [0]] }), shapes: [[2, 3, 4], [2, 4, 2]] },
  { prims: ["dot_general"], fn: (x, y) => lax.dotGeneral(x, y, { contracting: [[0, 2], [2, 0]], batch: [[], []] }), shapes: [[2, 3, 4], [4, 5, 2]] },
  { prims: ["stop_gradient"], fn: (x) => lax.mul(x, lax.stopGradient(x)), shapes: [[3]], noFiniteDiff: true },
  // windowed reductions (src/lax/windowed.ts)
  { prims: ["reduce_window_sum"], fn: (x) => lax.reduceWindow(x, 0, lax.add, [2, 3], [2, 1], "SAME", { windowDilation: [1, 2] }), shapes: [[5, 4]] },
  { prims: ["reduce_window_max"], fn: (x) => lax.reduceWindow(x, -Infinity, lax.max, [3, 2], [1, 2], [[1, 0], [0, 1]], { baseDilation: [1, 2] }), shapes: [[4, 3]] },
  { prims: ["reduce_window_min"], fn: (x) => lax.reduceWindow(x, Infinity, lax.min, [2, 2], [2, 1], "SAME"), shapes: [[5, 3]] },
  { prims: ["reduce_window"], fn: (x) => lax.reduceWindow(x, 0.5, lax.mul, [2, 2], [1, 2], "SAME", { baseDilation: [2, 1] }), shapes: [[3, 4]], domains: [[0.5, 1.5]] },
  ...(["ge", "le"] as const).flatMap((selectPrim): Case[] => {
    const p = { windowDimensions: [2, 3], windowStrides: [2, 1], windowDilation: [1, 1], selectPrim };
    return [
      { prims: ["select_and_gather_add"], fn: (t, x) => bind1(lax.selectAndGatherAddP, [t, x], p), shapes: [[5, 4], [5, 4]] },
      { prims: ["select_and_scatter_add"], fn: (s, x) => bind1(lax.selectAndScatterAddP, [s, x], p), shapes: [[2, 2], [5, 4]] },
    ];
  }),
  // the FFT takes float32/float64 only (as JAX's), so no float16 case
  ...(F === "float16" ? [] : fftCases),
  // complex values (src/lax/complex.ts): real functions of real inputs through complex arithmetic
  ...(F === "float16" ? [] : complexCases),
  // special functions (src/lax/special.ts); shape parameters held constant: their derivatives are UnsupportedError, as in JAX
  un("lgamma", lax.lgamma, [0.3, 5]),
    // internal (random sampling's fused multiply-add): a·b + c rounded once; jvp da·b + a·db + dc
    { prims: ["fma"], fn: (a: Value, b: Value, c: Value) => fma(a, b, c), shapes: [[2, 3], [2, 3], [2, 3]] },
  un("digamma", lax.digamma, [0.3, 5]),
  un("erfc", lax.erfc, [-2.5, 2.5]),
  un("bessel_i0e", lax.besselI0e, [0.2, 4]),
  un("bessel_i1e", lax.besselI1e, [0.2, 4]),
  { prims: ["zeta"], fn: (q) => lax.zeta(lax.convert(3, F), q), shapes: [[2, 3]], domains: [[0.5, 4]] },
  { prims: ["igamma"], fn: (x) => lax.igamma(lax.convert(2, F), x), shapes: [[2, 3]], domains: [[0.3, 5]] },
  { prims: ["igammac"], fn: (x) => lax.igammac(lax.convert(2.5, F), x), shapes: [[2, 3]], domains: [[0.3, 5]] },
  { prims: ["regularized_incomplete_beta"], fn: (x) => lax.betainc(lax.convert(1.5, F), lax.convert(2.5, F), x), shapes: [[2, 3]], domains: [[0.1, 0.9]] },
  // issue 16 (breadth): igamma/igammac in both arguments (the a-derivative by the differentiated series/fraction), the bit primitives
  { prims: ["igamma"], fn: (a, x) => lax.igamma(a, x), shapes: [[2, 3], [2, 3]], domains: [[0.5, 4], [0.3, 5]], tol: 1e-4 },
  { prims: ["igammac"], fn: (a, x) => lax.igammac(a, x), shapes: [[2, 3], [2, 3]], domains: [[0.5, 4], [0.3, 5]], tol: 1e-4 },
  ...(["shiftLeft", "shiftRightLogical", "shiftRightArithmetic"] as const).map((n): Case => ({
    prims: [{ shiftLeft: "shift_left", shiftRightLogical: "shift_right_logical", shiftRightArithmetic: "shift_right_arithmetic" }[n], "convert_element_type"],
    fn: (x, s) => lax.convert(lax[n](lax.convert(x, "int32"), lax.convert(s, "int32")), F),
    shapes: [[6], [6]],
    domains: [[-1000, 1000], [-3, 40]],
    noGrad: true,
  })),
  // rounding to 12 mantissa bits: its derivative is JAX's (the tangent rounded the same way), neither a finite difference nor
  // exactly linear; test/fixtures/jax's lax.reducePrecision/bfloat16 case checks grad, jvp and vjp against JAX
  { prims: ["reduce_precision"], fn: (x) => lax.reducePrecision(x, 8, 12), shapes: [[2, 3]], noGrad: true },
  {
    prims: ["optimization_barrier"],
    fn: (x, y) => {
      const [a, b] = lax.optimizationBarrier([lax.sin(x), y]);
      return lax.mul(a, b);
    },
    shapes: [[2, 3], [2, 3]],
  },
  {
    prims: ["population_count", "clz"],
    fn: (x) => lax.convert(lax.add(lax.populationCount(lax.convert(x, "int32")), lax.mul(lax.clz(lax.convert(x, "int32")), 100)), F),
    shapes: [[6]],
    domains: [[-100000, 100000]],
    noGrad: true,
  },
  // fused attention (src/lax/attention.ts): grouped heads, a bias, a 0/1 mask from iotas, causal; out and lse flattened together
  {
    prims: ["dot_product_attention", "dot_product_attention_jvp", "dot_product_attention_bwd"],
    fn: (q, k, v, b) => {
      const W = F === "float16" ? "float32" : F;
      const full = [2, 4, 3, 5];
      const pattern = lax.add(lax.iota("int32", full, 3), lax.mul(lax.iota("int32", full, 2), lax.iota("int32", full, 1)));
      const mask = lax.convert(lax.ne(lax.rem(pattern, lax.convert(3, "int32")), lax.convert(0, "int32")), W);
      const [o, lse] = fusedAttention(lax.convert(q, W), lax.convert(k, W), lax.convert(v, W), { bias: lax.convert(b, W), mask, causal: true, scale: 0.7 });
      return lax.convert(lax.concatenate([lax.reshape(o, [o.size]), lax.reshape(lse, [lse.size])], 0), F);
    },
    shapes: [[2, 3, 4, 3], [2, 5, 2, 3], [2, 5, 2, 3], [2, 4, 3, 5]],
  },
  // collectives over a named vmap axis (src/lax/parallel.ts; against JAX in test/collectives.test.ts): each inside
  // vmap(f, { axisName: "i" }) over the first axis, so the rule tests differentiate and vmap the named vmap
  ...collectiveCases(),
  ];
}

/** The fft primitive on float pairs: a complex FFT (Bluestein length), an IFFT over 2 axes, an RFFT→IRFFT chain of odd length. */
const fftCases: Case[] = [
  { prims: ["fft"], fn: (x) => fftPairsRaw(x, "FFT", [37]), shapes: [[2, 37, 2]] },
  { prims: ["fft"], fn: (x) => fftPairsRaw(x, "IFFT", [3, 4]), shapes: [[3, 4, 2]] },
  { prims: ["fft"], fn: (x) => fftPairsRaw(lax.mul(fftPairsRaw(x, "RFFT", [2, 9]), 0.5), "IRFFT", [2, 9]), shapes: [[3, 2, 9]] },
];

/**
 * The complex primitives, each inside a real function of real inputs (so finite differences,
 * vmap and jit check them in float64 and float32): complex arithmetic (add, sub, mul, neg on
 * complex), conj of complex and of real operands, the parts, and the pair views.
 */
const complexCases: Case[] = [
  {
    prims: ["complex", "real", "imag", "conj"],
    fn: (x, y) => {
      const z = lax.complex(x, y);
      const w = lax.mul(lax.add(z, lax.conj(lax.mul(z, z))), lax.sub(lax.neg(z), lax.conj(y)));
      return lax.add(lax.real(w), lax.mul(lax.imag(w), 0.5));
    },
    shapes: [[3, 2], [3, 2]],
  },
  {
    prims: ["complex_to_pairs", "pairs_to_complex"],
    fn: (p) => {
      const z = lax.pairsToComplex(p);
      return lax.complexToPairs(lax.mul(z, lax.conj(lax.add(z, lax.pairsToComplex(lax.mul(p, p))))));
    },
    shapes: [[3, 2, 2]],
  },
];

/** The case's inputs: deterministic random values in each input's domain. */
export function sample(c: Case, seed: number, F: "float32" | "float64" = "float64"): Array[] {
  return c.shapes.map((s, i) => {
    const [lo, hi] = c.domains?.[i] ?? [-2, 2];
    const n = s.reduce((a, b) => a * b, 1);
    return arr(rand(n, seed * 31 + i, lo, hi), F, s);
  });
}


/** The collectives, each inside a named vmap over the leading axis (size 4). */
function collectiveCases(): Case[] {
  const named = (f: (v: Value) => Value) => (x: Value) => vmap(f, { axisName: "i" })(x) as Value;
  const one = (prim: string, f: (v: Value) => Value, shape: number[] = [4, 3]): Case => ({ prims: [prim], fn: named(f), shapes: [shape] });
  return [
    one("psum", (v) => lax.mul(lax.psum(v, "i"), lax.sin(v))),
    one("pmax", (v) => lax.mul(lax.pmax(v, "i"), v)),
    one("pmin", (v) => lax.mul(lax.pmin(v, "i"), v)),
    one("axis_index", (v) => lax.mul(v, lax.convert(lax.axisIndex("i"), v.dtype))),
    one("all_gather", (v) => lax.allGather(v, "i", { axis: 1 })),
    one("reduce_scatter", (v) => lax.psumScatter(v, "i"), [4, 4, 3]),
    one("all_to_all", (v) => lax.allToAll(v, "i", 0, 1), [4, 4, 3]),
    one("ppermute", (v) => lax.ppermute(v, "i", [[0, 2], [2, 1], [1, 0]])),
    one("pbroadcast", (v) => lax.mul(lax.pbroadcast(v, "i", 3), v)),
  ];
}
