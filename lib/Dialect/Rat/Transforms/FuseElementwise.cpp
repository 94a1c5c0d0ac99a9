//===- FuseElementwise.cpp - fuse elementwise linalg ops ------*- C++ -*-===//
//
// Implements -rat-fuse-elementwise on top of linalg's elementwise fusion.
// A permutation (a head merge `[B, H, T, Dh] -> [B, T, H, Dh]`) that reaches
// its elementwise consumer through a tensor.collapse_shape is fused too: the
// consumer is expanded to the permutation's rank (linalg's reshape
// propagation by expansion), so that it reads the permutation's input
// through a permuted indexing map instead of a copy.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATFUSEELEMENTWISE
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;

/// A linalg.generic that only copies its one input through a permutation.
static bool isPermutationCopy(Operation *op) {
  auto generic = dyn_cast_if_present<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 ||
      generic.getNumLoops() != generic.getNumParallelLoops())
    return false;
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  return generic.getBody()->getOperations().size() == 1 &&
         yield.getValues()[0] == generic.getBody()->getArgument(0) &&
         generic.getIndexingMapsArray()[0].isPermutation() &&
         generic.getIndexingMapsArray()[1].isIdentity();
}

namespace {
struct RatFuseElementwisePass
    : rat::impl::RatFuseElementwiseBase<RatFuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // Fuse only into a single consumer, so no elementwise work is repeated.
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse();
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    // Expand a consumer only where that lets it absorb a single-use
    // permutation behind a collapse_shape; other reshapes stay.
    linalg::ControlFusionFn expandForPermutation = [](OpOperand *fused) {
      auto collapse = fused->get().getDefiningOp<tensor::CollapseShapeOp>();
      if (!collapse || !collapse->hasOneUse() ||
          !isa<linalg::GenericOp>(fused->getOwner()))
        return false;
      Operation *source = collapse.getSrc().getDefiningOp();
      return isPermutationCopy(source) && source->hasOneUse();
    };
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns,
                                                      expandForPermutation);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    // The expansion sizes the expanded operands with tensor.dim of the
    // permutation's result; resolved to its init's sizes, they leave the
    // permutation with one use.
    memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
