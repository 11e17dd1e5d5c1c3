/**
 * TensorFlow.js (@tensorflow/tfjs-core) with the cpu, wasm and webgpu
 * backends (webgpu: @tensorflow/tfjs-backend-webgpu, in Node through the
 * `webgpu` package: node-webgpu.ts).
 *
 * tfjs has no jit: W1 is `tf.tidy` of the ops, W3 only eager. It has no vmap:
 * W6 is the analytic per-example gradient 2(x·w − y)x written in tf ops.
 */
import { createRequire } from "node:module";
import path from "node:path";
import type * as TF from "@tensorflow/tfjs-core";
import type { CityData, LinearData, MatmulInput, MatvecData, MlpData } from "../data.js";
import { W4, W5, W7 } from "../data.js";
import type { Adapter, Callable, Trainer } from "../harness.js";
import { nodeNavigatorGpu } from "./node-webgpu.js";

type Tf = typeof TF;

let loaded: Promise<Tf> | undefined;

/**
 * Loads tfjs-core and registers the cpu backend, and the wasm one unless the
 * process runs only WebGPU (once per process). The wasm backend's binaries are
 * found through node_modules, which bench/gpu's kit (one bundle, no
 * node_modules) lacks.
 */
function load(backend: "cpu" | "wasm" | "webgpu"): Promise<Tf> {
  loaded ??= (async () => {
    const tf = (await import("@tensorflow/tfjs-core")) as Tf;
    // tfjs-core's Node build has no gradients: @tensorflow/tfjs registers them
    // with this module (ESM; tsx loads it). Kernels, gradients and the engine
    // live in globals that every copy of tfjs-core shares.
    await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
    await import("@tensorflow/tfjs-backend-cpu");
    tf.enableProdMode(); // no debug checks, no "install tfjs-node" banner
    if (backend === "webgpu") return tf;
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    // the .wasm binaries sit next to the package's main file, in dist/
    const main = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
    wasm.setWasmPaths(path.dirname(main) + path.sep);
    return tf;
  })();
  return loaded;
}

export function tfjs(backend: "cpu" | "wasm" | "webgpu"): Adapter {
  let tf!: Tf;

  async function read(y: TF.Tensor): Promise<Float32Array> {
    const d = (await y.data()) as Float32Array;
    y.dispose();
    return d;
  }

  return {
    library: "tfjs",
    backend,
    notes: { "W3 jit": "tfjs has no jit", W6: "analytic 2(x·w−y)x in tf ops (tfjs has no vmap)" },
    async init() {
      tf = await load(backend);
      if (backend === "webgpu") {
        await nodeNavigatorGpu();
        await import("@tensorflow/tfjs-backend-webgpu"); // registers "webgpu"; it probes navigator.gpu in setBackend
      }
      if (!(await tf.setBackend(backend))) throw new Error(`tfjs: the ${backend} backend did not start`);
      await tf.ready();
    },
    async teardown() {
      tf.disposeVariables();
    },

    w1(xs: Float32Array): Callable {
      const x = tf.tensor1d(xs, "float32");
      const f = () => tf.tidy(() => tf.exp(tf.add(tf.mul(tf.sin(x), 2), 1)));
      return { call: () => read(f()), dispose: () => x.dispose() };
    },

    w2({ n, a: as, b: bs }: MatmulInput, { computed = false } = {}): Callable {
      const made = (t: TF.Tensor2D) => (computed ? tf.tidy(() => tf.mul(tf.mul(t, 2), 0.5)) : t);
      const a = made(tf.tensor2d(as, [n, n], "float32"));
      const b = made(tf.tensor2d(bs, [n, n], "float32"));
      return { call: () => read(tf.matMul(a, b)), dispose: () => (a.dispose(), b.dispose()) };
    },

    w3(w0: number, mode): Callable | null {
      if (mode === "jit") return null;
      const g = tf.grad((w: TF.Tensor) => tf.sin(tf.pow(tf.add(w, 1), 3)));
      const w = tf.scalar(w0, "float32");
      return { call: async () => (await read(g(w)))[0], dispose: () => w.dispose() };
    },

    w4(d: MlpData): Trainer {
      const { hidden: H, lr, b1, b2, eps } = W4;
      const x = tf.tensor2d(d.x, [W4.points, 2]);
      const y = tf.tensor2d(d.y, [W4.points, 1]);
      const init = { w1: tf.tensor2d(d.init.w1, [2, H]), b1: tf.tensor1d(d.init.b1), w2: tf.tensor2d(d.init.w2, [H, 1]), b2: tf.tensor1d(d.init.b2) };
      const p = { w1: tf.variable(init.w1), b1: tf.variable(init.b1), w2: tf.variable(init.w2), b2: tf.variable(init.b2) };
      const loss = () => {
        const h = tf.sigmoid(tf.add(tf.matMul(x, p.w1), p.b1));
        return tf.sum(tf.square(tf.sub(tf.add(tf.matMul(h, p.w2), p.b2), y))) as TF.Scalar;
      };
      let opt: TF.Optimizer | undefined;
      let last: TF.Scalar | null = null;
      return {
        reset() {
          for (const k of ["w1", "b1", "w2", "b2"] as const) (p[k] as TF.Variable).assign(init[k]);
          opt?.dispose();
          opt = tf.train.adam(lr, b1, b2, eps);
        },
        step() {
          last?.dispose();
          last = opt!.minimize(loss, true);
        },
        readLoss: async () => (await read(last!))[0],
        dispose() {
          opt?.dispose();
          tf.dispose([x, y, ...Object.values(init), ...Object.values(p)]);
        },
      };
    },

    w5(d: CityData): Trainer {
      const n = 36;
      const d2 = tf.tensor2d(d.d2, [n, n]);
      const init = tf.tensor2d(d.init, [n, 2]);
      const x = tf.variable(init);
      const loss = () => {
        const sq = tf.sum(tf.square(x), 1, true);
        const s = tf.sub(tf.add(sq, tf.transpose(sq)), tf.mul(tf.matMul(x, x, false, true), 2));
        return tf.div(tf.sum(tf.square(tf.sub(s, d2))), 2) as TF.Scalar;
      };
      const opt = tf.train.sgd(W5.lr);
      let last: TF.Scalar | null = null;
      return {
        reset() {
          x.assign(init);
        },
        step() {
          last?.dispose();
          last = opt.minimize(loss, true);
        },
        readLoss: async () => (await read(last!))[0],
        readParams: () => x.data(),
        dispose() {
          opt.dispose();
          tf.dispose([d2, init, x]);
        },
      };
    },

    w6({ w: ws, x: xs, y: ys }: LinearData): Callable {
      const B = ys.length;
      const F = ws.length;
      const w = tf.tensor2d(ws, [F, 1]);
      const x = tf.tensor2d(xs, [B, F]);
      const y = tf.tensor2d(ys, [B, 1]);
      const f = () => tf.tidy(() => tf.mul(tf.mul(tf.sub(tf.matMul(x, w), y), 2), x));
      return { call: () => read(f()), dispose: () => tf.dispose([w, x, y]) };
    },

    w7({ x: xs, w: ws }: MatvecData): Callable {
      const x = tf.tensor2d(xs, [W7.rows, W7.features]);
      const w = tf.tensor2d(ws, [W7.features, 1]);
      const readSync = (y: TF.Tensor) => {
        const d = y.dataSync() as Float32Array;
        y.dispose();
        return d;
      };
      return {
        call: async () => (backend === "webgpu" ? read(tf.matMul(x, w)) : readSync(tf.matMul(x, w))),
        dispose: () => tf.dispose([x, w]),
      };
    },

    w8({ w: ws, x: xs, y: ys }: LinearData): Callable {
      const B = ys.length;
      const F = ws.length;
      const w = tf.tensor2d(ws, [F, 1]);
      const x = tf.tensor2d(xs, [B, F]);
      const y = tf.tensor2d(ys, [B, 1]);
      const g = tf.grad((w: TF.Tensor) => tf.mean(tf.square(tf.sub(tf.matMul(x, w), y))));
      return { call: () => read(g(w)), dispose: () => tf.dispose([w, x, y]) };
    },
  };
}
