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
function close(got: number[], want: number[], tol = 3e-6) {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]), `element ${i}: ${g} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i]))));
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
