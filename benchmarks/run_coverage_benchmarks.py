"""Side-by-side latency of PASO and ONNX Runtime on the model families of
issue 14 (test/e2e/test_coverage_models.py, test_recurrent.py): a CRNN text
reader (bidirectional LSTM), a DBNet-style detector (ConvTranspose), a 1-D
audio CNN, a 3-D video block and a detector head (TopK, gathers, Einsum).

    python benchmarks/run_coverage_benchmarks.py [--reps N] [--threads 1,2]
                                                 [--write-docs]

Same method as run_benchmarks.py (whose bench() it uses): the same file and
inputs for both engines, runs alternating after a warm-up, medians, ratios.
A benchmark, not a test: it asserts nothing.
"""
import argparse
import datetime
import math
import os
import pathlib
import sys
import tempfile

import onnx

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
sys.path.insert(0, os.path.dirname(__file__))
import paso  # noqa: E402
import run_benchmarks  # noqa: E402
from docs_section import write_section  # noqa: E402
import test_coverage_models  # noqa: E402
import test_recurrent  # noqa: E402

MARKER = ("<!-- coverage benchmark results: written by "
          "benchmarks/run_coverage_benchmarks.py -->")
END = "<!-- end of coverage benchmark results -->"


def models(directory):
    """name -> .onnx path."""
    paths = {"crnn_lstm": test_recurrent.crnn(directory / "crnn.onnx")}
    for name in ("dbnet_detector", "audio_cnn", "video_cnn", "detector_head"):
        path = directory / f"{name}.onnx"
        onnx.save(test_coverage_models.MODELS[name](), str(path))
        paths[name] = path
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=21)
    parser.add_argument("--threads", default=f"1,{os.cpu_count()}")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    threads_list = [int(t) for t in args.threads.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in models(pathlib.Path(tmp)).items():
            so = os.path.join(tmp, f"{name}.so")
            paso.compile(path, output=so)
            for threads in threads_list:
                p, o = run_benchmarks.bench(str(path), so, threads, args.reps)
                rows.append((name, threads, p * 1e3, o * 1e3, p / o))
                print(f"{name:15s} threads={threads} paso {p*1e3:8.3f} ms  "
                      f"ort {o*1e3:8.3f} ms  ratio {p/o:5.2f}", flush=True)
    lines = [f"Run {datetime.date.today()}, {args.reps} alternating runs "
             "per engine after a warm-up, medians (method of "
             "run_benchmarks.py).", "",
             "| model | threads | PASO ms | ORT ms | PASO/ORT |",
             "|---|---|---|---|---|"]
    lines += [f"| {r[0]} | {r[1]} | {r[2]:.3f} | {r[3]:.3f} | {r[4]:.2f} |"
              for r in rows]
    for threads in threads_list:
        ratios = [r[4] for r in rows if r[1] == threads]
        geomean = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        lines += ["", f"Geomean PASO/ORT at {threads} thread(s): {geomean:.2f}"]
        print(f"geomean PASO/ORT at {threads} thread(s): {geomean:.2f}")
    if args.write_docs:
        write_section(MARKER, END, "The issue-14 model families", lines,
                      before="## Compile time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
