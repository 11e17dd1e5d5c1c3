/**
 * WebGPU transfers of uint8 data: an upload plus a readback of N elements,
 * one value per 32-bit word moved as words (widened/narrowed on the host)
 * against packed four to a word (widened/packed by a kernel on the device),
 * interleaved, medians. On lavapipe "device" memory is host memory, so this
 * measures the copies and the extra dispatch, not a PCIe bus.
 *
 * Run: `XDG_RUNTIME_DIR=/tmp npx tsx bench/small-int-transfers.ts`
 */
import { init } from "../src/index.js";
import { read, release, upload } from "../src/backend/webgpu/buffers.js";
import { readPacked, uploadPacked } from "../src/backend/webgpu/small-ints.js";
import { device } from "../src/backend/webgpu/context.js";

const devices = await init({ allowSoftwareAdapter: true });
if (!devices.includes("webgpu")) {
  console.log(`skipped: no WebGPU adapter (${devices.reason})`);
  process.exit(0);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const n of [1 << 16, 1 << 22]) {
  const host = Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);
  const words: number[] = [];
  const packed: number[] = [];
  for (let rep = 0; rep < 9; rep++) {
    let t = performance.now();
    const a = upload(host, "uint8");
    await read(a, "uint8", n);
    release(a);
    words.push(performance.now() - t);
    t = performance.now();
    const b = uploadPacked(host, "uint8");
    await readPacked(b, "uint8", n);
    release(b);
    packed.push(performance.now() - t);
  }
  console.log(`uint8 n=${n} upload+readback: words ${median(words).toFixed(2)} ms, packed ${median(packed).toFixed(2)} ms (${(median(words) / median(packed)).toFixed(2)}×)`);
}
device().destroy();
