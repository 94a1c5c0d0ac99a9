//===- RatBufferization.cpp - bufferization of rat ops --------*- C++ -*-===//
//
// BufferizableOpInterface external models: every rat op bufferizes to the
// same op on memrefs, writing its destinations in place.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::bufferization;

namespace {
template <typename OpTy>
struct RatOpBufferization
    : DstBufferizableOpInterfaceExternalModel<RatOpBufferization<OpTy>, OpTy> {
  /// Inputs are read; destinations are read only by the decode-step ops,
  /// whose destinations carry state. Reporting the others as write-only
  /// spares a copy of their (undefined) initial contents.
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const AnalysisState &state) const {
    auto dps = cast<DestinationStyleOpInterface>(op);
    if (!dps.isDpsInit(&operand))
      return true;
    return isa<rat::ChunkScanStepOp, rat::ChunkAttentionStepOp,
               rat::WindowAttentionStepOp>(op);
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto dps = cast<DestinationStyleOpInterface>(op);
    if (dps.hasPureBufferSemantics())
      return success();
    SmallVector<Value> operands, destinations;
    for (OpOperand &operand : op->getOpOperands()) {
      if (!isa<TensorType>(operand.get().getType())) {
        operands.push_back(operand.get());
        continue;
      }
      FailureOr<Value> buffer =
          getBuffer(rewriter, operand.get(), options, state);
      if (failed(buffer))
        return failure();
      operands.push_back(*buffer);
      if (dps.isDpsInit(&operand))
        destinations.push_back(*buffer);
    }
    rewriter.setInsertionPoint(op);
    clone(rewriter, op, /*newResultTypes=*/TypeRange{}, operands);
    replaceOpWithBufferizedValues(rewriter, op, destinations);
    return success();
  }
};

template <typename... Ops> void attachAll(MLIRContext *ctx) {
  (Ops::template attachInterface<RatOpBufferization<Ops>>(*ctx), ...);
}
} // namespace

void mlir::rat::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, rat::RatDialect *) {
    attachAll<rat::RmsNormOp, rat::RopeOp, rat::ChunkScanOp,
              rat::ChunkAttentionOp, rat::WindowAttentionOp,
              rat::ChunkScanStepOp, rat::ChunkAttentionStepOp,
              rat::WindowAttentionStepOp, rat::MatmulOp, rat::SampleOp>(ctx);
  });
}
