/**
 * Composite scalar ops, each written once as an expression over simpler ops
 * (as tinygrad's `transcendental.py`): a renderer whose table says
 * `DECOMPOSE` for an op renders this expression instead of code of its own,
 * so the JavaScript, WebAssembly and WGSL renderers share one algorithm per
 * special function. A backend that really has an op (JavaScript's float64
 * `Math.asinh`, WGSL's `inverseSqrt`, the vector `exp` of the Wasm kernels)
 * keeps its native row.
 *
 * The algorithms are float32 ones (the WebGPU and WebAssembly kernels
 * compute in float32; polynomial coefficients are fitted for it): they use
 * only ops every backend renders natively (arithmetic, comparisons, select,
 * abs, floor, sqrt, exp, log, log1p, expm1, atan2, copysign), never bit
 * manipulation, and they pass NaN through by an explicit test, because WGSL
 * lets a compiler assume that builtins never see NaN. Odd functions compute
 * on |x| and put the sign back with `copysign`, which keeps f(−0) = −0 (a
 * select on `x < 0` would not).
 */
import type { DType } from "../dtype.js";
import type { Expr, UnaryOp } from "./kernel.js";
import { binary, cast, ExprBuilder, unary } from "./kernel.js";

/** The ops that have a decomposition here. */
export type CompositeOp =
  | "logistic" | "tanh" | "erf" | "erf_inv" | "cbrt" | "sinh" | "cosh" | "asinh" | "acosh" | "atanh"
  | "asin" | "acos" | "rsqrt" | "reciprocal" | "square";

/** A renderer table's entry for an op it renders as the shared decomposition. */
export const DECOMPOSE = "decompose" as const;
export type Decompose = typeof DECOMPOSE;

/**
 * A renderer's unary table: one entry per op (a missing op is a compile
 * error), either its own rendering `R` or, for a composite op, `DECOMPOSE`.
 */
export type UnaryTable<R> = { readonly [K in UnaryOp]: R | (K extends CompositeOp ? Decompose : never) };

// ---- expression building ------------------------------------------------------------------

/** Builders over one float dtype, so that the rows below read as formulas. */
class B extends ExprBuilder {
  /** r, except NaN where x is NaN (`x ≠ x` is the one test every renderer keeps for NaN). */
  nanPass = (x: Expr, r: Expr) => this.sel(binary("ne", x, x, "bool"), x, r);
  /** r ≥ 0 with x's sign bit (so f(−0) = −0 for an odd f with f(0) = 0). */
  withSign = (r: Expr, x: Expr) => binary("copysign", r, x, this.d);
}

// ---- the decompositions -------------------------------------------------------------------

// tanh(x) = x + x·z·P(z), z = x², on |x| < 0.625 (Cephes tanhf)
const TANH_P = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];
// erf(x) = x + x·P(x²) on |x| ≤ 1 (Lawson fit, absolute error of P 1.2e-9); the leading x is added
// last so that the polynomial's rounding is scaled by |P| ≤ 0.16
const ERF_P = [7.889168630120791e-5, -0.000802085710678635, 0.005189537298207786, -0.026854445752889144, 0.11283600209594005, -0.3761262714004748, 0.12837916591516715];
// erfc(x) = e^(−x²)/x · Q(1/x²) on [1, 2) (relative error 3e-8), R(1/x²) on [2, 4) (8e-8)
const ERFC_Q = [0.023683862122580973, -0.14077556889983522, 0.3731425080663827, -0.5876641409254449, 0.6247128084448541, -0.49609632336341714, 0.34092810131679946, -0.27417764175634185, 0.5638299854557868];
const ERFC_R = [-0.8793650635051169, 1.1255139734601, -0.7359367446314956, 0.3970057394127293, -0.28091009069852824, 0.5641672028777361];
// Giles' single-precision erfinv ("Approximating the erfinv function", GPU Computing Gems, 2011)
const ERFINV_A = [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941];
const ERFINV_B = [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682];
const TWO_OVER_SQRT_PI = 1.1283791670955126;

function erf(b: B, x: Expr): Expr {
  const ax = b.abs(x);
  const z = b.mul(ax, ax);
  const small = b.add(b.mul(b.poly(z, ERF_P), x), x);
  // 1 − erfc above 1, with e^(−x²) from the exact split x² = h + l (xh: |x| to 2^-10, 12 bits, so
  // xh² is exact) as e^(−h)·e^(−l), so that rounding x² does not cost accuracy
  const xh = b.mul(b.un("floor", b.mul(ax, b.c(1024))), b.c(1 / 1024));
  const h = b.mul(xh, xh);
  const l = b.mul(b.sub(ax, xh), b.add(ax, xh));
  // |l| < 2^-7: e^(−l) to 2^-30 by four Taylor terms
  const el = b.add(b.mul(b.poly(l, [-1 / 6, 0.5, -1]), l), b.c(1));
  const ex = b.mul(b.exp(b.neg(h)), el);
  const y = b.div(b.c(1), z);
  const q = b.sel(b.lt(ax, b.c(2)), b.poly(y, ERFC_Q), b.poly(y, ERFC_R));
  const erfc = b.div(b.mul(ex, q), ax);
  const big = b.sel(b.gt(ax, b.c(4)), b.c(1), b.sub(b.c(1), erfc));
  return b.nanPass(x, b.sel(b.lt(ax, b.c(1)), small, b.withSign(big, x)));
}

type Decomposition = (b: B, x: Expr) => Expr;

/** One row per composite op. */
const DECOMPOSITIONS: Record<CompositeOp, Decomposition> = {
  /**
   * 1/(1 + e^−x), as e^x/(1 + e^x) for x < 0 so that tiny results keep their
   * precision; the rounding error of d = 1 + e is recovered exactly (Fast2Sum)
   * and divided out, leaving the error of e and of one division.
   */
  logistic: (b, x) => {
    const e = b.exp(b.neg(b.abs(x)));
    const num = b.sel(b.lt(x, b.c(0)), e, b.c(1));
    const d = b.add(b.c(1), e);
    const err = b.add(b.sub(b.c(1), d), e);
    const q = b.div(num, d);
    // in float64 (the JavaScript renderer) the rounding of d is far below a float32 result's: no correction
    if (b.d === "float64") return q;
    return b.nanPass(x, b.sub(q, b.mul(q, b.div(err, d))));
  },
  /**
   * An odd polynomial below 0.625; 1 − 2/(e^(2|x|) + 1) beyond, |x| capped at
   * 20 (tanh is 1 in float32 from 9.01) so that no exp overflows.
   */
  tanh: (b, x) => {
    const ax = b.abs(x);
    const z = b.mul(ax, ax);
    const small = b.add(b.mul(b.mul(b.poly(z, TANH_P), z), ax), ax);
    const a = b.min(ax, b.c(20));
    const large = b.sub(b.c(1), b.div(b.c(2), b.add(b.exp(b.add(a, a)), b.c(1))));
    return b.nanPass(x, b.withSign(b.sel(b.lt(ax, b.c(0.625)), small, large), x));
  },
  /** A polynomial below 1, 1 − erfc above (see `erf`), exactly ±1 beyond 4. */
  erf,
  /** Giles' approximation, then one Newton step on `erf` above; ±1 → ±∞, |y| > 1 → NaN. */
  erf_inv: (b, y) => {
    const w = b.neg(b.log(b.mul(b.sub(b.c(1), y), b.add(b.c(1), y))));
    const pa = b.poly(b.sub(w, b.c(2.5)), ERFINV_A);
    const pb = b.poly(b.sub(b.sqrt(w), b.c(3)), ERFINV_B);
    const x = b.mul(b.sel(b.lt(w, b.c(5)), pa, pb), y);
    const slope = b.mul(b.c(TWO_OVER_SQRT_PI), b.exp(b.neg(b.mul(x, x))));
    const newton = b.sel(b.gt(slope, b.c(0)), b.sub(x, b.div(b.sub(erf(b, x), y), slope)), x);
    const ay = b.abs(y);
    let r = b.sel(b.eq(ay, b.c(1)), b.mul(y, b.c(Infinity)), newton);
    r = b.sel(b.gt(ay, b.c(1)), b.c(NaN), r);
    return b.nanPass(y, b.sel(b.eq(y, b.c(0)), y, r));
  },
  /**
   * e^(log|x|/3), then one Newton step written as y − (y − |x|/y²)/3 (y³
   * would overflow near the top of the range); 0, ±∞ and NaN are themselves.
   */
  cbrt: (b, x) => {
    const ax = b.abs(x);
    const y = b.exp(b.mul(b.log(ax), b.c(1 / 3)));
    const r = b.sub(y, b.mul(b.sub(y, b.div(ax, b.mul(y, y))), b.c(1 / 3)));
    return b.sel(unary("is_finite", x, "bool"), b.sel(b.eq(x, b.c(0)), x, b.withSign(r, x)), x);
  },
  /**
   * From expm1 below 9 (no cancellation near 0); e^(|x|/2)/2 · e^(|x|/2)
   * above, finite up to where sinh itself overflows (e^|x| overflows from
   * 88.72, sinh only from 89.42).
   */
  sinh: (b, x) => {
    const a = b.abs(x);
    const u = b.un("expm1", a);
    const small = b.mul(b.c(0.5), b.add(u, b.div(u, b.add(u, b.c(1)))));
    const h = b.exp(b.mul(b.c(0.5), a));
    const big = b.mul(b.mul(b.c(0.5), h), h);
    return b.nanPass(x, b.withSign(b.sel(b.gt(a, b.c(9)), big, small), x));
  },
  /** (e + 1/e)/2 below 9 (a sum: no cancellation); above, as sinh, finite until cosh itself overflows. */
  cosh: (b, x) => {
    const a = b.abs(x);
    const e = b.exp(a);
    const small = b.mul(b.c(0.5), b.add(e, b.div(b.c(1), e)));
    const h = b.exp(b.mul(b.c(0.5), a));
    const big = b.mul(b.mul(b.c(0.5), h), h);
    return b.nanPass(x, b.sel(b.gt(a, b.c(9)), big, small));
  },
  /**
   * On |x|, sign put back: log1p(a + a²/(1 + √(1 + a²))) has no cancellation
   * near 0; past 2^12, a² ≫ 1 and asinh(a) = log(2a), taken as log(a) + ln 2
   * (2a may overflow).
   */
  asinh: (b, x) => {
    const a = b.abs(x);
    const a2 = b.mul(a, a);
    const near = b.log1p(b.add(a, b.div(a2, b.add(b.c(1), b.sqrt(b.add(b.c(1), a2))))));
    const far = b.add(b.log(a), b.c(Math.LN2));
    return b.nanPass(x, b.withSign(b.sel(b.gt(a, b.c(4096)), far, near), x));
  },
  /** log1p(t + √(2t + t²)), t = x − 1 (exact near 1, where log(x + √(x² − 1)) loses digits); past 2^12 log(x) + ln 2; NaN below 1. */
  acosh: (b, x) => {
    const t = b.sub(x, b.c(1));
    const near = b.log1p(b.add(t, b.sqrt(b.add(b.mul(b.c(2), t), b.mul(t, t)))));
    const far = b.add(b.log(x), b.c(Math.LN2));
    return b.nanPass(x, b.sel(b.lt(x, b.c(1)), b.c(NaN), b.sel(b.gt(x, b.c(4096)), far, near)));
  },
  /** ½·log1p(2a/(1 − a)) on a = |x| (no cancellation near 0), x's sign put back; ±1 → ±∞, |x| > 1 → NaN. */
  atanh: (b, x) => {
    const a = b.abs(x);
    const r = b.mul(b.c(0.5), b.log1p(b.div(b.mul(b.c(2), a), b.sub(b.c(1), a))));
    return b.nanPass(x, b.sel(b.gt(a, b.c(1)), b.c(NaN), b.withSign(r, x)));
  },
  /** Through atan2: some drivers' asin/acos are far less accurate than their atan. */
  asin: (b, x) => binary("atan2", x, b.sqrt(b.mul(b.sub(b.c(1), x), b.add(b.c(1), x))), b.d),
  acos: (b, x) => binary("atan2", b.sqrt(b.mul(b.sub(b.c(1), x), b.add(b.c(1), x))), x, b.d),
  rsqrt: (b, x) => b.div(b.c(1), b.sqrt(x)),
  reciprocal: (b, x) => b.div(b.c(1), x),
  square: (b, x) => b.mul(x, x),
};

export function isComposite(op: UnaryOp): op is CompositeOp {
  return op in DECOMPOSITIONS;
}

const isFloat = (d: DType) => d === "float32" || d === "float64" || d === "float16";

/**
 * The decomposition of a composite op applied to `arg`, computed in
 * `precision` (default: the node's own dtype, or float32 for a float
 * function of integers), cast back to the node's dtype. A renderer that
 * computes in float64 anyway (JavaScript) asks for float64, so that the
 * float32 algorithm's steps are not each rounded to float32.
 */
export function decompose(op: CompositeOp, arg: Expr, dtype: DType, precision?: DType): Expr {
  // square stays in the integers for integer operands (x·x wraps as the primitive does)
  if (op === "square" && !isFloat(arg.dtype)) return binary("mul", arg, arg, dtype);
  const p = precision ?? (isFloat(dtype) ? dtype : "float32");
  const out = DECOMPOSITIONS[op](new B(p), cast(arg, p));
  return cast(out, dtype);
}

const expanded = new WeakMap<Expr, Expr>();

/** `decompose` of a unary node, the same object each time for the same node (renderers memoize by identity). */
export function expandNode(e: Expr & { kind: "unary" }): Expr {
  let x = expanded.get(e);
  if (!x) {
    if (!isComposite(e.op)) throw new Error(`composites: ${e.op} has no decomposition`);
    expanded.set(e, (x = decompose(e.op, e.arg, e.dtype)));
  }
  return x;
}

/**
 * The expression with every composite op that `table` marks `DECOMPOSE`
 * replaced by its decomposition, recursively (decompositions may use other
 * composites). Shared subexpressions stay shared.
 */
export function lowerComposites<R>(e: Expr, table: UnaryTable<R>): Expr {
  const memo = new Map<Expr, Expr>();
  const go = (n: Expr): Expr => {
    let r = memo.get(n);
    if (r) return r;
    switch (n.kind) {
      case "input":
      case "const":
      case "index":
        r = n;
        break;
      case "unary": {
        const arg = go(n.arg);
        const node = arg === n.arg ? n : { ...n, arg };
        r = table[n.op] === DECOMPOSE ? go(expandNode(node)) : node;
        break;
      }
      case "cast":
      case "ipow": {
        const arg = go(n.arg);
        r = arg === n.arg ? n : { ...n, arg };
        break;
      }
      case "binary": {
        const lhs = go(n.lhs);
        const rhs = go(n.rhs);
        r = lhs === n.lhs && rhs === n.rhs ? n : { ...n, lhs, rhs };
        break;
      }
      case "select": {
        const which = go(n.which);
        const cases = n.cases.map(go);
        r = which === n.which && cases.every((c, i) => c === n.cases[i]) ? n : { ...n, which, cases };
        break;
      }
      case "fma": {
        const args = n.args.map(go) as [Expr, Expr, Expr];
        r = args.every((c, i) => c === n.args[i]) ? n : { ...n, args };
        break;
      }
    }
    memo.set(n, r);
    return r;
  };
  return go(e);
}

/**
 * a·b + c rounded once, from ops of `f`'s dtype by error-free transformations (Dekker's product,
 * Knuth's sums; each step an exact identity where every op rounds once): lax's fma for float64,
 * and WebGPU's rendering of the fma node (WGSL's `fma` need not be fused).
 */
export function fmaByErrorFreeSums(f: ExprBuilder, a: Expr, b: Expr, c: Expr): Expr {
  const twoSum = (x: Expr, y: Expr): [Expr, Expr] => {
    const s = f.add(x, y);
    const yy = f.sub(s, x);
    return [s, f.add(f.sub(x, f.sub(s, yy)), f.sub(y, yy))];
  };
  // Veltkamp's split into halves (splitter 2^⌈p/2⌉ + 1 for p significant bits): products of halves are exact
  const splitter = f.d === "float16" ? 2 ** 6 + 1 : f.d === "float32" ? 2 ** 12 + 1 : 2 ** 27 + 1;
  const split = (x: Expr): [Expr, Expr] => {
    const t = f.mul(x, f.c(splitter));
    const hi = f.sub(t, f.sub(t, x));
    return [hi, f.sub(x, hi)];
  };
  const p = f.mul(a, b);
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const e = f.add(f.add(f.add(f.sub(f.mul(ah, bh), p), f.mul(ah, bl)), f.mul(al, bh)), f.mul(al, bl));
  // a·b + c = s + v + w exactly (p + c = s + t, t + e = v + w); r + z = s + v with r = RN(s + v)
  const [s, t] = twoSum(p, c);
  const [v, w] = twoSum(t, e);
  const [r, z] = twoSum(s, v);
  // r is a·b + c rounded unless s + v was halfway between r and its neighbour n = r + 2z and
  // w pushes past the midpoint (w of z's sign); a z short of half the gap gives r + 2z ∈ {r, n}
  // with (r + 2z) − r ≠ 2z
  const zero = f.c(0);
  const twoZ = f.add(z, z);
  const n = f.add(r, twoZ);
  const tie = f.and(binary("ne", z, zero, "bool"), f.eq(f.sub(n, r), twoZ));
  const past = f.or(f.and(f.gt(z, zero), f.gt(w, zero)), f.and(f.lt(z, zero), f.lt(w, zero)));
  const fused = f.sel(f.and(tie, past), n, r);
  // where the product or a split overflows, e is not finite: the plain a·b + c
  return f.sel(unary("is_finite", e, "bool"), fused, f.add(p, c));
}
