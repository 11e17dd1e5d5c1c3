#!/usr/bin/env python3
"""Run a module exported by jaxon's exportStableHLO with XLA (jax/jaxlib only).

    python tools/run-stablehlo.py MODULE.mlir METADATA.json INPUTS.npz -o OUTPUTS.npz
        [--devices N] [--steps K --feed OUT:IN,...] [--hlo FILE]

INPUTS is an .npz (or .safetensors) whose arrays are the flattened inputs of
@main in order, named "0", "1", ... (what jaxon's io.saveNpz writes from a
record { "0": x, "1": y }); several .npy files, one per input, also work.
OUTPUTS gets the flattened outputs, named the same way.

--devices N forces N host (CPU) devices (XLA_FLAGS), for a sharded module.
--steps K runs the module K times; --feed "0:0,1:1" feeds output 0 back as
input 0 and output 1 as input 1 after each step (a training loop).
--hlo FILE writes the optimized HLO XLA compiled (to see the collectives the
SPMD partitioner inserted).

Also importable: `load(text, metadata)` returns a function of numpy arrays.
"""
import argparse
import json
import os
import sys


def _set_devices(n):
    if n and n > 1:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={int(n)}".strip()


def load(text, metadata, hlo_path=None):
    """Compile the module for the first numPartitions devices; return f(*numpy arrays) -> list of numpy arrays."""
    import jax
    import numpy as np
    from jax.extend.backend import get_backend
    from jax._src.lib import xla_client
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    # the module's types decide: float64/int64 inputs stay 64-bit
    jax.config.update("jax_enable_x64", True)
    backend = get_backend()
    n = int(metadata.get("numPartitions", 1))
    devices = backend.devices()[:n]
    if len(devices) < n:
        raise SystemExit(f"the module needs {n} devices, this machine has {len(devices)} (use --devices {n})")
    options = xla_client.CompileOptions()
    if n > 1:
        build = options.executable_build_options
        build.num_partitions = n
        build.num_replicas = 1
        build.use_spmd_partitioning = True
        assignment = np.arange(n).reshape(1, n)
        build.device_assignment = xla_client.DeviceAssignment.create(assignment)
    exe = backend.compile_and_load(text, xla_client.DeviceList(tuple(devices)), options)
    if hlo_path:
        with open(hlo_path, "w") as f:
            f.write("\n".join(m.to_string() for m in exe.hlo_modules()))
    mesh_axes = metadata.get("mesh") or {"_": 1}
    mesh = Mesh(np.array(devices).reshape(tuple(mesh_axes.values())), tuple(mesh_axes.keys()))

    def sharding(leaf):
        spec = leaf.get("spec")
        return NamedSharding(mesh, PartitionSpec(*(spec or [])))

    def run(*args):
        ins = []
        for a, leaf in zip(args, metadata["inputs"]):
            a = np.asarray(a, dtype=leaf["dtype"]).reshape(leaf["shape"])
            ins.append(jax.device_put(a, sharding(leaf)))
        results = exe.execute_sharded(ins).disassemble_into_single_device_arrays()
        outs = []
        for shards, leaf in zip(results, metadata["outputs"]):
            arr = jax.make_array_from_single_device_arrays(tuple(leaf["shape"]), sharding(leaf), shards)
            outs.append(np.asarray(arr))
        return outs

    return run


def _read_inputs(paths, count):
    import numpy as np

    if len(paths) == 1 and paths[0].endswith(".npz"):
        z = np.load(paths[0])
        return [z[str(i)] for i in range(count)]
    if len(paths) == 1 and paths[0].endswith(".safetensors"):
        from safetensors.numpy import load_file  # optional: only for safetensors inputs

        z = load_file(paths[0])
        return [z[str(i)] for i in range(count)]
    return [np.load(p) for p in paths]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("module")
    p.add_argument("metadata")
    p.add_argument("inputs", nargs="*")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--devices", type=int, default=0)
    p.add_argument("--steps", type=int, default=1)
    p.add_argument("--feed", default="")
    p.add_argument("--hlo", default=None)
    a = p.parse_args(argv)
    with open(a.metadata) as f:
        metadata = json.load(f)
    _set_devices(max(a.devices, int(metadata.get("numPartitions", 1))))
    import numpy as np

    with open(a.module) as f:
        text = f.read()
    run = load(text, metadata, a.hlo)
    args = _read_inputs(a.inputs, len(metadata["inputs"])) if metadata["inputs"] else []
    feed = [tuple(int(x) for x in pair.split(":")) for pair in a.feed.split(",") if pair]
    outs = []
    for _ in range(a.steps):
        outs = run(*args)
        for o, i in feed:
            args[i] = outs[o]
    np.savez(a.output, **{str(i): o for i, o in enumerate(outs)})


if __name__ == "__main__":
    sys.exit(main())
