//===- VectorizeElementwise.cpp - 16-byte elementwise loops ---*- C++ -*-===//
//
// Implements -rat-vectorize-elementwise: an elementwise `linalg.generic` on
// buffers (the gates, transposes, residual adds and casts that no dedicated
// kernel absorbs) becomes an scf.parallel whose iterations each take W
// consecutive elements of the innermost loop, read and written with one
// vector load/store per operand (16 bytes for the widest element type),
// instead of one element per iteration. The arithmetic stays scalar (W
// copies of the body); what the GPU gains is the memory access width: a
// one-element-per-thread kernel moves 2-byte bf16 values and reaches a
// fraction of the bandwidth that 16-byte accesses do.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "MMAUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATVECTORIZEELEMENTWISE
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;
using namespace mlir::rat;

namespace {
constexpr int64_t kAccessBytes = 16;

/// How one operand is accessed per iteration: a vector of W elements along
/// the innermost loop, or one scalar broadcast to every lane.
struct OperandAccess {
  OpOperand *operand;
  AffineMap map;
  bool vector;
};

/// The plan for one generic, or failure when it does not qualify.
struct Plan {
  int64_t width = 0;   // W
  int64_t extent = 0;  // static size of the innermost loop
  SmallVector<OperandAccess> accesses;
};

/// Host code: whether every vector operand's accesses at multiples of W are
/// aligned to their size, i.e. the aligned vector loop may run.
Value accessesAligned(OpBuilder &b, Location loc, const Plan &plan) {
  SmallVector<Value> buffers;
  for (const OperandAccess &access : plan.accesses)
    if (access.vector)
      buffers.push_back(access.operand->get());
  return mma::vectorAccessesAligned(b, loc, buffers, plan.width);
}

FailureOr<Plan> planFor(linalg::GenericOp generic) {
  if (!generic.hasPureBufferSemantics() ||
      generic.getNumLoops() == 0 ||
      generic.getNumLoops() != generic.getNumParallelLoops() ||
      !mma::isHostLevel(generic))
    return failure();
  Block &body = generic.getRegion().front();
  for (Operation &op : body.without_terminator()) {
    if (isa<linalg::IndexOp>(op) || op.getNumRegions() != 0 ||
        !isa<arith::ArithDialect, math::MathDialect>(op.getDialect()))
      return failure();
    for (Type t : op.getResultTypes())
      if (!t.isIntOrIndexOrFloat())
        return failure();
  }
  unsigned last = generic.getNumLoops() - 1;
  Plan plan;
  int64_t widestBytes = 0;
  for (OpOperand &operand : generic->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !type.getElementType().isIntOrFloat())
      return failure();
    AffineMap map = generic.getMatchingIndexingMap(&operand);
    if (!map.isProjectedPermutation())
      return failure();
    std::optional<unsigned> pos = map.getResultPosition(
        getAffineDimExpr(last, generic.getContext()));
    bool vector = pos.has_value();
    if (vector && *pos != map.getNumResults() - 1)
      return failure(); // the innermost loop is not the innermost dimension
    if (vector) {
      int64_t bytes = type.getElementTypeBitWidth() / 8;
      if (bytes < 1)
        return failure();
      widestBytes = std::max(widestBytes, bytes);
      int64_t size = type.getShape().back();
      if (!ShapedType::isDynamic(size))
        plan.extent = size;
    } else if (generic.isDpsInit(&operand)) {
      return failure(); // an output not indexed by the innermost loop
    }
    plan.accesses.push_back({&operand, map, vector});
  }
  if (widestBytes == 0 || plan.extent == 0)
    return failure();
  plan.width = kAccessBytes / widestBytes;
  if (plan.width < 2 || plan.extent % plan.width != 0)
    return failure();
  for (const OperandAccess &access : plan.accesses)
    if (access.vector &&
        !cast<MemRefType>(access.operand->get().getType())
             .isLastDimUnitStride())
      return failure();
  return plan;
}

void vectorize(linalg::GenericOp generic, const Plan &plan, bool aligned,
               RewriterBase &rewriter) {
  Location loc = generic.getLoc();
  rewriter.setInsertionPoint(generic);
  if (aligned) {
    // The aligned vector loop where the buffers allow it (always, for the
    // buffers this compiler allocates), else the generic as it was.
    auto choice = scf::IfOp::create(rewriter, loc,
                                    accessesAligned(rewriter, loc, plan),
                                    /*withElseRegion=*/true);
    rewriter.setInsertionPointToStart(&choice.getElseRegion().front());
    rewriter.clone(*generic);
    rewriter.setInsertionPointToStart(&choice.getThenRegion().front());
  }
  SmallVector<Range, 4> ranges =
      cast<linalg::LinalgOp>(generic.getOperation())
          .createLoopRanges(rewriter, loc);
  SmallVector<Value> lbs, ubs, steps;
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  for (auto [i, range] : llvm::enumerate(ranges)) {
    lbs.push_back(zero);
    steps.push_back(one);
    ubs.push_back(i + 1 == ranges.size()
                      ? arith::ConstantIndexOp::create(rewriter, loc,
                                                       plan.extent /
                                                           plan.width)
                            .getResult()
                      : getValueOrCreateConstantIndexOp(rewriter, loc,
                                                        range.size));
  }
  Block &body = generic.getRegion().front();
  const int64_t width = plan.width;
  scf::ParallelOp::create(
      rewriter, loc, lbs, ubs, steps,
      [&](OpBuilder &b, Location l, ValueRange ivs) {
        SmallVector<Value> iterIvs(ivs);
        iterIvs.back() = arith::MulIOp::create(
            b, l, ivs.back(), arith::ConstantIndexOp::create(b, l, width));
        auto indicesOf = [&](AffineMap map) {
          SmallVector<Value> indices;
          for (AffineExpr e : map.getResults())
            indices.push_back(iterIvs[cast<AffineDimExpr>(e).getPosition()]);
          return indices;
        };
        auto alignment = [&](Type et) {
          return aligned ? llvm::MaybeAlign(width * et.getIntOrFloatBitWidth() /
                                            8)
                         : llvm::MaybeAlign();
        };
        // Per block argument: its W lane values.
        SmallVector<SmallVector<Value>> lanes(body.getNumArguments());
        for (const OperandAccess &access : plan.accesses) {
          unsigned index = access.operand->getOperandNumber();
          BlockArgument arg = body.getArgument(index);
          if (arg.use_empty())
            continue;
          Value buffer = access.operand->get();
          Type et = cast<MemRefType>(buffer.getType()).getElementType();
          SmallVector<Value> indices = indicesOf(access.map);
          if (!access.vector) {
            Value scalar = memref::LoadOp::create(b, l, buffer, indices);
            lanes[index].assign(width, scalar);
            continue;
          }
          Value v = vector::LoadOp::create(b, l, VectorType::get({width}, et),
                                           buffer, indices,
                                           /*nontemporal=*/false,
                                           alignment(et));
          for (int64_t e = 0; e < width; ++e)
            lanes[index].push_back(
                vector::ExtractOp::create(b, l, v, ArrayRef<int64_t>{e}));
        }
        // The body once per lane.
        auto yield = cast<linalg::YieldOp>(body.getTerminator());
        SmallVector<SmallVector<Value>> results(yield.getNumOperands());
        for (int64_t e = 0; e < width; ++e) {
          IRMapping mapping;
          for (BlockArgument arg : body.getArguments())
            if (!arg.use_empty())
              mapping.map(arg, lanes[arg.getArgNumber()][e]);
          for (Operation &op : body.without_terminator())
            b.clone(op, mapping);
          for (auto [r, value] : llvm::enumerate(yield.getOperands()))
            results[r].push_back(mapping.lookupOrDefault(value));
        }
        for (auto [r, init] : llvm::enumerate(generic.getDpsInitsMutable())) {
          Value buffer = init.get();
          Type et = cast<MemRefType>(buffer.getType()).getElementType();
          Value v = vector::FromElementsOp::create(
              b, l, VectorType::get({width}, et), results[r]);
          vector::StoreOp::create(b, l, v, buffer,
                                  indicesOf(generic.getMatchingIndexingMap(
                                      &init)),
                                  /*nontemporal=*/false, alignment(et));
        }
      });
  rewriter.eraseOp(generic);
}

struct RatVectorizeElementwisePass
    : rat::impl::RatVectorizeElementwiseBase<RatVectorizeElementwisePass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, Plan>> work;
    getOperation().walk([&](linalg::GenericOp generic) {
      if (FailureOr<Plan> plan = planFor(generic);
          succeeded(plan))
        work.push_back({generic, *plan});
    });
    IRRewriter rewriter(&getContext());
    for (auto &[generic, plan] : work)
      vectorize(generic, plan, alignedAccesses, rewriter);
  }
};
} // namespace
