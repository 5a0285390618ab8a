//===- PasoMathOps.td - elementwise paso ops ---------------*- tablegen -*-===//
//
// Elementwise ops: activations, unary math, broadcasting binary arithmetic,
// comparisons, logic, and `paso.where`.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_DIALECT_PASO_IR_PASOMATHOPS_TD
#define PASO_DIALECT_PASO_IR_PASOMATHOPS_TD

include "paso/Dialect/Paso/IR/PasoBase.td"

//===----------------------------------------------------------------------===//
// Unary elementwise ops
//===----------------------------------------------------------------------===//

/// A unary op whose result has the operand's type.
class Paso_UnaryOp<string mnemonic, string onnxOps, string formula,
                   TypeConstraint operandType = Paso_FloatTensor,
                   list<Trait> traits = []>
    : Paso_Op<mnemonic, !listconcat(traits, [SameOperandsAndResultType])> {
  let summary = "elementwise " # formula;
  let description = "Computes `" # formula # "` for every element. Mirrors "
      # "ONNX " # onnxOps # " (all opsets from 7).\n\nExample:\n\n```mlir\n"
      # "%y = paso." # mnemonic # " %x : tensor<1x8xf32>\n```";
  let arguments = (ins operandType:$input);
  let results = (outs operandType:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
}

def Paso_ReluOp : Paso_UnaryOp<"relu", "Relu", "max(x, 0)">;
def Paso_SigmoidOp : Paso_UnaryOp<"sigmoid", "Sigmoid", "1 / (1 + exp(-x))">;
def Paso_TanhOp : Paso_UnaryOp<"tanh", "Tanh", "tanh(x)">;
def Paso_ExpOp : Paso_UnaryOp<"exp", "Exp", "exp(x)">;
def Paso_LogOp : Paso_UnaryOp<"log", "Log", "log(x)">;
def Paso_SqrtOp : Paso_UnaryOp<"sqrt", "Sqrt", "sqrt(x)">;
def Paso_ErfOp : Paso_UnaryOp<"erf", "Erf", "erf(x)">;
def Paso_ReciprocalOp : Paso_UnaryOp<"reciprocal", "Reciprocal", "1 / x">;
def Paso_FloorOp : Paso_UnaryOp<"floor", "Floor", "floor(x)">;
def Paso_CeilOp : Paso_UnaryOp<"ceil", "Ceil", "ceil(x)">;
def Paso_RoundOp : Paso_UnaryOp<"round", "Round (opsets 11+)",
                                "x rounded to the nearest integer, halves to even">;
def Paso_SinOp : Paso_UnaryOp<"sin", "Sin", "sin(x)">;
def Paso_CosOp : Paso_UnaryOp<"cos", "Cos", "cos(x)">;
def Paso_TanOp : Paso_UnaryOp<"tan", "Tan", "tan(x)">;
def Paso_AsinOp : Paso_UnaryOp<"asin", "Asin", "asin(x)">;
def Paso_AcosOp : Paso_UnaryOp<"acos", "Acos", "acos(x)">;
def Paso_AtanOp : Paso_UnaryOp<"atan", "Atan", "atan(x)">;
def Paso_SinhOp : Paso_UnaryOp<"sinh", "Sinh", "sinh(x)">;
def Paso_CoshOp : Paso_UnaryOp<"cosh", "Cosh", "cosh(x)">;
def Paso_AsinhOp : Paso_UnaryOp<"asinh", "Asinh", "asinh(x)">;
def Paso_AcoshOp : Paso_UnaryOp<"acosh", "Acosh", "acosh(x)">;
def Paso_AtanhOp : Paso_UnaryOp<"atanh", "Atanh", "atanh(x)">;
def Paso_SoftplusOp : Paso_UnaryOp<"softplus", "Softplus", "log(1 + exp(x))">;
def Paso_HardSwishOp
    : Paso_UnaryOp<"hard_swish", "HardSwish (opset 14)",
                   "x * max(0, min(1, x / 6 + 1 / 2))">;
def Paso_NegOp : Paso_UnaryOp<"neg", "Neg", "-x", Paso_NumericTensor> {
  let hasFolder = 1;
}
def Paso_AbsOp : Paso_UnaryOp<"abs", "Abs", "|x|", Paso_NumericTensor>;
def Paso_NotOp : Paso_UnaryOp<"not", "Not", "!x", Paso_BoolTensor> {
  let hasFolder = 1;
}

/// A unary activation with float parameters.
class Paso_ParamUnaryOp<string mnemonic, string onnxOps, string formula,
                        dag params>
    : Paso_Op<mnemonic, [SameOperandsAndResultType]> {
  let summary = "elementwise " # formula;
  let description = "Computes `" # formula # "` for every element. Mirrors "
      # "ONNX " # onnxOps # "; ONNX's default parameters are filled in at "
      # "import.\n\nExample:\n\n```mlir\n%y = paso." # mnemonic
      # " %x {...} : tensor<1x8xf32>\n```";
  let arguments = !con((ins Paso_FloatTensor:$input), params);
  let results = (outs Paso_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
}

def Paso_LeakyReluOp : Paso_ParamUnaryOp<"leaky_relu", "LeakyRelu",
    "x >= 0 ? x : alpha * x", (ins F32Attr:$alpha)>;
def Paso_EluOp : Paso_ParamUnaryOp<"elu", "Elu",
    "x >= 0 ? x : alpha * (exp(x) - 1)", (ins F32Attr:$alpha)>;
def Paso_HardSigmoidOp : Paso_ParamUnaryOp<"hard_sigmoid", "HardSigmoid",
    "max(0, min(1, alpha * x + beta))", (ins F32Attr:$alpha, F32Attr:$beta)>;
def Paso_GeluOp : Paso_ParamUnaryOp<"gelu", "Gelu (opset 20) and the erf "
    "form exported by older tools", "x * Phi(x), tanh-approximated when "
    "`tanh_approximation` is set", (ins BoolAttr:$tanh_approximation)>;

def Paso_ClipOp : Paso_Op<"clip", [SameOperandsAndResultType]> {
  let summary = "elementwise clamp to [min, max]";
  let description = [{
    Clamps every element to `[min, max]`; an absent bound is unbounded.
    Mirrors ONNX Clip: opsets 6-10 (bounds as attributes) and 11+ (bounds as
    optional inputs, which must be constant at import). Relu6 is
    `paso.clip {min = 0.0, max = 6.0}`.

    Example:

    ```mlir
    %y = paso.clip %x {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : tensor<1x8xf32>
    ```
  }];
  let arguments = (ins Paso_NumericTensor:$input, OptionalAttr<F64Attr>:$min,
                   OptionalAttr<F64Attr>:$max);
  let results = (outs Paso_NumericTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
  let hasVerifier = 1;
}

def Paso_CastOp : Paso_Op<"cast", [InferTypeOpAdaptor]> {
  let summary = "elementwise element type conversion";
  let description = [{
    Converts every element to the element type `to`, with ONNX Cast
    semantics (opsets 6+): float to integer truncates toward zero, anything
    to bool is `x != 0`.

    Example:

    ```mlir
    %y = paso.cast %x {to = i64} : tensor<4xf32> -> tensor<4xi64>
    ```
  }];
  let arguments = (ins Paso_Tensor:$input, TypeAttr:$to);
  let results = (outs Paso_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Binary elementwise ops with numpy-style broadcasting
//===----------------------------------------------------------------------===//

/// A binary op with ONNX (numpy) multidirectional broadcasting. The result
/// element type is the operands' (arithmetic) or i1 (comparison, logic).
class Paso_BinaryOp<string mnemonic, string onnxOps, string formula,
                    TypeConstraint operandType, TypeConstraint resultType,
                    list<Trait> traits = [], bit folds = 1>
    : Paso_Op<mnemonic, !listconcat(traits, [InferTypeOpAdaptor])> {
  let summary = "elementwise " # formula # " with broadcasting";
  let description = "Computes `" # formula # "` elementwise after "
      # "numpy-style broadcasting of both operands. Mirrors ONNX " # onnxOps
      # " (opsets 7+; opset 1-6 `broadcast`/`axis` forms are not accepted)."
      # "\n\nExample:\n\n```mlir\n%z = paso." # mnemonic
      # " %x, %y : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>\n```";
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs resultType:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)"
                       " `->` type($output)";
  let hasFolder = folds;
}

class Paso_ArithOp<string mnemonic, string onnxOps, string formula,
                   list<Trait> traits = [], bit folds = 1>
    : Paso_BinaryOp<mnemonic, onnxOps, formula, Paso_NumericTensor,
                    Paso_NumericTensor, traits, folds>;
class Paso_CompareOp<string mnemonic, string onnxOps, string formula>
    : Paso_BinaryOp<mnemonic, onnxOps, formula, Paso_NumericTensor,
                    Paso_BoolTensor>;
class Paso_LogicOp<string mnemonic, string onnxOps, string formula>
    : Paso_BinaryOp<mnemonic, onnxOps, formula, Paso_BoolTensor,
                    Paso_BoolTensor, [Commutative]>;

def Paso_AddOp : Paso_ArithOp<"add", "Add and variadic Sum", "x + y",
                              [Commutative]>;
def Paso_SubOp : Paso_ArithOp<"sub", "Sub", "x - y">;
def Paso_MulOp : Paso_ArithOp<"mul", "Mul", "x * y", [Commutative]>;
def Paso_DivOp : Paso_ArithOp<"div", "Div", "x / y (integers truncate)">;
def Paso_PowOp : Paso_ArithOp<"pow", "Pow", "x ^ y", [], /*folds=*/0>;
def Paso_MaxOp : Paso_ArithOp<"max", "Max", "max(x, y)", [Commutative]>;
def Paso_MinOp : Paso_ArithOp<"min", "Min", "min(x, y)", [Commutative]>;
def Paso_PReluOp : Paso_ArithOp<"prelu", "PRelu",
                                "x >= 0 ? x : slope * x", [], /*folds=*/0>;
def Paso_ModOp : Paso_ArithOp<"mod", "Mod with fmod = 0",
    "x - floor(x / y) * y, the remainder with the divisor's sign">;
def Paso_FModOp : Paso_ArithOp<"fmod", "Mod with fmod = 1",
    "the remainder of truncated division, with the dividend's sign">;
def Paso_ShiftLeftOp : Paso_ArithOp<"shift_left", "BitShift LEFT (unsigned "
    "integers)", "x << y (0 when y >= the bit width)", [], /*folds=*/0>;
def Paso_ShiftRightOp : Paso_ArithOp<"shift_right", "BitShift RIGHT "
    "(unsigned integers)", "x >> y (0 when y >= the bit width)", [],
    /*folds=*/0>;
def Paso_EqualOp : Paso_CompareOp<"equal", "Equal", "x == y">;
def Paso_LessOp : Paso_CompareOp<"less", "Less", "x < y">;
def Paso_LessEqualOp : Paso_CompareOp<"less_equal", "LessOrEqual", "x <= y">;
def Paso_GreaterOp : Paso_CompareOp<"greater", "Greater", "x > y">;
def Paso_GreaterEqualOp
    : Paso_CompareOp<"greater_equal", "GreaterOrEqual", "x >= y">;
def Paso_AndOp : Paso_LogicOp<"and", "And", "x && y">;
def Paso_OrOp : Paso_LogicOp<"or", "Or", "x || y">;
def Paso_XorOp : Paso_LogicOp<"xor", "Xor", "x != y">;

def Paso_WhereOp : Paso_Op<"where", [InferTypeOpAdaptor]> {
  let summary = "elementwise select with broadcasting";
  let description = [{
    `condition ? x : y` elementwise after broadcasting all three operands.
    Mirrors ONNX Where (opsets 9+).

    Example:

    ```mlir
    %r = paso.where %c, %x, %y : tensor<4xi1>, tensor<4xf32>, tensor<1xf32> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Paso_BoolTensor:$condition, Paso_Tensor:$x,
                   Paso_Tensor:$y);
  let results = (outs Paso_Tensor:$output);
  let assemblyFormat = "$condition `,` $x `,` $y attr-dict `:` type($condition)"
                       " `,` type($x) `,` type($y) `->` type($output)";
  let hasFolder = 1;
}

#endif // PASO_DIALECT_PASO_IR_PASOMATHOPS_TD
