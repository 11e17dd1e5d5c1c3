/**
 * The backend-neutral kernel: a loop over an iteration space, a scalar
 * expression over input loads at each point, and an optional reduction over
 * the innermost loop axes. Every backend compiles this one form (JavaScript
 * on the CPU, WGSL on WebGPU); `src/lax` lowers primitives into it.
 *
 * Each input is read through an affine view of the loop space (strides and
 * an offset), which is how broadcasting (stride 0), transposes (permuted
 * strides), reversal (negative strides) and slices (offsets) become index
 * arithmetic instead of copies.
 *
 * Adding a scalar op: add it to `UnaryOp`/`BinaryOp` and to its `*_OPS`
 * record below, then give it one row in each renderer's table
 * (`JS_UNARY`/`JS_BINARY` in cpu/codegen.ts, `WASM_UNARY`/`WASM_BINARY`/
 * `WASM_BOOL_BINARY` in cpu/wasm/compiler.ts, where `null` sends the kernel
 * to the JavaScript path, `WGSL_UNARY`/`WGSL_BINARY` in webgpu/codegen.ts;
 * reductions: `JS_COMBINE`, `WGSL_COMBINE`); the tables are exhaustive
 * records, so a missing row is a compile error. A
 * composite op (a special function) is instead written once, as one row of
 * `DECOMPOSITIONS` in composites.ts over simpler ops, and a table that has
 * no native form of it says `DECOMPOSE`.
 */
import { BackendError } from "../errors.js";
import { isComplexDType, isDType } from "../dtype.js";
import type { DType } from "../dtype.js";
import type { Shape } from "../shape.js";

/** Scalar operations every backend implements, from a table (as tinygrad's renderer). */
export type UnaryOp =
  | "neg" | "sign" | "floor" | "ceil" | "round" | "abs" | "exp" | "exp2" | "log" | "log1p" | "expm1"
  | "sin" | "cos" | "tan" | "asin" | "acos" | "atan" | "sinh" | "cosh" | "tanh" | "asinh" | "acosh" | "atanh"
  | "logistic" | "sqrt" | "rsqrt" | "cbrt" | "erf" | "erf_inv" | "is_finite" | "not" | "reciprocal" | "square"
  | "population_count" | "clz" | "bitcast";
export type BinaryOp =
  | "add" | "sub" | "mul" | "div" | "rem" | "pow" | "max" | "min" | "atan2" | "nextafter" | "copysign"
  | "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "and" | "or" | "xor" | "shl" | "shr";
export type ReduceOp = "sum" | "max" | "min" | "prod";

/**
 * A scalar expression. It is a DAG, not a tree: fusion makes a value read twice
 * (through a view used twice) one node with two parents, the complex lowering
 * reads each operand's parts twice, a decomposition reuses its argument. Every
 * pass over an expression (keys, renderers, rewrites, predicates) must visit a
 * node once (a visited set or a memo by node): walked as a tree, a chain of n
 * shared steps costs 2^n (test/fusion-blowup.test.ts).
 */
export type Expr =
  /** Load of kernel input `input` through its view at the current loop point. */
  | { kind: "input"; input: number; dtype: DType }
  | { kind: "const"; value: number; dtype: DType }
  /** The loop index along `axis` (for iota). */
  | { kind: "index"; axis: number; dtype: DType }
  | { kind: "unary"; op: UnaryOp; arg: Expr; dtype: DType }
  | { kind: "binary"; op: BinaryOp; lhs: Expr; rhs: Expr; dtype: DType }
  /** `cases[which]`, where `which` is bool or int32 (select_n). */
  | { kind: "select"; which: Expr; cases: Expr[]; dtype: DType }
  /**
   * A conversion. Between real and complex dtypes (src/backend/kernel-complex.ts lowers these
   * before any renderer sees them): real → complex is x + 0j, complex → real its real part;
   * with `part: "im"`, real → complex is 0 + xj and complex → real its imaginary part.
   */
  | { kind: "cast"; arg: Expr; dtype: DType; part?: "im" }
  /** Integer power by repeated multiplication (integer_pow). */
  | { kind: "ipow"; arg: Expr; exponent: number; dtype: DType }
  /**
   * a·b + c rounded once (the fused multiply-add XLA contracts multiplies and adds into;
   * lax/fma.ts): float16 and float32 only. The CPU renderers round it correctly; WGSL's
   * `fma` need not be fused.
   */
  | { kind: "fma"; args: [Expr, Expr, Expr]; dtype: DType };

/** An affine view of the loop space onto an input buffer: flat = offset + Σ i_k · strides[k]. */
export interface View {
  strides: number[];
  offset: number;
}

export interface Kernel {
  /** The iteration space; the last `reduce.axes` axes are reduced. */
  loopShape: Shape;
  inputs: { dtype: DType; view: View }[];
  expr: Expr;
  /**
   * `epilogue` (backends with `epilogues`): an elementwise kernel over the
   * reduction's output applied to each result before it is stored; its input
   * `accInput` is the result itself, its other inputs follow this kernel's.
   * With `accShape` (the result's shape; backends with `broadcastEpilogues`) the
   * epilogue's loop is larger: it reads the result broadcast along trailing axes.
   */
  reduce?: { op: ReduceOp; axes: number; epilogue?: { kernel: Kernel; accInput: number; accShape?: Shape } };
  /** dtype of the output (the expression's, or the reduction's). */
  dtype: DType;
  /**
   * More outputs over the same loop, each its own expression over the same
   * inputs (elementwise kernels only): sibling values stored by one launch.
   * Only planned for backends that declare `multiOutputKernels`.
   */
  more?: { expr: Expr; dtype: DType }[];
}

// ---- helpers for building expressions -------------------------------------

export const load = (input: number, dtype: DType): Expr => ({ kind: "input", input, dtype });
export const constant = (value: number, dtype: DType): Expr => ({ kind: "const", value, dtype });
export const unary = (op: UnaryOp, arg: Expr, dtype: DType = arg.dtype): Expr => ({ kind: "unary", op, arg, dtype });
export const binary = (op: BinaryOp, lhs: Expr, rhs: Expr, dtype: DType = lhs.dtype): Expr => ({
  kind: "binary",
  op,
  lhs,
  rhs,
  dtype,
});
export const cast = (arg: Expr, dtype: DType): Expr => (arg.dtype === dtype ? arg : { kind: "cast", arg, dtype });

/**
 * Whether `pred` holds for some node of the expression (the node itself included).
 * An expression is a DAG (a fused chain shares nodes; a complex product reads each
 * operand's parts twice): each node is visited once, or a chain of n shared steps
 * would cost 2^n visits.
 */
export function someNode(e: Expr, pred: (e: Expr) => boolean, seen: Set<Expr> = new Set()): boolean {
  if (seen.has(e)) return false;
  seen.add(e);
  if (pred(e)) return true;
  switch (e.kind) {
    case "unary":
    case "cast":
    case "ipow":
      return someNode(e.arg, pred, seen);
    case "binary":
      return someNode(e.lhs, pred, seen) || someNode(e.rhs, pred, seen);
    case "select":
      return someNode(e.which, pred, seen) || e.cases.some((c) => someNode(c, pred, seen));
    case "fma":
      return e.args.some((c) => someNode(c, pred, seen));
    default:
      return false;
  }
}

/**
 * Structural numbering of expression nodes (hash-consing): two nodes get the same
 * number exactly when they compute the same formula, whether they are one object
 * or equal copies. Each node is numbered once, so a DAG costs its node count, not
 * the size of its tree unfolding (which doubles with each shared step of a chain).
 * `defs` lists each distinct node once, in the order numbered, its operands by number.
 */
export class ExprNumbering {
  private readonly byNode = new Map<Expr, number>();
  private readonly bySignature = new Map<string, number>();
  readonly defs: string[] = [];

  id(e: Expr): number {
    let n = this.byNode.get(e);
    if (n !== undefined) return n;
    const sig = this.signature(e);
    n = this.bySignature.get(sig);
    if (n === undefined) {
      n = this.defs.length;
      this.defs.push(sig);
      this.bySignature.set(sig, n);
    }
    this.byNode.set(e, n);
    return n;
  }

  private signature(e: Expr): string {
    switch (e.kind) {
      case "input":
        return `$${e.input}:${e.dtype}`;
      case "const":
        // String(-0) is "0": without the sign, x / -0 would reuse the kernel compiled for x / 0
        return `${Object.is(e.value, -0) ? "-0" : e.value}:${e.dtype}`;
      case "index":
        return `#${e.axis}:${e.dtype}`;
      case "unary":
        return `${e.op}:${e.dtype}(${this.id(e.arg)})`;
      case "binary":
        return `${e.op}:${e.dtype}(${this.id(e.lhs)},${this.id(e.rhs)})`;
      case "select":
        return `sel:${e.dtype}(${this.id(e.which)};${e.cases.map((c) => this.id(c)).join(",")})`;
      case "cast":
        return `cast:${e.dtype}${e.part === "im" ? "/im" : ""}(${this.id(e.arg)})`;
      case "ipow":
        return `ipow${e.exponent}:${e.dtype}(${this.id(e.arg)})`;
      case "fma":
        return `fma:${e.dtype}(${e.args.map((c) => this.id(c)).join(",")})`;
    }
  }
}

/**
 * A stable text key for expressions, for kernel caches: equal exactly when the
 * formulas are equal. Its length grows with the number of distinct nodes (shared
 * ones written once and referred to by number), never with the tree unfolding.
 */
export function exprKey(...es: Expr[]): string {
  const numbering = new ExprNumbering();
  const roots = es.map((e) => numbering.id(e));
  return `${numbering.defs.join(";")}=>${roots.join(",")}`;
}

export function kernelKey(k: Kernel): string {
  return [
    k.loopShape.join(","),
    k.inputs.map((i) => `${i.dtype}@${i.view.offset}:${i.view.strides.join(",")}`).join("|"),
    // the sibling outputs' expressions share one numbering: a sibling inlined into the next is written once
    exprKey(k.expr, ...(k.more ?? []).map((o) => o.expr)),
    k.reduce ? `${k.reduce.op}${k.reduce.axes}${k.reduce.epilogue ? `|${k.reduce.epilogue.accInput}|${kernelKey(k.reduce.epilogue.kernel)}` : ""}` : "",
    k.dtype,
    ...(k.more ?? []).map((o) => o.dtype),
  ].join(";");
}

// ---- the numbers a renderer may paste into source -------------------------------------------

// records, not lists: a new op left out of them is a compile error
const UNARY_OP_RECORD: Record<UnaryOp, true> = {
  neg: true, sign: true, floor: true, ceil: true, round: true, abs: true, exp: true, exp2: true, log: true, log1p: true, expm1: true,
  sin: true, cos: true, tan: true, asin: true, acos: true, atan: true, sinh: true, cosh: true, tanh: true, asinh: true, acosh: true,
  atanh: true, logistic: true, sqrt: true, rsqrt: true, cbrt: true, erf: true, erf_inv: true, is_finite: true, not: true,
  reciprocal: true, square: true,
  population_count: true, clz: true, bitcast: true,
};
const BINARY_OP_RECORD: Record<BinaryOp, true> = {
  add: true, sub: true, mul: true, div: true, rem: true, pow: true, max: true, min: true, atan2: true, nextafter: true, copysign: true,
  eq: true, ne: true, lt: true, le: true, gt: true, ge: true, and: true, or: true, xor: true, shl: true, shr: true,
};
const REDUCE_OP_RECORD: Record<ReduceOp, true> = { sum: true, max: true, min: true, prod: true };
/** Every unary op, in one list (tests walk it to check that each renderer has each op). */
export const UNARY_OPS = Object.keys(UNARY_OP_RECORD) as UnaryOp[];
/** Every binary op. */
export const BINARY_OPS = Object.keys(BINARY_OP_RECORD) as BinaryOp[];
const isUnaryOp = (op: unknown) => typeof op === "string" && Object.hasOwn(UNARY_OP_RECORD, op);
const isBinaryOp = (op: unknown) => typeof op === "string" && Object.hasOwn(BINARY_OP_RECORD, op);
const isReduceOp = (op: unknown) => typeof op === "string" && Object.hasOwn(REDUCE_OP_RECORD, op);

function unsafe(what: string): never {
  throw new BackendError(`internal error: a kernel holds ${what}; jaxon refuses to generate code from it (please report this)`);
}
const int = (n: unknown, what: string) => {
  if (typeof n !== "number" || !Number.isSafeInteger(n)) unsafe(`a non-integer ${what}`);
};

function checkExpr(e: Expr, inputs: number, seen: Set<Expr>): void {
  if (seen.has(e)) return;
  seen.add(e);
  if (!isDType(e.dtype)) unsafe("an unknown dtype");
  if (isComplexDType(e.dtype)) unsafe("a complex value not lowered to float pairs");
  switch (e.kind) {
    case "input":
      int(e.input, "input index");
      if (e.input < 0 || e.input >= inputs) unsafe("an input index out of range");
      return;
    case "const":
      if (typeof e.value !== "number") unsafe("a constant that is not a number");
      return;
    case "index":
      return int(e.axis, "axis");
    case "unary":
      if (!isUnaryOp(e.op)) unsafe("an unknown unary op");
      return checkExpr(e.arg, inputs, seen);
    case "binary":
      if (!isBinaryOp(e.op)) unsafe("an unknown binary op");
      checkExpr(e.lhs, inputs, seen);
      return checkExpr(e.rhs, inputs, seen);
    case "select":
      checkExpr(e.which, inputs, seen);
      for (const c of e.cases) checkExpr(c, inputs, seen);
      return;
    case "cast":
      return checkExpr(e.arg, inputs, seen);
    case "ipow":
      int(e.exponent, "exponent");
      return checkExpr(e.arg, inputs, seen);
    case "fma":
      if (e.dtype !== "float32" && e.dtype !== "float16") unsafe("an fma that is not float32 or float16");
      for (const c of e.args) checkExpr(c, inputs, seen);
      return;
    default:
      unsafe("an unknown expression kind");
  }
}

/**
 * Throws unless every number a renderer formats into source is one it may
 * format: sizes, strides, offsets, axes and exponents are safe integers,
 * constants are JS numbers, ops and dtypes are from jaxon's own tables. The
 * last line of defence behind the parameter checks in `bind`: text renderers
 * (JavaScript, WGSL) call it before they build source from a kernel.
 */
export function checkKernelNumbers(k: Kernel): void {
  for (const d of k.loopShape) int(d, "loop size");
  if (!isDType(k.dtype) || isComplexDType(k.dtype)) unsafe("an unknown or complex dtype");
  for (const inp of k.inputs) {
    if (!isDType(inp.dtype) || isComplexDType(inp.dtype)) unsafe("an unknown or complex input dtype");
    int(inp.view.offset, "offset");
    for (const st of inp.view.strides) int(st, "stride");
  }
  const seen = new Set<Expr>();
  checkExpr(k.expr, k.inputs.length, seen);
  for (const o of k.more ?? []) {
    if (!isDType(o.dtype)) unsafe("an unknown output dtype");
    checkExpr(o.expr, k.inputs.length, seen);
  }
  if (k.reduce) {
    if (!isReduceOp(k.reduce.op)) unsafe("an unknown reduction");
    int(k.reduce.axes, "reduction axis count");
    if (k.reduce.epilogue) {
      int(k.reduce.epilogue.accInput, "epilogue input");
      checkKernelNumbers(k.reduce.epilogue.kernel);
    }
  }
}

/**
 * Builders of scalar expressions over one float dtype, so that decompositions
 * (backend/composites.ts) and the special functions (lax/special.ts) read as formulas.
 */
export class ExprBuilder {
  constructor(readonly d: DType) {}
  c = (v: number): Expr => constant(v, this.d);
  bin = (op: BinaryOp, a: Expr, b: Expr) => binary(op, a, b, this.d);
  add = (a: Expr, b: Expr) => this.bin("add", a, b);
  sub = (a: Expr, b: Expr) => this.bin("sub", a, b);
  mul = (a: Expr, b: Expr) => this.bin("mul", a, b);
  div = (a: Expr, b: Expr) => this.bin("div", a, b);
  min = (a: Expr, b: Expr) => this.bin("min", a, b);
  lt = (a: Expr, b: Expr) => binary("lt", a, b, "bool");
  le = (a: Expr, b: Expr) => binary("le", a, b, "bool");
  gt = (a: Expr, b: Expr) => binary("gt", a, b, "bool");
  eq = (a: Expr, b: Expr) => binary("eq", a, b, "bool");
  and = (a: Expr, b: Expr) => binary("and", a, b, "bool");
  or = (a: Expr, b: Expr) => binary("or", a, b, "bool");
  un = (op: UnaryOp, a: Expr) => unary(op, a, this.d);
  abs = (a: Expr) => this.un("abs", a);
  neg = (a: Expr) => this.un("neg", a);
  exp = (a: Expr) => this.un("exp", a);
  log = (a: Expr) => this.un("log", a);
  log1p = (a: Expr) => this.un("log1p", a);
  sqrt = (a: Expr) => this.un("sqrt", a);
  floor = (a: Expr) => this.un("floor", a);
  /** `t` where `cond` holds, else `f`. */
  sel = (cond: Expr, t: Expr, f: Expr): Expr => ({ kind: "select", which: cond, cases: [f, t], dtype: this.d });
  /** Horner: coeffs[0]·x^(n−1) + … + coeffs[n−1]. */
  poly(x: Expr, coeffs: readonly number[]): Expr {
    let acc = this.c(coeffs[0]);
    for (let i = 1; i < coeffs.length; i++) acc = this.add(this.mul(acc, x), this.c(coeffs[i]));
    return acc;
  }
}
