/**
 * The GPU's side of the "physical limits" block (run.ts with `--gpu`; alone:
 * `XDG_RUNTIME_DIR=/tmp npx tsx bench/gpu-limits.ts`): the adapter the
 * `webgpu` package (Dawn) hands out, as its info names it, and the device's
 * copy bandwidth, measured with a plain WGSL copy kernel over buffers far
 * larger than any cache (256 MiB on a hardware adapter; 32 MiB on a software
 * one, where it measures the host's memory through lavapipe).
 *
 * Timing is wall-clock around one submission of many copies, best of several
 * rounds, after a warm-up round: per-pass overheads are part of it, so the
 * figure is a lower bound on the device's bandwidth, as the CPU's stream copy
 * is one for the host's.
 */
import { nodeNavigatorGpu } from "./libs/node-webgpu.js";

export interface GpuLimits {
  /** vendor, architecture, device, description: what the adapter's info says. */
  adapter: string;
  /** The adapter says it is a software one, or its name is a CPU rasterizer's. */
  software: boolean;
  /** GB/s, bytes read + written, of the WGSL copy kernel. */
  copyGBs: number;
  /** The bytes each copy read (and wrote). */
  bytes: number;
}

const WORKGROUP = 256;
const GROUPS = 4096;

/** The copy kernel: vec4<f32> per step, a grid-stride loop over the buffer. */
const COPY_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let n = arrayLength(&src);
  for (var i = id.x; i < n; i += ${WORKGROUP * GROUPS}u) {
    dst[i] = src[i];
  }
}`;

/** The adapter's name and the device's copy bandwidth; null (with the reason on stderr) where there is no adapter. */
export async function measureGpuLimits(): Promise<GpuLimits | null> {
  let gpu: GPU;
  try {
    gpu = await nodeNavigatorGpu();
  } catch (e) {
    process.stderr.write(`gpu-limits: the webgpu package did not load: ${(e as Error).message}\n`);
    return null;
  }
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) {
    process.stderr.write("gpu-limits: no WebGPU adapter\n");
    return null;
  }
  const info = (adapter as unknown as { info?: Record<string, unknown> }).info ?? {};
  const name = ["vendor", "architecture", "device", "description"].map((k) => info[k]).filter(Boolean).join(" ") || "unknown adapter";
  const software =
    (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
    info.isFallbackAdapter === true ||
    /lavapipe|llvmpipe|swiftshader/i.test(name);
  const want = (software ? 32 : 256) * 2 ** 20;
  const bytes = Math.min(want, adapter.limits.maxStorageBufferBindingSize, adapter.limits.maxBufferSize) & ~15;
  const device = await adapter.requestDevice({
    requiredLimits: { maxStorageBufferBindingSize: bytes, maxBufferSize: bytes },
  });
  try {
    const src = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    const dst = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE });
    device.queue.writeBuffer(src, 0, new Float32Array(bytes / 4).fill(1));
    const pipeline = device.createComputePipeline({
      layout: "auto",
      compute: { module: device.createShaderModule({ code: COPY_WGSL }), entryPoint: "main" },
    });
    const group = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: src } },
        { binding: 1, resource: { buffer: dst } },
      ],
    });
    const round = async (copies: number): Promise<number> => {
      const enc = device.createCommandEncoder();
      for (let k = 0; k < copies; k++) {
        const pass = enc.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(GROUPS);
        pass.end();
      }
      const t0 = performance.now();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    const copies = software ? 4 : 40;
    await round(2); // compiles, and wakes the clocks
    let best = Infinity;
    for (let r = 0; r < 5; r++) best = Math.min(best, await round(copies));
    src.destroy();
    dst.destroy();
    return { adapter: name, software, copyGBs: (2 * bytes * copies) / (best * 1e6), bytes };
  } finally {
    device.destroy();
  }
}

// alone (the file's name too: bundled, every module shares the bundle's import.meta.url)
if (import.meta.url === `file://${process.argv[1]}` && /gpu-limits\.[tj]s$/.test(process.argv[1])) {
  const l = await measureGpuLimits();
  if (l) console.log(`${l.adapter}${l.software ? " (software)" : ""}: copy ${l.copyGBs.toFixed(1)} GB/s (read + write, ${l.bytes / 2 ** 20} MiB buffers)`);
  process.exit(0);
}
