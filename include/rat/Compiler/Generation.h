//===- Generation.h - The generation state of an LM's decode step -*- C++ -*-//
//
// An LM generates on the device, one decode step per token (docs/Runtime.md,
// "Generation"): the step draws each sequence's next token from the logits
// the previous call left (rat.sample: greedy, or temperature, top-k, top-p
// with a per-sequence seed), stops sequences at their end-of-sequence ids,
// feeds the tokens through the layers at each sequence's own position and
// leaves the next logits. Everything that changes from step to step is
// decode state in device memory, updated in place, so a step is one CUDA
// graph replay with nothing to patch.
//
// This file names that state (GenerationStateSpec, in the entries' order)
// and builds the graph-level routines of the step; the importer assembles
// the entries.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_COMPILER_GENERATION_H
#define RAT_COMPILER_GENERATION_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <utility>

namespace mlir {
namespace rat {

/// One tensor of the generation state: its manifest name, element type and
/// dims after the batch (`V` stands for the vocabulary, `E` for the number
/// of end-of-sequence ids).
struct GenerationStateSpec {
  llvm::StringRef name;
  enum Kind { F32, I32, I64 } kind;
  /// `""` for `[B]`, `"V"` for `[B, V]`, `"E"` for `[B, E]`.
  llvm::StringRef trailing;
  llvm::StringRef meaning;
};

/// The generation state of the decode entry, in argument order:
///   gen.logits      f32 [B, V]  the logits of each sequence's next token
///   gen.position    i32 [B]     the position of that token
///   gen.finished    i32 [B]     1 once the sequence emitted an eos id
///   gen.temperature f32 [B]     0: greedy
///   gen.top_k       i32 [B]     0: no top-k
///   gen.top_p       f32 [B]     1: no top-p
///   gen.seed        i64 [B]     the sequence's random stream
///   gen.eos         i32 [B, E]  end-of-sequence ids (-1: none)
/// The prompt entries return gen.logits and gen.position; the runtime
/// supplies the rest.
llvm::ArrayRef<GenerationStateSpec> getGenerationState();

/// The generation state's values in a decode entry (the arguments).
struct GenerationState {
  Value logits, position, finished, temperature, topK, topP, seed, eos;
};

/// rat.sample over the state: the token each sequence draws, i32 `[B]`.
Value buildSample(OpBuilder &b, Location loc, const GenerationState &state);

/// End-of-sequence bookkeeping for the drawn `token`: returns the emitted
/// token (-1 for a sequence that had finished) and the new finished flags
/// (written into `state.finished`): finished or `token` is one of the
/// sequence's eos ids.
std::pair<Value, Value> buildStopAtEos(OpBuilder &b, Location loc,
                                       const GenerationState &state,
                                       Value token);

/// `position + 1`, written into `position` (i32 `[B]`).
Value buildAdvance(OpBuilder &b, Location loc, Value position);

/// `max(min(lengths, T), 1)` as i32 `[B]`: the position of each sequence's
/// first generated token after a prompt of `lengths` tokens (the prompt
/// entries' gen.position; `T` is dim 1 of `tokens`).
Value buildPromptPositions(OpBuilder &b, Location loc, Value lengths,
                           Value tokens);

} // namespace rat
} // namespace mlir

#endif // RAT_COMPILER_GENERATION_H
