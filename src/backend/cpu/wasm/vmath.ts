/**
 * Vectorized float32 math for the WebAssembly kernels: four lanes at once
 * (f32x4), Cephes-style range reduction and minimax polynomials, with every
 * IEEE special case (±0, ±Inf, NaN, denormals, overflow) handled by lane
 * masks rather than branches.
 *
 * Values are SSA locals: every operation writes a fresh v128 local, and
 * constants are set once at function entry, so a polynomial inside a loop
 * costs only its multiply-adds.
 *
 * Max error in float32 ulps against float64, over every 64th float32 bit
 * pattern (67M arguments, both signs, every binade, denormals included) and
 * the special values of test/cpu-wasm.test.ts:
 *   exp 0.96 · exp2 0.98 · log 0.80 · sin 0.92 · cos 0.90 · expm1 1.39 · log1p 1.44
 * (logistic, tanh and erf are the shared decompositions of ../../composites.ts
 * over these; test/cpu-wasm.test.ts bounds them too.)
 * sin and cos hold this over the whole float32 range: lanes with |x| ≤ 1e6
 * are reduced in float64 here, larger ones are recomputed by the host's
 * float64 Math.sin/Math.cos (a rare, per-row slow path).
 */
import type { FunctionBuilder, Local } from "./emitter.js";
import { S, T } from "./emitter.js";

const SIGN = 0x80000000 | 0;

/** SSA-style v128 operations over a function builder. */
export class V {
  constructor(readonly fb: FunctionBuilder) {}

  private out(): Local {
    const l = this.fb.local(T.v128);
    this.fb.set(l);
    this.fb.mark();
    return l;
  }
  un(op: S, a: Local): Local {
    this.fb.get(a).simd(op);
    return this.out();
  }
  bin(op: S, a: Local, b: Local): Local {
    this.fb.get(a).get(b).simd(op);
    return this.out();
  }
  /** Lanes of `a` where `mask` is set, else of `b`. */
  select(mask: Local, a: Local, b: Local): Local {
    this.fb.get(a).get(b).get(mask).simd(S.v128_bitselect);
    return this.out();
  }
  shift(op: S.i32x4_shl | S.i32x4_shr_s | S.i32x4_shr_u, a: Local, n: number): Local {
    this.fb.get(a).i32(n).simd(op);
    return this.out();
  }
  /** i8x16.shuffle of a and b (lanes 0–15 from a, 16–31 from b). */
  shuffle(a: Local, b: Local, bytes: number[]): Local {
    this.fb.get(a).get(b).simd(S.i8x16_shuffle, ...bytes);
    return this.out();
  }

  f(value: number): Local {
    return this.fb.constV128("f32", value);
  }
  i(value: number): Local {
    return this.fb.constV128("i32", value);
  }
  d(value: number): Local {
    return this.fb.constV128("f64", value);
  }

  add = (a: Local, b: Local) => this.bin(S.f32x4_add, a, b);
  sub = (a: Local, b: Local) => this.bin(S.f32x4_sub, a, b);
  mul = (a: Local, b: Local) => this.bin(S.f32x4_mul, a, b);
  div = (a: Local, b: Local) => this.bin(S.f32x4_div, a, b);
  min = (a: Local, b: Local) => this.bin(S.f32x4_min, a, b);
  max = (a: Local, b: Local) => this.bin(S.f32x4_max, a, b);
  /** x clamped to [lo, hi] with one minps/maxps each; a NaN x passes through (pmin/pmax keep the first operand). */
  clamp = (x: Local, lo: number, hi: number) => this.bin(S.f32x4_pmin, this.bin(S.f32x4_pmax, x, this.f(lo)), this.f(hi));
  abs = (a: Local) => this.un(S.f32x4_abs, a);
  and = (a: Local, b: Local) => this.bin(S.v128_and, a, b);
  or = (a: Local, b: Local) => this.bin(S.v128_or, a, b);
  xor = (a: Local, b: Local) => this.bin(S.v128_xor, a, b);
  lt = (a: Local, b: Local) => this.bin(S.f32x4_lt, a, b);
  gt = (a: Local, b: Local) => this.bin(S.f32x4_gt, a, b);
  eq = (a: Local, b: Local) => this.bin(S.f32x4_eq, a, b);
  ne = (a: Local, b: Local) => this.bin(S.f32x4_ne, a, b);
  iadd = (a: Local, b: Local) => this.bin(S.i32x4_add, a, b);
  isub = (a: Local, b: Local) => this.bin(S.i32x4_sub, a, b);

  /** Horner: coeffs[0]·x^(n-1) + … + coeffs[n-1]. */
  poly(x: Local, coeffs: number[]): Local {
    let acc = this.f(coeffs[0]);
    for (let k = 1; k < coeffs.length; k++) acc = this.add(this.mul(acc, x), this.f(coeffs[k]));
    return acc;
  }
  /** 2^n for integer lanes n in [-126, 127] (128 gives +Inf), as float bits. */
  pow2(n: Local): Local {
    return this.shift(S.i32x4_shl, this.iadd(n, this.i(127)), 23);
  }
  /** p · 2^n for n in [-150, 128], in two exact steps so denormal results round once. */
  ldexp(p: Local, n: Local): Local {
    const n1 = this.shift(S.i32x4_shr_s, n, 1);
    const n2 = this.isub(n, n1);
    return this.mul(this.mul(p, this.pow2(n1)), this.pow2(n2));
  }
  /** The sign bit of each lane of x, others cleared. */
  signOf(x: Local): Local {
    return this.and(x, this.i(SIGN));
  }
}

// ---- exp family ---------------------------------------------------------------

const LOG2E = 1.44269504088896341;
// ln 2 split so that n·C1 is exact for |n| < 2^15 (Cody–Waite)
const LN2_C1 = 0.693359375;
const LN2_C2 = -2.12194440e-4;
// Cephes expf: e^r ≈ 1 + r + r²·P(r) on |r| ≤ ln2/2
const EXP_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

// adding 1.5·2^23 rounds a float32 |y| < 2^22 to an integer that then sits in the low mantissa bits
const MAGIC = 12582912;

/** Reduces x (clamped) to r = x − n·ln2 with integer n; returns [n as f32 lanes, n as i32 lanes, r]. */
function reduceLn2(v: V, x: Local): [Local, Local, Local] {
  const t = v.add(v.mul(x, v.f(LOG2E)), v.f(MAGIC));
  const fn = v.sub(t, v.f(MAGIC));
  const n = v.isub(t, v.f(MAGIC));
  const r = v.sub(v.sub(x, v.mul(fn, v.f(LN2_C1))), v.mul(fn, v.f(LN2_C2)));
  return [fn, n, r];
}

function expPoly(v: V, r: Local): Local {
  const z = v.mul(r, r);
  return v.add(v.add(v.mul(v.poly(r, EXP_P), z), r), v.f(1));
}

/** e^x. Overflow to +Inf above 88.72, gradual underflow through the denormals to 0 below −103.97. */
export function vexp(v: V, x: Local): Local {
  // clamping keeps n within ldexp's range; NaN passes through min/max
  const xc = v.clamp(x, -104, 88.8);
  const [, n, r] = reduceLn2(v, xc);
  return v.ldexp(expPoly(v, r), n);
}

/** 2^x: x = n + f with |f| ≤ 1/2, 2^f = e^(f·ln2). */
export function vexp2(v: V, x: Local): Local {
  const xc = v.clamp(x, -151, 129);
  const fn = v.un(S.f32x4_nearest, xc);
  const n = v.un(S.i32x4_trunc_sat_f32x4_s, fn);
  const r = v.mul(v.sub(xc, fn), v.f(Math.LN2));
  return v.ldexp(expPoly(v, r), n);
}

// expm1(r) = r + r²·P(r) on |r| ≤ ln 2 (Lawson fit, relative error 1.3e-9)
const EXPM1_P = [
  2.4781172672370955e-5, 0.00020095553531244287, 0.0013890423841233096, 0.008332629802067261, 0.04166662134436325,
  0.16666672171106486, 0.5000000026606803,
];

/**
 * e^x − 1 without cancellation: 2^n·(expm1(r) + 1) − 1 = (2^n − 1) + 2^n·expm1(r).
 * n = 0 for |x| < ln 2, so that r has the sign of n and the sum never cancels.
 */
export function vexpm1(v: V, x: Local): Local {
  const xc = v.clamp(x, -30, 88.8);
  const [fn0] = reduceLn2(v, xc);
  const fn = v.select(v.lt(v.abs(xc), v.f(0.693147180559945)), v.f(0), fn0);
  const n = v.un(S.i32x4_trunc_sat_f32x4_s, fn);
  const r = v.sub(v.sub(xc, v.mul(fn, v.f(LN2_C1))), v.mul(fn, v.f(LN2_C2)));
  const em = v.add(v.mul(v.mul(r, r), v.poly(r, EXPM1_P)), r);
  const s = v.pow2(n);
  const small = v.add(v.sub(s, v.f(1)), v.mul(s, em));
  // above 2^24, 2^n − 1 = 2^n in float32: the exp form has the range (and overflows correctly)
  const big = v.ldexp(v.add(em, v.f(1)), n);
  const res = v.select(v.bin(S.i32x4_gt_s, n, v.i(24)), big, small);
  // ±0 keeps its sign
  return v.select(v.eq(x, v.f(0)), x, res);
}

// ---- log family ---------------------------------------------------------------

// Cephes logf: log(1 + m) = m − m²/2 + m³·P(m) on m ∈ [√½ − 1, √2 − 1]
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1,
  -2.4999993993e-1, 3.3333331174e-1,
];
const FLT_MIN = 1.1754943508222875e-38;

/** Natural log. log(±0) = −Inf, log(x < 0) = NaN, log(+Inf) = +Inf, denormals scaled up first. */
export function vlog(v: V, x: Local): Local {
  const tiny = v.lt(x, v.f(FLT_MIN));
  const xs = v.select(tiny, v.mul(x, v.f(8388608)), x);
  // x = m · 2^e with m ∈ [0.5, 1)
  const e0 = v.isub(v.and(v.shift(S.i32x4_shr_u, xs, 23), v.i(0xff)), v.i(126));
  const m0 = v.or(v.and(xs, v.i(0x807fffff | 0)), v.i(0x3f000000));
  const e1 = v.isub(e0, v.and(tiny, v.i(23)));
  // m < √½: use 2m − 1 and e − 1, so that the argument is centred on 0
  const lowM = v.lt(m0, v.f(0.707106781186547524));
  const e = v.iadd(e1, lowM); // lowM lanes are −1
  const m = v.sub(v.add(m0, v.and(lowM, m0)), v.f(1));
  const ef = v.un(S.f32x4_convert_i32x4_s, e);
  const z = v.mul(m, m);
  let y = v.mul(v.mul(v.poly(m, LOG_P), m), z);
  y = v.add(y, v.mul(ef, v.f(LN2_C2)));
  y = v.sub(y, v.mul(z, v.f(0.5)));
  let res = v.add(m, y);
  res = v.add(res, v.mul(ef, v.f(LN2_C1)));
  // +Inf and NaN give themselves; negatives NaN; zeros −Inf
  res = v.select(v.un(S.v128_not, v.lt(x, v.f(Infinity))), x, res);
  res = v.select(v.lt(x, v.f(0)), v.f(NaN), res);
  return v.select(v.eq(x, v.f(0)), v.f(-Infinity), res);
}

/** log(1 + x) = log(u) − ((u − 1) − x)/u with u = 1 + x: the correction restores what rounding u lost. */
export function vlog1p(v: V, x: Local): Local {
  const u = v.add(x, v.f(1));
  const lu = vlog(v, u);
  const corr = v.div(v.sub(v.sub(u, v.f(1)), x), u);
  let res = v.sub(lu, corr);
  // u = 0 (−Inf) and u = +Inf: the correction is 0/0 or Inf − Inf there
  res = v.select(v.or(v.eq(u, v.f(0)), v.eq(u, v.f(Infinity))), lu, res);
  // |x| below half an ulp of 1: log1p(x) = x, which also keeps −0
  return v.select(v.eq(u, v.f(1)), x, res);
}

// ---- trigonometry ---------------------------------------------------------------

// Cephes sinf/cosf on |r| ≤ π/4
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1];
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2];
// π/2 = PIO2_1 + PIO2_1T to 2^-86 (fdlibm); j·PIO2_1 is exact for |j| < 2^20
const PIO2_1 = 1.57079632673412561417e00;
const PIO2_1T = 6.07710050650619224932e-11;
const TWO_OVER_PI = 6.36619772367581382433e-1;
const MAGIC64 = 6755399441055744; // 1.5·2^52
/** Above this, lanes are recomputed by the host's float64 Math.sin/Math.cos (exact reduction). */
export const TRIG_FAST_LIMIT = 1e6;

/**
 * sin or cos of x. |x| is reduced in float64 (two-part Cody–Waite with a
 * 33-bit head, exact for |x| < 1.6e6): r = |x| − j·π/2, then the quadrant
 * j mod 4 picks ±sin(r) or ±cos(r). Lanes beyond TRIG_FAST_LIMIT are
 * returned in `slow` for the caller to patch.
 */
export function vsincos(v: V, x: Local, which: "sin" | "cos"): { value: Local; slow: Local } {
  const ax = v.abs(x);
  // float64 halves: lanes 0,1 and lanes 2,3
  const lo = v.un(S.f64x2_promote_low_f32x4, ax);
  const hi = v.un(S.f64x2_promote_low_f32x4, v.shuffle(ax, ax, [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]));
  // r = r32 + rlo: the part of the float64 r that float32 drops is put back in the polynomials' last step
  const half = (h: Local): [Local, Local, Local] => {
    // j = nearest(h·2/π) by the float64 magic number; its low 32 bits are j as an integer
    const t = v.bin(S.f64x2_add, v.bin(S.f64x2_mul, h, v.d(TWO_OVER_PI)), v.d(MAGIC64));
    const j = v.bin(S.f64x2_sub, t, v.d(MAGIC64));
    const r = v.bin(S.f64x2_sub, v.bin(S.f64x2_sub, h, v.bin(S.f64x2_mul, j, v.d(PIO2_1))), v.bin(S.f64x2_mul, j, v.d(PIO2_1T)));
    const r32 = v.un(S.f32x4_demote_f64x2_zero, r);
    const rlo = v.un(S.f32x4_demote_f64x2_zero, v.bin(S.f64x2_sub, r, v.un(S.f64x2_promote_low_f32x4, r32)));
    return [t, r32, rlo];
  };
  const [jlo, rlo32, rlolo] = half(lo);
  const [jhi, rhi32, rhilo] = half(hi);
  const low8 = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
  let j = v.shuffle(jlo, jhi, [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27]);
  const r = v.shuffle(rlo32, rhi32, low8);
  const rl = v.shuffle(rlolo, rhilo, low8);
  if (which === "cos") j = v.iadd(j, v.i(1));
  const z = v.mul(r, r);
  // sin(r + rl) ≈ r + (r·z·P(z) + rl)
  const sp = v.add(r, v.add(v.mul(v.mul(v.poly(z, SIN_P), z), r), rl));
  // cos(r + rl) ≈ (1 − z/2) + (z²·Q(z) − r·rl), with 1 − z/2 = w + lo exactly (Fast2Sum)
  const hz = v.mul(z, v.f(0.5));
  const w = v.sub(v.f(1), hz);
  const wlo = v.sub(v.sub(v.f(1), w), hz);
  const cp = v.add(w, v.add(wlo, v.sub(v.mul(v.mul(v.poly(z, COS_P), z), z), v.mul(r, rl))));
  const odd = v.bin(S.i32x4_ne, v.and(j, v.i(1)), v.i(0));
  let res = v.select(odd, cp, sp);
  res = v.xor(res, v.shift(S.i32x4_shl, v.and(j, v.i(2)), 30));
  if (which === "sin") res = v.xor(res, v.signOf(x));
  const slow = v.gt(ax, v.f(TRIG_FAST_LIMIT));
  return { value: res, slow };
}
