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
import { definePrimitive, ShapedArray, Zero } from "./primitive.js";
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
