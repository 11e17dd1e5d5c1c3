/**
 * Arrays as text, as NumPy's `array2string` writes them (which JAX's repr
 * uses), and the print options that steer it (`np.printoptions`,
 * `np.setPrintoptions`). Foundation layer: values and shapes in, text out, so
 * that `Array#toString` (runtime) and `np.arrayRepr` (numpy) share one
 * formatter and one set of options.
 *
 * Floats follow NumPy's FloatingFormat: the shown values of an array decide
 * between positional and scientific notation and share one width; digits are
 * the shortest that read back as the same value of the array's float width,
 * cut at `precision` by rounding the exact binary value half to even (as
 * Dragon4 does).
 */
import type { DType } from "./dtype.js";
import { roundToFloat16 } from "./dtype.js";
import { ShapeError } from "./errors.js";

export type FloatMode = "fixed" | "unique" | "maxprec" | "maxprec_equal";
export type SignMode = "-" | "+" | " ";

/** NumPy's print options (the ones that apply to jaxon's arrays). */
export interface PrintOptions {
  /** Digits after the point for floats (at most, except in floatmode "fixed"). Default 8. */
  precision: number;
  /** Arrays with more elements than this print summarized, with `...`. Default 1000. */
  threshold: number;
  /** Items printed at each end of a summarized axis. Default 3. */
  edgeitems: number;
  /** Characters per line before wrapping. Default 75. */
  linewidth: number;
  /** Print small floats as 0 in positional notation rather than switching to scientific. Default false. */
  suppress: boolean;
  /** Text of NaN. Default "nan". */
  nanstr: string;
  /** Text of infinity. Default "inf". */
  infstr: string;
  /** "-" signs negatives only, "+" every value, " " leaves a space where a sign would go. Default "-". */
  sign: SignMode;
  /** How many float digits: "maxprec" (default), "maxprec_equal", "fixed", "unique". */
  floatmode: FloatMode;
}

const DEFAULTS: Readonly<PrintOptions> = Object.freeze({
  precision: 8,
  threshold: 1000,
  edgeitems: 3,
  linewidth: 75,
  suppress: false,
  nanstr: "nan",
  infstr: "inf",
  sign: "-",
  floatmode: "maxprec",
});

let current: PrintOptions = { ...DEFAULTS };

/** A copy of the current print options. */
export function currentPrintOptions(): PrintOptions {
  return { ...current };
}

/** Whether an option differs from NumPy's default (toString keeps its compact text unless asked). */
export function isDefaultOption<K extends keyof PrintOptions>(key: K, options: PrintOptions = current): boolean {
  return options[key] === DEFAULTS[key];
}

const FLOAT_MODES: readonly FloatMode[] = ["fixed", "unique", "maxprec", "maxprec_equal"];

/** Checks `update` (a typed error naming the option and the fix) and returns the options with it applied. */
export function mergePrintOptions(op: string, base: PrintOptions, update: Partial<PrintOptions>): PrintOptions {
  if (update === null || typeof update !== "object") throw new ShapeError(`${op}: the options must be an object such as { precision: 3 }, got ${String(update)}`);
  const out = { ...base };
  for (const [key, value] of Object.entries(update)) {
    if (value === undefined) continue;
    const bad = (want: string) => new ShapeError(`${op}: option ${key} must be ${want}, got ${JSON.stringify(value) ?? String(value)}`);
    switch (key) {
      case "precision":
      case "threshold":
      case "edgeitems":
      case "linewidth":
        if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw bad("a non-negative integer");
        out[key] = value;
        break;
      case "suppress":
        if (typeof value !== "boolean") throw bad("true or false");
        out.suppress = value;
        break;
      case "nanstr":
      case "infstr":
        if (typeof value !== "string") throw bad("a string");
        out[key] = value;
        break;
      case "sign":
        if (value !== "-" && value !== "+" && value !== " ") throw bad('"-", "+" or " "');
        out.sign = value;
        break;
      case "floatmode":
        if (!FLOAT_MODES.includes(value as FloatMode)) throw bad(FLOAT_MODES.map((m) => `"${m}"`).join(", "));
        out.floatmode = value as FloatMode;
        break;
      default:
        throw new ShapeError(`${op}: unknown print option "${key}"; the options are ${Object.keys(DEFAULTS).join(", ")}`);
    }
  }
  return out;
}

/** Replaces the current print options (the numpy layer's setPrintoptions and printoptions scope). */
export function replacePrintOptions(options: PrintOptions): void {
  current = { ...options };
}

// ---- digits ------------------------------------------------------------------

/** A positive decimal: value = 0.d1d2d3… × 10^point (digits without leading or trailing zeros; "" is zero). */
interface Decimal {
  digits: string;
  point: number;
}

type Width = "float16" | "float32" | "float64";

function trimZeros(d: Decimal): Decimal {
  let digits = d.digits.replace(/0+$/, "");
  let point = d.point;
  const lead = digits.length - digits.replace(/^0+/, "").length;
  digits = digits.slice(lead);
  point -= lead;
  return digits === "" ? { digits: "", point: 0 } : { digits, point };
}

/** The exact decimal value of a non-negative double (every double is a finite decimal). */
function exactDecimal(a: number): Decimal {
  if (a === 0) return { digits: "", point: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, a);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mantissa |= 1n << 52n;
    exp = biased - 1075;
  }
  if (exp >= 0) {
    const s = (mantissa << BigInt(exp)).toString();
    return trimZeros({ digits: s, point: s.length });
  }
  const s = (mantissa * 5n ** BigInt(-exp)).toString();
  return trimZeros({ digits: s, point: s.length + exp });
}

/** Rounds to `keep` digits (counted from the first digit), half to even on the exact digits. */
function roundDigits(d: Decimal, keep: number): Decimal {
  if (d.digits.length <= keep) return d;
  if (keep < 0) return { digits: "", point: 0 };
  const head = d.digits.slice(0, keep);
  const first = d.digits[keep];
  const rest = d.digits.slice(keep + 1);
  const lastOdd = keep > 0 && Number(head[keep - 1]) % 2 === 1;
  const up = first > "5" || (first === "5" && (/[1-9]/.test(rest) || lastOdd));
  if (!up) return trimZeros({ digits: head, point: d.point });
  // add one unit in the last kept place
  const n = (BigInt(head === "" ? "0" : head) + 1n).toString();
  // 99 + 1 = 100: the carry adds an integer digit
  return trimZeros({ digits: n, point: d.point + (n.length > keep ? 1 : 0) });
}

function roundWidth(v: number, width: Width): number {
  return width === "float64" ? v : width === "float32" ? Math.fround(v) : roundToFloat16(v);
}

/** The shortest digits that read back as the same value of the width. */
function shortestDecimal(a: number, width: Width): Decimal {
  if (a === 0) return { digits: "", point: 0 };
  let text = a.toExponential();
  if (width !== "float64") {
    for (let p = 1; p <= 17; p++) {
      const t = a.toExponential(p - 1);
      if (roundWidth(Number(t), width) === a) {
        text = t;
        break;
      }
    }
  }
  const [m, e] = text.split("e");
  return trimZeros({ digits: m.replace(".", ""), point: Number(e) + 1 });
}

interface DigitOptions {
  precision: number | null;
  unique: boolean;
  minDigits: number;
  /** "k" keeps the zeros `precision` asks for (non-unique); "." trims them but keeps the point. */
  trim: "k" | ".";
}

/** |v| in positional notation: [integer part, fraction part]. */
function positional(a: number, width: Width, o: DigitOptions): [string, string] {
  const fraction = (x: Decimal) => Math.max(0, x.digits.length - x.point);
  const exact = () => exactDecimal(a);
  const toFraction = (digits: number) => {
    const e = exact();
    return roundDigits(e, e.point + digits);
  };
  let d: Decimal;
  if (!o.unique) d = toFraction(o.precision ?? 0);
  else {
    d = shortestDecimal(a, width);
    if (o.precision !== null && fraction(d) > o.precision) d = toFraction(o.precision);
    // Dragon4's min_digits asks for more real digits of the value, not zeros
    else if (fraction(d) < o.minDigits) d = toFraction(o.minDigits);
  }
  const int = d.point <= 0 ? "0" : d.digits.slice(0, d.point).padEnd(d.point, "0");
  const frac = d.digits === "" ? "" : d.point < 0 ? "0".repeat(-d.point) + d.digits : d.digits.slice(Math.max(0, d.point));
  const wantZeros = o.unique ? o.minDigits : (o.precision ?? 0);
  return [int, frac.padEnd(wantZeros, "0")];
}

/** |v| in scientific notation: [mantissa integer digit, mantissa fraction, exponent]. */
function scientific(a: number, width: Width, o: DigitOptions): [string, string, number] {
  const toDigits = (digits: number) => roundDigits(exactDecimal(a), digits + 1);
  let d: Decimal;
  if (!o.unique) d = toDigits(o.precision ?? 0);
  else {
    d = shortestDecimal(a, width);
    if (o.precision !== null && d.digits.length - 1 > o.precision) d = toDigits(o.precision);
    else if (d.digits.length - 1 < o.minDigits) d = toDigits(o.minDigits);
  }
  const wantZeros = o.unique ? o.minDigits : (o.precision ?? 0);
  if (d.digits === "") return ["0", "".padEnd(wantZeros, "0"), 0];
  return [d.digits[0], d.digits.slice(1).padEnd(wantZeros, "0"), d.point - 1];
}

function expText(e: number, digits: number): string {
  return (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(Math.max(2, digits), "0");
}

// ---- element formats -------------------------------------------------------------

type ElementFormat = (v: number) => string;

function hasSignBit(v: number): boolean {
  return v < 0 || Object.is(v, -0);
}

/** NumPy's FloatingFormat over the shown values (`signMode` "+" for a complex number's imaginary parts). */
function floatingFormat(values: ArrayLike<number>, width: Width, opts: PrintOptions, signMode: SignMode): ElementFormat {
  const finite: number[] = [];
  const inf: number[] = [];
  let nonFinite = false;
  for (let k = 0; k < values.length; k++) {
    const v = roundWidth(values[k], width);
    if (Number.isFinite(v)) finite.push(v);
    else {
      nonFinite = true;
      if (!Number.isNaN(v)) inf.push(v);
    }
  }
  let precision: number | null = opts.floatmode === "unique" ? null : opts.precision;
  const nonZero = finite.filter((v) => v !== 0).map(Math.abs);
  let exp = false;
  if (nonZero.length) {
    let max = -Infinity;
    let min = Infinity;
    for (const v of nonZero) (max = Math.max(max, v)), (min = Math.min(min, v));
    const cutoff = 10 ** Math.min(8, width === "float64" ? 15 : width === "float32" ? 6 : 3);
    exp = max >= cutoff || (!opts.suppress && (min < 1e-4 || max / min > 1000));
  }
  const signed = (v: number) => (hasSignBit(v) ? "-" : signMode === "+" ? "+" : "");
  let padLeft = 0;
  let padRight = 0;
  let expSize = -1;
  let unique = true;
  let minDigits = 0;
  let trim: "k" | "." = ".";
  if (finite.length && exp) {
    unique = opts.floatmode !== "fixed";
    const first = { precision, unique, minDigits: 0, trim: (unique ? "." : "k") as "k" | "." };
    const parts = finite.map((v) => [signed(v), ...scientific(Math.abs(v), width, first)] as const);
    expSize = Math.max(...parts.map((p) => expText(p[3], 2).length)) - 1;
    trim = "k";
    precision = Math.max(...parts.map((p) => p[2].length));
    minDigits = precision;
    padLeft = Math.max(...parts.map((p) => p[0].length + p[1].length));
    padRight = expSize + 2 + precision;
  } else if (finite.length) {
    unique = opts.floatmode !== "fixed";
    const first = { precision, unique, minDigits: 0, trim: (unique ? "." : "k") as "k" | "." };
    const parts = finite.map((v) => [signed(v), ...positional(Math.abs(v), width, first)] as const);
    padLeft = Math.max(...parts.map((p) => p[0].length + p[1].length));
    padRight = Math.max(...parts.map((p) => p[2].length));
    if (opts.floatmode === "fixed" || opts.floatmode === "maxprec_equal") {
      precision = minDigits = padRight;
      trim = "k";
    }
  }
  if (signMode === " " && !finite.some(hasSignBit)) padLeft += 1;
  if (nonFinite) {
    const negInf = signMode !== "-" || inf.some((v) => v < 0);
    const offset = padRight + 1;
    padLeft = Math.max(padLeft, opts.nanstr.length - offset, opts.infstr.length + (negInf ? 1 : 0) - offset);
  }
  const digitOptions: DigitOptions = { precision, unique, minDigits, trim };
  return (raw: number) => {
    const v = roundWidth(raw, width);
    if (!Number.isFinite(v)) {
      const ret = Number.isNaN(v) ? (signMode === "+" ? "+" : "") + opts.nanstr : (v < 0 ? "-" : signMode === "+" ? "+" : "") + opts.infstr;
      return ret.padStart(padLeft + padRight + 1, " ");
    }
    if (exp) {
      const [i, f, e] = scientific(Math.abs(v), width, digitOptions);
      return `${(signed(v) + i).padStart(padLeft, " ")}.${f}e${expText(e, expSize)}`;
    }
    const [i, f] = positional(Math.abs(v), width, digitOptions);
    return `${(signed(v) + i).padStart(padLeft, " ")}.${f.padEnd(padRight, " ")}`;
  };
}

function integerFormat(values: ArrayLike<number>, signMode: SignMode): ElementFormat {
  let max = -Infinity;
  let min = Infinity;
  for (let k = 0; k < values.length; k++) (max = Math.max(max, values[k])), (min = Math.min(min, values[k]));
  let sign = signMode;
  let width = 0;
  if (values.length) {
    let maxLen = String(max).length;
    if (sign === " " && min < 0) sign = "-";
    if (max >= 0 && sign !== "-") maxLen += 1;
    width = Math.max(maxLen, String(min).length);
  }
  return (v: number) => {
    const s = v < 0 ? String(v) : sign === "+" ? `+${v}` : sign === " " ? ` ${v}` : String(v);
    return s.padStart(width, " ");
  };
}

function elementFormat(shown: ArrayLike<number>, dtype: DType, scalar: boolean, opts: PrintOptions): ElementFormat {
  if (dtype === "bool") return (v) => (v ? (scalar ? "True" : " True") : "False");
  if (dtype === "float16" || dtype === "float32" || dtype === "float64") return floatingFormat(shown, dtype, opts, opts.sign);
  if (dtype === "complex64" || dtype === "complex128") {
    // interleaved (re, im) pairs: each part gets its own shared format, the imaginary one always signed
    const width = dtype === "complex64" ? "float32" : "float64";
    const re = Float64Array.from({ length: shown.length >> 1 }, (_, k) => shown[2 * k]);
    const im = Float64Array.from({ length: shown.length >> 1 }, (_, k) => shown[2 * k + 1]);
    const fr = floatingFormat(re, width, opts, opts.sign);
    const fi = floatingFormat(im, width, opts, "+");
    // a complex element is addressed by the index of its real part
    return (k: number) => {
      const i = fi(im[k]);
      const sp = i.trimEnd().length;
      return fr(re[k]) + i.slice(0, sp) + "j" + i.slice(sp);
    };
  }
  return integerFormat(shown, opts.sign);
}

// ---- layout ----------------------------------------------------------------------

/** The text of an array's values (NumPy's `array2string`): nested brackets, `separator` between items. */
export function formatArrayText(
  data: ArrayLike<number>,
  shape: readonly number[],
  dtype: DType,
  options: PrintOptions,
  layout: { separator: string; prefix: string; suffix?: string },
): string {
  const complex = dtype === "complex64" || dtype === "complex128";
  const size = shape.reduce((a, b) => a * b, 1);
  if (size === 0) return "[]";
  const lineWidth = options.linewidth - (layout.suffix?.length ?? 0);
  const summarize = size > options.threshold;
  const edge = options.edgeitems;
  /** The indices shown along an axis of length n; null is the `...`. */
  const indices = (n: number): (number | null)[] => {
    if (!summarize || 2 * edge >= n) return Array.from({ length: n }, (_, i) => i);
    return [...Array.from({ length: edge }, (_, i) => i), null, ...Array.from({ length: edge }, (_, i) => n - edge + i)];
  };
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  // the shown elements decide the format (NumPy formats `_leading_trailing(data)`)
  const shownFlat: number[] = [];
  const collect = (dim: number, offset: number) => {
    if (dim === shape.length) {
      shownFlat.push(offset);
      return;
    }
    for (const i of indices(shape[dim])) if (i !== null) collect(dim + 1, offset + i * strides[dim]);
  };
  collect(0, 0);
  const shownValues = complex ? shownFlat.flatMap((k) => [data[2 * k], data[2 * k + 1]]) : shownFlat.map((k) => data[k]);
  const fmt = elementFormat(shownValues, dtype, shape.length === 0, options);
  const position = new Map<number, number>(shownFlat.map((k, j) => [k, j]));
  const word = (flat: number) => (complex ? fmt(position.get(flat)!) : fmt(data[flat]));
  if (shape.length === 0) return word(0);

  const { separator } = layout;
  const extendLine = (s: string, line: string, w: string, width: number, nextPrefix: string): [string, string] => {
    let wrap = line.length + w.length > width;
    if (line.length <= nextPrefix.length) wrap = false;
    if (wrap) {
      s += line.trimEnd() + "\n";
      line = nextPrefix;
    }
    return [s, line + w];
  };
  const recurse = (dim: number, offset: number, hanging: string, width: number): string => {
    const axesLeft = shape.length - dim;
    const nextHanging = hanging + " ";
    const nextWidth = width - 1;
    const shown = indices(shape[dim]);
    let s = "";
    if (axesLeft === 1) {
      const elemWidth = width - Math.max(separator.trimEnd().length, 1);
      let line = hanging;
      shown.forEach((i, j) => {
        const w = i === null ? "..." : word(offset + i * strides[dim]);
        [s, line] = extendLine(s, line, w, elemWidth, hanging);
        if (j < shown.length - 1) line += separator;
      });
      s += line;
    } else {
      const lineSep = separator.trimEnd() + "\n".repeat(axesLeft - 1);
      shown.forEach((i, j) => {
        const nested = i === null ? "..." : recurse(dim + 1, offset + i * strides[dim], nextHanging, nextWidth);
        s += hanging + nested + (j < shown.length - 1 ? lineSep : "");
      });
    }
    return "[" + s.slice(hanging.length) + "]";
  };
  return recurse(0, 0, " " + " ".repeat(layout.prefix.length), lineWidth);
}

/** JAX's repr: `Array([1. , 2.5], dtype=float32)`, wrapped at the line width. */
export function arrayReprText(data: ArrayLike<number>, shape: readonly number[], dtype: DType, weakType: boolean, options: PrintOptions): string {
  const prefix = "Array(";
  const dtypeText = `dtype=${dtype}${weakType ? ", weak_type=True" : ""}`;
  const size = shape.reduce((a, b) => a * b, 1);
  const s = size === 0 ? `[], shape=(${shape.join(", ")}${shape.length === 1 ? "," : ""})` : formatArrayText(data, shape, dtype, options, { separator: ", ", prefix, suffix: "," });
  const lastLineLength = s.length - s.lastIndexOf("\n") + 1;
  const sep = lastLineLength + dtypeText.length + 2 > options.linewidth ? " ".repeat(prefix.length) : " ";
  return `${prefix}${s},${sep}${dtypeText})`;
}

/** A float scalar as NumPy's `str` writes it: shortest digits, positional for 1e-4 ≤ |v| < 1e16 (`2.5`, `1.0`), else `1e-05`, `1.5e+20`. */
export function floatScalarText(v: number, width: Width): string {
  v = roundWidth(v, width);
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v < 0 ? "-inf" : "inf";
  const sign = hasSignBit(v) ? "-" : "";
  const a = Math.abs(v);
  const unique: DigitOptions = { precision: null, unique: true, minDigits: 0, trim: "." };
  if (a === 0 || (a >= 1e-4 && a < 1e16)) {
    const [i, f] = positional(a, width, unique);
    return `${sign}${i}.${f || "0"}`;
  }
  const [i, f, e] = scientific(a, width, unique);
  return `${sign}${i}${f ? "." + f : ""}e${expText(e, 2)}`;
}

/** A double in scientific notation with `precision` mantissa digits, rounded half to even on its exact value: [sign + digit, fraction, exponent]. */
export function exactScientific(v: number, precision: number): [string, string, number] {
  const [i, f, e] = scientific(Math.abs(v), "float64", { precision, unique: false, minDigits: 0, trim: "k" });
  return [(hasSignBit(v) ? "-" : "") + i, f, e];
}
