/**
 * `debug.callback` and `debug.print`, as JAX's `jax.debug`: a side effect
 * that sees concrete values when the program runs, also inside jit (between
 * kernels), vmap (once per example, as JAX's default) and grad (the primal
 * values). The `debug_callback` primitive has no outputs and is marked
 * effectful, so that dead-code elimination keeps it. On a device that is read
 * asynchronously (WebGPU) the values are copied when the program reaches the
 * call and the callback runs once they arrive, in order; `effectsBarrier()`
 * waits for those.
 */
import { explicitly } from "../runtime/transfer-guard.js";
import { Array } from "../array.js";
import { cpuArray } from "../runtime/host-arrays.js";
import type { TypedArray } from "../dtype.js";
import { ArgumentError } from "../errors.js";
import { definePrimitive } from "../lax/primitive.js";
import { broadcastInDim, moveAxis } from "../lax/shape.js";
import { describe, functionArg } from "../static-args.js";
import type { Primitive } from "../trace/core.js";
import { bind } from "../trace/core.js";
import type { TreeDef } from "../trace/pytree.js";
import { unflatten } from "../trace/pytree.js";
import { flattenArgs } from "./args.js";

const settled: Promise<void> = Promise.resolve();
/** The chain of debug callbacks waiting for asynchronous reads (settled when none is). */
let pending: Promise<void> = settled;
const failures: unknown[] = [];

/**
 * Waits until every debug callback so far has run (those waiting for a
 * WebGPU read), as JAX's `jax.effects_barrier`; rethrows the first error a
 * callback threw meanwhile.
 * @example
 * import { effectsBarrier } from "jaxon-ts";
 * await effectsBarrier();
 */
export async function effectsBarrier(): Promise<void> {
  const p = pending;
  await p;
  if (pending === p) pending = settled;
  const e = failures.shift();
  failures.length = 0;
  if (e !== undefined) throw e;
}

interface DebugParams {
  callback: (...args: unknown[]) => void;
  inTree: TreeDef;
  /** Leading axes every argument has from vmaps around the call: the callback runs once per index into them. */
  batchDims: number;
  [k: string]: unknown;
}

export const debugCallbackP: Primitive<DebugParams> = definePrimitive<DebugParams>("debug_callback", {
  params: { callback: "static", inTree: "static", batchDims: "int" },
  effectful: true,
  abstractEval: () => [],
  impl(args, { callback, inTree, batchDims }) {
    const lead = args.length ? args[0].shape.slice(0, batchDims) : [];
    const count = lead.reduce((p, s) => p * s, 1);
    const run = (data: TypedArray[]) => {
      for (let b = 0; b < count; b++) {
        const example = args.map((a, i) => {
          const shape = a.shape.slice(batchDims);
          const n = shape.reduce((p, s) => p * s, 1);
          return cpuArray(data[i].slice(b * n, (b + 1) * n) as TypedArray, shape, a.dtype, a.weakType);
        });
        callback(...(unflatten(inTree, example) as unknown[]));
      }
    };
    if (args.every((a) => a.backend.syncReadable) && pending === settled) {
      run(args.map((a) => a.dataSync() as TypedArray));
      return [];
    }
    // a device read asynchronously (WebGPU): the copies are queued now, with this run's values, and the
    // callback runs when they arrive, after the callbacks before it; effectsBarrier() waits for them all
    const reads = Promise.all(explicitly(() => args.map((a) => a.data())));
    const mine: Promise<void> = pending.then(async () => {
      try {
        run(await reads);
      } catch (e) {
        failures.push(e);
      }
      // the chain is empty again: later callbacks on the CPU run at once
      if (pending === mine) pending = settled;
    });
    pending = mine;
    return [];
  },
  jvp: (primals, _tangents, params) => {
    bind(debugCallbackP as unknown as Primitive, primals, params);
    return [[], []];
  },
  batch(args, dims, params) {
    // every argument gets the batch axis in front (unbatched ones broadcast), one more leading axis to loop over
    const i0 = dims.findIndex((d) => d !== null);
    const size = args[i0].shape[dims[i0]!];
    const lead = params.batchDims;
    const moved = args.map((a, i) => {
      if (dims[i] !== null) return moveAxis(a, dims[i]!, 0);
      return broadcastInDim(a, [size, ...a.shape], a.shape.map((_, k) => k + 1));
    });
    // the new axis goes first: inner vmaps' axes stay after it, so examples run in nested order
    bind(debugCallbackP as unknown as Primitive, moved, { ...params, batchDims: lead + 1 });
    return [[], []];
  },
});

/**
 * Calls `callback(...args)` with concrete arrays when the program runs:
 * eagerly, inside jit (between kernels, with the values of that run),
 * inside vmap (once per example, in order) and inside grad (with the primal
 * values). On WebGPU it runs once the values have been read back (await
 * `effectsBarrier()` to wait for it).
 * @example
 * import { debug, jit, np } from "jaxon-ts";
 * jit((x) => { debug.callback((v) => console.log(v.arraySync()), x); return x.mul(2); })(np.array([1, 2])); // logs [1, 2]
 */
export function callback(cb: (...args: any[]) => void, ...args: unknown[]): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  functionArg("debug.callback", "callback", cb);
  const [leaves, inTree] = flattenArgs(args, "debug.callback");
  bind(debugCallbackP as unknown as Primitive, leaves, { callback: cb as (...a: unknown[]) => void, inTree, batchDims: 0 });
}

/** Where debug.print writes (console.log by default); tests may replace it. */
export const printer = { write: (line: string): void => console.log(line) };

/** Python's str.format for `{}`, `{0}`, `{name}` (and `{{`, `}}`), with optional `:.Nf`/`:.Ne` precision on numbers. */
function format(fmt: string, positional: unknown[], named: Record<string, unknown>): string {
  let auto = 0;
  return fmt.replace(/\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*|[0-9]*)(?::\.([0-9]+)([fe]))?\}/g, (m, key: string | undefined, digits?: string, kind?: string) => {
    if (m === "{{") return "{";
    if (m === "}}") return "}";
    const v = key === undefined || key === "" ? positional[auto++] : /^[0-9]+$/.test(key) ? positional[Number(key)] : named[key];
    return show(v, digits === undefined ? undefined : Number(digits), kind);
  });
}

function show(v: unknown, digits?: number, kind?: string): string {
  if (v instanceof Array) {
    // as NumPy's str: nested brackets, elements separated by spaces
    const fmtNum = (x: number) => (digits === undefined ? String(x) : kind === "e" ? x.toExponential(digits) : x.toFixed(digits));
    const nested = v.arraySync() as unknown;
    const walk = (x: unknown): string => (typeof x === "number" ? fmtNum(x) : `[${(x as unknown[]).map(walk).join(" ")}]`);
    return walk(nested);
  }
  if (typeof v === "number") return digits === undefined ? String(v) : kind === "e" ? v.toExponential(digits) : v.toFixed(digits);
  return typeof v === "string" ? v : describe(v);
}

/**
 * Prints `fmt` with its placeholders filled by the values the program has
 * when it runs (JAX's `jax.debug.print`): `{}` takes the next positional
 * argument, `{0}` a given one, `{name}` the value of `name` in a final plain
 * object of named arguments (`debug.print("{x}", { x })`); `{:.3f}` formats
 * numbers. Works eagerly and under jit, vmap (once per example) and grad.
 * @example
 * import { debug, jit, np } from "jaxon-ts";
 * jit((x) => { debug.print("x = {}", x); return x; })(np.array([1, 2])); // prints "x = [1 2]"
 */
export function print(fmt: string, ...args: unknown[]): void {
  if (typeof fmt !== "string") throw new ArgumentError(`debug.print: fmt must be a string, got ${describe(fmt)}`);
  const wantsNames = /\{[A-Za-z_]/.test(fmt);
  const last = args[args.length - 1];
  const isNamed = wantsNames && typeof last === "object" && last !== null && Object.getPrototypeOf(last) === Object.prototype;
  const positional = isNamed ? args.slice(0, -1) : args;
  const named = (isNamed ? last : {}) as Record<string, unknown>;
  const names = Object.keys(named);
  callback(
    (pos: unknown[], nm: Record<string, unknown>) => printer.write(format(fmt, pos, nm)),
    positional,
    Object.fromEntries(names.map((k) => [k, named[k]])),
  );
}
