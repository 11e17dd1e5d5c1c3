/**
 * jaxon, this repository's library, as users get it: src/ bundled by esbuild
 * as the package build (tsup) does, on "cpu" or "webgpu". Not loaded from
 * src/ through tsx: tsx forces esbuild's `keepNames`, which wraps every
 * function jaxon makes and makes eager tracing about 3× slower than the
 * built package. The bundle is made from jaxon-entry.ts (the public API plus
 * the internals the bench reads, from one module instance) by the parent of
 * the run (`buildJaxon`, path passed to the children in JAXON_BENCH_BUNDLE),
 * or by the adapter itself when run alone. `{ src: true }` loads src/
 * through tsx instead (the old way, target jaxon-src/*: `--src`). `{ fusion: false }` runs every primitive of a jitted
 * function as its own kernel: the same program unfused, to show what fusion
 * saves. Training steps report their kernels per step (and on WebGPU the
 * commands recorded and the device time per step, from timestamp queries).
 */
import { build } from "esbuild";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Value } from "../../src/index.js";
import type { CityData, LinearData, MatmulInput, MatvecData, MlpData } from "../data.js";
import { W4, W5, W7 } from "../data.js";
import type { Adapter, Callable, Trainer } from "../harness.js";

type J = typeof import("./jaxon-entry.js");
type Gpu = J["webgpuContext"];
type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any
type Jit = <F extends Fn>(f: F) => F & { lower(...args: Parameters<F>): { kernels: number } };
type Tree = Record<string, Value>;

/** Environment variable naming a bundle already built by `buildJaxon` (set by bench/run.ts for its children). */
export const BUNDLE_ENV = "JAXON_BENCH_BUNDLE";

/**
 * Bundles jaxon-entry.ts as the package build does (ES module for Node,
 * es2022, no `keepNames`, no source map; `webgpu` and `fp-ts` stay imports,
 * as in tsup's build) into a fresh folder under the repository's ignored
 * .scratch/bench/ (inside the tree, so that those imports resolve from its
 * node_modules); returns the file's path. `removeBuild` deletes it.
 */
export async function buildJaxon(): Promise<string> {
  const parent = fileURLToPath(new URL("../../.scratch/bench/", import.meta.url));
  mkdirSync(parent, { recursive: true });
  const out = join(mkdtempSync(join(parent, "jaxon-")), "jaxon.mjs");
  await build({
    entryPoints: [fileURLToPath(new URL("./jaxon-entry.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    outfile: out,
    external: ["webgpu", "fp-ts"],
    logLevel: "warning",
  });
  return out;
}

/** Deletes a bundle `buildJaxon` made (its folder). */
export function removeBuild(file: string): void {
  rmSync(dirname(file), { recursive: true, force: true });
}

let loaded: Promise<J> | undefined;
let loadedFrom: "bundle" | "src" | undefined;
/**
 * The jaxon module of this process: the bundle (built now unless
 * JAXON_BENCH_BUNDLE names one), or with `src` src/ itself. Workloads with
 * their own jaxon code (fft, convpool, linalg, while-loop) call this, so that
 * they use the module instance the adapter initialized.
 */
export function jaxonModule(src = loadedFrom === "src", bundle?: string): Promise<J> {
  if (loaded) return loaded;
  loadedFrom = src ? "src" : "bundle";
  loaded = src
    ? import("./jaxon-entry.js")
    : (async () => {
        let file = bundle || process.env[BUNDLE_ENV];
        if (!file) {
          const built = (file = await buildJaxon());
          process.on("exit", () => removeBuild(built));
        }
        return (await import(pathToFileURL(file).href)) as J;
      })();
  return loaded;
}

/**
 * `src`: load src/ through tsx (target jaxon/cpu-src); `bundle`: load this
 * bundle (made from jaxon-entry.ts, e.g. of an older commit) instead of this
 * tree's (target jaxon/cpu-before); `label` suffixes the backend's name.
 */
export function jaxon(
  backend: "cpu" | "webgpu" = "cpu",
  { fusion = true, src = false, bundle, label = src ? "-src" : "" }: { fusion?: boolean; src?: boolean; bundle?: string; label?: string } = {},
): Adapter {
  let J!: J;
  let gpu: Gpu | undefined;
  let jit!: Jit;
  let np!: J["np"];

  /** Copies out, then frees the array now where the library supports it. */
  async function read(y: Value): Promise<Float32Array> {
    const d = (await y.data()) as Float32Array;
    dispose(y);
    return d;
  }
  function dispose(...xs: unknown[]) {
    for (const x of xs) (x as { dispose?: () => void } | null)?.dispose?.();
  }
  // committed to the device, as the peers' arrays are: small uncommitted arrays made from
  // host values would otherwise be computed on the host by eager operations (W3)
  const f32 = (a: Float32Array, shape: number[]) => J.devicePut(np.array(a, { dtype: "float32" }).reshape(shape), backend);

  /**
   * Kernels in the step's plan; on WebGPU also the commands recorded per step
   * and the device time per step over profiled steps (timestamp queries;
   * profiled separately, since the queries cost time of their own).
   */
  async function describeStep(kernels: number, step: () => void): Promise<string> {
    const parts = [`${kernels} kernels/step`];
    if (gpu) {
      const steps = 50;
      const c0 = gpu.recordedCommands();
      const profiled = gpu.profileDeviceTime(true);
      for (let k = 0; k < steps; k++) step();
      const commands = (gpu.recordedCommands() - c0) / steps;
      parts.push(`${commands} dispatches/step`);
      if (profiled) parts.push(`device ${((await gpu.deviceTimeMs()) / steps).toFixed(3)} ms/step`);
      gpu.profileDeviceTime(false);
    }
    return parts.join(", ");
  }

  return {
    library: "jaxon",
    backend: (fusion ? backend : `${backend}-unfused`) + label,
    async init() {
      if (bundle === "") throw new Error("no bundle given (--before=<path of a bundle built from bench/libs/jaxon-entry.ts>)");
      J = await jaxonModule(src, bundle);
      J.jitConfig.fusion = fusion;
      if (backend === "webgpu") gpu = J.webgpuContext;
      jit = J.jit as unknown as Jit;
      np = J.np;
      const devices: string[] = await J.init();
      if (!devices.includes(backend)) throw new Error(`jaxon: no ${backend} device (init() gave ${devices.join(", ")})`);
      J.defaultDevice(backend as Parameters<J["defaultDevice"]>[0]);
    },

    w1(xs: Float32Array): Callable {
      const f = jit((x: Value) => np.exp(np.sin(x).mul(2).add(1)));
      const x = f32(xs, [xs.length]);
      return { call: () => read(f(x)), dispose: () => dispose(x) };
    },

    w2({ n, a: as, b: bs }: MatmulInput, { computed = false } = {}): Callable {
      // computed: operands a jitted computation made (x·2·0.5 is x exactly), against arrays made from the host data
      const made = computed ? jit((x: Value) => x.mul(2).mul(0.5)) : (x: Value) => x;
      const a = made(f32(as, [n, n]));
      const b = made(f32(bs, [n, n]));
      return { call: () => read(np.matmul(a, b)), dispose: () => dispose(a, b) };
    },

    w3(w0: number, mode): Callable {
      const f = (w: Value) => np.sin(w.add(1).pow(3));
      const g = mode === "jit" ? jit(J.grad(f)) : J.grad(f);
      const w = J.devicePut(np.array(w0, { dtype: "float32" }), backend);
      return {
        async call() {
          const y: Value = g(w);
          const v = await y.item();
          dispose(y);
          return v;
        },
      };
    },

    w4(d: MlpData): Trainer {
      const { hidden: H, lr, b1, b2, eps } = W4;
      const x = f32(d.x, [W4.points, 2]);
      const y = f32(d.y, [W4.points, 1]);
      const initial = (): Tree => ({ w1: f32(d.init.w1, [2, H]), b1: f32(d.init.b1, [H]), w2: f32(d.init.w2, [H, 1]), b2: f32(d.init.b2, [1]) });
      const sigmoid = (z: Value) => np.reciprocal(np.exp(z.neg()).add(1));
      const loss = (p: Tree, x: Value, y: Value) => {
        const h = sigmoid(x.matmul(p.w1).add(p.b1));
        return h.matmul(p.w2).add(p.b2).sub(y).square().sum();
      };
      const vg = J.valueAndGrad(loss);
      type Opt = { m: Tree; v: Tree; b1t: Value; b2t: Value };
      // one Adam step over pytrees; b1t, b2t carry b1^t, b2^t
      const step = jit((p: Tree, o: Opt, x: Value, y: Value) => {
        const [l, g] = vg(p, x, y);
        const b1t = o.b1t.mul(b1);
        const b2t = o.b2t.mul(b2);
        const m = J.tree.map((m: Value, g: Value) => m.mul(b1).add(g.mul(1 - b1)), o.m, g) as Tree;
        const v = J.tree.map((v: Value, g: Value) => v.mul(b2).add(g.square().mul(1 - b2)), o.v, g) as Tree;
        const c1 = b1t.neg().add(1);
        const c2 = b2t.neg().add(1);
        const upd = (p: Value, m: Value, v: Value) => p.sub(m.div(c1).mul(lr).div(np.sqrt(v.div(c2)).add(eps)));
        const p2 = J.tree.map(upd, p, m, v) as Tree;
        return [p2, { m, v, b1t, b2t }, l] as const;
      });
      let params: Tree;
      let opt: Opt;
      let last: Value | undefined;
      const zeros = (t: Tree) => J.tree.map((a: Value) => np.zerosLike(a), t) as Tree;
      return {
        reset() {
          params = initial();
          opt = { m: zeros(params), v: zeros(params), b1t: f32(Float32Array.of(1), []), b2t: f32(Float32Array.of(1), []) };
        },
        step() {
          [params, opt, last] = step(params, opt, x, y);
        },
        readLoss: async () => last!.item(),
        describeStep: () => describeStep(step.lower(params, opt, x, y).kernels, () => void ([params, opt, last] = step(params, opt, x, y))),
      };
    },

    w5(d: CityData): Trainer {
      const n = 36;
      const d2 = f32(d.d2, [n, n]);
      const loss = (x: Value, d2: Value) => {
        const sq = x.square().sum(1, { keepdims: true });
        const s = sq.add(sq.T).sub(x.matmul(x.T).mul(2));
        return s.sub(d2).square().sum().div(2);
      };
      const vg = J.valueAndGrad(loss);
      const step = jit((x: Value, d2: Value) => {
        const [l, g] = vg(x, d2);
        return [x.sub(g.mul(W5.lr)), l] as const;
      });
      let x: Value;
      let last: Value | undefined;
      return {
        reset() {
          x = f32(d.init, [n, 2]);
        },
        step() {
          [x, last] = step(x, d2);
        },
        readLoss: async () => last!.item(),
        readParams: () => x.data(),
        describeStep: () => describeStep(step.lower(x, d2).kernels, () => void ([x, last] = step(x, d2))),
      };
    },

    w6({ w: ws, x: xs, y: ys }: LinearData): Callable {
      const f = (w: Value, x: Value, y: Value) => x.dot(w).sub(y).square();
      const pe = jit(J.vmap(J.grad(f), { inAxes: [null, 0, 0] }));
      const w = f32(ws, [ws.length]);
      const x = f32(xs, [ys.length, ws.length]);
      const y = f32(ys, [ys.length]);
      return { call: () => read(pe(w, x, y)), dispose: () => dispose(w, x, y) };
    },

    w7({ x: xs, w: ws }: MatvecData): Callable {
      const f = jit((x: Value, w: Value) => np.matmul(x, w));
      const x = f32(xs, [W7.rows, W7.features]);
      const w = f32(ws, [W7.features, 1]);
      const readSync = (y: Value) => {
        const d = y.dataSync() as Float32Array;
        dispose(y);
        return d;
      };
      // a synchronous read where the device has one (the CPU)
      return { call: async () => (backend === "cpu" ? readSync(f(x, w)) : read(f(x, w))), dispose: () => dispose(x, w) };
    },

    w8({ w: ws, x: xs, y: ys }: LinearData): Callable {
      const loss = (w: Value, x: Value, y: Value) => np.mean(x.matmul(w).sub(y).square());
      const g = jit(J.grad(loss));
      const w = f32(ws, [ws.length]);
      const x = f32(xs, [ys.length, ws.length]);
      const y = f32(ys, [ys.length]);
      return { call: () => read(g(w, x, y)), dispose: () => dispose(w, x, y) };
    },
  };
}
