/**
 * lax functions that take functions (map, associativeScan, reduce), topK's
 * gradient and igamma/igammac's derivative in `a`, against real JAX
 * (test/fixtures/breadth/breadth.json, from generate.py there): values and
 * gradients eager and under jit on the CPU and WebGPU; vmap against a loop;
 * the monoid and generic paths of reduce against each other; typed errors.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { Array, ShapeError, defaultDevice, devicePut, grad, jit, lax, np, vmap, type Value } from "../src/index.js";
import { allocate, type DType } from "../src/dtype.js";
import { probeWebGPU } from "./device-helpers.js";

type Enc = number | string;
interface EncArray {
  dtype: string;
  shape: number[];
  data: Enc[];
}
interface Case {
  id: string;
  kind: string;
  fn: string;
  inputs: EncArray[];
  options: Record<string, unknown>;
  out: EncArray[];
  grad?: EncArray;
  gradX?: EncArray;
}
const here = dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(readFileSync(join(here, "fixtures", "breadth", "breadth.json"), "utf8")) as { cases: Case[] };

const decode = (v: Enc | unknown): number => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : (v as number));
function toArray(e: EncArray, device: "cpu" | "webgpu" = "cpu"): Array {
  const data = allocate(e.dtype as DType, e.data.length);
  e.data.forEach((v, i) => (data[i] = decode(v)));
  const a = Array.fromTyped(data, e.shape, e.dtype as DType);
  return device === "cpu" ? a : (devicePut(a, "webgpu") as Array);
}

// the functions the fixture names (generate.py's FNS)
/* eslint-disable @typescript-eslint/no-explicit-any */
const FNS: Record<string, (...a: any[]) => any> = {
  sinsum: (x: Value) => np.sum(np.sin(x)),
  square: (x: Value) => x.mul(x),
  pair: (d: { a: Value; b: Value }) => ({ p: d.a.mul(d.b), q: np.sum(d.a) }),
  add: (a: Value, b: Value) => a.add(b),
  mul: (a: Value, b: Value) => a.mul(b),
  max: (a: Value, b: Value) => np.maximum(a, b),
  affine: (x: Value[], y: Value[]) => [x[0].mul(y[0]), y[0].mul(x[1]).add(y[1])],
  argmin: (x: Value[], y: Value[]) => [
    lax.min(x[0], y[0]),
    lax.select(lax.or(lax.lt(y[0], x[0]), lax.and(lax.eq(y[0], x[0]), lax.lt(y[1], x[1]))), y[1], x[1]),
  ],
};

/** The case's call as a function of its inputs, returning its outputs' leaves. */
function runner(c: Case): (...xs: Value[]) => Value[] {
  const o = c.options;
  const f = FNS[c.fn];
  switch (c.kind) {
    case "map":
      return (x) => [lax.map(f, x, { batchSize: o.batchSize as number | null })];
    case "map-pair":
      return (a, b) => {
        const r = lax.map(f, { a, b }, { batchSize: o.batchSize as number | null }) as { p: Value; q: Value };
        return [r.p, r.q];
      };
    case "ascan":
      return (x) => [lax.associativeScan(f, x, o.reverse as boolean, o.axis as number)];
    case "ascan-pair":
      return (a, b) => lax.associativeScan(f, [a, b], o.reverse as boolean, o.axis as number) as Value[];
    case "reduce":
      return (x) => [lax.reduce(x, np.array(decode(o.init), { dtype: "float32" }), f, o.dimensions as number[])];
    case "reduce-pair":
      return (v, i) => {
        const [fi, ii] = o.init as Enc[];
        return lax.reduce([v, i], [np.array(decode(fi), { dtype: "float32" }), np.array(decode(ii), { dtype: "int32" })], f, o.dimensions as number[]) as Value[];
      };
    case "topk":
      return (x) => lax.topK(x, o.k as number);
    case "igamma":
      return (a, x) => [lax.igamma(a, x)];
    case "igammac":
      return (a, x) => [lax.igammac(a, x)];
  }
  throw new Error(`unknown case kind ${c.kind}`);
}

/**
 * The scalar whose gradient generate.py records: sum(output · w), w = start,
 * start + 1, … over the output (the second output of the affine scan, the
 * first otherwise); plain sum for igamma/igammac.
 */
function objective(c: Case, run: (...xs: Value[]) => Value[]) {
  const which = c.kind === "ascan-pair" ? 1 : 0;
  const start = c.kind === "map-pair" || c.kind === "ascan-pair" || (c.kind === "ascan" && c.fn === "mul") ? 0 : 1;
  return (...xs: Value[]) => {
    const y = run(...xs)[which];
    if (c.kind === "igamma" || c.kind === "igammac") return np.sum(y);
    const w = np.reshape(np.arange(start, start + y.size).astype("float32"), y.shape);
    return np.sum(y.mul(w));
  };
}

async function expectMatches(got: Value, want: EncArray, what: string, tol = 2e-5) {
  expect(got.shape, `${what} shape`).toEqual(want.shape);
  expect(got.dtype, `${what} dtype`).toBe(want.dtype);
  const g = await got.data();
  want.data.forEach((w, i) => {
    const e = decode(w);
    const v = g[i];
    if (Number.isNaN(e)) expect(Number.isNaN(v), `${what}[${i}]: ${v}, JAX NaN`).toBe(true);
    else if (!Number.isFinite(e)) expect(v, `${what}[${i}]`).toBe(e);
    else expect(Math.abs(v - e), `${what}[${i}]: ${v}, JAX ${e}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
  });
}

function checkCase(c: Case, device: "cpu" | "webgpu") {
  const run = runner(c);
  const inputs = () => c.inputs.map((e) => toArray(e, device));
  it(`${c.id}: values eager`, async () => {
    const outs = run(...inputs());
    expect(outs.length).toBe(c.out.length);
    for (let i = 0; i < outs.length; i++) await expectMatches(outs[i], c.out[i], `${c.id} out ${i}`);
  });
  it(`${c.id}: values under jit`, async () => {
    const outs = jit(run)(...inputs());
    for (let i = 0; i < outs.length; i++) await expectMatches(outs[i], c.out[i], `${c.id} jit out ${i}`);
  });
  if (c.grad) {
    it(`${c.id}: gradient`, async () => {
      const g = grad(objective(c, run))(...inputs()) as Value;
      await expectMatches(g, c.grad!, `${c.id} grad`, 1e-4);
      const gj = jit(grad(objective(c, run)))(...inputs()) as Value;
      await expectMatches(gj, c.grad!, `${c.id} jit(grad)`, 1e-4);
    });
  }
  if (c.gradX) {
    it(`${c.id}: gradient in x`, async () => {
      const g = grad(objective(c, run), { argnums: 1 })(...inputs()) as Value;
      await expectMatches(g, c.gradX!, `${c.id} grad x`, 1e-4);
    });
  }
}

describe("lax.map / associativeScan / reduce / topK / igamma against JAX (cpu)", () => {
  for (const c of fixture.cases) checkCase(c, "cpu");
});

// skipped, with the reason printed by probeWebGPU, where there is no adapter (a failure under JAXON_REQUIRE_WEBGPU)
const hasGpu = await probeWebGPU("lax-breadth.test.ts");
defaultDevice("cpu"); // init() made WebGPU the default: the CPU cases above stay on the CPU
describe.skipIf(!hasGpu)("the same on WebGPU", () => {
  // the float32 cases without gradients of function-valued arguments: enough to cover every device path
  for (const c of fixture.cases.filter((k) => !k.id.startsWith("map/sinsum-bs") || k.id === "map/sinsum-bs2")) checkCase(c, "webgpu");
});

describe("transformations", () => {
  beforeAll(() => defaultDevice("cpu"));
  const data = () => np.reshape(np.arange(24).astype("float32").mul(0.1), [2, 3, 4]);
  const loop = (f: (x: Value) => Value, x: Value) => np.stack([0, 1].map((i) => f(x.get(i))));
  const fns: [string, (x: Value) => Value][] = [
    ["map", (x) => lax.map((r: Value) => np.sum(np.exp(r)), x, { batchSize: 2 })],
    ["associativeScan", (x) => lax.associativeScan((a: Value, b: Value) => a.add(b).mul(0.5), x, false, 1)],
    ["reduce generic", (x) => lax.reduce(x, np.array(0, { dtype: "float32" }), (a: Value, b: Value) => np.maximum(a, b.mul(2)), [0])],
    ["reduce monoid", (x) => lax.reduce(x, np.array(0, { dtype: "float32" }), (a: Value, b: Value) => a.add(b), [1])],
    ["topK", (x) => lax.topK(x, 2)[0]],
  ];
  for (const [name, f] of fns) {
    it(`${name}: vmap equals a loop, jit equals eager`, () => {
      const xs = data();
      const v = vmap(f)(xs) as Value;
      expect(v.arraySync()).toEqual(loop(f, xs).arraySync());
      expect((jit(f)(xs.get(0)) as Value).arraySync()).toEqual(f(xs.get(0)).arraySync());
    });
  }
  it("reduce: a monoid computation and its generic form agree (add, max, mul) and non-identity inits fold in", () => {
    const x = np.reshape(np.arange(12).astype("float32").sub(5).mul(0.3), [3, 4]);
    const generic = (op: (a: Value, b: Value) => Value) => (a: Value, b: Value) => op(a, b).add(0); // two equations: not a monoid
    for (const op of [(a: Value, b: Value) => a.add(b), (a: Value, b: Value) => np.maximum(a, b), (a: Value, b: Value) => a.mul(b)]) {
      for (const init of [0, 1, 2.5]) {
        const i = np.array(init, { dtype: "float32" });
        const m = lax.reduce(x, i, op, [1]).dataSync();
        const g = lax.reduce(x, i, generic(op), [1]).dataSync();
        m.forEach((v, k) => expect(Math.abs(v - g[k])).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
      }
    }
  });
  it("associativeScan: grad through jit and vmap of grad", () => {
    const f = (x: Value) => np.sum(lax.associativeScan((a: Value, b: Value) => a.mul(b), x).mul(np.arange(1, 6).astype("float32")));
    const x = np.array([0.5, 1.5, 2, -1, 0.25]);
    const g = grad(f)(x) as Value;
    expect((jit(grad(f))(x) as Value).arraySync()).toEqual(g.arraySync());
    const gv = vmap(grad(f))(np.stack([x, x.mul(2)])) as Value;
    expect(gv.get(0).arraySync()).toEqual(g.arraySync());
  });
  it("typed errors", () => {
    expect(() => lax.topK(np.array([1, 2]), 3)).toThrow(ShapeError);
    expect(() => lax.associativeScan((a: Value) => a, np.array(1))).toThrow(ShapeError);
    expect(() => lax.reduce(np.ones([2]), np.ones([2]), (a: Value, b: Value) => a.add(b), [0])).toThrow(ShapeError);
    expect(() => lax.reduce(np.ones([2]), np.array(0, { dtype: "float32" }), (a: Value, b: Value) => a.add(b), [3])).toThrow(ShapeError);
    expect(() => lax.map((x: Value) => x, np.array(1), { batchSize: 2 })).toThrow(ShapeError);
    expect(() => lax.map((x: Value) => x, np.ones([3]), { batchSize: -1 })).toThrow(ShapeError);
  });
});
