/**
 * Long fused chains stay linear in size. A fused value read twice (a complex
 * product reads each operand's real and imaginary parts twice; `t = x.T; t·t`
 * reads the transposed value twice) is one shared node of the kernel's
 * expression, and every pass over an expression (kernel keys, the JavaScript,
 * Wasm and WGSL renderers, the complex lowering, fusion itself) visits a node
 * once. Walked as a tree instead, n chained steps are 2^n nodes: Horner's rule
 * over 32 complex coefficients (scipy.special.wofz's first version) ran the
 * process out of memory when jitted.
 *
 * Each repro is measured for both devices' plans (CPU flags; WebGPU's flags,
 * rendered to WGSL here, no adapter needed): distinct expression nodes, kernel
 * key length and generated source length must grow linearly with the step
 * count and stay under a per-step budget. The numbers must equal eager
 * (op-by-op) evaluation and a float64 loop; with an adapter, the jitted
 * functions also run on WebGPU against the CPU.
 */
import { describe, expect, it } from "vitest";
import { defaultDevice, devicePut, jit, np, type Array as JArray, type Value } from "../src/index.js";
import { cpuBackend } from "../src/backend/cpu/index.js";
import { renderKernel } from "../src/backend/cpu/codegen.js";
import { compileKernel as renderWgsl } from "../src/backend/webgpu/codegen.js";
import { kernelKey, type Expr, type Kernel } from "../src/backend/kernel.js";
import { pairKernel } from "../src/backend/kernel-complex.js";
import { planFor } from "../src/runtime/execute.js";
import type { Jaxpr } from "../src/trace/jaxpr.js";
import { probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("fusion-blowup.test.ts");
defaultDevice("cpu");

const N = 3000;
/** Points in the unit disc (|z| ≤ 0.9), as float64 pairs. */
const zRe = Array.from({ length: N }, (_, i) => 0.9 * Math.cos(0.37 * i) * Math.sqrt((i % 97) / 97));
const zIm = Array.from({ length: N }, (_, i) => 0.9 * Math.sin(0.37 * i) * Math.sqrt((i % 97) / 97));
const xs = Array.from({ length: N }, (_, i) => Math.cos(0.11 * i));
/** Horner coefficients c_0..c_{n-1}: decaying, alternating, so the sums stay O(1). */
const coeff = (k: number) => (k % 2 ? -1 : 1) / (k + 1);

const complexInput = () => np.array(new Float32Array(zRe.flatMap((r, i) => [r, zIm[i]])), { dtype: "complex64" }) as JArray;
const realInput = () => np.array(new Float32Array(xs), { dtype: "float32" }) as JArray;
const squareInput = () => np.array(new Float32Array(xs.slice(0, 48 * 48)), { dtype: "float32" }).reshape([48, 48]) as JArray;

/** acc ← acc·z + c_k, with z complex (wofz's continued-fraction / polynomial evaluation). */
const hornerComplex = (n: number) => (z: Value) => {
  let acc = np.zerosLike(z) as JArray;
  for (let k = 0; k < n; k++) acc = acc.mul(z).add(coeff(k)) as JArray;
  return acc;
};
/** The same over float32. */
const hornerReal = (n: number) => (x: Value) => {
  let acc = np.zerosLike(x) as JArray;
  for (let k = 0; k < n; k++) acc = acc.mul(x).add(coeff(k)) as JArray;
  return acc;
};
/** p_{k+1} = a_k·x·p_k − p_{k−1} (Chebyshev U: a_k = 2), unrolled (besselJn's first version). */
const recurrence = (n: number) => (x: Value) => {
  let prev = np.onesLike(x) as JArray;
  let p = (x as JArray).mul(2) as JArray;
  for (let k = 1; k < n; k++) [prev, p] = [p, (x as JArray).mul(2).mul(p).sub(prev) as JArray];
  return p;
};
/** acc ← (accᵀ ⊙ accᵀ)/2 + 1/10: a fused view read twice per step (fusion itself duplicated it). */
const transposeSquare = (n: number) => (x: Value) => {
  let acc = x as JArray;
  for (let k = 0; k < n; k++) {
    const t = acc.transpose();
    acc = t.mul(t).mul(0.5).add(0.1) as JArray;
  }
  return acc;
};

// ---- float64 references ----------------------------------------------------------------
function hornerComplex64(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    let [ar, ai] = [0, 0];
    for (let k = 0; k < n; k++) [ar, ai] = [ar * zRe[i] - ai * zIm[i] + coeff(k), ar * zIm[i] + ai * zRe[i]];
    out.push(ar, ai);
  }
  return out;
}
const hornerReal64 = (n: number) => xs.map((x) => {
  let acc = 0;
  for (let k = 0; k < n; k++) acc = acc * x + coeff(k);
  return acc;
});
const recurrence64 = (n: number) => xs.map((x) => {
  let [prev, p] = [1, 2 * x];
  for (let k = 1; k < n; k++) [prev, p] = [p, 2 * x * p - prev];
  return p;
});
function transposeSquare64(n: number): number[] {
  const m = 48;
  let a = xs.slice(0, m * m);
  for (let k = 0; k < n; k++) {
    const t = a.map((_, idx) => a[(idx % m) * m + Math.floor(idx / m)]);
    a = t.map((v) => v * v * 0.5 + 0.1);
  }
  return a;
}

// ---- sizes ---------------------------------------------------------------------------------
/** Distinct nodes of a kernel's expressions (objects: what a DAG-aware pass visits). */
function distinctNodes(k: Kernel): number {
  const seen = new Set<Expr>();
  const visit = (e: Expr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    if (e.kind === "unary" || e.kind === "cast" || e.kind === "ipow") visit(e.arg);
    else if (e.kind === "binary") (visit(e.lhs), visit(e.rhs));
    else if (e.kind === "select") (visit(e.which), e.cases.forEach(visit));
  };
  [k.expr, ...(k.more ?? []).map((o) => o.expr)].forEach(visit);
  return seen.size;
}

interface Sizes {
  kernels: number;
  nodes: number;
  key: number;
  js: number;
  wgsl: number;
}

/** The plan's kernels for the CPU's fusion flags and for WebGPU's (its smallest binding limit), measured. */
function sizes(jaxpr: Jaxpr): Sizes {
  const s: Sizes = { kernels: 0, nodes: 0, key: 0, js: 0, wgsl: 0 };
  const devices = [
    { flags: cpuBackend, render: (k: Kernel) => ({ js: renderKernel(k).length, wgsl: 0 }) },
    {
      flags: { multiOutputKernels: true, epilogues: true, broadcastEpilogues: true, maxKernelInputs: 7 },
      render: (k: Kernel) => ({ js: 0, wgsl: renderWgsl(k, kernelKey(k)).passes.reduce((a, p) => a + p.wgsl.length, 0) }),
    },
  ];
  for (const { flags, render } of devices) {
    for (const step of planFor(jaxpr, flags).steps) {
      if (step.kind !== "kernel") continue;
      const real = pairKernel(step.kernel)?.kernel ?? step.kernel;
      s.kernels++;
      s.nodes += distinctNodes(real);
      // the key the backends cache by: the lowered (float-lane) kernel's, a DAG wherever complex values are
      s.key += kernelKey(real).length;
      const r = render(real);
      s.js += r.js;
      s.wgsl += r.wgsl;
    }
  }
  return s;
}

type Jitted = ((...a: Value[]) => unknown) & { lower(...a: Value[]): { jaxpr: Jaxpr } };
const sizesOf = (f: (x: Value) => Value, x: JArray) => sizes((jit(f) as Jitted).lower(x).jaxpr);

const cases = [
  { name: "complex64 Horner, acc·z + c_k", make: hornerComplex, input: complexInput, ref: hornerComplex64, steps: 32, tol: 2e-6 },
  { name: "float32 Horner", make: hornerReal, input: realInput, ref: hornerReal64, steps: 64, tol: 1e-5 },
  { name: "unrolled recurrence p_{k+1} = 2x·p_k − p_{k−1}", make: recurrence, input: realInput, ref: recurrence64, steps: 50, tol: 2e-4 },
  { name: "a fused transpose read twice per step", make: transposeSquare, input: squareInput, ref: transposeSquare64, steps: 32, tol: 2e-6 },
];

describe("fused chains grow linearly (CPU and WebGPU codegen)", () => {
  for (const c of cases) {
    it(`${c.name}: sizes linear in the step count`, () => {
      const x = c.input();
      const a = sizesOf(c.make(6), x);
      const b = sizesOf(c.make(12), x);
      const full = sizesOf(c.make(c.steps), x);
      console.log(`${c.name}: 6 steps ${JSON.stringify(a)}; 12 steps ${JSON.stringify(b)}; ${c.steps} steps ${JSON.stringify(full)}`);
      // doubling the chain about doubles every size (3× allows for kernel boundaries); a tree walk multiplies it by 2^6
      for (const m of ["nodes", "key", "js", "wgsl"] as const) {
        expect(b[m], `${m} at 12 steps vs 6`).toBeLessThanOrEqual(3 * a[m]);
        // a per-step budget: a complex step is ~10 real nodes, ~40 per step generous
        const budget = { nodes: 40, key: 1200, js: 2500, wgsl: 3000 }[m];
        expect(full[m], `${m} at ${c.steps} steps`).toBeLessThanOrEqual(budget * c.steps + 4000);
      }
    });

    it(`${c.name}: jitted equals eager and a float64 loop`, async () => {
      const x = c.input();
      const f = c.make(c.steps);
      const fused = Array.from((await (jit(f)(x) as JArray).data()) as Float32Array);
      const eager = Array.from((await (f(x) as JArray).data()) as Float32Array);
      expect(fused.length).toBe(eager.length);
      // the fused kernels round each float32 intermediate as op-by-op evaluation does: the same floats
      const mismatch = fused.findIndex((v, i) => !Object.is(v, eager[i]) && Math.abs(v - eager[i]) > 1e-7 * Math.max(1, Math.abs(eager[i])));
      expect(mismatch, `element ${mismatch}: fused ${fused[mismatch]} eager ${eager[mismatch]}`).toBe(-1);
      const want = c.ref(c.steps);
      expect(fused.length).toBe(want.length);
      const scale = Math.max(...want.map(Math.abs), 1);
      const worst = Math.max(...fused.map((v, i) => Math.abs(v - want[i])));
      expect(worst, "largest distance to the float64 loop").toBeLessThanOrEqual(c.tol * scale);
    });
  }
});

describe.skipIf(!hasGpu)("fused chains on WebGPU against the CPU", () => {
  for (const c of cases) {
    it(`${c.name}: jitted on the GPU equals the CPU and a float64 loop`, async () => {
      const x = c.input();
      const f = jit(c.make(c.steps));
      const cpu = Array.from((await (f(x) as JArray).data()) as Float32Array);
      const gpuOut = f(devicePut(x, "webgpu")) as JArray;
      expect(gpuOut.device).toBe("webgpu");
      const gpu = Array.from((await gpuOut.data()) as Float32Array);
      const want = c.ref(c.steps);
      const scale = Math.max(...want.map(Math.abs), 1);
      gpu.forEach((v, i) => {
        // the GPU's f32 ops (no fused multiply-add guarantee) agree with the CPU to a few ulps of the scale
        expect(Math.abs(v - cpu[i]), `element ${i}: gpu ${v} cpu ${cpu[i]}`).toBeLessThanOrEqual(c.tol * scale);
        expect(Math.abs(v - want[i]), `element ${i}: gpu ${v} float64 ${want[i]}`).toBeLessThanOrEqual(c.tol * scale);
      });
    });
  }
});
