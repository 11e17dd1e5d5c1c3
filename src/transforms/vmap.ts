/**
 * Vectorization: the batch trace carries a value with its batch axis (or
 * null for a value that is the same across the batch) and applies each
 * primitive's batching rule. The function is traced once, for the whole batch.
 */
import { functionArg, optionsArg } from "../static-args.js";
import type { Params, Primitive, Value } from "../trace/core.js";
import { bind, currentTrace, inScope, ShapedArray, Trace, Tracer } from "../trace/core.js";
import { broadcastInDim, moveAxis } from "../lax/index.js";
import { ShapeError } from "../errors.js";
import { broadcastPrefix, flatten, type TreeDef } from "../trace/pytree.js";
import { flattenArgs, rebuild } from "./args.js";
import { fmtShape } from "../shape.js";
import type { Jaxpr } from "../trace/jaxpr.js";
import { axisNamesArg, withAxisFrame, type AxisFrame } from "../lax/parallel-env.js";
import { intArg } from "../static-args.js";

export class BatchTracer extends Tracer {
  #aval: ShapedArray | undefined;
  constructor(
    trace: BatchTrace,
    readonly val: Value,
    readonly batchDim: number,
  ) {
    super(trace);
  }
  /** The per-example type: the value's type without the batch axis. */
  get aval(): ShapedArray {
    if (!this.#aval) {
      const a = this.val.aval;
      this.#aval = new ShapedArray(
        a.shape.filter((_, i) => i !== this.batchDim),
        a.dtype,
        a.weakType,
      );
    }
    return this.#aval;
  }
}

/**
 * The named vmap axis whose batching rule is running (null: none, or an unnamed vmap). A rule that
 * batches an inner jaxpr with `vmap` over the same batch axis (jit, control flow) gives that
 * inner vmap this name, so that the collectives inside it find their axis.
 */
let ruleFrame: AxisFrame | null = null;

function withRuleFrame<T>(frame: AxisFrame | null, fn: () => T): T {
  const saved = ruleFrame;
  ruleFrame = frame;
  try {
    return fn();
  } finally {
    ruleFrame = saved;
  }
}

/** The axis names the collectives of a jaxpr (and of the jaxprs inside its equations' parameters) work over. */
const namesUsed = new WeakMap<Jaxpr, Set<string>>();
function jaxprAxisNames(j: Jaxpr): Set<string> {
  let names = namesUsed.get(j);
  if (names) return names;
  names = new Set();
  for (const e of j.eqns) {
    for (const n of e.prim.rules.axisNames?.(e.params) ?? []) names.add(n);
    for (const n of paramsAxisNames(e.params)) names.add(n);
  }
  namesUsed.set(j, names);
  return names;
}
function paramsAxisNames(v: unknown, depth = 0): Set<string> {
  const out = new Set<string>();
  if (depth > 4 || v === null || typeof v !== "object") return out;
  if (Array.isArray(v)) {
    for (const x of v) for (const n of paramsAxisNames(x, depth + 1)) out.add(n);
  } else if ("eqns" in v && "invars" in v) {
    return jaxprAxisNames(v as Jaxpr);
  } else if ("jaxpr" in v && "consts" in v) {
    return paramsAxisNames((v as { jaxpr: unknown }).jaxpr, depth + 1);
  } else if (Object.getPrototypeOf(v) === Object.prototype) {
    for (const x of Object.values(v)) for (const n of paramsAxisNames(x, depth + 1)) out.add(n);
  }
  return out;
}

export class BatchTrace extends Trace {
  constructor(
    parent: Trace,
    readonly axisSize: number,
    /** The axis name collectives use to work over this batch axis (vmap's `axisName`), if any. */
    readonly axisName?: string,
  ) {
    super(parent, axisName === undefined ? "vmap" : `vmap(axisName=${JSON.stringify(axisName)})`);
  }
  process(prim: Primitive, args: Value[], params: Params): Value[] {
    const vals: Value[] = [];
    const dims: (number | null)[] = [];
    for (const a of args) {
      if (this.owns(a)) {
        vals.push((a as BatchTracer).val);
        dims.push((a as BatchTracer).batchDim);
      } else {
        vals.push(a);
        dims.push(null);
      }
    }
    const name = this.axisName;
    const frame = name === undefined ? null : { name, size: this.axisSize };
    if (frame && prim.rules.batchNamed && prim.rules.axisNames?.(params).includes(frame.name)) {
      // a collective over this axis: it does its work even on values that do not vary along it
      const [outs, outDims] = withRuleFrame(frame, () => prim.rules.batchNamed!(vals, dims, params, frame));
      return outs.map((o, i) => (outDims[i] === null ? o : new BatchTracer(this, o, outDims[i]!)));
    }
    // a call (jit, control flow) whose jaxpr holds a collective over this axis is batched even when no argument varies
    if (dims.every((d) => d === null) && !(frame && paramsAxisNames(params).has(frame.name))) return bind(prim, vals, params);
    const [outs, outDims] = withRuleFrame(frame, () => prim.rules.batch(vals, dims, params));
    return outs.map((o, i) => (outDims[i] === null ? o : new BatchTracer(this, o, outDims[i]!)));
  }
  /** An output of the traced function as a value with the batch axis at `axis` (null: unbatched). */
  unpack(x: Value, axis: number | null, where: string): Value {
    if (!this.owns(x)) {
      if (axis === null) return x;
      const moved = broadcastInDim(x, [this.axisSize, ...x.shape], x.shape.map((_, i) => i + 1));
      return moveAxis(moved, 0, axis);
    }
    const t = x as BatchTracer;
    if (axis === null) {
      throw new ShapeError(`vmap: ${where} has outAxes null but varies across the batch; give it an output axis (e.g. 0)`);
    }
    return moveAxis(t.val, t.batchDim, axis);
  }
}

export type InAxes = number | null | readonly unknown[];
export interface VmapOptions {
  /** Batch axis per argument: a number or null for all, or a list with one entry (a number, null or a pytree prefix) per argument. */
  inAxes?: InAxes;
  /** Batch axis of the outputs: a number, null, or a pytree prefix of the output. */
  outAxes?: number | null | readonly unknown[] | object;
  /**
   * Names the batch axis, as JAX's `axis_name`: inside `f`, the collectives of `lax` (`psum`,
   * `pmean`, `allGather`, `axisIndex`, …) given this name work across the batch.
   */
  axisName?: string;
  /** The batch size, as JAX's `axis_size`: needed only when no argument is mapped (every inAxes null). */
  axisSize?: number;
}

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Vectorizes `f` over a batch axis of its arguments: `vmap(f)(xs)` is
 * `stack([f(x) for x in xs])`, computed in one pass over the batch.
 * @example
 * const dots = vmap((a, b) => a.dot(b))(np.ones([8, 3]), np.ones([8, 3])); // shape [8]
 */
export function vmap<F extends Fn>(f: F, options: VmapOptions = {}): (...args: Parameters<F>) => ReturnType<F> {
  functionArg("vmap", "f", f);
  options = optionsArg("vmap", options);
  if (Array.isArray(options.axisName)) throw new ShapeError("vmap: axisName must be one string (nest vmaps to name several axes)");
  const axisName = options.axisName === undefined ? undefined : axisNamesArg("vmap", options.axisName)[0];
  const axisSizeOpt = options.axisSize === undefined ? undefined : intArg("vmap", "axisSize", options.axisSize);
  if (axisSizeOpt !== undefined && axisSizeOpt < 0) throw new ShapeError(`vmap: axisSize must be non-negative, got ${axisSizeOpt}`);
  return (...args: Parameters<F>) => {
    // a vmap made by a batching rule over a named axis (see ruleFrame) carries that axis's name
    const inherited = axisName === undefined ? ruleFrame : null;
    const inAxes = options.inAxes === undefined ? 0 : options.inAxes;
    const axesPerArg = typeof inAxes === "number" || inAxes === null ? args.map(() => inAxes) : [...inAxes];
    if (axesPerArg.length !== args.length) {
      throw new ShapeError(`vmap: inAxes has ${axesPerArg.length} entries but the function was called with ${args.length} arguments`);
    }
    const [leaves, inTree] = flattenArgs(args, "vmap");
    const leafAxes = broadcastPrefix<number | null>(axesPerArg, args);
    // which argument each leaf came from, for error messages
    const leafArg = args.flatMap((a, i) => flatten([a])[0].map(() => i));
    let size: number | undefined;
    let sizeFrom = -1;
    const axes = leaves.map((x, i) => {
      const ax = leafAxes[i];
      if (ax === null || ax === undefined) return null;
      if (!Number.isInteger(ax) || ax < -x.ndim || ax >= x.ndim) {
        throw new ShapeError(`vmap: inAxes ${ax} is out of range for argument ${leafArg[i]} of shape ${fmtShape(x.shape)}`);
      }
      const a = ax < 0 ? ax + x.ndim : ax;
      if (size === undefined) {
        size = x.shape[a];
        sizeFrom = i;
      } else if (x.shape[a] !== size) {
        throw new ShapeError(
          `vmap: mapped axes have different sizes: argument ${leafArg[sizeFrom]} has size ${size} on its axis ${leafAxes[sizeFrom]}, ` +
            `argument ${leafArg[i]} has size ${x.shape[a]} on its axis ${ax}; every mapped argument needs the same batch size`,
        );
      }
      return a;
    });
    if (size !== undefined && axisSizeOpt !== undefined && size !== axisSizeOpt) {
      throw new ShapeError(`vmap: axisSize is ${axisSizeOpt} but argument ${leafArg[sizeFrom]} has size ${size} on its mapped axis`);
    }
    size ??= axisSizeOpt ?? inherited?.size;
    if (size === undefined) throw new ShapeError("vmap: no argument is mapped (all inAxes are null); map at least one, or give axisSize");
    const name = axisName ?? (inherited && inherited.size === size ? inherited.name : undefined);
    const trace = new BatchTrace(currentTrace(), size, name);
    const batchSize = size;
    let outTree: TreeDef | undefined;
    let outLeaves: Value[] = [];
    let outValue: unknown;
    const traceF = () => {
      const wrapped = leaves.map((x, i) => (axes[i] === null ? x : new BatchTracer(trace, x, axes[i]!)));
      outValue = f(...rebuild<unknown[]>(inTree, wrapped));
      const [ol, ot] = flatten(outValue);
      outTree = ot;
      outLeaves = flattenArgs(ol, "vmap output")[0];
    };
    inScope(trace, () => withRuleFrame(null, () => (name === undefined ? traceF() : withAxisFrame({ name, size: batchSize }, traceF))));
    const outAxesLeaves = broadcastPrefix<number | null>(options.outAxes === undefined ? 0 : options.outAxes, outValue);
    const results = outLeaves.map((o, i) => {
      let ax = outAxesLeaves[i];
      const rank = (trace.owns(o) ? (o as BatchTracer).val.ndim : o.ndim + 1);
      // checked before use: a string, a fraction or an axis past the rank would otherwise reach
      // moveAxis as nonsense (or be ignored) instead of naming the mistake
      if (ax !== null && (typeof ax !== "number" || !Number.isInteger(ax) || ax < -rank || ax >= rank)) {
        const shown = typeof ax === "number" ? String(ax) : ax === undefined ? "undefined" : `a ${typeof ax}`;
        const shape = trace.owns(o) ? (o as BatchTracer).val.shape.filter((_, k) => k !== (o as BatchTracer).batchDim) : o.shape;
        throw new ShapeError(
          `vmap: outAxes ${shown} for output leaf ${i} (shape ${fmtShape(shape)} per example, rank ${rank} with the batch axis) ` +
            `must be null or an integer in [${-rank}, ${rank - 1}]`,
        );
      }
      if (ax !== null && ax < 0) ax += rank;
      return trace.unpack(o, ax, `output leaf ${i}`);
    });
    return rebuild(outTree!, results) as ReturnType<F>;
  };
}
