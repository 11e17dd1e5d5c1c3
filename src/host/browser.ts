/**
 * The browser build's stand-in for `node.ts` (same exports): no Node
 * built-ins, no `webgpu` package. tsup.config.ts and the docs site's Vite
 * config put it in the place of `node.ts`, so that nothing Node-only reaches
 * a browser bundle.
 */
import type { DrainableRegistry, WebGPUPackage } from "./node.js";

export type { DrainableRegistry, WebGPUPackage } from "./node.js";

/** False here, true in `node.ts`. */
export const nodeHost = false;

type BuiltinName = "node:fs" | "node:os" | "node:v8" | "node:vm" | "node:worker_threads";

/** Always null in a browser. */
export function nodeBuiltin<T>(_name: BuiltinName): T | null {
  return null;
}

/** Always null in a browser. */
export async function importNodeBuiltin<T>(_name: BuiltinName): Promise<T | null> {
  return null;
}

/** Browsers have `navigator.gpu`; the `webgpu` package is for Node. */
export async function importWebGPUPackage(): Promise<WebGPUPackage> {
  throw new Error("the `webgpu` package is for Node; in a browser jaxon uses navigator.gpu");
}

/** Browsers cannot collect synchronously: false. */
export async function loadGcHooks(): Promise<boolean> {
  return false;
}

/** Browsers cannot collect synchronously: null (the registry's callbacks run when the page yields). */
export function makeGcHooks<T>(_onDead: (held: T) => void): { registry: DrainableRegistry<T>; collect: () => void } | null {
  return null;
}
