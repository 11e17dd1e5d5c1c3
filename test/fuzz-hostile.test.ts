/**
 * Hostile input, over every public function (the package root's functions and
 * those of np, lax, nn, random, tree and optim): each is called many times
 * with argument lists that mix valid values and hostile ones — objects whose
 * valueOf/toString are code, code in strings, fractions, NaN, ±Infinity, -0,
 * bigints, huge and negative sizes, symbols, null, cyclic lists and trees.
 *
 * Every call must either return or throw one of jaxon's typed errors (a
 * JaxonError subclass that names the operation); no raw TypeError or
 * RangeError, no stack overflow, no hang. And nothing of the hostile values may
 * run: no method of theirs is called (so no caller value can reach generated
 * code) and the code in the strings never executes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as J from "../src/index.js";
import { probeWebGPU } from "./device-helpers.js";

const { np, lax, nn, random, tree, optim } = J;

let touched: string[] = [];
const touch = (what: string) => {
  touched.push(`${what}: ${new Error().stack?.split("\n").slice(2, 5).join(" <- ")}`);
};
const CODE = "0+(globalThis.__jaxonPwned=1)";
const hostileValues: [string, unknown][] = [
  ["valueOf/toString object", { valueOf: () => (touch("valueOf"), 3), toString: () => (touch("toString"), CODE) }],
  ["toPrimitive object", { [Symbol.toPrimitive]: () => (touch("toPrimitive"), 2) }],
  ["toJSON object", { toJSON: () => (touch("toJSON"), 3) }],
  ["code string", CODE],
  ["dtype-like string", "float32"],
  ["empty string", ""],
  ["__proto__ string", "__proto__"],
  ["fraction", 1.5],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["-Infinity", -Infinity],
  ["-0", -0],
  ["2^53", 2 ** 53],
  ["2^40", 2 ** 40],
  ["-1", -1],
  ["-2^31", -(2 ** 31)],
  ["1e308", 1e308],
  ["bigint", 3n],
  ["huge bigint", 2n ** 70n],
  ["null", null],
  ["undefined", undefined],
  ["true", true],
  ["symbol", Symbol("s")],
  ["function", () => undefined],
  ["empty list", []],
  ["list of a hostile object", [{ valueOf: () => (touch("valueOf in list"), 3) }]],
  ["list of a fraction", [1.5]],
  ["list of NaN", [NaN]],
  ["huge shape", [2 ** 40, 2 ** 40]],
  ["negative shape", [-1]],
  ["nested empty lists", [[[]]]],
  ["options with a hostile dtype", { dtype: { toString: () => (touch("dtype toString"), "float32") } }],
  ["options with a code dtype", { dtype: CODE }],
  ["options with a hostile axis", { axis: { valueOf: () => (touch("axis valueOf"), 0) } }],
];
const cyclicObject: Record<string, unknown> = { a: 1 };
cyclicObject.self = cyclicObject;
const cyclicList: unknown[] = [];
cyclicList.push(cyclicList);
hostileValues.push(["cyclic object", cyclicObject], ["cyclic list", cyclicList]);

const validValues: unknown[] = [np.ones([2, 3]), np.arange(3), np.array(1.5), 2, 0, [2, 3], "float32", random.key(0), { axis: 0 }];

/** Functions that take anything by design, with the reason. */
const exempt: Record<string, string> = {
  "top.pipe": "fp-ts's pipe: applies the functions it is given, whatever they are",
  "top.flow": "fp-ts's flow: composes the functions it is given, whatever they are",
};

const namespaces: Record<string, object> = { top: J, np, lax, nn, random, tree, optim };
const publicFunctions: [string, (...args: unknown[]) => unknown][] = [];
for (const [ns, mod] of Object.entries(namespaces)) {
  for (const [name, v] of Object.entries(mod)) {
    // classes (Array, the error classes, ShapedArray…) are constructors, not functions to call
    if (typeof v === "function" && !/^[A-Z]/.test(name)) publicFunctions.push([`${ns}.${name}`, v as (...args: unknown[]) => unknown]);
  }
}
// np.fft's functions live in a namespace object
for (const [name, v] of Object.entries(np.fft)) if (typeof v === "function") publicFunctions.push([`np.fft.${name}`, v as (...args: unknown[]) => unknown]);
// scipy's modules (and its stats distributions) are objects of functions: walked to any depth
const walkScipy = (path: string, o: object): void => {
  for (const [name, v] of Object.entries(o)) {
    if (typeof v === "function" && !/^[A-Z]/.test(name)) publicFunctions.push([`${path}.${name}`, v as (...args: unknown[]) => unknown]);
    else if (v && typeof v === "object") walkScipy(`${path}.${name}`, v);
  }
};
walkScipy("scipy", J.scipy);

/**
 * Array methods too, called on a valid array (x.reshape(evil), x.get(evil),
 * x.at(evil).set(…)): `at` returns an updater whose methods are called in turn.
 */
const methodNames = Object.getOwnPropertyNames(Object.getPrototypeOf(Object.getPrototypeOf(np.ones([1])))).filter(
  (k) => k !== "constructor" && typeof Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Object.getPrototypeOf(np.ones([1]))), k)?.value === "function",
);
for (const m of methodNames) {
  publicFunctions.push([
    `Array.${m}`,
    (...args: unknown[]) => {
      const x = validValues[0] as Record<string, (...a: unknown[]) => unknown>;
      const out = x[m](...args);
      if (m === "at") for (const u of ["set", "add", "mul", "min", "max", "get"]) (out as Record<string, (...a: unknown[]) => unknown>)[u]?.(...args);
      return out;
    },
  ]);
}

/** Calls f and, when it returns a function (a transformation) or a promise, that too; returns the first raw error. */
async function callOnce(f: (...args: unknown[]) => unknown, args: unknown[]): Promise<unknown> {
  try {
    let out = f(...args);
    if (typeof out === "function") out = (out as (...a: unknown[]) => unknown)(...args);
    if (out instanceof Promise) await out;
    return undefined;
  } catch (e) {
    return e instanceof J.JaxonError ? undefined : e;
  }
}

const hostile = fc.constantFrom(...hostileValues.map(([, v]) => v));
const valid = fc.constantFrom(...validValues);
/** 1 to 5 arguments, at least one of them hostile. */
const argLists = fc
  .tuple(fc.array(fc.oneof(valid, hostile), { minLength: 0, maxLength: 4 }), hostile, fc.nat(4))
  .map(([rest, bad, at]) => {
    const args = [...rest];
    args.splice(Math.min(at, args.length), 0, bad);
    return args;
  });

const describeArg = (a: unknown) => {
  const hit = hostileValues.find(([, v]) => v === a);
  if (hit) return hit[0];
  if (a instanceof J.Array) return `Array(${a.shape.join("x")}, ${a.dtype})`;
  return typeof a === "string" ? JSON.stringify(a) : typeof a === "object" ? JSON.stringify(a) : String(a);
};

// np.save and np.savez write files named by their (here hostile) first argument: the run works in a
// folder of its own, removed afterwards, so that nothing lands in the checkout
const startDir = process.cwd();
const scratchDir = mkdtempSync(join(tmpdir(), "jaxon-fuzz-"));
beforeAll(() => process.chdir(scratchDir));
afterAll(() => {
  process.chdir(startDir);
  rmSync(scratchDir, { recursive: true, force: true });
});

describe("hostile input to every public function", () => {
  it("enumerates the public surface", () => {
    console.log(`fuzz: ${publicFunctions.length} public functions, ${Object.keys(exempt).length} exempt (${Object.entries(exempt).map(([k, why]) => `${k}: ${why}`).join("; ")})`);
    expect(publicFunctions.length).toBeGreaterThan(300);
  });

  /**
   * The valid values live on the device under test, which is also the default
   * device for the run (init and defaultDevice are among the functions called:
   * the device is set again before each function).
   */
  async function fuzzOn(device: "cpu" | "webgpu", numRuns: number) {
    J.defaultDevice(device);
    validValues.forEach((v, i) => {
      if (v instanceof J.Array) validValues[i] = J.devicePut(v, device);
    });
    touched = [];
    const raw = new Map<string, string>();
    let calls = 0;
    for (const [name, f] of publicFunctions) {
      if (exempt[name]) continue;
      J.defaultDevice(device);
      await fc.assert(
        fc.asyncProperty(argLists, async (args) => {
          calls++;
          const e = await callOnce(f, args);
          if (e !== undefined && !raw.has(name)) {
            const err = e as Error;
            raw.set(name, `${err?.constructor?.name}: ${String(err?.message).slice(0, 120)} (args: ${args.map(describeArg).join(", ")})`);
          }
          return true;
        }),
        // a seed per function: different argument lists for each, the same on every run
        { numRuns, seed: [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 20261205) },
      );
    }
    J.defaultDevice("cpu");
    console.log(
      `fuzz on ${device}: ${calls} calls, ${raw.size} functions with a raw error, ${touched.length} hostile methods called` +
        (touched.length ? `: ${touched.slice(0, 5).join("; ")}` : ""),
    );
    expect([...raw].map(([k, v]) => `${k}: ${v}`)).toEqual([]);
    expect(touched).toEqual([]);
    expect((globalThis as Record<string, unknown>).__jaxonPwned).toBeUndefined();
  }

  it("on the CPU: gives a typed error or a value, runs none of the caller's code, and keeps the process alive", async () => {
    await fuzzOn("cpu", 150);
  }, 240_000);

  it("on WebGPU: the same", async () => {
    if (!(await probeWebGPU("fuzz-hostile.test.ts"))) return;
    await fuzzOn("webgpu", 30);
  }, 240_000);

  it("no hostile shape, axis or dimension reaches generated code (the reported cases)", () => {
    touched = [];
    const evil = { valueOf: () => (touch("valueOf"), 3), toString: () => (touch("toString"), CODE) };
    const cases: [string, () => unknown][] = [
      ["lax.iota with code as the dimension", () => lax.iota("int32", [3], CODE as unknown as number)],
      ["lax.iota with an evil size", () => lax.iota("int32", [evil] as unknown as number[])],
      ["lax.broadcastInDim with an evil shape", () => lax.broadcastInDim(np.ones([3]), [evil, 3] as unknown as number[], [1])],
      ["lax.broadcastInDim with evil dims", () => lax.broadcastInDim(np.ones([3]), [2, 3], [evil] as unknown as number[])],
      ["lax.reshape with an evil size", () => lax.reshape(np.ones([3]), [evil] as unknown as number[])],
      ["lax.transpose with an evil permutation", () => lax.transpose(np.ones([2, 3]), [evil, 0] as unknown as number[])],
      ["lax.slice with evil bounds", () => lax.slice(np.ones([4]), [evil] as unknown as number[], [3])],
      ["lax.pad with an evil config", () => lax.pad(np.ones([4]), 0, [[evil, 0, 0]] as unknown as [number, number, number][])],
      ["lax.reduceSum with evil axes", () => lax.reduceSum(np.ones([4]), [evil] as unknown as number[])],
      ["lax.dotGeneral with evil dimension numbers", () => lax.dotGeneral(np.ones([2, 2]), np.ones([2, 2]), { contracting: [[evil], [0]], batch: [[], []] } as never)],
      ["lax.integerPow with an evil exponent", () => lax.integerPow(np.ones([2]), evil as unknown as number)],
      ["lax.convert with code as the dtype", () => lax.convert(np.ones([2]), CODE as never)],
      ["np.zeros with an evil shape", () => np.zeros([evil] as unknown as number[])],
      ["np.sum with an evil axis", () => np.sum(np.ones([2, 2]), evil as unknown as number)],
    ];
    for (const [what, run] of cases) {
      let err: unknown;
      try {
        run();
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(J.JaxonError);
    }
    expect(touched).toEqual([]);
    expect((globalThis as Record<string, unknown>).__jaxonPwned).toBeUndefined();
  });
});

describe("the public lax namespace", () => {
  it("is every lax function except the internal helpers named here", async () => {
    const internal = await import("../src/lax/index.js");
    // shared machinery of the library's own modules: they do not check their arguments as public functions do
    const helpers = ["addTangents", "asValue", "batchElementwise", "cumulativeExclusiveProducts", "dtypeName", "instantiate", "isUndefined", "isZero", "operandArg", "primitives", "scalar", "unbroadcast", "viewOf", "weakScalar", "zerosOf", "isFiniteFn", "defineElementwise", "operands", "registerComplexParts"];
    const expected = Object.keys(internal).filter((k) => !helpers.includes(k));
    expect(Object.keys(lax).filter((k) => k !== "isFinite").sort()).toEqual(expected.sort());
    expect(lax.isFinite).toBe(internal.isFiniteFn);
  });
});
