//===- RatTilingInterface.cpp - TilingInterface of rat ops ----*- C++ -*-===//
//
// Iteration domains, tiled implementations and scalar (loop) implementations
// of the rat operations; the attention ops and their decode steps are in
// AttentionTilingInterface.cpp, what both share in TilingUtils.h.
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
//   matmul               [batch..., N]         (K is reduced inside)
//   sample               [B]                   (rows of logits)
// Tiles of the scan are counted in chunks, so a tile never splits a chunk.
// Query tiles of the attention ops keep the whole key sequence and pass
// their global position through the `offset` operand.
//
//===----------------------------------------------------------------------===//

#include "TilingUtils.h"

#include "rat/Dialect/Rat/Utils/Sampling.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"

using namespace mlir;
using namespace mlir::rat;
using namespace mlir::rat::tiling;

/// The slices of `op`'s input and destination for a tile of the row domain.
template <typename OpTy>
static std::pair<Value, Value>
rowSlices(OpTy op, OpBuilder &b, ArrayRef<OpFoldResult> offsets,
          ArrayRef<OpFoldResult> sizes, SmallVectorImpl<Operation *> &slices) {
  Location loc = op.getLoc();
  SmallVector<OpFoldResult> o, s;
  withWholeTrailingDims(b, loc, op.getInput(), offsets, sizes, o, s);
  Value in = record(getSlice(b, loc, op.getInput(), o, s), slices);
  Value init = record(getSlice(b, loc, op.getInit(), o, s), slices);
  return {in, init};
}

// A row is normalised as a whole.
RAT_DEFINE_TILE_MAPPING(RmsNormOp, rankOf(getInput()) - 1, getInput())
// The two halves of a head are rotated together.
RAT_DEFINE_TILE_MAPPING(RopeOp, rankOf(getInput()) - 1, getInput())

//===----------------------------------------------------------------------===//
// rat.rms_norm: domain [batch...]
//===----------------------------------------------------------------------===//

FailureOr<TilingResult>
RmsNormOp::getTiledImplementation(OpBuilder &b, ArrayRef<OpFoldResult> offsets,
                                  ArrayRef<OpFoldResult> sizes) {
  SmallVector<Operation *> slices;
  auto [in, init] = rowSlices(*this, b, offsets, sizes, slices);
  return cloneOnSlices(b, *this, {in, getWeight(), init}, slices);
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

FailureOr<TilingResult>
RopeOp::getTiledImplementation(OpBuilder &b, ArrayRef<OpFoldResult> offsets,
                               ArrayRef<OpFoldResult> sizes) {
  SmallVector<Operation *> slices;
  auto [in, init] = rowSlices(*this, b, offsets, sizes, slices);
  Value offset = addOffset(b, getLoc(), getOffset(), offsets.back());
  SmallVector<Value> operands = {in, offset};
  if (getPositions())
    operands.push_back(positionTile(b, getLoc(), getPositions(), offsets[0],
                                    sizes[0], slices));
  operands.push_back(init);
  return cloneOnSlices(b, *this, operands, slices);
}

LogicalResult RopeOp::generateScalarImplementation(OpBuilder &b, Location loc,
                                                   ValueRange ivs) {
  ScalarEmitter e(b, loc);
  Value in = getInput(), out = getInit();
  int64_t dh = cast<ShapedType>(in.getType()).getShape().back();
  int64_t half = dh / 2;
  Value t = ivs.back();
  Value pos = getOffset() ? e.iadd(getOffset(), t) : t;
  if (getPositions())
    pos = e.iadd(loadPosition(b, loc, getPositions(), ivs[0]), pos);
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
  auto at = [&](Value t) {
    SmallVector<Value> idx(ivs.begin(), ivs.end());
    idx[rank - 2] = t;
    return idx;
  };
  // The state restarts at the chunk start: h = g * 0 + (1 - g) * x.
  auto step = [&](Value g, Value x, Value h) {
    return e.add(e.mul(g, h), e.mul(e.sub(one, g), x));
  };
  auto walk = [&] {
    e.loop(start, end, {e.f(0.0)}, [&](Value t, ValueRange h) {
      Value next =
          step(e.load(getGate(), at(t)), e.load(getInput(), at(t)), h[0]);
      e.store(next, getInit(), at(t));
      return SmallVector<Value>{next};
    });
  };
  // A whole chunk of a short static length is unrolled with every load
  // issued before the first store (a store may alias the next loads, so
  // the loop's loads cannot be hoisted): a thread then has the chunk's
  // loads in flight together instead of one token's at a time. The
  // arithmetic is the loop's, step for step.
  constexpr int64_t kMaxUnrolledChunk = 32;
  int64_t chunk = getChunkSize();
  if (chunk > kMaxUnrolledChunk) {
    walk();
    return success();
  }
  Value whole = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                      arith::SubIOp::create(b, loc, end, start),
                                      l);
  auto ifOp = scf::IfOp::create(b, loc, whole, /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifOp.thenYield());
    SmallVector<Value> gates, inputs, tokens;
    for (int64_t i = 0; i < chunk; ++i) {
      tokens.push_back(e.iadd(start, e.index(i)));
      gates.push_back(e.load(getGate(), at(tokens.back())));
      inputs.push_back(e.load(getInput(), at(tokens.back())));
    }
    Value h = e.f(0.0);
    for (int64_t i = 0; i < chunk; ++i) {
      h = step(gates[i], inputs[i], h);
      e.store(h, getInit(), at(tokens[i]));
    }
    b.setInsertionPoint(ifOp.elseYield());
    walk();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// rat.chunk_scan_step: domain = the state's dims
//===----------------------------------------------------------------------===//

FailureOr<TilingResult>
ChunkScanStepOp::getTiledImplementation(OpBuilder &b,
                                        ArrayRef<OpFoldResult> offsets,
                                        ArrayRef<OpFoldResult> sizes) {
  Location loc = getLoc();
  SmallVector<Operation *> slices;
  Value gate = record(getSlice(b, loc, getGate(), offsets, sizes), slices);
  Value in = record(getSlice(b, loc, getInput(), offsets, sizes), slices);
  Value state = record(getSlice(b, loc, getState(), offsets, sizes), slices);
  Value position =
      positionTile(b, loc, getPosition(), offsets[0], sizes[0], slices);
  return cloneOnSlices(b, *this, {gate, in, position, state}, slices);
}

RAT_DEFINE_TILE_MAPPING(ChunkScanStepOp, rankOf(getState()), getState())

LogicalResult ChunkScanStepOp::generateScalarImplementation(OpBuilder &b,
                                                            Location loc,
                                                            ValueRange ivs) {
  ScalarEmitter e(b, loc);
  Value g = e.load(getGate(), ivs);
  Value x = e.load(getInput(), ivs);
  Value prev = e.load(getState(), ivs);
  Value position = loadPosition(b, loc, getPosition(), ivs[0]);
  Value isStart = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq,
      e.irem(position, e.index(getChunkSize())), e.index(0));
  prev = arith::SelectOp::create(b, loc, isStart, e.f(0.0), prev);
  e.store(e.add(e.mul(g, prev), e.mul(e.sub(e.f(1.0), g), x)), getState(), ivs);
  return success();
}

//===----------------------------------------------------------------------===//
// rat.matmul: domain [batch..., N]  (K is reduced inside)
//===----------------------------------------------------------------------===//

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

RAT_DEFINE_TILE_MAPPING(MatmulOp, rankOf(getInit()), getInit())

LogicalResult MatmulOp::generateScalarImplementation(OpBuilder &b, Location loc,
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

//===----------------------------------------------------------------------===//
// rat.sample: domain [B]  (a row of logits per iteration)
//===----------------------------------------------------------------------===//

FailureOr<TilingResult>
SampleOp::getTiledImplementation(OpBuilder &b, ArrayRef<OpFoldResult> offsets,
                                 ArrayRef<OpFoldResult> sizes) {
  Location loc = getLoc();
  SmallVector<Operation *> slices;
  SmallVector<OpFoldResult> o(offsets.begin(), offsets.end());
  SmallVector<OpFoldResult> s(sizes.begin(), sizes.end());
  appendFull(b, loc, getLogits(), 1, 1, o, s);
  SmallVector<Value> operands = {
      record(getSlice(b, loc, getLogits(), o, s), slices)};
  for (Value row : {getTemperature(), getTopK(), getTopP(), getSeed(),
                    getPosition(), getInit()})
    operands.push_back(record(getSlice(b, loc, row, offsets, sizes), slices));
  return cloneOnSlices(b, *this, operands, slices);
}

// One row of logits per token.
RAT_DEFINE_TILE_MAPPING(SampleOp, 1, getInit())

LogicalResult SampleOp::generateScalarImplementation(OpBuilder &b,
                                                     Location loc,
                                                     ValueRange ivs) {
  ScalarEmitter e(b, loc);
  Value row = ivs[0];
  Value logits = getLogits();
  auto at = [&](Value v) {
    return memref::LoadOp::create(b, loc, v, ValueRange{row}).getResult();
  };
  SampleRow sample;
  sample.vocab = e.dim(logits, 1);
  sample.logit = [&](Value col) { return e.load(logits, {row, col}); };
  sample.temperature = at(getTemperature());
  sample.topK = at(getTopK());
  sample.topP = at(getTopP());
  sample.seed = at(getSeed());
  sample.position = loadPosition(b, loc, getPosition(), row);
  RowThreads one;
  one.first = e.index(0);
  one.stride = e.index(1);
  Value token = buildSampleRow(b, loc, sample, one);
  memref::StoreOp::create(b, loc, token, getInit(), ValueRange{row});
  return success();
}
