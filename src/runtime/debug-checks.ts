/**
 * NaN and infinity checks of eager results (JAX's `jax_debug_nans` and
 * `jax_debug_infs`). While a check is on, every primitive evaluated on
 * concrete arrays has its floating outputs scanned; a NaN (or an infinity)
 * is a `FloatingPointError` naming the primitive. A call-like primitive (a
 * jitted function) whose result fails is run again op by op, as JAX does, so
 * that the error names the primitive inside it that produced the value.
 *
 * A device that reads synchronously (the CPU) is checked at once. On one that
 * reads asynchronously (WebGPU) the check is a read queued behind the work;
 * its failure is raised by the next asynchronous read of any array
 * (`await x.data()`, `x.array()`, `x.item()`), or when a scope's promise
 * settles (see `debugNans` in transforms/config.ts). There a call-like
 * primitive runs op by op from the start, so that each primitive's output
 * is checked without waiting for the device.
 */
import type { Array } from "../array.js";
import type { TypedArray } from "../dtype.js";
import { isComplexDType, storageDType, storageLength } from "../dtype.js";
import { FloatingPointError } from "../errors.js";
import type { PrimitiveDefinition } from "../lax/primitive.js";
import type { Params, Primitive } from "../trace/core.js";
import { evalJaxpr } from "../trace/jaxpr.js";
import { fmtShape } from "../shape.js";

/** The switches; `debugNans`/`debugInfs` and `jitConfig.debugNans`/`debugInfs` set them. */
export const debugChecks = { nans: false, infs: false };

const FLOATS = new Set(["float16", "float32", "float64", "complex64", "complex128"]);

/** The first offending element of `data` (the storage of a floating array), or -1. */
function firstBad(data: TypedArray, nans: boolean, infs: boolean): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== v) {
      if (nans) return i;
    } else if (infs && (v === Infinity || v === -Infinity)) return i;
  }
  return -1;
}

function failure(prim: string, out: Array, k: number, n: number, data: TypedArray, i: number, where: string): FloatingPointError {
  const element = isComplexDType(out.dtype) ? i >> 1 : i;
  const what = data[i] !== data[i] ? "a NaN" : `${data[i] > 0 ? "+" : "-"}Infinity`;
  const flag = data[i] !== data[i] ? "debugNans" : "debugInfs";
  return new FloatingPointError(
    `${flag}: the primitive \`${prim}\`${where} produced ${what} in ${n > 1 ? `output ${k} ` : "its output "}` +
      `(shape ${fmtShape(out.shape)}, ${out.dtype}, flat index ${element}) on ${out.backend.name}. ` +
      `Guard the operation's inputs (np.where before the op, not only after it), or turn ${flag} off to get the value`,
    prim,
  );
}

/** The async checks not yet looked at, in the order the primitives ran; each resolves to its error or null. */
let pending: Promise<FloatingPointError | null>[] = [];

/** Whether async checks are outstanding (so that a read must wait for them first). */
export function hasPendingChecks(): boolean {
  return pending.length > 0;
}

/**
 * Waits for the outstanding async checks and throws the first failure (in
 * program order), forgetting them all: each failure is raised once.
 */
export async function settleChecks(): Promise<void> {
  while (pending.length) {
    const now = pending;
    pending = [];
    const results = await Promise.all(now);
    const first = results.find((r) => r !== null);
    if (first) {
      // later checks belong to work after the failure; they are moot now
      pending = [];
      throw first;
    }
  }
}

/**
 * Checks a primitive's eager outputs. For a call-like primitive that fails
 * on a synchronously readable device, runs its jaxpr again op by op (each of
 * which is checked in turn, so the one at fault throws); if none does (the
 * fused code rounded differently), the call itself is named.
 */
export function checkOutputs(prim: Primitive, def: PrimitiveDefinition<Params>, args: Array[], params: Params, outs: Array[]): void {
  const { nans, infs } = debugChecks;
  for (let k = 0; k < outs.length; k++) {
    const out = outs[k];
    if (!FLOATS.has(out.dtype) || out.size === 0) continue;
    const dtype = storageDType(out.dtype);
    const length = storageLength(out.dtype, out.size);
    if (!out.backend.syncReadable) {
      pending.push(
        out.backend.read(out.buffer, dtype, length).then((data) => {
          const i = firstBad(data, nans, infs);
          return i < 0 ? null : failure(prim.name, out, k, outs.length, data, i, "");
        }),
      );
      continue;
    }
    const data = out.backend.readSync(out.buffer, dtype, length);
    const i = firstBad(data, nans, infs);
    if (i < 0) continue;
    const jaxpr = def.callJaxpr?.(params);
    if (jaxpr && jaxpr.constvars.length === 0) {
      // as JAX: run the function again, primitive by primitive, to find the one at fault
      evalJaxpr(jaxpr, [], args);
    }
    const inner = jaxpr ? ` (of ${String((params as { name?: unknown }).name ?? prim.name)}, whose op-by-op rerun did not reproduce it)` : "";
    throw failure(prim.name, out, k, outs.length, data, i, inner);
  }
}

/**
 * On an asynchronously read device, a call-like primitive runs op by op while
 * a check is on (each primitive then queues its own check); undefined where
 * it runs as compiled.
 */
export function evalOpByOp(def: PrimitiveDefinition<Params>, args: Array[], params: Params): Array[] | undefined {
  if (args.length === 0 || args.every((a) => a.backend.syncReadable)) return undefined;
  const jaxpr = def.callJaxpr?.(params);
  if (!jaxpr || jaxpr.constvars.length !== 0) return undefined;
  return evalJaxpr(jaxpr, [], args) as Array[];
}
