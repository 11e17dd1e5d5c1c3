/**
 * lax.linalg and np.linalg against real JAX (fixtures from
 * test/fixtures/linalg/gen.py: LAPACK through jaxlib, JAX 0.10.2).
 *
 * - float64: every output within 1e-9 of JAX's (relative to the output's
 *   largest magnitude; looser where a case says, for ill-conditioned inputs),
 *   NaN and ±inf where JAX has them (singular solves, non-PD Cholesky).
 * - float32: jaxon's result on the CPU and on WebGPU, and JAX's own float32
 *   result, are all measured against JAX's float64 result on the same rounded
 *   inputs; jaxon must be within max(2 × JAX's float32 error, 2e-5) on the CPU
 *   and max(8 × JAX's, 2e-4) on WebGPU (f32 arithmetic in one thread per matrix).
 *   The worst ratios are printed.
 * - jvp: jaxon's jvp against jax.jvp for one tangent direction (float64).
 *
 * CPU cases run with the CPU as the default device (constants jaxon makes
 * go to the default device, and WebGPU has no float64).
 *
 * Eigen- and singular vectors are compared after fixing each vector's sign
 * (its largest component positive), on both sides.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Array, devicePut, jvp, lax, np, type Value } from "../src/index.js";
import { getBackend } from "../src/backend/device.js";
import { allocate, type DType } from "../src/dtype.js";
import { onCpuAsync, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("linalg-jax.test.ts");

type Enc = number | "nan" | "inf" | "-inf";
interface Tensor {
  shape: number[];
  dtype: string;
  data: Enc[];
}
interface Case {
  fn: string;
  opts: Record<string, unknown>;
  dtype: "float32" | "float64";
  args: Tensor[];
  out: Tensor[];
  truth?: Tensor[];
  tangents?: Tensor[];
  tout?: Tensor[];
  jvp?: boolean;
  /** An exactly singular input to cond: any value past 1e6 (inf included) is right. */
  huge?: boolean;
  signs?: [number, number][];
  tol?: number;
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/linalg/cases.json", import.meta.url), "utf8")) as { cases: Case[] };

const dec = (v: Enc) => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v);
const ord = (o: unknown) => (o === "inf" ? Infinity : o === "-inf" ? -Infinity : o);

function toArray(t: Tensor, dtype: DType, device: "cpu" | "webgpu" = "cpu"): Array {
  const data = allocate(dtype, t.data.length);
  t.data.forEach((v, i) => (data[i] = dec(v)));
  const a = Array.fromTyped(data, t.shape, dtype, false, getBackend("cpu"));
  return device === "cpu" ? a : devicePut(a, "webgpu");
}

type Fn = (args: Value[], o: Record<string, unknown>) => Value[];
const L = lax.linalg;
const nl = np.linalg;
const fns: Record<string, Fn> = {
  "lax.cholesky": ([x]) => [L.cholesky(x)],
  "lax.triangularSolve": ([a, b], o) => [L.triangularSolve(a, b, o)],
  "lax.lu": ([x]) => L.lu(x),
  "lax.qr": ([x], o) => L.qr(x, o),
  "lax.eigh": ([x]) => L.eigh(x),
  "lax.svd": ([x], o) => L.svd(x, { fullMatrices: o.fullMatrices as boolean }),
  "lax.svd.s": ([x]) => [L.svd(x, { computeUv: false })],
  cholesky: ([x], o) => [nl.cholesky(x, o)],
  qr: ([x], o) => (o.mode === "r" ? [nl.qr(x, "r")] : nl.qr(x, o.mode as "reduced")),
  svd: ([x], o) => nl.svd(x, { fullMatrices: o.fullMatrices as boolean }),
  svdvals: ([x]) => [nl.svdvals(x)],
  eigvalsh: ([x]) => [nl.eigvalsh(x)],
  eigh: ([x], o) => nl.eigh(x, o.UPLO as "U", { symmetrizeInput: o.symmetrizeInput as boolean }),
  solve: ([a, b]) => [nl.solve(a, b)],
  inv: ([x]) => [nl.inv(x)],
  det: ([x]) => [nl.det(x)],
  slogdet: ([x]) => nl.slogdet(x),
  "slogdet.logdet": ([x]) => [nl.slogdet(x)[1]],
  lstsq: ([a, b], o) => nl.lstsq(a, b, o.rcond as number | undefined),
  pinv: ([x], o) => [nl.pinv(x, o.rtol as number | undefined)],
  matrixPower: ([x], o) => [nl.matrixPower(x, o.n as number)],
  matrixRank: ([x], o) => [nl.matrixRank(x, o.rtol as number | undefined)],
  multiDot: (xs) => [nl.multiDot(xs)],
  cond: ([x], o) => [nl.cond(x, ord(o.p) as number)],
  vectorNorm: ([x], o) => [nl.vectorNorm(x, { ord: ord(o.ord) as number, axis: o.axis as number, keepdims: o.keepdims as boolean })],
  matrixNorm: ([x], o) => [nl.matrixNorm(x, { ord: ord(o.ord) as number })],
  norm: ([x], o) => [nl.norm(x, ord(o.ord) as number, (o.axis as number[]) ?? null, { keepdims: (o.keepdims as boolean) ?? false })],
  cross: ([a, b], o) => [nl.cross(a, b, (o.axis as number) ?? -1)],
  outer: ([a, b]) => [nl.outer(a, b)],
  trace: ([x], o) => [nl.trace(x, o.offset as number)],
  diagonal: ([x], o) => [nl.diagonal(x, o.offset as number)],
  matrixTranspose: ([x]) => [nl.matrixTranspose(x)],
  vecdot: ([a, b], o) => [nl.vecdot(a, b, (o.axis as number) ?? -1)],
  tensorinv: ([x], o) => [nl.tensorinv(x, o.ind as number)],
  tensorsolve: ([a, b]) => [nl.tensorsolve(a, b)],
};

/** Flips each vector (column: kind 1, row: kind 0) of the listed outputs so that the first output's largest component is positive. */
function fixSigns(outs: number[][], shapes: number[][], signs: [number, number][] | undefined, extra: number[][] = []): void {
  if (!signs) return;
  const [lead, kind] = signs[0];
  const s = shapes[lead];
  const rows = s[s.length - 2];
  const cols = s[s.length - 1];
  const batch = outs[lead].length / (rows * cols);
  const count = kind === 1 ? cols : rows;
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < count; j++) {
      let best = 0;
      const len = kind === 1 ? rows : cols;
      for (let i = 0; i < len; i++) {
        const v = outs[lead][b * rows * cols + (kind === 1 ? i * cols + j : j * cols + i)];
        if (Math.abs(v) > Math.abs(best) + 1e-9) best = v;
      }
      if (best >= 0) continue;
      for (const [k, kk] of signs) {
        const sk = shapes[k];
        const r = sk[sk.length - 2];
        const c = sk[sk.length - 1];
        for (const arrs of [outs, ...(extra.length ? [extra] : [])]) {
          const data = arrs[k];
          const n = kk === 1 ? r : c;
          if (j >= (kk === 1 ? c : r)) continue;
          for (let i = 0; i < n; i++) data[b * r * c + (kk === 1 ? i * c + j : j * c + i)] *= -1;
        }
      }
    }
  }
}

/** Largest difference relative to the reference's largest finite magnitude (at least 1); non-finite values must match exactly. */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i])) scale = Math.max(scale, Math.abs(want[i]));
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (!Number.isFinite(w) || !Number.isFinite(g)) {
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w))) return Infinity;
      continue;
    }
    err = Math.max(err, Math.abs(g - w) / scale);
  }
  return err;
}

const values = (t: Tensor) => t.data.map(dec);
const label = (c: Case, i: number) => `${c.fn} ${JSON.stringify(c.opts)} ${c.args.map((a) => `[${a.shape}]`).join(" ")} ${c.dtype}${c.jvp ? " jvp" : ""} #${i}`;

const plain = fixture.cases.map((c, i) => [label(c, i), c] as const).filter(([, c]) => !c.jvp);
const jvps = fixture.cases.map((c, i) => [label(c, i), c] as const).filter(([, c]) => c.jvp);
const worst = { cpu: { ratio: 0, at: "" }, webgpu: { ratio: 0, at: "" }, jaxErr: 0 };
/** Per function: the largest float32 error (relative, against float64) of JAX, jaxon's CPU and jaxon's WebGPU. */
const byFn = new Map<string, { jax: number; cpu: number; webgpu: number }>();
const note = (fn: string, key: "jax" | "cpu" | "webgpu", err: number) => {
  const e = byFn.get(fn) ?? { jax: 0, cpu: 0, webgpu: NaN };
  e[key] = Number.isNaN(e[key]) ? err : Math.max(e[key], err);
  byFn.set(fn, e);
};

async function outputsOf(outs: Value[]): Promise<number[][]> {
  return Promise.all(outs.map(async (o) => globalThis.Array.from(await o.data(), Number)));
}

function compare(c: Case, got: Value[], gotData: number[][], expected: Tensor[], tol: number): number {
  expect(got.length).toBe(expected.length);
  got.forEach((g, k) => {
    expect(g.shape).toEqual(expected[k].shape);
    const dt = expected[k].dtype.startsWith("int") ? "int32" : expected[k].dtype === "bool" ? "bool" : c.dtype;
    expect(g.dtype).toBe(dt);
  });
  const want = expected.map(values);
  fixSigns(gotData, expected.map((e) => e.shape), c.signs);
  fixSigns(want, expected.map((e) => e.shape), c.signs);
  let err = 0;
  gotData.forEach((g, k) => (err = Math.max(err, relErr(g, want[k]))));
  expect(err, `largest relative error ${err}`).toBeLessThanOrEqual(tol);
  return err;
}

describe("against JAX (CPU)", () => {
  it.each(plain)("%s", (_name, c) => onCpuAsync(async () => {
    const dtype = c.dtype;
    const got = fns[c.fn](c.args.map((a) => toArray(a, dtype)), c.opts);
    const data = await outputsOf(got);
    if (c.huge) {
      expect(data[0][0]).toBeGreaterThan(1e6);
      return;
    }
    if (dtype === "float64") {
      compare(c, got, data, c.out, c.tol ?? 1e-9);
      return;
    }
    // float32: measured against float64 truth, within twice JAX's own float32 error
    const truth = c.truth!.map(values);
    const jax32 = c.out.map(values);
    fixSigns(jax32, c.out.map((e) => e.shape), c.signs);
    fixSigns(truth, c.out.map((e) => e.shape), c.signs);
    let jaxErr = 0;
    jax32.forEach((j, k) => (jaxErr = Math.max(jaxErr, relErr(j, truth[k]))));
    worst.jaxErr = Math.max(worst.jaxErr, jaxErr);
    const tol = Math.max(2 * jaxErr, 2e-5);
    const err = compare(c, got, data, c.truth!, tol);
    note(c.fn, "jax", jaxErr);
    note(c.fn, "cpu", err);
    if (err / tol > worst.cpu.ratio) worst.cpu = { ratio: err / tol, at: `${_name}: ${err.toExponential(2)} vs JAX ${jaxErr.toExponential(2)}` };
  }));
});

describe.skipIf(!hasGpu)("against JAX (WebGPU, float32)", () => {
  const f32 = plain.filter(([, c]) => c.dtype === "float32");
  it.each(f32)("%s", async (_name, c) => {
    const got = fns[c.fn](c.args.map((a) => toArray(a, "float32", "webgpu")), c.opts);
    for (const g of got) expect((g as Array).backend.name).toBe("webgpu");
    const data = await outputsOf(got);
    if (c.huge) {
      expect(data[0][0]).toBeGreaterThan(1e6);
      return;
    }
    const truth = c.truth!.map(values);
    const jax32 = c.out.map(values);
    fixSigns(jax32, c.out.map((e) => e.shape), c.signs);
    fixSigns(truth, c.out.map((e) => e.shape), c.signs);
    let jaxErr = 0;
    jax32.forEach((j, k) => (jaxErr = Math.max(jaxErr, relErr(j, truth[k]))));
    const tol = Math.max(8 * jaxErr, 2e-4);
    const err = compare(c, got, data, c.truth!, tol);
    note(c.fn, "webgpu", err);
    if (err / tol > worst.webgpu.ratio) worst.webgpu = { ratio: err / tol, at: `${_name}: ${err.toExponential(2)} vs JAX ${jaxErr.toExponential(2)}` };
  });
});

describe("jvp against jax.jvp (float64)", () => {
  it.each(jvps)("%s", (_name, c) => onCpuAsync(async () => {
    const f = (...xs: Value[]) => fns[c.fn](xs, c.opts).slice(0, c.out.length);
    const [outs, touts] = jvp(f, c.args.map((a) => toArray(a, "float64")), c.tangents!.map((a) => toArray(a, "float64"))) as [Value[], Value[]];
    const got = await outputsOf(outs);
    const gotT = await outputsOf(touts);
    const want = c.out.map(values);
    const wantT = c.tout!.map(values);
    const shapes = c.out.map((e) => e.shape);
    // a vector's tangent flips with it
    fixSigns(got, shapes, c.signs, gotT);
    fixSigns(want, shapes, c.signs, wantT);
    got.forEach((g, k) => expect(relErr(g, want[k])).toBeLessThan(1e-9));
    gotT.forEach((g, k) => expect(relErr(g, wantT[k]), `tangent ${k}`).toBeLessThan(1e-8));
  }));
});

describe("summary", () => {
  it("prints the worst float32 error ratios", () => {
    console.log(
      `linalg float32 vs JAX: largest JAX float32 error ${worst.jaxErr.toExponential(2)}; worst CPU ratio to its tolerance ${worst.cpu.ratio.toFixed(3)} (${worst.cpu.at}); ` +
        `worst WebGPU ratio ${worst.webgpu.ratio.toFixed(3)} (${worst.webgpu.at || "not run"})`,
    );
    const rows = [...byFn].map(([fn, e]) => `  ${fn.padEnd(20)} JAX ${e.jax.toExponential(1)}  cpu ${e.cpu.toExponential(1)}  webgpu ${e.webgpu.toExponential(1)}`);
    console.log(`largest float32 error per function, relative to the output's largest magnitude, against float64:\n${rows.join("\n")}`);
    expect(worst.cpu.ratio).toBeLessThanOrEqual(1);
  });
});
