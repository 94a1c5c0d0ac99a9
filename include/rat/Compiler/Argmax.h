//===- Argmax.h - Greedy token choice on the device -------------*- C++ -*-===//
//
// The argmax an LM's entries end with (next_token), built as linalg on
// tensors so that it is tiled, mapped to GPU threads and fused like the rest
// of the graph; the token never leaves the device between decode steps.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_COMPILER_ARGMAX_H
#define RAT_COMPILER_ARGMAX_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace mlir {
namespace rat {

/// Lanes of the two-stage argmax (GPU threads per row).
constexpr int64_t kArgmaxLanes = 128;

/// Argmax over the last dim of f32 `[B, V]` as i32 `[B]`: the first maximum
/// (NaN is never a maximum; a row without one gives 0). When V splits into
/// lanes (V % kArgmaxLanes == 0, V > kArgmaxLanes), two reductions: lane l of
/// row b takes the columns c * kArgmaxLanes + l (the row as
/// [V / kArgmaxLanes, kArgmaxLanes]), then the lane results are reduced, ties
/// going to the smaller index. Same result as one sequential pass, but on a
/// GPU kArgmaxLanes threads per row do the long part instead of one.
Value buildArgmax(OpBuilder &b, Location loc, Value logits);

} // namespace rat
} // namespace mlir

#endif // RAT_COMPILER_ARGMAX_H
