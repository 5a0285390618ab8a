# lit configuration of the PASO regression suite.
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "PASO"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtxt", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.paso_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Utils"]

config.environment["FILECHECK_OPTS"] = "--enable-var-scope"
config.environment["PYTHONPATH"] = os.path.join(config.paso_src_root, "python")

llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.use_default_substitutions()

python = config.python_executable
if not os.path.exists(python):
    lit_config.fatal(
        f"{python} is missing; run third_party/bootstrap.sh to create .venv")
utils = os.path.join(config.paso_src_root, "test", "Utils")
config.substitutions.append(("%venv-python", python))
config.substitutions.append(
    ("%onnx-text", f"{python} {os.path.join(utils, 'onnx_text.py')}"))
config.substitutions.append(("%paso_src", config.paso_src_root))
config.substitutions.append(("%paso_generated", config.paso_generated))
config.substitutions.append(
    ("%onnx-light-models",
     os.path.join(os.path.dirname(os.path.dirname(python)), "lib",
                  "python3.11", "site-packages", "onnx", "backend", "test",
                  "data", "light")))

tool_dirs = [config.paso_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(
    ["paso-opt", "FileCheck", "not", "count", "split-file", "llvm-readelf"],
    tool_dirs)

# ptxas checks the CUDA back end's PTX. CUDA 12's (PyPI's
# nvidia-cuda-nvcc-cu12, in .venv) still compiles for the Jetson chips
# sm_53 and sm_72, which CUDA 13's dropped; without it the PTX tests say
# UNSUPPORTED rather than pass untested.
ptxas = os.path.join(os.path.dirname(os.path.dirname(python)), "lib",
                     "python3.11", "site-packages", "nvidia", "cuda_nvcc",
                     "bin", "ptxas")
if os.path.exists(ptxas):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
