"""Real pretrained models and real inputs from PyPI wheels, for accuracy
tests and benchmarks of quantisation (docs/quantization.md).

The models are PP-OCR's, shipped in the `rapidocr-onnxruntime` wheel: the
text-line recogniser (PP-OCRv4, 6625 characters per time step, 40 steps
for a 48x320 line) and the text orientation classifier (0 or 180 degrees,
48x192). The inputs are crops of `page.png`, a photographed page of text
in the `scikit-image` wheel. Both packages are installed with --no-deps
for these files (third_party/python-data-packages.txt); nothing here
imports their code or downloads anything.
"""
import importlib.util
import os

import numpy as np

# The text lines of page.png (rows), found once from its ink profile.
PAGE_LINES = [(10, 36), (46, 66), (64, 84), (81, 102), (99, 120), (117, 140),
              (168, 191)]

RECOGNISER = "ch_PP-OCRv4_rec_infer.onnx"
CLASSIFIER = "ch_ppocr_mobile_v2.0_cls_infer.onnx"


def _package_dir(name):
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return spec.submodule_search_locations[0]


def model_path(name):
    """The path of a PP-OCR model in the rapidocr wheel, or None."""
    root = _package_dir("rapidocr_onnxruntime")
    path = os.path.join(root, "models", name) if root else None
    return path if path and os.path.exists(path) else None


def page_image():
    """page.png as a PIL image, or None where scikit-image is absent."""
    root = _package_dir("skimage")
    path = os.path.join(root, "data", "page.png") if root else None
    if not path or not os.path.exists(path):
        return None
    from PIL import Image
    return Image.open(path)


def _normalise(gray):
    """PP-OCR's input: grey replicated to 3 channels, (x/255 - 0.5)/0.5."""
    x = (gray / 255.0 - 0.5) / 0.5
    return np.repeat(x[None], 3, 0).astype(np.float32)


def _line_windows(width, step, flip=False):
    """Windows `width` wide every `step` pixels along each text line scaled
    to 48 high, as [3, 48, width] arrays (with the same window turned
    180 degrees after each when `flip`)."""
    from PIL import Image
    page = page_image()
    windows = []
    for top, bottom in PAGE_LINES:
        line = page.crop((0, top, page.width, bottom))
        scaled = round(line.width * 48 / line.height)
        pixels = np.asarray(line.resize((scaled, 48), Image.BILINEAR),
                            dtype=np.float32)
        for offset in range(0, scaled - width, step):
            window = pixels[:, offset:offset + width]
            windows.append(_normalise(window))
            if flip:
                windows.append(_normalise(window[::-1, ::-1]))
    return np.stack(windows)


def recogniser_samples():
    """(calibration, evaluation): alternate 48x320 windows of the lines,
    each [N, 1, 3, 48, 320]."""
    windows = _line_windows(320, 40)[:, None]
    return windows[0::2], windows[1::2]


def classifier_samples():
    """(calibration, evaluation) for the orientation classifier: 48x192
    windows upright and turned, alternate pairs to each set; in each set
    the label of sample i is i % 2 (0 upright, 1 turned)."""
    windows = _line_windows(192, 48, flip=True)
    pairs = windows.reshape(-1, 2, *windows.shape[1:])
    calibration = pairs[0::2].reshape(-1, 1, *windows.shape[1:])
    evaluation = pairs[1::2].reshape(-1, 1, *windows.shape[1:])
    return calibration, evaluation
