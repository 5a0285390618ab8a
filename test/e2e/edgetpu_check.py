"""A static checker of .tflite files against the Edge TPU compiler's rules.

Reads the file with the `tflite` package (the public schema's generated
reader), not with PASO's own schema subset, and keeps its own copy of the
rules (docs/edgetpu.md, from Coral's documentation and the anchors): so a
wrong field id in PASO's writer, or a wrong entry in PASO's rule table,
shows up here instead of agreeing with itself.

    python test/e2e/edgetpu_check.py model.tflite
"""
import sys

import numpy as np
import tflite
from tflite.BuiltinOperator import BuiltinOperator
from tflite.TensorType import TensorType

# Op -> newest version edgetpu_compiler 16 accepts (per op; the compiler
# rejects, e.g., CONV_2D v5/v6).
MAPPED_OPS = {
    "ADD": 2, "AVERAGE_POOL_2D": 2, "CONCATENATION": 2, "CONV_2D": 3,
    "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 4, "LOGISTIC": 2,
    "MAX_POOL_2D": 2, "MEAN": 2, "MUL": 2, "PAD": 2, "QUANTIZE": 2,
    "RESHAPE": 1, "SOFTMAX": 2, "TANH": 2, "HARD_SWISH": 1, "RESIZE_BILINEAR": 3,
    "RESIZE_NEAREST_NEIGHBOR": 3,
}
# Which inputs are weights (int8, symmetric, per-axis along `axis`) and
# biases (int32 at input scale x weight scale).
WEIGHTS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": None}
OP_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
TYPE_NAMES = {v: k for k, v in vars(TensorType).items() if not k.startswith("_")}


class Report:
    def __init__(self):
        self.ops = []        # (op name, version, mapped, reason)
        self.errors = []     # file-level rule violations

    @property
    def mapped_share(self):
        return sum(m for _, _, m, _ in self.ops) / max(len(self.ops), 1)


def _quant(tensor):
    q = tensor.Quantization()
    if q is None or q.ScaleLength() == 0:
        return None, None, None
    return q.ScaleAsNumpy(), q.ZeroPointAsNumpy(), q.QuantizedDimension()


def check(path):
    data = open(path, "rb").read()
    report = Report()
    if data[4:8] != b"TFL3":
        report.errors.append("file identifier is not TFL3")
        return report
    model = tflite.Model.GetRootAsModel(data, 0)
    if model.Version() != 3:
        report.errors.append(f"schema version {model.Version()}, not 3")
    if model.SubgraphsLength() != 1:
        report.errors.append("more than one subgraph is not supported")
    if model.Buffers(0).DataLength() != 0:
        report.errors.append("buffers[0] is not the empty sentinel")
    metadata = {model.Metadata(i).Name().decode(): model.Metadata(i).Buffer()
                for i in range(model.MetadataLength())}
    if "min_runtime_version" not in metadata:
        report.errors.append("no min_runtime_version metadata")
    elif model.Buffers(metadata["min_runtime_version"]).DataLength() != 16:
        report.errors.append("min_runtime_version is not a 16-byte string")
    graph = model.Subgraphs(0)

    def buffer(t):
        b = model.Buffers(graph.Tensors(t).Buffer())
        return b.DataAsNumpy() if b.DataLength() else None

    for io in list(graph.InputsAsNumpy()) + list(graph.OutputsAsNumpy()):
        t = graph.Tensors(io)
        if t.Type() not in (TensorType.INT8, TensorType.UINT8):
            report.errors.append(f"model input/output {t.Name().decode()} is "
                                 f"{TYPE_NAMES[t.Type()]}, not int8/uint8")
    cut = False
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = OP_NAMES.get(builtin, str(builtin))
        reasons = []
        if code.DeprecatedBuiltinCode() != min(builtin, 127):
            reasons.append("deprecated_builtin_code is not min(code, 127)")
        if name not in MAPPED_OPS:
            reasons.append(f"{name} is not an Edge TPU op")
        elif code.Version() > MAPPED_OPS[name]:
            reasons.append(f"{name} v{code.Version()} > v{MAPPED_OPS[name]}")
        inputs, outputs = list(op.InputsAsNumpy()), list(op.OutputsAsNumpy())
        for t in inputs + outputs:
            tensor = graph.Tensors(t)
            shape = list(tensor.ShapeAsNumpy()) if tensor.ShapeLength() else []
            if tensor.ShapeSignatureLength() and -1 in tensor.ShapeSignatureAsNumpy():
                reasons.append(f"{tensor.Name().decode()} has a dynamic shape")
            if buffer(t) is None:  # an activation
                if tensor.Type() != TensorType.INT8:
                    reasons.append(f"activation {tensor.Name().decode()} is "
                                   f"{TYPE_NAMES[tensor.Type()]}")
                scale, zp, _ = _quant(tensor)
                if scale is None or len(scale) != 1:
                    reasons.append(f"activation {tensor.Name().decode()} is "
                                   "not quantised per tensor")
                if len(shape) > 4 or any(d > 1 for d in shape[:-3]):
                    reasons.append(f"{tensor.Name().decode()} {shape}: more "
                                   "than the 3 innermost dims exceed 1")
        if name in WEIGHTS:
            x, w, b = (graph.Tensors(t) for t in inputs[:3])
            w_scale, w_zp, w_axis = _quant(w)
            x_scale = _quant(x)[0]
            values = buffer(inputs[1])
            if w.Type() != TensorType.INT8 or values is None:
                reasons.append("weights are not constant int8")
            else:
                if values.view(np.int8).min() < -127:
                    reasons.append("a weight is -128 (must be in [-127, 127])")
                if np.any(w_zp != 0):
                    reasons.append("weights are not symmetric")
                axis = WEIGHTS[name]
                if axis is None and len(w_scale) != 1:
                    reasons.append("FULLY_CONNECTED weights are not per tensor")
                if axis is not None and len(w_scale) > 1 and w_axis != axis:
                    reasons.append(f"weights quantised along {w_axis}, not {axis}")
            b_scale, b_zp, _ = _quant(b)
            if b.Type() != TensorType.INT32 or b_scale is None:
                reasons.append("bias is not quantised int32")
            elif not np.allclose(b_scale, x_scale[0] * w_scale, rtol=1e-5) or np.any(b_zp):
                reasons.append("bias scale is not input scale x weight scale")
        mapped = not reasons and not cut
        if reasons:
            cut = True
        report.ops.append((name, code.Version(), mapped, "; ".join(reasons)))
    return report


def main(argv):
    report = check(argv[1])
    for name, version, mapped, reason in report.ops:
        print(f"{'tpu' if mapped else 'cpu'} {name} v{version} {reason}")
    for error in report.errors:
        print("error:", error)
    print(f"{report.mapped_share:.0%} of {len(report.ops)} ops map")
    return 1 if report.errors or report.mapped_share < 1 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
