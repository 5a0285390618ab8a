"""Side-by-side latency of PASO and ONNX Runtime on the model suite.

    python benchmarks/run_benchmarks.py [--models a,b] [--reps N]
                                        [--threads 1,2] [--write-docs]

Both engines run the same model file on the same inputs, alternating run by
run, after a warm-up, with the same thread count. Reports median latency,
the PASO/ORT ratio per model and its geometric mean, and GFLOP/s with the
share of this machine's FMA peak. --write-docs rewrites the results section
of docs/performance.md. A benchmark, not a test: it asserts nothing.
"""
import argparse
import datetime
import math
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import paso  # noqa: E402
from paso import model_suite  # noqa: E402

MARKER = "<!-- benchmark results: written by benchmarks/run_benchmarks.py -->"


def model_flops(model):
    """Multiply-adds x 2 of the Conv, Gemm and MatMul nodes."""
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + \
            list(inferred.graph.output):
        dims = [d.dim_value or 1 for d in vi.type.tensor_type.shape.dim]
        shapes[vi.name] = dims
    for init in inferred.graph.initializer:
        shapes[init.name] = list(init.dims)
    flops = 0
    for node in inferred.graph.node:
        out = shapes.get(node.output[0])
        if not out:
            continue
        if node.op_type == "Conv":
            w = shapes[node.input[1]]
            flops += 2 * np.prod(out) * np.prod(w[1:])
        elif node.op_type == "Gemm":
            a = shapes[node.input[0]]
            trans = any(at.name == "transA" and at.i for at in node.attribute)
            flops += 2 * np.prod(out) * (a[0] if trans else a[1])
        elif node.op_type == "MatMul":
            a = shapes[node.input[0]]
            flops += 2 * np.prod(out) * a[-1]
    return float(flops)


def cpu_description():
    model, mhz, flags = platform.processor(), 0.0, set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name":
                    model = value.strip()
                elif key == "cpu MHz":
                    mhz = float(value)
                elif key == "flags":
                    flags = set(value.split())
    except OSError:
        pass
    return model, mhz, flags


def fma_peak_gflops(mhz, flags, threads):
    """FLOP/cycle/core: 2 FMA units x vector lanes x 2 (multiply and add)."""
    lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags else 4
    return 2 * lanes * 2 * mhz / 1000.0 * threads


def bench(model_path, so_path, threads, reps):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # ORT's workers spin after each run; with runs alternating, the spinning
    # thread would steal the core PASO's second thread needs.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(model_path, options,
                                   providers=["CPUExecutionProvider"])
    compiled = paso.load(so_path)
    compiled.set_num_threads(threads)
    rng = np.random.default_rng(0)
    feeds = {}
    for info in compiled.inputs:
        if np.issubdtype(info.dtype, np.integer):
            feeds[info.name] = rng.integers(0, 1000, info.shape).astype(info.dtype)
        else:
            feeds[info.name] = rng.standard_normal(info.shape).astype(info.dtype)
    session.run(None, feeds)
    compiled.run(feeds)
    paso_times, ort_times = [], []
    for _ in range(reps):
        start = time.perf_counter()
        compiled.run(feeds)
        paso_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        session.run(None, feeds)
        ort_times.append(time.perf_counter() - start)
    return float(np.median(paso_times)), float(np.median(ort_times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(model_suite.MODELS))
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--threads", default=f"1,{os.cpu_count()}")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    cpu, mhz, flags = cpu_description()
    threads_list = [int(t) for t in args.threads.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            onnx_path = model_suite.write_suite(tmp, [name])[0]
            so = os.path.join(tmp, f"{name}.so")
            start = time.perf_counter()
            paso.compile(onnx_path, target="host", output=so)
            compile_s = time.perf_counter() - start
            flops = model_flops(onnx.load(onnx_path))
            for threads in threads_list:
                p, o = bench(onnx_path, so, threads, args.reps)
                peak = fma_peak_gflops(mhz, flags, threads)
                gflops = flops / p / 1e9 if flops else 0.0
                rows.append((name, threads, p * 1e3, o * 1e3, p / o, gflops,
                             100 * gflops / peak if peak else 0.0, compile_s))
                print(f"{name:13s} threads={threads} paso {p*1e3:9.2f} ms  "
                      f"ort {o*1e3:8.2f} ms  ratio {p/o:6.2f}  "
                      f"{gflops:6.2f} GFLOP/s ({rows[-1][6]:.1f}% of peak)",
                      flush=True)
    lines = [MARKER, "",
             f"Run {datetime.date.today()} on {cpu} ({os.cpu_count()} cores, "
             f"{mhz:.0f} MHz, {'AVX-512' if 'avx512f' in flags else 'AVX2' if 'avx2' in flags else 'SSE'}), "
             f"onnxruntime {ort.__version__}, PASO -O3 for `host`; median of "
             f"{args.reps} alternating runs after a warm-up; ORT's spin-waiting "
             "is off so its idle workers do not steal PASO's cores. FMA peak = "
             "2 units x lanes x 2 FLOP x clock x threads.", "",
             "| model | threads | PASO ms | ORT ms | PASO/ORT | PASO GFLOP/s | % of FMA peak | compile s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.2f} | "
                     f"{r[5]:.2f} | {r[6]:.1f} | {r[7]:.1f} |")
    for threads in threads_list:
        ratios = [r[4] for r in rows if r[1] == threads]
        geomean = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        lines.append("")
        lines.append(f"Geomean PASO/ORT at {threads} thread(s): {geomean:.2f}")
        print(f"geomean PASO/ORT at {threads} thread(s): {geomean:.2f}")
    if args.write_docs:
        path = os.path.join(ROOT, "docs", "performance.md")
        text = open(path).read()
        head = text.split(MARKER)[0]
        with open(path, "w") as f:
            f.write(head + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
