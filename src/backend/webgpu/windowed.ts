/**
 * The WebGPU windowed selections (src/lax/windowed.ts), with the CPU
 * routines' semantics (`../cpu/windowed.ts`): a window selects its first
 * element, replaced in row-major window order by a later one wherever
 * `selected >= candidate` (max; `<=` for min) is false.
 *
 * - select_and_gather_add: one thread per window finds its selection and
 *   reads the tangent there.
 * - select_and_scatter_add: a first dispatch stores each window's selected
 *   operand index; a second runs one thread per operand element, which
 *   visits the windows that can hold it (one per window offset, where the
 *   offset and strides divide evenly) and sums the source of those that
 *   selected it, so no two threads write one element (WGSL has no float
 *   atomics). Sums run in window-offset order, so they may round
 *   differently from the CPU's window order.
 *
 * The geometry is baked into the WGSL (each number checked to be a safe
 * 32-bit integer first), one pipeline per shape and window.
 */
import { BackendError } from "../../errors.js";
import { contiguousStrides, sizeOf } from "../../shape.js";
import type { WindowSelectParams } from "../device.js";
import { alloc, release } from "./buffers.js";
import { storageType, WORKGROUP } from "./codegen.js";
import { dispatch, grid } from "./context.js";
import type { RoutineFamily } from "./routines.js";
import { memoSource } from "./routines.js";

function u32(n: unknown): string {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0 || n >= 2 ** 32) {
    throw new BackendError("internal error: a window selection holds a size that is not a 32-bit integer; jaxon refuses to generate code from it (please report this)");
  }
  return `${n}u`;
}

/** A checked size as a WGSL i32 literal (coordinates may go negative before the range test). */
function i32(n: unknown): string {
  const lit = u32(n);
  if ((n as number) >= 2 ** 31) throw new BackendError("internal error: a window selection holds a size past the i32 range (please report this)");
  return `${lit.slice(0, -1)}i`;
}

const MAIN = `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * ${WORKGROUP}u + lid;`;

/** `fn selected(o) -> u32`: the flat operand index that window o selects. */
function selectedFn(p: WindowSelectParams): string {
  const nd = p.inShape.length;
  const inStrides = contiguousStrides(p.inShape);
  const cmp = p.op === "max" ? ">=" : "<=";
  const lines: string[] = [];
  for (let j = nd - 1; j >= 0; j--) {
    lines.push(`  base += (rest % ${u32(p.outShape[j])}) * ${u32(p.strides[j] * inStrides[j])}; rest = rest / ${u32(p.outShape[j])};`);
  }
  const offs: string[] = [];
  for (let j = nd - 1; j >= 0; j--) {
    offs.push(`    off += (r % ${u32(p.window[j])}) * ${u32(p.dilation[j] * inStrides[j])}; r = r / ${u32(p.window[j])};`);
  }
  return `fn selected(o: u32) -> u32 {
  var rest = o;
  var base = 0u;
${lines.join("\n")}
  var best = base;
  var bv = x[base];
  for (var k = 1u; k < ${u32(sizeOf(p.window))}; k++) {
    var r = k;
    var off = 0u;
${offs.join("\n")}
    let v = x[base + off];
    if (!(bv ${cmp} v)) { best = base + off; bv = v; }
  }
  return best;
}`;
}

const key = (p: WindowSelectParams, x: string, t: string) =>
  [p.op, x, t, p.inShape.join(","), p.outShape.join(","), p.window.join(","), p.strides.join(","), p.dilation.join(",")].join(";");

const select_and_gather_add: NonNullable<RoutineFamily["select_and_gather_add"]> = ([t, x], inTypes, [outType], p) => {
  const n = sizeOf(p.outShape);
  const out = alloc(outType.dtype, n);
  if (n === 0) return [out];
  const ts = storageType(inTypes[0].dtype);
  const xs = storageType(inTypes[1].dtype);
  const wgsl = memoSource(`gather;${key(p, xs, ts)}`, () => `@group(0) @binding(0) var<storage, read_write> out: array<${ts}>;
@group(0) @binding(1) var<storage, read> t: array<${ts}>;
@group(0) @binding(2) var<storage, read> x: array<${xs}>;
${selectedFn(p)}
${MAIN}
  if (i >= ${u32(n)}) { return; }
  out[i] = t[selected(i)];
}`);
  dispatch({ wgsl, buffers: [out, t, x], workgroups: grid(Math.ceil(n / WORKGROUP)) });
  return [out];
};

const select_and_scatter_add: NonNullable<RoutineFamily["select_and_scatter_add"]> = ([s, x], inTypes, [outType], p) => {
  const size = sizeOf(p.inShape);
  const windows = sizeOf(p.outShape);
  const out = alloc(outType.dtype, size);
  if (size === 0) return [out];
  const ss = storageType(inTypes[0].dtype);
  const xs = storageType(inTypes[1].dtype);
  // an empty output: nothing selected, zeros; a window count of at least one keeps the buffers bindable
  const sel = alloc("uint32", Math.max(windows, 1));
  if (windows > 0) {
    const pick = memoSource(`pick;${key(p, xs, ss)}`, () => `@group(0) @binding(0) var<storage, read_write> sel: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<${xs}>;
${selectedFn(p)}
${MAIN}
  if (i >= ${u32(windows)}) { return; }
  sel[i] = selected(i);
}`);
    dispatch({ wgsl: pick, buffers: [sel, x], workgroups: grid(Math.ceil(windows / WORKGROUP)) });
  }
  const nd = p.inShape.length;
  const scatter = memoSource(`scatter;${key(p, xs, ss)}`, () => {
    const lines: string[] = [];
    // the operand element's coordinates, then one candidate window per window offset k
    for (let j = nd - 1; j >= 0; j--) lines.push(`  let i${j} = i32((i / ${u32(contiguousStrides(p.inShape)[j])}) % ${u32(p.inShape[j])});`);
    const perAxis: string[] = [];
    for (let j = nd - 1; j >= 0; j--) {
      perAxis.push(`    let w${j} = i32(r % ${u32(p.window[j])}); r = r / ${u32(p.window[j])};
    let d${j} = i${j} - w${j} * ${i32(p.dilation[j])};`);
    }
    const checks = Array.from({ length: nd }, (_, j) => `d${j} >= 0 && d${j} % ${i32(p.strides[j])} == 0 && d${j} / ${i32(p.strides[j])} < ${i32(p.outShape[j])}`);
    const flat = Array.from({ length: nd }, (_, j) => `u32(d${j} / ${i32(p.strides[j])}) * ${u32(contiguousStrides(p.outShape)[j])}`);
    return `@group(0) @binding(0) var<storage, read_write> out: array<${ss}>;
@group(0) @binding(1) var<storage, read> src: array<${ss}>;
@group(0) @binding(2) var<storage, read> sel: array<u32>;
${MAIN}
  if (i >= ${u32(size)}) { return; }
${lines.join("\n")}
  var acc = ${ss}(0);
  for (var k = 0u; k < ${u32(sizeOf(p.window))}; k++) {
    var r = k;
${perAxis.join("\n")}
    if (${checks.length ? checks.join(" && ") : "true"}) {
      let o = ${flat.length ? flat.join(" + ") : "0u"};
      if (sel[o] == i) { acc += src[o]; }
    }
  }
  out[i] = acc;
}`;
  });
  dispatch({ wgsl: scatter, buffers: [out, s, sel], workgroups: grid(Math.ceil(size / WORKGROUP)) });
  // the queue runs the dispatches before any reuse of the slot
  release(sel);
  return [out];
};

export const windowedRoutines = { select_and_gather_add, select_and_scatter_add } satisfies RoutineFamily;
