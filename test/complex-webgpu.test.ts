/**
 * Complex arrays on WebGPU (complex64 as interleaved float32 pairs; complex
 * kernels lowered to float lanes by src/backend/kernel-complex.ts): creation
 * and readback, arithmetic, the parts, the pair views, reductions, grad,
 * vmap and jit on the GPU against the CPU and JAX's values
 * (test/fixtures/complex/ops.json).
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { devicePut, grad, jit, lax, np, vjp, vmap, type Array as JArray, type Value } from "../src/index.js";
import { onCpu, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("complex-webgpu.test.ts");
const ops = JSON.parse(readFileSync(new URL("./fixtures/complex/ops.json", import.meta.url), "utf8"));
const host = async (v: Value) => Array.from(await (v as JArray).data());
/** Closeness relative to max(1, |expected|); fixture values "nan"/"inf" as JSON strings; NaN matches NaN, ±inf exactly. */
function close(got: number[], wanted: (number | string)[], tol = 3e-6) {
  expect(got.length).toBe(wanted.length);
  got.forEach((g, i) => {
    const w = typeof wanted[i] === "number" ? (wanted[i] as number) : Number(String(wanted[i]).replace("inf", "Infinity"));
    if (Number.isNaN(w)) expect(g, `element ${i}`).toBeNaN();
    else if (!Number.isFinite(w)) expect(g, `element ${i}`).toBe(w);
    else expect(Math.abs(g - w), `element ${i}: ${g} vs ${w}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(w)));
  });
}
/** complex64 on both devices from interleaved pairs. */
const both = (pairs: number[]) => {
  const c = onCpu(() => np.array(new Float32Array(pairs), { dtype: "complex64" })) as JArray;
  return { c, g: devicePut(c, "webgpu") as JArray };
};

describe.skipIf(!hasGpu)("complex64 on WebGPU against the CPU and JAX", () => {
  const z1 = both(ops.z1);
  const z2 = both(ops.z2);
  const f = (a: Value, b: Value) => lax.sub(lax.mul(lax.add(a, lax.conj(b)), a), lax.neg(b));
  it("arrays made on the GPU: np.array of literals, zeros, full; data() interleaved, array() {re, im}", async () => {
    const z = np.array([np.complex(2, 3), np.complex(4, -5)]) as JArray;
    expect(z.device).toBe("webgpu");
    expect(await host(z)).toEqual([2, 3, 4, -5]);
    expect(await z.array()).toEqual([{ re: 2, im: 3 }, { re: 4, im: -5 }]);
    expect(await host(np.full([2], np.complex(1, -2)))).toEqual([1, -2, 1, -2]);
    expect(await host(np.zeros([2], "complex64"))).toEqual([0, 0, 0, 0]);
  });
  it("add, sub, mul, neg against JAX", async () => {
    expect((lax.mul(z1.g, z2.g) as JArray).device).toBe("webgpu");
    close(await host(lax.add(z1.g, z2.g)), ops.add);
    close(await host(lax.sub(z1.g, z2.g)), ops.sub);
    close(await host(lax.mul(z1.g, z2.g)), ops.mul);
    close(await host(lax.neg(z1.g)), ops.neg);
  });
  it("parts, conj, complex, the pair views and astype against JAX", async () => {
    close(await host(lax.real(z1.g)), ops.real);
    close(await host(lax.imag(z1.g)), ops.imag);
    close(await host(lax.conj(z1.g)), ops.conj);
    const x1 = devicePut(np.array(ops.x1), "webgpu");
    const x2 = devicePut(np.array(ops.x2), "webgpu");
    close(await host(lax.complex(x1, x2)), ops.complex);
    close(await host(lax.conj(x1)), ops.conjReal);
    close(await host(lax.complexToPairs(z1.g)), ops.z1);
    close(await host(lax.pairsToComplex(lax.complexToPairs(z1.g))), ops.z1);
    close(await host(z1.g.astype("float32")), ops.toFloat);
    close(await host(x1.astype("complex64")), ops.fromFloat);
    close(await host(np.sum(z1.g)), ops.sum, 1e-5);
    const cat = np.concatenate([z1.g, z2.g]);
    expect((cat as JArray).device).toBe("webgpu");
    close(await host(cat), [...ops.z1, ...ops.z2]);
    close(await host(np.stack([z1.g, z2.g], 1)), await host(onCpu(() => np.stack([z1.c, z2.c], 1))));
  });
  it("an elementwise chain, jit, vmap and grad: WebGPU == CPU", async () => {
    close(await host(f(z1.g, z2.g)), await host(onCpu(() => f(z1.c, z2.c))));
    close(await host(jit(f)(z1.g, z2.g) as Value), await host(onCpu(() => f(z1.c, z2.c))));
    const batched = (p: Value) => vmap((r: Value) => lax.mul(r, lax.conj(r)))(p) as Value;
    const pg = lax.reshape(lax.pairsToComplex(devicePut(np.array(ops.z1.concat(ops.z2)).reshape([12, 2]), "webgpu")), [2, 6]);
    const pc = onCpu(() => lax.reshape(lax.pairsToComplex(np.array(ops.z1.concat(ops.z2)).reshape([12, 2])), [2, 6]));
    close(await host(batched(pg)), await host(onCpu(() => batched(pc))));
    const g = grad((z: Value) => np.sum(lax.real(lax.mul(z, lax.conj(z)))))(z1.g);
    expect((g as JArray).device).toBe("webgpu");
    close(await host(g), ops.gradAbs2, 1e-5);
    const fC = (z: Value) => lax.add(lax.mul(lax.mul(z, z), z2.g), lax.mul(lax.conj(z), 1.5));
    const [out, pull] = vjp(fC, z1.g);
    close(await host(out as Value), ops.vjpCplx.out, 1e-5);
    close(await host((pull(devicePut(np.array(new Float32Array(ops.vjpCplx.ct), { dtype: "complex64" }), "webgpu")) as Value[])[0]), ops.vjpCplx.grad, 1e-5);
  });
});

const ew = JSON.parse(readFileSync(new URL("./fixtures/complex/elementwise.json", import.meta.url), "utf8"));

describe.skipIf(!hasGpu)("complex64 elementwise math on WebGPU (WGSL lanes) against jnp and the CPU", () => {
  const g = both(ew.g);
  const h = both(ew.h);
  const unary: [string, (z: Value) => Value, number][] = [
    ["exp", lax.exp, 4e-6], ["log", lax.log, 4e-6], ["sqrt", lax.sqrt, 4e-6], ["sin", lax.sin, 4e-6], ["cos", lax.cos, 4e-6], ["tan", lax.tan, 1e-5],
    ["sinh", lax.sinh, 4e-6], ["cosh", lax.cosh, 4e-6], ["tanh", lax.tanh, 1e-5], ["expm1", lax.expm1, 4e-6], ["log1p", lax.log1p, 4e-6],
    ["abs", np.abs, 4e-6], ["angle", (z) => np.angle(z), 4e-6], ["sign", lax.sign, 4e-6], ["square", lax.square, 4e-6], ["reciprocal", lax.reciprocal, 4e-6],
  ];
  for (const [name, fn, tol] of unary) {
    it(`${name}: WebGPU against jnp and the CPU`, async () => {
      const out = fn(g.g);
      expect((out as JArray).device).toBe("webgpu");
      const real = out.dtype === "float32";
      const want = real ? (ew.unary[name] as (number | string)[]).filter((_, i) => i % 2 === 0) : (ew.unary[name] as (number | string)[]);
      const got = await host(out);
      close(got, want, tol);
      close(got, await host(onCpu(() => fn(g.c))), tol);
    });
  }
  it("div, pow, equal, and a fused jitted chain", async () => {
    close(await host(np.divide(g.g, h.g)), ew.binary.div, 4e-6);
    close(await host(np.power(g.g, h.g)), ew.binary.pow, 1e-4);
    expect((await (np.equal(g.g, h.g) as JArray).array()) as boolean[]).toEqual((ew.binary.equal as number[]).filter((_, i) => i % 2 === 0).map(Boolean));
    const f = (z: Value, w: Value) => lax.add(lax.mul(lax.exp(z), lax.conj(w)), lax.div(lax.sin(z), lax.add(w, 3)));
    close(await host(jit(f)(g.g, h.g) as Value), await host(onCpu(() => f(g.c, h.c))), 1e-5);
  });
});

const ix = JSON.parse(readFileSync(new URL("./fixtures/complex/indexing.json", import.meta.url), "utf8"));

describe.skipIf(!hasGpu)("complex64 indexing and data movement on WebGPU (through the float pairs) against jnp", () => {
  it("gather, scatter set/add, dynamic slices, pad, cumsum", async () => {
    const z = lax.reshape(both(ix.z).g, [3, 4]);
    const idx = devicePut(np.array([2, 0, 2], { dtype: "int32" }), "webgpu");
    const upd = np.array([np.complex(1, 1), np.complex(-2, 0.5), np.complex(3, -1), np.complex(0, 0.25)]);
    const ones = lax.mul(np.ones([3, 4], "complex64"), np.array(np.complex(1, 2)));
    const s = (i: number) => np.array(i, { dtype: "int32" });
    const g = z.get(idx);
    expect((g as JArray).device).toBe("webgpu");
    close(await host(g), ix.gather);
    close(await host(z.at(1).set(upd)), ix.set);
    close(await host(z.at(idx).add(ones)), ix.add, 4e-6);
    close(await host(lax.dynamicSlice(z, [s(1), s(1)], [2, 2])), ix.dynamicSlice);
    close(await host(lax.dynamicUpdateSlice(z, lax.mul(lax.dynamicSlice(z, [s(1), s(1)], [2, 2]), 2), [s(0), s(2)])), ix.dynamicUpdateSlice);
    close(await host(np.pad(z, 1, { constantValue: np.array(np.complex(0.5, -1)) })), ix.pad);
    close(await host(np.cumsum(z, 1)), ix.cumsum, 4e-6);
  });
});
