//===- Generation.h - Generation with a compiled LM -------------*- C++ -*-===//
//
// An `lm` model generates with two entries (docs/Runtime.md, "Generation"):
// the prompt (or prefill) entry over every sequence's prompt, padded to the
// longest, which returns the decode state after each sequence's own last
// prompt token and the generation state (the logits of its next token and
// its position); then the decode entry once per generated token. A decode
// step draws each sequence's token on the device (greedy, or temperature /
// top-k / top-p with the sequence's seed), stops sequences at their
// end-of-sequence ids and advances every sequence at its own position: all
// of that is decode state in device memory, so a step takes no input from
// the host and is one CUDA-graph replay (DecodeStepper). Tokens stay on the
// device until the end, unless a caller asks for them step by step.
//
// Nothing here depends on the command line: GenerationOptions is what a
// program (the executable's main, the model library) asks for.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_GENERATION_H
#define RAT_RUNTIME_GENERATION_H

#include "rat/Runtime/DecodeStepper.h"
#include "rat/Runtime/HostTensor.h"
#include "rat/Runtime/Log.h"
#include "rat/Runtime/Session.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace rat {

/// Default token budget of one prefill call of an LM: a larger batch is
/// prefilled in slices of sequences (the activations of a prompt grow with
/// batch x length; the decode state kept for every sequence does not).
constexpr int64_t kDefaultPrefillTokens = 16384;

/// Names of the generation state of an LM's entries (lmGenerationState() in
/// Manifest.h has the types; the compiler's rat/Compiler/Generation.h).
namespace genstate {
constexpr const char *kLogits = "gen.logits";         // f32 [B, V]
constexpr const char *kPosition = "gen.position";     // i32 [B]
constexpr const char *kFinished = "gen.finished";     // i32 [B]
constexpr const char *kTemperature = "gen.temperature"; // f32 [B]
constexpr const char *kTopK = "gen.top_k";            // i32 [B]
constexpr const char *kTopP = "gen.top_p";            // f32 [B]
constexpr const char *kSeed = "gen.seed";             // i64 [B]
constexpr const char *kEos = "gen.eos";               // i32 [B, E]
} // namespace genstate

/// Calls `entry` on `rows`-sequence slices of the batch (dim 0 of every
/// input tensor, of every result and state; `batch` sequences in all) and
/// gathers the results and states into full-batch tensors; one call when
/// rows >= batch. States are gathered into the buffers of `reuse` where
/// name, type and shape match (the buffers a captured decode graph reads:
/// no second copy of the state).
std::vector<Tensor> callInSlices(Session &session, const EntrySpec &entry,
                                 const CallInputs &inputs, int64_t batch,
                                 int64_t rows, StatePool &states,
                                 const StatePool *reuse = nullptr);

/// Whether every result and state of `entry` has the batch of its input as
/// dim 0 (so that the batch can be prefilled in slices).
bool batchLeads(const EntrySpec &entry, const ValueSpec &input);

/// How one sequence chooses its tokens (rat.sample).
struct SamplingParams {
  /// 0: greedy (the argmax, bit for bit); > 0: softmax(logits / T).
  double temperature = 0;
  /// Draw among the k largest logits; 0: no limit.
  int64_t topK = 0;
  /// Draw within the nucleus of probability p (of the top-k set); 1: all.
  double topP = 1;
  /// The sequence's random stream: the same seed, prompt and model give the
  /// same tokens, whatever the batch around the sequence.
  uint64_t seed = 0;
};

/// Throws RatError naming `what` and the value for a temperature that is
/// negative or not finite, top_k < 0, or top_p outside (0, 1].
void validateSamplingParams(const SamplingParams &params,
                            const std::string &what);

/// What to generate.
struct GenerationOptions {
  /// Tokens to generate per sequence (0: the prompt only).
  int64_t maxNewTokens = 0;
  /// Each sequence's prompt length, 1 <= L[b] <= T (the prompt is its first
  /// L[b] tokens); empty: every sequence uses all T tokens.
  std::vector<int64_t> promptLengths;
  /// A sequence stops after emitting one of these ids; it emits -1 after.
  std::vector<int32_t> eosIds;
  /// Every sequence's sampling; sequence b's seed is `sampling.seed + b`.
  SamplingParams sampling;
  /// Per-sequence sampling instead (empty, or one per sequence, seeds as
  /// given).
  std::vector<SamplingParams> perSequence;
  /// Called after each decode step with the tokens it emitted, on the host
  /// (the step is waited for: use it to stream tokens, not for throughput).
  std::function<void(int64_t step, const int32_t *tokens, int64_t batch)>
      onTokens;
};

/// The shape of the generations a Generator runs.
struct GenerationConfig {
  int64_t batch = 1;
  /// Tokens per prompt row (the longest prompt; shorter ones are padded).
  int64_t promptLen = 1;
  /// Most tokens to generate (0: prefill only).
  int64_t generate = 0;
  /// Sequences per prefill call (0: the whole batch at once).
  int64_t sliceRows = 0;
  /// Generated tokens are checked against it on the host.
  std::optional<int64_t> vocabSize;
};

/// What one generation produced.
struct GenerationResult {
  std::vector<Tensor> prefillResults;
  /// [N, B] int32 in device memory: the token each sequence emitted at each
  /// step (-1 once it stopped); rows from `steps` on are not written.
  Tensor generated;
  /// Decode steps run: N, or fewer when every sequence stopped early.
  int64_t steps = 0;
  /// Device-timed (with a timer) prefill and per-step decode times.
  double prefillMs = 0;
  std::vector<double> stepMs;
  /// Host wall-clock times of the two phases, for -v.
  Clock::time_point start, prefillDone, decodeDone;
  /// Bytes of decode state after the prefill (all sequences).
  size_t stateBytes = 0;
};

/// The host arrays of a generation: `tokens` [B, max(L) + N] int32, row b
/// its prompt (L[b] tokens), its generated tokens and -1 after them;
/// `counts` [B] int32, each sequence's number of generated tokens (an eos
/// id it emitted included).
struct GeneratedTokens {
  HostTensor tokens;
  HostTensor counts;
};

/// Builds GeneratedTokens from the prompt rows `prompt` ([B, >= max L]),
/// the lengths (empty: every row's full width) and the downloaded
/// `generated` ([N, B]) of a run of `steps` steps; checks every generated
/// token against `vocabSize` (-1 only after an eos id).
GeneratedTokens collectTokens(const HostTensor &prompt,
                              const std::vector<int64_t> &lengths,
                              const HostTensor &generated, int64_t steps,
                              const std::vector<int32_t> &eosIds,
                              std::optional<int64_t> vocabSize);

/// Generation with an `lm` model; run() may be called again (benchmarks, a
/// server's batches of the same shape) and reuses the decode stepper, so
/// later runs replay the graph the first one captured.
class Generator {
public:
  /// `prompt` takes the prompt ([B, T] int32) and the lengths and returns
  /// the generation state; `decode` (needed when config.generate > 0) is the
  /// decode step (the manifest parser checked both).
  Generator(Session &session, const EntrySpec &prompt, const EntrySpec *decode,
            const GenerationConfig &config);

  /// The inputs of the prompt entry for `tokens` ([B, T'] int32 host
  /// tensor, T' >= config.promptLen): its first promptLen columns, tokens
  /// past each sequence's length set to 0 (they are never read).
  CallInputs promptInputs(const HostTensor &tokens,
                          const GenerationOptions &options,
                          const std::string &source);

  /// One generation from `prompt` (promptInputs); with `timer`, the prefill
  /// and every decode step are device-timed.
  GenerationResult run(const CallInputs &prompt,
                       const GenerationOptions &options,
                       DeviceTimer *timer = nullptr);

  /// The decode steps' stepper; null when no token is generated.
  const DecodeStepper *stepper() const {
    return stepperStorage ? &*stepperStorage : nullptr;
  }

private:
  /// Whether every sequence has stopped (reads gen.finished).
  bool allFinished(const StatePool &states);

  Session &session;
  const EntrySpec &prompt;
  GenerationConfig config;
  std::string tokensName, lengthsName;
  int64_t tokenIndex = -1;
  std::optional<DecodeStepper> stepperStorage;
};

/// Puts the per-sequence sampling and eos state of `options` for `batch`
/// sequences into `states` (gen.finished 0, gen.temperature, gen.top_k,
/// gen.top_p, gen.seed, gen.eos), uploaded by `session`.
void setGenerationState(Session &session, const GenerationOptions &options,
                        int64_t batch, StatePool &states);

/// Throws RatError unless `options` fit a batch of `batch` prompts of
/// `width` tokens: lengths in [1, width] (one per sequence), sampling
/// parameters valid, eos ids in [0, vocab), max(L) + N <= max_seq_len.
void validateGenerationOptions(const GenerationOptions &options, int64_t batch,
                               int64_t width, std::optional<int64_t> vocabSize,
                               std::optional<int64_t> maxSeqLen);

} // namespace rat

#endif // RAT_RUNTIME_GENERATION_H
