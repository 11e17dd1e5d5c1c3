/**
 * Print options and arrays as text, as NumPy's (which JAX's repr follows):
 * `np.printoptions`, `np.getPrintoptions`, `np.setPrintoptions`,
 * `np.arrayRepr`, `np.arrayStr`. The formatter and the option state live in
 * `array-text.ts`, which `Array#toString` reads too.
 */
import { Array } from "../array.js";
import type { PrintOptions } from "../array-text.js";
import { arrayReprText, currentPrintOptions, floatScalarText, formatArrayText, mergePrintOptions, replacePrintOptions } from "../array-text.js";
import { BackendError, ConcretizationError } from "../errors.js";
import { describe, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { array, type ArrayInput } from "./creation.js";

export type { PrintOptions, FloatMode, SignMode } from "../array-text.js";

/**
 * The current print options (a copy): `precision`, `threshold`, `edgeitems`,
 * `linewidth`, `suppress`, `nanstr`, `infstr`, `sign`, `floatmode`, as NumPy's
 * `np.get_printoptions()`.
 * @example
 * import { numpy as np } from "jaxon-ts";
 * np.getPrintoptions().precision; // 8
 * np.getPrintoptions().threshold; // 1000
 */
export function getPrintoptions(): PrintOptions {
  return currentPrintOptions();
}

/**
 * Sets print options for the rest of the program (those not named keep their
 * values), as NumPy's `np.set_printoptions`. `np.arrayRepr`, `np.arrayStr` and
 * `String(x)` follow them. Prefer the scoped `np.printoptions`.
 * @example
 * import { numpy as np } from "jaxon-ts";
 * const saved = np.getPrintoptions();
 * np.setPrintoptions({ precision: 2 });
 * np.arrayStr(np.array([1 / 3])); // "[0.33]"
 * np.setPrintoptions(saved);
 */
export function setPrintoptions(options: Partial<PrintOptions>): void {
  replacePrintOptions(mergePrintOptions("np.setPrintoptions", currentPrintOptions(), options));
}

/**
 * Runs `fn` with these print options and restores the previous ones after it
 * (also when it throws); returns what `fn` returns. The scope of NumPy's
 * `with np.printoptions(...)`, which JavaScript writes as a callback.
 * @example
 * import { numpy as np } from "jaxon-ts";
 * np.printoptions({ precision: 3 }, () => np.arrayStr(np.array([Math.PI]))); // "[3.142]"
 * np.printoptions({ threshold: 5 }, () => np.arrayStr(np.arange(10))); // "[0 1 2 ... 7 8 9]"
 */
export function printoptions<T>(options: Partial<PrintOptions>, fn: () => T): T {
  if (typeof fn !== "function") throw new ConcretizationError(`np.printoptions: the second argument must be a function to run with the options, got ${describe(fn)}`);
  const saved = currentPrintOptions();
  replacePrintOptions(mergePrintOptions("np.printoptions", saved, options));
  try {
    return fn();
  } finally {
    replacePrintOptions(saved);
  }
}

/** Options of `arrayRepr` and `arrayStr`, which override the print options for one call. */
export interface ArrayTextOptions {
  /** Characters per line (the `linewidth` print option otherwise). */
  maxLineWidth?: number;
  /** Digits after the point (the `precision` print option otherwise). */
  precision?: number;
  /** Small floats as 0 rather than scientific notation (the `suppress` print option otherwise). */
  suppressSmall?: boolean;
}

function concrete(op: string, x: ArrayInput): Array {
  const v: Value = array(x);
  if (!(v instanceof Array)) {
    throw new ConcretizationError(`${op} needs concrete values, got a tracer of shape [${v.shape.join(", ")}]; print inside a transformation with jax-style debug.print, or call ${op} outside it`);
  }
  if (!v.backend.syncReadable) {
    throw new BackendError(`${op} reads values synchronously, which ${v.device} cannot; use ${op}(await devicePutAsync(x, "cpu"))`);
  }
  return v;
}

function optionsFor(op: string, options: ArrayTextOptions | undefined): PrintOptions {
  const o = optionsArg(op, options);
  return mergePrintOptions(op, currentPrintOptions(), { linewidth: o.maxLineWidth, precision: o.precision, suppress: o.suppressSmall });
}

/**
 * JAX's repr of an array: `Array([1. , 2.5], dtype=float32)`, laid out as
 * NumPy's `array2string` with the print options (line width, precision,
 * summarizing with `...`), which `maxLineWidth`, `precision` and
 * `suppressSmall` override for this call.
 * @example
 * import { numpy as np } from "jaxon-ts";
 * np.arrayRepr(np.array([1, 2.5, 3])); // "Array([1. , 2.5, 3. ], dtype=float32)"
 * np.arrayRepr(np.array([1e-9, 1]), { suppressSmall: true }); // "Array([0., 1.], dtype=float32)"
 * np.arrayRepr(np.arange(3)); // "Array([0, 1, 2], dtype=int32)"
 */
export function arrayRepr(x: ArrayInput, options: ArrayTextOptions = {}): string {
  const a = concrete("np.arrayRepr", x);
  const opts = optionsFor("np.arrayRepr", options);
  return arrayReprText(a.dataSync(), a.shape, a.dtype, a.weakType, opts);
}

/**
 * The values of an array as NumPy's `str` prints them: `[1.  2.5 3. ]`
 * (items separated by spaces, no `Array(` or dtype), with the print options,
 * which `maxLineWidth`, `precision` and `suppressSmall` override for this call.
 * @example
 * import { numpy as np } from "jaxon-ts";
 * np.arrayStr(np.array([1, 2.5, 3])); // "[1.  2.5 3. ]"
 * np.arrayStr(np.array([[1, 2], [3, 4]], { dtype: "int32" })); // "[[1 2]\n [3 4]]"
 * np.arrayStr(np.array([Math.PI]), { precision: 2 }); // "[3.14]"
 */
export function arrayStr(x: ArrayInput, options: ArrayTextOptions = {}): string {
  const a = concrete("np.arrayStr", x);
  const opts = optionsFor("np.arrayStr", options);
  const data = a.dataSync();
  if (a.ndim === 0) return scalarText(data, a.dtype);
  return formatArrayText(data, a.shape, a.dtype, opts, { separator: " ", prefix: "" });
}

/** A 0-d array's str: NumPy prints the scalar (`2.5`, `1.0`, `1e-05`, `True`, `(1+2j)`). */
function scalarText(data: ArrayLike<number>, dtype: Array["dtype"]): string {
  if (dtype === "bool") return data[0] ? "True" : "False";
  if (dtype === "complex64" || dtype === "complex128") {
    // Python's complex style: whole parts without ".0", a zero real part left out
    const w = dtype === "complex64" ? "float32" : "float64";
    const part = (v: number) => floatScalarText(v, w).replace(/\.0(?=$|e)/, "");
    const im = part(data[1]);
    const signed = im.startsWith("-") ? im : `+${im}`;
    if (data[0] === 0 && !Object.is(data[0], -0)) return `${im}j`;
    return `(${part(data[0])}${signed}j)`;
  }
  if (dtype === "float16" || dtype === "float32" || dtype === "float64") return floatScalarText(data[0], dtype);
  return String(data[0]);
}
