/**
 * JAX's lax names added in issue 16 (src/lax/shape-names.ts, bitcast.ts,
 * mulhi.ts) against real JAX: test/fixtures/breadth2/lax-names.json, written
 * by test/fixtures/breadth2/generate.py. The shape helpers against JAX's
 * results (or its refusals); bitcastConvertType over every float16 class and
 * a sweep of float32 bit patterns, split into bytes and halves and joined
 * back; mulhi over random 32-bit pairs. vmap against a loop, jit against
 * eager, the zero tangent JAX gives a bitcast, typed errors, and the same
 * values on WebGPU (skipped with the reason printed where there is no adapter).
 * test/jax-differential.test.ts runs the array-valued ones against JAX too.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DTypeError, JaxonError, ShapeError, UnsupportedError, devicePut, jit, jvp, lax, np, vmap, type Array as JArray, type Value } from "../src/index.js";
import type { DType } from "../src/dtype.js";
import { onCpu, probeWebGPU } from "./device-helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
interface ShapeCase {
  fn: string;
  args: unknown[];
  out?: number[] | number[][];
  error?: string;
}
const fixture = JSON.parse(readFileSync(join(here, "fixtures", "breadth2", "lax-names.json"), "utf8")) as {
  shapes: ShapeCase[];
  bitcast: Record<"halfBits" | "halfAsInt16" | "f32Bits" | "f32AsInt32" | "f32AsUint8" | "f32AsInt16", number[]> & Record<"halfValues" | "f32Values", (number | string)[]>;
  mulhi: Record<"x" | "y" | "uint32" | "int32" | "xInt32" | "yInt32" | "uint16" | "int8" | "xInt8" | "yInt8", number[]>;
};
const dec = (v: number | string): number => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v === "-0" ? -0 : (v as number));

const hasGpu = await probeWebGPU("lax-names.test.ts");
/** Runs `f` with the CPU as the default device (probeWebGPU made WebGPU the default where it exists). */
const cpu = <T>(f: () => T): T => (hasGpu ? onCpu(f) : f());
const values = async (v: Value): Promise<number[]> => Array.from((await (v as JArray).data()) as ArrayLike<number>);
/** float32 results as their bit patterns: a bitcast must keep every bit. */
const f32BitsOf = async (v: Value): Promise<number[]> => Array.from(new Uint32Array(new Float32Array((await (v as JArray).data()) as Float32Array).buffer));
const shapeFns = lax as unknown as Record<string, (...a: unknown[]) => unknown>;

/** Every bitcast the fixture checks, as (name, function of the device's inputs, JAX's flat values, compare by float32 bits). */
function bitcastChecks(make: (values: readonly number[], dtype: DType, shape?: number[]) => Value) {
  const b = fixture.bitcast;
  const n = b.f32Bits.length;
  const halfValues = b.halfValues.map(dec);
  const f32Values = b.f32Values.map(dec);
  return [
    { name: "uint16 -> float16", run: () => lax.bitcastConvertType(make(b.halfBits, "uint16"), "float16"), want: halfValues, bits: false },
    { name: "uint16 -> int16", run: () => lax.bitcastConvertType(make(b.halfBits, "uint16"), "int16"), want: b.halfAsInt16, bits: false },
    { name: "float16 -> uint16", run: () => lax.bitcastConvertType(make(halfValues, "float16"), "uint16"), want: b.halfBits, bits: false },
    { name: "int16 -> float16", run: () => lax.bitcastConvertType(make(b.halfAsInt16, "int16"), "float16"), want: halfValues, bits: false },
    { name: "uint32 -> float32", run: () => lax.bitcastConvertType(make(b.f32Bits, "uint32"), "float32"), want: b.f32Bits, bits: true },
    { name: "float32 -> int32", run: () => lax.bitcastConvertType(make(f32Values, "float32"), "int32"), want: b.f32AsInt32, bits: false },
    { name: "int32 -> uint32", run: () => lax.bitcastConvertType(make(b.f32AsInt32, "int32"), "uint32"), want: b.f32Bits, bits: false },
    { name: "float32 -> uint8 (split)", run: () => lax.bitcastConvertType(make(f32Values, "float32"), "uint8"), want: b.f32AsUint8, bits: false },
    { name: "float32 -> int16 (split)", run: () => lax.bitcastConvertType(make(f32Values, "float32"), "int16"), want: b.f32AsInt16, bits: false },
    { name: "uint8 -> float32 (join)", run: () => lax.bitcastConvertType(make(b.f32AsUint8, "uint8", [n, 4]), "float32"), want: b.f32Bits, bits: true },
    { name: "int16 -> uint32 (join)", run: () => lax.bitcastConvertType(make(b.f32AsInt16, "int16", [n, 2]), "uint32"), want: b.f32Bits, bits: false },
    { name: "uint8 -> int8", run: () => lax.bitcastConvertType(make(b.f32AsUint8, "uint8"), "int8"), want: b.f32AsUint8.map((v) => (v << 24) >> 24), bits: false },
  ];
}

/** The fixture's mulhi checks: (name, operands, JAX's values). */
function mulhiChecks(make: (values: readonly number[], dtype: DType) => Value) {
  const m = fixture.mulhi;
  return [
    { name: "uint32", run: () => lax.mulhi(make(m.x, "uint32"), make(m.y, "uint32")), want: m.uint32 },
    { name: "int32", run: () => lax.mulhi(make(m.xInt32, "int32"), make(m.yInt32, "int32")), want: m.int32 },
    { name: "uint16", run: () => lax.mulhi(make(m.x.map((v) => v & 0xffff), "uint16"), make(m.y.map((v) => v & 0xffff), "uint16")), want: m.uint16 },
    { name: "int8", run: () => lax.mulhi(make(m.xInt8, "int8"), make(m.yInt8, "int8")), want: m.int8 },
  ];
}

const cpuArray = (v: readonly number[], dtype: DType, shape?: number[]) => {
  const a = np.array([...v], { dtype });
  return shape ? a.reshape(shape) : a;
};

describe("lax shape helpers against JAX", () => {
  it.each(fixture.shapes.map((c, i) => [`${c.fn} #${i}`, c] as const))("%s", (_, c) => {
    const call = () => shapeFns[c.fn](...c.args.map((a) => (a === null ? undefined : a)));
    if (c.error) {
      expect(call, `JAX raised ${c.error}`).toThrow(JaxonError);
      return;
    }
    expect(call()).toEqual(c.out);
  });

  it("refuses bad arguments with typed errors", () => {
    expect(() => lax.broadcastShapes([2], [3])).toThrow(ShapeError);
    expect(() => lax.convShapeTuple([1, 2, 5], [3, 2, 2], [1, 1], "VALID")).toThrow(ShapeError);
    expect(() => lax.convShapeTuple([1, 2, 5], [3, 2, 2], [1], [[-4, -4]])).toThrow(ShapeError);
    expect(() => lax.convGeneralPermutations(["NCHW", "OIHW"] as unknown as [string, string, string])).toThrow(JaxonError);
    expect(() => lax.reduceWindowShapeTuple([4], [2], [0], [[0, 0]])).toThrow(/windowStrides must be positive/);
  });
});

describe("lax.bitcastConvertType on the CPU", () => {
  for (const c of bitcastChecks(cpuArray)) {
    it(`${c.name} equals JAX`, async () => {
      const out = cpu(c.run);
      expect(c.bits ? await f32BitsOf(out) : await values(out)).toEqual(c.want);
    });
  }

  it("has JAX's shapes and dtypes", () => {
    cpu(() => {
      const x = np.zeros([2, 3], { dtype: "float32" });
      expect([lax.bitcastConvertType(x, "uint8").shape, lax.bitcastConvertType(x, "uint8").dtype]).toEqual([[2, 3, 4], "uint8"]);
      expect(lax.bitcastConvertType(np.zeros([2, 2], { dtype: "int16" }), "float32").shape).toEqual([2]);
      expect(lax.bitcastConvertType(np.zeros([5], { dtype: "uint32" }), "int32").weakType).toBe(false);
    });
  });

  it("vmap equals a loop, jit equals eager", async () => {
    const rows = [[1.5, -2, 0.1], [3e38, -0, 7]];
    const f = (x: Value) => lax.bitcastConvertType(x, "uint8");
    const g = (x: Value) => lax.bitcastConvertType(x, "float32");
    const { batched, loop, jitted, eager, joined, joinLoop } = cpu(() => {
      const x = np.array(rows, { dtype: "float32" });
      const bytes = f(x);
      return {
        batched: vmap(f)(x),
        loop: np.stack(rows.map((r) => f(np.array(r, { dtype: "float32" })))),
        jitted: jit(f)(x),
        eager: bytes,
        // the join under vmap over the middle axis
        joined: vmap(g, { inAxes: 1 })(bytes),
        joinLoop: np.stack([0, 1, 2].map((j) => g(bytes.get(":", j)))),
      };
    });
    expect(await values(batched)).toEqual(await values(loop));
    expect(await values(jitted)).toEqual(await values(eager));
    expect(await f32BitsOf(joined)).toEqual(await f32BitsOf(joinLoop));
  });

  it("has a zero tangent, as JAX's (bits are not a differentiable function of the value)", async () => {
    const [y, t] = cpu(() => jvp((x: Value) => lax.bitcastConvertType(x, "float32"), [np.array([1, 2])], [np.array([1, 1])]) as [Value, Value]);
    expect(await values(y)).toEqual([1, 2]);
    expect(await values(t)).toEqual([0, 0]);
  });

  it("refuses what JAX refuses, with typed errors", () => {
    cpu(() => {
      expect(() => lax.bitcastConvertType(np.array([true]), "uint8")).toThrow(DTypeError);
      expect(() => lax.bitcastConvertType(np.array([1, 2, 3], { dtype: "uint8" }), "float32")).toThrow(/last axis must have size 4/);
      expect(() => lax.bitcastConvertType(np.array([1.5]), "complex64")).toThrow(DTypeError);
      expect(() => lax.bitcastConvertType(np.array([1.5], { dtype: "float64" }), "uint32")).toThrow(UnsupportedError);
      expect(lax.bitcastConvertType(np.array([true, false]), "bool").dtype).toBe("bool");
    });
  });
});

describe("lax.mulhi on the CPU", () => {
  for (const c of mulhiChecks(cpuArray)) {
    it(`${c.name} equals JAX`, async () => {
      expect(await values(cpu(c.run))).toEqual(c.want);
    });
  }

  it("vmap equals a loop; floats are refused", async () => {
    const m = fixture.mulhi;
    const { batched, loop } = cpu(() => {
      const x = np.array(m.xInt32.slice(0, 12), { dtype: "int32" }).reshape([3, 4]);
      const y = np.array(m.yInt32.slice(0, 4), { dtype: "int32" });
      return {
        batched: vmap((a: Value) => lax.mulhi(a, y))(x),
        loop: np.stack([0, 1, 2].map((i) => lax.mulhi(x.get(i), y))),
      };
    });
    expect(await values(batched)).toEqual(await values(loop));
    expect(() => cpu(() => lax.mulhi(np.array([1.5]), np.array([2.5])))).toThrow(DTypeError);
    expect(() => cpu(() => lax.mulhi(np.array([1], { dtype: "int32" }), np.array([1], { dtype: "uint32" })))).toThrow(DTypeError);
  });
});

describe("lax.stack, unstack, empty, broadcastLike", () => {
  it("stack and unstack undo each other, under vmap as in a loop", async () => {
    const { s, parts, batched, loop } = cpu(() => {
      const a = np.arange(6).reshape([2, 3]);
      const b = np.arange(6, 12).reshape([2, 3]);
      const stacked = lax.stack([a, b], 1);
      const x = np.arange(24).reshape([2, 3, 4]);
      const f = (r: Value) => lax.stack(lax.unstack(r, 1).reverse(), 0);
      return {
        s: stacked,
        parts: lax.unstack(stacked, 1),
        batched: vmap(f)(x),
        loop: np.stack([0, 1].map((i) => f(x.get(i)))),
      };
    });
    expect(s.shape).toEqual([2, 2, 3]);
    expect(await values(parts[0])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await values(parts[1])).toEqual([6, 7, 8, 9, 10, 11]);
    expect(await values(batched)).toEqual(await values(loop));
  });

  it("empty has the shape and dtype asked for; broadcastLike broadcasts to the other's shape", async () => {
    const { e, b } = cpu(() => ({ e: lax.empty([2, 3], "int32"), b: lax.broadcastLike(np.array([[1], [2]]), np.zeros([2, 2, 3])) }));
    expect([e.shape, e.dtype]).toEqual([[2, 3], "int32"]);
    expect(b.shape).toEqual([2, 2, 3]);
    expect(await values(b)).toEqual([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]);
    expect(() => cpu(() => lax.stack([np.zeros([2]), np.zeros([3])]))).toThrow(ShapeError);
    expect(() => cpu(() => lax.broadcastLike(np.zeros([3]), np.zeros([2])))).toThrow(ShapeError);
  });
});

describe.skipIf(!hasGpu)("on WebGPU, equal to JAX and to the CPU", () => {
  const gpuArray = (v: readonly number[], dtype: DType, shape?: number[]) => devicePut(cpu(() => cpuArray(v, dtype, shape)), "webgpu");

  for (const c of bitcastChecks(gpuArray)) {
    it(`bitcastConvertType ${c.name}`, async () => {
      const out = c.run();
      expect((out as JArray).device).toBe("webgpu");
      expect(c.bits ? await f32BitsOf(out) : await values(out)).toEqual(c.want);
    });
  }
  for (const c of mulhiChecks(gpuArray)) {
    it(`mulhi ${c.name}`, async () => {
      const out = c.run();
      expect((out as JArray).device).toBe("webgpu");
      expect(await values(out)).toEqual(c.want);
    });
  }

  it("jit and vmap of a bitcast and mulhi on the GPU equal the CPU", async () => {
    const m = fixture.mulhi;
    const f = (x: Value, y: Value) => lax.bitcastConvertType(lax.mulhi(x, y), "float32");
    const x = m.xInt32.slice(0, 8);
    const y = m.yInt32.slice(0, 8);
    const gx = gpuArray(x, "int32", [2, 4]);
    const gy = gpuArray(y, "int32", [2, 4]);
    const [cj, cv] = cpu(() => {
      const cx = cpuArray(x, "int32", [2, 4]);
      const cy = cpuArray(y, "int32", [2, 4]);
      return [jit(f)(cx, cy), vmap(f)(cx, cy)];
    });
    expect(await f32BitsOf(jit(f)(gx, gy))).toEqual(await f32BitsOf(cj));
    expect(await f32BitsOf(vmap(f)(gx, gy))).toEqual(await f32BitsOf(cv));
  });
});
