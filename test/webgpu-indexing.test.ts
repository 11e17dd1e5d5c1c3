/**
 * The WebGPU indexing routines (gather, the scatters, pad, concatenate,
 * dynamic_slice, dynamic_update_slice) and the PRNG's threefry2x32, through
 * the public API, against the CPU backend. These are data movement and
 * integer arithmetic (scatter_add's float sums run in the CPU's order), so
 * every result must be bit-identical to the CPU's: floats are compared by
 * their bits. A few cases are also checked against plain JS loops or
 * published test vectors, so that a bug shared by both backends would show.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { Array, DType, Value } from "../src/index.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { rand } from "./helpers.js";
import type { Tensor } from "./indexing-fixture.js";
import { fixture, numbers, operation, restArgs, weightedSum } from "./indexing-fixture.js";
import { BackendError } from "../src/errors.js";
import { defaultDevice, devicePut, devicePutAsync, grad, jit, lax, np, random, vmap } from "../src/index.js";

const hasGpu = await probeWebGPU("webgpu-indexing.test.ts");
afterAll(() => {
  if (hasGpu) defaultDevice("webgpu");
});

// ---- helpers --------------------------------------------------------------------------

const both = (data: number[], shape: number[], dtype: DType) => onBothDevices(data, shape, dtype);

/** Deterministic values for a dtype: floats with fractions and signs, ints of both signs, 0/1 bools. */
function sample(n: number, dtype: DType, seed = 1): number[] {
  return rand(n, seed, -1, 1).map((u) => (dtype === "bool" ? (u > 0 ? 1 : 0) : dtype === "float32" ? Math.fround(u * 103.1) : Math.round(u * 1000)));
}



/** The words of a result: float32s by their bits, so that -0 and NaN payloads count. */
async function wordArray(x: Value): Promise<ArrayLike<number>> {
  const d = await (x as Array).data();
  return d instanceof Float32Array ? new Uint32Array(d.buffer, d.byteOffset, d.length) : (d as ArrayLike<number>);
}
const words = async (x: Value) => globalThis.Array.from(await wordArray(x));

/** Asserts a WebGPU result equals a CPU result bit for bit (and has its shape and dtype). */
async function expectSame(gpu: Value, cpu: Value): Promise<void> {
  expect((gpu as Array).device).toBe("webgpu");
  expect((cpu as Array).device).toBe("cpu");
  expect(gpu.shape).toEqual(cpu.shape);
  expect(gpu.dtype).toBe(cpu.dtype);
  const [a, b] = [await wordArray(gpu), await wordArray(cpu)];
  expect(a.length).toBe(b.length);
  // a loop, not toEqual: some results have millions of elements
  let bad = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad) expect.fail(`${bad} of ${a.length} elements differ; first at ${first}: webgpu ${a[first]}, cpu ${b[first]}`);
}

/** Runs `f` on the WebGPU arrays and on their CPU copies, and compares bit for bit. */
async function check(f: (...xs: Value[]) => Value, ...inputs: { g: Array; c: Array }[]): Promise<Value> {
  const g = f(...inputs.map((p) => p.g));
  const c = onCpu(() => f(...inputs.map((p) => p.c)));
  await expectSame(g, c);
  return g;
}

const i32 = (data: number[], shape = [data.length]) => both(data, shape, "int32");
const DTYPES: DType[] = ["float32", "int32", "bool"];

// ---- gather ---------------------------------------------------------------------------

describe.skipIf(!hasGpu)("webgpu gather", () => {
  it.each(DTYPES)("np.take along each axis, with array indices (%s)", async (dtype) => {
    const x = await both(sample(3 * 5 * 4, dtype), [3, 5, 4], dtype);
    const idx = await i32([4, 0, 2, 2, 1, 3], [2, 3]);
    for (const axis of [0, 1, 2]) {
      const n = [3, 5, 4][axis];
      const ix = await i32([n - 1, 0, 1, n - 1, 0, 0], [2, 3]);
      await check((a, i) => np.take(a, i, axis), x, ix);
    }
    await check((a, i) => np.take(a, i), x, idx); // flattened
  });

  it.each(DTYPES)("lax.gather clamps out-of-range indices, with and without batch axes (%s)", async (dtype) => {
    const data = sample(2 * 3 * 4 * 2, dtype, 7);
    const x = await both(data, [2, 3, 4, 2], dtype);
    const idx = await i32([-5, 0, 3, 9, 2, -1], [2, 3]);
    const g = await check((a, i) => lax.gather(a, i, { axis: 2, batchDims: 1 }), x, idx);
    // an independent loop: out[b, j, i, q] = x[b, j, clamp(idx[b, i]), q]
    const iv = [-5, 0, 3, 9, 2, -1];
    const want: number[] = [];
    for (let b = 0; b < 2; b++)
      for (let j = 0; j < 3; j++)
        for (let i = 0; i < 3; i++)
          for (let q = 0; q < 2; q++) want.push(data[((b * 3 + j) * 4 + Math.min(Math.max(iv[b * 3 + i], 0), 3)) * 2 + q]);
    const got = globalThis.Array.from(await (g as Array).data(), Number);
    expect(got).toEqual(want);
    await check((a, i) => lax.gather(a, i, { axis: 0 }), x, await i32([1, 7, -3, 0]));
  });

  it.each(DTYPES)("integer-array indexing x.get(...) and np.takeAlongAxis (%s)", async (dtype) => {
    const x = await both(sample(6 * 5, dtype, 3), [6, 5], dtype);
    const rows = await i32([5, 0, 3, 3]);
    await check((a, i) => a.get(i), x, rows);
    await check((a, i) => a.get(":", i), x, await i32([4, 1]));
    const order = await i32(sample(30, "int32", 5).map((v) => Math.abs(v) % 5), [6, 5]);
    await check((a, i) => np.takeAlongAxis(a, i, 1), x, order);
  });

  it("a large gather spans a 2-D workgroup grid", async () => {
    // 70000 * 256 elements need more than 65535 workgroups on one axis
    const n = 4096;
    const x = await both(sample(n, "float32", 11), [n], "float32");
    const m = 70000 * 256 + 13;
    const iv = Int32Array.from({ length: m }, (_, k) => (k * 7919) % (n + 10) - 5);
    const ig = np.array(iv, { dtype: "int32" }) as Array;
    const ic = await devicePutAsync(ig, "cpu");
    await check((a, i) => lax.gather(a, i, { axis: 0 }), x, { g: ig, c: ic });
  });
});

// ---- scatter_add ------------------------------------------------------------------------

describe.skipIf(!hasGpu)("webgpu scatter_add", () => {
  it.each(DTYPES)("lax.scatterAdd accumulates duplicates and drops (or, with mode clip, clamps) out-of-range indices (%s)", async (dtype) => {
    const x = await both(sample(4 * 5 * 3, dtype, 2), [4, 5, 3], dtype);
    const idx = await i32([1, 1, -4, 4, 1, 9, 0]);
    const upd = await both(sample(4 * 7 * 3, dtype, 4), [4, 7, 3], dtype);
    await check((a, i, u) => lax.scatterAdd(a, i, u, { axis: 1 }), x, idx, upd);
    await check((a, i, u) => lax.scatterAdd(a, i, u, { axis: 1, mode: "clip" }), x, idx, upd);
    const bidx = await i32([0, 0, 2, 1, 4, 4, 3, -2, 3, 3, 3, 3], [4, 3]);
    const bupd = await both(sample(4 * 3 * 3, dtype, 6), [4, 3, 3], dtype);
    await check((a, i, u) => lax.scatterAdd(a, i, u, { axis: 1, batchDims: 1 }), x, bidx, bupd);
  });

  it("float32 duplicates add in index order, as the CPU rounds them", async () => {
    // 2^24 + 1 + 1 rounds differently from 2^24 + (1 + 1): the order is visible in the bits
    const x = await both([16777216, 0], [2], "float32");
    const idx = await i32([0, 0, 0, 1, 0]);
    const upd = await both([1, 1, 3, 0.1, -16777216], [5], "float32");
    const g = await check((a, i, u) => lax.scatterAdd(a, i, u, { axis: 0 }), x, idx, upd);
    // sequential float32: 2^24 + 1 = 2^24, + 1 = 2^24, + 3 = 2^24 + 4, - 2^24 = 4
    expect(globalThis.Array.from(await (g as Array).data())).toEqual([4, Math.fround(0.1)]);
  });

  it("int32 sums wrap and bools combine with or", async () => {
    const x = await both([2147483647, -2147483648, 5], [3], "int32");
    const idx = await i32([0, 1, 0, 2]);
    const upd = await both([1, -1, 2147483647, 0], [4], "int32");
    const g = await check((a, i, u) => lax.scatterAdd(a, i, u, { axis: 0 }), x, idx, upd);
    expect(globalThis.Array.from(await (g as Array).data())).toEqual([(2147483647 + 1 + 2147483647) | 0, 2147483647, 5]);
    const bx = await both([0, 1, 0], [3], "bool");
    const bu = await both([1, 1, 0, 0], [4], "bool");
    const b = await check((a, i, u) => lax.scatterAdd(a, i, u, { axis: 0 }), bx, idx, bu);
    expect(globalThis.Array.from(await (b as Array).data())).toEqual([1, 1, 0]);
  });

  it("the gradient of a gather (and x.at(i).add) scatters on the GPU", async () => {
    const x = await both(sample(6 * 4, "float32", 8), [6, 4], "float32");
    const w = await both(sample(5 * 4, "float32", 9), [5, 4], "float32");
    const idx = await i32([2, 5, 2, 0, 2]);
    const loss = (a: Value, i: Value, ww: Value) => np.sum(lax.gather(a, i, { axis: 0 }).mul(ww).mul(lax.gather(a, i, { axis: 0 })));
    await check((a, i, ww) => grad(loss)(a, i, ww), x, idx, w);
    await check((a, i, ww) => jit((p: Value, q: Value, r: Value) => grad(loss)(p, q, r))(a, i, ww), x, idx, w);
    await check((a, i, ww) => a.at(i).add(ww), x, idx, w);
  });
});

// ---- scatter, scatter_mul, scatter_min, scatter_max ---------------------------------------

describe.skipIf(!hasGpu)("webgpu scatters: set, mul, min, max", () => {
  const kinds = { set: lax.scatter, mul: lax.scatterMul, min: lax.scatterMin, max: lax.scatterMax } as const;

  /** A JS loop: every in-range update combined in index order (the reference for both devices). */
  function loop(kind: keyof typeof kinds, dtype: DType, x: number[], idx: number[], upd: number[], n: number, q: number): number[] {
    const out = x.slice();
    const wrap = (v: number) => (dtype === "int32" ? v | 0 : dtype === "float32" ? Math.fround(v) : v);
    idx.forEach((k, i) => {
      if (k < 0 || k >= n) return;
      for (let j = 0; j < q; j++) {
        const a = out[k * q + j];
        const b = upd[i * q + j];
        const bool = dtype === "bool";
        out[k * q + j] =
          kind === "set" ? b
          : kind === "mul" ? (bool ? a & b : dtype === "int32" ? Math.imul(a, b) : wrap(a * b))
          : kind === "min" ? (bool ? a & b : a !== a || a < b ? a : b)
          : bool ? a | b : a !== a || a > b ? a : b;
      }
    });
    return out;
  }

  for (const kind of ["set", "mul", "min", "max"] as const) {
    it.each(DTYPES)(`lax.scatter ${kind}: repeated indices combine in order, out-of-range ones drop (%s)`, async (dtype) => {
      const xd = sample(5 * 2, dtype, 40);
      const iv = [1, 1, -1, 4, 1, 5, 0, 4];
      const ud = sample(8 * 2, dtype, 41);
      const x = await both(xd, [5, 2], dtype);
      const upd = await both(ud, [8, 2], dtype);
      const g = await check((a, i, u) => kinds[kind](a, i, u, { axis: 0 }), x, await i32(iv), upd);
      expect(globalThis.Array.from(await (g as Array).data(), Number)).toEqual(loop(kind, dtype, xd, iv, ud, 5, 2));
      // clip mode and batch axes take the same routine
      await check((a, i, u) => kinds[kind](a, i, u, { axis: 0, mode: "clip" }), x, await i32(iv), upd);
      const bx = await both(sample(2 * 4 * 3, dtype, 42), [2, 4, 3], dtype);
      const bu = await both(sample(2 * 5 * 3, dtype, 43), [2, 5, 3], dtype);
      await check((a, i, u) => kinds[kind](a, i, u, { axis: 1, batchDims: 1 }), bx, await i32([3, 3, 0, 7, -1, 2, 2, 2, 1, 0], [2, 5]), bu);
    });
  }

  it("float32 min/max propagate NaN from either side, and products round as the CPU's", async () => {
    const x = await both([NaN, 1, 2, 3e38], [4], "float32");
    const u = await both([0, NaN, 5, -1, 10, 3e38], [6], "float32");
    const idx = await i32([0, 1, 2, 2, 3, 3]);
    for (const kind of ["min", "max", "mul"] as const) await check((a, i, w) => kinds[kind](a, i, w, { axis: 0 }), x, idx, u);
    const g = await check((a, i, w) => lax.scatterMax(a, i, w, { axis: 0 }), x, idx, u);
    expect(globalThis.Array.from(await (g as Array).data())).toEqual([NaN, NaN, 5, Math.fround(3e38)]);
  });

  it("x.at(...).mul/min/max/set with repeats and out-of-range indices, eager, jit and their gradients", async () => {
    const x = await both(sample(6 * 3, "float32", 44), [6, 3], "float32");
    const u = await both(sample(5 * 3, "float32", 45), [5, 3], "float32");
    const idx = await i32([2, -1, 2, 6, 0]);
    for (const kind of ["set", "add", "mul", "min", "max"] as const) {
      await check((a, i, w) => a.at(i)[kind](w), x, idx, u);
      await check((a, i, w) => jit((p: Value, q: Value, r: Value) => p.at(q)[kind](r))(a, i, w), x, idx, u);
    }
    // the gradients are scatters and gathers of the same indices; set's and add's are pure data movement
    for (const kind of ["set", "add"] as const) {
      const loss = (a: Value, i: Value, w: Value) => np.sum(a.at(i)[kind](w).mul(a));
      await check((a, i, w) => grad(loss, { argnums: [0, 2] })(a, i, w)[1], x, idx, u);
    }
  });
});

// ---- the JAX fixtures on WebGPU -------------------------------------------------------------

describe.skipIf(!hasGpu)("webgpu: the JAX indexing fixtures", () => {
  for (const c of fixture.cases) {
    it(`${c.name}: eager and jit equal the CPU bit for bit and JAX's values; gradients as jax.grad`, async () => {
      const f = operation(c);
      const pair = async (t: Tensor) => both(numbers(t), t.shape, t.dtype);
      const x = await pair(c.x);
      const u = c.u ? await pair(c.u) : null;
      const rest = await Promise.all(onCpu(() => restArgs(c)).map(async (r) => both(globalThis.Array.from(r.dataSync(), Number), [...r.shape], "int32")));
      const args = u ? [x, u, ...rest] : [x, ...rest];
      const call = (...a: Value[]) => (u ? f(a[0], a[1], ...a.slice(2)) : f(a[0], null, ...a.slice(1)));
      const g = await check(call, ...args);
      const want = numbers(c.expected);
      const got = globalThis.Array.from(await (g as Array).data(), Number);
      got.forEach((v, k) => {
        const e = want[k];
        if (!(Number.isNaN(e) ? Number.isNaN(v) : Math.abs(v - e) <= 2e-7 * Math.max(1, Math.abs(e)))) expect.fail(`element ${k}: ${v} vs JAX ${e}`);
      });
      await check((...a: Value[]) => jit(call)(...a), ...args);
      if (c.gradX) {
        const w = await pair(c.w!);
        const loss = (xv: Value, wv: Value, ...r: Value[]) => weightedSum(u ? f(xv, r[0], ...r.slice(1)) : f(xv, null, ...r), wv);
        const gx = grad(loss)(x.g, w.g, ...args.slice(1).map((p) => p.g)) as Value;
        expect((gx as Array).device).toBe("webgpu");
        const gv = globalThis.Array.from(await (gx as Array).data(), Number);
        const gw = numbers(c.gradX);
        gv.forEach((v, k) => {
          if (Math.abs(v - gw[k]) > 1e-5 * Math.max(1, Math.abs(gw[k]))) expect.fail(`gradient element ${k}: ${v} vs jax.grad ${gw[k]}`);
        });
      }
    });
  }

  it("a mask computed on the GPU cannot be read synchronously: a BackendError names devicePutAsync", async () => {
    const x = await both(sample(6, "float32", 50), [2, 3], "float32");
    const mask = x.g.gt(0);
    expect(() => x.g.get(mask)).toThrow(BackendError);
    expect(() => x.g.get(mask)).toThrow(/devicePutAsync\(mask, "cpu"\)/);
    const host = await devicePutAsync(mask, "cpu");
    await expectSame(x.g.get(host), onCpu(() => x.c.get(x.c.gt(0))));
  });
});

// ---- pad ------------------------------------------------------------------------------

describe.skipIf(!hasGpu)("webgpu pad", () => {
  it.each(DTYPES)("lax.pad with interior, negative (cropping) and positive edges (%s)", async (dtype) => {
    const x = await both(sample(3 * 4 * 2, dtype, 12), [3, 4, 2], dtype);
    const v = await both([dtype === "float32" ? -2.5 : 1], [], dtype);
    const configs: [number, number, number][][] = [
      [[1, 2, 0], [0, 0, 0], [3, 1, 0]],
      [[1, 1, 1], [2, -1, 2], [0, 0, 3]],
      [[-2, -1, 2], [-3, 4, 1], [-1, -2, 4]],
      [[-7, 0, 3], [0, 0, 0], [0, 0, 0]],
      [[-1, -2, 0], [-1, -3, 0], [0, 0, 0]], // everything cropped away on axis 1
    ];
    for (const cfg of configs) await check((a, p) => lax.pad(a, p, cfg), x, v);
  });

  it("lax.pad against a JS loop, with NaN and -0 bits passed through", async () => {
    const nan = new Float32Array(new Uint32Array([0x7fc01234]).buffer)[0];
    const x = await both([1, -0, nan, 4], [4], "float32");
    const v = await both([-0], [], "float32");
    const g = await check((a, p) => lax.pad(a, p, [[-1, 2, 2]]), x, v);
    // x[k] lands at 3k - 1: x[0] is cropped, x[1..3] land at 2, 5, 8 of a length-11 row
    const bits = (f: number) => new Uint32Array(new Float32Array([f]).buffer)[0];
    const want = [-0, -0, -0, -0, -0, nan, -0, -0, 4, -0, -0].map(bits);
    expect(g.shape).toEqual([11]);
    expect(await words(g)).toEqual(want);
  });

  it.each(DTYPES)("np.pad constant mode and a 0-d pad (%s)", async (dtype) => {
    const x = await both(sample(2 * 3, dtype, 13), [2, 3], dtype);
    await check((a) => np.pad(a, [[1, 2], [0, 3]], { constantValue: dtype === "float32" ? 7.5 : 1 }), x);
    await check((a) => np.pad(a, 1), x);
    const s = await both(sample(1, dtype, 14), [], dtype);
    const v = await both([0], [], dtype);
    await check((a, p) => lax.pad(a, p, []), s, v);
  });
});

// ---- concatenate ----------------------------------------------------------------------

describe.skipIf(!hasGpu)("webgpu concatenate", () => {
  /** `count` arrays of shape [2, w_k, 3] (or w_k on axis 0) with varied widths, one of them empty. */
  async function parts(count: number, dtype: DType, axis: number) {
    const out = [];
    for (let k = 0; k < count; k++) {
      const w = count > 2 && k === 1 ? 0 : 1 + (k % 3);
      const shape = [2, 3, 3];
      shape[axis] = w;
      out.push(await both(sample(shape[0] * shape[1] * shape[2], dtype, 20 + k), shape, dtype));
    }
    return out;
  }

  for (const dtype of DTYPES) {
    for (const count of [1, 3, 12]) {
      it(`np.concatenate of ${count} inputs on every axis (${dtype})`, async () => {
        for (const axis of [0, 1, 2]) {
          const xs = await parts(count, dtype, axis);
          await check((...a) => np.concatenate(a, axis), ...xs);
        }
      });
    }
  }

  it("twelve inputs against a JS loop, including the same array twice", async () => {
    const data = globalThis.Array.from({ length: 12 }, (_, k) => globalThis.Array.from({ length: 2 * (k + 1) }, (_, j) => k * 100 + j));
    const xs = await Promise.all(data.map((d, k) => both(d, [2, k + 1], "int32")));
    xs[5] = xs[2];
    data[5] = data[2];
    const g = await check((...a) => np.concatenate(a, 1), ...xs);
    const want: number[] = [];
    for (let r = 0; r < 2; r++)
      data.forEach((d) => {
        const w = d.length / 2;
        want.push(...d.slice(r * w, (r + 1) * w));
      });
    expect(globalThis.Array.from(await (g as Array).data())).toEqual(want);
  });
});

// ---- dynamic_slice / dynamic_update_slice -----------------------------------------------

describe.skipIf(!hasGpu)("webgpu dynamic_slice and dynamic_update_slice", () => {
  const starts: [number, number][] = [[0, 0], [1, 2], [-3, 1], [9, -1], [2, 99], [-100, 100]];

  it.each(DTYPES)("lax.dynamicSlice: negative starts count from the end, then starts are clamped (%s)", async (dtype) => {
    const data = sample(5 * 6, dtype, 30);
    const x = await both(data, [5, 6], dtype);
    for (const [s0, s1] of starts) {
      const a = await i32([s0], []);
      const b = await i32([s1], []);
      const g = await check((v, p, q) => lax.dynamicSlice(v, [p, q], [3, 4]), x, a, b);
      // as JAX: -3 on an axis of 5 is 2; what is still out of range clamps
      const c0 = Math.min(Math.max(s0 < 0 ? s0 + 5 : s0, 0), 2);
      const c1 = Math.min(Math.max(s1 < 0 ? s1 + 6 : s1, 0), 2);
      const want: number[] = [];
      for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) want.push(data[(c0 + i) * 6 + c1 + j]);
      expect(globalThis.Array.from(await (g as Array).data(), Number)).toEqual(want);
    }
  });

  it.each(DTYPES)("lax.dynamicUpdateSlice with negative and out-of-range starts (%s)", async (dtype) => {
    const x = await both(sample(5 * 6, dtype, 31), [5, 6], dtype);
    const u = await both(sample(2 * 4, dtype, 32), [2, 4], dtype);
    for (const [s0, s1] of starts) {
      const a = await i32([s0], []);
      const b = await i32([s1], []);
      await check((v, w, p, q) => lax.dynamicUpdateSlice(v, w, [p, q]), x, u, a, b);
    }
    const empty = await both([], [0, 3], dtype);
    await check((v, w, p, q) => lax.dynamicUpdateSlice(v, w, [p, q]), x, empty, await i32([2], []), await i32([1], []));
  });

  it("rank 7: more start indices than storage bindings", async () => {
    const shape = [2, 3, 2, 2, 3, 2, 2];
    const n = shape.reduce((a, b) => a * b, 1);
    const x = await both(sample(n, "float32", 33), shape, "float32");
    const st = await Promise.all([1, -1, 5, 0, 1, 2, -7].map((s) => i32([s], [])));
    await check((v, ...s) => lax.dynamicSlice(v, s, [1, 2, 2, 1, 2, 1, 2]), x, ...st);
    const u = await both(sample(8, "float32", 34), [1, 2, 1, 2, 2, 1, 1], "float32");
    await check((v, w, ...s) => lax.dynamicUpdateSlice(v, w, s), x, u, ...st);
  });

  it("traced starts under jit and vmap", async () => {
    const x = await both(sample(8 * 5, "float32", 35), [8, 5], "float32");
    const sliceRow = (v: Value, i: Value) => lax.dynamicSlice(v, [i, np.array(0, { dtype: "int32" })], [2, 5]);
    for (const s of [0, 3, 7, -2]) await check((v, i) => jit(sliceRow)(v, i), x, await i32([s], []));
    const u = await both(sample(5, "float32", 36), [1, 5], "float32");
    const put = (v: Value, w: Value, i: Value) => lax.dynamicUpdateSlice(v, w, [i, np.array(0, { dtype: "int32" })]);
    for (const s of [0, 4, 7, 20]) await check((v, w, i) => jit(put)(v, w, i), x, u, await i32([s], []));
    const many = await i32([0, 6, -1, 3]);
    await check((v, i) => vmap((j: Value) => sliceRow(v, j))(i), x, many);
    await check((v, w, i) => vmap((j: Value) => put(v, w, j))(i), x, u, many);
  });
});

// ---- threefry2x32 and random --------------------------------------------------------------

describe.skipIf(!hasGpu)("webgpu threefry2x32 and random", () => {
  it("lax.threefry2x32 matches the Random123 known-answer vectors", async () => {
    // Threefry-2x32, 20 rounds: (key, counter) -> output, from Random123's kat_vectors
    const cases = [
      [[0, 0], [0, 0], [0x6b200159, 0x99ba4efe]],
      [[0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
      [[0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3], [0xc4923a9c, 0x483df7a0]],
    ];
    // committed to the GPU: small uncommitted host-made operands would be folded on the host
    const u32 = (vs: number[]) => devicePut(np.array(Uint32Array.from(vs), { dtype: "uint32" }), "webgpu");
    const col = (k: number) => cases.map((c) => (c as number[][])[Math.floor(k / 2)][k % 2]);
    const [y0, y1] = lax.threefry2x32(u32(col(0)), u32(col(1)), u32(col(2)), u32(col(3)));
    expect((y0 as Array).device).toBe("webgpu");
    expect(globalThis.Array.from(await (y0 as Array).data())).toEqual(cases.map((c) => c[2][0]));
    expect(globalThis.Array.from(await (y1 as Array).data())).toEqual(cases.map((c) => c[2][1]));
    // 0-d keys broadcast over the counters
    const k0 = await both([0x13198a2e], [], "uint32");
    const k1 = await both([0x03707344], [], "uint32");
    const x0 = await both(sample(1000, "int32", 40).map((v) => v >>> 0), [10, 100], "uint32");
    const x1 = await both(sample(1000, "int32", 41).map((v) => (v * 7919) >>> 0), [10, 100], "uint32");
    for (const out of [0, 1]) await check((a, b, c, d) => lax.threefry2x32(a, b, c, d)[out], k0, k1, x0, x1);
    // all operands of size 1
    const one = await both([0x243f6a88], [1], "uint32");
    for (const out of [0, 1]) await check((a, b) => lax.threefry2x32(a, b, a, b)[out], one, await both([0x85a308d3], [1], "uint32"));
  });

  it("random.key / split / uniform / randint / bernoulli are the CPU's numbers, bit for bit", async () => {
    const draws = (seed: number, device: "cpu" | "webgpu") => {
      const key = devicePut(random.key(seed), device); // committed: the draws run there
      const [k1, k2, k3] = random.split(key, 3);
      const [k4] = random.split(k2);
      return [
        key,
        random.splitArray(key, 5),
        random.uniform(k1, [7, 33]),
        random.randint(k3, [4, 5], -10, 1000),
        random.bernoulli(k4, 0.3, [50]),
        random.uniform(random.foldIn(key, 17), [3], { minval: -2, maxval: 5 }),
      ];
    };
    for (const seed of [0, 42, 123456789]) {
      const g = draws(seed, "webgpu");
      const c = onCpu(() => draws(seed, "cpu"));
      for (let i = 0; i < g.length; i++) await expectSame(g[i], c[i]);
    }
  });

  it("random.normal: the same bits, through transcendental math that may differ by an ulp", async () => {
    // the WGSL and JS inverse-erf/log are separate implementations, so only the bits must match exactly
    const draw = (device: "cpu" | "webgpu") => random.normal(random.split(devicePut(random.key(7), device))[1], [129]);
    const g = await (draw("webgpu") as Array).data();
    const c = await (onCpu(() => draw("cpu")) as Array).data();
    expect(g.length).toBe(c.length);
    g.forEach((v, i) => expect(Math.abs(v - c[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(c[i]))));
    const bits = (device: "cpu" | "webgpu") => random.bits(random.split(devicePut(random.key(7), device))[1], [129]);
    await expectSame(bits("webgpu"), onCpu(() => bits("cpu")));
  });
});
