//===- BufferReads.cpp - whether a buffer is read after an op -*- C++ -*-===//
//
// The question every fusion into a matmul kernel asks before it drops a
// store: a matmul whose epilogue applies its consumer never writes its
// product, and a gemv that applies the rms_norm before it never writes the
// normalised rows. Both are right only if nothing reads those contents
// later. Bufferization shares buffers between layers, so "later" is
// decided on the block's order: the first op after the fused ones that
// touches the buffer must overwrite it whole or free it.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "MatmulKernels.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include "llvm/ADT/MapVector.h"

using namespace mlir;
using namespace mlir::rat;

/// Whether `use` of `buffer` by its owner writes the whole buffer without
/// reading it.
static bool overwritesWhole(OpOperand &use, Value buffer) {
  Operation *user = use.getOwner();
  if (use.get() != buffer)
    return false;
  if (isa<memref::DeallocOp>(user))
    return true;
  if (auto mm = dyn_cast<MatmulOp>(user))
    return use.get() == mm.getInit() && mm.getInput() != buffer &&
           mm.getWeight() != buffer;
  if (auto norm = dyn_cast<RmsNormOp>(user))
    return use.get() == norm.getInit() && norm.getInput() != buffer &&
           norm.getWeight() != buffer;
  auto generic = dyn_cast<linalg::GenericOp>(user);
  return generic && generic.hasPureBufferSemantics() &&
         generic.isDpsInit(&use) &&
         generic.getMatchingIndexingMap(&use).isIdentity() &&
         generic.getNumParallelLoops() == generic.getNumLoops() &&
         generic.getMatchingBlockArgument(&use).use_empty();
}

bool mlir::rat::isUnreadAfter(Value buffer, Operation *op,
                              ArrayRef<Operation *> fusedUsers) {
  auto alloc = buffer.getDefiningOp<memref::AllocOp>();
  Block *block = op->getBlock();
  // An allocation outside the block (a loop's) may be read by the next
  // iteration before anything of this block writes it.
  if (!alloc || alloc->getBlock() != block)
    return false;
  // The ops of the block that touch the buffer or a view of it (metadata
  // reads aside), with every use they make of it.
  llvm::MapVector<Operation *, SmallVector<OpOperand *>> touching;
  SmallVector<Value> views{buffer};
  while (!views.empty()) {
    Value v = views.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (isa<memref::DimOp>(user))
        continue;
      if (isa<memref::SubViewOp, memref::CollapseShapeOp,
              memref::ExpandShapeOp, memref::CastOp,
              memref::ReinterpretCastOp>(user)) {
        views.push_back(user->getResult(0));
        continue;
      }
      Operation *ancestor = block->findAncestorOpInBlock(*user);
      if (!ancestor)
        return false;
      if (llvm::is_contained(fusedUsers, ancestor)) {
        // The fused ops are rebuilt from their operands: only direct uses.
        if (user != ancestor || use.get() != buffer)
          return false;
        continue;
      }
      touching[ancestor].push_back(&use);
    }
  }
  Operation *first = nullptr;
  for (auto &entry : touching)
    if (op->isBeforeInBlock(entry.first) &&
        (!first || entry.first->isBeforeInBlock(first)))
      first = entry.first;
  if (!first)
    return true;
  return llvm::all_of(touching[first], [&](OpOperand *use) {
    return use->getOwner() == first && overwritesWhole(*use, buffer);
  });
}
