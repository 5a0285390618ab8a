"""com.microsoft QLinearSoftmax runs ONNX Runtime's own algorithm
(paso_qsoftmax_8: its table of exponentials, an f32 sum and division), so
a QOperator model's attention gives ONNX Runtime's bytes, for uint8 and
int8, in the opset-13 form (along the last axis) and the older one (the
dims from the axis flattened), on the host and under qemu."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import paso, run_on_aarch64
from test_quantized import kernel_algorithms, random_bytes

# (id, storage, x (scale, zero point), y (scale, zero point), shape, axis,
# opset)
CASES = [
    ("u8-last-axis", TensorProto.UINT8, (0.0625, 131), (1 / 256, 0),
     (2, 4, 8, 37), -1, 13),
    ("u8-wide-scale", TensorProto.UINT8, (0.3, 7), (1 / 255, 0),
     (3, 50), -1, 13),
    ("s8-last-axis", TensorProto.INT8, (0.05, -9), (1 / 256, -128),
     (4, 8, 33), -1, 13),
    ("u8-opset12-flattened", TensorProto.UINT8, (0.04, 120), (1 / 256, 0),
     (2, 3, 5, 7), 2, 12),
]


def quantisation_initializers(storage, x_params, y_params):
    """The numpy type of `storage` and the initializers xs, xz, ys, yz of an
    op with quantised input x and output y ((scale, zero point) each)."""
    np_type = np.uint8 if storage == TensorProto.UINT8 else np.int8
    return np_type, [
        numpy_helper.from_array(np.array(x_params[0], np.float32), "xs"),
        numpy_helper.from_array(np.array(x_params[1], np_type), "xz"),
        numpy_helper.from_array(np.array(y_params[0], np.float32), "ys"),
        numpy_helper.from_array(np.array(y_params[1], np_type), "yz")]


def softmax_model(path, storage, x_params, y_params, shape, axis, opset):
    np_type, inits = quantisation_initializers(storage, x_params, y_params)
    node = helper.make_node("QLinearSoftmax", ["x", "xs", "xz", "ys", "yz"],
                            ["y"], domain="com.microsoft", axis=axis,
                            opset=opset)
    graph = helper.make_graph(
        [node], "qsoftmax",
        [helper.make_tensor_value_info("x", storage, list(shape))],
        [helper.make_tensor_value_info("y", storage, list(shape))], inits)
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.save(model, path)
    return np_type


def ort_output(path, feeds):
    return ort.InferenceSession(str(path), providers=[
        "CPUExecutionProvider"]).run(None, feeds)[0]


@pytest.mark.parametrize("name,storage,x_params,y_params,shape,axis,opset",
                         CASES, ids=[case[0] for case in CASES])
def test_qlinear_softmax_matches_ort(name, storage, x_params, y_params,
                                     shape, axis, opset, paso_opt, tmp_path):
    path = tmp_path / f"{name}.onnx"
    np_type = softmax_model(path, storage, x_params, y_params, shape, axis,
                            opset)
    report = tmp_path / "report.json"
    compiled = paso.load(paso.compile(path, output=tmp_path / f"{name}.so",
                                      extra_args=[f"--report={report}"]))
    assert [a.startswith("int8 softmax (ONNX Runtime's QLinearSoftmax")
            for a in kernel_algorithms(report)] == [True]
    for seed in range(3):
        feeds = random_bytes(np_type, {"x": shape}, seed)
        np.testing.assert_array_equal(compiled.run(feeds)["y"],
                                      ort_output(path, feeds),
                                      err_msg=f"{name} seed {seed}")


@pytest.mark.parametrize("target", ["rpi4", "rpi5"])
def test_qlinear_softmax_under_qemu(target, paso_opt, tmp_path,
                                    aarch64_runner):
    name, storage, x_params, y_params, shape, axis, opset = CASES[0]
    path = tmp_path / f"{name}.onnx"
    np_type = softmax_model(path, storage, x_params, y_params, shape, axis,
                            opset)
    so = paso.compile(path, target=target, output=tmp_path / f"{target}.so")
    feeds = random_bytes(np_type, {"x": shape}, 0)
    run_on_aarch64(aarch64_runner, so, feeds, tmp_path)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"),
                                  ort_output(path, feeds))
