//===- PasoBase.td - paso dialect and shared op classes ----*- tablegen -*-===//
//
// The graph-level dialect of PASO: ONNX semantics, normalised so that every
// op has one form (constant ONNX inputs such as Reshape's shape become
// attributes, optional forms are resolved at import) and static shapes.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_DIALECT_PASO_IR_PASOBASE_TD
#define PASO_DIALECT_PASO_IR_PASOBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def Paso_Dialect : Dialect {
  let name = "paso";
  let cppNamespace = "::mlir::paso";
  let summary = "Graph-level operations of the PASO edge compiler";
  let description = [{
    The `paso` dialect holds a neural network as a graph of value-semantic
    ops on ranked, statically shaped tensors. It sits between the ONNX
    importer and the lowering to `linalg`. Ops follow ONNX semantics but in
    a normalised form:

    * inputs that ONNX allows to be computed (Reshape's shape, Slice's
      bounds, Pad's pads, Clip's limits, ...) are attributes, resolved to
      constants at import;
    * each family has one op (Flatten, Squeeze and Unsqueeze are
      `paso.reshape`; GlobalAveragePool is `paso.reduce_mean`; variadic Sum
      is a chain of `paso.add`);
    * every result type is inferred from operands and attributes, so the
      verifier rejects any op whose declared result disagrees.

    Signed ONNX integers map to signless MLIR integers, unsigned ONNX
    integers to unsigned ones (`ui8`), bool to `i1`.
  }];
  let hasConstantMaterializer = 1;
  let dependentDialects = ["quant::QuantDialect"];
}

/// Every paso op is side-effect free: the graph is pure dataflow, which is
/// what lets upstream CSE and DCE work on it unchanged.
class Paso_Op<string mnemonic, list<Trait> traits = []>
    : Op<Paso_Dialect, mnemonic, !listconcat([Pure], traits)>;

def Paso_Tensor : RankedTensorOf<[AnyType]>;
def Paso_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Paso_NumericTensor : RankedTensorOf<[AnyFloat, AnyInteger]>;
def Paso_BoolTensor : RankedTensorOf<[I1]>;
def Paso_IndexTensor : RankedTensorOf<[I32, I64]>;

#endif // PASO_DIALECT_PASO_IR_PASOBASE_TD
