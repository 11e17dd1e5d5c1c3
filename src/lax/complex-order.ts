/**
 * Ordering complex values, as JAX does: lexicographically on (re, im).
 * `lax.max`/`lax.min` (and so `np.maximum`/`np.minimum`), `lax.reduceMax`/
 * `lax.reduceMin` (`np.max`/`np.min`) and `lax.sort` (`np.sort`,
 * `np.argsort`) on complex operands are compositions of real primitives on
 * the parts, so every transformation (grad, vmap, jit) and both devices
 * work through the primitives they use. They register themselves in
 * complex-hooks.ts (src/lax/index.ts imports this file), which
 * elementwise.ts, reduce.ts and sort.ts call for complex operands.
 */
import { complexPartOf, isComplexDType, type ComplexDType } from "../dtype.js";
import type { Value } from "../trace/core.js";
import { complex, imag, real } from "./complex.js";
import { complexHooks } from "./complex-hooks.js";
import { add, and, convert, div, eq, ge, gt, isFiniteFn, le, lt, max, mul, or, select, sub } from "./elementwise.js";
import { stopGradient } from "./stop-gradient.js";
import { reduceMax, reduceMin, reduceSum } from "./reduce.js";
import { scalar } from "./primitive.js";
import { broadcastInDim } from "./shape.js";

/** Both operands at their common shape (lax takes equal shapes or 0-d scalars). */
function fit(x: Value, y: Value): [Value, Value] {
  const shape = x.ndim > 0 ? x.shape : y.shape;
  const to = (v: Value) => (v.ndim === shape.length ? v : broadcastInDim(v, shape, []));
  return [to(x), to(y)];
}

/** x before y in the lexicographic order on (re, im) (`lt`) or after it (`gt`). */
function lexCompare(x: Value, y: Value, cmp: typeof gt): Value {
  const [xr, xi, yr, yi] = [real(x), imag(x), real(y), imag(y)];
  return or(cmp(xr, yr), and(eq(xr, yr), cmp(xi, yi)));
}

/**
 * jnp.less/lessEqual/greater/greaterEqual of complex operands: the lexicographic order on
 * (re, im), as JAX's jnp comparisons (lax.lt itself rejects complex values, as JAX's).
 */
export function complexOrderCompare(x: Value, y: Value, op: "lt" | "le" | "gt" | "ge"): Value {
  const [a, b] = fit(x, y);
  const [xr, xi, yr, yi] = [real(a), imag(a), real(b), imag(b)];
  const strict = op === "lt" || op === "le" ? lt : gt;
  const last = { lt, le, gt, ge }[op];
  return or(strict(xr, yr), and(eq(xr, yr), last(xi, yi)));
}

/** lax.max of complex operands: the lexicographically larger (x at ties). */
export function complexMax(x: Value, y: Value): Value {
  const [a, b] = fit(x, y);
  return balanced(a, b, select(lexCompare(b, a, gt), b, a));
}

/** lax.min of complex operands: the lexicographically smaller (x at ties). */
export function complexMin(x: Value, y: Value): Value {
  const [a, b] = fit(x, y);
  return balanced(a, b, select(lexCompare(b, a, lt), b, a));
}

/**
 * At a tie (a == b, finite) a + (b − a)/2: the same value, with the tangent split evenly
 * between the operands as JAX's max/min jvp does; `chosen` elsewhere.
 */
function balanced(a: Value, b: Value, chosen: Value): Value {
  const finite = and(and(isFiniteFn(real(a)), isFiniteFn(imag(a))), and(isFiniteFn(real(b)), isFiniteFn(imag(b))));
  const tie = and(eq(a, b), finite);
  return select(tie, add(a, mul(sub(b, a), 0.5)), chosen);
}

/** reduce_max/reduce_min over `axes`: the extreme real part, then the extreme imaginary part among the elements that have it. */
function complexReduceExtreme(x: Value, axes: readonly number[], which: "max" | "min"): Value {
  const reduce = which === "max" ? reduceMax : reduceMin;
  const re = real(x);
  const im = imag(x);
  const keep = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const p = complexPartOf(x.dtype as ComplexDType);
  const mr = stopGradient(reduce(re, axes));
  const at = eq(re, broadcastInDim(mr, x.shape, keep));
  const fill = broadcastInDim(scalar(which === "max" ? -Infinity : Infinity, p), x.shape, []);
  const mi = stopGradient(reduce(select(at, im, fill), axes));
  // the value is (mr, mi); the tangent is that of the elements equal to it, split evenly among ties, as JAX's
  // reduce_max jvp: (mr, mi) + Σ over those elements of (x − (mr, mi)) / count, where each x − (mr, mi) is exactly 0
  const [mrB, miB] = [broadcastInDim(mr, x.shape, keep), broadcastInDim(mi, x.shape, keep)];
  const loc = and(and(at, eq(im, miB)), and(isFiniteFn(mrB), isFiniteFn(miB)));
  const count = reduceSum(convert(loc, p), axes);
  const zero = broadcastInDim(scalar(0, p), x.shape, []);
  const part = (v: Value, m: Value, mB: Value) => add(m, div(reduceSum(select(loc, sub(v, mB), zero), axes), max(count, 1)));
  return complex(part(re, mr, mrB), part(im, mi, miB));
}

/**
 * lax.sort with complex operands: each complex operand becomes its (re, im)
 * parts, a complex key two keys, so the sort is lexicographic on (re, im);
 * the parts are put back together after.
 */
export function complexSort(xs: readonly Value[], dimension: number, numKeys: number, sort: (xs: Value[], dimension: number, numKeys: number) => Value[]): Value[] {
  const flat: Value[] = [];
  let keys = 0;
  xs.forEach((x, i) => {
    if (isComplexDType(x.dtype)) {
      flat.push(real(x), imag(x));
      if (i < numKeys) keys += 2;
    } else {
      flat.push(x);
      if (i < numKeys) keys += 1;
    }
  });
  const out = sort(flat, dimension, keys);
  let k = 0;
  return xs.map((x) => (isComplexDType(x.dtype) ? complex(out[k++], out[k++]) : out[k++]));
}

complexHooks.max = complexMax;
complexHooks.min = complexMin;
complexHooks.reduceMax = (x, axes) => complexReduceExtreme(x, axes, "max");
complexHooks.reduceMin = (x, axes) => complexReduceExtreme(x, axes, "min");
complexHooks.sort = complexSort;
