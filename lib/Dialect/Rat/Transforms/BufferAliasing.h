//===- BufferAliasing.h - which buffers a rewrite may assume apart -*- C++ -*-//
//
// The aliasing questions the buffer rewrites ask before they drop a copy or
// fuse a producer into a consumer: what buffer a view was taken of, whether
// two buffers may share memory, and whether an op may write a buffer. One
// conservative rule (mayAlias, used by rat-permutation-copies-to-views and
// rat-step-ops-to-gpu): an allocation is distinct from every other buffer;
// any two buffers that are not allocations (function arguments, globals,
// results of calls) may alias. viewRoot also serves rat-matmul-to-mma and
// rat-chunk-attention-to-mma.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_TRANSFORMS_BUFFERALIASING_H
#define RAT_LIB_TRANSFORMS_BUFFERALIASING_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::rat {

/// The buffer `v` is a view of (through view-like ops: subviews, reshapes,
/// transposes), or `v` itself.
inline Value viewRoot(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// Whether writes through `a` may change what `b` reads: both view the same
/// buffer, or neither buffer is an allocation made in this function.
inline bool mayAlias(Value a, Value b) {
  a = viewRoot(a);
  b = viewRoot(b);
  auto isAllocation = [](Value v) {
    return v.getDefiningOp<memref::AllocOp>() ||
           v.getDefiningOp<memref::AllocaOp>();
  };
  return a == b || (!isAllocation(a) && !isAllocation(b));
}

/// Whether `op`, with the ops it nests, may write (or free) memory that `v`
/// views. An op whose effects are not known may write anything.
inline bool mayWrite(Operation *op, Value v) {
  if (isMemoryEffectFree(op))
    return false;
  std::optional<SmallVector<MemoryEffects::EffectInstance>> effects =
      getEffectsRecursively(op);
  if (!effects)
    return true;
  for (const MemoryEffects::EffectInstance &e : *effects) {
    if (!isa<MemoryEffects::Write, MemoryEffects::Free>(e.getEffect()))
      continue;
    Value written = e.getValue();
    if (!written || mayAlias(written, v))
      return true;
  }
  return false;
}

} // namespace mlir::rat

#endif // RAT_LIB_TRANSFORMS_BUFFERALIASING_H
