#!/usr/bin/env bash
# Makes .gpu-kit/ (ignored): all that `npm run bench`'s WebGPU rows need on a
# lent GPU machine that has no network, no node and no node_modules (an x86-64
# Linux machine with an NVIDIA driver; see bench/README.md, "On a lent GPU"):
#
#   node.xz            this machine's node binary, symbols stripped
#   bench.mjs.xz       bench/run.ts bundled with its peers (@jax-js/jax, tfjs-core and
#                      its webgpu backend); esbuild stubbed (no-esbuild.ts)
#   jaxon.mjs.xz       jaxon as the bench bundles it (bench/libs/jaxon-entry.ts), fp-ts inside
#   node_modules/webgpu  the `webgpu` package's JS and its linux-x64 Dawn addon (dawn.node.xz)
#   debs/              the Vulkan loader and GLVND .debs (amd64), unpacked there with dpkg -x
#   cache/             the bench's float64 references from this machine's temp folder, if any
#
# Everything is xz-compressed (the kit travels in the device tool's 64 MiB with
# the working tree). Make it in the checkout the device tool sends.
# Run from anywhere inside the repository: bash bench/gpu/make-kit.sh
set -euo pipefail
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"
kit=.gpu-kit
rm -rf "$kit"
mkdir -p "$kit/node_modules/webgpu/dist/linux-x64" "$kit/debs" "$kit/cache"

[ "$(uname -m)" = x86_64 ] || { echo "make-kit: the GPU machine is x86-64; this one is $(uname -m)" >&2; exit 1; }

# the peers' versions, embedded (the kit has no node_modules to read them from)
versions=$(node -e '
  const fs = require("fs");
  const v = (f) => JSON.parse(fs.readFileSync(f, "utf8")).version;
  const o = { jaxon: v("package.json") };
  for (const p of ["@jax-js/jax", "@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-cpu", "@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-backend-webgpu", "webgpu"])
    o[p] = v(`node_modules/${p}/package.json`);
  process.stdout.write(JSON.stringify(o));')

# ESM bundles that pull in CommonJS packages need a `require` for Node's built-ins
banner='import { createRequire as __kitRequire } from "node:module"; const require = __kitRequire(import.meta.url);'
common=(--bundle --format=esm --platform=node --target=es2022 --log-level=warning "--banner:js=$banner")
npx esbuild bench/run.ts "${common[@]}" --external:webgpu --alias:esbuild=./bench/gpu/no-esbuild.ts \
  "--define:__BENCH_VERSIONS__=$versions" --outfile=$kit/bench.mjs
npx esbuild bench/libs/jaxon-entry.ts "${common[@]}" --outfile=$kit/jaxon.mjs
xz -T0 -9 $kit/bench.mjs $kit/jaxon.mjs

# webgpu: its entry and the linux-x64 addon only (the package holds every platform's, 130 MB)
cp node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/LICENSE.md $kit/node_modules/webgpu/
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node >$kit/node_modules/webgpu/dist/linux-x64/dawn.node.xz

# node: the binary this repository's tests run on, without its symbols (V8 needs none)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
strip --strip-all -o "$tmp/node" "$(command -v node)"
xz -T0 -9 -c "$tmp/node" >$kit/node.xz

# the Vulkan loader and GLVND (the NVIDIA ICD loads libGLX_nvidia, which needs libGLdispatch)
(cd $kit/debs && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
for f in $kit/debs/*.deb; do
  arch=$(dpkg-deb -f "$f" Architecture)
  [ "$arch" = amd64 ] || { echo "make-kit: $f is $arch, not amd64" >&2; exit 1; }
done

# float64 references already computed here (data.ts `cached`): saves their minutes there
cp "$(node -p 'require("os").tmpdir()')"/jaxon-bench-*.json $kit/cache/ 2>/dev/null || true

echo "kit: $(du -sb $kit | cut -f1 | awk '{printf "%.1f MiB", $1 / 1048576}') in $kit/"
(cd $kit && find . -type f -printf '%s\t%p\n' | sort -rn | awk '{printf "  %7.2f MiB  %s\n", $1 / 1048576, $2}')
