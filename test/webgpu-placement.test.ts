/**
 * A jitted plan runs every step on its inputs' device. A step with no
 * operands (an iota, a constant fill) used to run on the *default* device,
 * so with WebGPU the default and the data on the CPU, the next kernel read a
 * GPU buffer as CPU memory and returned NaNs, silently (and the reverse).
 */
import { describe, expect, it } from "vitest";
import { defaultDevice, devicePut, grad, jit, lax, np } from "../src/index.js";
import type { Value } from "../src/index.js";
import { probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("webgpu-placement.test.ts");

const programs: [string, (v: Value) => Value][] = [
  ["x + iota", (v) => v.add(lax.iota("float32", 7))],
  ["x · arange + 1", (v) => v.mul(np.arange(7)).add(1)],
  ["tri @ x", (v) => np.tri(7).matmul(v)],
  ["x + eye row sums", (v) => v.add(np.eye(7).sum(1))],
  ["iota alone", () => lax.iota("int32", 7)],
];
const values = [0.5, 1, 2, 3, 4, 5, 6];
// independent references, computed by hand
const expected: Record<string, number[]> = {
  "x + iota": values.map((x, i) => x + i),
  "x · arange + 1": values.map((x, i) => x * i + 1),
  "tri @ x": values.map((_, i) => values.slice(0, i + 1).reduce((a, b) => a + b, 0)),
  "x + eye row sums": values.map((x) => x + 1),
  "iota alone": values.map((_, i) => i),
};

describe.skipIf(!hasGpu)("jitted plans run on their inputs' device", () => {
  for (const [name, f] of programs) {
    it(`${name}: CPU data with WebGPU the default, and WebGPU data with the CPU the default`, async () => {
      defaultDevice("webgpu");
      try {
        const onCpu = jit(f)(devicePut(np.array(values), "cpu")) as Value;
        expect([...(await onCpu.data())]).toEqual(expected[name]);
        defaultDevice("cpu");
        const onGpu = jit(f)(devicePut(np.array(values), "webgpu")) as Value;
        expect([...(await onGpu.data())]).toEqual(expected[name]);
      } finally {
        defaultDevice("webgpu");
      }
    });
  }
});

describe.skipIf(!hasGpu)("float64 with WebGPU the default", () => {
  it("new float64 data lands on the CPU (WebGPU has no 64-bit floats), and eager, grad and jit run there in float64", async () => {
    defaultDevice("webgpu");
    try {
      const x = np.array([0.1, 2, -3], "float64");
      expect([x.dtype, (x as unknown as { device: string }).device]).toEqual(["float64", "cpu"]);
      // float64 references computed in plain JS (float32 would round 0.1 + 1)
      expect([...(await np.add(x, 1).data())]).toEqual([0.1 + 1, 3, -2]);
      const g = grad((v: Value) => v.square().sum())(x) as Value;
      expect([g.dtype, [...(await g.data())]]).toEqual(["float64", [0.2, 4, -6]]);
      const s = jit((v: Value) => np.sin(v).mul(2))(x) as Value;
      expect([...(await s.data())]).toEqual([0.1, 2, -3].map((v) => 2 * Math.sin(v)));
      const z = np.zeros([2], "float64");
      expect((z as unknown as { device: string }).device).toBe("cpu");
      // float32 data still goes to the default device
      expect((np.array([1, 2]) as unknown as { device: string }).device).toBe("webgpu");
    } finally {
      defaultDevice("cpu");
    }
  });
});
