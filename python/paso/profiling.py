"""Profiles and calibration from Python (docs/profiling.md).

    prof = paso.profile("model.so", threads=1, runs=20)   # dict
    prof["kernels"][0]["median_us"], prof["run_us"]["median"]
    paso.calibrate(["a.json", "b.json"], target="rpi4", output="board.json")

Both drive the command-line tools (paso-run --profile, paso-opt
--calibrate), so a profile taken here is the file the tools read.
"""
import json
import os
import subprocess
import tempfile

from .compiler import CompileError, find_paso_opt, find_paso_run


def profile(so_path, output=None, runs=20, threads=1, trace=None,
            inputs=None, env=None):
    """Runs `so_path` `runs` times with every kernel timed; returns the
    profile as a dict and, with `output`, keeps it there. `inputs` maps
    input names to .npy paths (default: seeded random inputs); `trace`
    writes a Chrome/Perfetto trace; `env` adds environment variables
    (PASO_POOL_BACKOFF=0, ...)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = output or os.path.join(tmp, "profile.json")
        args = [find_paso_run(), str(so_path), "--threads", str(threads),
                "--runs", str(runs), "--profile", str(path)]
        if trace:
            args += ["--trace", str(trace)]
        for name, npy in (inputs or {}).items():
            args += ["--input", f"{name}={npy}"]
        result = subprocess.run(args, capture_output=True, text=True,
                                env={**os.environ, **(env or {})})
        if result.returncode != 0:
            raise RuntimeError(result.stderr.strip())
        with open(path) as f:
            return json.load(f)


def calibrate(profiles, target="host", output="calibrated.json"):
    """Fits `target`'s cost model to `profiles` (paths of profiles taken
    at one thread, or `perf stat -x,` CSV files) and writes the target
    file `output`; returns its path."""
    args = [find_paso_opt(), "--calibrate", *[str(p) for p in profiles],
            f"-target={target}", "-o", str(output)]
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise CompileError(result.stderr.strip())
    return str(output)
