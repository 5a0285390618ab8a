"""ONNX backend node tests (from the onnx package) for every op the importer
claims; failures must be listed in expected-failures.txt with a reason."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
sys.path.insert(0, os.path.dirname(__file__))

import onnx_node_tests as node_tests  # noqa: E402
import paso  # noqa: E402

PASO_OPT = paso.find_paso_opt()
EXPECTED = node_tests.expected_failures()
TESTS = node_tests.select_tests(PASO_OPT)


@pytest.mark.parametrize("name", TESTS)
def test_node(name, request):
    if name in EXPECTED:
        request.applymarker(pytest.mark.xfail(reason=EXPECTED[name], strict=True))
    ok, message = node_tests.run_test(name, PASO_OPT)
    assert ok, message
