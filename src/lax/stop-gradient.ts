/** stop_gradient: the identity whose derivative is zero. */
import { operandArg } from "./elementwise.js";
import type { Value } from "../trace/core.js";
import { bind1, definePrimitive, lowersToStablehlo, Zero } from "./primitive.js";

export const stopGradientP = definePrimitive("stop_gradient", {
  complex: true,
  params: {},
  abstractEval: ([x]) => [x],
  lower: () => ({ kind: "alias", input: 0 }),
  fusion: { kind: "reshape" },
  jvp: ([x]) => {
    const out = stopGradient(x);
    return [[out], [new Zero(out.aval.strong())]];
  },
  batch: ([x], [b]) => [[stopGradient(x)], [b]],
});

/**
 * The identity, seen as a constant by differentiation.
 * @example
 * grad((x) => stopGradient(x).mul(x))(np.array(3)); // 3, not 6
 */
export function stopGradient(x: Value): Value {
  return bind1(stopGradientP, [operandArg("stopGradient", x)], {});
}

// the value passes through (the gradient was cut when the jaxpr was traced)
lowersToStablehlo(stopGradientP, (_ctx, [x]) => [x]);
