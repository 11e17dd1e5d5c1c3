/**
 * The convolution fixture (test/fixtures/conv/generate.py, real JAX) and the
 * jaxon call each case stands for: shared by the CPU and WebGPU conv tests.
 */
import { readFileSync } from "node:fs";
import { lax, type Value } from "../src/index.js";

export type Case = {
  name: string;
  kind: "general" | "transpose";
  lhsShape: number[];
  rhsShape: number[];
  windowStrides?: number[];
  strides?: number[];
  padding: string | number[][];
  lhsDilation?: number[] | null;
  rhsDilation?: number[] | null;
  dimensionNumbers?: [string, string, string] | null;
  featureGroupCount?: number;
  batchGroupCount?: number;
  transposeKernel?: boolean;
  lhs: number[];
  rhs: number[];
  cot: number[];
  outShape: number[];
  out: number[];
  gradLhs: number[];
  gradRhs: number[];
};
export const fixture = JSON.parse(readFileSync(new URL("./fixtures/conv/conv.json", import.meta.url), "utf8")) as {
  cases: Case[];
  cnn: { x: number[]; labels: number[]; params: Record<string, { w: number[]; b: number[] }>; lr: number; losses: number[] };
};

export function convOf(c: Case): (l: Value, r: Value) => Value {
  if (c.kind === "transpose") {
    return (l, r) =>
      lax.convTranspose(l, r, c.strides!, c.padding, {
        rhsDilation: c.rhsDilation ?? undefined,
        dimensionNumbers: c.dimensionNumbers ?? undefined,
        transposeKernel: c.transposeKernel,
      });
  }
  return (l, r) =>
    lax.convGeneralDilated(l, r, c.windowStrides!, c.padding, {
      lhsDilation: c.lhsDilation ?? undefined,
      rhsDilation: c.rhsDilation ?? undefined,
      dimensionNumbers: c.dimensionNumbers ?? undefined,
      featureGroupCount: c.featureGroupCount,
      batchGroupCount: c.batchGroupCount,
    });
}

