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
// Rope fusion (GPU kernels only): when the step's query or key is a buffer
// that a rat.rope of one token ([B, H, 1, Dh]) writes and nothing but the
// step reads (findFusedRope), the kernels read the rope's input and rotate
// it themselves, rounded to the rope's element type as the rope kernel
// stores it: the query and the own key row through two vector loads per
// lane (its dims and their partners i +- Dh/2), the key written into the
// cache element by element. The rope op is erased: no kernel of its own.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"
#include "rat/Dialect/Rat/Transforms/Passes.h"
#include "rat/Dialect/Rat/Utils/OnlineSoftmax.h"

#include "BufferAliasing.h"
#include "MMAUtils.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/ADT/SetVector.h"

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
/// Warps per block on the GPU, and the cached states (or splits) a warp
/// loads at once before it uses them.
constexpr int64_t kGpuWarps = 4, kUnroll = 4;
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
  for (auto [i, v] : llvm::enumerate(values)) {
    auto t = cast<ShapedType>(v.getType());
    if (t.getShape().back() != dh)
      return false;
    // The token's query, key and value are read row by row (loadRow): any
    // rows of unit stride (a decode step's heads are views of the input
    // projection); the output and the caches are written densely.
    if (i < 3 ? !mma::hasUnitStrideRowsOrTensor(t)
              : !mma::isContiguousOrTensor(t))
      return false;
  }
  return !ShapedType::isDynamic(dh) && dh % 32 == 0 && dh <= 256;
}

/// The op of `block` that contains `op`, or null.
static Operation *inBlock(Block *block, Operation *op) {
  return op ? block->findAncestorOpInBlock(*op) : nullptr;
}

/// The rat.rope whose one-token result `operand` of `step` is, when the step
/// kernel can apply it instead (see the file comment), else null.
static RopeOp findFusedRope(Operation *step, Value operand) {
  // operand = collapse_shape(X) [B, H, Dh] of the rope's [B, H, 1, Dh] X.
  auto collapse = operand.getDefiningOp<memref::CollapseShapeOp>();
  if (!collapse)
    return nullptr;
  Value buf = collapse.getSrc();
  auto alloc = buf.getDefiningOp<memref::AllocOp>();
  auto bufType = cast<MemRefType>(buf.getType());
  auto opType = cast<MemRefType>(operand.getType());
  Block *block = step->getBlock();
  if (!alloc || alloc->getBlock() != block || bufType.getRank() != 4 ||
      opType.getRank() != 3 || bufType.getDimSize(2) != 1 ||
      bufType.getDimSize(3) != opType.getDimSize(2) ||
      bufType.getDimSize(1) != opType.getDimSize(1))
    return nullptr;
  // The step reads X through this view in one operand only (other steps
  // may read it too: bufferization shares the buffer between layers).
  if (llvm::count(step->getOperands(), operand) != 1)
    return nullptr;
  // Every op of the block touching X (or a view of it; sizes aside), in
  // block order.
  SmallVector<Operation *> touching;
  SmallVector<Value> views{buf};
  while (!views.empty()) {
    Value v = views.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (isa<memref::DimOp>(user))
        continue;
      if (isa<ViewLikeOpInterface>(user) && user->getNumResults() == 1) {
        views.push_back(user->getResult(0));
        continue;
      }
      Operation *top = inBlock(block, user);
      if (!top)
        return nullptr;
      touching.push_back(top);
    }
  }
  llvm::sort(touching, [](Operation *a, Operation *b) {
    return a != b && a->isBeforeInBlock(b);
  });
  auto at = llvm::find(touching, step);
  if (at == touching.end() || at == touching.begin())
    return nullptr;
  // The last op to touch X before the step is the rope writing it whole.
  auto rope = dyn_cast<RopeOp>(*std::prev(at));
  if (!rope || rope.getInit() != buf || rope.getInput() == buf ||
      !rope.hasPureBufferSemantics())
    return nullptr;
  auto inType = cast<MemRefType>(rope.getInput().getType());
  if (!mma::hasUnitStrideRowsOrTensor(inType) ||
      inType.getShape() != bufType.getShape() ||
      inType.getElementType() != bufType.getElementType())
    return nullptr;
  // After the step, X is overwritten whole (another rope) or freed, or
  // never touched again: nothing reads what the rope would have written.
  auto next = std::next(at);
  if (next != touching.end() && *next != step) {
    auto other = dyn_cast<RopeOp>(*next);
    bool overwrites = other && other.getInit() == buf &&
                      other.getInput() != buf;
    auto dealloc = dyn_cast<memref::DeallocOp>(*next);
    if (!overwrites && !(dealloc && dealloc.getMemref() == buf))
      return nullptr;
  }
  // The step kernels write the output and the caches while they read the
  // rope's input: not the same buffer.
  Value inRoot = viewRoot(rope.getInput());
  for (Value init : cast<DestinationStyleOpInterface>(step).getDpsInits())
    if (viewRoot(init) == inRoot)
      return nullptr;
  // The rope's input and positions hold the same values at the step.
  for (Operation *op = rope->getNextNode(); op != step; op = op->getNextNode())
    for (Value v : rope->getOperands())
      if (v != buf && isa<MemRefType>(v.getType()) && mayWrite(op, v))
        return nullptr;
  return rope;
}

namespace {
/// How a step is split, from its `rat.kernel` (rat-select-kernels): at most
/// `split_k` splits of the cached states, until about `blocks` blocks run,
/// each split holding at least `tile[0]` states at the cache's capacity.
struct SplitConfig {
  int64_t maxSplits = 1, blocks = 0, minStates = 1;

  static SplitConfig from(Operation *op) {
    SplitConfig cfg;
    SmallVector<KernelAttr> variants = getKernelVariants(op);
    if (variants.empty())
      return cfg;
    KernelAttr k = variants.front();
    cfg.maxSplits = k.getSplitK();
    cfg.blocks = k.getBlocks();
    if (!k.getTile().empty())
      cfg.minStates = k.getTile()[0];
    return cfg;
  }
};

/// The decode attention steps differ only in which cached rows they read:
/// chunk step at position p: rows j in [0, c), c = p / L, new row c;
/// window step: tokens j in [lo, p), lo = max(0, p - W) (0 for W = 0), row
/// j mod R, new row p mod R.
struct StepKernel {
  Operation *op;
  Value query, key, value, output, keyCache, valueCache, position;
  /// Ropes the kernels apply to the query and the key (findFusedRope).
  RopeOp queryRope, keyRope;
  int64_t chunkSize = 0; // chunk step
  int64_t window = -1;   // window step (0: full causal)
  double scaleValue;
  RewriterBase &b;
  Location loc;
  IndexMath h;
  Type f32, et;
  /// Head size, warps per block, lanes per warp (1 and 1 in the host
  /// emulation: no shuffles, no barrier), dims per lane.
  int64_t dh, warps, lanes, per;

  template <typename OpTy>
  StepKernel(OpTy step, RewriterBase &b, bool emulate)
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
    warps = emulate ? 1 : kGpuWarps;
    lanes = emulate ? 1 : 32;
    per = dh / lanes;
    if (!emulate) {
      queryRope = findFusedRope(op, query);
      keyRope = findFusedRope(op, key);
    }
  }

  Value fconst(double v) { return mma::f32Constant(b, loc, v); }
  VectorType vecF32() { return VectorType::get({per}, f32); }
  Value broadcast(Value x) {
    return vector::BroadcastOp::create(b, loc, vecF32(), x);
  }
  /// This lane's `per` elements of a row, as f32.
  Value loadRow(Value memref, SmallVector<Value> idx, Value lane) {
    idx.push_back(h.mul(lane, per));
    Type rowEt = cast<MemRefType>(memref.getType()).getElementType();
    Value v = vector::LoadOp::create(b, loc, VectorType::get({per}, rowEt),
                                     memref, idx);
    return rowEt == f32 ? v : arith::ExtFOp::create(b, loc, vecF32(), v);
  }
  /// Rope fusion, as the rope kernel computes it (RowOpsToGPU.cpp): the
  /// position of token 0 of `rope` in sequence `batch` (f32).
  Value ropePosition(RopeOp rope, Value batch) {
    Value pos = rope.getOffset() ? rope.getOffset() : h.c(0);
    if (Value positions = rope.getPositions())
      pos = h.add(loadPosition(b, loc, positions, batch), pos);
    return indexToF32(h.div(pos, rope.getChunkSize()));
  }
  Value indexToF32(Value index) {
    return arith::UIToFPOp::create(
        b, loc, f32,
        arith::IndexCastUIOp::create(b, loc, b.getI64Type(), index));
  }
  /// Element `x` of a roped row at column i + Dh/2 * (1 - isLow), i <
  /// Dh/2, with `partner` the element Dh/2 away: x cos - partner sin in
  /// the first half, x cos + partner sin in the second (f32, unrounded).
  Value rotate(RopeOp rope, Value x, Value partner, Value isLow, Value i,
               Value position) {
    double log2Base = std::log2(rope.getBase().convertToDouble());
    Value exponentScale = fconst(-2.0 * log2Base / static_cast<double>(dh));
    auto mul = [&](Value p, Value q) {
      return arith::MulFOp::create(b, loc, p, q).getResult();
    };
    Value angle = mul(position, math::Exp2Op::create(
                                    b, loc, mul(indexToF32(i), exponentScale)));
    Value cos = math::CosOp::create(b, loc, angle);
    Value sin = math::SinOp::create(b, loc, angle);
    Value xc = mul(x, cos), ps = mul(partner, sin);
    return h.select(isLow, arith::SubFOp::create(b, loc, xc, ps),
                    arith::AddFOp::create(b, loc, xc, ps));
  }
  /// The rope's element type: its result rounded as the rope stores it.
  Value roundLikeRope(RopeOp rope, Value y) {
    Type outEt = cast<MemRefType>(rope.getInit().getType()).getElementType();
    return outEt == f32 ? y : arith::TruncFOp::create(b, loc, outEt, y);
  }
  /// This lane's `per` elements of row `idx` of the roped one-token
  /// `rope` (as loadRow of its result): the lane's dims and their partners
  /// Dh/2 away, two vector loads (a lane's dims lie in one half).
  Value ropeRow(RopeOp rope, SmallVector<Value> idx, Value lane,
                Value position) {
    Value in = rope.getInput();
    Type inEt = cast<MemRefType>(in.getType()).getElementType();
    int64_t half = dh / 2;
    Value col = h.mul(lane, per);
    Value isLow = h.lt(col, h.c(half));
    idx.push_back(h.c(0));
    auto load = [&](Value column) {
      SmallVector<Value> at(idx);
      at.push_back(column);
      Value v = vector::LoadOp::create(b, loc, VectorType::get({per}, inEt),
                                       in, at);
      return inEt == f32 ? v : arith::ExtFOp::create(b, loc, vecF32(), v);
    };
    Value xs = load(col), partners = load(h.rem(h.add(col, half), dh));
    Value first = h.rem(col, half);
    SmallVector<Value> ys;
    for (int64_t e = 0; e < per; ++e) {
      Value y = rotate(rope,
                       vector::ExtractOp::create(b, loc, xs, ArrayRef<int64_t>{e}),
                       vector::ExtractOp::create(b, loc, partners,
                                                 ArrayRef<int64_t>{e}),
                       isLow, h.add(first, e), position);
      y = roundLikeRope(rope, y);
      ys.push_back(y.getType() == f32 ? y : arith::ExtFOp::create(b, loc, f32, y));
    }
    return vector::FromElementsOp::create(b, loc, vecF32(), ys);
  }
  /// Element d of the roped one-token row (batch, head), in the rope's
  /// element type.
  Value ropeElement(RopeOp rope, Value batch, Value head, Value d,
                    Value position) {
    Value in = rope.getInput();
    int64_t half = dh / 2;
    auto load = [&](Value column) -> Value {
      Value v = memref::LoadOp::create(b, loc, in,
                                       ValueRange{batch, head, h.c(0), column});
      return v.getType() == f32 ? v : arith::ExtFOp::create(b, loc, f32, v);
    };
    Value y = rotate(rope, load(d), load(h.rem(h.add(d, half), dh)),
                     h.lt(d, h.c(half)), h.rem(d, half), position);
    return roundLikeRope(rope, y);
  }

  Value warpSum(Value v) {
    if (lanes == 1)
      return v;
    return mma::butterflyReduce(b, loc, v, {16, 8, 4, 2, 1}, /*max=*/false);
  }
  Value dot(Value x, Value y) {
    Value prod = arith::MulFOp::create(b, loc, x, y);
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, prod);
  }

  /// A running softmax state: maximum, sum (f32), this lane's slice of the
  /// unnormalised output.
  struct State {
    Value m, l, acc;
  };
  /// One member of a group update: a key (score, no sum) or a partial state.
  struct Member {
    Value max, sum, row;
  };

  /// Online-softmax update of `st` with a group of members.
  State update(State st, ArrayRef<Member> group) {
    SmallVector<Value> maxes, sums;
    for (const Member &mem : group) {
      maxes.push_back(mem.max);
      if (mem.sum)
        sums.push_back(mem.sum);
    }
    OnlineSoftmaxGroupStep step = updateOnlineSoftmaxGroup<math::Exp2Op>(
        b, loc, st.m, st.l, maxes, sums);
    Value acc = arith::MulFOp::create(b, loc, st.acc, broadcast(step.alpha));
    for (auto [mem, p] : llvm::zip(group, step.p))
      acc = arith::AddFOp::create(
          b, loc, acc, arith::MulFOp::create(b, loc, broadcast(p), mem.row));
    return {step.max, step.sum, acc};
  }

  /// Warp `warp` folds members [start, end) into `st`: each iteration takes
  /// kUnroll consecutive members per warp (warp w: base + w * kUnroll + u),
  /// issues all their loads (`fetch`), then updates once (`member` turns
  /// the loaded values into a member). Members past `end` load member
  /// `start` and are masked (maximum -inf).
  State scan(Value start, Value end, Value warp, State st,
             function_ref<SmallVector<Value>(Value)> fetch,
             function_ref<Member(ArrayRef<Value>)> member) {
    Value negInf = fconst(-INFINITY);
    auto loop = scf::ForOp::create(
        b, loc, start, end, h.c(warps * kUnroll),
        ValueRange{st.m, st.l, st.acc},
        [&](OpBuilder &, Location, Value base, ValueRange args) {
          Value first = h.add(base, h.mul(warp, kUnroll));
          SmallVector<Value> valid;
          SmallVector<SmallVector<Value>> loaded;
          for (int64_t u = 0; u < kUnroll; ++u) {
            Value j = h.add(first, u);
            valid.push_back(h.lt(j, end));
            loaded.push_back(fetch(h.select(valid.back(), j, start)));
          }
          SmallVector<Member> group;
          for (int64_t u = 0; u < kUnroll; ++u) {
            Member mem = member(loaded[u]);
            mem.max = h.select(valid[u], mem.max, negInf);
            group.push_back(mem);
          }
          State next = update({args[0], args[1], args[2]}, group);
          scf::YieldOp::create(b, loc, ValueRange{next.m, next.l, next.acc});
        });
    return {loop.getResult(0), loop.getResult(1), loop.getResult(2)};
  }

  /// Merges the warps' states through shared memory `partial` ([warps,
  /// dh + 2]: row w = [acc..., m, l]) and calls `emit` with the block's
  /// state on warp 0.
  void mergeWarps(State st, Value partial, Value warp, Value lane,
                  function_ref<void(State)> emit) {
    if (warps == 1) {
      emit(st);
      return;
    }
    vector::StoreOp::create(b, loc, st.acc, partial,
                            ValueRange{warp, h.mul(lane, per)});
    auto lane0 = scf::IfOp::create(b, loc, h.lt(lane, h.c(1)), false);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&lane0.getThenRegion().front());
      memref::StoreOp::create(b, loc, st.m, partial, ValueRange{warp, h.c(dh)});
      memref::StoreOp::create(b, loc, st.l, partial,
                              ValueRange{warp, h.c(dh + 1)});
    }
    gpu::BarrierOp::create(b, loc);
    auto merge = scf::IfOp::create(b, loc, h.lt(warp, h.c(1)), false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&merge.getThenRegion().front());
    SmallVector<Member> group;
    for (int64_t w = 0; w < warps; ++w)
      group.push_back(
          {memref::LoadOp::create(b, loc, partial, ValueRange{h.c(w), h.c(dh)}),
           memref::LoadOp::create(b, loc, partial,
                                  ValueRange{h.c(w), h.c(dh + 1)}),
           vector::LoadOp::create(b, loc, vecF32(), partial,
                                  ValueRange{h.c(w), h.mul(lane, per)})});
    emit(update({fconst(-INFINITY), fconst(0.0), zeroVector()}, group));
  }

  Value zeroVector() {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vecF32(), b.getF32FloatAttr(0.0)));
  }

  /// out[batch, head] = acc / l, in this lane's dims.
  void storeOutput(State st, Value batch, Value head, Value lane) {
    Value y = arith::MulFOp::create(
        b, loc, st.acc,
        broadcast(arith::DivFOp::create(b, loc, fconst(1.0), st.l)));
    Type outEt = cast<MemRefType>(output.getType()).getElementType();
    if (outEt != f32)
      y = arith::TruncFOp::create(b, loc, VectorType::get({per}, outEt), y);
    vector::StoreOp::create(b, loc, y, output,
                            ValueRange{batch, head, h.mul(lane, per)});
  }

  /// Launches a grid of `gridX` x heads x batches blocks of this kernel's
  /// threads and returns the launch with the insertion point in its body.
  gpu::LaunchOp launch(Value gridX, Value heads, Value batches) {
    SmallVector<Type> shared;
    if (warps > 1)
      shared.push_back(mma::sharedBuffer({warps, dh + 2}, f32));
    auto launch = gpu::LaunchOp::create(b, loc, gridX, heads, batches,
                                        h.c(warps * lanes), h.c(1), h.c(1),
                                        nullptr, nullptr, {}, shared);
    b.setInsertionPointToStart(&launch.getBody().front());
    return launch;
  }
  Value sharedPartial(gpu::LaunchOp launch) {
    return warps > 1 ? Value(launch.getWorkgroupAttributions()[0]) : Value();
  }

  /// The attention kernel over grid (splits, heads, batches). Unsplit
  /// (`partials` null, one split): the block writes out[b, h]. Split: block
  /// (s, h, b) takes the s-th of `splits` equal slices of the states the
  /// position gives and writes its (acc, m, l) to partials[b, h, s] (f32;
  /// m at column dh, l at dh + 1); split 0 also writes the cache row and
  /// adds the own state.
  void buildAttention(Value splits, Value heads, Value batches, Value hq,
                      Value rows, Value partials) {
    OpBuilder::InsertionGuard guard(b);
    gpu::LaunchOp launch = this->launch(splits, heads, batches);
    Value partial = sharedPartial(launch);
    Value split = launch.getBlockIds().x, head = launch.getBlockIds().y,
          batch = launch.getBlockIds().z;
    Value headQ = arith::RemUIOp::create(b, loc, head, hq);
    Value tid = launch.getThreadIds().x;
    Value warp = h.div(tid, lanes), lane = h.rem(tid, lanes);
    // Position arithmetic stays in the kernel: the launch then takes the
    // position itself, which a replayed CUDA graph can update, or reads the
    // sequence's own from device memory (per-sequence positions).
    Value p = loadPosition(b, loc, position, batch);
    Value keyPosition = keyRope ? ropePosition(keyRope, batch) : Value();
    Value lo, hi, newRow;
    std::function<Value(Value)> rowOf;
    if (chunkSize) {
      newRow = h.div(p, chunkSize);
      lo = h.c(0);
      hi = newRow;
      rowOf = [](Value j) { return j; };
    } else {
      newRow = arith::RemUIOp::create(b, loc, p, rows);
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
    Value start = lo, end = hi, isFirst;
    if (partials) {
      Value perSplit =
          arith::CeilDivUIOp::create(b, loc, h.sub(hi, lo), splits);
      start = h.min(h.add(lo, h.mul(split, perSplit)), hi);
      end = h.min(h.add(start, perSplit), hi);
      isFirst = h.lt(split, h.c(1));
    }
    // Cache row `newRow` takes the new key and value (split 0 alone; no
    // block reads that row).
    auto writeRow = [&] {
      scf::ForOp::create(
          b, loc, tid, h.c(dh), h.c(warps * lanes), ValueRange{},
          [&](OpBuilder &, Location, Value d, ValueRange) {
            Value kv =
                keyRope
                    ? ropeElement(keyRope, batch, head, d, keyPosition)
                    : memref::LoadOp::create(b, loc, key,
                                             ValueRange{batch, head, d});
            memref::StoreOp::create(b, loc, kv, keyCache,
                                    ValueRange{batch, head, newRow, d});
            Value vv = memref::LoadOp::create(b, loc, value,
                                              ValueRange{batch, head, d});
            memref::StoreOp::create(b, loc, vv, valueCache,
                                    ValueRange{batch, head, newRow, d});
            scf::YieldOp::create(b, loc);
          });
    };
    if (isFirst) {
      auto first = scf::IfOp::create(b, loc, isFirst, false);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&first.getThenRegion().front());
      writeRow();
    } else {
      writeRow();
    }

    Value qRow =
        queryRope ? ropeRow(queryRope, {batch, headQ}, lane,
                            ropePosition(queryRope, batch))
                  : loadRow(query, {batch, headQ}, lane);
    Value scale = fconst(scaleValue * 1.4426950408889634);
    auto score = [&](Value kRow) {
      return arith::MulFOp::create(b, loc, warpSum(dot(qRow, kRow)), scale)
          .getResult();
    };
    State st = scan(
        start, end, warp, {fconst(-INFINITY), fconst(0.0), zeroVector()},
        [&](Value j) -> SmallVector<Value> {
          Value row = rowOf(j);
          return {loadRow(keyCache, {batch, head, row}, lane),
                  loadRow(valueCache, {batch, head, row}, lane)};
        },
        [&](ArrayRef<Value> kv) -> Member {
          return {score(kv[0]), Value(), kv[1]};
        });
    // Warp 0 (of split 0): the own state, from the inputs.
    Value addsOwn = h.lt(warp, h.c(1));
    if (isFirst)
      addsOwn = h.andI(addsOwn, isFirst);
    auto own = scf::IfOp::create(b, loc, TypeRange{f32, f32, vecF32()},
                                 addsOwn, true);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&own.getThenRegion().front());
      Value kRow = keyRope ? ropeRow(keyRope, {batch, head}, lane, keyPosition)
                           : loadRow(key, {batch, head}, lane);
      Value vRow = loadRow(value, {batch, head}, lane);
      State next = update(st, {{score(kRow), Value(), vRow}});
      scf::YieldOp::create(b, loc, ValueRange{next.m, next.l, next.acc});
      b.setInsertionPointToStart(&own.getElseRegion().front());
      scf::YieldOp::create(b, loc, ValueRange{st.m, st.l, st.acc});
    }
    st = {own.getResult(0), own.getResult(1), own.getResult(2)};
    mergeWarps(st, partial, warp, lane, [&](State block) {
      if (!partials) {
        storeOutput(block, batch, head, lane);
        return;
      }
      vector::StoreOp::create(b, loc, block.acc, partials,
                              ValueRange{batch, head, split, h.mul(lane, per)});
      auto lane0 = scf::IfOp::create(b, loc, h.lt(lane, h.c(1)), false);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&lane0.getThenRegion().front());
      memref::StoreOp::create(b, loc, block.m, partials,
                              ValueRange{batch, head, split, h.c(dh)});
      memref::StoreOp::create(b, loc, block.l, partials,
                              ValueRange{batch, head, split, h.c(dh + 1)});
    });
    b.setInsertionPointToEnd(&launch.getBody().front());
    gpu::TerminatorOp::create(b, loc);
  }

  /// The merge kernel: block (h, b) folds the `splits` partial states of
  /// (b, h) (warp w: splits w * kUnroll + u, loads in flight together) with
  /// the log-sum-exp rescaling and writes out[b, h].
  void buildMerge(Value splits, Value heads, Value batches, Value partials) {
    OpBuilder::InsertionGuard guard(b);
    gpu::LaunchOp launch = this->launch(heads, batches, h.c(1));
    Value partial = sharedPartial(launch);
    Value head = launch.getBlockIds().x, batch = launch.getBlockIds().y;
    Value tid = launch.getThreadIds().x;
    Value warp = h.div(tid, lanes), lane = h.rem(tid, lanes);
    State st = scan(
        h.c(0), splits, warp, {fconst(-INFINITY), fconst(0.0), zeroVector()},
        [&](Value s) -> SmallVector<Value> {
          return {memref::LoadOp::create(b, loc, partials,
                                         ValueRange{batch, head, s, h.c(dh)}),
                  memref::LoadOp::create(
                      b, loc, partials,
                      ValueRange{batch, head, s, h.c(dh + 1)}),
                  loadRow(partials, {batch, head, s}, lane)};
        },
        [&](ArrayRef<Value> part) -> Member {
          return {part[0], part[1], part[2]};
        });
    mergeWarps(st, partial, warp, lane, [&](State block) {
      storeOutput(block, batch, head, lane);
    });
    b.setInsertionPointToEnd(&launch.getBody().front());
    gpu::TerminatorOp::create(b, loc);
  }

  void build(SplitConfig cfg) {
    b.setInsertionPoint(op);
    Value batches = memref::DimOp::create(b, loc, output, 0);
    Value heads = memref::DimOp::create(b, loc, output, 1);
    // Query heads (of the rope's input when the kernels apply the rope: its
    // result buffer is then not allocated).
    Value hq = memref::DimOp::create(
        b, loc, queryRope ? queryRope.getInput() : query, 1);
    Value rows = memref::DimOp::create(b, loc, keyCache, 2);
    Value one = h.c(1);
    auto guard = scf::IfOp::create(
        b, loc, h.andI(h.lt(h.c(0), batches), h.lt(h.c(0), heads)), false);
    b.setInsertionPointToStart(&guard.getThenRegion().front());
    if (cfg.maxSplits < 2 || cfg.blocks < 1) {
      buildAttention(one, heads, batches, hq, rows, Value());
      return;
    }
    // Splits: enough blocks for about `blocks` in all, at most `maxSplits`,
    // and at least `minStates` states per split when the cache is full (the
    // grid cannot depend on the position, which a replayed CUDA graph
    // patches; the blocks divide the states the position gives).
    Value capacity = rows;
    if (window > 0)
      capacity = h.min(rows, h.c(window));
    Value wanted = arith::CeilDivUIOp::create(b, loc, h.c(cfg.blocks),
                                              h.mul(batches, heads));
    Value byStates = arith::MaxUIOp::create(
        b, loc, h.div(capacity, cfg.minStates), one);
    Value splits = h.min(h.min(wanted, byStates), h.c(cfg.maxSplits));
    auto choice = scf::IfOp::create(b, loc, h.lt(one, splits), true);
    b.setInsertionPointToStart(&choice.getThenRegion().front());
    auto partialsType =
        MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic,
                         ShapedType::kDynamic, dh + 4},
                        f32);
    Value partials = memref::AllocOp::create(
        b, loc, partialsType, ValueRange{batches, heads, splits});
    buildAttention(splits, heads, batches, hq, rows, partials);
    buildMerge(splits, heads, batches, partials);
    memref::DeallocOp::create(b, loc, partials);
    b.setInsertionPointToStart(&choice.getElseRegion().front());
    buildAttention(one, heads, batches, hq, rows, Value());
  }
};

struct RatStepOpsToGPUPass
    : rat::impl::RatStepOpsToGPUBase<RatStepOpsToGPUPass> {
  using Base::Base;

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
    llvm::SetVector<Value> ropeResults;
    auto lower = [&](StepKernel kernel, SplitConfig cfg) {
      kernel.build(cfg);
      rewriter.eraseOp(kernel.op);
      for (RopeOp rope : {kernel.queryRope, kernel.keyRope})
        if (rope) {
          ropeResults.insert(rope.getInit());
          rewriter.eraseOp(rope);
        }
    };
    for (Operation *op : ops) {
      SplitConfig cfg = SplitConfig::from(op);
      if (auto step = dyn_cast<ChunkAttentionStepOp>(op))
        lower(StepKernel(step, rewriter, emulate), cfg);
      else
        lower(StepKernel(cast<WindowAttentionStepOp>(op), rewriter, emulate),
              cfg);
    }
    // A fused rope's buffer that nothing uses any more (views without
    // users, its deallocation) is not allocated.
    for (Value buf : ropeResults)
      eraseUnusedBuffer(rewriter, buf);
  }

  static void eraseUnusedBuffer(RewriterBase &rewriter, Value buf) {
    auto alloc = buf.getDefiningOp<memref::AllocOp>();
    if (!alloc)
      return;
    SmallVector<Operation *> dead;
    for (Operation *user : buf.getUsers()) {
      if (!isa<memref::DeallocOp>(user) &&
          !(isa<ViewLikeOpInterface>(user) && user->use_empty()))
        return;
      dead.push_back(user);
    }
    for (Operation *user : dead)
      rewriter.eraseOp(user);
    rewriter.eraseOp(alloc);
  }
};
} // namespace
