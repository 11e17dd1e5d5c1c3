/**
 * Linear algebra: products (matmul with NumPy's 1-D and batch-broadcasting
 * rules, dot, vdot, inner, outer, tensordot, einsum) on lax.dotGeneral, and
 * norms and pairwise distances.
 */
import { optionsArg, intsArg } from "../static-args.js";
import { DTypeError, ShapeError } from "../errors.js";
import { isComplexDType } from "../dtype.js";
import * as lax from "../lax/index.js";
import { dotGeneral } from "../lax/dot.js";
import { broadcastShapes, fmtShape } from "../shape.js";
import { abs, maximum, multiply, power, square } from "./elementwise.js";
import { max, min, sum } from "./reductions.js";
import { diagonal, reshape as npReshape } from "./shape.js";
import type { ArrayLike, Value } from "./util.js";
import { asValue, axesOf, broadcastValue, cast, describe, promote, range, toInexact } from "./util.js";
import { customJvp } from "../transforms/custom.js";
import * as fns from "./linalg-functions.js";
import * as eigFns from "./linalg-eig.js";

/**
 * √s whose derivative is 0 where s = 0 instead of ∞: norms and distances are
 * not differentiable at zero, and JAX users expect a finite (sub)gradient there
 * rather than a NaN that poisons a whole training step.
 */
const safeSqrt = customJvp(
  (s: Value) => lax.sqrt(s),
  ([s]: [Value], [t]: [Value]) => {
    const positive = lax.gt(s, 0);
    const root = lax.sqrt(s);
    const safeRoot = lax.select(positive, root, lax.add(lax.mul(root, 0), 1));
    return [root, lax.select(positive, lax.div(t, lax.mul(safeRoot, 2)), lax.mul(t, 0))];
  },
);

const dims = (c: [number[], number[]], b: [number[], number[]] = [[], []]) => ({ contracting: c, batch: b });

/**
 * Matrix product with NumPy's rules: 1-D operands are promoted to a row
 * (left) or column (right) and the added axis removed; leading axes are batch
 * axes and broadcast.
 * @example
 * np.matmul(np.array([[1, 2], [3, 4]]), np.array([[5, 6, 7], [8, 9, 0]])); // [[21, 24, 7], [47, 54, 21]]
 * np.matmul(np.array([[1, 2, 3], [4, 5, 6]]), np.array([1, 2, 3])); // [14, 32]
 */
export function matmul(a: ArrayLike, b: ArrayLike): Value {
  const op = "np.matmul";
  let [x, y] = promote(op, [a, b]);
  const [sx, sy] = [x.shape, y.shape];
  if (x.ndim === 0 || y.ndim === 0) {
    throw new ShapeError(`${op}: operands need at least one axis, got shapes ${fmtShape(sx)} and ${fmtShape(sy)}; use np.multiply for scalars`);
  }
  const xVec = x.ndim === 1;
  const yVec = y.ndim === 1;
  if (xVec) x = lax.reshape(x, [1, x.shape[0]]);
  if (yVec) y = lax.reshape(y, [y.shape[0], 1]);
  const k = x.shape[x.ndim - 1];
  if (k !== y.shape[y.ndim - 2]) {
    throw new ShapeError(
      `${op}: shapes ${fmtShape(sx)} and ${fmtShape(sy)} do not align: the last axis of the first (${k}) must equal ` +
        `the ${yVec ? "only" : "second-to-last"} axis of the second (${y.shape[y.ndim - 2]})`,
    );
  }
  const xb = x.shape.slice(0, -2);
  const yb = y.shape.slice(0, -2);
  let out: Value;
  if (yb.length === 0) {
    out = dotGeneral(x, y, dims([[x.ndim - 1], [0]]));
  } else if (xb.length === 0) {
    const r = dotGeneral(x, y, dims([[1], [y.ndim - 2]])); // [m, ...yb, n]
    const nb = yb.length;
    out = lax.transpose(r, [...range(nb, 1), 0, nb + 1]);
  } else {
    const batch = broadcastShapes(op, xb, yb);
    const nb = batch.length;
    const xf = broadcastValue(op, x, [...batch, ...x.shape.slice(-2)]);
    const yf = broadcastValue(op, y, [...batch, ...y.shape.slice(-2)]);
    out = dotGeneral(xf, yf, dims([[nb + 1], [nb]], [range(nb), range(nb)]));
  }
  if (xVec && yVec) return lax.reshape(out, out.shape.slice(0, -2));
  if (xVec) return lax.reshape(out, [...out.shape.slice(0, -2), out.shape[out.ndim - 1]]);
  if (yVec) return lax.reshape(out, out.shape.slice(0, -1));
  return out;
}

function checkContract(op: string, x: Value, y: Value, ax: number[], ay: number[]) {
  ax.forEach((a, i) => {
    if (x.shape[a] !== y.shape[ay[i]]) {
      throw new ShapeError(
        `${op}: shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)} do not align: axis ${a} of the first has size ${x.shape[a]}, ` +
          `axis ${ay[i]} of the second has size ${y.shape[ay[i]]}`,
      );
    }
  });
}

/**
 * NumPy's dot: a product of scalars, the inner product of vectors, the
 * matrix product of matrices, and in general a sum over the last axis of `a`
 * and the second-to-last of `b` (the last, if `b` is 1-D).
 * @example np.dot(np.array([1, 2, 3]), np.array([1, 2, 3])); // 14
 */
export function dot(a: ArrayLike, b: ArrayLike): Value {
  const op = "np.dot";
  const [x, y] = promote(op, [a, b]);
  if (x.ndim === 0 || y.ndim === 0) return multiply(x, y);
  const ax = [x.ndim - 1];
  const ay = [y.ndim === 1 ? 0 : y.ndim - 2];
  checkContract(op, x, y, ax, ay);
  return dotGeneral(x, y, dims([ax, ay]));
}

/**
 * The dot product of the flattened arrays, the first conjugated when complex (as NumPy).
 * @example np.vdot(np.array([[1, 2], [3, 4]]), np.array([[1, 1], [1, 1]])); // 10
 */
export function vdot(a: ArrayLike, b: ArrayLike): Value {
  const op = "np.vdot";
  const [x, y] = promote(op, [a, b]);
  if (x.size !== y.size) throw new ShapeError(`${op}: the arrays have ${x.size} and ${y.size} elements (shapes ${fmtShape(x.shape)}, ${fmtShape(y.shape)}); they need as many`);
  // as NumPy: the first argument is conjugated (complex ones)
  const xc = isComplexDType(x.dtype) ? lax.conj(x) : x;
  return dotGeneral(lax.reshape(xc, [x.size]), lax.reshape(y, [y.size]), dims([[0], [0]]));
}

/**
 * Sum over the last axes of both arguments.
 * @example np.inner(np.array([1, 2]), np.array([3, 4])); // 11
 */
export function inner(a: ArrayLike, b: ArrayLike): Value {
  const op = "np.inner";
  const [x, y] = promote(op, [a, b]);
  if (x.ndim === 0 || y.ndim === 0) return multiply(x, y);
  const ax = [x.ndim - 1];
  const ay = [y.ndim - 1];
  checkContract(op, x, y, ax, ay);
  return dotGeneral(x, y, dims([ax, ay]));
}

/**
 * The outer product of the flattened arguments: `out[i, j] = a[i] * b[j]`.
 * @example np.outer(np.array([1, 2]), np.array([3, 4, 5])); // [[3, 4, 5], [6, 8, 10]]
 */
export function outer(a: ArrayLike, b: ArrayLike): Value {
  const x = asValue(a, "np.outer");
  const y = asValue(b, "np.outer");
  return multiply(lax.reshape(x, [x.size, 1]), lax.reshape(y, [1, y.size]));
}

/**
 * Sums products over the given axes: `axes = n` pairs the last n axes of `a`
 * with the first n of `b`; `[axesA, axesB]` pairs them explicitly. The
 * output has `a`'s free axes then `b`'s.
 * @example
 * np.tensordot(np.ones([2, 3, 4]), np.ones([3, 4, 5]), 2);            // shape [2, 5], all 12
 * np.tensordot(np.ones([2, 3]), np.ones([3, 2]), [[0, 1], [1, 0]]);   // 0-d, 6
 */
export function tensordot(a: ArrayLike, b: ArrayLike, axes: number | readonly [number | readonly number[], number | readonly number[]] = 2): Value {
  const op = "np.tensordot";
  const [x, y] = promote(op, [a, b]);
  let ax: number[];
  let ay: number[];
  if (typeof axes === "number") {
    if (!Number.isInteger(axes) || axes < 0 || axes > x.ndim || axes > y.ndim) {
      throw new ShapeError(`${op}: axes=${axes} must be between 0 and the ranks of both operands (${x.ndim}, ${y.ndim})`);
    }
    ax = range(axes, x.ndim - axes);
    ay = range(axes);
  } else if (Array.isArray(axes) && axes.length === 2) {
    const list = (v: number | readonly number[]) => intsArg(op, "axes", v, true);
    ax = list(axes[0]).map((v) => axesOf(op, v, x.ndim)[0]);
    ay = list(axes[1]).map((v) => axesOf(op, v, y.ndim)[0]);
    if (ax.length !== ay.length) throw new ShapeError(`${op}: got ${ax.length} axes for the first operand and ${ay.length} for the second`);
    if (new Set(ax).size !== ax.length || new Set(ay).size !== ay.length) throw new ShapeError(`${op}: repeated axis in ${JSON.stringify(axes)}`);
  } else {
    throw new ShapeError(`${op}: axes must be a number or [axesOfA, axesOfB], got ${describe(axes)}`);
  }
  checkContract(op, x, y, ax, ay);
  // dotGeneral keeps free axes in ascending order, which is tensordot's order
  return dotGeneral(x, y, dims([ax, ay]));
}

// ---- einsum ---------------------------------------------------------------------------------

type Term = string[]; // one label per axis; "…k" labels stand for the k-th ellipsis axis (right-aligned)

function parseTerm(op: string, text: string, where: string): { letters: string[]; ellipsisAt: number } {
  const letters: string[] = [];
  let ellipsisAt = -1;
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === ".") {
      if (text.slice(i, i + 3) !== "..." || ellipsisAt >= 0) {
        throw new ShapeError(`${op}: ${where} has a stray "." ; an ellipsis is exactly "..." and may appear once per term`);
      }
      ellipsisAt = letters.length;
      i += 3;
    } else {
      letters.push(c);
      i++;
    }
  }
  return { letters, ellipsisAt };
}

/**
 * Einstein summation. `spec` names each operand's axes with letters (a-z,
 * A-Z), separated by commas, optionally `->` and the output's letters;
 * without `->` the output has the letters used once, in alphabetical order.
 * Letters missing from the output are summed; a repeated letter in one
 * operand takes a diagonal; "..." stands for broadcast leading axes.
 * @example
 * np.einsum("ij,jk->ik", a, b);   // matmul
 * np.einsum("i,i->", v, v);       // dot product
 * np.einsum("bij,bjk->bik", np.ones([2, 3, 4]), np.ones([2, 4, 5])); // batched matmul
 * np.einsum("ii->i", m);          // diagonal
 * np.einsum("ij", m);             // m itself; "ji" transposes
 */
export function einsum(spec: string, ...operands: ArrayLike[]): Value {
  const op = "np.einsum";
  if (typeof spec !== "string") throw new ShapeError(`${op}: the first argument must be the subscripts string, got ${describe(spec)}`);
  const s = spec.replace(/ /g, "");
  if (s.length > 1000) throw new ShapeError(`${op}: the subscripts string is too long (${s.length} characters)`);
  for (let i = 0; i < s.length; i++) {
    if (!/[a-zA-Z,.\->]/.test(s[i])) {
      throw new ShapeError(`${op}: invalid character ${JSON.stringify(s[i])} at position ${i} of the subscripts; use letters a-z, A-Z, ",", "..." and one "->"`);
    }
  }
  const sides = s.split("->");
  if (sides.length > 2) throw new ShapeError(`${op}: the subscripts may contain "->" only once`);
  if (sides.some((p) => p.includes("-") || p.includes(">"))) throw new ShapeError(`${op}: "-" and ">" may only appear together, as "->"`);
  const inputs = sides[0].split(",");
  if (inputs.length !== operands.length) {
    throw new ShapeError(`${op}: the subscripts name ${inputs.length} operand${inputs.length === 1 ? "" : "s"}, but ${operands.length} were given`);
  }
  if (operands.length === 0) throw new ShapeError(`${op}: needs at least one operand`);
  let vals = promote(op, operands).map((v) => cast(v, v.dtype));

  // labels per operand, with ellipsis axes right-aligned across operands
  const parsed = inputs.map((t, i) => parseTerm(op, t, `operand ${i}'s subscripts`));
  const ellRanks = parsed.map((p, i) => {
    const extra = vals[i].ndim - p.letters.length;
    if (p.ellipsisAt < 0 ? extra !== 0 : extra < 0) {
      throw new ShapeError(
        `${op}: operand ${i} has ${vals[i].ndim} axes (shape ${fmtShape(vals[i].shape)}) but its subscripts "${inputs[i]}" name ${p.letters.length}` +
          (p.ellipsisAt < 0 ? "" : " plus an ellipsis"),
      );
    }
    return p.ellipsisAt < 0 ? 0 : extra;
  });
  const E = Math.max(0, ...ellRanks);
  const ellLabels = range(E).map((k) => `…${k}`);
  let terms: Term[] = parsed.map((p, i) => {
    if (p.ellipsisAt < 0) return p.letters;
    const ell = ellLabels.slice(E - ellRanks[i]);
    return [...p.letters.slice(0, p.ellipsisAt), ...ell, ...p.letters.slice(p.ellipsisAt)];
  });

  // the output
  let outTerm: Term;
  const counts = new Map<string, number>();
  for (const t of parsed) for (const l of t.letters) counts.set(l, (counts.get(l) ?? 0) + 1);
  if (sides.length === 2) {
    const p = parseTerm(op, sides[1], "the output");
    outTerm = p.ellipsisAt < 0 ? p.letters : [...p.letters.slice(0, p.ellipsisAt), ...ellLabels, ...p.letters.slice(p.ellipsisAt)];
    if (new Set(outTerm).size !== outTerm.length) throw new ShapeError(`${op}: the output subscripts "${sides[1]}" repeat a letter`);
    for (const l of p.letters) if (!counts.has(l)) throw new ShapeError(`${op}: output letter "${l}" does not appear in any input`);
  } else {
    const once = [...counts.entries()].filter(([, c]) => c === 1).map(([l]) => l).sort();
    outTerm = [...ellLabels, ...once];
  }

  // diagonals for letters repeated within one operand
  vals = vals.map((v, i) => {
    let t = terms[i];
    for (;;) {
      const dup = t.findIndex((l, k) => t.indexOf(l) !== k);
      if (dup < 0) break;
      const first = t.indexOf(t[dup]);
      if (v.shape[first] !== v.shape[dup]) {
        throw new ShapeError(`${op}: operand ${i} repeats "${t[dup]}" on axes of sizes ${v.shape[first]} and ${v.shape[dup]}; a diagonal needs equal sizes`);
      }
      v = diagonal(v, 0, first, dup);
      t = [...t.filter((_, k) => k !== first && k !== dup), t[dup]];
    }
    terms[i] = t;
    return v;
  });

  // one size per label; size-1 axes broadcast
  const size = new Map<string, number>();
  terms.forEach((t, i) =>
    t.forEach((l, k) => {
      const n = vals[i].shape[k];
      const prev = size.get(l);
      if (prev === undefined || prev === 1) size.set(l, n);
      else if (n !== 1 && n !== prev) {
        throw new ShapeError(
          `${op}: ${l.startsWith("…") ? "an ellipsis axis" : `letter "${l}"`} has size ${prev} in one operand and ${n} in operand ${i} ` +
            `(shapes ${vals.map((v) => fmtShape(v.shape)).join(", ")})`,
        );
      }
    }),
  );
  vals = vals.map((v, i) => {
    const target = terms[i].map((l) => size.get(l)!);
    return target.some((n, k) => n !== v.shape[k]) ? lax.broadcastInDim(v, target, range(v.ndim)) : v;
  });

  const sumOut = (v: Value, t: Term, keep: (l: string) => boolean): [Value, Term] => {
    const axes = t.flatMap((l, k) => (keep(l) ? [] : [k]));
    return axes.length ? [lax.reduceSum(v, axes), t.filter((l) => keep(l))] : [v, t];
  };
  const neededAfter = (i: number) => new Set([...outTerm, ...terms.slice(i + 1).flat()]);

  // sum letters that only one operand has and the output lacks
  vals = vals.map((v, i) => {
    const others = new Set([...outTerm, ...terms.filter((_, j) => j !== i).flat()]);
    const [r, t] = sumOut(v, terms[i], (l) => others.has(l));
    terms[i] = t;
    return r;
  });
  terms = [...terms];

  let acc = vals[0];
  let accTerm = terms[0];
  for (let i = 1; i < vals.length; i++) {
    const later = neededAfter(i);
    const b = vals[i];
    const bTerm = terms[i];
    [acc, accTerm] = sumOut(acc, accTerm, (l) => later.has(l) || bTerm.includes(l));
    const shared = accTerm.filter((l) => bTerm.includes(l));
    const batch = shared.filter((l) => later.has(l));
    const contract = shared.filter((l) => !later.has(l));
    const pos = (t: Term, ls: string[]) => ls.map((l) => t.indexOf(l));
    acc = dotGeneral(acc, b, dims([pos(accTerm, contract), pos(bTerm, contract)], [pos(accTerm, batch), pos(bTerm, batch)]));
    accTerm = [...batch, ...accTerm.filter((l) => !shared.includes(l)), ...bTerm.filter((l) => !shared.includes(l))];
  }
  [acc, accTerm] = sumOut(acc, accTerm, (l) => outTerm.includes(l));
  return lax.transpose(acc, outTerm.map((l) => accTerm.indexOf(l)));
}

// ---- norms and distances -----------------------------------------------------------------------

/**
 * `sqrt(sum(x²))` over `axes`: the Euclidean (Frobenius) norm. Its own
 * function so that a custom derivative (finite at 0) can wrap it.
 * @example np.euclideanNorm(np.array([3, 4]), [0]); // 5
 */
export function euclideanNorm(x: ArrayLike, axes: readonly number[], keepdims = false, safeGradAtZero = true): Value {
  const v = toInexact("np.norm", x);
  const s = sum(lax.square(v), intsArg("np.norm", "axes", axes, true), { keepdims });
  return safeGradAtZero ? safeSqrt(s) : lax.sqrt(s);
}

export interface NormOptions {
  /** Keep the reduced axes with size 1 (default false). */
  keepdims?: boolean;
  /**
   * The gradient of the 2-norm / Frobenius norm at x = 0 (default true: 0).
   * jaxon deliberately differs from JAX here: JAX's gradient at 0 is NaN
   * (0/0), which poisons a whole training step; jaxon gives the subgradient 0.
   * Pass `false` for JAX's NaN.
   */
  safeGradAtZero?: boolean;
}

export type NormOrder = number | "fro" | "f" | "nuc";

/**
 * Vector or matrix norm. With no `ord` and no `axis`: the 2-norm of the
 * flattened array. Vector orders (one axis): 2 (default), 1, Infinity,
 * -Infinity, 0 (count of nonzeros), any p. Matrix orders (two axes): "fro"
 * (or "f", the default), 1, -1, Infinity, -Infinity, and by the SVD 2 (the
 * largest singular value), -2 (the smallest) and "nuc" (their sum).
 *
 * Differs from JAX on purpose: the gradient of the 2-norm (and "fro") at
 * x = 0 is 0 here, NaN in JAX; `{ safeGradAtZero: false }` gives JAX's NaN.
 * @example
 * np.norm(np.array([3, 4]));          // 5
 * np.norm(np.array([3, -4]), 1);      // 7
 * np.norm(np.array([[1, 2], [3, 4]]), null, 1); // row norms
 */
export function norm(x: ArrayLike, ord?: NormOrder | null, axis?: number | readonly number[] | null, options: NormOptions = {}): Value {
  options = optionsArg("np.norm", options);
  const op = "np.norm";
  const given = toInexact(op, x);
  // complex: every norm but the singular-value ones is that of |x| (JAX's: real results)
  const complexIn = isComplexDType(given.dtype);
  const v = complexIn ? abs(given) : given;
  const keepdims = options.keepdims ?? false;
  const safe = options.safeGradAtZero ?? true;
  if (typeof safe !== "boolean") throw new DTypeError(`${op}: safeGradAtZero must be a boolean, got ${describe(safe)}`);
  let axes: number[];
  if (axis === undefined || axis === null) {
    if (ord === undefined || ord === null) return euclideanNorm(v, range(v.ndim), keepdims, safe);
    if (v.ndim !== 1 && v.ndim !== 2) throw new ShapeError(`${op}: an ord needs a 1-D or 2-D array or explicit axes, got shape ${fmtShape(v.shape)}`);
    axes = range(v.ndim);
  } else {
    axes = intsArg(op, "axis", axis, true).map((a) => axesOf(op, a, v.ndim)[0]);
    if (new Set(axes).size !== axes.length) throw new ShapeError(`${op}: repeated axis ${JSON.stringify(axis)}`);
  }
  const finish = (r: Value) => (keepdims ? r : npReshape(r, v.shape.filter((_, i) => !axes.includes(i))));
  if (axes.length === 1) {
    const a = axes[0];
    if (ord === undefined || ord === null || ord === 2) return euclideanNorm(v, axes, keepdims, safe);
    if (typeof ord !== "number") throw new ShapeError(`${op}: invalid order ${describe(ord)} for a vector norm; use a number`);
    if (ord === Infinity) return max(abs(v), a, { keepdims });
    if (ord === -Infinity) return min(abs(v), a, { keepdims });
    if (ord === 0) return sum(cast(lax.ne(v, 0), v.dtype), a, { keepdims });
    if (ord === 1) return sum(abs(v), a, { keepdims });
    return power(sum(power(abs(v), ord), a, { keepdims }), 1 / ord);
  }
  if (axes.length === 2) {
    const [r, c] = axes;
    if (ord === undefined || ord === null || ord === "fro" || ord === "f") return euclideanNorm(v, axes, keepdims, safe);
    if (ord === 1 || ord === -1) {
      const colSums = sum(abs(v), r, { keepdims: true });
      return finish((ord === 1 ? max : min)(colSums, c, { keepdims: true }));
    }
    if (ord === Infinity || ord === -Infinity) {
      const rowSums = sum(abs(v), c, { keepdims: true });
      return finish((ord === Infinity ? max : min)(rowSums, r, { keepdims: true }));
    }
    if (ord === 2 || ord === -2 || ord === "nuc") {
      // complex: the singular values of the matrix itself (real), not of |x|
      return fns.singularValueNorm(given, ord, r, c, keepdims);
    }
    throw new ShapeError(`${op}: invalid order ${describe(ord)} for a matrix norm; use "fro", "nuc", 1, -1, 2, -2, Infinity or -Infinity`);
  }
  throw new ShapeError(`${op}: norms are over 1 or 2 axes, got ${axes.length}`);
}

/**
 * Squared Euclidean distances between the rows of `a` [..., m, d] and `b` [..., n, d]:
 * `|a_i|² + |b_j|² - 2 a_i·b_j`, clamped at 0 against rounding.
 * @example np.sqdist(np.array([[0, 0]]), np.array([[3, 4]])); // [[25]]
 */
export function sqdist(a: ArrayLike, b: ArrayLike): Value {
  const op = "np.cdist";
  const [x, y] = promote(op, [a, b], (d) => (d === "float64" || isComplexDType(d) ? d : "float32"));
  if (isComplexDType(x.dtype)) throw new DTypeError(`${op}: needs real points, got ${x.dtype}; take the real and imaginary parts as coordinates (lax.complexToPairs) first`);
  if (x.ndim < 2 || y.ndim < 2) {
    throw new ShapeError(`${op}: needs arrays of points with at least 2 axes ([m, d] and [n, d]), got shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`);
  }
  if (x.shape[x.ndim - 1] !== y.shape[y.ndim - 1]) {
    throw new ShapeError(`${op}: points of ${fmtShape(x.shape)} and ${fmtShape(y.shape)} have different dimensions (${x.shape[x.ndim - 1]} vs ${y.shape[y.ndim - 1]})`);
  }
  const xx = sum(square(x), -1, { keepdims: true }); // [..., m, 1]
  const yy = sum(square(y), -1); // [..., n]
  const yyRow = lax.expandDims(yy, [yy.ndim - 1]); // [..., 1, n]
  const xy =
    x.ndim === 2 && y.ndim === 2
      ? dotGeneral(x, y, dims([[1], [1]]))
      : matmul(x, lax.transpose(y, [...range(y.ndim - 2), y.ndim - 1, y.ndim - 2]));
  return maximum(lax.sub(lax.add(broadcastValue(op, xx, xy.shape), broadcastValue(op, yyRow, xy.shape)), lax.mul(xy, 2)), 0);
}

/**
 * Pairwise Euclidean distances between the rows of `a` [m, d] and `b` [n, d] → [m, n]
 * (leading batch axes broadcast).
 * @example np.cdist(np.array([[0, 0], [1, 0]]), np.array([[3, 4]])); // [[5], [4.472136]]
 */
export function cdist(a: ArrayLike, b: ArrayLike): Value {
  return safeSqrt(sqdist(a, b));
}

/**
 * `np.linalg`, as in JAX: decompositions, solvers, norms and small products
 * (see ./linalg-functions.ts), with `norm`, `matmul`, `outer` and `cdist`.
 * @example
 * np.linalg.norm(np.array([3, 4])); // 5
 * np.linalg.solve(np.array([[3, 1], [1, 2]]), np.array([9, 8])); // [2, 3]
 */
export const linalg = {
  norm,
  matmul,
  outer,
  cdist,
  tensordot,
  cholesky: fns.cholesky,
  qr: fns.qr,
  svd: fns.svd,
  svdvals: fns.svdvals,
  eigh: fns.eigh,
  eigvalsh: fns.eigvalsh,
  eig: eigFns.eig,
  eigvals: eigFns.eigvals,
  solve: fns.solve,
  inv: fns.inv,
  det: fns.det,
  slogdet: fns.slogdet,
  lstsq: fns.lstsq,
  pinv: fns.pinv,
  matrixPower: fns.matrixPower,
  matrixRank: fns.matrixRank,
  multiDot: fns.multiDot,
  cond: fns.cond,
  vectorNorm: fns.vectorNorm,
  matrixNorm: fns.matrixNorm,
  cross: fns.cross,
  trace: fns.trace,
  diagonal: fns.diagonal,
  matrixTranspose: fns.matrixTranspose,
  vecdot: fns.vecdot,
  tensorinv: fns.tensorinv,
  tensorsolve: fns.tensorsolve,
};
