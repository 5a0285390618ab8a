"""Every suite model compiles for the host and for the Raspberry Pi 4 and
matches ONNX Runtime on the same random inputs.

Tolerance: rtol 1e-4 and atol 1e-5 scaled by the output's magnitude
(max |reference|, at least 1). Deep networks sum thousands of products in a
different order than ORT's MLAS kernels; the float32 rounding of those sums
grows with the size of the values, so an absolute bound must too. The models
with random weights reach outputs of 1e1 (MobileNetV2) to 1e5 (ResNet-50).
"""
import os

import numpy as np
import onnxruntime as ort
import pytest

import paso
from conftest import random_inputs, run_on_aarch64

MODELS = ["mlp", "mobilenetv2", "resnet18", "resnet50", "squeezenet11",
          "transformer"]


def reference(onnx_path, feeds):
    session = ort.InferenceSession(str(onnx_path),
                                   providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def assert_matches(got, want, model):
    for name, expected in want.items():
        actual = got[name]
        assert actual.shape == expected.shape, f"{model}/{name} shape"
        scale = max(1.0, float(np.max(np.abs(expected))))
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5 * scale,
                                   err_msg=f"{model} output {name}")


@pytest.mark.parametrize("model", MODELS)
def test_host(model, paso_opt, suite_dir, tmp_path):
    onnx_path = suite_dir / f"{model}.onnx"
    so = paso.compile(onnx_path, target="host", output=tmp_path / f"{model}.so")
    assert os.path.exists(tmp_path / f"{model}.h")
    compiled = paso.load(so)
    feeds = random_inputs(compiled.inputs)
    assert_matches(compiled.run(feeds), reference(onnx_path, feeds), model)


@pytest.mark.parametrize("model", MODELS)
def test_rpi4_under_qemu(model, paso_opt, suite_dir, tmp_path, aarch64_runner):
    onnx_path = suite_dir / f"{model}.onnx"
    so = paso.compile(onnx_path, target="rpi4", output=tmp_path / f"{model}.so")
    # The interface is target independent: read it from a host build.
    host = paso.load(paso.compile(onnx_path, target="host",
                                  output=tmp_path / "host.so"))
    feeds = random_inputs(host.inputs)
    run_on_aarch64(aarch64_runner, so, feeds, tmp_path)
    got = {info.name: np.load(tmp_path / f"{info.name.replace('/', '_')}.npy")
           for info in host.outputs}
    assert_matches(got, reference(onnx_path, feeds), model)


def test_unoptimised_build_matches(paso_opt, suite_dir, tmp_path):
    """-O0 (straight lowering) computes the same as -O3."""
    onnx_path = suite_dir / "squeezenet11.onnx"
    fast = paso.load(paso.compile(onnx_path, output=tmp_path / "o3.so"))
    slow = paso.load(paso.compile(onnx_path, output=tmp_path / "o0.so",
                                  opt_level=0))
    feeds = random_inputs(fast.inputs)
    want = reference(onnx_path, feeds)
    assert_matches(fast.run(feeds), want, "squeezenet11 -O3")
    assert_matches(slow.run(feeds), want, "squeezenet11 -O0")
