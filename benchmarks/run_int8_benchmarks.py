"""Int8 latency: PASO int8, PASO fp32 and ONNX Runtime int8, side by side.

    python benchmarks/run_int8_benchmarks.py [--models a,b] [--reps N]
                                             [--threads 1,2] [--write-docs]

Each suite model is pre-processed (quant_pre_process) and quantised by
ONNX Runtime's own quantize_static (QDQ,
per-channel int8 weights, int8 activations, fixed random calibration data);
PASO compiles that file for the host, and the float model for its fp32
baseline. The three run the same inputs with the same thread count,
alternating run by run after a warm-up. Reports medians, PASO int8 / ORT
int8, PASO fp32 / PASO int8 (the int8 speed-up) and geomeans. A second
table does the same for ONNX Runtime's quantize_dynamic (int8 weights,
activations quantised per inference) of the models with matrix products.
--write-docs rewrites the int8 section of docs/performance.md. A benchmark,
not a test: it asserts nothing.
"""
import argparse
import datetime
import math
import os
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                      QuantType, quantize_dynamic,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, HERE)
import paso  # noqa: E402
from paso import model_suite  # noqa: E402
from run_benchmarks import cpu_description  # noqa: E402
from docs_section import write_section  # noqa: E402

MARKER = "<!-- int8 benchmark results: written by benchmarks/run_int8_benchmarks.py -->"
END = "<!-- end of int8 benchmark results -->"
DEFAULT_MODELS = "mlp,transformer,mobilenetv2,resnet18,resnet50,squeezenet11"
# quantize_dynamic's weight type per model: ONNX Runtime runs ConvInteger
# only with uint8 weights.
DYNAMIC_MODELS = {"mlp": QuantType.QInt8, "transformer": QuantType.QInt8,
                  "squeezenet11": QuantType.QUInt8}


def random_feeds(model, seed):
    rng = np.random.default_rng(seed)
    feeds = {}
    for info in model.graph.input:
        tensor = info.type.tensor_type
        shape = [d.dim_value or 1 for d in tensor.shape.dim]
        if tensor.elem_type == onnx.TensorProto.INT64:
            feeds[info.name] = rng.integers(0, 1000, shape).astype(np.int64)
        else:
            feeds[info.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


class Calibration(CalibrationDataReader):
    def __init__(self, model, count=8):
        self.batches = iter([random_feeds(model, 100 + i) for i in range(count)])

    def get_next(self):
        return next(self.batches, None)


def ort_session(path, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(path, options,
                                providers=["CPUExecutionProvider"])


def bench(runners, feeds, reps):
    """Median seconds of each runner, alternating run by run."""
    for run in runners:
        run(feeds)
    times = [[] for _ in runners]
    for _ in range(reps):
        for i, run in enumerate(runners):
            start = time.perf_counter()
            run(feeds)
            times[i].append(time.perf_counter() - start)
    return [float(np.median(t)) for t in times]


def side_by_side(quantized_path, float_path, feeds, threads_list, reps, tmp):
    """(threads, PASO quantised, PASO fp32, ORT quantised) median seconds
    for each thread count, the three alternating run by run."""
    stem = os.path.join(tmp, os.path.basename(quantized_path))
    paso_quantized = paso.load(paso.compile(quantized_path,
                                            output=stem + ".so"))
    paso_fp32 = paso.load(paso.compile(float_path, output=stem + ".f32.so"))
    results = []
    for threads in threads_list:
        paso_quantized.set_num_threads(threads)
        paso_fp32.set_num_threads(threads)
        session = ort_session(quantized_path, threads)
        results.append((threads, *bench([paso_quantized.run, paso_fp32.run,
                                         lambda f: session.run(None, f)],
                                        feeds, reps)))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=DEFAULT_MODELS)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--threads", default=f"1,{os.cpu_count()}")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    threads_list = [int(t) for t in args.threads.split(",")]
    rows, dynamic_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name, weights in DYNAMIC_MODELS.items():
            float_path = model_suite.write_suite(tmp, [name])[0]
            dynamic_path = os.path.join(tmp, f"{name}.dynamic.onnx")
            quantize_dynamic(float_path, dynamic_path, weight_type=weights)
            feeds = random_feeds(onnx.load(float_path), 0)
            # Tens of microseconds a run: many more runs for a stable median.
            for threads, pd, pf, od in side_by_side(
                    dynamic_path, float_path, feeds, threads_list,
                    max(args.reps, 300), tmp):
                dynamic_rows.append((name, threads, pd * 1e3, pf * 1e3,
                                     od * 1e3))
                print(f"{name:13s} threads={threads} dynamic: paso {pd*1e3:8.3f} ms  "
                      f"paso fp32 {pf*1e3:8.3f} ms  ort {od*1e3:8.3f} ms  "
                      f"paso/ort {pd/od:5.2f}", flush=True)
        for name in args.models.split(","):
            float_path = model_suite.write_suite(tmp, [name])[0]
            model = onnx.load(float_path)
            int8_path = os.path.join(tmp, f"{name}.int8.onnx")
            # ONNX Runtime's recommended flow: pre-processing (batch norms
            # folded, shapes inferred), then quantisation.
            pre_path = os.path.join(tmp, f"{name}.pre.onnx")
            quant_pre_process(float_path, pre_path)
            quantize_static(pre_path, int8_path, Calibration(model),
                            quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QInt8,
                            weight_type=QuantType.QInt8)
            feeds = random_feeds(model, 0)
            for threads, pi, pf, oi in side_by_side(
                    int8_path, float_path, feeds, threads_list, args.reps,
                    tmp):
                rows.append((name, threads, pi * 1e3, pf * 1e3, oi * 1e3))
                print(f"{name:13s} threads={threads} paso int8 {pi*1e3:8.2f} ms  "
                      f"paso fp32 {pf*1e3:8.2f} ms  ort int8 {oi*1e3:8.2f} ms  "
                      f"int8/ort {pi/oi:5.2f}  fp32/int8 {pf/pi:5.2f}",
                      flush=True)
    cpu, mhz, flags = cpu_description()
    lines = [f"Run {datetime.date.today()} on {cpu} ({os.cpu_count()} cores, "
             f"{'VNNI' if 'avx512_vnni' in flags else 'no VNNI'}), "
             f"onnxruntime {ort.__version__}; models pre-processed by "
             "quant_pre_process and quantised by quantize_static (QDQ, "
             "per-channel S8S8); median of "
             f"{args.reps} alternating runs after a warm-up.", "",
             "| model | threads | PASO int8 ms | PASO fp32 ms | ORT int8 ms | PASO int8 / ORT int8 | PASO fp32 / PASO int8 |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.2f} | "
                     f"{r[2] / r[4]:.2f} | {r[3] / r[2]:.2f} |")
    for threads in threads_list:
        sel = [r for r in rows if r[1] == threads]
        vs_ort = math.exp(sum(math.log(r[2] / r[4]) for r in sel) / len(sel))
        speedup = math.exp(sum(math.log(r[3] / r[2]) for r in sel) / len(sel))
        lines.append("")
        lines.append(f"Geomean at {threads} thread(s): PASO int8 / ORT int8 "
                     f"{vs_ort:.2f}, int8 speed-up over PASO fp32 {speedup:.2f}x")
        print(lines[-1])
    lines += ["", "ONNX Runtime's quantize_dynamic (weights per tensor, QInt8 "
              "for the products, QUInt8 for SqueezeNet's ConvInteger; "
              "activations quantised per inference), same runs:", "",
              "| model | threads | PASO dynamic ms | PASO fp32 ms | ORT dynamic ms | PASO / ORT |",
              "|---|---|---|---|---|---|"]
    for r in dynamic_rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]:.3f} | {r[3]:.3f} | "
                     f"{r[4]:.3f} | {r[2] / r[4]:.2f} |")
    if args.write_docs:
        # Before the fp32 results, which run_benchmarks.py rewrites to the
        # end of the file.
        write_section(MARKER, END, "Int8", lines,
                      before="<!-- benchmark results:")
    return 0


if __name__ == "__main__":
    sys.exit(main())
