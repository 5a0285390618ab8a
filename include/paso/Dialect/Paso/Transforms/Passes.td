//===- Passes.td - graph-level paso passes -----------------*- tablegen -*-===//

#ifndef PASO_DIALECT_PASO_TRANSFORMS_PASSES_TD
#define PASO_DIALECT_PASO_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def ExpandQuantizedPass : Pass<"paso-expand-quantized",
                                "::mlir::func::FuncOp"> {
  let summary = "Run integer convolutions and products in float between "
                "dequantize and quantize";
  let description = [{
    Rewrites `paso.qconv` and `paso.qmatmul` as the float op on dequantised
    operands (`paso.conv` / `paso.matmul`), the int32 bias dequantised at
    input scale x weight scale, the activation (`paso.relu`, `paso.clip`)
    and a `paso.quantize` to the output type: ONNX Runtime's reference
    semantics, with the float convolutions on the float kernels. The
    accumulation differs from an int32 one only by float rounding of the
    sum, which moves a result by at most one quantisation step where it
    falls near a rounding boundary. This is how the CPU back end runs
    integer ops until the integer kernels (issue 11) take them.
  }];
  let dependentDialects = ["::mlir::paso::PasoDialect"];
  let statistics = [
    Statistic<"numExpanded", "expanded",
              "Integer convolutions and products run in float">
  ];
}

def FoldQdqPass : Pass<"paso-fold-qdq", "::mlir::func::FuncOp"> {
  let summary = "Fold dequantize -> convolution/product -> quantize into "
                "integer ops";
  let description = [{
    The QDQ form of a quantised layer, as ONNX Runtime's quantiser writes it
    and as `paso-expand-quantized` leaves QOperator layers, is a float op
    between `paso.dequantize` of its operands and a `paso.quantize` of its
    result. Runtimes run it as one integer op; so does this pass: a
    `paso.quantize` (8-bit, per tensor) of a single-use `paso.conv` or
    `paso.fused_conv` (2-D, no residual; activation none, relu or clip), or
    of a `paso.matmul`/`paso.fused_matmul` with a 2-D right operand,
    whose input is dequantised per tensor from 8 bits and whose weights
    are dequantised from a constant 8-bit tensor with zero points of zero
    (symmetric, per tensor or per output channel), becomes `paso.qconv` or
    `paso.qmatmul`. A float bias, or one dequantised from int32, is
    requantised to int32 in units of input scale x weight scale. A
    transposed right operand (Gemm's transB) is transposed at compile time.
    A quantised sum of two dequantised 8-bit tensors (residual connections)
    is computed in the output's units as ONNX Runtime's QLinearAdd does:
    `round((a - za) * (sa / sc) + (b - zb) * (sb / sc)) + zc`, the scale
    ratios in f32. A `paso.quantize` of a single-use `paso.relu` whose
    zero point is the storage minimum quantises the ReLU's input instead:
    every negative value saturates to the zero point, so the ReLU is
    exact in the quantisation (how a residual add followed by a ReLU
    becomes one integer add). A `paso.max_pool` between a dequantize and a
    quantize of the same signed 8-bit type pools the integer storage, and
    a concatenation of values dequantised from one 8-bit type
    concatenates the storage (dequantised once after). Anything else stays
    in float.
  }];
  let dependentDialects = ["::mlir::paso::PasoDialect"];
  let statistics = [
    Statistic<"numFolded", "folded", "Layers folded into integer ops">
  ];
}

def FoldBatchNormPass : Pass<"paso-fold-batch-norm", "::mlir::func::FuncOp"> {
  let summary = "Fold inference BatchNormalization into convolution weights";
  let description = [{
    A `paso.batch_norm` whose input is a single-use `paso.conv` (or
    `paso.fused_conv` without residual or activation) with constant filter,
    bias and normalisation parameters is folded away: with
    `s = scale / sqrt(variance + epsilon)`, the filter of output channel `m`
    is multiplied by `s[m]` and the bias becomes `(bias - mean) * s + beta`.
    Any other batch norm with constant parameters becomes a per-channel
    multiply and add (`paso.mul`, `paso.add`), which lowering fuses into one
    loop. A bias exported as an `Add` of a constant (a scalar, or one value
    per channel broadcast along dim 1) after a single-use convolution folds
    into its bias the same way. Only f32 parameters are folded.
  }];
  let dependentDialects = ["::mlir::paso::PasoDialect"];
  let statistics = [
    Statistic<"numFolded", "folded-into-conv",
              "Batch norms folded into convolution weights">,
    Statistic<"numDecomposed", "decomposed",
              "Batch norms rewritten as a per-channel scale and shift">,
    Statistic<"numBiasAdds", "bias-adds-folded",
              "Constant per-channel adds folded into a convolution's bias">
  ];
}

def EqualizeLayersPass : Pass<"paso-equalize-layers", "::mlir::func::FuncOp"> {
  let summary = "Cross-layer equalisation of weight ranges (Nagel et al. 2019)";
  let description = [{
    Two products with constant f32 weights (NCHW convolution, depthwise
    convolution, matmul, gemm) joined through single-use ops that commute
    with a positive per-channel scale (relu, leaky relu, max and average
    pooling, a mean that keeps the channel, a reshape that keeps each
    channel's elements in place, an add of one constant per channel) compute
    the same function when output channel `i` of the first (its weights,
    bias and the adds) is divided by `s_i` and input channel `i` of the
    second multiplied by it. With `s_i = sqrt(r1_i / r2_i)`, `r` being the
    channel's largest weight magnitude in either layer, both become
    `sqrt(r1_i * r2_i)`: what a per-tensor weight scale needs. Chains are
    swept until no scale moves by more than 1e-6. A channel that is zero on
    either side keeps `s = 1`, and no channel's bias may outgrow the layer's
    largest bias. The post-training quantiser runs this on the pairs whose
    weights the full-integer scheme quantises per tensor (`per-tensor-only`,
    docs/quantization.md); per-channel weights gain nothing from it.
  }];
  let dependentDialects = ["::mlir::paso::PasoDialect"];
  let options = [
    Option<"perTensorOnly", "per-tensor-only", "bool", /*default=*/"false",
           "Only pairs with a matmul or gemm (per-tensor weights in the "
           "full-integer scheme)">
  ];
  let statistics = [
    Statistic<"numPairs", "pairs", "Layer pairs equalised">
  ];
}

def RecognizeKernelsPass : Pass<"paso-recognize-kernels",
                                "::mlir::func::FuncOp"> {
  let summary = "Recognise decomposed LayerNorm, GELU, Softmax and HardSwish "
                "as single ops";
  let description = [{
    Exporters often spell LayerNormalization as ReduceMean, Sub, Pow,
    ReduceMean, Add, Sqrt, Div, Mul, Add, GELU as
    `x * 0.5 * (1 + erf(x / sqrt(2)))` and Softmax as
    `Exp(x - ReduceMax(x)) / ReduceSum(Exp(...))`, and HardSwish as
    `x * Clip(x + 3, 0, 6) / 6` (or `* (1/6)`, or `x * HardSigmoid(x)` with
    alpha 1/6 and beta 1/2), as PaddlePaddle and older PyTorch exports do.
    This pass matches them (operand order of commutative ops does not
    matter) and replaces them with `paso.layer_norm`, `paso.gelu`,
    `paso.softmax` and (with `hard-swish`, as the Edge TPU pipeline runs
    it) `paso.hard_swish`, so each becomes one kernel, or one TFLite op.
    The CPU pipeline leaves HardSwish decomposed: its elementwise fusion
    makes one loop of it anyway, and its int8 results stay as measured in
    docs/performance.md. The mean must reduce the trailing dims with keepdims, the
    variance the same dims of the centred value squared (Pow 2 or a
    self-multiply), and epsilon a scalar constant. The softmax sum (and the
    max, when present; it only guards against overflow) must reduce one
    axis with keepdims.
  }];
  let dependentDialects = ["::mlir::paso::PasoDialect"];
  let options = [
    Option<"hardSwish", "hard-swish", "bool", /*default=*/"false",
           "Also recognise decomposed HardSwish">
  ];
  let statistics = [
    Statistic<"numLayerNorms", "layer-norms", "Decomposed LayerNorms recognised">,
    Statistic<"numGelus", "gelus", "Decomposed GELUs recognised">,
    Statistic<"numSoftmaxes", "softmaxes", "Decomposed Softmaxes recognised">,
    Statistic<"numHardSwishes", "hard-swishes",
              "Decomposed HardSwishes recognised">
  ];
}

def FuseConvEpiloguePass : Pass<"paso-fuse-conv-epilogue",
                                "::mlir::func::FuncOp"> {
  let summary = "Fuse pad, bias, residual add and activation into conv";
  let description = [{
    Builds `paso.fused_conv` from a `paso.conv` and what follows it:
    a per-channel constant add (folded into the bias), an add of a tensor of
    the result's shape (the residual), and one activation (Relu, Clip,
    LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, GELU, and
    `x * sigmoid(x)` as SiLU). A zero, constant-mode `paso.pad` of the
    spatial dims feeding a conv becomes part of the conv's pads. The fused
    op's location fuses those of every ONNX node it replaces.

    A fusion is refused when the convolution's result has other users (the
    unfused value would have to be kept), when the residual needs
    broadcasting, when an activation is already fused (a second one, or an
    add after the activation, would change the order of operations), and
    when the element types differ. With `explain`, each refusal is reported
    as a remark at the node that was not fused.
  }];
  let dependentDialects = ["::mlir::paso::PasoDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every fusion that is refused, with the reason">
  ];
  let statistics = [
    Statistic<"numActivations", "fused-activations",
              "Activations fused into convolutions">,
    Statistic<"numResiduals", "fused-residuals",
              "Residual adds fused into convolutions">,
    Statistic<"numBiases", "fused-biases",
              "Per-channel constant adds folded into the bias">,
    Statistic<"numPads", "fused-pads", "Pads folded into convolutions">,
    Statistic<"numRefused", "refused", "Fusions refused">
  ];
}

def FuseMatMulEpiloguePass : Pass<"paso-fuse-matmul-epilogue",
                                  "::mlir::func::FuncOp"> {
  let summary = "Fuse bias add and activation into matrix products";
  let description = [{
    Builds `paso.fused_matmul` from a `paso.matmul` whose right operand is a
    matrix (rows of any batch times one weight) or a `paso.gemm` with
    `alpha = 1`, no transposed A and a `[N]`/`[1, N]` C with `beta = 1`,
    then absorbs a following add of a `[N]` (or `[1, ..., N]`) bias and one
    activation (the set of `paso-fuse-conv-epilogue`, plus SiLU). The same
    refusals apply: a product whose value has other users, an activation
    already fused, or an add after the activation stay separate (reported as
    remarks with `explain`).
  }];
  let dependentDialects = ["::mlir::paso::PasoDialect"];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark for every fusion that is refused, with the reason">
  ];
}

def InsertPreprocessPass : Pass<"paso-insert-preprocess",
                                "::mlir::ModuleOp"> {
  let summary = "Feed an image input from a uint8 camera frame";
  let description = [{
    Replaces one float image input of `@main` (1 x 3 x H x W or
    1 x H x W x 3) by a uint8 frame and a `paso.preprocess` computing the
    image from it, as described by `spec`: comma-separated `key=value`
    pairs, lists separated by `:` (docs/preprocess.md):
    `frame=WxH` (required), `format=rgb|bgr|rgba|bgra|nv12`,
    `input=NAME`, `channels=rgb|bgr` (the model's channel order),
    `resize=bilinear|none`, `scale=F` or `1/N`, `mean=a:b:c`, `std=a:b:c`
    (or `imagenet`), `matrix=bt601|bt709`, `range=limited|full` (NV12),
    `layout=nchw|nhwc` (when the input's shape does not say). A bad spec
    or a model without a fitting input is an error naming the key.
  }];
  let options = [
    Option<"spec", "spec", "std::string", /*default=*/"\"\"",
           "The pre-processing, as paso-opt's --preprocess takes it">
  ];
  let dependentDialects = ["::mlir::paso::PasoDialect"];
}

def SinkTransposesPass : Pass<"paso-sink-transposes", "::mlir::func::FuncOp"> {
  let summary = "Move transposes down the graph until they cancel";
  let description = [{
    Rewrites `op(transpose(x, p))` as `transpose(op'(x), p)` wherever the op
    does not care about the order of dims once its attributes follow the
    permutation: elementwise unary ops and casts; broadcasting binary ops
    whose other operand is the same transpose, a constant (broadcast to
    full rank and permuted at compile time) or a tensor of unit dims;
    `paso.concat` (axis `p[axis]`); and the reductions (axes `p[axes]`,
    followed by the transpose of the remaining dims when their order
    changes). A transpose that keeps the order of the non-unit dims
    becomes a `paso.reshape`. Transposes meeting their inverse fold away,
    so a layout change made around every convolution leaves transposes
    only at the model's boundary and before layout-bound ops (reshapes,
    matmuls). A transpose stays where the other operand of a binary op is
    a computed tensor, since moving it would need a new transpose.
  }];
  let dependentDialects = ["::mlir::paso::PasoDialect"];
  let statistics = [
    Statistic<"numRemoved", "removed", "Transposes removed">
  ];
}

def DecomposeForTFLitePass : Pass<"paso-decompose-for-tflite",
                                  "::mlir::func::FuncOp"> {
  let summary = "Spell ops TFLite's int8 set lacks with ops it has";
  let description = [{
    Runs in the Edge TPU pipeline before quantisation, so the quantiser
    calibrates every new intermediate value. `paso.gelu` (erf or tanh form)
    becomes the tanh approximation
    `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))` in `paso.mul`,
    `paso.add` and `paso.tanh` (TFLite's MUL, ADD and TANH, all of which
    the Edge TPU maps); for the erf form the approximation differs from
    GELU by less than 0.0005 x |x| at most, far below an int8 step.
  }];
  let dependentDialects = ["::mlir::paso::PasoDialect"];
  let statistics = [
    Statistic<"numGelus", "gelus", "GELUs decomposed">
  ];
}

#endif // PASO_DIALECT_PASO_TRANSFORMS_PASSES_TD
