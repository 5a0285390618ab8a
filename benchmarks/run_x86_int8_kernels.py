"""Int8 on x86 without AVX-512: the AVX-VNNI and AVX2 kernels against fp32.

    python benchmarks/run_x86_int8_kernels.py [--models a,b] [--reps N]
                                              [--write-docs]

Small x86 boards and mini PCs (the Intel N100, Alder Lake) have AVX-VNNI
(256-bit VPDPBUSD) but no AVX-512; older ones AVX2 only. Each model is
quantised by ONNX Runtime's quantize_static (QDQ, per-channel S8S8, as
run_int8_benchmarks.py does) and compiled three ways: int8 for a target
with AVX-VNNI (x86-64-avx2 plus +avxvnni, cpu alderlake), int8 for
x86-64-avx2 (VPMADDWD) and the float model for x86-64-avx2. All three
run here, one thread, alternating run by run after a warm-up, so the
ratios are this host's execution of each instruction mix: an N100's
Gracemont cores have other throughputs, which nothing here measures.
The host must have AVX-VNNI. --write-docs rewrites the section of
docs/performance.md. A benchmark, not a test: it asserts nothing.
"""
import argparse
import datetime
import json
import math
import os
import sys
import tempfile

import onnx
from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# (run_int8_benchmarks puts the package on the path.)
from run_int8_benchmarks import Calibration, bench, random_feeds  # noqa: E402
import paso  # noqa: E402
from paso import model_suite  # noqa: E402
from run_benchmarks import cpu_description  # noqa: E402
from docs_section import write_section  # noqa: E402

MARKER = ("<!-- x86 int8 kernel results: written by "
          "benchmarks/run_x86_int8_kernels.py -->")
END = "<!-- end of x86 int8 kernel results -->"
AVX_VNNI = {"base": "x86-64-avx2", "name": "x86-64-avxvnni",
            "cpu": "alderlake", "features": "+avx2,+fma,+avxvnni"}


def quantised(name, tmp, quant_format=QuantFormat.QDQ, per_channel=True,
              activation_type=QuantType.QInt8):
    """The suite model `name` (float path) and its quantize_static form
    (QDQ per-channel S8S8 unless told)."""
    float_path = model_suite.write_suite(tmp, [name])[0]
    pre_path = os.path.join(tmp, f"{name}.pre.onnx")
    int8_path = os.path.join(tmp, f"{name}.int8.onnx")
    quant_pre_process(float_path, pre_path)
    quantize_static(pre_path, int8_path, Calibration(onnx.load(float_path)),
                    quant_format=quant_format, per_channel=per_channel,
                    activation_type=activation_type,
                    weight_type=QuantType.QInt8)
    return float_path, int8_path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="resnet18,mobilenetv2,resnet50")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    cpu, _, flags = cpu_description()
    if "avx_vnni" not in flags:
        print("this host has no AVX-VNNI: the builds cannot run here")
        return 1
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, "avxvnni.json")
        with open(target, "w") as f:
            json.dump(AVX_VNNI, f)
        for name in args.models.split(","):
            float_path, int8_path = quantised(name, tmp)
            builds = [(int8_path, target), (int8_path, "x86-64-avx2"),
                      (float_path, "x86-64-avx2")]
            runners = []
            for i, (path, on) in enumerate(builds):
                model = paso.load(paso.compile(
                    path, target=on, output=os.path.join(tmp, f"{name}{i}.so")))
                model.set_num_threads(1)
                runners.append(model.run)
            feeds = random_feeds(onnx.load(float_path), 0)
            vnni, avx2, fp32 = (t * 1e3 for t in bench(runners, feeds,
                                                       args.reps))
            rows.append((name, vnni, avx2, fp32))
            print(f"{name:12s} avx-vnni int8 {vnni:7.2f} ms  avx2 int8 "
                  f"{avx2:7.2f} ms  avx2 fp32 {fp32:7.2f} ms  "
                  f"fp32/avx-vnni {fp32 / vnni:4.2f}  fp32/avx2 {fp32 / avx2:4.2f}",
                  flush=True)
    lines = [f"Run {datetime.date.today()} on {cpu}, one thread; "
             "quantize_static QDQ per-channel S8S8; median of "
             f"{args.reps} alternating runs after a warm-up. Every build "
             "runs on this host: the ratios are its execution of each "
             "kernel's instructions, not an N100's.", "",
             "| model | AVX-VNNI int8 ms | AVX2 int8 ms | AVX2 fp32 ms | fp32 / AVX-VNNI int8 | fp32 / AVX2 int8 |",
             "|---|---|---|---|---|---|"]
    for name, vnni, avx2, fp32 in rows:
        lines.append(f"| {name} | {vnni:.2f} | {avx2:.2f} | {fp32:.2f} | "
                     f"{fp32 / vnni:.2f} | {fp32 / avx2:.2f} |")
    for column, label in ((1, "AVX-VNNI"), (2, "AVX2")):
        mean = math.exp(sum(math.log(r[3] / r[column]) for r in rows) /
                        len(rows))
        lines += ["", f"Geomean int8 speed-up over fp32, {label}: {mean:.2f}x"]
        print(lines[-1])
    if args.write_docs:
        write_section(MARKER, END, "Int8 on x86 without AVX-512", lines,
                      before="<!-- benchmark results:")
    return 0


if __name__ == "__main__":
    sys.exit(main())
