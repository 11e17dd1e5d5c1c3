/**
 * float16: IEEE half precision in value on the CPU (the WebGPU side is in
 * webgpu.test.ts). Rounding is checked against the half-precision encoding
 * itself, decoded bit by bit here; arithmetic and promotion against JAX's
 * rules; gradients against float64 finite differences at half-precision
 * tolerance.
 */
import { describe, expect, it } from "vitest";
import { grad, jit, lax, np, random, type Value } from "../src/index.js";
import { roundToFloat16 } from "../src/dtype.js";
import { rand } from "./helpers.js";

/** The value of a half-precision bit pattern (sign, 5-bit exponent, 10-bit fraction). */
function decodeHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  if (exp === 0) return sign * frac * 2 ** -24;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const values = async (x: Value) => Array.from((await (x as { data(): Promise<ArrayLike<number>> }).data()) as ArrayLike<number>);

describe("float16 rounding", () => {
  it("every half is its own rounding; every midpoint goes to the even neighbour; just off a midpoint goes to the nearer", () => {
    const halves: number[] = [];
    for (let b = 0; b < 0x7c00; b++) halves.push(decodeHalf(b)); // +0 … 65504, ascending
    for (const v of halves) {
      expect(roundToFloat16(v)).toBe(v);
      expect(roundToFloat16(-v)).toBe(-v);
    }
    for (let i = 0; i + 1 < halves.length; i++) {
      const [lo, hi] = [halves[i], halves[i + 1]];
      const mid = (lo + hi) / 2;
      const even = i % 2 === 0 ? lo : hi; // bit pattern i is even when its last fraction bit is 0
      expect(roundToFloat16(mid)).toBe(even);
      const eps = (hi - lo) / 8;
      expect(roundToFloat16(mid - eps)).toBe(lo);
      expect(roundToFloat16(mid + eps)).toBe(hi);
    }
  });
  it("overflow, NaN, signed zero and the smallest subnormal", () => {
    expect(roundToFloat16(65504)).toBe(65504);
    expect(roundToFloat16(65519.99)).toBe(65504);
    expect(roundToFloat16(65520)).toBe(Infinity); // the midpoint to 65536 rounds to even: past the range
    expect(roundToFloat16(-1e6)).toBe(-Infinity);
    expect(roundToFloat16(NaN)).toBeNaN();
    expect(Object.is(roundToFloat16(-0), -0)).toBe(true);
    expect(Object.is(roundToFloat16(-1e-9), -0)).toBe(true);
    expect(roundToFloat16(2 ** -24)).toBe(2 ** -24);
    expect(roundToFloat16(2 ** -25)).toBe(0); // halfway to the smallest subnormal: to even (zero)
    expect(roundToFloat16(1.5 * 2 ** -25)).toBe(2 ** -24);
  });
});

describe("float16 arrays", () => {
  it("hold halves: creation, casts and every result are rounded", async () => {
    const x = np.array([1 / 3, 2048, 0.1], { dtype: "float16" });
    expect(x.dtype).toBe("float16");
    expect(await values(x)).toEqual([decodeHalf(0x3555), 2048, decodeHalf(0x2e66)]);
    expect(await values(x.add(1))).toEqual([roundToFloat16(1 + decodeHalf(0x3555)), 2048, roundToFloat16(1 + decodeHalf(0x2e66))]); // 2049 is not a half
    expect(await values(np.array([0.1], { dtype: "float32" }).astype("float16"))).toEqual([decodeHalf(0x2e66)]);
    expect(await values(np.array([300], { dtype: "float16" }).mul(300))).toEqual([Infinity]);
  });
  it("promote as in JAX: weak JS numbers and ints keep float16; float32 and float64 win", () => {
    const h = np.ones([2], { dtype: "float16" });
    expect(h.mul(3).dtype).toBe("float16");
    expect(h.add(np.ones([2], { dtype: "int32" })).dtype).toBe("float16");
    expect(h.add(np.ones([2], { dtype: "float32" })).dtype).toBe("float32");
    expect(h.add(np.ones([2], { dtype: "float64" })).dtype).toBe("float64");
    expect(np.sin(np.ones([2], { dtype: "float16" })).dtype).toBe("float16");
  });
  it("a sum accumulates in float32 and rounds once (3000 ones: 3000, not the 2048 where halves stop counting)", async () => {
    expect(await values(np.ones([3000], { dtype: "float16" }).sum())).toEqual([3000]);
    expect(await values(np.ones([3000], { dtype: "float16" }).mean())).toEqual([1]);
  });
  it("a fused jitted chain rounds each step as eager evaluation does", async () => {
    const f = (x: Value) => np.exp(np.sin(x).mul(2).add(1)).sub(x.square());
    const x = np.array(rand(64, 3, -2, 2), { dtype: "float16" });
    expect(await values(jit(f)(x) as Value)).toEqual(await values(f(x)));
  });
  it("grad in float16 agrees with float64 finite differences to half precision", async () => {
    const f = (x: Value) => np.tanh(x).mul(x).sum();
    const xs = [0.3, -0.7, 1.1];
    const g = await values(grad(f)(np.array(xs, { dtype: "float16" })) as Value);
    const h = 1e-6;
    xs.forEach((x0, i) => {
      const fd = (Math.tanh(x0 + h) * (x0 + h) - Math.tanh(x0 - h) * (x0 - h)) / (2 * h);
      expect(Math.abs(g[i] - fd)).toBeLessThan(4e-3 * Math.max(1, Math.abs(fd)));
    });
  });
  it("nextafter steps one half", async () => {
    const one = np.array([1, 1, 0], { dtype: "float16" });
    const r = await values(lax.nextafter(one, np.array([2, 0, 1], { dtype: "float16" })));
    expect(r).toEqual([1 + 2 ** -10, 1 - 2 ** -11, 2 ** -24]);
  });
  it("random draws: uniform halves in [0, 1) on a 2^-10 grid; normal with mean 0 and deviation 1", async () => {
    const u = await values(random.uniform(random.key(1), [20000], { dtype: "float16" }));
    expect(u.every((v) => v >= 0 && v < 1 && Number.isInteger(v * 1024))).toBe(true);
    expect(Math.abs(u.reduce((s, v) => s + v, 0) / u.length - 0.5)).toBeLessThan(0.01);
    const z = await values(random.normal(random.key(2), [20000], { dtype: "float16" }));
    const mean = z.reduce((s, v) => s + v, 0) / z.length;
    const sd = Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
    expect(z.every((v) => roundToFloat16(v) === v)).toBe(true);
  });
});
