/**
 * A while loop on a device that cannot be read synchronously (WebGPU), run
 * without waiting for it. The loop is a job on the device's stream
 * (backend/webgpu/stream.ts): the predicate is computed on the device into a
 * flag, the guarded step (`DeviceWhile.step`: where the flag is false it
 * passes the carry through unchanged) is recorded in chunks of iterations,
 * and after each chunk the flag is read back asynchronously. Chunks grow
 * geometrically (1, 2, 4, … up to `deviceLoopConfig.maxChunk`), and one chunk
 * is always recorded ahead of the flag being waited for, so the device never
 * idles for a readback. Iterations past the end change nothing (the step is
 * exact where the flag is false), so the result is the CPU's. A step that
 * carries `prev` (a body with loops inside a scan or a cond: see
 * lax/control-flow/while.ts) waits for the first flag before its first step,
 * so that its body only ever runs on carries the CPU's loop runs it on.
 *
 * The results are handed out at once, as every result on such a device is:
 * buffers that the job fills (a copy of the final carry) when the flag turns
 * false. Work made after the loop — consumers, `await x.data()` — is recorded
 * after it by the stream.
 */
import { Array } from "../array.js";
import type { DeviceWhile } from "../trace/core.js";
import { deviceOf, onDevice } from "./placement.js";
import { runJaxpr, runLowered } from "./execute.js";

/**
 * Iterations in a device loop's first chunk, and the most in one chunk
 * (chunks double in between). A larger `maxChunk` reads the flag back less
 * often and runs up to twice that many guarded iterations past the end.
 */
export const deviceLoopConfig = { firstChunk: 1, maxChunk: 64 };

/** Runs `loop` on its operands' device as a job there; null where that device reads synchronously (the host loops). */
export function deviceWhile(loopOf: () => DeviceWhile, args: Array[]): Array[] | null {
  const backend = deviceOf(args);
  const stream = backend.stream;
  if (backend.syncReadable || !stream) return null;
  const loop = loopOf();
  // the job's own references to its operands, on the loop's device, held until it is done
  const ins: Array[] = [];
  try {
    for (const a of args) {
      const m = onDevice(a, backend);
      ins.push(m === a ? runLowered({ kind: "alias", input: 0 }, [a], [a.aval], backend)[0] : m);
    }
  } catch (e) {
    // an operand committed to another device: nothing has started
    for (const m of ins) m.dispose();
    throw e;
  }
  const nc = loop.condNConsts;
  const nb = loop.bodyNConsts;
  const cc = ins.slice(0, nc);
  const bc = ins.slice(nc, nc + nb);
  const init = ins.slice(nc + nb);
  const outs = init.map((c) => new Array(c.aval, stream.alloc(c.aval), backend));
  /** Arrays the job made and still holds (never its operands, which `done` releases). */
  const owned = new Set<Array>();
  const keep = (xs: Array[]) => {
    for (const x of xs) if (!ins.includes(x)) owned.add(x);
  };
  const drop = (xs: Array[], live: Array[]) => {
    for (const x of xs) {
      if (owned.has(x) && !live.includes(x)) {
        owned.delete(x);
        x.dispose();
      }
    }
  };
  let flag: Array | undefined;
  /** The step's state after the flag: the carry, after `prev` where the step carries it (both start as the initial carry). */
  let state = loop.prevCarry ? [...init, ...init] : init;
  /** Records `k` guarded iterations. */
  const advance = (k: number) => {
    for (let i = 0; i < k; i++) {
      const next = runJaxpr(loop.step, [...(loop.stepConsts as Array[]), ...cc, ...bc, flag!, ...state]);
      keep(next);
      drop([flag!, ...state], next);
      [flag, ...state] = next;
    }
  };
  const readFlag = (): Promise<boolean> => {
    const f = flag!;
    const r = f.backend.read(f.buffer, "bool", 1).then((v) => v[0] !== 0);
    // a read left behind when the loop is done still settles; nobody waits for it
    r.catch(() => {});
    return r;
  };
  stream.spawn(
    async (enter) => {
      try {
        // a setting that is not a positive number counts as 1 (a chunk of no iterations would never end)
        const positive = (v: number) => Math.max(1, Math.floor(v) || 1);
        let chunk = positive(deviceLoopConfig.firstChunk);
        const nextChunk = () => (chunk = Math.min(chunk * 2, positive(deviceLoopConfig.maxChunk)));
        const reads: Promise<boolean>[] = [];
        enter(() => {
          const f = runJaxpr(loop.cond, [...cc, ...init]);
          keep(f);
          flag = f[0];
        });
        // a step that carries `prev` runs its body on the initial carry until the flag is known:
        // it must be a carry the body really runs on (the loop makes at least one trip)
        const running = loop.prevCarry ? await enter(readFlag) : true;
        if (running) {
          enter(() => {
            advance(chunk);
            reads.push(readFlag());
          });
        }
        for (; running; ) {
          // one chunk ahead of the flag waited for
          enter(() => {
            advance(nextChunk());
            reads.push(readFlag());
          });
          if (!(await reads.shift()!)) break;
        }
        enter(() => {
          state.slice(state.length - outs.length).forEach((c, i) => stream.copy(c.buffer, outs[i].buffer, c.aval));
          drop([...owned], []);
        });
      } catch (e) {
        enter(() => {
          for (const o of outs) stream.fail(o.buffer, e instanceof Error ? e : new Error("a loop on the device failed"));
          drop([...owned], []);
        });
      }
    },
    () => {
      for (const a of ins) a.dispose();
    },
  );
  return outs;
}
