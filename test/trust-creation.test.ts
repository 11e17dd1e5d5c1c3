/**
 * Creation functions at every size: the values JAX gives (fixtures from
 * test/fixtures/creation/generate.py), sizes past the limits as typed errors
 * before anything is allocated, large sizes built on the device without a
 * host array of every element, and devicePut as JAX's device_put.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Array as JArray, BackendError, devicePut, JaxonError, memoryStats, np, random, ShapeError } from "../src/index.js";

interface Case {
  fn: "arange" | "linspace" | "eye" | "tri";
  args: (number | null)[];
  kwargs: { endpoint?: boolean };
  dtype: string;
  shape: number[];
  values: number[];
}
const fixtures: { cases: Case[] } = JSON.parse(readFileSync(new URL("./fixtures/creation/creation.json", import.meta.url), "utf8"));

function make(c: Case) {
  const a = c.args as number[];
  switch (c.fn) {
    case "arange":
      return np.arange(...a);
    case "linspace":
      return np.linspace(a[0], a[1], a[2], { endpoint: c.kwargs.endpoint });
    case "eye":
      return np.eye(a[0], a[1], a[2]);
    case "tri":
      return np.tri(a[0], a[1], a[2]);
  }
}

describe("creation functions give JAX's values", () => {
  for (const c of fixtures.cases) {
    it(`${c.fn}(${c.args.join(", ")}${c.kwargs.endpoint === false ? ", endpoint=false" : ""})`, () => {
      const x = make(c);
      expect(x.dtype).toBe(c.dtype);
      expect(x.shape).toEqual(c.shape);
      const got = [...x.dataSync()];
      if (c.fn === "linspace") {
        // XLA fuses start·(1−t) + stop·t with an fma: JAX's own results differ from op-by-op float32 by an ulp
        got.forEach((v, i) => expect(Math.abs(v - c.values[i])).toBeLessThanOrEqual(Math.abs(c.values[i]) * 2 ** -22 + 1e-30));
      } else expect(got).toEqual(c.values);
    });
  }
});

describe("sizes past the limits are typed errors, at once", () => {
  const huge: [string, () => unknown][] = [
    ["np.tri(2**40)", () => np.tri(2 ** 40)],
    ["np.eye(2**30, 2**30)", () => np.eye(2 ** 30, 2 ** 30)],
    ["np.zeros([2**40])", () => np.zeros([2 ** 40])],
    ["np.zeros([2**53])", () => np.zeros([2 ** 53])],
    ["np.ones([2**30, 2**30, 2])", () => np.ones([2 ** 30, 2 ** 30, 2])],
    ["np.full([2**41], 1)", () => np.full([2 ** 41], 1)],
    ["np.arange(2**41)", () => np.arange(2 ** 41)],
    ["np.arange(0, 1, 2**-45)", () => np.arange(0, 1, 2 ** -45)],
    ["np.linspace(0, 1, 2**41)", () => np.linspace(0, 1, 2 ** 41)],
    ["np.arraySplit(x, 2**40)", () => np.arraySplit(np.arange(4), 2 ** 40)],
    ["random.normal(key, [2**41])", () => random.normal(random.key(0), [2 ** 41])],
  ];
  for (const [what, run] of huge) {
    it(what, () => {
      const start = performance.now();
      expect(run).toThrow(JaxonError);
      expect(performance.now() - start).toBeLessThan(2000);
    });
  }
  it("names the size and the limit", () => {
    expect(() => np.zeros([2 ** 45])).toThrow(ShapeError);
    expect(() => np.zeros([2 ** 45])).toThrow(/2\^40/);
    expect(() => np.zeros([2 ** 40])).toThrow(/GiB/);
    expect(() => np.zeros([2 ** 40])).toThrow(BackendError);
  });
});

describe("large creations run without a host array of every element", () => {
  it("np.tri(3000) and np.eye(3000) are right, and leave the JS heap alone", () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const t = np.tri(3000, 3000, -1);
    const e = np.eye(3000, 3000, 2);
    // a JS array of 9M numbers would be at least 72 MB of heap; the two results live in device memory
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(40e6);
    const tv = t.dataSync();
    const ev = e.dataSync();
    for (const [i, j] of [[0, 0], [1, 0], [2999, 2998], [2999, 2999], [1500, 1499], [1500, 1500], [0, 2999]]) {
      expect(tv[i * 3000 + j]).toBe(j <= i - 1 ? 1 : 0);
      expect(ev[i * 3000 + j]).toBe(j === i + 2 ? 1 : 0);
    }
    let sum = 0;
    for (let i = 0; i < tv.length; i++) sum += tv[i];
    expect(sum).toBe((3000 * 2999) / 2);
  });

  it("np.arange(1e7) (int32 and float32) is computed in place", () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const i = np.arange(1e7);
    const f = np.arange(0, 1e6, 0.1);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(40e6);
    expect(i.dtype).toBe("int32");
    const iv = i.dataSync();
    expect([iv[0], iv[1], iv[9_999_999]]).toEqual([0, 1, 9_999_999]);
    const fv = f.dataSync();
    expect(f.shape).toEqual([1e7]);
    // as jnp.arange computes it: start + step·iota, each operation rounded to float32
    for (const k of [0, 1, 3, 12345, 9_999_999]) expect(fv[k]).toBe(Math.fround(Math.fround(0.1) * k));
  });
});

describe("devicePut as JAX's device_put", () => {
  it("takes pytrees, numbers and booleans, and no device", () => {
    const put = devicePut({ w: np.ones([2]), b: 3, s: 0.5, flag: true, rest: [np.zeros([1]), null] });
    expect(put.w).toBeInstanceOf(JArray);
    expect(put.b).toBeInstanceOf(JArray);
    const b = put.b as unknown as JArray;
    expect([b.dtype, b.weakType, b.itemSync()]).toEqual(["int32", true, 3]);
    const s = put.s as unknown as JArray;
    expect([s.dtype, s.weakType, s.itemSync()]).toEqual(["float32", true, 0.5]);
    const f = put.flag as unknown as JArray;
    expect([f.dtype, f.itemSync()]).toEqual(["bool", 1]);
    expect(put.rest[1]).toBeNull();
    expect((put.rest[0] as JArray).shape).toEqual([1]);
  });
  it("commits to a named device, and refuses leaves that are not arrays", () => {
    const x = devicePut(np.ones([2]), "cpu");
    expect(x.committed).toBe(true);
    expect(() => devicePut({ a: "text" })).toThrow(JaxonError);
    expect(() => devicePut(np.ones([2]), "tpu" as never)).toThrow(BackendError);
    expect(memoryStats("cpu").liveBuffers).toBeGreaterThanOrEqual(0);
  });
});
