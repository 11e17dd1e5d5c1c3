/// <reference types="@webgpu/types" />
/**
 * What jaxon needs from Node and nothing else does: Node's built-in modules
 * and the `webgpu` package (Dawn). Every Node-only import of the library goes
 * through this file, so that the browser build can swap it for `browser.ts`
 * (tsup.config.ts, and the docs site's Vite config) and a browser bundle never
 * sees a `node:` module: bundlers then need no stubs and print no warnings.
 *
 * Built-ins are taken synchronously where Node has `process.getBuiltinModule`
 * (≥ 20.16; a loop that only awaits promises never lets a dynamic import
 * finish), else by a dynamic import.
 */

/** True in this file, false in `browser.ts`. */
export const nodeHost = true;

type BuiltinName = "node:fs" | "node:os" | "node:v8" | "node:vm" | "node:worker_threads";

/** A Node built-in, synchronously; null outside Node or before Node 20.16. */
export function nodeBuiltin<T>(name: BuiltinName): T | null {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node || typeof proc.getBuiltinModule !== "function") return null;
  try {
    return (proc.getBuiltinModule(name) as T | undefined) ?? null;
  } catch {
    return null;
  }
}

/** A Node built-in, synchronously where possible, else by a dynamic import; null outside Node. */
export async function importNodeBuiltin<T>(name: BuiltinName): Promise<T | null> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (!proc?.versions?.node) return null;
  const sync = nodeBuiltin<T>(name);
  if (sync) return sync;
  try {
    return (await import(/* @vite-ignore */ name)) as T;
  } catch {
    return null;
  }
}

export interface WebGPUPackage {
  create(flags: string[]): GPU;
  globals: object;
}

/** The `webgpu` package (Dawn for Node): an optional peer dependency, loaded only by `init()`. */
export async function importWebGPUPackage(): Promise<WebGPUPackage> {
  // a variable specifier: TypeScript and bundlers need not find the optional package
  const name = "webgpu";
  return (await import(/* @vite-ignore */ name)) as WebGPUPackage;
}

type V8 = { setFlagsFromString(flags: string): void };
type Vm = { createContext(o: object): object; runInContext(code: string, context: object): unknown };
let gcModules: { v8: V8; vm: Vm } | null = null;

/** Loads what `makeGcHooks` needs (node:v8, node:vm) without changing anything; false where they are missing. */
export async function loadGcHooks(): Promise<boolean> {
  if (gcModules) return true;
  const v8 = await importNodeBuiltin<V8>("node:v8");
  const vm = await importNodeBuiltin<Vm>("node:vm");
  if (v8 && vm) gcModules = { v8, vm };
  return gcModules !== null;
}

/** A FinalizationRegistry that can be drained synchronously. */
export type DrainableRegistry<T> = FinalizationRegistry<T> & { cleanupSome?: () => void };

/**
 * A synchronous collector for the WebGPU buffer pool (why: webgpu/buffers.ts):
 * sets two V8 flags, `--expose-gc` and `--harmony-weak-refs-with-cleanup-some`,
 * and makes a fresh V8 context in which `gc()` and
 * `FinalizationRegistry#cleanupSome` exist. Returns the registry to register
 * with and the function that collects and runs its callbacks at once; null
 * where `loadGcHooks` did not succeed or the engine lacks either hook.
 */
export function makeGcHooks<T>(onDead: (held: T) => void): { registry: DrainableRegistry<T>; collect: () => void } | null {
  if (!gcModules) return null;
  const { v8, vm } = gcModules;
  try {
    v8.setFlagsFromString("--expose-gc");
    v8.setFlagsFromString("--harmony-weak-refs-with-cleanup-some");
    const context = vm.createContext({});
    const gc = vm.runInContext("gc", context) as () => void;
    const make = vm.runInContext("(cb) => new FinalizationRegistry(cb)", context) as (cb: (held: T) => void) => DrainableRegistry<T>;
    const registry = make(onDead);
    if (typeof gc !== "function" || typeof registry.cleanupSome !== "function") return null;
    return {
      registry,
      collect: () => {
        gc();
        registry.cleanupSome!();
      },
    };
  } catch {
    return null;
  }
}
