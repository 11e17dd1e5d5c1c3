/**
 * The runtime's promises (the "Trust" issue): jit's cache keys never confuse
 * two calls, an async function is refused without an unhandled rejection, a
 * disposed array is never computed with, and the caches stay bounded.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import {
  Array,
  BackendError,
  compileStats,
  devicePut,
  devicePutAsync,
  grad,
  jit,
  jitConfig,
  np,
  UnsupportedError,
  vmap,
  type Value,
} from "../src/index.js";
import { eagerSignatureCount } from "../src/runtime/index.js";

const f32 = (xs: number[]) => np.array(xs);
const read = (v: unknown) => globalThis.Array.from((v as Array).dataSync());

describe("jit static arguments are keyed by value or identity", () => {
  it("two functions (even with one name) get their own traces", () => {
    const apply = jit((x: Value, fn: (v: Value) => Value) => fn(x), { staticArgnums: [1] });
    const x = f32([0.5, 1, 2]);
    expect(read(apply(x, np.sin))).toEqual([0.5, 1, 2].map((v) => Math.fround(Math.sin(v))).map((v) => expect.closeTo(v, 6)));
    expect(read(apply(x, np.cos))).toEqual([0.5, 1, 2].map((v) => expect.closeTo(Math.cos(v), 6)));
    // closures made by one factory share a name (and JSON.stringify turned both into the same key)
    const scaleBy = (k: number) => (v: Value) => v.mul(k);
    expect(read(apply(x, scaleBy(2)))).toEqual([1, 2, 4]);
    expect(read(apply(x, scaleBy(3)))).toEqual([1.5, 3, 6]);
    expect(apply.traces).toBe(4);
    // the same function object hits its trace
    const triple = scaleBy(3);
    apply(x, triple);
    apply(x, triple);
    expect(apply.traces).toBe(5);
  });

  it("Maps and class instances by identity, plain arrays and objects by value", () => {
    const f = jit((x: Value, cfg: { k: number } | Map<string, number> | number[]) => x.mul(cfg instanceof Map ? cfg.get("k")! : globalThis.Array.isArray(cfg) ? cfg[0] : cfg.k), {
      staticArgnums: [1],
    });
    const x = f32([1, 2]);
    const m1 = new Map([["k", 2]]);
    const m2 = new Map([["k", 5]]);
    expect(read(f(x, m1))).toEqual([2, 4]);
    expect(read(f(x, m2))).toEqual([5, 10]); // JSON.stringify gave "{}" for both
    expect(f.traces).toBe(2);
    f(x, m1);
    expect(f.traces).toBe(2);
    // plain data: equal values share a trace whatever the object, whatever the key order
    expect(read(f(x, { k: 3 }))).toEqual([3, 6]);
    f(x, { k: 3 });
    expect(f.traces).toBe(3);
    expect(read(f(x, [4]))).toEqual([4, 8]);
    f(x, [4]);
    expect(f.traces).toBe(4);
    const g = jit((x: Value, o: { a: number; b: number }) => x.mul(o.a).add(o.b), { staticArgnums: [1] });
    g(x, { a: 2, b: 1 });
    expect(read(g(x, { b: 1, a: 2 }))).toEqual([3, 5]);
    expect(g.traces).toBe(1);
  });

  it("NaN, null, undefined, -0, strings and booleans are all different values", () => {
    const f = jit((x: Value, c: unknown) => (c === null ? x.add(100) : c === undefined ? x.add(200) : typeof c === "string" ? x.add(300) : typeof c === "boolean" ? x.add(c ? 400 : 500) : x.div(c as number)), {
      staticArgnums: [1],
    });
    const x = f32([1]);
    expect(read(f(x, NaN))[0]).toBeNaN();
    expect(read(f(x, null))).toEqual([101]); // JSON.stringify(NaN) === "null"
    expect(read(f(x, undefined))).toEqual([201]);
    expect(read(f(x, "1"))).toEqual([301]);
    expect(read(f(x, 1))).toEqual([1]);
    expect(read(f(x, true))).toEqual([401]);
    expect(read(f(x, false))).toEqual([501]);
    expect(read(f(x, 0))).toEqual([Infinity]);
    expect(read(f(x, -0))).toEqual([-Infinity]);
    expect(read(f(x, Infinity))).toEqual([0]);
    expect(f.traces).toBe(10);
    // NaN is one value (there is no NaN identity in JS): the trace is reused
    f(x, NaN);
    expect(f.traces).toBe(10);
  });

  it("symbols by identity; registered symbols by their key", () => {
    const f = jit((x: Value, _s: symbol) => x.add(1), { staticArgnums: [1] });
    const x = f32([1]);
    f(x, Symbol("a"));
    f(x, Symbol("a"));
    expect(f.traces).toBe(2);
    f(x, Symbol.for("b"));
    f(x, Symbol.for("b"));
    expect(f.traces).toBe(3);
  });

  it("an array, a tracer or a TypedArray as a static value is a typed error naming the argument", () => {
    const f = jit((x: Value, c: unknown) => x.add(1).mul(globalThis.Array.isArray(c) ? 1 : 2), { staticArgnums: [1] });
    const x = f32([1, 2]);
    expect(() => f(x, f32([1]))).toThrow(UnsupportedError);
    expect(() => f(x, f32([1]))).toThrow(/static argument 1 is an array \(f32\[1\]\).*leave 1 out of staticArgnums/);
    expect(() => f(x, [1, { w: f32([1]) }])).toThrow(/static argument 1 \(at \[1\]\["w"\]\)/);
    expect(() => f(x, new Float32Array(2))).toThrow(/a Float32Array/);
    // a tracer (grad's) passed as static
    expect(() => grad((y: Value) => f(x, y).sum())(f32([3]))).toThrow(UnsupportedError);
    expect(() => grad((y: Value) => f(x, y).sum())(f32([3]))).toThrow(/static argument 1 is a traced value \(f32\[1\]\)/);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => f(x, cyclic)).toThrow(/contains itself/);
  });

  it("pytree keys that contain the key's separators do not collide", () => {
    const f = jit((t: Record<string, Value>) => Object.values(t).reduce((a, b) => a.add(b)));
    const a = f32([1]);
    const b = f32([10]);
    expect(read(f({ "a|b": a }))).toEqual([1]);
    expect(read(f({ a, b }))).toEqual([11]);
    expect(read(f({ 'a":*,"b': a }))).toEqual([1]);
    expect(read(f({ "a,b": a, c: b }))).toEqual([11]);
    expect(f.traces).toBe(4);
  });
});

describe("an async function under a transformation", () => {
  it("is a typed error, and its promise never rejects unhandled", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const f = jit(async (x: Value) => {
        await Promise.resolve();
        return x.add(1); // a tracer of a closed trace: this rejects
      });
      expect(() => f(f32([1]))).toThrow(UnsupportedError);
      expect(() => f(f32([1]))).toThrow(/jit\(.*\): the function returned a Promise.*synchronously/);
      // @ts-expect-error a Promise is not a scalar: tsc rejects it too (ScalarOutput); the run-time check is for untyped code
      expect(() => grad(async (x: Value) => x.sum())(f32([1]))).toThrow(/returned a Promise/);
      expect(() => vmap(async (x: Value) => x.sum())(f32([1]))).toThrow(/returned a Promise/);
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

describe("use after dispose", () => {
  const disposed = () => {
    const x = np.arange(6).reshape([2, 3]).astype("float32") as Array;
    x.dispose();
    return x;
  };
  const message = /disposed.*shape \(2, 3\).*float32|shape \(2, 3\) and dtype float32 was disposed/;

  it("as an operand, a jit input, a read or a devicePut is a BackendError naming shape and dtype", async () => {
    const x = disposed();
    expect(x.isDisposed).toBe(true);
    expect(() => x.add(1)).toThrow(BackendError);
    expect(() => x.add(1)).toThrow(message);
    expect(() => np.sin(x)).toThrow(message);
    expect(() => jit((v: Value) => v.mul(2))(x)).toThrow(message);
    expect(() => x.dataSync()).toThrow(message);
    expect(() => x.itemSync()).toThrow(BackendError);
    expect(() => x.arraySync()).toThrow(BackendError);
    await expect(x.data()).rejects.toThrow(message);
    await expect(x.array()).rejects.toThrow(BackendError);
    await expect(x.item()).rejects.toThrow(BackendError);
    expect(() => devicePut(x, "cpu")).toThrow(message);
    await expect(devicePutAsync(x, "cpu")).rejects.toThrow(message);
    // printing it still works, and says so
    expect(String(x)).toMatch(/disposed/);
  });

  it("inside a pytree given to grad or vmap, or closed over by a jitted function", () => {
    const x = disposed();
    const live = np.ones([2, 3]);
    expect(() => grad((t: { a: Value; b: Value }) => t.a.add(t.b).sum())({ a: live, b: x })).toThrow(message);
    expect(() => vmap((t: [Value, Value]) => t[0].add(t[1]))([live, x])).toThrow(message);
    // a constant captured when the trace was made, disposed before a later call
    const c = np.ones([2, 3]).mul(2) as Array;
    const f = jit((v: Value) => v.add(c));
    expect(read(f(live))).toEqual([3, 3, 3, 3, 3, 3]);
    c.dispose();
    expect(() => f(live)).toThrow(BackendError);
  });

  it("disposing twice is harmless, and a fresh array is not affected by the reuse of the buffer", () => {
    const a = np.full([512], 7) as Array;
    a.dispose();
    a.dispose();
    const b = np.full([512], 9) as Array; // may take a's block
    expect(() => a.add(0)).toThrow(BackendError);
    expect(read(b.add(0))[0]).toBe(9);
  });
});

describe("bounded caches", () => {
  const saved = { maxTraces: jitConfig.maxTraces, maxEagerSignatures: jitConfig.maxEagerSignatures, maxCpuKernels: jitConfig.maxCpuKernels };
  afterEach(() => Object.assign(jitConfig, saved));

  it("the bounds are positive integers (or Infinity); anything else is a typed error", () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      expect(() => (jitConfig.maxTraces = bad)).toThrow(/jitConfig\.maxTraces must be a positive integer/);
      expect(() => (jitConfig.maxEagerSignatures = bad)).toThrow(UnsupportedError);
    }
    jitConfig.maxTraces = Infinity;
    expect(jitConfig.maxTraces).toBe(Infinity);
  });

  it("a jitted function keeps at most jitConfig.maxTraces traces, least recently used out", () => {
    jitConfig.maxTraces = 3;
    const f = jit((x: Value) => x.add(1));
    for (const n of [1, 2, 3]) f(np.ones([n]));
    expect(f.cacheSize).toBe(3);
    f(np.ones([1])); // [1] is now the most recent: [2] is the oldest
    f(np.ones([4]));
    expect(f.cacheSize).toBe(3);
    expect(f.traces).toBe(4);
    f(np.ones([1]));
    f(np.ones([3]));
    expect(f.traces).toBe(4);
    f(np.ones([2])); // evicted: traced again, with the right answer
    expect(f.traces).toBe(5);
    expect(read(f(np.ones([2])))).toEqual([2, 2]);
  });

  it("the CPU keeps at most jitConfig.maxCpuKernels compiled kernels (JavaScript and WebAssembly), least recently used out", () => {
    expect(() => (jitConfig.maxCpuKernels = 0)).toThrow(BackendError);
    jitConfig.maxCpuKernels = 4;
    // a fresh jitted function per call: its kernels are new objects, so only the by-key caches can hit;
    // each constant makes another kernel; 8 elements take the JavaScript path, 4096 WebAssembly
    const run = (n: number, c: number) => read(jit((x: Value) => np.sin(x).mul(3).add(c))(np.ones([n])));
    const expected = (n: number, c: number) => new globalThis.Array(n).fill(Math.fround(Math.fround(Math.fround(Math.sin(1)) * 3) + c));
    const constants = [0.25, 0.5, 0.75, 1.25, 1.5, 1.75];
    for (const [n, count] of [[8, () => compileStats().jsKernels], [4096, () => compileStats().wasmKernels]] as const) {
      for (const c of constants) run(n, c);
      const before = count();
      run(n, constants[5]); // the most recent: still compiled
      expect(count()).toBe(before);
      const again = run(n, constants[0]); // five kernels ago, past the bound of 4: compiled again, with the right answer
      expect(count()).toBe(before + 1);
      expect(again).toEqual(expected(n, constants[0]));
    }
  });

  it("5,000 distinct shapes (jit and eager) stay within the bounds, and the heap stops growing", () => {
    jitConfig.maxTraces = 64;
    jitConfig.maxEagerSignatures = 128;
    // a collection on demand, to measure the heap (the test sets this flag, never the library)
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const heap = () => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    const f = jit((x: Value) => np.sin(x).mul(2).add(1));
    const run = (from: number) => {
      for (let n = from; n < from + 2500; n++) {
        f(np.ones([n]));
        np.ones([n]).add(3);
      }
    };
    run(1); // warm-up: the caches fill to their bounds
    const before = heap();
    const eagerBefore = eagerSignatureCount();
    run(2501);
    const grown = heap() - before;
    expect(f.cacheSize).toBe(64);
    // every primitive bounds its own signatures; the count does not grow past the warm-up's
    expect(eagerSignatureCount()).toBeLessThanOrEqual(Math.max(eagerBefore, 128 * 8));
    // unbounded, 2,500 more shapes held ~16 MB of traces and signatures here; compiled
    // kernels (the backends' own caches) account for the remaining growth
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  }, 120_000);
});
