//===- ShrinkBufferLifetimes.cpp - free buffers after last use -*- C++ -*-===//
//
// Implements -rat-shrink-buffer-lifetimes: ownership-based buffer
// deallocation frees a function's temporaries at the end of the block that
// allocated them, so a 24-layer prefill holds every layer's intermediates
// at once. This pass moves each `memref.dealloc` up to just after the last
// operation of its block that uses the buffer or anything derived from it
// (views, casts: every memref result of a user counts as an alias).
// Kernel launches are stream-ordered, so a buffer freed (returned to the
// runtime's cache) after the launch that last reads it is safe to hand to a
// later launch.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::rat {
#define GEN_PASS_DEF_RATSHRINKBUFFERLIFETIMES
#include "rat/Dialect/Rat/Transforms/Passes.h.inc"
} // namespace mlir::rat

using namespace mlir;

/// The last operation of `block` that uses `buffer` or an alias of it, or
/// null when a use lies outside `block` (then the dealloc stays).
static FailureOr<Operation *> lastUseInBlock(Value buffer,
                                             memref::DeallocOp dealloc,
                                             Block *block) {
  llvm::SetVector<Value> aliases;
  aliases.insert(buffer);
  Operation *last = nullptr;
  for (size_t i = 0; i < aliases.size(); ++i) {
    for (OpOperand &use : aliases[i].getUses()) {
      Operation *user = use.getOwner();
      if (user == dealloc.getOperation())
        continue;
      Operation *ancestor = block->findAncestorOpInBlock(*user);
      if (!ancestor || ancestor == block->getTerminator())
        return failure();
      if (!last || last->isBeforeInBlock(ancestor))
        last = ancestor;
      for (Value result : user->getResults())
        if (isa<BaseMemRefType>(result.getType()))
          aliases.insert(result);
    }
  }
  return last;
}

namespace {
struct RatShrinkBufferLifetimesPass
    : rat::impl::RatShrinkBufferLifetimesBase<RatShrinkBufferLifetimesPass> {
  void runOnOperation() override {
    SmallVector<memref::DeallocOp> deallocs;
    getOperation().walk([&](memref::DeallocOp op) { deallocs.push_back(op); });
    for (memref::DeallocOp dealloc : deallocs) {
      Block *block = dealloc->getBlock();
      Value buffer = dealloc.getMemref();
      FailureOr<Operation *> last = lastUseInBlock(buffer, dealloc, block);
      if (failed(last))
        continue;
      Operation *after = *last;
      // Never above the buffer's definition.
      if (Operation *def = buffer.getDefiningOp())
        if (Operation *defInBlock = block->findAncestorOpInBlock(*def))
          if (!after || after->isBeforeInBlock(defInBlock))
            after = defInBlock;
      if (after && after->isBeforeInBlock(dealloc))
        dealloc->moveAfter(after);
    }
  }
};
} // namespace
