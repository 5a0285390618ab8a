"""Latency with a busy core: PASO and ONNX Runtime at two threads (and PASO
at one) while another process spins on one of this machine's two cores,
as a camera or pre-processing thread would on a device (issue 12).

    python benchmarks/run_busy_benchmark.py [--rounds N] [--reps N]
        [--models mobilenetv2,...] [--no-load] [--write-docs]

Each engine runs in its own process, a fresh one per round, rounds
alternating between engines, all with the same busy process beside them;
medians over all timed runs; ratios PASO / ONNX Runtime. A benchmark, not
a test: it asserts nothing.
"""
import argparse
import datetime
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from docs_section import write_section  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import paso  # noqa: E402
from paso import model_suite  # noqa: E402

MARKER = ("<!-- busy-core benchmark results: written by "
          "benchmarks/run_busy_benchmark.py -->")
END = "<!-- end of busy-core benchmark results -->"
ENGINES = ("paso 2T", "ort 2T", "paso 1T")


def worker(engine, onnx_path, so_path, reps):
    backend, threads = engine.split()
    threads = int(threads[:-1])
    rng = np.random.default_rng(0)
    if backend == "paso":
        model = paso.load(so_path)
        model.set_num_threads(threads)
        feeds = {i.name: (rng.integers(0, 1000, i.shape).astype(i.dtype)
                          if np.issubdtype(i.dtype, np.integer) else
                          rng.standard_normal(i.shape).astype(i.dtype))
                 for i in model.inputs}
        run = lambda: model.run(feeds)  # noqa: E731
    else:
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(onnx_path, options,
                                       providers=["CPUExecutionProvider"])
        feeds = {}
        for i in session.get_inputs():
            shape = [d if isinstance(d, int) else 1 for d in i.shape]
            feeds[i.name] = (rng.integers(0, 1000, shape).astype(np.int64)
                             if "int" in i.type else
                             rng.standard_normal(shape).astype(np.float32))
        run = lambda: session.run(None, feeds)  # noqa: E731
    for _ in range(3):
        run()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--models",
                        default="mobilenetv2,resnet18,squeezenet11,"
                                "transformer,mlp")
    parser.add_argument("--no-load", action="store_true",
                        help="no busy process (the idle baseline)")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        job = json.loads(args.worker)
        print(json.dumps(worker(job["engine"], job["onnx"], job["so"],
                                job["reps"])))
        return

    busy = None
    if not args.no_load:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            names = args.models.split(",")
            for onnx_path in model_suite.write_suite(tmp, names):
                name = os.path.splitext(os.path.basename(onnx_path))[0]
                so = paso.compile(onnx_path,
                                  output=os.path.join(tmp, name + ".so"))
                times = {e: [] for e in ENGINES}
                for _ in range(args.rounds):
                    for engine in ENGINES:
                        job = dict(engine=engine, onnx=onnx_path, so=so,
                                   reps=args.reps)
                        out = subprocess.run(
                            [sys.executable, __file__, "--worker",
                             json.dumps(job)],
                            capture_output=True, text=True, check=True)
                        times[engine] += json.loads(out.stdout)
                medians = {e: float(np.median(t)) * 1e3
                           for e, t in times.items()}
                rows.append((name, medians))
                print(f"{name:14} paso 2T {medians['paso 2T']:8.3g} ms  "
                      f"ort 2T {medians['ort 2T']:8.3g} ms  "
                      f"paso 1T {medians['paso 1T']:8.3g} ms  "
                      f"paso/ort {medians['paso 2T'] / medians['ort 2T']:5.2f}  "
                      f"2T/1T {medians['paso 2T'] / medians['paso 1T']:5.3f}",
                      flush=True)
    finally:
        if busy:
            busy.kill()
    ratios = [m["paso 2T"] / m["ort 2T"] for _, m in rows]
    geomean = math.exp(sum(map(math.log, ratios)) / len(ratios))
    slower = [n for n, m in rows if m["paso 2T"] > m["paso 1T"]]
    worst = max(m["paso 2T"] / m["paso 1T"] for _, m in rows)
    print(f"geomean paso 2T / ort 2T: {geomean:.2f}; paso 2T slower than "
          f"1T on: {', '.join(slower) or 'none'} (worst 2T/1T {worst:.3f})")
    if args.write_docs:
        write_docs(rows, geomean, args)


def write_docs(rows, geomean, args):
    load = "idle" if args.no_load else "one busy-looping process beside it"
    lines = [f"Measured {datetime.date.today()} with `python "
             f"benchmarks/run_busy_benchmark.py --rounds {args.rounds} "
             f"--reps {args.reps}"
             f"{' --no-load' if args.no_load else ''}` on this 2-core host, "
             f"{load}; median ms per run.", "",
             "| model | PASO 2 threads | ORT 2 threads | PASO 1 thread | "
             "PASO/ORT (2T) | PASO 2T/1T |", "|---|---|---|---|---|---|"]
    for name, m in rows:
        lines.append(f"| {name} | {m['paso 2T']:.3g} | {m['ort 2T']:.3g} | "
                     f"{m['paso 1T']:.3g} | "
                     f"{m['paso 2T'] / m['ort 2T']:.2f} | "
                     f"{m['paso 2T'] / m['paso 1T']:.3f} |")
    worst = max(m["paso 2T"] / m["paso 1T"] for _, m in rows)
    lines += ["", f"Geomean PASO/ORT at two threads: {geomean:.2f}; PASO at "
              f"two threads over one, worst model: {worst:.3f}."]
    write_section(MARKER, END, "Latency with a busy core", lines)


if __name__ == "__main__":
    main()
