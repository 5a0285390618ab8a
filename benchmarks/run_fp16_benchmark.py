"""fp16 latency and accuracy: PASO fp16, PASO fp32 and ONNX Runtime fp32.

    python benchmarks/run_fp16_benchmark.py [--models a,b] [--rounds N]
        [--reps N] [--threads 1,2] [--write-docs]

PASO compiles each model for the host twice, plain and with
--quantize=fp16 (needs a host with fp16 arithmetic: AVX512-FP16 here,
docs/quantization.md). Each engine runs in its own process, a fresh one
per round, rounds alternating between engines, the same inputs and thread
count for all; medians over all timed runs; ratios PASO fp32 / PASO fp16
(the fp16 speed-up) and PASO fp16 / ORT fp32. Accuracy: output SQNR of
fp16 against PASO fp32 on the benchmark's input, and for the PP-OCR models
(real weights) the share of top-1 decisions fp16 keeps on the real page
crops of paso.real_models. --write-docs rewrites the fp16 section of
docs/performance.md. A benchmark, not a test: it asserts nothing.
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, HERE)
import paso  # noqa: E402
from paso import model_suite, real_models  # noqa: E402
from docs_section import write_section  # noqa: E402
from run_benchmarks import cpu_description  # noqa: E402

MARKER = "<!-- fp16 benchmark results: written by benchmarks/run_fp16_benchmark.py -->"
END = "<!-- end of fp16 benchmark results -->"
ENGINES = ("paso fp16", "paso fp32", "ort fp32")
SUITE = "resnet18,resnet50,mobilenetv2,squeezenet11,transformer"
# The real models and the input shape they are compiled and timed at.
REAL = {"pp-ocr-rec": (real_models.RECOGNISER, (1, 3, 48, 320)),
        "pp-ocr-cls": (real_models.CLASSIFIER, (1, 3, 48, 192))}


def feeds_for(inputs, seed=0):
    """Random inputs for (name, dtype, shape) triples."""
    rng = np.random.default_rng(seed)
    return {name: (rng.integers(0, 1000, shape).astype(dtype)
                   if np.issubdtype(np.dtype(dtype), np.integer) else
                   rng.standard_normal(shape).astype(dtype))
            for name, dtype, shape in inputs}


def worker(job):
    backend, precision = job["engine"].split()
    threads = job["threads"]
    inputs = [(n, d, tuple(s)) for n, d, s in job["inputs"]]
    feeds = feeds_for(inputs)
    if backend == "paso":
        model = paso.load(job["so_" + precision])
        model.set_num_threads(threads)
        run = lambda: model.run(feeds)  # noqa: E731
    else:
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(job["onnx"], options,
                                       providers=["CPUExecutionProvider"])
        run = lambda: session.run(None, feeds)  # noqa: E731
    for _ in range(3):
        run()
    times = []
    for _ in range(job["reps"]):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def first_output(model, feeds):
    return list(model.run(feeds).values())[0].astype(np.float64)


def accuracy(name, fp32, fp16, inputs):
    """SQNR (dB) of fp16 against fp32 on the benchmark input, and for the
    real models the share of top-1 decisions kept on real crops."""
    feeds = feeds_for(inputs)
    want, got = first_output(fp32, feeds), first_output(fp16, feeds)
    sqnr = 10 * math.log10(np.sum(want ** 2) / max(np.sum((want - got) ** 2),
                                                   1e-30))
    if name not in REAL:
        return sqnr, None
    samples = (real_models.recogniser_samples() if name == "pp-ocr-rec"
               else real_models.classifier_samples())[1]
    kept = [np.mean(first_output(fp32, {"x": s}).argmax(-1) ==
                    first_output(fp16, {"x": s}).argmax(-1)) for s in samples]
    return sqnr, float(np.mean(kept))


def prepare(name, tmp):
    """(onnx path, {precision: .so}, inputs) for a suite or real model."""
    shapes = None
    if name in REAL:
        path = real_models.model_path(REAL[name][0])
        shapes = {"x": REAL[name][1]}
    else:
        path = model_suite.write_suite(tmp, [name])[0]
    sos = {}
    for precision in ("fp32", "fp16"):
        out = os.path.join(tmp, f"{name}.{precision}.so")
        sos[precision] = paso.compile(
            path, output=out, input_shapes=shapes,
            quantize="fp16" if precision == "fp16" else None)
    model = paso.load(sos["fp32"])
    inputs = [(i.name, np.dtype(i.dtype).name, list(i.shape))
              for i in model.inputs]
    return path, sos, inputs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=SUITE + ",pp-ocr-rec,pp-ocr-cls")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--threads", default=f"1,{os.cpu_count()}")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    threads_list = [int(t) for t in args.threads.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            onnx_path, sos, inputs = prepare(name, tmp)
            sqnr, kept = accuracy(name, paso.load(sos["fp32"]),
                                  paso.load(sos["fp16"]), inputs)
            for threads in threads_list:
                times = {e: [] for e in ENGINES}
                for _ in range(args.rounds):
                    for engine in ENGINES:
                        job = dict(engine=engine, threads=threads,
                                   onnx=onnx_path, so_fp16=sos["fp16"],
                                   so_fp32=sos["fp32"], inputs=inputs,
                                   reps=args.reps)
                        out = subprocess.run(
                            [sys.executable, __file__, "--worker",
                             json.dumps(job)],
                            capture_output=True, text=True, check=True)
                        times[engine] += json.loads(out.stdout)
                ms = {e: float(np.median(t)) * 1e3 for e, t in times.items()}
                rows.append((name, threads, ms, sqnr, kept))
                print(f"{name:13s} threads={threads} fp16 {ms['paso fp16']:8.2f} ms  "
                      f"fp32 {ms['paso fp32']:8.2f} ms  ort {ms['ort fp32']:8.2f} ms  "
                      f"speed-up {ms['paso fp32'] / ms['paso fp16']:5.2f}x  "
                      f"fp16/ort {ms['paso fp16'] / ms['ort fp32']:5.2f}  "
                      f"SQNR {sqnr:5.1f} dB"
                      + (f"  top-1 kept {100 * kept:5.1f}%" if kept is not None
                         else ""), flush=True)
    cpu, _, flags = cpu_description()
    lines = [f"Run {datetime.date.today()} on {cpu} ({os.cpu_count()} cores, "
             f"{'AVX512-FP16' if 'avx512_fp16' in flags else 'no AVX512-FP16'}); "
             f"each engine in its own process, {args.rounds} alternating "
             f"rounds of {args.reps} runs after a warm-up, medians. SQNR: "
             "PASO fp16 against PASO fp32 on the timed input; top-1 kept: "
             "real page crops (paso.real_models).", "",
             "| model | threads | PASO fp16 ms | PASO fp32 ms | ORT fp32 ms | fp16 speed-up | PASO fp16 / ORT fp32 | SQNR dB | top-1 kept |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, threads, ms, sqnr, kept in rows:
        lines.append(
            f"| {name} | {threads} | {ms['paso fp16']:.2f} | "
            f"{ms['paso fp32']:.2f} | {ms['ort fp32']:.2f} | "
            f"{ms['paso fp32'] / ms['paso fp16']:.2f}x | "
            f"{ms['paso fp16'] / ms['ort fp32']:.2f} | {sqnr:.1f} | "
            + (f"{100 * kept:.1f}% |" if kept is not None else "- |"))
    for threads in threads_list:
        sel = [r for r in rows if r[1] == threads]
        speedup = math.exp(sum(math.log(r[2]["paso fp32"] / r[2]["paso fp16"])
                               for r in sel) / len(sel))
        vs_ort = math.exp(sum(math.log(r[2]["paso fp16"] / r[2]["ort fp32"])
                              for r in sel) / len(sel))
        lines += ["", f"Geomean at {threads} thread(s): fp16 speed-up over "
                      f"PASO fp32 {speedup:.2f}x, PASO fp16 / ORT fp32 "
                      f"{vs_ort:.2f}"]
        print(lines[-1])
    if args.write_docs:
        write_section(MARKER, END, "fp16", lines,
                      before="<!-- benchmark results:")
    return 0


if __name__ == "__main__":
    sys.exit(main())
