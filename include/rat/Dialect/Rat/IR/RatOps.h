//===- RatOps.h - rat dialect operations ------------------------*- C++ -*-===//
//
// Declares the operations of the rat dialect.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_DIALECT_RAT_IR_RATOPS_H
#define RAT_DIALECT_RAT_IR_RATOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "rat/Dialect/Rat/IR/RatDialect.h"

#define GET_OP_CLASSES
#include "rat/Dialect/Rat/IR/RatOps.h.inc"

namespace mlir {
class DialectRegistry;
namespace rat {

/// Registers the bufferization external models of the rat ops.
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);

/// Whether a decode step's `position` operand (or rat.rope's `positions`)
/// holds one position per sequence rather than one `index` for all.
inline bool hasPerSequencePositions(Value position) {
  return position && !position.getType().isIndex();
}

/// The position of sequence `batch` as an `index`: `position` itself when it
/// is an index, else element `batch` of the per-sequence positions (a 1-D
/// i32/i64 memref) loaded and converted.
Value loadPosition(OpBuilder &b, Location loc, Value position, Value batch);

} // namespace rat
} // namespace mlir

#endif // RAT_DIALECT_RAT_IR_RATOPS_H
