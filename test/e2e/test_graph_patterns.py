"""Decomposed patterns the graph passes recognise (paso-recognize-kernels)
still compute what ONNX Runtime computes, and really become single ops."""
import subprocess

from onnx import TensorProto, helper

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
