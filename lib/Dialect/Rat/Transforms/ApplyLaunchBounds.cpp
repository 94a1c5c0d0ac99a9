//===- ApplyLaunchBounds.cpp - occupancy requests onto kernels -*- C++ -*-===//
//
// Implements -rat-apply-launch-bounds (see Passes.td): an op inside an
// outlined kernel marked `rat.min_blocks_per_sm = N` (by the generator that
// built the kernel, before outlining dropped the gpu.launch's attributes)
// becomes `nvvm.minctasm = N` on the kernel.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATAPPLYLAUNCHBOUNDS
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;

namespace {
struct RatApplyLaunchBoundsPass
    : rat::impl::RatApplyLaunchBoundsBase<RatApplyLaunchBoundsPass> {
  void runOnOperation() override {
    auto walked = getOperation().walk([&](gpu::GPUFuncOp func) {
      if (!func.isKernel())
        return WalkResult::advance();
      int64_t blocks = 0;
      func.walk([&](Operation *op) {
        auto n = op->getAttrOfType<IntegerAttr>(rat::kMinBlocksPerSMAttrName);
        if (!n)
          return;
        blocks = std::max(blocks, n.getInt());
        op->removeAttr(rat::kMinBlocksPerSMAttrName);
      });
      if (blocks == 0)
        return WalkResult::advance();
      // Without the block size, ptxas cannot turn blocks per SM into a
      // register budget.
      if (!func.getKnownBlockSizeAttr()) {
        func.emitOpError("asks for ")
            << blocks << " blocks per SM but has no known block size";
        return WalkResult::interrupt();
      }
      OpBuilder b(func);
      func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                    b.getI32IntegerAttr(blocks));
      return WalkResult::advance();
    });
    if (walked.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
