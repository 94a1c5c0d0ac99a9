//===- ScanAttentionOps.cpp - rat scan and attention operations -*- C++ -*-===//
//
// Verifiers, folders and canonicalization patterns of the ops that mix a
// sequence: rat.chunk_scan, rat.chunk_attention and rat.window_attention,
// and their decode steps (rat.chunk_scan_step, rat.chunk_attention_step,
// rat.window_attention_step). The row ops, rat.matmul, rat.sample, the
// memory effects and shape reification of every op are in RatOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "VerifierUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::rat;
using namespace mlir::rat::verification;

//===----------------------------------------------------------------------===//
// rat.chunk_scan
//===----------------------------------------------------------------------===//

LogicalResult ChunkScanOp::verify() {
  ShapeChecker c(*this);
  if (failed(verifyDpsForm(*this, 1)) ||
      failed(c.minRank(getInput(), "input", 2)) ||
      failed(c.sameShape(getGate(), "gate", getInput(), "input")) ||
      failed(c.sameShape(getInit(), "init", getInput(), "input")) ||
      failed(c.sameFloatElementType(
          {{getInput(), "input"}, {getGate(), "gate"}, {getInit(), "init"}})) ||
      failed(c.positive("chunk_size", getChunkSize())))
    return failure();
  return success();
}

/// Builds `(1 - gate) * x` as an elementwise linalg.generic into `init`: the
/// chunk scan and its decode step with chunk_size 1.
static Operation *buildGatedInput(PatternRewriter &rewriter, Location loc,
                                  Value gate, Value input, Value init) {
  int64_t rank = cast<ShapedType>(input.getType()).getRank();
  AffineMap id = rewriter.getMultiDimIdentityMap(rank);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  SmallVector<Type> resultTypes;
  if (isa<RankedTensorType>(init.getType()))
    resultTypes.push_back(init.getType());
  return linalg::GenericOp::create(
      rewriter, loc, resultTypes, ValueRange{gate, input}, ValueRange{init},
      ArrayRef<AffineMap>{id, id, id}, iterators,
      [](OpBuilder &b, Location loc, ValueRange args) {
        // f32 arithmetic whatever the storage type, as in the scan loops.
        Type f32 = b.getF32Type(), et = args[0].getType();
        auto widen = [&](Value v) {
          return et == f32 ? v : arith::ExtFOp::create(b, loc, f32, v);
        };
        Value one = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0));
        Value keep = arith::SubFOp::create(b, loc, one, widen(args[0]));
        Value out = arith::MulFOp::create(b, loc, keep, widen(args[1]));
        if (et != f32)
          out = arith::TruncFOp::create(b, loc, et, out);
        linalg::YieldOp::create(b, loc, out);
      });
}

namespace {
/// chunk_size 1 restarts the state at every token: `h = (1 - gate) * x`,
/// into the destination (the scan's init; the step's state, whose old value
/// is then unused).
template <typename OpTy>
struct UnitChunkToElementwise : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (op.getChunkSize() != 1)
      return rewriter.notifyMatchFailure(op, "chunk_size is not 1");
    Operation *generic =
        buildGatedInput(rewriter, op.getLoc(), op.getGate(), op.getInput(),
                        op.getDpsInitOperand(0)->get());
    rewriter.replaceOp(op, generic->getResults());
    return success();
  }
};

/// A chunk longer than the (static) sequence never restarts: canonicalise the
/// chunk size to the sequence length, so equal scans compare equal.
struct ChunkScanClampChunkSize : OpRewritePattern<ChunkScanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ChunkScanOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<ShapedType>(op.getInput().getType());
    int64_t t = type.getDimSize(type.getRank() - 2);
    if (ShapedType::isDynamic(t) || t < 1 ||
        static_cast<int64_t>(op.getChunkSize()) <= t)
      return rewriter.notifyMatchFailure(op, "chunk does not exceed T");
    rewriter.modifyOpInPlace(op, [&] { op.setChunkSize(t); });
    return success();
  }
};
} // namespace

void ChunkScanOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<UnitChunkToElementwise<ChunkScanOp>, ChunkScanClampChunkSize>(
      context);
}

//===----------------------------------------------------------------------===//
// rat.chunk_attention and rat.window_attention
//===----------------------------------------------------------------------===//

/// Shape rules shared by the two prefill attention ops.
static LogicalResult verifyAttentionShapes(Operation *op, Value q, Value k,
                                           Value v, Value init, Value offset,
                                           std::optional<double> scale) {
  ShapeChecker c(op);
  if (failed(verifyDpsForm(op, 1)) || failed(c.rank(q, "query", 4)) ||
      failed(c.rank(k, "key", 4)) || failed(c.rank(v, "value", 4)) ||
      failed(c.rank(init, "init", 4)))
    return failure();
  if (failed(c.sameDim(k, "key", 0, q, "query", 0)) ||
      failed(c.sameDim(v, "value", 0, q, "query", 0)) ||
      failed(c.sameDim(init, "init", 0, q, "query", 0)) ||
      failed(c.sameDim(init, "init", 1, v, "value", 1)) ||
      failed(c.divides(q, "query", 1, v, "value", 1)) ||
      failed(c.divides(k, "key", 1, v, "value", 1)) ||
      failed(c.sameDim(k, "key", 3, q, "query", 3)) ||
      failed(c.sameDim(v, "value", 2, k, "key", 2)) ||
      failed(c.sameDim(init, "init", 2, q, "query", 2)) ||
      failed(c.sameDim(init, "init", 3, v, "value", 3)) ||
      failed(c.sameFloatElementType(
          {{q, "query"}, {k, "key"}, {v, "value"}, {init, "init"}})) ||
      failed(verifyScale(op, scale)))
    return failure();
  int64_t headDim = ShapeChecker::type(q).getDimSize(3);
  if (ShapedType::isDynamic(headDim))
    return op->emitOpError("query head dim (dim 3) must be static");
  // Scores of zero-width heads are all 0 and the default scale Dh^-0.5 is
  // infinite: there is no attention to compute.
  if (headDim == 0)
    return op->emitOpError("query head dim (dim 3) must be >= 1");
  // Queries are a window of the key sequence.
  int64_t tq = ShapeChecker::type(q).getDimSize(2);
  int64_t tk = ShapeChecker::type(k).getDimSize(2);
  std::optional<int64_t> off = 0;
  if (offset)
    off = getConstantIntValue(offset);
  if (off && *off < 0)
    return op->emitOpError() << "offset must be >= 0, got " << *off;
  if (off && !ShapedType::isDynamic(tq) && !ShapedType::isDynamic(tk) &&
      *off + tq > tk)
    return op->emitOpError()
           << "query positions [" << *off << ", " << *off + tq
           << ") must lie within the key sequence of " << tk << " tokens";
  return success();
}

LogicalResult ChunkAttentionOp::verify() {
  if (failed(verifyAttentionShapes(*this, getQuery(), getKey(), getValue(),
                                   getInit(), getOffset(),
                                   toDouble(getScale()))))
    return failure();
  return ShapeChecker(*this).positive("chunk_size", getChunkSize());
}

double ChunkAttentionOp::getScaleOrDefault() {
  return defaultScale(toDouble(getScale()), getQuery());
}

LogicalResult ChunkAttentionOp::fold(FoldAdaptor adaptor,
                                     SmallVectorImpl<OpFoldResult> &results) {
  // With every token in chunk 0 each query sees only its own state, so the
  // softmax over one key returns the value unchanged.
  if (getNumResults() != 1 || getValue().getType() != getResult(0).getType())
    return failure();
  if (getOffset() && !matchPattern(getOffset(), m_Zero()))
    return failure();
  auto kType = cast<ShapedType>(getKey().getType());
  int64_t t = kType.getDimSize(2);
  if (ShapedType::isDynamic(t) || t > static_cast<int64_t>(getChunkSize()))
    return failure();
  results.push_back(getValue());
  return success();
}

LogicalResult WindowAttentionOp::verify() {
  if (failed(verifyAttentionShapes(*this, getQuery(), getKey(), getValue(),
                                   getInit(), getOffset(),
                                   toDouble(getScale()))))
    return failure();
  if (getWindowAttr().getInt() < 0)
    return emitOpError() << "window must be >= 0 (0 = full causal), got "
                         << getWindowAttr().getInt();
  return success();
}

double WindowAttentionOp::getScaleOrDefault() {
  return defaultScale(toDouble(getScale()), getQuery());
}

namespace {
/// A window covering the whole (static) key sequence is full causal
/// attention, spelled `window = 0`.
struct WindowAttentionFullWindow : OpRewritePattern<WindowAttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(WindowAttentionOp op,
                                PatternRewriter &rewriter) const override {
    int64_t tk = cast<ShapedType>(op.getKey().getType()).getDimSize(2);
    if (op.getWindow() == 0 || ShapedType::isDynamic(tk) ||
        op.getWindowAttr().getInt() < tk - 1)
      return rewriter.notifyMatchFailure(op, "window is not full");
    rewriter.modifyOpInPlace(op, [&] { op.setWindow(0); });
    return success();
  }
};
} // namespace

void WindowAttentionOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                    MLIRContext *context) {
  results.add<WindowAttentionFullWindow>(context);
}

//===----------------------------------------------------------------------===//
// rat.chunk_scan_step
//===----------------------------------------------------------------------===//

LogicalResult ChunkScanStepOp::verify() {
  ShapeChecker c(*this);
  if (failed(verifyDpsForm(*this, 1)) ||
      failed(c.minRank(getInput(), "input", 1)) ||
      failed(c.sameShape(getGate(), "gate", getInput(), "input")) ||
      failed(c.sameShape(getState(), "state", getInput(), "input")) ||
      failed(c.sameFloatElementType({{getInput(), "input"},
                                     {getGate(), "gate"},
                                     {getState(), "state"}})) ||
      failed(c.positive("chunk_size", getChunkSize())) ||
      failed(c.positionsOver(getPosition(), "position", getState(), "state",
                             2)))
    return failure();
  if (std::optional<int64_t> pos = getConstantIntValue(getPosition()))
    if (*pos < 0)
      return emitOpError() << "position must be >= 0, got " << *pos;
  return success();
}

void ChunkScanStepOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                  MLIRContext *context) {
  results.add<UnitChunkToElementwise<ChunkScanStepOp>>(context);
}

//===----------------------------------------------------------------------===//
// rat.chunk_attention_step
//===----------------------------------------------------------------------===//

/// Shape rules shared by the two attention decode steps: query `[B, Hq, Dh]`,
/// key `[B, H, Dh]`, value `[B, H, Dv]`, output `[B, H, Dv]`, caches
/// `[B, H, R, Dh]` / `[B, H, R, Dv]`.
template <typename OpTy> static LogicalResult verifyAttentionStep(OpTy op) {
  ShapeChecker c(op);
  if (failed(verifyDpsForm(op, 3)))
    return failure();
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue(),
        out = op.getOutput(), kc = op.getKeyCache(), vc = op.getValueCache();
  if (failed(c.rank(q, "query", 3)) || failed(c.rank(k, "key", 3)) ||
      failed(c.rank(v, "value", 3)) || failed(c.rank(out, "output", 3)) ||
      failed(c.rank(kc, "key_cache", 4)) ||
      failed(c.rank(vc, "value_cache", 4)))
    return failure();
  if (failed(c.sameDim(k, "key", 0, q, "query", 0)) ||
      failed(c.sameDim(v, "value", 0, q, "query", 0)) ||
      failed(c.sameDim(out, "output", 0, q, "query", 0)) ||
      failed(c.sameDim(kc, "key_cache", 0, q, "query", 0)) ||
      failed(c.sameDim(vc, "value_cache", 0, q, "query", 0)) ||
      failed(c.sameDim(k, "key", 1, v, "value", 1)) ||
      failed(c.sameDim(out, "output", 1, v, "value", 1)) ||
      failed(c.sameDim(kc, "key_cache", 1, v, "value", 1)) ||
      failed(c.sameDim(vc, "value_cache", 1, v, "value", 1)) ||
      failed(c.divides(q, "query", 1, v, "value", 1)) ||
      failed(c.sameDim(k, "key", 2, q, "query", 2)) ||
      failed(c.sameDim(kc, "key_cache", 3, q, "query", 2)) ||
      failed(c.sameDim(out, "output", 2, v, "value", 2)) ||
      failed(c.sameDim(vc, "value_cache", 3, v, "value", 2)) ||
      failed(c.sameDim(vc, "value_cache", 2, kc, "key_cache", 2)) ||
      failed(c.sameFloatElementType({{q, "query"},
                                     {k, "key"},
                                     {v, "value"},
                                     {out, "output"},
                                     {kc, "key_cache"},
                                     {vc, "value_cache"}})) ||
      failed(verifyScale(op, toDouble(op.getScale()))) ||
      failed(c.positionsOver(op.getPosition(), "position", q, "query", 3)))
    return failure();
  int64_t headDim = ShapeChecker::type(q).getDimSize(2);
  if (ShapedType::isDynamic(headDim))
    return op.emitOpError("query head dim (dim 2) must be static");
  if (headDim == 0)
    return op.emitOpError("query head dim (dim 2) must be >= 1");
  // The step writes the new key and value into a cache row.
  if (ShapeChecker::type(kc).getDimSize(2) == 0)
    return op.emitOpError("key_cache dim 2 (rows) must be >= 1: the step "
                          "writes the new key into a row");
  if (std::optional<int64_t> pos = getConstantIntValue(op.getPosition()))
    if (*pos < 0)
      return op.emitOpError() << "position must be >= 0, got " << *pos;
  return success();
}

LogicalResult ChunkAttentionStepOp::verify() {
  if (failed(verifyAttentionStep(*this)) ||
      failed(ShapeChecker(*this).positive("chunk_size", getChunkSize())))
    return failure();
  if (std::optional<int64_t> pos = getConstantIntValue(getPosition())) {
    int64_t rows = ShapeChecker::type(getKeyCache()).getDimSize(2);
    int64_t chunk = *pos / getChunkSize();
    if (!ShapedType::isDynamic(rows) && chunk >= rows)
      return emitOpError() << "position " << *pos << " is in chunk " << chunk
                           << " but key_cache dim 2 has only " << rows
                           << " rows";
  }
  return success();
}

double ChunkAttentionStepOp::getScaleOrDefault() {
  return defaultScale(toDouble(getScale()), getQuery());
}

//===----------------------------------------------------------------------===//
// rat.window_attention_step
//===----------------------------------------------------------------------===//

LogicalResult WindowAttentionStepOp::verify() {
  if (failed(verifyAttentionStep(*this)))
    return failure();
  if (getWindowAttr().getInt() < 0)
    return emitOpError() << "window must be >= 0 (0 = full causal), got "
                         << getWindowAttr().getInt();
  int64_t rows = ShapeChecker::type(getKeyCache()).getDimSize(2);
  if (ShapedType::isDynamic(rows))
    return success();
  if (getWindowAttr().getInt() > 0 && rows < getWindowAttr().getInt() + 1)
    return emitOpError() << "key_cache dim 2 (" << rows
                         << ") must hold the window of " << getWindow() + 1
                         << " tokens";
  if (std::optional<int64_t> pos = getConstantIntValue(getPosition()))
    if (getWindow() == 0 && *pos >= rows)
      return emitOpError() << "full attention at position " << *pos
                           << " needs more than " << *pos
                           << " rows in key_cache dim 2, got " << rows;
  return success();
}

double WindowAttentionStepOp::getScaleOrDefault() {
  return defaultScale(toDouble(getScale()), getQuery());
}
