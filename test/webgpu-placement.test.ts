/**
 * A jitted plan runs every step on its inputs' device. A step with no
 * operands (an iota, a constant fill) used to run on the *default* device,
 * so with WebGPU the default and the data on the CPU, the next kernel read a
 * GPU buffer as CPU memory and returned NaNs, silently (and the reverse).
 */
import { describe, expect, it } from "vitest";
import { defaultDevice, devicePut, jit, lax, np } from "../src/index.js";
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
