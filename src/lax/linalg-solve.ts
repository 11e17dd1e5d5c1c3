/**
 * Implicit differentiation, as JAX's lax.custom_linear_solve and
 * lax.custom_root (the latter at the end of this file).
 *
 * custom_linear_solve: x = solve(matvec, b) for a linear map `matvec`, with
 * the derivatives of the solution taken implicitly, as JAX's
 * `lax.custom_linear_solve`: differentiation never goes through the solver's
 * iterations, only through `matvec` (A·x = b gives A·ẋ = ḃ - Ȧ·x, solved by
 * the same solver) and, in reverse mode, through `transposeSolve` (the
 * cotangent of b is the solution of Aᵀ·y = x̄).
 *
 * The functions are traced to jaxprs once, closure-converted (arrays they
 * close over become explicit inputs), so that every transformation sees the
 * matrix's parameters and differentiates with respect to them.
 * Input layout of the primitive: matvec's constants, vecmat's (Aᵀ's, when a
 * transpose solve is given), solve's, transposeSolve's, then b.
 */
import { ShapeError, UnsupportedError } from "../errors.js";
import { functionArg, optionsArg } from "../static-args.js";
import { fmtShape } from "../shape.js";
import type { MaybeZero, Primitive, Value } from "../trace/core.js";
import { bind, currentTrace, ShapedArray, Zero } from "../trace/core.js";
import type { Jaxpr } from "../trace/jaxpr.js";
import { evalJaxpr } from "../trace/jaxpr.js";
import { traceFlat } from "../trace/staging.js";
import { jvpFlat } from "../transforms/jvp.js";
import { vmap } from "../transforms/vmap.js";
import { vjp } from "../transforms/linearize.js";
import { instantiate, neg, operandArg, sub } from "./elementwise.js";
import { definePrimitive, isZero, isUndefined } from "./primitive.js";
import { broadcastInDim, moveAxis } from "./shape.js";

/** A traced one-array function: its jaxpr takes its constants first, then the array. */
interface Staged {
  jaxpr: Jaxpr;
  numConsts: number;
}
type LinearSolveParams = {
  matvec: Staged;
  vecmat: Staged | null;
  solve: Staged;
  transposeSolve: Staged | null;
  /** The whole primitive as one jaxpr of all its inputs (the solve applied to b), for jit to inline. */
  call: Jaxpr;
};

const run = (s: Staged, consts: Value[], x: Value) => evalJaxpr(s.jaxpr, [], [...consts, x])[0];
const count = (s: Staged | null) => (s ? s.numConsts : 0);

/** The primitive's inputs split into each function's constants and b. */
function split(args: Value[], p: LinearSolveParams) {
  let at = 0;
  const take = (n: number) => args.slice(at, (at += n));
  return { mv: take(count(p.matvec)), vm: take(count(p.vecmat)), s: take(count(p.solve)), ts: take(count(p.transposeSolve)), b: args[args.length - 1] };
}

function stageOne(op: string, what: string, fn: (x: Value) => Value, aval: ShapedArray): [Staged, Value[]] {
  const { jaxpr, consts } = traceFlat((x) => [operandArg(`${op}: ${what}`, fn(x))], [aval], `${op} ${what}`, currentTrace());
  const out = jaxpr.outs[0].aval;
  if (out.dtype !== aval.dtype || out.shape.length !== aval.shape.length || out.shape.some((n, i) => n !== aval.shape[i])) {
    throw new ShapeError(`${op}: ${what} must map a ${aval.dtype}${fmtShape(aval.shape)} array to one of the same type, got ${out.dtype}${fmtShape(out.shape)}`);
  }
  return [{ jaxpr, numConsts: consts.length }, consts];
}

/** The jaxpr of all inputs → solve(b), for inlining under jit. */
function callOf(p: Omit<LinearSolveParams, "call">, avals: ShapedArray[]): Jaxpr {
  const full = { ...p, call: null as unknown as Jaxpr };
  return traceFlat((...xs) => {
    const parts = split(xs, full);
    return [run(p.solve, parts.s, parts.b)];
  }, avals, "custom_linear_solve", currentTrace()).jaxpr;
}

function rebind(p: Omit<LinearSolveParams, "call">, inputs: Value[]): Value {
  const call = callOf(p, inputs.map((x) => x.aval));
  return bind(customLinearSolveP as unknown as Primitive, inputs, { ...p, call })[0];
}

export const customLinearSolveP: Primitive<LinearSolveParams> = definePrimitive<LinearSolveParams>("custom_linear_solve", {
  params: { matvec: "static", vecmat: "static", solve: "static", transposeSolve: "static", call: "static" },
  // its rules are those of any linear map (the solve, matvec and their transposes carry the arithmetic), complex ones included
  complex: true,
  abstractEval: (avals) => [avals[avals.length - 1].strong()],
  callJaxpr: (p) => p.call,
  impl(args, p) {
    const { s, b } = split(args as Value[], p);
    return [run(p.solve, s, b)] as never;
  },
  jvp(primals, tangents, p) {
    const x = bind(customLinearSolveP as unknown as Primitive, primals, p)[0];
    const parts = split(primals, p);
    const mvTangents = tangents.slice(0, parts.mv.length);
    const tb = tangents[tangents.length - 1];
    // A·x = b ⇒ A·ẋ = ḃ - Ȧ·x: Ȧ·x is the tangent of matvec(x) with respect to its constants only
    let rhs: MaybeZero = tb;
    if (mvTangents.some((t) => !isZero(t))) {
      const [, [dAx]] = jvpFlat((...c) => [run(p.matvec, c, x)], parts.mv, mvTangents, "custom_linear_solve jvp");
      if (!isZero(dAx)) rhs = isZero(rhs) ? neg(dAx) : sub(rhs, dAx);
    }
    if (isZero(rhs)) return [[x], [new Zero(x.aval.strong())]];
    const xDot = bind(customLinearSolveP as unknown as Primitive, [...primals.slice(0, -1), instantiate(rhs)], p)[0];
    return [[x], [xDot]];
  },
  transpose([ct], args, p) {
    // linear in b only: b̄ solves Aᵀ·y = x̄, with the roles of matvec/vecmat and solve/transposeSolve swapped
    const zeros = args.map((a) => new Zero((a as { aval: ShapedArray }).aval));
    if (args.slice(0, -1).some((a) => isUndefined(a))) {
      throw new UnsupportedError("lax.customLinearSolve: the solution is linear in b only; a linear use of matvec's parameters cannot be transposed");
    }
    if (isZero(ct)) return zeros;
    if (!p.transposeSolve || !p.vecmat) {
      throw new UnsupportedError(
        "lax.customLinearSolve: reverse-mode differentiation (grad, vjp) needs transposeSolve (or symmetric: true), as in JAX; " +
          "pass { transposeSolve: (vecmat, b) => … } or use jvp/jacfwd",
      );
    }
    const parts = split(args as Value[], p);
    const swapped = { matvec: p.vecmat, vecmat: p.matvec, solve: p.transposeSolve, transposeSolve: p.solve };
    const cb = rebind(swapped, [...parts.vm, ...parts.mv, ...parts.ts, ...parts.s, ct]);
    return [...zeros.slice(0, -1), cb];
  },
  batch(args, dims, p) {
    // every input batched on axis 0 (unbatched constants broadcast), every function vmapped over its constants and its argument
    const i0 = dims.findIndex((d) => d !== null);
    const size = args[i0].shape[dims[i0]!];
    const front = args.map((a, i) => (dims[i] === null ? broadcastInDim(a, [size, ...a.shape], a.shape.map((_, k) => k + 1)) : moveAxis(a, dims[i]!, 0)));
    const parts = split(front, p);
    const bAval = parts.b.aval;
    const batched = (s: Staged | null, consts: Value[]): Staged | null => {
      if (!s) return null;
      const f = (...xs: Value[]) => vmap((...ys: Value[]) => evalJaxpr(s.jaxpr, [], ys)[0], { inAxes: 0 })(...xs) as Value;
      const { jaxpr } = traceFlat((...xs) => [f(...xs)], [...consts.map((c) => c.aval), bAval], "vmap of custom_linear_solve", currentTrace());
      return { jaxpr, numConsts: consts.length };
    };
    const q = { matvec: batched(p.matvec, parts.mv)!, vecmat: batched(p.vecmat, parts.vm), solve: batched(p.solve, parts.s)!, transposeSolve: batched(p.transposeSolve, parts.ts) };
    return [[rebind(q, front)], [0]];
  },
});


export interface CustomLinearSolveOptions {
  /** Solves Aᵀ·y = c given `vecmat` (y ↦ Aᵀ·y); needed for reverse mode unless `symmetric`. */
  transposeSolve?: (vecmat: (y: Value) => Value, c: Value) => Value;
  /** A = Aᵀ: `solve` also solves the transposed system (default false). */
  symmetric?: boolean;
}

/**
 * Solves the linear system matvec(x) = b with a solver of your own, and
 * differentiates the solution implicitly, as JAX's `lax.custom_linear_solve`:
 * derivatives never pass through `solve`'s iterations, only through
 * `matvec` (forward mode) and `transposeSolve` (reverse mode). `matvec` must
 * be linear in x; the arrays it closes over (the matrix, the parameters)
 * get their derivatives. `b` is one array.
 * @example
 * const A = np.array([[4, 1], [1, 3]]);
 * const mv = (x) => np.matmul(A, x);
 * const direct = (_mv, b) => np.linalg.solve(A, b);
 * lax.customLinearSolve(mv, np.array([1, 2]), direct, { symmetric: true }); // [0.0909, 0.6364]
 */
export function customLinearSolve(matvec: (x: Value) => Value, b: Value, solve: (matvec: (x: Value) => Value, b: Value) => Value, options: CustomLinearSolveOptions = {}): Value {
  const op = "lax.customLinearSolve";
  functionArg(op, "matvec", matvec);
  functionArg(op, "solve", solve);
  const { transposeSolve, symmetric = false } = optionsArg(op, options);
  if (transposeSolve !== undefined) functionArg(op, "transposeSolve", transposeSolve);
  b = operandArg(op, b);
  const aval = b.aval.strong();
  const [mv, mvC] = stageOne(op, "matvec", matvec, aval);
  const [sv, sC] = stageOne(op, "solve", (x) => solve(matvec, x), aval);
  let vm: Staged | null = null;
  let vmC: Value[] = [];
  let ts: Staged | null = null;
  let tsC: Value[] = [];
  if (symmetric) {
    [vm, vmC] = [mv, mvC];
    [ts, tsC] = [sv, sC];
  } else if (transposeSolve) {
    // Aᵀ as the transpose of the linear map matvec (its vjp, at any point)
    const vecmat = (y: Value) => (vjp(matvec, y)[1](y) as Value[])[0];
    [vm, vmC] = stageOne(op, "the transpose of matvec", vecmat, aval);
    [ts, tsC] = stageOne(op, "transposeSolve", (x) => transposeSolve(vecmat, x), aval);
  }
  const p = { matvec: mv, vecmat: vm, solve: sv, transposeSolve: ts };
  return rebind(p, [...mvC, ...vmC, ...sC, ...tsC, b]);
}

// ---- custom_root -------------------------------------------------------------------------------

type RootParams = {
  /** f(x) = 0 is the equation; its constants (the parameters) come first among the inputs. */
  f: Staged;
  /** x0 ↦ the root found by the user's solver; its constants follow f's. */
  solve: Staged;
  /** (x, y) ↦ tangentSolve(the derivative of f at x, y); its constants follow solve's. */
  linearSolve: Staged;
  call: Jaxpr;
};

function rootParts(args: Value[], p: Omit<RootParams, "call">) {
  const nf = p.f.numConsts;
  const ns = p.solve.numConsts;
  return { f: args.slice(0, nf), s: args.slice(nf, nf + ns), ls: args.slice(nf + ns, -1), x0: args[args.length - 1] };
}

function bindRoot(p: Omit<RootParams, "call">, inputs: Value[]): Value {
  const call = traceFlat((...xs) => {
    const parts = rootParts(xs, p);
    return [run(p.solve, parts.s, parts.x0)];
  }, inputs.map((x) => x.aval), "custom_root", currentTrace()).jaxpr;
  return bind(customRootP as unknown as Primitive, inputs, { ...p, call })[0];
}

export const customRootP: Primitive<RootParams> = definePrimitive<RootParams>("custom_root", {
  params: { f: "static", solve: "static", linearSolve: "static", call: "static" },
  abstractEval: (avals) => [avals[avals.length - 1].strong()],
  callJaxpr: (p) => p.call,
  impl(args, p) {
    const parts = rootParts(args as Value[], p);
    return [run(p.solve, parts.s, parts.x0)] as never;
  },
  jvp(primals, tangents, p) {
    // implicit function theorem: f(θ, x*(θ)) = 0 ⇒ ∂ₓf · ẋ* = -∂θf · θ̇, solved by the user's tangentSolve;
    // the solver itself (and the initial guess) is never differentiated
    const x = bind(customRootP as unknown as Primitive, primals, p)[0];
    const parts = rootParts(primals, p);
    const thetaDots = tangents.slice(0, parts.f.length);
    if (thetaDots.every((t) => isZero(t))) return [[x], [new Zero(x.aval.strong())]];
    const [, [rhs]] = jvpFlat((...c) => [run(p.f, c, x)], parts.f, thetaDots, "custom_root jvp");
    if (isZero(rhs)) return [[x], [new Zero(x.aval.strong())]];
    const z = evalJaxpr(p.linearSolve.jaxpr, [], [...parts.ls, x, rhs])[0];
    return [[x], [neg(z)]];
  },
  batch(args, dims, p) {
    // every input batched on axis 0 (unbatched constants broadcast), every function vmapped
    const i0 = dims.findIndex((d) => d !== null);
    const size = args[i0].shape[dims[i0]!];
    const front = args.map((a, i) => (dims[i] === null ? broadcastInDim(a, [size, ...a.shape], a.shape.map((_, k) => k + 1)) : moveAxis(a, dims[i]!, 0)));
    const parts = rootParts(front, p);
    const xAval = parts.x0.aval;
    const batched = (s: Staged, consts: Value[], arity: number): Staged => {
      const g = (...xs: Value[]) => vmap((...ys: Value[]) => evalJaxpr(s.jaxpr, [], ys)[0], { inAxes: 0 })(...xs) as Value;
      const avals = [...consts.map((c) => c.aval), ...globalThis.Array.from({ length: arity }, () => xAval)];
      return { jaxpr: traceFlat((...xs) => [g(...xs)], avals, "vmap of custom_root", currentTrace()).jaxpr, numConsts: consts.length };
    };
    const q = { f: batched(p.f, parts.f, 1), solve: batched(p.solve, parts.s, 1), linearSolve: batched(p.linearSolve, parts.ls, 2) };
    return [[bindRoot(q, front)], [0]];
  },
});


/**
 * Finds a root of f with a solver of your own and differentiates it
 * implicitly, as JAX's `lax.custom_root`: `solve(f, initialGuess)` returns x
 * with f(x) = 0; derivatives with respect to the arrays f closes over come
 * from the implicit function theorem (∂ₓf·ẋ = -∂θf·θ̇), solved by
 * `tangentSolve(g, y)`, which must return z with g(z) = y for the linear map
 * g (the derivative of f at the root). The solver's iterations are never
 * differentiated. `initialGuess` is one array.
 * @example
 * // √a as the root of x² - a, by Newton's method
 * const a = np.array(2);
 * const newton = (f, x0) => lax.foriLoop(0, 20, (_i, x) => x.sub(f(x).div(x.mul(2))), x0);
 * lax.customRoot((x) => x.mul(x).sub(a), np.array(1), newton, (g, y) => y.div(g(np.array(1)))); // 1.41421
 */
export function customRoot(
  f: (x: Value) => Value,
  initialGuess: Value,
  solve: (f: (x: Value) => Value, x0: Value) => Value,
  tangentSolve: (g: (v: Value) => Value, y: Value) => Value,
): Value {
  const op = "lax.customRoot";
  functionArg(op, "f", f);
  functionArg(op, "solve", solve);
  functionArg(op, "tangentSolve", tangentSolve);
  const x0 = operandArg(op, initialGuess);
  const aval = x0.aval.strong();
  const [fs, fC] = stageOne(op, "f", f, aval);
  // the solver sees f as a plain function; its own closure (f's constants included) becomes its constants
  const [ss, sC] = stageOne(op, "solve", (x) => solve(f, x), aval);
  // tangentSolve applied to f's derivative at x, traced as a function of (x, y) so that what it closes over is explicit too
  const { jaxpr: lsJaxpr, consts: lsC } = traceFlat(
    (x, y) => {
      const g = (v: Value) => instantiate(jvpFlat((z) => [f(z)], [x], [operandArg(op, v)], "customRoot tangent")[1][0]);
      return [operandArg(`${op}: tangentSolve`, tangentSolve(g, y))];
    },
    [aval, aval],
    `${op} tangentSolve`,
    currentTrace(),
  );
  const p = { f: fs, solve: ss, linearSolve: { jaxpr: lsJaxpr, numConsts: lsC.length } };
  return bindRoot(p, [...fC, ...sC, ...lsC, x0]);
}
