/**
 * The WebGPU convolution routine (`conv` in backend/device.ts), with the CPU
 * routine's semantics (`../cpu/conv.ts`): any dimension count, strides,
 * padding, lhs/rhs dilation, feature and batch groups, operands read through
 * strides in any layout. One thread per output element accumulates in f32
 * over the window and the group's input features. Every shape number comes
 * from a small parameter buffer, so one pipeline per (dtype, grid width)
 * serves all shapes and the loops have no constant bounds for a driver to
 * unroll (lavapipe compiles unrolled loops slowly).
 */
import { BackendError } from "../../errors.js";
import { sizeOf } from "../../shape.js";
import type { ConvParams } from "../device.js";
import type { GpuBuffer } from "./buffers.js";
import { alloc, release, upload } from "./buffers.js";
import { storageType, threadMain, WORKGROUP } from "./codegen.js";
import { dispatch, grid } from "./context.js";
import type { RoutineFamily } from "./routines.js";
import { memoSource } from "./routines.js";

/** The most spatial dimensions the shader's index arrays hold. */
const MAX_SPATIAL = 8;
/** Parameter words before the per-dimension blocks, and words per dimension. */
const HEAD = 15;
const PER_DIM = 10;

function shader(t: string, gx: number): string {
  return `@group(0) @binding(0) var<storage, read_write> out: array<${t}>;
@group(0) @binding(1) var<storage, read> lhs: array<${t}>;
@group(0) @binding(2) var<storage, read> rhs: array<${t}>;
@group(0) @binding(3) var<storage, read> prm: array<i32>;
fn dim(d: i32, f: i32) -> i32 { return prm[${HEAD} + d * ${PER_DIM} + f]; }
@compute @workgroup_size(${WORKGROUP})
${threadMain(gx)}
  if (o >= prm[0]) { return; }
  let outB = prm[1]; let O = prm[2]; let I = prm[3]; let oPerG = prm[4]; let oPerB = prm[5];
  let ns = prm[6]; let kN = prm[7]; let outN = prm[8];
  let ls0 = prm[9]; let ls1 = prm[10]; let rs0 = prm[11]; let rs1 = prm[12]; let os0 = prm[13]; let os1 = prm[14];
  let yf = o % outN;
  let no = o / outN;
  let oc = no % O;
  let n = no / O;
  let lbase = ((oc / oPerB) * outB + n) * ls0 + (oc / oPerG) * I * ls1;
  let rbase = oc * rs0;
  var ys: array<i32, ${MAX_SPATIAL}>;
  var rem = yf;
  var ooff = n * os0 + oc * os1;
  for (var d = ns - 1; d >= 0; d--) {
    let s = dim(d, 2);
    ys[d] = rem % s;
    rem = rem / s;
    ooff += ys[d] * dim(d, 9);
  }
  var acc = 0.0;
  for (var k = 0; k < kN; k++) {
    var kr = k;
    var off = 0;
    var roff = 0;
    var ok = true;
    for (var d = ns - 1; d >= 0; d--) {
      let ksz = dim(d, 1);
      let kd = kr % ksz;
      kr = kr / ksz;
      let pos = ys[d] * dim(d, 3) + kd * dim(d, 6) - dim(d, 4);
      let ld = dim(d, 5);
      if (pos < 0 || pos % ld != 0 || pos / ld >= dim(d, 0)) { ok = false; }
      off += (pos / ld) * dim(d, 7);
      roff += kd * dim(d, 8);
    }
    if (ok) {
      let la = lbase + off;
      let ra = rbase + roff;
      for (var i = 0; i < I; i++) {
        acc += f32(lhs[la + i * ls1]) * f32(rhs[ra + i * rs1]);
      }
    }
  }
  out[ooff] = ${t}(acc);
}`;
}

function paramsBuffer(p: ConvParams, total: number): GpuBuffer {
  const O = p.outFeatures;
  const outB = p.batch / p.batchGroups;
  const words = [
    total,
    outB,
    O,
    p.inFeatures / p.featureGroups,
    O / p.featureGroups,
    O / p.batchGroups,
    p.inSpatial.length,
    sizeOf(p.kernelSpatial),
    sizeOf(p.outSpatial),
    p.lhsStrides[0],
    p.lhsStrides[1],
    p.rhsStrides[0],
    p.rhsStrides[1],
    p.outStrides[0],
    p.outStrides[1],
  ];
  p.inSpatial.forEach((_, d) =>
    words.push(
      p.inSpatial[d],
      p.kernelSpatial[d],
      p.outSpatial[d],
      p.strides[d],
      p.padLo[d],
      p.lhsDilation[d],
      p.rhsDilation[d],
      p.lhsStrides[2 + d],
      p.rhsStrides[2 + d],
      p.outStrides[2 + d],
    ),
  );
  return upload(Int32Array.from(words), "int32");
}

export const convRoutines = {
  conv([lhs, rhs], _inTypes, [outType], p) {
    if (p.inSpatial.length > MAX_SPATIAL) throw new BackendError(`webgpu: convolutions over more than ${MAX_SPATIAL} spatial dimensions run on the CPU only`);
    const total = sizeOf(outType.shape);
    if (total >= 2 ** 31) throw new BackendError(`webgpu: a convolution output of ${total} elements is too large for one dispatch`);
    const out = alloc(outType.dtype, total);
    if (total === 0) return [out];
    const t = storageType(outType.dtype);
    const [gx, gy] = grid(Math.ceil(total / WORKGROUP));
    const wgsl = memoSource(`conv:${t}:${gx}`, () => shader(t, gx));
    const prm = paramsBuffer(p, total);
    dispatch({ wgsl, buffers: [out, lhs, rhs, prm], workgroups: [gx, gy] });
    release(prm);
    return [out];
  },
} satisfies RoutineFamily;
