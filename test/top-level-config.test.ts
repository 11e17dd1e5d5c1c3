/**
 * JAX's top-level configuration scopes (issue 16, src/transforms/config.ts):
 * debugNans / debugInfs name the primitive that produced a NaN or an
 * infinity, eagerly and inside jit (found by the op-by-op rerun), on the CPU
 * and on WebGPU (where the failure is raised by the next read); they are off
 * by default and restored after the scope, also when it throws or when its
 * promise rejects. The values that pass the checks are the unchecked values.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  ArgumentError,
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
