"""The CUDA back end on a machine with an NVIDIA GPU: correctness against
ONNX Runtime and speed, side by side with onnxruntime-gpu where it is
installed. Two steps, because the GPU machine has no PASO build:

    # here: compile the suite for the GPU's chip (x86-64 host code), with
    # the inputs and ONNX Runtime's (CPU) outputs as raw files
    python benchmarks/run_cuda_device.py prepare --sm 90 --out cuda-check

    # on the GPU machine (Python 3 standard library only; onnxruntime-gpu
    # is used when importable): run each model, compare, time
    python3 benchmarks/run_cuda_device.py run cuda-check --json result.json

    # here again: the table in docs/performance.md
    python benchmarks/run_cuda_device.py write-docs result.json

`run` exits 2 with the driver's reason when there is no usable GPU, so a
machine without one says so instead of timing nothing. Speed: each engine
in its own process, rounds alternating, the median of the rounds' medians.
A benchmark, not a test: it asserts nothing about speed.
"""
import argparse
import array
import ctypes
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MARKER = "<!-- cuda results: written by benchmarks/run_cuda_device.py -->"
END = "<!-- end of cuda results -->"
# Small enough to carry to the GPU machine (64 MiB in all).
DEFAULT_MODELS = "mlp,squeezenet11,mobilenetv2,transformer"
NO_GPU = 2


def prepare(args):
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import numpy as np
    import onnxruntime as ort
    from paso import model_suite
    os.makedirs(args.out, exist_ok=True)
    paso_opt = os.path.join(ROOT, "build", "bin", "paso-opt")
    manifest = {"sm": args.sm, "models": []}
    rng = np.random.default_rng(0)
    for name in args.models.split(","):
        onnx_path = os.path.join(args.out, f"{name}.onnx")
        model_suite.write_suite(args.out, [name])
        so = os.path.join(args.out, f"{name}.so")
        subprocess.run([paso_opt, onnx_path, f"-target=cuda-sm_{args.sm}",
                        "-o", so], check=True)
        session = ort.InferenceSession(onnx_path,
                                       providers=["CPUExecutionProvider"])
        feeds, inputs = {}, []
        for index, info in enumerate(session.get_inputs()):
            shape = [d if isinstance(d, int) else 1 for d in info.shape]
            if "int64" in info.type:
                value = rng.integers(0, 1000, shape).astype(np.int64)
            else:
                value = rng.standard_normal(shape).astype(np.float32)
            feeds[info.name] = value
            path = f"{name}.in{index}.bin"
            value.tofile(os.path.join(args.out, path))
            inputs.append({"name": info.name, "file": path,
                           "bytes": value.nbytes})
        outputs = []
        for index, value in enumerate(session.run(None, feeds)):
            path = f"{name}.out{index}.bin"
            value.astype(np.float32).tofile(os.path.join(args.out, path))
            outputs.append({"file": path, "bytes": value.nbytes})
        manifest["models"].append({"name": name, "so": f"{name}.so",
                                   "onnx": f"{name}.onnx", "inputs": inputs,
                                   "outputs": outputs})
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"wrote {args.out}: carry it to the GPU machine and run "
          f"`python3 benchmarks/run_cuda_device.py run {args.out}`")


class Compiled:
    """A model.so through its C ABI (include/paso/Runtime/paso_model.h)."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(os.path.abspath(path))
        self.lib.paso_status_string.restype = ctypes.c_char_p
        self.lib.paso_gpu_error.restype = ctypes.c_char_p
        self.context = ctypes.c_void_p()
        status = self.lib.paso_context_create(ctypes.byref(self.context))
        if status != 0:
            raise RuntimeError(self.describe(status))

    def describe(self, status):
        text = self.lib.paso_status_string(status).decode()
        return f"{text}: {self.lib.paso_gpu_error().decode()}"

    def run(self, inputs, outputs):
        def table(buffers, kind):
            pointers = (ctypes.c_void_p * len(buffers))(
                *[ctypes.cast(b, ctypes.c_void_p) for b in buffers])
            sizes = (ctypes.c_size_t * len(buffers))(
                *[ctypes.sizeof(b) for b in buffers])
            return pointers, sizes
        in_ptrs, in_sizes = table(inputs, "in")
        out_ptrs, out_sizes = table(outputs, "out")
        status = self.lib.paso_run(self.context, in_ptrs, in_sizes, out_ptrs,
                                   out_sizes)
        if status != 0:
            raise RuntimeError(self.describe(status))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def max_relative_error(got, want):
    a, b = array.array("f", got), array.array("f", want)
    scale = max(abs(x) for x in b) or 1.0
    return max(abs(x - y) for x, y in zip(a, b)) / scale


def time_paso(directory, entry, runs):
    """One round in this process: the median milliseconds of `runs`."""
    model = Compiled(os.path.join(directory, entry["so"]))
    inputs = [ctypes.create_string_buffer(read(os.path.join(directory,
                                                            i["file"])))
              for i in entry["inputs"]]
    # create_string_buffer adds a NUL: size the tables by the tensor.
    inputs = [(ctypes.c_char * i["bytes"]).from_buffer(b)
              for i, b in zip(entry["inputs"], inputs)]
    outputs = [ctypes.create_string_buffer(o["bytes"])
               for o in entry["outputs"]]
    outputs = [(ctypes.c_char * o["bytes"]).from_buffer(b)
               for o, b in zip(entry["outputs"], outputs)]
    model.run(inputs, outputs)
    errors = [max_relative_error(bytes(o), read(os.path.join(directory,
                                                             r["file"])))
              for o, r in zip(outputs, entry["outputs"])]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        model.run(inputs, outputs)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), max(errors)


def time_onnxruntime(directory, entry, runs):
    import numpy as np
    import onnxruntime as ort
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return None
    session = ort.InferenceSession(os.path.join(directory, entry["onnx"]),
                                   providers=["CUDAExecutionProvider"])
    feeds = {}
    for info, spec in zip(session.get_inputs(), entry["inputs"]):
        dtype = np.int64 if "int64" in info.type else np.float32
        shape = [d if isinstance(d, int) else 1 for d in info.shape]
        feeds[info.name] = np.fromfile(os.path.join(directory, spec["file"]),
                                       dtype=dtype).reshape(shape)
    session.run(None, feeds)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def one_round(args):
    """A child process: one engine, one model, one round (JSON on stdout)."""
    with open(os.path.join(args.directory, "manifest.json")) as f:
        entry = next(m for m in json.load(f)["models"]
                     if m["name"] == args.model)
    if args.engine == "paso":
        ms, error = time_paso(args.directory, entry, args.runs)
        print(json.dumps({"ms": ms, "error": error}))
    else:
        print(json.dumps({"ms": time_onnxruntime(args.directory, entry,
                                                 args.runs)}))


def run(args):
    with open(os.path.join(args.directory, "manifest.json")) as f:
        manifest = json.load(f)
    # No GPU, no numbers: say why, before timing anything.
    probe = manifest["models"][0]
    try:
        Compiled(os.path.join(args.directory, probe["so"]))
    except RuntimeError as error:
        print(f"no usable CUDA GPU: {error}", file=sys.stderr)
        return NO_GPU
    gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version",
                          "--format=csv,noheader"], capture_output=True,
                         text=True).stdout.strip() or "unknown GPU"
    results = {"gpu": gpu, "sm": manifest["sm"], "host": platform.node(),
               "date": datetime.date.today().isoformat(), "models": []}
    for entry in manifest["models"]:
        rounds = {"paso": [], "onnxruntime": []}
        error = None
        for _ in range(args.rounds):
            for engine in rounds:
                child = subprocess.run(
                    [sys.executable, __file__, "round", args.directory,
                     entry["name"], engine, "--runs", str(args.runs)],
                    capture_output=True, text=True)
                if child.returncode != 0:
                    print(child.stderr, file=sys.stderr)
                    return 1
                measured = json.loads(child.stdout)
                if measured["ms"] is not None:
                    rounds[engine].append(measured["ms"])
                error = measured.get("error", error)
        row = {"model": entry["name"], "max_relative_error": error,
               "paso_ms": statistics.median(rounds["paso"]),
               "onnxruntime_cuda_ms": (statistics.median(rounds["onnxruntime"])
                                       if rounds["onnxruntime"] else None)}
        results["models"].append(row)
        print(json.dumps(row))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


def write_docs(args):
    sys.path.insert(0, HERE)
    from docs_section import write_section
    with open(args.result) as f:
        results = json.load(f)
    lines = [f"{results['gpu']} (sm_{results['sm']}), {results['date']}: "
             "`benchmarks/run_cuda_device.py`, batch 1, medians of "
             "alternating rounds, each engine in its own process.", "",
             "| model | max rel. error vs ORT (CPU) | PASO ms | "
             "ORT CUDA EP ms | PASO / ORT |", "|---|---|---|---|---|"]
    for row in results["models"]:
        ort_ms = row["onnxruntime_cuda_ms"]
        ratio = f"{row['paso_ms'] / ort_ms:.2f}" if ort_ms else "-"
        lines.append(f"| {row['model']} | {row['max_relative_error']:.1e} | "
                     f"{row['paso_ms']:.3f} | "
                     f"{f'{ort_ms:.3f}' if ort_ms else '-'} | {ratio} |")
    write_section(MARKER, END, "CUDA on a GPU", lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--sm", default="90", help="compute capability, 90 for "
                   "sm_90 (H100/H200)")
    p.add_argument("--out", default="cuda-check")
    p.add_argument("--models", default=DEFAULT_MODELS)
    r = sub.add_parser("run")
    r.add_argument("directory")
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--runs", type=int, default=50)
    r.add_argument("--json")
    c = sub.add_parser("round")
    c.add_argument("directory")
    c.add_argument("model")
    c.add_argument("engine", choices=["paso", "onnxruntime"])
    c.add_argument("--runs", type=int, default=50)
    w = sub.add_parser("write-docs")
    w.add_argument("result")
    args = parser.parse_args(argv)
    return {"prepare": prepare, "run": run, "round": one_round,
            "write-docs": write_docs}[args.command](args) or 0


if __name__ == "__main__":
    sys.exit(main())
