/**
 * Workloads W11 (2-D convolution) and W12 (max-pooling), each library in its
 * own idiom, every timed call ending in a readback of the whole result:
 *
 * - W11: a 3×3 "SAME" convolution, stride 1, of a 32×32×32×16 batch to 32
 *   channels (a CNN layer's size), forward (GFLOP/s of its 2·N·H·W·O·C·9
 *   flops), and forward + both gradients of sum(conv(x, w) · ct), ct a fixed
 *   cotangent (three convolutions' flops); and forward of a bigger layer,
 *   64×32×32×32 → 64 (issue 15's target: at least half of jaxon's own matmul
 *   GFLOP/s, W2), checked at 4096 sampled outputs; jaxon `lax.convGeneralDilated`
 *   NHWC/HWIO (jitted), tfjs `tf.conv2d` (NHWC), jax-js
 *   `lax.convGeneralDilated` (NCHW/OIHW, the layout it has);
 * - W12: max-pool 2×2, stride 2, of a 32×64×64×16 batch, forward, and the
 *   gradient of sum(maxPool(x) · ct) with respect to x; jaxon `nn.maxPool`,
 *   tfjs `tf.maxPool`, jax-js `lax.reduceWindow` with `np.max` (NCHW).
 *
 * The references are float64 loops written here from the definitions
 * (independent of every library); jax-js's NCHW answers are turned to NHWC
 * in the check, outside the timed calls. These cases moved here from the
 * standalone bench/conv.ts and bench/pooling.ts, which stay for their extra
 * variants (NCHW jaxon, avg-pool).
 */
import type { Adapter, Callable, Readback } from "./harness.js";
import type { Case } from "./workloads.js";
import { callCase } from "./workloads.js";
import { jaxonModule } from "./libs/jaxon.js";

// ---------------------------------------------------------------- data and references

const CV = { N: 32, H: 32, W: 32, C: 16, O: 32, K: 3 };
const CONV_FLOPS = 2 * CV.N * CV.H * CV.W * CV.O * CV.C * CV.K * CV.K;
/** W11's bigger forward case. */
const CVB = { N: 64, H: 32, W: 32, C: 32, O: 64, K: 3 };
const BIG_FLOPS = 2 * CVB.N * CVB.H * CVB.W * CVB.O * CVB.C * CVB.K * CVB.K;
/** Outputs of the bigger case checked against float64 (all of them would take the reference seconds). */
const BIG_SAMPLES = 4096;
const PL = { N: 32, H: 64, W: 64, C: 16, window: 2, stride: 2 };
const PL_OUT = Math.floor((PL.H - PL.window) / PL.stride) + 1;

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = (s / 2 ** 32) * 2 - 1;
  }
  return a;
}

/** NHWC (or HWIO read as [h, w, c, o] = [d0, d1, d2, d3]) → NCHW ([d0, d3, d1, d2]); HWIO → OIHW is `perm(a, [3, 2, 0, 1])`. */
function perm(a: ArrayLike<number>, shape: number[], order: number[]): Float32Array {
  const out = new Float32Array(a.length);
  const outShape = order.map((i) => shape[i]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
  const idx = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < order.length; k++) src += idx[k] * strides[order[k]];
    out[o] = a[src];
    for (let k = outShape.length - 1; k >= 0; k--) {
      if (++idx[k] < outShape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}
const nhwcToNchw = (a: ArrayLike<number>, [n, h, w, c]: number[]) => perm(a, [n, h, w, c], [0, 3, 1, 2]);
const nchwToNhwc = (a: ArrayLike<number>, [n, c, h, w]: number[]) => perm(a, [n, c, h, w], [0, 2, 3, 1]);

interface ConvData {
  x: Float32Array; // NHWC
  w: Float32Array; // HWIO
  ct: Float32Array; // NHWC, the output's shape
  y: Float64Array; // forward
  dx: Float64Array;
  dw: Float64Array;
}

let convData: ConvData | undefined;
function conv(): ConvData {
  if (convData) return convData;
  const { N, H, W, C, O, K } = CV;
  const x = rand(N * H * W * C, 1), w = rand(K * K * C * O, 2), ct = rand(N * H * W * O, 3);
  const y = new Float64Array(N * H * W * O), dx = new Float64Array(x.length), dw = new Float64Array(w.length);
  const pad = (K - 1) / 2;
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++)
      for (let v = 0; v < W; v++) {
        const yo = ((n * H + h) * W + v) * O;
        for (let kh = 0; kh < K; kh++) {
          const ih = h + kh - pad;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < K; kw++) {
            const iw = v + kw - pad;
            if (iw < 0 || iw >= W) continue;
            const xo = ((n * H + ih) * W + iw) * C;
            for (let c = 0; c < C; c++) {
              const xv = x[xo + c];
              const wo = ((kh * K + kw) * C + c) * O;
              let g = 0;
              for (let o = 0; o < O; o++) {
                y[yo + o] += xv * w[wo + o];
                dw[wo + o] += xv * ct[yo + o];
                g += w[wo + o] * ct[yo + o];
              }
              dx[xo + c] += g;
            }
          }
        }
      }
  return (convData = { x, w, ct, y, dx, dw });
}

interface BigConvData {
  x: Float32Array; // NHWC
  w: Float32Array; // HWIO
  /** Sampled output indices (NHWC, flat) and their float64 values. */
  at: Int32Array;
  y: Float64Array;
}

let bigData: BigConvData | undefined;
function bigConv(): BigConvData {
  if (bigData) return bigData;
  const { N, H, W, C, O, K } = CVB;
  const x = rand(N * H * W * C, 11), w = rand(K * K * C * O, 12);
  const at = new Int32Array(BIG_SAMPLES), y = new Float64Array(BIG_SAMPLES);
  const total = N * H * W * O;
  const pad = (K - 1) / 2;
  for (let s = 0; s < BIG_SAMPLES; s++) {
    // spread over the whole output, the corners (padding) included
    const q = s === 0 ? 0 : s === 1 ? total - 1 : Math.floor(((s * 2654435761) % 2 ** 32) / 2 ** 32 * total);
    at[s] = q;
    const o = q % O, v = Math.floor(q / O) % W, h = Math.floor(q / (O * W)) % H, n = Math.floor(q / (O * W * H));
    let acc = 0;
    for (let kh = 0; kh < K; kh++)
      for (let kw = 0; kw < K; kw++) {
        const ih = h + kh - pad, iw = v + kw - pad;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        for (let c = 0; c < C; c++) acc += x[((n * H + ih) * W + iw) * C + c] * w[((kh * K + kw) * C + c) * O + o];
      }
    y[s] = acc;
  }
  return (bigData = { x, w, at, y });
}

interface PoolData {
  x: Float32Array; // NHWC
  ct: Float32Array; // NHWC, the output's shape
  y: Float64Array;
  dx: Float64Array;
}

let poolData: PoolData | undefined;
function pool(): PoolData {
  if (poolData) return poolData;
  const { N, H, W, C, window: k, stride: s } = PL;
  const o = PL_OUT;
  const x = rand(N * H * W * C, 4), ct = rand(N * o * o * C, 5);
  const y = new Float64Array(ct.length), dx = new Float64Array(x.length);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < o; i++)
      for (let j = 0; j < o; j++)
        for (let c = 0; c < C; c++) {
          // the first maximum in row-major window order gets the cotangent (as select-and-scatter-add; the data have no ties)
          let best = -Infinity, at = -1;
          for (let a = 0; a < k; a++)
            for (let b = 0; b < k; b++) {
              const p = ((n * H + i * s + a) * W + j * s + b) * C + c;
              if (x[p] > best) (best = x[p]), (at = p);
            }
          const q = ((n * o + i) * o + j) * C + c;
          y[q] = best;
          dx[at] += ct[q];
        }
  return (poolData = { x, ct, y, dx });
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol: number): string | null {
  if (got.length !== want.length) return `${what}: expected ${want.length} numbers, got ${got.length}`;
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * scale)) return `${what}[${i}]: got ${got[i]}, expected ${want[i]}`;
  }
  return null;
}

// ---------------------------------------------------------------- the libraries

type Layout = "nhwc" | "nchw";
type Prepared = { callable: Callable; layout: Layout };
type Kind = "conv-fwd" | "conv-fwd-big" | "conv-grad" | "pool-fwd" | "pool-grad";

/** Reads each of `outs` back and concatenates them (the gradients: dx then dw). */
async function readAll(outs: { data(): Promise<unknown> }[]): Promise<Float32Array> {
  const parts = (await Promise.all(outs.map((o) => o.data()))) as Float32Array[];
  const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) all.set(p, at), (at += p.length);
  return all;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
async function prepare(a: Adapter, kind: Kind): Promise<Prepared | null> {
  const isConv = kind.startsWith("conv");
  const big = kind === "conv-fwd-big";
  const fwd = kind === "conv-fwd" || big;
  const { N, H, W, C, O, K } = big ? CVB : CV;
  /** The convolution's inputs (the bigger case has no cotangent: forward only). */
  const convInputs = (): { x: Float32Array; w: Float32Array; ct: Float32Array | null } => (big ? { ...bigConv(), ct: null } : conv());
  if (a.library === "jaxon") {
    const J = await jaxonModule();
    const device = a.backend.startsWith("webgpu") ? "webgpu" : "cpu";
    const put = (d: Float32Array, shape: number[]) => J.devicePut(J.np.array(d, { dtype: "float32" }).reshape(shape), device);
    let f: (...args: any[]) => any;
    let args: any[];
    if (isConv) {
      const d = convInputs();
      const dn = { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] as [string, string, string] };
      const cv = (x: any, w: any) => J.lax.convGeneralDilated(x, w, [1, 1], "SAME", dn);
      args = [put(d.x, [N, H, W, C]), put(d.w, [K, K, C, O]), ...(d.ct ? [put(d.ct, [N, H, W, O])] : [])];
      f = fwd ? J.jit((x: any, w: any) => cv(x, w)) : J.jit(J.grad((x: any, w: any, ct: any) => J.np.sum(J.np.multiply(cv(x, w), ct)), { argnums: [0, 1] }));
    } else {
      const d = pool();
      const mp = (x: any) => J.nn.maxPool(x, [PL.window, PL.window], { strides: [PL.stride, PL.stride] });
      args = [put(d.x, [PL.N, PL.H, PL.W, PL.C]), put(d.ct, [PL.N, PL_OUT, PL_OUT, PL.C])];
      f = kind === "pool-fwd" ? J.jit((x: any) => mp(x)) : J.jit(J.grad((x: any, ct: any) => J.np.sum(J.np.multiply(mp(x), ct))));
    }
    const callArgs = fwd ? args.slice(0, 2) : kind === "pool-fwd" ? args.slice(0, 1) : args;
    return {
      layout: "nhwc",
      callable: {
        call: async () => {
          const out = f(...callArgs);
          const list = Array.isArray(out) ? out : [out];
          const r = await readAll(list);
          for (const o of list) o.dispose?.();
          return r;
        },
        dispose: () => args.forEach((v) => v.dispose?.()),
      },
    };
  }
  if (a.library === "tfjs") {
    const tf: any = await import("@tensorflow/tfjs-core");
    // tfjs-backend-wasm has no Conv2DBackpropFilter kernel, and tfjs cpu's took 104 s per call here (bench/conv.ts)
    if (kind === "conv-grad" && a.backend !== "webgpu") return null;
    let run: () => any[];
    let held: any[];
    if (isConv) {
      const d = convInputs();
      const x = tf.tensor4d(d.x, [N, H, W, C]), w = tf.tensor4d(d.w, [K, K, C, O]);
      held = [x, w];
      if (fwd) run = () => [tf.conv2d(x, w, 1, "same")];
      else {
        const ct = tf.tensor4d(d.ct, [N, H, W, O]);
        held.push(ct);
        const g = tf.grads((p: any, q: any) => tf.sum(tf.mul(tf.conv2d(p, q, 1, "same"), ct)));
        run = () => g([x, w]);
      }
    } else {
      const d = pool();
      const x = tf.tensor4d(d.x, [PL.N, PL.H, PL.W, PL.C]), ct = tf.tensor4d(d.ct, [PL.N, PL_OUT, PL_OUT, PL.C]);
      held = [x, ct];
      const mp = (v: any) => tf.maxPool(v, PL.window, PL.stride, "valid");
      const g = tf.grad((v: any) => tf.sum(tf.mul(mp(v), ct)));
      run = kind === "pool-fwd" ? () => [mp(x)] : () => [g(x)];
    }
    return {
      layout: "nhwc",
      callable: {
        call: async () => {
          const outs = run();
          const r = await readAll(outs);
          for (const o of outs) o.dispose();
          return r;
        },
        dispose: () => held.forEach((t) => t.dispose()),
      },
    };
  }
  if (a.library === "jax-js") {
    // jax-js's cpu backend is its reference interpreter: one convolution did not finish in minutes (bench/conv.ts)
    if (a.backend === "cpu") return null;
    const jax: any = await import("@jax-js/jax");
    const np = jax.numpy;
    let held: any[];
    let run: () => any[];
    if (isConv) {
      const d = convInputs();
      const x = np.array(nhwcToNchw(d.x, [N, H, W, C])).reshape([N, C, H, W]);
      const w = np.array(perm(d.w, [K, K, C, O], [3, 2, 0, 1])).reshape([O, C, K, K]);
      held = [x, w];
      const cv = (p: any, q: any) => jax.lax.convGeneralDilated(p, q, [1, 1], "SAME");
      if (fwd) {
        const f = jax.jit(cv);
        run = () => [f(x.ref, w.ref)];
      } else {
        const ct = np.array(nhwcToNchw(d.ct!, [N, H, W, O])).reshape([N, O, H, W]);
        held.push(ct);
        const g = jax.jit(jax.grad((p: any, q: any, c: any) => np.sum(np.multiply(cv(p, q), c)), { argnums: [0, 1] }));
        run = () => g(x.ref, w.ref, ct.ref);
      }
    } else {
      const d = pool();
      const x = np.array(nhwcToNchw(d.x, [PL.N, PL.H, PL.W, PL.C])).reshape([PL.N, PL.C, PL.H, PL.W]);
      const ct = np.array(nhwcToNchw(d.ct, [PL.N, PL_OUT, PL_OUT, PL.C])).reshape([PL.N, PL.C, PL_OUT, PL_OUT]);
      held = [x, ct];
      const mp = (v: any) => jax.lax.reduceWindow(v, (win: any) => np.max(win), [PL.window, PL.window], [PL.stride, PL.stride]);
      if (kind === "pool-fwd") {
        const f = jax.jit(mp);
        run = () => [f(x.ref)];
      } else {
        const g = jax.jit(jax.grad((v: any, c: any) => np.sum(np.multiply(mp(v), c))));
        run = () => [g(x.ref, ct.ref)];
      }
    }
    return {
      layout: "nchw",
      callable: { call: async () => readAll(run()), dispose: () => held.forEach((t) => t.dispose()) },
    };
  }
  return null;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Checks a readback (NHWC, or jax-js's NCHW turned to NHWC here) against the float64 loops. */
function check(kind: Kind, layout: Layout, r: Readback): string | null {
  if (typeof r === "number") return "expected an array, got a number";
  const { N, H, W, C, O, K } = CV;
  const asNhwc = (a: ArrayLike<number>, nhwc: number[]) => (layout === "nchw" ? nchwToNhwc(a, [nhwc[0], nhwc[3], nhwc[1], nhwc[2]]) : a);
  if (kind === "conv-fwd") return close(asNhwc(r, [N, H, W, O]), conv().y, "y", 1e-5);
  if (kind === "conv-fwd-big") {
    const b = bigConv();
    const y = asNhwc(r, [CVB.N, CVB.H, CVB.W, CVB.O]);
    if (y.length !== CVB.N * CVB.H * CVB.W * CVB.O) return `y: expected ${CVB.N * CVB.H * CVB.W * CVB.O} numbers, got ${y.length}`;
    return close(Array.from(b.at, (q) => y[q]), b.y, "y (sampled)", 1e-5);
  }
  if (kind === "conv-grad") {
    const d = conv();
    if (r.length !== d.dx.length + d.dw.length) return `expected dx and dw (${d.dx.length + d.dw.length} numbers), got ${r.length}`;
    const dx = asNhwc(Array.prototype.slice.call(r, 0, d.dx.length), [N, H, W, C]);
    const dwRaw = Array.prototype.slice.call(r, d.dx.length);
    const dw = layout === "nchw" ? perm(dwRaw, [O, C, K, K], [2, 3, 1, 0]) : dwRaw;
    // dw sums 32768 products per entry: float32 accumulation in one thread strays ~3e-5 of the largest
    return close(dx, d.dx, "dx", 1e-4) ?? close(dw, d.dw, "dw", 1e-4);
  }
  if (kind === "pool-fwd") return close(asNhwc(r, [PL.N, PL_OUT, PL_OUT, PL.C]), pool().y, "y", 1e-6);
  return close(asNhwc(r, [PL.N, PL.H, PL.W, PL.C]), pool().dx, "dx", 1e-6);
}

function convPoolCase(workload: string, name: string, kind: Kind, title: string, unit: string, toValue: (ms: number) => number): Case {
  return {
    workload,
    case: name,
    title,
    unit,
    prepare: () => void (kind === "conv-fwd-big" ? bigConv() : kind.startsWith("conv") ? conv() : pool()),
    run: async (a, b) => {
      const p = await prepare(a, kind);
      if (!p) return { status: "n/a" };
      return callCase(() => p.callable, (r) => check(kind, p.layout, r), toValue, b);
    },
  };
}

export const CONV_POOL_CASES: Case[] = [
  convPoolCase("W11", "fwd", "conv-fwd", "conv2d 3x3 SAME, 32x32x32x16 -> 32 (NHWC), readback", "GFLOP/s", (ms) => CONV_FLOPS / (ms * 1e6)),
  convPoolCase("W11", "fwd 64x32x32x32->64", "conv-fwd-big", "conv2d 3x3 SAME, 64x32x32x32 -> 64 (NHWC), readback", "GFLOP/s", (ms) => BIG_FLOPS / (ms * 1e6)),
  convPoolCase("W11", "fwd+grad", "conv-grad", "conv2d forward + dx, dw (3 convolutions' flops), readback", "GFLOP/s", (ms) => (3 * CONV_FLOPS) / (ms * 1e6)),
  convPoolCase("W12", "fwd", "pool-fwd", "max-pool 2x2/2 of 32x64x64x16 (NHWC), readback", "ms", (ms) => ms),
  convPoolCase("W12", "fwd+grad", "pool-grad", "max-pool 2x2/2: gradient of sum(pool(x)·ct), readback", "ms", (ms) => ms),
];
