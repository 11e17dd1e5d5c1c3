/**
 * The types a user writes against: `Value` in annotations, and the Jacobians
 * typed from the function they differentiate (not `any`). The type
 * assertions are checked by `tsc --noEmit -p .` (this file is in the
 * project), the values at run time against derivatives worked by hand.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { grad, hessian, jacfwd, jacrev, nn, np, random, valueAndGrad, ShapeError, type DenseParams, type JacobianOf, type Value } from "../src/index.js";

const cube = (x: Value): Value => x.mul(x).mul(x).sum();
const square = (x: Value): Value => x.mul(x);

describe("Jacobian types", () => {
  it("jacfwd, jacrev of an array function are arrays; hessian of a scalar one too", async () => {
    const jf = jacfwd(square)(np.array([1, 2]));
    const jr = jacrev(square)(np.array([1, 2]));
    const h = hessian(cube)(np.array([1, 2]));
    expectTypeOf(jf).toEqualTypeOf<Value>();
    expectTypeOf(jr).toEqualTypeOf<Value>();
    expectTypeOf(h).toEqualTypeOf<Value>();
    // d(x²)/dx = diag(2x); the Hessian of Σx³ is diag(6x)
    expect(await jf.array()).toEqual([[2, 0], [0, 4]]);
    expect(await jr.array()).toEqual([[2, 0], [0, 4]]);
    expect(await h.array()).toEqual([[6, 0], [0, 12]]);
    // @ts-expect-error a Jacobian is an array here, not a number
    const n: number = jacrev(square)(np.array([1, 2]));
    void n;
  });

  it("follow the output's structure and the argnums", async () => {
    const f = (x: Value, y: Value) => ({ sum: x.add(y), prod: x.mul(y) });
    const j = jacrev(f, { argnums: [0, 1] })(np.array([2]), np.array([3]));
    expectTypeOf(j).toEqualTypeOf<{ sum: [Value, Value]; prod: [Value, Value] }>();
    expectTypeOf<JacobianOf<typeof f, { argnums: 1 }>>().toEqualTypeOf<{ sum: Value; prod: Value }>();
    // d(xy)/dx = y, d(xy)/dy = x
    expect(await j.prod[0].array()).toEqual([[3]]);
    expect(await j.prod[1].array()).toEqual([[2]]);
    expect(await j.sum[1].array()).toEqual([[1]]);
  });
});

describe("nn.serial's params", () => {
  it("are a tuple of each layer's params, not unknown[]; params typed unknown[] (as before) still apply", async () => {
    const net = nn.serial(nn.Dense(3), nn.Relu, nn.Dense(1));
    const [, params] = net.init(random.key(0), [-1, 2]);
    expectTypeOf(params[0]).toEqualTypeOf<DenseParams>();
    expectTypeOf(params[2]).toEqualTypeOf<DenseParams>();
    expect(params[0].w.shape).toEqual([2, 3]);
    expect(params[2].b.shape).toEqual([1]);
    // @ts-expect-error a serial of three layers has three params, not four
    void params[3];
    // @ts-expect-error the first layer's params are a Dense layer's, with no field "kernel"
    void params[0].kernel;
    const loose: unknown[] = params;
    expect(net.apply(loose, np.ones([4, 2])).shape).toEqual([4, 1]);
    expect(net.apply(params, np.ones([4, 2])).shape).toEqual([4, 1]);
  });
});

describe("grad's output type", () => {
  it("tsc rejects a function declared to return something other than a scalar; Value, number and any pass", async () => {
    const list = (x: Value): Value[] => [x.sum(), x.mean()];
    const record = (x: Value) => ({ loss: x.sum() });
    // @ts-expect-error a list of values is not a scalar
    expect(() => grad(list)(np.array([1, 2]))).toThrow(ShapeError);
    // @ts-expect-error an object of values is not a scalar
    expect(() => valueAndGrad(record)(np.array([1, 2]))).toThrow(ShapeError);
    // @ts-expect-error with hasAux the function returns [scalar, aux]
    expect(() => grad(record, { hasAux: true })(np.array([1, 2]))).toThrow();
    // what passes: a declared Value (its shape is checked when it runs), [Value, aux] with hasAux, and untyped code
    expectTypeOf(grad(cube)(np.array([1, 2]))).toEqualTypeOf<Value>();
    const [g, aux] = grad((x: Value) => [x.sum(), { mean: x.mean() }] as const, { hasAux: true })(np.array([1, 2]));
    expect(await g.array()).toEqual([1, 1]);
    expect(await aux.mean.item()).toBe(1.5);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const untyped = (x: any): any => x.sum();
    expect(await grad(untyped)(np.array([1, 2])).array()).toEqual([1, 1]);
  });
});
