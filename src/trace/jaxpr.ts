/**
 * The jaxpr IR: variables, literals, equations, jaxprs and closed jaxprs (a
 * jaxpr with its constants), a type checker, an evaluator, and a printer in
 * JAX's text form: `{ lambda ; a:f32[3]. let b:f32[3] = sin a; c:f32[3] = mul b 2.0 in (c) }`.
 */
import type { Concrete, Params, Primitive, Value } from "./core.js";
import { bind, ShapedArray, theRuntime } from "./core.js";

export class Var {
  constructor(readonly aval: ShapedArray) {}
}

/** A scalar constant written into the jaxpr (JS numbers and 0-d constants). */
export class Literal {
  constructor(
    readonly value: number,
    readonly aval: ShapedArray,
  ) {}
  /** The literal as a concrete array (the runtime makes it once and shares it; constant folding reads it). */
  get array(): Concrete {
    return theRuntime().literal(this);
  }
}

export type Atom = Var | Literal;

export interface Eqn {
  prim: Primitive;
  inputs: Atom[];
  params: Params;
  outs: Var[];
  /** The names of the `namedScope`/`namedCall` scopes it was staged in, joined with "/" (absent outside any). */
  nameStack?: string;
}

export class Jaxpr {
  constructor(
    readonly constvars: Var[],
    readonly invars: Var[],
    readonly eqns: Eqn[],
    readonly outs: Atom[],
  ) {}
  toString(): string {
    return printJaxpr(this);
  }
  /** The printed jaxpr; with `nameStack: true`, one equation a line, each followed by `# [its name stack]` (as JAX's `pretty_print(name_stack=True)`). */
  prettyPrint(options: { nameStack?: boolean } = {}): string {
    return printJaxpr(this, "", options?.nameStack === true);
  }
}

/** A jaxpr with the values of its constvars. */
export class ClosedJaxpr {
  constructor(
    readonly jaxpr: Jaxpr,
    readonly consts: Value[],
  ) {}
  get inAvals(): ShapedArray[] {
    return this.jaxpr.invars.map((v) => v.aval);
  }
  get outAvals(): ShapedArray[] {
    return this.jaxpr.outs.map((v) => v.aval);
  }
  toString(): string {
    return printJaxpr(this.jaxpr);
  }
  /** The printed jaxpr; with `nameStack: true`, one equation a line, each followed by `# [its name stack]` (as JAX's `pretty_print(name_stack=True)`). */
  prettyPrint(options: { nameStack?: boolean } = {}): string {
    return printJaxpr(this.jaxpr, "", options?.nameStack === true);
  }
  [Symbol.for("nodejs.util.inspect.custom")]() {
    return this.toString();
  }
}

/** Evaluates a jaxpr by binding each equation under the current trace (so it can itself be transformed). */
export function evalJaxpr(jaxpr: Jaxpr, consts: Value[], args: Value[]): Value[] {
  const env = new Map<Var, Value>();
  const read = (a: Atom): Value => (a instanceof Literal ? a.array : env.get(a)!);
  jaxpr.constvars.forEach((v, i) => env.set(v, consts[i]));
  jaxpr.invars.forEach((v, i) => env.set(v, args[i]));
  for (const eqn of jaxpr.eqns) {
    const outs = bind(eqn.prim, eqn.inputs.map(read), eqn.params);
    eqn.outs.forEach((v, i) => env.set(v, outs[i]));
  }
  return jaxpr.outs.map(read);
}

/** Checks that every variable is defined before use and every equation's types follow its abstract eval. */
export function typecheckJaxpr(jaxpr: Jaxpr): void {
  const defined = new Set<Var>([...jaxpr.constvars, ...jaxpr.invars]);
  const check = (a: Atom, where: string) => {
    if (a instanceof Var && !defined.has(a)) throw new Error(`jaxpr typecheck: ${where} uses an undefined variable`);
  };
  jaxpr.eqns.forEach((eqn, k) => {
    eqn.inputs.forEach((a) => check(a, `equation ${k} (${eqn.prim.name})`));
    const outAvals = eqn.prim.rules.abstractEval(
      eqn.inputs.map((a) => a.aval),
      eqn.params,
    );
    if (outAvals.length !== eqn.outs.length || outAvals.some((a, i) => !sameType(a, eqn.outs[i].aval))) {
      throw new Error(
        `jaxpr typecheck: equation ${k} (${eqn.prim.name}) declares ${eqn.outs.map((v) => v.aval).join(", ")} ` +
          `but its inputs give ${outAvals.join(", ")}`,
      );
    }
    for (const v of eqn.outs) {
      if (defined.has(v)) throw new Error(`jaxpr typecheck: equation ${k} redefines a variable`);
      defined.add(v);
    }
  });
  jaxpr.outs.forEach((a) => check(a, "the output"));
}
const sameType = (a: ShapedArray, b: ShapedArray) => a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

// ---- printing ---------------------------------------------------------------------------

function varNamer() {
  const names = new Map<Var, string>();
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const nameOf = (i: number): string => (i < 26 ? letters[i] : nameOf(Math.floor(i / 26) - 1) + letters[i % 26]);
  return (v: Var) => {
    let n = names.get(v);
    if (!n) names.set(v, (n = nameOf(names.size)));
    return n;
  };
}

function formatLiteral(l: Literal): string {
  const { dtype } = l.aval;
  if (dtype === "bool") return l.value ? "True" : "False";
  if (dtype === "float32" || dtype === "float64") {
    if (Number.isNaN(l.value)) return "nan";
    if (!Number.isFinite(l.value)) return l.value > 0 ? "inf" : "-inf";
    if (Object.is(l.value, -0)) return "-0.0"; // toFixed drops the sign
    const v = dtype === "float32" ? Number(Math.fround(l.value).toPrecision(7)) : l.value;
    return Number.isInteger(v) ? v.toFixed(1) : String(v);
  }
  return String(l.value);
}

function formatParam(v: unknown, name: (v: Var) => string): string {
  if (v instanceof ClosedJaxpr || v instanceof Jaxpr) {
    const text = printJaxpr(v instanceof ClosedJaxpr ? v.jaxpr : v, "      ");
    return text;
  }
  if (globalThis.Array.isArray(v)) return `(${v.map((x) => formatParam(x, name)).join(",")}${v.length === 1 ? "," : ""})`;
  if (v && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${k}=${formatParam(x, name)}`).join(", ")}}`;
  return String(v);
}

export function printJaxpr(jaxpr: Jaxpr, indent = "", nameStack = false): string {
  const name = varNamer();
  const decl = (v: Var) => `${name(v)}:${v.aval}`;
  const atom = (a: Atom) => (a instanceof Literal ? formatLiteral(a) : name(a));
  const consts = jaxpr.constvars.map(decl).join(" ");
  const ins = jaxpr.invars.map(decl).join(" ");
  const eqns = jaxpr.eqns.map((e) => {
    const params = Object.entries(e.params)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${formatParam(v, name)}`);
    const lhs = e.outs.map(decl).join(" ");
    const text = `${lhs} = ${e.prim.name}${params.length ? `[${params.join(" ")}]` : ""} ${e.inputs.map(atom).join(" ")}`.trimEnd();
    return nameStack ? `${text} # [${e.nameStack ?? ""}]` : text;
  });
  const outs = `(${jaxpr.outs.map(atom).join(", ")})`;
  const head = `{ lambda ${consts}${consts ? " " : ""}; ${ins}. let`;
  const oneLine = `${head} ${eqns.join("; ")} in ${outs} }`;
  if (!nameStack && oneLine.length <= 100 && !oneLine.includes("\n")) return oneLine;
  return `${head}\n${eqns.map((e) => `${indent}    ${e}`).join("\n")}\n${indent}  in ${outs} }`;
}

export { ShapedArray };
