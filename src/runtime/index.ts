/**
 * The runtime: the only layer that knows both Arrays and devices. Eager
 * dispatch (dispatch.ts), placement (placement.ts) and the execution of
 * kernel plans (execute.ts, fuse.ts). Loading it installs it as the trace
 * machinery's `Runtime` (src/trace/core.ts), which is how `trace/` and
 * `lax/` run concrete work without importing devices.
 */
import { installRuntime, ShapedArray } from "../trace/core.js";
import { evaluate } from "./dispatch.js";
import { constant, knownScalar, literalOn } from "./placement.js";
import { runJaxpr, runLowered } from "./execute.js";
import { deviceWhile } from "./device-loop.js";

installRuntime({
  evaluate,
  constant: (value: number, aval: ShapedArray) => constant(value, aval),
  literal: (lit) => literalOn(lit),
  knownScalar,
  runJaxpr,
  alias: (x) => runLowered({ kind: "alias", input: 0 }, [x], [x.aval])[0],
  deviceWhile,
});

export { cacheConfig, eagerSignatureCount } from "./dispatch.js";
export { commit, constantValue, deviceOf, fromHost, hostValues, onDevice, placeLikePrimals, viaCpu, type Origin } from "./placement.js";
export { planConfig, planFor, runJaxpr, executePlan } from "./execute.js";
export { kernelCount } from "./fuse.js";
export { deviceLoopConfig } from "./device-loop.js";
export { cacheConfig as deviceCacheConfig } from "../backend/cache-config.js";
