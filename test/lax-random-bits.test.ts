/**
 * threefry2x32: the known answers of the Threefry paper / JAX's tests, a JS
 * reference on random inputs, broadcasting of 0-d keys, zero tangents, vmap
 * against a loop, and typed errors.
 */
import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import { DTypeError, ShapeError } from "../src/errors.js";
import * as lax from "../src/lax/index.js";
import type { Value } from "../src/trace/core.js";
import { grad, vjp } from "../src/transforms/linearize.js";
import { jvp } from "../src/transforms/jvp.js";
import { vmap } from "../src/transforms/vmap.js";
import { jit } from "../src/transforms/jit.js";
import { arr, expectClose, rand, values } from "./helpers.js";

/** Threefry-2x32, 20 rounds, in plain JS. */
function threefryRef(k0: number, k1: number, x0: number, x1: number): [number, number] {
  const rotations = [
    [13, 15, 26, 6],
    [17, 29, 16, 24],
  ];
  const ks = [k0 >>> 0, k1 >>> 0, (k0 ^ k1 ^ 0x1bd11bda) >>> 0];
  let a = (x0 + ks[0]) >>> 0;
  let b = (x1 + ks[1]) >>> 0;
  for (let i = 0; i < 5; i++) {
    for (const r of rotations[i % 2]) {
      a = (a + b) >>> 0;
      b = ((b << r) | (b >>> (32 - r))) >>> 0;
      b = (b ^ a) >>> 0;
    }
    a = (a + ks[(i + 1) % 3]) >>> 0;
    b = (b + ks[(i + 2) % 3] + i + 1) >>> 0;
  }
  return [a, b];
}

const u32 = (v: number | number[], shape?: number[]) => arr(v, "uint32", shape ?? (typeof v === "number" ? [] : [v.length]));
const randU32 = (n: number, seed: number) => rand(n, seed, 0, 4294967296).map((v) => Math.floor(v) >>> 0);

describe("threefry2x32", () => {
  it("known answers", () => {
    const [a, b] = lax.threefry2x32(u32(0x13198a2e), u32(0x03707344), u32(0x243f6a88), u32(0x85a308d3));
    expect(values(a)).toEqual([0xc4923a9c]);
    expect(values(b)).toEqual([0x483df7a0]);
    const [c, d] = lax.threefry2x32(u32(0), u32(0), u32(0), u32(0));
    expect([...values(c), ...values(d)]).toEqual([0x6b200159, 0x99ba4efe]);
    expect(threefryRef(0, 0, 0, 0)).toEqual([0x6b200159, 0x99ba4efe]);
    const [e, f] = lax.threefry2x32(u32(0xffffffff), u32(0xffffffff), u32(0xffffffff), u32(0xffffffff));
    expect([...values(e), ...values(f)]).toEqual([0x1cb996fc, 0xbb002be7]);
  });
  it("matches a JS reference on random words; 0-d keys broadcast to the counters' shape", () => {
    const n = 24;
    const x0 = randU32(n, 1);
    const x1 = randU32(n, 2);
    const [k0, k1] = randU32(2, 3);
    const [y0, y1] = lax.threefry2x32(u32(k0), u32(k1), u32(x0, [4, 6]), u32(x1, [4, 6]));
    expect(y0.shape).toEqual([4, 6]);
    expect(y0.dtype).toBe("uint32");
    const ref = x0.map((_, i) => threefryRef(k0, k1, x0[i], x1[i]));
    expect(values(y0)).toEqual(ref.map((r) => r[0]));
    expect(values(y1)).toEqual(ref.map((r) => r[1]));
    // a full-shape key works as well
    const ks0 = randU32(n, 4);
    const [z0] = lax.threefry2x32(u32(ks0), u32(k1), u32(x0), u32(0));
    expect(values(z0)).toEqual(x0.map((_, i) => threefryRef(ks0[i], k1, x0[i], 0)[0]));
  });
  it("has zero tangents, and gradients flow around it", () => {
    const [, [t0, t1]] = jvp((k: Value) => lax.threefry2x32(k, k, u32([1, 2]), u32([3, 4])), [u32(5)], [u32(0)]) as [Value[], Value[]];
    expect([...values(t0), ...values(t1)]).toEqual([0, 0, 0, 0]);
    // uniform-like floats from the bits scale x; d/dx sum(x * u) = u
    const f = (x: Value) => {
      const [bits] = lax.threefry2x32(u32(7), u32(8), u32([0, 1, 2]), u32([0, 0, 0]));
      const u = lax.div(lax.convert(bits, "float64"), 4294967296);
      return lax.reduceSum(lax.mul(x, u), [0]);
    };
    const g = grad(f)(arr([1, 2, 3])) as Value;
    const expected = [0, 1, 2].map((i) => threefryRef(7, 8, i, 0)[0] / 4294967296);
    expectClose(g, expected, 1e-15);
    const [, pullback] = vjp(f, arr([1, 2, 3]));
    expectClose((pullback(arr(2)) as Value[])[0], expected.map((e) => 2 * e), 1e-15);
  });
  it("vmap over keys, counters, or both, against a loop", () => {
    const B = 3;
    const keys0 = randU32(B, 10);
    const keys1 = randU32(B, 11);
    const ctr0 = randU32(B * 5, 12);
    const ctr1 = randU32(B * 5, 13);
    const f = (k0: Value, k1: Value, x0: Value, x1: Value) => {
      const [a, b] = lax.threefry2x32(k0, k1, x0, x1);
      return lax.concatenate([a, b], 0);
    };
    // per example b: each argument's entry b when batched, else its entry 0
    const expectedFor = (b: number, inAxes: (number | null)[]) => {
      const pick = (i: number) => (inAxes[i] === null ? 0 : b);
      const rows = [0, 1, 2, 3, 4].map((i) => threefryRef(keys0[pick(0)], keys1[pick(1)], ctr0[pick(2) * 5 + i], ctr1[pick(3) * 5 + i]));
      return [...rows.map((r) => r[0]), ...rows.map((r) => r[1])];
    };
    const x0 = u32(ctr0, [B, 5]);
    const x1 = u32(ctr1, [B, 5]);
    const cases: [[Value, Value, Value, Value], (number | null)[]][] = [
      [[u32(keys0), u32(keys1), u32(ctr0.slice(0, 5)), u32(ctr1.slice(0, 5))], [0, 0, null, null]],
      [[u32(keys0[0]), u32(keys1[0]), x0, x1], [null, null, 0, 0]],
      [[u32(keys0), u32(keys1[0]), lax.transpose(x0, [1, 0]), x1], [0, null, 1, 0]],
      [[u32(keys0), u32(keys1), x0, x1], [0, 0, 0, 0]],
    ];
    for (const [args, inAxes] of cases) {
      const out = vmap(f, { inAxes })(...args) as Value;
      expect(out.shape).toEqual([B, 10]);
      const got = values(out);
      for (let b = 0; b < B; b++) expect(got.slice(b * 10, b * 10 + 10)).toEqual(expectedFor(b, inAxes));
    }
  });
  it("vmap with 0-d counters: batched keys, shared scalar counters", () => {
    const keys = randU32(4, 20);
    const out = vmap((k: Value) => lax.threefry2x32(k, k, u32(9), u32(10))[1])(u32(keys)) as Value;
    expect(values(out)).toEqual(keys.map((k) => threefryRef(k, k, 9, 10)[1]));
  });
  it("jit == eager, including vmap of jit", () => {
    const f = (k: Value, x: Value) => lax.threefry2x32(k, lax.add(k, u32(1)), x, lax.mul(x, u32(3)))[0];
    const x = u32(randU32(6, 30));
    expect(values(jit(f)(u32(12345), x) as Value)).toEqual(values(f(u32(12345), x)));
    const keys = u32(randU32(3, 31));
    expect(values(vmap(jit(f), { inAxes: [0, null] })(keys, x) as Value)).toEqual(values(vmap(f, { inAxes: [0, null] })(keys, x) as Value));
  });
  it("bad input gets typed errors naming lax.threefry2x32", () => {
    expect(() => lax.threefry2x32(arr(1, "int32"), u32(0), u32(0), u32(0))).toThrow(DTypeError);
    expect(() => lax.threefry2x32(arr(1, "int32"), u32(0), u32(0), u32(0))).toThrow(/lax\.threefry2x32.*k0: int32/);
    expect(() => lax.threefry2x32(u32(0), u32(0), u32([1, 2]), u32([1, 2, 3]))).toThrow(ShapeError);
  });
});
