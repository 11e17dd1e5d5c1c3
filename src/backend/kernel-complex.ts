/**
 * Complex kernels as real ones. A kernel whose expression has complex dtypes
 * (complex64, complex128) is rewritten, before any renderer sees it, into a
 * kernel over the float pairs that store complex arrays (interleaved re, im):
 *
 * - every complex input becomes two real inputs, its real and its imaginary
 *   lane (the view's strides and offset doubled, the imaginary one offset by 1);
 * - every complex subexpression becomes a pair of real expressions (the
 *   formulas of src/backend/complex-exprs.ts, one place for every backend);
 * - a complex output adds a lane axis of size 2 to the loop (last of the kept
 *   axes, so that the output is stored interleaved) and stores
 *   `lane == 0 ? re : im`. A real output (`real(z·w)`) needs no lane axis.
 *
 * So a complex elementwise chain is one kernel on the CPU (JS/Wasm) and on
 * WebGPU alike, each thread computing one float lane of the result.
 */
import { UnsupportedError } from "../errors.js";
import type { DType } from "../dtype.js";
import { isComplexDType, storageDType } from "../dtype.js";
import type { Expr, Kernel, View } from "./kernel.js";
import { constant } from "./kernel.js";
import type { PairExpr } from "./complex-exprs.js";
import { complexBinary, complexUnary, materialize, ZERO } from "./complex-exprs.js";

/** Whether a kernel computes with complex values anywhere (inputs, output or expression). */
export function hasComplex(k: Kernel): boolean {
  if (isComplexDType(k.dtype) || k.inputs.some((i) => isComplexDType(i.dtype))) return true;
  if (k.more?.some((o) => isComplexDType(o.dtype))) return true;
  return exprHasComplex(k.expr, new Set());
}

function exprHasComplex(e: Expr, seen: Set<Expr>): boolean {
  if (seen.has(e)) return false;
  seen.add(e);
  if (isComplexDType(e.dtype)) return true;
  switch (e.kind) {
    case "unary":
    case "cast":
    case "ipow":
      return exprHasComplex(e.arg, seen);
    case "binary":
      return exprHasComplex(e.lhs, seen) || exprHasComplex(e.rhs, seen);
    case "select":
      return exprHasComplex(e.which, seen) || e.cases.some((c) => exprHasComplex(c, seen));
    case "fma":
      return e.args.some((c) => exprHasComplex(c, seen));
    default:
      return false;
  }
}

/** A complex kernel as a real one: `inputs[j]` is the original input that the real kernel's input j reads (a complex one twice: re, im). */
export interface PairKernel {
  kernel: Kernel;
  inputs: number[];
}

const cache = new WeakMap<Kernel, PairKernel | null>();

/** The real kernel over float pairs that computes complex kernel `k`, or null when `k` has no complex values. */
export function pairKernel(k: Kernel): PairKernel | null {
  let out = cache.get(k);
  if (out === undefined) cache.set(k, (out = hasComplex(k) ? lower(k) : null));
  return out;
}

function lower(k: Kernel): PairKernel {
  if (k.more?.length) throw new UnsupportedError("internal: a multi-output kernel with complex values (fusion keeps complex kernels single-output)");
  if (k.reduce?.epilogue) throw new UnsupportedError("internal: a reduction epilogue with complex values (fusion does not fold complex epilogues)");
  const laned = isComplexDType(k.dtype);
  if (laned && k.reduce && k.reduce.op !== "sum") throw new UnsupportedError(`a ${k.reduce.op} reduction of complex values is not defined (JAX has only sums and products of complex values; products are not supported yet)`);
  const n = k.loopShape.length;
  const reduced = k.reduce?.axes ?? 0;
  // the lane axis goes last among the kept axes: the output is row-major over them, so interleaved
  const laneAxis = n - reduced;
  const widen = (strides: number[], lane: number) => (laned ? [...strides.slice(0, laneAxis), lane, ...strides.slice(laneAxis)] : strides);
  const inputs: { dtype: DType; view: View }[] = [];
  const sources: number[] = [];
  const loads: (Expr | PairExpr)[] = k.inputs.map((inp, j) => {
    if (!isComplexDType(inp.dtype)) {
      sources.push(j);
      inputs.push({ dtype: inp.dtype, view: { strides: widen(inp.view.strides, 0), offset: inp.view.offset } });
      return { kind: "input", input: inputs.length - 1, dtype: inp.dtype } as Expr;
    }
    const part = storageDType(inp.dtype);
    const strides = widen(inp.view.strides.map((s) => 2 * s), 0);
    sources.push(j, j);
    inputs.push({ dtype: part, view: { strides, offset: 2 * inp.view.offset } });
    inputs.push({ dtype: part, view: { strides: [...strides], offset: 2 * inp.view.offset + 1 } });
    return {
      re: { kind: "input", input: inputs.length - 2, dtype: part } as Expr,
      im: { kind: "input", input: inputs.length - 1, dtype: part } as Expr,
    };
  });
  const memo = new Map<Expr, Expr | PairExpr>();
  const real = (e: Expr): Expr => {
    const v = visit(e);
    if (!isExpr(v)) throw new Error("internal: a complex value where a real one belongs");
    return v;
  };
  const pair = (e: Expr): PairExpr => {
    const v = visit(e);
    if (isExpr(v)) throw new Error("internal: a real value where a complex one belongs");
    return v;
  };
  const visit = (e: Expr): Expr | PairExpr => {
    let v = memo.get(e);
    if (v === undefined) memo.set(e, (v = rewrite(e)));
    return v;
  };
  const rewrite = (e: Expr): Expr | PairExpr => {
    const d = e.dtype;
    if (!isComplexDType(d)) {
      switch (e.kind) {
        case "input":
          return loads[e.input] as Expr;
        case "const":
        case "index":
          return e;
        case "cast": {
          if (!isComplexDType(e.arg.dtype)) return { ...e, arg: real(e.arg) };
          const z = pair(e.arg);
          const part = e.part === "im" ? z.im : z.re;
          return castTo(materialize(part, storageDType(e.arg.dtype)), d);
        }
        case "unary":
          if (isComplexDType(e.arg.dtype)) return complexUnary(e.op, pair(e.arg), storageDType(e.arg.dtype), d) as Expr;
          return { ...e, arg: real(e.arg) };
        case "binary":
          if (isComplexDType(e.lhs.dtype)) return complexBinary(e.op, pair(e.lhs), pair(e.rhs), storageDType(e.lhs.dtype), d) as Expr;
          return { ...e, lhs: real(e.lhs), rhs: real(e.rhs) };
        case "select":
          return { ...e, which: real(e.which), cases: e.cases.map(real) };
        case "ipow":
          return { ...e, arg: real(e.arg) };
        case "fma":
          return { ...e, args: e.args.map(real) as [Expr, Expr, Expr] };
      }
    }
    const p = storageDType(d);
    switch (e.kind) {
      case "input":
        return loads[e.input] as PairExpr;
      case "const":
        return { re: constant(e.value, p), im: constant(0, p) };
      case "index":
        return { re: castTo({ ...e, dtype: "int32" }, p), im: constant(0, p) };
      case "cast": {
        if (isComplexDType(e.arg.dtype)) {
          const z = pair(e.arg);
          return { re: z.re === ZERO ? ZERO : castTo(z.re, p), im: z.im === ZERO ? ZERO : castTo(z.im, p) };
        }
        const x = castTo(real(e.arg), p);
        // JAX's convert: x + 0j; `part: "im"` (lax.complex's encoding) places x as the imaginary part exactly
        return e.part === "im" ? { re: ZERO, im: x } : { re: x, im: constant(0, p) };
      }
      case "unary":
        return complexUnary(e.op, pair(e.arg), p, d) as PairExpr;
      case "binary":
        return complexBinary(e.op, pair(e.lhs), pair(e.rhs), p, d) as PairExpr;
      case "select": {
        const which = real(e.which);
        const cs = e.cases.map(pair);
        return {
          re: { kind: "select", which, cases: cs.map((c) => materialize(c.re, p)), dtype: p },
          im: { kind: "select", which, cases: cs.map((c) => materialize(c.im, p)), dtype: p },
        };
      }
      case "ipow":
        return complexIntegerPow(pair(e.arg), e.exponent, p);
      case "fma":
        throw new Error("internal: fma is real only");
    }
  };
  const partDtype = storageDType(k.dtype);
  let expr: Expr;
  if (laned) {
    const z = pair(k.expr);
    expr = { kind: "select", which: { kind: "index", axis: laneAxis, dtype: "int32" }, cases: [materialize(z.re, partDtype), materialize(z.im, partDtype)], dtype: partDtype };
  } else expr = real(k.expr);
  // a lane no expression reads (the imaginary one under real(z)) is no input: a device binds only what its shader declares
  const used = new Set<number>();
  const seen = new Set<Expr>();
  const mark = (e: Expr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    if (e.kind === "input") used.add(e.input);
    else if (e.kind === "unary" || e.kind === "cast" || e.kind === "ipow") mark(e.arg);
    else if (e.kind === "binary") (mark(e.lhs), mark(e.rhs));
    else if (e.kind === "select") (mark(e.which), e.cases.forEach(mark));
    else if (e.kind === "fma") e.args.forEach(mark);
  };
  mark(expr);
  const renumber = new Map<number, number>();
  const kept = inputs.map((_, j) => j).filter((j) => used.has(j));
  kept.forEach((j, i) => renumber.set(j, i));
  const moved = new Map<Expr, Expr>();
  const rename = (e: Expr): Expr => {
    let r = moved.get(e);
    if (r) return r;
    switch (e.kind) {
      case "input":
        r = { ...e, input: renumber.get(e.input)! };
        break;
      case "unary":
      case "cast":
      case "ipow":
        r = { ...e, arg: rename(e.arg) };
        break;
      case "binary":
        r = { ...e, lhs: rename(e.lhs), rhs: rename(e.rhs) };
        break;
      case "select":
        r = { ...e, which: rename(e.which), cases: e.cases.map(rename) };
        break;
      case "fma":
        r = { ...e, args: e.args.map(rename) as [Expr, Expr, Expr] };
        break;
      default:
        r = e;
    }
    moved.set(e, r);
    return r;
  };
  const kernel: Kernel = {
    loopShape: laned ? [...k.loopShape.slice(0, laneAxis), 2, ...k.loopShape.slice(laneAxis)] : [...k.loopShape],
    inputs: kept.map((j) => inputs[j]),
    expr: kept.length === inputs.length ? expr : rename(expr),
    ...(k.reduce ? { reduce: { op: k.reduce.op, axes: k.reduce.axes } } : {}),
    dtype: partDtype,
  };
  return { kernel, inputs: kept.map((j) => sources[j]) };
}

function isExpr(v: Expr | PairExpr): v is Expr {
  return "kind" in v;
}

function castTo(x: Expr, d: DType): Expr {
  return x.dtype === d ? x : { kind: "cast", arg: x, dtype: d };
}

/** z^n by repeated squaring (as XLA's integer_pow); a negative n is 1 / z^|n|. */
function complexIntegerPow(z: PairExpr, n: number, p: DType): PairExpr {
  let acc: PairExpr | null = null;
  let base = z;
  let m = Math.abs(n);
  while (m > 0) {
    if (m & 1) acc = acc ? (complexBinary("mul", acc, base, p, p) as PairExpr) : base;
    m >>= 1;
    if (m) base = complexBinary("mul", base, base, p, p) as PairExpr;
  }
  const one: PairExpr = { re: constant(1, p), im: constant(0, p) };
  if (!acc) return one;
  return n < 0 ? (complexBinary("div", one, acc, p, p) as PairExpr) : acc;
}
