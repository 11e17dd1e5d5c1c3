/**
 * A small WebAssembly binary emitter: LEB128, value types, the opcodes the
 * kernel compiler uses (with the 0xFD SIMD prefix), function bodies with
 * typed locals, and a module with one imported shared memory.
 *
 * Only numbers reach the bytes: opcodes, indices and constants this compiler
 * made itself; no user string is ever encoded into a module.
 */

export enum T {
  i32 = 0x7f,
  i64 = 0x7e,
  f32 = 0x7d,
  f64 = 0x7c,
  v128 = 0x7b,
}

/** Scalar and control opcodes (one byte). */
export enum Op {
  unreachable = 0x00,
  block = 0x02,
  loop = 0x03,
  if = 0x04,
  else = 0x05,
  end = 0x0b,
  br = 0x0c,
  br_if = 0x0d,
  return = 0x0f,
  call = 0x10,
  drop = 0x1a,
  select = 0x1b,
  local_get = 0x20,
  local_set = 0x21,
  local_tee = 0x22,
  i32_load = 0x28,
  f32_load = 0x2a,
  f64_load = 0x2b,
  i32_load8_s = 0x2c,
  i32_load8_u = 0x2d,
  i32_load16_s = 0x2e,
  i32_load16_u = 0x2f,
  i32_store = 0x36,
  f32_store = 0x38,
  f64_store = 0x39,
  i32_store8 = 0x3a,
  i32_store16 = 0x3b,
  i32_const = 0x41,
  i64_const = 0x42,
  f32_const = 0x43,
  f64_const = 0x44,
  i32_eqz = 0x45,
  i32_eq = 0x46,
  i32_ne = 0x47,
  i32_lt_s = 0x48,
  i32_lt_u = 0x49,
  i32_gt_s = 0x4a,
  i32_gt_u = 0x4b,
  i32_le_s = 0x4c,
  i32_le_u = 0x4d,
  i32_ge_s = 0x4e,
  i32_ge_u = 0x4f,
  i32_add = 0x6a,
  i32_sub = 0x6b,
  i32_mul = 0x6c,
  i32_div_s = 0x6d,
  i32_div_u = 0x6e,
  i32_rem_s = 0x6f,
  i32_rem_u = 0x70,
  i32_and = 0x71,
  i32_or = 0x72,
  i32_xor = 0x73,
  i32_shl = 0x74,
  i32_shr_s = 0x75,
  i32_shr_u = 0x76,
  f32_eq = 0x5b,
  f32_ne = 0x5c,
  f32_lt = 0x5d,
  f32_gt = 0x5e,
  f32_abs = 0x8b,
  f32_min = 0x96,
  f32_max = 0x97,
  f64_add = 0xa0,
  f64_mul = 0xa2,
  f32_demote_f64 = 0xb6,
  f64_promote_f32 = 0xbb,
}

/** SIMD opcodes (after the 0xFD prefix, LEB128-encoded). */
export enum S {
  v128_load = 0x00,
  v128_load16x4_s = 0x03,
  v128_load16x4_u = 0x04,
  v128_load32_splat = 0x09,
  v128_load32_zero = 0x5c,
  v128_store32_lane = 0x5a,
  v128_store64_lane = 0x5b,
  i16x8_extend_low_i8x16_s = 0x87,
  i16x8_extend_low_i8x16_u = 0x89,
  i32x4_extend_low_i16x8_s = 0xa7,
  i32x4_extend_low_i16x8_u = 0xa9,
  v128_store = 0x0b,
  v128_const = 0x0c,
  i8x16_shuffle = 0x0d,
  i8x16_narrow_i16x8_s = 0x65,
  i8x16_narrow_i16x8_u = 0x66,
  i16x8_narrow_i32x4_s = 0x85,
  i16x8_narrow_i32x4_u = 0x86,
  i32x4_splat = 0x11,
  f32x4_splat = 0x13,
  f64x2_splat = 0x14,
  i32x4_extract_lane = 0x1b,
  f32x4_extract_lane = 0x1f,
  f32x4_replace_lane = 0x20,
  f64x2_extract_lane = 0x21,
  i32x4_eq = 0x37,
  i32x4_ne = 0x38,
  i32x4_lt_s = 0x39,
  i32x4_lt_u = 0x3a,
  i32x4_gt_s = 0x3b,
  i32x4_gt_u = 0x3c,
  i32x4_le_s = 0x3d,
  i32x4_le_u = 0x3e,
  i32x4_ge_s = 0x3f,
  i32x4_ge_u = 0x40,
  i32x4_replace_lane = 0x1c,
  i32x4_abs = 0xa0,
  i32x4_min_s = 0xb6,
  i32x4_min_u = 0xb7,
  i32x4_max_s = 0xb8,
  i32x4_max_u = 0xb9,
  i32x4_trunc_sat_f32x4_u = 0xf9,
  f32x4_convert_i32x4_u = 0xfb,
  f32x4_eq = 0x41,
  f32x4_ne = 0x42,
  f32x4_lt = 0x43,
  f32x4_gt = 0x44,
  f32x4_le = 0x45,
  f32x4_ge = 0x46,
  v128_not = 0x4d,
  v128_and = 0x4e,
  v128_andnot = 0x4f,
  v128_or = 0x50,
  v128_xor = 0x51,
  v128_bitselect = 0x52,
  v128_any_true = 0x53,
  f32x4_demote_f64x2_zero = 0x5e,
  f64x2_promote_low_f32x4 = 0x5f,
  f32x4_ceil = 0x67,
  f32x4_floor = 0x68,
  f32x4_trunc = 0x69,
  f32x4_nearest = 0x6a,
  f64x2_nearest = 0x94,
  i32x4_shl = 0xab,
  i32x4_shr_s = 0xac,
  i32x4_shr_u = 0xad,
  i32x4_neg = 0xa1,
  i32x4_add = 0xae,
  i32x4_sub = 0xb1,
  i32x4_mul = 0xb5,
  f32x4_abs = 0xe0,
  f32x4_neg = 0xe1,
  f32x4_sqrt = 0xe3,
  f32x4_add = 0xe4,
  f32x4_sub = 0xe5,
  f32x4_mul = 0xe6,
  f32x4_div = 0xe7,
  f32x4_min = 0xe8,
  f32x4_max = 0xe9,
  f32x4_pmin = 0xea,
  f32x4_pmax = 0xeb,
  f64x2_lt = 0x49,
  f64x2_gt = 0x4a,
  i64x2_shr_s = 0xcc,
  i64x2_sub = 0xd1,
  i64x2_eq = 0xd6,
  f64x2_abs = 0xec,
  f64x2_neg = 0xed,
  f64x2_add = 0xf0,
  f64x2_sub = 0xf1,
  f64x2_mul = 0xf2,
  f64x2_div = 0xf3,
  i32x4_trunc_sat_f32x4_s = 0xf8,
  f32x4_convert_i32x4_s = 0xfa,
  i32x4_trunc_sat_f64x2_s_zero = 0xfc,
  i32x4_trunc_sat_f64x2_u_zero = 0xfd,
  f64x2_convert_low_i32x4_s = 0xfe,
  f64x2_convert_low_i32x4_u = 0xff,
  i8x16_popcnt = 0x62,
  i16x8_extadd_pairwise_i8x16_u = 0x7d,
  i32x4_extadd_pairwise_i16x8_u = 0x7f,
}

export function uleb(out: number[], n: number): void {
  n >>>= 0;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

export function sleb(out: number[], n: number): void {
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

const scratch = new DataView(new ArrayBuffer(16));

function pushF32(out: number[], v: number) {
  scratch.setFloat32(0, v, true);
  for (let i = 0; i < 4; i++) out.push(scratch.getUint8(i));
}
function pushF64(out: number[], v: number) {
  scratch.setFloat64(0, v, true);
  for (let i = 0; i < 8; i++) out.push(scratch.getUint8(i));
}

/** A local variable of a function (parameters come first). */
export interface Local {
  readonly index: number;
  readonly type: T;
}

/**
 * The code of one function. Instructions append to `code`; `hoist` collects
 * code that runs once at entry (constants), so that loops never rebuild them.
 */
export class FunctionBuilder {
  readonly params: Local[];
  private readonly localTypes: T[] = [];
  code: number[] = [];
  /** Where `code` may be cut into independent groups (see `interleave`); null when not recording. */
  marks: number[] | null = null;
  private readonly prologue: number[] = [];
  private readonly constLocals = new Map<string, Local>();

  constructor(
    paramTypes: T[],
    readonly results: T[],
  ) {
    this.params = paramTypes.map((type, index) => ({ index, type }));
  }

  local(type: T): Local {
    const l = { index: this.params.length + this.localTypes.length, type };
    this.localTypes.push(type);
    return l;
  }

  op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }
  simd(op: S, ...immediates: number[]): this {
    this.code.push(0xfd);
    uleb(this.code, op);
    for (const b of immediates) this.code.push(b);
    return this;
  }
  get(l: Local): this {
    this.code.push(Op.local_get);
    uleb(this.code, l.index);
    return this;
  }
  set(l: Local): this {
    this.code.push(Op.local_set);
    uleb(this.code, l.index);
    return this;
  }
  tee(l: Local): this {
    this.code.push(Op.local_tee);
    uleb(this.code, l.index);
    return this;
  }
  i32(n: number): this {
    this.code.push(Op.i32_const);
    sleb(this.code, n);
    return this;
  }
  f32(v: number): this {
    this.code.push(Op.f32_const);
    pushF32(this.code, v);
    return this;
  }
  /** A memory access: alignment exponent and static offset. */
  mem(op: Op, align: number, offset = 0): this {
    this.code.push(op);
    uleb(this.code, align);
    uleb(this.code, offset);
    return this;
  }
  simdMem(op: S, align: number, offset = 0): this {
    this.simd(op);
    uleb(this.code, align);
    uleb(this.code, offset);
    return this;
  }
  call(index: number): this {
    this.code.push(Op.call);
    uleb(this.code, index);
    return this;
  }
  br(op: Op.br | Op.br_if, depth: number): this {
    this.code.push(op);
    uleb(this.code, depth);
    return this;
  }

  /** Marks the end of a self-contained group (the operand stack is empty here). */
  mark(): void {
    this.marks?.push(this.code.length);
  }

  /**
   * Emits `streams` independent instruction streams (e.g. the same loop body
   * for consecutive vectors), then interleaves them group by group, so that
   * the machine code has independent operations side by side and the CPU
   * overlaps their latencies (V8 does not reschedule WebAssembly code).
   */
  interleave(streams: number, emit: (stream: number) => void): void {
    const outer = this.code;
    const outerMarks = this.marks;
    const groups: number[][][] = [];
    for (let s = 0; s < streams; s++) {
      this.code = [];
      this.marks = [];
      emit(s);
      const cuts = [0, ...this.marks, this.code.length];
      const g: number[][] = [];
      for (let i = 1; i < cuts.length; i++) if (cuts[i] > cuts[i - 1]) g.push(this.code.slice(cuts[i - 1], cuts[i]));
      groups.push(g);
    }
    this.code = outer;
    this.marks = outerMarks;
    const longest = Math.max(...groups.map((g) => g.length));
    for (let i = 0; i < longest; i++) for (const g of groups) if (i < g.length) for (const b of g[i]) outer.push(b);
  }

  /** A v128 constant in a local set once at function entry (shared by every use). */
  constV128(kind: "f32" | "i32" | "f64", value: number): Local {
    const key = `${kind}:${Object.is(value, -0) ? "-0" : String(value)}`;
    let l = this.constLocals.get(key);
    if (l) return l;
    l = this.local(T.v128);
    const p = this.prologue;
    p.push(0xfd);
    uleb(p, S.v128_const);
    for (let i = 0; i < (kind === "f64" ? 2 : 4); i++) {
      if (kind === "f32") pushF32(p, value);
      else if (kind === "f64") pushF64(p, value);
      else for (let b = 0; b < 4; b++) p.push((value >>> (8 * b)) & 0xff);
    }
    p.push(Op.local_set);
    uleb(p, l.index);
    this.constLocals.set(key, l);
    return l;
  }

  /** The function body as encoded in the code section. */
  encode(): number[] {
    const body: number[] = [];
    // locals as runs of equal types
    const runs: [number, T][] = [];
    for (const t of this.localTypes) {
      if (runs.length && runs[runs.length - 1][1] === t) runs[runs.length - 1][0]++;
      else runs.push([1, t]);
    }
    uleb(body, runs.length);
    for (const [n, t] of runs) {
      uleb(body, n);
      body.push(t);
    }
    // concat, not push(...): a large fused kernel's code overflows the argument stack of a spread
    const all = body.concat(this.prologue, this.code, [Op.end]);
    const out: number[] = [];
    uleb(out, all.length);
    return out.concat(all);
  }
}

interface FuncImport {
  module: string;
  name: string;
  type: number;
}

/** A module: one imported memory, imported functions, defined functions, exports. */
export class ModuleBuilder {
  private readonly types: { params: T[]; results: T[] }[] = [];
  private readonly typeKeys = new Map<string, number>();
  private readonly imports: FuncImport[] = [];
  private readonly funcs: { type: number; body: FunctionBuilder }[] = [];
  private readonly exports: { name: string; func: number }[] = [];

  constructor(private readonly memory: { minPages: number; maxPages: number; shared: boolean }) {}

  type(params: T[], results: T[]): number {
    const key = `${params.join(",")}>${results.join(",")}`;
    let i = this.typeKeys.get(key);
    if (i === undefined) {
      i = this.types.length;
      this.types.push({ params, results });
      this.typeKeys.set(key, i);
    }
    return i;
  }

  /** Imports a function; all imports must be declared before any function is added. */
  importFunc(module: string, name: string, params: T[], results: T[]): number {
    if (this.funcs.length) throw new Error("wasm emitter: imports go before functions");
    this.imports.push({ module, name, type: this.type(params, results) });
    return this.imports.length - 1;
  }

  /** Reserves a function index; its body is given by `define`. */
  addFunc(fb: FunctionBuilder): number {
    this.funcs.push({ type: this.type(fb.params.map((p) => p.type), fb.results), body: fb });
    return this.imports.length + this.funcs.length - 1;
  }

  exportFunc(name: string, func: number) {
    this.exports.push({ name, func });
  }

  encode(): Uint8Array<ArrayBuffer> {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, content: number[]) => {
      out.push(id);
      uleb(out, content.length);
      for (const b of content) out.push(b);
    };
    const name = (buf: number[], s: string) => {
      const bytes = new TextEncoder().encode(s);
      uleb(buf, bytes.length);
      for (const b of bytes) buf.push(b);
    };
    // types
    const types: number[] = [];
    uleb(types, this.types.length);
    for (const t of this.types) {
      types.push(0x60);
      uleb(types, t.params.length);
      types.push(...t.params);
      uleb(types, t.results.length);
      types.push(...t.results);
    }
    section(1, types);
    // imports: functions, then the memory
    const imports: number[] = [];
    uleb(imports, this.imports.length + 1);
    for (const imp of this.imports) {
      name(imports, imp.module);
      name(imports, imp.name);
      imports.push(0x00);
      uleb(imports, imp.type);
    }
    name(imports, "env");
    name(imports, "memory");
    imports.push(0x02, this.memory.shared ? 0x03 : 0x01);
    uleb(imports, this.memory.minPages);
    uleb(imports, this.memory.maxPages);
    section(2, imports);
    // function declarations
    const funcs: number[] = [];
    uleb(funcs, this.funcs.length);
    for (const f of this.funcs) uleb(funcs, f.type);
    section(3, funcs);
    // exports
    const exps: number[] = [];
    uleb(exps, this.exports.length);
    for (const e of this.exports) {
      name(exps, e.name);
      exps.push(0x00);
      uleb(exps, e.func);
    }
    section(7, exps);
    // code
    const code: number[] = [];
    uleb(code, this.funcs.length);
    for (const f of this.funcs) for (const b of f.body.encode()) code.push(b);
    section(10, code);
    return new Uint8Array(out);
  }
}

/** Whether this engine validates WebAssembly SIMD (a module with one f32x4.splat). */
export function simdSupported(): boolean {
  const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 17, 253, 98, 11]);
  try {
    return typeof WebAssembly !== "undefined" && WebAssembly.validate(probe);
  } catch {
    return false;
  }
}
