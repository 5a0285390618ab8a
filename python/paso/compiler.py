"""Compile ONNX models with paso-opt from Python.

    paso.compile("model.onnx", target="host", output="model.so")
"""
import os
import shutil
import subprocess


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
            opt_level=3, preprocess=None, extra_args=()):
    """Compiles `onnx_path`; returns the output path (default: model.so next
    to the model). `input_shapes` maps input names to static shapes;
    `preprocess` is a --preprocess spec (docs/preprocess.md): the model
    then takes uint8 camera frames."""
    if output is None:
        output = os.path.splitext(str(onnx_path))[0] + ".so"
    args = [find_paso_opt(), str(onnx_path), f"-target={target}",
            f"-O{opt_level}", "-o", str(output)]
    for name, shape in (input_shapes or {}).items():
        args.append(f"--input-shape={name}:{'x'.join(str(d) for d in shape)}")
    if preprocess:
        args.append(f"--preprocess={preprocess}")
    args.extend(extra_args)
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise CompileError(result.stderr.strip())
    return str(output)
