/**
 * Saving and loading: .npy and .npz against files NumPy wrote
 * (test/fixtures/io/generate.py), byte for byte where jaxon writes the same
 * thing; safetensors against a file written from the format's specification
 * in Python; round trips of a parameter pytree; typed errors on bad bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ArgumentError, DTypeError, io, np, type Array } from "../src/index.js";

const dir = join(import.meta.dirname, "fixtures", "io");
const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Record<string, { dtype: string; shape: number[]; values: (number | boolean)[] }>;

function expectMatches(x: Array, e: { dtype: string; shape: number[]; values: (number | boolean)[] }) {
  expect(x.dtype).toBe(e.dtype);
  expect(x.shape).toEqual(e.shape);
  expect([...x.dataSync()]).toEqual(e.values.map(Number));
}

const npyNames = ["f32", "f64", "i32", "u32", "bool", "scalar", "empty", "fortran", "cube"];

describe(".npy", () => {
  it.each(npyNames)("loads %s.npy as NumPy wrote it", (name) => {
    expectMatches(io.loadNpy(file(`${name}.npy`)), expected[name]!);
  });

  // a Fortran-ordered file is written back in C order, which NumPy writes differently
  it.each(npyNames.filter((n) => n !== "fortran"))("writes %s.npy byte for byte as np.save does", async (name) => {
    const x = io.loadNpy(file(`${name}.npy`));
    expect(await io.saveNpy(x)).toEqual(file(`${name}.npy`));
  });

  it("round-trips a computed array", async () => {
    const x = np.linspace(-1, 1, 7).reshape([7, 1]);
    const y = io.loadNpy(await io.saveNpy(x));
    expect(y.shape).toEqual([7, 1]);
    expect([...y.dataSync()]).toEqual([...x.dataSync()]);
  });

  it("refuses bytes that are not .npy, and dtypes it does not store, with typed errors", () => {
    expect(() => io.loadNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]))).toThrow(ArgumentError);
    // complex64 ('<c8'), which jaxon does not store: the header edited in place
    const bad = file("f32.npy");
    const at = new TextDecoder("latin1").decode(bad).indexOf("<f4");
    bad[at + 1] = "c".charCodeAt(0);
    bad[at + 2] = "8".charCodeAt(0);
    expect(() => io.loadNpy(bad)).toThrow(DTypeError);
    const truncated = file("cube.npy").subarray(0, 140); // the header is 128 bytes, the data 96
    expect(() => io.loadNpy(truncated)).toThrow(/fewer bytes/);
  });
});

describe(".npz", () => {
  it("loads np.savez's archive", async () => {
    const { w, b } = await io.loadNpz(file("stored.npz"));
    expectMatches(w!, expected.f32!);
    expectMatches(b!, expected.u32!);
  });

  it("loads np.savez_compressed's archive (deflate)", async () => {
    const { w, cube } = await io.loadNpz(file("compressed.npz"));
    expectMatches(w!, expected.f32!);
    expectMatches(cube!, expected.cube!);
  });

  it("round-trips named arrays", async () => {
    const saved = await io.saveNpz({ w: np.arange(6).reshape([3, 2]), flag: np.array([true, false]) });
    const back = await io.loadNpz(saved);
    expect(Object.keys(back)).toEqual(["w", "flag"]);
    expect(await back.w!.array()).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(back.flag!.dtype).toBe("bool");
    // the archive's entries are the .npy files np.save would write
    expect(saved.subarray(30 + "w.npy".length, 30 + "w.npy".length + 6)).toEqual(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]));
  });
});

describe("safetensors", () => {
  it("loads a file written from the specification", () => {
    const params = io.loadSafetensors(file("params.safetensors"));
    expect(Object.keys(params).sort()).toEqual(["dense.b", "dense.w", "steps"]);
    for (const name of ["dense.b", "dense.w", "steps"]) expectMatches(params[name]!, expected[`st:${name}`]!);
  });

  it("round-trips a parameter pytree by path, and lays it out as the file written in Python", async () => {
    const fromPython = io.loadSafetensors(file("params.safetensors"));
    const tree = { dense: { w: fromPython["dense.w"]!, b: fromPython["dense.b"]! }, steps: fromPython.steps! };
    const bytes = await io.saveSafetensors(tree);
    const back = io.loadSafetensors(bytes);
    for (const name of ["dense.b", "dense.w", "steps"]) expectMatches(back[name]!, expected[`st:${name}`]!);
    // the same bytes after the header (sorted by name), so any reader finds the same tensors
    const dataOf = (b: Uint8Array) => b.subarray(8 + Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true)));
    expect(dataOf(bytes)).toEqual(dataOf(file("params.safetensors")));
    expect((8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))) % 8).toBe(0);
  });

  it("refuses a damaged header with typed errors", () => {
    const text = '{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}}';
    const bytes = new Uint8Array(8 + text.length + 8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
    bytes.set(new TextEncoder().encode(text), 8);
    expect(() => io.loadSafetensors(bytes)).toThrow(/byte range/);
    expect(() => io.loadSafetensors(new Uint8Array(4))).toThrow(ArgumentError);
  });
});

describe("np.save / np.savez / np.load (files in Node, bytes anywhere)", () => {
  const tmp = mkdtempSync(join(tmpdir(), "jaxon-np-save-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("np.load reads the files NumPy wrote, by path: .npy as an array, .npz as arrays by name", async () => {
    expectMatches((await np.load(join(dir, "f64.npy"))) as Array, expected.f64!);
    expectMatches((await np.load(join(dir, "fortran.npy"))) as Array, expected.fortran!);
    const { w, cube } = (await np.load(join(dir, "compressed.npz"))) as Record<string, Array>;
    expectMatches(w!, expected.f32!);
    expectMatches(cube!, expected.cube!);
    // and from the bytes, as a browser has them
    expectMatches((await np.load(file("i32.npy").buffer)) as Array, expected.i32!);
  });

  it("np.save writes what np.save writes (appending .npy), np.savez an archive np.load reads back", async () => {
    const x = io.loadNpy(file("f32.npy"));
    await np.save(join(tmp, "x"), x);
    expect(new Uint8Array(readFileSync(join(tmp, "x.npy")))).toEqual(file("f32.npy"));
    await np.savez(join(tmp, "params.npz"), { w: np.arange(4).reshape([2, 2]), b: np.array([0.5, -1], { dtype: "float64" }) });
    const back = (await np.load(join(tmp, "params.npz"))) as Record<string, Array>;
    expect(Object.keys(back)).toEqual(["w", "b"]);
    expect(await back.w!.array()).toEqual([[0, 1], [2, 3]]);
    expect(back.b!.dtype).toBe("float64");
  });

  it("refuses bad arguments with typed errors", async () => {
    await expect(np.load(42 as never)).rejects.toBeInstanceOf(ArgumentError);
    await expect(np.load("")).rejects.toBeInstanceOf(ArgumentError);
    await expect(np.save(null as never, np.ones([2]))).rejects.toBeInstanceOf(ArgumentError);
    await expect(np.load(new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(ArgumentError);
  });
});

describe("np.load of a missing file", () => {
  it("is a typed error naming the file", async () => {
    await expect(np.load("/nonexistent/jaxon/x.npy")).rejects.toThrow(/np\.load: cannot read "\/nonexistent\/jaxon\/x\.npy" \(ENOENT\)/);
    await expect(np.load("/nonexistent/jaxon/x.npy")).rejects.toBeInstanceOf(ArgumentError);
  });
});
