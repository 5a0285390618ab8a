"""Int8 convolutions channels-first or channels-last: measured against the
layout the cost model picks.

    python benchmarks/run_int8_layouts.py [--models a,b] [--reps N]
                                          [--threads 1,2] [--write-docs]

Each model is quantised by ONNX Runtime's quantize_static (QOperator,
per-tensor U8S8, ONNX Runtime's defaults) and compiled three times for the
host: --paso-layout=nchw, --paso-layout=nhwc and the default `auto`, whose
choice (paso-select-cpu-layout, predictIntegerConvolutionSeconds) the
compile report records. The builds give the same bytes; they run here side
by side, alternating run by run after a warm-up, medians, at each thread
count. --write-docs rewrites the section of docs/performance.md. A
benchmark, not a test: it asserts nothing.
"""
import argparse
import datetime
import json
import os
import re
import sys
import tempfile

import onnx
from onnxruntime.quantization import QuantFormat, QuantType

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# (run_int8_benchmarks puts the package on the path.)
from run_int8_benchmarks import bench, random_feeds  # noqa: E402
import paso  # noqa: E402
from run_benchmarks import cpu_description  # noqa: E402
from run_x86_int8_kernels import quantised  # noqa: E402
from docs_section import write_section  # noqa: E402

MARKER = ("<!-- int8 layout results: written by "
          "benchmarks/run_int8_layouts.py -->")
END = "<!-- end of int8 layout results -->"
LAYOUTS = ("nchw", "nhwc", "auto")


def build(path, layout, tmp, name):
    """The loaded model and the layout its report records."""
    stem = os.path.join(tmp, f"{name}.{layout}")
    report = stem + ".json"
    args = [f"--report={report}"]
    if layout != "auto":
        args.append(f"--paso-layout={layout}")
    model = paso.load(paso.compile(path, output=stem + ".so",
                                   extra_args=args))
    with open(report) as f:
        return model, json.load(f)["layout"]


def layout_label(decision):
    """The report's layout decision in a word: NCHW, NHWC, or the split
    (NCHW, then NHWC from candidate k of n) as NCHW->NHWC at k/n."""
    split = re.match(r"NCHW, then NHWC from (\d+) of (\d+)", decision)
    if split:
        return f"NCHW->NHWC at {split[1]}/{split[2]}"
    return decision.split(" ")[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mobilenetv2,resnet18,squeezenet11")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    cpu, _, _ = cpu_description()
    threads_list = [int(t) for t in args.threads.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            float_path, int8_path = quantised(
                name, tmp, quant_format=QuantFormat.QOperator,
                per_channel=False, activation_type=QuantType.QUInt8)
            builds = [build(int8_path, layout, tmp, name) for layout in LAYOUTS]
            chosen = layout_label(builds[2][1])
            feeds = random_feeds(onnx.load(float_path), 0)
            for threads in threads_list:
                for model, _ in builds:
                    model.set_num_threads(threads)
                nchw, nhwc, auto = (t * 1e3 for t in bench(
                    [model.run for model, _ in builds], feeds, args.reps))
                rows.append((name, threads, nchw, nhwc, auto, chosen))
                print(f"{name:12s} {threads}t  nchw {nchw:7.2f} ms  nhwc "
                      f"{nhwc:7.2f} ms  auto ({chosen}) {auto:7.2f} ms  "
                      f"nchw/nhwc {nchw / nhwc:4.2f}", flush=True)
    lines = [f"Run {datetime.date.today()} on {cpu}; quantize_static "
             "QOperator per-tensor U8S8; median of "
             f"{args.reps} alternating runs after a warm-up. The three "
             "builds of a model give the same bytes (test_quantized_nhwc.py)."
             " `auto` is the layout the cost model picked (a split: the"
             " convolutions and poolings before candidate k NCHW, the rest"
             " NHWC).", "",
             "| model | threads | NCHW ms | NHWC ms | NCHW / NHWC | auto picks | auto ms |",
             "|---|---|---|---|---|---|---|"]
    for name, threads, nchw, nhwc, auto, chosen in rows:
        lines.append(f"| {name} | {threads} | {nchw:.2f} | {nhwc:.2f} | "
                     f"{nchw / nhwc:.2f} | {chosen} | {auto:.2f} |")
    if args.write_docs:
        write_section(MARKER, END, "Int8 convolutions: NCHW or NHWC", lines,
                      before="<!-- benchmark results:")
    return 0


if __name__ == "__main__":
    sys.exit(main())
