"""Runs several exported modules through XLA in one process (test/stablehlo-xla-live.test.ts).

    python test/scripts/run-stablehlo-jobs.py JOBS.json

JOBS.json is a list of {"module", "metadata", "inputs", "output", "steps"?, "feed"?, "hlo"?}, paths as
tools/run-stablehlo.py takes them; one XLA start-up serves them all. Four host devices are forced
before jax loads, so a sharded module finds its devices; the others use the first.
"""
import importlib.util
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("run_stablehlo", os.path.join(here, "..", "..", "tools", "run-stablehlo.py"))
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)
runner._set_devices(4)

with open(sys.argv[1]) as f:
    jobs = json.load(f)
for job in jobs:
    argv = [job["module"], job["metadata"], job["inputs"], "-o", job["output"], "--steps", str(job.get("steps", 1))]
    if job.get("feed"):
        argv += ["--feed", job["feed"]]
    if job.get("hlo"):
        argv += ["--hlo", job["hlo"]]
    runner.main(argv)
    print("ran", os.path.basename(job["module"]), flush=True)
