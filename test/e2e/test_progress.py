"""On a terminal paso-opt shows its compile stages on one line rewritten
in place and erased at the end (also before a diagnostic); through a pipe,
as in CI logs, it prints nothing of them."""
import os
import pty
import subprocess

from conftest import ROOT

EXAMPLE = os.path.join(ROOT, "docs", "examples", "tiny_cnn.onnx")


def stderr_on_a_terminal(args):
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm"}
    env.pop("PASO_PROGRESS", None)
    result = subprocess.run(args, stderr=slave, stdout=subprocess.DEVNULL,
                            env=env)
    os.close(slave)
    output = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    return result.returncode, output.decode()


def test_stages_on_a_terminal(paso_opt, tmp_path):
    code, shown = stderr_on_a_terminal(
        [paso_opt, EXAMPLE, "-o", str(tmp_path / "m.so")])
    assert code == 0
    for stage in ("[1/6] importing", "[2/6] optimising the graph",
                  "[6/6] generating code and linking"):
        assert stage in shown
    # Every stage line is erased: the last thing written is the erasure.
    assert shown.endswith("\r\x1b[K")


def test_diagnostics_start_on_a_clean_line(paso_opt, tmp_path):
    code, shown = stderr_on_a_terminal(
        [paso_opt, EXAMPLE, "--input-shape=image:1x3x8", "-o",
         str(tmp_path / "m.so")])
    assert code == 1
    assert "\r\x1b[Kpaso-opt: error:" in shown


def test_quiet_through_a_pipe(paso_opt, tmp_path):
    result = subprocess.run([paso_opt, EXAMPLE, "-o", str(tmp_path / "m.so")],
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert "[1/6]" not in result.stderr and "\x1b" not in result.stderr
