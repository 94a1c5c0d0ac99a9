//===- AttentionKernels.h - chunk attention kernel builders ---*- C++ -*-===//
//
// The kernels of rat-chunk-attention-to-mma: the mma.sync kernel (sm_80+,
// ChunkAttentionToMMA.cpp) and the sm_90a wgmma kernel of rat.chunk_attention
// (ChunkAttentionWGMMA.cpp), chosen by the op's #rat.kernel decision
// (`attention_mma` without warpgroups: mma.sync; with warpgroups: wgmma).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_TRANSFORMS_ATTENTIONKERNELS_H
#define RAT_LIB_TRANSFORMS_ATTENTIONKERNELS_H

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

#include <string>

namespace mlir::rat {

/// Configuration of the wgmma chunk attention kernel, read from an
/// `attention_mma` decision with `warpgroups` > 0: `tile = [queries,
/// states]` (queries per block, 64 per consumer warpgroup; chunk states per
/// pipeline step), `warpgroups` consumer warpgroups, `stages` shared-memory
/// buffers of keys and values.
struct AttentionWgmmaConfig {
  int64_t queries = 0, states = 0, consumerGroups = 0, stages = 0;

  static AttentionWgmmaConfig from(KernelAttr attr);
  /// The default of rat-select-kernels: 128 queries of 2 consumer
  /// warpgroups, 128 states per step, 2 stages.
  static KernelAttr defaultAttr(MLIRContext *ctx);
  /// Dynamic shared memory of a block for head sizes `dh` and `dv`: the Q
  /// tile and the stages, 16-bit elements, plus 1024 bytes of alignment.
  int64_t sharedBytes(int64_t dh, int64_t dv) const;
  /// Why the kernel with this configuration cannot implement `op` within
  /// `sharedLimit` bytes of shared memory per block, or empty. The
  /// operands must also pass canLowerChunkAttentionToMMA.
  std::string unsupported(ChunkAttentionOp op, int64_t sharedLimit) const;
};

/// Whether `attr` (an `attention_mma` decision) asks for the wgmma kernel.
inline bool isWgmmaAttention(KernelAttr attr) {
  return attr.getFamily() == KernelFamily::attention_mma &&
         attr.getWarpgroups() > 0;
}

/// An elementwise consumer of a chunk attention's output that the wgmma
/// kernel applies in its epilogue (the layer's output gate sigmoid(z) * o
/// with the head merge [B, H, T, Dv] -> [B, T, H, Dv]): the output is never
/// written and read back.
struct AttentionConsumer {
  linalg::GenericOp generic;
  /// The generic's input operand that reads the attention output.
  unsigned attentionInput;
};

/// The op after `op` (allocations and ops without memory effects, such as
/// views, aside) when it is such a consumer: a linalg.generic on buffers,
/// 4 loops all parallel, a body of scalar arith/math ops that ignores the
/// output's current value; the attention output read by exactly one input
/// through a permutation map; every operand (inputs and the one output) a
/// buffer with unit-stride rows, indexed by a projected permutation whose
/// last result is the loop of the attention's head column (8 consecutive
/// columns are 8 consecutive elements of every operand); the output a
/// permutation of the loops, in a fresh allocation that is none of the
/// attention's inputs; and the attention output observed by nothing else
/// (isUnreadAfter, or only deallocations besides). Also needs Dv <= Dh: the
/// epilogue stages its tile in the Q tile's shared memory.
std::optional<AttentionConsumer> findAttentionConsumer(ChunkAttentionOp op);

/// Builds the wgmma kernel of `op` (on buffers) before it, or with a
/// `consumer`, in place of the consumer (its operands may be defined after
/// `op`), applying it to each output element; the caller erases `op` (and
/// the consumer).
void buildChunkAttentionWgmma(ChunkAttentionOp op,
                              const AttentionWgmmaConfig &cfg,
                              const AttentionConsumer *consumer,
                              RewriterBase &rewriter);

} // namespace mlir::rat

#endif // RAT_LIB_TRANSFORMS_ATTENTIONKERNELS_H
