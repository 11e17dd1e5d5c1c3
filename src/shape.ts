/** Shape arithmetic shared by lax, numpy and the backends. */
import { ShapeError } from "./errors.js";
import { describe, shapeArg } from "./static-args.js";

export type Shape = readonly number[];

export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

export function shapeEq(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const fmtShape = (s: Shape) => `(${s.join(", ")}${s.length === 1 ? "," : ""})`;

/** Row-major strides of a contiguous array. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** NumPy broadcasting of any number of shapes; `op` names the operation in the error. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const ndim = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(ndim).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = ndim - s.length + i;
      const d = s[i];
      if (d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else if (out[o] !== d) {
        throw new ShapeError(
          `${op}: shapes ${shapes.map(fmtShape).join(" and ")} do not broadcast ` +
            `(axis ${o - ndim} has sizes ${out[o]} and ${d}); reshape or expand one of them so that ` +
            `each axis is equal or 1`,
        );
      }
    }
  }
  return out;
}

/** Resolves a possibly negative axis against `ndim`, with a ShapeError naming the op. */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (typeof axis !== "number" || !Number.isInteger(axis)) throw new ShapeError(`${op}: an axis must be an integer, got ${describe(axis)}`);
  if (axis < -ndim || axis >= ndim) {
    throw new ShapeError(`${op}: axis ${axis} is out of bounds for an array of rank ${ndim} (valid: ${-ndim}..${ndim - 1})`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Axis argument as NumPy takes it: undefined/null = all axes, a number, or a list. Sorted, unique. */
export function normalizeAxes(op: string, axis: number | readonly number[] | null | undefined, ndim: number): number[] {
  if (axis === undefined || axis === null) return [...Array(ndim).keys()];
  if (typeof axis !== "number" && !Array.isArray(axis)) throw new ShapeError(`${op}: axis must be an integer, a JS array of integers or null, got ${describe(axis)}`);
  const list = typeof axis === "number" ? [axis] : [...axis];
  const out = list.map((a) => normalizeAxis(op, a, ndim));
  if (new Set(out).size !== out.length) throw new ShapeError(`${op}: repeated axis in [${out.join(", ")}]`);
  return out.sort((a, b) => a - b);
}

/** A shape from user code (one size or a list), checked and copied: see `shapeArg`. */
export function checkShape(op: string, shape: unknown): number[] {
  return shapeArg(op, shape);
}
