/**
 * Prints jaxon's public names as JSON, per namespace, for tools/api-coverage.py:
 * `npx tsx tools/list-exports.ts [path/to/src/index.ts]`.
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const entry = resolve(process.argv[2] ?? "src/index.ts");
const jaxon = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
const names = (o: unknown): string[] => (o && typeof o === "object" ? Object.keys(o).filter((k) => !/^[A-Z]/.test(k) || k === "Array") : []);
const out: Record<string, string[]> = {
  top: Object.keys(jaxon).filter((k) => typeof jaxon[k] === "function" && !/^[A-Z]/.test(k)),
  lax: names(jaxon.lax),
  tree: names(jaxon.tree),
  numpy: names(jaxon.np),
  "scipy.special": names((jaxon.scipy as Record<string, unknown> | undefined)?.special),
  "scipy.stats": names((jaxon.scipy as Record<string, unknown> | undefined)?.stats),
  "scipy.optimize": names((jaxon.scipy as Record<string, unknown> | undefined)?.optimize),
};
// the functions of each stats distribution, as "norm.logpdf"
const stats = (jaxon.scipy as Record<string, Record<string, unknown>> | undefined)?.stats ?? {};
out["scipy.stats.functions"] = Object.entries(stats).flatMap(([d, o]) => names(o).map((f) => `${d}.${f}`));
console.log(JSON.stringify(out));
