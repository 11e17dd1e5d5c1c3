/**
 * The inverse error function as XLA computes it (Giles, "Approximating the
 * erfinv function": a polynomial in w = -log1p(-x²), one branch per range of
 * w), written with lax ops. `random.normal` uses it rather than the
 * `erf_inv` primitive (accurate, but another function) so that its samples
 * are JAX's. With `exact` (the samplers' `exact: true` option), float32 is
 * bit for bit: LLVM contracts each Horner step `c + p * w` into one fused
 * multiply-add (lax's fma) and XLA's log1p is its own (xla-log.ts). By
 * default each product is rounded first (`mulAdd`) and lax's log1p is used:
 * about 1.7x faster on the CPU, ~96% of float32 samples bit for bit and the rest
 * within a few ulps. float64 always takes the default path. Gradients
 * (truncatedNormal's bounds) use erfinv's derivative.
 */
import type { DType } from "../dtype.js";
import { abs, add, convert, eq, exp, gt, log1p, lt, max, mul, neg, scalar, select, sqrt, sub } from "../lax/index.js";
import type { Value } from "../trace/core.js";
import { customJvp } from "../transforms/custom.js";
import { jit } from "../transforms/jit.js";
import { fma } from "./fma.js";
import { xlaLog1p32 } from "./xla-log.js";

// Giles' single-precision coefficients, highest power first (XLA's ErfInv32).
const F32_W_LT_5 = [
  2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941,
];
const F32_W_GE_5 = [
  -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682,
];

// Giles' double-precision coefficients, highest power first (XLA's ErfInv64).
const F64_W_LT_6_25 = [
  -3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18, 1.115787767802518096e-17, -1.333171662854620906e-16,
  2.0972767875968561637e-17, 6.6376381343583238325e-15, -4.0545662729752068639e-14, -8.1519341976054721522e-14, 2.6335093153082322977e-12,
  -1.2975133253453532498e-11, -5.4154120542946279317e-11, 1.051212273321532285e-9, -4.1126339803469836976e-9, -2.9070369957882005086e-8,
  4.2347877827932403518e-7, -1.3654692000834678645e-6, -1.3882523362786468719e-5, 0.0001867342080340571352, -0.00074070253416626697512,
  -0.0060336708714301490533, 0.24015818242558961693, 1.6536545626831027356,
];
const F64_W_LT_16 = [
  2.2137376921775787049e-9, 9.0756561938885390979e-8, -2.7517406297064545428e-7, 1.8239629214389227755e-8, 1.5027403968909827627e-6,
  -4.013867526981545969e-6, 2.9234449089955446044e-6, 1.2475304481671778723e-5, -4.7318229009055733981e-5, 6.8284851459573175448e-5,
  2.4031110387097893999e-5, -0.0003550375203628474796, 0.00095328937973738049703, -0.0016882755560235047313, 0.0024914420961078508066,
  -0.0037512085075692412107, 0.005370914553590063617, 1.0052589676941592334, 3.0838856104922207635,
];
const F64_W_GE_16 = [
  -2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-9, -3.7894654401267369937e-9, 7.6157012080783393804e-9,
  -1.4960026627149240478e-8, 2.9147953450901080826e-8, -6.7711997758452339498e-8, 2.2900482228026654717e-7, -9.9298272942317002539e-7,
  4.5260625972231537039e-6, -1.9681778105531670567e-5, 7.5995277030017761139e-5, -0.00021503011930044477347, -0.00013871931833623122026,
  1.0103004648645343977, 4.8499064014085844221,
];

/** `a * b + c`: XLA fuses it into an FMA (see above). */
export function mulAdd(a: Value, b: Value, c: Value): Value {
  return add(mul(a, b), c);
}

/**
 * erfinv(±1) = ±inf; the polynomial alone would give nan there. The infinities
 * are constants (not x * inf), so that no 0 * inf reaches a gradient.
 */
function withEdges(x: Value, result: Value, dtype: DType): Value {
  const inf = select(gt(x, scalar(0, dtype)), scalar(Infinity, dtype), scalar(-Infinity, dtype));
  return select(eq(abs(x), scalar(1, dtype)), inf, result);
}

/** sqrt(w) for the branch that uses it (w >= from); clamped below so that its unused gradient stays finite. */
const sqrtFrom = (w: Value, from: number, dtype: DType) => sqrt(max(w, scalar(from, dtype)));

/** float32 with lax's log1p and each Horner step a multiply and an add (the fast default). */
function erfInv32Fast(x: Value): Value {
  const c = (v: number): Value => scalar(v, "float32");
  const w = neg(log1p(neg(mul(x, x))));
  const small = lt(w, c(5));
  const z = select(small, sub(w, c(2.5)), sub(sqrtFrom(w, 5, "float32"), c(3)));
  const coefficient = (i: number) => select(small, c(F32_W_LT_5[i]), c(F32_W_GE_5[i]));
  let p: Value = coefficient(0);
  for (let i = 1; i < F32_W_LT_5.length; i++) p = mulAdd(p, z, coefficient(i));
  return withEdges(x, mul(p, x), "float32");
}

/** float32 as XLA's CPU backend: its own log1p, and each Horner step one fused multiply-add (bit for bit). */
function erfInv32Value(x: Value): Value {
  const c = (v: number): Value => scalar(v, "float32");
  const w = neg(xlaLog1p32(neg(mul(x, x))));
  const small = lt(w, c(5));
  const z = select(small, sub(w, c(2.5)), sub(sqrtFrom(w, 5, "float32"), c(3)));
  const coefficient = (i: number) => select(small, c(F32_W_LT_5[i]), c(F32_W_GE_5[i]));
  let p: Value = coefficient(0);
  for (let i = 1; i < F32_W_LT_5.length; i++) p = fma(p, z, coefficient(i));
  return withEdges(x, mul(p, x), "float32");
}

const erfInv32Jitted = jit(erfInv32Value) as (x: Value) => Value;

/** erfinv's derivative √π/2 · exp(erfinv(x)²), as the tangent of the bit-exact float32 polynomial (jitted: see xla-log.ts). */
const erfInv32: (x: Value) => Value = customJvp(erfInv32Jitted, ([x], [t]) => {
  const y = erfInv32Jitted(x);
  return [y, mul(t, mul(scalar(Math.sqrt(Math.PI) / 2, "float32"), exp(mul(y, y))))];
});

function erfInv64(x: Value): Value {
  const c = (v: number): Value => scalar(v, "float64");
  const w = neg(log1p(neg(mul(x, x))));
  const lt625 = lt(w, c(6.25));
  const lt16 = lt(w, c(16));
  const z = select(lt625, sub(w, c(3.125)), sub(sqrtFrom(w, 6.25, "float64"), select(lt16, c(3.25), c(5))));
  // the three polynomials have 23, 19 and 17 coefficients; shorter ones join in later
  const coefficient = (i: number) => {
    let k: Value = c(F64_W_LT_6_25[i]);
    if (i < 19) k = select(lt625, k, c(F64_W_LT_16[i]));
    if (i < 17) k = select(lt16, k, c(F64_W_GE_16[i]));
    return k;
  };
  let p: Value = coefficient(0);
  for (let i = 1; i < 17; i++) p = mulAdd(p, z, coefficient(i));
  for (let i = 17; i < 19; i++) p = select(lt16, mulAdd(p, z, coefficient(i)), p);
  for (let i = 19; i < 23; i++) p = select(lt625, mulAdd(p, z, coefficient(i)), p);
  return withEdges(x, mul(p, x), "float64");
}

/** XLA's erfinv for float16, float32 or float64 values; `exact`: float16/float32 bit for bit as JAX's CPU backend. */
export function erfInvXla(x: Value, exact = false): Value {
  const f32 = exact ? erfInv32 : erfInv32Fast;
  // float16 goes through the float32 polynomial, rounded once at the end
  if (x.dtype === "float16") return convert(f32(convert(x, "float32")), "float16");
  return x.dtype === "float64" ? erfInv64(x) : f32(x);
}
