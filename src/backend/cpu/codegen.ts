/**
 * Kernel → JavaScript. A renderer is a table from scalar ops to source
 * snippets plus a loop nest; the compiled function is cached by the kernel's
 * key, so each (primitive, shapes, dtypes) compiles once.
 *
 * Only numbers and names made here are pasted into the source: no user string
 * ever reaches `new Function`.
 */
import type { DType, TypedArray } from "../../dtype.js";
import { roundToFloat16 } from "../../dtype.js";
import type { BinaryOp, Expr, Kernel, ReduceOp, UnaryOp } from "../kernel.js";
import { checkKernelNumbers, kernelKey, someNode } from "../kernel.js";
import { scalarMath } from "./scalar-math.js";
import { LruCache } from "../lru.js";
import { cacheConfig } from "../cache-config.js";

const isF = (d: DType) => d === "float32" || d === "float64" || d === "float16";

/** Wraps an integer/float result into its dtype's range, as the stored value would be. */
function wrap(code: string, dtype: DType): string {
  switch (dtype) {
    case "int32":
      return `((${code})|0)`;
    case "uint32":
      return `((${code})>>>0)`;
    case "float32":
      return `fround(${code})`;
    case "float16":
      return `f16round(${code})`;
    default:
      return `(${code})`;
  }
}

const unaryFloat: Record<UnaryOp, (a: string) => string> = {
  neg: (a) => `(-${a})`,
  sign: (a) => `Math.sign(${a})`,
  floor: (a) => `Math.floor(${a})`,
  ceil: (a) => `Math.ceil(${a})`,
  round: (a) => `roundAway(${a})`,
  abs: (a) => `Math.abs(${a})`,
  exp: (a) => `Math.exp(${a})`,
  exp2: (a) => `Math.pow(2, ${a})`,
  log: (a) => `Math.log(${a})`,
  log1p: (a) => `Math.log1p(${a})`,
  expm1: (a) => `Math.expm1(${a})`,
  sin: (a) => `Math.sin(${a})`,
  cos: (a) => `Math.cos(${a})`,
  tan: (a) => `Math.tan(${a})`,
  asin: (a) => `Math.asin(${a})`,
  acos: (a) => `Math.acos(${a})`,
  atan: (a) => `Math.atan(${a})`,
  sinh: (a) => `Math.sinh(${a})`,
  cosh: (a) => `Math.cosh(${a})`,
  tanh: (a) => `Math.tanh(${a})`,
  asinh: (a) => `Math.asinh(${a})`,
  acosh: (a) => `Math.acosh(${a})`,
  atanh: (a) => `Math.atanh(${a})`,
  logistic: (a) => `(1 / (1 + Math.exp(-${a})))`,
  sqrt: (a) => `Math.sqrt(${a})`,
  rsqrt: (a) => `(1 / Math.sqrt(${a}))`,
  cbrt: (a) => `Math.cbrt(${a})`,
  erf: (a) => `erf(${a})`,
  erf_inv: (a) => `erfInv(${a})`,
  is_finite: (a) => `(Number.isFinite(${a}) ? 1 : 0)`,
  not: (a) => `(${a} ? 0 : 1)`,
  reciprocal: (a) => `(1 / ${a})`,
  square: (a) => `(${a} * ${a})`,
};

function renderUnary(op: UnaryOp, a: string, argDtype: DType, dtype: DType): string {
  if (isF(argDtype)) return unaryFloat[op](a);
  switch (op) {
    case "neg":
      return wrap(`-${a}`, dtype);
    case "abs":
      return wrap(`Math.abs(${a})`, dtype);
    case "sign":
      return `Math.sign(${a})`;
    case "not":
      return argDtype === "bool" ? `(${a} ^ 1)` : wrap(`~${a}`, dtype);
    case "square":
      return wrap(`Math.imul(${a}, ${a})`, dtype);
    case "floor":
    case "ceil":
    case "round":
      return a;
    case "is_finite":
      return "1";
    default:
      return unaryFloat[op](a);
  }
}

function renderBinary(op: BinaryOp, a: string, b: string, argDtype: DType, dtype: DType): string {
  const f = isF(argDtype);
  switch (op) {
    case "add":
      return f ? `(${a} + ${b})` : wrap(`${a} + ${b}`, dtype);
    case "sub":
      return f ? `(${a} - ${b})` : wrap(`${a} - ${b}`, dtype);
    case "mul":
      return f ? `(${a} * ${b})` : dtype === "bool" ? `(${a} & ${b})` : wrap(`Math.imul(${a}, ${b})`, dtype);
    case "div":
      return f ? `(${a} / ${b})` : wrap(`idiv(${a}, ${b})`, dtype);
    case "rem":
      return f ? `(${a} % ${b})` : wrap(`irem(${a}, ${b})`, dtype);
    case "pow":
      return f ? `powC(${a}, ${b})` : wrap(`ipowInt(${a}, ${b})`, dtype);
    case "max":
      return f ? `Math.max(${a}, ${b})` : `(${a} > ${b} ? ${a} : ${b})`;
    case "min":
      return f ? `Math.min(${a}, ${b})` : `(${a} < ${b} ? ${a} : ${b})`;
    case "atan2":
      return `Math.atan2(${a}, ${b})`;
    case "nextafter":
      return argDtype === "float32" ? `nextAfter32(${a}, ${b})` : argDtype === "float16" ? `nextAfter16(${a}, ${b})` : `nextAfter64(${a}, ${b})`;
    case "eq":
      return `(${a} === ${b} ? 1 : 0)`;
    case "ne":
      return `(${a} !== ${b} ? 1 : 0)`;
    case "lt":
      return `(${a} < ${b} ? 1 : 0)`;
    case "le":
      return `(${a} <= ${b} ? 1 : 0)`;
    case "gt":
      return `(${a} > ${b} ? 1 : 0)`;
    case "ge":
      return `(${a} >= ${b} ? 1 : 0)`;
    case "and":
      return wrap(`${a} & ${b}`, dtype);
    case "or":
      return wrap(`${a} | ${b}`, dtype);
    case "xor":
      return wrap(`${a} ^ ${b}`, dtype);
    case "shl":
      return wrap(`${a} << ${b}`, dtype);
    case "shr":
      return dtype === "uint32" ? `(${a} >>> ${b})` : `(${a} >> ${b})`;
  }
}

function renderCast(a: string, from: DType, to: DType): string {
  if (to === "bool") return `(${a} !== 0 ? 1 : 0)`;
  if (isF(to)) return to === "float32" ? `fround(${a})` : to === "float16" ? `f16round(${a})` : a;
  if (isF(from)) return to === "int32" ? `toInt32(${a})` : `toUint32(${a})`;
  return to === "int32" ? `(${a} | 0)` : `(${a} >>> 0)`;
}

function literal(value: number, dtype: DType): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  if (Object.is(value, -0)) return "-0";
  const v = dtype === "float32" ? Math.fround(value) : dtype === "float16" ? roundToFloat16(value) : value;
  return `(${String(v)})`;
}

/** Renders an expression; `loads[i]` is the source of input i at the loop point. */
function renderExpr(e: Expr, loads: string[], indexVar: (axis: number) => string, root = true): string {
  const r = (x: Expr) => renderExpr(x, loads, indexVar, false);
  // float32 intermediates are rounded so that a fused chain gives what op-by-op evaluation gives
  // (the store rounds the root); float16 everywhere, since its Float32Array store does not
  const round = (code: string, dtype: DType) => (dtype === "float32" && !root ? `fround(${code})` : dtype === "float16" ? `f16round(${code})` : code);
  switch (e.kind) {
    case "input":
      return loads[e.input];
    case "const":
      return literal(e.value, e.dtype);
    case "index":
      return indexVar(e.axis);
    case "unary":
      return round(renderUnary(e.op, r(e.arg), e.arg.dtype, e.dtype), e.dtype);
    case "binary":
      return round(renderBinary(e.op, r(e.lhs), r(e.rhs), e.lhs.dtype, e.dtype), e.dtype);
    case "cast":
      return renderCast(r(e.arg), e.arg.dtype, e.dtype);
    case "ipow":
      return round(isF(e.dtype) ? `ipow(${r(e.arg)}, ${e.exponent})` : wrap(`ipowInt(${r(e.arg)}, ${e.exponent})`, e.dtype), e.dtype);
    case "select": {
      const w = r(e.which);
      if (e.cases.length === 2) return `(${w} ? ${r(e.cases[1])} : ${r(e.cases[0])})`;
      let code = r(e.cases[e.cases.length - 1]);
      for (let i = e.cases.length - 2; i >= 0; i--) code = `(${w} === ${i} ? ${r(e.cases[i])} : ${code})`;
      return code;
    }
  }
}

const usesIndex = (e: Expr) => someNode(e, (n) => n.kind === "index");

export function reduceInit(op: ReduceOp, dtype: DType): number {
  switch (op) {
    case "sum":
      return 0;
    case "prod":
      return 1;
    case "max":
      return dtype === "int32" ? -2147483648 : dtype === "uint32" || dtype === "bool" ? 0 : -Infinity;
    case "min":
      return dtype === "int32" ? 2147483647 : dtype === "uint32" ? 4294967295 : dtype === "bool" ? 1 : Infinity;
  }
}

function renderCombine(op: ReduceOp, acc: string, v: string, dtype: DType): string {
  switch (op) {
    case "sum":
      return isF(dtype) ? `${acc} += ${v};` : `${acc} = ${wrap(`${acc} + ${v}`, dtype)};`;
    case "prod":
      return isF(dtype) ? `${acc} *= ${v};` : `${acc} = ${wrap(`Math.imul(${acc}, ${v})`, dtype)};`;
    // NaN propagates as in NumPy: once acc is NaN, no comparison replaces it; floats by Math.max/min,
    // which also order the zeros as JAX (+0 is the larger)
    case "max":
      return isF(dtype) ? `${acc} = Math.max(${acc}, ${v});` : `{ const v = ${v}; if (v > ${acc}) ${acc} = v; }`;
    case "min":
      return isF(dtype) ? `${acc} = Math.min(${acc}, ${v});` : `{ const v = ${v}; if (v < ${acc}) ${acc} = v; }`;
  }
}

/**
 * Merges adjacent loop axes that every input walks contiguously, so that an
 * elementwise op over same-shape arrays becomes one flat loop.
 */
export function collapse(k: Kernel): Kernel {
  if (usesIndex(k.expr)) return k;
  const shape = [...k.loopShape];
  const strides = k.inputs.map((i) => [...i.view.strides]);
  let reduceAxes = k.reduce?.axes ?? 0;
  // walk from the innermost axis outward, never merging across the output/reduce boundary
  for (let ax = shape.length - 2; ax >= 0; ax--) {
    const boundary = shape.length - reduceAxes;
    if (ax + 1 === boundary) continue;
    if (!strides.every((s) => s[ax] === s[ax + 1] * shape[ax + 1])) continue;
    shape.splice(ax, 2, shape[ax] * shape[ax + 1]);
    for (const s of strides) s.splice(ax, 1);
    if (ax >= boundary) reduceAxes--;
  }
  // size-1 axes contribute nothing to addresses
  const boundary = shape.length - reduceAxes;
  const keep = shape.map((d) => d !== 1);
  return {
    ...k,
    loopShape: shape.filter((_, i) => keep[i]),
    inputs: k.inputs.map((inp, j) => ({ ...inp, view: { offset: inp.view.offset, strides: strides[j].filter((_, i) => keep[i]) } })),
    reduce: k.reduce ? { ...k.reduce, axes: keep.slice(boundary).filter(Boolean).length } : undefined,
  };
}

export type CompiledKernel = (out: TypedArray, ...inputs: TypedArray[]) => void;

/** Generates the JavaScript source of a kernel's loop nest. */
export function renderKernel(kernel: Kernel): string {
  const k = collapse(kernel);
  const n = k.loopShape.length;
  const reduceAxes = k.reduce?.axes ?? 0;
  const outAxes = n - reduceAxes;
  const lines: string[] = [];
  const ind = (d: number) => "  ".repeat(d + 1);
  const names = k.inputs.map((_, j) => `in${j}`);
  // address of input j after entering loop level d
  const addr = (j: number, d: number) => (d < 0 ? String(k.inputs[j].view.offset) : `p${j}_${d}`);
  const loads = k.inputs.map((inp, j) => `${names[j]}[${n === 0 ? inp.view.offset : addr(j, n - 1)}]`);
  const index = (axis: number) => {
    if (axis >= outAxes) throw new Error("index expressions over reduced axes are not supported");
    return `i${axis}`;
  };
  const body = renderExpr(k.expr, loads, index);
  lines.push("let o = 0;");
  let depth = 0;
  for (let d = 0; d < n; d++) {
    if (d === outAxes && k.reduce) {
      lines.push(`${ind(depth)}let acc = ${literal(reduceInit(k.reduce.op, k.dtype), k.dtype)};`);
    }
    lines.push(`${ind(depth)}for (let i${d} = 0; i${d} < ${k.loopShape[d]}; i${d}++) {`);
    depth++;
    k.inputs.forEach((inp, j) => {
      const s = inp.view.strides[d];
      const prev = addr(j, d - 1);
      lines.push(`${ind(depth)}const p${j}_${d} = ${s === 0 ? prev : `${prev} + i${d} * ${s}`};`);
    });
  }
  if (k.reduce) {
    if (reduceAxes === 0) lines.push(`${ind(depth)}let acc = ${literal(reduceInit(k.reduce.op, k.dtype), k.dtype)};`);
    lines.push(`${ind(depth)}${renderCombine(k.reduce.op, "acc", body, k.dtype)}`);
    // close the reduction loops, then store
    for (let d = n - 1; d >= outAxes; d--) lines.push(`${ind(--depth)}}`);
    lines.push(`${ind(depth)}out[o++] = acc;`);
    for (let d = outAxes - 1; d >= 0; d--) lines.push(`${ind(--depth)}}`);
  } else {
    lines.push(`${ind(depth)}out[o++] = ${body};`);
    for (let d = n - 1; d >= 0; d--) lines.push(`${ind(--depth)}}`);
  }
  return `return function kernel(out, ${names.join(", ")}) {\n${lines.map((l) => "  " + l).join("\n")}\n};`;
}

/** Compiled kernel functions kept by key, least recently used dropped first (jitConfig.maxCpuKernels). */
const cache = new LruCache<string, CompiledKernel>(() => cacheConfig.maxCpuKernels);
const byObject = new WeakMap<Kernel, CompiledKernel>();
let compiles = 0;

/** Compiles (or fetches from the cache) the function for a kernel. */
export function compileKernel(kernel: Kernel): CompiledKernel {
  // a jitted plan hands the same kernel object every call: skip building its key
  const known = byObject.get(kernel);
  if (known) return known;
  const key = kernelKey(kernel);
  let fn = cache.get(key);
  if (!fn) {
    checkKernelNumbers(kernel);
    const src = renderKernel(kernel);
    const helpers = Object.keys(scalarMath);
    const factory = new Function("fround", "f16round", ...helpers, src) as (...h: unknown[]) => CompiledKernel;
    fn = factory(Math.fround, roundToFloat16, ...helpers.map((h) => scalarMath[h as keyof typeof scalarMath]));
    // bounded: a program that keeps making new shapes must not keep every function it ever
    // compiled (kernels still in use stay reachable through byObject)
    cache.set(key, fn);
    compiles++;
  }
  byObject.set(kernel, fn);
  return fn;
}

/** How many distinct kernels the CPU backend has compiled (for tests and recompile hunting). */
export function cpuCompileCount(): number {
  return compiles;
}
