"""Models of the op families issue 14 added (transposed convolutions, 1-D
and 3-D windows, control flow, the long tail of ONNX ops), built with the
onnx helper API, compile with PASO and match ONNX Runtime on the same
inputs: on the host and as rpi4 builds under qemu. Weights are random:
these prove the arithmetic, not accuracy."""
import glob
import os
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import ROOT, ort_outputs, paso, run_on_aarch64

sys.path.insert(0, os.path.join(ROOT, "test", "conformance"))
import onnx_node_tests  # noqa: E402  (the node tests' data loader)

RTOL, ATOL = 1e-4, 1e-5


def weights(rng, name, shape, scale=0.3):
    return numpy_helper.from_array(
        (rng.standard_normal(shape) * scale).astype(np.float32), name)


def make(nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    onnx.checker.check_model(model, full_check=True)
    return model


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def dbnet_detector():
    """A DBNet-style text detector: a strided conv backbone, the
    kernel-equals-stride ConvTranspose upsampling (1x1 conv + depth to
    space) and a general one (3x3, stride 2, pads, output_padding) back to
    the input size, then a sigmoid probability map."""
    rng = np.random.default_rng(1)
    inits = [weights(rng, "w1", [8, 3, 3, 3]), weights(rng, "b1", [8]),
             weights(rng, "w2", [16, 8, 3, 3]), weights(rng, "b2", [16]),
             weights(rng, "u1", [16, 8, 2, 2]), weights(rng, "ub1", [8]),
             weights(rng, "u2", [8, 2, 3, 3]), weights(rng, "ub2", [4])]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], strides=[2, 2],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], strides=[2, 2],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("ConvTranspose", ["r2", "u1", "ub1"], ["t1"],
                         strides=[2, 2]),
        helper.make_node("Add", ["t1", "r1"], ["s1"]),
        helper.make_node("Relu", ["s1"], ["r3"]),
        helper.make_node("ConvTranspose", ["r3", "u2", "ub2"], ["t2"],
                         strides=[2, 2], pads=[1, 1, 1, 1],
                         output_padding=[1, 1], group=2),
        helper.make_node("Sigmoid", ["t2"], ["y"]),
    ]
    return make(nodes, [f32("x", [1, 3, 32, 32])], [f32("y", [1, 4, 32, 32])],
                inits)


def audio_cnn():
    """A 1-D audio classifier: strided and dilated 1-D convolutions, 1-D max
    and average pooling, global pooling and a softmax."""
    rng = np.random.default_rng(2)
    inits = [weights(rng, "w1", [8, 1, 9]), weights(rng, "b1", [8]),
             weights(rng, "w2", [16, 8, 5]), weights(rng, "b2", [16]),
             weights(rng, "fc", [16, 4]), weights(rng, "fb", [4])]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], strides=[2],
                         pads=[4, 4]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[3],
                         strides=[2], pads=[1, 1]),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], dilations=[2],
                         pads=[4, 4]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("AveragePool", ["r2"], ["p2"], kernel_shape=[4],
                         strides=[4]),
        helper.make_node("GlobalAveragePool", ["p2"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "fc", "fb"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["y"]),
    ]
    return make(nodes, [f32("x", [1, 1, 400])], [f32("y", [1, 4])], inits)


def video_cnn():
    """A 3-D (video) block: 3-D convolution with padding and groups, 3-D max
    and average pooling."""
    rng = np.random.default_rng(3)
    inits = [weights(rng, "w1", [4, 3, 3, 3, 3]), weights(rng, "b1", [4]),
             weights(rng, "w2", [4, 2, 2, 3, 3])]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"],
                         pads=[1, 1, 1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2, 2],
                         strides=[2, 2, 2]),
        helper.make_node("Conv", ["p1", "w2"], ["c2"], group=2,
                         strides=[1, 2, 2], pads=[0, 1, 1, 1, 1, 1]),
        helper.make_node("AveragePool", ["c2"], ["y"], kernel_shape=[2, 2, 2],
                         strides=[1, 2, 2], pads=[0, 1, 1, 1, 1, 1],
                         count_include_pad=0),
    ]
    return make(nodes, [f32("x", [1, 3, 6, 16, 16])],
                [f32("y", [1, 4, 3, 3, 3])], inits)


def if_on_input():
    """An If whose condition is computed from the input: both branches are
    compiled and the output selected at run time."""
    then_graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "two"], ["t"]),
         helper.make_node("Relu", ["t"], ["then_out"])],
        "then", [], [f32("then_out", [1, 8])],
        [numpy_helper.from_array(np.array(2, np.float32), "two")])
    else_graph = helper.make_graph(
        [helper.make_node("Sub", ["x", "one"], ["e"]),
         helper.make_node("Tanh", ["e"], ["else_out"])],
        "else", [], [f32("else_out", [1, 8])],
        [numpy_helper.from_array(np.array(1, np.float32), "one")])
    nodes = [
        helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
        helper.make_node("Greater", ["s", "zero"], ["cond"]),
        helper.make_node("If", ["cond"], ["y"], then_branch=then_graph,
                         else_branch=else_graph),
    ]
    return make(nodes, [f32("x", [1, 8])], [f32("y", [1, 8])],
                [numpy_helper.from_array(np.array(0, np.float32), "zero")])


def loop_and_scan():
    """A Loop with a constant trip count (loop-carried value and a scan
    output) and a Scan running a cumulative sum over a sequence."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Mul", ["acc_in", "half"], ["scaled"]),
         helper.make_node("Add", ["scaled", "x"], ["acc_out"]),
         helper.make_node("Identity", ["acc_out"], ["step"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         f32("acc_in", [2, 3])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         f32("acc_out", [2, 3]), f32("step", [2, 3])],
        [numpy_helper.from_array(np.array(0.5, np.float32), "half")])
    scan_body = helper.make_graph(
        [helper.make_node("Add", ["sum_in", "item"], ["sum_out"]),
         helper.make_node("Identity", ["sum_out"], ["partial"])],
        "scan_body", [f32("sum_in", [3]), f32("item", [3])],
        [f32("sum_out", [3]), f32("partial", [3])])
    nodes = [
        helper.make_node("Loop", ["trips", "", "x"], ["acc", "steps"],
                         body=body),
        helper.make_node("Scan", ["init", "x"], ["total", "partials"],
                         body=scan_body, num_scan_inputs=1,
                         scan_output_directions=[1]),
    ]
    inits = [numpy_helper.from_array(np.array(3, np.int64), "trips"),
             numpy_helper.from_array(np.zeros(3, np.float32), "init")]
    return make(nodes, [f32("x", [2, 3])],
                [f32("acc", [2, 3]), f32("steps", [3, 2, 3]),
                 f32("total", [3]), f32("partials", [2, 3])], inits)


def long_tail():
    """The long-tail ops as one graph with several outputs: group and
    instance normalisation, Mish, Selu, Celu, DepthToSpace/SpaceToDepth,
    CumSum, Hardmax, Tile, Trilu, ReduceLogSumExp, ArgMin, Round, Sign,
    LpNormalization, and MaxPool's Indices output."""
    rng = np.random.default_rng(4)
    inits = [weights(rng, "gs", [8], 1.0), weights(rng, "gb", [8], 1.0),
             weights(rng, "is", [8], 1.0), weights(rng, "ib", [8], 1.0),
             numpy_helper.from_array(np.array(3, np.int64), "axis"),
             numpy_helper.from_array(np.array([1, 2, 1, 1], np.int64), "reps"),
             numpy_helper.from_array(np.array(1, np.int64), "k"),
             numpy_helper.from_array(np.array([1], np.int64), "lse_axes")]
    nodes = [
        helper.make_node("GroupNormalization", ["x", "gs", "gb"], ["gn"],
                         num_groups=2),
        helper.make_node("Mish", ["gn"], ["mish"]),
        helper.make_node("InstanceNormalization", ["mish", "is", "ib"],
                         ["inorm"]),
        helper.make_node("Selu", ["inorm"], ["selu"]),
        helper.make_node("Celu", ["selu"], ["celu"], alpha=0.5),
        helper.make_node("DepthToSpace", ["celu"], ["d2s"], blocksize=2,
                         mode="CRD"),
        helper.make_node("SpaceToDepth", ["d2s"], ["s2d"], blocksize=2),
        helper.make_node("CumSum", ["s2d", "axis"], ["cumsum"], reverse=1),
        helper.make_node("Hardmax", ["x"], ["hardmax"], axis=1),
        helper.make_node("Tile", ["x", "reps"], ["tile"]),
        helper.make_node("Trilu", ["tile", "k"], ["trilu"], upper=0),
        helper.make_node("ReduceLogSumExp", ["x", "lse_axes"], ["lse"],
                         keepdims=0),
        helper.make_node("ArgMin", ["x"], ["argmin"], axis=2),
        helper.make_node("Mul", ["x", "x"], ["x2"]),
        helper.make_node("Round", ["x2"], ["round"]),
        helper.make_node("Sign", ["x"], ["sign"]),
        helper.make_node("LpNormalization", ["x"], ["lp"], axis=1, p=1),
        helper.make_node("MaxPool", ["x"], ["pooled", "pool_idx"],
                         kernel_shape=[3, 3], strides=[2, 2],
                         pads=[1, 1, 1, 1]),
    ]
    outputs = [f32("cumsum", [1, 8, 4, 4]), f32("hardmax", [1, 8, 4, 4]),
               f32("trilu", [1, 16, 4, 4]), f32("lse", [1, 4, 4]),
               helper.make_tensor_value_info("argmin", TensorProto.INT64,
                                             [1, 8, 1, 4]),
               f32("round", [1, 8, 4, 4]), f32("sign", [1, 8, 4, 4]),
               f32("lp", [1, 8, 4, 4]), f32("pooled", [1, 8, 2, 2]),
               helper.make_tensor_value_info("pool_idx", TensorProto.INT64,
                                             [1, 8, 2, 2])]
    return make(nodes, [f32("x", [1, 8, 4, 4])], outputs, inits, opset=21)


def detector_head():
    """Post-processing and attention as exported models write them: TopK
    over scores (smallest and largest), GatherElements/GatherND of the
    chosen boxes, a ScatterND into fixed slots and a ScatterElements with
    an add reduction (constant indices), Einsum attention, NonZero of a
    constant mask, LayerNormalization's Mean/InvStdDev outputs, and
    GridSample (linear with border padding, cubic with reflection)."""
    rng = np.random.default_rng(5)
    inits = [
        numpy_helper.from_array(np.array([5], np.int64), "k"),
        numpy_helper.from_array(np.array([[0], [3], [5]], np.int64), "slots"),
        numpy_helper.from_array(np.array([[0, 2, 2, 1]], np.int64), "cols"),
        numpy_helper.from_array(
            np.array([[1, 0, 1], [0, 0, 1]], np.float32), "mask"),
        weights(rng, "wq", [8, 8]), weights(rng, "wk", [8, 8]),
        weights(rng, "ln_s", [8], 1.0)]
    nodes = [
        helper.make_node("TopK", ["scores", "k"], ["top", "top_i"], axis=1),
        helper.make_node("TopK", ["scores", "k"], ["low", "low_i"], axis=1,
                         largest=0),
        helper.make_node("Unsqueeze", ["top_i", "two"], ["top_i3"]),
        helper.make_node("Expand", ["top_i3", "box_shape"], ["box_i"]),
        helper.make_node("GatherElements", ["boxes", "box_i"], ["chosen"],
                         axis=1),
        helper.make_node("Unsqueeze", ["low_i", "two"], ["low_i3"]),
        helper.make_node("GatherND", ["boxes", "low_i3"], ["low_boxes"],
                         batch_dims=1),
        helper.make_node("Squeeze", ["chosen", "zero"], ["chosen2"]),
        helper.make_node("ScatterND", ["slotted_in", "slots", "updates"],
                         ["slotted"]),
        helper.make_node("ScatterElements", ["small", "cols", "small_upd"],
                         ["added"], axis=1, reduction="add"),
        helper.make_node("Einsum", ["seq", "wq"], ["q"],
                         equation="btd,de->bte"),
        helper.make_node("Einsum", ["seq", "wk"], ["kk"],
                         equation="btd,de->bte"),
        helper.make_node("Einsum", ["q", "kk"], ["att"],
                         equation="bqd,bkd->bqk"),
        helper.make_node("NonZero", ["mask"], ["nz"]),
        helper.make_node("LayerNormalization", ["seq", "ln_s"],
                         ["ln", "ln_mean", "ln_inv"], axis=-1),
        helper.make_node("GridSample", ["img", "grid"], ["warped"],
                         mode="linear", padding_mode="border"),
        helper.make_node("GridSample", ["img", "grid"], ["warped_cubic"],
                         mode="cubic", padding_mode="reflection",
                         align_corners=1),
    ]
    inits += [numpy_helper.from_array(np.array([2], np.int64), "two"),
              numpy_helper.from_array(np.array([0], np.int64), "zero"),
              numpy_helper.from_array(np.array([1, 5, 4], np.int64),
                                      "box_shape")]
    inputs = [f32("scores", [1, 20]), f32("boxes", [1, 20, 4]),
              f32("slotted_in", [6, 4]), f32("updates", [3, 4]),
              f32("small", [1, 3]), f32("small_upd", [1, 4]),
              f32("seq", [2, 6, 8]), f32("img", [1, 2, 5, 5]),
              f32("grid", [1, 3, 4, 2])]
    outputs = [f32("top", [1, 5]),
               helper.make_tensor_value_info("top_i", TensorProto.INT64,
                                             [1, 5]),
               f32("low", [1, 5]), f32("chosen2", [5, 4]),
               f32("low_boxes", [1, 5, 4]), f32("slotted", [6, 4]),
               f32("added", [1, 3]), f32("att", [2, 6, 6]),
               helper.make_tensor_value_info("nz", TensorProto.INT64, [2, 3]),
               f32("ln", [2, 6, 8]), f32("ln_mean", [2, 6, 1]),
               f32("ln_inv", [2, 6, 1]), f32("warped", [1, 2, 3, 4]),
               f32("warped_cubic", [1, 2, 3, 4])]
    return make(nodes, inputs, outputs, inits, opset=20)


MODELS = {"dbnet_detector": dbnet_detector, "audio_cnn": audio_cnn,
          "video_cnn": video_cnn, "if_on_input": if_on_input,
          "loop_and_scan": loop_and_scan, "long_tail": long_tail,
          "detector_head": detector_head}


def feeds_for(model, seed=0):
    rng = np.random.default_rng(seed)
    feeds = {}
    for info in model.graph.input:
        shape = [d.dim_value for d in info.type.tensor_type.shape.dim]
        feeds[info.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def assert_matches(got, want, what):
    for name, expected in want.items():
        actual = got[name]
        assert actual.shape == expected.shape, f"{what} {name}"
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL,
                                       err_msg=f"{what} {name}")
        else:
            np.testing.assert_array_equal(actual, expected, f"{what} {name}")


@pytest.fixture
def model_file(request, tmp_path):
    model = MODELS[request.param]()
    path = tmp_path / f"{request.param}.onnx"
    onnx.save(model, str(path))
    return request.param, model, path


@pytest.mark.parametrize("model_file", sorted(MODELS), indirect=True)
def test_host(model_file, paso_opt, tmp_path):
    name, model, path = model_file
    compiled = paso.load(paso.compile(path, output=tmp_path / f"{name}.so"))
    # Two inputs: the If model takes a different branch on each.
    for seed in (0, 1):
        feeds = feeds_for(model, seed)
        if name == "if_on_input":
            feeds["x"] = np.abs(feeds["x"]) * (1 if seed == 0 else -1)
        assert_matches(compiled.run(feeds), ort_outputs(path, feeds),
                       f"{name} (seed {seed})")


@pytest.mark.parametrize("model_file", sorted(MODELS), indirect=True)
def test_rpi4_under_qemu(model_file, paso_opt, tmp_path, aarch64_runner):
    name, model, path = model_file
    so = paso.compile(path, target="rpi4", output=tmp_path / f"{name}.so")
    feeds = feeds_for(model)
    run_on_aarch64(aarch64_runner, so, feeds, tmp_path)
    want = ort_outputs(path, feeds)
    got = {n: np.load(tmp_path / f"{n}.npy") for n in want}
    assert_matches(got, want, f"{name} rpi4")


def test_check_lists_every_failing_node(paso_opt, tmp_path):
    """--check reports every node that will not import, in one run, and
    skips (without reporting) the nodes fed by them."""
    import subprocess
    nodes = [
        helper.make_node("Mod", ["x", "x"], ["m"], name="float_mod"),
        helper.make_node("Relu", ["m"], ["r"], name="after_mod"),
        helper.make_node("LpNormalization", ["x"], ["lp"], p=3, name="lp3"),
        helper.make_node("Add", ["r", "lp"], ["y"], name="sum"),
    ]
    model = make(nodes, [f32("x", [2, 4])], [f32("y", [2, 4])])
    path = tmp_path / "bad.onnx"
    onnx.save(model, str(path))
    result = subprocess.run([paso_opt, str(path), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "node 'float_mod' (Mod): Mod of floats needs fmod = 1" in result.stderr
    assert "node 'lp3' (LpNormalization): LpNormalization p must be 1 or 2" \
        in result.stderr
    assert "2 of 4 nodes will not compile" in result.stderr
    assert "2 nodes that depend on them were not checked" in result.stderr
    good = tmp_path / "good.onnx"
    onnx.save(audio_cnn(), str(good))
    result = subprocess.run([paso_opt, str(good), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "all 10 nodes import" in result.stdout


CONVTRANSPOSE_TESTS = sorted(
    os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(
        os.path.dirname(onnx.__file__), "backend", "test", "data", "node",
        "test_convtranspose*", "model.onnx")))


@pytest.mark.parametrize("name", CONVTRANSPOSE_TESTS)
def test_convtranspose_node_tests_with_constant_filters(name, paso_opt,
                                                        tmp_path):
    """The ONNX ConvTranspose node tests feed the filter as an input, which
    exercises the general (zero-inserting) form; with the filter as an
    initializer, as exported models have it, the sub-pixel and upsampling
    forms run instead and must give the same expected outputs."""
    test_dir = os.path.join(os.path.dirname(onnx.__file__), "backend", "test",
                            "data", "node", name)
    model = onnx.load(os.path.join(test_dir, "model.onnx"))
    inputs = onnx_node_tests.load_data(test_dir, "input")
    expected = onnx_node_tests.load_data(test_dir, "output")
    filter_name = model.graph.node[0].input[1]
    position = [i.name for i in model.graph.input].index(filter_name)
    model.graph.initializer.append(
        numpy_helper.from_array(inputs[position], filter_name))
    del model.graph.input[position]
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    feeds = {i.name: a for i, a in zip(model.graph.input,
                                       inputs[:position] + inputs[position + 1:])}
    compiled = paso.load(paso.compile(path, output=tmp_path / "m.so"))
    got = compiled.run(feeds)
    for info, want in zip(model.graph.output, expected):
        np.testing.assert_allclose(got[info.name], want, rtol=1e-5, atol=1e-5)
