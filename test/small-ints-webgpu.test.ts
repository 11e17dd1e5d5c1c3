/**
 * int8, uint8, int16 and uint16 on WebGPU: every case of the JAX fixture
 * (test/fixtures/small-ints/, as test/small-ints.test.ts runs on the CPU)
 * on the GPU against JAX's values and the CPU's, odd lengths (1, 3, 5, 1023)
 * included; jit and vmap on the GPU against the CPU; uploads and readbacks
 * of each width.
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { describe, expect, it } from "vitest";
import { devicePut, jit, np, vmap, type Array as JArray, type Value } from "../src/index.js";
import { onCpu, probeWebGPU } from "./device-helpers.js";
import { fixture, run, sameAs, toArray, type Case } from "./small-ints-cases.js";

const hasGpu = await probeWebGPU("small-ints-webgpu.test.ts");

const host = async (v: Value) => {
  const a = v as JArray;
  return { dtype: a.dtype, shape: a.shape, data: Array.from((await a.data()) as ArrayLike<number>) };
};
const gpuInputs = (c: Case) => c.inputs.map((e) => devicePut(toArray(e), "webgpu") as JArray);

describe.skipIf(!hasGpu)("small integer dtypes on WebGPU against JAX and the CPU", () => {
  it.each(fixture.cases.map((c) => [c.id, c] as const))("%s", async (_, c) => {
    const outs = run(c, gpuInputs(c));
    const cpu = onCpu(() => run(c, c.inputs.map(toArray)));
    for (let k = 0; k < outs.length; k++) {
      expect((outs[k] as JArray).device, c.id).toBe("webgpu");
      const got = await host(outs[k]);
      expect(sameAs(got, c.outs[k]), `${c.id} output ${k} against JAX`).toBeNull();
      expect(got.data, `${c.id} output ${k} against the CPU`).toEqual((await host(cpu[k])).data);
    }
  });

  it("jit and vmap on the GPU equal the CPU", async () => {
    const ids = ["add/int8", "multiply/uint16", "shiftRightLogical/int8", "cumsum/uint8", "sum/axis1/int16", "sort/uint8", "at.add/uint8", "packbits/axis1/big", "unpackbits/axis1-count5/little", "cast/int32->int8", "odd1023/multiply/int8"];
    for (const id of ids) {
      const c = fixture.cases.find((k) => k.id === id)!;
      const f = (...a: Value[]) => run(c, a);
      const batchOf = (xs: Value[]) => xs.map((x) => np.stack([x, np.flip(x).reshape(x.shape)]));
      const gx = gpuInputs(c);
      const cx = onCpu(() => c.inputs.map(toArray));
      const gj = jit(f)(...gx) as Value[];
      const gv = vmap(f)(...batchOf(gx)) as Value[];
      const [cj, cv] = onCpu(() => [jit(f)(...cx) as Value[], vmap(f)(...batchOf(cx)) as Value[]]);
      for (let k = 0; k < gj.length; k++) {
        expect((await host(gj[k])).data, `${id} jit`).toEqual((await host(cj[k])).data);
        expect((await host(gv[k])).data, `${id} vmap`).toEqual((await host(cv[k])).data);
        expect(gv[k].dtype).toBe(cv[k].dtype);
      }
    }
  });

  it("uploads and reads back each width at odd lengths, and normalises uint8 pixels on the device", async () => {
    for (const n of [1, 3, 5, 1023]) {
      const u8 = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255);
      const i8 = Int8Array.from(u8);
      const i16 = Int16Array.from({ length: n }, (_, i) => i * 131 - 30000);
      const u16 = Uint16Array.from(i16);
      for (const data of [u8, i8, i16, u16]) {
        const x = devicePut(np.array(data), "webgpu") as JArray;
        const back = await x.data();
        expect(back.constructor).toBe(data.constructor);
        expect(Array.from(back as ArrayLike<number>)).toEqual(Array.from(data));
      }
      const pixels = devicePut(np.array(u8), "webgpu") as JArray;
      const norm = pixels.astype("float32").div(255);
      expect(Array.from(await norm.data())).toEqual(Array.from(u8, (p) => Math.fround(p / 255)));
    }
  });
});
