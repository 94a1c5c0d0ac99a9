//===- OnlineSoftmax.h - The online-softmax update --------------*- C++ -*-===//
//
// The one step of the online (FlashAttention) softmax every attention
// lowering repeats per key: the scalar loops of the tiling interface (scores
// in nats, math.exp), and the GPU kernels of rat-chunk-attention-to-mma and
// rat-step-ops-to-gpu (scores pre-scaled by log2 e, math.exp2). Where keys
// come in blocks (the tensor-core tiles), the block maximum and sum are the
// kernel's own; this is the per-key step, and the step for a group of keys
// or partial states (the split decode steps of rat-step-ops-to-gpu: several
// keys' loads in flight, then the merge of the splits' partial results).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_DIALECT_RAT_UTILS_ONLINESOFTMAX_H
#define RAT_DIALECT_RAT_UTILS_ONLINESOFTMAX_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"

#include <limits>

namespace mlir::rat {

/// The running state after one more key.
struct OnlineSoftmaxStep {
  /// The new running maximum and sum.
  Value max, sum;
  /// Scales the running accumulator: acc' = acc * alpha + p * v.
  Value alpha;
  /// The weight of the new key's value row.
  Value p;
};

/// Online-softmax update of the running maximum `m` and sum `l` (f32) with
/// score `s`: m' = max(m, s), alpha = exp(m - m'), p = exp(s - m'),
/// l' = l * alpha + p. `ExpOp` is math::ExpOp for scores in nats and
/// math::Exp2Op for scores already scaled by log2(e).
template <typename ExpOp>
OnlineSoftmaxStep updateOnlineSoftmax(OpBuilder &b, Location loc, Value m,
                                      Value l, Value s) {
  OnlineSoftmaxStep step;
  step.max = arith::MaximumFOp::create(b, loc, m, s);
  step.alpha =
      ExpOp::create(b, loc, arith::SubFOp::create(b, loc, m, step.max));
  step.p = ExpOp::create(b, loc, arith::SubFOp::create(b, loc, s, step.max));
  step.sum = arith::AddFOp::create(
      b, loc, arith::MulFOp::create(b, loc, l, step.alpha), step.p);
  return step;
}

/// The running state after a group of keys, or after merging partial
/// softmax states.
struct OnlineSoftmaxGroupStep {
  /// The new running maximum and sum.
  Value max, sum;
  /// Scales the running accumulator: acc' = acc * alpha + sum_u p[u] * v[u].
  Value alpha;
  /// The weight of each member's value row (or partial accumulator).
  SmallVector<Value> p;
};

/// Online-softmax update of the running maximum `m` and sum `l` (f32) with a
/// group of members at once: member u has maximum `maxes[u]` and sum
/// `sums[u]` (a partial softmax state), or, where `sums` is empty, is one
/// key with score `maxes[u]` (sum 1). m' = max(m, maxes...), alpha =
/// exp(m - m'), p[u] = exp(maxes[u] - m'), l' = l * alpha + sum_u p[u] *
/// sums[u]. A maximum of -inf marks an empty state (a masked key, a split
/// with no keys): it gets weight 0, also when every member and `m` are
/// empty (m' = -inf; the exponents use 0 in its place, not -inf - -inf).
/// One exponential per member and one for the running state, where the
/// per-key step takes two per key.
template <typename ExpOp>
OnlineSoftmaxGroupStep updateOnlineSoftmaxGroup(OpBuilder &b, Location loc,
                                                Value m, Value l,
                                                ArrayRef<Value> maxes,
                                                ArrayRef<Value> sums = {}) {
  OnlineSoftmaxGroupStep step;
  step.max = m;
  for (Value s : maxes)
    step.max = arith::MaximumFOp::create(b, loc, step.max, s);
  Type f32 = b.getF32Type();
  Value negInf = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(f32, -std::numeric_limits<double>::infinity()));
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, 0.0));
  Value empty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                      step.max, negInf);
  Value base = arith::SelectOp::create(b, loc, empty, zero, step.max);
  auto weight = [&](Value x) {
    return ExpOp::create(b, loc, arith::SubFOp::create(b, loc, x, base));
  };
  step.alpha = weight(m);
  step.sum = arith::MulFOp::create(b, loc, l, step.alpha);
  for (auto [u, s] : llvm::enumerate(maxes)) {
    Value p = weight(s);
    step.p.push_back(p);
    Value add = sums.empty() ? p : arith::MulFOp::create(b, loc, p, sums[u]);
    step.sum = arith::AddFOp::create(b, loc, step.sum, add);
  }
  return step;
}

} // namespace mlir::rat

#endif // RAT_DIALECT_RAT_UTILS_ONLINESOFTMAX_H
