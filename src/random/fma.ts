/**
 * a·b + c rounded once, as XLA computes it where it contracts a multiply and an
 * add into a fused multiply-add (uniform's `floats * (maxval - minval) + minval`,
 * each Horner step of its erfinv). lax has no fma primitive, so this builds one
 * from error-free transformations (Dekker's product, Knuth's sum), each of which
 * is exact when every lax op rounds once in the operands' dtype (true of the CPU
 * backend, JavaScript and WebAssembly alike):
 *
 *   a·b = p + e exactly; p + c = s + t exactly; t + e = v + w exactly;
 *   s + v = r + z exactly, so a·b + c = r + z + w with r = RN(s + v).
 *
 * r is the correctly rounded result unless s + v lay exactly halfway between r
 * and its neighbour n (z = (n − r)/2) and the last term w pushes the true value
 * past the midpoint (w of z's sign): then n is.
 */
import type { DType } from "../dtype.js";
import { add, and, eq, gt, isFiniteFn as isFinite, lt, mul, ne, or, scalar, select, sub } from "../lax/index.js";
import type { Value } from "../trace/core.js";

/** Veltkamp's splitting constant 2^⌈p/2⌉ + 1 for a dtype of p significant bits. */
const splitter = (dtype: DType) => (dtype === "float16" ? 2 ** 6 + 1 : dtype === "float32" ? 2 ** 12 + 1 : 2 ** 27 + 1);

function twoSum(a: Value, b: Value): [Value, Value] {
  const s = add(a, b);
  const bb = sub(s, a);
  return [s, add(sub(a, sub(s, bb)), sub(b, bb))];
}

function split(a: Value): [Value, Value] {
  const c = mul(a, scalar(splitter(a.dtype), a.dtype));
  const hi = sub(c, sub(c, a));
  return [hi, sub(a, hi)];
}

function twoProduct(a: Value, b: Value): [Value, Value] {
  const p = mul(a, b);
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const e = add(add(add(sub(mul(ah, bh), p), mul(ah, bl)), mul(al, bh)), mul(al, bl));
  return [p, e];
}

/**
 * a·b + c with one rounding (a, b, c of one float dtype, broadcast alike). Where
 * the product or the split overflows, the plain a·b + c.
 */
export function fma(a: Value, b: Value, c: Value): Value {
  const d = a.dtype;
  const [p, e] = twoProduct(a, b);
  const [s, t] = twoSum(p, c);
  const [v, w] = twoSum(t, e);
  const [r, z] = twoSum(s, v);
  const zero = scalar(0, d);
  // the neighbour of r on z's side, when z is exactly half the gap to it: r + 2z is then that
  // neighbour exactly, and (r + 2z) − r = 2z; a smaller z gives r + 2z ∈ {r, n} and fails the test.
  // (Plain adds rather than nextafter, which the CPU backend does not fuse: 7x slower.)
  const twoZ = add(z, z);
  const n = add(r, twoZ);
  const tie = and(ne(z, zero), eq(sub(n, r), twoZ));
  const past = or(and(gt(z, zero), gt(w, zero)), and(lt(z, zero), lt(w, zero)));
  const fused = select(and(tie, past), n, r);
  return select(isFinite(e), fused, add(p, c));
}
