//===- MapToGPU.cpp - parallel loop nests to GPU kernels ------*- C++ -*-===//
//
// Implements -rat-map-to-gpu: each outermost scf.parallel of a host function
// becomes a gpu.launch with one thread per iteration (linearised, innermost
// dimension fastest).
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

namespace mlir::rat {
#define GEN_PASS_DEF_RATMAPTOGPU
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;

/// Replaces `memref.copy` by an scf.parallel copy loop, so the copy runs in a
/// kernel on device buffers.
static void copyToLoops(memref::CopyOp copy, RewriterBase &rewriter) {
  Location loc = copy.getLoc();
  rewriter.setInsertionPoint(copy);
  auto type = cast<MemRefType>(copy.getSource().getType());
  if (type.getRank() == 0) {
    Value v = memref::LoadOp::create(rewriter, loc, copy.getSource());
    memref::StoreOp::create(rewriter, loc, v, copy.getTarget());
    rewriter.eraseOp(copy);
    return;
  }
  SmallVector<Value> lbs, ubs, steps;
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  for (int64_t d = 0; d < type.getRank(); ++d) {
    lbs.push_back(zero);
    ubs.push_back(memref::DimOp::create(rewriter, loc, copy.getSource(), d));
    steps.push_back(one);
  }
  scf::ParallelOp::create(
      rewriter, loc, lbs, ubs, steps,
      [&](OpBuilder &b, Location l, ValueRange ivs) {
        Value v = memref::LoadOp::create(b, l, copy.getSource(), ivs);
        memref::StoreOp::create(b, l, v, copy.getTarget(), ivs);
      });
  rewriter.eraseOp(copy);
}

/// Rewrites a (nested) scf.parallel into sequential scf.for loops.
static void parallelToFor(scf::ParallelOp par, RewriterBase &rewriter) {
  rewriter.setInsertionPoint(par);
  Location loc = par.getLoc();
  SmallVector<Value> ivs;
  OpBuilder::InsertionGuard guard(rewriter);
  for (auto [lb, ub, step] :
       llvm::zip(par.getLowerBound(), par.getUpperBound(), par.getStep())) {
    auto loop = scf::ForOp::create(rewriter, loc, lb, ub, step);
    ivs.push_back(loop.getInductionVar());
    rewriter.setInsertionPointToStart(loop.getBody());
  }
  Block *body = par.getBody();
  // Drop the (empty) scf.reduce terminator, then move the body in.
  rewriter.eraseOp(body->getTerminator());
  rewriter.inlineBlockBefore(body, rewriter.getInsertionBlock(),
                             rewriter.getInsertionPoint(), ivs);
  rewriter.eraseOp(par);
}

namespace {
struct RatMapToGPUPass : rat::impl::RatMapToGPUBase<RatMapToGPUPass> {
  using Base::Base;

  /// Maps one outermost scf.parallel onto a 1-D grid of `blockSize` threads.
  LogicalResult mapLoop(scf::ParallelOp par, RewriterBase &rewriter) {
    if (!par.getInitVals().empty())
      return par.emitError("rat-map-to-gpu: parallel reductions are not "
                           "supported");
    Location loc = par.getLoc();
    rewriter.setInsertionPoint(par);
    // Trip counts and their product, on the host.
    SmallVector<Value> trips;
    Value total = arith::ConstantIndexOp::create(rewriter, loc, 1);
    for (auto [lb, ub, step] :
         llvm::zip(par.getLowerBound(), par.getUpperBound(), par.getStep())) {
      Value span = arith::SubIOp::create(rewriter, loc, ub, lb);
      Value trip = arith::CeilDivSIOp::create(rewriter, loc, span, step);
      trips.push_back(trip);
      total = arith::MulIOp::create(rewriter, loc, total, trip);
    }
    Value block = arith::ConstantIndexOp::create(rewriter, loc, blockSize);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value grid = arith::CeilDivSIOp::create(rewriter, loc, total, block);
    // An empty iteration space launches nothing.
    Value nonEmpty =
        arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::sgt, total,
                              arith::ConstantIndexOp::create(rewriter, loc, 0));
    auto guard = scf::IfOp::create(rewriter, loc, nonEmpty,
                                   /*withElseRegion=*/false);
    rewriter.setInsertionPointToStart(&guard.getThenRegion().front());
    auto launch =
        gpu::LaunchOp::create(rewriter, loc, grid, one, one, block, one, one);
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    Value bid = launch.getBlockIds().x, tid = launch.getThreadIds().x;
    Value id = arith::AddIOp::create(
        rewriter, loc, arith::MulIOp::create(rewriter, loc, bid, block), tid);
    Value inRange = arith::CmpIOp::create(rewriter, loc,
                                          arith::CmpIPredicate::slt, id, total);
    auto ifOp = scf::IfOp::create(rewriter, loc, inRange, false);
    gpu::TerminatorOp::create(rewriter, loc);
    rewriter.setInsertionPointToStart(&ifOp.getThenRegion().front());
    // Delinearise: the last dimension varies fastest.
    SmallVector<Value> ivs(trips.size());
    Value rest = id;
    for (int64_t d = trips.size() - 1; d >= 0; --d) {
      Value i = d == 0 ? rest
                       : arith::RemUIOp::create(rewriter, loc, rest, trips[d])
                             .getResult();
      if (d > 0)
        rest = arith::DivUIOp::create(rewriter, loc, rest, trips[d]);
      ivs[d] = arith::AddIOp::create(
          rewriter, loc, par.getLowerBound()[d],
          arith::MulIOp::create(rewriter, loc, i, par.getStep()[d]));
    }
    Block *body = par.getBody();
    rewriter.eraseOp(body->getTerminator());
    rewriter.inlineBlockBefore(body, ifOp.thenBlock()->getTerminator(), ivs);
    rewriter.eraseOp(par);
    // Nested parallel loops run sequentially within the thread.
    SmallVector<scf::ParallelOp> nested;
    launch.walk([&](scf::ParallelOp p) { nested.push_back(p); });
    for (scf::ParallelOp p : llvm::reverse(nested))
      parallelToFor(p, rewriter);
    if (failed(promoteAllocsToStack(launch, rewriter)))
      return failure();
    rat::hoistStaticAllocas(launch.getBody(), rewriter);
    return success();
  }

  /// Buffers a kernel allocates (tiles of fused producers) become per-thread
  /// stack buffers: device-side malloc draws on a small heap shared by all
  /// threads. Their sizes must have a constant upper bound (a tile size).
  static LogicalResult promoteAllocsToStack(gpu::LaunchOp launch,
                                            RewriterBase &rewriter) {
    constexpr int64_t kMaxThreadBufferBytes = 16 * 1024;
    SmallVector<memref::AllocOp> allocs;
    launch.walk([&](memref::AllocOp alloc) { allocs.push_back(alloc); });
    for (memref::AllocOp alloc : allocs) {
      MemRefType type = alloc.getType();
      int64_t elements = 1;
      unsigned dynamicIndex = 0;
      for (int64_t d = 0; d < type.getRank(); ++d) {
        int64_t size = type.getDimSize(d);
        if (ShapedType::isDynamic(size)) {
          Value v = alloc.getDynamicSizes()[dynamicIndex++];
          FailureOr<int64_t> bound =
              ValueBoundsConstraintSet::computeConstantBound(
                  presburger::BoundType::UB, v, /*stopCondition=*/nullptr,
                  /*closedUB=*/true);
          if (failed(bound))
            return alloc.emitError("rat-map-to-gpu: a kernel allocates a "
                                   "buffer whose size has no constant bound");
          size = *bound;
        }
        if (llvm::MulOverflow(elements, std::max<int64_t>(size, 1), elements))
          elements = std::numeric_limits<int64_t>::max();
      }
      int64_t bytes;
      if (llvm::MulOverflow(
              elements, std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1),
              bytes))
        bytes = std::numeric_limits<int64_t>::max();
      if (bytes > kMaxThreadBufferBytes)
        return alloc.emitError("rat-map-to-gpu: a kernel allocates up to ")
               << bytes << " bytes per thread (limit " << kMaxThreadBufferBytes
               << "): use smaller tiles";
      rewriter.setInsertionPoint(alloc);
      auto alloca = memref::AllocaOp::create(
          rewriter, alloc.getLoc(), type, alloc.getDynamicSizes(),
          alloc.getSymbolOperands(), alloc.getAlignmentAttr());
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          rewriter.eraseOp(user);
      rewriter.replaceOp(alloc, alloca.getResult());
    }
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // CUDA runs at most 1024 threads per block.
    if (blockSize < 1 || blockSize > 1024) {
      func.emitError("rat-map-to-gpu: block-size must be between 1 and 1024 "
                     "(threads per block), got ")
          << static_cast<int64_t>(blockSize);
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    SmallVector<memref::CopyOp> copies;
    func.walk([&](memref::CopyOp copy) {
      if (!copy->getParentOfType<gpu::LaunchOp>())
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies)
      copyToLoops(copy, rewriter);

    SmallVector<scf::ParallelOp> outermost;
    func.walk<WalkOrder::PreOrder>([&](scf::ParallelOp par) {
      if (!par->getParentOfType<scf::ParallelOp>() &&
          !par->getParentOfType<gpu::LaunchOp>())
        outermost.push_back(par);
    });
    for (scf::ParallelOp par : outermost)
      if (failed(mapLoop(par, rewriter)))
        return signalPassFailure();
  }
};
} // namespace
