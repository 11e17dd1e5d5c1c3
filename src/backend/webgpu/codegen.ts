/**
 * Kernel → WGSL. The same kernel IR the CPU compiles (`../kernel.ts`): the
 * loop point's value is one WGSL function of the loop indices (the fused
 * expression over the inputs' affine views, every constant and stride baked
 * into the source), and `main` decides how threads cover the loop space:
 *
 * - no reduction: one thread per output element;
 * - a reduction with many outputs or a short reduced extent: one thread per
 *   output, looping over the reduced axes;
 * - a long reduction into few outputs: a workgroup per output, its threads
 *   striding over the reduced extent and combining in shared memory as a
 *   tree; when the extent is very long it is cut into chunks reduced by
 *   separate workgroups into partials, and a second kernel combines those.
 *
 * A reduction's epilogue (as the matmul's, matmul.ts) runs on each final
 * result as it is stored; one that reads the result broadcast over a row
 * (`accShape`: softmax's exp(x − max), a layer norm's x − mean) stores the
 * row's outputs from it: the thread of a row loops over them, or the
 * workgroup that reduced the row shares them out (`broadcastStores`).
 *
 * Only numbers and names made here go into the source.
 */
import type { DType } from "../../dtype.js";
import { intInfo, isSmallInt, wrapInt } from "../../dtype.js";
import { sizeOf } from "../../shape.js";
import type { BinaryOp, Expr, Kernel, ReduceOp } from "../kernel.js";
import { checkKernelNumbers, ExprBuilder } from "../kernel.js";
import type { UnaryTable } from "../composites.js";
import { DECOMPOSE, expandNode, fmaByErrorFreeSums } from "../composites.js";
import { float64Error } from "./buffers.js";
import { grid, halvesPacked, onSoftwareAdapter } from "./context.js";
import { helperSource, NONFINITE_PRELUDE } from "./wgsl-math.js";

export const WORKGROUP = 256;

/**
 * The entry point of a one-thread-per-item kernel on a `grid(...)` of
 * WORKGROUP-wide groups, `gx` groups per row, defining the item index `o`.
 * From `global_invocation_id`, not workgroup_id × size + local index: the
 * same number, but lavapipe runs such kernels about twice as fast with it.
 */
export function threadMain(gx: number): string {
  return `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = i32(gid.y * ${gx * WORKGROUP}u + gid.x);`;
}

/**
 * A compiled kernel: one or two passes, each a WGSL source and a grid of
 * workgroups. A first pass of two writes `partials` elements of the kernel's
 * dtype, which the second reduces into the output.
 */
export interface CompiledKernel {
  passes: { wgsl: string; workgroups: [number, number]; partials?: number }[];
}

/**
 * The WGSL type of a dtype's wide form, one value per 32-bit word (bool is
 * stored as u32).
 *
 * The 8- and 16-bit integers' buffers hold them packed, four or two to a
 * word (small-ints.ts); their wide form, int8/int16 as i32 sign-extended and
 * uint8/uint16 as u32, is what kernels compute in and what routines and the
 * reductions read and write (between a widen and a pack, webgpu/index.ts), a
 * result wrapped to its width where it is made (`wrapSmall`). Elementwise
 * kernels read and write the packed words themselves (`packedElementwise`).
 */
export function storageType(d: DType): string {
  switch (d) {
    case "float32":
      return "f32";
    case "float16": // computed in f32 (half.ts); stored in 2 bytes where the device has shader-f16
      return halvesPacked() ? "f16" : "f32";
    case "int32":
    case "int8":
    case "int16":
      return "i32";
    case "uint32":
    case "uint8":
    case "uint16":
    case "bool":
      return "u32";
    default:
      throw float64Error("a webgpu kernel");
  }
}

/** The WGSL type of a value in registers. */
function valueType(d: DType): string {
  return d === "bool" ? "bool" : storageType(d);
}

export function literal(value: number, dtype: DType): string {
  switch (dtype) {
    case "bool":
      return value ? "true" : "false";
    case "int32":
      return value === -2147483648 ? "bitcast<i32>(0x80000000u)" : `i32(${value | 0})`;
    case "uint32":
      return `${value >>> 0}u`;
    case "int8":
    case "int16":
      return `i32(${wrapInt(value, dtype)})`;
    case "uint8":
    case "uint16":
      return `${wrapInt(value, dtype)}u`;
    default: {
      const f = Math.fround(value);
      // integers and short decimals read as themselves; anything else by its exact bits
      if (Number.isInteger(f) && Math.abs(f) < 2 ** 24 && !Object.is(f, -0)) return `f32(${f})`;
      const bits = new Uint32Array(new Float32Array([f]).buffer)[0];
      // non-finite values cannot be WGSL constants: j_zero makes them run-time values
      return Number.isFinite(f) ? `bitcast<f32>(0x${bits.toString(16)}u)` : `bitcast<f32>(0x${bits.toString(16)}u | j_zero)`;
    }
  }
}

const isF = (d: DType) => d === "float32";
/** Integers held in u32 lanes: uint32 and the unsigned 8- and 16-bit ones. */
const isU = (d: DType) => intInfo(d)?.signed === false;
/** Integers held in i32 lanes: int32 and the signed 8- and 16-bit ones. */
const isI = (d: DType) => intInfo(d)?.signed === true;

/**
 * An 8- or 16-bit integer's 32-bit lane wrapped to its width (two's
 * complement): what storing the value would keep. Other dtypes unchanged.
 */
export function wrapSmall(v: string, d: DType): string {
  switch (d) {
    case "int8":
      return `((${v} << 24u) >> 24u)`;
    case "int16":
      return `((${v} << 16u) >> 16u)`;
    case "uint8":
      return `(${v} & 0xffu)`;
    case "uint16":
      return `(${v} & 0xffffu)`;
    default:
      return v;
  }
}

/** Accumulates `let` statements and the helpers they call. */
class Emitter {
  lines: string[] = [];
  helpers = new Set<string>();
  private n = 0;
  private memo = new Map<string, string>();
  constructor(
    private readonly load: (input: number, dtype: DType) => string,
    private readonly index: (axis: number) => string,
    /** Nodes whose values are rounded to half precision (float16 computed as f32: half.ts). */
    private readonly round?: WeakSet<Expr>,
  ) {}

  call(name: string, ...args: string[]): string {
    this.helpers.add(name);
    return `${name}(${args.join(", ")})`;
  }

  /** Binds a value to a new name; equal subexpressions share one name. */
  bind(code: string, dtype: DType): string {
    const key = `${dtype}:${code}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    const name = `t${this.n++}`;
    this.lines.push(`let ${name}: ${valueType(dtype)} = ${code};`);
    this.memo.set(key, name);
    return name;
  }

  /** Each node's value by identity: a DAG (a complex kernel's lanes share most nodes) is walked once, not as a tree. */
  private byNode = new Map<Expr, string>();

  expr(e: Expr): string {
    const known = this.byNode.get(e);
    if (known !== undefined) return known;
    const v = this.value(e);
    const out = this.round?.has(e) ? this.bind(this.call("j_f16", v), e.dtype) : v;
    this.byNode.set(e, out);
    return out;
  }

  private value(e: Expr): string {
    const v = this.unwrapped(e);
    // an 8- or 16-bit integer computed in a 32-bit lane is wrapped to its width where it is made
    return isSmallInt(e.dtype) && e.kind !== "input" && e.kind !== "const" && e.kind !== "select" ? this.bind(wrapSmall(v, e.dtype), e.dtype) : v;
  }

  private unwrapped(e: Expr): string {
    switch (e.kind) {
      case "input":
        return this.bind(this.load(e.input, e.dtype), e.dtype);
      case "const":
        return literal(e.value, e.dtype);
      case "index":
        return this.bind(castFrom(this.index(e.axis), "int32", e.dtype, this), e.dtype);
      case "unary": {
        const row = WGSL_UNARY[e.op];
        // a composite's steps are f32 values, not float16 ones: only the result (this node) is rounded
        if (row === DECOMPOSE) return this.unwrapped(expandNode(e));
        return this.bind(row(this.expr(e.arg), { arg: e.arg.dtype, out: e.dtype, em: this }), e.dtype);
      }
      case "binary":
        // a float16 nextafter (computed in f32, half.ts) steps by a half's spacing, not a single's
        if (e.op === "nextafter" && this.round?.has(e)) return this.bind(this.call("j_nextafter16", this.expr(e.lhs), this.expr(e.rhs)), e.dtype);
        return this.bind(WGSL_BINARY[e.op](this.expr(e.lhs), this.expr(e.rhs), { arg: e.lhs.dtype, out: e.dtype, em: this }), e.dtype);
      case "cast":
        return this.bind(castFrom(this.expr(e.arg), e.arg.dtype, e.dtype, this), e.dtype);
      case "ipow": {
        const fn = isF(e.dtype) ? "j_ipow_f32" : isU(e.dtype) ? "j_ipow_u32" : "j_ipow_i32";
        return this.bind(this.call(fn, this.expr(e.arg), `${e.exponent | 0}`), e.dtype);
      }
      case "select": {
        const w = this.expr(e.which);
        const cases = e.cases.map((c) => this.expr(c));
        if (e.which.dtype === "bool") return this.bind(`select(${cases[0]}, ${cases[1] ?? cases[0]}, ${w})`, e.dtype);
        let code = cases[cases.length - 1];
        const idx = e.which.dtype === "uint32" ? (i: number) => `${i}u` : (i: number) => `${i}`;
        for (let i = cases.length - 2; i >= 0; i--) code = `select(${code}, ${cases[i]}, ${w} == ${idx(i)})`;
        return this.bind(code, e.dtype);
      }
      case "fma":
        // WGSL's fma need not be fused (lavapipe's rounds a·b first): the error-free composition
        // over f32 ops instead, one rounding where the compiler rounds each op once
        return this.unwrapped(fmaByErrorFreeSums(new ExprBuilder(e.dtype), ...e.args));
    }
  }

}

/** What a row sees besides its operands' source: their dtype, the result's, and the emitter (for helper calls). */
interface Ctx {
  arg: DType;
  out: DType;
  em: Emitter;
}
type WgslUnary = (a: string, c: Ctx) => string;
type WgslBinary = (a: string, b: string, c: Ctx) => string;

/** A float function; an integer operand is converted to f32 first. */
const float =
  (f: (a: string, em: Emitter) => string): WgslUnary =>
  (a, c) =>
    f(castFrom(a, c.arg, "float32", c.em), c.em);
const builtin = (name: string) => float((a) => `${name}(${a})`);
const helper = (name: string) => float((a, em) => em.call(name, a));
/** Integer operands round to themselves. */
const rounding = (f: (a: string, em: Emitter) => string): WgslUnary => (a, c) => (isF(c.arg) ? f(a, c.em) : a);

/**
 * The WGSL renderer's unary ops: builtins where WGSL's are exact enough,
 * wgsl-math.ts helpers where they are not (or leave special values
 * unspecified), the shared decompositions (composites.ts) for the special
 * functions WGSL lacks.
 */
export const WGSL_UNARY: UnaryTable<WgslUnary> = {
  neg: (a, c) => (isU(c.arg) ? `(0u - ${a})` : `-${a}`),
  sign: (a, c) => (isF(c.arg) ? c.em.call("j_sign", a) : isU(c.arg) ? `select(0u, 1u, ${a} > 0u)` : `sign(${a})`),
  floor: rounding((a) => `floor(${a})`),
  ceil: rounding((a) => `ceil(${a})`),
  round: rounding((a, em) => em.call("j_round", a)),
  abs: (a, c) => (isU(c.arg) ? a : `abs(${a})`),
  exp: builtin("exp"),
  exp2: builtin("exp2"),
  log: helper("j_log"),
  log1p: helper("j_log1p"),
  expm1: helper("j_expm1"),
  // exact reduction of large arguments (the builtins do none: sin(3.4e38) came out 1)
  sin: helper("j_sin"),
  cos: helper("j_cos"),
  tan: helper("j_tan"),
  asin: DECOMPOSE,
  acos: DECOMPOSE,
  atan: helper("j_atan"),
  sinh: DECOMPOSE,
  cosh: DECOMPOSE,
  tanh: DECOMPOSE,
  asinh: DECOMPOSE,
  acosh: DECOMPOSE,
  atanh: DECOMPOSE,
  logistic: DECOMPOSE,
  sqrt: builtin("sqrt"),
  rsqrt: builtin("inverseSqrt"),
  cbrt: DECOMPOSE,
  erf: DECOMPOSE,
  erf_inv: DECOMPOSE,
  is_finite: (a, c) => (isF(c.arg) ? c.em.call("j_isfinite", a) : "true"),
  not: (a, c) => (isF(c.arg) ? `!${c.em.call("j_truthy", a)}` : c.arg === "bool" ? `!${a}` : `~${a}`),
  reciprocal: float((a) => `(1.0 / ${a})`),
  square: (a) => `(${a} * ${a})`,
  // integer operands only (lax checks); the builtins keep i32 or u32. An 8- or 16-bit value's
  // pattern is its low bits: masked, and clz counts within the width
  population_count: (a, c) => (isSmallInt(c.arg) ? `countOneBits(${a} & ${literal(2 ** intInfo(c.arg)!.bits - 1, isU(c.arg) ? "uint32" : "int32")})` : `countOneBits(${a})`),
  clz: (a, c) =>
    isSmallInt(c.arg)
      ? `(countLeadingZeros(${a} & ${literal(2 ** intInfo(c.arg)!.bits - 1, isU(c.arg) ? "uint32" : "int32")}) - ${literal(32 - intInfo(c.arg)!.bits, isU(c.arg) ? "uint32" : "int32")})`
      : `countLeadingZeros(${a})`,
  bitcast: (a, c) => wgslBitcast(a, c),
};

/**
 * The same bits read as another dtype of one width. float16 values are f32 in
 * registers here (half.ts), so a float operand or result next to a 16-bit
 * integer is a half: its bits go through pack2x16float / unpack2x16float.
 */
function wgslBitcast(a: string, c: Ctx): string {
  const small = (d: DType) => isSmallInt(d) && intInfo(d)!.bits === 16;
  if (isF(c.arg) && small(c.out)) {
    const bits = `(pack2x16float(vec2<f32>(f32(${a}), 0.0)) & 0xffffu)`;
    return wrapSmall(isU(c.out) ? bits : `bitcast<i32>(${bits})`, c.out);
  }
  if (small(c.arg) && isF(c.out)) return `${valueType(c.out)}(unpack2x16float(bitcast<u32>(${a}) & 0xffffu).x)`;
  if (isF(c.arg) === isF(c.out) && isU(c.arg) === isU(c.out)) return a;
  return wrapSmall(`bitcast<${valueType(c.out)}>(${a})`, c.out);
}

/** A float op through a helper, an integer one by `int`. */
const byType =
  (f: (a: string, b: string, em: Emitter) => string, i32: string, u32: string): WgslBinary =>
  (a, b, c) =>
    isF(c.arg) ? f(a, b, c.em) : c.em.call(isU(c.arg) ? u32 : i32, a, b);
/** Bools by `bool`, numbers by `op`. */
const infix = (op: string, bool: string): WgslBinary => (a, b, c) => (c.arg === "bool" ? `(${a} ${bool} ${b})` : `(${a} ${op} ${b})`);
// floats compare through helpers that test NaN on the bits (wgsl-math.ts); WGSL orders no bools
const order =
  (float: (a: string, b: string, em: Emitter) => string, bool: (a: string, b: string) => string, op: string): WgslBinary =>
  (a, b, c) =>
    isF(c.arg) ? float(a, b, c.em) : c.arg === "bool" ? bool(a, b) : `(${a} ${op} ${b})`;

/** The WGSL renderer's binary ops. */
export const WGSL_BINARY: Record<BinaryOp, WgslBinary> = {
  add: infix("+", "||"),
  sub: infix("-", "!="),
  mul: infix("*", "&&"),
  div: byType((a, b) => `(${a} / ${b})`, "j_idiv_i32", "j_idiv_u32"),
  rem: byType((a, b, em) => em.call("j_frem", a, b), "j_irem_i32", "j_irem_u32"),
  pow: (a, b, c) => (isF(c.arg) ? c.em.call("j_pow", a, b) : isU(c.arg) ? c.em.call("j_ipow_u32", a, `i32(${b})`) : c.em.call("j_ipow_i32", a, b)),
  max: (a, b, c) => (isF(c.arg) ? c.em.call("j_fmax", a, b) : c.arg === "bool" ? `(${a} || ${b})` : `max(${a}, ${b})`),
  min: (a, b, c) => (isF(c.arg) ? c.em.call("j_fmin", a, b) : c.arg === "bool" ? `(${a} && ${b})` : `min(${a}, ${b})`),
  atan2: (a, b, c) => c.em.call("j_atan2", castFrom(a, c.arg, "float32", c.em), castFrom(b, c.arg, "float32", c.em)),
  nextafter: (a, b, c) => c.em.call("j_nextafter", a, b),
  copysign: (a, b, c) => c.em.call("j_copysign", a, b),
  eq: order((a, b, em) => em.call("j_eq", a, b), (a, b) => `(${a} == ${b})`, "=="),
  ne: order((a, b, em) => `!${em.call("j_eq", a, b)}`, (a, b) => `(${a} != ${b})`, "!="),
  lt: order((a, b, em) => em.call("j_lt", a, b), (a, b) => `(!${a} && ${b})`, "<"),
  le: order((a, b, em) => em.call("j_le", a, b), (a, b) => `(!${a} || ${b})`, "<="),
  gt: order((a, b, em) => em.call("j_lt", b, a), (a, b) => `(${a} && !${b})`, ">"),
  ge: order((a, b, em) => em.call("j_le", b, a), (a, b) => `(${a} || !${b})`, ">="),
  and: infix("&", "&&"),
  or: infix("|", "||"),
  xor: infix("^", "!="),
  shl: (a, b) => `(${a} << (u32(${b}) & 31u))`,
  shr: (a, b) => `(${a} >> (u32(${b}) & 31u))`,
};

function castFrom(a: string, from: DType, to: DType, em: Emitter): string {
  if (from === to) return a;
  if (to === "bool") return from === "float32" ? em.call("j_truthy", a) : isI(from) ? `(${a} != 0)` : `(${a} != 0u)`;
  if (from === "bool") return `select(${literal(0, to)}, ${literal(1, to)}, ${a})`;
  if (to === "float32") return `f32(${a})`;
  if (from === "float32") {
    // XLA's saturating conversion: to 32 bits (NaN to 0), then clamped to an 8- or 16-bit range
    const info = intInfo(to)!;
    if (info.bits === 32) return em.call(isI(to) ? "j_to_i32" : "j_to_u32", a);
    return isI(to) ? `clamp(${em.call("j_to_i32", a)}, ${literal(info.min, "int32")}, ${literal(info.max, "int32")})` : `min(${em.call("j_to_u32", a)}, ${literal(info.max, "uint32")})`;
  }
  // integer to integer: the same bits (wrapped to a narrower width by the caller, Emitter.value)
  return storageType(from) === storageType(to) ? a : `bitcast<${storageType(to)}>(${a})`;
}

/**
 * Element `i` (a u32 expression) of a packed 8- or 16-bit buffer `arr` as
 * its wide lane (i32 sign-extended, or u32): the word's bits moved to the top,
 * then shifted down, arithmetically for the signed ones.
 */
export function unpackCode(arr: string, i: string, d: DType): string {
  const { bits, signed } = intInfo(d)!;
  const per = 32 / bits;
  const word = `${arr}[(${i}) / ${per}u]`;
  const shift = `(((${i}) % ${per}u) * ${bits}u)`;
  return signed ? `(bitcast<i32>(${word} << (${32 - bits}u - ${shift})) >> ${32 - bits}u)` : `((${word} >> ${shift}) & ${2 ** bits - 1}u)`;
}

function loadCode(input: number, dtype: DType, index: string, prefix = "in", packed = false): string {
  // a packed 8- or 16-bit input (small-ints.ts): its element unpacked from the word that holds it
  if (packed && isSmallInt(dtype)) return unpackCode(`${prefix}${input}`, `u32(${index})`, dtype);
  return dtype === "bool" ? `(${prefix}${input}[${index}] != 0u)` : `${prefix}${input}[${index}]`;
}

function storeCode(v: string, dtype: DType): string {
  if (dtype === "float16") return `${storageType(dtype)}(${v})`; // a half already (j_f16): the conversion is exact
  // a reduction's accumulator of an 8- or 16-bit integer runs in 32 bits: wrapped once, here
  if (isSmallInt(dtype)) return wrapSmall(v, dtype);
  return dtype === "bool" ? `select(0u, 1u, ${v})` : v;
}

/** Σ i_k · s_k + offset as WGSL, skipping zero strides. */
function affine(offset: number, strides: readonly number[], names: (k: number) => string): string {
  const terms: string[] = [];
  strides.forEach((s, k) => {
    if (s === 0) return;
    terms.push(s === 1 ? names(k) : `${names(k)} * ${s}`);
  });
  if (offset !== 0 || terms.length === 0) terms.push(String(offset));
  return terms.join(" + ");
}

/** The outputs (`out`, then `out1`… for `Kernel.more`) and then the inputs, in binding order. */
function bindings(k: Kernel, outType: string, packed = false): string {
  // packed: the 8- and 16-bit integers' buffers are words holding four or two of them
  const type = (d: DType) => (packed && isSmallInt(d) ? "u32" : storageType(d));
  const lines = [NONFINITE_PRELUDE, `@group(0) @binding(0) var<storage, read_write> out: array<${packed && isSmallInt(k.dtype) ? "u32" : outType}>;`];
  const more = k.more ?? [];
  more.forEach((o, m) => lines.push(`@group(0) @binding(${m + 1}) var<storage, read_write> out${m + 1}: array<${type(o.dtype)}>;`));
  k.inputs.forEach((inp, i) => lines.push(`@group(0) @binding(${i + 1 + more.length}) var<storage, read> in${i}: array<${type(inp.dtype)}>;`));
  return lines.join("\n");
}

/** `fn point(i0, …) -> T`: the kernel's expression (or another of its outputs') at one loop point. */
function pointFunction(k: Kernel, expr: Expr = k.expr, name = "point", round?: WeakSet<Expr>, packed = false): { src: string; helpers: Set<string> } {
  const nd = k.loopShape.length;
  const idx = (a: number) => `i${a}`;
  const em = new Emitter(
    (input, dtype) => {
      const code = loadCode(input, dtype, affine(k.inputs[input].view.offset, k.inputs[input].view.strides, idx), "in", packed);
      return k.inputs[input].dtype === "float16" ? `f32(${code})` : code; // halves are computed in f32
    },
    idx,
    round,
  );
  const result = em.expr(expr);
  const params = Array.from({ length: nd }, (_, a) => `i${a}: i32`).join(", ");
  const src = `fn ${name}(${params}) -> ${valueType(expr.dtype)} {\n  ${em.lines.join("\n  ")}\n  return ${result};\n}`;
  return { src, helpers: em.helpers };
}

/**
 * A fused epilogue (a matmul's or a reduction's) as WGSL: the bindings of
 * the kernel's inputs other than the result it applies to (from binding
 * `firstBinding` on, in input order), `fn epi(acc: f32, o: i32) -> f32` (the
 * kernel's value at flat output position `o` when the result there is
 * `acc`), and the helpers it calls, for the caller to emit once.
 */
export function epilogueSource(k: Kernel, accInput: number, firstBinding: number): { bindings: string; fn: string; helpers: Set<string> } {
  const idx = (a: number) => `i${a}`;
  // its buffers are named ep0, ep1…: the host kernel's own are in0, in1…
  const em = new Emitter((input, dtype) => (input === accInput ? "acc" : loadCode(input, dtype, affine(k.inputs[input].view.offset, k.inputs[input].view.strides, idx), "ep")), idx);
  const result = em.expr(k.expr);
  const decls: string[] = [];
  let b = firstBinding;
  k.inputs.forEach((inp, i) => {
    if (i !== accInput) decls.push(`@group(0) @binding(${b++}) var<storage, read> ep${i}: array<${storageType(inp.dtype)}>;`);
  });
  const fn = `fn epi(acc: f32, o: i32) -> f32 {
  ${unflatten("o", k.loopShape, idx)}
  ${em.lines.join("\n  ")}
  return ${result};
}`;
  return { bindings: decls.join("\n"), fn, helpers: em.helpers };
}

/**
 * How many outputs an epilogue stores per result it reads: 1 where it reads
 * the result element for element; a row's length where it reads the result
 * broadcast along its trailing axes (`accShape`: a mat-vec's or a row
 * reduction's consumer over the rows), whose row `o` is its flat outputs
 * o·rep … o·rep + rep − 1 (fuse.ts checks that layout).
 */
export function epilogueRepeat(epi: { kernel: Kernel; accShape?: readonly number[] } | undefined): number {
  if (!epi?.accShape) return 1;
  const acc = sizeOf(epi.accShape);
  const all = sizeOf(epi.kernel.loopShape);
  if (acc === 0) return 1; // nothing to store
  if (all % acc !== 0) throw new Error(`webgpu: an epilogue over [${epi.kernel.loopShape.join(", ")}] does not repeat a result of shape [${epi.accShape.join(", ")}] along whole rows`);
  return all / acc;
}

/**
 * The stores of a broadcast epilogue (`rep` > 1, `epilogueRepeat`) for
 * results `acc` at result positions `o` (pairs): each one's row of `rep`
 * outputs, `epi(acc, p)` at its own flat position p, the rows' outputs split
 * among `lanes` threads, this one taking those from `lane` on (the results
 * must then be the same values in each of them). One loop around all the
 * pairs' stores: the epilogue's code is inlined once per pair, as an
 * element-for-element epilogue's is (lavapipe compiled 16 loops of it, one
 * per pair, 3× slower).
 */
export function broadcastStores(results: readonly (readonly [acc: string, o: string])[], rep: number, lane = "0", lanes = 1): string {
  const lets = results.map(([acc, o], r) => `let e_v${r} = ${acc}; let e_b${r} = (${o}) * ${rep};`).join(" ");
  const stores = results.map((_, r) => `out[e_b${r} + e_q] = epi(e_v${r}, e_b${r} + e_q);`).join(" ");
  return `{ ${lets} for (var e_q = ${lane}; e_q < ${rep}; e_q += ${lanes}) { ${stores} } }`;
}

/** Statements that split the flat index `flat` over `dims`, naming axis k `name(k)`. */
export function unflatten(flat: string, dims: readonly number[], name: (k: number) => string): string {
  if (dims.length === 0) return "";
  if (dims.length === 1) return `let ${name(0)} = ${flat};`;
  const rest = `${flat}_rest`;
  const lines = [`var ${rest} = ${flat};`];
  for (let k = dims.length - 1; k > 0; k--) lines.push(`let ${name(k)} = ${rest} % ${dims[k]}; ${rest} = ${rest} / ${dims[k]};`);
  lines.push(`let ${name(0)} = ${rest};`);
  return lines.join(" ");
}

// ---- reductions: how values combine ---------------------------------------------------

// reductions accumulate in the storage type: bools as u32 0/1 (or = max, and = min)
function identity(op: ReduceOp, d: DType): string {
  const boolOp = d === "bool";
  if (op === "sum") return boolOp ? "0u" : literal(0, d);
  if (op === "prod") return boolOp ? "1u" : literal(1, d);
  const max = op === "max";
  const info = intInfo(d);
  if (info && info.bits < 32) return literal(max ? info.min : info.max, d);
  switch (d) {
    case "float32":
      return max ? "bitcast<f32>(0xff800000u | j_zero)" : "bitcast<f32>(0x7f800000u | j_zero)";
    case "int32":
      return max ? "bitcast<i32>(0x80000000u)" : "i32(2147483647)";
    case "uint32":
      return max ? "0u" : "0xffffffffu";
    default:
      return max ? "0u" : "1u";
  }
}
/** Float max/min through helpers that propagate NaN and order the zeros (wgsl-math.ts). */
const extremum = (fn: "j_fmax" | "j_fmin", builtin: string) => (d: DType, a: string, b: string, helpers: Set<string>) => {
  if (d !== "float32") return `${builtin}(${a}, ${b})`;
  helpers.add(fn);
  return `${fn}(${a}, ${b})`;
};
/** How each reduction combines two values (bools are u32 0/1 there: or = max, and = min). */
const WGSL_COMBINE: Record<ReduceOp, (d: DType, a: string, b: string, helpers: Set<string>) => string> = {
  sum: (d, a, b) => (d === "bool" ? `max(${a}, ${b})` : `(${a} + ${b})`),
  prod: (d, a, b) => (d === "bool" ? `min(${a}, ${b})` : `(${a} * ${b})`),
  max: extremum("j_fmax", "max"),
  min: extremum("j_fmin", "min"),
};
function combine(op: ReduceOp, d: DType, a: string, b: string, helpers: Set<string>): string {
  return WGSL_COMBINE[op](d, a, b, helpers);
}
const asAcc = (v: string, d: DType) => (d === "bool" ? `select(0u, 1u, ${v})` : v);

// ---- the kernels ----------------------------------------------------------------------

const compiled = new Map<string, CompiledKernel>();

/**
 * `round`: the nodes of a float16 kernel rewritten to f32 whose values are rounded to halves (half.ts).
 * `packed` (elementwise kernels only): its 8- and 16-bit inputs and outputs are bound packed, four or two
 * to a word (small-ints.ts), else in their wide form, one per word.
 */
export function compileKernel(k: Kernel, key: string, round?: WeakSet<Expr>, packed = false): CompiledKernel {
  if (packed) key += "|packed";
  let c = compiled.get(key);
  if (!c) {
    checkKernelNumbers(k);
    c = k.reduce ? reduction(k, round) : packed ? packedElementwise(k, round) : elementwise(k, round);
    if (compiled.size > 8192) compiled.clear();
    compiled.set(key, c);
  }
  return c;
}

function elementwise(k: Kernel, round?: WeakSet<Expr>): CompiledKernel {
  const n = sizeOf(k.loopShape);
  const groups = Math.ceil(n / WORKGROUP);
  const [gx, gy] = grid(groups);
  const nd = k.loopShape.length;
  const args = Array.from({ length: nd }, (_, a) => `i${a}`).join(", ");
  // one point function per output; a kernel with siblings (`more`) stores each
  const outs = [{ expr: k.expr, dtype: k.dtype }, ...(k.more ?? [])];
  const points = outs.map((o, m) => pointFunction(k, o.expr, m === 0 ? "point" : `point${m}`, round));
  const helpers = new Set(points.flatMap((p) => [...p.helpers]));
  const stores = outs.map((o, m) => `${m === 0 ? "out" : `out${m}`}[o] = ${storeCode(`${m === 0 ? "point" : `point${m}`}(${args})`, o.dtype)};`);
  const wgsl = `${bindings(k, storageType(k.dtype))}
${helperSource(helpers)}
${points.map((p) => p.src).join("\n")}
@compute @workgroup_size(${WORKGROUP})
${threadMain(gx)}
  if (o >= ${n}) { return; }
  ${unflatten("o", k.loopShape, (a) => `i${a}`)}
  ${stores.join("\n  ")}
}`;
  return { passes: [{ wgsl, workgroups: [gx, gy] }] };
}

/**
 * An elementwise kernel on packed 8- and 16-bit integers (small-ints.ts): its
 * small inputs unpacked where loaded, and, where an output is small, each
 * thread computes `per` consecutive elements (4 with an 8-bit output, else 2)
 * and stores whole words: no two threads write the same word (WGSL has no
 * byte stores). Its other outputs are stored one element at a time.
 */
function packedElementwise(k: Kernel, round?: WeakSet<Expr>): CompiledKernel {
  const n = sizeOf(k.loopShape);
  const outs = [{ expr: k.expr, dtype: k.dtype }, ...(k.more ?? [])];
  const bitsOf = (d: DType) => (isSmallInt(d) ? intInfo(d)!.bits : 32);
  const per = 32 / Math.min(...outs.map((o) => bitsOf(o.dtype)));
  const threads = Math.ceil(n / per);
  const [gx, gy] = grid(Math.ceil(threads / WORKGROUP));
  const nd = k.loopShape.length;
  const args = Array.from({ length: nd }, (_, a) => `i${a}`).join(", ");
  const points = outs.map((o, m) => pointFunction(k, o.expr, m === 0 ? "point" : `point${m}`, round, true));
  const helpers = new Set(points.flatMap((p) => [...p.helpers]));
  const name = (m: number) => (m === 0 ? "out" : `out${m}`);
  const body: string[] = [];
  // the words each small output's `per` elements fill (an 8-bit one: one; a 16-bit one beside an 8-bit one: two)
  outs.forEach((o, m) => {
    if (!isSmallInt(o.dtype)) return;
    for (let j = 0; j < per / (32 / bitsOf(o.dtype)); j++) body.push(`var w${m}_${j} = 0u;`);
  });
  for (let e = 0; e < per; e++) {
    const lines = [`let f = base + ${e};`, unflatten("f", k.loopShape, (a) => `i${a}`)];
    outs.forEach((o, m) => {
      const v = `${m === 0 ? "point" : `point${m}`}(${args})`;
      if (!isSmallInt(o.dtype)) return lines.push(`${name(m)}[f] = ${storeCode(v, o.dtype)};`);
      const bits = bitsOf(o.dtype);
      const inWord = 32 / bits;
      lines.push(`w${m}_${Math.floor(e / inWord)} |= (bitcast<u32>(${v}) & ${2 ** bits - 1}u) << ${(e % inWord) * bits}u;`);
    });
    // the first element is in range (the thread returned otherwise)
    body.push(e === 0 ? `{ ${lines.join(" ")} }` : `if (base + ${e} < ${n}) { ${lines.join(" ")} }`);
  }
  outs.forEach((o, m) => {
    if (!isSmallInt(o.dtype)) return;
    const inWord = 32 / bitsOf(o.dtype);
    const words = Math.ceil(n / inWord);
    for (let j = 0; j < per / inWord; j++) {
      const w = `base / ${inWord} + ${j}`;
      body.push(j === 0 ? `${name(m)}[${w}] = w${m}_${j};` : `if (${w} < ${words}) { ${name(m)}[${w}] = w${m}_${j}; }`);
    }
  });
  const wgsl = `${bindings(k, storageType(k.dtype), true)}
${helperSource(helpers)}
${points.map((p) => p.src).join("\n")}
@compute @workgroup_size(${WORKGROUP})
${threadMain(gx)}
  if (o >= ${threads}) { return; }
  let base = o * ${per};
  ${body.join("\n  ")}
}`;
  return { passes: [{ wgsl, workgroups: [gx, gy] }] };
}

/** Outputs past which one thread per output keeps the GPU busy without shared-memory trees. */
const MANY_OUTPUTS = 2048;
/** Reduced extents each workgroup takes at most before the reduction splits in two passes. */
const CHUNK = 16384;
/** Reduced extents one thread sums alone on a software adapter, when there are 8 outputs or more. */
const SOFTWARE_SERIAL = 4096;

function reduction(k: Kernel, round?: WeakSet<Expr>): CompiledKernel {
  const { op, axes } = k.reduce!;
  const nd = k.loopShape.length;
  const outDims = k.loopShape.slice(0, nd - axes);
  const redDims = k.loopShape.slice(nd - axes);
  const outSize = sizeOf(outDims);
  const R = sizeOf(redDims);
  const d = k.dtype;
  const point = pointFunction(k, k.expr, "point", round);
  const helpers = new Set(point.helpers);
  const args = Array.from({ length: nd }, (_, a) => `i${a}`).join(", ");
  const outName = (a: number) => `i${a}`;
  const redName = (a: number) => `i${nd - axes + a}`;
  // over an empty extent the loops below never run, but their index arithmetic must still compile
  // (WGSL rejects `% 0`): split by ones instead, and the result is the identity
  const redSplit = R === 0 ? redDims.map(() => 1) : redDims;
  const value = asAcc(`point(${args})`, d);
  const acc = storageType(d);
  // an epilogue applies to each final result (in the last pass only), its inputs bound after the kernel's
  const epi = k.reduce!.epilogue;
  const epiParts = epi ? epilogueSource(epi.kernel, epi.accInput, 1 + k.inputs.length) : null;
  const epiSource = epiParts ? `${epiParts.bindings}\n${epiParts.fn}` : "";
  if (epiParts) for (const h of epiParts.helpers) helpers.add(h);
  // a float sum starts from +0, so it is never -0 (JAX: the sum of -0s is +0); but a compiler that may
  // ignore zeros' signs folds `0.0 + x` to x, so the final sum's sign of zero is cleared on its bits
  const positiveZero = op === "sum" && d === "float32";
  if (positiveZero) helpers.add("j_pos0");
  const final = (v: string) => (positiveZero ? `j_pos0(${v})` : v);
  const store = (v: string, o: string) => (epi ? `epi(${final(v)}, ${o})` : final(v));
  // an epilogue that reads each result broadcast over a row stores the row's `rep` outputs
  const rep = epilogueRepeat(epi);

  // on a software adapter (lavapipe) each barrier of the tree ends a loop over the workgroup's lanes and
  // starts another: one thread per output wins there unless a long extent would leave a core or lanes idle
  // (W4's step, whose bias gradient is 50 sums of 1000: device time 8.0 → 4.6 ms per step on the loaded machine).
  // Only with several outputs: one thread summing a whole long extent in float32 loses the tree's accuracy —
  // the serial path for a lone sum too gave 199,999,008 for the 100M-element sum of 2s (webgpu-limits.test.ts)
  const plain = onSoftwareAdapter() && outSize >= 8 && R <= SOFTWARE_SERIAL;
  if (outSize >= MANY_OUTPUTS || R <= 64 || plain) {
    const [gx, gy] = grid(Math.ceil(outSize / WORKGROUP));
    const body = `${bindings(k, acc)}
__HELPERS__
__EPILOGUE__
${point.src}
@compute @workgroup_size(${WORKGROUP})
${threadMain(gx)}
  if (o >= ${outSize}) { return; }
  ${unflatten("o", outDims, outName)}
  var acc: ${acc} = ${identity(op, d)};
  for (var r = 0; r < ${R}; r++) {
    ${unflatten("r", redSplit, redName)}
    acc = ${combine(op, d, "acc", value, helpers)};
  }
  ${rep > 1 ? broadcastStores([[final("acc"), "o"]], rep) : `out[o] = ${store("acc", "o")};`}
}`;
    return { passes: [{ wgsl: body.replace("__HELPERS__", helperSource(helpers)).replace("__EPILOGUE__", epiSource), workgroups: [gx, gy] }] };
  }

  const chunks = R > CHUNK ? Math.min(Math.ceil(R / CHUNK), 1024) : 1;
  const chunkLen = Math.ceil(R / chunks);
  const [gx, gy] = grid(outSize * chunks);
  const tree = combine(op, d, "part[lid]", "part[lid + s]", helpers);
  const body = `${bindings(k, acc)}
var<workgroup> part: array<${acc}, ${WORKGROUP}>;
__HELPERS__
__EPILOGUE__
${point.src}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = i32(wid.y * ${gx}u + wid.x);
  let o = g / ${chunks};
  let c = g % ${chunks};
  if (o >= ${outSize}) { return; }
  ${unflatten("o", outDims, outName)}
  let r1 = min(${R}, (c + 1) * ${chunkLen});
  var acc: ${acc} = ${identity(op, d)};
  for (var r = c * ${chunkLen} + i32(lid); r < r1; r += ${WORKGROUP}) {
    ${unflatten("r", redSplit, redName)}
    acc = ${combine(op, d, "acc", value, helpers)};
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = ${tree}; }
    workgroupBarrier();
  }
  ${
    chunks === 1 && rep > 1
      ? // the whole row in this workgroup: its threads store the row's outputs side by side (part[0] is final after the last barrier)
        broadcastStores([[final("part[0]"), "o"]], rep, "i32(lid)", WORKGROUP)
      : `if (lid == 0u) { out[g] = ${chunks === 1 ? store("part[0]", "o") : "part[0]"}; }`
  }
}`;
  const first = { wgsl: body.replace("__HELPERS__", helperSource(helpers)).replace("__EPILOGUE__", chunks === 1 ? epiSource : ""), workgroups: [gx, gy] as [number, number] };
  if (chunks === 1) return { passes: [first] };
  // the partials [outSize, chunks] reduce along their last axis with the same op
  const second = reduction({
    loopShape: [outSize, chunks],
    inputs: [{ dtype: d, view: { strides: [chunks, 1], offset: 0 } }],
    expr: { kind: "input", input: 0, dtype: d },
    reduce: { op, axes: 1, epilogue: epi },
    dtype: d,
  });
  return { passes: [{ ...first, partials: outSize * chunks }, ...second.passes] };
}
