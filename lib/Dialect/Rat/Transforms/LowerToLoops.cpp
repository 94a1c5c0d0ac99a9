//===- LowerToLoops.cpp - rat ops on buffers to scf loops -----*- C++ -*-===//
//
// Implements -rat-lower-to-loops: each rat op on memrefs becomes loops over
// its iteration domain around its scalar implementation.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"
#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATLOWERTOLOOPS
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;
using namespace mlir::rat;

namespace {
/// Replaces one rat op on buffers by `scf.for` loops over its iteration
/// domain around its scalar implementation.
struct LowerRatOpToLoops : RewritePattern {
  LowerRatOpToLoops(MLIRContext *ctx, bool parallelLoops)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx),
        parallelLoops(parallelLoops) {}
  bool parallelLoops;

  /// One scf.parallel over the (all-parallel) iteration domain.
  LogicalResult lowerToParallel(TilingInterface op,
                                PatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    SmallVector<Range> domain = op.getIterationDomain(rewriter);
    if (domain.empty())
      return op.generateScalarImplementation(rewriter, loc, ValueRange{});
    SmallVector<Value> lbs, ubs, steps;
    for (Range r : domain) {
      lbs.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, r.offset));
      ubs.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, r.size));
      steps.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, r.stride));
    }
    LogicalResult result = success();
    scf::ParallelOp::create(
        rewriter, loc, lbs, ubs, steps,
        [&](OpBuilder &b, Location nestedLoc, ValueRange ivs) {
          result = op.generateScalarImplementation(b, nestedLoc, ivs);
        });
    return result;
  }

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<RatDialect>(op->getDialect()))
      return failure();
    auto dps = dyn_cast<DestinationStyleOpInterface>(op);
    auto tileable = dyn_cast<TilingInterface>(op);
    if (!dps || !tileable || !dps.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not a rat op on buffers");
    if (parallelLoops
            ? failed(lowerToParallel(tileable, rewriter))
            : failed(scf::lowerToLoopsUsingSCFForOp(rewriter, tileable)))
      return rewriter.notifyMatchFailure(op, "scalar implementation failed");
    rewriter.eraseOp(op);
    return success();
  }
};

struct RatLowerToLoopsPass
    : rat::impl::RatLowerToLoopsBase<RatLowerToLoopsPass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    WalkResult onTensors = func.walk([](Operation *op) {
      auto dps = dyn_cast<DestinationStyleOpInterface>(op);
      if (!isa<RatDialect>(op->getDialect()) || !dps ||
          dps.hasPureBufferSemantics())
        return WalkResult::advance();
      op->emitOpError("is still on tensors: bufferize before "
                      "-rat-lower-to-loops");
      return WalkResult::interrupt();
    });
    if (onTensors.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateRatLowerToLoopsPatterns(patterns, parallelLoops);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void mlir::rat::populateRatLowerToLoopsPatterns(RewritePatternSet &patterns,
                                                bool parallelLoops) {
  patterns.add<LowerRatOpToLoops>(patterns.getContext(), parallelLoops);
}
