/**
 * float16 on WebGPU: computed in f32, every float16 result rounded to the
 * nearest half (`j_f16`, ties to even) — the CPU's model (dtype.ts). Stored
 * in 2 bytes (`array<f16>`) where the device has `shader-f16`, else as f32
 * holding halves, on every adapter.
 *
 * Fused kernels are rewritten to compute in f32 with the nodes to round
 * marked; they load halves and store them directly. A reduction writes its
 * f32 result to a temporary that `packHalves` rounds and stores; a routine
 * sees float32: its float16 inputs are widened first and its outputs packed
 * after, one dispatch each.
 */
import type { DType } from "../../dtype.js";
import { roundToFloat16 } from "../../dtype.js";
import type { BufferType } from "../device.js";
import type { Expr, Kernel } from "../kernel.js";
import { someNode } from "../kernel.js";
import type { GpuBuffer } from "./buffers.js";
import { threadMain, WORKGROUP } from "./codegen.js";
import { dispatch, grid, halvesPacked } from "./context.js";
import { alloc, release } from "./buffers.js";
import { memoSource } from "./routines.js";
import { helperSource, NONFINITE_PRELUDE } from "./wgsl-math.js";

const single = (d: DType): DType => (d === "float16" ? "float32" : d);

export const hasHalf = (types: readonly BufferType[]) => types.some((t) => t.dtype === "float16");

function kernelHasHalf(k: Kernel): boolean {
  const half = (e: Expr) => e.dtype === "float16";
  return k.dtype === "float16" || k.inputs.some((i) => i.dtype === "float16") || someNode(k.expr, half) || (k.more ?? []).some((o) => o.dtype === "float16" || someNode(o.expr, half));
}

/**
 * The kernel computing in float32, and the nodes whose values must be rounded
 * to half precision (every computed float16 value; loads are halves already,
 * constants are rounded here). Inputs keep float16 (their storage); so do the
 * outputs of an elementwise kernel (it stores halves), while a reduction's
 * result becomes float32 (a temporary: see `packHalves`). Null when the
 * kernel has no float16 at all.
 */
export function halfAsSingle(k: Kernel): { kernel: Kernel; round: WeakSet<Expr> } | null {
  if (!kernelHasHalf(k)) return null;
  const round = new WeakSet<Expr>();
  // memoized by node: shared subexpressions stay shared (a DAG rewritten as a tree grows exponentially)
  const memo = new Map<Expr, Expr>();
  const map = (e: Expr): Expr => {
    let known = memo.get(e);
    if (known === undefined) memo.set(e, (known = mapNode(e)));
    return known;
  };
  const mapNode = (e: Expr): Expr => {
    const half = e.dtype === "float16";
    let out: Expr;
    switch (e.kind) {
      case "input":
        return { ...e, dtype: single(e.dtype) };
      case "const":
        return { ...e, value: half ? roundToFloat16(e.value) : e.value, dtype: single(e.dtype) };
      case "index":
        out = { ...e, dtype: single(e.dtype) };
        break;
      case "unary":
      case "cast":
      case "ipow":
        out = { ...e, arg: map(e.arg), dtype: single(e.dtype) };
        break;
      case "binary":
        out = { ...e, lhs: map(e.lhs), rhs: map(e.rhs), dtype: single(e.dtype) };
        break;
      case "select":
        out = { ...e, which: map(e.which), cases: e.cases.map(map), dtype: single(e.dtype) };
        break;
      case "fma":
        out = { ...e, args: e.args.map(map) as [Expr, Expr, Expr], dtype: single(e.dtype) };
        break;
    }
    if (half) round.add(out);
    return out;
  };
  return {
    round,
    kernel: {
      ...k,
      expr: map(k.expr),
      dtype: k.reduce ? single(k.dtype) : k.dtype,
      more: k.more?.map((o) => ({ expr: map(o.expr), dtype: o.dtype })),
    },
  };
}

/** The types a routine sees: float16 as float32. */
export const singleTypes = (types: BufferType[]): BufferType[] => types.map((t) => (t.dtype === "float16" ? { ...t, dtype: "float32" } : t));

const convertSource = (n: number, gx: number, from: string, to: string) => `${NONFINITE_PRELUDE}
@group(0) @binding(0) var<storage, read_write> dst: array<${to}>;
@group(0) @binding(1) var<storage, read> src: array<${from}>;
${helperSource(["j_f16"])}
@compute @workgroup_size(${WORKGROUP})
${threadMain(gx)}
  if (o >= ${n}) { return; }
  dst[o] = ${to}(${to === "f32" ? "src[o]" : "j_f16(src[o])"});
}`;

function convert(src: GpuBuffer, size: number, from: "f16" | "f32", to: "f16" | "f32"): GpuBuffer {
  const dst = alloc(to === "f16" ? "float16" : "float32", size);
  if (size === 0) return dst;
  const [gx, gy] = grid(Math.ceil(size / WORKGROUP));
  dispatch({ wgsl: memoSource(`f16convert:${from}:${to}:${size}`, () => convertSource(size, gx, from, to)), buffers: [dst, src], workgroups: [gx, gy] });
  return dst;
}

/** A float16 buffer as f32 values for a routine: a widened copy when halves are packed, else the buffer itself. */
export function widenHalves(buf: GpuBuffer, size: number): GpuBuffer {
  return halvesPacked() ? convert(buf, size, "f16", "f32") : buf;
}

/** f32 values (a routine's or reduction's result) as a float16 buffer: rounded to halves, packed where the device packs them; `tmp` is released. */
export function packHalves(tmp: GpuBuffer, size: number): GpuBuffer {
  if (!halvesPacked()) {
    roundInPlace(tmp, size);
    return tmp;
  }
  const out = convert(tmp, size, "f32", "f16");
  release(tmp);
  return out;
}

const roundSource = (n: number, gx: number) => `${NONFINITE_PRELUDE}
@group(0) @binding(0) var<storage, read_write> buf: array<f32>;
${helperSource(["j_f16"])}
@compute @workgroup_size(${WORKGROUP})
${threadMain(gx)}
  if (o >= ${n}) { return; }
  buf[o] = j_f16(buf[o]);
}`;

/** Rounds a buffer of `size` f32 values to half precision in place. */
function roundInPlace(buf: GpuBuffer, size: number): void {
  if (size === 0) return;
  const [gx, gy] = grid(Math.ceil(size / WORKGROUP));
  dispatch({ wgsl: memoSource(`f16round:${size}`, () => roundSource(size, gx)), buffers: [buf], workgroups: [gx, gy] });
}
