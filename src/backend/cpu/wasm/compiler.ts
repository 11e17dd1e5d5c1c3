/**
 * Kernel IR → WebAssembly. A kernel is eligible when every value in it is
 * float32 (four f32 lanes), bool (all-ones/all-zeros masks; a bool input or
 * output is one byte, 0 or 1) or an integer (int8 … uint32 in int32 lanes:
 * `laneKind`), its collapsed innermost loop axis is contiguous (stride 1)
 * or broadcast (stride 0) for every input, every scalar op has a vector
 * form here, and a
 * reduction, if any, runs over that innermost axis alone (or, float32
 * only, over a strided axis: `planColumns`). Everything else stays on the
 * JavaScript path (codegen.ts), which is the oracle: every lane here equals
 * its value there bit for bit.
 *
 * An 8- or 16-bit integer is read with narrow loads (sign- or
 * zero-extended) and stored one or two bytes an element (the lanes' low
 * bytes or halves: the wrap; float32 → integer at the store saturates as XLA
 * converts, `isNarrowStore`). Integer division and remainder (through
 * float32 for 8/16 bits, float64 for 32: `div32`), pow (`powLanes`),
 * integer_pow, population_count, clz and bitcasts of one width have lanes
 * too; argmax/argmin are a routine (argreduce-wasm.ts). Between, its lanes may be "raw": the ring ops
 * (add/sub/mul/and/or/xor/neg/not) commute with wrapping mod 2^n, so only
 * their low 8 or 16 bits are kept meaningful, and an op that reads the value
 * (comparison, min/max, division, right shift, abs, sign, a widening cast)
 * sign- or zero-extends its operand first (`norm`; `extended` says which
 * nodes need not).
 *
 * The module exports `run(params, out, in0, …, begin, end)` over outer
 * iterations [begin, end) (rows of the innermost axis), so that a caller can
 * split the work across threads. Shapes, strides and offsets are not baked
 * into the code but read from `params` (i32s in the shared memory): one
 * module serves every shape with the same expression, outer rank and
 * innermost-stride pattern, so eager ops on new shapes do not recompile.
 *
 * The innermost loop runs four lanes at a time (f32x4) with a tail that runs
 * the same vector code on one splatted element; values invariant along the
 * row (constants, broadcast operands, anything computed from them) are
 * computed once per row.
 */
import type { BinaryOp, Expr, Kernel, ReduceOp } from "../../kernel.js";
import { ExprNumbering, exprKey, someNode } from "../../kernel.js";
import type { UnaryTable } from "../../composites.js";
import { DECOMPOSE, expandNode, lowerComposites } from "../../composites.js";
import { collapse, reduceInit } from "../codegen.js";
import type { DType } from "../../../dtype.js";
import { intInfo, isSmallInt, wrapInt } from "../../../dtype.js";
import type { IntDType } from "../../../dtype.js";
import type { Local } from "./emitter.js";
import { FunctionBuilder, ModuleBuilder, Op, S, T } from "./emitter.js";
import { TRIG_FAST_LIMIT, V, vexp, vexp2, vexpm1, vlog, vlog1p, vsincos } from "./vmath.js";

/**
 * Vectors per step of the main loop, their code interleaved for
 * instruction-level parallelism: four for short expressions (latency-bound),
 * fewer for long ones, whose interleaved streams would run out of the 16 SIMD
 * registers. 0 chooses by the expression's cost (measured on x64).
 */
let unrollSetting = 0;
export function setUnroll(u: number) {
  unrollSetting = u;
}

/** A rough count of the vector ops an expression compiles to. */
export function exprCost(e: Expr, seen = new Set<Expr>()): number {
  if (seen.has(e)) return 0;
  seen.add(e);
  switch (e.kind) {
    case "input":
    case "const":
    case "index":
      return 1;
    case "unary": {
      const row = WASM_UNARY[e.op];
      if (row === DECOMPOSE) return exprCost(expandNode(e), seen);
      // clz: five shifts and ors, then the bit count
      return (e.op === "clz" ? 14 : e.op === "population_count" ? 4 : (row?.cost ?? 2)) + exprCost(e.arg, seen);
    }
    case "cast":
      return 1 + exprCost(e.arg, seen);
    case "ipow":
      return 12 + exprCost(e.arg, seen);
    case "binary": {
      // an integer power loops over the exponent's bits; 32-bit division goes through two float64 halves
      const int = laneKind(e.lhs.dtype) === "int";
      const own = int && e.op === "pow" ? 40 : int && (e.op === "div" || e.op === "rem") && !isSmallInt(e.lhs.dtype) ? 12 : 1;
      return own + exprCost(e.lhs, seen) + exprCost(e.rhs, seen);
    }
    case "select":
      return 3 + exprCost(e.which, seen) + e.cases.reduce((a, c) => a + exprCost(c, seen), 0);
    case "fma":
      return 14 + e.args.reduce((a, c) => a + exprCost(c, seen), 0);
  }
}

function unrollFor(es: Expr[]): number {
  if (unrollSetting > 0) return unrollSetting;
  const seen = new Set<Expr>();
  return es.reduce((c, e) => c + exprCost(e, seen), 0) <= 50 ? 4 : 3;
}

/** Input j's lanes: float32 (a small integer converted), or with `raw` a small integer's int32 lanes. */
type LoadInput = (j: number, raw?: boolean) => Local;

/** What varies between kernels that share one module, and the module's identity. */
export interface WasmPlan {
  /** Identity of the module: kernels with equal keys share it. */
  key: string;
  /** Outer loop rank (axes other than the innermost). */
  outerRank: number;
  /** Per input: the innermost stride, 0 (broadcast) or 1 (contiguous). */
  innerStride: (0 | 1)[];
  /**
   * Per input: its dtype (`laneKind`). A bool or 8- or 16-bit integer input
   * is read with narrow loads (one or two bytes per element, sign- or
   * zero-extended into i32 lanes; under a cast to float32, converted as it is
   * loaded: `isNarrowLoad`).
   */
  inputDtypes: DType[];
  /**
   * Per output: its dtype (`laneKind`). A bool or 8- or 16-bit integer
   * output is stored one or two bytes each: the lanes' low bytes or halves,
   * or for `cast(float32 value, dtype)` (`isNarrowStore`) the saturating
   * narrows (truncation, NaN to 0, saturating at the dtype's ends as XLA
   * converts: scalar-math's toInt8 …).
   */
  outDtypes: DType[];
  expr: Expr;
  /** Every output's expression (`expr` first): a kernel with siblings (`Kernel.more`) stores each, sharing their common subexpressions. */
  exprs: Expr[];
  reduce?: ReduceOp;
  /** i32 parameters: [inner length, outer dims…, then per input: offset, outer strides…] (in elements). */
  params: number[];
  /** Number of outer iterations (rows). */
  rows: number;
  /**
   * The kernel's long innermost axis (no reduction) was cut into rows of
   * `ROW_CHUNK` elements, the last one of each original row shorter: a last
   * outer axis of ceil(L / ROW_CHUNK) chunks, so that the work can be split
   * even when there is one original row. `params` then ends with the last
   * chunk's length and the original L.
   */
  ragged: boolean;
  /**
   * A reduction over a strided axis (`planColumns`): `innerStride` and the
   * vector lanes are along the last kept axis; `params` ends with the reduced
   * length and each input's stride along it.
   */
  columns?: boolean;
}

/** Elements per row when a long reduction-free innermost axis is cut into rows (a multiple of 4). */
export const ROW_CHUNK = 4096;

/** A vector form: its operand and result types (float32 lanes or bool masks), its rough cost in vector ops, its code. */
interface VecUnary {
  arg: "float32" | "bool";
  out: "float32" | "bool";
  cost: number;
  emit: (v: V, x: Local, k: KernelEmitter) => Local;
}
const f32op = (emit: (v: V, x: Local) => Local, cost = 2): VecUnary => ({ arg: "float32", out: "float32", cost, emit });

/**
 * The WebAssembly renderer's unary ops over float32 lanes: SIMD instructions,
 * vmath.ts's vector functions (exp, log, expm1, log1p, sin, cos), the shared
 * decompositions (composites.ts) for logistic, tanh, erf and the trivial
 * composites. `null`: no vector form, the kernel stays on the JavaScript path
 * (whose float64 `Math` functions are more accurate than the float32
 * decompositions: tan, the inverse trigonometric and hyperbolic functions,
 * cbrt, erf_inv).
 */
export const WASM_UNARY: UnaryTable<VecUnary | null> = {
  neg: f32op((v, x) => v.un(S.f32x4_neg, x)),
  abs: f32op((v, x) => v.abs(x)),
  sqrt: f32op((v, x) => v.un(S.f32x4_sqrt, x)),
  floor: f32op((v, x) => v.un(S.f32x4_floor, x)),
  ceil: f32op((v, x) => v.un(S.f32x4_ceil, x)),
  round: f32op((v, x) => {
    // half away from zero: trunc, then one more step away when the dropped part is ≥ ½ (exact)
    const t = v.un(S.f32x4_trunc, x);
    const away = v.bin(S.f32x4_ge, v.abs(v.sub(x, t)), v.f(0.5));
    return v.select(away, v.add(t, v.or(v.f(1), v.signOf(x))), t);
  }, 6),
  sign: f32op((v, x) => {
    const nonzero = v.and(v.ne(x, v.f(0)), v.eq(x, x));
    return v.select(nonzero, v.or(v.f(1), v.signOf(x)), x);
  }, 5),
  exp: f32op(vexp, 30),
  exp2: f32op(vexp2, 30),
  expm1: f32op(vexpm1, 40),
  log: f32op(vlog, 40),
  log1p: f32op(vlog1p, 50),
  sin: { arg: "float32", out: "float32", cost: 70, emit: (v, x, k) => k.trig(x, "sin") },
  cos: { arg: "float32", out: "float32", cost: 70, emit: (v, x, k) => k.trig(x, "cos") },
  tan: null,
  asin: null,
  acos: null,
  atan: null,
  sinh: null,
  cosh: null,
  tanh: DECOMPOSE,
  asinh: null,
  acosh: null,
  atanh: null,
  logistic: DECOMPOSE,
  rsqrt: DECOMPOSE,
  cbrt: null,
  erf: DECOMPOSE,
  erf_inv: null,
  is_finite: { arg: "float32", out: "bool", cost: 2, emit: (v, x) => v.lt(v.abs(x), v.f(Infinity)) },
  not: { arg: "bool", out: "bool", cost: 1, emit: (v, x) => v.un(S.v128_not, x) },
  reciprocal: DECOMPOSE,
  square: DECOMPOSE,
  // no float32 form: integer operands (KernelEmitter.intUnary, bitcastLanes)
  population_count: null,
  clz: null,
  bitcast: null,
};

const simd = (op: S, out: "float32" | "bool") => ({ out, emit: (v: V, a: Local, b: Local) => v.bin(op, a, b) });

/** Float32 binary ops: the result type and the code. */
export const WASM_BINARY: Record<BinaryOp, { out: "float32" | "bool"; emit: (v: V, a: Local, b: Local) => Local } | null> = {
  add: simd(S.f32x4_add, "float32"),
  sub: simd(S.f32x4_sub, "float32"),
  mul: simd(S.f32x4_mul, "float32"),
  div: simd(S.f32x4_div, "float32"),
  // NaN-propagating, +0 above −0: Math.max/Math.min exactly
  max: simd(S.f32x4_max, "float32"),
  min: simd(S.f32x4_min, "float32"),
  eq: simd(S.f32x4_eq, "bool"),
  ne: simd(S.f32x4_ne, "bool"),
  lt: simd(S.f32x4_lt, "bool"),
  le: simd(S.f32x4_le, "bool"),
  gt: simd(S.f32x4_gt, "bool"),
  ge: simd(S.f32x4_ge, "bool"),
  rem: null,
  pow: null,
  atan2: null,
  nextafter: null,
  // a's magnitude, b's sign bit
  copysign: { out: "float32", emit: (v, a, b) => v.or(v.abs(a), v.signOf(b)) },
  and: null,
  or: null,
  xor: null,
  shl: null,
  shr: null,
};

/** Binary ops on bool masks (all-ones / all-zeros lanes). */
export const WASM_BOOL_BINARY: Record<BinaryOp, ((v: V, a: Local, b: Local) => Local) | null> = {
  and: (v, a, b) => v.and(a, b),
  or: (v, a, b) => v.or(a, b),
  xor: (v, a, b) => v.xor(a, b),
  ne: (v, a, b) => v.xor(a, b),
  eq: (v, a, b) => v.un(S.v128_not, v.xor(a, b)),
  add: null,
  sub: null,
  mul: null,
  div: null,
  rem: null,
  pow: null,
  max: null,
  min: null,
  atan2: null,
  nextafter: null,
  copysign: null,
  lt: null,
  le: null,
  gt: null,
  ge: null,
  shl: null,
  shr: null,
};

/** An 8- or 16-bit integer read from memory straight into float32 lanes: `cast(input, float32)`. */
export const isNarrowLoad = (e: Expr): boolean => e.kind === "cast" && e.dtype === "float32" && e.arg.kind === "input" && isSmallInt(e.arg.dtype);

/**
 * A float32 value converted to an 8- or 16-bit integer as the kernel's output:
 * `i32x4.trunc_sat_f32x4_s` (truncation, NaN to 0, saturating at the int32
 * ends) and then the saturating narrows, which clamp to exactly the dtype's
 * range, so that the lanes equal the JavaScript path's toInt8/toUint8/…
 * (which saturate, as XLA's float → integer conversion does).
 */
export const isNarrowStore = (e: Expr): boolean => e.kind === "cast" && isSmallInt(e.dtype) && e.arg.dtype === "float32";

/** The ring ops in int32 lanes: for an 8- or 16-bit result they commute with wrapping mod 2^n (wrapped once, at the store or by `norm`). */
const INT_RING_BINARY = { add: S.i32x4_add, sub: S.i32x4_sub, mul: S.i32x4_mul, and: S.v128_and, or: S.v128_or, xor: S.v128_xor } as const;

/** Whether every node of `e` has a vector form (float32 lanes, bool masks, integer lanes: `laneKind`). */
export function exprSupported(e: Expr): boolean {
  // memoized per node: an expression is a DAG (shared steps), and a tree walk of it is exponential
  let known = supportedMemo.get(e);
  if (known === undefined) supportedMemo.set(e, (known = nodeSupported(e)));
  return known;
}
const supportedMemo = new WeakMap<Expr, boolean>();

/**
 * Whether an fma multiplies by a power of two (log1p's x²·(−½) + c), so that a·b has at most
 * 24 significant bits wherever it is computed. With a product that short (this, or one found
 * so at run time: `fma32`), like c, a float64 sum s of the two that is not exact has operands
 * at least 30 binades apart, so that s's bits just below the larger one's float32 last place
 * are all zeros (or, borrowing, all ones) down to the smaller one: never a float32 midpoint.
 * A midpoint s is then exact, and rounding it once more is the single rounding; only the
 * subnormal test remains. (Such sums are midpoints often: ~7% of a normal sampler's elements
 * at log1p's x²·(−½) + c, ~1% at its monic Horner step 1·x + c, each of which would
 * otherwise send its row to the careful pass.)
 */
function byPowerOfTwo(e: Extract<Expr, { kind: "fma" }>): boolean {
  return e.args.slice(0, 2).some((x) => {
    if (x.kind !== "const" || !Number.isFinite(x.value) || x.value === 0) return false;
    const m = Math.abs(Math.fround(x.value));
    return 2 ** Math.round(Math.log2(m)) === m;
  });
}

/** The lanes a dtype lives in here: float32 lanes, bool masks, or int32 lanes for every integer dtype; null: none. */
export function laneKind(d: DType): "f32" | "bool" | "int" | null {
  return d === "float32" ? "f32" : d === "bool" ? "bool" : intInfo(d) ? "int" : null;
}

/**
 * Integer binary ops in int32 lanes, with the JavaScript path's results: the
 * ring ops on any lanes (wrapped at the end), comparisons and min/max on
 * the values (sign- or zero-extended, unsigned for uint32), shifts by the
 * count's low five bits as JavaScript's `<<`/`>>`/`>>>`, division and
 * remainder (scalar-math's idiv/irem: truncation, x/0 = −1, x%0 = x) through
 * float32 for the 8- and 16-bit integers and float64 for the 32-bit ones
 * (exact for such operands: `div32`), and pow (scalar-math's ipowInt: `powLanes`).
 */
const INT_BINARY: Record<BinaryOp, "int" | "bool" | null> = {
  add: "int",
  sub: "int",
  mul: "int",
  and: "int",
  or: "int",
  xor: "int",
  max: "int",
  min: "int",
  shl: "int",
  shr: "int",
  div: "int",
  rem: "int",
  eq: "bool",
  ne: "bool",
  lt: "bool",
  le: "bool",
  gt: "bool",
  ge: "bool",
  pow: "int",
  atan2: null,
  nextafter: null,
  copysign: null,
};

/** Integer unary ops with an int32-lane form (`intUnary`), the result of the operand's dtype. */
const INT_UNARY = ["neg", "not", "abs", "sign", "population_count", "clz"];

/**
 * A bitcast whose lanes are the operand's lanes: between integers of one
 * width (an 8- or 16-bit pattern is the lanes' low bits either way), and
 * between float32 and int32/uint32 (a float32 lane is its bits).
 */
function bitcastLanes(from: DType, to: DType): boolean {
  const a = laneKind(from);
  const b = laneKind(to);
  const width = (d: DType) => (d === "float32" ? 32 : intInfo(d)?.bits);
  return (a === "int" || a === "f32") && (b === "int" || b === "f32") && width(from) === width(to);
}

function nodeSupported(e: Expr): boolean {
  switch (e.kind) {
    case "input":
    case "const":
      return laneKind(e.dtype) !== null;
    case "index":
      return false;
    case "unary": {
      if (e.op === "bitcast") return bitcastLanes(e.arg.dtype, e.dtype) && exprSupported(e.arg);
      if (laneKind(e.dtype) === "int") return INT_UNARY.includes(e.op) && e.arg.dtype === e.dtype && exprSupported(e.arg);
      // composites are lowered (lowerComposites) before this is asked
      const row = WASM_UNARY[e.op];
      if (row === null || row === DECOMPOSE) return false;
      return e.dtype === row.out && e.arg.dtype === row.arg && exprSupported(e.arg);
    }
    case "binary": {
      const ok = exprSupported(e.lhs) && exprSupported(e.rhs) && e.lhs.dtype === e.rhs.dtype;
      if (!ok) return false;
      if (e.lhs.dtype === "float32") return WASM_BINARY[e.op]?.out === e.dtype;
      if (laneKind(e.lhs.dtype) === "int") {
        const out = INT_BINARY[e.op];
        return out === "bool" ? e.dtype === "bool" : out === "int" && e.dtype === e.lhs.dtype;
      }
      return e.lhs.dtype === "bool" && e.dtype === "bool" && WASM_BOOL_BINARY[e.op] !== null;
    }
    case "select":
      return (
        e.which.dtype === "bool" &&
        e.cases.length === 2 &&
        laneKind(e.dtype) !== null &&
        e.cases.every((c) => c.dtype === e.dtype && exprSupported(c)) &&
        exprSupported(e.which)
      );
    case "cast":
      return isNarrowLoad(e) || (laneKind(e.dtype) !== null && laneKind(e.arg.dtype) !== null && exprSupported(e.arg));
    case "ipow":
      if (laneKind(e.dtype) === "int") return e.arg.dtype === e.dtype && Number.isSafeInteger(e.exponent) && exprSupported(e.arg);
      return e.dtype === "float32" && e.arg.dtype === "float32" && Math.abs(e.exponent) <= 1 << 16 && exprSupported(e.arg);
    case "fma":
      // float32 only (float16 has no lanes here): float64 pairs, rounded once (`fma32` below)
      return e.dtype === "float32" && e.args.every((a) => a.dtype === "float32" && exprSupported(a));
  }
}

/** log2 of a dtype's element size in bytes here: 0 for bool and the 8-bit integers, 1 for the 16-bit ones, 2 for the rest. */
export function byteShift(d: DType): number {
  if (d === "bool") return 0;
  const bits = intInfo(d)?.bits;
  return bits === 8 ? 0 : bits === 16 ? 1 : 2;
}

/**
 * Whether a small-integer node's lanes already hold its value sign- or
 * zero-extended (else only their low 8 or 16 bits are meaningful, the ring
 * ops' lanes, and an op that reads the value wraps them first).
 */
function extended(e: Expr): boolean {
  if (!isSmallInt(e.dtype)) return true;
  switch (e.kind) {
    case "input":
    case "const":
      return true;
    case "binary":
      // min/max/shr/rem of extended values stay in the dtype's range
      return e.op === "max" || e.op === "min" || e.op === "shr" || e.op === "rem";
    case "unary":
      // sign of an extended value is −1…1; a bit count is 0…width
      return e.op === "sign" || e.op === "population_count" || e.op === "clz";
    case "cast":
      // float32 → integer saturates to the range; bool is 0 or 1
      return e.arg.dtype === "float32" || e.arg.dtype === "bool";
    default:
      return false;
  }
}

/** The plan for a kernel, or null when it stays on the JavaScript path. */
export function planKernel(kernel: Kernel): WasmPlan | null {
  const outs = [{ expr: kernel.expr, dtype: kernel.dtype }, ...(kernel.more ?? [])];
  if (outs.some((o) => o.dtype !== o.expr.dtype || laneKind(o.dtype) === null)) return null;
  const outDtypes = outs.map((o) => o.dtype);
  // a reduction accumulates float32 lanes (in float64 pairs) or integer lanes (wrapping as the JavaScript path's wrap per step)
  if (kernel.reduce && laneKind(kernel.dtype) === "bool") return null;
  if (kernel.inputs.some((i) => laneKind(i.dtype) === null)) return null;
  const inputDtypes = kernel.inputs.map((i) => i.dtype);
  const narrow = inputDtypes.some((d) => d !== "float32");
  const narrowStores = outDtypes.some((d) => d !== "float32");
  if (kernel.more?.length && kernel.reduce) return null;
  // the composite ops this renderer decomposes, replaced by their expressions over the ops it has
  // (the emitter computes a subexpression the outputs share once: its values are memoized by key)
  const exprs = outs.map((o) => lowerComposites(o.expr, WASM_UNARY));
  if (!exprs.every((e) => exprSupported(e))) return null;
  const expr = exprs[0];
  const k = { ...collapse(kernel), expr };
  let shape = [...k.loopShape];
  let strides = k.inputs.map((i) => [...i.view.strides]);
  // a reduction whose axes all had length 1: a row of one element, so that init ⊕ value is as on the JavaScript path
  if (shape.length === 0 || k.reduce?.axes === 0) {
    shape.push(1);
    strides = strides.map((s) => [...s, 0]);
  }
  if (k.reduce && k.reduce.axes > 1) return null;
  let n = shape.length;
  const innerStride: (0 | 1)[] = [];
  for (const s of strides) {
    const st = s[n - 1];
    if (st !== 0 && st !== 1) return k.reduce ? planColumns(k.reduce.op, exprs, shape, strides, k.inputs, kernel.dtype) : null;
    innerStride.push(st);
  }
  const L = shape[n - 1];
  const ragged = !k.reduce && L >= 2 * ROW_CHUNK;
  const extra: number[] = [];
  if (ragged) {
    const chunks = Math.ceil(L / ROW_CHUNK);
    shape = [...shape.slice(0, n - 1), chunks, ROW_CHUNK];
    strides = strides.map((s) => [...s.slice(0, n - 1), s[n - 1] * ROW_CHUNK, s[n - 1]]);
    extra.push(L - (chunks - 1) * ROW_CHUNK, L);
    n++;
  }
  const outerDims = shape.slice(0, n - 1);
  const params = [shape[n - 1], ...outerDims];
  k.inputs.forEach((inp, j) => params.push(inp.view.offset, ...strides[j].slice(0, n - 1)));
  params.push(...extra);
  if (params.some((p) => !Number.isSafeInteger(p) || Math.abs(p) >= 2 ** 29)) return null;
  const rows = outerDims.reduce((a, b) => a * b, 1);
  const reduce = k.reduce?.op;
  const key = `${n - 1}${ragged ? "r" : ""}|${innerStride.join("")}|${inputDtypes.join(",")}|${outDtypes.join(",")}|${reduce ?? ""}|${exprKey(...exprs)}`;
  return { key, outerRank: n - 1, innerStride, inputDtypes, outDtypes, expr, exprs, reduce, params, rows, ragged };
}

/**
 * A reduction over a strided innermost axis (a column sum: the gradient of a
 * bias, a mean over a batch) whose last kept axis every input walks
 * contiguously or not at all: the lanes run along that kept axis, four
 * outputs at a time, each accumulating its reduced axis in order (so a sum's
 * float64 accumulation is the JavaScript path's, bit for bit on the same
 * values). A row is one stretch of the last kept axis; the outer kept axes
 * count rows.
 */
function planColumns(op: ReduceOp, exprs: Expr[], shape: number[], strides: number[][], inputs: Kernel["inputs"], outDtype: DType): WasmPlan | null {
  const n = shape.length;
  if (n < 2 || exprs.length !== 1) return null;
  const innerStride: (0 | 1)[] = [];
  for (const s of strides) {
    const st = s[n - 2];
    if (st !== 0 && st !== 1) return null;
    innerStride.push(st);
  }
  const outerDims = shape.slice(0, n - 2);
  const params = [shape[n - 2], ...outerDims];
  inputs.forEach((inp, j) => params.push(inp.view.offset, ...strides[j].slice(0, n - 2)));
  params.push(shape[n - 1], ...strides.map((s) => s[n - 1]));
  if (params.some((p) => !Number.isSafeInteger(p) || Math.abs(p) >= 2 ** 29)) return null;
  const rows = outerDims.reduce((a, b) => a * b, 1);
  const inputDtypes = inputs.map((i) => i.dtype);
  const key = `${n - 2}c|${innerStride.join("")}|${inputDtypes.join(",")}|${outDtype}|${op}|${exprKey(exprs[0])}`;
  return { key, outerRank: n - 2, innerStride, inputDtypes, outDtypes: [outDtype], expr: exprs[0], exprs, reduce: op, params, rows, ragged: false, columns: true };
}

/** Module bytes for a plan; its imports are `env.memory` and, for sin/cos, `math.sin`/`math.cos`. */
export function buildModule(plan: WasmPlan, memory: { maxPages: number; shared: boolean }): Uint8Array<ArrayBuffer> {
  const mb = new ModuleBuilder({ minPages: 0, maxPages: memory.maxPages, shared: memory.shared });
  // sin/cos lanes beyond the fast reduction's range are recomputed by the host's float64 functions
  const trig: Partial<Record<"sin" | "cos", number>> = {};
  for (const op of ["sin", "cos"] as const) {
    if (plan.exprs.some((x) => someNode(x, (e) => e.kind === "unary" && e.op === op))) trig[op] = mb.importFunc("math", op, [T.f64], [T.f64]);
  }
  const fixups: Partial<Record<"sin" | "cos", number>> = {};
  for (const op of ["sin", "cos"] as const) {
    if (trig[op] === undefined) continue;
    const fb = new FunctionBuilder([T.v128, T.v128], [T.v128]);
    const [x, y] = fb.params;
    for (let lane = 0; lane < 4; lane++) {
      fb.get(x).simd(S.f32x4_extract_lane, lane).op(Op.f32_abs).f32(TRIG_FAST_LIMIT).op(Op.f32_gt).op(Op.if, 0x40);
      fb.get(y).get(x).simd(S.f32x4_extract_lane, lane).op(Op.f64_promote_f32).call(trig[op]!).op(Op.f32_demote_f64);
      fb.simd(S.f32x4_replace_lane, lane).set(y).op(Op.end);
    }
    fb.get(y);
    fixups[op] = mb.addFunc(fb);
  }
  const nPtr = 1 + plan.exprs.length + plan.innerStride.length;
  const fb = new FunctionBuilder([...Array.from({ length: nPtr }, () => T.i32), T.i32, T.i32], []);
  new KernelEmitter(fb, plan, fixups).emit();
  const run = mb.addFunc(fb);
  mb.exportFunc("run", run);
  // claim(params, outs…, ins…, counter, itemRows, begin, end): rows [begin, end) in items of itemRows,
  // taken from the shared counter until none is left, so that a thread slowed down by other work
  // does less of it (each row is computed as `run` computes it, whichever thread takes it)
  const cb = new FunctionBuilder([...Array.from({ length: nPtr }, () => T.i32), T.i32, T.i32, T.i32, T.i32], []);
  const ptrs = cb.params.slice(0, nPtr);
  const [counter, itemRows, begin, end] = cb.params.slice(nPtr);
  const r0 = cb.local(T.i32);
  const r1 = cb.local(T.i32);
  const claim = () => {
    if (memory.shared) cb.get(counter).i32(1).op(0xfe, 0x1e, 2, 0); // i32.atomic.rmw.add: the old value
    else {
      cb.get(counter).mem(Op.i32_load, 2);
      cb.get(counter).get(counter).mem(Op.i32_load, 2).i32(1).op(Op.i32_add).mem(Op.i32_store, 2);
    }
    cb.get(itemRows).op(Op.i32_mul).get(begin).op(Op.i32_add).set(r0);
  };
  claim();
  cb.op(Op.block, 0x40, Op.loop, 0x40);
  cb.get(r0).get(end).op(Op.i32_ge_u).br(Op.br_if, 1);
  // r1 = min(r0 + itemRows, end)
  cb.get(r0).get(itemRows).op(Op.i32_add).set(r1);
  cb.get(r1).get(end).get(r1).get(end).op(Op.i32_lt_u).op(Op.select).set(r1);
  for (const p of ptrs) cb.get(p);
  cb.get(r0).get(r1).call(run);
  claim();
  cb.br(Op.br, 0).op(Op.end, Op.end);
  mb.exportFunc("claim", mb.addFunc(cb));
  return mb.encode();
}

class KernelEmitter {
  private readonly v: V;
  private readonly variant = new Map<Expr, boolean>();
  /** Structural numbers of nodes: equal formulas (one object or copies) are computed once. */
  private readonly numbering = new ExprNumbering();
  /** Set when a lane needs the slow sin/cos path; `careful` rows take it. */
  private trigFlag: Local | null = null;
  /**
   * The fma tests of an elementwise kernel's step (`fma32`), accumulated as unsigned minima:
   * a 0 in the first, or a value at most 2^-126's bits in the second, is a suspect lane, and
   * the step's vectors are then computed again, carefully, right after it (a row would be too
   * coarse: in a normal sampler one element in a few thousand has one).
   */
  private fmaFlags: [Local, Local] | null = null;
  private careful = false;
  private readonly unroll: number;

  constructor(
    private readonly fb: FunctionBuilder,
    private readonly plan: WasmPlan,
    private readonly fixups: Partial<Record<"sin" | "cos", number>>,
  ) {
    this.v = new V(fb);
    this.unroll = unrollFor(plan.exprs);
  }

  private key(e: Expr): string {
    return String(this.numbering.id(e));
  }

  /** Whether e changes along the innermost axis. */
  private isVariant(e: Expr): boolean {
    let r = this.variant.get(e);
    if (r !== undefined) return r;
    switch (e.kind) {
      case "input":
        r = this.plan.innerStride[e.input] === 1;
        break;
      case "const":
      case "index":
        r = false;
        break;
      case "unary":
      case "cast":
      case "ipow":
        r = this.isVariant(e.arg);
        break;
      case "binary":
        r = this.isVariant(e.lhs) || this.isVariant(e.rhs);
        break;
      case "select":
        r = this.isVariant(e.which) || e.cases.some((c) => this.isVariant(c));
        break;
      case "fma":
        r = e.args.some((c) => this.isVariant(c));
        break;
    }
    this.variant.set(e, r);
    return r;
  }

  emit() {
    const { fb, plan } = this;
    const m = plan.outerRank;
    const nIn = plan.innerStride.length;
    const nOut = plan.exprs.length;
    const [pParams, ...params] = fb.params;
    const pOuts = params.slice(0, nOut);
    const rest = params.slice(nOut);
    const pIn = rest.slice(0, nIn);
    const pBegin = rest[nIn];
    const pEnd = rest[nIn + 1];
    const i32 = () => fb.local(T.i32);

    // parameters from memory
    const L = i32();
    fb.get(pParams).mem(Op.i32_load, 2, 0).set(L);
    const D = Array.from({ length: m }, (_, k) => {
      const d = i32();
      fb.get(pParams).mem(Op.i32_load, 2, 4 * (1 + k)).set(d);
      return d;
    });
    // per input: byte address of the row start, byte strides and wrap-arounds per outer axis
    const addr: Local[] = [];
    const stride: Local[][] = [];
    const wrap: Local[][] = [];
    for (let j = 0; j < nIn; j++) {
      const base = 4 * (1 + m + j * (1 + m));
      const a = i32();
      const shift = this.elementShift(j);
      fb.get(pIn[j]).get(pParams).mem(Op.i32_load, 2, base).i32(shift).op(Op.i32_shl).op(Op.i32_add).set(a);
      addr.push(a);
      stride.push([]);
      wrap.push([]);
      for (let k = 0; k < m; k++) {
        const s = i32();
        fb.get(pParams).mem(Op.i32_load, 2, base + 4 * (1 + k)).i32(shift).op(Op.i32_shl).set(s);
        const w = i32();
        fb.get(s).get(D[k]).op(Op.i32_mul).set(w);
        stride[j].push(s);
        wrap[j].push(w);
      }
    }
    // the counters at `begin`, and the row addresses there
    const c = D.map(() => i32());
    const remaining = i32();
    fb.get(pBegin).set(remaining);
    for (let k = m - 1; k >= 0; k--) {
      fb.get(remaining).get(D[k]).op(Op.i32_rem_u).set(c[k]);
      fb.get(remaining).get(D[k]).op(Op.i32_div_u).set(remaining);
    }
    for (let j = 0; j < nIn; j++) {
      for (let k = 0; k < m; k++) fb.get(addr[j]).get(c[k]).get(stride[j][k]).op(Op.i32_mul).op(Op.i32_add).set(addr[j]);
    }
    const Lb = i32();
    const vecEnd = i32();
    // the row's length in elements: L, or for the last chunk of a ragged row, its own length
    const setLength = (len: Local) => {
      fb.get(len).i32(2).op(Op.i32_shl).set(Lb);
      fb.get(len).i32(-4).op(Op.i32_and).i32(2).op(Op.i32_shl).set(vecEnd);
    };
    const rowStep = plan.reduce && !plan.columns ? null : Lb;
    const outPtrs = pOuts.map(() => i32());
    let lastLen: Local | null = null;
    let curLen: Local | null = null;
    if (plan.ragged) {
      lastLen = i32();
      curLen = i32();
      const origL = i32();
      const base = 4 * (1 + m + nIn * (1 + m));
      fb.get(pParams).mem(Op.i32_load, 2, base).set(lastLen);
      fb.get(pParams).mem(Op.i32_load, 2, base + 4).set(origL);
      // output element of row `begin`: (begin / chunks) · original L + (its chunk) · L
      pOuts.forEach((pOut, w) => {
        fb.get(pOut);
        fb.get(pBegin).get(D[m - 1]).op(Op.i32_div_u).get(origL).op(Op.i32_mul);
        fb.get(c[m - 1]).get(L).op(Op.i32_mul).op(Op.i32_add);
        fb.i32(this.outShift(w)).op(Op.i32_shl).op(Op.i32_add).set(outPtrs[w]);
      });
    } else {
      setLength(L);
      pOuts.forEach((pOut, w) => {
        fb.get(pOut).get(pBegin);
        if (rowStep) fb.get(rowStep).op(Op.i32_mul);
        else fb.i32(2).op(Op.i32_shl);
        // Lb counts four bytes an element: a narrow output's rows are 1/4 or 1/2 of that
        if (this.outShift(w) < 2) fb.i32(2 - this.outShift(w)).op(Op.i32_shr_u);
        fb.op(Op.i32_add).set(outPtrs[w]);
      });
    }
    const row = i32();
    fb.get(pBegin).set(row);
    const ib = i32();
    if (plan.columns) {
      // the reduced length and each input's byte stride along it
      const base = 4 * (1 + m + nIn * (1 + m));
      const R = i32();
      fb.get(pParams).mem(Op.i32_load, 2, base).set(R);
      const rStride = pIn.map((_, j) => {
        const st = i32();
        fb.get(pParams).mem(Op.i32_load, 2, base + 4 * (1 + j)).i32(this.elementShift(j)).op(Op.i32_shl).set(st);
        return st;
      });
      this.columns = { R, rStride, p: pIn.map(() => i32()), r: i32() };
    }

    // block $done { if row >= end: break; loop $rows { … } }
    fb.op(Op.block, 0x40);
    fb.get(row).get(pEnd).op(Op.i32_ge_u).br(Op.br_if, 0);
    fb.op(Op.loop, 0x40);
    if (lastLen && curLen) {
      // select(lastLen, L, chunk counter = chunks − 1)
      fb.get(lastLen).get(L).get(c[m - 1]).get(D[m - 1]).i32(1).op(Op.i32_sub).op(Op.i32_eq).op(Op.select).set(curLen);
      setLength(curLen);
    }

    // the row: a fast pass, and where some sin/cos argument was beyond the fast
    // reduction's range, the row again with those lanes patched (outputs are fresh
    // buffers, never operands, so recomputing a row is harmless)
    const trig = plan.exprs.some((x) => someNode(x, (e) => e.kind === "unary" && (e.op === "sin" || e.op === "cos")));
    this.trigFlag = trig ? fb.local(T.v128) : null;
    const fmas = !plan.reduce && !plan.columns && plan.exprs.some((x) => someNode(x, (e) => e.kind === "fma"));
    this.fmaFlags = fmas ? [fb.local(T.v128), fb.local(T.v128)] : null;
    for (const acc of this.fmaFlags ?? []) fb.get(this.v.i(-1)).set(acc);
    this.emitRow(false, addr, ib, vecEnd, Lb, outPtrs);
    if (this.trigFlag) {
      fb.get(this.trigFlag).simd(S.v128_any_true).op(Op.if, 0x40);
      this.emitRow(true, addr, ib, vecEnd, Lb, outPtrs);
      fb.op(Op.end);
    }

    // next row: outputs, counters with carries, input addresses
    outPtrs.forEach((outPtr, w) => {
      fb.get(outPtr);
      if (rowStep) {
        fb.get(rowStep);
        if (this.outShift(w) < 2) fb.i32(2 - this.outShift(w)).op(Op.i32_shr_u);
      } else fb.i32(1 << this.outShift(w));
      fb.op(Op.i32_add).set(outPtr);
    });
    fb.get(row).i32(1).op(Op.i32_add).set(row);
    if (m > 0) {
      fb.op(Op.block, 0x40);
      for (let k = m - 1; k >= 0; k--) {
        for (let j = 0; j < nIn; j++) fb.get(addr[j]).get(stride[j][k]).op(Op.i32_add).set(addr[j]);
        fb.get(c[k]).i32(1).op(Op.i32_add).tee(c[k]).get(D[k]).op(Op.i32_lt_u).br(Op.br_if, 0);
        fb.i32(0).set(c[k]);
        for (let j = 0; j < nIn; j++) fb.get(addr[j]).get(wrap[j][k]).op(Op.i32_sub).set(addr[j]);
      }
      fb.op(Op.end);
    }
    fb.get(row).get(pEnd).op(Op.i32_lt_u).br(Op.br_if, 0);
    fb.op(Op.end, Op.end);
  }

  private emitRow(careful: boolean, addr: Local[], ib: Local, vecEnd: Local, Lb: Local, outPtrs: Local[]) {
    const { fb, plan } = this;
    this.careful = careful;
    if (this.trigFlag && !careful) fb.get(this.v.i(0)).set(this.trigFlag);
    if (this.columns) {
      fb.i32(0).set(ib);
      this.emitColumnRow(plan.reduce!, addr, ib, vecEnd, Lb, outPtrs[0]);
      return;
    }
    const rowMemo = new Map<string, Local>();
    const loadInvariant = (j: number, raw = false) => {
      const l = fb.local(T.v128);
      fb.get(addr[j]);
      if (this.elementShift(j) < 2) this.narrowScalar(j, raw);
      else fb.simdMem(S.v128_load32_splat, 2);
      fb.set(l);
      return l;
    };
    for (const e of plan.exprs) this.hoistInvariants(e, rowMemo, loadInvariant);
    fb.i32(0).set(ib);
    if (plan.reduce && laneKind(plan.outDtypes[0]) === "int") this.emitIntReduceRow(plan.reduce, rowMemo, addr, ib, vecEnd, Lb, outPtrs[0]);
    else if (plan.reduce) this.emitReduceRow(plan.reduce, rowMemo, addr, ib, vecEnd, Lb, outPtrs[0]);
    else this.emitMapRow(rowMemo, addr, ib, vecEnd, Lb, outPtrs);
  }

  /** Computes each maximal row-invariant subexpression once, before the row's loops. */
  private hoistInvariants(e: Expr, memo: Map<string, Local>, load: LoadInput, seen = new Set<Expr>()) {
    // a DAG: each node once, or a chain of shared steps is walked as its (exponential) tree
    if (seen.has(e)) return;
    seen.add(e);
    if (!this.isVariant(e)) {
      if (e.kind !== "const" && !memo.has(this.key(e))) memo.set(this.key(e), this.value(e, memo, load));
      return;
    }
    switch (e.kind) {
      case "unary":
      case "cast":
      case "ipow":
        this.hoistInvariants(e.arg, memo, load, seen);
        break;
      case "binary":
        this.hoistInvariants(e.lhs, memo, load, seen);
        this.hoistInvariants(e.rhs, memo, load, seen);
        break;
      case "select":
        this.hoistInvariants(e.which, memo, load, seen);
        e.cases.forEach((x) => this.hoistInvariants(x, memo, load, seen));
        break;
      case "fma":
        e.args.forEach((x) => this.hoistInvariants(x, memo, load, seen));
        break;
      default:
        break;
    }
  }

  /**
   * The loops over one row: `unroll` vectors per step (their code
   * interleaved), then single vectors, then single elements (the vector code
   * on a splatted element). `body` emits the work at byte offset ib + 16·u.
   */
  private rowLoops(ib: Local, vecEnd: Local, Lb: Local, body: (tail: boolean, u: number) => void, after?: (tail: boolean, streams: number) => void) {
    const fb = this.fb;
    const U = this.unroll;
    if (U > 1) {
      fb.op(Op.block, 0x40, Op.loop, 0x40);
      fb.get(ib).i32(16 * U).op(Op.i32_add).get(vecEnd).op(Op.i32_gt_u).br(Op.br_if, 1);
      fb.interleave(U, (u) => body(false, u));
      after?.(false, U);
      fb.get(ib).i32(16 * U).op(Op.i32_add).set(ib);
      fb.br(Op.br, 0).op(Op.end, Op.end);
    }
    for (const tail of [false, true]) {
      fb.op(Op.block, 0x40, Op.loop, 0x40);
      fb.get(ib).get(tail ? Lb : vecEnd).op(Op.i32_ge_u).br(Op.br_if, 1);
      body(tail, 0);
      after?.(tail, 1);
      fb.get(ib).i32(tail ? 4 : 16).op(Op.i32_add).set(ib);
      fb.br(Op.br, 0).op(Op.end, Op.end);
    }
  }

  /** One row of an elementwise kernel (each output's value at the same point, their common subexpressions once). */
  private emitMapRow(rowMemo: Map<string, Local>, addr: Local[], ib: Local, vecEnd: Local, Lb: Local, outPtrs: Local[]) {
    const { fb, plan } = this;
    const flags = this.fmaFlags;
    const body = (tail: boolean, u: number) => {
      const memo = new Map(rowMemo);
      // keyed by j, or −1 − j for a small-integer input's raw integer lanes
      const loaded = new Map<number, Local>();
      const load = (j: number, raw = false) => {
        let l = loaded.get(raw ? -1 - j : j);
        if (!l) loaded.set(raw ? -1 - j : j, (l = this.loadVariant(j, addr[j], ib, tail, u, raw)));
        return l;
      };
      const vals = plan.exprs.map((e, w) => {
        const d = plan.outDtypes[w];
        // float32 → a small integer at the store: the saturating narrows pack the lanes
        if (isNarrowStore(e)) return this.narrowLanes(this.value((e as { arg: Expr }).arg, memo, load), d);
        let val = this.value(e, memo, load);
        // a bool is stored as one byte, 0 or 1
        if (d === "bool") val = this.v.and(val, this.v.i(1));
        // integer lanes: their low bytes or halves, packed, are the wrapped values
        if (this.outShift(w) === 2) return val;
        return this.v.shuffle(val, val, this.outShift(w) === 0 ? [0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12] : [0, 1, 4, 5, 8, 9, 12, 13, 0, 1, 4, 5, 8, 9, 12, 13]);
      });
      vals.forEach((val, w) => {
        const shift = this.outShift(w);
        fb.get(outPtrs[w]).get(ib);
        if (shift < 2) fb.i32(2 - shift).op(Op.i32_shr_u);
        fb.op(Op.i32_add).get(val);
        if (shift === 2) {
          if (tail && plan.outDtypes[w] !== "float32") fb.simd(S.i32x4_extract_lane, 0).mem(Op.i32_store, 2);
          else if (tail) fb.simd(S.f32x4_extract_lane, 0).mem(Op.f32_store, 2);
          else fb.simdMem(S.v128_store, 0, 16 * u);
        } else if (tail) {
          // the narrowed lanes lie packed in the low bytes: lane 0 is the low byte or half of the first word
          fb.simd(S.i32x4_extract_lane, 0).mem(shift === 0 ? Op.i32_store8 : Op.i32_store16, 0);
        } else {
          // four bytes (v128.store32_lane) or four halves (v128.store64_lane), lane 0
          fb.simdMem(shift === 0 ? S.v128_store32_lane : S.v128_store64_lane, 0, (4 << shift) * u).op(0);
        }
      });
    };
    // a step whose fma flagged a lane: its vectors again with the corrections, stored over the
    // fast ones (outputs are fresh buffers, never operands)
    const recheck = (tail: boolean, streams: number) => {
      if (!flags || this.careful) return;
      const v = this.v;
      fb.get(flags[0]).get(v.i(0)).simd(S.i32x4_eq).get(flags[1]).get(v.i(0x00800000)).simd(S.i32x4_le_u).simd(S.v128_or);
      fb.simd(S.v128_any_true).op(Op.if, 0x40);
      this.careful = true;
      for (let u = 0; u < streams; u++) body(tail, u);
      this.careful = false;
      fb.op(Op.end);
      for (const acc of flags) fb.get(v.i(-1)).set(acc);
    };
    this.rowLoops(ib, vecEnd, Lb, body, recheck);
  }

  /**
   * One row of a reduction: four lanes at a time into vector accumulators
   * (float64 pairs for sum and prod, as the JavaScript path accumulates in
   * float64), one set per unrolled stream, the tail into a scalar, then all
   * combined and stored.
   */
  private emitReduceRow(op: ReduceOp, rowMemo: Map<string, Local>, addr: Local[], ib: Local, vecEnd: Local, Lb: Local, outPtr: Local) {
    const { fb, plan, v } = this;
    const wide = op === "sum" || op === "prod";
    const init = op === "sum" ? 0 : op === "prod" ? 1 : op === "max" ? -Infinity : Infinity;
    const accs = Array.from({ length: this.unroll }, () => (wide ? [0, 1] : [0]).map(() => fb.local(T.v128)));
    for (const a of accs.flat()) fb.get(wide ? v.d(init) : v.f(init)).set(a);
    const tailAcc = fb.local(T.f64);
    fb.op(Op.f64_const, ...f64Bytes(init)).set(tailAcc);
    const highHalf = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
    this.rowLoops(ib, vecEnd, Lb, (tail, u) => {
      const val = this.value(plan.expr, new Map(rowMemo), (j) => this.loadVariant(j, addr[j], ib, tail, u));
      const acc = accs[u];
      if (wide && tail) {
        fb.get(tailAcc).get(val).simd(S.f32x4_extract_lane, 0).op(Op.f64_promote_f32);
        fb.op(op === "sum" ? Op.f64_add : Op.f64_mul).set(tailAcc);
      } else if (wide) {
        const comb = op === "sum" ? S.f64x2_add : S.f64x2_mul;
        fb.get(acc[0]).get(val).simd(S.f64x2_promote_low_f32x4).simd(comb).set(acc[0]);
        fb.get(acc[1]).get(val).get(val).simd(S.i8x16_shuffle, ...highHalf).simd(S.f64x2_promote_low_f32x4).simd(comb).set(acc[1]);
      } else {
        // a splatted tail element combines into every lane: max and min are idempotent
        fb.get(acc[0]).get(val).simd(op === "max" ? S.f32x4_max : S.f32x4_min).set(acc[0]);
      }
    });
    // all accumulators into the first
    const f64op = op === "sum" ? Op.f64_add : Op.f64_mul;
    const vop = wide ? (op === "sum" ? S.f64x2_add : S.f64x2_mul) : op === "max" ? S.f32x4_max : S.f32x4_min;
    for (let u = 1; u < this.unroll; u++) {
      accs[0].forEach((a, h) => fb.get(a).get(accs[u][h]).simd(vop).set(a));
    }
    const acc = accs[0];
    fb.get(outPtr);
    if (wide) {
      fb.get(acc[0]).simd(S.f64x2_extract_lane, 0).get(acc[0]).simd(S.f64x2_extract_lane, 1).op(f64op);
      fb.get(acc[1]).simd(S.f64x2_extract_lane, 0).get(acc[1]).simd(S.f64x2_extract_lane, 1).op(f64op).op(f64op);
      fb.get(tailAcc).op(f64op).op(Op.f32_demote_f64);
    } else {
      const f32op = op === "max" ? Op.f32_max : Op.f32_min;
      fb.get(acc[0]).simd(S.f32x4_extract_lane, 0).get(acc[0]).simd(S.f32x4_extract_lane, 1).op(f32op);
      fb.get(acc[0]).simd(S.f32x4_extract_lane, 2).get(acc[0]).simd(S.f32x4_extract_lane, 3).op(f32op).op(f32op);
    }
    fb.mem(Op.f32_store, 2);
  }

  /**
   * One row of an integer reduction: int32 lanes accumulated by wrapping add
   * or multiply (associative and commutative mod 2^32, so any order gives the
   * JavaScript path's wrap after every step) or by min/max of the extended
   * values; the tail's splatted element enters lane 0 alone (the others get
   * the identity); then the lanes are combined and the result stored at the
   * output's width (its low bits: the wrap).
   */
  private emitIntReduceRow(op: ReduceOp, rowMemo: Map<string, Local>, addr: Local[], ib: Local, vecEnd: Local, Lb: Local, outPtr: Local) {
    const { fb, plan, v } = this;
    const d = plan.outDtypes[0];
    const u = !intInfo(d)!.signed;
    const identity = reduceInit(op, d);
    const comb = op === "sum" ? S.i32x4_add : op === "prod" ? S.i32x4_mul : op === "max" ? (u ? S.i32x4_max_u : S.i32x4_max_s) : u ? S.i32x4_min_u : S.i32x4_min_s;
    const accs = Array.from({ length: this.unroll }, () => fb.local(T.v128));
    for (const a of accs) fb.get(v.i(identity)).set(a);
    this.rowLoops(ib, vecEnd, Lb, (tail, s) => {
      const memo = new Map(rowMemo);
      const ld: LoadInput = (j, raw) => this.loadVariant(j, addr[j], ib, tail, s, raw);
      // max and min compare values; sum and prod need only the low bits
      const val = op === "max" || op === "min" ? this.norm(plan.expr, memo, ld) : this.value(plan.expr, memo, ld);
      fb.get(accs[s]);
      if (tail && (op === "sum" || op === "prod")) fb.get(v.i(identity)).get(val).simd(S.i32x4_extract_lane, 0).simd(S.i32x4_replace_lane, 0);
      else fb.get(val);
      fb.simd(comb).set(accs[s]);
      fb.mark();
    });
    for (let s = 1; s < this.unroll; s++) fb.get(accs[0]).get(accs[s]).simd(comb).set(accs[0]);
    const half = v.bin(comb, accs[0], v.shuffle(accs[0], accs[0], [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]));
    const one = v.bin(comb, half, v.shuffle(half, half, [4, 5, 6, 7, 0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15]));
    const shift = this.outShift(0);
    fb.get(outPtr).get(one).simd(S.i32x4_extract_lane, 0);
    fb.mem(shift === 0 ? Op.i32_store8 : shift === 1 ? Op.i32_store16 : Op.i32_store, shift);
  }

  /** The column plan's locals: reduced length, byte strides along it, running input addresses, the counter. */
  private columns: { R: Local; rStride: Local[]; p: Local[]; r: Local } | null = null;

  /**
   * One row of a column reduction: per four outputs (then per single one,
   * splatted), accumulators set to the reduction's identity, then the whole
   * reduced axis read in order at each input's stride, then the results
   * stored. Nothing is hoisted: every input may vary along the reduced axis.
   */
  private emitColumnRow(op: ReduceOp, addr: Local[], ib: Local, vecEnd: Local, Lb: Local, outPtr: Local) {
    const { fb, plan, v } = this;
    const { R, rStride, p, r } = this.columns!;
    const d = plan.outDtypes[0];
    // integers accumulate in int32 lanes (emitIntReduceRow says why any order is the JavaScript path's)
    const intAcc = laneKind(d) === "int";
    const wide = !intAcc && (op === "sum" || op === "prod");
    const init = intAcc ? reduceInit(op, d) : op === "sum" ? 0 : op === "prod" ? 1 : op === "max" ? -Infinity : Infinity;
    const u = intAcc && !intInfo(d)!.signed;
    const intComb = op === "sum" ? S.i32x4_add : op === "prod" ? S.i32x4_mul : op === "max" ? (u ? S.i32x4_max_u : S.i32x4_max_s) : u ? S.i32x4_min_u : S.i32x4_min_s;
    const highHalf = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
    const os = this.outShift(0);
    for (const tail of [false, true]) {
      fb.op(Op.block, 0x40, Op.loop, 0x40);
      fb.get(ib).get(tail ? Lb : vecEnd).op(Op.i32_ge_u).br(Op.br_if, 1);
      plan.innerStride.forEach((st, j) => {
        fb.get(addr[j]);
        if (st === 1) {
          // ib counts four bytes an element: a narrow input's offset is 1/4 or 1/2 of it
          fb.get(ib);
          if (this.elementShift(j) < 2) fb.i32(2 - this.elementShift(j)).op(Op.i32_shr_u);
          fb.op(Op.i32_add);
        }
        fb.set(p[j]);
      });
      const accs = (wide ? [0, 1] : [0]).map(() => fb.local(T.v128));
      for (const a of accs) fb.get(intAcc ? v.i(init) : wide ? v.d(init) : v.f(init)).set(a);
      fb.i32(0).set(r);
      fb.op(Op.block, 0x40, Op.loop, 0x40);
      fb.get(r).get(R).op(Op.i32_ge_u).br(Op.br_if, 1);
      const memo = new Map<string, Local>();
      const load: LoadInput = (j, raw = false) => {
        const l = fb.local(T.v128);
        fb.get(p[j]);
        this.loadAt(j, tail || plan.innerStride[j] === 0, raw, 0);
        fb.set(l);
        return l;
      };
      const val = intAcc && (op === "max" || op === "min") ? this.norm(plan.expr, memo, load) : this.value(plan.expr, memo, load);
      if (intAcc) {
        fb.get(accs[0]).get(val).simd(intComb).set(accs[0]);
      } else if (wide) {
        const comb = op === "sum" ? S.f64x2_add : S.f64x2_mul;
        fb.get(accs[0]).get(val).simd(S.f64x2_promote_low_f32x4).simd(comb).set(accs[0]);
        fb.get(accs[1]).get(val).get(val).simd(S.i8x16_shuffle, ...highHalf).simd(S.f64x2_promote_low_f32x4).simd(comb).set(accs[1]);
      } else {
        fb.get(accs[0]).get(val).simd(op === "max" ? S.f32x4_max : S.f32x4_min).set(accs[0]);
      }
      p.forEach((pj, j) => fb.get(pj).get(rStride[j]).op(Op.i32_add).set(pj));
      fb.get(r).i32(1).op(Op.i32_add).set(r);
      fb.br(Op.br, 0).op(Op.end, Op.end);
      // the four results as float32 lanes, or integer lanes (a narrow output's packed in the low bytes or halves)
      let res = accs[0];
      if (wide) {
        const lo = v.un(S.f32x4_demote_f64x2_zero, accs[0]);
        const hi = v.un(S.f32x4_demote_f64x2_zero, accs[1]);
        res = v.shuffle(lo, hi, [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
      }
      if (intAcc && os < 2) res = v.shuffle(res, res, os === 0 ? [0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12] : [0, 1, 4, 5, 8, 9, 12, 13, 0, 1, 4, 5, 8, 9, 12, 13]);
      fb.get(outPtr).get(ib);
      if (os < 2) fb.i32(2 - os).op(Op.i32_shr_u);
      fb.op(Op.i32_add).get(res);
      if (!intAcc) {
        if (tail) fb.simd(S.f32x4_extract_lane, 0).mem(Op.f32_store, 2);
        else fb.simdMem(S.v128_store, 0, 0);
      } else if (tail) {
        fb.simd(S.i32x4_extract_lane, 0).mem(os === 0 ? Op.i32_store8 : os === 1 ? Op.i32_store16 : Op.i32_store, os);
      } else if (os === 2) fb.simdMem(S.v128_store, 0, 0);
      else fb.simdMem(os === 0 ? S.v128_store32_lane : S.v128_store64_lane, 0, 0).op(0);
      fb.get(ib).i32(tail ? 4 : 16).op(Op.i32_add).set(ib);
      fb.br(Op.br, 0).op(Op.end, Op.end);
    }
  }

  /** log2 of output w's element size in bytes: 2 for float32, 1 or 0 for a 16- or 8-bit integer. */
  private outShift(w: number): number {
    return byteShift(this.plan.outDtypes[w]);
  }

  /** log2 of input j's element size in bytes: 2 for float32, 1 or 0 for a 16- or 8-bit integer. */
  private elementShift(j: number): number {
    return byteShift(this.plan.inputDtypes[j]);
  }

  /** The address on the stack → input j's one narrow element, sign- or zero-extended, as four float32 lanes (raw: int32 lanes). */
  private narrowScalar(j: number, raw = false) {
    const signed = intInfo(this.plan.inputDtypes[j])?.signed ?? false;
    const op = this.elementShift(j) === 0 ? (signed ? Op.i32_load8_s : Op.i32_load8_u) : signed ? Op.i32_load16_s : Op.i32_load16_u;
    this.fb.mem(op, 0).simd(S.i32x4_splat);
    if (!raw) this.fb.simd(S.f32x4_convert_i32x4_s);
  }

  /**
   * Input j's four elements at row offset ib (bytes of float32 lanes: element ib / 4) or, in the
   * tail, one element splatted, as float32 lanes. A small integer input is read narrow: four
   * bytes (v128.load32_zero, widened twice) or four halves (v128.load16x4), then converted,
   * or with `raw` left as int32 lanes for integer arithmetic.
   */
  private loadVariant(j: number, a: Local, ib: Local, tail: boolean, u: number, raw = false): Local {
    const fb = this.fb;
    const l = fb.local(T.v128);
    const shift = this.elementShift(j);
    fb.get(a).get(ib);
    if (shift < 2) fb.i32(2 - shift).op(Op.i32_shr_u);
    fb.op(Op.i32_add);
    this.loadAt(j, tail, raw, u);
    fb.set(l);
    return l;
  }

  /** The address on the stack → input j's four elements from byte offset (4 << shift)·u, or with `splat` one element splatted. */
  private loadAt(j: number, splat: boolean, raw: boolean, u: number) {
    const fb = this.fb;
    const shift = this.elementShift(j);
    if (shift === 2) {
      if (splat) fb.simdMem(S.v128_load32_splat, 2);
      else fb.simdMem(S.v128_load, 0, 16 * u);
    } else if (splat) this.narrowScalar(j, raw);
    else {
      const signed = intInfo(this.plan.inputDtypes[j])?.signed ?? false;
      if (shift === 1) fb.simdMem(signed ? S.v128_load16x4_s : S.v128_load16x4_u, 0, 8 * u);
      else {
        fb.simdMem(S.v128_load32_zero, 0, 4 * u);
        fb.simd(signed ? S.i16x8_extend_low_i8x16_s : S.i16x8_extend_low_i8x16_u);
        fb.simd(signed ? S.i32x4_extend_low_i16x8_s : S.i32x4_extend_low_i16x8_u);
      }
      if (!raw) fb.simd(S.f32x4_convert_i32x4_s);
    }
  }

  /** The v128 local holding e: four float32 lanes, or four all-ones/all-zeros masks for bool. */
  private value(e: Expr, memo: Map<string, Local>, load: LoadInput): Local {
    const key = this.key(e);
    const known = memo.get(key);
    if (known) return known;
    const v = this.v;
    const r = (x: Expr) => this.value(x, memo, load);
    let out: Local;
    switch (e.kind) {
      case "input":
        // an integer input reached here is an operand of integer arithmetic: int32 lanes (bool: 0/1 bytes, made masks)
        out = load(e.input, e.dtype !== "float32");
        if (e.dtype === "bool") out = v.bin(S.i32x4_ne, out, v.i(0));
        break;
      case "const":
        out = e.dtype === "bool" ? v.i(e.value ? -1 : 0) : laneKind(e.dtype) === "int" ? v.i(wrapInt(e.value, e.dtype as IntDType)) : v.f(e.value);
        break;
      case "index":
        throw new Error("wasm kernels: index expressions are not supported");
      case "unary": {
        if (e.op === "bitcast") {
          out = this.bitcast(e.arg, memo, load);
          break;
        }
        if (laneKind(e.dtype) === "int") {
          out = this.intUnary(e.op, e.dtype, e.arg, memo, load);
          break;
        }
        const row = WASM_UNARY[e.op];
        if (row === null || row === DECOMPOSE) throw new Error(`wasm kernels: no vector form of ${e.op}`);
        out = row.emit(v, r(e.arg), this);
        break;
      }
      case "binary": {
        if (laneKind(e.lhs.dtype) === "int") {
          out = this.intBinary(e.op, e.lhs.dtype, e.lhs, e.rhs, memo, load);
          break;
        }
        const [a, b] = [r(e.lhs), r(e.rhs)];
        if (e.lhs.dtype === "bool") {
          const row = WASM_BOOL_BINARY[e.op];
          if (!row) throw new Error(`wasm kernels: no vector form of bool ${e.op}`);
          out = row(v, a, b);
        } else {
          const row = WASM_BINARY[e.op];
          if (!row) throw new Error(`wasm kernels: no vector form of ${e.op}`);
          out = row.emit(v, a, b);
        }
        break;
      }
      case "select":
        out = v.select(r(e.which), r(e.cases[1]), r(e.cases[0]));
        break;
      case "cast":
        // a small integer input under a cast to float32 is loaded as float32 lanes (loadVariant)
        if (isNarrowLoad(e)) out = load((e.arg as { input: number }).input, false);
        else if (e.arg.dtype === e.dtype) out = r(e.arg);
        else out = this.castLanes(e.arg, e.dtype, memo, load);
        break;
      case "ipow":
        out = laneKind(e.dtype) === "int" ? this.ipowInt(r(e.arg), e.exponent) : this.ipow(r(e.arg), e.exponent);
        break;
      case "fma":
        out = this.fma32(e, memo, load);
        break;
    }
    memo.set(key, out);
    return out;
  }

  /** A small integer's lanes sign- or zero-extended from its low 8 or 16 bits (the value the JavaScript path holds); other lanes as they are. */
  private norm(e: Expr, memo: Map<string, Local>, load: LoadInput): Local {
    const x = this.value(e, memo, load);
    if (extended(e)) return x;
    const key = `n${this.key(e)}`;
    const known = memo.get(key);
    if (known) return known;
    const { bits, signed } = intInfo(e.dtype)!;
    const v = this.v;
    const out = signed ? v.shift(S.i32x4_shr_s, v.shift(S.i32x4_shl, x, 32 - bits), 32 - bits) : v.and(x, v.i(2 ** bits - 1));
    memo.set(key, out);
    return out;
  }

  /** neg, not, abs, sign of an integer dtype d in int32 lanes (JS_UNARY's results, wrapped at the store). */
  private intUnary(op: string, d: DType, arg: Expr, memo: Map<string, Local>, load: LoadInput): Local {
    const v = this.v;
    const signed = intInfo(d)!.signed;
    switch (op) {
      case "neg":
        return v.un(S.i32x4_neg, this.value(arg, memo, load));
      case "not":
        return v.un(S.v128_not, this.value(arg, memo, load));
      case "abs":
        // an unsigned value is its own magnitude; i32x4.abs leaves INT_MIN as INT_MIN, as Math.abs(x)|0 does
        return signed ? v.un(S.i32x4_abs, this.norm(arg, memo, load)) : this.value(arg, memo, load);
      case "sign": {
        const x = this.norm(arg, memo, load);
        const zero = v.i(0);
        if (!signed) return v.and(v.bin(S.i32x4_ne, x, zero), v.i(1));
        return v.or(v.bin(S.i32x4_lt_s, x, zero), v.and(v.bin(S.i32x4_gt_s, x, zero), v.i(1)));
      }
      case "population_count":
        // the pattern as stored: an 8- or 16-bit value's low bits (raw lanes have them right)
        return this.popcount(this.lowBits(this.value(arg, memo, load), d));
      case "clz": {
        // Math.clz32 of the pattern, less the 32 − width leading bits a narrow value lacks: every bit
        // below the highest set one set by or-ing in right shifts, whose complement counts the zeros above
        let x = this.lowBits(this.value(arg, memo, load), d);
        for (const s of [1, 2, 4, 8, 16]) x = v.or(x, v.shift(S.i32x4_shr_u, x, s));
        const n = this.popcount(v.un(S.v128_not, x));
        const bits = intInfo(d)!.bits;
        return bits < 32 ? v.bin(S.i32x4_sub, n, v.i(32 - bits)) : n;
      }
    }
    throw new Error(`wasm kernels: no integer vector form of ${op}`);
  }

  /** x's low `bits(d)` bits (the pattern of an 8- or 16-bit value in raw lanes), other lanes as they are. */
  private lowBits(x: Local, d: DType): Local {
    const bits = intInfo(d)!.bits;
    return bits < 32 ? this.v.and(x, this.v.i(2 ** bits - 1)) : x;
  }

  /** The number of set bits of each 32-bit lane: per byte (i8x16.popcnt), then bytes summed pairwise twice. */
  private popcount(x: Local): Local {
    const v = this.v;
    return v.un(S.i32x4_extadd_pairwise_i16x8_u, v.un(S.i16x8_extadd_pairwise_i8x16_u, v.un(S.i8x16_popcnt, x)));
  }

  /**
   * bitcast (`bitcastLanes`): the operand's lanes, every bit kept (XLA's
   * bitcast_convert). The JavaScript path agrees except on a signalling NaN's
   * pattern, which passes through its float64 numbers: interpreted code sets
   * the quiet bit (0x00400000), optimized code may keep it, so no one
   * answer there; this keeps the bits, as JAX.
   */
  private bitcast(arg: Expr, memo: Map<string, Local>, load: LoadInput): Local {
    return this.value(arg, memo, load);
  }

  /**
   * Integer a^b lane by lane as scalar-math's ipowInt(a, b): square-and-multiply
   * over b's bits (wrapping products, so raw lanes serve), looping while any
   * lane has bits left. ipowInt runs while its exponent is positive and halves
   * it with >>, an int32 shift: a negative b gives 1, and a uint32 b ≥ 2^31
   * (negative as int32) stops after its lowest bit, (b & 1) ? a : 1.
   */
  private powLanes(a: Local, b: Local, unsigned: boolean): Local {
    const { v, fb } = this;
    const zero = v.i(0);
    const e0 = unsigned ? v.select(v.bin(S.i32x4_lt_s, b, zero), v.and(b, v.i(1)), b) : v.bin(S.i32x4_max_s, b, zero);
    const acc = fb.local(T.v128);
    const base = fb.local(T.v128);
    const e = fb.local(T.v128);
    fb.get(v.i(1)).set(acc).get(a).set(base).get(e0).set(e);
    // the loop is one group: interleaving (marks) must not cut into it
    const marks = fb.marks;
    fb.marks = null;
    fb.op(Op.block, 0x40, Op.loop, 0x40);
    fb.get(e).simd(S.v128_any_true).op(Op.i32_eqz).br(Op.br_if, 1);
    const odd = v.bin(S.i32x4_ne, v.and(e, v.i(1)), zero);
    fb.get(v.select(odd, v.bin(S.i32x4_mul, acc, base), acc)).set(acc);
    fb.get(v.bin(S.i32x4_mul, base, base)).set(base);
    fb.get(v.shift(S.i32x4_shr_u, e, 1)).set(e);
    fb.br(Op.br, 0).op(Op.end, Op.end);
    fb.marks = marks;
    fb.mark();
    return acc;
  }

  /** Integer x^n (scalar-math's ipowInt: wrapping multiplications by repeated squaring; n ≤ 0 gives 1): the ring's products, so raw lanes serve. */
  private ipowInt(x: Local, n: number): Local {
    const v = this.v;
    let acc: Local | null = null;
    let base = x;
    // ipowInt halves n with >> (an int32 shift): n ≥ 2^31 stops after its lowest bit, as there
    for (let e = n; e > 0; e >>= 1) {
      if (e & 1) acc = acc ? v.bin(S.i32x4_mul, acc, base) : base;
      if (e >> 1 > 0) base = v.bin(S.i32x4_mul, base, base);
    }
    return acc ?? v.i(1);
  }

  /** A binary op on integer operands of dtype d (INT_BINARY): int32 lanes, or bool masks for comparisons. */
  private intBinary(op: BinaryOp, d: DType, lhs: Expr, rhs: Expr, memo: Map<string, Local>, load: LoadInput): Local {
    const v = this.v;
    const raw = (e: Expr) => this.value(e, memo, load);
    const ext = (e: Expr) => this.norm(e, memo, load);
    // uint32 compares unsigned; the narrower unsigned values are non-negative once extended
    const u = d === "uint32";
    const cmp = { eq: S.i32x4_eq, ne: S.i32x4_ne, lt: u ? S.i32x4_lt_u : S.i32x4_lt_s, le: u ? S.i32x4_le_u : S.i32x4_le_s, gt: u ? S.i32x4_gt_u : S.i32x4_gt_s, ge: u ? S.i32x4_ge_u : S.i32x4_ge_s } as const;
    switch (op) {
      case "add":
      case "sub":
      case "mul":
      case "and":
      case "or":
      case "xor":
        // ring ops mod 2^32: their low 8 or 16 bits depend only on the operands' low bits
        return v.bin(INT_RING_BINARY[op], raw(lhs), raw(rhs));
      case "max":
        return v.bin(u ? S.i32x4_max_u : S.i32x4_max_s, ext(lhs), ext(rhs));
      case "min":
        return v.bin(u ? S.i32x4_min_u : S.i32x4_min_s, ext(lhs), ext(rhs));
      case "eq":
      case "ne":
      case "lt":
      case "le":
      case "gt":
      case "ge":
        return v.bin(cmp[op], ext(lhs), ext(rhs));
      case "shl":
        // the count's low five bits, as JavaScript's << (a small count's raw lanes have them right)
        return this.shiftLanes(Op.i32_shl, S.i32x4_shl, raw(lhs), raw(rhs), rhs);
      case "shr":
        return u ? this.shiftLanes(Op.i32_shr_u, S.i32x4_shr_u, ext(lhs), raw(rhs), rhs) : this.shiftLanes(Op.i32_shr_s, S.i32x4_shr_s, ext(lhs), raw(rhs), rhs);
      case "pow":
        return this.powLanes(raw(lhs), ext(rhs), u);
      case "div":
      case "rem": {
        if (!isSmallInt(d)) return this.div32(op, u, ext(lhs), ext(rhs));
        // |a|, |b| < 2^16: a/b rounded to float32 is off its exact value by less than 1/(2|b|)·2^-7, so it
        // never crosses an integer, and truncating it is the integer quotient (exact quotients are exact)
        const a = ext(lhs);
        const b = ext(rhs);
        const q = v.un(S.i32x4_trunc_sat_f32x4_s, v.bin(S.f32x4_div, v.un(S.f32x4_convert_i32x4_s, a), v.un(S.f32x4_convert_i32x4_s, b)));
        const zero = v.bin(S.i32x4_eq, b, v.i(0));
        // scalar-math's idiv/irem: x / 0 = −1, x % 0 = x
        if (op === "div") return v.select(zero, v.i(-1), q);
        return v.select(zero, a, v.bin(S.i32x4_sub, a, v.bin(S.i32x4_mul, q, b)));
      }
    }
    throw new Error(`wasm kernels: no integer vector form of ${op}`);
  }

  /**
   * int32 or uint32 a / b (or a % b) as scalar-math's idiv/irem: each half of
   * the lanes converted exactly to float64, divided, truncated. The JavaScript
   * path computes Math.trunc(a / b) in float64 too, so this is its very
   * computation; and it is the exact integer quotient: |a|, |b| < 2^32, the
   * division is correctly rounded (relative error ≤ 2^-53), so a quotient that
   * is an integer (|q| ≤ 2^32, representable) comes out exactly, and one that
   * is not lies at least 1/|b| from every integer while its rounding moves it
   * less than |a/b|·2^-53 < 2^-21/|b|: rounding is monotonic and integers are
   * representable, so it stays strictly between the same two integers and
   * truncates to trunc(a/b). The one quotient outside int32's range is
   * INT_MIN / −1 = 2^31, which the JavaScript path wraps to INT_MIN (|0) and
   * the saturating conversion would clamp to INT_MAX: a / −1 is taken as −a
   * (wrapping) instead. x / 0 = −1 (all ones: 2^32 − 1 for uint32), x % 0 = x;
   * the remainder a − q·b is computed in wrapping int32 lanes, exact because
   * the true remainder is in range (INT_MIN % −1 = 0 as JavaScript's −0|0).
   */
  private div32(op: "div" | "rem", unsigned: boolean, a: Local, b: Local): Local {
    const v = this.v;
    const conv = unsigned ? S.f64x2_convert_low_i32x4_u : S.f64x2_convert_low_i32x4_s;
    const trunc = unsigned ? S.i32x4_trunc_sat_f64x2_u_zero : S.i32x4_trunc_sat_f64x2_s_zero;
    const high = (x: Local) => v.shuffle(x, x, [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]);
    const half = (x: Local, y: Local) => v.un(trunc, v.bin(S.f64x2_div, v.un(conv, x), v.un(conv, y)));
    let q = v.shuffle(half(a, b), half(high(a), high(b)), [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
    if (!unsigned) q = v.select(v.bin(S.i32x4_eq, b, v.i(-1)), v.un(S.i32x4_neg, a), q);
    const zero = v.bin(S.i32x4_eq, b, v.i(0));
    if (op === "div") return v.select(zero, v.i(-1), q);
    return v.select(zero, a, v.bin(S.i32x4_sub, a, v.bin(S.i32x4_mul, q, b)));
  }

  /**
   * x shifted by each lane's count mod 32. A count that does not change along
   * the row is one scalar for the SIMD shift; a varying one is, for a left
   * shift, a multiplication by 2^count, and for a right shift applied lane by
   * lane (WebAssembly's SIMD shifts take one count).
   */
  private shiftLanes(scalar: Op, vector: S, x: Local, count: Local, countExpr: Expr): Local {
    const fb = this.fb;
    if (!this.isVariant(countExpr)) {
      fb.get(x).get(count).simd(S.i32x4_extract_lane, 0).simd(vector);
    } else if (vector === S.i32x4_shl) {
      // x · 2^(c mod 32), whose low 32 bits are x << c: 2^c built as a float32's exponent field and
      // converted unsigned (exact: 2^31 fits a u32)
      const v = this.v;
      const exp = v.shift(S.i32x4_shl, v.bin(S.i32x4_add, v.and(count, v.i(31)), v.i(127)), 23);
      return v.bin(S.i32x4_mul, x, v.un(S.i32x4_trunc_sat_f32x4_u, exp));
    } else {
      fb.get(x);
      for (let lane = 0; lane < 4; lane++) {
        fb.get(x).simd(S.i32x4_extract_lane, lane).get(count).simd(S.i32x4_extract_lane, lane).op(scalar).simd(S.i32x4_replace_lane, lane);
      }
    }
    const out = fb.local(T.v128);
    fb.set(out);
    fb.mark();
    return out;
  }

  /** arg's lanes converted to dtype `to` (float32, bool or an integer), as codegen.ts's renderCast converts. */
  private castLanes(arg: Expr, to: DType, memo: Map<string, Local>, load: LoadInput): Local {
    const v = this.v;
    const from = arg.dtype;
    const fromKind = laneKind(from);
    const x = () => this.value(arg, memo, load);
    if (to === "float32") {
      if (fromKind === "bool") return v.and(x(), v.f(1));
      return v.un(from === "uint32" ? S.f32x4_convert_i32x4_u : S.f32x4_convert_i32x4_s, this.norm(arg, memo, load));
    }
    if (to === "bool") {
      if (fromKind === "f32") return v.ne(x(), v.f(0));
      return v.bin(S.i32x4_ne, this.norm(arg, memo, load), v.i(0));
    }
    const info = intInfo(to)!;
    if (fromKind === "bool") return v.and(x(), v.i(1));
    if (fromKind === "f32") {
      // truncation, NaN to 0, saturating (scalar-math's toInt32/toUint32), then clamped to a narrower range (toInt8 …)
      const t = v.un(to === "uint32" ? S.i32x4_trunc_sat_f32x4_u : S.i32x4_trunc_sat_f32x4_s, x());
      if (info.bits === 32) return t;
      return v.bin(S.i32x4_max_s, v.bin(S.i32x4_min_s, t, v.i(info.max)), v.i(info.min));
    }
    // integer → integer: the low bits of the source carry over; a wider target needs the source's extension
    return info.bits <= intInfo(from)!.bits ? x() : this.norm(arg, memo, load);
  }

  /**
   * Four float32 lanes converted to an 8- or 16-bit integer dtype, packed into
   * the low 4 or 8 bytes: truncated to int32 with NaN to 0 and saturation, then
   * narrowed by the saturating narrows. Each narrow clamps to its own range,
   * and clamping to [-2^15, 2^15) and then to the 8-bit range is clamping to
   * the 8-bit range, so the lanes equal scalar-math's toInt8/toUint8/toInt16/toUint16.
   */
  private narrowLanes(x: Local, d: DType): Local {
    const v = this.v;
    const { bits, signed } = intInfo(d)!;
    const t = v.un(S.i32x4_trunc_sat_f32x4_s, x);
    if (bits === 16) return v.bin(signed ? S.i16x8_narrow_i32x4_s : S.i16x8_narrow_i32x4_u, t, t);
    const h = v.bin(S.i16x8_narrow_i32x4_s, t, t);
    return v.bin(signed ? S.i8x16_narrow_i16x8_s : S.i8x16_narrow_i16x8_u, h, h);
  }

  /** sin or cos of x: the fast vector form, and in a careful row the host's float64 result for lanes beyond its range. */
  trig(x: Local, op: "sin" | "cos"): Local {
    const { value, slow } = vsincos(this.v, x, op);
    if (this.careful) {
      this.fb.get(slow).simd(S.v128_any_true).op(Op.if, 0x40);
      this.fb.get(x).get(value).call(this.fixups[op]!).set(value).op(Op.end);
    } else {
      this.fb.get(this.trigFlag!).get(slow).simd(S.v128_or).set(this.trigFlag!);
      this.fb.mark();
    }
    return value;
  }

  /**
   * A float32 node's lanes as two float64 pairs (exact), memoized with its value: a Horner
   * chain promotes its variable once, not at every step. A constant is one float64 constant;
   * an fma's result is promoted from the halves it rounded (`fma32`), without the shuffle.
   */
  private halvesOf(e: Expr, memo: Map<string, Local>, load: LoadInput): [Local, Local] {
    const v = this.v;
    if (e.kind === "const") return [v.d(Math.fround(e.value)), v.d(Math.fround(e.value))];
    const key = this.key(e);
    const known = [memo.get(`f64lo:${key}`), memo.get(`f64hi:${key}`)];
    if (known[0] && known[1]) return [known[0], known[1]];
    const x = this.value(e, memo, load);
    const rounded = [memo.get(`f32lo:${key}`), memo.get(`f32hi:${key}`)];
    let halves: [Local, Local];
    if (rounded[0] && rounded[1]) halves = [v.un(S.f64x2_promote_low_f32x4, rounded[0]), v.un(S.f64x2_promote_low_f32x4, rounded[1])];
    else {
      halves = [v.un(S.f64x2_promote_low_f32x4, x), v.un(S.f64x2_promote_low_f32x4, v.shuffle(x, x, [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]))];
    }
    memo.set(`f64lo:${key}`, halves[0]);
    memo.set(`f64hi:${key}`, halves[1]);
    return halves;
  }

  /**
   * float32 a·b + c rounded once, as the JavaScript path's `fma32` (scalar-math): in float64
   * pairs, where a·b is exact (24 + 24 significant bits) and the sum s = RN₆₄(a·b + c) rounds
   * once. Rounding s to float32 rounds twice, and that differs from one rounding only where s
   * is exactly halfway between two float32 neighbours while the exact sum is not: for s in
   * float32's normal range, a float64 whose low 29 mantissa bits are 1000…0, and only where
   * the product has more than 24 significant bits (`byPowerOfTwo`); a result of
   * magnitude at most 2^-126 (a float32 subnormal, zero, or the smallest normal that one
   * rounded up to) is suspect whatever its bits. Such lanes are rare: the fast pass of a row
   * only notes them (as sin/cos note arguments beyond their fast range), and the row's careful
   * pass, in a vector with one, recomputes s rounded to odd instead (Boldo and Melquiond: a value rounded to odd with at
   * least two more bits than the target then rounds to nearest correctly): the error
   * t = a·b + c − s by Knuth's two-sum, and where t ≠ 0 the neighbour of s toward t or s
   * itself, whichever has an odd last bit ((bits − [t against s's sign]) | 1). ±inf and NaN
   * have no error term (t is NaN, the |t| > 0 test false) and pass through.
   */
  private fma32(e: Extract<Expr, { kind: "fma" }>, memo: Map<string, Local>, load: LoadInput): Local {
    const v = this.v;
    const fb = this.fb;
    const [a, b, c] = e.args.map((x) => this.halvesOf(x, memo, load));
    // float64 constants by bit pattern: subnormal multiples of 2^-1074 are exact
    const one64 = v.d(2 ** -1074);
    const zero = v.d(0);
    const halves = [0, 1].map((h) => {
      const p = v.bin(S.f64x2_mul, a[h], b[h]);
      const s = v.bin(S.f64x2_add, p, c[h]);
      return { p, s, c: c[h], rounded: v.un(S.f32x4_demote_f64x2_zero, s) };
    });
    const joinBytes = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
    const out = v.shuffle(halves[0].rounded, halves[1].rounded, joinBytes);
    // the low 32-bit words of the four float64 sums, where their low 29 mantissa bits are, shifted to the top
    const lowBits = byPowerOfTwo(e) ? null : v.shift(S.i32x4_shl, v.shuffle(halves[0].s, halves[1].s, [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27]), 3);
    const magnitude = v.and(out, v.i(0x7fffffff));
    // where an fma reads this one, the halves rounded here promote without a shuffle (`halvesOf`)
    const key = this.key(e);
    memo.set(`f32lo:${key}`, halves[0].rounded);
    memo.set(`f32hi:${key}`, halves[1].rounded);
    if (!this.careful && this.fmaFlags) {
      // no branch in the vector code: the step's least (low bits ^ 1000…0) and least magnitude,
      // tested once after it (emitMapRow), which then computes its vectors again here, carefully
      const [halfwayAcc, tinyAcc] = this.fmaFlags;
      if (lowBits) fb.get(halfwayAcc).get(lowBits).get(v.i(0x80000000)).simd(S.v128_xor).simd(S.i32x4_min_u).set(halfwayAcc);
      fb.get(tinyAcc).get(magnitude).simd(S.i32x4_min_u).set(tinyAcc);
      fb.mark();
      return out;
    }
    const tiny = v.bin(S.i32x4_le_u, magnitude, v.i(0x00800000));
    const suspect = lowBits ? v.or(v.bin(S.i32x4_eq, lowBits, v.i(0x80000000)), tiny) : tiny;
    const bb = fb.local(T.v128);
    const t = fb.local(T.v128);
    const odd = fb.local(T.v128);
    // one self-contained group (no marks inside the branch): the streams interleave around it
    fb.get(suspect).simd(S.v128_any_true).op(Op.if, 0x40);
    for (const { p, s, c: ch, rounded } of halves) {
      fb.get(s).get(p).simd(S.f64x2_sub).set(bb);
      fb.get(p).get(s).get(bb).simd(S.f64x2_sub).simd(S.f64x2_sub).get(ch).get(bb).simd(S.f64x2_sub).simd(S.f64x2_add).set(t);
      fb.get(t).simd(S.f64x2_abs).get(zero).simd(S.f64x2_gt).get(one64).simd(S.v128_and).set(odd);
      fb.get(s).get(s).get(t).simd(S.v128_xor).i32(63).simd(S.i64x2_shr_s).get(odd).simd(S.v128_and).simd(S.i64x2_sub);
      fb.get(odd).simd(S.v128_or).simd(S.f32x4_demote_f64x2_zero).set(rounded);
    }
    fb.get(halves[0].rounded).get(halves[1].rounded).simd(S.i8x16_shuffle, ...joinBytes).set(out);
    fb.op(Op.end);
    fb.mark();
    return out;
  }

  /** x^n by the same float64 squarings as the JavaScript path (scalar-math ipow), so results agree bit for bit. */
  private ipow(x: Local, n: number): Local {
    const v = this.v;
    const halves = [
      v.un(S.f64x2_promote_low_f32x4, x),
      v.un(S.f64x2_promote_low_f32x4, v.shuffle(x, x, [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15])),
    ].map((h) => {
      let base = n < 0 ? v.bin(S.f64x2_div, v.d(1), h) : h;
      let acc: Local | null = null;
      for (let e = Math.abs(n); e > 0; e >>= 1) {
        if (e & 1) acc = acc ? v.bin(S.f64x2_mul, acc, base) : v.bin(S.f64x2_mul, v.d(1), base);
        if (e > 1) base = v.bin(S.f64x2_mul, base, base);
      }
      return v.un(S.f32x4_demote_f64x2_zero, acc ?? v.d(1));
    });
    return v.shuffle(halves[0], halves[1], [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
  }
}

function f64Bytes(x: number): number[] {
  const b = new Uint8Array(new Float64Array([x]).buffer);
  return Array.from(b);
}
