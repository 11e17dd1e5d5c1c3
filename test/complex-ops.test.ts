/**
 * Complex FFTs (np.fft, lax.fft), reductions (sum, mean, prod, cumsum,
 * cumprod, var, std) and matmuls (matmul, dot, vdot, inner, outer,
 * tensordot, einsum) on the CPU: values and gradients against real JAX
 * (test/fixtures/complexops/, written by its generate.py), gradients of
 * complex128 code against central finite differences on the parts (JAX's
 * convention: grad = ∂f/∂x − i·∂f/∂y), vmap against a loop, jit == eager,
 * and the typed errors.
 */
import { describe, expect, it } from "vitest";
import { grad, jit, jvp, lax, np, vjp, vmap, type Value } from "../src/index.js";
import { DTypeError } from "../src/errors.js";
import { arr, rand, values } from "./helpers.js";
import { callOf, fixture, makeInput, pairsOf, relErr, type Case } from "./complex-ops-cases.js";

const valueCases = fixture.cases.filter((c) => !c.grad);
const gradCases = fixture.cases.filter((c) => c.grad);
const numbers = (v: Value) => values(pairsOf(v));
/** np.stack for complex arrays too (through the pairs). */
const stack = (xs: Value[]): Value =>
  xs[0].dtype === "complex64" || xs[0].dtype === "complex128" ? lax.pairsToComplex(np.stack(xs.map((x) => lax.complexToPairs(x)))) : np.stack(xs);
// float32 accuracy relative to the result's scale: long products (prod, cumprod) and matmuls accumulate rounding
const TOL = 3e-6;

describe("complex values against JAX (float32/complex64, CPU)", () => {
  it("the fixture has every kind of case", () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(60);
    for (const fn of ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn", "lax.fft", "sum", "mean", "prod", "cumsum", "cumprod", "var", "std", "lax.reduceProd", "lax.cumsum", "lax.cumprod", "matmul", "dot", "vdot", "inner", "outer", "tensordot", "einsum", "norm", "vecdot"]) {
      expect(valueCases.some((c) => c.fn === fn), fn).toBe(true);
    }
  });
  it.each(valueCases.map((c) => [c.id, c] as const))("%s", (_, c: Case) => {
    const y = callOf(c)(...c.inputs.map((i) => makeInput(i)));
    expect(y.dtype).toBe(c.dtype === "complex" ? "complex64" : c.dtype);
    expect([...y.shape]).toEqual(c.outShape);
    expect(relErr(numbers(y), c.out)).toBeLessThan(TOL);
  });
});

describe("accuracy against JAX (float32/complex64, CPU): printed", () => {
  it("the largest error relative to each result's scale, per family", () => {
    const worst = new Map<string, number>();
    for (const c of valueCases) {
      const family = c.fn.startsWith("lax.") ? c.fn : ["sum", "mean", "prod", "cumsum", "cumprod", "var", "std"].includes(c.fn) ? "reductions" : c.fn.includes("fft") ? "np.fft" : c.fn === "norm" ? "norms" : "matmuls";
      const err = relErr(numbers(callOf(c)(...c.inputs.map((i) => makeInput(i)))), c.out);
      worst.set(family, Math.max(worst.get(family) ?? 0, err));
    }
    console.log([...worst].map(([f, e]) => `${f}: ${e.toExponential(1)}`).join(", "));
    for (const e of worst.values()) expect(e).toBeLessThan(TOL);
  });
});

describe("gradients against JAX's (complex64, CPU)", () => {
  it.each(gradCases.map((c) => [c.id, c] as const))("%s", (_, c: Case) => {
    const f = callOf(c);
    const xs = c.inputs.map((i) => makeInput(i));
    const g = grad((x: Value) => f(x, ...xs.slice(1)))(xs[0]) as Value;
    expect(g.dtype).toBe(c.gradDtype === "complex" ? "complex64" : c.gradDtype);
    expect([...g.shape]).toEqual(c.gradShape);
    expect(relErr(numbers(g), c.grad!)).toBeLessThan(TOL);
  });
});

describe("gradients of complex128 code against finite differences on the parts", () => {
  // each: a real function of its first argument (complex128 or float64) and the others
  it.each(gradCases.map((c) => [c.id, c] as const))("%s", (_, c: Case) => {
    const f = callOf(c);
    const xs = c.inputs.map((i) => makeInput(i, "float64"));
    const first = c.inputs[0];
    const isC = first.kind === "c";
    const parts = values(pairsOf(xs[0]));
    const fOf = (p: number[]) => {
      const a = arr(p, "float64", isC ? [...first.shape, 2] : first.shape);
      return values(f(isC ? lax.pairsToComplex(a) : a, ...xs.slice(1)))[0];
    };
    const g = values(pairsOf(grad((x: Value) => f(x, ...xs.slice(1)))(xs[0]) as Value));
    const eps = 1e-6;
    const fd = parts.map((_, j) => {
      const up = parts.slice(); up[j] += eps;
      const dn = parts.slice(); dn[j] -= eps;
      const d = (fOf(up) - fOf(dn)) / (2 * eps);
      // JAX's convention: the imaginary part of the gradient is −∂f/∂y
      return isC && j % 2 === 1 ? -d : d;
    });
    expect(relErr(g, fd)).toBeLessThan(1e-7);
  });
});

describe("transformations compose", () => {
  const cases = ["fft/n-axis-norm", "irfft/c5", "fftn/c2x3x4x5", "lax.fft/IRFFT", "prod/axis1", "cumprod/axis0", "var/axis1-ddof", "mean/axis0-keepdims", "matmul/batched-cr", "vdot/cc", "einsum/batch", "outer/cc"];
  it.each(cases.map((id) => [id, fixture.cases.find((c) => c.id === id)!] as const))("%s: jit == eager, vmap == a loop", (_, c: Case) => {
    const f = callOf(c);
    const xs = c.inputs.map((i) => makeInput(i));
    const eager = numbers(f(...xs));
    expect(relErr(numbers(jit(f)(...xs) as Value), eager)).toBeLessThan(1e-6);
    // a batch of three: the first input scaled by (1, -2, 0.5), the others shared
    const scales = [1, -2, 0.5];
    const batch = stack(scales.map((s) => np.multiply(xs[0], s)));
    const got = numbers(vmap((x: Value) => f(x, ...xs.slice(1)))(batch) as Value);
    const loop = scales.flatMap((s) => numbers(f(np.multiply(xs[0], s), ...xs.slice(1))));
    expect(relErr(got, loop)).toBeLessThan(1e-6);
  });
  it("grad under jit and vmap of grad", () => {
    const c = fixture.cases.find((k) => k.id === "grad/filter")!;
    const f = callOf(c);
    const [w, x, t] = c.inputs.map((i) => makeInput(i));
    const g = (v: Value) => grad((u: Value) => f(u, x, t))(v) as Value;
    expect(relErr(numbers(jit(g)(w) as Value), c.grad!)).toBeLessThan(TOL);
    const ws = stack([w, np.multiply(w, 2)]);
    const got = numbers(vmap(g)(ws) as Value);
    const loop = [...numbers(g(w)), ...numbers(g(np.multiply(w, 2)))];
    expect(relErr(got, loop)).toBeLessThan(1e-6);
  });
});

describe("forward and reverse mode of the linear maps (complex128, CPU)", () => {
  // each linear in its first argument: jvp's tangent is the map applied to the tangent,
  // and vjp is its transpose (JAX's: no conjugate)
  const linear: [string, (z: Value) => Value][] = [
    ["fft", (z) => np.fft.fft(z, 7, 0, "ortho")],
    ["ifftn", (z) => np.fft.ifftn(z)],
    ["irfft", (z) => np.fft.irfft(z, 9)],
    ["matmul", (z) => np.matmul(z, lax.pairsToComplex(arr(rand(4 * 3 * 2, 21), "float64", [4, 3, 2])))],
    ["cumsum", (z) => np.cumsum(z, 1)],
    ["mean", (z) => np.mean(z, 0)],
  ];
  const z = lax.pairsToComplex(arr(rand(5 * 4 * 2, 22), "float64", [5, 4, 2]));
  const t = lax.pairsToComplex(arr(rand(5 * 4 * 2, 23), "float64", [5, 4, 2]));
  // Re<a, b> over the reals: the dot product of the pairs
  const reDot = (a: Value, b: Value) => values(pairsOf(a)).reduce((acc, v, i) => acc + v * values(pairsOf(b))[i], 0);
  it.each(linear)("%s: jvp's tangent is the map of the tangent; vjp is its adjoint", (_, f) => {
    const [y, ty] = jvp(f, [z], [t]) as [Value, Value];
    expect(relErr(numbers(y), numbers(f(z)))).toBeLessThan(1e-14);
    expect(relErr(numbers(ty), numbers(f(t)))).toBeLessThan(1e-14);
    const u = lax.pairsToComplex(arr(rand(y.size * 2, 24), "float64", [...y.shape, 2]));
    const uc = y.dtype === "float64" ? lax.real(u) : u;
    const [, pull] = vjp(f, z);
    // JAX's transpose of a complex-linear map conjugates nothing (ct = Aᵀ u), so Σ (A t)·u = Σ t·ct
    // (bilinear, no conjugates), and in real dot products of the pairs Re<A t, conj u> = Re<t, conj ct>
    const ct = (pull(uc) as Value[])[0];
    const lhs = reDot(f(t), y.dtype === "float64" ? uc : lax.conj(uc));
    const rhs = reDot(t, lax.conj(ct));
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-10 * Math.max(1, Math.abs(lhs)));
  });
});

describe("edge cases and typed errors", () => {
  const z = lax.pairsToComplex(arr(rand(8, 3), "float32", [4, 2]));
  it("prod over an empty axis is 1 + 0j, cumprod of one element is itself", () => {
    expect(numbers(np.prod(lax.pairsToComplex(arr([], "float32", [0, 2]))))).toEqual([1, 0]);
    expect(numbers(np.cumprod(lax.pairsToComplex(arr([2, 3], "float32", [1, 2]))))).toEqual([2, 3]);
  });
  it("var of too few elements for ddof is NaN, real", () => {
    const v = np.var(z, null, { ddof: 4 });
    expect(v.dtype).toBe("float32");
    expect(Number.isNaN(values(v)[0])).toBe(true);
  });
  it("complex128 stays complex128 (CPU)", () => {
    const w = lax.pairsToComplex(arr(rand(8, 4), "float64", [4, 2]));
    expect(np.fft.fft(w).dtype).toBe("complex128");
    expect(np.matmul(w, w).dtype).toBe("complex128");
    expect(np.prod(w).dtype).toBe("complex128");
    expect(np.var(w).dtype).toBe("float64");
  });
  it("rfft-family transforms refuse complex input, as JAX", () => {
    expect(() => np.fft.rfft(z)).toThrow(DTypeError);
    expect(() => np.fft.rfftn(z)).toThrow(DTypeError);
    expect(() => np.fft.ihfft(z)).toThrow(/real input/);
    expect(() => lax.fft(z, "RFFT", [4])).toThrow(DTypeError);
  });
  it("lax.fft: bad fftType or lengths are typed errors that call nothing", () => {
    const hostile = { toString: () => { throw new Error("called"); } };
    expect(() => lax.fft(z, hostile as never, [4])).toThrow(/fftType/);
    expect(() => lax.fft(z, "FFT", hostile as never)).toThrow(/fftLengths/);
    expect(() => lax.fft(z, "FFT", [5])).toThrow(/lengths/);
  });
  it("np.linalg.norm of a complex matrix with ord 2, -2 or nuc comes from its singular values (complex SVD; JAX values in test/linalg-complex-spectral.test.ts)", () => {
    const m = lax.pairsToComplex(arr(rand(18, 5), "float32", [3, 3, 2]));
    const s = Array.from(np.linalg.svdvals(m).dataSync());
    expect(np.linalg.norm(m, 2).dataSync()[0]).toBeCloseTo(Math.max(...s), 5);
    expect(np.linalg.norm(m, -2).dataSync()[0]).toBeCloseTo(Math.min(...s), 5);
    expect(np.linalg.norm(m, "nuc").dataSync()[0]).toBeCloseTo(s[0] + s[1] + s[2], 5);
    expect(np.linalg.norm(m, 2).dtype).toBe("float32");
  });
  it("linear algebra without complex support refuses complex input (a DTypeError), never drops the imaginary parts", () => {
    const m = lax.pairsToComplex(arr(rand(8, 6), "float32", [2, 2, 2]));
    expect(() => np.linalg.cdist(m, m)).toThrow(DTypeError);
    // the LU family takes complex input (test/linalg-complex-lu.test.ts): solve and tensorsolve stay complex
    expect(np.linalg.solve(m, m).dtype).toBe("complex64");
    expect(np.linalg.tensorsolve(m, lax.pairsToComplex(arr(rand(4, 7), "float32", [2, 2]))).dtype).toBe("complex64");
  });
  it("a complex dotGeneral with a real preferredElementType is a DTypeError", () => {
    expect(() => lax.dotGeneral(z, z, { contracting: [[0], [0]], batch: [[], []] }, "float32")).toThrow(DTypeError);
    expect(lax.dotGeneral(z, z, { contracting: [[0], [0]], batch: [[], []] }, "complex64").dtype).toBe("complex64");
  });
});
