/**
 * shardMap and makeMesh: JAX's `shard_map` over a device mesh, on jaxon's one device.
 *
 * A mesh names axes with sizes (`makeMesh([4, 2], ["data", "model"])`). In
 * `shardMap(f, { mesh, inSpecs, outSpecs })` each argument is cut into blocks
 * as its PartitionSpec says (entry k names the mesh axis that splits the
 * array's axis k), `f` runs once per mesh position on that position's blocks,
 * and collectives over the mesh axis names work across positions; the
 * outputs' blocks are put back together as `outSpecs` say, and a mesh axis an
 * output spec does not name must be one the output does not vary over.
 *
 * jaxon has one device, so the mesh positions are not devices: each mesh axis
 * is a named vmap (the first axis outermost) and every block of the mesh runs
 * in one batch on the one device. A mesh of any shape is accepted; the
 * numbers are JAX's for the same mesh over that many devices.
 */
import { ArgumentError, ShapeError } from "../errors.js";
import { describe, functionArg, intArg, listArg, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { broadcastPrefix, flatten, type TreeDef } from "../trace/pytree.js";
import { reshape, transpose } from "../lax/shape.js";
import { flattenArgs, rebuild } from "./args.js";
import { PartitionSpec } from "./export.js";
import { vmap } from "./vmap.js";
import { fmtShape } from "../shape.js";

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A logical device mesh: named axes with sizes, major to minor. */
export class Mesh {
  readonly axisNames: readonly string[];
  readonly axisSizes: readonly number[];
  constructor(axisSizes: readonly number[], axisNames: readonly string[]) {
    const sizes = listArg<unknown>("makeMesh", "axisShapes", axisSizes).map((s) => intArg("makeMesh", "an axis size", s));
    const names = listArg<unknown>("makeMesh", "axisNames", axisNames);
    if (names.length !== sizes.length) throw new ShapeError(`makeMesh: ${sizes.length} axis sizes but ${names.length} axis names; give one name per axis`);
    for (const n of names) if (typeof n !== "string" || n.length === 0) throw new ArgumentError(`makeMesh: each axis name must be a non-empty string, got ${describe(n)}`);
    if (new Set(names).size !== names.length) throw new ShapeError(`makeMesh: axis names ${JSON.stringify(names)} repeat a name`);
    for (const s of sizes) if (s < 1) throw new ShapeError(`makeMesh: axis sizes must be at least 1, got ${JSON.stringify(sizes)}`);
    this.axisSizes = Object.freeze(sizes);
    this.axisNames = Object.freeze(names as string[]);
  }
  /** Axis name → size, as `exportStableHLO`'s `shardings.mesh` takes it. */
  get shape(): Record<string, number> {
    return Object.fromEntries(this.axisNames.map((n, i) => [n, this.axisSizes[i]]));
  }
  /** The number of mesh positions. */
  get size(): number {
    return this.axisSizes.reduce((a, b) => a * b, 1);
  }
}

/**
 * A mesh with the given axis sizes and names (JAX's `jax.make_mesh`). jaxon
 * has one device: the mesh is logical (its positions run as one batch in
 * `shardMap`), so any shape is allowed.
 * @example
 * import { makeMesh } from "jaxon-ts";
 * const mesh = makeMesh([4, 2], ["data", "model"]);
 * mesh.shape; // { data: 4, model: 2 }
 */
export function makeMesh(axisShapes: readonly number[], axisNames: readonly string[]): Mesh {
  return new Mesh(axisShapes, axisNames);
}

export interface ShardMapOptions {
  mesh: Mesh;
  /** A PartitionSpec (or null: replicated) per argument, as a tree prefix of the argument list. */
  inSpecs: unknown;
  /** A PartitionSpec (or null) per output, as a tree prefix of the result. */
  outSpecs: unknown;
}

/** The mesh axis per array axis of a spec, checked against the mesh and the shape. */
function specAxes(what: string, spec: unknown, mesh: Mesh, shape: readonly number[]): (number | null)[] {
  if (spec === null || spec === undefined) return shape.map(() => null);
  if (!(spec instanceof PartitionSpec)) throw new ArgumentError(`shardMap: ${what} must be a PartitionSpec or null, got ${describe(spec)}`);
  if (spec.axes.length > shape.length) throw new ShapeError(`shardMap: ${what} has ${spec.axes.length} entries for an array of shape ${fmtShape(shape)}`);
  const out = shape.map((_, d) => {
    const a = spec.axes[d] ?? null;
    if (a === null) return null;
    const k = mesh.axisNames.indexOf(a);
    if (k < 0) throw new ShapeError(`shardMap: ${what} names the mesh axis ${JSON.stringify(a)}, which the mesh (axes ${JSON.stringify(mesh.axisNames)}) does not have`);
    return k;
  });
  const used = out.filter((k) => k !== null);
  if (new Set(used).size !== used.length) throw new ShapeError(`shardMap: ${what} uses a mesh axis twice`);
  return out;
}

/**
 * Runs `f` on each block of its arguments over a mesh (JAX's `shard_map`):
 * inside `f`, arrays are the local blocks and collectives over the mesh axis
 * names work across blocks. On jaxon's one device the blocks run as one batch.
 * @example
 * import { lax, makeMesh, np, PartitionSpec, shardMap } from "jaxon-ts";
 * const mesh = makeMesh([2], ["data"]);
 * const center = shardMap((b) => b.sub(lax.pmean(b.mean(), "data")), {
 *   mesh, inSpecs: [new PartitionSpec("data")], outSpecs: new PartitionSpec("data"),
 * });
 * center(np.array([1, 2, 3, 6])); // [-2, -1, 0, 3]
 */
export function shardMap<F extends Fn>(f: F, options: ShardMapOptions): (...args: Parameters<F>) => ReturnType<F> {
  functionArg("shardMap", "f", f);
  const o = optionsArg("shardMap", options);
  if (!(o.mesh instanceof Mesh)) throw new ArgumentError(`shardMap: mesh must be a Mesh (from makeMesh), got ${describe(o.mesh)}`);
  const mesh = o.mesh;
  const m = mesh.axisNames.length;
  return (...args: Parameters<F>) => {
    const [leaves, inTree] = flattenArgs(args, "shardMap");
    const inSpecs = broadcastPrefix<unknown>(o.inSpecs, args);
    // each leaf as [its mesh axes in mesh order..., local block]
    const inUses: boolean[][] = [];
    const blocked = leaves.map((x, i) => {
      const axes = specAxes(`inSpecs for argument leaf ${i}`, inSpecs[i], mesh, x.shape);
      const expanded: number[] = [];
      const meshDim = new Map<number, number>();
      const localDims: number[] = [];
      x.shape.forEach((n, d) => {
        const k = axes[d];
        if (k === null) {
          localDims.push(expanded.length);
          expanded.push(n);
          return;
        }
        const s = mesh.axisSizes[k];
        if (n % s !== 0) {
          throw new ShapeError(`shardMap: argument leaf ${i} (shape ${fmtShape(x.shape)}) has axis ${d} of size ${n}, not divisible by the mesh axis ${JSON.stringify(mesh.axisNames[k])} of size ${s}`);
        }
        meshDim.set(k, expanded.length);
        expanded.push(s);
        localDims.push(expanded.length);
        expanded.push(n / s);
      });
      const order = [...meshDim.keys()].sort((a, b) => a - b);
      inUses.push(mesh.axisNames.map((_, k) => meshDim.has(k)));
      return transpose(reshape(x, expanded), [...order.map((k) => meshDim.get(k)!), ...localDims]);
    });
    let outTree: TreeDef | undefined;
    let outSpecs: unknown[] = [];
    let outLocal: (readonly number[])[] = [];
    const outAxesAt = (k: number) => outSpecs.map((s, i) => (specAxes(`outSpecs for output leaf ${i}`, s, mesh, outLocal[i]).includes(k) ? 0 : null));
    let inner = (...blocks: Value[]): Value[] => {
      const out = f(...rebuild<unknown[]>(inTree, blocks));
      const [ol, ot] = flatten(out);
      outTree = ot;
      const outs = flattenArgs(ol, "shardMap output")[0];
      outSpecs = broadcastPrefix<unknown>(o.outSpecs, out);
      outLocal = outs.map((v) => v.shape);
      return outs;
    };
    for (let k = m - 1; k >= 0; k--) {
      const body = inner;
      const level = k;
      // read after the body is traced (vmap reads outAxes then), when the outputs' specs are known
      const opts = { axisName: mesh.axisNames[k], axisSize: mesh.axisSizes[k], inAxes: inUses.map((u) => (u[level] ? 0 : null)), get outAxes() { return outAxesAt(level); } };
      inner = (...xs: Value[]) => {
        try {
          return vmap(body, opts)(...xs) as Value[];
        } catch (e) {
          if (e instanceof ShapeError && /outAxes null but varies/.test(e.message)) {
            throw new ShapeError(`shardMap: an output varies over the mesh axis ${JSON.stringify(mesh.axisNames[level])}, which its outSpecs do not name; name it in the output's PartitionSpec or reduce over it (lax.psum / lax.pmean)`);
          }
          throw e;
        }
      };
    }
    const outs = inner(...blocked);
    // back to global arrays: each named local axis merges with its mesh axis (mesh block major)
    const results = outs.map((y, i) => {
      const axes = specAxes(`outSpecs for output leaf ${i}`, outSpecs[i], mesh, outLocal[i]);
      const used = axes.filter((k): k is number => k !== null).sort((a, b) => a - b);
      const nUsed = used.length;
      const perm: number[] = [];
      const shape: number[] = [];
      outLocal[i].forEach((n, d) => {
        const k = axes[d];
        if (k !== null) {
          perm.push(used.indexOf(k));
          shape.push(n * mesh.axisSizes[k]);
        } else shape.push(n);
        perm.push(nUsed + d);
      });
      return reshape(transpose(y, perm), shape);
    });
    return rebuild(outTree!, results) as ReturnType<F>;
  };
}
