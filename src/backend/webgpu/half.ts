/**
 * float16 on WebGPU: stored as f32 holding half-precision values and
 * computed in f32, every float16 result rounded to the nearest half
 * (`j_f16`, ties to even) — the CPU's model (dtype.ts), on every adapter.
 * Kernels are rewritten to float32 with the nodes to round marked; routines
 * see float32 and their float16 outputs are rounded by one more dispatch.
 * (Packed 2-byte storage through `shader-f16` would halve the memory; not done.)
 */
import type { DType } from "../../dtype.js";
import { roundToFloat16 } from "../../dtype.js";
import type { BufferType } from "../device.js";
import type { Expr, Kernel } from "../kernel.js";
import type { GpuBuffer } from "./buffers.js";
import { threadMain, WORKGROUP } from "./codegen.js";
import { dispatch, grid } from "./context.js";
import { memoSource } from "./routines.js";
import { helperSource, NONFINITE_PRELUDE } from "./wgsl-math.js";

const single = (d: DType): DType => (d === "float16" ? "float32" : d);

export const hasHalf = (types: readonly BufferType[]) => types.some((t) => t.dtype === "float16");

function kernelHasHalf(k: Kernel): boolean {
  const inExpr = (e: Expr): boolean => {
    if (e.dtype === "float16") return true;
    switch (e.kind) {
      case "input":
      case "const":
      case "index":
        return false;
      case "unary":
      case "cast":
      case "ipow":
        return inExpr(e.arg);
      case "binary":
        return inExpr(e.lhs) || inExpr(e.rhs);
      case "select":
        return inExpr(e.which) || e.cases.some(inExpr);
    }
  };
  return k.dtype === "float16" || k.inputs.some((i) => i.dtype === "float16") || inExpr(k.expr) || (k.more ?? []).some((o) => o.dtype === "float16" || inExpr(o.expr));
}

/**
 * The kernel in float32, and the nodes whose values must be rounded to half
 * precision (every computed float16 value; loads are halves already, constants
 * are rounded here). Null when the kernel has no float16 at all.
 */
export function halfAsSingle(k: Kernel): { kernel: Kernel; round: WeakSet<Expr> } | null {
  if (!kernelHasHalf(k)) return null;
  const round = new WeakSet<Expr>();
  const map = (e: Expr): Expr => {
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
    }
    if (half) round.add(out);
    return out;
  };
  return {
    round,
    kernel: {
      ...k,
      inputs: k.inputs.map((i) => ({ ...i, dtype: single(i.dtype) })),
      expr: map(k.expr),
      dtype: single(k.dtype),
      more: k.more?.map((o) => ({ expr: map(o.expr), dtype: single(o.dtype) })),
    },
  };
}

/** The types a routine sees: float16 as float32. */
export const singleTypes = (types: BufferType[]): BufferType[] => types.map((t) => (t.dtype === "float16" ? { ...t, dtype: "float32" } : t));

const roundSource = (n: number, gx: number) => `${NONFINITE_PRELUDE}
@group(0) @binding(0) var<storage, read_write> buf: array<f32>;
${helperSource(["j_f16"])}
@compute @workgroup_size(${WORKGROUP})
${threadMain(gx)}
  if (o >= ${n}) { return; }
  buf[o] = j_f16(buf[o]);
}`;

/** Rounds a buffer of `size` f32 values to half precision in place (after a routine or a reduction made them). */
export function roundInPlace(buf: GpuBuffer, size: number): void {
  if (size === 0) return;
  const [gx, gy] = grid(Math.ceil(size / WORKGROUP));
  dispatch({ wgsl: memoSource(`f16round:${size}`, () => roundSource(size, gx)), buffers: [buf], workgroups: [gx, gy] });
}
