//===- RatOps.cpp - rat dialect operations --------------------*- C++ -*-===//
//
// Verifiers, folders, canonicalization patterns, memory effects and shape
// reification of the rat operations. The TilingInterface implementations
// live in RatTilingInterface.cpp; the dialect's registration and the
// #rat.kernel attribute in RatAttrs.cpp.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::rat;

//===----------------------------------------------------------------------===//
// Positions of decode steps
//===----------------------------------------------------------------------===//

Value mlir::rat::loadPosition(OpBuilder &b, Location loc, Value position,
                              Value batch) {
  if (!hasPerSequencePositions(position))
    return position;
  Value v = memref::LoadOp::create(b, loc, position, ValueRange{batch});
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// Inside `position(...)`: `%p` for an index, `%p : type` for per-sequence
/// positions.
static ParseResult parsePosition(OpAsmParser &parser,
                                 OpAsmParser::UnresolvedOperand &position,
                                 Type &type) {
  if (parser.parseOperand(position))
    return failure();
  if (succeeded(parser.parseOptionalColon()))
    return parser.parseType(type);
  type = parser.getBuilder().getIndexType();
  return success();
}

static void printPosition(OpAsmPrinter &p, Operation *, Value position,
                          Type type) {
  p << position;
  if (!type.isIndex())
    p << " : " << type;
}

//===----------------------------------------------------------------------===//
// Verification helpers
//===----------------------------------------------------------------------===//

namespace {
/// Checks shapes of named operands and reports violations in the form
/// `'rat.op' op key dim 2 (45) must equal query dim 2 (44)`.
class ShapeChecker {
public:
  explicit ShapeChecker(Operation *op) : op(op) {}

  static ShapedType type(Value v) { return cast<ShapedType>(v.getType()); }

  LogicalResult rank(Value v, StringRef name, int64_t expected) {
    int64_t actual = type(v).getRank();
    if (actual != expected)
      return op->emitOpError()
             << name << " must have rank " << expected << ", got " << actual;
    return success();
  }

  LogicalResult minRank(Value v, StringRef name, int64_t minimum) {
    int64_t actual = type(v).getRank();
    if (actual < minimum)
      return op->emitOpError()
             << name << " must have rank >= " << minimum << ", got " << actual;
    return success();
  }

  /// Dimension `ad` of `a` must equal dimension `bd` of `b` when both are
  /// static.
  LogicalResult sameDim(Value a, StringRef an, int64_t ad, Value b,
                        StringRef bn, int64_t bd) {
    int64_t x = type(a).getDimSize(ad), y = type(b).getDimSize(bd);
    if (ShapedType::isDynamic(x) || ShapedType::isDynamic(y) || x == y)
      return success();
    return op->emitOpError()
           << an << " dim " << ad << " (" << x << ") must equal " << bn
           << " dim " << bd << " (" << y << ")";
  }

  /// `a` and `b` have the same rank and compatible dimensions.
  LogicalResult sameShape(Value a, StringRef an, Value b, StringRef bn) {
    int64_t ra = type(a).getRank(), rb = type(b).getRank();
    if (ra != rb)
      return op->emitOpError() << an << " rank (" << ra << ") must equal " << bn
                               << " rank (" << rb << ")";
    for (int64_t d = 0; d < ra; ++d)
      if (failed(sameDim(a, an, d, b, bn, d)))
        return failure();
    return success();
  }

  /// Dimension `gd` of `g` (a group count) must divide dimension `hd` of `h`.
  LogicalResult divides(Value g, StringRef gn, int64_t gd, Value h,
                        StringRef hn, int64_t hd) {
    int64_t x = type(g).getDimSize(gd), y = type(h).getDimSize(hd);
    if (ShapedType::isDynamic(x) || ShapedType::isDynamic(y))
      return success();
    if (x == 0 || y % x != 0)
      return op->emitOpError()
             << hn << " dim " << hd << " (" << y << ") must be divisible by "
             << gn << " dim " << gd << " (" << x << ")";
    return success();
  }

  /// Every operand in `values` has the same float element type.
  LogicalResult
  sameFloatElementType(ArrayRef<std::pair<Value, StringRef>> values) {
    Type first = type(values.front().first).getElementType();
    for (auto [v, name] : values) {
      Type et = type(v).getElementType();
      if (!isa<FloatType>(et))
        return op->emitOpError()
               << name << " must have a float element type, got " << et;
      if (et != first)
        return op->emitOpError()
               << name << " element type (" << et << ") must equal "
               << values.front().second << " element type (" << first << ")";
    }
    return success();
  }

  /// Per-sequence positions `positions` (when not an index) index dim 0 of
  /// `v`, which needs rank >= `minRank`.
  LogicalResult positionsOver(Value positions, StringRef pn, Value v,
                              StringRef vn, int64_t minRank) {
    if (!hasPerSequencePositions(positions))
      return success();
    if (failed(this->minRank(v, (vn + " (with per-sequence " + pn + ")").str(),
                             minRank)))
      return failure();
    return sameDim(positions, pn, 0, v, vn, 0);
  }

  LogicalResult positive(StringRef name, int64_t value) {
    if (value < 1)
      return op->emitOpError() << name << " must be >= 1, got " << value;
    return success();
  }

private:
  Operation *op;
};
} // namespace

/// Checks the destination-passing form shared by every rat op: operands are
/// all tensors (one result per destination, of the destination's type) or all
/// memrefs (no results).
static LogicalResult verifyDpsForm(Operation *op, unsigned numInits) {
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

/// The optional `scale` attribute as a double.
static std::optional<double> toDouble(std::optional<APFloat> v) {
  if (!v)
    return std::nullopt;
  return v->convertToDouble();
}

static LogicalResult verifyScale(Operation *op, std::optional<double> scale) {
  if (scale && !(*scale > 0.0))
    return op->emitOpError() << "scale must be > 0, got " << *scale;
  return success();
}

/// The default softmax scale `Dh^-0.5`, from the static last dim of `query`.
static double defaultScale(std::optional<double> scale, Value query) {
  if (scale)
    return *scale;
  int64_t dh = cast<ShapedType>(query.getType()).getShape().back();
  assert(!ShapedType::isDynamic(dh) && "verifier requires a static head dim");
  return 1.0 / std::sqrt(static_cast<double>(dh));
}

//===----------------------------------------------------------------------===//
// Shared interface implementations
//===----------------------------------------------------------------------===//

/// Memory effects of a rat op on buffers: inputs are read, destinations are
/// read (the step ops read their state) and written.
static void getRatEffects(
    Operation *op,
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  auto dps = cast<DestinationStyleOpInterface>(op);
  if (!dps.hasPureBufferSemantics())
    return;
  for (OpOperand *operand : dps.getDpsInputOperands()) {
    if (!isa<MemRefType>(operand->get().getType()))
      continue;
    effects.emplace_back(MemoryEffects::Read::get(), operand, /*stage=*/0,
                         /*effectOnFullRegion=*/true,
                         SideEffects::DefaultResource::get());
  }
  for (OpOperand &operand : dps.getDpsInitsMutable()) {
    effects.emplace_back(MemoryEffects::Read::get(), &operand, /*stage=*/0,
                         /*effectOnFullRegion=*/true,
                         SideEffects::DefaultResource::get());
    effects.emplace_back(MemoryEffects::Write::get(), &operand, /*stage=*/0,
                         /*effectOnFullRegion=*/true,
                         SideEffects::DefaultResource::get());
  }
}

/// Result shapes are the destination shapes.
static LogicalResult
reifyFromInits(Operation *op, OpBuilder &b,
               ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  auto dps = cast<DestinationStyleOpInterface>(op);
  for (Value init : dps.getDpsInits())
    reifiedReturnShapes.push_back(tensor::getMixedSizes(b, op->getLoc(), init));
  return success();
}

#define RAT_DEFINE_SHARED_INTERFACES(OP)                                       \
  void OP::getEffects(                                                         \
      SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>      \
          &effects) {                                                          \
    getRatEffects(getOperation(), effects);                                    \
  }                                                                            \
  LogicalResult OP::reifyResultShapes(                                         \
      OpBuilder &b, ReifiedRankedShapedTypeDims &reifiedReturnShapes) {        \
    return reifyFromInits(getOperation(), b, reifiedReturnShapes);             \
  }

RAT_DEFINE_SHARED_INTERFACES(RmsNormOp)
RAT_DEFINE_SHARED_INTERFACES(RopeOp)
RAT_DEFINE_SHARED_INTERFACES(ChunkScanOp)
RAT_DEFINE_SHARED_INTERFACES(ChunkAttentionOp)
RAT_DEFINE_SHARED_INTERFACES(WindowAttentionOp)
RAT_DEFINE_SHARED_INTERFACES(ChunkScanStepOp)
RAT_DEFINE_SHARED_INTERFACES(ChunkAttentionStepOp)
RAT_DEFINE_SHARED_INTERFACES(WindowAttentionStepOp)
RAT_DEFINE_SHARED_INTERFACES(MatmulOp)
RAT_DEFINE_SHARED_INTERFACES(SampleOp)

#undef RAT_DEFINE_SHARED_INTERFACES

//===----------------------------------------------------------------------===//
// rat.rms_norm
//===----------------------------------------------------------------------===//

LogicalResult RmsNormOp::verify() {
  ShapeChecker c(*this);
  if (failed(verifyDpsForm(*this, 1)) ||
      failed(c.minRank(getInput(), "input", 1)) ||
      failed(c.rank(getWeight(), "weight", 1)))
    return failure();
  int64_t last = ShapeChecker::type(getInput()).getRank() - 1;
  if (failed(c.sameDim(getWeight(), "weight", 0, getInput(), "input", last)) ||
      failed(c.sameShape(getInit(), "init", getInput(), "input")) ||
      failed(c.sameFloatElementType({{getInput(), "input"},
                                     {getWeight(), "weight"},
                                     {getInit(), "init"}})))
    return failure();
  if (!(getEpsilon().convertToDouble() > 0.0))
    return emitOpError() << "epsilon must be > 0, got "
                         << getEpsilon().convertToDouble();
  return success();
}

//===----------------------------------------------------------------------===//
// rat.rope
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  ShapeChecker c(*this);
  if (failed(verifyDpsForm(*this, 1)) ||
      failed(c.minRank(getInput(), "input", 2)) ||
      failed(c.sameShape(getInit(), "init", getInput(), "input")) ||
      failed(c.sameFloatElementType(
          {{getInput(), "input"}, {getInit(), "init"}})) ||
      failed(c.positive("chunk_size", getChunkSize())))
    return failure();
  int64_t dh = ShapeChecker::type(getInput()).getShape().back();
  if (ShapedType::isDynamic(dh))
    return emitOpError("input head dim (last) must be static");
  if (dh % 2 != 0)
    return emitOpError() << "input head dim (last) must be even, got " << dh;
  if (!(getBase().convertToDouble() > 0.0))
    return emitOpError() << "base must be > 0, got "
                         << getBase().convertToDouble();
  if (getOffset())
    if (std::optional<int64_t> off = getConstantIntValue(getOffset()))
      if (*off < 0)
        return emitOpError() << "offset must be >= 0, got " << *off;
  return c.positionsOver(getPositions(), "positions", getInput(), "input", 3);
}

LogicalResult RopeOp::fold(FoldAdaptor adaptor,
                           SmallVectorImpl<OpFoldResult> &results) {
  // Every token of a sequence no longer than one chunk is at position 0,
  // where the rotation is the identity.
  if (getNumResults() != 1 || getInput().getType() != getResult(0).getType())
    return failure();
  if ((getOffset() && !matchPattern(getOffset(), m_Zero())) || getPositions())
    return failure();
  auto type = cast<ShapedType>(getInput().getType());
  int64_t t = type.getDimSize(type.getRank() - 2);
  if (ShapedType::isDynamic(t) || t > static_cast<int64_t>(getChunkSize()))
    return failure();
  results.push_back(getInput());
  return success();
}

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
/// chunk_size 1 restarts the state at every token: `h = (1 - gate) * x`.
struct ChunkScanUnitChunkToElementwise : OpRewritePattern<ChunkScanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ChunkScanOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getChunkSize() != 1)
      return rewriter.notifyMatchFailure(op, "chunk_size is not 1");
    Operation *generic = buildGatedInput(rewriter, op.getLoc(), op.getGate(),
                                         op.getInput(), op.getInit());
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
  results.add<ChunkScanUnitChunkToElementwise, ChunkScanClampChunkSize>(
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

namespace {
/// With chunk_size 1 every position starts a chunk: the old state is unused.
struct ChunkScanStepUnitChunkToElementwise : OpRewritePattern<ChunkScanStepOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ChunkScanStepOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getChunkSize() != 1)
      return rewriter.notifyMatchFailure(op, "chunk_size is not 1");
    Operation *generic = buildGatedInput(rewriter, op.getLoc(), op.getGate(),
                                         op.getInput(), op.getState());
    rewriter.replaceOp(op, generic->getResults());
    return success();
  }
};
} // namespace

void ChunkScanStepOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                  MLIRContext *context) {
  results.add<ChunkScanStepUnitChunkToElementwise>(context);
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

#define GET_OP_CLASSES
#include "rat/Dialect/Rat/IR/RatOps.cpp.inc"

//===----------------------------------------------------------------------===//
// rat.matmul
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  ShapeChecker c(*this);
  if (failed(verifyDpsForm(*this, 1)) ||
      failed(c.minRank(getInput(), "input", 2)) ||
      failed(c.rank(getWeight(), "weight", 2)))
    return failure();
  int64_t rank = ShapeChecker::type(getInput()).getRank();
  if (failed(c.sameDim(getWeight(), "weight", 1, getInput(), "input",
                       rank - 1)) ||
      failed(c.rank(getInit(), "init", rank)))
    return failure();
  for (int64_t d = 0; d + 1 < rank; ++d)
    if (failed(c.sameDim(getInit(), "init", d, getInput(), "input", d)))
      return failure();
  if (failed(c.sameDim(getInit(), "init", rank - 1, getWeight(), "weight", 0)) ||
      failed(c.sameFloatElementType(
          {{getInput(), "input"}, {getWeight(), "weight"}})) ||
      failed(c.sameFloatElementType({{getInit(), "init"}})))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// rat.sample
//===----------------------------------------------------------------------===//

LogicalResult SampleOp::verify() {
  ShapeChecker c(*this);
  Value logits = getLogits();
  if (failed(verifyDpsForm(*this, 1)) || failed(c.rank(logits, "logits", 2)) ||
      failed(c.sameFloatElementType({{logits, "logits"}})))
    return failure();
  Type f32 = Float32Type::get(getContext());
  Type i32 = IntegerType::get(getContext(), 32);
  Type i64 = IntegerType::get(getContext(), 64);
  struct Row {
    Value value;
    StringRef name;
    SmallVector<Type> types;
  };
  Row rows[] = {{getTemperature(), "temperature", {f32}},
                {getTopK(), "top_k", {i32}},
                {getTopP(), "top_p", {f32}},
                {getSeed(), "seed", {i64}},
                {getPosition(), "position", {i32, i64}},
                {getInit(), "init", {i32}}};
  for (const Row &row : rows) {
    if (failed(c.rank(row.value, row.name, 1)) ||
        failed(c.sameDim(row.value, row.name, 0, logits, "logits", 0)))
      return failure();
    Type et = ShapeChecker::type(row.value).getElementType();
    if (!llvm::is_contained(row.types, et)) {
      InFlightDiagnostic diag = emitOpError()
                                << row.name << " must have element type ";
      llvm::interleave(row.types, diag, " or ");
      return diag << ", got " << et;
    }
  }
  if (ShapeChecker::type(logits).getDimSize(1) == 0)
    return emitOpError("logits dim 1 (the vocabulary) must be >= 1");
  return success();
}
