//===- Argmax.cpp - Greedy token choice on the device ---------------------===//

#include "rat/Compiler/Argmax.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::rat;

Value mlir::rat::buildArgmax(OpBuilder &b, Location loc, Value logits) {
  SmallVector<OpFoldResult> s = tensor::getMixedSizes(b, loc, logits);
  auto lt = cast<RankedTensorType>(logits.getType());
  int64_t v = lt.getDimSize(1);
  MLIRContext *ctx = b.getContext();
  Type i32 = b.getI32Type();
  Type f32 = b.getF32Type();
  Value negInf = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(f32, -std::numeric_limits<double>::infinity()));
  Value zero = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
  auto empty = [&](ArrayRef<OpFoldResult> sizes, Type elem) -> Value {
    return tensor::EmptyOp::create(b, loc, sizes, elem);
  };
  auto fills = [&](ArrayRef<OpFoldResult> sizes) {
    Value m =
        linalg::FillOp::create(b, loc, negInf, empty(sizes, f32)).getResult(0);
    Value i =
        linalg::FillOp::create(b, loc, zero, empty(sizes, i32)).getResult(0);
    return std::make_pair(m, i);
  };
  if (ShapedType::isDynamic(v) || v % kArgmaxLanes != 0 || v <= kArgmaxLanes) {
    AffineExpr d0, d1;
    bindDims(ctx, d0, d1);
    auto [maxInit, idxInit] = fills({s[0]});
    SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {d0, d1}, ctx),
                                   AffineMap::get(2, 0, {d0}, ctx),
                                   AffineMap::get(2, 0, {d0}, ctx)};
    auto op = linalg::GenericOp::create(
        b, loc, TypeRange{maxInit.getType(), idxInit.getType()},
        ValueRange{logits}, ValueRange{maxInit, idxInit}, maps,
        {utils::IteratorType::parallel, utils::IteratorType::reduction},
        [&](OpBuilder &nb, Location, ValueRange a) {
          Value j = arith::IndexCastOp::create(
              nb, loc, i32, linalg::IndexOp::create(nb, loc, 1));
          Value better = arith::CmpFOp::create(
              nb, loc, arith::CmpFPredicate::OGT, a[0], a[1]);
          Value m = arith::SelectOp::create(nb, loc, better, a[0], a[1]);
          Value i = arith::SelectOp::create(nb, loc, better, j, a[2]);
          linalg::YieldOp::create(nb, loc, ValueRange{m, i});
        });
    return op.getResult(1);
  }
  // Stage 1: [B, V/128, 128] reduced over dim 1 into [B, 128].
  auto rowsType = RankedTensorType::get(
      {lt.getDimSize(0), v / kArgmaxLanes, kArgmaxLanes}, lt.getElementType());
  Value rows = tensor::ExpandShapeOp::create(
      b, loc, rowsType, logits, ArrayRef<ReassociationIndices>{{0}, {1, 2}},
      ArrayRef<OpFoldResult>{s[0], b.getIndexAttr(v / kArgmaxLanes),
                             b.getIndexAttr(kArgmaxLanes)});
  AffineExpr d0, d1, d2;
  bindDims(ctx, d0, d1, d2);
  auto [laneMax, laneIdx] = fills({s[0], b.getIndexAttr(kArgmaxLanes)});
  // Loops (row, lane, column group): the two parallel loops lead, so the
  // GPU mapping spreads B x 128 threads and each runs the V/128 steps.
  auto stage1 = linalg::GenericOp::create(
      b, loc, TypeRange{laneMax.getType(), laneIdx.getType()}, ValueRange{rows},
      ValueRange{laneMax, laneIdx},
      SmallVector<AffineMap>{AffineMap::get(3, 0, {d0, d2, d1}, ctx),
                             AffineMap::get(3, 0, {d0, d1}, ctx),
                             AffineMap::get(3, 0, {d0, d1}, ctx)},
      {utils::IteratorType::parallel, utils::IteratorType::parallel,
       utils::IteratorType::reduction},
      [&](OpBuilder &nb, Location, ValueRange a) {
        Value c = linalg::IndexOp::create(nb, loc, 2);
        Value l = linalg::IndexOp::create(nb, loc, 1);
        Value j = arith::AddIOp::create(
            nb, loc,
            arith::MulIOp::create(
                nb, loc, c,
                arith::ConstantIndexOp::create(nb, loc, kArgmaxLanes)),
            l);
        Value ji = arith::IndexCastOp::create(nb, loc, i32, j);
        Value better = arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OGT,
                                             a[0], a[1]);
        Value m = arith::SelectOp::create(nb, loc, better, a[0], a[1]);
        Value i = arith::SelectOp::create(nb, loc, better, ji, a[2]);
        linalg::YieldOp::create(nb, loc, ValueRange{m, i});
      });
  // Stage 2: [B, 128] -> [B]; the larger maximum, else the smaller index.
  auto [maxInit, idxInit] = fills({s[0]});
  bindDims(ctx, d0, d1);
  auto stage2 = linalg::GenericOp::create(
      b, loc, TypeRange{maxInit.getType(), idxInit.getType()},
      ValueRange{stage1.getResult(0), stage1.getResult(1)},
      ValueRange{maxInit, idxInit},
      SmallVector<AffineMap>{AffineMap::get(2, 0, {d0, d1}, ctx),
                             AffineMap::get(2, 0, {d0, d1}, ctx),
                             AffineMap::get(2, 0, {d0}, ctx),
                             AffineMap::get(2, 0, {d0}, ctx)},
      {utils::IteratorType::parallel, utils::IteratorType::reduction},
      [&](OpBuilder &nb, Location, ValueRange a) {
        // a = lane max, lane index, best max, best index.
        Value greater = arith::CmpFOp::create(
            nb, loc, arith::CmpFPredicate::OGT, a[0], a[2]);
        Value equal = arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OEQ,
                                            a[0], a[2]);
        Value earlier = arith::CmpIOp::create(
            nb, loc, arith::CmpIPredicate::slt, a[1], a[3]);
        Value better = arith::OrIOp::create(
            nb, loc, greater, arith::AndIOp::create(nb, loc, equal, earlier));
        Value m = arith::SelectOp::create(nb, loc, better, a[0], a[2]);
        Value i = arith::SelectOp::create(nb, loc, better, a[1], a[3]);
        linalg::YieldOp::create(nb, loc, ValueRange{m, i});
      });
  return stage2.getResult(1);
}
