/**
 * The complex primitives: `complex(x, y)`, `real`, `imag`, `conj` (JAX's
 * complex_p, real_p, imag_p, conj_p), and two views between a complex array
 * and its storage, `complexToPairs` ([..., n] complex → [..., n, 2] float)
 * and `pairsToComplex` (the inverse), which cost nothing (the buffer is the same).
 *
 * All are linear over the reals, and transpose as JAX's do: real's transpose
 * is complex(t, 0), imag's complex(0, −t), complex's (real t, −imag t), conj's
 * conj t; the pair views transpose like the complex/real/imag they stand for,
 * so `grad` through them gives JAX's convention.
 *
 * Their scalar expressions use only the kernel IR's casts between real and
 * complex dtypes (see `Expr`'s cast), which src/backend/kernel-complex.ts
 * lowers to float lanes, so they fuse with the complex arithmetic around them.
 */
import type { Expr } from "../backend/kernel.js";
import { binary, load, unary } from "../backend/kernel.js";
import type { Lowering } from "../backend/device.js";
import type { DType } from "../dtype.js";
import { complexOf, complexPartOf, isComplexDType, isFloat } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import { contiguousStrides, fmtShape, shapeEq } from "../shape.js";
import type { MaybeZero, Primitive, Value } from "../trace/core.js";
import { setComplexLanes } from "../trace/core.js";
import { batchElementwise, convertP, instantiate, neg, operandArg, registerComplexParts, unbroadcast, zerosOf } from "./elementwise.js";
import { bind1, definePrimitive, isUndefined, isZero, lowersToStablehlo, ShapedArray, Zero } from "./primitive.js";
import { attr } from "../backend/stablehlo.js";
import { broadcast, full, hloType } from "./stablehlo-ops.js";
import { broadcastInDim, moveAxis } from "./shape.js";

type NoParams = Record<string, never>;

/** The part dtype of a complex dtype (complex64 → float32); a real float dtype is its own. */
const partOf = (d: DType): DType => (isComplexDType(d) ? complexPartOf(d) : d);

const castRe = (x: Expr, d: DType): Expr => (x.dtype === d ? x : { kind: "cast", arg: x, dtype: d });
const castIm = (x: Expr, d: DType): Expr => ({ kind: "cast", arg: x, dtype: d, part: "im" });

/** The kernel of an elementwise application (0-d operands broadcast), as the elementwise family lowers. */
function lowerElementwise(scalarFn: (args: Expr[], out: ShapedArray) => Expr, avals: ShapedArray[], out: ShapedArray): Lowering {
  const strides = contiguousStrides(out.shape);
  const zeros = out.shape.map(() => 0);
  return {
    kind: "kernel",
    kernel: {
      loopShape: out.shape,
      inputs: avals.map((a) => ({ dtype: a.dtype, view: { strides: a.ndim === 0 ? zeros : strides, offset: 0 } })),
      expr: scalarFn(
        avals.map((a, i) => load(i, a.dtype)),
        out,
      ),
      dtype: out.dtype,
    },
  };
}

function needComplex(op: string, a: ShapedArray, realOk: boolean): void {
  if (isComplexDType(a.dtype) || (realOk && (isFloat(a.dtype) && a.dtype !== "float16"))) return;
  throw new DTypeError(
    `${op}: needs a complex${realOk ? " or float32/float64" : ""} operand, got ${a}; ` +
      (realOk ? `convert it first (x.astype("float32"))` : `make one with lax.complex(re, im) or x.astype("complex64")`),
  );
}

/** A one-operand elementwise complex primitive. */
function defineUnaryComplex(
  name: string,
  spec: {
    realOk: boolean;
    out(d: DType): DType;
    scalar(x: Expr, out: DType): Expr;
    fn(x: Value): Value;
    transpose(ct: Value, x: ShapedArray): Value;
  },
): Primitive<NoParams> {
  const prim: Primitive<NoParams> = definePrimitive<NoParams>(name, {
    params: {},
    complex: true,
    abstractEval([x]) {
      needComplex(`lax.${name}`, x, spec.realOk);
      return [new ShapedArray(x.shape, spec.out(x.dtype), x.weakType)];
    },
    scalar: ([x], _p, _a, out) => spec.scalar(x, out.dtype),
    lower: (avals, _p, [out]) => lowerElementwise(([x], o) => spec.scalar(x, o.dtype), avals, out),
    jvp([x], [t]) {
      const out = spec.fn(x);
      return [[out], [isZero(t) ? new Zero(out.aval.strong()) : spec.fn(t)]];
    },
    transpose([ct], [x]) {
      const aval = (x as { aval: ShapedArray }).aval;
      return [isZero(ct) ? new Zero(aval) : spec.transpose(ct, aval)];
    },
    batch: (args, dims) => batchElementwise(prim as unknown as Primitive, args, dims, {}),
  });
  return prim;
}

export const realP = defineUnaryComplex("real", {
  realOk: false,
  out: partOf,
  scalar: (x, d) => castRe(x, d),
  fn: (x) => real(x),
  // JAX's real_p transpose: complex(t, 0)
  transpose: (ct, x) => complex(ct, zerosOf(new ShapedArray(ct.shape, partOf(x.dtype)))),
});

export const imagP = defineUnaryComplex("imag", {
  realOk: false,
  out: partOf,
  scalar: (x, d) => ({ kind: "cast", arg: x, dtype: d, part: "im" }),
  fn: (x) => imag(x),
  // JAX's imag_p transpose: complex(0, −t)
  transpose: (ct, x) => complex(zerosOf(new ShapedArray(ct.shape, partOf(x.dtype))), neg(ct)),
});

export const conjP = defineUnaryComplex("conj", {
  realOk: true,
  out: (d) => (isComplexDType(d) ? d : complexOf(d)),
  scalar: (x, d) => {
    const p = partOf(d);
    const re = isComplexDType(x.dtype) ? castRe(x, p) : x;
    const im = isComplexDType(x.dtype) ? ({ kind: "cast", arg: x, dtype: p, part: "im" } as Expr) : null;
    const reC = castRe(re, d);
    return im ? binary("add", reC, castIm(unary("neg", im, p), d), d) : reC;
  },
  fn: (x) => conj(x),
  // JAX's conj_p transpose: conj t for a complex operand, real t for a real one
  transpose: (ct, x) => (isComplexDType(x.dtype) ? conj(ct) : real(ct)),
});

/** complex(x, y) = x + yj of two float32 (→ complex64) or float64 (→ complex128) operands. */
export const complexP: Primitive<NoParams> = definePrimitive<NoParams>("complex", {
  params: {},
  complex: true,
  abstractEval([x, y]) {
    for (const a of [x, y]) {
      if (a.dtype !== "float32" && a.dtype !== "float64") {
        throw new DTypeError(`lax.complex: needs float32 or float64 parts, got ${x} and ${y}; convert them first (x.astype("float32"))`);
      }
    }
    if (x.dtype !== y.dtype) throw new DTypeError(`lax.complex: the parts' dtypes differ (${x.dtype}, ${y.dtype}); convert one (x.astype(...)) or use np.add(re, np.multiply(im, 1j-like))`);
    if (x.ndim > 0 && y.ndim > 0 && !shapeEq(x.shape, y.shape)) {
      throw new ShapeError(`lax.complex: the parts' shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)} differ; lax needs equal shapes (or 0-d scalars): broadcast first (np.broadcastArrays)`);
    }
    return [new ShapedArray(x.ndim > 0 ? x.shape : y.shape, complexOf(x.dtype as DType), x.weakType && y.weakType)];
  },
  scalar: ([x, y], _p, _a, out) => binary("add", castRe(x, out.dtype), castIm(y, out.dtype), out.dtype),
  lower: (avals, _p, [out]) => lowerElementwise(([x, y], o) => binary("add", castRe(x, o.dtype), castIm(y, o.dtype), o.dtype), avals, out),
  jvp([x, y], [tx, ty]) {
    const out = complex(x, y);
    if (isZero(tx) && isZero(ty)) return [[out], [new Zero(out.aval.strong())]];
    const fit = (t: MaybeZero) => {
      const v = instantiate(t);
      return v.ndim === out.ndim ? v : broadcastInDim(v, out.shape, []);
    };
    return [[out], [complex(fit(tx), fit(ty))]];
  },
  transpose([ct], [x, y]) {
    // JAX's complex_p transpose: (real t, imag(−t))
    if (isZero(ct)) return [new Zero((x as { aval: ShapedArray }).aval), new Zero((y as { aval: ShapedArray }).aval)];
    const c = ct as Value;
    return [
      isUndefined(x) ? unbroadcast(real(c), x.aval) : new Zero((x as Value).aval),
      isUndefined(y) ? unbroadcast(imag(neg(c)), y.aval) : new Zero((y as Value).aval),
    ];
  },
  batch: (args, dims) => batchElementwise(complexP as unknown as Primitive, args, dims, {}),
});

/** A complex array's storage as float pairs: [..., n] complex64 → [..., n, 2] float32 (complex128 → float64), the same buffer. */
export const complexToPairsP: Primitive<NoParams> = definePrimitive<NoParams>("complex_to_pairs", {
  params: {},
  complex: true,
  abstractEval([z]) {
    needComplex("lax.complexToPairs", z, false);
    return [new ShapedArray([...z.shape, 2], partOf(z.dtype), z.weakType)];
  },
  lower: () => ({ kind: "alias", input: 0 }),
  jvp([z], [t]) {
    const out = complexToPairs(z);
    return [[out], [isZero(t) ? new Zero(out.aval.strong()) : complexToPairs(t)]];
  },
  // the pairs are (real z, imag z): the transpose is complex(t_re, 0) + complex(0, −t_im) = conj of the pairs' complex
  transpose([ct], [z]) {
    const aval = (z as { aval: ShapedArray }).aval;
    return [isZero(ct) ? new Zero(aval) : conj(pairsToComplex(ct))];
  },
  batch([z], [b]) {
    return [[complexToPairs(moveAxis(z, b!, 0))], [0]];
  },
});

/** Float pairs as a complex array: [..., n, 2] float32 → [..., n] complex64 (float64 → complex128), the same buffer. */
export const pairsToComplexP: Primitive<NoParams> = definePrimitive<NoParams>("pairs_to_complex", {
  params: {},
  complex: true,
  abstractEval([p]) {
    if (p.dtype !== "float32" && p.dtype !== "float64") {
      throw new DTypeError(`lax.pairsToComplex: needs float32 or float64 pairs, got ${p}; convert them first (x.astype("float32"))`);
    }
    if (p.ndim === 0 || p.shape[p.ndim - 1] !== 2) {
      throw new ShapeError(`lax.pairsToComplex: needs (re, im) pairs along a last axis of length 2, got shape ${fmtShape(p.shape)}`);
    }
    return [new ShapedArray(p.shape.slice(0, -1), complexOf(p.dtype), p.weakType)];
  },
  lower: () => ({ kind: "alias", input: 0 }),
  jvp([p], [t]) {
    const out = pairsToComplex(p);
    return [[out], [isZero(t) ? new Zero(out.aval.strong()) : pairsToComplex(t)]];
  },
  // complex(re, im)'s transpose, (real t, imag(−t)), as pairs
  transpose([ct], [p]) {
    const aval = (p as { aval: ShapedArray }).aval;
    return [isZero(ct) ? new Zero(aval) : complexToPairs(conj(ct))];
  },
  batch([p], [b]) {
    return [[pairsToComplex(moveAxis(p, b!, 0))], [0]];
  },
});

/**
 * The complex number x + yj, elementwise, of two float32 (→ complex64) or float64
 * (→ complex128) arrays of equal shapes (or 0-d scalars), as JAX's `lax.complex`.
 * @example
 * lax.complex(np.array([1, 2]), np.array([3, -4])); // Array([1.+3.j, 2.-4.j], dtype=complex64)
 */
export function complex(x: unknown, y: unknown): Value {
  const re = operandArg("lax.complex", x);
  const im = operandArg("lax.complex", y);
  // JS numbers take the other part's dtype, as weak scalars do
  const a = typeof x === "number" && !(typeof y === "number") ? bind1(convertP, [re], { newDtype: im.dtype, weakType: true }) : re;
  const b = typeof y === "number" && !(typeof x === "number") ? bind1(convertP, [im], { newDtype: re.dtype, weakType: true }) : im;
  return bind1(complexP, [a, b], {});
}

/**
 * The real part of a complex array (float32 for complex64, float64 for complex128), as JAX's `lax.real`.
 * @example
 * lax.real(lax.complex(np.array([1, 2]), np.array([3, 4]))); // Array([1., 2.], dtype=float32)
 */
export function real(x: unknown): Value {
  return bind1(realP, [operandArg("lax.real", x)], {});
}

/**
 * The imaginary part of a complex array, as JAX's `lax.imag`.
 * @example
 * lax.imag(lax.complex(np.array([1, 2]), np.array([3, 4]))); // Array([3., 4.], dtype=float32)
 */
export function imag(x: unknown): Value {
  return bind1(imagP, [operandArg("lax.imag", x)], {});
}

/**
 * The complex conjugate, as JAX's `lax.conj`: a real operand gives a complex result (x + 0j).
 * @example
 * lax.conj(lax.complex(np.array([1]), np.array([3]))); // Array([1.-3.j], dtype=complex64)
 */
export function conj(x: unknown): Value {
  return bind1(conjP, [operandArg("lax.conj", x)], {});
}

/**
 * A complex array's storage as float pairs: [..., n] complex64 → [..., n, 2] float32
 * (complex128 → float64), without a copy. The inverse of `pairsToComplex`.
 * @example
 * lax.complexToPairs(lax.complex(np.array([1, 2]), np.array([3, 4]))); // [[1, 3], [2, 4]]
 */
export function complexToPairs(z: unknown): Value {
  return bind1(complexToPairsP, [operandArg("lax.complexToPairs", z)], {});
}

/**
 * Float (re, im) pairs along a last axis of length 2 as a complex array: [..., n, 2]
 * float32 → [..., n] complex64 (float64 → complex128), without a copy.
 * @example
 * lax.pairsToComplex(np.array([[1, 3], [2, 4]])); // Array([1.+3.j, 2.+4.j], dtype=complex64)
 */
export function pairsToComplex(p: unknown): Value {
  return bind1(pairsToComplexP, [operandArg("lax.pairsToComplex", p)], {});
}

registerComplexParts(real, conj, (re, im) => bind1(complexP, [re, im], {}));

// a `complexLanes` primitive (gather, scatter-set/add, dynamic slices, pad, cumsum) on complex operands is the same
// primitive on their float pairs, batched over the pair axis: its batching rule does the work, and its jvp,
// transpose and lowering are the real primitive's
setComplexLanes((prim, args, params) => {
  const dims = args.map((a) => (isComplexDType(a.dtype) ? a.ndim : null));
  const pairs = args.map((a) => (isComplexDType(a.dtype) ? complexToPairs(a) : a));
  const [outs, outDims] = prim.rules.batch(pairs, dims, params);
  return outs.map((o, i) => pairsToComplex(moveAxis(o, outDims[i]!, o.ndim - 1)));
});

// ---- StableHLO (exportStableHLO): JAX's lowerings of real, imag, complex and conj; the pair views as reshapes and a concatenate/slices ----

const hlo = (o: ShapedArray) => hloType(o.shape, o.dtype);
lowersToStablehlo(realP, (ctx, [x], _p, _a, [o]) => [ctx.b.op1("stablehlo.real", [x], hlo(o))]);
lowersToStablehlo(imagP, (ctx, [x], _p, _a, [o]) => [ctx.b.op1("stablehlo.imag", [x], hlo(o))]);
lowersToStablehlo(complexP, (ctx, [x, y], _p, _a, [o]) => [ctx.b.op1("stablehlo.complex", [broadcast(ctx, x, o.shape), broadcast(ctx, y, o.shape)], hlo(o))]);
lowersToStablehlo(conjP, (ctx, [x], _p, [a], [o]) => {
  const part = partOf(o.dtype);
  if (!isComplexDType(a.dtype)) return [ctx.b.op1("stablehlo.complex", [x, full(ctx, 0, a.shape, a.dtype)], hlo(o))];
  const re = ctx.b.op1("stablehlo.real", [x], hloType(a.shape, part));
  const im = ctx.b.op1("stablehlo.negate", [ctx.b.op1("stablehlo.imag", [x], hloType(a.shape, part))], hloType(a.shape, part));
  return [ctx.b.op1("stablehlo.complex", [re, im], hlo(o))];
});
lowersToStablehlo(complexToPairsP, (ctx, [z], _p, [a], [o]) => {
  const col = hloType([...a.shape, 1], o.dtype);
  const re = ctx.b.op1("stablehlo.reshape", [ctx.b.op1("stablehlo.real", [z], hloType(a.shape, o.dtype))], col);
  const im = ctx.b.op1("stablehlo.reshape", [ctx.b.op1("stablehlo.imag", [z], hloType(a.shape, o.dtype))], col);
  return [ctx.b.op1("stablehlo.concatenate", [re, im], hlo(o), { dimension: attr.int(a.ndim) })];
});
lowersToStablehlo(pairsToComplexP, (ctx, [p], _p, [a], [o]) => {
  const lane = (k: number) => {
    const start = a.shape.map((_, i) => (i === a.ndim - 1 ? k : 0));
    const limit = a.shape.map((n, i) => (i === a.ndim - 1 ? k + 1 : n));
    const s = ctx.b.op1("stablehlo.slice", [p], hloType([...a.shape.slice(0, -1), 1], a.dtype), {
      start_indices: attr.i64s(start),
      limit_indices: attr.i64s(limit),
      strides: attr.i64s(a.shape.map(() => 1)),
    });
    return ctx.b.op1("stablehlo.reshape", [s], hloType(o.shape, a.dtype));
  };
  return [ctx.b.op1("stablehlo.complex", [lane(0), lane(1)], hlo(o))];
});
