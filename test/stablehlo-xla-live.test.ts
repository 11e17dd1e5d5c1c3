/**
 * exportStableHLO, live: the modules jaxon writes *now* run through XLA (jax/jaxlib in a Python
 * venv, through tools/run-stablehlo.py) and give jaxon's own results — every case of
 * test/fixtures/stablehlo/cases.ts, the W5 city step for 300 steps, and the W4 step sharded over
 * 4 host devices for 10 steps with XLA's all-reduce in its compiled HLO. stablehlo.test.ts checks the
 * same against XLA outputs recorded in the repository; this one needs Python and jax: `.ci/run`
 * creates `.venv` with them where it can (or set JAXON_PYTHON to a Python that has jax). Without one
 * it prints why it skipped; JAXON_REQUIRE_XLA=1 makes that a failure.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportStableHLO, io, jit, np, tree } from "../src/index.js";
import type { Value } from "../src/index.js";
import { cases, W5, w4Inputs, w4Sharded, w4Step, w5Inputs, w5Step } from "./fixtures/stablehlo/cases.js";
import { expectCloseToXla } from "./stablehlo-compare.js";

const root = join(__dirname, "..");
const python = process.env.JAXON_PYTHON ?? join(root, ".venv/bin/python");
const probe = existsSync(python) ? spawnSync(python, ["-c", "import jax, jaxlib; print(jax.__version__)"], { encoding: "utf8" }) : undefined;
const jaxVersion = probe?.status === 0 ? probe.stdout.trim() : undefined;
const required = process.env.JAXON_REQUIRE_XLA === "1";
if (jaxVersion === undefined && !required) {
  console.warn(
    `test/stablehlo-xla-live.test.ts: skipped: no Python with jax at ${python} ` +
      `(${probe === undefined ? "missing" : probe.stderr.trim().split("\n").pop()}); ` +
      "create it with `python3 -m venv .venv && .venv/bin/pip install jax jaxlib`, or set JAXON_PYTHON; " +
      "test/stablehlo.test.ts still checks the XLA outputs recorded in the repository",
  );
}

type Job = { module: string; metadata: string; inputs: string; output: string; steps?: number; feed?: string; hlo?: string };

/** Exports each case into a fresh directory and runs all of them through XLA in one Python process. */
async function runAllInXla(dir: string): Promise<void> {
  const jobs: Job[] = [];
  const add = async (name: string, c: (typeof cases)[number], extra: Partial<Job> = {}) => {
    const args = c.args();
    const e = exportStableHLO(c.fn, c.options)(...args);
    const p = (ext: string) => join(dir, name + ext);
    writeFileSync(p(".mlir"), e.text);
    writeFileSync(p(".json"), e.metadataJson());
    const leaves = tree.leaves(args) as Value[];
    writeFileSync(p(".inputs.npz"), await io.saveNpz(Object.fromEntries(leaves.map((l, i) => [String(i), l]))));
    jobs.push({ module: p(".mlir"), metadata: p(".json"), inputs: p(".inputs.npz"), output: p(".outputs.npz"), ...extra });
  };
  for (const c of cases) await add(c.name, c);
  const byName = (n: string) => cases.find((c) => c.name === n)!;
  await add("w5-300", byName("w5-city-step"), { steps: W5.steps, feed: "0:0" });
  const feed14 = Array.from({ length: 14 }, (_, i) => `${i}:${i}`).join(",");
  await add("w4-sharded-10", byName("w4-step-sharded"), { steps: 10, feed: feed14, hlo: join(dir, "w4-sharded.hlo.txt") });
  writeFileSync(join(dir, "jobs.json"), JSON.stringify(jobs));
  const run = spawnSync(python, [join(root, "test/scripts/run-stablehlo-jobs.py"), join(dir, "jobs.json")], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`XLA failed:\n${run.stderr}`);
}

describe.skipIf(jaxVersion === undefined && !required)("exportStableHLO, live through XLA", () => {
  const dir = mkdtempSync(join(tmpdir(), "jaxon-xla-"));
  let ran: Promise<void> | undefined;
  const xla = async (name: string) => {
    ran ??= runAllInXla(dir);
    await ran;
    return io.loadNpz(readFileSync(join(dir, `${name}.outputs.npz`)));
  };

  it("has a Python with jax", () => expect(jaxVersion, `no jax at ${python}`).toBeDefined());

  for (const c of cases) {
    it(`${c.name}: XLA runs today's module and gives jaxon's outputs`, { timeout: 300_000 }, async () => {
      const out = await xla(c.name);
      const ours = tree.leaves(c.fn(...c.args())) as Value[];
      expect(Object.keys(out).length).toBe(ours.length);
      for (let i = 0; i < ours.length; i++) {
        const exact = c.exact === true || !["float32", "float64"].includes(ours[i].dtype);
        await expectCloseToXla(ours[i], out[String(i)], exact, `${c.name} output ${i}`);
      }
    });
  }

  it("W5 city step: 300 steps in XLA follow jaxon's trajectory (float64)", { timeout: 300_000 }, async () => {
    const out = await xla("w5-300");
    let [x, state, d] = w5Inputs();
    const step = jit(w5Step);
    let loss: Value = np.array(0);
    for (let k = 0; k < W5.steps; k++) ({ x, state, loss } = step(x, state, d) as { x: typeof x; state: typeof state; loss: Value });
    const [ours, theirs] = [await x.data(), await out["0"].data()] as Float64Array[];
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i] - theirs[i]), `position ${i}`).toBeLessThan(1e-9);
    expect(Math.abs(loss.itemSync() - out["1"].itemSync())).toBeLessThan(1e-12);
  });

  it("W4 step sharded 4 ways: 10 steps in XLA give jaxon's unsharded parameters and loss, through an all-reduce", { timeout: 300_000 }, async () => {
    const out = await xla("w4-sharded-10");
    let [p, o, x, y] = w4Inputs();
    let loss: Value = np.array(0);
    for (let k = 0; k < 10; k++) [p, o, loss] = w4Step(p, o, x, y) as [typeof p, typeof o, Value];
    const ours = tree.leaves([p, o, loss]) as Value[];
    for (let i = 0; i < ours.length; i++) await expectCloseToXla(ours[i], out[String(i)], false, `sharded W4 output ${i}`);
    expect(w4Sharded.shardings!.mesh).toEqual({ data: 4 });
    expect(readFileSync(join(dir, "w4-sharded.hlo.txt"), "utf8")).toMatch(/\ball-reduce(-start)?\(/);
  });
});
