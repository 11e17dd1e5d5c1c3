/**
 * `lax.dotGeneral` on complex operands (issue 14), as real matmuls on the
 * parts: (a + ib)(c + id) = (ac − bd) + i(ad + bc) — four real products (two
 * when one operand is real), each the real `dot_general` primitive, so the
 * CPU's and WebGPU's matmul kernels run them and every rule (jvp, transpose,
 * batching) is the real one. The parts come from `lax.real`/`lax.imag` and
 * go back through `lax.complex`, whose transposes are JAX's, so `grad` and
 * `vjp` give JAX's results (a complex matmul is linear in each operand and
 * its transpose conjugates nothing). Four products rather than Gauss's three:
 * Gauss's trick loses float32 accuracy when the parts differ in scale.
 */
import type { DType } from "../dtype.js";
import { complexPartOf, isComplexDType } from "../dtype.js";
import { DTypeError } from "../errors.js";
import { describe } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { complex, imag, real } from "./complex.js";
import { add, sub } from "./elementwise.js";

type RealDot<D> = (lhs: Value, rhs: Value, dimensionNumbers: D, preferredElementType?: DType) => Value;

/** The complex dot_general through `realDot` (lax.dotGeneral on real operands). */
export function complexDotGeneral<D>(lhs: Value, rhs: Value, dimensionNumbers: D, preferredElementType: DType | undefined, realDot: RealDot<D>): Value {
  let partType: DType | undefined;
  if (preferredElementType !== undefined) {
    if (!isComplexDType(preferredElementType)) {
      throw new DTypeError(
        `lax.dotGeneral: complex operands (${lhs.dtype}, ${rhs.dtype}) need a complex preferredElementType, got ${describe(preferredElementType)}; ` +
          `leave it out or take the real part of the result (lax.real)`,
      );
    }
    partType = complexPartOf(preferredElementType);
  }
  const dot = (a: Value, b: Value) => realDot(a, b, dimensionNumbers, partType);
  const lc = isComplexDType(lhs.dtype);
  const rc = isComplexDType(rhs.dtype);
  if (lc && rc) {
    const [a, b, c, d] = [real(lhs), imag(lhs), real(rhs), imag(rhs)];
    return complex(sub(dot(a, c), dot(b, d)), add(dot(a, d), dot(b, c)));
  }
  if (lc) return complex(dot(real(lhs), rhs), dot(imag(lhs), rhs));
  return complex(dot(lhs, real(rhs)), dot(lhs, imag(rhs)));
}
