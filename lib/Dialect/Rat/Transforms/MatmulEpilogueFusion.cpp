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
#include "mlir/Dialect/Vector/IR/VectorOps.h"

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

/// The body of `generic` for one element, given the product element `acc`
/// (f32) and the other inputs' values (`inputs[productInput]` is ignored):
/// the product rounded to its buffer's type first, the result widened back
/// to f32.
static Value applyConsumerBody(OpBuilder &b, Location loc,
                               linalg::GenericOp generic,
                               unsigned productInput, Type productType,
                               Value acc, ArrayRef<Value> inputs) {
  SmallVector<Value> args(inputs.take_front(generic.getNumDpsInputs()));
  args[productInput] = acc;
  if (productType != acc.getType())
    args[productInput] = arith::TruncFOp::create(b, loc, productType, acc);
  Value result = cloneScalarBody(b, generic, args);
  if (result.getType() != acc.getType())
    result = arith::ExtFOp::create(b, loc, acc.getType(), result);
  return result;
}

MatmulEpilogue mlir::rat::fusedEpilogue(const FusedConsumer &fused,
                                        SmallVector<Value> operands,
                                        Type productType) {
  linalg::GenericOp generic = fused.generic;
  unsigned productInput = fused.productInput;
  auto indices = [](Value buffer, Value row, Value col) {
    return cast<MemRefType>(buffer.getType()).getRank() == 2
               ? SmallVector<Value>{row, col}
               : SmallVector<Value>{col};
  };
  MatmulEpilogue epilogue;
  epilogue.build = [=](OpBuilder &b, Location loc, Value acc, Value row,
                       Value col) mutable {
    SmallVector<Value> inputs(generic.getNumDpsInputs());
    for (unsigned i = 0; i < inputs.size(); ++i)
      if (i != productInput)
        inputs[i] = memref::LoadOp::create(b, loc, operands[i],
                                           indices(operands[i], row, col));
    return applyConsumerBody(b, loc, generic, productInput, productType, acc,
                             inputs);
  };
  // Every non-product operand is contiguous along the row (a [M, N] buffer
  // or the bias [N]; FusedConsumer's conditions), so `width` consecutive
  // columns are one vector load.
  epilogue.loadRow = [=](OpBuilder &b, Location loc, Value row, Value col,
                         int64_t width) mutable {
    SmallVector<Value> loaded(generic.getNumDpsInputs());
    for (unsigned i = 0; i < loaded.size(); ++i) {
      if (i == productInput)
        continue;
      Value buffer = operands[i];
      Type element = cast<MemRefType>(buffer.getType()).getElementType();
      int64_t bytes = width * element.getIntOrFloatBitWidth() / 8;
      loaded[i] = vector::LoadOp::create(
          b, loc, VectorType::get({width}, element), buffer,
          indices(buffer, row, col), /*nontemporal=*/false,
          llvm::MaybeAlign(std::min<int64_t>(16, bytes & -bytes)));
    }
    return loaded;
  };
  epilogue.applyRow = [=](OpBuilder &b, Location loc, ArrayRef<Value> accs,
                          ArrayRef<Value> loaded, Value, Value) mutable {
    SmallVector<Value> results;
    for (int64_t e = 0; e < static_cast<int64_t>(accs.size()); ++e) {
      SmallVector<Value> inputs(loaded.size());
      for (unsigned i = 0; i < loaded.size(); ++i)
        if (i != productInput)
          inputs[i] = vector::ExtractOp::create(b, loc, loaded[i],
                                                ArrayRef<int64_t>{e});
      results.push_back(applyConsumerBody(b, loc, generic, productInput,
                                          productType, accs[e], inputs));
    }
    return results;
  };
  return epilogue;
}
