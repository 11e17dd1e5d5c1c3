/**
 * The VitePress configuration of jaxon's documentation site: navigation, the
 * sidebar (the guide, the transformations, the tutorials and the API
 * reference that TypeDoc generates into docs/api/), and the Vite options that
 * let the live example bundle jaxon's sources for the browser.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig, type DefaultTheme } from "vitepress";

/**
 * The API reference's sidebar, written by typedoc-vitepress-theme next to the
 * pages (`npm run docs:api`, which docs:build and docs:dev run first). Without
 * it (vitepress run by hand) the sidebar says how to make it, and the build
 * stops at the guide's links to /api/.
 */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const path = fileURLToPath(new URL("../api/typedoc-sidebar.json", import.meta.url));
  if (!existsSync(path)) return [{ text: "(run npm run docs:api to generate)" }];
  const groups = JSON.parse(readFileSync(path, "utf8")) as DefaultTheme.SidebarItem[];
  // the package root's functions share one page (/api/); the sidebar points at each of them, the
  // transformations first, since that page is long
  const at = (names: string[]) => names.map((name) => ({ text: name, link: `/api/#${name.toLowerCase()}` }));
  const root: DefaultTheme.SidebarItem[] = [
    {
      text: "Transformations",
      collapsed: false,
      items: at(["grad", "valueAndGrad", "jvp", "vjp", "linearize", "vmap", "jit", "jacfwd", "jacrev", "hessian", "makeJaxpr", "customJvp", "customVjp", "checkpoint", "stopGradient"]),
    },
    { text: "Devices", collapsed: false, items: at(["init", "defaultDevice", "devicePut", "devicePutAsync", "memoryStats", "compileStats"]) },
  ];
  // the groups (namespaces, classes) open; what is inside them stays folded
  return [...root, ...groups.map((group) => ({ ...group, collapsed: false }))];
}

const tutorials: [slug: string, title: string][] = [
  ["gradient-descent", "Gradient descent on x²"],
  ["sgd-quadratic", "SGD on a quadratic"],
  ["linear-regression", "Linear regression"],
  ["mlp-regression", "An MLP fitted to a surface"],
  ["city-placement", "Placing cities from distances"],
  ["batched-experiments", "32 experiments at once"],
  ["cnn-digits", "A CNN classifier on digits"],
  ["mnist-cnn", "A CNN on MNIST"],
  ["char-transformer", "A character-level transformer"],
  ["tiny-transformer", "A tiny transformer, trained like a large one"],
  ["signal-filter", "Tuning a filter through the FFT"],
];

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: "Introduction",
    items: [
      { text: "Getting started", link: "/guide/getting-started" },
      { text: "Try it in your browser", link: "/guide/try-it" },
    ],
  },
  {
    text: "The ideas",
    items: [
      { text: "Pure functions", link: "/ideas/pure-functions" },
      { text: "Pytrees", link: "/ideas/pytrees" },
      { text: "Tracing and jaxprs", link: "/ideas/tracing-and-jaxprs" },
    ],
  },
  {
    text: "Transformations",
    items: [
      { text: "grad", link: "/transformations/grad" },
      { text: "jvp, vjp and Jacobians", link: "/transformations/jvp-vjp" },
      { text: "vmap", link: "/transformations/vmap" },
      { text: "jit", link: "/transformations/jit" },
      { text: "Control flow", link: "/transformations/control-flow" },
      { text: "Custom rules", link: "/transformations/custom-rules" },
    ],
  },
  {
    text: "Running it",
    items: [
      { text: "Devices and WebGPU", link: "/guide/devices-and-webgpu" },
      { text: "Memory", link: "/guide/memory" },
      { text: "Linear algebra", link: "/guide/linear-algebra" },
      { text: "Sharp edges", link: "/guide/sharp-edges" },
      { text: "Complex numbers", link: "/guide/complex-numbers" },
      { text: "Layers: normalization and attention", link: "/guide/layers-normalization-attention" },
      { text: "Scaling out: from jaxon to XLA", link: "/guide/scaling-out" },
      { text: "Named axes and collectives", link: "/guide/named-axes" },
    ],
  },
  {
    text: "Tutorials",
    link: "/tutorials/",
    items: tutorials.map(([slug, text]) => ({ text, link: `/tutorials/${slug}` })),
  },
  { text: "API reference", link: "/api/" },
];

export default defineConfig({
  title: "jaxon",
  description: "JAX for TypeScript: grad, vmap and jit over arrays, on the CPU and WebGPU",
  // the build fails on a broken link between pages: the docs should never point nowhere
  ignoreDeadLinks: false,
  head: [["link", { rel: "icon", type: "image/svg+xml", href: "/logo.svg" }]],
  themeConfig: {
    logo: "/logo.svg",
    nav: [
      { text: "Guide", link: "/guide/getting-started", activeMatch: "^/(guide|ideas|transformations)/" },
      { text: "Tutorials", link: "/tutorials/", activeMatch: "^/tutorials/" },
      { text: "API", link: "/api/", activeMatch: "^/api/" },
    ],
    sidebar: {
      "/api/": [{ text: "Guide", link: "/guide/getting-started" }, { text: "API reference", link: "/api/", items: apiSidebar() }],
      "/": guide,
    },
    outline: [2, 3],
    search: {
      provider: "local",
      options: {
        // The index needs the words of a page, not the colours of its code: its renderer (a
        // markdown-it instance of its own) skips syntax highlighting, which was most of the
        // build's time. Code stays searchable.
        _render(src, env, md) {
          md.options.highlight = null;
          return md.render(src, env);
        },
      },
    },
  },
  vite: {
    plugins: [
      {
        // what the package's browser build does (tsup.config.ts): src/host/node.ts, the one module
        // that reaches Node's built-ins and the `webgpu` package, becomes src/host/browser.ts in
        // the browser bundle; the server-side render, which never runs jaxon, keeps it
        name: "jaxon-browser-host",
        enforce: "pre",
        resolveId(id, importer, options) {
          if (options?.ssr || !importer || !/[\\/]host[\\/]node\.js$/.test(id)) return null;
          return fileURLToPath(new URL("../../src/host/browser.ts", import.meta.url));
        },
      },
    ],
    // fp-ts is CommonJS: pre-bundled up front, so that `docs:dev` does not reload the page when the
    // live example first imports jaxon
    optimizeDeps: { include: ["fp-ts/lib/function.js"] },
    build: {
      // jaxon's sources are ES2022 (class fields, `??=`, `at`); every browser with WebGPU has it
      target: "es2022",
      // the API reference makes one large search index; that is expected, not a warning
      chunkSizeWarningLimit: 4096,
    },
  },
});
