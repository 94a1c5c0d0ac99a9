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

#include "rat/Dialect/Rat/IR/RatOpsDialect.h.inc"

#endif // RAT_DIALECT_RAT_IR_RATDIALECT_H
