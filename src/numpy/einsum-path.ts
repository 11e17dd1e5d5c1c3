/**
 * `np.einsumPath`: the order in which to contract an einsum's operands
 * pairwise, and its cost, as JAX's `jnp.einsum_path` (which asks opt_einsum):
 * the "optimal" search (depth first over every pair, cut where the flop count
 * passes the best found) and the flop model it scores with.
 */
import { ShapeError, UnsupportedError } from "../errors.js";
import { describe } from "../static-args.js";
import { exactScientific } from "../array-text.js";

/** What `optimize` accepts: a search, none (`false`: left to right), or a path to check and report. */
export type EinsumPathOptimize = boolean | "optimal" | "auto" | number[][];

/** One pairwise step of a contraction path. */
export interface EinsumContraction {
  /** Positions (in the current operand list, descending) of the operands this step contracts. */
  operands: number[];
  /** The step as an einsum: `ij,jk->ik`. */
  einsum: string;
  /** The operands left after the step, as subscripts. */
  remaining: string[];
  /** How many distinct letters the step loops over. */
  scaling: number;
  /** Its flops (opt_einsum's count). */
  flops: number;
}

/** The report of `np.einsumPath` (opt_einsum's PathInfo). `String(info)` prints its summary. */
export interface EinsumPathInfo {
  equation: string;
  naiveScaling: number;
  optimizedScaling: number;
  naiveFlops: number;
  optimizedFlops: number;
  speedup: number;
  largestIntermediate: number;
  contractions: EinsumContraction[];
  toString(): string;
}

const OP = "np.einsumPath";

type Letters = Set<string>;

const sizeOf = (letters: Iterable<string>, sizes: Map<string, number>) => {
  let n = 1;
  for (const l of letters) n *= sizes.get(l)!;
  return n;
};

/** opt_einsum's flop model: every element of the loop nest, once per extra operand, once more for a sum. */
const flopCount = (letters: Iterable<string>, inner: boolean, terms: number, sizes: Map<string, number>) =>
  sizeOf(letters, sizes) * (Math.max(1, terms - 1) + (inner ? 1 : 0));

const union = (...sets: Iterable<string>[]) => {
  const out = new Set<string>();
  for (const s of sets) for (const l of s) out.add(l);
  return out;
};
const intersect = (a: Letters, b: Letters) => new Set([...a].filter((l) => b.has(l)));

/** The cheapest pairwise order (opt_einsum's "optimal"), as a path in static single assignment ids. */
function optimalSsa(inputs: Letters[], output: Letters, sizes: Map<string, number>): number[][] {
  let bestFlops = Infinity;
  let bestPath: number[][] = [inputs.map((_, i) => i)];
  const iterate = (path: number[][], remaining: number[], terms: Letters[], flops: number) => {
    if (remaining.length === 1) {
      bestFlops = flops;
      bestPath = path;
      return;
    }
    for (let a = 0; a < remaining.length; a++) {
      for (let b = a + 1; b < remaining.length; b++) {
        const i = remaining[a];
        const j = remaining[b];
        const either = union(terms[i], terms[j]);
        const keep = union(output, ...remaining.filter((r) => r !== i && r !== j).map((r) => terms[r]));
        const k12 = intersect(either, keep);
        const shared = intersect(terms[i], terms[j]);
        const newFlops = flops + flopCount(either, [...shared].some((l) => !keep.has(l)), 2, sizes);
        if (newFlops >= bestFlops) continue;
        const next = [...remaining.filter((r) => r !== i && r !== j), terms.length].sort((x, y) => x - y);
        iterate([...path, [i, j]], next, [...terms, k12], newFlops);
      }
    }
  };
  iterate([], inputs.map((_, i) => i), inputs, 0);
  return bestPath;
}

/** Static single assignment ids to positions in the shrinking operand list. */
function ssaToLinear(ssa: number[][]): number[][] {
  const n = ssa.reduce((s, c) => s + c.length, 0) - ssa.length + 1;
  const ids = Array.from({ length: n }, (_, i) => i);
  let next = n;
  return ssa.map((step) => {
    const con = step.map((s) => ids.indexOf(s)).sort((x, y) => x - y);
    for (const j of [...con].reverse()) ids.splice(j, 1);
    ids.push(next++);
    return con;
  });
}

/** Decimal's `:.3e` as Python prints it: `9.000e+3` (no exponent padding). */
function sci3(v: number): string {
  if (v === 0) return "0.000e+3"; // as Decimal(0) formats
  const [i, f, e] = exactScientific(v, 3);
  return `${i}.${f}e${e < 0 ? "-" : "+"}${Math.abs(e)}`;
}

/**
 * The order in which `np.einsum` should contract its operands pairwise, and a
 * report of its cost, as JAX's `jnp.einsum_path`: `[path, info]`, where
 * `path` lists, step by step, the positions of the operands to contract in
 * the shrinking list (each result goes to its end). `optimize` is "optimal"
 * or `true` (an exhaustive search; the default "auto" is that for up to 4
 * operands), `false` (left to right, the order `np.einsum` contracts in) or a
 * path of your own to cost. Only the operands' shapes are used.
 * @example
 * import { numpy as np } from "jaxon-ts";
 * const [path, info] = np.einsumPath("ij,jk,kl", np.ones([2, 3]), np.ones([3, 100]), np.ones([100, 5]), { optimize: "optimal" });
 * path; // [[1, 2], [0, 1]]
 * info.optimizedFlops; // 3060
 * String(info).split("\n")[0]; // "  Complete contraction:  ij,jk,kl->il"
 */
export function einsumPath(subscripts: string, ...rest: unknown[]): [number[][], EinsumPathInfo] {
  let optimize: EinsumPathOptimize = "auto";
  const last = rest.at(-1);
  if (last !== null && typeof last === "object" && !("shape" in last) && !Array.isArray(last)) {
    rest.pop();
    const o = (last as { optimize?: EinsumPathOptimize }).optimize;
    if (o !== undefined) optimize = o;
  }
  if (typeof subscripts !== "string") throw new ShapeError(`${OP}: the first argument must be the subscripts string, got ${describe(subscripts)}`);
  const shapes = rest.map((x, i) => {
    if (typeof x === "number") return [];
    const shape = x !== null && typeof x === "object" ? (x as { shape?: unknown }).shape : undefined;
    if (!Array.isArray(shape)) throw new ShapeError(`${OP}: operand ${i} must be an array (anything with a shape), got ${describe(x)}`);
    return shape as number[];
  });
  const s = subscripts.replace(/ /g, "");
  if (s.includes(".")) throw new UnsupportedError(`${OP}: "..." in the subscripts is not supported yet; name the broadcast axes with letters`);
  if (!/^[a-zA-Z,]*(->[a-zA-Z]*)?$/.test(s)) throw new ShapeError(`${OP}: invalid subscripts ${JSON.stringify(subscripts)}; use letters a-z, A-Z, "," and one "->"`);
  const [lhs, rhs] = s.split("->");
  const terms = lhs.split(",");
  if (terms.length !== shapes.length) throw new ShapeError(`${OP}: the subscripts name ${terms.length} operands, but ${shapes.length} were given`);
  const counts = new Map<string, number>();
  for (const t of terms) for (const l of t) counts.set(l, (counts.get(l) ?? 0) + 1);
  const output = rhs ?? [...counts].filter(([, c]) => c === 1).map(([l]) => l).sort().join("");
  for (const l of output) if (!counts.has(l)) throw new ShapeError(`${OP}: output letter "${l}" does not appear in any input`);
  const sizes = new Map<string, number>();
  terms.forEach((t, i) => {
    if (t.length !== shapes[i].length) throw new ShapeError(`${OP}: operand ${i} has ${shapes[i].length} axes (shape [${shapes[i].join(", ")}]) but its subscripts "${t}" name ${t.length}`);
    [...t].forEach((l, k) => {
      const n = shapes[i][k];
      const prev = sizes.get(l);
      if (prev === undefined || prev === 1) sizes.set(l, n);
      else if (n !== 1 && n !== prev) throw new ShapeError(`${OP}: letter "${l}" has size ${prev} in one operand and ${n} in operand ${i}`);
    });
  });

  let sets = terms.map((t) => new Set(t));
  const outSet = new Set(output);
  const indices = union(...sets);
  const naiveFlops = flopCount(indices, sets.reduce((n, t) => n + t.size, 0) - indices.size > 0, sets.length, sizes);

  let path: number[][];
  if (Array.isArray(optimize)) path = optimize.map((step) => [...step]);
  else if (terms.length <= 2) path = [terms.map((_, i) => i)];
  // JAX's unoptimized order, left to right (the order np.einsum itself contracts in)
  else if (optimize === false) path = Array.from({ length: terms.length - 1 }, () => [0, 1]);
  else if (optimize === "optimal" || optimize === true || (optimize === "auto" && terms.length <= 4)) path = ssaToLinear(optimalSsa(sets, outSet, sizes));
  else if (optimize === "auto") {
    throw new UnsupportedError(`${OP}: optimize "auto" for ${terms.length} operands uses opt_einsum's branch and greedy searches, not implemented; pass { optimize: "optimal" } or a path`);
  } else throw new ShapeError(`${OP}: optimize must be "optimal", "auto", true, false or a path such as [[0, 1], [0, 1]], got ${describe(optimize)}`);

  // walk the path: each step's letters, flops and einsum, as opt_einsum's contract_path reports them
  const names = [...terms];
  const contractions: EinsumContraction[] = [];
  path.forEach((step, n) => {
    const positions = [...step].sort((a, b) => b - a);
    if (positions.some((p) => !Number.isInteger(p) || p < 0 || p >= sets.length) || new Set(positions).size !== positions.length) {
      throw new ShapeError(`${OP}: step ${n} of the path, [${step.join(", ")}], must name distinct operands among the ${sets.length} left`);
    }
    const taken = positions.map((p) => sets[p]);
    sets = sets.filter((_, k) => !positions.includes(k));
    const contract = union(...taken);
    const result = intersect(union(outSet, ...sets), contract);
    const removed = [...contract].some((l) => !result.has(l));
    sets.push(result);
    const inputs = positions.map((p) => names[p]);
    for (const p of positions) names.splice(p, 1);
    const all = inputs.join("");
    const out = n === path.length - 1 ? output : [...result].sort((a, b) => all.indexOf(a) - all.indexOf(b)).join("");
    names.push(out);
    contractions.push({ operands: positions, einsum: `${inputs.join(",")}->${out}`, remaining: [...names], scaling: contract.size, flops: flopCount(contract, removed, positions.length, sizes) });
  });
  if (sets.length !== 1) throw new ShapeError(`${OP}: the path leaves ${sets.length} operands; its steps must contract them all into one`);

  const optimizedFlops = contractions.reduce((t, c) => t + c.flops, 0);
  const sizesOut = contractions.map((c) => sizeOf(c.einsum.split("->")[1], sizes));
  const info: EinsumPathInfo = {
    equation: `${lhs}->${output}`,
    naiveScaling: indices.size,
    optimizedScaling: Math.max(0, ...contractions.map((c) => c.scaling)),
    naiveFlops,
    optimizedFlops,
    speedup: naiveFlops / Math.max(optimizedFlops, 1),
    largestIntermediate: sizesOut.length ? Math.max(...sizesOut) : 1,
    contractions,
    toString() {
      return [
        `  Complete contraction:  ${this.equation}`,
        `         Naive scaling:  ${this.naiveScaling}`,
        `     Optimized scaling:  ${this.optimizedScaling}`,
        `      Naive FLOP count:  ${sci3(this.naiveFlops)}`,
        `  Optimized FLOP count:  ${sci3(this.optimizedFlops)}`,
        `   Theoretical speedup:  ${sci3(this.speedup)}`,
        `  Largest intermediate:  ${sci3(this.largestIntermediate)} elements`,
      ].join("\n");
    },
  };
  return [path, info];
}
