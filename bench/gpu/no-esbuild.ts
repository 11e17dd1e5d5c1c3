/**
 * Stands in for esbuild in bench/gpu's kit bundle (make-kit.sh aliases it):
 * the kit carries jaxon already bundled (JAXON_BENCH_BUNDLE), so the bench
 * never builds there, and a machine without node_modules has no esbuild.
 */
export function build(): never {
  throw new Error("esbuild is not in the GPU kit: set JAXON_BENCH_BUNDLE to the kit's jaxon.mjs (bench/gpu/run-on-device.sh does)");
}
