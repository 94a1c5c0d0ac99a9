//===- AttentionTilingInterface.cpp - TilingInterface of attention ops ----===//
//
// rat.chunk_attention and rat.window_attention (domain [B, H, Tq]: query
// tiles keep the whole key sequence and pass their position through the
// `offset` operand) and their decode steps (domain [B, H]). Their scalar
// implementation is an online softmax over the keys (TilingUtils.h).
//
//===----------------------------------------------------------------------===//

#include "TilingUtils.h"

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

//===----------------------------------------------------------------------===//
// rat.chunk_attention and rat.window_attention: domain [B, H, Tq]
//===----------------------------------------------------------------------===//

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
      failed(groupTile(b, loc, op.getKey(), 1, op.getInit(), h0, hs, kh0, khs)))
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
  withWholeTrailingDims(b, op.getLoc(), op.getInit(), offsets, sizes, o, s);
  Value init = record(getSlice(b, loc, op.getInit(), o, s), slices);
  Value offset = addOffset(b, loc, op.getOffset(), t0);
  return cloneOnSlices(b, op, {q, k, v, offset, init}, slices);
}

/// The first key a sliding window of `window` tokens (0: unbounded) shows
/// the query at position `s`: max(0, s - W), without underflow of the
/// unsigned index.
static Value windowStart(ScalarEmitter &e, Value s, int64_t window) {
  Value lb = e.index(0);
  if (window > 0) {
    Value w = e.index(window);
    Value inWindow =
        arith::CmpIOp::create(e.b, e.loc, arith::CmpIPredicate::uge, s, w);
    lb = arith::SelectOp::create(e.b, e.loc, inWindow,
                                 arith::SubIOp::create(e.b, e.loc, s, w), lb);
  }
  return lb;
}

/// Scalar attention for one query token: online softmax over keys
/// `j in [lb, ub)` whose rows come from `keyRow(j)`.
template <typename OpTy>
static void attentionPoint(OpTy op, OpBuilder &b, Location loc, ValueRange ivs,
                           Value lb, Value ub,
                           function_ref<Value(Value)> keyRow) {
  // The accumulator lives for one query: the scope releases it, so loops
  // over queries do not grow the stack.
  OpBuilder::InsertionGuard guard(b);
  enterAllocaScope(b, loc);
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

RAT_DEFINE_TILE_MAPPING(ChunkAttentionOp, 3, getInit())
RAT_DEFINE_TILE_MAPPING(WindowAttentionOp, 3, getInit())

FailureOr<TilingResult>
ChunkAttentionOp::getTiledImplementation(OpBuilder &b,
                                         ArrayRef<OpFoldResult> offsets,
                                         ArrayRef<OpFoldResult> sizes) {
  return attentionTile(*this, b, offsets, sizes);
}

FailureOr<TilingResult>
WindowAttentionOp::getTiledImplementation(OpBuilder &b,
                                          ArrayRef<OpFoldResult> offsets,
                                          ArrayRef<OpFoldResult> sizes) {
  return attentionTile(*this, b, offsets, sizes);
}

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
  Value lb = windowStart(e, s, getWindow());
  attentionPoint(*this, b, loc, ivs, lb, e.iadd(s, e.index(1)),
                 [](Value j) { return j; });
  return success();
}

//===----------------------------------------------------------------------===//
// rat.chunk_attention_step and rat.window_attention_step: domain [B, H]
//===----------------------------------------------------------------------===//

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
  SmallVector<Value> operands = {
      q, k, v,
      positionTile(b, loc, op.getPosition(), offsets[0], sizes[0], slices)};
  for (unsigned i = 0; i < 3; ++i) {
    SmallVector<OpFoldResult> o, s;
    withWholeTrailingDims(b, loc, op.getInits()[i], offsets, sizes, o, s);
    operands.push_back(
        record(getSlice(b, loc, op.getInits()[i], o, s), slices));
  }
  return cloneOnSlices(b, op, operands, slices);
}

/// Writes the new key/value of head (b, h) into cache row `row` and attends
/// to the rows `keyRow(j)` for `j in [lb, ub)`.
template <typename OpTy>
static void stepPoint(OpTy op, OpBuilder &b, Location loc, ValueRange ivs,
                      Value row, Value lb, Value ub,
                      function_ref<Value(Value)> keyRow) {
  OpBuilder::InsertionGuard guard(b);
  enterAllocaScope(b, loc);
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

RAT_DEFINE_TILE_MAPPING(ChunkAttentionStepOp, 2, getOutput())
RAT_DEFINE_TILE_MAPPING(WindowAttentionStepOp, 2, getOutput())

FailureOr<TilingResult>
ChunkAttentionStepOp::getTiledImplementation(OpBuilder &b,
                                             ArrayRef<OpFoldResult> offsets,
                                             ArrayRef<OpFoldResult> sizes) {
  return stepTile(*this, b, offsets, sizes);
}

FailureOr<TilingResult>
WindowAttentionStepOp::getTiledImplementation(OpBuilder &b,
                                              ArrayRef<OpFoldResult> offsets,
                                              ArrayRef<OpFoldResult> sizes) {
  return stepTile(*this, b, offsets, sizes);
}

LogicalResult
ChunkAttentionStepOp::generateScalarImplementation(OpBuilder &b, Location loc,
                                                   ValueRange ivs) {
  ScalarEmitter e(b, loc);
  // Row `chunk` takes the newest state; keys are rows 0..chunk.
  Value chunk = e.idiv(loadPosition(b, loc, getPosition(), ivs[0]),
                       e.index(getChunkSize()));
  stepPoint(*this, b, loc, ivs, chunk, e.index(0), e.iadd(chunk, e.index(1)),
            [](Value j) { return j; });
  return success();
}

LogicalResult
WindowAttentionStepOp::generateScalarImplementation(OpBuilder &b, Location loc,
                                                    ValueRange ivs) {
  ScalarEmitter e(b, loc);
  Value p = loadPosition(b, loc, getPosition(), ivs[0]);
  Value rows = e.dim(getKeyCache(), 2);
  Value lb = windowStart(e, p, getWindow());
  // Token s lives in ring row s mod R.
  stepPoint(*this, b, loc, ivs, e.irem(p, rows), lb, e.iadd(p, e.index(1)),
            [&](Value s) { return e.irem(s, rows); });
  return success();
}
