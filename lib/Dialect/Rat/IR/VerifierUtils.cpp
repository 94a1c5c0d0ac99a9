//===- VerifierUtils.cpp - What the rat op verifiers share ----------------===//

#include "VerifierUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::rat;

LogicalResult verification::verifyDpsForm(Operation *op, unsigned numInits) {
  auto dps = cast<DestinationStyleOpInterface>(op);
  if (dps.getNumDpsInits() != static_cast<int64_t>(numInits))
    return op->emitOpError()
           << "expects " << numInits
           << " destination operand(s) in outs(), got " << dps.getNumDpsInits();
  bool anyTensor = false, anyMemRef = false;
  for (Value v : op->getOperands()) {
    anyTensor |= isa<RankedTensorType>(v.getType());
    anyMemRef |= isa<MemRefType>(v.getType());
  }
  if (anyTensor && anyMemRef)
    return op->emitOpError("operands must be all tensors or all memrefs");
  if (anyMemRef) {
    if (op->getNumResults() != 0)
      return op->emitOpError("on memrefs the op has no results, got ")
             << op->getNumResults();
    return success();
  }
  if (op->getNumResults() != numInits)
    return op->emitOpError()
           << "expects " << numInits << " result(s), one per destination, got "
           << op->getNumResults();
  for (auto [i, init] : llvm::enumerate(dps.getDpsInits()))
    if (init.getType() != op->getResult(i).getType())
      return op->emitOpError()
             << "result #" << i << " type (" << op->getResult(i).getType()
             << ") must equal destination type (" << init.getType() << ")";
  return success();
}

LogicalResult verification::verifyScale(Operation *op,
                                        std::optional<double> scale) {
  if (scale && !(*scale > 0.0))
    return op->emitOpError() << "scale must be > 0, got " << *scale;
  return success();
}

double verification::defaultScale(std::optional<double> scale, Value query) {
  if (scale)
    return *scale;
  int64_t dh = cast<ShapedType>(query.getType()).getShape().back();
  assert(!ShapedType::isDynamic(dh) && "verifier requires a static head dim");
  return 1.0 / std::sqrt(static_cast<double>(dh));
}
