//===- PasoTensorOps.td - data-movement paso ops -----------*- tablegen -*-===//
//
// Constants, reshapes, transposes, concatenation, splitting, slicing,
// gathering, broadcasting, padding, resizing and reductions.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_DIALECT_PASO_IR_PASOTENSOROPS_TD
#define PASO_DIALECT_PASO_IR_PASOTENSOROPS_TD

include "paso/Dialect/Paso/IR/PasoBase.td"

def Paso_ConstantOp : Paso_Op<"constant", [ConstantLike, InferTypeOpAdaptor]> {
  let summary = "a constant tensor";
  let description = [{
    ONNX initializers, Constant nodes, ConstantOfShape and every value folded
    at import. Large weights use `dense_resource` blobs so the IR text does
    not carry them; small tensors use `dense`.

    Example:

    ```mlir
    %shape = paso.constant dense<[1, 2048]> : tensor<2xi64>
    %w = paso.constant dense_resource<conv1_weight> : tensor<64x3x7x7xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Paso_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Paso_ReshapeOp : Paso_Op<"reshape", [InferTypeOpAdaptor]> {
  let summary = "reinterpret a tensor with a new static shape";
  let description = [{
    Row-major reinterpretation; `shape` is fully resolved (no 0 or -1) and
    has the operand's element count. Mirrors ONNX Reshape (opsets 5, 13,
    14, 19, 21), Flatten, Squeeze and Unsqueeze.

    Example:

    ```mlir
    %y = paso.reshape %x {shape = array<i64: 1, 2048>} : (tensor<1x2048x1x1xf32>) -> tensor<1x2048xf32>
    ```
  }];
  let arguments = (ins Paso_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Paso_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Paso_TransposeOp : Paso_Op<"transpose", [InferTypeOpAdaptor]> {
  let summary = "permute the dims of a tensor";
  let description = [{
    Result dim `i` is operand dim `perm[i]`. Mirrors ONNX Transpose (opsets
    1, 13, 21); the default reversed permutation is filled in at import.

    Example:

    ```mlir
    %y = paso.transpose %x {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x8x16xf32>) -> tensor<1x8x4x16xf32>
    ```
  }];
  let arguments = (ins Paso_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Paso_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Paso_ConcatOp : Paso_Op<"concat", [InferTypeOpAdaptor]> {
  let summary = "join tensors along one axis";
  let description = [{
    Mirrors ONNX Concat (opsets 4, 11, 13); `axis` is non-negative.

    Example:

    ```mlir
    %y = paso.concat %a, %b {axis = 1 : i64} : (tensor<1x64x8x8xf32>, tensor<1x32x8x8xf32>) -> tensor<1x96x8x8xf32>
    ```
  }];
  let arguments = (ins Variadic<Paso_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Paso_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Paso_SplitOp : Paso_Op<"split", [InferTypeOpAdaptor]> {
  let summary = "cut a tensor into pieces along one axis";
  let description = [{
    Result `i` holds `sizes[i]` consecutive slices along `axis`; the sizes sum
    to the dim. Mirrors ONNX Split (opsets 2, 11, 13, 18): equal splits and
    `num_outputs` are resolved to `sizes` at import.

    Example:

    ```mlir
    %q, %k, %v = paso.split %x {axis = 2 : i64, sizes = array<i64: 64, 64, 64>}
        : (tensor<1x16x192xf32>) -> (tensor<1x16x64xf32>, tensor<1x16x64xf32>, tensor<1x16x64xf32>)
    ```
  }];
  let arguments = (ins Paso_Tensor:$input, I64Attr:$axis,
                   DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<Paso_Tensor>:$outputs);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Paso_SliceOp : Paso_Op<"slice", [InferTypeOpAdaptor]> {
  let summary = "strided slice with one entry per dim";
  let description = [{
    For each dim `d`, takes indices `starts[d], starts[d] + steps[d], ...`
    stopping before `ends[d]`. Mirrors ONNX Slice (opsets 1, 10, 11, 13):
    negative and out-of-range bounds are normalised at import, so here
    `0 <= starts[d] <= dim` for positive steps; a negative step walks
    backwards and `ends[d]` may be -1 to mean "through index 0". Steps are
    never 0.

    Example:

    ```mlir
    %y = paso.slice %x {ends = array<i64: 1, 8>, starts = array<i64: 0, 2>, steps = array<i64: 1, 2>}
         : (tensor<1x8xf32>) -> tensor<1x3xf32>
    ```
  }];
  let arguments = (ins Paso_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs Paso_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Paso_GatherOp : Paso_Op<"gather", [InferTypeOpAdaptor]> {
  let summary = "take slices of `data` at `indices` along one axis";
  let description = [{
    The result shape is `data.shape[:axis] + indices.shape +
    data.shape[axis+1:]`. Negative indices count from the end. Mirrors ONNX
    Gather (opsets 1, 11, 13); `axis` is non-negative.

    Example:

    ```mlir
    %y = paso.gather %table, %ids {axis = 0 : i64} : (tensor<1000x64xf32>, tensor<1x16xi64>) -> tensor<1x16x64xf32>
    ```
  }];
  let arguments = (ins Paso_Tensor:$data, Paso_IndexTensor:$indices,
                   I64Attr:$axis);
  let results = (outs Paso_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Paso_GatherElementsOp : Paso_Op<"gather_elements", [InferTypeOpAdaptor]> {
  let summary = "take one element of `data` per index, along one axis";
  let description = [{
    `result[i] = data[i with dim axis replaced by indices[i]]`: the result
    has the shape of `indices`, which has the rank of `data`. Negative
    indices count from the end. Mirrors ONNX GatherElements (opsets 11,
    13); `axis` is non-negative.

    Example:

    ```mlir
    %y = paso.gather_elements %x, %i {axis = 1 : i64} : (tensor<2x8xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins Paso_Tensor:$data, Paso_IndexTensor:$indices,
                   I64Attr:$axis);
  let results = (outs Paso_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Paso_GatherNDOp : Paso_Op<"gather_nd", [InferTypeOpAdaptor]> {
  let summary = "take slices of `data` at index tuples";
  let description = [{
    The last dim of `indices` holds tuples of `k` indices into the dims of
    `data` after the first `batch_dims` (which `data` and `indices` share);
    each tuple selects an element or a slice. The result shape is
    `indices.shape[:-1] + data.shape[batch_dims + k:]`. Negative indices
    count from the end. Mirrors ONNX GatherND (opsets 11, 12, 13).

    Example:

    ```mlir
    %y = paso.gather_nd %x, %i {batch_dims = 0 : i64} : (tensor<4x5x6xf32>, tensor<3x2xi64>) -> tensor<3x6xf32>
    ```
  }];
  let arguments = (ins Paso_Tensor:$data, Paso_IndexTensor:$indices,
                   I64Attr:$batch_dims);
  let results = (outs Paso_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Paso_GridSampleOp : Paso_Op<"grid_sample", [InferTypeOpAdaptor]> {
  let summary = "sample an image at the points of a grid";
  let description = [{
    `input` is N x C x H x W and `grid` N x Ho x Wo x 2, holding (x, y)
    positions normalised to [-1, 1]; the result is N x C x Ho x Wo. `mode`
    is `linear`, `nearest` or `cubic` (Keys, alpha = -0.75);
    `padding_mode` is `zeros`, `border` or `reflection`; `align_corners`
    says whether -1 and 1 are the centres of the corner pixels (else their
    outer edges). Mirrors ONNX GridSample (opsets 16, 20, 22) for 2-D
    images; opset 16's `bilinear`/`bicubic` are renamed at import.

    Example:

    ```mlir
    %y = paso.grid_sample %x, %g {align_corners = false, mode = "linear", padding_mode = "zeros"}
         : (tensor<1x3x8x8xf32>, tensor<1x4x4x2xf32>) -> tensor<1x3x4x4xf32>
    ```
  }];
  let arguments = (ins Paso_FloatTensor:$input, Paso_FloatTensor:$grid,
                   StrAttr:$mode, StrAttr:$padding_mode,
                   BoolAttr:$align_corners);
  let results = (outs Paso_FloatTensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Paso_PreprocessOp : Paso_Op<"preprocess", [Pure]> {
  let summary = "camera frame to a model's float input (Halide pipeline)";
  let description = [{
    Turns a uint8 camera frame into the float image a model takes:
    colour conversion, bilinear resize to the result's size, then
    `(pixel * scale - mean[c]) / std[c]` per model channel, written in
    `layout` (`nchw`: result 1 x C x H x W; `nhwc`: 1 x H x W x C).

    `format` is the frame's: `rgb`, `bgr`, `rgba`, `bgra` (H x W x 3 or 4,
    interleaved) or `nv12` (3H/2 x W: the Y plane, then interleaved U/V at
    half resolution, converted to RGB with the YUV `matrix`, `bt601` or
    `bt709`, and `range`, `limited` or `full`). Model channel c reads frame
    component `channel_map[c]` (R, G, B = 0, 1, 2 for NV12). `resize` is
    `bilinear` (half-pixel centres, clamped edges: ONNX Resize linear
    half_pixel, OpenCV INTER_LINEAR) or `none` (frame size equal to the
    result's). Inserted by `paso-insert-preprocess` (paso-opt
    `--preprocess`); the CPU back end runs it as a Halide pipeline
    generated by paso-preprocess-gen (docs/preprocess.md).

    Example:

    ```mlir
    %x = paso.preprocess %frame {channel_map = array<i64: 0, 1, 2>,
           format = "rgb", layout = "nchw", matrix = "bt601",
           mean = array<f64: 0.485, 0.456, 0.406>, range = "limited",
           resize = "bilinear", scale = 0.00392156862745098 : f64,
           std = array<f64: 0.229, 0.224, 0.225>}
         : (tensor<480x640x3xui8>) -> tensor<1x3x224x224xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[UI8]>:$frame, StrAttr:$format,
                   StrAttr:$matrix, StrAttr:$range, StrAttr:$resize,
                   StrAttr:$layout, DenseI64ArrayAttr:$channel_map,
                   F64Attr:$scale, DenseF64ArrayAttr:$mean,
                   DenseF64ArrayAttr:$std);
  let results = (outs RankedTensorOf<[F32]>:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Frame width and height in pixels.
    std::pair<int64_t, int64_t> getFrameSize();
    /// Result width, height and channels.
    std::tuple<int64_t, int64_t, int64_t> getImageSize();
  }];
}

def Paso_BroadcastToOp : Paso_Op<"broadcast_to", [InferTypeOpAdaptor]> {
  let summary = "numpy-style broadcast to a shape";
  let description = [{
    The result shape is the broadcast of the operand's shape with `shape`.
    Mirrors ONNX Expand (opsets 8, 13).

    Example:

    ```mlir
    %y = paso.broadcast_to %x {shape = array<i64: 4, 3>} : (tensor<1x3xf32>) -> tensor<4x3xf32>
    ```
  }];
  let arguments = (ins Paso_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Paso_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Paso_PadOp : Paso_Op<"pad", [InferTypeOpAdaptor]> {
  let summary = "pad every dim with a constant, reflection or edge copy";
  let description = [{
    `pads` holds the begin pads of every dim then the end pads (negative
    pads crop). `mode` is `constant`, `reflect` or `edge`; `value` is used in
    constant mode. Mirrors ONNX Pad (opsets 2, 11, 13, 18, 19 without
    `wrap`); the pads, the constant value and the axes must be constant at
    import.

    Example:

    ```mlir
    %y = paso.pad %x {mode = "constant", pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.000000e+00 : f64}
         : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
    ```
  }];
  let arguments = (ins Paso_Tensor:$input, DenseI64ArrayAttr:$pads,
                   StrAttr:$mode, F64Attr:$value);
  let results = (outs Paso_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Paso_ResizeOp : Paso_Op<"resize", [InferTypeOpAdaptor]> {
  let summary = "nearest or (bi)linear resampling to a static size";
  let description = [{
    Resamples to `sizes` (the full output shape). `scales` (one per dim) is
    what the coordinate transformation divides by: ONNX uses the given
    scales when the model gives scales, and `sizes / input` otherwise.
    `mode` is `nearest` or `linear`; `coordinate_transformation_mode` and
    `nearest_mode` keep their ONNX spellings. Mirrors ONNX Resize (opsets
    10, 11, 13, 18, 19) and Upsample (opsets 7, 9).

    Example:

    ```mlir
    %y = paso.resize %x {coordinate_transformation_mode = "asymmetric", mode = "nearest",
           nearest_mode = "floor", scales = array<f64: 1.0, 1.0, 2.0, 2.0>, sizes = array<i64: 1, 8, 16, 16>}
         : (tensor<1x8x8x8xf32>) -> tensor<1x8x16x16xf32>
    ```
  }];
  let arguments = (ins Paso_FloatTensor:$input, DenseI64ArrayAttr:$sizes,
                   DenseF64ArrayAttr:$scales, StrAttr:$mode,
                   StrAttr:$coordinate_transformation_mode,
                   StrAttr:$nearest_mode);
  let results = (outs Paso_FloatTensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

/// Shared definition of the reductions.
class Paso_ReduceOp<string mnemonic, string onnxOps, string reduction>
    : Paso_Op<mnemonic, [InferTypeOpAdaptor]> {
  let summary = reduction # " over a set of axes";
  let description = "Reduces the dims in `axes` (sorted, non-negative, "
      # "unique; empty means none, since ONNX's reduce-all default and "
      # "`noop_with_empty_axes` are resolved at import) and keeps them as size "
      # "1 when `keepdims`. Mirrors ONNX " # onnxOps # ".\n\nExample:\n\n"
      # "```mlir\n%y = paso." # mnemonic # " %x {axes = array<i64: 2, 3>, "
      # "keepdims = true} : (tensor<1x64x7x7xf32>) -> tensor<1x64x1x1xf32>\n```";
  let arguments = (ins Paso_NumericTensor:$input, DenseI64ArrayAttr:$axes,
                   BoolAttr:$keepdims);
  let results = (outs Paso_NumericTensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def Paso_ReduceMeanOp : Paso_ReduceOp<"reduce_mean", "ReduceMean (opsets 1, "
    "11, 13, 18) and GlobalAveragePool", "the mean">;
def Paso_ReduceSumOp
    : Paso_ReduceOp<"reduce_sum", "ReduceSum (opsets 1, 11, 13)", "the sum">;
def Paso_ReduceMaxOp : Paso_ReduceOp<"reduce_max", "ReduceMax (opsets 1, 11, "
    "12, 13, 18, 20) and GlobalMaxPool", "the maximum">;
def Paso_ReduceMinOp : Paso_ReduceOp<"reduce_min", "ReduceMin (opsets 1, 11, "
    "12, 13, 18, 20)", "the minimum">;
def Paso_ReduceProdOp
    : Paso_ReduceOp<"reduce_prod", "ReduceProd (opsets 1, 11, 13, 18)",
                    "the product">;

def Paso_ArgMaxOp : Paso_Op<"argmax", [InferTypeOpAdaptor]> {
  let summary = "index of the maximum along one axis";
  let description = [{
    i64 indices of the first (or, with `select_last_index`, last) maximum
    along `axis`. Mirrors ONNX ArgMax (opsets 1, 11, 12, 13).

    Example:

    ```mlir
    %i = paso.argmax %x {axis = 1 : i64, keepdims = false, select_last_index = false} : (tensor<1x1000xf32>) -> tensor<1xi64>
    ```
  }];
  let arguments = (ins Paso_NumericTensor:$input, I64Attr:$axis,
                   BoolAttr:$keepdims, BoolAttr:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

#endif // PASO_DIALECT_PASO_IR_PASOTENSOROPS_TD
