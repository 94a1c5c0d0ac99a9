//===- RatOps.cpp - rat dialect operations --------------------*- C++ -*-===//
//
// The generated op classes, the memory effects and shape reification every
// rat op shares, the `position(...)` syntax of the decode steps, and the
// verifiers and folders of the row ops (rat.rms_norm, rat.rope), rat.matmul
// and rat.sample. The scan and attention ops are verified in
// ScanAttentionOps.cpp, with the checks of VerifierUtils.h; the
// TilingInterface implementations live in RatTilingInterface.cpp; the
// dialect's registration and the #rat.kernel attribute in RatAttrs.cpp.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "VerifierUtils.h"

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

using namespace mlir;
using namespace mlir::rat;
using namespace mlir::rat::verification;

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
