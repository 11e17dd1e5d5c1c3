/**
 * Printing arrays as a user meets it: NumPy's summary (`...`, three items at
 * each end of every axis) past 1,000 elements, the whole array up to it, and
 * a GPU array that says how to read its values instead of printing none.
 */
import { describe, expect, it } from "vitest";
import { defaultDevice, devicePut, np } from "../src/index.js";
import { probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("package-print.test.ts");
// the printing cases read values synchronously: on the CPU
defaultDevice("cpu");

describe("String(x)", () => {
  it("prints 1,000 elements in full", () => {
    const text = String(np.arange(1000));
    expect(text).not.toContain("...");
    expect(text).toBe(`Array([${Array.from({ length: 1000 }, (_, i) => i).join(", ")}], dtype=int32)`);
  });

  it("summarizes 1,001 and more as NumPy does: three at each end of every axis", () => {
    expect(String(np.arange(1001))).toBe("Array([0, 1, 2, ..., 998, 999, 1000], dtype=int32)");
    expect(String(np.arange(3000).reshape([30, 100]))).toBe(
      [
        "Array([[0, 1, 2, ..., 97, 98, 99],",
        "       [100, 101, 102, ..., 197, 198, 199],",
        "       [200, 201, 202, ..., 297, 298, 299],",
        "       ...,",
        "       [2700, 2701, 2702, ..., 2797, 2798, 2799],",
        "       [2800, 2801, 2802, ..., 2897, 2898, 2899],",
        "       [2900, 2901, 2902, ..., 2997, 2998, 2999]], dtype=int32)",
      ].join("\n"),
    );
  });

  it("keeps short axes whole in a summarized array", () => {
    expect(String(np.arange(2000).reshape([1000, 2]))).toBe(
      ["Array([[0, 1],", "       [2, 3],", "       [4, 5],", "       ...,", "       [1994, 1995],", "       [1996, 1997],", "       [1998, 1999]], dtype=int32)"].join("\n"),
    );
  });

  it.skipIf(!hasGpu)("of a WebGPU array says how to see its values", async () => {
    const x = devicePut(np.arange(3), "webgpu");
    expect(String(x)).toBe('Array(shape=(3,), dtype=int32, device=webgpu; values: await x.data(), await x.array(), or String(await devicePutAsync(x, "cpu")))');
    expect(await x.array()).toEqual([0, 1, 2]);
  });
});
