/**
 * The WebGPU `sort` routine: a stable sort of each row (the last axis) of
 * several operands, lexicographically by the first `numKeys` of them, with
 * the CPU routine's order (`../cpu/routines.ts`): -inf < … < inf < NaN, NaNs
 * in their original order, -0 equal to 0.
 *
 * How it works:
 *
 * - Each key element becomes a u32 whose unsigned order is the wanted order
 *   (floats: sign-flipped bits, -0 folded onto 0, every NaN the largest
 *   value; int32: the sign bit flipped). The sort itself therefore only ever
 *   compares u32 pairs (key, position), and the position tiebreak makes a
 *   bitonic network — not stable by itself — stable.
 * - Several keys are handled least-significant first, one stable pass per
 *   key (a radix sort whose digits are whole keys): each pass sorts the
 *   current order by one key, ties keeping the current order, and yields a
 *   permutation (column indices within the row) that the next pass reads
 *   through. One key kind per pass keeps the shaders few and small.
 * - A row padded to P = the next power of two (pads sort last: key
 *   0xffffffff and a position ≥ n) is sorted by a bitonic network in the
 *   "flip" formulation, in which every block sorts ascending, so blocks of
 *   any size can sit side by side. Work happens in chunks of 1024 elements
 *   in workgroup memory: for P ≤ 1024 one dispatch sorts 1024/P rows per
 *   workgroup, reading the key operand and writing the permutation; for
 *   longer rows the chunks are sorted first, then each merge phase k > 1024
 *   runs its strides ≥ 1024 as one global dispatch each and finishes its
 *   strides < 1024 in workgroup memory (1 + Σ(m+1) dispatches for P = 2^(10+m)).
 * - A last dispatch per operand gathers its row through the permutation.
 *
 * The shape (rows, row length, padded length) is read from a small
 * parameter buffer rather than baked into the WGSL, so a handful of
 * pipelines serve every shape; only the global steps bake their stride.
 */
import type { DType } from "../../dtype.js";
import type { GpuBuffer } from "./buffers.js";
import { alloc, release, upload } from "./buffers.js";
import { storageType, WORKGROUP } from "./codegen.js";
import { dispatch, grid } from "./context.js";
import type { GpuRoutine } from "./routines.js";
import type { RoutineFamily } from "./routines.js";

/** Elements sorted by one workgroup in workgroup memory (4 per thread; keys and positions are 8 KiB). */
const CHUNK = 1024;
const PER_THREAD = CHUNK / WORKGROUP;

/** WGSL mapping a stored key element to a u32 with the sort's order. */
function encoder(dtype: DType): string {
  switch (dtype) {
    case "float32":
      return `fn enc(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  let m = b & 0x7fffffffu;
  if (m > 0x7f800000u) { return 0xffffffffu; }   // every NaN, after +inf
  if (m == 0u) { return 0x80000000u; }           // -0 sorts as 0
  if (b != m) { return ~b; }                     // negatives: larger magnitude first
  return b | 0x80000000u;
}`;
    case "int32":
      return "fn enc(x: i32) -> u32 { return bitcast<u32>(x) ^ 0x80000000u; }";
    default:
      // uint32, and bool stored as u32 0/1
      return "fn enc(x: u32) -> u32 { return x; }";
  }
}

/** The compare-exchange on workgroup memory: ascending by (key, position). */
const SHARED_CAS = `var<workgroup> sk: array<u32, ${CHUNK}>;
var<workgroup> sp: array<u32, ${CHUNK}>;
fn cas(i: u32, j: u32) {
  let ki = sk[i]; let kj = sk[j]; let pi = sp[i]; let pj = sp[j];
  if (ki > kj || (ki == kj && pi > pj)) { sk[i] = kj; sk[j] = ki; sp[i] = pj; sp[j] = pi; }
}`;

/**
 * The network's steps inside a chunk. "full": every phase k = 2…kMax, each
 * a flip (i with i ^ (k-1), which sorts each block of k ascending from two
 * sorted halves) then half-cleaners; "tail": the half-cleaners of strides
 * 512…1 that finish a phase begun by global dispatches. Pair t (of 512) has
 * lower element t with a zero bit inserted at the stride's position.
 */
function network(kind: "full" | "tail"): string {
  const pairs = `for (var e = 0u; e < ${PER_THREAD / 2}u; e++) {
        let t = e * ${WORKGROUP}u + lid;`;
  const cleaners = (first: string) => `for (var j = ${first}; j > 0u; j = j >> 1u) {
      ${pairs}
        let i = ((t & ~(j - 1u)) << 1u) | (t & (j - 1u));
        cas(i, i + j);
      }
      workgroupBarrier();
    }`;
  // the first stride comes from the parameters: a constant bound would be unrolled, and barriers
  // in unrolled loops take lavapipe seconds to compile
  if (kind === "tail") return cleaners("halfChunk()");
  return `for (var k = 2u; k <= kMax(); k = k << 1u) {
    let h = k >> 1u;
    ${pairs}
      let i = ((t & ~(h - 1u)) << 1u) | (t & (h - 1u));
      cas(i, i ^ (k - 1u));
    }
    workgroupBarrier();
    ${cleaners("h >> 1u")}
  }`;
}

type Layout = { outer: number; n: number; P: number };

/**
 * The per-call numbers every sort shader reads from a small buffer instead
 * of having them baked in, so one pipeline serves every shape: a shader with
 * barriers in loops takes lavapipe (software Vulkan, what CI runs) half a
 * second to compile, and a per-shape source would pay that for each shape.
 */
const PARAMS = ["outer", "n", "P", "logP", "chunks", "kMax", "pairs", "halfChunk"] as const;
const PARAMS_DECL = PARAMS.map((name, i) => `fn ${name}() -> u32 { return prm[${i}]; }`).join("\n");

function paramsBuffer({ outer, n, P }: Layout): GpuBuffer {
  const chunks = Math.ceil((outer * P) / CHUNK);
  const values = { outer, n, P, logP: Math.log2(P), chunks, kMax: Math.min(P, CHUNK), pairs: (outer * P) / 2, halfChunk: CHUNK / 2 };
  return upload(Uint32Array.from(PARAMS, (name) => values[name]), "uint32");
}

/** Where a chunk's elements come from and go to. */
type Source = { kind: "key"; dtype: DType; perm: boolean } | { kind: "padded" };
type Dest = { kind: "perm"; perm: boolean } | { kind: "padded" };

/** Bindings in array order, each used by the shader (pipelines use layout "auto"). */
function declare(list: [name: string, type: string, write: boolean][]): string {
  return list.map(([name, type, write], i) => `@group(0) @binding(${i}) var<storage, ${write ? "read_write" : "read"}> ${name}: array<${type}>;`).join("\n");
}

/**
 * One workgroup per chunk of the padded layout (rows of P side by side):
 * load, run the network, store. Padded element v is (row v / P, column v % P).
 * Bindings: [gk, gp] (padded source or destination), [perm_out], [key], [perm_in], prm.
 */
function chunkShader(src: Source, dst: Dest, net: string): string {
  const list: [string, string, boolean][] = [];
  // the padded buffers are read and written in place, so bound once
  if (src.kind === "padded" || dst.kind === "padded") {
    list.push(["gk", "u32", dst.kind === "padded"], ["gp", "u32", dst.kind === "padded"]);
  }
  if (dst.kind === "perm") list.push(["perm_out", "u32", true]);
  if (src.kind === "key") list.push(["key", storageType(src.dtype), false]);
  const oldPerm = (src.kind === "key" && src.perm) || (dst.kind === "perm" && dst.perm);
  if (oldPerm) list.push(["perm_in", "u32", false]);
  list.push(["prm", "u32", false]);
  const through = (col: string) => (oldPerm ? `perm_in[row * n() + ${col}]` : col);
  const inRow = "row < outer() && col < n()";
  const load =
    src.kind === "padded"
      ? "sk[l] = gk[v]; sp[l] = gp[v];"
      : `if (${inRow}) { sk[l] = enc(key[row * n() + ${through("col")}]); } else { sk[l] = 0xffffffffu; }
      sp[l] = col;`;
  const store = dst.kind === "padded" ? "gk[v] = sk[l]; gp[v] = sp[l];" : `if (${inRow}) { perm_out[row * n() + col] = ${through("sp[l]")}; }`;
  return `${declare(list)}
${PARAMS_DECL}
${src.kind === "key" ? encoder(src.dtype) : ""}
${SHARED_CAS}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let chunk = wid.y * groups.x + wid.x;
  let live = chunk < chunks();
  for (var e = 0u; e < ${PER_THREAD}u; e++) {
    let l = e * ${WORKGROUP}u + lid;
    let v = chunk * ${CHUNK}u + l;
    let row = v >> logP();
    let col = v & (P() - 1u);
    if (live) { ${load} }
  }
  workgroupBarrier();
  ${net}
  for (var e = 0u; e < ${PER_THREAD}u; e++) {
    let l = e * ${WORKGROUP}u + lid;
    let v = chunk * ${CHUNK}u + l;
    let row = v >> logP();
    let col = v & (P() - 1u);
    if (live) { ${store} }
  }
}`;
}

/** One step of the network with stride ≥ CHUNK, on the padded buffers in global memory (the stride is baked: at most a few dozen sources). */
function globalStep(stride: number, flip: boolean): string {
  return `${declare([["gk", "u32", true], ["gp", "u32", true], ["prm", "u32", false]])}
${PARAMS_DECL}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * groups.x + wid.x) * ${WORKGROUP}u + lid;
  if (t >= pairs()) { return; }
  // pairs never straddle rows: rows are P-aligned and the stride is < P
  let i = ((t & ~${stride - 1}u) << 1u) | (t & ${stride - 1}u);
  let j = ${flip ? `i ^ ${2 * stride - 1}u` : `i + ${stride}u`};
  let ki = gk[i]; let kj = gk[j]; let pi = gp[i]; let pj = gp[j];
  if (ki > kj || (ki == kj && pi > pj)) { gk[i] = kj; gk[j] = ki; gp[i] = pj; gp[j] = pi; }
}`;
}

/**
 * Records one stable pass sorting every row by `key` read through `permIn`
 * (column indices; null for the identity), writing the new order to `permOut`.
 */
function sortPass(layout: Layout, prm: GpuBuffer, key: GpuBuffer, dtype: DType, permIn: GpuBuffer | null, permOut: GpuBuffer): void {
  const { outer, P } = layout;
  const hasPerm = permIn !== null;
  const permBufs = hasPerm ? [permIn] : [];
  const chunkGrid = grid(Math.ceil((outer * P) / CHUNK));
  if (P <= CHUNK) {
    const wgsl = chunkShader({ kind: "key", dtype, perm: hasPerm }, { kind: "perm", perm: hasPerm }, network("full"));
    dispatch({ wgsl, buffers: [permOut, key, ...permBufs, prm], workgroups: chunkGrid });
    return;
  }
  const gk = alloc("uint32", outer * P);
  const gp = alloc("uint32", outer * P);
  const first = chunkShader({ kind: "key", dtype, perm: hasPerm }, { kind: "padded" }, network("full"));
  dispatch({ wgsl: first, buffers: [gk, gp, key, ...permBufs, prm], workgroups: chunkGrid });
  const stepGrid = grid(Math.ceil((outer * P) / 2 / WORKGROUP));
  for (let k = 2 * CHUNK; k <= P; k *= 2) {
    for (let stride = k / 2; stride >= CHUNK; stride /= 2) {
      dispatch({ wgsl: globalStep(stride, stride === k / 2), buffers: [gk, gp, prm], workgroups: stepGrid });
    }
    if (k < P) {
      const tail = chunkShader({ kind: "padded" }, { kind: "padded" }, network("tail"));
      dispatch({ wgsl: tail, buffers: [gk, gp, prm], workgroups: chunkGrid });
    } else {
      const last = chunkShader({ kind: "padded" }, { kind: "perm", perm: hasPerm }, network("tail"));
      dispatch({ wgsl: last, buffers: [gk, gp, permOut, ...permBufs, prm], workgroups: chunkGrid });
    }
  }
  // the queue runs the recorded dispatches before any reuse of these slots
  release(gk);
  release(gp);
}

/** out[row, c] = in[row, perm[row, c]], as raw 32-bit words (every dtype alike). */
function gatherRows(input: GpuBuffer, perm: GpuBuffer, out: GpuBuffer, prm: GpuBuffer, total: number): void {
  const wgsl = `${declare([["dst", "u32", true], ["src", "u32", false], ["perm", "u32", false], ["prm", "u32", false]])}
${PARAMS_DECL}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = (wid.y * groups.x + wid.x) * ${WORKGROUP}u + lid;
  if (o >= outer() * n()) { return; }
  dst[o] = src[o - o % n() + perm[o]];
}`;
  dispatch({ wgsl, buffers: [out, input, perm, prm], workgroups: grid(Math.ceil(total / WORKGROUP)) });
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

const sort: GpuRoutine = (inputs, inTypes, outTypes, params) => {
  const numKeys = (params.numKeys as number | undefined) ?? 1;
  const shape = inTypes[0].shape;
  const total = shape.reduce((a, b) => a * b, 1);
  const n = (params.n as number | undefined) ?? (shape.length ? shape[shape.length - 1] : 1);
  const outer = (params.outer as number | undefined) ?? (n === 0 ? 0 : total / n);
  const outs = outTypes.map((t) => alloc(t.dtype, total));
  if (n === 0 || outer === 0) return outs;
  const layout: Layout = { outer, n, P: nextPow2(n) };
  const prm = paramsBuffer(layout);
  // least significant key first; each pass is stable, so earlier passes break later ties
  let perm: GpuBuffer | null = null;
  for (let q = numKeys - 1; q >= 0; q--) {
    const next = alloc("uint32", total);
    sortPass(layout, prm, inputs[q], inTypes[q].dtype, perm, next);
    if (perm) release(perm);
    perm = next;
  }
  inputs.forEach((input, q) => gatherRows(input, perm!, outs[q], prm, total));
  release(perm!);
  release(prm);
  return outs;
};

export const sortRoutines = { sort } satisfies RoutineFamily;
