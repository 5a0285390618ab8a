"""PASO's own quantisation: accuracy and speed of --quantize=int8 and
--quantize=mixed against PASO fp32.

    python benchmarks/run_ptq_benchmark.py [--models a,b] [--rounds N]
                                           [--runs N] [--write-docs]

Models: the suite's CNNs (random weights, calibrated on 8 random samples;
accuracy as output SQNR against fp32 on 4 other samples) and the real
PP-OCR models of paso.real_models on crops of a photographed page
(accuracy as the share of top-1 decisions equal to fp32's on the
evaluation crops, which calibration never saw). Mixed precision gets a
1-point top-1 budget (--accuracy-budget=top1:1; the suite's
random-weight models, whose top-1 says nothing, get sqnr:30).

Speed: each engine in its own process (`paso-run --bench`), one thread,
rounds alternating between fp32, int8 and mixed; the median of the
rounds' medians. Reports int8 speed-up, mixed speed-up and the share of
the int8 speed-up mixed keeps. --write-docs rewrites the section of
docs/performance.md. A benchmark, not a test: it asserts nothing.
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, HERE)
import paso  # noqa: E402
from paso import model_suite, real_models  # noqa: E402
from run_benchmarks import cpu_description  # noqa: E402
from docs_section import write_section  # noqa: E402

MARKER = "<!-- ptq benchmark results: written by benchmarks/run_ptq_benchmark.py -->"
END = "<!-- end of ptq benchmark results -->"
DEFAULT_MODELS = ("resnet18,resnet50,mobilenetv2,squeezenet11,"
                  "ocr-recogniser,ocr-classifier")
OCR = {"ocr-recogniser": (real_models.RECOGNISER, (1, 3, 48, 320),
                          real_models.recogniser_samples),
       "ocr-classifier": (real_models.CLASSIFIER, (1, 3, 48, 192),
                          real_models.classifier_samples)}


def bench_ms(so, runs):
    result = subprocess.run([paso.find_paso_run(), so, "--threads", "1",
                             "--bench", str(runs)],
                            capture_output=True, text=True, check=True)
    return float(re.search(r"median ([0-9.]+) ms", result.stdout).group(1))


def first_output(model, feeds):
    return list(model.run(feeds).values())[0]


def prepare(name, tmp):
    """(model path, input shapes, calibration array dict, evaluation
    feeds, accuracy kind, mixed budget)."""
    if name in OCR:
        file, shape, samples = OCR[name]
        calibration, evaluation = samples()
        feeds = [{"x": s} for s in evaluation]
        return (real_models.model_path(file), {"x": shape},
                {"x": calibration}, feeds, "top1", "top1:1")
    path = model_suite.write_suite(tmp, [name])[0]
    model = paso.load(paso.compile(path, output=os.path.join(tmp, "probe.so")))
    rng = np.random.default_rng(0)
    calibration = {i.name: rng.standard_normal((8, *i.shape)).astype(i.dtype)
                   for i in model.inputs}
    feeds = [{i.name: rng.standard_normal(i.shape).astype(i.dtype)
              for i in model.inputs} for _ in range(4)]
    return path, None, calibration, feeds, "sqnr", "sqnr:30"


def accuracy(kind, reference, candidate, feeds):
    if kind == "top1":
        same = total = 0
        for f in feeds:
            a = first_output(reference, f).argmax(-1)
            b = first_output(candidate, f).argmax(-1)
            same += int((a == b).sum())
            total += a.size
        return 100.0 * same / total
    signal = noise = 0.0
    for f in feeds:
        a = first_output(reference, f).astype(np.float64)
        b = first_output(candidate, f)
        signal += float((a ** 2).sum())
        noise += float(((a - b) ** 2).sum())
    # Identical outputs (a mix that kept fp32 throughout): no noise.
    return 10 * np.log10(signal / noise) if noise > 0 else float("inf")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=DEFAULT_MODELS)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            path, shapes, calibration, feeds, kind, budget = prepare(name, tmp)
            data = os.path.join(tmp, f"{name}.npz")
            np.savez(data, **calibration)
            so = {}
            for mode in ("fp32", "int8", "mixed"):
                out = os.path.join(tmp, f"{name}.{mode}.so")
                extra = []
                if mode == "mixed":
                    extra = [f"--accuracy-budget={budget}"]
                report = os.path.join(tmp, f"{name}.{mode}.json")
                if mode != "fp32":
                    extra += [f"--report={report}"]
                so[mode] = paso.compile(
                    path, output=out, input_shapes=shapes,
                    quantize=None if mode == "fp32" else mode,
                    calibration_data=None if mode == "fp32" else data,
                    extra_args=extra)
                if mode == "mixed":
                    layers = json.load(open(report))["quantization"]["layers"]
                    int8_layers = sum(l["precision"] == "int8" for l in layers)
                    layer_count = len(layers)
            models = {m: paso.load(p) for m, p in so.items()}
            acc = {m: accuracy(kind, models["fp32"], models[m], feeds)
                   for m in ("int8", "mixed")}
            times = {m: [] for m in so}
            for _ in range(args.rounds):
                for mode in so:
                    times[mode].append(bench_ms(so[mode], args.runs))
            ms = {m: float(np.median(t)) for m, t in times.items()}
            int8_gain = ms["fp32"] / ms["int8"]
            mixed_gain = ms["fp32"] / ms["mixed"]
            kept = ((mixed_gain - 1) / (int8_gain - 1) * 100
                    if int8_gain > 1 else float("nan"))
            rows.append((name, kind, budget, ms, acc, int8_gain, mixed_gain,
                         kept, int8_layers, layer_count))
            unit = "% top-1 as fp32" if kind == "top1" else " dB SQNR"
            print(f"{name:15s} fp32 {ms['fp32']:7.2f} ms  int8 {ms['int8']:7.2f} "
                  f"ms ({int8_gain:4.2f}x, {acc['int8']:.1f}{unit})  mixed "
                  f"{ms['mixed']:7.2f} ms ({mixed_gain:4.2f}x, "
                  f"{acc['mixed']:.1f}{unit}, {int8_layers}/{layer_count} "
                  f"layers int8, {kept:.0f}% of the int8 gain)", flush=True)
    cpu, _, flags = cpu_description()
    lines = [f"Run {datetime.date.today()} on {cpu} (1 thread, "
             f"{'VNNI' if 'avx512_vnni' in flags else 'no VNNI'}); each "
             "engine in its own process (`paso-run --bench "
             f"{args.runs}`), {args.rounds} alternating rounds, median. "
             "Accuracy against PASO fp32: top-1 agreement on the held-out "
             "crops for the PP-OCR models (real weights, real page), output "
             "SQNR on 4 random inputs for the random-weight suite models.", "",
             "| model | fp32 ms | int8 ms | int8 speed-up | int8 accuracy | mixed budget | mixed ms | mixed speed-up | mixed accuracy | int8 layers in mixed | share of int8 gain kept |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (name, kind, budget, ms, acc, gi, gm, kept, n8, n) in rows:
        unit = "% top-1" if kind == "top1" else " dB"
        lines.append(f"| {name} | {ms['fp32']:.2f} | {ms['int8']:.2f} | "
                     f"{gi:.2f}x | {acc['int8']:.1f}{unit} | {budget} | "
                     f"{ms['mixed']:.2f} | {gm:.2f}x | {acc['mixed']:.1f}{unit} "
                     f"| {n8}/{n} | {kept:.0f}% |")
    if args.write_docs:
        write_section(MARKER, END, "Post-training quantisation", lines,
                      before="<!-- benchmark results:")
    return 0


if __name__ == "__main__":
    sys.exit(main())
