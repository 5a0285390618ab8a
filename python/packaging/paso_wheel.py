"""PEP 517 build backend for `pip install .` and `pip wheel .`.

PASO is a CMake project; the wheel is the Python package plus the
binaries it drives (paso/bin/paso-opt, paso/bin/paso-run, and
paso-preprocess-gen for --preprocess where Halide 14 was installed). The backend
builds them with the project's own build (third_party/bootstrap.sh the
first time, an incremental `cmake --build` afterwards; PASO_BUILD_DIR
picks the build directory, default build/) and zips them with the
package. It needs nothing from PyPI. The binaries link the system's
LLVM/MLIR 22, protobuf and onnx libraries, so the wheel is for machines
set up like the one that built it (Debian 12 with those packages); see
docs/build-integration.md.
"""
import base64
import hashlib
import os
import subprocess
import sysconfig
import zipfile

NAME, VERSION = "paso", "0.1.0"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
METADATA = f"""Metadata-Version: 2.1
Name: {NAME}
Version: {VERSION}
Summary: PASO, an ahead-of-time compiler for ONNX models on edge devices
Requires-Python: >=3.9
Requires-Dist: numpy

`paso.compile("model.onnx", target="rpi4", output="model.so")`,
`paso.load(...)`; `python -m paso` is the paso-opt command line.
"""
ENTRY_POINTS = """[console_scripts]
paso-opt = paso.__main__:paso_opt
paso-run = paso.__main__:paso_run
"""


def _build_binaries():
    build = os.environ.get("PASO_BUILD_DIR", os.path.join(ROOT, "build"))
    if not os.path.exists(os.path.join(build, "build.ninja")):
        subprocess.run([os.path.join(ROOT, "third_party", "bootstrap.sh")],
                       check=True, env={**os.environ, "PASO_BUILD_DIR": build})
    subprocess.run(["cmake", "--build", build, "--target", "paso-opt",
                    "paso-run"], check=True)
    # Built by the default target when Halide is there; optional.
    subprocess.run(["cmake", "--build", build, "--target",
                    "paso-preprocess-gen"], capture_output=True)
    return os.path.join(build, "bin")


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return f"{path},sha256={digest.rstrip(b'=').decode()},{len(data)}"


def _tag():
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"py3-none-{platform}"


def build_wheel(wheel_directory, config_settings=None,
                metadata_directory=None):
    bin_dir = _build_binaries()
    files = []  # (archive path, bytes, executable)
    package = os.path.join(ROOT, "python", "paso")
    for name in sorted(os.listdir(package)):
        if name.endswith(".py"):
            with open(os.path.join(package, name), "rb") as f:
                files.append((f"paso/{name}", f.read(), False))
    for tool in ("paso-opt", "paso-run", "paso-preprocess-gen"):
        if tool == "paso-preprocess-gen" and not os.path.exists(
                os.path.join(bin_dir, tool)):
            continue
        with open(os.path.join(bin_dir, tool), "rb") as f:
            files.append((f"paso/bin/{tool}", f.read(), True))
    dist_info = f"{NAME}-{VERSION}.dist-info"
    wheel_text = (f"Wheel-Version: 1.0\nGenerator: paso_wheel\n"
                  f"Root-Is-Purelib: false\nTag: {_tag()}\n")
    files += [(f"{dist_info}/METADATA", METADATA.encode(), False),
              (f"{dist_info}/WHEEL", wheel_text.encode(), False),
              (f"{dist_info}/entry_points.txt", ENTRY_POINTS.encode(), False)]
    name = f"{NAME}-{VERSION}-{_tag()}.whl"
    record = [_record_line(path, data) for path, data, _ in files]
    record.append(f"{dist_info}/RECORD,,")
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w",
                         zipfile.ZIP_DEFLATED) as wheel:
        for path, data, executable in files:
            info = zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0))
            # A regular file (0o100000) with its mode; pip keeps the x bits.
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)
        wheel.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return name


def get_requires_for_build_wheel(config_settings=None):
    return []
