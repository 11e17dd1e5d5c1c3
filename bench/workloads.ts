/**
 * The workloads of the issue, as table cases. Each case prepares its adapter's
 * implementation, checks the answer against float64, and only then times it.
 * A wrong answer is reported as WRONG and not timed.
 */
import * as D from "./data.js";
import type { Adapter, Budget, Callable, Readback, Row, Trainer } from "./harness.js";
import { timeCalls, timeTraining } from "./harness.js";
import { FFT_CASES } from "./fft.js";
import { WHILE_CASES } from "./while-loop.js";
import { CONV_POOL_CASES } from "./convpool.js";
import { SHAPE_CASES } from "./shapes.js";
import { LINALG_CASES } from "./linalg.js";
import { CNN_STEP_CASES } from "./cnn-step.js";
import { ATTENTION_CASES } from "./attention.js";

export type Outcome = Pick<Row, "status" | "value" | "msPerUnit" | "samples" | "firstMs" | "note" | "error">;

export interface Case {
  workload: string;
  case: string;
  title: string;
  unit: string;
  /** Work relative to the workload's other cases (W2: n³), to skip a case whose time a smaller one predicts past the limit. */
  scale?: number;
  /**
   * The physical limit the case is measured against (limits.ts): the bytes it
   * must move at the least (a fraction of the measured memory bandwidth), or
   * the flops it must do (a fraction of the measured SIMD peak on the threads used).
   */
  limit?: { bytes: number } | { flops: number };
  /**
   * Only in a lent-GPU run (`--gpu`, bench/gpu/): too large for the CPU rows
   * and for a software adapter, and its inputs cost memory and time to make.
   */
  gpuOnly?: boolean;
  /** Makes the shared inputs and references (untimed, before the case's time limit starts). */
  prepare(): void;
  run(a: Adapter, budget: Budget): Promise<Outcome>;
}

export const caseKey = (c: Pick<Case, "workload" | "case">) => `${c.workload} ${c.case}`;

/** Computes once, on first use (so a filtered run skips unneeded references). */
function lazy<T>(f: () => T): () => T {
  let v: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v as T;
  };
}

function asArray(r: Readback): ArrayLike<number> {
  return typeof r === "number" ? [r] : r;
}

export async function callCase(
  prepare: () => Callable | null | undefined,
  check: (r: Readback) => string | null,
  toValue: (msPerCall: number) => number,
  budget: Budget,
): Promise<Outcome> {
  const c = prepare();
  if (!c) return { status: "n/a" };
  try {
    const t0 = performance.now();
    const first = await c.call();
    const firstMs = performance.now() - t0;
    const bad = check(first);
    if (bad) return { status: "WRONG", firstMs, note: bad };
    // a first call past the whole budget may be mostly compiling (shaders on a software GPU):
    // time a second one, and when that one is past the budget too, it is the measurement
    if (firstMs > budget.timedMs) {
      const t1 = performance.now();
      const second = await c.call();
      const ms = performance.now() - t1;
      const badSecond = check(second);
      if (badSecond) return { status: "WRONG", firstMs, note: `second call: ${badSecond}` };
      if (ms > budget.timedMs) return { status: "ok", value: toValue(ms), msPerUnit: ms, samples: 1, firstMs, note: "1 call after the compiling one (slow)" };
    }
    const t = await timeCalls(c, budget);
    const badLast = check(t.last);
    if (badLast) return { status: "WRONG", firstMs, note: `after ${t.samples * t.batch} calls: ${badLast}` };
    return { status: "ok", value: toValue(t.msPerCall), msPerUnit: t.msPerCall, samples: t.samples, firstMs };
  } finally {
    c.dispose?.();
  }
}

async function trainCase(
  prepare: () => Trainer | null | undefined,
  steps: number,
  capMs: number,
  check: (steps: number, loss: number, params?: ArrayLike<number>) => string | null,
): Promise<Outcome> {
  const tr = prepare();
  if (!tr) return { status: "n/a" };
  try {
    const t = await timeTraining(tr, steps, capMs);
    const partial = t.steps < steps ? `${t.steps}/${steps} steps (time cap); ` : "";
    const bad = check(t.steps, t.loss, t.params);
    if (bad) return { status: "WRONG", firstMs: t.compileMs, note: `${partial}${bad}` };
    const perStep = tr.describeStep ? `; ${await tr.describeStep()}` : "";
    return {
      status: "ok",
      value: (t.steps * 1000) / t.ms,
      msPerUnit: t.ms / t.steps,
      samples: t.steps,
      firstMs: t.compileMs,
      note: `${partial}loss ${fmtLoss(t.loss)}${perStep}`,
    };
  } finally {
    tr.dispose?.();
  }
}

function fmtLoss(x: number): string {
  return Math.abs(x) >= 1e-3 ? x.toFixed(3) : x.toExponential(2);
}

// ---------------------------------------------------------------- the cases

const w1Data = lazy(() => {
  const x = D.w1Input();
  return { x, ref: D.w1Reference(x) };
});

const w4Data = lazy(() => {
  const d = D.w4Data();
  const key = D.fingerprint(JSON.stringify(D.W4), d.x, d.y, d.init.w1, d.init.b1, d.init.w2, d.init.b2);
  return { d, ref: D.cached("w4", key, () => D.w4Reference(d)) };
});

const w5Data = lazy(() => {
  const d = D.w5Data();
  return { d, ref: D.w5Reference(d) };
});

const w6Data = lazy(() => {
  const d = D.w6Data();
  return { d, ref: D.w6Reference(d) };
});

const w2Data = new Map<number, () => D.MatmulInput>();
for (const n of [256, 512, 1024, 4096]) w2Data.set(n, lazy(() => D.w2Input(n)));

export const CASES: Case[] = [
  {
    workload: "W1",
    case: "1M f32",
    title: "exp(sin(x)*2+1), jitted where possible",
    unit: "ms",
    limit: { bytes: 8 * D.W1_SIZE },
    prepare: w1Data,
    run: (a, b) =>
      callCase(
        () => a.w1?.(w1Data().x),
        (r) => D.allclose(asArray(r), w1Data().ref, 1e-5, 1e-5),
        (ms) => ms,
        b,
      ),
  },
  ...[256, 512, 1024].map(
    (n): Case => ({
      workload: "W2",
      case: `n=${n}`,
      title: "matmul f32",
      unit: "GFLOP/s",
      scale: n ** 3,
      limit: { flops: 2 * n ** 3 },
      prepare: () => w2Data.get(n)!(),
      run: (a, b) =>
        callCase(
          () => a.w2?.(w2Data.get(n)!()),
          (r) => D.w2Check(w2Data.get(n)!(), asArray(r)),
          (ms) => (2 * n ** 3) / (ms * 1e6),
          b,
        ),
    }),
  ),
  // float32 matmul at 4096² (137 GFLOP a call), WebGPU rows of a --gpu run only: a real GPU's
  // throughput needs work this large; the CPU rows would spend minutes on it
  {
    workload: "W2",
    case: "n=4096",
    title: "matmul f32",
    unit: "GFLOP/s",
    scale: 4096 ** 3, // skipped where n=1024 predicts it past the limit (a software adapter)
    gpuOnly: true,
    limit: { flops: 2 * 4096 ** 3 },
    prepare: () => w2Data.get(4096)!(),
    run: async (a, b) =>
      a.backend.startsWith("webgpu")
        ? callCase(
            () => a.w2?.(w2Data.get(4096)!()),
            (r) => D.w2Check(w2Data.get(4096)!(), asArray(r)),
            (ms) => (2 * 4096 ** 3) / (ms * 1e6),
            b,
          )
        : { status: "n/a", note: "WebGPU rows only" },
  },
  ...SHAPE_CASES.filter((c) => c.workload === "W2"),
  ...(["eager", "jit"] as const).map(
    (mode): Case => ({
      workload: "W3",
      case: mode,
      title: "grad of sin((w+1)^3) at a scalar",
      unit: "calls/s",
      prepare: () => {},
      run: (a, b) =>
        callCase(
          () => a.w3?.(D.W3_W, mode),
          (r) => D.allclose(asArray(r), [D.w3Reference()], 1e-5, 1e-6),
          (ms) => 1000 / ms,
          b,
        ),
    }),
  ),
  {
    workload: "W4",
    case: `${D.W4.steps} steps`,
    title: "tutorial MLP 2-50-1, Adam, 1000 points",
    unit: "steps/s",
    prepare: w4Data,
    run: (a, b) =>
      trainCase(() => a.w4?.(w4Data().d), D.W4.steps, b.trainCapMs, (k, loss) => {
        const want = w4Data().ref[k - 1];
        return D.allclose([loss], [want], 1e-3, 0) && `loss after ${k} steps ${loss}, expected ${want}`;
      }),
  },
  {
    workload: "W5",
    case: `${D.W5.steps} steps`,
    title: `city placement, 36 points, GD lr ${D.W5.lr}`,
    unit: "steps/s",
    prepare: w5Data,
    run: (a, b) =>
      trainCase(() => a.w5?.(w5Data().d), D.W5.steps, b.trainCapMs, (k, loss, params) => {
        const { losses, positions } = w5Data().ref;
        const want = losses[k - 1];
        if (D.allclose([loss], [want], 1e-2, 1e-6)) return `loss after ${k} steps ${loss}, expected ${want}`;
        const bad = params && D.allclose(params, positions[k - 1], 0, 2e-3);
        return bad ? `positions after ${k} steps: ${bad}` : null;
      }),
  },
  {
    workload: "W6",
    case: `${D.W6.batch}x${D.W6.features}`,
    title: "per-example grads of a linear model's squared error",
    unit: "ms",
    limit: { bytes: 4 * (2 * D.W6.batch * D.W6.features + D.W6.batch + D.W6.features) },
    prepare: w6Data,
    run: (a, b) =>
      callCase(
        () => a.w6?.(w6Data().d),
        (r) => D.allclose(asArray(r), w6Data().ref, 1e-4, 1e-4),
        (ms) => ms,
        b,
      ),
  },
  ...SHAPE_CASES.filter((c) => c.workload !== "W2"),
  ...FFT_CASES,
  ...WHILE_CASES,
  ...CONV_POOL_CASES,
  ...LINALG_CASES,
  ...CNN_STEP_CASES,
  ...ATTENTION_CASES,
];

/** Whether the unit's figure grows with speed (throughputs) or shrinks (times). */
export function higherIsBetter(unit: string): boolean {
  return unit !== "ms";
}
