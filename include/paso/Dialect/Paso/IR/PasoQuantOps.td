//===- PasoQuantOps.td - quantised paso ops ----------------*- tablegen -*-===//
//
// Quantised values are tensors whose element type is the upstream `quant`
// dialect's `!quant.uniform` (per tensor, or per axis for weights), so
// every graph pass sees the scale and zero point in the type. Raw integer
// tensors (weights, ONNX inputs) become quantised ones through
// `paso.storage_cast`, which reinterprets the storage without changing a
// bit. (Upstream `quant.scast` does the same but only for signless
// integers, and the importer keeps ONNX's uint8 as `ui8`.)
//
//===----------------------------------------------------------------------===//

#ifndef PASO_DIALECT_PASO_IR_PASOQUANTOPS_TD
#define PASO_DIALECT_PASO_IR_PASOQUANTOPS_TD

include "paso/Dialect/Paso/IR/PasoBase.td"
include "mlir/Dialect/Quant/IR/QuantBase.td"

/// Tensors of any quant type; the verifiers accept only uniform ones.
def Paso_QuantTensor : RankedTensorOf<[quant_QuantizedType]>;
def Paso_I32Tensor : RankedTensorOf<[I32]>;

def Paso_StorageCastOp : Paso_Op<"storage_cast"> {
  let summary = "reinterprets integers as quantised values or back";
  let description = [{
    Between a quantised tensor and its storage: the same shape, the same
    bits. The integer side is `ui8`/`ui16` for unsigned storage and a
    signless integer for signed storage, as the importer types ONNX
    tensors. A cast of a cast back to the original type folds away.

    Example:

    ```mlir
    %q = paso.storage_cast %w : tensor<8x3x3x3xi8> -> tensor<8x3x3x3x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.1, 0.1, 0.3, 0.1, 0.2, 0.1}>>
    ```
  }];
  let arguments = (ins Paso_Tensor:$input);
  let results = (outs Paso_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Paso_QuantizeOp : Paso_Op<"quantize", [InferTypeOpAdaptor]> {
  let summary = "float to quantised tensor (ONNX QuantizeLinear)";
  let description = [{
    `q = saturate(round_half_to_even(x / scale) + zero_point)` with the
    scale and zero point of `element_type`, a `!quant.uniform` type whose
    expressed type is the input's element type and whose storage is an
    8-bit integer (or i32, as biases use). Per-axis types quantise along
    their quantised dimension. Mirrors ONNX QuantizeLinear (opsets 10-24)
    with constant scale and zero point; blocked quantisation and float8
    storage are rejected at import.

    Example:

    ```mlir
    %q = paso.quantize %x {element_type = !quant.uniform<u8:f32, 0.1:128>}
         : tensor<1x8xf32> -> tensor<1x8x!quant.uniform<u8:f32, 0.1:128>>
    ```
  }];
  let arguments = (ins Paso_FloatTensor:$input, TypeAttr:$element_type);
  let results = (outs Paso_QuantTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Paso_DequantizeOp : Paso_Op<"dequantize", [InferTypeOpAdaptor]> {
  let summary = "quantised to float tensor (ONNX DequantizeLinear)";
  let description = [{
    `x = (q - zero_point) * scale`, per tensor or along the type's quantised
    dimension; the result has the type's expressed element type. Mirrors
    ONNX DequantizeLinear (opsets 10-24) with constant scale and zero point.
    Small inline constants (zero points, scalars) fold to float constants;
    quantised weights stay integer for the kernels, and so does a constant
    marked `paso.keep_quantized` (the importer marks a QLinearAdd or
    QLinearMul's constant scalar, whose byte the integer kernels read).

    Example:

    ```mlir
    %x = paso.dequantize %q : tensor<1x8x!quant.uniform<u8:f32, 0.1:128>> -> tensor<1x8xf32>
    ```
  }];
  let arguments = (ins Paso_QuantTensor:$input);
  let results = (outs Paso_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
}

def Paso_RequantizeOp : Paso_Op<"requantize", [InferTypeOpAdaptor]> {
  let summary = "quantised tensor to another quantisation of the same values";
  let description = [{
    `quantize(dequantize(x))` into `element_type`, per tensor: the value
    of each element re-expressed at another scale and zero point (and
    possibly storage), `y = saturate(round_half_to_even((q - zp_in) *
    scale_in / scale_out) + zp_out)`, computed as the dequantize and
    quantize it stands for so the results are identical. Canonicalisation
    forms it from such a pair; a requantisation to the input's own type
    folds away.

    Example:

    ```mlir
    %y = paso.requantize %x {element_type = !quant.uniform<i8:f32, 0.2:-3>}
         : tensor<4x!quant.uniform<u8:f32, 0.1:128>> -> tensor<4x!quant.uniform<i8:f32, 0.2:-3>>
    ```
  }];
  let arguments = (ins Paso_QuantTensor:$input, TypeAttr:$element_type);
  let results = (outs Paso_QuantTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
}

def Paso_DynamicQuantizeOp : Paso_Op<"dynamic_quantize",
                                     [InferTypeOpAdaptor]> {
  let summary = "uint8 quantisation with a scale computed at run time "
                "(ONNX DynamicQuantizeLinear)";
  let description = [{
    Mirrors ONNX DynamicQuantizeLinear (opset 11): with
    `lo = min(0, min(x))`, `hi = max(0, max(x))`, the results are
    `scale = (hi - lo) / 255`, `zero_point = saturate(round(-lo / scale))`
    and `y = saturate(round(x / scale) + zero_point)` (rounding half to
    even, saturating to [0, 255]). The scale and zero point are rank-0
    tensors, computed per inference; an all-zero input gets scale 0 and
    zero point 0 (and y = 0), where the formula would divide by zero.

    Example:

    ```mlir
    %y, %s, %z = paso.dynamic_quantize %x
        : tensor<1x64xf32> -> (tensor<1x64xui8>, tensor<f32>, tensor<ui8>)
    ```
  }];
  let arguments = (ins Paso_FloatTensor:$input);
  let results = (outs Paso_Tensor:$output, Paso_Tensor:$scale,
                 Paso_Tensor:$zero_point);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` `(` type(results) `)`";
}

def Paso_QConvOp : Paso_Op<"qconv", [InferTypeOpAdaptor]> {
  let summary = "integer convolution with a requantising epilogue";
  let description = [{
    A 2-D convolution of a per-tensor quantised `input` with a quantised
    `filter` (per tensor, or per output channel: axis 0), accumulated in
    int32, plus an optional int32 `bias` in units of input scale x filter
    scale (as ONNX QLinearConv stores it), then requantised to
    `output_type`: `out = saturate(round((acc) * s_in * s_w / s_out) +
    zp_out)`, clamped by `activation` (`none`, `relu`, or `clip` with
    params min, max in real units). Convolution attributes are those of
    `paso.conv`. Produced from ONNX QLinearConv and from the QDQ pattern
    (DequantizeLinear -> Conv -> QuantizeLinear) by `paso-fold-qdq`, so a
    QDQ model and its QOperator twin compile to the same op.

    Example:

    ```mlir
    %y = paso.qconv %x, %w, %b {activation = "relu", dilations = array<i64: 1, 1>,
           group = 1 : i64, output_type = !quant.uniform<u8:f32, 0.05:0>,
           pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
         : (tensor<1x3x8x8x!quant.uniform<u8:f32, 0.02:128>>,
            tensor<4x3x3x3x!quant.uniform<i8:f32:0, {0.01, 0.02, 0.01, 0.03}>>,
            tensor<4xi32>) -> tensor<1x4x8x8x!quant.uniform<u8:f32, 0.05:0>>
    ```
  }];
  let arguments = (ins Paso_QuantTensor:$input, Paso_QuantTensor:$filter,
                   Optional<Paso_I32Tensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, I64Attr:$group,
                   TypeAttr:$output_type,
                   DefaultValuedStrAttr<StrAttr, "none">:$activation,
                   DefaultValuedAttr<DenseF64ArrayAttr, "{}">:$activation_params,
                   DefaultValuedAttr<BoolAttr, "false">:$channels_last);
  let results = (outs Paso_QuantTensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Paso_QMatMulOp : Paso_Op<"qmatmul", [InferTypeOpAdaptor]> {
  let summary = "integer matrix product with a requantising epilogue";
  let description = [{
    `lhs [..., M, K]` (per-tensor quantised) times `rhs [K, N]` (per tensor
    or per column: axis 1), accumulated in int32, plus an optional int32
    `bias [N]` in units of lhs scale x rhs scale, requantised to
    `output_type` and clamped by `activation` as in `paso.qconv`. Produced
    from ONNX QLinearMatMul and from DequantizeLinear -> MatMul/Gemm ->
    QuantizeLinear by `paso-fold-qdq`.

    Example:

    ```mlir
    %y = paso.qmatmul %a, %b {output_type = !quant.uniform<i8:f32, 0.1:-3>}
         : (tensor<4x16x!quant.uniform<i8:f32, 0.05:2>>,
            tensor<16x8x!quant.uniform<i8:f32, 0.01>>)
        -> tensor<4x8x!quant.uniform<i8:f32, 0.1:-3>>
    ```
  }];
  let arguments = (ins Paso_QuantTensor:$lhs, Paso_QuantTensor:$rhs,
                   Optional<Paso_I32Tensor>:$bias, TypeAttr:$output_type,
                   DefaultValuedStrAttr<StrAttr, "none">:$activation,
                   DefaultValuedAttr<DenseF64ArrayAttr, "{}">:$activation_params);
  let results = (outs Paso_QuantTensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif // PASO_DIALECT_PASO_IR_PASOQUANTOPS_TD
