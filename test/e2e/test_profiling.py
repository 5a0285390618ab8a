"""Profiles (paso-run --profile / paso.profile), traces, the report with a
profile, and calibration (paso-opt --calibrate): docs/profiling.md.

A small CNN whose kernels cover the classes the cost model calibrates (a
3x3 convolution the host runs by Winograd, a depthwise window, pooling, a
product and a softmax row kernel)."""

import json
import os
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import paso


def cnn(path):
    rng = np.random.default_rng(0)

    def weight(name, shape):
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * 0.1).astype(np.float32), name)
    inits = [weight("w1", (64, 3, 3, 3)), weight("w2", (64, 64, 3, 3)),
             weight("dw", (64, 1, 3, 3)), weight("fc", (64, 10))]
    nodes = [
        helper.make_node("Conv", ["image", "w1"], ["c1"], pads=[1] * 4),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1] * 4),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Conv", ["r2", "dw"], ["c3"], pads=[1] * 4,
                         group=64),
        helper.make_node("MaxPool", ["c3"], ["p"], kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["p"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("MatMul", ["f", "fc"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "profiled_cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                       [1, 3, 28, 28])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 10])],
        inits)
    onnx.save(helper.make_model(graph, ir_version=8,
                                opset_imports=[helper.make_opsetid("", 17)]),
              path)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory, paso_opt):
    tmp = tmp_path_factory.mktemp("profiling")
    model = cnn(str(tmp / "cnn.onnx"))
    so = paso.compile(model, output=tmp / "cnn.so")
    trace = tmp / "trace.json"
    profile_path = tmp / "profile.json"
    profile = paso.profile(so, output=profile_path, runs=7, threads=1,
                           trace=trace)
    return dict(tmp=tmp, model=model, so=so, profile=profile,
                profile_path=profile_path, trace=trace)


def run(args, **kwargs):
    return subprocess.run([str(a) for a in args], capture_output=True,
                          text=True, **kwargs)


def test_profile_has_every_kernel_measured(built):
    profile = built["profile"]
    assert profile["format"] == "paso-profile" and profile["version"] == 2
    assert profile["model"] == "profiled_cnn" and profile["target"] == "host"
    assert profile["threads"] == 1 and profile["runs"] == 7
    kernels = profile["kernels"]
    classes = {k["class"] for k in kernels}
    assert {"gemm", "window", "rows"} <= classes, classes
    for k in kernels:
        assert k["calls_per_run"] == 1
        assert 0 < k["time_us"]["min"] <= k["median_us"] <= k["time_us"]["max"]
        assert k["predicted_1t_us"] > 0 and k["flops"] >= 0 and k["bytes"] > 0
        assert k["onnx_nodes"], k
        assert k["bound"] in ("compute", "memory")
    # The run contains its kernels; the rest is the generated code.
    kernel_sum = sum(k["median_us"] for k in kernels)
    run_median = profile["run_us"]["median"]
    assert kernel_sum <= run_median * 1.05
    assert profile["generated"]["median_us"] >= 0
    assert profile["generated"]["predicted_us"] > 0


def test_unavailable_counters_are_never_reported_as_zero(built):
    counters = built["profile"]["counters"]
    measured, unavailable = counters["measured"], counters["unavailable"]
    assert set(measured).isdisjoint(unavailable)
    assert len(measured) + len(unavailable) == 9
    for reason in unavailable.values():
        assert reason  # an errno text, not an empty string
    for k in built["profile"]["kernels"]:
        assert set(k["counters_per_run"]) == set(measured)
        if "cycles" in unavailable:
            assert "ipc" not in k


def test_trace_is_a_chrome_trace(built):
    trace = json.load(open(built["trace"]))
    events = trace["traceEvents"]
    kernels = len(built["profile"]["kernels"])
    # One slice per kernel call and per run, on the calling thread.
    main = [e for e in events if e["tid"] == 0]
    assert len(main) == 7 * (kernels + 1)
    assert all(e["ph"] == "X" and e["dur"] >= 0 for e in events)
    runs = [e for e in main if e["name"] == "paso_run"]
    assert len(runs) == 7
    # Kernel slices lie inside their run's slice.
    first = runs[0]
    inside = [e for e in main if e["name"] != "paso_run" and
              first["ts"] <= e["ts"] <= first["ts"] + first["dur"]]
    assert len(inside) == kernels


def test_trace_shows_pool_workers(built, tmp_path):
    """At two threads the workers' parts of jobs are slices of their own.
    The pool's back-off (it runs jobs on the caller alone when a busy core
    makes workers straggle, as the other test process may) is turned off
    so that the workers take part whatever the load."""
    trace = tmp_path / "trace2.json"
    # 100 runs of this small model take tens of milliseconds: time for a
    # woken worker to get a core even while the other test process keeps
    # one busy (3 runs were not, in CI).
    profile = paso.profile(built["so"], runs=100, threads=2, trace=trace,
                           env={"PASO_POOL_BACKOFF": "0"})
    assert max(k["threads"] for k in profile["kernels"]) > 1
    events = json.load(open(trace))["traceEvents"]
    workers = [e for e in events if e["tid"] >= 1]
    assert workers and all("(worker)" in e["name"] for e in workers)


def test_pool_backs_off_from_a_busy_machine(built, tmp_path):
    """With every core but one kept busy by other processes, the pool sees
    them in /proc/loadavg before its first threaded job and runs every job
    on the caller alone (no worker slices in the trace); two threads give
    the one-thread result."""
    import sys
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(max(1, os.cpu_count() - 1))]
    try:
        trace = tmp_path / "busy.json"
        paso.profile(built["so"], runs=20, threads=2, trace=trace)
    finally:
        for process in busy:
            process.kill()
    events = json.load(open(trace))["traceEvents"]
    assert [e for e in events if e["tid"] >= 1] == []
    model = paso.load(built["so"])
    image = np.random.default_rng(1).standard_normal(
        (1, 3, 28, 28)).astype(np.float32)
    model.set_num_threads(1)
    one = model.run({"image": image})["probs"]
    model.set_num_threads(2)
    np.testing.assert_array_equal(model.run({"image": image})["probs"], one)


def test_paso_run_prints_the_top_kernels(built):
    result = run([paso.find_paso_run(), built["so"], "--threads", "1",
                  "--runs", "3", "--profile", built["tmp"] / "p3.json",
                  "--top", "3"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(i for i, l in enumerate(lines) if "median us" in l)
    assert len(lines) - header - 1 == 3
    assert "counters:" in result.stdout


def test_legacy_environment_profile(built):
    env = dict(os.environ, PASO_PROFILE="1")
    result = run([paso.find_paso_run(), built["so"], "--bench", "2"],
                 env=env)
    assert result.returncode == 0
    assert "paso profile: kernel, calls, mean us" in result.stderr


def test_report_shows_measured_beside_predicted(built, paso_opt):
    html = built["tmp"] / "report.html"
    result = run([paso_opt, built["model"], "-o", built["tmp"] / "r.so",
                  f"--report={html}", f"--profile={built['profile_path']}"])
    assert result.returncode == 0, result.stderr
    page = html.read_text()
    assert page.count('class="measured"') == len(built["profile"]["kernels"])
    assert "measured &micro;s" in page
    text = run([paso_opt, built["model"], "-o", built["tmp"] / "r.so",
                "--report=-", f"--profile={built['profile_path']}"])
    assert ", measured " in text.stdout and " at 1)" in text.stdout


def mutated(built, tmp_path, name, change):
    profile = json.loads(built["profile_path"].read_text())
    change(profile)
    path = tmp_path / name
    path.write_text(json.dumps(profile))
    return path


@pytest.mark.parametrize("case", ["truncated", "not-a-profile", "other-model",
                                  "other-target", "kernel-missing",
                                  "negative-time", "other-build",
                                  "old-version"])
def test_report_rejects_a_bad_profile(case, built, paso_opt, tmp_path):
    if case == "truncated":
        path = tmp_path / "t.json"
        path.write_text(built["profile_path"].read_text()[:300])
        message = "is the file truncated?"
    elif case == "not-a-profile":
        path = tmp_path / "n.json"
        path.write_text('{"name": "host"}')
        message = "not a PASO profile"
    elif case == "other-model":
        path = mutated(built, tmp_path, "m.json",
                       lambda p: p.update(model="resnet50"))
        message = "is of model 'resnet50', not 'profiled_cnn'"
    elif case == "other-target":
        path = mutated(built, tmp_path, "g.json",
                       lambda p: p.update(target="rpi4"))
        message = "was measured for target 'rpi4', not 'host'"
    elif case == "kernel-missing":
        path = mutated(built, tmp_path, "k.json",
                       lambda p: p["kernels"].pop())
        message = "has no kernel"
    elif case == "negative-time":
        def negative(p):
            p["kernels"][0]["median_us"] = -3
        path = mutated(built, tmp_path, "x.json", negative)
        message = "kernels[0].'median_us' must be finite and non-negative"
    elif case == "old-version":
        path = mutated(built, tmp_path, "v.json",
                       lambda p: p.update(version=1))
        message = "format version 1, this PASO reads version 2"
    else:
        def other(p):
            p["kernels"][0]["algorithm"] = "gemm, something else"
        path = mutated(built, tmp_path, "b.json", other)
        message = "ran kernel 1 as 'gemm, something else'"
    result = run([paso_opt, built["model"], "-o", tmp_path / "r.so",
                  "--report=-", f"--profile={path}"])
    assert result.returncode == 1
    assert f"profile '{path}'" in result.stderr
    assert message in result.stderr, result.stderr


def test_calibration_writes_a_target_the_compiler_uses(built, paso_opt,
                                                       tmp_path):
    board = tmp_path / "board.json"
    result = run([paso_opt, "--calibrate", built["profile_path"],
                  "-target=host", "-o", board])
    assert result.returncode == 0, result.stderr
    assert "scale" in result.stdout
    target = json.loads(board.read_text())
    assert target["calibrated_from"] == [str(built["profile_path"])]
    scales = target["kernel_time_scale"]
    assert {"gemm", "window", "rows", "generated"} <= set(scales)
    # The ratio of summed measured to summed raw one-thread predictions.
    kernels = [k for k in built["profile"]["kernels"] if k["class"] == "gemm"]
    expected = (sum(k["median_us"] for k in kernels) /
                sum(k["raw_predicted_1t_us"] for k in kernels))
    assert scales["gemm"] == pytest.approx(expected, rel=1e-6)
    # Every measured kernel by its signature, with its median.
    times = target["kernel_times_us"]
    for k in built["profile"]["kernels"]:
        key = f"{k['algorithm']}|{k['output_shape']}|{k.get('product', '')}"
        assert key in times
    # One profile: no fixed cost per run, and the ratio of measured to raw
    # prediction scales each of the generated code's costs alike.
    assert target["run_overhead_us"] == 0
    generated = built["profile"]["generated"]
    ratio = generated["median_us"] / generated["raw_predicted_us"]
    assert scales["generated"] == pytest.approx(ratio, rel=1e-6)
    assert target["generated_op_us"] == pytest.approx(ratio * 300 / 2000,
                                                      rel=1e-6)
    so = paso.compile(built["model"], target=str(board),
                      output=tmp_path / "cal.so")
    profile = paso.profile(so, runs=2, threads=1)
    # Same name: profiles of the calibrated build calibrate it again.
    assert profile["target"] == "host"
    looked_up = 0
    for k in profile["kernels"]:
        key = f"{k['algorithm']}|{k['output_shape']}|{k.get('product', '')}"
        # A kernel the calibration measured is predicted by its measurement;
        # one the calibrated decisions chose anew (Winograd's tile size may
        # change) by its class scale.
        if key in times:
            looked_up += 1
            expected = times[key]
        else:
            expected = k["raw_predicted_1t_us"] * scales[k["class"]]
        assert k["predicted_1t_us"] == pytest.approx(expected, rel=1e-6)
    assert looked_up >= len(profile["kernels"]) - 1
    # A kernel the calibration never saw: the class scale.
    edited = json.loads(board.read_text())
    edited["kernel_times_us"] = {}
    unseen = tmp_path / "scales-only.json"
    unseen.write_text(json.dumps(edited))
    so = paso.compile(built["model"], target=str(unseen),
                      output=tmp_path / "scaled.so")
    for k in paso.profile(so, runs=1, threads=1)["kernels"]:
        assert k["predicted_1t_us"] == pytest.approx(
            k["raw_predicted_1t_us"] * scales.get(k["class"], 1.0), rel=1e-6)


def test_calibration_fits_the_generated_code_costs(built, paso_opt, tmp_path):
    """Profiles whose generated code took 0.8 x its traffic time + 0.05 us
    per op + 4 ns per transcendental element + 2 us per run: the fit finds
    those costs (weighted by 1 / run time, none negative), and a model
    compiled for the calibrated target predicts its generated code by
    them."""
    shapes = [(1.0, 0, 0), (5.0, 10, 0), (2.0, 300, 8000), (30.0, 20, 100),
              (0.5, 4, 4096), (12.0, 60, 0)]
    paths = []
    for i, (traffic, ops, transcendentals) in enumerate(shapes):
        def costs(p, traffic=traffic, ops=ops, tr=transcendentals):
            generated = p["generated"]
            generated.update(traffic_us=traffic, ops=ops, transcendentals=tr)
            generated["median_us"] = (0.8 * traffic + 0.05 * ops +
                                      0.004 * tr + 2)
            p["run_us"]["median"] = generated["median_us"] + 100 * (i + 1)
        paths.append(mutated(built, tmp_path, f"g{i}.json", costs))
    board = tmp_path / "board.json"
    result = run([paso_opt, "--calibrate", *paths, "-o", board])
    assert result.returncode == 0, result.stderr
    assert "0.050 us per op" in result.stdout, result.stdout
    target = json.loads(board.read_text())
    assert target["kernel_time_scale"]["generated"] == pytest.approx(0.8)
    assert target["generated_op_us"] == pytest.approx(0.05)
    assert target["transcendental_ns"] == pytest.approx(4.0)
    assert target["run_overhead_us"] == pytest.approx(2.0)
    so = paso.compile(built["model"], target=str(board),
                      output=tmp_path / "g.so")
    generated = paso.profile(so, runs=1, threads=1)["generated"]
    assert generated["predicted_us"] == pytest.approx(
        0.8 * generated["traffic_us"] + 0.05 * generated["ops"] +
        0.004 * generated["transcendentals"] + 2.0, rel=1e-6)
    # Costs the profiles contradict stay non-negative: generated code that
    # takes less time with more ops gets no negative cost per op.
    def fewer(p, i):
        p["generated"].update(traffic_us=1.0, ops=10 * i, transcendentals=0)
        p["generated"]["median_us"] = 20.0 - i
        p["run_us"]["median"] = 100.0
    odd = [mutated(built, tmp_path, f"f{i}.json", lambda p, i=i: fewer(p, i))
           for i in range(5)]
    result = run([paso_opt, "--calibrate", *odd, "-o", board])
    assert result.returncode == 0, result.stderr
    target = json.loads(board.read_text())
    assert target["generated_op_us"] >= 0 and target["run_overhead_us"] >= 0


def test_threaded_profile_fits_the_hand_off(built, paso_opt, tmp_path):
    """A profile at two threads, given with one-thread profiles of the same
    build, fits the pool's hand-off (a threaded kernel's time over its
    one-thread time / threads), which decides the threads per layer: a
    board where each threaded kernel pays 400 us more gets every layer on
    one thread."""
    assert any(k["threads"] > 1 for k in built["profile"]["kernels"])
    two = tmp_path / "two.json"
    paso.profile(built["so"], output=two, runs=3, threads=2,
                 env={"PASO_POOL_BACKOFF": "0"})
    single = {k["id"]: k["median_us"] for k in built["profile"]["kernels"]}

    def slow_handoff(p):
        for k in p["kernels"]:
            n = min(k["threads"], p["threads"])
            if n > 1:
                k["median_us"] = single[k["id"]] / n + 400
    slow = json.loads(two.read_text())
    slow_handoff(slow)
    (tmp_path / "slow.json").write_text(json.dumps(slow))
    board = tmp_path / "board.json"
    result = run([paso_opt, "--calibrate", built["profile_path"],
                  tmp_path / "slow.json", "-o", board])
    assert result.returncode == 0, result.stderr
    assert "thread hand-off: 400.0 us" in result.stdout, result.stdout
    assert json.loads(board.read_text())["thread_handoff_us"] == \
        pytest.approx(400)
    so = paso.compile(built["model"], target=str(board),
                      output=tmp_path / "h.so")
    assert all(k["threads"] == 1
               for k in paso.profile(so, runs=1, threads=1)["kernels"])
    # Without a one-thread profile of the same kernels there is nothing to
    # fit the hand-off against.
    def renamed(p):
        for k in p["kernels"]:
            k["algorithm"] += " (elsewhere)"
    result = run([paso_opt, "--calibrate",
                  mutated(built, tmp_path, "other.json", renamed), two,
                  "-o", board])
    assert result.returncode == 1
    assert "none of its threaded kernels is in a one-thread profile" in \
        result.stderr


def test_calibrated_profile_moves_the_winograd_decision(built, paso_opt,
                                                        tmp_path):
    """A board where Winograd measured 10x slower than this host: its
    calibrated target runs the layer directly."""
    kernels = built["profile"]["kernels"]
    # The 64 -> 64 channel 3x3 layer at 28x28 runs by Winograd here.
    assert any(k["class"] == "winograd" for k in kernels), kernels

    def slow_winograd(p):
        for k in p["kernels"]:
            if k["class"] == "winograd":
                k["median_us"] *= 10
    path = mutated(built, tmp_path, "slow.json", slow_winograd)
    board = tmp_path / "slow-board.json"
    result = run([paso_opt, "--calibrate", path, "-o", board])
    assert result.returncode == 0, result.stderr
    winograd = [k for k in kernels if k["class"] == "winograd"]
    measured = sum(k["median_us"] for k in winograd) * 10
    raw = sum(k["raw_predicted_1t_us"] for k in winograd)
    assert json.loads(board.read_text())["kernel_time_scale"]["winograd"] == \
        pytest.approx(measured / raw, rel=1e-6)
    report = run([paso_opt, built["model"], f"-target={board}", "-o",
                  tmp_path / "s.so", "--report=-"])
    assert report.returncode == 0, report.stderr
    assert "winograd" not in report.stdout.split("== runtime kernels")[1] \
        .split("==")[0]


@pytest.mark.parametrize("case", ["two-threads", "other-target", "no-output",
                                  "bad-csv", "no-cycles"])
def test_calibration_errors(case, built, paso_opt, tmp_path):
    args = [paso_opt, "--calibrate"]
    if case == "two-threads":
        args += [mutated(built, tmp_path, "t.json",
                         lambda p: p.update(threads=2)), "-o", "x.json"]
        message = "ran 2 threads; calibrate from profiles measured with " \
            "--threads 1"
    elif case == "other-target":
        args += [built["profile_path"], "-target=rpi4", "-o", "x.json"]
        message = "was measured for target 'host', not 'rpi4'"
    elif case == "no-output":
        args += [built["profile_path"]]
        message = "--calibrate needs -o FILE.json"
    elif case == "bad-csv":
        csv = tmp_path / "perf.csv"
        csv.write_text("1234,,cycles:u,100,100.00,,\nlots,msec,task-clock\n")
        args += [csv, "-o", "x.json"]
        message = f"perf stat file '{csv}' line 2: 'lots' is not a number"
    else:
        csv = tmp_path / "perf.csv"
        csv.write_text("<not supported>,,cycles:u,0,100.00,,\n"
                       "12.5,msec,task-clock:u,12500000,100.00,0.99,CPUs\n")
        args += [csv, "-o", "x.json"]
        message = "has no measured cycles and task-clock"
    result = run(args, cwd=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
    assert not (tmp_path / "x.json").exists()


def test_perf_stat_clock_sets_the_peak(built, paso_opt, tmp_path):
    csv = tmp_path / "perf.csv"
    # 30e6 cycles in 10 ms: 3 GHz.
    csv.write_text("# started on ...\n\n"
                   "10.00,msec,task-clock:u,10000000,100.00,1.0,CPUs utilized\n"
                   "30000000,,cycles:u,10000000,100.00,3.0,GHz\n")
    board = tmp_path / "clock.json"
    result = run([paso_opt, "--calibrate", csv, built["profile_path"],
                  "-target=host", "-o", board])
    assert result.returncode == 0, result.stderr
    assert "clock: 3.00 GHz" in result.stdout
    target = json.loads(board.read_text())
    lanes = target["vector_bits"] / 32
    assert target["peak_gflops_f32"] == pytest.approx(
        3.0 * 2 * 2 * lanes * target["cores"])
    assert str(csv) in target["calibrated_from"]


def test_calibration_suite_measures_both_forms(paso_opt, tmp_path):
    """--calibration-suite compiles representative layers, each 3x3
    stride-1 convolution direct and by Winograd F(2x2) and F(4x4), so one
    profile of it calibrates every kernel class and both forms of the
    layers the Winograd decision is about."""
    so = tmp_path / "suite.so"
    result = run([paso_opt, "--calibration-suite", "-o", so])
    assert result.returncode == 0, result.stderr
    profile = paso.profile(so, output=tmp_path / "suite.json", runs=1,
                           threads=1)
    assert profile["model"] == "paso_calibration_suite"
    classes = {k["class"] for k in profile["kernels"]}
    assert {"gemm", "winograd", "window", "rows"} <= classes, classes
    forms = {}
    for k in profile["kernels"]:
        algorithm = k["algorithm"]
        form = ("direct" if "implicit im2col" in algorithm else
                "F2" if "F(2x2" in algorithm else
                "F4" if "F(4x4" in algorithm else None)
        if form:
            forms.setdefault(k["output_shape"], set()).add(form)
    all_three = [shape for shape, f in forms.items()
                 if f >= {"direct", "F2", "F4"}]
    assert len(all_three) >= 5, forms
    board = tmp_path / "board.json"
    result = run([paso_opt, "--calibrate", tmp_path / "suite.json", "-o",
                  board])
    assert result.returncode == 0, result.stderr
    assert len(json.loads(board.read_text())["kernel_times_us"]) > 40
    # The suite builds for the boards too.
    arm = run([paso_opt, "--calibration-suite", "-target=rpi4", "-o",
               tmp_path / "suite-rpi4.so"])
    assert arm.returncode == 0, arm.stderr


def test_calibration_suite_samples_where_the_model_is_wrong(paso_opt,
                                                            tmp_path):
    """Given a profile of a suite, --calibration-suite builds the next one
    from the neighbours (one size halved or doubled) of the layers the
    fitted class scales predict worst (nn-Meter's adaptive sampling): a
    depthwise layer measured 20x slower than its class predicts gets its
    neighbours measured next, and the two profiles calibrate together."""
    first = tmp_path / "suite.so"
    assert run([paso_opt, "--calibration-suite", "-o", first]).returncode == 0
    paso.profile(first, output=tmp_path / "s1.json", runs=1, threads=1)
    slow = "suite conv c=144 g=144 hw=28 k=3 m=144 s=1 tile=-1"

    def slower(p):
        for k in p["kernels"]:
            if f"node '{slow}' (Conv)" in k["onnx_nodes"]:
                k["median_us"] *= 20
    profile = json.loads((tmp_path / "s1.json").read_text())
    slower(profile)
    (tmp_path / "s1.json").write_text(json.dumps(profile))
    second = tmp_path / "suite2.so"
    result = run([paso_opt, "--calibration-suite",
                  f"--profile={tmp_path / 's1.json'}", "-o", second])
    assert result.returncode == 0, result.stderr
    refined = paso.profile(second, output=tmp_path / "s2.json", runs=1,
                           threads=1)
    names = {n for k in refined["kernels"] for n in k["onnx_nodes"]}
    for neighbour in ("c=72 g=72 hw=28 k=3 m=72", "c=288 g=288 hw=28 k=3 m=288",
                      "c=144 g=144 hw=14 k=3 m=144",
                      "c=144 g=144 hw=56 k=3 m=144"):
        assert f"node 'suite conv {neighbour} s=1 tile=-1' (Conv)" in names, \
            names
    # Only layers the first profile did not measure.
    measured = {n for k in profile["kernels"] for n in k["onnx_nodes"]}
    assert not names & measured
    board = tmp_path / "board.json"
    result = run([paso_opt, "--calibrate", tmp_path / "s1.json",
                  tmp_path / "s2.json", "-o", board])
    assert result.returncode == 0, result.stderr
    # A profile of a model, not of a suite, says so.
    built = tmp_path / "m.json"
    model = paso.compile(cnn(str(tmp_path / "cnn.onnx")),
                         output=tmp_path / "cnn.so")
    paso.profile(model, output=built, runs=1, threads=1)
    result = run([paso_opt, "--calibration-suite", f"--profile={built}",
                  "-o", tmp_path / "x.so"])
    assert result.returncode == 1
    assert f"the profile '{built}' has no suite layers" in result.stderr
