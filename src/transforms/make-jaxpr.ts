/** makeJaxpr: the jaxpr of a function at given argument types, for reading what a transformation did. */
import { functionArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { currentTrace, inScope } from "../trace/core.js";
import type { ClosedJaxpr } from "../trace/jaxpr.js";
import { StagingTrace } from "../trace/staging.js";
import { flattenArgs } from "./args.js";
import { flattenFun } from "./flat.js";

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Traces `f` at the types (shapes, dtypes) of the given arguments and returns
 * its jaxpr; `String(jaxpr)` prints it as JAX does.
 * @example
 * String(makeJaxpr((x) => np.sin(x).mul(2))(np.zeros([3])));
 * // "{ lambda ; a:f32[3]. let b:f32[3] = sin a; c:f32[3] = mul b 2.0 in (c) }"
 */
export function makeJaxpr<F extends Fn>(f: F): (...args: Parameters<F>) => ClosedJaxpr {
  functionArg("makeJaxpr", "f", f);
  return (...args) => {
    const [leaves, tree] = flattenArgs(args, "makeJaxpr");
    const trace = new StagingTrace(currentTrace(), "makeJaxpr");
    let outs: Value[] = [];
    inScope(trace, () => {
      const ins = leaves.map((x) => trace.newArg(x.aval));
      outs = flattenFun(f, tree, "makeJaxpr output").flat(...ins);
    });
    return trace.build(outs);
  };
}
