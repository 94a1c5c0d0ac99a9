//===- ChunkAttentionToMMA.cpp - chunk attention on tensor cores -*- C++ -*-=//
//
// Implements -rat-chunk-attention-to-mma: rat.chunk_attention and
// rat.window_attention on 16-bit float buffers become gpu.launch ops of a
// FlashAttention-style kernel.
//
// Query s (global position) attends to the chunk-final states
// k[jL + L - 1] for j < s / L, and to its own k[s]. One block of 4 warps
// takes 64 consecutive queries of one (batch, head); warp w owns query rows
// [16w, 16w + 16). The Q tile stays in shared memory (each step reads its
// A fragments with ldmatrix: registers go to the accumulators). Per step of
// 64 chunk states:
//   - the 64 key rows and 64 value rows (gathered at stride L tokens) were
//     staged in shared memory by cp.async before the step, as two groups;
//   - S = Q K^T on mma.sync m16n8k16; then (keys no longer needed) the next
//     step's keys start loading;
//   - masked where j >= s / L, an online softmax in f32 (row maxima and
//     sums reduced over the 4 lanes of a quad by shuffles; the scale folded
//     into exp2's argument);
//   - the probabilities are rounded to the input type and reused in
//     registers as the A operand of O += P V (V read with ldmatrix.trans);
//     then the next step's values start loading.
// So every step's copies are in flight during the previous step's math.
// The own-token term is one more step of the same kind over the tile's own
// 64 keys (staged like the states by the last state step), masked to its
// diagonal; then O / l is stored. Blocks run the query tiles with the most
// states first. The kernel asks for kMinBlocksPerSM blocks per SM
// (rat-apply-launch-bounds): with two it is latency-bound.
//
// The operands are addressed through their strides: rows of any stride
// (the value heads as a transposed view of the value scan's [B, T, H, Dv]
// buffer) whose offset and outer strides are provably multiples of 8
// elements (mma::hasAlignedRowsOrTensor), as the 16-byte cp.async copies
// need; the buffers' starts are 16-byte aligned as allocations are.
//
// On sm_90a, a chunk attention whose decision has warpgroups takes the
// wgmma kernel of ChunkAttentionWGMMA.cpp instead (AttentionKernels.h).
//
// rat.window_attention takes the same kernel with consecutive key rows
// (from the tile's first window start, 64-aligned, to its last query), a
// window-and-causal mask and no own-token term.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"
#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "AttentionKernels.h"
#include "MMAUtils.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>
#include <limits>

namespace mlir::rat {
#define GEN_PASS_DEF_RATCHUNKATTENTIONTOMMA
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;
using namespace mlir::rat;
using mma::IndexMath;

namespace {
constexpr int64_t kQueries = 64, kStates = 64, kWarps = 4;
constexpr int64_t kThreads = 32 * kWarps;
constexpr int64_t kPad = 8;
constexpr int64_t kMinBlocksPerSM = 3;
} // namespace

/// The shared operand checks of both attention kinds.
static bool canLowerAttentionToMMA(Value q, Value k, Value v, Value init) {
  SmallVector<ShapedType> types;
  for (Value x : {q, k, v, init})
    types.push_back(cast<ShapedType>(x.getType()));
  Type et = types[0].getElementType();
  if (!et.isBF16() && !et.isF16())
    return false;
  for (ShapedType t : types)
    if (t.getElementType() != et || t.getRank() != 4)
      return false;
  // Rows of any stride (a transposed view of the heads left by
  // rat-permutation-copies-to-views) whose 16-byte pieces are aligned: the
  // kernel addresses every operand through its strides, with 16-byte
  // cp.async copies and 4-byte stores.
  for (Value x : {q, k, v, init})
    if (!mma::hasAlignedRowsOrTensor(x, 8))
      return false;
  int64_t dh = types[0].getDimSize(3), dv = types[2].getDimSize(3);
  auto ok = [](int64_t d) {
    return !ShapedType::isDynamic(d) && d % 16 == 0 && d <= 128;
  };
  return ok(dh) && ok(dv) && types[1].getDimSize(3) == dh &&
         types[3].getDimSize(3) == dv;
}

bool mlir::rat::canLowerChunkAttentionToMMA(ChunkAttentionOp op) {
  return canLowerAttentionToMMA(op.getQuery(), op.getKey(), op.getValue(),
                                op.getInit());
}

bool mlir::rat::canLowerWindowAttentionToMMA(WindowAttentionOp op) {
  return op.getInits().size() == 1 &&
         canLowerAttentionToMMA(op.getQuery(), op.getKey(), op.getValue(),
                                op.getInit());
}

namespace {
/// What the kernel computes: chunk attention (keys are the chunk-final
/// states, plus the own token) or sliding-window attention over tokens.
struct AttentionSpec {
  Operation *op;
  Value q, k, v, out, offset;
  bool window;
  int64_t chunk = 0;  // L (chunk attention)
  int64_t width = 0;  // W (window attention; 0 = full causal)
  double scale;

  static AttentionSpec of(ChunkAttentionOp op) {
    return {op, op.getQuery(), op.getKey(), op.getValue(), op.getInit(),
            op.getOffset(), false, static_cast<int64_t>(op.getChunkSize()), 0,
            op.getScaleOrDefault()};
  }
  static AttentionSpec of(WindowAttentionOp op) {
    return {op, op.getQuery(), op.getKey(), op.getValue(), op.getInit(),
            op.getOffset(), true, 0, static_cast<int64_t>(op.getWindow()),
            op.getScaleOrDefault()};
  }
};

struct KernelBuilder : mma::F32Math {
  AttentionSpec spec;
  RewriterBase &b;
  IndexMath h;
  Type et, f32;
  int64_t dh, dv;

  KernelBuilder(const AttentionSpec &spec, RewriterBase &b)
      : mma::F32Math{b, spec.op->getLoc()}, spec(spec), b(b),
        h{b, spec.op->getLoc()} {
    et = cast<MemRefType>(spec.q.getType()).getElementType();
    f32 = b.getF32Type();
    dh = cast<MemRefType>(spec.q.getType()).getDimSize(3);
    dv = cast<MemRefType>(spec.v.getType()).getDimSize(3);
  }

  Value quadReduce(Value v, bool max) {
    return mma::butterflyReduce(b, loc, v, {1, 2}, max);
  }

  /// cp.async of `rows` x `width` elements into `smem` rows [0, rows), from
  /// `src[b, head, srcRow(r), :]` (rows with `valid(r)` false are
  /// zero-filled); returns the group token.
  Value stage(Value tid, Value src, Value batch, Value head, Value smem,
              int64_t width, function_ref<Value(Value)> srcRow,
              function_ref<Value(Value)> valid) {
    MLIRContext *ctx = b.getContext();
    int64_t perRow = width / 8;
    int64_t pieces = kQueries * perRow / kThreads;
    SmallVector<Value> tokens;
    Value zero = h.c(0), eight = h.c(8);
    for (int64_t i = 0; i < pieces; ++i) {
      Value p = h.add(tid, i * kThreads);
      Value row = h.div(p, perRow), col = h.mul(h.rem(p, perRow), 8);
      Value ok = valid(row);
      Value sr = h.select(ok, srcRow(row), zero);
      tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
          b, loc, nvgpu::DeviceAsyncTokenType::get(ctx), smem,
          ValueRange{row, col}, src, ValueRange{batch, head, sr, col},
          b.getIndexAttr(8), h.select(ok, eight, zero), nullptr));
    }
    return nvgpu::DeviceAsyncCreateGroupOp::create(
        b, loc, nvgpu::DeviceAsyncTokenType::get(ctx), tokens);
  }

  void build() {
    b.setInsertionPoint(spec.op);
    Value q = spec.q, k = spec.k, v = spec.v, out = spec.out;
    Value batches = memref::DimOp::create(b, loc, out, 0);
    Value heads = memref::DimOp::create(b, loc, out, 1);
    Value tq = memref::DimOp::create(b, loc, out, 2);
    Value hq = memref::DimOp::create(b, loc, q, 1);
    Value hk = memref::DimOp::create(b, loc, k, 1);
    Value offset = spec.offset ? spec.offset : h.c(0);
    int64_t L = spec.chunk, W = spec.width;
    // exp(x * scale) = exp2(x * scale * log2(e)).
    double scale2 = spec.scale * 1.4426950408889634;
    Value tiles = arith::CeilDivUIOp::create(b, loc, tq, h.c(kQueries));
    Value nonEmpty = h.andI(h.lt(h.c(0), tiles),
                            h.andI(h.lt(h.c(0), batches), h.lt(h.c(0), heads)));
    auto guard = scf::IfOp::create(b, loc, nonEmpty, false);
    b.setInsertionPointToStart(&guard.getThenRegion().front());
    Value one = h.c(1);
    auto qType = mma::sharedBuffer({kQueries, dh + kPad}, et);
    auto kType = mma::sharedBuffer({kStates, dh + kPad}, et);
    auto vType = mma::sharedBuffer({kStates, dv + kPad}, et);
    auto launch = gpu::LaunchOp::create(b, loc, tiles, heads, batches,
                                        h.c(kThreads), one, one, nullptr,
                                        nullptr, {}, TypeRange{kType, vType, qType});
    b.setInsertionPointToStart(&launch.getBody().front());
    Value smK = launch.getWorkgroupAttributions()[0];
    Value smV = launch.getWorkgroupAttributions()[1];
    Value smQ = launch.getWorkgroupAttributions()[2];
    Value tid = launch.getThreadIds().x;
    Value lane = h.rem(tid, 32), warp = h.div(tid, 32);
    // Heaviest query tiles (most states) first.
    Value tile = h.sub(h.sub(tiles, one), launch.getBlockIds().x);
    Value t0 = h.mul(tile, kQueries);
    Value head = launch.getBlockIds().y, batch = launch.getBlockIds().z;
    Value headQ = arith::RemUIOp::create(b, loc, head, hq);
    Value headK = arith::RemUIOp::create(b, loc, head, hk);
    Value zero = h.c(0);

    // The Q tile stays in shared memory; each step reads its A fragments
    // (16 rows per warp) with ldmatrix, which leaves the registers to the
    // accumulators. Its copies are the first cp.async group, waited for
    // with the first step's keys.
    Value qToken = stage(
        tid, q, batch, headQ, smQ, dh,
        [&](Value r) { return h.add(t0, r); },
        [&](Value r) { return h.lt(h.add(t0, r), tq); });
    Value aRow = h.add(h.mul(warp, 16), h.rem(lane, 16));
    Value aCol = h.mul(h.div(lane, 16), 8);

    // This thread's two query rows (tile rows r0 and r0 + 8).
    Value r0 = h.add(h.mul(warp, 16), h.div(lane, 4));
    Value colInFrag = h.mul(h.rem(lane, 4), 2);
    // Chunk attention: the states j < chunk(s) of a query at position s.
    // Window attention: the keys at positions max(0, s - W) .. s.
    SmallVector<Value> token(2), limit(2);
    for (int64_t i = 0; i < 2; ++i) {
      token[i] = h.add(t0, h.add(r0, 8 * i));
      Value pos = h.add(offset, token[i]);
      limit[i] = spec.window ? pos : h.div(pos, L);
    }
    Value lastToken = h.min(h.add(t0, kQueries - 1), h.sub(tq, one));
    // Key rows (states) [first, numStates) are visited, kStates per step.
    Value first = zero, numStates;
    if (spec.window) {
      Value keys = memref::DimOp::create(b, loc, k, 2);
      numStates = h.min(h.add(h.add(offset, lastToken), one), keys);
      if (W > 0) {
        Value low = h.add(offset, t0);
        Value from = h.select(h.lt(low, h.c(W)), zero, h.sub(low, h.c(W)));
        first = h.mul(h.div(from, kStates), kStates);
      }
    } else {
      numStates = h.div(h.add(offset, lastToken), L);
    }

    int64_t sTiles = kStates / 8, oTiles = dv / 8;
    Value negInf = fconst(-INFINITY), fzero = fconst(0.0);
    SmallVector<Value> inits(oTiles * 4, fzero);
    inits.append({negInf, negInf, fzero, fzero}); // m0, m1, l0, l1
    Value bRow = h.add(h.rem(lane, 8), h.mul(h.div(lane, 16), 8));
    Value bCol = h.mul(h.rem(h.div(lane, 8), 2), 8);
    Value scale2v = fconst(scale2);
    bool foldScale = scale2 > 0;
    Value negScale2v = fconst(-scale2);

    // Key rows of a step: step j0 < numStates covers the states (window:
    // keys) [j0, j0 + kStates); chunk attention ends with one more step over
    // the tile's own keys (positions offset + t0 + r).
    auto stateRow = [&](Value j0, Value r) {
      return spec.window ? h.add(j0, r) : h.add(h.mul(h.add(j0, r), L), L - 1);
    };
    auto stateValid = [&](Value j0, Value r) {
      return h.lt(h.add(j0, r), numStates);
    };
    auto ownRow = [&](Value r) { return h.add(offset, h.add(t0, r)); };
    auto ownValid = [&](Value r) { return h.lt(h.add(t0, r), tq); };
    // The copies of step j0's keys (which = k) or values (which = v) into
    // their shared buffer, as one cp.async group. A step at or past
    // numStates is the own-token step (chunk attention) or nothing to load
    // (window attention: zero-filled, never read).
    auto stageStep = [&](Value which, Value smem, Value headOf, int64_t width,
                         Value j0) {
      Value isState = h.lt(j0, numStates);
      auto row = [&](Value r) {
        if (spec.window)
          return stateRow(j0, r);
        return h.select(isState, stateRow(j0, r), ownRow(r));
      };
      auto valid = [&](Value r) {
        if (spec.window)
          return stateValid(j0, r);
        return h.select(isState, stateValid(j0, r), ownValid(r));
      };
      stage(tid, which, batch, headOf, smem, width, row, valid);
    };
    auto waitGroups = [&](int64_t pending) {
      nvgpu::DeviceAsyncWaitOp::create(b, loc, qToken,
                                       b.getI32IntegerAttr(pending));
    };

    // One step of kStates keys, software-pipelined: the keys and values of
    // this step were staged before it (keys and values as two cp.async
    // groups); S = Q K^T; then the keys of the next step are staged while
    // the scores are masked where !visible(j, i) (key j = j0 + column, query
    // row i of the two this thread holds) and the online softmax updates
    // (o, m, l); O += P V; then the values of the next step are staged.
    // `next` issues the next step's copies of k (argument true) or v, or
    // nothing (then `hasNext` is false). Returns the updated o..., m0, m1, l0, l1.
    auto emitStep = [&](Value j0, ValueRange carried,
                        function_ref<Value(Value, int64_t)> visible,
                        function_ref<void(bool)> next, bool hasNext) {
      SmallVector<Value> o(carried.take_front(oTiles * 4));
      SmallVector<Value> m{carried[oTiles * 4], carried[oTiles * 4 + 1]};
      SmallVector<Value> l{carried[oTiles * 4 + 2], carried[oTiles * 4 + 3]};
      // This step's keys have landed (its values may still be in flight).
      waitGroups(1);
      gpu::BarrierOp::create(b, loc);

      // S = Q K^T (16 x 64 per warp).
      SmallVector<Value> s(sTiles * 4, fzero);
      for (int64_t ks = 0; ks < dh / 16; ++ks) {
        SmallVector<Value> qFrag = mma::loadMatrixX4(
            b, loc, smQ, ValueRange{aRow, h.add(aCol, ks * 16)},
            /*transpose=*/false);
        for (int64_t np = 0; np < sTiles / 2; ++np) {
          SmallVector<Value> regs = mma::loadMatrixX4(
              b, loc, smK,
              ValueRange{h.add(bRow, np * 16), h.add(bCol, ks * 16)}, false);
          for (int64_t half = 0; half < 2; ++half) {
            int64_t base = (2 * np + half) * 4;
            SmallVector<Value> next = mma::mmaSync(
                b, loc, et, qFrag, {regs[2 * half], regs[2 * half + 1]},
                ArrayRef<Value>(s.data() + base, 4));
            std::copy(next.begin(), next.end(), s.begin() + base);
          }
        }
      }
      // Every warp is done with the keys: the next step's keys load while
      // this step's softmax and P V run.
      gpu::BarrierOp::create(b, loc);
      next(/*keys=*/true);
      // Mask. The softmax runs on unscaled scores (scale > 0 keeps the
      // maximum), folding the scale into exp2's argument: one fma each.
      for (int64_t nt = 0; nt < sTiles; ++nt)
        for (int64_t e = 0; e < 4; ++e) {
          Value j = h.add(j0, h.add(colInFrag, nt * 8 + e % 2));
          Value raw = s[nt * 4 + e];
          if (!foldScale)
            raw = fmul(raw, scale2v);
          s[nt * 4 + e] = h.select(visible(j, e / 2), raw, negInf);
        }
      // Online softmax per row.
      for (int64_t i = 0; i < 2; ++i) {
        Value mx = negInf;
        for (int64_t nt = 0; nt < sTiles; ++nt)
          for (int64_t e = 2 * i; e < 2 * i + 2; ++e)
            mx = fmax(mx, s[nt * 4 + e]);
        mx = quadReduce(mx, /*max=*/true);
        Value mNew = fmax(m[i], mx);
        Value isInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                            mNew, negInf);
        Value mUse = h.select(isInf, fzero, mNew);
        Value alpha, negBias;
        if (foldScale) {
          alpha = exp2(fmul(fsub(m[i], mUse), scale2v));
          negBias = fmul(mUse, negScale2v);
        } else {
          alpha = exp2(fsub(m[i], mUse));
          negBias = arith::NegFOp::create(b, loc, mUse);
        }
        Value sum = fzero;
        for (int64_t nt = 0; nt < sTiles; ++nt)
          for (int64_t e = 2 * i; e < 2 * i + 2; ++e) {
            Value arg = foldScale ? math::FmaOp::create(b, loc, s[nt * 4 + e],
                                                        scale2v, negBias)
                                         .getResult()
                                  : fadd(s[nt * 4 + e], negBias);
            Value p = exp2(arg);
            s[nt * 4 + e] = p;
            sum = fadd(sum, p);
          }
        sum = quadReduce(sum, /*max=*/false);
        l[i] = fadd(fmul(l[i], alpha), sum);
        m[i] = mNew;
        for (int64_t nt = 0; nt < oTiles; ++nt)
          for (int64_t e = 2 * i; e < 2 * i + 2; ++e)
            o[nt * 4 + e] = fmul(o[nt * 4 + e], alpha);
      }
      // P as A fragments: k-slice kp = score tiles 2kp, 2kp+1.
      SmallVector<SmallVector<Value>> pFrag;
      for (int64_t kp = 0; kp < kStates / 16; ++kp) {
        const Value *lo = s.data() + 2 * kp * 4, *hi = lo + 4;
        pFrag.push_back({mma::packPair(b, loc, lo[0], lo[1], et),
                         mma::packPair(b, loc, lo[2], lo[3], et),
                         mma::packPair(b, loc, hi[0], hi[1], et),
                         mma::packPair(b, loc, hi[2], hi[3], et)});
      }
      // This step's values have landed (the next step's keys may still be
      // in flight).
      waitGroups(hasNext ? 1 : 0);
      gpu::BarrierOp::create(b, loc);
      // O += P V.
      Value vRow = h.rem(lane, 16), vCol = h.mul(h.div(lane, 16), 8);
      for (int64_t kp = 0; kp < kStates / 16; ++kp)
        for (int64_t dp = 0; dp < oTiles / 2; ++dp) {
          SmallVector<Value> regs = mma::loadMatrixX4(
              b, loc, smV,
              ValueRange{h.add(vRow, kp * 16), h.add(vCol, dp * 16)},
              /*transpose=*/true);
          for (int64_t half = 0; half < 2; ++half) {
            int64_t base = (2 * dp + half) * 4;
            SmallVector<Value> next = mma::mmaSync(
                b, loc, et, pFrag[kp], {regs[2 * half], regs[2 * half + 1]},
                ArrayRef<Value>(o.data() + base, 4));
            std::copy(next.begin(), next.end(), o.begin() + base);
          }
        }
      // Every warp is done with the values: the next step's load.
      gpu::BarrierOp::create(b, loc);
      next(/*keys=*/false);
      SmallVector<Value> results = o;
      results.append({m[0], m[1], l[0], l[1]});
      return results;
    };

    // Chunk attention: states j < chunk(s); window attention: keys
    // s - W <= j <= s.
    auto visibleState = [&](Value j, int64_t i) {
      Value lim = limit[i];
      if (!spec.window)
        return h.lt(j, lim);
      Value visible = h.lt(j, h.add(lim, one));
      if (W > 0)
        visible = h.andI(visible, h.lt(lim, h.add(j, h.c(W + 1))));
      return visible;
    };
    // The first step's keys and values (the own-token step when the tile
    // has no states).
    stageStep(k, smK, headK, dh, first);
    stageStep(v, smV, head, dv, first);
    auto loop = scf::ForOp::create(b, loc, first, numStates, h.c(kStates),
                                   inits);
    // The kernel is latency-bound with two blocks per SM (each step waits on
    // shared-memory and exp2 results): ask ptxas for a register budget that
    // lets kMinBlocksPerSM run (the gpu.launch's own attributes do not
    // survive outlining; rat-apply-launch-bounds moves this onto the kernel).
    loop->setAttr(kMinBlocksPerSMAttrName, b.getI64IntegerAttr(kMinBlocksPerSM));
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      Value j0 = loop.getInductionVar();
      Value jNext = h.add(j0, kStates);
      auto next = [&](bool keys) {
        if (keys)
          stageStep(k, smK, headK, dh, jNext);
        else
          stageStep(v, smV, head, dv, jNext);
      };
      scf::YieldOp::create(
          b, loc, emitStep(j0, loop.getRegionIterArgs(), visibleState, next,
                   /*hasNext=*/true));
    }
    SmallVector<Value> final(loop.getResults());
    if (!spec.window) {
      // The own-token term as one more step over the tile's own keys (staged
      // by the last state step, or before the loop), each query seeing only
      // its own: the diagonal of a 64 x 64 score tile.
      auto diagonal = [&](Value j, int64_t i) {
        return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, j,
                                     token[i]);
      };
      final = emitStep(t0, final, diagonal, [](bool) {}, /*hasNext=*/false);
    }
    // No copy may still be in flight when the block exits.
    waitGroups(0);
    // Every query sees its own key: l > 0. Normalise and store.
    for (int64_t i = 0; i < 2; ++i) {
      Value inv = arith::DivFOp::create(b, loc, fconst(1.0),
                                        final[oTiles * 4 + 2 + i]);
      auto ifOp = scf::IfOp::create(b, loc, h.lt(token[i], tq), false);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      for (int64_t nt = 0; nt < oTiles; ++nt) {
        Value col = h.add(colInFrag, nt * 8);
        mma::storePair(b, loc, fmul(final[nt * 4 + 2 * i], inv),
                       fmul(final[nt * 4 + 2 * i + 1], inv), out,
                       ValueRange{batch, head, token[i], col});
      }
    }
    gpu::TerminatorOp::create(b, loc);
  }
};

struct RatChunkAttentionToMMAPass
    : rat::impl::RatChunkAttentionToMMABase<RatChunkAttentionToMMAPass> {
  void runOnOperation() override {
    SmallVector<AttentionSpec> ops;
    SmallVector<std::pair<ChunkAttentionOp, AttentionWgmmaConfig>> wgmma;
    bool failed = false;
    getOperation().walk([&](Operation *op) {
      if (getKernelFamily(op) != KernelFamily::attention_mma)
        return;
      KernelAttr decision = getKernelVariants(op).front();
      if (auto attn = dyn_cast<ChunkAttentionOp>(op)) {
        if (!attn.hasPureBufferSemantics() || !mma::isHostLevel(op) ||
            !canLowerChunkAttentionToMMA(attn))
          return;
        if (!isWgmmaAttention(decision)) {
          ops.push_back(AttentionSpec::of(attn));
          return;
        }
        // rat-select-kernels checked the configuration against the chip.
        auto cfg = AttentionWgmmaConfig::from(decision);
        if (std::string why =
                cfg.unsupported(attn, std::numeric_limits<int64_t>::max());
            !why.empty()) {
          op->emitError("rat-chunk-attention-to-mma: ") << why;
          failed = true;
          return;
        }
        wgmma.push_back({attn, cfg});
      } else if (auto attn = dyn_cast<WindowAttentionOp>(op)) {
        if (isWgmmaAttention(decision)) {
          op->emitError("rat-chunk-attention-to-mma: the wgmma attention "
                        "kernel takes rat.chunk_attention only");
          failed = true;
          return;
        }
        if (attn.hasPureBufferSemantics() && mma::isHostLevel(op) &&
            canLowerWindowAttentionToMMA(attn))
          ops.push_back(AttentionSpec::of(attn));
      }
    });
    if (failed)
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    for (const AttentionSpec &spec : ops) {
      KernelBuilder(spec, rewriter).build();
      rewriter.eraseOp(spec.op);
    }
    for (auto &[attn, cfg] : wgmma) {
      // An elementwise consumer of the output (the output gate and the
      // head merge) runs in the kernel's epilogue.
      std::optional<AttentionConsumer> consumer = findAttentionConsumer(attn);
      buildChunkAttentionWgmma(attn, cfg, consumer ? &*consumer : nullptr,
                               rewriter);
      Value out = attn.getInit();
      rewriter.eraseOp(attn);
      if (!consumer)
        continue;
      rewriter.eraseOp(consumer->generic);
      // The output buffer that only the consumer read is not needed.
      if (auto alloc = out.getDefiningOp<memref::AllocOp>();
          alloc && llvm::all_of(out.getUsers(), [](Operation *user) {
            return isa<memref::DeallocOp>(user);
          })) {
        for (Operation *user : llvm::make_early_inc_range(out.getUsers()))
          rewriter.eraseOp(user);
        rewriter.eraseOp(alloc);
      }
    }
  }
};
} // namespace
