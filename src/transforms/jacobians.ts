/**
 * Jacobians: jacfwd pushes a basis of input tangents through jvp, jacrev
 * pulls a basis of output cotangents through vjp, both vmapped over the
 * basis. The result for an input leaf of shape I and an output leaf of shape O
 * has shape [...O, ...I]; for pytrees, the output's structure holds the
 * input's structure (as JAX).
 */
import { describe, functionArg, optionsArg } from "../static-args.js";
import { DTypeError } from "../errors.js";
import { convert, eq, iota, moveAxis, reshape } from "../lax/index.js";
import type { DType } from "../dtype.js";
import { isComplexDType, isFloat } from "../dtype.js";
import { sizeOf } from "../shape.js";
import type { Value } from "../trace/core.js";
import { flatten, type TreeDef } from "../trace/pytree.js";
import { checkDifferentiable, flattenArgs, normalizeArgnums, placeLikePrimals, rebuild } from "./args.js";
import { jvp } from "./jvp.js";
import { vjp, type GradOf } from "./linearize.js";
import { vmap } from "./vmap.js";
import { zerosOf } from "../lax/elementwise.js";

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any
export interface JacobianOptions {
  argnums?: number | readonly number[];
  /**
   * The function is holomorphic (complex inputs and outputs): the Jacobian is the complex
   * derivative, as JAX's `holomorphic=True`. Without it, jacfwd takes real inputs only and
   * jacrev real outputs only (JAX's rules).
   */
  holomorphic?: boolean;
}

/** JAX's dtype rules of jacfwd/jacrev, with and without `holomorphic`. */
function checkJacobianDTypes(op: "jacfwd" | "jacrev", holomorphic: unknown, inputs: Value[] | null, outputs: Value[] | null): void {
  if (holomorphic !== undefined && typeof holomorphic !== "boolean") throw new DTypeError(`${op}: holomorphic must be true or false, got ${describe(holomorphic)}`);
  inputs?.forEach((v, i) => {
    checkDifferentiable(op, v, `input leaf ${i}`, holomorphic === true);
    if (op === "jacfwd" && !holomorphic && isComplexDType(v.dtype)) {
      throw new DTypeError(
        `jacfwd needs real-valued inputs, but input leaf ${i} has dtype ${v.dtype}; pass { holomorphic: true } for a holomorphic function, ` +
          `or use jacrev or vjp for a non-holomorphic one`,
      );
    }
  });
  outputs?.forEach((o, j) => {
    if (holomorphic && !isComplexDType(o.dtype)) throw new DTypeError(`${op} with holomorphic: true needs complex outputs, but output leaf ${j} has dtype ${o.dtype}`);
    if (op === "jacrev" && !holomorphic && isComplexDType(o.dtype)) {
      throw new DTypeError(
        `jacrev needs real-valued outputs, but output leaf ${j} has dtype ${o.dtype}; pass { holomorphic: true } for a holomorphic function, ` +
          `or use jacfwd or vjp for a non-holomorphic one`,
      );
    }
  });
}

/**
 * The Jacobian's type: the output's structure with each of its arrays
 * replaced by the differentiated input's structure (as `grad` types it: that
 * argument's, or a tuple of them for an array `argnums`). For `f(x: Value):
 * Value` it is `Value`; for a function returning `{ a: Value, b: Value }` of
 * two argnums, `{ a: [Value, Value], b: [Value, Value] }`. An untyped `f`
 * (returning `any`) gives `any`.
 */
export type JacobianOf<F extends Fn, O extends JacobianOptions> = 0 extends 1 & ReturnType<F> ? any : ReplaceLeaves<ReturnType<F>, GradOf<F, O>>; // eslint-disable-line @typescript-eslint/no-explicit-any
type ReplaceLeaves<T, L> = T extends Value | number
  ? L
  : T extends readonly unknown[]
    ? { -readonly [K in keyof T]: ReplaceLeaves<T[K], L> }
    : T extends object
      ? { [K in keyof T]: ReplaceLeaves<T[K], L> }
      : L;

/** The identity basis for a leaf: [size, ...shape], row i a one-hot at flat position i. */
function basis(shape: readonly number[], dtype: DType): Value {
  const n = sizeOf(shape);
  const eye = convert(eq(iota("int32", [n, n], 0), iota("int32", [n, n], 1)), isFloat(dtype) || isComplexDType(dtype) ? dtype : "float32");
  return reshape(eye, [n, ...shape]);
}

/** Splits the call into the differentiated arguments and a function of them alone. */
function restrict(f: Fn, args: unknown[], argnums: number[]) {
  const g = (...diff: unknown[]) => {
    const full = [...args];
    argnums.forEach((a, i) => (full[a] = diff[i]));
    return f(...full);
  };
  return { g, diffArgs: argnums.map((i) => args[i]) };
}

/** Assembles per-(output leaf, input leaf) blocks into out-tree of in-tree. */
function assemble(blocks: Value[][], outTree: TreeDef, inTree: TreeDef, singleArg: boolean) {
  const perOut = blocks.map((row) => {
    const inner = rebuild<unknown[]>(inTree, row);
    return singleArg ? inner[0] : inner;
  });
  return rebuild(outTree, perOut);
}

/**
 * Forward-mode Jacobian: one jvp per input element, vmapped.
 * @example
 * jacfwd((x) => x.mul(x))(np.array([1, 2])); // [[2, 0], [0, 4]]
 */
export function jacfwd<F extends Fn, const O extends JacobianOptions = {}>(f: F, options: O = {} as O): (...args: Parameters<F>) => JacobianOf<F, O> {
  functionArg("jacfwd", "f", f);
  options = optionsArg("jacfwd", options);
  return (...args: Parameters<F>): JacobianOf<F, O> => {
    const argnums = normalizeArgnums("jacfwd", options.argnums, args.length);
    const { g, diffArgs } = restrict(f, args, argnums);
    const [inLeaves, inTree] = flattenArgs(diffArgs, "jacfwd");
    checkJacobianDTypes("jacfwd", options.holomorphic, inLeaves, null);
    const [outAtPoint, outTree] = flatten(g(...diffArgs));
    const outLeaves = flattenArgs(outAtPoint, "jacfwd output")[0];
    checkJacobianDTypes("jacfwd", options.holomorphic, null, outLeaves);
    // columns[i][j]: d out_j / d in_i with shape [...O_j, ...I_i]
    const columns = inLeaves.map((x, i) => {
      const push = (t: Value) => {
        const tangents = inLeaves.map((y, k) => (k === i ? reshape(t, y.shape) : zerosOf(y.aval.strong())));
        const [, tOut] = jvp(g, diffArgs, rebuild<unknown[]>(inTree, tangents));
        return flattenArgs(flatten(tOut)[0], "jacfwd output")[0];
      };
      const pushed = vmap(push)(reshape(basis(x.shape, x.dtype), [x.size, x.size])) as Value[];
      // as JAX's jacfwd: the columns come from a strongly typed basis, so the Jacobian is strong whatever x's weak type
      return pushed.map((o, j) => placeLikePrimals([reshape(moveAxis(o, 0, o.ndim - 1), [...outLeaves[j].shape, ...x.shape])], [x], { weakType: false })[0]);
    });
    const blocks = outLeaves.map((_, j) => inLeaves.map((_, i) => columns[i][j]));
    return assemble(blocks, outTree, inTree, typeof options.argnums === "number" || options.argnums === undefined) as JacobianOf<F, O>;
  };
}

/**
 * Reverse-mode Jacobian: one vjp per output element, vmapped.
 * @example
 * jacrev((x) => x.mul(x))(np.array([1, 2])); // [[2, 0], [0, 4]]
 */
export function jacrev<F extends Fn, const O extends JacobianOptions = {}>(f: F, options: O = {} as O): (...args: Parameters<F>) => JacobianOf<F, O> {
  functionArg("jacrev", "f", f);
  options = optionsArg("jacrev", options);
  return (...args: Parameters<F>): JacobianOf<F, O> => {
    const argnums = normalizeArgnums("jacrev", options.argnums, args.length);
    const { g, diffArgs } = restrict(f, args, argnums);
    const [inLeaves, inTree] = flattenArgs(diffArgs, "jacrev");
    checkJacobianDTypes("jacrev", options.holomorphic, inLeaves, null);
    const [out, pullback] = vjp(g, ...diffArgs);
    const [outRaw, outTree] = flatten(out);
    const outLeaves = flattenArgs(outRaw, "jacrev output")[0];
    checkJacobianDTypes("jacrev", options.holomorphic, null, outLeaves);
    const rows = outLeaves.map((o, j) => {
      const pull = (c: Value) => {
        const cts = outLeaves.map((p, k) => (k === j ? reshape(c, p.shape) : zerosOf(p.aval.strong())));
        const grads = pullback(rebuild(outTree, cts));
        return flattenArgs(flatten(grads)[0], "jacrev cotangents")[0];
      };
      const pulled = vmap(pull)(reshape(basis(o.shape, o.dtype), [o.size, o.size])) as Value[];
      return pulled.map((gIn, i) => placeLikePrimals([reshape(gIn, [...o.shape, ...inLeaves[i].shape])], [inLeaves[i]])[0]);
    });
    return assemble(rows, outTree, inTree, typeof options.argnums === "number" || options.argnums === undefined) as JacobianOf<F, O>;
  };
}

/**
 * The Hessian, as jacfwd of jacrev.
 * @example
 * hessian((x) => x.mul(x).mul(x).sum())(np.array([1, 2])); // [[6, 0], [0, 12]]
 */
export function hessian<F extends Fn, const O extends JacobianOptions = {}>(f: F, options: O = {} as O): (...args: Parameters<F>) => JacobianOf<(...args: Parameters<F>) => JacobianOf<F, O>, O> {
  functionArg("hessian", "f", f);
  return jacfwd(jacrev(f, options), options);
}
