"""Quantised models from ONNX Runtime's own quantiser compile with PASO and
match ONNX Runtime's int8 outputs: QDQ and QOperator formats, per-tensor and
per-channel weights, S8S8 and U8S8, on the host and as rpi4/rpi5 builds
under qemu.

Tolerance, in quantisation steps of the output scale: at most one step on
>= 99% of elements and two everywhere, for the small CNN (every layer on
the integer kernels or float ops ONNX Runtime also runs in float). The
integer products accumulate exactly in int32 as ONNX Runtime's do, but
float layers between a dequantize and a quantize (residual adds, pooling,
softmax, layer norms) sum in another order than ONNX Runtime's, and a
value that lands within float rounding of a .5 boundary rounds the other
way: one step, which deep random-weight models carry and amplify. For the
model suite the bar is therefore ONNX Runtime's own: PASO must agree with
ONNX Runtime at least as well as ONNX Runtime's optimised and unoptimised
runs of the same file agree with each other (see docs/quantization.md)."""
import json
import os
import re
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                      QuantType, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

from conftest import model_suite, paso, random_inputs, run_on_aarch64
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


class Samples(CalibrationDataReader):
    """Calibration batches ONNX Runtime's quantiser reads: the given feed
    dicts, in order."""

    def __init__(self, feeds):
        self.batches = iter(feeds)

    def get_next(self):
        return next(self.batches, None)


def random_calibration(shape, count=8, seed=42):
    """Fixed random calibration data for input "x", the same on every
    run."""
    rng = np.random.default_rng(seed)
    return Samples([{"x": rng.standard_normal(shape).astype(np.float32)}
                    for _ in range(count)])


def quantize(float_path, out_path, fmt, per_channel, act):
    quantize_static(
        str(float_path), str(out_path), random_calibration(SHAPE),
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


SUITE = ["mlp", "resnet18", "squeezenet11", "mobilenetv2", "transformer"]
SUITE_CONFIGS = [("QDQ", True, "S8S8"), ("QDQ", True, "U8S8"),
                 ("QOperator", False, "U8S8")]
SUITE_CONFIG_IDS = ["QDQ-pc-S8S8", "QDQ-pc-U8S8", "QOperator-pt-U8S8"]


def quantize_suite_model(name, out_dir, fmt, per_channel, act):
    """ONNX Runtime's recommended flow: pre-processing, then quantisation
    with fixed random calibration data."""
    float_path = model_suite.write_suite(str(out_dir), [name])[0]
    pre = out_dir / f"{name}.pre.onnx"
    quant_pre_process(float_path, str(pre))
    model = onnx.load(str(pre))
    path = out_dir / f"{name}.{fmt}.onnx"

    class Info:
        def __init__(self, value):
            tensor = value.type.tensor_type
            self.name = value.name
            self.dtype = np.dtype(np.int64 if tensor.elem_type ==
                                  TensorProto.INT64 else np.float32)
            self.shape = tuple(d.dim_value or 1 for d in tensor.shape.dim)

    infos = [Info(value) for value in model.graph.input]
    quantize_static(
        str(pre), str(path),
        Samples([random_inputs(infos, seed=100 + i) for i in range(4)]),
        quant_format=QuantFormat.QDQ if fmt == "QDQ" else QuantFormat.QOperator,
        per_channel=per_channel,
        activation_type=QuantType.QInt8 if act == "S8S8" else QuantType.QUInt8,
        weight_type=QuantType.QInt8)
    return path


def output_step(model_path):
    """The scale of the DequantizeLinear the graph output comes from
    (through reshapes), or None when the output is computed in float."""
    model = onnx.load(str(model_path))
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    producers = {o: n for n in model.graph.node for o in n.output}
    node = producers.get(model.graph.output[0].name)
    while node is not None and node.op_type in ("Flatten", "Reshape",
                                                 "Squeeze", "Identity"):
        node = producers.get(node.input[0])
    if node is None or node.op_type != "DequantizeLinear":
        return None
    return float(inits[node.input[1]])


def assert_like_ort(got, path, feeds, what):
    """PASO against ONNX Runtime, with ONNX Runtime's own spread between
    its optimised and unoptimised runs as the noise floor."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    optimised = reference(path, feeds)
    plain = ort.InferenceSession(str(path), options,
                                 providers=["CPUExecutionProvider"]).run(
                                     None, feeds)[0]
    step = output_step(path)
    if step is None:
        # A float layer after the last quantised one: compare as floats,
        # against the larger of ORT's spread and 2% of the output's range.
        scale = np.abs(optimised).max()
        spread = np.abs(optimised - plain).max()
        error = min(np.abs(got - optimised).max(), np.abs(got - plain).max())
        assert error <= max(2 * spread, 0.02 * scale), \
            f"{what}: max error {error:.4g} (ORT's spread {spread:.4g})"
        return

    def within_one(a, b):
        return np.mean(np.abs(a.astype(np.float64) - b) <= 1.001 * step)

    def steps(a, b):
        return np.abs(a.astype(np.float64) - b).max() / step
    best = max(within_one(got, optimised), within_one(got, plain))
    floor = within_one(optimised, plain)
    assert best >= min(0.99, floor - 0.05), \
        f"{what}: {best:.1%} within one step (ORT against itself: {floor:.1%})"
    worst = min(steps(got, optimised), steps(got, plain))
    assert worst <= max(2.0, steps(optimised, plain) + 1), \
        f"{what}: {worst:.1f} steps off (ORT against itself: " \
        f"{steps(optimised, plain):.1f})"


# Known gaps, each traced layer by layer to its first differing tensor
# (docs/quantization.md): not passed off as matching.
KNOWN_GAPS = {
    ("mobilenetv2", "QDQ-pc-S8S8"):
        "ONNX Runtime on x86 rewrites int8 activations to uint8 but skips "
        "the QuantizeLinear/DequantizeLinear pairs a residual Add shares "
        "with a convolution; the type mismatch that leaves keeps 15 of its "
        "52 convolutions and its 10 adds in float, where PASO runs them in "
        "int8; rounding flips, amplified by 50 random-weight layers. With "
        "the same float islands PASO gives ONNX Runtime's bytes "
        "(test_mobilenetv2_qdq_gap_is_onnx_runtimes_float_islands), and "
        "in U8S8, where ONNX Runtime rewrites nothing and fuses every "
        "group, PASO's output is ONNX Runtime's byte for byte (BIT_EXACT)",
}


# Where every layer is an integer op whose arithmetic PASO shares with
# ONNX Runtime on x86 (products, requantisation, QLinearAdd,
# QLinearGlobalAveragePool): the same bytes, not just within the spread.
# QDQ U8S8 joins them for the CNNs: there ONNX Runtime folds every
# DequantizeLinear -> op -> QuantizeLinear group into an integer op, as
# paso-fold-qdq does.
BIT_EXACT = ({(m, "QOperator-pt-U8S8") for m in
              ("mlp", "resnet18", "squeezenet11", "mobilenetv2")} |
             {(m, "QDQ-pc-U8S8") for m in
              ("resnet18", "squeezenet11", "mobilenetv2")})
# Every integer op as ONNX Runtime computes it (QLinearSoftmax's table, the
# GELU's constant scalars), then float layers (layer norms) whose sums
# round in another order: equal up to float rounding.
FLOAT_TAIL_EXACT = {("transformer", "QOperator-pt-U8S8")}


@pytest.mark.parametrize("config", SUITE_CONFIGS,
                         ids=SUITE_CONFIG_IDS)
@pytest.mark.parametrize("model", SUITE)
def test_suite_model(model, config, paso_opt, tmp_path, request):
    key = (model, SUITE_CONFIG_IDS[SUITE_CONFIGS.index(config)])
    gap = KNOWN_GAPS.get(key)
    if gap:
        request.applymarker(pytest.mark.xfail(reason=gap, strict=False))
    path = quantize_suite_model(model, tmp_path, *config)
    compiled = paso.load(paso.compile(path, output=tmp_path / f"{model}.so"))
    feeds = random_inputs(compiled.inputs, seed=7)
    got = list(compiled.run(feeds).values())[0]
    if key in BIT_EXACT:
        np.testing.assert_array_equal(got, reference(path, feeds))
    if key in FLOAT_TAIL_EXACT:
        want = reference(path, feeds)
        assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max()
    assert_like_ort(got, path, feeds, f"{model} {config[0]}")


def board_output(path, target, tmp_path, aarch64_runner):
    """The `target` build of `path` run under qemu on random inputs: its
    first output, and the inputs."""
    host = paso.load(paso.compile(path, output=tmp_path / "host.so"))
    so = paso.compile(path, target=target, output=tmp_path / f"{target}.so")
    feeds = random_inputs(host.inputs, seed=7)
    run_on_aarch64(aarch64_runner, so, feeds, tmp_path)
    name = host.outputs[0].name
    return np.load(tmp_path / f"{name.replace('/', '_')}.npy"), feeds


def test_mobilenetv2_qdq_gap_is_onnx_runtimes_float_islands(paso_opt,
                                                           tmp_path):
    """The MobileNetV2 QDQ S8S8 known gap, explained: ONNX Runtime's QDQ
    fusion leaves some DequantizeLinear -> Conv -> QuantizeLinear groups
    and every residual Add in float (its optimised graph still holds them
    as Conv and Add), while paso-fold-qdq folds them all into integer ops. Keep the same
    ops in float in PASO too (a multiply by 1 between each of their inputs
    and its DequantizeLinear, which paso-fold-qdq then does not match) and
    the output is ONNX Runtime's, byte for byte: the rest of the graph is
    computed alike, and the gap is only where the two engines choose
    integer or float arithmetic."""
    path = quantize_suite_model("mobilenetv2", tmp_path, "QDQ", True, "S8S8")
    options = ort.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "ort_optimised.onnx")
    ort.InferenceSession(str(path), options,
                         providers=["CPUExecutionProvider"])
    optimised = onnx.load(options.optimized_model_filepath)
    kept_float = {n.name for n in optimised.graph.node
                  if n.op_type in ("Conv", "Add")}
    assert len([n for n in kept_float if n.startswith("conv")]) == 15
    # Why: ONNX Runtime rewrote the int8 activations of the groups it
    # fused to uint8 (their zero points are uint8 now), all but the
    # QuantizeLinear -> DequantizeLinear pairs whose DequantizeLinear feeds
    # both a residual Add and a convolution; those stayed int8, and every
    # group with one int8 and one uint8 side stayed float.
    zero_types = {t.name: t.data_type for t in optimised.graph.initializer}
    fused_inputs = {zero_types[n.input[2]] for n in optimised.graph.node
                    if n.op_type == "QLinearConv"}
    still_int8 = [n for n in optimised.graph.node
                  if n.op_type == "QuantizeLinear" and
                  zero_types.get(n.input[2]) == TensorProto.INT8]
    assert fused_inputs == {TensorProto.UINT8} and len(still_int8) == 10
    model = onnx.load(str(path))
    nodes = []
    for node in model.graph.node:
        if node.name in kept_float:
            for i in (0, 1):
                kept = node.input[i] + "_kept_float"
                nodes.append(helper.make_node("Mul", [node.input[i], "one"],
                                              [kept]))
                node.input[i] = kept
        nodes.append(node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    model.graph.initializer.append(
        numpy_helper.from_array(np.array(1.0, np.float32), "one"))
    islands = tmp_path / "float_islands.onnx"
    onnx.save(model, islands)
    compiled = paso.load(paso.compile(islands, output=tmp_path / "i.so"))
    feeds = random_inputs(compiled.inputs, seed=7)
    np.testing.assert_array_equal(list(compiled.run(feeds).values())[0],
                                  reference(path, feeds))


@pytest.mark.parametrize("target", ["rpi4", "rpi5"])
def test_suite_model_under_qemu(target, paso_opt, tmp_path, aarch64_runner):
    path = quantize_suite_model("squeezenet11", tmp_path, "QDQ", True, "S8S8")
    got, feeds = board_output(path, target, tmp_path, aarch64_runner)
    assert_like_ort(got, path, feeds, f"squeezenet11 QDQ {target}")


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
def test_uint8_inputs_and_outputs_carry_their_quantisation(layout, paso_opt,
                                                           tmp_path):
    """A QOperator model with uint8 input and output: the ABI tables and
    model.h give each one's scale and zero point, paso-run prints them, and
    the uint8 output equals ONNX Runtime's. Channels-last, the output's
    bytes are transposed back after their cast, and still carry them."""
    def constant(name, array):
        return numpy_helper.from_array(np.array(array), name)
    graph = helper.make_graph(
        [helper.make_node("QLinearConv", ["x", "s", "zp", "w", "ws", "wzp",
                                          "ys", "yzp"], ["c"], pads=[1, 1, 1, 1],
                          name="conv"),
         helper.make_node("MaxPool", ["c"], ["y"], kernel_shape=[2, 2],
                          strides=[2, 2], name="pool")], "uint8_io",
        [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.UINT8, [1, 4, 4, 4])],
        [constant("s", np.float32(0.05)), constant("zp", np.uint8(120)),
         constant("w", np.random.default_rng(3).integers(
             -127, 128, (4, 3, 3, 3)).astype(np.int8)),
         constant("ws", np.array([0.01, 0.02, 0.005, 0.01], np.float32)),
         constant("wzp", np.zeros(4, np.int8)),
         constant("ys", np.float32(0.25)), constant("yzp", np.uint8(7))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = tmp_path / "uint8_io.onnx"
    onnx.save(model, path)
    so = paso.compile(path, output=tmp_path / "uint8_io.so",
                      extra_args=[f"--paso-layout={layout}"])
    compiled = paso.load(so)
    (x,), (y,) = compiled.inputs, compiled.outputs
    assert (x.dtype, x.scale, x.zero_point) == (np.uint8, 0.05000000074505806, 120)
    assert (y.dtype, y.scale, y.zero_point) == (np.uint8, 0.25, 7)
    header = (tmp_path / "uint8_io.h").read_text()
    assert "#define PASO_MODEL_INPUT_0_ZERO_POINT 120" in header
    assert "#define PASO_MODEL_OUTPUT_0_SCALE 2.500000000e-01f" in header
    run = subprocess.run([os.path.join(os.path.dirname(paso_opt), "paso-run"),
                          str(so)], capture_output=True, text=True, check=True)
    assert "quantised (scale 0.25, zero point 7)" in run.stdout
    feeds = {"x": np.random.default_rng(4).integers(0, 256, (1, 3, 8, 8))
             .astype(np.uint8)}
    np.testing.assert_array_equal(compiled.run(feeds)["y"],
                                  reference(path, feeds))


def dynamic_model(model, weights, tmp_path, per_channel=False):
    from onnxruntime.quantization import quantize_dynamic
    float_path = model_suite.write_suite(str(tmp_path), [model])[0]
    path = tmp_path / f"{model}.dynamic.onnx"
    quantize_dynamic(float_path, str(path), weight_type=weights,
                     per_channel=per_channel,
                     op_types_to_quantize=["MatMul", "Gemm", "Conv"])
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert "DynamicQuantizeLinear" in ops
    assert ops & {"MatMulInteger", "ConvInteger"}
    return path


# The kernel fuses DynamicQuantizeLinear, MatMulInteger and the float
# epilogue ONNX Runtime's quantize_dynamic writes after it.
FUSED_DYNAMIC = "DynamicQuantizeLinear and dequantising epilogue fused"


@pytest.mark.parametrize("model,weights,per_channel",
                         [("mlp", QuantType.QInt8, False),
                          ("mlp", QuantType.QInt8, True),
                          ("transformer", QuantType.QInt8, False),
                          ("squeezenet11", QuantType.QUInt8, False)])
def test_dynamic_quantisation(model, weights, per_channel, paso_opt,
                              tmp_path):
    """ONNX Runtime's quantize_dynamic (DynamicQuantizeLinear feeding
    MatMulInteger / ConvInteger, scales computed per inference) matches
    ONNX Runtime. (ONNX Runtime runs ConvInteger only with uint8 weights.)
    The bound is relative to the output's range: a one-ulp difference in
    a float activation can move a run-time scale by one ulp and an element
    across a rounding boundary. Every MatMulInteger of the MLP and the
    transformer runs on the int8 kernel with the quantisation fused."""
    path = dynamic_model(model, weights, tmp_path, per_channel)
    so = tmp_path / f"{model}.so"
    report = subprocess.run([paso_opt, str(path), "-o", str(so),
                             "--report=-"],
                            capture_output=True, text=True, check=True)
    nodes = [n for n in onnx.load(str(path)).graph.node]
    products = sum(n.op_type == "MatMulInteger" for n in nodes)
    assert report.stdout.count(FUSED_DYNAMIC) == products
    # Every ConvInteger's float convolution runs on a convolution kernel
    # (its filter folded to a constant at import), not generic loops.
    convolutions = {n.name for n in nodes if n.op_type == "ConvInteger"}
    on_kernels = set(re.findall(
        r"^\d+: (?:gemm|winograd)[^\n]*<- node '([^']+)' \(ConvInteger\)",
        report.stdout, re.M))
    assert on_kernels == convolutions
    compiled = paso.load(so)
    feeds = random_inputs(compiled.inputs, seed=7)
    got = list(compiled.run(feeds).values())[0]
    want = reference(path, feeds)
    assert np.abs(got - want).max() <= 1e-3 * np.abs(want).max()


@pytest.mark.parametrize("model", ["mlp", "transformer"])
@pytest.mark.parametrize("target", ["rpi4", "rpi5"])
def test_dynamic_quantisation_under_qemu(model, target, paso_opt, tmp_path,
                                         aarch64_runner):
    """The fused dynamic kernel on Arm (SMULL/SMLAL on the rpi4, SDOT on
    the rpi5) matches ONNX Runtime as on the host: the transformer's
    32-row products by tiles, the MLP's one-row products by the
    matrix-vector path."""
    path = dynamic_model(model, QuantType.QInt8, tmp_path)
    got, feeds = board_output(path, target, tmp_path, aarch64_runner)
    want = reference(path, feeds)
    assert np.abs(got - want).max() <= 1e-3 * np.abs(want).max()


@pytest.mark.parametrize("config", [("QDQ", True, "S8S8"),
                                    ("QOperator", False, "U8S8")],
                         ids=["QDQ-pc-S8S8", "QOperator-pt-U8S8"])
def test_avx2_kernel_without_vnni(config, float_model, paso_opt, tmp_path):
    """The x86-64-avx2 target (no VNNI) runs the VPMADDWD kernel; this
    host has AVX2, so the build runs here."""
    name, path = quantized(float_model, config)
    so = tmp_path / f"{name}.so"
    report = subprocess.run([paso_opt, str(path), "-target=x86-64-avx2",
                             "-o", str(so), "--report=-"],
                            capture_output=True, text=True, check=True)
    assert "AVX2 (VPMADDWD on widened bytes)" in report.stdout
    inputs = feeds()
    got = paso.load(so).run(inputs)["y"]
    assert_within_steps(got, reference(path, inputs), output_scale(path),
                        f"{name} x86-64-avx2")


AVX_VNNI_TARGET = {"base": "x86-64-avx2", "name": "avxvnni",
                   "cpu": "alderlake", "features": "+avx2,+fma,+avxvnni"}


def host_has(flag):
    with open("/proc/cpuinfo") as cpuinfo:
        return any(flag in line.split() for line in cpuinfo
                   if line.startswith("flags"))


@pytest.mark.parametrize("model", ["resnet18", "mobilenetv2", "mlp"])
def test_avx_vnni_kernel(model, paso_opt, tmp_path):
    """A target with AVX-VNNI and no AVX-512 (Alder Lake, the Intel N100)
    runs the 256-bit VPDPBUSD kernels: convolutions, 3x3 depthwise layers
    (MobileNetV2) and the matrix-vector path (the MLP at batch 1) alike.
    The int32 sums are exact as in the AVX-512 build, so the bytes are
    this host's own build's."""
    if not host_has("avx_vnni"):
        pytest.skip("this machine has no AVX-VNNI to run the build")
    path = quantize_suite_model(model, tmp_path, "QDQ", True, "S8S8")
    target = tmp_path / "avxvnni.json"
    target.write_text(json.dumps(AVX_VNNI_TARGET))
    report = tmp_path / "report.json"
    vnni = paso.load(paso.compile(path, target=str(target),
                                  output=tmp_path / "avxvnni.so",
                                  extra_args=[f"--report={report}"]))
    products = [a for a in kernel_algorithms(report)
                if "gemm" in a or "depthwise 3x3" in a]
    assert products and all(a.endswith("AVX-VNNI (256-bit VPDPBUSD)")
                            for a in products), products
    host = paso.load(paso.compile(path, output=tmp_path / "host.so"))
    feeds = random_inputs(host.inputs, seed=3)
    np.testing.assert_array_equal(list(vnni.run(feeds).values())[0],
                                  list(host.run(feeds).values())[0])


def test_requantisation_matches_ort(paso_opt, tmp_path):
    """DequantizeLinear -> QuantizeLinear into another scale, zero point and
    signedness becomes one paso.requantize; it gives ONNX Runtime's bytes,
    saturation included."""
    graph = helper.make_graph(
        [helper.make_node("DequantizeLinear", ["x", "s1", "z1"], ["d"]),
         helper.make_node("QuantizeLinear", ["d", "s2", "z2"], ["y"])],
        "requantize",
        [helper.make_tensor_value_info("x", TensorProto.UINT8, [256])],
        [helper.make_tensor_value_info("y", TensorProto.INT8, [256])],
        [numpy_helper.from_array(np.array(0.037, np.float32), "s1"),
         numpy_helper.from_array(np.array(131, np.uint8), "z1"),
         numpy_helper.from_array(np.array(0.029, np.float32), "s2"),
         numpy_helper.from_array(np.array(-5, np.int8), "z2")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = tmp_path / "requantize.onnx"
    onnx.save(model, path)
    report = subprocess.run([paso_opt, str(path), "--emit=paso"],
                            capture_output=True, text=True, check=True)
    assert "paso.requantize" in report.stdout
    compiled = paso.load(paso.compile(path, output=tmp_path / "r.so"))
    feeds = {"x": np.arange(256, dtype=np.uint8)}
    np.testing.assert_array_equal(compiled.run(feeds)["y"],
                                  reference(path, feeds))


def test_dynamic_quantize_lstm(paso_opt, tmp_path):
    """ONNX Runtime's quantize_dynamic turns an LSTM into
    com.microsoft.DynamicQuantizeLSTM (int8 W and R). PASO dequantises the
    weights at import and runs the float LSTM: it equals the float layer
    with the dequantised weights (checked against ONNX Runtime's LSTM) and
    stays within the activation rounding of ONNX Runtime's own kernel,
    which also quantises X and H per step."""
    from onnxruntime.quantization import quantize_dynamic
    rng = np.random.default_rng(11)
    seq, batch, inp, hidden = 6, 2, 10, 8

    def init(name, shape, scale):
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * scale).astype(np.float32), name)
    lstm_inits = [init("W", [2, 4 * hidden, inp], 0.3),
                  init("R", [2, 4 * hidden, hidden], 0.3),
                  init("B", [2, 8 * hidden], 0.1)]
    node = helper.make_node("LSTM", ["x", "W", "R", "B"], ["y", "y_h", "y_c"],
                            hidden_size=hidden, direction="bidirectional")
    graph = helper.make_graph(
        [node], "lstm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       [seq, batch, inp])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       [seq, 2, batch, hidden]),
         helper.make_tensor_value_info("y_h", TensorProto.FLOAT,
                                       [2, batch, hidden]),
         helper.make_tensor_value_info("y_c", TensorProto.FLOAT,
                                       [2, batch, hidden])],
        lstm_inits)
    float_model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 14)])
    float_model.ir_version = 8
    float_path = tmp_path / "lstm.onnx"
    onnx.save(float_model, str(float_path))
    path = tmp_path / "lstm.dynamic.onnx"
    quantize_dynamic(str(float_path), str(path), weight_type=QuantType.QInt8,
                     op_types_to_quantize=["LSTM"])
    quantized = onnx.load(str(path))
    assert "DynamicQuantizeLSTM" in {n.op_type for n in quantized.graph.node}

    compiled = paso.load(paso.compile(path, output=tmp_path / "lstm.so"))
    feeds = {"x": rng.standard_normal([seq, batch, inp]).astype(np.float32)}
    got = compiled.run(feeds)

    # The float layer with the dequantised weights, run by ONNX Runtime.
    q = quantized.graph.node[[n.op_type for n in quantized.graph.node]
                             .index("DynamicQuantizeLSTM")]
    values = {t.name: numpy_helper.to_array(t)
              for t in quantized.graph.initializer}

    def dequantized(weight, scale, zero_point):
        w = values[weight].astype(np.float32)
        s = values[scale].astype(np.float32).reshape(2, 1, -1)
        z = values[zero_point].astype(np.float32).reshape(2, 1, -1)
        return ((w - z) * s).transpose(0, 2, 1)
    w = dequantized(q.input[1], q.input[8], q.input[9])
    r = dequantized(q.input[2], q.input[10], q.input[11])
    twin = onnx.load(str(float_path))
    for t in twin.graph.initializer:
        if t.name in ("W", "R"):
            t.CopyFrom(numpy_helper.from_array(w if t.name == "W" else r,
                                               t.name))
    twin_path = tmp_path / "lstm.dequantized.onnx"
    onnx.save(twin, str(twin_path))
    def run_ort(model_path):
        return ort.InferenceSession(
            str(model_path), providers=["CPUExecutionProvider"]).run(None, feeds)
    exact, ort_int8 = run_ort(twin_path), run_ort(path)
    for name, want, int8 in zip(("y", "y_h", "y_c"), exact, ort_int8):
        np.testing.assert_allclose(got[name], want, rtol=1e-5, atol=1e-6,
                                   err_msg=name)
        assert np.abs(got[name] - int8).max() <= 0.02 * np.abs(int8).max(), name


def test_int8_kernels_are_profiled(float_model, paso_opt, tmp_path):
    """The int8 kernels have their own ids in the kernel table, so a
    profile times them (class int8, precision int8) like the float ones."""
    name, path = quantized(float_model, ("QDQ", True, "S8S8"))
    so = paso.compile(path, output=tmp_path / f"{name}.so")
    profile = paso.profile(so, runs=3, threads=1)
    int8 = [k for k in profile["kernels"] if k["class"] == "int8"]
    assert int8, profile["kernels"]
    ids = [k["id"] for k in profile["kernels"]]
    assert sorted(ids) == list(range(1, len(ids) + 1))
    for k in int8:
        assert k["precision"] == "int8" and k["median_us"] > 0
        assert k["predicted_1t_us"] > 0 and k["flops"] > 0


def matmul_integer_model(rows, path, a_zero_point=None, depth=37,
                         lowest=-128):
    """MatMulInteger of uint8 A [rows, depth] and constant int8 B [depth,
    29] with weights from `lowest`: K not a multiple of four, M not of the
    kernel's 12 rows."""
    rng = np.random.default_rng(rows)
    b = rng.integers(lowest, 128, (depth, 29)).astype(np.int8)
    inputs = ["a", "b"] + (["za"] if a_zero_point is not None else [])
    initializers = [numpy_helper.from_array(b, "b")]
    if a_zero_point is not None:
        initializers.append(numpy_helper.from_array(
            np.array(a_zero_point, np.uint8), "za"))
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", inputs, ["y"])], "matmul_integer",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [rows, depth])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [rows, 29])],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
    return b


@pytest.mark.parametrize("rows", [1, 2, 3, 5, 17])
def test_matmul_integer_is_exact(rows, paso_opt, tmp_path):
    """MatMulInteger on the int8 kernel gives the exact int32 product for
    one to three rows (the matrix-vector path) and more (tiles), with and
    without a zero point."""
    for zero_point in (None, 131):
        path = tmp_path / f"mm{zero_point}.onnx"
        b = matmul_integer_model(rows, path, zero_point)
        so = tmp_path / f"mm{zero_point}.so"
        report = subprocess.run([paso_opt, str(path), "-o", str(so),
                                 "--report=-"],
                                capture_output=True, text=True, check=True)
        assert "int32 sums (MatMulInteger)" in report.stdout
        a = np.random.default_rng(9).integers(0, 256, (rows, 37)).astype(np.uint8)
        want = (a.astype(np.int64) - (zero_point or 0)) @ b.astype(np.int64)
        np.testing.assert_array_equal(paso.load(so).run({"a": a})["y"], want)


@pytest.mark.parametrize("target", ["rpi4", "rpi5"])
def test_matmul_integer_is_exact_under_qemu(target, paso_opt, tmp_path,
                                            aarch64_runner):
    """Exact under qemu: the product (5 rows) and the matrix-vector path
    (2 rows: SDOT on rpi5; on rpi4 SMULL for weights without -128, else
    the portable kernel), with an even and an odd count of k groups."""
    kernels = set()
    for rows, depth, lowest in ((2, 37, -128), (2, 41, -127), (5, 37, -127)):
        path = tmp_path / f"mm{rows}_{depth}.onnx"
        b = matmul_integer_model(rows, path, 131, depth, lowest)
        report = tmp_path / "report.json"
        so = paso.compile(path, target=target, output=tmp_path / f"{path.stem}.so",
                          extra_args=[f"--report={report}"])
        kernels.update(kernel_algorithms(report))
        a = np.random.default_rng(9).integers(0, 256, (rows, depth)).astype(np.uint8)
        run_on_aarch64(aarch64_runner, so, {"a": a}, tmp_path)
        want = (a.astype(np.int64) - 131) @ b.astype(np.int64)
        np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), want)
    expected = ("SDOT" if target == "rpi5" else "SMULL/SMLAL")
    assert any(expected in k for k in kernels), kernels


def global_pool_model(path, storage, shape, scales, zero_points):
    """One com.microsoft QLinearGlobalAveragePool on `storage` bytes."""
    np_type = np.uint8 if storage == TensorProto.UINT8 else np.int8
    graph = helper.make_graph(
        [helper.make_node("QLinearGlobalAveragePool",
                          ["x", "sx", "zx", "sy", "zy"], ["y"],
                          domain="com.microsoft", channels_last=0)],
        "qgap",
        [helper.make_tensor_value_info("x", storage, list(shape))],
        [helper.make_tensor_value_info("y", storage, list(shape[:2]) + [1, 1])],
        [numpy_helper.from_array(np.array(scales[0], np.float32), "sx"),
         numpy_helper.from_array(np.array(zero_points[0], np_type), "zx"),
         numpy_helper.from_array(np.array(scales[1], np.float32), "sy"),
         numpy_helper.from_array(np.array(zero_points[1], np_type), "zy")])
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.save(model, path)
    return np_type


# Scales whose ratio puts many means on a .5 boundary (2x2 planes of
# ratio 0.5: sums/8), a MobileNetV2-like pool, and saturation.
GLOBAL_POOLS = [
    ("u8-ties", TensorProto.UINT8, (1, 64, 2, 2), (0.5, 1.0), (128, 128)),
    ("u8-7x7", TensorProto.UINT8, (2, 96, 7, 7), (0.043, 0.021), (3, 120)),
    ("s8-7x7", TensorProto.INT8, (1, 80, 7, 7), (0.043, 0.021), (-3, 5)),
    ("s8-saturating", TensorProto.INT8, (1, 16, 5, 5), (0.2, 0.01), (0, -100)),
]


@pytest.mark.parametrize("name,storage,shape,scales,zero_points",
                         GLOBAL_POOLS, ids=[g[0] for g in GLOBAL_POOLS])
def test_global_average_pool_matches_ort(name, storage, shape, scales,
                                         zero_points, paso_opt, tmp_path):
    """QLinearGlobalAveragePool runs on paso_qmean_8 (int32 sums, one f32
    rounding): ONNX Runtime's bytes exactly, ties and saturation included,
    where a float mean rounded its additions and flipped some steps."""
    path = tmp_path / f"{name}.onnx"
    np_type = global_pool_model(path, storage, shape, scales, zero_points)
    info = np.iinfo(np_type)
    x = np.random.default_rng(3).integers(info.min, info.max + 1, shape,
                                          dtype=np_type)
    report = tmp_path / "report.json"
    compiled = paso.load(paso.compile(path, output=tmp_path / f"{name}.so",
                                      extra_args=[f"--report={report}"]))
    kernels = json.loads(report.read_text())["runtime_kernels"]
    assert [k["algorithm"] for k in kernels] == [
        "int8 global average pool (int32 sum, one rounding)"]
    np.testing.assert_array_equal(compiled.run({"x": x})["y"],
                                  reference(path, {"x": x}))


@pytest.mark.parametrize("target", ["rpi4", "rpi5"])
def test_global_average_pool_under_qemu(target, paso_opt, tmp_path,
                                        aarch64_runner):
    """The Arm build computes the same f32 formula: the host's bytes."""
    name, storage, shape, scales, zero_points = GLOBAL_POOLS[1]
    path = tmp_path / f"{name}.onnx"
    np_type = global_pool_model(path, storage, shape, scales, zero_points)
    x = np.random.default_rng(4).integers(0, 256, shape).astype(np_type)
    so = paso.compile(path, target=target, output=tmp_path / f"{target}.so")
    run_on_aarch64(aarch64_runner, so, {"x": x}, tmp_path)
    got = np.load(tmp_path / "y.npy")
    np.testing.assert_array_equal(got, reference(path, {"x": x}))


def qlinear_binary_model(path, op, storage, shape, params, b_shape=None):
    """One com.microsoft QLinearAdd or QLinearMul on `storage` bytes;
    params are (scale, zero point) of a, b and c."""
    np_type = np.uint8 if storage == TensorProto.UINT8 else np.int8
    inits = []
    for (scale, zero), name in zip(params, "abc"):
        inits += [numpy_helper.from_array(np.array(scale, np.float32), f"s{name}"),
                  numpy_helper.from_array(np.array(zero, np_type), f"z{name}")]
    graph = helper.make_graph(
        [helper.make_node(op, ["a", "sa", "za", "b", "sb", "zb", "sc", "zc"],
                          ["c"], domain="com.microsoft")],
        op, [helper.make_tensor_value_info("a", storage, list(shape)),
             helper.make_tensor_value_info("b", storage, list(b_shape or shape))],
        [helper.make_tensor_value_info("c", storage, list(shape))], inits)
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.save(model, path)
    return np_type


def random_bytes(np_type, shapes, seed):
    info = np.iinfo(np_type)
    rng = np.random.default_rng(seed)
    return {n: rng.integers(info.min, info.max + 1, shape, dtype=np_type)
            for n, shape in shapes.items()}


def kernel_algorithms(report):
    return [k["algorithm"]
            for k in json.loads(report.read_text())["runtime_kernels"]]


# (id, op, storage, (scale, zero point) of a, b and c, b's shape if it
# broadcasts).
INTEGER_BINARY = [
    ("add-u8", "QLinearAdd", TensorProto.UINT8,
     ((0.0097, 135), (0.0331, 123), (0.0488, 142)), None),
    ("add-s8", "QLinearAdd", TensorProto.INT8,
     ((0.0097, 35), (0.0331, -23), (0.0488, 12)), None),
    ("add-s8-saturating", "QLinearAdd", TensorProto.INT8,
     ((0.1, 0), (0.1, 0), (0.02, -5)), None),
    ("mul-u8", "QLinearMul", TensorProto.UINT8,
     ((0.021, 128), (0.0312, 120), (0.0488, 130)), None),
    ("mul-s8", "QLinearMul", TensorProto.INT8,
     ((0.021, 3), (0.0312, -7), (0.0488, 2)), None),
    ("mul-u8-gate", "QLinearMul", TensorProto.UINT8,
     ((0.021, 0), (0.0039, 0), (0.017, 0)), (1, 32, 1, 1)),
    ("mul-s8-saturating", "QLinearMul", TensorProto.INT8,
     ((0.1, 0), (0.1, 0), (0.01, 5)), None),
    # A single value of b (here a run-time one; a constant one stays
    # quantised for the kernel, as the suite transformer's GELU has it).
    ("add-u8-scalar", "QLinearAdd", TensorProto.UINT8,
     ((0.0097, 135), (0.0331, 123), (0.0488, 142)), (1,)),
    ("mul-s8-scalar", "QLinearMul", TensorProto.INT8,
     ((0.021, 3), (0.0312, -7), (0.0488, 2)), (1,)),
]


@pytest.mark.parametrize("name,op,storage,params,b_shape", INTEGER_BINARY,
                         ids=[case[0] for case in INTEGER_BINARY])
def test_integer_add_and_mul_match_ort(name, op, storage, params, b_shape,
                                       paso_opt, tmp_path):
    """QLinearAdd (and a QDQ model's residual add) runs on paso_qadd_8 in
    ONNX Runtime's form (f32 scale ratios, a fixed part, fused
    multiply-adds where the CPU has them); QLinearMul on paso_qmul_8 (the
    exact integer product, then ONNX Runtime's f32 multiply and add,
    rounded apart). Both give its bytes exactly, for int8, uint8 and (the
    multiply) a per-channel gate broadcast over the plane."""
    path = tmp_path / f"{name}.onnx"
    shape = (1, 32, 28, 28)
    np_type = qlinear_binary_model(path, op, storage, shape, params, b_shape)
    feeds = random_bytes(np_type, {"a": shape, "b": b_shape or shape},
                         seed=5 if op == "QLinearAdd" else 8)
    report = tmp_path / "report.json"
    compiled = paso.load(paso.compile(path, output=tmp_path / f"{name}.so",
                                      extra_args=[f"--report={report}"]))
    kernel = "int8 add" if op == "QLinearAdd" else "int8 multiply"
    assert [a.startswith(kernel) for a in kernel_algorithms(report)] == [True]
    np.testing.assert_array_equal(compiled.run(feeds)["c"],
                                  reference(path, feeds))


@pytest.mark.parametrize("target", ["rpi4", "rpi5"])
def test_integer_add_and_mul_under_qemu(target, paso_opt, tmp_path,
                                        aarch64_runner):
    """Every aarch64 core fuses the add's multiply-adds, and the multiply
    has one formula everywhere: the host's (ONNX Runtime's) bytes."""
    shape = (1, 8, 14, 14)
    for name, op, storage, params, b_shape in (INTEGER_BINARY[0],
                                              INTEGER_BINARY[5]):
        b_shape = (1, 8, 1, 1) if b_shape else shape
        path = tmp_path / f"{op}.onnx"
        np_type = qlinear_binary_model(path, op, storage, shape, params,
                                       b_shape)
        feeds = random_bytes(np_type, {"a": shape, "b": b_shape}, seed=6)
        so = paso.compile(path, target=target, output=tmp_path / f"{op}.so")
        run_on_aarch64(aarch64_runner, so, feeds, tmp_path)
        np.testing.assert_array_equal(np.load(tmp_path / "c.npy"),
                                      reference(path, feeds))


def qlinear_product_model(path, op, rows, depth, columns):
    """One QGemm (com.microsoft) or QLinearMatMul: uint8 rows times int8
    weights, a uint8 result; returns the exact result as ONNX defines it
    (int32 sums, f32 scale product, round half to even, saturate)."""
    rng = np.random.default_rng(rows * 1000 + columns)
    w = rng.integers(-127, 128, (depth, columns)).astype(np.int8)
    consts = {"as": np.float32(0.01), "az": np.uint8(128), "w": w,
              "ws": np.float32(0.004), "wz": np.int8(0),
              "ys": np.float32(2.0), "yz": np.uint8(128)}
    inputs = ["a", "as", "az", "w", "ws", "wz", "ys", "yz"]
    if op == "QGemm":
        inputs.insert(6, "")  # no bias
    node = helper.make_node(op, inputs, ["y"], domain="com.microsoft"
                            if op == "QGemm" else "")
    graph = helper.make_graph(
        [node], "qlinear_product",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [rows, depth])],
        [helper.make_tensor_value_info("y", TensorProto.UINT8, [rows, columns])],
        [numpy_helper.from_array(np.array(v), k) for k, v in consts.items()])
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.save(model, path)
    a = rng.integers(0, 256, (rows, depth)).astype(np.uint8)
    sums = (a.astype(np.int64) - 128) @ w.astype(np.int64)
    real = sums * np.float32(np.float32(0.01) * np.float32(0.004))
    want = np.clip(np.rint(real / np.float32(2.0)) + 128, 0, 255)
    return a, want.astype(np.uint8)


@pytest.mark.parametrize("op", ["QGemm", "QLinearMatMul"])
def test_products_exact_where_onnx_runtimes_amx_kernel_is_not(op, paso_opt,
                                                              tmp_path):
    """QGemm and QLinearMatMul give the exact bytes for shapes where ONNX
    Runtime 1.23 on a host with AMX did not: its AMX u8s8 kernel wrote
    wrong values into the last 8 columns of every 32nd row when the
    column count is 8 past a multiple of 16 (fixed in ONNX Runtime's pull
    request 27671; the pin moved from 1.23.2 to 1.32.0 for it). PP-OCRv4's
    recogniser has such a product (40 x 120 x 120). PASO is checked
    against the exact integer reference, and ONNX Runtime against it too:
    any error of the oracle itself shows here first, confined to the
    pattern of that bug or failing the test (docs/quantization.md)."""
    for rows, depth, columns in ((40, 120, 120), (100, 64, 120), (33, 120, 56)):
        path = tmp_path / f"{op}_{rows}_{columns}.onnx"
        a, want = qlinear_product_model(path, op, rows, depth, columns)
        got = paso.load(paso.compile(path, output=path.with_suffix(".so")))
        np.testing.assert_array_equal(got.run({"a": a})["y"], want)
        ort_result = reference(path, {"a": a})
        wrong = np.argwhere(np.abs(ort_result.astype(int) - want) > 1)
        assert all(r % 32 == 31 and c >= columns - 8 for r, c in wrong), wrong


def ocr_model_for_quantiser(name, shape, out_dir):
    """A PP-OCR model (paso.real_models) as ONNX Runtime's quantiser takes
    it: the input fixed to `shape`, opset 13 (per-channel
    DequantizeLinear needs it; the wheel's files are opset 11 and 12),
    then quant_pre_process without symbolic shape inference (which fails
    on their Concat)."""
    from onnx import version_converter
    from test_quantize import _ocr_model
    model = onnx.load(_ocr_model(name))
    for dim, value in zip(model.graph.input[0].type.tensor_type.shape.dim,
                          shape):
        dim.Clear()
        dim.dim_value = value
    for output in model.graph.output:
        for dim in output.type.tensor_type.shape.dim:
            dim.Clear()
    fixed = out_dir / "fixed.onnx"
    onnx.save(version_converter.convert_version(model, 13), fixed)
    pre = out_dir / "pre.onnx"
    quant_pre_process(str(fixed), str(pre), skip_symbolic_shape=True)
    return fixed, pre



@pytest.mark.parametrize("which,config", [
    ("recogniser", ("QDQ", True, "S8S8")),
    ("classifier", ("QDQ", True, "S8S8")),
    ("classifier", ("QOperator", False, "U8S8"))])
def test_real_ocr_model_quantised_by_onnxruntime(which, config, paso_opt,
                                                 tmp_path):
    """Real pretrained models quantised by ONNX Runtime's quantize_static
    on real text crops (PP-OCR from the rapidocr wheel, lines of
    scikit-image's page.png): PASO's int8 build picks the character (the
    orientation) ONNX Runtime's int8 run picks, and is as accurate
    against fp32 as ONNX Runtime's int8 is. Their outputs are float
    softmaxes after float layers (layer norms, hard swish, attention), so
    the bar is decisions, not steps."""
    from paso import real_models
    if which == "recogniser":
        name, (calibration, evaluation) = (real_models.RECOGNISER,
                                           real_models.recogniser_samples())
        evaluation = evaluation[:12]
    else:
        name, (calibration, evaluation) = (real_models.CLASSIFIER,
                                           real_models.classifier_samples())
    fixed, pre = ocr_model_for_quantiser(name, (1,) + calibration.shape[2:],
                                         tmp_path)
    fmt, per_channel, act = config
    path = tmp_path / "int8.onnx"
    quantize_static(
        str(pre), str(path), Samples([{"x": c} for c in calibration[:16]]),
        quant_format=QuantFormat.QDQ if fmt == "QDQ" else QuantFormat.QOperator,
        per_channel=per_channel,
        activation_type=QuantType.QInt8 if act == "S8S8" else QuantType.QUInt8,
        weight_type=QuantType.QInt8)
    compiled = paso.load(paso.compile(path, output=tmp_path / "int8.so"))
    int8 = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    fp32 = ort.InferenceSession(str(fixed), providers=["CPUExecutionProvider"])
    decisions = {"paso": [], "ort": [], "fp32": []}
    for sample in evaluation:
        feeds = {"x": sample}
        decisions["paso"].append(
            list(compiled.run(feeds).values())[0].argmax(-1))
        decisions["ort"].append(int8.run(None, feeds)[0].argmax(-1))
        decisions["fp32"].append(fp32.run(None, feeds)[0].argmax(-1))
    paso_, ort_, fp32_ = (np.concatenate(decisions[k], axis=None)
                          for k in ("paso", "ort", "fp32"))
    like_ort = np.mean(paso_ == ort_)
    assert like_ort >= 0.97, like_ort
    assert np.mean(paso_ == fp32_) >= np.mean(ort_ == fp32_) - 0.01, \
        (np.mean(paso_ == fp32_), np.mean(ort_ == fp32_))
