/**
 * A small builder of StableHLO text (MLIR's generic op form), for exporting
 * jaxprs to XLA and other ML compilers. It knows SSA names, tensor types,
 * attributes, regions and functions, and no primitive: each primitive's
 * definition (src/lax) says how it lowers, in terms of this builder.
 *
 * Text hygiene, as every code generator here: the builder writes only names
 * it made (`%vN`, `@fN`) and numbers it checked. An op name, an attribute
 * key or an enum word is one of a fixed grammar (lower-case dotted names,
 * upper-case enum words) checked here, so nothing a user wrote can reach the
 * text.
 */
import type { DType } from "../dtype.js";
import { UnsupportedError } from "../errors.js";

/** The type of a value: a ranked tensor. */
export interface HloType {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

const ELEMENT: Partial<Record<string, string>> = {
  float16: "f16",
  float32: "f32",
  float64: "f64",
  int8: "i8",
  int16: "i16",
  int32: "i32",
  uint8: "ui8",
  uint16: "ui16",
  uint32: "ui32",
  bool: "i1",
  complex64: "complex<f32>",
  complex128: "complex<f64>",
};

/** MLIR's element type name of a dtype. */
export function elementType(dtype: DType): string {
  const e = ELEMENT[dtype as string];
  if (e === undefined) throw new UnsupportedError(`exportStableHLO: the dtype ${String(dtype)} has no StableHLO element type here`);
  return e;
}

function checkDims(what: string, xs: readonly number[]): readonly number[] {
  for (const x of xs) if (!Number.isSafeInteger(x)) throw new UnsupportedError(`exportStableHLO: ${what} must be integers`);
  return xs;
}

/** `tensor<2x3xf32>`, `tensor<f32>` for a scalar. */
export function tensorType(t: HloType): string {
  const dims = checkDims("a shape", t.shape);
  return `tensor<${dims.map((d) => `${d}x`).join("")}${elementType(t.dtype)}>`;
}

/** An SSA value with its type; only the builder makes one. */
export class HloValue {
  /** @internal */
  constructor(
    readonly name: string,
    readonly type: HloType,
  ) {}
  get shape() {
    return this.type.shape;
  }
  get dtype() {
    return this.type.dtype;
  }
}

/** An attribute's text; only the functions of `attr` make one. */
export class HloAttr {
  /** @internal */
  constructor(readonly text: string) {}
}

const KEY = /^[a-z][a-z0-9_]*$/;
const WORD = /^[A-Z][A-Z0-9_]*$/;
const OP = /^(stablehlo|chlo|func|mhlo)\.[a-z][a-z0-9_]*$/;
function checkKey(k: string): string {
  if (!KEY.test(k)) throw new Error(`stablehlo builder: bad attribute key`);
  return k;
}

function ints(xs: readonly number[], sep = ", "): string {
  return checkDims("integer attributes", xs).join(sep);
}

/** Bit-exact hexadecimal text of host data (little-endian), as MLIR's dense attributes take it. */
function hex(bytes: Uint8Array): string {
  let s = "0x";
  for (const b of bytes) s += (b < 16 ? "0" : "") + b.toString(16).toUpperCase();
  return s;
}

export const attr = {
  /** `array<i64: 1, 2>` (dense array attributes: dimensions, permutations, slice bounds). */
  i64s: (xs: readonly number[]) => new HloAttr(xs.length ? `array<i64: ${ints(xs)}>` : "array<i64>"),
  /** `[1, 2]` inside a struct attribute. */
  list: (xs: readonly number[]) => new HloAttr(`[${ints(xs)}]`),
  int: (x: number, type = "i64") => new HloAttr(`${ints([x])} : ${type === "i32" ? "i32" : "i64"}`),
  bool: (x: boolean) => new HloAttr(x ? "true" : "false"),
  /** `#stablehlo<comparison_direction LT>`. */
  enumOf: (kind: string, word: string) => {
    if (!WORD.test(word)) throw new Error("stablehlo builder: bad enum word");
    return new HloAttr(`#stablehlo<${checkKey(kind)} ${word}>`);
  },
  /** `#stablehlo.dot<lhs_batching_dimensions = [0], ...>`: a struct of integer lists and integers. */
  struct: (kind: string, fields: Record<string, readonly number[] | number>) => {
    const body = Object.entries(fields)
      .filter(([, v]) => typeof v === "number" || v.length > 0)
      .map(([k, v]) => `${checkKey(k)} = ${typeof v === "number" ? ints([v]) : `[${ints(v)}]`}`)
      .join(", ");
    return new HloAttr(`#stablehlo.${checkKey(kind)}<${body}>`);
  },
  /**
   * Convolution dimension numbers, `#stablehlo.conv<[b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f]>`,
   * from index tuples: [batch, feature, spatial...] of lhs and out, [out feature, in feature, spatial...] of rhs.
   */
  conv: (lhs: readonly number[], rhs: readonly number[], out: readonly number[]) => {
    const layout = (spec: readonly number[], first: string, second: string) => {
      const letters = new globalThis.Array<string>(spec.length).fill("");
      checkDims("dimension numbers", spec).forEach((axis, k) => {
        if (axis < 0 || axis >= spec.length || letters[axis] !== "") throw new Error("stablehlo builder: bad dimension numbers");
        letters[axis] = k === 0 ? first : k === 1 ? second : String(k - 2);
      });
      return `[${letters.join(", ")}]`;
    };
    return new HloAttr(`#stablehlo.conv<${layout(lhs, "b", "f")}x${layout(rhs, "o", "i")}->${layout(out, "b", "f")}>`);
  },
  /** `dense<[[0, 0], [2, 0]]> : tensor<2x2xi64>` (padding pairs). */
  pairs: (rows: readonly (readonly [number, number])[]) =>
    new HloAttr(`dense<[${rows.map((r) => `[${ints(r)}]`).join(", ")}]> : tensor<${rows.length}x2xi64>`),
  /** A dense constant of `type` from its raw little-endian bytes. */
  dense: (bytes: Uint8Array, type: HloType) => new HloAttr(`dense<"${hex(bytes)}"> : ${tensorType(type)}`),
  /**
   * A tiled GSPMD sharding: `"{devices=[4,1]<=[4]}"`, with a trailing replication
   * axis (`last_tile_dim_replicate`) when `replicate` > 1, the devices an iota
   * over `meshDims` transposed by `perm`.
   */
  gspmd: (tile: readonly number[], replicate: number, meshDims: readonly number[], perm: readonly number[]) => {
    const dims = replicate > 1 ? [...tile, replicate] : tile;
    const transposed = perm.some((p, i) => p !== i) ? `T(${ints(perm, ",")})` : "";
    return new HloAttr(`"{devices=[${ints(dims, ",")}]<=[${ints(meshDims, ",")}]${transposed}${replicate > 1 ? " last_tile_dim_replicate" : ""}}"`);
  },
  /** A GSPMD sharding string, `"{devices=[4,1]<=[4]}"` or `"{replicated}"`, from checked numbers. */
  sharding: (tile: readonly number[] | null, lastTileReplicated = false) => {
    if (tile === null) return new HloAttr(`"{replicated}"`);
    const n = checkDims("mesh sizes", tile).reduce((a, b) => a * b, 1);
    return new HloAttr(`"{devices=[${ints(tile, ",")}]<=[${ints([n])}]${lastTileReplicated ? " last_tile_dim_replicate" : ""}}"`);
  },
};

/** A region being built: its block arguments and the lines of its body. */
interface Block {
  lines: string[];
  indent: string;
}

/**
 * Builds one MLIR module: functions, each a list of ops; ops may hold
 * regions (reduce bodies, comparators, while/case branches).
 */
export class HloBuilder {
  #next = 0;
  #funcs: string[] = [];
  #stack: Block[] = [];
  #funcCount = 0;
  /** The location written after each op: the `namedScope` path of the equation being lowered. */
  #loc: string | undefined;

  /** Runs `fn` with `path` (a name stack and the primitive's name) as the location of the ops it emits; undefined keeps the current one. */
  withLocation<T>(path: string | undefined, fn: () => T): T {
    const old = this.#loc;
    if (path !== undefined) this.#loc = path;
    try {
      return fn();
    } finally {
      this.#loc = old;
    }
  }
  private locText(): string {
    return this.#loc === undefined ? "" : ` loc("${escapeLocation(this.#loc)}")`;
  }

  private fresh(type: HloType): HloValue {
    return new HloValue(`%v${this.#next++}`, type);
  }
  private get block(): Block {
    const b = this.#stack[this.#stack.length - 1];
    if (!b) throw new Error("stablehlo builder: no open function");
    return b;
  }

  /** A new private function name (`@f3`). */
  newFunctionName(): string {
    return `@f${++this.#funcCount}`;
  }

  /**
   * Emits a function: `body` receives its arguments and returns its results.
   * `argAttrs`/`resultAttrs` are per-position attribute dictionaries (shardings).
   */
  func(
    name: string,
    visibility: "public" | "private",
    argTypes: readonly HloType[],
    body: (args: HloValue[]) => HloValue[],
    argAttrs: (Record<string, HloAttr> | undefined)[] = [],
    resultAttrs: (Record<string, HloAttr> | undefined)[] = [],
  ): HloType[] {
    if (!/^@(main|f[0-9]+)$/.test(name)) throw new Error("stablehlo builder: bad function name");
    const args = argTypes.map((t) => this.fresh(t));
    this.#stack.push({ lines: [], indent: "    " });
    const results = body(args);
    const { lines } = this.#stack.pop()!;
    const dict = (d: Record<string, HloAttr> | undefined) =>
      d && Object.keys(d).length ? ` {${Object.entries(d).map(([k, v]) => `${checkAttrName(k)} = ${v.text}`).join(", ")}}` : "";
    const sig = args.map((a, i) => `${a.name}: ${tensorType(a.type)}${dict(argAttrs[i])}`).join(", ");
    const res = results.map((r, i) => `${tensorType(r.type)}${dict(resultAttrs[i])}`).join(", ");
    lines.push(`    "func.return"(${results.map((r) => r.name).join(", ")}) : (${results.map((r) => tensorType(r.type)).join(", ")}) -> ()`);
    this.#funcs.push(`  func.func ${visibility} ${name}(${sig}) -> (${res}) {\n${lines.join("\n")}\n  }`);
    return results.map((r) => r.type);
  }

  /**
   * One op: `%r = "name"(operands) ({regions}) {attrs} : (types) -> types`.
   * Returns its results.
   */
  op(
    name: string,
    operands: readonly HloValue[],
    resultTypes: readonly HloType[],
    attrs: Record<string, HloAttr> = {},
    regions: string[] = [],
  ): HloValue[] {
    if (!OP.test(name)) throw new Error("stablehlo builder: bad op name");
    const b = this.block;
    const results = resultTypes.map((t) => this.fresh(t));
    const lhs = results.length === 0 ? "" : results.length === 1 ? `${results[0].name} = ` : `${results[0].name}:${results.length} = `;
    // several results share one name with `:N` and are used as `%v4#0`, `%v4#1`
    const uses = results.length > 1 ? results.map((r, i) => new HloValue(`${results[0].name}#${i}`, r.type)) : results;
    const attrText = Object.keys(attrs).length ? ` {${Object.entries(attrs).map(([k, v]) => `${checkKey(k)} = ${v.text}`).join(", ")}}` : "";
    const regionText = regions.length ? ` (${regions.join(", ")})` : "";
    const type = `(${operands.map((o) => tensorType(o.type)).join(", ")}) -> ${resultTypes.length === 1 ? tensorType(resultTypes[0]) : `(${resultTypes.map(tensorType).join(", ")})`}`;
    b.lines.push(`${b.indent}${lhs}"${name}"(${operands.map((o) => o.name).join(", ")})${regionText}${attrText} : ${type}${this.locText()}`);
    return uses;
  }

  /** One op with one result. */
  op1(name: string, operands: readonly HloValue[], resultType: HloType, attrs: Record<string, HloAttr> = {}, regions: string[] = []): HloValue {
    return this.op(name, operands, [resultType], attrs, regions)[0];
  }

  /** `func.call @fN(args)`. */
  call(callee: string, args: readonly HloValue[], resultTypes: readonly HloType[]): HloValue[] {
    if (!/^@f[0-9]+$/.test(callee)) throw new Error("stablehlo builder: bad callee");
    const b = this.block;
    const results = resultTypes.map((t) => this.fresh(t));
    const lhs = results.length === 0 ? "" : results.length === 1 ? `${results[0].name} = ` : `${results[0].name}:${results.length} = `;
    const uses = results.length > 1 ? results.map((r, i) => new HloValue(`${results[0].name}#${i}`, r.type)) : results;
    b.lines.push(
      `${b.indent}${lhs}"func.call"(${args.map((a) => a.name).join(", ")}) {callee = ${callee}} : (${args.map((a) => tensorType(a.type)).join(", ")}) -> (${resultTypes.map(tensorType).join(", ")})${this.locText()}`,
    );
    return uses;
  }

  /**
   * A region with one block: `body` gets the block's arguments and returns
   * the values its `stablehlo.return` yields. Ops inside may use values of
   * the enclosing function (StableHLO's regions are not isolated).
   */
  region(argTypes: readonly HloType[], body: (args: HloValue[]) => HloValue[]): string {
    const outer = this.block;
    const args = argTypes.map((t) => this.fresh(t));
    const indent = `${outer.indent}    `;
    this.#stack.push({ lines: [], indent });
    const results = body(args);
    const { lines } = this.#stack.pop()!;
    lines.push(`${indent}"stablehlo.return"(${results.map((r) => r.name).join(", ")}) : (${results.map((r) => tensorType(r.type)).join(", ")}) -> ()`);
    const head = `${outer.indent}  ^bb0(${args.map((a) => `${a.name}: ${tensorType(a.type)}`).join(", ")}):`;
    return `{\n${head}\n${lines.join("\n")}\n${outer.indent}}`;
  }

  /** A constant from raw little-endian bytes (bool: one byte per element, converted). */
  constant(bytes: Uint8Array, type: HloType): HloValue {
    if (type.dtype === "bool") {
      const asU8 = this.op1("stablehlo.constant", [], { shape: type.shape, dtype: "uint8" as DType }, { value: attr.dense(bytes, { shape: type.shape, dtype: "uint8" as DType }) });
      return this.op1("stablehlo.convert", [asU8], type);
    }
    return this.op1("stablehlo.constant", [], type, { value: attr.dense(bytes, type) });
  }

  /** The module's text. */
  module(): string {
    return `module @jaxon_export attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {\n${this.#funcs.join("\n")}\n}\n`;
  }
  /** The module's text with its partition count (sharded export). */
  moduleWithPartitions(partitions: number): string {
    checkDims("the partition count", [partitions]);
    return this.module().replace("mhlo.num_partitions = 1 : i32", `mhlo.num_partitions = ${partitions} : i32`);
  }
}

const ATTR_NAME = /^(mhlo\.sharding|jax\.result_info)$/;
function checkAttrName(k: string): string {
  if (!ATTR_NAME.test(k)) throw new Error("stablehlo builder: bad argument attribute");
  return k;
}

/** A location's text inside MLIR's quotes: letters, digits and `_ . / -` as they are, every other UTF-8 byte as `\XX`. */
function escapeLocation(path: string): string {
  let out = "";
  for (const ch of path) {
    if (/^[A-Za-z0-9_./-]$/.test(ch)) out += ch;
    else for (const byte of new TextEncoder().encode(ch)) out += `\\${byte.toString(16).padStart(2, "0").toUpperCase()}`;
  }
  return out;
}
