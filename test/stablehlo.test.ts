/**
 * exportStableHLO: the committed modules (test/fixtures/stablehlo, made by
 * generate.py) are what the exporter writes today, byte for byte, and the
 * outputs XLA computed from them (through tools/run-stablehlo.py) match
 * jaxon's own evaluation of the same functions: float32 tolerance, random
 * bits and integer results exactly. The sharded W4 step ran 10 steps on 4
 * devices in XLA and gives jaxon's unsharded parameters and loss; XLA's
 * compiled HLO held the all-reduce it inserted. Also: every primitive lowers
 * or is listed as unsupported with its reason, the text is well formed, and
 * hostile names never reach it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { customVjp, exportStableHLO, grad, io, jit, jvp, lax, np, PartitionSpec, tree, UnsupportedError, ShapeError, vmap } from "../src/index.js";
import type { Value } from "../src/index.js";
import { primitives } from "../src/lax/primitive.js";
import { cases, W5, w4Inputs, w4Sharded, w4Step, w5Inputs, w5Step } from "./fixtures/stablehlo/cases.js";
import { expectCloseToXla as expectClose } from "./stablehlo-compare.js";

const dir = join(__dirname, "fixtures/stablehlo/cases");
const read = (f: string) => readFileSync(join(dir, f));

describe("exportStableHLO round trip through XLA (committed fixtures)", () => {
  for (const c of cases) {
    it(`${c.name}: same text as committed, and XLA's outputs are jaxon's`, async () => {
      const args = c.args();
      const e = exportStableHLO(c.fn, c.options)(...args);
      expect(e.text).toBe(read(`${c.name}.mlir`).toString());
      expect(JSON.parse(e.metadataJson())).toEqual(JSON.parse(read(`${c.name}.json`).toString()));
      const xla = await io.loadNpz(read(`${c.name}.outputs.npz`));
      const ours = tree.leaves(c.fn(...args)) as Value[];
      expect(Object.keys(xla).length).toBe(ours.length);
      for (let i = 0; i < ours.length; i++) {
        const exact = c.exact === true || !["float32", "float64"].includes(ours[i].dtype);
        await expectClose(ours[i], xla[String(i)], exact, `${c.name} output ${i}`);
      }
    });
  }

  it("the W5 city-placement step (the tutorial's distances, float64), 300 steps in XLA, follows jaxon's trajectory", async () => {
    let [x, state, d] = w5Inputs();
    const step = jit(w5Step);
    let loss: Value = np.array(0);
    for (let k = 0; k < W5.steps; k++) ({ x, state, loss } = step(x, state, d) as { x: typeof x; state: typeof state; loss: Value });
    expect(x.dtype).toBe("float64");
    const xla = await io.loadNpz(read("w5-city-step.300steps.npz"));
    expect(xla["0"].dtype).toBe("float64");
    // float64 on both sides: far tighter than float32's tolerance
    const [ours, theirs] = [await x.data(), await xla["0"].data()] as Float64Array[];
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i] - theirs[i]), `position ${i}`).toBeLessThan(1e-9);
    expect(Math.abs(loss.itemSync() - xla["1"].itemSync())).toBeLessThan(1e-12);
    // and the steps did something: the loss fell
    expect(xla["1"].itemSync()).toBeLessThan((await io.loadNpz(read("w5-city-step.outputs.npz")))["1"].itemSync() / 2);
  });

  it("the W4 step, 4-way data parallel in XLA for 10 steps, gives jaxon's unsharded parameters and loss", async () => {
    let [p, o, x, y] = w4Inputs();
    let loss: Value = np.array(0);
    for (let k = 0; k < 10; k++) [p, o, loss] = w4Step(p, o, x, y) as [typeof p, typeof o, Value];
    const ours = tree.leaves([p, o, loss]) as Value[];
    const xla = await io.loadNpz(read("w4-step-sharded.10steps.npz"));
    for (let i = 0; i < ours.length; i++) await expectClose(ours[i], xla[String(i)], false, `sharded W4 output ${i}`);
    const facts = JSON.parse(read("w4-step-sharded.facts.json").toString());
    expect(facts).toEqual({ allReduce: true, devices: 4, steps: 10 });
    const text = read("w4-step-sharded.mlir").toString();
    expect(text).toContain('mhlo.sharding = "{devices=[4,1]<=[4]}"');
    expect(text).toContain('mhlo.sharding = "{replicated}"');
    expect(text).toContain("mhlo.num_partitions = 4");
    expect(w4Sharded.shardings!.mesh).toEqual({ data: 4 });
  });
});

/**
 * Primitives that do not lower, with the reason. A new primitive must lower
 * or be added here (the test below fails otherwise).
 */
const UNSUPPORTED: Record<string, string> = {
  eig:
    "JAX lowers it to a LAPACK geev custom_call (CPU only, not portable), and jaxon's own algorithm (Hessenberg reduction, Francis double-shift QR " +
    "with deflation, complex back-substitution and geev's normalization) is too large a program to write as StableHLO loops here; " +
    "lu, qr, eigh and svd do lower (src/lax/stablehlo-linalg.ts)",
  custom_lin:
    "the tangent of a customVjp function, whose forward mode neither jaxon nor JAX has (its impl and jvp are UnsupportedErrors): it appears only " +
    "inside linearize's tangent jaxprs, and grad transposes it into the user's bwd, which exports",
  pure_callback: "a host callback: JAX lowers it to a custom_call into its Python runtime, which an exported module cannot carry",
  debug_callback: "a host callback (debug.print/debug.callback): as pure_callback, a custom_call into the exporting runtime",
  // collectives (issue 16): vmap batches each into a reduction, gather or permutation before anything lowers, and a
  // name no vmap binds is an AxisNameError when it is called; test/collectives.test.ts exports named vmaps and runs them in XLA
  ...Object.fromEntries(
    ["psum", "pmax", "pmin", "axis_index", "all_gather", "reduce_scatter", "all_to_all", "ppermute", "pbroadcast"].map((n) => [
      n,
      "a collective over a named vmap axis: it never reaches the exporter (batched away by its vmap; unbound, an AxisNameError)",
    ]),
  ),
};

describe("exportStableHLO coverage and hygiene", () => {
  it("every primitive has a StableHLO lowering, is call-like (inlined), or is listed as unsupported with a reason", () => {
    const missing: string[] = [];
    for (const [name, { prim, def }] of primitives) {
      const lowers = def.stablehlo !== undefined || prim.rules.callJaxpr !== undefined;
      if (lowers && UNSUPPORTED[name]) missing.push(`${name} lowers now: drop it from UNSUPPORTED`);
      if (!lowers && !UNSUPPORTED[name]) missing.push(`${name} has no lowering and no reason`);
    }
    expect(missing).toEqual([]);
  });

  it("an unsupported primitive is an UnsupportedError naming it", () => {
    const m = np.array([[2, 1], [1, 2]]);
    expect(() => exportStableHLO((a: Value) => lax.linalg.eig(a))(m)).toThrow(UnsupportedError);
    expect(() => exportStableHLO((a: Value) => lax.linalg.eig(a))(m)).toThrow(/the primitive eig has no StableHLO lowering/);
  });

  it("custom_lin: grad of a customVjp function exports (its bwd inlined); its forward mode is an UnsupportedError in jaxon and in the exporter alike", () => {
    const f = customVjp((x: Value) => np.sin(x), (x: Value) => [np.sin(x), x], (r: Value, g: Value) => [g.mul(np.cos(r)).mul(2)]);
    const x = np.array([0.5, 1]);
    const text = exportStableHLO(grad((v: Value) => (f(v) as Value).sum()))(x).text;
    expect(text).toContain("stablehlo.cosine");
    expect(() => jvp(f, [x], [np.onesLike(x)])).toThrow(UnsupportedError);
    expect(() => exportStableHLO((v: Value) => jvp(f, [v], [np.onesLike(v)]))(x)).toThrow(/custom_lin has no StableHLO lowering/);
  });

  it("linear algebra: a batch of matrices is one loop, vmap exports the same module, and np.linalg's functions on lu/qr/eigh/svd export", () => {
    const loops = (text: string) => (text.match(/"stablehlo\.while"/g) ?? []).length;
    const lu = (a: Value) => lax.linalg.lu(a);
    const one = exportStableHLO(lu)(np.ones([4, 4])).text;
    const batch = exportStableHLO(lu)(np.ones([3, 2, 4, 4])).text;
    expect(loops(one)).toBe(1);
    expect(loops(batch)).toBe(1);
    // the stack of 3·2 matrices is one batch axis of the loop's carry
    expect(batch).toContain("tensor<6x4x4xf32>");
    expect(exportStableHLO(vmap(lu))(np.ones([6, 4, 4])).text).toBe(exportStableHLO(lu)(np.ones([6, 4, 4])).text);
    // the module's size does not grow with the matrix: loops, not unrolled steps
    const eigh = (a: Value) => lax.linalg.eigh(a);
    expect(exportStableHLO(eigh)(np.eye(40)).text.length).toBeLessThan(exportStableHLO(eigh)(np.eye(4)).text.length * 1.1);
    // portable: no LAPACK/cuSOLVER custom_call anywhere, only StableHLO ops
    for (const name of ["linalg-factor", "linalg-factor-f64", "np-linalg"]) expect(read(`${name}.mlir`).toString()).not.toMatch(/custom_call/);
    const a = np.eye(4).add(0.5);
    const fs: ((x: Value) => unknown)[] = [(x) => np.linalg.solve(x, x), (x) => np.linalg.lstsq(x, x), np.linalg.inv, np.linalg.det, np.linalg.pinv, (x) => np.linalg.svd(x)];
    for (const f of fs) expect(loops(exportStableHLO(f)(a).text)).toBeGreaterThan(0);
  });

  it("the special functions' series and continued fractions are loops: the module is a quarter of its unrolled size", () => {
    const text = read("special.mlir").toString();
    // igamma and igammac (series and continued fraction each), betainc's continued fraction, bessel_i0e's series and asymptotic expansion
    expect((text.match(/"stablehlo\.while"/g) ?? []).length).toBe(7);
    expect(text.length).toBeLessThan(424_000 / 4);
  });

  it("the text is well formed: balanced brackets, every SSA value defined once and before its uses in its function", () => {
    for (const c of cases) {
      const text = read(`${c.name}.mlir`).toString();
      // (problems are collected and checked once: an expect per character or value is slow on the large modules)
      let depth = 0;
      let lowest = 0;
      for (const ch of text.replace(/"[^"]*"/g, '""').replace(/->/g, "")) {
        if ("({[<".includes(ch)) depth++;
        if (")}]>".includes(ch)) lowest = Math.min(lowest, --depth);
      }
      expect(lowest, `${c.name}: a bracket closes before it opens`).toBe(0);
      expect(depth, c.name).toBe(0);
      const defined = new Set<string>();
      const problems: string[] = [];
      for (const line of text.split("\n")) {
        const defs = [...line.matchAll(/(%v\d+)(?::\d+)? = |(%v\d+): tensor/g)].map((m) => m[1] ?? m[2]);
        const uses = [...line.replace(/(%v\d+)(?::\d+)? = /, "").matchAll(/(%v\d+)(?:#\d+)?(?!: tensor)[,)]/g)].map((m) => m[1]);
        for (const u of uses) if (!defined.has(u)) problems.push(`${u} used before its definition`);
        for (const d of defs) {
          if (defined.has(d)) problems.push(`${d} defined twice`);
          defined.add(d);
        }
      }
      expect(problems, c.name).toEqual([]);
    }
  });

  it("hostile mesh axis names and specs are typed errors, and never reach the text", () => {
    const evil = '"} func.func @pwn() {';
    const f = (x: Value) => x.mul(2);
    const x = np.ones([4, 2]);
    const e = exportStableHLO(f, { shardings: { mesh: { [evil]: 4 }, inputs: [new PartitionSpec(evil, null)] } })(x);
    expect(e.text).not.toContain("pwn");
    expect(e.text).toContain('"{devices=[4,1]<=[4]}"');
    expect(() => exportStableHLO(f, { shardings: { mesh: { data: 4 }, inputs: [new PartitionSpec(evil)] } })(x)).toThrow(ShapeError);
    expect(() => exportStableHLO(f, { shardings: { mesh: { data: 3 }, inputs: [new PartitionSpec("data")] } })(x)).toThrow(ShapeError);
    expect(() => exportStableHLO(f, { shardings: { mesh: { data: 4 }, inputs: [new PartitionSpec("data", null, null)] } })(x)).toThrow(ShapeError);
    expect(() => exportStableHLO(f, { shardings: { mesh: { data: -1 } } })(x)).toThrow(ShapeError);
    expect(() => exportStableHLO(f, { shardings: { mesh: { data: 4 }, inputs: ["data"] } })(x)).toThrow(UnsupportedError);
    expect(() => new PartitionSpec({ toString: () => "x" } as unknown as string)).toThrow(UnsupportedError);
    // a two-axis mesh: the minor axis splits the rows, the major one replicates
    const e2 = exportStableHLO(f, { shardings: { mesh: { a: 2, b: 2 }, inputs: [new PartitionSpec("b", null)] } })(x);
    expect(e2.text).toContain('"{devices=[2,1,2]<=[2,2]T(1,0) last_tile_dim_replicate}"');
  });

  it("fuzz: hostile axis names, odd shapes and dtypes give typed errors or text made only of the exporter's own tokens", () => {
    const hostile = ['"', "}", '"} @x', "\n}\nfunc.func", "%v0", "#stablehlo<x>", "a\u0000b", "toString", "__proto__", "constructor", "<=[4]", ""];
    const quoted = /"([^"]*)"/g;
    const allowed = /^((stablehlo|chlo|func)\.[a-z_]+|0x[0-9A-F]*|\{replicated\}|\{devices=\[[0-9,]+\]<=\[[0-9,]+\](T\([0-9,]+\))?( last_tile_dim_replicate)?\})$/;
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    let exported = 0;
    for (let k = 0; k < 60; k++) {
      const name = hostile[rand(hostile.length)];
      const other = hostile[rand(hostile.length)];
      const rows = [0, 1, 4, 8][rand(4)];
      const dtype = (["float32", "int32", "bool", "uint32"] as const)[rand(4)];
      const x = np.zeros([rows, 2], { dtype });
      const size = [1, 2, 4, 3][rand(4)];
      const spec = rand(2) ? new PartitionSpec(rand(2) ? name : other, null) : null;
      try {
        const e = exportStableHLO((v: Value) => [v, np.sum(lax.convert(v, "float32"), 0)], {
          shardings: { mesh: { [name]: size }, inputs: [spec], outputs: rand(2) ? [new PartitionSpec(name, null), null] : null },
        })(x);
        exported++;
        for (const m of e.text.matchAll(quoted)) expect(m[1], `quoted text ${JSON.stringify(m[1])}`).toMatch(allowed);
        // (the others, "%v0" or "<=[4]", are also the exporter's own tokens)
        for (const h of ['"} @x', "\n}\nfunc.func", "#stablehlo<x>", "a\u0000b"]) expect(e.text.includes(h), h).toBe(false);
      } catch (err) {
        expect(err instanceof ShapeError || err instanceof UnsupportedError, String(err)).toBe(true);
      }
    }
    expect(exported).toBeGreaterThan(10);
  });

  it("jit(f).lower(...args): asText() is the exported module, compile() runs that signature and refuses others", async () => {
    for (const name of ["unary", "control-flow", "w4-step"]) {
      const c = cases.find((k) => k.name === name)!;
      const args = c.args();
      const lowered = jit(c.fn).lower(...args);
      expect(lowered.asText()).toBe(read(`${name}.mlir`).toString());
      expect(JSON.parse(JSON.stringify(lowered.exported().metadata))).toEqual(JSON.parse(read(`${name}.json`).toString()));
      const compiled = lowered.compile();
      expect(compiled.asText()).toBe(lowered.asText());
      const ours = tree.leaves(compiled(...args)) as Value[];
      const xla = await io.loadNpz(read(`${name}.outputs.npz`));
      for (let i = 0; i < ours.length; i++) {
        await expectClose(ours[i], xla[String(i)], !["float32", "float64"].includes(ours[i].dtype), `${name} compiled output ${i}`);
      }
    }
    const f = jit((x: Value, n: number) => x.mul(n), { staticArgnums: [1] });
    const compiled = f.lower(np.ones([3]), 2).compile();
    expect(Array.from(await compiled(np.ones([3]), 2).data() as Float32Array)).toEqual([2, 2, 2]);
    expect(() => compiled(np.ones([4]), 2)).toThrow(ShapeError);
    expect(() => compiled(np.ones([3]), 3)).toThrow(ShapeError);
    expect(() => compiled(np.ones([3], { dtype: "int32" }), 2)).toThrow(/compiled for arguments \(f32\[3\]/);
  });
});
