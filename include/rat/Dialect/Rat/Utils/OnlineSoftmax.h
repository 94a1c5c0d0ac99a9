//===- OnlineSoftmax.h - The online-softmax update --------------*- C++ -*-===//
//
// The one step of the online (FlashAttention) softmax every attention
// lowering repeats per key: the scalar loops of the tiling interface (scores
// in nats, math.exp), and the GPU kernels of rat-chunk-attention-to-mma and
// rat-step-ops-to-gpu (scores pre-scaled by log2 e, math.exp2). Where keys
// come in blocks (the tensor-core tiles), the block maximum and sum are the
// kernel's own; this is the per-key step.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_DIALECT_RAT_UTILS_ONLINESOFTMAX_H
#define RAT_DIALECT_RAT_UTILS_ONLINESOFTMAX_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"

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

} // namespace mlir::rat

#endif // RAT_DIALECT_RAT_UTILS_ONLINESOFTMAX_H
