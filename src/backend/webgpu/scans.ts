/**
 * The WebGPU routines that run along one axis of an [outer, n, inner] view:
 * `cumulative` (cumsum, cumprod, cummax, cummin, optionally reversed) and
 * `argreduce` (argmax, argmin). Semantics are the CPU routine's
 * (`../cpu/routines.ts`): bools combine as or (sum, max) and and (prod, min),
 * integers wrap, max/min propagate NaN, and an arg-reduction returns the
 * first index of the extreme, where the first NaN is the extreme.
 *
 * A column is one (outer, inner) pair. Many columns or short ones: one
 * thread per column, looping along the axis in order (the CPU's order of
 * roundings). Few long columns: one workgroup per column — the scan walks
 * the column in tiles of 1024 (4 consecutive elements per thread, a
 * Hillis–Steele scan of the 256 thread totals, a carry between tiles), and
 * the arg-reduction strides over the column and combines in a tree. Float
 * sums and products then round in another order than the CPU's, as any
 * parallel scan does.
 *
 * Float comparisons test NaN through the bits (compilers may assume that
 * `x != x` is false), and NaN is decided before any ordered comparison.
 */
import type { DType } from "../../dtype.js";
import { alloc } from "./buffers.js";
import { storageType, WORKGROUP } from "./codegen.js";
import { dispatch, grid } from "./context.js";
import type { GpuRoutine } from "./routines.js";
import { defineRoutines } from "./routines.js";

type Axis = { outer: number; n: number; inner: number };

/** Whether a column is long enough, and columns few enough, that a workgroup per column pays. */
function workgroupPerColumn({ outer, n, inner }: Axis): boolean {
  return n >= 512 && outer * inner < 8192;
}

const IS_NAN = "fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }";

/** Column c's element t along the axis sits at colBase(c) + t * inner. */
function columnBase({ n, inner }: Axis, c: string): string {
  return `(${c} / ${inner}u) * ${n * inner}u + ${c} % ${inner}u`;
}

// ---- cumulative -----------------------------------------------------------------------

type CumOp = "sum" | "prod" | "max" | "min";

/**
 * `fn comb(acc, v)`: the running value after v. Float max/min keep NaN and,
 * between zeros, pick +0 for max and -0 for min (as Math.max/min do): of two
 * equal values the bitwise and (or) is that one, and +0 for max of ±0.
 */
function combiner(op: CumOp, dtype: DType): string {
  const t = storageType(dtype);
  const head = `fn comb(a: ${t}, b: ${t}) -> ${t}`;
  if (dtype === "bool") return `${head} { return a ${op === "sum" || op === "max" ? "|" : "&"} b; }`;
  if (op === "sum") return `${head} { return a + b; }`;
  if (op === "prod") return `${head} { return a * b; }`;
  if (dtype !== "float32") return `${head} { return ${op}(a, b); }`;
  const [wins, zeros] = op === "max" ? [">", "&"] : ["<", "|"];
  return `${IS_NAN}
${head} {
  if (is_nan(a)) { return a; }
  if (is_nan(b)) { return b; }
  if (a ${wins} b) { return a; }
  if (b ${wins} a) { return b; }
  return bitcast<f32>(bitcast<u32>(a) ${zeros} bitcast<u32>(b));
}`;
}

function cumulativeShader(axis: Axis, op: CumOp, dtype: DType, reverse: boolean): { wgsl: string; workgroups: [number, number] } {
  const { outer, n, inner } = axis;
  const cols = outer * inner;
  const t = storageType(dtype);
  // element number s of the scan, counted from where it starts
  const at = (s: string) => (reverse ? `base + (${n - 1}u - ${s}) * ${inner}u` : `base + ${s} * ${inner}u`);
  const decl = `@group(0) @binding(0) var<storage, read_write> out: array<${t}>;
@group(0) @binding(1) var<storage, read> x: array<${t}>;
${combiner(op, dtype)}`;
  if (!workgroupPerColumn(axis)) {
    const [gx, gy] = grid(Math.ceil(cols / WORKGROUP));
    const wgsl = `${decl}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = (wid.y * ${gx}u + wid.x) * ${WORKGROUP}u + lid;
  if (c >= ${cols}u) { return; }
  let base = ${columnBase(axis, "c")};
  var acc = x[${at("0u")}];
  out[${at("0u")}] = acc;
  for (var s = 1u; s < ${n}u; s++) {
    let o = ${at("s")};
    acc = comb(acc, x[o]);
    out[o] = acc;
  }
}`;
    return { wgsl, workgroups: [gx, gy] };
  }
  const per = 4;
  const tile = WORKGROUP * per;
  const tiles = Math.ceil(n / tile);
  const [gx, gy] = grid(cols);
  const wgsl = `${decl}
var<workgroup> totals: array<${t}, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wid.y * ${gx}u + wid.x;
  // uniform per workgroup, so the barriers below stay in uniform control flow
  if (c >= ${cols}u) { return; }
  let base = ${columnBase(axis, "c")};
  var carry: ${t};
  var v: array<${t}, ${per}>;
  for (var tile = 0u; tile < ${tiles}u; tile++) {
    let first = tile * ${tile}u + lid * ${per}u;
    let m = min(${n}u - min(first, ${n}u), ${per}u);
    // this thread's elements, scanned in order
    for (var e = 0u; e < m; e++) {
      let here = x[${at("(first + e)")}];
      if (e == 0u) { v[e] = here; } else { v[e] = comb(v[e - 1u], here); }
    }
    // threads past the end hold stale totals; they only feed higher threads, which are past the end too
    if (m > 0u) { totals[lid] = v[m - 1u]; }
    workgroupBarrier();
    for (var d = 1u; d < ${WORKGROUP}u; d = d << 1u) {
      var lower: ${t};
      if (lid >= d) { lower = totals[lid - d]; }
      workgroupBarrier();
      if (lid >= d) { totals[lid] = comb(lower, totals[lid]); }
      workgroupBarrier();
    }
    var prefix: ${t};
    let hasPrefix = lid > 0u || tile > 0u;
    if (lid > 0u) {
      prefix = totals[lid - 1u];
      if (tile > 0u) { prefix = comb(carry, prefix); }
    } else {
      prefix = carry;
    }
    for (var e = 0u; e < m; e++) {
      var r = v[e];
      if (hasPrefix) { r = comb(prefix, r); }
      out[${at("(first + e)")}] = r;
    }
    if (tile > 0u) { carry = comb(carry, totals[${WORKGROUP - 1}u]); } else { carry = totals[${WORKGROUP - 1}u]; }
    workgroupBarrier();
  }
}`;
  return { wgsl, workgroups: [gx, gy] };
}

const cumulative: GpuRoutine = ([x], _inTypes, [outType], params) => {
  const { op, outer, n, inner, reverse } = params as { op: CumOp; reverse: boolean } & Axis;
  const out = alloc(outType.dtype, outer * n * inner);
  if (n === 0 || outer * inner === 0) return [out];
  const { wgsl, workgroups } = cumulativeShader({ outer, n, inner }, op, outType.dtype, reverse);
  dispatch({ wgsl, buffers: [out, x], workgroups });
  return [out];
};

// ---- argreduce ------------------------------------------------------------------------

/**
 * `fn better(v, i, bv, bi)`: whether candidate (v, i) beats the best so far
 * (bv, bi): a NaN beats any number, of two NaNs or two equal values the
 * lower index wins, else the larger (max) or smaller (min) value.
 */
function better(op: "max" | "min", dtype: DType): string {
  const t = storageType(dtype);
  const cmp = op === "max" ? ">" : "<";
  const head = `fn better(v: ${t}, i: u32, bv: ${t}, bi: u32) -> bool`;
  if (dtype !== "float32") return `${head} { return v ${cmp} bv || (v == bv && i < bi); }`;
  return `${IS_NAN}
${head} {
  let vn = is_nan(v);
  let bn = is_nan(bv);
  if (vn || bn) { return vn && (!bn || i < bi); }
  return v ${cmp} bv || (v == bv && i < bi);
}`;
}

function argreduceShader(axis: Axis, op: "max" | "min", dtype: DType): { wgsl: string; workgroups: [number, number] } {
  const { n, inner } = axis;
  const cols = axis.outer * inner;
  const t = storageType(dtype);
  const decl = `@group(0) @binding(0) var<storage, read_write> out: array<i32>;
@group(0) @binding(1) var<storage, read> x: array<${t}>;
${better(op, dtype)}`;
  if (!workgroupPerColumn(axis)) {
    const [gx, gy] = grid(Math.ceil(cols / WORKGROUP));
    const wgsl = `${decl}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = (wid.y * ${gx}u + wid.x) * ${WORKGROUP}u + lid;
  if (c >= ${cols}u) { return; }
  let base = ${columnBase(axis, "c")};
  var bv = x[base];
  var bi = 0u;
  for (var i = 1u; i < ${n}u; i++) {
    let v = x[base + i * ${inner}u];
    if (better(v, i, bv, bi)) { bv = v; bi = i; }
  }
  out[c] = i32(bi);
}`;
    return { wgsl, workgroups: [gx, gy] };
  }
  // n ≥ 512 here, so every thread starts with an element of its own
  const [gx, gy] = grid(cols);
  const wgsl = `${decl}
var<workgroup> values: array<${t}, ${WORKGROUP}>;
var<workgroup> indices: array<u32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wid.y * ${gx}u + wid.x;
  if (c >= ${cols}u) { return; }
  let base = ${columnBase(axis, "c")};
  var bv = x[base + lid * ${inner}u];
  var bi = lid;
  for (var i = lid + ${WORKGROUP}u; i < ${n}u; i += ${WORKGROUP}u) {
    let v = x[base + i * ${inner}u];
    if (better(v, i, bv, bi)) { bv = v; bi = i; }
  }
  values[lid] = bv;
  indices[lid] = bi;
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      let v = values[lid + s];
      let i = indices[lid + s];
      if (better(v, i, values[lid], indices[lid])) { values[lid] = v; indices[lid] = i; }
    }
    workgroupBarrier();
  }
  if (lid == 0u) { out[c] = i32(indices[0]); }
}`;
  return { wgsl, workgroups: [gx, gy] };
}

const argreduce: GpuRoutine = ([x], inTypes, [outType], params) => {
  const { op, outer, n, inner } = params as { op: "max" | "min" } & Axis;
  const out = alloc(outType.dtype, outer * inner);
  if (n === 0 || outer * inner === 0) return [out];
  const { wgsl, workgroups } = argreduceShader({ outer, n, inner }, op, inTypes[0].dtype);
  dispatch({ wgsl, buffers: [out, x], workgroups });
  return [out];
};

defineRoutines({ cumulative, argreduce });
