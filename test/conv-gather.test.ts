/**
 * The implicit-GEMM convolution's patch gathering in WebAssembly
 * (src/backend/cpu/conv-gather.ts): taken for features-last inputs, and
 * giving exactly the values of the JavaScript gathering (the same patches
 * go to the same matmul) over padding, strides, kernel and input dilation,
 * feature counts that are not a multiple of 4, and zeros and NaN inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lax, type Value } from "../src/index.js";
import { convGatherStats, setConvGatherWasm } from "../src/backend/cpu/conv-gather.js";
import { setConvDirect } from "../src/backend/cpu/conv-direct.js";
import { arr, values } from "./helpers.js";

function data(n: number, seed: number, nan: boolean): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out.push(nan && s % 97 === 0 ? NaN : s / 2 ** 32 - 0.5);
  }
  return out;
}

interface Case {
  x: number[];
  w: number[];
  strides: number[];
  padding: "SAME" | "VALID" | [number, number][];
  rhsDilation?: number[];
  dn: [string, string, string];
  taken: boolean;
}
const CASES: Case[] = [
  { x: [4, 12, 12, 16], w: [3, 3, 16, 8], strides: [1, 1], padding: "SAME", dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  { x: [3, 11, 9, 5], w: [3, 2, 5, 7], strides: [2, 1], padding: [[2, 1], [0, 3]], dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  { x: [2, 13, 13, 3], w: [3, 3, 3, 12], strides: [1, 2], padding: "SAME", rhsDilation: [2, 2], dn: ["NHWC", "HWIO", "NHWC"], taken: true },
  { x: [2, 10, 10, 20], w: [5, 5, 20, 6], strides: [1, 1], padding: "VALID", dn: ["NHWC", "HWIO", "NCHW"], taken: true },
  { x: [2, 8, 10, 10], w: [8, 8, 3, 3], strides: [1, 1], padding: "SAME", dn: ["NCHW", "OIHW", "NCHW"], taken: false },
];

describe("convolution patches gathered by WebAssembly", () => {
  // the direct kernel (conv-direct.ts, tested in conv-direct.test.ts) takes these channels-last cases first: off here
  let direct = true;
  beforeAll(() => void (direct = setConvDirect(false)));
  afterAll(() => void setConvDirect(direct));
  for (const nan of [false, true]) {
    for (const c of CASES) {
      it(`${JSON.stringify(c)}${nan ? " with NaN" : ""}: as the JavaScript gathering`, () => {
        const x = arr(data(c.x.reduce((a, b) => a * b, 1), 3, nan), "float32", c.x);
        const w = arr(data(c.w.reduce((a, b) => a * b, 1), 5, false), "float32", c.w);
        const f = (): Value => lax.convGeneralDilated(x, w, c.strides, c.padding, { rhsDilation: c.rhsDilation, dimensionNumbers: c.dn });
        const prev = setConvGatherWasm(false);
        let want: number[];
        try {
          want = values(f());
        } finally {
          setConvGatherWasm(prev);
        }
        const before = convGatherStats.wasm;
        const got = values(f());
        expect(got.length).toBe(want.length);
        for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) expect({ i, v: got[i] }).toEqual({ i, v: want[i] });
        expect(convGatherStats.wasm > before).toBe(c.taken);
      });
    }
  }
});
