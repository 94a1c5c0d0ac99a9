//===- TilingUtils.cpp - Shared pieces of the rat tiling interfaces -------===//

#include "TilingUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

using namespace mlir;
using namespace mlir::rat;

namespace mlir::rat::tiling {

int64_t rankOf(Value v) { return cast<ShapedType>(v.getType()).getRank(); }

OpFoldResult dimOf(OpBuilder &b, Location loc, Value v, int64_t d) {
  if (isa<MemRefType>(v.getType()))
    return memref::getMixedSize(b, loc, v, d);
  return tensor::getMixedSize(b, loc, v, d);
}

Value getSlice(OpBuilder &b, Location loc, Value source,
               ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
  if (isa<MemRefType>(source.getType()))
    return memref::SubViewOp::create(b, loc, source, offsets, sizes, strides);
  return tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes,
                                        strides);
}

void appendFull(OpBuilder &b, Location loc, Value v, int64_t first,
                int64_t count, SmallVectorImpl<OpFoldResult> &offsets,
                SmallVectorImpl<OpFoldResult> &sizes) {
  for (int64_t d = first; d < first + count; ++d) {
    offsets.push_back(b.getIndexAttr(0));
    sizes.push_back(dimOf(b, loc, v, d));
  }
}

bool provablyEqual(OpFoldResult a, OpFoldResult b) {
  if (isEqualConstantIntOrValue(a, b))
    return true;
  FailureOr<bool> equal = ValueBoundsConstraintSet::areEqual(a, b);
  return succeeded(equal) && *equal;
}

LogicalResult groupTile(OpBuilder &b, Location loc, Value grouped, int64_t dim,
                        Value full, OpFoldResult h0, OpFoldResult hs,
                        OpFoldResult &g0, OpFoldResult &gs) {
  OpFoldResult groups = dimOf(b, loc, grouped, dim);
  OpFoldResult heads = dimOf(b, loc, full, dim);
  if (provablyEqual(groups, heads)) {
    g0 = h0;
    gs = hs;
    return success();
  }
  if (provablyEqual(hs, heads)) {
    g0 = b.getIndexAttr(0);
    gs = groups;
    return success();
  }
  std::optional<int64_t> g = getConstantIntValue(groups);
  std::optional<int64_t> size = getConstantIntValue(hs);
  if (!size) {
    FailureOr<int64_t> bound = ValueBoundsConstraintSet::computeConstantBound(
        presburger::BoundType::UB, hs, /*stopCondition=*/nullptr,
        /*closedUB=*/true);
    if (succeeded(bound))
      size = *bound;
  }
  if (!size)
    return failure();
  AffineExpr d0;
  bindDims(b.getContext(), d0);
  if (*size <= 1 && !g) {
    g0 = arith::RemUIOp::create(b, loc,
                                getValueOrCreateConstantIndexOp(b, loc, h0),
                                getValueOrCreateConstantIndexOp(b, loc, groups))
             .getResult();
    gs = hs;
    return success();
  }
  if (!g || *g < 1)
    return failure();
  if (*size % *g == 0) {
    g0 = b.getIndexAttr(0);
    gs = groups;
    return success();
  }
  if (*g % *size == 0) {
    g0 = affine::makeComposedFoldedAffineApply(b, loc, d0 % *g, {h0});
    gs = hs;
    return success();
  }
  return failure();
}

Value addOffset(OpBuilder &b, Location loc, Value base, OpFoldResult delta) {
  if (!base)
    return getValueOrCreateConstantIndexOp(b, loc, delta);
  AffineExpr d0, d1;
  bindDims(b.getContext(), d0, d1);
  return getValueOrCreateConstantIndexOp(
      b, loc,
      affine::makeComposedFoldedAffineApply(b, loc, d0 + d1, {base, delta}));
}

Value positionTile(OpBuilder &b, Location loc, Value position,
                   OpFoldResult first, OpFoldResult size,
                   SmallVectorImpl<Operation *> &slices) {
  if (!hasPerSequencePositions(position))
    return position;
  return record(getSlice(b, loc, position, {first}, {size}), slices);
}

bool isMultipleOf(OpFoldResult ofr, int64_t factor) {
  if (factor == 1)
    return true;
  if (std::optional<int64_t> c = getConstantIntValue(ofr))
    return *c % factor == 0;
  Value v = cast<Value>(ofr);
  if (auto apply = v.getDefiningOp<affine::AffineApplyOp>()) {
    AffineExpr e = apply.getAffineMap().getResult(0);
    if (e.isMultipleOf(factor))
      return true;
    // d0 * k with d0 itself a multiple is handled by composition upstream.
    return false;
  }
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    Operation *parent = arg.getOwner()->getParentOp();
    if (auto forall = dyn_cast<scf::ForallOp>(parent)) {
      unsigned i = arg.getArgNumber();
      if (i >= forall.getRank())
        return false;
      return isMultipleOf(forall.getMixedLowerBound()[i], factor) &&
             isMultipleOf(forall.getMixedStep()[i], factor);
    }
    if (auto forOp = dyn_cast<scf::ForOp>(parent)) {
      if (arg != forOp.getInductionVar())
        return false;
      return isMultipleOf(getAsOpFoldResult(forOp.getLowerBound()), factor) &&
             isMultipleOf(getAsOpFoldResult(forOp.getStep()), factor);
    }
  }
  return false;
}

TilingResult cloneOnSlices(OpBuilder &b, Operation *op, ValueRange operands,
                           SmallVector<Operation *> slices) {
  auto dps = cast<DestinationStyleOpInterface>(op);
  int64_t numInits = dps.getNumDpsInits();
  SmallVector<Type> resultTypes;
  if (dps.hasPureTensorSemantics())
    for (Value init : operands.take_back(numInits))
      resultTypes.push_back(init.getType());
  Operation *tiled = clone(b, op, resultTypes, operands);
  auto setSegments = [&](auto concrete) {
    auto &segments = concrete.getProperties().operandSegmentSizes;
    int64_t numIns = static_cast<int64_t>(operands.size()) - numInits;
    // ins..., [offset], inits...: the offset segment is second to last.
    int32_t fixed = 0;
    for (size_t i = 0; i + 2 < segments.size(); ++i)
      fixed += segments[i];
    segments[segments.size() - 2] = static_cast<int32_t>(numIns - fixed);
    segments[segments.size() - 1] = static_cast<int32_t>(numInits);
  };
  if (auto rope = dyn_cast<RopeOp>(tiled)) {
    // input, [offset], [positions], inits.
    auto &segments = rope.getProperties().operandSegmentSizes;
    int32_t positions = cast<RopeOp>(op).getPositions() ? 1 : 0;
    int32_t numIns = static_cast<int32_t>(operands.size() - numInits);
    segments[0] = 1;
    segments[1] = numIns - 1 - positions;
    segments[2] = positions;
    segments[3] = static_cast<int32_t>(numInits);
  } else if (auto attn = dyn_cast<ChunkAttentionOp>(tiled))
    setSegments(attn);
  else if (auto attn = dyn_cast<WindowAttentionOp>(tiled))
    setSegments(attn);
  return TilingResult{
      {tiled}, SmallVector<Value>(tiled->getResults()), std::move(slices)};
}

Value record(Value slice, SmallVectorImpl<Operation *> &slices) {
  if (Operation *def = slice.getDefiningOp())
    slices.push_back(def);
  return slice;
}

bool isFullDim(OpBuilder &b, Location loc, Value v, int64_t d,
               OpFoldResult offset, OpFoldResult size) {
  return isZeroInteger(offset) &&
         isEqualConstantIntOrValue(size, dimOf(b, loc, v, d));
}

void withWholeTrailingDims(OpBuilder &b, Location loc, Value v,
                           ArrayRef<OpFoldResult> offsets,
                           ArrayRef<OpFoldResult> sizes,
                           SmallVectorImpl<OpFoldResult> &o,
                           SmallVectorImpl<OpFoldResult> &s) {
  o.assign(offsets.begin(), offsets.end());
  s.assign(sizes.begin(), sizes.end());
  appendFull(b, loc, v, offsets.size(), rankOf(v) - offsets.size(), o, s);
}

LogicalResult leadingDimsOfResultTile(OpBuilder &b, Location loc, Value init,
                                      int64_t domainRank,
                                      ArrayRef<OpFoldResult> offsets,
                                      ArrayRef<OpFoldResult> sizes,
                                      SmallVectorImpl<OpFoldResult> &domOffsets,
                                      SmallVectorImpl<OpFoldResult> &domSizes) {
  for (int64_t d = domainRank; d < rankOf(init); ++d)
    if (!isFullDim(b, loc, init, d, offsets[d], sizes[d]))
      return failure();
  domOffsets.assign(offsets.begin(), offsets.begin() + domainRank);
  domSizes.assign(sizes.begin(), sizes.begin() + domainRank);
  return success();
}

void enterAllocaScope(OpBuilder &b, Location loc) {
  auto scope = memref::AllocaScopeOp::create(b, loc, TypeRange{});
  b.setInsertionPointToStart(&scope.getBodyRegion().emplaceBlock());
  memref::AllocaScopeReturnOp::create(b, loc, ValueRange{});
  b.setInsertionPointToStart(&scope.getBodyRegion().front());
}

SmallVector<Range> leadingDimsDomain(OpBuilder &b, Location loc, Value v,
                                     int64_t count) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < count; ++d)
    sizes.push_back(dimOf(b, loc, v, d));
  return domainOf(b, loc, sizes);
}

SmallVector<Range> domainOf(OpBuilder &b, Location loc,
                            ArrayRef<OpFoldResult> sizes) {
  SmallVector<Range> ranges;
  for (OpFoldResult s : sizes)
    ranges.push_back(Range{b.getIndexAttr(0), s, b.getIndexAttr(1)});
  return ranges;
}

SmallVector<utils::IteratorType> parallelLoops(int64_t n) {
  return SmallVector<utils::IteratorType>(n, utils::IteratorType::parallel);
}

} // namespace mlir::rat::tiling
