//===- Passes.h - rat transformation passes ---------------------*- C++ -*-===//
//
// Declares the rat passes and the pattern populators they are built from.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_DIALECT_RAT_TRANSFORMS_PASSES_H
#define RAT_DIALECT_RAT_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "rat/Dialect/Rat/IR/RatDialect.h"
#include "rat/Target/Chip.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
class RewriterBase;
namespace rat {

#define GEN_PASS_DECL
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"

/// Patterns that replace rat ops on memrefs by their loop implementation.
/// With `parallelLoops`, the iteration domain becomes one scf.parallel.
void populateRatLowerToLoopsPatterns(RewritePatternSet &patterns,
                                     bool parallelLoops = false);

/// Moves the statically sized, operand-free memref.alloca ops nested in
/// `scope` (but not in a gpu.launch nested in it) to the start of its entry
/// block, and inlines the alloca scopes left without a buffer. Sound for
/// scratch buffers that each use writes before reading: one buffer then
/// serves every iteration, and loops no longer grow the stack.
void hoistStaticAllocas(Region &scope, RewriterBase &rewriter);

class ChunkAttentionOp;
class WindowAttentionOp;
/// True when rat-chunk-attention-to-mma can lower `op` (on tensors: once
/// bufferized to contiguous buffers): bf16/f16 operands, rank 4, static head
/// sizes that are multiples of 16 and at most 128.
bool canLowerChunkAttentionToMMA(ChunkAttentionOp op);
/// Whether rat-chunk-attention-to-mma lowers this window attention (the
/// same conditions).
bool canLowerWindowAttentionToMMA(WindowAttentionOp op);

/// True when rat-row-ops-to-gpu can lower `op` (rat.rms_norm or rat.rope
/// with a static last dimension on contiguous buffers).
bool canLowerRowOpToGPU(Operation *op);

/// True when rat-step-ops-to-gpu can lower `op` (rat.chunk_attention_step
/// with equal static head sizes, a multiple of 32 and at most 256, on
/// contiguous buffers).
bool canLowerStepOpToGPU(Operation *op);

/// The discardable attribute by which a kernel generator asks for at least
/// N blocks per SM (an integer) on an op inside its gpu.launch; applied to
/// the outlined kernel by rat-apply-launch-bounds.
inline constexpr llvm::StringLiteral kMinBlocksPerSMAttrName =
    "rat.min_blocks_per_sm";

#define GEN_PASS_REGISTRATION
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"

} // namespace rat
} // namespace mlir

#endif // RAT_DIALECT_RAT_TRANSFORMS_PASSES_H
