"""The Edge TPU back end on the model suite and the real PP-OCR models:
how much of each maps, how accurate the .tflite is, and (as a sanity
check only: there is no Edge TPU here) how fast LiteRT's CPU kernels run
it beside PASO's own int8 .so of the same quantisation.

    python benchmarks/run_edgetpu_report.py [--models a,b] [--runs N]
                                            [--write-docs]

Each model is compiled with `-target=T --quantize=int8` where T is the
host with an Edge TPU attached (`{"base": "host", "accelerator":
"edgetpu"}`): the .tflite is what `-target=coral` writes, and the CPU part
of a cut runs here. Accuracy against ONNX Runtime fp32: output SQNR on 4
random inputs for the random-weight suite models, top-1 agreement on the
evaluation crops for the PP-OCR models. --write-docs rewrites the section
of docs/edgetpu.md. A benchmark, not a test: it asserts nothing.
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, HERE)
import paso  # noqa: E402
from paso import model_suite, real_models  # noqa: E402
from paso.tflite import EdgeTpuModel  # noqa: E402
from docs_section import write_section  # noqa: E402

MARKER = "<!-- edgetpu results: written by benchmarks/run_edgetpu_report.py -->"
END = "<!-- end of edgetpu results -->"
DOCS = os.path.join(ROOT, "docs", "edgetpu.md")
DEFAULT_MODELS = ("resnet18,resnet50,mobilenetv2,squeezenet11,"
                  "mobilenetv3_blocks,ocr-classifier,ocr-recogniser")
OCR = {"ocr-classifier": (real_models.CLASSIFIER, (1, 3, 48, 192),
                          real_models.classifier_samples),
       "ocr-recogniser": (real_models.RECOGNISER, (1, 3, 48, 320),
                          real_models.recogniser_samples)}


def prepare(name, tmp):
    """(model path, input shape, calibration array, evaluation inputs,
    accuracy kind)."""
    if name in OCR:
        file, shape, samples = OCR[name]
        calibration, evaluation = samples()
        return (real_models.model_path(file), shape, calibration,
                list(evaluation), "top1")
    path = os.path.join(tmp, f"{name}.onnx")
    if name == "mobilenetv3_blocks":
        onnx.save(model_suite.mobilenetv3_blocks(), path)
    else:
        path = model_suite.write_suite(tmp, [name])[0]
    dims = onnx.load(path).graph.input[0].type.tensor_type.shape.dim
    shape = (1,) + tuple(d.dim_value for d in dims[1:])
    rng = np.random.default_rng(0)
    calibration = rng.standard_normal((8, *shape)).astype(np.float32)
    evaluation = [rng.standard_normal(shape).astype(np.float32)
                  for _ in range(4)]
    return path, shape, calibration, evaluation, "sqnr"


def accuracy(kind, references, outputs):
    assert all(r.shape == o.shape for r, o in zip(references, outputs))
    if kind == "top1":
        same = sum(int((r.argmax(-1) == o.argmax(-1)).sum())
                   for r, o in zip(references, outputs))
        total = sum(r.argmax(-1).size for r in references)
        return f"{100.0 * same / total:.1f}% top-1"
    signal = sum(float((r.astype(np.float64) ** 2).sum()) for r in references)
    noise = sum(float(((r - o) ** 2).sum()) for r, o in zip(references, outputs))
    return f"{10 * np.log10(signal / noise):.1f} dB"


def litert_ms(path, runs):
    # One core, as paso-run --threads 1 uses.
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    from ai_edge_litert.interpreter import Interpreter
    interpreter = Interpreter(model_path=path, num_threads=1)
    interpreter.allocate_tensors()
    for detail in interpreter.get_input_details():
        interpreter.set_tensor(detail["index"], np.zeros(
            detail["shape"], detail["dtype"]))
    interpreter.invoke()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        interpreter.invoke()
        times.append((time.perf_counter() - start) * 1e3)
    os.sched_setaffinity(0, cores)
    return float(np.median(times))


def paso_ms(so, runs):
    result = subprocess.run([paso.find_paso_run(), so, "--threads", "1",
                             "--bench", str(runs)],
                            capture_output=True, text=True, check=True)
    return float(re.search(r"median ([0-9.]+) ms", result.stdout).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=DEFAULT_MODELS)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, "host-edgetpu.json")
        with open(target, "w") as f:
            json.dump({"base": "host", "name": "host-with-edgetpu",
                       "accelerator": "edgetpu"}, f)
        for name in args.models.split(","):
            path, shape, calibration, evaluation, kind = prepare(name, tmp)
            input_name = onnx.load(path).graph.input[0].name
            data = os.path.join(tmp, f"{name}.npz")
            np.savez(data, **{input_name: calibration})
            shapes = {input_name: shape} if name in OCR else None
            tfl = os.path.join(tmp, f"{name}.tflite")
            report = os.path.join(tmp, f"{name}.json")
            start = time.perf_counter()
            paso.compile(path, target=target, output=tfl, input_shapes=shapes,
                         quantize="int8", calibration_data=data,
                         extra_args=[f"--report={report}"])
            seconds = time.perf_counter() - start
            edgetpu = json.load(open(report))["edgetpu"]
            # Not <name>.so: that is the CPU part of a cut, beside the file.
            so = paso.compile(path, target=target, input_shapes=shapes,
                              output=os.path.join(tmp, f"{name}.whole.so"),
                              quantize="int8", calibration_data=data)
            session = ort.InferenceSession(path,
                                           providers=["CPUExecutionProvider"])
            pair = EdgeTpuModel(tfl)
            own = paso.load(so)
            refs, got, mine = [], [], []
            for x in evaluation:
                refs.append(session.run(None, {input_name: x})[0])
                got.append(list(pair.run_float({input_name: x}).values())[0])
                mine.append(list(own.run({input_name: x}).values())[0])
            cut = edgetpu["cut"] or "-"
            cut = cut.split(":")[0] + (" (CPU .so after it)"
                                       if edgetpu["cpu_library"] else "")
            row = dict(name=name, ops=edgetpu["ops"] - (1 if edgetpu[
                "cpu_library"] else 0), mapped=edgetpu["mapped_ops"],
                cut=cut, kb=edgetpu["bytes"] / 1024, seconds=seconds,
                tflite=accuracy(kind, refs, got),
                paso=accuracy(kind, refs, mine),
                litert=litert_ms(tfl, args.runs), paso_ms=paso_ms(so, args.runs))
            rows.append(row)
            print(row, flush=True)
    lines = [f"Run {datetime.date.today()} with `python "
             "benchmarks/run_edgetpu_report.py --write-docs`. Accuracy "
             "against ONNX Runtime fp32 (SQNR on 4 random inputs for the "
             "random-weight models; top-1 agreement on the evaluation crops "
             "for PP-OCR's real models and photographed page). Times: one "
             "thread of this host, LiteRT's CPU kernels on the .tflite "
             "(the TFLite part only, after a cut; XNNPACK, which uses this "
             "host's AMX-INT8 tiles) beside PASO's own int8 .so of the same "
             "quantisation (AVX-512 VNNI, no AMX); no Edge TPU is attached, "
             "so they check that the file runs, not how fast the TPU "
             "would.",
             "",
             "| model | TFLite ops | on the Edge TPU | cut | size KiB | compile s | .tflite accuracy | PASO int8 .so accuracy | LiteRT CPU ms | PASO int8 ms |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['ops']} | {r['mapped']} | "
                     f"{r['cut']} | {r['kb']:.0f} | {r['seconds']:.1f} | "
                     f"{r['tflite']} | {r['paso']} | {r['litert']:.2f} | "
                     f"{r['paso_ms']:.2f} |")
    print("\n".join(lines))
    if args.write_docs:
        write_section(MARKER, END, "Measured", lines, path=DOCS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
