/**
 * The StableHLO lowerings of the elementwise primitives of elementwise.ts,
 * kept beside that file rather than in it (it is the file most features
 * edit). Each follows JAX's lowering of the same primitive, so special
 * values come out as JAX's do: `sign` of an unsigned integer, `round`'s two
 * methods, `integer_pow` by repeated squaring, bool `mul`/`max`/`min` as
 * logic, conversions to bool as `x != 0`, `select_n` with an int32 selector
 * as a chain of selects. chlo ops are used where StableHLO has no op (the
 * inverse trigonometric and hyperbolic functions, erf, erf_inv, nextafter);
 * XLA decomposes them.
 */
import type { HloValue } from "../backend/stablehlo.js";
import type { Primitive } from "../trace/core.js";
import * as E from "./elementwise.js";
import type { StablehloContext, StablehloRule } from "./primitive.js";
import { lowersToStablehlo } from "./primitive.js";
import { binop, broadcast, compare, elementwiseOp, full, hloType, select, type Direction } from "./stablehlo-ops.js";

const table: [Primitive, StablehloRule | string][] = [
  [E.negP, "stablehlo.negate"],
  [E.floorP, "stablehlo.floor"],
  [E.ceilP, "stablehlo.ceil"],
  [E.isFiniteP, "stablehlo.is_finite"],
  [E.absP, "stablehlo.abs"],
  [E.expP, "stablehlo.exponential"],
  [E.logP, "stablehlo.log"],
  [E.log1pP, "stablehlo.log_plus_one"],
  [E.expm1P, "stablehlo.exponential_minus_one"],
  [E.sinP, "stablehlo.sine"],
  [E.cosP, "stablehlo.cosine"],
  [E.tanP, "stablehlo.tan"],
  [E.asinP, "chlo.asin"],
  [E.acosP, "chlo.acos"],
  [E.atanP, "chlo.atan"],
  [E.sinhP, "chlo.sinh"],
  [E.coshP, "chlo.cosh"],
  [E.tanhP, "stablehlo.tanh"],
  [E.asinhP, "chlo.asinh"],
  [E.acoshP, "chlo.acosh"],
  [E.atanhP, "chlo.atanh"],
  [E.logisticP, "stablehlo.logistic"],
  [E.sqrtP, "stablehlo.sqrt"],
  [E.rsqrtP, "stablehlo.rsqrt"],
  [E.cbrtP, "stablehlo.cbrt"],
  [E.erfP, "chlo.erf"],
  [E.erfInvP, "chlo.erf_inv"],
  [E.notP, "stablehlo.not"],
  [E.addP, "stablehlo.add"],
  [E.subP, "stablehlo.subtract"],
  [E.divP, "stablehlo.divide"],
  [E.remP, "stablehlo.remainder"],
  [E.powP, "stablehlo.power"],
  [E.atan2P, "stablehlo.atan2"],
  [E.nextafterP, "chlo.next_after"],
  [E.andP, "stablehlo.and"],
  [E.orP, "stablehlo.or"],
  [E.xorP, "stablehlo.xor"],
  // exp2(x) = exp(x·ln 2), as JAX lowers it
  [E.exp2P, (ctx, [x]) => [ctx.b.op1("stablehlo.exponential", [binop(ctx, "stablehlo.multiply", x, full(ctx, Math.LN2, x.shape, x.dtype))], x.type)]],
  [E.squareP, (ctx, [x]) => [binop(ctx, x.dtype === "bool" ? "stablehlo.and" : "stablehlo.multiply", x, x)]],
  [E.reciprocalP, (ctx, [x]) => [binop(ctx, "stablehlo.divide", full(ctx, 1, x.shape, x.dtype), x)]],
  // unsigned: 1 where x != 0 (stablehlo.sign is for signed types)
  [E.signP, (ctx, [x]) => [(x.dtype as string).startsWith("uint") ? ctx.b.op1("stablehlo.convert", [compare(ctx, "NE", x, full(ctx, 0, x.shape, x.dtype))], x.type) : ctx.b.op1("stablehlo.sign", [x], x.type)]],
  [E.roundP, (ctx, [x], p) => [ctx.b.op1(p.method === "toNearestEven" ? "stablehlo.round_nearest_even" : "stablehlo.round_nearest_afz", [x], x.type)]],
  [E.integerPowP, (ctx, [x], p) => [integerPow(ctx, x, p.y as number)]],
  [E.mulP, logicOr("stablehlo.multiply", "stablehlo.and")],
  [E.maxP, logicOr("stablehlo.maximum", "stablehlo.or")],
  [E.minP, logicOr("stablehlo.minimum", "stablehlo.and")],
  ...(["eq", "ne", "lt", "le", "gt", "ge"] as const).map((d): [Primitive, StablehloRule] => [
    { eq: E.eqP, ne: E.neP, lt: E.ltP, le: E.leP, gt: E.gtP, ge: E.geP }[d],
    (ctx, args, _p, _a, [out]) => {
      const [a, b] = args.map((x) => broadcast(ctx, x, out.shape));
      return [compare(ctx, d.toUpperCase() as Direction, a, b)];
    },
  ]),
  [E.selectNP, (ctx, [which, ...cases], _p, _a, [out]) => {
    const cs = cases.map((c) => broadcast(ctx, c, out.shape));
    const w = broadcast(ctx, which, out.shape);
    if (w.dtype === "bool") return [select(ctx, w, cs[1], cs[0])];
    // cases[which]: the last case whose index `which` reaches (JAX clamps the selector the same way)
    let r = cs[0];
    for (let i = 1; i < cs.length; i++) r = select(ctx, compare(ctx, "GE", w, full(ctx, i, out.shape, "int32")), cs[i], r);
    return [r];
  }],
  [E.clampP, (ctx, [lo, x, hi], _p, _a, [out]) => [ctx.b.op1("stablehlo.clamp", [broadcast(ctx, lo, out.shape), broadcast(ctx, x, out.shape), broadcast(ctx, hi, out.shape)], hloType(out.shape, out.dtype))]],
  [E.convertP, (ctx, [x], _p, _a, [out]) => {
    if (out.dtype === "bool" && x.dtype !== "bool") return [compare(ctx, "NE", x, full(ctx, 0, x.shape, x.dtype))];
    if (out.dtype === x.dtype) return [x];
    return [ctx.b.op1("stablehlo.convert", [x], hloType(out.shape, out.dtype))];
  }],
];

/** An arithmetic op that is logic on bools (mul is and, max is or, min is and). */
function logicOr(arith: string, logic: string): StablehloRule {
  return (ctx, args, _p, _a, [out]) => {
    const [a, b] = args.map((x) => broadcast(ctx, x, out.shape));
    return [binop(ctx, out.dtype === "bool" ? logic : arith, a, b)];
  };
}

/** x^y by repeated squaring (y an integer; a negative y is the reciprocal), as JAX's integer_pow. */
function integerPow(ctx: StablehloContext, x: HloValue, y: number): HloValue {
  let n = Math.abs(y);
  let acc: HloValue | null = null;
  let sq = x;
  while (n > 0) {
    if (n & 1) acc = acc === null ? sq : binop(ctx, "stablehlo.multiply", acc, sq);
    n = Math.floor(n / 2);
    if (n > 0) sq = binop(ctx, "stablehlo.multiply", sq, sq);
  }
  const one = () => full(ctx, 1, x.shape, x.dtype);
  if (acc === null) return one();
  return y < 0 ? binop(ctx, "stablehlo.divide", one(), acc) : acc;
}

for (const [prim, rule] of table) lowersToStablehlo(prim, typeof rule === "string" ? elementwiseOp(rule) : rule);

