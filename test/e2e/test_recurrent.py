"""Recurrent layers (unrolled at import, lib/Import/Onnx/RecurrentConverters.cpp)
in small models built with onnx.helper, compiled for the host and for the
Raspberry Pi 4 (under qemu) and compared with ONNX Runtime: a CRNN-style
text reader (convolutions, a bidirectional LSTM over the image columns, a
per-column classifier), a bidirectional GRU with layout 1 and initial_h,
and an RNN whose sequence_lens is a graph input. Tolerance as in
test_models.py.

ONNX Runtime's CPU kernels reject layout 1, so the GRU's reference is the
same layer at layout 0 between transposes; both files use the same
weights and inputs.
"""
import re
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import paso
from conftest import ort_outputs, run_on_aarch64
from test_models import assert_matches

RNG = np.random.default_rng(11)


def weights(name, shape, scale=0.3):
    return numpy_helper.from_array(
        (RNG.standard_normal(shape) * scale).astype(np.float32), name)


def save(path, nodes, inputs, outputs, initializers, opset=14):
    graph = helper.make_graph(nodes, path.stem, inputs, outputs, initializers)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def value(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


# The text reader: a 32 x 64 grey image, two conv/pool stages to 32
# channels x 8 rows x 16 columns, each column a step of a bidirectional
# LSTM, and a softmax over 37 classes (CTC blank, digits, letters) per
# column.
IMAGE = [1, 1, 32, 64]
STEPS, FEATURES, HIDDEN, CLASSES = 16, 32 * 8, 48, 37


def crnn(path):
    nodes = [
        helper.make_node("Conv", ["image", "w1", "b1"], ["c1"],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2],
                         strides=[2, 2]),
        # [N, C, H, W] -> [W, N, C * H]: one step per image column.
        helper.make_node("Transpose", ["p2"], ["columns"], perm=[3, 0, 1, 2]),
        helper.make_node("Reshape", ["columns", "seq_shape"], ["seq"]),
        helper.make_node("LSTM", ["seq", "lw", "lr", "lb"], ["y"],
                         hidden_size=HIDDEN, direction="bidirectional"),
        # [W, 2, N, H] -> [W, N, 2 * H]
        helper.make_node("Transpose", ["y"], ["yt"], perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["yt", "feature_shape"], ["features"]),
        helper.make_node("MatMul", ["features", "fc"], ["logits_nb"]),
        helper.make_node("Add", ["logits_nb", "fc_bias"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
    ]
    inits = [
        weights("w1", [16, 1, 3, 3]), weights("b1", [16]),
        weights("w2", [32, 16, 3, 3], 0.1), weights("b2", [32]),
        numpy_helper.from_array(np.array([STEPS, 1, FEATURES], np.int64),
                                "seq_shape"),
        weights("lw", [2, 4 * HIDDEN, FEATURES], 0.1),
        weights("lr", [2, 4 * HIDDEN, HIDDEN], 0.2),
        weights("lb", [2, 8 * HIDDEN], 0.1),
        numpy_helper.from_array(np.array([STEPS, 1, 2 * HIDDEN], np.int64),
                                "feature_shape"),
        weights("fc", [2 * HIDDEN, CLASSES]), weights("fc_bias", [CLASSES]),
    ]
    return save(path, nodes, [value("image", IMAGE)],
                [value("probs", [STEPS, 1, CLASSES])], inits)


GRU_BATCH, GRU_SEQ, GRU_INPUT, GRU_HIDDEN = 3, 7, 10, 12


def gru(path, layout):
    """A bidirectional GRU (linear_before_reset) at `layout`, or at layout
    0 between transposes when `layout` is "reference"."""
    rng = np.random.default_rng(5)
    inits = [numpy_helper.from_array(
        (rng.standard_normal(shape) * 0.3).astype(np.float32), name)
        for name, shape in [("w", [2, 3 * GRU_HIDDEN, GRU_INPUT]),
                            ("r", [2, 3 * GRU_HIDDEN, GRU_HIDDEN]),
                            ("b", [2, 6 * GRU_HIDDEN])]]
    inputs = [value("x", [GRU_BATCH, GRU_SEQ, GRU_INPUT]),
              value("h0", [GRU_BATCH, 2, GRU_HIDDEN])]
    outputs = [value("y", [GRU_BATCH, GRU_SEQ, 2, GRU_HIDDEN]),
               value("y_h", [GRU_BATCH, 2, GRU_HIDDEN])]
    attrs = dict(hidden_size=GRU_HIDDEN, direction="bidirectional",
                 linear_before_reset=1)
    if layout == 1:
        nodes = [helper.make_node("GRU", ["x", "w", "r", "b", "", "h0"],
                                  ["y", "y_h"], layout=1, **attrs)]
    else:
        nodes = [
            helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0, 2]),
            helper.make_node("Transpose", ["h0"], ["h0t"], perm=[1, 0, 2]),
            helper.make_node("GRU", ["xt", "w", "r", "b", "", "h0t"],
                             ["yt", "y_ht"], **attrs),
            helper.make_node("Transpose", ["yt"], ["y"], perm=[2, 0, 1, 3]),
            helper.make_node("Transpose", ["y_ht"], ["y_h"], perm=[1, 0, 2]),
        ]
    return save(path, nodes, inputs, outputs, inits)


RNN_SEQ, RNN_BATCH, RNN_INPUT, RNN_HIDDEN = 6, 4, 5, 8
# Lengths of at least 1: for a zero length ONNX Runtime's RNN leaves Y_h
# uninitialised (PASO, like its LSTM and GRU, writes zeros).
RNN_LENGTHS = np.array([6, 2, 5, 1], np.int32)


def rnn(path):
    """A bidirectional RNN with a ReLU forward and a tanh backward
    direction, its sequence_lens a graph input."""
    node = helper.make_node("RNN", ["x", "w", "r", "b", "lens"], ["y", "y_h"],
                            hidden_size=RNN_HIDDEN, direction="bidirectional",
                            activations=["Relu", "Tanh"])
    inits = [weights("w", [2, RNN_HIDDEN, RNN_INPUT]),
             weights("r", [2, RNN_HIDDEN, RNN_HIDDEN]),
             weights("b", [2, 2 * RNN_HIDDEN])]
    inputs = [value("x", [RNN_SEQ, RNN_BATCH, RNN_INPUT]),
              value("lens", [RNN_BATCH], TensorProto.INT32)]
    outputs = [value("y", [RNN_SEQ, 2, RNN_BATCH, RNN_HIDDEN]),
               value("y_h", [2, RNN_BATCH, RNN_HIDDEN])]
    return save(path, [node], inputs, outputs, inits)


def feeds_for(model):
    rng = np.random.default_rng(3)
    feeds = {}
    for info in model.inputs:
        if info.name == "lens":
            feeds[info.name] = RNN_LENGTHS
        else:
            feeds[info.name] = rng.standard_normal(info.shape).astype(info.dtype)
    return feeds


def build(name, tmp_path):
    """(model to compile, model ONNX Runtime runs)."""
    if name == "crnn_lstm":
        path = crnn(tmp_path / "crnn.onnx")
        return path, path
    if name == "gru_layout1":
        return (gru(tmp_path / "gru.onnx", 1),
                gru(tmp_path / "gru_reference.onnx", "reference"))
    path = rnn(tmp_path / "rnn.onnx")
    return path, path


MODELS = ["crnn_lstm", "gru_layout1", "rnn_sequence_lens"]


@pytest.mark.parametrize("name", MODELS)
def test_host(name, paso_opt, tmp_path):
    path, ref_path = build(name, tmp_path)
    model = paso.load(paso.compile(path, output=tmp_path / f"{name}.so"))
    feeds = feeds_for(model)
    assert_matches(model.run(feeds), ort_outputs(ref_path, feeds), name)


@pytest.mark.parametrize("name", MODELS)
def test_rpi4_under_qemu(name, paso_opt, tmp_path, aarch64_runner):
    path, ref_path = build(name, tmp_path)
    so = paso.compile(path, target="rpi4", output=tmp_path / "rpi4.so")
    host = paso.load(paso.compile(path, output=tmp_path / "host.so"))
    feeds = feeds_for(host)
    run_on_aarch64(aarch64_runner, so, feeds, tmp_path)
    got = {info.name: np.load(tmp_path / f"{info.name}.npy")
           for info in host.outputs}
    assert_matches(got, ort_outputs(ref_path, feeds), f"rpi4 {name}")


def test_lstm_projection_on_gemm_kernel(paso_opt, tmp_path):
    """Each direction's input projection is one GEMM call over all 16
    steps; each step's product with R is a one-row call, and all 16 share
    one packed copy of R."""
    path = crnn(tmp_path / "crnn.onnx")
    report = subprocess.run(
        [paso_opt, str(path), "-o", str(tmp_path / "crnn.so"), "--report=-"],
        capture_output=True, text=True, check=True).stdout
    lstm = re.findall(r"^\d+: (.*?), \d+ threads?, .*\(LSTM\);$", report,
                      re.MULTILINE)
    assert lstm.count("gemm, packed weights") == 2, report
    assert lstm.count("gemm, row at a time, packed weights") == 2 * STEPS, \
        report
    ir = subprocess.run([paso_opt, str(path), "--emit=linalg"],
                        capture_output=True, text=True, check=True).stdout
    packed_r = set(re.findall(
        rf"dense_resource<(\w+)> : tensor<{4 * HIDDEN * HIDDEN}xf32>", ir))
    assert len(packed_r) == 2, ir
