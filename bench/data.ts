/**
 * Shared inputs and float64 references for the workloads. Every library gets
 * the same bytes (made once from a seeded PRNG), and every answer is checked
 * against plain-JS float64 arithmetic on the float32-rounded inputs.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** mulberry32: a small, fast, seeded PRNG with uniform output in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box–Muller on a seeded uniform stream. */
export function randn(seed: number, n: number): Float32Array {
  const u = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const th = 2 * Math.PI * u();
    out[i] = r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

export function uniform(seed: number, n: number, lo = 0, hi = 1): Float32Array {
  const u = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * u();
  return out;
}

// ---------------------------------------------------------------- W1

export const W1_SIZE = 1 << 20;

export function w1Input(): Float32Array {
  return uniform(1, W1_SIZE, -4, 4);
}

export function w1Reference(x: Float32Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.exp(Math.sin(x[i]) * 2 + 1);
  return out;
}

// ---------------------------------------------------------------- W2

export interface MatmulInput {
  n: number;
  a: Float32Array;
  b: Float32Array;
}

export function w2Input(n: number): MatmulInput {
  return { n, a: uniform(100 + n, n * n, -1, 1), b: uniform(200 + n, n * n, -1, 1) };
}

/**
 * Checks a sample of 512 entries of C = A·B against float64 dot products, each
 * within 1e-4 of Σ|a_ik·b_kj| (the scale float32 accumulation error lives on).
 * Returns null when right, else a description of the first bad entry.
 */
export function w2Check({ n, a, b }: MatmulInput, c: ArrayLike<number>): string | null {
  if (c.length !== n * n) return `expected ${n * n} values, got ${c.length}`;
  const u = rng(7 + n);
  for (let s = 0; s < 512; s++) {
    const i = Math.floor(u() * n);
    const j = Math.floor(u() * n);
    let ref = 0;
    let mag = 0;
    for (let k = 0; k < n; k++) {
      const p = a[i * n + k] * b[k * n + j];
      ref += p;
      mag += Math.abs(p);
    }
    const got = c[i * n + j];
    if (!(Math.abs(got - ref) <= 1e-4 * mag + 1e-6)) return `C[${i},${j}] = ${got}, expected ${ref}`;
  }
  return null;
}

// ---------------------------------------------------------------- W3

export const W3_W = 0.5;

/** d/dw sin((w+1)^3) = cos((w+1)^3)·3(w+1)^2 */
export function w3Reference(w = W3_W): number {
  const u = w + 1;
  return Math.cos(u ** 3) * 3 * u * u;
}

// ---------------------------------------------------------------- W4 (the tutorial MLP)

export const W4 = { points: 1000, hidden: 50, steps: 1000, lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8 };

export interface MlpParams {
  w1: Float32Array; // [2, H]
  b1: Float32Array; // [H]
  w2: Float32Array; // [H, 1]
  b2: Float32Array; // [1]
}

export interface MlpData {
  x: Float32Array; // [N, 2]
  y: Float32Array; // [N, 1]
  init: MlpParams;
}

/** x ~ 3.14·randn(N, 2), y = sin(x0) + cos(x1) + 0.1·noise; params as PyTorch's Linear default: U(±1/√fan_in). */
export function w4Data(): MlpData {
  const { points: N, hidden: H } = W4;
  const x = randn(41, N * 2).map((v) => 3.14 * v);
  const noise = randn(42, N);
  const y = new Float32Array(N);
  for (let i = 0; i < N; i++) y[i] = Math.sin(x[2 * i]) + Math.cos(x[2 * i + 1]) + 0.1 * noise[i];
  const k1 = 1 / Math.sqrt(2);
  const k2 = 1 / Math.sqrt(H);
  const init = {
    w1: uniform(43, 2 * H, -k1, k1),
    b1: uniform(44, H, -k1, k1),
    w2: uniform(45, H, -k2, k2),
    b2: uniform(46, 1, -k2, k2),
  };
  return { x, y, init };
}

/** Float64 training run: the loss before each step (what a train step returns). */
export function w4Reference(d: MlpData, steps = W4.steps): Float64Array {
  const { points: N, hidden: H, lr, b1, b2, eps } = W4;
  const p = [Float64Array.from(d.init.w1), Float64Array.from(d.init.b1), Float64Array.from(d.init.w2), Float64Array.from(d.init.b2)];
  const m = p.map((a) => new Float64Array(a.length));
  const v = p.map((a) => new Float64Array(a.length));
  const g = p.map((a) => new Float64Array(a.length));
  const h = new Float64Array(H);
  const losses = new Float64Array(steps);
  let b1t = 1;
  let b2t = 1;
  for (let t = 0; t < steps; t++) {
    const [w1, bb1, w2, bb2] = p;
    for (const a of g) a.fill(0);
    let loss = 0;
    for (let i = 0; i < N; i++) {
      const x0 = d.x[2 * i];
      const x1 = d.x[2 * i + 1];
      let out = bb2[0];
      for (let j = 0; j < H; j++) {
        const z = x0 * w1[j] + x1 * w1[H + j] + bb1[j];
        h[j] = 1 / (1 + Math.exp(-z));
        out += h[j] * w2[j];
      }
      const r = out - d.y[i];
      loss += r * r;
      const dout = 2 * r;
      g[3][0] += dout;
      for (let j = 0; j < H; j++) {
        g[2][j] += dout * h[j];
        const dz = dout * w2[j] * h[j] * (1 - h[j]);
        g[1][j] += dz;
        g[0][j] += dz * x0;
        g[0][H + j] += dz * x1;
      }
    }
    losses[t] = loss;
    b1t *= b1;
    b2t *= b2;
    for (let k = 0; k < 4; k++) {
      for (let i = 0; i < p[k].length; i++) {
        m[k][i] = b1 * m[k][i] + (1 - b1) * g[k][i];
        v[k][i] = b2 * v[k][i] + (1 - b2) * g[k][i] * g[k][i];
        p[k][i] -= (lr * (m[k][i] / (1 - b1t))) / (Math.sqrt(v[k][i] / (1 - b2t)) + eps);
      }
    }
  }
  return losses;
}

// ---------------------------------------------------------------- W5 (city placement)

/**
 * 36 cities at fixed random points in [0,1]²; D their distance matrix. The fit
 * starts from other random points in [0,1]². Squared distances are
 * |xi|²+|xj|²−2xi·xj, the loss Σ(S − D²)²/2, plain gradient descent.
 * With points in the unit square, lr 0.02 already diverges and 0.01 converges;
 * 0.002 keeps a 10x margin and still reaches the float floor in ~1000 steps.
 */
export const W5 = { cities: 36, steps: 4000, lr: 0.002 };

export interface CityData {
  d2: Float32Array; // [36, 36], D²
  init: Float32Array; // [36, 2]
}

export function w5Data(): CityData {
  const n = W5.cities;
  const truth = uniform(51, n * 2);
  const d2 = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const dx = truth[2 * i] - truth[2 * j];
      const dy = truth[2 * i + 1] - truth[2 * j + 1];
      d2[i * n + j] = Math.fround(Math.sqrt(dx * dx + dy * dy)) ** 2;
    }
  }
  return { d2, init: uniform(52, n * 2) };
}

export interface CityReference {
  losses: Float64Array; // the loss before each step
  positions: Float64Array[]; // positions after each step (index k = after k+1 steps)
}

export function w5Reference(d: CityData, steps = W5.steps): CityReference {
  const n = W5.cities;
  const x = Float64Array.from(d.init);
  const g = new Float64Array(n * 2);
  const e = new Float64Array(n * n);
  const losses = new Float64Array(steps);
  const positions: Float64Array[] = [];
  for (let t = 0; t < steps; t++) {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const ni = x[2 * i] ** 2 + x[2 * i + 1] ** 2;
        const nj = x[2 * j] ** 2 + x[2 * j + 1] ** 2;
        const s = ni + nj - 2 * (x[2 * i] * x[2 * j] + x[2 * i + 1] * x[2 * j + 1]);
        e[i * n + j] = s - d.d2[i * n + j];
        loss += e[i * n + j] ** 2;
      }
    }
    losses[t] = loss / 2;
    // dL/dS_ij = e_ij; dS_ij/dx_i = 2(x_i − x_j) (both for row i and column i: E is symmetric)
    g.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const c = 2 * (e[i * n + j] + e[j * n + i]);
        g[2 * i] += c * (x[2 * i] - x[2 * j]);
        g[2 * i + 1] += c * (x[2 * i + 1] - x[2 * j + 1]);
      }
    }
    for (let k = 0; k < 2 * n; k++) x[k] -= W5.lr * g[k];
    positions.push(Float64Array.from(x));
  }
  return { losses, positions };
}

// ---------------------------------------------------------------- W6 (per-example gradients)

export const W6 = { batch: 4096, features: 64 };

export interface LinearData {
  w: Float32Array; // [F]
  x: Float32Array; // [B, F]
  y: Float32Array; // [B]
}

export function w6Data(): LinearData {
  const { batch: B, features: F } = W6;
  return { w: randn(61, F).map((v) => v / 8), x: randn(62, B * F), y: randn(63, B) };
}

/** Per-example gradient of (x·w − y)² with respect to w: 2(x·w − y)x, shape [B, F]. */
export function w6Reference({ w, x, y }: LinearData): Float64Array {
  const { batch: B, features: F } = W6;
  const out = new Float64Array(B * F);
  for (let b = 0; b < B; b++) {
    let dot = 0;
    for (let f = 0; f < F; f++) dot += x[b * F + f] * w[f];
    const r = 2 * (dot - y[b]);
    for (let f = 0; f < F; f++) out[b * F + f] = r * x[b * F + f];
  }
  return out;
}

// ---------------------------------------------------------------- W7: mat-vec

export const W7 = { rows: 4096, features: 64 };

export interface MatvecData {
  x: Float32Array; // [rows, features]
  w: Float32Array; // [features] (a [features, 1] column)
}

export function w7Data(): MatvecData {
  const { rows, features } = W7;
  return { x: randn(71, rows * features), w: randn(72, features).map((v) => v / 8) };
}

export function w7Reference({ x, w }: MatvecData): Float64Array {
  const { rows, features: F } = W7;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let f = 0; f < F; f++) s += x[i * F + f] * w[f];
    out[i] = s;
  }
  return out;
}

// ---------------------------------------------------------------- checks

/** null when |got − want| ≤ atol + rtol·|want| everywhere, else the first bad index. */
export function allclose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number): string | null {
  if (got.length !== want.length) return `expected ${want.length} values, got ${got.length}`;
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) return `[${i}] = ${got[i]}, expected ${want[i]}`;
  }
  return null;
}

// ---------------------------------------------------------------- cache

/** FNV-1a over the bytes of some arrays and a string: a key for {@link cached}. */
export function fingerprint(label: string, ...arrays: ArrayBufferView[]): string {
  let h = 0x811c9dc5;
  const mix = (b: number) => {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (let i = 0; i < label.length; i++) mix(label.charCodeAt(i) & 0xff);
  for (const a of arrays) {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (let i = 0; i < bytes.length; i++) mix(bytes[i]);
  }
  return h.toString(16).padStart(8, "0");
}

/**
 * A float64 reference computed once per machine: kept in the OS temp folder
 * under a key that hashes the inputs and settings, so every bench process
 * (one per library) reads it instead of recomputing it.
 */
export function cached(name: string, key: string, compute: () => Float64Array): Float64Array {
  const file = path.join(os.tmpdir(), `jaxon-bench-${name}-${key}.json`);
  if (existsSync(file)) {
    try {
      return Float64Array.from(JSON.parse(readFileSync(file, "utf8")) as number[]);
    } catch {
      // recompute below
    }
  }
  const v = compute();
  try {
    writeFileSync(file, JSON.stringify(Array.from(v)));
  } catch {
    // a cache that cannot be written only costs time
  }
  return v;
}
