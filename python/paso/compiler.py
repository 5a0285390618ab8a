"""Compile ONNX models with paso-opt from Python.

    paso.compile("model.onnx", target="host", output="model.so")
"""
import os
import shutil
import subprocess
import sys
import tempfile


class CompileError(RuntimeError):
    """paso-opt rejected the model; the message is its diagnostics."""


def _find_tool(name, variable):
    """`name` from $`variable`, the binaries the wheel ships with this
    package, the build tree next to it (a source checkout), or PATH."""
    here = os.path.dirname(__file__)
    candidates = [os.environ.get(variable),
                  os.path.join(here, "bin", name),
                  os.path.join(here, "..", "..", "build", "bin", name),
                  shutil.which(name)]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    raise FileNotFoundError(f"{name} not found; set {variable}, install the "
                            "paso wheel or build PASO")


def find_paso_opt():
    """paso-opt: $PASO_OPT, the wheel's, the build tree's, or PATH's."""
    return _find_tool("paso-opt", "PASO_OPT")


def find_paso_run():
    """paso-run: $PASO_RUN, the wheel's, the build tree's, or PATH's."""
    return _find_tool("paso-run", "PASO_RUN")


def compile(onnx_path, target="host", output=None, input_shapes=None,
            opt_level=3, preprocess=None, quantize=None, calibration_data=None,
            calibration_method=None, accuracy_budget=None, extra_args=()):
    """Compiles `onnx_path`; returns the output path (default: model.so next
    to the model). `input_shapes` maps input names to static shapes;
    `preprocess` is a --preprocess spec (docs/preprocess.md): the model
    then takes uint8 camera frames.

    `quantize` ("int8" or "mixed") quantises the model from
    `calibration_data`; "fp16" (targets with fp16 arithmetic) needs none.
    `calibration_data` is a path (.npz or a directory of them), or an
    iterable of dicts mapping input names to arrays, one dict per sample
    (written to a temporary .npz). `calibration_method` is minmax,
    percentile, entropy or mse; `accuracy_budget` ("sqnr:30", "top1:1")
    bounds --quantize=mixed (docs/quantization.md). It may also be a
    paso.Evaluation: the user's own score of a loaded model, searched over
    paso-opt's mixes in Python (paso/evaluation.py); the target's code must
    then load on this machine."""
    if output is None:
        output = os.path.splitext(str(onnx_path))[0] + ".so"
    from .evaluation import Evaluation
    if isinstance(accuracy_budget, Evaluation):
        if quantize != "mixed":
            raise ValueError("an Evaluation budget needs quantize='mixed'")
        return _compile_evaluated(
            onnx_path, output, accuracy_budget,
            dict(target=target, input_shapes=input_shapes,
                 opt_level=opt_level, preprocess=preprocess,
                 extra_args=extra_args),
            dict(calibration_data=calibration_data,
                 calibration_method=calibration_method))
    args = [find_paso_opt(), str(onnx_path), f"-target={target}",
            f"-O{opt_level}", "-o", str(output)]
    for name, shape in (input_shapes or {}).items():
        args.append(f"--input-shape={name}:{'x'.join(str(d) for d in shape)}")
    if preprocess:
        args.append(f"--preprocess={preprocess}")
    with tempfile.TemporaryDirectory(prefix="paso-calibration-") as scratch:
        if quantize:
            args.append(f"--quantize={quantize}")
            if calibration_data is not None:
                args.append("--calibration-data=" +
                            _calibration_file(calibration_data, scratch))
        if calibration_method:
            args.append(f"--calibration-method={calibration_method}")
        if accuracy_budget:
            args.append(f"--accuracy-budget={accuracy_budget}")
        args.extend(extra_args)
        result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise CompileError(result.stderr.strip())
    return str(output)


def _compile_evaluated(onnx_path, output, evaluation, common, quantising):
    """--quantize=mixed under a user Evaluation (paso/evaluation.py)."""
    from .evaluation import search
    from .runtime import load

    def load_here(path):
        try:
            return load(path)
        except OSError as error:
            raise CompileError(
                f"an Evaluation scores every candidate on this machine, but "
                f"the {common['target']} build does not load here ({error}); "
                "compile for a target this machine runs, or give an "
                "\"sqnr:DB\" or \"top1:PCT\" budget") from None

    with tempfile.TemporaryDirectory(prefix="paso-calibration-") as scratch:
        # Stacked once (an iterable can be read only once); every
        # candidate reads the same file.
        if quantising["calibration_data"] is not None:
            quantising = dict(quantising, calibration_data=_calibration_file(
                quantising["calibration_data"], scratch))

        def compile_one(budget, path):
            if budget is None:
                compile(onnx_path, output=path, **common)
            else:
                compile(onnx_path, output=path, quantize="mixed",
                        accuracy_budget=f"sqnr:{budget}", **common,
                        **quantising)

        budget, score, reference = search(compile_one, load_here, output,
                                          evaluation)
    kept = "the fp32 model" if budget is None else f"the sqnr:{budget} mix"
    sys.stderr.write(f"paso: evaluation kept {kept}: score {score:g} "
                     f"(fp32 {reference:g}, max drop {evaluation.max_drop:g})\n")
    return str(output)


def _calibration_file(data, scratch):
    """A path paso-opt reads: `data` itself when it is one, else the
    samples (dicts of input name -> array) stacked into an .npz."""
    if isinstance(data, (str, os.PathLike)):
        return str(data)
    import numpy as np
    stacked = {}
    count = 0
    for sample in data:
        if not isinstance(sample, dict):
            raise TypeError("calibration_data must yield dicts mapping input "
                            f"names to arrays, got {type(sample).__name__}")
        if count and set(sample) != set(stacked):
            raise ValueError(f"calibration sample {count} has inputs "
                             f"{sorted(sample)}, the first had "
                             f"{sorted(stacked)}")
        for name, value in sample.items():
            stacked.setdefault(name, []).append(np.asarray(value))
        count += 1
    if not count:
        raise ValueError("calibration_data holds no samples")
    path = os.path.join(scratch, "calibration.npz")
    np.savez(path, **{name: np.stack(values) for name, values in stacked.items()})
    return path
