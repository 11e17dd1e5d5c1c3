/**
 * dtype helpers: JAX's result types, and the dtype names as constants.
 */
import { DTypeError } from "../errors.js";
import { ArrayMethods } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { checkDType, dtypes, isDType, isFloat, isInt, isSigned, promoteTypes as promoteLattice } from "../dtype.js";
import type { ArrayLike } from "./util.js";
import { typeOf } from "./util.js";

export type { DType };
export { dtypes };

/** dtype names as constants, as `jnp.float32`. @example np.zeros([2], { dtype: np.float32 }); */
export const float32 = "float32" as const;
/** @example np.zeros([2], { dtype: np.float64 }); */
export const float64 = "float64" as const;
/** @example np.arange(3, { dtype: np.int32 }); */
export const int32 = "int32" as const;
/** @example np.ones([2], { dtype: np.uint32 }); */
export const uint32 = "uint32" as const;
/** @example np.zeros([2], { dtype: np.int8 }); */
export const int8 = "int8" as const;
/** @example np.array([0, 128, 255], { dtype: np.uint8 }); */
export const uint8 = "uint8" as const;
/** @example np.zeros([2], { dtype: np.int16 }); */
export const int16 = "int16" as const;
/** @example np.ones([2], { dtype: np.uint16 }); */
export const uint16 = "uint16" as const;
/** @example np.zeros([2], { dtype: np.bool }); */
export const bool = "bool" as const;

/**
 * The dtype that combining the arguments gives, by JAX's promotion lattice
 * (dtype names count as strong types, JS numbers as weak ones).
 * @example
 * np.resultType("int32", 2.5);          // "float32"
 * np.resultType(np.zeros([2]), "float64"); // "float64"
 */
export function resultType(...args: (ArrayLike | DType)[]): DType {
  // as JAX (ValueError "at least one array or dtype is required"): there is no type of nothing
  if (args.length === 0) throw new DTypeError("np.resultType: at least one array, number or dtype is required, got no arguments");
  return promoteLattice(
    ...args.map((a) => (typeof a === "string" ? { dtype: checkDType(a, "np.resultType"), weakType: false } : typeOf(a as ArrayLike))),
  ).dtype;
}

/**
 * The dtype two (strong) dtypes promote to.
 * @example np.promoteTypes("int32", "uint32"); // "int32"
 */
export function promoteTypes(a: DType, b: DType): DType {
  return promoteLattice({ dtype: checkDType(a, "np.promoteTypes"), weakType: false }, { dtype: checkDType(b, "np.promoteTypes"), weakType: false }).dtype;
}

/**
 * Whether `dtype` belongs to a kind: "floating", "integer", "signedinteger", "unsignedinteger", "bool", "number".
 * @example np.issubdtype("int32", "integer"); // true
 */
export function issubdtype(dtype: DType, kind: "floating" | "integer" | "signedinteger" | "unsignedinteger" | "bool" | "number" | DType): boolean {
  const d = checkDType(dtype, "np.issubdtype");
  switch (kind) {
    case "floating":
      return isFloat(d);
    case "integer":
      return isInt(d);
    case "signedinteger":
      return isInt(d) && isSigned(d);
    case "unsignedinteger":
      return isInt(d) && !isSigned(d);
    case "number":
      return d !== "bool";
    default:
      return isDType(kind) && kind === d;
  }
}

/**
 * The dtype of an array or JS value (`np.array(x).dtype` without making one).
 * @example np.dtypeOf(1.5); // "float32"
 */
export function dtypeOf(x: ArrayLike): DType {
  return x instanceof ArrayMethods ? x.dtype : typeOf(x).dtype;
}
