/**
 * Workload W15: forward (inference, the output read back) and forward +
 * backward of one causal self-attention block
 * (batch 8, sequence 128, model width 128, 4 heads of 32), each library in
 * its own idiom, every timed call ending in a readback of all gradients:
 *
 *   q, k, v = x·Wq, x·Wk, x·Wv (split into 4 heads); o = causal attention;
 *   y = o·Wo; loss = Σ y ⊙ ct; gradients with respect to x, Wq, Wk, Wv, Wo.
 *
 * jaxon: `jit(grad(loss))` with `nn.dotProductAttention` (the fused
 * attention primitive); jax-js: `jit(grad(loss))` with its
 * `nn.dotProductAttention`; tfjs: matmul + a causal mask + softmax + matmul
 * under `tf.grads`. The reference is a float64 forward and backward pass
 * written here with loops from the definitions (independent of every
 * library). Unit: steps/s (one forward + backward + readback per step).
 */
import type { Adapter, Callable, Readback } from "./harness.js";
import type { Case } from "./workloads.js";
import { callCase } from "./workloads.js";
import { jaxonModule } from "./libs/jaxon.js";

const AT = { B: 8, T: 128, D: 128, heads: 4 };
const HD = AT.D / AT.heads;

function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return a;
}

interface AttData {
  x: Float32Array; // [B, T, D]
  w: Float32Array[]; // Wq, Wk, Wv, Wo, each [D, D]
  ct: Float32Array; // [B, T, D]
  /** The gradients in readback order: dx, dWq, dWk, dWv, dWo. */
  grads: Float64Array[];
  /** The block's output y [B, T, D]. */
  y: Float64Array;
}

/** c[m, n] (+)= Σ_p a[m, p] b[p, n] with optional transposes, row-major, float64. */
function mm(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, ta = false, tb = false): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const av = ta ? a[p * m + i] : a[i * k + p];
      if (av === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] += av * (tb ? b[j * k + p] : b[p * n + j]);
    }
  return c;
}
const addTo = (a: Float64Array, b: Float64Array) => {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
};

let attData: AttData | undefined;
function data(): AttData {
  if (attData) return attData;
  const { B, T, D, heads } = AT;
  const x = rand(B * T * D, 11);
  const w = [12, 13, 14, 15].map((s) => rand(D * D, s, 1 / Math.sqrt(D)));
  const ct = rand(B * T * D, 16);
  const scale = 1 / Math.sqrt(HD);
  const grads = [new Float64Array(B * T * D), ...w.map(() => new Float64Array(D * D))];
  const y = new Float64Array(B * T * D);
  for (let b = 0; b < B; b++) {
    const xb = x.subarray(b * T * D, (b + 1) * T * D);
    const cb = ct.subarray(b * T * D, (b + 1) * T * D);
    const [Q, K, V] = [0, 1, 2].map((i) => mm(xb, w[i], T, D, D));
    const O = new Float64Array(T * D);
    const P = new Float64Array(heads * T * T);
    for (let h = 0; h < heads; h++)
      for (let t = 0; t < T; t++) {
        const row = (h * T + t) * T;
        let m = -Infinity;
        for (let s = 0; s <= t; s++) {
          let acc = 0;
          for (let e = 0; e < HD; e++) acc += Q[t * D + h * HD + e] * K[s * D + h * HD + e];
          P[row + s] = acc * scale;
          m = Math.max(m, P[row + s]);
        }
        let sum = 0;
        for (let s = 0; s <= t; s++) sum += P[row + s] = Math.exp(P[row + s] - m);
        for (let s = 0; s <= t; s++) {
          P[row + s] /= sum;
          for (let e = 0; e < HD; e++) O[t * D + h * HD + e] += P[row + s] * V[s * D + h * HD + e];
        }
      }
    // y = O·Wo; dWo += Oᵀ·ct; dO = ct·Woᵀ
    y.set(mm(O, w[3], T, D, D), b * T * D);
    addTo(grads[4], mm(O, cb, D, T, D, true));
    const dO = mm(cb, w[3], T, D, D, false, true);
    const dQ = new Float64Array(T * D), dK = new Float64Array(T * D), dV = new Float64Array(T * D);
    for (let h = 0; h < heads; h++)
      for (let t = 0; t < T; t++) {
        const row = (h * T + t) * T;
        const dP = new Float64Array(t + 1);
        let dot = 0;
        for (let s = 0; s <= t; s++) {
          let acc = 0;
          for (let e = 0; e < HD; e++) {
            acc += dO[t * D + h * HD + e] * V[s * D + h * HD + e];
            dV[s * D + h * HD + e] += P[row + s] * dO[t * D + h * HD + e];
          }
          dP[s] = acc;
          dot += acc * P[row + s];
        }
        for (let s = 0; s <= t; s++) {
          const dS = P[row + s] * (dP[s] - dot) * scale;
          for (let e = 0; e < HD; e++) {
            dQ[t * D + h * HD + e] += dS * K[s * D + h * HD + e];
            dK[s * D + h * HD + e] += dS * Q[t * D + h * HD + e];
          }
        }
      }
    const dX = grads[0].subarray(b * T * D, (b + 1) * T * D);
    [dQ, dK, dV].forEach((d, i) => {
      addTo(grads[i + 1], mm(xb, d, D, T, D, true));
      addTo(dX, mm(d, w[i], T, D, D, false, true));
    });
  }
  return (attData = { x, w, ct, grads, y });
}

/** Reads each of `outs` back and concatenates them. */
async function readAll(outs: { data(): Promise<unknown> }[]): Promise<Float32Array> {
  const parts = (await Promise.all(outs.map((o) => o.data()))) as Float32Array[];
  const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) all.set(p, at), (at += p.length);
  return all;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
async function prepare(a: Adapter, forwardOnly: boolean, composition: boolean): Promise<Callable | null> {
  const { B, T, D, heads } = AT;
  const d = data();
  // the composition rows are jaxon's own comparison: implementation "xla" (matmul + softmax + matmul)
  if (composition && a.library !== "jaxon") return null;
  if (a.library === "jaxon") {
    const J = await jaxonModule();
    const implementation = composition ? "xla" : undefined;
    const device = a.backend.startsWith("webgpu") ? "webgpu" : "cpu";
    const put = (v: Float32Array, shape: number[]) => J.devicePut(J.np.array(v, { dtype: "float32" }).reshape(shape), device);
    const x = put(d.x, [B, T, D]);
    const ws = d.w.map((w) => put(w, [D, D]));
    const ct = put(d.ct, [B, T, D]);
    const split = (y: any) => y.reshape([B, T, heads, HD]);
    const loss = (x: any, wq: any, wk: any, wv: any, wo: any, ct: any) => {
      const o = J.nn.dotProductAttention(split(J.np.matmul(x, wq)), split(J.np.matmul(x, wk)), split(J.np.matmul(x, wv)), { isCausal: true, implementation });
      return J.np.sum(J.np.multiply(J.np.matmul(o.reshape([B, T, D]), wo), ct));
    };
    const block = (x: any, wq: any, wk: any, wv: any, wo: any) =>
      J.np.matmul(J.nn.dotProductAttention(split(J.np.matmul(x, wq)), split(J.np.matmul(x, wk)), split(J.np.matmul(x, wv)), { isCausal: true, implementation }).reshape([B, T, D]), wo);
    const fwd = J.jit(block);
    const g = J.jit(J.grad(loss, { argnums: [0, 1, 2, 3, 4] }));
    return {
      call: async () => {
        const outs = (forwardOnly ? [fwd(x, ws[0], ws[1], ws[2], ws[3])] : g(x, ws[0], ws[1], ws[2], ws[3], ct)) as any[];
        const r = await readAll(outs);
        for (const o of outs) o.dispose?.();
        return r;
      },
      dispose: () => [x, ...ws, ct].forEach((v) => v.dispose?.()),
    };
  }
  if (a.library === "tfjs") {
    const tf: any = await import("@tensorflow/tfjs-core");
    const x = tf.tensor3d(d.x, [B, T, D]);
    const ws = d.w.map((w) => tf.tensor2d(w, [D, D]));
    const ct = tf.tensor3d(d.ct, [B, T, D]);
    // additive causal mask [T, T]: 0 on and below the diagonal, a large negative number above
    const maskValues = new Float32Array(T * T);
    for (let t = 0; t < T; t++) for (let s = t + 1; s < T; s++) maskValues[t * T + s] = -1e9;
    const mask = tf.tensor2d(maskValues, [T, T]);
    const heads4 = (y: any) => tf.transpose(tf.reshape(y, [B, T, heads, HD]), [0, 2, 1, 3]); // [B, heads, T, HD]
    const block = (x: any, wq: any, wk: any, wv: any, wo: any) => {
      const x2 = tf.reshape(x, [B * T, D]);
      const q = heads4(tf.matMul(x2, wq)), k = heads4(tf.matMul(x2, wk)), v = heads4(tf.matMul(x2, wv));
      const s = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(HD)), mask);
      const o = tf.matMul(tf.softmax(s), v); // [B, heads, T, HD]
      const o2 = tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [B * T, D]);
      return tf.reshape(tf.matMul(o2, wo), [B, T, D]);
    };
    const g = tf.grads((x: any, wq: any, wk: any, wv: any, wo: any) => tf.sum(tf.mul(block(x, wq, wk, wv, wo), ct)));
    return {
      call: async () => {
        const outs = forwardOnly ? [tf.tidy(() => block(x, ws[0], ws[1], ws[2], ws[3]))] : g([x, ...ws]);
        const r = await readAll(outs);
        for (const o of outs) o.dispose();
        return r;
      },
      dispose: () => [x, ...ws, ct, mask].forEach((t) => t.dispose()),
    };
  }
  if (a.library === "jax-js") {
    // jax-js's cpu backend is its reference interpreter (minutes per call at these sizes)
    if (a.backend === "cpu") return null;
    const jax: any = await import("@jax-js/jax");
    const np = jax.numpy;
    const x = np.array(d.x).reshape([B, T, D]);
    const ws = d.w.map((w) => np.array(w).reshape([D, D]));
    const ct = np.array(d.ct).reshape([B, T, D]);
    const split = (y: any) => y.reshape([B, T, heads, HD]);
    const loss = (x: any, wq: any, wk: any, wv: any, wo: any, ct: any) => {
      const o = jax.nn.dotProductAttention(split(np.matmul(x.ref, wq)), split(np.matmul(x.ref, wk)), split(np.matmul(x, wv)), { isCausal: true });
      return np.sum(np.multiply(np.matmul(o.reshape([B, T, D]), wo), ct));
    };
    const block = (x: any, wq: any, wk: any, wv: any, wo: any) =>
      np.matmul(jax.nn.dotProductAttention(split(np.matmul(x.ref, wq)), split(np.matmul(x.ref, wk)), split(np.matmul(x, wv)), { isCausal: true }).reshape([B, T, D]), wo);
    const fwd = jax.jit(block);
    const g = jax.jit(jax.grad(loss, { argnums: [0, 1, 2, 3, 4] }));
    return {
      call: async () => readAll(forwardOnly ? [fwd(x.ref, ...ws.map((w: any) => w.ref))] : g(x.ref, ...ws.map((w: any) => w.ref), ct.ref)),
      dispose: () => [x, ...ws, ct].forEach((t) => t.dispose()),
    };
  }
  return null;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function check(r: Readback, forwardOnly: boolean): string | null {
  if (typeof r === "number") return "expected an array, got a number";
  if (forwardOnly) {
    const y = data().y;
    if (r.length !== y.length) return `expected y (${y.length} numbers), got ${r.length}`;
    let scale = 0;
    for (let j = 0; j < y.length; j++) scale = Math.max(scale, Math.abs(y[j]));
    for (let j = 0; j < y.length; j++) if (!(Math.abs(r[j] - y[j]) <= 1e-4 * scale)) return `y[${j}]: got ${r[j]}, expected ${y[j]}`;
    return null;
  }
  const want = data().grads;
  const total = want.reduce((s, g) => s + g.length, 0);
  if (r.length !== total) return `expected dx, dWq, dWk, dWv, dWo (${total} numbers), got ${r.length}`;
  const names = ["dx", "dWq", "dWk", "dWv", "dWo"];
  let at = 0;
  for (let i = 0; i < want.length; i++) {
    const g = want[i];
    let scale = 0;
    for (let j = 0; j < g.length; j++) scale = Math.max(scale, Math.abs(g[j]));
    for (let j = 0; j < g.length; j++) {
      if (!(Math.abs(r[at + j] - g[j]) <= 1e-4 * scale)) return `${names[i]}[${j}]: got ${r[at + j]}, expected ${g[j]}`;
    }
    at += g.length;
  }
  return null;
}

function attentionCase(name: string, forwardOnly: boolean, title: string, composition = false): Case {
  return {
    workload: "W15",
    case: name,
    title,
    unit: "steps/s",
    prepare: () => void data(),
    run: async (a, b) => {
      const c = await prepare(a, forwardOnly, composition);
      if (!c) return { status: "n/a" };
      return callCase(() => c, (r) => check(r, forwardOnly), (ms) => 1000 / ms, b);
    },
  };
}

export const ATTENTION_CASES: Case[] = [
  attentionCase("fwd", true, "causal self-attention block B8 T128 d128 4 heads: forward (inference), y read back"),
  attentionCase("fwd+grad", false, "causal self-attention block B8 T128 d128 4 heads: forward + grads of x, Wq, Wk, Wv, Wo, readback"),
  attentionCase("fwd xla", true, "W15 fwd with jaxon's composition (implementation \"xla\"): what the fused primitive saves", true),
  attentionCase("fwd+grad xla", false, "W15 fwd+grad with jaxon's composition (implementation \"xla\")", true),
];
