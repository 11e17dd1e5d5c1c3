/**
 * Kernels over arrays larger than one binding (`maxStorageBufferBindingSize`,
 * 128 MiB on lavapipe): the loop space is cut into chunks, each a kernel of
 * its own over a sub-range of every large buffer (bound with an offset), so
 * that no binding passes the limit. WebGPU would otherwise clamp the accesses
 * past the binding and the kernel would give wrong numbers without an error.
 *
 * A chunk fixes the indices of the leading loop axes `0..j-1`, takes a range
 * of rows along axis `j`, and all of the axes after it: its output is then
 * one contiguous run of the output. `j` is the first axis for which such a
 * chunk fits every binding. The chunk is the same kernel IR with a shorter
 * loop and the inputs' views moved to their bound ranges (an `index` node
 * becomes the chunk's row plus its start), so codegen knows nothing of it.
 *
 * When `j` falls among a reduction's reduced axes, each chunk reduces part of
 * one output's extent into a partial; a second reduction with the same op
 * combines the partials ("partials" plans). A reduction's epilogue is applied
 * once at the end, as an elementwise kernel of its own.
 */
import type { DType } from "../../dtype.js";
import { BackendError } from "../../errors.js";
import { sizeOf } from "../../shape.js";
import type { Expr, Kernel } from "../kernel.js";
import type { BindRange } from "./context.js";
import { formatBytes } from "./context.js";

/** One chunk: its kernel, and the ranges of the kernel's input buffers to bind (undefined: whole). */
export interface Chunk {
  kernel: Kernel;
  inRanges: (BindRange | undefined)[];
  /** Rows: the output elements it writes start here (each output's own offset is this × its item size). */
  outStart: number;
  /** Its output elements (rows plans); partials plans: every output's partial, or (output axes fixed) one. */
  outSize: number;
  /** Partials plans: where its partials start in the [perOutput, outputs] partials, in elements. */
  partial: number;
}

export type ChunkPlan =
  | { kind: "rows"; chunks: Chunk[] }
  | { kind: "partials"; chunks: Chunk[]; outputs: number; perOutput: number };

/** Most chunks a kernel is cut into before it is refused (each is a dispatch, and maybe a pipeline). */
const MAX_CHUNKS = 4096;

export interface Limits {
  maxBinding: number;
  align: number;
  itemSize: (d: DType) => number;
}

/**
 * Whether kernel `k` (with input buffers of `inBytes` bytes) needs chunks:
 * some input or output is larger than one binding.
 */
export function needsChunks(k: Kernel, inBytes: readonly number[], outBytes: readonly number[], maxBinding: number): boolean {
  return inBytes.some((b) => b > maxBinding) || outBytes.some((b) => b > maxBinding);
}

export function planChunks(k: Kernel, inBytes: readonly number[], lim: Limits, what: () => string): ChunkPlan {
  const dims = k.loopShape;
  const nd = dims.length;
  const nOut = nd - (k.reduce?.axes ?? 0);
  const outTypes = [k.dtype, ...(k.more ?? []).map((m) => m.dtype)];
  const outItem = Math.max(...outTypes.map(lim.itemSize));
  const whole = inBytes.map((b) => b <= lim.maxBinding);
  const fail = (why: string) =>
    new BackendError(
      `webgpu: ${what()} reads or writes more than one binding can hold (maxStorageBufferBindingSize ${formatBytes(lim.maxBinding)}) ` +
        `and ${why}; use smaller arrays, or run it on the CPU (devicePut(x, "cpu"))`,
    );
  const outSize = sizeOf(dims.slice(0, nOut));

  // Candidates, in order: rows along an output axis `j` (the axes before it fixed per chunk: "rows"); then
  // ranges of a reduced axis `j` with every output axis whole (the reduced axes before it fixed), each chunk
  // a partial of every output; then the same with the output axes fixed too, each chunk a partial of one
  // output. The first whose chunks fit every binding, in at most MAX_CHUNKS chunks, is taken.
  const candidates: { j: number; keep: number }[] = [];
  for (let j = 0; j < nOut; j++) candidates.push({ j, keep: 0 });
  for (let j = nOut; j < nd; j++) candidates.push({ j, keep: nOut });
  if (nOut > 0) for (let j = nOut; j < nd; j++) candidates.push({ j, keep: 0 });
  let best: { j: number; keep: number; rows: number } | null = null;
  for (const { j, keep } of candidates) {
    const rowsPlan = j < nOut;
    let most = dims[j];
    const innerOutJ = sizeOf(dims.slice(j + 1, nOut));
    if (rowsPlan) most = Math.min(most, Math.floor(lim.maxBinding / (outItem * innerOutJ)));
    else if (keep > 0 && outSize * outItem > lim.maxBinding) continue;
    k.inputs.forEach((inp, i) => {
      if (whole[i]) return;
      const item = lim.itemSize(inp.dtype);
      const s = inp.view.strides;
      let rest = 1; // the span of the chunk's whole axes, in elements
      for (let b = 0; b < nd; b++) if (b < keep || b > j) rest += (dims[b] - 1) * Math.abs(s[b]);
      const room = Math.floor(lim.maxBinding / item) - lim.align / item - rest;
      if (room < 0) most = 0;
      else if (s[j] !== 0) most = Math.min(most, 1 + Math.floor(room / Math.abs(s[j])));
    });
    if (most < 1) continue;
    let rows = most;
    if (rowsPlan) {
      // each chunk's output must start at an aligned byte offset: rows in whole steps, and whole rows of axis j
      // aligned too when the axes before j are fixed
      let step = 1;
      for (const d of outTypes) step = lcm(step, lim.align / gcd(innerOutJ * lim.itemSize(d), lim.align));
      if (rows < dims[j]) rows -= rows % step;
      if (rows < 1) continue;
      if (j > 0 && outTypes.some((d) => (dims[j] * innerOutJ * lim.itemSize(d)) % lim.align !== 0)) continue;
      // whole multiples of 256 rows keep the chunks' offsets aligned alike (one pipeline for all but the last)
      const even = lcm(step, 256);
      if (rows < dims[j] && rows >= even) rows -= rows % even;
    } else if (rows < dims[j] && rows >= 256) rows -= rows % 256;
    const count = sizeOf(dims.slice(keep, j)) * Math.ceil(dims[j] / rows);
    if (count <= MAX_CHUNKS) {
      best = { j, keep, rows };
      break;
    }
  }
  if (!best) throw fail(`no way to cut it into at most ${MAX_CHUNKS} chunks that each fit was found`);
  const { j, keep, rows } = best;
  const partials = j >= nOut;
  const fixed = dims.slice(keep, j);
  const prefix = sizeOf(fixed);
  const perRow = Math.ceil(dims[j] / rows);
  const innerOut = partials ? 1 : sizeOf(dims.slice(j + 1, nOut));
  const perOutput = sizeOf(dims.slice(nOut, j)) * perRow;

  const chunks: Chunk[] = [];
  const idx = new Array<number>(j).fill(0); // the fixed axes' indices (keep ≤ a < j)
  for (let p = 0; p < prefix; p++) {
    let rest = p;
    for (let a = j - 1; a >= keep; a--) {
      idx[a] = rest % dims[a];
      rest = Math.floor(rest / dims[a]);
    }
    for (let r0 = 0; r0 < dims[j]; r0 += rows) {
      const len = Math.min(rows, dims[j] - r0);
      const lens = [...dims.slice(0, keep), len, ...dims.slice(j + 1)];
      const inRanges: (BindRange | undefined)[] = [];
      const inputs = k.inputs.map((inp, i) => {
        const s = inp.view.strides;
        let base = inp.view.offset + r0 * s[j];
        for (let a = keep; a < j; a++) base += idx[a] * s[a];
        const strides = [...s.slice(0, keep), ...s.slice(j)];
        if (whole[i]) {
          inRanges.push(undefined);
          return { dtype: inp.dtype, view: { strides, offset: base } };
        }
        const item = lim.itemSize(inp.dtype);
        let lo = base;
        let hi = base;
        strides.forEach((st, b) => {
          if (st < 0) lo += (lens[b] - 1) * st;
          else hi += (lens[b] - 1) * st;
        });
        const start = Math.floor((lo * item) / lim.align) * lim.align;
        const end = Math.min(Math.ceil(((hi + 1) * item) / 4) * 4, Math.ceil(inBytes[i] / 4) * 4);
        inRanges.push({ offset: start, size: end - start });
        return { dtype: inp.dtype, view: { strides, offset: base - start / item } };
      });
      const memo = new Map<Expr, Expr>();
      const at = (e: Expr) => rebaseIndex(e, keep, j, idx, r0, memo);
      const kernel: Kernel = {
        loopShape: lens,
        inputs,
        expr: at(k.expr),
        dtype: k.dtype,
        ...(k.more ? { more: k.more.map((m) => ({ expr: at(m.expr), dtype: m.dtype })) } : {}),
        ...(k.reduce ? { reduce: { op: k.reduce.op, axes: partials ? nd - j : k.reduce.axes } } : {}),
      };
      let outStart = 0;
      let partial = 0;
      if (!partials) {
        for (let a = 0; a < j; a++) outStart = outStart * dims[a] + idx[a];
        outStart = (outStart * dims[j] + r0) * innerOut;
        for (const d of outTypes) {
          if ((outStart * lim.itemSize(d)) % lim.align !== 0) throw fail("its output's chunks would not start at aligned offsets");
        }
      } else {
        // partials are [perOutput, outputs]: row q holds every output's q-th partial
        let q = 0;
        for (let a = nOut; a < j; a++) q = q * dims[a] + idx[a];
        q = q * perRow + r0 / rows;
        let o = 0;
        if (keep === 0) for (let a = 0; a < nOut; a++) o = o * dims[a] + idx[a];
        partial = q * outSize + o;
      }
      chunks.push({ kernel, inRanges, outStart, outSize: partials ? (keep === 0 ? 1 : outSize) : len * innerOut, partial });
    }
  }
  return partials ? { kind: "partials", chunks, outputs: outSize, perOutput } : { kind: "rows", chunks };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

/**
 * The expression inside a chunk: loop axes before `keep` stay, those from
 * `keep` to `j` are the chunk's fixed indices, axis `j` starts at `r0`.
 */
function rebaseIndex(e: Expr, keep: number, j: number, idx: readonly number[], r0: number, memo: Map<Expr, Expr>): Expr {
  // by node: shared subexpressions stay shared (a tree copy of a DAG grows exponentially)
  let known = memo.get(e);
  if (known === undefined) memo.set(e, (known = rebaseNode(e, keep, j, idx, r0, memo)));
  return known;
}

function rebaseNode(e: Expr, keep: number, j: number, idx: readonly number[], r0: number, memo: Map<Expr, Expr>): Expr {
  const at = (x: Expr) => rebaseIndex(x, keep, j, idx, r0, memo);
  switch (e.kind) {
    case "index":
      if (e.axis < keep) return e;
      if (e.axis < j) return { kind: "const", value: idx[e.axis], dtype: e.dtype };
      if (e.axis > j) return { ...e, axis: e.axis - j + keep };
      return r0 === 0
        ? { ...e, axis: keep }
        : { kind: "binary", op: "add", lhs: { ...e, axis: keep }, rhs: { kind: "const", value: r0, dtype: e.dtype }, dtype: e.dtype };
    case "input":
    case "const":
      return e;
    case "unary":
    case "cast":
    case "ipow":
      return { ...e, arg: at(e.arg) };
    case "binary":
      return { ...e, lhs: at(e.lhs), rhs: at(e.rhs) };
    case "select":
      return { ...e, which: at(e.which), cases: e.cases.map(at) };
    case "fma":
      return { ...e, args: e.args.map(at) as [Expr, Expr, Expr] };
  }
}
