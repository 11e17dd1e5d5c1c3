/**
 * @jax-js/jax, backends "cpu" (interpreted JS), "wasm" and "webgpu" (in Node
 * through the `webgpu` package: node-webgpu.ts).
 *
 * jax-js counts references: every function takes ownership of its array
 * arguments, `.ref` adds a reference, `data()` disposes. Inputs reused across
 * calls are passed as `x.ref`.
 */
import os from "node:os";
import type { Array as JArray } from "@jax-js/jax";
import type { CityData, LinearData, MatmulInput, MatvecData, MlpData } from "../data.js";
import { W4, W5, W7 } from "../data.js";
import type { Adapter, Callable, Trainer } from "../harness.js";
import { nodeNavigatorGpu } from "./node-webgpu.js";

type JaxJs = typeof import("@jax-js/jax");
type Tree = Record<string, JArray>;

/**
 * jax-js reads `navigator.userAgent` (kernel tuning), `navigator.hardwareConcurrency`
 * (worker pool) and `navigator.gpu` (WebGPU probe); Node 20 has no `navigator`.
 */
export function shimNavigator() {
  const g = globalThis as { navigator?: object };
  g.navigator ??= { userAgent: `Node.js/${process.versions.node}`, hardwareConcurrency: os.availableParallelism() };
}

/**
 * jax-js's einsum (used by its `nn.dotProductAttention`) calls `.map` and
 * `.filter` on the iterator `String.prototype.matchAll` returns: ES2025's
 * iterator helpers, which Node 22 has and Node 20 lacks. Without them W15
 * fails in jax-js with "matchAll(...).map is not a function"; these two lazy
 * methods on %IteratorPrototype% are the part it uses.
 */
export function shimIteratorHelpers() {
  const proto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as Record<string, unknown>;
  if (typeof proto.map !== "function") {
    proto.map = function* <T, U>(this: Iterator<T>, fn: (value: T, index: number) => U) {
      let i = 0;
      for (let r = this.next(); !r.done; r = this.next()) yield fn(r.value, i++);
    };
  }
  if (typeof proto.filter !== "function") {
    proto.filter = function* <T>(this: Iterator<T>, keep: (value: T, index: number) => boolean) {
      let i = 0;
      for (let r = this.next(); !r.done; r = this.next()) if (keep(r.value, i++)) yield r.value;
    };
  }
}

export function jaxjs(backend: "cpu" | "wasm" | "webgpu"): Adapter {
  let jax!: JaxJs;
  let np!: JaxJs["numpy"];

  async function read(y: JArray): Promise<Float32Array> {
    return (await y.data()) as Float32Array; // data() disposes y
  }
  const f32 = (a: Float32Array, shape: number[]) => np.array(a).reshape(shape);

  return {
    library: "jax-js",
    backend,
    async init() {
      if (backend === "webgpu") await nodeNavigatorGpu();
      shimNavigator();
      shimIteratorHelpers();
      jax = await import("@jax-js/jax");
      np = jax.numpy;
      const devices = await jax.init(backend);
      if (!devices.includes(backend)) throw new Error(`jax-js: no ${backend} device (init gave ${devices.join(", ") || "none"})`);
      jax.defaultDevice(backend);
    },

    w1(xs: Float32Array): Callable {
      const f = jax.jit((x: JArray) => np.exp(np.sin(x).mul(2).add(1)));
      const x = f32(xs, [xs.length]);
      return { call: () => read(f(x.ref)), dispose: () => (x.dispose(), f.dispose()) };
    },

    w2({ n, a: as, b: bs }: MatmulInput, { computed = false } = {}): Callable {
      const made = computed ? jax.jit((x: JArray) => x.mul(2).mul(0.5)) : null;
      const a = made ? made(f32(as, [n, n])) : f32(as, [n, n]);
      const b = made ? made(f32(bs, [n, n])) : f32(bs, [n, n]);
      return { call: () => read(np.matmul(a.ref, b.ref)), dispose: () => (a.dispose(), b.dispose(), made?.dispose()) };
    },

    w3(w0: number, mode): Callable {
      const f = (w: JArray) => np.sin(np.power(w.add(1), 3));
      const g = mode === "jit" ? jax.jit(jax.grad(f)) : jax.grad(f);
      const w = np.array(w0);
      return { call: async () => (await read(g(w.ref)))[0], dispose: () => w.dispose() };
    },

    w4(d: MlpData): Trainer {
      const { hidden: H, lr, b1, b2, eps } = W4;
      const x = f32(d.x, [W4.points, 2]);
      const y = f32(d.y, [W4.points, 1]);
      const loss = (p: Tree, x: JArray, y: JArray) => {
        const h = jax.nn.sigmoid(np.matmul(x, p.w1).add(p.b1));
        return np.square(np.matmul(h, p.w2).add(p.b2).sub(y)).sum();
      };
      type Opt = { m: Tree; v: Tree; b1t: JArray; b2t: JArray };
      const step = jax.jit((p: Tree, o: Opt, x: JArray, y: JArray) => {
        const [l, g] = jax.valueAndGrad(loss)(jax.tree.ref(p), x, y);
        const b1t = o.b1t.mul(b1);
        const b2t = o.b2t.mul(b2);
        const m = jax.tree.map((m: JArray, g: JArray) => m.mul(b1).add(g.ref.mul(1 - b1)), o.m, g) as Tree;
        const v = jax.tree.map((v: JArray, g: JArray) => v.mul(b2).add(g.ref.mul(g).mul(1 - b2)), o.v, g) as Tree;
        const c1 = np.subtract(1, b1t.ref);
        const c2 = np.subtract(1, b2t.ref);
        const upd = (p: JArray, m: JArray, v: JArray) =>
          p.sub(m.ref.div(c1.ref).mul(lr).div(np.sqrt(v.ref.div(c2.ref)).add(eps)));
        const p2 = jax.tree.map(upd, p, m, v) as Tree;
        c1.dispose();
        c2.dispose();
        return [p2, { m, v, b1t, b2t }, l] as [Tree, Opt, JArray];
      });
      const initial = (): Tree => ({ w1: f32(d.init.w1, [2, H]), b1: f32(d.init.b1, [H]), w2: f32(d.init.w2, [H, 1]), b2: f32(d.init.b2, [1]) });
      let params: Tree | undefined;
      let opt: Opt | undefined;
      let last: JArray | undefined;
      const free = () => {
        if (params) jax.tree.dispose(params);
        if (opt) jax.tree.dispose(opt);
        last?.dispose();
        params = opt = last = undefined;
      };
      return {
        reset() {
          free();
          params = initial();
          const zeros = (t: Tree) => jax.tree.map((a: JArray) => np.zeros(a.shape), t) as Tree;
          opt = { m: zeros(params), v: zeros(params), b1t: np.array(1), b2t: np.array(1) };
        },
        step() {
          last?.dispose();
          [params, opt, last] = step(params!, opt!, x.ref, y.ref);
        },
        async readLoss() {
          const l = last!;
          last = undefined;
          return (await read(l))[0];
        },
        dispose() {
          free();
          x.dispose();
          y.dispose();
          step.dispose();
        },
      };
    },

    w5(d: CityData): Trainer {
      const n = 36;
      const d2 = f32(d.d2, [n, n]);
      const loss = (x: JArray, d2: JArray) => {
        const sq = np.square(x.ref).sum(1, { keepdims: true });
        const s = sq.ref.add(sq.transpose()).sub(np.matmul(x.ref, x.transpose()).mul(2));
        return np.square(s.sub(d2)).sum().div(2);
      };
      const step = jax.jit((x: JArray, d2: JArray) => {
        const [l, g] = jax.valueAndGrad(loss)(x.ref, d2);
        return [x.sub(g.mul(W5.lr)), l] as [JArray, JArray];
      });
      let x: JArray | undefined;
      let last: JArray | undefined;
      return {
        reset() {
          x?.dispose();
          last?.dispose();
          last = undefined;
          x = f32(d.init, [n, 2]);
        },
        step() {
          last?.dispose();
          [x, last] = step(x!, d2.ref);
        },
        async readLoss() {
          const l = last!;
          last = undefined;
          return (await read(l))[0];
        },
        readParams: () => read(x!.ref),
        dispose() {
          x?.dispose();
          last?.dispose();
          d2.dispose();
          step.dispose();
        },
      };
    },

    w6({ w: ws, x: xs, y: ys }: LinearData): Callable {
      const f = (w: JArray, x: JArray, y: JArray) => np.square(np.dot(x, w).sub(y));
      const pe = jax.jit(jax.vmap(jax.grad(f), [null, 0, 0]));
      const w = f32(ws, [ws.length]);
      const x = f32(xs, [ys.length, ws.length]);
      const y = f32(ys, [ys.length]);
      return {
        call: () => read(pe(w.ref, x.ref, y.ref)),
        dispose: () => (w.dispose(), x.dispose(), y.dispose(), pe.dispose()),
      };
    },

    w7({ x: xs, w: ws }: MatvecData): Callable {
      const f = jax.jit((x: JArray, w: JArray) => np.matmul(x, w));
      const x = f32(xs, [W7.rows, W7.features]);
      const w = f32(ws, [W7.features, 1]);
      return {
        // dataSync() disposes, as data() does; webgpu reads asynchronously
        call: async () => (backend === "webgpu" ? read(f(x.ref, w.ref)) : (f(x.ref, w.ref).dataSync() as Float32Array)),
        dispose: () => (x.dispose(), w.dispose(), f.dispose()),
      };
    },

    w8({ w: ws, x: xs, y: ys }: LinearData): Callable {
      const loss = (w: JArray, x: JArray, y: JArray) => np.mean(np.square(np.matmul(x, w).sub(y)));
      const g = jax.jit(jax.grad(loss));
      const w = f32(ws, [ws.length]);
      const x = f32(xs, [ys.length, ws.length]);
      const y = f32(ys, [ys.length]);
      return { call: () => read(g(w.ref, x.ref, y.ref)), dispose: () => (w.dispose(), x.dispose(), y.dispose(), g.dispose()) };
    },
  };
}
