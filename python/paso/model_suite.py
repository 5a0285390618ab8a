"""The PASO model suite: published architectures written as ONNX files with
fixed-seed random weights, so tests and benchmarks need no downloads.

    python -m paso.model_suite --out DIR [--models mlp,resnet18,...]

Models: mlp, mobilenetv2, resnet18, resnet50, squeezenet11, transformer.
Convolutions keep their BatchNormalization nodes and the transformer mixes
the fused LayerNormalization op with the decomposed form, as exporters emit
both; graph optimisation is expected to deal with them.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8


class GraphBuilder:
    """Accumulates nodes and initializers with unique, readable names."""

    def __init__(self, name, seed):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes = []
        self.initializers = []
        self.counts = {}

    def unique(self, base):
        n = self.counts.get(base, 0)
        self.counts[base] = n + 1
        return f"{base}_{n}" if n else base

    def const(self, array, base):
        name = self.unique(base)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, shape, base, fan_in):
        std = np.sqrt(2.0 / fan_in)
        data = self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
        return self.const(data, base)

    def op(self, op_type, inputs, base=None, outputs=1, **attrs):
        base = self.unique(base or op_type.lower())
        names = [base] if outputs == 1 else [f"{base}_out{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=base, **attrs))
        return names[0] if outputs == 1 else names

    # Layers -------------------------------------------------------------

    def conv(self, x, cin, cout, k, stride=1, group=1, bias=False, base="conv"):
        w = self.weight((cout, cin // group, k, k), base + ".weight", cin // group * k * k)
        inputs = [x, w]
        if bias:
            inputs.append(self.const(np.zeros(cout, np.float32), base + ".bias"))
        return self.op("Conv", inputs, base, kernel_shape=[k, k], strides=[stride, stride],
                       pads=[k // 2] * 4, group=group)

    def batch_norm(self, x, c, base="bn"):
        params = [
            self.const(self.rng.uniform(0.5, 1.5, c).astype(np.float32), base + ".weight"),
            self.const(self.rng.uniform(-0.1, 0.1, c).astype(np.float32), base + ".bias"),
            self.const(self.rng.uniform(-0.1, 0.1, c).astype(np.float32), base + ".mean"),
            self.const(self.rng.uniform(0.5, 1.5, c).astype(np.float32), base + ".var"),
        ]
        return self.op("BatchNormalization", [x] + params, base, epsilon=1e-5)

    def relu6(self, x):
        lo = self.const(np.array(0.0, np.float32), "relu6.min")
        hi = self.const(np.array(6.0, np.float32), "relu6.max")
        return self.op("Clip", [x, lo, hi], "relu6")

    def linear(self, x, cin, cout, base="fc", use_gemm=True):
        if use_gemm:
            w = self.weight((cout, cin), base + ".weight", cin)
            b = self.const(np.zeros(cout, np.float32), base + ".bias")
            return self.op("Gemm", [x, w, b], base, transB=1)
        w = self.weight((cin, cout), base + ".weight", cin)
        b = self.const(np.zeros(cout, np.float32), base + ".bias")
        return self.op("Add", [self.op("MatMul", [x, w], base + ".matmul"), b], base)

    def classifier_head(self, x, channels, classes=1000):
        pooled = self.op("GlobalAveragePool", [x], "pool")
        flat = self.op("Flatten", [pooled], "flatten", axis=1)
        return self.linear(flat, channels, classes)

    def finish(self, inputs, outputs):
        graph = helper.make_graph(self.nodes, self.name, inputs, outputs, self.initializers)
        model = helper.make_model(graph, producer_name="paso.model_suite",
                                  opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = IR_VERSION
        onnx.checker.check_model(model)
        return model


def image_input(name="input", size=224):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", 3, size, size])


def output(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


# Models ---------------------------------------------------------------------

def mlp():
    """784-256-128-10 perceptron with MatMul+Add and Gemm layers."""
    g = GraphBuilder("mlp", seed=1)
    x = g.linear("input", 784, 256, "fc1", use_gemm=False)
    x = g.op("Relu", [x])
    x = g.linear(x, 256, 128, "fc2")
    x = g.op("Relu", [x])
    x = g.linear(x, 128, 10, "fc3")
    y = g.op("Softmax", [x], "probs", axis=-1)
    return g.finish([helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 784])],
                    [output(y, ["N", 10])])


def mobilenetv2():
    """MobileNetV2 1.0 at 224x224 (Sandler et al. 2018)."""
    g = GraphBuilder("mobilenetv2", seed=2)
    x = g.relu6(g.batch_norm(g.conv("input", 3, 32, 3, stride=2), 32))
    cin = 32
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    for t, c, n, s in settings:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            y = x
            if t != 1:
                y = g.relu6(g.batch_norm(g.conv(y, cin, hidden, 1), hidden))
            y = g.relu6(g.batch_norm(g.conv(y, hidden, hidden, 3, stride, group=hidden), hidden))
            y = g.batch_norm(g.conv(y, hidden, c, 1), c)
            x = g.op("Add", [x, y], "residual") if stride == 1 and cin == c else y
            cin = c
    x = g.relu6(g.batch_norm(g.conv(x, cin, 1280, 1), 1280))
    y = g.classifier_head(x, 1280)
    return g.finish([image_input()], [output(y, ["N", 1000])])


def resnet(blocks, bottleneck, name, seed):
    """ResNet v1.5 (He et al. 2016; stride on the 3x3 conv)."""
    g = GraphBuilder(name, seed=seed)
    x = g.op("Relu", [g.batch_norm(g.conv("input", 3, 64, 7, stride=2), 64)])
    x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    expansion = 4 if bottleneck else 1
    for stage, count in enumerate(blocks):
        width = 64 * 2 ** stage
        cout = width * expansion
        for i in range(count):
            stride = 2 if stage > 0 and i == 0 else 1
            if bottleneck:
                y = g.op("Relu", [g.batch_norm(g.conv(x, cin, width, 1), width)])
                y = g.op("Relu", [g.batch_norm(g.conv(y, width, width, 3, stride), width)])
                y = g.batch_norm(g.conv(y, width, cout, 1), cout)
            else:
                y = g.op("Relu", [g.batch_norm(g.conv(x, cin, width, 3, stride), width)])
                y = g.batch_norm(g.conv(y, width, width, 3), width)
            shortcut = x
            if stride != 1 or cin != cout:
                shortcut = g.batch_norm(g.conv(x, cin, cout, 1, stride, base="downsample"), cout)
            x = g.op("Relu", [g.op("Add", [y, shortcut], "residual")])
            cin = cout
    y = g.classifier_head(x, cin)
    return g.finish([image_input()], [output(y, ["N", 1000])])


def resnet18():
    return resnet([2, 2, 2, 2], bottleneck=False, name="resnet18", seed=3)


def resnet50():
    return resnet([3, 4, 6, 3], bottleneck=True, name="resnet50", seed=4)


def squeezenet11():
    """SqueezeNet 1.1 (Iandola et al. 2016, the v1.1 variant)."""
    g = GraphBuilder("squeezenet11", seed=5)

    def fire(x, cin, squeeze, expand):
        s = g.op("Relu", [g.conv(x, cin, squeeze, 1, bias=True, base="squeeze")])
        e1 = g.op("Relu", [g.conv(s, squeeze, expand, 1, bias=True, base="expand1x1")])
        e3 = g.op("Relu", [g.conv(s, squeeze, expand, 3, bias=True, base="expand3x3")])
        return g.op("Concat", [e1, e3], "fire", axis=1)

    def pool(x):
        return g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)

    stem = g.conv("input", 3, 64, 3, stride=2, bias=True)
    g.nodes[-1].attribute[2].CopyFrom(helper.make_attribute("pads", [0, 0, 0, 0]))
    x = pool(g.op("Relu", [stem]))
    x = fire(x, 64, 16, 64)
    x = pool(fire(x, 128, 16, 64))
    x = fire(x, 128, 32, 128)
    x = pool(fire(x, 256, 32, 128))
    x = fire(x, 256, 48, 192)
    x = fire(x, 384, 48, 192)
    x = fire(x, 384, 64, 256)
    x = fire(x, 512, 64, 256)
    x = g.op("Dropout", [x])
    x = g.op("Relu", [g.conv(x, 512, 1000, 1, bias=True, base="classifier")])
    pooled = g.op("GlobalAveragePool", [x], "pool")
    y = g.op("Flatten", [pooled], "flatten")
    return g.finish([image_input()], [output(y, ["N", 1000])])


def mobilenetv3_blocks(size=96, classes=10):
    """MobileNetV3-style blocks (Howard et al. 2019) at a small input:
    hard-swish, squeeze-excitation gates (HardSigmoid), 5x5 depthwise, a
    residual. Not in MODELS: the Edge TPU tests and
    benchmark use it for the ops MobileNetV3 adds to MobileNetV2."""
    g = GraphBuilder("mobilenetv3_blocks", seed=9)

    def hswish(x):
        return g.op("HardSwish", [x], "hswish")

    def squeeze_excite(x, c, squeeze):
        s = g.op("GlobalAveragePool", [x], "se_pool")
        s = g.op("Relu", [g.conv(s, c, squeeze, 1, bias=True, base="se_reduce")])
        s = g.conv(s, squeeze, c, 1, bias=True, base="se_expand")
        gate = g.op("HardSigmoid", [s], "se_gate", alpha=1.0 / 6, beta=0.5)
        return g.op("Mul", [x, gate], "se_scale")

    def block(x, cin, hidden, cout, k, stride, se, act):
        y = act(g.batch_norm(g.conv(x, cin, hidden, 1), hidden)) if hidden != cin else x
        y = act(g.batch_norm(g.conv(y, hidden, hidden, k, stride, group=hidden), hidden))
        if se:
            y = squeeze_excite(y, hidden, max(8, hidden // 4))
        y = g.batch_norm(g.conv(y, hidden, cout, 1), cout)
        return g.op("Add", [x, y], "residual") if stride == 1 and cin == cout else y

    relu = lambda x: g.op("Relu", [x])  # noqa: E731
    x = hswish(g.batch_norm(g.conv("input", 3, 16, 3, stride=2), 16))
    x = block(x, 16, 16, 16, 3, 2, True, relu)
    x = block(x, 16, 72, 24, 3, 2, False, relu)
    x = block(x, 24, 88, 24, 3, 1, False, relu)
    x = block(x, 24, 96, 40, 5, 2, True, hswish)
    x = block(x, 40, 120, 40, 5, 1, True, hswish)
    x = hswish(g.batch_norm(g.conv(x, 40, 240, 1), 240))
    pooled = g.op("GlobalAveragePool", [x], "pool")
    flat = g.op("Flatten", [pooled], "flatten", axis=1)
    y = g.linear(flat, 240, classes)
    return g.finish([image_input(size=size)], [output(y, ["N", classes])])


def transformer(layers=2, seq=32, d_model=128, heads=4, ffn=512, vocab=1000):
    """A BERT-style encoder: token + position embeddings, then post-norm
    layers of multi-head attention and a GELU feed-forward block."""
    g = GraphBuilder("transformer", seed=6)
    head_dim = d_model // heads
    table = g.weight((vocab, d_model), "embed.tokens", d_model)
    positions = g.weight((1, seq, d_model), "embed.positions", d_model)
    x = g.op("Add", [g.op("Gather", [table, "ids"], "embed", axis=0), positions])

    def layer_norm(x, base, decomposed):
        gamma = g.const(np.ones(d_model, np.float32), base + ".weight")
        beta = g.const(np.zeros(d_model, np.float32), base + ".bias")
        if not decomposed:
            return g.op("LayerNormalization", [x, gamma, beta], base, axis=-1, epsilon=1e-5)
        mean = g.op("ReduceMean", [x], base + ".mean", axes=[-1])
        centered = g.op("Sub", [x, mean])
        two = g.const(np.array(2.0, np.float32), "two")
        var = g.op("ReduceMean", [g.op("Pow", [centered, two])], base + ".var", axes=[-1])
        eps = g.const(np.array(1e-5, np.float32), "eps")
        std = g.op("Sqrt", [g.op("Add", [var, eps])])
        return g.op("Add", [g.op("Mul", [g.op("Div", [centered, std]), gamma]), beta], base)

    def heads_first(t):
        # [1, S, D] -> [1, H, S, Dh] with the shape computed the way exporters
        # do it: Shape -> Gather -> Concat -> Reshape.
        shape = g.op("Shape", [t])
        batch = g.op("Gather", [shape, g.const(np.array([0], np.int64), "idx0")], axis=0)
        rest = g.const(np.array([seq, heads, head_dim], np.int64), "split_heads")
        target = g.op("Concat", [batch, rest], "heads_shape", axis=0)
        return g.op("Transpose", [g.op("Reshape", [t, target])], perm=[0, 2, 1, 3])

    for i in range(layers):
        p = f"layer{i}"
        qkv = g.linear(x, d_model, 3 * d_model, p + ".qkv", use_gemm=False)
        q, k, v = g.op("Split", [qkv], p + ".split", outputs=3, axis=-1)
        q, k, v = heads_first(q), heads_first(k), heads_first(v)
        scores = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
        scale = g.const(np.array(np.sqrt(head_dim), np.float32), "scale")
        probs = g.op("Softmax", [g.op("Div", [scores, scale])], axis=-1)
        context = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        merged = g.op("Reshape", [context, g.const(np.array([1, seq, d_model], np.int64),
                                                   "merge_heads")])
        attn = g.linear(merged, d_model, d_model, p + ".out", use_gemm=False)
        x = layer_norm(g.op("Add", [x, attn]), p + ".ln1", decomposed=i % 2 == 1)
        h = g.linear(x, d_model, ffn, p + ".ffn1", use_gemm=False)
        # GELU in the erf form that exporters emit before opset 20.
        sqrt2 = g.const(np.array(np.sqrt(2.0), np.float32), "sqrt2")
        one = g.const(np.array(1.0, np.float32), "one")
        half = g.const(np.array(0.5, np.float32), "half")
        erf = g.op("Erf", [g.op("Div", [h, sqrt2])])
        h = g.op("Mul", [g.op("Mul", [h, g.op("Add", [erf, one])]), half], p + ".gelu")
        h = g.linear(h, ffn, d_model, p + ".ffn2", use_gemm=False)
        x = layer_norm(g.op("Add", [x, h]), p + ".ln2", decomposed=i % 2 == 1)
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [1, seq])
    return g.finish([ids], [output(x, [1, seq, d_model])])


MODELS = {
    "mlp": mlp,
    "mobilenetv2": mobilenetv2,
    "resnet18": resnet18,
    "resnet50": resnet50,
    "squeezenet11": squeezenet11,
    "transformer": transformer,
}


def write_suite(out_dir, names=None):
    """Writes the named models (default: all) to out_dir/<name>.onnx."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for name in names or MODELS:
        if name not in MODELS:
            raise ValueError(f"unknown model '{name}'; known: {', '.join(MODELS)}")
        path = os.path.join(out_dir, f"{name}.onnx")
        onnx.save(MODELS[name](), path)
        paths.append(path)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="directory to write into")
    parser.add_argument("--models", help="comma-separated subset of: " + ", ".join(MODELS))
    args = parser.parse_args(argv)
    names = args.models.split(",") if args.models else None
    for path in write_suite(args.out, names):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
