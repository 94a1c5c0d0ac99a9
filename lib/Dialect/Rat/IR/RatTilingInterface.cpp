//===- RatTilingInterface.cpp - TilingInterface of rat ops ----*- C++ -*-===//
//
// Iteration domains, tiled implementations and scalar (loop) implementations
// of the rat operations.
//
// Iteration domains contain only the dimensions that can be split without
// changing the math:
//   rms_norm             [batch...]            (rows; D is reduced inside)
//   rope                 [batch..., T]         (Dh pairs are rotated inside)
//   chunk_scan           [batch..., C, N]      (C = ceil(T / L) whole chunks)
//   chunk_attention      [B, H, Tq]            (keys reduced online inside)
//   window_attention     [B, H, Tq]
//   chunk_scan_step      [batch..., N]
//   chunk_attention_step [B, H]
//   window_attention_step [B, H]
// Tiles of the scan are counted in chunks, so a tile never splits a chunk.
// Query tiles of the attention ops keep the whole key sequence and pass
// their global position through the `offset` operand.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

using namespace mlir;
using namespace mlir::rat;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static int64_t rankOf(Value v) {
  return cast<ShapedType>(v.getType()).getRank();
}

static OpFoldResult dimOf(OpBuilder &b, Location loc, Value v, int64_t d) {
  if (isa<MemRefType>(v.getType()))
    return memref::getMixedSize(b, loc, v, d);
  return tensor::getMixedSize(b, loc, v, d);
}

/// A slice of a tensor or memref with unit strides.
static Value getSlice(OpBuilder &b, Location loc, Value source,
                      ArrayRef<OpFoldResult> offsets,
                      ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
  if (isa<MemRefType>(source.getType()))
    return memref::SubViewOp::create(b, loc, source, offsets, sizes, strides);
  return tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes,
                                        strides);
}

/// Full-extent offsets/sizes for the trailing `count` dims of `v` starting
/// at dim `first`.
static void appendFull(OpBuilder &b, Location loc, Value v, int64_t first,
                       int64_t count, SmallVectorImpl<OpFoldResult> &offsets,
                       SmallVectorImpl<OpFoldResult> &sizes) {
  for (int64_t d = first; d < first + count; ++d) {
    offsets.push_back(b.getIndexAttr(0));
    sizes.push_back(dimOf(b, loc, v, d));
  }
}

/// True when `a` and `b` are provably the same size: the same constant or
/// value, or equal by value-bounds reasoning (two `tensor.dim` of one dim).
static bool provablyEqual(OpFoldResult a, OpFoldResult b) {
  if (isEqualConstantIntOrValue(a, b))
    return true;
  FailureOr<bool> equal = ValueBoundsConstraintSet::areEqual(a, b);
  return succeeded(equal) && *equal;
}

/// The tile of a grouped head dimension. Output head `h` reads group
/// `h % G`. A tile of `hs` heads starting at `h0` (a multiple of the tile
/// size, as the tiling loops give) reads:
///  - the same heads when `G == H`, all groups when it covers every head;
///  - all groups when `G` divides the tile size;
///  - the contiguous groups `[h0 mod G, h0 mod G + hs)` when the tile size
///    divides `G`, and in particular for a tile of at most one head, whatever
///    `G` is, static or not.
/// A partial tile `min(size, H - h0)` stands for its constant upper bound.
/// Fails when dynamic counts leave the groups of a larger tile unknown.
static LogicalResult groupTile(OpBuilder &b, Location loc, Value grouped,
                               int64_t dim, Value full, OpFoldResult h0,
                               OpFoldResult hs, OpFoldResult &g0,
                               OpFoldResult &gs) {
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

/// `base + delta` where `base` may be absent (zero).
static Value addOffset(OpBuilder &b, Location loc, Value base,
                       OpFoldResult delta) {
  if (!base)
    return getValueOrCreateConstantIndexOp(b, loc, delta);
  AffineExpr d0, d1;
  bindDims(b.getContext(), d0, d1);
  return getValueOrCreateConstantIndexOp(
      b, loc,
      affine::makeComposedFoldedAffineApply(b, loc, d0 + d1, {base, delta}));
}

/// True when `ofr` is provably a multiple of `factor`: a constant, an
/// affine.apply whose expression is a multiple, or an induction variable of
/// a loop whose lower bound and step are multiples.
static bool isMultipleOf(OpFoldResult ofr, int64_t factor) {
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

/// Clones `op` onto the given operands; results take the types of the new
/// destinations when on tensors. Destinations are the trailing operands of
/// every rat op; tiles may add the `offset` operand an op did not have, so
/// the operand segment sizes are recomputed.
static TilingResult cloneOnSlices(OpBuilder &b, Operation *op,
                                  ValueRange operands,
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
  if (auto rope = dyn_cast<RopeOp>(tiled))
    setSegments(rope);
  else if (auto attn = dyn_cast<ChunkAttentionOp>(tiled))
    setSegments(attn);
  else if (auto attn = dyn_cast<WindowAttentionOp>(tiled))
    setSegments(attn);
  return TilingResult{
      {tiled}, SmallVector<Value>(tiled->getResults()), std::move(slices)};
}

/// Records the defining op of a slice value (for the fusion driver).
static Value record(Value slice, SmallVectorImpl<Operation *> &slices) {
  if (Operation *def = slice.getDefiningOp())
    slices.push_back(def);
  return slice;
}

/// Implements `generateResultTileValue` from the iteration-domain mapping.
template <typename OpTy>
static FailureOr<TilingResult>
resultTileValue(OpTy op, OpBuilder &b, unsigned resultNumber,
                ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> domOffsets, domSizes;
  if (failed(op.getIterationDomainTileFromResultTile(
          b, resultNumber, offsets, sizes, domOffsets, domSizes)))
    return failure();
  return op.getTiledImplementation(b, domOffsets, domSizes);
}

/// The dims of a result tile that lie outside the iteration domain must be
/// whole: offset 0 and the full size.
static bool isFullDim(OpBuilder &b, Location loc, Value v, int64_t d,
                      OpFoldResult offset, OpFoldResult size) {
  return isZeroInteger(offset) &&
         isEqualConstantIntOrValue(size, dimOf(b, loc, v, d));
}

/// Tile mappings of an op whose iteration domain is the index space of its
/// (first) result: result tile = domain tile.
#define RAT_DEFINE_IDENTITY_TILE_MAPPING(OP)                                   \
  LogicalResult OP::getResultTilePosition(                                     \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,  \
      SmallVector<OpFoldResult> &resultSizes) {                                \
    resultOffsets.assign(offsets.begin(), offsets.end());                      \
    resultSizes.assign(sizes.begin(), sizes.end());                            \
    return success();                                                          \
  }                                                                            \
  LogicalResult OP::getIterationDomainTileFromResultTile(                      \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes, SmallVectorImpl<OpFoldResult> &domOffsets, \
      SmallVectorImpl<OpFoldResult> &domSizes) {                               \
    domOffsets.assign(offsets.begin(), offsets.end());                         \
    domSizes.assign(sizes.begin(), sizes.end());                               \
    return success();                                                          \
  }

//===----------------------------------------------------------------------===//
// Scalar code helpers
//===----------------------------------------------------------------------===//

namespace {
/// Emits scalar loads/stores and f32 arithmetic for loop implementations.
struct ScalarEmitter {
  OpBuilder &b;
  Location loc;
  Type f32;

  ScalarEmitter(OpBuilder &b, Location loc)
      : b(b), loc(loc), f32(b.getF32Type()) {}

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value load(Value memref, ValueRange idx) {
    Value v = memref::LoadOp::create(b, loc, memref, idx);
    if (v.getType() != f32)
      v = arith::ExtFOp::create(b, loc, f32, v);
    return v;
  }
  void store(Value value, Value memref, ValueRange idx) {
    Type et = cast<MemRefType>(memref.getType()).getElementType();
    if (et != f32)
      value = arith::TruncFOp::create(b, loc, et, value);
    memref::StoreOp::create(b, loc, value, memref, idx);
  }
  Value dim(Value memref, int64_t d) {
    return memref::DimOp::create(b, loc, memref, d);
  }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value exp(Value x) { return math::ExpOp::create(b, loc, x); }
  Value max(Value x, Value y) {
    return arith::MaximumFOp::create(b, loc, x, y);
  }
  Value iadd(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value imul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value idiv(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value irem(Value x, Value y) { return arith::RemUIOp::create(b, loc, x, y); }
  Value imin(Value x, Value y) { return arith::MinUIOp::create(b, loc, x, y); }

  /// `for i in [lb, ub)` with f32 loop-carried values; returns the finals.
  SmallVector<Value>
  loop(Value lb, Value ub, ValueRange inits,
       function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto forOp = scf::ForOp::create(
        b, loc, lb, ub, index(1), inits,
        [&](OpBuilder &nb, Location nloc, Value iv, ValueRange args) {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          SmallVector<Value> next = body(iv, args);
          scf::YieldOp::create(b, nloc, next);
        });
    return SmallVector<Value>(forOp.getResults());
  }

  /// `sum_d a[aIdx..., d] * b[bIdx..., d]` for d in [0, n).
  Value dot(Value a, SmallVector<Value> aIdx, Value bm, SmallVector<Value> bIdx,
            Value n) {
    return loop(index(0), n, {f(0.0)}, [&](Value d, ValueRange acc) {
      SmallVector<Value> ai = aIdx, bi = bIdx;
      ai.push_back(d);
      bi.push_back(d);
      return SmallVector<Value>{add(acc[0], mul(load(a, ai), load(bm, bi)))};
    })[0];
  }
};

/// Online softmax over a sequence of keys (FlashAttention): keeps the running
/// maximum `m`, the running sum `l` and an f32 accumulator row.
struct OnlineSoftmax {
  ScalarEmitter &e;
  Value acc; // memref<Dv x f32>
  Value dv;

  /// `staticDv` is the value width when known: a statically sized
  /// accumulator lets the GPU backend size the thread's stack frame (a
  /// dynamically sized one can overflow the default stack).
  OnlineSoftmax(ScalarEmitter &e, Value dv, int64_t staticDv) : e(e), dv(dv) {
    if (!ShapedType::isDynamic(staticDv))
      acc = memref::AllocaOp::create(e.b, e.loc,
                                     MemRefType::get({staticDv}, e.f32));
    else
      acc = memref::AllocaOp::create(
          e.b, e.loc, MemRefType::get({ShapedType::kDynamic}, e.f32),
          ValueRange{dv});
    e.loop(e.index(0), dv, {}, [&](Value d, ValueRange) {
      memref::StoreOp::create(e.b, e.loc, e.f(0.0), acc, d);
      return SmallVector<Value>{};
    });
  }

  /// Runs over keys `j in [lb, ub)`; `keyRow(j)` gives the row index of key
  /// `j` into `key`/`value` whose leading indices are `kIdx`/`vIdx`.
  /// Returns the softmax denominator.
  Value run(Value lb, Value ub, Value q, SmallVector<Value> qIdx, Value key,
            SmallVector<Value> kIdx, Value value, SmallVector<Value> vIdx,
            Value dh, Value scale, function_ref<Value(Value)> keyRow) {
    Value negInf = e.f(-std::numeric_limits<double>::infinity());
    SmallVector<Value> fin =
        e.loop(lb, ub, {negInf, e.f(0.0)}, [&](Value j, ValueRange ml) {
          Value r = keyRow(j);
          SmallVector<Value> ki = kIdx, vi = vIdx;
          ki.push_back(r);
          vi.push_back(r);
          Value s = e.mul(e.dot(q, qIdx, key, ki, dh), scale);
          Value mNew = e.max(ml[0], s);
          Value corr = e.exp(e.sub(ml[0], mNew));
          Value p = e.exp(e.sub(s, mNew));
          Value lNew = e.add(e.mul(ml[1], corr), p);
          e.loop(e.index(0), dv, {}, [&](Value d, ValueRange) {
            SmallVector<Value> vd = vi;
            vd.push_back(d);
            Value a = memref::LoadOp::create(e.b, e.loc, acc, d);
            a = e.add(e.mul(a, corr), e.mul(p, e.load(value, vd)));
            memref::StoreOp::create(e.b, e.loc, a, acc, d);
            return SmallVector<Value>{};
          });
          return SmallVector<Value>{mNew, lNew};
        });
    return fin[1];
  }

  /// out[oIdx..., d] = acc[d] / l.
  void finish(Value l, Value out, SmallVector<Value> oIdx) {
    e.loop(e.index(0), dv, {}, [&](Value d, ValueRange) {
      SmallVector<Value> od = oIdx;
      od.push_back(d);
      Value a = memref::LoadOp::create(e.b, e.loc, acc, d);
      e.store(e.div(a, l), out, od);
      return SmallVector<Value>{};
    });
  }
};
} // namespace

static SmallVector<Range> domainOf(OpBuilder &b, Location loc,
                                   ArrayRef<OpFoldResult> sizes) {
  SmallVector<Range> ranges;
  for (OpFoldResult s : sizes)
    ranges.push_back(Range{b.getIndexAttr(0), s, b.getIndexAttr(1)});
  return ranges;
}

static SmallVector<utils::IteratorType> parallelLoops(int64_t n) {
  return SmallVector<utils::IteratorType>(n, utils::IteratorType::parallel);
}

//===----------------------------------------------------------------------===//
// rat.rms_norm: domain [batch...]
//===----------------------------------------------------------------------===//

SmallVector<utils::IteratorType> RmsNormOp::getLoopIteratorTypes() {
  return parallelLoops(rankOf(getInput()) - 1);
}

SmallVector<Range> RmsNormOp::getIterationDomain(OpBuilder &b) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d + 1 < rankOf(getInput()); ++d)
    sizes.push_back(dimOf(b, getLoc(), getInput(), d));
  return domainOf(b, getLoc(), sizes);
}

/// Rows of the input/output for a tile of the row domain.
static void rowSlice(OpBuilder &b, Location loc, Value v,
                     ArrayRef<OpFoldResult> offsets,
                     ArrayRef<OpFoldResult> sizes,
                     SmallVectorImpl<OpFoldResult> &o,
                     SmallVectorImpl<OpFoldResult> &s) {
  o.assign(offsets.begin(), offsets.end());
  s.assign(sizes.begin(), sizes.end());
  appendFull(b, loc, v, offsets.size(), rankOf(v) - offsets.size(), o, s);
}

FailureOr<TilingResult>
RmsNormOp::getTiledImplementation(OpBuilder &b, ArrayRef<OpFoldResult> offsets,
                                  ArrayRef<OpFoldResult> sizes) {
  Location loc = getLoc();
  SmallVector<OpFoldResult> o, s;
  rowSlice(b, loc, getInput(), offsets, sizes, o, s);
  SmallVector<Operation *> slices;
  Value in = record(getSlice(b, loc, getInput(), o, s), slices);
  Value init = record(getSlice(b, loc, getInit(), o, s), slices);
  return cloneOnSlices(b, *this, {in, getWeight(), init}, slices);
}

LogicalResult RmsNormOp::getResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  rowSlice(b, getLoc(), getInit(), offsets, sizes, resultOffsets, resultSizes);
  return success();
}

LogicalResult RmsNormOp::getIterationDomainTileFromResultTile(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVectorImpl<OpFoldResult> &domOffsets,
    SmallVectorImpl<OpFoldResult> &domSizes) {
  int64_t last = rankOf(getInit()) - 1;
  // A row is normalised as a whole.
  if (!isFullDim(b, getLoc(), getInit(), last, offsets[last], sizes[last]))
    return failure();
  domOffsets.assign(offsets.begin(), offsets.begin() + last);
  domSizes.assign(sizes.begin(), sizes.begin() + last);
  return success();
}

FailureOr<TilingResult>
RmsNormOp::generateResultTileValue(OpBuilder &b, unsigned resultNumber,
                                   ArrayRef<OpFoldResult> offsets,
                                   ArrayRef<OpFoldResult> sizes) {
  return resultTileValue(*this, b, resultNumber, offsets, sizes);
}

LogicalResult RmsNormOp::generateScalarImplementation(OpBuilder &b,
                                                      Location loc,
                                                      ValueRange ivs) {
  ScalarEmitter e(b, loc);
  Value in = getInput(), w = getWeight(), out = getInit();
  int64_t last = rankOf(in) - 1;
  Value d = e.dim(in, last);
  SmallVector<Value> row(ivs.begin(), ivs.end());
  Value sumSq = e.loop(e.index(0), d, {e.f(0.0)}, [&](Value j, ValueRange a) {
    SmallVector<Value> idx = row;
    idx.push_back(j);
    Value x = e.load(in, idx);
    return SmallVector<Value>{e.add(a[0], e.mul(x, x))};
  })[0];
  Value n = arith::IndexCastOp::create(b, loc, b.getI64Type(), d);
  Value nf = arith::SIToFPOp::create(b, loc, e.f32, n);
  Value eps = e.f(getEpsilon().convertToDouble());
  Value inv = math::RsqrtOp::create(b, loc, e.add(e.div(sumSq, nf), eps));
  e.loop(e.index(0), d, {}, [&](Value j, ValueRange) {
    SmallVector<Value> idx = row;
    idx.push_back(j);
    e.store(e.mul(e.mul(e.load(in, idx), inv), e.load(w, {j})), out, idx);
    return SmallVector<Value>{};
  });
  return success();
}

//===----------------------------------------------------------------------===//
// rat.rope: domain [batch..., T]
//===----------------------------------------------------------------------===//

SmallVector<utils::IteratorType> RopeOp::getLoopIteratorTypes() {
  return parallelLoops(rankOf(getInput()) - 1);
}

SmallVector<Range> RopeOp::getIterationDomain(OpBuilder &b) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d + 1 < rankOf(getInput()); ++d)
    sizes.push_back(dimOf(b, getLoc(), getInput(), d));
  return domainOf(b, getLoc(), sizes);
}

FailureOr<TilingResult>
RopeOp::getTiledImplementation(OpBuilder &b, ArrayRef<OpFoldResult> offsets,
                               ArrayRef<OpFoldResult> sizes) {
  Location loc = getLoc();
  SmallVector<OpFoldResult> o, s;
  rowSlice(b, loc, getInput(), offsets, sizes, o, s);
  SmallVector<Operation *> slices;
  Value in = record(getSlice(b, loc, getInput(), o, s), slices);
  Value init = record(getSlice(b, loc, getInit(), o, s), slices);
  Value offset = addOffset(b, loc, getOffset(), offsets.back());
  return cloneOnSlices(b, *this, {in, offset, init}, slices);
}

LogicalResult RopeOp::getResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  rowSlice(b, getLoc(), getInit(), offsets, sizes, resultOffsets, resultSizes);
  return success();
}

LogicalResult RopeOp::getIterationDomainTileFromResultTile(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVectorImpl<OpFoldResult> &domOffsets,
    SmallVectorImpl<OpFoldResult> &domSizes) {
  int64_t last = rankOf(getInit()) - 1;
  // The two halves of a head are rotated together.
  if (!isFullDim(b, getLoc(), getInit(), last, offsets[last], sizes[last]))
    return failure();
  domOffsets.assign(offsets.begin(), offsets.begin() + last);
  domSizes.assign(sizes.begin(), sizes.begin() + last);
  return success();
}

FailureOr<TilingResult>
RopeOp::generateResultTileValue(OpBuilder &b, unsigned resultNumber,
                                ArrayRef<OpFoldResult> offsets,
                                ArrayRef<OpFoldResult> sizes) {
  return resultTileValue(*this, b, resultNumber, offsets, sizes);
}

LogicalResult RopeOp::generateScalarImplementation(OpBuilder &b, Location loc,
                                                   ValueRange ivs) {
  ScalarEmitter e(b, loc);
  Value in = getInput(), out = getInit();
  int64_t dh = cast<ShapedType>(in.getType()).getShape().back();
  int64_t half = dh / 2;
  Value t = ivs.back();
  Value pos = getOffset() ? e.iadd(getOffset(), t) : t;
  pos = e.idiv(pos, e.index(getChunkSize()));
  Value posF = arith::UIToFPOp::create(
      b, loc, e.f32, arith::IndexCastUIOp::create(b, loc, b.getI64Type(), pos));
  // inv_freq_i = base^(-2i/Dh) = exp2(-(2i/Dh) * log2(base)).
  double log2Base = std::log2(getBase().convertToDouble());
  SmallVector<Value> row(ivs.begin(), ivs.end());
  e.loop(e.index(0), e.index(half), {}, [&](Value i, ValueRange) {
    Value iF = arith::UIToFPOp::create(
        b, loc, e.f32, arith::IndexCastUIOp::create(b, loc, b.getI64Type(), i));
    Value expo = e.mul(iF, e.f(-2.0 * log2Base / static_cast<double>(dh)));
    Value invFreq = math::Exp2Op::create(b, loc, expo);
    Value angle = e.mul(posF, invFreq);
    Value cos = math::CosOp::create(b, loc, angle);
    Value sin = math::SinOp::create(b, loc, angle);
    SmallVector<Value> lo = row, hi = row;
    lo.push_back(i);
    hi.push_back(e.iadd(i, e.index(half)));
    Value x0 = e.load(in, lo), x1 = e.load(in, hi);
    e.store(e.sub(e.mul(x0, cos), e.mul(x1, sin)), out, lo);
    e.store(e.add(e.mul(x1, cos), e.mul(x0, sin)), out, hi);
    return SmallVector<Value>{};
  });
  return success();
}

//===----------------------------------------------------------------------===//
// rat.chunk_scan: domain [batch..., C, N]
//===----------------------------------------------------------------------===//

SmallVector<utils::IteratorType> ChunkScanOp::getLoopIteratorTypes() {
  return parallelLoops(rankOf(getInput()));
}

SmallVector<Range> ChunkScanOp::getIterationDomain(OpBuilder &b) {
  Location loc = getLoc();
  int64_t rank = rankOf(getInput());
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < rank; ++d)
    sizes.push_back(dimOf(b, loc, getInput(), d));
  AffineExpr t;
  bindDims(b.getContext(), t);
  sizes[rank - 2] = affine::makeComposedFoldedAffineApply(
      b, loc, t.ceilDiv(getChunkSize()), {sizes[rank - 2]});
  return domainOf(b, loc, sizes);
}

/// Token offsets/sizes of a tile given in chunks.
static void chunkTileToTokens(OpBuilder &b, Location loc, ChunkScanOp op,
                              ArrayRef<OpFoldResult> offsets,
                              ArrayRef<OpFoldResult> sizes,
                              SmallVectorImpl<OpFoldResult> &o,
                              SmallVectorImpl<OpFoldResult> &s) {
  int64_t rank = rankOf(op.getInput());
  int64_t l = op.getChunkSize();
  o.assign(offsets.begin(), offsets.end());
  s.assign(sizes.begin(), sizes.end());
  AffineExpr c0, cs, t;
  bindDims(b.getContext(), c0, cs, t);
  OpFoldResult tokens = dimOf(b, loc, op.getInput(), rank - 2);
  o[rank - 2] = affine::makeComposedFoldedAffineApply(b, loc, c0 * l,
                                                      {offsets[rank - 2]});
  AffineMap minMap = AffineMap::get(3, 0, {cs * l, t - c0 * l}, b.getContext());
  s[rank - 2] = affine::makeComposedFoldedAffineMin(
      b, loc, minMap, {offsets[rank - 2], sizes[rank - 2], tokens});
}

FailureOr<TilingResult>
ChunkScanOp::getTiledImplementation(OpBuilder &b,
                                    ArrayRef<OpFoldResult> offsets,
                                    ArrayRef<OpFoldResult> sizes) {
  Location loc = getLoc();
  SmallVector<OpFoldResult> o, s;
  chunkTileToTokens(b, loc, *this, offsets, sizes, o, s);
  SmallVector<Operation *> slices;
  Value gate = record(getSlice(b, loc, getGate(), o, s), slices);
  Value in = record(getSlice(b, loc, getInput(), o, s), slices);
  Value init = record(getSlice(b, loc, getInit(), o, s), slices);
  return cloneOnSlices(b, *this, {gate, in, init}, slices);
}

LogicalResult ChunkScanOp::getResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  chunkTileToTokens(b, getLoc(), *this, offsets, sizes, resultOffsets,
                    resultSizes);
  return success();
}

LogicalResult ChunkScanOp::getIterationDomainTileFromResultTile(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVectorImpl<OpFoldResult> &domOffsets,
    SmallVectorImpl<OpFoldResult> &domSizes) {
  int64_t rank = rankOf(getInit());
  int64_t l = getChunkSize();
  // Fusion must not split a chunk: the consumer tile has to start at a chunk
  // boundary (its size may end inside the last, ragged chunk).
  if (!isMultipleOf(offsets[rank - 2], l))
    return failure();
  domOffsets.assign(offsets.begin(), offsets.end());
  domSizes.assign(sizes.begin(), sizes.end());
  AffineExpr t;
  bindDims(b.getContext(), t);
  domOffsets[rank - 2] = affine::makeComposedFoldedAffineApply(
      b, getLoc(), t.floorDiv(l), {offsets[rank - 2]});
  domSizes[rank - 2] = affine::makeComposedFoldedAffineApply(
      b, getLoc(), t.ceilDiv(l), {sizes[rank - 2]});
  return success();
}

FailureOr<TilingResult>
ChunkScanOp::generateResultTileValue(OpBuilder &b, unsigned resultNumber,
                                     ArrayRef<OpFoldResult> offsets,
                                     ArrayRef<OpFoldResult> sizes) {
  return resultTileValue(*this, b, resultNumber, offsets, sizes);
}

LogicalResult ChunkScanOp::generateScalarImplementation(OpBuilder &b,
                                                        Location loc,
                                                        ValueRange ivs) {
  ScalarEmitter e(b, loc);
  int64_t rank = rankOf(getInput());
  Value l = e.index(getChunkSize());
  Value tokens = e.dim(getInput(), rank - 2);
  Value start = e.imul(ivs[rank - 2], l);
  Value end = e.imin(e.iadd(start, l), tokens);
  Value one = e.f(1.0);
  // The state restarts at the chunk start: h = g * 0 + (1 - g) * x.
  e.loop(start, end, {e.f(0.0)}, [&](Value t, ValueRange h) {
    SmallVector<Value> idx(ivs.begin(), ivs.end());
    idx[rank - 2] = t;
    Value g = e.load(getGate(), idx);
    Value x = e.load(getInput(), idx);
    Value next = e.add(e.mul(g, h[0]), e.mul(e.sub(one, g), x));
    e.store(next, getInit(), idx);
    return SmallVector<Value>{next};
  });
  return success();
}

//===----------------------------------------------------------------------===//
// rat.chunk_attention and rat.window_attention: domain [B, H, Tq]
//===----------------------------------------------------------------------===//

template <typename OpTy>
static SmallVector<Range> attentionDomain(OpTy op, OpBuilder &b) {
  Location loc = op.getLoc();
  return domainOf(b, loc,
                  {dimOf(b, loc, op.getInit(), 0),
                   dimOf(b, loc, op.getInit(), 1),
                   dimOf(b, loc, op.getInit(), 2)});
}

template <typename OpTy>
static void attentionResultTile(OpTy op, OpBuilder &b,
                                ArrayRef<OpFoldResult> offsets,
                                ArrayRef<OpFoldResult> sizes,
                                SmallVectorImpl<OpFoldResult> &o,
                                SmallVectorImpl<OpFoldResult> &s) {
  o.assign(offsets.begin(), offsets.end());
  s.assign(sizes.begin(), sizes.end());
  appendFull(b, op.getLoc(), op.getInit(), 3, 1, o, s);
}

template <typename OpTy>
static FailureOr<TilingResult> attentionTile(OpTy op, OpBuilder &b,
                                             ArrayRef<OpFoldResult> offsets,
                                             ArrayRef<OpFoldResult> sizes) {
  Location loc = op.getLoc();
  OpFoldResult b0 = offsets[0], bs = sizes[0], h0 = offsets[1], hs = sizes[1],
               t0 = offsets[2], ts = sizes[2];
  OpFoldResult qh0, qhs, kh0, khs;
  // Heads are counted on the destination, whose dims are the domain's.
  if (failed(groupTile(b, loc, op.getQuery(), 1, op.getInit(), h0, hs, qh0,
                       qhs)) ||
      failed(
          groupTile(b, loc, op.getKey(), 1, op.getInit(), h0, hs, kh0, khs)))
    return failure();
  SmallVector<Operation *> slices;
  OpFoldResult zero = b.getIndexAttr(0);
  Value q = record(getSlice(b, loc, op.getQuery(), {b0, qh0, t0, zero},
                            {bs, qhs, ts, dimOf(b, loc, op.getQuery(), 3)}),
                   slices);
  Value k = record(getSlice(b, loc, op.getKey(), {b0, kh0, zero, zero},
                            {bs, khs, dimOf(b, loc, op.getKey(), 2),
                             dimOf(b, loc, op.getKey(), 3)}),
                   slices);
  Value v = record(getSlice(b, loc, op.getValue(), {b0, h0, zero, zero},
                            {bs, hs, dimOf(b, loc, op.getValue(), 2),
                             dimOf(b, loc, op.getValue(), 3)}),
                   slices);
  SmallVector<OpFoldResult> o, s;
  attentionResultTile(op, b, offsets, sizes, o, s);
  Value init = record(getSlice(b, loc, op.getInit(), o, s), slices);
  Value offset = addOffset(b, loc, op.getOffset(), t0);
  return cloneOnSlices(b, op, {q, k, v, offset, init}, slices);
}

template <typename OpTy>
static LogicalResult
attentionDomainFromResult(OpTy op, OpBuilder &b, ArrayRef<OpFoldResult> offsets,
                          ArrayRef<OpFoldResult> sizes,
                          SmallVectorImpl<OpFoldResult> &domOffsets,
                          SmallVectorImpl<OpFoldResult> &domSizes) {
  if (!isFullDim(b, op.getLoc(), op.getInit(), 3, offsets[3], sizes[3]))
    return failure();
  domOffsets.assign(offsets.begin(), offsets.begin() + 3);
  domSizes.assign(sizes.begin(), sizes.begin() + 3);
  return success();
}

/// Scalar attention for one query token: online softmax over keys
/// `j in [lb, ub)` whose rows come from `keyRow(j)`.
template <typename OpTy>
static void attentionPoint(OpTy op, OpBuilder &b, Location loc, ValueRange ivs,
                           Value lb, Value ub,
                           function_ref<Value(Value)> keyRow) {
  // The accumulator lives for one query: the scope releases it, so loops
  // over queries do not grow the stack.
  auto scope = memref::AllocaScopeOp::create(b, loc, TypeRange{});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&scope.getBodyRegion().emplaceBlock());
  memref::AllocaScopeReturnOp::create(b, loc, ValueRange{});
  b.setInsertionPointToStart(&scope.getBodyRegion().front());
  ScalarEmitter e(b, loc);
  Value b_ = ivs[0], h = ivs[1], t = ivs[2];
  Value hq = e.irem(h, e.dim(op.getQuery(), 1));
  Value hk = e.irem(h, e.dim(op.getKey(), 1));
  Value dh = e.dim(op.getQuery(), 3), dv = e.dim(op.getValue(), 3);
  OnlineSoftmax sm(e, dv,
                   cast<ShapedType>(op.getValue().getType()).getDimSize(3));
  Value l =
      sm.run(lb, ub, op.getQuery(), {b_, hq, t}, op.getKey(), {b_, hk},
             op.getValue(), {b_, h}, dh, e.f(op.getScaleOrDefault()), keyRow);
  sm.finish(l, op.getInit(), {b_, h, t});
}

#define RAT_DEFINE_ATTENTION_TILING(OP)                                        \
  SmallVector<utils::IteratorType> OP::getLoopIteratorTypes() {                \
    return parallelLoops(3);                                                   \
  }                                                                            \
  SmallVector<Range> OP::getIterationDomain(OpBuilder &b) {                    \
    return attentionDomain(*this, b);                                          \
  }                                                                            \
  FailureOr<TilingResult> OP::getTiledImplementation(                          \
      OpBuilder &b, ArrayRef<OpFoldResult> offsets,                            \
      ArrayRef<OpFoldResult> sizes) {                                          \
    return attentionTile(*this, b, offsets, sizes);                            \
  }                                                                            \
  LogicalResult OP::getResultTilePosition(                                     \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,  \
      SmallVector<OpFoldResult> &resultSizes) {                                \
    attentionResultTile(*this, b, offsets, sizes, resultOffsets, resultSizes); \
    return success();                                                          \
  }                                                                            \
  LogicalResult OP::getIterationDomainTileFromResultTile(                      \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes, SmallVectorImpl<OpFoldResult> &domOffsets, \
      SmallVectorImpl<OpFoldResult> &domSizes) {                               \
    return attentionDomainFromResult(*this, b, offsets, sizes, domOffsets,     \
                                     domSizes);                                \
  }                                                                            \
  FailureOr<TilingResult> OP::generateResultTileValue(                         \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes) {                                          \
    return resultTileValue(*this, b, resultNumber, offsets, sizes);            \
  }

RAT_DEFINE_ATTENTION_TILING(ChunkAttentionOp)
RAT_DEFINE_ATTENTION_TILING(WindowAttentionOp)

#undef RAT_DEFINE_ATTENTION_TILING

LogicalResult ChunkAttentionOp::generateScalarImplementation(OpBuilder &b,
                                                             Location loc,
                                                             ValueRange ivs) {
  ScalarEmitter e(b, loc);
  Value l = e.index(getChunkSize());
  Value s = getOffset() ? e.iadd(getOffset(), ivs[2]) : ivs[2];
  Value chunk = e.idiv(s, l);
  // Keys 0..chunk-1 are the chunk-final states, key `chunk` the own state.
  attentionPoint(
      *this, b, loc, ivs, e.index(0), e.iadd(chunk, e.index(1)), [&](Value j) {
        Value last = e.iadd(e.imul(j, l), e.index(getChunkSize() - 1));
        Value isOwn =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, j, chunk);
        return arith::SelectOp::create(b, loc, isOwn, s, last).getResult();
      });
  return success();
}

LogicalResult WindowAttentionOp::generateScalarImplementation(OpBuilder &b,
                                                              Location loc,
                                                              ValueRange ivs) {
  ScalarEmitter e(b, loc);
  Value s = getOffset() ? e.iadd(getOffset(), ivs[2]) : ivs[2];
  Value lb = e.index(0);
  if (getWindow() > 0) {
    // max(0, s - W) without underflow of the unsigned index.
    Value w = e.index(getWindow());
    Value inWindow =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, s, w);
    lb = arith::SelectOp::create(b, loc, inWindow,
                                 arith::SubIOp::create(b, loc, s, w), lb);
  }
  attentionPoint(*this, b, loc, ivs, lb, e.iadd(s, e.index(1)),
                 [](Value j) { return j; });
  return success();
}

//===----------------------------------------------------------------------===//
// rat.chunk_scan_step: domain = the state's dims
//===----------------------------------------------------------------------===//

SmallVector<utils::IteratorType> ChunkScanStepOp::getLoopIteratorTypes() {
  return parallelLoops(rankOf(getState()));
}

SmallVector<Range> ChunkScanStepOp::getIterationDomain(OpBuilder &b) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < rankOf(getState()); ++d)
    sizes.push_back(dimOf(b, getLoc(), getState(), d));
  return domainOf(b, getLoc(), sizes);
}

FailureOr<TilingResult>
ChunkScanStepOp::getTiledImplementation(OpBuilder &b,
                                        ArrayRef<OpFoldResult> offsets,
                                        ArrayRef<OpFoldResult> sizes) {
  Location loc = getLoc();
  SmallVector<Operation *> slices;
  Value gate = record(getSlice(b, loc, getGate(), offsets, sizes), slices);
  Value in = record(getSlice(b, loc, getInput(), offsets, sizes), slices);
  Value state = record(getSlice(b, loc, getState(), offsets, sizes), slices);
  return cloneOnSlices(b, *this, {gate, in, getPosition(), state}, slices);
}

RAT_DEFINE_IDENTITY_TILE_MAPPING(ChunkScanStepOp)

FailureOr<TilingResult>
ChunkScanStepOp::generateResultTileValue(OpBuilder &b, unsigned resultNumber,
                                         ArrayRef<OpFoldResult> offsets,
                                         ArrayRef<OpFoldResult> sizes) {
  return resultTileValue(*this, b, resultNumber, offsets, sizes);
}

LogicalResult ChunkScanStepOp::generateScalarImplementation(OpBuilder &b,
                                                            Location loc,
                                                            ValueRange ivs) {
  ScalarEmitter e(b, loc);
  Value g = e.load(getGate(), ivs);
  Value x = e.load(getInput(), ivs);
  Value prev = e.load(getState(), ivs);
  Value isStart = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq,
      e.irem(getPosition(), e.index(getChunkSize())), e.index(0));
  prev = arith::SelectOp::create(b, loc, isStart, e.f(0.0), prev);
  e.store(e.add(e.mul(g, prev), e.mul(e.sub(e.f(1.0), g), x)), getState(), ivs);
  return success();
}

//===----------------------------------------------------------------------===//
// rat.chunk_attention_step and rat.window_attention_step: domain [B, H]
//===----------------------------------------------------------------------===//

/// Offsets/sizes of destination `i` (output, key cache, value cache) for a
/// [B, H] tile.
template <typename OpTy>
static void
stepInitTile(OpBuilder &b, OpTy op, unsigned i, ArrayRef<OpFoldResult> offsets,
             ArrayRef<OpFoldResult> sizes, SmallVectorImpl<OpFoldResult> &o,
             SmallVectorImpl<OpFoldResult> &s) {
  Value init = op.getInits()[i];
  o.assign(offsets.begin(), offsets.end());
  s.assign(sizes.begin(), sizes.end());
  appendFull(b, op.getLoc(), init, 2, rankOf(init) - 2, o, s);
}

template <typename OpTy>
static FailureOr<TilingResult> stepTile(OpTy op, OpBuilder &b,
                                        ArrayRef<OpFoldResult> offsets,
                                        ArrayRef<OpFoldResult> sizes) {
  Location loc = op.getLoc();
  OpFoldResult qh0, qhs;
  if (failed(groupTile(b, loc, op.getQuery(), 1, op.getOutput(), offsets[1],
                       sizes[1], qh0, qhs)))
    return failure();
  SmallVector<Operation *> slices;
  OpFoldResult zero = b.getIndexAttr(0);
  Value q = record(getSlice(b, loc, op.getQuery(), {offsets[0], qh0, zero},
                            {sizes[0], qhs, dimOf(b, loc, op.getQuery(), 2)}),
                   slices);
  Value k =
      record(getSlice(b, loc, op.getKey(), {offsets[0], offsets[1], zero},
                      {sizes[0], sizes[1], dimOf(b, loc, op.getKey(), 2)}),
             slices);
  Value v =
      record(getSlice(b, loc, op.getValue(), {offsets[0], offsets[1], zero},
                      {sizes[0], sizes[1], dimOf(b, loc, op.getValue(), 2)}),
             slices);
  SmallVector<Value> operands = {q, k, v, op.getPosition()};
  for (unsigned i = 0; i < 3; ++i) {
    SmallVector<OpFoldResult> o, s;
    stepInitTile(b, op, i, offsets, sizes, o, s);
    operands.push_back(
        record(getSlice(b, loc, op.getInits()[i], o, s), slices));
  }
  return cloneOnSlices(b, op, operands, slices);
}

template <typename OpTy>
static LogicalResult
stepDomainFromResult(OpTy op, OpBuilder &b, unsigned resultNumber,
                     ArrayRef<OpFoldResult> offsets,
                     ArrayRef<OpFoldResult> sizes,
                     SmallVectorImpl<OpFoldResult> &domOffsets,
                     SmallVectorImpl<OpFoldResult> &domSizes) {
  Value init = op.getInits()[resultNumber];
  for (int64_t d = 2; d < rankOf(init); ++d)
    if (!isFullDim(b, op.getLoc(), init, d, offsets[d], sizes[d]))
      return failure();
  domOffsets.assign(offsets.begin(), offsets.begin() + 2);
  domSizes.assign(sizes.begin(), sizes.begin() + 2);
  return success();
}

/// Writes the new key/value of head (b, h) into cache row `row` and attends
/// to the rows `keyRow(j)` for `j in [lb, ub)`.
template <typename OpTy>
static void stepPoint(OpTy op, OpBuilder &b, Location loc, ValueRange ivs,
                      Value row, Value lb, Value ub,
                      function_ref<Value(Value)> keyRow) {
  auto scope = memref::AllocaScopeOp::create(b, loc, TypeRange{});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&scope.getBodyRegion().emplaceBlock());
  memref::AllocaScopeReturnOp::create(b, loc, ValueRange{});
  b.setInsertionPointToStart(&scope.getBodyRegion().front());
  ScalarEmitter e(b, loc);
  Value b_ = ivs[0], h = ivs[1];
  Value kc = op.getKeyCache(), vc = op.getValueCache();
  Value dh = e.dim(op.getQuery(), 2), dv = e.dim(op.getValue(), 2);
  e.loop(e.index(0), dh, {}, [&](Value d, ValueRange) {
    e.store(e.load(op.getKey(), {b_, h, d}), kc, {b_, h, row, d});
    return SmallVector<Value>{};
  });
  e.loop(e.index(0), dv, {}, [&](Value d, ValueRange) {
    e.store(e.load(op.getValue(), {b_, h, d}), vc, {b_, h, row, d});
    return SmallVector<Value>{};
  });
  Value hq = e.irem(h, e.dim(op.getQuery(), 1));
  OnlineSoftmax sm(e, dv,
                   cast<ShapedType>(op.getValue().getType()).getDimSize(2));
  Value l = sm.run(lb, ub, op.getQuery(), {b_, hq}, kc, {b_, h}, vc, {b_, h},
                   dh, e.f(op.getScaleOrDefault()), keyRow);
  sm.finish(l, op.getOutput(), {b_, h});
}

#define RAT_DEFINE_STEP_TILING(OP)                                             \
  SmallVector<utils::IteratorType> OP::getLoopIteratorTypes() {                \
    return parallelLoops(2);                                                   \
  }                                                                            \
  SmallVector<Range> OP::getIterationDomain(OpBuilder &b) {                    \
    Location loc = getLoc();                                                   \
    return domainOf(                                                           \
        b, loc,                                                                \
        {dimOf(b, loc, getOutput(), 0), dimOf(b, loc, getOutput(), 1)});       \
  }                                                                            \
  FailureOr<TilingResult> OP::getTiledImplementation(                          \
      OpBuilder &b, ArrayRef<OpFoldResult> offsets,                            \
      ArrayRef<OpFoldResult> sizes) {                                          \
    return stepTile(*this, b, offsets, sizes);                                 \
  }                                                                            \
  LogicalResult OP::getResultTilePosition(                                     \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,  \
      SmallVector<OpFoldResult> &resultSizes) {                                \
    stepInitTile(b, *this, resultNumber, offsets, sizes, resultOffsets,        \
                 resultSizes);                                                 \
    return success();                                                          \
  }                                                                            \
  LogicalResult OP::getIterationDomainTileFromResultTile(                      \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes, SmallVectorImpl<OpFoldResult> &domOffsets, \
      SmallVectorImpl<OpFoldResult> &domSizes) {                               \
    return stepDomainFromResult(*this, b, resultNumber, offsets, sizes,        \
                                domOffsets, domSizes);                         \
  }                                                                            \
  FailureOr<TilingResult> OP::generateResultTileValue(                         \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes) {                                          \
    return resultTileValue(*this, b, resultNumber, offsets, sizes);            \
  }

RAT_DEFINE_STEP_TILING(ChunkAttentionStepOp)
RAT_DEFINE_STEP_TILING(WindowAttentionStepOp)

#undef RAT_DEFINE_STEP_TILING

LogicalResult
ChunkAttentionStepOp::generateScalarImplementation(OpBuilder &b, Location loc,
                                                   ValueRange ivs) {
  ScalarEmitter e(b, loc);
  // Row `chunk` takes the newest state; keys are rows 0..chunk.
  Value chunk = e.idiv(getPosition(), e.index(getChunkSize()));
  stepPoint(*this, b, loc, ivs, chunk, e.index(0), e.iadd(chunk, e.index(1)),
            [](Value j) { return j; });
  return success();
}

LogicalResult
WindowAttentionStepOp::generateScalarImplementation(OpBuilder &b, Location loc,
                                                    ValueRange ivs) {
  ScalarEmitter e(b, loc);
  Value p = getPosition();
  Value rows = e.dim(getKeyCache(), 2);
  Value lb = e.index(0);
  if (getWindow() > 0) {
    Value w = e.index(getWindow());
    Value inWindow =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, p, w);
    lb = arith::SelectOp::create(b, loc, inWindow,
                                 arith::SubIOp::create(b, loc, p, w), lb);
  }
  // Token s lives in ring row s mod R.
  stepPoint(*this, b, loc, ivs, e.irem(p, rows), lb, e.iadd(p, e.index(1)),
            [&](Value s) { return e.irem(s, rows); });
  return success();
}

//===----------------------------------------------------------------------===//
// rat.matmul: domain [batch..., N]  (K is reduced inside)
//===----------------------------------------------------------------------===//

SmallVector<utils::IteratorType> MatmulOp::getLoopIteratorTypes() {
  return parallelLoops(rankOf(getInit()));
}

SmallVector<Range> MatmulOp::getIterationDomain(OpBuilder &b) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < rankOf(getInit()); ++d)
    sizes.push_back(dimOf(b, getLoc(), getInit(), d));
  return domainOf(b, getLoc(), sizes);
}

FailureOr<TilingResult>
MatmulOp::getTiledImplementation(OpBuilder &b, ArrayRef<OpFoldResult> offsets,
                                 ArrayRef<OpFoldResult> sizes) {
  Location loc = getLoc();
  int64_t last = rankOf(getInit()) - 1;
  SmallVector<OpFoldResult> o(offsets.begin(), offsets.begin() + last);
  SmallVector<OpFoldResult> s(sizes.begin(), sizes.begin() + last);
  appendFull(b, loc, getInput(), last, 1, o, s);
  SmallVector<OpFoldResult> wo{offsets[last]}, ws{sizes[last]};
  appendFull(b, loc, getWeight(), 1, 1, wo, ws);
  SmallVector<Operation *> slices;
  Value in = record(getSlice(b, loc, getInput(), o, s), slices);
  Value w = record(getSlice(b, loc, getWeight(), wo, ws), slices);
  Value init = record(getSlice(b, loc, getInit(), offsets, sizes), slices);
  return cloneOnSlices(b, *this, {in, w, init}, slices);
}

RAT_DEFINE_IDENTITY_TILE_MAPPING(MatmulOp)

FailureOr<TilingResult>
MatmulOp::generateResultTileValue(OpBuilder &b, unsigned resultNumber,
                                  ArrayRef<OpFoldResult> offsets,
                                  ArrayRef<OpFoldResult> sizes) {
  return resultTileValue(*this, b, resultNumber, offsets, sizes);
}

LogicalResult MatmulOp::generateScalarImplementation(OpBuilder &b,
                                                     Location loc,
                                                     ValueRange ivs) {
  ScalarEmitter e(b, loc);
  int64_t last = rankOf(getInit()) - 1;
  SmallVector<Value> row(ivs.begin(), ivs.begin() + last);
  Value n = ivs[last];
  Value k = e.dim(getInput(), last);
  Value acc = e.dot(getInput(), row, getWeight(), {n}, k);
  e.store(acc, getInit(), ivs);
  return success();
}
