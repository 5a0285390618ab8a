"""The artefact and its C ABI: what model.so links against and exports,
error codes, concurrent contexts, model.h from C, and paso-run."""
import ctypes
import os
import re
import shutil
import subprocess
import threading

import numpy as np
import pytest

import paso
from conftest import ROOT, tool

EXAMPLE = os.path.join(ROOT, "docs", "examples", "tiny_cnn.onnx")
READELF = shutil.which("llvm-readelf-22") or "/usr/lib/llvm-22/bin/llvm-readelf"


@pytest.fixture(scope="module")
def tiny(paso_opt, tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    return paso.compile(EXAMPLE, output=out / "tiny_cnn.so")


def readelf(*args):
    return subprocess.run([READELF, *args], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("target", ["host", "rpi4"])
def test_needs_only_libc_and_libm(paso_opt, tmp_path, target):
    so = paso.compile(EXAMPLE, target=target, output=tmp_path / "m.so")
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*?)\]",
                        readelf("--dynamic", so))
    assert set(needed) <= {"libc.so.6", "libm.so.6"}, needed
    machine = readelf("--file-header", so)
    assert ("AArch64" if target == "rpi4" else "X86-64") in machine


ABI = {"paso_abi_version", "paso_model_name", "paso_target_name",
       "paso_num_inputs", "paso_num_outputs", "paso_input_info",
       "paso_output_info", "paso_arena_size", "paso_context_create",
       "paso_context_destroy", "paso_run", "paso_status_string",
       "paso_set_num_threads", "paso_get_num_threads", "paso_kernel_table",
       "paso_profile_enable", "paso_profile_read", "paso_profile_counters",
       "paso_profile_trace", "paso_uses_gpu", "paso_gpu_error"}


def defined_globals(path, *flags):
    symbols = readelf(*flags, "--wide", path)
    return {line.split()[-1] for line in symbols.splitlines()
            if " GLOBAL " in line and " UND " not in line}


def test_exports_only_the_abi(tiny):
    # The short names and the model's own (tagged by its file name).
    assert defined_globals(tiny, "--dyn-syms") == \
        ABI | {f"tiny_cnn_{name}" for name in ABI}
    # Calls between ABI functions stay inside the model (-Bsymbolic), so a
    # second model exporting the same short names cannot capture them.
    assert "SYMBOLIC" in readelf("--dynamic", tiny)


def test_static_archive_exports_only_tagged_names(paso_opt, tmp_path):
    archive = paso.compile(EXAMPLE, output=tmp_path / "libdet.a",
                           extra_args=["--model-tag=det"])
    assert defined_globals(archive, "--symbols") == \
        {f"det_{name}" for name in ABI}
    header = (tmp_path / "libdet.h").read_text()
    assert "PASO_MODEL_API(det)" in header
    assert "#define paso_run det_paso_run" in header
    assert "#define PASO_DET_INPUT_0_NAME \"image\"" in header


def test_weights_are_read_only(tiny):
    # Every weight global (MLIR names them __constant_*) sits in a section
    # without the write flag.
    flags = {}
    for line in readelf("--sections", "--wide", tiny).splitlines():
        match = re.match(r"\s*\[\s*(\d+)\]\s+(\S+)\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S*)", line)
        if match:
            flags[match.group(1)] = match.group(3)
    weights = [line.split() for line in readelf("--symbols", "--wide", tiny).splitlines()
               if "__constant_" in line]
    assert weights, "no weight globals found"
    for fields in weights:
        section = fields[6]
        assert "W" not in flags[section], fields


def test_interface_and_arena(tiny):
    model = paso.load(tiny)
    assert model.name == "tiny_cnn" and model.target == "host"
    assert [(i.name, i.shape, str(i.dtype)) for i in model.inputs] == [
        ("image", (1, 3, 8, 8), "float32")]
    assert [(o.name, o.shape) for o in model.outputs] == [("probs", (1, 4))]
    assert model.arena_size > 0


def test_error_codes(tiny):
    lib = ctypes.CDLL(str(tiny))
    lib.paso_status_string.restype = ctypes.c_char_p
    context = ctypes.c_void_p()
    assert lib.paso_context_create(None) == 1
    assert lib.paso_context_create(ctypes.byref(context)) == 0
    x = np.zeros((1, 3, 8, 8), np.float32)
    y = np.zeros((1, 4), np.float32)
    ins = (ctypes.c_void_p * 1)(x.ctypes.data)
    outs = (ctypes.c_void_p * 1)(y.ctypes.data)
    good_in = (ctypes.c_size_t * 1)(x.nbytes)
    good_out = (ctypes.c_size_t * 1)(y.nbytes)
    bad_out = (ctypes.c_size_t * 1)(y.nbytes - 4)
    run = lib.paso_run
    run.argtypes = [ctypes.c_void_p] * 5
    assert run(None, ins, good_in, outs, good_out) == 1
    assert run(context, None, good_in, outs, good_out) == 1
    assert run(context, ins, good_in, outs, bad_out) == 2
    assert lib.paso_status_string(2) == (
        b"a buffer size differs from the tensor's byte_size")
    assert run(context, ins, good_in, outs, good_out) == 0
    assert lib.paso_input_info(5) is None or lib.paso_input_info(5) == 0
    lib.paso_context_destroy(context)
    lib.paso_context_destroy(None)


def test_two_threads_with_separate_contexts(paso_opt, suite_dir, tmp_path):
    so = paso.compile(suite_dir / "squeezenet11.onnx", output=tmp_path / "s.so")
    models = [paso.load(so), paso.load(so)]
    rng = np.random.default_rng(1)
    feeds = [{"input": rng.standard_normal((1, 3, 224, 224)).astype(np.float32)}
             for _ in models]
    expected = [m.run(f)["flatten"] for m, f in zip(models, feeds)]
    results = [None, None]

    def work(i):
        for _ in range(3):
            results[i] = models[i].run(feeds[i])["flatten"]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected):
        np.testing.assert_array_equal(got, want)


def test_model_header_from_c(tiny, tmp_path):
    clang = shutil.which("clang-22")
    if not clang:
        pytest.skip("clang-22 not installed")
    program = tmp_path / "main.c"
    program.write_text(r'''
#include "tiny_cnn.h"
#include <stdio.h>
int main(void) {
  static const int64_t shape[] = PASO_MODEL_INPUT_0_SHAPE;
  float image[PASO_MODEL_INPUT_0_BYTES / sizeof(float)] = {0};
  float probs[PASO_MODEL_OUTPUT_0_BYTES / sizeof(float)];
  const void *inputs[] = {image};
  void *outputs[] = {probs};
  size_t in_sizes[] = {sizeof image}, out_sizes[] = {sizeof probs};
  paso_context *context;
  if (paso_context_create(&context) != PASO_OK) return 1;
  if (paso_run(context, inputs, in_sizes, outputs, out_sizes) != PASO_OK) return 2;
  float sum = 0;
  for (int i = 0; i < 4; ++i) sum += probs[i];
  printf("%s %lld %.3f\n", PASO_MODEL_INPUT_0_NAME, (long long)shape[1], sum);
  paso_context_destroy(context);
  return 0;
}
''')
    binary = tmp_path / "main"
    subprocess.run([clang, str(program), "-I", os.path.dirname(tiny), "-I",
                    os.path.join(ROOT, "include"), str(tiny), "-o", str(binary),
                    f"-Wl,-rpath,{os.path.dirname(tiny)}"], check=True)
    out = subprocess.run([str(binary)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "image 3 1.000"


def test_paso_run_cli(tiny, tmp_path):
    runner = tool("paso-run")
    x = np.random.default_rng(3).standard_normal((1, 3, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    result = subprocess.run(
        [runner, str(tiny), "--input", f"image={tmp_path / 'x.npy'}",
         "--output-dir", str(tmp_path), "--bench", "5"],
        capture_output=True, text=True, check=True)
    assert "model 'tiny_cnn' (target host, " in result.stdout
    assert re.search(r"output 'probs' f4 1x4: min \S+ max \S+ mean 0.25",
                     result.stdout)
    assert re.search(r"latency over 5 runs: median [\d.]+ ms, p90 [\d.]+ ms",
                     result.stdout)
    saved = np.load(tmp_path / "probs.npy")
    np.testing.assert_allclose(saved, paso.load(tiny).run({"image": x})["probs"])
    bad = subprocess.run([runner, str(tiny), "--input", "nope=x.npy"],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "paso-run: error:" in bad.stderr


def test_thread_count(paso_opt, suite_dir, tmp_path):
    """The thread count is settable and results do not depend on it."""
    so = paso.compile(suite_dir / "resnet18.onnx", output=tmp_path / "r.so")
    model = paso.load(so)
    x = {"input": np.random.default_rng(2).standard_normal(
        (1, 3, 224, 224)).astype(np.float32)}
    model.set_num_threads(1)
    assert model.num_threads == 1
    single = model.run(x)["fc"]
    model.set_num_threads(2)
    assert model.num_threads == 2
    np.testing.assert_allclose(model.run(x)["fc"], single, rtol=1e-5,
                               atol=1e-4)
    run = subprocess.run([tool("paso-run"), str(so), "--threads", "2"],
                         capture_output=True, text=True, check=True,
                         env=dict(os.environ, PASO_NUM_THREADS="1"))
    assert "2 threads" in run.stdout


def test_compile_errors_are_reported(paso_opt, tmp_path):
    with pytest.raises(paso.CompileError, match="unknown target 'pi4'"):
        paso.compile(EXAMPLE, target="pi4", output=tmp_path / "x.so")


POOL_PROGRAM = r'''
#include "paso/Runtime/paso_model.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs the model once on both threads; returns 0 on success. */
static int run_once(void *lib) {
  paso_status (*create)(paso_context **) = dlsym(lib, "paso_context_create");
  paso_status (*run)(paso_context *, const void *const *, const size_t *,
                     void *const *, const size_t *) = dlsym(lib, "paso_run");
  void (*destroy)(paso_context *) = dlsym(lib, "paso_context_destroy");
  void (*threads)(int32_t) = dlsym(lib, "paso_set_num_threads");
  const paso_tensor_info *(*in)(int32_t) = dlsym(lib, "paso_input_info");
  const paso_tensor_info *(*out)(int32_t) = dlsym(lib, "paso_output_info");
  threads(2);
  size_t in_size = in(0)->byte_size, out_size = out(0)->byte_size;
  float *x = calloc(1, in_size), *y = calloc(1, out_size);
  const void *ins[] = {x};
  void *outs[] = {y};
  paso_context *context;
  int bad = create(&context) != PASO_OK ||
            run(context, ins, &in_size, outs, &out_size) != PASO_OK;
  destroy(context);
  free(x);
  free(y);
  return bad;
}

int main(int argc, char **argv) {
  /* Load, run on the worker pool, unload: the pool's destructor must stop
   * its threads before the code is unmapped. */
  for (int i = 0; i < 3; ++i) {
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib || run_once(lib)) return 10 + i;
    if (dlclose(lib)) return 20 + i;
  }
  /* A forked child inherits no workers: its runs must not wait for them. */
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib || run_once(lib)) return 30;
  pid_t child = fork();
  if (child == 0)
    _exit(run_once(lib) ? 41 : 0);
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 40;
  if (run_once(lib)) return 50;
  puts("ok");
  return 0;
}
'''


def test_worker_pool_survives_dlclose_and_fork(paso_opt, suite_dir, tmp_path):
    """The persistent worker pool: unloading the library stops its workers
    (else their code would be unmapped under them), and a forked child
    starts a pool of its own instead of waiting for the parent's."""
    clang = shutil.which("clang-22")
    if not clang:
        pytest.skip("clang-22 not installed")
    so = paso.compile(suite_dir / "squeezenet11.onnx", output=tmp_path / "s.so")
    program = tmp_path / "pool.c"
    program.write_text(POOL_PROGRAM)
    binary = tmp_path / "pool"
    subprocess.run([clang, str(program), "-I", os.path.join(ROOT, "include"),
                    "-o", str(binary), "-ldl"], check=True)
    out = subprocess.run([str(binary), str(so)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out


def test_profile_lines_up_with_the_report(paso_opt, suite_dir, tmp_path):
    """PASO_PROFILE=1 times every runtime-kernel call; its kernel numbers
    are those of the report's runtime kernels."""
    runner = tool("paso-run")
    onnx_path = suite_dir / "squeezenet11.onnx"
    so = tmp_path / "s.so"
    report = subprocess.run([paso_opt, str(onnx_path), "-o", str(so),
                             "--report=-"], capture_output=True, text=True,
                            check=True).stdout
    listed = [line.split(":")[0] for line in
              report.split("== runtime kernels")[1].split("== kernels")[0]
              .splitlines()[1:] if line.strip()]
    env = dict(os.environ, PASO_PROFILE="1", PASO_NUM_THREADS="1")
    run = subprocess.run([runner, str(so), "--bench", "3"], env=env,
                         capture_output=True, text=True, check=True)
    rows = [line.split(": ", 1)[1].split(", ") for line in
            run.stderr.splitlines() if line.startswith("paso profile: ")][1:]
    assert [row[0] for row in rows] == listed
    # Warm-up plus three timed runs: four calls each.
    assert all(row[1] == "4" for row in rows), rows
    assert abs(sum(float(row[3].rstrip("%")) for row in rows) - 100) < 1
    quiet = subprocess.run([runner, str(so)], capture_output=True, text=True,
                           check=True, env=dict(os.environ, PASO_PROFILE="0"))
    assert "paso profile" not in quiet.stderr
