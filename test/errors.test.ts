/** Every error class, thrown by the operation that should throw it, with a message a person can act on. */
import { describe, expect, it } from "vitest";
import type * as jaxon from "../src/index.js";
import { BackendError, ConcretizationError, DTypeError, ShapeError, TracerLeakError, UnsupportedError, defaultDevice, grad, jit, lax, np, vmap, type Value } from "../src/index.js";

describe("typed errors name the operation, the shapes or dtypes, and the fix", () => {
  it("ShapeError: broadcasting names both shapes and the function", () => {
    const f = () => np.add(np.ones([2, 3]), np.ones([4]));
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(/add.*\(2, 3\).*\(4,\)/);
  });
  it("ShapeError: lax ops with unequal shapes point to np or broadcastInDim", () => {
    expect(() => lax.add(np.ones([2]), np.ones([3]))).toThrow(/lax\.add.*broadcastInDim/);
  });
  it("ShapeError: a ragged nested array names the problem", () => {
    expect(() => np.array([[1, 2], [3]])).toThrow(ShapeError);
  });
  it("ShapeError: reshape to a different size", () => {
    expect(() => np.reshape(np.ones([6]), [4, 2])).toThrow(/reshape.*\(6,\).*\(4, 2\)/);
  });
  it("DTypeError: lax dtype mismatches and unknown dtype names", () => {
    expect(() => lax.add(np.ones([2]), np.ones([2], { dtype: "int32" }))).toThrow(DTypeError);
    expect(() => lax.sin(np.ones([2], { dtype: "int32" }))).toThrow(/float/);
    expect(() => np.zeros([2], { dtype: "bfloat16" as never })).toThrow(DTypeError);
    expect(() => np.zeros([2], { dtype: "bfloat16" as never })).toThrow(/float32/);
  });
  it("ConcretizationError under each transformation names it and the fixes", () => {
    // `x > 0` asks the array for a number; (JS cannot intercept plain truthiness: `if (x.gt(0))` is always true)
    const branchy = (x: Value) => ((x as unknown as number) > 0 ? x : x.neg());
    for (const run of [() => grad((x: Value) => branchy(x).sum())(np.ones([2])), () => vmap(branchy)(np.ones([2])), () => jit(branchy)(np.ones([2]))]) {
      expect(run).toThrow(ConcretizationError);
      expect(run).toThrow(/np\.where.*lax\.cond.*staticArgnums/s);
    }
    expect(() => jit((x: Value) => x.mul(Number(x)))(np.array(2))).toThrow(/jit/);
  });
  it("TracerLeakError names the transformation that made the tracer", () => {
    let leaked: Value | undefined;
    vmap((x: Value) => {
      leaked = x;
      return x;
    })(np.ones([3]));
    expect(() => leaked!.add(1)).toThrow(TracerLeakError);
    expect(() => leaked!.add(1)).toThrow(/vmap/);
  });
  it("UnsupportedError for bad argnums", () => {
    expect(() => grad((x: Value) => x.sum(), { argnums: 3 })(np.ones([2]))).toThrow(UnsupportedError);
  });
  it("BackendError for a device that is not available, and for reading a disposed array", () => {
    expect(() => defaultDevice("webgpu")).toThrow(BackendError);
    const x = np.ones([2]) as jaxon.Array;
    x.dispose();
    expect(() => x.dataSync()).toThrow(/disposed/);
  });
  it("Number(x) on a concrete array: the value for size 1, a ShapeError otherwise", () => {
    expect(Number(np.array(3))).toBe(3);
    expect(np.array(2) > np.array(1)).toBe(true);
    expect(`${np.array([1, 2])}`).toBe("Array([1, 2], dtype=float32)");
    expect(() => Number(np.ones([2]))).toThrow(ShapeError);
  });
});
