/**
 * threefry2x32: the counter-based block cipher (Threefry-2x32, 20 rounds)
 * that JAX's random numbers stand on. It maps a key (k0, k1) and counters
 * (x0, x1) to two words of random bits, elementwise. Its outputs are bits,
 * not smooth functions of anything: their tangents are zero.
 */
import { operandArg } from "./elementwise.js";
import { DTypeError, ShapeError } from "../errors.js";
import { fmtShape, shapeEq } from "../shape.js";
import type { Primitive, Value } from "../trace/core.js";
import { bind } from "../trace/core.js";
import { definePrimitive, lowersToStablehlo, ShapedArray, Zero } from "./primitive.js";
import type { HloValue } from "../backend/stablehlo.js";
import { full } from "./stablehlo-ops.js";
import { broadcastInDim, moveAxis } from "./shape.js";

const names = ["k0", "k1", "x0", "x1"];
const describe = (avals: readonly { dtype: string; shape: readonly number[] }[]) =>
  avals.map((a, i) => `${names[i]}: ${a.dtype}${fmtShape(a.shape)}`).join(", ");

export const threefry2x32P: Primitive = definePrimitive("threefry2x32", {
  params: {},
  abstractEval(avals) {
    if (avals.length !== 4 || avals.some((a) => a.dtype !== "uint32")) {
      throw new DTypeError(`lax.threefry2x32: needs four uint32 operands (k0, k1, x0, x1), got ${describe(avals)}`);
    }
    if (!avals.every((a) => shapeEq(a.shape, avals[0].shape))) {
      throw new ShapeError(`lax.threefry2x32: operands must have one shape (lax.threefry2x32 broadcasts 0-d keys), got ${describe(avals)}`);
    }
    const out = new ShapedArray(avals[0].shape, "uint32");
    return [out, out];
  },
  lower: () => ({ kind: "routine", routine: "threefry2x32", params: {} }),
  jvp(primals) {
    const outs = bind(threefry2x32P, primals, {});
    return [outs, outs.map((o) => new Zero(o.aval))];
  },
  // not batchElementwise: that keeps unbatched 0-d operands 0-d, and this primitive needs equal shapes
  batch(args, dims) {
    const i0 = dims.findIndex((d) => d !== null);
    if (dims.every((d) => d === dims[i0])) return [bind(threefry2x32P, args, {}), [dims[i0], dims[i0]]];
    const size = args[i0].shape[dims[i0]!];
    const moved = args.map((a, i) => (dims[i] === null ? broadcastInDim(a, [size, ...a.shape], a.shape.map((_, k) => k + 1)) : moveAxis(a, dims[i]!, 0)));
    return [bind(threefry2x32P, moved, {}), [0, 0]];
  },
});

/**
 * Threefry-2x32 with key (k0, k1) on counters (x0, x1), all uint32; 0-d
 * operands are broadcast to the others' shape. Returns the two output words.
 * @example
 * const [y0, y1] = lax.threefry2x32(k0, k1, iota0, iota1);
 */
export function threefry2x32(k0: Value, k1: Value, x0: Value, x1: Value): [Value, Value] {
  const operands = [k0, k1, x0, x1].map((o) => operandArg("lax.threefry2x32", o));
  if (operands.some((o) => o.dtype !== "uint32")) {
    throw new DTypeError(`lax.threefry2x32: needs four uint32 operands (k0, k1, x0, x1), got ${describe(operands)}; convert with lax.convert(x, "uint32")`);
  }
  const shaped = operands.find((o) => o.ndim > 0);
  const shape = shaped ? shaped.shape : [];
  const full = operands.map((o) => (o.ndim === 0 ? broadcastInDim(o, shape, []) : o));
  const [y0, y1] = bind(threefry2x32P, full, {});
  return [y0, y1];
}

// ---- StableHLO lowering (exportStableHLO) ----------------------------------------------------

// Threefry-2x32 written out in uint32 adds, xors and rotations (JAX's rounds and
// key schedule), so the exported random stream is bit-identical to jaxon's and JAX's
lowersToStablehlo(threefry2x32P, (ctx, [k0, k1, x0, x1]) => {
  const t = x0.type;
  const c = (v: number) => full(ctx, v, t.shape, "uint32");
  const op = (name: string, a: HloValue, b: HloValue) => ctx.b.op1(name, [a, b], t);
  const add = (a: HloValue, b: HloValue) => op("stablehlo.add", a, b);
  const xor = (a: HloValue, b: HloValue) => op("stablehlo.xor", a, b);
  const rotl = (v: HloValue, d: number) => op("stablehlo.or", op("stablehlo.shift_left", v, c(d)), op("stablehlo.shift_right_logical", v, c(32 - d)));
  const ks = [k0, k1, xor(xor(k0, k1), c(0x1bd11bda))];
  const rotations = [[13, 15, 26, 6], [17, 29, 16, 24]];
  let [v0, v1] = [add(x0, ks[0]), add(x1, ks[1])];
  for (let i = 0; i < 5; i++) {
    for (const r of rotations[i % 2]) {
      v0 = add(v0, v1);
      v1 = xor(v0, rotl(v1, r));
    }
    v0 = add(v0, ks[(i + 1) % 3]);
    v1 = add(add(v1, ks[(i + 2) % 3]), c(i + 1));
  }
  return [v0, v1];
});
