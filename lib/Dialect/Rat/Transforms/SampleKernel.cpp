//===- SampleKernel.cpp - the rat.sample row kernel -------------*- C++ -*-===//
//
// The rat.sample kernel of -rat-row-ops-to-gpu: one block of kThreads
// threads per row of logits. It makes the choice of Sampling.h with the same
// per-logit values (keys, weights, Gumbel scores are built by Sampling.cpp)
// but few passes over the row; the threads walk the row with a stride of the
// block (coalesced), kUnroll loads in flight per thread:
//   1. the first maximum: one pass, argmax combined with butterfly shuffles
//      in each warp and shared memory across warps;
//   2. the top-k key (the k-th largest key, 0 < k < V): radix select, 8-bit
//      digits from the top, one pass per digit (4 instead of the 32 of the
//      bisection): the logits whose key starts with the digits found so far
//      are counted into a shared 256-bin histogram, then one warp finds the
//      bin that holds the k-th largest (a suffix scan with shuffles);
//   3. the candidates (not NaN, key >= the top-k key) are appended to shared
//      memory; when there are at most kMaxCandidates (top-k set, or V small)
//      they are sorted by column and
//      - top-p: the allowed key is the largest candidate key whose mass
//        (weights of the candidates with a key at least as large, summed in
//        column order, as the one-thread loop of the CPU sums them) reaches
//        p times the mass of all candidates: what the bisection of Sampling.h
//        finds, since the mass only changes at candidate keys; one thread per
//        candidate;
//      - the Gumbel-max draw over the candidates only;
//   4. otherwise (no top-k over a large row, or ties that leave more than
//      kMaxCandidates): Sampling.h's bisection and draw over the row.
//
//===----------------------------------------------------------------------===//

#include "SampleKernel.h"

#include "rat/Dialect/Rat/IR/RatOps.h"
#include "rat/Dialect/Rat/Utils/Sampling.h"

#include "MMAUtils.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <limits>

using namespace mlir;
using namespace mlir::rat;
using mma::IndexMath;

namespace {
struct SampleKernel {
  static constexpr int64_t kWarps = 32, kThreads = 32 * kWarps;
  /// Loads per thread issued together when walking the row.
  static constexpr int64_t kUnroll = 8;
  /// Radix select digits: 8 bits, 4 passes.
  static constexpr int64_t kDigitBits = 8, kBins = 1 << kDigitBits;
  static constexpr int64_t kBinsPerLane = kBins / 32;
  /// The candidates of step 3 kept in shared memory: one per thread.
  static constexpr int64_t kMaxCandidates = kThreads;
  /// Slots of the shared `state` buffer: (bin, remaining count) per radix
  /// pass, then the candidate counter.
  static constexpr int64_t kCounterSlot = 2 * (32 / kDigitBits);

  RewriterBase &b;
  Location loc;
  IndexMath h;
  Type f32, i32;
  Value tid, lane, warp;
  // Shared buffers: cross-warp reductions, the radix histogram, small
  // state, the candidates as appended and sorted by column.
  Value redF, redI, hist, state, candCol, candX, sortCol, sortX, sortKey, sortW;
  Value logits, row, vocab;

  SampleKernel(RewriterBase &b, Location loc)
      : b(b), loc(loc), h{b, loc}, f32(b.getF32Type()), i32(b.getI32Type()) {}

  Value ci(int64_t v) {
    return arith::ConstantOp::create(
        b, loc, b.getI32IntegerAttr(static_cast<int32_t>(v)));
  }
  Value negInf() {
    return mma::f32Constant(b, loc, -std::numeric_limits<double>::infinity());
  }
  Value cmpI(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value cmpF(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, p, x, y);
  }
  Value toI32(Value index) {
    return arith::IndexCastOp::create(b, loc, i32, index);
  }
  Value toIndex(Value v) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  }
  Value load(Value buffer, Value index) {
    return memref::LoadOp::create(b, loc, buffer, ValueRange{index});
  }
  void store(Value v, Value buffer, Value index) {
    memref::StoreOp::create(b, loc, v, buffer, ValueRange{index});
  }
  void barrier() { gpu::BarrierOp::create(b, loc); }

  /// Runs `then` when `cond` holds.
  void ifThen(Value cond, function_ref<void()> then) {
    auto op = scf::IfOp::create(b, loc, cond, false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&op.getThenRegion().front());
    then();
  }
  /// `then()` when `cond`, else `otherwise()`, as an scf.if.
  SmallVector<Value> ifElse(Value cond, TypeRange types,
                            function_ref<SmallVector<Value>()> then,
                            function_ref<SmallVector<Value>()> otherwise) {
    auto op = scf::IfOp::create(b, loc, types, cond, true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&op.getThenRegion().front());
      scf::YieldOp::create(b, loc, then());
      b.setInsertionPointToStart(&op.getElseRegion().front());
      scf::YieldOp::create(b, loc, otherwise());
    }
    return SmallVector<Value>(op.getResults());
  }
  Value ifElse1(Value cond, Type type, function_ref<Value()> then,
                function_ref<Value()> otherwise) {
    return ifElse(
        cond, type, [&] { return SmallVector<Value>{then()}; },
        [&] { return SmallVector<Value>{otherwise()}; })[0];
  }

  Value shuffleXor(Value v, int32_t offset) {
    return gpu::ShuffleOp::create(b, loc, v, offset, 32, gpu::ShuffleMode::XOR)
        .getShuffleResult();
  }

  /// The larger of two (value, column) pairs, ties to the smaller column.
  SmallVector<Value> argmaxPair(ValueRange x, ValueRange y) {
    Value greater = cmpF(arith::CmpFPredicate::OGT, y[0], x[0]);
    Value equal = cmpF(arith::CmpFPredicate::OEQ, y[0], x[0]);
    Value earlier = cmpI(arith::CmpIPredicate::slt, y[1], x[1]);
    Value better =
        arith::OrIOp::create(b, loc, greater, h.andI(equal, earlier));
    return {h.select(better, y[0], x[0]), h.select(better, y[1], x[1])};
  }

  /// Combines one value (or pair) per thread over the block with `combine`
  /// (commutative and associative for the values combined): butterfly
  /// shuffles in each warp, the warps' results through shared memory (one
  /// per lane: kWarps == 32), a butterfly again. Every thread gets it.
  SmallVector<Value>
  overBlock(SmallVector<Value> v,
            function_ref<SmallVector<Value>(ValueRange, ValueRange)> combine) {
    auto warpReduce = [&](SmallVector<Value> x) {
      for (int32_t offset : {16, 8, 4, 2, 1}) {
        SmallVector<Value> other;
        for (Value e : x)
          other.push_back(shuffleXor(e, offset));
        x = combine(x, other);
      }
      return x;
    };
    auto buffer = [&](Value e) {
      return isa<FloatType>(e.getType()) ? redF : redI;
    };
    v = warpReduce(v);
    ifThen(h.lt(lane, h.c(1)), [&] {
      for (Value e : v) // at most one value per buffer
        store(e, buffer(e), warp);
    });
    barrier();
    SmallVector<Value> mine;
    for (Value e : v)
      mine.push_back(load(buffer(e), lane));
    v = warpReduce(mine);
    // The buffers are written again by the next reduction.
    barrier();
    return v;
  }
  std::pair<Value, Value> blockArgmax(Value v, Value i) {
    SmallVector<Value> r = overBlock(
        {v, i}, [&](ValueRange x, ValueRange y) { return argmaxPair(x, y); });
    return {r[0], r[1]};
  }
  Value blockSum(Value v) {
    return overBlock({v}, [&](ValueRange x, ValueRange y) {
      if (isa<FloatType>(x[0].getType()))
        return SmallVector<Value>{arith::AddFOp::create(b, loc, x[0], y[0])};
      return SmallVector<Value>{arith::AddIOp::create(b, loc, x[0], y[0])};
    })[0];
  }
  Value blockMaxUI(Value v) {
    return overBlock({v}, [&](ValueRange x, ValueRange y) {
      return SmallVector<Value>{arith::MaxUIOp::create(b, loc, x[0], y[0])};
    })[0];
  }

  /// The logit at `col` (index) as f32.
  Value logit(Value col) {
    Value x = memref::LoadOp::create(b, loc, logits, ValueRange{row, col});
    return x.getType() == f32 ? x : arith::ExtFOp::create(b, loc, f32, x);
  }

  /// Walks this thread's columns tid, tid + kThreads, ... in order, kUnroll
  /// loads issued before their uses; `body` gets the column (index), whether
  /// it is in the row (i1; a column past the row reads the last logit), the
  /// logit and the carried values and returns the next.
  SmallVector<Value> walkRow(
      ValueRange inits,
      function_ref<SmallVector<Value>(Value, Value, Value, ValueRange)> body) {
    auto loop = scf::ForOp::create(
        b, loc, tid, vocab, h.c(kThreads * kUnroll), inits,
        [&](OpBuilder &, Location, Value base, ValueRange carried) {
          Value last = h.sub(vocab, h.c(1));
          SmallVector<Value> cols, valid, xs;
          for (int64_t j = 0; j < kUnroll; ++j) {
            cols.push_back(h.add(base, j * kThreads));
            valid.push_back(h.lt(cols.back(), vocab));
            xs.push_back(logit(h.min(cols.back(), last)));
          }
          SmallVector<Value> acc(carried);
          for (int64_t j = 0; j < kUnroll; ++j)
            acc = body(cols[j], valid[j], xs[j], acc);
          scf::YieldOp::create(b, loc, acc);
        });
    return SmallVector<Value>(loop.getResults());
  }

  Value notNaN(Value x) { return cmpF(arith::CmpFPredicate::ORD, x, x); }

  /// Step 1: this thread's first maximum, then the block's.
  std::pair<Value, Value> firstMax() {
    SmallVector<Value> best =
        walkRow({negInf(), ci(0)}, [&](Value col, Value valid, Value x,
                                       ValueRange carried) {
          Value better =
              h.andI(valid, cmpF(arith::CmpFPredicate::OGT, x, carried[0]));
          return SmallVector<Value>{h.select(better, x, carried[0]),
                                    h.select(better, toI32(col), carried[1])};
        });
    return blockArgmax(best[0], best[1]);
  }

  /// Step 2: the k-th largest key of the row's non-NaN logits, 0 when there
  /// are fewer than k (the largest t with at least k keys >= t).
  Value topKKey(Value k) {
    Value prefix = ci(0), remaining = k, found;
    for (int64_t pass = 0; pass < 32 / kDigitBits; ++pass) {
      int64_t shift = 32 - kDigitBits * (pass + 1);
      uint32_t highMask = pass == 0 ? 0u : ~uint32_t(0) << (shift + kDigitBits);
      Value binSlot = h.c(2 * pass), remainingSlot = h.c(2 * pass + 1);
      ifThen(h.lt(tid, h.c(kBins)), [&] { store(ci(0), hist, tid); });
      ifThen(h.lt(tid, h.c(1)), [&] { store(ci(-1), state, binSlot); });
      barrier();
      walkRow({}, [&](Value, Value valid, Value x, ValueRange) {
        Value key = buildSampleKey(b, loc, x);
        Value high = arith::AndIOp::create(b, loc, key, ci(highMask));
        Value counted = h.andI(h.andI(valid, notNaN(x)),
                               cmpI(arith::CmpIPredicate::eq, high, prefix));
        ifThen(counted, [&] {
          Value bin = arith::AndIOp::create(
              b, loc, arith::ShRUIOp::create(b, loc, key, ci(shift)),
              ci(kBins - 1));
          memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addi, ci(1),
                                      hist, ValueRange{toIndex(bin)});
        });
        return SmallVector<Value>{};
      });
      barrier();
      // Warp 0: lane l holds bins l * kBinsPerLane ...; the count in the
      // bins above a lane's is a suffix scan of the lanes' sums.
      ifThen(h.lt(tid, h.c(32)), [&] {
        SmallVector<Value> counts;
        Value sum = ci(0);
        for (int64_t j = 0; j < kBinsPerLane; ++j) {
          counts.push_back(load(hist, h.add(h.mul(lane, kBinsPerLane), j)));
          sum = arith::AddIOp::create(b, loc, sum, counts.back());
        }
        Value suffix = sum;
        for (int32_t offset : {1, 2, 4, 8, 16}) {
          auto down = gpu::ShuffleOp::create(b, loc, suffix, offset, 32,
                                             gpu::ShuffleMode::DOWN);
          suffix = arith::AddIOp::create(
              b, loc, suffix,
              h.select(down.getValid(), down.getShuffleResult(), ci(0)));
        }
        // above: the count in the bins above the current one.
        Value above = arith::SubIOp::create(b, loc, suffix, sum);
        for (int64_t j = kBinsPerLane - 1; j >= 0; --j) {
          Value through = arith::AddIOp::create(b, loc, above, counts[j]);
          Value hit =
              h.andI(cmpI(arith::CmpIPredicate::slt, above, remaining),
                     cmpI(arith::CmpIPredicate::sle, remaining, through));
          Value bin = h.add(h.mul(lane, kBinsPerLane), j);
          Value aboveHere = above;
          ifThen(hit, [&] {
            store(toI32(bin), state, binSlot);
            store(arith::SubIOp::create(b, loc, remaining, aboveHere), state,
                  remainingSlot);
          });
          above = through;
        }
      });
      barrier();
      Value bin = load(state, binSlot);
      if (pass == 0)
        found = cmpI(arith::CmpIPredicate::sge, bin, ci(0));
      Value digit = h.select(found, bin, ci(0));
      prefix = arith::OrIOp::create(
          b, loc, prefix, arith::ShLIOp::create(b, loc, digit, ci(shift)));
      remaining = load(state, remainingSlot);
    }
    return h.select(found, prefix, ci(0));
  }

  /// Step 3: appends the candidates (not NaN, key >= `tauK`) to candCol /
  /// candX while there is room; returns their number.
  Value gatherCandidates(Value tauK) {
    Value counter = h.c(kCounterSlot);
    walkRow({}, [&](Value col, Value valid, Value x, ValueRange) {
      Value in = h.andI(
          h.andI(valid, notNaN(x)),
          cmpI(arith::CmpIPredicate::uge, buildSampleKey(b, loc, x), tauK));
      ifThen(in, [&] {
        Value slot =
            memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addi,
                                        ci(1), state, ValueRange{counter});
        ifThen(cmpI(arith::CmpIPredicate::slt, slot, ci(kMaxCandidates)), [&] {
          store(toI32(col), candCol, toIndex(slot));
          store(x, candX, toIndex(slot));
        });
      });
      return SmallVector<Value>{};
    });
    barrier();
    return load(state, counter);
  }

  /// Steps 3 and 4 over `n` <= kMaxCandidates gathered candidates.
  Value drawFromCandidates(Value n, Value tauK, Value max, Value t, Value topP,
                           Value seed, Value position) {
    Value nIndex = toIndex(n);
    Value mine = h.lt(tid, nIndex);
    // Sorted by column (columns are distinct): a candidate's place is the
    // number of smaller columns.
    ifThen(mine, [&] {
      Value col = load(candCol, tid);
      Value x = load(candX, tid);
      auto count = scf::ForOp::create(
          b, loc, h.c(0), nIndex, h.c(1), ValueRange{h.c(0)},
          [&](OpBuilder &, Location, Value j, ValueRange carried) {
            Value smaller =
                cmpI(arith::CmpIPredicate::slt, load(candCol, j), col);
            scf::YieldOp::create(
                b, loc,
                ValueRange{
                    h.select(smaller, h.add(carried[0], 1), carried[0])});
          });
      Value place = count.getResult(0);
      store(col, sortCol, place);
      store(x, sortX, place);
      store(buildSampleKey(b, loc, x), sortKey, place);
      store(buildSampleWeight(b, loc, x, max, t), sortW, place);
    });
    barrier();
    // Top-p: the bisection of Sampling.h finds the largest key t whose mass
    // (candidates with key >= max(t, tauK)) reaches p times the mass of all
    // candidates; the mass only changes at candidate keys, so t is the
    // largest candidate key that qualifies (0 when none does).
    Value useP = h.andI(
        cmpF(arith::CmpFPredicate::OGT, topP, mma::f32Constant(b, loc, 0)),
        cmpF(arith::CmpFPredicate::OLT, topP, mma::f32Constant(b, loc, 1)));
    Value tau = ifElse1(
        useP, i32,
        [&] {
          Value qualifying = ifElse1(
              mine, i32,
              [&] {
                Value key = load(sortKey, tid);
                Value zero = mma::f32Constant(b, loc, 0);
                // Both sums in column order, one term at a time, as the
                // one-thread loop adds them (columns outside the candidates
                // add 0).
                auto sums = scf::ForOp::create(
                    b, loc, h.c(0), nIndex, h.c(1), ValueRange{zero, zero},
                    [&](OpBuilder &, Location, Value j, ValueRange carried) {
                      Value w = load(sortW, j);
                      Value above = cmpI(arith::CmpIPredicate::uge,
                                         load(sortKey, j), key);
                      scf::YieldOp::create(
                          b, loc,
                          ValueRange{
                              arith::AddFOp::create(b, loc, carried[0], w),
                              arith::AddFOp::create(b, loc, carried[1],
                                                    h.select(above, w, zero))});
                    });
                Value target =
                    arith::MulFOp::create(b, loc, topP, sums.getResult(0));
                Value reaches =
                    cmpF(arith::CmpFPredicate::OGE, sums.getResult(1), target);
                return h.select(reaches, key, ci(0));
              },
              [&] { return ci(0); });
          return blockMaxUI(qualifying);
        },
        [&] { return tauK; });
    tau = arith::MaxUIOp::create(b, loc, tau, tauK);
    // Gumbel-max over the candidates; a score that is not larger than -inf
    // leaves (-inf, 0), as in the loop over the row.
    std::pair<Value, Value> stream = buildSampleStream(b, loc, seed, position);
    SmallVector<Value> pair = ifElse(
        mine, TypeRange{f32, i32},
        [&] {
          Value col = load(sortCol, tid);
          Value score = buildSampleScore(b, loc, load(sortX, tid), col, max, t,
                                         tau, stream);
          Value better = cmpF(arith::CmpFPredicate::OGT, score, negInf());
          return SmallVector<Value>{h.select(better, score, negInf()),
                                    h.select(better, col, ci(0))};
        },
        [&] {
          return SmallVector<Value>{negInf(), ci(0)};
        });
    return blockArgmax(pair[0], pair[1]).second;
  }

  void build(SampleOp op) {
    b.setInsertionPoint(op);
    logits = op.getLogits();
    Value rows = memref::DimOp::create(b, loc, logits, 0);
    vocab = memref::DimOp::create(b, loc, logits, 1);
    auto guard = scf::IfOp::create(b, loc, h.lt(h.c(0), rows), false);
    b.setInsertionPointToStart(&guard.getThenRegion().front());
    Value one = h.c(1);
    auto launch = gpu::LaunchOp::create(
        b, loc, rows, one, one, h.c(kThreads), one, one, nullptr, nullptr, {},
        TypeRange{mma::sharedBuffer({kWarps}, f32),
                  mma::sharedBuffer({kWarps}, i32),
                  mma::sharedBuffer({kBins}, i32),
                  mma::sharedBuffer({kCounterSlot + 1}, i32),
                  mma::sharedBuffer({kMaxCandidates}, i32),
                  mma::sharedBuffer({kMaxCandidates}, f32),
                  mma::sharedBuffer({kMaxCandidates}, i32),
                  mma::sharedBuffer({kMaxCandidates}, f32),
                  mma::sharedBuffer({kMaxCandidates}, i32),
                  mma::sharedBuffer({kMaxCandidates}, f32)});
    b.setInsertionPointToStart(&launch.getBody().front());
    ValueRange shared = launch.getWorkgroupAttributions();
    redF = shared[0];
    redI = shared[1];
    hist = shared[2];
    state = shared[3];
    candCol = shared[4];
    candX = shared[5];
    sortCol = shared[6];
    sortX = shared[7];
    sortKey = shared[8];
    sortW = shared[9];
    row = launch.getBlockIds().x;
    tid = launch.getThreadIds().x;
    lane = h.rem(tid, 32);
    warp = h.div(tid, 32);
    auto at = [&](Value v) { return load(v, row); };
    Value t = at(op.getTemperature());
    Value topK = at(op.getTopK());
    Value topP = at(op.getTopP());
    Value seed = at(op.getSeed());
    Value position = loadPosition(b, loc, op.getPosition(), row);
    // The candidate counter is zeroed before the barriers of step 1.
    ifThen(h.lt(tid, one), [&] { store(ci(0), state, h.c(kCounterSlot)); });

    std::pair<Value, Value> first = firstMax();
    Value max = first.first, greedy = first.second;
    Value sampled =
        cmpF(arith::CmpFPredicate::OGT, t, mma::f32Constant(b, loc, 0));
    // Every condition below is the same in all threads of the block, so the
    // barriers inside the branches are reached by all of them.
    Value token = ifElse1(
        sampled, i32,
        [&] {
          Value vocabI32 = toI32(vocab);
          Value useK = h.andI(cmpI(arith::CmpIPredicate::sgt, topK, ci(0)),
                              cmpI(arith::CmpIPredicate::slt, topK, vocabI32));
          Value tauK = ifElse1(
              useK, i32, [&] { return topKKey(topK); }, [&] { return ci(0); });
          Value gather = arith::OrIOp::create(
              b, loc, useK, h.lt(vocab, h.c(kMaxCandidates + 1)));
          Value n = ifElse1(
              gather, i32, [&] { return gatherCandidates(tauK); },
              [&] { return ci(kMaxCandidates + 1); });
          Value fits = cmpI(arith::CmpIPredicate::sle, n, ci(kMaxCandidates));
          return ifElse1(
              fits, i32,
              [&] {
                return drawFromCandidates(n, tauK, max, t, topP, seed,
                                          position);
              },
              [&] {
                SampleRow sample;
                sample.vocab = vocab;
                sample.logit = [&](Value col) { return logit(col); };
                sample.temperature = t;
                sample.topK = topK;
                sample.topP = topP;
                sample.seed = seed;
                sample.position = position;
                RowThreads threads;
                threads.first = tid;
                threads.stride = h.c(kThreads);
                threads.argmax = [&](Value v, Value i) {
                  return blockArgmax(v, i);
                };
                threads.sum = [&](Value v) { return blockSum(v); };
                Value tau =
                    buildSampleNucleus(b, loc, sample, threads, max, tauK);
                return buildSampleGumbelMax(b, loc, sample, threads, max, tau);
              });
        },
        [&] { return greedy; });
    ifThen(h.lt(tid, one), [&] {
      memref::StoreOp::create(b, loc, token, op.getInit(), ValueRange{row});
    });
    gpu::TerminatorOp::create(b, loc);
  }
};
} // namespace

void mlir::rat::buildSampleKernel(RewriterBase &rewriter, SampleOp op) {
  SampleKernel(rewriter, op.getLoc()).build(op);
}
