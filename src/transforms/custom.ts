/**
 * User-defined derivatives and rematerialization: customJvp, customVjp,
 * checkpoint. Each is a primitive holding the traced function as a jaxpr
 * (closure-converted: its constants are explicit inputs, so every trace sees
 * them), with rules that call the user's functions. They live here, not in
 * src/lax, because their rules are themselves transformations.
 */
import { functionArg } from "../static-args.js";
import { Array } from "../array.js";
import { UnsupportedError } from "../errors.js";
import { instantiate, isZero, moveAxis, reduceSum } from "../lax/index.js";
import { definePrimitive } from "../lax/primitive.js";
import type { MaybeZero, Value } from "../trace/core.js";
import { bind, currentTrace, ShapedArray, Zero } from "../trace/core.js";
import type { Jaxpr } from "../trace/jaxpr.js";
import { flatten, type TreeDef } from "../trace/pytree.js";
import { traceFlat } from "../trace/staging.js";
import { flattenArgs, rebuild } from "./args.js";
import { jvpFlat } from "./jvp.js";
import { backwardPass, linearizeFlat } from "./linearize.js";
import { vmap } from "./vmap.js";
import { type FlatFn, flattenFun, jaxprAsFun } from "./flat.js";

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A traced function: the jaxpr, how many leading inputs are its constants, and its output types. */
interface Call {
  jaxpr: Jaxpr;
  numConsts: number;
}
const runCall = (call: Call, inputs: Value[]) => jaxprAsFun(call.jaxpr)(...inputs);
const outAvalsOf = (call: Call) => call.jaxpr.outs.map((o) => o.aval);

/** Traces a flat function at the types of `args`; returns the call and the inputs to bind (constants first). */
function stage(fn: FlatFn, args: Value[], name: string): [Call, Value[]] {
  const { jaxpr, consts } = traceFlat(fn, args.map((a) => a.aval), name, currentTrace());
  return [{ jaxpr, numConsts: consts.length }, [...consts, ...args]];
}

/** vmaps a flat function with the given input axes; every output gets batch axis 0. */
function vmapFlat(fn: FlatFn, inAxes: (number | null)[]): FlatFn {
  return (...xs: Value[]) => vmap((...ys: Value[]) => fn(...ys), { inAxes })(...xs) as Value[];
}

/** Batching by vmapping an implementation: every output batched on axis 0. */
function batchByVmap(fn: FlatFn) {
  return (args: Value[], dims: (number | null)[]): [Value[], (number | null)[]] => {
    const outs = vmapFlat(fn, dims)(...args);
    return [outs, outs.map(() => 0)];
  };
}

// when executing (not transforming), these calls are just their jaxprs: let jit inline and fuse them

// ---- customJvp ---------------------------------------------------------------------------

type JvpRule = (primals: Value[], tangents: Value[]) => [Value[], Value[]];
type CustomJvpParams = { call: Call; jvp: JvpRule };

export const customJvpCallP = definePrimitive<CustomJvpParams>("custom_jvp_call", {
  complex: true,
  params: { call: "static", jvp: "static" },
  abstractEval: (_a, { call }) => outAvalsOf(call),
  callJaxpr: (p) => p.call.jaxpr,
  impl: (args, { call }) => runCall(call, args) as Array[],
  jvp(primals, tangents, { call, jvp }) {
    const args = primals.slice(call.numConsts);
    const ts = tangents.slice(call.numConsts).map(instantiate);
    const [outs, touts] = jvp(args, ts);
    return [outs, touts];
  },
  batch(args, dims, { call, jvp }) {
    // rebind with batched versions of both the function and its rule, so an outer jvp still uses the rule
    const nc = call.numConsts;
    const fn = vmapFlat((...xs) => runCall(call, xs), dims);
    const argDims = dims.slice(nc);
    const rule: JvpRule = (p, t) => {
      const n = p.length;
      const both = vmapFlat((...xs) => {
        const [o, to] = jvp(xs.slice(0, n), xs.slice(n));
        return [...o, ...to];
      }, [...argDims, ...argDims])(...p, ...t);
      return [both.slice(0, both.length / 2), both.slice(both.length / 2)];
    };
    const consts = args.slice(0, nc);
    const [newCall, inputs] = stage((...xs) => fn(...consts, ...xs), args.slice(nc), "vmap of customJvp");
    const outs = bind(customJvpCallP, inputs, { call: newCall, jvp: rule });
    return [outs, outs.map(() => 0)];
  },
});

/**
 * A function with a user-defined JVP rule, as JAX's `custom_jvp` + `defjvp`.
 * The rule receives the primal inputs and their tangents (as arrays, one per
 * argument) and returns `[primalOut, tangentOut]`. The tangent must be linear
 * in the input tangents; reverse mode then comes for free.
 * @example
 * const safeLog = customJvp((x) => np.log(x), ([x], [t]) => [np.log(x), t.div(x)]);
 */
export function customJvp<F extends Fn>(f: F, rule: (primals: Parameters<F>, tangents: Parameters<F>) => [ReturnType<F>, ReturnType<F>]): F {
  functionArg("customJvp", "f", f);
  functionArg("customJvp", "the jvp rule", rule);
  return ((...args: Parameters<F>) => {
    const [leaves, inTree] = flattenArgs(args, "customJvp");
    const { flat, outTree } = flattenFun(f, inTree, "customJvp output");
    const [call, inputs] = stage(flat, leaves, "customJvp");
    const jvpRule: JvpRule = (p, t) => {
      const [out, tout] = rule(rebuild(inTree, p), rebuild(inTree, t));
      const outs = flattenArgs(flatten(out)[0], "customJvp rule output")[0];
      const touts = flattenArgs(flatten(tout)[0], "customJvp rule tangent")[0];
      return [outs, touts];
    };
    const outs = bind(customJvpCallP, inputs, { call, jvp: jvpRule });
    return rebuild(outTree(), outs);
  }) as F;
}

// ---- customVjp ---------------------------------------------------------------------------

type Fwd = (primals: Value[]) => [Value[], Value[]];
type Bwd = (residuals: Value[], cts: Value[]) => Value[];
type CustomVjpParams = { call: Call; fwd: Fwd; bwd: Bwd };

/** The linear part of a customVjp function: its transpose is the user's bwd. */
export const customLinP = definePrimitive<{ bwd: Bwd; numRes: number; outAvals: ShapedArray[] }>("custom_lin", {
  complex: true,
  params: { bwd: "static", numRes: "int", outAvals: "static" },
  abstractEval: (_a, { outAvals }) => outAvals,
  impl: () => {
    throw new UnsupportedError("forward-mode differentiation (jvp, jacfwd) of a customVjp function is not supported; define it with customJvp instead");
  },
  jvp: () => {
    throw new UnsupportedError("forward-mode differentiation (jvp, jacfwd) of a customVjp function is not supported; define it with customJvp instead");
  },
  transpose(cts, args, { bwd, numRes }) {
    const res = args.slice(0, numRes) as Value[];
    const ctsIn = bwd(res, cts.map(instantiate));
    return [...res.map((r) => new Zero(r.aval)), ...ctsIn];
  },
  batch(args, dims, { bwd, numRes, outAvals }) {
    const resDims = dims.slice(0, numRes);
    const tanDims = dims.slice(numRes);
    const size = args[dims.findIndex((d) => d !== null)].shape[dims.find((d) => d !== null)!];
    const batchedBwd: Bwd = (res, cts) => {
      const outs = vmapFlat((...xs) => bwd(xs.slice(0, res.length), xs.slice(res.length)), [...resDims, ...cts.map(() => 0)])(...res, ...cts);
      // each cotangent takes its tangent's layout: summed over the batch where that was unbatched
      return outs.map((o, i) => (tanDims[i] === null ? reduceSum(o, [0]) : moveAxis(o, 0, tanDims[i]!)));
    };
    const outs = bind(customLinP, args, { bwd: batchedBwd, numRes, outAvals: outAvals.map((a) => new ShapedArray([size, ...a.shape], a.dtype)) });
    return [outs, outs.map(() => 0)];
  },
});

export const customVjpCallP = definePrimitive<CustomVjpParams>("custom_vjp_call", {
  complex: true,
  params: { call: "static", fwd: "static", bwd: "static" },
  abstractEval: (_a, { call }) => outAvalsOf(call),
  callJaxpr: (p) => p.call.jaxpr,
  impl: (args, { call }) => runCall(call, args) as Array[],
  jvp(primals, tangents, { call, fwd, bwd }) {
    const args = primals.slice(call.numConsts);
    const [outs, res] = fwd(args);
    const ts = tangents.slice(call.numConsts);
    if (ts.every(isZero)) return [outs, outs.map((o) => new Zero(o.aval.strong()))];
    const touts = bind(customLinP, [...res, ...ts.map(instantiate)], { bwd, numRes: res.length, outAvals: outs.map((o) => o.aval.strong()) });
    return [outs, touts];
  },
  batch(args, dims, { call, fwd, bwd }) {
    const nc = call.numConsts;
    const argDims = dims.slice(nc);
    const fn = vmapFlat((...xs) => runCall(call, xs), dims);
    let numOut = 0;
    const batchedFwd: Fwd = (p) => {
      const both = vmapFlat((...xs) => {
        const [o, r] = fwd(xs);
        numOut = o.length;
        return [...o, ...r];
      }, argDims)(...p);
      return [both.slice(0, numOut), both.slice(numOut)];
    };
    const batchedBwd: Bwd = (res, cts) => {
      const outs = vmapFlat((...xs) => bwd(xs.slice(0, res.length), xs.slice(res.length)), [...res.map(() => 0), ...cts.map(() => 0)])(...res, ...cts);
      return outs.map((o, i) => (argDims[i] === null ? reduceSum(o, [0]) : o));
    };
    const consts = args.slice(0, nc);
    const [newCall, inputs] = stage((...xs) => fn(...consts, ...xs), args.slice(nc), "vmap of customVjp");
    const outs = bind(customVjpCallP, inputs, { call: newCall, fwd: batchedFwd, bwd: batchedBwd });
    return [outs, outs.map(() => 0)];
  },
});

/**
 * A function with a user-defined VJP, as JAX's `custom_vjp` + `defvjp`:
 * `fwd(...args)` returns `[out, residuals]`, `bwd(residuals, cotangentOut)`
 * returns one cotangent per argument.
 * @example
 * const clipGrad = customVjp((x) => x, (x) => [x, null], (_r, g) => [np.clip(g, -1, 1)]);
 */
export function customVjp<F extends Fn>(
  f: F,
  fwd: (...args: Parameters<F>) => [ReturnType<F>, unknown],
  bwd: (residuals: any, cotangent: ReturnType<F>) => unknown[], // eslint-disable-line @typescript-eslint/no-explicit-any
): F {
  functionArg("customVjp", "f", f);
  functionArg("customVjp", "fwd", fwd);
  functionArg("customVjp", "bwd", bwd);
  return ((...args: Parameters<F>) => {
    const [leaves, inTree] = flattenArgs(args, "customVjp");
    const { flat, outTree } = flattenFun(f, inTree, "customVjp output");
    const [call, inputs] = stage(flat, leaves, "customVjp");
    let resTree: TreeDef | undefined;
    const flatFwd: Fwd = (p) => {
      const [out, res] = fwd(...rebuild<Parameters<F>>(inTree, p));
      const [resLeaves, rt] = flatten(res);
      resTree = rt;
      return [flattenArgs(flatten(out)[0], "customVjp fwd output")[0], flattenArgs(resLeaves, "customVjp residuals")[0]];
    };
    const flatBwd: Bwd = (res, cts) => {
      const grads = bwd(rebuild(resTree!, res), rebuild(outTree(), cts));
      return flattenArgs(flatten(grads)[0], "customVjp bwd output")[0];
    };
    const outs = bind(customVjpCallP, inputs, { call, fwd: flatFwd, bwd: flatBwd });
    return rebuild(outTree(), outs);
  }) as F;
}

// ---- checkpoint ----------------------------------------------------------------------------

type RematParams = { call: Call };

export const rematCallP = definePrimitive<RematParams>("checkpoint", {
  complex: true,
  params: { call: "static" },
  abstractEval: (_a, { call }) => outAvalsOf(call),
  callJaxpr: (p) => p.call.jaxpr,
  impl: (args, { call }) => runCall(call, args) as Array[],
  jvp(primals, tangents, { call }) {
    const outs = bind(rematCallP, primals, { call });
    if (tangents.every(isZero)) return [outs, outs.map((o) => new Zero(o.aval.strong()))];
    const touts = bind(rematJvpP, [...primals, ...tangents.map(instantiate)], { call });
    return [outs, touts];
  },
  batch: (args, dims, { call }) => {
    const fn = vmapFlat((...xs) => runCall(call, xs), dims);
    const [newCall, inputs] = stage(fn, args, "vmap of checkpoint");
    const outs = bind(rematCallP, inputs, { call: newCall });
    return [outs, outs.map(() => 0)];
  },
});

/** The tangent of a checkpointed call: linear in the tangents; its transpose recomputes the forward pass. */
const rematTangent = (call: Call) => (...xs: Value[]) => {
  const n = xs.length / 2;
  return jvpFlat((...p) => runCall(call, p), xs.slice(0, n), xs.slice(n))[1].map(instantiate);
};
export const rematJvpP = definePrimitive<RematParams>("checkpoint_jvp", {
  complex: true,
  params: { call: "static" },
  abstractEval: (_a, { call }) => outAvalsOf(call).map((a) => a.strong()),
  impl: (args, { call }) => rematTangent(call)(...args) as Array[],
  jvp(primals, tangents, { call }) {
    const [outs, touts] = jvpFlat(rematTangent(call), primals, tangents);
    return [outs, touts];
  },
  transpose(cts, args, { call }) {
    const n = args.length / 2;
    const primals = args.slice(0, n) as Value[];
    const [, linear] = linearizeFlat((...p) => runCall(call, p), primals, "checkpoint");
    const ctsIn: MaybeZero[] = backwardPass(linear, cts);
    return [...primals.map((p) => new Zero(p.aval)), ...ctsIn];
  },
  batch: (args, dims, { call }) => batchByVmap(rematTangent(call))(args, dims),
  // exportStableHLO: the tangent computation, traced at the equation's types and inlined
  stablehlo: (ctx, args, { call }, avals) => ctx.traced(rematTangent(call), avals, args),
});

/**
 * Rematerialization: reverse mode through `f` saves only its inputs and
 * recomputes its intermediates during the backward pass (less memory, more compute).
 * @example
 * const g = grad((x) => checkpoint((y) => np.sin(np.sin(y)))(x))(np.array(1));
 */
export function checkpoint<F extends Fn>(f: F): F {
  functionArg("checkpoint", "f", f);
  return ((...args: Parameters<F>) => {
    const [leaves, inTree] = flattenArgs(args, "checkpoint");
    const { flat, outTree } = flattenFun(f, inTree, "checkpoint output");
    const [call, inputs] = stage(flat, leaves, "checkpoint");
    const outs = bind(rematCallP, inputs, { call });
    return rebuild(outTree(), outs);
  }) as F;
}
