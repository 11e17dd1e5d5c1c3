/**
 * The WebGPU convolution routine (`conv` in backend/device.ts), with the CPU
 * routine's semantics (`../cpu/conv.ts`): any dimension count, strides,
 * padding, lhs/rhs dilation, feature and batch groups, operands read through
 * strides in any layout. The general kernel (3 or more spatial dimensions, or
 * `convKernel.planar` off) runs one thread per output element, accumulating
 * in f32 over the window and the group's input features; one or two spatial
 * dimensions run the planar kernel (`planarShader`) instead, several times
 * faster on lavapipe (bench/conv-planar-webgpu.ts). Every shape number comes
 * from a small parameter buffer, so one pipeline per (dtype, grid width)
 * serves all shapes and the loops have no constant bounds for a driver to
 * unroll (lavapipe compiles unrolled loops slowly).
 *
 * Large float32 convolutions of one or two spatial dimensions without groups
 * or lhs dilation (a CNN's layers and, at stride 1, their gradients) run as
 * an implicit GEMM instead (`tiledShader`): output positions × output
 * features, reduced over (window position, input feature), in 64 × 64 tiles
 * (32 features × 128 positions for narrow convolutions) of 256 threads that
 * stage 16-deep slices of the input patches and of the kernel in workgroup
 * memory, each thread accumulating a 4 × 4 block; where the tiles are few and
 * the reduction deep (a kernel's gradient) the depth is split among
 * workgroups and a second pass sums the parts.
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

/**
 * The direct kernel for one or two spatial dimensions (a 1-d convolution is a
 * 2-d one of height 1), any groups, strides, dilations and dtype: `lanes`
 * threads per output element. With one lane a thread walks the window as
 * nested loops over (ky, kx, input feature), with no division in the inner
 * loops (the general kernel's per-dimension index arithmetic and private
 * arrays cost lavapipe several times the multiply-adds). With several lanes
 * (few outputs over a deep reduction: a kernel's gradient, whose depth is a
 * batch times the output positions) each lane sums every `lanes`-th depth and
 * the workgroup adds the lanes' sums as a tree in workgroup memory.
 */
function planarShader(t: string, gx: number, lanes: number, dilated: boolean, wide: boolean): string {
  const per = 256 / lanes;
  const acc = wide ? "vec4<f32>" : "f32";
  const tree: string[] = [];
  for (let s = lanes / 2; s >= 1; s /= 2) tree.push(`  if (lane < ${s}u) { red[lid] += red[lid + ${s}u]; }\n  workgroupBarrier();`);
  // the input row and column under window position (ky, kx), or skip it; integer division only with lhs dilation
  // (lavapipe runs vector integer division one lane at a time)
  const rowTest = dilated
    ? `let py_ = y * sy + ky * dy - py;
    if (py_ < 0 || py_ % ldy != 0 || py_ / ldy >= H) { continue; }
    let iy = py_ / ldy;`
    : `let iy = y * sy + ky * dy - py;
    if (iy < 0 || iy >= H) { continue; }`;
  const colTest = rowTest.replaceAll("py", "px").replaceAll("ldy", "ldx").replaceAll("ky", "kx").replaceAll("y * sy", "x * sx").replaceAll("dy", "dx").replaceAll("iy", "ix").replaceAll("H)", "W)");
  const inner = `let la = lbase + iy * lsy + ix * lsx;
      let ra = rbase + ky * rsy + kx * rsx;
      for (var i = 0; i < I; i++) {
        ${
          wide
            ? `let ri = ra + i * rs1;
        acc += f32(lhs[la + i * ls1]) * vec4<f32>(f32(rhs[ri + rc.x]), f32(rhs[ri + rc.y]), f32(rhs[ri + rc.z]), f32(rhs[ri + rc.w]));`
            : "acc += f32(lhs[la + i * ls1]) * f32(rhs[ra + i * rs1]);"
        }
      }`;
  const body =
    lanes === 1
      ? `  for (var ky = 0; ky < KH; ky++) {
    ${rowTest}
    for (var kx = 0; kx < KW; kx++) {
      ${colTest}
      ${inner}
    }
  }`
      : `  // lane l takes window positions l, l + ${lanes}, …, stepping (ky, kx) without dividing
  let stepY = ${lanes} / KW;
  let stepX = ${lanes} % KW;
  var ky = i32(lane) / KW;
  var kx = i32(lane) % KW;
  for (; ky < KH; ) {
    loop {
      ${rowTest.replace("continue", "break")}
      ${colTest.replace("continue", "break")}
      ${inner}
      break;
    }
    kx += stepX;
    ky += stepY;
    if (kx >= KW) { kx -= KW; ky += 1; }
  }`;
  return `@group(0) @binding(0) var<storage, read_write> out: array<${t}>;
@group(0) @binding(1) var<storage, read> lhs: array<${t}>;
@group(0) @binding(2) var<storage, read> rhs: array<${t}>;
@group(0) @binding(3) var<storage, read> prm: array<i32>;
${lanes > 1 ? `var<workgroup> red: array<${acc}, 256>;` : ""}
${
  wide
    ? `fn store(base: i32, oc: i32, O: i32, os1: i32, v: vec4<f32>) {
  for (var j = 0; j < 4; j++) { if (oc + j < O) { out[base + (oc + j) * os1] = ${t}(v[j]); } }
}`
    : `fn store(base: i32, oc: i32, O: i32, os1: i32, v: f32) { out[base + oc * os1] = ${t}(v); }`
}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let items = prm[0]; let outB = prm[1]; let O = prm[2]; let I = prm[3]; let oPerG = prm[4]; let oPerB = prm[5];
  let KH = prm[6]; let KW = prm[7]; let OH = prm[8]; let OW = prm[9]; let H = prm[10]; let W = prm[11];
  let sy = prm[12]; let sx = prm[13]; let dy = prm[14]; let dx = prm[15]; let py = prm[16]; let px = prm[17];
  let ldy = prm[18]; let ldx = prm[19];
  let ls0 = prm[20]; let ls1 = prm[21]; let lsy = prm[22]; let lsx = prm[23];
  let rs0 = prm[24]; let rs1 = prm[25]; let rsy = prm[26]; let rsx = prm[27];
  let os0 = prm[28]; let os1 = prm[29]; let osy = prm[30]; let osx = prm[31]; let OG = prm[32];
  let lane = lid % ${lanes}u;
  let o = i32((wid.y * ${gx}u + wid.x) * ${per}u + lid / ${lanes}u);
  // no early return: the lanes' tree needs every thread at its barriers
  let live = o < items;
  let oi = select(0, o, live);
  let x = oi % OW;
  let r0 = oi / OW;
  let y = r0 % OH;
  let r1 = r0 / OH;
  let oc = (r1 % OG) * ${wide ? 4 : 1};
  let n = r1 / OG;
  let lbase = ((oc / oPerB) * outB + n) * ls0 + (oc / oPerG) * I * ls1;
  let rbase = ${wide ? "0" : "oc * rs0"};
  ${
    wide
      ? `// the kernel offsets of this thread's 4 output features (past O: the last one again; its sums are not stored)
  let rc = vec4<i32>(oc, min(oc + 1, O - 1), min(oc + 2, O - 1), min(oc + 3, O - 1)) * rs0;`
      : ""
  }
  var acc = ${acc}(0.0);
  if (live) {
${body}
  }
${
  lanes > 1
    ? `  red[lid] = acc;
  workgroupBarrier();
${tree.join("\n")}
  if (live && lane == 0u) { store(n * os0 + y * osy + x * osx, oc, O, os1, red[lid]); }`
    : `  if (live) { store(n * os0 + y * osy + x * osx, oc, O, os1, acc); }`
}
}`;
}

/** The planar kernel's parameter words (see planarShader). */
function planarParams(p: ConvParams, items: number, featureGroupsOf: number): GpuBuffer {
  const two = p.inSpatial.length === 2;
  const at = (a: readonly number[], d: 0 | 1, one: number) => (two ? a[d] : d === 0 ? one : a[0]);
  const O = p.outFeatures;
  const sp = (a: readonly number[], d: 0 | 1) => at(a.slice(2), d, 0);
  const words = [
    items,
    p.batch / p.batchGroups,
    O,
    p.inFeatures / p.featureGroups,
    O / p.featureGroups,
    O / p.batchGroups,
    at(p.kernelSpatial, 0, 1),
    at(p.kernelSpatial, 1, 1),
    at(p.outSpatial, 0, 1),
    at(p.outSpatial, 1, 1),
    at(p.inSpatial, 0, 1),
    at(p.inSpatial, 1, 1),
    at(p.strides, 0, 1),
    at(p.strides, 1, 1),
    at(p.rhsDilation, 0, 1),
    at(p.rhsDilation, 1, 1),
    at(p.padLo, 0, 0),
    at(p.padLo, 1, 0),
    at(p.lhsDilation, 0, 1),
    at(p.lhsDilation, 1, 1),
    p.lhsStrides[0],
    p.lhsStrides[1],
    sp(p.lhsStrides, 0),
    sp(p.lhsStrides, 1),
    p.rhsStrides[0],
    p.rhsStrides[1],
    sp(p.rhsStrides, 0),
    sp(p.rhsStrides, 1),
    p.outStrides[0],
    p.outStrides[1],
    sp(p.outStrides, 0),
    sp(p.outStrides, 1),
  ];
  words.push(Math.ceil(O / featureGroupsOf));
  return upload(Int32Array.from(words), "int32");
}

/** Threads in flight the planar kernel aims for, and the fewest multiply-adds a lane should do. */
const PLANAR_THREADS = 2 ** 16;
const PLANAR_MIN_DEPTH = 32;

/**
 * Lanes per output: 1, or more (powers of 4 up to 256) while outputs × lanes
 * stay under PLANAR_THREADS and each lane keeps at least one window position
 * and PLANAR_MIN_DEPTH multiply-adds.
 */
function planarLanes(total: number, windows: number, features: number): number {
  let lanes = 1;
  const fits = (l: number) => total * l <= PLANAR_THREADS && windows >= l && (windows / l) * features >= PLANAR_MIN_DEPTH;
  while (lanes < 256 && fits(lanes * 4)) lanes *= 4;
  return lanes;
}

/** Rows (output positions) and columns (output features) of a tile of the implicit GEMM, and its depth per step. */
const TILE = 64;
const KSTEP = 16;
/** Split-K: aim for this many workgroups when the tiles are fewer, each reducing at least MIN_CHUNK deep. */
const SPLIT_TARGET = 128;
const MIN_CHUNK = 256;

/**
 * The implicit-GEMM kernel: C[m, o] = Σ_k A[m, k] · B[k, o] with m = (n, y, x)
 * an output position, k = (ky, kx, i) a window position and input feature
 * (i fastest), A[m, k] the input under the window (0 in the padding) and
 * B[k, o] the kernel. A tile is `tn` output features (64, or 32 for narrow
 * convolutions, which would leave half of a 64-wide tile idle) by
 * 4 · 256 / (tn / 4) output positions; each of its 256 threads computes a
 * 4 × 4 block. Per step of 16 depths the threads stage the tile's slices of
 * A and B in workgroup memory, as vec4s of 4 rows (A) or 4 columns (B) at one
 * depth (t % 16). Shape numbers come from the parameter buffer (see tiledParams).
 */
function tiledShader(gx: number, tn: number): string {
  const cg = tn / 4; // column groups of 4
  const rg = 256 / cg; // row groups of 4
  const sa = rg / 16; // A's vec4s per thread per step
  return `@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> lhs: array<f32>;
@group(0) @binding(2) var<storage, read> rhs: array<f32>;
@group(0) @binding(3) var<storage, read> prm: array<i32>;
var<workgroup> As: array<vec4<f32>, ${KSTEP * rg}>;
var<workgroup> Bs: array<vec4<f32>, ${KSTEP * cg}>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let M = prm[0]; let O = prm[1]; let K = prm[2]; let I = prm[3]; let KW = prm[4];
  let OW = prm[5]; let OH = prm[6]; let H = prm[7]; let W = prm[8];
  let sy = prm[9]; let sx = prm[10]; let dy = prm[11]; let dx = prm[12]; let py = prm[13]; let px = prm[14];
  let ls0 = prm[15]; let ls1 = prm[16]; let lsy = prm[17]; let lsx = prm[18];
  let rs0 = prm[19]; let rs1 = prm[20]; let rsy = prm[21]; let rsx = prm[22];
  let os0 = prm[23]; let os1 = prm[24]; let osy = prm[25]; let osx = prm[26]; let tilesN = prm[27];
  let gg = i32(wid.y * ${gx}u + wid.x);
  let tiles = prm[28];
  let kChunk = prm[29];
  let splits = prm[30];
  if (gg >= tiles * splits) { return; }
  // split K: workgroup gg reduces depths [split · kChunk, (split + 1) · kChunk) of tile gg % tiles
  let split = gg / tiles;
  let g = gg % tiles;
  let kBegin = split * kChunk;
  let kEnd = min(K, kBegin + kChunk);
  let i0 = (g / tilesN) * ${4 * rg};
  let j0 = (g % tilesN) * ${tn};
  let t = i32(lid);
  let kk = t % 16;
  // the rows this thread stages: row group (t + 256 s) / 16; their batch offset (-1: past M) and window corner
  var base: array<i32, ${4 * sa}>;
  var y0: array<i32, ${4 * sa}>;
  var x0: array<i32, ${4 * sa}>;
  for (var s = 0; s < ${sa}; s++) {
    for (var r = 0; r < 4; r++) {
      let m = i0 + ((t + 256 * s) / 16) * 4 + r;
      let ox = m % OW;
      let rest = m / OW;
      let oy = rest % OH;
      base[s * 4 + r] = select(-1, (rest / OH) * ls0, m < M);
      y0[s * 4 + r] = oy * sy - py;
      x0[s * 4 + r] = ox * sx - px;
    }
  }
  // the columns it stages (threads t < ${16 * cg}): column group t / 16
  let bq = t / 16;
  let cx = t % ${cg};
  let ry = t / ${cg};
  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);
  for (var k0 = kBegin; k0 < kEnd; k0 += ${KSTEP}) {
    let k = k0 + kk;
    let live = k < kEnd;
    let i = k % I;
    let w = k / I;
    let kx = w % KW;
    let ky = w / KW;
    for (var s = 0; s < ${sa}; s++) {
      var a = vec4<f32>(0.0);
      if (live) {
        for (var r = 0; r < 4; r++) {
          let iy = y0[s * 4 + r] + ky * dy;
          let ix = x0[s * 4 + r] + kx * dx;
          if (base[s * 4 + r] >= 0 && iy >= 0 && iy < H && ix >= 0 && ix < W) {
            a[r] = lhs[base[s * 4 + r] + i * ls1 + iy * lsy + ix * lsx];
          }
        }
      }
      As[kk * ${rg} + (t + 256 * s) / 16] = a;
    }
    if (t < ${16 * cg}) {
      var b = vec4<f32>(0.0);
      if (live) {
        for (var r = 0; r < 4; r++) {
          let o = j0 + bq * 4 + r;
          if (o < O) { b[r] = rhs[o * rs0 + i * rs1 + ky * rsy + kx * rsx]; }
        }
      }
      Bs[kk * ${cg} + bq] = b;
    }
    workgroupBarrier();
    for (var j = 0; j < ${KSTEP}; j++) {
      let av = As[j * ${rg} + ry];
      let bv = Bs[j * ${cg} + cx];
      c0 = fma(vec4<f32>(av[0]), bv, c0);
      c1 = fma(vec4<f32>(av[1]), bv, c1);
      c2 = fma(vec4<f32>(av[2]), bv, c2);
      c3 = fma(vec4<f32>(av[3]), bv, c3);
    }
    workgroupBarrier();
  }
  let col = j0 + cx * 4;
  for (var r = 0; r < 4; r++) {
    let m = i0 + ry * 4 + r;
    if (m >= M) { continue; }
    var c = c0;
    if (r == 1) { c = c1; } else if (r == 2) { c = c2; } else if (r == 3) { c = c3; }
    let ox = m % OW;
    let rest = m / OW;
    let obase = (rest / OH) * os0 + (rest % OH) * osy + ox * osx;
    // one split: the output; several: their partial sums, [split, m, o] dense, for the second pass
    let prow = (split * M + m) * O;
    for (var e = 0; e < 4; e++) {
      if (col + e < O) {
        if (splits == 1) { out[obase + (col + e) * os1] = c[e]; } else { out[prow + col + e] = c[e]; }
      }
    }
  }
}`;
}

/** The second pass of a split-K convolution: each output is the sum of its splits' partial sums. */
function splitSumShader(gx: number): string {
  return `@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read> prm: array<i32>;
@compute @workgroup_size(${WORKGROUP})
${threadMain(gx)}
  let M = prm[0]; let O = prm[1]; let OW = prm[5]; let OH = prm[6];
  let os0 = prm[23]; let os1 = prm[24]; let osy = prm[25]; let osx = prm[26]; let splits = prm[30];
  if (o >= M * O) { return; }
  let m = o / O;
  let f = o % O;
  var acc = 0.0;
  for (var s = 0; s < splits; s++) { acc += part[s * M * O + o]; }
  let ox = m % OW;
  let rest = m / OW;
  out[(rest / OH) * os0 + (rest % OH) * osy + ox * osx + f * os1] = acc;
}`;
}

/**
 * Whether the implicit-GEMM kernel serves `p` and is worth it: at least 2^18
 * multiply-adds, a tile's worth of output positions, and at least 32 output
 * features (with fewer, half or more of a 32-wide tile's columns compute
 * nothing; on lavapipe, tiling W10's 16-feature input gradient gained nothing).
 */
function tiledFits(p: ConvParams, dtypes: string[], total: number): boolean {
  const ns = p.inSpatial.length;
  if (ns < 1 || ns > 2 || dtypes.some((d) => d !== "float32")) return false;
  if (p.featureGroups !== 1 || p.batchGroups !== 1 || p.lhsDilation.some((d) => d !== 1)) return false;
  const K = p.inFeatures * sizeOf(p.kernelSpatial);
  const M = total / p.outFeatures;
  return M >= TILE && p.outFeatures >= 32 && K >= 8 && M * p.outFeatures * K >= 2 ** 18;
}

/** The tiled kernel's parameter words; a 1-d convolution is a 2-d one whose first spatial axis has size 1. */
function tiledParams(p: ConvParams, total: number, tilesN: number, tiles: number, kChunk: number, splits: number): GpuBuffer {
  const two = p.inSpatial.length === 2;
  const at = (a: readonly number[], d: 0 | 1, one: number) => (two ? a[d] : d === 0 ? one : a[0]);
  const O = p.outFeatures;
  const words = [
    total / O,
    O,
    p.inFeatures * sizeOf(p.kernelSpatial),
    p.inFeatures,
    at(p.kernelSpatial, 1, 1),
    at(p.outSpatial, 1, 1),
    at(p.outSpatial, 0, 1),
    at(p.inSpatial, 0, 1),
    at(p.inSpatial, 1, 1),
    at(p.strides, 0, 1),
    at(p.strides, 1, 1),
    at(p.rhsDilation, 0, 1),
    at(p.rhsDilation, 1, 1),
    at(p.padLo, 0, 0),
    at(p.padLo, 1, 0),
    p.lhsStrides[0],
    p.lhsStrides[1],
    at(p.lhsStrides.slice(2), 0, 0),
    at(p.lhsStrides.slice(2), 1, 0),
    p.rhsStrides[0],
    p.rhsStrides[1],
    at(p.rhsStrides.slice(2), 0, 0),
    at(p.rhsStrides.slice(2), 1, 0),
    p.outStrides[0],
    p.outStrides[1],
    at(p.outStrides.slice(2), 0, 0),
    at(p.outStrides.slice(2), 1, 0),
    tilesN,
    tiles,
    kChunk,
    splits,
  ];
  return upload(Int32Array.from(words), "int32");
}

/** Whether the implicit-GEMM kernel runs where it fits (`tiled: false`: the direct kernel always), and how often it ran; for the tests. */
export const convKernel = { tiled: true as boolean, tiledRuns: 0, splitRuns: 0, planar: true as boolean, planarRuns: 0, planarLaneRuns: 0 };

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
  conv([lhs, rhs], inTypes, [outType], p) {
    if (p.inSpatial.length > MAX_SPATIAL) throw new BackendError(`webgpu: convolutions over more than ${MAX_SPATIAL} spatial dimensions run on the CPU only`);
    const total = sizeOf(outType.shape);
    if (total >= 2 ** 31) throw new BackendError(`webgpu: a convolution output of ${total} elements is too large for one dispatch`);
    const out = alloc(outType.dtype, total);
    if (total === 0) return [out];
    if (convKernel.tiled && tiledFits(p, [inTypes[0].dtype, inTypes[1].dtype, outType.dtype], total)) {
      // 32 features or fewer: tiles 32 wide (and 128 tall), else 64 × 64
      const tn = p.outFeatures <= 32 ? 32 : TILE;
      const tm = (4 * 256) / (tn / 4);
      const tilesN = Math.ceil(p.outFeatures / tn);
      const tiles = Math.ceil(total / p.outFeatures / tm) * tilesN;
      // few tiles over a deep reduction (a kernel's gradient: K = batch × positions) leave most of the
      // GPU idle: split the depth among up to SPLIT_TARGET workgroups, at least MIN_CHUNK deep each
      const K = p.inFeatures * sizeOf(p.kernelSpatial);
      const splits = tiles >= SPLIT_TARGET ? 1 : Math.max(1, Math.min(Math.ceil(SPLIT_TARGET / tiles), Math.floor(K / MIN_CHUNK)));
      const kChunk = Math.ceil(K / splits / KSTEP) * KSTEP;
      const used = Math.ceil(K / kChunk);
      const M = total / p.outFeatures;
      const prm = tiledParams(p, total, tilesN, tiles, kChunk, used);
      const [gx, gy] = grid(tiles * used);
      const wgsl = memoSource(`conv-tiled:${tn}:${gx}`, () => tiledShader(gx, tn));
      if (used === 1) {
        dispatch({ wgsl, buffers: [out, lhs, rhs, prm], workgroups: [gx, gy] });
      } else {
        const part = alloc("float32", used * M * p.outFeatures);
        dispatch({ wgsl, buffers: [part, lhs, rhs, prm], workgroups: [gx, gy] });
        const [sx, sy] = grid(Math.ceil(total / WORKGROUP));
        dispatch({ wgsl: memoSource(`conv-split-sum:${sx}`, () => splitSumShader(sx)), buffers: [out, part, prm], workgroups: [sx, sy] });
        release(part);
        convKernel.splitRuns++;
      }
      release(prm);
      convKernel.tiledRuns++;
      return [out];
    }
    const t = storageType(outType.dtype);
    if (convKernel.planar && p.inSpatial.length >= 1 && p.inSpatial.length <= 2) {
      // 4 output features per thread (each input load serves 4 multiply-adds) where they share their input: no groups
      const wide = p.featureGroups === 1 && p.batchGroups === 1 && p.outFeatures > 1;
      const items = (total / p.outFeatures) * Math.ceil(p.outFeatures / (wide ? 4 : 1));
      const lanes = planarLanes(items, sizeOf(p.kernelSpatial), p.inFeatures / p.featureGroups);
      const dilated = p.lhsDilation.some((d) => d !== 1);
      const [gx, gy] = grid(Math.ceil((items * lanes) / 256));
      const prm = planarParams(p, items, wide ? 4 : 1);
      const key = `conv-planar:${t}:${gx}:${lanes}:${dilated}:${wide}`;
      dispatch({ wgsl: memoSource(key, () => planarShader(t, gx, lanes, dilated, wide)), buffers: [out, lhs, rhs, prm], workgroups: [gx, gy] });
      release(prm);
      convKernel.planarRuns++;
      if (lanes > 1) convKernel.planarLaneRuns++;
      return [out];
    }
    const [gx, gy] = grid(Math.ceil(total / WORKGROUP));
    const wgsl = memoSource(`conv:${t}:${gx}`, () => shader(t, gx));
    const prm = paramsBuffer(p, total);
    dispatch({ wgsl, buffers: [out, lhs, rhs, prm], workgroups: [gx, gy] });
    release(prm);
    return [out];
  },
} satisfies RoutineFamily;
