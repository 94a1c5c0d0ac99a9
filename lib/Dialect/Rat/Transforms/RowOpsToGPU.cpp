//===- RowOpsToGPU.cpp - row-parallel kernels for norm and rope -*- C++ -*-=//
//
// Implements -rat-row-ops-to-gpu: rat.rms_norm on contiguous buffers and
// rat.rope on buffers with unit-stride rows become gpu.launch ops whose threads walk a row together, so that
// neighbouring threads touch neighbouring elements (coalesced accesses):
//   - rms_norm: one warp per row, 2 warps per block; each lane sums the
//     squares of a strided slice of the row (16-byte vector loads when the
//     row allows), the warp reduces with butterfly shuffles, then the lanes
//     scale their slice. Short rows (<= 16 loads per lane) are unrolled:
//     all loads in flight at once, the values kept for the scaling.
//   - rope: one thread per 16 bytes of rotated pairs (row, i..i+W-1),
//     i < Dh/2, read and written with vector accesses where the rows are
//     aligned for them (host check; else one pair per thread); rows are
//     addressed through the buffers' strides, so a transposed view of the
//     heads (rat-permutation-copies-to-views) is read in place; per-sequence
//     positions are read from device memory;
//   - sample: one block of 32 warps per row of logits, few passes over the
//     row (SampleKernel.cpp).
// The generic lowering (one thread per row, looping over the row) is left
// for other buffers.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"
#include "rat/Dialect/Rat/Transforms/Passes.h"
#include "MMAUtils.h"
#include "SampleKernel.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

namespace mlir::rat {
#define GEN_PASS_DEF_RATROWOPSTOGPU
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;
using namespace mlir::rat;
using mma::IndexMath;

bool mlir::rat::canLowerRowOpToGPU(Operation *op) {
  auto staticLast = [](Value v) {
    auto t = cast<ShapedType>(v.getType());
    return !ShapedType::isDynamic(t.getShape().back());
  };
  auto contiguousIfBuffer = [](Value v) {
    return mma::isContiguousOrTensor(v.getType());
  };
  if (cast<ShapedType>(op->getOperand(0).getType()).getRank() < 2)
    return false;
  if (isa<SampleOp>(op))
    return true;
  if (auto norm = dyn_cast<RmsNormOp>(op))
    return staticLast(norm.getInput()) && contiguousIfBuffer(norm.getInput()) &&
           contiguousIfBuffer(norm.getInit()) &&
           contiguousIfBuffer(norm.getWeight());
  // Rope addresses its rows through the buffers' strides.
  auto unitStrideRows = [](Value v) {
    return mma::hasUnitStrideRowsOrTensor(v.getType());
  };
  if (auto rope = dyn_cast<RopeOp>(op))
    return staticLast(rope.getInput()) && unitStrideRows(rope.getInput()) &&
           unitStrideRows(rope.getInit());
  return false;
}

namespace {
struct RowKernels {
  RewriterBase &b;
  Location loc;
  IndexMath h;
  Type f32;

  RowKernels(RewriterBase &b, Location loc)
      : b(b), loc(loc), h{b, loc}, f32(b.getF32Type()) {}

  Value fconst(double v) { return mma::f32Constant(b, loc, v); }
  Value toF32(Value v) {
    return v.getType() == f32 ? v : arith::ExtFOp::create(b, loc, f32, v);
  }
  Value fromF32(Value v, Type t) {
    return t == f32 ? v : arith::TruncFOp::create(b, loc, t, v);
  }

  /// A 1-D launch of ceil(total / block) blocks of `block` threads, guarded
  /// by total > 0; returns the launch (insertion point in its body).
  gpu::LaunchOp launch1D(Value total, int64_t block) {
    Value nonEmpty = h.lt(h.c(0), total);
    auto guard = scf::IfOp::create(b, loc, nonEmpty, false);
    b.setInsertionPointToStart(&guard.getThenRegion().front());
    Value grid = arith::CeilDivUIOp::create(b, loc, total, h.c(block));
    Value one = h.c(1);
    auto launch =
        gpu::LaunchOp::create(b, loc, grid, one, one, h.c(block), one, one);
    b.setInsertionPointToStart(&launch.getBody().front());
    gpu::TerminatorOp::create(b, loc);
    b.setInsertionPointToStart(&launch.getBody().front());
    return launch;
  }

  void rmsNorm(RmsNormOp op) {
    // Small blocks: a decode step's few rows still spread over many SMs.
    constexpr int64_t kWarps = 2;
    // Rows of at most this many vector steps per lane are unrolled: every
    // load is issued up front and the values stay in registers for the
    // scaling pass (a loop would wait one memory latency per step).
    constexpr int64_t kMaxUnrolledSteps = 16;
    b.setInsertionPoint(op);
    Value x = mma::collapseToRows(b, loc, op.getInput());
    Value out = mma::collapseToRows(b, loc, op.getInit());
    Value w = op.getWeight();
    auto xType = cast<MemRefType>(x.getType());
    Type et = xType.getElementType();
    int64_t d = xType.getDimSize(1);
    // Elements per lane access: 16 bytes when every lane has whole vectors.
    int64_t bytes = et.getIntOrFloatBitWidth() / 8;
    int64_t width = 16 / bytes;
    while (width > 1 && d % (32 * width) != 0)
      width /= 2;
    int64_t steps = d / (32 * width), rest = d % (32 * width);
    Value rows = memref::DimOp::create(b, loc, x, 0);
    Value threads = h.mul(rows, 32);
    auto launch = launch1D(threads, 32 * kWarps);
    Value id = h.add(h.mul(launch.getBlockIds().x, 32 * kWarps),
                     launch.getThreadIds().x);
    Value row = h.div(id, 32), lane = h.rem(id, 32);
    auto inRows = scf::IfOp::create(b, loc, h.lt(row, rows), false);
    // Every lane of a warp shares the row: the whole warp takes the branch.
    b.setInsertionPointToStart(&inRows.getThenRegion().front());
    auto vecType = VectorType::get({width}, et);
    auto vecF32 = VectorType::get({width}, f32);
    auto column = [&](Value step) {
      return h.mul(h.add(h.mul(step, 32), lane), width);
    };
    auto loadVec = [&](Value memref, ValueRange idx) -> Value {
      Value v = vector::LoadOp::create(b, loc, vecType, memref, idx);
      return et == f32 ? v : arith::ExtFOp::create(b, loc, vecF32, v);
    };
    // Sum of squares over this lane's columns; a ragged tail (d not a
    // multiple of 32 * width, width 1) is taken by the first lanes.
    Value zero = fconst(0.0);
    bool unrolled = steps <= kMaxUnrolledSteps;
    SmallVector<Value> kept; // the row's vectors, when unrolled
    Value sum;
    if (unrolled) {
      for (int64_t step = 0; step < steps; ++step)
        kept.push_back(loadVec(x, {row, column(h.c(step))}));
      Value acc = vector::BroadcastOp::create(b, loc, vecF32, zero);
      for (Value v : kept)
        acc = math::FmaOp::create(b, loc, v, v, acc);
      sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                        acc);
    } else {
      auto sumLoop = scf::ForOp::create(
          b, loc, h.c(0), h.c(steps), h.c(1), ValueRange{zero},
          [&](OpBuilder &, Location, Value step, ValueRange acc) {
            Value v = loadVec(x, {row, column(step)});
            Value sq = arith::MulFOp::create(b, loc, v, v);
            Value s = vector::ReductionOp::create(
                b, loc, vector::CombiningKind::ADD, sq);
            scf::YieldOp::create(
                b, loc, ValueRange{arith::AddFOp::create(b, loc, acc[0], s)});
          });
      sum = sumLoop.getResult(0);
    }
    if (rest) {
      Value col = h.add(h.c(steps * 32 * width), lane);
      auto tail = scf::IfOp::create(b, loc, TypeRange{f32},
                                    h.lt(col, h.c(d)), true);
      b.setInsertionPointToStart(&tail.getThenRegion().front());
      Value v = toF32(memref::LoadOp::create(b, loc, x, ValueRange{row, col}));
      scf::YieldOp::create(
          b, loc, ValueRange{arith::AddFOp::create(
                      b, loc, sum, arith::MulFOp::create(b, loc, v, v))});
      b.setInsertionPointToStart(&tail.getElseRegion().front());
      scf::YieldOp::create(b, loc, ValueRange{sum});
      b.setInsertionPointAfter(tail);
      sum = tail.getResult(0);
    }
    sum = mma::butterflyReduce(b, loc, sum, {16, 8, 4, 2, 1}, /*max=*/false);
    Value mean = arith::DivFOp::create(b, loc, sum, fconst(double(d)));
    Value inv = math::RsqrtOp::create(
        b, loc,
        arith::AddFOp::create(b, loc, mean,
                              fconst(op.getEpsilon().convertToDouble())));
    Value invVec = vector::BroadcastOp::create(b, loc, vecF32, inv);
    Type outEt = cast<MemRefType>(out.getType()).getElementType();
    auto scale = [&](Value step, Value v) {
      Value col = column(step);
      if (!v)
        v = loadVec(x, {row, col});
      Value wv = loadVec(w, {col});
      Value y = arith::MulFOp::create(
          b, loc, arith::MulFOp::create(b, loc, v, invVec), wv);
      if (outEt != f32)
        y = arith::TruncFOp::create(b, loc, VectorType::get({width}, outEt),
                                    y);
      vector::StoreOp::create(b, loc, y, out, ValueRange{row, col});
    };
    if (unrolled) {
      for (int64_t step = 0; step < steps; ++step)
        scale(h.c(step), kept[step]);
    } else {
      scf::ForOp::create(b, loc, h.c(0), h.c(steps), h.c(1), ValueRange{},
                         [&](OpBuilder &, Location, Value step, ValueRange) {
                           scale(step, Value());
                           scf::YieldOp::create(b, loc);
                         });
    }
    if (rest) {
      Value col = h.add(h.c(steps * 32 * width), lane);
      auto tail = scf::IfOp::create(b, loc, h.lt(col, h.c(d)), false);
      b.setInsertionPointToStart(&tail.getThenRegion().front());
      Value v = toF32(memref::LoadOp::create(b, loc, x, ValueRange{row, col}));
      Value wv = toF32(memref::LoadOp::create(b, loc, w, ValueRange{col}));
      Value y = arith::MulFOp::create(
          b, loc, arith::MulFOp::create(b, loc, v, inv), wv);
      memref::StoreOp::create(b, loc, fromF32(y, outEt), out,
                              ValueRange{row, col});
    }
  }

  /// The rope kernel: each thread rotates `width` consecutive pairs
  /// (i, i + Dh/2) of one row, with vector accesses when `width` > 1. Rows
  /// are addressed through the buffers' strides (a transposed view of the
  /// heads works as well as a dense buffer).
  void ropeKernel(RopeOp op, int64_t width) {
    constexpr int64_t kBlock = 256;
    Value in = op.getInput(), out = op.getInit();
    auto inType = cast<MemRefType>(in.getType());
    int64_t rank = inType.getRank();
    int64_t dh = inType.getShape().back(), half = dh / 2;
    int64_t groups = half / width;
    SmallVector<Value> outer;
    for (int64_t d = 0; d + 1 < rank; ++d)
      outer.push_back(memref::DimOp::create(b, loc, in, d));
    Value rows = outer[0];
    for (Value size : ArrayRef<Value>(outer).drop_front())
      rows = h.mul(rows, size);
    Value total = h.mul(rows, groups);
    auto launch = launch1D(total, kBlock);
    Value id = h.add(h.mul(launch.getBlockIds().x, kBlock),
                     launch.getThreadIds().x);
    auto inRange = scf::IfOp::create(b, loc, h.lt(id, total), false);
    b.setInsertionPointToStart(&inRange.getThenRegion().front());
    Value row = h.div(id, groups);
    Value first = h.mul(h.rem(id, groups), width);
    // The row's index in each outer dimension, innermost first.
    SmallVector<Value> indices(rank);
    for (int64_t d = rank - 2; d >= 0; --d) {
      indices[d] =
          d == 0 ? row : arith::RemUIOp::create(b, loc, row, outer[d]);
      if (d > 0)
        row = arith::DivUIOp::create(b, loc, row, outer[d]);
    }
    Value t = indices[rank - 2];
    Value pos = op.getOffset() ? h.add(op.getOffset(), t) : t;
    if (Value positions = op.getPositions())
      pos = h.add(loadPosition(b, loc, positions, indices[0]), pos);
    pos = h.div(pos, op.getChunkSize());
    auto toF = [&](Value index) {
      return arith::UIToFPOp::create(
          b, loc, f32,
          arith::IndexCastUIOp::create(b, loc, b.getI64Type(), index));
    };
    double log2Base = std::log2(op.getBase().convertToDouble());
    Value exponentScale = fconst(-2.0 * log2Base / static_cast<double>(dh));
    Value position = toF(pos);
    Type et = inType.getElementType();
    Type outEt = cast<MemRefType>(out.getType()).getElementType();
    auto at = [&](Value column) {
      SmallVector<Value> idx(indices);
      idx.back() = column;
      return idx;
    };
    Value hiCol = h.add(first, half);
    // The pairs' values: one vector load per half row, or scalars.
    SmallVector<Value> x0(width), x1(width);
    if (width > 1) {
      auto vecType = VectorType::get({width}, et);
      llvm::MaybeAlign align(width * et.getIntOrFloatBitWidth() / 8);
      Value lo = vector::LoadOp::create(b, loc, vecType, in, at(first),
                                        /*nontemporal=*/false, align);
      Value hi = vector::LoadOp::create(b, loc, vecType, in, at(hiCol),
                                        /*nontemporal=*/false, align);
      for (int64_t e = 0; e < width; ++e) {
        x0[e] = toF32(vector::ExtractOp::create(b, loc, lo, ArrayRef<int64_t>{e}));
        x1[e] = toF32(vector::ExtractOp::create(b, loc, hi, ArrayRef<int64_t>{e}));
      }
    } else {
      x0[0] = toF32(memref::LoadOp::create(b, loc, in, at(first)));
      x1[0] = toF32(memref::LoadOp::create(b, loc, in, at(hiCol)));
    }
    auto mul = [&](Value p, Value q) {
      return arith::MulFOp::create(b, loc, p, q);
    };
    SmallVector<Value> y0(width), y1(width);
    for (int64_t e = 0; e < width; ++e) {
      Value i = h.add(first, e);
      Value angle = mul(position, math::Exp2Op::create(
                                      b, loc, mul(toF(i), exponentScale)));
      Value cos = math::CosOp::create(b, loc, angle);
      Value sin = math::SinOp::create(b, loc, angle);
      y0[e] = fromF32(
          arith::SubFOp::create(b, loc, mul(x0[e], cos), mul(x1[e], sin)),
          outEt);
      y1[e] = fromF32(
          arith::AddFOp::create(b, loc, mul(x1[e], cos), mul(x0[e], sin)),
          outEt);
    }
    if (width > 1) {
      auto vecType = VectorType::get({width}, outEt);
      llvm::MaybeAlign align(width * outEt.getIntOrFloatBitWidth() / 8);
      vector::StoreOp::create(
          b, loc, vector::FromElementsOp::create(b, loc, vecType, y0), out,
          at(first), /*nontemporal=*/false, align);
      vector::StoreOp::create(
          b, loc, vector::FromElementsOp::create(b, loc, vecType, y1), out,
          at(hiCol), /*nontemporal=*/false, align);
    } else {
      memref::StoreOp::create(b, loc, y0[0], out, at(first));
      memref::StoreOp::create(b, loc, y1[0], out, at(hiCol));
    }
  }

  /// rat.rope: 16-byte accesses (`width` pairs per thread) where the
  /// buffers' rows are aligned for them (checked on the host), else one
  /// pair per thread.
  void rope(RopeOp op) {
    b.setInsertionPoint(op);
    auto inType = cast<MemRefType>(op.getInput().getType());
    Type et = inType.getElementType();
    Type outEt = cast<MemRefType>(op.getInit().getType()).getElementType();
    int64_t half = inType.getShape().back() / 2;
    int64_t bytes = std::max(et.getIntOrFloatBitWidth(),
                             outEt.getIntOrFloatBitWidth()) / 8;
    int64_t width = 16 / bytes;
    while (width > 1 && half % width != 0)
      width /= 2;
    if (width == 1) {
      ropeKernel(op, 1);
      return;
    }
    Value aligned = mma::vectorAccessesAligned(
        b, loc, ValueRange{op.getInput(), op.getInit()}, width);
    auto choice = scf::IfOp::create(b, loc, aligned, /*withElse=*/true);
    b.setInsertionPoint(choice.getThenRegion().front().getTerminator());
    ropeKernel(op, width);
    b.setInsertionPoint(choice.getElseRegion().front().getTerminator());
    ropeKernel(op, 1);
  }
};

struct RatRowOpsToGPUPass
    : rat::impl::RatRowOpsToGPUBase<RatRowOpsToGPUPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      auto dps = dyn_cast<DestinationStyleOpInterface>(op);
      if (dps && dps.hasPureBufferSemantics() &&
          getKernelFamily(op) == KernelFamily::row &&
          isa<RmsNormOp, RopeOp, SampleOp>(op) && mma::isHostLevel(op) &&
          canLowerRowOpToGPU(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : ops) {
      RowKernels k(rewriter, op->getLoc());
      if (auto norm = dyn_cast<RmsNormOp>(op))
        k.rmsNorm(norm);
      else if (auto sample = dyn_cast<SampleOp>(op))
        buildSampleKernel(rewriter, sample);
      else
        k.rope(cast<RopeOp>(op));
      rewriter.eraseOp(op);
    }
  }
};
} // namespace
