/**
 * int8, uint8, int16 and uint16 on the CPU against real JAX
 * (test/fixtures/small-ints/gen.py): the promotion lattice with weak types,
 * casts at the edges, wrap-around arithmetic, bit operations, reductions,
 * sorts, gathers/scatters, packbits/unpackbits, randint; each case eager and
 * under jit, and under vmap against a loop; creation, readback, printing,
 * npy/safetensors and StableHLO; integer inputs' zero tangents.
 */
import { describe, expect, it } from "vitest";
import { exportStableHLO, grad, io, jit, jvp, lax, np, random, vmap, type Array as JArray, type Value } from "../src/index.js";
import { promoteTypes } from "../src/dtype.js";
import { DTypeError } from "../src/errors.js";
import { fixture, run, sameAs, toArray, type Case } from "./small-ints-cases.js";
import { cases as stablehloCases } from "./fixtures/stablehlo/cases.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const host = (v: Value) => {
  const a = v as JArray;
  return { dtype: a.dtype, shape: a.shape, data: Array.from(a.dataSync() as ArrayLike<number>) };
};
const check = (c: Case, outs: Value[]) => {
  expect(outs.length, c.id).toBe(c.outs.length);
  outs.forEach((o, k) => expect(sameAs(host(o), c.outs[k]), `${c.id} output ${k}`).toBeNull());
};

describe("small integer dtypes on the CPU against JAX", () => {
  it("promotes every pair of dtypes as jnp.promote_types (x64 off)", () => {
    for (const [a, b, want] of fixture.promotion) {
      expect(promoteTypes({ dtype: a, weakType: false }, { dtype: b, weakType: false }).dtype, `${a} ⊔ ${b}`).toBe(want);
      expect(np.promoteTypes(a, b), `np.promoteTypes(${a}, ${b})`).toBe(want);
    }
  });

  it("a JS number meets each dtype as a Python scalar does (uint8 + 1 is uint8)", () => {
    for (const w of fixture.weak) {
      const x = np.zeros([2], { dtype: w.dtype });
      const i = x.add(1);
      expect([i.dtype, i.weakType], `${w.dtype} + 1`).toEqual([w.int, w.intWeak]);
      const f = x.add(1.5);
      expect([f.dtype, f.weakType], `${w.dtype} + 1.5`).toEqual([w.float, w.floatWeak]);
    }
  });

  it("np.iinfo gives JAX's limits", () => {
    for (const [d, [min, max, bits]] of Object.entries(fixture.iinfo)) expect(np.iinfo(d as never)).toMatchObject({ min, max, bits });
  });

  it.each(fixture.cases.map((c) => [c.id, c] as const))("%s", (_, c) => {
    const xs = c.inputs.map(toArray);
    check(c, run(c, xs));
    // jit == eager
    check(c, jit((...a: Value[]) => run(c, a))(...xs) as Value[]);
  });

  it("vmap over a batch of two equals a loop, for every batchable case", () => {
    for (const c of fixture.cases.filter((k) => k.vmap)) {
      const xs = c.inputs.map(toArray);
      const rev = xs.map((x) => np.flip(x).reshape(x.shape));
      const batch = xs.map((x, i) => np.stack([x, rev[i]]));
      const got = vmap((...a: Value[]) => run(c, a))(...batch) as Value[];
      const loop = [run(c, xs), run(c, rev)];
      got.forEach((g, k) => {
        const want = np.stack([loop[0][k], loop[1][k]]);
        expect(g.dtype, c.id).toBe(want.dtype);
        expect(Array.from((g as JArray).dataSync() as ArrayLike<number>), c.id).toEqual(Array.from((want as JArray).dataSync() as ArrayLike<number>));
      });
    }
  });

  it("random.bits at each unsigned width is bit-identical to JAX's", () => {
    for (const [d, want] of Object.entries(fixture.bits)) {
      expect(sameAs(host(random.bits(random.key(3), [5], { dtype: d as "uint8" })), want), d).toBeNull();
    }
    expect(() => random.bits(random.key(3), [5], { dtype: "int8" as never })).toThrow(DTypeError);
  });

  it("random.randint at each width is bit-identical to JAX's (threefry, partitionable)", () => {
    for (const r of fixture.randint) {
      const y = random.randint(random.key(0), [7], r.lo, r.hi, { dtype: r.dtype });
      expect(sameAs(host(y), r.out), `${r.dtype} [${r.lo}, ${r.hi})`).toBeNull();
    }
  });
});

describe("small integer arrays as JS values", () => {
  it("np.array of a TypedArray keeps its width; data() gives the TypedArray of the dtype", () => {
    const cases = [
      [new Uint8Array([0, 128, 255]), "uint8", Uint8Array],
      [new Int8Array([-128, 0, 127]), "int8", Int8Array],
      [new Int16Array([-32768, 1, 32767]), "int16", Int16Array],
      [new Uint16Array([0, 1, 65535]), "uint16", Uint16Array],
    ] as const;
    for (const [data, dtype, Ctor] of cases) {
      const x = np.array(data);
      expect(x.dtype).toBe(dtype);
      const back = x.dataSync();
      expect(back).toBeInstanceOf(Ctor);
      expect(Array.from(back as ArrayLike<number>)).toEqual(Array.from(data));
    }
    expect(np.zeros([2, 2], { dtype: "uint8" }).dataSync()).toBeInstanceOf(Uint8Array);
    expect(np.ones([3], "int16").arraySync()).toEqual([1, 1, 1]);
    expect(np.arange(250, 260, 1, { dtype: "uint8" } as never).dtype).toBe("uint8");
  });

  it("a JS number out of the dtype's range is a DTypeError, as JAX's OverflowError", () => {
    expect(() => np.array([256], { dtype: "uint8" })).toThrow(DTypeError);
    expect(() => np.array(-129, { dtype: "int8" })).toThrow(DTypeError);
    expect(() => np.array([65536], { dtype: "uint16" })).toThrow(DTypeError);
    expect(np.array([-32768, 32767], { dtype: "int16" }).arraySync()).toEqual([-32768, 32767]);
  });

  it("prints its values and dtype as int32 arrays print", () => {
    expect(String(np.array([1, 2, 255], { dtype: "uint8" }))).toBe("Array([1, 2, 255], dtype=uint8)");
    expect(String(np.array([-128, 5], { dtype: "int8" }))).toBe("Array([-128, 5], dtype=int8)");
    expect(String(lax.convert(np.array([1, 2]), "int16").reshape([2, 1]))).toBe("Array([[1],\n       [2]], dtype=int16)");
  });

  it("npy and safetensors round-trip each width with NumPy's and safetensors' names", async () => {
    for (const [dtype, descr, st] of [["int8", "|i1", "I8"], ["uint8", "|u1", "U8"], ["int16", "<i2", "I16"], ["uint16", "<u2", "U16"]] as const) {
      const x = lax.convert(np.array([[1, -2, 3], [127, 0, -1]], { dtype: "int32" }), dtype);
      const bytes = await io.saveNpy(x);
      expect(new TextDecoder().decode(bytes.subarray(0, 80))).toContain(`'descr': '${descr}'`);
      const back = io.loadNpy(bytes);
      expect(back.dtype).toBe(dtype);
      expect(back.arraySync()).toEqual(x.arraySync());
      const st0 = await io.saveSafetensors({ w: x });
      expect(new TextDecoder().decode(st0.subarray(8, 120))).toContain(`"dtype":"${st}"`);
      const loaded = io.loadSafetensors(st0) as { w: JArray };
      expect(loaded.w.dtype).toBe(dtype);
      expect(loaded.w.arraySync()).toEqual(x.arraySync());
    }
  });

  it("uint8 image data normalised on the device", () => {
    const pixels = new Uint8Array([0, 51, 102, 255]);
    const x = np.array(pixels).astype("float32").div(255);
    expect(x.dtype).toBe("float32");
    expect(Array.from(x.dataSync())).toEqual(Array.from(pixels, (p) => Math.fround(p / 255)));
  });
});

describe("small integers through the transformations", () => {
  it("an integer input gets a zero tangent and no gradient flows through a cast from it", () => {
    const f = (w: Value, pix: Value) => np.sum(w.mul(pix.astype("float32")));
    const pix = np.array([1, 2, 200], { dtype: "uint8" });
    const w = np.array([0.5, 1, 2]);
    expect(Array.from((grad(f)(w, pix) as JArray).dataSync())).toEqual([1, 2, 200]);
    // jvp with respect to the int8 input: its tangent is zero, so the output's is too
    const [y, t] = jvp((x: Value) => x.astype("float32").mul(2), [np.array([3, -4], { dtype: "int8" })], [np.zeros([2], { dtype: "int8" })]);
    expect((y as JArray).arraySync()).toEqual([6, -8]);
    expect((t as JArray).arraySync()).toEqual([0, 0]);
  });

  it("grad through a uint8-indexed gather and a cast from int16 matches finite differences (float64)", () => {
    const idx = np.array([2, 0, 2, 255 % 4], { dtype: "uint8" });
    const scale = np.array([3, -2, 1, 7], { dtype: "int16" });
    const f = (x: Value) => np.sum(np.sin(x.get(idx)).mul(scale.astype("float64")));
    const x0 = [0.3, -1.2, 0.7, 2.1];
    const x = np.array(x0, { dtype: "float64" });
    const g = Array.from((grad(f)(x) as JArray).dataSync());
    const h = 1e-6;
    x0.forEach((_, i) => {
      const shift = (d: number) => (f(np.array(x0.map((v, k) => (k === i ? v + d : v)), { dtype: "float64" })) as JArray).itemSync();
      expect(Math.abs(g[i] - (shift(h) - shift(-h)) / (2 * h)), `d/dx${i}`).toBeLessThan(1e-8);
    });
  });

  it("exports to StableHLO with i8/ui8/i16/ui16 types", () => {
    const f = (a: Value, b: Value, c: Value) => [a.add(b.astype("int8")), c.astype("int16")];
    const { text } = exportStableHLO(f)(np.zeros([3], { dtype: "int8" }), np.zeros([3], { dtype: "uint8" }), np.zeros([3], { dtype: "uint16" }));
    for (const t of ["tensor<3xi8>", "tensor<3xui8>", "tensor<3xui16>", "tensor<3xi16>"]) expect(text).toContain(t);
  });

  it("XLA's outputs of the exported small-int module (test/fixtures/stablehlo, run by XLA) have jaxon's dtypes and values", async () => {
    const c = stablehloCases.find((k) => k.name === "small-ints")!;
    const xla = await io.loadNpz(readFileSync(join(import.meta.dirname, "fixtures/stablehlo/cases/small-ints.outputs.npz")));
    const ours = c.fn(...c.args()) as Value[];
    expect(Object.keys(xla).length).toBe(ours.length);
    ours.forEach((o, i) => {
      expect(xla[String(i)].dtype, `output ${i}`).toBe(o.dtype);
      expect(xla[String(i)].arraySync(), `output ${i}`).toEqual((o as JArray).arraySync());
    });
  });
});
