/**
 * Workload W10: a jitted `lax.whileLoop` whose trip count is a traced value:
 * 1,000 Newton steps for √a on a vector of 1e5 float32 values, the result read
 * back. On the CPU the loop reads its predicate on the host each step; on
 * WebGPU it runs on the device (runtime/device-loop.ts): guarded chunks, the
 * flag read back asynchronously once per chunk. Only jaxon expresses it (the
 * peers have no traced-count loop): the rows to compare are jaxon/cpu and
 * jaxon/webgpu (on lavapipe only their ratio means anything).
 *
 * The answer is checked against √a in float64: after 1,000 steps Newton's
 * iteration has long converged, so the float32 result is √a to a few ulps.
 */
import type { Adapter, Callable, Readback } from "./harness.js";
import type { Case } from "./workloads.js";
import { callCase } from "./workloads.js";
import { jaxonModule } from "./libs/jaxon.js";

export const WHILE_N = 100_000;
export const WHILE_STEPS = 1000;

let input: Float32Array | undefined;
function whileInput(): Float32Array {
  if (input) return input;
  input = new Float32Array(WHILE_N);
  // 0.5 … 1000.5, spread so that every element needs its own steps
  for (let i = 0; i < WHILE_N; i++) input[i] = 0.5 + ((i * 7919) % WHILE_N) / 100;
  return input;
}

function check(r: Readback): string | null {
  const a = whileInput();
  if (typeof r === "number" || r.length !== WHILE_N) return `expected ${WHILE_N} numbers`;
  for (let i = 0; i < WHILE_N; i++) {
    const want = Math.sqrt(a[i]);
    if (!(Math.abs(r[i] - want) <= 1e-5 * want)) return `element ${i}: got ${r[i]}, expected ${want}`;
  }
  return null;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
async function prepare(a: Adapter): Promise<Callable | null> {
  if (a.library !== "jaxon") return null;
  const J = await jaxonModule();
  const device = a.backend.startsWith("webgpu") ? "webgpu" : "cpu";
  const x = J.devicePut(J.np.array(whileInput(), { dtype: "float32" }), device);
  const steps = J.devicePut(J.np.array(WHILE_STEPS, { dtype: "int32" }), device);
  const f = J.jit((v: any, n: any) => {
    const [y] = J.lax.whileLoop(
      ([, k]: any[]) => k.lt(n),
      ([y, k]: any[]) => [y.add(v.div(y)).mul(0.5), k.add(1)],
      [v, J.np.array(0, { dtype: "int32" })],
    );
    return y;
  });
  return {
    call: async () => {
      const y = f(x, steps) as any;
      const out = await y.data();
      y.dispose?.();
      return out;
    },
    dispose: () => ((x as any).dispose?.(), (steps as any).dispose?.()),
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export const WHILE_CASES: Case[] = [
  {
    workload: "W10",
    case: "newton",
    title: `jitted whileLoop: ${WHILE_STEPS} Newton steps for √a on ${WHILE_N} float32 values (traced trip count), readback included`,
    unit: "ms",
    prepare: () => void whileInput(),
    run: async (a, b) => {
      const c = await prepare(a);
      if (!c) return { status: "n/a" };
      return callCase(() => c, check, (ms) => ms, b);
    },
  },
];
