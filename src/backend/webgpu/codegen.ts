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
 * Only numbers and names made here go into the source.
 */
import type { DType } from "../../dtype.js";
import { sizeOf } from "../../shape.js";
import type { BinaryOp, Expr, Kernel, ReduceOp, UnaryOp } from "../kernel.js";
import { checkKernelNumbers } from "../kernel.js";
import { float64Error } from "./buffers.js";
import { grid, halvesPacked } from "./context.js";
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

/** The WGSL type of a dtype in storage (bool is stored as u32). */
export function storageType(d: DType): string {
  switch (d) {
    case "float32":
      return "f32";
    case "float16": // computed in f32 (half.ts); stored in 2 bytes where the device has shader-f16
      return halvesPacked() ? "f16" : "f32";
    case "int32":
      return "i32";
    case "uint32":
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

  expr(e: Expr): string {
    const v = this.value(e);
    return this.round?.has(e) ? this.bind(this.call("j_f16", v), e.dtype) : v;
  }

  private value(e: Expr): string {
    switch (e.kind) {
      case "input":
        return this.bind(this.load(e.input, e.dtype), e.dtype);
      case "const":
        return literal(e.value, e.dtype);
      case "index":
        return this.bind(castFrom(this.index(e.axis), "int32", e.dtype, this), e.dtype);
      case "unary":
        return this.bind(this.unary(e.op, this.expr(e.arg), e.arg.dtype, e.dtype), e.dtype);
      case "binary":
        // a float16 nextafter (computed in f32, half.ts) steps by a half's spacing, not a single's
        if (e.op === "nextafter" && this.round?.has(e)) return this.bind(this.call("j_nextafter16", this.expr(e.lhs), this.expr(e.rhs)), e.dtype);
        return this.bind(this.binary(e.op, this.expr(e.lhs), this.expr(e.rhs), e.lhs.dtype), e.dtype);
      case "cast":
        return this.bind(castFrom(this.expr(e.arg), e.arg.dtype, e.dtype, this), e.dtype);
      case "ipow": {
        const fn = isF(e.dtype) ? "j_ipow_f32" : e.dtype === "uint32" ? "j_ipow_u32" : "j_ipow_i32";
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
    }
  }

  private unary(op: UnaryOp, a: string, argDtype: DType, dtype: DType): string {
    if (isF(argDtype)) {
      switch (op) {
        case "neg":
          return `-${a}`;
        case "sign":
          return this.call("j_sign", a);
        case "floor":
        case "ceil":
        case "abs":
        case "exp":
        case "exp2":
        case "sqrt":
          return `${op}(${a})`;
        case "sin":
        case "cos":
        case "tan":
          // exact reduction of large arguments (the builtins do none: sin(3.4e38) came out 1)
          return this.call(`j_${op}`, a);
        case "atan":
          return this.call("j_atan", a);
        case "log":
          return this.call("j_log", a);
        case "asinh":
          return this.call("j_asinh", a);
        case "acosh":
          return this.call("j_acosh", a);
        case "atanh":
          return this.call("j_atanh", a);
        case "sinh":
          return this.call("j_sinh", a);
        case "cosh":
          return this.call("j_cosh", a);
        case "asin":
          // through atan2: some drivers' asin/acos are far less accurate than their atan
          return this.call("j_atan2", a, `sqrt((1.0 - ${a}) * (1.0 + ${a}))`);
        case "acos":
          return this.call("j_atan2", `sqrt((1.0 - ${a}) * (1.0 + ${a}))`, a);
        case "round":
          return this.call("j_round", a);
        case "log1p":
          return this.call("j_log1p", a);
        case "expm1":
          return this.call("j_expm1", a);
        case "tanh":
          return this.call("j_tanh", a);
        case "logistic":
          return `(1.0 / (1.0 + exp(-${a})))`;
        case "rsqrt":
          return `inverseSqrt(${a})`;
        case "cbrt":
          return this.call("j_cbrt", a);
        case "erf":
          return this.call("j_erf", a);
        case "erf_inv":
          return this.call("j_erfinv", a);
        case "is_finite":
          return this.call("j_isfinite", a);
        case "not":
          return `!${this.call("j_truthy", a)}`;
        case "reciprocal":
          return `(1.0 / ${a})`;
        case "square":
          return `(${a} * ${a})`;
      }
    }
    switch (op) {
      case "neg":
        return argDtype === "uint32" ? `(0u - ${a})` : `-${a}`;
      case "abs":
        return argDtype === "uint32" ? a : `abs(${a})`;
      case "sign":
        return argDtype === "uint32" ? `select(0u, 1u, ${a} > 0u)` : `sign(${a})`;
      case "not":
        return argDtype === "bool" ? `!${a}` : `~${a}`;
      case "square":
        return `(${a} * ${a})`;
      case "floor":
      case "ceil":
      case "round":
        return a;
      case "is_finite":
        return "true";
      default:
        // a float function of an integer: compute in f32
        return this.unary(op, castFrom(a, argDtype, "float32", this), "float32", dtype);
    }
  }

  private binary(op: BinaryOp, a: string, b: string, argDtype: DType): string {
    const f = isF(argDtype);
    const bool = argDtype === "bool";
    switch (op) {
      case "add":
        return bool ? `(${a} || ${b})` : `(${a} + ${b})`;
      case "sub":
        return bool ? `(${a} != ${b})` : `(${a} - ${b})`;
      case "mul":
        return bool ? `(${a} && ${b})` : `(${a} * ${b})`;
      case "div":
        return f ? `(${a} / ${b})` : this.call(argDtype === "uint32" ? "j_idiv_u32" : "j_idiv_i32", a, b);
      case "rem":
        return f ? this.call("j_frem", a, b) : this.call(argDtype === "uint32" ? "j_irem_u32" : "j_irem_i32", a, b);
      case "pow":
        if (f) return this.call("j_pow", a, b);
        return this.call(argDtype === "uint32" ? "j_ipow_u32" : "j_ipow_i32", a, argDtype === "uint32" ? `i32(${b})` : b);
      case "max":
        return f ? this.call("j_fmax", a, b) : bool ? `(${a} || ${b})` : `max(${a}, ${b})`;
      case "min":
        return f ? this.call("j_fmin", a, b) : bool ? `(${a} && ${b})` : `min(${a}, ${b})`;
      case "atan2":
        return this.call("j_atan2", a, b);
      case "nextafter":
        return this.call("j_nextafter", a, b);
      // floats through helpers that test NaN on the bits (wgsl-math.ts); WGSL orders no bools
      case "eq":
        return f ? this.call("j_eq", a, b) : `(${a} == ${b})`;
      case "ne":
        return f ? `!${this.call("j_eq", a, b)}` : `(${a} != ${b})`;
      case "lt":
        return f ? this.call("j_lt", a, b) : bool ? `(!${a} && ${b})` : `(${a} < ${b})`;
      case "le":
        return f ? this.call("j_le", a, b) : bool ? `(!${a} || ${b})` : `(${a} <= ${b})`;
      case "gt":
        return f ? this.call("j_lt", b, a) : bool ? `(${a} && !${b})` : `(${a} > ${b})`;
      case "ge":
        return f ? this.call("j_le", b, a) : bool ? `(${a} || !${b})` : `(${a} >= ${b})`;
      case "and":
        return bool ? `(${a} && ${b})` : `(${a} & ${b})`;
      case "or":
        return bool ? `(${a} || ${b})` : `(${a} | ${b})`;
      case "xor":
        return bool ? `(${a} != ${b})` : `(${a} ^ ${b})`;
      case "shl":
        return `(${a} << (u32(${b}) & 31u))`;
      case "shr":
        return `(${a} >> (u32(${b}) & 31u))`;
    }
  }
}

function castFrom(a: string, from: DType, to: DType, em: Emitter): string {
  if (from === to) return a;
  if (to === "bool") return from === "float32" ? em.call("j_truthy", a) : from === "int32" ? `(${a} != 0)` : `(${a} != 0u)`;
  if (from === "bool") return `select(${literal(0, to)}, ${literal(1, to)}, ${a})`;
  if (to === "float32") return `f32(${a})`;
  if (from === "float32") return em.call(to === "int32" ? "j_to_i32" : "j_to_u32", a);
  return `bitcast<${storageType(to)}>(${a})`;
}

function loadCode(input: number, dtype: DType, index: string, prefix = "in"): string {
  return dtype === "bool" ? `(${prefix}${input}[${index}] != 0u)` : `${prefix}${input}[${index}]`;
}

function storeCode(v: string, dtype: DType): string {
  if (dtype === "float16") return `${storageType(dtype)}(${v})`; // a half already (j_f16): the conversion is exact
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
function bindings(k: Kernel, outType: string): string {
  const lines = [NONFINITE_PRELUDE, `@group(0) @binding(0) var<storage, read_write> out: array<${outType}>;`];
  const more = k.more ?? [];
  more.forEach((o, m) => lines.push(`@group(0) @binding(${m + 1}) var<storage, read_write> out${m + 1}: array<${storageType(o.dtype)}>;`));
  k.inputs.forEach((inp, i) => lines.push(`@group(0) @binding(${i + 1 + more.length}) var<storage, read> in${i}: array<${storageType(inp.dtype)}>;`));
  return lines.join("\n");
}

/** `fn point(i0, …) -> T`: the kernel's expression (or another of its outputs') at one loop point. */
function pointFunction(k: Kernel, expr: Expr = k.expr, name = "point", round?: WeakSet<Expr>): { src: string; helpers: Set<string> } {
  const nd = k.loopShape.length;
  const idx = (a: number) => `i${a}`;
  const em = new Emitter(
    (input, dtype) => {
      const code = loadCode(input, dtype, affine(k.inputs[input].view.offset, k.inputs[input].view.strides, idx));
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
function combine(op: ReduceOp, d: DType, a: string, b: string, helpers: Set<string>): string {
  if (d === "bool") return op === "sum" || op === "max" ? `max(${a}, ${b})` : `min(${a}, ${b})`;
  switch (op) {
    case "sum":
      return `(${a} + ${b})`;
    case "prod":
      return `(${a} * ${b})`;
    default:
      if (d === "float32") {
        const fn = op === "max" ? "j_fmax" : "j_fmin";
        helpers.add(fn);
        return `${fn}(${a}, ${b})`;
      }
      return `${op}(${a}, ${b})`;
  }
}
const asAcc = (v: string, d: DType) => (d === "bool" ? `select(0u, 1u, ${v})` : v);

// ---- the kernels ----------------------------------------------------------------------

const compiled = new Map<string, CompiledKernel>();

/** `round`: the nodes of a float16 kernel rewritten to f32 whose values are rounded to halves (half.ts). */
export function compileKernel(k: Kernel, key: string, round?: WeakSet<Expr>): CompiledKernel {
  let c = compiled.get(key);
  if (!c) {
    checkKernelNumbers(k);
    c = k.reduce ? reduction(k, round) : elementwise(k, round);
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

/** Outputs past which one thread per output keeps the GPU busy without shared-memory trees. */
const MANY_OUTPUTS = 2048;
/** Reduced extents each workgroup takes at most before the reduction splits in two passes. */
const CHUNK = 16384;

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

  if (outSize >= MANY_OUTPUTS || R <= 64) {
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
  out[o] = ${store("acc", "o")};
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
  if (lid == 0u) { out[g] = ${chunks === 1 ? store("part[0]", "o") : "part[0]"}; }
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
