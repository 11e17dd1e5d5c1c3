/**
 * Complex arithmetic as pairs of real scalar expressions of the kernel IR:
 * the formulas every backend's complex lanes compute (src/backend/kernel-complex.ts
 * rewrites complex kernels with them, so the JS, Wasm and WGSL renderers
 * only ever see real expressions).
 */
import { UnsupportedError } from "../errors.js";
import type { DType } from "../dtype.js";
import type { BinaryOp, Expr, UnaryOp } from "./kernel.js";
import { binary, constant, unary } from "./kernel.js";

/**
 * An exact zero part (the real part of `lax.complex(0, y)`'s encoding):
 * adding it changes nothing, so `complex(x, y)` is exactly (x, y). Only the
 * sums and negations below see it; everything else materializes it.
 */
export const ZERO: Expr = Object.freeze({ kind: "const", value: 0, dtype: "float32" }) as Expr;

/** A complex value as its real and imaginary parts (either may be `ZERO`). */
export interface PairExpr {
  re: Expr;
  im: Expr;
}

/** A part as an expression of dtype `p` (`ZERO` becomes a 0 constant). */
export function materialize(x: Expr, p: DType): Expr {
  return x === ZERO ? constant(0, p) : x;
}

const add = (a: Expr, b: Expr, p: DType): Expr => (a === ZERO ? b : b === ZERO ? a : binary("add", a, b, p));
const sub = (a: Expr, b: Expr, p: DType): Expr => (b === ZERO ? a : a === ZERO ? unary("neg", b, p) : binary("sub", a, b, p));
const neg = (a: Expr, p: DType): Expr => (a === ZERO ? ZERO : unary("neg", a, p));
const mul = (a: Expr, b: Expr, p: DType): Expr => binary("mul", materialize(a, p), materialize(b, p), p);

function unsupported(op: string): never {
  throw new UnsupportedError(`${op} of complex values is not supported yet`);
}

/** A unary op on a complex operand (parts of dtype `p`); `out` is the result's dtype (complex, or real for abs-like ops). */
export function complexUnary(op: UnaryOp, z: PairExpr, p: DType, _out: DType): PairExpr | Expr {
  switch (op) {
    case "neg":
      return { re: neg(z.re, p), im: neg(z.im, p) };
    case "square":
      return complexBinary("mul", z, z, p, _out);
    default:
      return unsupported(op);
  }
}

/** A binary op on complex operands (parts of dtype `p`); `out` is the result's dtype (complex, or bool for comparisons). */
export function complexBinary(op: BinaryOp, x: PairExpr, y: PairExpr, p: DType, out: DType): PairExpr | Expr {
  switch (op) {
    case "add":
      return { re: add(x.re, y.re, p), im: add(x.im, y.im, p) };
    case "sub":
      return { re: sub(x.re, y.re, p), im: sub(x.im, y.im, p) };
    case "mul":
      // (a + bi)(c + di) = (ac − bd) + (ad + bc)i, as XLA computes it
      return { re: binary("sub", mul(x.re, y.re, p), mul(x.im, y.im, p), p), im: binary("add", mul(x.re, y.im, p), mul(x.im, y.re, p), p) };
    case "eq":
      return binary("and", binary("eq", materialize(x.re, p), materialize(y.re, p), "bool"), binary("eq", materialize(x.im, p), materialize(y.im, p), "bool"), out);
    case "ne":
      return binary("or", binary("ne", materialize(x.re, p), materialize(y.re, p), "bool"), binary("ne", materialize(x.im, p), materialize(y.im, p), "bool"), out);
    default:
      return unsupported(op);
  }
}
