//===- GraphBuilder.cpp - Graph-level IR of model layers ------------------===//

#include "rat/Compiler/GraphBuilder.h"

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::rat;

SmallVector<OpFoldResult> GraphBuilder::shape(Value v) {
  return tensor::getMixedSizes(b, loc, v);
}

Value GraphBuilder::empty(ArrayRef<OpFoldResult> sizes, Type elem) {
  return tensor::EmptyOp::create(b, loc, sizes, elem);
}

Value GraphBuilder::cst(double v, Type t) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(t, v));
}

Value GraphBuilder::toF32(OpBuilder &nb, Value v) {
  return v.getType() == f32 ? v : arith::ExtFOp::create(nb, loc, f32, v);
}

Value GraphBuilder::fromF32(OpBuilder &nb, Value v, Type t) {
  return v.getType() == t ? v : arith::TruncFOp::create(nb, loc, t, v);
}

Value GraphBuilder::parallel(ArrayRef<Value> ins, ArrayRef<AffineMap> inMaps,
                             ArrayRef<OpFoldResult> outSizes, Type outElem,
                             Body body) {
  unsigned rank = outSizes.size();
  SmallVector<AffineMap> maps(inMaps.begin(), inMaps.end());
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value init = empty(outSizes, outElem);
  auto op = linalg::GenericOp::create(
      b, loc, init.getType(), ins, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location, ValueRange args) {
        linalg::YieldOp::create(nb, loc, body(nb, args.drop_back()));
      });
  return op.getResult(0);
}

Value GraphBuilder::map(ArrayRef<Value> ins, Type outElem, Body body) {
  unsigned rank = cast<ShapedType>(ins[0].getType()).getRank();
  SmallVector<AffineMap> maps(ins.size(), b.getMultiDimIdentityMap(rank));
  return parallel(ins, maps, shape(ins[0]), outElem, body);
}

Value GraphBuilder::sigmoid(OpBuilder &nb, Value x) {
  Value one = arith::ConstantOp::create(nb, loc, nb.getF32FloatAttr(1.0));
  Value e = math::ExpOp::create(nb, loc, arith::NegFOp::create(nb, loc, x));
  return arith::DivFOp::create(nb, loc, one,
                               arith::AddFOp::create(nb, loc, one, e));
}

Value GraphBuilder::projectF32(Value x, Value w) {
  assert(cast<RankedTensorType>(x.getType()).getRank() == 3 &&
         "projections take [B, T, K]");
  MLIRContext *ctx = b.getContext();
  AffineExpr bb, t, o, k;
  bindDims(ctx, bb, t, o, k);
  SmallVector<OpFoldResult> sizes = shape(x);
  sizes[2] = tensor::getMixedSize(b, loc, w, 0);
  Value zero = cst(0.0, f32);
  Value init =
      linalg::FillOp::create(b, loc, zero, empty(sizes, f32)).getResult(0);
  SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {bb, t, k}, ctx),
                                 AffineMap::get(4, 0, {o, k}, ctx),
                                 AffineMap::get(4, 0, {bb, t, o}, ctx)};
  SmallVector<utils::IteratorType> iters = {
      utils::IteratorType::parallel, utils::IteratorType::parallel,
      utils::IteratorType::parallel, utils::IteratorType::reduction};
  auto op = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{x, w}, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location, ValueRange a) {
        Value p =
            arith::MulFOp::create(nb, loc, toF32(nb, a[0]), toF32(nb, a[1]));
        linalg::YieldOp::create(
            nb, loc, arith::AddFOp::create(nb, loc, a[2], p).getResult());
      });
  return op.getResult(0);
}

Value GraphBuilder::project(Value x, Value w) {
  Value y = projectF32(x, w);
  if (et == f32)
    return y;
  return map({y}, et, [&](OpBuilder &nb, ValueRange a) {
    return fromF32(nb, a[0], et);
  });
}

Value GraphBuilder::columns(Value x, int64_t offset, int64_t size) {
  SmallVector<OpFoldResult> sizes = shape(x);
  sizes[2] = b.getIndexAttr(size);
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                       b.getIndexAttr(offset)};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes, strides);
}

Value GraphBuilder::splitHeads(Value x, int64_t heads, int64_t dh) {
  SmallVector<OpFoldResult> sizes = shape(x);
  auto xt = cast<RankedTensorType>(x.getType());
  auto expandedType = RankedTensorType::get(
      {xt.getDimSize(0), xt.getDimSize(1), heads, dh}, xt.getElementType());
  Value expanded = tensor::ExpandShapeOp::create(
      b, loc, expandedType, x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}},
      ArrayRef<OpFoldResult>{sizes[0], sizes[1], b.getIndexAttr(heads),
                             b.getIndexAttr(dh)});
  return transpose0213(expanded);
}

Value GraphBuilder::mergeHeads(Value x) {
  Value t = transpose0213(x);
  auto tt = cast<RankedTensorType>(t.getType());
  int64_t d = tt.getDimSize(2) * tt.getDimSize(3);
  auto collapsedType = RankedTensorType::get(
      {tt.getDimSize(0), tt.getDimSize(1), d}, tt.getElementType());
  return tensor::CollapseShapeOp::create(
      b, loc, collapsedType, t,
      ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
}

Value GraphBuilder::transpose0213(Value x) {
  SmallVector<OpFoldResult> s = shape(x);
  MLIRContext *ctx = b.getContext();
  AffineExpr d0, d1, d2, d3;
  bindDims(ctx, d0, d1, d2, d3);
  return parallel({x}, {AffineMap::get(4, 0, {d0, d2, d1, d3}, ctx)},
                  {s[0], s[2], s[1], s[3]},
                  cast<ShapedType>(x.getType()).getElementType(),
                  [](OpBuilder &, ValueRange a) { return a[0]; });
}

Value GraphBuilder::rmsNorm(Value x, Value w, double eps) {
  Value init = empty(shape(x), et);
  return RmsNormOp::create(b, loc, TypeRange{init.getType()}, x, w,
                           ValueRange{init}, b.getF64FloatAttr(eps))
      .getResult(0);
}

Value GraphBuilder::rope(Value x, int64_t chunk, double base, Value offset) {
  Value init = empty(shape(x), et);
  Value positions;
  if (hasPerSequencePositions(offset))
    std::swap(offset, positions);
  return RopeOp::create(b, loc, TypeRange{init.getType()}, x, offset,
                        positions, ValueRange{init}, chunk,
                        llvm::APFloat(base))
      .getResult(0);
}

Value GraphBuilder::add(Value x, Value y) {
  return map({x, y}, et, [&](OpBuilder &nb, ValueRange a) {
    return fromF32(
        nb, arith::AddFOp::create(nb, loc, toF32(nb, a[0]), toF32(nb, a[1])),
        et);
  });
}

Value GraphBuilder::tileGroups(Value x, int64_t d) {
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank();
  int64_t width = xt.getDimSize(rank - 1);
  if (width == d)
    return x;
  SmallVector<OpFoldResult> s = shape(x);
  s[rank - 1] = b.getIndexAttr(d);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> dims;
  for (int64_t i = 0; i < rank; ++i)
    dims.push_back(getAffineDimExpr(i, ctx));
  dims.back() = dims.back() % width;
  return parallel({x}, {AffineMap::get(rank, 0, dims, ctx)}, s, et,
                  [](OpBuilder &, ValueRange a) { return a[0]; });
}

Value GraphBuilder::embed(Value tokens, Value wte) {
  SmallVector<OpFoldResult> s = shape(tokens);
  s.push_back(tensor::getMixedSize(b, loc, wte, 1));
  MLIRContext *ctx = b.getContext();
  AffineExpr d0, d1, d2;
  bindDims(ctx, d0, d1, d2);
  return parallel(
      {tokens}, {AffineMap::get(3, 0, {d0, d1}, ctx)}, s, et,
      [&](OpBuilder &nb, ValueRange a) {
        Value row =
            arith::IndexCastOp::create(nb, loc, nb.getIndexType(), a[0]);
        Value col = linalg::IndexOp::create(nb, loc, 2);
        return tensor::ExtractOp::create(nb, loc, wte, ValueRange{row, col})
            .getResult();
      });
}

Value GraphBuilder::lastTokenOf(OpBuilder &nb, Value batch, Value t) {
  Value one = arith::ConstantIndexOp::create(nb, loc, 1);
  Value last = arith::SubIOp::create(nb, loc, t, one);
  if (!lengths)
    return last;
  Value length = arith::IndexCastOp::create(
      nb, loc, nb.getIndexType(),
      tensor::ExtractOp::create(nb, loc, lengths, ValueRange{batch}));
  // max(min(length, t), 1) - 1, in signed arithmetic (a length <= 0 gives 0).
  Value clamped = arith::MaxSIOp::create(
      nb, loc, arith::MinSIOp::create(nb, loc, length, t), one);
  return arith::SubIOp::create(nb, loc, clamped, one);
}

Value GraphBuilder::lastTokenCopy(Value x) {
  SmallVector<OpFoldResult> s = shape(x);
  Type et = cast<ShapedType>(x.getType()).getElementType();
  return parallel({}, {}, {s[0], s[2]}, et, [&](OpBuilder &nb, ValueRange) {
    Value bi = linalg::IndexOp::create(nb, loc, 0);
    Value ni = linalg::IndexOp::create(nb, loc, 1);
    Value t = tensor::DimOp::create(nb, loc, x, 1);
    Value last = lastTokenOf(nb, bi, t);
    return tensor::ExtractOp::create(nb, loc, x, ValueRange{bi, last, ni})
        .getResult();
  });
}

Value GraphBuilder::lastToken(Value x) {
  SmallVector<OpFoldResult> s = shape(x);
  Value t = getValueOrCreateConstantIndexOp(b, loc, s[1]);
  Value last = arith::SubIOp::create(b, loc, t,
                                     arith::ConstantIndexOp::create(b, loc, 1));
  auto xt = cast<RankedTensorType>(x.getType());
  auto type = RankedTensorType::get({xt.getDimSize(0), xt.getDimSize(2)},
                                    xt.getElementType());
  return tensor::ExtractSliceOp::create(
      b, loc, type, x, {b.getIndexAttr(0), last, b.getIndexAttr(0)},
      {s[0], b.getIndexAttr(1), s[2]},
      {b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(1)});
}

//===----------------------------------------------------------------------===//
// Layouts of one token and decode caches
//===----------------------------------------------------------------------===//

Value mlir::rat::squeezeT(GraphBuilder &g, Value x) {
  auto xt = cast<RankedTensorType>(x.getType());
  return tensor::CollapseShapeOp::create(
      g.b, g.loc,
      RankedTensorType::get({xt.getDimSize(0), xt.getDimSize(2)},
                            xt.getElementType()),
      x, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
}

Value mlir::rat::unsqueezeT(GraphBuilder &g, Value x) {
  auto xt = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> s = g.shape(x);
  return tensor::ExpandShapeOp::create(
      g.b, g.loc,
      RankedTensorType::get({xt.getDimSize(0), 1, xt.getDimSize(1)},
                            xt.getElementType()),
      x, ArrayRef<ReassociationIndices>{{0}, {1, 2}},
      ArrayRef<OpFoldResult>{s[0], g.b.getIndexAttr(1), s[1]});
}

Value mlir::rat::headsOfToken(GraphBuilder &g, Value x, int64_t heads,
                              int64_t dh) {
  // With one token the head split moves no data: a reshape, not the
  // [B, 1, H, Dh] -> [B, H, 1, Dh] transpose of a sequence (which would be
  // a copy kernel in a decode step wherever no pass turns it into a view).
  Value row = squeezeT(g, x); // [B, H*Dh]
  auto rt = cast<RankedTensorType>(row.getType());
  return tensor::ExpandShapeOp::create(
      g.b, g.loc,
      RankedTensorType::get({rt.getDimSize(0), heads, dh}, rt.getElementType()),
      row, ArrayRef<ReassociationIndices>{{0}, {1, 2}},
      ArrayRef<OpFoldResult>{g.shape(row)[0], g.b.getIndexAttr(heads),
                             g.b.getIndexAttr(dh)});
}

Value mlir::rat::withTokenDim(GraphBuilder &g, Value x) {
  auto xt = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> s = g.shape(x);
  return tensor::ExpandShapeOp::create(
      g.b, g.loc,
      RankedTensorType::get(
          {xt.getDimSize(0), xt.getDimSize(1), 1, xt.getDimSize(2)},
          xt.getElementType()),
      x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}},
      ArrayRef<OpFoldResult>{s[0], s[1], g.b.getIndexAttr(1), s[2]});
}

Value mlir::rat::dropTokenDim(GraphBuilder &g, Value x) {
  auto xt = cast<RankedTensorType>(x.getType());
  return tensor::CollapseShapeOp::create(
      g.b, g.loc,
      RankedTensorType::get(
          {xt.getDimSize(0), xt.getDimSize(1), xt.getDimSize(3)},
          xt.getElementType()),
      x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
}

Value mlir::rat::flatHeads(GraphBuilder &g, Value x) {
  auto xt = cast<RankedTensorType>(x.getType());
  return tensor::CollapseShapeOp::create(
      g.b, g.loc,
      RankedTensorType::get(
          {xt.getDimSize(0), xt.getDimSize(1) * xt.getDimSize(2)},
          xt.getElementType()),
      x, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
}

Value mlir::rat::ropeToken(GraphBuilder &g, Value x, int64_t chunk, double base,
                           Value pos) {
  return dropTokenDim(g, g.rope(withTokenDim(g, x), chunk, base, pos));
}

Value mlir::rat::cacheFromSequence(
    GraphBuilder &g, Value seq, int64_t rows,
    function_ref<Value(OpBuilder &, Value, Value)> tokenOf) {
  SmallVector<OpFoldResult> s = g.shape(seq);
  s[2] = g.b.getIndexAttr(rows);
  return g.parallel({}, {}, s, g.et, [&](OpBuilder &nb, ValueRange) {
    Value bi = linalg::IndexOp::create(nb, g.loc, 0);
    Value hi = linalg::IndexOp::create(nb, g.loc, 1);
    Value ri = linalg::IndexOp::create(nb, g.loc, 2);
    Value di = linalg::IndexOp::create(nb, g.loc, 3);
    Value t = tensor::DimOp::create(nb, g.loc, seq, 2);
    Value last = g.lastTokenOf(nb, bi, t);
    Value tok = tokenOf(nb, ri, last);
    return tensor::ExtractOp::create(nb, g.loc, seq,
                                     ValueRange{bi, hi, tok, di})
        .getResult();
  });
}
