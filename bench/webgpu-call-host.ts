/**
 * Its own run (`XDG_RUNTIME_DIR=/tmp npx tsx bench/webgpu-call-host.ts <bundle>… [--rounds=N] [--rows=R]`):
 * the host time of issue 17's W7 call on WebGPU — a jitted mat-vec [R, 64]·[64, 1] (R = 64 by
 * default, so that the device's work is small beside the host's), alone (32 calls, no read: the
 * jitted call path and its encoding) and with `await y.data()` (the readback round trip), in each
 * jaxon bundle given (this tree's and an older commit's, built as bench/README.md says),
 * alternating in one process; each answer checked against float64 sums. Prints the 25th
 * percentile and the median µs per call and their ratios to the first bundle's.
 */
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 40);
const R = Number(args.find((a) => a.startsWith("--rows="))?.slice(7) ?? 64);
const F = 64;
const paths = args.filter((a) => !a.startsWith("--"));
if (paths.length === 0) throw new Error("usage: npx tsx bench/webgpu-call-host.ts <bundle.mjs> [<bundle.mjs>…] [--rounds=N] [--rows=R]");
const xs = new Float32Array(R * F).map((_, i) => Math.sin(i));
const ws = new Float32Array(F).map((_, i) => Math.cos(i));
const want = new Float64Array(R);
for (let i = 0; i < R; i++) for (let p = 0; p < F; p++) want[i] += xs[i * F + p] * ws[p];

type Lib = { path: string; call: () => void; read: () => Promise<void> };
const libs: Lib[] = [];
for (const path of paths) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const J: any = await import(pathToFileURL(path).href);
  const devices = await J.init({ allowSoftwareAdapter: true });
  if (!devices.includes("webgpu")) throw new Error(`${path}: no WebGPU adapter (${devices.reason})`);
  const np = J.numpy;
  const x = J.devicePut(np.array(xs, { dtype: "float32" }).reshape([R, F]), "webgpu");
  const w = J.devicePut(np.array(ws, { dtype: "float32" }).reshape([F, 1]), "webgpu");
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const f = J.jit((a: any, b: any) => np.matmul(a, b));
  const check = (y: ArrayLike<number>) => {
    for (let i = 0; i < R; i++) if (!(Math.abs(y[i] - want[i]) <= 1e-4 * (1 + Math.abs(want[i])))) throw new Error(`${path}: row ${i}: ${y[i]}, float64 ${want[i]}`);
  };
  let reads = 0;
  libs.push({
    path,
    call: () => f(x, w).dispose(),
    read: async () => {
      const y = f(x, w);
      const d = await y.data();
      // every 64th answer checked: the check is host work of its own
      if (reads++ % 64 === 0) check(d);
      y.dispose();
    },
  });
}

const calls = libs.map(() => [] as number[]);
const readsT = libs.map(() => [] as number[]);
for (let r = 0; r < rounds; r++)
  for (let k = 0; k < libs.length; k++) {
    const i = (k + r) % libs.length;
    const l = libs[i];
    await l.read();
    let t0 = performance.now();
    for (let j = 0; j < 32; j++) l.call();
    calls[i].push(((performance.now() - t0) / 32) * 1000);
    await l.read(); // the calls' work submitted and done before the reads are timed
    t0 = performance.now();
    for (let j = 0; j < 32; j++) await l.read();
    readsT[i].push(((performance.now() - t0) / 32) * 1000);
  }
const q = (a: number[], f: number) => [...a].sort((p, s) => p - s)[Math.floor(a.length * f)];
for (const [name, t] of [["jitted call, no read", calls], ["jitted call + await data()", readsT]] as const) {
  console.log(`${name} ([${R}, ${F}]·[${F}, 1], µs per call)`);
  libs.forEach((l, i) =>
    console.log(
      `  ${l.path.padEnd(30)} p25 ${q(t[i], 0.25).toFixed(1)}  median ${q(t[i], 0.5).toFixed(1)}  ` +
        `p25/first ${(q(t[i], 0.25) / q(t[0], 0.25)).toFixed(3)}  median/first ${(q(t[i], 0.5) / q(t[0], 0.5)).toFixed(3)}`,
    ),
  );
}
process.exit(0);
