/**
 * pmap: JAX's parallel map over the leading axis, with a named axis for collectives.
 *
 * jaxon has one device per backend, so `pmap` cannot place each slice on a
 * device of its own. It runs the mapped axis as a named, jitted vmap on the
 * one device instead: `pmap(f, { axisName })` is
 * `jit(vmap(f, { axisName, inAxes, outAxes }))`. The numbers are JAX's (the
 * collectives over `axisName` see every slice), and the mapped size is not
 * limited by a device count, where JAX's pmap refuses a leading axis longer
 * than the number of local devices.
 */
import { functionArg, optionsArg } from "../static-args.js";
import { jit, type Jitted } from "./jit.js";
import { vmap, type InAxes } from "./vmap.js";

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface PmapOptions {
  /** The name collectives inside `f` use for the mapped axis (JAX's `axis_name`). */
  axisName?: string;
  /** Mapped axis per argument, as vmap's (default 0: the leading axis). */
  inAxes?: InAxes;
  /** Where the mapped axis goes in the outputs, as vmap's (default 0). */
  outAxes?: number | null | readonly unknown[] | object;
}

/**
 * Maps `f` over the leading axis of its arguments, compiled, with the mapped
 * axis named for collectives. On jaxon's single device the slices run as one
 * batch (a named vmap under jit), so any mapped size works.
 * @example
 * import { lax, np, pmap } from "jaxon-ts";
 * const normalize = pmap((x) => x.div(lax.psum(x, "d")), { axisName: "d" });
 * normalize(np.array([1, 3])); // [0.25, 0.75]
 */
export function pmap<F extends Fn>(f: F, options: PmapOptions = {}): Jitted<F> {
  functionArg("pmap", "f", f);
  const o = optionsArg("pmap", options);
  const mapped = vmap(f, { axisName: o.axisName, inAxes: o.inAxes, outAxes: o.outAxes });
  Object.defineProperty(mapped, "name", { value: `pmap(${f.name || "fn"})` });
  return jit(mapped as F);
}
