/**
 * exportStableHLO: a function, traced and simplified as jit does, written out
 * as a StableHLO module (MLIR text) that XLA, IREE and the other ML compilers
 * run, with the metadata (tree structures, shapes, dtypes, shardings) a
 * caller needs to feed it and to rebuild its outputs.
 *
 * The shape of the API is JAX's `jax.export.export(jax.jit(f))(*args)`:
 * `exportStableHLO(f, options)(...exampleArgs)` traces `f` at the example
 * arguments' types and returns an `Exported`. Each primitive lowers by the
 * `stablehlo` rule of its definition (src/lax); a call-like primitive without
 * one (custom_jvp, custom_vjp, checkpoint, custom linear solves) is inlined,
 * a nested `jit` becomes a private function and a `func.call`, and any other
 * primitive without a rule is an UnsupportedError naming it.
 */
import { Array } from "../array.js";
import { attr, HloBuilder, type HloAttr, type HloType, type HloValue } from "../backend/stablehlo.js";
import { ShapeError, UnsupportedError } from "../errors.js";
import { definitionOf } from "../lax/primitive.js";
import type { StablehloContext } from "../lax/primitive.js";
import { bytesOf, full } from "../lax/stablehlo-ops.js";
import { describe, functionArg, optionsArg } from "../static-args.js";
import type { DType } from "../dtype.js";
import type { Value } from "../trace/core.js";
import { evalTrace } from "../trace/core.js";
import type { Atom, Eqn, Jaxpr, Var } from "../trace/jaxpr.js";
import { Literal } from "../trace/jaxpr.js";
import { broadcastPrefix, Static, type TreeDef } from "../trace/pytree.js";
import { simplifyKeepingCalls } from "../trace/simplify.js";
import { traceFlat } from "../trace/staging.js";
import { flattenArgs, isThenable, refusePromise } from "./args.js";
import { flattenFun } from "./flat.js";

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * How one array is laid out over a device mesh, as JAX's `PartitionSpec`:
 * entry i names the mesh axis that splits the array's axis i, or is null
 * (not split). Axes past the entries are not split; mesh axes no entry names
 * replicate the array.
 * @example
 * import { PartitionSpec } from "jaxon-ts";
 * new PartitionSpec("data", null); // rows split over the mesh axis "data"
 */
export class PartitionSpec {
  readonly axes: readonly (string | null)[];
  constructor(...axes: (string | null)[]) {
    for (const a of axes) {
      if (a !== null && typeof a !== "string") throw new UnsupportedError(`PartitionSpec: each entry must be a mesh axis name or null, got ${describe(a)}`);
    }
    this.axes = Object.freeze([...axes]);
  }
}

/** A device mesh and the layout of each input and output leaf (a tree prefix of the arguments/outputs, as JAX's in_shardings). */
export interface Shardings {
  /** Mesh axis names and sizes, major to minor: `{ data: 4 }`. Devices are numbered row-major over them. */
  mesh: Record<string, number>;
  /** A PartitionSpec (or null: replicated) per argument leaf, given as a tree prefix of the argument list. */
  inputs?: unknown;
  /** The same for the outputs, a tree prefix of the function's result. */
  outputs?: unknown;
}

export interface ExportOptions {
  /** Lay inputs and outputs out over a device mesh (XLA's SPMD partitioner splits the rest). */
  shardings?: Shardings;
}

/** One flattened input or output of `@main`. */
export interface ExportedLeaf {
  shape: number[];
  dtype: DType;
  /** The GSPMD sharding string of the leaf, for the runner (`{replicated}` when none). */
  sharding: string;
  /** The PartitionSpec's entries (null: unsplit), or null when replicated. */
  spec: (string | null)[] | null;
}

/** A tree structure as JSON: `{ kind: "leaf" }`, `{ kind: "array", children }`, `{ kind: "object", keys, children }`, `{ kind: "none" }`. */
export interface TreeJson {
  kind: "leaf" | "array" | "object" | "map" | "none" | "static";
  /** Object or Map keys; for a static node, the one value it holds. */
  keys?: unknown[];
  children?: TreeJson[];
}

/** What the module's caller needs besides its text. */
export interface ExportMetadata {
  format: "jaxon-stablehlo";
  version: 1;
  inputs: ExportedLeaf[];
  outputs: ExportedLeaf[];
  inTree: TreeJson;
  outTree: TreeJson;
  mesh: Record<string, number> | null;
  numPartitions: number;
}

export interface Exported {
  /** The StableHLO module (MLIR text); `@main` takes the flattened inputs and returns the flattened outputs. */
  text: string;
  metadata: ExportMetadata;
  /** The metadata as JSON text (what tools/run-stablehlo.py reads beside the module). */
  metadataJson(): string;
  /** The argument list's and the result's tree structures (for jaxon's `tree.unflatten`). */
  inTree: TreeDef;
  outTree: TreeDef;
}

/**
 * Traces `f` at the types of the example arguments and exports it as a
 * StableHLO module (see the module comment). With `options.shardings` the
 * inputs and outputs carry `mhlo.sharding` annotations for XLA's SPMD
 * partitioner.
 * @example
 * import { exportStableHLO, np } from "jaxon-ts";
 * const exported = exportStableHLO((x) => np.sin(x).mul(2))(np.zeros([3]));
 * exported.text.includes('"stablehlo.sine"'); // true
 */
export function exportStableHLO<F extends Fn>(f: F, options: ExportOptions = {}): (...args: Parameters<F>) => Exported {
  functionArg("exportStableHLO", "f", f);
  options = optionsArg("exportStableHLO", options);
  const mesh = options.shardings === undefined ? null : meshArg(options.shardings);
  return (...args) => {
    const [leaves, inTree] = flattenArgs(args, "exportStableHLO", true);
    const checked = (...xs: unknown[]) => {
      const out = f(...xs);
      if (isThenable(out)) throw refusePromise(out, "exportStableHLO");
      return out;
    };
    const { flat, outTree: getOutTree } = flattenFun(checked, inTree, "exportStableHLO output");
    const { jaxpr, consts } = traceFlat(flat, leaves.map((l) => l.aval), "exportStableHLO", evalTrace);
    return exportTraced(jaxpr, consts, leaves, inTree, getOutTree(), mesh, options.shardings, args);
  };
}

/**
 * The `Exported` of a traced function: its jaxpr (the closed-over constants
 * as its leading inputs, `consts`), the argument leaves and the trees (what
 * `jit(f).lower(...)` holds; the shardings only for `exportStableHLO`).
 * @internal
 */
export function exportTraced(
  jaxpr: Jaxpr,
  consts: Value[],
  leaves: readonly { shape: readonly number[]; dtype: DType }[],
  inTree: TreeDef,
  outTree: TreeDef,
  mesh: Record<string, number> | null = null,
  shardings?: Shardings,
  args: unknown[] = [],
): Exported {
  const numPartitions = mesh ? Object.values(mesh).reduce((a, b) => a * b, 1) : 1;
  const inSpecs = mesh ? specsFor(shardings!.inputs, args, leaves.length, "inputs") : leaves.map(() => null);
  const outAvals = jaxpr.outs.map((o) => o.aval);
  const outSpecs = mesh ? specsFor(shardings!.outputs, null, outAvals.length, "outputs", outTree) : outAvals.map(() => null);
  const describeLeaf = (shape: readonly number[], dtype: DType, spec: PartitionSpec | null): ExportedLeaf => {
    const tile = mesh && spec ? gspmd(mesh, spec, shape) : null;
    return { shape: [...shape], dtype, sharding: tile ? tile.text.slice(1, -1) : "{replicated}", spec: spec ? [...spec.axes] : null };
  };
  const inputs = leaves.map((l, i) => describeLeaf(l.shape, l.dtype, inSpecs[i]));
  const outputs = outAvals.map((a, i) => describeLeaf(a.shape, a.dtype, outSpecs[i]));
  const text = lowerModule(jaxpr, consts, mesh, inSpecs, outSpecs, numPartitions);
  const metadata: ExportMetadata = {
    format: "jaxon-stablehlo",
    version: 1,
    inputs,
    outputs,
    inTree: treeJson(inTree),
    outTree: treeJson(outTree),
    mesh: mesh ? { ...mesh } : null,
    numPartitions,
  };
  return { text, metadata, metadataJson: () => JSON.stringify(metadata, null, 2), inTree, outTree };
}

function treeJson(t: TreeDef): TreeJson {
  if (t.kind === "leaf" || t.kind === "none") return { kind: t.kind };
  if (t.kind === "static") return { kind: t.kind, keys: [(t.keys[0] as Static).value] };
  const children = t.children.map(treeJson);
  return t.kind === "array" ? { kind: t.kind, children } : { kind: t.kind, keys: [...t.keys], children };
}

function meshArg(s: Shardings): Record<string, number> {
  if (typeof s !== "object" || s === null || typeof s.mesh !== "object" || s.mesh === null || globalThis.Array.isArray(s.mesh)) {
    throw new UnsupportedError(`exportStableHLO: shardings must be { mesh: { axisName: size, ... }, inputs?, outputs? }, got ${describe(s)}`);
  }
  const mesh: Record<string, number> = {};
  for (const k of Object.keys(s.mesh)) {
    const n = (s.mesh as Record<string, unknown>)[k];
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1 || n > 65536) {
      throw new ShapeError(`exportStableHLO: the size of mesh axis ${JSON.stringify(k)} must be a positive integer, got ${describe(n)}`);
    }
    mesh[k] = n;
  }
  if (Object.keys(mesh).length === 0) throw new ShapeError("exportStableHLO: the mesh needs at least one axis");
  return mesh;
}

/** One PartitionSpec or null per leaf, from a tree prefix. */
function specsFor(prefix: unknown, args: unknown, n: number, what: string, outTree?: TreeDef): (PartitionSpec | null)[] {
  if (prefix === undefined || prefix === null) return new globalThis.Array(n).fill(null);
  let specs: unknown[];
  if (outTree) {
    // the outputs' structure: a skeleton with one placeholder per leaf
    const skeleton = skeletonOf(outTree);
    specs = broadcastPrefix(prefix, skeleton);
  } else {
    specs = broadcastPrefix(prefix, args);
  }
  if (specs.length !== n) throw new ShapeError(`exportStableHLO: shardings.${what} gives ${specs.length} specs for ${n} leaves`);
  return specs.map((s) => {
    if (s === null || s === undefined) return null;
    if (!(s instanceof PartitionSpec)) throw new UnsupportedError(`exportStableHLO: shardings.${what} must hold PartitionSpecs or null (replicated), got ${describe(s)}`);
    return s;
  });
}

function skeletonOf(t: TreeDef): unknown {
  switch (t.kind) {
    case "leaf":
      return 0;
    case "none":
      return t.empty;
    case "static":
      return t.keys[0];
    case "array":
      return t.children.map(skeletonOf);
    case "map":
      return new Map(t.children.map((c, i) => [t.keys[i], skeletonOf(c)]));
    default:
      return Object.fromEntries(t.children.map((c, i) => [t.keys[i] as string, skeletonOf(c)]));
  }
}

/**
 * The GSPMD sharding of a leaf: tile counts per array axis, a trailing
 * replication axis for the mesh axes the spec leaves unused, and the device
 * order as an iota over the mesh transposed to (used axes, unused axes).
 */
function gspmd(mesh: Record<string, number>, spec: PartitionSpec, shape: readonly number[]): HloAttr | null {
  const names = Object.keys(mesh);
  if (spec.axes.length > shape.length) {
    throw new ShapeError(`exportStableHLO: a PartitionSpec with ${spec.axes.length} entries for an array of rank ${shape.length} (shape [${shape.join(", ")}])`);
  }
  const used: number[] = [];
  const tile = shape.map((d, i) => {
    const a = spec.axes[i];
    if (a === null || a === undefined) return 1;
    const k = names.indexOf(a);
    if (k < 0) throw new ShapeError(`exportStableHLO: the PartitionSpec names the mesh axis ${describe(a)}, which the mesh (axes ${JSON.stringify(names)}) does not have`);
    if (used.includes(k)) throw new ShapeError(`exportStableHLO: a PartitionSpec uses the mesh axis ${describe(a)} twice`);
    if (d % mesh[a] !== 0) throw new ShapeError(`exportStableHLO: axis ${i} of size ${d} does not divide evenly over the mesh axis ${describe(a)} of size ${mesh[a]}`);
    used.push(k);
    return mesh[a];
  });
  if (used.length === 0) return null;
  const unused = names.map((_, k) => k).filter((k) => !used.includes(k));
  const replicate = unused.reduce((p, k) => p * mesh[names[k]], 1);
  const perm = [...used, ...unused];
  return attr.gspmd(tile, replicate, names.map((n) => mesh[n]), perm);
}

/** Lowers the traced jaxpr (its consts embedded as constants) into a module. */
function lowerModule(
  jaxpr: Jaxpr,
  consts: Value[],
  mesh: Record<string, number> | null,
  inSpecs: (PartitionSpec | null)[],
  outSpecs: (PartitionSpec | null)[],
  numPartitions: number,
): string {
  const b = new HloBuilder();
  const functions = new Map<Jaxpr, { name: string; outTypes: HloType[] }>();
  const ctx: StablehloContext = {
    b,
    inline: (j, args) => lowerEqns(j, args),
    call(j, args) {
      let fn = functions.get(j);
      if (!fn) {
        const name = b.newFunctionName();
        const simplified = simplifyKeepingCalls(j);
        const outTypes = b.func(name, "private", args.map((a) => a.type), (xs) => lowerEqns(simplified, xs));
        functions.set(j, (fn = { name, outTypes }));
      }
      return b.call(fn.name, args, fn.outTypes);
    },
    traced(fn, avals, args) {
      const { jaxpr: j, consts: cs } = traceFlat(fn, avals, "exportStableHLO", evalTrace);
      return lowerEqns(simplifyKeepingCalls(j), [...cs.map(constant), ...args]);
    },
  };

  function lowerEqns(j: Jaxpr, args: HloValue[]): HloValue[] {
    if (j.constvars.length !== 0) throw new UnsupportedError("exportStableHLO: an inner jaxpr with constants of its own");
    const env = new Map<Var, HloValue>();
    j.invars.forEach((v, i) => env.set(v, args[i]));
    const read = (a: Atom): HloValue => (a instanceof Literal ? literal(a) : env.get(a)!);
    for (const eqn of j.eqns) b.withLocation(eqn.nameStack === undefined ? undefined : `${eqn.nameStack}/${eqn.prim.name}`, () => lowerEqn(eqn));
    return j.outs.map(read);

    function lowerEqn(eqn: Eqn) {
      const def = definitionOf(eqn.prim);
      const ins = eqn.inputs.map(read);
      let outs: HloValue[];
      if (def.stablehlo) {
        outs = def.stablehlo(ctx, ins, eqn.params, eqn.inputs.map((a) => a.aval), eqn.outs.map((v) => v.aval));
      } else if (eqn.prim.rules.callJaxpr) {
        outs = lowerEqns(eqn.prim.rules.callJaxpr(eqn.params), ins);
      } else {
        throw new UnsupportedError(
          `exportStableHLO: the primitive ${eqn.prim.name} has no StableHLO lowering yet; ` +
            `export a function that avoids it (the lowered primitives are listed in docs/guide/scaling-out.md)`,
        );
      }
      eqn.outs.forEach((v, i) => {
        const o = outs[i];
        if (!o || o.dtype !== v.aval.dtype || o.shape.length !== v.aval.ndim || o.shape.some((d, k) => d !== v.aval.shape[k])) {
          throw new Error(`exportStableHLO: the lowering of ${eqn.prim.name} gave a value of the wrong type for output ${i}`);
        }
        env.set(v, o);
      });
    }
  }

  /** A value the function closes over, embedded as a constant. */
  function constant(c: Value): HloValue {
    if (!(c instanceof Array)) throw new UnsupportedError("exportStableHLO: the function closes over a traced value of an enclosing transformation");
    if (!c.backend.syncReadable) {
      throw new UnsupportedError(`exportStableHLO: a constant the function closes over lives on ${c.backend.name}; move it to the cpu with devicePut first`);
    }
    return b.constant(bytesOf(c.dataSync() as ArrayLike<number>, c.dtype), { shape: c.shape, dtype: c.dtype });
  }

  function literal(l: Literal): HloValue {
    return full(ctx, l.value, [], l.aval.dtype);
  }

  const simplified = simplifyKeepingCalls(jaxpr);
  const shardAttr = (spec: PartitionSpec | null, shape: readonly number[]) => {
    if (!mesh) return undefined;
    const a = spec ? gspmd(mesh, spec, shape) : null;
    return { "mhlo.sharding": a ?? attr.sharding(null) };
  };
  // the closed-over constants are the jaxpr's leading inputs: embedded as constants, not arguments of @main
  const argTypes = simplified.invars.slice(consts.length).map((v) => ({ shape: v.aval.shape, dtype: v.aval.dtype }));
  b.func(
    "@main",
    "public",
    argTypes,
    (xs) => {
      const constValues = consts.map(constant);
      return lowerEqns(simplified, [...constValues, ...xs]);
    },
    argTypes.map((t, i) => shardAttr(inSpecs[i], t.shape)),
    simplified.outs.map((o, i) => shardAttr(outSpecs[i], o.aval.shape)),
  );
  return mesh ? b.moduleWithPartitions(numPartitions) : b.module();
}
