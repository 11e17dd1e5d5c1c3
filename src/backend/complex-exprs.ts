/**
 * Complex arithmetic as pairs of real scalar expressions of the kernel IR:
 * the formulas every backend's complex lanes compute (src/backend/kernel-complex.ts
 * rewrites complex kernels with them, so the JS, Wasm and WGSL renderers
 * only ever see real expressions).
 */
import { UnsupportedError } from "../errors.js";
import type { DType } from "../dtype.js";
import type { BinaryOp, Expr, UnaryOp } from "./kernel.js";
import { binary, constant, unary } from "./kernel.js";

/**
 * An exact zero part (the real part of `lax.complex(0, y)`'s encoding):
 * adding it changes nothing, so `complex(x, y)` is exactly (x, y). Only the
 * sums and negations below see it; everything else materializes it.
 */
export const ZERO: Expr = Object.freeze({ kind: "const", value: 0, dtype: "float32" }) as Expr;

/** A complex value as its real and imaginary parts (either may be `ZERO`). */
export interface PairExpr {
  re: Expr;
  im: Expr;
}

/** A part as an expression of dtype `p` (`ZERO` becomes a 0 constant). */
export function materialize(x: Expr, p: DType): Expr {
  return x === ZERO ? constant(0, p) : x;
}

const add = (a: Expr, b: Expr, p: DType): Expr => (a === ZERO ? b : b === ZERO ? a : binary("add", a, b, p));
const sub = (a: Expr, b: Expr, p: DType): Expr => (b === ZERO ? a : a === ZERO ? unary("neg", b, p) : binary("sub", a, b, p));
const neg = (a: Expr, p: DType): Expr => (a === ZERO ? ZERO : unary("neg", a, p));
const mul = (a: Expr, b: Expr, p: DType): Expr => binary("mul", materialize(a, p), materialize(b, p), p);

function unsupported(op: string): never {
  throw new UnsupportedError(`${op} of complex values is not supported yet`);
}

/** Real scalar builders over the part dtype `p`, for the formulas below. */
function real(p: DType) {
  const c = (v: number) => constant(v, p);
  const bin = (op: BinaryOp) => (x: Expr, y: Expr) => binary(op, x, y, p);
  const cmp = (op: BinaryOp) => (x: Expr, y: Expr) => binary(op, x, y, "bool");
  const un = (op: UnaryOp) => (x: Expr) => unary(op, x, p);
  const sel = (cond: Expr, t: Expr, f: Expr): Expr => ({ kind: "select", which: cond, cases: [f, t], dtype: p });
  const r = {
    c, sel,
    add: bin("add"), sub: bin("sub"), mul: bin("mul"), div: bin("div"), max: bin("max"), min: bin("min"), atan2: bin("atan2"),
    eq: cmp("eq"), ne: cmp("ne"), lt: cmp("lt"), gt: cmp("gt"), ge: cmp("ge"),
    and: (x: Expr, y: Expr) => binary("and", x, y, "bool"),
    or: (x: Expr, y: Expr) => binary("or", x, y, "bool"),
    not: (x: Expr) => unary("not", x, "bool"),
    neg: un("neg"), abs: un("abs"), exp: un("exp"), expm1: un("expm1"), log: un("log"), log1p: un("log1p"), sqrt: un("sqrt"),
    asinh: un("asinh"),
    sin: un("sin"), cos: un("cos"), tan: un("tan"), sinh: un("sinh"), cosh: un("cosh"), tanh: un("tanh"),
    finite: (x: Expr) => unary("is_finite", x, "bool"),
    isnan: (x: Expr) => binary("ne", x, x, "bool"),
    isinf: (x: Expr) => binary("eq", unary("abs", x, p), constant(Infinity, p), "bool"),
    /** |a + bi| without overflow or underflow; NaN when either part is NaN (as XLA). */
    hypot(a: Expr, b: Expr): Expr {
      const ax = r.abs(a);
      const bx = r.abs(b);
      const m = r.max(ax, bx);
      const n = r.min(ax, bx);
      const q = r.div(n, m);
      const h = r.mul(m, r.sqrt(r.add(c(1), r.mul(q, q))));
      return r.sel(r.or(r.isnan(a), r.isnan(b)), c(NaN), r.sel(r.eq(m, c(Infinity)), c(Infinity), r.sel(r.eq(m, c(0)), c(0), h)));
    },
  };
  return r;
}

/** exp(a + bi), as XLA: a real argument keeps its zero imaginary part exactly. */
function cexp(a: Expr, b: Expr, p: DType): PairExpr {
  const r = real(p);
  const e = r.exp(a);
  const zero = r.eq(b, r.c(0));
  return { re: r.sel(zero, e, r.mul(e, r.cos(b))), im: r.sel(zero, b, r.mul(e, r.sin(b))) };
}

function clog(a: Expr, b: Expr, p: DType): PairExpr {
  const r = real(p);
  return { re: r.log(r.hypot(a, b)), im: r.atan2(b, a) };
}

/** tanh(a + bi) by Kahan's form, ±1 + 0i past |a| = 22 (src/backend/cpu/complex-math.ts ctanh). */
function ctanh(a: Expr, b: Expr, p: DType): PairExpr {
  const r = real(p);
  const t = r.tan(b);
  const beta = r.add(r.c(1), r.mul(t, t));
  const s = r.sinh(a);
  const rho = r.sqrt(r.add(r.c(1), r.mul(s, s)));
  const den = r.add(r.c(1), r.mul(beta, r.mul(s, s)));
  const far = r.gt(r.abs(a), r.c(22));
  const flat = r.eq(b, r.c(0));
  return {
    re: r.sel(far, r.sel(r.gt(a, r.c(0)), r.c(1), r.c(-1)), r.sel(flat, r.tanh(a), r.div(r.mul(beta, r.mul(rho, s)), den))),
    im: r.sel(far, r.sel(r.finite(b), r.mul(r.c(0), r.sin(r.mul(r.c(2), b))), r.c(0)), r.sel(flat, b, r.div(t, den))),
  };
}

/** (a + bi) / (c + di) by Smith's scaling (src/backend/cpu/complex-math.ts cdiv); a zero divisor gives (a / c, b / c), signs as XLA's. */
function cdiv(x: PairExpr, y: PairExpr, p: DType): PairExpr {
  const r = real(p);
  const [a, b, c, d] = [x.re, x.im, y.re, y.im].map((e) => materialize(e, p));
  const big = r.ge(r.abs(c), r.abs(d));
  const r1 = r.div(d, c);
  const den1 = r.add(c, r.mul(d, r1));
  const r2 = r.div(c, d);
  const den2 = r.add(r.mul(c, r2), d);
  const zero = r.and(r.eq(c, r.c(0)), r.eq(d, r.c(0)));
  const infDen = r.and(r.or(r.isinf(c), r.isinf(d)), r.and(r.finite(a), r.finite(b)));
  // x / ±0 spelled out: a shader compiler may fold 0 / x to 0 where the numerator is a literal 0 (reciprocal's)
  const byZero = (x: Expr) => r.sel(r.eq(x, r.c(0)), r.c(NaN), r.div(x, c));
  const pick = (z: Expr, b1: Expr, b2: Expr) => r.sel(infDen, r.c(0), r.sel(big, r.sel(zero, z, b1), b2));
  return {
    re: pick(byZero(a), r.div(r.add(a, r.mul(b, r1)), den1), r.div(r.add(r.mul(a, r2), b), den2)),
    im: pick(byZero(b), r.div(r.sub(b, r.mul(a, r1)), den1), r.div(r.sub(r.mul(b, r2), a), den2)),
  };
}

/** The principal square root by the half-angle form, with XLA's special values (complex-math.ts csqrt). */
function csqrt(a: Expr, b: Expr, p: DType): PairExpr {
  const r = real(p);
  const t = r.sqrt(r.div(r.add(r.abs(a), r.hypot(a, b)), r.c(2)));
  const neg = r.lt(b, r.c(0));
  let re = r.sel(r.ge(a, r.c(0)), t, r.div(r.abs(b), r.mul(r.c(2), t)));
  let im = r.sel(r.ge(a, r.c(0)), r.div(b, r.mul(r.c(2), t)), r.sel(neg, r.neg(t), t));
  const minusInf = r.eq(a, r.c(-Infinity));
  re = r.sel(minusInf, r.c(0), re);
  im = r.sel(minusInf, r.sel(neg, a, r.neg(a)), im);
  const plusInf = r.eq(a, r.c(Infinity));
  re = r.sel(plusInf, a, re);
  im = r.sel(plusInf, r.sel(neg, r.c(-0), r.c(0)), im);
  const infB = r.isinf(b);
  re = r.sel(infB, r.c(Infinity), re);
  im = r.sel(infB, b, im);
  const nan = r.or(r.isnan(a), r.isnan(b));
  re = r.sel(nan, r.c(NaN), re);
  im = r.sel(nan, r.c(NaN), im);
  const zero = r.and(r.eq(a, r.c(0)), r.eq(b, r.c(0)));
  return { re: r.sel(zero, r.c(0), re), im: r.sel(zero, b, im) };
}

/** z^w = exp(w · log z); 0^w is 1 for w = 0, 0 for re w > 0, NaN otherwise (complex-math.ts cpow). */
function cpow(x: PairExpr, y: PairExpr, p: DType): PairExpr {
  const r = real(p);
  const [a, b, c, d] = [x.re, x.im, y.re, y.im].map((e) => materialize(e, p));
  const l = clog(a, b, p);
  const e = cexp(r.sub(r.mul(l.re, c), r.mul(l.im, d)), r.add(r.mul(l.re, d), r.mul(l.im, c)), p);
  const zeroBase = r.and(r.eq(a, r.c(0)), r.eq(b, r.c(0)));
  const zeroExp = r.and(r.eq(c, r.c(0)), r.eq(d, r.c(0)));
  const atZero = (one: number) => r.sel(zeroExp, r.c(one), r.sel(r.gt(c, r.c(0)), r.c(0), r.c(NaN)));
  return { re: r.sel(zeroBase, atZero(1), e.re), im: r.sel(zeroBase, atZero(0), e.im) };
}

/**
 * √(1 − z) as conj(√(conj(1 − z))): equal off the cut; on it (b = ±0, a > 1) it is −i·√(a − 1),
 * the side XLA's asin/acos take whatever the zero's sign (csqrt reads both zeros as +0).
 */
function sqrtOneMinus(a: Expr, b: Expr, p: DType): PairExpr {
  const r = real(p);
  const s = csqrt(r.sub(r.c(1), a), b, p);
  return { re: s.re, im: r.neg(s.im) };
}

/** asin(a + bi) by Kahan's two square roots: re = atan2(a, Re(√(1−z)·√(1+z))), im = asinh(Im(conj(√(1−z))·√(1+z))); the signed zeros pick the side of a branch cut. */
function casin(a: Expr, b: Expr, p: DType): PairExpr {
  const r = real(p);
  const s1 = sqrtOneMinus(a, b, p);
  const s2 = csqrt(r.add(r.c(1), a), b, p);
  return {
    re: r.atan2(a, r.sub(r.mul(s1.re, s2.re), r.mul(s1.im, s2.im))),
    im: r.asinh(r.sub(r.mul(s1.re, s2.im), r.mul(s1.im, s2.re))),
  };
}

/** acos(a + bi) by Kahan: re = 2·atan2(Re √(1−z), Re √(1+z)), im = asinh(Im(conj(√(1+z))·√(1−z))). */
function cacos(a: Expr, b: Expr, p: DType): PairExpr {
  const r = real(p);
  const s1 = sqrtOneMinus(a, b, p);
  const s2 = csqrt(r.add(r.c(1), a), b, p);
  return {
    re: r.mul(r.c(2), r.atan2(s1.re, s2.re)),
    im: r.asinh(r.sub(r.mul(s2.re, s1.im), r.mul(s2.im, s1.re))),
  };
}

/** acosh(a + bi) by Kahan: re = asinh(Re(conj(√(z−1))·√(z+1))), im = 2·atan2(Im √(z−1), Re √(z+1)). */
function cacosh(a: Expr, b: Expr, p: DType): PairExpr {
  const r = real(p);
  const s1 = csqrt(r.sub(a, r.c(1)), b, p);
  const s2 = csqrt(r.add(a, r.c(1)), b, p);
  return {
    re: r.asinh(r.add(r.mul(s1.re, s2.re), r.mul(s1.im, s2.im))),
    im: r.mul(r.c(2), r.atan2(s1.im, s2.re)),
  };
}

/** atanh(a + bi): re = ¼·log1p(4a / ((1 − a)² + b²)), im = ½·atan2(2b, (1 − a)(1 + a) − b²). */
function catanh(a: Expr, b: Expr, p: DType): PairExpr {
  const r = real(p);
  const oneMinus = r.sub(r.c(1), a);
  const den = r.add(r.mul(oneMinus, oneMinus), r.mul(b, b));
  return {
    re: r.mul(r.c(0.25), r.log1p(r.div(r.mul(r.c(4), a), den))),
    im: r.mul(r.c(0.5), r.atan2(r.mul(r.c(2), b), r.sub(r.mul(oneMinus, r.add(r.c(1), a)), r.mul(b, b)))),
  };
}

/** A unary op on a complex operand (parts of dtype `p`); `out` is the result's dtype (complex, or real for abs). */
export function complexUnary(op: UnaryOp, z: PairExpr, p: DType, _out: DType): PairExpr | Expr {
  const r = real(p);
  if (op === "neg") return { re: neg(z.re, p), im: neg(z.im, p) };
  const a = materialize(z.re, p);
  const b = materialize(z.im, p);
  switch (op) {
    case "square":
      return { re: r.mul(r.sub(a, b), r.add(a, b)), im: r.mul(r.c(2), r.mul(a, b)) };
    case "abs":
      return r.hypot(a, b);
    case "sign": {
      const m = r.hypot(a, b);
      const zero = r.eq(m, r.c(0));
      return { re: r.sel(zero, r.c(0), r.div(a, m)), im: r.sel(zero, r.c(0), r.div(b, m)) };
    }
    case "reciprocal":
      return cdiv({ re: r.c(1), im: r.c(0) }, { re: a, im: b }, p);
    case "exp":
      return cexp(a, b, p);
    case "log":
      return clog(a, b, p);
    case "sqrt":
      return csqrt(a, b, p);
    case "sin":
      return { re: r.sel(r.eq(a, r.c(0)), a, r.mul(r.sin(a), r.cosh(b))), im: r.mul(r.cos(a), r.sinh(b)) };
    case "cos":
      return { re: r.mul(r.cos(a), r.cosh(b)), im: r.sel(r.eq(a, r.c(0)), r.c(0), r.neg(r.mul(r.sin(a), r.sinh(b)))) };
    case "sinh":
      return { re: r.mul(r.sinh(a), r.cos(b)), im: r.sel(r.eq(b, r.c(0)), b, r.mul(r.cosh(a), r.sin(b))) };
    case "cosh":
      return { re: r.mul(r.cosh(a), r.cos(b)), im: r.sel(r.eq(b, r.c(0)), r.c(0), r.mul(r.sinh(a), r.sin(b))) };
    case "tanh":
      return ctanh(a, b, p);
    case "tan": {
      // tan z = −i · tanh(i z)
      const t = ctanh(r.neg(b), a, p);
      return { re: t.im, im: r.neg(t.re) };
    }
    case "expm1": {
      const s = r.sin(r.div(b, r.c(2)));
      const flat = r.eq(b, r.c(0));
      return { re: r.sel(flat, r.expm1(a), r.sub(r.mul(r.expm1(a), r.cos(b)), r.mul(r.c(2), r.mul(s, s)))), im: r.sel(flat, b, r.mul(r.exp(a), r.sin(b))) };
    }
    case "rsqrt": {
      // polar, as XLA: |z|^(−1/2) · (cos θ − i sin θ) with θ = atan2(b, a) / 2 (a signed zero b picks the side of the cut)
      const m = r.div(r.c(1), r.sqrt(r.hypot(a, b)));
      const t = r.mul(r.c(0.5), r.atan2(b, a));
      return { re: r.mul(m, r.cos(t)), im: r.neg(r.mul(m, r.sin(t))) };
    }
    case "logistic": {
      // 1 / (1 + exp(−z))
      const e = cexp(r.neg(a), r.neg(b), p);
      return cdiv({ re: r.c(1), im: r.c(0) }, { re: r.add(r.c(1), e.re), im: e.im }, p);
    }
    case "asin":
      return casin(a, b, p);
    case "acos":
      return cacos(a, b, p);
    case "acosh":
      return cacosh(a, b, p);
    case "atanh":
      return catanh(a, b, p);
    case "asinh": {
      // asinh z = −i · asin(i z)
      const w = casin(r.neg(b), a, p);
      return { re: w.im, im: r.neg(w.re) };
    }
    case "atan": {
      // atan z = −i · atanh(i z)
      const w = catanh(r.neg(b), a, p);
      return { re: w.im, im: r.neg(w.re) };
    }
    case "log1p": {
      // ½·log1p(2a + a² + b²) keeps small arguments' digits; past where a² overflows, log |1 + z|
      const limit = r.c(p === "float64" ? 1e150 : 1e18);
      const small = r.and(r.lt(r.abs(a), limit), r.lt(r.abs(b), limit));
      const a1 = r.add(r.c(1), a);
      const re = r.sel(small, r.mul(r.c(0.5), r.log1p(r.add(r.mul(r.c(2), a), r.add(r.mul(a, a), r.mul(b, b))))), r.log(r.hypot(a1, b)));
      return { re, im: r.atan2(b, a1) };
    }
    default:
      return unsupported(op);
  }
}

/** A binary op on complex operands (parts of dtype `p`); `out` is the result's dtype (complex, or bool for comparisons). */
export function complexBinary(op: BinaryOp, x: PairExpr, y: PairExpr, p: DType, out: DType): PairExpr | Expr {
  switch (op) {
    case "add":
      return { re: add(x.re, y.re, p), im: add(x.im, y.im, p) };
    case "sub":
      return { re: sub(x.re, y.re, p), im: sub(x.im, y.im, p) };
    case "mul":
      // (a + bi)(c + di) = (ac − bd) + (ad + bc)i, as XLA computes it
      return { re: binary("sub", mul(x.re, y.re, p), mul(x.im, y.im, p), p), im: binary("add", mul(x.re, y.im, p), mul(x.im, y.re, p), p) };
    case "div":
      return cdiv(x, y, p);
    case "pow":
      return cpow(x, y, p);
    case "eq":
      return binary("and", binary("eq", materialize(x.re, p), materialize(y.re, p), "bool"), binary("eq", materialize(x.im, p), materialize(y.im, p), "bool"), out);
    case "ne":
      return binary("or", binary("ne", materialize(x.re, p), materialize(y.re, p), "bool"), binary("ne", materialize(x.im, p), materialize(y.im, p), "bool"), out);
    default:
      return unsupported(op);
  }
}
