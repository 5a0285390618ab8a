"""How well the cost model predicts latency, before and after calibrating it
from profiles measured on this machine (issue 12's acceptance numbers).

    python benchmarks/run_calibration_benchmark.py [--runs N] [--write-docs]

Each profile runs at least N times (default 20) and long enough for half
a second of measurements (small models thousands of times), in five
processes, of which the one with the middle median is kept.

1. Every suite model (paso.model_suite, plus the coverage models of
   run_coverage_benchmarks.py) is compiled for `host` and profiled at one
   thread (paso-run --profile): the cost model's whole-model prediction
   (runtime kernels + generated code) against the measured median run.
2. `paso-opt --calibrate` fits the host's cost model to those profiles
   (class scales, measured kernels, the generated code's fixed cost);
   every model is compiled again with the calibrated target (its
   decisions may change) and profiled again: the compiler's new
   predictions against new measurements.
3. Leave-one-out: each model predicted from a calibration (paso-opt
   --calibrate) fitted to the other models (and the suite) only (their
   measured kernels, which models sharing layer
   shapes reuse, and the class scales for the rest), against its
   first-round measurement: the figure for a model calibration has not
   seen.

Prints, per phase, how many models are predicted within +-10% and the
Spearman rank correlation of predicted and measured kernel times (all
kernels of all models). A benchmark, not a test: it asserts nothing.
"""
import argparse
import datetime
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from docs_section import write_section  # noqa: E402
import onnx

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
import paso  # noqa: E402
from paso import model_suite  # noqa: E402

MARKER = ("<!-- calibration benchmark results: written by "
          "benchmarks/run_calibration_benchmark.py -->")
END = "<!-- end of calibration benchmark results -->"


def models(directory):
    paths = {}
    for path in model_suite.write_suite(str(directory)):
        paths[pathlib.Path(path).stem] = path
    try:
        import test_coverage_models
        import test_recurrent
        paths["crnn_lstm"] = str(test_recurrent.crnn(directory / "crnn.onnx"))
        for name in ("dbnet_detector", "audio_cnn", "video_cnn"):
            path = directory / f"{name}.onnx"
            onnx.save(test_coverage_models.MODELS[name](), str(path))
            paths[name] = str(path)
    except ImportError as error:  # the tests are not importable
        print(f"(coverage models left out: {error})", file=sys.stderr)
    return paths


def profile_runs(so, least):
    """Runs enough for half a second of profiling, at least `least` (at
    most 2000): 20 runs of a 10 us model are 0.2 ms, whose median moved
    by 20-40% between profiles here; thousands settle it."""
    result = subprocess.run([paso.find_paso_run(), str(so), "--threads", "1",
                             "--bench", "5"],
                            capture_output=True, text=True, check=True)
    ms = float(re.search(r"median ([0-9.]+) ms", result.stdout).group(1))
    return int(min(2000, max(least, 500 / max(ms, 1e-3))))


def median_profile(so, output, least, processes=5):
    """The profile, among `processes` runs of paso-run each in its own
    process, whose run median is the middle one: a small model's speed
    differs between processes (audio_cnn: 7 or 10 us, by where its buffers
    land), which no number of runs inside one process averages out."""
    runs = profile_runs(so, least)
    profiles = []
    for i in range(processes):
        path = pathlib.Path(f"{output}.{i}")
        profiles.append((paso.profile(so, output=path, runs=runs, threads=1),
                         path))
    profiles.sort(key=lambda p: p[0]["run_us"]["median"])
    chosen, path = profiles[len(profiles) // 2]
    os.replace(path, output)
    for _, other in profiles:
        if other.exists():
            other.unlink()
    return chosen


def signature(kernel):
    """kernelSignature in lib/Target/CostModel.cpp."""
    return (f"{kernel['algorithm']}|{kernel['output_shape']}|"
            f"{kernel.get('product', '')}")


def kernel_prediction(kernel, model):
    """A kernel's one-thread prediction: as built (model None), or by a
    calibrated target's numbers, as the compiler uses them: its
    measurement when the calibration saw it, else its raw prediction times
    its class's scale."""
    if model is None:
        return kernel["predicted_1t_us"]
    times, scales, _ = model
    return times.get(signature(kernel),
                     kernel["raw_predicted_1t_us"] *
                     scales.get(kernel["class"], 1.0))


def predicted(profile, model=None):
    """Whole-model prediction, as built or by a fitted model."""
    kernels = sum(kernel_prediction(k, model) for k in profile["kernels"])
    generated = profile["generated"]
    if model is None:
        return kernels + generated["predicted_us"]
    _, scales, costs = model
    # predictGeneratedMicroseconds in lib/Target/CostModel.cpp.
    return (kernels + generated["traffic_us"] * scales.get("generated", 1.0) +
            generated["ops"] * costs["generated_op_us"] +
            generated["transcendentals"] * costs["transcendental_ns"] * 1e-3 +
            costs["run_overhead_us"])


def fitted(target_path):
    """The parts of a calibrated target file the predictions read."""
    with open(target_path) as f:
        target = json.load(f)
    costs = {k: target[k] for k in ("generated_op_us", "transcendental_ns",
                                    "run_overhead_us")}
    return target["kernel_times_us"], target["kernel_time_scale"], costs


def spearman(x, y):
    def ranks(values):
        order = np.argsort(values, kind="stable")
        r = np.empty(len(values))
        r[order] = np.arange(len(values))
        return r
    rx, ry = ranks(np.asarray(x)), ranks(np.asarray(y))
    return float(np.corrcoef(rx, ry)[0, 1])


def summarise(name, rows, kernel_pairs):
    within = sum(abs(p / m - 1) <= 0.10 for _, p, m in rows)
    rho = spearman(*zip(*kernel_pairs))
    print(f"{name}: {within}/{len(rows)} models within +-10%, kernel "
          f"Spearman {rho:.3f} over {len(kernel_pairs)} kernels")
    for model, p, m in rows:
        print(f"  {model:16} predicted {p / 1e3:8.3g} ms  measured "
              f"{m / 1e3:8.3g} ms  ratio {p / m:5.2f}")
    return within, rho


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--keep", help="keep the profiles in this folder")
    parser.add_argument("--with-suite", action="store_true",
                        help="also calibrate from a profile of "
                             "paso-opt --calibration-suite")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(args.keep or tmp)
        tmp.mkdir(parents=True, exist_ok=True)
        paths = models(tmp)
        first = {}
        for name, path in paths.items():
            so = paso.compile(path, output=tmp / f"{name}.so")
            first[name] = median_profile(so, tmp / f"{name}.json", args.runs)
        calibration = [tmp / f"{n}.json" for n in paths]
        if args.with_suite:
            suite = tmp / "suite.so"
            subprocess.run([paso.find_paso_opt(), "--calibration-suite",
                            "-o", str(suite)], check=True,
                           capture_output=True)
            paso.profile(suite, output=tmp / "suite.json", runs=args.runs,
                         threads=1)
            calibration.append(tmp / "suite.json")
        board = paso.calibrate(calibration, target="host",
                               output=tmp / "board.json")
        times, scales, costs = fitted(board)
        print(f"{len(times)} measured kernels; generated code: "
              f"{costs['generated_op_us']:.3f} us per op, "
              f"{costs['transcendental_ns']:.2f} ns per transcendental, "
              f"{costs['run_overhead_us']:.1f} us per run")
        print("fitted scales: " + ", ".join(f"{c} {s:.3f}"
                                             for c, s in scales.items()))
        second = {}
        for name, path in paths.items():
            so = paso.compile(path, target=board,
                              output=tmp / f"{name}.cal.so")
            second[name] = median_profile(so, tmp / f"{name}.cal.json",
                                          args.runs)

        def phase(label, profiles, model_for):
            rows, pairs = [], []
            for name, p in profiles.items():
                model = model_for(name)
                rows.append((name, predicted(p, model),
                             p["run_us"]["median"]))
                for k in p["kernels"]:
                    pairs.append((kernel_prediction(k, model),
                                  k["median_us"]))
            results[label] = (summarise(label, rows, pairs), rows)

        phase("before calibration", first, lambda name: None)
        phase("after calibration (recompiled, re-measured)", second,
              lambda name: None)
        phase("leave-one-out", first,
              lambda name: fitted(paso.calibrate(
                  [c for c in calibration if c.name != f"{name}.json"],
                  target="host", output=tmp / f"without-{name}.json")))
    if args.write_docs:
        write_docs(results, scales, args)


def write_docs(results, scales, args):
    lines = [f"Measured {datetime.date.today()} with `python "
             f"benchmarks/run_calibration_benchmark.py --runs {args.runs}"
             f"{' --with-suite' if args.with_suite else ''}` "
             "on this host (one thread, medians of the runs).", "",
             "| phase | models within +-10% | kernel Spearman |",
             "|---|---|---|"]
    for label, ((within, rho), rows) in results.items():
        lines.append(f"| {label} | {within}/{len(rows)} | {rho:.3f} |")
    lines += ["", "Fitted scales (measured / raw predicted): " +
              ", ".join(f"{c} {s:.2f}" for c, s in scales.items()) + ".", "",
              "| model | before: predicted / measured ms | after | "
              "leave-one-out |", "|---|---|---|---|"]
    phases = list(results.values())
    for i, (model, _, _) in enumerate(phases[0][1]):
        cells = []
        for _, rows in phases:
            _, p, m = rows[i]
            cells.append(f"{p / 1e3:.3g} / {m / 1e3:.3g} ({p / m:.2f})")
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    write_section(MARKER, END, "Cost model accuracy and calibration", lines)


if __name__ == "__main__":
    main()
