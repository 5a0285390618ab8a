"""Camera frame -> model output: PASO's fused --preprocess pipeline against
pre-processing in numpy or OpenCV followed by the model (PASO or ONNX
Runtime).

    python benchmarks/run_preprocess_benchmark.py [--rounds N] [--reps N]
        [--threads 1,2] [--model mobilenetv2] [--write-docs]

The frame is 640x480 (NV12, as a Raspberry Pi camera delivers it, and
packed RGB); the model takes 1x3x224x224 with ImageNet normalisation. Every
engine runs in its own process, a fresh one per round, rounds alternating
between engines; each process warms up, then times `--reps` frames. Medians
over all timed frames; ratios against the fused PASO model. "paso model
alone" is the model on an image prepared beforehand: the fused time minus
it is what the pre-processing costs inside the model. The OpenCV
rows need `pip install opencv-python-headless` (4.10.0.84 was used; it is
not a test dependency) and are left out without it. A benchmark, not a
test: it asserts nothing. It also prints how far each engine's output is
from the fused model's, relative to the output's largest magnitude
(numpy's is fp32 rounding; OpenCV converts and resizes in fixed point).
"""
import argparse
import datetime
import json
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

WIDTH, HEIGHT, SIZE = 640, 480, 224
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
MARKER = ("<!-- preprocess benchmark results: written by "
          "benchmarks/run_preprocess_benchmark.py -->")
END = "<!-- end of preprocess benchmark results -->"


def spec(fmt):
    return (f"frame={WIDTH}x{HEIGHT},format={fmt},mean=imagenet,"
            "std=imagenet")


def frame(fmt):
    rng = np.random.default_rng(0)
    if fmt == "nv12":
        return rng.integers(0, 256, (HEIGHT * 3 // 2, WIDTH), dtype=np.uint8)
    return rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)


def _bilinear_taps(n, size):
    source = np.maximum((np.arange(n) + 0.5) * (size / n) - 0.5, 0)
    low = np.minimum(np.floor(source).astype(np.intp), size - 1)
    high = np.minimum(low + 1, size - 1)
    return low, high, (source - low).astype(np.float32)


Y0, Y1, AY = _bilinear_taps(SIZE, HEIGHT)
X0, X1, AX = _bilinear_taps(SIZE, WIDTH)


def numpy_preprocess(data, fmt):
    """What a numpy user writes: BT.601 NV12 -> RGB on the whole frame,
    bilinear resize by gathers, normalise, HWC -> NCHW."""
    if fmt == "nv12":
        y = (data[:HEIGHT].astype(np.float32) - 16) * (255 / 219)
        uv = data[HEIGHT:].reshape(HEIGHT // 2, WIDTH // 2, 2)
        uv = (uv.astype(np.float32) - 128) * (255 / 224)
        uv = uv.repeat(2, axis=0).repeat(2, axis=1)
        u, v = uv[..., 0], uv[..., 1]
        rgb = np.stack([y + 1.402 * v, y - 0.344136 * u - 0.714136 * v,
                        y + 1.772 * u], axis=-1)
        np.clip(rgb, 0, 255, out=rgb)
    else:
        rgb = data.astype(np.float32)
    ax = AX[None, :, None]
    top = rgb[Y0][:, X0] * (1 - ax) + rgb[Y0][:, X1] * ax
    bottom = rgb[Y1][:, X0] * (1 - ax) + rgb[Y1][:, X1] * ax
    image = top * (1 - AY[:, None, None]) + bottom * AY[:, None, None]
    image = (image * (1 / 255) - MEAN) / STD
    return np.ascontiguousarray(image.transpose(2, 0, 1)[None])


def opencv_preprocess(data, fmt):
    import cv2
    rgb = cv2.cvtColor(data, cv2.COLOR_YUV2RGB_NV12) if fmt == "nv12" else data
    image = cv2.resize(rgb, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
    image = (image.astype(np.float32) * (1 / 255) - MEAN) / STD
    return np.ascontiguousarray(image.transpose(2, 0, 1)[None])


def worker(engine, fmt, paths, threads, reps):
    """Runs in its own process: returns (per-frame seconds, output)."""
    data = frame(fmt)
    if engine == "paso model alone":
        # The reference point: the model on an already prepared image, so
        # that fused - alone is what the pre-processing costs inside it.
        model = paso.load(paths["plain"])
        model.set_num_threads(threads)
        name = model.inputs[0].name
        image = numpy_preprocess(data, fmt)
        run = lambda: model.run({name: image})  # noqa: E731
    elif engine == "paso fused":
        model = paso.load(paths["fused_" + fmt])
        model.set_num_threads(threads)
        name = model.inputs[0].name
        run = lambda: model.run({name: data})  # noqa: E731
    else:
        pre, backend = engine.split(" + ")
        preprocess = numpy_preprocess if pre == "numpy" else opencv_preprocess
        if pre == "opencv":
            import cv2
            cv2.setNumThreads(threads)
        if backend == "paso":
            model = paso.load(paths["plain"])
            model.set_num_threads(threads)
            name = model.inputs[0].name
            run = lambda: model.run({name: preprocess(data, fmt)})  # noqa: E731
        else:
            import onnxruntime as ort
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(paths["onnx"], options,
                                           providers=["CPUExecutionProvider"])
            name = session.get_inputs()[0].name
            run = lambda: dict(zip(  # noqa: E731
                [o.name for o in session.get_outputs()],
                session.run(None, {name: preprocess(data, fmt)})))
    for _ in range(3):
        out = run()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return times, next(iter(out.values()))


def engines():
    names = ["paso fused", "paso model alone", "numpy + paso", "numpy + ort"]
    try:
        import cv2  # noqa: F401
        names += ["opencv + paso", "opencv + ort"]
    except ImportError:
        print("(no cv2: the OpenCV rows are left out)", file=sys.stderr)
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--threads", default=f"1,{os.cpu_count()}")
    parser.add_argument("--model", default="mobilenetv2")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        job = json.loads(args.worker)
        times, out = worker(job["engine"], job["format"], job["paths"],
                            job["threads"], job["reps"])
        np.save(job["output"], out)
        print(json.dumps(times))
        return

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = os.path.join(tmp, f"{args.model}.onnx")
        model_suite.write_suite(tmp, [args.model])
        paths = {"onnx": onnx_path,
                 "plain": paso.compile(onnx_path,
                                       output=os.path.join(tmp, "plain.so"))}
        for fmt in ("nv12", "rgb"):
            paths["fused_" + fmt] = paso.compile(
                onnx_path, output=os.path.join(tmp, f"fused_{fmt}.so"),
                preprocess=spec(fmt))
        for fmt in ("nv12", "rgb"):
            for threads in [int(t) for t in args.threads.split(",")]:
                times = {engine: [] for engine in engines()}
                outputs = {}
                for _ in range(args.rounds):
                    for engine in times:
                        job = dict(engine=engine, format=fmt, paths=paths,
                                   threads=threads, reps=args.reps,
                                   output=os.path.join(tmp, "out.npy"))
                        result = subprocess.run(
                            [sys.executable, __file__, "--worker",
                             json.dumps(job)],
                            capture_output=True, text=True, check=True)
                        times[engine] += json.loads(result.stdout)
                        outputs[engine] = np.load(job["output"])
                fused = float(np.median(times["paso fused"]))
                for engine, samples in times.items():
                    median = float(np.median(samples))
                    # Relative to the output's largest magnitude.
                    diff = float(np.abs(outputs[engine] -
                                        outputs["paso fused"]).max() /
                                 np.abs(outputs["paso fused"]).max())
                    rows.append((fmt, threads, engine, median * 1e3,
                                 median / fused, diff))
                    print(f"{fmt:5} {threads}T {engine:14} "
                          f"{median * 1e3:8.2f} ms  x{median / fused:5.2f}"
                          f"  max |out - fused| / max |fused| {diff:.1e}", flush=True)
    if args.write_docs:
        write_docs(rows, args)


def write_docs(rows, args):
    lines = [f"Measured {datetime.date.today()} with `python "
             f"benchmarks/run_preprocess_benchmark.py --rounds "
             f"{args.rounds} --reps {args.reps}` on this host: a 640x480 "
             f"frame to {args.model}'s output, median ms per frame, and the "
             "ratio to the fused model (lower is faster).", "",
             "| frame | threads | engine | ms / frame | vs fused | "
             "output difference to fused (max abs / max abs of output) |",
             "|---|---|---|---|---|---|"]
    for fmt, threads, engine, ms, ratio, diff in rows:
        lines.append(f"| {fmt} | {threads} | {engine} | {ms:.2f} | "
                     f"{ratio:.2f} | {diff:.1e} |")
    write_section(MARKER, END, "Camera pre-processing (--preprocess)", lines)


if __name__ == "__main__":
    main()
