//===- MatmulEpilogueFusion.cpp - elementwise ops into GEMM epilogues -----===//
//
// Which elementwise linalg.generic after a rat.matmul its kernel applies
// before the store (a residual add, a bias, GELU, a gate's sigmoid, a cast),
// and the MatmulEpilogue that applies it: the product is never written and
// read back. rat-matmul-to-mma (MatmulToMMA.cpp) asks for the consumer of
// each matmul it lowers and hands the epilogue to every variant's builder
// (mma.sync there, wgmma in MatmulWGMMA.cpp).
//
//===----------------------------------------------------------------------===//

#include "MMAUtils.h"
#include "MatmulKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace mlir::rat;

/// The nearest op after (`forward`) or before `op` that is not a buffer
/// allocation.
static Operation *neighbourSkippingAllocs(Operation *op, bool forward) {
  auto step = [&](Operation *o) {
    return forward ? o->getNextNode() : o->getPrevNode();
  };
  Operation *next = step(op);
  while (next && isa<memref::AllocOp>(next))
    next = step(next);
  return next;
}

std::optional<FusedConsumer> mlir::rat::findFusedConsumer(MatmulOp op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(
      neighbourSkippingAllocs(op, /*forward=*/true));
  Value product = op.getInit();
  auto productType = cast<MemRefType>(product.getType());
  unsigned rank = productType.getRank();
  if (!generic || !generic.hasPureBufferSemantics() ||
      generic.getNumLoops() != rank ||
      generic.getNumParallelLoops() != rank || generic.getNumDpsInits() != 1)
    return std::nullopt;
  if (!hasScalarArithBody(generic))
    return std::nullopt;
  Block &body = generic.getRegion().front();
  OpOperand *init = generic.getDpsInitOperand(0);
  if (!body.getArgument(init->getOperandNumber()).use_empty() ||
      !generic.getMatchingIndexingMap(init).isIdentity() ||
      !mma::isContiguousOrTensor(cast<ShapedType>(init->get().getType())) ||
      cast<MemRefType>(init->get().getType()).getShape() !=
          productType.getShape())
    return std::nullopt;
  AffineMap lastDim = AffineMap::get(
      rank, 0, getAffineDimExpr(rank - 1, op.getContext()));
  std::optional<unsigned> productInput;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    AffineMap map = generic.getMatchingIndexingMap(input);
    auto type = dyn_cast<MemRefType>(input->get().getType());
    if (!type || !mma::isContiguousOrTensor(type))
      return std::nullopt;
    if (input->get() == product) {
      if (productInput || !map.isIdentity())
        return std::nullopt;
      productInput = input->getOperandNumber();
      continue;
    }
    if (!map.isIdentity() && map != lastDim)
      return std::nullopt;
  }
  if (!productInput)
    return std::nullopt;
  auto overwrites = [&](Operation *user) {
    auto other = dyn_cast_or_null<MatmulOp>(user);
    return other && other.getInit() == product &&
           other.getInput() != product && other.getWeight() != product;
  };
  auto consumesOwnProduct = [&](Operation *user) {
    return isa<linalg::GenericOp>(user) &&
           overwrites(neighbourSkippingAllocs(user, /*forward=*/false));
  };
  // The product is not stored: nothing but the consumer may read it.
  if (init->get() != product &&
      !isUnreadAfter(product, generic, {op.getOperation(), generic}))
    for (Operation *user : product.getUsers())
      if (user != op && user != generic && !isa<memref::DeallocOp>(user) &&
          !overwrites(user) && !consumesOwnProduct(user))
        return std::nullopt;
  return FusedConsumer{generic, *productInput};
}

MatmulEpilogue mlir::rat::fusedEpilogue(const FusedConsumer &fused,
                                        SmallVector<Value> operands,
                                        Type productType) {
  linalg::GenericOp generic = fused.generic;
  unsigned productInput = fused.productInput;
  return {[=](OpBuilder &b, Location loc, Value acc, Value row,
              Value col) mutable {
    Block &body = generic.getRegion().front();
    IRMapping mapping;
    for (unsigned i = 0; i < generic.getNumDpsInputs(); ++i) {
      Value value;
      if (i == productInput) {
        value = acc;
        if (productType != acc.getType())
          value = arith::TruncFOp::create(b, loc, productType, acc);
      } else {
        Value buffer = operands[i];
        value = memref::LoadOp::create(
            b, loc, buffer,
            cast<MemRefType>(buffer.getType()).getRank() == 2
                ? ValueRange{row, col}
                : ValueRange{col});
      }
      mapping.map(body.getArgument(i), value);
    }
    for (Operation &op : body.without_terminator())
      b.clone(op, mapping);
    Value result = mapping.lookupOrDefault(
        cast<linalg::YieldOp>(body.getTerminator()).getOperand(0));
    if (result.getType() != acc.getType())
      result = arith::ExtFOp::create(b, loc, acc.getType(), result);
    return result;
  }};
}
