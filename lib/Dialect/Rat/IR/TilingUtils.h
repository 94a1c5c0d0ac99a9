//===- TilingUtils.h - What the rat tiling interfaces share ----*- C++ -*-===//
//
// What the TilingInterface implementations of the rat ops share
// (RatTilingInterface.cpp: norm, rope, scans, matmul;
// AttentionTilingInterface.cpp: the attention ops and their decode steps):
// slices of tensors or memrefs, the grouped-head tile rule, the cloning of
// an op onto its tile, and the scalar code of generateScalarImplementation
// with its online softmax.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_DIALECT_RAT_IR_TILINGUTILS_H
#define RAT_LIB_DIALECT_RAT_IR_TILINGUTILS_H

#include "rat/Dialect/Rat/IR/RatOps.h"
#include "rat/Dialect/Rat/Utils/OnlineSoftmax.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Interfaces/TilingInterface.h"

#include <limits>

namespace mlir::rat::tiling {

int64_t rankOf(Value v);

OpFoldResult dimOf(OpBuilder &b, Location loc, Value v, int64_t d);

/// A slice of a tensor or memref with unit strides.
Value getSlice(OpBuilder &b, Location loc, Value source,
               ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes);

/// Full-extent offsets/sizes for the trailing `count` dims of `v` starting
/// at dim `first`.
void appendFull(OpBuilder &b, Location loc, Value v, int64_t first,
                int64_t count, SmallVectorImpl<OpFoldResult> &offsets,
                SmallVectorImpl<OpFoldResult> &sizes);

/// True when `a` and `b` are provably the same size: the same constant or
/// value, or equal by value-bounds reasoning (two `tensor.dim` of one dim).
bool provablyEqual(OpFoldResult a, OpFoldResult b);

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
LogicalResult groupTile(OpBuilder &b, Location loc, Value grouped, int64_t dim,
                        Value full, OpFoldResult h0, OpFoldResult hs,
                        OpFoldResult &g0, OpFoldResult &gs);

/// `base + delta` where `base` may be absent (zero).
Value addOffset(OpBuilder &b, Location loc, Value base, OpFoldResult delta);

/// A decode step's `position` operand on a tile of `size` sequences from
/// `first`: per-sequence positions are sliced, an index is kept.
Value positionTile(OpBuilder &b, Location loc, Value position,
                   OpFoldResult first, OpFoldResult size,
                   SmallVectorImpl<Operation *> &slices);

/// True when `ofr` is provably a multiple of `factor`: a constant, an
/// affine.apply whose expression is a multiple, or an induction variable of
/// a loop whose lower bound and step are multiples.
bool isMultipleOf(OpFoldResult ofr, int64_t factor);

/// Clones `op` onto the given operands; results take the types of the new
/// destinations when on tensors. Destinations are the trailing operands of
/// every rat op; tiles may add the `offset` operand an op did not have, so
/// the operand segment sizes are recomputed.
TilingResult cloneOnSlices(OpBuilder &b, Operation *op, ValueRange operands,
                           SmallVector<Operation *> slices);

/// Records the defining op of a slice value (for the fusion driver).
Value record(Value slice, SmallVectorImpl<Operation *> &slices);

/// The dims of a result tile that lie outside the iteration domain must be
/// whole: offset 0 and the full size.
bool isFullDim(OpBuilder &b, Location loc, Value v, int64_t d,
               OpFoldResult offset, OpFoldResult size);

/// The tile of `v` over a tile of the domain of its leading dims: the
/// domain tile, then every trailing dim whole.
void withWholeTrailingDims(OpBuilder &b, Location loc, Value v,
                           ArrayRef<OpFoldResult> offsets,
                           ArrayRef<OpFoldResult> sizes,
                           SmallVectorImpl<OpFoldResult> &o,
                           SmallVectorImpl<OpFoldResult> &s);

/// The inverse for a result tile of `init` whose first `domainRank` dims are
/// the domain: those dims, provided every other dim is whole.
LogicalResult leadingDimsOfResultTile(OpBuilder &b, Location loc, Value init,
                                      int64_t domainRank,
                                      ArrayRef<OpFoldResult> offsets,
                                      ArrayRef<OpFoldResult> sizes,
                                      SmallVectorImpl<OpFoldResult> &domOffsets,
                                      SmallVectorImpl<OpFoldResult> &domSizes);

/// Creates a memref.alloca_scope at `b`'s insertion point and moves `b` into
/// it: stack buffers made there are released at its end (per query, per
/// head), so loops around it do not grow the stack. The caller restores the
/// insertion point (an InsertionGuard taken before).
void enterAllocaScope(OpBuilder &b, Location loc);

/// The domain of the first `count` dims of `v`.
SmallVector<Range> leadingDimsDomain(OpBuilder &b, Location loc, Value v,
                                     int64_t count);

/// The domain `[0, size)` of each size.
SmallVector<Range> domainOf(OpBuilder &b, Location loc,
                            ArrayRef<OpFoldResult> sizes);

/// `n` parallel loops.
SmallVector<utils::IteratorType> parallelLoops(int64_t n);

/// Implements `generateResultTileValue` from the iteration-domain mapping.
template <typename OpTy>
inline FailureOr<TilingResult>
resultTileValue(OpTy op, OpBuilder &b, unsigned resultNumber,
                ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> domOffsets, domSizes;
  if (failed(op.getIterationDomainTileFromResultTile(
          b, resultNumber, offsets, sizes, domOffsets, domSizes)))
    return failure();
  return op.getTiledImplementation(b, domOffsets, domSizes);
}

/// The TilingInterface methods of an op whose domain is the first `DIMS`
/// dims of `SOURCE` (member expressions of the op) and whose result tiles
/// are the domain tile on the leading dims of the destination, every other
/// dim whole. The tiled and scalar implementations are each op's own.
#define RAT_DEFINE_TILE_MAPPING(OP, DIMS, SOURCE)                              \
  SmallVector<utils::IteratorType> OP::getLoopIteratorTypes() {                \
    return parallelLoops(DIMS);                                                \
  }                                                                            \
  SmallVector<Range> OP::getIterationDomain(OpBuilder &b) {                    \
    return leadingDimsDomain(b, getLoc(), SOURCE, DIMS);                       \
  }                                                                            \
  LogicalResult OP::getResultTilePosition(                                     \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,  \
      SmallVector<OpFoldResult> &resultSizes) {                                \
    withWholeTrailingDims(b, getLoc(), getDpsInits()[resultNumber], offsets,   \
                          sizes, resultOffsets, resultSizes);                  \
    return success();                                                          \
  }                                                                            \
  LogicalResult OP::getIterationDomainTileFromResultTile(                      \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes, SmallVectorImpl<OpFoldResult> &domOffsets, \
      SmallVectorImpl<OpFoldResult> &domSizes) {                               \
    return leadingDimsOfResultTile(b, getLoc(), getDpsInits()[resultNumber],   \
                                   DIMS, offsets, sizes, domOffsets,           \
                                   domSizes);                                  \
  }                                                                            \
  FailureOr<TilingResult> OP::generateResultTileValue(                         \
      OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,     \
      ArrayRef<OpFoldResult> sizes) {                                          \
    return resultTileValue(*this, b, resultNumber, offsets, sizes);            \
  }

//===----------------------------------------------------------------------===//
// Scalar code (generateScalarImplementation)
//===----------------------------------------------------------------------===//

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
          OnlineSoftmaxStep step =
              updateOnlineSoftmax<math::ExpOp>(e.b, e.loc, ml[0], ml[1], s);
          e.loop(e.index(0), dv, {}, [&](Value d, ValueRange) {
            SmallVector<Value> vd = vi;
            vd.push_back(d);
            Value a = memref::LoadOp::create(e.b, e.loc, acc, d);
            a = e.add(e.mul(a, step.alpha), e.mul(step.p, e.load(value, vd)));
            memref::StoreOp::create(e.b, e.loc, a, acc, d);
            return SmallVector<Value>{};
          });
          return SmallVector<Value>{step.max, step.sum};
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

} // namespace mlir::rat::tiling

#endif // RAT_LIB_DIALECT_RAT_IR_TILINGUTILS_H
