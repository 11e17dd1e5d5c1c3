/**
 * The named-axis environment: which axis names the enclosing `vmap(f, { axisName })`
 * (and `pmap`, `shardMap`) calls bind, innermost last, with their sizes. A
 * collective looks its axis up here when it is called, so that an unbound
 * name fails at once with the names that are bound; `axisSize` reads the size
 * here. The batch trace that owns the name does the collective's work (see
 * `PrimitiveRules.batchNamed` and src/transforms/vmap.ts); this list only
 * says, while a function is being traced, what is in scope.
 */
import { AxisNameError } from "../errors.js";
import { describe } from "../static-args.js";

/** One bound axis: its name and the size of the mapped axis. */
export interface AxisFrame {
  readonly name: string;
  readonly size: number;
}

const frames: AxisFrame[] = [];

/** Runs `fn` with `frame` bound (innermost); unbinds it even on error. */
export function withAxisFrame<T>(frame: AxisFrame, fn: () => T): T {
  frames.push(frame);
  try {
    return fn();
  } finally {
    frames.pop();
  }
}

/** The bound axes, outermost first. */
export function boundAxes(): readonly AxisFrame[] {
  return frames;
}

/** A string naming the bound axes and sizes ("" when none): part of jit's cache key, since `axisSize` is traced in as a number. */
export function axisEnvKey(): string {
  return frames.length === 0 ? "" : `|axes:${frames.map((f) => `${JSON.stringify(f.name)}=${f.size}`).join(",")}`;
}

/** Checks an axis-name argument: a non-empty string, or a non-empty list of distinct ones (several axes at once). */
export function axisNamesArg(op: string, axisName: unknown): string[] {
  const names = Array.isArray(axisName) ? [...axisName] : [axisName];
  if (names.length === 0) throw new AxisNameError(`${op}: axisName is an empty list; name at least one axis bound by vmap(f, { axisName })`);
  for (const n of names) {
    if (typeof n !== "string" || n.length === 0) {
      throw new AxisNameError(`${op}: an axis name must be a non-empty string (as given to vmap(f, { axisName: "i" })), got ${describe(n)}`);
    }
  }
  if (new Set(names).size !== names.length) throw new AxisNameError(`${op}: axis names ${JSON.stringify(names)} repeat a name`);
  return names as string[];
}

/** The innermost frame binding `name`; an AxisNameError naming the bound axes if none does. */
export function axisFrame(op: string, name: string): AxisFrame {
  for (let i = frames.length - 1; i >= 0; i--) if (frames[i].name === name) return frames[i];
  throw unboundAxis(op, name);
}

export function unboundAxis(op: string, name: string): AxisNameError {
  const bound = frames.map((f) => JSON.stringify(f.name));
  return new AxisNameError(
    `${op}: unbound axis name ${JSON.stringify(name)}. ` +
      (bound.length ? `The bound axis names are ${[...new Set(bound)].join(", ")}. ` : `No axis name is bound here. `) +
      `A collective works over an axis named by an enclosing vmap(f, { axisName: ${JSON.stringify(name)} }), pmap(f, { axisName }) or shardMap over a mesh with that axis; call it inside one.`,
  );
}
