//===- RatDialect.h - rat dialect -------------------------------*- C++ -*-===//
//
// Declares the rat dialect.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_DIALECT_RAT_IR_RATDIALECT_H
#define RAT_DIALECT_RAT_IR_RATDIALECT_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "rat/Dialect/Rat/IR/RatOpsDialect.h.inc"

#include "rat/Dialect/Rat/IR/RatEnums.h.inc"

namespace mlir::rat {
/// Parses `[` integer (`,` integer)* `]` (attribute parameters).
FailureOr<SmallVector<int64_t>> parseI64List(AsmParser &parser);
} // namespace mlir::rat

#define GET_ATTRDEF_CLASSES
#include "rat/Dialect/Rat/IR/RatAttrs.h.inc"

namespace mlir::rat {
/// The name of the discardable attribute holding an op's kernel decision:
/// a #rat.kernel, or an array of them (variants chosen at run time).
inline constexpr llvm::StringLiteral kKernelAttrName = "rat.kernel";

/// The variants of `op`'s kernel decision (empty when it has none).
llvm::SmallVector<KernelAttr> getKernelVariants(Operation *op);

/// The family of `op`'s kernel decision (its first variant), if any.
std::optional<KernelFamily> getKernelFamily(Operation *op);
} // namespace mlir::rat

#endif // RAT_DIALECT_RAT_IR_RATDIALECT_H
