/** How the scipy fixture tests (scipy-breadth2, scipy-special2) compare jaxon's values with the recorded reference. */
import { expect } from "vitest";
import type { Value } from "../src/index.js";

/** Index of the first element where `got` and `want` differ beyond rtol/atol (NaN = NaN, infinities exact), or -1. */
function firstMismatch(got: ArrayLike<number>, want: number[], rtol: number, atol: number): number {
  if (got.length !== want.length) return 0;
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i], want[i]];
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w))) return i;
    } else if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) return i;
  }
  return -1;
}

/** Asserts that `got` (read synchronously: a CPU array) matches the reference values within rtol/atol. */
export function expectCloseToReference(label: string, got: Value, want: number[], rtol: number, atol: number) {
  expectValuesClose(label, got.dataSync() as ArrayLike<number>, want, rtol, atol);
}

/** Asserts that the values read back match the reference within rtol/atol, naming the first element that does not. */
export function expectValuesClose(label: string, got: ArrayLike<number>, want: number[], rtol: number, atol: number) {
  const g = Array.from(got);
  const i = firstMismatch(g, want, rtol, atol);
  expect(i, `${label}: element ${i}: jaxon ${g[i]}, reference ${want[i]} (rtol ${rtol}, atol ${atol})\n jaxon ${g}\n ref   ${want}`).toBe(-1);
}
