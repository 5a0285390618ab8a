"""The CUDA back end (docs/cuda.md) on a machine without a GPU.

What can be checked here is checked: the suite models' PTX for every Jetson
chip (and a data-centre one) is accepted by ptxas; the Jetson .so files are
aarch64, name only the C library's parts and load the CUDA driver with
dlopen, and fail cleanly where there is none (under qemu and on this host);
and the placement, copies, waits and grid shapes compute ONNX Runtime's
results when the grid is emulated on the host (--cuda-emulate), with the
kernels' own math. What needs a GPU is benchmarks/run_cuda_device.py.
"""
import ctypes
import json
import os
import re
import subprocess
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import pytest
from onnx import TensorProto, helper

from conftest import random_inputs

import paso
from paso.runtime import Model, PasoError

# target: (chip, PTX ISA version written)
TARGETS = {
    "jetson-nano": ("sm_53", "6.5"),
    "jetson-xavier": ("sm_72", "7.4"),
    "jetson-orin": ("sm_87", "7.4"),
    "cuda-sm_90": ("sm_90", "7.8"),
}
SUITE = ["mlp", "mobilenetv2", "resnet18", "resnet50", "squeezenet11",
         "transformer"]
ALLOWED_LIBRARIES = {"libc.so.6", "libm.so.6", "libdl.so.2",
                     "libpthread.so.0"}


@pytest.fixture(scope="session")
def ptxas():
    """CUDA 12's ptxas (PyPI nvidia-cuda-nvcc-cu12, installed by the
    bootstrap): it still compiles for sm_53 and sm_72."""
    path = os.path.join(sys.prefix, "lib", "python3.11", "site-packages",
                        "nvidia", "cuda_nvcc", "bin", "ptxas")
    if not os.path.exists(path):
        pytest.skip("ptxas (nvidia-cuda-nvcc-cu12) is not installed")
    return path


def compile_model(paso_opt, onnx_path, out, target, *extra):
    result = subprocess.run([paso_opt, str(onnx_path), f"-target={target}",
                             "-o", str(out), *extra],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result


def driver_present():
    try:
        ctypes.CDLL("libcuda.so.1")
        return True
    except OSError:
        return False


@pytest.mark.parametrize("model", SUITE)
def test_suite_runs_on_the_gpu(paso_opt, suite_dir, tmp_path, ptxas, model):
    """Every op of the suite on the GPU, the products tiled. (lit's
    test/Target/CUDA/suite-*.test checks the PTX of every target.)"""
    target = "jetson-orin"
    chip, version = TARGETS[target]
    ptx = tmp_path / f"{model}.ptx"
    report = tmp_path / f"{model}.json"
    compile_model(paso_opt, suite_dir / f"{model}.onnx", ptx, target,
                  f"--report={report}")
    text = ptx.read_text()
    assert re.search(rf"^\.version {re.escape(version)}$", text, re.M)
    assert re.search(rf"^\.target {chip}$", text, re.M)
    assert ".extern" not in text, "the PTX calls a function it lacks"
    # Every op of the suite runs on the GPU: nothing falls back.
    cuda = json.loads(report.read_text())["cuda"]
    assert cuda["chip"] == chip and cuda["kernels"] > 0
    assert {op["device"] for op in cuda["ops"]} == {"gpu"}
    assert text.count(".entry ") == cuda["kernels"]
    # The convolutions' products stage their tiles in shared memory.
    tiled = [op for op in cuda["ops"]
             if op["reason"] == "16x16 tiles through shared memory"]
    if model in ("mobilenetv2", "resnet18", "resnet50", "squeezenet11"):
        assert tiled and ".shared" in text and "bar.sync" in text
    result = subprocess.run([ptxas, f"-arch={chip}", str(ptx), "-o",
                             str(tmp_path / f"{model}.cubin")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def readelf(*args):
    return subprocess.run(["readelf", *args], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("target", ["jetson-nano", "jetson-xavier",
                                    "jetson-orin"])
def test_jetson_so_needs_only_libc_and_loads_the_driver_itself(
        paso_opt, suite_dir, tmp_path, target):
    so = tmp_path / "resnet18.so"
    compile_model(paso_opt, suite_dir / "resnet18.onnx", so, target)
    assert "AArch64" in readelf("--file-header", str(so))
    needed = set(re.findall(r"\(NEEDED\).*\[(.*)\]",
                            readelf("--dynamic", str(so))))
    assert needed <= ALLOWED_LIBRARIES, needed
    symbols = readelf("--dyn-syms", "--wide", str(so))
    # Num: Value Size Type Bind Vis Ndx Name [(version index)]
    undefined = [line.split()[7] for line in symbols.splitlines()
                 if " UND " in line and len(line.split()) > 7]
    assert not [s for s in undefined if s.startswith("cu")], undefined
    assert "dlopen@GLIBC_2.17" in undefined
    # JetPack 4's glibc is 2.27: every symbol's version must exist there.
    versions = {s.split("@")[-1] for s in undefined if "@" in s}
    assert versions == {"GLIBC_2.17"}, versions
    # The PTX and the kernels' names ride in the .so's read-only data.
    assert b".target " + TARGETS[target][0].encode() in so.read_bytes()


def test_jetson_so_fails_cleanly_without_a_gpu(paso_opt, suite_dir, tmp_path,
                                               aarch64_runner):
    so = tmp_path / "squeezenet.so"
    compile_model(paso_opt, suite_dir / "squeezenet11.onnx", so,
                  "jetson-orin")
    result = subprocess.run([*aarch64_runner, str(so)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cannot create a context: the model runs on a CUDA GPU and none " \
           "can be used here" in result.stderr
    assert "cannot load the CUDA driver libcuda.so.1" in result.stderr


def test_host_so_reports_the_missing_driver(paso_opt, suite_dir, tmp_path):
    if driver_present():
        pytest.skip("this machine has a CUDA driver: "
                    "benchmarks/run_cuda_device.py runs the models")
    so = tmp_path / "mlp.so"
    compile_model(paso_opt, suite_dir / "mlp.onnx", so, "cuda-sm_90")
    lib = ctypes.CDLL(str(so))
    assert lib.paso_uses_gpu() == 1
    with pytest.raises(PasoError, match="libcuda.so.1"):
        Model(str(so))


def onnxruntime_outputs(onnx_path, feeds):
    import onnxruntime as ort
    session = ort.InferenceSession(str(onnx_path),
                                   providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def assert_close(outputs, reference, tolerance):
    for got, want in zip(outputs, reference):
        error = np.abs(got - want).max() / (np.abs(want).max() + 1e-12)
        assert error < tolerance, error


@pytest.mark.parametrize("model", ["mlp", "mobilenetv2", "resnet18",
                                   "squeezenet11", "transformer"])
def test_emulated_grid_matches_onnxruntime(paso_opt, suite_dir, tmp_path,
                                           model):
    so = tmp_path / f"{model}.so"
    compile_model(paso_opt, suite_dir / f"{model}.onnx", so, "cuda-sm_90",
                  "--cuda-emulate")
    compiled = Model(str(so))
    assert not compiled.uses_gpu
    feeds = random_inputs(compiled.inputs)
    reference = onnxruntime_outputs(suite_dir / f"{model}.onnx", feeds)
    # Twice: the second run reads the weights the first one uploaded.
    for _ in range(2):
        outputs = list(compiled.run(feeds).values())
        assert_close(outputs, reference, 1e-4)


def global_reduction_model(path):
    """Relu, a sum over everything (no parallel loop: the CPU's), then a
    division by it on the GPU again."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu"),
        helper.make_node("ReduceSum", ["r"], ["s"], name="total",
                         keepdims=1),
        helper.make_node("Div", ["r", "s"], ["y"], name="share"),
    ]
    graph = helper.make_graph(nodes, "global_share", [x], [y])
    model = helper.make_model(graph, ir_version=8,
                              opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, str(path))


def test_cpu_fallback_in_the_middle(paso_opt, tmp_path):
    onnx_path = tmp_path / "share.onnx"
    global_reduction_model(onnx_path)
    report = tmp_path / "report.json"
    so = tmp_path / "share.so"
    compile_model(paso_opt, onnx_path, so, "jetson-orin",
                  f"--report={report}")
    ops = json.loads(report.read_text())["cuda"]["ops"]
    cpu = [op for op in ops if op["device"] == "cpu"]
    assert cpu and all("no parallel loop" in op["reason"] for op in cpu)
    assert any("'total' (ReduceSum)" in op["onnx_nodes"] for op in cpu)
    assert any(op["device"] == "gpu" and "'share' (Div)" in op["onnx_nodes"]
               for op in ops)
    text = subprocess.run([paso_opt, str(onnx_path), "-target=jetson-orin",
                           "--report=-", "-o", str(tmp_path / "s.ptx")],
                          capture_output=True, text=True, check=True).stdout
    assert re.search(r"^cpu  linalg.generic \(no parallel loop \(a reduction "
                     r"to one value\)\) <- node 'total' \(ReduceSum\)", text,
                     re.M)
    html = tmp_path / "report.html"
    compile_model(paso_opt, onnx_path, tmp_path / "h.ptx", "jetson-orin",
                  f"--report={html}")
    assert ("<tr><td>cpu</td><td>linalg.generic</td><td>no parallel loop (a "
            "reduction to one value)</td><td>node &#39;total&#39; (ReduceSum)"
            in html.read_text())
    # Emulated, the GPU's part and the CPU's meet in the arena.
    emulated = tmp_path / "share_emulated.so"
    compile_model(paso_opt, onnx_path, emulated, "cuda-sm_90",
                  "--cuda-emulate")
    feeds = {"x": np.random.default_rng(1).standard_normal(
        (1, 4, 8, 8)).astype(np.float32)}
    outputs = list(Model(str(emulated)).run(feeds).values())
    assert_close(outputs, onnxruntime_outputs(onnx_path, feeds), 1e-5)


def test_tiled_product_edges(paso_opt, tmp_path):
    """A product whose sizes are no multiple of the 16 x 16 tiles, and
    whose K is shorter than one: every edge guard counts."""
    rng = np.random.default_rng(3)
    for m, k, n in [(37, 53, 29), (5, 7, 3)]:
        a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])
        weights = onnx.numpy_helper.from_array(
            rng.standard_normal((k, n)).astype(np.float32), "w")
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["a", "w"], ["y"], name="product")],
            "product", [a], [y], [weights])
        onnx_path = tmp_path / f"product{m}.onnx"
        onnx.save(helper.make_model(graph, ir_version=8, opset_imports=[
            helper.make_opsetid("", 13)]), str(onnx_path))
        report = tmp_path / f"product{m}.json"
        so = tmp_path / f"product{m}.so"
        compile_model(paso_opt, onnx_path, so, "cuda-sm_90", "--cuda-emulate",
                      f"--report={report}")
        ops = json.loads(report.read_text())["cuda"]["ops"]
        assert any(op["reason"] == "16x16 tiles through shared memory"
                   for op in ops)
        feeds = {"a": rng.standard_normal((m, k)).astype(np.float32)}
        outputs = list(Model(str(so)).run(feeds).values())
        assert_close(outputs, onnxruntime_outputs(onnx_path, feeds), 1e-5)


@pytest.mark.parametrize("config", [("QDQ", True, "S8S8"),
                                    ("QOperator", False, "U8S8")],
                         ids=["QDQ-pc-S8S8", "QOperator-pt-U8S8"])
def test_quantised_model_on_the_gpu(config, paso_opt, tmp_path):
    """A pre-quantised model runs on the GPU in float (its quantised ops
    expanded) and stays within a step of ONNX Runtime's int8."""
    from test_quantized import (assert_within_steps, feeds, output_scale,
                                quantize, reference, small_cnn)
    float_path = tmp_path / "small_cnn.onnx"
    small_cnn(str(float_path))
    path = tmp_path / "quantised.onnx"
    quantize(float_path, path, *config)
    report = tmp_path / "report.json"
    so = tmp_path / "quantised.so"
    compile_model(paso_opt, path, so, "cuda-sm_90", "--cuda-emulate",
                  f"--report={report}")
    ops = json.loads(report.read_text())["cuda"]["ops"]
    assert {op["device"] for op in ops} == {"gpu"}
    inputs = feeds()
    got = Model(str(so)).run(inputs)["y"]
    assert_within_steps(got, reference(path, inputs), output_scale(path),
                        "-".join(map(str, config)))
    compile_model(paso_opt, path, tmp_path / "quantised.ptx", "jetson-orin")


def test_emulation_needs_a_cuda_target(paso_opt, suite_dir, tmp_path):
    result = subprocess.run([paso_opt, str(suite_dir / "mlp.onnx"),
                             "-target=rpi5", "--cuda-emulate", "-o",
                             str(tmp_path / "mlp.so")],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "--cuda-emulate needs a CUDA target" in result.stderr


def test_device_script_says_when_there_is_no_gpu(tmp_path):
    """benchmarks/run_cuda_device.py: `prepare` here, `run` on a GPU
    machine; without a driver `run` exits 2 with the driver's reason."""
    if driver_present():
        pytest.skip("this machine has a CUDA driver")
    script = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks",
                          "run_cuda_device.py")
    out = tmp_path / "check"
    subprocess.run([sys.executable, script, "prepare", "--sm", "90", "--out",
                    str(out), "--models", "mlp"], check=True,
                   capture_output=True)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["models"][0]["so"] == "mlp.so"
    result = subprocess.run([sys.executable, script, "run", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert "no usable CUDA GPU" in result.stderr
    assert "libcuda.so.1" in result.stderr
