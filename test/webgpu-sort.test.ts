/**
 * The WebGPU routines sort, cumulative and argreduce give the CPU backend's
 * answers: the same data goes to both devices, the same lax/np function runs
 * on each, and the results are compared — bit for bit for sorts (a sort only
 * moves elements), indices and integer/bool scans, within float32 rounding
 * for float sums and products (a parallel scan adds in another order). The
 * data has ties, NaNs, ±inf and -0, and the shapes reach every path of the
 * shaders: one workgroup sorting many short rows, rows of exactly 1024,
 * rows past 1024 (the global merge phases), and scans and arg-reductions
 * with a thread per column and with a workgroup per column. A few results
 * are also checked against plain JS loops. On lavapipe the file runs in
 * about 20 s with a cold shader cache (MESA_SHADER_CACHE_DISABLE=true), most
 * of it compiling the few shaders with barriers.
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { describe, expect, it } from "vitest";
import { Array, jit, lax, np, vmap, type Value } from "../src/index.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import type { DType } from "../src/dtype.js";

const hasGpu = await probeWebGPU("webgpu-sort.test.ts");

/** Deterministic xorshift numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

type Kind = "float" | "int" | "uint" | "bool" | "ties" | "unit";

/** Test data: "float" has ties, NaNs, ±inf and ±0 among random values; "ties" is a few distinct small integers. */
function data(kind: Kind, size: number, seed: number): number[] {
  const r = random(seed);
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    const u = r();
    switch (kind) {
      case "float": {
        const special = [NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5];
        out.push(u < 0.2 ? special[Math.floor(r() * special.length)] : (r() - 0.5) * 100);
        break;
      }
      case "int":
        // a wide spread (both signs, near the extremes) with ties
        out.push(u < 0.3 ? Math.floor(r() * 5) - 2 : Math.floor((r() - 0.5) * 4294967295));
        break;
      case "uint":
        out.push(u < 0.3 ? Math.floor(r() * 5) : Math.floor(r() * 4294967295));
        break;
      case "bool":
        out.push(u < 0.5 ? 1 : 0);
        break;
      case "ties":
        out.push(Math.floor(u * 4));
        break;
      case "unit":
        // products of these stay finite for thousands of steps
        out.push(0.995 + u * 0.01);
        break;
    }
  }
  return out;
}

const dtypeOf: Record<Kind, DType> = { float: "float32", int: "int32", uint: "uint32", bool: "bool", ties: "float32", unit: "float32" };


const pair = onBothDevices;

function make(kind: Kind, shape: number[], seed: number) {
  return pair(data(kind, shape.reduce((a, b) => a * b, 1), seed), shape, dtypeOf[kind]);
}

async function read(x: Value): Promise<number[]> {
  return globalThis.Array.from(await (x as Array).data());
}

/** Bit-for-bit equality (NaN equals NaN, -0 differs from 0). */
function expectSame(gpu: number[], cpu: number[], what: string) {
  expect(gpu.length, what).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    if (!Object.is(gpu[i], cpu[i])) expect(`${what}[${i}] = ${gpu[i]}`).toBe(`${what}[${i}] = ${cpu[i]}`);
  }
}

/** Equality within float32 rounding of a long accumulation (NaN and infinities exactly). */
function expectClose(gpu: number[], cpu: number[], what: string, rtol = 1e-4, atol = 1e-3) {
  expect(gpu.length, what).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    const [a, b] = [gpu[i], cpu[i]];
    const ok = Number.isNaN(b) ? Number.isNaN(a) : !Number.isFinite(b) ? a === b : Math.abs(a - b) <= atol + rtol * Math.abs(b);
    if (!ok) expect(`${what}[${i}] = ${a}`).toBe(`${what}[${i}] ≈ ${b}`);
  }
}

/** Runs `f` on both devices and compares every output. */
async function compare(what: string, f: (...xs: Value[]) => Value | Value[], inputs: { c: Array; g: Array }[], exact = true) {
  // constants a function makes (argsort's iota) go to the default device, so the CPU run makes them there
  const outC = onCpu(() => f(...inputs.map((p) => p.c)));
  const outG = f(...inputs.map((p) => p.g));
  const cs = globalThis.Array.isArray(outC) ? outC : [outC];
  const gs = globalThis.Array.isArray(outG) ? outG : [outG];
  expect(gs.length).toBe(cs.length);
  for (let k = 0; k < cs.length; k++) {
    expect((gs[k] as Array).device, what).toBe("webgpu");
    expect(gs[k].shape, what).toEqual(cs[k].shape);
    expect(gs[k].dtype, what).toBe(cs[k].dtype);
    const [g, c] = [await read(gs[k]), await read(cs[k])];
    if (exact) expectSame(g, c, `${what} output ${k}`);
    else expectClose(g, c, `${what} output ${k}`);
  }
}

/** Shapes whose sorted axis is last: one workgroup sorting many rows, P = 1024 exactly, and rows needing the global merge phases. */
const sortShapes: number[][] = [[1], [7], [1000, 8], [3, 2], [64, 33], [2, 1024], [5, 1025], [3, 5000], [2049], [1, 16384]];

describe.skipIf(!hasGpu)("webgpu sort", () => {
  it("np.sort and np.argsort of float32 with ties, NaNs, ±inf and -0 match the CPU", async () => {
    for (const [s, shape] of sortShapes.entries()) {
      const x = make("float", shape, 11 + s);
      await compare(`sort ${shape}`, (v) => np.sort(v), [x]);
      await compare(`argsort ${shape}`, (v) => np.argsort(v), [x]);
    }
  });

  it("sorts along a leading axis and with many duplicates", async () => {
    const x = make("ties", [300, 4, 5], 3);
    await compare("sort axis 0", (v) => np.sort(v, 0), [x]);
    await compare("argsort axis 1", (v) => np.argsort(v, 1), [x]);
    await compare("argsort axis 0", (v) => np.argsort(v, 0), [x]);
    const long = make("ties", [4000, 3], 4);
    await compare("argsort long axis 0", (v) => np.argsort(v, 0), [long]);
  });

  it("sorts int32, uint32 and bool by value", async () => {
    for (const kind of ["int", "uint", "bool"] as const) {
      for (const shape of [[257, 9], [3, 1500]]) {
        const x = make(kind, shape, 21);
        await compare(`sort ${kind} ${shape}`, (v) => np.sort(v), [x]);
        await compare(`argsort ${kind} ${shape}`, (v) => np.argsort(v), [x]);
      }
    }
  });

  it("argsort is the stable argsort of a JS loop (NaNs last in their order)", async () => {
    const values = data("float", 3000, 5).map((v) => Math.fround(v));
    const { g } = pair(values, [3000], "float32");
    const rank = (v: number) => (Number.isNaN(v) ? 1 : 0);
    const expected = values
      .map((_, i) => i)
      .sort((i, j) => rank(values[i]) - rank(values[j]) || (rank(values[i]) ? 0 : values[i] - values[j]) || i - j);
    expect(await read(np.argsort(g))).toEqual(expected);
  });

  it("lax.sort with several operands and numKeys = 1, 2, 3 carries the others along", async () => {
    for (const shape of [[50, 37], [2, 3000], [600, 5]]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const k1 = pair(data("ties", size, 31), shape, "int32");
      const k2 = pair(data("ties", size, 32).map((v) => (v === 3 ? NaN : v / 2)), shape, "float32");
      const k3 = pair(data("bool", size, 33), shape, "bool");
      const payload = pair(data("float", size, 34), shape, "float32");
      const iota = pair(
        globalThis.Array.from({ length: size }, (_, i) => i % shape[shape.length - 1]),
        shape,
        "int32",
      );
      for (const numKeys of [1, 2, 3]) {
        await compare(`lax.sort numKeys=${numKeys} ${shape}`, (a, b, c, d, e) => lax.sort([a, b, c, d, e], { numKeys }), [k1, k2, k3, payload, iota]);
      }
    }
  });

  it("jit and vmap of a sort run on the device and agree with the CPU", async () => {
    const x = make("float", [6, 1100], 41);
    await compare("jit sort", jit((v: Value) => np.sort(v, 1)), [x]);
    await compare("vmap argsort", vmap((v: Value) => np.argsort(v)), [x]);
  });

  it("an empty axis gives an empty result", async () => {
    const x = pair([], [3, 0], "float32");
    await compare("sort of [3, 0]", (v) => np.sort(v), [x]);
  });
});

describe.skipIf(!hasGpu)("webgpu cumulative", () => {
  /**
   * [shape, axis]: a thread per column (short or many columns) and a workgroup per
   * column (long and few: [6, 700, 3] strided, [5000] contiguous). Each workgroup
   * shader takes lavapipe about half a second to compile, so the lists stay short.
   */
  const cases: [number[], number][] = [
    [[40, 9], 0],
    [[40, 9], 1],
    [[6, 700, 3], 1],
    [[5000], 0],
    [[1], 0],
  ];
  const intCases: [number[], number][] = [
    [[40, 9], 0],
    [[2, 600, 3], 1],
  ];
  const ops = { sum: lax.cumsum, prod: lax.cumprod, max: lax.cummax, min: lax.cummin };

  it("cumsum, cumprod, cummax, cummin of float32 (NaN propagation), forward and reversed", async () => {
    for (const [shape, axis] of cases) {
      for (const [name, f] of Object.entries(ops)) {
        // products of random values overflow or vanish at once: use values near 1 for them
        const x = make(name === "prod" ? "unit" : "float", shape, 51);
        const finite = make("unit", shape, 52);
        for (const reverse of [false, true]) {
          const exact = name === "max" || name === "min";
          await compare(`cum${name} ${shape} axis ${axis} reverse ${reverse}`, (v) => f(v, axis, reverse), [x], exact);
          if (name === "sum") await compare(`cumsum finite ${shape} axis ${axis} reverse ${reverse}`, (v) => f(v, axis, reverse), [finite], false);
        }
      }
    }
  });

  it("integer scans wrap and bool scans are or/and, exactly as on the CPU", async () => {
    for (const [shape, axis] of intCases) {
      for (const kind of ["int", "uint", "bool"] as const) {
        for (const [name, f] of Object.entries(ops)) {
          const x = make(kind, shape, 61);
          for (const reverse of [false, true]) {
            await compare(`cum${name} ${kind} ${shape} axis ${axis} reverse ${reverse}`, (v) => f(v, axis, reverse), [x]);
          }
        }
      }
    }
  });

  it("a long cumsum of small integers equals a JS running sum", async () => {
    const values = data("ties", 5000, 71);
    const { g } = pair(values, [5000], "int32");
    let acc = 0;
    const expected = values.map((v) => (acc += v));
    expect(await read(lax.cumsum(g, 0))).toEqual(expected);
    let racc = 0;
    const reversed = values.map((_, i) => values[values.length - 1 - i]).map((v) => (racc += v)).reverse();
    expect(await read(lax.cumsum(g, 0, true))).toEqual(reversed);
  });
});

describe.skipIf(!hasGpu)("webgpu argreduce", () => {
  const shapes: [number[], number][] = [
    [[40, 9], 0],
    [[40, 9], 1],
    [[7, 600, 3], 1],
    [[5000], 0],
    [[3, 2000], 1],
    [[1], 0],
  ];

  it("np.argmax and np.argmin: first index of the extreme, the first NaN wins", async () => {
    for (const [shape, axis] of shapes) {
      for (const kind of ["float", "ties", "int", "uint", "bool"] as const) {
        const x = make(kind, shape, 81);
        await compare(`argmax ${kind} ${shape} axis ${axis}`, (v) => np.argmax(v, axis), [x]);
        await compare(`argmin ${kind} ${shape} axis ${axis}`, (v) => np.argmin(v, axis), [x]);
      }
    }
  });

  it("a late first NaN and ties at the extreme, checked by a JS loop", async () => {
    const values = data("ties", 4096, 91);
    values[3000] = NaN;
    values[3500] = NaN;
    const { g } = pair(values, [4096], "float32");
    expect(await read(np.argmax(g, 0))).toEqual([3000]);
    expect(await read(np.argmin(g, 0))).toEqual([3000]);
    const clean = data("ties", 4096, 92);
    const h = pair(clean, [4096], "float32").g;
    expect(await read(np.argmax(h, 0))).toEqual([clean.indexOf(3)]);
    expect(await read(np.argmin(h, 0))).toEqual([clean.indexOf(0)]);
  });
});
