"""--preprocess: a model fed uint8 camera frames through the fused Halide
pipeline gives what numpy pre-processing followed by ONNX Runtime gives, on
the host and for the Raspberry Pi 4 under qemu (docs/preprocess.md).

The numpy reference is written from the spec's documented semantics:
YUV -> RGB per source pixel (chroma shared by 2x2 pixels, clamped to
[0, 255]), bilinear resize with half-pixel centres and clamped edges,
then (pixel * scale - mean) / std per channel."""

import os
import shutil
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import paso
from conftest import ort_outputs, run_on_aarch64, tool

pytestmark = pytest.mark.skipif(
    not tool("paso-preprocess-gen"),
    reason="paso-preprocess-gen is not built (Halide 14 is not installed)")

HEIGHT, WIDTH = 24, 32
IMAGENET = ("imagenet", [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])


def cnn(path, layout="nchw"):
    """A 3x3 convolution to 4 channels (+ ReLU): each output pixel sees a
    neighbourhood of the image, so any pixel or channel out of place shows.
    `layout` nhwc: the input is 1xHxWx3, transposed inside the model."""
    rng = np.random.default_rng(1)
    weight = numpy_helper.from_array(
        rng.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.3, "w")
    nodes = []
    conv_in = "image"
    shape = [1, 3, HEIGHT, WIDTH]
    if layout == "nhwc":
        shape = [1, HEIGHT, WIDTH, 3]
        nodes.append(helper.make_node("Transpose", ["image"], ["nchw"],
                                      perm=[0, 3, 1, 2]))
        conv_in = "nchw"
    nodes += [helper.make_node("Conv", [conv_in, "w"], ["c"], pads=[1] * 4),
              helper.make_node("Relu", ["c"], ["features"])]
    graph = helper.make_graph(
        nodes, "cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT,
                                       [1, 4, HEIGHT, WIDTH])],
        [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              ir_version=8)
    onnx.save(model, path)
    return path


def yuv_to_rgb(frame, matrix, full_range):
    """NV12 (3H/2 x W) to float RGB (H x W x 3), per source pixel."""
    height = frame.shape[0] * 2 // 3
    kr, kb = (0.2126, 0.0722) if matrix == "bt709" else (0.299, 0.114)
    kg = 1 - kr - kb
    y = frame[:height].astype(np.float64)
    uv = frame[height:].reshape(height // 2, -1, 2).astype(np.float64)
    u = np.repeat(np.repeat(uv[..., 0], 2, 0), 2, 1) - 128
    v = np.repeat(np.repeat(uv[..., 1], 2, 0), 2, 1) - 128
    if not full_range:
        y = (y - 16) * 255 / 219
        u, v = u * 255 / 224, v * 255 / 224
    rgb = np.stack([y + 2 * (1 - kr) * v,
                    y - 2 * kb * (1 - kb) / kg * u - 2 * kr * (1 - kr) / kg * v,
                    y + 2 * (1 - kb) * u], axis=-1)
    return np.clip(rgb, 0, 255)


def bilinear(image, height, width):
    """Half-pixel centres, clamped edges (OpenCV INTER_LINEAR)."""
    def axis(n, size):
        source = np.maximum((np.arange(n) + 0.5) * (size / n) - 0.5, 0)
        low = np.minimum(np.floor(source).astype(int), size - 1)
        return low, np.minimum(low + 1, size - 1), source - low
    y0, y1, ay = axis(height, image.shape[0])
    x0, x1, ax = axis(width, image.shape[1])
    ax = ax[None, :, None]
    top = image[y0][:, x0] * (1 - ax) + image[y0][:, x1] * ax
    bottom = image[y1][:, x0] * (1 - ax) + image[y1][:, x1] * ax
    return top * (1 - ay[:, None, None]) + bottom * ay[:, None, None]


def reference_image(frame, fmt, channels="rgb", scale=1 / 255, mean=(0,) * 3,
                    std=(1,) * 3, matrix="bt601", full_range=False,
                    layout="nchw"):
    if fmt == "nv12":
        rgb = yuv_to_rgb(frame, matrix, full_range)
    else:
        pixels = frame[..., :3].astype(np.float64)
        rgb = pixels[..., ::-1] if fmt in ("bgr", "bgra") else pixels
    image = rgb[..., ::-1] if channels == "bgr" else rgb
    image = bilinear(image, HEIGHT, WIDTH)
    image = (image * scale - np.asarray(mean)) / np.asarray(std)
    image = image[None].astype(np.float32)
    return image.transpose(0, 3, 1, 2) if layout == "nchw" else image


def random_frame(fmt, width, height, seed=0):
    rng = np.random.default_rng(seed)
    if fmt == "nv12":
        return rng.integers(0, 256, (height * 3 // 2, width), dtype=np.uint8)
    components = 4 if fmt in ("rgba", "bgra") else 3
    return rng.integers(0, 256, (height, width, components), dtype=np.uint8)


# (id, spec, frame format, frame W x H, reference keyword arguments)
CASES = [
    ("rgb-imagenet-down", "frame=40x30,mean=imagenet,std=imagenet", "rgb",
     (40, 30), dict(mean=IMAGENET[1], std=IMAGENET[2])),
    ("bgr-caffe-up", "frame=20x16,format=bgr,channels=bgr,scale=1,"
     "mean=103.94:116.78:123.68", "bgr", (20, 16),
     dict(channels="bgr", scale=1, mean=(103.94, 116.78, 123.68))),
    ("rgba", "frame=64x48,format=rgba,std=0.5,mean=0.5", "rgba", (64, 48),
     dict(mean=(0.5,) * 3, std=(0.5,) * 3)),
    ("bgra-to-rgb", "frame=33x25,format=bgra", "bgra", (33, 25), {}),
    ("nv12-bt601-limited", "frame=48x36,format=nv12,mean=imagenet,"
     "std=imagenet", "nv12", (48, 36),
     dict(mean=IMAGENET[1], std=IMAGENET[2])),
    ("nv12-bt709-full", "frame=64x40,format=nv12,matrix=bt709,range=full",
     "nv12", (64, 40), dict(matrix="bt709", full_range=True)),
    ("no-resize", f"frame={WIDTH}x{HEIGHT},resize=none,scale=1/127.5,mean=1",
     "rgb", (WIDTH, HEIGHT), dict(scale=1 / 127.5, mean=(1,) * 3)),
]


def check(so_run, model_path, spec_case, layout="nchw", runner=None):
    name, spec, fmt, (width, height), kwargs = spec_case
    frame = random_frame(fmt, width, height)
    image = reference_image(frame, fmt, layout=layout, **kwargs)
    want = ort_outputs(model_path, {"image": image})
    got = so_run(frame)
    # float32 sums in another order: tolerance relative to the magnitude
    # (a caffe-style model sees pixels in [-124, 152]).
    scale = max(1.0, float(np.abs(want["features"]).max()))
    np.testing.assert_allclose(got["features"], want["features"], rtol=1e-4,
                               atol=2e-5 * scale, err_msg=name)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_host(case, paso_opt, tmp_path):
    model = cnn(str(tmp_path / "cnn.onnx"))
    so = paso.compile(model, output=tmp_path / "cnn.so", preprocess=case[1])
    compiled = paso.load(so)
    frame_info = compiled.inputs[0]
    assert frame_info.dtype == np.uint8
    check(lambda frame: compiled.run({"image": frame}), model, case)


def test_nhwc_input(paso_opt, tmp_path):
    model = cnn(str(tmp_path / "cnn_nhwc.onnx"), layout="nhwc")
    case = CASES[4]
    so = paso.compile(model, output=tmp_path / "nhwc.so", preprocess=case[1])
    compiled = paso.load(so)
    check(lambda frame: compiled.run({"image": frame}), model, case,
          layout="nhwc")


def test_channels_last_model_takes_the_transpose(paso_opt, tmp_path):
    """When the model runs NHWC, the pipeline writes NHWC: no transpose
    kernel is left between it and the first convolution."""
    model = cnn(str(tmp_path / "cnn.onnx"))
    case = CASES[0]
    args = [paso_opt, model, f"--preprocess={case[1]}", "--paso-layout=nhwc",
            "--emit=linalg", "-o", "-"]
    linalg = subprocess.run(args, capture_output=True, text=True, check=True)
    assert "call @paso_preprocess_f32" in linalg.stdout
    # Only the result's transpose back to NCHW is left.
    assert linalg.stdout.count("call @paso_transpose_f32") == 1
    assert 'layout = "nhwc"' in linalg.stdout
    so = paso.compile(model, output=tmp_path / "nhwc.so", preprocess=case[1],
                      extra_args=["--paso-layout=nhwc"])
    compiled = paso.load(so)
    check(lambda frame: compiled.run({"image": frame}), model, case)


@pytest.mark.parametrize("case", [CASES[0], CASES[4]],
                         ids=[CASES[0][0], CASES[4][0]])
def test_rpi4_under_qemu(case, paso_opt, tmp_path, aarch64_runner):
    model = cnn(str(tmp_path / "cnn.onnx"))
    so = paso.compile(model, target="rpi4", output=tmp_path / "rpi4.so",
                      preprocess=case[1])

    def run(frame):
        run_on_aarch64(aarch64_runner, so, {"image": frame}, tmp_path)
        return {"features": np.load(tmp_path / "features.npy")}
    check(run, model, case)


@pytest.mark.parametrize("spec, message", [
    ("format=rgb", "'frame=WxH' is required"),
    ("frame=640", "'frame' must be WIDTHxHEIGHT"),
    ("frame=64x48,colour=rgb", "unknown key 'colour'"),
    ("frame=64x48,format=yuyv", "'format' must be one of rgb, bgr, rgba, "
     "bgra, nv12, got 'yuyv'"),
    ("frame=63x48,format=nv12", "an nv12 frame needs an even width"),
    ("frame=64x48,mean=0.5:0.5", "'mean' needs 1 or 3 values"),
    ("frame=64x48,std=0", "'std' values must be positive"),
    ("frame=64x48,scale=1/0", "'scale' must be a positive number"),
    ("frame=64x48,resize=none", "resize=none needs the frame to be the "
     "model's 32x24"),
    ("frame=64x48,input=data", "the model has no input 'data' (inputs: "
     "image)"),
    ("frame=64x48,layout=nhwc", "the model has no float image input of "
     "shape 1xHxWx3 (inputs: image (1x3x24x32 f32))"),
])
def test_bad_spec(spec, message, paso_opt, tmp_path):
    model = cnn(str(tmp_path / "cnn.onnx"))
    with pytest.raises(paso.CompileError) as error:
        paso.compile(model, output=tmp_path / "bad.so", preprocess=spec)
    assert "--preprocess: " + message in str(error.value)
    assert "cnn.onnx" in str(error.value)


def test_missing_generator_is_a_clear_error(paso_opt, tmp_path):
    model = cnn(str(tmp_path / "cnn.onnx"))
    env = dict(os.environ, PASO_PREPROCESS_GEN=str(tmp_path / "no-such-gen"))
    result = subprocess.run(
        [paso_opt, model, "--preprocess=frame=64x48", "-o",
         str(tmp_path / "m.so")], capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert "--preprocess: " in result.stderr
    assert "no-such-gen" in result.stderr
    assert not os.path.exists(tmp_path / "m.so")


def test_buffer_mirror_matches_halide_header(tmp_path):
    """The runtime's copy of halide_buffer_t (paso_halide_abi.h) has
    Halide's sizes and offsets, on the host and for aarch64."""
    source = tmp_path / "abi.c"
    checks = []
    for mirror, real, fields in [
            ("paso_halide_buffer", "halide_buffer_t",
             ["device", "device_interface", "host", "flags", "type",
              "dimensions", "dim", "padding"]),
            ("paso_halide_dimension", "halide_dimension_t",
             ["min", "extent", "stride", "flags"]),
            ("paso_halide_type", "struct halide_type_t",
             ["code", "bits", "lanes"])]:
        checks.append(f"_Static_assert(sizeof({mirror}) == sizeof({real}), "
                      f"\"{mirror}\");")
        for field in fields:
            checks.append(
                f"_Static_assert(offsetof({mirror}, {field}) == "
                f"offsetof({real}, {field}), \"{mirror}.{field}\");")
    source.write_text(
        "#include <stddef.h>\n#include <HalideRuntime.h>\n"
        "#include \"paso_halide_abi.h\"\n" + "\n".join(checks) + "\n")
    runtime = os.path.join(os.path.dirname(__file__), "..", "..", "lib",
                           "Runtime", "ModelRuntime")
    clang = shutil.which("clang-22") or "/usr/lib/llvm-22/bin/clang"
    for triple in ("x86_64-linux-gnu", "aarch64-linux-gnu"):
        result = subprocess.run(
            [clang, f"--target={triple}", "-fsyntax-only", "-std=c11",
             "-ffreestanding", "-I/usr/include/halide14", f"-I{runtime}",
             str(source)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
