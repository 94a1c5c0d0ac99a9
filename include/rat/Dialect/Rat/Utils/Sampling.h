//===- Sampling.h - The token choice of rat.sample --------------*- C++ -*-===//
//
// The per-row algorithm of rat.sample, built once for every level: the
// scalar loops of the tiling interface (one thread walks the row; the CPU
// and the generic GPU path) split the row among threads and combine partial
// results (RowThreads). The row kernel of rat-row-ops-to-gpu
// (SampleKernel.cpp) builds its per-logit values (keys, weights, Gumbel
// scores) and its fallback steps with the functions below, and finds the
// same top-k key and nucleus key with fewer passes (radix select, then the
// candidates alone), so every level chooses the same tokens; sums of
// probabilities (top-p) may round differently where the threads split them
// (the kernel's candidate path adds in column order, as one thread does).
//
// Per row, with T = temperature, x = the logits:
//   1. the first maximum m of x (NaN never a maximum) and its index: the
//      token when !(T > 0);
//   2. top-k (0 < k < V): the largest 32-bit key t such that at least k
//      logits have key >= t (bisection, one pass per bit), keys being the
//      order-preserving unsigned images of the f32 bits;
//   3. top-p (0 < p < 1): the largest key t' such that the mass
//      sum exp((x - m) / T) over the logits with key >= max(t', t) reaches
//      p times the mass of the top-k set (bisection);
//   4. the allowed logit with the largest (x - m) / T + gumbel(seed,
//      position, v), ties to the smaller index (the Gumbel-max draw).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_DIALECT_RAT_UTILS_SAMPLING_H
#define RAT_DIALECT_RAT_UTILS_SAMPLING_H

#include "mlir/IR/Builders.h"

#include <cstdint>
#include <functional>
#include <utility>

namespace mlir::rat {

/// How the threads that share a row split it and combine partial results.
struct RowThreads {
  /// This thread's columns: first, first + stride, ... (index values).
  Value first, stride;
  /// Combines every thread's (f32 value, i32 index) pair: the largest value,
  /// ties to the smaller index; every thread gets the result. Null: one
  /// thread, nothing to combine.
  std::function<std::pair<Value, Value>(Value, Value)> argmax;
  /// Sums an f32 or i32 value over the threads; every thread gets the sum.
  /// Null: one thread.
  std::function<Value(Value)> sum;
};

/// One row of rat.sample.
struct SampleRow {
  /// The row length V (index).
  Value vocab;
  /// The logit at a column (index) as f32, built at the insertion point.
  std::function<Value(Value)> logit;
  /// The row's parameters: temperature and top_p (f32), top_k (i32), seed
  /// (i64), position (index).
  Value temperature, topK, topP, seed, position;
};

/// Emits the choice of one row at `b`'s insertion point; returns the token
/// (i32), the same value in every thread.
Value buildSampleRow(OpBuilder &b, Location loc, const SampleRow &row,
                     const RowThreads &threads);

// The steps and per-logit values of buildSampleRow, for kernels that organise
// the row themselves (the rat.sample kernel of rat-row-ops-to-gpu): built by
// the same code, so they choose the same tokens.

/// Step 1: the first maximum of the row and its column (f32, i32).
std::pair<Value, Value> buildSampleFirstMax(OpBuilder &b, Location loc,
                                            const SampleRow &row,
                                            const RowThreads &threads);
/// Step 3 by bisection over the row: the smallest allowed key (i32), at
/// least `tauK` (the top-k key of step 2, 0 without top-k); `tauK` when
/// top-p is off. `max` is the row's maximum of step 1.
Value buildSampleNucleus(OpBuilder &b, Location loc, const SampleRow &row,
                         const RowThreads &threads, Value max, Value tauK);
/// Step 4 over the row: the allowed column (key >= `tau`) of the Gumbel-max
/// draw (i32).
Value buildSampleGumbelMax(OpBuilder &b, Location loc, const SampleRow &row,
                           const RowThreads &threads, Value max, Value tau);
/// The order-preserving unsigned key (i32) of an f32 logit.
Value buildSampleKey(OpBuilder &b, Location loc, Value x);
/// The probability weight exp((x - max) / temperature) of a logit (f32).
Value buildSampleWeight(OpBuilder &b, Location loc, Value x, Value max,
                        Value temperature);
/// The random stream of a row: (h1, h2) of Sampling.cpp from the row's seed
/// (i64) and position (index).
std::pair<Value, Value> buildSampleStream(OpBuilder &b, Location loc,
                                          Value seed, Value position);
/// The Gumbel-max score of step 4 of the logit `x` in `column` (i32): the
/// perturbed scaled logit when allowed (not NaN, key >= `tau`), else -inf.
Value buildSampleScore(OpBuilder &b, Location loc, Value x, Value column,
                       Value max, Value temperature, Value tau,
                       std::pair<Value, Value> stream);

/// The 32-bit mixer of the random stream (Wellons' lowbias32), on the host:
/// what buildSampleRow emits, for tests and reference implementations.
inline uint32_t sampleMix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

} // namespace mlir::rat

#endif // RAT_DIALECT_RAT_UTILS_SAMPLING_H
