"""Shared fixtures of the end-to-end tests: tool paths, the model suite and
the aarch64 runner (qemu)."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))

import paso  # noqa: E402
from paso import model_suite  # noqa: E402

BIN = os.environ.get("PASO_BIN", os.path.join(ROOT, "build", "bin"))
AARCH64_SYSROOT = "/usr/aarch64-linux-gnu"


def tool(name):
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else None


@pytest.fixture(scope="session")
def paso_opt():
    path = tool("paso-opt")
    if not path:
        pytest.fail(f"paso-opt not built in {BIN}")
    os.environ["PASO_OPT"] = path
    return path


@pytest.fixture(scope="session")
def suite_dir(tmp_path_factory):
    """The model suite, written once per session (worker)."""
    out = tmp_path_factory.mktemp("suite")
    model_suite.write_suite(str(out))
    return out


@pytest.fixture(scope="session")
def aarch64_runner():
    """A command prefix running paso-run for aarch64 under qemu, or skip."""
    qemu = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    runner = tool("paso-run-aarch64")
    if not qemu:
        pytest.skip("qemu-aarch64 is not installed")
    if not runner:
        pytest.skip("paso-run-aarch64 was not built (no aarch64-linux-gnu-g++)")
    return [qemu, "-L", AARCH64_SYSROOT, runner]


def random_inputs(model_inputs, seed=0):
    """Inputs for TensorInfo-like (name, dtype, shape) entries; int64 inputs
    are token ids below 1000 (the transformer's vocabulary)."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for info in model_inputs:
        if np.issubdtype(info.dtype, np.integer):
            feeds[info.name] = rng.integers(0, 1000, info.shape).astype(info.dtype)
        else:
            feeds[info.name] = rng.standard_normal(info.shape).astype(info.dtype)
    return feeds


def ort_outputs(path, feeds):
    """ONNX Runtime's outputs of the model at `path`, by name."""
    import onnxruntime as ort
    session = ort.InferenceSession(str(path),
                                   providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def run_on_aarch64(runner, so_path, feeds, workdir):
    """Runs `so_path` under qemu with `feeds`; returns {name: array}."""
    args = list(runner) + [str(so_path), "--output-dir", str(workdir)]
    for name, array in feeds.items():
        path = os.path.join(workdir, f"in_{len(args)}.npy")
        np.save(path, array)
        args += ["--input", f"{name}={path}"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    return result.stdout
