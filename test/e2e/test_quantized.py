"""Quantised models from ONNX Runtime's own quantiser compile with PASO and
match ONNX Runtime's int8 outputs: QDQ and QOperator formats, per-tensor and
per-channel weights, S8S8 and U8S8, on the host and as rpi4/rpi5 builds
under qemu.

Tolerance: at most one quantisation step of the output scale on >= 99% of
elements, two everywhere. PASO runs integer layers in float between
dequantize and quantize (paso-expand-quantized) where ONNX Runtime
accumulates in int32; a sum that lands within float rounding of a .5
boundary may round the other way, moving that element by one step, and the
step can carry through the layers after it."""
import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                      QuantType, quantize_static)

from conftest import paso, run_on_aarch64
from paso.compiler import CompileError

SHAPE = (1, 3, 16, 16)
CONFIGS = [(fmt, per_channel, act)
           for fmt in ("QDQ", "QOperator")
           for per_channel in (False, True)
           for act in ("S8S8", "U8S8")]


def small_cnn(path):
    """Conv-ReLU, max pool, depthwise conv, a residual add, global pool and
    a fully connected layer: the ops quantised CNNs are made of."""
    rng = np.random.default_rng(0)

    def weight(name, shape, scale):
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * scale).astype(np.float32), name)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1],
                         name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2],
                         strides=[2, 2], name="pool1"),
        helper.make_node("Conv", ["p1", "wd", "bd"], ["c2"], pads=[1, 1, 1, 1],
                         group=16, name="depthwise"),
        helper.make_node("Conv", ["c2", "w3", "b3"], ["c3"], name="pointwise"),
        helper.make_node("Add", ["c3", "p1"], ["a3"], name="residual"),
        helper.make_node("GlobalAveragePool", ["a3"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], transB=1, name="fc"),
    ]
    graph = helper.make_graph(
        nodes, "small_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        [weight("w1", [16, 3, 3, 3], 0.3), weight("b1", [16], 0.1),
         weight("wd", [16, 1, 3, 3], 0.3), weight("bd", [16], 0.1),
         weight("w3", [16, 16, 1, 1], 0.2), weight("b3", [16], 0.1),
         weight("wf", [10, 16], 0.3), weight("bf", [10], 0.1)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)


class Calibration(CalibrationDataReader):
    """Fixed random calibration data, the same on every run."""

    def __init__(self, shape, count=8):
        rng = np.random.default_rng(42)
        self.batches = iter([{"x": rng.standard_normal(shape).astype(np.float32)}
                             for _ in range(count)])

    def get_next(self):
        return next(self.batches, None)


def quantize(float_path, out_path, fmt, per_channel, act):
    quantize_static(
        str(float_path), str(out_path), Calibration(SHAPE),
        quant_format=QuantFormat.QDQ if fmt == "QDQ" else QuantFormat.QOperator,
        per_channel=per_channel,
        activation_type=QuantType.QInt8 if act == "S8S8" else QuantType.QUInt8,
        weight_type=QuantType.QInt8)


def output_scale(model_path):
    """The scale of the DequantizeLinear producing the graph output."""
    model = onnx.load(str(model_path))
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    out = model.graph.output[0].name
    producer = next(n for n in model.graph.node if out in n.output)
    assert producer.op_type == "DequantizeLinear", producer.op_type
    return float(inits[producer.input[1]])


def assert_within_steps(got, want, step, what):
    steps = np.abs(got.astype(np.float64) - want) / step
    within_one = np.mean(steps <= 1.001)
    assert within_one >= 0.99, f"{what}: {within_one:.2%} within one step"
    assert steps.max() <= 2.001, f"{what}: {steps.max():.2f} steps off"


@pytest.fixture(scope="module")
def float_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("quant") / "small_cnn.onnx"
    small_cnn(path)
    return path


def quantized(float_model, config):
    fmt, per_channel, act = config
    name = f"{fmt}_{'pc' if per_channel else 'pt'}_{act}"
    path = float_model.parent / f"{name}.onnx"
    if not path.exists():
        quantize(float_model, path, fmt, per_channel, act)
    return name, path


def feeds():
    return {"x": np.random.default_rng(7).standard_normal(SHAPE)
            .astype(np.float32)}


def reference(path, inputs):
    session = ort.InferenceSession(str(path),
                                   providers=["CPUExecutionProvider"])
    return session.run(None, inputs)[0]


@pytest.mark.parametrize("config", CONFIGS,
                         ids=["-".join([c[0], "pc" if c[1] else "pt", c[2]])
                              for c in CONFIGS])
def test_host(config, float_model, paso_opt, tmp_path):
    name, path = quantized(float_model, config)
    compiled = paso.load(paso.compile(path, output=tmp_path / f"{name}.so"))
    inputs = feeds()
    got = compiled.run(inputs)["y"]
    assert_within_steps(got, reference(path, inputs), output_scale(path), name)


@pytest.mark.parametrize("target", ["rpi4", "rpi5"])
@pytest.mark.parametrize("config", [("QDQ", True, "S8S8"),
                                    ("QOperator", False, "U8S8")],
                         ids=["QDQ-pc-S8S8", "QOperator-pt-U8S8"])
def test_aarch64_under_qemu(config, target, float_model, paso_opt, tmp_path,
                            aarch64_runner):
    name, path = quantized(float_model, config)
    so = paso.compile(path, target=target, output=tmp_path / f"{name}.so")
    inputs = feeds()
    run_on_aarch64(aarch64_runner, so, inputs, tmp_path)
    got = np.load(tmp_path / "y.npy")
    assert_within_steps(got, reference(path, inputs), output_scale(path),
                        f"{name} {target}")


def test_bad_scale_is_an_error_at_the_node(paso_opt, tmp_path):
    """A NaN scale in a QuantizeLinear is a diagnostic naming the node."""
    nan = numpy_helper.from_array(np.array(np.nan, np.float32), "s")
    zp = numpy_helper.from_array(np.array(0, np.uint8), "zp")
    graph = helper.make_graph(
        [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["y"],
                          name="quant_in")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.UINT8, [4])],
        [nan, zp])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = tmp_path / "nan.onnx"
    onnx.save(model, path)
    with pytest.raises(CompileError) as error:
        paso.compile(path, output=tmp_path / "nan.so")
    assert "node 'quant_in' (QuantizeLinear): output scale nan must be " \
        "finite and positive" in str(error.value)
