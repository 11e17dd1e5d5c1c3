/**
 * Runs the JAX fixtures of test/fixtures/numpy/<topic>.json (made by
 * test/fixtures/numpy/generate.py) against a table from case ids to jaxon
 * calls: each case's outputs (dtype, shape, values), its gradient where the
 * fixture has one, the same call under jit (or, for a call whose result's
 * shape depends on the data, JAX's ConcretizationError), and on WebGPU when
 * an adapter exists. Every fixture case needs a table entry and every entry a
 * case, so nothing is skipped silently.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Array, defaultDevice, devicePut, grad, jit, np, type Value } from "../src/index.js";
import { getBackend } from "../src/backend/device.js";
import { allocate, type DType } from "../src/dtype.js";
import { BackendError, ConcretizationError } from "../src/errors.js";

type Enc = number | "nan" | "inf" | "-inf" | "-0";
export interface EncArray {
  dtype: string;
  /** JAX's weak_type of an output (absent: strong). */
  weak?: boolean;
  shape: number[];
  data: Enc[];
}
interface Case {
  id: string;
  args: EncArray[];
  out: EncArray[];
  multi: boolean;
  grad?: EncArray;
}

/** A table entry: the jaxon call, and whether its result's shape needs concrete inputs (then jit must refuse it). */
export type Entry = ((...args: Value[]) => Value | Value[]) | { fn: (...args: Value[]) => Value | Value[]; concrete?: boolean };

const here = dirname(fileURLToPath(import.meta.url));

export function loadCases(topic: string): { jax: string; cases: Case[] } {
  return JSON.parse(readFileSync(join(here, "fixtures", "numpy", `${topic}.json`), "utf8"));
}

const decode = (v: Enc): number => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v === "-0" ? -0 : v);

/** A fixture array on the CPU (committed, so eager ops run there). */
export function fromFixture(e: EncArray): Array {
  const data = allocate(e.dtype as DType, e.data.length);
  e.data.forEach((v, i) => (data[i] = decode(v)));
  return Array.fromTyped(data, e.shape, e.dtype as DType, false, getBackend("cpu"));
}

function closeEnough(got: number, want: number, tol: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (got === want) return true;
  return Math.abs(got - want) <= tol * Math.max(1, Math.abs(want));
}

/** Compares an output with a fixture array: dtype, shape and values (floats within `tol`, others exactly). */
export async function expectMatches(what: string, got: Value, want: EncArray, tol = 2e-5): Promise<void> {
  expect(got.dtype, `${what}: dtype`).toBe(want.dtype);
  expect(got.weakType, `${what}: weak type`).toBe(!!want.weak);
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  const data = globalThis.Array.from(await (got as Array).data());
  const exact = !want.dtype.startsWith("float");
  const bad = data.map((v, i) => [i, v, decode(want.data[i])] as const).filter(([, v, w]) => (exact ? !(v === w || (Number.isNaN(v) && Number.isNaN(w))) : !closeEnough(v, w, tol)));
  if (bad.length) expect.fail(`${what}: ${bad.length} of ${data.length} values differ, first at ${bad[0][0]}: got ${bad[0][1]}, JAX ${bad[0][2]}; got [${data.slice(0, 16).join(", ")}]`);
}

const asList = (r: Value | Value[]): Value[] => (globalThis.Array.isArray(r) ? r : [r]);
const entryFn = (e: Entry) => (typeof e === "function" ? e : e.fn);

/** Registers the tests of one topic: eager, gradient and jit on the CPU; eager on WebGPU when `gpu`. */
export function runFixtureTable(topic: string, table: Record<string, Entry>, gpu: boolean): void {
  const { jax, cases } = loadCases(topic);
  describe(`${topic}: JAX ${jax} fixtures`, () => {
    it("every fixture case has a table entry and every entry a case", () => {
      const ids = cases.map((c) => c.id).sort();
      expect(Object.keys(table).sort()).toEqual(ids);
    });
    for (const c of cases) {
      const entry = table[c.id];
      if (!entry) continue;
      const fn = entryFn(entry);
      const concrete = typeof entry === "object" && !!entry.concrete;
      it(`${c.id}: values`, async () => {
        const out = asList(fn(...c.args.map(fromFixture)));
        expect(out.length, `${c.id}: number of outputs`).toBe(c.out.length);
        expect(globalThis.Array.isArray(fn(...c.args.map(fromFixture))), `${c.id}: a list of outputs`).toBe(c.multi);
        for (let i = 0; i < out.length; i++) await expectMatches(`${c.id} output ${i}`, out[i], c.out[i]);
      });
      if (c.grad) {
        const g = c.grad;
        it(`${c.id}: gradient`, async () => {
          const rest = c.args.slice(1).map(fromFixture);
          const loss = (a0: Value) => {
            const o = asList(fn(a0, ...rest))[0];
            const w = np.add(1, np.multiply(0.1, np.reshape(np.arange(o.size, { dtype: o.dtype }), o.shape)));
            return np.sum(np.multiply(o, w));
          };
          await expectMatches(`${c.id} gradient`, grad(loss)(fromFixture(c.args[0])), g, 1e-4);
        });
      }
      it(`${c.id}: under jit${concrete ? " (ConcretizationError, as JAX)" : ""}`, async () => {
        const jitted = jit((...args: Value[]) => fn(...args));
        if (concrete) {
          expect(() => jitted(...c.args.map(fromFixture))).toThrow(ConcretizationError);
          return;
        }
        const out = asList(jitted(...c.args.map(fromFixture)));
        for (let i = 0; i < out.length; i++) await expectMatches(`${c.id} jit output ${i}`, out[i], c.out[i]);
      });
      if (gpu && concrete && c.args.length > 0) {
        // the result's shape needs the inputs' values, which a WebGPU array cannot give synchronously
        it(`${c.id}: on WebGPU, a BackendError that names the fix`, () => {
          const args = c.args.map((a) => devicePut(fromFixture(a), "webgpu") as Value);
          expect(() => fn(...args)).toThrow(BackendError);
          expect(() => fn(...args)).toThrow(/cannot be read synchronously/);
        });
      }
      if (gpu && !concrete) {
        it(`${c.id}: on WebGPU (jit)`, async () => {
          const out = asList(jit((...args: Value[]) => fn(...args))(...c.args.map((a) => devicePut(fromFixture(a), "webgpu") as Value)));
          for (let i = 0; i < out.length; i++) {
            expect((out[i] as Array).device, `${c.id}: ran on`).toBe("webgpu");
            await expectMatches(`${c.id} webgpu output ${i}`, out[i], c.out[i], 1e-4);
          }
        });
      }
    }
  });
}

/** Runs `f` with the CPU as the default device (and restores the previous default, whichever it was). */
export function withCpu<T>(f: () => T): T {
  const previous = defaultDevice();
  defaultDevice("cpu");
  try {
    return f();
  } finally {
    defaultDevice(previous);
  }
}
