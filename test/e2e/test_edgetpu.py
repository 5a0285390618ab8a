"""The Edge TPU back end (docs/edgetpu.md): int8 TFLite files that LiteRT
runs and that the Edge TPU rules accept.

Each file is checked three ways: by the static checker (edgetpu_check.py,
its own reader and rules), against PASO's own int8 .so compiled with the
same quantisation (within one output step on >= 99% of elements), and
against ONNX Runtime in fp32 (output SQNR, the quantisation tolerance of
docs/edgetpu.md)."""
import json
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest

from conftest import model_suite, paso, run_on_aarch64
from edgetpu_check import check

Interpreter = pytest.importorskip("ai_edge_litert.interpreter").Interpreter

# Model -> the lowest output SQNR (dB) against fp32 it must keep. These are
# random-weight models, whose int8 noise is large (MobileNetV2's and the
# MobileNetV3 blocks' random layers amplify it most); the tolerance proper
# is relative: the .tflite may lose at most 6 dB more than PASO's own int8
# .so (docs/edgetpu.md).
MODELS = {"resnet18": 30, "resnet50": 30, "mobilenetv2": 15,
          "squeezenet11": 40, "mobilenetv3_blocks": 12}
# LiteRT's int8 HARD_SWISH rounds otherwise than PASO's (which computes it
# in float and quantises): within one step per op
# (test_mobilenetv3_block_within_one_step), but a dozen random-weight
# layers after it turn some of those steps into more. There the bar is the
# SQNR between the two int8 results.
AGREEMENT_DB = {"mobilenetv3_blocks": 30}
SCHEME_TARGET = {"base": "host", "name": "host-with-edgetpu-scheme",
                 "accelerator": "edgetpu"}


def write_model(name, out_dir):
    if name == "mobilenetv3_blocks":
        import onnx
        path = out_dir / f"{name}.onnx"
        onnx.save(model_suite.mobilenetv3_blocks(), path)
        return path
    return model_suite.write_suite(str(out_dir), [name])[0]


def samples(shape, count, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count, *shape)).astype(np.float32)


def run_tflite(path, x):
    """The float NCHW image (or a matrix) through the int8 NHWC TFLite
    model."""
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    (inp,), (out,) = (interpreter.get_input_details(),
                      interpreter.get_output_details())
    scale, zero = inp["quantization"]
    q = np.clip(np.round(x / scale) + zero, -128, 127).astype(np.int8)
    interpreter.set_tensor(inp["index"], q.transpose(0, 2, 3, 1) if q.ndim == 4 else q)
    interpreter.invoke()
    scale, zero = out["quantization"]
    y = (interpreter.get_tensor(out["index"]).astype(np.float32) - zero) * scale
    return (y.transpose(0, 3, 1, 2) if y.ndim == 4 else y), scale


def sqnr(reference, got):
    return 10 * np.log10(np.sum(reference ** 2) /
                         max(np.sum((got - reference) ** 2), 1e-30))


def tflite_and_own(path, tmp_path, calibration, report=None):
    """The coral .tflite of `path` (with its --report when given) and
    PASO's own host .so (loaded) of the same quantisation."""
    target = tmp_path / "scheme.json"
    target.write_text(json.dumps(SCHEME_TARGET))
    tfl = paso.compile(path, target="coral", quantize="int8",
                       calibration_data=str(calibration),
                       output=tmp_path / "model.tflite",
                       extra_args=[f"--report={report}"] if report else ())
    own = paso.compile(path, target=str(target), quantize="int8",
                       calibration_data=str(calibration),
                       output=tmp_path / "model.so")
    return tfl, paso.load(own)


def compile_pair(name, tmp_path, paso_opt):
    """The .tflite (with its report) and a host .so of the same scheme."""
    path = write_model(name, tmp_path)
    size = 96 if name == "mobilenetv3_blocks" else 224
    calibration = tmp_path / "calibration.npz"
    np.savez(calibration, input=samples((1, 3, size, size), 8, seed=1))
    report = tmp_path / "report.json"
    tfl, own = tflite_and_own(path, tmp_path, calibration, report)
    return path, tfl, json.loads(report.read_text()), own, size


@pytest.mark.parametrize("name", list(MODELS))
def test_suite_model_on_edgetpu(name, paso_opt, tmp_path):
    path, tfl, report, compiled, size = compile_pair(name, tmp_path, paso_opt)
    # Every op maps, by PASO's report and by the independent checker.
    edgetpu = report["edgetpu"]
    assert edgetpu["cut"] == "" and edgetpu["mapped_ops"] == edgetpu["ops"]
    checked = check(str(tfl))
    assert not checked.errors, checked.errors
    assert checked.mapped_share == 1.0, [op for op in checked.ops if not op[2]]
    assert len(checked.ops) == edgetpu["ops"]
    # LiteRT runs it; it agrees with PASO's .so and stays near fp32.
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for x in samples((1, 3, size, size), 2, seed=7):
        x = x[None] if x.ndim == 3 else x
        got, step = run_tflite(tfl, x)
        own = list(compiled.run({"input": x}).values())[0]
        if name in AGREEMENT_DB:
            assert sqnr(own, got) >= AGREEMENT_DB[name], sqnr(own, got)
        else:
            close = np.mean(np.abs(got - own) <= 1.001 * step)
            assert close >= 0.99, f"{close:.1%} within one step of PASO's .so"
        reference = session.run(None, {"input": x})[0]
        assert sqnr(reference, got) >= MODELS[name], sqnr(reference, got)
        assert sqnr(reference, got) >= sqnr(reference, own) - 6


def test_mobilenetv3_block_within_one_step(paso_opt, tmp_path):
    """The stem and first block (hard-swish, depthwise, squeeze-excitation
    with its HardSigmoid rewritten as ADD + MUL): LiteRT and PASO's .so
    within one step on >= 99% of elements."""
    import onnx
    whole = tmp_path / "whole.onnx"
    onnx.save(model_suite.mobilenetv3_blocks(), whole)
    path = tmp_path / "block.onnx"
    onnx.utils.extract_model(str(whole), str(path), ["input"], ["se_scale"])
    calibration = tmp_path / "calibration.npz"
    np.savez(calibration, input=samples((1, 3, 96, 96), 8, seed=1))
    tfl, so = tflite_and_own(path, tmp_path, calibration)
    for x in samples((1, 3, 96, 96), 2, seed=7):
        got, step = run_tflite(tfl, x)
        own = list(so.run({"input": x}).values())[0]
        assert np.mean(np.abs(got - own) <= 1.001 * step) >= 0.99


def test_coral_cpu_library_agrees_under_qemu(paso_opt, tmp_path,
                                             aarch64_runner):
    """The coral .so (Cortex-A53, the same quantisation) under qemu gives
    what LiteRT gives for the .tflite."""
    path = write_model("squeezenet11", tmp_path)
    calibration = tmp_path / "calibration.npz"
    np.savez(calibration, input=samples((1, 3, 224, 224), 8, seed=1))
    tfl = paso.compile(path, target="coral", quantize="int8",
                       calibration_data=str(calibration),
                       output=tmp_path / "model.tflite")
    so = paso.compile(path, target="coral", quantize="int8",
                      calibration_data=str(calibration),
                      output=tmp_path / "model.so")
    x = samples((1, 3, 224, 224), 1, seed=7)[0]
    got, step = run_tflite(tfl, x)
    run_on_aarch64(aarch64_runner, so, {"input": x}, tmp_path)
    name = model_suite.squeezenet11().graph.output[0].name
    board = np.load(tmp_path / f"{name}.npy")
    assert np.mean(np.abs(got - board) <= 1.001 * step) >= 0.99


def imbalanced_mlp(spread, seed=3):
    """The suite's MLP with each hidden unit's scale moved between its two
    layers by a factor in [1/spread, spread]: the same function, with the
    uneven channel ranges trained and batch-norm-folded layers have."""
    from onnx import numpy_helper
    model = model_suite.mlp()
    w = {i.name: numpy_helper.to_array(i).copy()
         for i in model.graph.initializer}
    rng = np.random.default_rng(seed)
    g1, g2 = (np.exp(rng.uniform(-np.log(spread), np.log(spread), n))
              .astype(np.float32) for n in (256, 128))
    w["fc1.weight"] *= g1
    w["fc1.bias"] *= g1
    w["fc2.weight"] *= g2[:, None] / g1          # Gemm, transB: [128, 256]
    w["fc2.bias"] *= g2
    w["fc3.weight"] /= g2                        # [10, 128]
    for init in model.graph.initializer:
        init.CopyFrom(numpy_helper.from_array(w[init.name], init.name))
    return model


def test_equalisation_keeps_per_tensor_products_accurate(paso_opt, tmp_path):
    """Fully connected layers carry one weight scale in the TFLite scheme.
    Hidden units whose ranges differ up to 900x leave most of them a few
    levels of it: 1.8 dB at the output and 12% top-1 agreement without
    equalisation (measured). With it the two pairs are equalised and the
    .tflite keeps what the model whose units were never moved gets
    (33-34 dB; measured 33.4 dB, all decisions kept)."""
    import onnx
    path = tmp_path / "mlp.onnx"
    onnx.save(imbalanced_mlp(spread=30), path)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((40, 1, 784)).astype(np.float32)
    np.savez(tmp_path / "cal.npz", input=x[:32])
    report = tmp_path / "report.json"
    tfl = paso.compile(path, target="coral", quantize="int8",
                       calibration_data=str(tmp_path / "cal.npz"),
                       input_shapes={"input": (1, 784)},
                       output=tmp_path / "mlp.tflite",
                       extra_args=[f"--report={report}"])
    assert json.loads(report.read_text())["quantization"]["equalized_pairs"] == 2
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    reference = np.concatenate([session.run(None, {"input": s})[0]
                                for s in x[32:]])
    got = np.concatenate([run_tflite(tfl, s)[0] for s in x[32:]])
    assert sqnr(reference, got) >= 30, sqnr(reference, got)
    assert np.mean(reference.argmax(1) == got.argmax(1)) >= 0.95


@pytest.mark.parametrize("config", [("QDQ", True, "S8S8"),
                                    ("QOperator", False, "U8S8")],
                         ids=["QDQ-pc-S8S8", "QOperator-pt-U8S8"])
def test_prequantised_model(config, paso_opt, tmp_path):
    """A model ONNX Runtime quantised maps too (QOperator's uint8 grids
    become the int8 grids 128 lower), and LiteRT agrees with ONNX
    Runtime's int8 result."""
    from test_quantized import quantize_suite_model
    path = quantize_suite_model("squeezenet11", tmp_path, *config)
    tfl = paso.compile(path, target="coral", output=tmp_path / "model.tflite")
    assert check(str(tfl)).mapped_share == 1.0
    x = samples((1, 3, 224, 224), 1, seed=3)[0]
    got, step = run_tflite(tfl, x)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    reference = session.run(None, {"input": x})[0]
    assert np.mean(np.abs(got - reference) <= 1.001 * step) >= 0.99


def run_paso_opt(paso_opt, *args):
    return subprocess.run([paso_opt, *map(str, args)], capture_output=True,
                          text=True, timeout=900)


def test_float_model_for_coral_says_what_to_pass(paso_opt, tmp_path):
    path = write_model("squeezenet11", tmp_path)
    result = run_paso_opt(paso_opt, path, "-target=coral", "-o",
                          tmp_path / "model.tflite")
    assert result.returncode != 0
    assert "runs int8 models only" in result.stderr
    assert "--quantize=int8 --calibration-data=" in result.stderr
    assert not (tmp_path / "model.tflite").exists()


def test_mixed_precision_is_refused_for_tflite(paso_opt, tmp_path):
    path = write_model("squeezenet11", tmp_path)
    np.savez(tmp_path / "c.npz", input=samples((1, 3, 224, 224), 2, seed=1))
    result = run_paso_opt(paso_opt, path, "-target=coral", "--quantize=mixed",
                          f"--calibration-data={tmp_path / 'c.npz'}", "-o",
                          tmp_path / "model.tflite")
    assert result.returncode != 0
    assert "use --quantize=int8" in result.stderr


def small_model(tmp_path, middle, extra=(), last=True):
    """conv -> `middle` -> conv (or without the last conv), float, with
    calibration samples."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)

    def weight(name, shape):
        return numpy_helper.from_array(
            rng.standard_normal(shape).astype(np.float32) * 0.3, name)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1],
                              name="first"),
             middle,
             helper.make_node("Conv", ["b", "w2"], ["y"], name="last")]
    if not last:
        nodes.pop()
    graph = helper.make_graph(
        nodes, "small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
        [helper.make_tensor_value_info("y" if last else "b",
                                       TensorProto.FLOAT, None)],
        [weight("w1", (8, 4, 3, 3)), weight("w2", (4, 8, 1, 1)), *extra])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "small.onnx"
    onnx.save(model, path)
    np.savez(tmp_path / "c.npz",
             x=rng.standard_normal((4, 1, 4, 8, 8)).astype(np.float32))
    return path


def test_unmappable_op_cuts_into_tflite_and_cpu_pair(paso_opt, tmp_path):
    """An op without a mapping in the middle: the .tflite holds what comes
    before it, a .so beside it the rest (on the target's CPU; the host
    here), and running the two in order matches ONNX Runtime and PASO's
    own int8 .so of the whole model."""
    from onnx import helper
    path = small_model(tmp_path, helper.make_node(
        "Erf", ["a"], ["b"], name="erf_in_the_middle"))
    target = tmp_path / "scheme.json"
    target.write_text(json.dumps(SCHEME_TARGET))
    tfl, report = tmp_path / "pair.tflite", tmp_path / "report.json"
    result = run_paso_opt(paso_opt, path, f"-target={target}",
                          "--quantize=int8",
                          f"--calibration-data={tmp_path / 'c.npz'}",
                          "-o", tfl, f"--report={report}")
    assert result.returncode == 0, result.stderr
    assert "the graph is cut at node 'erf_in_the_middle' (Erf)" in result.stderr
    edgetpu = json.loads(report.read_text())["edgetpu"]
    assert edgetpu["cut"].startswith("node 'erf_in_the_middle' (Erf)")
    assert edgetpu["cpu_library"] == str(tmp_path / "pair.so")
    # The HTML report shows the same mapping.
    html = tmp_path / "report.html"
    assert run_paso_opt(paso_opt, path, f"-target={target}", "--quantize=int8",
                        f"--calibration-data={tmp_path / 'c.npz'}", "-o",
                        tmp_path / "again.tflite",
                        f"--report={html}").returncode == 0
    page = html.read_text()
    assert '<table id="edgetpu">' in page and "erf_in_the_middle" in page
    assert check(str(tfl)).mapped_share == 1.0
    whole = paso.load(paso.compile(
        path, target=str(target), quantize="int8",
        calibration_data=str(tmp_path / "c.npz"),
        output=tmp_path / "whole.so"))
    cpu = paso.load(tmp_path / "pair.so")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for seed in range(3):
        x = np.random.default_rng(seed).standard_normal((1, 4, 8, 8)).astype(
            np.float32)
        interpreter = Interpreter(model_path=str(tfl))
        interpreter.allocate_tensors()
        (inp,) = interpreter.get_input_details()
        scale, zero = inp["quantization"]
        interpreter.set_tensor(inp["index"], np.clip(
            np.round(x / scale) + zero, -128, 127).astype(np.int8)
            .transpose(0, 2, 3, 1))
        interpreter.invoke()
        middle = {out["name"]: interpreter.get_tensor(out["index"])
                  for out in interpreter.get_output_details()}
        assert [i.name for i in cpu.inputs] == list(middle)
        if seed == 0:
            # paso-run runs the .tflite too (through LiteRT), like a .so.
            np.save(tmp_path / "x.npy", interpreter.get_tensor(inp["index"]))
            run = subprocess.run(
                [os.path.join(os.path.dirname(paso_opt), "paso-run"),
                 str(tfl), "--input", f"x={tmp_path / 'x.npy'}",
                 "--output-dir", str(tmp_path / "run")],
                capture_output=True, text=True, timeout=300,
                env={**os.environ, "PASO_PYTHON": sys.executable})
            assert run.returncode == 0, run.stderr
            assert "quantised (scale" in run.stdout
            for name, array in middle.items():
                np.testing.assert_array_equal(
                    np.load(tmp_path / "run" / f"{name}.npy"), array)
        got = list(cpu.run(middle).values())[0]
        own = list(whole.run({"x": x}).values())[0]
        step = cpu.outputs[0].scale or np.abs(own).max() / 127
        np.testing.assert_allclose(got, own, atol=1.001 * step)
        reference = session.run(None, {"x": x})[0]
        assert sqnr(reference, got) >= 25, sqnr(reference, got)


def test_max_pool_padding_needing_padv2_is_the_cut(paso_opt, tmp_path):
    """Explicit pads before a max pooling of signed values need PADV2,
    which the Edge TPU does not map: the file is written (LiteRT runs it
    whole), the report and the checker both name it as the cut."""
    from onnx import helper
    path = small_model(tmp_path, helper.make_node(
        "MaxPool", ["a"], ["b"], kernel_shape=[3, 3], strides=[2, 2],
        pads=[1, 1, 1, 1], name="padded_pool"))
    tfl, report = tmp_path / "model.tflite", tmp_path / "report.json"
    result = run_paso_opt(paso_opt, path, "-target=coral", "--quantize=int8",
                          f"--calibration-data={tmp_path / 'c.npz'}",
                          "-o", tfl, f"--report={report}")
    assert result.returncode == 0, result.stderr
    assert "the Edge TPU compiler will map the ops up to" in result.stderr
    edgetpu = json.loads(report.read_text())["edgetpu"]
    assert edgetpu["cut"].startswith("PADV2 at node 'padded_pool' (MaxPool)")
    checked = check(str(tfl))
    assert [op[0] for op in checked.ops if not op[2]][0] == "PADV2"
    got, _ = run_tflite(tfl, np.zeros((1, 4, 8, 8), np.float32))
    assert got.shape == (1, 4, 4, 4)


@pytest.mark.parametrize("mode,transform", [("nearest", "asymmetric"),
                                            ("linear", "half_pixel"),
                                            ("linear", "align_corners")])
def test_resize(mode, transform, paso_opt, tmp_path):
    """ONNX Resize as TFLite's RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR
    (their flags standing for the coordinate transformation), within one
    step of PASO's own .so at the resize's output (LiteRT interpolates in
    fixed point; a layer after it would amplify those steps)."""
    from onnx import helper, numpy_helper
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "s")
    path = small_model(tmp_path, helper.make_node(
        "Resize", ["a", "", "s"], ["b"], mode=mode,
        coordinate_transformation_mode=transform, nearest_mode="floor",
        name="upsample"), extra=[scales], last=False)
    tfl, own = tflite_and_own(path, tmp_path, tmp_path / "c.npz")
    checked = check(str(tfl))
    assert checked.mapped_share == 1.0, checked.ops
    assert any(op[0].startswith("RESIZE_") for op in checked.ops)
    for seed in range(2):
        x = np.random.default_rng(seed).standard_normal(
            (1, 4, 8, 8)).astype(np.float32)
        got, step = run_tflite(tfl, x)
        mine = list(own.run({"x": x}).values())[0]
        assert got.shape == mine.shape == (1, 8, 16, 16)
        assert np.mean(np.abs(got - mine) <= 1.001 * step) >= 0.99


def test_silu_maps_as_logistic_and_mul(paso_opt, tmp_path):
    """SiLU (x * sigmoid(x)) needs no rewrite: LOGISTIC on TFLite's 1/256
    grid and a MUL, both mapped, within one step of PASO's .so."""
    import onnx
    from onnx import helper
    path = small_model(tmp_path, helper.make_node(
        "Sigmoid", ["a"], ["s"], name="gate"))
    model = onnx.load(path)
    model.graph.node.insert(2, helper.make_node("Mul", ["a", "s"], ["b"],
                                                name="silu"))
    onnx.save(model, path)
    tfl, own = tflite_and_own(path, tmp_path, tmp_path / "c.npz")
    checked = check(str(tfl))
    assert checked.mapped_share == 1.0
    assert {"LOGISTIC", "MUL"} <= {op[0] for op in checked.ops}
    x = np.random.default_rng(1).standard_normal((1, 4, 8, 8)).astype(np.float32)
    got, step = run_tflite(tfl, x)
    mine = list(own.run({"x": x}).values())[0]
    assert np.mean(np.abs(got - mine) <= 1.001 * step) >= 0.99


def test_real_orientation_classifier_maps_whole(paso_opt, tmp_path):
    """PP-OCR's text orientation classifier (real weights, a MobileNetV3
    exported by PaddlePaddle: hard-swish spelt out, biases as Adds,
    HardSigmoid with slope 0.2) on crops of a photographed page: every op
    maps once the rewrites run, and LiteRT keeps fp32's decision on >= 93%
    of the crops (measured 94.9%; PASO's own int8 .so 95.9%,
    docs/edgetpu.md)."""
    from paso import real_models
    model = real_models.model_path(real_models.CLASSIFIER)
    calibration, evaluation = real_models.classifier_samples()
    np.savez(tmp_path / "cal.npz", x=calibration)
    tfl = paso.compile(model, target="coral", quantize="int8",
                       calibration_data=str(tmp_path / "cal.npz"),
                       input_shapes={"x": (1, 3, 48, 192)},
                       output=tmp_path / "cls.tflite")
    checked = check(str(tfl))
    assert not checked.errors and checked.mapped_share == 1.0
    assert {"HARD_SWISH", "MUL", "ADD"} <= {op[0] for op in checked.ops}
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    same = [session.run(None, {"x": x})[0].argmax(-1) ==
            run_tflite(tfl, x)[0].argmax(-1) for x in evaluation]
    assert np.mean(same) >= 0.93, np.mean(same)


def test_gelu_maps_as_its_tanh_approximation(paso_opt, tmp_path):
    """GELU (ONNX Gelu, erf form) has no Edge TPU op: its tanh
    approximation in MUL, ADD and TANH maps, each step calibrated, and
    LiteRT stays within the stated tolerance of ONNX Runtime's exact
    GELU."""
    from onnx import helper
    path = small_model(tmp_path, helper.make_node(
        "Gelu", ["a"], ["b"], name="gelu"))
    import onnx
    model = onnx.load(path)
    model.opset_import[0].version = 20
    onnx.save(model, path)
    tfl, own = tflite_and_own(path, tmp_path, tmp_path / "c.npz")
    checked = check(str(tfl))
    assert checked.mapped_share == 1.0
    assert "TANH" in {op[0] for op in checked.ops}
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(2).standard_normal((1, 4, 8, 8)).astype(np.float32)
    got, _ = run_tflite(tfl, x)
    reference = session.run(None, {"x": x})[0]
    mine = list(own.run({"x": x}).values())[0]
    # The docs' tolerance: at most 6 dB under PASO's own int8 .so (which
    # keeps GELU whole), and 20 dB at least.
    assert sqnr(reference, got) >= max(20, sqnr(reference, mine) - 6), \
        (sqnr(reference, got), sqnr(reference, mine))
