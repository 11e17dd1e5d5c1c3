/** Runs an example by name: `npm run example -- gradient-descent`. */
export {};
const examples: Record<string, () => Promise<{ run: () => void | Promise<void> }>> = {
  "gradient-descent": () => import("./gradient-descent.js"),
};

const exampleName = process.argv[2] ?? "gradient-descent";
const load = examples[exampleName];
if (!load) {
  console.error(`unknown example ${JSON.stringify(exampleName)}; available: ${Object.keys(examples).join(", ")}`);
  process.exit(2);
}
await (await load()).run();
