/**
 * WGSL functions for the scalar operations WGSL lacks or leaves unspecified
 * (NaN propagation, log1p, integer division by zero, saturating casts),
 * with the semantics of the CPU backend (`cpu/scalar-math.ts`) and JAX, so
 * both devices give the same answers. The special functions WGSL lacks (erf,
 * tanh, asinh…) are not here: they are the shared decompositions of
 * ../composites.ts. Some helpers replace a WGSL builtin whose accuracy
 * drivers leave loose where it matters (log near 1, log1p, expm1, atan:
 * lavapipe's are 1e-4 to 6% off near 0 or 1); each says why. A kernel
 * includes only what it calls.
 *
 * NaN and infinity tests look at the bits: WGSL lets a compiler assume that
 * floats are finite, so `x != x` may be folded away (Mesa's lavapipe folds it
 * to false), `sign(NaN)` may be 0 and `x != 0.0` false for NaN. So every rule
 * about a special value (NaN, ±∞, the sign of a zero) is written here once, on
 * the bits: a float comparison only ever sees operands already known not to
 * be NaN, and the helpers set signs with integer operations, never by a
 * selection between zeros that a compiler may treat as equal. NaN and
 * infinity values are made at run time, `bitcast<f32>(bits | j_zero)` with
 * `j_zero` a private variable (always 0): WGSL rejects a constant expression
 * that is not finite.
 */

/** Declares `j_zero`; every kernel includes it. */
export const NONFINITE_PRELUDE = "var<private> j_zero: u32;";

const helpers: Record<string, { deps?: string[]; src: string }> = {
  j_isnan: { src: `fn j_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }` },
  j_isfinite: { src: `fn j_isfinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }` },
  // comparisons: false when either side is NaN (≠: true), whatever the compiler assumes
  j_eq: { deps: ["j_isnan"], src: `fn j_eq(a: f32, b: f32) -> bool { if (j_isnan(a) || j_isnan(b)) { return false; } return a == b; }` },
  j_lt: { deps: ["j_isnan"], src: `fn j_lt(a: f32, b: f32) -> bool { if (j_isnan(a) || j_isnan(b)) { return false; } return a < b; }` },
  j_le: { deps: ["j_isnan"], src: `fn j_le(a: f32, b: f32) -> bool { if (j_isnan(a) || j_isnan(b)) { return false; } return a <= b; }` },
  // truthiness (astype(bool), where's condition): anything but ±0, NaN included
  j_truthy: { src: `fn j_truthy(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) != 0u; }` },
  // -0 as +0, anything else as itself (a float sum's result: sums start from +0)
  j_pos0: { src: `fn j_pos0(x: f32) -> f32 { let b = bitcast<u32>(x); return bitcast<f32>(select(b, 0u, b == 0x80000000u)); }` },
  // x's magnitude with y's sign
  j_copysign: { src: `fn j_copysign(x: f32, y: f32) -> f32 { return bitcast<f32>((bitcast<u32>(x) & 0x7fffffffu) | (bitcast<u32>(y) & 0x80000000u)); }` },
  j_sign: {
    // ±0 and NaN are their own sign; otherwise ±1 with x's sign bit
    src: `fn j_sign(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  let m = b & 0x7fffffffu;
  if (m == 0u || m > 0x7f800000u) { return x; }
  return bitcast<f32>((b & 0x80000000u) | 0x3f800000u);
}`,
  },
  j_frem: {
    // C's fmod, exact (WGSL's % is x - y·trunc(x/y): NaN for y = ±∞, and inexact when x/y rounds):
    // |x| less the largest |y|·2^k ≤ it, repeatedly; each subtraction is exact (Sterbenz), at most one
    // per binade between |x| and |y|. The result has x's sign, zero included.
    deps: ["j_copysign"],
    src: `fn j_frem(x: f32, y: f32) -> f32 {
  let ax = bitcast<u32>(x) & 0x7fffffffu;
  let ay = bitcast<u32>(y) & 0x7fffffffu;
  if (ax >= 0x7f800000u || ay > 0x7f800000u || ay == 0u) { return bitcast<f32>(0x7fc00000u | j_zero); }
  if (ay == 0x7f800000u || ax < ay) { return x; }
  var r = bitcast<f32>(ax);
  let m = bitcast<f32>(ay);
  for (var i = 0; i < 300 && r >= m; i++) {
    let k = frexp(r).exp - frexp(m).exp;
    var t = ldexp(m, k);
    if (t > r) { t = ldexp(m, k - 1); }
    r = r - t;
  }
  return j_copysign(r, x);
}`,
  },
  j_atan: {
    // lavapipe's atan is 4e-6 off near 1. Reduced to |t| ≤ tan(π/8) by atan(a) = π/4 + atan((a-1)/(a+1))
    // and π/2 - atan(1/a), then t + t³·P(t²), P a least-squares fit to (atan(t)/t - 1)/t² made for this
    // file with numpy (relative error 1.7e-7 in float32); the sign is set on the bits (atan(-0) = -0)
    deps: ["j_copysign"],
    src: `fn j_atan(x: f32) -> f32 {
  let a = bitcast<f32>(bitcast<u32>(x) & 0x7fffffffu);
  var t = a;
  var base = 0.0;
  if (a > 2.41421356) { t = -1.0 / a; base = 1.5707963267949; } else if (a > 0.41421356) { t = (a - 1.0) / (a + 1.0); base = 0.785398163397448; }
  let z = t * t;
  let p = -0.33333331 + z * (0.19999637 + z * (-0.14266311 + z * (0.10763725 + z * -0.065068103)));
  let r = base + (t + t * z * p);
  return j_copysign(r, x);
}`,
  },
  j_atan2: {
    // C's atan2 for zeros and infinities of either sign; elsewhere from j_atan of a ratio ≤ 1
    deps: ["j_copysign", "j_isnan", "j_atan"],
    src: `fn j_atan2(y: f32, x: f32) -> f32 {
  if (j_isnan(x) || j_isnan(y)) { return bitcast<f32>(0x7fc00000u | j_zero); }
  let ay = bitcast<u32>(y) & 0x7fffffffu;
  let ax = bitcast<u32>(x) & 0x7fffffffu;
  let xneg = (bitcast<u32>(x) & 0x80000000u) != 0u;
  var r: f32;
  if (ay == 0u) {
    r = select(0.0, 3.14159265358979, xneg);
  } else if (ax == 0u) {
    r = 1.5707963267949;
  } else if (ay == 0x7f800000u) {
    if (ax == 0x7f800000u) { r = select(0.785398163397448, 2.35619449019234, xneg); } else { r = 1.5707963267949; }
  } else if (ax == 0x7f800000u) {
    r = select(0.0, 3.14159265358979, xneg);
  } else {
    let fy = bitcast<f32>(ay);
    let fx = bitcast<f32>(ax);
    if (ay <= ax) { r = j_atan(fy / fx); } else { r = 1.5707963267949 - j_atan(fx / fy); }
    if (xneg) { r = 3.14159265358979 - r; }
  }
  return j_copysign(r, y);
}`,
  },
  j_mul32: {
    // the full 64-bit product of two u32 as (low, high), through 16-bit halves (WGSL has no 64-bit integers)
    src: `fn j_mul32(a: u32, b: u32) -> vec2<u32> {
  let al = a & 0xffffu; let ah = a >> 16u; let bl = b & 0xffffu; let bh = b >> 16u;
  let ll = al * bl; let lh = al * bh; let hl = ah * bl; let hh = ah * bh;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  let lo = (ll & 0xffffu) | (mid << 16u);
  let hi = hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
  return vec2<u32>(lo, hi);
}`,
  },
  j_trig_reduce: {
    // Exact argument reduction of a finite |x| ≥ π/4 (given as its bits ax) modulo π/2, for sin/cos/tan:
    // WGSL's builtins (lavapipe's at least) do no exact reduction, so sin(3.4e38) came out 1, not -0.244.
    // Payne–Hanek: |x| = m·2^e with m a 24-bit integer; |x|·2/π mod 4 is m times a 128-bit window of
    // the bits of 2/π, starting at word i0 (the words before it only add multiples of 4), as a 152-bit
    // integer P with sh fraction bits. Returns (quadrant k in 0..3, r = (|x|·2/π − k)·π/2 in [−π/4, π/4]).
    // The 7 words of 2/π below are floor(2^224·2/π), computed with Python's decimal module at 120
    // digits (π from Machin's formula), 0xa2f9836e… as the bits after the binary point.
    deps: ["j_mul32"],
    src: `fn j_trig_reduce(ax: u32) -> vec2<f32> {
  var w = array<u32, 7>(0xa2f9836eu, 0x4e441529u, 0xfc2757d1u, 0xf534ddc0u, 0xdb629599u, 0x3c439041u, 0xfe5163abu);
  let m = (ax & 0x7fffffu) | 0x800000u;
  let e = i32(ax >> 23u) - 150;
  var i0 = 0;
  if (e >= 34) { i0 = (e - 2) / 32; }
  let sh = u32(128 - (e - 32 * i0));
  var p = array<u32, 6>(0u, 0u, 0u, 0u, 0u, 0u);
  var carry = 0u;
  for (var j = 0; j < 4; j++) {
    let t = j_mul32(m, w[i0 + 3 - j]);
    let s = t.x + carry;
    p[j] = s;
    carry = t.y + select(0u, 1u, s < t.x);
  }
  p[4] = carry;
  // the 32 bits of P from bit position pos up (pos ≥ 0)
  var bits: array<u32, 3>;
  for (var k = 0; k < 3; k++) {
    let pos = sh - 64u + 32u * u32(k);
    let wi = pos / 32u; let b = pos % 32u;
    var v = p[wi];
    if (b != 0u) { v = (p[wi] >> b) | (p[wi + 1u] << (32u - b)); }
    bits[k] = v;
  }
  var q = bits[2] & 3u;
  var hi = bits[1]; var lo = bits[0];
  var sgn = 1.0;
  if (hi >= 0x80000000u) {
    // fraction ≥ 1/2: round to the next quadrant, r = −(1 − fraction)
    q = (q + 1u) & 3u;
    hi = ~hi; lo = ~lo;
    lo = lo + 1u;
    if (lo == 0u) { hi = hi + 1u; }
    sgn = -1.0;
  }
  let fh = f32(hi) * 2.3283064365386963e-10;
  let fl = f32(lo) * 5.421010862427522e-20;
  let f = fh + fl;
  let r = f * 1.5707963705062866 + f * -4.371139000186241e-8;
  return vec2<f32>(f32(q), sgn * r);
}`,
  },
  j_sincos_q: {
    // sin (which = 0), cos (1) or tan (2) of a float32 with the CPU's answers for every finite x:
    // builtins below π/4; above, a Cody–Waite reduction for |x| < 512 whose answer is kept where
    // it is provably accurate, the exact reduction (j_trig_reduce) otherwise; NaN for NaN and ±∞;
    // sin/tan keep a zero's sign.
    // Cody–Waite: q = round(|x|·2/π) ≤ 326, r = ((|x| − q·C1) − q·C2) − q·C3 with π/2 ≈ C1 + C2 + C3:
    // C1 = 201/128 (8 significant bits) and C2 (12 bits, 0x39fdb000) make q·C1 and q·C2 exact, and
    // |x| − q·C1 is exact (Sterbenz: |x|/(q·C1) lies in [0.5, 2]); C3 (0xb33bbd2e) is the float32
    // nearest the rest, leaving |π/2 − C1 − C2 − C3| < 1.8e-15 (the three and that bound computed
    // with Python's decimal module, π from Machin's formula). The error of r is then below
    // q·(1.8e-15 + |C3|·2^-24) < 1.5e-12 plus the two roundings, so for |r| ≥ 2^-12 it is within
    // 2^-27 of r relative: as good as j_trig_reduce's. Nearer a multiple of π/2 (a rare element)
    // the exact reduction decides. It costs a tenth of the exact one, which every |x| ≥ π/4 took.
    deps: ["j_trig_reduce"],
    src: `fn j_sincos_q(x: f32, which: u32) -> f32 {
  let b = bitcast<u32>(x);
  let ax = b & 0x7fffffffu;
  if (ax >= 0x7f800000u) { return bitcast<f32>(0x7fc00000u | j_zero); }
  if (ax < 0x39800000u) { if (which == 1u) { return 1.0; } return x; } // |x| < 2^-12: x (or 1) exactly
  var q = 0u;
  var r = bitcast<f32>(ax);
  if (ax >= 0x3f490fdbu) {
    var exact = true;
    if (ax < 0x44000000u) {
      let fq = round(r * bitcast<f32>(0x3f22f983u));
      let cw = ((r - fq * 1.5703125) - fq * bitcast<f32>(0x39fdb000u)) - fq * bitcast<f32>(0xb33bbd2eu);
      if (abs(cw) >= 2.44140625e-4) { q = u32(fq) & 3u; r = cw; exact = false; }
    }
    if (exact) { let t = j_trig_reduce(ax); q = u32(t.x); r = t.y; }
  }
  let s = sin(r); let c = cos(r);
  var v: f32;
  if (which == 0u) { v = select(select(s, c, q == 1u), select(-s, -c, q == 3u), q >= 2u); }
  else if (which == 1u) { v = select(select(c, -s, q == 1u), select(-c, s, q == 3u), q >= 2u); }
  else { v = select(s / c, -c / s, (q & 1u) == 1u); }
  if (which != 1u && b >= 0x80000000u) { v = -v; }
  return v;
}`,
  },
  j_sin: { deps: ["j_sincos_q"], src: `fn j_sin(x: f32) -> f32 { return j_sincos_q(x, 0u); }` },
  j_cos: { deps: ["j_sincos_q"], src: `fn j_cos(x: f32) -> f32 { return j_sincos_q(x, 1u); }` },
  j_tan: { deps: ["j_sincos_q"], src: `fn j_tan(x: f32) -> f32 { return j_sincos_q(x, 2u); }` },
  // max/min as JAX's: NaN propagates, +0 is the larger zero (WGSL's max may return either zero);
  // two zeros combine on their bits: the max is -0 only if both are, the min if either is
  j_fmax: {
    deps: ["j_isnan"],
    src: `fn j_fmax(a: f32, b: f32) -> f32 {
  if (j_isnan(a)) { return a; }
  if (j_isnan(b)) { return b; }
  let ba = bitcast<u32>(a);
  let bb = bitcast<u32>(b);
  if (((ba | bb) & 0x7fffffffu) == 0u) { return bitcast<f32>(ba & bb); }
  return max(a, b);
}`,
  },
  j_fmin: {
    deps: ["j_isnan"],
    src: `fn j_fmin(a: f32, b: f32) -> f32 {
  if (j_isnan(a)) { return a; }
  if (j_isnan(b)) { return b; }
  let ba = bitcast<u32>(a);
  let bb = bitcast<u32>(b);
  if (((ba | bb) & 0x7fffffffu) == 0u) { return bitcast<f32>(ba | bb); }
  return min(a, b);
}`,
  },
  j_f16: {
    // the float16 nearest to x, ties to even, as an f32 (cpu: dtype.ts roundToFloat16): x scaled by
    // powers of two (exact) so the half's last place is 1, rounded (WGSL round is ties-to-even), scaled back
    src: `fn j_f16(x: f32) -> f32 {
  let bits = bitcast<u32>(x);
  let a = bits & 0x7fffffffu;
  if (a >= 0x477ff000u) {
    if (a > 0x7f800000u) { return x; }
    return bitcast<f32>((bits & 0x80000000u) | 0x7f800000u);
  }
  let e = max(i32(a >> 23u) - 127, -14);
  let ulp = bitcast<f32>(u32(e - 10 + 127) << 23u);
  let inv = bitcast<f32>(u32(127 - (e - 10)) << 23u);
  let v = round(bitcast<f32>(a) * inv) * ulp;
  return bitcast<f32>((bits & 0x80000000u) | bitcast<u32>(v));
}`,
  },
  j_round: {
    // half away from zero (lax.round's default)
    src: `fn j_round(x: f32) -> f32 { let t = trunc(x); if (abs(x - t) >= 0.5) { return t + sign(x); } return t; }`,
  },
  j_log1p: {
    // Drivers' log is accurate only relatively far from 1 (lavapipe's is 2e-8 off in absolute terms, so
    // log1p(1e-6) was 6% off through it). Near 0 (1 + x in [√½, √2]): log1p(x) = 2·atanh(s), s = x/(2 + x),
    // |s| < 0.172, by its odd series to s¹¹ (truncation < 1e-9); farther out log(1 + x) scaled by
    // x / ((1 + x) - 1), which cancels the rounding of 1 + x (Goldberg).
    deps: ["j_isnan"],
    src: `fn j_log1p(x: f32) -> f32 {
  if (j_isnan(x) || bitcast<u32>(x) == 0x7f800000u) { return x; }
  if (x > -0.29289322 && x < 0.41421356) {
    let s = x / (2.0 + x);
    let z = s * s;
    return 2.0 * s + 2.0 * s * z * (0.33333333 + z * (0.2 + z * (0.14285714 + z * (0.11111111 + z * 0.09090909))));
  }
  let u = 1.0 + x;
  return log(u) * (x / (u - 1.0));
}`,
  },
  j_log: {
    // near 1 as log1p of x - 1 (exact there), where the driver's log is least accurate
    deps: ["j_log1p"],
    src: `fn j_log(x: f32) -> f32 { if (x > 0.70710678 && x < 1.41421356) { return j_log1p(x - 1.0); } return log(x); }`,
  },
  j_expm1: {
    // Taylor series to x⁸ for |x| < 0.35 (truncation < 1e-9; keeps -0), exp(x) - 1 beyond, where
    // the cancellation costs at most a factor 3.4 of exp's own error
    deps: ["j_isnan"],
    src: `fn j_expm1(x: f32) -> f32 {
  if (j_isnan(x)) { return x; }
  if (abs(x) < 0.35) {
    return x * (1.0 + x * (0.5 + x * (0.16666667 + x * (0.041666668 + x * (0.0083333333 + x * (0.0013888889 +
      x * (0.00019841270 + x * 0.000024801587)))))));
  }
  return exp(x) - 1.0;
}`,
  },
  j_pow: {
    // C's pow: x^±0 = 1 and 1^y = 1 (NaN included), (-1)^±∞ = 1, a negative finite base with a
    // non-integer exponent is NaN, ±0 and ±∞ bases by the exponent's sign, odd integer exponents
    // keep the base's sign (-0 and -∞ included); elsewhere exp2(y·log2|x|)
    deps: ["j_isnan"],
    src: `fn j_pow(x: f32, y: f32) -> f32 {
  let bx = bitcast<u32>(x);
  let ax = bx & 0x7fffffffu;
  let ay = bitcast<u32>(y) & 0x7fffffffu;
  if (ay == 0u || bx == 0x3f800000u) { return 1.0; }
  if (j_isnan(x) || j_isnan(y)) { return bitcast<f32>(0x7fc00000u | j_zero); }
  let yinf = ay == 0x7f800000u;
  let yint = yinf || y == trunc(y);
  // |y| ≥ 2^24 is an even integer; ±∞ counts as even
  let yodd = !yinf && yint && ay < 0x4b800000u && (0.5 * y) != trunc(0.5 * y);
  let xneg = (bx & 0x80000000u) != 0u;
  if (xneg && !yint && ax != 0u && ax != 0x7f800000u) { return bitcast<f32>(0x7fc00000u | j_zero); }
  let ypos = (bitcast<u32>(y) & 0x80000000u) == 0u;
  var r: f32;
  if (ax == 0u) {
    r = select(bitcast<f32>(0x7f800000u | j_zero), 0.0, ypos);
  } else if (ax == 0x7f800000u) {
    r = select(0.0, bitcast<f32>(0x7f800000u | j_zero), ypos);
  } else if (yinf) {
    if (ax == 0x3f800000u) { return 1.0; }
    r = select(0.0, bitcast<f32>(0x7f800000u | j_zero), (ax > 0x3f800000u) == ypos);
  } else {
    r = exp2(y * log2(bitcast<f32>(ax)));
  }
  if (xneg && yodd) { r = bitcast<f32>(bitcast<u32>(r) | 0x80000000u); }
  return r;
}`,
  },
  j_nextafter: {
    deps: ["j_isnan"],
    src: `fn j_nextafter(x: f32, y: f32) -> f32 {
  if (j_isnan(x) || j_isnan(y)) { return bitcast<f32>(0x7fc00000u | j_zero); }
  if (x == y) { return y; }
  if (x == 0.0) { return select(bitcast<f32>(0x80000001u | j_zero), bitcast<f32>(1u | j_zero), y > 0.0); }
  let b = bitcast<i32>(x);
  if ((y > x) == (x > 0.0)) { return bitcast<f32>(b + 1); }
  return bitcast<f32>(b - 1);
}`,
  },
  j_nextafter16: {
    // the next float16 after x toward y, on halves held in f32 (as cpu/scalar-math nextAfter16): halves
    // are spaced 2^(e-10) in [2^e, 2^(e+1)), 2^-24 below 2^-14; a step toward zero from a power of two
    // lands in the finer binade below; past 65504 is ∞. Each step is exact in f32.
    deps: ["j_isnan", "j_copysign"],
    src: `fn j_nextafter16(x: f32, y: f32) -> f32 {
  if (j_isnan(x) || j_isnan(y)) { return bitcast<f32>(0x7fc00000u | j_zero); }
  if (x == y) { return y; }
  if (x == 0.0) { return select(-5.9604645e-8, 5.9604645e-8, y > 0.0); }
  let m = abs(x);
  if ((bitcast<u32>(m)) == 0x7f800000u) { return j_copysign(65504.0, x); }
  let away = (y > x) == (x > 0.0);
  let e = max(frexp(m).exp - 1, -14);
  var ulp = ldexp(1.0, e - 10);
  if (!away && m == ldexp(1.0, e) && e > -14) { ulp = ldexp(1.0, e - 11); }
  var r = select(m - ulp, m + ulp, away);
  if (r > 65504.0) { r = bitcast<f32>(0x7f800000u | j_zero); }
  return j_copysign(r, x);
}`,
  },
  j_to_i32: {
    deps: ["j_isnan"],
    // truncation, NaN to 0, saturating (as XLA converts)
    src: `fn j_to_i32(x: f32) -> i32 {
  if (j_isnan(x)) { return 0; }
  if (x >= 2147483648.0) { return 2147483647; }
  if (x <= -2147483648.0) { return bitcast<i32>(0x80000000u); }
  return i32(x);
}`,
  },
  j_to_u32: {
    deps: ["j_isnan"],
    src: `fn j_to_u32(x: f32) -> u32 {
  if (j_isnan(x) || x <= 0.0) { return 0u; }
  if (x >= 4294967296.0) { return 0xffffffffu; }
  return u32(x);
}`,
  },
  j_idiv_i32: { src: `fn j_idiv_i32(a: i32, b: i32) -> i32 { if (b == 0) { return -1; } return a / b; }` },
  j_idiv_u32: { src: `fn j_idiv_u32(a: u32, b: u32) -> u32 { if (b == 0u) { return 0xffffffffu; } return a / b; }` },
  j_irem_i32: { src: `fn j_irem_i32(a: i32, b: i32) -> i32 { if (b == 0) { return a; } return a % b; }` },
  j_irem_u32: { src: `fn j_irem_u32(a: u32, b: u32) -> u32 { if (b == 0u) { return a; } return a % b; }` },
  j_ipow_f32: {
    src: `fn j_ipow_f32(x: f32, n: i32) -> f32 {
  var base = select(x, 1.0 / x, n < 0);
  var e = abs(n);
  var acc = 1.0;
  loop { if (e == 0) { break; } if ((e & 1) == 1) { acc = acc * base; } base = base * base; e = e >> 1u; }
  return acc;
}`,
  },
  j_ipow_i32: {
    src: `fn j_ipow_i32(x: i32, n: i32) -> i32 {
  var base = x;
  var e = n;
  var acc = 1;
  loop { if (e <= 0) { break; } if ((e & 1) == 1) { acc = acc * base; } base = base * base; e = e >> 1u; }
  return acc;
}`,
  },
  j_ipow_u32: {
    src: `fn j_ipow_u32(x: u32, n: i32) -> u32 {
  var base = x;
  var e = n;
  var acc = 1u;
  loop { if (e <= 0) { break; } if ((e & 1) == 1) { acc = acc * base; } base = base * base; e = e >> 1u; }
  return acc;
}`,
  },
};

/** The source of the named helpers and everything they call, each once, dependencies first. */
export function helperSource(names: Iterable<string>): string {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const h = helpers[name];
    if (!h) throw new Error(`wgsl-math: no helper ${name}`);
    for (const d of h.deps ?? []) visit(d);
    out.push(h.src);
  };
  for (const n of names) visit(n);
  return out.join("\n");
}
