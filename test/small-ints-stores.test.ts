/**
 * Narrow stores of the 8- and 16-bit integers: a CPU WebAssembly kernel whose
 * output is int8/uint8/int16/uint16 converted from float32 (image
 * augmentation's `clip(x · 1.2 + 10, 0, 255).astype(uint8)`, int8
 * quantization's `round(x / scale).astype(int8)`) converts its lanes with
 * `i32x4.trunc_sat_f32x4_s` and the saturating narrows and stores one or two
 * bytes an element (`v128.store32_lane`/`store64_lane`, `i32.store8/16` for
 * tails) instead of leaving the kernel to the JavaScript path.
 *
 * Checked against a plain JS loop computing XLA's float → integer conversion
 * by hand (truncation, NaN to 0, saturation at the dtype's ends), against the
 * JavaScript kernels, at lengths 1…8195, offsets, row strides, broadcasts and
 * slices under jit; that the narrow path ran is shown by the plan
 * (`outDtypes`), the module's opcodes and the launch counter. WebGPU equals the CPU.
 */
import { afterEach, describe, expect, it } from "vitest";
import { devicePut, jit, numpy as np } from "../src/index.js";
import type { Array as JArray } from "../src/index.js";
import type { DType, TypedArray } from "../src/dtype.js";
import type { Expr, Kernel } from "../src/backend/kernel.js";
import { binary, cast, constant, load, unary } from "../src/backend/kernel.js";
import { compileKernel } from "../src/backend/cpu/codegen.js";
import { alloc, wasmMemory } from "../src/backend/cpu/memory.js";
import { buildModule, planKernel } from "../src/backend/cpu/wasm/compiler.js";
import { runWasmKernel, setWasmEnabled, setWasmMinSize, wasmLaunchCount } from "../src/backend/cpu/wasm/index.js";
import { onCpu, probeWebGPU } from "./device-helpers.js";

const SMALL = ["int8", "uint8", "int16", "uint16"] as const;
type Small = (typeof SMALL)[number];
const RANGE: Record<Small, [number, number]> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535] };

/** XLA's float → integer conversion, by hand: truncation toward zero, NaN to 0, saturating at the dtype's ends. */
function convertRef(d: Small, x: number): number {
  if (Number.isNaN(x)) return 0;
  const [lo, hi] = RANGE[d];
  return Math.min(hi, Math.max(lo, Math.trunc(x))) + 0; // + 0: a stored integer has no −0
}

/** float32 values around every width's ends, fractions of both signs, zeros, infinities and NaN. */
const EDGES = [
  NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 0.999, -0.999, 1, -1, 126.9, 127, 127.5, 128, 128.5, -127.9, -128, -128.9, -129,
  254.9, 255, 255.5, 256, 300, -1.5, 32766.5, 32767, 32767.9, 32768, -32767.5, -32768, -32768.9, -32769, 65534.9, 65535, 65535.9,
  65536, 1e9, -1e9, 2147483648, -2147483904, 3e38, -3e38, 1e-30, -1e-30,
].map(Math.fround);
/** n float32 values: the edge cases first, then a spread across ±70000 with fractional parts. */
function values(n: number, seed = 1): number[] {
  return Array.from({ length: n }, (_, i) => (i < EDGES.length && seed === 1 ? EDGES[i] : Math.fround(((i * 40503 + seed * 977) % 140001) - 70000 + ((i * 7) % 10) / 10)));
}

function pooledF32(vs: number[]): Float32Array {
  const a = alloc("float32", vs.length) as Float32Array;
  a.set(vs);
  return a;
}
const contiguous = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
const BIAS = Math.fround(0.25);

/** cast(x + 0.25, d) over `shape`, reading one float32 input through `view`. */
function convertKernel(d: DType, shape: number[], view = { strides: contiguous(shape), offset: 0 }): Kernel {
  const expr: Expr = cast(binary("add", load(0, "float32"), constant(BIAS, "float32")), d);
  return { loopShape: shape, inputs: [{ dtype: "float32", view }], expr, dtype: d };
}

/** The value a number keeps when stored in the dtype (two's complement wrap-around), by hand. */
function wrapTo(d: Small, v: number): number {
  const bits = d.endsWith("8") ? 8 : 16;
  const m = ((v % 2 ** bits) + 2 ** bits) % 2 ** bits;
  return d.startsWith("u") || m < 2 ** (bits - 1) ? m : m - 2 ** bits;
}
/** not(−(x·y − x + 100) xor y) in d, each step wrapped as NumPy's fixed-width arithmetic does. */
function ringRef(d: Small, x: number, y: number): number {
  const t = wrapTo(d, wrapTo(d, wrapTo(d, x * y) - x) + 100);
  return wrapTo(d, ~wrapTo(d, wrapTo(d, -t) ^ y));
}
/** The kernel of `ringRef` over two inputs of d. */
function ringKernel(d: DType, shape: number[], views = [{ strides: contiguous(shape), offset: 0 }, { strides: contiguous(shape), offset: 0 }]): Kernel {
  const [x, y] = [load(0, d), load(1, d)];
  const t = binary("add", binary("sub", binary("mul", x, y), x), constant(100, d));
  const expr = unary("not", binary("xor", unary("neg", t), y));
  return { loopShape: shape, inputs: views.map((view) => ({ dtype: d, view })), expr, dtype: d };
}

/** Whether `bytes` holds the opcode sequence `seq` somewhere. */
function hasOps(bytes: Uint8Array, seq: number[]): boolean {
  outer: for (let i = 0; i + seq.length <= bytes.length; i++) {
    for (let k = 0; k < seq.length; k++) if (bytes[i + k] !== seq[k]) continue outer;
    return true;
  }
  return false;
}

afterEach(() => {
  setWasmEnabled(true);
});

const hasGpu = await probeWebGPU("small-ints-stores.test.ts");
/** Runs f with the CPU as the default device (the probe makes WebGPU the default where it exists). */
const cpu = <T>(f: () => T): T => (hasGpu ? onCpu(f) : f());

describe("narrow stores of small integers in the CPU's WebAssembly kernels", () => {
  it("plans a float32 → small-integer output and emits trunc_sat, the saturating narrows and narrow stores", () => {
    const mem = wasmMemory()!;
    for (const d of SMALL) {
      const plan = planKernel(convertKernel(d, [64, 28, 28, 3]));
      expect(plan, d).not.toBeNull();
      expect(plan!.outDtypes).toEqual([d]);
      const bytes = buildModule(plan!, mem);
      expect(WebAssembly.validate(bytes), d).toBe(true);
      const signed = d.startsWith("int");
      // i32x4.trunc_sat_f32x4_s (0xfd 0xf8 0x01)
      expect(hasOps(bytes, [0xfd, 0xf8, 0x01]), d).toBe(true);
      if (d.endsWith("16")) {
        // i16x8.narrow_i32x4_s/u (0xfd 0x85/0x86 0x01); v128.store64_lane (0xfd 0x5b, align 0); i32.store16 (0x3b)
        expect(hasOps(bytes, [0xfd, signed ? 0x85 : 0x86, 0x01]), d).toBe(true);
        expect(hasOps(bytes, [0xfd, 0x5b, 0x00]), d).toBe(true);
        expect(hasOps(bytes, [0x3b, 0x00, 0x00]), d).toBe(true);
      } else {
        // i16x8.narrow_i32x4_s then i8x16.narrow_i16x8_s/u (0xfd 0x65/0x66); v128.store32_lane (0xfd 0x5a); i32.store8 (0x3a)
        expect(hasOps(bytes, [0xfd, 0x85, 0x01]), d).toBe(true);
        expect(hasOps(bytes, [0xfd, signed ? 0x65 : 0x66]), d).toBe(true);
        expect(hasOps(bytes, [0xfd, 0x5a, 0x00]), d).toBe(true);
        expect(hasOps(bytes, [0x3a, 0x00, 0x00]), d).toBe(true);
      }
    }
  });

  it("declines small-integer kernels without a vector form (float64), plans 32-bit division and integer powers", () => {
    const v = { strides: [1], offset: 0 };
    const u8 = load(0, "uint8");
    // integer casts, min/max, shifts and reductions over the innermost axis run (small-ints-wasm-ops.test.ts)
    expect(planKernel({ loopShape: [64], inputs: [{ dtype: "uint8", view: v }], expr: cast(u8, "int8"), dtype: "int8" })?.outDtypes).toEqual(["int8"]);
    // int32 division runs in float64 lanes, an integer power as a loop (int-ops-wasm.test.ts)
    const i32 = cast(u8, "int32");
    expect(planKernel({ loopShape: [64], inputs: [{ dtype: "uint8", view: v }], expr: binary("div", i32, i32), dtype: "int32" })?.outDtypes).toEqual(["int32"]);
    expect(planKernel({ loopShape: [64], inputs: [{ dtype: "uint8", view: v }], expr: binary("pow", u8, u8), dtype: "uint8" })?.outDtypes).toEqual(["uint8"]);
    // …while add/sub/mul/and/or/xor/neg/not are planned
    expect(planKernel({ loopShape: [64], inputs: [{ dtype: "uint8", view: v }], expr: binary("add", u8, constant(200, "uint8")), dtype: "uint8" })?.outDtypes).toEqual(["uint8"]);
    // a float64 step has no lanes: the JavaScript path
    expect(planKernel({ loopShape: [64], inputs: [{ dtype: "uint8", view: v }], expr: cast(cast(u8, "float64"), "uint8"), dtype: "uint8" })).toBeNull();
  });

  it.each(SMALL)("%s: lengths 1…8195, offsets, row strides and broadcasts equal a JS loop and the JavaScript kernel", (d) => {
    const cases: { shape: number[]; n: number; view?: { strides: number[]; offset: number }; at: (idx: number[]) => number }[] = [];
    for (const L of [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 47, 1023, 8195]) cases.push({ shape: [L], n: L, at: ([i]) => i });
    // rows of a wider array from an odd offset: [3, 13] inside [4, 16] from element 5 (each row's stores start unaligned)
    cases.push({ shape: [3, 13], n: 70, view: { strides: [16, 1], offset: 5 }, at: ([r, c]) => 5 + 16 * r + c });
    // the same value along each row (innermost stride 0: the conversion hoisted out of the row)
    cases.push({ shape: [5, 9], n: 5, view: { strides: [1, 0], offset: 0 }, at: ([r]) => r });
    // a long row cut into chunks (the last one shorter), from an odd offset
    cases.push({ shape: [2, 9001], n: 18010, view: { strides: [9005, 1], offset: 3 }, at: ([r, c]) => 3 + 9005 * r + c });
    for (const c of cases) {
      const vs = values(c.n);
      const input = pooledF32(vs);
      const k = convertKernel(d, c.shape, c.view);
      const size = c.shape.reduce((a, b) => a * b, 1);
      // a pooled output with a sentinel after it: a narrow store must not write past its last element
      const w = alloc(d, size + 8);
      w.fill(7);
      const out = w.subarray(0, size) as TypedArray;
      expect(runWasmKernel(k, out, [input]), `${d} ${c.shape}`).toBe(true);
      expect(Array.from(w.subarray(size)), `${d} ${c.shape}: bytes past the output`).toEqual(new Array(8).fill(7));
      const j = alloc(d, size);
      compileKernel(k)(j, input);
      const expected: number[] = [];
      const [R, C] = c.shape.length === 2 ? c.shape : [1, c.shape[0]];
      for (let r = 0; r < R; r++) {
        for (let col = 0; col < C; col++) expected.push(convertRef(d, Math.fround(vs[c.at(c.shape.length === 2 ? [r, col] : [col])] + BIAS)));
      }
      expect(Array.from(out), `${d} ${c.shape} against a JS loop`).toEqual(expected);
      expect(Array.from(out), `${d} ${c.shape} against the JavaScript kernel`).toEqual(Array.from(j));
    }
  });

  it("integer arithmetic's module truncates with i8x16.shuffle (not the saturating narrows) and loads int32 lanes unconverted", () => {
    const mem = wasmMemory()!;
    for (const d of SMALL) {
      const k = ringKernel(d, [4099]);
      const bytes = buildModule(planKernel(k)!, mem);
      expect(WebAssembly.validate(bytes), d).toBe(true);
      const lowBytes = d.endsWith("8") ? [0, 4, 8, 12] : [0, 1, 4, 5, 8, 9, 12, 13];
      // i8x16.shuffle (0xfd 0x0d) keeping each lane's low byte or half; i32x4.mul (0xfd 0xb5 0x01)
      expect(hasOps(bytes, [0xfd, 0x0d, ...lowBytes]), d).toBe(true);
      expect(hasOps(bytes, [0xfd, 0xb5, 0x01]), d).toBe(true);
      expect(hasOps(bytes, [0xfd, 0x85, 0x01]) || hasOps(bytes, [0xfd, 0x86, 0x01]), d).toBe(false);
      expect(hasOps(bytes, [0xfd, 0xfa, 0x01]), `${d}: no int → float conversion`).toBe(false);
    }
  });

  it.each(SMALL)("%s: wrapping arithmetic (x·y − x + 100, negated, xor, not) at lengths 1…8195, offsets and broadcasts equals a JS loop and the JavaScript kernel", (d) => {
    const cases: { shape: number[]; views: { strides: number[]; offset: number }[]; at: (r: number, c: number, C: number) => [number, number] }[] = [];
    for (const L of [1, 3, 4, 5, 8, 9, 17, 1023, 8195]) cases.push({ shape: [L], views: [{ strides: [1], offset: 0 }, { strides: [1], offset: 0 }], at: (_, c) => [c, c] });
    // x a [3, 13] window of a [4, 16] array from element 5; y one value per row (stride 0)
    cases.push({ shape: [3, 13], views: [{ strides: [16, 1], offset: 5 }, { strides: [1, 0], offset: 1 }], at: (r, c) => [5 + 16 * r + c, 1 + r] });
    // long rows cut into chunks
    cases.push({ shape: [2, 9001], views: [{ strides: [9005, 1], offset: 3 }, { strides: [9001, 1], offset: 0 }], at: (r, c) => [3 + 9005 * r + c, 9001 * r + c] });
    for (const c of cases) {
      const size = c.shape.reduce((a, b) => a * b, 1);
      const n = size + 9005 * 2;
      const xs = alloc(d, n);
      const ys = alloc(d, n);
      for (let i = 0; i < n; i++) {
        xs[i] = ((i * 40503 + 977) % 140000) - 70000;
        ys[i] = ((i * 7919 + 13) % 140000) - 70000;
      }
      const k = ringKernel(d, c.shape, c.views);
      const w = alloc(d, size + 8);
      w.fill(5);
      const out = w.subarray(0, size) as TypedArray;
      expect(runWasmKernel(k, out, [xs, ys]), `${d} ${c.shape}`).toBe(true);
      expect(Array.from(w.subarray(size)), `${d} ${c.shape}: bytes past the output`).toEqual(new Array(8).fill(5));
      const j = alloc(d, size);
      compileKernel(k)(j, xs, ys);
      const [R, C] = c.shape.length === 2 ? c.shape : [1, c.shape[0]];
      const expected: number[] = [];
      for (let r = 0; r < R; r++) {
        for (let col = 0; col < C; col++) {
          const [ix, iy] = c.at(r, col, C);
          expected.push(ringRef(d, xs[ix], ys[iy]));
        }
      }
      expect(Array.from(out), `${d} ${c.shape} against a JS loop`).toEqual(expected);
      expect(Array.from(out), `${d} ${c.shape} against the JavaScript kernel`).toEqual(Array.from(j));
    }
  });

  it("two outputs of different widths from one kernel: uint8 and float32 side by side", () => {
    const n = 1027;
    const vs = values(n, 2);
    const input = pooledF32(vs);
    const y: Expr = binary("mul", load(0, "float32"), constant(Math.fround(0.01), "float32"));
    const k: Kernel = { loopShape: [n], inputs: [{ dtype: "float32", view: { strides: [1], offset: 0 } }], expr: cast(y, "uint8"), dtype: "uint8", more: [{ expr: y, dtype: "float32" }, { expr: cast(y, "int16"), dtype: "int16" }] };
    const outs = [alloc("uint8", n), alloc("float32", n), alloc("int16", n)];
    expect(runWasmKernel(k, outs, [input])).toBe(true);
    const ys = vs.map((x) => Math.fround(x * Math.fround(0.01)));
    expect(Array.from(outs[0])).toEqual(ys.map((x) => convertRef("uint8", x)));
    expect(Array.from(outs[1])).toEqual(ys);
    expect(Array.from(outs[2])).toEqual(ys.map((x) => convertRef("int16", x)));
  });

  it("jit: uint8 image augmentation and int8 quantization run as WebAssembly and equal a JS loop and the JavaScript path", () => {
    const augment = jit((x: JArray) => np.clip(x.astype("float32").mul(1.2).add(10), 0, 255).astype("uint8")) as (x: JArray) => JArray;
    const scale = Math.fround(0.05);
    const quantize = jit((x: JArray) => x.div(scale).astype("int8")) as (x: JArray) => JArray;
    const prevMin = setWasmMinSize(1);
    try {
      cpu(() => {
        for (const n of [1, 7, 17, 1023, 8195]) {
          // tryWasmKernel leaves kernels under 16 elements to JavaScript whatever the minimum size: those check values only
          const ranWasm = (before: number, what: string) => {
            if (n >= 16) expect(wasmLaunchCount(), `${what} n=${n} ran as WebAssembly`).toBeGreaterThan(before);
          };
          const img = Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);
          const x = np.array(img, { dtype: "uint8" }) as JArray;
          const expectAug = img.map((p) => convertRef("uint8", Math.min(255, Math.max(0, Math.fround(Math.fround(p * Math.fround(1.2)) + 10)))));
          let before = wasmLaunchCount();
          const got = augment(x).dataSync();
          expect(got).toBeInstanceOf(Uint8Array);
          ranWasm(before, "augment");
          expect(Array.from(got), `augment n=${n}`).toEqual(expectAug);
          if (n > 4) expect(Array.from(augment(x.get([3, n - 1]) as JArray).dataSync()), `augment slice n=${n}`).toEqual(expectAug.slice(3, n - 1));

          const fs = values(n, 3).map((v) => Math.fround(v / 10000));
          const xf = np.array(fs, { dtype: "float32" }) as JArray;
          before = wasmLaunchCount();
          const q = quantize(xf).dataSync();
          ranWasm(before, "quantize");
          expect(Array.from(q), `quantize n=${n}`).toEqual(fs.map((v) => convertRef("int8", Math.fround(v / scale))));

          setWasmEnabled(false);
          expect(Array.from(augment(x).dataSync()), `augment n=${n}: the JavaScript path`).toEqual(Array.from(got));
          expect(Array.from(quantize(xf).dataSync()), `quantize n=${n}: the JavaScript path`).toEqual(Array.from(q));
          setWasmEnabled(true);
        }
      });
    } finally {
      setWasmMinSize(prevMin);
    }
  });
});

describe("jit: wrapping small-integer arithmetic runs as WebAssembly", () => {
  it.each(SMALL)("%s: (x + y) · 3 − x on arrays and slices equals a JS loop and the JavaScript path", (d) => {
    const f = jit((x: JArray, y: JArray) => x.add(y).mul(3).sub(x)) as (x: JArray, y: JArray) => JArray;
    const prevMin = setWasmMinSize(1);
    try {
      cpu(() => {
        for (const n of [17, 1023, 8195]) {
          const xv = Array.from({ length: n }, (_, i) => wrapTo(d, ((i * 40503 + 5) % 140000) - 70000));
          const yv = Array.from({ length: n }, (_, i) => wrapTo(d, ((i * 7919 + 1) % 140000) - 70000));
          const x = np.array(xv, { dtype: d }) as JArray;
          const y = np.array(yv, { dtype: d }) as JArray;
          const ref = (a: number, b: number) => wrapTo(d, wrapTo(d, wrapTo(d, a + b) * 3) - a);
          const before = wasmLaunchCount();
          const got = f(x, y).dataSync();
          expect(wasmLaunchCount(), `${d} n=${n} ran as WebAssembly`).toBeGreaterThan(before);
          expect(got.constructor.name, d).toBe({ int8: "Int8Array", uint8: "Uint8Array", int16: "Int16Array", uint16: "Uint16Array" }[d]);
          expect(Array.from(got), `${d} n=${n}`).toEqual(xv.map((a, i) => ref(a, yv[i])));
          const sx = x.get([3, n - 1]) as JArray;
          const sy = y.get([1, n - 3]) as JArray;
          expect(Array.from(f(sx, sy).dataSync()), `${d} n=${n} slices`).toEqual(xv.slice(3, n - 1).map((a, i) => ref(a, yv[1 + i])));
          setWasmEnabled(false);
          expect(Array.from(f(x, y).dataSync()), `${d} n=${n}: the JavaScript path`).toEqual(Array.from(got));
          setWasmEnabled(true);
        }
      });
    } finally {
      setWasmMinSize(prevMin);
    }
  });
});

describe.skipIf(!hasGpu)("small-integer outputs: WebGPU equals the CPU's narrow stores", () => {
  it.each(SMALL)("%s: conversion from float32 with edge cases, and a slice", async (d) => {
    const f = (x: JArray) => x.add(BIAS).astype(d) as JArray;
    for (const n of [5, 1023]) {
      const vs = values(n).map((v) => (Number.isFinite(v) && Math.abs(v) < 1e6 ? v : 0.5));
      const c = onCpu(() => np.array(vs, { dtype: "float32" }) as JArray);
      const g = devicePut(c, "webgpu") as JArray;
      expect(g.device).toBe("webgpu");
      const onCpuResult = onCpu(() => jit(f)(c) as JArray).dataSync();
      expect(Array.from(onCpuResult), `${d} n=${n} CPU against a JS loop`).toEqual(vs.map((v) => convertRef(d, Math.fround(v + BIAS))));
      const gpu = await (jit(f)(g) as JArray).data();
      expect(Array.from(gpu), `${d} n=${n}`).toEqual(Array.from(onCpuResult));
      const gs = await (jit(f)(g.get([1, n - 2]) as JArray) as JArray).data();
      expect(Array.from(gs), `${d} n=${n} slice`).toEqual(Array.from(onCpuResult.slice(1, n - 2)));
      // wrapping arithmetic in d
      const h = (x: JArray) => x.mul(x).add(x) as JArray;
      const ci = onCpu(() => np.array(vs.map((v) => wrapTo(d, Math.trunc(v))), { dtype: d }) as JArray);
      const cpuRing = onCpu(() => jit(h)(ci) as JArray).dataSync();
      expect(Array.from(await (jit(h)(devicePut(ci, "webgpu") as JArray) as JArray).data()), `${d} n=${n} wrapping arithmetic`).toEqual(Array.from(cpuRing));
    }
  });
});
