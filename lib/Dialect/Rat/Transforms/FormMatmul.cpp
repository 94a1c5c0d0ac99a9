//===- FormMatmul.cpp - contraction linalg ops to rat.matmul --*- C++ -*-===//
//
// Implements -rat-form-matmul: `linalg.fill(0)` + a contraction
// `linalg.generic` computing `x @ W^T` (+ an elementwise cast of its result)
// become one `rat.matmul`.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"
#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATFORMMATMUL
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;
using namespace mlir::rat;

/// `v` is `arith.extf(arg)` or `arg` itself, with `arg` a block argument.
static bool isExtOf(Value v, BlockArgument arg) {
  if (v == arg)
    return true;
  auto ext = v.getDefiningOp<arith::ExtFOp>();
  return ext && ext.getIn() == arg;
}

/// The body of `generic` is `yield out + ext(in0) * ext(in1)` (operands of
/// the add and the multiply in either order).
static bool isMulAccBody(linalg::GenericOp generic) {
  Block &body = generic.getRegion().front();
  BlockArgument a = body.getArgument(0), b = body.getArgument(1),
                out = body.getArgument(2);
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value other = add.getLhs() == out   ? add.getRhs()
                : add.getRhs() == out ? add.getLhs()
                                      : Value();
  auto mul = other ? other.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul)
    return false;
  return (isExtOf(mul.getLhs(), a) && isExtOf(mul.getRhs(), b)) ||
         (isExtOf(mul.getLhs(), b) && isExtOf(mul.getRhs(), a));
}

/// `generic` is elementwise (identity maps), reads only `source` and yields
/// `arith.truncf` of it.
static bool isCastOf(linalg::GenericOp generic, Value source) {
  if (generic.getNumDpsInputs() != 1 || generic.getNumDpsInits() != 1 ||
      generic.getDpsInputOperand(0)->get() != source ||
      generic.getNumLoops() != generic.getNumParallelLoops() ||
      !llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isIdentity(); }))
    return false;
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto trunc = yield.getValues()[0].getDefiningOp<arith::TruncFOp>();
  return trunc && trunc.getIn() == body.getArgument(0) &&
         &body.front() == trunc.getOperation();
}

namespace {
struct FormMatmul : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp generic,
                                PatternRewriter &rewriter) const override {
    if (!generic.hasPureTensorSemantics() || generic.getNumDpsInputs() != 2 ||
        generic.getNumDpsInits() != 1)
      return rewriter.notifyMatchFailure(generic, "not a 2-input generic");
    unsigned n = generic.getNumLoops();
    if (n < 3 || generic.getNumReductionLoops() != 1 ||
        generic.getIteratorTypesArray().back() != utils::IteratorType::reduction)
      return rewriter.notifyMatchFailure(generic, "not [parallel..., red]");
    // Maps (d0..d{n-3}, d{n-1}), (d{n-2}, d{n-1}), (d0..d{n-2}).
    MLIRContext *ctx = generic.getContext();
    SmallVector<AffineExpr> rows, weight, out;
    for (unsigned d = 0; d + 2 < n; ++d) {
      rows.push_back(getAffineDimExpr(d, ctx));
      out.push_back(getAffineDimExpr(d, ctx));
    }
    rows.push_back(getAffineDimExpr(n - 1, ctx));
    weight = {getAffineDimExpr(n - 2, ctx), getAffineDimExpr(n - 1, ctx)};
    out.push_back(getAffineDimExpr(n - 2, ctx));
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    if (maps[0] != AffineMap::get(n, 0, rows, ctx) ||
        maps[1] != AffineMap::get(n, 0, weight, ctx) ||
        maps[2] != AffineMap::get(n, 0, out, ctx))
      return rewriter.notifyMatchFailure(generic, "not x @ W^T maps");
    Value x = generic.getDpsInputOperand(0)->get();
    Value w = generic.getDpsInputOperand(1)->get();
    auto xType = cast<RankedTensorType>(x.getType());
    auto wType = cast<RankedTensorType>(w.getType());
    auto accType = cast<RankedTensorType>(generic.getResult(0).getType());
    if (!isa<FloatType>(xType.getElementType()) ||
        xType.getElementType() != wType.getElementType() ||
        !accType.getElementType().isF32() || !isMulAccBody(generic))
      return rewriter.notifyMatchFailure(generic, "not an f32 mul-acc body");
    // The accumulator starts at zero.
    auto fill = generic.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
    if (!fill || !matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
      return rewriter.notifyMatchFailure(generic, "init is not a zero fill");

    // Fold a single cast consumer into the destination.
    Operation *replaced = generic;
    Value init = fill.getOutputs()[0];
    Value result = generic.getResult(0);
    if (result.hasOneUse())
      if (auto cast = dyn_cast<linalg::GenericOp>(*result.getUsers().begin()))
        if (cast.hasPureTensorSemantics() && isCastOf(cast, result)) {
          replaced = cast;
          init = cast.getDpsInitOperand(0)->get();
        }
    rewriter.setInsertionPoint(replaced);
    auto matmul = MatmulOp::create(rewriter, generic.getLoc(),
                                   TypeRange{init.getType()}, x, w, init);
    rewriter.replaceOp(replaced, matmul.getResults());
    if (replaced != generic.getOperation())
      rewriter.eraseOp(generic);
    return success();
  }
};

struct RatFormMatmulPass : rat::impl::RatFormMatmulBase<RatFormMatmulPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FormMatmul>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
