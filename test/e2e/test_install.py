"""The installed tree is usable from a user's build: `cmake --install`
into a fresh prefix, then the example project of docs/examples/cmake-project
builds against it with find_package(PASO) and paso_add_model(), natively
and cross-compiled for aarch64 (run under qemu). Its program links two
models (a shared library and a static archive) and prints each model's own
output as ONNX Runtime computes it."""
import os
import shutil
import subprocess

import numpy as np
import pytest

from conftest import AARCH64_SYSROOT, BIN, ROOT, ort_outputs

EXAMPLES = os.path.join(ROOT, "docs", "examples")


def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    """PASO installed from this build into an empty prefix."""
    path = tmp_path_factory.mktemp("prefix")
    run(["cmake", "--install", os.path.dirname(BIN), "--prefix", str(path)])
    return path


@pytest.fixture
def project(tmp_path):
    """A copy of the example project (and the models it compiles)."""
    shutil.copytree(os.path.join(EXAMPLES, "cmake-project"),
                    tmp_path / "cmake-project")
    for model in ("tiny_cnn.onnx", "tiny_mlp.onnx"):
        shutil.copy(os.path.join(EXAMPLES, model), tmp_path)
    return tmp_path / "cmake-project"


def expected():
    """Both models' outputs on the program's fixed image, by ONNX Runtime."""
    image = ((np.arange(3 * 8 * 8) % 7 - 3) / 4.0).astype(np.float32)
    feeds = {"image": image.reshape(1, 3, 8, 8)}
    return {
        "tiny_cnn": ort_outputs(os.path.join(EXAMPLES, "tiny_cnn.onnx"),
                                feeds)["probs"].ravel(),
        "tiny_mlp": ort_outputs(os.path.join(EXAMPLES, "tiny_mlp.onnx"),
                                feeds)["scores"].ravel()}


def check_printed(stdout):
    printed = {}
    for line in stdout.strip().splitlines():
        name, values = line.split(":")
        printed[name] = np.array([float(v) for v in values.split()],
                                 np.float32)
    want = expected()
    assert sorted(printed) == sorted(want)
    for name, values in want.items():
        np.testing.assert_allclose(printed[name], values, rtol=1e-5,
                                   atol=1e-6, err_msg=name)


def configure(project, build, prefix, *extra):
    return run(["cmake", "-G", "Ninja", "-S", str(project), "-B", str(build),
                f"-DPASO_DIR={prefix}/lib/cmake/PASO", *extra])


def test_installed_tree(prefix):
    for path in ["bin/paso-opt", "bin/paso-run",
                 "include/paso/Runtime/paso_model.h",
                 "lib/cmake/PASO/PASOConfig.cmake",
                 "lib/cmake/PASO/PASOConfigVersion.cmake",
                 "lib/cmake/PASO/PASOModel.cmake",
                 "share/doc/paso/c-abi.md"]:
        assert (prefix / path).exists(), path
    # paso-opt runs the --preprocess generator from beside itself.
    if os.path.exists(os.path.join(BIN, "paso-preprocess-gen")):
        assert (prefix / "bin" / "paso-preprocess-gen").exists()
    # Only what users need: no static libraries of the compiler.
    assert not list(prefix.glob("lib/*.a"))
    run([str(prefix / "bin" / "paso-opt"), "--version"])


def test_native_build(prefix, project, tmp_path):
    build = tmp_path / "build"
    configure(project, build, prefix)
    first = run(["cmake", "--build", str(build)])
    assert "Compiling ONNX model tiny_cnn for host" in first.stdout
    assert "Compiling ONNX model tiny_mlp for host" in first.stdout
    check_printed(run([str(build / "classify")]).stdout)
    # Nothing to do when nothing changed; the model again when it did.
    assert "Compiling ONNX model" not in run(
        ["cmake", "--build", str(build)]).stdout
    os.utime(project.parent / "tiny_cnn.onnx")
    assert "Compiling ONNX model" in run(["cmake", "--build",
                                          str(build)]).stdout


def test_cross_build_for_rpi4(prefix, project, tmp_path):
    """Both models as shared libraries here: each keeps its own state
    although both export the short paso_* names too."""
    qemu = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if not qemu or not shutil.which("aarch64-linux-gnu-gcc"):
        pytest.skip("qemu-aarch64 or aarch64-linux-gnu-gcc is not installed")
    build = tmp_path / "build-arm"
    configure(project, build, prefix,
              f"-DCMAKE_TOOLCHAIN_FILE={project}/aarch64-toolchain.cmake",
              "-DMODEL_TARGET=rpi4", "-DTINY_MLP_STATIC=OFF")
    run(["cmake", "--build", str(build)])
    with open(build / "classify", "rb") as f:
        header = f.read(20)
    assert header[:4] == b"\x7fELF" and header[18:20] == b"\xb7\x00"  # EM_AARCH64
    check_printed(run([qemu, "-L", AARCH64_SYSROOT,
                       str(build / "classify")]).stdout)


def test_cross_build_needs_a_target(prefix, project, tmp_path):
    if not shutil.which("aarch64-linux-gnu-gcc"):
        pytest.skip("aarch64-linux-gnu-gcc is not installed")
    result = subprocess.run(
        ["cmake", "-G", "Ninja", "-S", str(project), "-B",
         str(tmp_path / "b"), f"-DPASO_DIR={prefix}/lib/cmake/PASO",
         f"-DCMAKE_TOOLCHAIN_FILE={project}/aarch64-toolchain.cmake"],
        capture_output=True, text=True)
    assert result.returncode != 0
    assert "TARGET is required in a cross build" in result.stderr
