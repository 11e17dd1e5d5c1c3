/**
 * WGSL functions for the scalar operations WGSL lacks or leaves unspecified
 * (NaN propagation, log1p, erf, integer division by zero, saturating
 * casts), with the semantics of the CPU backend (`cpu/scalar-math.ts`), so
 * both devices give the same answers. A kernel includes only what it calls.
 *
 * NaN and infinity tests look at the bits: WGSL lets a compiler assume that
 * floats are finite, so `x != x` may be folded away. NaN and infinity values
 * are made at run time, `bitcast<f32>(bits | j_zero)` with `j_zero` a private
 * variable (always 0): WGSL rejects a constant expression that is not finite.
 */

/** Declares `j_zero`; every kernel includes it. */
export const NONFINITE_PRELUDE = "var<private> j_zero: u32;";

const helpers: Record<string, { deps?: string[]; src: string }> = {
  j_isnan: { src: `fn j_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }` },
  j_isfinite: { src: `fn j_isfinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }` },
  j_fmax: {
    deps: ["j_isnan"],
    src: `fn j_fmax(a: f32, b: f32) -> f32 { if (j_isnan(a)) { return a; } if (j_isnan(b)) { return b; } return max(a, b); }`,
  },
  j_fmin: {
    deps: ["j_isnan"],
    src: `fn j_fmin(a: f32, b: f32) -> f32 { if (j_isnan(a)) { return a; } if (j_isnan(b)) { return b; } return min(a, b); }`,
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
    // log(u)·x/(u−1) with u = 1+x cancels the rounding of u (Goldberg's trick)
    src: `fn j_log1p(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  let d = u - 1.0;
  if (d == x) { return log(u); }
  return log(u) * (x / d);
}`,
  },
  j_expm1: {
    deps: ["j_isfinite"],
    src: `fn j_expm1(x: f32) -> f32 {
  if (abs(x) < 1e-5) { return x + 0.5 * x * x; }
  let u = exp(x);
  if (!j_isfinite(u)) { return u; }
  let d = u - 1.0;
  if (d == -1.0) { return -1.0; }
  return d * (x / log(u));
}`,
  },
  j_tanh: {
    // some drivers overflow exp inside tanh for large |x|
    src: `fn j_tanh(x: f32) -> f32 { if (abs(x) > 15.0) { return sign(x); } return tanh(x); }`,
  },
  j_cbrt: {
    deps: ["j_isfinite"],
    src: `fn j_cbrt(x: f32) -> f32 {
  if (x == 0.0 || !j_isfinite(x)) { return x; }
  var y = sign(x) * exp2(log2(abs(x)) / 3.0);
  y = y - (y * y * y - x) / (3.0 * y * y);
  return y;
}`,
  },
  j_erf: {
    // Taylor series near 0; Numerical Recipes' erfc (relative error < 1.2e-7) beyond
    src: `fn j_erf(x: f32) -> f32 {
  let z = abs(x);
  if (z < 1.0) {
    let x2 = x * x;
    var term = x;
    var sum = x;
    for (var n = 1; n < 14; n++) {
      term = term * (-x2 / f32(n));
      sum = sum + term / f32(2 * n + 1);
    }
    return 1.1283791670955126 * sum;
  }
  let t = 1.0 / (1.0 + 0.5 * z);
  let erfc = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return sign(x) * (1.0 - erfc);
}`,
  },
  j_erfinv: {
    // Giles' single-precision approximation, then one Newton step on j_erf
    deps: ["j_erf"],
    src: `fn j_erfinv(y: f32) -> f32 {
  if (abs(y) > 1.0) { return bitcast<f32>(0x7fc00000u | j_zero); }
  if (y == 1.0) { return bitcast<f32>(0x7f800000u | j_zero); }
  if (y == -1.0) { return bitcast<f32>(0xff800000u | j_zero); }
  if (y == 0.0) { return y; }
  var w = -log((1.0 - y) * (1.0 + y));
  var p: f32;
  if (w < 5.0) {
    w = w - 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  var x = p * y;
  let slope = 1.1283791670955126 * exp(-x * x);
  if (slope > 0.0) { x = x - (j_erf(x) - y) / slope; }
  return x;
}`,
  },
  j_pow: {
    deps: ["j_isnan"],
    src: `fn j_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0 || x == 1.0) { return 1.0; }
  if (j_isnan(x) || j_isnan(y)) { return bitcast<f32>(0x7fc00000u | j_zero); }
  let ax = abs(x);
  var r: f32;
  if (ax == 0.0) { r = select(0.0, bitcast<f32>(0x7f800000u | j_zero), y < 0.0); } else { r = exp2(y * log2(ax)); }
  if (x < 0.0) {
    if (y != trunc(y)) { return bitcast<f32>(0x7fc00000u | j_zero); }
    let half = y * 0.5;
    if (half != trunc(half)) { r = -r; }
  }
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
    src: `fn j_to_u32(x: f32) -> u32 {
  if (!(x > 0.0)) { return 0u; }
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
