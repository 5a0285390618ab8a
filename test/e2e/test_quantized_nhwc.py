"""Channels-last int8 convolutions (paso-select-cpu-layout on quantised
graphs, docs/quantization.md): the NHWC kernels sum the same int32 values
and requantise them the same way as the NCHW ones, so a build in either
layout gives the same bytes, which for the QOperator suite are ONNX
Runtime's. Checked on the host with each x86 product kernel and as rpi4 and
rpi5 builds under qemu, on the suite's CNNs and on a small model of the
awkward shapes (three input channels, channel counts off the vector width,
strides, a 5x5 and a dilated depthwise window, a batch of two)."""
import json
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

from conftest import paso, random_inputs, run_on_aarch64
from test_quantized import (kernel_algorithms, quantize_suite_model,
                            random_calibration, reference)

NHWC = ("--paso-layout=nhwc",)
NCHW = ("--paso-layout=nchw",)
ZOO_SHAPE = (2, 3, 18, 18)


def compile_with(path, out, layout, target="host"):
    report = out.with_suffix(".json")
    so = paso.compile(path, target=target, output=out,
                      extra_args=layout + (f"--report={report}",))
    return so, kernel_algorithms(report)


@pytest.mark.parametrize("model", ["mobilenetv2", "resnet18", "squeezenet11"])
def test_channels_last_suite_matches_ort(model, paso_opt, tmp_path):
    """The QOperator suite built channels-last: ONNX Runtime's bytes, with
    every convolution on an NHWC kernel."""
    path = quantize_suite_model(model, tmp_path, "QOperator", False, "U8S8")
    so, algorithms = compile_with(path, tmp_path / "nhwc.so", NHWC)
    compiled = paso.load(so)
    feeds = random_inputs(compiled.inputs, seed=7)
    got = list(compiled.run(feeds).values())[0]
    np.testing.assert_array_equal(got, reference(path, feeds))
    assert not [a for a in algorithms if "(NCHW)" in a], algorithms
    assert any("(NHWC" in a for a in algorithms), algorithms


def zoo_model(path):
    """Conv 3x3/2 of 3 channels, depthwise 3x3 of 24 at strides 1 and 2,
    1x1 products of 24 -> 40 -> 72 -> 24 channels, a 5x5 and a dilated
    depthwise window, a 3x3 conv of 6 channels, a residual add, a global
    pool and a fully connected layer, for a batch of two."""
    rng = np.random.default_rng(3)
    inits = []

    def weight(name, shape, scale=0.3):
        inits.append(numpy_helper.from_array(
            (rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    def conv(x, out, c_in, c_out, k, stride=1, group=1, dilation=1, relu=True):
        pad = dilation * (k - 1) // 2
        w = weight(out + "_w", [c_out, c_in // group, k, k])
        b = weight(out + "_b", [c_out], 0.1)
        nodes = [helper.make_node(
            "Conv", [x, w, b], [out + ("_c" if relu else "")],
            kernel_shape=[k, k], strides=[stride, stride],
            pads=[pad] * 4, group=group, dilations=[dilation, dilation],
            name=out)]
        if relu:
            nodes.append(helper.make_node("Relu", [out + "_c"], [out],
                                          name=out + "_relu"))
        return nodes
    nodes = (conv("x", "stem", 3, 24, 3, stride=2) +
             conv("stem", "dw1", 24, 24, 3, group=24) +
             conv("dw1", "pw1", 24, 40, 1) +
             conv("pw1", "dw2", 40, 40, 3, stride=2, group=40) +
             conv("dw2", "pw2", 40, 72, 1) +
             conv("pw2", "dw5", 72, 72, 5, group=72) +
             conv("dw5", "dwd", 72, 72, 3, group=72, dilation=2) +
             conv("dwd", "pw3", 72, 6, 1) +
             conv("pw3", "c6", 6, 24, 3) +
             conv("dw2", "skip", 40, 24, 1, relu=False))
    nodes += [
        helper.make_node("Add", ["c6", "skip"], ["sum"], name="residual"),
        helper.make_node("GlobalAveragePool", ["sum"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", weight("fc_w", [10, 24]),
                                  weight("fc_b", [10], 0.1)], ["y"],
                         transB=1, name="fc")]
    graph = helper.make_graph(
        nodes, "zoo",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ZOO_SHAPE)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 10])],
        inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)


ZOO_CONFIGS = {"QOperator-pt-U8S8": (QuantFormat.QOperator, False,
                                     QuantType.QUInt8),
               "QDQ-pc-S8S8": (QuantFormat.QDQ, True, QuantType.QInt8)}


@pytest.fixture(scope="module", params=list(ZOO_CONFIGS))
def zoo(request, tmp_path_factory):
    """The quantised zoo model, its inputs and its host NCHW output."""
    out = tmp_path_factory.mktemp("zoo")
    fmt, per_channel, activations = ZOO_CONFIGS[request.param]
    float_path = out / "zoo.onnx"
    zoo_model(float_path)
    path = out / f"zoo.{request.param}.onnx"
    quantize_static(str(float_path), str(path),
                    random_calibration(ZOO_SHAPE, count=4, seed=11),
                    quant_format=fmt, per_channel=per_channel,
                    activation_type=activations, weight_type=QuantType.QInt8)
    so, _ = compile_with(path, out / "nchw.so", NCHW)
    inputs = {"x": np.random.default_rng(5).standard_normal(ZOO_SHAPE)
              .astype(np.float32)}
    return request.param, path, inputs, paso.load(so).run(inputs)["y"]


# x86 targets whose product kernels meet the pixels differently: VNNI takes
# them as its unsigned operand; AVX2 and the portable kernel read their
# columns as uint8 (weights + 128, a per-pixel correction).
SSE_TARGET = {"base": "x86-64-avx2", "name": "sse", "cpu": "x86-64",
              "features": "+sse4.2"}


@pytest.mark.parametrize("target", ["host", "x86-64-avx2", "sse"])
def test_zoo_channels_last_matches_nchw(zoo, target, paso_opt, tmp_path):
    name, path, inputs, nchw = zoo
    if target == "sse":
        target = tmp_path / "sse.json"
        target.write_text(json.dumps(SSE_TARGET))
    so, algorithms = compile_with(path, tmp_path / "nhwc.so", NHWC,
                                  target=str(target))
    got = paso.load(so).run(inputs)["y"]
    # (Not compared with ONNX Runtime: its U8S8 convolution saturates some
    # of this model's sums, e.g. the stem's output (0, 16, 3, 4), exactly
    # 2086 x 0.0088 = 18.4 -> 18, is 0 there; docs/quantization.md.)
    np.testing.assert_array_equal(got, nchw, err_msg=f"{name} {target}")
    assert sum("depthwise, 16 channels per vector (NHWC)" in a
               for a in algorithms) == 4, algorithms
    assert any("pixels as rows (NHWC 1x1)" in a for a in algorithms)
    assert any("pixels as rows, implicit im2col (NHWC)" in a
               for a in algorithms)


@pytest.mark.parametrize("target,depthwise", [
    ("rpi4", "widening multiply-adds"), ("rpi5", "a window row per SDOT")])
def test_zoo_channels_last_under_qemu(zoo, target, depthwise, paso_opt,
                                      tmp_path, aarch64_runner):
    """The Arm kernels channels-last (SMULL/SMLAL or SDOT products with
    int8 columns, the window rows by SDOT): the host NCHW build's bytes."""
    name, path, inputs, nchw = zoo
    so, algorithms = compile_with(path, tmp_path / f"{target}.so", NHWC,
                                  target=target)
    assert any(depthwise in a for a in algorithms), algorithms
    run_on_aarch64(aarch64_runner, so, inputs, tmp_path)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), nchw,
                                  err_msg=f"{name} {target}")


@pytest.mark.parametrize("model,int8_ops,decision", [
    ("resnet18", 21, "NHWC (cost model:"),
    ("squeezenet11", 29, "NHWC (cost model:"),
    ("mobilenetv2", 52, "NCHW, then NHWC from 20 of 52 (cost model:")])
def test_auto_layout_follows_the_int8_cost_model(model, int8_ops, decision,
                                                 paso_opt, tmp_path):
    """`auto` weighs a quantised graph's convolutions and poolings with the
    int8 kernels' predictions: ResNet-18's 3x3 layers on small maps go
    channels-last (measured 10% faster here), and so do SqueezeNet's max
    pools on the bytes (about 25%); MobileNetV2 splits, NCHW for its large
    maps and NHWC from its 14x14 blocks on (6-9%; docs/performance.md).
    Its bytes stay ONNX Runtime's (test_quantized.py's suite test builds
    it with `auto`)."""
    path = quantize_suite_model(model, tmp_path, "QOperator", False, "U8S8")
    report = tmp_path / "r.json"
    subprocess.run([paso_opt, str(path), "-o", str(tmp_path / "r.so"),
                    f"--report={report}"], check=True, capture_output=True)
    layout = json.loads(report.read_text())["layout"]
    assert layout.startswith(decision), layout
    assert f"{int8_ops} of them int8" in layout, layout


def test_layout_option_survives_quantisation(paso_opt, tmp_path):
    """--paso-layout holds for a model PASO quantises itself: lld, linking
    the quantiser's host builds in process, resets LLVM's command-line
    options, so the compiler reads it before."""
    float_path = tmp_path / "zoo.onnx"
    zoo_model(float_path)
    calibration = tmp_path / "cal.npz"
    np.savez(calibration, x=np.random.default_rng(1).standard_normal(
        (2, *ZOO_SHAPE)).astype(np.float32))
    for layout in ("nchw", "nhwc"):
        report = tmp_path / f"{layout}.json"
        subprocess.run([paso_opt, str(float_path), "--quantize=int8",
                        f"--calibration-data={calibration}",
                        f"--paso-layout={layout}", f"--report={report}",
                        "-o", str(tmp_path / f"{layout}.so")],
                       check=True, capture_output=True)
        assert json.loads(report.read_text())["layout"].startswith(
            f"{layout.upper()} (forced by layout={layout})")
