//===- Sampling.cpp - The token choice of rat.sample ----------------------===//
//
// See Sampling.h. The random stream of a row, with mix = sampleMix:
//   h1 = mix(mix(seed_lo ^ 0x9E3779B9) ^ seed_hi),  h2 = mix(h1 ^ position)
//   bits(v) = mix(mix(v ^ h2) + h1)
//   u(v) = ((bits(v) >> 8) + 0.5) / 2^24,  gumbel(v) = -log(-log(u(v)))
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Utils/Sampling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;
using namespace mlir::rat;

namespace {
/// IR shorthand for the sampling code.
struct SampleBuilder {
  OpBuilder &b;
  Location loc;
  const SampleRow &row;
  const RowThreads &threads;
  Type f32, i32;

  SampleBuilder(OpBuilder &b, Location loc, const SampleRow &row,
                const RowThreads &threads)
      : b(b), loc(loc), row(row), threads(threads), f32(b.getF32Type()),
        i32(b.getI32Type()) {}

  Value u32(uint32_t v) {
    return arith::ConstantOp::create(b, loc,
                                     b.getI32IntegerAttr(static_cast<int32_t>(v)));
  }
  Value f(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value xorI(Value x, Value y) { return arith::XOrIOp::create(b, loc, x, y); }
  Value shr(Value x, uint32_t n) {
    return arith::ShRUIOp::create(b, loc, x, u32(n));
  }
  Value mulI(Value x, uint32_t c) {
    return arith::MulIOp::create(b, loc, x, u32(c));
  }
  Value andI(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value cmpF(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, p, x, y);
  }
  Value cmpI(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }

  /// sampleMix.
  Value mix(Value x) {
    x = xorI(x, shr(x, 16));
    x = mulI(x, 0x7feb352du);
    x = xorI(x, shr(x, 15));
    x = mulI(x, 0x846ca68bu);
    return xorI(x, shr(x, 16));
  }

  /// The order-preserving unsigned key of an f32 (compare with `uge`).
  Value key(Value x) {
    Value bits = arith::BitcastOp::create(b, loc, i32, x);
    Value negative = cmpI(arith::CmpIPredicate::slt, bits, u32(0));
    Value flipped = xorI(bits, u32(0xffffffffu));
    return select(negative, flipped, xorI(bits, u32(0x80000000u)));
  }

  Value notNaN(Value x) { return cmpF(arith::CmpFPredicate::ORD, x, x); }

  /// Walks this thread's columns with loop-carried `inits`; `body` gets the
  /// column (index), its logit and the carried values and returns the next.
  SmallVector<Value>
  walk(ValueRange inits,
       function_ref<SmallVector<Value>(Value, Value, ValueRange)> body) {
    auto loop = scf::ForOp::create(
        b, loc, threads.first, row.vocab, threads.stride, inits,
        [&](OpBuilder &nb, Location, Value col, ValueRange carried) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          SmallVector<Value> next = body(col, row.logit(col), carried);
          scf::YieldOp::create(b, loc, next);
        });
    return SmallVector<Value>(loop.getResults());
  }

  /// The first column with the largest `score(col, x)` (OGT: NaN never
  /// wins, a row without a finite winner gives column 0), over all threads.
  std::pair<Value, Value> argmax(function_ref<Value(Value, Value)> score) {
    Value negInf = f(-std::numeric_limits<double>::infinity());
    SmallVector<Value> best = walk(
        {negInf, u32(0)}, [&](Value col, Value x, ValueRange carried) {
          Value s = score(col, x);
          Value better = cmpF(arith::CmpFPredicate::OGT, s, carried[0]);
          Value index = arith::IndexCastOp::create(b, loc, i32, col);
          return SmallVector<Value>{select(better, s, carried[0]),
                                    select(better, index, carried[1])};
        });
    if (threads.argmax)
      return threads.argmax(best[0], best[1]);
    return {best[0], best[1]};
  }

  /// Sum over the row of `term(x, key)` (f32 or i32 `zero`'s type).
  Value sum(Value zero, function_ref<Value(Value, Value)> term) {
    Value total = walk({zero}, [&](Value, Value x, ValueRange carried) {
                    Value t = term(x, key(x));
                    Value next =
                        isa<FloatType>(zero.getType())
                            ? arith::AddFOp::create(b, loc, carried[0], t)
                                  .getResult()
                            : arith::AddIOp::create(b, loc, carried[0], t)
                                  .getResult();
                    return SmallVector<Value>{next};
                  })[0];
    return threads.sum ? threads.sum(total) : total;
  }

  /// The largest key t with `holds(t)` (monotone: true at 0, and true at t
  /// implies true below t), one bit at a time from the top.
  Value bisect(function_ref<Value(Value)> holds) {
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c32 = arith::ConstantIndexOp::create(b, loc, 32);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    auto loop = scf::ForOp::create(
        b, loc, c0, c32, c1, ValueRange{u32(0)},
        [&](OpBuilder &nb, Location, Value i, ValueRange carried) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          Value step = arith::IndexCastOp::create(b, loc, i32, i);
          Value bit = arith::ShLIOp::create(
              b, loc, u32(1), arith::SubIOp::create(b, loc, u32(31), step));
          Value candidate = arith::OrIOp::create(b, loc, carried[0], bit);
          Value next = select(holds(candidate), candidate, carried[0]);
          scf::YieldOp::create(b, loc, ValueRange{next});
        });
    return loop.getResult(0);
  }

  /// `then` when `cond`, else `otherwise`, as an scf.if yielding one value.
  Value ifElse(Value cond, Type type, function_ref<Value()> then,
               function_ref<Value()> otherwise) {
    auto op = scf::IfOp::create(b, loc, TypeRange{type}, cond, true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&op.getThenRegion().front());
      scf::YieldOp::create(b, loc, ValueRange{then()});
      b.setInsertionPointToStart(&op.getElseRegion().front());
      scf::YieldOp::create(b, loc, ValueRange{otherwise()});
    }
    return op.getResult(0);
  }

  Value build() {
    // 1. Greedy: the first maximum.
    std::pair<Value, Value> first = firstMax();
    Value max = first.first, greedy = first.second;
    Value t = row.temperature;
    Value sampled = cmpF(arith::CmpFPredicate::OGT, t, f(0.0));
    return ifElse(sampled, i32, [&] { return draw(max); },
                  [&] { return greedy; });
  }

  std::pair<Value, Value> firstMax() {
    return argmax([](Value, Value x) { return x; });
  }

  Value scaled(Value x, Value max, Value t) {
    return arith::DivFOp::create(b, loc, arith::SubFOp::create(b, loc, x, max),
                                 t)
        .getResult();
  }

  Value weight(Value x, Value max, Value t) {
    return math::ExpOp::create(b, loc, scaled(x, max, t));
  }

  /// Steps 2-4 of Sampling.h for a row with maximum `max`.
  Value draw(Value max) {
    Value vocab = arith::IndexCastOp::create(b, loc, i32, row.vocab);
    // 2. Top-k: the key of the k-th largest logit.
    Value k = row.topK;
    Value useK = andI(cmpI(arith::CmpIPredicate::sgt, k, u32(0)),
                      cmpI(arith::CmpIPredicate::slt, k, vocab));
    Value tauK = ifElse(
        useK, i32,
        [&] {
          return bisect([&](Value candidate) {
            Value count = sum(u32(0), [&](Value x, Value kx) {
              Value in = andI(notNaN(x),
                              cmpI(arith::CmpIPredicate::uge, kx, candidate));
              return arith::ExtUIOp::create(b, loc, i32, in).getResult();
            });
            return cmpI(arith::CmpIPredicate::sge, count, k);
          });
        },
        [&] { return u32(0); });
    // 3. Top-p: the nucleus of the top-k set.
    Value tau = nucleus(max, tauK);
    // 4. Gumbel-max over the allowed logits.
    return gumbelMax(max, tau);
  }

  /// Step 3: the smallest allowed key, at least `tauK`.
  Value nucleus(Value max, Value tauK) {
    Value t = row.temperature;
    Value p = row.topP;
    Value useP = andI(cmpF(arith::CmpFPredicate::OGT, p, f(0.0)),
                      cmpF(arith::CmpFPredicate::OLT, p, f(1.0)));
    auto massAbove = [&](Value threshold) {
      return sum(f(0.0), [&](Value x, Value kx) {
        Value in =
            andI(notNaN(x), cmpI(arith::CmpIPredicate::uge, kx, threshold));
        return select(in, weight(x, max, t), f(0.0));
      });
    };
    Value tau = ifElse(
        useP, i32,
        [&] {
          Value target = arith::MulFOp::create(b, loc, p, massAbove(tauK));
          return bisect([&](Value candidate) {
            Value threshold = arith::MaxUIOp::create(b, loc, candidate, tauK);
            return cmpF(arith::CmpFPredicate::OGE, massAbove(threshold),
                        target);
          });
        },
        [&] { return tauK; });
    return arith::MaxUIOp::create(b, loc, tau, tauK);
  }

  std::pair<Value, Value> stream(Value seed, Value position) {
    Value seedLo = arith::TruncIOp::create(b, loc, i32, seed);
    Value seedHi = arith::TruncIOp::create(
        b, loc, i32,
        arith::ShRUIOp::create(
            b, loc, seed,
            arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(32))));
    Value pos = arith::IndexCastOp::create(b, loc, i32, position);
    Value h1 = mix(xorI(mix(xorI(seedLo, u32(0x9e3779b9u))), seedHi));
    Value h2 = mix(xorI(h1, pos));
    return {h1, h2};
  }

  /// The score of step 4 of logit `x` in column `v` (i32).
  Value score(Value x, Value v, Value max, Value t, Value tau,
              std::pair<Value, Value> hashes) {
    auto [h1, h2] = hashes;
    Value bits =
        mix(arith::AddIOp::create(b, loc, mix(xorI(v, h2)), h1).getResult());
    Value u = arith::AddFOp::create(
        b, loc, arith::UIToFPOp::create(b, loc, f32, shr(bits, 8)), f(0.5));
    u = arith::MulFOp::create(b, loc, u, f(1.0 / 16777216.0));
    Value e = arith::NegFOp::create(b, loc, math::LogOp::create(b, loc, u));
    Value gumbel =
        arith::NegFOp::create(b, loc, math::LogOp::create(b, loc, e));
    Value allowed =
        andI(notNaN(x), cmpI(arith::CmpIPredicate::uge, key(x), tau));
    Value negInf = f(-std::numeric_limits<double>::infinity());
    return select(
        allowed,
        arith::AddFOp::create(b, loc, scaled(x, max, t), gumbel).getResult(),
        negInf);
  }

  /// Step 4: the Gumbel-max draw over the logits with key >= `tau`.
  Value gumbelMax(Value max, Value tau) {
    std::pair<Value, Value> hashes = stream(row.seed, row.position);
    return argmax([&](Value col, Value x) {
             Value v = arith::IndexCastOp::create(b, loc, i32, col);
             return score(x, v, max, row.temperature, tau, hashes);
           })
        .second;
  }
};
} // namespace

Value mlir::rat::buildSampleRow(OpBuilder &b, Location loc,
                                const SampleRow &row,
                                const RowThreads &threads) {
  return SampleBuilder(b, loc, row, threads).build();
}

std::pair<Value, Value> mlir::rat::buildSampleFirstMax(
    OpBuilder &b, Location loc, const SampleRow &row,
    const RowThreads &threads) {
  return SampleBuilder(b, loc, row, threads).firstMax();
}

Value mlir::rat::buildSampleNucleus(OpBuilder &b, Location loc,
                                    const SampleRow &row,
                                    const RowThreads &threads, Value max,
                                    Value tauK) {
  return SampleBuilder(b, loc, row, threads).nucleus(max, tauK);
}

Value mlir::rat::buildSampleGumbelMax(OpBuilder &b, Location loc,
                                      const SampleRow &row,
                                      const RowThreads &threads, Value max,
                                      Value tau) {
  return SampleBuilder(b, loc, row, threads).gumbelMax(max, tau);
}

Value mlir::rat::buildSampleKey(OpBuilder &b, Location loc, Value x) {
  return SampleBuilder(b, loc, SampleRow(), RowThreads()).key(x);
}

Value mlir::rat::buildSampleWeight(OpBuilder &b, Location loc, Value x,
                                   Value max, Value temperature) {
  return SampleBuilder(b, loc, SampleRow(), RowThreads())
      .weight(x, max, temperature);
}

std::pair<Value, Value> mlir::rat::buildSampleStream(OpBuilder &b,
                                                     Location loc, Value seed,
                                                     Value position) {
  return SampleBuilder(b, loc, SampleRow(), RowThreads())
      .stream(seed, position);
}

Value mlir::rat::buildSampleScore(OpBuilder &b, Location loc, Value x,
                                  Value column, Value max, Value temperature,
                                  Value tau, std::pair<Value, Value> stream) {
  return SampleBuilder(b, loc, SampleRow(), RowThreads())
      .score(x, column, max, temperature, tau, stream);
}
