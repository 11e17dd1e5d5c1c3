import { describe, expect, it } from "vitest";
import { Array, jit, lax, np, type Value } from "../src/index.js";
import { probeWebGPU, onCpu } from "./device-helpers.js";

const hasGpu = await probeWebGPU("while-webgpu.test.ts");

describe.skipIf(!hasGpu)("smoke", () => {
  it("counts", async () => {
    const f = (n: Value) => lax.whileLoop(([i, s]: [Value, Value]) => i.lt(n), ([i, s]: [Value, Value]) => [i.add(1), s.add(i)] as [Value, Value], [np.array(0, { dtype: "int32" }), np.array(0, { dtype: "int32" })]);
    const [i, s] = f(np.array(10, { dtype: "int32" })) as [Array, Array];
    expect(await i.data()).toEqual(new Int32Array([10]));
    expect(await s.data()).toEqual(new Int32Array([45]));
    const [i2, s2] = jit(f)(np.array(100, { dtype: "int32" })) as [Array, Array];
    expect(await s2.data()).toEqual(new Int32Array([4950]));
    const y = (s2 as Array).add(1);
    expect(await (y as Array).data()).toEqual(new Int32Array([4951]));
  });
});
