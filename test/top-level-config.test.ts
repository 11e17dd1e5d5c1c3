/**
 * JAX's top-level configuration scopes (issue 16, src/transforms/config.ts):
 * debugNans / debugInfs name the primitive that produced a NaN or an
 * infinity, eagerly and inside jit (found by the op-by-op rerun), on the CPU
 * and on WebGPU (where the failure is raised by the next read); they are off
 * by default and restored after the scope, also when it throws or when its
 * promise rejects. The values that pass the checks are the unchecked values.
 * Also: explainCacheMisses (the reasons it prints for each retrace),
 * checkingLeaks/checkTracerLeaks, defaultMatmulPrecision, hostCount/hostId/
 * hostIds, printEnvironmentInfo, makeArrayFromCallback and copyToHostAsync
 * (on both devices).
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ArgumentError,
  ShapeError,
  TracerLeakError,
  TransferGuardError,
  deviceGetAsync,
  devicePutAsync,
  transferGuard,
  transferGuardDeviceToDevice,
  transferGuardDeviceToHost,
  transferGuardHostToDevice,
  checkTracerLeaks,
  checkingLeaks,
  clearCaches,
  copyToHostAsync,
  explainCacheMisses,
  hostCount,
  hostId,
  hostIds,
  makeArrayFromCallback,
  printEnvironmentInfo,
  processCount,
  version,
  FloatingPointError,
  debugInfs,
  debugNans,
  defaultDevice,
  defaultMatmulPrecision,
  devicePut,
  grad,
  jit,
  jitConfig,
  np,
  type Array as JArray,
  type Value,
} from "../src/index.js";
import { probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("top-level-config.test.ts");
const home = defaultDevice();

/** Runs `f` with the CPU as the default device (the probe made WebGPU the default where it exists). */
function cpu<T>(f: () => T): T {
  defaultDevice("cpu");
  try {
    return f();
  } finally {
    defaultDevice(home);
  }
}

/** What `f` throws, or fails the test. */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

afterEach(() => {
  // a failing test must not leave the switches on for the next
  jitConfig.debugNans = false;
  jitConfig.debugInfs = false;
});

describe("debugNans / debugInfs on the CPU", () => {
  it("are off by default: a NaN is returned, not raised", () => {
    expect(jitConfig.debugNans).toBe(false);
    expect(jitConfig.debugInfs).toBe(false);
    cpu(() => {
      expect(Number.isNaN(np.log(np.array(-1)).itemSync())).toBe(true);
      expect(np.array(1).div(0).itemSync()).toBe(Infinity);
    });
  });

  it("eager: names the primitive whose output first holds the NaN, not the ones before or after", () => {
    cpu(() => {
      const x = np.array([4, 1, 9]);
      // sub gives [2, -1, 7] (finite), sqrt makes the NaN, mul would carry it
      const e = thrown(() => debugNans(true, () => np.sqrt(x.sub(2)).mul(3)));
      expect(e).toBeInstanceOf(FloatingPointError);
      expect((e as FloatingPointError).primitive).toBe("sqrt");
      expect((e as Error).message).toContain("`sqrt`");
      expect((e as Error).message).toContain("flat index 1");
      expect((e as Error).name).toBe("FloatingPointError");
    });
  });

  it("jit: the rerun op by op names the primitive inside the jitted function", () => {
    cpu(() => {
      const f = jit((x: Value) => np.log(np.sin(x).mul(2)).add(1));
      // sin(4) < 0: log makes the NaN
      const e = thrown(() => debugNans(() => f(np.array([1, 4]))));
      expect(e).toBeInstanceOf(FloatingPointError);
      expect((e as FloatingPointError).primitive).toBe("log");
      // nested jit: 0.5·3 = 1.5 is outside acos's domain; the inner call's primitive is named
      const inner = jit((x: Value) => np.arccos(x));
      const outer = jit((x: Value) => inner(x.mul(3)).sum());
      const e2 = thrown(() => debugNans(true, () => outer(np.array([0.1, 0.5]))));
      expect((e2 as FloatingPointError).primitive).toBe("acos");
    });
  });

  it("values that pass are exactly the unchecked values (eager and jit)", () => {
    cpu(() => {
      const f = jit((x: Value) => np.exp(np.sin(x).mul(2)).sum());
      const x = np.array([0.5, 1.5, -2]);
      const plain = [f(x).itemSync(), np.tanh(x).arraySync()];
      const checked = debugNans(true, () => debugInfs(true, () => [f(x).itemSync(), np.tanh(x).arraySync()]));
      expect(checked).toEqual(plain);
      // integer outputs are not floating: nothing to check, nothing raised
      expect(debugNans(() => np.arange(3).mul(2).arraySync())).toEqual([0, 2, 4]);
    });
  });

  it("grad: the backward pass is checked too (sqrt at 0 has an infinite derivative: div names it)", () => {
    cpu(() => {
      expect(grad((x: Value) => np.sqrt(x))(np.array(0)).itemSync()).toBe(Infinity);
      const e = thrown(() => debugInfs(() => grad((x: Value) => np.sqrt(x))(np.array(0))));
      expect(e).toBeInstanceOf(FloatingPointError);
      expect((e as Error).message).toContain("Infinity");
      // the forward sqrt(0) = 0 is finite: the primitive named is in the derivative
      expect((e as FloatingPointError).primitive).not.toBe("sqrt");
    });
  });

  it("debugInfs names ±Infinity and leaves NaN to debugNans", () => {
    cpu(() => {
      const num = np.array([1, 0, -1]);
      const den = np.array([1, 0, 0]);
      // 0/0 is NaN (ignored by debugInfs), -1/0 is -Infinity
      const e = thrown(() => debugInfs(true, () => num.div(den)));
      expect((e as FloatingPointError).primitive).toBe("div");
      expect((e as Error).message).toContain("-Infinity");
      expect((e as Error).message).toContain("flat index 2");
      const e2 = thrown(() => debugNans(true, () => num.div(den)));
      expect((e2 as Error).message).toContain("a NaN");
      expect((e2 as Error).message).toContain("flat index 1");
      expect(Number.isNaN(debugInfs(() => np.array(0).div(0)).itemSync())).toBe(true);
    });
  });

  it("scopes nest, and are restored after the scope even when it throws", () => {
    cpu(() => {
      expect(() => debugNans(true, () => np.log(np.array(-1)))).toThrow(FloatingPointError);
      expect(jitConfig.debugNans).toBe(false);
      expect(Number.isNaN(np.log(np.array(-1)).itemSync())).toBe(true);
      // an inner debugNans(false) turns the check off inside and back on after
      debugNans(true, () => {
        expect(Number.isNaN(debugNans(false, () => np.log(np.array(-1))).itemSync())).toBe(true);
        expect(jitConfig.debugNans).toBe(true);
        expect(() => np.log(np.array(-1))).toThrow(FloatingPointError);
      });
      expect(jitConfig.debugNans).toBe(false);
      // a user's own error goes through, the switch is restored
      expect(() =>
        debugInfs(() => {
          throw new RangeError("mine");
        }),
      ).toThrow(RangeError);
      expect(jitConfig.debugInfs).toBe(false);
    });
  });

  it("an async scope lasts until its promise settles, and is restored after a rejection", async () => {
    defaultDevice("cpu");
    try {
      const p = debugNans(true, async () => {
        await Promise.resolve();
        expect(jitConfig.debugNans).toBe(true);
        return np.log(np.array(-1));
      });
      await expect(p).rejects.toBeInstanceOf(FloatingPointError);
      expect(jitConfig.debugNans).toBe(false);
    } finally {
      defaultDevice(home);
    }
  });

  it("jitConfig.debugNans is the global switch (JAX's jax_debug_nans)", () => {
    cpu(() => {
      jitConfig.debugNans = true;
      expect(() => np.arcsin(np.array(2))).toThrow(FloatingPointError);
      jitConfig.debugNans = false;
      expect(Number.isNaN(np.arcsin(np.array(2)).itemSync())).toBe(true);
    });
  });

  it("bad arguments are typed errors", () => {
    expect(() => debugNans("yes" as unknown as boolean, () => 1)).toThrow(ArgumentError);
    expect(() => debugNans(true, 3 as unknown as () => number)).toThrow(/debugNans/);
  });
});

describe("defaultMatmulPrecision", () => {
  it("accepts JAX's precision names, changes no value, and refuses unknown ones", () => {
    cpu(() => {
      const a = np.array([
        [1.1, 2],
        [3, 4.7],
      ]);
      const plain = np.matmul(a, a).arraySync();
      for (const p of ["default", "high", "highest", "bfloat16", "tensorfloat32", "float32"] as const) {
        expect(defaultMatmulPrecision(p, () => np.matmul(a, a).arraySync())).toEqual(plain);
      }
      expect(() => defaultMatmulPrecision("fp8" as "high", () => 1)).toThrow(ArgumentError);
    });
  });
});

describe("explainCacheMisses", () => {
  it("says why each retrace happened, comparing with the call before; nothing outside the scope", () => {
    cpu(() => {
      const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
      try {
        const f = jit((x: Value, n: number) => x.mul(n), { staticArgnums: [1] });
        f(np.ones([2]), 2);
        f(np.ones([3]), 2); // a miss outside the scope: not explained
        expect(warn).not.toHaveBeenCalled();
        const msgs = () => warn.mock.calls.map((c) => String(c[0]));
        explainCacheMisses(() => {
          f(np.ones([3]), 2); // a hit: nothing
          expect(warn).not.toHaveBeenCalled();
          f(np.ones([2, 2]), 2);
          f(np.ones([2, 2]), 3);
          f(np.ones([2, 2], { dtype: "int32" }), 3);
          f(5, 3);
          clearCaches();
          f(5, 3);
        });
        expect(msgs()).toEqual([
          "jaxon: jit(fn) traced again: argument leaf 0 changed from f32[3] to f32[2,2]",
          "jaxon: jit(fn) traced again: the static arguments changed from (1=#2;) to (1=#3;)",
          "jaxon: jit(fn) traced again: argument leaf 0 changed from f32[2,2] to i32[2,2]",
          "jaxon: jit(fn) traced again: argument leaf 0 changed from i32[2,2] to i32[] (weak)",
          "jaxon: jit(fn) traced again: clearCaches() dropped its traces",
        ]);
        expect(jitConfig.explainCacheMisses).toBe(false);
        f(np.ones([7]), 3);
        expect(warn).toHaveBeenCalledTimes(5);
        // a new tree structure, and a first call, say so
        const g = jit((t: Record<string, Value>) => Object.values(t)[0].add(1));
        explainCacheMisses(() => {
          g({ a: np.ones([2]) });
          g({ b: np.ones([2]) });
        });
        expect(msgs()[5]).toBe("jaxon: jit(fn) traced again: first call");
        expect(msgs()[6]).toContain("the arguments' tree structure changed from");
      } finally {
        warn.mockRestore();
      }
    });
  });
});

describe("checkingLeaks / checkTracerLeaks", () => {
  it("a leaked tracer used inside is a TracerLeakError (jaxon checks always); values pass through", () => {
    cpu(() => {
      let leaked: Value | undefined;
      jit((x: Value) => {
        leaked = x;
        return x;
      })(np.ones([2]));
      expect(() => checkingLeaks(() => np.sin(leaked!))).toThrow(TracerLeakError);
      expect(() => checkTracerLeaks(true, () => np.sin(leaked!))).toThrow(TracerLeakError);
      expect(checkTracerLeaks(false, () => np.ones([2]).mul(2).arraySync())).toEqual([2, 2]);
      expect(checkingLeaks(() => 7)).toBe(7);
      expect(() => checkTracerLeaks(1 as unknown as boolean, () => 1)).toThrow(ArgumentError);
    });
  });
});

describe("hosts, environment", () => {
  it("hostCount / hostId / hostIds are processCount / processIndex / processIndices: one host", () => {
    expect([hostCount(), hostId(), hostIds()]).toEqual([processCount(), 0, [0]]);
    expect(hostCount()).toBe(1);
  });
  it("printEnvironmentInfo names the version (package.json's), the runtime and the backends; prints unless returnString", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    expect(version).toBe(pkg.version);
    const text = printEnvironmentInfo(true);
    expect(text.split("\n")[0]).toBe(`jaxon:    ${pkg.version}`);
    expect(text).toContain(`Node ${process.version}`);
    expect(text).toContain(`default: ${defaultDevice()}`);
    expect(text).toContain(hasGpu ? "backends: cpu, webgpu" : "backends: cpu");
    expect(text).toMatch(hasGpu ? /webgpu: {3}\S/ : /webgpu: {3}not available/);
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      expect(printEnvironmentInfo()).toBeUndefined();
      expect(log).toHaveBeenCalledWith(text);
    } finally {
      log.mockRestore();
    }
  });
});

describe("makeArrayFromCallback", () => {
  it("calls back once with the whole array's index and makes the array (nested, flat TypedArray, dtype)", () => {
    cpu(() => {
      const seen: unknown[] = [];
      const x = makeArrayFromCallback([2, 3], "cpu", (index) => {
        seen.push(index);
        // the values from the index itself: x[i, j] = 10 i + j
        const [[r0, r1], [c0, c1]] = index;
        const rows: number[][] = [];
        for (let i = r0; i < r1; i++) {
          const row: number[] = [];
          for (let j = c0; j < c1; j++) row.push(10 * i + j);
          rows.push(row);
        }
        return rows;
      });
      expect(seen).toEqual([
        [
          [0, 2],
          [0, 3],
        ],
      ]);
      expect(x.shape).toEqual([2, 3]);
      expect(x.dtype).toBe("float32");
      expect(x.arraySync()).toEqual([
        [0, 1, 2],
        [10, 11, 12],
      ]);
      expect(x.committed).toBe(true);
      const y = makeArrayFromCallback([2, 2], undefined, () => new Int32Array([1, 2, 3, 4]));
      expect([y.dtype, y.arraySync()]).toEqual([
        "int32",
        [
          [1, 2],
          [3, 4],
        ],
      ]);
      expect(makeArrayFromCallback([], undefined, (i) => (expect(i).toEqual([]), 2.5), { dtype: "float64" }).dtype).toBe("float64");
      expect(() => makeArrayFromCallback([3], undefined, () => [1, 2])).toThrow(ShapeError);
      expect(() => makeArrayFromCallback([-1], undefined, () => [])).toThrow(ShapeError);
      expect(() => makeArrayFromCallback([1], undefined, 3 as never)).toThrow(ArgumentError);
    });
  });
});

describe.skipIf(!hasGpu)("makeArrayFromCallback and copyToHostAsync on WebGPU", () => {
  it("makes the array on the device asked for; a started copy gives the values the read would", async () => {
    const x = makeArrayFromCallback([3], "webgpu", () => [1, 2, 3]);
    expect(x.device).toBe("webgpu");
    const y = x.mul(2).add(np.array(0.5)) as JArray;
    copyToHostAsync({ y, n: 3 });
    expect(Array.from(await y.data())).toEqual([2.5, 4.5, 6.5]);
    // the started copy is taken once; a second read reads again
    expect(await y.array()).toEqual([2.5, 4.5, 6.5]);
    expect(() => copyToHostAsync(jit((v: Value) => (copyToHostAsync(v), v)) as never)).not.toThrow(); // a function leaf is ignored
  });
});

describe("copyToHostAsync on the CPU", () => {
  it("has nothing to start; reads give the values; traced values are refused", async () => {
    const y = cpu(() => np.arange(3).mul(2)) as JArray;
    copyToHostAsync([y]);
    expect(await y.array()).toEqual([0, 2, 4]);
    expect(() => cpu(() => jit((v: Value) => (copyToHostAsync(v), v))(np.ones([2])))).toThrow(/copyToHostAsync/);
  });
});

describe.skipIf(!hasGpu)("debugNans / debugInfs on WebGPU", () => {
  const gpu = (v: number[]) => devicePut(cpu(() => np.array(v)), "webgpu") as JArray;

  it("eager: an async scope rejects naming the primitive", async () => {
    const x = gpu([4, 1, 9]);
    const p = debugNans(true, async () => {
      const y = np.sqrt(x.sub(2)).mul(3);
      return y;
    });
    const e = await p.then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(FloatingPointError);
    expect((e as FloatingPointError).primitive).toBe("sqrt");
    expect((e as Error).message).toContain("on webgpu");
    expect(jitConfig.debugNans).toBe(false);
  });

  it("a sync scope returns; the next read raises once, later reads work", async () => {
    const x = gpu([1, -1]);
    const y = debugNans(true, () => np.log(x).add(1)) as JArray;
    expect(jitConfig.debugNans).toBe(false);
    const e = await y.data().then(
      () => null,
      (err: unknown) => err,
    );
    expect((e as FloatingPointError).primitive).toBe("log");
    const values = Array.from(await y.data());
    expect(values[0]).toBe(1);
    expect(Number.isNaN(values[1])).toBe(true);
  });

  it("jit: names the primitive inside the jitted function", async () => {
    const f = jit((x: Value) => np.log(np.sin(x).mul(2)).add(1));
    const e = await debugNans(async () => f(gpu([1, 4]))).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(FloatingPointError);
    expect((e as FloatingPointError).primitive).toBe("log");
    const e2 = await debugInfs(async () => jit((a: Value, b: Value) => a.div(b).sum())(gpu([1, -1]), gpu([2, 0]))).then(
      () => null,
      (err: unknown) => err,
    );
    expect((e2 as FloatingPointError).primitive).toBe("div");
    expect((e2 as Error).message).toContain("-Infinity");
  });

  it("values that pass equal the CPU's, and nothing is raised", async () => {
    const f = jit((x: Value) => np.exp(np.sin(x).mul(2)));
    const values = [0.5, 1.5, -2];
    const want = cpu(() => Array.from(f(np.array(values)).dataSync()));
    const got = await debugNans(true, async () => Array.from(await (f(gpu(values)) as JArray).data()));
    got.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThanOrEqual(1e-5 * Math.abs(want[i])));
    // off by default on WebGPU too
    expect(Number.isNaN((await (np.log(gpu([-1])) as JArray).data())[0])).toBe(true);
  });
});

describe("transfer guards on the CPU (host memory: nothing to guard)", () => {
  it("disallow lets CPU work and reads through; bad levels are typed errors", async () => {
    const out = cpu(() => transferGuard("disallow", () => np.array([1, 2]).mul(3).arraySync()));
    expect(out).toEqual([3, 6]);
    expect(() => transferGuard("never" as "allow", () => 1)).toThrow(ArgumentError);
  });
});

describe.skipIf(!hasGpu)("transfer guards on WebGPU", () => {
  it("host to device: host data made a WebGPU array is refused under disallow, logged under log; devicePut passes; restored after", () => {
    // the default device is WebGPU here
    expect(() => transferGuardHostToDevice("disallow", () => np.array([1, 2, 3]))).toThrow(TransferGuardError);
    expect(() => transferGuard("disallow", () => np.array([1, 2, 3]))).toThrow(/transferGuardHostToDevice: an implicit host-to-device transfer/);
    // host data for an index (a gather's indices made from a JS array)
    const g = devicePut(cpu(() => np.array([1, 2, 3])), "webgpu") as JArray;
    expect(() => transferGuardHostToDevice("disallow", () => np.take(g, np.array([0, 2])))).toThrow(TransferGuardError);
    // a single number is embedded freely, explicit puts pass
    expect(() => transferGuardHostToDevice("disallow", () => g.mul(2).add(1))).not.toThrow();
    expect(() => transferGuardHostToDevice("disallow", () => devicePut(cpu(() => np.array([4, 5])), "webgpu"))).not.toThrow();
    expect(() => transferGuardHostToDevice("disallow", () => makeArrayFromCallback([2], "webgpu", () => [1, 2]))).not.toThrow();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      transferGuardHostToDevice("log", () => np.array([1, 2]));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toContain("host data of shape (2,)");
    } finally {
      warn.mockRestore();
    }
    // restored: allowed again, also after a throw
    expect((np.array([1, 2]) as JArray).device).toBe("webgpu");
  });

  it("device to host: reads of a WebGPU array are refused; deviceGetAsync / devicePutAsync pass", async () => {
    const g = devicePut(cpu(() => np.array([1, 2, 3])), "webgpu") as JArray;
    await expect(transferGuardDeviceToHost("disallow", () => g.data())).rejects.toBeInstanceOf(TransferGuardError);
    await expect(transferGuardDeviceToHost("disallow", async () => g.item())).rejects.toBeInstanceOf(TransferGuardError);
    expect(await transferGuardDeviceToHost("disallow", () => deviceGetAsync(g))).toEqual([1, 2, 3]);
    const back = (await transferGuard("disallow", () => devicePutAsync(g, "cpu"))) as JArray;
    expect(back.arraySync()).toEqual([1, 2, 3]);
    expect(await g.array()).toEqual([1, 2, 3]);
  });

  it("device to device: an uncommitted CPU array pulled into a WebGPU operation is refused; devicePut passes", async () => {
    const c = cpu(() => np.array([1, 2, 3]).mul(1)) as JArray; // computed on the CPU, uncommitted
    const g = (devicePut(cpu(() => np.array([1, 1, 1])), "webgpu") as JArray).mul(1) as JArray;
    expect(() => transferGuardDeviceToDevice("disallow", () => g.add(c))).toThrow(TransferGuardError);
    const ok = transferGuardDeviceToDevice("disallow", () => g.add(devicePut(c, "webgpu"))) as JArray;
    expect(await ok.array()).toEqual([2, 3, 4]);
    expect(await (g.add(c) as JArray).array()).toEqual([2, 3, 4]);
  });
});
