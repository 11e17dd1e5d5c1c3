/**
 * WebGPU and the 8- and 16-bit integers stored packed (src/backend/webgpu/small-ints.ts),
 * interleaved A/B in one process, medians:
 *
 * - transfers of uint8: an upload plus a readback of N elements as a plain copy of the
 *   packed bytes, against the former path (same bytes moved, then widened to one value per
 *   word by a kernel on upload, packed by one on readback);
 * - uint8 elementwise kernels on the device (a normalise to float32, and an augmentation
 *   back to uint8) run packed (each thread stores whole words) against the wide form
 *   between a widen and a pack (`setPackedKernels(false)`, what every routine does).
 *
 * On lavapipe "device" memory is host memory, so this measures copies and dispatches, not a bus.
 *
 * Run: `XDG_RUNTIME_DIR=/tmp npx tsx bench/small-int-transfers.ts`
 */
import { devicePut, init, jit, numpy as np } from "../src/index.js";
import type { Array as JArray } from "../src/index.js";
import { read, release, upload } from "../src/backend/webgpu/buffers.js";
import { pack, widen } from "../src/backend/webgpu/small-ints.js";
import { device } from "../src/backend/webgpu/context.js";
import { setPackedKernels } from "../src/backend/webgpu/index.js";

const devices = await init({ allowSoftwareAdapter: true });
if (!devices.includes("webgpu")) {
  console.log(`skipped: no WebGPU adapter (${devices.reason})`);
  process.exit(0);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const n of [1 << 16, 1 << 22]) {
  const host = Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);
  const before: number[] = [];
  const after: number[] = [];
  for (let rep = 0; rep < 9; rep++) {
    let t = performance.now();
    const a = upload(host, "uint8");
    const w = widen(a, "uint8");
    release(a);
    const p = pack(w, "uint8", n);
    release(w);
    await read(p, "uint8", n);
    release(p);
    before.push(performance.now() - t);
    t = performance.now();
    const b = upload(host, "uint8");
    await read(b, "uint8", n);
    release(b);
    after.push(performance.now() - t);
  }
  console.log(`uint8 n=${n} upload+readback: widened storage ${median(before).toFixed(2)} ms, packed storage ${median(after).toFixed(2)} ms (${(median(before) / median(after)).toFixed(2)}×)`);
}

const normalise = jit((x: JArray) => x.astype("float32").sub(0.1307).div(0.3081) as JArray);
const augment = jit((x: JArray) => np.clip(x.astype("float32").mul(1.2).add(10), 0, 255).astype("uint8") as JArray);
for (const n of [1 << 16, 1 << 22]) {
  const x = devicePut(np.array(Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24)), "webgpu") as JArray;
  for (const [name, f] of [["normalise uint8→float32", normalise], ["augment uint8→uint8", augment]] as const) {
    const wide: number[] = [];
    const packed: number[] = [];
    for (let rep = 0; rep < 9; rep++) {
      for (const on of rep % 2 ? [true, false] : [false, true]) {
        setPackedKernels(on);
        const t = performance.now();
        let y = x;
        // 8 kernels back to back, one sync at the end
        for (let k = 0; k < 8; k++) {
          const z = f(x);
          if (y !== x) y.dispose();
          y = z;
        }
        await y.data();
        y.dispose();
        (on ? packed : wide).push(performance.now() - t);
      }
    }
    console.log(`${name} n=${n} ×8: wide between widen/pack ${median(wide).toFixed(2)} ms, packed kernel ${median(packed).toFixed(2)} ms (${(median(wide) / median(packed)).toFixed(2)}×)`);
  }
}
setPackedKernels(true);
device().destroy();
