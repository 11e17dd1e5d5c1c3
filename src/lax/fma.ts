/**
 * `fma`: a·b + c rounded once, the fused multiply-add that XLA's CPU and GPU
 * compilers contract a multiply and an add into (uniform's `floats · (maxval −
 * minval) + minval`, each Horner step of its log and erfinv). jaxon's random
 * sampling needs it to give JAX's bits; it is internal (JAX has no lax.fma).
 *
 * One kernel node (`kind: "fma"` in backend/kernel.ts) for float16 and
 * float32, which each device renders in its own way:
 * - the CPU's JavaScript kernels call scalar-math's `fma32`/`fma16`: the
 *   product is exact in float64, the sum rounds once there, and the one case
 *   where rounding that again differs from a single rounding (a float64 sum
 *   exactly halfway between two neighbours of the dtype, the exact sum not) is
 *   corrected from the two-sum error term: correctly rounded, as a hardware fma;
 * - on WebGPU, the error-free composition below over f32 ops (WGSL's own `fma`
 *   need not be fused, and lavapipe's is not): exact where the shader compiler
 *   rounds every op once, which WGSL does not promise, so WebGPU's bits may
 *   differ from the CPU's in the last place (float16 computes in f32 there and
 *   rounds to half at the end: twice).
 * float64 has no wider type to compute in: its scalar rule is that error-free
 * composition (Dekker's product, Knuth's sums, backend/composites.ts) over
 * float64 kernel ops, exact because every float64 op of the CPU kernels rounds once.
 */
import type { Expr } from "../backend/kernel.js";
import { ExprBuilder } from "../backend/kernel.js";
import { fmaByErrorFreeSums } from "../backend/composites.js";
import type { Value } from "../trace/core.js";
import { defineElementwise, mul } from "./elementwise.js";
import { bind1 } from "./primitive.js";
import { scalarExpr } from "./stablehlo-ops.js";

/** The scalar expression of `fma` over operands of dtype `d`. */
function fmaExpr(d: Expr["dtype"], [a, b, c]: Expr[]): Expr {
  if (d === "float64") return fmaByErrorFreeSums(new ExprBuilder(d), a, b, c);
  return { kind: "fma", args: [a, b, c], dtype: d };
}

export const fmaP = defineElementwise("fma", {
  params: {},
  dtypes: "float",
  complexUndefined: true,
  scalar: (args, _p, d) => fmaExpr(d, args),
  // d(a·b + c) = da·b + a·db + dc
  jvp: [(g, [, b]) => mul(g, b), (g, [a]) => mul(a, g), (g) => g],
  // the expression's own StableHLO: a multiply and an add for float16/float32 (StableHLO has no
  // fma; XLA contracts the two back into one), the error-free composition for float64
  stablehlo: (ctx, args, _p, _a, [out]) => [scalarExpr(ctx, fmaExpr(out.dtype, args.map((_, i) => ({ kind: "input", input: i, dtype: out.dtype }))), args, out.shape)],
});

/**
 * a·b + c rounded once (a, b, c of one float dtype, equal shapes or 0-d): the
 * fused multiply-add. Internal: random sampling uses it where XLA fuses.
 */
export function fma(a: Value, b: Value, c: Value): Value {
  return bind1(fmaP, [a, b, c], {});
}
