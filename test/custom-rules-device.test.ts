/**
 * Results land where JAX's placement rules say, with WebGPU the default:
 * uncommitted values follow committed ones, and the default device otherwise.
 *
 * The bug this pins down: a customJvp/customVjp/checkpoint call evaluated
 * eagerly runs its traced jaxpr, and a subexpression of constants only (a
 * product of two scalars, which tracing records as `mul 3.0 5.0`, both
 * literals) ran where the literals' arrays sit — the CPU — and its CPU result
 * then pulled the WebGPU data it met onto the CPU (or, for data that cannot
 * be read back synchronously, raised). An operation on constants alone has no
 * data to follow, so it now runs on the default device (runtime/placement.ts,
 * `deviceOf`).
 *
 * Every value is checked against the same function run with the CPU as the
 * default on CPU data, and against the closed form computed here by hand.
 */
import { describe, expect, it } from "vitest";
import { checkpoint, customJvp, customVjp, defaultDevice, devicePut, grad, jit, jvp, lax, np, vjp, vmap } from "../src/index.js";
import type { Array, Value } from "../src/index.js";
import { Literal } from "../src/trace/jaxpr.js";
import { ShapedArray } from "../src/trace/core.js";
import { onCpuAsync, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("custom-rules-device.test.ts");

const xs = [0.5, -1, 2];
// scalars built from numbers inside the function: traced, they are literal-only equations
const fifteen = () => lax.mul(np.array(3), np.array(5));
/** x·15, with the constant on either side, and x·(c·2) for a constant array c made from numbers. */
const bodies: [string, (v: Value) => Value, number[]][] = [
  ["x · (3·5)", (v) => v.mul(fifteen()), xs.map(() => 15)],
  ["(3·5) · x", (v) => fifteen().mul(v), xs.map(() => 15)],
  ["x · ([1,2,3]·2)", (v) => v.mul(np.array([1, 2, 3]).mul(2)), [2, 4, 6]],
];

/** The wrappers under test: each is the body, with its own derivative rule giving the same derivative. */
function wrapped(body: (v: Value) => Value, slope: number[]): [string, (v: Value) => Value][] {
  const cj = customJvp(body, ([v]: [Value], [t]: [Value]) => [body(v), t.mul(np.array(slope))]);
  const cv = customVjp(body, (v: Value) => [body(v), null], (_r: unknown, g: Value) => [g.mul(np.array(slope))]);
  return [
    ["customJvp", cj],
    ["customVjp", cv],
    ["checkpoint", checkpoint(body)],
  ];
}

/** The uncommitted and committed WebGPU inputs: made from host data, computed by a kernel, put there by devicePut. */
function inputs(): [string, Value][] {
  return [
    ["made from host data", np.array(xs)],
    ["computed on WebGPU", jit((v: Value) => np.sin(v).mul(0).add(v))(np.array(xs)) as Value],
    ["committed by devicePut", devicePut(np.array(xs), "webgpu")],
  ];
}

/** Each way of calling f: eager, jit, vmap, grad of the sum, and a derivative pushed through (jvp, or vjp for customVjp). */
function calls(kind: string, f: (v: Value) => Value): [string, (x: Value) => Value][] {
  const ones = (x: Value) => np.onesLike(x);
  return [
    ["eager", (x) => f(x)],
    ["jit", (x) => jit(f)(x) as Value],
    // a batch of one row, so that a body's constant [3]-vector lines up with the row
    ["vmap", (x) => (vmap(f)(x.reshape([1, 3])) as Value).reshape([3])],
    ["grad", (x) => grad((v: Value) => f(v).sum())(x) as Value],
    kind === "customVjp"
      ? ["vjp", (x) => (vjp(f, x)[1] as (g: Value) => Value[])(ones(x))[0]]
      : ["jvp tangent", (x) => (jvp(f, [x], [ones(x)]) as [Value, Value])[1]],
    ["jvp/vjp primal", (x) => (kind === "customVjp" ? (vjp(f, x)[0] as Value) : (jvp(f, [x], [ones(x)]) as [Value, Value])[0])],
  ];
}

const device = (v: Value) => (v as Array).device;

describe.skipIf(!hasGpu)("customJvp, customVjp and checkpoint keep their results on WebGPU", () => {
  for (const [bodyName, body, slope] of bodies) {
    for (const [kind, f] of wrapped(body, slope)) {
      it(`${kind} of ${bodyName}: eager, jit, vmap, grad and jvp/vjp land on WebGPU with the CPU's values`, async () => {
        defaultDevice("webgpu");
        for (const [callName, call] of calls(kind, f)) {
          const derivative = callName === "grad" || callName === "vjp" || callName === "jvp tangent";
          const byHand = derivative ? slope : xs.map((x, i) => x * slope[i]);
          const reference = await onCpuAsync(async () => [...(await (call(np.array(xs)) as Value).data())]);
          expect(reference, `${callName} on the CPU`).toEqual(byHand);
          for (const [inputName, x] of inputs()) {
            const out = call(x);
            expect(device(out), `${kind} ${callName}, input ${inputName}`).toBe("webgpu");
            expect([...(await out.data())], `${kind} ${callName}, input ${inputName}`).toEqual(reference);
          }
        }
      });
    }
  }
});

describe.skipIf(!hasGpu)("plain eager operations on constants alone run on the default device", () => {
  it("a product of two jaxpr literals (the CPU's shared arrays) combined with WebGPU data stays on WebGPU", async () => {
    defaultDevice("webgpu");
    const literal = (v: number) => new Literal(v, new ShapedArray([], "float32", true)).array as Array;
    const product = lax.mul(literal(3), literal(5)) as Value;
    expect(device(product)).toBe("webgpu");
    for (const [inputName, x] of inputs()) {
      for (const [order, out] of [
        ["data first", x.mul(product)],
        ["constant first", product.mul(x)],
      ] as const) {
        expect(device(out), `${inputName}, ${order}`).toBe("webgpu");
        expect([...(await out.data())], `${inputName}, ${order}`).toEqual(xs.map((v) => v * 15));
      }
    }
  });
  it("on the CPU's default, a product of constants stays on the CPU, and float64 constants go to the CPU from WebGPU", async () => {
    defaultDevice("cpu");
    try {
      const onCpu = lax.mul(np.array(3), np.array(5)) as Value;
      expect([device(onCpu), [...onCpu.dataSync()]]).toEqual(["cpu", [15]]);
    } finally {
      defaultDevice("webgpu");
    }
    const wide = lax.mul(np.array(0.1, "float64"), np.array(3, "float64")) as Value;
    expect([device(wide), wide.dtype, [...(await wide.data())]]).toEqual(["cpu", "float64", [0.1 * 3]]);
  });
});

// the other test files' CPU cases expect the CPU as the default
describe("restore the default", () => {
  it("leaves the CPU the default", () => {
    defaultDevice("cpu");
    expect(device(np.array(1))).toBe("cpu");
  });
});
