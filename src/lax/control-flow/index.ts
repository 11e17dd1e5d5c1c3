/**
 * Control flow as primitives, one file each: `cond` (cond.ts, behind
 * `lax.cond` and `lax.switch`), `while` (while.ts, behind `lax.whileLoop` and
 * `lax.foriLoop`) and `scan` (scan.ts). Each holds closure-converted jaxprs
 * (the values a branch or body closes over are explicit leading inputs, so
 * every transformation sees them) and has every rule that makes sense: jvp
 * (one call over primals and tangents), partialEval (the known part runs now,
 * the rest is staged: see src/trace/partial-eval.ts), transpose (none for
 * while, by design) and batching. shared.ts holds what they share.
 *
 * The rules are themselves transformations (jvp, vmap, transposition of the
 * body), imported from src/transforms and called only at run time. Eagerly,
 * a branch or body runs as a jitted jaxpr does (fused, compiled once), and a
 * loop disposes its per-step temporaries itself.
 */
export { cond, condP, switch } from "./cond.js";
export { foriLoop, whileLoop, whileP } from "./while.js";
export { scan, scanP, type ScanOptions } from "./scan.js";
