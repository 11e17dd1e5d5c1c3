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
 * roundings). Few long columns: one workgroup per column, each thread
 * taking a contiguous segment — the scan totals the segments, scans the 256
 * totals on one thread, then rescans each segment from its prefix; the
 * arg-reduction strides over the column and one thread combines the 256
 * candidates. Float sums and products then round a little differently from
 * the CPU's running order. There are only two barriers and none inside a
 * loop: software Vulkan drivers (lavapipe) unroll constant-bound loops and
 * take seconds to compile barriers inside them, where a tree or a tiled
 * Hillis–Steele scan would put them. The shape and direction come from a
 * small parameter buffer, so each (op, dtype, path) compiles once.
 *
 * Float comparisons test NaN through the bits (compilers may assume that
 * `x != x` is false), and NaN is decided before any ordered comparison.
 */
import type { DType } from "../../dtype.js";
import type { GpuBuffer } from "./buffers.js";
import { alloc, release, upload } from "./buffers.js";
import { storageType, WORKGROUP } from "./codegen.js";
import { dispatch, grid } from "./context.js";
import type { GpuRoutine } from "./routines.js";
import type { RoutineFamily } from "./routines.js";
import { helperSource } from "./wgsl-math.js";

type Axis = { outer: number; n: number; inner: number };

/** Whether a column is long enough, and columns few enough, that a workgroup per column pays. */
function workgroupPerColumn({ outer, n, inner }: Axis): boolean {
  return n >= 512 && outer * inner < 8192;
}

/**
 * The shape, read from a small buffer rather than baked, so that one
 * pipeline per (op, dtype, path) serves every shape and direction: the
 * workgroup shaders take lavapipe (software Vulkan, what CI runs) about half
 * a second each to compile. `seg` is each thread's segment in the workgroup
 * path, `segments` how many of them are not empty.
 */
const PARAMS = ["cols", "n", "inner", "reverse", "seg", "segments"] as const;

function paramsBuffer({ outer, n, inner }: Axis, reverse: boolean): GpuBuffer {
  const seg = Math.ceil(n / WORKGROUP);
  const values = { cols: outer * inner, n, inner, reverse: reverse ? 1 : 0, seg, segments: Math.ceil(n / seg) };
  return upload(Uint32Array.from(PARAMS, (name) => values[name]), "uint32");
}

/** The bindings (out, x, prm), the parameters' accessors, and `at(c, s)`: the index of column c's element s, counted from where the scan starts. */
function prelude(outType: string, xType: string): string {
  return `@group(0) @binding(0) var<storage, read_write> out: array<${outType}>;
@group(0) @binding(1) var<storage, read> x: array<${xType}>;
@group(0) @binding(2) var<storage, read> prm: array<u32>;
${PARAMS.map((name, i) => `fn ${name}() -> u32 { return prm[${i}]; }`).join("\n")}
fn at(c: u32, s: u32) -> u32 {
  let t = select(s, n() - 1u - s, reverse() != 0u);
  return (c / inner()) * n() * inner() + c % inner() + t * inner();
}`;
}


/** The thread's column (one per thread) or workgroup's column (one per workgroup). */
const MAIN = `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32)`;
const THREAD_COLUMN = `let c = (wid.y * groups.x + wid.x) * ${WORKGROUP}u + lid;
  if (c >= cols()) { return; }`;
// uniform per workgroup, so the barriers after it stay in uniform control flow
const GROUP_COLUMN = `let c = wid.y * groups.x + wid.x;
  if (c >= cols()) { return; }`;

function record(wgsl: string, out: GpuBuffer, x: GpuBuffer, axis: Axis, reverse: boolean, groups: number): void {
  const prm = paramsBuffer(axis, reverse);
  dispatch({ wgsl, buffers: [out, x, prm], workgroups: grid(groups) });
  // the queue runs the dispatch before any reuse of the slot
  release(prm);
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
  // \`start\` begins a run: a float sum from +0, as JAX's (a running sum of -0s is +0), the zero's
  // sign cleared on the bits since a compiler may fold 0.0 + x to x
  const start = op === "sum" && dtype === "float32" ? `${helperSource(["j_pos0"])}\nfn start(v: f32) -> f32 { return j_pos0(v); }` : `fn start(v: ${t}) -> ${t} { return v; }`;
  const withStart = (src: string) => `${start}\n${src}`;
  if (dtype === "bool") return withStart(`${head} { return a ${op === "sum" || op === "max" ? "|" : "&"} b; }`);
  if (op === "sum") return withStart(`${head} { return a + b; }`);
  if (op === "prod") return withStart(`${head} { return a * b; }`);
  if (dtype !== "float32") return withStart(`${head} { return ${op}(a, b); }`);
  // the elementwise max/min's rules (NaN propagates, +0 is the larger zero), written once in wgsl-math
  const fn = op === "max" ? "j_fmax" : "j_fmin";
  return withStart(`${helperSource([fn])}
${head} { return ${fn}(a, b); }`);
}

/** One thread per column, in order along the axis (the CPU's roundings). */
function cumulativeByThread(op: CumOp, dtype: DType): string {
  const t = storageType(dtype);
  return `${prelude(t, t)}
${combiner(op, dtype)}
${MAIN} {
  ${THREAD_COLUMN}
  var acc = start(x[at(c, 0u)]);
  out[at(c, 0u)] = acc;
  for (var s = 1u; s < n(); s++) {
    let o = at(c, s);
    acc = comb(acc, x[o]);
    out[o] = acc;
  }
}`;
}

/**
 * One workgroup per column: thread lid scans the segment [lid·seg,
 * (lid+1)·seg) for its total, thread 0 scans the totals, then each thread
 * rescans its segment starting from the totals before it.
 */
function cumulativeByWorkgroup(op: CumOp, dtype: DType): string {
  const t = storageType(dtype);
  return `${prelude(t, t)}
${combiner(op, dtype)}
var<workgroup> totals: array<${t}, ${WORKGROUP}>;
${MAIN} {
  ${GROUP_COLUMN}
  let first = lid * seg();
  let last = min(first + seg(), n());
  if (first < last) {
    var acc = start(x[at(c, first)]);
    for (var s = first + 1u; s < last; s++) { acc = comb(acc, x[at(c, s)]); }
    totals[lid] = acc;
  }
  workgroupBarrier();
  // serially on one thread: a tree would put barriers in a loop, slow to compile on software drivers
  if (lid == 0u) {
    var run = totals[0];
    for (var k = 1u; k < segments(); k++) {
      run = comb(run, totals[k]);
      totals[k] = run;
    }
  }
  workgroupBarrier();
  if (first < last) {
    var acc = start(x[at(c, first)]);
    if (lid > 0u) { acc = comb(totals[lid - 1u], acc); }
    out[at(c, first)] = acc;
    for (var s = first + 1u; s < last; s++) {
      let o = at(c, s);
      acc = comb(acc, x[o]);
      out[o] = acc;
    }
  }
}`;
}

const cumulative: GpuRoutine = ([x], _inTypes, [outType], params) => {
  const { op, outer, n, inner, reverse } = params as { op: CumOp; reverse: boolean } & Axis;
  const axis = { outer, n, inner };
  const out = alloc(outType.dtype, outer * n * inner);
  const cols = outer * inner;
  if (n === 0 || cols === 0) return [out];
  if (workgroupPerColumn(axis)) record(cumulativeByWorkgroup(op, outType.dtype), out, x, axis, reverse, cols);
  else record(cumulativeByThread(op, outType.dtype), out, x, axis, reverse, Math.ceil(cols / WORKGROUP));
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
  return `${helperSource(["j_isnan"])}
${head} {
  let vn = j_isnan(v);
  let bn = j_isnan(bv);
  if (vn || bn) { return vn && (!bn || i < bi); }
  return v ${cmp} bv || (v == bv && i < bi);
}`;
}

function argreduceByThread(op: "max" | "min", dtype: DType): string {
  return `${prelude("i32", storageType(dtype))}
${better(op, dtype)}
${MAIN} {
  ${THREAD_COLUMN}
  var bv = x[at(c, 0u)];
  var bi = 0u;
  for (var i = 1u; i < n(); i++) {
    let v = x[at(c, i)];
    if (better(v, i, bv, bi)) { bv = v; bi = i; }
  }
  out[c] = i32(bi);
}`;
}

/** One workgroup per column: each thread strides over it, then thread 0 combines the 256 candidates (n ≥ 256, so each has one). */
function argreduceByWorkgroup(op: "max" | "min", dtype: DType): string {
  const t = storageType(dtype);
  return `${prelude("i32", t)}
${better(op, dtype)}
var<workgroup> values: array<${t}, ${WORKGROUP}>;
var<workgroup> indices: array<u32, ${WORKGROUP}>;
${MAIN} {
  ${GROUP_COLUMN}
  var bv = x[at(c, lid)];
  var bi = lid;
  for (var i = lid + ${WORKGROUP}u; i < n(); i += ${WORKGROUP}u) {
    let v = x[at(c, i)];
    if (better(v, i, bv, bi)) { bv = v; bi = i; }
  }
  values[lid] = bv;
  indices[lid] = bi;
  workgroupBarrier();
  // serially on one thread: a tree would put barriers in a loop, slow to compile on software drivers
  if (lid == 0u) {
    for (var k = 1u; k < ${WORKGROUP}u; k++) {
      if (better(values[k], indices[k], bv, bi)) { bv = values[k]; bi = indices[k]; }
    }
    out[c] = i32(bi);
  }
}`;
}

const argreduce: GpuRoutine = ([x], inTypes, [outType], params) => {
  const { op, outer, n, inner } = params as { op: "max" | "min" } & Axis;
  const axis = { outer, n, inner };
  const cols = outer * inner;
  const out = alloc(outType.dtype, cols);
  if (n === 0 || cols === 0) return [out];
  const dtype = inTypes[0].dtype;
  if (workgroupPerColumn(axis)) record(argreduceByWorkgroup(op, dtype), out, x, axis, false, cols);
  else record(argreduceByThread(op, dtype), out, x, axis, false, Math.ceil(cols / WORKGROUP));
  return [out];
};

export const scanRoutines = { cumulative, argreduce } satisfies RoutineFamily;
