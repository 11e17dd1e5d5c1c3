/**
 * jaxon against real JAX. test/fixtures/jax/cases.json holds JAX's answers
 * (recorded by test/fixtures/jax/generate.py, which CI never runs): for each
 * case a jaxon function, its arguments, and JAX's values, dtypes, weak types
 * and shapes, with grad/jvp/vjp/vmap for the differentiable ones. Every case
 * runs here eager and under jit, with its derivatives, on the CPU and on
 * WebGPU (the float64 cases, recorded with jax_enable_x64, on the CPU only).
 *
 * Known deviations are listed in test/fixtures/jax/deviations.json (check key
 * → owner and reason). A listed check must STILL deviate (so a fix forces its
 * removal from the list) and every unlisted check must match. Set
 * JAXDIFF_WRITE=1 to rewrite that list from what this run observes (reasons
 * of entries that remain are kept; new ones need a reason by hand).
 *
 * Comparison: ints and bools exactly; floats with NaN == NaN, infinities
 * exactly, the sign of a zero checked on primal values (JAX distinguishes
 * -0 there), and a tolerance by case class: "exact", "f32" (rtol 1e-5,
 * atol 1e-6) or "transc" (transcendental functions: rtol 1e-4, atol 1e-5), and
 * for the float64 cases (CPU only) "f64" (rtol 1e-12) or "f64transc" (rtol 1e-10);
 * derivatives use at least "f32" and leave the sign of zero unchecked.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Array,
  BackendError,
  ConcretizationError,
  DTypeError,
  ShapeError,
  TracerLeakError,
  UnsupportedError,
  defaultDevice,
  devicePut,
  grad,
  jit,
  jvp,
  lax,
  nn,
  np,
  random,
  scipy,
  vjp,
  vmap,
  type Value,
} from "../src/index.js";
import { getBackend } from "../src/backend/device.js";
import { allocate, type DType } from "../src/dtype.js";
import { probeWebGPU } from "./device-helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const fixtureDir = join(here, "fixtures", "jax");

// ------------------------------------------------------------------ fixture types

type Enc = number | string; // "nan" | "inf" | "-inf" | "-0" for the float values JSON cannot hold
interface EncArray {
  dtype: string;
  shape: number[];
  data: Enc[];
}
interface EncOut extends EncArray {
  weak: boolean;
}
interface EncInput extends Partial<EncArray> {
  weak?: boolean;
  data: Enc[] & Enc;
}
interface Case {
  id: string;
  ts: string;
  template: unknown[];
  tol: keyof typeof TOL;
  x64?: boolean; // float64: recorded with jax_enable_x64, run on the CPU only (WebGPU has no float64)
  note?: string;
  inputs: EncInput[];
  error?: string;
  multi?: boolean;
  out?: EncOut[];
  chain?: [string, unknown[]]; // a method called on the answer: np.at(x, items).set(v)
  json?: unknown; // an answer that is not an array (a shape, a dtype name, a flag)
  diff?: { argIndices: number[]; grad: EncOut[]; tangents: EncArray[]; jvp: EncOut; cotangent: EncArray; vjp: EncOut[] };
  vmap?: { argIndices: number[]; inputs: EncArray[]; out: EncOut };
}
interface Deviation {
  owner: string;
  reason: string;
  observed?: string;
}

const fixture = JSON.parse(readFileSync(join(fixtureDir, "cases.json"), "utf8")) as { jax: string; cases: Case[] };
const deviationsPath = join(fixtureDir, "deviations.json");
const deviationsDoc = JSON.parse(readFileSync(deviationsPath, "utf8")) as { _comment: string[]; deviations: Record<string, Deviation> };
const deviations = deviationsDoc.deviations;
const uncoveredDoc = JSON.parse(readFileSync(join(fixtureDir, "uncovered.json"), "utf8")) as { _comment: string[]; uncovered: Record<string, string> };

const WRITE = !!process.env.JAXDIFF_WRITE;

// ------------------------------------------------------------------ decoding and calling

function decode(v: Enc): number {
  if (typeof v === "number") return v;
  switch (v) {
    case "nan":
      return NaN;
    case "inf":
      return Infinity;
    case "-inf":
      return -Infinity;
    case "-0":
      return -0;
  }
  throw new Error(`fixture: unknown encoded value ${v}`);
}

/**
 * A fixture array as a jaxon Array on the device under test, committed there
 * (as devicePut does), so that eager operations run on that device rather than
 * being folded on the host as small uncommitted arrays would be.
 */
function toArray(e: EncArray, device: "cpu" | "webgpu"): Array {
  const data = allocate(e.dtype as DType, e.data.length);
  e.data.forEach((v, i) => (data[i] = decode(v)));
  const a = Array.fromTyped(data, e.shape, e.dtype as DType, false, getBackend("cpu"));
  return device === "cpu" ? a : (devicePut(a, device) as Array);
}

/** An input: an Array, or a JS number (weakly typed, as a Python scalar is in JAX). */
function toInput(e: EncInput, device: "cpu" | "webgpu"): Value | number {
  if (e.weak) return decode(e.data);
  return toArray(e as EncArray, device);
}

const namespaces: Record<string, unknown> = { np, lax, nn, random, scipy };

function resolve(path: string): (...args: unknown[]) => unknown {
  let at: unknown = namespaces;
  for (const part of path.split(".")) at = (at as Record<string, unknown>)?.[part];
  if (typeof at !== "function") throw new Error(`fixture names ${path}, which jaxon does not export`);
  return at as (...args: unknown[]) => unknown;
}

/** jaxon's arguments: "$i" is the i-th input, {"$num": "inf"} a number JSON cannot hold, the rest as written. */
function fill(template: unknown, inputs: readonly unknown[]): unknown {
  if (typeof template === "string" && /^\$\d+$/.test(template)) return inputs[Number(template.slice(1))];
  if (globalThis.Array.isArray(template)) return template.map((t) => fill(t, inputs));
  if (template && typeof template === "object") {
    const o = template as Record<string, unknown>;
    if ("$num" in o) return decode(o.$num as Enc);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fill(v, inputs)]));
  }
  return template;
}

/** Calls the case's function; a list of outputs stays a list (random.split's keys are stacked: JAX returns one array). */
function call(c: Case, inputs: readonly unknown[]): Value | Value[] {
  let out = resolve(c.ts)(...(fill(c.template, inputs) as unknown[]));
  if (c.chain) {
    const [method, args] = c.chain;
    out = (out as Record<string, (...a: unknown[]) => unknown>)[method](...(fill(args, inputs) as unknown[]));
  }
  if (globalThis.Array.isArray(out) && !c.multi && !("json" in c)) return np.stack(out as Value[]);
  return out as Value | Value[];
}

// ------------------------------------------------------------------ comparing

const TOL = { exact: [0, 0], f32: [1e-5, 1e-6], transc: [1e-4, 1e-5], f64: [1e-12, 1e-14], f64transc: [1e-10, 1e-13] } as const;

interface Got {
  dtype: string;
  weak: boolean;
  shape: number[];
  data: number[];
}

async function read(v: unknown): Promise<Got> {
  if (!(v instanceof Array)) throw new Error(`returned ${typeof v === "object" ? (v?.constructor?.name ?? v) : typeof v}, not an Array`);
  const data = await v.data();
  return { dtype: v.dtype, weak: v.weakType, shape: [...v.shape], data: globalThis.Array.from(data as ArrayLike<number>, Number) };
}

const show = (xs: number[]) => `[${xs.slice(0, 8).map((x) => (Object.is(x, -0) ? "-0" : String(x))).join(", ")}${xs.length > 8 ? ", …" : ""}]`;

/** Why `got` is not JAX's `want`, or null when it is. */
function mismatch(got: Got, want: EncOut, tol: Case["tol"], opts: { weak: boolean; zeroSign: boolean }): string | null {
  if (got.dtype !== want.dtype) return `dtype ${got.dtype}, JAX ${want.dtype}`;
  if (opts.weak && got.weak !== want.weak) return `weak_type ${got.weak}, JAX ${want.weak}`;
  if (got.shape.join(",") !== want.shape.join(",")) return `shape [${got.shape}], JAX [${want.shape}]`;
  // float32 values are written as the shortest decimal that rounds back to them
  const exp = want.data.map((v) => (want.dtype === "float32" ? Math.fround(decode(v)) : decode(v)));
  const isFloat = want.dtype.startsWith("float");
  const [rtol, atol] = TOL[tol];
  for (let i = 0; i < exp.length; i++) {
    const g = got.data[i];
    const e = exp[i];
    let ok: boolean;
    if (!isFloat) ok = g === e;
    else if (Number.isNaN(e) || Number.isNaN(g)) ok = Number.isNaN(e) && Number.isNaN(g);
    else if (!Number.isFinite(e) || !Number.isFinite(g)) ok = g === e;
    else if (e === 0 && g === 0) ok = !opts.zeroSign || Object.is(e, g);
    else ok = Math.abs(g - e) <= atol + rtol * Math.abs(e);
    if (!ok) return `element ${i}: ${Object.is(g, -0) ? "-0" : g}, JAX ${Object.is(e, -0) ? "-0" : e} (all ${show(got.data)} vs ${show(exp)})`;
  }
  return null;
}

async function compare(v: unknown, want: EncOut[], multi: boolean, tol: Case["tol"], opts: { weak: boolean; zeroSign: boolean }): Promise<string | null> {
  const outs = multi ? (v as unknown[]) : [v];
  if (!globalThis.Array.isArray(outs) || outs.length !== want.length) return `${globalThis.Array.isArray(outs) ? outs.length : "not a list of"} outputs, JAX ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const m = mismatch(await read(outs[i]), want[i], tol, opts);
    if (m) return want.length > 1 ? `output ${i}: ${m}` : m;
  }
  return null;
}

const typedErrors = [ShapeError, DTypeError, ConcretizationError, TracerLeakError, UnsupportedError, BackendError];

// ------------------------------------------------------------------ running a case

type Check = "value" | "jit" | "grad" | "jvp" | "vjp" | "vmap" | "error";

/** Every check of one case on one device: null where it matches JAX, else why not. */
async function runCase(c: Case, device: "cpu" | "webgpu"): Promise<Map<Check, string | null>> {
  const results = new Map<Check, string | null>();
  // Each check computes synchronously up to its first read; the reads of all checks then wait
  // together (one round of device syncs per case, not one per check: WebGPU readbacks are slow).
  const pending: Promise<void>[] = [];
  const attempt = (check: Check, f: () => Promise<string | null>) => {
    results.set(check, "did not finish");
    const run = async () => {
      try {
        results.set(check, await f());
      } catch (e) {
        results.set(check, `threw ${(e as Error).constructor?.name}: ${String((e as Error).message).split("\n")[0].slice(0, 300)}`);
      }
    };
    pending.push(run());
  };
  if (c.error) {
    attempt("error", async () => {
      try {
        const inputs = c.inputs.map((x) => toInput(x, device));
        const y = call(c, inputs);
        for (const o of globalThis.Array.isArray(y) ? y : [y]) if (o instanceof Array) await o.data();
      } catch (e) {
        if (typedErrors.some((T) => e instanceof T)) return null;
        return `threw ${(e as Error).constructor?.name} (not a typed error): ${String((e as Error).message).slice(0, 200)}; JAX: ${c.error}`;
      }
      return `returned a value; JAX raised ${c.error}`;
    });
    await Promise.all(pending);
    return results;
  }
  if ("json" in c) {
    attempt("value", async () => {
      const got = call(c, c.inputs.map((x) => toInput(x, device)));
      return JSON.stringify(got) === JSON.stringify(c.json) ? null : `${JSON.stringify(got)}, JAX ${JSON.stringify(c.json)}`;
    });
    await Promise.all(pending);
    return results;
  }
  const multi = !!c.multi;
  const want = c.out!;
  const primal = { weak: true, zeroSign: true };
  const derivTol = c.tol === "exact" ? "f32" : c.tol;
  const deriv = { weak: false, zeroSign: false };
  const inputs = () => c.inputs.map((x) => toInput(x, device));
  const arrayIdx = c.inputs.map((x, i) => (x.weak ? -1 : i)).filter((i) => i >= 0);

  attempt("value", async () => compare(call(c, inputs()), want, multi, c.tol, primal));
  attempt("jit", async () => {
    const ins = inputs();
    const f = jit((...arrays: Value[]) => {
      const full = [...ins];
      arrayIdx.forEach((i, k) => (full[i] = arrays[k]));
      return call(c, full);
    });
    return compare(f(...arrayIdx.map((i) => ins[i] as Value)), want, multi, c.tol, primal);
  });
  if (c.diff) {
    const d = c.diff;
    const withFloats = (ins: unknown[]) => (...fs: Value[]) => {
      const full = [...ins];
      d.argIndices.forEach((i, k) => (full[i] = fs[k]));
      return call(c, full) as Value;
    };
    attempt("grad", async () => {
      const ins = inputs();
      const f = withFloats(ins);
      const g = grad((...fs: Value[]) => np.sum(f(...fs)), { argnums: d.argIndices.map((_, k) => k) })(...d.argIndices.map((i) => ins[i] as Value));
      return compare(g, d.grad, true, derivTol, deriv);
    });
    attempt("jvp", async () => {
      const ins = inputs();
      const [, t] = jvp(withFloats(ins), d.argIndices.map((i) => ins[i] as Value), d.tangents.map((t) => toArray(t, device)));
      return compare(t, [d.jvp], false, derivTol, deriv);
    });
    attempt("vjp", async () => {
      const ins = inputs();
      const [, pull] = vjp(withFloats(ins), ...d.argIndices.map((i) => ins[i] as Value));
      return compare(pull(toArray(d.cotangent, device)), d.vjp, true, derivTol, deriv);
    });
  }
  if (c.vmap) {
    const vm = c.vmap;
    attempt("vmap", async () => {
      const ins = inputs();
      const f = vmap((...xs: Value[]) => {
        const full = [...ins];
        vm.argIndices.forEach((i, k) => (full[i] = xs[k]));
        return call(c, full) as Value;
      });
      return compare(f(...vm.inputs.map((b) => toArray(b, device))), [vm.out], false, c.tol === "exact" ? "exact" : derivTol, { weak: false, zeroSign: false });
    });
  }
  await Promise.all(pending);
  return results;
}

// ------------------------------------------------------------------ the suite

const hasGpu = await probeWebGPU("jax-differential.test.ts");
const devices: ("cpu" | "webgpu")[] = hasGpu ? ["cpu", "webgpu"] : ["cpu"];
const keyOf = (id: string, check: Check, device: string) => `${id} ${check}@${device}`;
const counts = { cases: fixture.cases.length, checks: 0, passes: 0, deviations: 0, unexpected: 0, cpuOnly: 0 };
const observed: Record<string, string> = {}; // every failing check of this run, for JAXDIFF_WRITE
const seenKeys = new Set<string>();

/**
 * WebGPU runs the array cases of float32, int32, uint32 and bool. Expected errors
 * (shapes and dtypes do not depend on the device) and answers that are not
 * arrays run on the CPU only; so do the float64 cases: WebGPU has no float64.
 */
const runsOn = (c: Case, device: string) => device === "cpu" || !(c.error || c.x64 || "json" in c);

for (const device of devices) {
  describe(`jaxon equals JAX (${device})`, () => {
    let start = 0;
    beforeAll(() => {
      if (hasGpu) defaultDevice(device); // arrays jaxon makes itself (zeros, seeds) go to the device under test
      start = performance.now();
    });
    afterAll(() => {
      if (hasGpu) defaultDevice("webgpu");
      console.log(`jax-differential: the ${device} cases took ${((performance.now() - start) / 1000).toFixed(1)} s`);
    });
    for (const c of fixture.cases) {
      if (!runsOn(c, device)) {
        if (c.x64) counts.cpuOnly++;
        continue;
      }
      it(c.id, async () => {
        const results = await runCase(c, device);
        const problems: string[] = [];
        for (const [check, why] of results) {
          const key = keyOf(c.id, check, device);
          seenKeys.add(key);
          counts.checks++;
          if (why) observed[key] = why;
          const listed = deviations[key];
          if (why === null && !listed) counts.passes++;
          else if (why !== null && listed) counts.deviations++;
          else {
            counts.unexpected++;
            problems.push(listed ? `${key}: now matches JAX; remove it from deviations.json (was: ${listed.reason})` : `${key}: ${why}`);
          }
        }
        if (!WRITE) expect(problems, problems.join("\n")).toEqual([]);
      });
    }
  });
}

describe("the fixtures and the deviation list", () => {
  it("the comparison can fail: NaN, infinities, signed zeros, dtype, weak type, shape and tolerance", () => {
    const want = (data: Enc[], dtype = "float32", weak = false, shape = [data.length]): EncOut => ({ dtype, shape, data, weak });
    const got = (data: number[], dtype = "float32", weak = false, shape = [data.length]): Got => ({ dtype, shape, data, weak });
    const primal = { weak: true, zeroSign: true };
    expect(mismatch(got([NaN, Infinity, -0]), want(["nan", "inf", "-0"]), "exact", primal)).toBeNull();
    expect(mismatch(got([1]), want(["nan"]), "transc", primal)).toMatch(/element 0/);
    expect(mismatch(got([NaN]), want([1]), "transc", primal)).toMatch(/element 0/);
    expect(mismatch(got([3.4e38]), want(["inf"]), "transc", primal)).toMatch(/element 0/);
    expect(mismatch(got([0]), want(["-0"]), "transc", primal)).toMatch(/-0/);
    expect(mismatch(got([0]), want(["-0"]), "transc", { weak: false, zeroSign: false })).toBeNull();
    expect(mismatch(got([1 + 2e-5]), want([1]), "f32", primal)).toMatch(/element 0/);
    expect(mismatch(got([1 + 5e-6]), want([1]), "f32", primal)).toBeNull();
    expect(mismatch(got([1 + 2e-7]), want([1]), "exact", primal)).toMatch(/element 0/);
    expect(mismatch(got([1], "int32"), want([1]), "exact", primal)).toMatch(/dtype/);
    expect(mismatch(got([1], "float32", true), want([1]), "exact", primal)).toMatch(/weak_type/);
    expect(mismatch(got([1, 2], "float32", false, [2, 1]), want([1, 2]), "exact", primal)).toMatch(/shape/);
  });

  it("every listed deviation names a check this suite runs", () => {
    if (WRITE) return;
    const ranAll = devices.length === 2;
    const stale = Object.keys(deviations).filter((k) => !seenKeys.has(k) && (ranAll || k.endsWith("@cpu")));
    expect(stale, "deviations.json lists checks that no longer exist").toEqual([]);
  });

  it("the cases cover every function jaxon exports in np, lax, nn, random and scipy (or say why not)", () => {
    const exported: string[] = [];
    for (const [ns, mod] of Object.entries(namespaces)) {
      for (const [name, v] of Object.entries(mod as object)) {
        if (typeof v === "function" && !/^[A-Z]/.test(name)) exported.push(`${ns}.${name}`);
        else if (v && typeof v === "object" && (name === "linalg" || name === "fft")) {
          for (const [n, f] of Object.entries(v)) if (typeof f === "function") exported.push(`${ns}.${name}.${n}`);
        }
        // scipy's modules and its stats distributions are objects of functions, walked to any depth
        else if (v && typeof v === "object" && ns === "scipy") {
          const walk = (path: string, o: object): void => {
            for (const [n, f] of Object.entries(o)) {
              if (typeof f === "function" && !/^[A-Z]/.test(n)) exported.push(`${path}.${n}`);
              else if (f && typeof f === "object") walk(`${path}.${n}`, f);
            }
          };
          walk(`${ns}.${name}`, v);
        }
      }
    }
    const covered = new Set(fixture.cases.map((c) => c.ts));
    const missing = exported.filter((n) => !covered.has(n)).sort();
    const listed = Object.keys(uncoveredDoc.uncovered).sort();
    console.log(`jax-differential: ${exported.length} exported functions, ${exported.length - missing.length} covered by ${fixture.cases.length} cases, ${missing.length} listed as not compared`);
    expect(missing, "exported functions with no JAX case: add a case to generate.py or list them in uncovered.json with a reason").toEqual(listed);
    for (const c of fixture.cases) expect(() => resolve(c.ts), c.id).not.toThrow();
  });
});

afterAll(() => {
  console.log(
    `jax-differential (JAX ${fixture.jax}; ${devices.join(" + ")}): ${counts.cases} cases, ${counts.checks} checks: ` +
      `${counts.passes} match JAX, ${counts.deviations} listed deviations, ${counts.unexpected} unexpected` +
      (counts.cpuOnly ? `; ${counts.cpuOnly} float64 cases skipped on WebGPU, which has no float64` : ""),
  );
  if (!WRITE) return;
  const next: Record<string, Deviation> = {};
  for (const key of Object.keys(observed).sort()) {
    const old = deviations[key];
    next[key] = old ? { ...old, observed: observed[key] } : { owner: "TODO", reason: "TODO", observed: observed[key] };
  }
  // checks on a device this run did not reach keep their entries
  for (const [key, v] of Object.entries(deviations)) if (!seenKeys.has(key) && !devices.some((d) => key.endsWith(`@${d}`))) next[key] = v;
  writeFileSync(deviationsPath, JSON.stringify({ _comment: deviationsDoc._comment, deviations: next }, null, 1) + "\n");
  console.log(`jax-differential: wrote ${Object.keys(next).length} deviations to ${deviationsPath}`);
});
