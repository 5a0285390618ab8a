"""`paso-opt --quantize=fp16`: layers in half precision on the fp16 kernel.

Checked against ONNX Runtime's fp32 outputs by SQNR (random-weight suite
models; fp16's 11-bit significand bounds what they can reach), against
PASO's fp32 build on real PP-OCR crops by top-1 agreement, and as an rpi5
build under qemu (Armv8.2 FMLA .8h) against the host's AVX512-FP16 build,
which sums every output in the same order and so must agree exactly.
docs/quantization.md states the numbers.
"""
import json
import re
import subprocess

import numpy as np
import pytest

from conftest import model_suite, ort_outputs, paso, random_inputs, run_on_aarch64
from paso import real_models


def sqnr_db(reference, got):
    reference = reference.astype(np.float64)
    noise = np.sum((reference - got) ** 2)
    return 10 * np.log10(np.sum(reference ** 2) / max(noise, 1e-300))


def host_has_fp16(paso_opt):
    """Whether this machine's CPU computes in fp16 (the host target's
    features, as paso-opt detects them)."""
    listing = subprocess.run([paso_opt, "--print-targets"], capture_output=True,
                             text=True, check=True).stdout
    host = re.search(r"^\s*host: (\S+)", listing, re.M).group(1)
    return "+avx512fp16" in host.split(",") or "+fullfp16" in host.split(",")


def compile_fp16(paso_opt, model, out, *extra, report=None):
    args = [paso_opt, str(model), "--quantize=fp16", "-o", str(out), *extra]
    if report:
        args.append(f"--report={report}")
    return subprocess.run(args, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    out = tmp_path_factory.mktemp("fp16_suite")
    model_suite.write_suite(str(out), list(SUITE_SQNR_DB))
    return out


# Least SQNR against ONNX Runtime fp32 (measured 46-64 dB; the MLP's
# softmax over ten classes 43-59 dB over input seeds; MobileNetV2's random
# layers amplify rounding the most: 33 dB). ResNet-50 reaches 1.4e5 in
# f32, past f16's 65504: the kernel's power-of-two scaling keeps it at
# 52 dB instead of inf.
SUITE_SQNR_DB = {"mlp": 40, "resnet18": 45, "resnet50": 45,
                 "squeezenet11": 50, "mobilenetv2": 28, "transformer": 40}


@pytest.mark.parametrize("name", sorted(SUITE_SQNR_DB))
def test_suite_model_fp16_matches_onnxruntime(name, suite, paso_opt, tmp_path):
    model = suite / f"{name}.onnx"
    report = tmp_path / "report.json"
    result = compile_fp16(paso_opt, model, tmp_path / "fp16.so", report=report)
    if not host_has_fp16(paso_opt):
        # A host without fp16 arithmetic must refuse, saying why.
        assert result.returncode != 0
        assert "has no fp16 arithmetic" in result.stderr
        return
    assert result.returncode == 0, result.stderr
    compiled = paso.load(str(tmp_path / "fp16.so"))
    for seed in range(2):
        feeds = random_inputs(compiled.inputs, seed)
        want = list(ort_outputs(model, feeds).values())[0]
        got = list(compiled.run(feeds).values())[0]
        assert sqnr_db(want, got) >= SUITE_SQNR_DB[name]
    # Every layer but depthwise convolutions is fp16, each on the kernel.
    data = json.loads(report.read_text())
    layers = data["quantization"]["layers"]
    assert data["quantization"]["mode"] == "fp16"
    half = [l for l in layers if l["precision"] == "fp16"]
    assert half and all(l["kind"] == "depthwise conv" for l in layers
                        if l["precision"] != "fp16")
    kernels = [k["algorithm"] for k in data["runtime_kernels"]]
    assert sum(a.startswith("fp16 gemm") for a in kernels) == len(half)


def test_two_threads_equal_one(suite, paso_opt, tmp_path):
    """Threads split rows and columns of the same sums: identical output."""
    if not host_has_fp16(paso_opt):
        pytest.skip("this machine has no fp16 arithmetic (checked above)")
    result = compile_fp16(paso_opt, suite / "resnet18.onnx", tmp_path / "r.so")
    assert result.returncode == 0, result.stderr
    model = paso.load(str(tmp_path / "r.so"))
    feeds = random_inputs(model.inputs, 5)
    model.set_num_threads(1)
    one = list(model.run(feeds).values())[0]
    model.set_num_threads(2)
    two = list(model.run(feeds).values())[0]
    np.testing.assert_array_equal(one, two)


def test_rpi5_under_qemu(suite, paso_opt, tmp_path, aarch64_runner):
    """The rpi5 build (NEON fp16) matches ONNX Runtime fp32 like the host's,
    and equals the host's AVX512-FP16 build where the host has one."""
    model = suite / "resnet18.onnx"
    result = compile_fp16(paso_opt, model, tmp_path / "rpi5.so", "-target=rpi5")
    assert result.returncode == 0, result.stderr
    fp32 = paso.load(paso.compile(model, output=tmp_path / "fp32.so"))
    feeds = random_inputs(fp32.inputs, 3)
    run_on_aarch64(aarch64_runner, tmp_path / "rpi5.so", feeds, tmp_path)
    name = fp32.outputs[0].name
    got = np.load(tmp_path / f"{name}.npy")
    want = list(ort_outputs(model, feeds).values())[0]
    assert sqnr_db(want, got) >= SUITE_SQNR_DB["resnet18"]
    if host_has_fp16(paso_opt):
        result = compile_fp16(paso_opt, model, tmp_path / "host.so")
        assert result.returncode == 0, result.stderr
        host = paso.load(str(tmp_path / "host.so"))
        np.testing.assert_array_equal(list(host.run(feeds).values())[0], got)


def test_text_recogniser_fp16_keeps_top1(paso_opt, tmp_path):
    """PP-OCRv4's recogniser on lines of a photographed page: fp16 picks
    the same character as fp32 at >= 99% of the time steps (int8: 97%)."""
    path = real_models.model_path(real_models.RECOGNISER)
    if path is None or real_models.page_image() is None:
        pytest.fail("rapidocr-onnxruntime and scikit-image are installed by "
                    "third_party/bootstrap.sh; run it")
    _, evaluation = real_models.recogniser_samples()
    shape = "--input-shape=x:1x3x48x320"
    if not host_has_fp16(paso_opt):
        pytest.skip("this machine has no fp16 arithmetic (checked above)")
    result = compile_fp16(paso_opt, path, tmp_path / "fp16.so", shape)
    assert result.returncode == 0, result.stderr
    fp32 = paso.load(paso.compile(path, output=tmp_path / "fp32.so",
                                  input_shapes={"x": (1, 3, 48, 320)}))
    fp16 = paso.load(str(tmp_path / "fp16.so"))
    decisions = lambda m: np.stack(  # noqa: E731
        [list(m.run({"x": s}).values())[0].argmax(-1) for s in evaluation])
    assert np.mean(decisions(fp32) == decisions(fp16)) >= 0.99


def test_mixed_precision_offers_fp16(suite, paso_opt, tmp_path):
    """With a budget int8 cannot meet on most layers (50 dB), fp16 is the
    fast float: the mix runs its float layers in fp16, or the whole fp16
    model is taken when faster than any mix. Either way the budget holds
    on the held-back samples, as built (fp16 is measured on a real build,
    not simulated), and on other inputs."""
    if not host_has_fp16(paso_opt):
        pytest.skip("this machine has no fp16 arithmetic (checked above)")
    model = suite / "resnet18.onnx"
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "cal.npz",
             input=rng.standard_normal((8, 1, 3, 224, 224)).astype(np.float32))
    report = tmp_path / "report.json"
    result = subprocess.run(
        [paso_opt, str(model), "--quantize=mixed", "--accuracy-budget=sqnr:50",
         f"--calibration-data={tmp_path / 'cal.npz'}", "-o",
         str(tmp_path / "mixed.so"), f"--report={report}"],
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    summary = json.loads(report.read_text())["quantization"]
    assert summary["mode"] == "mixed"
    assert summary["sqnr_db"] >= 50
    layers = summary["layers"]
    assert any(l["precision"] == "fp16" for l in layers)
    assert all(l["predicted_fp16_us"] > 0 for l in layers
               if l["precision"] == "fp16")
    mixed = paso.load(str(tmp_path / "mixed.so"))
    for seed in (5, 6):
        feeds = random_inputs(mixed.inputs, seed)
        want = list(ort_outputs(model, feeds).values())[0]
        assert sqnr_db(want, list(mixed.run(feeds).values())[0]) >= 45


def test_python_api(suite, paso_opt, tmp_path):
    """paso.compile(quantize="fp16") needs no calibration data."""
    if not host_has_fp16(paso_opt):
        pytest.skip("this machine has no fp16 arithmetic (checked above)")
    so = paso.compile(suite / "mlp.onnx", output=tmp_path / "mlp.so",
                      quantize="fp16")
    model = paso.load(so)
    feeds = random_inputs(model.inputs, 0)
    want = list(ort_outputs(suite / "mlp.onnx", feeds).values())[0]
    assert sqnr_db(want, list(model.run(feeds).values())[0]) >= 40
