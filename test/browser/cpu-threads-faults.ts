/**
 * Faults on a browser worker, for test/cpu-threads-browser.test.ts: a kernel
 * that traps on the worker, and one that never returns (the page's main
 * thread, which spins, must give it up). Each throws an Error, turns threads
 * off, and later kernels run on one thread.
 */
import { FunctionBuilder, ModuleBuilder, Op } from "../../src/backend/cpu/wasm/emitter.js";
import { wasmMemory } from "../../src/backend/cpu/memory.js";
import { registerModule, runSplit, startThreads, threadsEnabled } from "../../src/backend/cpu/threads.js";

/** A module exporting trap() (unreachable), spin() (a loop that never ends) and nop(). */
function faultModule(): WebAssembly.Module {
  const mem = wasmMemory()!;
  const mb = new ModuleBuilder({ minPages: 0, maxPages: mem.maxPages, shared: mem.shared });
  const trap = new FunctionBuilder([], []);
  trap.op(Op.unreachable);
  mb.exportFunc("trap", mb.addFunc(trap));
  const spin = new FunctionBuilder([], []);
  spin.op(Op.loop, 0x40).br(Op.br, 0).op(Op.end);
  mb.exportFunc("spin", mb.addFunc(spin));
  mb.exportFunc("nop", mb.addFunc(new FunctionBuilder([], [])));
  return new WebAssembly.Module(mb.encode());
}

/** Runs export `fault` on the first worker; what happened, and whether threads are on afterwards. */
export async function runFault(fault: "trap" | "spin"): Promise<{ started: boolean; threw: string; ms: number; enabledAfter: boolean; splitAfter: boolean }> {
  const id = registerModule(faultModule());
  const started = await startThreads();
  const t0 = performance.now();
  let threw = "";
  try {
    runSplit(id, fault, [], () => {});
  } catch (e) {
    threw = e instanceof Error ? e.message : "non-Error thrown";
  }
  const ms = performance.now() - t0;
  return { started, threw, ms, enabledAfter: threadsEnabled(), splitAfter: runSplit(id, "trap", [], () => {}) };
}

/**
 * The round trip of a split job that does nothing on a worker and here (the
 * handoff), in µs: the median over `batches` batches of 100 (a page's clock
 * ticks in 5 µs or coarser); NaN when the pool cannot take it.
 */
export function handoffMicros(batches: number): number {
  const id = registerModule(faultModule());
  const times: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) if (!runSplit(id, "nop", [], () => {})) return NaN;
    times.push((performance.now() - t0) * 10);
  }
  times.sort((p, q) => p - q);
  return times[times.length >> 1]!;
}
