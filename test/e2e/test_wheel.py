"""`pip wheel .` builds a wheel holding the paso package with paso-opt
and paso-run inside it, and that wheel works in a fresh virtual
environment with no checkout: paso.compile/paso.load, `python -m paso`,
and the paso-opt/paso-run commands. The test has no network: the wheel is
installed with --no-index, and numpy (the runtime's only dependency) comes
from the project's environment through a .pth file."""
import os
import subprocess
import sys

import pytest

from conftest import BIN, ROOT

EXAMPLE = os.path.join(ROOT, "docs", "examples", "tiny_cnn.onnx")


# The installed package must find its own binaries, not the build tree's
# that the test suite points at.
CLEAN_ENV = {k: v for k, v in os.environ.items()
             if k not in ("PASO_OPT", "PASO_RUN", "PASO_BIN", "PYTHONPATH")}


def run(args, **kwargs):
    kwargs.setdefault("env", CLEAN_ENV)
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh venv with the wheel built from this checkout installed."""
    base = tmp_path_factory.mktemp("wheel")
    env = {**CLEAN_ENV, "PASO_BUILD_DIR": os.path.dirname(BIN)}
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index",
         "--wheel-dir", str(base / "dist"), ROOT], env=env)
    wheels = list((base / "dist").glob("paso-0.1.0-py3-none-*.whl"))
    assert len(wheels) == 1, wheels
    venv = base / "venv"
    run(["python3", "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--no-index", "--no-deps",
         str(wheels[0])])
    site = run([str(python), "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
               ).stdout.strip()
    numpy_home = os.path.dirname(os.path.dirname(
        __import__("numpy").__file__))
    with open(os.path.join(site, "project-numpy.pth"), "w") as f:
        f.write(numpy_home + "\n")
    return venv


def test_compile_and_run_from_the_wheel(venv, tmp_path):
    script = (
        "import numpy as np, paso\n"
        "print(paso.__file__)\n"
        "print(paso.find_paso_opt())\n"
        f"so = paso.compile({EXAMPLE!r}, output={str(tmp_path / 'm.so')!r})\n"
        "model = paso.load(so)\n"
        "out = model.run({'image': np.ones((1, 3, 8, 8), np.float32)})\n"
        "print(round(float(out['probs'].sum()), 4))\n")
    out = run([str(venv / "bin" / "python"), "-c", script],
              cwd=tmp_path).stdout.splitlines()
    assert out[0].startswith(str(venv)), out
    assert out[1].startswith(str(venv)) and \
        out[1].endswith("/paso/bin/paso-opt"), out
    assert out[2] == "1.0"  # softmax probabilities


def test_command_line_from_the_wheel(venv, tmp_path):
    python = str(venv / "bin" / "python")
    assert "PASO paso-opt" in run([python, "-m", "paso", "--version"]).stdout
    help_text = run([str(venv / "bin" / "paso-opt"), "--help"]).stdout
    assert "--input-shape" in help_text
    so = tmp_path / "m.so"
    run([python, "-m", "paso", EXAMPLE, "-o", str(so)], cwd=tmp_path)
    ran = run([python, "-m", "paso", "run", str(so)], cwd=tmp_path).stdout
    assert "output 'probs'" in ran
    assert "output 'probs'" in run([str(venv / "bin" / "paso-run"),
                                    str(so)]).stdout


def test_preprocess_from_the_wheel(venv, tmp_path):
    """The wheel carries paso-preprocess-gen beside paso-opt, which finds it
    there: --preprocess works with no checkout."""
    if not os.path.exists(os.path.join(BIN, "paso-preprocess-gen")):
        pytest.skip("this build has no paso-preprocess-gen (no Halide 14)")
    script = (
        "import numpy as np, paso\n"
        f"so = paso.compile({EXAMPLE!r}, output={str(tmp_path / 'p.so')!r},\n"
        "                  preprocess='frame=16x12,format=nv12')\n"
        "model = paso.load(so)\n"
        "print(model.inputs[0].shape, model.inputs[0].dtype)\n"
        "out = model.run({'image': np.full((18, 16), 128, np.uint8)})\n"
        "print(round(float(out['probs'].sum()), 4))\n")
    out = run([str(venv / "bin" / "python"), "-c", script],
              cwd=tmp_path).stdout.splitlines()
    assert out == ["(18, 16) uint8", "1.0"], out
