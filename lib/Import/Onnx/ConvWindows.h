//===- ConvWindows.h - convolutions of any rank on the 2-D op ----*- C++ -*-===//
//
// What ConvConverters.cpp and ConvTransposeConverter.cpp share: a window of
// any spatial rank, the convolution of rank 1 to 3 on the 2-D paso.conv
// (grouped ones group by group), and filters rearranged at import.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_IMPORT_ONNX_CONVWINDOWS_H
#define PASO_LIB_IMPORT_ONNX_CONVWINDOWS_H

#include "Composer.h"

namespace mlir::paso::onnx_import {

/// A window with one entry per spatial dim (pads: begins then ends).
struct Dims {
  SmallVector<int64_t> kernel, strides, dilations, pads;
  int64_t rank() const { return kernel.size(); }
  int64_t begin(int64_t i) const { return pads[i]; }
  int64_t end(int64_t i) const { return pads[rank() + i]; }
  /// The 2-D window made of spatial dims `a` and `b` (-1: a unit dim).
  Dims pick(int64_t a, int64_t b) const {
    Dims d;
    for (int64_t i : {a, b}) {
      d.kernel.push_back(i < 0 ? 1 : kernel[i]);
      d.strides.push_back(i < 0 ? 1 : strides[i]);
      d.dilations.push_back(i < 0 ? 1 : dilations[i]);
    }
    for (int64_t i : {a, b})
      d.pads.push_back(i < 0 ? 0 : begin(i));
    for (int64_t i : {a, b})
      d.pads.push_back(i < 0 ? 0 : end(i));
    return d;
  }
};

/// The 2-D convolution (grouped ones not depthwise as one per group).
Value conv2D(Composer &c, Value x, Value w, Value bias, const Dims &d,
             int64_t group);

/// Convolution of any spatial rank from 1 to 3 on the 2-D op.
Value convolution(Composer &c, Value x, Value w, Value bias, const Dims &d,
                  int64_t group);

/// Composer::rearrangedConstant by coordinates: the constant of `shape`
/// whose element at each index is `w`'s at the coordinates `source`
/// appends (none: 0); null when `w` is not a constant.
Value rearrangedConstant(
    Composer &c, Value w, ArrayRef<int64_t> shape,
    llvm::function_ref<void(ArrayRef<int64_t>, SmallVectorImpl<int64_t> &)>
        source);

} // namespace mlir::paso::onnx_import

#endif // PASO_LIB_IMPORT_ONNX_CONVWINDOWS_H
