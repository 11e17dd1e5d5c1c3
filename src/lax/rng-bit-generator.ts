/**
 * `rngBitGenerator`: JAX's `lax.rng_bit_generator(key, shape, dtype, algorithm)`,
 * bit for bit as XLA computes it on the CPU. JAX passes the uint32[4] key to
 * XLA as a u64[2] state (s0 = words 0–1, s1 = words 2–3, low word first);
 * XLA's `RNG_DEFAULT` is Philox there (measured: its bits equal RNG_PHILOX's).
 *
 * - Philox-4x32-10: key (w0, w1); block i encrypts the 128-bit counter
 *   (s1, s0) + i, i.e. words [w2, w3, w0, w1] + i with carries; the four output
 *   words of block i are elements 4i … 4i+3. The new state keeps s0 and adds
 *   the number of blocks to s1 (the high half of the counter is dropped, as XLA does).
 * - Threefry-2x32 (20 rounds, jaxon's `threefry2x32`): key (w0, w1); the shape is
 *   split in half along its first even axis (else its longest), each element of
 *   the half shape encrypts the 64-bit counter s1 + its row-major index, and the
 *   two output words become the pairs 2j, 2j+1 along the split axis. The new
 *   state adds the number of half-shape elements to s1.
 *
 * Written with jaxon's uint32 primitives (64-bit sums carry by hand, products'
 * high halves by `mulhi`), so it runs on every device and under every
 * transformation; bits have zero derivative.
 */
import type { ArrayLike } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { checkDType, isFloat, isInt } from "../dtype.js";
import { ArgumentError, DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import { fmtShape } from "../shape.js";
import { describe, shapeArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { shiftRightLogical } from "./bits.js";
import * as E from "./elementwise.js";
import { convert, operandArg } from "./elementwise.js";
import { mulhi } from "./mulhi.js";
import { threefry2x32 } from "./random-bits.js";
import { concatenate, iota, reshape, slice } from "./shape.js";
import { stopGradient } from "./stop-gradient.js";

/** JAX's `lax.RandomAlgorithm` names: "default" (Philox on XLA's CPU), "threefry", "philox". */
export type RandomAlgorithm = "default" | "threefry" | "philox";

const u32 = (n: number) => convert(n, "uint32");
const word = (key: Value, i: number) => reshape(slice(key, [i], [i + 1]), []);

/** (lo, hi) + n as 64-bit numbers in uint32 words, n a uint32 array (below 2^32). */
function add64(lo: Value, hi: Value, n: Value): [Value, Value] {
  const sum = E.add(lo, n);
  const carry = convert(E.lt(sum, lo), "uint32");
  return [sum, E.add(hi, carry)];
}

/** Philox-4x32 with 10 rounds on counters (c0…c3, arrays) under key (k0, k1). */
function philox4x32(c: [Value, Value, Value, Value], k0: Value, k1: Value): [Value, Value, Value, Value] {
  const M0 = u32(0xd2511f53);
  const M1 = u32(0xcd9e8d57);
  let [x0, x1, x2, x3] = c;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(x0, M0);
    const lo0 = E.mul(x0, M0);
    const hi1 = mulhi(x2, M1);
    const lo1 = E.mul(x2, M1);
    [x0, x1, x2, x3] = [E.xor(E.xor(hi1, x1), k0), lo1, E.xor(E.xor(hi0, x3), k1), lo0];
    k0 = E.add(k0, u32(0x9e3779b9));
    k1 = E.add(k1, u32(0xbb67ae85));
  }
  return [x0, x1, x2, x3];
}

function philoxBits(w: Value[], n: number): [Value, Value] {
  const blocks = Math.ceil(n / 4);
  const i = iota("uint32", [blocks]);
  // the 128-bit counter (s1, s0) + i: words [w2, w3, w0, w1], carries rippling up
  const c0 = E.add(w[2], i);
  const carry0 = convert(E.lt(c0, w[2]), "uint32");
  const c1 = E.add(w[3], carry0);
  const carry1 = convert(E.and(E.eq(c1, u32(0)), E.eq(carry0, u32(1))), "uint32");
  const c2 = E.add(w[0], carry1);
  const carry2 = convert(E.and(E.eq(c2, u32(0)), E.eq(carry1, u32(1))), "uint32");
  const c3 = E.add(w[1], carry2);
  const out = philox4x32([c0, c1, c2, c3], w[0], w[1]);
  // element 4i + j is word j of block i
  const bits = slice(reshape(concatenate(out.map((o) => reshape(o, [blocks, 1])), 1), [blocks * 4]), [0], [n]);
  const [lo, hi] = add64(w[2], w[3], u32(blocks));
  return [concatenate([reshape(w[0], [1]), reshape(w[1], [1]), reshape(lo, [1]), reshape(hi, [1])], 0), bits];
}

function threefryBits(w: Value[], shape: readonly number[]): [Value, Value] {
  if (shape.length === 0) {
    const [y0] = threefry2x32(w[0], w[1], w[2], w[3]);
    const [lo, hi] = add64(w[2], w[3], u32(1));
    return [concatenate([reshape(w[0], [1]), reshape(w[1], [1]), reshape(lo, [1]), reshape(hi, [1])], 0), y0];
  }
  let split = shape.findIndex((d) => d % 2 === 0);
  if (split < 0) split = shape.reduce((best, d, i) => (d > shape[best] ? i : best), 0);
  const half = shape.map((d, i) => (i === split ? Math.ceil(d / 2) : d));
  const count = half.reduce((p, d) => p * d, 1);
  const [x0, x1] = add64(w[2], w[3], iota("uint32", [count]));
  const [y0, y1] = threefry2x32(w[0], w[1], x0, x1);
  const halfWithPair = [...half.slice(0, split + 1), 1, ...half.slice(split + 1)];
  const paired = concatenate([reshape(y0, halfWithPair), reshape(y1, halfWithPair)], split + 1);
  const even = shape.map((d, i) => (i === split ? half[i] * 2 : d));
  let bits = reshape(paired, even);
  if (even[split] !== shape[split]) bits = slice(bits, shape.map(() => 0), shape);
  const [lo, hi] = add64(w[2], w[3], u32(count));
  return [concatenate([reshape(w[0], [1]), reshape(w[1], [1]), reshape(lo, [1]), reshape(hi, [1])], 0), bits];
}

/**
 * Random bits from a uint32[4] `key` (XLA's RngBitGenerator, as JAX's
 * `lax.rng_bit_generator`): returns `[newKey, bits]`, bits of `shape` and
 * `dtype` (uint32, or uint8: the low byte of each uint32 word, as XLA's CPU
 * does). `algorithm`: "default" (Philox, XLA's choice on the CPU), "philox"
 * or "threefry"; the bits equal JAX's on the CPU exactly.
 * @example
 * const [next, bits] = lax.rngBitGenerator(np.array([1, 2, 3, 4], { dtype: "uint32" }), [2]);
 * // bits: [512747620, 1298009047], next: [1, 2, 4, 4]
 */
export function rngBitGenerator(key: ArrayLike, shape: number | readonly number[], dtype: DType = "uint32", algorithm: RandomAlgorithm = "default"): [Value, Value] {
  const op = "lax.rngBitGenerator";
  const k = operandArg(op, key);
  if (k.dtype !== "uint32" || k.ndim !== 1 || k.shape[0] !== 4) {
    throw new ShapeError(`${op}: key must be uint32 of shape [4] (JAX's u64[2] state as words), got ${k.dtype}${fmtShape(k.shape)}`);
  }
  const s = shapeArg(op, shape);
  const d = checkDType(dtype, op);
  if (d !== "uint32" && d !== "uint8") {
    throw new (isInt(d) ? UnsupportedError : DTypeError)(
      `${op}: dtype ${d} is not supported; use uint32 (or uint8) and convert (JAX allows only unsigned dtypes; its uint16/uint64 streams are not reproduced)`,
    );
  }
  if (algorithm !== "default" && algorithm !== "philox" && algorithm !== "threefry") {
    throw new ArgumentError(`${op}: algorithm must be "default", "philox" or "threefry", got ${describe(algorithm)}`);
  }
  const w = [0, 1, 2, 3].map((i) => word(stopGradient(k), i));
  const n = s.reduce((p, x) => p * x, 1);
  if (n === 0) return [k, convert(iota("uint32", s, 0), d)];
  const [next, bits] = algorithm === "threefry" ? threefryBits(w, s) : philoxBits(w, n);
  return [next, convert(reshape(bits, s), d)];
}

let rngUniformCalls = 0;

/**
 * Uniform random numbers in [a, b) of `shape` (JAX's `lax.rng_uniform`, XLA's
 * stateful RngUniform): each call draws from the next state of a module-wide
 * Philox stream, so eager calls differ. Under `jit` the state is fixed when
 * the function is traced (every call of the compiled function repeats it);
 * JAX itself documents the op as discouraged — use `random.uniform` with a key.
 * Floats use 23 random mantissa bits; integers are `a + bits mod (b − a)`.
 * @example
 * lax.rngUniform(0, 1, [3]); // three floats in [0, 1)
 */
export function rngUniform(a: ArrayLike, b: ArrayLike, shape: number | readonly number[]): Value {
  const op = "lax.rngUniform";
  const lo = operandArg(op, a);
  const hi = operandArg(op, b);
  if (lo.ndim !== 0 || hi.ndim !== 0) throw new ShapeError(`${op}: a and b must be scalars, got ${fmtShape(lo.shape)} and ${fmtShape(hi.shape)}`);
  if (lo.dtype !== hi.dtype) throw new DTypeError(`${op}: a and b need one dtype, got ${lo.dtype} and ${hi.dtype}`);
  const s = shapeArg(op, shape);
  rngUniformCalls += 1;
  const key = convert(E.add(iota("uint32", [4]), rngUniformCalls * 4), "uint32");
  const [, bits] = rngBitGenerator(key, s, "uint32", "philox");
  if (isFloat(lo.dtype)) {
    const unit = E.mul(convert(shiftRightLogical(bits, u32(9)), lo.dtype), 2 ** -23);
    return E.add(E.mul(unit, E.sub(hi, lo)), lo);
  }
  if (isInt(lo.dtype)) {
    const span = E.sub(convert(hi, "uint32"), convert(lo, "uint32"));
    return E.add(lo, convert(E.rem(bits, span), lo.dtype));
  }
  throw new DTypeError(`${op}: needs float or integer bounds, got ${lo.dtype}`);
}
