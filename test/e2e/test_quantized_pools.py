"""Max and average pooling of 8-bit values run on the bytes
(paso_qpool_8), NCHW and channels-last, and give ONNX Runtime's bytes:
QLinearAveragePool (and the QDQ DequantizeLinear -> AveragePool ->
QuantizeLinear that ONNX Runtime turns into it) in its own arithmetic
(f32 window sums, f32 division), a window as large as the image as its
global pool, and MaxPool of uint8 and int8 tensors, quantised or raw, on
the host and under qemu."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from conftest import paso, run_on_aarch64
from test_qlinear_softmax import ort_output, quantisation_initializers
from test_quantized import kernel_algorithms, random_bytes

# (id, storage, x (scale, zero point), y (scale, zero point), input shape,
# attributes)
AVERAGE = [
    ("u8-3x3-s1-pad", TensorProto.UINT8, (0.031, 121), (0.027, 118),
     (1, 8, 21, 75), dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1])),
    ("u8-3x3-s2-include-pad", TensorProto.UINT8, (0.02, 130), (0.019, 126),
     (2, 5, 17, 70), dict(kernel_shape=[3, 3], strides=[2, 2],
                          pads=[1, 1, 1, 1], count_include_pad=1)),
    ("s8-2x2-s2", TensorProto.INT8, (0.05, -3), (0.04, 7),
     (1, 67, 14, 14), dict(kernel_shape=[2, 2], strides=[2, 2])),
    ("s8-3x2-ceil", TensorProto.INT8, (0.013, 10), (0.011, -12),
     (1, 6, 13, 11), dict(kernel_shape=[3, 2], strides=[2, 3],
                          ceil_mode=1)),
    ("u8-5x5-s3-asymmetric-pads", TensorProto.UINT8, (0.1, 128), (0.05, 100),
     (1, 130, 19, 23), dict(kernel_shape=[5, 5], strides=[3, 3],
                            pads=[2, 0, 1, 2])),
    ("u8-whole-image", TensorProto.UINT8, (0.021, 119), (0.017, 124),
     (2, 40, 7, 7), dict(kernel_shape=[7, 7])),
]


def qlinear_average_model(path, storage, x_params, y_params, shape, attrs):
    np_type, inits = quantisation_initializers(storage, x_params, y_params)
    node = helper.make_node("QLinearAveragePool",
                            ["x", "xs", "xz", "ys", "yz"], ["y"],
                            domain="com.microsoft", **attrs)
    graph = helper.make_graph(
        [node], "qavg", [helper.make_tensor_value_info("x", storage, shape)],
        [helper.make_tensor_value_info("y", storage, None)], inits)
    save(graph, path)
    return np_type


def qdq_model(path, op, storage, x_params, y_params, shape, attrs):
    """DequantizeLinear -> `op` -> QuantizeLinear on `storage` bytes."""
    np_type, inits = quantisation_initializers(storage, x_params, y_params)
    nodes = [helper.make_node("DequantizeLinear", ["x", "xs", "xz"], ["f"]),
             helper.make_node(op, ["f"], ["p"], **attrs),
             helper.make_node("QuantizeLinear", ["p", "ys", "yz"], ["y"])]
    graph = helper.make_graph(
        nodes, "qdq", [helper.make_tensor_value_info("x", storage, shape)],
        [helper.make_tensor_value_info("y", storage, None)], inits)
    save(graph, path)
    return np_type


def raw_max_model(path, storage, shape, attrs):
    """MaxPool straight on uint8/int8 input (ONNX allows it from opset 12)."""
    graph = helper.make_graph(
        [helper.make_node("MaxPool", ["x"], ["y"], **attrs)], "max",
        [helper.make_tensor_value_info("x", storage, shape)],
        [helper.make_tensor_value_info("y", storage, None)])
    save(graph, path)
    return np.uint8 if storage == TensorProto.UINT8 else np.int8


def save(graph, path):
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.save(model, path)


def check(path, np_type, shape, tmp_path, layout, expected_kernel, seeds=3):
    report = tmp_path / f"{path.stem}-{layout}.json"
    compiled = paso.load(paso.compile(
        path, output=tmp_path / f"{path.stem}-{layout}.so",
        extra_args=[f"--report={report}", f"--paso-layout={layout}"]))
    algorithms = kernel_algorithms(report)
    assert len(algorithms) == 1 and algorithms[0].startswith(expected_kernel), \
        algorithms
    assert ("channels-last" in algorithms[0]) == (layout == "nhwc"), algorithms
    for seed in range(seeds):
        feeds = random_bytes(np_type, {"x": shape}, seed)
        np.testing.assert_array_equal(compiled.run(feeds)["y"],
                                      ort_output(path, feeds),
                                      err_msg=f"{path.stem} seed {seed}")


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
@pytest.mark.parametrize("name,storage,x_params,y_params,shape,attrs",
                         AVERAGE, ids=[case[0] for case in AVERAGE])
def test_qlinear_average_pool_matches_ort(name, storage, x_params, y_params,
                                          shape, attrs, layout, paso_opt,
                                          tmp_path):
    path = tmp_path / f"{name}.onnx"
    np_type = qlinear_average_model(path, storage, x_params, y_params,
                                    list(shape), attrs)
    whole = "whole-image" in name
    check(path, np_type, shape, tmp_path, layout,
          "int8 average pool over the whole image" if whole
          else "int8 average pool")


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
def test_qdq_average_pool_matches_ort(layout, paso_opt, tmp_path):
    name, storage, x_params, y_params, shape, attrs = AVERAGE[1]
    path = tmp_path / "qdq-average.onnx"
    np_type = qdq_model(path, "AveragePool", storage, x_params, y_params,
                        list(shape), attrs)
    check(path, np_type, shape, tmp_path, layout, "int8 average pool")


# (id, storage, input shape, attributes)
MAX = [
    ("u8-3x3-s2-ceil", TensorProto.UINT8, (1, 96, 55, 55),
     dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)),
    ("s8-3x3-s2-pad", TensorProto.INT8, (2, 70, 23, 130),
     dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])),
    ("u8-2x3-s1-pad", TensorProto.UINT8, (1, 3, 9, 66),
     dict(kernel_shape=[2, 3], pads=[0, 1, 1, 1])),
]


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
@pytest.mark.parametrize("name,storage,shape,attrs", MAX,
                         ids=[case[0] for case in MAX])
def test_integer_max_pool_matches_ort(name, storage, shape, attrs, layout,
                                      paso_opt, tmp_path):
    path = tmp_path / f"{name}.onnx"
    np_type = raw_max_model(path, storage, list(shape), attrs)
    check(path, np_type, shape, tmp_path, layout, "int8 max pool")


@pytest.mark.parametrize("storage", [TensorProto.UINT8, TensorProto.INT8],
                         ids=["u8", "s8"])
def test_qdq_max_pool_on_one_grid_matches_ort(storage, paso_opt, tmp_path):
    """A QDQ max pool whose input and output share one quantisation runs
    on the bytes (a signed one after paso-fold-qdq)."""
    zero = 121 if storage == TensorProto.UINT8 else -7
    path = tmp_path / "qdq-max.onnx"
    shape = (1, 16, 20, 20)
    np_type = qdq_model(path, "MaxPool", storage, (0.02, zero), (0.02, zero),
                        list(shape), dict(kernel_shape=[3, 3], strides=[2, 2],
                                          pads=[1, 1, 1, 1]))
    check(path, np_type, shape, tmp_path, "nchw", "int8 max pool")


def test_max_pool_between_grids_stays_float(paso_opt, tmp_path):
    """Different input and output quantisations: the byte maximum is not
    the answer, so no integer pool is planned (and the float one is)."""
    path = tmp_path / "qdq-max-regrid.onnx"
    shape = (1, 4, 8, 8)
    np_type = qdq_model(path, "MaxPool", TensorProto.UINT8, (0.02, 120),
                        (0.03, 110), list(shape), dict(kernel_shape=[2, 2]))
    report = tmp_path / "report.json"
    compiled = paso.load(paso.compile(path, output=tmp_path / "regrid.so",
                                      extra_args=[f"--report={report}"]))
    assert not any("int8" in a for a in kernel_algorithms(report))
    feeds = random_bytes(np_type, {"x": shape}, 0)
    np.testing.assert_array_equal(compiled.run(feeds)["y"],
                                  ort_output(path, feeds))


@pytest.mark.parametrize("target", ["rpi4", "rpi5"])
def test_quantized_pools_under_qemu(target, paso_opt, tmp_path,
                                    aarch64_runner):
    for name, storage, x_params, y_params, shape, attrs in AVERAGE[1:3]:
        path = tmp_path / f"{name}.onnx"
        np_type = qlinear_average_model(path, storage, x_params, y_params,
                                        list(shape), attrs)
        so = paso.compile(path, target=target,
                          output=tmp_path / f"{name}-{target}.so")
        feeds = random_bytes(np_type, {"x": shape}, 0)
        run_on_aarch64(aarch64_runner, so, feeds, tmp_path)
        np.testing.assert_array_equal(np.load(tmp_path / "y.npy"),
                                      ort_output(path, feeds), err_msg=name)
    name, storage, shape, attrs = MAX[1]
    path = tmp_path / f"{name}.onnx"
    np_type = raw_max_model(path, storage, list(shape), attrs)
    so = paso.compile(path, target=target, output=tmp_path / f"max-{target}.so",
                      extra_args=["--paso-layout=nhwc"])
    feeds = random_bytes(np_type, {"x": shape}, 0)
    run_on_aarch64(aarch64_runner, so, feeds, tmp_path)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"),
                                  ort_output(path, feeds), err_msg=name)
