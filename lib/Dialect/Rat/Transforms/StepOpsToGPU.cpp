//===- StepOpsToGPU.cpp - decode-step attention kernels -------*- C++ -*-===//
//
// Implements -rat-step-ops-to-gpu: rat.chunk_attention_step on contiguous
// buffers becomes a gpu.launch with one block of 4 warps per (batch, head).
// The block first writes the new key/value into cache row c = position / L;
// then warp w takes the cached states j < c with j = w (mod 4): each lane
// holds Dh/32 consecutive dims of the query, key and value rows (vector
// loads, coalesced across the warp), a butterfly shuffle sums the score,
// and the warp keeps an online softmax (f32) with its slice of the output.
// Warp 0 adds the own state (the new key/value, read from the inputs). The
// four partial results are merged through shared memory. With per-sequence
// positions, block (h, b) reads position[b] from device memory.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"
#include "rat/Dialect/Rat/Transforms/Passes.h"
#include "rat/Dialect/Rat/Utils/OnlineSoftmax.h"

#include "MMAUtils.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>
#include <functional>
#include <type_traits>

namespace mlir::rat {
#define GEN_PASS_DEF_RATSTEPOPSTOGPU
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;
using namespace mlir::rat;
using mma::IndexMath;

namespace {
constexpr int64_t kWarps = 4, kThreads = 32 * kWarps;
} // namespace

bool mlir::rat::canLowerStepOpToGPU(Operation *op) {
  SmallVector<Value> values;
  if (auto step = dyn_cast<ChunkAttentionStepOp>(op))
    values = {step.getQuery(),  step.getKey(),      step.getValue(),
              step.getOutput(), step.getKeyCache(), step.getValueCache()};
  else if (auto step = dyn_cast<WindowAttentionStepOp>(op))
    values = {step.getQuery(),  step.getKey(),      step.getValue(),
              step.getOutput(), step.getKeyCache(), step.getValueCache()};
  else
    return false;
  int64_t dh = cast<ShapedType>(values[0].getType()).getShape().back();
  for (Value v : values) {
    auto t = cast<ShapedType>(v.getType());
    if (t.getShape().back() != dh)
      return false;
    if (!mma::isContiguousOrTensor(t))
      return false;
  }
  return !ShapedType::isDynamic(dh) && dh % 32 == 0 && dh <= 256;
}

namespace {
/// The decode attention steps differ only in which cached rows they read:
/// chunk step at position p: rows j in [0, c), c = p / L, new row c;
/// window step: tokens j in [lo, p), lo = max(0, p - W) (0 for W = 0), row
/// j mod R, new row p mod R.
struct StepKernel {
  Operation *op;
  Value query, key, value, output, keyCache, valueCache, position;
  int64_t chunkSize = 0; // chunk step
  int64_t window = -1;   // window step (0: full causal)
  double scaleValue;
  RewriterBase &b;
  Location loc;
  IndexMath h;
  Type f32, et;
  int64_t dh, per;

  template <typename OpTy>
  StepKernel(OpTy step, RewriterBase &b)
      : op(step), query(step.getQuery()), key(step.getKey()),
        value(step.getValue()), output(step.getOutput()),
        keyCache(step.getKeyCache()), valueCache(step.getValueCache()),
        position(step.getPosition()), scaleValue(step.getScaleOrDefault()),
        b(b), loc(step.getLoc()), h{b, step.getLoc()} {
    if constexpr (std::is_same_v<OpTy, ChunkAttentionStepOp>)
      chunkSize = step.getChunkSize();
    else
      window = step.getWindow();
    f32 = b.getF32Type();
    auto q = cast<MemRefType>(query.getType());
    et = q.getElementType();
    dh = q.getShape().back();
    per = dh / 32;
  }

  Value fconst(double v) { return mma::f32Constant(b, loc, v); }
  VectorType vecF32() { return VectorType::get({per}, f32); }
  /// This lane's `per` elements of a row, as f32.
  Value loadRow(Value memref, SmallVector<Value> idx, Value lane) {
    idx.push_back(h.mul(lane, per));
    Value v = vector::LoadOp::create(b, loc, VectorType::get({per}, et),
                                     memref, idx);
    return et == f32 ? v : arith::ExtFOp::create(b, loc, vecF32(), v);
  }
  Value warpSum(Value v) {
    return mma::butterflyReduce(b, loc, v, {16, 8, 4, 2, 1}, /*max=*/false);
  }
  Value dot(Value x, Value y) {
    Value prod = arith::MulFOp::create(b, loc, x, y);
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, prod);
  }

  /// Online-softmax update with score `s` (log2 domain) and value row `v`.
  void update(Value &m, Value &l, Value &acc, Value s, Value v) {
    OnlineSoftmaxStep step = updateOnlineSoftmax<math::Exp2Op>(b, loc, m, l, s);
    l = step.sum;
    Value alphaV = vector::BroadcastOp::create(b, loc, vecF32(), step.alpha);
    Value pV = vector::BroadcastOp::create(b, loc, vecF32(), step.p);
    acc = arith::AddFOp::create(b, loc,
                                arith::MulFOp::create(b, loc, acc, alphaV),
                                arith::MulFOp::create(b, loc, pV, v));
    m = step.max;
  }

  void build() {
    b.setInsertionPoint(op);
    Value q = query, k = key, v = value;
    Value out = output, kc = keyCache, vc = valueCache;
    Value batches = memref::DimOp::create(b, loc, out, 0);
    Value heads = memref::DimOp::create(b, loc, out, 1);
    Value hq = memref::DimOp::create(b, loc, q, 1);
    Value rows = memref::DimOp::create(b, loc, kc, 2);
    double scale2 = scaleValue * 1.4426950408889634;
    Value one = h.c(1);
    auto guard = scf::IfOp::create(
        b, loc, h.andI(h.lt(h.c(0), batches), h.lt(h.c(0), heads)), false);
    b.setInsertionPointToStart(&guard.getThenRegion().front());
    auto partialType = mma::sharedBuffer({kWarps, dh + 2}, f32);
    auto launch = gpu::LaunchOp::create(b, loc, heads, batches, one,
                                        h.c(kThreads), one, one, nullptr,
                                        nullptr, {}, TypeRange{partialType});
    b.setInsertionPointToStart(&launch.getBody().front());
    Value partial = launch.getWorkgroupAttributions()[0];
    Value head = launch.getBlockIds().x, batch = launch.getBlockIds().y;
    Value headQ = arith::RemUIOp::create(b, loc, head, hq);
    Value tid = launch.getThreadIds().x;
    Value warp = h.div(tid, 32), lane = h.rem(tid, 32);
    // Position arithmetic stays in the kernel: the launch then takes the
    // position itself, which a replayed CUDA graph can update, or reads the
    // sequence's own from device memory (per-sequence positions).
    Value p = loadPosition(b, loc, position, batch);
    Value lo, hi, chunk;
    std::function<Value(Value)> rowOf;
    if (chunkSize) {
      chunk = h.div(p, chunkSize);
      lo = h.c(0);
      hi = chunk;
      rowOf = [](Value j) { return j; };
    } else {
      chunk = arith::RemUIOp::create(b, loc, p, rows);
      lo = h.c(0);
      if (window > 0) {
        Value w = h.c(window);
        lo = h.select(h.lt(p, w), h.c(0), h.sub(p, w));
      }
      hi = p;
      rowOf = [&](Value j) -> Value {
        return arith::RemUIOp::create(b, loc, j, rows);
      };
    }
    // Cache row c takes the new key and value.
    scf::ForOp::create(
        b, loc, tid, h.c(dh), h.c(kThreads), ValueRange{},
        [&](OpBuilder &, Location, Value d, ValueRange) {
          Value kv = memref::LoadOp::create(b, loc, k, ValueRange{batch, head, d});
          memref::StoreOp::create(b, loc, kv, kc,
                                  ValueRange{batch, head, chunk, d});
          Value vv = memref::LoadOp::create(b, loc, v, ValueRange{batch, head, d});
          memref::StoreOp::create(b, loc, vv, vc,
                                  ValueRange{batch, head, chunk, d});
          scf::YieldOp::create(b, loc);
        });

    Value qRow = loadRow(q, {batch, headQ}, lane);
    Value scale = fconst(scale2);
    Value negInf = fconst(-INFINITY);
    Value zeroV = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vecF32(), b.getF32FloatAttr(0.0)));
    auto loop = scf::ForOp::create(
        b, loc, h.add(lo, warp), hi, h.c(kWarps),
        ValueRange{negInf, fconst(0.0), zeroV},
        [&](OpBuilder &, Location, Value j, ValueRange args) {
          Value m = args[0], l = args[1], acc = args[2];
          Value row = rowOf(j);
          Value kRow = loadRow(kc, {batch, head, row}, lane);
          Value vRow = loadRow(vc, {batch, head, row}, lane);
          Value s = arith::MulFOp::create(b, loc, warpSum(dot(qRow, kRow)),
                                          scale);
          update(m, l, acc, s, vRow);
          scf::YieldOp::create(b, loc, ValueRange{m, l, acc});
        });
    Value m = loop.getResult(0), l = loop.getResult(1), acc = loop.getResult(2);
    // Warp 0: the own state, from the inputs.
    Value isWarp0 = h.lt(warp, one);
    auto own = scf::IfOp::create(b, loc, TypeRange{f32, f32, vecF32()},
                                 isWarp0, true);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&own.getThenRegion().front());
      Value kRow = loadRow(k, {batch, head}, lane);
      Value vRow = loadRow(v, {batch, head}, lane);
      Value s =
          arith::MulFOp::create(b, loc, warpSum(dot(qRow, kRow)), scale);
      Value m2 = m, l2 = l, acc2 = acc;
      update(m2, l2, acc2, s, vRow);
      scf::YieldOp::create(b, loc, ValueRange{m2, l2, acc2});
      b.setInsertionPointToStart(&own.getElseRegion().front());
      scf::YieldOp::create(b, loc, ValueRange{m, l, acc});
    }
    m = own.getResult(0);
    l = own.getResult(1);
    acc = own.getResult(2);
    // Merge the warps' partials: row w of `partial` = [acc..., m, l].
    vector::StoreOp::create(b, loc, acc, partial,
                            ValueRange{warp, h.mul(lane, per)});
    auto lane0 = scf::IfOp::create(b, loc, h.lt(lane, one), false);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&lane0.getThenRegion().front());
      memref::StoreOp::create(b, loc, m, partial, ValueRange{warp, h.c(dh)});
      memref::StoreOp::create(b, loc, l, partial,
                              ValueRange{warp, h.c(dh + 1)});
    }
    gpu::BarrierOp::create(b, loc);
    auto merge = scf::IfOp::create(b, loc, isWarp0, false);
    b.setInsertionPointToStart(&merge.getThenRegion().front());
    SmallVector<Value> ms, ls;
    Value mMax = negInf;
    for (int64_t w = 0; w < kWarps; ++w) {
      ms.push_back(memref::LoadOp::create(b, loc, partial,
                                          ValueRange{h.c(w), h.c(dh)}));
      ls.push_back(memref::LoadOp::create(b, loc, partial,
                                          ValueRange{h.c(w), h.c(dh + 1)}));
      mMax = arith::MaximumFOp::create(b, loc, mMax, ms.back());
    }
    Value total = fconst(0.0), sum = zeroV;
    for (int64_t w = 0; w < kWarps; ++w) {
      Value f = math::Exp2Op::create(
          b, loc, arith::SubFOp::create(b, loc, ms[w], mMax));
      total = arith::AddFOp::create(
          b, loc, total, arith::MulFOp::create(b, loc, ls[w], f));
      Value part = vector::LoadOp::create(b, loc, vecF32(), partial,
                                          ValueRange{h.c(w), h.mul(lane, per)});
      sum = arith::AddFOp::create(
          b, loc, sum,
          arith::MulFOp::create(
              b, loc, part, vector::BroadcastOp::create(b, loc, vecF32(), f)));
    }
    Value inv = arith::DivFOp::create(b, loc, fconst(1.0), total);
    Value y = arith::MulFOp::create(
        b, loc, sum, vector::BroadcastOp::create(b, loc, vecF32(), inv));
    Type outEt = cast<MemRefType>(out.getType()).getElementType();
    if (outEt != f32)
      y = arith::TruncFOp::create(b, loc, VectorType::get({per}, outEt), y);
    vector::StoreOp::create(b, loc, y, out,
                            ValueRange{batch, head, h.mul(lane, per)});
    b.setInsertionPointToEnd(&launch.getBody().front());
    gpu::TerminatorOp::create(b, loc);
  }
};

struct RatStepOpsToGPUPass
    : rat::impl::RatStepOpsToGPUBase<RatStepOpsToGPUPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      auto dps = dyn_cast<DestinationStyleOpInterface>(op);
      if (dps && dps.hasPureBufferSemantics() &&
          getKernelFamily(op) == KernelFamily::step &&
          isa<ChunkAttentionStepOp, WindowAttentionStepOp>(op) &&
          mma::isHostLevel(op) && canLowerStepOpToGPU(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : ops) {
      if (auto step = dyn_cast<ChunkAttentionStepOp>(op))
        StepKernel(step, rewriter).build();
      else
        StepKernel(cast<WindowAttentionStepOp>(op), rewriter).build();
      rewriter.eraseOp(op);
    }
  }
};
} // namespace
