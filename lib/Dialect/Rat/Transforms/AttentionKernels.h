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

#include "mlir/IR/PatternMatch.h"

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

/// Builds the wgmma kernel of `op` (on buffers) before it; the caller
/// erases `op`.
void buildChunkAttentionWgmma(ChunkAttentionOp op,
                              const AttentionWgmmaConfig &cfg,
                              RewriterBase &rewriter);

} // namespace mlir::rat

#endif // RAT_LIB_TRANSFORMS_ATTENTIONKERNELS_H
