/**
 * Helpers the lax families' StableHLO lowerings share: typed constants,
 * broadcasting of 0-d operands, comparisons and selects, reductions with a
 * body. They know StableHLO's ops, never a primitive.
 */
import { attr, type HloType, type HloValue } from "../backend/stablehlo.js";
import type { DType } from "../dtype.js";
import { isFloat } from "../dtype.js";
import type { BinaryOp, Expr, UnaryOp } from "../backend/kernel.js";
import type { StablehloContext, StablehloRule } from "./primitive.js";

export const hloType = (shape: readonly number[], dtype: DType): HloType => ({ shape, dtype });

/** The little-endian bytes of `values` as `dtype` (bool: one byte each). */
export function bytesOf(values: ArrayLike<number>, dtype: DType): Uint8Array {
  const n = values.length;
  switch (dtype as string) {
    case "float32":
      return new Uint8Array(Float32Array.from(values).buffer);
    case "float64":
      return new Uint8Array(Float64Array.from(values).buffer);
    // a complex constant of real values (jaxpr literals are real): interleaved (re, 0) pairs
    case "complex64":
    case "complex128": {
      const out = dtype === "complex64" ? new Float32Array(2 * n) : new Float64Array(2 * n);
      for (let i = 0; i < n; i++) out[2 * i] = values[i];
      return new Uint8Array(out.buffer);
    }
    case "int32":
      return new Uint8Array(Int32Array.from(values).buffer);
    case "uint32":
      return new Uint8Array(Uint32Array.from(values).buffer);
    case "int16":
      return new Uint8Array(Int16Array.from(values).buffer);
    case "uint16":
      return new Uint8Array(Uint16Array.from(values).buffer);
    case "int8":
      return new Uint8Array(Int8Array.from(values).buffer);
    case "uint8":
      return Uint8Array.from(values);
    case "bool": {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = values[i] ? 1 : 0;
      return out;
    }
    case "float16": {
      // through float32, rounding to nearest even on the 16-bit grid
      const f = new Float32Array(1);
      const u = new Uint32Array(f.buffer);
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        f[0] = values[i];
        out[i] = f32BitsToF16(u[0]);
      }
      return new Uint8Array(out.buffer);
    }
  }
  throw new Error("stablehlo: no byte encoding for this dtype");
}

function f32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = (mant | 0x800000) >>> (1 - e);
    const rounded = m + 0xfff + ((m >>> 13) & 1);
    return sign | (rounded >>> 13);
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  e = 0;
  return h;
}

/** A constant of one value in every element. */
export function full(ctx: StablehloContext, value: number, shape: readonly number[], dtype: DType): HloValue {
  const s = ctx.b.constant(bytesOf([value], dtype), hloType([], dtype));
  return shape.length === 0 ? s : broadcast(ctx, s, shape);
}

/** A 0-d value broadcast to `shape` (a value of that shape already is returned as it is). */
export function broadcast(ctx: StablehloContext, x: HloValue, shape: readonly number[]): HloValue {
  if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  const dims = x.shape.length === 0 ? [] : x.shape.map((_, i) => i + shape.length - x.shape.length);
  return ctx.b.op1("stablehlo.broadcast_in_dim", [x], hloType(shape, x.dtype), { broadcast_dimensions: attr.i64s(dims) });
}

export type Direction = "EQ" | "NE" | "LT" | "LE" | "GT" | "GE";

/** `compare` with the comparison type of the dtype (FLOAT, SIGNED, UNSIGNED; TOTALORDER on request). */
export function compare(ctx: StablehloContext, dir: Direction, a: HloValue, b: HloValue, total = false): HloValue {
  const d = a.dtype;
  const kind = isFloat(d) ? (total ? "TOTALORDER" : "FLOAT") : d === "bool" || (d as string).startsWith("uint") ? "UNSIGNED" : "SIGNED";
  return ctx.b.op1("stablehlo.compare", [a, b], hloType(a.shape, "bool"), {
    comparison_direction: attr.enumOf("comparison_direction", dir),
    compare_type: attr.enumOf("comparison_type", kind),
  });
}

export function select(ctx: StablehloContext, pred: HloValue, onTrue: HloValue, onFalse: HloValue): HloValue {
  return ctx.b.op1("stablehlo.select", [pred, onTrue, onFalse], onTrue.type);
}

/** A binary op on two values of one type. */
export const binop = (ctx: StablehloContext, name: string, a: HloValue, b: HloValue) => ctx.b.op1(name, [a, b], a.type);

/** A rule that applies one op to the (broadcast) operands, with the output's type. */
export function elementwiseOp(name: string): StablehloRule {
  return (ctx, args, _p, _a, [out]) => [ctx.b.op1(name, args.map((x) => broadcast(ctx, x, out.shape)), hloType(out.shape, out.dtype))];
}

/** `stablehlo.reduce` of several operands over `dims` with a body combining (accumulators, values). */
export function reduce(
  ctx: StablehloContext,
  operands: HloValue[],
  inits: HloValue[],
  dims: readonly number[],
  body: (acc: HloValue[], x: HloValue[]) => HloValue[],
): HloValue[] {
  const scalarTypes = operands.map((o) => hloType([], o.dtype));
  const region = ctx.b.region([...scalarTypes, ...scalarTypes], (args) => body(args.slice(0, operands.length), args.slice(operands.length)));
  const outShape = operands[0].shape.filter((_, i) => !dims.includes(i));
  return ctx.b.op(
    "stablehlo.reduce",
    [...operands, ...inits],
    operands.map((o) => hloType(outShape, o.dtype)),
    { dimensions: attr.i64s(dims) },
    [region],
  );
}

/** The identity of a reduction in a dtype: 0, 1, or the lowest/highest value. */
export function identityOf(op: "sum" | "prod" | "max" | "min", dtype: DType): number {
  if (op === "sum") return 0;
  if (op === "prod") return 1;
  const hi = op === "min";
  if (isFloat(dtype)) return hi ? Infinity : -Infinity;
  if (dtype === "bool") return hi ? 1 : 0;
  const bits = { int8: 8, int16: 16, int32: 32, uint8: 8, uint16: 16, uint32: 32 }[dtype as string] ?? 32;
  if ((dtype as string).startsWith("uint")) return hi ? 2 ** bits - 1 : 0;
  return hi ? 2 ** (bits - 1) - 1 : -(2 ** (bits - 1));
}

/** The op that combines two values for a reduction (bool max/min are or/and, bool sum is or). */
export function combinerOf(op: "sum" | "prod" | "max" | "min", dtype: DType): string {
  if (dtype === "bool") return op === "max" || op === "sum" ? "stablehlo.or" : "stablehlo.and";
  return { sum: "stablehlo.add", prod: "stablehlo.multiply", max: "stablehlo.maximum", min: "stablehlo.minimum" }[op];
}

// ---- scalar expressions of the kernel IR, as elementwise StableHLO ----------------------------

const UNARY_OPS: Partial<Record<UnaryOp, string>> = {
  neg: "stablehlo.negate", sign: "stablehlo.sign", floor: "stablehlo.floor", ceil: "stablehlo.ceil", round: "stablehlo.round_nearest_afz",
  abs: "stablehlo.abs", exp: "stablehlo.exponential", log: "stablehlo.log", log1p: "stablehlo.log_plus_one", expm1: "stablehlo.exponential_minus_one",
  sin: "stablehlo.sine", cos: "stablehlo.cosine", tan: "stablehlo.tan", asin: "chlo.asin", acos: "chlo.acos", atan: "chlo.atan", sinh: "chlo.sinh",
  cosh: "chlo.cosh", tanh: "stablehlo.tanh", asinh: "chlo.asinh", acosh: "chlo.acosh", atanh: "chlo.atanh", logistic: "stablehlo.logistic",
  sqrt: "stablehlo.sqrt", rsqrt: "stablehlo.rsqrt", cbrt: "stablehlo.cbrt", erf: "chlo.erf", erf_inv: "chlo.erf_inv", not: "stablehlo.not",
};
const BINARY_OPS: Partial<Record<BinaryOp, string>> = {
  add: "stablehlo.add", sub: "stablehlo.subtract", mul: "stablehlo.multiply", div: "stablehlo.divide", rem: "stablehlo.remainder",
  pow: "stablehlo.power", max: "stablehlo.maximum", min: "stablehlo.minimum", atan2: "stablehlo.atan2", nextafter: "chlo.next_after",
  and: "stablehlo.and", or: "stablehlo.or", xor: "stablehlo.xor", shl: "stablehlo.shift_left",
};
const COMPARISONS: Partial<Record<BinaryOp, Direction>> = { eq: "EQ", ne: "NE", lt: "LT", le: "LE", gt: "GT", ge: "GE" };

// ---- loops of scalar expressions ---------------------------------------------------------------

/** A step of an expression loop: `at(f)` is f(k) for the step's loop value k (a constant when unrolled). */
export type LoopStep = (at: (f: (k: number) => number) => Expr, acc: Expr) => Expr;
interface ExprLoop {
  ks: readonly number[];
  init: Expr;
  step: LoopStep;
  dtype: DType;
}
/** The loops `unrolledLoop` built, by the expression node each one's result is. */
const exprLoops = new WeakMap<Expr, ExprLoop>();
/** Loops shorter than this stay unrolled in StableHLO too. */
const MIN_LOOP = 8;

/**
 * `acc = step(k, acc)` for each k of `ks` in turn, from `init`: the unrolled
 * expression, which the kernels (CPU, WebGPU, fusion) run as it is. The
 * result also remembers the loop, so that `scalarExpr` writes it as one
 * `stablehlo.while` over a table of each step's constants instead of
 * `ks.length` copies of the step (the same operations on the same values,
 * in the same order: the results are unchanged). A series or continued
 * fraction of many terms is such a loop.
 */
export function unrolledLoop(b: { c(v: number): Expr; readonly d: DType }, ks: readonly number[], init: Expr, step: LoopStep): Expr {
  let acc = init;
  for (const k of ks) acc = step((f) => b.c(f(k)), acc);
  if (ks.length >= MIN_LOOP) exprLoops.set(acc, { ks, init, step, dtype: b.d });
  return acc;
}

const children = (e: Expr): Expr[] =>
  e.kind === "unary" || e.kind === "cast" || e.kind === "ipow" ? [e.arg] : e.kind === "binary" ? [e.lhs, e.rhs] : e.kind === "select" ? [e.which, ...e.cases] : e.kind === "fma" ? [...e.args] : [];

/**
 * A scalar expression of the kernel IR (what an elementwise primitive's
 * `scalar` rule builds) written out as elementwise StableHLO ops over
 * `shape`, its inputs bound to `args` (0-d ones broadcast). Shared
 * subexpressions are emitted once. This is how a primitive whose math jaxon
 * spells as one expression (the incomplete gamma and beta functions, as JAX
 * too expands them) lowers the same algorithm that jaxon's kernels run.
 */
export function scalarExpr(ctx: StablehloContext, expr: Expr, args: readonly HloValue[], shape: readonly number[]): HloValue {
  // (a loop's body has its own copies of these two, so that nothing it emits is used outside it)
  let done = new Map<Expr, HloValue>();
  let consts = new Map<string, HloValue>();
  const ins = args.map((a) => broadcast(ctx, a, shape));
  const t = (dtype: DType) => hloType(shape, dtype);
  const emit = (e: Expr): HloValue => {
    let v = done.get(e);
    if (v) return v;
    const loop = exprLoops.get(e);
    v = loop ? emitLoop(loop) : emitNode(e);
    done.set(e, v);
    return v;
  };
  /** A registered loop as stablehlo.while: the step's constants are tables indexed by the counter, what does not depend on the loop is emitted before it. */
  const emitLoop = (loop: ExprLoop): HloValue => {
    const init = emit(loop.init);
    const acc: Expr = { kind: "input", input: -1, dtype: loop.dtype };
    const tables = new Map<string, { values: number[]; node: Expr }>();
    const body = loop.step((f) => {
      const values = loop.ks.map(f);
      const key = values.join(",");
      let table = tables.get(key);
      if (!table) tables.set(key, (table = { values, node: { kind: "input", input: -2 - tables.size, dtype: loop.dtype } }));
      return table.node;
    }, acc);
    const inner = new Set<Expr>([acc, ...[...tables.values()].map((x) => x.node)]);
    const depends = new Map<Expr, boolean>();
    const dep = (x: Expr): boolean => {
      let d = depends.get(x);
      if (d === undefined) depends.set(x, (d = inner.has(x) || children(x).some(dep)));
      return d;
    };
    const hoist = (x: Expr): void => {
      if (!dep(x)) emit(x);
      else if (!done.has(x)) children(x).forEach(hoist);
    };
    hoist(body);
    const vectors = [...tables.values()].map(({ values, node }) => ({ node, v: ctx.b.constant(bytesOf(values, loop.dtype), hloType([values.length], loop.dtype)) }));
    const i32 = hloType([], "int32");
    const zero = ctx.b.constant(bytesOf([0], "int32"), i32);
    const types = [i32, init.type];
    const cond = ctx.b.region(types, ([k]) => [compare(ctx, "LT", k, ctx.b.constant(bytesOf([loop.ks.length], "int32"), i32))]);
    const step = ctx.b.region(types, ([k, a]) => {
      const [outerDone, outerConsts] = [done, consts];
      done = new Map(done);
      consts = new Map(consts);
      try {
        done.set(acc, a);
        for (const { node, v } of vectors) {
          const one = ctx.b.op1("stablehlo.dynamic_slice", [v, k], hloType([1], loop.dtype), { slice_sizes: attr.i64s([1]) });
          done.set(node, broadcast(ctx, ctx.b.op1("stablehlo.reshape", [one], hloType([], loop.dtype)), shape));
        }
        return [binop(ctx, "stablehlo.add", k, ctx.b.constant(bytesOf([1], "int32"), i32)), emit(body)];
      } finally {
        [done, consts] = [outerDone, outerConsts];
      }
    });
    return ctx.b.op("stablehlo.while", [zero, init], types, {}, [cond, step])[1];
  };
  const emitNode = (e: Expr): HloValue => {
    switch (e.kind) {
      case "input":
        if (!ins[e.input]) throw new Error("stablehlo: a scalar expression reads a missing input");
        return ins[e.input];
      case "const": {
        const key = `${e.dtype}:${Object.is(e.value, -0) ? "-0" : e.value}`;
        let c = consts.get(key);
        if (!c) consts.set(key, (c = full(ctx, e.value, shape, e.dtype)));
        return c;
      }
      case "cast": {
        const x = emit(e.arg);
        if (x.dtype === e.dtype) return x;
        if (e.dtype === "bool") return compare(ctx, "NE", x, full(ctx, 0, shape, x.dtype));
        return ctx.b.op1("stablehlo.convert", [x], t(e.dtype));
      }
      case "ipow":
        return integerPower(ctx, emit(e.arg), e.exponent);
      case "fma": {
        // StableHLO has no fused multiply-add: a multiply and an add, which XLA's CPU and GPU
        // compilers contract into one fma (that contraction is what lax.fma reproduces); a
        // compiler that does not contract them rounds twice
        const [a, b, c] = e.args.map(emit);
        return binop(ctx, "stablehlo.add", binop(ctx, "stablehlo.multiply", a, b), c);
      }
      case "select": {
        const which = emit(e.which);
        const cases = e.cases.map(emit);
        if (which.dtype === "bool") return select(ctx, which, cases[1], cases[0]);
        let r = cases[0];
        for (let i = 1; i < cases.length; i++) r = select(ctx, compare(ctx, "GE", which, full(ctx, i, shape, which.dtype)), cases[i], r);
        return r;
      }
      case "unary": {
        const x = emit(e.arg);
        const name = UNARY_OPS[e.op];
        if (name) return ctx.b.op1(name, [x], t(e.dtype));
        switch (e.op) {
          case "exp2":
            return ctx.b.op1("stablehlo.exponential", [binop(ctx, "stablehlo.multiply", x, full(ctx, Math.LN2, shape, x.dtype))], x.type);
          case "reciprocal":
            return binop(ctx, "stablehlo.divide", full(ctx, 1, shape, x.dtype), x);
          case "square":
            return binop(ctx, "stablehlo.multiply", x, x);
          case "is_finite":
            return ctx.b.op1("stablehlo.is_finite", [x], t("bool"));
        }
        throw new Error(`stablehlo: no lowering of the scalar op ${e.op}`);
      }
      case "binary": {
        const a = emit(e.lhs);
        const b = emit(e.rhs);
        const dir = COMPARISONS[e.op];
        if (dir) return compare(ctx, dir, a, b);
        const name = BINARY_OPS[e.op];
        if (name) return ctx.b.op1(name, [a, b], t(e.dtype));
        if (e.op === "shr") return ctx.b.op1((a.dtype as string).startsWith("uint") ? "stablehlo.shift_right_logical" : "stablehlo.shift_right_arithmetic", [a, b], a.type);
        if (e.op === "copysign") {
          // |a| with the sign of b (its sign bit: -0 counts as negative)
          const mag = ctx.b.op1("stablehlo.abs", [a], a.type);
          const zero = full(ctx, 0, shape, b.dtype);
          const negative = ctx.b.op1("stablehlo.or", [compare(ctx, "LT", b, zero), compare(ctx, "LT", binop(ctx, "stablehlo.divide", full(ctx, 1, shape, b.dtype), b), zero)], t("bool"));
          return select(ctx, negative, ctx.b.op1("stablehlo.negate", [mag], a.type), mag);
        }
        throw new Error(`stablehlo: no lowering of the scalar op ${e.op}`);
      }
      case "index":
        throw new Error("stablehlo: a scalar expression with a loop index is not elementwise");
    }
  };
  return emit(expr);
}

/** x^y by repeated squaring (y an integer; a negative y is the reciprocal), as JAX's integer_pow. */
export function integerPower(ctx: StablehloContext, x: HloValue, y: number): HloValue {
  let n = Math.abs(y);
  let acc: HloValue | null = null;
  let sq = x;
  while (n > 0) {
    if (n & 1) acc = acc === null ? sq : binop(ctx, "stablehlo.multiply", acc, sq);
    n = Math.floor(n / 2);
    if (n > 0) sq = binop(ctx, "stablehlo.multiply", sq, sq);
  }
  const one = () => full(ctx, 1, x.shape, x.dtype);
  if (acc === null) return one();
  return y < 0 ? binop(ctx, "stablehlo.divide", one(), acc) : acc;
}

/** An arithmetic op that is logic on bools (mul is and, max is or, min is and), on the broadcast operands. */
export function logicOr(arith: string, logic: string): StablehloRule {
  return (ctx, args, _p, _a, [out]) => {
    const [a, b] = args.map((x) => broadcast(ctx, x, out.shape));
    return [binop(ctx, out.dtype === "bool" ? logic : arith, a, b)];
  };
}

/** A comparison primitive (`eq`, `lt`, ...) as `stablehlo.compare` of the broadcast operands. */
export function compareRule(name: string): StablehloRule {
  const dir = name.toUpperCase() as Direction;
  return (ctx, args, _p, _a, [out]) => {
    const [a, b] = args.map((x) => broadcast(ctx, x, out.shape));
    return [compare(ctx, dir, a, b)];
  };
}
