/**
 * The lent-GPU kit (bench/gpu/): the device script runs the WebGPU row of
 * every library the bench compares. A target added to bench/run.ts's TARGETS
 * on WebGPU and not to run-on-device.sh would silently be left out of the
 * few GPU minutes; this reads both files (the kit itself is not built here:
 * bench/gpu/make-kit.sh takes minutes and the network).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (f: string) => readFileSync(new URL(`../${f}`, import.meta.url), "utf8");

/** The keys of `const TARGETS = { ... }` in bench/run.ts. */
function benchTargets(): string[] {
  const src = read("bench/run.ts");
  const body = src.slice(src.indexOf("const TARGETS"), src.indexOf("\n};", src.indexOf("const TARGETS")));
  return [...body.matchAll(/^\s*"([^"]+)":/gm)].map((m) => m[1]);
}

/** The exact-target filters ("=library/backend") of run-on-device.sh's `targets=`. */
function deviceTargets(): string[] {
  const line = read("bench/gpu/run-on-device.sh").match(/^targets="([^"]*)"/m);
  expect(line, "run-on-device.sh has a targets=\"...\" line").not.toBeNull();
  return line![1].split(/\s+/).filter(Boolean);
}

describe("bench/gpu kit", () => {
  it("runs every library's plain WebGPU target of bench/run.ts (variants -unfused, -before aside)", () => {
    const all = benchTargets();
    expect(all).toContain("jaxon/cpu"); // the parse found the table
    const webgpu = all.filter((t) => t.endsWith("/webgpu")).sort();
    expect(webgpu.length).toBeGreaterThanOrEqual(3);
    const device = deviceTargets();
    for (const f of device) expect(f.startsWith("="), `${f}: an exact filter, so that -unfused is not run too`).toBe(true);
    expect(device.map((f) => f.slice(1)).sort()).toEqual(webgpu);
  });

  it("bundles with webgpu as its only external package and esbuild stubbed", () => {
    const kit = read("bench/gpu/make-kit.sh");
    const externals = [...kit.matchAll(/--external:(\S+)/g)].map((m) => m[1]);
    expect(externals).toEqual(["webgpu"]);
    expect(kit).toMatch(/--alias:esbuild=\.\/bench\/gpu\/no-esbuild\.ts/);
  });
});
