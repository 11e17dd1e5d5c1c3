/**
 * Narrow reads of the 8- and 16-bit integers: the CPU's WebAssembly kernels
 * load an int8/uint8/int16/uint16 input that feeds a cast to float32 with
 * narrow loads (v128.load32_zero widened twice, v128.load16x4, and
 * i32.load8/load16 for single elements) instead of leaving the kernel to the
 * JavaScript path. Checked against a plain JS loop (wrap-around of the stored
 * values, sign extension, odd lengths, offsets, slices and broadcasts), against
 * the JavaScript kernels, and WebGPU against the CPU; that the narrow path ran
 * is shown by the plan (`inputDtypes`), the module's opcodes and the launch counter.
 *
 * On WebGPU the values are stored packed, four or two to a 32-bit word
 * (src/backend/webgpu/small-ints.ts), so transfers copy the host's bytes:
 * round trips of every width at lengths not a multiple of 4, sign extension,
 * and the buffer's byte size to show the packing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { devicePut, jit, numpy as np } from "../src/index.js";
import type { Array as JArray } from "../src/index.js";
import type { DType, TypedArray } from "../src/dtype.js";
import type { Expr, Kernel } from "../src/backend/kernel.js";
import { binary, cast, constant, load, unary } from "../src/backend/kernel.js";
import { compileKernel } from "../src/backend/cpu/codegen.js";
import { alloc } from "../src/backend/cpu/memory.js";
import { buildModule, planKernel } from "../src/backend/cpu/wasm/compiler.js";
import { runWasmKernel, setWasmEnabled, setWasmMinSize, wasmLaunchCount } from "../src/backend/cpu/wasm/index.js";
import { wasmMemory } from "../src/backend/cpu/memory.js";
import { onCpu, probeWebGPU } from "./device-helpers.js";
import type { GpuBuffer } from "../src/backend/webgpu/buffers.js";

const SMALL = ["int8", "uint8", "int16", "uint16"] as const;
type Small = (typeof SMALL)[number];
const CTOR: Record<Small, new (n: number) => TypedArray> = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array };
/** The value a JS number keeps when stored in the dtype (two's complement wrap-around), computed by hand. */
function wrapTo(d: Small, v: number): number {
  const bits = d.endsWith("8") ? 8 : 16;
  const m = ((Math.trunc(v) % 2 ** bits) + 2 ** bits) % 2 ** bits;
  return d.startsWith("u") || m < 2 ** (bits - 1) ? m : m - 2 ** bits;
}
/** Raw values reaching past each width both ways, so that storing them wraps. */
const raw = (n: number, seed = 1) => Array.from({ length: n }, (_, i) => ((i * 40503 + seed * 977) % 140000) - 70000);
const MEAN = Math.fround(0.1307);
const STD = Math.fround(0.3081);
/** (x − mean) / std in float32, one element at a time. */
const normaliseRef = (x: number) => Math.fround(Math.fround(x - MEAN) / STD);

function pooled(d: Small, values: number[]): TypedArray {
  const a = alloc(d, values.length);
  for (let i = 0; i < values.length; i++) a[i] = values[i];
  return a;
}
const contiguous = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** The normalise kernel over `shape` reading one small-integer input through `view`, plus an optional float32 input. */
function normaliseKernel(d: DType, shape: number[], view = { strides: contiguous(shape), offset: 0 }, extra?: { strides: number[]; offset: number }): Kernel {
  let expr: Expr = binary("div", binary("sub", cast(load(0, d), "float32"), constant(MEAN, "float32")), constant(STD, "float32"));
  if (extra) expr = binary("add", expr, load(1, "float32"));
  const inputs = [{ dtype: d, view }];
  if (extra) inputs.push({ dtype: "float32", view: extra });
  return { loopShape: shape, inputs, expr, dtype: "float32" };
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

const hasGpu = await probeWebGPU("small-ints-packed.test.ts");
/** Runs f with the CPU as the default device (the probe makes WebGPU the default where it exists). */
const cpu = <T>(f: () => T): T => (hasGpu ? onCpu(f) : f());

describe("narrow loads of small integers in the CPU's WebAssembly kernels", () => {
  it("plans small-integer inputs under a cast to float32 and emits narrow loads", () => {
    const mem = wasmMemory()!;
    for (const d of SMALL) {
      const plan = planKernel(normaliseKernel(d, [64, 28, 28, 1]));
      expect(plan, d).not.toBeNull();
      expect(plan!.inputDtypes).toEqual([d]);
      const bytes = buildModule(plan!, mem);
      expect(WebAssembly.validate(bytes), d).toBe(true);
      const signed = d.startsWith("int");
      if (d.endsWith("8")) {
        // v128.load32_zero (0xfd 0x5c) then the two extends; i32.load8_s/u (0x2c/0x2d) for tail elements
        expect(hasOps(bytes, [0xfd, 0x5c]), d).toBe(true);
        expect(hasOps(bytes, [0xfd, signed ? 0x87 : 0x89, 0x01]), d).toBe(true);
        expect(hasOps(bytes, [signed ? 0x2c : 0x2d, 0x00]), d).toBe(true);
      } else {
        // v128.load16x4_s/u (0xfd 0x03/0x04); i32.load16_s/u (0x2e/0x2f) for tail elements
        expect(hasOps(bytes, [0xfd, signed ? 0x03 : 0x04]), d).toBe(true);
        expect(hasOps(bytes, [signed ? 0x2e : 0x2f, 0x00]), d).toBe(true);
      }
    }
  });

  it("declines a small-integer input under an op without an integer vector form", () => {
    // a float64 value has no lanes here (population_count and integer powers now run: int-ops-wasm.test.ts)
    const v = { strides: [1], offset: 0 };
    const f64: Kernel = { loopShape: [64], inputs: [{ dtype: "uint8", view: v }], expr: cast(load(0, "uint8"), "float64"), dtype: "float64" };
    expect(planKernel(f64)).toBeNull();
    const back: Kernel = { loopShape: [64], inputs: [{ dtype: "int8", view: v }], expr: cast(binary("mul", cast(load(0, "int8"), "float64"), cast(load(0, "int8"), "float64")), "int8"), dtype: "int8" };
    expect(planKernel(back)).toBeNull();
    const pop: Kernel = { loopShape: [64], inputs: [{ dtype: "uint8", view: v }], expr: unary("population_count", load(0, "uint8"), "uint8"), dtype: "uint8" };
    expect(planKernel(pop)?.outDtypes).toEqual(["uint8"]);
  });

  it.each(SMALL)("%s: odd lengths, offsets, row strides and broadcasts equal a JS loop and the JavaScript kernel", (d) => {
    const cases: { shape: number[]; n: number; view?: { strides: number[]; offset: number }; at: (idx: number[]) => number }[] = [];
    for (const L of [1, 3, 4, 5, 7, 17, 1023, 8195]) cases.push({ shape: [L], n: L, at: ([i]) => i });
    // an offset view (a slice) and rows of a wider array: [3, 13] inside [4, 16] from element 5
    cases.push({ shape: [3, 13], n: 70, view: { strides: [16, 1], offset: 5 }, at: ([r, c]) => 5 + 16 * r + c });
    // the same value along each row (innermost stride 0: one narrow scalar load, splatted)
    cases.push({ shape: [5, 9], n: 5, view: { strides: [1, 0], offset: 0 }, at: ([r]) => r });
    // a long ragged row cut into chunks, starting at an odd offset
    cases.push({ shape: [2, 9001], n: 18010, view: { strides: [9005, 1], offset: 3 }, at: ([r, c]) => 3 + 9005 * r + c });
    for (const c of cases) {
      const values = raw(c.n, c.shape[0]);
      const input = pooled(d, values);
      const k = normaliseKernel(d, c.shape, c.view);
      const size = c.shape.reduce((a, b) => a * b, 1);
      const w = alloc("float32", size) as Float32Array;
      expect(runWasmKernel(k, w, [input]), `${d} ${c.shape}`).toBe(true);
      const j = new Float32Array(size);
      compileKernel(k)(j, input);
      const expected = new Float32Array(size);
      const [R, C] = c.shape.length === 2 ? c.shape : [1, c.shape[0]];
      for (let r = 0; r < R; r++) {
        for (let col = 0; col < C; col++) expected[r * C + col] = normaliseRef(wrapTo(d, values[c.at(c.shape.length === 2 ? [r, col] : [col])]));
      }
      expect(Array.from(w), `${d} ${c.shape} against a JS loop`).toEqual(Array.from(expected));
      expect(Array.from(w), `${d} ${c.shape} against the JavaScript kernel`).toEqual(Array.from(j));
    }
  });

  it("a second, float32 input broadcast along rows mixes with the narrow one", () => {
    const shape = [6, 11];
    const values = raw(66, 3);
    const input = pooled("int16", values);
    const bias = alloc("float32", 6) as Float32Array;
    bias.set([0.5, -1, 2, 3.25, -4, 8]);
    const k = normaliseKernel("int16", shape, undefined, { strides: [1, 0], offset: 0 });
    const w = alloc("float32", 66) as Float32Array;
    expect(runWasmKernel(k, w, [input, bias])).toBe(true);
    const expected = Array.from({ length: 66 }, (_, i) => Math.fround(normaliseRef(wrapTo("int16", values[i])) + bias[Math.floor(i / 11)]));
    expect(Array.from(w)).toEqual(expected);
  });

  it.each(SMALL)("%s: jit(normalise) on arrays, slices and wrapped values runs as WebAssembly and equals a JS loop", (d) => {
    const f = jit((x: JArray) => x.astype("float32").sub(0.1307).div(0.3081)) as (x: JArray) => JArray;
    const prevMin = setWasmMinSize(1);
    try {
      cpu(() => {
      for (const n of [17, 1023, 4099]) {
        const values = raw(n, 7);
        // np.array stores the wrapped values (values past the width wrap, as JAX's astype of int32 does)
        const x = np.array(values, { dtype: "int32" }).astype(d) as JArray;
        const before = wasmLaunchCount();
        const got = f(x).dataSync();
        expect(wasmLaunchCount(), `${d} n=${n} ran as WebAssembly`).toBeGreaterThan(before);
        expect(Array.from(got)).toEqual(values.map((v) => normaliseRef(wrapTo(d, v))));
        // a slice from an odd offset with an odd length
        const s = x.get([3, n - 1]) as JArray;
        const gotSlice = f(s).dataSync();
        expect(Array.from(gotSlice), `${d} n=${n} slice`).toEqual(values.slice(3, n - 1).map((v) => normaliseRef(wrapTo(d, v))));
        // the JavaScript path gives the same
        setWasmEnabled(false);
        expect(Array.from(f(x).dataSync())).toEqual(Array.from(got));
        setWasmEnabled(true);
      }
      });
    } finally {
      setWasmMinSize(prevMin);
    }
  });
});

describe.skipIf(!hasGpu)("small integers: WebGPU equals the CPU's narrow path", () => {
  it.each(SMALL)("%s: normalise, odd lengths and a slice", async (d) => {
    const f = (x: JArray) => x.astype("float32").sub(0.1307).div(0.3081) as JArray;
    for (const n of [1, 5, 1023, 4099]) {
      const values = raw(n, 11);
      const host = new CTOR[d](n);
      for (let i = 0; i < n; i++) host[i] = values[i];
      const c = onCpu(() => np.array(host, { dtype: d }) as JArray);
      const g = devicePut(c, "webgpu") as JArray;
      expect(g.device).toBe("webgpu");
      const cpu = onCpu(() => jit(f)(c) as JArray).dataSync();
      const gpu = await (jit(f)(g) as JArray).data();
      expect(Array.from(gpu), `${d} n=${n}`).toEqual(Array.from(cpu));
      expect(Array.from(await g.data()), `${d} n=${n} readback`).toEqual(Array.from(host));
      if (n > 4) {
        const gs = await (jit(f)(g.get([1, n - 2]) as JArray) as JArray).data();
        expect(Array.from(gs), `${d} n=${n} slice`).toEqual(Array.from(cpu.slice(1, n - 2)));
      }
    }
  });
});

describe.skipIf(!hasGpu)("small integers: packed storage, uploads and readbacks on WebGPU", () => {
  it.each(SMALL)("%s: round trips at odd lengths around the threshold equal the host values", async (d) => {
    for (const n of [1, 3, 255, 256, 257, 259, 4099]) {
      const values = raw(n, 5);
      const host = new CTOR[d](n);
      for (let i = 0; i < n; i++) host[i] = values[i];
      // the host array itself wraps; the JS loop says what it must hold
      expect(Array.from(host)).toEqual(values.map((v) => wrapTo(d, v)));
      const g = devicePut(onCpu(() => np.array(host, { dtype: d }) as JArray), "webgpu") as JArray;
      // stored packed: the buffer holds the host's bytes, n times the width
      expect((g.buffer as GpuBuffer).bytes, `${d} n=${n} device bytes`).toBe(n * host.BYTES_PER_ELEMENT);
      const back = await g.data();
      expect(back.constructor, `${d} n=${n}`).toBe(CTOR[d]);
      expect(Array.from(back), `${d} n=${n}`).toEqual(Array.from(host));
      // a value computed on the device (so its words were made by a kernel, not an upload) reads back packed too
      const doubled = await (np.add(g, g) as JArray).data();
      expect(Array.from(doubled), `${d} n=${n} x + x`).toEqual(values.map((v) => wrapTo(d, 2 * wrapTo(d, v))));
      // a sliced view at an odd offset
      if (n > 8) expect(Array.from(await (g.get([3, n - 2]) as JArray).data()), `${d} n=${n} slice`).toEqual(Array.from(host.slice(3, n - 2)));
    }
  });

  it("a uint8 image batch uploaded packed normalises on the device as on the CPU", async () => {
    const n = 64 * 28 * 28;
    const host = Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);
    const c = onCpu(() => np.array(host, { dtype: "uint8" }).reshape([64, 28, 28, 1]) as JArray);
    const g = devicePut(c, "webgpu") as JArray;
    expect((g.buffer as GpuBuffer).bytes).toBe(n);
    const f = (x: JArray) => x.astype("float32").sub(0.1307).div(0.3081) as JArray;
    const gpu = await (jit(f)(g) as JArray).data();
    expect(Array.from(gpu)).toEqual(Array.from(host, (v) => normaliseRef(v)));
  });
});
