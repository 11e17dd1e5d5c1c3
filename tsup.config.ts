import { fileURLToPath } from "node:url";
import { defineConfig, type Options } from "tsup";

/**
 * Two builds of the one source tree, each an ES module with its chunks:
 *
 * - dist/node/: for Node (package.json's `node` condition), with the types.
 * - dist/browser/: for bundlers targeting browsers (the `browser` condition
 *   and the `default` one). `src/host/node.ts`, the one file that imports
 *   Node built-ins and the `webgpu` package, is replaced by
 *   `src/host/browser.ts`, so a browser bundle sees no `node:` module, and no
 *   V8 flag code.
 *
 * No source maps are shipped: the package's files are the built JavaScript,
 * its types, README and LICENSE (package.json's `files`).
 */
const hostForBrowser = fileURLToPath(new URL("./src/host/browser.ts", import.meta.url));

const common: Options = {
  entry: { index: "src/index.ts" },
  format: ["esm"],
  target: "es2022",
  sourcemap: false,
  clean: true,
  // fp-ts (a dependency) stays an import; everything of jaxon is bundled
  external: ["fp-ts"],
};

export default defineConfig([
  { ...common, outDir: "dist/node", platform: "node", dts: true },
  {
    ...common,
    outDir: "dist/browser",
    platform: "browser",
    esbuildPlugins: [
      {
        name: "jaxon-browser-host",
        setup(build) {
          build.onResolve({ filter: /[\\/]host[\\/]node\.js$/ }, () => ({ path: hostForBrowser }));
        },
      },
    ],
  },
]);
