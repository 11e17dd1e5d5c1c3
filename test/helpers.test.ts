/**
 * The top-level helpers of issue 16 (src/transforms/helpers.ts):
 * customGradient and closureConvert against real JAX
 * (test/fixtures/helpers/helpers.json, from generate.py there) eagerly and
 * under jit, vmap (against a loop) and grad of grad, a float64
 * finite-difference check of a customGradient rule; disableJit (jitted code
 * runs eagerly inside, value-dependent code works, the scope ends however fn
 * ends); namedScope/namedCall (name stacks on the staged equations, the
 * printed jaxpr unchanged); blockUntilReady and deviceGet(Async) (values,
 * structure, traced values refused) on the CPU and on WebGPU.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  Array,
  ArgumentError,
  BackendError,
  ConcretizationError,
  ShapeError,
  UnsupportedError,
  blockUntilReady,
  checkpoint,
  clearCaches,
  closureConvert,
  customGradient,
  customVjp,
  defaultBackend,
  defaultDevice,
  deviceCount,
  deviceGet,
  deviceGetAsync,
  devicePut,
  devices,
  disableJit,
  ensureCompileTimeEval,
  exportStableHLO,
  grad,
  jit,
  lax,
  localDeviceCount,
  localDevices,
  logCompiles,
  makeJaxpr,
  namedCall,
  namedScope,
  np,
  processCount,
  processIndex,
  processIndices,
  remat,
  vjp,
  vmap,
  type Value,
} from "../src/index.js";
import { probeWebGPU } from "./device-helpers.js";

const fx = JSON.parse(readFileSync(new URL("./fixtures/helpers/helpers.json", import.meta.url), "utf8"));
const close = (got: Value, want: number | number[], tol = 1e-5) => {
  const g = got.arraySync() as number | number[];
  const gs = typeof g === "number" ? [g] : g;
  const ws = typeof want === "number" ? [want] : want;
  expect(gs.length).toBe(ws.length);
  gs.forEach((v, i) => expect(Math.abs(v - ws[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(ws[i]))));
};

beforeAll(() => defaultDevice("cpu"));

// the functions of generate.py, mirrored by name
const sinScaled = customGradient((x: Value) => {
  const y = np.sin(x);
  const c = np.cos(x);
  return [y, (g: Value) => [g.mul(c).mul(3)]];
});
const mulPair = customGradient((x: Value, y: Value) => [x.mul(y), (g: Value) => [g.mul(y), g.mul(x)]]);
const logClipped = customGradient((x: Value) => [np.log(x), (g: Value) => [np.clip(g.div(x), -1, 1)]]);
const treeOut = customGradient((x: Value) => {
  const out = { a: x.mul(x), b: np.sum(x) };
  return [out, (g: { a: Value; b: Value }) => [g.a.mul(x).mul(2).add(np.onesLike(x).mul(g.b).mul(0.5))]];
});

describe("customGradient against JAX", () => {
  const s = fx.sinScaled;
  const x = np.array(s.x);
  it("values and the custom rule's gradient, eagerly, under jit and vmap", () => {
    close(vmap(sinScaled)(x), s.value);
    close(vmap(grad(sinScaled))(x), s.grad);
    close(jit(vmap(grad(sinScaled)))(x), s.grad);
    close(grad((v: Value) => np.sum(vmap(sinScaled)(v)))(x), s.gradSum);
    close(jit(grad((v: Value) => np.sum(vmap(sinScaled)(v))))(x), s.gradSum);
  });
  it("vmap of grad equals a loop over the examples", () => {
    const g = grad(sinScaled);
    const loop = s.x.map((v: number) => g(np.array(v)).itemSync());
    close(vmap(g)(x), loop, 1e-6);
  });
  it("two uses in one function keep their own residuals; grad of grad differentiates the rule", () => {
    close(vmap(grad((v: Value) => sinScaled(v).add(sinScaled(v.mul(2)))))(x), s.gradTwice);
    close(vmap(grad(grad(sinScaled)))(x), s.gradGrad);
  });
  it("two arguments, a rule closing over an input, a tree output", () => {
    close(mulPair(np.array(3), np.array(4)), fx.mulPair.value);
    const [gx, gy] = grad(mulPair, { argnums: [0, 1] })(np.array(3), np.array(4)) as Value[];
    close(gx, fx.mulPair.grad[0]);
    close(gy, fx.mulPair.grad[1]);
    close(vmap(logClipped)(np.array(fx.logClipped.x)), fx.logClipped.value);
    close(vmap(grad(logClipped))(np.array(fx.logClipped.x)), fx.logClipped.grad);
    const t = fx.treeOut;
    const loss = (v: Value) => {
      const o = treeOut(v) as { a: Value; b: Value };
      return np.sum(o.a.mul(np.arange(4))).add(o.b.mul(3));
    };
    close(grad(loss)(np.array(t.x)), t.grad);
    close(jit(grad(loss))(np.array(t.x)), t.grad);
  });
  it("an exact rule matches central finite differences in float64", () => {
    const f = customGradient((x: Value) => {
      const e = np.exp(x.mul(0.5));
      return [e.mul(np.sin(x)), (g: Value) => [g.mul(e.mul(np.sin(x).mul(0.5).add(np.cos(x))))]];
    });
    for (const v of [-1.3, 0.2, 2.1]) {
      const x64 = np.array(v, { dtype: "float64" });
      const h = 1e-6;
      const fd = (f(np.array(v + h, { dtype: "float64" })).itemSync() - f(np.array(v - h, { dtype: "float64" })).itemSync()) / (2 * h);
      expect(Math.abs(grad(f)(x64).itemSync() - fd)).toBeLessThan(1e-7);
    }
  });
  it("a malformed result is a typed error", () => {
    const bad = customGradient(((x: Value) => x) as unknown as (x: Value) => [Value, (g: Value) => Value[]]);
    expect(() => bad(np.array(1))).toThrow(ArgumentError);
    expect(() => grad(bad)(np.array(1))).toThrow(ArgumentError);
    expect(() => customGradient(3 as never)).toThrow(ArgumentError);
  });
});

describe("closureConvert against JAX", () => {
  const c = fx.closureConvert;
  const b = np.array(c.b);
  // JAX's apply_fn: a customVjp whose rule differentiates the converted function in all its arguments
  const applyFn = (fn: (...xs: unknown[]) => Value, x: Value, consts: Value[]) =>
    customVjp(
      (v: Value, ...cs: Value[]) => fn(v, ...cs),
      (v: Value, ...cs: Value[]) => [fn(v, ...cs), [v, cs]] as [Value, unknown],
      (res: [Value, Value[]], g: Value) => vjp(fn as (...a: Value[]) => Value, res[0], ...res[1])[1](g) as unknown[],
    )(x, ...consts);
  const hoisted: number[] = [];
  const loss = (w: Value, x: Value) => {
    const [conv, consts] = closureConvert((v: Value) => np.sin(v.mul(w)).add(b), x);
    hoisted.push(consts.length);
    return np.sum(np.square(applyFn(conv as (...xs: unknown[]) => Value, x, consts)));
  };
  it("the converted function computes fun; traced values are hoisted, concrete ones stay closed over", () => {
    const w = np.array(c.w);
    const [conv, consts] = closureConvert((v: Value) => np.sin(v.mul(w)).add(b), np.array(c.x));
    expect(consts.length).toBe(c.eagerHoisted);
    close(conv(np.array(c.x), ...consts) as Value, c.value);
    close(jit((v: Value) => conv(v) as Value)(np.array(c.x)), c.value);
    hoisted.length = 0;
    close(loss(w, np.array(c.x)), c.loss);
    close(grad(loss)(w, np.array(c.x)), c.gradW);
    close(grad(loss, { argnums: 1 })(w, np.array(c.x)), c.gradX);
    expect(hoisted).toEqual(c.hoistedPerCall);
  });
  it("hoisted values are the differentiable ones: jit and vmap of the grad agree with eager and a loop", () => {
    const x = np.array(c.x);
    close(jit(grad(loss))(np.array(c.w), x), c.gradW);
    const ws = [0.8, -0.3, 1.7];
    const g = grad(loss);
    close(vmap((w: Value) => g(w, x))(np.array(ws)), ws.map((w) => g(np.array(w), x).itemSync()), 1e-5);
  });
  it("wrong arguments to the converted function are typed errors", () => {
    const [conv] = closureConvert((v: Value) => v.mul(2), np.zeros([3]));
    expect(() => conv()).toThrow(ArgumentError);
    expect(() => conv(np.zeros([4]))).toThrow(ShapeError);
    expect(() => conv([np.zeros([3])])).toThrow(ShapeError);
    expect(() => closureConvert(null as unknown as (x: Value) => Value, np.zeros([1]))).toThrow(ArgumentError);
  });
});

describe("disableJit", () => {
  it("runs jitted functions eagerly inside, so value-dependent code works; jit again after", () => {
    let runs = 0;
    const f = jit((x: Value) => {
      runs++;
      return x.sum().itemSync() > 0 ? x.mul(2) : x.neg();
    });
    expect(() => f(np.array([1, 2]))).toThrow(ConcretizationError);
    expect(disableJit(() => f(np.array([1, 2]))).arraySync()).toEqual([2, 4]);
    expect(disableJit(() => f(np.array([-1, -2]))).arraySync()).toEqual([1, 2]);
    expect(f.traces).toBe(0);
    expect(runs).toBe(3);
    const g = jit((x: Value) => x.add(1));
    g(np.array([1]));
    expect(g.traces).toBe(1);
    disableJit(() => disableJit(() => g(np.array([1, 2]))));
    expect(g.traces).toBe(1); // nested scopes, and no trace inside them
    g(np.array([1, 2]));
    expect(g.traces).toBe(2); // jit is back after the scope
  });
  it("ends however fn ends: a throw, and a promise only once it settles", async () => {
    const g = jit((x: Value) => x.add(1));
    expect(() =>
      disableJit(() => {
        throw new RangeError("inside");
      }),
    ).toThrow(RangeError);
    g(np.array([1, 2, 3]));
    expect(g.traces).toBe(1);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = disableJit(async () => {
      await gate;
      return g(np.array([1, 2, 3, 4]));
    });
    release();
    expect((await p).arraySync()).toEqual([2, 3, 4, 5]);
    expect(g.traces).toBe(1);
    g(np.array([1, 2, 3, 4]));
    expect(g.traces).toBe(2);
    expect(() => disableJit(5 as never)).toThrow(ArgumentError);
  });
});

describe("namedScope and namedCall", () => {
  it("record nested name stacks on the staged equations; the plain printed jaxpr does not change", () => {
    const f = (x: Value) => namedScope("outer", () => namedScope("inner", () => np.sin(x)).add(1)).mul(2);
    const j = makeJaxpr(f)(np.ones([2]));
    expect(j.jaxpr.eqns.map((e) => e.nameStack ?? "")).toEqual(["outer/inner", "outer", ""]);
    expect(String(j)).toBe(String(makeJaxpr((x: Value) => np.sin(x).add(1).mul(2))(np.ones([2]))));
    expect(j.prettyPrint({ nameStack: true }).split("\n").slice(1, 4).map((l) => l.slice(l.indexOf("#")))).toEqual(["# [outer/inner]", "# [outer]", "# []"]);
    expect(j.prettyPrint()).toBe(String(j));
  });
  it("namedCall names by f.name by default, changes no value, and composes with jit and grad", () => {
    function dense(x: Value) {
      return np.tanh(x).mul(3);
    }
    const named = namedCall(dense);
    expect(makeJaxpr(named)(np.ones([3])).jaxpr.eqns.map((e) => e.nameStack)).toEqual(["dense", "dense"]);
    expect(makeJaxpr(namedCall(dense, { name: "layer" }))(np.ones([3])).jaxpr.eqns[0].nameStack).toBe("layer");
    const x = np.array([0.1, -0.4]);
    expect(jit(named)(x).arraySync()).toEqual(dense(x).arraySync());
    expect(grad((v: Value) => named(v).sum())(x).arraySync()).toEqual(grad((v: Value) => dense(v).sum())(x).arraySync());
  });
  it("exportStableHLO writes each op's name stack as its location (escaped), JAX's `scope/op` form", () => {
    const f = (x: Value) => namedScope('layer 1"q', () => namedScope("inner", () => np.sin(x))).mul(2);
    const text = exportStableHLO(f)(np.ones([3])).text;
    const lines = text.split("\n");
    expect(lines.find((l) => l.includes('"stablehlo.sine"'))).toMatch(/ loc\("layer\\201\\22q\/inner\/sin"\)$/);
    expect(lines.find((l) => l.includes('"stablehlo.multiply"'))).not.toContain("loc(");
    // without scopes the text is as before
    expect(exportStableHLO((x: Value) => np.sin(x))(np.ones([3])).text).not.toContain("loc(");
  });
  it("bad names are typed errors", () => {
    expect(() => namedScope("", () => 1)).toThrow(ArgumentError);
    expect(() => namedScope("a/b", () => 1)).toThrow(ArgumentError);
    expect(() => namedScope(3 as never, () => 1)).toThrow(ArgumentError);
    expect(() => namedCall((x: Value) => x, { name: {} as never })).toThrow(ArgumentError);
  });
});

describe("blockUntilReady and deviceGet", () => {
  it("resolve to the same tree / its values, other leaves passed through", async () => {
    const tree = { w: np.arange(3), b: [np.array(2.5), "tag", 7] };
    expect(await blockUntilReady(tree)).toBe(tree);
    expect(deviceGet(tree)).toEqual({ w: [0, 1, 2], b: [2.5, "tag", 7] });
    expect(await deviceGetAsync(tree)).toEqual({ w: [0, 1, 2], b: [2.5, "tag", 7] });
    expect(deviceGet(np.array(3))).toBe(3);
    expect(deviceGet([np.array([[1, 2], [3, 4]]), null])).toEqual([[[1, 2], [3, 4]], null]);
  });
  it("refuse traced values with a ConcretizationError", async () => {
    expect(() => jit((x: Value) => (deviceGet(x), x))(np.ones([2]))).toThrow(ConcretizationError);
    let p: Promise<unknown> | undefined;
    jit((x: Value) => ((p = blockUntilReady({ x })), x))(np.ones([2]));
    await expect(p).rejects.toThrow(ConcretizationError);
  });
});

describe("clearCaches, remat and the device queries", () => {
  it("clearCaches makes every jitted function trace again, with the same values", () => {
    const f = jit((x: Value) => x.mul(2));
    const g = jit((x: Value) => x.add(1));
    f(np.ones([2]));
    g(np.ones([2]));
    f(np.ones([2]));
    expect([f.traces, g.traces]).toEqual([1, 1]);
    clearCaches();
    expect(f(np.ones([2])).arraySync()).toEqual([2, 2]);
    expect(g(np.ones([2])).arraySync()).toEqual([2, 2]);
    f(np.ones([2]));
    expect([f.traces, g.traces]).toEqual([2, 2]);
  });
  it("remat is checkpoint (JAX's alias): the same values and gradients", () => {
    const h = (x: Value) => np.sin(np.sin(x)).sum();
    const x = np.array([0.3, 1.1]);
    expect(grad(remat(h))(x).arraySync()).toEqual(grad(checkpoint(h))(x).arraySync());
    expect(grad(remat(h))(x).arraySync()).toEqual(grad(h)(x).arraySync());
  });
  it("one device per backend, one process; bad arguments are typed errors", () => {
    expect(devices()).toEqual([defaultDevice()]);
    expect(devices("cpu")).toEqual(["cpu"]);
    expect(localDevices()).toEqual([defaultDevice()]);
    expect(localDevices(0, "cpu")).toEqual(["cpu"]);
    expect([deviceCount(), localDeviceCount(), processCount(), processIndex()]).toEqual([1, 1, 1, 0]);
    expect(defaultBackend()).toBe(defaultDevice());
    expect(() => devices("tpu" as never)).toThrow(ArgumentError);
    expect(() => localDevices(1)).toThrow(ArgumentError);
    expect(() => deviceCount({} as never)).toThrow(ArgumentError);
  });
});

describe("ensureCompileTimeEval, logCompiles, processIndices", () => {
  it("ensureCompileTimeEval computes work on known values while tracing; traced arguments are still staged", () => {
    const f = jit((x: Value) => {
      const n = ensureCompileTimeEval(() => np.arange(4).sum().itemSync());
      return x.mul(n);
    });
    expect(f(np.array([1, 2])).arraySync()).toEqual([6, 12]);
    // without the scope, the same read is of a traced value
    expect(() => jit((x: Value) => x.mul(np.arange(4).sum().itemSync()))(np.array([1, 2]))).toThrow(ConcretizationError);
    // the argument's work is staged even inside the scope
    expect(() => jit((x: Value) => ensureCompileTimeEval(() => x.sum().itemSync()))(np.array([1, 2]))).toThrow(ConcretizationError);
    const j = makeJaxpr((x: Value) => ensureCompileTimeEval(() => x.add(np.arange(3).mul(2))))(np.ones([3]));
    expect(j.jaxpr.eqns.map((e) => e.prim.name)).toEqual(["add"]);
    expect(j.consts.length + j.jaxpr.eqns[0].inputs.length).toBeGreaterThan(0);
    // values agree with the staged form, also under grad and vmap
    const g = (x: Value) => ensureCompileTimeEval(() => np.sin(x).mul(np.arange(3).add(1)).sum());
    const x = np.array([0.1, 0.2, 0.3]);
    close(jit(grad(g))(x), grad(g)(x).arraySync() as number[], 1e-6);
    close(vmap(jit(g))(np.stack([x, x.mul(2)])), [g(x).itemSync(), g(x.mul(2)).itemSync()], 1e-6);
    expect(() => ensureCompileTimeEval(1 as never)).toThrow(ArgumentError);
  });
  it("logCompiles prints each trace inside its scope only, and restores the setting", () => {
    const logged: string[] = [];
    const log = console.log;
    console.log = (...xs: unknown[]) => void logged.push(xs.map(String).join(" "));
    try {
      const f = jit(function addOne(x: Value) {
        return x.add(1);
      });
      logCompiles(() => f(np.ones([2])));
      f(np.ones([3]));
      expect(logged).toEqual(["jaxon: tracing jit(addOne) for first call"]);
    } finally {
      console.log = log;
    }
    expect(() => logCompiles(null as never)).toThrow(ArgumentError);
    expect(processIndices()).toEqual([0]);
  });
});

describe("np.frombuffer, np.fromstring and np.sortComplex against JAX", () => {
  const b = fx.buffers;
  const bytes = (xs: number[]) => new Uint8Array(xs);
  const pairsOf = (z: Value) => {
    const d = z.dataSync();
    return globalThis.Array.from({ length: d.length / 2 }, (_, i) => [d[2 * i], d[2 * i + 1]]);
  };
  it("frombuffer reads little-endian elements, with count and offset, from an ArrayBuffer or a view", () => {
    expect(np.frombuffer(bytes(b.intBytes), { dtype: "int32" }).arraySync()).toEqual(b.int32);
    expect(np.frombuffer(bytes(b.intBytes).buffer, { dtype: "int32", count: 2, offset: 4 }).arraySync()).toEqual(b.int32CountOffset);
    expect(np.frombuffer(bytes(b.intBytes), { dtype: "uint32" }).arraySync()).toEqual(b.uint32);
    const f = np.frombuffer(bytes(b.floatBytes));
    expect(f.dtype).toBe("float32");
    expect(globalThis.Array.from(f.dataSync())).toEqual(b.float32);
    expect(Object.is(f.dataSync()[3], -0)).toBe(true);
    expect(globalThis.Array.from(np.frombuffer(bytes(b.doubleBytes), { dtype: "float64" }).dataSync())).toEqual([0.1, -1e300]);
    expect(np.frombuffer(bytes([0, 1, 2, 0]), { dtype: "bool" }).arraySync()).toEqual(b.bool);
    const sub = new Uint8Array(b.intBytes).subarray(4, 12);
    expect(np.frombuffer(sub, { dtype: "int32" }).arraySync()).toEqual(b.int32CountOffset);
  });
  it("fromstring parses separated numbers (spaces match any whitespace), with count", () => {
    expect(np.fromstring("1, 2.5, -3, 1e3", { sep: "," }).arraySync()).toEqual(b.fromstringComma);
    const ints = np.fromstring("4 5  6\n7", { sep: " ", dtype: "int32" });
    expect([ints.dtype, ints.arraySync()]).toEqual(["int32", b.fromstringSpaceInt]);
    expect(np.fromstring("1;2;3;4", { sep: ";", count: 2 }).arraySync()).toEqual(b.fromstringCount);
  });
  it("sortComplex sorts by real then imaginary part along the last axis, as complex64", () => {
    const r = np.sortComplex(np.array([3, 1, 2], { dtype: "float32" }));
    expect(r.dtype).toBe("complex64");
    expect(pairsOf(r)).toEqual(b.sortComplexReal);
    expect(np.sortComplex(np.array([3, 1, 2], { dtype: "int32" })).dtype).toBe(b.sortComplexRealDtype);
    expect(pairsOf(np.sortComplex(lax.complex(np.array([1, 1, 0, -3, 1]), np.array([2, -1, 5, 0, -2]))))).toEqual(b.sortComplex);
    expect(pairsOf(np.sortComplex(np.array([[3, -1], [0.5, 0.25]])))).toEqual(b.sortComplex2d);
    expect(np.sortComplex(np.array([2, 1], { dtype: "float64" })).dtype).toBe("complex128");
    const rows = np.array([[3, -1, 2], [0.5, 0.25, -4]]);
    const loop = [0, 1].map((i) => pairsOf(np.sortComplex(rows.get(i))));
    expect(pairsOf(vmap(np.sortComplex)(rows))).toEqual(loop.flat());
    expect(pairsOf(jit(np.sortComplex)(rows))).toEqual(pairsOf(np.sortComplex(rows)));
  });
  it("bad input is a typed error", () => {
    expect(() => np.frombuffer(bytes([1, 2, 3]), { dtype: "int32" })).toThrow(ArgumentError);
    expect(() => np.frombuffer(bytes([1, 2, 3, 4]), { dtype: "int32", count: 2 })).toThrow(ArgumentError);
    expect(() => np.frombuffer(bytes([1, 2, 3, 4]), { offset: 5 })).toThrow(ArgumentError);
    expect(() => np.frombuffer(bytes([1, 2]), { dtype: "float16" })).toThrow(UnsupportedError);
    expect(() => np.frombuffer([1, 2] as never)).toThrow(ArgumentError);
    expect(() => np.fromstring("1,x", { sep: "," })).toThrow(ArgumentError);
    expect(() => np.fromstring("1.5 2", { sep: " ", dtype: "int32" })).toThrow(ArgumentError);
    expect(() => np.fromstring("1 2", {} as never)).toThrow(ArgumentError);
    expect(() => np.fromstring("1 2", { sep: " ", count: 3 })).toThrow(ArgumentError);
    expect(() => np.sortComplex(np.array(1))).toThrow(ArgumentError);
  });
});

// skipped, with the reason printed by probeWebGPU, where there is no adapter (a failure under JAXON_REQUIRE_WEBGPU)
const hasGpu = await probeWebGPU("helpers.test.ts");
defaultDevice("cpu"); // init() made WebGPU the default: the CPU cases above stay on the CPU
describe.skipIf(!hasGpu)("on WebGPU", () => {
  it("blockUntilReady, deviceGetAsync and customGradient agree with the CPU; deviceGet names the async fix", async () => {
    try {
      const xg = devicePut(np.array(fx.sinScaled.x), "webgpu");
      const y = vmap(grad(sinScaled))(xg);
      expect(await blockUntilReady(y)).toBe(y);
      const got = (await deviceGetAsync({ y })).y as number[];
      got.forEach((v, i) => expect(Math.abs(v - fx.sinScaled.grad[i])).toBeLessThan(1e-5));
      expect(() => deviceGet(y)).toThrow(BackendError);
      expect(devices("webgpu")).toEqual(["webgpu"]);
      const z = np.sortComplex(devicePut(np.array([3, 1, -2]), "webgpu"));
      expect((z as Array).device).toBe("webgpu");
      expect(globalThis.Array.from(await z.data())).toEqual([-2, 0, 1, 0, 3, 0]);
      expect(deviceCount("webgpu")).toBe(1);
    } finally {
      defaultDevice("cpu");
    }
  });
});
