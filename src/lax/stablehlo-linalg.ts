/**
 * StableHLO lowerings of the matrix factorizations lu, qr, eigh and svd
 * (exportStableHLO). JAX lowers these to LAPACK/cuSOLVER custom calls, which
 * only run where those libraries are linked; jaxon exports its OWN
 * algorithms instead, as portable StableHLO that any XLA device (and IREE)
 * runs: `stablehlo.while` loops over dynamic slices and updates, every op
 * vectorised over the batch (a stack of matrices is one loop, its leading
 * axes flattened to one batch axis), in the operand's dtype (float32 or
 * float64).
 *
 * The algorithms are those of the CPU routines (src/backend/cpu/linalg.ts),
 * step for step, so that the exported module gives jaxon's results with
 * jaxon's conventions:
 * - lu: partial pivoting with LAPACK getrf's choice (the first largest
 *   |pivot|), a zero pivot leaving its column as is; pivots and the
 *   permutation as jaxon returns them;
 * - qr: Householder reflections with LAPACK's sign convention
 *   (β = -sign(α)·‖x‖, τ = 0 for a column already zero below the diagonal),
 *   Q accumulated last reflector first; full and reduced modes;
 * - eigh: cyclic Jacobi sweeps (pairs p < q in row order, the same rotation
 *   formula), eigenvalues sorted ascending (stable) with their vectors;
 * - svd: one-sided (Hestenes) Jacobi on the tall orientation (a wide matrix
 *   is done as its transpose), singular values descending (stable), U's
 *   columns completed by Gram–Schmidt with re-orthogonalization where a
 *   singular value vanishes or full_matrices asks for more columns.
 * A non-finite matrix gives NaNs in every output of eigh and svd, as jaxon
 * (and LAPACK). The CPU routines compute in float64 whatever the storage
 * dtype; the module computes in the operand's dtype, so float32 results
 * agree to float32 rounding. The convergence thresholds of the Jacobi loops
 * are jaxon's in float64 and scaled to float32's epsilon in float32 (a
 * float32 iteration cannot reach float64's threshold); the loops are capped
 * at jaxon's sweep counts (100 for eigh, 60 for svd).
 */
import { attr, type HloValue } from "../backend/stablehlo.js";
import type { DType } from "../dtype.js";
import { UnsupportedError } from "../errors.js";
import type { Params } from "../trace/core.js";
import type { ShapedArray } from "./primitive.js";
import type { StablehloContext } from "./primitive.js";
import { bytesOf, compare, type Direction, full, hloType, reduce } from "./stablehlo-ops.js";

/** Elementwise and shape ops on one batch of matrices, in one float dtype. */
class Emit {
  constructor(
    readonly ctx: StablehloContext,
    readonly dtype: DType,
  ) {}
  private get b() {
    return this.ctx.b;
  }
  /** Constants made so far, one map per open block (the function's, then each loop region's): a region sees its enclosing blocks' values. */
  #constants: Map<string, HloValue>[] = [new Map()];
  /** A constant of `shape` (a scalar by default) in `dtype`, made once per block. */
  c(value: number, shape: readonly number[] = [], dtype: DType = this.dtype): HloValue {
    const key = `${Object.is(value, -0) ? "-0" : value}:${shape.join("x")}:${dtype}`;
    for (let i = this.#constants.length - 1; i >= 0; i--) {
      const v = this.#constants[i].get(key);
      if (v) return v;
    }
    // a splat: one element's bytes for the whole tensor (bool through uint8, as the builder's constants)
    const v =
      dtype === "bool" || shape.length === 0
        ? full(this.ctx, value, shape, dtype)
        : this.b.op1("stablehlo.constant", [], hloType(shape, dtype), { value: attr.dense(bytesOf([value], dtype), hloType(shape, dtype)) });
    this.#constants[this.#constants.length - 1].set(key, v);
    return v;
  }
  /** A while loop's region: its own block of constants. */
  private region(types: HloValue["type"][], body: (args: HloValue[]) => HloValue[]): string {
    this.#constants.push(new Map());
    try {
      return this.b.region(types, body);
    } finally {
      this.#constants.pop();
    }
  }
  /** 0-d operands broadcast to the other's shape. */
  private same(a: HloValue, b: HloValue): [HloValue, HloValue] {
    if (a.shape.length === 0 && b.shape.length > 0) a = this.bc(a, b.shape, []);
    if (b.shape.length === 0 && a.shape.length > 0) b = this.bc(b, a.shape, []);
    return [a, b];
  }
  bin(name: string, a: HloValue, b: HloValue): HloValue {
    [a, b] = this.same(a, b);
    return this.b.op1(name, [a, b], a.type);
  }
  add = (a: HloValue, b: HloValue) => this.bin("stablehlo.add", a, b);
  sub = (a: HloValue, b: HloValue) => this.bin("stablehlo.subtract", a, b);
  mul = (a: HloValue, b: HloValue) => this.bin("stablehlo.multiply", a, b);
  div = (a: HloValue, b: HloValue) => this.bin("stablehlo.divide", a, b);
  max = (a: HloValue, b: HloValue) => this.bin("stablehlo.maximum", a, b);
  and = (a: HloValue, b: HloValue) => this.bin("stablehlo.and", a, b);
  or = (a: HloValue, b: HloValue) => this.bin("stablehlo.or", a, b);
  un(name: string, a: HloValue): HloValue {
    return this.b.op1(name, [a], a.type);
  }
  abs = (a: HloValue) => this.un("stablehlo.abs", a);
  sqrt = (a: HloValue) => this.un("stablehlo.sqrt", a);
  neg = (a: HloValue) => this.un("stablehlo.negate", a);
  not = (a: HloValue) => this.un("stablehlo.not", a);
  cmp(dir: Direction, a: HloValue, b: HloValue): HloValue {
    [a, b] = this.same(a, b);
    return compare(this.ctx, dir, a, b);
  }
  isFinite = (a: HloValue) => this.b.op1("stablehlo.is_finite", [a], hloType(a.shape, "bool"));
  /** select(pred, t, f), 0-d operands broadcast to the largest shape. */
  sel(pred: HloValue, t: HloValue, f: HloValue): HloValue {
    const shape = [pred, t, f].reduce((s, v) => (v.shape.length > s.length ? v.shape : s), [] as readonly number[]);
    const up = (v: HloValue) => (v.shape.length === 0 && shape.length > 0 ? this.bc(v, shape, []) : v);
    return this.b.op1("stablehlo.select", [up(pred), up(t), up(f)], hloType(shape, t.dtype));
  }
  /** broadcast_in_dim: x's axes become `dims` of `shape`. */
  bc(x: HloValue, shape: readonly number[], dims: readonly number[]): HloValue {
    return this.b.op1("stablehlo.broadcast_in_dim", [x], hloType(shape, x.dtype), { broadcast_dimensions: attr.i64s(dims) });
  }
  reshape(x: HloValue, shape: readonly number[]): HloValue {
    return this.b.op1("stablehlo.reshape", [x], hloType(shape, x.dtype));
  }
  transpose(x: HloValue, perm: readonly number[]): HloValue {
    return this.b.op1("stablehlo.transpose", [x], hloType(perm.map((p) => x.shape[p]), x.dtype), { permutation: attr.i64s(perm) });
  }
  convert(x: HloValue, dtype: DType): HloValue {
    return this.b.op1("stablehlo.convert", [x], hloType(x.shape, dtype));
  }
  iota(shape: readonly number[], dim: number): HloValue {
    return this.b.op1("stablehlo.iota", [], hloType(shape, "int32"), { iota_dimension: attr.int(dim) });
  }
  slice(x: HloValue, start: readonly number[], limit: readonly number[]): HloValue {
    return this.b.op1("stablehlo.slice", [x], hloType(limit.map((l, i) => l - start[i]), x.dtype), {
      start_indices: attr.i64s(start),
      limit_indices: attr.i64s(limit),
      strides: attr.i64s(start.map(() => 1)),
    });
  }
  concat(xs: HloValue[], dim: number): HloValue {
    const shape = xs[0].shape.map((d, i) => (i === dim ? xs.reduce((s, x) => s + x.shape[i], 0) : d));
    return this.b.op1("stablehlo.concatenate", xs, hloType(shape, xs[0].dtype), { dimension: attr.int(dim) });
  }
  /** dynamic_slice at int32 scalar starts (plain numbers become constants). */
  dslice(x: HloValue, starts: (HloValue | number)[], sizes: readonly number[]): HloValue {
    const s = starts.map((v) => (typeof v === "number" ? this.c(v, [], "int32") : v));
    return this.b.op1("stablehlo.dynamic_slice", [x, ...s], hloType(sizes, x.dtype), { slice_sizes: attr.i64s(sizes) });
  }
  dupdate(x: HloValue, update: HloValue, starts: (HloValue | number)[]): HloValue {
    const s = starts.map((v) => (typeof v === "number" ? this.c(v, [], "int32") : v));
    return this.b.op1("stablehlo.dynamic_update_slice", [x, update, ...s], x.type);
  }
  /** A reduction over `dims` with one combining op. */
  red(x: HloValue, dims: readonly number[], op: string, init: number): HloValue {
    return reduce(this.ctx, [x], [this.c(init, [], x.dtype)], dims, ([a], [v]) => [this.b.op1(op, [a, v], a.type)])[0];
  }
  sum = (x: HloValue, dims: readonly number[]) => this.red(x, dims, "stablehlo.add", 0);
  /** Batched [B, i, j] · [B, j, k] (contracting `lc`/`rc` with batch axis 0 on both). */
  dot(a: HloValue, b: HloValue, lc: number, rc: number, shape: readonly number[]): HloValue {
    return this.b.op1("stablehlo.dot_general", [a, b], hloType(shape, a.dtype), {
      dot_dimension_numbers: attr.struct("dot", { lhs_batching_dimensions: [0], rhs_batching_dimensions: [0], lhs_contracting_dimensions: [lc], rhs_contracting_dimensions: [rc] }),
    });
  }
  /**
   * `for (i = from; i < to; i++) carry = body(i, carry)` as a stablehlo.while
   * with an int32 counter; `count` iterations counting down from `to - 1` when `down`.
   */
  fori(count: number, init: HloValue[], body: (i: HloValue, carry: HloValue[]) => HloValue[], down = false): HloValue[] {
    if (count <= 0) return init;
    const zero = this.c(0, [], "int32");
    const types = [zero.type, ...init.map((v) => v.type)];
    const cond = this.region(types, ([k]) => [this.cmp("LT", k, this.c(count, [], "int32"))]);
    const loop = this.region(types, ([k, ...carry]) => {
      const i = down ? this.sub(this.c(count - 1, [], "int32"), k) : k;
      return [this.add(k, this.c(1, [], "int32")), ...body(i, carry)];
    });
    return this.b.op("stablehlo.while", [zero, ...init], types, {}, [cond, loop]).slice(1);
  }
  /** A while loop whose condition and body see the carry. */
  loop(init: HloValue[], cond: (carry: HloValue[]) => HloValue, body: (carry: HloValue[]) => HloValue[]): HloValue[] {
    const types = init.map((v) => v.type);
    const c = this.region(types, (carry) => [cond(carry)]);
    const l = this.region(types, body);
    return this.b.op("stablehlo.while", init, types, {}, [c, l]);
  }
  /** ‖x‖ over `dim`, scaled by the largest |element| (no overflow or underflow of the squares); 0 for a zero vector, |x|'s max for a non-finite one. */
  norm(x: HloValue, dim: number): HloValue {
    const shape = x.shape.filter((_, i) => i !== dim);
    const big = this.red(this.abs(x), [dim], "stablehlo.maximum", 0);
    const keep = x.shape.map((_, i) => i).filter((i) => i !== dim);
    const safe = this.sel(this.cmp("EQ", big, this.c(0)), this.c(1, shape), big);
    const r = this.div(x, this.bc(safe, x.shape, keep));
    const scaled = this.mul(big, this.sqrt(this.sum(this.mul(r, r), [dim])));
    return this.sel(this.isFinite(big), scaled, big);
  }
  /** hypot(a, b), scaled. */
  hypot(a: HloValue, b: HloValue): HloValue {
    const big = this.max(this.abs(a), this.abs(b));
    const safe = this.sel(this.cmp("EQ", big, this.c(0)), this.c(1, big.shape), big);
    const [x, y] = [this.div(a, safe), this.div(b, safe)];
    return this.mul(big, this.sqrt(this.add(this.mul(x, x), this.mul(y, y))));
  }
  /** The first index along axis 1 of a [B, n] value where it is largest (n where none is: NaNs everywhere). */
  firstMax(vals: HloValue, idx: HloValue): HloValue {
    const [B, n] = vals.shape;
    const mx = this.red(vals, [1], "stablehlo.maximum", -Infinity);
    const hit = this.cmp("EQ", vals, this.bc(mx, [B, n], [0]));
    return this.red(this.sel(hit, idx, this.c(n, [B, n], "int32")), [1], "stablehlo.minimum", n);
  }
  /** Sorts `operands` (one shape) along `dim` by the first, ascending or descending, stable. */
  sortBy(operands: HloValue[], dim: number, descending: boolean): HloValue[] {
    const scalars = operands.flatMap((o) => [hloType([], o.dtype), hloType([], o.dtype)]);
    const comparator = this.b.region(scalars, (args) => [compare(this.ctx, descending ? "GT" : "LT", args[0], args[1])]);
    return this.b.op("stablehlo.sort", operands, operands.map((o) => o.type), { dimension: attr.int(dim), is_stable: attr.bool(true) }, [comparator]);
  }
}

// ---- shared frame: [...batch, m, n] as [B, m, n] ---------------------------------------------

function frame(ctx: StablehloContext, what: string, a: HloValue) {
  if (a.dtype !== "float32" && a.dtype !== "float64") {
    throw new UnsupportedError(`exportStableHLO: ${what} lowers for float32 and float64 matrices only, got ${a.dtype}`);
  }
  const s = a.shape;
  const batch = s.slice(0, -2);
  const [m, n] = s.slice(-2);
  const B = batch.reduce((x, y) => x * y, 1);
  const e = new Emit(ctx, a.dtype);
  // the index constants every loop step uses, made once outside the loops
  e.c(0, [], "int32");
  e.c(1, [], "int32");
  return { e, batch, m, n, B, x: e.reshape(a, [B, m, n]) };
}

/** The [B, rows, cols] identity (its first `cols` columns). */
function eye(e: Emit, B: number, rows: number, cols: number): HloValue {
  const r = e.iota([B, rows, cols], 1);
  const c = e.iota([B, rows, cols], 2);
  return e.sel(e.cmp("EQ", r, c), e.c(1, [B, rows, cols]), e.c(0, [B, rows, cols]));
}

/** Column j of [B, m, n] as [B, m]. */
const column = (e: Emit, x: HloValue, j: HloValue) => e.reshape(e.dslice(x, [0, 0, j], [x.shape[0], x.shape[1], 1]), [x.shape[0], x.shape[1]]);
/** Row j of [B, m, n] as [B, n]. */
const row = (e: Emit, x: HloValue, j: HloValue) => e.reshape(e.dslice(x, [0, j, 0], [x.shape[0], 1, x.shape[2]]), [x.shape[0], x.shape[2]]);
/** Element j of [B, n] as [B]. */
const entry = (e: Emit, x: HloValue, j: HloValue) => e.reshape(e.dslice(x, [0, j], [x.shape[0], 1]), [x.shape[0]]);
const setColumn = (e: Emit, x: HloValue, v: HloValue, j: HloValue) => e.dupdate(x, e.reshape(v, [x.shape[0], x.shape[1], 1]), [0, 0, j]);
const setRow = (e: Emit, x: HloValue, v: HloValue, j: HloValue) => e.dupdate(x, e.reshape(v, [x.shape[0], 1, x.shape[2]]), [0, j, 0]);
const setEntry = (e: Emit, x: HloValue, v: HloValue, j: HloValue) => e.dupdate(x, e.reshape(v, [x.shape[0], 1]), [0, j]);
/** A [B] value broadcast to `shape` ([B, ...]) along its axis 0. */
const perBatch = (e: Emit, v: HloValue, shape: readonly number[]) => e.bc(v, shape, [0]);

type Rule = (ctx: StablehloContext, args: HloValue[], params: Params, avals: ShapedArray[], outAvals: ShapedArray[]) => HloValue[];

// ---- cholesky ----------------------------------------------------------------------------------

/**
 * stablehlo.cholesky (XLA expands it on every device), with jaxon's
 * conventions on top: zeros above the diagonal (StableHLO leaves that
 * triangle implementation-defined), and NaNs in the whole factor of a matrix
 * that is not positive definite (a diagonal entry that is not > 0), as the
 * CPU routine gives.
 */
export const choleskyStablehlo: Rule = (ctx, [a]) => {
  // complex: the op factors in complex; the masks act on the real and imaginary parts alike, and
  // positive definiteness is read from the diagonal's real part (the diagonal of L is real)
  const part = a.dtype === "complex64" ? "float32" : a.dtype === "complex128" ? "float64" : null;
  const real = part === null ? a : ctx.b.op1("stablehlo.real", [a], hloType(a.shape, part));
  const { e, batch, n, B, x } = frame(ctx, "lax.linalg.cholesky", real);
  const xa = part === null ? x : ctx.b.op1("stablehlo.reshape", [a], hloType([B, n, n], a.dtype));
  const l = ctx.b.op1("stablehlo.cholesky", [xa], xa.type, { lower: attr.bool(true) });
  const parts = part === null ? [l] : ["stablehlo.real", "stablehlo.imag"].map((op) => ctx.b.op1(op, [l], hloType([B, n, n], part)));
  const r = e.iota([B, n, n], 1);
  const c = e.iota([B, n, n], 2);
  const diag = e.cmp("EQ", r, c);
  const bad = e.and(diag, e.not(e.cmp("GT", parts[0], e.c(0, [B, n, n]))));
  const ok = e.not(e.red(bad, [1, 2], "stablehlo.or", 0));
  const masked = parts.map((v) => {
    const lower = e.sel(e.cmp("LE", c, r), v, e.c(0, [B, n, n]));
    return e.reshape(e.sel(e.bc(ok, [B, n, n], [0]), lower, e.c(NaN, [B, n, n])), [...batch, n, n]);
  });
  return [part === null ? masked[0] : ctx.b.op1("stablehlo.complex", masked, a.type)];
};

// ---- lu ----------------------------------------------------------------------------------------

/** Partial-pivot LU, as luColumns (src/backend/cpu/linalg-blocked.ts): one loop step per column. */
export const luStablehlo: Rule = (ctx, [a]) => {
  const { e, batch, m, n, B, x } = frame(ctx, "lax.linalg.lu", a);
  const k = Math.min(m, n);
  const rows = e.iota([B, m], 1);
  const rows3 = e.iota([B, m, n], 1);
  const cols3 = e.iota([B, m, n], 2);
  const zeros3 = e.c(0, [B, m, n]);
  const [lu, piv, perm] = e.fori(k, [x, e.c(0, [B, k], "int32"), rows], (j, [a0, piv0, perm0]) => {
    const col = column(e, a0, j);
    const abs = e.abs(col);
    // candidates: rows ≥ j, NaNs never chosen (as `v > best`); a NaN diagonal keeps p = j
    const cand = e.and(e.cmp("GE", rows, j), e.cmp("EQ", abs, abs));
    const p0 = e.firstMax(e.sel(cand, abs, e.c(-1, [B, m])), rows);
    const diag = entry(e, abs, j);
    const p = e.sel(e.or(e.cmp("NE", diag, diag), e.cmp("EQ", p0, e.c(m, [B], "int32"))), e.bc(j, [B], []), p0);
    const isP = e.cmp("EQ", rows3, perBatch(e, p, [B, m, n]));
    const isJ = e.cmp("EQ", rows3, e.bc(j, [B, m, n], []));
    const rowJ = row(e, a0, j);
    const rowP = e.sum(e.sel(isP, a0, zeros3), [1]);
    const swapped = e.sel(isJ, e.bc(rowP, [B, m, n], [0, 2]), e.sel(isP, e.bc(rowJ, [B, m, n], [0, 2]), a0));
    const isP2 = e.cmp("EQ", rows, e.bc(p, [B, m], [0]));
    const isJ2 = e.cmp("EQ", rows, e.bc(j, [B, m], []));
    const permJ = entry(e, perm0, j);
    const permP = e.sum(e.sel(isP2, perm0, e.c(0, [B, m], "int32")), [1]);
    const perm1 = e.sel(isJ2, e.bc(permP, [B, m], [0]), e.sel(isP2, e.bc(permJ, [B, m], [0]), perm0));
    // (the pivot row is picked by a masked sum over the rows: exact, except that a -0 in it comes out as +0)
    // the multipliers below the pivot (a zero pivot divides nothing), then the rank-1 update of the rows below
    const d = entry(e, rowP, j);
    const below = e.cmp("GT", rows, e.bc(j, [B, m], []));
    const colS = column(e, swapped, j);
    const l = e.sel(e.and(below, e.cmp("NE", e.bc(d, [B, m], [0]), e.c(0, [B, m]))), e.div(colS, e.bc(d, [B, m], [0])), colS);
    const l3 = e.bc(l, [B, m, n], [0, 1]);
    const update = e.and(e.and(e.cmp("GT", rows3, e.bc(j, [B, m, n], [])), e.cmp("GT", cols3, e.bc(j, [B, m, n], []))), e.cmp("NE", l3, zeros3));
    const updated = e.sel(update, e.sub(swapped, e.mul(l3, e.bc(rowP, [B, m, n], [0, 2]))), swapped);
    const a1 = setColumn(e, updated, l, j);
    return [a1, setEntry(e, piv0, p, j), perm1];
  });
  return [e.reshape(lu, a.shape), e.reshape(piv, [...batch, k]), e.reshape(perm, [...batch, m])];
};

// ---- qr ----------------------------------------------------------------------------------------

/** Householder QR, as householderQr (src/backend/cpu/linalg.ts). */
export const qrStablehlo: Rule = (ctx, [a], params) => {
  const { fullMatrices } = params as { fullMatrices: boolean };
  const { e, batch, m, n, B, x } = frame(ctx, "lax.linalg.qr", a);
  const k = Math.min(m, n);
  const cols = fullMatrices ? m : k;
  const rows = e.iota([B, m], 1);
  const rows3 = e.iota([B, m, n], 1);
  const cols3 = e.iota([B, m, n], 2);
  const [r, vs, taus] = e.fori(k, [x, e.c(0, [B, m, Math.max(k, 1)]), e.c(0, [B, Math.max(k, 1)])], (j, [a0, v0, t0]) => {
    const col = column(e, a0, j);
    const alpha = entry(e, col, j);
    const below = e.cmp("GT", rows, e.bc(j, [B, m], []));
    const xs = e.sel(below, col, e.c(0, [B, m]));
    const xnorm = e.norm(xs, 1);
    const zero = e.cmp("EQ", xnorm, e.c(0, [B]));
    const sign = e.sel(e.cmp("GE", alpha, e.c(0, [B])), e.c(1, [B]), e.c(-1, [B]));
    const beta = e.neg(e.mul(sign, e.hypot(alpha, xnorm)));
    const tau = e.sel(zero, e.c(0, [B]), e.div(e.sub(beta, alpha), beta));
    const scale = e.div(e.c(1, [B]), e.sub(alpha, beta));
    const isJ = e.cmp("EQ", rows, e.bc(j, [B, m], []));
    const unit = e.sel(isJ, e.c(1, [B, m]), e.c(0, [B, m]));
    const v = e.sel(e.bc(zero, [B, m], [0]), unit, e.sel(isJ, unit, e.mul(xs, e.bc(scale, [B, m], [0]))));
    // H = I - τ v vᵀ on the columns right of j; column j becomes β e_j (unless it was already reduced)
    const v3 = e.bc(v, [B, m, n], [0, 1]);
    const s = e.mul(e.sum(e.mul(v3, a0), [1]), e.bc(tau, [B, n], [0]));
    const right = e.cmp("GT", cols3, e.bc(j, [B, m, n], []));
    const applied = e.sel(right, e.sub(a0, e.mul(v3, e.bc(s, [B, m, n], [0, 2]))), a0);
    const newCol = e.sel(isJ, e.bc(beta, [B, m], [0]), e.sel(below, e.c(0, [B, m]), col));
    const a1 = setColumn(e, applied, e.sel(e.bc(zero, [B, m], [0]), col, newCol), j);
    return [a1, setColumn(e, v0, v, j), setEntry(e, t0, tau, j)];
  });
  // Q = H_0 ⋯ H_{k-1} applied to the identity's first `cols` columns, last reflector first
  const [q] = e.fori(
    k,
    [eye(e, B, m, cols)],
    (j, [q0]) => {
      const v = column(e, vs, j);
      const tau = entry(e, taus, j);
      const v3 = e.bc(v, [B, m, cols], [0, 1]);
      const s = e.mul(e.sum(e.mul(v3, q0), [1]), e.bc(tau, [B, cols], [0]));
      return [e.sub(q0, e.mul(v3, e.bc(s, [B, m, cols], [0, 2])))];
    },
    true,
  );
  const upper = e.sel(e.cmp("GE", cols3, rows3), r, e.c(0, [B, m, n]));
  return [e.reshape(q, [...batch, m, cols]), e.reshape(e.slice(upper, [0, 0, 0], [B, cols, n]), [...batch, cols, n])];
};

// ---- Jacobi rotations ----------------------------------------------------------------------

/** One sweep over the pairs (p, q), p < q, in the cyclic order of the CPU's sweeps (p outer, q inner): two nested loops. */
function sweepPairs(e: Emit, n: number, init: HloValue[], body: (p: HloValue, q: HloValue, carry: HloValue[]) => HloValue[]): HloValue[] {
  const one = e.c(1, [], "int32");
  return e.fori(n - 1, init, (p, carry) =>
    e.loop(
      [e.add(p, one), ...carry],
      ([q]) => e.cmp("LT", q, e.c(n, [], "int32")),
      ([q, ...c]) => [e.add(q, one), ...body(p, q, c)],
    ).slice(1),
  );
}

/** Rotates columns p and q of [B, r, c] by (c, s) per batch: p ← c·p − s·q, q ← s·p + c·q. */
function rotateColumns(e: Emit, x: HloValue, p: HloValue, q: HloValue, c: HloValue, s: HloValue): HloValue {
  const [B, r] = x.shape;
  const xp = column(e, x, p);
  const xq = column(e, x, q);
  const cc = e.bc(c, [B, r], [0]);
  const ss = e.bc(s, [B, r], [0]);
  const y = setColumn(e, x, e.sub(e.mul(cc, xp), e.mul(ss, xq)), p);
  return setColumn(e, y, e.add(e.mul(ss, xp), e.mul(cc, xq)), q);
}

function rotateRows(e: Emit, x: HloValue, p: HloValue, q: HloValue, c: HloValue, s: HloValue): HloValue {
  const [B, , n] = x.shape;
  const xp = row(e, x, p);
  const xq = row(e, x, q);
  const cc = e.bc(c, [B, n], [0]);
  const ss = e.bc(s, [B, n], [0]);
  const y = setRow(e, x, e.sub(e.mul(cc, xp), e.mul(ss, xq)), p);
  return setRow(e, y, e.add(e.mul(ss, xp), e.mul(cc, xq)), q);
}

/** t = sign(θ) / (|θ| + √(θ² + 1)), the smaller rotation's tangent (sign(0) = +). */
function tangent(e: Emit, theta: HloValue): HloValue {
  const [B] = theta.shape;
  const sign = e.sel(e.cmp("GE", theta, e.c(0, [B])), e.c(1, [B]), e.c(-1, [B]));
  return e.div(sign, e.add(e.abs(theta), e.sqrt(e.add(e.mul(theta, theta), e.c(1, [B])))));
}

/**
 * float32's epsilon. The Jacobi loops stop where the CPU's float64 loops do
 * in float64 (off-diagonal mass below 1e-32 of the total; column pairs
 * orthogonal to 1e-15); in float32, where rounding leaves about ε·√n of
 * noise, at off ≤ 16·n·ε² of the total (eigh) and |γ| ≤ 4·√m·ε·√(αβ) (svd).
 */
const EPS32 = 2 ** -23;

// ---- eigh --------------------------------------------------------------------------------------

/** Cyclic Jacobi, as jacobiEigh (src/backend/cpu/linalg.ts), then the eigenvalues sorted ascending with their vectors. */
export const eighStablehlo: Rule = (ctx, [a], params) => {
  const { lower, sortEigenvalues } = params as { lower: boolean; sortEigenvalues: boolean };
  const { e, batch, n, B, x } = frame(ctx, "lax.linalg.eigh", a);
  const r3 = e.iota([B, n, n], 1);
  const c3 = e.iota([B, n, n], 2);
  // the chosen triangle mirrored
  const xt = e.transpose(x, [0, 2, 1]);
  const sym = e.sel(e.cmp(lower ? "LE" : "GE", c3, r3), x, xt);
  const finite = e.red(e.isFinite(sym), [1, 2], "stablehlo.and", 1);
  const tol = e.c(a.dtype === "float64" ? 1e-32 : 16 * Math.max(n, 1) * EPS32 ** 2);
  const offDiag = e.cmp("NE", r3, c3);
  const zero11 = e.c(0, [B, 1, 1]);
  // A and V stacked as [A; V] (B, 2n, n): one column rotation turns both
  const top = (AV: HloValue) => e.slice(AV, [0, 0, 0], [B, n, n]);
  const [, AV] = e.loop(
    [e.c(0, [], "int32"), e.concat([sym, eye(e, B, n, n)], 1)],
    ([sweep, AV]) => {
      const A = top(AV);
      const sq = e.mul(A, A);
      const total = e.sum(sq, [1, 2]);
      const off = e.sum(e.sel(offDiag, sq, e.c(0, [B, n, n])), [1, 2]);
      const more = e.red(e.cmp("GT", off, e.mul(tol, total)), [0], "stablehlo.or", 0);
      return e.and(e.cmp("LT", sweep, e.c(100, [], "int32")), more);
    },
    ([sweep, AV0]) => {
      const [AV1] = sweepPairs(e, n, [AV0], (p, q, [AV]) => {
        const at = (i: HloValue, j: HloValue) => e.reshape(e.dslice(AV, [0, i, j], [B, 1, 1]), [B]);
        const apq = at(p, q);
        const skip = e.cmp("EQ", apq, e.c(0, [B]));
        const theta = e.div(e.sub(at(q, q), at(p, p)), e.mul(e.c(2, [B]), e.sel(skip, e.c(1, [B]), apq)));
        const t = e.sel(skip, e.c(0, [B]), tangent(e, theta));
        const c = e.div(e.c(1, [B]), e.sqrt(e.add(e.mul(t, t), e.c(1, [B]))));
        const s = e.mul(t, c);
        // A ← Jᵀ A J and V ← V J (the columns of [A; V], then A's rows), the (p, q) pair then exactly 0
        const AV2 = rotateRows(e, rotateColumns(e, AV, p, q, c, s), p, q, c, s);
        return [e.dupdate(e.dupdate(AV2, zero11, [0, p, q]), zero11, [0, q, p])];
      });
      return [e.add(sweep, e.c(1, [], "int32")), AV1];
    },
  );
  const A = top(AV);
  const V = e.slice(AV, [0, n, 0], [B, 2 * n, n]);
  let w = e.sum(e.sel(offDiag, e.c(0, [B, n, n]), A), [2]);
  let v = V;
  if (sortEigenvalues) {
    [v] = e.sortBy([e.bc(w, [B, n, n], [0, 2]), V], 2, false).slice(1);
    [w] = e.sortBy([w], 1, false);
  }
  const nan = (shape: readonly number[]) => e.c(NaN, shape);
  v = e.sel(e.bc(finite, [B, n, n], [0]), v, nan([B, n, n]));
  w = e.sel(e.bc(finite, [B, n], [0]), w, nan([B, n]));
  return [e.reshape(v, a.shape), e.reshape(w, [...batch, n])];
};

// ---- svd ---------------------------------------------------------------------------------------

/**
 * Makes the columns of u ([B, rows, cols]) orthonormal in order, as
 * orthonormalize (src/backend/cpu/linalg.ts): each column projected out of
 * the previous ones twice (classical Gram–Schmidt, re-orthogonalized); a
 * column that vanishes becomes the unit vector least covered so far.
 */
function orthonormalize(e: Emit, u: HloValue): HloValue {
  const [B, rows, cols] = u.shape;
  const colIdx = e.iota([B, rows, cols], 2);
  const rowIdx = e.iota([B, rows], 1);
  return e.fori(cols, [u], (c, [u0]) => {
    const prev = e.sel(e.cmp("LT", colIdx, e.bc(c, [B, rows, cols], [])), u0, e.c(0, [B, rows, cols]));
    const project = (v: HloValue) => {
      for (let pass = 0; pass < 2; pass++) {
        const s = e.dot(prev, e.reshape(v, [B, rows, 1]), 1, 1, [B, cols, 1]);
        v = e.sub(v, e.reshape(e.dot(prev, s, 2, 1, [B, rows, 1]), [B, rows]));
      }
      return v;
    };
    const col = column(e, u0, c);
    const norm0 = e.norm(col, 1);
    const projected = project(col);
    const nrm = e.norm(projected, 1);
    const fresh = e.or(e.not(e.cmp("GT", nrm, e.mul(e.c(0.5, [B]), norm0))), e.cmp("EQ", norm0, e.c(0, [B])));
    const covered = e.sum(e.mul(prev, prev), [2]);
    const best = e.firstMax(e.sub(e.c(1, [B, rows]), covered), rowIdx);
    const unit = e.sel(e.cmp("EQ", rowIdx, e.bc(best, [B, rows], [0])), e.c(1, [B, rows]), e.c(0, [B, rows]));
    const other = project(unit);
    const chosen = e.sel(e.bc(fresh, [B, rows], [0]), other, projected);
    const len = e.sel(fresh, e.norm(other, 1), nrm);
    return [setColumn(e, u0, e.div(chosen, e.bc(len, [B, rows], [0])), c)];
  })[0];
}

/** One-sided Jacobi, as jacobiSvdTall (src/backend/cpu/linalg.ts), on the tall orientation. */
export const svdStablehlo: Rule = (ctx, [a], params) => {
  const { fullMatrices, computeUv } = params as { fullMatrices: boolean; computeUv: boolean };
  const { e, batch, m, n, B, x } = frame(ctx, "lax.linalg.svd", a);
  const k = Math.min(m, n);
  const tall = m >= n;
  const [rows, cols] = tall ? [m, n] : [n, m];
  const uCols = fullMatrices ? rows : k;
  const w0 = tall ? x : e.transpose(x, [0, 2, 1]);
  const finite = e.red(e.isFinite(w0), [1, 2], "stablehlo.and", 1);
  const tol = e.c(a.dtype === "float64" ? 1e-15 : 4 * Math.sqrt(Math.max(rows, 1)) * EPS32);
  const yes = e.c(1, [], "bool");
  // W and V stacked as [W; V] (B, rows + cols, cols): one column rotation turns both (W alone for the singular values only)
  const wPart = (WV: HloValue) => (computeUv ? e.slice(WV, [0, 0, 0], [B, rows, cols]) : WV);
  const wColumn = (WV: HloValue, j: HloValue) => e.reshape(e.dslice(WV, [0, 0, j], [B, rows, 1]), [B, rows]);
  const [, , WV] = e.loop(
    [e.c(0, [], "int32"), yes, computeUv ? e.concat([w0, eye(e, B, cols, cols)], 1) : w0],
    ([sweep, rotated]) => e.and(e.cmp("LT", sweep, e.c(60, [], "int32")), rotated),
    ([sweep, , WV0]) => {
      const W0 = wPart(WV0);
      const sq0 = e.sum(e.mul(W0, W0), [1]);
      const [WV1, , any] = sweepPairs(e, cols, [WV0, sq0, e.c(0, [], "bool")], (p, q, [WV, sq, any]) => {
        const alpha = entry(e, sq, p);
        const beta = entry(e, sq, q);
        const gamma = e.sum(e.mul(wColumn(WV, p), wColumn(WV, q)), [1]);
        const rotate = e.and(e.cmp("GT", e.abs(gamma), e.mul(tol, e.sqrt(e.mul(alpha, beta)))), e.cmp("NE", gamma, e.c(0, [B])));
        const zeta = e.div(e.sub(beta, alpha), e.mul(e.c(2, [B]), e.sel(rotate, gamma, e.c(1, [B]))));
        const t = e.sel(rotate, tangent(e, zeta), e.c(0, [B]));
        const c = e.div(e.c(1, [B]), e.sqrt(e.add(e.c(1, [B]), e.mul(t, t))));
        const s = e.mul(c, t);
        const tg = e.mul(t, gamma);
        const sq1 = setEntry(e, setEntry(e, sq, e.sub(alpha, tg), p), e.add(beta, tg), q);
        const rotatedHere = e.red(rotate, [0], "stablehlo.or", 0);
        return [rotateColumns(e, WV, p, q, c, s), sq1, e.or(any, rotatedHere)];
      });
      return [e.add(sweep, e.c(1, [], "int32")), any, WV1];
    },
  );
  const W = wPart(WV);
  // the column norms, sorted descending with their columns (stable)
  const norms = e.norm(W, 1);
  const [s] = e.sortBy([norms], 1, true);
  const nan = (shape: readonly number[]) => e.c(NaN, shape);
  const guard = (v: HloValue) => e.sel(e.bc(finite, v.shape, [0]), v, nan(v.shape));
  const sOut = e.reshape(guard(s), [...batch, k]);
  if (!computeUv) return [sOut];
  const V = e.slice(WV, [0, rows, 0], [B, rows + cols, cols]);
  const [, Ws] = e.sortBy([e.bc(norms, [B, rows, cols], [0, 2]), W], 2, true);
  const [, Vs] = e.sortBy([e.bc(norms, [B, cols, cols], [0, 2]), V], 2, true);
  const inv = e.sel(e.cmp("GT", s, e.c(0, [B, cols])), e.div(e.c(1, [B, cols]), s), e.c(0, [B, cols]));
  let u = e.mul(Ws, e.bc(inv, [B, rows, cols], [0, 2]));
  if (uCols > cols) u = e.concat([u, e.c(0, [B, rows, uCols - cols])], 2);
  u = orthonormalize(e, u);
  let uOut: HloValue;
  let vtOut: HloValue;
  if (tall) {
    uOut = e.reshape(guard(u), [...batch, m, uCols]);
    vtOut = e.reshape(guard(e.transpose(Vs, [0, 2, 1])), [...batch, n, n]);
  } else {
    uOut = e.reshape(guard(Vs), [...batch, m, m]);
    vtOut = e.reshape(guard(e.transpose(u, [0, 2, 1])), [...batch, uCols, n]);
  }
  return [sOut, uOut, vtOut];
};
