/** jit: caching, fusion into kernels, and composition with every transformation. */
import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import * as lax from "../src/lax/index.js";
import type { Value } from "../src/trace/core.js";
import { grad } from "../src/transforms/linearize.js";
import { vmap } from "../src/transforms/vmap.js";
import { jit, jitConfig } from "../src/transforms/jit.js";
import { jvp } from "../src/transforms/jvp.js";
import { hessian } from "../src/transforms/jacobians.js";
import { arr, expectClose, randArr, values } from "./helpers.js";

const sum = (x: Value) => lax.reduceSum(x, x.shape.map((_, i) => i));

describe("jit", () => {
  it("traces once per signature and again for a new shape, dtype or static value", () => {
    const f = jit((x: Value, n: number) => lax.mul(x, n), { staticArgnums: [1] });
    f(arr([1, 2]), 2);
    f(arr([3, 4]), 2);
    expect(f.traces).toBe(1);
    f(arr([1, 2, 3]), 2);
    expect(f.traces).toBe(2);
    f(arr([1, 2], "float32"), 2);
    expect(f.traces).toBe(3);
    expectClose(f(arr([1, 2]), 3) as Value, [3, 6]);
    expect(f.traces).toBe(4);
  });
  it("compileStats counts traces and kernels; a repeated call compiles nothing new", async () => {
    const { compileStats } = await import("../src/devices.js");
    const f = jit((x: Value) => lax.exp(lax.mul(lax.cos(x), 3)));
    f(arr([1, 2, 3]));
    const before = compileStats();
    for (let i = 0; i < 5; i++) f(arr([4, 5, 6]));
    expect(compileStats()).toEqual(before);
    f(arr([1, 2, 3, 4]));
    expect(compileStats().traces).toBe(before.traces + 1);
  });
  it("logs each trace with its reason when asked", () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => lines.push(s);
    jitConfig.logCompiles = true;
    try {
      const f = jit(function square(x: Value) {
        return lax.mul(x, x);
      });
      f(arr([1]));
      f(arr([1, 2]));
    } finally {
      jitConfig.logCompiles = false;
      console.log = log;
    }
    expect(lines[0]).toMatch(/jit\(square\).*first call/);
    expect(lines[1]).toMatch(/new signature \(f64\[2\]\)/);
  });
  it("fuses an elementwise chain with broadcasts and transposes into one kernel", () => {
    const f = jit((x: Value, b: Value) => lax.exp(lax.add(lax.mul(lax.sin(lax.transpose(x, [1, 0])), 2), lax.broadcastInDim(b, [3, 2], [1]))));
    const x = randArr([2, 3], 1);
    const b = randArr([2], 2);
    expect(f.lower(x, b).kernels).toBe(1);
    const eager = lax.exp(lax.add(lax.mul(lax.sin(lax.transpose(x, [1, 0])), 2), lax.broadcastInDim(b, [3, 2], [1])));
    expectClose(f(x, b) as Value, values(eager), 1e-12);
  });
  it("a reduction takes its elementwise prologue; a matmul stays a routine", () => {
    const f = jit((x: Value, w: Value) => sum(lax.square(lax.sub(lax.dotGeneral(x, w, { contracting: [[1], [0]], batch: [[], []] }), 1))));
    const x = randArr([16, 8], 3); // k = 8 forward, 16 backward: longer than a contraction written out (k ≤ 4)
    const w = randArr([8], 4);
    expect(f.lower(x, w).kernels).toBe(2);
    const g = jit(grad((w2: Value) => f(x, w2) as Value));
    expect(g.lower(w).kernels).toBe(3); // matmul, one fused elementwise kernel, matmul
    expectClose(g(w) as Value, values(grad((w2: Value) => sum(lax.square(lax.sub(lax.dotGeneral(x, w2, { contracting: [[1], [0]], batch: [[], []] }), 1))))(w) as Value), 1e-12);
  });
  it("jitConfig.fusion = false runs every primitive as its own kernel, with the same numbers", () => {
    const f = jit((x: Value, b: Value) => sum(lax.exp(lax.add(lax.mul(lax.sin(x), 2), lax.broadcastInDim(b, [3, 2], [1])))));
    const x = randArr([3, 2], 5);
    const b = randArr([2], 6);
    const fused = values(f(x, b) as Value);
    expect(f.lower(x, b).kernels).toBe(1);
    jitConfig.fusion = false;
    try {
      expect(f.lower(x, b).kernels).toBe(6); // sin, mul, broadcast, add, exp, reduce_sum
      expectClose(f(x, b) as Value, fused, 1e-12);
    } finally {
      jitConfig.fusion = true;
    }
    expect(f.lower(x, b).kernels).toBe(1);
  });
  it("a plan for a device with a binding limit keeps every kernel under it, with the same numbers", async () => {
    const { planFor, executePlan } = await import("../src/runtime/execute.js");
    const xs = Array.from({ length: 12 }, (_, i) => randArr([5], 40 + i));
    const f = jit((...vs: Value[]) => sum(vs.reduce((acc, v) => lax.add(acc, lax.mul(lax.sin(v), v)))));
    const { jaxpr } = f.lower(...xs);
    expect(planFor(jaxpr).steps.length).toBe(1);
    const capped = planFor(jaxpr, { maxKernelInputs: 4 });
    for (const step of capped.steps) if (step.kind === "kernel") expect(step.inputs.length).toBeLessThanOrEqual(4);
    expect(capped.steps.length).toBeGreaterThan(1);
    expectClose(executePlan(capped, xs as never)[0], values(f(...xs) as Value), 1e-12);
  });
  it("a short contraction (k ≤ 4) fuses as a sum of products: a 2-input layer and an outer product are one kernel each", () => {
    const dense = jit((x: Value, w: Value, b: Value) =>
      lax.tanh(lax.add(lax.dotGeneral(x, w, { contracting: [[1], [0]], batch: [[], []] }), lax.broadcastInDim(b, [5, 3], [1]))),
    );
    const x = randArr([5, 2], 7);
    const w = randArr([2, 3], 8);
    const b = randArr([3], 9);
    expect(dense.lower(x, w, b).kernels).toBe(1);
    const [xv, wv, bv] = [values(x), values(w), values(b)];
    const want = [];
    for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) want.push(Math.tanh(xv[2 * i] * wv[j] + xv[2 * i + 1] * wv[3 + j] + bv[j]));
    expectClose(dense(x, w, b) as Value, want, 1e-12);
    // k = 1 with a batch axis: out[b, i, j] = u[b, i] v[b, j]
    const outer = jit((u: Value, v: Value) => lax.dotGeneral(lax.broadcastInDim(u, [2, 3, 1], [0, 1]), lax.broadcastInDim(v, [2, 1, 4], [0, 2]), { contracting: [[2], [1]], batch: [[0], [0]] }));
    const u = randArr([2, 3], 10);
    const v = randArr([2, 4], 11);
    expect(outer.lower(u, v).kernels).toBe(1);
    const [uv, vv] = [values(u), values(v)];
    const prod = [];
    for (let bi = 0; bi < 2; bi++) for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) prod.push(uv[bi * 3 + i] * vv[bi * 4 + j]);
    expectClose(outer(u, v) as Value, prod, 1e-12);
  });
  it("a scalar of a few ops used by several kernels is recomputed in each, not stored by a kernel of its own", () => {
    const f = jit((s: Value, a: Value, b: Value) => {
      const c = lax.sub(1, lax.mul(s, 0.9)); // Adam's bias correction, shared by every parameter's update
      return [lax.div(a, c), lax.div(b, c)];
    });
    const [s, a, b] = [randArr([], 12), randArr([3], 13), randArr([2, 2], 14)];
    expect(f.lower(s, a, b).kernels).toBe(2);
    const c = 1 - values(s)[0] * 0.9;
    const [ra, rb] = f(s, a, b) as Value[];
    expectClose(ra, values(a).map((v) => v / c), 1e-12);
    expectClose(rb, values(b).map((v) => v / c), 1e-12);
  });
  it("a jitted function called inside another is not retraced", () => {
    const inner = jit((x: Value) => lax.sin(x));
    const outer = jit((x: Value) => lax.mul(inner(x) as Value, 2));
    outer(arr([1, 2]));
    outer(arr([3, 4]));
    expect(inner.traces).toBe(1);
    expect(outer.lower(arr([1, 2])).kernels).toBe(1); // inlined and fused
  });
});

describe("jit composes", () => {
  const f = (x: Value) => sum(lax.mul(lax.sin(x), lax.exp(x)));
  const x = randArr([5], 9);
  const expected = values(x).map((v) => Math.exp(v) * (Math.sin(v) + Math.cos(v)));
  it("grad(jit(f)) == jit(grad(f)) == grad(f)", () => {
    expectClose(grad(jit(f))(x) as Value, expected, 1e-12);
    expectClose(jit(grad(f))(x) as Value, expected, 1e-12);
  });
  it("vmap(jit(f)) and jit(vmap(grad(f))) give per-example results", () => {
    const xs = randArr([3, 5], 10);
    const per = vmap(jit(f))(xs) as Value;
    const rows = [0, 1, 2].map((r) => values(xs).slice(r * 5, r * 5 + 5));
    expectClose(per, rows.map((row) => row.reduce((s, v) => s + Math.sin(v) * Math.exp(v), 0)), 1e-12);
    const g = jit(vmap(grad(f))) as (x: Value) => Value;
    expectClose(g(xs), rows.flatMap((row) => row.map((v) => Math.exp(v) * (Math.sin(v) + Math.cos(v)))), 1e-12);
  });
  it("jvp(jit(f)), grad(grad(jit(f))) and hessian(jit(f))", () => {
    const [, t] = jvp(jit(f), [x], [arr([1, 0, 0, 0, 0])]);
    expectClose(t as Value, expected[0], 1e-12);
    const g2 = grad(grad(jit((y: Value) => lax.mul(lax.sin(y), lax.exp(y)))))(arr(0.3)) as Value;
    expectClose(g2, 2 * Math.cos(0.3) * Math.exp(0.3), 1e-12);
    const h = hessian(jit(f))(x) as Value;
    expect(h.shape).toEqual([5, 5]);
    expectClose(lax.reduceSum(h, [1]), values(x).map((v) => 2 * Math.cos(v) * Math.exp(v)), 1e-12);
  });
});
