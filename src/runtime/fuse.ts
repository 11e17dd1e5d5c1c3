/**
 * Fusion: jaxpr → kernels. Elementwise chains, broadcasts, transposes,
 * slices, reversals and reshapes are inlined into their consumer as scalar
 * expressions and index arithmetic, never copies; so are contractions of at
 * most 4 terms (sums of products); a reduction takes its elementwise
 * prologue. Only values that something needs as a buffer are materialized:
 * the jaxpr's inputs and outputs, outputs of primitives that run as routines,
 * values used by more than one consumer that cost compute (a scalar of a few
 * ops is recomputed instead), and reduction results.
 *
 * A plan is made for a device's limits (`planFor` in execute.ts): kernels
 * stay under its binding limit, and where the backend supports them, sibling
 * elementwise kernels share one multi-output launch and an elementwise
 * consumer of a matmul or reduction runs as its epilogue (on the CPU and WebGPU also one
 * that reads the result broadcast over each row: a mat-vec's per-row outputs,
 * softmax's exp(x − max)). A view of a one-element value (a scalar's
 * broadcast) is inlined under any index map, a reshape's flat one included.
 */
import { isComplexDType } from "../dtype.js";
import { hasComplex } from "../backend/kernel-complex.js";
import type { PrimitiveDefinition } from "../lax/primitive.js";
import { definitionOf } from "../lax/primitive.js";
import { contiguousStrides, shapeEq } from "../shape.js";
import type { ShapedArray } from "../trace/core.js";
import type { Atom, Eqn, Jaxpr } from "../trace/jaxpr.js";
import { Literal, Var } from "../trace/jaxpr.js";
import type { Expr, Kernel, View } from "../backend/kernel.js";
import { binary, cast, constant, load, someNode } from "../backend/kernel.js";

export type Step =
  /** A fused kernel computing `out` (and `more`, the kernel's further outputs) from the buffers of `inputs`. */
  | { kind: "kernel"; out: Var; kernel: Kernel; inputs: Var[]; more?: Var[] }
  /** A primitive run as itself (a routine, an alias, control flow). */
  | { kind: "eqn"; eqn: Eqn }
  /**
   * A matmul (`eqn`, a dot_general run as its routine) whose elementwise
   * consumer `epilogue` is computed as each product is stored: `out` is the
   * consumer's value; `inputs` are the consumer's inputs other than the
   * product (its input `accInput`), which follow lhs and rhs. With
   * `accShape` (the product's shape) the consumer's loop is larger: it reads
   * the product broadcast along trailing axes (a mat-vec's row outputs).
   */
  | { kind: "dot"; eqn: Eqn; out: Var; epilogue: Kernel; accInput: number; inputs: Var[]; accShape?: readonly number[] };

export interface Plan {
  jaxpr: Jaxpr;
  steps: Step[];
  /** For each step, the vars whose buffers can be released after it. */
  release: Var[][];
}

// index maps from a kernel's loop space to a value's index space
type IndexMap =
  | { kind: "affine"; coeffs: number[][]; offset: number[] } // rows: value axes; columns: loop axes
  | { kind: "flat"; strides: number[]; offset: number }; // row-major flat position in the value

const identityMap = (rank: number): IndexMap => ({
  kind: "affine",
  coeffs: Array.from({ length: rank }, (_, j) => Array.from({ length: rank }, (_, k) => (j === k ? 1 : 0))),
  offset: Array.from({ length: rank }, () => 0),
});

/** A text key for an index map: equal keys read a value at the same element for every loop point. */
function indexMapKey(m: IndexMap): string {
  return m.kind === "flat" ? `f${m.offset}:${m.strides.join(",")}` : `a${m.offset.join(",")}:${m.coeffs.map((row) => row.join(",")).join(";")}`;
}

function viewAt(shape: readonly number[], m: IndexMap, loopRank: number): View {
  if (m.kind === "flat") return { strides: [...m.strides], offset: m.offset };
  const st = contiguousStrides(shape);
  return {
    strides: Array.from({ length: loopRank }, (_, k) => m.coeffs.reduce((s, row, j) => s + st[j] * row[k], 0)),
    offset: m.offset.reduce((s, c, j) => s + st[j] * c, 0),
  };
}

function toFlat(shape: readonly number[], m: IndexMap, loopRank: number): IndexMap {
  if (m.kind === "flat") return m;
  const v = viewAt(shape, m, loopRank);
  return { kind: "flat", strides: v.strides, offset: v.offset };
}

/** Composes value→input (`inner`) after loop→value (`outer`). */
function compose(outer: Extract<IndexMap, { kind: "affine" }>, inner: { coeffs: number[][]; offset: number[] }, loopRank: number): IndexMap {
  const coeffs = inner.coeffs.map((row) => Array.from({ length: loopRank }, (_, k) => row.reduce((s, a, j) => s + a * outer.coeffs[j][k], 0)));
  const offset = inner.coeffs.map((row, i) => inner.offset[i] + row.reduce((s, a, j) => s + a * outer.offset[j], 0));
  return { kind: "affine", coeffs, offset };
}

const defOf = (e: Eqn): PrimitiveDefinition<Record<string, unknown>> => definitionOf(e.prim);
type Role = "elementwise" | "view" | "reshape" | "reduce" | "contract" | "opaque";
function roleOf(e: Eqn): Role {
  const def = defOf(e);
  if (e.outs.length !== 1) return "opaque";
  if (def.scalar) return "elementwise";
  if (def.fusion?.kind === "contract") return termsOf(e) ? "contract" : "opaque";
  if (def.fusion) return def.fusion.kind;
  return "opaque";
}

/** A short contraction's terms (FusionRole "contract"), or null when it runs as its routine. */
function termsOf(e: Eqn) {
  const fusion = defOf(e)?.fusion;
  if (fusion?.kind !== "contract") return null;
  return fusion.terms(
    e.inputs.map((x) => x.aval),
    e.params,
    e.outs[0].aval,
  );
}

/** Elementwise ops a scalar used by several kernels may take before it is stored once instead of recomputed by each. */
const SCALAR_RECOMPUTE = 8;

class NeedsBuffer extends Error {
  constructor(readonly v: Var) {
    super("fusion: value needs a buffer");
  }
}

/**
 * Partitions a jaxpr into kernels; with `fuse: false`, one kernel per
 * primitive (every value in a buffer). No kernel reads more than `maxInputs`
 * buffers (a device's binding limit): a kernel over it stores the fused
 * intermediate that reads the most of them, and is planned again. With
 * `siblings`, elementwise kernels over the same loop become one kernel with
 * several outputs where their inputs allow it (see `mergeSiblings`).
 */
export function planJaxpr(
  jaxpr: Jaxpr,
  {
    fuse = true,
    maxInputs = Infinity,
    siblings = false,
    epilogues = false,
    broadcastEpilogues = false,
  }: { fuse?: boolean; maxInputs?: number; siblings?: boolean; epilogues?: boolean; broadcastEpilogues?: boolean } = {},
): Plan {
  const producer = new Map<Var, Eqn>();
  const uses = new Map<Var, number>();
  for (const e of jaxpr.eqns) {
    e.outs.forEach((v) => producer.set(v, e));
    for (const a of e.inputs) if (a instanceof Var) uses.set(a, (uses.get(a) ?? 0) + 1);
  }
  for (const a of jaxpr.outs) if (a instanceof Var) uses.set(a, (uses.get(a) ?? 0) + 2);

  /** A 0-d value computed by at most SCALAR_RECOMPUTE elementwise ops from buffers and literals. */
  const cheapScalar = (v: Var): boolean => {
    if (v.aval.ndim > 0) return false;
    let ops = 0;
    const walk = (a: Atom): boolean => {
      if (!(a instanceof Var)) return true;
      const e = producer.get(a);
      if (!e || jaxpr.invars.includes(a) || jaxpr.constvars.includes(a)) return true;
      const role = roleOf(e);
      if (role === "reduce" || role === "opaque") return true; // stored anyway: a load
      if (role !== "elementwise" || ++ops > SCALAR_RECOMPUTE) return false;
      return e.inputs.every(walk);
    };
    return walk(v);
  };

  // values that live in buffers
  const materialized = new Set<Var>([...jaxpr.constvars, ...jaxpr.invars]);
  // of those, the elementwise values stored only because several equations read them
  const shared = new Set<Var>();
  for (const a of jaxpr.outs) if (a instanceof Var) materialized.add(a);
  for (const e of jaxpr.eqns) {
    const role = roleOf(e);
    if (role === "opaque") {
      e.outs.forEach((v) => materialized.add(v));
      for (const a of e.inputs) if (a instanceof Var) materialized.add(a);
    }
    if (role === "reduce") e.outs.forEach((v) => materialized.add(v));
    // computed values used twice are stored once rather than recomputed; pure index maps are free to repeat
    // (a scalar of a few ops is recomputed instead: each consumer pays those ops, not a kernel launch)
    if ((role === "elementwise" || role === "contract") && (uses.get(e.outs[0]) ?? 0) > 1 && !cheapScalar(e.outs[0])) {
      if (!materialized.has(e.outs[0]) && role === "elementwise") shared.add(e.outs[0]);
      materialized.add(e.outs[0]);
    }
    if (!fuse) e.outs.forEach((v) => materialized.add(v));
  }
  if (fuse) keepSharedInside(jaxpr, materialized, shared);

  for (;;) {
    try {
      return { jaxpr, ...buildSteps(jaxpr, producer, materialized, maxInputs, siblings, epilogues, broadcastEpilogues) };
    } catch (err) {
      if (!(err instanceof NeedsBuffer)) throw err;
      materialized.add(err.v);
    }
  }
}

/**
 * A value that several equations read, all of them elementwise ops over its shape whose
 * results end up in one kernel (a long elementwise function: log's mantissa in each Horner
 * chain, erfinv's branch mask in every coefficient), is a shared node of that kernel's
 * expression, computed once per element, rather than a buffer that one kernel writes and
 * another reads: storing it would split the function into several kernels, each streaming
 * the intermediates through memory. Decided from the last equation back, so that every
 * reader's kernel is known: the kernel of a value is itself where it is stored, else the one
 * kernel that all its readers' values belong to (null where they belong to several).
 */
function keepSharedInside(jaxpr: Jaxpr, materialized: Set<Var>, shared: Set<Var>): void {
  const readers = new Map<Var, Eqn[]>();
  for (const e of jaxpr.eqns) {
    for (const a of e.inputs) {
      if (!(a instanceof Var)) continue;
      const list = readers.get(a);
      if (list) list.push(e);
      else readers.set(a, [e]);
    }
  }
  const kernelOf = new Map<Var, Var | null>();
  for (let i = jaxpr.eqns.length - 1; i >= 0; i--) {
    const e = jaxpr.eqns[i];
    if (e.outs.length !== 1) continue;
    const v = e.outs[0];
    if (materialized.has(v) && !shared.has(v)) {
      kernelOf.set(v, v);
      continue;
    }
    let kernel: Var | null | undefined;
    for (const r of readers.get(v) ?? []) {
      const role = roleOf(r);
      const inside = role !== "opaque" && (!shared.has(v) || (role === "elementwise" && shapeEq(r.outs[0].aval.shape, v.aval.shape)));
      const k = inside ? (kernelOf.get(r.outs[0]) ?? null) : null;
      kernel = kernel === undefined || kernel === k ? k : null;
      if (kernel === null) break;
    }
    if (!shared.has(v)) kernelOf.set(v, kernel ?? null);
    else if (kernel) {
      materialized.delete(v);
      kernelOf.set(v, kernel);
    } else kernelOf.set(v, v);
  }
}

function buildSteps(
  jaxpr: Jaxpr,
  producer: Map<Var, Eqn>,
  materialized: Set<Var>,
  maxInputs: number,
  siblings: boolean,
  epilogues: boolean,
  broadcastEpilogues: boolean,
): Omit<Plan, "jaxpr"> {
  let steps: Step[] = [];
  for (const e of jaxpr.eqns) {
    const role = roleOf(e);
    if (role === "opaque") {
      steps.push({ kind: "eqn", eqn: e });
      continue;
    }
    const out = e.outs[0];
    if (!materialized.has(out)) continue;
    // a stored reshape of a stored value is the same buffer (an alias), not a copy
    if (role === "reshape" && e.inputs[0] instanceof Var && materialized.has(e.inputs[0])) {
      steps.push({ kind: "eqn", eqn: e });
      continue;
    }
    steps.push(buildKernel(e, role, producer, materialized, maxInputs));
  }
  if (epilogues) steps = foldEpilogues(steps, jaxpr, maxInputs, broadcastEpilogues);
  if (siblings) steps = mergeSiblings(steps, maxInputs);
  // release each buffer after its last use (inputs and outputs are the caller's)
  const lastUse = new Map<Var, number>();
  steps.forEach((s, i) => {
    for (const v of stepInputs(s)) lastUse.set(v, i);
    // an output nothing reads (a sibling's) is freed right after the step that made it
    for (const v of stepOutputs(s)) if (!lastUse.has(v)) lastUse.set(v, i);
  });
  const keep = new Set<Var>([...jaxpr.constvars, ...jaxpr.invars, ...jaxpr.outs.filter((a): a is Var => a instanceof Var)]);
  const release: Var[][] = steps.map(() => []);
  for (const [v, i] of lastUse) if (!keep.has(v)) release[i].push(v);
  return { steps, release };
}

function stepInputs(s: Step): Var[] {
  const eqnVars = (e: Eqn) => e.inputs.filter((a): a is Var => a instanceof Var);
  return s.kind === "kernel" ? s.inputs : s.kind === "dot" ? [...eqnVars(s.eqn), ...s.inputs] : eqnVars(s.eqn);
}

function stepOutputs(s: Step): Var[] {
  return s.kind === "kernel" ? [s.out, ...(s.more ?? [])] : s.kind === "dot" ? [s.out] : s.eqn.outs;
}

/**
 * Folds an elementwise kernel into the matmul or reduction before it (bias,
 * activation, residual; a mean's division, a loss's scale) when it is the
 * result's only reader, reads it element for element (row-major, any shape of the same size),
 * computes in float32: one launch, and the result never goes through memory.
 * With `broadcast`, also a reader whose loop is larger and reads the result
 * broadcast along its trailing axes (a mat-vec's or a row reduction's
 * consumer over the rows: per-example gradients x·(2(x·w − y)), softmax's
 * exp(x − max)); the backend then stores it into a buffer of its own.
 */
function foldEpilogues(steps: Step[], jaxpr: Jaxpr, maxInputs: number, broadcast: boolean): Step[] {
  const outputs = new Set(jaxpr.outs.filter((a): a is Var => a instanceof Var));
  const producedAt = new Map<Var, number>();
  steps.forEach((s, i) => stepOutputs(s).forEach((v) => producedAt.set(v, i)));
  const out: (Step | null)[] = [...steps];
  steps.forEach((a, i) => {
    // a routine that takes an epilogue says so in its fusion role (the matmul does)
    const fusion = a.kind === "eqn" ? defOf(a.eqn).fusion : undefined;
    const isDot = fusion?.kind === "contract" && fusion.epilogue === true;
    const isReduce = a.kind === "kernel" && a.kernel.reduce !== undefined && !a.kernel.reduce.epilogue && !a.more;
    if (!isDot && !isReduce) return;
    const product = isDot ? (a as Extract<Step, { kind: "eqn" }>).eqn.outs[0] : (a as Extract<Step, { kind: "kernel" }>).out;
    if (product.aval.dtype !== "float32" || outputs.has(product)) return;
    const readers = steps.map((s, j) => [s, j] as const).filter(([s]) => stepInputs(s).includes(product));
    if (readers.length !== 1) return;
    const [k, j] = readers[0];
    if (k.kind !== "kernel" || k.kernel.reduce || k.more || k.kernel.dtype !== "float32" || j < i || out[j] !== k) return;
    // element for element in row-major order: the same shape, or a reshape of it (a matrix-vector product's [m, 1] read as [m]);
    // or (broadcast) the result's elements along the leading loop axes, each repeated along the trailing ones
    const accIdx = k.inputs.map((v, n) => (v === product ? n : -1)).filter((n) => n >= 0);
    if (accIdx.length !== 1) return;
    const accView = k.kernel.inputs[accIdx[0]].view;
    const same = k.kernel.loopShape.reduce((a, b) => a * b, 1) === product.aval.size;
    if (same ? !isIdentityView(accView, k.kernel.loopShape) : !broadcast || !isTrailingBroadcast(accView, k.kernel.loopShape, product.aval.size)) return;
    if (!isFloat32Only(k.kernel)) return;
    const rest = k.inputs.filter((v) => v !== product);
    const own = a.kind === "kernel" ? a.inputs.length : a.eqn.inputs.length;
    if (rest.length + own > maxInputs) return;
    // the merged step runs where the matmul or reduction was when the epilogue's other inputs exist by then;
    // else where the consumer was (nothing between the two reads the product: the consumer is its only reader)
    const at = rest.every((v) => (producedAt.get(v) ?? -1) < i) ? i : j;
    const accShape = same ? {} : { accShape: product.aval.shape };
    const epilogue = { kernel: k.kernel, accInput: accIdx[0], ...accShape };
    out[at] =
      a.kind === "kernel"
        ? { kind: "kernel", out: k.out, inputs: [...a.inputs, ...rest], kernel: { ...a.kernel, reduce: { ...a.kernel.reduce!, epilogue }, dtype: k.kernel.dtype } }
        : { kind: "dot", eqn: (a as Extract<Step, { kind: "eqn" }>).eqn, out: k.out, epilogue: k.kernel, accInput: accIdx[0], inputs: rest, ...accShape };
    out[at === i ? j : i] = null;
    producedAt.set(k.out, at);
  });
  return out.filter((s): s is Step => s !== null);
}

/** Every value of the kernel is float32 or bool (an epilogue computes in the matmul's f32). */
function isFloat32Only(k: Kernel): boolean {
  return k.inputs.every((i) => i.dtype === "float32") && !someNode(k.expr, (e) => e.dtype !== "float32" && e.dtype !== "bool");
}

/** Most outputs one merged kernel stores. */
const MAX_SIBLINGS = 8;

/**
 * Merges each elementwise kernel into an earlier one over the same loop
 * whose position already has all its inputs, or whose outputs are the rest
 * of them read element for element (those loads become the earlier kernel's
 * expressions, recomputed rather than read back): one launch stores both (an
 * optimizer's m, v and parameter update for one leaf). Inputs the two read
 * through the same view are bound once; each output is a binding too, so the
 * merge respects `maxInputs`.
 */
function mergeSiblings(steps: Step[], maxInputs: number): Step[] {
  type KernelStep = Extract<Step, { kind: "kernel" }>;
  // a complex kernel stays single-output: its lanes (src/backend/kernel-complex.ts) are one output's
  const mergeable = (s: Step): s is KernelStep => s.kind === "kernel" && !s.kernel.reduce && !hasComplex(s.kernel);
  const producedAt = new Map<Var, number>();
  steps.forEach((s, i) => stepOutputs(s).forEach((v) => producedAt.set(v, i)));
  const out: (Step | null)[] = [...steps];
  for (let j = 0; j < steps.length; j++) {
    const s = steps[j];
    if (!mergeable(s)) continue;
    const shape = s.kernel.loopShape.join(",");
    for (let i = 0; i < j; i++) {
      const t = out[i];
      if (!t || !mergeable(t) || t.kernel.loopShape.join(",") !== shape) continue;
      const tOuts = [t.out, ...(t.more ?? [])];
      const available = s.inputs.every((v, k) => (producedAt.get(v) ?? -1) < i || (tOuts.includes(v) && isIdentityView(s.kernel.inputs[k].view, s.kernel.loopShape)));
      if (!available) continue;
      const merged = mergeKernels(t, s);
      const outputs = 1 + (merged.more?.length ?? 0);
      if (outputs > MAX_SIBLINGS || merged.inputs.length + outputs - 1 > maxInputs) continue;
      out[i] = merged;
      out[j] = null;
      [s.out, ...(s.more ?? [])].forEach((v) => producedAt.set(v, i));
      break;
    }
  }
  return out.filter((s): s is Step => s !== null);
}

/**
 * Whether a view reads a buffer of `size` elements in row-major order along the leading loop axes whose sizes
 * multiply to `size`, and repeats each element along the remaining (trailing) axes (stride 0): a broadcast of a
 * row's result over the row.
 */
function isTrailingBroadcast(view: View, loopShape: readonly number[], size: number): boolean {
  if (view.offset !== 0 || view.strides.length !== loopShape.length) return false;
  let lead = 0;
  for (let n = 1; lead < loopShape.length && n !== size; lead++) n *= loopShape[lead];
  const prefix = loopShape.slice(0, lead);
  if (prefix.reduce((a, b) => a * b, 1) !== size || lead === loopShape.length) return false;
  const st = contiguousStrides(prefix);
  return view.strides.every((s, k) => (k < lead ? s === st[k] || loopShape[k] === 1 : s === 0 || loopShape[k] === 1));
}

/** Whether a view reads element i of the loop from element i of its buffer (row-major, no offset). */
function isIdentityView(view: View, loopShape: readonly number[]): boolean {
  const st = contiguousStrides(loopShape);
  return view.offset === 0 && view.strides.length === st.length && view.strides.every((s, k) => s === st[k] || loopShape[k] === 1);
}

/**
 * `t` with `s`'s outputs added: `s`'s loads renumbered into the merged input
 * list (shared views bound once), and its loads of `t`'s outputs replaced by
 * the expressions that compute them.
 */
function mergeKernels(t: Extract<Step, { kind: "kernel" }>, s: Extract<Step, { kind: "kernel" }>): Extract<Step, { kind: "kernel" }> {
  const tOuts = [t.out, ...(t.more ?? [])];
  const tExprs = [t.kernel.expr, ...(t.kernel.more ?? []).map((o) => o.expr)];
  const inputs = [...t.inputs];
  const views = [...t.kernel.inputs];
  const keyOf = (v: Var, view: View) => `${inputs.indexOf(v)}@${view.offset}:${view.strides.join(",")}`;
  const index = new Map<string, number>();
  inputs.forEach((v, k) => index.set(keyOf(v, views[k].view), k));
  // a load of one of t's outputs is that output's expression (-1 - which, below)
  const renumber = s.inputs.map((v, k) => {
    const view = s.kernel.inputs[k];
    if (tOuts.includes(v)) return -1 - tOuts.indexOf(v);
    const key = inputs.includes(v) ? keyOf(v, view.view) : null;
    const found = key === null ? undefined : index.get(key);
    if (found !== undefined) return found;
    inputs.push(v);
    views.push(view);
    return inputs.length - 1;
  });
  const memo = new Map<Expr, Expr>();
  const moved = (e: Expr): Expr => renumberLoads(e, renumber, tExprs, memo);
  return {
    kind: "kernel",
    out: t.out,
    inputs,
    more: [...(t.more ?? []), s.out, ...(s.more ?? [])],
    kernel: {
      ...t.kernel,
      inputs: views,
      more: [...(t.kernel.more ?? []), { expr: moved(s.kernel.expr), dtype: s.kernel.dtype }, ...(s.kernel.more ?? []).map((o) => ({ expr: moved(o.expr), dtype: o.dtype }))],
    },
  };
}

/** Loads renumbered by `to`; a negative target -1-w is replaced by `inline[w]`. */
function renumberLoads(e: Expr, to: number[], inline: Expr[], memo = new Map<Expr, Expr>()): Expr {
  // by node: a shared subexpression stays one node (a tree copy of a DAG grows exponentially)
  let known = memo.get(e);
  if (known === undefined) memo.set(e, (known = renumberNode(e, to, inline, memo)));
  return known;
}

function renumberNode(e: Expr, to: number[], inline: Expr[], memo: Map<Expr, Expr>): Expr {
  const r = (x: Expr) => renumberLoads(x, to, inline, memo);
  switch (e.kind) {
    case "input":
      return to[e.input] < 0 ? inline[-1 - to[e.input]] : { ...e, input: to[e.input] };
    case "const":
    case "index":
      return e;
    case "unary":
    case "cast":
    case "ipow":
      return { ...e, arg: r(e.arg) };
    case "binary":
      return { ...e, lhs: r(e.lhs), rhs: r(e.rhs) };
    case "select":
      return { ...e, which: r(e.which), cases: e.cases.map(r) };
    case "fma":
      return { ...e, args: e.args.map(r) as [Expr, Expr, Expr] };
  }
}

function buildKernel(root: Eqn, role: Role, producer: Map<Var, Eqn>, materialized: Set<Var>, maxInputs: number): Step {
  const out = root.outs[0];
  const inputs: Var[] = [];
  const views: { dtype: ShapedArray["dtype"]; view: View }[] = [];
  const loadKeys = new Map<string, number>();
  const inputIds = new Map<Var, number>();
  let loopRank: number;
  // the loads under each fused intermediate, to pick one to store when the kernel reads too many buffers
  const open: Set<number>[] = [];
  const loadsUnder = new Map<Var, number>();

  const loadOf = (v: Var, m: IndexMap): Expr => {
    const view = viewAt(v.aval.shape, m, loopRank);
    let varId = inputIds.get(v);
    if (varId === undefined) inputIds.set(v, (varId = inputIds.size));
    const key = `${varId}@${view.offset}:${view.strides.join(",")}`;
    let idx = loadKeys.get(key);
    if (idx === undefined) {
      idx = views.length;
      inputs.push(v);
      views.push({ dtype: v.aval.dtype, view });
      loadKeys.set(key, idx);
    }
    for (const s of open) s.add(idx);
    return load(idx, v.aval.dtype);
  };

  // the value of atom `a` at the loop point, where `m` maps the loop point into a's index space
  // A fused value read more than once at the same loop point (through a view used twice: `t = x.T; t·t`)
  // is one expression node with several parents, not a copy per reader: copies double with each such step
  // of a chain (2^n nodes after n steps), while a shared node is computed once by every renderer.
  const inlinedAt = new Map<string, { expr: Expr; loads?: Set<number> }>();
  const varNumbers = new Map<Var, number>();
  const exprOf = (a: Atom, m: IndexMap, isRoot = false): Expr => {
    if (a instanceof Literal) return constant(a.value, a.aval.dtype);
    if (!isRoot && materialized.has(a)) return loadOf(a, m);
    if (isRoot) return inlined(a, m);
    let id = varNumbers.get(a);
    if (id === undefined) varNumbers.set(a, (id = varNumbers.size));
    const key = `${id}|${indexMapKey(m)}`;
    const known = inlinedAt.get(key);
    if (known) {
      // the shared value's loads count for every fused value that reads it
      if (known.loads) for (const s of open) for (const l of known.loads) s.add(l);
      return known.expr;
    }
    if (maxInputs === Infinity) {
      const expr = inlined(a, m);
      inlinedAt.set(key, { expr });
      return expr;
    }
    const loads = new Set<number>();
    open.push(loads);
    try {
      const expr = inlined(a, m);
      inlinedAt.set(key, { expr, loads });
      return expr;
    } finally {
      open.pop();
      loadsUnder.set(a, Math.max(loadsUnder.get(a) ?? 0, loads.size));
    }
  };
  /** Too many buffers: the fused intermediate that reads the most of them (but not all) gets a buffer of its own. */
  const checkInputs = () => {
    // a complex input is two buffers' worth of bindings once lowered to float lanes (its re and im lanes)
    if (inputs.reduce((n, v) => n + (isComplexDType(v.aval.dtype) ? 2 : 1), 0) <= maxInputs) return;
    let best: Var | undefined;
    let most = 1;
    for (const [v, n] of loadsUnder) if (n > most && n < inputs.length) [best, most] = [v, n];
    if (best) throw new NeedsBuffer(best);
  };
  const inlined = (a: Var, m: IndexMap): Expr => {
    const e = producer.get(a)!;
    const def = defOf(e)!;
    const role = roleOf(e);
    const avals = e.inputs.map((x) => x.aval);
    switch (role) {
      case "elementwise": {
        const args = e.inputs.map((x) => (x.aval.ndim === 0 && a.aval.ndim > 0 ? exprOf(x, scalarMap(m)) : exprOf(x, m)));
        return def.scalar!(args, e.params, avals, a.aval);
      }
      case "view": {
        // a view of a one-element value (a scalar's broadcast) reads its only element under any index map, a flat one included
        if (e.inputs[0].aval.size === 1) return exprOf(e.inputs[0], zeroMap(e.inputs[0].aval.ndim));
        if (m.kind !== "affine") throw new NeedsBuffer(a);
        const inner = (def.fusion as Extract<NonNullable<typeof def.fusion>, { kind: "view" }>).map(avals[0], e.params, a.aval);
        return exprOf(e.inputs[0], compose(m, inner, loopRank));
      }
      case "reshape":
        return exprOf(e.inputs[0], toFlat(a.aval.shape, m, loopRank));
      case "contract": {
        if (m.kind !== "affine") throw new NeedsBuffer(a);
        const products = termsOf(e)!.map(([l, r]) =>
          binary("mul", cast(exprOf(e.inputs[0], compose(m, l, loopRank)), a.aval.dtype), cast(exprOf(e.inputs[1], compose(m, r, loopRank)), a.aval.dtype)),
        );
        return products.reduce((s, p) => binary("add", s, p));
      }
      default:
        throw new NeedsBuffer(a);
    }
  };
  /** Every loop point to element 0 of a value of rank `rank`. */
  const zeroMap = (rank: number): IndexMap => ({
    kind: "affine",
    coeffs: Array.from({ length: rank }, () => Array.from({ length: loopRank }, () => 0)),
    offset: Array.from({ length: rank }, () => 0),
  });
  const scalarMap = (m: IndexMap): IndexMap =>
    m.kind === "flat" ? { kind: "flat", strides: m.strides.map(() => 0), offset: 0 } : { kind: "affine", coeffs: [], offset: [] };

  if (role === "reduce") {
    const x = root.inputs[0];
    const fusion = defOf(root)!.fusion as Extract<NonNullable<PrimitiveDefinition<Record<string, unknown>>["fusion"]>, { kind: "reduce" }>;
    if (fusion.window) {
      // a windowed reduction: the producer's expression read through the window's affine map
      const w = fusion.window(x.aval, root.params, out.aval);
      loopRank = w.loopShape.length;
      const expr = exprOf(x, { kind: "affine", coeffs: w.map.coeffs, offset: w.map.offset });
      checkInputs();
      return {
        kind: "kernel",
        out,
        inputs,
        kernel: { loopShape: w.loopShape, inputs: views, expr, reduce: { op: fusion.op, axes: loopRank - out.aval.ndim }, dtype: out.aval.dtype },
      };
    }
    const axes = fusion.axes(root.params);
    const kept = x.aval.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const order = [...kept, ...axes];
    loopRank = order.length;
    // loop axis k walks input axis order[k]
    const m: IndexMap = {
      kind: "affine",
      coeffs: x.aval.shape.map((_, j) => order.map((o) => (o === j ? 1 : 0))),
      offset: x.aval.shape.map(() => 0),
    };
    const expr = exprOf(x, m);
    checkInputs();
    return {
      kind: "kernel",
      out,
      inputs,
      kernel: { loopShape: order.map((i) => x.aval.shape[i]), inputs: views, expr, reduce: { op: fusion.op, axes: axes.length }, dtype: out.aval.dtype },
    };
  }
  loopRank = out.aval.ndim;
  const expr = exprOf(out, identityMap(out.aval.ndim), true);
  checkInputs();
  return { kind: "kernel", out, inputs, kernel: { loopShape: out.aval.shape, inputs: views, expr, dtype: out.aval.dtype } };
}

/** How many kernels a plan launches: fused kernels and primitives run as themselves, but not reshapes (buffer aliases). */
export function kernelCount(plan: Plan): number {
  return plan.steps.filter((s) => !(s.kind === "eqn" && roleOf(s.eqn) === "reshape")).length;
}
