/**
 * Orthogonal initializers (JAX's `initializers.orthogonal` and
 * `delta_orthogonal`), re-exported by initializers.ts. The matrix is drawn as
 * JAX's `random.orthogonal` draws it: a normal matrix of shape
 * [max(n, m), min(n, m)], its QR factorization, Q's columns multiplied by the
 * signs of R's diagonal (which makes Q unique, so that the same key gives
 * JAX's matrix up to rounding), transposed when there are fewer rows than
 * columns.
 */
import { describe } from "../static-args.js";
import type { DType } from "../dtype.js";
import { checkDType, isFloat } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import * as np from "../numpy/index.js";
import * as random from "../random/index.js";
import type { Key } from "../random/index.js";
import { checkShape, normalizeAxis } from "../shape.js";
import type { Value } from "../trace/core.js";

type Initializer = (key: Key, shape: readonly number[], dtype?: DType) => Value;

function floatDType(op: string, dtype: DType): DType {
  const d = checkDType(dtype, op);
  if (!isFloat(d)) throw new DTypeError(`${op}: initializers make floating-point arrays, got dtype ${d}; use "float32"`);
  return d;
}

/** An n × m matrix with orthonormal rows or columns (whichever are fewer), as JAX's random.orthogonal(key, n, (), dtype, m). */
function orthogonalMatrix(key: Key, n: number, m: number, dtype: DType): Value {
  const z = random.normal(key, [Math.max(n, m), Math.min(n, m)], { dtype });
  const [q, r] = np.linalg.qr(z);
  const signs = np.sign(np.diagonal(r, 0, -2, -1));
  const fixed = np.multiply(q, np.expandDims(signs, 0));
  return n < m ? np.transpose(fixed) : fixed;
}

/**
 * Orthogonal initializer: the array, seen as a matrix with `shape[columnAxis]`
 * columns and all other axes as rows, has orthonormal rows or columns
 * (whichever are fewer), times `scale`. Needs at least 2 dimensions.
 * @example
 * const w = nn.initializers.orthogonal()(random.key(0), [3, 3]); // w.T @ w ≈ I
 */
export function orthogonal(scale = 1, columnAxis = -1): Initializer {
  const op = "nn.initializers.orthogonal";
  if (typeof scale !== "number" || !Number.isFinite(scale)) throw new ShapeError(`${op}: scale must be a finite number, got ${describe(scale)}`);
  if (!Number.isInteger(columnAxis)) throw new ShapeError(`${op}: columnAxis must be an integer, got ${describe(columnAxis)}`);
  return (key, shape, dtype = "float32") => {
    const d = floatDType(op, dtype);
    const s = checkShape(op, shape);
    if (s.length < 2) throw new ShapeError(`${op}: needs a shape of at least 2 dimensions, got [${s.join(", ")}]`);
    if (s.some((x) => x === 0)) return np.zeros(s, { dtype: d });
    const ax = normalizeAxis(op, columnAxis, s.length);
    const nCols = s[ax];
    const nRows = s.reduce((p, x) => p * x, 1) / nCols;
    const q = orthogonalMatrix(key, nRows, nCols, d);
    const rest = s.filter((_, i) => i !== ax);
    const shaped = np.moveaxis(np.reshape(q, [...rest, nCols]), -1, ax);
    return np.multiply(shaped, np.array(scale, { dtype: d }));
  };
}

/**
 * Delta-orthogonal initializer for convolution kernels (3-D, 4-D or 5-D,
 * spatial axes first): zeros everywhere except the spatial centre, which
 * holds an orthogonal [in, out] matrix (in ≤ out), times `scale`.
 * @example
 * const k = nn.initializers.deltaOrthogonal()(random.key(0), [3, 3, 4, 4]); // k[1, 1] is orthogonal
 */
export function deltaOrthogonal(scale = 1, columnAxis = -1): Initializer {
  const op = "nn.initializers.deltaOrthogonal";
  const ortho = orthogonal(scale, columnAxis);
  return (key, shape, dtype = "float32") => {
    const d = floatDType(op, dtype);
    const s = checkShape(op, shape);
    if (s.length < 3 || s.length > 5) throw new ShapeError(`${op}: needs a 3-D, 4-D or 5-D kernel shape, got [${s.join(", ")}]`);
    const [fanIn, fanOut] = s.slice(-2);
    if (fanOut < fanIn) throw new ShapeError(`${op}: the input size ${fanIn} (shape[-2]) must be at most the output size ${fanOut} (shape[-1]), got shape [${s.join(", ")}]`);
    const spatial = s.slice(0, -2);
    const centre = np.reshape(ortho(key, [fanIn, fanOut], d), [...spatial.map(() => 1), fanIn, fanOut]);
    // padding the 1×…×1 centre out to the kernel puts it at index (k - 1) // 2 of each spatial axis, as JAX's .at[...].set
    const widths = [...spatial.map((k) => [Math.floor((k - 1) / 2), k - 1 - Math.floor((k - 1) / 2)] as [number, number]), [0, 0] as [number, number], [0, 0] as [number, number]];
    return np.pad(centre, widths);
  };
}
