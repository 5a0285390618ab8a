"""PASO: ahead-of-time compiler for ONNX models on edge devices.

    import paso
    so = paso.compile("model.onnx", target="host", output="model.so")
    model = paso.load(so)
    outputs = model.run({"input": array})

`paso.profile(so)` measures every kernel and `paso.calibrate(profiles)`
fits the cost model to those measurements (docs/profiling.md).
`paso.model_suite` writes the model suite the tests and benchmarks use.
"""

from .compiler import CompileError, compile, find_paso_opt, find_paso_run
from .evaluation import Evaluation
from .profiling import calibrate, profile

__version__ = "0.1.0"
__all__ = ["compile", "load", "Model", "TensorInfo", "CompileError",
           "PasoError", "find_paso_opt", "find_paso_run", "profile",
           "calibrate", "Evaluation"]

# The runtime needs numpy; compiling does not, so it loads on first use.
_RUNTIME_NAMES = {"load", "Model", "TensorInfo", "PasoError"}


def __getattr__(name):
    if name in _RUNTIME_NAMES:
        from . import runtime
        return getattr(runtime, name)
    raise AttributeError(f"module 'paso' has no attribute '{name}'")
