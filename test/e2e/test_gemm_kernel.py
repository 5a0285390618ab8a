"""The runtime kernels (paso-call-cpu-kernels + paso_gemm.c and
paso_depthwise.c) on the cases the model suite does not reach, each checked
against ONNX Runtime:
convolution geometry (strides, dilations, asymmetric padding, batches,
1x1 direct reads), weights that are not constants (no prepacking), every
fused activation, Gemm with a transposed right-hand side, and both kernel
widths (256-bit for x86-64-avx2 / the Pi, 512-bit for AVX-512 hosts), plus
one model on the Pi 4 under qemu. Tolerance as in test_models.py.
"""
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import paso
from conftest import run_on_aarch64
from test_models import assert_matches

RNG = np.random.default_rng(7)


def host_has_avx2():
    try:
        with open("/proc/cpuinfo") as f:
            return " avx2" in f.read()
    except OSError:
        return False


# The 256-bit kernel runs on the host only where it has AVX2.
TARGETS = ["host"] + (["x86-64-avx2"] if host_has_avx2() else [])


def save(nodes, inputs, outputs, initializers, path):
    graph = helper.make_graph(nodes, "kernel_case", inputs, outputs,
                              initializers)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 20)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def tensor(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def weights(name, shape):
    return numpy_helper.from_array(
        RNG.standard_normal(shape).astype(np.float32), name)


def conv_model(path, image, filters, kernel, strides=(1, 1), pads=(0,) * 4,
               dilations=(1, 1), bias=True, activation=None,
               residual=False, constant_filter=True, group=1):
    n, c, h, w = image
    oh = (h + pads[0] + pads[2] - dilations[0] * (kernel[0] - 1) - 1) \
        // strides[0] + 1
    ow = (w + pads[1] + pads[3] - dilations[1] * (kernel[1] - 1) - 1) \
        // strides[1] + 1
    inputs = [tensor("x", list(image))]
    inits = []
    filter_shape = [filters, c // group] + list(kernel)
    if constant_filter:
        inits.append(weights("w", filter_shape))
    else:
        inputs.append(tensor("w", filter_shape))
    conv_inputs = ["x", "w"]
    if bias:
        inits.append(weights("b", [filters]))
        conv_inputs.append("b")
    nodes = [helper.make_node("Conv", conv_inputs, ["conv"],
                              kernel_shape=list(kernel),
                              strides=list(strides), pads=list(pads),
                              dilations=list(dilations), group=group)]
    last = "conv"
    out_shape = [n, filters, oh, ow]
    if residual:
        inputs.append(tensor("skip", out_shape))
        nodes.append(helper.make_node("Add", [last, "skip"], ["sum"]))
        last = "sum"
    if activation:
        op, attrs = activation
        extra = []
        if op == "Clip":
            inits += [numpy_helper.from_array(np.array(0, np.float32), "lo"),
                      numpy_helper.from_array(np.array(6, np.float32), "hi")]
            extra = ["lo", "hi"]
        nodes.append(helper.make_node(op, [last] + extra, ["act"], **attrs))
        last = "act"
    nodes.append(helper.make_node("Identity", [last], ["y"]))
    return save(nodes, inputs, [tensor("y", out_shape)], inits, path)


def check(onnx_path, tmp_path, target, layout="auto", extra_args=(),
          magnitude=None):
    """Compiles and runs the model against ORT with test_models.py's
    tolerance, its absolute part scaled by `magnitude` when given (the
    values before a clipping activation, where a kernel's rounding is
    relative to them rather than to the clipped output)."""
    so = paso.compile(onnx_path, target=target,
                      output=tmp_path / f"{target}.so",
                      extra_args=[f"--paso-layout={layout}", *extra_args])
    model = paso.load(so)
    rng = np.random.default_rng(1)
    feeds = {i.name: rng.standard_normal(i.shape).astype(np.float32)
             for i in model.inputs}
    session = ort.InferenceSession(str(onnx_path),
                                   providers=["CPUExecutionProvider"])
    want = dict(zip([o.name for o in session.get_outputs()],
                    session.run(None, feeds)))
    got = model.run(feeds)
    if magnitude is None:
        assert_matches(got, want, onnx_path.name)
    else:
        for name, expected in want.items():
            np.testing.assert_allclose(got[name], expected, rtol=1e-4,
                                       atol=1e-5 * magnitude,
                                       err_msg=f"{onnx_path.name} {name}")
    return feeds, want


CONVS = {
    "3x3_pad1": dict(image=(1, 5, 9, 11), filters=13, kernel=(3, 3),
                     pads=(1, 1, 1, 1)),
    "stride2_asymmetric_pads": dict(image=(1, 3, 15, 12), filters=7,
                                    kernel=(3, 5), strides=(2, 2),
                                    pads=(0, 2, 1, 1)),
    "dilated": dict(image=(1, 4, 12, 12), filters=6, kernel=(3, 3),
                    dilations=(2, 3), pads=(2, 1, 2, 3)),
    "stride3_rows_wider_than_a_panel": dict(image=(1, 2, 20, 70), filters=5,
                                            kernel=(2, 2), strides=(3, 1)),
    "pointwise_direct": dict(image=(1, 40, 7, 9), filters=33, kernel=(1, 1)),
    "batch_of_three": dict(image=(3, 6, 8, 8), filters=9, kernel=(3, 3),
                           pads=(1, 1, 1, 1), residual=True),
    "filter_is_an_input": dict(image=(2, 6, 7, 7), filters=10,
                               kernel=(3, 3), pads=(1, 1, 1, 1),
                               constant_filter=False),
    "long_reduction": dict(image=(1, 300, 5, 5), filters=14, kernel=(3, 3),
                           pads=(1, 1, 1, 1), bias=False),
}


DEPTHWISE = {
    "3x3_pad1": dict(image=(1, 6, 9, 11), kernel=(3, 3), pads=(1, 1, 1, 1)),
    "stride2_wide_rows": dict(image=(1, 3, 13, 37), kernel=(3, 3),
                              strides=(2, 2), pads=(0, 1, 1, 1)),
    "5x5_dilated_residual": dict(image=(2, 4, 10, 10), kernel=(5, 5),
                                 dilations=(2, 1), pads=(4, 2, 4, 2),
                                 residual=True),
    "filter_is_an_input": dict(image=(1, 5, 6, 19), kernel=(3, 1),
                               strides=(1, 3), constant_filter=False),
}
for name, case in DEPTHWISE.items():
    channels = case["image"][1]
    CONVS["depthwise_" + name] = dict(case, filters=channels, group=channels,
                                      activation=("Clip", {}))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", sorted(CONVS))
def test_convolution(case, target, paso_opt, tmp_path):
    """NCHW kernels (forced: the cost model picks either layout)."""
    path = conv_model(tmp_path / f"{case}.onnx", **CONVS[case])
    check(path, tmp_path, target, layout="nchw")


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", sorted(CONVS))
def test_convolution_nhwc(case, target, paso_opt, tmp_path):
    """The same cases with paso-select-cpu-layout forced to NHWC: the
    channels-last GEMM (implicit NHWC im2col, filter packed as B) and
    window kernels, or the linalg NHWC lowering where the filter is not a
    constant."""
    path = conv_model(tmp_path / f"{case}.onnx", **CONVS[case])
    ir = subprocess.run([paso_opt, str(path), "--emit=linalg",
                         f"-target={target}", "--paso-layout=nhwc"],
                        capture_output=True, text=True, check=True).stdout
    if not case.endswith("filter_is_an_input"):
        assert "channels-last" in ir, ir
    check(path, tmp_path, target, layout="nhwc")


ACTIVATIONS = {
    "relu": ("Relu", {}),
    "clip": ("Clip", {}),
    "leaky_relu": ("LeakyRelu", {"alpha": 0.2}),
    "sigmoid": ("Sigmoid", {}),
    "hard_sigmoid": ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}),
    "hard_swish": ("HardSwish", {}),
    "tanh": ("Tanh", {}),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_fused_activation(name, paso_opt, tmp_path):
    path = conv_model(tmp_path / f"{name}.onnx", image=(1, 4, 10, 10),
                      filters=35, kernel=(3, 3), pads=(1, 1, 1, 1),
                      residual=True, activation=ACTIVATIONS[name])
    check(path, tmp_path, "host")


def gemm_model(path, m, k, n, trans_b, constant_rhs, activation):
    inputs = [tensor("a", [m, k])]
    inits = [weights("c", [n])]
    b_shape = [n, k] if trans_b else [k, n]
    if constant_rhs:
        inits.append(weights("b", b_shape))
    else:
        inputs.append(tensor("b", b_shape))
    nodes = [helper.make_node("Gemm", ["a", "b", "c"], ["g"], transB=trans_b)]
    nodes.append(helper.make_node(activation, ["g"], ["y"]))
    return save(nodes, inputs, [tensor("y", [m, n])], inits, path)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("constant_rhs", [True, False])
@pytest.mark.parametrize("rows", [1, 19])
def test_gemm(rows, trans_b, constant_rhs, target, paso_opt, tmp_path):
    """19 rows use the register tiles; one row (a fully connected layer at
    batch 1) the row-at-a-time path when the weights are prepacked."""
    path = gemm_model(tmp_path / "gemm.onnx", rows, 70, 45, trans_b,
                      constant_rhs, "Gelu" if constant_rhs else "Sigmoid")
    check(path, tmp_path, target)


POOLS = {
    "3x3_stride2_ceil": dict(image=(1, 5, 13, 13), kernel=(3, 3),
                             strides=(2, 2), ceil_mode=1),
    "padded_dilated": dict(image=(2, 3, 9, 20), kernel=(2, 3),
                           strides=(1, 2), pads=(1, 1, 0, 2),
                           dilations=(2, 1)),
    "stride3_negative_inputs": dict(image=(1, 4, 10, 11), kernel=(3, 3),
                                    strides=(3, 3), pads=(1, 1, 1, 1),
                                    ceil_mode=1, shift=-100.0),
}


def pool_model(path, image, kernel, strides=(1, 1), pads=(0,) * 4,
               dilations=(1, 1), ceil_mode=0, shift=0.0):
    """MaxPool of x + shift (a shift below zero checks that padding never
    wins a window)."""
    inits = [numpy_helper.from_array(np.array(shift, np.float32), "shift")]
    nodes = [helper.make_node("Add", ["x", "shift"], ["shifted"]),
             helper.make_node("MaxPool", ["shifted"], ["y"],
                              kernel_shape=list(kernel), strides=list(strides),
                              pads=list(pads), dilations=list(dilations),
                              ceil_mode=ceil_mode)]
    model = helper.make_model(
        helper.make_graph(nodes, "pool", [tensor("x", list(image))],
                          [helper.make_tensor_value_info(
                              "y", TensorProto.FLOAT, None)], inits),
        opset_imports=[helper.make_opsetid("", 20)])
    model.ir_version = 8
    # No shape inference: in ceil mode it counts windows that start in the
    # end padding, which ORT (and PASO) drop.
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
@pytest.mark.parametrize("case", sorted(POOLS))
def test_max_pool(case, layout, paso_opt, tmp_path):
    check(pool_model(tmp_path / f"{case}.onnx", **POOLS[case]), tmp_path,
          "host", layout)


@pytest.mark.parametrize("group", [1, 5])
def test_convolution_on_rpi4(group, paso_opt, tmp_path, aarch64_runner):
    path = conv_model(tmp_path / "pi.onnx", image=(1, 5, 12, 10),
                      filters=11 if group == 1 else 5, group=group,
                      kernel=(3, 3), strides=(2, 1), pads=(1, 0, 1, 2),
                      residual=True, activation=ACTIVATIONS["clip"])
    feeds, want = check(path, tmp_path, "host")
    so = paso.compile(path, target="rpi4", output=tmp_path / "rpi4.so")
    run_on_aarch64(aarch64_runner, so, feeds, tmp_path)
    assert_matches({"y": np.load(tmp_path / "y.npy")}, want, "rpi4 conv")


def test_nhwc_graph_on_rpi4(paso_opt, tmp_path, aarch64_runner):
    """A small NHWC graph on the Pi 4 under qemu: stem convolution,
    depthwise and pointwise convolutions with a residual add, max and
    average pooling, a channel concat and a global pooling, with
    transposes left only at the boundary."""
    c = 8
    inits = [weights("w0", [c, 3, 3, 3]), weights("wd", [c, 1, 3, 3]),
             weights("wp", [c, c, 1, 1])]
    nodes = [
        helper.make_node("Conv", ["x", "w0"], ["a"], pads=[1, 1, 1, 1],
                         strides=[2, 2]),
        helper.make_node("Relu", ["a"], ["r"]),
        helper.make_node("Conv", ["r", "wd"], ["d"], group=c,
                         pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["d", "wp"], ["p"]),
        helper.make_node("Add", ["p", "r"], ["s"]),
        helper.make_node("MaxPool", ["s"], ["m"], kernel_shape=[3, 3],
                         strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("AveragePool", ["s"], ["v"], kernel_shape=[3, 3],
                         strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Concat", ["m", "v"], ["cat"], axis=1),
        helper.make_node("GlobalAveragePool", ["cat"], ["g"]),
        helper.make_node("Flatten", ["g"], ["y"]),
    ]
    path = save(nodes, [tensor("x", [1, 3, 17, 15])], [tensor("y", [1, 2 * c])],
                inits, tmp_path / "nhwc.onnx")
    report = subprocess.run([paso_opt, str(path), "-o", str(tmp_path / "r.so"),
                             "--paso-layout=nhwc", "--report=-"],
                            capture_output=True, text=True, check=True).stdout
    assert "NHWC (forced by layout=nhwc); 5 ops channels-last, " \
           "1 transposes in the graph" in report, report
    feeds, want = check(path, tmp_path, "host", layout="nhwc")
    so = paso.compile(path, target="rpi4", output=tmp_path / "rpi4.so",
                      extra_args=["--paso-layout=nhwc"])
    run_on_aarch64(aarch64_runner, so, feeds, tmp_path)
    assert_matches({"y": np.load(tmp_path / "y.npy")}, want, "rpi4 nhwc")


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
def test_fire_module_concat(layout, paso_opt, tmp_path):
    """SqueezeNet's fire module: a squeeze 1x1 convolution, then 1x1 and
    3x3 expansions concatenated along channels. In NHWC the expansions
    write straight into the concat's buffer at their channel offsets."""
    inits = [weights("ws", [6, 10, 1, 1]), weights("bs", [6]),
             weights("w1", [7, 6, 1, 1]), weights("b1", [7]),
             weights("w3", [9, 6, 3, 3]), weights("b3", [9])]
    nodes = [
        helper.make_node("Conv", ["x", "ws", "bs"], ["s"]),
        helper.make_node("Relu", ["s"], ["sr"]),
        helper.make_node("Conv", ["sr", "w1", "b1"], ["e1"]),
        helper.make_node("Relu", ["e1"], ["e1r"]),
        helper.make_node("Conv", ["sr", "w3", "b3"], ["e3"],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["e3"], ["e3r"]),
        helper.make_node("Concat", ["e1r", "e3r"], ["y"], axis=1),
    ]
    path = save(nodes, [tensor("x", [2, 10, 9, 11])],
                [tensor("y", [2, 16, 9, 11])], inits, tmp_path / "fire.onnx")
    ir = subprocess.run([paso_opt, str(path), "--emit=linalg",
                         f"--paso-layout={layout}"],
                        capture_output=True, text=True, check=True).stdout
    assert (ir.count("into its concat") == 2) == (layout == "nhwc"), ir
    check(path, tmp_path, "host", layout=layout)


def test_fire_module_concat_winograd(paso_opt, tmp_path):
    """The fire module with its 3x3 expansion forced to Winograd: the
    output transform writes into the concat's buffer at its channel
    offset, with the concat's row stride."""
    inits = [weights("ws", [6, 10, 1, 1]), weights("w1", [7, 6, 1, 1]),
             weights("w3", [19, 6, 3, 3]), weights("b3", [19])]
    nodes = [
        helper.make_node("Conv", ["x", "ws"], ["s"]),
        helper.make_node("Conv", ["s", "w1"], ["e1"]),
        helper.make_node("Conv", ["s", "w3", "b3"], ["e3"],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["e3"], ["e3r"]),
        helper.make_node("Concat", ["e1", "e3r"], ["y"], axis=1),
    ]
    path = save(nodes, [tensor("x", [1, 10, 9, 11])],
                [tensor("y", [1, 26, 9, 11])], inits,
                tmp_path / "fire_winograd.onnx")
    args = ["--paso-layout=nhwc", "--paso-force-winograd=4"]
    ir = subprocess.run([paso_opt, str(path), "--emit=linalg", *args],
                        capture_output=True, text=True, check=True).stdout
    assert "winograd F(4x4,3x3), channels-last, into its concat" in ir, ir
    check(path, tmp_path, "host", layout="nhwc", extra_args=args[1:])


ROWS = {
    # Row lengths with a vector tail at both widths, rows that need the
    # max subtraction (large values), and a layer norm without shift.
    "softmax_tail": ("Softmax", [3, 5, 37], {"axis": -1}, 30.0),
    "softmax_one_vector": ("Softmax", [2, 16], {"axis": 1}, 1.0),
    "layer_norm_tail": ("LayerNormalization", [4, 3, 21], {"axis": -1}, 3.0),
    "layer_norm_two_dims": ("LayerNormalization", [2, 6, 40],
                            {"axis": 1, "epsilon": 1e-3}, 1.0),
}


@pytest.mark.parametrize("case", sorted(ROWS))
def test_row_kernels(case, paso_opt, tmp_path):
    """Softmax over the last axis and LayerNormalization on the row kernel
    (paso_rows_f32): tails of partial vectors, large inputs, trailing dims
    flattened into one row."""
    op, shape, attrs, spread = ROWS[case]
    inits = [numpy_helper.from_array(np.array(spread, np.float32), "s")]
    nodes = [helper.make_node("Mul", ["x", "s"], ["xs"])]
    inputs = ["xs"]
    if op == "LayerNormalization":
        axis = attrs["axis"] % len(shape)
        row = list(shape[axis:])
        inits.append(weights("g", row))
        inputs.append("g")
        if case != "layer_norm_two_dims":
            inits.append(weights("b", row))
            inputs.append("b")
    nodes.append(helper.make_node(op, inputs, ["y"], **attrs))
    path = save(nodes, [tensor("x", shape)], [tensor("y", shape)], inits,
                tmp_path / f"{case}.onnx")
    ir = subprocess.run([paso_opt, str(path), "--emit=linalg"],
                        capture_output=True, text=True, check=True).stdout
    assert "call @paso_rows_f32" in ir, ir
    check(path, tmp_path, "host")


def test_attention_products(paso_opt, tmp_path):
    """softmax(Q K^T) V with K^T an explicit Transpose: both batched
    products run on the GEMM kernel, the transpose read in place."""
    shape = [2, 3, 5, 8]
    nodes = [
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["q", "kt"], ["scores"]),
        helper.make_node("Softmax", ["scores"], ["p"], axis=-1),
        helper.make_node("MatMul", ["p", "v"], ["y"]),
    ]
    path = save(nodes, [tensor(n, shape) for n in "qkv"],
                [tensor("y", shape)], [], tmp_path / "attention.onnx")
    ir = subprocess.run([paso_opt, str(path), "--emit=linalg"],
                        capture_output=True, text=True, check=True).stdout
    assert ir.count("call @paso_gemm_f32") == 2, ir
    check(path, tmp_path, "host")


WINOGRAD = {
    "odd_output": dict(image=(1, 64, 25, 23), filters=64, kernel=(3, 3),
                       pads=(1, 1, 1, 1), residual=True,
                       activation=("Relu", {})),
    "unpadded_batch": dict(image=(2, 64, 26, 34), filters=48, kernel=(3, 3),
                           activation=("Clip", {})),
    "asymmetric_pads": dict(image=(1, 64, 28, 27), filters=40,
                            kernel=(3, 3), pads=(0, 1, 2, 1), bias=False),
}


WINOGRAD_NHWC = dict(WINOGRAD, **{
    # Channel counts that leave a partial vector in both transforms, a
    # non-cheap activation, and a map smaller than one 4x4 tile row.
    "ragged_channels": dict(image=(1, 20, 13, 11), filters=37, kernel=(3, 3),
                            pads=(1, 1, 1, 1), residual=True,
                            activation=("Sigmoid", {})),
    "small_map": dict(image=(2, 24, 5, 3), filters=33, kernel=(3, 3),
                      pads=(1, 1, 1, 1), activation=("Relu", {})),
})


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("tile", [2, 4])
@pytest.mark.parametrize("case", sorted(WINOGRAD_NHWC))
def test_winograd_nhwc(case, tile, target, paso_opt, tmp_path):
    """Channels-last Winograd F(2x2, 3x3) and F(4x4, 3x3), forced (the cost
    model takes them for large layers only): partial tiles at the right
    and bottom edges, partial channel vectors, batches, padding, bias,
    residual and activations."""
    path = conv_model(tmp_path / f"{case}.onnx", **WINOGRAD_NHWC[case])
    args = ["--paso-layout=nhwc", f"--paso-force-winograd={tile}"]
    ir = subprocess.run([paso_opt, str(path), "--emit=linalg",
                         f"-target={target}", *args],
                        capture_output=True, text=True, check=True).stdout
    assert f"winograd F({tile}x{tile},3x3), channels-last" in ir, ir
    assert "call @paso_winograd_nhwc_f32" in ir, ir
    # F(4x4)'s rounding (~2e-6 of the convolution's magnitude, the largest
    # of about 4.5 standard deviations of a sum of 9 C products of
    # standard-normal values) exceeds the tolerance of a Clip's output.
    channels = WINOGRAD_NHWC[case]["image"][1]
    magnitude = 4.5 * np.sqrt(9 * channels) if tile == 4 else None
    check(path, tmp_path, target, layout="nhwc", extra_args=args[1:],
          magnitude=magnitude)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", sorted(WINOGRAD))
def test_winograd(case, target, paso_opt, tmp_path):
    """3x3 stride-1 convolutions the cost model sends to Winograd F(2x2,
    3x3) in NCHW (forced: it prefers NHWC's direct kernel for these):
    edge tiles, batches, padding and the epilogue."""
    path = conv_model(tmp_path / f"{case}.onnx", **WINOGRAD[case])
    ir = subprocess.run([paso_opt, str(path), "--emit=linalg",
                         f"-target={target}", "--paso-layout=nchw"],
                        capture_output=True, text=True, check=True).stdout
    assert "call @paso_winograd_f32" in ir, ir
    check(path, tmp_path, target, layout="nchw")
