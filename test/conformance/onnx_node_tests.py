"""Runs the ONNX backend node tests shipped in the onnx package against
PASO: every test whose ops the importer claims is compiled for the host,
run through the C ABI and compared with the expected outputs.

Used by test_onnx_node.py (pytest) and runnable alone for a quick tally:
    python onnx_node_tests.py [--jobs N] [--filter SUBSTRING]
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(os.path.dirname(onnx.__file__), "backend", "test",
                        "data", "node")
EXPECTED_FAILURES = os.path.join(HERE, "expected-failures.txt")
# The ONNX reference runner's tolerances.
RTOL, ATOL = 1e-3, 1e-7


def supported_ops(paso_opt):
    out = subprocess.run([paso_opt, "--print-onnx-ops"], capture_output=True,
                         text=True, check=True).stdout
    return {line.split("|")[1].strip() for line in out.splitlines()[2:]
            if line.startswith("|")}


def expected_failures():
    """test name -> reason, from expected-failures.txt."""
    result = {}
    with open(EXPECTED_FAILURES) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, reason = line.split(":", 1)
                result[name.strip()] = reason.strip()
    return result


def select_tests(paso_opt):
    """Node tests whose every node is an op the importer claims."""
    ops = supported_ops(paso_opt)
    selected = []
    for model_path in sorted(glob.glob(os.path.join(NODE_DIR, "*", "model.onnx"))):
        model = onnx.load(model_path, load_external_data=False)
        domains = {n.domain for n in model.graph.node}
        if domains - {"", "ai.onnx"}:
            continue
        if all(n.op_type in ops for n in model.graph.node) and model.graph.node:
            selected.append(os.path.basename(os.path.dirname(model_path)))
    return selected


def load_data(test_dir, prefix):
    files = sorted(glob.glob(os.path.join(test_dir, "test_data_set_0",
                                          f"{prefix}_*.pb")),
                   key=lambda p: int(p.rsplit("_", 1)[1].split(".")[0]))
    arrays = []
    for path in files:
        tensor = onnx.TensorProto()
        with open(path, "rb") as f:
            tensor.ParseFromString(f.read())
        arrays.append(numpy_helper.to_array(tensor))
    return arrays


# PASO compiles static quantisation: scales and zero points are part of the
# model, as in every quantised model ONNX Runtime's quantiser writes. The
# node tests feed them as graph inputs; they become initializers here, with
# the test's values, so the arithmetic is still checked against the
# expected outputs.
QUANTIZED_OPS = {"QuantizeLinear", "DequantizeLinear", "QLinearConv",
                 "QLinearMatMul"}


def bake_quantization_params(model, model_path, inputs, input_names, tmp):
    """Returns (model path, remaining inputs, their names)."""
    if not any(n.op_type in QUANTIZED_OPS for n in model.graph.node):
        return model_path, inputs, input_names
    keep, kept_names = [], []
    for name, array in zip(input_names, inputs):
        if "scale" in name or "zero_point" in name:
            model.graph.initializer.append(numpy_helper.from_array(array, name))
            for i, info in enumerate(model.graph.input):
                if info.name == name:
                    del model.graph.input[i]
                    break
        else:
            keep.append(array)
            kept_names.append(name)
    path = os.path.join(tmp, "baked.onnx")
    onnx.save(model, path)
    return path, keep, kept_names


# PASO compiles static shapes: the inputs that determine them (Reshape's
# shape, Tile's repeats, a reduction's axes) must be constants, as they are
# in exported models. The node tests feed some as graph inputs; when the
# compiler names one, it becomes an initializer with the test's value and
# the test compiles again.
NEEDS_CONSTANT = re.compile(r"node '([^']*)' \(\w+\): input (\d+) \(\w+\) "
                            r"must be (?:an integer )?(?:a )?constant")


def bake_constant_input(message, model_path, inputs, input_names, tmp):
    """(model path, inputs, names) with the input the compile error asks
    to be constant made an initializer, or None."""
    match = NEEDS_CONSTANT.search(message)
    if not match:
        return None
    model = onnx.load(model_path, load_external_data=False)
    node_name, index = match.group(1), int(match.group(2))
    nodes = [n for i, n in enumerate(model.graph.node)
             if n.name == node_name or f"#{i}" == node_name]
    if not nodes or index >= len(nodes[0].input):
        return None
    name = nodes[0].input[index]
    if name not in input_names:
        return None
    position = input_names.index(name)
    model.graph.initializer.append(
        numpy_helper.from_array(inputs[position], name))
    for i, info in enumerate(model.graph.input):
        if info.name == name:
            del model.graph.input[i]
            break
    path = os.path.join(tmp, f"const{len(model.graph.initializer)}.onnx")
    onnx.save(model, path)
    return (path, inputs[:position] + inputs[position + 1:],
            input_names[:position] + input_names[position + 1:])


def run_test(name, paso_opt):
    """Returns (ok, message)."""
    try:
        return _run_test(name, paso_opt)
    except Exception as e:  # noqa: BLE001 - any crash is this test's failure
        return False, f"{type(e).__name__}: {e}"


def _run_test(name, paso_opt):
    sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
    import paso

    test_dir = os.path.join(NODE_DIR, name)
    model_path = os.path.join(test_dir, "model.onnx")
    model = onnx.load(model_path, load_external_data=False)
    inputs = load_data(test_dir, "input")
    expected = load_data(test_dir, "output")
    initializers = {t.name for t in model.graph.initializer}
    input_names = [i.name for i in model.graph.input if i.name not in initializers]
    with tempfile.TemporaryDirectory() as tmp:
        model_path, inputs, input_names = bake_quantization_params(
            model, model_path, inputs, input_names, tmp)
        so = os.path.join(tmp, "model.so")
        while True:
            shapes = {n: a.shape for n, a in zip(input_names, inputs)}
            try:
                paso.compile(model_path, output=so, input_shapes=shapes)
                break
            except paso.CompileError as e:
                baked = bake_constant_input(str(e), model_path, inputs,
                                            input_names, tmp)
                if baked is None:
                    errors = [l for l in str(e).splitlines() if "error:" in l]
                    return False, "compile: " + (errors or str(e).splitlines())[0]
                model_path, inputs, input_names = baked
        model_so = paso.load(so)
        # Test data sometimes stores a scalar as a 1-element vector.
        feeds = {info.name: np.reshape(array, info.shape)
                 if array.size == int(np.prod(info.shape)) else array
                 for info, array in zip(model_so.inputs, inputs)}
        try:
            outputs = model_so.run(feeds)
        except Exception as e:  # noqa: BLE001 - reported as the failure
            return False, f"run: {e}"
        for info, want in zip(model_so.outputs, expected):
            got = outputs[info.name]
            if got.shape != want.shape:
                return False, f"output {info.name}: shape {got.shape} != {want.shape}"
            if want.dtype.kind in "fc":
                if not np.allclose(got, want.astype(got.dtype), rtol=RTOL,
                                   atol=ATOL, equal_nan=True):
                    err = np.nanmax(np.abs(got.astype(np.float64) - want))
                    return False, f"output {info.name}: max error {err:.3g}"
            elif not np.array_equal(got, want):
                return False, f"output {info.name}: values differ"
        model_so.close()
    return True, ""


def main():
    import argparse
    from concurrent.futures import ProcessPoolExecutor
    sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
    import paso

    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--filter", default="")
    args = parser.parse_args()
    paso_opt = paso.find_paso_opt()
    names = [n for n in select_tests(paso_opt) if args.filter in n]
    xfail = expected_failures()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(run_test, names, [paso_opt] * len(names)))
    passed = failed = unexpected_pass = 0
    for name, (ok, message) in zip(names, results):
        if ok and name in xfail:
            unexpected_pass += 1
            print(f"XPASS {name}")
        elif ok:
            passed += 1
        elif name in xfail:
            print(f"XFAIL {name}: {message}")
        else:
            failed += 1
            print(f"FAIL {name}: {message}")
    print(f"{passed} passed, {failed} failed, "
          f"{sum(1 for n in names if n in xfail)} expected failures, "
          f"{unexpected_pass} unexpectedly passed")
    return 1 if failed or unexpected_pass else 0


if __name__ == "__main__":
    sys.exit(main())
