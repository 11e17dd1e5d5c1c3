#!/usr/bin/env bash
# What a lent GPU machine runs (bench/README.md, "On a lent GPU"): the WebGPU
# rows of the bench from .gpu-kit/ (bench/gpu/make-kit.sh), with no network,
# no node and no node_modules there.
#
#   bash bench/gpu/run-on-device.sh [bench arguments...]
#
# Unpacks node and Dawn into a temporary folder, brings the Vulkan loader (the
# kit's .debs, dpkg -x to /) where the machine has none, points Vulkan at the
# NVIDIA ICD where there is one (else says so and takes whichever adapter Dawn
# finds: lavapipe on a CPU-only machine), prints nvidia-smi and the adapter
# jaxon sees, then runs `bench/run.ts --gpu` on the rows jaxon/webgpu,
# jax-js/webgpu and tfjs/webgpu within DEADLINE seconds (default 330; each
# case also has its own limit). Arguments are added to the bench's (W filters,
# --quick). Writes log.txt, nvidia-smi.txt, adapter.txt, table.txt and
# results.json into $OUT (default .gpu-out/).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kit=$root/.gpu-kit
OUT=${OUT:-$root/.gpu-out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
# the WebGPU rows (test/bench-gpu-kit.test.ts checks them against bench/run.ts's TARGETS)
targets="=jaxon/webgpu =jax-js/webgpu =tfjs/webgpu"
[ -f "$kit/bench.mjs.xz" ] || { echo "no $kit/bench.mjs.xz: run bench/gpu/make-kit.sh first, and carry .gpu-kit"; exit 2; }
t0=$SECONDS
work=$(mktemp -d /tmp/gpukit.XXXXXX)

unxz_to() { # file.xz destination (xz where there is one, else Python's lzma)
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
unxz_to "$kit/node.xz" "$work/node" && chmod +x "$work/node" || { echo "could not unpack node"; exit 2; }
unxz_to "$kit/bench.mjs.xz" "$work/bench.mjs" && unxz_to "$kit/jaxon.mjs.xz" "$work/jaxon.mjs" || { echo "could not unpack the bundles"; exit 2; }
mkdir -p "$work/node_modules/webgpu/dist/linux-x64"
cp "$kit/node_modules/webgpu/"*.* "$work/node_modules/webgpu/"
unxz_to "$kit/node_modules/webgpu/dist/linux-x64/dawn.node.xz" "$work/node_modules/webgpu/dist/linux-x64/dawn.node"
echo "node $("$work/node" --version) unpacked in $work ($((SECONDS - t0)) s)"

# the Vulkan loader and GLVND, only where missing (unpacking over a system's own could break it)
if ! ldconfig -p | grep -q 'libvulkan\.so\.1' || ! ldconfig -p | grep -q 'libGLdispatch\.so\.0'; then
  for f in "$kit"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
  echo "installed the kit's Vulkan loader and GLVND: $(ldconfig -p | grep -c 'libvulkan\.so\.1') libvulkan.so.1"
fi
nv=/usr/local/nvidia/share
icd=""
for f in "$nv/vulkan/icd.d/nvidia_icd.json" /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$f" ] && { icd=$f; break; }
done
if [ -n "$icd" ]; then
  export VK_DRIVER_FILES=$icd
  [ -f "$nv/glvnd/egl_vendor.d/10_nvidia.json" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$nv/glvnd/egl_vendor.d/10_nvidia.json
  echo "Vulkan ICD: $icd"
else
  echo "no NVIDIA Vulkan ICD here: Dawn takes whichever adapter it finds"
fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

if command -v nvidia-smi >/dev/null; then nvidia-smi | tee "$OUT/nvidia-smi.txt"; else echo "no nvidia-smi" | tee "$OUT/nvidia-smi.txt"; fi

# the float64 references made on the kit's machine (data.ts `cached`), where missing here
tmp=$("$work/node" -p 'require("os").tmpdir()')
for f in "$kit"/cache/*.json; do [ -e "$f" ] && [ ! -e "$tmp/$(basename "$f")" ] && cp "$f" "$tmp/"; done

export JAXON_BENCH_BUNDLE=$work/jaxon.mjs
(cd "$work" && timeout 60 ./node --input-type=module -e '
  const J = await import("./jaxon.mjs");
  const d = await J.init({ allowSoftwareAdapter: true });
  console.log(`jaxon init(): devices ${d.join(", ")}; default ${d.device}: ${d.reason}`);
  console.log(J.printEnvironmentInfo(true));
  process.exit(0);') 2>&1 | tee "$OUT/adapter.txt"

# the bench: its table on stdout (table.txt), progress on stderr (log.txt)
echo "bench starts at $((SECONDS - t0)) s"
(cd "$work" && timeout $((${DEADLINE:-330} + 120)) ./node bench.mjs --gpu "--deadline=${DEADLINE:-330}" "--out=$OUT" \
  $targets "$@") >"$OUT/table.txt"
rc=$?
cat "$OUT/table.txt"
echo "run-on-device: bench exit $rc, $((SECONDS - t0)) s in all"
rm -rf "$work"
exit $rc
