"""Decomposed patterns the graph passes recognise (paso-recognize-kernels)
still compute what ONNX Runtime computes, and really become single ops."""
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

import paso
from test_models import assert_matches


def softmax_model(path):
    """Softmax over the last axis written out as exporters do."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6, 9])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 6, 9])
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [2])
    nodes = [
        helper.make_node("ReduceMax", ["x"], ["max"], axes=[2], keepdims=1),
        helper.make_node("Sub", ["x", "max"], ["centred"]),
        helper.make_node("Exp", ["centred"], ["e"]),
        helper.make_node("ReduceSum", ["e", "axes"], ["sum"], keepdims=1),
        helper.make_node("Div", ["e", "sum"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "softmax", [x], [y], [axes])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_decomposed_softmax(paso_opt, tmp_path):
    path = softmax_model(tmp_path / "softmax.onnx")
    ir = subprocess.run([paso_opt, str(path), "--emit=paso"],
                        capture_output=True, text=True, check=True).stdout
    assert "paso.softmax" in ir and "paso.exp" not in ir, ir
    model = paso.load(paso.compile(path, output=tmp_path / "softmax.so"))
    feeds = {"x": 10 * np.random.default_rng(3).standard_normal(
        (2, 6, 9)).astype(np.float32)}
    session = ort.InferenceSession(str(path),
                                   providers=["CPUExecutionProvider"])
    assert_matches(model.run(feeds), {"y": session.run(None, feeds)[0]},
                   "softmax")
