/**
 * int8, uint8, int16 and uint16 stored packed on WebGPU, four or two to a
 * 32-bit word (src/backend/webgpu/small-ints.ts): the buffer's byte size is
 * the host's, and every result equals the CPU's, computed independently
 * there — wrap-around and sign extension at lengths 1…8195 (not multiples of
 * 4 included), slices at odd offsets, broadcasts, fused kernels with several
 * outputs one of which is small, and the routines that run on the wide form
 * between a widen and a pack (reductions, matmul, gather, scatter, sort,
 * cumsum), casts both ways, jit. Elementwise kernels that read and write the
 * packed words themselves are checked against the widen/pack path too
 * (`setPackedKernels(false)`), and the adapter's counters show which ran.
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { afterEach, describe, expect, it } from "vitest";
import { devicePut, jit, numpy as np } from "../src/index.js";
import type { Array as JArray } from "../src/index.js";
import type { GpuBuffer } from "../src/backend/webgpu/buffers.js";
import { setPackedKernels } from "../src/backend/webgpu/index.js";
import { smallIntAdapterCounts } from "../src/backend/webgpu/small-ints.js";
import { lowerBindingLimitForTests } from "../src/backend/webgpu/context.js";
import { onCpu, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("small-ints-webgpu-storage.test.ts");

const SMALL = ["int8", "uint8", "int16", "uint16"] as const;
type Small = (typeof SMALL)[number];
const WIDTH: Record<Small, number> = { int8: 1, uint8: 1, int16: 2, uint16: 2 };
/** Values reaching past every width both ways (stored, they wrap). */
const raw = (n: number, seed = 1) => Array.from({ length: n }, (_, i) => ((i * 40503 + seed * 977) % 140000) - 70000);

const HOST = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, float32: Float32Array };
/** The same array on the CPU and on WebGPU, made on the CPU from the host's typed array (which wraps the values) and moved. */
function both(d: Small | "float32" | "int32", values: number[], shape = [values.length]): { c: JArray; g: JArray } {
  const c = onCpu(() => np.array(HOST[d].from(values), { dtype: d }).reshape(shape) as JArray);
  return { c, g: devicePut(c, "webgpu") as JArray };
}
const cpuData = (f: () => JArray) => Array.from(onCpu(() => f().dataSync()) as ArrayLike<number>);
const gpuData = async (a: JArray) => {
  expect(a.device).toBe("webgpu");
  return Array.from((await a.data()) as ArrayLike<number>);
};
const bytesOf = (a: JArray) => (a.buffer as GpuBuffer).bytes;

afterEach(() => {
  setPackedKernels(true);
  lowerBindingLimitForTests(null);
});

describe.skipIf(!hasGpu)("small integers stored packed on WebGPU", () => {
  it.each(SMALL)("%s: packed bytes, round trips, wrap-around and sign extension at lengths 1…8195", async (d) => {
    for (const n of [1, 3, 4, 5, 9, 1023, 8195]) {
      const { c, g } = both(d, raw(n, n));
      expect(bytesOf(g), `${d} n=${n} device bytes`).toBe(n * WIDTH[d]);
      expect(await gpuData(g), `${d} n=${n} round trip`).toEqual(Array.from(c.dataSync() as ArrayLike<number>));
      // arithmetic that wraps, a comparison and a cast to float32 (sign extension), in one elementwise kernel each
      const f = (x: JArray) => x.mul(3).add(x).sub(7) as JArray;
      const r = f(g);
      expect(bytesOf(r), `${d} n=${n} result bytes`).toBe(n * WIDTH[d]);
      expect(await gpuData(r), `${d} n=${n} x*3+x-7`).toEqual(cpuData(() => f(c)));
      expect(await gpuData(g.astype("float32") as JArray), `${d} n=${n} → float32`).toEqual(cpuData(() => c.astype("float32") as JArray));
      expect(await gpuData(g.lt(0) as JArray), `${d} n=${n} x < 0`).toEqual(cpuData(() => c.lt(0) as JArray));
    }
  });

  it.each(SMALL)("%s: slices at odd offsets, broadcasts, and casts both ways", async (d) => {
    const n = 1037;
    const { c, g } = both(d, raw(n, 3));
    for (const [a, b, s] of [[1, n, 1], [3, n - 2, 1], [5, n, 3], [2, 9, 2]] as const) {
      expect(await gpuData(g.get([a, b, s]) as JArray), `${d} slice ${a}:${b}:${s}`).toEqual(cpuData(() => c.get([a, b, s]) as JArray));
      // a slice feeding arithmetic: the kernel reads the packed words at an element offset not a multiple of 4
      const h = (x: JArray) => x.get([a, b, s]).add(x.get([a, b, s]).mul(2)) as JArray;
      expect(await gpuData(h(g)), `${d} slice arithmetic ${a}:${b}:${s}`).toEqual(cpuData(() => h(c)));
    }
    const { c: rc, g: rg } = both(d, raw(3 * 7, 4), [3, 7]);
    const { c: col, g: gcol } = both(d, raw(3, 5), [3, 1]);
    const bc = (x: JArray, y: JArray) => x.add(y).transpose() as JArray;
    expect(await gpuData(bc(rg, gcol)), `${d} broadcast + transpose`).toEqual(cpuData(() => bc(rc, col)));
    const fl = both("float32", raw(n, 6).map((v) => v / 7));
    for (const to of SMALL) {
      expect(await gpuData(g.astype(to) as JArray), `${d} → ${to}`).toEqual(cpuData(() => c.astype(to) as JArray));
    }
    expect(await gpuData(fl.g.astype(d) as JArray), `float32 → ${d}`).toEqual(cpuData(() => fl.c.astype(d) as JArray));
    const i32 = both("int32", raw(n, 7).map((v) => v * 40000));
    expect(await gpuData(i32.g.astype(d) as JArray), `int32 → ${d}`).toEqual(cpuData(() => i32.c.astype(d) as JArray));
  });

  it.each(SMALL)("%s: routines on the wide form (reductions, matmul, gather, scatter, sort, cumsum) equal the CPU", async (d) => {
    const { c, g } = both(d, raw(6 * 13, 8), [6, 13]);
    const cases: [string, (x: JArray) => JArray][] = [
      ["sum", (x) => np.sum(x, 1) as JArray],
      ["max", (x) => np.max(x, 0) as JArray],
      ["min", (x) => np.min(x) as JArray],
      ["matmul", (x) => np.matmul(x, x.transpose()) as JArray],
      ["take", (x) => np.take(x, np.array([5, 0, 3, 3], { dtype: "int32" }), 0) as JArray],
      ["at.add", (x) => x.at(np.array([1, 1, 4], { dtype: "int32" })).add(np.full([3, 13], 100, { dtype: d })) as JArray],
      ["at.set", (x) => x.at(2).set(np.full([13], -3, { dtype: "int32" }).astype(d)) as JArray],
      ["sort", (x) => np.sort(x, 1) as JArray],
      ["cumsum", (x) => np.cumsum(x, 1) as JArray],
      ["argmax", (x) => np.argmax(x, 1) as JArray],
    ];
    for (const [name, f] of cases) {
      const r = f(g);
      expect(r.dtype, `${d} ${name}`).toBe(onCpu(() => f(c).dtype));
      expect(await gpuData(r), `${d} ${name}`).toEqual(cpuData(() => f(c)));
    }
  });

  it("fused kernels with several outputs, one of them small, and jit: the packed kernel equals the CPU and the widen/pack path", async () => {
    for (const n of [5, 8195]) {
      for (const d of SMALL) {
        const { c, g } = both(d, raw(n, 9));
        const f = jit((x: JArray) => [x.add(1), x.astype("float32").mul(0.5), x.astype("int16").mul(x), x.eq(0)] as JArray[]) as (x: JArray) => JArray[];
        const want = onCpu(() => (f(c) as JArray[]).map((a) => Array.from(a.dataSync() as ArrayLike<number>)));
        const before = smallIntAdapterCounts();
        const native = f(g);
        const after = smallIntAdapterCounts();
        // read and written packed: nothing widened or packed around it
        expect(after, `${d} n=${n} adapter counts`).toEqual(before);
        setPackedKernels(false);
        const wide = f(g);
        setPackedKernels(true);
        expect(smallIntAdapterCounts().widened, `${d} n=${n} the wide path widens`).toBeGreaterThan(after.widened);
        for (let k = 0; k < want.length; k++) {
          expect(await gpuData(native[k]), `${d} n=${n} output ${k} packed kernel`).toEqual(want[k]);
          expect(await gpuData(wide[k]), `${d} n=${n} output ${k} widen/pack`).toEqual(want[k]);
        }
      }
    }
  });

  it("a kernel larger than one binding runs on the wide form in chunks and equals the CPU", async () => {
    // 64 KiB bindings: the wide form of 40,000 int8 values (160 KB) needs chunks, the packed one (40 KB) would not
    lowerBindingLimitForTests(65536);
    const n = 40000;
    for (const d of ["int8", "uint16"] as const) {
      const { c, g } = both(d, raw(n, 11), [200, 200]);
      const f = jit((x: JArray) => [x.mul(5).add(x.transpose()), x.astype("float32").mul(2)] as JArray[]) as (x: JArray) => JArray[];
      const got = f(g);
      const want = onCpu(() => f(c).map((a) => Array.from(a.dataSync() as ArrayLike<number>)));
      expect(bytesOf(got[0]), `${d} result bytes`).toBe(n * WIDTH[d]);
      for (let k = 0; k < want.length; k++) expect(await gpuData(got[k]), `${d} output ${k}`).toEqual(want[k]);
    }
  });

  it("a uint8 image batch normalises on the device as on the CPU, stored in a quarter of the bytes", async () => {
    const shape = [8, 28, 28, 1];
    const n = 8 * 28 * 28;
    const values = Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);
    const { c, g } = both("uint8", values, shape);
    expect(bytesOf(g)).toBe(n);
    const norm = jit((x: JArray) => x.astype("float32").div(255).sub(0.1307).div(0.3081) as JArray) as (x: JArray) => JArray;
    const augment = jit((x: JArray) => np.clip(x.astype("float32").mul(1.2).add(10), 0, 255).astype("uint8") as JArray) as (x: JArray) => JArray;
    expect(await gpuData(norm(g))).toEqual(cpuData(() => norm(c)));
    const a = augment(g);
    expect(bytesOf(a)).toBe(n);
    expect(await gpuData(a)).toEqual(cpuData(() => augment(c)));
    expect(await gpuData(norm(augment(g)))).toEqual(cpuData(() => norm(augment(c))));
  });
});
