"""Decomposed patterns the graph passes recognise (paso-recognize-kernels)
still compute what ONNX Runtime computes, and really become single ops."""
import subprocess

import numpy as np
from onnx import TensorProto, helper

from conftest import paso
from test_gemm_kernel import check, save, tensor


def softmax_model(path):
    """Softmax over the last axis written out as exporters do."""
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [2])
    nodes = [
        helper.make_node("ReduceMax", ["x", "axes"], ["max"], keepdims=1),
        helper.make_node("Sub", ["x", "max"], ["centred"]),
        helper.make_node("Exp", ["centred"], ["e"]),
        helper.make_node("ReduceSum", ["e", "axes"], ["sum"], keepdims=1),
        helper.make_node("Div", ["e", "sum"], ["y"]),
    ]
    return save(nodes, [tensor("x", [2, 6, 9])], [tensor("y", [2, 6, 9])],
                [axes], path)


def test_decomposed_softmax(paso_opt, tmp_path):
    path = softmax_model(tmp_path / "softmax.onnx")
    ir = subprocess.run([paso_opt, str(path), "--emit=paso"],
                        capture_output=True, text=True, check=True).stdout
    assert "paso.softmax" in ir and "paso.exp" not in ir, ir
    check(path, tmp_path, "host")


def test_one_tensor_as_two_outputs(paso_opt, tmp_path):
    """A tensor that is two graph outputs, through an Identity (legal
    ONNX) or listed twice (which ONNX Runtime accepts too): each output
    gets a buffer of its own and both hold the value. This crashed the
    bufferisation before each repeated result got a copy."""
    relu = helper.make_node("Relu", ["x"], ["y"])
    path = save([relu, helper.make_node("Identity", ["y"], ["z"])],
                [tensor("x", [2, 5])], [tensor("y", [2, 5]), tensor("z", [2, 5])],
                [], tmp_path / "identity_output.onnx")
    check(path, tmp_path, "host")
    path = save([relu], [tensor("x", [2, 5])],
                [tensor("y", [2, 5]), tensor("y", [2, 5])], [],
                tmp_path / "repeated_output.onnx")
    model = paso.load(paso.compile(path, output=tmp_path / "repeated.so"))
    assert [o.name for o in model.outputs] == ["y", "y"]
    x = np.linspace(-1, 1, 10, dtype=np.float32).reshape(2, 5)
    # The dict keeps the second place's array, the copy.
    np.testing.assert_array_equal(model.run({"x": x})["y"], np.maximum(x, 0))
