/**
 * Complex scalar math in float64 over (re, im) parts: the reference the CPU
 * renderer's complex lanes will call (as scalar-math.ts serves the real
 * ones), checked against XLA's complex128 results in test/complex.test.ts.
 * Every function takes the parts of its operands and returns the parts of
 * the result as a pair (abs and angle return a real number).
 *
 * Accuracy notes: the formulas are the standard stable ones (sqrt by the
 * half-angle form, tan/tanh by the doubled-argument form, expm1/log1p with
 * their real counterparts so small arguments keep their digits). Special
 * values (±0, ±inf, nan in either part) give XLA's results, checked on a
 * 7×7 grid of them; the sign of a zero result part is not yet checked.
 */

export type Pair = [number, number];

export const cadd = (a: number, b: number, c: number, d: number): Pair => [a + c, b + d];
export const csub = (a: number, b: number, c: number, d: number): Pair => [a - c, b - d];
export const cmul = (a: number, b: number, c: number, d: number): Pair => [a * c - b * d, a * d + b * c];
export const cneg = (a: number, b: number): Pair => [-a, -b];
export const cconj = (a: number, b: number): Pair => [a, -b];
/** |z|; NaN when either part is NaN (as XLA, unlike C's hypot(inf, nan) = inf). */
export const cabs = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.hypot(a, b));
export const cangle = (a: number, b: number): number => Math.atan2(b, a);
export const csquare = (a: number, b: number): Pair => [(a - b) * (a + b), 2 * a * b];

/** (a + bi) / (c + di) by Smith's scaling, which avoids overflow in c² + d². */
export function cdiv(a: number, b: number, c: number, d: number): Pair {
  if ((Math.abs(c) === Infinity || Math.abs(d) === Infinity) && Number.isFinite(a) && Number.isFinite(b)) return [0, 0]; // finite / infinite
  if (Math.abs(c) >= Math.abs(d)) {
    if (c === 0 && d === 0) return [a / Math.abs(c), b / Math.abs(c)]; // a zero divisor: ±inf or nan parts, as a / 0
    const r = d / c;
    const den = c + d * r;
    return [(a + b * r) / den, (b - a * r) / den];
  }
  const r = c / d;
  const den = c * r + d;
  return [(a * r + b) / den, (b * r - a) / den];
}

export const creciprocal = (a: number, b: number): Pair => cdiv(1, 0, a, b);

export function cexp(a: number, b: number): Pair {
  const e = Math.exp(a);
  return b === 0 ? [e, b] : [e * Math.cos(b), e * Math.sin(b)];
}

export const clog = (a: number, b: number): Pair => [Math.log(cabs(a, b)), Math.atan2(b, a)];

/** The principal square root, by the half-angle form (no cancellation). */
export function csqrt(a: number, b: number): Pair {
  if (a === 0 && b === 0) return [0, b];
  if (Number.isNaN(a) || Number.isNaN(b)) return [NaN, NaN]; // XLA: nan in, nan out (C99 would give inf for an infinite b)
  if (Math.abs(b) === Infinity) return [Infinity, b];
  if (a === Infinity) return [a, b < 0 ? -0 : 0];
  if (a === -Infinity) return [0, b < 0 ? a : -a];
  const t = Math.sqrt((Math.abs(a) + Math.hypot(a, b)) / 2);
  return a >= 0 ? [t, b / (2 * t)] : [Math.abs(b) / (2 * t), b < 0 ? -t : t]; // XLA: the cut takes −0 as +0
}

// where XLA makes a part exactly zero: sinh/cosh of a real argument have a zero imaginary
// part (inf · sin 0 is 0, not nan), sin/cos of an imaginary argument a zero real/imaginary part
export const csin = (a: number, b: number): Pair => [a === 0 ? a : Math.sin(a) * Math.cosh(b), Math.cos(a) * Math.sinh(b)];
export const ccos = (a: number, b: number): Pair => [Math.cos(a) * Math.cosh(b), a === 0 ? 0 : -Math.sin(a) * Math.sinh(b)];
export const csinh = (a: number, b: number): Pair => [Math.sinh(a) * Math.cos(b), b === 0 ? b : Math.cosh(a) * Math.sin(b)];
export const ccosh = (a: number, b: number): Pair => [Math.cosh(a) * Math.cos(b), b === 0 ? 0 : Math.sinh(a) * Math.sin(b)];

/** tan z = −i · tanh(i z). */
export function ctan(a: number, b: number): Pair {
  const [p, q] = ctanh(-b, a);
  return [q, -p];
}

/**
 * tanh z by Kahan's form (t = tan b, s = sinh a: re = (1 + t²)·s·√(1 + s²) / (1 + (1 + t²)s²),
 * im = t / (1 + (1 + t²)s²)), and ±1 + 0i past |a| = 22 where e^(−2|a|) is below an ulp.
 */
export function ctanh(a: number, b: number): Pair {
  if (Math.abs(a) > 22) return [a > 0 ? 1 : -1, Number.isFinite(b) ? 0 * Math.sin(2 * b) : 0];
  if (b === 0) return [Math.tanh(a), b];
  const t = Math.tan(b);
  const beta = 1 + t * t;
  const s = Math.sinh(a);
  const rho = Math.sqrt(1 + s * s);
  const den = 1 + beta * s * s;
  return [(beta * rho * s) / den, t / den];
}

/** exp(z) − 1 keeping the digits of small z: re = expm1(a)·cos b − 2 sin²(b/2). */
export function cexpm1(a: number, b: number): Pair {
  const s = Math.sin(b / 2);
  return [b === 0 ? Math.expm1(a) : Math.expm1(a) * Math.cos(b) - 2 * s * s, b === 0 ? b : Math.exp(a) * Math.sin(b)];
}

/** log(1 + z) keeping the digits of small z: re = ½·log1p(2a + a² + b²). */
export function clog1p(a: number, b: number): Pair {
  const big = !(Math.abs(a) < 1e150 && Math.abs(b) < 1e150); // also true for inf and nan
  return [big ? Math.log(cabs(1 + a, b)) : 0.5 * Math.log1p(2 * a + a * a + b * b), Math.atan2(b, 1 + a)];
}

/** z / |z|, and 0 for 0. */
export function csign(a: number, b: number): Pair {
  const r = Math.hypot(a, b);
  return r === 0 ? [0, 0] : [a / r, b / r];
}

/** z^w = exp(w·log z); 0^w is 1 for w = 0, 0 for re w > 0, nan otherwise. */
export function cpow(a: number, b: number, c: number, d: number): Pair {
  if (a === 0 && b === 0) {
    if (c === 0 && d === 0) return [1, 0];
    return c > 0 ? [0, 0] : [NaN, NaN];
  }
  const [lr, li] = clog(a, b);
  return cexp(lr * c - li * d, lr * d + li * c);
}
