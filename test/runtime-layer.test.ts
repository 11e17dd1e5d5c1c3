/**
 * The runtime layer's contracts (docs/architecture.md): simplification reads a
 * primitive's definition (never its name), an Array carries one origin that
 * placement reads and sets, jaxpr literals' arrays are shared, and the
 * routines are a typed contract that every backend implements in full.
 */
import { describe, expect, it } from "vitest";
import { devicePut, makeJaxpr, np } from "../src/index.js";
import { Array } from "../src/array.js";
import type { Lowering, RoutineTable } from "../src/backend/device.js";
import { broadcastInDim } from "../src/lax/shape.js";
import { definePrimitive, scalar } from "../src/lax/primitive.js";
import { constantValue } from "../src/runtime/index.js";
import { bind, ShapedArray, type Value } from "../src/trace/core.js";
import { evalJaxpr, Jaxpr, Literal, Var } from "../src/trace/jaxpr.js";
import { simplify } from "../src/trace/simplify.js";

// a primitive no other file knows by name: only its definition can tell simplify what it may do
const scaleBy = definePrimitive<Record<string, never>>("test_runtime_layer_scale", {
  params: {},
  abstractEval: ([x]) => [x],
  impl: ([x]) => [x],
  simplify: { rightIdentity: 7 },
  jvp: () => {
    throw new Error("not differentiated in this test");
  },
  batch: () => {
    throw new Error("not batched in this test");
  },
});

describe("a primitive's definition drives simplification", () => {
  it("an identity declared in SimplifyFacts is applied; the same primitive with another literal is kept", () => {
    const f32 = new ShapedArray([3], "float32");
    const jaxprOf = (c: number) => {
      const x = new Var(f32);
      const y = new Var(f32);
      return new Jaxpr([], [x], [{ prim: scaleBy as never, inputs: [x, new Literal(c, new ShapedArray([], "float32"))], params: {}, outs: [y] }], [y]);
    };
    expect(simplify(jaxprOf(7)).eqns.length).toBe(0);
    expect(simplify(jaxprOf(2)).eqns.length).toBe(1);
  });

  it("x·1 and x+0 are dropped through mul's and add's facts, and a jitted identity prints no equation", () => {
    const { jaxpr } = makeJaxpr((x: Value) => np.add(np.multiply(x, 1), 0))(np.ones([3]));
    expect(jaxpr.eqns.map((e) => e.prim.name)).toEqual(["mul", "add"]);
    expect(simplify(jaxpr).eqns.length).toBe(0);
  });
});

describe("an Array's origin", () => {
  it("a constant stays a constant through a broadcast (preservesConstant), and through nothing else", () => {
    const c = scalar(2.5, "float32");
    expect(constantValue(c)).toBe(2.5);
    const b = broadcastInDim(c, [4], []) as Array;
    expect(constantValue(b)).toBe(2.5);
    expect(b.dataSync()).toEqual(new Float32Array([2.5, 2.5, 2.5, 2.5]));
    expect(constantValue(np.add(c, 1) as Array)).toBeUndefined();
  });

  it("devicePut commits, results of committed arrays are committed, others are not", () => {
    const x = devicePut(np.arange(3), "cpu");
    expect(x.committed).toBe(true);
    expect((np.multiply(x, 2) as Array).committed).toBe(true);
    expect((np.multiply(np.arange(3), 2) as Array).committed).toBe(false);
  });

  it("a literal's array is shared by every evaluation: disposing what evalJaxpr returns leaves it intact; committing it commits a copy", () => {
    const lit = new Literal(3, new ShapedArray([], "float32"));
    const jaxpr = new Jaxpr([], [], [], [lit]);
    const [a] = evalJaxpr(jaxpr, [], []) as Array[];
    a.dispose();
    expect(a.isDisposed).toBe(false);
    const [again] = evalJaxpr(jaxpr, [], []) as Array[];
    expect(again).toBe(a);
    expect(again.itemSync()).toBe(3);
    const committed = devicePut(again, "cpu");
    expect(committed).not.toBe(again);
    committed.dispose();
    expect(again.itemSync()).toBe(3);
  });

  it("bind of a primitive with an impl runs it through the runtime", () => {
    const x = np.array([1, 2]);
    expect(bind(scaleBy as never, [x, scalar(7, "float32")], {})[0]).toBe(x);
  });
});

describe("the routines' typed contract (checked by tsc, which runs these lines through the type checker)", () => {
  it("a backend table missing a routine, or a lowering whose params do not fit its routine, does not compile", () => {
    const impl = () => [] as number[];
    // @ts-expect-error: every routine of the contract must be there (sort, gather, … are missing)
    const partial: RoutineTable<number> = { dot: impl };
    // @ts-expect-error: concatenate takes { axis }, not dot's parameters
    const wrong: Lowering = { kind: "routine", routine: "concatenate", params: { batch: 1 } };
    const right: Lowering = { kind: "routine", routine: "concatenate", params: { axis: 0 } };
    expect([partial, wrong, right].length).toBe(3);
  });
});
