//===- GraphBuilder.h - Graph-level IR of model layers ----------*- C++ -*-===//
//
// What the layer definitions (Layer.h) build their prefill and decode step
// with: linalg contractions and elementwise generics around rat ops on
// tensors, in the storage type with f32 accumulation.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_COMPILER_GRAPHBUILDER_H
#define RAT_COMPILER_GRAPHBUILDER_H

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/Value.h"

namespace mlir {
namespace rat {

/// Builds graph-level IR at the insertion point of `b`.
class GraphBuilder {
public:
  GraphBuilder(OpBuilder &b, Location loc, Type et)
      : b(b), loc(loc), et(et), f32(b.getF32Type()) {}

  OpBuilder &b;
  Location loc;
  Type et;  ///< Storage type.
  Type f32; ///< Accumulation type.
  /// i32 `[B]`: each sequence's prompt length (a prefill of ragged prompts
  /// padded to `T`), or null (every sequence has `T` tokens). The "last
  /// token" of lastTokenCopy, lastTokenOf and cacheFromSequence is then
  /// token `lengths[b] - 1` of sequence `b` (clamped to [0, T-1]).
  Value lengths;

  /// The body of an elementwise generic: the yielded value from the
  /// operands' elements.
  using Body = function_ref<Value(OpBuilder &, ValueRange)>;

  /// The sizes of `v` (constants where static).
  SmallVector<OpFoldResult> shape(Value v);

  /// `tensor.empty` of `sizes` x `elem`.
  Value empty(ArrayRef<OpFoldResult> sizes, Type elem);

  /// An `arith.constant` of float type `t`.
  Value cst(double v, Type t);

  /// `v` extended to f32 (itself when f32), inside a region built with `nb`.
  Value toF32(OpBuilder &nb, Value v);

  /// `v` truncated to `t` (itself when `t`).
  Value fromF32(OpBuilder &nb, Value v, Type t);

  /// A parallel linalg.generic over the dims of `outSizes`.
  Value parallel(ArrayRef<Value> ins, ArrayRef<AffineMap> inMaps,
                 ArrayRef<OpFoldResult> outSizes, Type outElem, Body body);

  /// Elementwise over operands of one shape.
  Value map(ArrayRef<Value> ins, Type outElem, Body body);

  /// `1 / (1 + exp(-x))`.
  Value sigmoid(OpBuilder &nb, Value x);

  /// `x @ w^T` for x `[..., K]` (rank 3) and w `[O, K]`, accumulated in f32;
  /// the result is f32 `[..., O]`.
  Value projectF32(Value x, Value w);

  /// Storage-typed projection.
  Value project(Value x, Value w);

  /// Columns `[offset, offset + size)` of the last dim of a `[B, T, N]`.
  Value columns(Value x, int64_t offset, int64_t size);

  /// `[B, T, H*Dh]` -> `[B, H, T, Dh]`.
  Value splitHeads(Value x, int64_t heads, int64_t dh);

  /// `[B, H, T, Dh]` -> `[B, T, H*Dh]`.
  Value mergeHeads(Value x);

  /// `[A, B, C, D]` -> `[A, C, B, D]`.
  Value transpose0213(Value x);

  /// `rat.rms_norm` with weight `w`.
  Value rmsNorm(Value x, Value w, double eps);

  /// `rat.rope` over chunks of `chunk` positions (positions from `offset`
  /// when given: an index, or i32 `[B]` per-sequence positions).
  Value rope(Value x, int64_t chunk, double base, Value offset);

  /// `x + y` in f32, stored as the storage type.
  Value add(Value x, Value y);

  /// Tiles `[..., G*Dh]` (`[B, T, G*Dh]`, or `[B, G*Dh]` in a decode step)
  /// H/G times along channels: channel c reads c mod (G*Dh), so head h reads
  /// group h % G.
  Value tileGroups(Value x, int64_t d);

  /// Token embedding: `wte[tokens[b, t], :]` for i32 tokens of rank 2.
  Value embed(Value tokens, Value wte);

  /// Row `T-1` of `[B, T, N]` copied into a new `[B, N]` tensor, computed
  /// where it is built (not a view of `x`: once bufferized, the whole `x`
  /// need not live until the function returns the row); with `lengths`,
  /// each sequence's last prompt token.
  Value lastTokenCopy(Value x);

  /// Row `T-1` of `[B, T, N]` as `[B, N]` (a view; ignores `lengths`).
  Value lastToken(Value x);

  /// Inside a region built with `nb`: the index of sequence `batch`'s last
  /// token in a sequence of `t` tokens (`t - 1`, or from `lengths`).
  Value lastTokenOf(OpBuilder &nb, Value batch, Value t);
};

//===----------------------------------------------------------------------===//
// Layouts of one token (decode steps) and decode caches
//===----------------------------------------------------------------------===//

/// `[B, 1, N]` -> `[B, N]`.
Value squeezeT(GraphBuilder &g, Value x);
/// `[B, N]` -> `[B, 1, N]`.
Value unsqueezeT(GraphBuilder &g, Value x);
/// `[B, 1, H*Dh]` -> `[B, H, Dh]` (a reshape: one token's head split).
Value headsOfToken(GraphBuilder &g, Value x, int64_t heads, int64_t dh);
/// `[B, H, Dh]` -> `[B, H, 1, Dh]`.
Value withTokenDim(GraphBuilder &g, Value x);
/// `[B, H, 1, Dh]` -> `[B, H, Dh]`.
Value dropTokenDim(GraphBuilder &g, Value x);
/// `[B, H, Dh]` -> `[B, H*Dh]`.
Value flatHeads(GraphBuilder &g, Value x);
/// Rotary encoding of one token `[B, H, Dh]` at position `pos` (an index,
/// or i32 `[B]`: each sequence at its own position).
Value ropeToken(GraphBuilder &g, Value x, int64_t chunk, double base,
                Value pos);

/// Gathers a `[B, H, rows, Dh]` cache from `[B, H, T, Dh]`: row `r` of
/// sequence `b` takes token `tokenOf(r, last)`, `last` its last token
/// (`T - 1`, or from GraphBuilder::lengths).
Value cacheFromSequence(GraphBuilder &g, Value seq, int64_t rows,
                        function_ref<Value(OpBuilder &, Value, Value)> tokenOf);

} // namespace rat
} // namespace mlir

#endif // RAT_COMPILER_GRAPHBUILDER_H
