/**
 * The WebGPU `dot` routine: a batched matrix product over strided views,
 * with the CPU routine's parameters and meaning (`../cpu/routines.ts`):
 * out[b, i, j] = Σ_p lhs[lo + b·lb + i·lm + p·lk] · rhs[ro + b·rb + p·rk + j·rn],
 * written row-major as [batch, m, n]. Integers wrap (32-bit), and a bool
 * result is the or of ands.
 *
 * Two kernels, chosen by shape and dtype; shapes, strides and offsets are
 * baked into the WGSL, so each distinct product compiles once and is cached:
 *
 * - `tiled`: float32 products where both m and n are at least 16. A workgroup
 *   of 256 threads computes a 64×64 output tile; each thread holds a 4×4 block
 *   of accumulators in registers. K advances 16 at a time: every thread loads
 *   4 elements of each operand (the next step's loads are issued before the
 *   current step's arithmetic, so their latency hides behind it) and stores
 *   them as one vec4 into workgroup memory, from where each thread reads one
 *   vec4 of each operand per k and does 16 multiply-adds. On a software
 *   adapter (`webgpuDotKernels`) each thread reads its 4 + 4 values per k from
 *   storage instead, with no workgroup memory and no barrier.
 * - `skinny`: float32 products with 1 to 15 columns and lhs rows contiguous
 *   along k (X·W, W thin): a workgroup per block of rows, each row's threads
 *   splitting k and keeping all n column sums, so the lhs is read once (on a
 *   software adapter one thread per row).
 * - `reduce`: everything else — vector-matrix shapes (m small), a transposed
 *   lhs (Xᵀ·r), few rows, k < 16,
 *   and every integer or bool product. Each output is a dot product of length
 *   k split among T threads (T a power of two, from 1 to 256) that combine
 *   their partial sums as a tree in workgroup memory. T and the thread layout
 *   follow the larger operand's strides so its reads are coalesced: threads
 *   that share an output walk k side by side when the operand is contiguous
 *   along k; otherwise neighbouring threads take neighbouring outputs.
 *
 * Each kernel takes a float32 epilogue (the product's elementwise consumer,
 * fused), also one that reads the product broadcast over a row of outputs
 * (a mat-vec's per-example gradients x·(2(x·w − y))): the threads that
 * summed a product store its row, side by side where there are several.
 */
import type { DType } from "../../dtype.js";
import type { DotParams } from "../device.js";
import type { GpuBuffer } from "./buffers.js";
import { alloc } from "./buffers.js";
import { broadcastStores, epilogueRepeat, epilogueSource, storageType, unflatten, WORKGROUP } from "./codegen.js";
import { kernelKey } from "../kernel.js";
import { helperSource, NONFINITE_PRELUDE } from "./wgsl-math.js";
import { dispatch, grid, onSoftwareAdapter } from "./context.js";
import type { GpuRoutine } from "./routines.js";
import { memoSource, type RoutineFamily } from "./routines.js";

/** The routine's parameters, as `src/lax/dot.ts` gives them, with the offsets resolved. */
interface DotShape {
  batch: number;
  m: number;
  n: number;
  k: number;
  lb: number;
  lm: number;
  lk: number;
  rb: number;
  rk: number;
  rn: number;
  lo: number;
  ro: number;
}

function declare(outType: string, lhsType: string, rhsType: string): string {
  return `@group(0) @binding(0) var<storage, read_write> out: array<${outType}>;
@group(0) @binding(1) var<storage, read> lhs: array<${lhsType}>;
@group(0) @binding(2) var<storage, read> rhs: array<${rhsType}>;`;
}

// ---- tiled float32 --------------------------------------------------------------------

/** Output tile edge (rows and columns) per workgroup. */
const TILE = 64;
/** K step staged in workgroup memory per iteration. */
const KSTEP = 16;
/**
 * Row length of the staging arrays in vec4s: 16 vec4s of data plus one of
 * padding, so threads that store different k of the same columns (the
 * k-contiguous load layout) hit different banks.
 */
const ROW = TILE / 4 + 1;

/** Smallest m and n that take the tiled kernel; thinner products waste most of a 64×64 tile. */
const TILED_MIN = 16;
/** Smallest k that takes the tiled kernel: below one K step, most of each step's multiply-adds would be padding. */
const TILED_MIN_K = KSTEP;

function tiledSource(s: DotShape, epi?: string, rep = 1, staged = true): { wgsl: string; workgroups: [number, number] } {
  const { batch, m, n, k, lb, lm, lk, rb, rk, rn, lo, ro } = s;
  const tilesM = Math.ceil(m / TILE);
  const tilesN = Math.ceil(n / TILE);
  const [gx, gy] = grid(batch * tilesM * tilesN);
  // each thread stages one vec4 (4 rows of A, or 4 columns of B, at one k); consecutive threads
  // take consecutive k when the operand is contiguous along k, so their reads are adjacent
  // addresses, and consecutive vec4s along rows/columns otherwise
  const aKFast = lk === 1 && lm !== 1;
  const bKFast = rk === 1 && rn !== 1;
  // bounds checks only where the shape does not divide into whole tiles
  const aConds = [...(m % TILE ? [`row < ${m}`] : []), ...(k % KSTEP ? [`col < ${k}`] : [])];
  const bConds = [...(k % KSTEP ? [`row < ${k}`] : []), ...(n % TILE ? [`col < ${n}`] : [])];
  // outside the matrix a load gives 0, which adds nothing to the sums
  const load = (buf: string, idx: string, conds: string[]) =>
    conds.length
      ? `if (${conds.join(" && ")}) { return ${buf}[${idx}]; } return 0.0;`
      : `return ${buf}[${idx}];`;
  const ldA = (row: string, col: string) => `ldA(aBase, ${row}, ${col})`;
  const ldB = (row: string, col: string) => `ldB(bBase, ${row}, ${col})`;
  const aVec = (kcol: string) => `vec4<f32>(${[0, 1, 2, 3].map((c) => ldA(`aRow + ${c}`, kcol)).join(", ")})`;
  const bVec = (krow: string) => `vec4<f32>(${[0, 1, 2, 3].map((c) => ldB(krow, `bCol + ${c}`)).join(", ")})`;
  const fmas = [0, 1, 2, 3].map((r) => `c${r} = fma(vec4<f32>(a[${r}]), b, c${r});`).join("\n      ");
  // with an epilogue, each product goes through it on its way out
  // (one that reads each product broadcast over a row of `rep` outputs stores the whole row)
  // (one that reads each product broadcast over a row of `rep` outputs stores the rows' outputs e_q, one loop around
  // all 16 stores: the epilogue's code is inlined 16 times, not 16 loops of it, which lavapipe compiles far faster)
  const at = (idx: string) => (rep > 1 ? `(${idx}) * ${rep} + e_q` : idx);
  const st = (idx: string, v: string) => (epi ? `out[${at(idx)}] = epi(${v}, ${at(idx)});` : `out[${idx}] = ${v};`);
  const stores = [0, 1, 2, 3]
    .map((r) => {
      const row = `i0 + ty * 4 + ${r}`;
      const full = [0, 1, 2, 3].map((c) => st(`oRow + ${r * n + c}`, `c${r}[${c}]`)).join(" ");
      const partial = [0, 1, 2, 3].map((c) => `if (col + ${c} < ${n}) { ${st(`oRow + ${r * n + c}`, `c${r}[${c}]`)} }`).join(" ");
      const body = n % TILE ? `if (col + 3 < ${n}) { ${full} } else { ${partial} }` : full;
      return m % TILE ? `if (${row} < ${m}) { ${body} }` : body;
    })
    .join("\n  ");
  // unstaged (software adapters): each thread reads its 4 rows of A and 4 columns of B at every k
  // straight from storage, which the CPU's caches hold; no workgroup memory and no barrier
  const loop = staged
    ? `var ra = ${aVec("akk")};
  var rb = ${bVec("bkk")};
  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);
  for (var k0 = 0; k0 < ${k}; k0 += ${KSTEP}) {
    As[akk * ${ROW} + aq] = ra;
    Bs[bkk * ${ROW} + bq] = rb;
    workgroupBarrier();
    if (k0 + ${KSTEP} < ${k}) {
      ra = ${aVec(`k0 + ${KSTEP} + akk`)};
      rb = ${bVec(`k0 + ${KSTEP} + bkk`)};
    }
    for (var kk = 0; kk < ${KSTEP}; kk++) {
      let a = As[kk * ${ROW} + ty];
      let b = Bs[kk * ${ROW} + tx];
      ${fmas}
    }
    workgroupBarrier();
  }`
    : `let aRow = i0 + ty * 4;
  let bCol = j0 + tx * 4;
  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);
  for (var kk = 0; kk < ${k}; kk++) {
    let a = ${aVec("kk")};
    let b = ${bVec("kk")};
    ${fmas}
  }`;
  // unstaged, k is never past its end: only rows and columns are checked
  const aChecks = staged ? aConds : aConds.filter((c) => c.startsWith("row"));
  const bChecks = staged ? bConds : bConds.filter((c) => c.startsWith("col"));
  const wgsl = `${declare("f32", "f32", "f32")}
${epi ?? ""}
${staged ? `var<workgroup> As: array<vec4<f32>, ${KSTEP * ROW}>;
var<workgroup> Bs: array<vec4<f32>, ${KSTEP * ROW}>;` : ""}

fn ldA(base: i32, row: i32, col: i32) -> f32 {
  ${load("lhs", `base + row * ${lm} + col * ${lk}`, aChecks)}
}
fn ldB(base: i32, row: i32, col: i32) -> f32 {
  ${load("rhs", `base + row * ${rk} + col * ${rn}`, bChecks)}
}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = i32(wid.y * ${gx}u + wid.x);
  if (g >= ${batch * tilesM * tilesN}) { return; }
  let bi = g / ${tilesM * tilesN};
  let tile = g % ${tilesM * tilesN};
  let i0 = (tile / ${tilesN}) * ${TILE};
  let j0 = (tile % ${tilesN}) * ${TILE};
  let t = i32(lid);
  let tx = t % 16;
  let ty = t / 16;
  let aBase = ${lo} + bi * ${lb};
  let bBase = ${ro} + bi * ${rb};
  ${staged ? `let akk = ${aKFast ? "t % 16" : "t / 16"};
  let aq = ${aKFast ? "t / 16" : "t % 16"};
  let bkk = ${bKFast ? "t % 16" : "t / 16"};
  let bq = ${bKFast ? "t / 16" : "t % 16"};
  let aRow = i0 + aq * 4;
  let bCol = j0 + bq * 4;` : ""}
  ${loop}
  let col = j0 + tx * 4;
  let oRow = bi * ${m * n} + (i0 + ty * 4) * ${n} + col;
  ${rep > 1 ? `for (var e_q = 0; e_q < ${rep}; e_q++) {
  ${stores}
  }` : stores}
}`;
  return { wgsl, workgroups: [gx, gy] };
}

// ---- reduce (matrix-vector, integer, bool) -----------------------------------------------

/** How the accumulator works: float sums, wrapping 32-bit integer sums, or the or of ands. */
type Mode = "float" | "int" | "bool";

function modeOf(lhs: DType, rhs: DType, out: DType): Mode {
  if (out === "bool") return "bool";
  // as the CPU: integer arithmetic only when neither operand is a float
  if (out !== "float32" && lhs !== "float32" && rhs !== "float32") return "int";
  return "float";
}

/** An element as the accumulator sees it. */
function convert(x: string, d: DType, mode: Mode): string {
  switch (mode) {
    case "float":
      return d === "float32" ? x : `f32(${x})`;
    case "int":
      return d === "int32" ? `bitcast<u32>(${x})` : x;
    case "bool":
      // NaN counts as false, as it is falsy on the CPU; abs(x) > 0 is false for NaN
      if (d === "float32") return `select(0u, 1u, abs(${x}) > 0.0)`;
      return `select(0u, 1u, ${x} != ${d === "int32" ? "0" : "0u"})`;
  }
}

/** The accumulator as the output stores it. */
function finish(acc: string, out: DType, mode: Mode): string {
  if (mode === "bool") return acc;
  if (mode === "int") return out === "int32" ? `bitcast<i32>(${acc})` : acc;
  switch (out) {
    case "float32":
      return acc;
    // float sums into integer outputs truncate toward zero (WGSL saturates out of range)
    case "int32":
      return `i32(${acc})`;
    default:
      return `select(u32(${acc}), bitcast<u32>(i32(${acc})), ${acc} < 0.0)`;
  }
}

/** Largest power of two ≤ x (1 for x < 2). */
const pow2Floor = (x: number) => (x < 2 ? 1 : 2 ** Math.floor(Math.log2(x)));

/**
 * Threads per output (T) and whether they stride k side by side. The larger
 * operand (the matrix, in a matrix-vector product) decides: contiguous along
 * k, a group of T threads reads one of its rows together; otherwise
 * neighbouring threads take neighbouring outputs, and T > 1 only to give a
 * small output enough threads.
 */
function plan(s: DotShape): { T: number; kFast: boolean } {
  const outputs = s.batch * s.m * s.n;
  const [outStride, kStride] = s.n <= s.m ? [s.lm, s.lk] : [s.rn, s.rk];
  const kFast = kStride === 1 && outStride !== 1 && s.k >= 8;
  // at least 4 products per thread, so the tree's cost stays small beside the loop
  const byK = pow2Floor(s.k / 4);
  if (kFast) return { T: Math.min(outputs >= 2048 ? 32 : WORKGROUP, byK), kFast };
  // aim for ~32k threads in all; at least 8 neighbouring outputs per workgroup keeps reads in whole sectors
  return { T: Math.max(1, Math.min(pow2Floor(32768 / outputs), byK, WORKGROUP / 8)), kFast };
}

function reduceSource(s: DotShape, lhsType: DType, rhsType: DType, outType: DType, epi?: string, rep = 1, shared = true): { wgsl: string; workgroups: [number, number] } {
  const { batch, m, n, k, lb, lm, lk, rb, rk, rn, lo, ro } = s;
  const mode = modeOf(lhsType, rhsType, outType);
  // without workgroup memory (software adapters: `webgpuDotKernels`) a thread per output, no tree
  const planned = plan(s);
  const { T, kFast } = shared ? planned : { T: 1, kFast: planned.kFast };
  const G = WORKGROUP / T;
  const total = batch * m * n;
  const [gx, gy] = grid(Math.ceil(total / G));
  const acc = mode === "float" ? "f32" : "u32";
  const zero = mode === "float" ? "0.0" : "0u";
  const a = convert(`lhs[la + p * ${lk}]`, lhsType, mode);
  const b = convert(`rhs[ra + p * ${rk}]`, rhsType, mode);
  const step = mode === "bool" ? `acc = acc | (${a} & ${b});` : `acc = acc + ${a} * ${b};`;
  const op = mode === "bool" ? "|" : "+";
  // the tree: each round halves the threads per output; the barriers sit outside any branch
  const partner = kFast ? 1 : G;
  const tree: string[] = [];
  for (let half = T / 2; half >= 1; half /= 2) {
    tree.push(`if (ks < ${half}) { red[t] = red[t] ${op} red[t + ${half * partner}]; }`, "workgroupBarrier();");
  }
  // a broadcast epilogue (float products only): the T threads of an output store its row side by side,
  // each reading the sum where the tree left it (red[ol·T] or red[ol]; final after the tree's last barrier)
  const rowStores = (v: string) => broadcastStores([[v, "o"]], rep, "ks", T);
  const write = T > 1
    ? `red[t] = acc;
  workgroupBarrier();
  ${tree.join("\n  ")}
  ${rep > 1 ? `if (valid) ${rowStores(`red[${kFast ? `ol * ${T}` : "ol"}]`)}` : `if (valid && ks == 0) { out[o] = ${epi ? "epi(red[t], o)" : finish("red[t]", outType, mode)}; }`}`
    : rep > 1
      ? `if (valid) ${rowStores("acc")}`
      : `if (valid) { out[o] = ${epi ? "epi(acc, o)" : finish("acc", outType, mode)}; }`;
  const wgsl = `${declare(storageType(outType), storageType(lhsType), storageType(rhsType))}
${epi ?? ""}
${T > 1 ? `var<workgroup> red: array<${acc}, ${WORKGROUP}>;` : ""}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = i32(lid);
  let ol = ${kFast ? `t / ${T}` : `t % ${G}`};
  let ks = ${kFast ? `t % ${T}` : `t / ${G}`};
  let o = i32(wid.y * ${gx}u + wid.x) * ${G} + ol;
  let valid = o < ${total};
  var acc: ${acc} = ${zero};
  if (valid) {
    ${unflatten("o", [batch, m, n], (d) => ["bi", "i", "j"][d])}
    let la = ${lo} + bi * ${lb} + i * ${lm};
    let ra = ${ro} + bi * ${rb} + j * ${rn};
    for (var p = ks; p < ${k}; p += ${T}) {
      ${step}
    }
  }
  ${write}
}`;
  return { wgsl, workgroups: [gx, gy] };
}

// ---- skinny float32 (mat-vec with a few columns) -----------------------------------------

/** Most columns the skinny kernel keeps per thread (its workgroup memory is 256 × this many floats: 16 KiB). */
const SKINNY_MAX_N = 16;

/**
 * float32 products with 1 to 15 columns (16 and up are tiled) whose lhs rows are contiguous along k
 * (X·W with a thin W): `reduce` would compute each column's dot product by
 * itself, reading every row of X once per column. Here one workgroup takes a
 * block of rows; the T threads of a row walk its k side by side (coalesced
 * reads of X), each keeping all n column sums, so X is read once; the sums
 * of a row's threads combine as a tree in workgroup memory, and its first
 * thread writes the row's n outputs.
 */
function skinnyEligible(s: DotShape): boolean {
  return s.n <= SKINNY_MAX_N && s.lk === 1 && s.k >= 8 && s.batch * s.m >= 64;
}

function skinnySource(s: DotShape, epi?: string, rep = 1, shared = true): { wgsl: string; workgroups: [number, number] } {
  const { batch, m, n, k, lb, lm, rb, rk, rn, lo, ro } = s;
  // threads per row: enough for ~16k threads in all (many rows need few; a long k with few rows, up to 32),
  // at least 4 products each; a short tree also keeps the barriers few (on lavapipe, a CPU, they dominate:
  // a 4096×64 mat-vec took 4 ms with 16 threads per row, 1.2 ms with 4)
  // without workgroup memory (software adapters: `webgpuDotKernels`) one thread per row and no barrier
  const T = shared ? Math.max(1, Math.min(32, pow2Floor(16384 / (batch * m)), pow2Floor(k / 4))) : 1;
  const rows = WORKGROUP / T;
  const total = batch * m;
  const [gx, gy] = grid(Math.ceil(total / rows));
  // the column loops unrolled (n is at most 16), so the sums stay in registers
  const cols = (f: (j: number) => string) => Array.from({ length: n }, (_, j) => f(j)).join("\n      ");
  const tree: string[] = [];
  for (let half = T / 2; half >= 1; half /= 2) {
    tree.push(
      `if (ks < ${half}) {\n      ${cols((j) => `red[t * ${n} + ${j}] = red[t * ${n} + ${j}] + red[(t + ${half}) * ${n} + ${j}];`)}\n  }`,
      "workgroupBarrier();",
    );
  }
  const store = (v: string) => (epi ? `epi(${v}, o)` : v);
  // one thread per row: its sums are the row's products, stored without workgroup memory
  const sums = (j: number) => (T === 1 ? `s${j}` : `red[t * ${n} + ${j}]`);
  const wgsl = `${declare("f32", "f32", "f32")}
${epi ?? ""}
${T === 1 ? "" : `var<workgroup> red: array<f32, ${WORKGROUP * n}>;`}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = i32(lid);
  let ks = t % ${T};
  let row = i32(wid.y * ${gx}u + wid.x) * ${rows} + t / ${T};
  let valid = row < ${total};
  ${Array.from({ length: n }, (_, j) => `var s${j} = 0.0;`).join(" ")}
  if (valid) {
    let bi = row / ${m};
    let i = row % ${m};
    let la = ${lo} + bi * ${lb} + i * ${lm};
    let ra = ${ro} + bi * ${rb};
    for (var p = ks; p < ${k}; p += ${T}) {
      let a = lhs[la + p];
      let rp = ra + p * ${rk};
      ${cols((j) => `s${j} = s${j} + a * rhs[rp + ${j * rn}];`)}
    }
  }
  ${T === 1 ? "" : `${cols((j) => `red[t * ${n} + ${j}] = s${j};`)}
  workgroupBarrier();
  ${tree.join("\n  ")}`}
  ${
    rep > 1
      ? // a broadcast epilogue: the row's T threads store each product's row of outputs side by side, reading
        // the sums where the tree left them (its first thread's slots, final after the last barrier)
        `if (valid) {
    let o0 = row * ${n};
    let t0 = t - ks;
    ${broadcastStores(Array.from({ length: n }, (_, j) => [T === 1 ? `s${j}` : `red[t0 * ${n} + ${j}]`, `o0 + ${j}`] as const), rep, "ks", T)}
  }`
      : `if (valid && ks == 0) {
    let o0 = row * ${n};
    ${cols((j) => `{ let o = o0 + ${j}; out[o] = ${store(sums(j))}; }`)}
  }`
  }
}`;
  return { wgsl, workgroups: [gx, gy] };
}

/**
 * Whether `tiled` stages its operands in workgroup memory and `skinny` splits
 * a row among threads that combine in it. "auto": except on a software
 * adapter (lavapipe, SwiftShader: adapter.ts), where a workgroup is a loop
 * over SIMD lanes on a CPU core and each barrier ends one such loop and
 * starts the next; there the plain forms, which read their operands straight
 * from storage (the CPU's caches hold them), win (measured on lavapipe:
 * matmul n = 256 to 1024 about 1.4× faster, the 4096×64 mat-vec 2.4×;
 * bench/run.ts W2, W7). Tests run both ("on", "off") on any adapter.
 */
export const webgpuDotKernels: { workgroupMemory: "auto" | "on" | "off" } = { workgroupMemory: "auto" };

function useWorkgroupMemory(): boolean {
  const w = webgpuDotKernels.workgroupMemory;
  return w === "on" || (w === "auto" && !onSoftwareAdapter());
}

/** How many products each kernel took (tests check that the skinny shapes take `skinny`). */
export const gpuDotCounts = { tiled: 0, skinny: 0, reduce: 0 };

// ---- the routine --------------------------------------------------------------------------

/**
 * What a product's parameters choose (the kernel kind, its WGSL and grid), kept on the parameters
 * object: a jitted plan passes the same object at every call, and building the source key (the
 * shape's fourteen numbers, an epilogue's kernel key) cost more host time than the dispatch itself.
 * Valid while the operand dtypes and the workgroup-memory choice are those it was made for.
 */
interface PlannedDot {
  lhs: string;
  rhs: string;
  out: string;
  shared: boolean;
  kind: keyof typeof gpuDotCounts;
  size: number;
  wgsl: string;
  workgroups: readonly [number, number?, number?];
}
const plannedDots = new WeakMap<object, PlannedDot>();
let dotPlansMade = 0;
/** Products planned (source key built and looked up) so far; a jitted call that finds its plan adds none (tests count them). */
export function dotPlanCount(): number {
  return dotPlansMade;
}

function planDot(p: DotParams, lhs: DType, rhs: DType, outDtype: DType, shared: boolean): PlannedDot {
  dotPlansMade++;
  const [lb, lm, lk] = p.lhsStrides;
  const [rb, rk, rn] = p.rhsStrides;
  const s: DotShape = { batch: p.batch, m: p.m, n: p.n, k: p.k, lb, lm, lk, rb, rk, rn, lo: p.lhsOffset ?? 0, ro: p.rhsOffset ?? 0 };
  // the result is the product's size, or (an epilogue reading the product broadcast over rows) the epilogue's
  const ep = p.epilogue;
  const rep = epilogueRepeat(ep);
  const size = s.batch * s.m * s.n * rep;
  const allF32 = lhs === "float32" && rhs === "float32" && outDtype === "float32";
  // k = 0 goes to `reduce`, whose empty loop writes the zeros
  const tiled = allF32 && s.k >= TILED_MIN_K && s.m >= TILED_MIN && s.n >= TILED_MIN;
  const kind = tiled ? "tiled" : allF32 && skinnyEligible(s) ? "skinny" : "reduce";
  if (size === 0) return { lhs, rhs, out: outDtype, shared, kind, size, wgsl: "", workgroups: [0] };
  // an epilogue (planned only for float32 products and results) runs on each product before it is stored
  const key = `dot:${kind}${shared ? "" : "/plain"}:${lhs},${rhs},${outDtype}:${Object.values(s).join(",")}${ep ? `|${ep.accInput}|${kernelKey(ep.kernel)}` : ""}`;
  const { wgsl, workgroups } = memoSource(key, () => {
    const parts = ep ? epilogueSource(ep.kernel, ep.accInput, 3) : null;
    const epi = parts ? `${NONFINITE_PRELUDE}\n${parts.bindings}\n${helperSource(parts.helpers)}\n${parts.fn}` : undefined;
    if (kind === "tiled") return tiledSource(s, epi, rep, shared);
    return kind === "skinny" ? skinnySource(s, epi, rep, shared) : reduceSource(s, lhs, rhs, outDtype, epi, rep, shared);
  });
  return { lhs, rhs, out: outDtype, shared, kind, size, wgsl, workgroups };
}

const dot: GpuRoutine = ([lhs, rhs, ...epilogueInputs], [lhsType, rhsType], [outType], params) => {
  const p = params as DotParams;
  const shared = useWorkgroupMemory();
  let plan = plannedDots.get(p);
  if (!plan || plan.lhs !== lhsType.dtype || plan.rhs !== rhsType.dtype || plan.out !== outType.dtype || plan.shared !== shared) {
    plan = planDot(p, lhsType.dtype, rhsType.dtype, outType.dtype, shared);
    plannedDots.set(p, plan);
  }
  const out: GpuBuffer = alloc(outType.dtype, plan.size);
  if (plan.size === 0) return [out];
  gpuDotCounts[plan.kind]++;
  dispatch({ wgsl: plan.wgsl, buffers: [out, lhs, rhs, ...epilogueInputs], workgroups: plan.workgroups });
  return [out];
};

export const matmulRoutines = { dot } satisfies RoutineFamily;
