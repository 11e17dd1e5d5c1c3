/**
 * Execution of kernel plans: one lowered primitive (`runLowered`, what eager
 * dispatch runs) or a jaxpr's fusion plan (fused kernels on the inputs'
 * device, other primitives through their own implementation). Intermediate
 * buffers are released as soon as their last consumer has run, so a jitted
 * call's temporaries never wait for the garbage collector.
 */
import { BackendError } from "../errors.js";
import { Array } from "../array.js";
import type { Backend, BufferType, Lowering } from "../backend/device.js";
import { pairKernel } from "../backend/kernel-complex.js";
import { isComplexDType, storageDType } from "../dtype.js";
import { Literal, type Atom, type Jaxpr, type Var } from "../trace/jaxpr.js";
import type { ShapedArray } from "../trace/core.js";
import type { Plan } from "./fuse.js";
import { planJaxpr } from "./fuse.js";
import { simplify } from "../trace/simplify.js";
import { definitionOf } from "../lax/primitive.js";
import { constant, deviceOf, literalOn, onDevice } from "./placement.js";

/** Plans by (fusion on or off, the device's input cap and multi-output support), then by jaxpr. */
const plans = new Map<string, WeakMap<Jaxpr, Plan>>();
const loweredSteps = new WeakMap<object, Lowering | null>();

/**
 * Whether jit fuses (the default). With `fusion: false` every primitive runs
 * as its own kernel, as an eager call would: for measuring what fusion saves
 * and for bisecting a suspected fusion bug.
 */
export const planConfig = { fusion: true };

/**
 * The plan for a jaxpr, simplified and fused once and cached on the jaxpr,
 * for a device's limits: at most `maxKernelInputs` buffers per kernel, and
 * sibling kernels merged where it runs multi-output kernels, elementwise
 * consumers folded into matmuls where its matmul takes an epilogue.
 */
export function planFor(jaxpr: Jaxpr, device: Pick<Backend, "maxKernelInputs" | "multiOutputKernels" | "epilogues" | "broadcastEpilogues"> = {}): Plan {
  const maxInputs = device.maxKernelInputs ?? Infinity;
  const siblings = planConfig.fusion && (device.multiOutputKernels ?? false);
  const epilogues = planConfig.fusion && (device.epilogues ?? false);
  const broadcastEpilogues = epilogues && (device.broadcastEpilogues ?? false);
  const kind = `${planConfig.fusion}:${maxInputs}:${siblings}:${epilogues}:${broadcastEpilogues}`;
  let cache = plans.get(kind);
  if (!cache) plans.set(kind, (cache = new WeakMap()));
  let plan = cache.get(jaxpr);
  if (!plan) {
    plan = planJaxpr(simplify(jaxpr), { fuse: planConfig.fusion, maxInputs, siblings, epilogues, broadcastEpilogues });
    cache.set(jaxpr, plan);
  }
  return plan;
}

/**
 * Runs a jaxpr on concrete arrays through its plan for their device. A
 * literal output (of the simplified jaxpr) is handed out as a new array: the
 * literal's own array is shared by every run, and the caller may free what it gets.
 */
export function runJaxpr(jaxpr: Jaxpr, args: Array[]): Array[] {
  const plan = planFor(jaxpr, deviceOf(args));
  return executePlan(plan, args).map((o, i) => {
    const a = plan.jaxpr.outs[i];
    return a instanceof Literal ? constant(a.value, a.aval, deviceOf(args)) : o;
  });
}

export function executePlan(plan: Plan, args: Array[]): Array[] {
  const { jaxpr } = plan;
  const backend = deviceOf(args);
  const env = new Map<Var, Array>();
  const moved: Array[] = [];
  jaxpr.invars.forEach((v, i) => {
    const a = onDevice(args[i], backend);
    if (a !== args[i]) moved.push(a);
    env.set(v, a);
  });
  const read = (a: Atom): Array => (a instanceof Literal ? literalOn(a, backend) : env.get(a)!);
  plan.steps.forEach((step, i) => {
    if (step.kind === "kernel") {
      const outs = [step.out, ...(step.more ?? [])];
      const bufs = runOnDevice(
        backend,
        { kind: "kernel", kernel: step.kernel },
        step.inputs.map((v) => bufferOn(env.get(v)!, backend)),
        step.inputs.map((v) => v.aval),
        outs.map((v) => v.aval),
      );
      outs.forEach((v, k) => env.set(v, new Array(v.aval, bufs[k], backend)));
    } else if (step.kind === "dot") {
      // the matmul's routine with the folded consumer as its epilogue (fuse.ts foldDotEpilogues)
      const ins = [...step.eqn.inputs.map(read), ...step.inputs.map((v) => env.get(v)!)];
      let lowering = loweredSteps.get(step);
      if (!lowering) {
        const def = definitionOf(step.eqn.prim);
        const base = def.lower?.(step.eqn.inputs.map((x) => x.aval), step.eqn.params, [step.eqn.outs[0].aval]);
        if (base?.kind !== "routine" || base.routine !== "dot") throw new Error("fusion: an epilogue needs the matmul routine");
        const withEpilogue: Lowering = { ...base, params: { ...base.params, epilogue: { kernel: step.epilogue, accInput: step.accInput, ...(step.accShape ? { accShape: step.accShape } : {}) } } };
        lowering = withEpilogue;
        loweredSteps.set(step, lowering);
      }
      env.set(step.out, runLowered(lowering, ins, [step.out.aval], backend)[0]);
    } else {
      const { eqn } = step;
      const ins = eqn.inputs.map(read);
      const outAvals = eqn.outs.map((v) => v.aval);
      // a routine's lowering depends only on the plan: build it on the first call
      let lowering = loweredSteps.get(step);
      if (lowering === undefined) {
        const def = definitionOf(eqn.prim);
        lowering = def.lower ? def.lower(ins.map((x) => x.aval), eqn.params, outAvals) : null;
        loweredSteps.set(step, lowering);
      }
      // on the plan's device, always: a step with no operands (an iota) would otherwise run on the
      // default device, and the next step would read another device's buffer as its own
      const outs = lowering ? runLowered(lowering, ins, outAvals, backend) : definitionOf(eqn.prim).impl!(ins, eqn.params, outAvals);
      eqn.outs.forEach((v, k) => env.set(v, outs[k]));
    }
    // buffers are reference-counted by the backend, so disposing an alias keeps the shared buffer alive
    for (const v of plan.release[i]) {
      env.get(v)?.dispose();
      env.delete(v);
    }
  });
  // a literal output gets a fresh array: the caller owns what it receives and may dispose it
  const outs = jaxpr.outs.map((a) => (a instanceof Literal ? freshLiteral(a, backend) : env.get(a)!));
  for (const m of moved) if (!outs.includes(m)) m.dispose();
  backend.callDone?.();
  return outs;
}

/** An operand's buffer, which must be on the plan's device: reading another device's buffer gives garbage, never an error. */
function bufferOn(a: Array, backend: Backend) {
  if (a.backend !== backend) {
    throw new BackendError(`internal error: a ${a.aval} operand is on ${a.backend.name} in a plan that runs on ${backend.name} (please report this)`);
  }
  return a.buffer;
}

function freshLiteral(a: Literal, backend: Backend): Array {
  return constant(a.value, a.aval, backend);
}

/** Runs a lowering on `backend` (the inputs' device unless told); operands elsewhere follow it; outputs are new Arrays on it. */
export function runLowered(lowering: Lowering, args: Array[], outAvals: ShapedArray[], backend = deviceOf(args)): Array[] {
  // one pass, no closures: eager dispatch runs this once per primitive
  let moved: Array[] | null = null;
  const n = args.length;
  const bufs: unknown[] = new globalThis.Array(n);
  const avals: ShapedArray[] = new globalThis.Array(n);
  for (let i = 0; i < n; i++) {
    let a = args[i];
    if (a.backend !== backend) {
      a = onDevice(a, backend);
      (moved ??= []).push(a);
    }
    bufs[i] = a.buffer;
    avals[i] = a.aval;
  }
  const outs = runOnDevice(backend, lowering, bufs, avals, outAvals);
  if (moved) for (const m of moved) m.dispose();
  const res: Array[] = new globalThis.Array(outs.length);
  for (let i = 0; i < outs.length; i++) res[i] = new Array(outAvals[i], outs[i], backend);
  return res;
}

/**
 * What a device is given for an array type: a complex array's buffer is its
 * interleaved float pairs, [...shape, 2] of its part dtype (backends know no complex dtype).
 */
export function bufferType(aval: ShapedArray): BufferType {
  return isComplexDType(aval.dtype) ? { shape: [...aval.shape, 2], dtype: storageDType(aval.dtype) } : aval;
}

/** The buffer types of values: the values themselves unless one is complex (no copy on the eager path). */
function bufferTypes(avals: ShapedArray[]): BufferType[] {
  for (const a of avals) if (isComplexDType(a.dtype)) return avals.map(bufferType);
  return avals;
}

/**
 * Runs a lowering on a device: a kernel with complex values runs as its real kernel over
 * float pairs (src/backend/kernel-complex.ts), which reads each complex operand's buffer twice.
 */
function runOnDevice(backend: Backend, l: Lowering, bufs: unknown[], inAvals: ShapedArray[], outAvals: ShapedArray[]): unknown[] {
  const outTypes = bufferTypes(outAvals);
  const pk = l.kind === "kernel" ? pairKernel(l.kernel) : null;
  if (!pk) return backend.run(l, bufs, bufferTypes(inAvals), outTypes);
  return backend.run(
    { kind: "kernel", kernel: pk.kernel },
    pk.inputs.map((j) => bufs[j]),
    pk.inputs.map((j) => bufferType(inAvals[j])),
    outTypes,
  );
}
