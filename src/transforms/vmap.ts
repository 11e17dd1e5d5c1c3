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

export class BatchTrace extends Trace {
  constructor(
    parent: Trace,
    readonly axisSize: number,
  ) {
    super(parent, "vmap");
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
    if (dims.every((d) => d === null)) return bind(prim, vals, params);
    const [outs, outDims] = prim.rules.batch(vals, dims, params);
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
  return (...args: Parameters<F>) => {
    const inAxes = options.inAxes ?? 0;
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
    if (size === undefined) throw new ShapeError("vmap: no argument is mapped (all inAxes are null); map at least one");
    const trace = new BatchTrace(currentTrace(), size);
    let outTree: TreeDef | undefined;
    let outLeaves: Value[] = [];
    let outValue: unknown;
    inScope(trace, () => {
      const wrapped = leaves.map((x, i) => (axes[i] === null ? x : new BatchTracer(trace, x, axes[i]!)));
      outValue = f(...rebuild<unknown[]>(inTree, wrapped));
      const [ol, ot] = flatten(outValue);
      outTree = ot;
      outLeaves = flattenArgs(ol, "vmap output")[0];
    });
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
