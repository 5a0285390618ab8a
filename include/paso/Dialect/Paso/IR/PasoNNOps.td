//===- PasoNNOps.td - neural-network paso ops --------------*- tablegen -*-===//
//
// Convolution, pooling, normalisation, softmax and the matmul family.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_DIALECT_PASO_IR_PASONNOPS_TD
#define PASO_DIALECT_PASO_IR_PASONNOPS_TD

include "paso/Dialect/Paso/IR/PasoBase.td"

def Paso_ConvOp : Paso_Op<"conv", [InferTypeOpAdaptor]> {
  let summary = "N-d grouped convolution, NCHW or channels-last layout";
  let description = [{
    Cross-correlation of `input` (N x C x D1..Dk) with `filter`
    (M x C/group x K1..Kk), plus an optional per-output-channel `bias` (M).
    Mirrors ONNX Conv (opsets 1, 11): `auto_pad` is resolved into explicit
    `pads` at import, and `strides`, `dilations` and `pads` (k begins then
    k ends) are always present with one entry per spatial dim. A depthwise
    convolution is `group == C == M`.

    With `channels_last` (set only by `paso-select-cpu-layout`, never by
    the importer) the channel dim is the last one instead: `input` is
    N x D1..Dk x C, `filter` M x K1..Kk x C/group and the result
    N x D1..Dk x M.

    Example:

    ```mlir
    %y = paso.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64,
           pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = (ins Paso_FloatTensor:$input, Paso_FloatTensor:$filter,
                   Optional<Paso_FloatTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, I64Attr:$group,
                   DefaultValuedAttr<BoolAttr, "false">:$channels_last);
  let results = (outs Paso_FloatTensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Paso_FusedConvOp : Paso_Op<"fused_conv", [InferTypeOpAdaptor,
                                              AttrSizedOperandSegments]> {
  let summary = "convolution with its bias, residual add and activation";
  let description = [{
    `activation(conv(input, filter) + bias + residual)`: one kernel for the
    pattern that fills CNNs (Conv, BatchNormalization folded into it, Add of
    a shortcut, Relu/Clip/...). Produced by `paso-fuse-conv-epilogue`, never
    by the importer. Convolution attributes are those of `paso.conv`;
    `residual` has the result's type. `activation` is one of `none`, `relu`,
    `clip` (params: min, max), `leaky_relu` (alpha), `sigmoid`,
    `hard_sigmoid` (alpha, beta), `hard_swish`, `tanh`, `gelu` (erf form),
    `gelu_tanh` or `silu`.
    Its location fuses the locations of every ONNX node it replaces.

    Example:

    ```mlir
    %y = paso.fused_conv %x, %w bias(%b : tensor<64xf32>)
           residual(%skip : tensor<1x64x56x56xf32>) {activation = "relu",
           dilations = array<i64: 1, 1>, group = 1 : i64,
           pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
         : tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32> -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins Paso_FloatTensor:$input, Paso_FloatTensor:$filter,
                   Optional<Paso_FloatTensor>:$bias,
                   Optional<Paso_FloatTensor>:$residual,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, I64Attr:$group,
                   DefaultValuedStrAttr<StrAttr, "none">:$activation,
                   DefaultValuedAttr<DenseF64ArrayAttr, "{}">:$activation_params,
                   DefaultValuedAttr<BoolAttr, "false">:$channels_last);
  let results = (outs Paso_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $filter (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`residual` `(` $residual^ `:` type($residual) `)`)? attr-dict
    `:` type($input) `,` type($filter) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Paso_FusedMatMulOp : Paso_Op<"fused_matmul", [InferTypeOpAdaptor]> {
  let summary = "matrix product with its bias and activation";
  let description = [{
    `activation(lhs x op(rhs) + bias)` where `lhs` is `[..., M, K]` (leading
    dims are a batch of rows), `rhs` is `[K, N]` (or `[N, K]` with
    `trans_rhs`, as fully connected layers store it) and the optional `bias`
    is `[N]`. One kernel for MatMul/Gemm followed by a bias Add and an
    activation; produced by `paso-fuse-matmul-epilogue`. `activation` takes
    the names of `paso.fused_conv`. Its location fuses those of the ONNX
    nodes it replaces.

    Example:

    ```mlir
    %y = paso.fused_matmul %x, %w bias(%b : tensor<512xf32>) {activation = "gelu", trans_rhs = false}
         : tensor<1x32x128xf32>, tensor<128x512xf32> -> tensor<1x32x512xf32>
    ```
  }];
  let arguments = (ins Paso_FloatTensor:$lhs, Paso_FloatTensor:$rhs,
                   Optional<Paso_FloatTensor>:$bias, BoolAttr:$trans_rhs,
                   DefaultValuedStrAttr<StrAttr, "none">:$activation,
                   DefaultValuedAttr<DenseF64ArrayAttr, "{}">:$activation_params);
  let results = (outs Paso_FloatTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs (`bias` `(` $bias^ `:` type($bias) `)`)? attr-dict
    `:` type($lhs) `,` type($rhs) `->` type($output)
  }];
  let hasVerifier = 1;
}

/// Shared definition of the sliding-window pools.
class Paso_PoolOp<string mnemonic, string onnxOps, string reduction,
                  string note, dag extraAttrs,
                  TypeConstraint tensorType = Paso_FloatTensor>
    : Paso_Op<mnemonic, [InferTypeOpAdaptor]> {
  let summary = "N-d " # reduction # " pooling, NCHW or channels-last layout";
  let description = "Slides a `kernel_shape` window over the spatial dims "
      # "of `input` and takes the " # reduction # note # ". Mirrors ONNX "
      # onnxOps
      # "; `auto_pad` is resolved into explicit `pads` at import, and "
      # "`strides`, `dilations` and `pads` are always present. With "
      # "`ceil_mode` the output size rounds up, but no window starts in the "
      # "end padding. With `channels_last` (set only by "
      # "`paso-select-cpu-layout`) the channel dim is the last one."
      # "\n\nExample:\n\n```mlir\n%y = paso." # mnemonic
      # " %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = "
      # "array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = "
      # "array<i64: 2, 2>, ...} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>"
      # "\n```";
  let arguments = !con((ins tensorType:$input,
                        DenseI64ArrayAttr:$kernel_shape,
                        DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                        DenseI64ArrayAttr:$dilations, BoolAttr:$ceil_mode),
                       extraAttrs,
                       (ins DefaultValuedAttr<BoolAttr, "false">:$channels_last));
  let results = (outs tensorType:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Paso_MaxPoolOp : Paso_PoolOp<"max_pool", "MaxPool (opsets 1-22; the "
    "Indices output is not supported)", "maximum", " (integers too: "
    "`paso-fold-qdq` runs the pooling of int8 values on their storage when "
    "input and output share one quantisation)", (ins), Paso_NumericTensor>;
def Paso_AveragePoolOp : Paso_PoolOp<"average_pool", "AveragePool (opsets "
    "1-22)", "mean", " (padded positions count when `count_include_pad`)",
    (ins BoolAttr:$count_include_pad)>;

def Paso_BatchNormOp : Paso_Op<"batch_norm", [InferTypeOpAdaptor]> {
  let summary = "inference-mode batch normalisation over channel dim 1";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * scale + bias`, with the four
    per-channel operands broadcast along dim 1. Mirrors ONNX
    BatchNormalization in inference mode (opsets 7-15); training-mode outputs
    are rejected at import.

    Example:

    ```mlir
    %y = paso.batch_norm %x, %s, %b, %m, %v {epsilon = 9.99999974E-6 : f32}
         : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = (ins Paso_FloatTensor:$input, Paso_FloatTensor:$scale,
                   Paso_FloatTensor:$bias, Paso_FloatTensor:$mean,
                   Paso_FloatTensor:$variance, F32Attr:$epsilon);
  let results = (outs Paso_FloatTensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Paso_LayerNormOp : Paso_Op<"layer_norm", [InferTypeOpAdaptor]> {
  let summary = "layer normalisation over the dims from `axis` on";
  let description = [{
    Normalises over dims `[axis, rank)` to zero mean and unit variance, then
    applies `scale` and the optional `bias` (both broadcastable to the
    normalised shape). Mirrors ONNX LayerNormalization (opset 17; its Mean
    and InvStdDev outputs are imported as separate reductions). `axis` is
    non-negative.

    Example:

    ```mlir
    %y = paso.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
         : (tensor<1x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<1x16x64xf32>
    ```
  }];
  let arguments = (ins Paso_FloatTensor:$input, Paso_FloatTensor:$scale,
                   Optional<Paso_FloatTensor>:$bias, I64Attr:$axis,
                   F32Attr:$epsilon);
  let results = (outs Paso_FloatTensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Paso_LRNOp : Paso_Op<"lrn", [InferTypeOpAdaptor]> {
  let summary = "local response normalisation across channels";
  let description = [{
    `x / (bias + alpha / size * sum(x^2 over a window of size channels))^beta`.
    Mirrors ONNX LRN (opsets 1, 13).

    Example:

    ```mlir
    %y = paso.lrn %x {alpha = 9.99999974E-5 : f32, beta = 7.500000e-01 : f32, bias = 1.000000e+00 : f32, size = 5 : i64}
         : (tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins Paso_FloatTensor:$input, I64Attr:$size,
                   F32Attr:$alpha, F32Attr:$beta, F32Attr:$bias);
  let results = (outs Paso_FloatTensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

class Paso_SoftmaxBase<string mnemonic, string onnxOp, string formula>
    : Paso_Op<mnemonic, [InferTypeOpAdaptor]> {
  let summary = formula # " along one axis";
  let description = "Computes `" # formula # "` along `axis` (non-negative). "
      # "Mirrors ONNX " # onnxOp # " opset 13+; the opset 1-12 form, which "
      # "flattens the dims from `axis` on, is imported as reshape, " # mnemonic
      # ", reshape.\n\nExample:\n\n```mlir\n%y = paso." # mnemonic
      # " %x {axis = 1 : i64} : (tensor<1x1000xf32>) -> tensor<1x1000xf32>\n```";
  let arguments = (ins Paso_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Paso_FloatTensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Paso_SoftmaxOp
    : Paso_SoftmaxBase<"softmax", "Softmax", "exp(x) / sum(exp(x))">;
def Paso_LogSoftmaxOp
    : Paso_SoftmaxBase<"log_softmax", "LogSoftmax", "log(softmax(x))">;

def Paso_MatMulOp : Paso_Op<"matmul", [InferTypeOpAdaptor]> {
  let summary = "numpy-style (batched, broadcasting) matrix product";
  let description = [{
    Mirrors ONNX MatMul (opsets 1, 9, 13): 1-D operands are promoted to
    matrices and the promoted dim removed from the result; leading batch
    dims broadcast.

    Example:

    ```mlir
    %y = paso.matmul %a, %b : (tensor<2x16x64xf32>, tensor<64x32xf32>) -> tensor<2x16x32xf32>
    ```
  }];
  let arguments = (ins Paso_NumericTensor:$lhs, Paso_NumericTensor:$rhs);
  let results = (outs Paso_NumericTensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Paso_GemmOp : Paso_Op<"gemm", [InferTypeOpAdaptor]> {
  let summary = "alpha * op(A) * op(B) + beta * C on matrices";
  let description = [{
    `op(X)` is `X` transposed when `trans_a`/`trans_b` is set. `C` is optional
    and broadcasts to the M x N result. Mirrors ONNX Gemm (opsets 7-13).

    Example:

    ```mlir
    %y = paso.gemm %a, %w, %b {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, trans_a = false, trans_b = true}
         : (tensor<1x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<1x10xf32>
    ```
  }];
  let arguments = (ins Paso_FloatTensor:$a, Paso_FloatTensor:$b,
                   Optional<Paso_FloatTensor>:$c, F32Attr:$alpha,
                   F32Attr:$beta, BoolAttr:$trans_a, BoolAttr:$trans_b);
  let results = (outs Paso_FloatTensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

#endif // PASO_DIALECT_PASO_IR_PASONNOPS_TD
