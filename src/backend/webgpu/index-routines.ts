/**
 * The WebGPU routines that move data by index — gather, the scatters, pad,
 * concatenate, dynamic_slice, dynamic_update_slice — and the PRNG's block
 * cipher, threefry2x32. Their semantics are the CPU's (`../cpu/routines.ts`):
 * gather indices and dynamic start indices are clamped the same way,
 * scatters combine duplicates in index order (bools: or/and) and drop or
 * clamp out-of-range indices as asked, and threefry runs
 * the same 20 rounds, so results are bit-identical to the CPU backend.
 *
 * Shapes and constants are baked into each shader; per-call data (indices,
 * start positions, the padding value) is read from buffers, so one pipeline
 * serves every value of them. Pure data movement treats every dtype as raw
 * 32-bit words (`u32`): a float's bits — NaN payloads, -0 — pass through
 * untouched, and one pipeline serves float32, int32, uint32 and bool alike.
 */
import type { DType } from "../../dtype.js";
import { contiguousStrides, sizeOf } from "../../shape.js";
import type { GpuBuffer } from "./buffers.js";
import { alloc, release } from "./buffers.js";
import { threadMain, unflatten, WORKGROUP } from "./codegen.js";
import { copy, dispatch, grid, limit } from "./context.js";
import type { GpuRoutine } from "./routines.js";
import type { RoutineFamily } from "./routines.js";

/** A binding as the shader declares it; binding numbers follow array order, as `dispatch` binds. */
type Binding = { name: string; type: string; write?: boolean };

function declare(bindings: readonly Binding[]): string {
  return bindings
    .map((b, i) => `@group(0) @binding(${i}) var<storage, ${b.write ? "read_write" : "read"}> ${b.name}: array<${b.type}>;`)
    .join("\n");
}

/**
 * A one-thread-per-element shader over `n` elements: `body` sees the thread's
 * flat index as the i32 `o` (already checked to be < n).
 */
function perElement(bindings: readonly Binding[], n: number, body: string): { wgsl: string; workgroups: [number, number] } {
  const [gx, gy] = grid(Math.ceil(n / WORKGROUP));
  const wgsl = `${declare(bindings)}
@compute @workgroup_size(${WORKGROUP})
${threadMain(gx)}
  if (o >= ${n}) { return; }
  ${body}
}`;
  return { wgsl, workgroups: [gx, gy] };
}

function run(bindings: readonly Binding[], buffers: GpuBuffer[], n: number, body: string): void {
  if (n === 0) return;
  const { wgsl, workgroups } = perElement(bindings, n, body);
  dispatch({ wgsl, buffers, workgroups });
}

/** The typed WGSL value type of a dtype where arithmetic happens (bools as u32 0/1). */
function valueType(d: DType): string {
  return d === "float32" ? "f32" : d === "int32" ? "i32" : "u32";
}

/** Storage buffers a shader may bind: the device's limit (8 unless raised at device creation). */
function maxBindings(): number {
  return limit("maxStorageBuffersPerShaderStage");
}

const WORD = 4;

// ---- gather / scatter ----------------------------------------------------------------
//
// The operand is viewed as [B, P, N, Q] and the indices as [B, I]: gather's
// output is [B, P, I, Q], a scatter's is the operand's shape.

type IndexParams = { B: number; P: number; N: number; Q: number; I: number };

const gather: GpuRoutine = ([operand, indices], _inTypes, [outType], params) => {
  const { B, P, N, Q, I } = params as IndexParams;
  const n = sizeOf(outType.shape);
  const out = alloc(outType.dtype, n);
  // N = 0 only with no indices (lax checks), so there is nothing to write
  if (N === 0) return [out];
  const body = `${unflatten("o", [B, P, I, Q], (k) => ["b", "p", "i", "q"][k])}
  let k = clamp(ix[b * ${I} + i], 0, ${N - 1});
  out[o] = xs[((b * ${P} + p) * ${N} + k) * ${Q} + q];`;
  const bindings = [
    { name: "out", type: "u32", write: true },
    { name: "xs", type: "u32" },
    { name: "ix", type: "i32" },
  ];
  run(bindings, [out, operand, indices], n, body);
  return [out];
};

type ScatterParams = IndexParams & { combine: "set" | "add" | "mul" | "min" | "max"; drop: boolean };

/** WGSL: is the f32 `v` a NaN (by its bits: the comparison v != v may be folded away). */
const isNan = (v: string) => `((bitcast<u32>(${v}) & 0x7fffffffu) > 0x7f800000u)`;

/** The WGSL expression that combines the stored `acc` with the update `u`, as the CPU's scatterCombine. */
function combineExpr(combine: ScatterParams["combine"], dtype: DType): string {
  const bool = dtype === "bool";
  const float = dtype === "float32";
  switch (combine) {
    case "set":
      return "u";
    case "add":
      return bool ? "acc | u" : "acc + u";
    case "mul":
      return bool ? "acc & u" : "acc * u";
    case "min":
      return bool ? "acc & u" : float ? `select(u, acc, ${isNan("acc")} || acc < u)` : "min(acc, u)";
    case "max":
      return bool ? "acc | u" : float ? `select(u, acc, ${isNan("acc")} || acc > u)` : "max(acc, u)";
  }
}

/**
 * One thread per output element, combining the updates whose index lands
 * on it in increasing index order: the CPU's order of float32 roundings (and
 * its last-wins for set), deterministic without atomics. An out-of-range
 * index never equals a position, so dropping needs no test; clipping clamps
 * first. The cost is I index comparisons per output element, which suits
 * the gradients of gathers over moderate index counts.
 */
const scatter: GpuRoutine = ([operand, indices, updates], _inTypes, [outType], params) => {
  const { B, P, N, Q, I, combine, drop } = params as ScatterParams;
  const n = sizeOf(outType.shape);
  const out = alloc(outType.dtype, n);
  if (n === 0) return [out];
  const t = valueType(outType.dtype);
  const index = drop ? "ix[ib + i]" : `clamp(ix[ib + i], 0, ${N - 1})`;
  const body = `${unflatten("o", [B, P, N, Q], (k) => ["b", "p", "m", "q"][k])}
  var acc = xs[o];
  let ib = b * ${I};
  let ub = (b * ${P} + p) * ${I * Q} + q;
  for (var i = 0; i < ${I}; i++) {
    if (${index} == m) {
      let u = us[ub + i * ${Q}];
      acc = ${combineExpr(combine, outType.dtype)};
    }
  }
  out[o] = acc;`;
  const bindings = [
    { name: "out", type: t, write: true },
    { name: "xs", type: t },
    { name: "ix", type: "i32" },
    { name: "us", type: t },
  ];
  run(bindings, [out, operand, indices, updates], n, body);
  return [out];
};

// ---- pad ------------------------------------------------------------------------------

/**
 * One thread per output element: on each axis, the output coordinate minus
 * `lo` must be a non-negative multiple of (interior + 1) whose quotient is an
 * operand index; otherwise the element is padding. Negative `lo`/`hi` crop
 * with no special case, since they only shift or shorten the output's range.
 */
const pad: GpuRoutine = ([x, value], [inType], [outType], params) => {
  const { lo, interior } = params as { lo: readonly number[]; hi: readonly number[]; interior: readonly number[] };
  const outShape = outType.shape;
  const inShape = inType.shape;
  const n = sizeOf(outShape);
  const out = alloc(outType.dtype, n);
  const is = contiguousStrides(inShape);
  const axes = inShape.map((dim, d) => {
    const step = interior[d] + 1;
    const t = `t${d}`;
    const offGrid = step === 1 ? "" : ` || ${t} % ${step} != 0`;
    const k = step === 1 ? t : `(${t} / ${step})`;
    return `{ let ${t} = c${d} - (${lo[d]});
    if (${t} < 0${offGrid} || ${k} >= ${dim}) { inside = false; } else { at += ${k} * ${is[d]}; } }`;
  });
  const body = `${unflatten("o", outShape, (k) => `c${k}`)}
  var inside = true;
  var at = 0;
  ${axes.join("\n  ")}
  if (inside) { out[o] = xs[at]; } else { out[o] = pv[0]; }`;
  const bindings = [
    { name: "out", type: "u32", write: true },
    { name: "xs", type: "u32" },
    { name: "pv", type: "u32" },
  ];
  run(bindings, [out, x, value], n, body);
  return [out];
};

// ---- concatenate ----------------------------------------------------------------------

/**
 * The output is viewed as [outer, total, inner] with the inputs side by side
 * along the middle axis. When `outer` is 1 every input is one contiguous run
 * of the output and is copied as such. Otherwise a shader writes a range of
 * the middle axis from a group of inputs; inputs beyond what one shader may
 * bind go to further dispatches, each writing its own slice of the output.
 */
const concatenate: GpuRoutine = (inputs, inTypes, [outType], params) => {
  const axis = params.axis as number;
  const shape = outType.shape;
  const out = alloc(outType.dtype, sizeOf(shape));
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const total = shape[axis];
  if (outer * inner * total === 0) return [out];
  const parts: { buf: GpuBuffer; start: number; width: number }[] = [];
  let start = 0;
  inputs.forEach((buf, q) => {
    const width = inTypes[q].shape[axis];
    if (width > 0) parts.push({ buf, start, width });
    start += width;
  });
  if (outer === 1) {
    for (const p of parts) copy(p.buf, 0, out, p.start * inner * WORD, p.width * inner * WORD);
    return [out];
  }
  const perGroup = Math.max(1, maxBindings() - 1);
  for (let g = 0; g < parts.length; g += perGroup) {
    const group = parts.slice(g, g + perGroup);
    const a0 = group[0].start;
    const span = group[group.length - 1].start + group[group.length - 1].width - a0;
    // a, relative to a0, picks the input; the last branch needs no test
    const branches = group.map((p, j) => {
      const rel = p.start - a0;
      const load = `out[(r * ${total} + ${p.start} + a - ${rel}) * ${inner} + c] = x${j}[(r * ${p.width} + a - ${rel}) * ${inner} + c];`;
      return j === group.length - 1 ? `{ ${load} }` : `if (a < ${rel + p.width}) { ${load} }`;
    });
    const body = `${unflatten("o", [outer, span, inner], (k) => ["r", "a", "c"][k])}
  ${branches.join(" else ")}`;
    const bindings = [{ name: "out", type: "u32", write: true }, ...group.map((_, j) => ({ name: `x${j}`, type: "u32" }))];
    run(bindings, [out, ...group.map((p) => p.buf)], outer * span * inner, body);
  }
  return [out];
};

// ---- dynamic_slice / dynamic_update_slice -----------------------------------------------

/**
 * The start indices as the shader reads them: one 1-element int32 buffer per
 * axis when they fit beside the shader's other bindings, else copied into one
 * packed buffer (released by `done`, after the dispatch that reads it).
 */
function startBindings(starts: GpuBuffer[], others: number): { bindings: Binding[]; buffers: GpuBuffer[]; read: (d: number) => string; done: () => void } {
  const nd = starts.length;
  if (nd + others <= maxBindings()) {
    return {
      bindings: starts.map((_, d) => ({ name: `s${d}`, type: "i32" })),
      buffers: starts,
      read: (d) => `s${d}[0]`,
      done: () => {},
    };
  }
  const packed = alloc("int32", nd);
  starts.forEach((s, d) => copy(s, 0, packed, d * WORD, WORD));
  return {
    bindings: [{ name: "st", type: "i32" }],
    buffers: [packed],
    read: (d) => `st[${d}]`,
    done: () => release(packed),
  };
}

/** WGSL: `let` each clamped start `p{d}` into [0, shape[d] - window[d]], as JAX clamps. */
function clampedStarts(shape: readonly number[], window: readonly number[], read: (d: number) => string): string {
  return shape.map((dim, d) => `let p${d} = clamp(${read(d)}, 0, ${dim - window[d]});`).join("\n  ");
}

const dynamic_slice: GpuRoutine = ([operand, ...starts], [inType], [outType], params) => {
  const sizes = (params.sizes as readonly number[] | undefined) ?? outType.shape;
  const shape = inType.shape;
  const n = sizeOf(sizes);
  const out = alloc(outType.dtype, n);
  if (n === 0) return [out];
  const strides = contiguousStrides(shape);
  const s = startBindings(starts, 2);
  const at = shape.map((_, d) => `(p${d} + c${d}) * ${strides[d]}`).join(" + ") || "0";
  const body = `${clampedStarts(shape, sizes, s.read)}
  ${unflatten("o", sizes, (k) => `c${k}`)}
  out[o] = xs[${at}];`;
  const bindings = [{ name: "out", type: "u32", write: true }, { name: "xs", type: "u32" }, ...s.bindings];
  run(bindings, [out, operand, ...s.buffers], n, body);
  s.done();
  return [out];
};

/** The operand copied whole, then one thread per update element writing it at the clamped window. */
const dynamic_update_slice: GpuRoutine = ([operand, update, ...starts], [inType, updateType], [outType]) => {
  const shape = inType.shape;
  const upd = updateType.shape;
  const n = sizeOf(shape);
  const out = alloc(outType.dtype, n);
  if (n === 0) return [out];
  copy(operand, 0, out, 0, n * WORD);
  const m = sizeOf(upd);
  if (m === 0) return [out];
  const strides = contiguousStrides(shape);
  const s = startBindings(starts, 2);
  const at = shape.map((_, d) => `(p${d} + c${d}) * ${strides[d]}`).join(" + ") || "0";
  const body = `${clampedStarts(shape, upd, s.read)}
  ${unflatten("o", upd, (k) => `c${k}`)}
  out[${at}] = us[o];`;
  const bindings = [{ name: "out", type: "u32", write: true }, { name: "us", type: "u32" }, ...s.bindings];
  run(bindings, [out, update, ...s.buffers], m, body);
  s.done();
  return [out];
};

// ---- threefry2x32 ---------------------------------------------------------------------
//
// Threefry-2x32, 20 rounds, as the CPU routine: five groups of four rounds,
// the groups alternating between rotations (13, 15, 26, 6) and (17, 29, 16, 24),
// with a key injection after each group. u32 arithmetic wraps as the CPU's `| 0`.

const ROTATIONS = [
  [13, 15, 26, 6],
  [17, 29, 16, 24],
];

function threefryRounds(): string {
  const lines: string[] = [];
  // the words injected after group g: keys (g+1) mod 3 and (g+2) mod 3, plus g+1
  const ks = ["k0", "k1", "k2"];
  for (let g = 0; g < 5; g++) {
    for (const r of ROTATIONS[g % 2]) lines.push(`a = a + b; b = ((b << ${r}u) | (b >> ${32 - r}u)) ^ a;`);
    lines.push(`a = a + ${ks[(g + 1) % 3]}; b = b + ${ks[(g + 2) % 3]} + ${g + 1}u;`);
  }
  return lines.join("\n  ");
}

const threefry2x32: GpuRoutine = (inputs, inTypes, outTypes) => {
  const n = sizeOf(outTypes[0].shape);
  const y0 = alloc("uint32", n);
  const y1 = alloc("uint32", n);
  if (n === 0) return [y0, y1];
  // a size-1 operand is broadcast, as on the CPU
  const at = inTypes.map((t) => (sizeOf(t.shape) === 1 ? "0" : "o"));
  const body = `let k0 = kk0[${at[0]}];
  let k1 = kk1[${at[1]}];
  let k2 = k0 ^ k1 ^ 0x1bd11bdau;
  var a = xx0[${at[2]}] + k0;
  var b = xx1[${at[3]}] + k1;
  ${threefryRounds()}
  y0[o] = a;
  y1[o] = b;`;
  const bindings = [
    { name: "y0", type: "u32", write: true },
    { name: "y1", type: "u32", write: true },
    { name: "kk0", type: "u32" },
    { name: "kk1", type: "u32" },
    { name: "xx0", type: "u32" },
    { name: "xx1", type: "u32" },
  ];
  run(bindings, [y0, y1, ...inputs], n, body);
  return [y0, y1];
};

export const indexRoutines = { gather, scatter, pad, concatenate, dynamic_slice, dynamic_update_slice, threefry2x32 } satisfies RoutineFamily;
