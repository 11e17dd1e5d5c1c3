/**
 * Static arguments from user code: shapes, axes, sizes, permutations, padding
 * configs, slice bounds, the integer parameters of primitives.
 *
 * Why this file exists. A static argument ends up in a primitive's params, in
 * cache keys, in error messages, and as a number pasted into generated code
 * (JavaScript, WGSL). A caller's value must therefore be a plain JS number
 * that is a safe integer before anything else looks at it: an object whose
 * `valueOf` says 3 and whose `toString` is code, a string, a bigint, NaN or a
 * fraction is refused here with a typed error, and nothing of it is called,
 * formatted or stored. `describe` names a bad value without calling any of
 * its methods.
 */
import { ArgumentError, DTypeError, ShapeError } from "./errors.js";
import { isDType, isInt } from "./dtype.js";
import { ArrayMethods } from "./array-methods.js";

/**
 * The most elements one array may have. A shape past it is a ShapeError when
 * the shape is made, before anything is allocated (devices have their own,
 * lower limits, checked when they allocate).
 */
export const MAX_ELEMENTS = 2 ** 40;

/** A short description of an unexpected value that calls none of its methods (no getters, no toString). */
export function describe(x: unknown): string {
  switch (typeof x) {
    case "number":
      return Object.is(x, -0) ? "-0" : String(x);
    case "string":
      return `the string ${JSON.stringify(x.slice(0, 20))}${x.length > 20 ? "…" : ""}`;
    case "bigint":
      return `the bigint ${x < 2n ** 64n && x > -(2n ** 64n) ? String(x) : "(huge)"}n`;
    case "boolean":
      return String(x);
    case "undefined":
      return "undefined";
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    default:
      if (x === null) return "null";
      if (Array.isArray(x)) return `a JS array of length ${x.length}`;
      return "an object";
  }
}

/** A function argument (the function a transformation or control flow takes, a callback). */
export function functionArg<F>(op: string, name: string, f: F): F {
  if (typeof f !== "function") throw new ArgumentError(`${op}: ${name} must be a function, got ${describe(f)}`);
  return f;
}

/** An options argument: undefined (all defaults) or a plain object. */
export function optionsArg<T extends object>(op: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new ArgumentError(`${op}: options must be an object such as { axis: 0 }, got ${describe(options)}`);
  }
  return options;
}

/** A JS list argument (of arrays, of branches…), copied. */
export function listArg<T>(op: string, name: string, v: unknown): T[] {
  if (!Array.isArray(v)) throw new ArgumentError(`${op}: ${name} must be a JS array, got ${describe(v)}`);
  return [...v] as T[];
}

/** An integer argument: a JS number that is a safe integer (no objects, strings, bigints, fractions, NaN, ±Infinity). */
export function intArg(op: string, name: string, v: unknown): number {
  if (v instanceof ArrayMethods) v = concreteInt(op, name, v);
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw new ShapeError(`${op}: ${name} must be an integer (a JS number), got ${describe(v)}`);
  }
  return v === 0 ? 0 : v; // -0 is 0
}

/**
 * A jaxon array where an integer is expected: a concrete 0-d integer array
 * gives its value (NumPy's `operator.index`); a traced one throws jaxon's own
 * ConcretizationError (from its valueOf), which names the fix (staticArgnums).
 */
function concreteInt(op: string, name: string, v: ArrayMethods): number {
  const bad = () => new ShapeError(`${op}: ${name} must be an integer, got an array of dtype ${v.dtype} and shape [${v.shape.join(", ")}]`);
  if (v.ndim !== 0) throw bad();
  const n = Number(v); // a tracer throws its ConcretizationError here
  if (!isInt(v.dtype)) throw bad();
  return n;
}

/** A real-number argument: a JS number (NaN and ±Infinity included; no objects, strings or bigints). */
export function numberArg(op: string, name: string, v: unknown): number {
  if (typeof v !== "number") throw new ArgumentError(`${op}: ${name} must be a JS number, got ${describe(v)}`);
  return v;
}

/** A non-negative integer argument (a size, a count). */
export function sizeArg(op: string, name: string, v: unknown): number {
  const n = intArg(op, name, v);
  if (n < 0) throw new ShapeError(`${op}: ${name} must be non-negative, got ${n}`);
  return n;
}

/** A list of integers from a JS array (or one integer when `single` allows it), copied. */
export function intsArg(op: string, name: string, v: unknown, single = false): number[] {
  if (single && typeof v === "number") return [intArg(op, name, v)];
  if (!Array.isArray(v)) throw new ShapeError(`${op}: ${name} must be a JS array of integers${single ? " or one integer" : ""}, got ${describe(v)}`);
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = intArg(op, `${name}[${i}]`, v[i]);
  return out;
}

/**
 * A shape: one size or a JS array of sizes, each a non-negative safe integer,
 * with at most MAX_ELEMENTS elements in all. A copy, so later changes to the
 * caller's array cannot reach params.
 */
export function shapeArg(op: string, v: unknown, name = "shape"): number[] {
  const s = intsArg(op, name, v, true);
  checkShapeNumbers(op, s, name);
  return s;
}

/** Throws unless every size is a non-negative safe integer and the product is at most MAX_ELEMENTS. */
export function checkShapeNumbers(op: string, s: readonly unknown[], name = "shape"): void {
  let size = 1;
  for (let i = 0; i < s.length; i++) {
    const d = s[i];
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) {
      throw new ShapeError(`${op}: ${name}[${i}] must be a non-negative integer, got ${describe(d)}`);
    }
    size *= d;
  }
  if (size > MAX_ELEMENTS) {
    throw new ShapeError(`${op}: ${name} (${s.join(", ")}) has ${size} elements, more than jaxon's limit of 2^40 for one array`);
  }
}

// ---- primitive parameters -------------------------------------------------------------------

/**
 * What a primitive parameter may hold. Every primitive declares each of its
 * parameters with one of these (`definePrimitive`'s `params`), and `bind`
 * checks them before the primitive sees them:
 * - "int" / "ints" / "intTable": safe integers, a flat list, nested lists;
 *   "intRecord": a plain object of nested lists (dot_general's dimension numbers);
 * - "bool", "dtype" ("dtype?": or undefined), and a list of allowed strings
 *   (undefined in the list: the parameter may be left out);
 * - "static": a value jaxon made itself (a jaxpr, a callback, avals), never
 *   taken from user code, so not inspected.
 */
export type ParamKind = "int" | "ints" | "intTable" | "intRecord" | "bool" | "dtype" | "dtype?" | "string" | "static" | readonly (string | undefined)[];
export type ParamSchema<P> = { readonly [K in keyof P]-?: ParamKind };

function checkTable(op: string, name: string, v: unknown, depth: number): void {
  if (typeof v === "number") {
    intArg(op, name, v);
    return;
  }
  if (depth > 4 || !Array.isArray(v)) throw new ShapeError(`${op}: ${name} must be nested JS arrays of integers, got ${describe(v)}`);
  for (let i = 0; i < v.length; i++) checkTable(op, `${name}[${i}]`, v[i], depth + 1);
}

/** A checker for params of primitive `prim` against its schema; throws ShapeError/DTypeError naming the parameter. */
export function paramsChecker<P>(prim: string, schema: ParamSchema<P>): (params: P) => void {
  const entries = Object.entries(schema) as [string, ParamKind][];
  const op = `lax.${prim}`;
  return (params: P) => {
    const p = params as Record<string, unknown>;
    for (const [name, kind] of entries) {
      const v = p[name];
      if (kind === "int") {
        if (typeof v !== "number" || !Number.isSafeInteger(v)) intArg(op, name, v);
      } else if (kind === "ints") {
        if (!Array.isArray(v)) throw new ShapeError(`${op}: ${name} must be a JS array of integers, got ${describe(v)}`);
        for (let i = 0; i < v.length; i++) if (typeof v[i] !== "number" || !Number.isSafeInteger(v[i])) intArg(op, `${name}[${i}]`, v[i]);
      } else if (kind === "intTable") checkTable(op, name, v, 0);
      else if (kind === "intRecord") {
        if (typeof v !== "object" || v === null || Object.getPrototypeOf(v) !== Object.prototype) {
          throw new ShapeError(`${op}: ${name} must be a plain object of integer lists, got ${describe(v)}`);
        }
        for (const [k, t] of Object.entries(v)) checkTable(op, `${name}.${k}`, t, 0);
      }
      else if (kind === "bool") {
        if (typeof v !== "boolean") throw new ShapeError(`${op}: ${name} must be true or false, got ${describe(v)}`);
      } else if (kind === "dtype" || kind === "dtype?") {
        if (!isDType(v) && !(kind === "dtype?" && v === undefined)) throw new DTypeError(`${op}: ${name} must be a dtype name, got ${describe(v)}`);
      } else if (kind === "string") {
        if (typeof v !== "string") throw new ShapeError(`${op}: ${name} must be a string, got ${describe(v)}`);
      } else if (kind !== "static" && !((typeof v === "string" || v === undefined) && kind.includes(v))) {
        throw new ShapeError(`${op}: ${name} must be one of ${kind.map((k) => JSON.stringify(k)).join(", ")}, got ${describe(v)}`);
      }
    }
  };
}
