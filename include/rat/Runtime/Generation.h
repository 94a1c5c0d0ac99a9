//===- Generation.h - Greedy generation with a compiled LM ------*- C++ -*-===//
//
// An `lm` model generates with two entries: the prefill (or prompt) entry
// over the whole prompt, which returns the first next_token and the decode
// state, then the decode entry once per further token, fed the token the
// previous call chose (argmax on the device, docs/Runtime.md). Tokens stay
// on the device until the end; decode steps go through a DecodeStepper
// (CUDA graph replays on the cuda target).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_GENERATION_H
#define RAT_RUNTIME_GENERATION_H

#include "rat/Runtime/DecodeStepper.h"
#include "rat/Runtime/Log.h"
#include "rat/Runtime/Session.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rat {

/// Default token budget of one prefill call of an LM: a larger batch is
/// prefilled in slices of sequences (the activations of a prompt grow with
/// batch x length; the decode state kept for every sequence does not).
constexpr int64_t kDefaultPrefillTokens = 16384;

/// Calls `entry` on `rows`-sequence slices of the batch (dim 0 of the input
/// `tokensName` and of every result and state) and gathers the results and
/// states into full-batch tensors; one call when rows >= batch. States are
/// gathered into the buffers of `reuse` where name, type and shape match
/// (the buffers a captured decode graph reads: no second copy of the state).
std::vector<Tensor> callInSlices(Session &session, const EntrySpec &entry,
                                 const CallInputs &inputs,
                                 const std::string &tokensName, int64_t rows,
                                 StatePool &states,
                                 const StatePool *reuse = nullptr);

/// Whether every result and state of `entry` has the batch of its input as
/// dim 0 (so that the batch can be prefilled in slices).
bool batchLeads(const EntrySpec &entry, const ValueSpec &input);

/// The shape of one generation.
struct GenerationConfig {
  int64_t batch = 1;
  int64_t promptLen = 1;
  /// Tokens to generate (0: prefill only).
  int64_t generate = 0;
  /// Sequences per prefill call (0: the whole batch at once).
  int64_t sliceRows = 0;
  /// Generated tokens are checked against it on the host.
  std::optional<int64_t> vocabSize;
};

/// What one generation produced.
struct GenerationResult {
  std::vector<Tensor> prefillResults;
  /// [N, B] int32 in device memory: the token generated at each step.
  Tensor generated;
  /// Device-timed (with a timer) prefill and per-step decode times.
  double prefillMs = 0;
  std::vector<double> stepMs;
  /// Host wall-clock times of the two phases, for -v.
  Clock::time_point start, prefillDone, decodeDone;
  /// Bytes of decode state after the prefill (all sequences).
  size_t stateBytes = 0;
};

/// Greedy generation; run() may be called again (benchmarks) and reuses the
/// decode stepper, so later runs replay the graph the first one captured.
class GreedyGenerator {
public:
  /// `prefill` takes the prompt ([B, P] int32) and returns next_token;
  /// `decode` (needed when config.generate > 1) takes one token and the
  /// position and returns next_token.
  GreedyGenerator(Session &session, const EntrySpec &prefill,
                  const EntrySpec *decode, const GenerationConfig &config);

  /// One generation from `prompt` (the prefill entry's input); with
  /// `timer`, the prefill and every decode step are device-timed.
  GenerationResult run(const CallInputs &prompt, DeviceTimer *timer = nullptr);

  /// The decode steps' stepper; null when fewer than two tokens are made.
  const DecodeStepper *stepper() const {
    return stepperStorage ? &*stepperStorage : nullptr;
  }

private:
  void record(GenerationResult &run, const Tensor &next, int64_t step);

  Session &session;
  const EntrySpec &prefill;
  GenerationConfig config;
  std::string tokensName;
  int64_t nextIndex = -1;
  const ValueSpec *tokenSpec = nullptr;
  const ValueSpec *positionSpec = nullptr;
  int64_t decodeNextIndex = -1;
  std::optional<DecodeStepper> stepperStorage;
};

} // namespace rat

#endif // RAT_RUNTIME_GENERATION_H
