/**
 * Cumulative reductions along an axis: cumsum, cumprod, cummax, cummin.
 * cumsum is linear (its transpose is the reversed cumsum). cumprod gets its
 * tangent from a log-depth (Hillis–Steele) scan over (value, tangent) pairs;
 * cummax/cummin from the same pairwise tree as JAX's associative_scan, since
 * at ties each max splits the tangent in half and so the tree decides the
 * result (JAX: grad of sum(cummax([1, 3, 3, 2, 3])) is [1, 2.25, 1.25, 0, 0.5]).
 * All written in lax ops, so every derivative order and vmap work.
 */
import { describe } from "../static-args.js";
import { ShapeError } from "../errors.js";
import { fmtShape, normalizeAxis, sizeOf } from "../shape.js";
import type { Primitive, Value } from "../trace/core.js";
import { add, asValue, eq, gt, lt, max, min, mul, operandArg, select } from "./elementwise.js";
import { bind1, definePrimitive, isZero, lowersToStablehlo, Zero } from "./primitive.js";
import { attr } from "../backend/stablehlo.js";
import { combinerOf, full, identityOf } from "./stablehlo-ops.js";
import { concatenate, pad, rev, slice } from "./shape.js";
import { isComplexDType } from "../dtype.js";
import { complexHooks } from "./complex-hooks.js";

type CumParams = { axis: number; reverse: boolean };
type CumOp = "sum" | "prod" | "max" | "min";

/** Shifts `x` by `s` along `axis` towards higher indices, filling with `fill`. */
function shiftRight(x: Value, axis: number, s: number, fill: number): Value {
  return pad(
    x,
    asValue(fill, x.dtype),
    x.shape.map((_, i): [number, number, number] => (i === axis ? [s, -s, 0] : [0, 0, 0])),
  );
}

const identity: Record<Exclude<CumOp, "sum">, number> = { prod: 1, max: -Infinity, min: Infinity };

/** combine((a, ta), (b, tb)) for the scan over pairs, b being the later element. */
const combinePairs: Record<Exclude<CumOp, "sum">, (a: Value, ta: Value, b: Value, tb: Value) => [Value, Value]> = {
  prod: (a, ta, b, tb) => [mul(a, b), add(mul(ta, b), mul(a, tb))],
  max: (a, ta, b, tb) => {
    const pickA = gt(a, b);
    return [select(pickA, a, b), select(pickA, ta, tb)];
  },
  min: (a, ta, b, tb) => {
    const pickA = lt(a, b);
    return [select(pickA, a, b), select(pickA, ta, tb)];
  },
};

function scanPairs(op: Exclude<CumOp, "sum">, x: Value, t: Value, axis: number): Value {
  const n = x.shape[axis];
  let v = x;
  let tv = t;
  for (let s = 1; s < n; s *= 2) {
    const [nv, nt] = combinePairs[op](shiftRight(v, axis, s, identity[op]), shiftRight(tv, axis, s, 0), v, tv);
    v = nv;
    tv = nt;
  }
  return tv;
}

/** x[start:stop:stride] along `axis` (stop may be negative, counting from the end). */
function sliceAxis(x: Value, axis: number, start: number, stop: number, stride = 1): Value {
  const n = x.shape[axis];
  const end = stop < 0 ? n + stop : Math.min(stop, n);
  return slice(
    x,
    x.shape.map((_, i) => (i === axis ? start : 0)),
    x.shape.map((d, i) => (i === axis ? Math.max(start, end) : d)),
    x.shape.map((_, i) => (i === axis ? stride : 1)),
  );
}

/** Interleaves a (even positions) and b (odd positions) along `axis`: a has as many or one more elements. */
function interleave(a: Value, b: Value, axis: number): Value {
  const na = a.shape[axis];
  const nb = b.shape[axis];
  const cfg = (lo: number, hi: number) => a.shape.map((_, i): [number, number, number] => (i === axis ? [lo, hi, 1] : [0, 0, 0]));
  // zero padding added to the other operand's elements is exact (x + 0 = x, also for ±inf and NaN)
  return add(pad(a, 0, cfg(0, nb === na ? 1 : 0)), pad(b, 0, cfg(1, nb === na ? 0 : 1)));
}

/**
 * max/min over (value, tangent) pairs with JAX's tangent rule: where both
 * sides equal the result, each gets half the tangent (lax.max's jvp).
 */
function tieCombine(op: "max" | "min") {
  return ([a, ta]: [Value, Value], [b, tb]: [Value, Value]): [Value, Value] => {
    const z = op === "max" ? max(a, b) : min(a, b);
    const weight = (u: Value, w: Value) => select(eq(u, z), select(eq(w, z), asValue(0.5, ta.dtype), asValue(1, ta.dtype)), asValue(0, ta.dtype));
    return [z, add(mul(ta, weight(a, b)), mul(tb, weight(b, a)))];
  };
}

/** JAX's associative_scan (the odd/even recursion) over (value, tangent) pairs; returns the tangents. */
function associativeScanPairs(op: "max" | "min", x: Value, t: Value, axis: number): Value {
  const combine = tieCombine(op);
  const scan = (elems: [Value, Value]): [Value, Value] => {
    const n = elems[0].shape[axis];
    if (n < 2) return elems;
    const reduced = combine(
      elems.map((e) => sliceAxis(e, axis, 0, -1, 2)) as [Value, Value],
      elems.map((e) => sliceAxis(e, axis, 1, n, 2)) as [Value, Value],
    );
    const odd = scan(reduced);
    const rest = elems.map((e) => sliceAxis(e, axis, 2, n, 2)) as [Value, Value];
    let even = combine(n % 2 === 0 ? (odd.map((e) => sliceAxis(e, axis, 0, -1)) as [Value, Value]) : odd, rest);
    even = even.map((e, i) => concatenate([sliceAxis(elems[i], axis, 0, 1), e], axis)) as [Value, Value];
    return [interleave(even[0], odd[0], axis), interleave(even[1], odd[1], axis)];
  };
  return scan([x, t])[1];
}

function defineCumulative(op: CumOp) {
  const name = `cum${op}`;
  const prim: Primitive<CumParams> = definePrimitive<CumParams>(name, {
  params: { axis: "int", reverse: "bool" },
    // a cumulative sum of complex values is the sums of its parts (PrimitiveRules.complexLanes)
    complexLanes: op === "sum",
    abstractEval([x], { axis }) {
      if (axis < 0 || axis >= x.ndim) throw new ShapeError(`lax.${name}: axis ${axis} is out of range for shape ${fmtShape(x.shape)}`);
      return [x];
    },
    lower: ([x], { axis, reverse }) => ({
      kind: "routine",
      routine: "cumulative",
      params: { op, reverse, outer: sizeOf(x.shape.slice(0, axis)), n: x.shape[axis], inner: sizeOf(x.shape.slice(axis + 1)) },
    }),
    jvp([x], [t], params) {
      const out = bind1(prim, [x], params);
      if (isZero(t)) return [[out], [new Zero(out.aval.strong())]];
      if (op === "sum") return [[out], [bind1(prim, [t], params)]];
      const { axis, reverse } = params;
      const pairs = (xs: Value, ts: Value) => (op === "prod" ? scanPairs(op, xs, ts, axis) : associativeScanPairs(op, xs, ts, axis));
      const tangent = reverse ? rev(pairs(rev(x, [axis]), rev(t, [axis])), [axis]) : pairs(x, t);
      return [[out], [tangent]];
    },
    transpose:
      op === "sum"
        ? ([ct], _x, { axis, reverse }) => [isZero(ct) ? ct : bind1(prim, [ct], { axis, reverse: !reverse })]
        : undefined,
    batch: ([x], [b], { axis, reverse }) => [[bind1(prim, [x], { axis: axis < b! ? axis : axis + 1, reverse })], [b]],
  });
  return prim;
}

export const cumsumP = defineCumulative("sum");
export const cumprodP = defineCumulative("prod");
export const cummaxP = defineCumulative("max");
export const cumminP = defineCumulative("min");

const cumulative = (prim: typeof cumsumP) => (x: Value, axis = 0, reverse = false): Value => {
  const op = `lax.${prim.name}`;
  x = operandArg(op, x);
  if (typeof reverse !== "boolean") throw new ShapeError(`${op}: reverse must be true or false, got ${describe(reverse)}`);
  const ax = normalizeAxis(op, axis, x.ndim);
  // complex products: a scan of complex multiplies (src/lax/complex-reduce.ts); complex sums run on the lanes (complexLanes)
  if (isComplexDType(x.dtype) && prim === cumprodP && complexHooks.cumprod) return complexHooks.cumprod(x, ax, reverse);
  return bind1(prim, [x], { axis: ax, reverse });
};
/**
 * Running sum along `axis` (from the end when `reverse`).
 * @example
 * lax.cumsum(np.array([1, 2, 3])); // [1, 3, 6]
 */
export const cumsum = cumulative(cumsumP);
/**
 * Running product along `axis`.
 * @example
 * lax.cumprod(np.array([1, 2, 3])); // [1, 2, 6]
 */
export const cumprod = cumulative(cumprodP);
/**
 * Running maximum along `axis`.
 * @example
 * lax.cummax(np.array([1, 3, 2])); // [1, 3, 3]
 */
export const cummax = cumulative(cummaxP);
/**
 * Running minimum along `axis`.
 * @example
 * lax.cummin(np.array([3, 1, 2])); // [3, 1, 1]
 */
export const cummin = cumulative(cumminP);

/**
 * Π_{j≠i} x_j along `axis`, exact when some x_j are zero (prefix × suffix
 * products): for [2, 0, 3], [0, 6, 0]. Internal (reduce_prod's gradient), not
 * part of the public lax namespace.
 */
export function cumulativeExclusiveProducts(x: Value, axis: number): Value {
  const before = shiftRight(cumprod(x, axis), axis, 1, 1);
  const after = rev(shiftRight(cumprod(rev(x, [axis]), axis), axis, 1, 1), [axis]);
  return mul(before, after);
}


// ---- StableHLO lowerings (exportStableHLO) ---------------------------------------------------

// a window over the whole axis, padded on the side the scan comes from with the identity
for (const [prim, op] of [[cumsumP, "sum"], [cumprodP, "prod"], [cummaxP, "max"], [cumminP, "min"]] as const) {
  lowersToStablehlo(prim, (ctx, [x], { axis, reverse }) => {
    const n = x.shape[axis];
    const scalarType = { shape: [], dtype: x.dtype };
    const body = ctx.b.region([scalarType, scalarType], ([a, b]) => [ctx.b.op1(combinerOf(op, x.dtype), [a, b], scalarType)]);
    const init = full(ctx, identityOf(op, x.dtype), [], x.dtype);
    return ctx.b.op("stablehlo.reduce_window", [x, init], [x.type], {
      window_dimensions: attr.i64s(x.shape.map((d, i) => (i === axis ? n : 1))),
      padding: attr.pairs(x.shape.map((_, i): [number, number] => (i !== axis || n === 0 ? [0, 0] : reverse ? [0, n - 1] : [n - 1, 0]))),
    }, [body]);
  });
}
