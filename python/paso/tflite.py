"""Runs the .tflite files paso-opt writes for the Edge TPU, through LiteRT
(`pip install ai-edge-litert`), with paso.Model's interface: int8 NHWC
tensors in and out, each with its scale and zero point. On a Coral board
the Edge TPU runtime runs the same file; here LiteRT's CPU kernels do, to
compare (docs/edgetpu.md).

    model = paso.load("model.tflite")
    outputs = model.run({"input": int8_nhwc_array})

When the graph was cut (docs/edgetpu.md), `EdgeTpuModel` runs the .tflite
and the CPU .so beside it in order, and `run_float` takes and returns the
ONNX model's float NCHW tensors:

    pair = paso.tflite.EdgeTpuModel("model.tflite")
    outputs = pair.run_float({"input": float_nchw_array})

    python -m paso.tflite model.tflite [--input NAME=FILE.npy ...]
                          [--output-dir DIR] [--bench N] [--seed S]
"""
import argparse
import os
import sys
import time

import numpy as np

from .runtime import TensorInfo


def _interpreter(path):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as error:
        raise ImportError("running a .tflite needs LiteRT: pip install "
                          "ai-edge-litert") from error
    return Interpreter(model_path=str(path))


def _info(detail):
    scale, zero_point = detail["quantization"]
    dtype = np.dtype(detail["dtype"])
    quantised = scale != 0 and dtype in (np.int8, np.uint8)
    shape = tuple(int(d) for d in detail["shape"])
    return TensorInfo(detail["name"], dtype, shape,
                      int(np.prod(shape)) * dtype.itemsize,
                      float(scale) if quantised else None,
                      int(zero_point) if quantised else None)


class TFLiteModel:
    """A .tflite file loaded in LiteRT, run like a paso.Model."""

    def __init__(self, path):
        self.path = str(path)
        self._interpreter = _interpreter(path)
        self._interpreter.allocate_tensors()
        self._inputs = self._interpreter.get_input_details()
        self._outputs = self._interpreter.get_output_details()
        self.inputs = [_info(d) for d in self._inputs]
        self.outputs = [_info(d) for d in self._outputs]

    def run(self, feeds):
        for detail, info in zip(self._inputs, self.inputs):
            if info.name not in feeds:
                raise KeyError(f"missing input '{info.name}'")
            array = np.asarray(feeds[info.name])
            if array.dtype != info.dtype or array.shape != info.shape:
                raise ValueError(f"input '{info.name}' needs {info.dtype} "
                                 f"{info.shape}, got {array.dtype} "
                                 f"{array.shape}")
            self._interpreter.set_tensor(detail["index"], array)
        self._interpreter.invoke()
        return {info.name: self._interpreter.get_tensor(detail["index"])
                for detail, info in zip(self._outputs, self.outputs)}


class EdgeTpuModel:
    """The .tflite and, when paso-opt cut the graph, the CPU part it wrote
    beside it (same name, .so; its inputs are the .tflite's outputs), run
    in order."""

    def __init__(self, tflite_path, cpu_path=None):
        from .runtime import Model
        self.tflite = TFLiteModel(tflite_path)
        if cpu_path is None:
            beside = os.path.splitext(str(tflite_path))[0] + ".so"
            cpu_path = beside if os.path.exists(beside) else None
        try:
            self.cpu = Model(cpu_path) if cpu_path else None
        except OSError as error:
            raise OSError(f"{cpu_path}, the CPU part after the cut, does not "
                          f"load here ({error}); it is built for the "
                          "target's CPU: run the pair on the board, or "
                          "compile for a host target to run it here") from None
        if self.cpu is not None:
            produced = {(i.name, i.shape) for i in self.tflite.outputs}
            if not {(i.name, i.shape) for i in self.cpu.inputs} <= produced:
                # A .so of the whole model, not the part after a cut.
                self.cpu = None
        self.inputs = self.tflite.inputs
        self.outputs = (self.cpu or self.tflite).outputs

    def run(self, feeds):
        middle = self.tflite.run(feeds)
        return self.cpu.run(middle) if self.cpu is not None else middle

    def run_float(self, feeds):
        """Float NCHW inputs in, float outputs out (NCHW for images): each
        quantised on its tensor's grid, as a camera pipeline would."""
        quantised = {}
        for info in self.inputs:
            x = np.asarray(feeds[info.name], np.float32)
            if x.ndim == 4:
                x = x.transpose(0, 2, 3, 1)
            info_range = np.iinfo(info.dtype)
            quantised[info.name] = np.clip(
                np.round(x / info.scale) + info.zero_point, info_range.min,
                info_range.max).astype(info.dtype)
        results = {}
        for info, (name, y) in zip(self.outputs, self.run(quantised).items()):
            if info.scale is not None:
                y = (y.astype(np.float32) - info.zero_point) * info.scale
                if y.ndim == 4 and self.cpu is None:
                    y = y.transpose(0, 3, 1, 2)
            results[name] = y
        return results


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="paso-run", description="Runs a .tflite written by paso-opt "
        "through LiteRT; inputs not given are random (seeded).")
    parser.add_argument("model")
    parser.add_argument("--input", action="append", default=[],
                        metavar="NAME=FILE.npy")
    parser.add_argument("--output-dir")
    parser.add_argument("--bench", type=int, default=0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    try:
        model = TFLiteModel(args.model)
    except (ImportError, ValueError) as error:
        print(f"paso-run: error: {args.model}: {error}", file=sys.stderr)
        return 1
    print(f"model '{os.path.basename(args.model)}' (TFLite, LiteRT CPU "
          "kernels)")
    given = {}
    for spec in args.input:
        name, _, path = spec.rpartition("=")
        if not name:
            print(f"paso-run: error: --input expects NAME=FILE.npy, got "
                  f"'{spec}'", file=sys.stderr)
            return 1
        given[name] = np.load(path)
    rng = np.random.default_rng(args.seed)
    feeds = {}
    for info in model.inputs:
        feeds[info.name] = given.get(info.name)
        if feeds[info.name] is None:
            low, high = np.iinfo(info.dtype).min, np.iinfo(info.dtype).max
            feeds[info.name] = rng.integers(low, high + 1, info.shape).astype(
                info.dtype)
    for kind, infos in (("input", model.inputs), ("output", model.outputs)):
        for info in infos:
            print(f"  {kind} {info.name}: {info.dtype} {list(info.shape)}, "
                  f"quantised (scale {info.scale:g}, zero point "
                  f"{info.zero_point})")
    try:
        outputs = model.run(feeds)
    except (KeyError, ValueError) as error:
        print(f"paso-run: error: {error}", file=sys.stderr)
        return 1
    if args.bench:
        times = []
        for _ in range(args.bench):
            start = time.perf_counter()
            model.run(feeds)
            times.append((time.perf_counter() - start) * 1e3)
        print(f"median {np.median(times):.3f} ms, p90 "
              f"{np.percentile(times, 90):.3f} ms over {args.bench} runs")
    for name, array in outputs.items():
        print(f"  {name}: min {array.min()} max {array.max()}")
        if args.output_dir:
            os.makedirs(args.output_dir, exist_ok=True)
            np.save(os.path.join(args.output_dir,
                                 name.replace("/", "_") + ".npy"), array)
    return 0


if __name__ == "__main__":
    sys.exit(main())
