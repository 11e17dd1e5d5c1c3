/**
 * `npm run bench [-- FILTER...]`: jaxon against its peers on the workloads of
 * workloads.ts, every answer checked against float64 before it is timed.
 *
 * Filters: an argument starting with W picks workloads by id prefix ("W2",
 * "W3"); any other picks targets by substring of "library/backend" ("tfjs",
 * "jax-js/wasm", "jaxon"); a trailing "$" asks for the whole id ("W1$", "jaxon/webgpu$"). `--quick` shortens every budget (smoke runs).
 * jaxon is bundled first as the package build does (bench/libs/jaxon.ts);
 * `--src` adds the target jaxon/cpu-src, jaxon loaded from src/ through tsx
 * (as before), and `--before=<bundle>` the targets jaxon/cpu-before and
 * jaxon/webgpu-before, another bundle of bench/libs/jaxon-entry.ts (an older
 * commit's), for before/after in one run. A target filter starting with "="
 * picks that target alone ("=jaxon/webgpu", not jaxon/webgpu-unfused).
 *
 * For a lent GPU (bench/gpu/): `--gpu` adds the cases only a real GPU runs
 * (W2 n=4096 on the WebGPU rows), the adapter's name and its copy bandwidth
 * (gpu-limits.ts, with each WebGPU row of a case that declares its bytes as a
 * fraction of it), and a budget between --quick and the full one;
 * `--deadline=S` spreads S seconds over the targets (a target's share that is
 * spent skips its remaining cases); `--out=DIR` writes results.json there.
 *
 * Each target runs in its own child process (this file with --child), driven
 * case by case: a case that overruns its time limit is killed and reported as
 * TIMEOUT, and the target goes on in a fresh process. Libraries don't share a
 * heap, and a hang or crash costs one row, not the run.
 *
 * Prints a table to stdout (progress goes to stderr) and writes bench/results.json.
 */
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Adapter, Budget, Row } from "./harness.js";
import type { Limits } from "./limits.js";
import { firstLine, SYNC_EVERY } from "./harness.js";
import { bestLimits, measureLimits } from "./limits.js";
import type { GpuLimits } from "./gpu-limits.js";
import { measureGpuLimits } from "./gpu-limits.js";
import { jaxjs } from "./libs/jaxjs.js";
import { BUNDLE_ENV, buildJaxon, jaxon, removeBuild } from "./libs/jaxon.js";
import { tfjs } from "./libs/tfjs.js";
import type { Case, Outcome } from "./workloads.js";
import { CASES, caseKey, higherIsBetter } from "./workloads.js";

/**
 * The targets, in table order; "vs jaxon" compares with the jaxon row of the
 * same device class (cpu/wasm rows with jaxon/cpu, webgpu rows with
 * jaxon/webgpu). Adding a backend is one entry here. A target whose backend
 * cannot start throws in init(): its rows read FAILED with the reason (e.g.
 * webgpu rows on a machine without an adapter).
 */
const TARGETS: Record<string, () => Adapter> = {
  "jaxon/cpu": () => jaxon("cpu"),
  "jaxon/cpu-src": () => jaxon("cpu", { src: true }),
  "jaxon/cpu-before": () => jaxon("cpu", { bundle: process.env.JAXON_BENCH_BEFORE ?? "", label: "-before" }),
  "jax-js/cpu": () => jaxjs("cpu"),
  "jax-js/wasm": () => jaxjs("wasm"),
  "tfjs/cpu": () => tfjs("cpu"),
  "tfjs/wasm": () => tfjs("wasm"),
  "jaxon/webgpu": () => jaxon("webgpu"),
  "jaxon/webgpu-unfused": () => jaxon("webgpu", { fusion: false }),
  "jaxon/webgpu-before": () => jaxon("webgpu", { bundle: process.env.JAXON_BENCH_BEFORE ?? "", label: "-before" }),
  "jax-js/webgpu": () => jaxjs("webgpu"),
  "tfjs/webgpu": () => tfjs("webgpu"),
};

const BASELINE = "jaxon";

const BUDGETS: Record<"full" | "gpu" | "quick", Budget & { caseLimitMs: number; initLimitMs: number }> = {
  full: { warmupMs: 400, timedMs: 1200, trainCapMs: 3000, caseLimitMs: 15000, initLimitMs: 60000 },
  // a lent GPU's minutes are few (bench/gpu/): calls there take micro- to milliseconds, so 0.6 s still
  // gives hundreds of samples
  gpu: { warmupMs: 200, timedMs: 600, trainCapMs: 1500, caseLimitMs: 12000, initLimitMs: 60000 },
  quick: { warmupMs: 30, timedMs: 150, trainCapMs: 300, caseLimitMs: 8000, initLimitMs: 60000 },
};

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

// ---------------------------------------------------------------- child: one target

type ToChild = { run: string } | { exit: true };
type FromChild = { ready: true } | { initError: string } | { outcome: Outcome };

async function child(target: string, budget: Budget) {
  const send = (m: FromChild) => process.send!(m);
  const adapter = TARGETS[target]();
  try {
    await adapter.init();
  } catch (e) {
    send({ initError: firstLine(e) });
    return;
  }
  send({ ready: true });
  process.on("message", async (m: ToChild) => {
    if ("exit" in m) {
      await adapter.teardown?.().catch(() => {});
      process.exit(0);
    }
    const c = CASES.find((c) => caseKey(c) === m.run)!;
    let outcome: Outcome;
    try {
      outcome = await c.run(adapter, budget);
    } catch (e) {
      outcome = { status: "FAILED", error: firstLine(e) };
      process.stderr.write(`\n  ${e instanceof Error ? (e.stack ?? e.message).split("\n").slice(0, 5).join("\n  ") : String(e)}\n`);
    }
    const note = [adapter.notes?.[caseKey(c)] ?? adapter.notes?.[c.workload], outcome.note].filter(Boolean).join("; ") || undefined;
    send({ outcome: { ...outcome, note } });
  });
}

// ---------------------------------------------------------------- parent

class TargetProcess {
  private proc: ChildProcess;
  private waiting: ((m: FromChild | { exited: string }) => void) | null = null;
  private queue: (FromChild | { exited: string })[] = [];

  constructor(target: string, budget: Budget) {
    this.proc = fork(fileURLToPath(import.meta.url), [`--child=${target}`, `--budget=${JSON.stringify(budget)}`], {
      execArgv: process.execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.proc.on("message", (m: FromChild) => this.deliver(m));
    this.proc.on("exit", (code, signal) => this.deliver({ exited: signal ?? `code ${code}` }));
  }

  private deliver(m: FromChild | { exited: string }) {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w(m);
    } else this.queue.push(m);
  }

  /** The next message, or "timeout" after `ms`. */
  next(ms: number): Promise<FromChild | { exited: string } | "timeout"> {
    if (this.queue.length) return Promise.resolve(this.queue.shift()!);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        resolve("timeout");
      }, ms);
      this.waiting = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
    });
  }

  send(m: ToChild) {
    this.proc.send(m);
  }

  kill() {
    this.proc.kill("SIGKILL");
  }

  async close() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.send({ exit: true });
    if ((await this.next(5000)) === "timeout") this.kill();
  }
}

/** Skip a case when a smaller case of the same workload predicts it past the limit (or itself ran out). */
function predictSkip(c: Case, done: Row[], limitMs: number): string | null {
  const scale = c.scale;
  if (scale === undefined) return null;
  const prev = done.filter((r) => r.workload === c.workload && r.scale !== undefined && r.scale < scale).at(-1);
  if (!prev) return null;
  if (prev.status === "TIMEOUT" || prev.status === "skipped") return `${prev.case} did not finish`;
  if (prev.status !== "ok" || prev.msPerUnit === undefined) return null;
  const predicted = (prev.msPerUnit * scale) / prev.scale!;
  return predicted > limitMs / 2 ? `~${(predicted / 1000).toFixed(0)} s per call predicted from ${prev.case}` : null;
}

/** The peers' versions, written into bench/gpu's kit bundle (which has no node_modules to read them from). */
declare const __BENCH_VERSIONS__: Record<string, string> | undefined;

function version(pkg: string | null): string {
  const embedded = typeof __BENCH_VERSIONS__ === "undefined" ? undefined : __BENCH_VERSIONS__[pkg ?? "jaxon"];
  if (embedded) return embedded;
  try {
    const file = pkg === null ? path.join(root, "package.json") : path.join(root, "node_modules", pkg, "package.json");
    return JSON.parse(readFileSync(file, "utf8")).version;
  } catch {
    return "?";
  }
}

function fmtValue(v: number | undefined, unit: string): string {
  if (v === undefined || !Number.isFinite(v)) return "";
  if (unit === "ms") return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(3);
  if (v >= 1000) return Math.round(v).toLocaleString("en-US");
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 0.01 ? v.toFixed(2) : v.toPrecision(2);
}

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return "";
  return ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms >= 0.01 ? ms.toFixed(3) : ms.toPrecision(2);
}

function table(rows: Row[]): string {
  const head = ["workload", "case", "library/backend", "result", "unit", "ms/call", "vs jaxon", "notes"];
  const body = rows.map((r) => [
    r.workload,
    r.case,
    `${r.library}/${r.backend}`,
    r.status === "ok" ? fmtValue(r.value, r.unit) : r.status,
    r.unit,
    fmtMs(r.msPerUnit),
    r.vsJaxon === undefined ? "" : `${r.vsJaxon.toFixed(2)}x`,
    [r.error, r.note].filter(Boolean).join("; "),
  ]);
  const right = new Set([3, 5, 6]);
  const width = head.map((h, i) => (i === 7 ? 5 : Math.max(h.length, ...body.map((b) => b[i].length))));
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => (i === 7 ? c : right.has(i) ? c.padStart(width[i]) : c.padEnd(width[i]))).join(" | ") + " |";
  const rule = "|" + width.map((w, i) => (right.has(i) ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|";
  return [line(head), rule, ...body.map(line)].join("\n");
}

async function parent(args: string[]) {
  const quick = args.includes("--quick");
  const gpu = args.includes("--gpu");
  const budget = BUDGETS[quick ? "quick" : gpu ? "gpu" : "full"];
  const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const deadlineS = Number(option("deadline") ?? Infinity);
  const outDir = option("out") ?? here;
  const filters = args.filter((a) => !a.startsWith("--"));
  const wFilters = filters.filter((f) => /^w\d/i.test(f)).map((f) => f.toUpperCase());
  const tFilters = filters.filter((f) => !/^w\d/i.test(f)).map((f) => f.toLowerCase());
  // a filter ending in "$" or starting with "=" matches the whole id ("W1$": W1 and not W10;
  // "=jaxon/webgpu" or "jaxon/webgpu$": not jaxon/webgpu-unfused)
  const matches = (id: string, f: string, prefixOnly: boolean) =>
    f.endsWith("$") ? id === f.slice(0, -1) : f.startsWith("=") ? id === f.slice(1) : prefixOnly ? id.startsWith(f) : id.includes(f);
  const cases = CASES.filter((c) => (!c.gpuOnly || gpu) && (wFilters.length === 0 || wFilters.some((f) => matches(c.workload, f, true))));
  // jaxon/cpu-src (src/ through tsx, as the bench loaded jaxon before it bundled it) only with --src,
  // jaxon/cpu-before and jaxon/webgpu-before (another bundle, e.g. an older commit's) only with --before=<its path>
  const before = args.find((a) => a.startsWith("--before="))?.slice("--before=".length);
  if (before) process.env.JAXON_BENCH_BEFORE = path.resolve(before);
  const targets = Object.keys(TARGETS)
    .filter((t) => !t.endsWith("-src") || args.includes("--src"))
    .filter((t) => !t.endsWith("-before") || before)
    .filter((t) => tFilters.length === 0 || tFilters.some((f) => matches(t.toLowerCase(), f, false)));
  if (!cases.length || !targets.length) {
    console.error(`nothing matches ${filters.join(" ")}: workloads ${[...new Set(CASES.map((c) => c.workload))].join(" ")}; targets ${Object.keys(TARGETS).join(" ")}`);
    process.exit(2);
  }
  const log = (s: string) => process.stderr.write(s);
  const started = performance.now();

  // jaxon as users get it: bundled once here (as the package build does), loaded by every child
  if (targets.some((t) => t.startsWith("jaxon/")) && !process.env[BUNDLE_ENV]) {
    const bundle = (process.env[BUNDLE_ENV] = await buildJaxon());
    process.on("exit", () => removeBuild(bundle));
  }

  // inputs and references (cached on disk), made before any time limit runs
  for (const c of cases) c.prepare();
  // the physical limits, before and after the runs (the best of the two: other processes only lower them)
  const limitsBefore = quick ? null : measureLimits();
  // the adapter and the device's copy bandwidth (--gpu), before the children take the GPU
  const gpuLimits = gpu ? await measureGpuLimits() : null;
  if (gpuLimits) log(`adapter: ${gpuLimits.adapter}${gpuLimits.software ? " (software)" : ""}; copy ${gpuLimits.copyGBs.toFixed(1)} GB/s\n`);

  const rows: Row[] = [];
  const runEnd = started + deadlineS * 1000;
  for (const [t, target] of targets.entries()) {
    const [library, backend] = target.split("/");
    const done: Row[] = [];
    let worker: TargetProcess | null = null;
    let initError: string | undefined;
    // --deadline: this target's share of what is left (a target that finishes early leaves its rest to the next)
    const targetEnd = performance.now() + (runEnd - performance.now()) / (targets.length - t);
    for (const c of cases) {
      const base = { workload: c.workload, case: c.case, title: c.title, library, backend, unit: c.unit, scale: c.scale };
      const push = (r: Row) => (rows.push(r), done.push(r));
      const skip = performance.now() > targetEnd ? "the target's share of --deadline is spent" : predictSkip(c, done, budget.caseLimitMs);
      if (skip) {
        push({ ...base, status: "skipped", note: skip });
        continue;
      }
      if (!worker && !initError) {
        worker = new TargetProcess(target, budget);
        const m = await worker.next(budget.initLimitMs);
        if (m === "timeout" || !("ready" in m)) {
          initError = m === "timeout" ? "init timed out" : "initError" in m ? m.initError : `child exited (${"exited" in m ? m.exited : "?"})`;
          log(`${target}: init failed: ${initError}\n`);
          worker.kill();
          worker = null;
        }
      }
      if (initError || !worker) {
        push({ ...base, status: "FAILED", error: initError });
        continue;
      }
      log(`${caseKey(c)} · ${target} … `);
      worker.send({ run: caseKey(c) });
      const m = await worker.next(budget.caseLimitMs);
      if (m === "timeout" || !("outcome" in m)) {
        const why = m === "timeout" ? `over ${budget.caseLimitMs / 1000} s` : `child exited (${"exited" in m ? m.exited : "?"})`;
        push({ ...base, status: m === "timeout" ? "TIMEOUT" : "FAILED", error: why });
        log(`${why}\n`);
        worker.kill();
        worker = null;
        continue;
      }
      const o = m.outcome;
      push({ ...base, ...o });
      log(o.status === "ok" ? `${fmtValue(o.value, c.unit)} ${c.unit}\n` : `${o.status}${o.error ? `: ${o.error}` : ""}${o.note ? `: ${o.note}` : ""}\n`);
    }
    await worker?.close();
  }

  // speed relative to jaxon on the same case
  for (const r of rows) {
    const baseBackend = r.backend.startsWith("webgpu") ? "webgpu" : "cpu";
    const base = rows.find(
      (b) => b.library === BASELINE && b.backend === baseBackend && b.workload === r.workload && b.case === r.case && b.status === "ok",
    );
    if (r.status === "ok" && base?.value && r.value) r.vsJaxon = higherIsBetter(r.unit) ? r.value / base.value : base.value / r.value;
  }
  const caseIndex = (r: Row) => cases.findIndex((c) => c.workload === r.workload && c.case === r.case);
  const targetIndex = (r: Row) => targets.indexOf(`${r.library}/${r.backend}`);
  rows.sort((a, b) => caseIndex(a) - caseIndex(b) || targetIndex(a) - targetIndex(b));

  const seconds = (performance.now() - started) / 1000;
  const versions = {
    jaxon: version(null),
    "@jax-js/jax": version("@jax-js/jax"),
    "@tensorflow/tfjs-core": version("@tensorflow/tfjs-core"),
    "@tensorflow/tfjs-backend-cpu": version("@tensorflow/tfjs-backend-cpu"),
    "@tensorflow/tfjs-backend-wasm": version("@tensorflow/tfjs-backend-wasm"),
    "@tensorflow/tfjs-backend-webgpu": version("@tensorflow/tfjs-backend-webgpu"),
    webgpu: version("webgpu"),
  };
  const cpu = os.cpus()[0]?.model ?? "?";
  const out: string[] = [];
  out.push(`jaxon bench · Node ${process.versions.node} · ${os.availableParallelism()} cores (${cpu}) · ${seconds.toFixed(0)} s${quick ? " · --quick" : gpu ? " · --gpu" : ""}`);
  if (gpuLimits) out.push(`WebGPU adapter: ${gpuLimits.adapter}${gpuLimits.software ? " (software)" : ""}`);
  out.push(Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(" · "));
  out.push("", table(rows), "");
  for (const w of new Set(cases.map((c) => c.workload))) out.push(`${w}: ${cases.find((c) => c.workload === w)!.title}`);
  out.push(
    "",
    "result: in ms = median per call (lower is better); in GFLOP/s, calls/s, steps/s = throughput (higher is better).",
    `ms/call: median ms per call, readback included (W4, W5: per training step over the whole timed run, loss read back every ${SYNC_EVERY} steps).`,
    "vs jaxon: the library's speed / jaxon's on the same case (>1: faster than jaxon).",
    "WRONG: the answer differs from the float64 reference (not timed). FAILED: it threw (first line shown).",
    `TIMEOUT: over the ${budget.caseLimitMs / 1000} s limit per case. skipped: a smaller case predicts it past the limit. n/a: the library has no such feature.`,
  );
  const limits = quick ? null : bestLimits(limitsBefore, measureLimits());
  if (limits) out.push("", ...limitsBlock(rows, cases, limits));
  if (gpuLimits) out.push("", ...gpuLimitsBlock(rows, cases, gpuLimits));
  console.log("\n" + out.join("\n"));

  const file = path.join(outDir, "results.json");
  const json = { date: new Date().toISOString(), node: process.versions.node, cpu, cores: os.availableParallelism(), args, budget, seconds, versions, limits, gpuLimits, rows };
  writeFileSync(file, JSON.stringify(json, null, 2) + "\n");
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}

/**
 * The "physical limits" block: the measured memory bandwidth and SIMD peak
 * (limits.ts), then each CPU row of a case that declares its limit as a
 * fraction of it: bytes moved at the least per second over the stream-copy
 * bandwidth, or GFLOP/s over the one-thread peak times the cores.
 */
function limitsBlock(rows: Row[], cases: Case[], l: Limits): string[] {
  const cores = os.availableParallelism();
  const peak = l.simdGflops * cores;
  const out = [
    "physical limits (WebAssembly SIMD, the best of a measurement before and one after the runs above):",
    `  memory bandwidth: ${l.copyGBs.toFixed(1)} GB/s stream copy (bytes read + written, 64 MiB buffers), ${l.readGBs.toFixed(1)} GB/s read-only, one thread`,
    `  in-cache bandwidth: ${l.cacheCopyGBs.toFixed(1)} GB/s stream copy of 1 MiB into 1 MiB (the 1 MB cases' inputs stay in the caches between calls)`,
    `  peak SIMD: ${l.simdGflops.toFixed(1)} GFLOP/s per thread (register-only, ${l.fma ? "relaxed_madd" : "f32x4 mul + add"}), ${peak.toFixed(1)} on ${cores} threads`,
    "",
    "  fraction of the limit (CPU rows; the least bytes a case must move, or its flops):",
  ];
  for (const r of rows) {
    if (r.status !== "ok" || r.backend.startsWith("webgpu") || r.msPerUnit === undefined) continue;
    const c = cases.find((c) => c.workload === r.workload && c.case === r.case);
    if (!c?.limit) continue;
    const name = `${r.workload} ${r.case} · ${r.library}/${r.backend}`.padEnd(40);
    if ("bytes" in c.limit) {
      const gbs = c.limit.bytes / (r.msPerUnit * 1e6);
      const pct = (bw: number) => `${((100 * gbs) / bw).toFixed(0)}%`;
      out.push(`  ${name} ${(c.limit.bytes / 1e6).toFixed(2)} MB in ${fmtMs(r.msPerUnit)} ms = ${gbs.toFixed(1)} GB/s: ${pct(l.copyGBs)} of memory, ${pct(l.cacheCopyGBs)} of in-cache bandwidth`);
    } else {
      const gf = c.limit.flops / (r.msPerUnit * 1e6);
      out.push(`  ${name} ${gf.toFixed(1)} GFLOP/s: ${((100 * gf) / peak).toFixed(0)}% of the ${cores}-thread SIMD peak`);
    }
  }
  return out;
}

/**
 * The GPU's block (--gpu): the adapter, the WGSL copy kernel's bandwidth, and
 * each WebGPU row of a case that declares its bytes as a fraction of it (the
 * readback in every call is part of the time: a call's bytes over its time,
 * not the kernel's alone), and the GFLOP/s of those that declare flops.
 */
function gpuLimitsBlock(rows: Row[], cases: Case[], g: GpuLimits): string[] {
  const out = [
    `GPU limits (${g.adapter}${g.software ? ", software" : ""}):`,
    `  device copy bandwidth: ${g.copyGBs.toFixed(1)} GB/s (WGSL vec4 copy, bytes read + written, ${g.bytes / 2 ** 20} MiB buffers, best round)`,
    "",
    "  fraction of the limit (WebGPU rows; readback included in each call):",
  ];
  for (const r of rows) {
    if (r.status !== "ok" || !r.backend.startsWith("webgpu") || r.msPerUnit === undefined) continue;
    const c = cases.find((c) => c.workload === r.workload && c.case === r.case);
    if (!c?.limit) continue;
    const name = `${r.workload} ${r.case} · ${r.library}/${r.backend}`.padEnd(40);
    if ("bytes" in c.limit) {
      const gbs = c.limit.bytes / (r.msPerUnit * 1e6);
      out.push(`  ${name} ${(c.limit.bytes / 1e6).toFixed(2)} MB in ${fmtMs(r.msPerUnit)} ms = ${gbs >= 10 ? gbs.toFixed(1) : gbs.toPrecision(2)} GB/s: ${((100 * gbs) / g.copyGBs).toPrecision(2)}% of the device copy`);
    } else {
      out.push(`  ${name} ${(c.limit.flops / (r.msPerUnit * 1e6)).toFixed(1)} GFLOP/s`);
    }
  }
  return out;
}

const argv = process.argv.slice(2);
const childArg = argv.find((a) => a.startsWith("--child="));
if (childArg) {
  const budget = JSON.parse(argv.find((a) => a.startsWith("--budget="))!.slice("--budget=".length)) as Budget;
  await child(childArg.slice("--child=".length), budget);
} else {
  await parent(argv);
  process.exit(0);
}
