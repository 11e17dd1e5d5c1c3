/**
 * Kernel → JavaScript. A renderer is a table from scalar ops to source
 * snippets plus a loop nest; the compiled function is cached by the kernel's
 * key, so each (primitive, shapes, dtypes) compiles once.
 *
 * Only numbers and names made here are pasted into the source: no user string
 * ever reaches `new Function`.
 */
import type { DType, TypedArray } from "../../dtype.js";
import type { IntDType } from "../../dtype.js";
import { intInfo, roundToFloat16 } from "../../dtype.js";
import type { BinaryOp, Expr, Kernel, ReduceOp, UnaryOp } from "../kernel.js";
import { checkKernelNumbers, kernelKey, load, someNode, UNARY_OPS } from "../kernel.js";
import type { CompositeOp, UnaryTable } from "../composites.js";
import { DECOMPOSE, decompose } from "../composites.js";
import { scalarMath } from "./scalar-math.js";
import { LruCache } from "../lru.js";
import { cacheConfig } from "../cache-config.js";

const isF = (d: DType) => d === "float32" || d === "float64" || d === "float16";
/** The width of an integer dtype in bits (32 for anything else). */
const bitsOf = (d: DType): number => intInfo(d)?.bits ?? 32;
/** scalar-math's float → integer conversion (XLA's: truncation, NaN to 0, saturating) per integer dtype. */
const FLOAT_TO_INT: Record<IntDType, string> = { int8: "toInt8", uint8: "toUint8", int16: "toInt16", uint16: "toUint16", int32: "toInt32", uint32: "toUint32" };

/** Wraps an integer/float result into its dtype's range, as the stored value would be. */
function wrap(code: string, dtype: DType): string {
  switch (dtype) {
    case "int32":
      return `((${code})|0)`;
    case "uint32":
      return `((${code})>>>0)`;
    // the 8- and 16-bit integers compute in 32-bit lanes and wrap here (two's complement), as a store would
    case "int8":
      return `(((${code})<<24)>>24)`;
    case "uint8":
      return `((${code})&255)`;
    case "int16":
      return `(((${code})<<16)>>16)`;
    case "uint16":
      return `((${code})&65535)`;
    case "float32":
      return `fround(${code})`;
    case "float16":
      return `f16round(${code})`;
    default:
      return `(${code})`;
  }
}

/** What a row sees besides its operands' source: the operand dtype and the result dtype. */
interface Types {
  arg: DType;
  out: DType;
}
type JsUnary = (a: string, t: Types) => string;
type JsBinary = (a: string, b: string, t: Types) => string;

/** A float function: on integer operands too, JavaScript numbers hold them exactly. */
const fn = (name: string): JsUnary => (a) => `${name}(${a})`;
/** Integer operands round to themselves. */
const rounding = (name: string): JsUnary => (a, t) => (isF(t.arg) ? `${name}(${a})` : a);

/**
 * The JavaScript renderer's unary ops. JavaScript computes in float64, so
 * `Math`'s functions (and scalar-math's float64 erf) are more accurate than
 * any float32 decomposition: they stay native. The one composite rendered
 * from composites.ts is `logistic`, as a generated float64 helper (see
 * `compositeHelpers`).
 */
export const JS_UNARY: UnaryTable<JsUnary> = {
  neg: (a, t) => (isF(t.arg) ? `(-${a})` : wrap(`-${a}`, t.out)),
  sign: fn("Math.sign"),
  floor: rounding("Math.floor"),
  ceil: rounding("Math.ceil"),
  round: rounding("roundAway"),
  abs: (a, t) => (isF(t.arg) ? `Math.abs(${a})` : wrap(`Math.abs(${a})`, t.out)),
  exp: fn("Math.exp"),
  exp2: (a) => `Math.pow(2, ${a})`,
  log: fn("Math.log"),
  log1p: fn("Math.log1p"),
  expm1: fn("Math.expm1"),
  sin: fn("Math.sin"),
  cos: fn("Math.cos"),
  tan: fn("Math.tan"),
  asin: fn("Math.asin"),
  acos: fn("Math.acos"),
  atan: fn("Math.atan"),
  sinh: fn("Math.sinh"),
  cosh: fn("Math.cosh"),
  tanh: fn("Math.tanh"),
  asinh: fn("Math.asinh"),
  acosh: fn("Math.acosh"),
  atanh: fn("Math.atanh"),
  logistic: DECOMPOSE,
  sqrt: fn("Math.sqrt"),
  rsqrt: (a) => `(1 / Math.sqrt(${a}))`,
  cbrt: fn("Math.cbrt"),
  erf: fn("erf"),
  erf_inv: fn("erfInv"),
  is_finite: (a, t) => (isF(t.arg) ? `(Number.isFinite(${a}) ? 1 : 0)` : "1"),
  not: (a, t) => (isF(t.arg) ? `(${a} ? 0 : 1)` : t.arg === "bool" ? `(${a} ^ 1)` : wrap(`~${a}`, t.out)),
  reciprocal: (a) => `(1 / ${a})`,
  square: (a, t) => (isF(t.arg) ? `(${a} * ${a})` : wrap(`Math.imul(${a}, ${a})`, t.out)),
  // integer operands only (lax checks): the bits of the integer as it is stored
  // (an 8- or 16-bit value's pattern is its low bits: masked, and clz counts within the width)
  population_count: (a, t) => (bitsOf(t.arg) < 32 ? `popCount32(${a} & ${2 ** bitsOf(t.arg) - 1})` : `popCount32(${a})`),
  clz: (a, t) => (bitsOf(t.arg) < 32 ? `(Math.clz32(${a} & ${2 ** bitsOf(t.arg) - 1}) - ${32 - bitsOf(t.arg)})` : `Math.clz32(${a})`),
  // the same bits read as another dtype of one width (lax checks the widths; float64 only to itself)
  bitcast: (a, t) => {
    if (isF(t.out)) return isF(t.arg) ? a : t.out === "float16" ? `f16FromBits(${a})` : `f32FromBits(${a})`;
    return wrap(isF(t.arg) ? (t.arg === "float16" ? `f16Bits(${a})` : `f32Bits(${a})`) : a, t.out);
  },
};

/** Float operands as themselves, integers wrapped into their dtype. */
const arith = (op: string): JsBinary => (a, b, t) => (isF(t.arg) ? `(${a} ${op} ${b})` : wrap(`${a} ${op} ${b}`, t.out));
const compare = (op: string): JsBinary => (a, b) => `(${a} ${op} ${b} ? 1 : 0)`;
const bits = (op: string): JsBinary => (a, b, t) => wrap(`${a} ${op} ${b}`, t.out);

/** The JavaScript renderer's binary ops. */
export const JS_BINARY: Record<BinaryOp, JsBinary> = {
  add: arith("+"),
  sub: arith("-"),
  mul: (a, b, t) => (isF(t.arg) ? `(${a} * ${b})` : t.out === "bool" ? `(${a} & ${b})` : wrap(`Math.imul(${a}, ${b})`, t.out)),
  div: (a, b, t) => (isF(t.arg) ? `(${a} / ${b})` : wrap(`idiv(${a}, ${b})`, t.out)),
  rem: (a, b, t) => (isF(t.arg) ? `(${a} % ${b})` : wrap(`irem(${a}, ${b})`, t.out)),
  pow: (a, b, t) => (isF(t.arg) ? `powC(${a}, ${b})` : wrap(`ipowInt(${a}, ${b})`, t.out)),
  max: (a, b, t) => (isF(t.arg) ? `Math.max(${a}, ${b})` : `(${a} > ${b} ? ${a} : ${b})`),
  min: (a, b, t) => (isF(t.arg) ? `Math.min(${a}, ${b})` : `(${a} < ${b} ? ${a} : ${b})`),
  atan2: (a, b) => `Math.atan2(${a}, ${b})`,
  copysign: (a, b) => `copySign(${a}, ${b})`,
  nextafter: (a, b, t) => `${t.arg === "float32" ? "nextAfter32" : t.arg === "float16" ? "nextAfter16" : "nextAfter64"}(${a}, ${b})`,
  eq: compare("==="),
  ne: compare("!=="),
  lt: compare("<"),
  le: compare("<="),
  gt: compare(">"),
  ge: compare(">="),
  and: bits("&"),
  or: bits("|"),
  xor: bits("^"),
  shl: bits("<<"),
  shr: (a, b, t) => (t.out === "uint32" ? `(${a} >>> ${b})` : `(${a} >> ${b})`),
};

/** The name of the generated helper that computes a composite op (its decomposition, in float64). */
const compositeName = (op: CompositeOp) => `composite_${op}`;

/**
 * The composite ops this renderer decomposes, each compiled once into a
 * float64 function of one argument: the decomposition's steps are not each
 * rounded to float32 (the caller rounds the result once, as for a `Math`
 * function), and its shared subexpressions are computed once.
 */
const compositeHelpers: Record<string, (x: number) => number> = {};
for (const op of UNARY_OPS) {
  const row = JS_UNARY[op];
  if (row !== DECOMPOSE) continue;
  const composite = op as CompositeOp;
  const body = renderStatements(decompose(composite, load(0, "float64"), "float64", "float64"));
  const helpers = Object.keys(scalarMath);
  const make = new Function(...helpers, `return function ${compositeName(composite)}(x) {\n${body}\n};`) as (...h: unknown[]) => (x: number) => number;
  compositeHelpers[compositeName(composite)] = make(...helpers.map((h) => scalarMath[h as keyof typeof scalarMath]));
}

/** A float64 expression over `x` (input 0) as statements, one `const` per shared node, ending in `return`. */
function renderStatements(root: Expr): string {
  const names = new Map<Expr, string>();
  const lines: string[] = [];
  const go = (e: Expr): string => {
    if (e.kind === "input") return "x";
    if (e.kind === "const") return literal(e.value, e.dtype);
    const known = names.get(e);
    if (known) return known;
    const code = renderNode(e, go, () => {
      throw new Error("composites: index expressions are not supported");
    });
    const name = `t${names.size}`;
    names.set(e, name);
    lines.push(`  const ${name} = ${code};`);
    return name;
  };
  const result = go(root);
  return `${lines.join("\n")}\n  return ${result};`;
}

function renderUnary(op: UnaryOp, a: string, argDtype: DType, dtype: DType): string {
  const row = JS_UNARY[op];
  return row === DECOMPOSE ? `${compositeName(op as CompositeOp)}(${a})` : row(a, { arg: argDtype, out: dtype });
}

function renderCast(a: string, from: DType, to: DType): string {
  if (to === "bool") return `(${a} !== 0 ? 1 : 0)`;
  if (isF(to)) return to === "float32" ? `fround(${a})` : to === "float16" ? `f16round(${a})` : a;
  if (isF(from)) return `${FLOAT_TO_INT[to as IntDType]}(${a})`;
  return wrap(a, to);
}

function literal(value: number, dtype: DType): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  if (Object.is(value, -0)) return "-0";
  const v = dtype === "float32" ? Math.fround(value) : dtype === "float16" ? roundToFloat16(value) : value;
  return `(${String(v)})`;
}

/** Where an expression computes something more than once: names for its shared nodes, whose `const` lines go to `lines`. */
interface SharedNames {
  names: Map<Expr, string>;
  uses: Map<Expr, number>;
  lines: string[];
  /** Shared nodes invariant over the innermost loop go to `lines` before it, reading inputs through `loads` there. */
  outer?: { invariant(e: Expr): boolean; loads: string[]; lines: string[] };
}

/** Counts the uses of each node of a DAG; the nodes used twice or more (not loads, constants or indices) get names. */
function sharedNames(root: Expr, lines: string[]): SharedNames | undefined {
  const uses = new Map<Expr, number>();
  const visit = (e: Expr) => {
    const n = (uses.get(e) ?? 0) + 1;
    uses.set(e, n);
    if (n > 1) return;
    if (e.kind === "unary" || e.kind === "cast" || e.kind === "ipow") visit(e.arg);
    else if (e.kind === "binary") (visit(e.lhs), visit(e.rhs));
    else if (e.kind === "select") (visit(e.which), e.cases.forEach(visit));
    else if (e.kind === "fma") e.args.forEach(visit);
  };
  visit(root);
  let any = false;
  for (const [e, n] of uses) if (n > 1 && e.kind !== "input" && e.kind !== "const" && e.kind !== "index") any = true;
  return any ? { names: new Map(), uses, lines } : undefined;
}

/** Renders an expression; `loads[i]` is the source of input i at the loop point; shared nodes (if given) become `const`s. */
function renderExpr(e: Expr, loads: string[], indexVar: (axis: number) => string, root = true, shared?: SharedNames): string {
  const r = (x: Expr) => renderExpr(x, loads, indexVar, false, shared);
  if (e.kind === "input") return loads[e.input];
  const hoist = shared !== undefined && !root && e.kind !== "const" && e.kind !== "index" && (shared.uses.get(e) ?? 0) > 1;
  if (hoist) {
    const known = shared.names.get(e);
    if (known) return known;
  }
  // an invariant shared node, and everything under it, is rendered before the innermost loop
  const outer = hoist && shared.outer?.invariant(e) ? shared.outer : undefined;
  if (outer && loads !== outer.loads) {
    return renderExpr(e, outer.loads, indexVar, false, { ...shared!, lines: outer.lines });
  }
  const code = renderNode(e, r, indexVar);
  // float32 intermediates are rounded so that a fused chain gives what op-by-op evaluation gives
  // (the store rounds the root); float16 everywhere, since its Float32Array store does not
  const rounds = e.kind === "unary" || e.kind === "binary" || e.kind === "ipow";
  const out = !rounds ? code : e.dtype === "float32" && !root ? `fround(${code})` : e.dtype === "float16" ? `f16round(${code})` : code;
  if (!hoist) return out;
  const name = `s${shared.names.size}`;
  shared.names.set(e, name);
  shared.lines.push(`const ${name} = ${out};`);
  return name;
}

/** One node's source, its operands rendered by `r`; float results unrounded. */
function renderNode(e: Expr, r: (x: Expr) => string, indexVar: (axis: number) => string): string {
  switch (e.kind) {
    case "input":
      throw new Error("renderNode: inputs are the caller's");
    case "const":
      return literal(e.value, e.dtype);
    case "index":
      return indexVar(e.axis);
    case "unary":
      return renderUnary(e.op, r(e.arg), e.arg.dtype, e.dtype);
    case "binary":
      return JS_BINARY[e.op](r(e.lhs), r(e.rhs), { arg: e.lhs.dtype, out: e.dtype });
    case "cast":
      return renderCast(r(e.arg), e.arg.dtype, e.dtype);
    case "ipow":
      return isF(e.dtype) ? `ipow(${r(e.arg)}, ${e.exponent})` : wrap(`ipowInt(${r(e.arg)}, ${e.exponent})`, e.dtype);
    case "select": {
      const w = r(e.which);
      if (e.cases.length === 2) return `(${w} ? ${r(e.cases[1])} : ${r(e.cases[0])})`;
      let code = r(e.cases[e.cases.length - 1]);
      for (let i = e.cases.length - 2; i >= 0; i--) code = `(${w} === ${i} ? ${r(e.cases[i])} : ${code})`;
      return code;
    }
    case "fma":
      // rounded once to the dtype by the helper itself (scalar-math's fma32/fma16)
      return `${e.dtype === "float16" ? "fma16" : "fma32"}(${e.args.map(r).join(", ")})`;
  }
}

const usesIndex = (e: Expr) => someNode(e, (n) => n.kind === "index");

/**
 * The values of a multi-output kernel's expressions at one loop point: every
 * computed node that more than one parent (or output) holds (the same object:
 * fusion's sibling merge inlines an output's expression into the next one) is
 * a `const` computed once, rounded as an intermediate; the rest as in `renderExpr`.
 */
function renderOutputs(roots: Expr[], loads: string[], indexVar: (axis: number) => string): { lets: string[]; values: string[] } {
  const refs = new Map<Expr, number>();
  const count = (e: Expr) => {
    const n = (refs.get(e) ?? 0) + 1;
    refs.set(e, n);
    if (n > 1) return;
    switch (e.kind) {
      case "unary":
      case "cast":
      case "ipow":
        count(e.arg);
        break;
      case "binary":
        count(e.lhs);
        count(e.rhs);
        break;
      case "select":
        count(e.which);
        e.cases.forEach(count);
        break;
      case "fma":
        e.args.forEach(count);
        break;
      default:
        break;
    }
  };
  roots.forEach(count);
  const lets: string[] = [];
  const names = new Map<Expr, string>();
  const go = (e: Expr, root: boolean): string => {
    if (e.kind === "input") return loads[e.input];
    if (e.kind === "const" || e.kind === "index") return renderNode(e, (x) => go(x, false), indexVar);
    const known = names.get(e);
    if (known) return known;
    const shared = (refs.get(e) ?? 0) > 1;
    const code = renderNode(e, (x) => go(x, false), indexVar);
    const rounds = e.kind === "unary" || e.kind === "binary" || e.kind === "ipow";
    const value = !rounds ? code : e.dtype === "float32" && (!root || shared) ? `fround(${code})` : e.dtype === "float16" ? `f16round(${code})` : code;
    if (!shared) return value;
    const name = `s${names.size}`;
    names.set(e, name);
    lets.push(`const ${name} = ${value};`);
    return name;
  };
  return { lets, values: roots.map((r) => go(r, true)) };
}

export function reduceInit(op: ReduceOp, dtype: DType): number {
  switch (op) {
    case "sum":
      return 0;
    case "prod":
      return 1;
    case "max":
      return intInfo(dtype)?.min ?? (dtype === "bool" ? 0 : -Infinity);
    case "min":
      return intInfo(dtype)?.max ?? (dtype === "bool" ? 1 : Infinity);
  }
}

/** How each reduction folds a value into its accumulator (a statement). */
const JS_COMBINE: Record<ReduceOp, (acc: string, v: string, dtype: DType) => string> = {
  sum: (acc, v, d) => (isF(d) ? `${acc} += ${v};` : `${acc} = ${wrap(`${acc} + ${v}`, d)};`),
  prod: (acc, v, d) => (isF(d) ? `${acc} *= ${v};` : `${acc} = ${wrap(`Math.imul(${acc}, ${v})`, d)};`),
  // NaN propagates as in NumPy: once acc is NaN, no comparison replaces it; floats by Math.max/min,
  // which also order the zeros as JAX (+0 is the larger)
  max: (acc, v, d) => (isF(d) ? `${acc} = Math.max(${acc}, ${v});` : `{ const v = ${v}; if (v > ${acc}) ${acc} = v; }`),
  min: (acc, v, d) => (isF(d) ? `${acc} = Math.min(${acc}, ${v});` : `{ const v = ${v}; if (v < ${acc}) ${acc} = v; }`),
};
function renderCombine(op: ReduceOp, acc: string, v: string, dtype: DType): string {
  return JS_COMBINE[op](acc, v, dtype);
}

/**
 * Merges adjacent loop axes that every input walks contiguously, so that an
 * elementwise op over same-shape arrays becomes one flat loop.
 */
export function collapse(k: Kernel): Kernel {
  if (usesIndex(k.expr) || (k.more ?? []).some((o) => usesIndex(o.expr))) return k;
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

/** A compiled kernel: its output (for a kernel with siblings, each of its outputs in order), then its inputs. */
export type CompiledKernel = (...buffers: TypedArray[]) => void;

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
  const more = k.more ?? [];
  const outNames = ["out", ...more.map((_, w) => `out${w + 1}`)];
  // a node the expression reads more than once (a complex kernel's lanes share most of theirs) is computed once
  const shared: string[] = [];
  const names0 = more.length ? undefined : sharedNames(k.expr, shared); // sibling outputs share through renderOutputs
  // an elementwise kernel whose innermost axis only an index reads (a complex kernel's lane axis): the shared
  // nodes that do not depend on that axis are computed once before its loop, not once per lane
  const last = n - 1;
  const hoisted: string[] = [];
  if (names0 && !k.reduce && n >= 2 && k.inputs.every((inp) => inp.view.strides[last] === 0)) {
    const variant = new Map<Expr, boolean>();
    const varies = (e: Expr): boolean => {
      let v = variant.get(e);
      if (v !== undefined) return v;
      if (e.kind === "index") v = e.axis === last;
      else if (e.kind === "unary" || e.kind === "cast" || e.kind === "ipow") v = varies(e.arg);
      else if (e.kind === "binary") v = varies(e.lhs) || varies(e.rhs);
      else if (e.kind === "select") v = varies(e.which) || e.cases.some(varies);
      else if (e.kind === "fma") v = e.args.some(varies);
      else v = false;
      variant.set(e, v);
      return v;
    };
    names0.outer = { invariant: (e) => !varies(e), loads: k.inputs.map((inp, j) => `${names[j]}[${addr(j, last - 1)}]`), lines: hoisted };
  }
  const body = more.length ? "" : renderExpr(k.expr, loads, index, true, names0);
  lines.push("let o = 0;");
  let depth = 0;
  for (let d = 0; d < n; d++) {
    if (d === outAxes && k.reduce) {
      lines.push(`${ind(depth)}let acc = ${literal(reduceInit(k.reduce.op, k.dtype), k.dtype)};`);
    }
    if (d === last) for (const line of hoisted) lines.push(`${ind(depth)}${line}`);
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
    for (const line of shared) lines.push(`${ind(depth)}${line}`);
    lines.push(`${ind(depth)}${renderCombine(k.reduce.op, "acc", body, k.dtype)}`);
    // close the reduction loops, then store
    for (let d = n - 1; d >= outAxes; d--) lines.push(`${ind(--depth)}}`);
    lines.push(`${ind(depth)}out[o++] = acc;`);
    for (let d = outAxes - 1; d >= 0; d--) lines.push(`${ind(--depth)}}`);
  } else if (more.length) {
    // sibling outputs: their shared subexpressions (one output's value inside another's) computed once
    const stmts = renderOutputs([k.expr, ...more.map((o) => o.expr)], loads, index);
    for (const st of stmts.lets) lines.push(`${ind(depth)}${st}`);
    stmts.values.forEach((v, w) => lines.push(`${ind(depth)}${outNames[w]}[o] = ${v};`));
    lines.push(`${ind(depth)}o++;`);
    for (let d = n - 1; d >= 0; d--) lines.push(`${ind(--depth)}}`);
  } else {
    for (const line of shared) lines.push(`${ind(depth)}${line}`);
    lines.push(`${ind(depth)}out[o++] = ${body};`);
    for (let d = n - 1; d >= 0; d--) lines.push(`${ind(--depth)}}`);
  }
  return `return function kernel(${[...outNames, ...names].join(", ")}) {\n${lines.map((l) => "  " + l).join("\n")}\n};`;
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
    const helpers = { ...scalarMath, ...compositeHelpers };
    const names = Object.keys(helpers);
    const factory = new Function("fround", "f16round", ...names, src) as (...h: unknown[]) => CompiledKernel;
    fn = factory(Math.fround, roundToFloat16, ...names.map((h) => helpers[h as keyof typeof helpers]));
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
