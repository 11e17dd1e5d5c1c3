/** How a test compares jaxon's value with XLA's for the StableHLO round trips (stablehlo.test.ts, stablehlo-xla-live.test.ts). */
import { expect } from "vitest";
import type { Value } from "../src/index.js";

/** Equal shapes; float32 tolerance 2e-5 + 2e-4·|x| (or exact: integers, random bits, non-finite values); NaN where XLA has NaN. */
export async function expectCloseToXla(actual: Value, expected: Value, exact: boolean, what: string) {
  expect(actual.shape, what).toEqual(expected.shape);
  const a = Array.from((await actual.data()) as ArrayLike<number>, Number);
  const e = Array.from((await expected.data()) as ArrayLike<number>, Number);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(e[i])) {
      expect(Number.isNaN(a[i]), `${what}[${i}]: NaN expected, got ${a[i]}`).toBe(true);
    } else if (exact || !Number.isFinite(e[i])) {
      expect(a[i], `${what}[${i}]`).toBe(e[i]);
    } else {
      expect(Math.abs(a[i] - e[i]), `${what}[${i}]: ${a[i]} vs XLA's ${e[i]}`).toBeLessThanOrEqual(2e-5 + 2e-4 * Math.abs(e[i]));
    }
  }
}
