/**
 * Workload W14 (issue 15's "W7"): one training step of a LeNet-5 CNN on a
 * 64×1×28×28 batch — forward, backward and an Adam update — each library in
 * its own idiom, the loss read back every 10 steps and at the end (as a loop
 * that logs its loss would):
 *
 *   conv 5×5, 1 → 6, SAME, + bias, relu; avg-pool 2×2/2 (28 → 14);
 *   conv 5×5, 6 → 16, VALID, + bias, relu; avg-pool 2×2/2 (10 → 5);
 *   flatten (400); dense 120, relu; dense 84, relu; dense 10;
 *   loss = mean softmax cross-entropy against integer labels; Adam (lr 1e-3).
 *
 * jaxon: `lax.convGeneralDilated` NHWC/HWIO, `nn.avgPool`, `optim.adam`, the
 * whole step one `jit`; tfjs: `tf.conv2d`, `tf.avgPool`, `tf.train.adam`
 * `minimize` (tfjs-backend-wasm has no Conv2DBackpropFilter: n/a there);
 * jax-js: `lax.convGeneralDilated` in NCHW (its layout; the first dense
 * layer's rows permuted to match NCHW flattening, so every library computes
 * the same function), `lax.reduceWindow`, Adam written over its trees, the
 * step one `jit` (its cpu backend is an interpreter: n/a there).
 *
 * The check: the loss after k steps against a float64 run of the same k steps
 * written here from the definitions (forward, hand-derived backward, Adam),
 * independent of every library; cached in the OS temp folder.
 */
import * as D from "./data.js";
import type { Budget, Trainer } from "./harness.js";
import { timeTraining } from "./harness.js";
import { jaxonModule } from "./libs/jaxon.js";
import type { Case, Outcome } from "./workloads.js";

// ---------------------------------------------------------------- the problem

export const W14 = { batch: 64, steps: 20, lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8 };
const B = W14.batch;
/** Parameter shapes (kernels HWIO, dense [in, out]). */
const SHAPES = {
  w1: [5, 5, 1, 6], b1: [6],
  w2: [5, 5, 6, 16], b2: [16],
  w3: [400, 120], b3: [120],
  w4: [120, 84], b4: [84],
  w5: [84, 10], b5: [10],
} as const;
type Name = keyof typeof SHAPES;
const NAMES = Object.keys(SHAPES) as Name[];
type Params<T> = Record<Name, T>;

function rand(n: number, seed: number, lo: number, hi: number): Float32Array {
  let s = seed;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = lo + (s / 2 ** 32) * (hi - lo);
  }
  return a;
}
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

interface CnnData {
  /** Images NHWC [64, 28, 28, 1] (the same numbers as NCHW [64, 1, 28, 28]). */
  x: Float32Array;
  labels: Int32Array;
  init: Params<Float32Array>;
}

let data: CnnData | undefined;
function cnnData(): CnnData {
  if (data) return data;
  const x = rand(B * 28 * 28, 101, 0, 1);
  const labels = Int32Array.from(rand(B, 102, 0, 10), (v) => Math.min(9, Math.floor(v)));
  const fanIn: Record<Name, number> = { w1: 25, b1: 25, w2: 150, b2: 150, w3: 400, b3: 400, w4: 120, b4: 120, w5: 84, b5: 84 };
  const init = {} as Params<Float32Array>;
  NAMES.forEach((k, i) => {
    // He-uniform kernels, small biases
    const lim = k.startsWith("w") ? Math.sqrt(6 / fanIn[k]) : 0.05;
    init[k] = rand(size(SHAPES[k]), 200 + i, -lim, lim);
  });
  return (data = { x, labels, init });
}

// ---------------------------------------------------------------- the float64 reference

/** The losses of steps 1..W14.steps (each before its update), in float64. */
function referenceLosses(d: CnnData): Float64Array {
  const p = {} as Params<Float64Array>;
  const m = {} as Params<Float64Array>;
  const v = {} as Params<Float64Array>;
  for (const k of NAMES) {
    p[k] = Float64Array.from(d.init[k]);
    m[k] = new Float64Array(p[k].length);
    v[k] = new Float64Array(p[k].length);
  }
  const losses = new Float64Array(W14.steps);
  for (let t = 1; t <= W14.steps; t++) {
    const [loss, g] = lossAndGrad(p, d);
    losses[t - 1] = loss;
    const { lr, b1, b2, eps } = W14;
    const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
    for (const k of NAMES) {
      const P = p[k], G = g[k], Mk = m[k], V = v[k];
      for (let i = 0; i < P.length; i++) {
        Mk[i] = b1 * Mk[i] + (1 - b1) * G[i];
        V[i] = b2 * V[i] + (1 - b2) * G[i] * G[i];
        P[i] -= (lr * (Mk[i] / c1)) / (Math.sqrt(V[i] / c2) + eps);
      }
    }
  }
  return losses;
}

/** conv NHWC × HWIO: out [B, OH, OW, O], input padded by `pad` on each side. */
function convFwd(x: Float64Array, H: number, W: number, C: number, w: Float64Array, bias: Float64Array, K: number, O: number, pad: number, OH: number, OW: number): Float64Array {
  const out = new Float64Array(B * OH * OW * O);
  for (let n = 0; n < B; n++)
    for (let h = 0; h < OH; h++)
      for (let q = 0; q < OW; q++) {
        const yo = ((n * OH + h) * OW + q) * O;
        for (let o = 0; o < O; o++) out[yo + o] = bias[o];
        for (let kh = 0; kh < K; kh++) {
          const ih = h + kh - pad;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < K; kw++) {
            const iw = q + kw - pad;
            if (iw < 0 || iw >= W) continue;
            const xo = ((n * H + ih) * W + iw) * C;
            for (let c = 0; c < C; c++) {
              const xv = x[xo + c];
              const wo = ((kh * K + kw) * C + c) * O;
              for (let o = 0; o < O; o++) out[yo + o] += xv * w[wo + o];
            }
          }
        }
      }
  return out;
}

/** The gradients of convFwd's input (if wanted), kernel and bias from the output's `g`. */
function convBwd(x: Float64Array, H: number, W: number, C: number, w: Float64Array, K: number, O: number, pad: number, OH: number, OW: number, g: Float64Array, wantDx: boolean) {
  const dx = wantDx ? new Float64Array(x.length) : null;
  const dw = new Float64Array(w.length);
  const db = new Float64Array(O);
  for (let n = 0; n < B; n++)
    for (let h = 0; h < OH; h++)
      for (let q = 0; q < OW; q++) {
        const yo = ((n * OH + h) * OW + q) * O;
        for (let o = 0; o < O; o++) db[o] += g[yo + o];
        for (let kh = 0; kh < K; kh++) {
          const ih = h + kh - pad;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < K; kw++) {
            const iw = q + kw - pad;
            if (iw < 0 || iw >= W) continue;
            const xo = ((n * H + ih) * W + iw) * C;
            for (let c = 0; c < C; c++) {
              const xv = x[xo + c];
              const wo = ((kh * K + kw) * C + c) * O;
              let s = 0;
              for (let o = 0; o < O; o++) {
                dw[wo + o] += xv * g[yo + o];
                s += w[wo + o] * g[yo + o];
              }
              if (dx) dx[xo + c] += s;
            }
          }
        }
      }
  return { dx, dw, db };
}

/** avg-pool 2×2/2 NHWC of [B, H, W, C]. */
function poolFwd(x: Float64Array, H: number, W: number, C: number): Float64Array {
  const OH = H / 2, OW = W / 2;
  const out = new Float64Array(B * OH * OW * C);
  for (let n = 0; n < B; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++)
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) s += x[((n * H + 2 * i + a) * W + 2 * j + b) * C + c];
          out[((n * OH + i) * OW + j) * C + c] = s / 4;
        }
  return out;
}
function poolBwd(g: Float64Array, H: number, W: number, C: number): Float64Array {
  const OH = H / 2, OW = W / 2;
  const dx = new Float64Array(B * H * W * C);
  for (let n = 0; n < B; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++)
        for (let c = 0; c < C; c++) {
          const gv = g[((n * OH + i) * OW + j) * C + c] / 4;
          for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) dx[((n * H + 2 * i + a) * W + 2 * j + b) * C + c] = gv;
        }
  return dx;
}

/** [B, I] · [I, O] + bias. */
function denseFwd(x: Float64Array, w: Float64Array, bias: Float64Array, I: number, O: number): Float64Array {
  const out = new Float64Array(B * O);
  for (let n = 0; n < B; n++)
    for (let o = 0; o < O; o++) {
      let s = bias[o];
      for (let i = 0; i < I; i++) s += x[n * I + i] * w[i * O + o];
      out[n * O + o] = s;
    }
  return out;
}
function denseBwd(x: Float64Array, w: Float64Array, g: Float64Array, I: number, O: number) {
  const dx = new Float64Array(B * I), dw = new Float64Array(I * O), db = new Float64Array(O);
  for (let n = 0; n < B; n++)
    for (let o = 0; o < O; o++) {
      const gv = g[n * O + o];
      db[o] += gv;
      for (let i = 0; i < I; i++) {
        dw[i * O + o] += x[n * I + i] * gv;
        dx[n * I + i] += w[i * O + o] * gv;
      }
    }
  return { dx, dw, db };
}
const relu = (a: Float64Array) => a.map((v) => (v > 0 ? v : 0));
/** g where the pre-activation was positive (relu's derivative, 0 at 0 as JAX's). */
const reluBwd = (g: Float64Array, a: Float64Array) => g.map((v, i) => (a[i] > 0 ? v : 0));

function lossAndGrad(p: Params<Float64Array>, d: CnnData): [number, Params<Float64Array>] {
  const x = Float64Array.from(d.x);
  const a1 = convFwd(x, 28, 28, 1, p.w1, p.b1, 5, 6, 2, 28, 28);
  const r1 = relu(a1);
  const p1 = poolFwd(r1, 28, 28, 6); // [B, 14, 14, 6]
  const a2 = convFwd(p1, 14, 14, 6, p.w2, p.b2, 5, 16, 0, 10, 10);
  const r2 = relu(a2);
  const f = poolFwd(r2, 10, 10, 16); // [B, 5, 5, 16] = [B, 400]
  const z3 = denseFwd(f, p.w3, p.b3, 400, 120), r3 = relu(z3);
  const z4 = denseFwd(r3, p.w4, p.b4, 120, 84), r4 = relu(z4);
  const z5 = denseFwd(r4, p.w5, p.b5, 84, 10);
  let loss = 0;
  const dz5 = new Float64Array(B * 10);
  for (let n = 0; n < B; n++) {
    let mx = -Infinity;
    for (let c = 0; c < 10; c++) mx = Math.max(mx, z5[n * 10 + c]);
    let se = 0;
    for (let c = 0; c < 10; c++) se += Math.exp(z5[n * 10 + c] - mx);
    const lse = mx + Math.log(se);
    loss += lse - z5[n * 10 + d.labels[n]];
    for (let c = 0; c < 10; c++) dz5[n * 10 + c] = (Math.exp(z5[n * 10 + c] - lse) - (c === d.labels[n] ? 1 : 0)) / B;
  }
  loss /= B;
  const g5 = denseBwd(r4, p.w5, dz5, 84, 10);
  const g4 = denseBwd(r3, p.w4, reluBwd(g5.dx, z4), 120, 84);
  const g3 = denseBwd(f, p.w3, reluBwd(g4.dx, z3), 400, 120);
  const da2 = reluBwd(poolBwd(g3.dx, 10, 10, 16), a2);
  const c2 = convBwd(p1, 14, 14, 6, p.w2, 5, 16, 0, 10, 10, da2, true);
  const da1 = reluBwd(poolBwd(c2.dx!, 28, 28, 6), a1);
  const c1 = convBwd(x, 28, 28, 1, p.w1, 5, 6, 2, 28, 28, da1, false);
  return [loss, { w1: c1.dw, b1: c1.db, w2: c2.dw, b2: c2.db, w3: g3.dw, b3: g3.db, w4: g4.dw, b4: g4.db, w5: g5.dw, b5: g5.db }];
}

let refLosses: Float64Array | undefined;
function reference(): Float64Array {
  if (refLosses) return refLosses;
  const d = cnnData();
  const key = D.fingerprint(JSON.stringify(W14), d.x, Float32Array.from(d.labels), ...NAMES.map((k) => d.init[k]));
  return (refLosses = D.cached("w14", key, () => referenceLosses(d)));
}

// ---------------------------------------------------------------- the libraries

/* eslint-disable @typescript-eslint/no-explicit-any */
async function jaxonTrainer(backend: string): Promise<Trainer> {
  const J = await jaxonModule();
  const { np, lax, nn, optim } = J;
  const d = cnnData();
  const device = backend.startsWith("webgpu") ? "webgpu" : "cpu";
  const put = (a: Float32Array | Int32Array, shape: readonly number[]) => J.devicePut(J.np.array(a, { dtype: a instanceof Int32Array ? "int32" : "float32" }).reshape([...shape]), device);
  const x = put(d.x, [B, 28, 28, 1]);
  const labels = put(d.labels, [B]);
  const dn = { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] as [string, string, string] };
  const pool = (v: any) => nn.avgPool(v, [2, 2], { strides: [2, 2] });
  const forward = (p: any, v: any) => {
    let h = pool(nn.relu(lax.convGeneralDilated(v, p.w1, [1, 1], "SAME", dn).add(p.b1)));
    h = pool(nn.relu(lax.convGeneralDilated(h, p.w2, [1, 1], "VALID", dn).add(p.b2)));
    h = h.reshape([B, 400]);
    h = nn.relu(h.matmul(p.w3).add(p.b3));
    h = nn.relu(h.matmul(p.w4).add(p.b4));
    return h.matmul(p.w5).add(p.b5);
  };
  const loss = (p: any, v: any, y: any) => {
    const logp = nn.logSoftmax(forward(p, v), -1);
    return np.mean(np.takeAlongAxis(logp, y.reshape([B, 1]), 1)).neg();
  };
  const opt = optim.adam(W14.lr, { b1: W14.b1, b2: W14.b2, eps: W14.eps });
  const vg = J.valueAndGrad(loss);
  const step = J.jit((p: any, s: any, v: any, y: any) => {
    const [l, g] = vg(p, v, y);
    const [updates, s2] = opt.update(g, s, p);
    return [optim.applyUpdates(p, updates), s2, l];
  });
  const initial = () => Object.fromEntries(NAMES.map((k) => [k, put(d.init[k], SHAPES[k])]));
  let params: any, state: any, last: any;
  return {
    reset() {
      params = initial();
      state = opt.init(params);
    },
    step() {
      [params, state, last] = step(params, state, x, labels) as any[];
    },
    readLoss: async () => last.item(),
  };
}

async function tfjsTrainer(backend: string): Promise<Trainer | null> {
  // tfjs-backend-wasm has no Conv2DBackpropFilter kernel (the kernel gradient)
  if (backend === "wasm") return null;
  const tf: any = await import("@tensorflow/tfjs-core");
  const d = cnnData();
  const x = tf.tensor4d(d.x, [B, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(d.labels, "int32"), 10);
  const init = Object.fromEntries(NAMES.map((k) => [k, tf.tensor(d.init[k], [...SHAPES[k]])]));
  const p = Object.fromEntries(NAMES.map((k) => [k, tf.variable(init[k])]));
  const pool = (v: any) => tf.avgPool(v, 2, 2, "valid");
  const loss = () =>
    tf.tidy(() => {
      let h = pool(tf.relu(tf.add(tf.conv2d(x, p.w1, 1, "same"), p.b1)));
      h = pool(tf.relu(tf.add(tf.conv2d(h, p.w2, 1, "valid"), p.b2)));
      h = tf.reshape(h, [B, 400]);
      h = tf.relu(tf.add(tf.matMul(h, p.w3), p.b3));
      h = tf.relu(tf.add(tf.matMul(h, p.w4), p.b4));
      const logits = tf.add(tf.matMul(h, p.w5), p.b5);
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), y), 1)));
    });
  let opt: any;
  let last: any = null;
  return {
    reset() {
      for (const k of NAMES) p[k].assign(init[k]);
      opt?.dispose();
      opt = tf.train.adam(W14.lr, W14.b1, W14.b2, W14.eps);
    },
    step() {
      last?.dispose();
      last = opt.minimize(loss, true);
    },
    readLoss: async () => (await last.data())[0],
    dispose() {
      opt?.dispose();
      tf.dispose([x, y, ...Object.values(init), ...Object.values(p)]);
    },
  };
}

async function jaxjsTrainer(backend: string): Promise<Trainer | null> {
  // jax-js's cpu backend is its reference interpreter (one convolution did not finish in minutes)
  if (backend === "cpu") return null;
  const jax: any = await import("@jax-js/jax");
  const np = jax.numpy;
  const d = cnnData();
  // NCHW: the images as they are ([64, 1, 28, 28] holds the NHWC numbers, one channel), kernels OIHW,
  // w3's rows from NHWC flattening (h, w, c) to NCHW flattening (c, h, w)
  const oihw = (w: Float32Array, [kh, kw, ci, co]: readonly number[]) => {
    const out = new Float32Array(w.length);
    for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) out[((o * ci + c) * kh + a) * kw + b] = w[((a * kw + b) * ci + c) * co + o];
    return out;
  };
  const w3 = new Float32Array(d.init.w3.length);
  for (let h = 0; h < 5; h++) for (let w = 0; w < 5; w++) for (let c = 0; c < 16; c++) w3.set(d.init.w3.subarray(((h * 5 + w) * 16 + c) * 120, ((h * 5 + w) * 16 + c + 1) * 120), ((c * 5 + h) * 5 + w) * 120);
  const host: Record<Name, [Float32Array, number[]]> = {
    w1: [oihw(d.init.w1, SHAPES.w1), [6, 1, 5, 5]], b1: [d.init.b1, [1, 6, 1, 1]],
    w2: [oihw(d.init.w2, SHAPES.w2), [16, 6, 5, 5]], b2: [d.init.b2, [1, 16, 1, 1]],
    w3: [w3, [400, 120]], b3: [d.init.b3, [120]],
    w4: [d.init.w4, [120, 84]], b4: [d.init.b4, [84]],
    w5: [d.init.w5, [84, 10]], b5: [d.init.b5, [10]],
  };
  const x = np.array(d.x).reshape([B, 1, 28, 28]);
  const y = jax.nn.oneHot(np.array(d.labels, { dtype: "int32" }), 10);
  const pool = (v: any) => jax.lax.reduceWindow(v, (win: any) => np.sum(win), [2, 2], [2, 2]).mul(0.25);
  const loss = (p: any, v: any, t: any) => {
    let h = pool(jax.nn.relu(jax.lax.convGeneralDilated(v, p.w1, [1, 1], "SAME").add(p.b1)));
    h = pool(jax.nn.relu(jax.lax.convGeneralDilated(h, p.w2, [1, 1], "VALID").add(p.b2)));
    h = h.reshape([B, 400]);
    h = jax.nn.relu(np.matmul(h, p.w3).add(p.b3));
    h = jax.nn.relu(np.matmul(h, p.w4).add(p.b4));
    const logits = np.matmul(h, p.w5).add(p.b5);
    return np.mean(np.sum(jax.nn.logSoftmax(logits).mul(t), 1)).neg();
  };
  const { lr, b1, b2, eps } = W14;
  const step = jax.jit((p: any, o: any, v: any, t: any) => {
    const [l, g] = jax.valueAndGrad(loss)(jax.tree.ref(p), v, t);
    const b1t = o.b1t.mul(b1);
    const b2t = o.b2t.mul(b2);
    const m = jax.tree.map((m: any, g: any) => m.mul(b1).add(g.ref.mul(1 - b1)), o.m, g);
    const vv = jax.tree.map((v: any, g: any) => v.mul(b2).add(g.ref.mul(g).mul(1 - b2)), o.v, g);
    const c1 = np.subtract(1, b1t.ref);
    const c2 = np.subtract(1, b2t.ref);
    const upd = (p: any, m: any, v: any) => p.sub(m.ref.div(c1.ref).mul(lr).div(np.sqrt(v.ref.div(c2.ref)).add(eps)));
    const p2 = jax.tree.map(upd, p, m, vv);
    c1.dispose();
    c2.dispose();
    return [p2, { m, v: vv, b1t, b2t }, l];
  });
  let params: any, opt: any, last: any;
  const free = () => {
    if (params) jax.tree.dispose(params);
    if (opt) jax.tree.dispose(opt);
    last?.dispose();
    params = opt = last = undefined;
  };
  return {
    reset() {
      free();
      params = Object.fromEntries(NAMES.map((k) => [k, np.array(host[k][0]).reshape(host[k][1])]));
      const zeros = (t: any) => jax.tree.map((a: any) => np.zeros(a.shape), t);
      opt = { m: zeros(params), v: zeros(params), b1t: np.array(1), b2t: np.array(1) };
    },
    step() {
      last?.dispose();
      [params, opt, last] = step(params, opt, x.ref, y.ref);
    },
    async readLoss() {
      const l = last;
      last = undefined;
      return ((await l.data()) as Float32Array)[0];
    },
    dispose() {
      free();
      x.dispose();
      y.dispose();
      step.dispose();
    },
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

async function run(library: string, backend: string, budget: Budget): Promise<Outcome> {
  const tr = library === "jaxon" ? await jaxonTrainer(backend) : library === "tfjs" ? await tfjsTrainer(backend) : library === "jax-js" ? await jaxjsTrainer(backend) : null;
  if (!tr) return { status: "n/a" };
  try {
    const t = await timeTraining(tr, W14.steps, budget.trainCapMs);
    const want = reference()[t.steps - 1];
    const partial = t.steps < W14.steps ? `${t.steps}/${W14.steps} steps (time cap); ` : "";
    // float32 against float64 over a few Adam steps: a relative 2e-3 of the loss
    if (!(Math.abs(t.loss - want) <= 2e-3 * Math.abs(want))) return { status: "WRONG", firstMs: t.compileMs, note: `${partial}loss after ${t.steps} steps ${t.loss}, expected ${want}` };
    return { status: "ok", value: (t.steps * 1000) / t.ms, msPerUnit: t.ms / t.steps, samples: t.steps, firstMs: t.compileMs, note: `${partial}loss ${t.loss.toFixed(4)}` };
  } finally {
    tr.dispose?.();
  }
}

export const CNN_STEP_CASES: Case[] = [
  {
    workload: "W14",
    case: `${W14.steps} steps`,
    title: "LeNet-5 training step (conv, avg-pool, dense; Adam) on a 64x1x28x28 batch",
    unit: "steps/s",
    prepare: () => void reference(),
    run: (a, b) => run(a.library, a.backend, b),
  },
];
