"""
How many of JAX's public names jaxon has, per module.

    /work/venv/bin/python tools/api-coverage.py [path/to/src/index.ts]

JAX's names come from dir() of jax, jax.lax, jax.tree, jax.numpy,
jax.scipy.special, jax.scipy.stats (its distributions, and each
distribution's functions) and jax.scipy.optimize; private names, submodules
(except stats distributions), classes, dtypes and lax's primitive objects
(`*_p`) are left out. jaxon's names come from tools/list-exports.ts. A name
counts as covered when it matches after snake_case → camelCase (compared
without underscores and case), e.g. log_ndtr ↔ logNdtr.
"""
import inspect
import json
import os
import subprocess
import sys
import types
import warnings

warnings.filterwarnings("ignore")
import jax  # noqa: E402
import jax.numpy  # noqa: E402
import jax.scipy.optimize  # noqa: E402
import jax.scipy.special  # noqa: E402
import jax.scipy.stats  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def norm(n):
    return n.replace("_", "").lower()


def public_functions(mod, primitives=False):
    out = []
    for n in dir(mod):
        if n.startswith("_"):
            continue
        v = getattr(mod, n, None)
        if isinstance(v, types.ModuleType) or inspect.isclass(v):
            continue
        if not callable(v):
            continue
        if not primitives and n.endswith("_p"):
            continue
        out.append(n)
    return out


def jax_names():
    stats_dists = [n for n in dir(jax.scipy.stats) if not n.startswith("_") and isinstance(getattr(jax.scipy.stats, n), types.ModuleType)]
    stats_funcs = [f"{d}.{f}" for d in stats_dists for f in public_functions(getattr(jax.scipy.stats, d))]
    return {
        "top": public_functions(jax),
        "lax": public_functions(jax.lax),
        "tree": public_functions(jax.tree),
        "numpy": public_functions(jax.numpy),
        "scipy.special": public_functions(jax.scipy.special),
        "scipy.stats": stats_dists + [n for n in public_functions(jax.scipy.stats)],
        "scipy.stats.functions": stats_funcs,
        "scipy.optimize": public_functions(jax.scipy.optimize),
    }


def main():
    entry = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "src", "index.ts")
    res = subprocess.run(["npx", "tsx", os.path.join(ROOT, "tools", "list-exports.ts"), entry], cwd=ROOT, capture_output=True, text=True, check=True)
    ours = json.loads(res.stdout.strip().splitlines()[-1])
    theirs = jax_names()
    report = {}
    for mod, names in theirs.items():
        have = {norm(n.replace(".", "_")) for n in ours.get(mod, [])}
        covered = sorted(n for n in names if norm(n.replace(".", "_")) in have)
        missing = sorted(n for n in names if norm(n.replace(".", "_")) not in have)
        report[mod] = dict(jax=len(names), covered=len(covered), missing=missing)
        print(f"{mod:24s} {len(covered):4d} / {len(names):4d} JAX names")
    if "--json" in sys.argv:
        print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
