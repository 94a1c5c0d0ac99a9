//===- SampleKernel.h - the rat.sample row kernel ---------------*- C++ -*-===//
//
// The rat.sample kernel of -rat-row-ops-to-gpu (SampleKernel.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_DIALECT_RAT_TRANSFORMS_SAMPLEKERNEL_H
#define RAT_LIB_DIALECT_RAT_TRANSFORMS_SAMPLEKERNEL_H

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::rat {

/// Replaces nothing: emits, before `op` (on buffers), the gpu.launch that
/// computes its tokens, one block per row; the caller erases `op`.
void buildSampleKernel(RewriterBase &rewriter, SampleOp op);

} // namespace mlir::rat

#endif // RAT_LIB_DIALECT_RAT_TRANSFORMS_SAMPLEKERNEL_H
