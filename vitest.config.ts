import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // the package's own name is its sources here (as tsconfig.json's `paths` says for tsc and tsx)
  resolve: { alias: [{ find: /^jaxon-ts$/, replacement: fileURLToPath(new URL("./src/index.ts", import.meta.url)) }] },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
  },
});
