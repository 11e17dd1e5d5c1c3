/**
 * Complex numbers in `np`: the literal jaxon reads (`np.complex(re, im)`, or
 * any plain `{re, im}` object of two JS numbers), the parts (`real`, `imag`,
 * `conj`), and the predicates (`iscomplexobj`, `isrealobj`, `iscomplex`, `isreal`).
 */
import type { Complex } from "../dtype.js";
import { complex as complexLiteral, isComplexDType } from "../dtype.js";
import * as lax from "../lax/index.js";
import type { ArrayLike, Value } from "./util.js";
import { asValue } from "./util.js";

/**
 * A complex literal: `np.complex(2, 3)` is 2+3j (a frozen `{re, im}` object;
 * a plain `{re: 2, im: 3}` is read the same). Use it in `np.array`, `np.full`
 * and wherever a complex value is read from JS.
 * @example
 * np.array([np.complex(2, 3), np.complex(4, -5)]); // Array([2.+3.j, 4.-5.j], dtype=complex64)
 */
export function complex(re: number, im = 0): Complex {
  return complexLiteral(re, im);
}

/**
 * Whether `x` has a complex dtype (NumPy's `iscomplexobj`): a JS number or boolean does not.
 * @example
 * np.iscomplexobj(np.array([np.complex(1, 0)])); // true
 */
export function iscomplexobj(x: ArrayLike): boolean {
  return isComplexDType(asValue(x, "np.iscomplexobj").dtype);
}

/**
 * Whether `x` has a real dtype (NumPy's `isrealobj`): the negation of `iscomplexobj`.
 * @example
 * np.isrealobj(np.array([1, 2])); // true
 */
export function isrealobj(x: ArrayLike): boolean {
  return !iscomplexobj(x);
}

/**
 * Elementwise: whether the imaginary part is nonzero (false everywhere for a real dtype).
 * @example
 * np.iscomplex(np.array([np.complex(1, 0), np.complex(1, 2)])); // [false, true]
 */
export function iscomplex(x: ArrayLike): Value {
  const v = asValue(x, "np.iscomplex");
  return isComplexDType(v.dtype) ? lax.ne(lax.imag(v), 0) : lax.broadcastInDim(lax.scalar(0, "bool"), v.shape, []);
}

/**
 * Elementwise: whether the imaginary part is zero (true everywhere for a real dtype).
 * @example
 * np.isreal(np.array([np.complex(1, 0), np.complex(1, 2)])); // [true, false]
 */
export function isreal(x: ArrayLike): Value {
  const v = asValue(x, "np.isreal");
  return isComplexDType(v.dtype) ? lax.eq(lax.imag(v), 0) : lax.broadcastInDim(lax.scalar(1, "bool"), v.shape, []);
}

/**
 * The real part (a real array is returned as it is), as `jnp.real`.
 * @example
 * np.real(np.array([np.complex(1, 2)])); // Array([1.], dtype=float32)
 */
export function real(x: ArrayLike): Value {
  const v = asValue(x, "np.real");
  return isComplexDType(v.dtype) ? lax.real(v) : v;
}

/**
 * The imaginary part (zeros for a real array), as `jnp.imag`.
 * @example
 * np.imag(np.array([np.complex(1, 2)])); // Array([2.], dtype=float32)
 */
export function imag(x: ArrayLike): Value {
  const v = asValue(x, "np.imag");
  return isComplexDType(v.dtype) ? lax.imag(v) : lax.broadcastInDim(lax.scalar(0, v.dtype, v.weakType), v.shape, []);
}

/**
 * The complex conjugate (a real array is returned as it is), as `jnp.conj`.
 * @example
 * np.conj(np.array([np.complex(1, 2)])); // Array([1.-2.j], dtype=complex64)
 */
export function conj(x: ArrayLike): Value {
  const v = asValue(x, "np.conj");
  return isComplexDType(v.dtype) ? lax.conj(v) : v;
}

/**
 * JAX's other name for `conj`.
 * @example
 * np.conjugate(np.array([np.complex(1, 2)])); // Array([1.-2.j], dtype=complex64)
 */
export function conjugate(x: ArrayLike): Value {
  return conj(x);
}
