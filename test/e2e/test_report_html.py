"""`paso-opt --report=report.html` writes one self-contained page that
headless Chromium (Debian's `chromium`) renders without errors: the
per-layer decisions table has a row per runtime kernel, the time chart a
bar per kernel, the fused graph a box per kernel, and nothing is fetched
from the network."""
import json
import re
import shutil
import subprocess

import pytest

from conftest import paso

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(*args):
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
         *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def report(paso_opt, suite_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    model = suite_dir / "mobilenetv2.onnx"
    paso.compile(model, output=out / "m.so",
                 extra_args=[f"--report={out / 'report.html'}"])
    paso.compile(model, output=out / "m2.so",
                 extra_args=[f"--report={out / 'report.json'}"])
    return out


def test_report_is_self_contained(report):
    page = (report / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


@pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed")
def test_report_renders_in_headless_chromium(report):
    facts = json.loads((report / "report.json").read_text())
    kernels = facts["runtime_kernels"]
    result = chromium("--dump-dom", f"file://{report / 'report.html'}")
    dom = result.stdout
    assert "Uncaught" not in result.stderr
    assert "PASO compile report: mobilenetv2" in dom
    decisions = dom[dom.index('id="decisions"'):]
    decisions = decisions[:decisions.index("</table>")]
    assert decisions.count("<tr>") == len(kernels) + 1  # and the header
    assert "NHWC" in decisions and "fp32" in decisions
    chart = dom[dom.index('id="time-chart"'):]
    assert chart[:chart.index("</svg>")].count("<rect") == len(kernels)
    graph = dom[dom.index('id="graph"'):]
    assert graph[:graph.index("</svg>")].count("<rect") == len(facts["kernels"])
    shot = report / "report.png"
    chromium(f"--screenshot={shot}", "--window-size=1100,900",
             f"file://{report / 'report.html'}")
    assert shot.stat().st_size > 10000


@pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed")
def test_profiled_report_renders_measured_beside_predicted(report, paso_opt,
                                                           suite_dir):
    """With --profile (paso-run --profile of the same build) each kernel
    has a grey measured bar under its predicted one and a measured cell."""
    model = suite_dir / "mobilenetv2.onnx"
    so = paso.compile(model, output=report / "p.so")
    profile = paso.profile(so, output=report / "p.json", runs=3, threads=1)
    page = report / "profiled.html"
    paso.compile(model, output=report / "p.so",
                 extra_args=[f"--report={page}",
                             f"--profile={report / 'p.json'}"])
    result = chromium("--dump-dom", f"file://{page}")
    dom = result.stdout
    assert "Uncaught" not in result.stderr
    assert "Predicted and measured time per kernel" in dom
    chart = dom[dom.index('id="time-chart"'):]
    chart = chart[:chart.index("</svg>")]
    kernels = len(profile["kernels"])
    assert chart.count('class="measured"') == kernels
    assert chart.count("<rect") == 2 * kernels
    decisions = dom[dom.index('id="decisions"'):]
    decisions = decisions[:decisions.index("</table>")]
    assert "measured &micro;s" in decisions or "measured µs" in decisions
